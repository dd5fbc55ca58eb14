"""Cell-voltage channels frozen at a plausible value, sample by sample, for the SOC filter.

The SOC filter (:mod:`app.diagnostics.soc_ekf`) measures the mean of the cell
voltages. A sensor stuck at a plausible value (4.0 V held while the pack
discharges) stays in that mean and biases the SOC: 4-6 % (NMC, 4 cells, drive)
to 10-12 % (cycling) two hours after the freeze. The decision is the
stuck-sensor fault's rule (:mod:`app.diagnostics.faults.stuck`: its constants,
its trigger and its latch); this module gathers its evidence sample by sample,
where the faults diagnostic gathers it per 5 s bin: the reading has not changed
at all for ``STUCK_WINDOW_S`` (and ``MIN_SAMPLES`` samples) while at least
``STUCK_PEERS`` of the other cells changed in that time, it is not a charger's
setpoint (a limit held within ``SETPOINT_TOL_V``), and before it froze it
flickered -- a sensor with noise, which a healthy channel is -- for at least
``STUCK_MIN_BASELINE_S`` (changes that reverse direction now and then, as noise
does: a ramp read to a resolution -- a clean CC charge's cells written to 10 uV --
changes at every sample, and holds in CV, which is control; see
``DRIFT_BREAK_S``). A cell that froze in the log's first minute has no
such history of its own and is judged on its peers', as the fault is: stuck when
every other cell moves and none has held a reading ``BREAK_S`` since the start.
From then on (latched) until the value moves again, the channel is left out of
the mean, as an implausible reading is.

Unlike the fault detector, which judges 5 s bins (changed in >= 95 % of the
bins of the baseline), this works on samples, so that every sample's mean is
decided when the sample arrives (the filter's offline == live rule): a
channel's baseline is the time since it last held a reading ``BREAK_S`` (the
fault detector's bin) or more, or drifted (``DRIFT_BREAK_S``), which a sensor
with noise does not. Healthy logs with sensor noise are therefore not touched (no
channel holds a value 30 s), nor are noise-free ones (at rest the peers do not
move either; a charger's CV limit is a setpoint, and the other cells drifted
before they held: a clean 3-cell cycle log written to 6 digits had cell_1 left
out for 173 s of its CV phase before), nor a pack read in whole millivolts with little noise
(each channel now and then holds 5 s, so none has a minute of flicker behind a
longer hold). What it cannot tell from a stuck sensor, as the fault detector
cannot: one quiet, coarse channel among noisy ones that changed at every
reading under load, reversing now and then, and then holds 30 s at rest; it is left out until it moves, which moves the mean by that cell's
imbalance over the number of the others.

Weighed and left out: a robust centre of the cells (the median; seeds 1-3 of
``benchmarks/bench_soc_stuck.py``) still moved the SOC by 0.59 / 1.50 %
(mean / worst, NMC 4 cells) where leaving the frozen channel out moves it
0.09 / 0.20 %, it changes every healthy multi-cell log (the filter models the
mean cell), and with 2 cells it has nothing to vote with. The pack voltage over
the series cells has its own resolution (0.1 V on some BMS protocols: 25 mV a
cell in a 4-cell pack), carries the interconnects' drop and a dead cell, and
needs the cells anyway to be judged consistent.
"""

from __future__ import annotations

import math
from operator import ne

import numpy as np

from app.core.spec import BatterySpec
from app.diagnostics.faults.bins import BIN_S
from app.diagnostics.faults.common import run_length
from app.diagnostics.faults.stuck import (
    MIN_SAMPLES,
    STUCK_MIN_BASELINE_S,
    STUCK_WINDOW_S,
    at_setpoint,
    latch_stuck,
    stuck_trigger,
)

