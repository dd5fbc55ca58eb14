"""Hunt for false alarms on clean simulated logs in conditions the other benches sweep
little: odd and small cell counts, small and large-format capacities, cold and hot
ambients, noisier sensors, 0.5-10 Hz, initial SOC and cell SOC spreads, charge rates.

Each run draws one condition at random from the grid (its own ``random.Random`` per
run index, so ``--runs`` and ``--first-seed`` pick the same conditions every time) and
simulates ``--hours`` of it with sensor noise and no fault: every fault
:func:`~app.diagnostics.faults.detect_faults` reports is a false alarm. Prints one line
per false alarm, then alarms per axis value (chemistry, cells, capacity, profile,
ambient, noise, rate) so a condition that breeds alarms stands out, and the pack-hours.

Run: ``PYTHONPATH=$PWD nice python benchmarks/bench_clean_hunt.py --runs 400
--first-seed 9000 --jobs 2`` (``--twin`` re-runs each alarmed run noise-free and
reports whether the alarm stays: physics, not noise; ``--only-chem``, ``--only-profile``
narrow the grid; ``--ambients 35 45`` keeps only the runs drawn at those ambients, each
run's condition the same as in the whole hunt; ``--detail`` prints each alarm's detail).
Periods over 2 s are ``bench_clean_slow.py``'s.

2026-12-07 session 35, the first hunt. ``--runs 300 --first-seed 9000 --jobs 2 --twin``
and ``--first-seed 10000`` (14,400 pack-hours, ~100,000 cell-hours): limit events apart
(-10 degC below a Li-ion charge limit, 45 degC at NMC's, twins SAME: the condition, not
the detector), 509 false alarms: 448 of them one run's noisy cell voltage (seed 10050,
NMC 1 cell, drive at -10 degC, 0.5 Hz), its noise-free twin the same: physics; the rest
mostly noisy voltages at 0.5 Hz with noise x1.5-2 (twins clean). Cause: a cell voltage with no group (and a pack voltage without
cells) is judged less the load's curvature through the spec's R0 at 25 degC; a cold
cell's R0 is 1.9x (0 degC) to 2.9x (-10 degC) that. Fixed in
:mod:`app.diagnostics.faults.sensors` (``R0_COLD_MIN_C``: R0 at the cells' temperature
where colder, the window's greatest factor). ``--runs 150 --first-seed 10000 --twin``
(3,600 pack-hours) before -> after: 454 -> 8 false alarms (seed 10050 448 -> 5). Held
out, a probe of lone cells and pack-only logs (1 and 2 cells, 4 cells without cell
voltages; NMC, LFP, lead-acid; drive, cycle, CC, HPPC; -10, 0, 10, 25 degC; 0.5, 1, 2 Hz;
seed 777, 6 h each: 432 runs, 2,592 pack-hours): noisy-sensor alarms 1,090 -> 3 (NMC
pack-only at -10/0 degC). ``--runs 150 --first-seed 12000 --twin`` (after only, 3,600
pack-hours): 17 false alarms. What is left, not fixed: (1) noisy cell/pack voltages at 0.5
Hz with noise x1.5-2 (a 15-sample window read against a floor that is only 2-3x such a
sensor's sigma: the window's scatter; 4-8 per 150 runs, twins clean; 0.5 Hz windows are
also the slow logs', another helper's); (2) cell_imbalance on 12/16-cell packs charged
at -10 degC with a 3 % SOC spread (twins SAME: the grid's SOC spread is a real
imbalance); (3) a runaway onset 40-68 s into a CC log at 35-45 degC (twins clean: the
log-start case ``benchmarks/validate/README.md`` describes); (4) an internal short on
NMC cycles at -10 degC, 2 Hz, noise x0.5 (seeds 9231, 12028; twins clean).

2026-12-07 session 36 (shorts): (4) fixed -- the rolling heat test's lag term fitted
under a cold discharge, extrapolated into the rest after it
(:mod:`app.diagnostics.faults.short`, ``HEAT_LAG_FREE``): seeds 9231 and 12028 no
internal short in 24 h (before: cells 11 and 6 at 27,090 and 55,320 s). Held out,
``--only-chem nmc --only-profile cycle --jobs 1``: ``--runs 60 --first-seed 9400 --hours
8`` 4 false alarms, no short; ``--runs 100 --first-seed 9500`` (2,400 pack-hours) 36 false
alarms, 2 internal shorts, the same before (seeds 9516 and 9560: 2 and 12 cells at 45
degC, 12 % spread, confirmed at 1,560 and 1,680 s, within the anchor's horizon; not looked
into), the rest runaway onsets of 1-cell packs at -10/0 degC (26) and noisy
voltages at 0.5 Hz (8), not the short's.

2026-12-07 session 36 (sensors2): what was left (1), the noisy voltages at 0.5 Hz, fixed: a
window of fewer terms than 1 Hz's 30 has its floor and its group and residual ratios raised
by its estimate's upper quantile over a 30-term window's (1.66 for the 15 step-robust terms
of a 0.5 Hz window; :mod:`app.diagnostics.faults.sensors`, "Few terms"). Logs of 1 Hz and
faster are judged as before (the same faults, bit for bit, on 1 Hz logs with noise x2 and
noisy sensors), so only this grid's 0.5 Hz runs were rerun: the conditions of ``--runs 150
--first-seed 10000`` and ``12000`` at 0.5 Hz with noise x1.5-2 (20 runs, 480 pack-hours;
tuned on): sensor_noisy 4 -> 0 (lead-acid 2s float pack voltage, seed 10000; LFP 12s rest
pack voltage, 12034; lead-acid 13s HPPC cells 12008, 12081); before, the grid's runs at 0.5-2 Hz and every noise
(164 runs) had those four and none else. Held out, ``--first-seed 14000``, ``16000`` and ``18000``'s
runs at 0.5 Hz with noise x1-2 (73 runs, 1,752 pack-hours): 23 -> 0 (19 pack voltages, 4
cell voltages; every chemistry, rest to drive). Every kind but the limits', all five seed
sets' 0.5 Hz runs at noise x1-2 (108): 31 -> 4, the 4 the same runaway onsets either way
(LFP 12140, 14060, 16012; NMC 18131; another detector's). (A script of the grid's ``condition`` and
``run`` restricted to those rates and noises; the full hunts not rerun: the machine was
loaded.)

2026-12-07 session 36 (runaway): (3) traced and fixed in
:mod:`app.diagnostics.faults.thermal` ("The share's noise"): at a log's start the runaway
test takes off a cell's resistance share read from its voltage, and a cell whose voltage
is off the median by an OCV offset (a 1-3 % SOC spread) over the small overpotential of
a large, hot cell (~3-4 mV) read shares of 8-140, whose reference noise the evidence took
in without its error. ``--ambients`` (new) keeps the hunt's runs drawn at those ambients.
``--runs 300 --ambients 35 45 --hours 0.1 --twin`` (log starts), runaway-onset false
alarms before -> after: ``--first-seed 10000`` 1 -> 0, ``12000`` 3 -> 0, ``14000`` 0 -> 0,
``15000`` 1 -> 0 (every twin clean; the one other alarm, a cell imbalance with a twin
SAME, stays); held out, ``--runs 1000 --first-seed 20000`` (329 runs): 3 -> 0;
``--runs 100 --first-seed 16000 --ambients 35 45 --hours 6 --twin`` (37 runs, 222
pack-hours), after: 0 false alarms.

2026-12-07 session 36 (coldrunaway): the runaway onsets of 1-cell packs at -10/0 degC (26 of
the 9500 hunt's 36 above, noise-free twins alike) traced and fixed in
:mod:`app.diagnostics.faults.thermal` ("A cold lone cell"): a lone sensor's Joule heating
was taken off at the spec's 25 degC resistance, a cold cell's being 2.1-2.9 times it (seed
9504's twin at 12,724 s: the cell at -7.6 degC, its own rate 1.32 degC/min, the spec's Joule
heat 0.60 degC/min, its own 1.6); now at its resistance at its own temperature (the
Arrhenius factor). ``--max-cells`` (new) keeps the hunt's runs drawn with at most that many
cells. ``--ambients -10 0 --max-cells 2 --twin --jobs 2`` (24 h), false alarms of every kind
before -> after: ``--runs 60 --first-seed 9400 --only-chem nmc --only-profile cycle`` (3
runs) 5 -> 0, ``--runs 100 --first-seed 9500 --only-chem nmc --only-profile cycle`` (9 runs,
216 pack-hours) 26 -> 0 (seeds 9504 and 9521 among them: 6 and 8 -> 0), ``--runs 200
--first-seed 9000`` (12 runs) 0 -> 0; held out, ``--runs 300 --first-seed 21000`` (30 runs,
720 pack-hours) 9 -> 0, ``22000`` (27 runs) 18 -> 1 (the one left a noisy pack voltage, seed
22010, the same before, the twin clean), ``23000`` (20 runs) 0 -> 0 -- every one removed a
runaway onset of a 1-cell NMC pack (cycle and HPPC). Every run's noise-free twin too (a
script of ``condition`` and ``run``; the hunt twins only the alarmed runs): the twins'
runaway onsets 18 and 17 -> 0 (3 and 2 twins), and the same seed sets' 1-2 cell packs at
35/45 degC (79 runs and twins): 0 -> 0 either way. Price: a lone cold cell's runaway is
found up to 10 s later (``benchmarks/validate/lone_runaway.py``, new: 64/64 within 60 s
either way, max 39 -> 44 s; held out ``--seeds 320 321`` 64/64, max 39 s either way).

2026-12-07 session 37 (shorts900): the 9500 hunt's two internal shorts (seeds 9516 and
9560: 2 and 12 20 Ah NMC cells cycled at 45 degC, 5 Hz, 12 % spread; their noise-free
twins too) were the short test's anchor (:mod:`app.diagnostics.faults.short`,
``ANCHOR_B_UNKNOWN``), confirmed within its horizon: 9560's cell 10 read r = 0.36 from
its voltage and was allowed only 0.3 of the pack's warming (the cap meant for an unknown
r held a known one too: its excess grew 0.33 of it); 9516's 2-cell pack (r unknown) read
cell 2 0.385 of the warming over cell 1, against the others' median, allowed 0.3 (an
unknown r there is two cells' difference: x1.6 at 2 cells). Fixed; ``--only-chem nmc
--only-profile cycle --jobs 1 --runs 100 --first-seed 9500``, false alarms before -> after:
2 -> 0 (both shorts; 1,380 limit events either way: 45 degC is at NMC's limit). Held out, ``--first-seed
9700`` (same options, 2,400 pack-hours): 9 -> 9, the same alarms: 8 cell imbalances of one
run (9734, 16 cells at 45 degC, a 3 % SOC spread) and one internal short, not fixed:
seed 9768 (13 20 Ah cells at 35 degC, 10 Hz, 8 % spread, 3 % SOC spread), cell 6 at 540
s, the anchor again -- its r read -0.37 (+-0.027) from its voltage, 4.6 sigma of an 8 %
spread (the SOC spread's OCV offset read as resistance, probably), so the allowance was
[-0.5, +0.05] of the pack's warming while its excess grew +0.1 of it (z 19-22). The
9800 hunt was not finished by the deadline.

2026-12-07 session 38 (anchor): the false internal shorts of NMC cycles whose cells start
apart in SOC across the OCV table's bend at 80 % (``--only-chem nmc --only-profile cycle
--hours 0.6 --jobs 1``) were the short test's anchor allowing the heat of a resistance
read wrong: the start-resistance fit (:mod:`app.diagnostics.faults.start_resistance`,
"The OCV's bend") read a cell above the bend, whose OCV falls slower until it passes
80 %, as a build-up of less resistance (seed 9768's cell 6: r -0.37 against its truth
+0.11). Each cell's OCV at its own SOC is now taken off its voltage before that fit.
False alarms before -> after: tuning ``--runs 150 --first-seed 14000`` 6 -> 0 (internal
shorts on 5 runs, 8-16 cells, 5-280 Ah, 0-45 degC, every one at a 12 % resistance and
3 % SOC spread, confirmed at 450-540 s); held out, ``--first-seed 9700`` 1 -> 0 (seed
9768, the one above), ``--first-seed 16000`` 2 -> 0 (seeds 16033 and 16123, 5 and 2
cells at 35 degC, 3 % and 1 % SOC spread, at 450-480 s); no other alarm in any of the
three either way (270 pack-hours). A version that refined each cell's SOC against the
median of the others read a 2-cell pack at 45 degC (seed 9832, both cells at 80 %) a
false short at 630 s: the SOC is refined on each cell's own fit now.
"""

