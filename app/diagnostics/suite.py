"""run_suite: every diagnostic on one log, in the JSON shape of DESIGN.md."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.core.results import to_jsonable
from app.core.spec import BatterySpec
from app.diagnostics.cell_balance import check_cell_balance
from app.diagnostics.cycles import summarize_cycles
from app.diagnostics.safety import monitor_safety
from app.diagnostics.soc import calculate_soc
from app.diagnostics.soc_coulomb import SOC_COLUMN
from app.diagnostics.thermal import analyze_thermal

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: Result keys of DESIGN.md, in order. A key whose diagnostic is not yet
#: implemented is present with the value None.
RESULT_KEYS = (
    "soc",
    "soh",
    "internal_resistance",
    "capacity_fade",
    "cell_balance",
    "safety",
    "thermal",
    "cycle_life",
    "faults",
)


@dataclass
class SuiteOutput:
    results: dict
    cycles: pd.DataFrame
    timeseries: dict[str, np.ndarray]

    def to_dict(self) -> dict:
        return {
            "results": self.results,
            "cycles": to_jsonable(self.cycles.to_dict(orient="records")),
        }


def run_suite(df: pd.DataFrame, spec: BatterySpec) -> SuiteOutput:
    """Run the diagnostics on samples in the canonical schema."""
    soc_result, soc = calculate_soc(df, spec)
    results: dict = dict.fromkeys(RESULT_KEYS)
    results["soc"] = soc_result.to_dict()
    results["cell_balance"] = check_cell_balance(df, spec).to_dict()
    results["safety"] = monitor_safety(df, spec).to_dict()
    results["thermal"] = analyze_thermal(df, spec).to_dict()
    cycles = summarize_cycles(df, capacity_ah=spec.pack_capacity_ah)
    return SuiteOutput(results=results, cycles=cycles, timeseries={SOC_COLUMN: soc})
