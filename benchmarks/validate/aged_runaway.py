"""Runaway onset at a log's start in AGED packs (every cell's resistance -- R0 and the
RC pairs' R -- times --r-scales over the spec's cell model), logs that start under a
constant load (cc at --c-rates, optionally --skip s of it dropped): the runaway in the
most (``hi``) or least (``lo``) resistive cell at --onsets s after the log's first
sample -> its latency (target --target s); --clean -> every fault a false alarm.

Run: ``PYTHONPATH=$PWD nice python benchmarks/validate/aged_runaway.py --seeds 600 601``.
"""

import argparse
import dataclasses
import itertools

import numpy as np

import app.hardware.simulator.pack as pack_mod
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault, NoiseSpec, simulate

p = argparse.ArgumentParser()
p.add_argument("--chems", nargs="+", default=["nmc", "lfp"])
p.add_argument("--cells", type=int, nargs="+", default=[4, 8, 16])
p.add_argument("--conds", nargs="+", default=["0:-2", "25:-1"], help="ambient:C-rate")
p.add_argument("--r-scales", type=float, nargs="+", default=[1.5, 2.0])
p.add_argument("--spread", type=float, default=0.08)
p.add_argument("--seeds", type=int, nargs="+", default=[600])
p.add_argument("--onsets", type=float, nargs="+", default=[30.0, 90.0])
p.add_argument("--where", nargs="+", default=["hi", "lo"])
p.add_argument("--skip", type=float, default=0.0)
p.add_argument("--minutes", type=float, default=10.0)
p.add_argument("--target", type=float, default=60.0)
p.add_argument("--clean", action="store_true")
a = p.parse_args()

_make = pack_mod.make_cells
SCALE = [1.0]


def aged_cells(*args, **kw):
    c = _make(*args, **kw)
    s = SCALE[0]
    return dataclasses.replace(c, r0_ohm=c.r0_ohm * s, r1_ohm=c.r1_ohm * s, r2_ohm=c.r2_ohm * s)


pack_mod.make_cells = aged_cells
n = inside = found = nfalse = 0
lats = []
for chem, cells, cond, sc, seed in itertools.product(
    a.chems, a.cells, a.conds, a.r_scales, a.seeds
):
    amb, rate = (float(x) for x in cond.split(":"))
    SCALE[0] = sc
    spec = preset(chem, series_cells=cells)
    if abs(rate) > spec.with_preset_defaults().max_discharge_current_c:
        spec = dataclasses.replace(spec, max_discharge_current_c=abs(rate))
    kw = dict(
        seed=seed,
        noise=NoiseSpec.typical(spec),
        ambient_c=amb,
        capacity_spread=0.02,
        resistance_spread=a.spread,
        c_rate=rate,
    )
    r0 = pack_mod.PackSimulator(spec, "cc", **kw).cells.r0_ohm
    cases = [(None, None)] if a.clean else itertools.product(a.where, a.onsets)
    for where, onset in cases:
        faults = []
        if where:
            cell = int(np.argmax(r0) if where == "hi" else np.argmin(r0)) + 1
            faults = [Fault("thermal_runaway", a.skip + onset, cell=cell)]
        b = simulate(spec, "cc", duration_s=a.skip + a.minutes * 60, faults=faults, **kw)
        b = b.slice(round(a.skip), len(b["time_s"]))
        fs = detect_faults(b, spec).to_list()
        n += 1
        tag = f"{chem} {cells}c amb {amb:g} {rate:+g}C r x{sc:g} seed {seed} skip {a.skip:g}"

        def det(x):
            return x["detail"].get("detected_time_s", x["start_time_s"]) - a.skip

        if not where:
            nfalse += len(fs)
            for x in fs:
                print(f"FALSE {tag}: {x['kind']} {x['channel']} det {det(x):.0f} s", flush=True)
            continue
        ch = f"cell_{cell}_temp_c"
        hit = [det(x) for x in fs if x["kind"] == "thermal_runaway_onset" and x["channel"] == ch]
        early = [x for x in fs if det(x) < onset]
        kinds = sorted({f"{x['kind']}:{x['channel']}" for x in fs})
        lat = min(hit) - onset if hit else None
        found += lat is not None
        inside += lat is not None and lat <= a.target
        nfalse += len(early)
        if lat is not None:
            lats.append(lat)
        flag = "" if lat is not None and lat <= a.target and not early else "BAD "
        print(
            f"{flag}{tag} {where} cell {cell} onset {onset:g}: latency "
            f"{'MISSED' if lat is None else f'{lat:.0f}'} early {len(early)} kinds {kinds}",
            flush=True,
        )
if a.clean:
    print(f"{n} clean runs, {nfalse} false faults")
else:
    w = max(lats) if lats else float("nan")
    print(
        f"{n} runs: found {found}/{n}, within {a.target:g} s {inside}/{n}, worst {w:.0f} s, early alarms {nfalse}"
    )