from __future__ import annotations

import argparse
import random
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor

from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import NoiseSpec, simulate

CHEMS = ("nmc", "lfp", "lead_acid")
CELLS = (1, 2, 3, 4, 5, 7, 8, 12, 13, 16)
CAPACITIES = (0.5, 2.5, 5.0, 20.0, 50.0, 100.0, 280.0)
PROFILES = ("drive", "cycle", "cccv", "cc", "hppc", "rest", "float")
AMBIENTS = (-10.0, 0.0, 10.0, 25.0, 35.0, 45.0)
NOISE = (0.5, 1.0, 1.5, 2.0)
RATES_HZ = (0.5, 1.0, 2.0, 5.0, 10.0)
SPREADS = (0.02, 0.05, 0.08, 0.12)
SOC_SPREADS = (0.0, 1.0, 3.0)
#: The safety check's limit kinds (a cold or hot ambient may take a pack past its
#: charge temperature limits: counted apart, see the twin)
LIMIT_KINDS = {
    "over_voltage",
    "under_voltage",
    "over_current",
    "over_temperature",
    "under_temperature",
}


def condition(i: int, first_seed: int, only_chem=None, only_profile=None) -> dict:
    """The ``i``-th run's condition (deterministic in ``i`` and ``first_seed``)."""
    r = random.Random(first_seed * 100_003 + i)
    chem = only_chem or r.choice(CHEMS)
    profiles = [p for p in PROFILES if p != "float" or chem == "lead_acid"]
    prof = only_profile or r.choice(profiles)
    c_rate = None
    if prof == "cc":
        c_rate = r.choice((-0.2, -0.5, -1.0, 0.2))
    elif prof == "cccv":
        c_rate = r.choice((0.2, 0.5))
    return {
        "i": i,
        "seed": first_seed + i,
        "chem": chem,
        "cells": r.choice(CELLS),
        "cap": r.choice(CAPACITIES),
        "profile": prof,
        "ambient": r.choice(AMBIENTS),
        "noise": r.choice(NOISE),
        "rate_hz": r.choice(RATES_HZ),
        "spread": r.choice(SPREADS),
        "soc_spread": r.choice(SOC_SPREADS),
        "c_rate": c_rate,
    }


