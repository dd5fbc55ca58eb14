"""CAN device simulators: a BMS on a python-can bus, for the GUI, the CLI and tests.

* :func:`start_pylontech` -- a BMS speaking the BMS-to-inverter protocol
  (0x351/0x355/0x356/0x359/0x35C/0x35E/0x373), fed by the battery simulator
  (``sim://``), one status per simulated sample.
* :func:`start_foxbms` -- replays a real foxBMS capture (a CAN log file) with
  its own timing, looping.

Each runs on a ``virtual`` channel, or behind an emulated slcan adapter on a
pseudo-terminal (``interface="slcan"``), and returns a :class:`RunningDevice`
whose :attr:`~RunningDevice.url` a source connects to. Stop it with
:meth:`RunningDevice.stop` (or ``with``).
"""

from __future__ import annotations

import itertools
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from app.core import schema
from app.core.spec import BatterySpec
from app.hardware.can.pylontech import ByteOrder, encode_frames

_counter = itertools.count(1)


@dataclass
class RunningDevice:
    """A simulated CAN device running in a thread."""

    url: str
    description: str
    _stop: Callable[[], None] = field(repr=False)
    #: Frames sent so far.
    frames_sent: list[int] = field(default_factory=lambda: [0], repr=False)
    #: The simulated battery (None: a replay, which does not say its own).
    spec: BatterySpec | None = None

    def stop(self) -> None:
        self._stop()

    def __enter__(self) -> RunningDevice:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _bus_and_url(interface: str, channel: str | None, query: str):
    """(bus to send on, URL for the source, cleanup)."""
    import can

    channel = channel or f"batteryos-devsim-{os.getpid()}-{next(_counter)}"
    if interface == "virtual":
        bus = can.Bus(interface="virtual", channel=channel)
        return bus, f"can://virtual/{channel}?{query}", bus.shutdown
    if interface == "slcan":
        from app.hardware.can.slcan_device import SlcanPtyDevice

        device = SlcanPtyDevice(channel).start()
        bus = can.Bus(interface="virtual", channel=channel)

        def cleanup() -> None:
            bus.shutdown()
            device.stop()

        url = f"can://slcan{device.port}?{query}&sleep_after_open=0"
        return bus, url, cleanup
    raise ValueError(f"simulated CAN devices run on virtual or slcan, not {interface!r}")


def _run_thread(name: str, body: Callable[[threading.Event], None], cleanup) -> Callable[[], None]:
    stop = threading.Event()
    thread = threading.Thread(target=body, args=(stop,), name=name, daemon=True)
    thread.start()

    def stopper() -> None:
        stop.set()
        thread.join(5)
        cleanup()

    return stopper


def start_pylontech(
    *,
    interface: str = "virtual",
    channel: str | None = None,
    sim_url: str = "sim://lfp?cells=16&capacity_ah=100&rate_hz=1&speed=1",
    byte_order: str = "little",
) -> RunningDevice:
    """A BMS sending the protocol frames of each sample of ``sim_url``.

    ``rate_hz`` of the simulator sets how often a status goes out (real BMSs:
    about 1 Hz); ``speed`` how fast simulated time runs.
    """
    import can

    from app.hardware.registry import create_source

    order = ByteOrder.parse(byte_order)
    sim = create_source(sim_url)
    spec = sim.spec
    query = "protocol=pylontech" + ("" if order == ByteOrder.LITTLE else f"&byte_order={order}")
    bus, url, cleanup = _bus_and_url(interface, channel, query)
    sent = [0]

    def body(stop: threading.Event) -> None:
        with sim:
            while not stop.is_set():
                block = sim.read(0.1)
                if block is None:
                    if sim.exhausted:
                        return
                    continue
                soc = float(sim.simulator.soc_pct.mean())
                for i in range(len(block)):
                    if stop.is_set():
                        return
                    for fid, data in _status_frames(block, i, soc, spec, order):
                        bus.send(can.Message(arbitration_id=fid, data=data, is_extended_id=False))
                        sent[0] += 1

    stopper = _run_thread(f"devsim pylontech {url}", body, cleanup)
    return RunningDevice(url, f"Pylontech-protocol BMS fed by {sim_url}", stopper, sent, spec)


