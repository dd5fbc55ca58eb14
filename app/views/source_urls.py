"""Source URLs the GUI offers without the user typing them."""

from __future__ import annotations

from pathlib import Path

#: The "Simulated battery" button: a 4-cell NMC pack in real time, on an urban drive
#: (its current changes every few seconds, from a standstill): its SOC is placed from
#: the first samples (the pack starts near rest) and stays placed (±4 %). The ``cycle``
#: profile's constant 1C discharge from 80 % read "cannot be determined" (±28 % at 15 min)
#: for 23 minutes: under one steady current from an unknown start the voltage does not
#: tell the OCV from the drop across the cells' resistance
#: (``benchmarks/bench_soc_settle_sim_urls.py``).
SIMULATED_BATTERY_URL = "sim://nmc?cells=4&profile=drive&speed=1"

#: ``--demo``: the same pack on the same drive at 20x real time, cells a little
#: apart (2 % SOC spread). The drive's current changes every few simulated
#: seconds, so the plots move within a second of starting; the ``cycle``
#: profile's 1C discharge looks like straight lines for minutes. Its BMS reports
#: its own SOC (``bms_soc=1``): the dashboard draws it beside the estimate.
DEMO_SOURCE_URL = "sim://nmc?cells=4&profile=drive&speed=20&soc_spread=2&bms_soc=1"

#: Shown in the URL box as examples when there is no history yet.
EXAMPLE_URLS = (
    SIMULATED_BATTERY_URL,
    "serial:///dev/ttyUSB0?protocol=vedirect",
    "can://socketcan/can0?protocol=pylontech",
)


def file_url(path: str | Path) -> str:
    """The ``file://`` source URL of a log file."""
    return Path(path).expanduser().resolve().as_uri()
