"""CAN log files: candump -L ``.log``, Vector ``.asc`` and ``.blf``, PCAN ``.trc``, and
the text log of foxBMS (python-can's printed frames), decoded into canonical samples.

Frames are read with python-can's readers (the foxBMS text with its own
parser), then decoded like a live bus (:mod:`app.hardware.can`):

* through a DBC when one is given: ``read_can_log(path, dbc=...)``, the
  :func:`using_dbc` context (``batteryos analyze --dbc``) or the environment
  variable ``BATTERYOS_CAN_DBC``; the signal mapping is the saved one named
  ``mapping`` or else the one suggested from the messages present in the log;
* else through the built-in BMS protocol when the log has its frames (0x356);
* else through a DBC found beside the log: of the ``*.dbc`` files in its
  folder, the one whose messages cover most of the log's frame ids.

A log that none of these decode is a :class:`~app.core.errors.SchemaError`
saying so. Malformed lines and undecodable frames are counted and skipped
(``metadata["frames_bad"]``, ``["frames_unknown"]``).
"""

from __future__ import annotations

import contextlib
import contextvars
import glob
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from app.core.errors import SchemaError, SourceError
from app.hardware.logs.canonical_csv import LoadedLog
from app.hardware.logs.tables import open_text, without_bom

DBC_ENV = "BATTERYOS_CAN_DBC"
_dbc_choice: contextvars.ContextVar[tuple[str, str | None] | None] = contextvars.ContextVar(
    "can_log_dbc", default=None
)

_CANDUMP_RE = re.compile(rb"^\(\d+\.\d+\)\s+\S+\s+[0-9A-Fa-f]{3,8}#", re.MULTILINE)
# ASCII: a damaged byte that is Unicode whitespace (0x1c-0x1f) must not pass as a separator
_FOXBMS_RE = re.compile(
    r"^\s*Timestamp:\s*(-?\d+(?:\.\d*)?)\s+ID:\s*([0-9a-fA-F]+)\s+(.*?)DL:\s*(\d+)\s*((?:[0-9a-fA-F]{2}\s*)*)",
    re.ASCII,
)
_TRC_LINE_RE = re.compile(rb"^\s*\d+\)\s+[\d.]+\s+", re.MULTILINE)


@contextlib.contextmanager
def using_dbc(path: str | None, mapping: str | None = None):
    """CAN logs opened inside the block (by :func:`open_log`) decode through ``path``."""
    token = _dbc_choice.set((path, mapping) if path else None)
    try:
        yield
    finally:
        _dbc_choice.reset(token)


# --- sniffers -------------------------------------------------------------------
def sniff_candump(path: str, head: bytes) -> float:
    return 0.9 if _CANDUMP_RE.search(head[:4096]) else 0.0


def sniff_asc(path: str, head: bytes) -> float:
    text = head[:4096].lstrip().lower()
    if text.startswith(b"date ") and b"base " in text:
        return 0.9
    return 0.0


def sniff_blf(path: str, head: bytes) -> float:
    return 0.95 if head.startswith(b"LOGG") else 0.0


def sniff_trc(path: str, head: bytes) -> float:
    if head.startswith(b";$FILEVERSION"):
        return 0.95
    if head.lstrip().startswith(b";") and _TRC_LINE_RE.search(head[:8192]):
        return 0.6
    return 0.0


def sniff_foxbms_text(path: str, head: bytes) -> float:
    first = next(
        (ln for ln in head[:4096].decode("ascii", "replace").splitlines() if ln.strip()), ""
    )
    return 0.9 if _FOXBMS_RE.match(first) else 0.0


# --- frames -----------------------------------------------------------------------
@dataclass
class Frames:
    """Frames of a log in arrival order."""

    timestamps: list[float]
    ids: list[int]
    data: list[bytes]
    bad: int = 0
    first_bad: str | None = None


def _python_can_reader(path: str):
    """python-can's reader for the format the content says (not the extension), text
    opened through :func:`~app.hardware.logs.tables.open_text` (past a byte-order mark)."""
    import can

    head = _head(path)
    if sniff_blf(path, head):
        return can.BLFReader(path)
    for sniff, reader_class in (
        (sniff_trc, can.TRCReader),
        (sniff_asc, can.ASCReader),
        (sniff_candump, can.CanutilsLogReader),
    ):
        if sniff(path, head):
            fh = open_text(path)
            try:
                return reader_class(fh)
            except BaseException:
                fh.close()
                raise
    return can.LogReader(path)  # by its extension


