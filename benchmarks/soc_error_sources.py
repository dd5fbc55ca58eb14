"""Where the SOC error of bench_soc's LFP table-from-rest cases comes from.

    python benchmarks/soc_error_sources.py                        # the 14 broad cases
    python benchmarks/soc_error_sources.py --broad-seed-offset 90 # held-out broad draws
    python benchmarks/soc_error_sources.py --heldout               # bench_soc --heldout's 8
    python benchmarks/soc_error_sources.py --default              # udds/us06/wltp/commute s1-3
    python benchmarks/soc_error_sources.py --unrated              # every variant's table unrated

The same logs and scoring as ``bench_soc.py`` (its cache; run that first), each
case run again with one cause of error taken away, so the change of the smoothed
RMSE after 10 min says what that cause is worth:

* ``unrated``: the C/50 table given without its current (``ocv_table_current_c``
  None: before session 37 the filter before session 36, offset prior 0 +- 5 mV;
  since session 37 (lfpsoc4) 0 +- hypot(3 mV, C/50 x R0 + R1 + R2), 3.1 mV for
  LFP: see "Unstated table" in ``app.diagnostics.soc_ekf``);
* ``base``: the case as ``bench_soc.py`` runs it (the C/50 table stated as
  measured at -0.02 C: raised by C/50 times the preset's DC resistance R0 + R1 +
  R2, 0.76 mV for LFP, 2.9 mV for NMC, offset prior 0 +- 3 mV; nominal capacity,
  the current's +0.5 % gain error, the start read from the first rest);
* ``trueOCV``: PyBaMM's true OCV (the electrodes' OCPs) as the table, stated as
  a rest-point table (current 0: no correction, offset prior 0 +- 3 mV);
* ``nogain``: the logged current divided by the gain error (1.005);
* ``start``: the filter given the true start SOC (sigma 0.5 %) instead of
  reading it from the first rest.

2026-12-07 session 36 (lfpsoc3): see the end of ``bench_soc.py``'s docstring
for the figures and what they say.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_soc as bs  # noqa: E402

from app.core.samples import SampleBlock  # noqa: E402
from app.core.spec import preset  # noqa: E402
from app.diagnostics.soc_ekf import SOC_COLUMN, EkfSocEstimator  # noqa: E402

VARIANTS = ("unrated", "base", "trueOCV", "nogain", "start")


def true_ocv_table(gt, chemistry: str) -> tuple[np.ndarray, np.ndarray]:
    """PyBaMM's OCV (positive minus negative OCP) on the truth's SOC axis."""
    import pybamm

    pv = pybamm.ParameterValues(gt.PARAMETER_SETS[chemistry])
    x0, x100, y100, y0 = pybamm.lithium_ion.get_min_max_stoichiometries(pv)
    u_n, u_p = pv["Negative electrode OCP [V]"], pv["Positive electrode OCP [V]"]
    socs = np.linspace(0.0, 100.0, 201)

    def ocp(fn, sto: float) -> float:
        return float(pv.evaluate(fn(pybamm.Scalar(sto))))

    ocv = [ocp(u_p, y0 - f * (y0 - y100)) - ocp(u_n, x0 + f * (x100 - x0)) for f in socs / 100.0]
    return socs, np.array(ocv)


def score(df, spec, **kw) -> float:
    block = SampleBlock({c: df[c].to_numpy() for c in ("time_s", "voltage_v", "current_a")})
    est = EkfSocEstimator(spec, **kw)
    est.update(block)
    err = est.smoothed_columns()[SOC_COLUMN] - df["soc_true_pct"].to_numpy()
    late = df["time_s"].to_numpy() >= bs.SCORE_AFTER_S
    return float(np.sqrt(np.mean(err[late] ** 2)))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--chemistry", default="lfp", choices=["lfp", "nmc"])
    ap.add_argument("--broad-seed-offset", type=int, default=0)
    ap.add_argument("--heldout", action="store_true")
    ap.add_argument("--default", action="store_true")
    ap.add_argument(
        "--unrated",
        action="store_true",
        help="every variant with its table's current not stated (the filter as before "
        "session 36: bench_soc.py's session 36 table of causes)",
    )
    args = ap.parse_args()
    import groundtruth_pybamm as gt

    if args.default:
        scenarios = [
            bs.Scenario(p, s) for p in ("udds", "us06", "wltp", "commute") for s in (1, 2, 3)
        ]
    elif args.heldout:
        scenarios = bs.heldout_scenarios()
    else:
        scenarios = bs.broad_scenarios(args.broad_seed_offset)
    chem = args.chemistry
    tab = gt.ocv_table_c50(gt.PARAMETER_SETS[chem])
    soc_t, ocv_t = tab["soc_percent"].to_numpy(), tab["ocv_v"].to_numpy()
    true_soc, true_ocv = true_ocv_table(gt, chem)
    print(f"{'case':24} " + " ".join(f"{v:>8}" for v in VARIANTS))
    rows = []
    for sc in scenarios:
        df, cap = bs._log_for(gt, chem, sc)
        t = df["time_s"].to_numpy()
        if t[-1] < bs.SCORE_AFTER_S + bs.MIN_SCORED_S:
            print(f"{sc.label + ' s' + str(sc.seed):24} short ({t[-1] / 60:.1f} min), left out")
            continue
        base = preset(chem, capacity_ah=cap)
        rate = None if args.unrated else bs.TABLE_CURRENT_C
        spec = base.with_ocv_table(soc_t, ocv_t, rate)
        nogain = df.copy()
        nogain["current_a"] = nogain["current_a"] / 1.005
        row = [
            score(df, base.with_ocv_table(soc_t, ocv_t)),
            score(df, spec),
            score(df, base.with_ocv_table(true_soc, true_ocv, None if args.unrated else 0.0)),
            score(nogain, spec),
            score(
                df,
                spec,
                initial_soc_pct=float(df["soc_true_pct"].iloc[0]),
                initial_soc_sigma_pct=0.5,
            ),
        ]
        rows.append(row)
        print(f"{sc.label + ' s' + str(sc.seed):24} " + " ".join(f"{x:8.2f}" for x in row))
    if rows:
        a = np.array(rows)
        print(f"{'mean':24} " + " ".join(f"{x:8.2f}" for x in a.mean(axis=0)))
        print(f"{'worst':24} " + " ".join(f"{x:8.2f}" for x in a.max(axis=0)))
        print(f"{'over 1 %':24} " + " ".join(f"{int(x):8d}" for x in (a > 1.0).sum(axis=0)))


if __name__ == "__main__":
    main()
