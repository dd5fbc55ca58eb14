"""What the 1 Hz R10 misses are made of: the level before the step, the 10 s reading,
the current step, or a bias (issue 3: 10 s DCIR within +-5 % on every HPPC pulse).

Run: ``python benchmarks/bench_dcir_parts.py [--chem lfp] [--rate 1] [--seeds 9]
[--first-seed 1]``

On the simulator's HPPC runs of ``bench_dcir.py`` (same noise: 2 mV, 5 mA, +0.5 %
current gain) each pulse's R10 error against the HPPC definition on the noise-free
samples is split into its parts: the fitted voltage just before the step
(``before``, its error as a share of the true dV, the sign that raises R10), the
fitted voltage at the 10 s read point (``at 10 s``), the voltage change of both
(``dV``) and the current step (``dI``, the mean currents the estimator divides by,
the gain's +0.5 % taken out). The ends are the read-out fit's curve at those
instants (:meth:`InternalResistanceTracker._read_deltas`; a local residual
correction, where one applies, is in ``dV`` but not in ``before``/``at 10 s``).
Printed per direction: the mean (a bias) and rms of each part, then every pulse
outside the target with its parts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dcir import GAIN, I_NOISE, TARGET_PCT, V_NOISE  # noqa: E402

from app.core.spec import preset  # noqa: E402
from app.diagnostics import internal_resistance as ir  # noqa: E402
from app.hardware.simulator import NoiseSpec, simulate  # noqa: E402

PARTS = ("R10", "dV", "before", "at 10 s", "dI", "stated sd")


def parts(chem: str, rate: float, seed: int) -> list[tuple[float, str, np.ndarray]]:
    """(start time, direction, the PARTS in per cent) of each fitted pulse of one run."""
    spec = preset(chem, series_cells=1)
    kw = dict(profile="hppc", duration_s=45000, dt_s=1.0 / rate, seed=seed)
    kw.update(initial_soc_pct=95.0, include_truth=True)
    true = simulate(spec, **kw).to_frame()
    noise = NoiseSpec(voltage_v=V_NOISE, current_a=I_NOISE)
    noisy = simulate(spec, noise=noise, **kw).to_frame().drop(columns=["true_cell_1_soc_pct"])
    noisy["current_a"] *= GAIN
    ends: dict[float, tuple[float, float]] = {}  # t before the step: (fitted V there, dV)
    original = ir.InternalResistanceTracker._read_deltas

    def capture(model, t, volts, k, kl, last, fit_from, eval_t):
        dv, std = original(model, t, volts, k, kl, last, fit_from, eval_t)
        if eval_t.get("r_10s_ohm") is not None:
            rows = model.rows(np.array([float(t[k - 1])]))
            before = float((rows @ model.coefs(cells=False)).ravel()[0])
            # the last call for a step is its final measurement
            ends[float(t[k - 1])] = (before, float(dv["r_10s_ohm"][0]))
        return dv, std

    ir.InternalResistanceTracker._read_deltas = staticmethod(capture)
    try:
        res = ir.measure_internal_resistance(noisy, spec)
    finally:
        ir.InternalResistanceTracker._read_deltas = staticmethod(original)
    t, v, i = (true[c].to_numpy() for c in ("time_s", "voltage_v", "current_a"))
    out = []
    for p in res.pulses:
        if p["r_10s_ohm"] is None or not p["duration_s"] or p["method"] != "fit":
            continue
        k = int(np.searchsorted(t, p["start_time_s"] - 1e-9))
        end = int(np.searchsorted(t, p["start_time_s"] + p["duration_s"] - 1e-9))
        j = min(k + int(round(10.0 * rate)), end - 1)
        got = ends.get(float(t[k - 1]))
        if got is None:
            continue
        before, dv = got
        dv_true, di_true = v[j] - v[k - 1], i[j] - i[k - 1]
        r = p["r_10s_ohm"]
        out.append(
            (
                p["start_time_s"],
                p["direction"],
                100.0
                * np.array(
                    [
                        r * di_true / dv_true - 1.0,
                        dv / dv_true - 1.0,
                        -(before - v[k - 1]) / dv_true,
                        (before + dv - v[j]) / dv_true,
                        dv / r / (di_true * GAIN) - 1.0,
                        p["r_10s_std_ohm"] / abs(r),
                    ]
                ),
            )
        )
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chem", default="lfp", choices=("lfp", "nmc"))
    ap.add_argument("--rate", type=float, default=1.0, help="sample rate, Hz")
    ap.add_argument("--seeds", type=int, default=9)
    ap.add_argument("--first-seed", type=int, default=1, help="seeds K..K+N-1")
    a = ap.parse_args(argv)
    seeds = range(a.first_seed, a.first_seed + a.seeds)
    rows = [(s, *row) for s in seeds for row in parts(a.chem, a.rate, s)]
    print(f"{a.chem} {a.rate:g} Hz seeds {seeds.start}-{seeds.stop - 1}: error parts, per cent")
    print(f"{'':<10} {'n':>4} {'':>5} " + " ".join(f"{x:>9}" for x in PARTS))
    for direction in ("charge", "discharge"):
        x = np.array([r[3] for r in rows if r[2] == direction])
        if not len(x):
            continue
        for name, val in (("mean", x.mean(axis=0)), ("rms", np.sqrt((x**2).mean(axis=0)))):
            print(f"{direction:<10} {len(x):>4} {name:>5} " + " ".join(f"{y:+9.2f}" for y in val))
    print(f"outside +-{TARGET_PCT:g} %:")
    for seed, t_s, direction, x in rows:
        if abs(x[0]) > TARGET_PCT:
            print(
                f"  seed {seed:<5} {t_s:8.0f} s {direction:<9} " + " ".join(f"{y:+9.2f}" for y in x)
            )


if __name__ == "__main__":
    main()
