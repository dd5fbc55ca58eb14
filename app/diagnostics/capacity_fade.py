"""Capacity fade: fade models fitted to the per-cycle discharge capacity, the fade
rate and retention at the end of the record, and the knee of the curve.

Input is a per-cycle table (``cycle_index``, ``discharge_capacity_ah``, other
columns ignored), e.g. the output of :func:`~app.diagnostics.cycles.summarize_cycles`.

Cleaning (:func:`clean_capacity_series`)
    Rows with a missing, non-finite or non-positive capacity are dropped (an
    aborted cycle, not a capacity), duplicated cycle indices are merged into
    their median (split or re-numbered logs), the table is sorted by cycle, and
    single-cycle outliers are rejected by a Hampel filter: a point further than
    3.5 robust standard deviations (1.4826 * MAD) from the rolling median of its
    neighbours (window 7 cycles or 2 % of the record, after removing the median
    slope so that a steep but clean decline is not flagged at the ends). This
    catches the first cycles of capacity "regeneration" after a rest (NASA PCoE
    cells gain 2-5 % after each pause and lose it again within a few cycles).
    Deviations under 2 % of the capacity are never rejected (see
    ``OUTLIER_MIN_FRACTION``).

Fitting
    Five models of the capacity Q against the cycle number n, all fitted by
    bounded non-linear least squares - the trust-region-reflective solver
    ``scipy.optimize.least_squares`` that ``curve_fit`` wraps, called directly so
    that a fit stopped by the evaluation limit is kept - with analytic
    Jacobians, bounds that keep every model a non-increasing fade, data-derived
    starting points (two for the 3- and 4-parameter models, the better kept),
    and a soft-L1 loss whose scale is the robust noise level. The loss is
    quadratic for ordinary noise and linear for the regeneration tails the
    Hampel filter leaves (they decay over several cycles, so they are not
    single-point outliers), so those tails pull the fit far less than in plain
    least squares.

    ==============  ==========================  =====================================
    ``linear``      q0 - a*n                    constant rate (cycling-driven SEI)
    ``sqrt``        q0 - a*sqrt(n)              diffusion-limited SEI growth
    ``power``       q0 - a*n**b                 generalises both (0.2 <= b <= 4)
    ``exponential`` q0*exp(-k*n)                fade proportional to capacity
    ``linear_exp``  q0 - a*n - c*(exp(k*n)-1)   linear fade plus an accelerating term:
                                                the "line plus exponential" of
                                                Fermin-Cueto et al. (2020) for
                                                curves with a knee
    ==============  ==========================  =====================================

    The double exponential of He et al. (J. Power Sources 196 (2011) 10314) was
    tried in its place: it fits the same shapes as ``linear_exp``, but its four
    parameters are poorly identified before a knee shows (in our tests its fits
    depended on the starting point and took three times as long), so the
    line-plus-exponential is used.

No fade, no model
    When the capacity has not fallen measurably (:func:`measurable_fade`, the
    same test the cycle-life forecast uses) the status is ``no_fade`` with the
    reason and no model is fitted: a fade model (and its mechanism and rate)
    fitted to a flat, noisy record would be a statement the data do not make.

Selection: BIC, with an effective sample size
    Capacity residuals are strongly autocorrelated (regeneration after rests,
    temperature drift, periodic check-ups): the lag-1 autocorrelation of the
    residuals is typically 0.3-0.95 on real cells. A criterion that counts 800
    correlated cycles as 800 independent observations always prefers the most
    flexible model. We therefore use n_eff = n (1 - rho) / (1 + rho) (the AR(1)
    effective sample size, rho the lag-1 autocorrelation of the best-fitting
    model's residuals) in place of n in both criteria. BIC selects because the
    models are nested (``power`` contains ``linear`` and ``sqrt``): AIC's penalty
    of 2 per parameter lets the superset win on ~16 % of data sets made by the
    simpler model, BIC's ln(n_eff) is consistent, and the selected model is read
    as a statement about the fade mechanism. AICc is reported alongside.

Knee point and knee onset (Fermin-Cueto et al., "Identification and machine
learning prediction of knee-point and knee-onset in capacity degradation curves
of lithium-ion cells", Energy and AI 1 (2020) 100006)
    The knee point is the transition of a Bacon-Watts model
    ``a0 + a1 (n - n1) + a2 (n - n1) tanh((n - n1) / g)`` and the knee onset the
    first transition of a double Bacon-Watts model with a second term
    ``a3 (n - n2) tanh((n - n2) / g)``. With the vanishing transition width g the
    paper uses, tanh(u/g) is sign(u), so both are continuous piecewise-linear
    regressions; we fit them exactly by profiling the least squares over the
    transition cycles (a grid, then a refinement around the best cell) instead
    of a gradient fit, which stalls on the non-smooth objective. Implementations
    of the method often smooth the curve first (a monotone fit, then a
    line-plus-exponential fit); we fit the cleaned data directly: the least
    squares already average the noise, and a smoothing model adds its own bias
    to the transition cycles. A knee is reported only when the fade
    rate after it is at least 1.5x the rate before it and the two-segment model
    beats a straight line by a BIC margin of 10 ("very strong" evidence, Kass &
    Raftery 1995); otherwise the knee is None with the reason. If the first
    double Bacon-Watts transition is a slow-down (the end of a break-in), the
    onset search is repeated on the cycles after it.

Break-in (:func:`break_in_end`)
    The mirror image of the knee point: the transition of the same single
    Bacon-Watts fit when the fade before it is at least 1.5x the fade after it
    (an early fast fade that settles), with the same BIC margin of 10. The
    cycle-life forecast fits its models from there on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import least_squares

from app.core.errors import SchemaError
from app.core.results import DiagnosticResult, Severity
from app.core.spec import BatterySpec

if TYPE_CHECKING:
    import pandas as pd

CYCLE_COLUMN = "cycle_index"
CAPACITY_COLUMN = "discharge_capacity_ah"

#: Cycles averaged for the initial (and final) capacity: enough to average
#: cycle-to-cycle noise (the error falls as 1/sqrt(5)), few enough that fade
#: within them is negligible (< 0.5 % for any cell lasting over 100 cycles).
EDGE_CYCLES = 5
#: Hampel filter: cut-off in robust standard deviations (Iglewicz & Hoaglin's
#: 3.5 for the modified z-score) and minimum window.
HAMPEL_SIGMAS = 3.5
HAMPEL_MIN_WINDOW = 7
#: A point is never an outlier when it is within 2 % of its neighbours' median:
#: cycler capacities often move in plateaus and steps (CALCE data are quantised
#: to ~0.01 Ah late in life), where more than half of the residuals from a
#: rolling median are exactly zero and the MAD collapses; real one-cycle
#: artefacts (regeneration peaks, check-up cycles at another rate, partial
#: discharges) are larger than this.
OUTLIER_MIN_FRACTION = 0.02
#: Floor of the robust noise level as a fraction of the capacity: cyclers
#: resolve capacity to ~0.05 % of full scale, so noise-free (simulated) data
#: must not make every rounding step an outlier.
NOISE_FLOOR_FRACTION = 5e-4
#: Below this many valid cycles no model is fitted (a 4-parameter model needs
#: at least a few degrees of freedom left for its residuals).
MIN_CYCLES = 5
#: Cost evaluations per least-squares fit (a well-posed fit needs 10-30).
MAX_EVALUATIONS = 150
#: Lag-1 residual autocorrelation is clipped here: beyond it the AR(1)
#: effective sample size is dominated by the estimate's own noise.
MAX_RHO = 0.9
#: Knee detection: minimum cycles, minimum share of points on either side of
#: a transition, minimum rate ratio and BIC margin (see the module docstring).
KNEE_MIN_CYCLES = 20
KNEE_EDGE_FRACTION = 0.05
KNEE_RATE_RATIO = 1.5
KNEE_MIN_BIC_GAIN = 10.0
#: Severity of the fade: critical once the end of life is reached - the capacity
#: below ``eol_fraction`` x the reference, the same line and the same "reached"
#: rule (:func:`end_of_life`) as cycle life, whose status is then ``reached``
#: and its severity ``critical``. 80 % of the initial capacity is the usual end
#: of life (USABC EV battery test procedures; IEEE 1188 for stationary
#: batteries) and the default. Warn when the last cycles' capacity is past half
#: the way from the reference to it (90 % by default), or as soon as a knee shows.
DEFAULT_EOL_FRACTION = 0.80


def warning_fraction(eol_fraction: float) -> float:
    """The fraction of the reference below which the fade warns: halfway to end of life."""
    return eol_fraction + 0.5 * (1.0 - eol_fraction)


# ---------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CapacitySeries:
    """A cleaned capacity-against-cycle series (see :func:`clean_capacity_series`)."""

    cycle: np.ndarray  # float cycle numbers, strictly increasing
    capacity_ah: np.ndarray
    rows_in: int
    rows_invalid: int  # NaN / non-positive capacity or missing cycle index
    duplicates_merged: int
    outliers: np.ndarray  # cycle numbers rejected by the Hampel filter

    @property
    def n(self) -> int:
        return len(self.cycle)


def _rolling_median(values: np.ndarray, window: int) -> np.ndarray:
    """Centred rolling median; the window shrinks at the ends."""
    import pandas as pd

    return (
        pd.Series(values).rolling(window, center=True, min_periods=1).median().to_numpy(copy=True)
    )


def resolution_ah(capacity: np.ndarray) -> float:
    """Capacity differences below this (1 ppm of the capacity) are round-off."""
    return 1e-6 * float(np.median(np.abs(capacity))) if len(capacity) else 0.0


def noise_level(capacity: np.ndarray) -> float:
    """Robust cycle-to-cycle noise (Ah): MAD of first differences / sqrt(2), with a floor."""
    q = np.asarray(capacity, dtype=float)
    floor = NOISE_FLOOR_FRACTION * float(np.median(np.abs(q))) if q.size else 1e-9
    if q.size < 3:
        return max(floor, 1e-12)
    d = np.diff(q)
    return max(1.4826 * float(np.median(np.abs(d - np.median(d)))) / math.sqrt(2.0), floor, 1e-12)


def hampel_inliers(capacity: np.ndarray) -> np.ndarray:
    """Mask of the points the Hampel filter keeps (see the module docstring)."""
    q = np.asarray(capacity, dtype=float)
    n = q.size
    if n < HAMPEL_MIN_WINDOW:
        return np.ones(n, dtype=bool)
    window = max(HAMPEL_MIN_WINDOW, int(0.02 * n) | 1)
    # remove the typical step so the shrinking windows at the ends are unbiased
    step = float(np.median(np.diff(q)))
    z = q - step * np.arange(n)
    r = z - _rolling_median(z, window)
    sigma = 1.4826 * float(np.median(np.abs(r - np.median(r))))
    return np.abs(r) <= max(HAMPEL_SIGMAS * sigma, OUTLIER_MIN_FRACTION * float(np.median(q)))


def clean_capacity_series(cycles: pd.DataFrame, *, reject_outliers: bool = True) -> CapacitySeries:
    """Valid, sorted, de-duplicated capacities of a per-cycle table, outliers removed."""
    import pandas as pd

    for col in (CYCLE_COLUMN, CAPACITY_COLUMN):
        if col not in cycles.columns:
            raise SchemaError(f"the per-cycle table has no {col!r} column")
    idx = pd.to_numeric(cycles[CYCLE_COLUMN], errors="coerce").to_numpy(dtype=float)
    cap = pd.to_numeric(cycles[CAPACITY_COLUMN], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(idx) & np.isfinite(cap) & (cap > 0)
    # one value per cycle number, sorted: the median of duplicates
    per_cycle = pd.Series(cap[ok]).groupby(idx[ok], sort=True).median()
    uniq = per_cycle.index.to_numpy(dtype=float)
    merged = per_cycle.to_numpy(dtype=float)
    keep = hampel_inliers(merged) if reject_outliers else np.ones(uniq.size, dtype=bool)
    return CapacitySeries(
        cycle=uniq[keep],
        capacity_ah=merged[keep],
        rows_in=len(cycles),
        rows_invalid=int((~ok).sum()),
        duplicates_merged=int(ok.sum() - uniq.size),
        outliers=uniq[~keep],
    )


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class FadeModel:
    """One fade model: Q(n) = func(n, *params), all parameters in cycle units.

    The fit runs on n / scale (scale = last cycle) so that all parameters are of
    order one; ``unscale`` maps the fitted parameters back to cycle units.
    """

    name: str
    formula: str
    params: tuple[str, ...]
    func: Callable[..., np.ndarray]
    jac: Callable[..., np.ndarray]  # d func / d params, one column per parameter
    unscale: Callable[[np.ndarray, float], np.ndarray]
    # initial guesses from (q0, total fade) in scaled units; several for multi-start
    starts: Callable[[float, float], list[list[float]]]
    lower: tuple[float, ...]
    upper: tuple[float, ...]

    @property
    def n_params(self) -> int:
        return len(self.params)

    def derivative(self, n: float, p: np.ndarray) -> float:
        """dQ/dn at n (central difference; every model is smooth for n > 0)."""
        h = max(1e-3, 1e-4 * abs(n))
        lo = max(n - h, 0.0)
        with np.errstate(all="ignore"):
            return float((self.func(n + h, *p) - self.func(lo, *p)) / (n + h - lo))


def _linear(n, q0, a):
    return q0 - a * n


def _linear_jac(n, q0, a):
    return np.column_stack([np.ones_like(n), -n])


def _sqrt(n, q0, a):
    return q0 - a * np.sqrt(np.maximum(n, 0.0))


def _sqrt_jac(n, q0, a):
    return np.column_stack([np.ones_like(n), -np.sqrt(np.maximum(n, 0.0))])


def _power(n, q0, a, b):
    return q0 - a * np.power(np.maximum(n, 0.0), b)


def _power_jac(n, q0, a, b):
    m = np.maximum(n, 0.0)
    nb = np.power(m, b)
    log_n = np.log(np.where(m > 0, m, 1.0))  # n**b * ln(n) -> 0 as n -> 0
    return np.column_stack([np.ones_like(n), -nb, -a * nb * log_n])


def _exponential(n, q0, k):
    return q0 * np.exp(-k * n)


def _exponential_jac(n, q0, k):
    e = np.exp(-k * n)
    return np.column_stack([e, -q0 * n * e])


def _linear_exp(n, q0, a, c, k):
    return q0 - a * n - c * np.expm1(k * n)


def _linear_exp_jac(n, q0, a, c, k):
    return np.column_stack([np.ones_like(n), -n, -np.expm1(k * n), -c * n * np.exp(k * n)])


_INF = np.inf
MODELS: dict[str, FadeModel] = {
    m.name: m
    for m in (
        FadeModel(
            "linear",
            "q0 - a*n",
            ("q0", "a"),
            _linear,
            _linear_jac,
            lambda p, s: np.array([p[0], p[1] / s]),
            lambda q0, d: [[q0, d]],
            (0.0, 0.0),
            (_INF, _INF),
        ),
        FadeModel(
            "sqrt",
            "q0 - a*sqrt(n)",
            ("q0", "a"),
            _sqrt,
            _sqrt_jac,
            lambda p, s: np.array([p[0], p[1] / math.sqrt(s)]),
            lambda q0, d: [[q0, d]],
            (0.0, 0.0),
            (_INF, _INF),
        ),
        FadeModel(
            "power",
            "q0 - a*n**b",
            ("q0", "a", "b"),
            _power,
            _power_jac,
            lambda p, s: np.array([p[0], p[1] / s ** p[2], p[2]]),
            lambda q0, d: [[q0, d, 0.5], [q0, d, 1.5]],
            (0.0, 0.0, 0.2),
            (_INF, _INF, 4.0),
        ),
        FadeModel(
            "exponential",
            "q0*exp(-k*n)",
            ("q0", "k"),
            _exponential,
            _exponential_jac,
            lambda p, s: np.array([p[0], p[1] / s]),
            lambda q0, d: [[q0, -math.log(max(1.0 - d / q0, 1e-3))]],
            (0.0, 0.0),
            (_INF, 50.0),
        ),
        FadeModel(
            "linear_exp",
            "q0 - a*n - c*(exp(k*n) - 1)",
            ("q0", "a", "c", "k"),
            _linear_exp,
            _linear_exp_jac,
            lambda p, s: np.array([p[0], p[1] / s, p[2], p[3] / s]),
            lambda q0, d: [[q0, 0.7 * d, 0.3 * d / math.expm1(3.0), 3.0], [q0, d, 1e-3 * d, 8.0]],
            (0.0, 0.0, 0.0, 0.1),
            (_INF, _INF, _INF, 20.0),
        ),
    )
}


@dataclass
class ModelFit:
    """A fitted model, kept in scaled units for extrapolation and resampling."""

    model: FadeModel
    p_scaled: np.ndarray
    scale: float
    residuals: np.ndarray  # data - fit, Ah
    cov_scaled: np.ndarray | None  # parameter covariance (i.i.d. residuals assumed)

    @property
    def rss(self) -> float:
        return float(np.dot(self.residuals, self.residuals))

    @property
    def params(self) -> np.ndarray:
        """Parameters in cycle units."""
        return self.model.unscale(self.p_scaled, self.scale)

    def predict(self, n) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self.model.func(np.asarray(n, dtype=float) / self.scale, *self.p_scaled)


def _covariance(model: FadeModel, x: np.ndarray, p: np.ndarray, rss: float) -> np.ndarray | None:
    """Gauss-Newton covariance s^2 (J^T J)^-1 of the parameters (scaled units)."""
    m, k = x.size, p.size
    if m <= k:
        return None
    with np.errstate(all="ignore"):
        jac = model.jac(x, *p)
    if not np.isfinite(jac).all():
        return None
    # rcond: a direction the data do not fix (the rate k of an acceleration whose
    # amplitude c is ~0) gets no variance instead of an arbitrarily large one
    return np.linalg.pinv(jac.T @ jac, rcond=1e-10, hermitian=True) * (rss / (m - k))


def fit_model(
    model: FadeModel, cycle: np.ndarray, capacity: np.ndarray, *, scale: float, noise: float
) -> ModelFit | None:
    """Robust (soft-L1) least-squares fit of one model; None if it fails."""
    x = np.asarray(cycle, dtype=float) / scale
    q = np.asarray(capacity, dtype=float)
    if q.size < model.n_params + 2:
        return None
    head = max(1, min(EDGE_CYCLES, q.size // 4))
    q0 = float(np.mean(q[:head]))
    drop = max(q0 - float(np.mean(q[-head:])), 10 * noise, 1e-6 * q0)
    upper = list(model.upper)
    upper[0] = 2.0 * float(np.max(q))  # q0: no more than twice the largest measured value
    best = None
    for start in model.starts(q0, drop):
        p0 = np.clip(start, np.array(model.lower) + 1e-12, np.array(upper) - 1e-12)
        try:
            with np.errstate(all="ignore"):
                sol = least_squares(
                    lambda p: model.func(x, *p) - q,
                    p0,
                    jac=lambda p: model.jac(x, *p),
                    bounds=(model.lower, upper),
                    method="trf",
                    loss="soft_l1",
                    f_scale=noise,
                    # a fit that stops here is crawling along a flat valley of the
                    # cost (an acceleration term the data cannot pin down): its
                    # cost is already minimal, so it is kept, not discarded
                    max_nfev=MAX_EVALUATIONS,
                )
        except ValueError:
            continue
        p = sol.x
        with np.errstate(all="ignore"):
            r = q - model.func(x, *p)
        if not np.isfinite(r).all():
            continue
        # compare multi-start solutions by the soft-L1 cost they minimised
        cost = float(np.sum(2.0 * (np.sqrt(1.0 + (r / noise) ** 2) - 1.0)))
        if best is None or cost < best[0]:
            best = (cost, p, r)
    if best is None:
        return None
    _, p, r = best
    return ModelFit(model, p, scale, r, _covariance(model, x, p, float(np.dot(r, r))))


def lag1_autocorrelation(residuals: np.ndarray) -> float:
    """Lag-1 autocorrelation of residuals, clipped to [0, MAX_RHO]."""
    r = np.asarray(residuals, dtype=float)
    if r.size < 4:
        return 0.0
    r = r - r.mean()
    den = float(np.dot(r, r))
    if den <= 0:
        return 0.0
    return float(np.clip(np.dot(r[:-1], r[1:]) / den, 0.0, MAX_RHO))


def effective_sample_size(n: int, rho: float) -> float:
    """AR(1) effective number of independent residuals."""
    return max(n * (1.0 - rho) / (1.0 + rho), 2.0)


def significant_decline(x: np.ndarray, q: np.ndarray) -> bool:
    """Is the slope of a least-squares line over (x, q) 2 standard errors below zero?"""
    if x.size < 4 or np.ptp(x) == 0:
        return False
    slope, icept = np.polyfit(x, q, 1)
    r = q - (slope * x + icept)
    n_eff = effective_sample_size(x.size, lag1_autocorrelation(r))
    dof = max(x.size - 2, 1)
    se = math.sqrt(float(np.dot(r, r)) / dof / float(np.sum((x - x.mean()) ** 2)))
    se *= math.sqrt(x.size / n_eff)  # autocorrelated residuals carry less information
    # and the fade over the record must exceed the capacity resolution, so that
    # round-off on noise-free data does not count as fade
    resolved = -slope * float(np.ptp(x)) > NOISE_FLOOR_FRACTION * float(np.mean(q))
    return slope < -2.0 * se and resolved


def measurable_fade(x: np.ndarray, q: np.ndarray) -> bool:
    """Has the capacity fallen measurably: is the slope of a line through the whole
    history, or through its recent half, 2 standard errors (with the AR(1)
    effective sample size) below zero, and the fall above the capacity resolution?"""
    half = x.size // 2
    return significant_decline(x, q) or significant_decline(x[half:], q[half:])


def information_criteria(
    fits: list[ModelFit], *, resolution_ah: float = 0.0
) -> tuple[dict[str, float], dict[str, float], float, float]:
    """BIC and AICc of every fit with the effective sample size; returns (bic, aicc, rho, n_eff).

    The Gaussian log-likelihood uses the plain mean squared residual, so the
    effective size only scales the evidence (n_eff ln(RSS/n)) and the penalties.
    One extra parameter is counted for the noise variance. Residuals below
    ``resolution_ah`` (RMS) count as that: on noise-free data the models would
    otherwise be ranked by floating-point round-off, not by their parameters.
    """
    m = fits[0].residuals.size
    best = min(fits, key=lambda f: f.rss)
    rho = lag1_autocorrelation(best.residuals)
    n_eff = effective_sample_size(m, rho)
    bic: dict[str, float] = {}
    aicc: dict[str, float] = {}
    for f in fits:
        k = f.model.n_params + 1
        mse = max(f.rss / m, resolution_ah**2, 1e-300)
        bic[f.model.name] = n_eff * math.log(mse) + k * math.log(n_eff)
        aicc[f.model.name] = (
            n_eff * math.log(mse) + 2 * k + 2 * k * (k + 1) / (n_eff - k - 1)
            if n_eff - k - 1 > 0
            else math.nan
        )
    return bic, aicc, rho, n_eff


def fit_all_models(
    cycle: np.ndarray, capacity: np.ndarray, *, scale: float | None = None
) -> list[ModelFit]:
    """Fit every model of :data:`MODELS` that the number of points allows."""
    x = np.asarray(cycle, dtype=float)
    q = np.asarray(capacity, dtype=float)
    if scale is None:
        scale = float(max(np.max(np.abs(x)), 1.0))
    noise = noise_level(q)
    fits = [fit_model(m, x, q, scale=scale, noise=noise) for m in MODELS.values()]
    return [f for f in fits if f is not None]


# ---------------------------------------------------------------------------
# Knee (Bacon-Watts)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class KneeResult(DiagnosticResult):
    """Knee point and knee onset of a capacity curve (None when there is none)."""

    knee_point_cycle: float | None
    knee_point_capacity_ah: float | None
    knee_onset_cycle: float | None
    knee_onset_capacity_ah: float | None
    fade_rate_before_ah_per_cycle: float | None
    fade_rate_after_ah_per_cycle: float | None
    bic_gain: float | None  # BIC(straight line) - BIC(Bacon-Watts)
    method: str = "Bacon-Watts / double Bacon-Watts (Fermin-Cueto et al. 2020)"
    reason: str | None = None


def _hinge_design(x: np.ndarray, knots: tuple[float, ...]) -> np.ndarray:
    """Columns 1, x - k0, |x - k0|, |x - k1|, ...: Bacon-Watts with g -> 0."""
    cols = [np.ones_like(x), x - knots[0]] + [np.abs(x - k) for k in knots]
    return np.column_stack(cols)


def _hinge_fit(x: np.ndarray, q: np.ndarray, knots: tuple[float, ...]):
    a = _hinge_design(x, knots)
    coef, *_ = np.linalg.lstsq(a, q, rcond=None)
    r = q - a @ coef
    return float(np.dot(r, r)), coef


def _segment_slopes(coef: np.ndarray) -> list[float]:
    """Slopes of the segments of a hinge fit, left to right."""
    a1, hinges = coef[1], coef[2:]
    slopes = []
    for j in range(len(hinges) + 1):
        # |x - k| contributes -1 left of its knot and +1 right of it
        slopes.append(a1 + sum(h if i < j else -h for i, h in enumerate(hinges)))
    return slopes


def _best_single_knot(
    x: np.ndarray, q: np.ndarray, lo: int, hi: int
) -> tuple[float, float, np.ndarray]:
    """Least-squares knot among x[lo:hi]: grid of <= 120 points, then every point nearby."""
    cand = np.unique(np.linspace(lo, hi - 1, min(120, hi - lo)).astype(int))
    rss = [_hinge_fit(x, q, (x[i],))[0] for i in cand]
    j = int(np.argmin(rss))
    a, b = cand[max(j - 1, 0)], cand[min(j + 1, cand.size - 1)]
    fine = np.arange(a, b + 1)
    rss_f = [_hinge_fit(x, q, (x[i],))[0] for i in fine]
    knot = float(x[fine[int(np.argmin(rss_f))]])
    r, coef = _hinge_fit(x, q, (knot,))
    return knot, r, coef


def _best_double_knot(
    x: np.ndarray, q: np.ndarray, edge: int
) -> tuple[tuple[float, float], np.ndarray] | None:
    """Least-squares pair of knots (k0 < k1), each with >= edge points outside and between."""
    n = x.size
    if n < 3 * edge + 2:
        return None
    cand = np.unique(np.linspace(edge, n - edge - 1, min(40, n - 2 * edge)).astype(int))
    best = None
    for a_i, i in enumerate(cand):
        for j in cand[a_i + 1 :]:
            if j - i < edge:
                continue
            r, _ = _hinge_fit(x, q, (x[i], x[j]))
            if best is None or r < best[0]:
                best = (r, i, j)
    if best is None:
        return None
    # refine one knot at a time over the neighbouring grid cells (coordinate
    # descent: a full 2-D scan of the cells costs (2*step)^2 fits)
    step = max(int(np.max(np.diff(cand))) if cand.size > 1 else 1, 1)
    for _ in range(2):
        _, i0, j0 = best
        for i in range(max(edge, i0 - step), min(j0 - edge, i0 + step) + 1):
            r, _ = _hinge_fit(x, q, (x[i], x[j0]))
            if r < best[0]:
                best = (r, i, j0)
        _, i0, j0 = best
        for j in range(max(i0 + edge, j0 - step), min(n - edge - 1, j0 + step) + 1):
            r, _ = _hinge_fit(x, q, (x[i0], x[j]))
            if r < best[0]:
                best = (r, i0, j)
    _, i, j = best
    knots = (float(x[i]), float(x[j]))
    return knots, _hinge_fit(x, q, knots)[1]


def _knee_edge(n: int) -> int:
    """Fewest points on either side of a transition (5, or 5 % of the curve)."""
    return max(5, int(math.ceil(KNEE_EDGE_FRACTION * n)))


@dataclass(frozen=True)
class HingeFit:
    """The least-squares single Bacon-Watts fit (two line segments) of a curve."""

    knot: float
    coef: np.ndarray
    slope_before: float
    slope_after: float
    bic_gain: float  # BIC(straight line) - BIC(two segments), with n_eff


def fit_hinge(x: np.ndarray, q: np.ndarray) -> HingeFit:
    """Best single-knot fit of ``q`` against ``x`` (>= 5 % of the points on each side)."""
    n = x.size
    edge = _knee_edge(n)
    knot, rss_bw, coef = _best_single_knot(x, q, edge, n - edge)
    before, after = _segment_slopes(coef)
    # straight line for the evidence test
    line = np.polyfit(x, q, 1)
    r_line = q - np.polyval(line, x)
    rss_line = float(np.dot(r_line, r_line))
    r_bw = q - _hinge_design(x, (knot,)) @ coef
    n_eff = effective_sample_size(n, lag1_autocorrelation(r_bw))
    # line: 2 coefficients + variance; Bacon-Watts: 3 coefficients + knot + variance
    gain = n_eff * math.log(max(rss_line, 1e-300) / max(rss_bw, 1e-300)) - 2 * math.log(n_eff)
    return HingeFit(knot, coef, float(before), float(after), gain)


def break_in_end(cycle: np.ndarray, capacity: np.ndarray) -> float | None:
    """The cycle where an initial fast fade (break-in) gives way to a slower one, or None.

    The mirror image of the knee point: the transition of the single Bacon-Watts
    fit, when the fade before it is at least ``KNEE_RATE_RATIO`` x the fade
    after it and the two segments beat a straight line by ``KNEE_MIN_BIC_GAIN``.
    """
    x = np.asarray(cycle, dtype=float)
    q = np.asarray(capacity, dtype=float)
    if x.size < KNEE_MIN_CYCLES:
        return None
    h = fit_hinge(x, q)
    fade_before, fade_after = -h.slope_before, -h.slope_after
    if fade_before > 0 and fade_before >= KNEE_RATE_RATIO * max(fade_after, 0.0):
        return h.knot if h.bic_gain >= KNEE_MIN_BIC_GAIN else None
    return None


def detect_knee(cycle: np.ndarray, capacity: np.ndarray) -> KneeResult:
    """Knee point (Bacon-Watts) and knee onset (double Bacon-Watts) of a capacity curve."""
    x = np.asarray(cycle, dtype=float)
    q = np.asarray(capacity, dtype=float)
    n = x.size

    def none(reason: str, **kw) -> KneeResult:
        base = dict.fromkeys(
            (
                "knee_point_cycle",
                "knee_point_capacity_ah",
                "knee_onset_cycle",
                "knee_onset_capacity_ah",
                "fade_rate_before_ah_per_cycle",
                "fade_rate_after_ah_per_cycle",
                "bic_gain",
            )
        )
        base.update(kw)
        return KneeResult(**base, reason=reason)

    if n < KNEE_MIN_CYCLES:
        return none(f"too few cycles for a knee ({n} < {KNEE_MIN_CYCLES})")
    edge = _knee_edge(n)
    h = fit_hinge(x, q)
    knot, coef, before, after, gain = h.knot, h.coef, h.slope_before, h.slope_after, h.bic_gain
    rates = {
        "fade_rate_before_ah_per_cycle": -before,
        "fade_rate_after_ah_per_cycle": -after,
        "bic_gain": gain,
    }
    if not (-after > 0 and -after >= KNEE_RATE_RATIO * max(-before, 0.0)):
        return none("fade does not accelerate (no knee)", **rates)
    if gain < KNEE_MIN_BIC_GAIN:
        return none(
            f"two-segment fit is not clearly better than a line (BIC gain {gain:.1f} < "
            f"{KNEE_MIN_BIC_GAIN:g})",
            **rates,
        )
    knee_q = float((_hinge_design(np.array([knot]), (knot,)) @ coef)[0])
    onset, onset_q, onset_reason = _knee_onset(x, q, knot, edge)
    return KneeResult(
        knee_point_cycle=knot,
        knee_point_capacity_ah=knee_q,
        knee_onset_cycle=onset,
        knee_onset_capacity_ah=onset_q,
        reason=onset_reason,
        **rates,
    )


def _knee_onset(
    x: np.ndarray, q: np.ndarray, knee: float, edge: int
) -> tuple[float | None, float | None, str | None]:
    """First transition of a double Bacon-Watts fit, where the fade starts to speed up."""
    start = 0
    for _ in range(2):  # at most one retry, after a break-in
        xs, qs = x[start:], q[start:]
        fit = _best_double_knot(xs, qs, edge)
        if fit is None:
            return None, None, "too few cycles for a knee onset"
        (k0, _k1), coef = fit
        s0, s1, _s2 = _segment_slopes(coef)
        if s1 < s0 and k0 < knee:
            val = float((_hinge_design(np.array([k0]), fit[0]) @ coef)[0])
            return k0, val, None
        if s1 >= s0:
            # the first transition is a slow-down (end of a break-in): look after it
            start = int(np.searchsorted(x, k0))
            continue
        break
    return None, None, "no transition before the knee point where the fade speeds up"


# ---------------------------------------------------------------------------
# End of life (one threshold and one "reached" rule for fade and cycle life)
# ---------------------------------------------------------------------------
#: Rolling median for the observed EOL: at least 5 cycles, 2 % of the record.
SMOOTH_MIN_WINDOW = 5
SMOOTH_FRACTION = 0.02


@dataclass(frozen=True)
class EndOfLife:
    """The end-of-life line of a capacity series and whether it was crossed."""

    reference_capacity_ah: float | None
    reference_source: str | None  # "nominal" | "initial_cycles"
    eol_fraction: float
    threshold_ah: float | None
    reached_cycle: float | None  # see :func:`observed_eol_cycle`


def end_of_life(
    cycle: np.ndarray,
    capacity: np.ndarray,
    eol_fraction: float,
    reference_capacity_ah: float | None = None,
) -> EndOfLife:
    """End of life at ``eol_fraction`` x the reference: ``reference_capacity_ah`` (the
    nominal capacity) when given, else the mean of the first EDGE_CYCLES valid cycles
    of the cleaned series (``cycle``, ``capacity``), and the cycle it was reached."""
    if not 0.0 < eol_fraction < 1.0:
        raise ValueError(f"eol_fraction must be between 0 and 1, got {eol_fraction}")
    if reference_capacity_ah is not None and not reference_capacity_ah > 0:
        raise ValueError(f"reference capacity must be positive, got {reference_capacity_ah}")
    q = np.asarray(capacity, dtype=float)
    if reference_capacity_ah is not None:
        reference, source = float(reference_capacity_ah), "nominal"
    elif q.size:
        reference, source = float(np.mean(q[:EDGE_CYCLES])), "initial_cycles"
    else:
        return EndOfLife(None, None, eol_fraction, None, None)
    threshold = eol_fraction * reference
    return EndOfLife(
        reference, source, eol_fraction, threshold, observed_eol_cycle(cycle, q, threshold)
    )


def smoothing_window(n: int) -> int:
    """Odd rolling-median window for the observed EOL of an n-cycle record."""
    return max(SMOOTH_MIN_WINDOW, int(SMOOTH_FRACTION * n) | 1)


def rolling_median(x: np.ndarray, q: np.ndarray, window: int) -> np.ndarray:
    """Centred rolling median of ``q`` over ``window`` cycles, around the typical slope.

    The median is taken of the capacity less a line of the median cycle-to-cycle
    step, which is then added back (as the Hampel filter does). At the ends the
    windows are one-sided and shrink: of the capacity itself their median lags a
    falling capacity by up to half a window (the last value is the median of the
    last half-window), which bends both ends of a straight fade flat - a perfect
    linear fade then looked like a square root at its end and was forecast 4 %
    late (107 for 103). Around the slope a straight fade stays straight.
    """
    q = np.asarray(q, dtype=float)
    x = np.asarray(x, dtype=float)
    if q.size < 3:
        return q.copy()
    slope = _median_slope(x, q)
    return _rolling_median(q - slope * x, window) + slope * x


def rolling_mean(x: np.ndarray, q: np.ndarray, window: int) -> np.ndarray:
    """Centred rolling mean of ``q`` over ``window`` cycles, around the typical slope.

    The linear twin of :func:`rolling_median` (same slope removal, same
    shrinking windows at the ends, so a straight fade stays exactly straight).
    A mean is a linear filter: it passes the trend of any shape it smooths
    without bias from the shape of the scatter around it, where a median
    follows the bulk of the points and so sits below a sawtooth of recoveries
    and keeps the steps of a capacity that moves in plateaus (it is the
    edge-preserving filter). Single-cycle outliers must be removed first (the
    Hampel filter of :func:`clean_capacity_series`): a mean spreads them.
    """
    import pandas as pd

    q = np.asarray(q, dtype=float)
    x = np.asarray(x, dtype=float)
    if q.size < 3:
        return q.copy()
    slope = _median_slope(x, q)
    z = pd.Series(q - slope * x).rolling(window, center=True, min_periods=1).mean()
    return z.to_numpy(copy=True) + slope * x


def _median_slope(x: np.ndarray, q: np.ndarray) -> float:
    """Median cycle-to-cycle slope (Ah per cycle) over increasing cycle steps."""
    dx = np.diff(x)
    ok = dx > 0
    return float(np.median(np.diff(q)[ok] / dx[ok])) if ok.any() else 0.0


def smoothed_capacity(x: np.ndarray, q: np.ndarray, window: int) -> np.ndarray:
    """The capacity the end of life is judged on: its centred rolling median, the last
    half-window a Theil-Sen line through the last window (see :func:`observed_eol_cycle`)."""
    q = np.asarray(q, dtype=float)
    x = np.asarray(x, dtype=float)
    smooth = _rolling_median(q, window)
    half = window // 2
    if q.size >= window and half:
        # the last cycles' windows are one-sided: on a falling series their median
        # lags by up to half a window (a cell measured below the line two cycles in
        # a row read as above it); there a robust line through the last window
        smooth[-half:] = _theil_sen_line(x[-window:], q[-window:], x[-half:])
    return smooth


def observed_eol_cycle(
    cycle: np.ndarray, capacity: np.ndarray, threshold_ah: float
) -> float | None:
    """The cycle end of life was reached, or None if it has not been.

    Whether: the smoothed capacity (:func:`smoothed_capacity`, the window of
    :func:`smoothing_window`) is below ``threshold_ah`` somewhere, so that one low
    cycle is no end of life. When: the cycle the *measured* capacity went below the
    line for the run of low cycles at that crossing - the latest cycle measured below
    it at or up to half a window before the smoothed crossing (else the first one up
    to half a window after it), and back from there while the cycles before are below
    too. A smoothed date is not one the user can check: NASA B0005 at 0.7 of its first
    cycles is measured below the 1.289 Ah line at cycles 165 and 166 and back above it
    at 167 (a regeneration), where the smoothed curve crosses; the date is 165.
    ``cycle`` must be sorted.
    """
    q = np.asarray(capacity, dtype=float)
    if q.size == 0:
        return None
    x = np.asarray(cycle, dtype=float)
    window = smoothing_window(q.size)
    crossed = np.flatnonzero(smoothed_capacity(x, q, window) < threshold_ah)
    if not crossed.size:
        return None
    k, half = int(crossed[0]), window // 2
    below = q < threshold_ah
    before = np.flatnonzero(below[max(k - half, 0) : k + 1])
    after = np.flatnonzero(below[k + 1 : k + 1 + half])
    if before.size:
        j = max(k - half, 0) + int(before[-1])
    elif after.size:
        j = k + 1 + int(after[0])
    else:
        return None  # the smoothed line crosses, no measurement yet does
    while j > 0 and below[j - 1]:
        j -= 1
    return float(x[j])


def _theil_sen_line(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The Theil-Sen line of (x, y) at ``at``: the median pairwise slope and the median
    intercept, so that one spike or regeneration peak in the window does not tilt it."""
    i, j = np.triu_indices(x.size, 1)
    apart = x[j] != x[i]
    i, j = i[apart], j[apart]
    slope = float(np.median((y[j] - y[i]) / (x[j] - x[i]))) if i.size else 0.0
    return float(np.median(y - slope * x)) + slope * at


