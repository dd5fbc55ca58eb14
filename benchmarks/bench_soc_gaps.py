"""SOC across time gaps: the project simulator's logs (one cell, 1 Hz, a typical
BMS's noise) with the samples of a gap cut out, scored against the true SOC after
the gap.

    python benchmarks/bench_soc_gaps.py                        # tuning seeds 1 2
    python benchmarks/bench_soc_gaps.py --seeds 11 12 13       # held out
    python benchmarks/bench_soc_gaps.py --save after.json      # ... and every case
    python benchmarks/bench_soc_gaps.py --baseline before.json # before / after
    BENCH_APP_ROOT=/tmp/base python benchmarks/bench_soc_gaps.py --save before.json
        # the same cases with another tree's app (e.g. ``git archive <commit> app``)

Situations (``--situations``):

* ``rest``: 0.5C down from 90 % for 30 min, a 4 h rest, 0.5C for 30 min, 30 min
  rest; the gap starts 30 min into the long rest (both sides at rest);
* ``load``: 0.3C down from 95 % for 2.75 h, then 1 h at rest; the gap starts
  30 min in (a discharge through it: after the longest gaps the log resumes
  in the rest);
* ``drive``: the simulator's drive profile from 90 %; the gap starts 30 min in.

Gap lengths (``--gaps``, s): 60, 600, 1800, 7200. Figures per case, of the
smoothed series (``calculate_soc``, ``analyze --timeseries``) and of the
filter (the live SOC): RMSE from the gap's end to the log's end, RMSE from
10 min after it (after re-anchoring), the largest error after it, and the share
of the samples after it whose true SOC lies in the +-2 sigma band.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, os.environ.get("BENCH_APP_ROOT") or str(Path(__file__).resolve().parents[1]))

from app.core.samples import SampleBlock  # noqa: E402
from app.core.spec import preset  # noqa: E402
from app.diagnostics.soc_ekf import (  # noqa: E402
    SOC_BAND_HIGH_COLUMN,
    SOC_BAND_LOW_COLUMN,
    SOC_COLUMN,
    EkfSocEstimator,
)
from app.hardware.simulator.noise import NoiseSpec  # noqa: E402
from app.hardware.simulator.pack import simulate  # noqa: E402
from app.hardware.simulator.profiles import CurrentStep, Profile, RestStep  # noqa: E402

GAP_START_S = {"rest": 3600.0, "load": 1800.0, "drive": 1800.0}
AFTER_S = 600.0  # "after re-anchoring": from this long after the gap's end
CAP_AH = 20.0


def _situation(name: str, spec) -> tuple[str | Profile, float, float]:
    """(profile, initial SOC %, duration s)."""
    one_c = spec.pack_capacity_ah
    if name == "rest":
        steps = [
            CurrentStep(-0.5 * one_c, 1800.0, 1.0),
            RestStep(4 * 3600.0, 1.0),
            CurrentStep(-0.5 * one_c, 1800.0, 1.0),
            RestStep(1800.0, 1.0),
        ]
        return Profile("rest-gap", steps, 1.0), 90.0, 1800.0 + 4 * 3600.0 + 3600.0
    if name == "load":
        steps = [CurrentStep(-0.3 * one_c, 2.75 * 3600.0, 1.0), RestStep(3600.0, 1.0)]
        return Profile("load-gap", steps, 1.0), 95.0, 3.75 * 3600.0
    return "drive", 90.0, 4 * 3600.0


def run_case(chem: str, situation: str, gap_s: float, seed: int) -> dict:
    spec = preset(chem, capacity_ah=CAP_AH, series_cells=1)
    profile, soc0, duration = _situation(situation, spec)
    blk = simulate(
        spec,
        profile,
        duration_s=duration,
        dt_s=1.0,
        seed=seed,
        initial_soc_pct=soc0,
        noise=NoiseSpec.typical(spec, 1),
        include_truth=True,
    )
    t = np.asarray(blk["time_s"])
    g0 = GAP_START_S[situation]
    g1 = g0 + gap_s
    keep = (t <= g0) | (t >= g1)
    cols = {c: np.asarray(blk[c])[keep] for c in ("time_s", "voltage_v", "current_a")}
    t = t[keep]
    truth = np.asarray(blk["true_cell_1_soc_pct"])[keep]
    est = EkfSocEstimator(spec)
    live = est.update(SampleBlock(cols))
    smoothed = est.smoothed_columns()
    after = t >= g1
    late = t >= g1 + AFTER_S
    out = {"moved_in_gap_pct": float(abs(truth[after][0] - truth[~after][-1]))}
    for name, c in (("smoothed", smoothed), ("live", live)):
        err = c[SOC_COLUMN] - truth
        inside = (truth >= c[SOC_BAND_LOW_COLUMN]) & (truth <= c[SOC_BAND_HIGH_COLUMN])
        out[name] = {
            "rmse_after": float(np.sqrt(np.mean(err[after] ** 2))),
            "rmse_late": float(np.sqrt(np.mean(err[late] ** 2))),
            "max_after": float(np.abs(err[after]).max()),
            "band_after": float(100.0 * inside[after].mean()),
            "first_after": float(err[after][0]),
            "band_width_first_after": float(
                (c[SOC_BAND_HIGH_COLUMN] - c[SOC_BAND_LOW_COLUMN])[after][0]
            ),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chemistries", nargs="+", default=["nmc", "lfp"])
    ap.add_argument("--situations", nargs="+", default=["rest", "load", "drive"])
    ap.add_argument("--gaps", nargs="+", type=float, default=[60.0, 600.0, 1800.0, 7200.0])
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--save", help="write every case's figures to this JSON file")
    ap.add_argument("--baseline", help="a --save file: print before / after")
    args = ap.parse_args()
    base = json.loads(Path(args.baseline).read_text()) if args.baseline else None
    results = {}
    for chem, sit, gap in itertools.product(args.chemistries, args.situations, args.gaps):
        rs = []
        for seed in args.seeds:
            key = f"{chem}/{sit}/{gap:g}/{seed}"
            results[key] = run_case(chem, sit, gap, seed)
            rs.append((key, results[key]))

        def agg(rows, series, field, how=np.mean):
            return float(how([r[series][field] for _, r in rows]))

        line = [f"{chem:3s} {sit:5s} gap {gap:5.0f} s"]
        for series in ("smoothed", "live"):
            now = (
                agg(rs, series, "rmse_after"),
                agg(rs, series, "rmse_late"),
                agg(rs, series, "max_after", np.max),
                agg(rs, series, "band_after"),
            )
            if base is not None:
                old = [(k, base[k]) for k, _ in rs if k in base]
                was = (
                    agg(old, series, "rmse_after"),
                    agg(old, series, "rmse_late"),
                    agg(old, series, "max_after", np.max),
                    agg(old, series, "band_after"),
                )
                line.append(
                    f"{series}: rmse {was[0]:.2f}->{now[0]:.2f} late {was[1]:.2f}->{now[1]:.2f}"
                    f" max {was[2]:.1f}->{now[2]:.1f} band {was[3]:.0f}->{now[3]:.0f}%"
                )
            else:
                line.append(
                    f"{series}: rmse {now[0]:.2f} late {now[1]:.2f} max {now[2]:.1f}"
                    f" band {now[3]:.0f}%"
                )
        moved = np.mean([r["moved_in_gap_pct"] for _, r in rs])
        print(" | ".join(line) + f" | moved {moved:.1f} %", flush=True)
    if args.save:
        Path(args.save).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
