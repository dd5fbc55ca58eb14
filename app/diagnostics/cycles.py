"""Per-cycle and per-step summaries: capacity, energy, efficiency, temperatures, DCIR.

Cycle boundaries come from the data's ``cycle_index`` when present; otherwise
they are detected from the current (:class:`CycleDetector`): a cycle is a charge
and the discharge after it, or a discharge and the charge after it when the
log's first substantial half is a discharge (a drive, a log starting charged),
each half moving at least :data:`CYCLE_SWING_FRACTION` of the capacity, so that
a drive's regenerative braking, an HPPC test's charge pulses and short rests stay
inside their cycle (a drive log without ``cycle_index`` had a "cycle" per braking
pulse: 9136 in 10 days at 1 s, and no capacity fade). The simulator's drive and
cycling logs so get its own cycle_index's cycles. Steps come from
``step_index`` (a new step also at a new cycle) when present, otherwise from the
current changing between charge, discharge and rest.

``charge_capacity_ah`` and ``discharge_capacity_ah`` are all that went in and
out in the cycle (a cycler's counters, cellpy's and BEEP's per-cycle columns):
in a drive with regenerative braking both count the charge braking put back,
~1.2 Ah of a 5 Ah cell's 6.2 discharged from full to empty, and their ratio, the
coulombic efficiency, stays the cell's. ``net_discharge_capacity_ah`` is what the
cycle's discharge took out of the battery: the net charge from the cycle's
highest state of charge to its lowest after it (its deepest drop), that is
``discharge_capacity_ah`` less the charging (above the rest current at either
end of an interval) within that drop and the discharging (the same) outside it,
where these come to :data:`NET_NOISE_FRACTION` of it or more (less is a rest's
noise: the simulator's typical noise spikes, 0.03 % of a 1C cycle at 2 s). For a discharge with no charging
in it (a cycler's CC or CC-CV cycle) the two are the same figure; from full to
empty it is the battery's capacity, which capacity fade and cycle life follow
(:func:`~app.diagnostics.suite.lifetime_cycles`).

DCIR of a cycle is the median 10-s resistance ``(V(t+10 s) - V_before) /
(I(t+10 s) - I_before)`` (FreedomCAR HPPC definition, as in
:mod:`~app.diagnostics.pulse_detection`) of the current steps in the cycle
that hold for at least 10 s; None where there are none.
"""

from __future__ import annotations

import bisect
import math
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.diagnostics.finite import nan_to_num
from app.diagnostics.time_gaps import GapRule

if TYPE_CHECKING:
    import pandas as pd

CYCLE_COLUMNS = (
    "cycle_index",
    "start_time_s",
    "duration_s",
    "charge_capacity_ah",
    "discharge_capacity_ah",
    "coulombic_efficiency",
    "charge_energy_wh",
    "discharge_energy_wh",
    "energy_efficiency",
    "net_discharge_capacity_ah",
    "mean_temperature_c",
    "max_temperature_c",
    "end_of_charge_voltage_v",
    "end_of_discharge_voltage_v",
    "dcir_ohm",
    "n_pulses",
    "capacity_source",
    "energy_source",
    "partial",
)

STEP_COLUMNS = (
    "cycle_index",
    "step_number",
    "step_index",
    "kind",
    "start_time_s",
    "duration_s",
    "start_voltage_v",
    "end_voltage_v",
    "mean_current_a",
    "charge_capacity_ah",
    "discharge_capacity_ah",
    "charge_energy_wh",
    "discharge_energy_wh",
    "mean_temperature_c",
    "max_temperature_c",
    "capacity_source",
    "energy_source",
)

#: charging within a cycle's discharge (or discharging outside it) under this fraction
#: of its discharge capacity is noise: its net discharge is its discharge capacity
NET_NOISE_FRACTION = 0.005

#: Read point of the per-cycle DCIR (s after the step).
DCIR_READ_S = 10.0


def current_threshold_a(current: np.ndarray, capacity_ah: float | None = None) -> float:
    """Below this magnitude the battery is taken to be at rest (C/50, or 2 % of the peak).

    C/50 sits above the noise of typical current sensors at rest (~0.5 % of 1C)
    and below the C/20 end of a CC-CV charge.
    """
    if capacity_ah:
        return 0.02 * capacity_ah
    peak = np.nanmax(np.abs(current)) if len(current) else 0.0
    return 0.02 * peak if peak > 0 else 1e-9


def detect_cycles(
    t: np.ndarray, current: np.ndarray, threshold_a: float, swing_ah: float
) -> np.ndarray:
    """Cycle number (1-based) of every sample, from the current (``current``
    without NaN): see :class:`CycleDetector`."""
    return CycleDetector(threshold_a, swing_ah).update(t, current)