# ---------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class FadeFit(DiagnosticResult):
    """One fitted fade model, parameters in cycle units (Q in Ah, n in cycles)."""

    model: str
    formula: str
    parameters: dict[str, float]
    rmse_ah: float
    bic: float
    aicc: float | None
    delta_bic: float
    bic_weight: float

    def predict(self, cycle) -> np.ndarray:
        """Capacity (Ah) the model gives at ``cycle`` (scalar or array)."""
        p = [self.parameters[name] for name in MODELS[self.model].params]
        with np.errstate(all="ignore"):
            return MODELS[self.model].func(np.asarray(cycle, dtype=float), *p)


@dataclass(frozen=True)
class CapacityFadeResult(DiagnosticResult):
    # "ok" | "no_fade" (no model: see ``reason``) | "insufficient_data"; as JSON also
    # "not_applicable" (a log with no full cycles: :mod:`~app.diagnostics.full_cycles`)
    status: str
    cycles_used: int
    first_cycle: float | None
    last_cycle: float | None
    initial_capacity_ah: float | None  # mean of the first EDGE_CYCLES valid cycles
    final_capacity_ah: float | None  # mean of the last EDGE_CYCLES valid cycles
    capacity_retention: float | None  # final / initial
    nominal_capacity_ah: float | None  # the spec's (pack) capacity, when a spec is given
    retention_vs_nominal: float | None
    selected_model: str | None
    selection_criterion: str
    fitted_final_capacity_ah: float | None
    fade_rate_ah_per_cycle: float | None  # -dQ/dn of the selected model at the last cycle
    fade_rate_pct_per_100_cycles: float | None  # same, % of the initial capacity
    mean_fade_rate_pct_per_100_cycles: float | None  # (initial - final) over the record
    residual_autocorrelation: float | None
    effective_cycles: float | None
    models: list[FadeFit] = field(default_factory=list)
    knee: KneeResult | None = None
    outlier_cycles: list[float] = field(default_factory=list)
    rows_invalid: int = 0
    duplicates_merged: int = 0
    severity: Severity = Severity.INFO
    reason: str | None = None
    #: the end-of-life line the severity is judged by, as cycle life's:
    #: ``eol_fraction`` x ``eol_reference_capacity_ah`` (``eol_reference_source``
    #: "nominal", the capacity given, or "initial_cycles"), and the cycle the
    #: measured capacity fell below it (None: not reached)
    eol_fraction: float = DEFAULT_EOL_FRACTION
    eol_capacity_ah: float | None = None
    eol_reference_capacity_ah: float | None = None
    eol_reference_source: str | None = None
    eol_reached_cycle: float | None = None


