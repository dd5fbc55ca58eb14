"""Start-up recovery: store what crashed or cut-off recorders left behind.

Run by :meth:`app.storage.database.Database.ensure_schema` (every start of
the GUI, ``record`` and ``db upgrade``):

1. Spool files of this database whose writing process is gone (see
   :mod:`app.storage.spool`) are written to the database in order and
   deleted; a recording whose spool says how it ended gets that status.
2. Recordings still marked ``recording`` whose writer ran on this machine
   and is gone (``kill -9``, power cut, crash) become ``interrupted``, with
   the end time of their last stored sample. Their samples stay readable.

A recording written by another machine is left alone: only that machine
can tell whether its writer still runs.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.core.errors import StorageError
from app.storage.database import Database
from app.storage.models import Recording, RecordingStatus, Sample
from app.storage.sample_writer import next_seq, write_samples
from app.storage.spool import (
    EndMark,
    database_key,
    in_use,
    process_alive,
    read_spool,
    spool_files,
)

log = logging.getLogger(__name__)


def this_host() -> str:
    """The name this machine writes into ``recordings.writer_host``."""
    return socket.gethostname()[:255]


@dataclass
class RecoveryReport:
    """What :func:`recover` did."""

    spooled_samples: int = 0  #: samples written from spool files
    spool_files: int = 0  #: spool files flushed and deleted
    interrupted: list[int] = field(default_factory=list)  #: recordings marked interrupted

    def __str__(self) -> str:
        parts = []
        if self.spool_files:
            parts.append(
                f"stored {self.spooled_samples} spooled samples from {self.spool_files} spool file(s)"
            )
        if self.interrupted:
            ids = ", ".join(str(i) for i in self.interrupted)
            parts.append(f"marked recording(s) {ids} interrupted")
        return "; ".join(parts)


def recover(db: Database) -> RecoveryReport:
    """Flush abandoned spool files, then mark abandoned recordings interrupted."""
    report = RecoveryReport()
    flush_abandoned_spools(db, report)
    report.interrupted = mark_interrupted_recordings(db)
    return report


def flush_abandoned_spools(db: Database, report: RecoveryReport | None = None) -> RecoveryReport:
    """Store the spool files of ``db`` whose writer process is gone; delete them after."""
    report = report or RecoveryReport()
    for spool in spool_files(database_key(db.display_url)):
        if in_use(spool.path) or (spool.pid != os.getpid() and process_alive(spool.pid)):
            continue  # its recorder is still at work (and flushes it itself)
        try:
            stored = _flush_file(db, spool.path, spool.recording_id)
        except StorageError as exc:
            if "no recording with id" not in str(exc):
                raise  # the database went away again: try at the next start
            orphan = spool.path.with_suffix(".orphan")
            spool.path.rename(orphan)
            log.warning("%s: recording was deleted; spool kept as %s", spool.path, orphan)
            continue
        spool.path.unlink(missing_ok=True)
        report.spool_files += 1
        report.spooled_samples += stored
    return report


def _flush_file(db: Database, path, recording_id: int) -> int:
    stored = next_seq(db, recording_id)  # a batch may have reached the database already
    written = 0
    end: EndMark | None = None
    for frame in read_spool(path):
        if isinstance(frame, EndMark):
            end = frame
            continue
        start, block = frame
        if start + len(block) <= stored:
            continue
        if start < stored:
            block = block.slice(stored - start, len(block))
            start = stored
        write_samples(db, recording_id, block, start)
        stored = start + len(block)
        written += len(block)
    if end is not None:
        with db.connect(write=True) as conn:
            conn.execute(
                update(Recording)
                .where(Recording.id == recording_id, Recording.status == RecordingStatus.RECORDING)
                .values(status=end.status, ended_at=datetime.fromisoformat(end.ended_at))
            )
    return written


def mark_interrupted_recordings(db: Database) -> list[int]:
    """Mark ``interrupted`` the recordings of this machine whose writer process is gone."""
    host = this_host()
    with db.connect() as conn:
        rows = conn.execute(
            select(Recording.id, Recording.writer_pid).where(
                Recording.status == RecordingStatus.RECORDING, Recording.writer_host == host
            )
        ).all()
    dead = [rid for rid, pid in rows if pid is not None and not process_alive(pid)]
    for rid in dead:
        count = next_seq(db, rid)
        with db.connect(write=True) as conn:
            started = conn.execute(select(Recording.started_at).where(Recording.id == rid)).scalar()
            span = 0.0
            if count:
                times = select(Sample.time_s).where(Sample.recording_id == rid)
                first = conn.execute(times.order_by(Sample.seq).limit(1)).scalar()
                last = conn.execute(times.where(Sample.seq == count - 1)).scalar()
                if first is not None and last is not None:
                    span = max(0.0, last - first)
            conn.execute(
                update(Recording)
                .where(Recording.id == rid, Recording.status == RecordingStatus.RECORDING)
                .values(
                    status=RecordingStatus.INTERRUPTED,
                    ended_at=started + timedelta(seconds=span),
                    sample_count=count,
                )
            )
        log.warning("recording %s: its writer is gone; marked interrupted", rid)
    return dead
