"""A simulated Daly BMS answering polls on a pseudo-terminal (``batteryos devsim daly``).

It answers the host's 13-byte requests (address 0x40) for commands 0x90-0x98 as
a Daly BMS does (address 0x01; several frames for cell voltages and
temperatures); anything else it ignores. The battery simulator advances one
sample per 0x90 request (``period_s * speed`` simulated seconds each).

Its 0x90 current counts charging above the 30000 offset, as the decoder
expects by default; ``charge_below_offset=True`` plays a firmware that counts
the other way (its URL then carries ``invert_current=1``).
"""

from __future__ import annotations

from app.core.errors import SourceError
from app.hardware.devsim.battery_feed import BatteryFeed
from app.hardware.devsim.pty_device import PtyDevice
from app.hardware.serial import daly

_MAX_CELLS = 48
_SENSORS = 2


class DalyDevice(PtyDevice):
    protocol = "daly"

    def __init__(self, feed: BatteryFeed, *, charge_below_offset: bool = False, **kw):
        super().__init__(**kw)
        self.feed = feed
        self.current_sign = -1 if charge_below_offset else 1
        self.sample = feed.next()
        self.requests = 0
        self._buf = b""

    def run(self) -> None:
        while not self.stopping:
            data = self.read(0.05)
            if not data:
                continue
            buf = self._buf + data
            while len(buf) >= daly.FRAME_LEN:
                if buf[0] != daly.START:
                    buf = buf[1:]
                    continue
                req = buf[: daly.FRAME_LEN]
                if sum(req[:12]) % 256 != req[12] or req[1] != daly.HOST_ADDRESS:
                    buf = buf[1:]
                    continue
                buf = buf[daly.FRAME_LEN :]
                self.requests += 1
                self.write(self.answer(req[2]))
            self._buf = buf

    def answer(self, cmd: int) -> bytes:
        s, n = self.sample, self.feed.cells
        cell_mv = [round(s.get(f"cell_{k}_v", 0.0) * 1000) for k in range(1, n + 1)]
        t = s.get("temperature_c", 25.0)
        temps = [round(t) + daly.TEMPERATURE_OFFSET, round(t - 1) + daly.TEMPERATURE_OFFSET]
        cap_ah = self.feed.spec.capacity_ah * self.feed.spec.parallel_strings
        soc = min(max(s["soc_pct"], 0.0), 100.0)
        i = s["current_a"]

        def out(data: bytes) -> bytes:
            return daly.frame(daly.BMS_ADDRESS, cmd, data)

        if cmd == daly.PACK:
            self.sample = self.feed.next()
            raw_i = self.current_sign * round(i * 10) + daly.CURRENT_OFFSET
            data = b"".join(
                x.to_bytes(2, "big")
                for x in (round(s["voltage_v"] * 10), 0, raw_i, round(soc * 10))
            )
            return out(data)
        if cmd == daly.MIN_MAX_CELL:
            hi, lo = max(cell_mv), min(cell_mv)
            data = hi.to_bytes(2, "big") + bytes([cell_mv.index(hi) + 1])
            return out(data + lo.to_bytes(2, "big") + bytes([cell_mv.index(lo) + 1]))
        if cmd == daly.MIN_MAX_TEMPERATURE:
            return out(bytes([max(temps), 1, min(temps), 2]))
        if cmd == daly.MOSFET:
            mode = 1 if i > 0.01 else 2 if i < -0.01 else 0
            return out(bytes([mode, 1, 1, 0]) + round(soc / 100 * cap_ah * 1000).to_bytes(4, "big"))
        if cmd == daly.STATUS:
            return out(bytes([n, _SENSORS, int(i > 0), int(i < 0), 0]) + (0).to_bytes(2, "big"))
        if cmd == daly.CELL_VOLTAGES:
            frames = []
            for j in range(0, n, 3):
                chunk = cell_mv[j : j + 3]
                data = bytes([j // 3 + 1]) + b"".join(v.to_bytes(2, "big") for v in chunk)
                frames.append(out(data))
            return b"".join(frames)
        if cmd == daly.TEMPERATURES:
            return out(bytes([1, *temps]))
        if cmd in (daly.BALANCING, daly.ERRORS):
            return out(b"")
        return b""  # a command this BMS does not know: no answer


def start(
    *,
    chemistry: str = "lfp",
    cells: int = 4,
    speed: float = 1.0,
    replay: str | None = None,
    period_s: float = 1.0,
    profile: str = "cycle",
    charge_below_offset: bool = False,
    **_ignored,
) -> DalyDevice:
    """Start a simulated Daly BMS; ``url`` names its port. ``period_s`` is the
    simulated time per poll (the host's ``poll_s``) at ``speed`` 1; ``profile``
    the simulator's load profile (``cccv`` charges, ``cc`` discharges)."""
    if replay:
        raise SourceError("the Daly simulator answers polls from the battery simulator; no replay")
    if not 1 <= cells <= _MAX_CELLS:
        raise SourceError(f"a Daly BMS has 1..{_MAX_CELLS} cells, not {cells}")
    feed = BatteryFeed(chemistry, cells, speed=speed, period_s=period_s, profile=profile)
    params = f"poll_s={period_s:g}" + ("&invert_current=1" if charge_below_offset else "")
    return DalyDevice(feed, charge_below_offset=charge_below_offset, url_params=params).start()
