"""A channel's resolution, learnt from the readings it has given so far.

BMSs report coarsely: temperatures in whole degrees, currents to 0.1 A, cell voltages
to 1 mV, a pack voltage to 0.1 V. A reading quantised by q changes by multiples of q,
so a bin whose squared first (or second) differences sum to s > 0 has q² <= s: the
least such sum so far bounds q² (:attr:`Resolution.bound`). A second difference of
three float32 samples errs by a few of their units (35.871 -> 35.891 -> 35.911 V
differ by 4e-6 V, not 0), which is no change (``FLOAT_UNITS``): units of the samples'
magnitude, not of the bin's mean -- a current read to 0.1 A swinging through zero
has bins of mean ~0 whose samples reach +-0.5 A, and their rounding (~1e-8 A) is no
quantum. A bin's samples are within its mean plus its range, and the range within
the sum of its first differences' sizes, at most sqrt(nd * sdd); a (step-robust)
second difference reaches back four samples, into the three bins before at most.

A bin's sum is taken per change (over its number of non-zero first differences,
counted by the bin stage): a reading quantised by q changes by a multiple of q each
time, so that is at least q², and exactly q² in a bin whose every change is one step,
however many of them. A whole-degree sensor with 0.3 degC of noise read at 10 Hz by a
step's edge chatters dozens of times a 50-sample bin, up a step and back, and one
mid-step seldom changes at all: no bin held a single step, its least sum was two or
four quanta squared, confirmed so (or never: a 16-cell LFP pack's cell 9, whose
rounding bias :mod:`.short` then did not take off, read a false short); per change
it is one quantum squared in nearly every bin that changed. A reading with noise read
finely changes at every sample: its sums per change are its sums over their terms,
which rank, and crowd in, as the sums do.

Whether the channel *is* quantised: a reading with noise read finely changes with
every sample, one read coarsely holds its value for a bin now and then; and a reading
quantised by q keeps coming back to the same least sum -- every bin with a single step
of one quantum gives exactly q² -- while a continuous one never gives its least sum
twice. So the resolution is known (the second array of :meth:`Resolution.push`, else
0) once the channel held its value over a whole bin, or ``CONFIRM_BINS`` bins gave a
sum within :func:`confirm_tol` of the least (``CONFIRM_TOL`` for 5-term sums, less for
more terms: a sum of 50 at 10 Hz spreads less, its least ones crowd in as closely, and
with 1 Hz's tolerance a 0.2 degC sensor read finely was given a quantum of ~2 degC
within hours now and then): a noise-free whole-degree sensor from its
first step, a 0.3 degC noisy sensor read to 1e-4 degC never (its q² is then taken as
0, which it nearly is). (A noise-free reading held by a controller, fine or not, is
known too: its bound, what it changed by, is its quantum or less.) A detector reads it as the size below which a step is
the resolution, not a change of what is measured (see :mod:`.thermal`, :mod:`.sensors`).

Everything is a running minimum and comparisons, folded bin by bin with the state
carried to the next batch: exact, whatever the block split.
"""

from __future__ import annotations

import numpy as np

from app.diagnostics.faults.common import nonzero2

