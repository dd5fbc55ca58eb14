"""The alert evaluator: thresholds applied to blocks of samples, one alert per episode.

For every enabled threshold it keeps a small state (is an alert up; since when
has the condition held; the worst value of the episode) and emits
:class:`AlertEvent` s: ``raised`` when the condition has held for the
threshold's delay, ``cleared`` when the value is back past its clear level.
Work is vectorised per block; only the transitions inside a block are
stepped through, so a block costs a few numpy passes per threshold (one, for a
rule with no alert up and no value near its level). Feeding a recording in one
block or in many gives the same events.

A rule with a noise band, a fast level, a level while charging or a clear delay
judges as the safety check does (its runs: :func:`~app.diagnostics.safety.noise_proof_runs`;
charging: above :attr:`~.metrics.PackCells.charging_a` for
:data:`~app.diagnostics.safety.CHARGING_SUSTAINED_S`): the default limit rules raise
where a safety event trips and clear where it releases. A voltage beyond its fast
level raises on :data:`~app.diagnostics.safety.VOLTAGE_FAST_READINGS` consecutive
readings, or on one the pack's voltage sensor agrees with (the lowest or highest
cell: :func:`~.metrics.pack_reads_cell`), as the safety check's cell voltages trip
(one alone is a sensor's glitch).

A rule on a detected fault (``fault_<kind>`` above 0.5) has one alert per
episode of the fault as the detector reports it: it stays up while new evidence
would still extend the episode (:func:`~.metrics.fault_windows`), is dated at the
episode's start and cleared at its end as the detector dates them (the times
:func:`~app.diagnostics.faults.detect_faults` gives on the whole log), and
carries the fault (its channel and the detail's numbers) for people to read: when
raised, its figures as the detector knew them at its confirmation (not as known at
the end of the block it was confirmed in, which a larger block would put later).

A thermal-runaway onset's alert does not clear while the evidence of a runaway
remains: while its cell is still at the runaway risk's alarm end (as hot as the
risk's temperature criterion alarms at, or 15 K over the coolest other cell:
:func:`~.metrics.runaway_evidence`), whatever the onset test says now (a runaway
past its take-off no longer accelerates; the detector may put the heat down to an
internal short). It clears at the first sample where that is no longer so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np

from app.core import schema
from app.core.samples import SampleBlock
from app.diagnostics.alerts.metrics import (
    FAULT_PREFIX,
    MetricComputer,
    MetricContext,
    PackCells,
    fault_windows,
    metric_info,
    pack_reads_cell,
    runaway_evidence,
)
from app.diagnostics.alerts.thresholds import Comparison, Threshold
from app.diagnostics.runs import run_starts
from app.diagnostics.safety import (
    VOLTAGE_FAST_READINGS,
    carry_head,
    charge_start,
    fast_confirmed,
    noise_proof_runs,
    settled_over,
    sustained_charging,
)

#: The fault kind whose alert holds while the runaway's evidence remains.
RUNAWAY_KIND = "thermal_runaway_onset"


class EventKind(StrEnum):
    RAISED = "raised"
    CLEARED = "cleared"


@dataclass(frozen=True)
class AlertEvent:
    """An alert episode began (``raised``) or ended (``cleared``).

    ``time_s`` is the sample time in the recording. For ``raised``, ``value``
    is the metric at that sample; for ``cleared`` it is the worst value of the
    episode (furthest beyond the level). ``threshold_value`` is the level crossed.
    ``fault``: for a rule on a detected fault, the fault (``analyze --json``
    shape): for ``raised`` as the detector knew it when it confirmed it (its
    ``at_detection``: the same whatever blocks the samples came in), for
    ``cleared`` as known then; its start and end date the events.
    """

    kind: EventKind
    threshold: Threshold
    time_s: float
    value: float
    threshold_value: float
    fault: dict | None = None

    def to_dict(self) -> dict:
        return {
            "kind": self.kind.value,
            "metric": self.threshold.metric,
            "severity": self.threshold.severity.value,
            "time_s": self.time_s,
            "value": self.value,
            "threshold_value": self.threshold_value,
            "threshold": self.threshold.describe(),
            **({"fault": self.fault} if self.fault is not None else {}),
        }


@dataclass
class _State:
    active: bool = False
    pending_since: float | None = None  # condition true since (not yet raised)
    back_since: float | None = None  # back past the clear level since (up, clear being timed)
    worst: float = float("nan")
    worst_key: float = float("nan")  # how far beyond its level the worst value is
    level: float = float("nan")
    raised_t: float = float("nan")  # sample time the alert was raised at
    fault: dict | None = None  # a fault rule's fault, as last known
    held: bool = False  # up at the last sample only for the runaway's evidence
    #: a rule with a noise band: its last readings before the next block (see
    #: :func:`~app.diagnostics.safety.settled_over`)
    head: np.ndarray = field(default_factory=lambda: np.empty(0))


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


def _noise_and_fast(th: Threshold, v: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(beyond the level less the noise band, beyond the fast level (None: no fast
    level)) per sample; NaN is neither."""
    noise = th.noise_band
    with np.errstate(invalid="ignore"):
        if th.comparison is Comparison.ABOVE:
            fast = None if th.fast_level is None else v > th.fast_level
            return v > th.level - noise, fast
        if th.comparison is Comparison.BELOW:
            fast = None if th.fast_level is None else v < th.fast_level
            return v < th.level + noise, fast
        return (v < th.band_low + noise) | (v > th.band_high - noise), None


