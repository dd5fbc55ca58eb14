"""``batteryos devsim``: a simulated device on a pseudo-terminal, to try Battery OS
without hardware. Prints the source URL to connect to and runs until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import select
import signal
import sys

from app.cli.battery_options import positive_float, positive_int


def add_parser(sub) -> None:
    from app.hardware.devsim import DEVICE_SIMULATORS

    p = sub.add_parser(
        "devsim",
        help="run a simulated device (VE.Direct, Daly, JK, line; Pylontech or foxBMS on CAN)",
        description="Run a simulated device and print the source URL to connect to, e.g. "
        "serial:///dev/pts/7?protocol=vedirect; then record it with `batteryos record URL` "
        "and its battery (stderr says the simulated one's: "
        "URL&chemistry=lfp&cells=4&capacity_ah=2.5) or connect the window to it. Runs until "
        "Ctrl-C.",
    )
    p.add_argument("device", choices=sorted(DEVICE_SIMULATORS), help="the device to simulate")
    p.add_argument("--chemistry", default="lfp", help="battery chemistry (default lfp)")
    p.add_argument("--cells", type=positive_int, default=4, help="series cells (default 4)")
    p.add_argument(
        "--speed",
        type=positive_float,
        default=1.0,
        help="simulated seconds per wall-clock second (default 1: real time)",
    )
    p.add_argument(
        "--period",
        type=positive_float,
        default=1.0,
        help="seconds between transmissions (polls for Daly) (default 1)",
    )
    p.add_argument(
        "--replay",
        metavar="FILE",
        help="replay a recording instead of the battery simulator (VE.Direct text, JK frames, "
        "text lines, or a foxBMS CAN log)",
    )
    p.add_argument(
        "--interface",
        choices=["slcan", "virtual"],
        default="slcan",
        help="CAN devices: an slcan adapter emulated on a pseudo-terminal (default; reachable "
        "from other processes) or a python-can virtual bus (this process only)",
    )
    p.add_argument(
        "--dbc",
        metavar="DBC",
        help="foxbms: the DBC of the replayed log (default: the one beside the log that "
        "decodes its frames, as analyze finds it)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from app.hardware.devsim import start_device

    device = start_device(
        args.device,
        chemistry=args.chemistry,
        cells=args.cells,
        speed=args.speed,
        period_s=args.period,
        replay=args.replay,
        interface=args.interface,
        dbc=args.dbc,
    )
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    # Ctrl-C stops it even where it was started in the background by a shell without job
    # control, which starts it with SIGINT ignored (Python then installs no handler)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        # the URL inside: Ctrl-C the moment it is out (a script that waits for it) still
        # stops the device
        print(device.url, flush=True)
        print(f"batteryos devsim: {battery_hint(device)}", file=sys.stderr, flush=True)
        wait_for_interrupt()
    finally:
        device.stop()
    return 0


def battery_hint(device) -> str:
    """The battery to give ``record`` (or the window) with the device's URL: a BMS does
    not say which battery it is (``record`` refuses a URL without it). The simulated
    battery's, or for a replay, what to give."""
    feed = getattr(device, "feed", None)  # (a serial device's battery simulator)
    spec = feed.spec if feed is not None else getattr(device, "spec", None)
    if spec is None:
        return (
            "a replay does not say which battery it is: record the URL with its chemistry, "
            "series cells and capacity (URL&chemistry=..&cells=..&capacity_ah=..)"
        )
    battery = f"chemistry={spec.chemistry.value}&cells={spec.series_cells}"
    battery += f"&capacity_ah={spec.capacity_ah:g}"
    return (
        f"the simulated battery is {spec.chemistry.value}, {spec.series_cells} cells in "
        f"series, {spec.capacity_ah:g} Ah: batteryos record '{device.url}&{battery}'"
    )


def wait_for_interrupt() -> None:
    """Block until Ctrl-C (or ``kill``) raises KeyboardInterrupt in this, the main thread.

    Not ``threading.Event().wait()``: the kernel may hand the signal to a device thread,
    and then nothing wakes the main thread from its lock to run Python's handler (a
    loaded machine left ``devsim`` running after Ctrl-C). The signal's wake-up byte
    goes to a pipe this thread waits on, whichever thread took the signal.
    """
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    previous = signal.set_wakeup_fd(write_end)
    try:
        while True:
            select.select([read_end], [], [])
            os.read(read_end, 512)  # back in Python: the handler runs, KeyboardInterrupt
    finally:
        signal.set_wakeup_fd(previous)
        os.close(read_end)
        os.close(write_end)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
