"""The metrics an alert threshold can watch, computed per block of samples.

Each metric is one value per sample, from the canonical columns of a block
(``cell_<k>_v``, ``temperature_c``, ...), the columns the live engine adds
(``soc_percent``) and the latest results of the live diagnostics
(:class:`MetricContext`: SOH, internal resistance, faults). NaN means "not
known at this sample"; a threshold never fires on NaN.

Metrics that look back in time (dT/dt) keep a short tail of the previous
block in :class:`MetricState`, so a recording gives the same values whether
it is fed in one block or many.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from app.core import schema
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.faults.text import kind_text
from app.diagnostics.faults.types import FaultKind
from app.diagnostics.plausible_cells import plausible_spread_mv
from app.diagnostics.safety import charging_current_a
from app.diagnostics.thermal_risk import HOT_SPOT_SPREAD_C, TEMPERATURE_ABOVE_LIMIT_K

#: dT/dt is the slope over this window: long enough that 0.1 degC sensor steps
#: are not read as a fast rise, short enough for a runaway (>1 degC/s) to show.
DTDT_WINDOW_S = 30.0
#: A detected fault counts as present until at least this long after it was last
#: seen: the fault detector judges 5 s bins, so a fault still going on is reported
#: a bin or two behind the newest samples. Longer while new evidence would still
#: extend its episode (the fault's ``merge_gap_s``, see :func:`fault_windows`).
FAULT_HOLD_S = 30.0
FAULT_PREFIX = "fault_"


@dataclass(frozen=True)
class MetricInfo:
    name: str
    label: str
    unit: str


@dataclass
class MetricContext:
    """Latest results of the live diagnostics that are not per-sample columns.

    ``faults`` are dicts in the ``analyze --json`` shape (``kind``,
    ``start_time_s``, ``end_time_s``, ``detail.detected_time_s``), with
    ``merge_gap_s`` and ``at_detection`` (the fault as known at its confirmation: what
    an alert raised on it reads) where known, and ``withdrawn_at_s`` for a
    runaway-onset alarm withdrawn as a short's heat
    (:meth:`~app.diagnostics.faults.FaultDetector.open_faults`).
    """

    soh_percent: float | None = None
    internal_resistance_ohm: float | None = None
    faults: Sequence[dict] = ()


@dataclass(frozen=True)
class PackCells:
    """What the metrics know of the pack: its series cells (per-cell metrics fall back
    to pack voltage / cells without cell readings) and the spec's plausible cell band
    (:attr:`~app.core.spec.BatterySpec.plausible_cell_v`; unbounded when not known).
    The spread leaves readings outside the band out, as cell balance does; the lowest
    and highest cell voltage keep them (a cell at 0 V is an under-voltage).
    ``runaway_c``: the temperature at which the runaway risk's temperature criterion
    is at its alarm end (:mod:`~app.diagnostics.thermal_risk`; unbounded when not known).
    ``charging_a``: the current above which the pack is charging, as the safety check
    tells (:func:`~app.diagnostics.safety.charging_current_a`; any charge current when
    not known): a rule's ``charge_level`` applies there."""

    series_cells: int = 1
    plausible_cell_v: tuple[float, float] = (-np.inf, np.inf)
    runaway_c: float = np.inf
    charging_a: float = 0.0

    @classmethod
    def of(cls, spec: BatterySpec) -> PackCells:
        return cls(
            spec.series_cells,
            spec.plausible_cell_v,
            spec.discharge_temp_max_c + TEMPERATURE_ABOVE_LIMIT_K,
            charging_current_a(spec),
        )


def runaway_evidence(block: SampleBlock, channel: str, pack: PackCells) -> np.ndarray:
    """Per sample: the cell of a thermal-runaway onset on ``channel`` is still at the
    runaway risk's alarm end (:mod:`~app.diagnostics.thermal_risk`): at or above
    ``pack.runaway_c``, or a hot spot -- as many kelvin over the coolest other cell
    sensor as the risk's hot-spot criterion alarms at (15 K). A channel that is not a
    cell's temperature (the pack sensor, a lead-acid float's current): the hottest
    reading at or above ``runaway_c``. NaN readings are no evidence."""
    temps = _temperatures(block)
    if temps is None:
        return np.zeros(len(block), dtype=bool)
    cells = schema.cell_temperature_columns(block.columns)
    with np.errstate(invalid="ignore"):
        if channel in cells and channel in block:
            own = block[channel]
            others = [block[c] for c in cells if c != channel]
            hot = own >= pack.runaway_c
            if others:
                coolest = _nan_reduce(np.vstack(others), block, np.nanmin)
                hot |= own - coolest >= HOT_SPOT_SPREAD_C[1]
            return hot
        return _nan_reduce(temps, block, np.nanmax) >= pack.runaway_c


@dataclass
class MetricState:
    """What metrics carry from one block to the next (the dT/dt window)."""

    tail_t: np.ndarray = field(default_factory=lambda: np.empty(0))
    tail_temp: np.ndarray = field(default_factory=lambda: np.empty(0))


def _nan(block: SampleBlock) -> np.ndarray:
    return np.full(len(block), np.nan)