def trapezoid_increments(
    dt: np.ndarray, y: np.ndarray, scale: float, keep: np.ndarray | None = None
) -> np.ndarray:
    """Per-interval integral of y over the intervals ``dt`` (``np.diff`` of the
    times), assigned to the interval's start sample, divided by ``scale``.

    Trapezoidal where the interval keeps its sign or reverses it (charge to
    discharge or back: the line through zero, as :class:`_Integrals` splits it);
    where the current starts or stops within an interval (one end exactly zero),
    the value at its start is held (a step change between two log samples). The
    charge of the per-cycle table and of the SOH's full discharges and OCV
    readings (:mod:`~app.diagnostics.soh`). (The operations of
    ``np.where(s0 == s1 | s0 * s1 < 0, 0.5 * (y0 + y1) * dt, y0 * dt) / scale`` with
    ``s0, s1`` the signs of ``y0, y1``,
    in place: the same bits without 1e6-sample temporaries.)

    Held across a reversal too, a drive log's net charge did not add up: a 1 s
    drive trace with regenerative braking (``simulate --profile drive``, ~4000
    reversals a cycle) counted 0.037 Ah more discharged than charged in every
    cycle that returns to where it started (coulombic efficiency 1.006, an
    impossible figure; 1.0000 with the reversals trapezoidal).

    ``keep``, if given, is that test's result (``s0 == s1 | s0 * s1 < 0``) made by
    the caller, who knows it from the current alone (:class:`_Integrals`).
    The value taken over each interval is :func:`held_values`'.
    """
    inc = np.zeros(len(y))
    if len(y) > 1:
        out = held_values(y, keep, out=inc[:-1])
        out *= dt
    inc /= scale
    return inc


def held_values(
    y: np.ndarray, keep: np.ndarray | None = None, out: np.ndarray | None = None
) -> np.ndarray:
    """Per interval between consecutive samples of ``y`` (``len(y) - 1`` of them),
    the value taken as held over it by every charge count
    (:func:`trapezoid_increments`, the SOC filter's prediction): the mean of its
    ends (trapezoidal) where it keeps its sign or reverses it, the value at its
    start where the current starts or stops within it (one end exactly zero: a
    cycler logs a step's start, the current was the step before's until then;
    NaN at either end, the value at its start). ``keep``: that test's result if
    the caller has it; ``out``: where to write them.
    (``np.where(s0 == s1 | s0 * s1 < 0, 0.5 * (y0 + y1), y0)`` with ``s0, s1`` the
    signs of ``y0, y1``: the same bits.) :func:`held_value` is one interval's.
    """
    y0, y1 = y[:-1], y[1:]
    if out is None:
        out = np.empty(len(y0))
    np.copyto(out, y0)
    trap = np.add(y0, y1)
    trap *= 0.5
    if keep is None and math.isfinite(np.add.reduce(y)):
        # (every value finite: the test fails only where exactly one end is zero)
        keep = _keep_trapezoid(y == 0)
    elif keep is None:  # (NaN fails it, as the signs have it)
        sign = np.sign(y)
        s0, s1 = sign[:-1], sign[1:]
        keep = (s0 == s1) | (s0 * s1 < 0)
    np.copyto(out, trap, where=keep)
    return out


def held_value(y0: float, y1: float) -> float:
    """:func:`held_values` of one interval, in plain floats (the same operations)."""
    if y0 == y0 and y1 == y1 and (y0 == 0.0) == (y1 == 0.0):
        return (y0 + y1) * 0.5
    return y0


#: a cycle's charge, and the discharge before it, move at least this fraction of the
#: capacity: a drive's regenerative braking (a 10-s pulse ~0.5 %), an HPPC test's
#: charge pulses (~1 %) and a rest's noise stay inside a cycle
CYCLE_SWING_FRACTION = 0.05

#: a half starts after the last sample within this fraction of the swing of the
#: extreme before it (a rest's noise spikes move ~0.01 % of the capacity)
TURN_TOLERANCE = 0.01

#: samples of the first window :class:`CycleDetector` searches for a turning point
_SEARCH_WINDOW = 1024


def cycle_swing_ah(current: np.ndarray, capacity_ah: float | None = None) -> float:
    """The charge (Ah) a cycle's charge, and the discharge before it, must each move:
    :data:`CYCLE_SWING_FRACTION` of the capacity; without one, of an hour of the
    peak current (the peak taken as 1C, as :func:`current_threshold_a` does)."""
    if capacity_ah:
        return CYCLE_SWING_FRACTION * capacity_ah
    peak = float(np.max(np.abs(current))) if len(current) else 0.0
    return CYCLE_SWING_FRACTION * peak if peak > 0 else 1e-9


