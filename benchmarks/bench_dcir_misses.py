"""Every R10 miss (outside +-5 %) beside the noise limit of its own window (issue 3).

Run: ``python benchmarks/bench_dcir_misses.py [--sim] [--layouts half10 3c]
[--rate 1] [--phase 0] [--seeds 5] [--first-seed 1] [--draws 60]``

For each pulse of the simulator's HPPC runs (``--sim``: ``bench_dcir.py``'s, NMC
and LFP, seeds K..K+N-1) or of PyBaMM HPPC layouts (``bench_dcir_layouts.py``'s, noise
seeds 1..N) this prints, where ``measure_internal_resistance`` misses the target:
chemistry, SOC, temperature, the step (A), duration, direction, the voltage change
dV(10 s), the error, and the *noise limit* of that pulse: the scatter (one sigma,
% of dV) of a known-time-constant read-out of the same window
(``bench_dcir_limit.known_model_dv``: the same least squares with tau1, tau2 fixed
-- the simulator's true ones, or for PyBaMM those fitted to the noise-free
window, and its split model where that fit gives the step its own response) over ``--draws`` fresh 2 mV noise draws on the noise-free voltage. ``z``
is the error in units of that sigma: |z| within ~2.5 is what noise gives, larger
is a cause of its own (bias, a wrong model choice). "known-tau" is that read-out
on the pulse's own noise (its error; and its bias on the noise-free window). The
summary counts the misses and the misses a read-out *at* the limit would have
(sum over pulses of P(|N(0, sigma)| > 5 %)).

2026-12-07, held-out seeds (``--sim --rate 1 --first-seed 4101 --seeds 10``): LFP 26
misses of 290 against ~23.0 at the limit, NMC 1 (z -3.09, known-tau -4.41 %). Three
with a cause of their own: a regen pulse at -16.04 % (z -5.60, known-tau -3.16 %; its
fit read the OCV falling with charge at -14 V/Ah, the slow pair at its bound cancelled
by the slope), a 10 % SOC step at +5.26 % (z +3.75) and the step into the OCV knee at
2.4 % SOC (+5.68 %, z +8.54; the known-tau read-out's own bias +29.6 %: the model's);
the 5 misses on the log's first regen pulse (t = 50 s) have a limit of 5.3-5.7 %
(their window starts inside the log's first pulse) and |z| <= 2.8. With the OCV slope
held >= 0 unless the window shows it beyond 5 sigma (``pulse_fit``, "OCV slope"): LFP
26 -> 20 (the -16.04 % pulse -7.57 %), NMC 1 -> 0; left: the SOC step, the knee, and 18
with |z| <= 3.1.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dcir import GAIN, I_NOISE, TARGET_PCT, V_NOISE  # noqa: E402
from bench_dcir_limit import ALL, known_model_dv  # noqa: E402

from app.core.spec import preset  # noqa: E402
from app.diagnostics import internal_resistance as ir  # noqa: E402
from app.diagnostics.pulse_detection import hppc_resistance_raw  # noqa: E402
from app.hardware.simulator import NoiseSpec, simulate  # noqa: E402

_FIT_ARGS = ("fit_from", "k", "breaks", "max_points", "flat_tol", "start_settled")


def pulses_vs_limit(true, noisy, spec, *, taus=None, draws: int = 60) -> list[dict]:
    """Each pulse's R10 error and the noise limit of its read-out window (module docstring)."""
    windows: dict[float, tuple] = {}
    original = ir.fit_pulse_response

    def capture(t, i, v, **kw):
        # the first fit of a step is its read-out fit (the ECM fit may follow)
        windows.setdefault(float(t[kw["k"]]), (t.copy(), i.copy(), kw))
        return original(t, i, v, **kw)

    ir.fit_pulse_response = capture
    try:
        res = ir.measure_internal_resistance(noisy, spec)
    finally:
        ir.fit_pulse_response = original
    tt, vv, ii = (true[c].to_numpy() for c in ("time_s", "voltage_v", "current_a"))
    nv = noisy["voltage_v"].to_numpy()
    rng = np.random.default_rng(0)
    out = []
    for p in res.pulses:
        if p["r_10s_ohm"] is None or p["duration_s"] is None or p["start_time_s"] not in windows:
            continue
        k = int(np.searchsorted(tt, p["start_time_s"] - 1e-9))
        end = int(np.searchsorted(tt, p["start_time_s"] + p["duration_s"] - 1e-9))
        ref = hppc_resistance_raw(tt, vv, ii, k, k, end)["r_10s_ohm"]
        if ref is None:
            continue
        t, i, kw = windows[p["start_time_s"]]
        rows = np.searchsorted(tt, t - 1e-9)
        clean = vv[rows]
        args = {a: kw[a] for a in _FIT_ARGS}
        window_taus, split = taus, False
        if window_taus is None:
            m = original(t, i, clean, **kw)
            window_taus, split = np.array([m.tau1_s, m.tau2_s]), m.split

        def dv(v, window_taus=window_taus, split=split, t=t, i=i, args=args):
            return known_model_dv(t, i, v, taus=window_taus, use=ALL, split=split, **args)

        j = min(k + int(np.searchsorted(tt[k:], tt[k] + 10.0 - 1e-6)), end - 1)
        ref_dv = vv[j] - vv[k - 1]
        spread = np.std([dv(clean + rng.normal(0.0, V_NOISE, len(clean))) for _ in range(draws)])
        out.append(
            {
                **{key: p[key] for key in ("start_time_s", "direction", "current_a", "duration_s")},
                "soc": float(true["soc_true_pct"].iloc[k - 1]),
                "temp": p["temperature_c"],
                "dv_mv": 1e3 * ref_dv,
                "err": 100.0 * (p["r_10s_ohm"] / ref - 1.0),
                "known_err": 100.0 * (dv(nv[rows]) / ref_dv - 1.0),
                "known_bias": 100.0 * (dv(clean) / ref_dv - 1.0),
                "limit": 100.0 * spread / abs(ref_dv),
            }
        )
    return out