def _cell_matrix(block: SampleBlock) -> np.ndarray | None:
    cols = schema.cell_voltage_columns(block.columns)
    if not cols:
        return None
    return np.vstack([block[c] for c in cols])


def pack_reads_cell(block: SampleBlock, metric: str, extreme: np.ndarray) -> np.ndarray | None:
    """The highest (``cell_v_max``) or lowest (``cell_v_min``) cell, ``extreme``, as the
    pack's own voltage sensor reads it: the pack voltage less the other cells (NaN
    where a reading is); None for another metric, or without cell readings or a pack
    voltage. It confirms a cell reading beyond a fast level as the safety check's
    (:data:`~app.diagnostics.safety.VOLTAGE_FAST_READINGS`)."""
    cells = _cell_matrix(block) if metric in ("cell_v_max", "cell_v_min") else None
    if cells is None or schema.VOLTAGE not in block:
        return None
    return block[schema.VOLTAGE] - (np.add.reduce(cells, axis=0) - extreme)


def _cells_or_pack(block: SampleBlock, pack: PackCells, how: Callable) -> np.ndarray:
    cells = _cell_matrix(block)
    if cells is None:
        return block[schema.VOLTAGE] / max(pack.series_cells, 1)
    return _nan_reduce(cells, block, how)


def _temperatures(block: SampleBlock) -> np.ndarray | None:
    cols = [schema.TEMPERATURE] if schema.TEMPERATURE in block else []
    cols += schema.cell_temperature_columns(block.columns)
    if not cols:
        return None
    return np.vstack([block[c] for c in cols])


def _spread(block: SampleBlock, band: tuple[float, float]) -> np.ndarray:
    cells = _cell_matrix(block)
    return _nan(block) if cells is None else plausible_spread_mv(cells, band)


def _nan_reduce(rows: np.ndarray | None, block: SampleBlock, how: Callable) -> np.ndarray:
    if rows is None:
        return _nan(block)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN
        return how(rows, axis=0)


def _dtdt(block: SampleBlock, state: MetricState) -> np.ndarray:
    """Slope of the hottest temperature over the last DTDT_WINDOW_S, degC per minute."""
    temp = _nan_reduce(_temperatures(block), block, np.nanmax)
    t = block[schema.TIME]
    all_t = np.concatenate([state.tail_t, t])
    all_temp = np.concatenate([state.tail_temp, temp])
    ok = np.isfinite(all_temp)
    t_ok, temp_ok = all_t[ok], all_temp[ok]
    out = _nan(block)
    if len(t_ok):
        lag = np.searchsorted(t_ok, t - DTDT_WINDOW_S, side="right") - 1
        has = lag >= 0
        span = np.where(has, t - t_ok[np.maximum(lag, 0)], np.nan)
        with np.errstate(all="ignore"):
            slope = (temp - temp_ok[np.maximum(lag, 0)]) / span * 60.0
        out = np.where(has & (span > 0), slope, np.nan)
    keep = all_t >= (t[-1] - 2 * DTDT_WINDOW_S) if len(t) else slice(None)
    state.tail_t, state.tail_temp = all_t[keep], all_temp[keep]
    return out


def fault_windows(kind: str, faults: Sequence[dict]) -> list[tuple[float, float, dict, dict]]:
    """``(from, until, fault, at detection)`` for each fault of ``kind`` in ``faults``
    (at detection: the fault as the detector knew it when it confirmed it, its
    ``at_detection``; the fault itself where not known): present
    from its confirmation (``detected_time_s``) until its episode is over -- the
    later of FAULT_HOLD_S after it was last seen and its ``merge_gap_s`` after
    it: evidence within the merge gap extends the same episode (as the detector
    run on the whole log reports it), so the alert must not clear before. A
    short's gap is infinite: it does not heal, and its heat test goes quiet once
    its reference window holds the short's own heat, then fires again. A runaway
    onset the detector withdrew (``withdrawn_at_s``: when the short that explains it
    was confirmed) is present until then at the latest: a live run saw it until the
    withdrawal, whatever blocks the samples came in."""
    out = []
    for fault in faults:
        if fault.get("kind") != kind:
            continue
        detected = float((fault.get("detail") or {}).get("detected_time_s", fault["start_time_s"]))
        hold = max(FAULT_HOLD_S, float(fault.get("merge_gap_s", 0.0)))
        until = max(float(fault["end_time_s"]), detected) + hold
        until = min(until, float(fault.get("withdrawn_at_s", np.inf)))
        # (JSON: no inf)
        plain = {k: v for k, v in fault.items() if k not in _NOT_FAULT_KEYS}
        then = fault.get("at_detection") or plain
        out.append((detected, until, plain, then))
    return out


#: what :meth:`~app.diagnostics.faults.FaultDetector.open_faults` adds to a fault
#: for the alerts (the fault itself is ``analyze --json``'s)
_NOT_FAULT_KEYS = ("merge_gap_s", "at_detection", "withdrawn_at_s")