class CycleDetector:
    """Cycle boundaries from the current, block by block (offline: one block).

    The charge moved by the current above the rest current ``threshold_a`` (a
    rest's noise or a sensor's offset moves nothing), summed from the start, falls
    in a discharge and rises in a charge. Its turning points are those of a zigzag
    with the hysteresis ``swing_ah``: a charge or discharge moving less (a drive's
    regenerative braking, an HPPC test's pulses) turns nothing, and neither does a
    rest. A cycle is a charge and the discharge after it when the log's first
    substantial half is a charge, else a discharge and the charge after it (a
    drive, a log starting charged; the simulator's and the cyclers' numbering of
    such logs). It starts where the half after a turning point starts: at the
    first sample charging (discharging) after the last one that does not and is
    still within :data:`TURN_TOLERANCE` of the swing of the lowest (highest) sum
    -- the end of the rest between the halves, whatever noise spikes the rest has.
    The log's first turning point starts none (no substantial half before it).

    A boundary is known only once the half after it moved ``swing_ah``: it can lie
    in an earlier block, which a caller relabels (:attr:`boundaries` are global
    sample indices). Any split into blocks gives the bits of one block: the
    running sum is a sequential ``np.cumsum`` of the same increments (each
    interval's charge at the current of its start), and every mark is that of the
    first (last) sample that qualifies, whatever window finds it.
    """

    def __init__(self, threshold_a: float, swing_ah: float):
        self.threshold_a = threshold_a
        self.swing_ah = swing_ah
        self.boundaries: list[int] = []  #: global indices of the first samples of cycles 2, 3...
        self._n = 0  # samples seen
        self._q = 0.0  # the sum at the last sample (A*s)
        self._last: tuple[float, float] | None = None  # (t, counted current) of the last sample
        self._mode = 0  # 0: no turning point yet; -1: falling; +1: rising
        self._order = 0  # the direction of the log's first substantial half (0: none yet)
        self._lo = (math.inf, -1)  # lowest (sum, global index) of the fall (mode 0 too)
        self._hi = (-math.inf, -1)  # highest (sum, global index) of the rise (mode 0 too)
        # the last sample near the extreme that does not move the next half's way, and
        # the first after it that does (-1: none yet)
        self._near = -1
        self._turn = -1

    @property
    def samples(self) -> int:
        """Samples seen so far (the global index of the next block's first)."""
        return self._n

    def label_of(self, index: int) -> int:
        """The cycle (1-based) of the sample at global ``index``, as known so far."""
        return 1 + bisect.bisect_right(self.boundaries, index)

    def update(self, t: np.ndarray, i: np.ndarray) -> np.ndarray:
        """The cycle (1-based) of each sample of the next block (``i`` without NaN),
        with every boundary found so far."""
        m, g = len(i), self._n
        if not m:
            return np.empty(0, dtype=np.int64)
        thr = self.threshold_a
        counted = np.where(np.abs(i) > thr, i, 0.0)
        t0, c0 = (t[0], counted[0]) if self._last is None else self._last
        # each interval's charge in A*s at the current of its start (a 5 %-of-capacity
        # swing needs no better; a third of the time of the trapezoids)
        inc = np.empty(m + 1)
        inc[0] = self._q
        np.subtract(t[1:], t[:-1], out=inc[2:])
        inc[1] = t[0] - t0
        inc[2:] *= counted[:-1]
        inc[1] *= c0
        q = np.cumsum(nan_to_num(inc))[1:]
        moving = {1: i > thr, -1: i < -thr}
        pos = 0
        while pos < m:
            pos = self._advance(q, pos, g, moving)
        # a boundary next: where it would be
        if self._mode and self._mode != self._order and (self._near >= g or self._turn < 0):
            self._turn = self._first_after(self._near, g, moving[-self._mode])
        self._q = float(q[-1])
        self._last = (float(t[-1]), float(counted[-1]))
        self._n += m
        # (a boundary found here can lie in an earlier block: it counts for all of this one)
        before = bisect.bisect_left(self.boundaries, g)
        labels = np.full(m, 1 + before, dtype=np.int64)
        here = [b - g for b in self.boundaries[before:]]
        if here:
            marks = np.zeros(m, dtype=np.int64)
            marks[here] = 1
            labels += np.cumsum(marks)
        return labels

    @staticmethod
    def _first_after(index: int, g: int, mask: np.ndarray) -> int:
        """The first sample after global ``index`` where the block's ``mask`` (from
        global ``g``) holds (-1: none)."""
        start = max(index + 1 - g, 0)
        k = int(np.argmax(mask[start:])) + start if start < len(mask) else len(mask)
        return g + k if k < len(mask) and mask[k] else -1

    def _advance(self, q: np.ndarray, pos: int, g: int, moving: dict) -> int:
        """Search ``q`` from ``pos`` for the next turning point (in windows of
        doubling size: about a half's samples each time, not the rest of the log);
        the position after it, or ``len(q)``."""
        x, m, w = 3600.0 * self.swing_ah, len(q), _SEARCH_WINDOW  # (q in A*s)
        tol = TURN_TOLERANCE * x
        while pos < m:
            seg = q[pos : pos + w]
            n = len(seg)
            hit_up = hit_down = n
            if self._mode <= 0:
                low = np.minimum.accumulate(seg)
                np.minimum(low, self._lo[0], out=low)
                up = np.flatnonzero(seg >= low + x)
                hit_up = int(up[0]) if up.size else n
            if self._mode >= 0:
                high = np.maximum.accumulate(seg)
                np.maximum(high, self._hi[0], out=high)
                down = np.flatnonzero(seg <= high - x)
                hit_down = int(down[0]) if down.size else n
            j = min(hit_up, hit_down)
            end = min(j + 1, n)
            # the extremes up to the turning point (or the window's end): the first
            # sample of a new lowest (highest) value
            if self._mode <= 0:
                k = int(np.argmin(seg[:end]))
                if seg[k] < self._lo[0]:
                    self._lo = (float(seg[k]), g + pos + k)
            if self._mode >= 0:
                k = int(np.argmax(seg[:end]))
                if seg[k] > self._hi[0]:
                    self._hi = (float(seg[k]), g + pos + k)
            if self._mode and self._mode != self._order:
                # the last sample near the extreme not moving the next half's way
                near = seg[:j] <= low[:j] + tol if self._mode < 0 else seg[:j] >= high[:j] - tol
                near &= ~moving[-self._mode][pos : pos + j]
                if near.any():
                    self._near = g + pos + j - 1 - int(np.argmax(near[::-1]))
                    self._turn = -1
            if j == n:
                pos += n
                w *= 2
                continue
            turn = 1 if j == hit_up else -1  # a rise from the lowest point, or a fall
            if not self._order:
                self._order = turn
            elif turn == self._order:
                start = self._turn if self._near < g else -1
                if start < 0:
                    start = self._first_after(self._near, g, moving[turn])
                self.boundaries.append(start if start >= 0 else g + pos + j)
            if turn > 0:
                self._hi = (float(seg[j]), g + pos + j)
            else:
                self._lo = (float(seg[j]), g + pos + j)
            self._mode, self._near, self._turn = turn, g + pos + j, -1
            return pos + j + 1
        return pos


