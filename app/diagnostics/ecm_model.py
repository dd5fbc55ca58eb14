"""The per-cell 2-RC equivalent-circuit model the SOC Kalman filter runs on.

One "cell equivalent" stands for the pack: its voltage is the mean series-cell
voltage, its current the pack current over the parallel strings, its capacity
the nominal capacity of one cell (``BatterySpec.capacity_ah``).

Model (current ``i`` positive = charging)::

    v = OCV(soc) + R0 * i + v1 + v2,    dv_k/dt = -v_k / tau_k + R_k * i / tau_k

OCV comes from the spec's table (the chemistry preset's, or the user's
``--ocv-table``). R0, R1, R2 and the time constants are the chemistry preset's
typical values scaled by the capacity (:meth:`EcmParameters.for_capacity`); the
filter adapts R0 online, so only the capacity has to be right to start with.

The OCV is tabulated on a uniform SOC grid so the filter can evaluate it, and
invert it, with index arithmetic and ``bisect`` on Python floats (much cheaper
per call than ``np.interp`` on a scalar, which matters in the per-update loop).

For the filter's linearisation the OCV is also tabulated Gaussian-smoothed at a
few widths (:meth:`CellModel.ocv_slr`): for an SOC estimate N(mu, sigma^2) the
expected OCV is the OCV smoothed with sigma, and the regression slope of OCV on
SOC is that curve's derivative (Stein's lemma). This is statistical linear
regression, what a sigma-point filter approximates, done exactly for the one
nonlinear function at EKF cost. It is why the flat LFP plateau never gives a
zero or jumping slope (a piecewise-linear table's derivative is a step
function; smoothed over the SOC uncertainty it is smooth and nonzero wherever
a step in the OCV is within reach of the estimate), and why an estimate that
sits on a plateau sees a step one or two sigmas away.
"""

from __future__ import annotations

import functools
import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import numpy as np

from app.core.spec import BatterySpec, preset

#: SOC grid of the tabulated OCV, percent. The filter clamps its SOC state to
#: [SOC_MIN, SOC_MAX]; the grid runs a little past that so lookups never clip.
GRID_MIN_PCT = -12.0
GRID_MAX_PCT = 112.0
GRID_STEP_PCT = 0.05
SOC_MIN_PCT = -5.0
SOC_MAX_PCT = 105.0

#: Outside 0-100 % the table is extended linearly with its end slopes, within
#: these bounds (V per %): NMC's last 2 % below empty fall ~0.4 V/%, and
#: extrapolating that would put -5 % SOC at a negative voltage; a flat end
#: segment would map every voltage beyond the table onto one SOC.
MAX_EXTRAPOLATION_SLOPE_V_PER_PCT = 0.05
MIN_EXTRAPOLATION_SLOPE_V_PER_PCT = 0.005

#: Widths (sigma, % SOC) of the smoothed OCV tables, geometric; the filter
#: interpolates between neighbours in log(sigma) and clips to the ends. 0.5 %
#: is below any useful SOC accuracy; 16 % covers an unknown start (a wider
#: prior is smoothed with 16 %).
SLR_SIGMAS_PCT: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
SLR_STEP_PCT = 0.1
_SLR_SIG_LO, _SLR_SIG_HI = SLR_SIGMAS_PCT[0], SLR_SIGMAS_PCT[-1]
_SLR_ROW_LAST = len(SLR_SIGMAS_PCT) - 2  # (the last row j with a row j + 1)


def _extended_ocv(grid: np.ndarray, soc_t: np.ndarray, ocv_t: np.ndarray) -> np.ndarray:
    """The table's OCV on ``grid``: linear inside, linearly extended outside."""
    ocv = np.interp(grid, soc_t, ocv_t)
    if len(soc_t) >= 2:
        lo_slope, hi_slope = (
            min(max(d, MIN_EXTRAPOLATION_SLOPE_V_PER_PCT), MAX_EXTRAPOLATION_SLOPE_V_PER_PCT)
            for d in (
                (ocv_t[1] - ocv_t[0]) / (soc_t[1] - soc_t[0]),
                (ocv_t[-1] - ocv_t[-2]) / (soc_t[-1] - soc_t[-2]),
            )
        )
        below, above = grid < soc_t[0], grid > soc_t[-1]
        ocv[below] = ocv_t[0] + lo_slope * (grid[below] - soc_t[0])
        ocv[above] = ocv_t[-1] + hi_slope * (grid[above] - soc_t[-1])
    # a table must not fall as SOC rises (BatterySpec checks; keep the grid so)
    return np.maximum.accumulate(ocv)


