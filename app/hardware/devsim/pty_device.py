"""A simulated serial device on a pseudo-terminal pair (``os.openpty``).

The source under test opens the terminal side (``port``, e.g. ``/dev/pts/7``)
like any serial port; the device thread reads and writes the other side. Like a
real UART, a device whose listener is away does not wait: what the terminal
cannot take is dropped.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import tty

log = logging.getLogger(__name__)

#: Longest a device waits for the terminal to take bytes before dropping them.
_WRITE_WAIT_S = 0.05


class PtyDevice:
    """Base of the serial device simulators: a pty pair and one device thread."""

    protocol = ""

    def __init__(self, *, url_params: str = ""):
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no newline translation on the device's line
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        self.url_params = url_params
        self.bytes_out = 0
        self.bytes_dropped = 0
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def url(self) -> str:
        """The source URL of this device."""
        extra = f"&{self.url_params}" if self.url_params else ""
        return f"serial://{self.port}?protocol={self.protocol}{extra}"

    # --- life cycle ------------------------------------------------------
    def start(self) -> PtyDevice:
        self._thread = threading.Thread(
            target=self._run_logged, name=f"devsim {self.protocol} {self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the device thread and remove the terminal (the port vanishes)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        if not self._closed:
            self._closed = True
            os.close(self._master)
            os.close(self._slave)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> PtyDevice:
        return self if self._thread else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run_logged(self) -> None:
        try:
            self.run()
        except OSError as exc:  # the terminal went away under us
            if not self._stop.is_set():
                self.error = str(exc)
                log.warning("device simulator %s: %s", self.port, exc)

    # --- for subclasses ----------------------------------------------------
    def run(self) -> None:
        """The device: loop until ``self._stop`` is set."""
        raise NotImplementedError

    def wait(self, seconds: float) -> bool:
        """Pause the device; True when it is asked to stop."""
        return self._stop.wait(max(seconds, 0.0))

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def write(self, data: bytes) -> None:
        """Send ``data``; what the terminal does not take within a moment is dropped."""
        view = memoryview(data)
        while view and not self._stop.is_set():
            try:
                n = os.write(self._master, view)
            except BlockingIOError:
                _, ready, _ = select.select([], [self._master], [], _WRITE_WAIT_S)
                if not ready:
                    self.bytes_dropped += len(view)
                    return
                continue
            self.bytes_out += n
            view = view[n:]

    def read(self, timeout: float) -> bytes:
        """Bytes the host sent, or b"" after ``timeout`` s."""
        ready, _, _ = select.select([self._master], [], [], max(timeout, 0.0))
        if not ready:
            return b""
        try:
            return os.read(self._master, 4096)
        except BlockingIOError:
            return b""


class StreamingDevice(PtyDevice):
    """A device that sends on its own: one transmission every ``period_s``, or, with
    ``bytes_per_s``, back to back at that line rate (a saturated line)."""

    def __init__(self, *, period_s: float = 1.0, bytes_per_s: float | None = None, **kw):
        super().__init__(**kw)
        self.period_s = period_s
        self.bytes_per_s = bytes_per_s
        self.transmissions = 0
        #: Set to a list to get the ``time.monotonic()`` at which each transmission starts.
        self.sent_times: list[float] | None = None

    def transmission(self) -> bytes:
        """The next bytes the device sends."""
        raise NotImplementedError

    def on_host_bytes(self, data: bytes) -> None:  # noqa: B027 - optional hook
        """Bytes from the host (commands); streaming devices may ignore them."""

    @property
    def streaming(self) -> bool:
        """False while the device waits for a command before it streams."""
        return True

    def run(self) -> None:
        import time

        next_t = time.monotonic()
        while not self.stopping:
            data = self.read(0)
            if data:
                self.on_host_bytes(data)
            if not self.streaming:
                data = self.read(0.05)
                if data:
                    self.on_host_bytes(data)
                next_t = time.monotonic()
                continue
            out = self.transmission()
            if self.sent_times is not None:  # before the write: the reader may be quicker
                self.sent_times.append(time.monotonic())
            self.write(out)
            self.transmissions += 1
            next_t += len(out) / self.bytes_per_s if self.bytes_per_s else self.period_s
            if self.wait(next_t - time.monotonic()):
                return
