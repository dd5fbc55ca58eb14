"""A sink that forwards blocks to a recorder while recording is on.

Qt-free: it runs in the acquisition thread. Recording can start and stop
while the stream runs, and a failing database must not stop the stream: the
first error detaches the recorder and is kept for the GUI to show.

Opening the database takes a while (and the stream does not wait for it):
:meth:`RecordingSink.arm` starts keeping the blocks at once, when Record is
pressed, and :meth:`RecordingSink.attach` hands them to the recorder first,
so nothing that arrives after Record is lost. Blocks from before Record are
not recorded.

What is kept meanwhile is a :class:`Backlog` with a cap: the first
``memory_bytes`` in memory (32 MiB: some 5 h of a 16-cell pack logged at
10 Hz, 40 s of a 1 kHz CAN capture of 100 channels), the rest spilled to an
unlinked file in the data directory up to ``disk_bytes``. Only past both (or
when the disk refuses) are blocks dropped, the newest ones: the recording
keeps its start, where Record was pressed, and the drop is said
(:attr:`RecordingSink.problem`), never silent. The backlog reaches the recorder
in chunks, each stored before the next is read back, so a long backlog never
sits in memory whole.
"""

from __future__ import annotations

import collections
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from app.core.number_text import format_elapsed, recording_time_text
from app.core.samples import SampleBlock

#: What a backlog keeps in memory before it spills to disk, and on disk before it drops.
BACKLOG_MEMORY_BYTES = 32 * 2**20
BACKLOG_DISK_BYTES = 2 * 2**30
#: The backlog goes to the recorder in chunks of this size, each stored (or spooled)
#: before the next is read back; a chunk waits at most this long for the database.
CATCH_UP_CHUNK_BYTES = 4 * 2**20
CATCH_UP_WAIT_S = 5.0


class BlockRecorder(Protocol):
    """What the sink needs of :class:`app.storage.Recorder` (``flush`` is optional)."""

    def append(self, block: SampleBlock) -> None: ...

    def close(self, timeout: float | None = ...) -> None: ...


#: What an array costs in memory besides its values (numpy's object header and the
#: block's dict entry): a 10-sample block of 40 columns is 3.2 kB of values and 5 kB
#: of these.
ARRAY_OVERHEAD_BYTES = 128


def _nbytes(block: SampleBlock) -> int:
    """What ``block`` holds in memory."""
    return sum(values.nbytes + ARRAY_OVERHEAD_BYTES for _name, values in block.items())


def _megabytes(n: int) -> str:
    return f"{n / 2**20:,.0f} MB" if n >= 2**20 else f"{n / 2**10:,.0f} kB"


def _default_spill_dir() -> Path:
    from app.core.settings import data_dir

    return data_dir()


