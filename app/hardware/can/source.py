"""``can://`` -- a live CAN bus through python-can, decoded into canonical samples.

URLs::

    can://<interface>/<channel>?protocol=pylontech&bitrate=500000&byte_order=little
    can://<interface>/<channel>?dbc=/path/pack.dbc&mapping=NAME&bitrate=500000

``<interface>``  any python-can interface: socketcan, pcan, kvaser, vector,
                 slcan, gs_usb, virtual, ... e.g. ``can://socketcan/can0``,
                 ``can://slcan/dev/ttyACM0``, ``can://virtual/bench``,
                 ``can://pcan/PCAN_USBBUS1``.
``protocol``     ``pylontech``: the BMS-to-inverter protocol
                 (:mod:`app.hardware.can.pylontech`).
``byte_order``   ``little`` (default, as the Pylontech/Victron documents) or
                 ``big`` (BMS firmwares that send 16-bit words big-endian).
``dbc``          a DBC file: decode through cantools instead.
``mapping``      name of a saved :class:`~app.hardware.can.mapping.CanMapping`
                 (settings directory); without it a mapping is suggested from
                 the DBC messages seen in the first full round of traffic (each
                 message seen twice; held back, then decoded) and revised as
                 frames arrive: messages decoding to impossible values are left out,
                 IVT-S results on moved ids recognised, with warnings in
                 :attr:`SourceHealth.warnings <app.hardware.source.SourceHealth.warnings>`
                 (:class:`~app.hardware.can.learning.SuggestingDbcDecoder`, the same
                 rules as a CAN log file's; the mapping is then in :attr:`CanSource.mapping`,
                 for the mapping dialog to confirm and save). A saved mapping is decoded
                 as asked; the same checks only warn.
``bitrate``      bit/s (default 500000; socketcan and virtual ignore it: a
                 socketcan bitrate is set with ``ip link``).
``log``          also write every raw frame to ``.asc``, ``.blf`` or ``.log``
                 (candump -L) while streaming (python-can's loggers); the file
                 stays open across reconnects.
``sleep_after_open``, ``tty_baudrate``  passed to python-can's slcan interface.
``chemistry``, ``capacity_ah``, ``cells``, ``bol_resistance_ohm``  the battery (else given
                 by the caller; the last, ohm, what the resistance SOH compares with).
``ocv_table``, ``ocv_table_current_c``  the cell's OCV table and its current, as
                 ``--ocv-table`` and ``--ocv-table-current-c`` (:func:`~app.hardware.registry.url_ocv_table`).

Unknown parameters raise :class:`~app.core.errors.SourceError` naming them.

Robustness: an adapter that disappears, a closed bus or a bus-off error frame
raise :class:`SourceError` (state ``fault``; the acquisition thread reconnects
with back-off). ``time_s`` runs on from the first connection, so the outage is
a time gap in the recording (listed in :attr:`CanSource.gaps`); nothing
decoded before it is lost. Malformed frames and garbage from an slcan adapter
count as ``frames_bad``, frames the decoder does not use as
``frames_unknown``; both are skipped.
"""

from __future__ import annotations

import contextlib
import math
import time

from app.core.errors import SourceError
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.hardware.can.rows import RowAssembler
from app.hardware.registry import BATTERY_PARAMS, SourceURL, battery_from_url
from app.hardware.source import Source, SourceState

_PARAMS = {
    "protocol",
    "byte_order",
    "dbc",
    "mapping",
    "bitrate",
    "log",
    "sleep_after_open",
    "tty_baudrate",
    *BATTERY_PARAMS,
}
#: Interfaces whose channel is a serial port path (kept absolute).
_SERIAL_INTERFACES = {"slcan", "serial", "robotell", "seeedstudio", "canalystii"}
#: Interfaces that take no bitrate argument.
_NO_BITRATE = {"socketcan", "virtual", "udp_multicast"}
#: Longest a read keeps draining frames once rows are waiting (arrival-to-plot latency).
MAX_BATCH_S = 0.05
#: Frames per read at most (bounds the size of one block).
MAX_BATCH_FRAMES = 50_000
#: socketcan error-frame class bit of a bus-off (linux/can/error.h CAN_ERR_BUSOFF).
_CAN_ERR_BUSOFF = 0x40
_LOG_SUFFIXES = (".asc", ".blf", ".log")


def channel_of(interface: str, path: str) -> str:
    """The python-can channel of ``can://<interface><path>``."""
    channel = path[1:] if path.startswith("/") else path
    if interface in _SERIAL_INTERFACES and not channel.upper().startswith("COM"):
        return "/" + channel
    return channel