def analyze_capacity_fade(
    cycles: pd.DataFrame,
    spec: BatterySpec | None = None,
    *,
    nominal_capacity_ah: float | None = None,
    eol_fraction: float = DEFAULT_EOL_FRACTION,
    reference_capacity_ah: float | None = None,
) -> CapacityFadeResult:
    """Fit the fade models to a per-cycle table and report fade rate, retention and knee.

    ``cycles`` needs ``cycle_index`` and ``discharge_capacity_ah``; NaNs,
    unsorted and duplicated cycles are handled (see :func:`clean_capacity_series`).
    ``spec`` only supplies the nominal capacity for ``retention_vs_nominal``;
    without one, ``nominal_capacity_ah`` (the user's ``--capacity-ah``) does.
    ``eol_fraction`` and ``reference_capacity_ah`` set the end of life the severity
    is judged by, as in :func:`~app.diagnostics.cycle_life.estimate_cycle_life`
    (None: the first cycles' capacity): pass both the same values.
    """
    series = clean_capacity_series(cycles)
    nominal = spec.pack_capacity_ah if spec is not None else nominal_capacity_ah
    x, q = series.cycle, series.capacity_ah
    eol = end_of_life(x, q, eol_fraction, reference_capacity_ah)
    common = {
        "selection_criterion": "bic",
        "outlier_cycles": [float(c) for c in series.outliers],
        "rows_invalid": series.rows_invalid,
        "duplicates_merged": series.duplicates_merged,
        "nominal_capacity_ah": nominal,
        "eol_fraction": eol_fraction,
        "eol_capacity_ah": eol.threshold_ah,
        "eol_reference_capacity_ah": eol.reference_capacity_ah,
        "eol_reference_source": eol.reference_source,
        "eol_reached_cycle": eol.reached_cycle,
    }
    if series.n == 0:
        return CapacityFadeResult(
            status="insufficient_data",
            cycles_used=0,
            **dict.fromkeys(_EMPTY_FIELDS),
            reason="no cycle with a valid discharge capacity",
            **common,
        )
    head = min(EDGE_CYCLES, series.n)
    initial = float(np.mean(q[:head]))
    final = float(np.mean(q[-head:]))
    span = float(x[-1] - x[0])
    basics = {
        "cycles_used": series.n,
        "first_cycle": float(x[0]),
        "last_cycle": float(x[-1]),
        "initial_capacity_ah": initial,
        "final_capacity_ah": final,
        "capacity_retention": final / initial,
        "retention_vs_nominal": final / nominal if nominal else None,
        "mean_fade_rate_pct_per_100_cycles": (
            (initial - final) / initial * 100.0 / span * 100.0 if span > 0 else None
        ),
    }

    def without_model(status: str, reason: str, knee: KneeResult | None) -> CapacityFadeResult:
        return CapacityFadeResult(
            status=status,
            selected_model=None,
            fitted_final_capacity_ah=None,
            fade_rate_ah_per_cycle=None,
            fade_rate_pct_per_100_cycles=None,
            residual_autocorrelation=None,
            effective_cycles=None,
            knee=knee,
            severity=_severity(eol, final, None),
            reason=reason,
            **basics,
            **common,
        )

    if series.n >= MIN_CYCLES and not measurable_fade(x, q):
        # a model of a fade that is not there would read as a mechanism and a rate
        return without_model(
            "no_fade",
            f"no measurable capacity fade over {series.n} cycles: the capacity's "
            "slope, over the whole record and over its recent half, is within 2 "
            "standard errors of zero (or below the capacity resolution)",
            knee=None,
        )
    fits = fit_all_models(x, q) if series.n >= MIN_CYCLES else []
    if not fits:
        return without_model(
            "insufficient_data",
            f"too few valid cycles to fit a fade model ({series.n} < {MIN_CYCLES})"
            if series.n < MIN_CYCLES
            else "no fade model could be fitted",
            knee=detect_knee(x, q),
        )
    bic, aicc, rho, n_eff = information_criteria(fits, resolution_ah=resolution_ah(q))
    best_bic = min(bic.values())
    weights = {k: math.exp(-(v - best_bic) / 2.0) for k, v in bic.items()}
    total = sum(weights.values())
    models = [
        FadeFit(
            model=f.model.name,
            formula=f.model.formula,
            parameters={p: float(v) for p, v in zip(f.model.params, f.params, strict=True)},
            rmse_ah=math.sqrt(f.rss / f.residuals.size),
            bic=bic[f.model.name],
            aicc=None if math.isnan(aicc[f.model.name]) else aicc[f.model.name],
            delta_bic=bic[f.model.name] - best_bic,
            bic_weight=weights[f.model.name] / total,
        )
        for f in fits
    ]
    chosen = min(fits, key=lambda f: bic[f.model.name])
    last = float(x[-1])
    rate = -chosen.model.derivative(last, chosen.params)
    knee = detect_knee(x, q)
    return CapacityFadeResult(
        status="ok",
        selected_model=chosen.model.name,
        fitted_final_capacity_ah=float(chosen.predict(last)),
        fade_rate_ah_per_cycle=rate,
        fade_rate_pct_per_100_cycles=rate / initial * 100.0 * 100.0,
        residual_autocorrelation=rho,
        effective_cycles=n_eff,
        models=models,
        knee=knee,
        severity=_severity(eol, final, knee),
        **basics,
        **common,
    )


