"""The BMS-to-inverter CAN protocol (Pylontech / Victron / SMA style, 500 kbit/s).

Frames a BMS sends about once a second (11-bit ids, 16-bit words, scalings
from the Pylontech "LV CAN protocol" v1.2 and Victron's CAN-bus BMS notes):

====== ============================================================================
0x351  charge voltage limit (u16, 0.1 V), charge current limit (s16, 0.1 A),
       discharge current limit (s16, 0.1 A), discharge voltage limit (u16, 0.1 V)
0x355  SOC (u16, 1 %), SOH (u16, 1 %)
0x356  pack voltage (s16, 0.01 V), current (s16, 0.1 A, + = charging),
       temperature (s16, 0.1 degC)
0x359  Pylontech protection and alarm flags (bytes 0-3), module count (byte 4)
0x35A  SMA/Victron alarms (bytes 0-3) and warnings (bytes 4-7), two bits each:
       ``10`` active, ``01`` normal, ``00`` not supported
0x35C  requests: charge enable, discharge enable, force charge, full charge
0x35E  manufacturer / battery name (ASCII)
0x373  min and max cell voltage (u16, mV), min and max cell temperature (u16, K)
====== ============================================================================

Mapping to the canonical schema: ``voltage_v``, ``current_a`` and
``temperature_c`` from 0x356, ``soc_reported_pct`` and ``soh_reported_pct``
from 0x355. One sample per 0x356 frame (with the latest SOC/SOH). The protocol
has no per-cell values, only the extremes of 0x373: they are *not* made into
``cell_<k>_v`` columns (that would invent cells); they stay in
:attr:`PylontechDecoder.status` (``cell_min_v``, ``cell_max_v``,
``cell_min_temp_c``, ``cell_max_temp_c``) beside the limits, alarms, warnings,
requests and the name, for the GUI.

Byte order: the Pylontech and Victron documents put every 16-bit word
little-endian (``byte_order=little``, the default). Some BMS boards and DIY
firmwares send the words big-endian; ``byte_order=big`` reads them so.
"""

from __future__ import annotations

import struct
from enum import StrEnum

from app.core.schema import CURRENT, SOC_REPORTED, SOH_REPORTED, TEMPERATURE, VOLTAGE
from app.hardware.can.rows import RowAssembler

#: The trigger frame: one sample each time it arrives.
TRIGGER_ID = 0x356
KNOWN_IDS = frozenset({0x351, 0x355, 0x356, 0x359, 0x35A, 0x35C, 0x35E, 0x373})


class ByteOrder(StrEnum):
    LITTLE = "little"
    BIG = "big"

    @classmethod
    def parse(cls, text: str) -> ByteOrder:
        try:
            return cls(text.lower())
        except ValueError:
            raise ValueError(f"byte_order must be little or big, not {text!r}") from None


#: Pylontech 0x359 flags: (byte, bit) -> name.
PROTECTION_FLAGS = {
    (0, 1): "cell_over_voltage",
    (0, 2): "cell_under_voltage",
    (0, 3): "over_temperature",
    (0, 4): "under_temperature",
    (0, 7): "discharge_over_current",
    (1, 0): "charge_over_current",
    (1, 3): "system_error",
}
ALARM_FLAGS = {
    (2, 1): "cell_high_voltage",
    (2, 2): "cell_low_voltage",
    (2, 3): "high_temperature",
    (2, 4): "low_temperature",
    (2, 7): "discharge_high_current",
    (3, 0): "charge_high_current",
    (3, 3): "internal_communication_fail",
}
#: SMA/Victron 0x35A: two bits per condition, in this order from bit 0 of byte 0.
VICTRON_CONDITIONS = (
    "general",
    "high_voltage",
    "low_voltage",
    "high_temperature",
    "low_temperature",
    "high_temperature_charge",
    "low_temperature_charge",
    "high_discharge_current",
    "high_charge_current",
    "contactor",
    "short_circuit",
    "bms_internal",
    "cell_imbalance",
)
REQUEST_FLAGS = {
    7: "charge_enable",
    6: "discharge_enable",
    5: "force_charge_1",
    4: "force_charge_2",
    3: "full_charge",
}


