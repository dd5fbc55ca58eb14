"""JK (Jikong) BMS "JK02" frames: ``protocol=jk``.

``serial:///dev/ttyUSB0?protocol=jk&baud=115200&layout=auto``

The BMS streams 300-byte frames ``55 AA EB 90 <type> <counter> <data> <crc>``
(crc = sum of the first 299 bytes mod 256): type 0x01 settings, 0x02 cell info,
0x03 device info. On opening, the source asks for the device info (0x97) and
the cell-info stream (0x96) with the 20-byte command ``AA 55 90 EB <cmd> ...``.

Cell info (little endian), ``o`` = 16 for the 32-cell layout of firmware 11+
(``JK02_32S``), 0 for the older 24-cell one (``JK02_24S``):

=============  ==========================  ==========================
offset         field                       unit
=============  ==========================  ==========================
6 + 2k         cell k+1 voltage            uint16 mV (24 or 32 slots)
54 + o         enabled-cells bit mask      uint32
118 + 2o       pack voltage                uint32 mV
126 + 2o       current (+ = charging)      int32 mA
130/132 + 2o   temperature sensors 1, 2    int16 0.1 degC
144 / 134      MOSFET temperature          int16 0.1 degC (32S / 24S)
141 + 2o       SOC                         uint8 %
142 + 2o       remaining capacity          uint32 mAh
146 + 2o       full-charge capacity        uint32 mAh
150 + 2o       cycle count                 uint32
158 + 2o       SOH                         uint8 %
=============  ==========================  ==========================

(As decoded by batmon-ha and syssi/esphome-jk-bms; the real capture of a
JK_B2A8S20P, fw 11.50, in the shared real data decodes to 4 cells of 3.341-3.357 V,
13.405 V, +33.29 A, SOC 66 %, 251 Ah, 427 cycles, SOH 79 %.) With
``layout=auto`` (default) each frame is read with the layout whose pack
voltage matches the sum of its enabled cells.
"""

from __future__ import annotations

import struct

from app.core.errors import SourceError
from app.core.schema import (
    CURRENT,
    SOC_REPORTED,
    SOH_REPORTED,
    TEMPERATURE,
    VOLTAGE,
    cell_voltage_column,
)
from app.hardware.registry import SourceURL
from app.hardware.serial.port import SerialSource
from app.hardware.source import SourceHealth

HEADER = b"\x55\xaa\xeb\x90"
FRAME_LEN = 300
SETTINGS, CELL_INFO, DEVICE_INFO = 0x01, 0x02, 0x03
CMD_DEVICE_INFO, CMD_CELL_INFO = 0x97, 0x96
#: Some firmwares pad a frame with a few bytes; so many are not garbage.
_PAD_BYTES = 8
LAYOUTS = ("32s", "24s")


def crc(data: bytes) -> int:
    return sum(data) % 256


def command(cmd: int, value: int = 0, length: int = 0) -> bytes:
    """The host's 20-byte command frame."""
    head = b"\xaa\x55\x90\xeb" + bytes([cmd, length]) + value.to_bytes(4, "little")
    body = head + bytes(19 - len(head))
    return body + bytes([crc(body)])


def seal(frame: bytes | bytearray) -> bytes:
    """``frame`` (300 bytes) with its CRC byte set."""
    frame = bytearray(frame)
    frame[299] = crc(frame[:299])
    return bytes(frame)


def _offsets(layout: str) -> dict[str, int]:
    o = 16 if layout == "32s" else 0
    return {
        "slots": 32 if layout == "32s" else 24,
        "mask": 54 + o,
        "pack_v": 118 + 2 * o,
        "current": 126 + 2 * o,
        "t1": 130 + 2 * o,
        "t2": 132 + 2 * o,
        "mos_t": 144 if layout == "32s" else 134,
        "soc": 141 + 2 * o,
        "remaining": 142 + 2 * o,
        "capacity": 146 + 2 * o,
        "cycles": 150 + 2 * o,
        "soh": 158 + 2 * o,
    }


_LAYOUT_OFFSETS = {name: _offsets(name) for name in LAYOUTS}


