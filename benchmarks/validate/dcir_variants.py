"""bench_dcir.score on simulator HPPC variants: pack size, ambient, rate, seeds, chemistry, noise."""

import argparse
import sys

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
import numpy as np
from bench_dcir import GAIN, I_NOISE, V_NOISE, score

from app.core.spec import preset
from app.hardware.simulator import NoiseSpec, simulate

p = argparse.ArgumentParser()
p.add_argument("--chems", nargs="+", default=["nmc", "lfp"])
p.add_argument("--cells", type=int, default=1)
p.add_argument("--ambient", type=float, default=25.0)
p.add_argument("--rate-hz", type=float, default=10.0)
p.add_argument("--seeds", type=int, nargs="+", default=[90, 91, 92])
p.add_argument("--typical-noise", action="store_true")
p.add_argument("--show", action="store_true")
p.add_argument("--soc", type=float, default=95.0)
a = p.parse_args()
for chem in a.chems:
    spec = preset(chem, series_cells=a.cells)
    rows, pulses = [], []
    for seed in a.seeds:
        kw = dict(
            profile="hppc",
            duration_s=45000 if chem != "lead_acid" else 120000,
            dt_s=1 / a.rate_hz,
            seed=seed,
            initial_soc_pct=a.soc,
            include_truth=True,
            ambient_c=a.ambient,
        )
        true = (
            simulate(spec, **kw).to_frame().rename(columns={"true_cell_1_soc_pct": "soc_true_pct"})
        )
        noise = (
            NoiseSpec.typical(spec)
            if a.typical_noise
            else NoiseSpec(voltage_v=V_NOISE, current_a=I_NOISE)
        )
        noisy = simulate(spec, noise=noise, **kw).to_frame()
        noisy = noisy[[c for c in noisy.columns if not c.startswith("true_")]]
        true = true[[c for c in true.columns if not c.startswith("true_") or c == "soc_true_pct"]]
        noisy["current_a"] *= GAIN
        score(
            true,
            noisy,
            spec,
            f"{chem} {a.cells}c {a.ambient:g}C {a.rate_hz:g}Hz s{seed}",
            rows,
            show=a.show,
            pulses=pulses,
        )
    e = np.array([x[2] for x in pulses])
    out = int(np.sum(np.abs(e) > 5)) if len(e) else 0
    print(
        f"{chem} cells {a.cells} amb {a.ambient:g} {a.rate_hz:g} Hz seeds {a.seeds}: pulses {len(e)} outside5% {out} worst {np.max(np.abs(e)) if len(e) else float('nan'):.2f}% missed {sum(r['missed'] for r in rows)} extra {sum(r['extra'] for r in rows)}",
        flush=True,
    )
