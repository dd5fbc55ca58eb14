"""Diagnostics: pure numpy/pandas/scipy, no Qt. See DESIGN.md "Diagnostics".

Each function takes a DataFrame in the canonical schema (capacity fade and
cycle life: a per-cycle table with ``cycle_index`` and
``discharge_capacity_ah``) and a ``BatterySpec``, and returns a frozen
dataclass whose ``to_dict()`` is plain JSON. The live engine runs the
incremental twins of the same code, so offline and live agree.
"""

import importlib

# name -> module: imported on first use, so that importing one diagnostic (the
# live engine at window start-up) does not import scipy and every other one.
_EXPORTS = {
    "LiveEngine": "live",
    "analyze_capacity_fade": "capacity_fade",
    "analyze_thermal": "thermal",
    "calculate_soc": "soc",
    "calculate_soh": "soh",
    "check_cell_balance": "cell_balance",
    "detect_faults": "faults",
    "estimate_cycle_life": "cycle_life",
    "measure_internal_resistance": "internal_resistance",
    "monitor_safety": "safety",
    "run_suite": "suite",
    "summarize_cycles": "cycles",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"app.diagnostics.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'app.diagnostics' has no attribute {name!r}")


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
