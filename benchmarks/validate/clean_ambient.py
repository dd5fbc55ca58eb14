"""Clean packs at other ambients / rates / seeds: every fault and safety event is a false alarm."""

import argparse

from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.diagnostics.safety import monitor_safety
from app.hardware.simulator import NoiseSpec, simulate

p = argparse.ArgumentParser()
p.add_argument("--ambients", type=float, nargs="+", default=[0, 5, 10, 40])
p.add_argument("--chems", nargs="+", default=["nmc", "lfp", "lead_acid"])
p.add_argument("--cells", type=int, nargs="+", default=[4, 16])
p.add_argument(
    "--profiles", nargs="+", default=["drive", "cycle", "hppc", "cccv", "cc", "rest", "float"]
)
p.add_argument("--spreads", type=float, nargs="+", default=[0.03, 0.08])
p.add_argument("--seeds", type=int, nargs="+", default=[90, 91])
p.add_argument("--hours", type=float, default=24)
p.add_argument("--rate-hz", type=float, default=1.0)
p.add_argument("--noise", type=float, default=1.0)
p.add_argument("--safety", action="store_true")
a = p.parse_args()
n = nf = ns = 0
hrs = 0
for chem in a.chems:
    for cells in a.cells:
        spec = preset(chem, series_cells=cells)
        noise = NoiseSpec.typical(spec, a.noise)
        for amb in a.ambients:
            for prof in a.profiles:
                if prof == "float" and chem != "lead_acid":
                    continue
                for sp in a.spreads:
                    for seed in a.seeds:
                        b = simulate(
                            spec,
                            prof,
                            duration_s=a.hours * 3600,
                            dt_s=1 / a.rate_hz,
                            seed=seed,
                            noise=noise,
                            ambient_c=amb,
                            capacity_spread=0.02,
                            resistance_spread=sp,
                        )
                        f = detect_faults(b, spec).to_list()
                        n += 1
                        hrs += a.hours
                        nf += len(f)
                        for x in f:
                            print(
                                f"FALSE {chem} {cells}c {prof} amb {amb:g} sp {sp} seed {seed}: {x['kind']} {x['channel']} {x['start_time_s']:.0f}-{x['end_time_s']:.0f} sev {x['severity']}",
                                flush=True,
                            )
                        if a.safety:
                            ev = monitor_safety(b, spec).events
                            ns += len(ev)
                            if ev:
                                e = ev[0]
                                print(
                                    f"SAFETY {chem} {cells}c {prof} amb {amb:g} sp {sp} seed {seed}: {len(ev)} first {e.check} {e.channel} {e.worst_value:.4g} vs {e.limit:.4g} at {e.start_time_s:.0f}",
                                    flush=True,
                                )
print(f"{n} runs {hrs:.0f} pack-h, {nf} false faults, {ns} safety events")
