"""Time gaps in a log: the one rule of what is a gap.

An interval between two samples is a time gap (rows lost, a logger stopped)
when it is longer than :data:`GAP_FACTOR` times the longest interval that was no
gap before it, and than ``gap_s`` (:data:`GAP_FACTOR` times the log's reference
sample period, at least :data:`GAP_MIN_S`), unless a step starts at its first
end. Cyclers log on a time or a voltage change, whichever comes first, with a
logging interval set per step (Arbin 2 s growing to 10 s as the voltage
flattens, Neware 2 s in one step and 30 s in the next), and log each step's
start: an interval from a step's first sample is the new step's logging, never
a gap, and an interval that grows gradually raises what is normal. An interval
into a step's first sample is judged as any other: a cycler logs the step's
start when it comes (the last interval of a step is one of that step's
intervals, Neware's 0 s), so a long one is a hole in the log during which the
step changed (rows lost mid-step, the log back in a later step: the charge of
the step's end and of the next step's start is unknown).

The fault detector's dropout list (:mod:`app.diagnostics.faults.bins`, its
reference the median of the log's first intervals) and everything that counts
charge -- the SOC filter (:mod:`app.diagnostics.soc_ekf`, its reference the
log's first positive time step, known from the second sample on, live and
offline), the plain coulomb count, the per-cycle table's and the SOH's
capacities -- judge intervals with :class:`GapRule`: across a gap the current
is unknown, and its charge is not counted.

:meth:`GapRule.find` (arrays) and :meth:`GapRule.step` (one interval) give the
same verdicts and leave the same state, so a log split into blocks of any size
gives the same gaps.
"""

from __future__ import annotations

import math

import numpy as np

#: A time gap is an interval longer than 3 sample periods (two samples lost) ...
GAP_FACTOR = 3.0
#: ... and at least 2 s.
GAP_MIN_S = 2.0


