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

Figures of the session that ran a full discharge to the end of the discharge (its
cut-off) rather than to its first sample within 5 % of it, counted with the table's
increments (default command, before -> after): no real file under its guessed or
rated spec has a full cycle or a capacity SOH (unchanged); the Landt half cell between
its own 0.01-1.0 V, 4.4 mAh (-30 % against the table's 6.3, its counter at 0.06 V) ->
6.3 mAh (+0.000 %). Simulated, the largest |full discharge / table - 1| over the seeds:
NMC 0.55-0.56 % -> 0.08-0.09 % (1 s), 0.35-0.64 % -> 0.08-0.22 % (10 s); LFP
0.40-0.44 -> 0.07-0.09 % (1 s), 0.17-0.49 -> 0.08-0.11 % (10 s); lead-acid 0.39-0.43
-> 0.07-0.09 % (1 s), 0.21-0.62 -> 0.07-0.21 % (10 s); the full discharges 0.2-0.5 %
higher. What is left is what the table counts that is no
discharge from full to empty (see :mod:`app.diagnostics.soh`): negative noise at rest,
and the interval into the discharge counted in the cycle before. Noise-free (the CLI
user's ``simulate --chemistry lfp --cells 16 --capacity-ah 100 --profile cycle``):
98.57 Ah against 98.92 -> 98.92 both.

A drive with regenerative braking (``drive``: a new 5 Ah NMC cell, 1 s, seeds 0-1,
with and without noise), the session that split a current reversal inside a sample
interval at its zero crossing, added the table's net discharge and ran a full discharge
from the highest full charge to the last cut-off before the next one (``--drive-only``,
before -> after): SOH capacity 95.3 / 94.6 / 93.0 / 93.0 % -> 100.05 / 100.03 / 98.05 /
98.03 % (full discharges 4.65-4.77 -> 4.90-5.02 Ah; the table's net discharge from full
to the cut-off 5.03 / 4.92 Ah); the table's CE 1.0057-1.0062 -> 0.9997-1.0003; the fade's
first cycles 6.26 / 5.90 Ah (1.25 / 1.18 of nominal) -> 5.03 / 4.93 Ah (1.006 / 0.984).
The ``cycle`` profile's largest |full discharge / table - 1| then: 1 s 0.074-0.094 % ->
0.060-0.064 %, 10 s 0.078-0.222 % -> 0.103-0.139 %; the real files unchanged.
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
    # the Landt Li/graphite half cell between its own limits (0.01-1.0 V): full cycles
    frame = open_log(str(REAL / "bdf/SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv")).frame
    spec = preset("nmc", capacity_ah=0.006).with_overrides(cell_v_min=0.01, cell_v_max=1.0)
    _compare("SINTEF Landt half cell 0.006 Ah, 0.01-1.0 V", frame, spec)


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


def drive(seeds: list[int]) -> None:
    """A new 5 Ah NMC cell driven from full to the cut-off and recharged (the CLI
    user's ``simulate --profile drive``): its full discharges against the table's
    discharge (all that went out, braking's included) and net discharge."""
    from app.core.spec import preset
    from app.diagnostics import calculate_soh
    from app.diagnostics.cycles import summarize_cycles
    from app.diagnostics.suite import lifetime_cycles, lifetime_results
    from app.hardware.simulator import NoiseSpec, simulate

    spec = preset("nmc", capacity_ah=5.0)
    print(f"\nsimulated drive, nmc 1s 5 Ah (new), 1 s, 7 cycles, seeds {seeds}")
    for seed in seeds:
        for noise in (None, NoiseSpec.typical(spec)):
            frame = simulate(
                spec, "drive", duration_s=280_000, dt_s=1.0, seed=seed, noise=noise
            ).to_frame()
            soh = calculate_soh(frame, spec)
            table = summarize_cycles(frame, capacity_ah=spec.pack_capacity_ah)
            done = table[~table["partial"]]
            net = done.get("net_discharge_capacity_ah")
            ce = done["coulombic_efficiency"]
            full = [r["discharge_capacity_ah"] for r in soh.full_cycles if r["full"]]
            fade, _ = lifetime_results(
                lifetime_cycles(table, measured_charge=True), spec, 0.8, spec.pack_capacity_ah
            )
            label = f"seed {seed} {'typical noise' if noise else 'no noise'}"
            print(
                f"  {label:24s} SOH capacity {soh.soh_capacity_percent or float('nan'):.2f} %, "
                f"full discharges {min(full, default=0):.4f}-{max(full, default=0):.4f} Ah; "
                f"table: discharge {done['discharge_capacity_ah'].mean():.4f} Ah, net "
                + ("n/a" if net is None else f"{net.mean():.4f} Ah")
                + f", CE {ce.min():.4f}-{ce.max():.4f}; fade: first cycles "
                f"{fade['initial_capacity_ah']:.4f} Ah, {fade['retention_vs_nominal']:.3f} of nominal"
            )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    p.add_argument("--no-real", action="store_true")
    p.add_argument("--drive-only", action="store_true", help="only the drive logs")
    args = p.parse_args()
    warnings.simplefilter("ignore")
    if not args.drive_only:
        if not args.no_real and REAL.exists():
            real_files()
        simulated(args.seeds)
    drive(args.seeds[:2])


if __name__ == "__main__":
    main()
