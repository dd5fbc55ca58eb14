"""One reading of one cell's temperature glitched (to 150, 80 or 50 degC) in a clean
NMC/LFP 4-cell drive, at sample periods of 10, 5, 2 and 1 s: every fault reported
other than a noisy sensor (target: none).

Run: ``PYTHONPATH=$PWD nice python benchmarks/validate/slow_glitch.py``.
"""

import argparse

import numpy as np

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import NoiseSpec, simulate

p = argparse.ArgumentParser()
p.add_argument("--seeds", type=int, nargs="+", default=[751, 752, 753])
p.add_argument("--periods", type=float, nargs="+", default=[10.0, 5.0, 2.0, 1.0])
a = p.parse_args()
for chem in ("nmc", "lfp"):
    spec = preset(chem, series_cells=4)
    for dt in a.periods:
        out = {}
        for seed in a.seeds:
            b = simulate(
                spec,
                "drive",
                duration_s=1800,
                dt_s=dt,
                seed=seed,
                noise=NoiseSpec.typical(spec),
                capacity_spread=0.02,
                resistance_spread=0.06,
            )
            base = {c: np.asarray(b[c], float) for c in b.columns}
            k = int(900 / dt)
            for val in (150.0, 80.0, 50.0):
                cols = {c: v.copy() for c, v in base.items()}
                cols["cell_3_temp_c"][k] = val
                fs = detect_faults(SampleBlock(cols), spec).to_list()
                bad = [
                    f"{f['kind']}:{f['channel']}:{f['severity']}"
                    for f in fs
                    if f["kind"] != "sensor_noisy"
                ]
                out.setdefault(val, []).append(",".join(bad) or "-")
        print(chem, f"dt {dt:g} s", out, flush=True)
