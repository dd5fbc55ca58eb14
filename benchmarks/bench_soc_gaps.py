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
* ``drive``: the simulator's drive profile from 90 %; the gap starts 30 min in;
* ``step`` (session 34): 0.3C down from 95 % for 2 h, then 2.5 h at rest, the
  log's ``step_index`` with it (a cycler's); the gap starts 60 s before the
  discharge ends (a hole across the step change: 0.3 % moved in it, the rest of
  it at rest).

Gap lengths (``--gaps``, s): 60, 600, 1800, 7200. Figures per case, of the
smoothed series (``calculate_soc``, ``analyze --timeseries``) and of the
filter (the live SOC): RMSE from the gap's end to the log's end, RMSE from
10 min after it (after re-anchoring), the largest error after it, and the share
of the samples after it whose true SOC lies in the +-2 sigma band. ``load`` also
(session 34) the discharge's dQ/dV (the SOH's ICA, a slow constant current) with
the gap against the whole log's: its capacity against the charge logged outside the
gap (largest error, % of nominal), its highest peak against the whole log's (%,
largest), and the whole log's peaks away from the gap's voltages it misses (count).

2026-12-07 session 33 (the gap rule of ``app.diagnostics.time_gaps`` in the SOC
filter; before: the tree at af20638, ``git archive af20638 app``). Tuning seeds
(``BENCH_APP_ROOT=/tmp/base python benchmarks/bench_soc_gaps.py --save
before.json``, then ``python benchmarks/bench_soc_gaps.py --baseline
before.json``), smoothed RMSE after the gap, before -> after, gaps 60 / 600 /
1800 / 7200 s: NMC rest 0.06 / 0.06 / 0.06 / 0.12 -> 0.06 / 0.06 / 0.06 / 0.08
(7200 s max 0.9 -> 0.3); NMC load 0.27 / 0.26 / 0.35 / 0.08 -> 0.31 / 0.31 /
0.38 / 0.02; NMC drive 0.15 / 0.48 / 1.41 / 1.05 -> 0.08 / 0.28 / 0.07 / 0.11
(max 8.4 -> 0.2 and 12.9 -> 0.2 at 1800 and 7200 s, band 96 / 99 -> 100 %); LFP
rest 0.66-0.77 unchanged (its live 4.0-4.5 % is the plateau start, not the
gap); LFP load 0.68 / 0.72 / 0.90 / 0.24 -> 0.67 / 0.53 / 0.35 / 0.27; LFP drive
0.60 / 0.72 / 0.80 / 3.54 -> 0.46 / 0.33 / 0.49 / 0.19 (7200 s band 77 -> 100
%). The live filter from 10 min after the gap the same or better (NMC drive 1800
s 0.95 -> 0.05, LFP load 600 s 2.41 -> 0.94), but right after a long gap under
load it carries the charge nobody measured until the voltage re-anchors it: NMC
load 7200 s (60 % moved in the gap at a steady 0.3C, which the trapezoid counted
right) live RMSE after 0.54 -> 7.06 %, max 1.6 -> 60.9 %, its band holding the
truth throughout (100 %), 10 min on 0.24 -> 0.40 %. Held out (``--seeds 11 12
13``, not run while choosing): NMC drive 1800 / 7200 s smoothed 1.84 / 1.62 ->
0.09 / 0.11 % (band 90 / 98 -> 100 %), LFP drive 4.34 / 7.17 -> 0.40 / 0.15 %
(band 74 / 73 -> 100 %), LFP load 600 / 1800 s 0.70 / 0.88 -> 0.50 / 0.33 %,
NMC load 60-1800 s 0.27-0.32 -> 0.28-0.38 %, rest cases within 0.02 % (7200 s
NMC 0.09 -> 0.07); the band holds the truth after every gap (100 %; before
down to 73 %). Tried and left out: the trapezoid across the gap as the mean with
the same widened band (``--situations load drive``, tuning seeds, against the
rule here): live after long steady gaps better (NMC load 7200 s 7.06 -> 1.25 %,
LFP load 7.90 -> 1.31 %), but LFP load 600 s live 0.99 -> 2.79 % (smoothed 0.53
-> 0.75 %) and LFP drive 60-600 s worse (smoothed 0.46 / 0.33 -> 0.52 / 0.43
%): a log does not say whether the current went on through its gap. Logs with
no gap are unchanged to the bit: ``bench_soc.py --no-speed --chemistries nmc``
(48 default cases) and ``--chemistries lfp --profiles udds --seeds 1`` print the
same tables before and after (the other LFP PyBaMM cases were not in the cache
and simulating them did not fit). Live == offline: ``sweep_live_offline.py gap``
and ``--heldout gap`` (4 cases with a 2 h gap, every split) 0 mismatches (float
noise <= 1e-14 relative in the SOC's offset and sigmas on the split runs: the
covariance's last bits differ between block splits in the base too, 6e-27 in P's
(k, o) entry, and the gap's added variance carries them to the summary).
Caveat of the shared rule: an interval at a step's start is never a gap (the
fault detector's rule, for cyclers' per-step logging), so a hole in a log with
``step_index`` that spans a step change is counted across as before; the SOC's
offline block now carries ``step_index`` as the live engine's does. Speed: what
a log with no gap pays is one max-reduce over the time steps of each 65536-sample
chunk and a few Python operations per update interval. Callgrind of
``soc_estimates`` on bench_suite's 1e6-sample 4-cell 10 Hz HPPC log
(``OPENBLAS_NUM_THREADS=1``, the same SOC to the bit): 9.613e9 instructions base,
8.969e9 new, but the base tree's run recompiled its modules (694e6 instructions in
the parser and compiler against 271e6), so the two totals do not isolate the
change; a clean pair (both trees' bytecode cached, and the 16-cell pack log) did
not fit in the session.

2026-12-07 session 34 (before: the tree at aac2c00, ``git archive aac2c00 app``,
run with ``BENCH_APP_ROOT``; after: 64cdd1a, then 159a857). (1) A hole across
a step change (the new ``step`` situation, a cycler's ``step_index`` carried): the
interval into the first sample after the hole starts a step there, so the old rule
(no gap at either end of a step's start) counted its trapezoid, half the 0.3C over
the hole. ``--situations step --seeds 1 2`` (tuning) smoothed RMSE after the gap,
before -> after, gaps 60 / 600 / 1800 / 7200 s: NMC 0.05 / 0.09 / 0.35 / 19.04 ->
0.06 / 0.03 / 0.05 / 0.05 % (7200 s band 0 -> 100 %), live 0.07 / 0.17 / 0.70 /
19.38 -> 0.09 / 0.08 / 0.21 / 0.48 % (max 29.1 -> 2.4 %); LFP 0.52 / 0.86 / 1.76 /
20.37 -> 0.48 / 0.65 / 0.68 / 0.03 %, live 0.51 / 0.87 / 1.85 / 20.60 -> 0.48 /
0.64 / 0.89 / 1.35 % (max 28.6 -> 5.8 %, band 0 -> 100 %). Held out (``--seeds 11
12 13``, run once): NMC 0.04 / 0.09 / 0.35 / 19.17 -> 0.06 / 0.03 / 0.04 / 0.06 %,
live 0.06 / 0.17 / 0.70 / 19.51 -> 0.09 / 0.08 / 0.21 / 0.48 %; LFP 0.53 / 0.87 /
1.75 / 20.61 -> 0.49 / 0.66 / 0.69 / 0.12 %, live 0.52 / 0.88 / 1.84 / 20.84 ->
0.49 / 0.65 / 0.90 / 1.35 %; the band holds the truth after every gap (before 0 %
at 7200 s). The price: the 60 s hole that ends at the step's start (a minute of
the discharge lost, half of it counted before) NMC 0.05 -> 0.06 % smoothed, 0.07
-> 0.09 % live. The other situations carry no ``step_index``: unchanged. The real
cycler files (``batteryos analyze --json`` of the Arbin, Maccor, Neware, both
BioLogic and the BDF files of ``/work/shared/data/real``) print the same JSON to the
byte before and after (the Neware's 109 long intervals all start a step: a step's
first logging interval, still no gap). (2) The dQ/dV (the SOH's ICA) no longer
bridges a gap (``load``, the ``ica:`` figures; ``--situations load``, tuning
seeds): the charge counted over what was logged, % of nominal, gaps 60 / 600 / 1800
/ 7200 s: +0.5 / +5.0 / +15.4 / +61.6 -> 0.00 / 0.00 / 0.00 / -7.5 % (NMC); the
highest peak against the whole log's: NMC 102 / 197 / 469 / 1743 -> 103 / 103 / 103
/ 103 %, LFP 100 / 100 / 138 / 356 -> 100 / 100 / 83 / no curve; held out NMC 107 /
214 / 479 / 1718 -> 103 / 104 / 104 / 104 %, LFP 100 / 100 / 138 / 354 -> 100 / 100
/ 101 % / no curve. The price: a part of the discharge on either side of the gap
too small or too flat to be a segment on its own (at least 10 % of the capacity and
0.1 V) now drops out: LFP's 30 min before the gap (15 % of the capacity on the
plateau) at every gap length (-15.0 %), NMC's 15 min after the 7200 s gap (-7.5 %),
and the LFP 7200 s log has no discharge curve left (the old one was 61 % hole).
The SOC figures of ``load`` unchanged to the printed digit. (3) A time gap starts
the 5 s warm-up again (``soc_ekf``, "Measurement updates"): 98.5 % of the squared
error of NMC ``load`` 7200 s live (7.04 %) was the minute before the first update
after the gap (60 samples of a 1 Hz log warmed up), the SOC carried across the gap
60 % off. Before: 159a857 (``git archive``, ``BENCH_APP_ROOT``); every situation,
tuning seeds (``--seeds 1 2``), live RMSE after the gap, before -> after: NMC load
60 / 600 / 1800 / 7200 s 0.31 / 0.49 / 1.22 / 7.06 -> 0.30 / 0.33 / 0.45 / 2.26 %,
NMC drive 0.08 / 0.35 / 0.50 / 2.80 -> 0.07 / 0.23 / 0.17 / 0.90 %, NMC step 0.09 /
0.08 / 0.21 / 0.48 -> 0.10 / 0.04 / 0.07 / 0.16 %, LFP load 1.68 / 0.99 / 1.43 /
7.90 -> 1.54 / 1.03 / 1.33 / 3.07 %, LFP drive 0.66 / 0.49 / 2.36 / 6.83 -> 0.59 /
0.55 / 2.81 / 3.71 %, LFP step 0.48 / 0.64 / 0.89 / 1.35 -> 0.48 / 0.64 / 0.68 /
0.96 %, rest within 0.02 %; the largest error after the gap unchanged (its first
5 s). Held out (``--seeds 11 12 13``, run once): NMC load 0.32 / 0.49 / 1.22 / 7.05
-> 0.30 / 0.32 / 0.45 / 2.26 %, NMC drive 0.07 / 0.18 / 0.50 / 2.72 -> 0.06 / 0.06 /
0.16 / 0.87 %, LFP load 1.68 / 1.00 / 1.42 / 7.92 -> 1.55 / 1.03 / 1.33 / 3.14 %,
LFP drive 0.69 / 0.74 / 1.76 / 6.96 -> 0.59 / 0.69 / 1.89 / 4.06 %, step 7200 s NMC
0.48 -> 0.16 %, LFP 1.35 -> 0.97 %. The band holds the truth after every gap (100
%) before and after. The price, smoothed RMSE: LFP step 7200 s 0.03 -> 0.64 % (held
out 0.12 -> 0.64 %: 32 min of LFP plateau rest after the gap, now with 5 s updates,
pulled to where the preset's OCV puts it, the level of the LFP rest cases), NMC step
60 s 0.06 -> 0.09 % (held out 0.10 %), NMC load 1800 s 0.38 -> 0.41 % (0.43 %), LFP
load 1800 s 0.35 -> 0.39 %; LFP drive 1800 s live 2.36 -> 2.81 % (held out 1.76 ->
1.89 %). A log without a gap has the same bins as before (the warm-up's start stays
the first sample): the same bits.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, os.environ.get("BENCH_APP_ROOT") or str(Path(__file__).resolve().parents[1]))

from app.core.samples import SampleBlock  # noqa: E402
from app.core.spec import preset  # noqa: E402
from app.diagnostics.soc_ekf import (  # noqa: E402
    SOC_BAND_HIGH_COLUMN,
    SOC_BAND_LOW_COLUMN,
    SOC_COLUMN,
    EkfSocEstimator,
)
from app.diagnostics.soh import calculate_soh  # noqa: E402
from app.hardware.simulator.noise import NoiseSpec  # noqa: E402
from app.hardware.simulator.pack import simulate  # noqa: E402
from app.hardware.simulator.profiles import CurrentStep, Profile, RestStep  # noqa: E402

GAP_START_S = {"rest": 3600.0, "load": 1800.0, "drive": 1800.0, "step": 7200.0 - 60.0}
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
    if name == "step":
        steps = [CurrentStep(-0.3 * one_c, 2 * 3600.0, 1.0), RestStep(2.5 * 3600.0, 1.0)]
        return Profile("step-gap", steps, 1.0), 95.0, 4.5 * 3600.0
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
    names = ("time_s", "voltage_v", "current_a") + (("step_index",) if situation == "step" else ())
    cols = {c: np.asarray(blk[c])[keep] for c in names}
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
    if situation == "load":
        whole = {c: np.asarray(blk[c]) for c in ("time_s", "voltage_v", "current_a")}
        out["ica"] = _ica_figures(spec, whole, keep, g0, g1)
    return out


def _ica_figures(spec, whole: dict, keep: np.ndarray, g0: float, g1: float) -> dict:
    """The discharge's dQ/dV (the SOH's ICA) with the gap against the whole log's:
    its capacity against the charge logged outside the gap (% of nominal; below:
    a part too small or flat to be a segment left out), its highest peak against
    the whole log's (%), and how many of the whole log's peaks outside the gap's
    voltages (by more than 20 mV) it has none within 20 mV of. None: no curve (no
    part of the discharge a segment)."""

    def curve(cols: dict) -> dict | None:
        res = calculate_soh(pd.DataFrame(cols), spec, measured_resistance_ohm=0.01)
        return next((c for c in res.ica_curves if c["direction"] == "discharge"), None)

    ref = curve(whole)
    gapped = curve({c: x[keep] for c, x in whole.items()})
    if gapped is None:
        return None
    t, i, v = whole["time_s"], np.abs(whole["current_a"]), whole["voltage_v"]
    lost = (t[:-1] >= g0) & (t[:-1] < g1)  # (zero-order hold, as the ICA counts)
    lost_ah = float(np.sum((i[:-1] * np.diff(t))[lost])) / 3600.0
    v_lo, v_hi = float(v[t >= g1][0]) - 0.02, float(v[t <= g0][-1]) + 0.02

    def near(p, peaks) -> bool:
        return any(abs(p["voltage_v"] - q["voltage_v"]) <= 0.02 for q in peaks)

    outside = [p for p in ref["peaks"] if not v_lo <= p["voltage_v"] <= v_hi]
    return {
        "capacity_err_pct": 100.0
        * (gapped["capacity_ah"] - (ref["capacity_ah"] - lost_ah))
        / CAP_AH,
        "top_peak_pct": 100.0
        * max(p["height_ah_per_v"] for p in gapped["peaks"])
        / max(p["height_ah_per_v"] for p in ref["peaks"]),
        "missed_peaks": sum(not near(p, gapped["peaks"]) for p in outside),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chemistries", nargs="+", default=["nmc", "lfp"])
    ap.add_argument("--situations", nargs="+", default=["rest", "load", "drive", "step"])
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
        if "ica" in rs[0][1]:
            ica = [r["ica"] for _, r in rs if r["ica"] is not None]
            errs = [x["capacity_err_pct"] for x in ica]
            line.append(
                "ica: capacity err {:.2f}..{:.2f} %, top peak max {:.0f} %, missed {}".format(
                    min(errs),
                    max(errs),
                    max(x["top_peak_pct"] for x in ica),
                    sum(x["missed_peaks"] for x in ica),
                )  # fmt: skip
                if ica
                else "ica: no curve"
            )
            if 0 < len(ica) < len(rs):
                line[-1] += f" ({len(rs) - len(ica)} without)"
        print(" | ".join(line) + f" | moved {moved:.1f} %", flush=True)
    if args.save:
        Path(args.save).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