class Backlog:
    """Blocks waiting for a recorder, oldest first: in memory up to ``memory_bytes``,
    then in a spill file up to ``disk_bytes``; past that the block is dropped and
    counted. Not thread-safe (the sink's lock guards it)."""

    def __init__(
        self,
        memory_bytes: int = BACKLOG_MEMORY_BYTES,
        disk_bytes: int = BACKLOG_DISK_BYTES,
        spill_dir: Callable[[], Path] = _default_spill_dir,
    ):
        self.memory_limit = int(memory_bytes)
        self.disk_limit = int(disk_bytes)
        self._spill_dir = spill_dir
        # each entry: (samples, bytes, the block in memory, or its columns' names in the
        # spill file, and its offset there)
        self._entries: collections.deque[tuple[int, int, SampleBlock | tuple, int]] = (
            collections.deque()
        )
        self._layout: tuple = ()  # the last spilled block's columns (shared by the next)
        self._file = None
        self._file_end = 0  # the spill file's size, at most disk_limit
        self._write_at = 0  # where the next spilled block goes
        self._spilled_at: collections.deque[int] = collections.deque()  # waiting, oldest first
        self._spill_error: str | None = None
        self.samples = 0  #: waiting, in memory and on disk
        self.memory_bytes = 0
        self.disk_bytes = 0
        self.spilled = False  #: a block went to disk
        self.dropped = 0  #: samples dropped (no room anywhere)
        self.dropped_span: tuple[float, float] | None = None  #: their first and last time_s

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, block: SampleBlock) -> None:
        n, size = len(block), _nbytes(block)
        if n == 0:
            return
        if self.memory_bytes + size <= self.memory_limit:
            self._entries.append((n, size, block, -1))
            self.memory_bytes += size
        elif self._spill(block, n):
            pass
        else:
            self._drop(block, n)
            return
        self.samples += n

    def _spill_offset(self, nbytes: int) -> int | None:
        """Where ``nbytes`` more go in the spill file with its size kept to the cap: after
        the last block spilled, else (past the cap) from the file's start up to the
        oldest block still waiting there, a ring; None without room."""
        if not self._spilled_at:  # nothing spilled waits: the file starts over
            return 0 if nbytes <= self.disk_limit else None
        oldest, at = self._spilled_at[0], self._write_at
        if oldest < at:  # the waiting blocks run from oldest to at
            if at + nbytes <= self.disk_limit:
                return at
            return 0 if nbytes <= oldest else None
        # wrapped: from oldest to the file's end, then from its start to at
        return at if at + nbytes <= oldest else None

    def _spill(self, block: SampleBlock, n: int) -> bool:
        if self._spill_error is not None:
            return False
        layout = tuple(block.columns)  # (float64 each, as SampleBlock has them)
        offset = self._spill_offset(sum(block[name].nbytes for name in layout))
        if offset is None:
            return False
        try:
            if self._file is None:
                folder = self._spill_dir()
                folder.mkdir(parents=True, exist_ok=True)
                # unlinked at once: nothing is left behind, even by a crash
                self._file = tempfile.TemporaryFile(  # noqa: SIM115 - open until close()
                    prefix="record-backlog-", dir=folder
                )
            if layout == self._layout:
                layout = self._layout  # one tuple for the blocks of a stream
            self._layout = layout
            payload = b"".join(block[name].tobytes() for name in layout)
            self._file.seek(offset)
            self._file.write(payload)
        except OSError as exc:
            self._spill_error = f"{type(exc).__name__}: {exc}"
            return False
        self._entries.append((n, len(payload), layout, offset))
        self._spilled_at.append(offset)
        self._write_at = offset + len(payload)
        self._file_end = max(self._file_end, self._write_at)
        self.disk_bytes += len(payload)
        self.spilled = True
        return True

    def _drop(self, block: SampleBlock, n: int) -> None:
        self.dropped += n
        time = block.get("time_s")
        if time is not None and len(time):
            first = self.dropped_span[0] if self.dropped_span else float(time[0])
            self.dropped_span = (first, float(time[-1]))

    def take(self, max_bytes: int | None = None) -> list[SampleBlock]:
        """The oldest blocks, about ``max_bytes`` of them (at least one; all for None),
        out of the backlog."""
        blocks: list[SampleBlock] = []
        taken = 0
        entries = self._entries
        while entries and (max_bytes is None or not blocks or taken < max_bytes):
            n, size, block, offset = entries.popleft()
            if isinstance(block, SampleBlock):
                self.memory_bytes -= size
            else:  # in the spill file, with the next ones of its kind (one read, one block)
                layout, count = block, 1
                self._spilled_at.popleft()
                while (
                    entries
                    and entries[0][0] == n
                    and entries[0][2] is layout
                    and entries[0][3] == offset + count * size  # (not wrapped round)
                    and (max_bytes is None or taken + (count + 1) * size <= max_bytes)
                ):
                    entries.popleft()
                    self._spilled_at.popleft()
                    count += 1
                block = self._read(n, count, size, layout, offset)
                self.disk_bytes -= count * size
                n, size = n * count, size * count
            self.samples -= n
            taken += size
            blocks.append(block)
        if not self._spilled_at and self._file_end:  # nothing spilled left: start over
            self._file.truncate(0)
            self._file_end = self._write_at = 0
        return blocks

    def _read(self, n: int, count: int, size: int, layout: tuple, offset: int) -> SampleBlock:
        """``count`` spilled blocks of ``n`` samples in ``layout`` from ``offset`` on,
        as one block."""
        buffer = bytearray(count * size)
        self._file.seek(offset)
        self._file.readinto(buffer)
        # blocks x columns x samples in the file: columns x samples, in one copy
        table = np.frombuffer(buffer, dtype=np.float64).reshape(count, len(layout), n)
        table = table.transpose(1, 0, 2).reshape(len(layout), count * n)
        return SampleBlock({name: table[i] for i, name in enumerate(layout)})

    def close(self) -> None:
        """Forget what is left and delete the spill file."""
        self._entries.clear()
        self.samples = self.memory_bytes = self.disk_bytes = self._file_end = self._write_at = 0
        self._spilled_at.clear()
        if self._file is not None:
            self._file.close()
            self._file = None

    def where(self) -> str:
        """Where the waiting samples are: "12,000 samples waiting (3 MB on disk)"."""
        text = f"{self.samples:,} samples waiting"
        return f"{text} ({_megabytes(self.disk_bytes)} on disk)" if self.disk_bytes else text

    def problem(self) -> str | None:
        """What was dropped and why (None while nothing was)."""
        if not self.dropped:
            return None
        why = (
            f"the disk refused the overflow ({self._spill_error})"
            if self._spill_error
            else f"{_megabytes(self.memory_limit)} in memory and "
            f"{_megabytes(self.disk_limit)} on disk were full"
        )
        span = ""
        if self.dropped_span is not None:
            first, last = self.dropped_span
            span = f" ({recording_time_text(first)} to {format_elapsed(last, 1)})"
        return f"{self.dropped:,} samples{span} not recorded while the database opened: {why}"


