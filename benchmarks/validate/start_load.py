"""Logs that start under a constant load (the anchored short-heat test's and
faults/start_resistance.py's case): clean packs -> every fault is a false alarm;
with --short-ohms, an internal short on cell 3 at --onset s -> its latency.

A log "from mid-discharge": --skip S drops the simulation's first S seconds (the
load already on, the RC pairs charged). cc's rate: --c-rates (signed C, negative =
discharge); cycle and cccv ignore it (cccv takes |rate| as its charge rate).
"""

import argparse
import dataclasses
import itertools

from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault, NoiseSpec, simulate

p = argparse.ArgumentParser()
p.add_argument("--chems", nargs="+", default=["nmc"])
p.add_argument("--cells", type=int, nargs="+", default=[4, 16])
p.add_argument("--ambients", type=float, nargs="+", default=[25])
p.add_argument("--profiles", nargs="+", default=["cc"])
p.add_argument("--c-rates", type=float, nargs="+", default=[-1.0])
p.add_argument("--spreads", type=float, nargs="+", default=[0.08, 0.10])
p.add_argument("--capacity-spread", type=float, default=0.02)
p.add_argument("--seeds", type=int, nargs="+", default=[400, 401])
p.add_argument("--minutes", type=float, default=50)
p.add_argument("--skip", type=float, nargs="+", default=[0.0], help="s dropped from the start")
p.add_argument("--short-ohms", type=float, default=None)
p.add_argument("--onset", type=float, default=120.0, help="s after the log's first sample")
p.add_argument("--target", type=float, default=600.0)
p.add_argument(
    "--max-discharge-c", type=float, default=None, help="the spec's discharge limit, C (a 2C pack)"
)
a = p.parse_args()
n = nf = found = inside = 0
hrs = 0.0
lats = []
for chem, cells, amb, prof, rate, sp, seed, skip in itertools.product(
    a.chems, a.cells, a.ambients, a.profiles, a.c_rates, a.spreads, a.seeds, a.skip
):
    if prof != "cc" and rate != a.c_rates[0]:
        continue
    spec = preset(chem, series_cells=cells)
    if a.max_discharge_c:
        spec = dataclasses.replace(spec, max_discharge_current_c=a.max_discharge_c)
    faults = []
    if a.short_ohms:
        faults = [Fault("internal_short", skip + a.onset, cell=3, resistance_ohm=a.short_ohms)]
    b = simulate(
        spec,
        prof,
        duration_s=skip + a.minutes * 60,
        seed=seed,
        noise=NoiseSpec.typical(spec),
        ambient_c=amb,
        capacity_spread=a.capacity_spread,
        resistance_spread=sp,
        faults=faults,
        **({"c_rate": rate} if prof in ("cc", "cccv") else {}),
    )
    i0 = round(skip)
    b = b.slice(i0, len(b["time_s"]))
    fs = detect_faults(b, spec).to_list()
    n += 1
    hrs += a.minutes / 60
    tag = f"{chem} {cells}c {prof} {rate:+g}C amb {amb:g} sp {sp} seed {seed} skip {skip:g}"
    if not a.short_ohms:
        nf += len(fs)
        for x in fs:
            print(
                f"FALSE {tag}: {x['kind']} {x['channel']} det {x['detail'].get('detected_time_s', x['start_time_s']) - skip:.0f} s sev {x['severity']}",
                flush=True,
            )
        continue
    onset = skip + a.onset
    hit = [
        x["detail"].get("detected_time_s", x["start_time_s"])
        for x in fs
        if x["kind"] == "internal_short" and x["channel"] == "cell_3_v"
    ]
    false = [x for x in fs if x["detail"].get("detected_time_s", x["start_time_s"]) < onset]
    other = sorted({f"{x['kind']}:{x['channel']}" for x in fs if x["kind"] != "internal_short"})
    lat = min(hit) - onset if hit else None
    nf += len(false)
    found += lat is not None
    inside += lat is not None and lat <= a.target
    if lat is not None:
        lats.append(lat)
    print(
        f"{tag}: latency {'MISSED' if lat is None else f'{lat:.0f}'} false {len(false)} other {other}",
        flush=True,
    )
if a.short_ohms:
    worst = max(lats) if lats else float("nan")
    print(
        f"{n} runs: found {found}/{n}, within {a.target:g} s {inside}/{n}, worst {worst:.0f} s, false {nf}"
    )
else:
    print(f"{n} runs {hrs:.1f} pack-h, {nf} false faults")
