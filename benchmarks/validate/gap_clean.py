"""Clean packs whose logs lose --gap s of rows every --every s (time gaps, no rows): the
runaway-onset alarms they raise (target: none; ``--z 4`` lowers the evidence's z to 4,
a margin to compare before and after). NMC/LFP/lead-acid, 4/16 cells,
--profiles (float: lead-acid strings only, on their charger), --hours of log per run.

Run: ``PYTHONPATH=$PWD nice python benchmarks/validate/gap_clean.py --seeds 740 741``.
"""

import argparse

import numpy as np

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.faults import detect_faults, float_runaway, thermal
from app.hardware.simulator import NoiseSpec, simulate

p = argparse.ArgumentParser()
p.add_argument("--seeds", type=int, nargs="+", default=[740, 741])
p.add_argument("--gaps", type=float, nargs="+", default=[10.0, 20.0, 30.0, 60.0])
p.add_argument("--every", type=float, default=300.0)
p.add_argument("--hours", type=float, default=2.0)
p.add_argument("--chems", nargs="+", default=["nmc", "lfp", "lead_acid"])
p.add_argument("--cells", type=int, nargs="+", default=[4, 16])
p.add_argument("--profiles", nargs="+", default=["drive", "cycle", "cc", "float"])
p.add_argument("--z", type=float, default=None, help="the evidence's z lowered to this: margin")
p.add_argument("--heat-z", type=float, default=None, help="the same, lead-acid's charge-heat test")
a = p.parse_args()
if a.z is not None:
    thermal.RATE_Z = thermal.TEMPLATE_Z = a.z
if a.heat_z is not None:
    float_runaway.HEAT_RATE_Z = a.heat_z

runs = alarms = 0
for seed in a.seeds:
    for chem in a.chems:
        for cells in a.cells:
            spec = preset(chem, series_cells=cells)
            for profile in a.profiles:
                if profile == "float" and chem != "lead_acid":  # (lead-acid's only)
                    continue
                b = simulate(
                    spec,
                    profile,
                    duration_s=a.hours * 3600.0,
                    seed=seed,
                    noise=NoiseSpec.typical(spec),
                    capacity_spread=0.02,
                    resistance_spread=(0.03, 0.06, 0.08)[seed % 3],
                )
                cols0 = {c: np.asarray(b[c], float) for c in b.columns}
                rng = np.random.default_rng(seed)
                for gap in a.gaps:
                    t = cols0["time_s"]
                    starts = np.arange(a.every, t[-1] - a.every, a.every)
                    starts = starts + rng.uniform(-0.3, 0.3, len(starts)) * a.every
                    keep = np.ones(len(t), dtype=bool)
                    for s in starts:
                        keep &= (t < s) | (t >= s + gap)
                    cols = {k: v[keep] for k, v in cols0.items()}
                    fs = detect_faults(SampleBlock(cols), spec).to_list()
                    hit = [
                        f"{f['channel']}@{f['detail']['detected_time_s']:.0f}"
                        for f in fs
                        if f["kind"] == "thermal_runaway_onset"
                    ]
                    runs += 1
                    alarms += bool(hit)
                    if hit:
                        print(f"ALARM s{seed} {chem} {cells} {profile} gap {gap:g}s:", hit)
print(f"{alarms} of {runs} clean gapped runs raised a runaway onset", flush=True)