def report(label: str, rows: list[dict]) -> tuple[int, int, float]:
    for r in rows:
        if abs(r["err"]) > TARGET_PCT:
            print(
                f"{label:<24} t {r['start_time_s']:8.1f} {r['direction']:<9} SOC {r['soc']:5.1f} "
                f"T {r['temp'] or math.nan:4.1f} dI {r['current_a']:+6.2f} A "
                f"dur {r['duration_s']:4.0f} s dV {r['dv_mv']:+6.1f} mV  err {r['err']:+6.2f} %  "
                f"known-tau {r['known_err']:+6.2f} % (bias {r['known_bias']:+5.2f})  "
                f"limit {r['limit']:4.2f} %  z {r['err'] / r['limit']:+5.2f}",
                flush=True,
            )
    missed = sum(abs(r["err"]) > TARGET_PCT for r in rows)
    at_limit = sum(1.0 - math.erf(TARGET_PCT / (r["limit"] * math.sqrt(2))) for r in rows)
    return len(rows), missed, at_limit


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sim", action="store_true", help="the simulator's HPPC runs")
    ap.add_argument("--layouts", nargs="*", default=[], help="PyBaMM layouts (bench_dcir_layouts)")
    ap.add_argument("--rate", type=float, default=1.0, help="sample rate, Hz")
    ap.add_argument("--phase", type=int, default=0, help="PyBaMM decimation offset, 0.1 s steps")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=1, help="seeds K..K+N-1 (--sim)")
    ap.add_argument("--draws", type=int, default=60, help="noise draws for each limit")
    args = ap.parse_args(argv)
    os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")
    totals = []
    if args.sim:
        for chem in ("nmc", "lfp"):
            spec = preset(chem, series_cells=1)
            taus = np.array([spec.ecm.tau1_s, spec.ecm.tau2_s])
            rows = []
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                kw = dict(
                    profile="hppc",
                    duration_s=45000,
                    dt_s=1.0 / args.rate,
                    seed=seed,
                    initial_soc_pct=95.0,
                    include_truth=True,
                )
                true = simulate(spec, **kw).to_frame()
                true = true.rename(columns={"true_cell_1_soc_pct": "soc_true_pct"})
                noise = NoiseSpec(voltage_v=V_NOISE, current_a=I_NOISE)
                noisy = simulate(spec, noise=noise, **kw).to_frame()
                noisy = noisy.drop(columns=["true_cell_1_soc_pct"])
                noisy["current_a"] *= GAIN
                rows += pulses_vs_limit(true, noisy, spec, taus=taus, draws=args.draws)
            totals.append((f"sim {chem} {args.rate:g} Hz", *report(f"sim {chem}", rows)))
    if args.layouts:
        import groundtruth_pybamm as gt
        from bench_dcir_layouts import COLUMNS, hppc_profile

        for name in args.layouts:
            for chem, ps in (("nmc", "Chen2020"), ("lfp", "Prada2013")):
                cap = gt.nominal_capacity_ah(ps)
                profile = hppc_profile(gt, cap, name)
                true10 = gt.simulate_pybamm(ps, profile, initial_soc_pct=95.0, sample_period_s=0.1)
                step = round(10 / args.rate)
                true = true10.iloc[args.phase % step :: step].reset_index(drop=True)
                spec = preset(chem, capacity_ah=cap)
                rows = []
                for seed in range(1, args.seeds + 1):
                    noisy = gt.add_sensor_noise(
                        true,
                        seed=seed,
                        voltage_sigma_v=V_NOISE,
                        current_sigma_a=I_NOISE,
                        current_gain=GAIN,
                    )[COLUMNS]
                    rows += pulses_vs_limit(true, noisy, spec, draws=args.draws)
                label = f"{name} {ps} {args.rate:g} Hz"
                totals.append((label, *report(f"{name} {ps}", rows)))
    print(f"\nR10 misses (outside +-{TARGET_PCT:g} %) and what a read-out at the noise limit gives")
    for label, n, missed, at_limit in totals:
        print(f"{label:<28} {missed:3d} of {n:4d} missed; at the limit ~{at_limit:4.1f}")


if __name__ == "__main__":
    main()
