"""How often the Logs page's battery guess (chemistry and series cells) is right.

Simulated logs of NMC, LFP and lead-acid packs (1 to 24 cells; drive, CC-CV,
CC and rest profiles; 20, 50 and 90 % initial SOC), an hour each, guessed
from the pack voltage alone and again with the cell-voltage columns; then the
real cycler files (their cells are single cells, see SOURCES.md), with a line when
the guess does not fit the file's voltages (the Logs page's warning).

    python benchmarks/bench_guess_battery.py
"""

from __future__ import annotations

import pandas as pd

from app.core import schema
from app.core.spec import preset
from app.hardware.simulator import simulate
from app.views.log_analysis import guess_chemistry
from tests.real_data import REAL_DATA

PACKS = [("nmc", n) for n in (1, 2, 4, 14)] + [("lfp", n) for n in (1, 4, 16)]
PACKS += [("lead_acid", n) for n in (1, 6, 24)]
REAL = [
    "arbin/2017-05-09_test-TC-contact_CH33.csv",
    "maccor/PredictionDiagnostics_000151_test.052",
    "neware/nw_regular_export_ife_example.csv",
    "biologic/GCPL-0.mpr",
    "biologic/MB-0.mpr",
    "bdf/SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv",
]


def main() -> None:
    right = {"pack voltage only": 0, "with cell voltages": 0}
    total = 0
    for chem, cells in PACKS:
        for profile in ("drive", "cccv", "cc", "rest"):
            for soc in (20.0, 50.0, 90.0):
                block = simulate(preset(chem, series_cells=cells), profile, duration_s=3600,
                                 dt_s=10, initial_soc_pct=None if profile == "cc" else soc)  # fmt: skip
                want = (preset(chem).chemistry, cells)
                pack = [schema.TIME, schema.VOLTAGE, schema.CURRENT]
                with_cells = pack + schema.cell_voltage_columns(block.columns)
                for label, columns in (("pack voltage only", pack),
                                       ("with cell voltages", with_cells)):  # fmt: skip
                    frame = pd.DataFrame({c: block[c] for c in columns})
                    right[label] += guess_chemistry(frame) == want
                total += 1
    for label, n in right.items():
        print(f"simulated logs, {label}: {n}/{total} right ({100 * n / total:.0f} %)")
    if REAL_DATA is None:
        print("real data folder not present")
        return
    from app.diagnostics.spec_fit import voltage_window_warning
    from app.hardware.logs.formats import open_log
    from app.views.log_analysis import guess_spec

    for name in REAL:
        frame = open_log(str(REAL_DATA / name), use_cache=False).frame
        chem, cells = guess_chemistry(frame)
        print(f"{name}: {chem.value}, {cells} cell{'s' if cells > 1 else ''}")
        # the nearest preset may still not describe the cell: the Logs page says so
        if misfit := voltage_window_warning(frame, guess_spec(frame)):
            print(f"    the guess does not fit: {misfit.split(': unless')[0]}")


if __name__ == "__main__":
    main()
