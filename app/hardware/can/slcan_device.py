"""An slcan (Lawicel) CAN-USB adapter emulated on a pseudo-terminal.

The host side is the pty slave (:attr:`SlcanPtyDevice.port`), which python-can's
``slcan`` interface opens like a real ``/dev/ttyACM0``. The CAN side is a
python-can bus (a ``virtual`` channel): frames on it are written to the host
as ``t<id><dlc><data>\\r`` (``T`` for 29-bit ids) while the channel is open,
and ``t``/``T`` commands from the host are sent on it. Commands answered:
``O`` open, ``L`` listen only, ``C`` close, ``S0``-``S8`` and ``s...`` bit rate,
``V`` version, ``N`` serial number, ``F`` status flags; anything else gets
BEL (the adapter's error reply).
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import tty


class SlcanPtyDevice:
    """Start with :meth:`start`, stop with :meth:`stop` (or use as a context manager)."""

    def __init__(self, can_channel: str, can_interface: str = "virtual"):
        self.can_channel = can_channel
        self.can_interface = can_interface
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no CR/LF translation before the host configures it
        #: The device path the host opens (``/dev/pts/N``).
        self.port = os.ttyname(self._slave)
        self._bus = None
        self._open = threading.Event()
        self._stop = threading.Event()
        self._write_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.commands: list[str] = []

    def start(self) -> SlcanPtyDevice:
        import can

        self._bus = can.Bus(interface=self.can_interface, channel=self.can_channel)
        for target, name in ((self._serve_host, "host"), (self._serve_bus, "bus")):
            t = threading.Thread(target=target, name=f"slcan pty {name} {self.port}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        """Unplug: stop both threads, close the pty (the host sees its port fail)."""
        self._stop.set()
        for t in self._threads:
            t.join(5)
        self._threads.clear()
        if self._bus is not None:
            self._bus.shutdown()
            self._bus = None
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._master = self._slave = -1

    def __enter__(self) -> SlcanPtyDevice:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_open(self, timeout: float) -> bool:
        """Block until the host has opened the CAN channel (``O`` or ``L``)."""
        return self._open.wait(timeout)

    def inject(self, raw: bytes) -> None:
        """Write raw bytes to the host (garbage, a truncated frame, ...), for tests."""
        self._write(raw)

    # --- threads ------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        with self._write_lock:
            view = memoryview(data)
            while view and not self._stop.is_set():
                try:
                    n = os.write(self._master, view)
                except BlockingIOError:
                    select.select([], [self._master], [], 0.05)
                    continue
                except OSError:
                    return
                view = view[n:]

    def _serve_host(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
                if not ready:
                    continue
                chunk = os.read(self._master, 4096)
            except OSError:
                return
            buffer += chunk
            while b"\r" in buffer:
                line, _, buffer = buffer.partition(b"\r")
                self._command(line.decode("ascii", errors="replace").strip("\n"))

    def _command(self, line: str) -> None:
        import can

        self.commands.append(line)
        if not line:
            return self._write(b"\r")
        op = line[0]
        if op in "OL":
            self._open.set()
            reply = b"\r"
        elif op == "C":
            self._open.clear()
            reply = b"\r"
        elif op in "Ss" and len(line) > 1:
            reply = b"\r"
        elif op == "V":
            reply = b"V1013\r"
        elif op == "N":
            reply = b"NBOS1\r"
        elif op == "F":
            reply = b"F00\r"
        elif op in "tT" and self._open.is_set():
            try:
                ext = op == "T"
                n = 8 if ext else 3
                fid = int(line[1 : 1 + n], 16)
                dlc = int(line[1 + n])
                data = bytes.fromhex(line[2 + n : 2 + n + 2 * dlc])
                self._bus.send(can.Message(arbitration_id=fid, data=data, is_extended_id=ext))
                reply = b"Z\r" if ext else b"z\r"
            except (ValueError, IndexError, can.CanError):
                reply = b"\a"
        else:
            reply = b"\a"
        self._write(reply)
        return None

    def _serve_bus(self) -> None:
        while not self._stop.is_set():
            msg = self._bus.recv(0.05)
            if msg is None or not self._open.is_set() or msg.is_error_frame:
                continue
            if msg.is_extended_id:
                head = f"T{msg.arbitration_id:08X}{len(msg.data)}"
            else:
                head = f"t{msg.arbitration_id:03X}{len(msg.data)}"
            self._write((head + msg.data.hex().upper() + "\r").encode("ascii"))
