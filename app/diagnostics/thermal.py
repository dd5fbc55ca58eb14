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


class _Windows:
    """The RATE_WINDOW_S windows of the sample times ``t``: the first sample at least
    RATE_WINDOW_S after each one (``ends``, up to the last window) and the windows'
    lengths; found once for all the sensors without a gap."""

    def __init__(self, t: np.ndarray):
        j = _window_ends(t)
        k = int(np.searchsorted(j, len(t)))  # j is sorted: the valid windows are a prefix
        self.ends = j[:k]
        self.span = t[self.ends] - t[:k]


def _rate_c_per_min(
    t: np.ndarray, temp: np.ndarray, windows: _Windows | None = None
) -> float | None:
    """Highest rise rate over RATE_WINDOW_S; ``windows`` (of ``t``) is reused when the
    sensor has no gap."""
    ok = np.isfinite(temp)
    if windows is None or not ok.all():
        t, temp = t[ok], temp[ok]
        windows = None
    if len(t) < 2 or t[-1] - t[0] < RATE_WINDOW_S:
        return None
    w = _Windows(t) if windows is None else windows
    k = len(w.ends)
    if k == 0:
        return None
    rates = (temp[w.ends] - temp[:k]) / w.span * 60.0
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
    windows = _Windows(t) if len(t) > 1 else None
    rates = [
        r
        for name in names
        if (r := _rate_c_per_min(t, df[name].to_numpy(dtype=float), windows)) is not None
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
