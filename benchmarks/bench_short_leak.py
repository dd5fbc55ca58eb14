"""An internal short's self-discharge estimate against the simulator's injected short.

Run: ``python benchmarks/bench_short_leak.py`` (``--chem nmc lfp``, ``--cells 4 16``,
``--profiles rest cc``, ``--ohms 10 30``, ``--seeds N``, ``--first-seed K``,
``--hours H``, ``--brief`` for the summaries only).

A resistor R across cell 3 from ``--onset`` (default 300 s) drains I = V/R from it,
V its own terminal voltage. :func:`~app.diagnostics.faults.detect_faults` reports
the short's self-discharge (``detail.leak_current_a``) from the rest window that
resolved it best; the truth is the mean of V/R over that window (its end is
``detail.leak_window_end_s``, the window ``LEAK_WINDOW_S`` long; a detector without
that key: the median of V/R over every rest sample after the onset, its range
printed). Each row: whether the short was found, the estimate and its interval
(``leak_current_low_a`` .. ``leak_current_high_a`` where reported), the truth, the
error of the estimate, whether the truth lies inside the interval (or that the
self-discharge was not resolved: rest windows only on a flat stretch of the OCV
curve). Summaries per chemistry and R: runs, found, estimates, unresolved, median
and worst error, estimates within +-30 %, truths inside the interval.

Packs have a 2 % capacity and 3/6/8 % resistance spread (seed i: the i-th), the
typical sensor noise (2 mV a cell on NMC), 1 Hz.

Measured (``python benchmarks/bench_short_leak.py``, 192 runs, ~2 min CPU), before ->
after the estimate through the cell's own OCV curve, against the other cells, pooled
over settled rest windows (see :mod:`app.diagnostics.faults.short`); before, the
truth is the median of V/R over the rest samples after the onset (the old detail has
no window):

    before: 87 estimates, 25 within +-30 %: NMC 10/30/100/300 ohm median +8/+2/+6/+72 %,
            worst +212/+404/+120/+130 %; LFP median +492/+0/+67/+107 %, worst up to
            +2423 % (25x); lead-acid +1484 % (10 ohm, 100 Ah)
    after:  59 estimates, 55 within +-30 %, the truth inside the interval in 59:
            NMC 35/35 (worst +16 %), LFP 20/21 (worst +30 %; 14 'not resolved': the
            plateau after a charge), lead-acid 0/3 (50-61 % off, intervals +-100 %)

``--first-seed 3 --seeds 2`` (held out): 58 of 60 within +-30 %, NMC 35/35, LFP 21/22
(a 4-cell 100 ohm rest -38 %, outside its interval). No estimate on ``drive`` (its
rests last 10 min, the test needs a settled 20-min window) nor where the 1C ``cc``
discharge left the shorted cell below its OCV table (drained to 0 V).
"""

from __future__ import annotations

import argparse

import numpy as np

from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.diagnostics.faults.short import LEAK_WINDOW_S, REST_C
from app.hardware.simulator import Fault, NoiseSpec, simulate

CHEMISTRIES = ("nmc", "lfp", "lead_acid")
PROFILES = ("rest", "drive", "cc", "cccv")
OHMS = (10.0, 30.0, 100.0, 300.0)
SPREADS = (0.03, 0.06, 0.08)
TOLERANCE = 0.30
SHORT_CELL = 3


def run_one(chem: str, cells: int, profile: str, ohm: float, seed: int, hours: float, onset: float):
    spec = preset(chem, series_cells=cells)
    block = simulate(
        spec,
        profile,
        duration_s=hours * 3600.0,
        seed=seed,
        noise=NoiseSpec.typical(spec),
        faults=[Fault("internal_short", onset, cell=SHORT_CELL, resistance_ohm=ohm)],
        capacity_spread=0.02,
        resistance_spread=SPREADS[seed % len(SPREADS)],
    )
    name = f"cell_{SHORT_CELL}_v"
    shorts = [
        f
        for f in detect_faults(block, spec).to_list()
        if f["kind"] == "internal_short" and f["channel"] == name
    ]
    t = np.asarray(block["time_s"])
    leak_true = np.asarray(block[name]) / ohm
    row = {
        "chem": chem,
        "cells": cells,
        "profile": profile,
        "ohm": ohm,
        "seed": seed,
        "found": bool(shorts),
        "est": None,
        "low": None,
        "high": None,
        "true": None,
        "true_range": None,
        "unresolved": None,
    }
    if not shorts:
        return row
    d = shorts[0]["detail"]
    row["unresolved"] = d.get("leak_windows_unresolved")
    est = d.get("leak_current_a")
    if est is None or not np.isfinite(est):
        return row
    row["est"] = float(est)
    row["low"] = d.get("leak_current_low_a")
    row["high"] = d.get("leak_current_high_a")
    end = d.get("leak_window_end_s")
    if end is not None:
        win = (t > end - LEAK_WINDOW_S) & (t <= end)
        row["true"] = float(leak_true[win].mean())
    else:
        rest = (np.abs(np.asarray(block["current_a"])) <= REST_C * spec.pack_capacity_ah) & (
            t >= onset
        )
        row["true"] = float(np.median(leak_true[rest]))
        row["true_range"] = (float(leak_true[rest].min()), float(leak_true[rest].max()))
    return row


