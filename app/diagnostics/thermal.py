"""Thermal summary: temperatures, rate of rise, sensor spread and I²R heat."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.results import DiagnosticResult
from app.core.spec import BatterySpec

if TYPE_CHECKING:
    import pandas as pd

# dT/dt is taken over a 30 s window: temperature sensors quantise to 0.1..1 degC,
# so shorter windows turn quantisation steps into fake rates.
RATE_WINDOW_S = 30.0


@dataclass(frozen=True)
class ThermalResult(DiagnosticResult):
    sensors: int
    max_temperature_c: float | None
    mean_temperature_c: float | None
    min_temperature_c: float | None
    max_rise_rate_c_per_min: float | None
    max_sensor_spread_c: float | None
    mean_heat_w: float | None  # I² R with R the spec's DC resistance
    total_heat_j: float | None


def _window_ends(t: np.ndarray) -> np.ndarray:
    """Index of the first sample at least RATE_WINDOW_S after each sample."""
    return np.searchsorted(t, t + RATE_WINDOW_S)


def _rate_c_per_min(
    t: np.ndarray, temp: np.ndarray, ends: np.ndarray | None = None
) -> float | None:
    """Highest rise rate over RATE_WINDOW_S; ``ends`` (:func:`_window_ends` of ``t``)
    is reused when the sensor has no gap, so that several sensors search once."""
    ok = np.isfinite(temp)
    if ends is None or not ok.all():
        t, temp = t[ok], temp[ok]
        ends = None
    if len(t) < 2 or t[-1] - t[0] < RATE_WINDOW_S:
        return None
    j = _window_ends(t) if ends is None else ends
    k = int(np.searchsorted(j, len(t)))  # j is sorted: the valid windows are a prefix
    if k == 0:
        return None
    jk = j[:k]
    rates = (temp[jk] - temp[:k]) / (t[jk] - t[:k]) * 60.0
    return float(np.max(rates))


def analyze_thermal(df: pd.DataFrame, spec: BatterySpec) -> ThermalResult:
    names = (
        [schema.TEMPERATURE] if schema.TEMPERATURE in df.columns else []
    ) + schema.cell_temperature_columns(df.columns)
    t = df[schema.TIME].to_numpy(dtype=float)
    i = np.nan_to_num(df[schema.CURRENT].to_numpy(dtype=float))
    heat_w = heat_j = None
    if spec.ecm is not None:
        p = spec.ecm.for_capacity(spec.capacity_ah)
        # DC resistance of the pack: series cells add, parallel strings divide
        r_pack = (
            (p["r0_ohm"] + p["r1_ohm"] + p["r2_ohm"]) * spec.series_cells / spec.parallel_strings
        )
        q = i**2 * r_pack
        if len(t) > 1:
            heat_j = float(np.sum(0.5 * (q[1:] + q[:-1]) * np.diff(t)))
            heat_w = heat_j / (t[-1] - t[0]) if t[-1] > t[0] else None
    if not names:
        return ThermalResult(0, None, None, None, None, None, heat_w, heat_j)
    temps = df[names].to_numpy(dtype=float)
    if not np.isfinite(temps).any():
        return ThermalResult(len(names), None, None, None, None, None, heat_w, heat_j)
    ends = _window_ends(t) if len(t) > 1 else None
    rates = [
        r for n in range(temps.shape[1]) if (r := _rate_c_per_min(t, temps[:, n], ends)) is not None
    ]
    cell_temps = temps[:, 1:] if names[0] == schema.TEMPERATURE and len(names) > 2 else temps
    spread = None
    if cell_temps.shape[1] > 1:
        # fmax/fmin skip NaN and give NaN for a row without readings (no warning:
        # the first rows of a CAN stream often have no cell temperatures yet)
        sp = np.fmax.reduce(cell_temps, axis=1) - np.fmin.reduce(cell_temps, axis=1)
        spread = float(np.nanmax(sp)) if np.isfinite(sp).any() else None
    return ThermalResult(
        sensors=len(names),
        max_temperature_c=float(np.nanmax(temps)),
        mean_temperature_c=float(np.nanmean(temps)),
        min_temperature_c=float(np.nanmin(temps)),
        max_rise_rate_c_per_min=max(rates) if rates else None,
        max_sensor_spread_c=spread,
        mean_heat_w=heat_w,
        total_heat_j=heat_j,
    )
