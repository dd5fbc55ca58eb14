"""A simulated home-made rig printing CSV lines (``batteryos devsim line``).

Prints a header ``t_ms,mV,mA,degC`` and then one line per ``period_s`` from the
battery simulator; or replays the lines of a text file (``replay=PATH``). Its
``url`` carries the inline mapping that reads these lines.
"""

from __future__ import annotations

from pathlib import Path

from app.core.errors import SourceError
from app.hardware.devsim.battery_feed import BatteryFeed
from app.hardware.devsim.pty_device import StreamingDevice

HEADER = b"t_ms,mV,mA,degC\r\n"
#: The mapping of the simulated rig's lines by position (``map=`` of its URL).
MAPPING = "1:time_s:0.001,2:voltage_v:0.001,3:current_a:0.001,4:temperature_c"


class LineDevice(StreamingDevice):
    protocol = "line"

    def __init__(self, feed: BatteryFeed | None, lines: list[bytes] | None, **kw):
        super().__init__(**kw)
        self.feed = feed
        self.lines = lines
        self._i = 0
        self._t_ms = 0.0

    def transmission(self) -> bytes:
        self._i += 1
        if self.lines:
            return self.lines[(self._i - 1) % len(self.lines)]
        s = self.feed.next()
        self._t_ms += self.feed.dt_s * 1000.0
        line = (
            f"{self._t_ms:.0f},{s['voltage_v'] * 1000:.1f},{s['current_a'] * 1000:.0f},"
            f"{s.get('temperature_c', 25.0):.2f}\r\n"
        ).encode()
        # a rig prints its header at start and every so often (who plugs in late sees it)
        return HEADER + line if self._i % 50 == 1 else line


def start(
    *,
    chemistry: str = "lfp",
    cells: int = 4,
    speed: float = 1.0,
    replay: str | None = None,
    period_s: float = 1.0,
    bytes_per_s: float | None = None,
    **_ignored,
) -> LineDevice:
    """Start a simulated rig; ``url`` names its port and mapping."""
    lines = feed = None
    if replay:
        try:
            lines = [ln + b"\n" for ln in Path(replay).read_bytes().splitlines() if ln.strip()]
        except OSError as exc:
            raise SourceError(f"cannot read {replay}: {exc}") from None
        if not lines:
            raise SourceError(f"{replay}: no lines to replay")
        params = ""  # the user's mapping goes with the user's file
    else:
        feed = BatteryFeed(chemistry, cells, speed=speed, period_s=period_s)
        params = f"format=csv&map={MAPPING}"
    return LineDevice(
        feed, lines, period_s=period_s, bytes_per_s=bytes_per_s, url_params=params
    ).start()