def _fault_indicator(kind: str, block: SampleBlock, context: MetricContext) -> np.ndarray:
    """1 while a fault of ``kind`` is present (see :func:`fault_windows`), else 0."""
    t = block[schema.TIME]
    out = np.zeros(len(t))
    for start, until, *_ in fault_windows(kind, context.faults):
        out[(t >= start) & (t <= until)] = 1.0
    return out


def _scalar(value: float | None, block: SampleBlock, scale: float = 1.0) -> np.ndarray:
    return np.full(len(block), np.nan if value is None else float(value) * scale)


def _column(name: str) -> Callable:
    return lambda block, spec_cells, state, ctx: block.get(name, _nan(block))


_METRICS: dict[str, tuple[MetricInfo, Callable]] = {}


def _register(name: str, label: str, unit: str, fn: Callable) -> None:
    _METRICS[name] = (MetricInfo(name, label, unit), fn)


_register("pack_voltage_v", "Pack voltage", "V", _column(schema.VOLTAGE))
_register(
    "cell_v_min",
    "Lowest cell voltage",
    "V",
    lambda b, n, s, c: _cells_or_pack(b, n, np.nanmin),
)
_register(
    "cell_v_max",
    "Highest cell voltage",
    "V",
    lambda b, n, s, c: _cells_or_pack(b, n, np.nanmax),
)
_register(
    "cell_spread_mv",
    "Cell voltage spread",
    "mV",
    lambda b, n, s, c: _spread(b, n.plausible_cell_v),
)
_register("current_a", "Current (+ charging)", "A", _column(schema.CURRENT))
_register(
    "temperature_max_c",
    "Highest temperature",
    "°C",
    lambda b, n, s, c: _nan_reduce(_temperatures(b), b, np.nanmax),
)
_register(
    "temperature_min_c",
    "Lowest temperature",
    "°C",
    lambda b, n, s, c: _nan_reduce(_temperatures(b), b, np.nanmin),
)
_register("dtdt_c_per_min", "Temperature rise dT/dt", "°C/min", lambda b, n, s, c: _dtdt(b, s))
_register("soc_percent", "State of charge", "%", _column("soc_percent"))
_register("soc_reported_pct", "SOC reported by the BMS", "%", _column(schema.SOC_REPORTED))
_register("soh_percent", "State of health", "%", lambda b, n, s, c: _scalar(c.soh_percent, b))
_register(
    "internal_resistance_mohm",
    "Internal resistance",
    "mΩ",
    lambda b, n, s, c: _scalar(c.internal_resistance_ohm, b, 1000.0),
)
for _kind in FaultKind:
    _register(
        f"{FAULT_PREFIX}{_kind.value}",
        f"Fault: {kind_text(_kind.value)}",
        "",
        lambda b, n, s, c, k=_kind.value: _fault_indicator(k, b, c),
    )


def metric_names() -> list[str]:
    """Every metric a threshold can watch, in display order."""
    return list(_METRICS)


def metric_info(name: str) -> MetricInfo:
    """Label and unit of a metric; KeyError for an unknown one."""
    return _METRICS[name][0]


def is_known_metric(name: str) -> bool:
    return name in _METRICS


def metric_label(name: str) -> str:
    """A metric in words as the Alerts page names it (``Lowest cell voltage``, ``Fault:
    thermal runaway onset``); an unknown one (a stored rule since removed) as stored."""
    return metric_info(name).label if is_known_metric(name) else name


#: Below this a value is float dust, shown as 0 (a dead cell's exponentially
#: decayed 1.5e-209 V reads 0 V); a coin cell's 0.2 mA is no dust and keeps its digits.
_DUST = 1e-9


def metric_value_text(name: str, value: float, *, with_unit: bool = True) -> str:
    """A metric's value as people read it, with its unit (``2.428 V``, ``61.53 °C``,
    ``-0.000212 A``, ``0 V``): four significant digits, float dust as 0."""
    unit = metric_info(name).unit if is_known_metric(name) else ""
    return f"{metric_round(name, value):.4g} {unit if with_unit else ''}".strip()


def metric_round(name: str, value: float) -> float:
    """``value`` with float dust (below :data:`_DUST` in its unit) as 0. A fixed number
    of decimals would read a 5 mAh cell's 0.2 mA as 0 A and its 3.575 mA limit as
    0.004 A; ``name`` is kept for the callers' sake (every unit is judged alike)."""
    del name
    if not math.isfinite(value) or abs(value) > _DUST:
        return value
    return 0.0


class MetricComputer:
    """Computes the metrics asked for, block after block, keeping their state."""

    def __init__(self, pack: PackCells | None = None):
        self.pack = pack or PackCells()
        self._states: dict[str, MetricState] = {}

    def compute(
        self, block: SampleBlock, names: Sequence[str], context: MetricContext | None = None
    ) -> dict[str, np.ndarray]:
        """The values of ``names`` at every sample of ``block`` (each metric once)."""
        context = context or MetricContext()
        out: dict[str, np.ndarray] = {}
        for name in dict.fromkeys(names):
            fn = _METRICS[name][1]
            state = self._states.setdefault(name, MetricState())
            out[name] = np.asarray(fn(block, self.pack, state, context), dtype=float)
        return out