def _err(r) -> float | None:
    return None if r["est"] is None else r["est"] / r["true"] - 1.0


def _inside(r) -> bool | None:
    if r["est"] is None or r["low"] is None or r["high"] is None:
        return None
    return r["low"] <= r["true"] <= r["high"]


def _fmt_row(r) -> str:
    head = f"{r['chem']:<9} {r['cells']:>2} {r['profile']:<5} {r['ohm']:>5g} {r['seed']:>4}"
    if not r["found"]:
        return f"{head}  not found"
    if r["est"] is None:
        if r["unresolved"]:
            return (
                f"{head}  found, self-discharge not resolved ({r['unresolved']:.0f} rest "
                "windows on a flat stretch of the OCV curve)"
            )
        return f"{head}  found, no self-discharge estimate"
    interval = (
        f"[{r['low']:.4f}-{r['high']:.4f}]" if r["low"] is not None else "[no interval]"
    ).ljust(17)
    rng = r["true_range"]
    true = f"{r['true']:.4f}" + (f" ({rng[0]:.4f}-{rng[1]:.4f})" if rng else "")
    inside = {True: "in", False: "OUT", None: ""}[_inside(r)]
    return f"{head}  est {r['est']:.4f} {interval} true {true}  err {_err(r):+7.1%} {inside}"


def summary(rows) -> list[str]:
    out = [
        f"{'chem':<9} {'ohm':>5} {'runs':>4} {'found':>5} {'est':>4} {'unres':>5} "
        f"{'median err':>10} {'worst err':>9} {'within 30%':>10} {'in interval':>11}"
    ]
    keys = sorted({(r["chem"], r["ohm"]) for r in rows}, key=lambda k: (k[0], k[1]))
    for chem, ohm in keys:
        rs = [r for r in rows if r["chem"] == chem and r["ohm"] == ohm]
        errs = [e for e in map(_err, rs) if e is not None]
        ins = [i for i in map(_inside, rs) if i is not None]
        med = f"{np.median(errs):+.1%}" if errs else "-"
        worst = f"{max(errs, key=abs):+.1%}" if errs else "-"
        within = sum(abs(e) <= TOLERANCE for e in errs)
        inside = f"{sum(ins)}/{len(ins)}" if ins else "-"
        unres = sum(r["est"] is None and bool(r["unresolved"]) for r in rs)
        out.append(
            f"{chem:<9} {ohm:>5g} {len(rs):>4} {sum(r['found'] for r in rs):>5} {len(errs):>4} "
            f"{unres:>5} {med:>10} {worst:>9} {f'{within}/{len(errs)}':>10} {inside:>11}"
        )
    errs = [e for e in map(_err, rows) if e is not None]
    within = sum(abs(e) <= TOLERANCE for e in errs)
    out.append(f"all: {len(rows)} runs, {len(errs)} estimates, {within} within +-30 %")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chem", nargs="+", choices=CHEMISTRIES, default=list(CHEMISTRIES))
    p.add_argument("--cells", type=int, nargs="+", default=[4, 16])
    p.add_argument("--profiles", nargs="+", default=list(PROFILES))
    p.add_argument("--ohms", type=float, nargs="+", default=list(OHMS))
    p.add_argument("--seeds", type=int, default=2, help="seeds per case (default 2)")
    p.add_argument("--first-seed", type=int, default=1)
    p.add_argument("--hours", type=float, default=4.0, help="length of each log (default 4)")
    p.add_argument("--onset", type=float, default=300.0, help="the short's onset, s")
    p.add_argument("--brief", action="store_true", help="only the summaries")
    args = p.parse_args(argv)
    rows = []
    for chem in args.chem:
        for cells in args.cells:
            for profile in args.profiles:
                for ohm in args.ohms:
                    for seed in range(args.first_seed, args.first_seed + args.seeds):
                        r = run_one(chem, cells, profile, ohm, seed, args.hours, args.onset)
                        rows.append(r)
                        if not args.brief:
                            print(_fmt_row(r), flush=True)
    print()
    print("\n".join(summary(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
