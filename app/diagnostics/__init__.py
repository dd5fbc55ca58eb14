"""Diagnostics: pure numpy/pandas, no Qt. See DESIGN.md "Diagnostics".

Implemented so far: SOC (coulomb counting anchored on OCV), cell balance,
safety limits, thermal summary and the per-cycle table. SOH, internal
resistance, capacity fade, cycle life and fault detection are not yet
implemented; ``run_suite`` reports them as None.
"""

from app.diagnostics.cell_balance import check_cell_balance
from app.diagnostics.cycles import summarize_cycles
from app.diagnostics.live import LiveEngine
from app.diagnostics.safety import monitor_safety
from app.diagnostics.soc import calculate_soc
from app.diagnostics.suite import run_suite
from app.diagnostics.thermal import analyze_thermal

__all__ = [
    "LiveEngine",
    "analyze_thermal",
    "calculate_soc",
    "check_cell_balance",
    "monitor_safety",
    "run_suite",
    "summarize_cycles",
]
