"""The recorder: stores a live stream of sample blocks in batches.

The acquisition thread calls :meth:`Recorder.append` for every block; that
only queues the block (no database work on the acquisition thread). A writer
thread stores the queue in batches — at the latest ``flush_interval_s`` after
a block arrived, or as soon as ``batch_rows`` samples wait.

When a write fails (server stopped, network gone, locked SQLite file) the
batch goes to the local spool (:mod:`app.storage.spool`, fsync'd files in the
user data directory) and so does every later batch, each within
``flush_interval_s``: the state is :attr:`RecorderState.SPOOLING` and
:attr:`Recorder.spooled_rows` counts what waits there. The database is tried
again with back-off; when it answers, the spool is written to it in order,
deleted, and recording goes on into the database. A spool left by a process
that died is stored at the next start (:mod:`app.storage.recovery`). If the
spool cannot be written either (disk full), samples stay queued in memory and
the state is :attr:`RecorderState.RETRYING`. The last error is kept in
:attr:`Recorder.last_error`.

Usage::

    recorder = Recorder(db, "sim://nmc?cells=4", spec.to_dict())
    acquisition.sinks.append(recorder.append)
    ...
    recorder.close()          # writes the rest, marks the recording complete
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import update

from app.core.errors import StorageError
from app.core.samples import SampleBlock
from app.storage.database import Database
from app.storage.models import Recording, RecordingStatus
from app.storage.recovery import this_host
from app.storage.sample_writer import next_seq, write_samples
from app.storage.spool import Spool, read_spool

log = logging.getLogger(__name__)

#: Signature of the function that stores one batch (that of :func:`write_samples`).
Writer = Callable[[Database, int, SampleBlock, int], Any]


class RecorderState(StrEnum):
    RECORDING = "recording"  # writer running, last write succeeded
    SPOOLING = "spooling"  # database unreachable: batches go to the local spool; retrying
    RETRYING = "retrying"  # last write failed, no spool either; samples kept in memory
    CLOSED = "closed"  # everything stored, recording marked complete/interrupted
    SPOOLED = "spooled"  # close() gave up on the database: the rest is in the spool
    FAILED = "failed"  # close() gave up: samples not stored remain in memory


class _Action(StrEnum):
    STORE = "store"  # write a batch to the database
    SPOOL = "spool"  # write a batch to the spool
    DRAIN = "drain"  # write the spool to the database
    FINISH = "finish"  # mark the recording complete
    GIVE_UP = "give_up"  # close() timed out


class Recorder:
    """Record blocks into a new row of ``recordings`` and its samples.

    The recording row is created at construction (``status = recording``);
    :class:`StorageError` if that fails. ``state``, ``last_error``,
    ``samples_written`` and ``pending_rows`` may be read from any thread.

    ``last_error`` keeps the most recent write error even after a later write
    succeeded (the state then is back to ``recording``), so a transient
    failure stays visible.

    ``writer`` replaces :func:`write_samples` (tests inject failures with it).
    ``spool=False`` keeps unstored samples in memory only.
    """

    def __init__(
        self,
        db: Database,
        source_url: str,
        spec: Mapping[str, Any] | None = None,
        notes: str = "",
        *,
        flush_interval_s: float = 1.0,
        batch_rows: int = 50_000,
        retry_initial_s: float = 0.25,
        retry_max_s: float = 10.0,
        writer: Writer | None = None,
        spool: bool = True,
    ):
        if flush_interval_s <= 0 or batch_rows < 1:
            raise ValueError("flush_interval_s and batch_rows must be positive")
        self.db = db
        self.source_url = source_url
        self.flush_interval_s = float(flush_interval_s)
        self.batch_rows = int(batch_rows)
        self.retry_initial_s = float(retry_initial_s)
        self.retry_max_s = float(retry_max_s)
        self._writer: Writer = writer or write_samples

        with db.session(write=True) as session:
            recording = Recording(
                started_at=datetime.now(UTC),
                source_url=source_url,
                spec=dict(spec) if spec is not None else None,
                notes=notes,
                status=RecordingStatus.RECORDING,
                sample_count=0,
                columns=[],
                writer_host=this_host(),
                writer_pid=os.getpid(),
            )
            session.add(recording)
            session.flush()
            #: Id of the row in ``recordings``.
            self.recording_id: int = recording.id

        self._cond = threading.Condition()
        # Queued blocks with the monotonic time each arrived.
        self._pending: collections.deque[tuple[SampleBlock, float]] = collections.deque()
        self._pending_rows = 0
        self._appended_rows = 0  # rows ever appended
        self._next_seq = 0  # rows taken off the queue (stored or spooled): seq of the next
        self._stored_rows = 0  # rows stored in the database (the first ones, in seq order)
        self._spool: Spool | None = (
            Spool.for_recording(db.display_url, self.recording_id) if spool else None
        )
        self._flush_target: int | None = None  # flush() asks: store up to this many appended rows
        self._closing = False
        self._close_deadline = float("inf")
        self._final_status = RecordingStatus.COMPLETE
        self._state = RecorderState.RECORDING
        self._last_error: str | None = None
        self._resync = False  # after a failure: ask the DB what was stored
        self._thread = threading.Thread(
            target=self._run, name=f"recorder-{self.recording_id}", daemon=True
        )
        self._thread.start()

    # --- status (any thread) --------------------------------------------------
    @property
    def state(self) -> RecorderState:
        return self._state

    @property
    def last_error(self) -> str | None:
        return self._last_error

    @property
    def samples_written(self) -> int:
        """Samples stored in the database so far."""
        return self._stored_rows

    @property
    def spooled_rows(self) -> int:
        """Samples in the local spool, waiting for the database."""
        return self._next_seq - self._stored_rows

    @property
    def spool_path(self) -> str | None:
        """The spool file of this recording (it exists only while something is spooled)."""
        return str(self._spool.path) if self._spool is not None else None

    @property
    def samples_appended(self) -> int:
        """Samples handed to :meth:`append` so far."""
        return self._appended_rows

    @property
    def pending_rows(self) -> int:
        """Samples queued and not yet stored."""
        return self._pending_rows

    @property
    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def __repr__(self) -> str:
        return (
            f"Recorder(recording_id={self.recording_id}, state={self._state}, "
            f"stored={self._stored_rows}, spooled={self.spooled_rows}, "
            f"pending={self._pending_rows})"
        )

    # --- acquisition side -------------------------------------------------------
    def append(self, block: SampleBlock) -> None:
        """Queue ``block`` for writing. Cheap; called from the acquisition thread.

        Raises :class:`StorageError` after :meth:`close`.
        """
        n = len(block)
        if n == 0:
            return
        with self._cond:
            if self._closing:
                raise StorageError(f"recording {self.recording_id} is closed")
            self._pending.append((block, time.monotonic()))
            self._appended_rows += n
            was_empty = self._pending_rows == 0
            self._pending_rows += n
            # Wake the writer only when its deadline changes: first block of a
            # batch (starts the flush timer) or the batch is full.
            if was_empty or self._pending_rows >= self.batch_rows > self._pending_rows - n:
                self._cond.notify_all()

    __call__ = append  # a Recorder is itself an acquisition sink

    # --- control ------------------------------------------------------------------
    def flush(self, timeout: float | None = None) -> bool:
        """Store everything appended so far now; wait up to ``timeout`` seconds.

        Returns True when it is all stored (False on timeout, e.g. while the
        database is unreachable; the samples stay queued).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._appended_rows
            self._flush_target = max(self._flush_target or 0, target)
            self._cond.notify_all()
            while self._stored_rows < target and self._thread.is_alive():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return self._stored_rows >= target

    def close(
        self, timeout: float | None = 30.0, status: RecordingStatus = RecordingStatus.COMPLETE
    ) -> None:
        """Store what is queued, mark the recording ``status`` with its
        ``ended_at`` and ``sample_count``, and join the writer thread.

        If the database stays unreachable for ``timeout`` seconds the writer
        gives up on it: what is queued goes to the spool with the end status
        (state ``spooled``; stored at the next start, see
        :mod:`app.storage.recovery`). Without a usable spool the state
        becomes ``failed``, the unstored samples stay in :attr:`pending_rows`,
        and :class:`StorageError` is raised. Calling ``close`` again is harmless.
        """
        with self._cond:
            if not self._closing:
                self._closing = True
                self._final_status = status
            if timeout is not None:
                self._close_deadline = min(self._close_deadline, time.monotonic() + timeout)
            self._cond.notify_all()
        self._thread.join()
        if self._state is RecorderState.FAILED:
            if self._pending_rows:
                what = f"{self._pending_rows} samples could not be stored"
            else:
                what = f"could not be marked {self._final_status}"
            raise StorageError(
                f"recording {self.recording_id}: {what} in {self.db.display_url}: "
                f"{self._last_error}"
            )

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        status = RecordingStatus.COMPLETE if exc_type is None else RecordingStatus.INTERRUPTED
        self.close(status=status)

    # --- writer thread ----------------------------------------------------------
    def _due(self, now: float) -> bool:
        """Whether queued samples should be written now (lock held)."""
        if not self._pending_rows:
            return False
        return (
            self._closing
            or self._pending_rows >= self.batch_rows
            or (self._flush_target is not None and self._stored_rows < self._flush_target)
            or now - self._pending[0][1] >= self.flush_interval_s
        )

    def _next_action(self, retry_at: float) -> _Action:
        """Wait for something to do and say what (lock held)."""
        while True:
            now = time.monotonic()
            if self._closing and now >= self._close_deadline:
                return _Action.GIVE_UP
            db_ready = now >= retry_at
            spool_usable = self._spool is not None
            if db_ready and self.spooled_rows:
                return _Action.DRAIN
            if self._due(now):
                if db_ready:
                    return _Action.STORE
                if spool_usable:
                    return _Action.SPOOL
            if self._closing and not self._pending_rows and not self.spooled_rows and db_ready:
                return _Action.FINISH
            wake = []
            if not db_ready:
                wake.append(retry_at)
            if self._pending_rows and (db_ready or spool_usable):
                wake.append(self._pending[0][1] + self.flush_interval_s)
            if self._closing:
                wake.append(self._close_deadline)
            self._cond.wait(max(0.0, min(wake) - now) if wake else None)

    def _run(self) -> None:
        spool = self._spool
        if spool is not None:
            spool.claim()
        try:
            self._write_loop()
        finally:
            if spool is not None:
                spool.close()
                spool.release()  # what is left in it is for recovery now

    def _write_loop(self) -> None:
        backoff = self.retry_initial_s
        retry_at = 0.0  # no database attempt before this (monotonic), after a failure
        while True:
            with self._cond:
                action = self._next_action(retry_at)
                batch = self._take_batch()[0] if action in (_Action.STORE, _Action.SPOOL) else []
            if action is _Action.GIVE_UP:
                self._give_up()
                return
            if action is _Action.SPOOL:
                self._spool_batch(batch)
                continue
            try:
                if action is _Action.DRAIN:
                    self._drain_spool()
                elif action is _Action.STORE:
                    self._store(batch)
                else:
                    self._finish()
            except Exception as exc:  # any failure: keep the data, retry
                if not isinstance(exc, StorageError):
                    log.exception("recorder %s: writing failed", self.recording_id)
                self._last_error = str(exc) or type(exc).__name__
                self._resync = True
                retry_at = time.monotonic() + backoff
                backoff = min(backoff * 2, self.retry_max_s)
                if action is _Action.STORE:
                    self._spool_batch(batch)  # this batch waits on disk, not in memory
                with self._cond:
                    if self._state is RecorderState.RECORDING:
                        self._state = (
                            RecorderState.SPOOLING if self.spooled_rows else RecorderState.RETRYING
                        )
                log.warning(
                    "recorder %s: %s (retrying; %d samples spooled, %d queued)",
                    self.recording_id,
                    self._last_error,
                    self.spooled_rows,
                    self._pending_rows,
                )
                continue
            backoff = self.retry_initial_s
            retry_at = 0.0
            with self._cond:
                if self._state in (RecorderState.RETRYING, RecorderState.SPOOLING):
                    self._state = RecorderState.RECORDING
                if action is _Action.FINISH:
                    self._state = RecorderState.CLOSED
                    self._cond.notify_all()
                    return
                self._cond.notify_all()

    def _spool_batch(self, batch: list[SampleBlock]) -> None:
        """Move ``batch`` (the head of the queue) into the spool; on failure it stays queued."""
        if self._spool is None or not batch:
            return
        block = batch[0] if len(batch) == 1 else SampleBlock.concat(batch)
        try:
            self._spool.append(self._next_seq, block)
        except OSError as exc:
            self._last_error = f"cannot write the spool {self._spool.path}: {exc.strerror or exc}"
            log.error("recorder %s: %s", self.recording_id, self._last_error)
            self._spool.close()
            self._spool = None  # from now on, samples wait in memory
            with self._cond:
                self._state = RecorderState.RETRYING
            return
        with self._cond:
            for _ in batch:
                self._pending.popleft()
            self._pending_rows -= len(block)
            self._next_seq += len(block)
            if self._state is RecorderState.RECORDING or self._state is RecorderState.RETRYING:
                self._state = RecorderState.SPOOLING
            self._cond.notify_all()

    def _drain_spool(self) -> None:
        """Write the spool to the database in order, then delete it."""
        assert self._spool is not None
        stored = next_seq(self.db, self.recording_id)  # what a lost COMMIT may have stored
        try:
            for frame in read_spool(self._spool.path):
                if not isinstance(frame, tuple):
                    continue
                start, block = frame
                if start + len(block) <= stored:
                    continue
                if start < stored:
                    block, start = block.slice(stored - start, len(block)), stored
                self._writer(self.db, self.recording_id, block, start)
                stored = start + len(block)
        finally:
            with self._cond:  # progress so far (if the database fails again midway)
                self._stored_rows = max(self._stored_rows, min(stored, self._next_seq))
        with self._cond:
            if stored < self._next_seq:  # the file lost frames (damaged): say so, go on
                self._last_error = (
                    f"spool {self._spool.path}: samples {stored}..{self._next_seq - 1} unreadable"
                )
                log.error("recorder %s: %s", self.recording_id, self._last_error)
            self._spool.remove()
            self._stored_rows = self._next_seq
            self._resync = False
            self._state = RecorderState.RECORDING  # before flush() waiters wake
            self._cond.notify_all()

    def _give_up(self) -> None:
        """close() timed out: queued samples and the end status go to the spool, if any."""
        while self._spool is not None and self._pending_rows:
            with self._cond:
                batch = self._take_batch()[0]
            self._spool_batch(batch)
        with self._cond:
            # Even with nothing left to store, the end status must reach the
            # database some day: the spool carries it to the next start.
            spooled = self._spool is not None and not self._pending_rows
            if spooled:
                try:
                    self._spool.append_end(self._final_status, datetime.now(UTC).isoformat())
                    self._spool.close()
                except OSError as exc:
                    self._last_error = f"cannot write the spool: {exc.strerror or exc}"
                    spooled = False
            self._state = RecorderState.SPOOLED if spooled else RecorderState.FAILED
            self._cond.notify_all()

    def _take_batch(self) -> tuple[list[SampleBlock], bool]:
        """The oldest queued blocks, about ``batch_rows`` samples (lock held).

        The blocks stay queued until they are stored.
        """
        batch: list[SampleBlock] = []
        rows = 0
        for block, _ in self._pending:
            if batch and rows + len(block) > self.batch_rows:
                break
            batch.append(block)
            rows += len(block)
        return batch, self._closing and rows == self._pending_rows

    def _store(self, batch: list[SampleBlock]) -> None:
        if self._resync:
            # A failed commit may still have reached the database (the
            # connection died after COMMIT); skip what is already there
            # rather than fail forever on duplicate sample numbers.
            self._skip_stored(next_seq(self.db, self.recording_id))
            self._resync = False
            with self._cond:
                batch, _ = self._take_batch()
            if not batch:
                return
        block = batch[0] if len(batch) == 1 else SampleBlock.concat(batch)
        self._writer(self.db, self.recording_id, block, self._next_seq)
        with self._cond:
            for _ in batch:
                self._pending.popleft()
            self._pending_rows -= len(block)
            self._next_seq += len(block)
            self._stored_rows = self._next_seq
            if self._state in (RecorderState.RETRYING, RecorderState.SPOOLING):
                self._state = RecorderState.RECORDING  # before flush() waiters wake

    def _skip_stored(self, stored: int) -> None:
        with self._cond:
            while self._pending and self._next_seq < stored:
                head, arrived = self._pending[0]
                skip = min(len(head), stored - self._next_seq)
                if skip == len(head):
                    self._pending.popleft()
                else:
                    self._pending[0] = (head.slice(skip, len(head)), arrived)
                self._pending_rows -= skip
                self._next_seq += skip
                self._stored_rows = self._next_seq

    def _finish(self) -> None:
        with self.db.connect(write=True) as conn:
            conn.execute(
                update(Recording)
                .where(Recording.id == self.recording_id)
                .values(
                    status=self._final_status,
                    ended_at=datetime.now(UTC),
                    sample_count=self._stored_rows,
                )
            )