#: See the module doc: float32's rounding of a second difference, in units of a value.
FLOAT_UNITS = 2.0
#: The bins whose sum must come within this (relative) of the least one: two sums of
#: one quantum of float32 samples differ by up to ~1e-3 (1 mV steps at 4 V: 4e-7 V in
#: 1e-3 V, squared); white noise's least sum is matched this closely with a chance of
#: ~2.5 % per bin that follows its record (a chi-square of 5 terms), twice ~1e-3.
CONFIRM_TOL = 1e-2
CONFIRM_BINS = 3
#: The terms a bin's sum had when CONFIRM_TOL was sized (5-sample bins, at 1 Hz). A sum
#: of k squared differences of white noise is a chi-square of ~k terms, whose relative
#: spread shrinks as 1/sqrt(k): its least sums crowd in as closely, so the tolerance is
#: CONFIRM_TOL * sqrt(CONFIRM_TERMS / k) for the least sum's bin of k terms (no more than
#: CONFIRM_TOL: bins of fewer terms), the same chance per bin whatever the sample rate
#: (50-sample bins at 10 Hz: 3.2e-3). Not under CONFIRM_FLOOR, twice float32's spread
#: of the sums of one quantum: a quantised reading's sums recur to that, at any rate.
CONFIRM_TERMS = 5.0
CONFIRM_FLOOR = 2e-3
#: The bins before a bin whose samples its second differences may reach (see above).
REACH = 3
#: Batches of at least this many (rows x bins) whose bins are mostly candidates take the
#: floor of every bin with whole-row operations (a live batch: the gathers, fewer calls).
_WHOLE_ROWS_MIN = 4096
#: Batches of up to this many bins with a sum to test have every bin's magnitude
#: worked out at once (fewer numpy calls: a live batch is a bin or two).
_DENSE_BINS = 16


