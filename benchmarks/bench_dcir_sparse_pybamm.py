"""The cycles' 10 s DCIR (``pulse_resistances``) of PyBaMM HPPC runs logged as a
cycler logs (a row at each step's start, then one every ``--periods`` s) against the
same run at 1 Hz: a non-linear cell (SPMe, Chen2020 NMC and Prada2013 LFP), where
:func:`~app.diagnostics.pulse_detection.step_rows_read` (a pulse's 10 s reading from
its first row and the next step's, by superposition) is no longer exact.

Run: ``python benchmarks/bench_dcir_sparse_pybamm.py [--periods 30 60 300] [--heldout]``
(PyBaMM, a development dependency; runs cached as ``bench_dcir.py``'s). The bench's
HPPC (``bench_dcir.hppc_profile``: 10 s pulses at 1C discharge / 0.75C charge, 40 s
rests, 20 % SOC steps at 1C, 30 min rests, from 95 %), and with ``--heldout`` the
``bench_dcir.HELDOUT_HPPC`` variants (other rates, SOC steps, 0 and 40 degC). Rows
every period from 0, plus the 10 Hz run's sample at each step's start, with a
``step_index``; the 1 Hz reference is every tenth sample (steps fall on whole
seconds) with the same ``step_index``. Printed per run and period: the 1 Hz run's
readings, the sparse log's, and the sparse readings' error against the 1 Hz run's
(per cent: mean |error|, worst).

2026-12-07 session 37 (sparserelax): first figures, see ``bench_dcir_sparse.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from app.core.spec import preset  # noqa: E402
from app.diagnostics.cycles import pulse_resistances  # noqa: E402


def readings(df, cap) -> dict[float, float]:
    at, r = pulse_resistances(df, cap)
    t = df["time_s"].to_numpy()
    return {round(float(t[k]), 3): float(x) for k, x in zip(at.tolist(), r.tolist(), strict=True)}


def main(argv=None) -> None:
    import bench_dcir as bd
    import groundtruth_pybamm as gt

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--periods", nargs="+", type=float, default=[30.0, 60.0, 300.0])
    ap.add_argument("--heldout", action="store_true")
    args = ap.parse_args(argv)
    variants = bd.HELDOUT_HPPC if args.heldout else (("", 95.0, 5, 20.0, 1.0, 0.75, None),)
    total = {"ref": 0, "given": 0, "bad": 0}
    for chem, ps in (("nmc", "Chen2020"), ("lfp", "Prada2013")):
        cap = gt.nominal_capacity_ah(ps)
        preset(chem, capacity_ah=cap)
        for vlabel, soc0, levels, step, dis_c, chg_c, ambient in variants:
            name = (
                "hppc-bench" if not vlabel else f"hppc-held-{levels}x{step:g}-{dis_c:g}-{chg_c:g}"
            )
            prof = bd.hppc_profile(
                gt, cap, levels=levels, step_pct=step, discharge_c=dis_c, charge_c=chg_c, name=name
            )
            run = gt.simulate_pybamm(
                ps, prof, initial_soc_pct=soc0, sample_period_s=0.1, ambient_c=ambient
            )
            cols = ["time_s", "voltage_v", "current_a", "temperature_c"]
            run = run[cols].copy()
            t = run["time_s"].to_numpy()
            # step starts: the profile's knots where the current changes (whole seconds)
            i = run["current_a"].to_numpy()
            starts = np.flatnonzero(np.abs(np.diff(i)) > 1e-6) + 1
            first = np.zeros(len(t), dtype=bool)
            first[starts] = True
            run["step_index"] = np.cumsum(first) + 1.0
            whole = np.abs(t - np.round(t)) < 1e-6
            ref = readings(run[whole].reset_index(drop=True), cap)
            for period in args.periods:
                on_grid = whole & (np.abs(np.round(t) % period) < 1e-6)
                sparse = run[on_grid | first].reset_index(drop=True)
                got = readings(sparse, cap)
                errs = np.array([100.0 * (r / ref[ts] - 1.0) for ts, r in got.items() if ts in ref])
                total["ref"] += len(ref)
                total["given"] += len(errs)
                total["bad"] += int(np.sum(np.abs(errs) > 5.0))
                txt = (
                    f"{np.mean(np.abs(errs)):6.2f}% {np.max(np.abs(errs)):6.2f}%"
                    if len(errs)
                    else f"{'-':>7} {'-':>7}"
                )
                print(
                    f"{ps:<9} {vlabel or 'bench':<26} {period:>4g}s 1 Hz {len(ref):>3} "
                    f"sparse {len(errs):>3} {txt}",
                    flush=True,
                )
    print(
        f"all: 1 Hz {total['ref']} readings, sparse {total['given']}, "
        f"{total['bad']} of them more than 5 % off"
    )


if __name__ == "__main__":
    main()
