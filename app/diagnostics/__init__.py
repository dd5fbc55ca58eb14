"""Diagnostics: pure numpy/pandas/scipy, no Qt. See DESIGN.md "Diagnostics".

Each function takes a DataFrame in the canonical schema (capacity fade and
cycle life: a per-cycle table with ``cycle_index`` and
``discharge_capacity_ah``) and a ``BatterySpec``, and returns a frozen
dataclass whose ``to_dict()`` is plain JSON. The live engine runs the
incremental twins of the same code, so offline and live agree.
"""

from app.diagnostics.capacity_fade import analyze_capacity_fade
from app.diagnostics.cell_balance import check_cell_balance
from app.diagnostics.cycle_life import estimate_cycle_life
from app.diagnostics.cycles import summarize_cycles
from app.diagnostics.faults import detect_faults
from app.diagnostics.internal_resistance import measure_internal_resistance
from app.diagnostics.live import LiveEngine
from app.diagnostics.safety import monitor_safety
from app.diagnostics.soc import calculate_soc
from app.diagnostics.soh import calculate_soh
from app.diagnostics.suite import run_suite
from app.diagnostics.thermal import analyze_thermal

__all__ = [
    "LiveEngine",
    "analyze_capacity_fade",
    "analyze_thermal",
    "calculate_soc",
    "calculate_soh",
    "check_cell_balance",
    "detect_faults",
    "estimate_cycle_life",
    "measure_internal_resistance",
    "monitor_safety",
    "run_suite",
    "summarize_cycles",
]