class Resolution:
    """Per channel row, the bound on its quantum squared and the quantum squared once
    known (0 before), per bin: feed every batch's bins in order with :meth:`push`."""

    def __init__(self, rows: int):
        # the CONFIRM_BINS least sums seen so far, sorted (inf: none yet)
        self._least = np.full((rows, CONFIRM_BINS), np.inf)
        # the confirmation's tolerance about the least sum (its bin's: confirm_tol)
        self._tol = np.full((rows, 1), CONFIRM_TOL)
        self._held = np.zeros((rows, 1), dtype=bool)  # held its value over a bin so far
        # the last REACH bins' bounds on their samples' magnitude (NaN: none)
        self._mag = np.full((rows, REACH), np.nan)

    def push(self, sdd, nd, s2, n2, mean, changes=None) -> tuple[np.ndarray, np.ndarray]:
        """From a batch's (rows, bins) sums of squared first differences ``sdd`` (of
        ``nd`` terms) and of squared second differences ``s2`` (``n2`` terms) and bin
        means ``mean``: (bound, q2), each (rows, bins), as known at the end of each
        bin. ``changes``: the number of non-zero first differences of each bin, (rows,
        bins), or a function of row indices giving those rows' (read only for the rows
        that are not quiet); None: each bin's sum taken whole (one change a bin)."""
        rows, m = sdd.shape
        least = self._least
        before = least[:, :1]
        plain = changes is None
        if plain:
            changes = _ones_like(sdd)
        elif not callable(changes):
            changes = _taker(changes)
        # quiet rows: every first-difference sum over the least ones' limit (see
        # _push_rows: ``lim``) and every second-difference sum at or over it -- no bin
        # held its value (sdd 0), none is a candidate, a record or near the least: their
        # bound is the least sum so far and their q2 the same in every bin (the usual
        # case once a reading with noise has shown its least sums). Only the others take
        # the bin by bin work. (A NaN least: not quiet.)
        lim = np.maximum(least[:, -1], least[:, 0] * (1.0 + CONFIRM_TOL))
        quiet = np.zeros(rows, dtype=bool)
        if m:
            # (a bin's sum per change is at least its sum over its nd terms: a bin
            # with no terms, sum 0, is not quiet)
            with np.errstate(invalid="ignore", divide="ignore"):
                # (a broadcast count row: its floor taken once, the same quotients)
                nd1 = nd[:1] if nd.ndim == 2 and nd.strides[0] == 0 else nd
                low = sdd if plain else sdd / np.fmax(nd1, 1.0)
                quiet = (np.fmin.reduce(low, axis=1) > lim) & (np.fmin.reduce(s2, axis=1) >= lim)
        busy = np.flatnonzero(~quiet)
        if 2 * len(busy) > rows:  # (most rows: all of them, with no gathered copies)
            nc = changes(np.arange(rows))
            bound, q2 = self._push_rows(np.arange(rows), sdd, nd, s2, n2, mean, nc)
            self._update_magnitudes(sdd, nd, mean)
            return bound, q2
        bound = np.empty((rows, m))
        bound[...] = before
        q2 = np.zeros((rows, m))
        thr = before * (1.0 + self._tol)
        known = (least <= thr).sum(axis=1) >= CONFIRM_BINS
        on = quiet & (known | self._held[:, 0]) & np.isfinite(before[:, 0])
        q2[on] = before[on]
        if len(busy):
            part = self._push_rows(
                busy, *(_rows(a, busy) for a in (sdd, nd, s2, n2, mean)), changes(busy)
            )
            bound[busy], q2[busy] = part
        self._update_magnitudes(sdd, nd, mean)
        return bound, q2

    def _update_magnitudes(self, sdd, nd, mean) -> None:
        """The last bins' magnitudes, for the next batch's first bins."""
        m = sdd.shape[1]
        if m >= REACH:
            self._mag = self._magnitude(sdd[:, -REACH:], nd[:, -REACH:], mean[:, -REACH:])
        elif m:
            tail = self._magnitude(sdd, nd, mean)
            self._mag = np.concatenate((self._mag[:, m:], tail), axis=1)

    def _push_rows(self, idx, sdd, nd, s2, n2, mean, nc) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`push` of rows ``idx`` of the batch (``sdd`` ... their rows), bin by bin;
        updates their held flags and least sums (not the magnitudes: :meth:`push`)."""
        rows, m = sdd.shape
        # held its value over a bin so far: from the first such bin on (a running or)
        still = sdd == 0
        if still.any():  # (rare but in a held reading: the counts' row read only then)
            still &= nd > 0
        first = np.where(still.any(axis=1), still.argmax(axis=1), m) if m else np.full(rows, m)
        # (a row held before the batch: held from its first bin)
        was_held = self._held[idx]
        held = np.arange(m) >= np.where(was_held[:, 0], 0, first)[:, None]
        self._held[idx] = was_held | (first < m)[:, None]
        least = self._least[idx]
        # the least positive sum of each bin (inf: none): a first difference's sum, or a
        # second difference's over the float rounding's floor (a NaN sum fails both)
        # (per change: a bin whose changes are all one quantum gives q² itself)
        if nc is None:  # (each bin's sum whole, its tolerance by its terms)
            x, nc = np.where(sdd > 0, sdd, np.inf), nd
        else:
            # (the values np.where(sdd > 0, sdd / np.fmax(nc, 1.0), np.inf) picks, worked
            # out in one array: no quotients' temporary, no pass to pick)
            x = np.empty(sdd.shape)
            np.fmax(nc, 1.0, out=x)
            with np.errstate(invalid="ignore", divide="ignore"):
                np.divide(sdd, x, out=x)
            np.copyto(x, np.inf, where=~(sdd > 0))
        # what follows reads only sums up to the CONFIRM_BINS-th least so far, or near
        # the least: the floor is worked out only for second differences' sums under
        # both x and those (few once the least is known; any sum above is as good as x)
        lim = np.maximum(least[:, -1:], least[:, :1] * (1.0 + CONFIRM_TOL))
        cand = s2 < np.minimum(x, lim)  # (NaN compares false, quietly)
        cand &= s2 > 0.0
        if rows * m >= _WHOLE_ROWS_MIN and np.count_nonzero(cand) * 8 > rows * m:
            # most bins (a log's first batch, no least sum yet): every bin's floor at
            # once, with no gathers (the same element-wise operations as _unit's)
            mag = np.concatenate((self._mag[idx], self._magnitude(sdd, nd, mean)), axis=1)
            unit = self._dense_unit(mag, m)
            with np.errstate(invalid="ignore"):
                floor = np.asarray(n2, dtype=float) * unit
                floor *= unit
                cand &= s2 > floor
            np.copyto(x, s2, where=cand)
            cand[...] = False
        r, j = nonzero2(cand)
        if len(r):
            mag = None
            if m <= _DENSE_BINS:  # (every bin's, at once)
                mag = np.concatenate((self._mag[idx], self._magnitude(sdd, nd, mean)), axis=1)
            s2c = s2[r, j]
            unit = self._unit(r, j, sdd, nd, mean, self._mag[idx], mag)
            with np.errstate(invalid="ignore"):  # (0 terms of an inf unit: NaN, fails)
                floor = np.asarray(n2, dtype=float)[r, j] * unit
                floor *= unit
                keep = s2c > floor
            x[r[keep], j[keep]] = s2c[keep]
        before = least[:, :1]
        record = (x < before).any(axis=1)
        # the least sum so far: the one before the batch but in rows with a new one
        bound = np.empty((rows, m))
        fell = np.flatnonzero(record)
        if len(fell) == rows:  # (every row, a log's first batches: no gathers)
            np.minimum.accumulate(x, axis=1, out=bound)
            np.minimum(bound, before, out=bound)
        else:
            bound[...] = before
            if len(fell):
                bound[fell] = np.minimum(np.minimum.accumulate(x[fell], axis=1), before[fell])
        # rows whose least sum holds over the batch: one threshold, counted at once
        # (counted bin by bin only in rows with a sum that close in the batch)
        tol = self._tol[idx]
        thr = before * (1.0 + tol)
        near = x <= thr
        base = (least <= thr).sum(axis=1)
        known = np.repeat((base >= CONFIRM_BINS)[:, None], m, axis=1)
        for r in np.flatnonzero(near.any(axis=1) & (base < CONFIRM_BINS)):
            known[r] = base[r] + np.cumsum(near[r]) >= CONFIRM_BINS
        if len(fell):
            self._tol = self._tol.copy()
        for r in fell:  # (a new least sum: rare once it is known)
            tx = confirm_tol(np.asarray(nc, dtype=float)[r])
            known[r], self._tol[idx[r], 0] = self._known_row(
                least[r], x[r], bound[r], tol[r, 0], tx
            )
        q2 = np.where((known | held) & np.isfinite(bound), bound, 0.0)
        # the CONFIRM_BINS least sums: only rows with a sum under their last one change,
        # and only by those sums (one equal to the last is as good as the last)
        last = least[:, -1:]
        moved = np.flatnonzero((x < last).any(axis=1))
        if len(moved):
            self._least = self._least.copy()
            for r in moved:
                xr = x[r]
                new = xr[xr < last[r, 0]]
                if len(new) > CONFIRM_BINS:
                    new = np.partition(new, CONFIRM_BINS - 1)[:CONFIRM_BINS]
                self._least[idx[r]] = np.sort(np.concatenate((least[r], new)))[:CONFIRM_BINS]
        return bound, q2

    @staticmethod
    def _magnitude(sdd, nd, mean):
        """A bound on the |samples| of bins (and on the sample before each): |mean| +
        sqrt(nd * sdd) (NaN: no finite mean)."""
        return np.abs(mean) + np.sqrt(np.asarray(nd, dtype=float) * sdd)

    def _unit(self, r, j, sdd, nd, mean, last_mag, mag=None):
        """The float rounding's size of one second difference in bins ``(r, j)``:
        FLOAT_UNITS * eps32 * the greatest |sample| it may reach, over the bin and the
        REACH before it (the previous batch's last ones: ``last_mag``, the rows'
        ``_mag``); NaN where the bin's own mean is NaN (no sum passes, as with an
        infinite floor); a NaN bin before counts for nothing. ``mag``: ``last_mag`` and
        every bin's magnitude, if worked out (the same bits)."""
        nd = np.asarray(nd, dtype=float)
        if mag is not None:
            own = mag[r, j + REACH]
            reach = mag[r, j + REACH - 1]
            for k in range(2, REACH + 1):
                np.fmax(reach, mag[r, j + REACH - k], out=reach)
        else:
            own = self._magnitude(sdd[r, j], nd[r, j], mean[r, j])
            reach = np.full(len(r), np.nan)
            for k in range(1, REACH + 1):
                jk = j - k
                jc = np.maximum(jk, 0)
                prev = self._magnitude(sdd[r, jc], nd[r, jc], mean[r, jc])
                prev = np.where(jk >= 0, prev, last_mag[r, np.minimum(jk + REACH, REACH - 1)])
                np.fmax(reach, prev, out=reach)
        with np.errstate(invalid="ignore"):
            unit = own + np.fmax(reach - own, 0.0)
        return unit * (FLOAT_UNITS * np.finfo(np.float32).eps)

    @staticmethod
    def _dense_unit(mag: np.ndarray, m: int) -> np.ndarray:
        """:meth:`_unit` of every bin of a batch of ``m`` (rows, m) from ``mag`` (the
        rows' last REACH magnitudes, then every bin's): the same operations in the same
        order, on whole rows."""
        own = mag[:, REACH:]
        reach = mag[:, REACH - 1 : REACH - 1 + m].copy()
        for k in range(2, REACH + 1):
            np.fmax(reach, mag[:, REACH - k : REACH - k + m], out=reach)
        with np.errstate(invalid="ignore"):
            unit = own + np.fmax(reach - own, 0.0)
        return unit * (FLOAT_UNITS * np.finfo(np.float32).eps)

    @staticmethod
    def _known_row(least, x, bound, tol0, tx) -> tuple[np.ndarray, float]:
        """:meth:`push`'s ``known`` of one row whose least sum fell in the batch, and
        the tolerance about its last least sum: per stretch of bins with the same least
        sum, the sums within its tolerance (``tol0`` before the batch's first fall, then
        ``tx`` of the bin where it fell) so far (the least ones before the stretch, then
        the stretch's own)."""
        m = len(x)
        out = np.zeros(m, dtype=bool)
        starts = np.flatnonzero(np.concatenate(([bound[0] < least[0]], bound[1:] < bound[:-1])))
        starts = np.concatenate(([0], starts)) if not len(starts) or starts[0] else starts
        ends = np.append(starts[1:], m)
        tol = tol0
        for a, b in zip(starts, ends, strict=True):
            if a or bound[0] < least[0]:  # (a fall: the bin that gave the least sum)
                tol = tx[a]
            thr = bound[a] * (1.0 + tol)
            prior = np.concatenate((least, x[:a]))
            n0 = int((prior <= thr).sum())
            out[a:b] = n0 + np.cumsum(x[a:b] <= thr) >= CONFIRM_BINS
        return out, float(tol)


