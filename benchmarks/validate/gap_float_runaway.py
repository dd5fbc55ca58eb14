"""A lead-acid float runaway's latency when the log loses a few seconds of samples
near its onset: rows dropped at G..G+L s (a time gap), 4/16-cell strings on
``float``, the runaway at --onset s (found on the current, as bench_faults.py).

Run: ``PYTHONPATH=$PWD nice python benchmarks/validate/gap_float_runaway.py --seeds 740 741``.
"""

import argparse

import numpy as np

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault, NoiseSpec, simulate

p = argparse.ArgumentParser()
p.add_argument("--seeds", type=int, nargs="+", default=[740, 741])
p.add_argument("--cells", type=int, nargs="+", default=[4, 16])
p.add_argument("--onset", type=float, default=1800.0)
a = p.parse_args()
ON = a.onset
GAPS = ((None, 0), (ON - 5, 10), (ON - 5, 30), (ON + 10, 10), (ON + 10, 20), (ON + 10, 30))
GAPS += ((ON + 30, 30), (ON - 100, 30), (ON - 60, 30))
for cells in a.cells:
    spec = preset("lead_acid", series_cells=cells)
    for seed in a.seeds:
        b = simulate(
            spec,
            "float",
            duration_s=ON + 900,
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
                if f["kind"] == "thermal_runaway_onset" and f["channel"] == "current_a"
            ]
            lat = f"{min(hit):.0f}" if hit else "MISSED"
            res.append(f"gap {'none' if g0 is None else f'{g0:g}+{gl:g}'}: {lat}")
        print("lead_acid", cells, seed, "latency s:", "; ".join(res), flush=True)
