"""Safety: the chemistry's limits (cell voltage, current, temperature windows for
charge and discharge), each with a severity and a debounce time.

A limit is *violated* once the value has stayed beyond it for ``debounce_s``.
Beyond the limit by less than the warning margin is a warning; further is
critical.

:class:`SafetyMonitor` is the incremental diagnostic (live engine);
:func:`monitor_safety` runs it on a whole log. An episode still under way at
the end of a block stays open, so its debounce and its worst value carry over
block boundaries: any split gives the same events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.results import DiagnosticResult, Severity
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.incremental import as_block
from app.diagnostics.runs import run_bounds, run_reduce

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


class _LimitCheck:
    """One limit on one channel: its closed episodes and the one still open."""

    __slots__ = ("check", "channel", "upper", "margin", "debounce_s", "events", "open")

    def __init__(self, check: str, channel: str, upper: bool, margin: float, debounce_s: float):
        self.check, self.channel, self.upper = check, channel, upper
        self.margin, self.debounce_s = margin, debounce_s
        self.events: list[SafetyEvent] = []
        #: the episode running at the end of the last block: [start_t, limit, worst, excess, end_t]
        self.open: list[float] | None = None

    def feed(self, t: np.ndarray, value: np.ndarray, beyond: np.ndarray, limit) -> None:
        """One block: ``beyond`` where the value is past its limit (a number, or one
        per sample for a temperature window that depends on charging)."""
        starts, stops = run_bounds(beyond)
        if not len(starts):
            self._close()
            return
        goes_on = self.open is not None and starts[0] == 0  # from the last block
        stays_open = stops[-1] == len(t)  # into the next block
        # runs within the block shorter than the debounce count for nothing
        keep = t[stops - 1] - t[starts] >= self.debounce_s
        keep[0] |= goes_on
        keep[-1] |= stays_open
        if not keep.all():
            starts, stops = starts[keep], stops[keep]
        if not goes_on:
            self._close()
        if not len(starts):
            return
        # (inside a run value and limit compare, so neither is NaN: max and min are
        # np.nanmax's and np.nanmin's, found for all runs at once)
        worst = run_reduce(np.maximum if self.upper else np.minimum, value, starts, stops)
        excess = run_excess(value, limit, self.upper, worst, starts, stops)
        limit = np.broadcast_to(np.asarray(limit, dtype=float), value.shape)
        runs = zip(
            t[starts].tolist(),
            t[stops - 1].tolist(),
            limit[starts].tolist(),
            worst.tolist(),
            excess.tolist(),
            strict=True,
        )
        for k, (ta, tb, lim, w, e) in enumerate(runs):
            ep = self.open
            if k == 0 and goes_on:
                ep[2] = max(ep[2], w) if self.upper else min(ep[2], w)
                ep[3] = max(ep[3], e)
                ep[4] = tb
                continue
            self._close()
            self.open = [ta, lim, w, e, tb]
        if not stays_open:
            self._close()

    def watch(self, t: np.ndarray, value: np.ndarray, extreme: float, bound: float, limit) -> None:
        """One block, fed only when it can matter: an episode is open, or the block's
        ``extreme`` (its highest value for an upper limit, its lowest for a lower one;
        NaN when a reading is) is beyond ``bound``, the limit or, for a limit per
        sample, the one nearest the readings (every sample's is at or beyond it)."""
        within = extreme <= bound if self.upper else extreme >= bound
        if self.open is None and within:
            return  # (no sample beyond the limit)
        with np.errstate(invalid="ignore"):
            beyond = value > limit if self.upper else value < limit
        if self.open is not None or beyond.any():
            self.feed(t, value, beyond, limit)

    def _close(self) -> None:
        ep, self.open = self.open, None
        if ep is not None and (event := self._event(ep)) is not None:
            self.events.append(event)

    def _event(self, ep: list[float]) -> SafetyEvent | None:
        ta, lim, worst, excess, tb = ep
        if tb - ta < self.debounce_s:
            return None
        severity = Severity.WARNING if excess <= self.margin else Severity.CRITICAL
        return SafetyEvent(self.check, self.channel, severity, lim, worst, ta, tb)

    def all_events(self) -> list[SafetyEvent]:
        """The closed episodes and the open one, as if the log ended here."""
        last = self._event(self.open) if self.open is not None else None
        return self.events if last is None else [*self.events, last]


def run_excess(
    value: np.ndarray,
    limit: float | np.ndarray,
    upper: bool,
    worst: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
) -> np.ndarray:
    """The greatest excess of each run beyond its limit: ``value - limit`` above an
    upper limit, ``limit - value`` below a lower one. ``worst``: each run's highest
    (upper) or lowest value. With one limit for every sample, the worst value's
    excess: rounding is monotonic, so no sample of the run has a greater one (the
    same bits as the per-sample differences, without them)."""
    if np.ndim(limit) == 0:
        limit = float(limit)
        return worst - limit if upper else limit - worst
    with np.errstate(invalid="ignore"):
        gap = value - limit if upper else limit - value
    return run_reduce(np.maximum, gap, starts, stops)


class SafetyMonitor:
    """Incremental safety check (the live twin of :func:`monitor_safety`)."""

    columns: tuple[str, ...] = ()

    def __init__(self, spec: BatterySpec, debounce_s: float = DEFAULT_DEBOUNCE_S):
        self.spec = spec
        self.debounce_s = debounce_s
        self._cells: list[str] | None = None  # voltage channels, known from the first block
        self._temps: list[str] = []
        self._checks: list[_LimitCheck] = []

    def _setup(self, block: SampleBlock) -> None:
        spec, debounce = self.spec, self.debounce_s
        self._cells = schema.cell_voltage_columns(block.columns)
        self._temps = schema.cell_temperature_columns(block.columns)
        if schema.TEMPERATURE in block:
            self._temps = [schema.TEMPERATURE, *self._temps]
        v_names = self._cells or ["voltage_v/cell"]
        checks = []
        for name in v_names:
            checks.append(
                _LimitCheck(
                    "cell_over_voltage", name, True, VOLTAGE_MARGIN * spec.cell_v_max, debounce
                )
            )
            checks.append(
                _LimitCheck(
                    "cell_under_voltage", name, False, VOLTAGE_MARGIN * spec.cell_v_min, debounce
                )
            )
        checks.append(
            _LimitCheck(
                "over_current_charge",
                schema.CURRENT,
                True,
                CURRENT_MARGIN * spec.max_charge_current_a,
                debounce,
            )
        )
        checks.append(
            _LimitCheck(
                "over_current_discharge",
                schema.CURRENT,
                True,
                CURRENT_MARGIN * spec.max_discharge_current_a,
                debounce,
            )
        )
        for name in self._temps:
            checks.append(
                _LimitCheck("over_temperature", name, True, TEMPERATURE_MARGIN_C, debounce)
            )
            checks.append(
                _LimitCheck("under_temperature", name, False, TEMPERATURE_MARGIN_C, debounce)
            )
        self._checks = checks

    def update(self, block: SampleBlock) -> dict[str, np.ndarray]:
        """Check one block against the limits. Adds no derived columns."""
        if not len(block):
            return {}
        if self._cells is None:
            self._setup(block)
        spec = self.spec
        t = block[schema.TIME]
        i = block[schema.CURRENT]
        checks = iter(self._checks)
        if self._cells:
            volts = [_column(block, name) for name in self._cells]
        else:
            volts = [block[schema.VOLTAGE] / spec.series_cells]
        # most blocks violate nothing: only limits with a violation or an open
        # episode look for runs, and a side of a channel whose extreme is within its
        # limit needs no per-sample comparison at all
        for v in volts:
            hi, lo = next(checks), next(checks)
            least, most = _extremes(v)
            hi.watch(t, v, most, spec.cell_v_max, spec.cell_v_max)
            lo.watch(t, v, least, spec.cell_v_min, spec.cell_v_min)
        with np.errstate(invalid="ignore"):
            for check, value, limit in (
                (next(checks), i, spec.max_charge_current_a),
                (next(checks), -i, spec.max_discharge_current_a),
            ):
                beyond = value > limit
                if check.open is not None or beyond.any():
                    check.feed(t, value, beyond, limit)
        if self._temps:
            # (within the lower of the two upper limits and the higher of the two
            # lower ones: within the limits whether charging or not)
            cool = min(spec.charge_temp_max_c, spec.discharge_temp_max_c)
            warm = max(spec.charge_temp_min_c, spec.discharge_temp_min_c)
            hot = cold = None  # the per-sample limits, once a channel needs them
            for name in self._temps:
                temp = _column(block, name)
                hi, lo = next(checks), next(checks)
                least, most = _extremes(temp)
                if hi.open is None and lo.open is None and most <= cool and least >= warm:
                    continue
                if hot is None:
                    charging = i > 0.01 * spec.pack_capacity_ah
                    hot = np.where(charging, spec.charge_temp_max_c, spec.discharge_temp_max_c)
                    cold = np.where(charging, spec.charge_temp_min_c, spec.discharge_temp_min_c)
                hi.watch(t, temp, most, cool, hot)
                lo.watch(t, temp, least, warm, cold)
        return {}

    def result(self) -> SafetyResult:
        """The events so far (an episode still under way counts once debounced)."""
        events = [e for check in self._checks for e in check.all_events()]
        events.sort(key=lambda e: e.start_time_s)
        status = "ok"
        if any(e.severity == Severity.CRITICAL for e in events):
            status = "critical"
        elif events:
            status = "warning"
        return SafetyResult(
            status=status,
            debounce_s=self.debounce_s,
            limits=safety_limits(self.spec),
            events=events,
        )


#: samples a channel's extremes are taken at a time (see :func:`_extremes`)
_EXTREMES_CHUNK = 65536


def _extremes(values: np.ndarray) -> tuple[float, float]:
    """(lowest, highest) of a channel's readings, NaN if any is NaN. A chunk at a
    time: its maximum reads it again from cache, not the whole column from memory."""
    lows, highs = [], []
    for a in range(0, len(values), _EXTREMES_CHUNK):
        chunk = values[a : a + _EXTREMES_CHUNK]
        lows.append(np.minimum.reduce(chunk))
        highs.append(np.maximum.reduce(chunk))
    return float(np.minimum.reduce(lows)), float(np.maximum.reduce(highs))


def _column(block: SampleBlock, name: str) -> np.ndarray:
    values = block.get(name)
    return np.full(len(block), np.nan) if values is None else values


def monitor_safety(
    df: pd.DataFrame | SampleBlock, spec: BatterySpec, debounce_s: float = DEFAULT_DEBOUNCE_S
) -> SafetyResult:
    """Check every sample against the spec's limits (:class:`SafetyMonitor` on the whole log)."""
    monitor = SafetyMonitor(spec, debounce_s)
    monitor.update(as_block(df))
    return monitor.result()