def _ones_like(a: np.ndarray):
    """No ``changes`` (None, for any rows): each bin's sum taken whole, its tolerance
    by its terms."""
    return lambda idx: None


def _taker(a: np.ndarray):
    """``changes`` read from the (rows, bins) array ``a``."""
    return lambda idx: _rows(a, idx)


def confirm_tol(terms) -> np.ndarray:
    """The confirmation's relative tolerance about a least sum of ``terms`` squared
    differences (see CONFIRM_TERMS; NaN or fewer than CONFIRM_TERMS: CONFIRM_TOL)."""
    k = np.fmax(np.asarray(terms, dtype=float), CONFIRM_TERMS)
    return np.maximum(CONFIRM_TOL * np.sqrt(CONFIRM_TERMS / k), CONFIRM_FLOOR)


def _rows(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``a[idx]`` (rows), read-only: a broadcast row (the counts of a batch whose rows
    all have every sample) stays one, not copied into every row asked for."""
    if a.ndim == 2 and a.strides[0] == 0:
        return np.broadcast_to(a[0], (len(idx), a.shape[1]))
    return a[idx]


def rounding_bias(q2, var):
    """How far the mean of many readings quantised by q (``q2``: q²) errs by the
    rounding, where the readings show white noise of variance ``var`` (the rounding's
    own q²/12 included, as a dithered reading shows it: Sheppard's correction takes it
    off, none left for a reading without noise): the amplitude of the rounding error's fundamental, (q/pi) exp(-2 pi² var /
    q²) (the mean error, a sawtooth in the true value, under Gaussian dither: Widrow and
    Kollar, "Quantization Noise", 2008, ch. 5): q/pi without noise (the sawtooth's peak,
    q/2, is its harmonics' too, which any noise fades first), next to nothing once the
    noise spans the quantum; 0 for a reading not known to be quantised (``q2`` 0). It
    does not average out over many samples: it moves only as the true value does.
    ``var`` is the noise as read over many of the true value's places within a step (a
    long history): a reading whose noise is far under q, on a step's edge, chatters
    between the two with a variance of up to q²/4 (over every place, ~sigma q /
    sqrt(pi)), which read as noise would take off the bias it has a moment later."""
    q2 = np.asarray(q2, dtype=float)
    var = np.asarray(var)
    coarse = q2 > 0
    if not coarse.any():  # (no reading known to be quantised, the usual case: all 0)
        return np.zeros(np.broadcast_shapes(q2.shape, var.shape))
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.sqrt(q2)
        pre = np.fmax(var - q2 / 12.0, 0.0)  # (NaN, no noise known: none)
        dither = (q / np.pi) * np.exp(-2.0 * np.pi**2 * pre / np.where(coarse, q2, 1.0))
        return np.where(coarse, dither, 0.0)


def step_response(c: np.ndarray) -> np.ndarray:
    """The greatest response of linear contrasts ``c`` (over a window's bins, oldest
    first; rows, or one) to a unit step up between two of the window's bins: the most
    a coarse reading's rounding, stepping once, adds to them."""
    tails = np.cumsum(c[..., ::-1], axis=-1)[..., ::-1][..., 1:]
    return np.maximum(tails.max(axis=-1), 0.0)


