"""Current steps and pulses, found in the current alone, and the HPPC resistance definition.

Definitions (thresholds scale with the pack capacity C, in Ah, so "C/10" is amps):

- **step threshold** ``thr = step_c_rate * C`` (default C/10): a smaller change is
  not a step (the resistance of a C/100 change drowns in noise);
- **hold tolerance** ``tol = hold_fraction * thr`` (default C/20): the current
  counts as "held" while it stays within ``tol`` of its level; a pulse is held
  within ``min(tol, hold_relative * |step|)`` (5 %: a 2 A bump of a drive cycle
  that drifts by 0.2 A is not "roughly constant"), floored at C/33 (6 sigma of
  a typical 0.5 %-of-1C current sensor) and at ``hold_noise_sigmas`` (6)
  standard deviations of the current noise measured on the level before the
  step (from third differences, which ignore a slow drift), so noise never
  ends a pulse;
- **settled**: the ``settle_samples`` samples before the step (default 3) lie
  within ``tol`` of the last one;
- **step** at sample ``k``: the current leaves a settled level (``|I[k]-I[k-1]| >
  tol``) and is at least ``thr`` away from it at ``k`` (a one-sample step) or at
  ``k+1`` (a two-sample step: the logger caught the current mid-rise);
- **pulse**: a step whose new level is held (within the step's hold tolerance)
  for at least ``min_pulse_s`` -- default 3 s, "a few seconds", and at least
  two samples, counted from the first sample at the new level -- and is not a
  rest (``|I| > rest_c_rate * C``, C/50): a step back to rest ends a pulse, it
  is not one. A pulse ends at the first sample off its level by more than its
  hold tolerance. (At 1 Hz a smooth 3-4 s current bump of a drive cycle can
  pass for a 3 s pulse; its resistances are still right, because the fit uses
  the measured current, only less precise.)

``step_index`` (cycler logs) is used when present: a change of step marks a
step even where the current took more than two samples to settle; and a step
whose next row already starts the next step, at least ``min_pulse_s`` later, is a
pulse of one row (a 10 s HPPC pulse logged every 30 s: its first row and the next
step's are all the log has of it; :func:`step_rows_read` reads its 10 s resistance
from the two).

Time conventions follow the samples: the pulse starts at ``t_s``, the time of its
first sample ``k``; the voltage "just before the step" is the sample ``k-1``.
This matches the zero-order-hold simulator (``I[k]`` flows during
``[t_k, t_k+1)``, ``V[k]`` already sees it) and cyclers, which log the first
point of a step after it has started.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from app.core.spec import BatterySpec

#: Why no resistance was measured when no pulse was found: what a pulse is, in a line, so a
#: user knows it is not a failure. :func:`no_pulses_reason` adds what the log's current
#: did (it said "a drive cycle's current ramps" of every log, a constant-current one too).
NO_PULSES_REASON = (
    "no current pulses: no step away from a settled current that then held its new "
    "level for a few seconds"
)


@dataclass
class CurrentSpan:
    """The range of a log's current and how long it lasted, gathered block by block
    (the live tracker and the offline run fill it alike)."""

    n: int = 0
    t_first: float = math.nan
    t_last: float = math.nan
    i_min: float = math.inf
    i_max: float = -math.inf

    def add(self, t: np.ndarray, i: np.ndarray) -> None:
        ok = np.isfinite(i)
        if not ok.any():
            return
        if self.n == 0:
            self.t_first = float(t[0])
        self.t_last = float(t[-1])
        self.n += int(ok.sum())
        self.i_min = min(self.i_min, float(i[ok].min()))
        self.i_max = max(self.i_max, float(i[ok].max()))


def duration_text(seconds: float) -> str:
    """A log's length in words: ``2.81 s``, ``1800 s``, ``27.9 h`` (it read ``1.8e+03 s``)."""
    if seconds < 100:
        return f"{seconds:.3g} s"
    if seconds < 3600:
        return f"{seconds:.0f} s"
    return f"{seconds / 3600:.1f} h"


def no_pulses_reason(span: CurrentSpan | None, step_a: float, rest_a: float) -> str:
    """:data:`NO_PULSES_REASON` and what the current did instead, true of the log at
    hand: at rest throughout, within less than a step (``step_a``: a constant-current
    excerpt), or moving but never stepping to a level it held."""
    if span is None or span.n == 0:
        return NO_PULSES_REASON
    seconds = span.t_last - span.t_first
    over = f" over the log's {duration_text(seconds)}" if math.isfinite(seconds) else ""
    lo, hi = span.i_min, span.i_max
    if max(abs(lo), abs(hi)) <= rest_a:
        return f"{NO_PULSES_REASON}: the current stays at rest (within ±{rest_a:.3g} A){over}"
    if hi - lo < step_a:
        level = f"{lo:.3g} A" if f"{lo:.3g}" == f"{hi:.3g}" else f"{lo:.3g} to {hi:.3g} A"
        return (
            f"{NO_PULSES_REASON}: the current stays at {level}{over}, never changing by a "
            f"step (C/10, {step_a:.3g} A)"
        )
    # (a level held from the log's start, or a step back to rest, is no pulse: the
    # words must not deny the -2.5 A an HPPC log holds 10 s from its start)
    return (
        f"{NO_PULSES_REASON}: the current ranges over {lo:.3g} to {hi:.3g} A{over} but "
        "never steps from a settled level to another it holds away from rest (a step "
        "back to rest ends a pulse, it is not one)"
    )


