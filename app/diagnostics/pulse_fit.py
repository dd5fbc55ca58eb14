"""Fit of a 2-RC equivalent circuit to the voltage response around one current pulse.

Model (current positive = charging; ``x_tau`` the state of a unit RC pair of time
constant ``tau`` driven by the *measured* current, zero-order hold as in the
simulator and in cyclers' piecewise-constant steps)::

    V(t) = a + d*(t - t_s) + R0*I(t) + R1*x_tau1(t) + R2*x_tau2(t) + kappa*Q(t)

    x(t_b + h) = I_b + (x(t_b) - I_b) * exp(-h/tau)   while the current is I_b,
    Q(t) = charge since the step at t_s

``a`` is the OCV at the step, ``kappa`` the OCV slope against charge over the
window (dOCV/dQ), ``d`` a linear drift for relaxation older than the modelled
current history. Driving the RC states with the measured current over a history
window means an earlier pulse's relaxation is part of the model, not a bias.

**Segments.** The window is cut into segments of (nearly) constant current: a
segment boundary at every step and at every change of the current by more than
``flat_tol``; within a run of constant current the segments grow geometrically
away from the step (single samples next to it, where the fast dynamics are).
The RC states are propagated exactly from segment to segment, and each segment's
*mean* model value is exact for a constant current on evenly spaced samples (a
geometric series), so the segment means of the voltage are fitted without
approximation -- at a cost set by the number of segments (a few hundred), not by
the sampling rate. A window of at most ``max_points`` samples is not compressed.

**Fit.** The model is linear in (a, d, R0, R1, R2, kappa) once (tau1, tau2) are
fixed (variable projection, Golub & Pereyra, SIAM J. Numer. Anal. 10 (1973)
413). A geometric grid over (tau1, tau2) with tau2 >= 2*tau1, tau bounds from
half the sample period to 5x the window, is solved in closed form for all pairs
at once (2x2 normal equations after projecting out the four tau-free columns);
the best pair with R1, R2 >= 0 is refined by a zoomed grid (a quarter of the
step) and the vertex of a parabola through the best point and its neighbours
along each time constant. That is a bounded, global nonlinear least-squares
fit at about a millisecond a pulse.
``polish=True`` adds a local ``scipy.optimize.least_squares`` (bounded
trust-region) on the two time constants, linear parameters re-solved at each
step -- a cross-check; it moves the values by far less than their noise.

**Split test.** A cell is not a linear circuit: the regen pulse 40 s after a
discharge pulse answers with other amplitudes than the discharge pulse did
(PyBaMM's LFP cell: a 0.375C charge pulse's R10 is ~4 % above the 0.5C
discharge pulse's; kinetics and OCV curvature depend on the current). Two nested
models give the step a response of its own (same time constants; the current
before the step keeps the first set):

- *scaled*: the step's response is the shared one times its own factor (one
  more parameter, linear once the shape is taken from the shared fit). Kept
  where its F statistic exceeds 1 -- where the parameter lowers the expected
  squared error rather than adding noise (the adjusted-R^2 rule). At 1 Hz the
  10 samples of a regen pulse cannot show a 4 % difference to the 3-parameter
  test below (F > 4 on 3 degrees of freedom), and the shared amplitudes read
  its R10 2-4 % low; the one factor removes that bias at a small cost in noise;
- *split*: the step's own R0, R1, R2 (three more than the shared model), kept
  when it lowers the residual (of the shared or scaled model) by more than
  chance allows (F test on the extra parameters, F > 4 -- p ~ 1 %; and at least
  1 uV rms).

A linear window keeps the shared model and its lower noise. A step from one held
level (from rest; the current before it in the window within the pulse
detector's hold tolerance, 5 % of the step) is not tested: the held current's response is a constant there, which the
offset takes, so only the current sensor's noise could tell the step's own
response from the shared one (at 1 Hz the scaled model took a chance factor for
about one such pulse in three).

The scaled step's factor is *shrunk* towards the shared response: its departure
from it times ``1 - 1/F`` (F its F statistic), the other coefficients re-solved with
it held (least squares is affine in a held coefficient: a point between the shared
and the scaled solution). With ``d`` the read-out's change between the two models
and ``s`` its standard error, ``w * d`` has the least estimated squared error at
``w = 1 - s^2/d^2`` (the squared bias estimated without bias as ``d^2 - s^2``,
against the added variance ``s^2``), and ``d/s`` is the factor's t statistic,
``F = (d/s)^2``; the positive part of that weight is the F > 1 rule above. Taken
whole, a factor that passed F > 1 by chance (a third of a linear cell's regen
pulses at 1 Hz) moved R10 by its whole noise: the simulator's LFP 1 Hz charge
pulses, seeds 1-9, read 4.10 % rms, 14 of 90 outside +-5 %; shrunk, 3.56 %, 11.
The cost: a real cell's regen pulse keeps part of its own difference (PyBaMM
``half10`` at 1 Hz, 12 seeds: its regen pulses read up to 0.9 % lower on average,
R10 rms 1.13 -> 1.22 % on Chen2020, 1.95 -> 2.01 % on Prada2013, with 0 -> 0
and 9 -> 7 pulses outside +-5 %).

**Pooled split test.** Those tests judge each pulse on its own window, and on a
linear cell at 1 Hz they pass by chance often enough to cost: the simulator's LFP
1 Hz HPPC, seeds 30-35, misses +-5 % on 23 pulses with them and 13 without (the
noise limit of a read-out knowing the true time constants: ~12). A cell's
nonlinearity is the cell's, not one pulse's: where the earlier pulses of the same
step sign in the log (the caller's pool, at least 3) show no response of their
own -- their factors' inverse-variance mean within 2 of its standard errors of 0
-- a pulse gets its factor or its own R0, R1, R2 only on 3-sigma evidence of its
own (``pooled_linear``: F > 9 for both; an NMC pulse into the OCV knee near
empty still gets its factor, 0.088 +- 0.017). PyBaMM's cells, whose regen
pulses do answer unlike the discharge pulses, keep the tests as they are
(``bench_dcir_layouts.py`` unchanged). The factor as fitted and its variance
(``PulseModel.step_factor``) are what the pool keeps.

**Lean model** (a slow log). At 1 Hz a 10 s pulse has 10 samples, and with 2 mV
of noise on an LFP cell's ~20-25 mV step the read-out's scatter is 2.5-6 % of
the step even with the true time constants known (``bench_dcir_misses.py``):
every free column costs. A step from one held level (no other current in the
window before it) with fewer than ``_LEAN_MAX_SAMPLES`` samples in its first
10 s leaves out the drift, the OCV slope or both where the F statistic of what
they add is at most ``_LEAN_F`` (the first of both, the slope, the drift that
passes). Not after other currents in the window: there a real cell's step
answers unlike them, the two columns take up part of that, and PyBaMM's regen
pulses read further off without them. Faster logs keep all columns (at 10 Hz
the bias of a column left out below the test's reach outweighs its noise).

**OCV slope.** The OCV rises with the charge in every cell, and on a linear cell a
fitted ``kappa < 0`` is the noise's: with the slow pair's time constant far beyond
the window (up to its bound, 5 windows) ``R2 * x_tau2`` grows almost as
``R2 / tau2 * Q``, a negative slope cancels that, and what is left -- a bend in the
drift after each pulse -- follows the noise. The simulator's LFP HPPC at 1 Hz
(seeds 4111-4140, 300 regen pulses): 141 fits read R2 up to ~3 Ohm on a 10 mOhm
cell against a slope down to -14 V/Ah, and their R10 -2.8 % on average, rms 4.9 %,
34 outside +-5 % (the others +0.0 %, 3.0 %, 14); the scaled step's factor taken on
that shape reached -0.105 +- 0.025 on a linear cell (R10 -22.6 %). So a fit whose
slope comes out negative is done again with the slope held at its bound, 0 (for
fixed time constants the least-squares optimum under ``kappa >= 0``; the time
constants searched again), unless the window shows the negative slope on 5-sigma
evidence of its own, F = (RSS_held - RSS) / (RSS / dof) > ``_NEGATIVE_SLOPE_F``
(25). A real cell's window can: the slope column also lumps what the two pairs
do not follow -- PyBaMM's solid diffusion (F up to ~1e4 on its noise-free HPPC
windows), self-heating under a high current (the Arbin A123 cell's step from 6C
to 1C charge, ``/work/shared/data/real``: F = 73, the fit's RMS 0.38 mV with the
slope, 0.74 without; its results are unchanged). The bar is not the split tests'
(F > 4, or 9 pooled): re-searching the time constants gives the free fit more
than one parameter's freedom, and of the simulator's fits with a negative slope
(LFP and NMC at 1 Hz, seeds 4121-4140) 14 of 341 reach F > 9, 5 F > 25 (at most
40; none of them a 10 s pulse's on seeds 4111-4140); with F > 9 the -22.6 % pulse
kept its slope, with F > 4 four regen pulses did (R10 -17 % on average). Held unconditionally the
simulator's R10 were the same as with F > 25, PyBaMM's ``bench_dcir_layouts.py``
(seeds 4101-4110) 4575 against 4576 of 4580 within +-5 %, but the Arbin cell's R10
read 0.6 % higher on a fit twice as far from its data. Figures: ``bench_dcir.py``
(2026-12-07). The cost: one more fit where a slope comes out negative -- of the fits
of ``bench_suite.py``'s 1e6-sample logs cycle 16 more on 140, drive 14 on 131, hppc 11
on 38, pack 10 on 131, steps 69 on 131; ``valgrind --tool=callgrind`` of a process
building the log and running ``run_suite`` on it: pack 33.622 -> 33.685 G instructions
(+0.2 %), steps 18.106 -> 18.723 G (+3.4 %).

**Uncertainty.** The fit keeps the covariance of the coefficients it solved and of
ln tau1, ln tau2 (the weighted Jacobian at the solution, the residual variance
from the fit); :meth:`PulseModel.std_of` gives the one-sigma of any combination
of model voltages (a read-out's change) by the delta method. A scaled step is
rated in its scaled layout, before the factor's shrinking.

What a window can identify: a 10 s pulse with 40 s of relaxation pins R0 and the
~10 s pair; a 200 s pair then shows only as a slope and is lumped into the
second pair and the OCV slope. ``resolved`` fits (see
:mod:`~app.diagnostics.internal_resistance`) are the ones that show both.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field

import numpy as np

from app.diagnostics.pulse_detection import PulseSettings, median

#: tau grid: geometric, this ratio between neighbours, then one zoom (a quarter
#: of the step) and a parabolic refinement around the best pair
_TAU_GRID_RATIO = 1.5
#: tau2 at least this multiple of tau1 (keeps the two pairs distinct)
_MIN_TAU_RATIO = 2.0
#: F statistic above which the step gets its own R0/R1/R2 (3 more parameters;
#: F > 4 happens by chance in ~1 % of linear windows, and a needless split only
#: costs a little noise, while a missed one leaves a bias)
_SPLIT_F = 4.0
_SPLIT_FLOOR_V = 1e-6
#: F statistic above which the step's response gets its own factor (1 more
#: parameter; F > 1: it lowers the expected squared error, see "Split test")
_SCALE_F = 1.0
#: both tests' bar where the earlier pulses of the step's sign showed no response of
#: their own (``pooled_linear``, see "Pooled split test"): F > 9, a pulse's own
#: 3-sigma evidence (an NMC pulse into the OCV knee near empty: factor 0.088 +- 0.017)
_POOLED_F = 9.0
#: Lean model: a step with fewer than this many samples in its first
#: ``_LEAN_WITHIN_S`` (a log slower than ~2.5 Hz) leaves out the drift and/or the OCV
#: slope where the F statistic of what they add is at most ``_LEAN_F``
_LEAN_MAX_SAMPLES = 25
_LEAN_WITHIN_S = 10.0
_LEAN_F = 4.0
#: "one held level" before the step: within this fraction of the step (or flat_tol)
_LEAN_HELD = 0.25
#: a current held within this fraction of the step (the pulse detector's hold
#: tolerance) gives the step no response of its own to test (see "Split test")
_HELD_RELATIVE = PulseSettings.hold_relative
#: the scale is not identifiable where its column is this close (relative) to the
#: span of the shared columns (no current before the step in the window)
_SCALE_COLLINEAR = 1e-6
#: a negative OCV slope is kept only where holding it at 0 costs more than this F
#: statistic: 5-sigma evidence (see "OCV slope")
_NEGATIVE_SLOPE_F = 25.0
#: the largest time constant tried, as a multiple of the fitted window
_TAU_MAX_WINDOWS = 5.0
#: relative step of the time constants in the parameter uncertainties' differences
_STD_EPS = 1e-4
#: _mean_decay: beyond this many time constants a sample step forgets the state
_MAX_STEP_RATE = 50.0


@dataclass
class Segments:
    """Runs of samples treated as one constant-current step each."""

    start: np.ndarray  # first sample index of each segment
    count: np.ndarray  # samples in each segment
    t0: np.ndarray  # start time
    dur: np.ndarray  # duration (to the next segment's start; the last: one sample step)
    cur: np.ndarray  # mean current
    tmean: np.ndarray  # mean sample time
    dt: np.ndarray  # even sample step inside the segment, NaN if uneven (0 for one sample)
    q0: np.ndarray  # charge at the segment start, A*s, relative to the step
    #: the RC states start settled at the first current (else at rest)
    start_settled: bool = True

    @property
    def n(self) -> int:
        return len(self.start)

    @functools.cached_property
    def distinct_steps(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The distinct durations of all segments but the last and each one's index
        among them (:func:`rc_states`), or None where few repeat: a compressed
        window's runs share their lengths, so of ~250 segments ~50 durations differ."""
        return _distinct(self.dur[:-1])

    @functools.cached_property
    def distinct_decays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(the distinct (even sample step, sample count) pairs of the segments of more
        than one sample -- the step 0 where uneven, as :func:`_mean_decay` takes it --,
        then each segment's row among them, the one-sample segments' row after them),
        or None where few repeat."""
        multi = self.count > 1
        dt0 = np.where(np.isfinite(self.dt), self.dt, 0.0)[multi]
        m = self.count[multi].astype(float)
        found = _distinct(dt0 + 1j * m)
        if found is None:
            return None
        pairs, inv = found
        rows = np.full(self.n, len(pairs))
        rows[multi] = inv
        return pairs.real.copy(), pairs.imag.copy(), rows


#: :func:`_distinct` shortcuts only where at most this fraction of the values differ
_DISTINCT_SHARE = 0.5


def column_stack(parts: list[np.ndarray]) -> np.ndarray:
    """``np.column_stack(parts)`` of float64 columns and (rows, k) blocks: the same
    C-ordered float64 array, written part by part into one array made for it, without
    np.column_stack's per-call cost (its atleast_2d copies and concatenate: ~1600
    calls on a 1e6-sample log, most of 4-18 columns of ~250 rows)."""
    width = sum(1 if p.ndim == 1 else p.shape[1] for p in parts)
    out = np.empty((len(parts[0]), width))
    j = 0
    for p in parts:
        if p.ndim == 1:
            out[:, j] = p
            j += 1
        else:
            out[:, j : j + p.shape[1]] = p
            j += p.shape[1]
    return out


def _distinct(x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``np.unique(x, return_inverse=True)`` where at most :data:`_DISTINCT_SHARE` of
    the values differ (an element-wise function of the distinct values, gathered
    back, gives each element its own value: the same bits, fewer evaluations), else
    None. ``x``: finite (real or complex)."""
    if len(x) < 16:
        return None
    uniq, inv = np.unique(x, return_inverse=True)
    if len(uniq) > _DISTINCT_SHARE * len(x):
        return None
    return uniq, inv