def staircase_steps(y: np.ndarray, q: np.ndarray, tol: float = 1e-4) -> tuple[np.ndarray, ...]:
    """The last two steps up of noise-free readings quantised by ``q`` (one per row),
    from their bin means ``y`` (rows, bins; oldest first): (dt, before), each in bins, NaN
    where the rows' readings do not form a staircase rising by two steps or more.

    A noise-free reading quantised by q changes only where its true value crosses a
    step's edge, q (k + 1/2): a bin that holds a step has a mean between its two
    levels, the fraction of its samples after the step, so the time a staircase spent
    below a level (the bins' shortfalls from it, each at most one) is where it crossed
    the level's edge, to a sample. ``dt``: the time from the crossing into the level
    before the top one to the crossing into the top one (the top: the highest level the
    last bin reached) -- the true value rose by q at least in that time (and a sample);
    ``before``: the time the reading held the level under those two (from the crossing
    into it, or from the window's first bin if that was at it), over which the true
    value rose by q at most. A staircase: the first bin on a level (a multiple of q),
    no bin mean below the one before."""
    with np.errstate(invalid="ignore", divide="ignore"):
        u = y / q[:, None]
        start = np.round(u[:, 0])
        v = u - start[:, None]
        top = np.ceil(v[:, -1] - tol)
        ok = (np.abs(v[:, 0]) <= tol) & (np.diff(v, axis=1) >= -tol).all(axis=1) & (top >= 2)
        ok &= np.isfinite(v).all(axis=1) & (q > 0)
        top = np.where(ok, top, 2.0)

        def below(level: np.ndarray) -> np.ndarray:
            return np.clip(level[:, None] - v, 0.0, 1.0).sum(axis=1)

        at_top, at_prev, at_under = below(top), below(top - 1.0), below(top - 2.0)
    dt = np.where(ok, at_top - at_prev, np.nan)
    before = np.where(ok, at_prev - at_under, np.nan)
    return dt, before
