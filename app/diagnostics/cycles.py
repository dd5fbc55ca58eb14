"""Per-cycle summary: capacity, energy and efficiency of each charge/discharge cycle.

Cycle boundaries come from the data's ``cycle_index`` when present; otherwise a
new cycle starts where charging begins after a discharge (a cycler's usual
"discharge then charge" or "charge then discharge" both give one cycle per
charge/discharge pair).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.core import schema

if TYPE_CHECKING:
    import pandas as pd

CYCLE_COLUMNS = (
    "cycle_index",
    "start_time_s",
    "duration_s",
    "charge_capacity_ah",
    "discharge_capacity_ah",
    "coulombic_efficiency",
    "charge_energy_wh",
    "discharge_energy_wh",
    "energy_efficiency",
    "mean_temperature_c",
    "max_temperature_c",
    "end_of_charge_voltage_v",
    "end_of_discharge_voltage_v",
)


def current_threshold_a(current: np.ndarray, capacity_ah: float | None = None) -> float:
    """Below this magnitude the battery is taken to be at rest (C/50, or 2 % of the peak).

    C/50 sits above the noise of typical current sensors at rest (~0.5 % of 1C)
    and below the C/20 end of a CC-CV charge.
    """
    if capacity_ah:
        return 0.02 * capacity_ah
    peak = np.nanmax(np.abs(current)) if len(current) else 0.0
    return 0.02 * peak if peak > 0 else 1e-9


def detect_cycles(current: np.ndarray, threshold_a: float) -> np.ndarray:
    """Cycle number (1-based) of every sample, from the sign of the current."""
    state = np.zeros(len(current), dtype=np.int8)
    state[current > threshold_a] = 1
    state[current < -threshold_a] = -1
    active = np.flatnonzero(state != 0)
    cycle = np.ones(len(current), dtype=np.int64)
    if active.size < 2:
        return cycle
    s = state[active]
    # a new cycle begins at a charge sample whose previous active sample discharged
    starts = active[1:][(s[1:] == 1) & (s[:-1] == -1)]
    marks = np.zeros(len(current), dtype=np.int64)
    marks[starts] = 1
    return cycle + np.cumsum(marks)


def _trapezoid_increments(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-interval integral of y over t, assigned to the interval's start sample.

    Trapezoidal where the interval keeps its sign; where the current starts or
    stops within an interval, the value at its start is held (a step change
    between two log samples).
    """
    inc = np.zeros(len(t))
    if len(t) > 1:
        y0, y1, dt = y[:-1], y[1:], np.diff(t)
        inc[:-1] = np.where(np.sign(y0) == np.sign(y1), 0.5 * (y0 + y1) * dt, y0 * dt)
    return inc


def _ratio(out: float, into: float) -> float | None:
    """out/into for a complete cycle, else None.

    A cycle counts as complete when its two halves are within 20 % of each
    other (real coulombic efficiencies run 0.85-1.0): an efficiency of a
    partial cycle (a drive trace with some regen, a log starting mid-charge)
    says nothing about the cell.
    """
    if into <= 0 or out <= 0 or min(out, into) < 0.8 * max(out, into):
        return None
    return float(out / into)


def summarize_cycles(df: pd.DataFrame, capacity_ah: float | None = None) -> pd.DataFrame:
    """One row per cycle with the columns of :data:`CYCLE_COLUMNS`."""
    import pandas as pd

    t = df[schema.TIME].to_numpy(dtype=float)
    i = np.nan_to_num(df[schema.CURRENT].to_numpy(dtype=float))
    v = df[schema.VOLTAGE].to_numpy(dtype=float)
    if schema.CYCLE_INDEX in df.columns and df[schema.CYCLE_INDEX].notna().any():
        cycle = df[schema.CYCLE_INDEX].ffill().bfill().to_numpy().astype(np.int64)
    else:
        cycle = detect_cycles(i, current_threshold_a(i, capacity_ah))
    # Split each interval's charge by its sign so a cycle's charge and
    # discharge capacities are both positive numbers.
    i_chg = np.clip(i, 0, None)
    i_dis = np.clip(-i, 0, None)
    q_chg = _trapezoid_increments(t, i_chg) / 3600.0
    q_dis = _trapezoid_increments(t, i_dis) / 3600.0
    e_chg = _trapezoid_increments(t, i_chg * v) / 3600.0
    e_dis = _trapezoid_increments(t, i_dis * v) / 3600.0
    temp = df[schema.TEMPERATURE].to_numpy(dtype=float) if schema.TEMPERATURE in df else None
    thr = current_threshold_a(i, capacity_ah)

    rows = []
    boundaries = np.flatnonzero(np.diff(cycle)) + 1
    for idx in np.split(np.arange(len(t)), boundaries):
        if idx.size == 0:
            continue
        # each interval is counted in the cycle of the sample that starts it
        qc, qd = q_chg[idx].sum(), q_dis[idx].sum()
        ec, ed = e_chg[idx].sum(), e_dis[idx].sum()
        chg = idx[i[idx] > thr]
        dis = idx[i[idx] < -thr]
        row = {
            "cycle_index": int(cycle[idx[0]]),
            "start_time_s": float(t[idx[0]]),
            "duration_s": float(t[idx[-1]] - t[idx[0]]),
            "charge_capacity_ah": float(qc),
            "discharge_capacity_ah": float(qd),
            "coulombic_efficiency": _ratio(qd, qc),
            "charge_energy_wh": float(ec),
            "discharge_energy_wh": float(ed),
            "energy_efficiency": _ratio(ed, ec),
            "mean_temperature_c": None,
            "max_temperature_c": None,
            "end_of_charge_voltage_v": float(v[chg[-1]]) if chg.size else None,
            "end_of_discharge_voltage_v": float(v[dis[-1]]) if dis.size else None,
        }
        if temp is not None and np.isfinite(temp[idx]).any():
            row["mean_temperature_c"] = float(np.nanmean(temp[idx]))
            row["max_temperature_c"] = float(np.nanmax(temp[idx]))
        rows.append(row)
    return pd.DataFrame(rows, columns=list(CYCLE_COLUMNS))
