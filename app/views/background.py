"""Blocking work (database, files, diagnostics) off the GUI thread.

:class:`SerialWorker` runs jobs one after another in a worker thread and
hands each result back to the GUI thread through a queued signal, so no
widget is touched outside the GUI thread and the GUI never waits. The thread
exists only while there is work: an idle worker holds no thread, so a window
that closes after its work is done leaves nothing running.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


@dataclass
class _Job:
    fn: Callable[[], Any]
    on_done: Callable[[Any], None] | None
    on_error: Callable[[BaseException], None] | None
    result: Any = None
    error: BaseException | None = None


class SerialWorker(QObject):
    """Jobs in submission order on one worker thread; callbacks in the GUI thread.

    ``on_done(result)`` or ``on_error(exception)`` runs in the thread that owns
    this object (the GUI thread), after the job. :attr:`busy` stays True until
    the last callback has run; :attr:`idle` is emitted then.
    """

    idle = Signal()  #: every submitted job is done and its callback has run
    _job_finished = Signal(object)  # worker thread -> owner thread (queued)

    def __init__(self, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self._lock = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._thread: threading.Thread | None = None
        self._pending = 0  # submitted, callback not yet run (GUI thread only)
        self._job_finished.connect(self._on_job_finished)

    @property
    def busy(self) -> bool:
        """True from :meth:`submit` until the last job's callback has run."""
        return self._pending > 0

    def submit(
        self,
        fn: Callable[[], Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Run ``fn()`` after the jobs already submitted."""
        self._pending += 1
        with self._lock:
            self._queue.append(_Job(fn, on_done, on_error))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker thread has ended (shutdown and tests only); True if it has.

        Callbacks of jobs finished meanwhile run later, from the event loop.
        """
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._thread = None  # decided under the lock: submit() starts a new one
                    return
                job = self._queue.popleft()
            try:
                job.result = job.fn()
            except BaseException as exc:  # handed to on_error, never lost in the thread
                job.error = exc
            try:
                self._job_finished.emit(job)
            except RuntimeError:  # the owner was deleted (window gone): nobody to tell
                log.debug("%s: result dropped, its receiver is gone", self.name)

    def _on_job_finished(self, job: _Job) -> None:
        try:
            if job.error is not None:
                if job.on_error is not None:
                    job.on_error(job.error)
                else:
                    log.error("%s: job failed", self.name, exc_info=job.error)
            elif job.on_done is not None:
                job.on_done(job.result)
        finally:
            self._pending -= 1
            if self._pending == 0:
                # The thread has nothing left to do and is ending: join it so
                # "idle" also means "no thread" (a moment, never a real wait).
                self.wait(1.0)
                self.idle.emit()
