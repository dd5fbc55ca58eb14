"""Canonical CSV: the sample schema as a CSV file, with optional metadata.

Metadata lines come first, each ``# key: value`` (``start_utc``, ``source``,
``spec`` as JSON, ``notes``; a value of several lines goes on ``#   `` continuation
lines); then a header row of canonical column names; then one row per sample.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from app.core.errors import BatteryOSError, SchemaError
from app.core.schema import TIME as TIME_COLUMN
from app.core.schema import validate_samples
from app.core.spec import BatterySpec
from app.hardware.logs.tables import head_text, open_text
from app.hardware.logs.units import header_cells

if TYPE_CHECKING:
    import pandas as pd

    from app.core.samples import SampleBlock

MAGIC = "# battery-os canonical samples"
#: The start of a metadata line that continues the value above it (``# key:`` has one space).
CONTINUATION = "#   "


@dataclass
class LoadedLog:
    """Samples of a log file in the canonical schema, with its metadata."""

    path: str
    frame: pd.DataFrame
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def spec_dict(self) -> dict | None:
        raw = self.metadata.get("spec")
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    @cached_property
    def _parsed_spec(self) -> tuple[BatterySpec | None, str | None]:
        spec, problem = parse_spec_line(self.metadata.get("spec"))
        if problem is not None:
            warning = (
                f"the file's '# spec:' line is damaged: {problem}; the whole line was "
                "ignored, so the battery is not taken from the file"
            )
            earlier = self.metadata.get("warnings")
            self.metadata["warnings"] = f"{earlier}\n{warning}" if earlier else warning
        return spec, problem

    @property
    def spec(self) -> BatterySpec | None:
        """The battery the file names; None when it names none, or when its spec is
        damaged: then ``metadata["warnings"]`` says what is wrong and that the line was
        ignored, and :attr:`spec_problem` what is wrong (the user gives the battery)."""
        return self._parsed_spec[0]

    @property
    def spec_problem(self) -> str | None:
        """What is wrong with the file's ``# spec:`` line (None: it is good, or there is none)."""
        return self._parsed_spec[1]


def parse_spec_line(raw: str | None) -> tuple[BatterySpec | None, str | None]:
    """The battery a ``# spec:`` metadata value names, or what is wrong with it.

    ``(spec, None)`` for a good line; ``(None, None)`` for none or one naming no battery
    (``{}``, ``null``: a recording without a spec); ``(None, problem)`` for a damaged
    one, the problem naming the field and its value (or where the JSON breaks).
    """
    if raw is None or not raw.strip():
        return None, None
    try:
        d = json.loads(raw)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(raw.rstrip()):
            return None, f"not valid JSON, it ends early (cut short?): {exc.msg} at its end"
        near = raw[max(0, exc.pos - 20) : exc.pos + 20]
        return None, f"not valid JSON: {exc.msg} at character {exc.pos + 1} ({near!r})"
    if not d:
        return None, None
    try:
        return BatterySpec.from_dict(d), None
    except BatteryOSError as exc:
        return None, str(exc).removeprefix("battery spec: ")


def _read_metadata(path: str) -> tuple[dict[str, str], int]:
    metadata: dict[str, str] = {}
    lines = 0
    key = None
    with open_text(path, newline="") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            lines += 1
            if key is not None and line.startswith(CONTINUATION):
                metadata[key] += "\n" + line[len(CONTINUATION) :].rstrip()
                continue
            name, sep, value = line[1:].partition(":")
            key = name.strip() if sep else None
            if key is not None:
                metadata[key] = value.strip()
    return metadata, lines


def metadata_lines(metadata: dict[str, str]) -> str:
    """``metadata`` as ``# key: value`` lines, a value's further lines as continuations:
    every line starts with ``#``, so the file reads back."""
    out = []
    for key, value in metadata.items():
        first, *rest = str(value).splitlines() or [""]
        out.append(f"# {key}: {first}\n")
        out.extend(f"{CONTINUATION}{line}\n" for line in rest)
    return "".join(out)


