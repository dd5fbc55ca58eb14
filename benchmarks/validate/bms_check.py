"""The SOC cross-check against a BMS: a perfect BMS (its SOC the simulator's true pack
SOC, mean of the cells) must not be blamed (``bms_check_inconclusive`` or an RMS
difference under 2 %), a BMS off by --offset % must be (not inconclusive).

Run: ``PYTHONPATH=$PWD nice python benchmarks/validate/bms_check.py --seeds 790``.
"""

import argparse
import itertools

import numpy as np

from app.core.spec import preset
from app.diagnostics.soc import bms_check_inconclusive, soc_series
from app.hardware.simulator import NoiseSpec, simulate

p = argparse.ArgumentParser()
p.add_argument("--chems", nargs="+", default=["nmc", "lfp", "lead_acid"])
p.add_argument("--profiles", nargs="+", default=["drive", "cycle", "hppc", "cc", "rest"])
p.add_argument("--seeds", type=int, nargs="+", default=[790])
p.add_argument("--cells", type=int, default=4)
p.add_argument("--rate-hz", type=float, default=1.0)
p.add_argument("--hours", type=float, default=2.0)
p.add_argument("--offset", type=float, default=10.0)
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
    df = df[[c for c in df if not c.startswith("true_")]]
    for label, bms in (("perfect", truth), (f"+{a.offset:g} %", np.clip(truth + a.offset, 0, 100))):
        n += 1
        res, _ = soc_series(df.assign(soc_reported_pct=bms.to_numpy()), spec)
        d = res.to_dict()
        rms = d.get("bms_difference_rms_percent")
        inc = bms_check_inconclusive(d)
        blamed = rms is not None and not inc
        wrong = (label == "perfect" and blamed and rms >= 2.0) or (
            label != "perfect" and not blamed
        )
        bad += wrong
        if wrong:
            print(
                f"WRONG {chem} {prof} s{seed} BMS {label}: rms {rms} sigma "
                f"{d.get('final_soc_sigma_percent')} inconclusive {inc}",
                flush=True,
            )
print(f"{bad} of {n} cross-checks wrong")
