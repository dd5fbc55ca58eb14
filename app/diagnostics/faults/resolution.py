"""A channel's resolution, learnt from the readings it has given so far.

BMSs report coarsely: temperatures in whole degrees, currents to 0.1 A, cell voltages
to 1 mV, a pack voltage to 0.1 V. A reading quantised by q changes by multiples of q,
so a bin whose squared first (or second) differences sum to s > 0 has q² <= s: the
least such sum so far bounds q² (:attr:`Resolution.bound`). A second difference of
three float32 samples errs by a few of their units (35.871 -> 35.891 -> 35.911 V
differ by 4e-6 V, not 0), which is no change (``FLOAT_UNITS``).

Whether the channel *is* quantised: a reading with noise read finely changes with
every sample, one read coarsely holds its value for a bin now and then; and a reading
quantised by q keeps coming back to the same least sum -- every bin with a single step
of one quantum gives exactly q² -- while a continuous one never gives its least sum
twice. So the resolution is known (the second array of :meth:`Resolution.push`, else
0) once the channel held its value over a whole bin, or ``CONFIRM_BINS`` bins gave a
sum within ``CONFIRM_TOL`` of the least: a noise-free whole-degree sensor from its
first step, a 0.3 degC noisy sensor read to 1e-4 degC never (its q² is then taken as
0, which it nearly is). (A noise-free reading held by a controller, fine or not, is
known too: its bound, what it changed by, is its quantum or less.) A detector reads it as the size below which a step is
the resolution, not a change of what is measured (see :mod:`.thermal`, :mod:`.sensors`).

Everything is a running minimum and comparisons, folded bin by bin with the state
carried to the next batch: exact, whatever the block split.
"""

from __future__ import annotations

import numpy as np

#: See the module doc: float32's rounding of a second difference, in units of a value.
FLOAT_UNITS = 2.0
#: The bins whose sum must come within this (relative) of the least one: two sums of
#: one quantum of float32 samples differ by up to ~1e-3 (1 mV steps at 4 V: 4e-7 V in
#: 1e-3 V, squared); white noise's least sum is matched this closely with a chance of
#: ~2.5 % per bin that follows its record (a chi-square of 5 terms), twice ~1e-3.
CONFIRM_TOL = 1e-2
CONFIRM_BINS = 3


