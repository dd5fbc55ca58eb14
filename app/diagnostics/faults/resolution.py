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
        held = (sdd == 0) & (nd > 0)
        held = np.logical_or.accumulate(np.concatenate((self._held, held), axis=1), axis=1)
        self._held = held[:, -1:].copy()
        with np.errstate(invalid="ignore"):
            unit = FLOAT_UNITS * np.finfo(np.float32).eps * np.abs(mean)
            floor = np.where(np.isfinite(unit), n2 * unit * unit, np.inf)
            x = np.fmin(np.where(sdd > 0, sdd, np.inf), np.where(s2 > floor, s2, np.inf))
        x = np.where(np.isnan(x), np.inf, x)
        least = self._least
        rows, m = x.shape
        before = least[:, :1]
        bound = np.fmin.accumulate(np.concatenate((before, x), axis=1), axis=1)[:, 1:]
        # rows whose least sum holds over the batch: one threshold, counted at once
        # (counted bin by bin only in rows with a sum that close in the batch)
        record = (x < before).any(axis=1)
        thr = before * (1.0 + CONFIRM_TOL)
        near = x <= thr
        base = (least <= thr).sum(axis=1)
        known = np.repeat((base >= CONFIRM_BINS)[:, None], m, axis=1)
        for r in np.flatnonzero(near.any(axis=1) & (base < CONFIRM_BINS)):
            known[r] = base[r] + np.cumsum(near[r]) >= CONFIRM_BINS
        for r in np.flatnonzero(record):  # (a new least sum: rare once it is known)
            known[r] = self._known_row(least[r], x[r], bound[r])
        q2 = np.where((known | held[:, 1:]) & np.isfinite(bound), bound, 0.0)
        # the CONFIRM_BINS least sums: only rows with a sum under their last one change
        k = min(m, CONFIRM_BINS)
        moved = np.flatnonzero((x < least[:, -1:]).any(axis=1))
        if len(moved):
            xs = x[moved]
            new = np.partition(xs, k - 1, axis=1)[:, :k] if m > k else xs
            merged = np.sort(np.concatenate((least[moved], new), axis=1), axis=1)
            self._least = least.copy()
            self._least[moved] = merged[:, :CONFIRM_BINS]
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