#: A reading held this long (the fault detector's bin) breaks a channel's
#: flicker: its baseline starts again after it.
BREAK_S = BIN_S
#: So does a drift: a change in the same direction as every change since the
#: channel last reversed, that long ago and at least ``MIN_SAMPLES`` samples back.
#: White noise reverses at 2/3 of its samples (P(10 samples without a reversal)
#: = 2/11! ~ 5e-8); a ramp read to a resolution never does (a clean CC charge's
#: cells written to 10 uV change at every sample, then hold in CV: see
#: :func:`_reversals`).
DRIFT_BREAK_S = STUCK_WINDOW_S
#: Blocks up to this many samples are judged for all cells at once (fewer numpy
#: calls); longer ones cell by cell after a cheap look.
_SMALL_BLOCK = 256
#: A long block's drift stretches up to this many samples are judged sample by
#: sample in plain floats (fewer numpy calls: noise's last stretch is a sample or
#: two); its last reversal is looked for in its last ``_TAIL`` samples first.
_SCAN_SAMPLES = 48
_TAIL = 64


def _reversals(
    t: np.ndarray, values: np.ndarray, last: np.ndarray, state: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where the readings ``values`` (channels, samples) at times ``t`` break their
    flicker by drifting (a change in the direction of every change since their last
    reversal of direction, at least ``DRIFT_BREAK_S`` and ``MIN_SAMPLES`` samples
    after it), and the state after them. ``last``: each channel's previous reading;
    ``state`` (channels, 3): the direction of its last change (+1, -1; 0: none
    yet), the time of its last reversal and the samples since. A change to or from
    NaN has no direction. The same operations as :meth:`FrozenCells.step`."""
    rows, n = values.shape
    d = np.empty((rows, n))
    np.subtract(values[:, :1], last[:, None], out=d[:, :1])
    np.subtract(values[:, 1:], values[:, :-1], out=d[:, 1:])
    with np.errstate(invalid="ignore"):
        s = (d > 0).astype(float) - (d < 0)
    nz = s != 0
    idx = np.arange(n)
    li = np.maximum.accumulate(np.where(nz, idx, -1), axis=1)
    # the direction before each sample: of the last change before it (or the state's)
    before = np.empty((rows, n))
    before[:, 0] = state[:, 0]
    flat = (li[:, :-1] + (np.arange(rows) * n)[:, None]).ravel()
    before[:, 1:] = np.where(li[:, :-1] >= 0, s.ravel()[flat].reshape(rows, n - 1), state[:, :1])
    rev = nz & (before != 0) & (s != before)
    ri = np.maximum.accumulate(np.where(rev, idx, -1), axis=1)
    rev_t = np.where(ri >= 0, t[np.maximum(ri, 0)], state[:, 1:2])
    since = np.where(ri >= 0, idx - ri, state[:, 2:3] + idx + 1.0)
    drift = nz & ~rev & (since + 1.0 >= MIN_SAMPLES) & (t - rev_t >= DRIFT_BREAK_S)
    last_dir = np.where(nz[:, -1], s[:, -1], before[:, -1])
    end = np.stack((last_dir, rev_t[:, -1], since[:, -1]), axis=1)
    return drift, end


def _clear_runs(flags: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray] | tuple[()]:
    """The maximal runs of False in ``flags`` at least ``width`` long: their first and
    last indices (two arrays), or () when there are none. From the windows of
    ``width`` flags that are all False (ORs of shifted views, doubling the width),
    whose starts are consecutive within one run and ``width`` + 1 apart or more
    between two."""
    m = len(flags)
    if width < 1 or m < width:
        return ()
    acc, w = flags, 1
    while 2 * w <= width:
        acc = acc[:-w] | acc[w:]  # acc[p]: any of flags[p : p + 2w]
        w *= 2
    if w < width:
        acc = acc[: len(acc) - (width - w)] | acc[width - w :]
    if acc.all():  # (noise: no such run; cheaper than looking for the starts)
        return ()
    starts = np.flatnonzero(~acc)
    cut = np.flatnonzero(starts[1:] != starts[:-1] + 1)
    first = np.concatenate((starts[:1], starts[cut + 1]))
    last = np.concatenate((starts[cut], starts[-1:])) + (width - 1)
    return first, last


def _drift_scan(
    t: np.ndarray, x: np.ndarray, last: float, state: tuple[float, float, float]
) -> tuple[int, tuple[float, float, float]]:
    """:func:`_reversals` of one channel: the index of its last drift break in ``x``
    (-1: none) and the state after it; a short stretch sample by sample in plain
    floats (the same operations as :meth:`FrozenCells._step_drift`), a long one by
    :func:`_reversals`."""
    if len(x) > _SCAN_SAMPLES:
        drift, end = _reversals(t, x[None, :], np.array([last]), np.array([state]))
        hits = np.flatnonzero(drift[0])
        return (int(hits[-1]) if len(hits) else -1), tuple(end[0].tolist())
    direction, rev_t, rev_n = state
    hit = -1
    for j, (tj, xj) in enumerate(zip(t.tolist(), x.tolist(), strict=True)):
        d = xj - last
        s = 1.0 if d > 0 else -1.0 if d < 0 else 0.0
        if s and direction and s != direction:
            rev_t, rev_n = tj, 0.0
        else:
            rev_n += 1.0
            if s and rev_n + 1.0 >= MIN_SAMPLES and tj - rev_t >= DRIFT_BREAK_S:
                hit = j
        if s:
            direction = s
        last = xj
    return hit, (direction, rev_t, rev_n)


class FrozenCells:
    """Which of ``n_cells`` cell-voltage channels are stuck, sample by sample.

    Feed samples in time order, either as blocks (:meth:`update`) or one at a
    time (:meth:`step`); the two give the same answers however a log is split.
    ``lo``, ``hi``: the plausible band of a reading (outside it, or NaN, a
    reading neither moves as a peer nor counts as stuck: it is left out anyway).
    """

    def __init__(self, spec: BatterySpec, n_cells: int, lo: float, hi: float):
        self.n_cells = n_cells
        self._lo, self._hi = lo, hi
        self._setpoints = tuple(x for x in (spec.cell_v_max, spec.cell_v_min) if x > 0)
        self._n_peers = n_cells - 1
        self._started = False
        self._t_first = 0.0  # the first sample's time
        # per channel: last value, time of the first sample of its current run of
        # equal values, samples held since (the run's length less one), time since
        # when it has flickered (the end of its last long hold), latched stuck state
        # (meaningful while held > 0: a change resets it)
        self._last = [math.nan] * n_cells
        self._run_t = [0.0] * n_cells
        self._held = [0.0] * n_cells
        self._streak_t = [0.0] * n_cells
        self._stuck = [False] * n_cells
        # per channel: the direction of its last change, the time of its last
        # reversal and the samples since (see _reversals)
        self._dir = [0.0] * n_cells
        self._rev_t = [0.0] * n_cells
        self._rev_n = [0.0] * n_cells

    def _state(self, rows) -> np.ndarray:
        """(rows, 3): the drift state of the channels ``rows`` (see _reversals)."""
        if len(rows) == self.n_cells:
            return np.array((self._dir, self._rev_t, self._rev_n)).T
        return np.array([[self._dir[k], self._rev_t[k], self._rev_n[k]] for k in rows])

    def _set_state(self, k: int, end: tuple[float, float, float]) -> None:
        self._dir[k], self._rev_t[k], self._rev_n[k] = end

    def _set_states(self, rows, end: np.ndarray) -> None:
        if len(rows) == self.n_cells:
            self._dir, self._rev_t, self._rev_n = end.T.tolist()
        else:
            for r, k in enumerate(rows):
                self._set_state(k, end[r].tolist())

    def _start(self, t0: float) -> None:
        self._t_first = t0
        self._run_t = [t0] * self.n_cells
        self._streak_t = [t0] * self.n_cells
        self._rev_t = [t0] * self.n_cells
        self._started = True

    # --- blocks -------------------------------------------------------
    def update(
        self, t: np.ndarray, columns: list[np.ndarray], finite: list[bool] | None = None
    ) -> np.ndarray | None:
        """Stuck flags (cells, samples) of the readings ``columns`` (one array per
        cell) at times ``t``, or None when none is stuck in the block. ``finite``:
        per column, True if the caller knows every reading of it is finite (then a
        long block's changes are read from its differences, which it takes anyway:
        for finite readings ``x != y`` is ``x - y != 0``; the same answers)."""
        n = len(t)
        if n == 0:
            return None
        if not self._started:
            self._start(float(t[0]))
        n_cells = self.n_cells
        if n <= _SMALL_BLOCK:  # (a few numpy calls for all the cells at once)
            volts = np.array(columns)
            if (
                (volts[:, 1:] != volts[:, :-1]).all()
                and (volts[:, 0] != self._last).all()
                and t[-1] - min(self._run_t) < BREAK_S
            ):
                # every cell moved at every sample, none after a hold: the common case
                # (a drift breaks a cell's flicker all the same)
                drift, end = _reversals(t, volts, np.array(self._last), self._state(range(n_cells)))
                self._set_states(range(n_cells), end)
                if drift.any():
                    for k in np.flatnonzero(drift.any(axis=1)):
                        self._streak_t[k] = float(t[np.flatnonzero(drift[k])[-1]])
                self._last = volts[:, -1].tolist()
                self._run_t = [float(t[-1])] * self.n_cells
                if any(self._held):
                    self._held = [0.0] * self.n_cells
                    self._stuck = [False] * self.n_cells
                return None
            return self._update_rows(t, columns, list(range(self.n_cells)))
        # Long blocks: a cheap look at each cell first (a channel with noise changes at
        # every sample); only cells that may hold a value STUCK_WINDOW_S get the rest.
        gaps = np.diff(t)
        gap_max = float(gaps.max()) if n > 1 else 0.0
        dense = []
        moved = []  # (cell, last, run_t, held, streak_t, drift state) of the cells that did not hold
        for k, col in enumerate(columns):
            # the changes from the last reading (the one carried over, then each sample's)
            d = np.empty(n)
            d[0] = col[0] - self._last[k]
            np.subtract(col[1:], col[:-1], out=d[1:])
            ch = np.empty(n, dtype=bool)
            if finite is not None and finite[k]:
                # (the first: a finite reading less the last one, NaN or not, is 0 only
                # where the two are equal, as are two finite readings' differences)
                np.not_equal(d, 0.0, out=ch)
            else:
                ch[0] = col[0] != self._last[k]  # (NaN never equals: a NaN is a change)
                np.not_equal(col[1:], col[:-1], out=ch[1:])
            drift_t, end = self._drift_look(t, col, k, gap_max, d)
            streak = max(self._streak_t[k], drift_t)
            if ch.all():
                # runs of one sample each: between samples gaps, the one carried over
                # before the first sample
                first = t[0] - self._run_t[k]
                if max(first, gap_max) >= STUCK_WINDOW_S:
                    dense.append(k)
                    continue
                if gap_max >= BREAK_S:
                    streak = max(float(t[1:][gaps >= BREAK_S][-1]), drift_t)
                elif first >= BREAK_S:
                    streak = max(float(t[0]), drift_t)
                moved.append((k, float(col[-1]), float(t[-1]), 0.0, streak, end))
                continue
            p = np.flatnonzero(ch)
            if len(p) == 0:
                if t[-1] - self._run_t[k] >= STUCK_WINDOW_S:
                    dense.append(k)
                else:
                    moved.append((k, self._last[k], self._run_t[k], self._held[k] + n, streak, end))
                continue
            # the runs of equal values: the one carried over, then one from each
            # change, each lasting at most until the next change (the last: the block's end)
            tp = t[p]
            lengths = np.empty(len(p) + 1)
            lengths[0] = tp[0] - self._run_t[k]
            np.subtract(tp[1:], tp[:-1], out=lengths[1:-1])
            lengths[-1] = t[-1] - tp[-1]
            longest = float(lengths.max())
            if longest >= STUCK_WINDOW_S:
                dense.append(k)
                continue
            if longest >= BREAK_S:
                # a change after a hold of BREAK_S or more restarts the flicker
                brk = np.flatnonzero(lengths[:-1] >= BREAK_S)
                if len(brk):
                    streak = max(float(tp[brk[-1]]), drift_t)
            moved.append((k, float(col[-1]), float(tp[-1]), float(n - 1 - p[-1]), streak, end))
        if any(self._run_t[k] - self._t_first < STUCK_MIN_BASELINE_S for k in dense):
            # a cell that froze in the log's first minute is judged on its peers'
            # flicker since the start (see step): every cell's, sample by sample
            return self._update_rows(t, columns, list(range(self.n_cells)))
        for k, last, run_t, held, streak, end in moved:
            self._last[k], self._run_t[k], self._held[k], self._streak_t[k] = (
                last,
                run_t,
                held,
                streak,
            )
            self._set_state(k, end)
            self._stuck[k] = False  # (a stuck cell holds on: it would be among the dense)
        if not dense:
            return None
        return self._update_rows(t, columns, dense)

    def _drift_look(
        self,
        t: np.ndarray,
        col: np.ndarray,
        k: int,
        gap_max: float,
        d: np.ndarray | None = None,
    ) -> tuple[float, tuple[float, float, float]]:
        """The time of the last drift break (see :func:`_reversals`) of cell ``k`` in a
        long block (-inf: none) and its drift state after it. ``gap_max``: the longest
        step of ``t``; ``d``: the changes of ``col`` (its first from the last reading)
        if the caller has them. Cheaply: a sample whose change is opposite to the one before
        (both non-zero) is a reversal, whose state is known (its direction, its time,
        0 samples since), so the stretches between such reversals are judged apart,
        and only one of ``MIN_SAMPLES`` samples and ``DRIFT_BREAK_S`` can hold a break
        (white noise reverses every sample or two): :func:`_drift_scan` runs on
        those, latest first, and on the last stretch (the state after the block).
        The stretches long enough are found as runs of samples without a reversal
        (a few passes over the block's reversal flags: :func:`_clear_runs`), not from
        the index of every reversal; a run shorter than ``DRIFT_BREAK_S`` over
        ``gap_max`` samples cannot span ``DRIFT_BREAK_S``."""
        n = len(t)
        if d is None:
            d = np.empty(n)
            d[0] = col[0] - self._last[k]
            np.subtract(col[1:], col[:-1], out=d[1:])
        with np.errstate(invalid="ignore"):
            flips = d[1:] * d[:-1] < 0.0  # flips[i]: sample i + 1 is a reversal
        # stretches (first sample, end, the reversal before them: None for the one
        # carried over), latest first: the last (the state after the block) ...
        todo: list[tuple[int, int, int | None]] = []
        first_rev = int(np.argmax(flips)) + 1 if n > 1 else 0
        if first_rev == 0 or not flips[first_rev - 1]:
            todo.append((0, n, None))  # (no reversal: the one carried over is the last)
        else:
            tail = np.flatnonzero(flips[-_TAIL:])
            if len(tail):
                last_rev = n - min(_TAIL, n - 1) + int(tail[-1])
            else:
                last_rev = n - 1 - int(np.argmax(flips[::-1]))
            todo.append((last_rev + 1, n, last_rev))
            # ... those between two reversals with MIN_SAMPLES - 1 samples from the
            # first to the second (a run of MIN_SAMPLES - 2 samples without a reversal
            # between them) and DRIFT_BREAK_S from the first to the sample before the
            # second (a run as many samples as gap_max steps take to span it; the
            # margin for the rounding of the times' differences), latest first ...
            width = MIN_SAMPLES - 2
            if gap_max > 0.0 and math.isfinite(gap_max):
                width = max(width, min(int(DRIFT_BREAK_S / gap_max * (1.0 - 1e-9)), n))
            runs = _clear_runs(flips, width)
            if runs:
                ra, rb = runs
                # (the reversals at samples ra and rb + 2: the runs inside the block)
                inside = (ra >= 1) & (rb <= n - 3)
                ra, rb = ra[inside], rb[inside]
                long_ = np.flatnonzero(t[rb + 1] - t[ra] >= DRIFT_BREAK_S)[::-1]
                firsts, lasts = ra[long_].tolist(), rb[long_].tolist()
                todo += [(a + 1, b + 2, a) for a, b in zip(firsts, lasts, strict=True)]
            # ... and the one carried over, to the first reversal
            if (
                first_rev + 1.0 + self._rev_n[k] >= MIN_SAMPLES - 1.0
                and t[first_rev - 1] - self._rev_t[k] >= DRIFT_BREAK_S
            ):
                todo.append((0, first_rev, None))
        drift_t, end = -math.inf, None
        for a, b, r in todo:
            if r is None:
                state, last = (self._dir[k], self._rev_t[k], self._rev_n[k]), self._last[k]
            else:
                state, last = (1.0 if d[r] > 0 else -1.0, float(t[r]), 0.0), float(col[r])
            hit, stop = _drift_scan(t[a:b], col[a:b], last, state)
            if end is None:
                end = stop
            if hit >= 0:
                drift_t = float(t[a + hit])
                break
        return drift_t, end

    def _update_rows(self, t: np.ndarray, columns: list[np.ndarray], rows: list[int]):
        """:meth:`update` of the cells ``rows``, sample by sample (arrays of them);
        the other cells did not hold a value STUCK_WINDOW_S in this block."""
        n = len(t)
        volts = np.array([columns[k] for k in rows])
        last = np.array([self._last[k] for k in rows])[:, None]
        changed = volts != np.concatenate((last, volts[:, :-1]), axis=1)
        idx = np.arange(n)
        run_t0 = np.array([self._run_t[k] for k in rows])[:, None]
        # time of the first sample of each sample's run of equal values
        rs = np.maximum.accumulate(np.where(changed, idx, -1), axis=1)
        run_t = np.where(rs >= 0, t[np.maximum(rs, 0)], run_t0)
        # a change after a hold of BREAK_S or more restarts the flicker
        run_t_before = np.concatenate((run_t0, run_t[:, :-1]), axis=1)
        brk = changed & (t - run_t_before >= BREAK_S)
        # ... and so does a drift
        drift, end = _reversals(t, volts, last[:, 0], self._state(rows))
        brk |= drift
        bs = np.maximum.accumulate(np.where(brk, idx, -1), axis=1)
        streak_t0 = np.array([self._streak_t[k] for k in rows])[:, None]
        streak_t = np.where(bs >= 0, t[np.maximum(bs, 0)], streak_t0)
        held0 = np.array([self._held[k] for k in rows])
        held = run_length(~changed, held0)  # unchanged samples in a row (held0: updated)
        frozen = (t - run_t >= STUCK_WINDOW_S) & (held + 1.0 >= MIN_SAMPLES)
        stuck0 = np.array([self._stuck[k] for k in rows])
        for r, k in enumerate(rows):
            self._last[k] = float(volts[r, -1])
            self._run_t[k] = float(run_t[r, -1])
            self._streak_t[k] = float(streak_t[r, -1])
            self._held[k] = float(held0[r])
        self._set_states(rows, end)
        if not frozen.any():
            for k in rows:
                self._stuck[k] = False
            return None
        lo, hi = self._lo, self._hi
        ok = (volts >= lo) & (volts <= hi)  # False for NaN too
        # the other cells never froze in this block: they move where they are plausible
        moving_total = (ok & ~frozen).sum(axis=0, dtype=float)
        for k in set(range(self.n_cells)).difference(rows):
            moving_total += (columns[k] >= lo) & (columns[k] <= hi)
        moving = ok & ~frozen
        with np.errstate(invalid="ignore"):
            candidate = frozen & ok & ~at_setpoint(volts, self._setpoints)
        own = run_t - streak_t >= STUCK_MIN_BASELINE_S  # it flickered a minute, then froze
        young = peers_flicker = False
        if len(rows) == self.n_cells:
            # frozen in the log's first minute (no history of its own): judged on its
            # peers', every other cell moving and flickering since the start (see
            # step); only here: any other call's cells froze later than that
            t_first = self._t_first
            young = run_t - t_first < STUCK_MIN_BASELINE_S
            if (candidate & young).any():
                flick = moving & (streak_t == t_first)
                peers_flicker = flick.sum(axis=0)[None, :] - flick == self._n_peers
        peers_moving = moving_total[None, :] - moving
        trigger = stuck_trigger(candidate, own, peers_moving, self._n_peers, young, peers_flicker)
        stuck = latch_stuck(trigger, ~changed, stuck0)
        for r, k in enumerate(rows):
            self._stuck[k] = bool(stuck0[r])
        if not stuck.any():
            return None
        out = np.zeros((self.n_cells, n), dtype=bool)
        out[rows] = stuck
        return out

    # --- one sample ---------------------------------------------------
    def _step_drift(self, t: float, values: list[float]) -> None:
        """:func:`_reversals` of one sample, in plain floats: a drift breaks the
        flicker (``streak_t``)."""
        last, direction, rev_t, rev_n = self._last, self._dir, self._rev_t, self._rev_n
        for k, x in enumerate(values):
            d = x - last[k]
            s = 1.0 if d > 0 else -1.0 if d < 0 else 0.0
            if s and direction[k] and s != direction[k]:
                rev_t[k], rev_n[k] = t, 0.0
            else:
                rev_n[k] += 1.0
                if s and rev_n[k] + 1.0 >= MIN_SAMPLES and t - rev_t[k] >= DRIFT_BREAK_S:
                    self._streak_t[k] = t
            if s:
                direction[k] = s

    def step(self, t: float, values: list[float]) -> list[int]:
        """:meth:`update` of one sample, in plain floats (the same operations):
        the indices of the stuck cells (usually none)."""
        if not self._started:
            self._start(t)
        last, run_t, held, streak_t = self._last, self._run_t, self._held, self._streak_t
        self._step_drift(t, values)
        if all(map(ne, values, last)) and t - min(run_t) < BREAK_S:
            # (every cell moved, none after a hold: the common case, at C speed)
            last[:] = values
            run_t[:] = [t] * len(values)
            if any(held):
                held[:] = [0.0] * len(values)
                self._stuck[:] = [False] * len(values)
            return []
        any_held = False
        for k, x in enumerate(values):
            if x != last[k]:
                if t - run_t[k] >= BREAK_S:
                    streak_t[k] = t
                last[k] = x
                run_t[k] = t
                if held[k]:
                    held[k] = 0.0
                    self._stuck[k] = False
            else:
                held[k] += 1.0
                any_held = True
        if not any_held:
            return []
        frozen = [
            h > 0 and t - r >= STUCK_WINDOW_S and h + 1.0 >= MIN_SAMPLES
            for h, r in zip(held, run_t, strict=True)
        ]
        if not any(frozen):
            return []
        lo, hi = self._lo, self._hi
        ok = [lo <= x <= hi for x in values]  # False for NaN too
        moving = [g and not f for g, f in zip(ok, frozen, strict=True)]
        total = sum(moving)
        stuck = self._stuck
        out = []
        t_first = self._t_first
        flick = [m and s == t_first for m, s in zip(moving, streak_t, strict=True)]
        flick_total = sum(flick)
        everyone = len(values) - 1
        for k, x in enumerate(values):
            # (latched: a stuck cell stays stuck until its reading changes, above)
            if not stuck[k] and frozen[k] and ok[k] and not at_setpoint(x, self._setpoints):
                stuck[k] = stuck_trigger(
                    True,
                    run_t[k] - streak_t[k] >= STUCK_MIN_BASELINE_S,
                    total - moving[k],
                    everyone,
                    run_t[k] - t_first < STUCK_MIN_BASELINE_S,
                    flick_total - flick[k] == everyone,
                )
            if stuck[k]:
                out.append(k)
        return out
