"""Daly BMS UART / RS485 protocol: ``protocol=daly``.

``serial:///dev/ttyUSB0?protocol=daly&baud=9600&poll_s=1`` (9600 8N1 by default).

Every frame is 13 bytes: ``A5 <address> <command> 08 <8 data bytes> <sum>``,
the last byte the sum of the first twelve mod 256. The host (address 0x40)
asks, the BMS (address 0x01) answers. Each ``poll_s`` the source asks, one
request after the other:

- 0x94 status (first cycle and every 30th): cell count, temperature sensors, cycles
- 0x95 cell voltages: 3 a frame (frame number, 3 x mV), ceil(cells / 3) frames
- 0x96 temperatures: 7 a frame (frame number, 7 x degC + 40)
- 0x93 MOSFET state, charge/discharge mode, remaining capacity (mAh)
- 0x97 balancing bits, 0x98 error bits (kept in :attr:`DalyDecoder.info`)
- 0x90 pack voltage (0.1 V), current (0.1 A, offset 30000), SOC (0.1 %) -- last,
  so its answer completes the sample.

Current: Daly's UART/485 protocol document (V1.2) gives only "30000 offset,
0.1 A" for 0x90, no direction. ESPHome's daly_bms and maland16/daly-bms-uart
read raw - 30000 as it is, and readers of Daly's newer Modbus register map
(same offset and scale) note positive = charging: above the offset is
charging, the default and the canonical sign.
Some firmwares count the other way (python-daly-bms and dbus-serialbattery,
whose units charge below 30000; dbus-serialbattery issue #65 reports both on
different Daly units): ``invert_current=1`` flips it. ``temperature_c`` is the hottest
sensor; ``cell_<k>_v`` the cell voltages; ``soc_reported_pct`` the SOC.
"""

from __future__ import annotations

import math

from app.core.errors import SourceError
from app.core.schema import CURRENT, SOC_REPORTED, TEMPERATURE, VOLTAGE, cell_voltage_column
from app.hardware.registry import SourceURL
from app.hardware.serial.port import SerialSource
from app.hardware.source import SourceHealth

START = 0xA5
HOST_ADDRESS = 0x40
BMS_ADDRESS = 0x01
FRAME_LEN = 13
CURRENT_OFFSET = 30000
TEMPERATURE_OFFSET = 40

PACK = 0x90
MIN_MAX_CELL = 0x91
MIN_MAX_TEMPERATURE = 0x92
MOSFET = 0x93
STATUS = 0x94
CELL_VOLTAGES = 0x95
TEMPERATURES = 0x96
BALANCING = 0x97
ERRORS = 0x98
COMMANDS = range(0x90, 0x99)

#: How long to wait for an answer before asking the next question.
REPLY_TIMEOUT_S = 0.3
#: Ask for the status (cell count) again every this many cycles.
STATUS_EVERY = 30


def frame(address: int, command: int, data: bytes = b"") -> bytes:
    """One 13-byte frame (``data`` padded with zeros to 8 bytes)."""
    head = bytes([START, address, command, 8]) + data.ljust(8, b"\0")[:8]
    return head + bytes([sum(head) % 256])


def request(command: int) -> bytes:
    """The host's read request for ``command``."""
    return frame(HOST_ADDRESS, command)