def time_gaps_of(t: np.ndarray, step: np.ndarray | None = None) -> np.ndarray:
    """The samples of a whole log the interval into which is a time gap
    (:class:`~app.diagnostics.time_gaps.GapRule`, fed as a live stream is)."""
    if len(t) < 2:
        return np.empty(0, dtype=np.intp)
    return GapRule().judge(np.maximum(np.diff(t, prepend=t[0]), 0.0), step)


def _ratio(out: float, into: float) -> float | None:
    """out/into for a complete cycle, else None.

    A cycle counts as complete when its two halves are within 20 % of each
    other (real coulombic efficiencies run 0.85-1.0): an efficiency of a
    partial cycle (a drive trace with some regen, a log starting mid-charge)
    says nothing about the cell.
    """
    if into <= 0 or out <= 0 or min(out, into) < 0.8 * max(out, into):
        return None
    return float(out / into)


def cycle_numbers(df: pd.DataFrame, i: np.ndarray, capacity_ah: float | None) -> np.ndarray:
    """Cycle of every sample: the file's ``cycle_index`` if it has one, else from the current."""
    if schema.CYCLE_INDEX in df.columns:
        logged = df[schema.CYCLE_INDEX]
        missing = logged.isna()
        if not missing.all():
            filled = logged.ffill().bfill() if missing.any() else logged
            return filled.to_numpy().astype(np.int64)
    t = df[schema.TIME].to_numpy(dtype=float)
    return detect_cycles(t, i, current_threshold_a(i, capacity_ah), cycle_swing_ah(i, capacity_ah))


#: samples of a block of :class:`_Integrals` (its temporaries stay in cache)
_INTEGRAL_BLOCK = 65536