class GapRule:
    """The gap verdicts of one log's intervals, fed in order (see the module doc)."""

    __slots__ = ("gap_s", "normal_dt_s", "_prev_step", "_prev_changed")

    def __init__(self) -> None:
        self.gap_s: float | None = None  # None until the reference is known
        self.normal_dt_s = 0.0  # the longest interval that was no gap so far
        # the step index of the last sample fed to judge/judge_one, and whether it changed
        self._prev_step = math.nan
        self._prev_changed = False

    @property
    def started(self) -> bool:
        return self.gap_s is not None

    def start(self, dt_ref_s: float) -> None:
        """Start judging, from the log's reference sample period."""
        self.gap_s = max(GAP_MIN_S, GAP_FACTOR * dt_ref_s)
        self.normal_dt_s = dt_ref_s

    def find(self, dt: np.ndarray, step_edge=None) -> np.ndarray:
        """Indices of the gaps among the intervals ``dt`` (NaN: none, no gap);
        ``step_edge``: per interval, a step starts at its first end (None: no step
        index; or a function that makes that array, called only if needed).
        Only the intervals over ``gap_s`` are judged one by one (few on a regular
        log); the others are never gaps."""
        normal = self.normal_dt_s
        if not len(dt):
            return np.empty(0, dtype=np.intp)
        top = float(np.maximum.reduce(dt))  # (one pass: no interval over gap_s, the usual)
        if top <= self.gap_s:  # (False for NaN)
            if top > normal:
                self.normal_dt_s = top
            return np.empty(0, dtype=np.intp)
        with np.errstate(invalid="ignore"):
            long = dt > self.gap_s
        candidates = np.flatnonzero(long)
        if callable(step_edge):
            step_edge = step_edge() if len(candidates) else None
        # the longest short interval up to each one (NaN: the log's first sample)
        short = np.where(long | np.isnan(dt), 0.0, dt)
        longest_short = np.maximum.accumulate(short)
        gaps = []
        for i in candidates.tolist():
            before = max(normal, float(longest_short[i - 1])) if i else normal
            edge = step_edge is not None and bool(step_edge[i])
            if edge or dt[i] <= GAP_FACTOR * before:
                normal = max(normal, float(dt[i]))
            else:
                gaps.append(i)
        self.normal_dt_s = max(normal, float(longest_short[-1]))
        return np.array(gaps, dtype=np.intp)

    @property
    def steps_seen(self) -> bool:
        """A step index was fed (its last value known): its changes are judged."""
        return self._prev_step == self._prev_step or self._prev_changed

    def edges(self, step: np.ndarray | None, n: int) -> np.ndarray | None:
        """Per sample of a block of ``n`` (``step``: their step index, None if the log
        has none): a step starts at the first end of the interval into it (the
        sample before it started a step: :func:`near_step_starts`); None without a
        step index."""
        make = self._edges(step, n)
        return None if make is None else make()

    def _edges(self, step: np.ndarray | None, n: int):
        """:meth:`edges`, the state moved on now (from the block's last two samples)
        and the array made only when called (the function returned; None without a
        step index): a block with no interval over ``gap_s`` never needs it."""
        if not n:
            return None
        if step is None:
            if self._prev_step != self._prev_step:  # (NaN: none before either)
                return None
            step = np.full(n, math.nan)  # (a step index before, none now)
        step = np.asarray(step, dtype=float)
        first_step, first_changed = self._prev_step, self._prev_changed
        last = step.item(-1)
        before = step.item(-2) if n > 1 else first_step
        self._prev_step = last
        self._prev_changed = last != before and not (last != last and before != before)

        def make() -> np.ndarray:
            prev = np.concatenate(([first_step], step[:-1]))
            with np.errstate(invalid="ignore"):
                changed = step != prev
            changed &= ~(np.isnan(step) & np.isnan(prev))
            return near_step_starts(changed, first_changed)

        return make

    def judge(self, dt: np.ndarray, step: np.ndarray | None = None) -> np.ndarray:
        """The gaps among a block's intervals ``dt`` (``dt[k]``: the interval into
        its sample ``k``; ``step``: the samples' step index, or None): :meth:`find`,
        the reference taken from the first positive interval if the rule has none
        yet (that interval is the reference, no gap; the ones before it are not
        judged): the rule of a log that counts charge from its second sample on.
        The same gaps however the log is split into blocks."""
        make = self._edges(step, len(dt))
        k = 0
        if self.gap_s is None:
            later = np.flatnonzero(dt > 0.0)
            if not len(later):
                return later
            k = int(later[0]) + 1
            self.start(float(dt[k - 1]))
            dt = dt[k:]
        gaps = self.find(dt) if make is None else self.find(dt, lambda: make()[k:])
        return gaps + k if k and len(gaps) else gaps

    def judge_one(self, dt: float, step: float = math.nan) -> bool:
        """:meth:`judge` of one sample (its interval ``dt``, its step index)."""
        prev = self._prev_step
        edge = self._prev_changed  # (near_step_starts)
        self._prev_step = step
        self._prev_changed = step != prev and not (step != step and prev != prev)
        if self.gap_s is None:
            if dt > 0.0:
                self.start(dt)
            return False
        return self.step(dt, edge)

    def step(self, dt: float, step_edge: bool = False) -> bool:
        """One interval's verdict (:meth:`find` of a one-element array)."""
        if dt > self.gap_s and not step_edge and dt > GAP_FACTOR * self.normal_dt_s:
            return True
        if dt > self.normal_dt_s:  # (False for NaN)
            self.normal_dt_s = dt
        return False


def near_step_starts(changed: np.ndarray, first_changed: bool) -> np.ndarray:
    """Per interval of a block, a step starts at its first end: the sample before
    it started a step (``changed``: per sample, its step index differs from the one
    before, the fault detector's test, :mod:`.faults.bins`: NaN after NaN is no
    change; ``first_changed``: the same of the sample before the block)."""
    return np.concatenate(([first_changed], changed[:-1]))
