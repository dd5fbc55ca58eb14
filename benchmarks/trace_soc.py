"""One bench_soc case over time: where the SOC filter goes wrong, and why.

    python benchmarks/trace_soc.py lfp steps 12 --soc0 70                 # a broad case, from rest
    python benchmarks/trace_soc.py lfp udds 15 --soc0 75 --ambient 10 --start load
    python benchmarks/trace_soc.py nmc udds 1 --every 300                 # a default case

Same logs as ``bench_soc.py`` (same cache: run that first, a case not in the
cache is simulated). Per ``--every`` seconds of log, at its last sample: true
and estimated SOC, their difference, the mean current (C), the voltage minus
the OCV table at the true SOC (the polarisation the model has to explain plus
the table's own error), and the filter's adapted states: OCV-table offset ``b``,
polarisation scale ``g``, R0, charge-transfer amplitude ``a``, charge scale ``k``
and the SOC sigma. The log is
fed in blocks (offline == live: the same numbers as one update).
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

#: Indices of the filter's states (see soc_ekf's module doc).
_R0, _K, _G, _B, _A = 3, 5, 6, 7, 8


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("chemistry", choices=["nmc", "lfp"])
    ap.add_argument("profile")
    ap.add_argument("seed", type=int)
    ap.add_argument("--soc0", type=float, help="start SOC of a broad case (default: seeded)")
    ap.add_argument("--sample-period", type=float, default=0.1)
    ap.add_argument("--ambient", type=float)
    ap.add_argument("--start", choices=["rest", "load"], default="rest")
    ap.add_argument("--ocv", choices=["table", "preset"], default="table")
    ap.add_argument("--unstated", action="store_true", help="the table given without its current")
    ap.add_argument("--every", type=float, default=120.0, help="seconds of log per line")
    args = ap.parse_args()

    import groundtruth_pybamm as gt

    sc = bs.Scenario(args.profile, args.seed, args.soc0, args.sample_period, args.ambient)
    df, cap = bs._log_for(gt, args.chemistry, sc)
    if args.start == "load":
        df = df.iloc[bs._load_start(df, cap, sc.seed) :].reset_index(drop=True)
        df["time_s"] -= df["time_s"].iloc[0]
    spec = preset(args.chemistry, capacity_ah=cap)
    if args.ocv == "table":
        tab = gt.ocv_table_c50(gt.PARAMETER_SETS[args.chemistry])
        spec = spec.with_ocv_table(
            tab["soc_percent"], tab["ocv_v"], None if args.unstated else bs.TABLE_CURRENT_C
        )

    est = EkfSocEstimator(spec)
    t = df["time_s"].to_numpy()
    i = df["current_a"].to_numpy()
    v = df["voltage_v"].to_numpy()
    truth = df["soc_true_pct"].to_numpy()
    cols = {"time_s": t, "voltage_v": v, "current_a": i}
    ends = np.searchsorted(t, np.arange(args.every, t[-1] + args.every, args.every))
    ends = np.unique(np.minimum(ends, len(t)))
    print(
        f"{'t min':>7} {'true%':>6} {'est%':>6} {'err%':>6} {'I C':>6} {'v-OCV(true) mV':>14}"
        f" {'b mV':>6} {'g':>5} {'R0 mOhm':>7} {'a mV':>6} {'k':>6} {'sigma%':>6}"
    )
    start, err = 0, []
    for end in ends:
        out = est.update(SampleBlock({c: a[start:end] for c, a in cols.items()}))
        soc = out[SOC_COLUMN]
        err.append(soc - truth[start:end])
        j = end - 1
        x = est._x  # the adapted states after the last closed interval
        print(
            f"{t[j] / 60:7.1f} {truth[j]:6.2f} {soc[-1]:6.2f} {soc[-1] - truth[j]:+6.2f}"
            f" {i[start:end].mean() / cap:+6.2f} {1000 * (v[j] - est.model.ocv(truth[j])):+14.1f}"
            f" {1000 * x[_B]:+6.1f} {x[_G]:5.2f} {1000 * x[_R0]:7.1f} {1000 * x[_A]:6.1f} {x[_K]:6.3f}"
            f" {est._sigma:6.2f}"
        )
        start = end
    e = np.concatenate(err)[t >= bs.SCORE_AFTER_S]
    print(f"RMSE after {bs.SCORE_AFTER_S / 60:.0f} min {np.sqrt(np.mean(e**2)):.2f} %")


if __name__ == "__main__":
    main()
