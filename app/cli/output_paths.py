"""Where a command writes: checked before any reading or analysis, so a typo costs
no minutes of work and a log is never written over by its own report."""

from __future__ import annotations

import os

from app.core.errors import BatteryOSError


def check_outputs(inputs: tuple[str, ...], outputs: dict[str, str | None]) -> None:
    """Refuse outputs (option -> path; None: not asked for) that would overwrite an
    input file or another output, or whose folder does not exist."""
    seen: dict[str, str] = {}
    sources = {_key(p): p for p in inputs if p and os.path.isfile(p)}
    for option, path in outputs.items():
        if not path:
            continue
        key = _key(path)
        if key in sources:
            raise BatteryOSError(
                f"{option} {path} is the log being read: it would be overwritten; "
                "write to another file"
            )
        if key in seen:
            raise BatteryOSError(f"{option} and {seen[key]} both write {path}: give two files")
        seen[key] = option
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise BatteryOSError(f"{option} {path}: cannot write: there is no folder {folder}")
        if os.path.isdir(path):
            raise BatteryOSError(f"{option} {path} is a folder: give a file name")


def _key(path: str) -> str:
    """One spelling per file (relative, symlinked or not)."""
    return os.path.normcase(os.path.realpath(path))
