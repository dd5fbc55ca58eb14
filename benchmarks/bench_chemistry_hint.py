"""How often ``analyze`` tells a wrong chemistry, and how often it cries wolf.

Simulated NMC, LFP and lead-acid logs (1 and 4 cells; cycle, CC-CV, CC, HPPC, drive,
rest profiles; 20/50/90 % initial SOC; typical sensor noise; two seeds), each read
with every chemistry preset at its true capacity. A log read with its own chemistry
that gets a chemistry warning is a false alarm; one read with another chemistry is a
hit when any of the battery-misfit warnings fires (the voltage window's, the pinned
SOC's, or the new in-window evidence: :mod:`app.diagnostics.chemistry_evidence`),
counted per warning and per whether the hint names the true chemistry. Then every
real cycler file with its own chemistry (no warning wanted) and with the others.

    python benchmarks/bench_chemistry_hint.py [--quick]
"""

from __future__ import annotations

import sys
from collections import Counter

from app.core.spec import preset
from app.diagnostics import run_suite
from app.diagnostics.chemistry_evidence import chemistry_warning
from app.diagnostics.spec_fit import pinned_soc_warning, voltage_window_warning
from app.hardware.simulator import NoiseSpec, simulate
from tests.real_data import REAL_DATA

CHEMS = ("nmc", "lfp", "lead_acid")
PROFILES = ("cycle", "cccv", "cc", "hppc", "drive", "rest")
#: each real file, with its chemistry (None: no preset's, see SOURCES.md)
REAL = {
    "arbin/2017-05-09_test-TC-contact_CH33.csv": ("lfp", 1.1),  # A123 LFP
    "maccor/PredictionDiagnostics_000151_test.052": ("nmc", 4.84),  # 3.86 V under 1C
    "neware/nw_regular_export_ife_example.csv": (None, 0.33),  # 3.9-4.7 V cathode
    "biologic/GCPL-0.mpr": (None, 1.0),  # 4 samples at rest, 3.52 V
    "biologic/MB-0.mpr": (None, 1.0),
    "bdf/SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv": (None, 0.003),  # half cell
}


def warnings_of(frame, spec) -> tuple[str | None, str | None]:
    """(which warning, its text): the chain ``analyze`` uses (window, pinned, chemistry)."""
    if w := voltage_window_warning(frame, spec):
        return "window", w
    soc = run_suite(frame, spec).results.get("soc")
    if w := pinned_soc_warning(frame, spec, soc):
        return "pinned", w
    if w := chemistry_warning(frame, spec):
        return "chemistry", w
    return None, None


def main() -> None:
    quick = "--quick" in sys.argv
    seeds = (1,) if quick else (1, 2)
    socs = (50.0,) if quick else (20.0, 50.0, 90.0)
    false_alarm, own_total = Counter(), Counter()
    hits, named_right, wrong_total = Counter(), Counter(), Counter()
    for true in CHEMS:
        for cells in (1, 4):
            for profile in PROFILES:
                for soc in socs:
                    for seed in seeds:
                        cap = 100.0 if true == "lead_acid" else 5.0
                        spec = preset(true, capacity_ah=cap, series_cells=cells)
                        block = simulate(spec, profile, duration_s=20000, dt_s=10, seed=seed,
                                         initial_soc_pct=soc, noise=NoiseSpec.typical(spec))  # fmt: skip
                        frame = block.to_frame()
                        for read_as in CHEMS:
                            as_spec = preset(read_as, capacity_ah=cap, series_cells=cells)
                            if read_as == true:
                                own_total[true] += 1
                                if w := chemistry_warning(frame, as_spec):
                                    false_alarm[true] += 1
                                    print(f"  false alarm: {true} {profile} {soc} {seed}: {w}")
                                continue
                            key = (true, read_as)
                            wrong_total[key] += 1
                            which, text = warnings_of(frame, as_spec)
                            if which:
                                hits[(key, which)] += 1
                                named_right[key] += f"--chemistry {true}" in text
    print("simulated logs read with their own chemistry (chemistry warning = false alarm):")
    for chem in CHEMS:
        print(f"  {chem:9}: {false_alarm[chem]}/{own_total[chem]} false alarms")
    print("simulated logs read with another chemistry (hits by warning; hint names it right):")
    for key, n in sorted(wrong_total.items()):
        by = ", ".join(f"{w} {hits[(key, w)]}" for w in ("window", "pinned", "chemistry"))
        total = sum(hits[(key, w)] for w in ("window", "pinned", "chemistry"))
        print(
            f"  {key[0]:9} read as {key[1]:9}: {total}/{n} warned ({by}); "
            f"names {key[0]} {named_right[key]}/{n}"
        )
    if REAL_DATA is None:
        print("real data folder not present")
        return
    from app.hardware.logs.formats import open_log

    print("real files (chemistry warning with the file's own chemistry = false alarm):")
    for name, (own, cap) in REAL.items():
        frame = open_log(str(REAL_DATA / name), use_cache=False).frame
        for read_as in CHEMS:
            w = chemistry_warning(frame, preset(read_as, capacity_ah=cap))
            tag = "own" if read_as == own else "other"
            verdict = (
                ("FALSE ALARM" if w else "quiet")
                if tag == "own"
                else ("hint: " + w.split(":")[0] if w else "no chemistry warning")
            )
            print(f"  {name} as {read_as} ({tag}): {verdict}")


if __name__ == "__main__":
    main()