class PylontechDecoder:
    """Decodes protocol frames into a :class:`RowAssembler` and a status dict.

    :meth:`feed` returns True for a frame of the protocol, False for a frame
    it does not use, and raises ``ValueError`` for a frame of the protocol
    that is malformed (too short).
    """

    def __init__(self, rows: RowAssembler, byte_order: ByteOrder = ByteOrder.LITTLE):
        self.rows = rows
        self.byte_order = byte_order
        e = "<" if byte_order == ByteOrder.LITTLE else ">"
        self._u4 = struct.Struct(e + "4H")
        self._s3 = struct.Struct(e + "3h")
        self._hhhh = struct.Struct(e + "HhhH")
        self._u2 = struct.Struct(e + "2H")
        #: Latest limits, alarms, warnings, requests, name and cell extremes.
        self.status: dict[str, object] = {}
        self._handlers = {
            0x351: (8, self._limits),
            0x355: (4, self._soc),
            0x356: (6, self._measurements),
            0x359: (4, self._pylontech_alarms),
            0x35A: (8, self._victron_alarms),
            0x35C: (1, self._requests),
            0x35E: (1, self._name),
            0x373: (8, self._cells),
        }

    def feed(self, frame_id: int, data: bytes, t: float) -> bool:
        entry = self._handlers.get(frame_id)
        if entry is None:
            return False
        need, handler = entry
        if len(data) < need:
            raise ValueError(f"frame 0x{frame_id:03X} has {len(data)} bytes, needs {need}")
        handler(data, t)
        return True

    # --- frames -------------------------------------------------------------
    def _measurements(self, data: bytes, t: float) -> None:
        volts, amps, temp = self._s3.unpack_from(data)
        rows = self.rows
        rows.set(VOLTAGE, volts * 0.01)
        rows.set(CURRENT, amps * 0.1)
        rows.set(TEMPERATURE, temp * 0.1)
        rows.emit(t)

    def _soc(self, data: bytes, t: float) -> None:
        soc, soh = self._u2.unpack_from(data)
        self.rows.set(SOC_REPORTED, float(soc))
        self.rows.set(SOH_REPORTED, float(soh))
        self.status["soc_pct"], self.status["soh_pct"] = soc, soh

    def _limits(self, data: bytes, t: float) -> None:
        cvl, ccl, dcl, dvl = self._hhhh.unpack_from(data)
        self.status.update(
            charge_voltage_limit_v=cvl * 0.1,
            charge_current_limit_a=ccl * 0.1,
            discharge_current_limit_a=dcl * 0.1,
            discharge_voltage_limit_v=dvl * 0.1,
        )

    def _cells(self, data: bytes, t: float) -> None:
        vmin, vmax, tmin, tmax = self._u4.unpack_from(data)
        self.status.update(
            cell_min_v=vmin * 0.001,
            cell_max_v=vmax * 0.001,
            cell_min_temp_c=tmin - 273.15,
            cell_max_temp_c=tmax - 273.15,
        )

    def _pylontech_alarms(self, data: bytes, t: float) -> None:
        def active(flags):
            return sorted(name for (byte, bit), name in flags.items() if data[byte] >> bit & 1)

        self.status["protections"] = active(PROTECTION_FLAGS)
        self.status["alarms"] = active(ALARM_FLAGS)
        if len(data) >= 5:
            self.status["modules"] = data[4]

    def _victron_alarms(self, data: bytes, t: float) -> None:
        def active(offset: int) -> list[str]:
            out = []
            for k, name in enumerate(VICTRON_CONDITIONS):
                byte, shift = offset + k // 4, (k % 4) * 2
                if (data[byte] >> shift) & 0b11 == 0b10:
                    out.append(name)
            return out

        self.status["alarms"] = active(0)
        self.status["warnings"] = active(4)

    def _requests(self, data: bytes, t: float) -> None:
        self.status["requests"] = sorted(
            name for bit, name in REQUEST_FLAGS.items() if data[0] >> bit & 1
        )

    def _name(self, data: bytes, t: float) -> None:
        self.status["name"] = bytes(data).rstrip(b"\x00 ").decode("ascii", errors="replace")


def encode_frames(
    *,
    voltage_v: float,
    current_a: float,
    temperature_c: float,
    soc_pct: float,
    soh_pct: float,
    cell_min_v: float,
    cell_max_v: float,
    cell_min_temp_c: float,
    cell_max_temp_c: float,
    charge_voltage_limit_v: float,
    charge_current_limit_a: float,
    discharge_current_limit_a: float,
    discharge_voltage_limit_v: float,
    name: str = "BATTOS",
    byte_order: ByteOrder = ByteOrder.LITTLE,
) -> list[tuple[int, bytes]]:
    """The frames a BMS sends for one status (for the device simulator and tests)."""
    e = "<" if byte_order == ByteOrder.LITTLE else ">"

    def r(x: float) -> int:
        return int(round(x))

    return [
        (
            0x351,
            struct.pack(
                e + "HhhH",
                r(charge_voltage_limit_v * 10),
                r(charge_current_limit_a * 10),
                r(discharge_current_limit_a * 10),
                r(discharge_voltage_limit_v * 10),
            ),
        ),
        (0x355, struct.pack(e + "HH", r(soc_pct), r(soh_pct))),
        (0x359, bytes([0, 0, 0, 0, 1, ord("P"), ord("N"), 0])),
        (0x35C, bytes([0xC0, 0])),
        (0x35E, name.encode("ascii")[:8].ljust(8, b" ")),
        (
            0x373,
            struct.pack(
                e + "4H",
                r(cell_min_v * 1000),
                r(cell_max_v * 1000),
                r(cell_min_temp_c + 273.15),
                r(cell_max_temp_c + 273.15),
            ),
        ),
        # last: the trigger, so the sample carries this status's SOC/SOH
        (
            0x356,
            struct.pack(e + "3h", r(voltage_v * 100), r(current_a * 10), r(temperature_c * 10)),
        ),
    ]