def _idle(th: Threshold, v: np.ndarray) -> bool:
    """No sample of ``v`` is beyond the level less the noise band (NaN is not): a
    rule with no alert up and no run being timed has nothing to do."""
    noise = th.noise_band
    if th.comparison is Comparison.ABOVE:
        return not np.fmax.reduce(v) > th.level - noise
    if th.comparison is Comparison.BELOW:
        return not np.fmin.reduce(v) < th.level + noise
    return not (np.fmin.reduce(v) < th.band_low + noise or np.fmax.reduce(v) > th.band_high - noise)


def _settled(th: Threshold, beyond: np.ndarray, head: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The samples ``beyond`` the level where a noise-band rule's run may complete its
    delay, as the safety check's (:func:`~app.diagnostics.safety.settled_over`)."""
    nb = th.noise_band
    if th.comparison is Comparison.ABOVE:
        return settled_over(beyond, head, v, th.level, nb, True)
    if th.comparison is Comparison.BELOW:
        return settled_over(beyond, head, v, th.level, nb, False)
    with np.errstate(invalid="ignore"):
        high = settled_over(beyond & (v > th.band_high), head, v, th.band_high, nb, True)
        return high | settled_over(beyond & (v < th.band_low), head, v, th.band_low, nb, False)


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
        #: start of the charge under way at the end of the last block (None: none):
        #: the charge window applies after a sustained charge, as the safety check's
        self._charge_since: float | None = None
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

    def open_faults(self) -> dict[Threshold, dict]:
        """The fault, as last known, of each fault rule's alert still up."""
        return {
            t: s.fault
            for t, s in zip(self._thresholds, self._states, strict=True)
            if s.active and s.fault is not None
        }

    def note_faults(self, faults: Sequence[dict]) -> None:
        """The detector's faults once more, with no new samples (it judged the last,
        incomplete bins of a log at its end): each fault rule's alert still up
        carries its fault as the detector gives it now, as the whole log's
        :func:`~app.diagnostics.faults.detect_faults` reports it."""
        for th, st in zip(self._thresholds, self._states, strict=True):
            kind = _fault_kind(th)
            if kind is not None and st.active:
                st.fault = _latest_fault(fault_windows(kind, faults), self._last_t, st.fault)

    def process(self, block: SampleBlock, context: MetricContext | None = None) -> list[AlertEvent]:
        """Evaluate one block; the events in time order."""
        n = len(block)
        if n == 0 or not self._thresholds:
            return []
        t = np.asarray(block[schema.TIME], dtype=float)
        values = self.metrics.compute(block, [th.metric for th in self._thresholds], context)
        events: list[AlertEvent] = []
        charging = None  # per sample, once a rule with a level while charging needs it
        current = block.get(schema.CURRENT)
        charge_since = self._charge_since
        if current is not None:
            above = self.metrics.pack.charging_a
            self._charge_since = charge_start(t, current, above, charge_since)
        for th, st in zip(self._thresholds, self._states, strict=True):
            since = st.raised_t
            kind = _fault_kind(th)
            windows = fault_windows(kind, context.faults if context else ()) if kind else []
            keep = held = None
            if kind == RUNAWAY_KIND:
                keep = self._runaway_keep(block, st, windows)
            shift = None
            if th.charge_level is not None:
                if charging is None:
                    charging = np.zeros(n, dtype=bool)
                    if current is not None:
                        with np.errstate(invalid="ignore"):
                            charging = sustained_charging(
                                t, current, self.metrics.pack.charging_a, charge_since
                            )
                shift = np.where(charging, th.charge_shift, 0.0)
            pack = None
            if th.fast_level is not None and fast_readings(th.metric) > 1:
                pack = pack_reads_cell(block, th.metric, values[th.metric])
            step = self._step(th, st, t, values[th.metric], keep, shift, pack)
            if keep is not None:
                _, back = _conditions(th, values[th.metric])
                held = {e.time_s for e in step if e.kind is EventKind.CLEARED}
                held = {ts for ts in held if _was_held(t, ts, back, keep, st.held)}
                st.held = bool(st.active and back[-1] and keep[-1])
            if kind is not None:
                step = _date_faults(step, st, since, windows, float(t[-1]), held or set())
            events += step
        self._last_t = float(t[-1])
        events.sort(key=lambda e: e.time_s)
        return events

    def _runaway_keep(self, block: SampleBlock, st: _State, windows: list) -> np.ndarray:
        """Per sample: the evidence of a runaway remains on the cell of an onset
        known (this block's faults, or the alert's own, as last known)."""
        channels = {w[2].get("channel") for w in windows}
        if st.active and st.fault is not None:
            channels.add(st.fault.get("channel"))
        keep = np.zeros(len(block), dtype=bool)
        for channel in sorted(c for c in channels if isinstance(c, str)):
            keep |= runaway_evidence(block, channel, self.metrics.pack)
        return keep

    @staticmethod
    def _step(
        th: Threshold,
        st: _State,
        t: np.ndarray,
        v: np.ndarray,
        keep: np.ndarray | None = None,
        shift: np.ndarray | None = None,
        pack: np.ndarray | None = None,
    ) -> list[AlertEvent]:
        """``keep``: samples where an alert up must not clear (None: none);
        ``shift``: how far the levels move at each sample (the charge level's
        offset while charging; None: nowhere); ``pack``: the value as the pack's
        voltage sensor reads it (None: not known), which may confirm a voltage beyond
        the fast level at once. A rule with a noise band judges its
        runs as the safety check does (:func:`~app.diagnostics.safety.noise_proof_runs`)."""
        u = v if shift is None else v - shift
        head = st.head
        if th.noise_band or th.fast_level is not None:
            st.head = carry_head(head, u)
        if not st.active and st.pending_since is None and _idle(th, u):
            return []
        n = len(t)
        beyond, back = _conditions(th, u)
        fast = None
        if th.noise_band or th.fast_level is not None:
            near, fast = _noise_and_fast(th, u)
            readings = fast_readings(th.metric)
            if fast is not None and readings > 1:
                agree = None
                if pack is not None:
                    agree = _noise_and_fast(th, pack if shift is None else pack - shift)[1]
                fast = fast_confirmed(fast, _noise_and_fast(th, head)[1], readings, agree)
            if th.noise_band:
                back = back & ~near
                # the run goes on while beyond the level less the noise band; its delay
                # counts to a sample beyond the level itself
                trip = noise_proof_runs(near, beyond, st.pending_since is not None)
                # ... and completes at a sample whose excess, averaged with the
                # readings before it, is beyond the level too (not white noise's)
                settled = _settled(th, beyond, head, u)
            else:
                trip = settled = beyond
        else:
            trip = settled = beyond
        if keep is not None:
            back = back & ~keep
        _, run_start = run_starts(t, trip, st.pending_since)
        held = settled & (t - run_start >= th.delay_s)
        if fast is not None:
            held |= fast
        if th.clear_delay_s:
            back_first, back_start = run_starts(t, back, st.back_since if st.active else None)
            released = back & (t - back_start >= th.clear_delay_s)
        else:
            back_first, back_start, released = None, None, back
        key = _severity_key(th, u)
        out: list[AlertEvent] = []
        pos = 0
        while pos < n:
            if not st.active:
                hits = np.flatnonzero(held[pos:])
                if not hits.size:
                    break
                i = pos + int(hits[0])
                level_shift = 0.0 if shift is None else float(shift[i])
                st.active, st.worst, st.worst_key = True, float(v[i]), float(key[i])
                st.level = th.crossed_level(float(u[i]), level_shift)
                st.raised_t = float(t[i])
                out.append(AlertEvent(EventKind.RAISED, th, float(t[i]), st.worst, st.level))
                pos = i
            clears = np.flatnonzero(released[pos:])
            if not clears.size:
                stop = n
            elif back_first is None:
                stop = pos + int(clears[0])
            else:
                stop = max(pos, int(back_first[pos + int(clears[0])]))
            seg = key[pos:stop]
            if np.isfinite(seg).any():
                j = pos + int(np.nanargmax(seg))
                if not np.isfinite(st.worst_key) or key[j] > st.worst_key:
                    st.worst, st.worst_key = float(v[j]), float(key[j])
            if not clears.size:
                break
            r = pos + int(clears[0])
            cleared_t = float(t[r]) if back_start is None else float(back_start[r])
            out.append(AlertEvent(EventKind.CLEARED, th, cleared_t, st.worst, st.level))
            st.active, st.worst, st.worst_key = False, float("nan"), float("nan")
            pos = r
        st.pending_since = None
        if not st.active and trip[-1]:
            st.pending_since = float(run_start[-1])
        st.back_since = None
        if st.active and back_start is not None and back[-1]:
            st.back_since = float(back_start[-1])
        return out


def fast_readings(metric: str) -> int:
    """Consecutive readings of ``metric`` beyond a rule's fast level that raise it at
    once: :data:`~app.diagnostics.safety.VOLTAGE_FAST_READINGS` for a voltage (one
    reading there is a sensor's glitch), else one."""
    return VOLTAGE_FAST_READINGS if metric_info(metric).unit == "V" else 1


def _fault_kind(th: Threshold) -> str | None:
    """The fault kind whose presence ``th`` alerts on (a fault's metric, with a
    fault present beyond its level and none not), else None."""
    if not th.metric.startswith(FAULT_PREFIX):
        return None
    beyond, _ = _conditions(th, np.array([0.0, 1.0]))
    return th.metric.removeprefix(FAULT_PREFIX) if beyond[1] and not beyond[0] else None


def _was_held(t: np.ndarray, ts: float, back: np.ndarray, keep: np.ndarray, before: bool) -> bool:
    """The clear at ``ts`` came once the runaway's evidence went (the fault itself
    was over before): the sample before it was kept up by ``keep`` alone
    (``before``: so it was at the last sample of the previous block)."""
    i = int(np.searchsorted(t, ts))
    return before if i == 0 else bool(back[i - 1] and keep[i - 1])


def _date_faults(
    events: list[AlertEvent],
    st: _State,
    since: float,
    windows: list[tuple[float, float, dict, dict]],
    t_last: float,
    held: set[float] | frozenset = frozenset(),
) -> list[AlertEvent]:
    """A fault rule's events dated as the detector dates the fault: a raise at the
    start of the fault it saw (the earliest one present then), a clear at the
    last time the faults of its episode were seen; each with its fault. ``since``:
    the sample time the alert still up before this block was raised at. A clear in
    ``held`` (a runaway's, once its evidence went) keeps its sample time and the
    alert's fault as last known."""
    out = []
    current = st.fault
    for e in events:
        ts = e.time_s
        if e.kind is EventKind.CLEARED and ts in held:
            e = replace(e, fault=current)
        elif e.kind is EventKind.RAISED:
            since = ts
            present = [w for w in windows if w[0] <= ts <= w[1]]
            if present:
                # (its figures as the detector knew them when it confirmed it, not as
                # it knows them at the end of this block: the same on any block split)
                fault = min(present, key=lambda w: float(w[2]["start_time_s"]))[3]
                e = replace(e, time_s=float(fault["start_time_s"]), fault=fault)
        else:
            seen = [w for w in windows if w[0] < ts and w[1] >= since]
            if seen:
                fault = max(seen, key=lambda w: float(w[2]["end_time_s"]))[2]
                e = replace(e, time_s=float(fault["end_time_s"]), fault=fault)
        current = e.fault if e.fault is not None else current
        out.append(e)
    if st.active:
        known = out[-1].fault if out and out[-1].fault is not None else st.fault
        st.fault = _latest_fault(windows, t_last, known)
    else:
        st.fault = None
    return out


def _latest_fault(
    windows: list[tuple[float, float, dict, dict]], t_last: float, known: dict | None
) -> dict | None:
    """The fault of an alert still up at ``t_last``, as the detector gives it now: the
    latest of those present then; else its own episode (``known``: as last known) as
    the detector reports it now -- an alert kept up by a runaway's evidence outlives
    the window of its fault, whose detail (the peak) the detector went on updating
    until the episode ended; else ``known``."""
    present = [w for w in windows if w[0] <= t_last <= w[1]]
    if not present and known is not None:
        start, end = float(known["start_time_s"]), float(known["end_time_s"])
        present = [
            w
            for w in windows
            if w[2].get("channel") == known.get("channel")
            and float(w[2]["start_time_s"]) <= end
            and float(w[2]["end_time_s"]) >= start
        ]
    if present:
        return max(present, key=lambda w: float(w[2]["end_time_s"]))[2]
    return known


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
