"""The serial-port source every serial protocol builds on.

URL: ``serial://<device>?protocol=<name>&baud=<int>&timeout_s=<float>&...``
(``serial:///dev/ttyUSB0``, ``serial://COM3``).

``baud``        line speed (default: the protocol's own, e.g. 19200 for VE.Direct).
``timeout_s``   silence (or only undecodable bytes) for this long is a fault:
                "no valid frame", with the counts of what did arrive, so a wrong
                port, protocol or baud rate is named instead of showing nothing
                (default 5 s; 0 switches it off).
``chemistry``, ``capacity_ah``, ``cells``, ``bol_resistance_ohm``  the battery (else given
                by the caller; the last, ohm, what the resistance SOH compares with).
``ocv_table``, ``ocv_table_current_c``  the cell's OCV table and its current, as
                ``--ocv-table`` and ``--ocv-table-current-c`` (:func:`~app.hardware.registry.url_ocv_table`).

A protocol supplies a decoder (:class:`FrameDecoder`: bytes in, sample rows
out, errors counted in :attr:`Source.health`) and may talk to the device
(:meth:`SerialSource._on_open`, :meth:`SerialSource._service`).

Time: ``time_s`` is the arrival time of a frame, in seconds since the source
was first opened. It keeps running across reconnects, so an unplugged adapter
leaves a real gap in ``time_s`` (which the fault detector lists as a time gap)
and nothing recorded before it is touched; the gaps are also kept in
:attr:`SerialSource.gaps` and in :meth:`describe`. Bytes already waiting when the port
opens are dropped: when they arrived is not known.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import time
from typing import Protocol

import numpy as np

from app.core.errors import SourceError
from app.core.samples import SampleBlock
from app.core.schema import CURRENT, TIME, VOLTAGE
from app.core.spec import BatterySpec
from app.hardware.registry import BATTERY_PARAMS, SourceURL, battery_from_url
from app.hardware.source import Source, SourceHealth

#: Parameters every serial source accepts.
COMMON_PARAMS = ("protocol", "baud", "timeout_s", *BATTERY_PARAMS)
#: Longest single wait inside one read: keeps polling and stop requests responsive.
_MAX_WAIT_S = 0.05
#: A fast stream is passed on in blocks at most every 20 ms (the GUI redraws at
#: 20-30 Hz; smaller blocks only add per-block cost). A frame after a quiet
#: spell is passed on at once.
MIN_BLOCK_PERIOD_S = 0.02


class FrameDecoder(Protocol):
    """Turns the bytes of one protocol into sample rows; never raises on bad input."""

    #: What a valid frame of this protocol is called in messages ("VE.Direct block").
    frame_name: str

    def feed(self, data: bytes) -> list[dict[str, float]]:
        """Rows (canonical column -> value) completed by ``data``; errors go to health."""
        ...

    def reset(self) -> None:
        """Forget a partial frame (after a reconnect)."""
        ...


def rows_to_block(rows: list[dict[str, float]], times: list[float]) -> SampleBlock:
    """A block from decoded rows; a column missing in some row is NaN there."""
    names = [TIME, VOLTAGE, CURRENT]
    for row in rows:
        names += [c for c in row if c not in names]
    columns = {name: np.full(len(rows), np.nan) for name in names}
    columns[TIME][:] = times
    for i, row in enumerate(rows):
        for name, value in row.items():
            columns[name][i] = value
    return SampleBlock(columns)


class SerialSource(Source):
    """A source reading one protocol from a serial port (pyserial)."""

    #: Protocol name as in the URL.
    protocol: str = ""
    #: Line speed when the URL gives none.
    default_baud: int = 9600
    #: Parameters of the protocol beyond :data:`COMMON_PARAMS`.
    protocol_params: tuple[str, ...] = ()
    #: Default of ``timeout_s``.
    default_timeout_s: float = 5.0

    def __init__(
        self,
        url: str,
        device: str,
        *,
        baud: int,
        timeout_s: float,
        spec: BatterySpec | None = None,
    ):
        super().__init__(url, spec)
        self.device = device
        self.baud = baud
        self.timeout_s = timeout_s
        self.decoder: FrameDecoder = self._make_decoder()
        self.gaps: list[tuple[float, float]] = []  #: (last sample, first after) of reconnects
        self._port = None
        self._t0: float | None = None
        self._t_last: float | None = None
        self._last_good = 0.0  # monotonic time of the last decoded frame (or of opening)
        self._last_block = 0.0  # monotonic time the last block was returned

    # --- construction from a URL ----------------------------------------
    @classmethod
    def from_url(cls, parsed: SourceURL, spec: BatterySpec | None = None) -> SerialSource:
        known = COMMON_PARAMS + cls.protocol_params
        unknown = sorted(set(parsed.params) - set(known))
        if unknown:
            raise SourceError(
                f"{parsed.raw}: unknown parameter(s) {', '.join(unknown)} "
                f"(known for protocol={cls.protocol}: {', '.join(known)})"
            )
        device = parsed.target
        if not device.strip("/"):
            raise SourceError(f"{parsed.raw}: no serial device (e.g. serial:///dev/ttyUSB0)")
        baud = parsed.pop_int("baud", cls.default_baud)
        if not 50 <= baud <= 10_000_000:
            raise SourceError(f"{parsed.raw}: parameter baud={baud} must be within 50..10000000")
        timeout_s = parsed.pop_float("timeout_s", cls.default_timeout_s)
        if not (0 <= timeout_s < math.inf):
            raise SourceError(f"{parsed.raw}: parameter timeout_s must be >= 0 (0: off)")
        spec = battery_from_url(parsed, spec)
        return cls(
            parsed.raw, device, baud=baud, timeout_s=timeout_s, spec=spec, **cls._options(parsed)
        )

    @classmethod
    def _options(cls, parsed: SourceURL) -> dict:
        """Keyword arguments of the protocol's own parameters (validated)."""
        return {}

    # --- hooks of a protocol -----------------------------------------------
    def _make_decoder(self) -> FrameDecoder:
        raise NotImplementedError

    def _on_open(self) -> None:
        """Called after the port opened (a polled protocol sends its first request)."""

    def _service(self, now: float) -> float:
        """Called before each wait; returns the longest wait allowed (polling)."""
        return _MAX_WAIT_S

    def _write(self, data: bytes) -> None:
        """Send ``data`` to the device (polled protocols)."""
        import serial

        try:
            self._port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise SourceError(f"{self.url}: writing to {self.device} failed: {exc}") from None

    # --- the source contract -------------------------------------------
    def _open_internal(self) -> None:
        import serial

        try:
            # exclusive (POSIX): a second reader of the same port would steal bytes
            # from both; better one clear "busy" than two streams of garbage
            exclusive = True if os.name == "posix" else None
            self._port = serial.Serial(
                self.device, self.baud, timeout=_MAX_WAIT_S, exclusive=exclusive
            )
            # what waited in the port before it opened has no arrival time: read in one
            # go, a backlog of frames would share one time_s (a file of 16 samples at
            # one instant is no log)
            self._port.reset_input_buffer()
        except (serial.SerialException, OSError, ValueError) as exc:
            raise SourceError(
                f"{self.url}: cannot open {self.device}: {_reason(exc, self.device)}"
            ) from None
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        elif self._t_last is not None:
            self.gaps.append((self._t_last, now - self._t0))
        self._last_good = now
        self.decoder.reset()
        self._on_open()

    def _close_internal(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(OSError):  # an unplugged adapter may refuse even this
                port.close()

    def _read_internal(self, timeout: float) -> SampleBlock | None:
        import serial

        deadline = time.monotonic() + max(timeout, 0.0)
        port = self._port
        rows: list[dict[str, float]] = []
        times: list[float] = []
        while True:
            now = time.monotonic()
            if rows and (now >= deadline or now - self._last_block >= MIN_BLOCK_PERIOD_S):
                self._last_block = now
                return rows_to_block(rows, times)
            until = self._last_block + MIN_BLOCK_PERIOD_S if rows else deadline
            wait = min(until - now, deadline - now, self._service(now), _MAX_WAIT_S)
            if rows and wait > 0:
                # a fast stream: let it pile up and take it in one go, rather than
                # waking for every frame (most of the CPU at 921600 baud)
                time.sleep(wait)
                wait = 0.0
            try:
                if wait > 0 and not port.in_waiting:
                    wait = round(wait, 3)
                    if port.timeout != wait:  # a polled protocol's next request is due sooner
                        port.timeout = wait
                    data = port.read(1)
                    if data:
                        data += port.read(port.in_waiting)
                else:
                    data = port.read(port.in_waiting)
            except (serial.SerialException, OSError) as exc:
                if rows:  # pass on what came before; the next read meets the fault again
                    self._last_block = time.monotonic()
                    return rows_to_block(rows, times)
                raise SourceError(
                    f"{self.url}: {self.device} stopped working "
                    f"(unplugged or gone?): {_reason(exc, self.device)}"
                ) from None
            now = time.monotonic()
            if data:
                self.health.bytes_in += len(data)
                new = self.decoder.feed(data)
                if new:
                    self._last_good = now
                    self._t_last = now - self._t0
                    rows += new
                    times += [self._t_last] * len(new)
                    continue
            self._check_stale(now)
            if now >= deadline and not rows:
                return None

    def _check_stale(self, now: float) -> None:
        if self.timeout_s and now - self._last_good > self.timeout_s:
            h: SourceHealth = self.health
            self._last_good = now  # one fault per silent period
            raise SourceError(
                f"{self.url}: no valid {self.decoder.frame_name} in {self.timeout_s:g} s "
                f"({h.bytes_in} bytes, {h.frames_bad} bad and {h.frames_unknown} unknown frames "
                "so far): wrong port, protocol or baud rate, or the device is silent"
            )

    def describe(self) -> dict:
        d = super().describe()
        d["serial"] = {
            "device": self.device,
            "protocol": self.protocol,
            "baud": self.baud,
            "gaps_s": [list(g) for g in self.gaps],
            "health": self.health.snapshot(),
        }
        return d


def _reason(exc: Exception, device: str) -> str:
    """pyserial repeats errno and port in its messages ("could not open port
    /dev/ttyUSB9: [Errno 2] No such file or directory: '/dev/ttyUSB9'"); keep the words
    ("No such file or directory")."""
    text = re.sub(r"\[Errno -?\d+\] ", "", str(exc))
    text = text.removeprefix(f"could not open port {device}: ")
    return text.removesuffix(f": '{device}'")
