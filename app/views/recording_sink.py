"""A sink that forwards blocks to a recorder while recording is on.

Qt-free: it runs in the acquisition thread. Recording can start and stop
while the stream runs, and a failing database must not stop the stream: the
first error detaches the recorder and is kept for the GUI to show.

Opening the database takes a while (and the stream does not wait for it):
:meth:`RecordingSink.arm` starts keeping the blocks at once, when Record is
pressed, and :meth:`RecordingSink.attach` hands them to the recorder first,
so nothing that arrives after Record is lost. Blocks from before Record are
not recorded.
"""

from __future__ import annotations

import threading
from typing import Protocol

from app.core.samples import SampleBlock


class BlockRecorder(Protocol):
    """What the sink needs of :class:`app.storage.Recorder`."""

    def append(self, block: SampleBlock) -> None: ...

    def close(self, timeout: float | None = ...) -> None: ...


class RecordingSink:
    """Callable sink: ``sink(block)`` appends to the attached recorder, if any."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recorder: BlockRecorder | None = None
        self._failed: BlockRecorder | None = None
        self._error: str | None = None
        self._armed = False
        self._buffer: list[SampleBlock] = []  # blocks since arm(), until a recorder is attached
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
            return sum(len(block) for block in self._buffer)

    def arm(self) -> None:
        """Keep every block from now on until :meth:`attach` (the database is being opened)."""
        with self._lock:
            self._armed = True
            self._buffer = []

    def disarm(self) -> list[SampleBlock]:
        """Stop keeping blocks for a recorder to come; returns those kept so far."""
        with self._lock:
            blocks, self._buffer = self._buffer, []
            self._armed = False
            return blocks

    def attach(self, recorder: BlockRecorder) -> None:
        """Forward blocks to ``recorder``: first those kept since :meth:`arm`, then each new one."""
        with self._lock:
            self._error = None
            self.samples_written = 0
            blocks, self._buffer = self._buffer, []
            self._armed = False
            self._recorder = recorder
            for block in blocks:
                self._append(block)
                if self._recorder is None:
                    return

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
                self._buffer.append(block)

    def _append(self, block: SampleBlock) -> None:
        """Hand ``block`` to the attached recorder (lock held)."""
        try:
            self._recorder.append(block)
        except Exception as exc:  # the stream must survive a dead database
            self._error = f"recording stopped: {exc}"
            self._failed, self._recorder = self._recorder, None
            return
        self.samples_written += len(block)
