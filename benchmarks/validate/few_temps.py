"""An internal short (default R) on cell 3 at 900 s when the log lacks some cells'
temperature sensors: all, cell 3's missing, cells 1 and 3 missing, no cell temperatures
(the pack's ``temperature_c`` kept). Prints the short's latency and the other faults.
``--fault runaway``: a thermal runaway of cell ``--cell`` at 900 s instead, and the
first runaway-onset alarm's latency (any channel).

Run: ``PYTHONPATH=$PWD nice python benchmarks/validate/few_temps.py --seeds 730 731``.
"""

import argparse

import numpy as np

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault, NoiseSpec, simulate

p = argparse.ArgumentParser()
p.add_argument("--seeds", type=int, nargs="+", default=[730, 731])
p.add_argument("--profiles", nargs="+", default=["drive", "cycle", "rest"])
p.add_argument("--fault", choices=["short", "runaway"], default="short")
p.add_argument("--cell", type=int, default=3, help="the faulty cell")
p.add_argument("--layouts", nargs="+", type=int, help="only these layouts (0-3)")
a = p.parse_args()
LAYOUTS = (
    ("all", ()),
    ("no t3", ("cell_3_temp_c",)),
    ("no t1,t3", ("cell_1_temp_c", "cell_3_temp_c")),
    ("no cell temps", tuple(f"cell_{k}_temp_c" for k in range(1, 5))),
)
layouts = [LAYOUTS[j] for j in a.layouts] if a.layouts else LAYOUTS
kind = "internal_short" if a.fault == "short" else "thermal_runaway_onset"
for chem in ("nmc", "lfp"):
    spec = preset(chem, series_cells=4)
    for seed in a.seeds:
        for prof in a.profiles:
            b = simulate(
                spec,
                prof,
                duration_s=1800 if a.fault == "short" else 1200,
                seed=seed,
                noise=NoiseSpec.typical(spec),
                faults=[
                    Fault(
                        "internal_short" if a.fault == "short" else "thermal_runaway",
                        900,
                        cell=a.cell,
                    )
                ],
                capacity_spread=0.02,
                resistance_spread=0.06,
            )
            for label, drop in layouts:
                cols = {c: np.asarray(b[c], float) for c in b.columns if c not in drop}
                fs = detect_faults(SampleBlock(cols), spec).to_list()
                hit = [
                    f["detail"]["detected_time_s"] - 900
                    for f in fs
                    if f["kind"] == kind
                    and (a.fault == "runaway" or f["channel"] == f"cell_{a.cell}_v")
                ]
                other = [f"{f['kind']}:{f['channel']}" for f in fs if f["kind"] != kind]
                lat = f"{min(hit):.0f} s" if hit else "MISSED"
                print(chem, seed, prof, label, f"{a.fault}:", lat, other, flush=True)
