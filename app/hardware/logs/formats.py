"""Which reader opens a log file: recognised by content, not only by extension.

Each :class:`LogFormat` names a ``sniff`` and a ``read`` function as
``"module:function"`` strings, imported only when used (the window must paint
fast). ``sniff(path, head)`` gets the first :data:`HEAD_BYTES` bytes of the file
and returns a confidence in [0, 1] (0: not this format). ``read(path,
progress)`` returns a :class:`~app.hardware.logs.canonical_csv.LoadedLog` in
the canonical schema (SI units, current positive when charging, ``time_s``
from the start, the absolute start in ``metadata["start_utc"]`` when the file
has it), or raises :class:`~app.core.errors.SchemaError` naming file and line.

``progress`` is an optional :class:`Progress`: readers call
``progress.update(fraction)`` now and then and stop with
:class:`~app.core.errors.Cancelled` once it is cancelled.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.core.errors import SchemaError
from app.hardware.logs.tables import cut_last_line, without_bom

if TYPE_CHECKING:
    from app.hardware.logs.canonical_csv import LoadedLog

#: Bytes handed to each sniffer.
HEAD_BYTES = 64 * 1024


class Cancelled(SchemaError):
    """The user cancelled opening a file."""


class Progress:
    """Progress of opening one file, shared between a reader and whoever waits for it.

    Thread-safe: a reader in a worker updates it, the GUI polls ``fraction``
    on a timer and calls :meth:`cancel`.
    """

    def __init__(self, callback: Callable[[float], None] | None = None):
        self._callback = callback
        self._cancelled = threading.Event()
        self.fraction = 0.0

    def update(self, fraction: float) -> None:
        """Record ``fraction`` done (0..1); raises :class:`Cancelled` once cancelled."""
        self.fraction = min(max(float(fraction), 0.0), 1.0)
        if self._callback is not None:
            self._callback(self.fraction)
        if self._cancelled.is_set():
            raise Cancelled("cancelled")

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()


@dataclass(frozen=True)
class LogFormat:
    """One log format: a name users see, and its lazily imported sniffer and reader."""

    name: str
    sniff: str
    read: str
    #: Extensions it usually has (a tie-breaker and a hint in error messages).
    suffixes: tuple[str, ...] = ()
    #: The delimiter of its text rows (a generic table's is in its column mapping).
    delimiter: str = ","


def _m(module: str, function: str) -> str:
    return f"app.hardware.logs.{module}:{function}"


_FORMATS: list[LogFormat] = [
    LogFormat(
        "Battery OS canonical CSV",
        "app.hardware.logs.canonical_csv:sniff",
        "app.hardware.logs.canonical_csv:read",
        (".csv",),
    ),
    LogFormat(
        "BioLogic EC-Lab .mpr", _m("biologic", "sniff_mpr"), _m("biologic", "read_mpr"), (".mpr",)
    ),
    LogFormat(
        "BioLogic EC-Lab .mpt",
        _m("biologic", "sniff_mpt"),
        _m("biologic", "read_mpt"),
        (".mpt",),
        "\t",
    ),
    LogFormat("Canonical Parquet", _m("parquet", "sniff"), _m("parquet", "read"), (".parquet",)),
    LogFormat("Arbin export", _m("arbin", "sniff"), _m("arbin", "read"), (".csv", ".xlsx")),
    LogFormat("Maccor text export", _m("maccor", "sniff"), _m("maccor", "read"), (".txt",), "\t"),
    LogFormat("Neware export", _m("neware", "sniff"), _m("neware", "read"), (".csv", ".xlsx")),
    LogFormat("Battery Data Format CSV", _m("bdf", "sniff"), _m("bdf", "read"), (".csv",)),
    LogFormat("Per-cycle table", _m("cycle_table", "sniff"), _m("cycle_table", "read"), (".csv",)),
    LogFormat(
        "CSV/TSV/XLSX table",
        _m("generic", "sniff"),
        _m("generic", "read"),
        (".csv", ".tsv", ".txt", ".xlsx"),
    ),
    *(
        LogFormat(
            name,
            f"app.hardware.logs.can_logs:sniff_{key}",
            "app.hardware.logs.can_logs:read",
            suffixes,
        )
        for name, key, suffixes in (
            ("CAN log, candump -L", "candump", (".log",)),
            ("CAN log, Vector ASC", "asc", (".asc",)),
            ("CAN log, Vector BLF", "blf", (".blf",)),
            ("CAN log, PCAN TRC", "trc", (".trc",)),
            ("CAN log, foxBMS / python-can text", "foxbms_text", (".txt",)),
        )
    ),
]


def register_format(fmt: LogFormat) -> None:
    """Add a format (later registrations win ties)."""
    _FORMATS.append(fmt)


def formats() -> tuple[LogFormat, ...]:
    return tuple(_FORMATS)


def _resolve(target: str):
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def read_head(path: str) -> bytes:
    """The first bytes of ``path``; a missing, empty or unreadable file is a SchemaError."""
    if not os.path.exists(path):
        raise SchemaError(f"{path}: no such file")
    if os.path.isdir(path):
        raise SchemaError(f"{path}: is a directory, not a log file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not head:
        raise SchemaError(f"{path}: the file is empty")
    return head


def detect_format(path: str) -> LogFormat:
    """The format of ``path`` by content; a SchemaError says what it looks like otherwise.

    Sniffers see the head without a UTF-8 byte-order mark: no format gives it a meaning.
    """
    head = without_bom(read_head(path))
    suffix = os.path.splitext(path)[1].lower()
    best: tuple[float, int, LogFormat] | None = None
    for order, fmt in enumerate(_FORMATS):
        score = float(_resolve(fmt.sniff)(path, head))
        if score <= 0:
            continue
        key = (score + (0.01 if suffix in fmt.suffixes else 0.0), order, fmt)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None or best[0] < 0.1:  # (none, or a table the generic reader half knows)
        known = identify_non_log(path, head)
        if known is not None:
            raise known
    if best is None:
        raise SchemaError(f"{path}: not a log format Battery OS reads ({describe_content(head)})")
    return best[2]


class NotASampleLog(SchemaError):
    """A file of a known kind that holds no samples (a VE.Direct capture, JK BMS frames,
    a DBC, an Arbin test's metadata): ``kind``, ``what`` it is and ``advice`` (what to
    open instead, in words any front end can show; the CLI gives its commands)."""

    def __init__(self, path: str, kind: str, what: str, advice: str, data_file: str | None = None):
        super().__init__(f"{path}: {what}, not a sample log: {advice}")
        self.path, self.kind, self.what, self.advice = path, kind, what, advice
        self.data_file = data_file  #: an Arbin metadata file's data file beside it


#: VE.Direct text-protocol labels (Victron BMV, SmartShunt, MPPT: "LABEL<tab>VALUE" lines)
_VEDIRECT_LABELS = frozenset(
    [
        "PID",
        "V",
        "V2",
        "V3",
        "VS",
        "VM",
        "DM",
        "VPV",
        "PPV",
        "I",
        "IL",
        "P",
        "CE",
        "SOC",
        "TTG",
        "Alarm",
        "Relay",
        "AR",
        "OR",
        "BMV",
        "FW",
        "FWE",
        "SER#",
        "CS",
        "MPPT",
        "ERR",
        "LOAD",
        "T",
        "H1",
        "H2",
        "H3",
        "H4",
        "H5",
        "H6",
        "H7",
        "H8",
        "H9",
        "H10",
        "H11",
        "H12",
        "H13",
        "H14",
        "H15",
        "H16",
        "H17",
        "H18",
        "H19",
        "H20",
        "H21",
        "H22",
        "H23",
        "HSDS",
        "MON",
        "Checksum",
    ]
)
#: the start of a JK BMS JK02 frame (app.hardware.serial.jk.HEADER; not imported: that
#: module wants pyserial)
_JK_HEADER = b"\x55\xaa\xeb\x90"
#: columns of an Arbin test's metadata export (``*_Metadata.csv``, beside its data)
_ARBIN_METADATA_COLUMNS = ("Test_ID", "IV_Ch_ID", "Schedule_File_Name")


def identify_non_log(path: str, head: bytes) -> NotASampleLog | None:
    """What ``path`` is when it is a known kind of file that holds no samples, else None."""
    import re

    if _JK_HEADER in head[:4096]:
        return NotASampleLog(
            path,
            "jk",
            "JK BMS frames (JK02, 55 AA EB 90)",
            "read the BMS live from the source URL serial://PORT?protocol=jk",
        )
    if b"\x00" in head[:4096]:
        return None
    text = head[:16384].decode("utf-8", errors="replace")
    lines = [line.strip("\r") for line in text.splitlines() if line.strip()]
    labelled = [ln.partition("\t")[0] for ln in lines[:60] if "\t" in ln]
    if len({x for x in labelled if x in _VEDIRECT_LABELS}) >= 3 and 2 * len(labelled) >= len(
        lines[:60]
    ):
        return NotASampleLog(
            path,
            "vedirect",
            "a VE.Direct text capture (a Victron monitor's serial output)",
            "read the device live from the source URL serial://PORT?protocol=vedirect",
        )
    if text.startswith('VERSION "') or re.search(r"^\s*BO_ \d+ \w+\s*:", text, re.M):
        return NotASampleLog(
            path,
            "dbc",
            "a CAN database (DBC: the signals of CAN frames)",
            "open a CAN log (.trc, .asc, .blf, candump) with this DBC",
        )
    first = lines[0] if lines else ""
    if all(name in first for name in _ARBIN_METADATA_COLUMNS):
        stem, ext = os.path.splitext(path)
        data = stem[: -len("_Metadata")] + ext if stem.endswith("_Metadata") else None
        data = data if data and os.path.isfile(data) else None
        return NotASampleLog(
            path,
            "arbin_metadata",
            "an Arbin test's metadata file (the test's IDs and schedule)",
            f"open the data file beside it, {os.path.basename(data)}"
            if data
            else "open the test's data export (Test_Time, Current, Voltage columns)",
            data_file=data,
        )
    return None


def open_log(path: str, progress: Progress | None = None, use_cache: bool = True) -> LoadedLog:
    """Read any supported log file into the canonical schema.

    Big files are kept in a cache (:mod:`~app.hardware.logs.cache`) so opening
    them again is fast; ``use_cache=False`` reads the file itself.
    """
    from app.hardware.logs import cache

    path = os.fspath(path)
    read_head(path)  # missing, empty, unreadable: the same errors with or without a cache
    cached = use_cache and cache.wanted(path)
    if cached and (log := cache.load(path)) is not None:
        if progress is not None:
            progress.update(1.0)
        return log
    fmt = detect_format(path)
    log = _resolve(fmt.read)(path, progress)
    log.metadata.setdefault("format", fmt.name)
    cut = cut_last_line(path, _delimiter(fmt, log))
    if cut is not None:  # the readers left a row cut mid-way out (tables.without_cut_row)
        earlier = log.metadata.get("warnings")
        log.metadata["warnings"] = f"{earlier}\n{cut.warning}" if earlier else cut.warning
    if cached:
        cache.store(path, log)
    return log


def _delimiter(fmt: LogFormat, log: LoadedLog) -> str:
    """The delimiter ``fmt``'s reader split ``log``'s rows on."""
    mapping = log.metadata.get("column_mapping")
    if mapping:
        return json.loads(mapping).get("delimiter", fmt.delimiter)
    return fmt.delimiter


def describe_content(head: bytes) -> str:
    """A few words on what unrecognised bytes look like, for error messages."""
    if b"\x00" in head[:4096]:
        magic = {
            b"PK\x03\x04": "a ZIP archive (XLSX, DOCX, …)",
            b"%PDF": "a PDF document",
            b"\x89PNG": "a PNG image",
            b"SQLite format 3": "an SQLite database",
            b"PAR1": "a Parquet file",
        }
        for prefix, what in magic.items():
            if head.startswith(prefix):
                return f"it looks like {what}"
        return "it looks like binary data"
    text = without_bom(head[:4096]).decode("utf-8", errors="replace")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first:
        return "it holds only blank lines"
    return f"text starting {first[:60]!r}"
