"""The capacity SOH's full discharges against the per-cycle table's discharge capacity.

    python benchmarks/bench_soh_capacity.py                  # real files + seeds 0-3
    python benchmarks/bench_soh_capacity.py --seeds 0 1 --no-real

For every real cycler log (``/work/shared/data/real``, read only; the files and
specs of ``bench_soh_resistance.py``: the battery the Logs page guesses, then the
rated cell where known) and for simulated packs of every chemistry under the
``cycle`` profile (cells at 90 % of the nominal capacity, typical sensor noise, 1 s
and 10 s logging): the SOH's capacity and how it was found, each full discharge
(cycle, Ah, source) and the discharge capacity of the per-cycle table
(:func:`~app.diagnostics.cycles.summarize_cycles`) of the same cycle, and the
largest difference between the two over the full discharges.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_soh_resistance import LOGS, REAL  # noqa: E402


def _compare(label: str, frame, spec) -> None:
    from app.diagnostics import calculate_soh
    from app.diagnostics.cycles import summarize_cycles

    soh = calculate_soh(frame, spec)
    table = summarize_cycles(frame, capacity_ah=spec.pack_capacity_ah)
    by_cycle = dict(zip(table["cycle_index"], table["discharge_capacity_ah"], strict=True))
    full = [r for r in soh.full_cycles if r["full"]]
    cap = "-" if soh.capacity_ah is None else f"{soh.capacity_ah:.6g} Ah"
    print(f"{label:60s} capacity {cap:>14s}  {soh.capacity_method or 'none'}")
    worst = 0.0
    for r in full:
        tab = by_cycle.get(r["cycle_index"])
        rel = None if not tab else r["discharge_capacity_ah"] / tab - 1
        if rel is not None:
            worst = max(worst, abs(rel))
        print(
            f"    cycle {r['cycle_index']:>4d}: full discharge {r['discharge_capacity_ah']:.6g} Ah "
            f"({r['capacity_source']}), table {tab if tab is None else format(tab, '.6g')} Ah"
            + ("" if rel is None else f"  {100 * rel:+.3f} %")
        )
    if full:
        print(f"    largest |full discharge / table - 1|: {100 * worst:.3f} %")


def real_files() -> None:
    from app.core.spec import preset
    from app.hardware.logs.formats import open_log
    from app.views.log_analysis import guess_spec

    print("real files (guessed battery, then the rated cell where known)")
    for name, known in LOGS.items():
        frame = open_log(str(REAL / name)).frame
        spec = guess_spec(frame)
        short = name.split("/")[-1][:28]
        _compare(f"{short} guess {spec.chemistry.value} {spec.capacity_ah:g} Ah", frame, spec)
        for chem, cap, bol in known:
            if bol is not None:
                continue  # (a resistance reference: the same capacity figures)
            _compare(f"{short} {chem} {cap:g} Ah", frame, preset(chem, capacity_ah=cap))


CASES = [("nmc", 5.0, 4), ("lfp", 100.0, 16), ("lead_acid", 100.0, 6)]


def simulated(seeds: list[int]) -> None:
    from app.core.spec import preset
    from app.hardware.simulator import NoiseSpec, simulate

    print(f"\nsimulated packs, cells at 90 % of nominal, 'cycle' profile, seeds {seeds}")
    for chem, cap, cells in CASES:
        spec = preset(chem, capacity_ah=cap, series_cells=cells)
        faded = spec.with_overrides(capacity_ah=0.9 * cap)
        for dt in (1.0, 10.0):
            for seed in seeds:
                block = simulate(
                    faded,
                    "cycle",
                    duration_s=40000,
                    dt_s=dt,
                    seed=seed,
                    noise=NoiseSpec.typical(spec),
                )
                label = f"{chem} {cells}s {cap:g} Ah (true {0.9 * cap:g}) dt {dt:g} s seed {seed}"
                _compare(label, block.to_frame(), spec)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    p.add_argument("--no-real", action="store_true")
    args = p.parse_args()
    warnings.simplefilter("ignore")
    if not args.no_real and REAL.exists():
        real_files()
    simulated(args.seeds)


if __name__ == "__main__":
    main()
