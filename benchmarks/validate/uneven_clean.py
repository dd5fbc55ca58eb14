"""Clean packs heated unevenly -> every fault is a false alarm (the short heat test's
anchored floor's case): an ambient step of --step K at --step-at h (the simulator's
ambient changed between two blocks), cells with different cooling and heat capacity
(--cooling-spread, relative sigma, patched into the simulator's cells), large resistance
spreads, high C-rates (``cc`` at --c-rates with the spec's discharge limit raised),
long CC-CV charges. ``--noise-scale``: the sensors' noise, x typical (0: noise-free, the
stuck sensor's peers' moves; session 38).

Run: ``PYTHONPATH=$PWD nice python benchmarks/validate/uneven_clean.py --seeds 600``.

2026-12-07 session 39 (shorts), the anchor of :mod:`app.diagnostics.faults.short` allows
what a pack of 8 cells or more shows unexplained (``ANCHOR_SPREAD_Z``) and a cell of less
resistance b from half its r (``ANCHOR_JOULE_MIN``). ``--profiles cc cycle drive
--c-rates -1 --spreads 0.06 --hours 1 --cooling-spread 0.1 --seeds ...``, false faults
(all internal shorts), before -> after (4-cell / 16-cell): tuning 640-647 33 -> 16 (11 /
22 -> 12 / 4), ``--step -10 --step-at 0.3`` 670-671 52 -> 12 (4 / 48 -> 4 / 8); held out
650-657 45 -> 18 (9 / 36 -> 9 / 9), 660-663 (``--cooling-spread 0.15``) 39 -> 20 (10 / 29
-> 10 / 10), 695-696 (0.2) 29 -> 17 (0 / 29 -> 0 / 17), step 690-691 49 -> 29 (21 / 28 ->
21 / 8). One cell alarmed that was not before, in all six sets: 640-647's 4-cell NMC
``cycle`` seed 647 cell 4 at 1,169 s (``ANCHOR_JOULE_MIN``). What is left is mostly 4-cell
packs' (3 other cells show no spread) and, at 0.2, 16-cell packs' cells 3-4 sigma off.

2026-12-07 session 40 (shorts6), the anchor's second reference in time (180-480 s, packs of
fewer than 8 cells, ``ANCHOR_LATE_S``): the same command's false shorts, before -> after,
tuning 640-647 16 -> 16 (the same cells; NMC 4-cell seed 641's cell 3, which cools 19 %
worse, 1,649 -> 1,349 s on ``cc`` and 1,409 -> 1,229 s on ``cycle``), ``--step -10
--step-at 0.3`` 670-671 12 -> 12; held out 650-657 18 -> 18 (one 120 s earlier), 660-663
(``--cooling-spread 0.15``) 20 -> 20, step 690-691 29 -> 29 (two 30 s earlier). The 4-cell
false shorts left (12 of 640-647's 16: cells storing 12-29 % less heat or cooling ~19 %
worse than the median, e.g. 644's cell 3 at 0.71 of the median's heat capacity, its
growth 0.44 of the pack's warming from the first super-bin judged on) grow in step with
the pack's warming from the log's start, as a 100 ohm short from the log's start does.
Tried, not taken: the first anchor's flag confirmed only where the second's weak test
(3 errors) holds too while it is judged (750-1,380 s): 640-647's 4-cell runs 12 -> 12
false shorts, those cells grow against either reference.
"""

import argparse
import dataclasses
import itertools

import numpy as np

import app.hardware.simulator.pack as pack_mod
from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import NoiseSpec

p = argparse.ArgumentParser()
p.add_argument("--chems", nargs="+", default=["nmc", "lfp", "lead_acid"])
p.add_argument("--cells", type=int, nargs="+", default=[4, 16])
p.add_argument("--profiles", nargs="+", default=["cc", "cccv", "cycle", "drive"])
p.add_argument("--c-rates", type=float, nargs="+", default=[-2.0, -3.0])
p.add_argument("--spreads", type=float, nargs="+", default=[0.10, 0.20])
p.add_argument("--cooling-spread", type=float, default=0.0)
p.add_argument("--ambient", type=float, default=25.0)
p.add_argument("--step", type=float, default=0.0, help="ambient change, K")
p.add_argument("--step-at", type=float, default=0.5, help="h into the log")
p.add_argument("--seeds", type=int, nargs="+", default=[600])
p.add_argument("--hours", type=float, default=2.0)
p.add_argument("--detail", action="store_true", help="print each alarm's detail")
p.add_argument("--noise-scale", type=float, default=1.0, help="x typical sensor noise")
a = p.parse_args()

_make = pack_mod.make_cells


def uneven_cells(spec, rng, **kw):
    c = _make(spec, rng, **kw)
    if not a.cooling_spread:
        return c
    g = np.random.default_rng(int(rng.integers(1 << 31)))
    n = c.n_cells
    k1 = np.clip(1 + a.cooling_spread * g.standard_normal(n), 0.3, None)
    k2 = np.clip(1 + a.cooling_spread * g.standard_normal(n), 0.3, None)
    return dataclasses.replace(
        c,
        cooling_w_per_k=c.cooling_w_per_k * k1,
        heat_capacity_j_per_k=c.heat_capacity_j_per_k * k2,
    )


pack_mod.make_cells = uneven_cells
n = nf = 0
for chem, cells, prof, rate, sp, seed in itertools.product(
    a.chems, a.cells, a.profiles, a.c_rates, a.spreads, a.seeds
):
    if prof != "cc" and rate != a.c_rates[0]:
        continue
    spec = preset(chem, series_cells=cells)
    if prof == "cc" and abs(rate) > spec.with_preset_defaults().max_discharge_current_c:
        spec = dataclasses.replace(spec, max_discharge_current_c=abs(rate))
    sim = pack_mod.PackSimulator(
        spec,
        prof,
        seed=seed,
        noise=NoiseSpec.typical(spec, a.noise_scale),
        ambient_c=a.ambient,
        capacity_spread=0.02,
        resistance_spread=sp,
        **({"c_rate": rate if prof == "cc" else abs(rate) / 2} if prof in ("cc", "cccv") else {}),
    )
    total = round(a.hours * 3600)
    k = round(a.step_at * 3600) if a.step else total
    blocks = [sim.run_block(k)]
    if k < total:
        sim.ambient_c = sim.model.ambient_c = a.ambient + a.step
        sim._ahead = None  # a chunk computed ahead at the old ambient
        blocks.append(sim.run_block(total - k))
    b = SampleBlock.concat(blocks)
    fs = detect_faults(b, spec).to_list()
    n += 1
    nf += len(fs)
    tag = f"{chem} {cells}c {prof} {rate:+g}C sp {sp} seed {seed} amb {a.ambient:g}{a.step:+g}"
    for x in fs:
        t = x["detail"].get("detected_time_s", x["start_time_s"])
        print(
            f"FALSE {tag}: {x['kind']} {x['channel']} det {t:.0f} s sev {x['severity']}", flush=True
        )
        if a.detail:
            print(
                "   ",
                {k: round(v, 3) if isinstance(v, float) else v for k, v in x["detail"].items()},
            )
print(f"{n} runs {n * a.hours:.1f} pack-h, {nf} false faults")
