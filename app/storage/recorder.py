"""The recorder: stores a live stream of sample blocks in batches.

The acquisition thread calls :meth:`Recorder.append` for every block; that
only queues the block (no database work on the acquisition thread). A writer
thread stores the queue in batches — at the latest ``flush_interval_s`` after
a block arrived, or as soon as ``batch_rows`` samples wait. A failed write
keeps the samples queued and is retried with back-off, so a database hiccup
(server restart, locked SQLite file) costs no data; the error is kept in
:attr:`Recorder.last_error` and the state shows :attr:`RecorderState.RETRYING`.

Usage::

    recorder = Recorder(db, "sim://nmc?cells=4", spec.to_dict())
    acquisition.sinks.append(recorder.append)
    ...
    recorder.close()          # writes the rest, marks the recording complete
"""

from __future__ import annotations

import collections
import logging
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
from app.storage.sample_writer import next_seq, write_samples

log = logging.getLogger(__name__)

#: Signature of the function that stores one batch (that of :func:`write_samples`).
Writer = Callable[[Database, int, SampleBlock, int], Any]


class RecorderState(StrEnum):
    RECORDING = "recording"  # writer running, last write succeeded
    RETRYING = "retrying"  # last write failed; samples kept, retrying with back-off
    CLOSED = "closed"  # everything stored, recording marked complete/interrupted
    FAILED = "failed"  # close() gave up: samples not stored remain in memory


class Recorder:
    """Record blocks into a new row of ``recordings`` and its samples.

    The recording row is created at construction (``status = recording``);
    :class:`StorageError` if that fails. ``state``, ``last_error``,
    ``samples_written`` and ``pending_rows`` may be read from any thread.

    ``last_error`` keeps the most recent write error even after a later write
    succeeded (the state then is back to ``recording``), so a transient
    failure stays visible.

    ``writer`` replaces :func:`write_samples` (tests inject failures with it).
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
        self._written_rows = 0  # rows stored; also the seq of the next sample
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
        return self._written_rows

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
            f"written={self._written_rows}, pending={self._pending_rows})"
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
            while self._written_rows < target and self._thread.is_alive():
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return self._written_rows >= target

    def close(
        self, timeout: float | None = 30.0, status: RecordingStatus = RecordingStatus.COMPLETE
    ) -> None:
        """Store what is queued, mark the recording ``status`` with its
        ``ended_at`` and ``sample_count``, and join the writer thread.

        If the database stays unreachable for ``timeout`` seconds the writer
        gives up: the state becomes ``failed``, the unstored samples stay in
        :attr:`pending_rows`, and :class:`StorageError` is raised. Calling
        ``close`` again is harmless.
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
            or (self._flush_target is not None and self._written_rows < self._flush_target)
            or now - self._pending[0][1] >= self.flush_interval_s
        )

    def _run(self) -> None:
        backoff = self.retry_initial_s
        retry_at = 0.0  # no attempt before this (monotonic), after a failure
        while True:
            with self._cond:
                while True:
                    now = time.monotonic()
                    if self._closing and now >= self._close_deadline:
                        self._state = RecorderState.FAILED
                        self._cond.notify_all()
                        return
                    if now < retry_at:
                        self._cond.wait(min(retry_at, self._close_deadline) - now)
                        continue
                    if self._due(now) or (self._closing and not self._pending_rows):
                        break
                    timeout = None
                    if self._pending_rows:
                        timeout = self._pending[0][1] + self.flush_interval_s - now
                    if self._closing:
                        timeout = min(timeout or float("inf"), self._close_deadline - now)
                    self._cond.wait(timeout)
                batch, finishing = self._take_batch()

            try:
                if batch:
                    self._store(batch)
                elif finishing:
                    self._finish()
            except Exception as exc:  # any failure: keep the data, retry
                if not isinstance(exc, StorageError):
                    log.exception("recorder %s: writing failed", self.recording_id)
                self._last_error = str(exc) or type(exc).__name__
                self._state = RecorderState.RETRYING
                self._resync = True
                retry_at = time.monotonic() + backoff
                backoff = min(backoff * 2, self.retry_max_s)
                log.warning(
                    "recorder %s: %s (retrying; %d samples kept)",
                    self.recording_id,
                    self._last_error,
                    self._pending_rows,
                )
                continue
            backoff = self.retry_initial_s
            retry_at = 0.0
            with self._cond:
                if self._state is RecorderState.RETRYING:
                    self._state = RecorderState.RECORDING
                if finishing and not batch:
                    self._state = RecorderState.CLOSED
                    self._cond.notify_all()
                    return
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
        self._writer(self.db, self.recording_id, block, self._written_rows)
        with self._cond:
            for _ in batch:
                self._pending.popleft()
            self._pending_rows -= len(block)
            self._written_rows += len(block)

    def _skip_stored(self, stored: int) -> None:
        with self._cond:
            while self._pending and self._written_rows < stored:
                head, arrived = self._pending[0]
                skip = min(len(head), stored - self._written_rows)
                if skip == len(head):
                    self._pending.popleft()
                else:
                    self._pending[0] = (head.slice(skip, len(head)), arrived)
                self._pending_rows -= skip
                self._written_rows += skip

    def _finish(self) -> None:
        with self.db.connect(write=True) as conn:
            conn.execute(
                update(Recording)
                .where(Recording.id == self.recording_id)
                .values(
                    status=self._final_status,
                    ended_at=datetime.now(UTC),
                    sample_count=self._written_rows,
                )
            )
