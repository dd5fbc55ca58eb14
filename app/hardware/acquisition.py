"""The acquisition thread: one per source, never touches Qt.

It pulls blocks from a :class:`Source` and hands each to its sinks (the ring
buffer, the live engine, the recorder). A fault becomes a state with the
error kept, followed by reconnect attempts with back-off; the thread does not
die silently. Between attempts, :attr:`AcquisitionThread.reconnect_status` says
which attempt comes next and when; :meth:`AcquisitionThread.retry_now` brings it
forward.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from app.core.errors import SourceError, SourceRefused
from app.core.samples import SampleBlock
from app.hardware.source import Source

log = logging.getLogger(__name__)

Sink = Callable[[SampleBlock], None]


class AcquisitionState(StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    STREAMING = "streaming"
    FAULT = "fault"
    FINISHED = "finished"
    STOPPED = "stopped"


@dataclass(frozen=True)
class ReconnectStatus:
    """Where reconnecting stands.

    ``attempt`` is the number of the next (or running) attempt since the
    connection was lost, 0 while connected; ``retry_in_s`` the seconds until
    that attempt, None while it runs or when none is planned.
    """

    attempt: int = 0
    retry_in_s: float | None = None


def wait_text(seconds: float) -> str:
    """A countdown's wait as said (``record``'s line, the window's banner): ``0.5 s``
    below a second (the first back-off), else whole seconds rounded up (``4 s``)."""
    if seconds < 1:
        return f"{max(math.ceil(seconds * 10), 1) / 10:g} s"
    return f"{math.ceil(seconds)} s"


class AcquisitionThread:
    """Run ``source`` in a daemon thread and feed ``sinks``.

    A sink may have a ``drain()`` method: it is called when the source is idle
    and when streaming ends, so a sink that batches small blocks never holds
    samples back. Idle means: no block for ``idle_drain_s`` after the last one
    (a slow device's one sample is passed on then, not a whole ``read_timeout``
    later), or a read that returned nothing. A sink may also have a ``finish()``
    method: it is called once when a finite source has no more data (end of
    stream: detectors close their open episodes).

    ``reconnect`` defaults to True for live sources and False for finite ones
    (a log file that cannot be read will not get better by retrying). A lost
    connection is retried after ``reconnect_initial_s`` (0.5 s: an adapter that
    re-enumerates is back at once), each failed attempt doubling the wait up to
    ``reconnect_max_s`` (10 s): 0.5, 1, 2, 4, 8, 10, 10 ... s.

    A live source that never opened (a USB adapter not plugged in yet) is tried
    again on the same schedule; :attr:`opened` tells it from a lost connection, and
    its first open is a connection, not a reconnect.

    ``state``, ``last_error``, ``samples_total``, ``sample_rate_hz``, ``opened`` and
    ``reconnect_status`` may be read, and ``retry_now()`` called, from any thread. A sink that raises is a bug in that sink: the error
    is kept and acquisition stops in ``fault`` rather than dropping data
    silently. A sink that raises :class:`~app.core.errors.SourceRefused` (the
    source's data contradict the battery given) stops it in ``fault`` with that
    message as it is, and no reconnect.
    """

    def __init__(
        self,
        source: Source,
        sinks: list[Sink] | None = None,
        *,
        read_timeout: float = 0.1,
        idle_drain_s: float = 0.02,
        reconnect_initial_s: float = 0.5,
        reconnect_max_s: float = 10.0,
        reconnect: bool | None = None,
    ):
        self.source = source
        self.sinks: list[Sink] = list(sinks or [])
        self.read_timeout = read_timeout
        self.idle_drain_s = idle_drain_s
        self.reconnect_initial_s = reconnect_initial_s
        self.reconnect_max_s = reconnect_max_s
        # A device that drops out comes back; a file that fails to open does not.
        self.reconnect = (not source.finite) if reconnect is None else reconnect
        self._state = AcquisitionState.IDLE
        self._last_error: str | None = None
        #: the source opened at least once (False: every attempt so far failed to open it)
        self.opened = False
        self._stop = threading.Event()
        # the reconnect schedule: read by other threads, so under the lock
        self._wake = threading.Condition()
        self._attempt = 0
        self._retry_at: float | None = None  # time.monotonic() of the next attempt
        self._retry_requested = False
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None
        self.samples_total = 0
        self.blocks_total = 0
        self._rate_t0 = time.monotonic()
        self._rate_n0 = 0
        self._rate = 0.0

    # --- status (any thread) ---------------------------------------------
    @property
    def state(self) -> AcquisitionState:
        return self._state

    @property
    def last_error(self) -> str | None:
        return self._last_error

    @property
    def sample_rate_hz(self) -> float:
        """Samples per second over the last second or so."""
        now = time.monotonic()
        dt = now - self._rate_t0
        if dt >= 1.0:
            self._rate = (self.samples_total - self._rate_n0) / dt
            self._rate_t0, self._rate_n0 = now, self.samples_total
        return self._rate

    @property
    def reconnect_status(self) -> ReconnectStatus:
        """The next reconnect attempt: its number and the seconds until it."""
        with self._wake:
            if self._retry_at is None:
                return ReconnectStatus(self._attempt)
            return ReconnectStatus(self._attempt, max(0.0, self._retry_at - time.monotonic()))

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- control ----------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("acquisition already started")
        self._thread = threading.Thread(
            target=self._run, name=f"acquisition {self.source.url}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to stop and wait for it."""
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def retry_now(self) -> bool:
        """Make the reconnect attempt now instead of at the end of the back-off.

        Returns at once; False when no attempt is waiting (streaming, or one running).
        """
        with self._wake:
            if self._retry_at is None:
                return False
            self._retry_requested = True
            self._wake.notify_all()
            return True

    def wait_finished(self, timeout: float | None = None) -> bool:
        """Block until the thread ends (finite source done, stopped or given up)."""
        return self._finished.wait(timeout)

    # --- the thread -------------------------------------------------------
    def _fault(self, message: str) -> None:
        self._last_error = message
        self._state = AcquisitionState.FAULT
        log.warning("acquisition fault: %s", message)

    def _wait_before_retry(self, delay: float) -> float:
        """Wait ``delay`` seconds (or less: stop, :meth:`retry_now`) before the next attempt;
        the wait before the one after (doubled, at most ``reconnect_max_s``)."""
        with self._wake:
            self._attempt += 1
            self._retry_at = time.monotonic() + delay
            while not self._stop.is_set() and not self._retry_requested:
                left = self._retry_at - time.monotonic()
                if left <= 0:
                    break
                self._wake.wait(left)
            self._retry_at = None
            self._retry_requested = False
        return min(delay * 2, self.reconnect_max_s)

    def _run(self) -> None:
        backoff = self.reconnect_initial_s
        try:
            while not self._stop.is_set():
                self._state = AcquisitionState.CONNECTING
                try:
                    self.source.open()
                except SourceError as exc:
                    self._fault(str(exc))
                    if not self.reconnect:
                        return
                    backoff = self._wait_before_retry(backoff)
                    continue
                with self._wake:
                    if self._attempt and self.opened:
                        self.source.health.reconnects += 1
                    self._attempt = 0
                self.opened = True
                self._state = AcquisitionState.STREAMING
                backoff = self.reconnect_initial_s
                if self._stream():
                    return
                self.source.close()
                if not self.reconnect:
                    return
                backoff = self._wait_before_retry(backoff)
        finally:
            try:
                self.source.close()
            except Exception as exc:  # closing a broken device must not hide the cause
                log.warning("closing %s: %s", self.source.url, exc)
            if self._state not in (AcquisitionState.FAULT, AcquisitionState.FINISHED):
                self._state = AcquisitionState.STOPPED
            self._finished.set()

    def _stream(self) -> bool:
        """Read until stop, end of data or a fault. True means: do not reconnect."""
        try:
            return self._stream_blocks()
        finally:
            self._drain_sinks()

    def _stream_blocks(self) -> bool:
        delivered = False  # a block went to the sinks since they were last drained
        while not self._stop.is_set():
            timeout = min(self.read_timeout, self.idle_drain_s) if delivered else self.read_timeout
            try:
                block = self.source.read(timeout)
            except SourceError as exc:
                self._fault(str(exc))
                return False
            if block is None:
                delivered = False
                if not self._drain_sinks():
                    return True
                if self.source.exhausted:
                    self._state = AcquisitionState.FINISHED
                    self._finish_sinks()
                    return True
                continue
            try:
                for sink in self.sinks:
                    sink(block)
            except SourceRefused as exc:  # not the battery given: said, not retried
                self._fault(str(exc))
                return True
            except Exception as exc:
                self._fault(f"processing samples failed: {exc!r}")
                log.exception("sink failed")
                return True
            self.samples_total += len(block)
            self.blocks_total += 1
            delivered = True
        return True

    def _finish_sinks(self) -> None:
        """End of the data: sinks with ``finish()`` close what is still open."""
        try:
            for sink in self.sinks:
                finish = getattr(sink, "finish", None)
                if finish is not None:
                    finish()
        except Exception as exc:
            self._fault(f"processing samples failed: {exc!r}")
            log.exception("sink failed")

    def _drain_sinks(self) -> bool:
        """Idle or at the end: sinks that batch small blocks (``drain()``) pass them on now.

        False (and the fault state) when a sink fails.
        """
        try:
            for sink in self.sinks:
                drain = getattr(sink, "drain", None)
                if drain is not None:
                    drain()
        except Exception as exc:
            self._fault(f"processing samples failed: {exc!r}")
            log.exception("sink failed")
            return False
        return True
