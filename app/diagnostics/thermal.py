"""Thermal summary: temperatures, rate of rise, sensor spread, I²R heat, and a
thermal-runaway risk score with the evidence behind it.

**Rate of rise.** dT/dt is the least-squares slope over 120 s windows (from
each sample to the first one 120 s later) of each sensor's finite samples in
the window; a window counts for a sensor when those samples spread in time at
least as much as 60 s of even sampling (a sensor read only at both ends of the
window, or only in half of it, says too little). An end-to-end difference over a short window turns sensor
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

**Heat** is ``I² R`` with R the pack's measured 10 s resistance
(:func:`~app.diagnostics.internal_resistance.measure_internal_resistance`, the
live engine's resistance tracker) when there is one, else the DC resistance of
the spec's ECM (series cells add, parallel strings divide).

:class:`ThermalTracker` is the incremental diagnostic (live engine);
:func:`analyze_thermal` runs it on a whole log. The window sums are cumulative
sums anchored every :data:`ANCHOR_SAMPLES` samples from the start (times and
temperatures taken from the anchor's, so the sums stay small), so the rates are
the same bits however the samples came in blocks; the mean temperature and the
heat are running sums (the same up to round-off, ~1e-15 relative).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.results import DiagnosticResult
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.incremental import as_block

if TYPE_CHECKING:
    import pandas as pd

    from app.diagnostics.internal_resistance import InternalResistanceResult

RATE_WINDOW_S = 120.0
#: a window counts for a sensor when its samples' time spread is at least that
#: of this many seconds sampled evenly (standard deviation span / sqrt(12))
RATE_MIN_SPAN_S = 60.0
#: the window sums restart (are anchored) every this many window starts
ANCHOR_SAMPLES = 4096
#: a long block is taken this many samples at a time
SLICE_SAMPLES = 16 * ANCHOR_SAMPLES
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
    mean_heat_w: float | None  # I² R (see the module docstring for R)
    total_heat_j: float | None
    joule_rise_rate_c_per_min: float | None = None  #: the fastest rise I² R explains
    runaway_risk_score: float | None = None  #: 0-100; None without a temperature
    runaway_risk_level: RiskLevel | None = None
    runaway_risk_evidence: list[RiskEvidence] = field(default_factory=list)
    heat_resistance_ohm: float | None = None  #: the pack resistance of the heat
    heat_resistance_source: str | None = None  #: "measured_r_10s" or "spec_ecm"


def _ramp(value: float, normal: float, alarm: float) -> float:
    return float(100.0 * min(max((value - normal) / (alarm - normal), 0.0), 1.0))


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


def heat_resistance(
    spec: BatterySpec, internal_resistance: InternalResistanceResult | None = None
) -> tuple[float | None, str | None]:
    """The pack resistance of the I² R heat and where it comes from (module docstring)."""
    measured = internal_resistance.median_r_10s_ohm if internal_resistance is not None else None
    if measured is not None and measured > 0:
        return float(measured), "measured_r_10s"
    if spec.ecm is None:
        return None, None
    p = spec.ecm.for_capacity(spec.capacity_ah)
    r_cell = p["r0_ohm"] + p["r1_ohm"] + p["r2_ohm"]
    return r_cell * spec.series_cells / spec.parallel_strings, "spec_ecm"


class _RiseRates:
    """The highest least-squares slope over RATE_WINDOW_S windows of several
    sensors, window by window as their last sample arrives.

    Rows from the current anchor on are kept with the cumulative sums of the
    finite count, x, x², y and xy (x, y: time and temperature less the anchor
    row's), per sensor; a window is [r, j] with j the first row RATE_WINDOW_S
    after r. When every window starting in the first ANCHOR_SAMPLES rows is
    done, the anchor moves on by that many rows.
    """

    def __init__(self, sensors: int):
        self.sensors = sensors
        self.best: float | None = None
        cap = 2 * ANCHOR_SAMPLES
        self._t = np.empty(cap)
        self._y = np.empty((sensors, cap))  # (sensors, rows): sums along the contiguous axis
        self._cs = np.zeros((5, sensors, cap + 1))  # n, x, xx, y, xy; column k: rows < k
        self._n = 0  # rows kept
        self._next = 0  # first window start not done yet (row)
        self._yref = np.zeros((sensors, 1))
        self._gaps = False  # a sensor missed a reading since the anchor

    def update(self, t: np.ndarray, temps: np.ndarray) -> None:
        """``temps``: (sensors, samples)."""
        a = 0
        while a < len(t):  # (so a whole log moves its anchor often)
            m = self._wanted(t[a:])
            self._append(t[a : a + m], temps[:, a : a + m])
            self._windows()
            a += m

    def _wanted(self, t: np.ndarray) -> int:
        """How many of the rows ``t`` to take next: up to the last window start of
        the anchor, then up to the end of its window (so few rows are summed again
        when the anchor moves)."""
        if self._n < ANCHOR_SAMPLES:
            return min(len(t), ANCHOR_SAMPLES - self._n)
        end = self._t[ANCHOR_SAMPLES - 1] + RATE_WINDOW_S
        return min(len(t), int(np.searchsorted(t, end)) + 1)

    def _append(self, t: np.ndarray, temps: np.ndarray) -> None:
        n, m = self._n, len(t)
        if n + m > len(self._t):
            cap = 2 * (n + m)
            grown_t, grown_y = np.empty(cap), np.empty((self.sensors, cap))
            grown_t[:n], grown_y[:, :n] = self._t[:n], self._y[:, :n]
            cs = np.zeros((5, self.sensors, cap + 1))
            cs[:, :, : n + 1] = self._cs[:, :, : n + 1]
            self._t, self._y, self._cs = grown_t, grown_y, cs
        self._t[n : n + m] = t
        self._y[:, n : n + m] = temps
        if n == 0:
            self._yref = np.nan_to_num(temps[:, :1])
        self._n = n + m
        self._sums(n, n + m)

    def _sums(self, a: int, b: int) -> None:
        """Extend the cumulative sums over rows a..b (each continues from the last
        value in order: the same bits as one sum over all rows)."""
        x = self._t[a:b] - self._t[0]
        y = self._y[:, a:b]
        f = np.isfinite(y)
        cs = self._cs
        if a == 0:
            self._gaps = False
        rows = slice(a + 1, b + 1)
        if f.all() and not self._gaps:
            # count, x and x² are the same for every sensor: summed once, in row 0
            cs[0, 0, rows] = 1.0
            cs[1, 0, rows] = x
            cs[2, 0, rows] = x * x
            shared = cs[:3, 0, a : b + 1]
            np.cumsum(shared, axis=1, out=shared)
            np.subtract(y, self._yref, out=cs[3, :, rows])
            sel = slice(3, 5)
        else:
            if not self._gaps:  # every sensor's count, x and x² so far: row 0's
                cs[:3, 1:, : a + 1] = cs[:3, :1, : a + 1]
            self._gaps = True
            cs[0, :, rows] = f
            cs[1, :, rows] = f * x
            cs[2, :, rows] = cs[1, :, rows] * x
            cs[3, :, rows] = np.where(f, y - self._yref, 0.0)
            sel = slice(0, 5)
        np.multiply(cs[3, :, rows], x, out=cs[4, :, rows])
        # each sum continues from its last value, in order: the same bits as one sum
        span = cs[sel, :, a : b + 1]
        np.cumsum(span, axis=2, out=span)

    def _windows(self) -> None:
        while True:
            n, r0 = self._n, self._next
            stop = min(n, ANCHOR_SAMPLES)
            if r0 < stop:
                t = self._t[:n]
                j = np.searchsorted(t, t[r0:stop] + RATE_WINDOW_S)
                k = int(np.searchsorted(j, n))  # j is sorted: the windows ending in the data
                if k:
                    self._rates(np.arange(r0, r0 + k), j[:k] + 1)
                    self._next = r0 + k
            if self._next < ANCHOR_SAMPLES:
                return
            self._move_anchor()

    def _rates(self, lo: np.ndarray, hi: np.ndarray) -> None:
        cs = self._cs
        lo = slice(lo[0], lo[-1] + 1)  # (consecutive starts: a slice, not a gather)
        if len(hi) >= 64 and (np.diff(hi) == 1).all():  # (even sampling: a slice too)
            hi = slice(hi[0], hi[-1] + 1)
        if self._gaps:
            cnt, sx, sxx = cs[:3, :, hi] - cs[:3, :, lo]
        else:  # (the same for every sensor: one row, broadcast)
            cnt, sx, sxx = cs[:3, :1, hi] - cs[:3, :1, lo]
        sy, sxy = cs[3:, :, hi] - cs[3:, :, lo]
        den = cnt * sxx - sx * sx  # = cnt² var(x)
        ok = (cnt >= 2) & (den >= cnt * cnt * (RATE_MIN_SPAN_S**2 / 12.0))
        if not ok.any():
            return
        num = cnt * sxy - sx * sy
        if ok.all() and not self._gaps:
            # one denominator per window (> 0): the largest numerator has the largest
            # quotient (rounding keeps the order), so a window divides once
            top = float(np.max(num.max(axis=0) / den[0])) * 60.0
        elif ok.all():
            top = float(np.max(num / den)) * 60.0
        else:
            rates = num / np.where(ok, den, np.inf)
            top = float(np.max(np.where(ok, rates, -np.inf))) * 60.0
        if self.best is None or top > self.best:
            self.best = top

    def _move_anchor(self) -> None:
        keep = self._n - ANCHOR_SAMPLES
        self._t[:keep] = self._t[ANCHOR_SAMPLES : self._n]
        self._y[:, :keep] = self._y[:, ANCHOR_SAMPLES : self._n]
        self._n = keep
        self._next -= ANCHOR_SAMPLES
        if keep:
            self._yref = np.nan_to_num(self._y[:, :1])
            self._sums(0, keep)


class ThermalTracker:
    """Incremental thermal summary (the live twin of :func:`analyze_thermal`)."""

    columns: tuple[str, ...] = ()

    def __init__(self, spec: BatterySpec):
        self.spec = spec
        self._names: list[str] | None = None  # known from the first block
        self._cell_idx: slice = slice(0)
        self._rates: _RiseRates | None = None
        self._t_first: float | None = None
        self._last: tuple[float, float] | None = None  # (t, I²) of the last sample
        self._i2_dt = 0.0  # integral of I² dt (A² s)
        self._i_max = 0.0
        self._samples = 0
        self._max = self._min = self._spread = math.nan
        self._sum, self._count = 0.0, 0

    def _setup(self, block: SampleBlock) -> None:
        names = [schema.TEMPERATURE] if schema.TEMPERATURE in block else []
        names += schema.cell_temperature_columns(block.columns)
        self._names = names
        # the spread is between cell sensors (the pack sensor when there is one cell)
        pack = bool(names) and names[0] == schema.TEMPERATURE and len(names) > 2
        self._cell_idx = slice(1 if pack else 0, len(names))
        self._rates = _RiseRates(len(names)) if names else None

    def update(self, block: SampleBlock) -> dict[str, np.ndarray]:
        """Take one block. Adds no derived columns."""
        if not len(block):
            return {}
        if self._names is None:
            self._setup(block)
        # a long block (a whole log) a slice at a time: no sensors x samples temporaries
        for a in range(0, len(block), SLICE_SAMPLES):
            self._update(
                block if len(block) <= SLICE_SAMPLES else block.slice(a, a + SLICE_SAMPLES)
            )
        return {}

    def _update(self, block: SampleBlock) -> None:
        t = block[schema.TIME]
        i = np.nan_to_num(block[schema.CURRENT])
        q = i * i
        if self._last is None:
            self._t_first = float(t[0])
        else:
            t = np.concatenate(([self._last[0]], t))
            q = np.concatenate(([self._last[1]], q))
        self._i2_dt += float(np.sum(0.5 * (q[1:] + q[:-1]) * np.diff(t)))
        self._last = (float(t[-1]), float(q[-1]))
        self._i_max = max(self._i_max, float(np.max(np.abs(i))))
        self._samples += len(i)
        if self._rates is not None:
            # (sensors, samples): reductions across sensors go row by row, sums along rows
            temps = np.stack([_column(block, name) for name in self._names])
            finite = np.isfinite(temps)
            if finite.all():  # (the usual case: the plain reductions are the fast ones)
                self._sum += float(temps.sum())
                self._count += temps.size
                self._max = np.fmax(self._max, temps.max())
                self._min = np.fmin(self._min, temps.min())
            elif finite.any():
                self._sum += float(np.sum(temps[finite]))
                self._count += int(finite.sum())
                self._max = np.fmax(self._max, np.fmax.reduce(temps, axis=None))
                self._min = np.fmin(self._min, np.fmin.reduce(temps, axis=None))
            cells = temps[self._cell_idx]
            if len(cells) > 1:
                # fmax/fmin skip NaN and give NaN for a sample without readings
                sp = np.fmax.reduce(cells, axis=0) - np.fmin.reduce(cells, axis=0)
                self._spread = np.fmax(self._spread, np.fmax.reduce(sp))
            self._rates.update(block[schema.TIME], temps)

    def result(
        self,
        *,
        faults: list[dict] | None = None,
        internal_resistance: InternalResistanceResult | None = None,
    ) -> ThermalResult:
        """The summary so far. ``faults``: the fault detector's list (its runaway
        onsets are risk evidence); ``internal_resistance``: its result (the
        heat's resistance)."""
        spec = self.spec
        r_pack, r_source = heat_resistance(spec, internal_resistance)
        heat_w = heat_j = joule = None
        if r_pack is not None and self._samples:
            if self._samples > 1:
                heat_j = r_pack * self._i2_dt
                span = self._last[0] - self._t_first
                heat_w = heat_j / span if span > 0 else None
            p = spec.ecm.for_capacity(spec.capacity_ah) if spec.ecm is not None else None
            if p is not None:
                # the fastest adiabatic rise of a cell by its own I² R (degC/min)
                r_cell = r_pack * spec.parallel_strings / spec.series_cells
                i_cell = self._i_max / spec.parallel_strings
                joule = i_cell**2 * r_cell / p["heat_capacity_j_per_k"] * 60.0
        names = self._names or []
        base = dict(
            sensors=len(names),
            mean_heat_w=heat_w,
            total_heat_j=heat_j,
            joule_rise_rate_c_per_min=joule,
            heat_resistance_ohm=r_pack,
            heat_resistance_source=r_source,
        )
        none = dict.fromkeys(
            (
                "max_temperature_c",
                "mean_temperature_c",
                "min_temperature_c",
                "max_rise_rate_c_per_min",
                "max_sensor_spread_c",
            )
        )
        if not self._count:
            return ThermalResult(**base, **none)
        t_max = float(self._max)
        rate = self._rates.best
        spread = float(self._spread) if math.isfinite(self._spread) else None
        score, level, evidence = runaway_risk(
            spec,
            max_temperature_c=t_max,
            max_rise_rate_c_per_min=rate,
            joule_rise_rate_c_per_min=joule,
            max_sensor_spread_c=spread,
            faults=faults,
        )
        return ThermalResult(
            **base,
            max_temperature_c=t_max,
            mean_temperature_c=self._sum / self._count,
            min_temperature_c=float(self._min),
            max_rise_rate_c_per_min=rate,
            max_sensor_spread_c=spread,
            runaway_risk_score=score,
            runaway_risk_level=level,
            runaway_risk_evidence=evidence,
        )


def _column(block: SampleBlock, name: str) -> np.ndarray:
    values = block.get(name)
    return np.full(len(block), np.nan) if values is None else values


def analyze_thermal(
    df: pd.DataFrame | SampleBlock,
    spec: BatterySpec,
    *,
    faults: list[dict] | None = None,
    internal_resistance: InternalResistanceResult | None = None,
) -> ThermalResult:
    """Thermal summary of a log (:class:`ThermalTracker` on the whole log);
    ``faults``: :func:`detect_faults`'s list on the same log, whose runaway
    onsets count as risk evidence; ``internal_resistance``: the result of
    :func:`measure_internal_resistance` on it, whose pack resistance heats."""
    tracker = ThermalTracker(spec)
    tracker.update(as_block(df))
    return tracker.result(faults=faults, internal_resistance=internal_resistance)