def _read_python_can(path: str, progress) -> Frames:
    frames = Frames([], [], [])
    try:
        reader = _python_can_reader(path)
        total = getattr(reader, "object_count", None)
        with reader:
            for k, msg in enumerate(reader):
                if msg.is_error_frame or msg.is_remote_frame:
                    frames.bad += msg.is_error_frame
                    continue
                frames.timestamps.append(msg.timestamp)
                frames.ids.append(msg.arbitration_id)
                frames.data.append(bytes(msg.data))
                if progress is not None and k % 20000 == 0:
                    progress.update(0.8 * k / total if total else 0.0)
    except (ValueError, IndexError, KeyError, OSError, struct_error()) as exc:
        n = len(frames.ids)
        raise SchemaError(f"{path}: unreadable CAN log after {n} frames ({exc})") from None
    return frames


def struct_error():
    import struct

    return struct.error


def _read_foxbms_text(path: str, progress) -> Frames:
    frames = Frames([], [], [])
    size = max(os.path.getsize(path), 1)
    done = 0
    with open_text(path, encoding="ascii") as fh:
        for lineno, line in enumerate(fh, 1):
            done += len(line)
            if not line.strip():
                continue
            m = _FOXBMS_RE.match(line)
            if m is None or int(m.group(4)) != len(m.group(5).split()):
                frames.bad += 1
                frames.first_bad = frames.first_bad or f"line {lineno}: {line.strip()[:60]!r}"
                continue
            flags = m.group(3).split()
            if "E" in flags or "R" in flags:
                continue
            frames.timestamps.append(float(m.group(1)))
            frames.ids.append(int(m.group(2), 16))
            frames.data.append(bytes.fromhex(m.group(5)))
            if progress is not None and lineno % 20000 == 0:
                progress.update(0.8 * done / size)
    return frames


# --- decoding -----------------------------------------------------------------------
def dbc_beside(path: str, ids: set[int]) -> str | None:
    """The ``*.dbc`` beside the log ``path`` that decodes most of the frame ``ids`` (None:
    none decodes any)."""
    from app.hardware.can.dbc import load_dbc

    best: tuple[int, str] | None = None
    for candidate in sorted(
        glob.glob(os.path.join(os.path.dirname(os.path.abspath(path)), "*.dbc"))
    ):
        try:
            db = load_dbc(candidate)
        except SourceError:
            continue
        covered = len(ids & {m.frame_id for m in db.messages})
        if covered and (best is None or covered > best[0]):
            best = (covered, candidate)
    return best[1] if best else None


def _dbc_for(path: str, frames: Frames, dbc: str | None) -> str:
    if dbc is None:
        dbc = dbc_beside(path, set(frames.ids))
    if dbc is None:
        raise SchemaError(
            f"{path}: CAN frames without the BMS protocol's 0x356 and no DBC that decodes them; "
            "give one (--dbc pack.dbc: analyze, report and convert take it)"
        )
    return dbc


def _feed_all(frames: Frames, ids: list[int], feed, progress) -> tuple[int, int, int]:
    """(decoded, unknown, bad) frames after feeding all of them in order."""
    t0 = frames.timestamps[0]
    ok = unknown = bad = 0
    for k, (stamp, fid, data) in enumerate(zip(frames.timestamps, ids, frames.data, strict=True)):
        try:
            if feed(fid, data, max(stamp - t0, 0.0)):
                ok += 1
            else:
                unknown += 1
        except ValueError:
            bad += 1
        if progress is not None and k % 50000 == 0:
            progress.update(0.8 + 0.2 * k / len(ids))
    return ok, unknown, bad


@dataclass
class _Decoded:
    how: str
    block: object  #: SampleBlock or None
    counts: tuple[int, int, int]
    warnings: list[str]


