"""10 s DCIR accuracy of ``measure_internal_resistance`` on HPPC tests, and speed.

Run: ``python benchmarks/bench_dcir.py`` (``--summary`` prints only the tables,
``--no-pybamm`` skips PyBaMM, ``--pybamm-only`` runs only it, ``--quick`` one seed and no 1e6-sample timings,
``--seeds N`` seeds 1..N, ``--first-seed K`` seeds K..K+N-1, ``--sim-rate HZ`` only the simulator at that rate,
``--phase P`` with it: the steps P/10 of a sample period before a sample).

**Accuracy target**: every pulse's 10 s DCIR estimated from noisy data within
+-5 % of the model's own value.

- *Model's own value*: the HPPC definition (FreedomCAR DOE/ID-11069:
  ``(V(t_s+10 s) - V_before) / (I(t_s+10 s) - I_before)``, see
  :func:`app.diagnostics.pulse_detection.hppc_resistance_raw`) applied to the
  noise-free model output at the same pulse.
- *Estimate*: :func:`measure_internal_resistance` on the same run with sensor
  noise: 2 mV on the voltage, 5 mA on the current, and a +0.5 % current gain
  error (which by itself biases every estimate by -0.5 %).
- *Models*: the project simulator's HPPC profile (2-RC ECM: 10 s 1C discharge,
  40 s rest, 10 s 0.75C charge, 40 s rest, 10 % SOC at 1C, 1 h rest, down to
  the cut-off; one cell; NMC and LFP presets; seeds 1-3 -- the seed draws the
  cell and the noise) at 10 Hz and at 1 Hz; and PyBaMM SPMe with Chen2020 (NMC,
  LG M50) and Prada2013 (LFP, A123) through ``benchmarks/groundtruth_pybamm.py``:
  the same pulse pattern at 95/75/55/35/15 % SOC (20 % steps at 1C, 30 min rests),
  10 Hz, noise seeds 1-3 on one PyBaMM run.

Every pulse found is printed with its error; pulses the estimator missed or
invented are counted (``bench_dcir_limit.py``: how the 1 Hz scatter compares with
a read-out that knows the true time constants). Rows marked "clean" run the estimator on the noise-free
data itself (its own bias, without noise or gain error). Times are CPU seconds of this process (the machine may be
shared). A last table counts the simulator's pulses outside the target per
chemistry and direction, with the worst error. ``--summary --sim-rate 1 --seeds 9``
(the 1 Hz case on nine seeds), before -> after the split test's changes (no test
from one held level; the step factor shrunk by 1 - 1/F; ``pulse_fit``):

    1 Hz lfp  charge     14 -> 11 of  90  worst +12.85 -> +10.83 %  rms 4.10 -> 3.56 %
    1 Hz lfp  discharge   8 ->  8 of 171  worst  +9.11 ->  +8.64 %  rms 2.40 -> 2.25 %
    1 Hz nmc  charge      0 ->  0 of  90  worst  -3.99 ->  -3.47 %  rms 1.38 -> 1.20 %
    1 Hz nmc  discharge   0 ->  0 of 171  worst  -2.41 ->  -2.41 %  rms 0.82 -> 0.79 %

Seeds 10-18 (not looked at while choosing): LFP charge 20 -> 15 outside, rms
4.25 -> 3.90 %; discharge 14 -> 10, 2.77 -> 2.58 %; NMC none outside, rms 1.46 ->
1.33 % and 0.99 -> 0.95 %. ``bench_dcir_misses.py --sim --seeds 18``: 44 LFP
misses against ~37 for a read-out at the noise limit (known time constants, the
shared model: the simulator is linear); before, 56.

**Stated uncertainty** (``r_10s_std_ohm``, each estimate's own one sigma). The
1 Hz misses are the noise's: on the noise-free runs the estimator is exact (0.01 %
at every phase, ``--phase 3``/``7``: the step between two samples changes
nothing), and an LFP regen pulse's ~20 mV at 10 samples of 2 mV scatters ~4 %
rms; so the result says how far to trust each pulse. Printed per run (``claim``:
its two sigma within +-5 %; ``claim_out``: of those, outside; ``within_2sd``:
the error, the gain's -0.5 % taken out, within two sigma) and per rate.
``--summary --sim-rate 1 --first-seed 50 --seeds 10`` (held out; the R values are
those of before, no estimate changed): 554/580 within +-5 % (LFP charge 19 of
100 outside, rms 4.05 %, median stated sigma 3.34 %), 392 claim +-5 %, none of
them outside; 551/580 errors within two stated sigmas. ``--phase 3``: 557/580,
392 claim, 1 of them outside (-5.25 % at sigma 2.47 %), 573/580 within 2 sigma.
At 10 Hz (``--sim-rate 10 --first-seed 50 --seeds 5``) 290/290 within, all claim.
``bench_dcir_misses.py --sim --first-seed 30 --seeds 6``: 23 LFP misses against
~12.6 at the noise limit of a read-out knowing the true time constants (the gap:
the time constants and the regen pulse's factor fitted from the same 10 samples;
one full split by chance read -13.75 % at a stated sigma of 8 %), and one model
misfit, a 1C step into the OCV knee at 5 % SOC (+13.7 %, stated sigma 9 %).

**Pooling across a test's pulses.** Pooling the time constants (a prior on ln tau1,
ln tau2 from the earlier pulses' free fits, median and spread within 25 % SOC, 3 K,
4 h; posterior covariance) moved almost nothing: seeds 30-35 325 -> 327/348, 50-59
554 -> 556/580, 70-79 550 -> 552/580, ``bench_dcir_layouts.py`` 4574 -> 4574/4580
(branch history: "Experiment"). The gap was elsewhere: with the split test off the
misses above fall 23 -> 13 (the limit), so a linear cell's chance factors and
splits cost them. Pooling *that* decision (``pulse_fit``'s "Pooled split test":
after 3 earlier pulses of the step's sign with no response of their own, a pulse
needs F > 9) gives ``bench_dcir_misses.py --sim --first-seed 30 --seeds 6`` 23 -> 15
LFP misses (limit ~13.6 printed), ``--summary --sim-rate 1``: seeds 30-35 325 ->
333/348 (claim_out 1 -> 1, within 2 sigma 332 -> 334); held out, 50-59 554 -> 560/580
(LFP charge 19 -> 13 outside, rms 4.05 -> 3.25 %; claim 392 -> 404, claim_out 0 -> 0;
within 2 sigma 551 -> 552), 70-79 550 -> 552/580 (claim_out 1 -> 2, within 2 sigma
558 -> 553), ``--phase 3`` on 50-59 557 -> 562/580; ``--sim-rate 10 --first-seed 50
--seeds 5`` 290/290 before and after; ``bench_dcir_layouts.py`` 4574 -> 4574/4580.

2026-12-07: the pooled split test's pool made live == offline again (only the earlier
pulses measured on no more samples than the one judged: overlapping pulses of a noisy
drive differed live). ``nice python benchmarks/bench_dcir.py --summary --no-pybamm
--sim-rate 1 --first-seed 30 --seeds 6``: 333/348 within +-5 %, worst 14.12 %, within 2
sigma 334/348, before and after (HPPC pulses do not overlap).

**2026-12-07, held-out seeds, and the OCV slope held >= 0.** On seeds no paragraph
above names (``--summary --sim-rate 1 --first-seed 4101 --seeds 10``, then ``--sim-rate
10``, and ``--pybamm-only --first-seed 4101 --seeds 4``, PyBaMM noise seeds 4101-4104):
10 Hz 580/580 within +-5 % (worst 4.10 %), PyBaMM 10 Hz 120/120 (worst 2.31 %); at 1 Hz
553/580: NMC 1 (the first regen pulse, -5.02 %), LFP 26, against ~23.0 for a read-out
at the noise limit (``bench_dcir_misses.py --sim --rate 1 --first-seed 4101 --seeds
10``). By cause: (a) noise, |z| <= 3.1 against that limit: 24 (the NMC one too), of
them 5 the log's first regen pulse (t = 50 s), whose window starts with the log inside
the discharge pulse (limit 5.3-5.7 % instead of ~3 %, stated sigma 5.8-7.5 %); (b) a
fit that read the OCV falling with charge, the slow pair at its bound cancelled by a
slope of down to -14 V/Ah (:mod:`app.diagnostics.pulse_fit`, "OCV slope"): seed 4104's
regen pulse at 8170 s, -16.04 % (z -5.6, a chance split: its pool had only two earlier
factors), a shape several of (a) share; (c) a 10 % SOC step, +5.26 % (z 3.75, the
known-tau read-out +1.27 %); (d) the 1C step into the OCV knee at 2.4 %
SOC, +5.68 % (the known-tau read-out +30.7 %: the model's limit, as above). On seeds
4111-4140 (LFP 1 Hz, where the cause was found) 141 of 300 regen-pulse fits read a
negative slope, their R10 -2.8 % on average (rms 4.9 %, 34 outside) against +0.0 %
(3.0 %, 14) for the others. A negative slope is now held at 0 unless the window shows it
on 5-sigma evidence (F > 25). ``--summary --sim-rate 1``, before -> after (within +-5 %;
LFP charge outside, rms; of the pulses whose stated 2 sigma is within +-5 %, outside;
errors within their 2 sigma):

    seeds  1-9   505 -> 508/522   9 -> 6,  3.18 -> 2.87 %   claim_out 0 -> 0  507 -> 508
    seeds 10-18  499 -> 503/522  13 -> 11, 3.32 -> 2.91 %   claim_out 2 -> 3  492 -> 489
    seeds 30-35  333 -> 336/348  10 -> 7,  3.55 -> 2.93 %   claim_out 1 -> 1  334 -> 331
    seeds 50-59  560 -> 564/580  13 -> 8,  3.25 -> 2.82 %   claim_out 0 -> 0  552 -> 552
    seeds 70-79  552 -> 554/580  18 -> 15, 3.74 -> 3.27 %   claim_out 2 -> 3  553 -> 551
    seeds 4101-4110  553 -> 560/580  14 -> 8, 3.95 -> 2.76 %   claim_out 1 -> 1  552 -> 556
    seeds 5201-5220 (fresh, looked at only here)  1121 -> 1133/1160  20 -> 9 of 200,
        3.22 -> 2.70 %; discharge 19 -> 18 of 380; claim_out 2 -> 2; 1095 -> 1095

LFP discharge pulses move little (8 -> 8, 10 -> 8, 5 -> 5, 7 -> 8, 10 -> 11, 12 -> 12),
NMC is within everywhere (4101-4110: 1 -> 0 outside). ``--phase 3`` on 50-59 562 ->
565/580 (claim_out 1 -> 1). 10 Hz (``--sim-rate 10 --first-seed 5201 --seeds 5``)
290/290 before and after, worst 2.72 -> 2.50 %; 4101-4110 580/580, worst 4.10 ->
3.50 %. PyBaMM at 10 Hz (``--pybamm-only``, seeds 1-3 and 4101-4104) 90/90 and 120/120
before and after, worst 2.20 -> 2.20 and 2.31 -> 2.27 %, Prada2013's rms a little up
(seeds 1-3: 0.99, 0.77, 0.96 -> 1.00, 0.90, 1.06 %).
``bench_dcir_layouts.py`` 4574 -> 4576/4580, held out (``--first-seed 4101 --seeds
10``) 4571 -> 4576. ``bench_dcir_misses.py --sim --rate 1 --first-seed 4101 --seeds
10``: LFP 26 -> 20 misses (the limit ~23.0), NMC 1 -> 0; what is left is (a), (c) and
(d): the 1 Hz LFP misses are at the data's limit. ``analyze --json`` of the real logs
in ``/work/shared/data/real`` unchanged (one fit among them reads a negative slope,
the Arbin cell's, with F = 73).

2026-12-07 session 35, held-out PyBaMM HPPC (``--pybamm-heldout``, ``HELDOUT_HPPC``: no
estimator change). ``nice python benchmarks/bench_dcir.py --summary --pybamm-heldout
--seeds 3 --first-seed 91``: Chen2020 and Prada2013 (SPMe), pulse pairs at 10 % SOC steps
from 92 % at 2C / 1C, at 15 % steps from 88 % at 0.5C / 0.5C, at 20 % steps at 0 degC
(1C / 0.75C), at 12 % steps from 90 % at 40 degC (1.5C / 1C), noise seeds 91-93; each at
10 Hz and decimated to 1 Hz from the first sample and from the middle of a period (the
steps half a sample before one). 10 Hz: 468/468 pulses within +-5 %, worst 3.63 % (Prada2013
40 degC); 1 Hz: 934/936, worst 5.41 %: one pulse (both phases), Prada2013 0.5C discharge at
58 % SOC, noise seed 92, -5.41 / -5.38 % at a stated sigma of 2.32 % (a 0.5C pulse of an
LFP cell on 2 mV noise: the noise limit the 1 Hz paragraphs above describe); noise-free
584/584, worst 2.56 %. Run without ``--pybamm-heldout`` (an earlier draft of this mode also
ran the simulator at seeds 91-93): 10 Hz LFP 1 of 57 discharge pulses outside, seed 91's
1C pulse at 5.1 % SOC, -6.32 % at a stated sigma of 0.82 % (noise-free -1.17 %; the fit
pooled as linear, the OCV's knee inside the 10 s: cause (d) above, at 10 Hz), 1 Hz LFP 7 of
87 (the noise limit above, worst -8.77 %), NMC none.

2026-12-07 session 39 (soctable), a re-measure only (no estimator change, none
tried: the session went to the SOC start). ``nice python benchmarks/bench_dcir.py
--summary --sim-rate 1 --seeds 9``: 508/522 within +-5 %, worst 9.99 %, missed 0,
extra 0, error within its stated 2 sigma 508/522 -- the figure recorded above for
seeds 1-9. Outside: LFP charge 6 of 90 (worst +9.99 %, rms 2.87 % at a stated sd
of 2.83 %), LFP discharge 8 of 171 (+8.64 %, 2.27 % at 2.12 %), NMC none (worst
-3.30 %). The misses still sit where the stated sd puts them (2 sd within 5 %
for 21 of 90 LFP charge pulses), so a better read-out of the same window would
have to shrink that sd, which ``bench_dcir_limit.py`` bounds.

2026-12-07 session 39 (dcirlfp), what the 1 Hz LFP misses are made of (no estimator
change landed). ``nice python benchmarks/bench_dcir_parts.py --seeds 9`` (new: each
pulse's R10 error split into the read-out fit's voltage just before the step, its
voltage at the 10 s read point, and the mean-current step, as shares of the true dV /
dI), LFP, seeds 1-9 -> held-out 10-18, rms (mean): the 10 s reading 2.69 (+0.44) ->
2.66 (-0.21) % on charge, 2.13 (+0.31) -> 2.22 (-0.06) % on discharge; the level before
the step 1.80 (+0.18) -> 1.73 (+0.03) % and 1.19 (+0.06) -> 1.16 (-0.00) %; the current
step 0.17 / 0.11 -> 0.15 / 0.11 % (the plateau means the estimator already divides by);
R10 mean +0.09 / -0.14 -> -0.67 / -0.56 % (the gain's -0.5 %, no other bias: the
seeds 1-9 dV means of +0.6 / +0.4 % did not hold out). NMC (``--chem nmc``, 1-9): 10 s
0.86 / 0.59 %, before 0.64 / 0.37 %. The misses (14 on 1-9, 19 on 10-18) have both
signs and are mostly the 10 s part (|at 10 s| > |before| for 13 of 14 and 17 of 19;
the held-out exceptions, seed 15's first regen pulse at t = 50 s, whose window starts with
the log, and seed 10's at 36590 s, still have both parts of one sign). So they are noise,
not an OCV-drift bias or the gain: LFP's ~19 mV (0.75C) / ~25 mV (1C) dV read from 10
pulse samples of 2 mV noise. Every one of ~260 pulses within +-5 % needs an rms near
1.7 %; ``bench_dcir_limit.py --seeds 1 2 3 4 5 6 7 8 9`` (the same window and model
with the true time constants: the minimum-variance read-out) gives 2.88 % rms and 24
outside against the estimator's 2.55 % and 15; ``--shape`` (the R ratios known too, one
amplitude per pulse: the best pooling the shape over a test could give) 2.73 % and 19;
``--drop`` (no drift / OCV slope terms) 2.58 % and 11 but biased (worst 18 %). The
local fits the question proposed (a line or exponential over the rest's last samples,
the RC shape around 10 s, plateau means of the current) are what the read-out fit
already is. Tried, not landed: a longer rest in the window (``pre_window_s`` 120 ->
240 s; 400 s made LFP charge worse, worst +13.86 %): ``--summary --no-pybamm
--sim-rate 1 --seeds 9`` 508 -> 508/522 (LFP discharge rms 2.27 -> 2.15 %), held out
``--first-seed 10`` 503 -> 505/522 but claim_out 3 -> 5 and errors within 2 stated
sigma 489 -> 484 (the stated sd shrinks more than the error): the before-step part
is the smaller one, and the 10 s part is not in the rest.

2026-12-07 session 40 (dcir40), the "noise limit" of the 1 Hz LFP misses measured (no
estimator change; figures unchanged). ``nice python benchmarks/bench_dcir_noise.py
--seeds 9 --draws 40 --floor --list`` (new: the estimator on 40 fresh draws of this
benchmark's noise per run, and the exact sigma of oracle read-outs of the same window):
LFP spread 2.54 % rms (discharge 2.34, regen 2.89), per-pulse bias ~0.3 % rms, the
misses expected 16.0 (5-95 % of the draws' totals 9-23) against the 14 observed; held
out (``--first-seed 10``) 2.60 %, 17.8 (10-25) against 19. The misses' dV is 18.6-26.7
mV, one sample's 2 mV 7.5-10.7 % of it (two samples would scatter 11.7 %). A read-out
knowing the time constants, drift, OCV slope and R ratios of the cell (the level and
one amplitude fitted) has 2.00 % rms and still ~7 misses per 261 (amplitude alone:
1.92 %, ~6): the target is noise-bound at 1 Hz on LFP. Details in that script.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from app.core.samples import SampleBlock  # noqa: E402
from app.core.spec import preset  # noqa: E402
from app.diagnostics.internal_resistance import (  # noqa: E402
    InternalResistanceTracker,
    measure_internal_resistance,
)
from app.diagnostics.pulse_detection import hppc_resistance_raw  # noqa: E402
from app.diagnostics.soh import calculate_soh  # noqa: E402
from app.hardware.simulator import NoiseSpec, simulate  # noqa: E402

TARGET_PCT = 5.0
V_NOISE, I_NOISE, GAIN = 0.002, 0.005, 1.005
#: the bias the current gain error gives every estimate, per cent
GAIN_PCT = 100.0 * (1.0 / GAIN - 1.0)


def score(
    true: pd.DataFrame,
    noisy: pd.DataFrame,
    spec,
    label: str,
    rows: list,
    *,
    show: bool,
    pulses: list | None = None,
    gain_pct: float = GAIN_PCT,
):
    """Match pulses by start time; compare R10 with the definition on the true data
    (one row per run in ``rows``; each pulse's (label, direction, error) in ``pulses``)."""
    t = true["time_s"].to_numpy()
    v = true["voltage_v"].to_numpy()
    i = true["current_a"].to_numpy()
    soc_true = true["soc_true_pct"].to_numpy() if "soc_true_pct" in true else None
    ref_res = measure_internal_resistance(true, spec)  # the pulses, found on clean data
    est_res = measure_internal_resistance(noisy, spec)
    est_by_t = {round(p["start_time_s"], 6): p for p in est_res.pulses}
    ref_t = set()
    errors = []
    stated = []  # the estimate's own one-sigma, % of it
    for p in ref_res.pulses:
        ref_t.add(round(p["start_time_s"], 6))
        k = int(np.searchsorted(t, p["start_time_s"] - 1e-9))
        end = (
            int(np.searchsorted(t, p["start_time_s"] + p["duration_s"] - 1e-9))
            if p["duration_s"]
            else len(t)
        )
        ref = hppc_resistance_raw(t, v, i, k, k, end)["r_10s_ohm"]
        if ref is None:
            continue
        est = est_by_t.get(round(p["start_time_s"], 6))
        r_est = None if est is None else est["r_10s_ohm"]
        err = None if r_est is None else 100.0 * (r_est / ref - 1.0)
        sd = None if r_est is None else est["r_10s_std_ohm"]
        sd = None if sd is None else 100.0 * sd / abs(r_est)
        soc = soc_true[k - 1] if soc_true is not None else p["soc_percent"]
        if err is not None:
            errors.append(err)
            stated.append(np.nan if sd is None else sd)
            if pulses is not None:
                pulses.append((label, p["direction"], err, stated[-1]))
        if show:
            flag = "" if err is not None and abs(err) <= TARGET_PCT else "  <-- outside"
            print(
                f"{label:<26} {p['start_time_s']:9.1f} {soc:6.1f} {p['direction']:<9} "
                f"{p['current_a']:7.3f} {ref * 1e3:8.3f} "
                + (
                    f"{r_est * 1e3:8.3f} {err:+7.2f}% {sd:5.2f}%"
                    if err is not None
                    else "  missed               "
                )
                + flag
            )
    missed = len([1 for p in ref_res.pulses if round(p["start_time_s"], 6) not in est_by_t])
    extra = len([1 for k in est_by_t if k not in ref_t])
    e = np.array(errors)
    sd = np.array(stated)
    rows.append(
        {
            "config": label,
            "pulses": len(errors),
            "within_5pct": int(np.sum(np.abs(e) <= TARGET_PCT)) if len(e) else 0,
            # the estimate's own claim: its two sigma within the target, and its error
            # within its two sigma (the GAIN's -0.5 % taken out: no estimate can see it)
            "claim_5pct": int(np.sum(2.0 * sd <= TARGET_PCT)),
            "claim_out": int(np.sum((2.0 * sd <= TARGET_PCT) & (np.abs(e) > TARGET_PCT))),
            "within_2sd": int(np.sum(np.abs(e - gain_pct) <= 2.0 * sd)),
            "max_abs_err_pct": float(np.max(np.abs(e))) if len(e) else float("nan"),
            "mean_err_pct": float(np.mean(e)) if len(e) else float("nan"),
            "rms_err_pct": float(np.sqrt(np.mean(e**2))) if len(e) else float("nan"),
            "missed": missed,
            "extra": extra,
        }
    )


def simulator_runs(dt: float, seeds, rows, *, show, pulses=None, phase: int | None = None):
    """The simulator's HPPC runs at sample period ``dt``; with ``phase`` P, simulated
    10x faster and every 10th sample kept from the P-th on: the current steps fall
    P/10 of a sample period before a sample (a logger not synchronised with the
    cycler; the noise drawn at the fast rate, the same per sample)."""
    fine = 1 if phase is None else 10
    for chem in ("nmc", "lfp"):
        spec = preset(chem, series_cells=1)
        for seed in seeds:
            kw = dict(
                profile="hppc",
                duration_s=45000,
                dt_s=dt / fine,
                seed=seed,
                initial_soc_pct=95.0,
                include_truth=True,
            )
            true = (
                simulate(spec, **kw)
                .to_frame()
                .rename(columns={"true_cell_1_soc_pct": "soc_true_pct"})
            )
            noisy = simulate(spec, noise=NoiseSpec(voltage_v=V_NOISE, current_a=I_NOISE), **kw)
            noisy = noisy.to_frame().drop(columns=["true_cell_1_soc_pct"])
            noisy["current_a"] *= GAIN
            if phase is not None:
                true = true.iloc[phase % fine :: fine].reset_index(drop=True)
                noisy = noisy.iloc[phase % fine :: fine].reset_index(drop=True)
            label = f"sim {chem} {1 / dt:g} Hz seed {seed}"
            score(true, noisy, spec, label, rows, show=show, pulses=pulses)
            if seed == seeds[0]:
                # the estimator alone: no noise, no gain error
                clean = true.drop(columns=["soc_true_pct"])
                score(
                    true,
                    clean,
                    spec,
                    f"sim {chem} {1 / dt:g} Hz clean",
                    rows,
                    show=show,
                    gain_pct=0,
                )


def hppc_profile(
    gt,
    capacity_ah: float,
    *,
    levels: int = 5,
    step_pct: float = 20.0,
    discharge_c: float = 1.0,
    charge_c: float = 0.75,
    name: str = "hppc-bench",
):
    """HPPC at 95/75/55/35/15 % SOC for PyBaMM: knots every 0.1 s for 150 s after
    each step (then 5 s), a 1 ms ramp at each step (PyBaMM interpolates the current).

    ``levels`` pulse pairs ``step_pct`` % of SOC apart (moved at 1C), each a 10 s
    discharge at ``discharge_c`` C and a 10 s charge at ``charge_c`` C, 40 s rests."""
    segs = [(60.0, 0.0)]
    for _ in range(levels):
        segs += [
            (10.0, -discharge_c * capacity_ah),
            (40.0, 0.0),
            (10.0, charge_c * capacity_ah),
            (40.0, 0.0),
            (step_pct / 100.0 * 3600.0, -capacity_ah),
            (1800.0, 0.0),
        ]
    times, cur = [], []
    t = 0.0
    for dur, i in segs:
        if times:
            times.append(t - 0.001)
            cur.append(cur[-1])
        dense = min(dur, 150.0)
        tt = np.concatenate((np.arange(0.0, dense, 0.1), np.arange(dense, dur, 5.0)))
        times += list(t + tt)
        cur += [i] * len(tt)
        t += dur
    times.append(t)
    cur.append(0.0)
    return gt.CurrentProfile(name=name, time_s=np.array(times), current_a=np.array(cur))


#: Held-out PyBaMM HPPC variants (``--pybamm-heldout``; 2026-12-07 session 35):
#: (label, initial SOC %, levels, SOC step %, discharge C, charge C, ambient degC).
HELDOUT_HPPC = (
    ("10% steps 2C/1C", 92.0, 9, 10.0, 2.0, 1.0, None),
    ("15% steps 0.5C/0.5C", 88.0, 6, 15.0, 0.5, 0.5, None),
    ("0 degC 20% steps 1C/0.75C", 95.0, 5, 20.0, 1.0, 0.75, 0.0),
    ("40 degC 12% steps 1.5C/1C", 90.0, 7, 12.0, 1.5, 1.0, 40.0),
)


def pybamm_runs(seeds, rows, *, show, heldout: bool = False, rates=(10.0,)):
    """PyBaMM HPPC runs: the bench's one, or (``heldout``) the HELDOUT_HPPC variants,
    each sampled at ``rates`` (Hz; slower rates decimate the 10 Hz run from its
    first sample and from the middle of a period: steps on and between samples)."""
    try:
        import groundtruth_pybamm as gt
        import pybamm  # noqa: F401
    except (ImportError, SystemExit):
        print("PyBaMM not installed: skipped (pip install pybamm)")
        return
    variants = HELDOUT_HPPC if heldout else (("", 95.0, 5, 20.0, 1.0, 0.75, None),)
    for chem, ps in (("nmc", "Chen2020"), ("lfp", "Prada2013")):
        cap = gt.nominal_capacity_ah(ps)
        spec = preset(chem, capacity_ah=cap)
        cols = ["time_s", "voltage_v", "current_a", "temperature_c"]
        for vlabel, soc0, levels, step, dis_c, chg_c, ambient in variants:
            name = (
                "hppc-bench" if not vlabel else f"hppc-held-{levels}x{step:g}-{dis_c:g}-{chg_c:g}"
            )
            prof = hppc_profile(
                gt,
                cap,
                levels=levels,
                step_pct=step,
                discharge_c=dis_c,
                charge_c=chg_c,
                name=name,
            )
            true10 = gt.simulate_pybamm(
                ps, prof, initial_soc_pct=soc0, sample_period_s=0.1, ambient_c=ambient
            )
            if true10.attrs.get("terminated_early"):
                print(
                    f"pybamm {ps} {vlabel}: PyBaMM stopped at a voltage limit at "
                    f"{true10['time_s'].iloc[-1]:.0f} s (scored up to there)"
                )
            for rate in rates:
                every = int(round(10.0 / rate))
                phases = (0,) if every == 1 else (0, every // 2)
                for phase in phases:
                    true = true10.iloc[phase::every].reset_index(drop=True)
                    tag = f"pybamm {ps} {rate:g} Hz" + (f" {vlabel}" if vlabel else "")
                    if phase:
                        tag += f" ph{phase}"
                    for seed in seeds:
                        noisy = gt.add_sensor_noise(
                            true,
                            seed=seed,
                            voltage_sigma_v=V_NOISE,
                            current_sigma_a=I_NOISE,
                            current_gain=GAIN,
                        )[cols]
                        score(true, noisy, spec, f"{tag} noise {seed}", rows, show=show)
                    score(true, true[cols], spec, f"{tag} clean", rows, show=show, gain_pct=0)


def cpu(fn, repeats: int = 2) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def speed():
    print("\nSpeed on 1e6 samples (CPU s, best of 2; 4-cell NMC pack, typical sensor noise)")
    print(f"{'log':<34} {'pulses':>6} {'IR offline':>10} {'IR live':>8} {'SOH':>7}")
    spec = preset("nmc", series_cells=4)
    for profile, dt in (("hppc", 0.1), ("cycle", 1.0), ("drive", 1.0), ("cc", 1.0)):
        block = simulate(
            spec, profile, duration_s=1e6 * dt, dt_s=dt, seed=1, noise=NoiseSpec.typical(spec)
        )
        df = block.to_frame()
        res = measure_internal_resistance(df, spec)
        t_ir = cpu(lambda df=df: measure_internal_resistance(df, spec))
        t_soh = cpu(lambda df=df, res=res: calculate_soh(df, spec, internal_resistance=res))

        def live(block=block):
            tr = InternalResistanceTracker(spec)
            for a in range(0, len(block), 1000):
                tr.update(block.slice(a, a + 1000))
            tr.result()

        t_live = cpu(live, 1)
        label = f"{profile} at {1 / dt:g} Hz ({len(block) * dt / 3600:.0f} h)"
        print(f"{label:<34} {res.n_pulses:>6} {t_ir:>10.3f} {t_live:>8.3f} {t_soh:>7.3f}")
    _ = SampleBlock  # the live path feeds SampleBlocks (imported for the reader)


def by_direction(pulses: list) -> None:
    """Pulses outside the target per chemistry and direction (noisy simulator runs)."""
    print(f"\nSimulator pulses outside +-{TARGET_PCT:g} % by chemistry and direction (noisy runs)")
    print(
        f"{'rate, chemistry':<18} {'direction':<10} {'outside':>11} {'worst':>8} {'rms':>6} "
        f"{'stated sd':>9} {'2sd<=5%':>8} {'|err|<=2sd':>10}"
    )
    groups: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for label, direction, err, sd in pulses:
        _, chem, rate, *_ = label.split()
        groups.setdefault((f"{rate} Hz {chem}", direction), []).append((err, sd))
    for (name, direction), items in sorted(groups.items()):
        e, sd = np.array(items).T
        out = int(np.sum(np.abs(e) > TARGET_PCT))
        worst = e[int(np.argmax(np.abs(e)))]
        rms = float(np.sqrt(np.mean(e**2)))
        claim = int(np.sum(2.0 * sd <= TARGET_PCT))
        cover = float(np.mean(np.abs(e - GAIN_PCT) <= 2.0 * sd))
        print(
            f"{name:<18} {direction:<10} {out:3d} of {len(e):3d} {worst:+7.2f}% {rms:5.2f}% "
            f"{np.median(sd):8.2f}% {claim:4d}/{len(e):<3d} {100 * cover:9.1f}%"
        )


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--summary", action="store_true", help="only the summary tables")
    ap.add_argument("--no-pybamm", action="store_true")
    ap.add_argument("--pybamm-only", action="store_true", help="only the PyBaMM runs")
    ap.add_argument("--quick", action="store_true", help="one seed, no speed section")
    ap.add_argument("--seeds", type=int, default=3, help="seeds 1..N (simulator cell and noise)")
    ap.add_argument(
        "--first-seed", type=int, default=1, help="first seed (default 1): seeds K..K+N-1"
    )
    ap.add_argument(
        "--sim-rate",
        type=float,
        default=None,
        help="only the simulator at this sample rate, Hz (no PyBaMM, no speed)",
    )
    ap.add_argument(
        "--phase",
        type=int,
        default=None,
        help="simulator steps between samples: simulate 10x faster, keep every 10th "
        "sample from the P-th (P = 0..9)",
    )
    ap.add_argument(
        "--pybamm-heldout",
        action="store_true",
        help="only PyBaMM's held-out HPPC variants (other SOC steps, pulse currents, "
        "0/40 degC; HELDOUT_HPPC) at 10 and 1 Hz",
    )
    args = ap.parse_args(argv)
    os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")
    first = args.first_seed
    seeds = (first,) if args.quick else tuple(range(first, first + args.seeds))
    show = not args.summary
    rows: list[dict] = []
    pulses: list = []
    if show:
        print(
            f"{'config':<26} {'t_s':>9} {'SOC%':>6} {'direction':<9} {'dI (A)':>7} "
            f"{'R10 ref':>8} {'R10 est':>8} {'error':>8}   (mOhm; SOC: true)"
        )
    sim_rates = [10.0, 1.0] if args.sim_rate is None else [args.sim_rate]
    if args.pybamm_only or args.pybamm_heldout:
        sim_rates = []
    for rate in sim_rates:
        simulator_runs(1.0 / rate, seeds, rows, show=show, pulses=pulses, phase=args.phase)
    if args.pybamm_heldout:
        pybamm_runs(seeds, rows, show=show, heldout=True, rates=(10.0, 1.0))
    elif not args.no_pybamm and args.sim_rate is None:
        pybamm_runs(seeds, rows, show=show)
    table = pd.DataFrame(rows)
    print(f"\nR10 error vs the model's own value (target: every pulse within +-{TARGET_PCT:g} %)")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    noisy = ~table.config.str.endswith("clean")
    for name, sel in (
        *(
            (f"simulator {r:g} Hz", table.config.str.contains(f"sim .* {r:g} Hz") & noisy)
            for r in sim_rates
        ),
        *(
            (
                f"PyBaMM {r:g} Hz",
                table.config.str.startswith("pybamm ")
                & noisy
                & table.config.str.contains(f" {r:g} Hz"),
            )
            for r in (10.0, 1.0)
        ),
        ("noise-free runs", ~noisy),
    ):
        part = table[sel]
        if len(part):
            n, ok = int(part.pulses.sum()), int(part.within_5pct.sum())
            print(
                f"{name:<16} {ok}/{n} pulses within +-{TARGET_PCT:g} %, "
                f"worst {part.max_abs_err_pct.max():.2f} %, missed {int(part.missed.sum())}, "
                f"extra {int(part.extra.sum())}; stated 2 sigma within +-{TARGET_PCT:g} % "
                f"{int(part.claim_5pct.sum())}/{n} (of those outside "
                f"{int(part.claim_out.sum())}); error within its 2 sigma "
                f"{int(part.within_2sd.sum())}/{n}"
            )
    by_direction(pulses)
    if not args.quick and args.sim_rate is None and not (args.pybamm_only or args.pybamm_heldout):
        speed()


if __name__ == "__main__":
    main()