class _Integrals:
    """Per-sample increments of charge (Ah) and energy (Wh), split by the current's sign."""

    def __init__(
        self,
        t: np.ndarray,
        v: np.ndarray,
        i: np.ndarray,
        block: int = _INTEGRAL_BLOCK,
        gaps: np.ndarray | None = None,
    ):
        # Split each interval's charge by its sign so charge and discharge
        # capacities are both positive numbers; an interval where the current
        # reverses (regenerative braking in a drive, 1e3-1e4 a cycle) at the line
        # through zero, so its two parts add up to the net charge of
        # :func:`trapezoid_increments`. A block of samples at a time (and
        # the sample after it, where its last interval ends): every value is
        # computed element by element, so the blocks give the bits of the whole
        # log at once, without its 1e6-sample temporaries.
        n = len(t)
        self.q_chg, self.q_dis, self.e_chg, self.e_dis = (np.empty(n) for _ in range(4))
        for a in range(0, n, block):
            b = min(n, a + block)
            stop = min(n, b + 1)
            ib = i[a:stop]
            i_chg = np.clip(ib, 0, None)
            i_dis = np.clip(-ib, 0, None)
            v0 = nan_to_num(v[a:stop])
            dt = np.diff(t[a:stop])
            # trapezoid_increments' test of each interval, from the current alone
            # when it is finite (its sum is): a clipped side's sign is 0 or 1, so the
            # test is "both ends zero or both not"; with every voltage >= 1 its energy
            # (``i * v``, no underflow to 0) is zero where its charge is. (Else, NaN
            # among them, the test is made per part as usual.)
            keep_chg = keep_dis = energy_keep = None
            if math.isfinite(np.add.reduce(ib)):
                keep_chg, keep_dis = _keep_trapezoid(ib <= 0), _keep_trapezoid(ib >= 0)
                energy_keep = v0.min() >= 1.0
            for out, y, keep in (
                (self.q_chg, i_chg, keep_chg),
                (self.q_dis, i_dis, keep_dis),
                (self.e_chg, i_chg * v0, keep_chg if energy_keep else None),
                (self.e_dis, i_dis * v0, keep_dis if energy_keep else None),
            ):
                # (the increment of the block's last sample: that of the interval
                # after it, or 0 at the end of the log)
                out[a:b] = trapezoid_increments(dt, y, 3600.0, keep)[: b - a]
            self._split_reversals(a, b, ib, v0, dt)
        # ``gaps``: the samples the interval into which is a time gap (time_gaps): the
        # current there is unknown, none counted (the increment at its start sample)
        if gaps is not None and len(gaps):
            at = gaps[gaps > 0] - 1
            for out in (self.q_chg, self.q_dis, self.e_chg, self.e_dis):
                out[at] = 0.0

    def _split_reversals(
        self, a: int, b: int, ib: np.ndarray, v0: np.ndarray, dt: np.ndarray
    ) -> None:
        """The intervals of samples ``a:b`` where the current reverses (``ib``,
        ``v0``, ``dt``: the block's currents, voltages and intervals from ``a``,
        the sample after ``b`` included): each part of the line through zero to
        the side of its sign, its energy at its own end's voltage."""
        k = np.flatnonzero(ib[:-1] * ib[1:] < 0)
        k = k[k < b - a]
        if not k.size:
            return
        y0, y1, d = ib[k], ib[k + 1], dt[k]
        before = y0 / (y0 - y1)  # the share of the interval before the zero
        part0 = 0.5 * y0 * before * d / 3600.0  # charge of y0's sign (Ah, signed)
        part1 = 0.5 * y1 * (1.0 - before) * d / 3600.0
        e0, e1 = part0 * v0[k], part1 * v0[k + 1]
        charging = y0 > 0
        at = a + k
        self.q_chg[at] = np.where(charging, part0, part1)
        self.q_dis[at] = -np.where(charging, part1, part0)
        self.e_chg[at] = np.where(charging, e0, e1)
        self.e_dis[at] = -np.where(charging, e1, e0)


def _keep_trapezoid(zero: np.ndarray) -> np.ndarray:
    """Per interval: both ends zero or both not (``zero``: per sample)."""
    return np.equal(zero[:-1], zero[1:])


