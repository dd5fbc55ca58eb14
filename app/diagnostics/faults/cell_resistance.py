"""Each cell's resistance relative to the median cell, from its voltage under load.

A healthy cell with more resistance than its neighbours heats more under the same
current: over ambient, its temperature rise is (1 + r) times the median cell's,
r its relative resistance deviation (all of its heat is Joule heat, its thermal
mass and cooling the same). The internal-short heat test allows for that, and a
real pack's cells differ by several % in resistance, more than the test's
tolerance -- so r is measured rather than assumed small.

It shows in the voltages: a step of current dI moves cell k by R_k dI and the
median-voltage cell by its R dI. Between consecutive 5 s bins, the change of cell
k's deviation from the median voltage, d(v_k - v_med), regressed on dI (no
intercept) gives R_k less that cell's R, and d(v_med) on dI that R; so R_k, and
r against the median of the cells' R (the median voltage's cell is ordered by
its OCV, not its resistance; the median temperature's follows the resistance). The differences
remove what varies slowly (the OCV and its spread between cells); what a 5 s
difference sees is R0 and the fast part of the RC pairs, the same share for
every cell. Only steps of at least ``MIN_STEP_C`` count: a CV phase's slow taper
moves the current by a little per bin while the cells' OCVs climb the steep end
of charge each at its own pace, in step with it (on simulated lead-acid packs
that taper made r wrong by up to 0.25); and only while every cell's voltage is
within its OCV curve's range: beyond its ends (the knee at the end of charge,
the collapse at the end of discharge) a cell's voltage moves with its charge far
more than with the current -- a lead-acid cell just over full moves ~0.3 V per
% of charge, and a step there measured its SOC, not its resistance. The error
of r comes from the residuals of every pair of bins (the steps are few: a cycle
has a handful an hour). Accumulated from the log's start (a resistance does not change in
hours): one load step of 1C already gives r to ~0.02 on a simulated NMC cell.

A cell's voltage also moves on its own, most at the end of a discharge: the
weakest cell's collapses as its charge runs out, just when the current steps to
rest at the cut-off. So a step's change is taken less that of the last pair of
bins without a step (the median's and each deviation's: what they were doing
anyway). Without it, on a clean 16-cell NMC pack cycling at 1C (8 % spread, seed
123) the warmest, weakest cell read r = -0.10 at that step (+0.26 with it), and
the short test's anchor, allowing it no excess heat, raised a short on it; the
benchmark's fault runs on seeds 300-311 had 4 such false shorts before the onset
(nmc, 16 cells, cycle), 0 with it, every short found as fast (one 30 s faster).
"""

from __future__ import annotations

import numpy as np

from app.diagnostics.faults.common import sum_rows

#: r is known once the median cell's slope is this many standard errors from 0
#: (a log that has had no current step yet has no r).
MIN_SLOPE_Z = 10.0
#: A step of the current between two 5 s bins, as a fraction of 1C.
MIN_STEP_C = 0.05
#: ... from at least two steps, with a minute of bin pairs for the residuals.
MIN_STEPS = 2
MIN_PAIRS = 12


class CellResistance:
    """Relative resistance deviation r of each voltage-measured cell, with its
    standard error, accumulated from the log's start.

    :meth:`bin_terms` gives per-bin rows (to be summed into super-bins by the
    caller); :meth:`update` turns the super-bin sums into r and its error.
    """

    def __init__(self, nv: int, one_c_a: float, ocv_range_v: tuple[float, float] | None):
        self.nv = nv
        self.min_step_a = MIN_STEP_C * one_c_a
        self.v_lo, self.v_hi = ocv_range_v if ocv_range_v else (-np.inf, np.inf)
        self._prev_in = False  # the last bin's cells all within the OCV range
        self.rows = nv + 5
        self._prev = np.full(nv + 2, np.nan)  # last bin's current, median and deviations
        # the median's and the deviations' change over the last pair of bins without
        # a step: what they do on their own, taken off the next step
        self._trend = np.zeros(nv + 1)
        self._total = np.zeros(self.rows)

    def bin_terms(self, current: np.ndarray, vmed: np.ndarray, dev: np.ndarray) -> np.ndarray:
        """Rows (valid pair, step, dI², dI dv_med, sum over cells of d(dev_k)², then
        dI d(dev_k) per cell) of the bins (current and median (m,), cell deviations
        from the median (nv, m)); the products with dI on steps only."""
        nv, m = self.nv, len(current)
        full = np.empty((nv + 2, m + 1))
        full[:, 0] = self._prev
        full[0, 1:], full[1, 1:], full[2:, 1:] = current, vmed, dev
        self._prev = full[:, -1].copy()
        d = full[:, 1:] - full[:, :-1]
        ok = np.isfinite(d.sum(axis=0))
        if not ok.all():
            d[:, ~ok] = 0.0
        with np.errstate(invalid="ignore"):
            inside = (vmed + dev.min(axis=0) >= self.v_lo) & (vmed + dev.max(axis=0) <= self.v_hi)
        both = inside & np.concatenate(([self._prev_in], inside[:-1]))
        self._prev_in = bool(inside[-1]) if m else self._prev_in
        step = both & (np.abs(d[0]) >= self.min_step_a)
        di = np.where(step, d[0], 0.0)
        # a step's change less that of the last pair without a step (see above)
        quiet = ok & (np.abs(d[0]) < self.min_step_a)
        last = np.maximum.accumulate(np.where(quiet, np.arange(m), -1)) if m else np.zeros(0, int)
        prior = np.concatenate(([-1], last[:-1])) if m else last
        # (in place: the trends are read at quiet pairs, never at steps)
        y = d[1:]
        at = np.flatnonzero(step)
        if len(at):
            before = prior[at]
            y[:, at] -= np.where(before >= 0, d[1:, np.maximum(before, 0)], self._trend[:, None])
        if m and last[-1] >= 0:
            self._trend = d[1:, last[-1]].copy()
        out = np.empty((self.rows, m))
        out[0], out[1] = ok, step
        np.multiply(di, di, out=out[2])
        np.multiply(di, y[0], out=out[3])
        out[4] = np.einsum("ij,ij->j", y[1:], y[1:])
        np.multiply(di, y[1:], out=out[5:])
        return out

    def update(self, sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """r and its standard error (nv, m) after each super-bin of ``sums``
        (rows of :meth:`bin_terms`); NaN and inf while r is not known."""
        cum = np.cumsum(np.concatenate((self._total[:, None], sums), axis=1), axis=1)[:, 1:]
        if cum.shape[1]:
            self._total = cum[:, -1].copy()
        nv = self.nv
        n, steps, sii, sim, syy = cum[0], cum[1], cum[2], cum[3], cum[4]
        siy = cum[5:]
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = siy / sii  # R_k - R of the median-voltage cell
            # the residuals' variance, pooled over the cells (they share a front end)
            s2 = np.maximum(syy - sum_rows(slope * siy), 0.0) / (nv * np.maximum(n - 1, 1))
            se_slope = np.sqrt(s2 / sii)
            # against the median resistance, not the median voltage's cell (the
            # OCVs order the voltages): R_k - R_med over R_med
            mid = np.median(slope, axis=0)
            r_med = sim / sii + mid
            known = (
                (n >= MIN_PAIRS) & (steps >= MIN_STEPS) & (np.abs(r_med) >= MIN_SLOPE_Z * se_slope)
            )
            r = np.where(known, (slope - mid) / r_med, np.nan)
            # one error for every cell
            se = np.where(known, se_slope / np.abs(r_med), np.inf) + np.zeros((nv, 1))
        return r, se