class RecordingSink:
    """Callable sink: ``sink(block)`` appends to the attached recorder, if any.

    ``memory_bytes`` and ``disk_bytes`` cap the :class:`Backlog` kept while the
    database opens; ``spill_dir`` (default: the data directory) holds its spill file.
    """

    def __init__(
        self,
        *,
        memory_bytes: int = BACKLOG_MEMORY_BYTES,
        disk_bytes: int = BACKLOG_DISK_BYTES,
        spill_dir: Callable[[], Path] = _default_spill_dir,
    ) -> None:
        self._lock = threading.Lock()
        self._recorder: BlockRecorder | None = None
        self._failed: BlockRecorder | None = None
        self._error: str | None = None
        self._armed = False
        self._generation = 0  # which arm() the backlog and an attach belong to
        self._limits = (memory_bytes, disk_bytes, spill_dir)
        self._backlog = Backlog(*self._limits)  # blocks since arm(), until a recorder is attached
        self._problem: str | None = None  # what the last backlog dropped
        self.samples_written = 0

    @property
    def recording(self) -> bool:
        return self._recorder is not None

    @property
    def recorder(self) -> BlockRecorder | None:
        return self._recorder

    def take_error(self) -> str | None:
        """Why recording stopped by itself since the last call (None while fine)."""
        with self._lock:
            error, self._error = self._error, None
            return error

    @property
    def buffered_samples(self) -> int:
        """Samples kept since :meth:`arm`, waiting for a recorder."""
        with self._lock:
            return self._backlog.samples

    @property
    def backlog_text(self) -> str | None:
        """Where the samples waiting for a recorder are (None while none wait)."""
        with self._lock:
            return self._backlog.where() if self._backlog.samples else None

    @property
    def problem(self) -> str | None:
        """Samples of this recording that were dropped while its database opened, said
        until the next :meth:`arm` (None: none)."""
        with self._lock:
            return self._backlog.problem() or self._problem

    def forget_problem(self) -> None:
        """Forget what an earlier recording dropped (a new source: not its news)."""
        with self._lock:
            self._problem = None
            if not self._armed:
                self._backlog.close()
                self._backlog = Backlog(*self._limits)

    def arm(self) -> int:
        """Keep every block from now on until :meth:`attach` (the database is being opened).

        Returns the arming's number, for :meth:`attach`."""
        with self._lock:
            self._backlog.close()
            self._armed = True
            self._generation += 1
            self._backlog = Backlog(*self._limits)
            self._problem = None
            return self._generation

    def disarm(self) -> Backlog:
        """Stop keeping blocks for a recorder to come, and stop forwarding to one that an
        :meth:`attach` of this arming attached; returns the blocks kept so far (the
        caller hands them on with :func:`feed` and closes the backlog)."""
        with self._lock:
            backlog, self._backlog = self._backlog, Backlog(*self._limits)
            self._problem = backlog.problem() or self._problem
            self._armed = False
            self._generation += 1
            if self._recorder is not None:  # attached by this arming's attach()
                self._recorder = None
            return backlog

    def attach(
        self,
        recorder: BlockRecorder,
        generation: int | None = None,
        *,
        chunk_bytes: int = CATCH_UP_CHUNK_BYTES,
    ) -> bool:
        """Forward blocks to ``recorder``: first those kept since :meth:`arm`, then each
        new one. Any thread; it blocks while it hands the backlog over in chunks (the
        stream meanwhile adds to the backlog, so the order holds), each stored before
        the next (see :func:`feed`).

        False, and nothing attached, when the sink was disarmed meanwhile (or armed
        again: ``generation`` is not the arming's) or the recorder failed; what is left
        of the backlog went with :meth:`disarm`.
        """
        with self._lock:
            if generation is None:
                generation = self._generation
            self._error = None
            self.samples_written = 0
        wait = True
        while True:
            with self._lock:
                if generation != self._generation or not self._armed:
                    return False
                blocks = self._backlog.take(chunk_bytes)
                if not blocks:  # caught up: from now on blocks go straight to it
                    self._problem = self._backlog.problem()
                    self._backlog.close()
                    self._armed = False
                    self._recorder = recorder
                    return True
            try:  # outside the lock: the stream is not held up by the database
                wait = _feed_chunk(recorder, blocks, wait)
            except Exception as exc:  # the stream must survive a dead database
                with self._lock:
                    self._error = f"recording stopped: {exc}"
                return False
            with self._lock:
                self.samples_written += sum(len(block) for block in blocks)

    def detach(self) -> BlockRecorder | None:
        """Stop forwarding; returns the recorder to close (the live or the failed one)."""
        with self._lock:
            recorder = self._recorder or self._failed
            self._recorder = self._failed = None
            return recorder

    def __call__(self, block: SampleBlock) -> None:
        with self._lock:
            if self._recorder is not None:
                self._append(block)
            elif self._armed:
                self._backlog.add(block)

    def _append(self, block: SampleBlock) -> None:
        """Hand ``block`` to the attached recorder (lock held)."""
        try:
            self._recorder.append(block)
        except Exception as exc:  # the stream must survive a dead database
            self._error = f"recording stopped: {exc}"
            self._failed, self._recorder = self._recorder, None
            return
        self.samples_written += len(block)


def _feed_chunk(recorder: BlockRecorder, blocks: list[SampleBlock], wait: bool = True) -> bool:
    """Append ``blocks``, then wait for the recorder to store them (when ``wait``);
    False once it did not within :data:`CATCH_UP_WAIT_S` (a database gone again: the
    recorder spools on its own, and the next chunks do not wait for it)."""
    for block in blocks:
        recorder.append(block)
    flush = getattr(recorder, "flush", None)
    if flush is None or not wait:
        return wait
    return bool(flush(CATCH_UP_WAIT_S))  # stored before the next chunk is read back


def feed(recorder: BlockRecorder, backlog: Backlog, chunk_bytes: int = CATCH_UP_CHUNK_BYTES):
    """Hand all of ``backlog`` to ``recorder`` in chunks, then close the backlog.

    Raises what the recorder raises (the rest of the backlog is then lost)."""
    wait = True
    try:
        while blocks := backlog.take(chunk_bytes):
            wait = _feed_chunk(recorder, blocks, wait)
    finally:
        backlog.close()