def _decode_pylontech(frames: Frames, byte_order: str, progress) -> _Decoded:
    from app.hardware.can.pylontech import ByteOrder, PylontechDecoder
    from app.hardware.can.rows import RowAssembler

    rows = RowAssembler()
    decoder = PylontechDecoder(rows, ByteOrder.parse(byte_order))
    counts = _feed_all(frames, frames.ids, decoder.feed, progress)
    return _Decoded("BMS CAN protocol", rows.take_block(), counts, [])


def _decode_dbc(path: str, frames: Frames, dbc: str, mapping: str | None, progress) -> _Decoded:
    """Decode through a DBC exactly as the live bus does: the log's frames fed in order to
    the live decoder (:class:`~app.hardware.can.learning.SuggestingDbcDecoder`), so the
    same frames give the same samples: IVT-S results on moved ids recognised, messages
    whose frames decode to impossible values left out of a suggested mapping (with a
    warning), a saved mapping decoded as asked."""
    from app.hardware.can.dbc import load_dbc
    from app.hardware.can.learning import SuggestingDbcDecoder
    from app.hardware.can.mapping import CanMapping
    from app.hardware.can.rows import RowAssembler

    how = f"DBC {os.path.basename(dbc)}"
    try:
        db = load_dbc(dbc)
        saved = CanMapping.load(mapping) if mapping else None
    except SourceError as exc:
        raise SchemaError(f"{path}: {exc}") from None
    rows = RowAssembler()
    decoder = SuggestingDbcDecoder(db, rows, os.path.basename(dbc), dbc, saved=saved)
    counts = _feed_all(frames, frames.ids, decoder.feed, progress)
    decoder.finish()
    return _Decoded(how, rows.take_block(), counts, list(decoder.warnings))


def read_can_log(
    path: str,
    progress=None,
    *,
    dbc: str | None = None,
    mapping: str | None = None,
    byte_order: str = "little",
) -> LoadedLog:
    """Read and decode a CAN log (see the module docstring for how it is decoded)."""
    import pandas as pd

    from app.core.schema import validate_samples
    from app.hardware.can.pylontech import TRIGGER_ID

    if dbc is None:
        chosen = _dbc_choice.get()
        if chosen is not None:
            dbc, mapping = chosen
        elif os.environ.get(DBC_ENV):
            dbc = os.environ[DBC_ENV]
    frames = read_frames(path, progress)

    if not frames.ids:
        detail = f" (first bad {frames.first_bad})" if frames.first_bad else ""
        raise SchemaError(f"{path}: no CAN frames{detail}")
    if dbc is None and TRIGGER_ID in set(frames.ids):
        decoded = _decode_pylontech(frames, byte_order, progress)
    else:
        decoded = _decode_dbc(path, frames, _dbc_for(path, frames, dbc), mapping, progress)
    if decoded.block is None:
        why = "".join(f"; {w}" for w in decoded.warnings)
        raise SchemaError(
            f"{path}: {len(frames.ids)} CAN frames, but none gave pack voltage and current "
            f"through the {decoded.how}{why}"
        )
    frame = validate_samples(pd.DataFrame(dict(decoded.block.items())), origin=path)
    ok, unknown, bad = decoded.counts
    metadata = {
        "decoded_with": decoded.how,
        "frames_ok": str(ok),
        "frames_unknown": str(unknown),
        "frames_bad": str(bad + frames.bad),
    }
    if decoded.warnings:
        metadata["warnings"] = "\n".join(decoded.warnings)
    t0 = frames.timestamps[0]
    if t0 > 1e9:  # an absolute (epoch) time stamp
        metadata["start_utc"] = datetime.fromtimestamp(t0, UTC).isoformat()
    if progress is not None:
        progress.update(1.0)
    return LoadedLog(path=path, frame=frame, metadata=metadata)


def read_frames(path: str, progress=None) -> Frames:
    """The frames of a CAN log of any supported format, undecoded."""
    if sniff_foxbms_text(path, _head(path)):
        return _read_foxbms_text(path, progress)
    return _read_python_can(path, progress)


def _head(path: str) -> bytes:
    """The head of ``path`` as the sniffers see it (no byte-order mark)."""
    from app.hardware.logs.formats import read_head

    return without_bom(read_head(path))


def read(path: str, progress=None) -> LoadedLog:
    """The :mod:`~app.hardware.logs.formats` entry point for every CAN log format."""
    return read_can_log(path, progress)