_EMPTY_FIELDS = (
    "first_cycle",
    "last_cycle",
    "initial_capacity_ah",
    "final_capacity_ah",
    "capacity_retention",
    "retention_vs_nominal",
    "selected_model",
    "fitted_final_capacity_ah",
    "fade_rate_ah_per_cycle",
    "fade_rate_pct_per_100_cycles",
    "mean_fade_rate_pct_per_100_cycles",
    "residual_autocorrelation",
    "effective_cycles",
)


def retention_basis(fade: dict) -> str:
    """What ``capacity_retention`` of a fade result (its ``to_dict()``) compares, in
    words: 'mean of the last 5 cycles over the first 5', and against the nominal
    capacity where there is one ('0.773 of 0.35 Ah nominal'). The mean of a few
    cycles at each end is steadier than one cycle, but it is not the last cycle: the
    Neware cell's 0.841 beside 'end of life at cycle 16' was its last five cycles
    (0.270 Ah) over its first five; its last cycle over its first is 0.794."""
    head = min(EDGE_CYCLES, int(fade.get("cycles_used") or EDGE_CYCLES))
    text = f"mean of the last {head} cycles over the first {head}" if head > 1 else "the one cycle"
    vs, nominal = fade.get("retention_vs_nominal"), fade.get("nominal_capacity_ah")
    if vs is not None and nominal:
        text += f"; {vs:.3f} of {nominal:.4g} Ah nominal"
    return text