#: Times into the pulse at which the resistance is reported (r_2s, r_10s, r_30s):
#: the FreedomCAR HPPC test reads its 10 s discharge and regen resistances at the
#: end of 10 s pulses (FreedomCAR Battery Test Manual for Power-Assist HEVs,
#: DOE/ID-11069, INEEL 2003, sec. 3.3 and 4.2.1); 2 s and 30 s are the issue's
#: extra read points (2 s: mostly ohmic and charge transfer; 30 s: diffusion
#: shows), the same definition at other times.
EVAL_TIMES_S: tuple[float, ...] = (2.0, 10.0, 30.0)
#: The first sample at the new level reads the ohmic resistance only this soon after
#: the step (a cycler logging every 30 s would make it a 30 s resistance).
OHMIC_WITHIN_S = 2.0
#: A reading at ``t_s + tau`` interpolated between two samples is kept only when it
#: can miss at most this fraction of the voltage's relaxation by ``t_s + tau`` (see
#: :func:`reads_supported`): half the +-5 % DCIR target where that relaxation is all
#: of the reading (an LFP cell's 30 s one at C/2), a few tenths of a per cent of a
#: mostly ohmic 2 s one. A cycler row at the step's start followed by one 60 s later
#: has nothing to say about the voltage 2 or 10 s in.
READ_MISS_MAX = 0.1
#: The last pulse sample stands in for the pulse's end at ``t_s + tau`` only when it
#: is at most this fraction of ``tau`` before it: the definition as read from a log of
#: up to 0.5 Hz (a 10 s pulse at 1 Hz is read 9 s in, at 0.5 Hz 8 s in;
#: ``bench_dcir_definition.py`` measures how far that is from 10 s after the step).
STAND_IN_MAX = 0.2
#: The voltage just before the step is the last row before it. A row at most this
#: long before the step is that voltage (a 1 Hz or 0.5 Hz log: the definition at the
#: log's rate, untouched); an older one (a cycler's last row of the step before, up to
#: one logging interval old) may be taken while the cell still relaxes from the step
#: before: see :func:`pre_step_supported`.
PRE_STEP_AGE_S = 2.0
#: A reading from an older row before the step is kept only when the voltage can have
#: moved between that row and the step by at most this fraction of the reading's
#: voltage change (:func:`pre_step_drift`'s bound: the fraction :data:`READ_MISS_MAX`
#: of the interpolation rule; the bound is exact for a linear drift, several times
#: the true move in a rest whose rows reach back to its first; 0.025 kept 78 of the
#: 189 readings of ``bench_dcir_sparse.py``'s seeds 1-3, this 108, 0.2 155, all three
#: none more than 5 % off by the voltage before the step).
PRE_STEP_MISS_MAX = 0.1
#: A :func:`step_rows_read` reading from an older row before the step is kept only when
#: the voltage can have moved it by at most this fraction of its change (the drift
#: bound times the row's weight, :func:`step_rows_weight`). Half
#: :data:`PRE_STEP_MISS_MAX`: the drift bound is tight where the rows before the step
#: are a few seconds apart (lead-acid's HPPC charge pulse 40 s after the discharge one,
#: logged every 5 or 15 s: at 10 % of the change, 6.0 % from the 1 Hz run's; chosen
#: on ``bench_dcir_sparse.py --periods 5 10 15 20``, seeds 1-3).
STEP_ROWS_MISS_MAX = 0.05
#: times closer than this are one time (float round-off of ``t_s + tau``)
_SAME_TIME_S = 1e-6
#: relaxation time constants, in units of ``tau``, over which the worst case of an
#: interpolated reading is taken (:func:`interpolation_miss`; 8 a decade)
_TIME_CONSTANTS = np.geomspace(1e-4, 1e2, 49)


@dataclass(frozen=True)
class PulseSettings:
    """Thresholds of pulse detection and of the response fit (see the module docstring)."""

    step_c_rate: float = 0.1
    hold_fraction: float = 0.5
    #: a pulse is also held only within this fraction of its own step ...
    hold_relative: float = 0.05
    #: ... but never tighter than this (C/33: 6 sigma of a typical current sensor,
    #: 0.5 % of 1C) nor than this many standard deviations of the current noise
    #: seen on the level before the step (for noisier sensors)
    hold_floor_c_rate: float = 0.03
    hold_noise_sigmas: float = 6.0
    rest_c_rate: float = 0.02
    settle_samples: int = 3
    min_pulse_s: float = 3.0
    #: the fit window starts this long before the step, whatever the current did
    #: there (the model is driven by the measured current): a long rest pins "the
    #: voltage just before", and an HPPC regen pulse 40 s after the discharge
    #: pulse is fitted together with it (half the noise of fitting its 40 s of
    #: relaxation alone)
    pre_window_s: float = 120.0
    #: the current before the step is the mean of its settled level over at most this
    level_window_s: float = 30.0
    #: current history before the fit window that only drives the RC states (so
    #: the relaxation of an earlier pulse is modelled, not mistaken for drift)
    history_s: float = 120.0
    #: relaxation after the pulse included in the fit: the pulse duration,
    #: clamped to [relax_min_s, relax_max_s]
    relax_min_s: float = 60.0
    relax_max_s: float = 600.0
    #: longer pulses (e.g. a whole CC discharge) are fitted over their first
    #: max_fit_pulse_s only
    max_fit_pulse_s: float = 600.0
    #: the read-out fit (for r_ohmic..r_30s) ends this long after the last read point
    readout_margin_s: float = 10.0
    #: above this many samples the fit window is averaged into bins (geometric in
    #: time after each step), which is exact for the linear parameters
    max_fit_points: int = 300
    #: fit budget (see :mod:`~app.diagnostics.internal_resistance`): a bucket of
    #: ``fit_budget_burst`` full fits, refilled by one per ``fit_budget_samples``
    #: samples; pulses that do not start from rest may only take a fit while the
    #: bucket is more than half full (the other half is kept for pulses from rest)
    fit_budget_samples: float = 10000.0
    fit_budget_burst: float = 32.0

    def currents(self, spec: BatterySpec) -> tuple[float, float, float]:
        """(step threshold, hold tolerance, rest threshold) in amps for ``spec``."""
        c = spec.pack_capacity_ah
        thr = self.step_c_rate * c
        return thr, self.hold_fraction * thr, self.rest_c_rate * c


#: :func:`median` of at least this many values partitions around one value (below it,
#: the few calls of that are not worth it)
_ONE_KTH_MIN = 4096


