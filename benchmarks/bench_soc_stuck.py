"""SOC with one cell-voltage sensor stuck at a plausible value, against the same log healthy.

Run: ``python benchmarks/bench_soc_stuck.py`` (``--chems nmc lfp``, ``--cells 4 16``,
``--seeds 1 2 3``, ``--profiles drive cycle``, ``--hours 2.5``, ``--onset 1800``,
``--rate-hz 1``, ``--channel cell_2_v``).

Each case simulates a pack (``app.hardware.simulator``: typical BMS sensor noise,
2 % capacity and 3 % resistance spread between cells) twice with the same seed:
healthy, and with the sensor ``--channel`` frozen at its last reading from
``--onset`` on (the simulator's ``sensor_stuck``: a plausible value, e.g. 3.7 V
while the pack discharges, that the faults diagnostic reports as
``sensor_stuck``). ``calculate_soc`` runs on both, given the preset (no OCV
table). Printed per case: SOC RMSE against the truth (the mean of the cells'
true SOCs) after the first 10 minutes, healthy and stuck, and the largest and
final |stuck - healthy| difference after the onset: the bias the stuck sensor
causes. A summary per chemistry and pack size follows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.spec import preset  # noqa: E402
from app.diagnostics.soc import calculate_soc  # noqa: E402
from app.hardware.simulator import Fault, NoiseSpec, simulate  # noqa: E402

SCORE_AFTER_S = 600.0


def run_case(chem, cells, seed, profile, hours, onset, rate_hz, channel):
    spec = preset(chem, series_cells=cells)
    kw = dict(
        duration_s=hours * 3600.0,
        dt_s=1.0 / rate_hz,
        seed=seed,
        noise=NoiseSpec.typical(spec),
        include_truth=True,
    )
    healthy = simulate(spec, profile, **kw).to_frame()
    stuck = simulate(
        spec, profile, faults=[Fault("sensor_stuck", onset, channel=channel)], **kw
    ).to_frame()
    truth = healthy[[f"true_cell_{k}_soc_pct" for k in range(1, cells + 1)]].mean(axis=1)
    truth = truth.to_numpy()
    t = healthy["time_s"].to_numpy()
    drop = [c for c in healthy.columns if c.startswith("true_")]
    _, soc_h = calculate_soc(healthy.drop(columns=drop), spec)
    _, soc_s = calculate_soc(stuck.drop(columns=drop), spec)
    late = t >= SCORE_AFTER_S
    after = t >= onset
    diff = np.abs(soc_s - soc_h)[after]
    return {
        "chem": chem,
        "cells": cells,
        "seed": seed,
        "profile": profile,
        "stuck_v": float(stuck[channel].to_numpy()[after][0]),
        "rmse_h": float(np.sqrt(np.mean((soc_h - truth)[late] ** 2))),
        "rmse_s": float(np.sqrt(np.mean((soc_s - truth)[late] ** 2))),
        "max_diff": float(diff.max()),
        "final_diff": float(diff[-1]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--chems", nargs="+", default=["nmc", "lfp"], choices=["nmc", "lfp"])
    ap.add_argument("--cells", nargs="+", type=int, default=[4, 16])
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    ap.add_argument("--profiles", nargs="+", default=["drive", "cycle"])
    ap.add_argument("--hours", type=float, default=2.5)
    ap.add_argument("--onset", type=float, default=1800.0, help="stuck from this time, s")
    ap.add_argument("--rate-hz", type=float, default=1.0)
    ap.add_argument("--channel", default="cell_2_v")
    args = ap.parse_args()
    head = (
        f"{'chem':4} {'cells':>5} {'seed':>4} {'profile':8} {'stuck V':>7} "
        f"{'rmse healthy%':>13} {'rmse stuck%':>11} {'max |diff|%':>11} {'final |diff|%':>13}"
    )
    print(head)
    print("-" * len(head))
    rows = []
    for chem in args.chems:
        for cells in args.cells:
            for profile in args.profiles:
                for seed in args.seeds:
                    r = run_case(
                        chem,
                        cells,
                        seed,
                        profile,
                        args.hours,
                        args.onset,
                        args.rate_hz,
                        args.channel,
                    )
                    rows.append(r)
                    print(
                        f"{chem:4} {cells:5d} {seed:4d} {profile:8} {r['stuck_v']:7.3f} "
                        f"{r['rmse_h']:13.2f} {r['rmse_s']:11.2f} {r['max_diff']:11.2f} "
                        f"{r['final_diff']:13.2f}",
                        flush=True,
                    )
    print()
    print("summary (mean / worst):")
    for chem in args.chems:
        for cells in args.cells:
            g = [r for r in rows if r["chem"] == chem and r["cells"] == cells]
            if not g:
                continue

            def mw(key, g=g):
                v = [r[key] for r in g]
                return f"{np.mean(v):5.2f} / {np.max(v):5.2f}"

            print(
                f"  {chem:4} {cells:3d} cells  rmse healthy {mw('rmse_h')}  stuck {mw('rmse_s')}"
                f"  max |stuck - healthy| {mw('max_diff')}"
            )


if __name__ == "__main__":
    main()
