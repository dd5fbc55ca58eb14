"""A runaway's latency when the log loses a few seconds of samples near its onset:
rows dropped at G..G+L s (a time gap), NMC/LFP 4-cell drives, cell 2 at --onset s.

Run: ``PYTHONPATH=$PWD nice python benchmarks/validate/gap_runaway.py --seeds 740 741``.
"""

import argparse

import numpy as np

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault, NoiseSpec, simulate

p = argparse.ArgumentParser()
p.add_argument("--seeds", type=int, nargs="+", default=[740, 741])
p.add_argument("--onset", type=float, default=900.0)
a = p.parse_args()
ON = a.onset
GAPS = ((None, 0), (ON - 5, 4), (ON - 5, 10), (ON + 10, 4), (ON + 10, 10), (ON + 10, 30))
GAPS += ((ON - 200, 30), (ON - 100, 30), (ON - 60, 30))
for chem in ("nmc", "lfp"):
    spec = preset(chem, series_cells=4)
    for seed in a.seeds:
        b = simulate(
            spec,
            "drive",
            duration_s=ON + 600,
            seed=seed,
            noise=NoiseSpec.typical(spec),
            faults=[Fault("thermal_runaway", ON, cell=2)],
            capacity_spread=0.02,
            resistance_spread=0.06,
        )
        res = []
        for g0, gl in GAPS:
            cols = {c: np.asarray(b[c], float) for c in b.columns}
            if g0 is not None:
                t = cols["time_s"]
                keep = (t < g0) | (t >= g0 + gl)
                cols = {k: v[keep] for k, v in cols.items()}
            fs = detect_faults(SampleBlock(cols), spec).to_list()
            hit = [
                f["detail"]["detected_time_s"] - ON
                for f in fs
                if f["kind"] == "thermal_runaway_onset" and f["channel"] == "cell_2_temp_c"
            ]
            lat = f"{min(hit):.0f}" if hit else "MISSED"
            res.append(f"gap {'none' if g0 is None else f'{g0:g}+{gl:g}'}: {lat}")
        print(chem, seed, "latency s:", "; ".join(res), flush=True)
