"""Thermal summary: temperatures, rate of rise, sensor spread, I²R heat, and a
thermal-runaway risk score with the evidence behind it.

**Rate of rise.** dT/dt is the least-squares slope over 120 s windows of each
sensor's own samples. An end-to-end difference over a short window turns sensor
noise and quantisation into fake rates (0.3 degC noise gave 4 degC/min on a pack
that warmed at 0.45 degC/min); the slope's standard error over 120 s of 1 Hz
samples is ~0.05 degC/min, and a runaway's rise (1 degC/min and doubling) still
stands out within a window.

**Runaway risk** (0-100, a screening score, not a probability): the highest of
four factor scores, each 0 below its "normal" end and 100 at its "alarm" end,
linear between, and each reported as evidence:

* ``temperature``: the hottest reading, 0 at 10 K below the chemistry's upper
  operating limit (``discharge_temp_max_c``), 100 at 20 K above it -- the lower
  end of the self-heating onsets (T1, ~80-120 degC for Li-ion cells) of Feng et
  al., "Thermal runaway mechanism of lithium ion battery for electric vehicles:
  a review", Energy Storage Mater. 10 (2018) 246.
* ``excess_rise_rate``: the fastest rise less the fastest the battery's own
  Joule heat can explain (adiabatic: the largest I² R_dc of a cell over its heat
  capacity, from the spec's ECM), 0 at 0.5 degC/min, 100 at 2 degC/min (pack
  practice alarms at 1-2 degC/min; see :mod:`app.diagnostics.faults.thermal`).
* ``hot_spot``: the largest spread between cell sensors, 0 at 5 K (the usual
  design target for a pack's cell-to-cell spread), 100 at 15 K.
* ``runaway_onset``: a ``thermal_runaway_onset`` fault of :func:`detect_faults`
  (passed in as ``faults``), 100.

Levels: below 20 ``low``, below 50 ``elevated``, below 80 ``high``, else ``critical``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.results import DiagnosticResult
from app.core.spec import BatterySpec

if TYPE_CHECKING:
    import pandas as pd

RATE_WINDOW_S = 120.0
#: (normal, alarm) ends of the risk factors (see the module docstring).
TEMPERATURE_BELOW_LIMIT_K = 10.0
TEMPERATURE_ABOVE_LIMIT_K = 20.0
EXCESS_RATE_C_PER_MIN = (0.5, 2.0)
HOT_SPOT_SPREAD_C = (5.0, 15.0)
RUNAWAY_FAULT = "thermal_runaway_onset"


class RiskLevel(StrEnum):
    LOW = "low"
    ELEVATED = "elevated"
    HIGH = "high"
    CRITICAL = "critical"

    @staticmethod
    def of(score: float) -> RiskLevel:
        if score < 20:
            return RiskLevel.LOW
        if score < 50:
            return RiskLevel.ELEVATED
        return RiskLevel.HIGH if score < 80 else RiskLevel.CRITICAL


@dataclass(frozen=True)
class RiskEvidence:
    factor: str
    value: float  #: in the factor's unit (degC, degC/min, K; the fault's start time, s)
    normal: float  #: where the factor's score starts rising from 0
    alarm: float  #: where it reaches 100
    score: float  #: 0-100
    detail: str


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
    joule_rise_rate_c_per_min: float | None = None  #: the fastest rise I² R explains
    runaway_risk_score: float | None = None  #: 0-100; None without a temperature
    runaway_risk_level: RiskLevel | None = None
    runaway_risk_evidence: list[RiskEvidence] = field(default_factory=list)


def _window_ends(t: np.ndarray) -> np.ndarray:
    """Index of the first sample at least RATE_WINDOW_S after each sample."""
    return np.searchsorted(t, t + RATE_WINDOW_S)


def _rate_c_per_min(
    t: np.ndarray, temp: np.ndarray, ends: np.ndarray | None = None
) -> float | None:
    """Highest least-squares slope over RATE_WINDOW_S windows (degC/min); ``ends``
    (:func:`_window_ends` of ``t``) is reused when the sensor has no gap, so that
    several sensors search once."""
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
    # window i holds samples i..j[i]; sums from cumulative sums, time and temperature
    # taken from their first values (less cancellation)
    x = t - t[0]
    y = temp - temp[0]
    cs = [np.concatenate(([0.0], np.cumsum(a))) for a in (np.ones_like(x), x, y, x * x, x * y)]
    lo, hi = np.arange(k), j[:k] + 1
    n, sx, sy, sxx, sxy = (c[hi] - c[lo] for c in cs)
    den = n * sxx - sx * sx
    rates = (n * sxy - sx * sy) / np.where(den > 0, den, np.inf) * 60.0
    return float(np.max(rates))


def _ramp(value: float, normal: float, alarm: float) -> float:
    return float(100.0 * min(max((value - normal) / (alarm - normal), 0.0), 1.0))


def _joule_rate_c_per_min(i: np.ndarray, spec: BatterySpec) -> float | None:
    """The fastest adiabatic rise of a cell by its own I² R_dc (degC/min)."""
    if spec.ecm is None or not len(i):
        return None
    p = spec.ecm.for_capacity(spec.capacity_ah)
    r_cell = p["r0_ohm"] + p["r1_ohm"] + p["r2_ohm"]
    i_cell = float(np.max(np.abs(i))) / spec.parallel_strings
    return i_cell**2 * r_cell / p["heat_capacity_j_per_k"] * 60.0


def runaway_risk(
    spec: BatterySpec,
    *,
    max_temperature_c: float,
    max_rise_rate_c_per_min: float | None,
    joule_rise_rate_c_per_min: float | None,
    max_sensor_spread_c: float | None,
    faults: list[dict] | None = None,
) -> tuple[float, RiskLevel, list[RiskEvidence]]:
    """The risk score, its level and the evidence of every factor (see the module docstring)."""
    limit = spec.discharge_temp_max_c
    normal, alarm = limit - TEMPERATURE_BELOW_LIMIT_K, limit + TEMPERATURE_ABOVE_LIMIT_K
    evidence = [
        RiskEvidence(
            "temperature",
            max_temperature_c,
            normal,
            alarm,
            _ramp(max_temperature_c, normal, alarm),
            f"hottest {max_temperature_c:.1f} degC; operating limit {limit:g} degC",
        )
    ]
    if max_rise_rate_c_per_min is not None:
        joule = joule_rise_rate_c_per_min or 0.0
        excess = max_rise_rate_c_per_min - joule
        evidence.append(
            RiskEvidence(
                "excess_rise_rate",
                excess,
                *EXCESS_RATE_C_PER_MIN,
                _ramp(excess, *EXCESS_RATE_C_PER_MIN),
                f"fastest rise {max_rise_rate_c_per_min:.2f} degC/min, of which the "
                f"battery's own I2R heat explains up to {joule:.2f} degC/min",
            )
        )
    if max_sensor_spread_c is not None:
        evidence.append(
            RiskEvidence(
                "hot_spot",
                max_sensor_spread_c,
                *HOT_SPOT_SPREAD_C,
                _ramp(max_sensor_spread_c, *HOT_SPOT_SPREAD_C),
                f"largest spread between cell sensors {max_sensor_spread_c:.1f} K",
            )
        )
    for f in faults or []:
        if f.get("kind") == RUNAWAY_FAULT:
            start = float(f["start_time_s"])
            evidence.append(
                RiskEvidence(
                    "runaway_onset",
                    start,
                    start,
                    start,
                    100.0,
                    f"thermal-runaway onset on {f.get('channel')} from {start:g} s",
                )
            )
            break
    score = max(e.score for e in evidence)
    return score, RiskLevel.of(score), evidence


def analyze_thermal(
    df: pd.DataFrame, spec: BatterySpec, *, faults: list[dict] | None = None
) -> ThermalResult:
    """Thermal summary of a log; ``faults``: :func:`detect_faults`'s list on the
    same log, whose runaway onsets count as risk evidence."""
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
    joule = _joule_rate_c_per_min(i, spec)
    if not names:
        return ThermalResult(0, None, None, None, None, None, heat_w, heat_j, joule)
    temps = df[names].to_numpy(dtype=float)
    if not np.isfinite(temps).any():
        return ThermalResult(len(names), None, None, None, None, None, heat_w, heat_j, joule)
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
    t_max = float(np.nanmax(temps))
    rate = max(rates) if rates else None
    score, level, evidence = runaway_risk(
        spec,
        max_temperature_c=t_max,
        max_rise_rate_c_per_min=rate,
        joule_rise_rate_c_per_min=joule,
        max_sensor_spread_c=spread,
        faults=faults,
    )
    return ThermalResult(
        sensors=len(names),
        max_temperature_c=t_max,
        mean_temperature_c=float(np.nanmean(temps)),
        min_temperature_c=float(np.nanmin(temps)),
        max_rise_rate_c_per_min=rate,
        max_sensor_spread_c=spread,
        mean_heat_w=heat_w,
        total_heat_j=heat_j,
        joule_rise_rate_c_per_min=joule,
        runaway_risk_score=score,
        runaway_risk_level=level,
        runaway_risk_evidence=evidence,
    )