def median(x: np.ndarray, *, scratch: bool = False) -> float:
    """``np.median`` of a non-empty 1-D array, without its per-call overhead (it runs
    thousands of times per log on short arrays): the same partition, the middle
    value or the two middle ones averaged from zero as ``np.mean`` does; NaN if
    any value is NaN. ``scratch``: ``x`` is the caller's temporary, partitioned in
    place (its order changes; no copy of it is made)."""
    n = len(x)
    h = n // 2
    if n >= _ONE_KTH_MIN:
        # one value partitioned into place (numpy partitions around several kth one
        # after another: on 1e6 values 12 ms, around one 2 ms); NaN sorts last, so it
        # shows at or after it, and the value below it is the largest of those before
        if scratch:
            x.partition(h)
            part = x
        else:
            part = np.partition(x, h)
        if np.isnan(part[h:]).any():
            return math.nan
        if n % 2:
            return float(part[h]) + 0.0
        return (float(part[:h].max()) + float(part[h]) + 0.0) / 2.0
    kth = (h - 1, h, n - 1) if n % 2 == 0 else (h, n - 1)
    if scratch:
        x.partition(kth)
        part = x
    else:
        part = np.partition(x, kth)
    if part[-1] != part[-1]:  # NaN sorts last
        return math.nan
    if n % 2:
        return float(part[h]) + 0.0
    return (float(part[h - 1]) + float(part[h]) + 0.0) / 2.0


def noise_sigma(x: np.ndarray) -> float:
    """Robust standard deviation of white noise on ``x`` (see :func:`noise_sigmas`)."""
    finite = np.isfinite(x)
    if not finite.all():
        x = x[finite]
    n = len(x)
    if n < 8:
        return 0.0
    # (np.diff's three differences into two buffers, and the medians partitioning them
    # in place -- the deviations' median does not depend on their order -- instead of
    # a new array for each step: on 1e6 values 17 -> 12 ms, on a pulse's few hundred
    # np.diff's own overhead)
    d1 = np.subtract(x[1:], x[:-1])
    d2 = np.subtract(d1[1:], d1[:-1])
    d3 = np.subtract(d2[1:], d2[:-1], out=d1[: n - 3])
    dev = np.subtract(d3, median(d3, scratch=True), out=d3)
    return float(median(np.abs(dev, out=dev), scratch=True) / 0.6745 / np.sqrt(20.0))


#: :func:`noise_sigma_windows` takes windows of one length together from this many
#: (fewer: :func:`noise_sigma` each)
_WINDOWS_MIN = 4
#: a batch of windows whose differences are more than 1 / this share exactly 0 is
#: partitioned as a noise-free reading's (:func:`noise_sigma_windows`)
_TIES_SHARE = 20
#: ... judged on this many of a batch's rows
_TIES_ROWS = 4