def decode_cell_info(frame: bytes, layout: str = "auto") -> dict | None:
    """The fields of one cell-info frame, or None if no layout fits it.

    Keys: ``layout``, ``cells`` (list of V), ``pack_v``, ``current_a``, ``t1_c``,
    ``t2_c``, ``mos_c``, ``soc_pct``, ``remaining_ah``, ``capacity_ah``,
    ``cycles``, ``soh_pct``.
    """
    for name in LAYOUTS if layout == "auto" else (layout,):
        f = _LAYOUT_OFFSETS[name]
        mask = struct.unpack_from("<I", frame, f["mask"])[0]
        volts = struct.unpack_from(f"<{f['slots']}H", frame, 6)
        used = [k for k in range(f["slots"]) if mask >> k & 1] or [
            k for k, mv in enumerate(volts) if mv
        ]
        pack_mv = struct.unpack_from("<I", frame, f["pack_v"])[0]
        total = sum(volts[k] for k in used)
        fits = used and pack_mv and abs(total - pack_mv) <= 0.1 * pack_mv
        if not fits and layout == "auto":
            continue
        i16 = lambda off: struct.unpack_from("<h", frame, off)[0] / 10.0  # noqa: E731
        u32 = lambda off: struct.unpack_from("<I", frame, off)[0]  # noqa: E731
        return {
            "layout": name,
            "cells": {k + 1: volts[k] / 1000.0 for k in used},
            "pack_v": pack_mv / 1000.0,
            "current_a": struct.unpack_from("<i", frame, f["current"])[0] / 1000.0,
            "t1_c": i16(f["t1"]),
            "t2_c": i16(f["t2"]),
            "mos_c": i16(f["mos_t"]),
            "soc_pct": float(frame[f["soc"]]),
            "remaining_ah": u32(f["remaining"]) / 1000.0,
            "capacity_ah": u32(f["capacity"]) / 1000.0,
            "cycles": u32(f["cycles"]),
            "soh_pct": float(frame[f["soh"]]),
        }
    return None


class JKDecoder:
    """JK02 frames -> one sample row per cell-info frame; errors counted in health."""

    frame_name = "JK frame"

    def __init__(self, health: SourceHealth, layout: str = "auto"):
        self.health = health
        self.layout = layout
        self.info: dict[str, object] = {}  #: capacity, cycles, MOSFET temperature, ...
        self._buf = b""
        self._absorb = 0

    def reset(self) -> None:
        self._buf = b""
        self._absorb = 0

    def feed(self, data: bytes) -> list[dict[str, float]]:
        buf = self._buf + data
        rows: list[dict[str, float]] = []
        i = 0
        while True:
            j = buf.find(HEADER, i)
            if j < 0:
                # keep a possible header start; the rest is garbage
                keep = max(i, len(buf) - (len(HEADER) - 1))
                self._skipped(keep - i)
                i = keep
                break
            self._skipped(j - i)
            if len(buf) - j < FRAME_LEN:
                i = j
                break
            frame = buf[j : j + FRAME_LEN]
            if crc(frame[:299]) != frame[299]:
                self.health.count_bad(f"JK frame with a bad CRC (type {frame[4]:#04x})")
                self._absorb = FRAME_LEN - len(HEADER)  # the rest of it is no new error
                i = j + len(HEADER)
                continue
            row = self._frame(frame)
            if row is not None:
                rows.append(row)
            self._absorb = _PAD_BYTES
            i = j + FRAME_LEN
        self._buf = buf[i:]
        return rows

    def _skipped(self, n: int) -> None:
        if n <= 0:
            return
        absorb, self._absorb = self._absorb, 0
        if n > absorb:
            self.health.count_bad(f"{n} bytes of garbage between JK frames")

    def _frame(self, frame: bytes) -> dict[str, float] | None:
        kind = frame[4]
        if kind != CELL_INFO:
            if kind == DEVICE_INFO:
                self.info["model"] = frame[6:22].split(b"\0")[0].decode("latin-1")
            self.health.count_unknown()
            return None
        d = decode_cell_info(frame, self.layout)
        if d is None:
            self.health.count_bad("JK cell-info frame whose pack voltage fits no known layout")
            return None
        self.health.frames_ok += 1
        self.info.update(
            layout=d["layout"],
            mosfet_c=d["mos_c"],
            remaining_ah=d["remaining_ah"],
            capacity_ah=d["capacity_ah"],
            cycles=d["cycles"],
        )
        row = {
            VOLTAGE: d["pack_v"],
            CURRENT: d["current_a"],
            TEMPERATURE: max(d["t1_c"], d["t2_c"]),
            SOC_REPORTED: d["soc_pct"],
            SOH_REPORTED: d["soh_pct"],
        }
        for k, v in d["cells"].items():
            row[cell_voltage_column(k)] = v
        return row


class JKSource(SerialSource):
    """A JK BMS streaming JK02 frames on a serial port (115200 baud by default)."""

    protocol = "jk"
    default_baud = 115200
    protocol_params = ("layout",)

    def __init__(self, *args, layout: str = "auto", **kwargs):
        self.layout = layout
        super().__init__(*args, **kwargs)

    @classmethod
    def _options(cls, parsed: SourceURL) -> dict:
        layout = parsed.params.get("layout", "auto").lower()
        if layout not in ("auto", *LAYOUTS):
            raise SourceError(f"{parsed.raw}: parameter layout must be auto, 32s or 24s")
        return {"layout": layout}

    def _make_decoder(self) -> JKDecoder:
        return JKDecoder(self.health, self.layout)

    def _on_open(self) -> None:
        self._write(command(CMD_DEVICE_INFO) + command(CMD_CELL_INFO))

    def describe(self) -> dict:
        d = super().describe()
        d["serial"]["bms"] = dict(self.decoder.info)
        return d