def read_canonical_csv(path: str, progress=None) -> LoadedLog:
    """Read a canonical CSV; raises :class:`SchemaError` with file and line on bad input.

    Read in chunks so ``progress`` (:class:`~app.hardware.logs.formats.Progress`)
    can follow and cancel.
    """
    from app.hardware.logs.tables import read_text_table

    if not os.path.exists(path):
        raise SchemaError(f"{path}: no such file")
    if os.path.isdir(path):
        raise SchemaError(f"{path}: is a directory, not a log file")
    if os.path.getsize(path) == 0:
        raise SchemaError(f"{path}: the file is empty")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if b"\x00" in head:
        raise SchemaError(f"{path}: binary data, not a CSV text file")
    metadata, skip = _read_metadata(path)
    df = read_text_table(path, header_line=skip, progress=progress, allow_empty=True)
    try:
        frame = validate_samples(df, origin=path, header_lines=skip + 1)
    except SchemaError as exc:
        # a file cut inside its last line (a logger that died) keeps what came before
        if not df.attrs.get("ends_mid_line") or f"line {skip + 1 + len(df)}," not in str(exc):
            raise
        frame = validate_samples(df.iloc[:-1], origin=path, header_lines=skip + 1)
        metadata["notes"] = "the last line is cut short (a truncated file?) and was left out"
    if progress is not None:
        progress.update(1.0)
    return LoadedLog(path=path, frame=frame, metadata=metadata)


def sniff(path: str, head: bytes) -> float:
    """Confidence that ``head`` starts a canonical CSV (see :mod:`app.hardware.logs.formats`)."""
    from app.core.schema import REQUIRED_COLUMNS

    text = head_text(head)
    if text is None:
        return 0.0
    if text.startswith(MAGIC):
        return 1.0
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        columns = header_cells(line)
        if all(c in columns for c in REQUIRED_COLUMNS):
            return 0.9
        # some canonical columns: ours, with something missing that read() will name
        return 0.3 if any(c in columns for c in REQUIRED_COLUMNS) else 0.0
    return 0.0


def read(path: str, progress=None) -> LoadedLog:
    """The :mod:`~app.hardware.logs.formats` reader entry point."""
    return read_canonical_csv(path, progress)


#: The time column's format: microseconds up to 1e6 s (11.6 days), milliseconds to 1e9 s.
TIME_FORMAT = "%.12g"


class CanonicalCsvWriter:
    """Streams blocks into a canonical CSV file; the columns are those of the first block.

    Each block is written and flushed as it comes, so a crash loses at most the
    block being written.
    """

    def __init__(
        self, path: str, metadata: dict[str, str] | None = None, float_format: str = "%.6g"
    ):
        self.path = path
        self.metadata = dict(metadata or {})
        self.float_format = float_format
        self.columns: list[str] | None = None
        self.rows = 0
        try:
            self._fh = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise SchemaError(f"{path}: cannot write ({exc.strerror or exc})") from None
        self._fh.write(MAGIC + "\n")
        self._fh.write(metadata_lines(self.metadata))

    def append(self, block: SampleBlock) -> None:
        import numpy as np
        import pandas as pd

        if self.columns is None:
            self.columns = list(block.columns)
            self._fh.write(",".join(self.columns) + "\n")
        n = len(block)
        frame = pd.DataFrame(
            {c: block[c] if c in block else np.full(n, np.nan) for c in self.columns}
        )
        if TIME_COLUMN in frame:
            # the time with its own digits: at float_format's 6, a 10 Hz log's
            # timestamps past 100 000 s (28 h) would round to whole seconds
            frame[TIME_COLUMN] = [
                TIME_FORMAT % t if t == t else "" for t in frame[TIME_COLUMN].tolist()
            ]
        frame.to_csv(self._fh, index=False, header=False, float_format=self.float_format)
        self._fh.flush()
        self.rows += n

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> CanonicalCsvWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_canonical_csv(
    path: str, block: SampleBlock, metadata: dict[str, str] | None = None
) -> None:
    """Write ``block`` as canonical CSV with ``metadata`` lines first."""
    with CanonicalCsvWriter(path, metadata) as writer:
        writer.append(block)