def run(cond: dict, hours: float, noise_free: bool = False) -> dict:
    spec = preset(cond["chem"], series_cells=cond["cells"], capacity_ah=cond["cap"])
    noise = None if noise_free else NoiseSpec.typical(spec, cond["noise"])
    opts = {} if cond["c_rate"] is None else {"c_rate": cond["c_rate"]}
    b = simulate(
        spec,
        cond["profile"],
        duration_s=hours * 3600,
        dt_s=1.0 / cond["rate_hz"],
        seed=cond["seed"],
        noise=noise,
        ambient_c=cond["ambient"],
        capacity_spread=0.02,
        resistance_spread=cond["spread"],
        soc_spread_pct=cond["soc_spread"],
        **opts,
    )
    faults = detect_faults(b, spec).to_list()
    return {"cond": cond, "faults": faults, "hours": hours}


def _job(args):
    cond, hours, twin = args
    out = run(cond, hours)
    if twin and out["faults"]:
        out["twin"] = run(cond, hours, noise_free=True)["faults"]
    return out


def label(c: dict) -> str:
    cr = "" if c["c_rate"] is None else f" {c['c_rate']:+g}C"
    return (
        f"{c['chem']} {c['cells']}s {c['cap']:g}Ah {c['profile']}{cr} {c['ambient']:g}C "
        f"noise {c['noise']:g} {c['rate_hz']:g}Hz spread {c['spread']:g} "
        f"socsp {c['soc_spread']:g} seed {c['seed']}"
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--first-seed", type=int, default=9000)
    p.add_argument("--hours", type=float, default=24.0)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--twin", action="store_true", help="noise-free twin of alarmed runs")
    p.add_argument("--only-chem", choices=CHEMS)
    p.add_argument("--only-profile", choices=PROFILES)
    p.add_argument("--detail", action="store_true")
    p.add_argument(
        "--ambients",
        type=float,
        nargs="+",
        default=None,
        help="keep only the runs drawn at these ambients (the others' conditions unchanged)",
    )
    p.add_argument(
        "--max-cells",
        type=int,
        default=None,
        help="keep only the runs drawn with at most this many cells (the others' unchanged)",
    )
    a = p.parse_args()
    conds = [condition(i, a.first_seed, a.only_chem, a.only_profile) for i in range(a.runs)]
    if a.ambients is not None:
        conds = [c for c in conds if c["ambient"] in a.ambients]
    if a.max_cells is not None:
        conds = [c for c in conds if c["cells"] <= a.max_cells]
    jobs = [(c, a.hours, a.twin) for c in conds]
    if a.jobs > 1:
        with ProcessPoolExecutor(a.jobs) as ex:
            results = list(ex.map(_job, jobs, chunksize=1))
    else:
        results = [_job(j) for j in jobs]
    per_axis: dict[tuple[str, object], list[int]] = defaultdict(lambda: [0, 0])
    kinds: dict[str, int] = defaultdict(int)
    n_alarm = n_limit = 0
    hours = 0.0
    for res in results:
        c = res["cond"]
        hours += res["hours"] * c["cells"]
        for key in ("chem", "cells", "cap", "profile", "ambient", "noise", "rate_hz"):
            per_axis[(key, c[key])][0] += 1
            per_axis[(key, c[key])][1] += sum(f["kind"] not in LIMIT_KINDS for f in res["faults"])
        for f in res["faults"]:
            limit = f["kind"] in LIMIT_KINDS
            n_limit += limit
            n_alarm += not limit
            kinds[f"{f['kind']} {f['channel'].split('_')[0]}"] += 1
            twin = ""
            if "twin" in res:
                same = [
                    g
                    for g in res["twin"]
                    if g["kind"] == f["kind"] and g["channel"] == f["channel"]
                ]
                twin = " | twin: " + ("SAME (physics)" if same else "gone (noise)")
            print(
                f"{'LIMIT' if limit else 'FALSE'} {label(c)}: {f['kind']} {f['channel']} "
                f"{f['start_time_s']:.0f}-{f['end_time_s']:.0f} s {f['severity']}{twin}",
                flush=True,
            )
            if a.detail:
                print("    ", f.get("detail"))
    print()
    print("false alarms per axis value (runs/alarms, limit events not counted):")
    for key in ("chem", "cells", "cap", "profile", "ambient", "noise", "rate_hz"):
        vals = sorted((v for k, v in per_axis if k == key), key=lambda v: (str(type(v)), v))
        print(
            f"  {key:8s} "
            + "  ".join(f"{v}: {per_axis[(key, v)][0]}/{per_axis[(key, v)][1]}" for v in vals)
        )
    print("alarm kinds:", dict(kinds))
    print(
        f"{len(results)} runs x {a.hours:g} h, {hours:.0f} cell-hours "
        f"({len(results) * a.hours:.0f} pack-hours): {n_alarm} false alarms, "
        f"{n_limit} limit events (the safety check's: a twin's SAME is a condition out "
        "of the spec's limits, not a detector's error)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