class Resolution:
    """Per channel row, the bound on its quantum squared and the quantum squared once
    known (0 before), per bin: feed every batch's bins in order with :meth:`push`."""

    def __init__(self, rows: int):
        # the CONFIRM_BINS least sums seen so far, sorted (inf: none yet)
        self._least = np.full((rows, CONFIRM_BINS), np.inf)
        self._held = np.zeros((rows, 1), dtype=bool)  # held its value over a bin so far

    def push(self, sdd, nd, s2, n2, mean) -> tuple[np.ndarray, np.ndarray]:
        """From a batch's (rows, bins) sums of squared first differences ``sdd`` (of
        ``nd`` terms) and of squared second differences ``s2`` (``n2`` terms) and bin
        means ``mean``: (bound, q2), each (rows, bins), as known at the end of each
        bin."""
        rows, m = sdd.shape
        # held its value over a bin so far: from the first such bin on (a running or)
        still = sdd == 0
        if still.any():  # (rare but in a held reading: the counts' row read only then)
            still &= nd > 0
        first = np.where(still.any(axis=1), still.argmax(axis=1), m) if m else np.full(rows, m)
        # (a row held before the batch: held from its first bin)
        held = np.arange(m) >= np.where(self._held[:, 0], 0, first)[:, None]
        self._held = self._held | (first < m)[:, None]
        # the float rounding's floor of a second difference's sum, n2 * unit**2 with
        # unit = FLOAT_UNITS * eps32 * |mean| (a non-finite mean gives NaN or inf: no
        # sum is over either, so no sum passes, as with an infinite floor)
        with np.errstate(invalid="ignore"):
            unit = np.abs(mean)
            unit *= FLOAT_UNITS * np.finfo(np.float32).eps
            floor = n2 * unit
            floor *= unit
            # the least positive sum of each bin (inf: none; a NaN sum fails both tests)
            x = np.where(sdd > 0, sdd, np.inf)
            np.minimum(x, np.where(s2 > floor, s2, np.inf), out=x)
        least = self._least
        before = least[:, :1]
        record = (x < before).any(axis=1)
        # the least sum so far: the one before the batch but in rows with a new one
        bound = np.empty((rows, m))
        bound[...] = before
        fell = np.flatnonzero(record)
        if len(fell):
            bound[fell] = np.minimum(np.minimum.accumulate(x[fell], axis=1), before[fell])
        # rows whose least sum holds over the batch: one threshold, counted at once
        # (counted bin by bin only in rows with a sum that close in the batch)
        thr = before * (1.0 + CONFIRM_TOL)
        near = x <= thr
        base = (least <= thr).sum(axis=1)
        known = np.repeat((base >= CONFIRM_BINS)[:, None], m, axis=1)
        for r in np.flatnonzero(near.any(axis=1) & (base < CONFIRM_BINS)):
            known[r] = base[r] + np.cumsum(near[r]) >= CONFIRM_BINS
        for r in fell:  # (a new least sum: rare once it is known)
            known[r] = self._known_row(least[r], x[r], bound[r])
        q2 = np.where((known | held) & np.isfinite(bound), bound, 0.0)
        # the CONFIRM_BINS least sums: only rows with a sum under their last one change,
        # and only by those sums (one equal to the last is as good as the last)
        last = least[:, -1:]
        moved = np.flatnonzero((x < last).any(axis=1))
        if len(moved):
            self._least = least = least.copy()
            for r in moved:
                xr = x[r]
                new = xr[xr < last[r, 0]]
                if len(new) > CONFIRM_BINS:
                    new = np.partition(new, CONFIRM_BINS - 1)[:CONFIRM_BINS]
                least[r] = np.sort(np.concatenate((least[r], new)))[:CONFIRM_BINS]
        return bound, q2

    @staticmethod
    def _known_row(least: np.ndarray, x: np.ndarray, bound: np.ndarray) -> np.ndarray:
        """:meth:`push`'s ``known`` of one row whose least sum fell in the batch: per
        stretch of bins with the same least sum, the sums within CONFIRM_TOL of it so
        far (the least ones before the stretch, then the stretch's own)."""
        m = len(x)
        out = np.zeros(m, dtype=bool)
        starts = np.flatnonzero(np.concatenate(([bound[0] < least[0]], bound[1:] < bound[:-1])))
        starts = np.concatenate(([0], starts)) if not len(starts) or starts[0] else starts
        ends = np.append(starts[1:], m)
        for a, b in zip(starts, ends, strict=True):
            thr = bound[a] * (1.0 + CONFIRM_TOL)
            prior = np.concatenate((least, x[:a]))
            n0 = int((prior <= thr).sum())
            out[a:b] = n0 + np.cumsum(x[a:b] <= thr) >= CONFIRM_BINS
        return out


def rounding_bias(q2, var):
    """How far the mean of many readings quantised by q (``q2``: q²) errs by the
    rounding, where the readings show white noise of variance ``var`` (the rounding's
    own q²/12 included, as a dithered reading shows it: Sheppard's correction takes it
    off, none left for a reading without noise): the amplitude of the rounding error's fundamental, (q/pi) exp(-2 pi² var /
    q²) (the mean error, a sawtooth in the true value, under Gaussian dither: Widrow and
    Kollar, "Quantization Noise", 2008, ch. 5): q/pi without noise (the sawtooth's peak,
    q/2, is its harmonics' too, which any noise fades first), next to nothing once the
    noise spans the quantum; 0 for a reading not known to be quantised (``q2`` 0). It
    does not average out over many samples: it moves only as the true value does."""
    q2 = np.asarray(q2, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.sqrt(q2)
        pre = np.fmax(np.asarray(var) - q2 / 12.0, 0.0)  # (NaN, no noise known: none)
        dither = (q / np.pi) * np.exp(-2.0 * np.pi**2 * pre / np.where(q2 > 0, q2, 1.0))
        return np.where(q2 > 0, dither, 0.0)


def step_response(c: np.ndarray) -> np.ndarray:
    """The greatest response of linear contrasts ``c`` (over a window's bins, oldest
    first; rows, or one) to a unit step up between two of the window's bins: the most
    a coarse reading's rounding, stepping once, adds to them."""
    tails = np.cumsum(c[..., ::-1], axis=-1)[..., ::-1][..., 1:]
    return np.maximum(tails.max(axis=-1), 0.0)
