"""Is the 1 Hz R10 scatter the noise? The estimator's own spread over fresh noise draws
(issue 3: 10 s DCIR within +-5 % on every HPPC pulse).

Run: ``python benchmarks/bench_dcir_noise.py [--chem lfp] [--rate 1] [--seeds 9]
[--first-seed 1] [--draws 40] [--list] [--floor] [--set NAME=VALUE]``

On the simulator's HPPC runs of ``bench_dcir.py`` (one cell, seeds K..K+N-1: the
seed draws the cell) this runs ``measure_internal_resistance`` on the noise-free
samples plus ``--draws`` fresh draws of the benchmark's sensor noise (2 mV on the pack
and cell voltage, 5 mA on the current, then the +0.5 % current gain), so each pulse's
R10 error has a known distribution: its *bias* (mean over the draws, the gain's
-0.5 % taken out; its standard error is sd / sqrt(draws)) and its *spread* (sd over
the draws). Beside them, per pulse: the true dV(10 s) (mV, the HPPC definition on
the noise-free samples), 2 mV as a share of it, and what reading the definition
from the samples alone would scatter (``2 samples``: sqrt(2) x 2 mV / dV; the level
before the step averaged over 10 rest samples does not help much,
sqrt(1 + 1/10) x 2 mV / dV, since the 10 s sample's own noise is left).

Printed per direction: pulses, median |dV|, the two-sample scatter, the estimator's
spread (rms over the pulses of each pulse's sd), its bias (rms and worst, over the
pulses), the misses a run is *expected* to have (sum over the pulses of the share
of draws outside +-5 %; ``-gain``: the same with the gain's -0.5 % taken out of each
error, what the gain adds; and the 5-95 % range of a set's total over the draws), and
the misses the benchmark's own noise gives (``bench_dcir.py``'s noisy run of the
same seeds: ``observed``). ``--list`` prints each observed miss with its pulse's
dV, spread, bias, z (error / spread) and P(miss).

``clean``: the worst error on the noise-free samples (the estimator's own bias).
``--floor`` adds each pulse's *oracle floors*: the exact one-sigma of a least-squares
read of the same window by a read-out that knows more of the cell than any estimator
can (:func:`floors`: the time constants; also the drift and OCV slope; also the R
ratios; also the level before the step), their rms and the misses such a read-out
(unbiased but for the gain) is expected to have.

If the observed misses sit inside the draws' range, the per-pulse bias is small
against the spread and the spread is near the floors, the misses are noise: no
read-out of the window without more knowledge of the cell does better.

2026-12-07 session 40 (dcir40), no estimator change. LFP 1 Hz, ``nice python
benchmarks/bench_dcir_noise.py --seeds 9 --draws 40 --floor --list`` (seeds 1-9, the
ones the earlier sessions tuned on) and held out ``--first-seed 10`` (``--draws 40
--list``; its floors from ``--draws 10 --floor``), per cent of R10:

    seeds   |dV| mV  2 samples  spread (dis/cha)   bias rms  expected (5-95 %)  observed
    1-9     25.6     11.70      2.54 (2.34/2.89)   0.48      16.0 (9-23)        14
    10-18   25.5     11.74      2.60 (2.42/2.91)   0.51      17.8 (10-25)       19

The misses' dV: 18.6-20.0 mV on the 0.75C regen pulses, 24.3-26.7 mV on the 1C
discharge pulses (one 39.4 mV at the OCV knee), so one sample's 2 mV is 7.5-10.7 % of
it and +-5 % is 0.9-1.3 mV. Reading the definition from two samples scatters 11.7 %;
the read-out fit 2.5 % (~0.6 mV: the noise of ~11 samples' mean). The bias (rms of the
per-pulse means) is at the draws' own standard error (sd / sqrt(40) ~ 0.40 %): no bias
beyond ~0.3 % rms; noise-free, the estimator's worst error is 2.67 % (one pulse of
seeds 5-9; 0.01 % on 10-18): the OCV's change during the pulse is in the model. The
current gain is not cancelled by anything (it scales dI, not dV): it shifts every
error by -0.5 % and adds ~8 % to the misses (seeds 1-4, ``--draws 20``: 7.8 against
7.2 without it). The observed misses are draws of the estimator's own distribution:
on seeds 1-9 |z| <= 3.7 against the pulse's spread (P(miss) of those pulses
0.03-0.23); on 10-18 three have |z| 3.9-4.4 with a small spread: two starts of the
1C SOC step (t = 4160 s, spread 1.4-1.75 %) and a regen pulse in the OCV knee (dV
39.4 mV, 1.4 %). The tails are heavier than normal (seed 13, 200 draws: 0.6 % of the
draws beyond 3 sd, 0.1 % beyond 4; its 4160 s step's observed +5.39 % is past the
draws' 99.5th percentile, +5.05 %): the model choices (lean model, split test) that
each draw makes anew (the expected counts above include them). Floors (rms; expected misses of an unbiased read-out there,
the gain left in), seeds 1-9 -> 10-18:

    known tau              2.71 % ~20.8   ->  2.72 % ~21.0
    + drift, OCV slope     2.19 % ~10.4   ->  2.20 % ~10.6
    + R ratios             2.00 % ~ 7.0   ->  2.00 % ~ 7.1
    + the level (seeds 1-9 only, ``--draws 2 --floor``)  1.92 % ~ 6.1

So the estimator (2.54 %) is below the known-time-constant read (its lean model and
pooled split test already spend what the simulator's cell lets them), and a read-out
that knew everything about the cell but the size of its response (one amplitude fitted
to the pulse and its relaxation: 10 + 40 samples of 2 mV) would still miss ~6 of 261:
the 1 Hz LFP target is noise-bound, not estimator-bound. To expect under one miss in
261 pulses the read would need ~1.4 % rms, ~0.28 mV on a regen pulse (~50 samples'
worth at the 10 s point, against the pulse's 10). Tried, not landed: the lean model
(drift and slope left out on an F test) also after other currents where the log's
earlier pulses showed the cell linear (``pooled_linear``): seeds 1-4, ``--draws 20``,
regen spread 2.95 -> 2.97 %, expected misses 7.8 -> 8.0. NMC 1 Hz (``--chem nmc
--seeds 9 --draws 20``): spread 0.81 %, expected 0.0, observed 0.

2026-12-07 session 40 (dcir41), no estimator change: which model choice makes the
tails. ``--set NAME=VALUE`` (new) sets a constant of ``pulse_fit`` (or
``internal_resistance``) for the run. LFP 1 Hz, ``nice python
benchmarks/bench_dcir_noise.py --seeds 9 --draws 10 [--set ...]`` and held out
``--first-seed 10``: spread, expected misses (5-95 %), observed (seeds 1-9 | 10-18):

    variant                                   1-9                  10-18
    as is                                     2.56  17.1 (10-23) 14  2.66  21.4 (15-28) 19
    _SCALE_F=4 (scaled step at F > 4)         2.52  15.9 ( 8-22) 14  2.60  20.4 (15-27) 18
    _FACTOR_POOL_MIN=2                        2.54  16.6 ( 9-23) 14  2.63  20.9 (15-27) 19
    _LEAN_ALL (lean model after other         2.55  18.0 (14-24) 14
      currents too; a one-line patch)
    _NEGATIVE_SLOPE_F=0 (negative slope kept) 2.75  21.3 (14-26) 17
    no split, no scaled step (the three F     2.41  14.7 ( 8-21) 14  (10-18 observed,
      at 1e9: not a candidate)                                        --draws 2: 16)

Per pulse (60 draws, own tools): seed 13's 1C SOC step at 4160 s (40 s after the regen
pulse; the pool not yet "linear") reads with the scaled step in a third of the draws,
sd 2.49 % against 1.25 % for the shared model (the step's factor and the drift share
the 40 s read-out window; error vs drift r = 0.62); without the scaled step its sd is
1.51 %, with F > 4 1.82 % (as is 1.96 %). Seed 13's regen at 5 % SOC (28470 s, pooled
linear): shared sd 2.7 %, 2 draws of 60 pass F > 9 and read -10.3 / -11.6 %. Seed 10's
regen in the OCV knee (36590 s, clean slope 1.2 mV/As): 12 % of the draws fit a
negative slope and are held at 0 (their mean -1.8 %, the others' -0.4 %). On 10-18
(``--draws 2 --list``) the scaled/split step makes the misses at 4160 s (seeds 10, 13)
and seed 11's 4110 s regen; the knee and low-SOC misses stay without it. So the tails
are the split test's mixture (a noisy scaled model in some draws of a linear cell).
Not landed: the scaled step is there for real cells' regen pulses, and at F > 4
``bench_dcir_layouts.py --rates 1 2 --seeds 10`` falls 4573 -> 4568 of 4580 (``half10``
Prada2013 1 Hz 267 -> 265, rms 1.88 -> 2.03 %; 2 Hz 270 -> 267, 1.57 -> 1.73 %; the
rest equal), ``--pybamm-heldout --seeds 3 --first-seed 91`` unchanged (934/936 at 1
Hz, 468/468 at 10 Hz); ``bench_dcir.py --summary --sim-rate 1``: LFP 14 -> 14 (worst
9.99 -> 10.48 %) and 19 -> 18, NMC 0 and 0, rms within 0.02 %. ``_FACTOR_POOL_MIN=2``:
``bench_dcir_layouts.py --layouts std half10 --rates 1 2`` unchanged, gain 0.5 misses.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dcir import GAIN, GAIN_PCT, I_NOISE, TARGET_PCT, V_NOISE  # noqa: E402
from bench_dcir_limit import ALL, NO_DRIFT, known_model_dv  # noqa: E402

from app.core.spec import preset  # noqa: E402
from app.diagnostics import internal_resistance as ir  # noqa: E402
from app.diagnostics import measure_internal_resistance  # noqa: E402
from app.diagnostics.pulse_detection import hppc_resistance_raw  # noqa: E402
from app.hardware.simulator import NoiseSpec, simulate  # noqa: E402


def runs(chem: str, rate: float, seed: int):
    """(spec, noise-free frame, the benchmark's noisy frame) of one HPPC run."""
    spec = preset(chem, series_cells=1)
    kw = dict(profile="hppc", duration_s=45000, dt_s=1.0 / rate, seed=seed)
    kw.update(initial_soc_pct=95.0, include_truth=True)
    true = simulate(spec, **kw).to_frame().drop(columns=["true_cell_1_soc_pct"])
    noisy = simulate(spec, noise=NoiseSpec(voltage_v=V_NOISE, current_a=I_NOISE), **kw)
    noisy = noisy.to_frame().drop(columns=["true_cell_1_soc_pct"])
    noisy["current_a"] *= GAIN
    return spec, true, noisy


def with_noise(true, rng: np.random.Generator):
    """``true`` with a fresh draw of the benchmark's sensor noise and current gain."""
    out = true.copy()
    n = len(out)
    for col in [c for c in out.columns if c == "voltage_v" or c.endswith("_v")]:
        out[col] = out[col].to_numpy() + rng.normal(0.0, V_NOISE, n)
    out["current_a"] = (out["current_a"].to_numpy() + rng.normal(0.0, I_NOISE, n)) * GAIN
    return out


def errors(true, frame, spec, refs: dict) -> dict[float, float]:
    """R10 error (%) of each reference pulse found in ``frame`` (by start time)."""
    res = measure_internal_resistance(frame, spec)
    out = {}
    for p in res.pulses:
        key = round(p["start_time_s"], 6)
        if key in refs and p["r_10s_ohm"] is not None:
            out[key] = 100.0 * (p["r_10s_ohm"] / refs[key]["r"] - 1.0)
    return out


#: the oracle read-outs of :func:`floors`: (name, columns, R ratios known)
FLOORS = (
    ("known tau", ALL, False),
    ("+no drift", NO_DRIFT, False),
    ("+shape", NO_DRIFT, True),
    ("+level", [2], True),
)


def floors(true, spec) -> dict[float, list[float]]:
    """Each pulse's one-sigma (V) of dV(10 s) read by least squares from its read-out
    window (the estimator's, captured) with the simulator's time constants known
    (``known tau``: the six columns of ``bench_dcir_limit``), also its drift and OCV
    slope known (``+no drift``: as if subtracted) and also its R1/R0, R2/R0 known
    (``+shape``: the level and one amplitude) and also the level before the step
    (``+level``: the amplitude alone, as if the rest before the step were endless).
    The read-out is linear in the samples, so its sigma is 2 mV times the norm of its
    weights: exact, no draws."""
    windows: dict[float, tuple] = {}
    original = ir.fit_pulse_response

    def capture(t, i, v, **kw):
        windows.setdefault(round(float(t[kw["k"]]), 6), (t.copy(), i.copy(), kw))
        return original(t, i, v, **kw)

    ir.fit_pulse_response = capture
    try:
        measure_internal_resistance(true, spec)
    finally:
        ir.fit_pulse_response = original
    e = spec.ecm
    taus = np.array([e.tau1_s, e.tau2_s])
    ratios = (e.r0_ohm_ah, e.r1_ohm_ah, e.r2_ohm_ah)
    out = {}
    for key, (t, i, kw) in windows.items():
        args = {a: kw[a] for a in ("fit_from", "k", "breaks", "max_points", "flat_tol")}
        args.update(start_settled=kw["start_settled"], taus=taus)
        sds = []
        for _, use, shape in FLOORS:
            unit = np.eye(len(t))
            w = [
                known_model_dv(t, i, unit[n], use=use, shape=ratios if shape else None, **args)
                for n in range(len(t))
            ]
            sds.append(V_NOISE * float(np.linalg.norm(w)))
        out[key] = sds
    return out


def pulses(chem: str, rate: float, seed: int, draws: int, floor: bool = False) -> list[dict]:
    """Each pulse of one run: its reference, the observed error and the draws' errors."""
    spec, true, noisy = runs(chem, rate, seed)
    t, v, i = (true[c].to_numpy() for c in ("time_s", "voltage_v", "current_a"))
    refs = {}
    for p in measure_internal_resistance(true, spec).pulses:
        if not p["duration_s"]:
            continue
        k = int(np.searchsorted(t, p["start_time_s"] - 1e-9))
        end = int(np.searchsorted(t, p["start_time_s"] + p["duration_s"] - 1e-9))
        r = hppc_resistance_raw(t, v, i, k, k, end)["r_10s_ohm"]
        if r is None:
            continue
        j = min(k + int(round(10.0 * rate)), end - 1)
        refs[round(p["start_time_s"], 6)] = {
            "r": r,
            "dv_mv": 1e3 * (v[j] - v[k - 1]),
            "di_a": i[j] - i[k - 1],
            "direction": p["direction"],
            "soc": p["soc_percent"],
        }
    sds = floors(true, spec) if floor else {}
    observed = errors(true, noisy, spec, refs)
    clean = errors(true, true, spec, refs)
    drawn = np.full((len(refs), draws), np.nan)
    keys = list(refs)
    for d in range(draws):
        got = errors(true, with_noise(true, np.random.default_rng([seed, d, 4093])), spec, refs)
        drawn[:, d] = [got.get(key, np.nan) for key in keys]
    return [
        {
            **refs[key],
            "seed": seed,
            "t": key,
            "observed": observed.get(key, np.nan),
            "clean": clean.get(key, np.nan),
            "draws": drawn[n],
            # the oracle floors as % of dV (nan: no floor computed)
            "floors": 100.0
            * np.array(sds.get(key, [np.nan] * len(FLOORS)))
            / abs(refs[key]["dv_mv"] * 1e-3),
        }
        for n, key in enumerate(keys)
    ]


def summary(label: str, rows: list[dict]) -> None:
    if not rows:
        return
    dv = np.abs([r["dv_mv"] for r in rows])
    e = np.array([r["draws"] for r in rows])  # pulses x draws
    sd = np.nanstd(e, axis=1, ddof=1)
    bias = np.nanmean(e, axis=1) - GAIN_PCT
    out = np.abs(e) > TARGET_PCT
    p_miss = np.nanmean(np.where(np.isnan(e), np.nan, out), axis=1)
    # the same without the current gain's -0.5 % (what it adds to the misses)
    p_gainless = np.nanmean(np.where(np.isnan(e), np.nan, np.abs(e - GAIN_PCT) > TARGET_PCT), 1)
    per_draw = out.sum(axis=0)
    obs = np.array([r["observed"] for r in rows])
    clean = np.array([r["clean"] for r in rows])
    two = 100.0 * math.sqrt(2.0) * V_NOISE * 1e3 / dv
    print(
        f"{label:<10} {len(rows):4d} {np.median(dv):6.1f} {100 * V_NOISE * 1e3 / np.median(dv):6.2f} "
        f"{np.sqrt(np.mean(two**2)):6.2f} {np.sqrt(np.mean(sd**2)):6.2f} "
        f"{np.sqrt(np.mean(bias**2)):5.2f} {bias[np.argmax(np.abs(bias))]:+6.2f} "
        f"{np.nanmax(np.abs(clean)):6.2f} {p_miss.sum():6.1f} {p_gainless.sum():6.1f} "
        f"{np.percentile(per_draw, 5):4.0f}-{np.percentile(per_draw, 95):<4.0f} "
        f"{int(np.sum(np.abs(obs) > TARGET_PCT)):4d} {np.sqrt(np.nanmean(obs**2)):6.2f}"
    )
    fl = np.array([r["floors"] for r in rows])  # pulses x FLOORS, % of dV
    if np.isfinite(fl).all():
        # a read-out at each floor, unbiased but for the gain: its expected misses
        z = lambda x: 0.5 * math.erfc(x / math.sqrt(2.0))  # noqa: E731
        exp = [
            sum(z((TARGET_PCT - GAIN_PCT) / s) + z((TARGET_PCT + GAIN_PCT) / s) for s in fl[:, c])
            for c in range(len(FLOORS))
        ]
        print(
            f"{'':<10} floors (rms sd, expected misses): "
            + "; ".join(
                f"{name} {np.sqrt(np.mean(fl[:, c] ** 2)):4.2f} % ~{exp[c]:4.1f}"
                for c, (name, _, _) in enumerate(FLOORS)
            )
        )


def set_constant(item: str) -> None:
    """``NAME=VALUE``: set the constant NAME of :mod:`app.diagnostics.pulse_fit` (or, where
    that has none, of ``internal_resistance``) for this process, of its own type."""
    from app.diagnostics import pulse_fit

    name, value = item.split("=", 1)
    module = pulse_fit if hasattr(pulse_fit, name) else ir
    if not hasattr(module, name):
        raise SystemExit(f"--set: no constant {name} in pulse_fit or internal_resistance")
    setattr(module, name, type(getattr(module, name))(float(value)))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chem", default="lfp", choices=("lfp", "nmc"))
    ap.add_argument("--rate", type=float, default=1.0, help="sample rate, Hz")
    ap.add_argument("--seeds", type=int, default=9)
    ap.add_argument("--first-seed", type=int, default=1, help="seeds K..K+N-1")
    ap.add_argument("--draws", type=int, default=40, help="fresh noise draws per run")
    ap.add_argument("--list", action="store_true", help="each observed miss")
    ap.add_argument("--floor", action="store_true", help="the oracle read-outs' sigma too")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a model-choice constant of pulse_fit or internal_resistance (e.g. _SCALE_F=4), "
        "to measure a variant; repeatable",
    )
    a = ap.parse_args(argv)
    for item in a.set:
        set_constant(item)
    seeds = range(a.first_seed, a.first_seed + a.seeds)
    rows = [r for s in seeds for r in pulses(a.chem, a.rate, s, a.draws, a.floor)]
    print(
        f"{a.chem} {a.rate:g} Hz seeds {seeds.start}-{seeds.stop - 1}, {a.draws} noise draws; "
        "per cent of R10 unless mV"
    )
    print(
        f"{'':<10} {'n':>4} {'|dV|mV':>6} {'2mV/dV':>6} {'2 smp':>6} {'spread':>6} "
        f"{'bias':>5} {'worst':>6} {'clean':>6} {'expect':>6} {'-gain':>6} {'5-95%':<9} {'obs':>4} {'obs rms':>6}"
    )
    for direction in ("discharge", "charge"):
        summary(direction, [r for r in rows if r["direction"] == direction])
    summary("all", rows)
    if a.list:
        print(f"observed outside +-{TARGET_PCT:g} %:")
        for r in rows:
            if not abs(r["observed"]) > TARGET_PCT:
                continue
            e = r["draws"]
            sd, bias = np.nanstd(e, ddof=1), np.nanmean(e) - GAIN_PCT
            print(
                f"  seed {r['seed']:<5} {r['t']:8.0f} s {r['direction']:<9} SOC {r['soc']:5.1f} "
                f"dV {r['dv_mv']:+6.1f} mV dI {r['di_a']:+5.2f} A  err {r['observed']:+6.2f} %  "
                f"spread {sd:4.2f}  bias {bias:+5.2f}  z {(r['observed'] - GAIN_PCT - bias) / sd:+5.2f}"
                f"  P(miss) {np.nanmean(np.abs(e) > TARGET_PCT):4.2f}"
            )


if __name__ == "__main__":
    main()