class DalyDecoder:
    """Daly answers -> one sample row per 0x90 answer; errors counted in health."""

    frame_name = "Daly frame"

    def __init__(self, health: SourceHealth, invert_current: bool = False):
        self.health = health
        self.current_sign = -1.0 if invert_current else 1.0
        self.cells: int | None = None  #: cell count from 0x94
        self.sensors: int | None = None  #: temperature sensors from 0x94
        self.info: dict[str, object] = {}  #: MOSFETs, mode, capacity, cycles, errors
        self.replies: dict[int, int] = {}  #: answer frames per command since the last clear
        self._cell_v: dict[int, float] = {}
        self._temps: dict[int, float] = {}
        self._buf = b""

    def reset(self) -> None:
        self._buf = b""
        self.replies.clear()

    def expected_frames(self, command: int) -> int:
        """How many answer frames ``command`` gets (several for cells and temperatures)."""
        if command == CELL_VOLTAGES and self.cells:
            return math.ceil(self.cells / 3)
        if command == TEMPERATURES and self.sensors:
            return math.ceil(self.sensors / 7)
        return 1

    def feed(self, data: bytes) -> list[dict[str, float]]:
        buf = self._buf + data
        rows: list[dict[str, float]] = []
        i = 0
        skipped = 0
        n = len(buf)
        while n - i >= FRAME_LEN:
            if buf[i] != START or buf[i + 3] != 8 or sum(buf[i : i + 12]) % 256 != buf[i + 12]:
                skipped += 1
                i += 1
                continue
            if skipped:
                self.health.count_bad(f"{skipped} bytes of garbage or a bad Daly checksum")
                skipped = 0
            row = self._frame(buf[i + 1], buf[i + 2], buf[i + 4 : i + 12])
            if row is not None:
                rows.append(row)
            i += FRAME_LEN
        if skipped:
            self.health.count_bad(f"{skipped} bytes of garbage or a bad Daly checksum")
        self._buf = buf[i:]
        return rows

    def _frame(self, address: int, command: int, d: bytes) -> dict[str, float] | None:
        if address == HOST_ADDRESS:
            return None  # our own request, echoed by a half-duplex RS485 adapter
        if address != BMS_ADDRESS or command not in COMMANDS:
            self.health.count_unknown(f"Daly frame from address {address:#04x}, cmd {command:#04x}")
            return None
        self.replies[command] = self.replies.get(command, 0) + 1
        self.health.frames_ok += 1
        if command == PACK:
            return self._pack_row(d)
        if command == STATUS:
            self.cells, self.sensors = d[0], d[1]
            self.info.update(charger=bool(d[2]), load=bool(d[3]), cycles=_u16(d, 5))
        elif command == CELL_VOLTAGES:
            base = (d[0] - 1) * 3
            for j in range(3):
                k = base + j + 1
                if d[0] >= 1 and (self.cells is None or k <= self.cells):
                    self._cell_v[k] = _u16(d, 1 + 2 * j) / 1000.0
        elif command == TEMPERATURES:
            base = (d[0] - 1) * 7
            for j in range(7):
                k = base + j + 1
                if d[0] >= 1 and (self.sensors is None or k <= self.sensors):
                    self._temps[k] = float(d[1 + j] - TEMPERATURE_OFFSET)
        elif command == MOSFET:
            mode = {0: "idle", 1: "charging", 2: "discharging"}.get(d[0], "unknown")
            self.info.update(
                mode=mode,
                charge_mosfet=bool(d[1]),
                discharge_mosfet=bool(d[2]),
                remaining_ah=int.from_bytes(d[4:8], "big") / 1000.0,
            )
        elif command == MIN_MAX_CELL:
            self.info.update(max_cell_v=_u16(d, 0) / 1000.0, min_cell_v=_u16(d, 3) / 1000.0)
        elif command == MIN_MAX_TEMPERATURE:
            self.info.update(
                max_temp_c=d[0] - TEMPERATURE_OFFSET, min_temp_c=d[2] - TEMPERATURE_OFFSET
            )
        elif command == BALANCING:
            bits = int.from_bytes(d[:6], "little")
            self.info["balancing_cells"] = [k + 1 for k in range(48) if bits >> k & 1]
        elif command == ERRORS:
            self.info["error_bits"] = d[:7].hex()
        return None

    def _pack_row(self, d: bytes) -> dict[str, float]:
        row = {
            VOLTAGE: _u16(d, 0) / 10.0,
            CURRENT: self.current_sign * (_u16(d, 4) - CURRENT_OFFSET) / 10.0,
            SOC_REPORTED: _u16(d, 6) / 10.0,
        }
        if self._temps:
            row[TEMPERATURE] = max(self._temps.values())
        for k, v in self._cell_v.items():
            row[cell_voltage_column(k)] = v
        return row


def _u16(d: bytes, i: int) -> int:
    return d[i] << 8 | d[i + 1]


class DalySource(SerialSource):
    """A Daly BMS on its UART or RS485 port, polled every ``poll_s`` seconds."""

    protocol = "daly"
    default_baud = 9600
    protocol_params = ("poll_s", "invert_current")

    def __init__(self, *args, poll_s: float = 1.0, invert_current: bool = False, **kwargs):
        self.invert_current = invert_current
        super().__init__(*args, **kwargs)
        self.poll_s = poll_s
        self._queue: list[int] = []
        self._pending: int | None = None
        self._sent_at = 0.0
        self._next_cycle = 0.0
        self._cycles = 0

    @classmethod
    def _options(cls, parsed: SourceURL) -> dict:
        poll_s = parsed.pop_float("poll_s", 1.0)
        if not 0 < poll_s < math.inf:
            raise SourceError(f"{parsed.raw}: parameter poll_s must be > 0 s")
        invert = parsed.params.get("invert_current", "0")
        if invert not in ("0", "1"):
            raise SourceError(f"{parsed.raw}: parameter invert_current must be 0 or 1")
        return {"poll_s": poll_s, "invert_current": invert == "1"}

    def _make_decoder(self) -> DalyDecoder:
        return DalyDecoder(self.health, self.invert_current)

    def _on_open(self) -> None:
        self._queue, self._pending, self._next_cycle, self._cycles = [], None, 0.0, 0

    def _service(self, now: float) -> float:
        dec: DalyDecoder = self.decoder
        if self._pending is not None:
            done = dec.replies.get(self._pending, 0) >= dec.expected_frames(self._pending)
            if not done and now - self._sent_at < REPLY_TIMEOUT_S:
                return REPLY_TIMEOUT_S - (now - self._sent_at)
            self._pending = None
        if not self._queue and now >= self._next_cycle:
            first = self._cycles % STATUS_EVERY == 0 or dec.cells is None
            self._queue = [STATUS] if first else []
            self._queue += [CELL_VOLTAGES, TEMPERATURES, MOSFET, BALANCING, ERRORS, PACK]
            self._next_cycle = now + self.poll_s
            self._cycles += 1
        if self._queue:
            self._pending = self._queue.pop(0)
            dec.replies[self._pending] = 0
            self._sent_at = now
            self._write(request(self._pending))
            return REPLY_TIMEOUT_S
        return max(self._next_cycle - now, 0.0)

    def describe(self) -> dict:
        d = super().describe()
        d["serial"]["bms"] = {"cells": self.decoder.cells, **self.decoder.info}
        return d