class CanSource(Source):
    def __init__(
        self,
        url: str,
        *,
        interface: str,
        channel: str,
        bus_kwargs: dict,
        spec: BatterySpec | None = None,
        protocol: str | None = None,
        byte_order: str = "little",
        dbc: str | None = None,
        mapping: str | None = None,
        log: str | None = None,
    ):
        super().__init__(url, spec)
        self.interface = interface
        self.channel = channel
        self.bus_kwargs = bus_kwargs
        self.protocol = protocol
        self.byte_order = byte_order
        self.dbc_path = dbc
        self.mapping_name = mapping
        self.log_path = log
        self.rows = RowAssembler()
        self.decoder = None
        #: (last sample before, first frame after) of each outage, time_s.
        self.gaps: list[tuple[float, float]] = []
        self._bus = None
        self._logger = None
        self._t0: float | None = None
        self._offset = 0.0
        self._offset_known = False
        self._last_t = -math.inf
        self._fault_at: float | None = None

    # --- URL ------------------------------------------------------------------
    @classmethod
    def from_url(cls, parsed: SourceURL, spec: BatterySpec | None = None) -> CanSource:
        p = parsed.params
        unknown = sorted(set(p) - _PARAMS)
        if unknown:
            raise SourceError(
                f"{parsed.raw}: unknown parameter(s) {', '.join(unknown)} "
                f"(known: {', '.join(sorted(_PARAMS))})"
            )
        interface = parsed.host.lower()
        from can.interfaces import VALID_INTERFACES

        if not interface or interface not in VALID_INTERFACES:
            raise SourceError(
                f"{parsed.raw}: unknown CAN interface {interface!r} "
                f"(python-can knows: {', '.join(sorted(VALID_INTERFACES))})"
            )
        channel = channel_of(interface, unquote_path(parsed.path))
        if not channel:
            raise SourceError(f"{parsed.raw}: no channel (e.g. can://{interface}/can0)")
        protocol = p.get("protocol")
        if protocol not in (None, "pylontech", "dbc"):
            raise SourceError(f"{parsed.raw}: unknown CAN protocol {protocol!r} (pylontech, dbc)")
        if protocol == "pylontech" and "dbc" in p:
            raise SourceError(f"{parsed.raw}: give either protocol=pylontech or dbc=, not both")
        if "dbc" not in p and protocol != "pylontech":
            raise SourceError(
                f"{parsed.raw}: say how to decode frames: protocol=pylontech or dbc=/path/pack.dbc"
            )
        if "mapping" in p and "dbc" not in p:
            raise SourceError(f"{parsed.raw}: mapping= needs dbc=")
        if "byte_order" in p and protocol != "pylontech":
            raise SourceError(f"{parsed.raw}: byte_order applies to protocol=pylontech only")
        from app.hardware.can.pylontech import ByteOrder

        try:
            byte_order = ByteOrder.parse(p.get("byte_order", "little"))
        except ValueError as exc:
            raise SourceError(f"{parsed.raw}: {exc}") from None
        log = p.get("log")
        if log is not None and not log.lower().endswith(_LOG_SUFFIXES):
            raise SourceError(f"{parsed.raw}: log= must end in {', '.join(_LOG_SUFFIXES)}")
        bus_kwargs: dict = {}
        bitrate = parsed.pop_int("bitrate", 500_000)
        if bitrate <= 0:
            raise SourceError(f"{parsed.raw}: bitrate must be > 0")
        if interface not in _NO_BITRATE:
            bus_kwargs["bitrate"] = bitrate
        if "sleep_after_open" in p:
            bus_kwargs["sleep_after_open"] = parsed.pop_float("sleep_after_open")
        if "tty_baudrate" in p:
            bus_kwargs["tty_baudrate"] = parsed.pop_int("tty_baudrate")
        spec = battery_from_url(parsed, spec)
        return cls(
            parsed.raw,
            interface=interface,
            channel=channel,
            bus_kwargs=bus_kwargs,
            spec=spec,
            protocol="dbc" if "dbc" in p else "pylontech",
            byte_order=byte_order,
            dbc=p.get("dbc"),
            mapping=p.get("mapping"),
            log=log,
        )

    # --- decoding -------------------------------------------------------------
    def _make_decoder(self):
        if self.protocol == "pylontech":
            from app.hardware.can.pylontech import ByteOrder, PylontechDecoder

            return PylontechDecoder(self.rows, ByteOrder(self.byte_order))
        from app.hardware.can.dbc import load_dbc
        from app.hardware.can.learning import SuggestingDbcDecoder
        from app.hardware.can.mapping import CanMapping

        db = load_dbc(self.dbc_path)
        saved = CanMapping.load(self.mapping_name) if self.mapping_name else None
        # the DBC's rules checked on the traffic: a suggested mapping revised, a saved one warned about
        return SuggestingDbcDecoder(
            db, self.rows, dbc=self.dbc_path, saved=saved, warn=self.health.warn
        )

    @property
    def mapping(self):
        """The DBC signal mapping in use (None for the protocol, or while it is being learnt)."""
        return getattr(self.decoder, "mapping", None)

    @property
    def status(self) -> dict:
        """Latest values for the GUI: limits, alarms, names (protocol) or mapped signals."""
        extra = getattr(self.decoder, "status", None)
        out = dict(extra) if extra is not None else {}
        out["latest"] = dict(self.rows.latest)
        out["gaps"] = list(self.gaps)
        return out

    def describe(self) -> dict:
        out = super().describe()
        out["can"] = {
            "interface": self.interface,
            "channel": self.channel,
            "protocol": self.protocol,
            "byte_order": self.byte_order if self.protocol == "pylontech" else None,
            "dbc": self.dbc_path,
            "mapping": self.mapping_name,
        }
        return out

    # --- Source ---------------------------------------------------------------
    def _open_internal(self) -> None:
        import can

        if self.decoder is None:
            self.decoder = self._make_decoder()
        try:
            self._bus = can.Bus(interface=self.interface, channel=self.channel, **self.bus_kwargs)
        except (can.CanError, OSError, ValueError, ImportError, TypeError) as exc:
            raise SourceError(
                f"{self.url}: cannot open {self.interface} channel {self.channel}: {exc}"
            ) from None
        now = time.time()
        if self._t0 is None:
            self._t0 = now
        self._offset_known = False
        if self._fault_at is not None:
            self.gaps.append((self._last_t if math.isfinite(self._last_t) else 0.0, now - self._t0))
            self._fault_at = None
        if self.log_path and self._logger is None:
            try:
                self._logger = can.Logger(self.log_path)
            except (OSError, ValueError) as exc:
                self._shutdown_bus()
                raise SourceError(f"{self.url}: cannot write log {self.log_path}: {exc}") from None

    def _read_internal(self, timeout: float) -> SampleBlock | None:
        import can

        bus = self._bus
        health = self.health
        feed = self.decoder.feed
        logger = self._logger
        rows = self.rows
        deadline = time.monotonic() + timeout
        drain_until = None
        frames = 0
        while frames < MAX_BATCH_FRAMES:
            now = time.monotonic()
            if drain_until is None:
                wait = deadline - now
                if wait <= 0:
                    break
            else:
                if now >= drain_until:
                    break
                wait = 0.0
            try:
                msg = bus.recv(wait)
            except ValueError as exc:  # slcan: a garbled line from the adapter
                health.count_bad(f"garbled frame: {exc}")
                continue
            except can.CanError as exc:
                self._fault_at = time.time()
                raise SourceError(f"{self.url}: {exc}") from None
            if msg is None:
                if rows.pending:
                    break
                if drain_until is not None:
                    drain_until = None  # nothing new: wait for the next frame until the deadline
                continue
            frames += 1
            if logger is not None:
                logger.on_message_received(msg)
            data = msg.data
            health.bytes_in += len(data)
            if msg.is_error_frame:
                if msg.arbitration_id & _CAN_ERR_BUSOFF:
                    self._fault_at = time.time()
                    raise SourceError(f"{self.url}: bus-off (error frame 0x{msg.arbitration_id:X})")
                health.count_bad(f"error frame 0x{msg.arbitration_id:X}")
                continue
            if msg.is_remote_frame:
                health.count_unknown()
                continue
            try:
                used = feed(msg.arbitration_id, data, self._time_of(msg.timestamp))
            except ValueError as exc:
                health.count_bad(str(exc))
                continue
            if used:
                health.frames_ok += 1
                if rows.pending and drain_until is None:
                    drain_until = time.monotonic() + MAX_BATCH_S
            else:
                health.count_unknown()
        block = rows.take_block()
        if block is not None:
            self._last_t = float(block["time_s"][-1])
        return block

    def _time_of(self, stamp: float) -> float:
        if not self._offset_known:
            # Interfaces with hardware clocks (not epoch): align their first frame to now.
            now = time.time()
            self._offset = 0.0 if abs(now - stamp) < 60 else now - stamp
            self._offset_known = True
        t = stamp + self._offset - self._t0
        if t < self._last_t:
            t = self._last_t
        self._last_t = t
        return t

    def _shutdown_bus(self) -> None:
        bus, self._bus = self._bus, None
        if bus is not None:
            # an unplugged adapter may fail to close; it is gone anyway
            with contextlib.suppress(Exception):
                bus.shutdown()

    def _close_logger(self) -> None:
        logger, self._logger = self._logger, None
        if logger is not None:
            logger.stop()

    def _close_internal(self) -> None:
        faulted_while_streaming = self._state == SourceState.FAULT and self._bus is not None
        self._shutdown_bus()
        if faulted_while_streaming:
            # keep the raw-frame log open: the reconnect writes on in the same file
            if self._fault_at is None:
                self._fault_at = time.time()
        else:
            self._close_logger()

    def close(self) -> None:
        if self._state == SourceState.CLOSED:
            # A second close: the owner is done (after a fault the log was kept for a reconnect).
            self._close_logger()
            return
        super().close()


def unquote_path(path: str) -> str:
    from urllib.parse import unquote

    return unquote(path)