def fade_severity_note(fade: dict) -> str | None:
    """Why a fade result (its ``to_dict()``) has its severity, in words: 'end of life at
    cycle 125: below 0.7 x 2 Ah', 'below 0.9 x 1.84 Ah', 'knee at cycle 380', or None.
    (The command line's summary, the report and the window's card say the same.)"""
    fraction = fade.get("eol_fraction") or DEFAULT_EOL_FRACTION
    reference = fade.get("eol_reference_capacity_ah")
    reached = fade.get("eol_reached_cycle")
    of = f" x {reference:.4g} Ah" if reference else ""
    if reached is not None:
        return f"end of life at cycle {reached:.0f}: below {fraction:g}{of}"
    final = fade.get("final_capacity_ah")
    warn = warning_fraction(fraction)
    if reference and final is not None and final < warn * reference:
        return f"below {warn:g}{of}"
    knee = (fade.get("knee") or {}).get("knee_point_cycle")
    return f"knee at cycle {knee:.0f}" if knee is not None else None


def _severity(eol: EndOfLife, final_ah: float, knee: KneeResult | None) -> Severity:
    if eol.reached_cycle is not None:
        return Severity.CRITICAL
    reference = eol.reference_capacity_ah or final_ah
    if final_ah < warning_fraction(eol.eol_fraction) * reference or (
        knee is not None and knee.knee_point_cycle is not None
    ):
        return Severity.WARNING
    return Severity.INFO


