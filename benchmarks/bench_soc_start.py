"""The SOC summary's start against the smoothed series' first value (``analyze``'s
summary line against ``--timeseries``' first row) and the truth, on simulated 4-cell
packs started at a known SOC.

Run: ``python benchmarks/bench_soc_start.py``

Prints, per log: the true start, the summary's start and band (the back-calculated
start where there is one, else the filter's first value), the series' first value and
band, and the filter's first value. The summary and the series must start alike.
"""

from __future__ import annotations

from app.core.spec import preset
from app.diagnostics.soc import soc_series
from app.hardware.simulator import simulate

CASES = [
    ("lfp", "cycle", 50, 21),
    ("lfp", "drive", 35, 22),
    ("nmc", "cycle", 80, 23),
    ("nmc", "drive", 25, 24),
    ("lead_acid", "cycle", 70, 25),
    ("lfp", "cc", 90, 26),
    ("nmc", "cc", 60, 27),
    ("lfp", "drive", 65, 28),
]


def main() -> None:
    agree = 0
    for chemistry, profile, soc0, seed in CASES:
        spec = preset(chemistry, series_cells=4)
        df = simulate(spec, profile, duration_s=3 * 3600, seed=seed, initial_soc_pct=soc0)
        r, cols = soc_series(df.to_frame(), spec)
        back = r.start_soc_back_calculated_percent
        start = back if back is not None else r.initial_soc_percent
        sigma = (
            r.start_soc_back_calculated_sigma_percent
            if back is not None
            else r.initial_soc_sigma_percent
        )
        row0 = cols["soc_percent"][0]
        band = cols["soc_band_high_percent"][0] - row0
        same = round(start, 2) == round(row0, 2) and round(min(2 * sigma, 100 - row0), 1) == round(
            band, 1
        )
        agree += same
        print(
            f"{chemistry:9} {profile:5} truth {soc0:5.1f}  summary {start:6.2f} ±{2 * sigma:5.1f}"
            f"  series {row0:6.2f} +{band:5.1f}  first value {r.initial_soc_percent:6.2f}"
            f"  {'same' if same else 'DIFFERENT'}"
        )
    print(f"summary start = series first row in {agree} of {len(CASES)} logs")


if __name__ == "__main__":
    main()