def noise_sigma_windows(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """:func:`noise_sigma` of ``x[lo[j]:hi[j]]`` for each j, the same values: the
    third differences of ``x`` taken once (a window's are the same element-wise
    differences), and windows of one length stacked, whose medians one partition
    along the rows picks (a median is an order statistic: the same value however
    it is found) with the same arithmetic after it. Thousands of pulse windows of
    a few thousand samples each (a 10 Hz log with a step every 10 s): a third of
    the time of one call each, whose cost was mostly per call. Windows with a
    non-finite difference (a NaN or inf reading), shorter than 8 samples or of a
    length fewer than ``_WINDOWS_MIN`` windows share take :func:`noise_sigma`."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    out = np.zeros(len(lo))
    n = hi - lo
    if len(x) >= 8:
        d1 = np.subtract(x[1:], x[:-1])
        d2 = np.subtract(d1[1:], d1[:-1])
        d3 = np.subtract(d2[1:], d2[:-1], out=d1[: len(x) - 3])
        bad = np.concatenate(([0], np.cumsum(~np.isfinite(d3))))
        n3 = n - 3
        # (a window's differences d3[lo:lo + n3]; an empty or short one is not batched)
        ok = (n >= 8) & (bad[np.clip(lo + n3, 0, len(d3))] == bad[np.clip(lo, 0, len(d3))])
    else:
        ok = np.zeros(len(lo), dtype=bool)
    lengths, counts = np.unique(n[ok], return_counts=True)
    batched = np.zeros(len(lo), dtype=bool)
    for length, count in zip(lengths.tolist(), counts.tolist(), strict=True):
        if count < _WINDOWS_MIN:
            continue
        rows = np.flatnonzero(ok & (n == length))
        batched[rows] = True
        m = length - 3
        h = m // 2
        # (numpy partitions a row of distinct values around its middle one alone fastest,
        # but a noise-free or coarse reading's, many of whose differences are equal,
        # around the middle ones and the last, 3x faster; which is only a matter of time)
        kth_distinct = h
        kth_ties = (h - 1, h, m - 1) if m % 2 == 0 else (h, m - 1)
        windows = sliding_window_view(d3, m)
        step = max(1, (1 << 20) // m)  # (rows of about a million values at a time)
        for a in range(0, len(rows), step):
            at = rows[a : a + step]
            # (each row a copy of its window's differences, partitioned in place; the
            # deviations from the partitioned rows, as noise_sigma takes them)
            part = windows[lo[at]]
            # (the share of ties judged on the first few rows: it only picks the faster
            # partition, not its result)
            probe = part[:_TIES_ROWS]
            ties = np.count_nonzero(probe == 0.0) * _TIES_SHARE > probe.size
            kth = kth_ties if ties else kth_distinct
            part.partition(kth, axis=1)
            dev = np.subtract(part, _middle(part, h, m)[:, None], out=part)
            dev = np.abs(dev, out=dev)
            dev.partition(kth, axis=1)
            out[at] = _middle(dev, h, m) / 0.6745 / np.sqrt(20.0)
    for j in np.flatnonzero(~batched).tolist():
        out[j] = noise_sigma(x[lo[j] : hi[j]])
    return out


def window_sums(
    x: np.ndarray, lo: np.ndarray, hi: np.ndarray, *, where: np.ndarray | None = None
) -> np.ndarray:
    """``x[lo[j]:hi[j]].sum()`` for each j (``where``: only those j, 0 for the others),
    the same bits: the windows of one length gathered as the rows of one array and
    each row summed along its contiguous axis (numpy's pairwise sum of a row is that
    of the slice; np.add.reduceat adds a segment's first value to the rest's sum, and
    a cumulative sum rounds otherwise). Thousands of pulses' windows: a few calls per
    distinct length instead of one per window."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    n = hi - lo
    out = np.zeros(len(lo))
    use = n > 0 if where is None else (n > 0) & where
    if not use.any():
        return out
    lengths = np.unique(n[use])
    for length in lengths.tolist():
        rows = np.flatnonzero(use & (n == length))
        # (a long window alone: its own slice, no gathered copy)
        if len(rows) == 1:
            a = int(lo[rows[0]])
            out[rows[0]] = x[a : a + length].sum()
            continue
        out[rows] = sliding_window_view(x, length)[lo[rows]].sum(axis=1)
    return out


def _middle(part: np.ndarray, h: int, m: int) -> np.ndarray:
    """Each row's median of ``m`` values partitioned around ``h`` at least:
    :func:`median`'s arithmetic, element by element (for an even ``m`` the value
    below the middle one, the largest of those before it)."""
    if m % 2:
        return part[:, h] + 0.0
    return (part[:, :h].max(axis=1) + part[:, h] + 0.0) / 2.0


def noise_sigma_columns(x: np.ndarray) -> np.ndarray:
    """:func:`noise_sigma` of each column of a 2-D array (a pulse window's pack and
    cell voltages), the same values: one partition per median along the columns
    picks the same order statistics as one per column, and the arithmetic is the
    same element by element. Columns with a non-finite value take
    :func:`noise_sigma` one by one (it drops those samples)."""
    n, c = x.shape
    if n < 8 or not np.isfinite(x).all():
        return np.array([noise_sigma(x[:, j]) for j in range(c)], dtype=float)
    d3 = np.diff(x, 3, axis=0)
    dev = np.abs(d3 - _column_median(d3))
    mad = _column_median(dev)
    if np.isnan(mad).any():  # (an overflow to inf in the differences: as noise_sigma)
        return np.array([noise_sigma(x[:, j]) for j in range(c)], dtype=float)
    return mad / 0.6745 / np.sqrt(20.0)


def _column_median(x: np.ndarray) -> np.ndarray:
    """:func:`median` of each column of a 2-D array without NaN (the same values)."""
    n = len(x)
    h = n // 2
    if n % 2:
        return np.partition(x, h, axis=0)[h] + 0.0
    part = np.partition(x, (h - 1, h), axis=0)
    return (part[h - 1] + part[h] + 0.0) / 2.0


def noise_sigmas(i: np.ndarray, first: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Robust standard deviation of white noise on ``i[first[j]:stop[j]]`` for each j,
    from third differences (MAD / 0.6745 / sqrt(20)): a drift or a slow wobble of
    the current, up to a quadratic, cancels. 0 where fewer than 8 samples."""
    out = np.zeros(len(stop))
    if len(stop) == 0:
        return out
    width = int(np.max(stop - first, initial=0)) - 3
    if width < 5:
        return out
    offs = np.arange(width)
    idx = first[:, None] + offs[None, :]
    raw = _third_differences_at(i, np.clip(idx, 0, max(len(i) - 4, 0)))
    valid = (idx + 3 < stop[:, None]) & np.isfinite(raw)
    vals = np.where(valid, raw, np.nan)
    count = valid.sum(axis=1)
    enough = count >= 5
    if not enough.any():
        return out
    med = _row_median(vals[enough], count[enough])
    mad = _row_median(np.abs(vals[enough] - med[:, None]), count[enough])
    out[enough] = np.nan_to_num(mad / 0.6745 / np.sqrt(20.0))
    return out


def _third_differences_at(x: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``np.diff(x, 3)[at]`` (``d3[j]`` from samples j..j+3), the same operations on
    the samples at hand only, not on the whole of a long ``x``."""
    if len(x) < 4:
        return np.diff(x, 3)[at]
    x0, x1, x2, x3 = x[at], x[at + 1], x[at + 2], x[at + 3]
    d1_0, d1_1, d1_2 = x1 - x0, x2 - x1, x3 - x2
    return (d1_2 - d1_1) - (d1_1 - d1_0)


def _row_median(vals: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Median of the first ``count[j]`` values of each row (NaN after them): a sort,
    where ``np.nanmedian`` is slow for many short rows."""
    srt = np.sort(np.where(np.isnan(vals), np.inf, vals), axis=1)
    rows = np.arange(len(count))
    return 0.5 * (srt[rows, (count - 1) // 2] + srt[rows, count // 2])


#: a step_index change may take this many samples to reach its new level
STEP_INDEX_RAMP = 5
#: samples :func:`_departures` looks at a time
_DEPARTURE_CHUNK = 65536


def _departures(i: np.ndarray, lo: int, hi: int, tol: float) -> np.ndarray:
    """The indices ``lo <= k < hi`` (``lo >= 1``) where ``|i[k] - i[k - 1]| > tol``."""
    if hi - lo <= _DEPARTURE_CHUNK:
        return np.flatnonzero(np.abs(i[lo:hi] - i[lo - 1 : hi - 1]) > tol) + lo
    found = []
    for a in range(lo, hi, _DEPARTURE_CHUNK):
        b = min(a + _DEPARTURE_CHUNK, hi)
        d = i[a:b] - i[a - 1 : b - 1]
        np.abs(d, out=d)
        found.append(np.flatnonzero(d > tol) + a)
    return np.concatenate(found)


def step_candidates(
    i: np.ndarray,
    lo: int,
    hi: int,
    *,
    thr: float,
    tol: float,
    settle: int,
    step_index: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Steps at indices ``lo <= k < hi`` of the current ``i`` (vectorised).

    Needs ``settle`` samples before ``k`` and one after (``hi <= len(i) - 1``).
    Returns ``(k, k_level)``: the first sample off the old level and the first
    sample at the new level (``k`` or ``k + 1``; after a ``step_index`` change,
    the first settled sample within ``STEP_INDEX_RAMP`` samples, or ``len(i)``
    when the data end before the current settled: the caller looks again later).
    """
    lo = max(lo, settle, 1)  # (and the sample before k)
    hi = min(hi, len(i) - 1)
    if hi <= lo:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    # every k in lo..hi that departs from the sample before it (a chunk at a time: its
    # difference stays in cache); then, of those only, whether the samples m before k
    # had settled (most samples do not depart)
    k = _departures(i, lo, hi, tol)
    pre = i[k - 1]
    cand = np.ones(len(k), dtype=bool)
    for m in range(2, settle + 1):
        cand &= np.abs(i[k - m] - pre) <= tol
    if step_index is not None:
        # a cycler's step change is a boundary even if the current was not settled
        s_prev, s_now = step_index[k - 1], step_index[k]
        cand |= np.isfinite(s_now) & np.isfinite(s_prev) & (s_now != s_prev)
    k, pre = k[cand], pre[cand]
    n = len(i)
    moving = np.abs(i[k + 1] - i[k]) > tol
    k_level = np.where(moving, k + 1, k)
    if step_index is not None and k.size:
        # a cycler step may ramp over a few samples: its level is where it settles
        marked = step_index[k] != step_index[k - 1]
        offs = np.arange(STEP_INDEX_RAMP)
        j = k[:, None] + offs[None, :]
        have = j + 1 < n
        jj = np.minimum(j, n - 2)
        calm = have & (np.abs(i[jj + 1] - i[jj]) <= tol)
        first = np.where(calm.any(axis=1), k + np.argmax(calm, axis=1), k + STEP_INDEX_RAMP)
        undecided = ~calm.any(axis=1) & ~have.all(axis=1)
        # a step of one row (the next row starts the next step: a 10 s pulse logged
        # every 30 s) is at its level at that row
        k1 = np.minimum(k + 1, n - 1)
        one_row = (k + 1 < n) & np.isfinite(step_index[k1]) & (step_index[k1] != step_index[k])
        first = np.where(one_row, k, first)
        undecided &= ~one_row
        k_level = np.where(marked, np.where(undecided, n, first), k_level)
    big = np.abs(i[np.minimum(k_level, n - 1)] - pre) >= thr
    big |= k_level >= n
    return k[big], k_level[big]


def first_departure(i: np.ndarray, level: float, tol: float, start: int, stop: int) -> int | None:
    """First ``j`` in ``[start, stop)`` where the current is off ``level`` by more than ``tol``.

    Searches in growing chunks so a long pulse costs its own length, not the log's.
    NaN samples (a dropped reading) never end a pulse.
    """
    stop = min(stop, len(i))
    j0 = start
    chunk = 256
    while j0 < stop:
        j1 = min(stop, j0 + chunk)
        off = np.abs(i[j0:j1] - level) > tol
        if off.any():
            return j0 + int(np.argmax(off))
        j0 = j1
        chunk *= 4
    return None


def interpolation_miss(alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """The largest fraction of a relaxation ``r(s)``, ``s`` the time since the step in
    units of ``tau``, that linear interpolation between ``r(alpha)`` and ``r(beta)``
    (``0 <= alpha < 1 < beta``) can miss at ``s = 1``: ``1 - interp / r(1)``.

    Taken over ``r(s) = 1 - exp(-s / T)`` for every time constant ``T`` (the grid
    :data:`_TIME_CONSTANTS`), which bounds it for any mixture of them with positive
    amplitudes -- an RC network, and diffusion's ``sqrt(s)``, whose relaxation is such a
    mixture (a ratio of sums is at most the largest ratio) -- and for a linear drift,
    which interpolation reads exactly. A bracket starting at the step (``alpha = 0``)
    misses up to ``(beta - 1) / beta`` (a fast relaxation, done by ``s = 1``, drawn
    as a line from the step); one around ``s = 1`` away from the step little (a
    +-25 % bracket at most 2 %).
    """
    alpha = np.asarray(alpha, dtype=float)[:, None]
    beta = np.asarray(beta, dtype=float)[:, None]
    rate = 1.0 / _TIME_CONSTANTS
    r_a, r_b = -np.expm1(-alpha * rate), -np.expm1(-beta * rate)
    r_1 = -np.expm1(-rate)
    interp = r_a + (r_b - r_a) * ((1.0 - alpha) / (beta - alpha))
    return (1.0 - interp / r_1).max(axis=1)


def reads_supported(
    t: np.ndarray, x: np.ndarray, tau: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Whether the samples support the HPPC reading at ``x = t_s + tau`` of pulses whose
    samples at the new level are ``t[lo:hi]`` (``hi > lo``; the pulse lasted ``tau``):
    the one rule for every reader of the definition (``hppc_resistances_raw``, the
    pulse tracker's readings from the samples and its read-out fit, the cycles' DCIR).

    - on a pulse sample (within 1 us): always;
    - between two pulse samples ``a < x < b``: when linear interpolation misses at
      most :data:`READ_MISS_MAX` of the relaxation by ``x`` in the worst case
      (:func:`interpolation_miss` of ``(a - t_s) / tau``, ``(b - t_s) / tau``): a
      1 Hz log's 2 s reading across a missing row (at most 9 %), an Arbin log's 1.2 s
      interval around 2 s (3 %) are read; a cycler's row at the step's start and its
      next 30 s later are not (the 2 s reading would miss up to 93 %);
    - after the pulse's last sample ``a`` (the next sample, at or after ``x``, is the
      next step's), which stands in for the pulse's end: when ``x - a`` is at most
      :data:`STAND_IN_MAX` of ``tau`` (the definition at the log's rate, up to 0.5 Hz:
      a 10 s pulse at 1 Hz is read 9 s in, at 0.5 Hz 8 s in), not from its first
      sample when that is the only one;
    - never when the first sample at the level comes after ``x``.

    All arrays of one length (``t``: the times, in order, the indices refer to).
    """
    x = np.asarray(x, dtype=float)
    tau = np.asarray(tau, dtype=float)
    lo = np.asarray(lo, dtype=np.int64)
    last = np.asarray(hi, dtype=np.int64) - 1
    # the pulse's sample at or before x (its first one if none is)
    j = np.clip(np.searchsorted(t, x + _SAME_TIME_S, side="right") - 1, lo, last)
    before = x - t[j]
    ok = np.abs(before) <= _SAME_TIME_S
    hold = ~ok & (before > 0) & (j == last)
    ok[hold] = before[hold] <= STAND_IN_MAX * tau[hold] + _SAME_TIME_S
    between = np.flatnonzero(~ok & (before > 0) & (j < last))
    if between.size:
        jb, tb = j[between], tau[between]
        t_s = x[between] - tb
        alpha = (t[jb] - t_s) / tb
        beta = (t[jb + 1] - t_s) / tb
        ok[between] = interpolation_miss(alpha, beta) <= READ_MISS_MAX
    return ok


def pre_step_drift(t: np.ndarray, v: np.ndarray, k: np.ndarray) -> np.ndarray:
    """A bound on how far the voltage ``v`` moved between the last row before each step
    ``k`` (``t[k - 1]``) and the step (``t[k]``): 0 when that row is at most
    :data:`PRE_STEP_AGE_S` before it; else the slope between the two rows before the
    step times the row's age (``inf`` without two rows, NaN with a NaN voltage).

    A relaxation slows down (a mixture of decaying exponentials, diffusion's
    ``1/sqrt``): its slope over the interval before the last row bounds its slope
    after it, so the bound is conservative; a linear drift (the OCV under a steady
    current) it reads exactly. A step right before (the two rows at other currents)
    makes it large: no reading is better than one of unknown bias.
    """
    k = np.asarray(k, dtype=np.int64)
    out = np.zeros(len(k))
    if not len(k):
        return out
    age = t[k] - t[np.maximum(k - 1, 0)]
    old = np.flatnonzero(age > PRE_STEP_AGE_S + _SAME_TIME_S)
    if old.size:
        ko = k[old]
        a, b = np.maximum(ko - 2, 0), np.maximum(ko - 1, 0)
        h = t[b] - t[a]
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.abs(v[b] - v[a]) / h
        out[old] = np.where((ko >= 2) & (h > 0), slope * age[old], np.inf)
    return out


def pre_step_supported(drift: np.ndarray, dv: np.ndarray) -> np.ndarray:
    """Whether readings whose voltage changed by ``dv`` from the row before the step
    (the pack's; its cells share the verdict) are kept given that row's
    :func:`pre_step_drift`: when the voltage can have moved by at most
    :data:`PRE_STEP_MISS_MAX` of ``|dv|`` between that row and the step. The one rule
    for every reader, as :func:`reads_supported` (a cycler logging every 60 s: its row
    before an NMC HPPC pulse up to 60 s old, in the rest still relaxing from the pulse
    before, put the 10 s reading on a sample 12 % off)."""
    drift = np.asarray(drift, dtype=float)
    dv = np.asarray(dv, dtype=float)
    return (drift == 0.0) | (drift <= PRE_STEP_MISS_MAX * np.abs(dv))


def step_rows_read(
    t: np.ndarray,
    v: np.ndarray,
    i: np.ndarray,
    step_index: np.ndarray | None,
    k: np.ndarray,
    k_level: np.ndarray,
    end: np.ndarray,
    tau: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The HPPC reading at ``t_s + tau`` (``t_s = t[k]``) of pulses that end there,
    from the rows a cycler logs at each step's start, where the samples inside the
    pulse do not support one (:func:`reads_supported`: a 10 s pulse logged every 30 s
    has one row, its first). Returns ``(ok, dv, di)``: whether each is read, and its
    voltage and current change from the row before the step.

    By superposition (a linear cell: the response to a current step ``dI`` is
    ``dI Z(s)``, whatever ``Z``), the next step's first row ``end``, ``delta`` after
    its step at ``t_e``, is the voltage the pulse reached at ``t_e`` plus the next
    step's own response ``(I[end] - I[end - 1]) Z(delta)``; the pulse's first row
    ``k``, logged as soon after its step, read ``(I[k] - I[k - 1]) Z(delta)``. So
    ``V(t_e) = V[end] - (I[end] - I[end - 1]) (V[k] - V[k - 1]) / (I[k] - I[k - 1])``:
    the pulse's end ``delta`` late (a cycler logs a step's first row within
    milliseconds), no time constant assumed, exact for the 2-RC model. Only where
    both rows are marked as their steps' starts (a ``step_index`` change), the
    pulse's first row is at its level (``k_level == k``), and its end is at most
    :data:`STAND_IN_MAX` of ``tau`` after ``t_s + tau`` (the stand-in's margin, the
    other side: a 10 s pulse is read at its end, 10 s in). The row before the step
    enters the reading twice (``V[k - 1]`` and the jump): the caller's
    :func:`pre_step_supported` takes the drift times :func:`step_rows_weight`.
    """
    k = np.asarray(k, dtype=np.int64)
    k_level = np.asarray(k_level, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    tau = np.asarray(tau, dtype=float)
    n = len(t)
    ok = np.zeros(len(k), dtype=bool)
    dv, di = np.full(len(k), np.nan), np.full(len(k), np.nan)
    if step_index is None or not len(k):
        return ok, dv, di
    e = np.minimum(end, n - 1)
    late = t[e] - (t[k] + tau)
    ok = (end < n) & (k >= 1) & (k_level == k) & (e - 1 >= k)
    ok &= (late >= -_SAME_TIME_S) & (late <= STAND_IN_MAX * tau + _SAME_TIME_S)
    km = np.maximum(k - 1, 0)
    s_k, s_km, s_e, s_em = step_index[k], step_index[km], step_index[e], step_index[e - 1]
    with np.errstate(invalid="ignore"):
        ok &= np.isfinite(s_k) & np.isfinite(s_km) & (s_k != s_km)
        ok &= np.isfinite(s_e) & np.isfinite(s_em) & (s_e != s_em)
    d1 = i[k] - i[km]
    ok &= d1 != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        jump = (i[e] - i[e - 1]) * (v[k] - v[km]) / d1
        dv = np.where(ok, v[e] - jump - v[km], np.nan)
        di = np.where(ok, i[e - 1] - i[km], np.nan)
    ok &= np.isfinite(dv) & (di != 0)
    return ok, dv, di


def step_rows_weight(i: np.ndarray, k: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The factor on :func:`pre_step_drift` in :func:`pre_step_supported` for a
    :func:`step_rows_read` reading: how much an error of the row before the step moves
    its voltage change, ``|1 - (I[end] - I[end - 1]) / (I[k] - I[k - 1])|`` (2 for a
    pulse from rest back to rest), times ``PRE_STEP_MISS_MAX / STEP_ROWS_MISS_MAX``."""
    k, end = np.asarray(k, dtype=np.int64), np.asarray(end, dtype=np.int64)
    e = np.minimum(end, len(i) - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (i[e] - i[e - 1]) / (i[k] - i[np.maximum(k - 1, 0)])
    return np.abs(1.0 - r) * (PRE_STEP_MISS_MAX / STEP_ROWS_MISS_MAX)


def step_rows_sigma(i: np.ndarray, k: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The noise sigma of a :func:`step_rows_read` reading over that of two single
    readings (``sqrt(2)`` sigma): three rows, weighted 1, ``r`` and ``1 - r`` with
    ``r = (I[end] - I[end - 1]) / (I[k] - I[k - 1])``: ``sqrt(3)`` for a pulse from
    rest back to rest."""
    k, end = np.asarray(k, dtype=np.int64), np.asarray(end, dtype=np.int64)
    e = np.minimum(end, len(i) - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (i[e] - i[e - 1]) / (i[k] - i[np.maximum(k - 1, 0)])
    return np.sqrt((1.0 + r * r + (1.0 - r) ** 2) / 2.0)


def hppc_resistance_raw(
    t: np.ndarray,
    v: np.ndarray,
    i: np.ndarray,
    k: int,
    k_level: int,
    end: int,
    times_s: tuple[float, ...] = EVAL_TIMES_S,
) -> dict[str, float | None]:
    """The HPPC resistances straight from the samples (no fit, no averaging).

    ``R(tau) = (V(t_s + tau) - V[k-1]) / (I(t_s + tau) - I[k-1])`` with
    ``t_s = t[k]`` and ``V(t_s + tau)`` linearly interpolated between the
    pulse's samples ``k_level .. end-1``; if ``t_s + tau`` lies after the last
    pulse sample but the pulse lasted ``tau`` (``t[end] - t_s >= tau``), the last
    pulse sample is used: with zero-order-hold sampling the voltage at exactly
    ``t_s + tau`` belongs to the next step. ``None`` when the pulse is shorter
    than ``tau``, or when the samples do not support a reading at ``t_s + tau``
    (:func:`reads_supported`: a cycler logging every 30 s, a row at the step's
    start and the next 30 s later, has no 2 s or 10 s reading; neither
    interpolated across that interval nor from a later sample standing in), or
    when ``V[k-1]`` is a row older than :data:`PRE_STEP_AGE_S` and the voltage may
    have moved since by more than :data:`PRE_STEP_MISS_MAX` of the reading's change
    (:func:`pre_step_supported`; ``r_ohmic`` too).
    ``r_ohmic`` uses the first sample at the new level, None when that comes more
    than :data:`OHMIC_WITHIN_S` after the step.

    This is the definition applied to noise-free data (the benchmark's "model's
    own value") and the fallback when the response fit fails.
    """
    return hppc_resistances_raw(t, [v], i, k, k_level, end, times_s)[0]


def hppc_resistances_raw(
    t: np.ndarray,
    volts: Sequence[np.ndarray],
    i: np.ndarray,
    k: int,
    k_level: int,
    end: int,
    times_s: tuple[float, ...] = EVAL_TIMES_S,
    step_index: np.ndarray | None = None,
) -> list[dict[str, float | None]]:
    """:func:`hppc_resistance_raw` of several voltages (the pack and its cells) at
    once: the times and currents are read once; one dict per voltage.

    With ``step_index`` (a cycler's), a read point the samples do not support, of a
    pulse that ended at ``end`` (``end < len(t)``), is read from the pulse's first row
    and the next step's where :func:`step_rows_read` can (the pack's voltage change
    decides, :func:`pre_step_supported` of the drift times :func:`step_rows_weight`);
    the first dict then has ``"step_rows"``: those keys, each with its
    :func:`step_rows_sigma`."""
    keys = _read_keys(times_s)
    t_s = float(t[k])
    i0 = float(i[k - 1])
    di = float(i[k_level]) - i0
    ohmic = bool(di) and float(t[k_level]) - t_s <= OHMIC_WITHIN_S + 1e-6
    # an unfinished pulse (the log ends inside it) has lasted at least until the last sample
    duration = float(t[min(end, len(t) - 1)]) - t_s
    tp = t[k_level:end]
    read = [j for j, tau in enumerate(times_s) if len(tp) and not duration < tau - 1e-6]
    if read:
        taus = np.array([times_s[j] for j in read])
        n_read = len(read)
        ok = reads_supported(
            t, t_s + taus, taus, np.full(n_read, k_level), np.full(n_read, end)
        ).tolist()
        unsupported = [j for j, o in zip(read, ok, strict=True) if not o]
        read = [j for j, o in zip(read, ok, strict=True) if o]
    else:
        unsupported = []
    if read:
        # all read points in one np.interp call per column (the same values as one by one)
        t_last = float(tp[-1])
        te = np.array([min(t_s + times_s[j], t_last) for j in read])
        diis = (np.interp(te, tp, i[k_level:end]) - i0).tolist()
    # the row before the step: how far the voltage can have moved since (pre_step_drift)
    drift = float(pre_step_drift(t, volts[0], np.array([k]))[0]) if len(volts) else 0.0
    if drift and (ohmic or read):
        v = volts[0]
        v0 = float(v[k - 1])
        dvs = [float(v[k_level]) - v0] if ohmic else []
        if read:
            dvs += (np.interp(te, tp, v[k_level:end]) - v0).tolist()
        ok = pre_step_supported(np.full(len(dvs), drift), np.array(dvs)).tolist()
        if ohmic:
            ohmic = ok.pop(0)
        if read:
            read = [j for j, o in zip(read, ok, strict=True) if o]
            te = np.array([min(t_s + times_s[j], t_last) for j in read])
            diis = (np.interp(te, tp, i[k_level:end]) - i0).tolist()
    out = []
    for v in volts:
        v0 = float(v[k - 1])
        rec: dict[str, float | None] = {
            "r_ohmic_ohm": (float(v[k_level]) - v0) / di if ohmic else None
        }
        rec.update(dict.fromkeys(keys))
        if read:
            dvs = (np.interp(te, tp, v[k_level:end]) - v0).tolist()
            for j, dv, dii in zip(read, dvs, diis, strict=True):
                rec[keys[j]] = dv / dii if dii else None
        out.append(rec)
    if step_index is not None and len(volts):
        rows = _step_rows_raw(t, volts, i, step_index, k, k_level, end, times_s, unsupported)
        for rec, got in zip(out, rows, strict=True):
            for j, r in got.items():
                rec[keys[j]] = r
        out[0]["step_rows"] = {
            keys[j]: f
            for j, f in zip(
                rows[0],
                step_rows_sigma(i, [k] * len(rows[0]), [end] * len(rows[0])).tolist(),
                strict=True,
            )
        }
    return out


def _step_rows_raw(t, volts, i, step_index, k, k_level, end, times_s, which):
    """:func:`hppc_resistances_raw`'s readings from the step rows of the read points
    ``which`` (indices into ``times_s``): per voltage, index -> reading."""
    if not which or end >= len(t):
        return [{} for _ in volts]
    m = len(which)
    kk, kla, ee = np.full(m, k), np.full(m, k_level), np.full(m, end)
    taus = np.array([times_s[j] for j in which])
    got, dv, di = step_rows_read(t, volts[0], i, step_index, kk, kla, ee, taus)
    got &= pre_step_supported(pre_step_drift(t, volts[0], kk) * step_rows_weight(i, kk, ee), dv)
    sel = np.flatnonzero(got)
    out = []
    for x in volts:
        dvx = step_rows_read(t, x, i, step_index, kk[sel], kla[sel], ee[sel], taus[sel])[1]
        out.append(
            {
                which[q]: float(a) / float(b)
                for q, a, b in zip(sel.tolist(), dvx, di[sel], strict=True)
            }
        )
    return out


def _read_keys(times_s: tuple[float, ...]) -> list[str]:
    keys = _READ_KEYS.get(times_s)
    if keys is None:
        keys = _READ_KEYS[times_s] = [f"r_{tau:g}s_ohm" for tau in times_s]
    return keys


_READ_KEYS: dict[tuple[float, ...], list[str]] = {}


#: first_departures: samples looked at in one vectorised pass (rows x window), few
#: enough for the pass's work arrays to stay in cache
_BATCH_ELEMENTS = 1 << 15
#: first_departures: the first window's length (samples)
_FIRST_WINDOW = 128


def first_departures(
    i: np.ndarray, levels: np.ndarray, tols: np.ndarray, starts: np.ndarray, stops: np.ndarray
) -> np.ndarray:
    """:func:`first_departure` for many searches at once; ``stops[j]`` where none.

    All searches look at their next 128 samples together, those still going on at
    their next 512, and so on (growing windows, as :func:`first_departure`): a
    search costs about its own length. A window is a row of a strided view of
    ``i`` (one contiguous copy), its first sample off the level found by argmax.
    """
    n = len(i)
    starts = np.asarray(starts, dtype=np.int64)
    stops = np.minimum(np.asarray(stops, dtype=np.int64), n)
    levels, tols = np.asarray(levels), np.asarray(tols)
    out = stops.copy()
    pos = starts.copy()
    todo = np.flatnonzero(stops > starts)
    width = _FIRST_WINDOW
    while todo.size:
        rows = max(1, _BATCH_ELEMENTS // width)
        windows = sliding_window_view(i, width) if n >= width else None
        left = []
        for a in range(0, len(todo), rows):
            sel = todo[a : a + rows]
            p = pos[sel]
            if windows is not None and p.min() >= 0 and p.max() <= n - width:
                dev = windows[p]
            else:  # (past the log's end: clipped indices, whose samples are never read)
                dev = i[np.minimum(p[:, None] + np.arange(width), n - 1)]
            dev -= levels[sel, None]
            np.abs(dev, out=dev)
            off = dev > tols[sel, None]
            first = off.argmax(axis=1)  # (0 in a row without one)
            reach = stops[sel] - p  # the search's samples in this window: min(reach, width)
            hit = off[np.arange(len(sel)), first] & (first < reach)
            out[sel[hit]] = p[hit] + first[hit]
            pos[sel] = p + width
            left.append(sel[~hit & (reach > width)])
        todo = np.concatenate(left)
        width *= 4
    return out


def interp_within(x: np.ndarray, xp: np.ndarray, fp: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """``np.interp(x[j], xp[lo[j]:hi[j]], fp[lo[j]:hi[j]])`` for every ``j`` at once (the
    same operations as numpy's, so the same bits, NaN included); ``hi > lo``."""
    last = hi - 1
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, lo, last)
    j1 = np.minimum(j + 1, last)
    fj, fj1, xj, xj1 = fp[j], fp[j1], xp[j], xp[j1]
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (fj1 - fj) / (xj1 - xj)
        res = slope * (x - xj) + fj
        retry = np.isnan(res)
        if retry.any():
            # numpy: "if we get nan in one direction, try the other"
            res = np.where(retry, slope * (x - xj1) + fj1, res)
            res = np.where(np.isnan(res) & (fj == fj1), fj, res)
    res = np.where((x == xj) | (j == last), fj, res)
    res = np.where(x < xp[lo], fp[lo], res)
    return np.where(x > xp[last], fp[last], res)