# ---------------------------------------------------------------------------
# Live twin
# ---------------------------------------------------------------------------
class CycleTable:
    """Per-cycle capacities collected one cycle at a time (the live twins' input)."""

    def __init__(self) -> None:
        self._index: list[float] = []
        self._capacity: list[float] = []

    def add(self, index: float, capacity_ah: float | None) -> None:
        """Append one cycle (a missing capacity is kept as NaN and ignored later)."""
        self._index.append(float(index))
        self._capacity.append(float(capacity_ah) if capacity_ah is not None else math.nan)

    def __len__(self) -> int:
        return len(self._index)

    def frame(self) -> pd.DataFrame:
        """The cycles as a per-cycle table (``cycle_index``, ``discharge_capacity_ah``)."""
        import pandas as pd

        return pd.DataFrame({CYCLE_COLUMN: self._index, CAPACITY_COLUMN: self._capacity})


class CapacityFadeTracker:
    """Incremental twin of :func:`analyze_capacity_fade`.

    Each completed cycle is added with :meth:`add_cycle`; the result is that of
    the offline function on the same cycles (it re-runs it: the fit over even
    1000 cycles takes well under a second, and a cycle lasts hours).
    """

    def __init__(
        self,
        spec: BatterySpec | None = None,
        *,
        eol_fraction: float = DEFAULT_EOL_FRACTION,
        reference_capacity_ah: float | None = None,
    ) -> None:
        self.spec = spec
        self.eol_fraction = eol_fraction
        self.reference_capacity_ah = reference_capacity_ah
        self.table = CycleTable()
        self._result: CapacityFadeResult | None = None

    def add_cycle(self, index: float, capacity_ah: float) -> CapacityFadeResult:
        """Add one cycle's discharge capacity and return the updated result."""
        self.table.add(index, capacity_ah)
        self._result = None
        return self.result

    def extend(
        self, indices: Iterable[float], capacities_ah: Iterable[float]
    ) -> CapacityFadeResult:
        """Add many cycles at once (e.g. a resumed session's history); one analysis."""
        for index, capacity in zip(indices, capacities_ah, strict=True):
            self.table.add(index, capacity)
        self._result = None
        return self.result

    @property
    def result(self) -> CapacityFadeResult:
        """The analysis of the cycles added so far."""
        if self._result is None:
            self._result = analyze_capacity_fade(
                self.table.frame(),
                self.spec,
                eol_fraction=self.eol_fraction,
                reference_capacity_ah=self.reference_capacity_ah,
            )
        return self._result
