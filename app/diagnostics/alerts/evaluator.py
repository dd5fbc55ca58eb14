"""The alert evaluator: thresholds applied to blocks of samples, one alert per episode.

For every enabled threshold it keeps a small state (is an alert up; since when
has the condition held; the worst value of the episode) and emits
:class:`AlertEvent` s: ``raised`` when the condition has held for the
threshold's delay, ``cleared`` when the value is back past its clear level.
Work is vectorised per block; only the transitions inside a block are
stepped through, so a block costs a few numpy passes per threshold. Feeding
a recording in one block or in many gives the same events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from app.core import schema
from app.core.samples import SampleBlock
from app.diagnostics.alerts.metrics import MetricComputer, MetricContext, PackCells
from app.diagnostics.alerts.thresholds import Comparison, Threshold


class EventKind(StrEnum):
    RAISED = "raised"
    CLEARED = "cleared"


@dataclass(frozen=True)
class AlertEvent:
    """An alert episode began (``raised``) or ended (``cleared``).

    ``time_s`` is the sample time in the recording. For ``raised``, ``value``
    is the metric at that sample; for ``cleared`` it is the worst value of the
    episode (furthest beyond the level). ``threshold_value`` is the level crossed.
    """

    kind: EventKind
    threshold: Threshold
    time_s: float
    value: float
    threshold_value: float

    def to_dict(self) -> dict:
        return {
            "kind": self.kind.value,
            "metric": self.threshold.metric,
            "severity": self.threshold.severity.value,
            "time_s": self.time_s,
            "value": self.value,
            "threshold_value": self.threshold_value,
            "threshold": self.threshold.describe(),
        }


@dataclass
class _State:
    active: bool = False
    pending_since: float | None = None  # condition true since (not yet raised)
    worst: float = float("nan")
    level: float = float("nan")


def _conditions(th: Threshold, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(beyond the level, back past the clear level) per sample; NaN is neither."""
    with np.errstate(invalid="ignore"):
        if th.comparison is Comparison.ABOVE:
            clear = th.level if th.clear_level is None else th.clear_level
            return v > th.level, v <= clear
        if th.comparison is Comparison.BELOW:
            clear = th.level if th.clear_level is None else th.clear_level
            return v < th.level, v >= clear
        margin = th.clear_level or 0.0
        beyond = (v < th.band_low) | (v > th.band_high)
        back = (v >= th.band_low + margin) & (v <= th.band_high - margin)
        return beyond, back


def _severity_key(th: Threshold, v: np.ndarray) -> np.ndarray:
    """How far beyond the level (bigger is worse), to pick the episode's worst value."""
    if th.comparison is Comparison.ABOVE:
        return v
    if th.comparison is Comparison.BELOW:
        return -v
    return np.maximum(th.band_low - v, v - th.band_high)


class AlertEvaluator:
    """Evaluates ``thresholds`` on blocks fed in time order.

    ``pack`` (:class:`PackCells`) lets per-cell metrics fall back to pack voltage /
    cells when a source reports no cell voltages, and gives the plausible cell band
    the spread keeps to.
    """

    def __init__(self, thresholds: Iterable[Threshold], pack: PackCells | None = None):
        self.metrics = MetricComputer(pack)
        self._thresholds: list[Threshold] = []
        self._states: list[_State] = []
        self._last_t = float("nan")
        self.set_thresholds(thresholds)

    @property
    def thresholds(self) -> list[Threshold]:
        return list(self._thresholds)

    def set_thresholds(self, thresholds: Iterable[Threshold]) -> list[AlertEvent]:
        """Replace the rules. Alerts of rules that are gone or changed are
        cleared (at the last time seen); the events are returned."""
        new = [t for t in thresholds if t.enabled]
        old = dict(zip(self._thresholds, self._states, strict=True))
        events = []
        for th, st in old.items():
            if th not in new and st.active:
                events.append(AlertEvent(EventKind.CLEARED, th, self._last_t, st.worst, st.level))
        self._thresholds = new
        self._states = [old.get(t) or _State() for t in new]
        return events

    def active(self) -> list[Threshold]:
        """Thresholds whose alert is up now."""
        return [t for t, s in zip(self._thresholds, self._states, strict=True) if s.active]

    def open_worst(self) -> dict[Threshold, float]:
        """The worst value so far of each episode still up."""
        return {t: s.worst for t, s in zip(self._thresholds, self._states, strict=True) if s.active}

    def process(self, block: SampleBlock, context: MetricContext | None = None) -> list[AlertEvent]:
        """Evaluate one block; the events in time order."""
        n = len(block)
        if n == 0 or not self._thresholds:
            return []
        t = np.asarray(block[schema.TIME], dtype=float)
        values = self.metrics.compute(block, [th.metric for th in self._thresholds], context)
        events: list[AlertEvent] = []
        for th, st in zip(self._thresholds, self._states, strict=True):
            events += self._step(th, st, t, values[th.metric])
        self._last_t = float(t[-1])
        events.sort(key=lambda e: e.time_s)
        return events

    @staticmethod
    def _step(th: Threshold, st: _State, t: np.ndarray, v: np.ndarray) -> list[AlertEvent]:
        n = len(t)
        beyond, back = _conditions(th, v)
        idx = np.arange(n)
        # start time of the run of `beyond` each sample belongs to
        last_break = np.maximum.accumulate(np.where(beyond, -1, idx))
        run_start = np.where(last_break + 1 < n, t[np.minimum(last_break + 1, n - 1)], np.nan)
        if st.pending_since is not None:
            run_start = np.where(last_break < 0, st.pending_since, run_start)
        held = beyond & (t - run_start >= th.delay_s)
        key = _severity_key(th, v)
        out: list[AlertEvent] = []
        pos = 0
        while pos < n:
            if not st.active:
                hits = np.flatnonzero(held[pos:])
                if not hits.size:
                    break
                i = pos + int(hits[0])
                st.active, st.worst = True, float(v[i])
                st.level = th.crossed_level(st.worst)
                out.append(AlertEvent(EventKind.RAISED, th, float(t[i]), st.worst, st.level))
                pos = i
            clears = np.flatnonzero(back[pos:])
            stop = n if not clears.size else pos + int(clears[0])
            seg = key[pos:stop]
            if np.isfinite(seg).any():
                j = pos + int(np.nanargmax(seg))
                if not np.isfinite(st.worst) or key[j] > _severity_key(th, np.array([st.worst]))[0]:
                    st.worst = float(v[j])
            if not clears.size:
                break
            out.append(AlertEvent(EventKind.CLEARED, th, float(t[stop]), st.worst, st.level))
            st.active, st.worst = False, float("nan")
            pos = stop
        st.pending_since = None
        if not st.active and beyond[-1]:
            st.pending_since = float(run_start[-1])
        return out


def evaluate_blocks(
    blocks: Iterable[SampleBlock],
    thresholds: Sequence[Threshold],
    pack: PackCells | None = None,
) -> list[AlertEvent]:
    """Every event of ``thresholds`` over ``blocks`` (metrics from the columns only)."""
    evaluator = AlertEvaluator(thresholds, pack)
    events: list[AlertEvent] = []
    for block in blocks:
        events += evaluator.process(block)
    return events
