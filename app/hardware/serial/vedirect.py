"""Victron VE.Direct text protocol (BMV-70x, SmartShunt): ``protocol=vedirect``.

``serial:///dev/ttyUSB0?protocol=vedirect`` (19200 8N1 by default).

The device sends blocks of ``\\r\\n<label>\\t<value>`` fields once a second; a
block ends with ``\\r\\nChecksum\\t<byte>``, the byte making the sum of every byte
of the block 0 mod 256. A BMV sends two blocks a second: the live values (V, I,
P, CE, SOC, TTG, Alarm, ...) and the history (H1-H18). HEX-protocol messages
(``:<hex>\\n``) may be interleaved anywhere and are skipped.

Mapping (Victron's units; current from the monitor is already positive when
charging, the canonical sign): ``V`` mV -> ``voltage_v``, ``I`` mA ->
``current_a``, ``T`` degC -> ``temperature_c``, ``SOC`` per mille ->
``soc_reported_pct``. Every other field (P, CE, TTG, Alarm, AR, H1-H18, PID,
FW, ...) is kept in :attr:`VEDirectDecoder.fields` and in ``describe()``.
"""

from __future__ import annotations

import math
import re

from app.core.schema import CURRENT, SOC_REPORTED, TEMPERATURE, VOLTAGE
from app.hardware.serial.port import SerialSource
from app.hardware.source import SourceHealth

_END = b"Checksum\t"
#: HEX messages, except a ':' that is the checksum byte itself.
_HEX_LINE = re.compile(rb"(?<!Checksum\t):[0-9A-Fa-f]*\n")
#: A block longer than this without a checksum is garbage, not a block.
MAX_BLOCK_BYTES = 1024
#: label -> (column, scale to SI)
FIELDS: dict[bytes, tuple[str, float]] = {
    b"V": (VOLTAGE, 1e-3),
    b"I": (CURRENT, 1e-3),
    b"T": (TEMPERATURE, 1.0),
    b"SOC": (SOC_REPORTED, 0.1),
}


def checksum_byte(block_without_checksum: bytes) -> int:
    """The byte that makes ``block + bytes([it])`` sum to 0 mod 256."""
    return (-sum(block_without_checksum)) % 256


def frame_block(fields: list[tuple[str, str]]) -> bytes:
    """One block on the wire: ``\\r\\nlabel\\tvalue`` fields and its checksum."""
    body = b"".join(b"\r\n" + k.encode() + b"\t" + v.encode() for k, v in fields)
    body += b"\r\n" + _END
    return body + bytes([checksum_byte(body)])


class VEDirectDecoder:
    """VE.Direct text blocks -> sample rows; checksums validated, errors counted."""

    frame_name = "VE.Direct block"

    def __init__(self, health: SourceHealth):
        self.health = health
        self.fields: dict[str, str] = {}  #: the latest value of every label
        self._buf = b""
        self._synced = False

    def reset(self) -> None:
        self._buf = b""
        self._synced = False

    def feed(self, data: bytes) -> list[dict[str, float]]:
        buf = self._buf + data
        if b":" in buf:
            buf = _HEX_LINE.sub(b"", buf)
        rows: list[dict[str, float]] = []
        start = 0
        while True:
            end = buf.find(_END, start)
            if end < 0 or end + len(_END) >= len(buf):
                break
            stop = end + len(_END) + 1
            row = self._block(buf[start:stop])
            if row:
                rows.append(row)
            start = stop
        rest = buf[start:]
        if len(rest) > MAX_BLOCK_BYTES:
            # no checksum in sight: garbage (or a wrong baud rate); keep only a tail
            self.health.count_bad(f"{len(rest)} bytes without a VE.Direct checksum")
            keep = rest.rfind(b"\r\n")
            rest = rest[keep:] if keep >= 0 and len(rest) - keep <= MAX_BLOCK_BYTES else b""
            self._synced = True
        self._buf = rest
        return rows

    def _block(self, block: bytes) -> dict[str, float] | None:
        synced, self._synced = self._synced, True
        if sum(block) % 256:
            if synced:  # the first piece after connecting is a partial block, not an error
                self.health.count_bad(f"VE.Direct block with a bad checksum ({len(block)} bytes)")
            return None
        first = block.find(b"\r\n")
        if first < 0:
            self.health.count_bad("VE.Direct block without fields")
            return None
        body = block[first + 2 : -len(_END) - 3]
        if not body:
            self.health.count_unknown("VE.Direct block without fields")
            return None
        row: dict[str, float] = {}
        for line in body.split(b"\r\n"):
            label, tab, value = line.partition(b"\t")
            if not tab:
                self.health.count_bad(f"VE.Direct field without a tab: {line[:40]!r}")
                return None
            self.fields[label.decode("latin-1")] = value.decode("latin-1")
            spec = FIELDS.get(label)
            if spec is not None:
                row[spec[0]] = _number(value) * spec[1]
        self.health.frames_ok += 1
        # The history block (H1..H18) carries no live value: counted, no sample.
        # A live block always has V; one without it (a label garbled in a way the
        # checksum missed) gives no sample rather than a sample without voltage.
        return row if VOLTAGE in row else None


def _number(value: bytes) -> float:
    """A VE.Direct number; ``---`` (no sensor) and anything else not numeric is NaN."""
    try:
        x = float(int(value))
    except ValueError:
        return math.nan
    return x


class VEDirectSource(SerialSource):
    """A Victron BMV or SmartShunt on a VE.Direct serial cable."""

    protocol = "vedirect"
    default_baud = 19200

    def _make_decoder(self) -> VEDirectDecoder:
        return VEDirectDecoder(self.health)

    def describe(self) -> dict:
        d = super().describe()
        d["serial"]["device_fields"] = dict(self.decoder.fields)
        return d