def _segments(labels: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of equal labels (slices: thousands of cycles copy nothing)."""
    if not len(labels):
        return []
    bounds = [0, *(np.flatnonzero(np.diff(labels)) + 1).tolist(), len(labels)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _temperatures(temp: np.ndarray | None, a: int, b: int) -> tuple[float | None, float | None]:
    """Mean and max of the finite ``temp[a:b]`` (None without any)."""
    if temp is None:
        return None, None
    seg = temp[a:b]
    finite = np.isfinite(seg)
    if finite.all():  # (np.nanmean's and np.nanmax's values, without their overhead)
        return float(seg.sum()) / (b - a), float(seg.max())
    if not finite.any():
        return None, None
    return float(np.nanmean(seg)), float(np.nanmax(seg))


def _last_where(mask: np.ndarray, at: np.ndarray) -> np.ndarray:
    """For each sample index ``at``, the index of the last sample up to it where
    ``mask`` holds (-1: none)."""
    where = np.flatnonzero(mask)
    k = np.searchsorted(where, at, side="right") - 1
    return np.where(k >= 0, where[np.maximum(k, 0)] if len(where) else -1, -1)


def pulse_resistances(
    df: pd.DataFrame, capacity_ah: float | None = None, read_s: float = DCIR_READ_S
) -> tuple[np.ndarray, np.ndarray]:
    """(sample index of each current step held ``read_s``, its DCIR in ohm at ``read_s``).

    Steps are those of :func:`~app.diagnostics.pulse_detection.step_candidates`
    (at least C/10, or 10 % of the peak current without a capacity, from a
    settled level); a step counts when the new level is not a rest and holds
    for ``read_s``, and the samples support a reading at ``read_s``
    (:func:`~app.diagnostics.pulse_detection.reads_supported`: a cycler logging every
    30 s has none 10 s into a step), or the step ends there and the log's
    ``step_index`` marks its first row and the next step's
    (:func:`~app.diagnostics.pulse_detection.step_rows_read`: a 10 s HPPC pulse
    logged every 30 s).
    """
    t = df[schema.TIME].to_numpy(dtype=float)
    v = df[schema.VOLTAGE].to_numpy(dtype=float)
    i = nan_to_num(df[schema.CURRENT].to_numpy(dtype=float))
    step = df[schema.STEP_INDEX].to_numpy(dtype=float) if schema.STEP_INDEX in df else None
    return _pulse_resistances(t, v, i, step, capacity_ah, read_s)


def _pulse_resistances(
    t: np.ndarray,
    v: np.ndarray,
    i: np.ndarray,
    step: np.ndarray | None,
    capacity_ah: float | None,
    read_s: float = DCIR_READ_S,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`pulse_resistances` on arrays (``i`` without NaN)."""
    from app.diagnostics.pulse_detection import (
        PulseSettings,
        first_departures,
        interp_within,
        pre_step_drift,
        pre_step_supported,
        reads_supported,
        step_candidates,
        step_rows_read,
        step_rows_weight,
    )

    settings = PulseSettings()
    if capacity_ah:
        thr = settings.step_c_rate * capacity_ah
    else:
        peak = float(np.max(np.abs(i))) if len(i) else 0.0
        thr = 0.1 * peak
    if thr <= 0 or len(i) < settings.settle_samples + 2:
        return np.empty(0, dtype=np.int64), np.empty(0)
    tol = settings.hold_fraction * thr
    rest = current_threshold_a(i, capacity_ah)
    ks, levels = step_candidates(
        i, 0, len(i), thr=thr, tol=tol, settle=settings.settle_samples, step_index=step
    )
    n = len(i)
    inside = levels < n
    ks, levels = ks[inside], levels[inside]
    # sparse logging (a cycler writing every 30 s): when the level is reached only after the
    # read point, the step's first sample already carries the new current
    late = t[levels] - t[ks] > read_s
    levels = np.where(late, ks, levels)
    level = i[levels]
    hold = np.maximum(tol, 0.05 * np.abs(level))
    # cheap necessary conditions first (a drive cycle has ~1e4 steps, a few pulses): the
    # level is no rest (a step back to rest ends a pulse) and still held just before the
    # read point and halfway there
    last = np.clip(np.searchsorted(t, t[ks] + read_s) - 1, levels, n - 1)
    mid = (levels + last) // 2
    keep = (np.abs(level) > rest) & (np.abs(i[last] - level) <= hold)
    keep &= np.abs(i[mid] - level) <= hold
    keep &= ~late | (np.abs(i[ks] - i[ks - 1]) >= thr)
    ks, levels, level, hold = ks[keep], levels[keep], level[keep], hold[keep]
    # hppc_resistance_raw(..., times_s=(read_s,)) of every step at once. The pulse's end
    # matters only up to the sample after the first one past the read point: search
    # that far (a later end gives the same reading)
    reach = np.minimum(np.searchsorted(t, t[ks] + read_s, side="right") + 1, n)
    end = first_departures(i, level, hold, levels, reach)
    duration = t[np.minimum(end, n - 1)] - t[ks]
    ok = (end > levels) & ~(duration < read_s - 1e-6)
    ks, levels, end = ks[ok], levels[ok], end[ok]
    # what the samples support (no reading across a slow log's interval); else a pulse
    # ending at the read point, from its first row and the next step's (step_rows_read)
    taus = np.full(len(ks), float(read_s))
    ok = reads_supported(t, t[ks] + read_s, taus, levels, end)
    alt, dv_alt, di_alt = step_rows_read(t, v, i, step, ks, levels, end, taus)
    alt &= ~ok
    if alt.any():
        use = ok | alt
        ks, levels, end = ks[use], levels[use], end[use]
        alt, dv_alt, di_alt = alt[use], dv_alt[use], di_alt[use]
    else:
        ks, levels, end, alt = ks[ok], levels[ok], end[ok], None
    te = np.minimum(t[ks] + read_s, t[end - 1])
    dv = interp_within(te, t, v, levels, end) - v[ks - 1]
    di = interp_within(te, t, i, levels, end) - i[ks - 1]
    drift = pre_step_drift(t, v, ks)
    if alt is not None:
        dv, di = np.where(alt, dv_alt, dv), np.where(alt, di_alt, di)
        drift = np.where(alt, drift * step_rows_weight(i, ks, end), drift)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = dv / di
    good = (di != 0) & np.isfinite(value) & (value > 0)
    # the row before the step, when older, taken while the voltage still moved
    good &= pre_step_supported(drift, dv)
    return ks[good].astype(np.int64), value[good].astype(float)


def summarize_cycles(df: pd.DataFrame, capacity_ah: float | None = None) -> pd.DataFrame:
    """One row per cycle with the columns of :data:`CYCLE_COLUMNS`.

    Capacities and energies are the cycler's own counters where the log has them
    (``capacity_source`` / ``energy_source`` say which: see
    :mod:`~app.diagnostics.cycler_counters`), else integrals of the current.
    ``partial`` marks the cycles that do not return to their start after a
    complete charge and discharge; they have no efficiencies (see
    :mod:`~app.diagnostics.partial_cycles`).
    """
    import pandas as pd

    from app.diagnostics.cycler_counters import COUNTER_COLUMNS, use_cycler_counters
    from app.diagnostics.partial_cycles import add_end_points, mark_partial_cycles

    t = df[schema.TIME].to_numpy(dtype=float)
    i = nan_to_num(df[schema.CURRENT].to_numpy(dtype=float))
    v = df[schema.VOLTAGE].to_numpy(dtype=float)
    cycle = cycle_numbers(df, i, capacity_ah)
    temp = df[schema.TEMPERATURE].to_numpy(dtype=float) if schema.TEMPERATURE in df else None
    step = df[schema.STEP_INDEX].to_numpy(dtype=float) if schema.STEP_INDEX in df else None
    segments = _segments(cycle)
    gaps = time_gaps_of(t, step)
    rows = cycle_rows(t, v, i, temp, step, cycle, capacity_ah, segments, gaps)
    counters = {c: df[c].to_numpy(dtype=float) for c in COUNTER_COLUMNS if c in df.columns}
    use_cycler_counters(rows, counters, segments)
    add_net_discharge(rows)
    add_end_points(rows, v, i, segments)
    rows = mark_partial_cycles(rows)
    return pd.DataFrame(rows, columns=list(CYCLE_COLUMNS))


def cycle_rows(
    t: np.ndarray,
    v: np.ndarray,
    i: np.ndarray,
    temp: np.ndarray | None,
    step: np.ndarray | None,
    cycle: np.ndarray,
    capacity_ah: float | None,
    segments: list[tuple[int, int]],
    gaps: np.ndarray | None = None,
) -> list[dict]:
    """The rows of the cycles ``segments`` ((start, stop) sample ranges) of the
    samples given (``i`` without NaN; ``cycle``: each sample's cycle). A cycle's
    row reads only its own samples, the one after it (the last interval) and,
    for its pulses, a few before it and ~``DCIR_READ_S`` after it: the live
    :class:`~app.diagnostics.cycle_tracker.CycleTracker` passes windows of a
    stream that hold these. ``gaps``: the samples the interval into which is a time
    gap (:func:`time_gaps_of`), whose charge is not counted."""
    from app.diagnostics.pulse_summary import median_of

    q = _Integrals(t, v, i, gaps=gaps)
    thr = current_threshold_a(i, capacity_ah)
    # the charge of the intervals that charge (discharge) above the rest current at
    # either end, for the net discharge; and the net charge of every interval
    charging, discharging = i > thr, i < -thr
    above, below = charging.copy(), discharging.copy()
    above[:-1] |= above[1:]
    below[:-1] |= below[1:]
    q_chg_active = np.where(above, q.q_chg, 0.0)
    q_dis_active = np.where(below, q.q_dis, 0.0)
    q_net = q.q_chg - q.q_dis
    pulse_at, pulse_r = _pulse_resistances(t, v, i, step, capacity_ah)
    pulse_r_list = pulse_r.tolist()

    bounds = np.array(segments, dtype=np.int64).reshape(-1, 2)
    # each cycle's last charging and discharging sample (before it when it has none)
    ends = bounds[:, 1] - 1
    last_chg, last_dis = (
        _last_where(charging, ends).tolist(),
        _last_where(discharging, ends).tolist(),
    )
    # the pulses of a cycle: a run of pulse_at (sample indices in increasing order)
    pulse_runs = np.searchsorted(pulse_at, bounds)
    rows = []
    for (a, b), (p0, p1), chg, dis in zip(
        segments, pulse_runs.tolist(), last_chg, last_dis, strict=True
    ):
        # each interval is counted in the cycle of the sample that starts it
        qc, qd = q.q_chg[a:b].sum(), q.q_dis[a:b].sum()
        ec, ed = q.e_chg[a:b].sum(), q.e_dis[a:b].sum()
        mean_t, max_t = _temperatures(temp, a, b)
        mine = pulse_r_list[p0:p1]
        # the cycle's deepest drop of net charge: from its highest point before its lowest
        level = np.concatenate(([0.0], np.cumsum(q_net[a:b])))
        low = int(np.argmax(np.maximum.accumulate(level) - level))
        high = int(np.argmax(level[: low + 1]))
        net_off = float(q_chg_active[a + high : a + low].sum()) + float(
            q_dis_active[a : a + high].sum() + q_dis_active[a + low : b].sum()
        )
        rows.append(
            {
                "cycle_index": int(cycle[a]),
                "start_time_s": float(t[a]),
                "duration_s": float(t[b - 1] - t[a]),
                "charge_capacity_ah": float(qc),
                "discharge_capacity_ah": float(qd),
                "coulombic_efficiency": _ratio(qd, qc),
                "charge_energy_wh": float(ec),
                "discharge_energy_wh": float(ed),
                "energy_efficiency": _ratio(ed, ec),
                "mean_temperature_c": mean_t,
                "max_temperature_c": max_t,
                "end_of_charge_voltage_v": float(v[chg]) if chg >= a else None,
                "end_of_discharge_voltage_v": float(v[dis]) if dis >= a else None,
                "dcir_ohm": median_of(mine),
                "n_pulses": len(mine),
                # (less from discharge_capacity_ah, counters or not: add_net_discharge)
                "_net_off_ah": net_off,
            }
        )
    return add_net_discharge(rows)


def net_differs(row: dict) -> bool:
    """True when a per-cycle row's net discharge capacity is not its discharge
    capacity (more than 0.5 % apart: charging within the discharge), so that a summary
    shows both."""
    net, gross = row.get("net_discharge_capacity_ah"), row.get("discharge_capacity_ah")
    return net is not None and bool(gross) and abs(net - gross) >= NET_NOISE_FRACTION * gross


def add_net_discharge(rows: list[dict]) -> list[dict]:
    """Set each row's ``net_discharge_capacity_ah``: its ``discharge_capacity_ah``
    (the cycler's counter or the integral) less the charge :func:`cycle_rows` found
    outside the cycle's deepest drop. Again after the counters replaced the
    integrals. Changes the rows in place."""
    for row in rows:
        qd, off = row["discharge_capacity_ah"], row["_net_off_ah"]
        row["net_discharge_capacity_ah"] = (
            qd if off < NET_NOISE_FRACTION * qd else max(0.0, qd - off)
        )
    return rows


class StepKind(StrEnum):
    CHARGE = "charge"
    DISCHARGE = "discharge"
    REST = "rest"


def summarize_steps(df: pd.DataFrame, capacity_ah: float | None = None) -> pd.DataFrame:
    """One row per step with the columns of :data:`STEP_COLUMNS`.

    ``kind`` is the step's :class:`StepKind` value by its net charge (rest when
    the current stays below C/50, or 2 % of the peak). Capacities and energies
    are the cycler's own counters where the log has them, as in
    :func:`summarize_cycles` (``capacity_source`` / ``energy_source``).
    """
    import pandas as pd

    from app.diagnostics.cycler_counters import COUNTER_COLUMNS, take_cycler_counters

    t = df[schema.TIME].to_numpy(dtype=float)
    i = nan_to_num(df[schema.CURRENT].to_numpy(dtype=float))
    v = df[schema.VOLTAGE].to_numpy(dtype=float)
    cycle = cycle_numbers(df, i, capacity_ah)
    thr = current_threshold_a(i, capacity_ah)
    has_steps = schema.STEP_INDEX in df.columns and df[schema.STEP_INDEX].notna().any()
    if has_steps:
        step = df[schema.STEP_INDEX].ffill().bfill().to_numpy(dtype=float)
    else:
        step = np.where(i > thr, 1.0, np.where(i < -thr, -1.0, 0.0))
    change = np.ones(len(t), dtype=np.int64)
    change[1:] = (step[1:] != step[:-1]) | (cycle[1:] != cycle[:-1])
    number = np.cumsum(change)
    raw_step = df[schema.STEP_INDEX].to_numpy(dtype=float) if schema.STEP_INDEX in df else None
    q = _Integrals(t, v, i, gaps=time_gaps_of(t, raw_step))
    temp = df[schema.TEMPERATURE].to_numpy(dtype=float) if schema.TEMPERATURE in df else None
    segments = _segments(number)
    rows = []
    for a, b in segments:
        mean_t, max_t = _temperatures(temp, a, b)
        duration = float(t[b - 1] - t[a])
        rows.append(
            {
                "cycle_index": int(cycle[a]),
                "step_number": int(number[a]),
                "step_index": int(step[a]) if has_steps else None,
                "kind": None,
                "start_time_s": float(t[a]),
                "duration_s": duration,
                "start_voltage_v": float(v[a]),
                "end_voltage_v": float(v[b - 1]),
                "mean_current_a": float(np.mean(i[a:b])),
                "charge_capacity_ah": float(q.q_chg[a:b].sum()),
                "discharge_capacity_ah": float(q.q_dis[a:b].sum()),
                "charge_energy_wh": float(q.e_chg[a:b].sum()),
                "discharge_energy_wh": float(q.e_dis[a:b].sum()),
                "mean_temperature_c": mean_t,
                "max_temperature_c": max_t,
            }
        )
    counters = {c: df[c].to_numpy(dtype=float) for c in COUNTER_COLUMNS if c in df.columns}
    take_cycler_counters(rows, counters, segments)
    for row, (a, b) in zip(rows, segments, strict=True):
        if not (np.abs(i[a:b]) > thr).any():
            kind = StepKind.REST
        elif row["charge_capacity_ah"] >= row["discharge_capacity_ah"]:
            kind = StepKind.CHARGE
        else:
            kind = StepKind.DISCHARGE
        row["kind"] = kind.value
    return pd.DataFrame(rows, columns=list(STEP_COLUMNS))