def _status_frames(block, i: int, soc: float, spec, order: ByteOrder):
    cells_v = [block[c][i] for c in schema.cell_voltage_columns(block.columns)]
    cells_t = [block[c][i] for c in schema.cell_temperature_columns(block.columns)]
    v = float(block[schema.VOLTAGE][i])
    temp = float(block[schema.TEMPERATURE][i]) if schema.TEMPERATURE in block else 25.0
    n = max(len(cells_v), 1)
    return encode_frames(
        voltage_v=v,
        current_a=float(block[schema.CURRENT][i]),
        temperature_c=temp,
        soc_pct=min(max(soc, 0.0), 100.0),
        soh_pct=100.0,
        cell_min_v=min(cells_v) if cells_v else v / n,
        cell_max_v=max(cells_v) if cells_v else v / n,
        cell_min_temp_c=min(cells_t) if cells_t else temp,
        cell_max_temp_c=max(cells_t) if cells_t else temp,
        charge_voltage_limit_v=spec.pack_v_max,
        charge_current_limit_a=spec.max_charge_current_a,
        discharge_current_limit_a=spec.max_discharge_current_a,
        discharge_voltage_limit_v=spec.pack_v_min,
        byte_order=order,
    )


def start_foxbms(
    *,
    log: str,
    dbc: str,
    interface: str = "virtual",
    channel: str | None = None,
    speed: float = 1.0,
    loop: bool = True,
) -> RunningDevice:
    """Replay the frames of a foxBMS CAN ``log`` (any format :mod:`~app.hardware.logs.can_logs`
    reads) with their timing divided by ``speed``; ``dbc`` goes into the URL."""
    import can

    from app.hardware.logs.can_logs import read_frames

    frames = read_frames(log)
    bus, url, cleanup = _bus_and_url(interface, channel, f"dbc={dbc}")
    sent = [0]
    stamps = frames.timestamps
    span = (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    period = span + (span / max(len(stamps) - 1, 1) if span > 0 else 0.01)

    def body(stop: threading.Event) -> None:
        start = time.monotonic()
        for rep in itertools.count():
            for stamp, fid, data in zip(stamps, frames.ids, frames.data, strict=True):
                due = start + (rep * period + stamp - stamps[0]) / speed if speed > 0 else 0
                wait = due - time.monotonic()
                if wait > 0 and stop.wait(wait):
                    return
                if stop.is_set():
                    return
                bus.send(can.Message(arbitration_id=fid, data=data, is_extended_id=fid > 0x7FF))
                sent[0] += 1
            if not loop or math.isclose(period, 0.0):
                return

    stopper = _run_thread(f"devsim foxbms {url}", body, cleanup)
    return RunningDevice(url, f"foxBMS replay of {os.path.basename(log)}", stopper, sent)


def devsim_pylontech(
    *, chemistry="lfp", cells=16, speed=1.0, interface="slcan", byte_order="little", **_ignored
) -> RunningDevice:
    """``batteryos devsim pylontech``: the battery simulator behind the BMS protocol.

    slcan by default: the window or ``record`` connects from another process,
    which a ``virtual`` bus cannot reach."""
    sim_url = f"sim://{chemistry}?cells={cells}&capacity_ah=100&rate_hz=1&speed={speed:g}"
    return start_pylontech(interface=interface, sim_url=sim_url, byte_order=byte_order)


def devsim_foxbms(
    *, replay=None, dbc=None, speed=1.0, interface="slcan", **_ignored
) -> RunningDevice:
    """``batteryos devsim foxbms --replay LOG [--dbc DBC]``: a foxBMS capture replayed in a
    loop; without --dbc the DBC beside the log that decodes its frames, as ``analyze``
    finds it (``devsim foxbms --replay foxbms_test_log.txt`` asked for --dbc that
    ``analyze foxbms_test_log.txt`` found by itself)."""
    from app.core.errors import SourceError

    if not replay:
        raise SourceError("devsim foxbms needs --replay LOG (a foxBMS CAN log) and --dbc DBC")
    if not dbc:
        from app.hardware.logs.can_logs import dbc_beside, read_frames

        dbc = dbc_beside(replay, set(read_frames(replay).ids))
        if dbc is None:
            raise SourceError(
                f"devsim foxbms: no DBC beside {replay} decodes its frames: give --dbc DBC"
            )
    return start_foxbms(log=replay, dbc=os.path.abspath(dbc), speed=speed, interface=interface)


#: The simulated CAN devices by name, for ``batteryos devsim NAME``.
DEVICES: dict[str, Callable[..., RunningDevice]] = {
    "pylontech": start_pylontech,
    "foxbms": start_foxbms,
}
