"""Thermal summary: temperatures, rate of rise, sensor spread, I²R heat, and a
thermal-runaway risk score with the evidence behind it.

**Rate of rise**: least-squares slopes over 120 s windows, see
:mod:`app.diagnostics.thermal_rates`.

**Runaway risk** (0-100, a screening score with its evidence): see
:mod:`app.diagnostics.thermal_risk`.

**Heat** is ``I² R`` with R the pack's measured 10 s resistance
(:func:`~app.diagnostics.internal_resistance.measure_internal_resistance`, the
live engine's resistance tracker) when there is one, else the DC resistance of
the spec's ECM (series cells add, parallel strings divide).

:class:`ThermalTracker` is the incremental diagnostic (live engine);
:func:`analyze_thermal` runs it on a whole log. The rates are the same bits
however the samples came in blocks; the mean temperature and the heat are
running sums (the same up to round-off, ~1e-15 relative).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.results import DiagnosticResult
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.finite import nan_to_num
from app.diagnostics.incremental import as_block
from app.diagnostics.thermal_rates import ANCHOR_SAMPLES, RiseRates
from app.diagnostics.thermal_risk import RiskEvidence, RiskLevel, runaway_risk

if TYPE_CHECKING:
    import pandas as pd

    from app.diagnostics.pulse_summary import InternalResistanceResult

#: a long block is taken this many samples at a time
SLICE_SAMPLES = 16 * ANCHOR_SAMPLES


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
    #: when the hottest reading was (its first sample) and on which sensor; the
    #: hottest reading at the last sample with one (the risk is the whole log's: its
    #: factors say when they peaked and where they are now)
    max_temperature_time_s: float | None = None
    max_temperature_sensor: str | None = None
    temperature_now_c: float | None = None
    #: when the largest spread between cell sensors was, its hottest and coolest
    #: sensor then, and the spread at the last sample with one
    max_sensor_spread_time_s: float | None = None
    max_sensor_spread_sensors: tuple[str, str] | None = None
    sensor_spread_now_c: float | None = None


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


class ThermalTracker:
    """Incremental thermal summary (the live twin of :func:`analyze_thermal`)."""

    columns: tuple[str, ...] = ()

    def __init__(self, spec: BatterySpec):
        self.spec = spec
        self._names: list[str] | None = None  # known from the first block
        self._cell_idx: slice = slice(0)
        self._rates: RiseRates | None = None
        self._t_first: float | None = None
        self._last: tuple[float, float] | None = None  # (t, I²) of the last sample
        self._i2_dt = 0.0  # integral of I² dt (A² s)
        self._i_max = 0.0
        self._samples = 0
        self._max = self._min = self._spread = math.nan
        self._sum, self._count = 0.0, 0
        # (value, time, sensor(s)) of the peaks; (value) at the last sample with one
        self._hot_peak: tuple[float, float, str] | None = None
        self._hot_now: float | None = None
        self._spread_peak: tuple[float, float, tuple[str, str]] | None = None
        self._spread_now: float | None = None

    def _setup(self, block: SampleBlock) -> None:
        names = [schema.TEMPERATURE] if schema.TEMPERATURE in block else []
        names += schema.cell_temperature_columns(block.columns)
        self._names = names
        # the spread is between cell sensors (the pack sensor when there is one cell)
        pack = bool(names) and names[0] == schema.TEMPERATURE and len(names) > 2
        self._cell_idx = slice(1 if pack else 0, len(names))
        self._rates = RiseRates(len(names)) if names else None

    def update(self, block: SampleBlock) -> dict[str, np.ndarray]:
        """Take one block. Adds no derived columns."""
        if not len(block):
            return {}
        if self._names is None:
            self._setup(block)
        rates = self._rates is not None
        if rates and len(block) > SLICE_SAMPLES and self._rates.fresh:
            # a whole log's rates from its columns (its anchors side by side)
            self._rates.update_columns(
                block[schema.TIME], [_column(block, name) for name in self._names]
            )
            rates = False
        # a long block (a whole log) a slice at a time: no sensors x samples temporaries
        for a in range(0, len(block), SLICE_SAMPLES):
            self._update(
                block if len(block) <= SLICE_SAMPLES else block.slice(a, a + SLICE_SAMPLES),
                rates,
            )
        return {}

    def _update(self, block: SampleBlock, rates: bool = True) -> None:
        t = t_block = block[schema.TIME]
        i = nan_to_num(block[schema.CURRENT])
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
            total = float(temps.sum())
            cells = temps[self._cell_idx]
            if math.isfinite(total):
                # (the usual case: every reading finite, since a NaN or inf would show in
                # the sum; the extremes come from the cells' per-sample ones, which the
                # spread needs anyway, and the other rows')
                self._sum += total
                self._count += temps.size
                if len(cells) > 1:
                    hi, lo = np.maximum.reduce(cells, axis=0), np.minimum.reduce(cells, axis=0)
                    spread = hi - lo
                    self._spread = np.fmax(self._spread, spread.max())
                else:
                    hi = lo = cells
                    spread = None
                pack = temps[: self._cell_idx.start]  # (the pack sensor, if not a "cell")
                rows = [hi, lo] if not len(pack) else [hi, lo, pack]
                self._max = np.fmax(self._max, max(x.max() for x in rows))
                self._min = np.fmin(self._min, min(x.min() for x in rows))
                if rates:
                    self._rates.update(block[schema.TIME], temps, finite=True)
                if len(cells) > 1:
                    top = hi if not len(pack) else np.maximum(hi, pack.max(axis=0))
                else:
                    top = temps.max(axis=0)
                self._note_peaks(t_block, temps, spread, top)
                return
            finite = np.isfinite(temps)
            if finite.any():
                self._sum += float(np.sum(temps[finite]))
                self._count += int(finite.sum())
                self._max = np.fmax(self._max, np.fmax.reduce(temps, axis=None))
                self._min = np.fmin(self._min, np.fmin.reduce(temps, axis=None))
            sp = None
            if len(cells) > 1:
                # fmax/fmin skip NaN and give NaN for a sample without readings
                sp = np.fmax.reduce(cells, axis=0) - np.fmin.reduce(cells, axis=0)
                self._spread = np.fmax(self._spread, np.fmax.reduce(sp))
            if rates:
                self._rates.update(block[schema.TIME], temps)
            self._note_peaks(t_block, temps, sp, None)

    def _note_peaks(
        self, t: np.ndarray, temps: np.ndarray, spread: np.ndarray | None, hot: np.ndarray | None
    ) -> None:
        """When the hottest reading and the largest cell spread were (the first sample
        of a new peak: the same whatever the blocks) and where they are at the last
        sample with a reading. ``hot``: the hottest reading per sample when every
        reading is finite (None: NaN may be there)."""
        if hot is None:
            finite = np.isfinite(temps).any(axis=0)
            if not finite.any():
                return
            hot = np.where(finite, np.fmax.reduce(temps, axis=0), -np.inf)
            last = int(np.flatnonzero(finite)[-1])
        else:
            last = len(hot) - 1
        j = int(np.argmax(hot))
        if self._hot_peak is None or hot[j] > self._hot_peak[0]:
            # a cell rather than the pack sensor that reads the hottest cell
            cells = np.where(np.isnan(temps[self._cell_idx, j]), -np.inf, temps[self._cell_idx, j])
            if len(cells) and cells.max() >= hot[j]:
                sensor = self._names[self._cell_idx][int(np.argmax(cells))]
            else:
                sensor = self._names[
                    int(np.argmax(np.where(np.isnan(temps[:, j]), -np.inf, temps[:, j])))
                ]
            self._hot_peak = (float(hot[j]), float(t[j]), sensor)
        self._hot_now = float(hot[last])
        if spread is None:
            return
        ok = np.isfinite(spread)
        if not ok.any():
            return
        sp = spread if ok.all() else np.where(ok, spread, -np.inf)
        j = int(np.argmax(sp))
        if self._spread_peak is None or sp[j] > self._spread_peak[0]:
            cells = temps[self._cell_idx, j]
            names = self._names[self._cell_idx]
            pair = (names[int(np.nanargmax(cells))], names[int(np.nanargmin(cells))])
            self._spread_peak = (float(sp[j]), float(t[j]), pair)
        self._spread_now = float(spread[np.flatnonzero(ok)[-1]])

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
        hot, sp = self._hot_peak, self._spread_peak
        peaks = dict(
            max_temperature_time_s=hot[1] if hot else None,
            max_temperature_sensor=hot[2] if hot else None,
            temperature_now_c=self._hot_now,
            max_sensor_spread_time_s=sp[1] if sp and spread is not None else None,
            max_sensor_spread_sensors=sp[2] if sp and spread is not None else None,
            sensor_spread_now_c=self._spread_now if spread is not None else None,
        )
        score, level, evidence = runaway_risk(
            spec,
            max_temperature_c=t_max,
            max_rise_rate_c_per_min=rate,
            joule_rise_rate_c_per_min=joule,
            max_sensor_spread_c=spread,
            faults=faults,
            peaks=peaks,
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
            **peaks,
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
