"""faults/start_resistance.py's r (each cell's resistance deviation from a log's start
under load) against the simulator's truth, in the fit's standard errors, at other
ambients, rates, spreads and pack sizes. Only where r is known (se <= MAX_SE): the
short test then allows the cell r + 3 se + 0.05 of the pack's warming.

2026-12-07 session 38 (anchor): ``--soc-spread`` (the cells' initial SOC sigma, %): a
cell apart from the median across a bend of the OCV table read its bend as resistance;
figures before -> after in :mod:`app.diagnostics.faults.start_resistance` ("The OCV's
bend").
"""

import argparse
import itertools

import numpy as np

import app.diagnostics.faults.start_resistance as sr
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import NoiseSpec, PackSimulator

p = argparse.ArgumentParser()
p.add_argument("--chems", nargs="+", default=["nmc"])
p.add_argument("--cells", type=int, nargs="+", default=[4, 16])
p.add_argument("--ambients", type=float, nargs="+", default=[0, 10, 25, 40])
p.add_argument("--profiles", nargs="+", default=["cc"])
p.add_argument("--c-rates", type=float, nargs="+", default=[-1.0])
p.add_argument("--spreads", type=float, nargs="+", default=[0.08])
p.add_argument("--seeds", type=int, nargs="+", default=[400, 401])
p.add_argument("--soc-spread", type=float, default=0.0, help="the cells' initial SOC sigma, %%")
p.add_argument("--show", type=float, default=3.0, help="print cells this many errors off")
a = p.parse_args()

got: list = []
orig = sr.StartResistance._solve


def solve(self):
    orig(self)
    got.append((self.r.copy(), self.se.copy()))


sr.StartResistance._solve = solve
for chem, amb, rate, prof in itertools.product(a.chems, a.ambients, a.c_rates, a.profiles):
    if prof != "cc" and rate != a.c_rates[0]:
        continue
    zs = []
    under = []
    for cells, sp, seed in itertools.product(a.cells, a.spreads, a.seeds):
        spec = preset(chem, series_cells=cells)
        sim = PackSimulator(
            spec,
            prof,
            seed=seed,
            noise=NoiseSpec.typical(spec),
            ambient_c=amb,
            capacity_spread=0.02,
            resistance_spread=sp,
            soc_spread_pct=a.soc_spread,
            **({"c_rate": rate} if prof in ("cc", "cccv") else {}),
        )
        b = sim.run_block(round(sr.FIT_S + 60))
        got.clear()
        detect_faults(b, spec)
        if not got:
            continue
        r, se = got[-1]
        if not np.isfinite(r).any():
            continue
        true = sim.cells.r0_ohm / np.median(sim.cells.r0_ohm) - 1.0
        z = (r - true) / se
        zs.extend(z[np.isfinite(z)])
        # the short test's upper allowance against the cell's true share (a false alarm
        # where the truth is above it)
        under.append(float(np.nanmax(true - (np.maximum(r + 3 * se, 0) + 0.05))))
        for j in np.flatnonzero(np.abs(z) > a.show):
            print(
                f"  {chem} {cells}c {prof} {rate:+g}C amb {amb:g} sp {sp} s{seed} cell {j + 1}: "
                f"r {r[j]:+.3f} se {se[j]:.3f} true {true[j]:+.3f} ({z[j]:+.1f} se)",
                flush=True,
            )
    zs = np.array(zs)
    if not len(zs):
        print(f"{chem} {prof} {rate:+g}C amb {amb:g}: r never known")
        continue
    print(
        f"{chem} {prof} {rate:+g}C amb {amb:g}: {len(zs)} cells, z rms {np.sqrt(np.mean(zs**2)):.2f} "
        f"range {zs.min():+.1f}..{zs.max():+.1f}, true above the allowance by up to "
        f"{max(under):+.3f}",
        flush=True,
    )
