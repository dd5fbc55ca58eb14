"""A simulated JK BMS streaming JK02 cell-info frames (``batteryos devsim jk``).

Like the BMS, it streams only after the host asked for cell info (command 0x96),
answers 0x97 with a device-info frame, and sends a frame every ``period_s``.
Fed by the battery simulator (32-cell layout of firmware 11+), or replaying
300-byte frames from a file (``replay=PATH``, e.g. the real capture), the frame
counter advancing and the CRC recomputed.
"""

from __future__ import annotations

import struct
from pathlib import Path

from app.core.errors import SourceError
from app.hardware.devsim.battery_feed import BatteryFeed
from app.hardware.devsim.pty_device import StreamingDevice
from app.hardware.serial import jk

_MAX_CELLS = 32


def read_frames(path: str | Path) -> list[bytes]:
    """The CRC-valid 300-byte JK frames in ``path``."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read the JK recording {path}: {exc}") from None
    frames, i = [], data.find(jk.HEADER)
    while 0 <= i <= len(data) - jk.FRAME_LEN:
        f = data[i : i + jk.FRAME_LEN]
        if jk.crc(f[:299]) == f[299]:
            frames.append(f)
        i = data.find(jk.HEADER, i + 4)
    if not any(f[4] == jk.CELL_INFO for f in frames):
        raise SourceError(f"{path}: no JK cell-info frame found")
    return frames


def cell_info_frame(
    sample: dict[str, float], cells: int, counter: int, capacity_ah: float
) -> bytes:
    """A 32S-layout cell-info frame of one battery-simulator sample."""
    f = bytearray(jk.FRAME_LEN)
    f[0:4] = jk.HEADER
    f[4], f[5] = jk.CELL_INFO, counter % 256
    o = jk._LAYOUT_OFFSETS["32s"]
    mv = [round(sample.get(f"cell_{k}_v", 0.0) * 1000) for k in range(1, cells + 1)]
    struct.pack_into(f"<{cells}H", f, 6, *mv)
    struct.pack_into("<I", f, o["mask"], (1 << cells) - 1)
    struct.pack_into("<H", f, o["mask"] + 4, round(sum(mv) / cells))
    struct.pack_into("<I", f, o["pack_v"], round(sample["voltage_v"] * 1000))
    struct.pack_into("<i", f, o["current"], round(sample["current_a"] * 1000))
    t = sample.get("temperature_c", 25.0)
    struct.pack_into("<hh", f, o["t1"], round(t * 10), round((t - 0.5) * 10))
    struct.pack_into("<h", f, o["mos_t"], round((t + 3.0) * 10))
    soc = min(max(sample["soc_pct"], 0.0), 100.0)
    f[o["soc"]] = round(soc)
    struct.pack_into(
        "<II", f, o["remaining"], round(soc / 100 * capacity_ah * 1000), round(capacity_ah * 1000)
    )
    f[o["soh"]] = 100
    return jk.seal(f)


def device_info_frame(model: str = "JK_B2A8S20P") -> bytes:
    f = bytearray(jk.FRAME_LEN)
    f[0:4] = jk.HEADER
    f[4] = jk.DEVICE_INFO
    f[6 : 6 + len(model)] = model.encode()
    return jk.seal(f)


class JKDevice(StreamingDevice):
    protocol = "jk"

    def __init__(self, feed: BatteryFeed | None, frames: list[bytes] | None, **kw):
        super().__init__(**kw)
        self.feed = feed
        self.cell_frames = [f for f in frames or [] if f[4] == jk.CELL_INFO]
        self.other_frames = [f for f in frames or [] if f[4] != jk.CELL_INFO]
        self._asked = False
        self._pending = b""
        self._cmd_buf = b""
        self._counter = 0

    @property
    def streaming(self) -> bool:
        return self._asked

    def on_host_bytes(self, data: bytes) -> None:
        buf = self._cmd_buf + data
        while (i := buf.find(b"\xaa\x55\x90\xeb")) >= 0 and len(buf) - i >= 20:
            cmd = buf[i : i + 20]
            buf = buf[i + 20 :]
            if jk.crc(cmd[:19]) != cmd[19]:
                continue
            if cmd[4] == jk.CMD_DEVICE_INFO:
                self._pending += device_info_frame()
            elif cmd[4] == jk.CMD_CELL_INFO:
                self._asked = True
                self._pending += b"".join(self.other_frames)  # settings first, as the BMS
        self._cmd_buf = buf[-19:]
        if self._pending and not self._asked:
            self.write(self._pending)
            self._pending = b""

    def transmission(self) -> bytes:
        self._counter += 1
        if self.cell_frames:
            f = bytearray(self.cell_frames[self._counter % len(self.cell_frames)])
            f[5] = self._counter % 256
            out = jk.seal(f)
        else:
            cap = self.feed.spec.capacity_ah * self.feed.spec.parallel_strings
            out = cell_info_frame(self.feed.next(), self.feed.cells, self._counter, cap)
        out, self._pending = self._pending + out, b""
        return out


def start(
    *,
    chemistry: str = "lfp",
    cells: int = 4,
    speed: float = 1.0,
    replay: str | None = None,
    period_s: float = 1.0,
    bytes_per_s: float | None = None,
    **_ignored,
) -> JKDevice:
    """Start a simulated JK BMS; ``url`` names its port."""
    if not 1 <= cells <= _MAX_CELLS:
        raise SourceError(f"a JK BMS has 1..{_MAX_CELLS} cells, not {cells}")
    frames = read_frames(replay) if replay else None
    feed = None if frames else BatteryFeed(chemistry, cells, speed=speed, period_s=period_s)
    return JKDevice(feed, frames, period_s=period_s, bytes_per_s=bytes_per_s).start()
