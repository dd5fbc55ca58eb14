"""A runaway of a lone cell (a 1-cell pack: no other cell temperature to compare with,
its Joule heating taken off instead; see "A cold lone cell" in
:mod:`app.diagnostics.faults.thermal`): its first onset's latency after the runaway's
onset, and any onset alarm before it (a false alarm). NMC and LFP, every ambient and
profile, typical sensor noise, 1 Hz.
"""

import argparse
import itertools
from multiprocessing import Pool

from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault, NoiseSpec, simulate

p = argparse.ArgumentParser()
p.add_argument("--chems", nargs="+", default=["nmc", "lfp"])
p.add_argument("--ambients", type=float, nargs="+", default=[-10.0, 0.0, 25.0, 45.0])
p.add_argument("--profiles", nargs="+", default=["rest", "cc", "cycle", "drive"])
p.add_argument("--seeds", type=int, nargs="+", default=[300, 301])
p.add_argument("--capacity-ah", type=float, default=2.5)
p.add_argument("--onset", type=float, default=600.0, help="s into the log")
p.add_argument("--jobs", type=int, default=1)


def job(args):
    chem, amb, prof, seed, cap, onset = args
    spec = preset(chem, series_cells=1, capacity_ah=cap)
    opts = {"c_rate": -1.0} if prof == "cc" else {}
    block = simulate(
        spec,
        prof,
        duration_s=onset + 300.0,
        seed=seed,
        noise=NoiseSpec.typical(spec),
        ambient_c=amb,
        faults=[Fault("thermal_runaway", onset, cell=1)],
        **opts,
    )
    found = [
        f["detail"]["detected_time_s"]
        for f in detect_faults(block, spec).to_list()
        if f["kind"] == "thermal_runaway_onset"
    ]
    early = [t for t in found if t < onset]
    late = [t - onset for t in found if t >= onset]
    return args, (min(late) if late else None), early


if __name__ == "__main__":
    a = p.parse_args()
    jobs = [
        (c, amb, prof, s, a.capacity_ah, a.onset)
        for c, amb, prof, s in itertools.product(a.chems, a.ambients, a.profiles, a.seeds)
    ]
    if a.jobs > 1:
        with Pool(a.jobs) as pool:
            results = pool.map(job, jobs)
    else:
        results = [job(j) for j in jobs]
    lat, n_early = [], 0
    for (c, amb, prof, s, _, _), late, early in results:
        print(
            f"{c} {amb:g} degC {prof} seed {s}: latency {late} s, alarms before the onset {early}"
        )
        lat += [late] if late is not None else []
        n_early += bool(early)
    within = sum(t <= 60.0 for t in lat)
    print(
        f"{len(results)} runs: found {len(lat)}, within 60 s {within}, "
        f"max {max(lat) if lat else None} s; runs with an alarm before the onset: {n_early}"
    )
