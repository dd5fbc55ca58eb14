"""A simulated Victron BMV-702 on a pseudo-terminal (``batteryos devsim vedirect``).

Fed by the battery simulator, or replaying a VE.Direct text recording
(``replay=PATH``, e.g. the real ``bmv702.dump``), each block re-framed with
``\\r\\n`` line ends and a correct checksum. Sends a live block and a history
block every ``period_s`` (1 s, like the BMV).
"""

from __future__ import annotations

from pathlib import Path

from app.core.errors import SourceError
from app.hardware.devsim.battery_feed import BatteryFeed
from app.hardware.devsim.pty_device import StreamingDevice
from app.hardware.serial.vedirect import frame_block


def read_recording(path: str | Path) -> list[bytes]:
    """The blocks of a VE.Direct text recording, re-framed with correct checksums.

    Lines may end in ``\\n`` or ``\\r\\n``; the recorded checksum fields (often
    mangled in copies) are only used as block ends.
    """
    try:
        text = Path(path).read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise SourceError(f"cannot read the VE.Direct recording {path}: {exc}") from None
    blocks, fields = [], []
    for line in text.splitlines():
        label, tab, value = line.strip("\r").partition("\t")
        if not tab:
            continue
        if label == "Checksum":
            if fields:
                blocks.append(frame_block(fields))
            fields = []
        else:
            fields.append((label, value))
    if not blocks:
        raise SourceError(f"{path}: no VE.Direct blocks found")
    return blocks


class BMVDevice(StreamingDevice):
    protocol = "vedirect"

    def __init__(self, feed: BatteryFeed | None, blocks: list[bytes] | None, **kw):
        super().__init__(**kw)
        self.feed = feed
        self.blocks = blocks
        self._i = 0
        self.consumed_mah = 0.0

    def transmission(self) -> bytes:
        if self.blocks:
            block = self.blocks[self._i % len(self.blocks)]
            self._i += 1
            return block
        return self._live_block() + self._history_block()

    def _live_block(self) -> bytes:
        s = self.feed.next()
        v, i, soc = s["voltage_v"], s["current_a"], s["soc_pct"]
        cap_ah = self.feed.spec.capacity_ah * self.feed.spec.parallel_strings
        self.consumed_mah = min(0.0, -(100.0 - soc) / 100.0 * cap_ah * 1000.0)
        ttg = round((soc / 100.0 * cap_ah) / -i * 60.0) if i < -0.01 else -1
        t = s.get("temperature_c")
        fields = [
            ("PID", "0x203"),
            ("V", f"{round(v * 1000)}"),
            ("I", f"{round(i * 1000)}"),
            ("P", f"{round(v * i)}"),
            ("CE", f"{round(self.consumed_mah)}"),
            ("SOC", f"{round(min(max(soc, 0.0), 100.0) * 10)}"),
            ("TTG", f"{ttg}"),
            ("T", f"{round(t)}" if t is not None else "---"),
            ("Alarm", "OFF"),
            ("Relay", "OFF"),
            ("AR", "0"),
            ("BMV", "702"),
            ("FW", "0308"),
        ]
        return frame_block(fields)

    def _history_block(self) -> bytes:
        fields = [(f"H{k}", "0") for k in range(1, 19)]
        fields[1] = ("H2", f"{round(self.consumed_mah)}")
        return frame_block(fields)


def start(
    *,
    chemistry: str = "lfp",
    cells: int = 4,
    speed: float = 1.0,
    replay: str | None = None,
    period_s: float = 1.0,
    bytes_per_s: float | None = None,
    **_ignored,
) -> BMVDevice:
    """Start a simulated BMV; ``url`` names its port."""
    blocks = read_recording(replay) if replay else None
    feed = None if blocks else BatteryFeed(chemistry, cells, speed=speed, period_s=period_s)
    return BMVDevice(feed, blocks, period_s=period_s, bytes_per_s=bytes_per_s).start()
