"""How long the live SOC of a ``sim://`` source stays "cannot be determined": the time
until its band (2 sigma, as the dashboard's tile gives it) is under
:data:`~app.diagnostics.soc.SOC_UNDETERMINED_BAND` for good, and under 10 %, per seed.
What a user sees after pressing the Home page's "Simulated battery"
(:data:`~app.views.source_urls.SIMULATED_BATTERY_URL`).

Run: ``PYTHONPATH=$PWD nice python benchmarks/bench_soc_settle_sim_urls.py --seeds 0 1 2 3
[--minutes 60] [URL ...]`` (default URLs: the button's old and new ones; each is run at
``speed=0`` for ``--minutes`` of simulated time with ``&seed=``).

2026-12-07 session 39 (gui40), the Simulated battery button. ``PYTHONPATH=$PWD nice python
benchmarks/bench_soc_settle_sim_urls.py --seeds 0 1 2 3``: the old button's
``sim://nmc?cells=4`` (``cycle``: 1C discharge from 80 %, under load from the first sample)
placed its SOC after 23.2 min on every seed (±28.2-28.3 % at 15 min; under ±10 % after
43.5-44.4 min); the new one's ``sim://nmc?cells=4&profile=drive`` (a drive from a
standstill: the first sample is at rest) from the first sample on every seed, ±3.8 % at
15 min, never ±25 % or wider in the hour.
"""

from __future__ import annotations

import argparse

import numpy as np

from app.core.samples import SampleBlock
from app.diagnostics.soc import SOC_UNDETERMINED_BAND
from app.diagnostics.soc_ekf import (
    SOC_BAND_HIGH_COLUMN,
    SOC_BAND_LOW_COLUMN,
    SOC_COLUMN,
    EkfSocEstimator,
)
from app.hardware.registry import create_source

URLS = ("sim://nmc?cells=4", "sim://nmc?cells=4&profile=drive")


def settle_minutes(url: str, minutes: float) -> tuple[float, float, float]:
    """(min until the band is under SOC_UNDETERMINED_BAND for good, min until first under
    10 %, the band at 15 min) of ``url`` run for ``minutes``; NaN: never."""
    source = create_source(f"{url}&speed=0&duration={60 * minutes:g}")
    source.open()
    blocks = []
    while (block := source.read()) is not None:
        blocks.append(block)
    source.close()
    data = SampleBlock.concat(blocks)
    out = EkfSocEstimator(source.spec).update(data)
    soc, low, high = (
        np.asarray(out[k]) for k in (SOC_COLUMN, SOC_BAND_LOW_COLUMN, SOC_BAND_HIGH_COLUMN)
    )
    two_sigma = np.maximum(high - soc, soc - low)
    t = np.asarray(data["time_s"]) - data["time_s"][0]
    wide = np.nonzero(two_sigma >= SOC_UNDETERMINED_BAND)[0]
    placed = 0.0 if not len(wide) else (t[wide[-1] + 1] if wide[-1] + 1 < len(t) else np.nan)
    sure = np.nonzero(two_sigma < 10.0)[0]
    at_15 = two_sigma[min(np.searchsorted(t, 900.0), len(t) - 1)]
    return placed / 60, (t[sure[0]] / 60 if len(sure) else np.nan), float(at_15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="*", default=list(URLS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--minutes", type=float, default=60.0)
    args = parser.parse_args()
    for url in args.urls:
        for seed in args.seeds:
            placed, sure, at_15 = settle_minutes(f"{url}&seed={seed}", args.minutes)
            print(
                f"{url} seed {seed}: placed after {placed:.1f} min, under ±10 % after "
                f"{sure:.1f} min, ±{at_15:.1f} % at 15 min"
            )


if __name__ == "__main__":
    main()
