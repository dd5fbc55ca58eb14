"""Each cell's resistance relative to the median cell, from its voltage under load.

A healthy cell with more resistance than its neighbours heats more under the same
current: over ambient, its temperature rise is (1 + r) times the median cell's,
r its relative resistance deviation (all of its heat is Joule heat, its thermal
mass and cooling the same). The internal-short heat test allows for that, and a
real pack's cells differ by several % in resistance, more than the test's
tolerance -- so r is measured rather than assumed small.

It shows in the voltages: a step of current dI moves cell k by R_k dI and the
median cell by R_med dI. Between consecutive 5 s bins, the change of cell k's
deviation from the median, d(v_k - v_med), regressed on dI (no intercept) gives
R_k - R_med, and d(v_med) on dI gives R_med; their ratio is r. The differences
remove what varies slowly (the OCV and its spread between cells); what a 5 s
difference sees is R0 and the fast part of the RC pairs, the same share for
every cell. Accumulated from the log's start (a resistance does not change in
hours): one load step of 1C already gives r to ~0.02 on a simulated NMC cell.
"""

from __future__ import annotations

import numpy as np

#: r is known once the median cell's slope is this many standard errors from 0
#: (a log that has had no current step yet has no r).
MIN_SLOPE_Z = 10.0
#: ... and a minute of bin pairs (the errors come from the fit's residuals).
MIN_PAIRS = 12


class CellResistance:
    """Relative resistance deviation r of each voltage-measured cell, with its
    standard error, accumulated from the log's start.

    :meth:`bin_terms` gives per-bin rows (to be summed into super-bins by the
    caller); :meth:`update` turns the super-bin sums into r and its error.
    """

    def __init__(self, nv: int):
        self.nv = nv
        self.rows = 2 * nv + 3
        self._prev = np.full(nv + 2, np.nan)  # last bin's current, median and deviations
        self._total = np.zeros(self.rows)

    def bin_terms(self, current: np.ndarray, vmed: np.ndarray, dev: np.ndarray) -> np.ndarray:
        """Rows (valid, dI², dI dv_med, dI d(dev_k)..., d(dev_k)²...) of the bins
        (current and median (m,), cell deviations from the median (nv, m))."""
        x = np.vstack((current[None, :], vmed[None, :], dev))
        full = np.concatenate((self._prev[:, None], x), axis=1)
        self._prev = full[:, -1].copy()
        d = np.diff(full, axis=1)
        ok = np.isfinite(d).all(axis=0)
        d = np.where(ok, d, 0.0)
        di, dm, dd = d[0], d[1], d[2:]
        return np.concatenate(
            (ok[None].astype(float), (di * di)[None], (di * dm)[None], di * dd, dd * dd)
        )

    def update(self, sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """r and its standard error (nv, m) after each super-bin of ``sums``
        (rows of :meth:`bin_terms`); NaN and inf while r is not known."""
        cum = np.cumsum(np.concatenate((self._total[:, None], sums), axis=1), axis=1)[:, 1:]
        if cum.shape[1]:
            self._total = cum[:, -1].copy()
        nv = self.nv
        n, sii, sim = cum[0], cum[1], cum[2]
        siy, syy = cum[3 : 3 + nv], cum[3 + nv :]
        with np.errstate(invalid="ignore", divide="ignore"):
            slope_m = sim / sii
            slope = siy / sii
            s2 = np.maximum(syy - slope * siy, 0.0) / np.maximum(n - 1, 1)
            se_slope = np.sqrt(s2 / sii)
            # the median's own error is about that of one cell's deviation
            known = (n >= MIN_PAIRS) & (
                np.abs(slope_m) >= MIN_SLOPE_Z * np.median(se_slope, axis=0)
            )
            r = np.where(known, slope / slope_m, np.nan)
            se = np.where(known, se_slope / np.abs(slope_m), np.inf)
        return r, se
