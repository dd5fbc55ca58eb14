"""The local spool: sample batches kept on disk while the database is unreachable.

One append-only file per recording and writing process, in
``<data dir>/spool/``, named ``<database key>-<recording id>-<pid>.spool``
(the key tells databases apart, the pid tells whether the writer still
runs). Each batch is one frame, flushed and fsync'd before the recorder
counts it as kept::

    b"BOSF" | u32 header length | u32 payload length | header (JSON) | payload | u32 CRC-32

The header says ``{"kind": "samples", "start_seq": …, "rows": …, "columns": […]}``
(payload: the columns as little-endian float64, one after the other) or
``{"kind": "end", "status": …, "ended_at": …}`` (the recorder closed while
the database was still away). A frame cut short by a crash fails its length
or CRC check and ends the reading: what came before it is intact.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.samples import SampleBlock
from app.core.settings import data_dir

log = logging.getLogger(__name__)

MAGIC = b"BOSF"
_HEAD = struct.Struct("<4sII")
_CRC = struct.Struct("<I")
SUFFIX = ".spool"


def spool_dir() -> Path:
    """``<data dir>/spool``; follows ``BATTERYOS_DATA_DIR``."""
    return data_dir() / "spool"


def database_key(display_url: str) -> str:
    """A short name of a database (its URL without password) for spool file names."""
    return hashlib.sha256(display_url.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class SpoolName:
    """What a spool file's name says."""

    path: Path
    db_key: str
    recording_id: int
    pid: int

    @classmethod
    def parse(cls, path: Path) -> SpoolName | None:
        parts = path.name.removesuffix(SUFFIX).split("-")
        if path.suffix != SUFFIX or len(parts) != 3:
            return None
        try:
            return cls(path, parts[0], int(parts[1]), int(parts[2]))
        except ValueError:
            return None


def spool_files(db_key: str) -> list[SpoolName]:
    """The spool files of database ``db_key``, oldest recording first."""
    directory = spool_dir()
    if not directory.is_dir():
        return []
    names = [SpoolName.parse(p) for p in directory.iterdir()]
    return sorted(
        (n for n in names if n is not None and n.db_key == db_key),
        key=lambda n: (n.recording_id, n.pid),
    )


@dataclass(frozen=True)
class EndMark:
    """The recorder was closed while the database was away: how to finish the recording."""

    status: str
    ended_at: str  # ISO 8601, UTC


#: Spool files a recorder of this process is writing (recovery leaves them alone).
_in_use: set[Path] = set()
_in_use_lock = threading.Lock()


def in_use(path: Path) -> bool:
    """Whether a live recorder of this process owns the spool file ``path``."""
    with _in_use_lock:
        return path in _in_use


class Spool:
    """The spool file of one recording in this process. Not thread-safe (the recorder's thread).

    Between :meth:`claim` and :meth:`release` the file is its recorder's: the
    start-up recovery of this process does not flush it.
    """

    def __init__(self, path: Path):
        self.path = path
        self._file = None

    @classmethod
    def for_recording(cls, display_url: str, recording_id: int) -> Spool:
        name = f"{database_key(display_url)}-{recording_id}-{os.getpid()}{SUFFIX}"
        return cls(spool_dir() / name)

    def claim(self) -> None:
        with _in_use_lock:
            _in_use.add(self.path)

    def release(self) -> None:
        with _in_use_lock:
            _in_use.discard(self.path)

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def append(self, start_seq: int, block: SampleBlock) -> None:
        """Add a batch (samples ``start_seq…``); on disk when this returns. Raises OSError."""
        columns = block.columns
        header = {"kind": "samples", "start_seq": start_seq, "rows": len(block), "columns": columns}
        payload = b"".join(np.ascontiguousarray(block[c], dtype="<f8").tobytes() for c in columns)
        self._write(header, payload)

    def append_end(self, status: str, ended_at: str) -> None:
        """Say how the recording ended (status, end time) for whoever flushes the spool."""
        self._write({"kind": "end", "status": status, "ended_at": ended_at}, b"")

    def _write(self, header: dict, payload: bytes) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "ab")  # noqa: SIM115 - kept open while spooling
        head = json.dumps(header).encode()
        body = head + payload
        frame = _HEAD.pack(MAGIC, len(head), len(payload)) + body + _CRC.pack(zlib.crc32(body))
        self._file.write(frame)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def remove(self) -> None:
        """Delete the file (everything in it is stored)."""
        self.close()
        self.path.unlink(missing_ok=True)


def read_spool(path: Path) -> Iterator[tuple[int, SampleBlock] | EndMark]:
    """The frames of a spool file in order: ``(start_seq, block)`` or an :class:`EndMark`.

    Stops at the first damaged frame (a write cut short by a crash), with a warning.
    """
    with open(path, "rb") as f:
        while True:
            head = f.read(_HEAD.size)
            if not head:
                return
            if len(head) < _HEAD.size:
                log.warning("%s: cut-short frame at the end ignored", path)
                return
            magic, head_len, payload_len = _HEAD.unpack(head)
            body = f.read(head_len + payload_len)
            crc = f.read(_CRC.size)
            if (
                magic != MAGIC
                or len(body) != head_len + payload_len
                or len(crc) != _CRC.size
                or _CRC.unpack(crc)[0] != zlib.crc32(body)
            ):
                log.warning("%s: damaged frame ignored with everything after it", path)
                return
            header = json.loads(body[:head_len])
            if header["kind"] == "end":
                yield EndMark(header["status"], header["ended_at"])
                continue
            rows, columns = int(header["rows"]), header["columns"]
            data = np.frombuffer(body, dtype="<f8", offset=head_len).reshape(len(columns), rows)
            yield int(header["start_seq"]), SampleBlock(dict(zip(columns, data, strict=True)))


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine."""
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would end the process on Windows
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