def nan_mean(x: np.ndarray) -> np.ndarray | float:
    """``np.nanmean(x, axis=0)``, its bits, without its per-call cost where ``x`` has
    no NaN (the mean of a fit's squared residuals: a dropped reading is rare)."""
    if np.isnan(x).any():
        return np.nanmean(x, axis=0)
    return x.sum(axis=0) / len(x)


@functools.lru_cache(maxsize=4096)
def _run_offsets(length: int, per: int, dense_end: bool) -> np.ndarray:
    """Segment starts within a run of ``length`` samples: ``per`` geometric steps from
    its start (from its end when ``dense_end``: the level before the step). Cached:
    the windows of a stepping log repeat the same run lengths."""
    offs = np.unique(np.round(np.geomspace(1, length + 1, per)).astype(np.int64) - 1)
    offs = offs[offs < length]
    if dense_end:
        ends = length - offs
        offs = np.concatenate(([0], ends[ends < length]))
    offs.flags.writeable = False
    return offs


def _segment_starts(
    i: np.ndarray, fit_from: int, k: int, breaks: list[int], max_points: int, flat_tol: float
) -> np.ndarray:
    n = len(i)
    if n <= max_points:
        return np.arange(n)
    jumps = np.flatnonzero(np.abs(np.diff(i)) > flat_tol) + 1
    hard = np.unique(np.concatenate(([0, fit_from, k, n], np.asarray(breaks, int), jumps)))
    hard = hard[(hard >= 0) & (hard <= n)]
    runs = len(hard) - 1
    per = max(6, max_points // max(1, runs))
    starts = [hard[:-1]]
    for a, b in zip(hard[:-1], hard[1:], strict=True):
        length = int(b - a)
        if length <= 2:
            starts.append(np.arange(a, b))
            continue
        starts.append(a + _run_offsets(length, per, bool(b == k)))
    return np.unique(np.concatenate(starts))


def make_segments(
    t: np.ndarray,
    i: np.ndarray,
    *,
    fit_from: int,
    k: int,
    breaks: list[int],
    max_points: int,
    flat_tol: float,
    start_settled: bool = True,
) -> Segments:
    """Cut the window into constant-current segments (see the module docstring)."""
    n = len(t)
    s = _segment_starts(i, fit_from, k, breaks, max_points, flat_tol)
    count = np.diff(np.append(s, n))
    if len(s) < n:
        # a segment whose current wanders by more than flat_tol is kept sample by sample
        wide = np.maximum.reduceat(i, s) - np.minimum.reduceat(i, s) > flat_tol
        if wide.any():
            extra = [np.arange(a, a + c) for a, c in zip(s[wide], count[wide], strict=True)]
            s = np.unique(np.concatenate([s, *extra]))
            count = np.diff(np.append(s, n))
    dts = np.diff(t)
    last_dt = float(dts[-1]) if len(dts) else 1.0
    t_next = np.append(t[s[1:]], t[-1] + last_dt)
    if len(s) == n:
        # one sample a segment (a window not compressed): the means are the samples
        cur, tmean, dt = i / count, t / count, np.zeros(n)
    else:
        cur, tmean, dt = _segment_means(t, i, s, count, dts)
    dur = t_next - t[s]
    q = np.concatenate(([0.0], np.cumsum(cur * dur)))[:-1]
    kk = int(np.searchsorted(s, k))
    q0 = q - q[kk]
    return Segments(s, count, t[s].astype(float), dur, cur, tmean, dt, q0, start_settled)


def _segment_means(
    t: np.ndarray, i: np.ndarray, s: np.ndarray, count: np.ndarray, dts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean current, mean time and even inner sample step (NaN if uneven, 0 for one
    sample) of the segments starting at ``s``."""
    cur = np.add.reduceat(i, s) / count
    tmean = np.add.reduceat(t, s) / count
    # even spacing inside a segment: its internal sample steps all equal
    span = t[s + count - 1] - t[s]
    dt = np.where(count > 1, span / np.maximum(count - 1, 1), 0.0)
    if len(dts):
        inner = np.append(dts, np.nan)
        inner[s[1:] - 1] = np.nan  # the step out of a segment is not inside it
        with np.errstate(invalid="ignore"):
            lo = np.fmin.reduceat(inner, s)
            hi = np.fmax.reduceat(inner, s)
        uneven = (count > 2) & (hi - lo > 1e-9 * np.maximum(np.nan_to_num(hi), 1.0))
        dt = np.where(uneven, np.nan, dt)
    return cur, tmean, dt


def rc_states(
    dur: np.ndarray,
    cur: np.ndarray,
    taus: np.ndarray,
    settled: bool = True,
    distinct: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Unit RC states at the start of every segment, shape (len(dur), len(taus)).

    Starts settled at ``cur[0]`` (or at rest: 0); each segment holds its current for its
    duration: ``x[b+1] = a_b*x[b] + (1 - a_b)*I_b`` with ``a_b = exp(-dur_b/tau)``.
    All time constants at once, by a parallel prefix scan of the affine maps
    (log2(B) vectorised steps; products of a <= 1 cannot overflow). ``cur``: one
    current per segment, or one column per time constant (shape (len(dur),
    len(taus))): each column is computed element by element on its own, so a
    column gets the bits of a call with its current alone. ``distinct``:
    :attr:`Segments.distinct_steps` of ``dur`` (the exponentials of the distinct
    durations only, gathered: the same values).
    """
    taus = np.atleast_1d(np.asarray(taus, dtype=float))
    n = len(dur)
    out = np.empty((n, len(taus)))
    x0 = cur[0] if settled else 0.0
    out[0] = x0
    if n == 1:
        return out
    steps = dur[:-1]
    if steps.min() == steps.max():
        # evenly spaced segments (a window of single samples at a steady rate): one
        # row of exponentials for all, the same value per element as a full call
        a = np.empty((n - 1, len(taus)))
        a[:] = np.exp(-steps[:1, None] / taus[None, :])
    elif distinct is not None:
        uniq, inv = distinct
        a = np.exp(-uniq[:, None] / taus[None, :])[inv]
    else:
        a = np.exp(-steps[:, None] / taus[None, :])
    u = (1.0 - a) * (cur[:-1] if cur.ndim == 2 else cur[:-1, None])
    # (each step's products into arrays of their own, not temporaries copied back:
    # ``u[d:] = a[d:] * u[:-d] + u[d:]`` with the sum written in place -- the product
    # is made whole before u changes -- and ``a[d:] = a[d:] * a[:-d]`` into a second
    # array, a and it taking turns, of which only the first d rows are copied)
    b = np.empty_like(a)
    d = 1
    while d < n - 1:
        # compose each map with the one d steps earlier (Hillis-Steele inclusive scan)
        ad, ud = a[d:], u[d:]
        np.add(np.multiply(ad, u[:-d]), ud, ud)
        np.multiply(ad, a[:-d], b[d:])
        b[:d] = a[:d]
        a, b = b, a
        d *= 2
    out[1:] = a * x0 + u
    return out


def _mean_decay(seg: Segments, taus: np.ndarray) -> np.ndarray | float:
    """Mean over each segment's samples of exp(-(t - t_b)/tau), shape (B, G).

    Exact (a geometric series) for evenly spaced samples; at the mean time
    otherwise; 1 for one-sample segments.
    """
    taus = np.atleast_1d(taus)
    multi = seg.count > 1
    if not multi.any():
        return 1.0
    distinct = seg.distinct_decays
    if distinct is not None and np.isfinite(seg.dt).all():
        # (a steady sample rate: the geometric series of the distinct (step, count)
        # pairs only, gathered to the segments, a row of ones for single samples)
        dt_u, m_u, rows = distinct
        m = m_u[:, None]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            r = np.minimum(dt_u[:, None] / taus[None, :], _MAX_STEP_RATE)
            geo = np.where(r > 1e-12, np.expm1(-r * m) / (m * np.expm1(-r)), 1.0)
        return np.concatenate((geo, np.ones((1, len(taus)))))[rows]
    out = np.ones((seg.n, len(taus)))
    m = seg.count[multi, None].astype(float)
    dt = seg.dt[multi, None]
    even = np.isfinite(dt[:, 0])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        r = np.minimum(np.where(np.isfinite(dt), dt, 0.0) / taus[None, :], _MAX_STEP_RATE)
        geo = np.where(r > 1e-12, np.expm1(-r * m) / (m * np.expm1(-r)), 1.0)
        if even.all():  # (the usual case: a log at a steady sample rate)
            out[multi] = geo
            return out
        h = (seg.tmean - seg.t0)[multi, None]
        at_mean = np.exp(-np.minimum(h / taus[None, :], 700.0))
    out[multi] = np.where(even[:, None], geo, at_mean)
    return out


def _tau_columns(seg: Segments, taus: np.ndarray, cur: np.ndarray | None = None) -> np.ndarray:
    """Segment-mean unit RC states for each tau, shape (B, G), driven by the
    segments' current (or ``cur``, one value per segment)."""
    return _tau_columns_states(seg, taus, cur)[0]


def _tau_columns_states(
    seg: Segments, taus: np.ndarray, cur: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(:func:`_tau_columns`, the unit RC states at the segment starts they come
    from): a model keeps the states of its solved columns, not computed again.
    (Every tau's column is computed element by element on its own: several taus
    in one call give each the bits of a call of its own; ``cur`` may be one
    column of currents per tau, shape (B, G), each column then with the bits of a
    call with that current.)"""
    cur = seg.cur if cur is None else cur
    x = rc_states(seg.dur, cur, taus, seg.start_settled, seg.distinct_steps)
    c = cur if cur.ndim == 2 else cur[:, None]
    cols = x - c
    decay = _mean_decay(seg, taus)
    if not isinstance(decay, float):  # (1.0: one-sample segments, a no-op multiply)
        cols *= decay
    return np.add(c, cols, out=cols), x


@dataclass
class PulseModel:
    """A fitted response model of one pulse window.

    ``coef`` holds (a, d, R0, R1, R2, kappa) for the pack voltage, with the RC
    states ``x1``/``x2`` driven by the current ``cur_a`` of each segment. A
    *split* model (see :func:`fit_pulse_response`) drives those by the current
    without the step and adds (R0, R1, R2) of the step itself as ``coef[6:9]``,
    with states ``xb1``/``xb2`` driven by ``cur_b``. ``cell_coef``: the same per
    series cell (shape (len(coef), N)) with the pack's time constants.
    """

    seg: Segments
    t_s: float
    tau1_s: float
    tau2_s: float
    cur_a: np.ndarray
    x1: np.ndarray  # unit RC states at segment starts
    x2: np.ndarray
    coef: np.ndarray
    rmse_v: float
    n_points: int
    span_s: float
    cur_b: np.ndarray | None = None
    xb1: np.ndarray | None = None
    xb2: np.ndarray | None = None
    cell_coef: np.ndarray | None = None
    cell_rmse_v: np.ndarray | None = None
    std: dict[str, float] = field(default_factory=dict)
    at_bound: bool = False
    #: :meth:`rows` at the fitted samples (``t[fit_from:]`` of the fit's window)
    sample_rows: np.ndarray | None = None
    #: covariance of the solved coefficients (``cov_use`` of the solved layout) and
    #: of ln tau1, ln tau2, last (see :meth:`std_of`); ``cov_shape``: the shared
    #: shape of a scaled step (its layout: the 6 shared columns and one factor)
    cov: np.ndarray | None = None
    cov_use: list[int] = field(default_factory=list)
    cov_shape: np.ndarray | None = None
    #: the scaled step's factor as fitted (before its shrinking) and its squared
    #: standard error, where the split test computed one
    step_factor: tuple[float, float] | None = None
    #: the weighted residual sum of squares of the segment means the fit minimised
    rss: float = math.nan

    @property
    def split(self) -> bool:
        return self.cur_b is not None

    @property
    def step_resistances(self) -> tuple[float, float, float]:
        """(R0, R1, R2) of the step's own response."""
        r = self.coef[6:9] if self.split else self.coef[2:5]
        return float(r[0]), float(r[1]), float(r[2])

    def cell_step_resistances(self) -> np.ndarray | None:
        """(R0, R1, R2) rows of the step's response per cell, shape (3, N)."""
        if self.cell_coef is None:
            return None
        return self.cell_coef[6:9] if self.split else self.cell_coef[2:5]

    def rows(self, times: np.ndarray) -> np.ndarray:
        """Design rows (len(times), len(coef)) at arbitrary times inside the window
        (exact for a constant current within each segment)."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        b, h = self._at(times)
        return self._rows_at(
            times, b, h, self.tau1_s, self.tau2_s, self.x1, self.x2, self.xb1, self.xb2
        )

    def _at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each time's segment and the time since its start."""
        seg = self.seg
        # (searchsorted gives 0..n: less one, only the lower end needs the clip)
        b = np.maximum(np.searchsorted(seg.t0, times, side="right") - 1, 0)
        return b, times - seg.t0[b]

    def _rows_at(self, times, b, h, tau1, tau2, x1, x2, xb1, xb2) -> np.ndarray:
        """:meth:`rows` with the time constants ``tau1``/``tau2`` and the RC states
        ``x1``/``x2`` (and ``xb1``/``xb2`` of a split model) given."""
        seg = self.seg
        e1 = np.exp(-h / tau1)
        e2 = np.exp(-h / tau2)
        cur = self.cur_a[b]
        # (the columns written into one array: np.column_stack's values without its
        # per-call cost, ~1000 calls a 1e6-sample log)
        out = np.empty((len(times), 9 if self.split else 6))
        out[:, 0] = 1.0
        out[:, 1] = times - self.t_s
        out[:, 2] = cur
        out[:, 3] = cur + (x1[b] - cur) * e1
        out[:, 4] = cur + (x2[b] - cur) * e2
        out[:, 5] = seg.q0[b] + seg.cur[b] * h
        if self.split:
            cb = self.cur_b[b]
            out[:, 6] = cb
            out[:, 7] = cb + (xb1[b] - cb) * e1
            out[:, 8] = cb + (xb2[b] - cb) * e2
        return out

    def coefs(self, *, cells: bool = False) -> np.ndarray:
        """The coefficients as columns: (len(coef), 1) for the pack, or (len(coef),
        1 + N) with the cells."""
        if cells and self.cell_coef is not None:
            return column_stack([self.coef, self.cell_coef])
        return self.coef[:, None]

    def predict(self, times: np.ndarray, *, cells: bool = False) -> np.ndarray:
        """Model voltages at ``times``: shape (len(times), 1) for the pack, or
        (len(times), 1 + N) with the cells."""
        return self.rows(times) @ self.coefs(cells=cells)

    def voltage(self, times: np.ndarray) -> np.ndarray:
        """Model pack voltage at ``times``."""
        return self.rows(times) @ self.coef

    def std_of(self, times: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """One-sigma uncertainty of ``weights @ voltage(times)`` (each row of
        ``weights`` one quantity; e.g. (-1, 1): a voltage change) from the fit's
        noise: the delta method on the
        solved coefficients and both time constants (:attr:`cov`; the residual
        variance from the fit, so a window the model does not follow reads a larger
        one). A scaled step is rated as fitted, before its factor's shrinking (which
        only moves it towards the shared model's lower noise). NaN without a
        covariance."""
        w = np.atleast_2d(np.asarray(weights, dtype=float))
        if self.cov is None:
            return np.full(len(w), np.nan)
        times = np.atleast_1d(np.asarray(times, dtype=float))
        b, h = self._at(times)
        grad = w @ self._rows_at(
            times, b, h, self.tau1_s, self.tau2_s, self.x1, self.x2, self.xb1, self.xb2
        )
        if self.cov_shape is not None:  # the scaled layout (6 shared columns, a factor)
            g = grad[:, :6].copy()
            g[:, 2:5] += grad[:, 6:9]  # the shared columns are driven by both currents
            grad = column_stack([g, grad[:, 6:9] @ self.cov_shape])
        eps = _STD_EPS
        # each time constant moved by exp(+-eps), the other kept: the states of all six
        # time constants in one call (each column on its own: the bits of a call with
        # its model's pair), the model's voltage as :meth:`_with_taus` would give it
        t1, t2 = self.tau1_s, self.tau2_s
        up, down = math.exp(eps), math.exp(-eps)
        taus = np.array([t1, t2, t1 * up, t1 * down, t2 * up, t2 * down])
        x = rc_states(
            self.seg.dur, self.cur_a, taus, self.seg.start_settled, self.seg.distinct_steps
        )
        xb = None
        if self.split:
            xb = rc_states(
                self.seg.dur, self.cur_b, taus, self.seg.start_settled, self.seg.distinct_steps
            )
        dtau = []
        for c1, c2 in (((2, 1), (3, 1)), ((0, 4), (0, 5))):
            volts = []
            for j1, j2 in (c1, c2):
                rows = self._rows_at(
                    times,
                    b,
                    h,
                    float(taus[j1]),
                    float(taus[j2]),
                    x[:, j1],
                    x[:, j2],
                    None if xb is None else xb[:, j1],
                    None if xb is None else xb[:, j2],
                )
                volts.append(rows @ self.coef)
            dtau.append(w @ (volts[0] - volts[1]) / (2 * eps))
        g = column_stack([grad[:, self.cov_use], *dtau])
        var = np.einsum("ij,jk,ik->i", g, self.cov, g)
        return np.sqrt(np.maximum(var, 0.0))

    def _with_taus(self, taus: np.ndarray) -> PulseModel:
        """The same coefficients with other time constants (states driven anew)."""
        x = rc_states(
            self.seg.dur, self.cur_a, taus, self.seg.start_settled, self.seg.distinct_steps
        )
        out = dataclasses.replace(
            self, tau1_s=float(taus[0]), tau2_s=float(taus[1]), x1=x[:, 0], x2=x[:, 1]
        )
        if self.split:
            xb = rc_states(
                self.seg.dur, self.cur_b, taus, self.seg.start_settled, self.seg.distinct_steps
            )
            out.xb1, out.xb2 = xb[:, 0], xb[:, 1]
        return out


class _Projector:
    """Variable projection: the four tau-free columns are projected out once, so
    each (tau1, tau2) pair costs a 2x2 solve."""

    def __init__(self, fixed: np.ndarray, y: np.ndarray, w: np.ndarray):
        fw = fixed * w[:, None]
        scale = np.linalg.norm(fw, axis=0)
        scale[scale == 0] = 1.0
        u, s, _ = np.linalg.svd(fw / scale, full_matrices=False)
        self.u = u[:, s > 1e-10 * s[0]]
        self.w = w
        yw = y * w
        self.y_t = yw - self.u @ (self.u.T @ yw)
        self.yy = float(self.y_t @ self.y_t)

    def project(self, x: np.ndarray) -> np.ndarray:
        xw = x * self.w[:, None]
        return xw - self.u @ (self.u.T @ xw)


def _pair_rss(proj: _Projector, x_t: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Residual of every (column p, column q) pair; inf where R1 or R2 < 0."""
    gram = x_t.T @ x_t
    c = x_t.T @ proj.y_t
    a_pp, a_qq, a_pq = gram[p, p], gram[q, q], gram[p, q]
    det = a_pp * a_qq - a_pq**2
    with np.errstate(divide="ignore", invalid="ignore"):
        b1 = (a_qq * c[p] - a_pq * c[q]) / det
        b2 = (a_pp * c[q] - a_pq * c[p]) / det
        rss = proj.yy - (b1 * c[p] + b2 * c[q])
    return np.where((det > 1e-12 * a_pp * a_qq) & (b1 >= 0) & (b2 >= 0), rss, np.inf)


def _best_pair(proj: _Projector, x_t: np.ndarray, p: np.ndarray, q: np.ndarray):
    """Smallest residual over the (column p, column q) pairs with R1, R2 >= 0."""
    rss = _pair_rss(proj, x_t, p, q)
    if not np.isfinite(rss).any():
        return np.inf, -1, -1
    j = int(np.argmin(rss))
    return float(rss[j]), int(p[j]), int(q[j])


@functools.lru_cache(maxsize=64)
def _grid_pairs(g: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.triu_indices(g, k=1)``, kept: the grids of a log's windows have a few sizes."""
    p, q = np.triu_indices(g, k=1)
    p.flags.writeable = q.flags.writeable = False
    return p, q


def _vertex(r_minus: float, r0: float, r_plus: float) -> float:
    """Offset (in steps, within +-1) of the minimum of a parabola through three points."""
    r_minus, r0, r_plus = float(r_minus), float(r0), float(r_plus)  # (plain float math)
    den = r_minus - 2 * r0 + r_plus
    if not (math.isfinite(den) and den > 0):
        return 0.0
    return min(max(0.5 * (r_minus - r_plus) / den, -1.0), 1.0)


def fit_pulse_response(
    t: np.ndarray,
    i: np.ndarray,
    v: np.ndarray,
    *,
    fit_from: int,
    k: int,
    breaks: list[int],
    cells: np.ndarray | None = None,
    max_points: int = 400,
    flat_tol: float = np.inf,
    polish: bool = False,
    split_test: bool = True,
    start_settled: bool = True,
    pooled_linear: bool = False,
    ocv_slope: bool = True,
) -> PulseModel | None:
    """Fit the 2-RC model to ``v`` over samples ``fit_from:`` (earlier samples only
    drive the RC states). ``k`` is the step sample (``t_s = t[k]``); ``breaks``
    other sample indices where the current steps; ``flat_tol`` the current change
    (A) that starts a new segment when the window is compressed;
    ``start_settled``: the RC states start settled at the first current (the
    window starts inside a log) or at rest (the window starts with the log, and a
    log is taken to start from rest).
    ``pooled_linear``: the earlier pulses showed no response of their own (see
    "Pooled split test"): both tests need F > ``_POOLED_F``.
    ``ocv_slope``: fit the OCV slope ``kappa`` (else held at 0; a fit whose slope
    comes out negative is done again without it, see "OCV slope").

    Returns None if the window is too small for eight parameters or the data are
    not finite.
    """
    n = len(t)
    if n - fit_from < 12 or n - k < 4 or k - fit_from < 2:
        return None
    vf = np.isfinite(v)
    if not (np.isfinite(i).all() and np.isfinite(t).all()):
        return None
    if vf[fit_from:k].sum() < 2 or vf[k:].sum() < 4 or vf[fit_from:].sum() < 12:
        return None
    t_s = float(t[k])
    seg = make_segments(
        t,
        i,
        fit_from=fit_from,
        k=k,
        breaks=breaks,
        max_points=max_points,
        flat_tol=flat_tol,
        start_settled=start_settled,
    )
    rows = seg.start >= fit_from
    # segment means of the finite voltage samples (a dropped reading is skipped)
    n_ok = _segment_sums(vf.astype(float), seg)
    v_sum = _segment_sums(np.where(vf, v, 0.0), seg)
    rows = rows & (n_ok > 0)
    w = np.sqrt(n_ok[rows])
    y = v_sum[rows] / n_ok[rows]
    fixed_all = column_stack(
        [
            np.ones(seg.n),
            seg.tmean - t_s,
            seg.cur,
            seg.q0 + seg.cur * (seg.tmean - seg.t0),
        ]
    )
    fixed = fixed_all[rows] if ocv_slope else fixed_all[rows][:, :3]
    proj = _Projector(fixed, y, w)
    dts = np.diff(t)
    dt_med = median(dts[dts > 0]) if (dts > 0).any() else 1.0
    span = float(t[-1] - t[fit_from]) + dt_med
    tau_lo = max(0.5 * dt_med, 1e-3)
    tau_hi = max(_TAU_MAX_WINDOWS * span, 4.0 * tau_lo)

    def projected(taus: np.ndarray) -> np.ndarray:
        return proj.project(_tau_columns(seg, taus)[rows])

    # --- nested grid over (tau1, tau2) -------------------------------------
    ratio = _TAU_GRID_RATIO
    taus = np.exp(np.arange(np.log(tau_lo), np.log(tau_hi) + 1e-9, np.log(ratio)))
    x_t = projected(taus)
    p, q = _grid_pairs(len(taus))
    keep = taus[q] >= _MIN_TAU_RATIO * taus[p] * (1 - 1e-9)
    rss, j1, j2 = _best_pair(proj, x_t, p[keep], q[keep])
    single = j1 < 0
    if single:  # no pair with both R >= 0: one RC pair (R2 = 0)
        gram_d = np.einsum("ij,ij->j", x_t, x_t)
        c = x_t.T @ proj.y_t
        with np.errstate(divide="ignore", invalid="ignore"):
            r_single = np.where((gram_d > 0) & (c >= 0), proj.yy - c**2 / gram_d, np.inf)
        tau1, tau2 = float(taus[int(np.argmin(r_single))]), tau_hi
    else:
        tau1, tau2 = float(taus[j1]), float(taus[j2])
        # zoom: a 5 x 5 grid at a quarter of the step around the best pair, then
        # the vertex of a parabola along each axis through the best and its neighbours
        step = ratio**0.25
        offs = step ** np.arange(-2, 3)
        t1s = np.clip(tau1 * offs, tau_lo, tau_hi)
        t2s = np.clip(tau2 * offs, tau_lo, tau_hi)
        # (ten numbers: sorted and deduplicated, indexed, in plain Python)
        cand = np.array(sorted(set(t1s.tolist() + t2s.tolist())))
        x_t = projected(cand)
        ia, ib = cand.searchsorted(t1s), cand.searchsorted(t2s)
        pa, pb = ia.repeat(5), np.concatenate([ib] * 5)  # the 5 x 5 grid, row by row
        grid_rss = _pair_rss(proj, x_t, pa, pb)
        grid_rss[cand[pb] < _MIN_TAU_RATIO * cand[pa] * (1 - 1e-9)] = np.inf
        grid_rss = grid_rss.reshape(5, 5)
        if np.isfinite(grid_rss).any():
            a, b = np.unravel_index(int(np.argmin(grid_rss)), grid_rss.shape)
            if grid_rss[a, b] <= rss:
                rss, tau1, tau2 = float(grid_rss[a, b]), float(t1s[a]), float(t2s[b])
                da = _vertex(*grid_rss[a - 1 : a + 2, b]) if 0 < a < 4 else 0.0
                db = _vertex(*grid_rss[a, b - 1 : b + 2]) if 0 < b < 4 else 0.0
                if da or db:
                    t1v = min(max(tau1 * step**da, tau_lo), tau_hi)
                    t2v = min(max(tau2 * step**db, tau_lo), tau_hi)
                    if t2v >= _MIN_TAU_RATIO * t1v:
                        r = _pair_rss(
                            proj, projected(np.array([t1v, t2v])), np.array([0]), np.array([1])
                        )
                        if r[0] < rss:
                            rss, tau1, tau2 = float(r[0]), t1v, t2v
    if polish and not single:
        tau1, tau2 = _polish(seg, rows, fixed, y, w, tau1, tau2, tau_lo, tau_hi)
    taus12 = np.array([tau1, tau2])
    kk = int(np.searchsorted(seg.start, k))
    # the current before the step held at one level in the window: within a quarter of
    # the step (the lean model's test below), and within the pulse detector's hold
    # tolerance (5 % of the step, or flat_tol): its response is then a constant, which
    # the offset takes, so the step's own response (split test) is not identifiable
    held_before = held_level = False
    if 0 < kk < seg.n:
        spread = float(np.ptp(seg.cur[:kk]))
        step_a = abs(float(seg.cur[kk] - seg.cur[kk - 1]))
        held_before = spread <= min(flat_tol, _LEAN_HELD * step_a)
        held_level = spread <= min(flat_tol, _HELD_RELATIVE * step_a)
    split = split_test and kk > 0 and not held_level
    # the parameter uncertainties' columns (both sides of a central difference in each
    # time constant, :func:`_parameter_std`) come from the same call as the model's
    sides = np.concatenate((taus12 * np.exp(_STD_EPS), taus12 * np.exp(-_STD_EPS)))
    if split:
        # the split test's currents: the step alone, and the current without it;
        # their columns in one call with the shared current's (each column its own bits),
        # then the sides for the shared current (4) and for the split's two (8)
        pre = seg.cur[kk - 1]
        cb = np.where(seg.start >= k, seg.cur - pre, 0.0)
        ca = seg.cur - cb
        curs = column_stack(
            [seg.cur, seg.cur, ca, ca, cb, cb, *[seg.cur] * 4, *[ca] * 4, *[cb] * 4]
        )
        cols6, xs6 = _tau_columns_states(seg, np.concatenate([taus12] * 3 + [sides] * 3), curs)
        tau_cols, x_shared = cols6[:, :2], xs6[:, :2]
        std_cols = {False: cols6[:, 6:10], True: cols6[:, 10:18]}
    else:
        cols6, xs6 = _tau_columns_states(seg, np.concatenate([taus12, sides]))
        tau_cols, x_shared = cols6[:, :2], xs6[:, :2]
        std_cols = {False: cols6[:, 2:6]}
    x_split = None  # the split model's states (step excluded, step alone)
    cols_all = column_stack([fixed_all[:, :3], tau_cols, fixed_all[:, 3]])
    use = [0, 1, 2, 3, 5] if single else [0, 1, 2, 3, 4, 5]
    if not ocv_slope:
        use.remove(5)
    coef, rss = _solve(cols_all[rows], use, y, w, 6)
    # A slow log (few samples in the step's first 10 s): the drift and the OCV slope
    # are left out where the window does not need them (F test), since each costs
    # noise at the read points (see "Lean model" in the module docstring)
    dropped: list[int] = []
    dof_full = len(y) - len(use) - 2
    n_early = int(np.searchsorted(t, t_s + _LEAN_WITHIN_S - 1e-9)) - k
    # (only a step from one held level: after other currents in the window, a real
    # cell's step may answer unlike them, and the drift and slope columns take up
    # part of that difference -- PyBaMM's regen pulses read further off without them)
    if n_early < _LEAN_MAX_SAMPLES and held_before and dof_full > 0 and rss > 0:
        for leave in ([1, 5], [5], [1]) if ocv_slope else ([1],):
            use_d = [c for c in use if c not in leave]
            coef_d, rss_d = _solve(cols_all[rows], use_d, y, w, 6)
            if (rss_d - rss) / len(leave) <= _LEAN_F * rss / dof_full:
                coef, rss, use, dropped = coef_d, rss_d, use_d, leave
                break
    cur_a, cur_b = seg.cur, None
    # the columns the coefficients were solved on, and the map from those to ``coef``
    # (None: the same layout) -- the cells are fitted alike
    fit_cols, fit_use, expand = cols_all, use, None
    # the scaled step's factor shrunk by this weight (None: not scaled), and the
    # shared model's columns it is shrunk towards
    shrink = shared_use = shared_cols = step_factor = None
    # Split test: does the step respond with its own amplitudes, unlike the current
    # before it (an electrochemical cell is not linear: a 0.75C regen pulse after
    # a 1C discharge pulse, or a pulse on a load)? The step's response then gets a
    # factor of its own (F > 1 for the one more parameter), or its own R0/R1/R2 if
    # that lowers the residual further beyond chance (F > 4 on the parameters it
    # adds); else the shared model keeps its lower noise (module docstring).
    if split:
        cols_a, cols_b = cols6[:, 2:4], cols6[:, 4:6]
        x_split = (xs6[:, 2:4], xs6[:, 4:6])
        cols9 = column_stack(
            [fixed_all[:, :1], fixed_all[:, 1:2], ca, cols_a, fixed_all[:, 3], cb, cols_b]
        )
        use9 = [0, 1, 2, 3, 5, 6, 7] if single else list(range(9))  # no R2 with one pair
        use9 = [c for c in use9 if c not in dropped]  # (the lean model's columns)
        if not ocv_slope:
            use9 = [c for c in use9 if c != 5]
        n_par = len(use)
        # the scaled step: the shared response of the step (its shape: the shared
        # R0, R1, R2) as one more column, mapped back to split coefficients
        shape = coef[2:5].copy()
        cols7 = column_stack([cols_all, cols9[:, 6:9] @ shape])
        use7 = [*use, 6]
        dof7 = len(y) - len(use7) - 2
        scaled = None
        if dof7 > 0:
            scaled = _with_column(
                cols_all[rows][:, use] * w[:, None], coef[use], y * w, cols7[rows, 6] * w
            )
        if scaled is not None:
            coef7, rss7 = np.zeros(7), scaled[1]
            coef7[use7] = scaled[0]
            c6, gain7 = float(coef7[6]), rss - rss7
            if gain7 > 0 and rss7 > 0 and c6 != 0:
                # the factor and its squared standard error (F = c6^2 / s6^2), kept
                # for the later pulses' pooled split test
                step_factor = (c6, c6 * c6 * rss7 / dof7 / gain7)
            if gain7 > (_POOLED_F if pooled_linear else _SCALE_F) * rss7 / dof7:
                # the factor shrunk towards the shared response (see "Split test")
                shrink = 1.0 - rss7 / dof7 / gain7
                shared_use, shared_cols = use, cols_all
                expand = functools.partial(_scaled_as_split, shape=shape)
                coef7 = _toward(coef, coef7, shrink)
                coef, rss, cols_all, cur_a, cur_b = expand(coef7), rss7, cols9, ca, cb
                fit_cols, fit_use, n_par = cols7, use7, len(use7)
        coef9, rss9 = _solve(cols9[rows], use9, y, w, 9)
        extra = len(use9) - n_par
        dof = len(y) - len(use9) - 2
        gain = rss - rss9
        # (the floor: 1 uV rms of improvement, so round-off on noise-free data is no test)
        if (
            extra > 0
            and dof > 0
            and gain > _SPLIT_FLOOR_V**2 * len(y)
            and gain / extra > (_POOLED_F if pooled_linear else _SPLIT_F) * rss9 / dof
        ):
            coef, rss, cols_all, cur_a, cur_b = coef9, rss9, cols9, ca, cb
            fit_cols, fit_use, expand, shrink = cols9, use9, None, None
    if ocv_slope and coef[5] < 0:
        # an OCV falling with charge is no cell's: on a linear cell the slow pair
        # cancelled by the slope, fitted to the noise; kept only on 5-sigma evidence
        # of the window (see "OCV slope" in the module docstring), else the fit again
        # with the slope held at its bound, 0
        held = fit_pulse_response(
            t,
            i,
            v,
            fit_from=fit_from,
            k=k,
            breaks=breaks,
            cells=cells,
            max_points=max_points,
            flat_tol=flat_tol,
            polish=polish,
            split_test=split_test,
            start_settled=start_settled,
            pooled_linear=pooled_linear,
            ocv_slope=False,
        )
        dof_slope = len(y) - len(fit_use) - 2
        if held is not None and (
            dof_slope <= 0 or held.rss - rss <= _NEGATIVE_SLOPE_F * rss / dof_slope
        ):
            return held
    design = cols_all[rows]
    # (the states the solved columns came from: the shared current's, or the split's)
    xa = x_shared if cur_b is None else x_split[0]
    model = PulseModel(
        seg=seg,
        t_s=t_s,
        tau1_s=tau1,
        tau2_s=tau2,
        cur_a=cur_a,
        x1=xa[:, 0],
        x2=xa[:, 1],
        coef=coef,
        rmse_v=0.0,
        n_points=n - fit_from,
        span_s=span,
        at_bound=bool(single or tau1 <= tau_lo * (1 + 1e-6) or tau2 >= tau_hi * (1 - 1e-6)),
        rss=rss,
    )
    model.step_factor = step_factor
    if cur_b is not None:
        xb = x_split[1]
        model.cur_b, model.xb1, model.xb2 = cur_b, xb[:, 0], xb[:, 1]
    sample_rows = model.sample_rows = model.rows(t[fit_from:])
    model.rmse_v = float(np.sqrt(nan_mean((sample_rows @ coef - v[fit_from:]) ** 2)))
    model.std = _parameter_std(rows, design, coef, y, w, taus12, std_cols[cur_b is not None])
    model.cov = _readout_cov(
        fit_cols[rows][:, fit_use],
        _tau_derivs(rows, coef, std_cols[cur_b is not None]),
        (design @ coef - y) * w,
        w,
    )
    model.cov_use = list(fit_use)
    if expand is not None:
        model.cov_shape = shape
    if cells is not None and cells.shape[1]:
        cf = np.isfinite(cells).all(axis=1)
        nc = _segment_sums(cf.astype(float), seg)
        rows_c = rows & (nc > 0)
        if nc[rows_c].sum() >= 12:
            cy = _segment_sums(np.where(cf[:, None], cells, 0.0), seg)
            cy = cy[rows_c] / nc[rows_c, None]
            wc = np.sqrt(nc[rows_c])[:, None]
            cc, *_ = np.linalg.lstsq(fit_cols[rows_c][:, fit_use] * wc, cy * wc, rcond=None)
            cell_coef = np.zeros((fit_cols.shape[1], cells.shape[1]))
            cell_coef[fit_use] = cc
            if shrink is not None:  # each cell's factor shrunk as the pack's
                xs = shared_cols[rows_c][:, shared_use] * wc
                cs, *_ = np.linalg.lstsq(xs, cy * wc, rcond=None)
                cell_shared = np.zeros((shared_cols.shape[1], cells.shape[1]))
                cell_shared[shared_use] = cs
                cell_coef = _toward(cell_shared, cell_coef, shrink)
            if expand is not None:
                cell_coef = expand(cell_coef)
            model.cell_coef = cell_coef
            res_c = sample_rows @ cell_coef - cells[fit_from:]
            model.cell_rmse_v = np.sqrt(nan_mean(res_c**2))
    return model


def _segment_sums(x: np.ndarray, seg: Segments) -> np.ndarray:
    """Sums of the rows of ``x`` over each segment (``x`` itself where every segment
    is one sample)."""
    return x if seg.n == len(x) else np.add.reduceat(x, seg.start, axis=0)


def _with_column(
    xw: np.ndarray, b: np.ndarray, yw: np.ndarray, gw: np.ndarray
) -> tuple[np.ndarray, float] | None:
    """Weighted least squares on the columns ``xw`` and one more, ``gw``, from the
    solution ``b`` on ``xw`` alone (one QR, no second solve). Returns (the
    coefficients of ``xw``'s columns then ``gw``'s, residual sum of squares), or
    None where ``gw`` lies in the span of ``xw`` (its coefficient not identifiable)."""
    q, r = np.linalg.qr(xw)
    qg = q.T @ gw
    g_perp = gw - q @ qg
    gg = float(g_perp @ g_perp)
    if not gg > (_SCALE_COLLINEAR * float(np.linalg.norm(gw))) ** 2:
        return None
    res = yw - xw @ b
    s = float(g_perp @ res) / gg
    # X b' + s g = X b + s (g - P g), P g = X R^-1 Q^T g
    shift, *_ = np.linalg.lstsq(r, qg, rcond=None)
    rss = float(res @ res) - s * s * gg
    return np.append(b - s * shift, s), max(rss, 0.0)


def _toward(shared: np.ndarray, scaled: np.ndarray, weight: float) -> np.ndarray:
    """The scaled-step coefficients (7 rows) with the step's factor shrunk to
    ``weight`` of its fitted value, the others re-solved: least squares with the factor
    held is affine in it, so that is the point ``weight`` of the way from the shared
    solution (6 rows, factor 0) to the scaled one."""
    out = weight * scaled
    out[: len(shared)] += (1.0 - weight) * shared
    return out


def _scaled_as_split(c7: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Coefficients of the scaled-step model (a, d, R0, R1, R2, kappa, factor; per
    column for a matrix) in the split layout: the current before the step keeps
    (R0, R1, R2), the step gets those plus factor * ``shape``."""
    c9 = np.zeros((9, *c7.shape[1:]))
    c9[:6] = c7[:6]
    c9[6:9] = c7[2:5] + np.multiply.outer(shape, c7[6])
    return c9


def _solve(design: np.ndarray, use: list[int], y, w, n_coef: int) -> tuple[np.ndarray, float]:
    """Weighted least squares on the columns ``use``; (coefficients, residual)."""
    sol, *_ = np.linalg.lstsq(design[:, use] * w[:, None], y * w, rcond=None)
    coef = np.zeros(n_coef)
    coef[use] = sol
    res = (design @ coef - y) * w
    return coef, float(res @ res)


def _tau_derivs(rows, coef, cols) -> np.ndarray:
    """Derivatives of the model's segment means with respect to ln tau1 and ln tau2
    (central differences; ``cols`` as :func:`_parameter_std`'s), shape (rows, 2)."""
    eps = _STD_EPS
    split = cols.shape[1] == 8
    derivs = np.zeros((int(np.count_nonzero(rows)), 2))
    for j, (r1, r2) in enumerate([(coef[3], coef[4])] + ([(coef[7], coef[8])] if split else [])):
        both = cols[:, 4 * j : 4 * j + 4]
        d = both[rows, :2]
        d -= both[rows, 2:]
        derivs += d / (2 * eps) * np.array([r1, r2])
    return derivs


def _readout_cov(solved: np.ndarray, derivs: np.ndarray, res_w: np.ndarray, w) -> np.ndarray | None:
    """Covariance of the solved coefficients (columns ``solved``) and ln tau1, ln tau2
    (``derivs``), from the weighted Jacobian and the residual variance (``res_w``:
    weighted residuals). Unidentified directions (a pseudo-inverse) add nothing; None if
    that fails to converge."""
    jac = column_stack([solved, derivs]) * w[:, None]
    dof = max(1, len(res_w) - jac.shape[1])
    try:
        return np.linalg.pinv(jac.T @ jac) * float(res_w @ res_w) / dof
    except np.linalg.LinAlgError:
        return None


def _parameter_std(rows, design, coef, y, w, taus12, cols) -> dict[str, float]:
    """One-sigma parameter uncertainties of the step's R0, R1, R2, tau1, tau2 from
    the Jacobian at the solution (the residual variance from the fit; correlated
    noise makes them optimistic). A scaled step is rated as the full split it is
    written as (its own R0, R1, R2 free): an upper bound for it. ``cols``: the
    columns at ``taus12 * exp(+-_STD_EPS)`` (tau1+, tau2+, tau1-, tau2-), driven by
    the model's current, then (a split model) by its step's."""
    split = cols.shape[1] == 8
    jac = column_stack([design, _tau_derivs(rows, coef, cols)]) * w[:, None]
    res = (design @ coef - y) * w
    dof = max(1, len(y) - jac.shape[1])
    try:
        cov = np.linalg.pinv(jac.T @ jac) * float(res @ res) / dof
    except np.linalg.LinAlgError:
        return {}
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    r = [6, 7, 8] if split else [2, 3, 4]
    m = design.shape[1]
    return {
        "r0_ohm": float(sd[r[0]]),
        "r1_ohm": float(sd[r[1]]),
        "r2_ohm": float(sd[r[2]]),
        "tau1_s": float(taus12[0] * sd[m]),
        "tau2_s": float(taus12[1] * sd[m + 1]),
    }


def _polish(seg, rows, fixed, y, w, tau1, tau2, tau_lo, tau_hi) -> tuple[float, float]:
    """Bounded local least squares on (ln tau1, ln tau2/tau1), linear parameters
    re-solved at every evaluation (variable projection)."""
    from scipy.optimize import least_squares

    def residual(theta: np.ndarray) -> np.ndarray:
        t1 = float(np.exp(theta[0]))
        t2 = t1 * float(np.exp(theta[1]))
        d = column_stack([fixed, _tau_columns(seg, np.array([t1, t2]))[rows]]) * w[:, None]
        sol, *_ = np.linalg.lstsq(d, y * w, rcond=None)
        return d @ sol - y * w

    lo = np.array([np.log(tau_lo), np.log(_MIN_TAU_RATIO)])
    hi = np.array([np.log(tau_hi), max(np.log(tau_hi / tau_lo), lo[1] + 1.0)])
    x0 = np.clip([np.log(tau1), np.log(tau2 / tau1)], lo + 1e-9, hi - 1e-9)
    sol = least_squares(residual, x0, bounds=(lo, hi), method="trf", x_scale=1.0, max_nfev=40)
    t1 = float(np.exp(sol.x[0]))
    return t1, t1 * float(np.exp(sol.x[1]))
