"""What a slow log's 10 s DCIR is: the HPPC definition on its samples against the
voltage 10 s after the true step (issue: 1 Hz DCIR).

Run: ``python benchmarks/bench_dcir_definition.py [--rates 1 0.5 2] [--phases 0 3 7]
[--seeds 2] [--first-seed 50]``

The simulator's HPPC runs of ``bench_dcir.py`` (noise-free) are made 10x faster
than the log's rate and decimated from sample P (``--phases``: the steps fall P/10
of a sample period before a sample, a logger not synchronised with the cycler).
On the log, the definition takes ``t_s`` as the first sample at the new current
and reads ``V(t_s + 10 s)``; a 10 s pulse has no sample at 10 s (that one is at
the next step's current), so the last pulse sample stands in: at 1 Hz the voltage
9 s in (:func:`~app.diagnostics.pulse_detection.hppc_resistance_raw`). The
estimator and ``bench_dcir.py``'s truth use that same log definition, so this
gap is not in their errors: it is how far the log's "10 s DCIR" is from the one
10 s after the true step, a limit of the log (the instant of the step and the
voltage at 10 s are not in it), not of the estimator. For each rate and phase
this prints the rms and largest difference (per cent of the fast run's R10, read
at its own last pulse sample, 0.1 sample periods before 10 s).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.spec import preset  # noqa: E402
from app.diagnostics.internal_resistance import measure_internal_resistance  # noqa: E402
from app.diagnostics.pulse_detection import hppc_resistance_raw  # noqa: E402
from app.hardware.simulator import simulate  # noqa: E402

FINE = 10


def gaps(chem: str, rate: float, seed: int, phases) -> dict[int, np.ndarray]:
    """Per phase: each pulse's log-definition R10 against the fast run's, per cent."""
    spec = preset(chem, series_cells=1)
    kw = dict(profile="hppc", duration_s=45000, dt_s=1.0 / (rate * FINE), seed=seed)
    fast = simulate(spec, initial_soc_pct=95.0, **kw).to_frame()
    tf, vf, i_f = (fast[c].to_numpy() for c in ("time_s", "voltage_v", "current_a"))
    steps = np.flatnonzero(np.diff(i_f) != 0) + 1  # the true steps (zero-order hold)
    out = {}
    for phase in phases:
        log = fast.iloc[phase % FINE :: FINE].reset_index(drop=True)
        t, v, i = (log[c].to_numpy() for c in ("time_s", "voltage_v", "current_a"))
        diffs = []
        for p in measure_internal_resistance(log, spec).pulses:
            if not p["duration_s"]:
                continue
            k = int(np.searchsorted(t, p["start_time_s"] - 1e-9))
            end = int(np.searchsorted(t, p["start_time_s"] + p["duration_s"] - 1e-9))
            r_log = hppc_resistance_raw(t, v, i, k, k, end)["r_10s_ohm"]
            # the true step: the last one of the fast run at or before the log's t_s
            kf = int(steps[np.searchsorted(tf[steps], t[k] + 1e-9) - 1])
            ef = int(steps[np.searchsorted(steps, kf, side="right")])
            r_true = hppc_resistance_raw(tf, vf, i_f, kf, kf, ef)["r_10s_ohm"]
            if r_log is not None and r_true is not None:
                diffs.append(100.0 * (r_log / r_true - 1.0))
        out[phase] = np.array(diffs)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rates", nargs="+", type=float, default=[1.0, 0.5, 2.0])
    ap.add_argument("--phases", nargs="+", type=int, default=[0, 3, 7])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--first-seed", type=int, default=50)
    args = ap.parse_args(argv)
    print("Log definition of R10 vs the voltage 10 s after the true step (noise-free)")
    print(
        f"{'chemistry':<5} {'rate':>6} {'phase':>5} {'pulses':>6} {'mean':>7} {'rms':>6} {'max':>7}"
    )
    for chem in ("nmc", "lfp"):
        for rate in args.rates:
            by_phase: dict[int, list] = {ph: [] for ph in args.phases}
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                for ph, d in gaps(chem, rate, seed, args.phases).items():
                    by_phase[ph].append(d)
            for ph, parts in by_phase.items():
                d = np.concatenate(parts)
                worst = d[int(np.argmax(np.abs(d)))]
                print(
                    f"{chem:<5} {rate:>4g}Hz {ph:>5d} {len(d):>6d} {np.mean(d):+6.2f}% "
                    f"{np.sqrt(np.mean(d**2)):5.2f}% {worst:+6.2f}%",
                    flush=True,
                )


if __name__ == "__main__":
    main()
