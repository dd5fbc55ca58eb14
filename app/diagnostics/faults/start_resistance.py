"""Each cell's resistance relative to the median cell, from the log's first minutes
under a constant load: the build-up of its RC overpotentials.

:mod:`.cell_resistance` measures r on steps of the current, and a log that starts
under a constant current (a 1C discharge from its first sample) has none until the
current changes, an hour on. The short test's anchor (:mod:`.short`, ``ANCHOR_S``)
then allows any cell up to ``ANCHOR_B_UNKNOWN`` of the pack's warming as its own
resistance's share, which covers a 100 ohm short's heat (0.14 W against ~0.7 W of
Joule heat per 5 Ah NMC cell at 1C): 100 ohm from 2 or 5 min into a 1C discharge
was never found within 10 min.

A log that starts at a load step has its cells' RC pairs empty at its first sample:
under the load they charge up (an NMC cell at 1C: ~30 mV within ~30 s, R1 with tau1
= 10 s, and ~40 mV over minutes, R2 with tau2 = 200 s), and a cell whose resistances
are (1 + r) times the median's builds up (1 + r) times the median's overpotential.
So over the first ``FIT_S`` the median cell's voltage and each cell's deviation from
it are fitted on a line (the OCV's fall under the load, a capacity's drift along it:
nearly straight over minutes; the cells' OCV offsets) and the nominal cell's RC
overpotential fed the bins' current from an empty state (the spec's ECM, as
:class:`~.short_heat.ShortHeat` does). Each cell's coefficient, less the median of
them, over the median cell's build-up, is its r. Only the build-up, never the first
sample's level: the cells' voltages under load differ there by their R0 I too, but
a real pack's cells differ in OCV by a few mV, as much as an 8 % spread of R0 shows
at 1C.

Guards. A log that does not start at a load step (the load already on, the RC pairs
charged) shows no build-up: the median's coefficient (against the nominal cell's)
must be at least ``MIN_BUILD_UP`` and ``BUILD_UP_Z`` standard errors (a 1C log cut 10
min after its start: ~0, r not known). The build-up the r is scaled by is the
nominal cell's or the measured one where that is less (an OCV knee at the log's
start, 100 % SOC, reads the median's build-up ~1.8x high; an aged pack's real one
is more than nominal: its r then reads high, allowing more heat, never less). Only
under a constant current (``STILL_C``): a varying one moves the cells by their R0 as
well, which no RC term follows (r off by up to 20 of its errors on drive and HPPC
logs, where the step measure has r anyway). The error of r: the fit's residuals,
pooled over the cells, at least ``MIN_SE``; r is not used where it is more than
``MAX_SE`` (LFP: its small build-up under its noise, and its knee at 100 % read r
off by up to 5 errors; a C/2 charge on NMC; no better than not knowing r there).

Measured (r against the simulator's truth, in its errors; nmc/lfp/lead-acid, 4 and 16
cells, the six profiles, seeds 1-3, 3/6/8 % spread): where r is known (NMC cycle,
cc and cccv; lead-acid cc) within -3.3 .. +3.4 errors, rms 0.8-1.3; the short test
allows 3 errors and 0.05 more (``ANCHOR_R_Z``, ``ANCHOR_B_TOL``). Over ``FIT_S`` =
300 s r was known to ~0.03, too loose for a 100 ohm short to clear the allowance
in time (12 of 48 shorts from 2 and 5 min into a 1C NMC discharge found within 10
min); 450 s: ~0.023, 26 of 48; 600 s: 24 of 48 (r comes later; the short, begun in
the fit, lifts its own cell's r).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from app.core.spec import BatterySpec
from app.diagnostics.faults.common import one_c_a

#: The fit's span from the log's first bin.
FIT_S = 450.0
#: The median cell's build-up, against the nominal cell's, must be at least this and
#: this many standard errors above 0 (a log that starts under a load already on: ~0).
MIN_BUILD_UP = 0.5
BUILD_UP_Z = 10.0
#: Only under a constant current: its bins within this of each other (a fraction of
#: 1C), and at least this much.
STILL_C = 0.05
MIN_LOAD_C = 0.2
#: The least standard error of r (see the module doc) ...
MIN_SE = 0.02
#: ... and the most: a wider one allows the short test no less than not knowing r
#: (its ``ANCHOR_B_UNKNOWN``), and came with r off by up to 5 of its errors (an LFP
#: or lead-acid pack's build-up is small against its noise; LFP's OCV knee at 100 %).
MAX_SE = 0.05


class StartResistance:
    """r of each voltage-measured cell from the log's first ``FIT_S`` under load
    (NaN, and an infinite error, where the log did not start at a load step)."""

    def __init__(self, spec: BatterySpec, nv: int, bin_s: float):
        self.nv = nv
        self.active = spec.ecm is not None and nv >= 2
        self._t0: float | None = None
        self.still_a = STILL_C * one_c_a(spec)
        self.min_a = MIN_LOAD_C * one_c_a(spec)
        self.done = False
        # per fit: sums of 1, t, u, tt, tu, uu; of y, t y, u y, y y per series (the
        # median, then each cell's deviation)
        self._xx = np.zeros(6)
        self._xy = np.zeros((nv + 1, 4))
        self._i_lo, self._i_hi = np.inf, -np.inf  # the current's range over the fit
        self.r = np.full(nv, np.nan)
        self.se = np.full(nv, np.inf)
        if self.active:
            p = spec.ecm.for_capacity(spec.pack_capacity_ah)
            self._rc = [
                (np.exp(-bin_s / tau), r)
                for tau, r in ((spec.ecm.tau1_s, p["r1_ohm"]), (spec.ecm.tau2_s, p["r2_ohm"]))
            ]
            self._state = [np.zeros(1), np.zeros(1)]

    def push(self, t0: np.ndarray, t1: np.ndarray, current, vmed, dev) -> None:
        """Add the bins (times, current, median cell voltage, deviations (nv, m))."""
        if not self.active or self.done or not len(t0):
            return
        if self._t0 is None:
            self._t0 = float(t0[0])
        i = np.nan_to_num(current)
        u = np.zeros(len(t0))
        for j, (decay, r) in enumerate(self._rc):
            v, self._state[j] = lfilter([(1.0 - decay) * r], [1.0, -decay], i, zi=self._state[j])
            u = u + v
        t = (t0 + t1) / 2.0 - self._t0
        inside = t < FIT_S
        y = np.vstack((vmed[None, :], dev))
        ok = inside & np.isfinite(current) & np.isfinite(y).all(axis=0)
        if ok.any():
            self._i_lo = min(self._i_lo, float(current[ok].min()))
            self._i_hi = max(self._i_hi, float(current[ok].max()))
        w = ok.astype(float)
        tz, uz = np.where(ok, t, 0.0), np.where(ok, u, 0.0)
        yz = np.where(ok[None, :], y, 0.0)
        parts = np.vstack((w, tz, uz, tz * tz, tz * uz, uz * uz, yz, yz * tz, yz * uz, yz * yz))
        # (a running sum from the state on, bin by bin: the same whatever the batches)
        state = np.concatenate((self._xx, self._xy.T.ravel()))
        total = np.cumsum(np.concatenate((state[:, None], parts), axis=1), axis=1)[:, -1]
        self._xx = total[:6]
        self._xy = total[6:].reshape(4, self.nv + 1).T.copy()
        if not inside[-1]:
            self.done = True
            self._solve()

    def _solve(self) -> None:
        n, st, su, stt, stu, suu = self._xx
        if n < 10 or self._i_hi - self._i_lo > self.still_a or abs(self._i_hi) < self.min_a:
            return
        xtx = np.array([[n, st, su], [st, stt, stu], [su, stu, suu]])
        try:
            cov = np.linalg.inv(xtx)
        except np.linalg.LinAlgError:
            return
        xty = self._xy[:, :3]
        coef = xty @ cov  # (series, 3): cov is symmetric
        rss = self._xy[:, 3] - np.einsum("ij,ij->i", coef, xty)
        s2 = np.maximum(rss, 0.0) / max(n - 3.0, 1.0)
        beta = coef[:, 2]
        mid = float(np.median(beta[1:]))
        built = beta[0] + mid  # the median resistance's build-up, against the nominal
        se_med = np.sqrt(s2[0] * cov[2, 2])
        known = built >= MIN_BUILD_UP and built >= BUILD_UP_Z * se_med and np.isfinite(s2).all()
        if not known:
            return
        # r over the nominal build-up, or the median's where it is less (see Guards)
        scale = min(built, 1.0)
        s2_dev = float(np.median(s2[1:]))  # pooled over the cells (one front end)
        se = max(np.sqrt(s2_dev * cov[2, 2]) / scale, MIN_SE)
        if se <= MAX_SE:
            self.r = (beta[1:] - mid) / scale
            self.se = np.full(self.nv, se)
