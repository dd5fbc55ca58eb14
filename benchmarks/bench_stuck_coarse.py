"""False "sensor stuck" reports on healthy pack voltages read by a coarse sensor.

Run: ``python benchmarks/bench_stuck_coarse.py [--first-seed K] [--seeds N]
[--profiles cc cycle ...] [--hours H] [--rate-hz 10]``. Each run is a clean simulated pack (NMC,
LFP, lead-acid; 4 and 16 cells; typical sensor noise) whose pack voltage is
replaced by its noise-free value plus 2 mV of noise, rounded to 20 or 50 mV at 4
offsets across a step. Such a reading toggles while the value sits on a step and
holds once it leaves it, while the cells keep flickering: a stuck sensor to a rule
that trusts the reading's own history. Every ``sensor_stuck`` reported is a false
alarm (target: none); each is printed, then the count.

Measured (2026-12-06) after the pack voltage's resolution bound took its least change
between samples and a history of its own counted from 30 s: ``--first-seed 20 --seeds
4``: 0 of 1,152 runs; ``--first-seed 30 --seeds 2 --rate-hz 10`` and ``--rate-hz 5``:
0 of 576 each.
"""

from __future__ import annotations

import argparse

import numpy as np

from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import NoiseSpec, simulate

CHEMISTRIES = ("lfp", "nmc", "lead_acid")
PROFILES = ("cc", "cccv", "cycle", "drive", "hppc", "rest")
RESOLUTIONS_V = (0.02, 0.05)
OFFSETS = 4
READING_NOISE_V = 0.002


def run(seeds, profiles, hours: float, dt_s: float = 1.0) -> tuple[int, int, list[str]]:
    """(runs, runs with a false report, one line per false report)."""
    n, bad, lines = 0, 0, []
    for chem in CHEMISTRIES:
        for cells in (4, 16):
            spec = preset(chem, series_cells=cells)
            for profile in profiles:
                for seed in seeds:
                    duration = hours * 3600
                    true = simulate(spec, profile, duration_s=duration, dt_s=dt_s, seed=seed)
                    true = true.to_frame()["voltage_v"].to_numpy()
                    noise = NoiseSpec.typical(spec)
                    df = simulate(
                        spec, profile, duration_s=duration, dt_s=dt_s, seed=seed, noise=noise
                    ).to_frame()
                    rng = np.random.default_rng(seed)
                    reading = true + rng.normal(0.0, READING_NOISE_V, len(true))
                    for res in RESOLUTIONS_V:
                        for k in range(OFFSETS):
                            offset = (k + 0.5) / OFFSETS * res - true[0] % res
                            df["voltage_v"] = np.round((reading + offset) / res) * res - offset
                            stuck = detect_faults(df, spec).of_kind("sensor_stuck")
                            n += 1
                            bad += bool(stuck)
                            for f in stuck:
                                lines.append(
                                    f"{chem} {cells} cells {profile} seed {seed} "
                                    f"{res * 1000:.0f} mV offset {k}: {f.channel} "
                                    f"at {f.start_time_s:.0f} s"
                                )
    return n, bad, lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--first-seed", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--seeds", type=int, default=4, help="seeds (default 4)")
    p.add_argument("--profiles", nargs="+", default=list(PROFILES), help="load profiles")
    p.add_argument("--hours", type=float, default=1.0, help="hours per run (default 1)")
    p.add_argument("--rate-hz", type=float, default=1.0, help="sample rate (default 1)")
    args = p.parse_args(argv)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    n, bad, lines = run(seeds, args.profiles, args.hours, 1.0 / args.rate_hz)
    for line in lines:
        print(line)
    print(f"{len(lines)} false sensor_stuck reports, in {bad} of {n} runs")
    return 0 if not lines else 1


if __name__ == "__main__":
    raise SystemExit(main())
