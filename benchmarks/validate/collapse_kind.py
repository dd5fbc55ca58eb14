"""A runaway's voltage collapse (the cell at 0 V) must be reported as a limit fault
(under_voltage) whatever the cell's temperature sensor does: runaway on cell 3 at 900 s
(NMC/LFP 4-cell drive), cell 3's temperature sensor healthy, absent, dropped out or stuck
from 600 s. Prints the runs whose faults lack under_voltage on cell_3_v although the safety
check has the event.

Run: ``PYTHONPATH=$PWD nice python benchmarks/validate/collapse_kind.py --seeds 796 800 801``.
"""

import argparse

import numpy as np

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.diagnostics.safety import monitor_safety
from app.hardware.simulator import Fault, NoiseSpec, simulate

p = argparse.ArgumentParser()
p.add_argument("--seeds", type=int, nargs="+", default=[796, 800, 801, 802])
a = p.parse_args()
bad = n = 0
for chem in ("nmc", "lfp"):
    spec = preset(chem, series_cells=4)
    for seed in a.seeds:
        for label in ("healthy", "absent", "dropout", "stuck"):
            extra = []
            if label in ("dropout", "stuck"):
                extra = [Fault(f"sensor_{label}", 600, channel="cell_3_temp_c")]
            b = simulate(
                spec,
                "drive",
                duration_s=1500,
                seed=seed,
                noise=NoiseSpec.typical(spec),
                faults=[Fault("thermal_runaway", 900, cell=3), *extra],
                capacity_spread=0.02,
                resistance_spread=0.06,
            )
            cols = {c: np.asarray(b[c], float) for c in b.columns}
            if label == "absent":
                cols.pop("cell_3_temp_c")
            block = SampleBlock(cols)
            fs = detect_faults(block, spec).to_list()
            events = monitor_safety(block.to_frame(), spec).to_dict().get("events", [])
            n += 1
            uv_event = any(e.get("channel") == "cell_3_v" for e in events)
            uv_fault = any(f["kind"] == "under_voltage" and f["channel"] == "cell_3_v" for f in fs)
            if uv_event and not uv_fault:
                bad += 1
                kinds = [
                    (f["kind"], f["channel"], f["severity"])
                    for f in fs
                    if f["channel"] == "cell_3_v"
                ]
                print(f"{chem} s{seed} sensor {label}: no under_voltage fault; cell_3_v: {kinds}")
print(f"{bad} of {n} runs: the safety event on the collapsed cell is no fault")
