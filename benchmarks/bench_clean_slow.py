"""False alarms on clean logs at slow sample periods (24 h, typical sensor noise).

Run: ``nice python benchmarks/bench_clean_slow.py`` (the full grid: lead-acid, NMC and LFP;
drive, cycle and CC-CV, and float on lead-acid; 1, 2, 3, 4, 8 and 16 cells; sample
periods of 1, 2, 3, 5, 8, 10, 15 and 20 s; seeds 501-503: 1,440 runs, hours of CPU).
Options: ``--seeds 601 602 603``, ``--chems lfp``, ``--periods 10 20``, ``--cells 4``,
``--profiles drive``, ``--hours 24``, ``--kinds sensor_noisy`` (count only those kinds),
``--channels current_a`` (only those channels), ``--list`` (print every alarm).

Each run is ``simulate(preset(chem, series_cells=n), profile, hours * 3600, dt_s, seed,
noise=NoiseSpec.typical(spec))`` through ``detect_faults``; every fault it reports is a
false alarm. Prints the false alarms per kind and channel class (the current, the cell
voltages, the pack voltage, temperatures, other), then per chemistry and period for
each kind, and the number of runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import NoiseSpec, simulate

CHEMS = ("lead_acid", "nmc", "lfp")
PROFILES = ("drive", "cycle", "cccv")
CELLS = (1, 2, 3, 4, 8, 16)
PERIODS = (1.0, 2.0, 3.0, 5.0, 8.0, 10.0, 15.0, 20.0)
SEEDS = (501, 502, 503)


def channel_class(channel: str) -> str:
    if channel == "current_a":
        return "current"
    if channel.startswith("cell_") and channel.endswith("_v"):
        return "cell_v"
    if channel == "voltage_v":
        return "pack_v"
    if "temp" in channel or channel.endswith("_t"):
        return "temp"
    return channel


def runs(chems, profiles, cells_list, periods, seeds):
    for chem in chems:
        profs = list(profiles)
        if chem == "lead_acid" and "float" not in profs and profiles == PROFILES:
            profs.append("float")
        elif chem != "lead_acid":
            profs = [p for p in profs if p != "float"]
        for cells in cells_list:
            for profile in profs:
                for dt in periods:
                    for seed in seeds:
                        yield chem, cells, profile, dt, seed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    ap.add_argument("--chems", nargs="+", default=list(CHEMS), choices=CHEMS)
    ap.add_argument("--profiles", nargs="+", default=list(PROFILES))
    ap.add_argument("--cells", type=int, nargs="+", default=list(CELLS))
    ap.add_argument("--periods", type=float, nargs="+", default=list(PERIODS))
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--kinds", nargs="+", default=None)
    ap.add_argument("--channels", nargs="+", default=None)
    ap.add_argument("--list", action="store_true", help="print every false alarm")
    args = ap.parse_args(argv)
    if any(p <= 0 for p in args.periods) or args.hours <= 0:
        print("error: --periods and --hours must be positive", file=sys.stderr)
        return 2
    if any(c < 1 for c in args.cells):
        print("error: --cells must be at least 1", file=sys.stderr)
        return 2
    profiles = tuple(args.profiles)
    if profiles == PROFILES:
        profiles = PROFILES  # (float added on lead-acid)
    by_kind: Counter = Counter()
    by_chem_dt: Counter = Counter()
    n_runs = 0
    t_start = time.perf_counter()
    for chem, cells, profile, dt, seed in runs(
        args.chems, profiles, args.cells, args.periods, args.seeds
    ):
        spec = preset(chem, series_cells=cells)
        block = simulate(
            spec, profile, args.hours * 3600.0, dt, seed, noise=NoiseSpec.typical(spec)
        )
        n_runs += 1
        for f in detect_faults(block, spec).to_list():
            kind, ch = f["kind"], f.get("channel") or ""
            if args.kinds and kind not in args.kinds:
                continue
            if args.channels and ch not in args.channels:
                continue
            key = (kind, channel_class(ch))
            by_kind[key] += 1
            by_chem_dt[(key, chem, dt)] += 1
            if args.list:
                print(
                    f"  {chem:9s} {cells:2d} cells {profile:5s} dt {dt:g} s seed {seed}: "
                    f"{kind} {ch} at {f['start_time_s']:.0f} s"
                )
    print(
        f"{n_runs} clean runs of {args.hours:g} h, {time.perf_counter() - t_start:.0f} s of wall time"
    )
    print(f"false alarms: {sum(by_kind.values())}")
    for (kind, cls), n in sorted(by_kind.items()):
        print(f"  {kind} {cls}: {n}")
        for chem in args.chems:
            per = [
                f"{dt:g}s {by_chem_dt[((kind, cls), chem, dt)]}"
                for dt in args.periods
                if by_chem_dt[((kind, cls), chem, dt)]
            ]
            if per:
                print(f"    {chem}: " + ", ".join(per))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
