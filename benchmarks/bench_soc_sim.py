"""SOC filter against the simulator's true SOC: chemistry x profile x seed x
start SOC x sensor noise, one cell, the chemistry preset's own OCV and ECM.

    python benchmarks/bench_soc_sim.py                          # the full grid, one line per group
    python benchmarks/bench_soc_sim.py --save after.json        # ... and every case's figures
    python benchmarks/bench_soc_sim.py --baseline before.json   # before / after per group
    python benchmarks/bench_soc_sim.py --chemistries lfp --profiles drive --seeds 7 --socs 70 --cases

The simulator draws each cell's capacity and resistances with a spread
(1 % / 3 %) and its RC time constants grow in the cold, so the filter's model
is close to the simulated cell but not exact; the OCV table is exact. Noise 1
is a typical BMS's (2 mV cell voltage, 0.5 % of 1C current). Figures: SOC RMSE
over the whole log and after the first 10 min, and the largest error after
10 min (% SOC), each against the true SOC of the cell.

Why LFP leaves a correct start (``lfp drive`` seed 7 from 70 %, noise-free:
70.1 -> 50.9 % against a true 56.4 %): not drift. The whole error is made in
the first 80 s (70.06 -> 62.8 %, then -6.9 % slowly back to -5.5 % at 1 h;
``k`` 0.998, ``o`` -2.6 mA, ``b`` +2.5 mV, ``a`` <= 4 mV, 25.0 degC, no rest
in the log so no rest anchor acts). The first sample draws 0.027C, above the
0.02C rest current, so the start is "under load": the voltage guess (exact
here, the simulator's OCV is the preset table) with a fixed 25 % sigma. With
the preset table's 10 mV offset prior the plateau 40-76 % is one voltage, and
the filter moves to the posterior mean its own assumptions give: prior
N(70, 25^2) on 0-100 % and the voltage +-10.4 mV give 61.2 +- 8.3 % exactly
(numerical integration), the filter 62.8 +- 10 %. The truth stays in the
band; the simulator's exact table (offset 0) is what the filter cannot know.
Given 70 +- 5 % the same log gives 0.89 % RMSE, 70 +- 25 % 6.23 %.

Measured 2026-12-05 (the full grid, 288 cases): after 10 min, mean / worst,
noise 1: LFP drive 2.42 / 4.78 %, hppc 1.74 / 3.20, cycle 3.65 / 5.62, cc
3.58 / 5.61 (the 1C starts under load: 0.4-0.7 % from 30 %, 4-5.6 % from
50-90 %, on the plateau); NMC drive 0.08 / 0.10, hppc 0.20 / 0.39, cycle
1.97 / 2.75, cc 1.91 / 2.70; all 3.34 / 15.56 % (lead-acid cycle/cc the worst).
Then (same day) a parameter state at its bound no longer drags the SOC against
its own evidence (soc_ekf, 0e3ecf3): LFP drive 2.36 / 4.75, cycle 2.96 / 4.54,
cc 2.89 / 4.51, the rest within 0.01 % but lead-acid cycle 10.79 / 15.57 (noise
0: 10.61 -> 10.69 mean); all 3.34 -> 3.22 / 15.57 %.

Then (same day) the series scored is the smoothed one (``soc_series``: the
filter worked back from later, surer estimates by the charge counted;
``rmse_late_live`` in ``--save`` is the filter's own): all 2.61 / 15.28 ->
0.90 / 4.37 % after 10 min; LFP drive 2.36 -> 0.46, hppc 1.74 -> 0.59, cycle
2.96 -> 0.49, cc 2.89 -> 0.22 % (noise 1); NMC cycle 1.97 -> 0.56, cc 1.91
-> 0.36 %; lead-acid cc 10.36 -> 1.67 %; no group mean worse by more than
0.04 % (lead-acid hppc noise 1 3.33 -> 3.37, its worst 3.55 -> 3.78 %).

Tried (this grid, 7200 s; left out, each made cases worse): the load
start's sigma from the SOC range its voltage allows with the load's error
budget (LFP drive 2.76 -> 0.86 % mean, but NMC noisy drive cases 0.05-0.13 -> 0.23-0.36 %,
1C starts at 50/90 % +0.3-0.6 %); the same with the rest start's SOC/offset
correlation (similar); the SLR tables' prior mass beyond 0-100 % counted at
0/100 % instead of -5/105 % (LFP 1C starts -0.5 %, lead-acid hppc 70 %
7.5 -> 8.3 %). The constant-current starts (``cycle``, ``cc``: 1C from the
first sample) are the largest errors of every chemistry: the guess takes the
RC branches half charged (they are empty: +9 mV, +18 % on the LFP plateau)
and the charge-transfer amplitude ``a`` (prior 50 mV x asinh(5) = 115 mV of
polarisation at 1C) absorbs the misfit in the first minute, so the SOC keeps
its error; with ``a`` frozen (not a fix: PyBaMM LFP and cold cells need it)
noise-free LFP cycle 4.74 -> 2.36 %, NMC 2.17 -> 1.08 %, lead-acid 12.27 ->
10.19 %. The term as measurement noise (not a state) until the start under
load is settled: this grid 4.27 -> 3.34 % mean RMSE (181 cases better, 2
worse by 0.15 %), but a cold LFP start (4x resistance, 1C) ends its first
rest 9.9 % off (test_start_under_load_is_re_anchored_at_the_first_rest,
limit 3 %) and PyBaMM NMC from load partial 1 Hz 0.75 -> 1.48 %, steps 1 Hz
0.50 -> 0.83 %: left out.

2026-12-07 session 35, the surface gap (``app.diagnostics.soc_ekf``, "Surface gap"; a
model error of the slow branch's current times the OCV slope's excess over its median,
20 % of SOC per C). ``python benchmarks/bench_soc_sim.py --save after.json`` against the
tree before, after 10 min, mean / worst: all 0.89 / 4.37 -> 0.86 / 4.37 %; LFP cycle
noise 0 / 1 0.47 / 0.57, 0.48 / 0.56 -> 0.14 / 0.28, 0.15 / 0.27 (the 1C starts at 30
%: 0.55 -> 0.03-0.06, the band 94 -> 100 %), LFP cc 0.20 -> 0.18 %, LFP hppc noise 1
0.56 -> 0.57 (s1, s2, s7 at 30 %: +0.06-0.07), lead-acid cc 1.68 / 1.74 -> 1.69 / 1.75;
NMC and every other group the same to 0.01 %. (Without holding the term off while a
start under load is unsettled -- not kept -- all 0.87 %, but LFP cc 0.20 -> 0.29 and
LFP hppc worst 0.71 -> 1.25 %.)
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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

SCORE_AFTER_S = 600.0


def run_case(chem: str, profile: str, seed: int, soc0: float, noise: int, duration_s: float):
    spec = preset(chem, capacity_ah=20.0, series_cells=1)
    blk = simulate(
        spec,
        profile,
        duration_s=duration_s,
        dt_s=1.0,
        seed=seed,
        initial_soc_pct=soc0,
        noise=NoiseSpec.typical(spec, noise) if noise else None,
        include_truth=True,
    )
    t = np.asarray(blk["time_s"])
    truth = np.asarray(blk["true_cell_1_soc_pct"])
    est = EkfSocEstimator(spec)
    cols = {c: np.asarray(blk[c]) for c in ("time_s", "voltage_v", "current_a")}
    live = est.update(SampleBlock(cols))[SOC_COLUMN]
    # scored: the smoothed series (soc_series'); the live filter's after 10 min too
    smoothed = est.smoothed_columns()
    soc = smoothed[SOC_COLUMN]
    err = soc - truth
    inside = (truth >= smoothed[SOC_BAND_LOW_COLUMN]) & (truth <= smoothed[SOC_BAND_HIGH_COLUMN])
    late = err[t >= SCORE_AFTER_S]
    live_late = (live - truth)[t >= SCORE_AFTER_S]
    return {
        "rmse_late_live": float(np.sqrt(np.mean(live_late**2))) if len(late) else float("nan"),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "rmse_late": float(np.sqrt(np.mean(late**2))) if len(late) else float("nan"),
        "max_late": float(np.max(np.abs(late))) if len(late) else float("nan"),
        "end_err": float(err[-1]),
        # the share of samples after 10 min whose true SOC is in the +-2 sigma band, %
        "band_late": float(100.0 * inside[t >= SCORE_AFTER_S].mean())
        if len(late)
        else float("nan"),
        "duration_s": float(t[-1]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--chemistries", nargs="+", default=["lfp", "nmc", "lead_acid"])
    ap.add_argument("--profiles", nargs="+", default=["drive", "hppc", "cycle", "cc"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 7])
    ap.add_argument("--socs", nargs="+", type=float, default=[30.0, 50.0, 70.0, 90.0])
    ap.add_argument("--noise", nargs="+", type=int, default=[0, 1])
    ap.add_argument("--duration", type=float, default=7200.0, help="seconds of log per case")
    ap.add_argument("--cases", action="store_true", help="print every case")
    ap.add_argument("--save", type=Path, help="write every case's figures (JSON)")
    ap.add_argument("--baseline", type=Path, help="a --save file to compare with")
    args = ap.parse_args()

    base = {}
    if args.baseline:
        base = {r["key"]: r for r in json.loads(args.baseline.read_text())}
    rows = []
    cpu = time.process_time()
    grid = itertools.product(args.chemistries, args.profiles, args.noise, args.seeds, args.socs)
    for chem, prof, noise, seed, soc0 in grid:
        key = f"{chem} {prof} noise{noise} s{seed} soc{soc0:g} {args.duration:g}s"
        r = {"key": key, "group": f"{chem} {prof} noise{noise}"}
        r.update(run_case(chem, prof, seed, soc0, noise, args.duration))
        rows.append(r)
        if args.cases:
            b = base.get(key)
            was = f"  before {b['rmse']:6.2f} {b['rmse_late']:6.2f}" if b else ""
            print(
                f"{key:40s} rmse {r['rmse']:6.2f} after 10 min {r['rmse_late']:6.2f}"
                f" max {r['max_late']:6.2f} end {r['end_err']:+6.2f}{was}",
                flush=True,
            )
    if args.save:
        args.save.write_text(json.dumps(rows, indent=1))

    def stats(rs, field):
        v = np.array([x[field] for x in rs])
        return f"{v.mean():5.2f} / {v.max():5.2f}"

    def band(rs):
        v = np.array([x.get("band_late", np.nan) for x in rs])
        return f"{v.mean():5.1f} / {v.min():5.1f}"

    head = (
        f"{'group':26s} {'n':>3s} {'RMSE mean / worst':>17s} {'after 10 min':>13s}"
        f" {'band % mean / least':>19s}"
    )
    if base:
        head += f"   {'before: RMSE':>13s} {'after 10 min':>13s} {'band %':>13s}"
    print(head)
    groups = dict.fromkeys(r["group"] for r in rows)
    for g in [*groups, "all"]:
        rs = [r for r in rows if g in ("all", r["group"])]
        line = (
            f"{g:26s} {len(rs):3d} {stats(rs, 'rmse'):>17s} {stats(rs, 'rmse_late'):>13s}"
            f" {band(rs):>19s}"
        )
        bs = [base[r["key"]] for r in rs if r["key"] in base]
        if base and len(bs) == len(rs):
            line += f"   {stats(bs, 'rmse'):>13s} {stats(bs, 'rmse_late'):>13s} {band(bs):>13s}"
        print(line)
    print(f"({len(rows)} cases, {time.process_time() - cpu:.0f} s CPU)")


if __name__ == "__main__":
    main()
