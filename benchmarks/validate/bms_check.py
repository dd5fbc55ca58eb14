"""The SOC cross-check against a BMS: a perfect BMS (its SOC the simulator's true pack
SOC, mean of the cells) must not be blamed (``bms_check_inconclusive`` or an RMS
difference under 2 %), a wrong one must be (not inconclusive): off by each --offsets %,
drifting from 0 to --drift % over the log, stuck at its first value.

Each wrong BMS not blamed is printed with the reason and how sure our estimate was:
``ours_err`` the RMS of our SOC less the truth, ``sigma`` our final sigma. "SURE" marks
one where our estimate was sure (its true error RMS under a third of the BMS's).

Run: ``PYTHONPATH=$PWD nice python benchmarks/validate/bms_check.py --seeds 790``.
"""

import argparse
import itertools

import numpy as np

from app.core.spec import preset
from app.diagnostics.soc import bms_check_inconclusive, bms_judged_rms, soc_series
from app.hardware.simulator import NoiseSpec, simulate

try:
    from app.diagnostics.soc import bms_inconclusive_reason
except ImportError:  # an older base
    bms_inconclusive_reason = None

p = argparse.ArgumentParser()
p.add_argument("--chems", nargs="+", default=["nmc", "lfp", "lead_acid"])
p.add_argument("--profiles", nargs="+", default=["drive", "cycle", "hppc", "cc", "rest"])
p.add_argument("--seeds", type=int, nargs="+", default=[790])
p.add_argument("--cells", type=int, default=4)
p.add_argument("--rate-hz", type=float, default=1.0)
p.add_argument("--hours", type=float, default=2.0)
p.add_argument("--offsets", type=float, nargs="+", default=[10.0])
p.add_argument("--drift", type=float, default=None, help="a BMS drifting 0 -> this % over the log")
p.add_argument("--stuck", action="store_true", help="a BMS stuck at its first value")
p.add_argument("--capacity-spread", type=float, default=0.02)
a = p.parse_args()
bad = n = 0
for chem, prof, seed in itertools.product(a.chems, a.profiles, a.seeds):
    spec = preset(chem, series_cells=a.cells)
    b = simulate(
        spec,
        prof,
        duration_s=a.hours * 3600,
        dt_s=1 / a.rate_hz,
        seed=seed,
        noise=NoiseSpec.typical(spec),
        include_truth=True,
        capacity_spread=a.capacity_spread,
        resistance_spread=0.06,
    )
    df = b.to_frame()
    truth = df[[c for c in df if c.startswith("true_cell_") and c.endswith("_soc_pct")]].mean(
        axis=1
    )
    truth = truth.to_numpy()
    df = df[[c for c in df if not c.startswith("true_")]]
    bmss = [("perfect", truth)]
    bmss += [(f"{o:+g} %", np.clip(truth + o, 0, 100)) for o in a.offsets]
    if a.drift is not None:
        ramp = np.linspace(0.0, a.drift, len(truth))
        bmss.append((f"drift 0->{a.drift:g} %", np.clip(truth + ramp, 0, 100)))
    if a.stuck:
        bmss.append(("stuck", np.full(len(truth), truth[0])))
    for label, bms in bmss:
        n += 1
        res, ours = soc_series(df.assign(soc_reported_pct=bms), spec)
        d = res.to_dict()
        rms = bms_judged_rms(d)  # what the check judges (where our band was narrow)
        inc = bms_check_inconclusive(d)
        blamed = rms is not None and not inc
        bms_err = float(np.sqrt(np.mean((bms - truth) ** 2)))
        wrong = (label == "perfect" and blamed and rms >= 2.0) or (
            label != "perfect" and not blamed and bms_err >= 2.0
        )
        bad += wrong
        if wrong:
            err = float(np.sqrt(np.nanmean((ours["soc_percent"] - truth) ** 2)))
            reason = bms_inconclusive_reason(d) if bms_inconclusive_reason else None
            sure = "SURE " if label != "perfect" and err < bms_err / 3 else ""
            print(
                f"WRONG {sure}{chem} {prof} s{seed} BMS {label} (true err {bms_err:.1f}): "
                f"rms {rms} whole {d.get('bms_difference_rms_percent')} sigma "
                f"{d.get('final_soc_sigma_percent')} ours_err {err:.1f} reason {reason}",
                flush=True,
            )
print(f"{bad} of {n} cross-checks wrong")
