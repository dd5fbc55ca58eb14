"""Safety: the chemistry's limits (cell voltage, current, temperature windows for
charge and discharge), each with a severity and a debounce time.

A limit is *violated* once the value has stayed beyond it for ``debounce_s``.
Beyond the limit by less than the warning margin is a warning; further is
critical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.results import DiagnosticResult, Severity
from app.core.spec import BatterySpec
from app.diagnostics.runs import debounced_run_bounds, run_reduce

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_DEBOUNCE_S = 2.0
# Margins beyond a limit that are still only a warning: 2 % of a voltage limit
# (sensor tolerance of a typical BMS AFE is +-10..25 mV per cell), 10 % of a
# current limit (datasheet continuous ratings have peak allowances), 3 degC.
VOLTAGE_MARGIN = 0.02
CURRENT_MARGIN = 0.10
TEMPERATURE_MARGIN_C = 3.0


@dataclass(frozen=True)
class SafetyEvent(DiagnosticResult):
    check: str
    channel: str
    severity: Severity
    limit: float
    worst_value: float
    start_time_s: float
    end_time_s: float


@dataclass(frozen=True)
class SafetyResult(DiagnosticResult):
    status: str  # ok | warning | critical
    debounce_s: float
    limits: dict
    events: list[SafetyEvent] = field(default_factory=list)


def _events(check, channel, t, value, beyond, limit, margin, upper, debounce_s):
    """Debounced episodes of ``beyond``; ``limit`` is a number or one per sample
    (a temperature window that depends on whether the battery charges)."""
    starts, stops = debounced_run_bounds(t, beyond, debounce_s)
    if not len(starts):
        return []
    limit = np.broadcast_to(np.asarray(limit, dtype=float), value.shape)
    # (inside a run value and limit compare, so neither is NaN: max and min are
    # np.nanmax's and np.nanmin's, found for all runs at once)
    worst = run_reduce(np.maximum if upper else np.minimum, value, starts, stops)
    with np.errstate(invalid="ignore"):
        gap = value - limit if upper else limit - value
    excess = run_reduce(np.maximum, gap, starts, stops)
    warning, critical = Severity.WARNING, Severity.CRITICAL
    return [
        SafetyEvent(
            check,
            channel,
            warning if e <= margin else critical,
            lim,
            w,
            ta,
            tb,
        )
        for e, lim, w, ta, tb in zip(
            excess.tolist(),
            limit[starts].tolist(),
            worst.tolist(),
            t[starts].tolist(),
            t[stops - 1].tolist(),
            strict=True,
        )
    ]


def safety_limits(spec: BatterySpec) -> dict:
    return {
        "cell_v_min": spec.cell_v_min,
        "cell_v_max": spec.cell_v_max,
        "max_charge_current_a": spec.max_charge_current_a,
        "max_discharge_current_a": spec.max_discharge_current_a,
        "charge_temp_min_c": spec.charge_temp_min_c,
        "charge_temp_max_c": spec.charge_temp_max_c,
        "discharge_temp_min_c": spec.discharge_temp_min_c,
        "discharge_temp_max_c": spec.discharge_temp_max_c,
    }


def monitor_safety(
    df: pd.DataFrame, spec: BatterySpec, debounce_s: float = DEFAULT_DEBOUNCE_S
) -> SafetyResult:
    """Check every sample against the spec's limits."""
    t = df[schema.TIME].to_numpy(dtype=float)
    i = df[schema.CURRENT].to_numpy(dtype=float)
    events: list[SafetyEvent] = []
    cells = schema.cell_voltage_columns(df.columns)
    v_channels = [(c, df[c].to_numpy(dtype=float)) for c in cells] or [
        ("voltage_v/cell", df[schema.VOLTAGE].to_numpy(dtype=float) / spec.series_cells)
    ]
    for name, v in v_channels:
        with np.errstate(invalid="ignore"):
            events += _events(
                "cell_over_voltage",
                name,
                t,
                v,
                v > spec.cell_v_max,
                spec.cell_v_max,
                VOLTAGE_MARGIN * spec.cell_v_max,
                True,
                debounce_s,
            )
            events += _events(
                "cell_under_voltage",
                name,
                t,
                v,
                v < spec.cell_v_min,
                spec.cell_v_min,
                VOLTAGE_MARGIN * spec.cell_v_min,
                False,
                debounce_s,
            )
    with np.errstate(invalid="ignore"):
        events += _events(
            "over_current_charge",
            schema.CURRENT,
            t,
            i,
            i > spec.max_charge_current_a,
            spec.max_charge_current_a,
            CURRENT_MARGIN * spec.max_charge_current_a,
            True,
            debounce_s,
        )
        events += _events(
            "over_current_discharge",
            schema.CURRENT,
            t,
            -i,
            -i > spec.max_discharge_current_a,
            spec.max_discharge_current_a,
            CURRENT_MARGIN * spec.max_discharge_current_a,
            True,
            debounce_s,
        )
    temps = schema.cell_temperature_columns(df.columns)
    if schema.TEMPERATURE in df.columns:
        temps = [schema.TEMPERATURE, *temps]
    charging = i > 0.01 * spec.pack_capacity_ah
    hot_limit = np.where(charging, spec.charge_temp_max_c, spec.discharge_temp_max_c)
    cold_limit = np.where(charging, spec.charge_temp_min_c, spec.discharge_temp_min_c)
    for name in temps:
        temp = df[name].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            events += _events(
                "over_temperature",
                name,
                t,
                temp,
                temp > hot_limit,
                hot_limit,
                TEMPERATURE_MARGIN_C,
                True,
                debounce_s,
            )
            events += _events(
                "under_temperature",
                name,
                t,
                temp,
                temp < cold_limit,
                cold_limit,
                TEMPERATURE_MARGIN_C,
                False,
                debounce_s,
            )
    events.sort(key=lambda e: e.start_time_s)
    status = "ok"
    if any(e.severity == Severity.CRITICAL for e in events):
        status = "critical"
    elif events:
        status = "warning"
    return SafetyResult(
        status=status, debounce_s=debounce_s, limits=safety_limits(spec), events=events
    )