@dataclass(frozen=True)
class CellModel:
    """2-RC ECM of one cell equivalent, with its OCV tabulated on a uniform SOC grid."""

    capacity_as: float  # nominal capacity, ampere-seconds
    r0_ohm: float
    r1_ohm: float
    tau1_s: float
    r2_ohm: float
    tau2_s: float
    ocv_grid: tuple[float, ...]  # OCV at GRID_MIN_PCT + k * GRID_STEP_PCT, non-decreasing
    #: Per SLR_SIGMAS_PCT: smoothed OCV and its slope (V per %) at
    #: GRID_MIN_PCT + k * SLR_STEP_PCT.
    slr_ocv: tuple[tuple[float, ...], ...] = ()
    slr_slope: tuple[tuple[float, ...], ...] = ()
    #: ... and the variance (V^2) of the OCV about that regression line.
    slr_var: tuple[tuple[float, ...], ...] = ()
    #: True when the OCV is the chemistry preset's generic table (none given for
    #: this battery): the filter then trusts it less.
    ocv_from_preset: bool = False

    @staticmethod
    def from_spec(spec: BatterySpec) -> CellModel:
        """The model of one cell of ``spec`` (preset ECM scaled to its capacity). The
        same spec gives the same (immutable) model: kept for the next estimator (its
        smoothed OCV tables cost ~2 ms a build)."""
        try:
            return _model_of(spec)
        except TypeError:  # (a spec that cannot be hashed: built each time)
            return CellModel._build(spec)

    @staticmethod
    def _build(spec: BatterySpec) -> CellModel:
        spec = spec.with_preset_defaults()
        base = preset(spec.chemistry)
        from_preset = (spec.ocv_soc_pct, spec.ocv_v) == (base.ocv_soc_pct, base.ocv_v)
        p = spec.ecm.for_capacity(spec.capacity_ah)
        # A table measured at a current sits its polarisation off the OCV: at C/50 the
        # current times the cell's DC resistance (R0 + R1 + R2; see "Rated table" in
        # app.diagnostics.soc_ekf), below it on discharge; the simulator's cells follow
        # the same equilibrium OCV.
        soc_t, ocv_t = spec.equilibrium_ocv_table()
        grid = np.arange(GRID_MIN_PCT, GRID_MAX_PCT + GRID_STEP_PCT / 2, GRID_STEP_PCT)
        ocv = _extended_ocv(grid, soc_t, ocv_t)
        # The smoothed tables are computed on a grid wide enough that the
        # widest kernel (4 sigma) never runs off it, then cropped. The SOC
        # estimate is clamped to [SOC_MIN, SOC_MAX], so prior mass beyond
        # counts at the bound (else a wide prior near full would average in the
        # steep extrapolation above 100 %).
        reach = 4 * SLR_SIGMAS_PCT[-1]
        wide = np.arange(
            GRID_MIN_PCT - reach, GRID_MAX_PCT + reach + SLR_STEP_PCT / 2, SLR_STEP_PCT
        )
        wide_ocv = _extended_ocv(np.clip(wide, SOC_MIN_PCT, SOC_MAX_PCT), soc_t, ocv_t)
        keep = (wide >= GRID_MIN_PCT - 1e-9) & (wide <= GRID_MAX_PCT + 1e-9)
        slr_ocv, slr_slope, slr_var = [], [], []
        # (centred: the variance is a difference of two smoothed squares)
        centre = float(np.median(wide_ocv))
        dev = wide_ocv - centre
        for sig in SLR_SIGMAS_PCT:
            half = int(np.ceil(4 * sig / SLR_STEP_PCT))
            k = np.arange(-half, half + 1) * (SLR_STEP_PCT / sig)
            w = np.exp(-0.5 * k * k)
            w /= w.sum()
            smooth = np.convolve(wide_ocv, w, mode="same")
            slope = np.gradient(smooth, SLR_STEP_PCT)
            # Var[OCV] - (slope sigma)^2: what the line does not explain
            mean_dev = np.convolve(dev, w, mode="same")
            var = np.convolve(dev * dev, w, mode="same") - mean_dev * mean_dev
            resid_var = np.maximum(var - (slope * sig) ** 2, 0.0)
            slr_ocv.append(tuple(smooth[keep].tolist()))
            slr_slope.append(tuple(slope[keep].tolist()))
            slr_var.append(tuple(resid_var[keep].tolist()))
        return CellModel(
            capacity_as=float(spec.capacity_ah) * 3600.0,
            r0_ohm=float(p["r0_ohm"]),
            r1_ohm=float(p["r1_ohm"]),
            tau1_s=float(p["r1_ohm"] * p["c1_f"]),
            r2_ohm=float(p["r2_ohm"]),
            tau2_s=float(p["r2_ohm"] * p["c2_f"]),
            ocv_grid=tuple(ocv.tolist()),
            slr_ocv=tuple(slr_ocv),
            slr_slope=tuple(slr_slope),
            slr_var=tuple(slr_var),
            ocv_from_preset=from_preset,
        )

    # --- scalar lookups for the filter loop (plain floats, no numpy) -----
    def ocv(self, soc_pct: float) -> float:
        """OCV (V) at ``soc_pct``: linear in the table, linearly extended past 0/100 %."""
        x = (soc_pct - GRID_MIN_PCT) / GRID_STEP_PCT
        k = min(max(int(x), 0), len(self.ocv_grid) - 2)
        g = self.ocv_grid
        return g[k] + (x - k) * (g[k + 1] - g[k])

    def ocv_slr(self, soc_pct: float, sigma_pct: float) -> tuple[float, float]:
        """Expected OCV (V) and regression slope (V per %) for SOC ~ N(soc_pct, sigma_pct^2)."""
        mean, slope, _ = self.ocv_slr_var(soc_pct, sigma_pct)
        return mean, slope

    def ocv_slr_var(self, soc_pct: float, sigma_pct: float) -> tuple[float, float, float]:
        """:meth:`ocv_slr` and the variance (V^2) of the OCV about that line.

        Statistical linear regression of a nonlinear function: ``OCV(soc) =
        mean + slope * (soc - mu) + e`` with ``e`` uncorrelated with ``soc``
        and of this variance, which the filter adds to the measurement's (a
        linearisation that cannot explain the OCV over the prior must not
        shrink the SOC variance as if it did: a wide prior astride the LFP
        plateau and its knee).
        """
        # Where (soc_pct, sigma_pct) falls in the SLR tables: the sigma row j and its
        # fraction f (sigma on a log2 grid), the SOC column k and its fraction t;
        # then the tables interpolated between rows j, j+1 and columns k, k+1. Written
        # out, no helper calls: the filter calls this once per update (~17000 times
        # in a 1e6-sample log). tests/diagnostics/test_soc_ekf.py holds the plain
        # version (helpers, builtin min/max) and checks the bits are the same.
        # (min/max as the builtins pick: max(v, lo) is lo if v < lo else v, and
        # min(v, hi) is hi if v > hi else v -- a NaN included)
        sig = _SLR_SIG_LO if sigma_pct < _SLR_SIG_LO else sigma_pct
        if sig > _SLR_SIG_HI:
            sig = _SLR_SIG_HI
        pos = math.log2(sig / _SLR_SIG_LO)
        j = int(pos)
        if j > _SLR_ROW_LAST:
            j = _SLR_ROW_LAST
        f = pos - j
        x = (soc_pct - GRID_MIN_PCT) / SLR_STEP_PCT
        k = int(x)
        if k < 0:
            k = 0
        k_last = len(self.slr_ocv[0]) - 2
        if k_last < k:
            k = k_last
        t = x - k
        k1 = k + 1
        a, b = self.slr_ocv[j], self.slr_ocv[j + 1]
        v0 = a[k] + t * (a[k1] - a[k])
        v1 = b[k] + t * (b[k1] - b[k])
        a, b = self.slr_slope[j], self.slr_slope[j + 1]
        s0 = a[k] + t * (a[k1] - a[k])
        s1 = b[k] + t * (b[k1] - b[k])
        a, b = self.slr_var[j], self.slr_var[j + 1]
        w0 = a[k] + t * (a[k1] - a[k])
        w1 = b[k] + t * (b[k1] - b[k])
        return v0 + f * (v1 - v0), s0 + f * (s1 - s0), w0 + f * (w1 - w0)

    def soc_range(self, v_lo: float, v_hi: float) -> tuple[float, float]:
        """The SOC interval (%) whose OCV lies within [v_lo, v_hi], clipped to
        [SOC_MIN_PCT, SOC_MAX_PCT].

        The OCV never falls as SOC rises, so the preimage of a voltage interval
        is one SOC interval: on a flat plateau a wide one, where the OCV is
        steep a narrow one. ``bisect`` on the grid keeps this a few
        microseconds (it runs once per filter update).
        """
        g = self.ocv_grid
        n = len(g)
        # lowest SOC with OCV >= v_lo
        k = bisect_left(g, v_lo)
        if k <= 0:
            lo = GRID_MIN_PCT
        elif k >= n:
            lo = GRID_MAX_PCT
        else:
            lo = GRID_MIN_PCT + GRID_STEP_PCT * (k - 1 + (v_lo - g[k - 1]) / (g[k] - g[k - 1]))
        # highest SOC with OCV <= v_hi
        k = bisect_right(g, v_hi)
        if k <= 0:
            hi = GRID_MIN_PCT
        elif k >= n:
            hi = GRID_MAX_PCT
        else:
            hi = GRID_MIN_PCT + GRID_STEP_PCT * (k - 1 + (v_hi - g[k - 1]) / (g[k] - g[k - 1]))
        # min(max(x, SOC_MIN_PCT), SOC_MAX_PCT) of each and max(lo, hi), spelled
        # out as the builtins pick (NaN stays NaN): half the cost of the calls
        lo = SOC_MIN_PCT if lo < SOC_MIN_PCT else SOC_MAX_PCT if lo > SOC_MAX_PCT else lo
        hi = SOC_MIN_PCT if hi < SOC_MIN_PCT else SOC_MAX_PCT if hi > SOC_MAX_PCT else hi
        return lo, (hi if hi > lo else lo)

    def rest_posterior_moments(self, v: float, sigma_v: float) -> tuple[float, float, float]:
        """Spread of the SOC and of its OCV, and their correlation, given a rest
        voltage ``v`` that is the OCV within N(0, ``sigma_v^2``), all SOCs in
        [SOC_MIN_PCT, SOC_MAX_PCT] equally likely: (sd SOC %, sd OCV V, corr).

        Where the OCV is linear over the SOC the voltage allows, the
        correlation is 1 and the OCV's spread is ``sigma_v``; astride the LFP
        plateau and a step, the SOC spreads over the plateau while the OCV
        hardly moves with it (a weak correlation). Once per filter start.
        """
        g = np.asarray(self.ocv_grid)
        soc = GRID_MIN_PCT + GRID_STEP_PCT * np.arange(len(g))
        keep = (soc >= SOC_MIN_PCT) & (soc <= SOC_MAX_PCT)
        soc, g = soc[keep], g[keep]
        w = np.exp(-0.5 * ((g - v) / sigma_v) ** 2)
        total = float(w.sum())
        if not total > 0.0:  # (beyond the table: its linear extension)
            return 0.0, sigma_v, 1.0
        w /= total
        ds = soc - float(w.dot(soc))
        dg = g - float(w.dot(g))
        var_s, var_g = float(w.dot(ds * ds)), float(w.dot(dg * dg))
        if not (var_s > 0.0 and var_g > 0.0):
            return math.sqrt(var_s), math.sqrt(var_g), 1.0
        return math.sqrt(var_s), math.sqrt(var_g), float(w.dot(ds * dg)) / math.sqrt(var_s * var_g)

    def soc_from_ocv(self, ocv_v: float) -> float:
        """Inverse of :meth:`ocv` (flat parts of the curve give their middle)."""
        lo, hi = self.soc_range(ocv_v, ocv_v)
        return 0.5 * (lo + hi)


@functools.lru_cache(maxsize=16)
def _model_of(spec: BatterySpec) -> CellModel:
    """:meth:`CellModel.from_spec`, kept per spec."""
    return CellModel._build(spec)
