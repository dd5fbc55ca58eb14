"""The pack model: N series cells, each OCV(SOC) + R0 + two RC pairs + a lumped
thermal mass, integrated in chunks of steps, vectorised over cells *and* steps.

Conventions. Current is positive when charging. Sample ``k`` is at time
``k*dt``; the pack current ``I[k]`` is held during ``[k*dt, (k+1)*dt)`` (zero
order hold) and the state ``x[k]`` is the state at the start of that interval.
The terminal voltage of cell i at sample k is::

    v[k] = OCV(soc[k]) + R0*I[k] + v1[k] + v2[k]

(it rises on charge; the resistances and time constants at the cell's
temperature, see below). The RC pairs use the exact discretisation of
``dv/dt = -v/tau + I/C``: ``v[k+1] = a*v[k] + R*(1-a)*I[k]`` with
``a = exp(-dt/tau)``; the thermal mass likewise: ``theta[k+1] = b*theta[k] +
(1-b)*P[k]/h`` with ``theta = T - T_ambient`` and ``b = exp(-dt*h/C)``, P the
heat of the step (I²R0 + v1²/R1 + v2²/R2, plus a short's V²/R and runaway
self-heating). Both are linear recurrences, solved for a whole chunk at once
with a cumulative sum (:func:`linear_recurrence`).

Temperature. A cell's R0, R1 and R2 are its 25 degC values times ``f(T)``,
:func:`app.core.spec.resistance_temperature_factor` of its own temperature (the
Arrhenius law the SOH diagnostic corrects measured resistances with; held at its
ends outside :data:`~app.core.spec.RESISTANCE_CORRECTION_RANGE_C`); the RC pairs'
capacitances stay, so their time constants are ``f(T)`` times the 25 degC ones (a
cold cell relaxes more slowly after a pulse). An RC pair's state is its true
voltage (the capacitor's charge over C, continuous through a change of
temperature); a step relaxes it towards ``f R I`` with ``a[k] = exp(-dt / (f
tau))``, a linear recurrence with a coefficient varying per step and cell, still
solved for a chunk at once (:func:`rc_recurrence`: cumulative sums of the decay
exponents, re-anchored every block of steps so ``exp`` stays in range). Its heat
is ``v**2 / (f R)``. The factors are computed every :data:`FACTOR_BLOCK_STEPS`
steps from the temperatures there; the resistances carry on along their last slope
in between (:func:`block_ramp`; causal, so a chunk cut short keeps its first
steps), the time constants hold the block start's ``f`` over the block (their sums
in closed form, :func:`block_step_sums`; a block's change of temperature is small
against the cell's). Only the temperature ties the steps together (it sets R and tau, they the
heat, the heat the temperature), and it moves slowly (~25 min thermal time
constant). An open-loop chunk takes its temperatures from a predictor
(:meth:`PackModel._predicted_factor`): the cells heated with their factors at the
chunk's start (the RC pairs' heat from the current low-passed step by step), then
once more with each block's resistive heat times its predicted factor over the
start's. A closed loop (CV, float) takes them from its own step-by-step heating
(a CV chunk follows its limiting cell, the others moving as much) and ends where a
cell's factor is off its temperature's by :data:`RESISTANCE_FACTOR_TOLERANCE`.
Against a step-by-step solution (chunks of one step, each step's factor its own
temperature's; 12000 s runs, 4 cells unless said;
``tests/hardware/simulator/test_sim_temperature.py`` checks shorter ones) the
voltages differ by: NMC drive at 25 degC 0.20 mV, at 0 degC
0.62 mV; NMC HPPC at 25 degC 0.20 mV, 2 cells at 0 degC 0.92 mV; LFP drive at 10 degC
0.04 mV; the temperatures by < 0.002 K. A chunk's solution depends on where it
starts, so the simulator cuts chunks independently of the blocks it is read in
(:class:`~app.hardware.simulator.pack.PackSimulator` computes them ahead).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

from app.core.spec import RESISTANCE_CORRECTION_RANGE_C, resistance_temperature_factor
from app.hardware.simulator.cells import CellParameters
from app.hardware.simulator.faults import (
    COLLAPSE_TAU_S,
    SEPARATOR_COLLAPSE_C,
    Recombination,
    RunawayHeat,
)

#: Above this exponent the cumulative-sum solution of a recurrence would lose
#: range (a**-L of float64 reaches 1e308 at L*ln(1/a) ~ 709): chunks are solved in
#: sub-blocks of at most this growth.
_MAX_GROWTH_EXPONENT = 300.0
#: The same for an RC pair's solution, whose terms are bounded by its voltage.
_RC_MAX_GROWTH_EXPONENT = 600.0
#: The resistance factors are computed from temperatures every this many steps and
#: carried on between along their last slope (:func:`block_ramp`): a cell's
#: temperature is smooth over 16 s (its thermal time constant is ~25 min).
FACTOR_BLOCK_STEPS = 16
#: Steps of the thermal recurrence's growth factors a model keeps (a chunk's).
_GROW_CACHE_STEPS = 4096
#: A CV step may leave another cell this much above the target before the chunk
#: is cut and re-solved for that cell (float round-off of the two solutions).
CV_TOLERANCE_V = 1e-6
#: A closed-loop chunk ends where a cell's resistance is off the one of its
#: temperature by more than this (0.3 %, ~0.1 K for NMC/LFP): below a cell's 3 %
#: spread and a pulse fit's noise.
RESISTANCE_FACTOR_TOLERANCE = 0.003
#: Per cent SOC per ampere-second and Ah: 100 % / 3600 s.
_PCT_PER_AS_PER_AH = 100.0 / 3600.0


#: A collapsing cell's voltage is 0 from this fraction of its own on (a meter reads
#: a shorted cell as 0 V, not as the exponential's 4e-209 V).
COLLAPSED_FRACTION = 1e-6


class LimitEvent(StrEnum):
    """Why a chunk ended before its planned length."""

    V_MAX = "v_max"  # a cell would exceed cell_v_max while charging
    V_MIN = "v_min"  # a cell would fall below cell_v_min while discharging
    CV_DONE = "cv_done"  # the constant-voltage current fell below its end current


@dataclass
class PackState:
    """The true state of every cell (arrays of shape (N,)) before sample ``index``."""

    soc_pct: np.ndarray
    #: the RC pairs' true voltages
    v1_v: np.ndarray
    v2_v: np.ndarray
    temperature_c: np.ndarray
    #: time at which each cell's voltage started to collapse (NaN: never)
    collapse_s: np.ndarray
    index: int = 0

    def copy(self) -> PackState:
        """An independent copy."""
        return PackState(
            self.soc_pct.copy(),
            self.v1_v.copy(),
            self.v2_v.copy(),
            self.temperature_c.copy(),
            self.collapse_s.copy(),
            self.index,
        )


@dataclass(frozen=True)
class ChunkFaults:
    """The physical faults active during a chunk (0-based cell indices)."""

    over_voltage: bool = False
    short_cell: int | None = None
    short_ohm: float = math.inf
    runaway_cell: int | None = None
    runaway: RunawayHeat | None = None
    #: lead-acid runaway (of ``runaway_cell``): recombination current on float
    recombination: Recombination | None = None


@dataclass
class Trajectory:
    """A simulated chunk of m steps: per-step arrays (m, N) and states (m+1, N)."""

    current_a: np.ndarray  # (m,) pack current
    cell_v: np.ndarray  # (m, N) terminal voltage (collapse applied)
    soc_pct: np.ndarray  # (m+1, N)
    v1_v: np.ndarray  # (m+1, N)
    v2_v: np.ndarray  # (m+1, N)
    temperature_c: np.ndarray  # (m+1, N)
    collapse_s: np.ndarray  # (N,) collapse times after the chunk
    # the model's working arrays (None in a chunk the simulator keeps for its output)
    ocv_v: np.ndarray | None  # (m, N)
    r_factor: np.ndarray | None  # (m, N) resistance / its 25 degC value at each step

    def __len__(self) -> int:
        return len(self.current_a)


def linear_recurrence(
    x0: np.ndarray, a: float | np.ndarray, u: np.ndarray, grow: np.ndarray | None = None
) -> np.ndarray:
    """Solve ``x[k+1] = a*x[k] + u[k]`` for k = 0..m-1 with ``x[0] = x0``.

    ``x0`` has shape (N,), ``a`` is a scalar or (N,) in (0, 1], ``u`` is (m, N).
    Returns ``x[0..m]`` of shape (m+1, N). Uses
    ``x[k] = a**k * (x0 + sum_{j<k} a**-(j+1) * u[j])`` in sub-blocks short enough
    that ``a**-k`` stays far from overflow. ``grow``, if given, is the caller's
    cache of ``a**-(k+1)`` for k = 0..m-1 or more (same values, not recomputed),
    for an ``a`` whose ``a**-m`` is far from overflow.
    """
    m = u.shape[0]
    out = np.empty((m + 1, *np.shape(x0)))
    out[0] = x0
    if grow is not None and len(grow) >= m:
        s = np.multiply(u, grow[:m])
        np.cumsum(s, axis=0, out=s)
        s += x0
        np.divide(s, grow[:m], out=out[1:])
        return out
    a = np.asarray(a, dtype=float)
    with np.errstate(divide="ignore"):
        rate = -np.log(a)  # > 0 per step
    worst = float(np.max(rate))
    if worst > 50.0:  # a < 2e-22: the state forgets itself within a step
        for k in range(m):
            out[k + 1] = a * out[k] + u[k]
        return out
    block = m if worst == 0 else max(1, int(_MAX_GROWTH_EXPONENT / worst))
    start = 0
    while start < m:
        stop = min(m, start + block)
        steps = np.arange(1, stop - start + 1, dtype=float)[:, None]
        grow = np.exp(steps * rate)  # a**-(j+1)
        s = np.cumsum(u[start:stop] * grow, axis=0)
        s += out[start]
        out[start + 1 : stop + 1] = s / grow
        start = stop
    return out


def block_ramp(at_starts: np.ndarray, m: int) -> np.ndarray:
    """Per-step values (m, ...) from values at the starts of blocks of
    :data:`FACTOR_BLOCK_STEPS` steps: each block goes on along the line through its
    start and the previous block's (the first block holds its start). Step k's
    value depends on blocks before it only, so a chunk cut short (a fault's onset)
    keeps its first steps."""
    step = np.zeros_like(at_starts)
    step[1:] = np.diff(at_starts, axis=0)
    within = _WITHIN_BLOCK.reshape(1, -1, *([1] * (at_starts.ndim - 1)))
    ramps = at_starts[:, None] + step[:, None] * within  # (blocks, steps of a block, ...)
    return ramps.reshape(-1, *at_starts.shape[1:])[:m]


#: The fraction of a block each of its steps is into it.
_WITHIN_BLOCK = np.arange(FACTOR_BLOCK_STEPS) / FACTOR_BLOCK_STEPS
#: Step j of a block.
_J = np.arange(FACTOR_BLOCK_STEPS, dtype=float)


def block_step_sums(at_starts: np.ndarray, m: int) -> np.ndarray:
    """``S[k] = sum_{i<k} at_starts[i // FACTOR_BLOCK_STEPS]`` for k = 0..m (shape
    (m+1, N)): the cumulative sums of values held over blocks of
    :data:`FACTOR_BLOCK_STEPS` steps, in closed form (linear within a block)."""
    nb, n = at_starts.shape[0], FACTOR_BLOCK_STEPS
    if nb == 0:
        return np.zeros((1, *at_starts.shape[1:]))
    before = np.zeros_like(at_starts)  # the sums of the blocks before each
    np.cumsum(at_starts[:-1] * n, axis=0, out=before[1:])
    out = np.empty((nb * n + 1, *at_starts.shape[1:]))
    body = out[:-1].reshape(nb, n, -1)
    np.multiply(_J[:, None], at_starts[:, None], out=body)
    body += before[:, None]
    out[-1] = before[-1] + at_starts[-1] * n
    return out[: m + 1]


def rc_recurrence(
    x0: np.ndarray,
    cum_rate: np.ndarray,
    scale: float,
    drive: np.ndarray,
    r: np.ndarray,
    worst_rate: float,
) -> np.ndarray:
    """Solve ``x[k+1] = a[k]*x[k] + (1 - a[k])*r*drive[k]`` for k = 0..m-1 with
    ``x[0] = x0`` and a coefficient varying per step and column,
    ``a[k] = exp(-scale*(cum_rate[k+1] - cum_rate[k]))``: an RC pair of resistance
    ``r*f`` and time constant ``tau*f`` (``drive = f*I``, ``scale = dt/tau``,
    ``cum_rate`` the cumulative sums of 1/f).

    ``cum_rate`` (m+1, N) is non-decreasing, ``drive`` (m, N), ``r`` (N,),
    ``worst_rate`` an upper bound of a step's exponent. With ``L = scale*cum_rate``
    and ``E[k] = exp(L[k] - L[s])`` from an anchor step s, ``x[k] = (x[s] +
    sum_{s<=j<k} r*drive[j]*(E[j+1] - E[j])) / E[k]``: a cumulative sum, re-anchored
    every block of steps short enough that E stays far from overflow."""
    m = drive.shape[0]
    out = np.empty((m + 1, *np.shape(x0)))
    out[0] = x0
    if worst_rate > 50.0:  # a < 2e-22: the state forgets itself within a step
        a = np.exp(scale * (cum_rate[:-1] - cum_rate[1:]))
        for k in range(m):
            out[k + 1] = a[k] * out[k] + (1.0 - a[k]) * r * drive[k]
        return out
    limit = _RC_MAX_GROWTH_EXPONENT
    block = m if worst_rate * m <= limit else int(limit / worst_rate)
    start = 0
    while start < m:
        stop = min(m, start + block)
        grow = np.multiply(cum_rate[start : stop + 1], scale)
        if start:
            grow -= grow[0].copy()
        np.exp(grow, out=grow)
        s = np.subtract(grow[1:], grow[:-1])
        s *= drive[start:stop]
        s *= r
        np.cumsum(s, axis=0, out=s)
        s += out[start]
        np.divide(s, grow[1:], out=out[start + 1 : stop + 1])
        start = stop
    return out


class _ScalarOcv:
    """Fast OCV lookup of one scalar SOC (the closed-loop CV loop runs per step)."""

    def __init__(self, soc: np.ndarray, ocv: np.ndarray):
        self.x = [float(v) for v in soc]
        self.y = [float(v) for v in ocv]
        self.slope = [
            (y1 - y0) / (x1 - x0)
            for x0, x1, y0, y1 in zip(self.x, self.x[1:], self.y, self.y[1:], strict=False)
        ]

    def __call__(self, soc: float) -> float:
        i = bisect.bisect_right(self.x, soc) - 1
        if i < 0:
            return self.y[0]
        if i >= len(self.slope):
            return self.y[-1]
        return self.y[i] + self.slope[i] * (soc - self.x[i])


class PackModel:
    """Integrates :class:`PackState` for given currents; stateless between calls."""

    def __init__(self, cells: CellParameters, dt_s: float, ambient_c: float):
        if not dt_s > 0:
            raise ValueError(f"dt must be positive, got {dt_s}")
        self.cells = cells
        self.dt_s = float(dt_s)
        self.ambient_c = float(ambient_c)
        c = cells
        # an RC pair's decay exponent per step at 25 degC (its tau is f(T) times longer)
        self.c1 = dt_s / c.tau1_s
        self.c2 = dt_s / c.tau2_s
        self._inv_r1, self._inv_r2 = 1.0 / c.r1_ohm, 1.0 / c.r2_ohm
        self.a_th = np.exp(-dt_s * c.cooling_w_per_k / c.heat_capacity_j_per_k)
        self.g_th = (1.0 - self.a_th) / c.cooling_w_per_k  # K per W of a step
        self.soc_per_a = dt_s * _PCT_PER_AS_PER_AH / c.capacity_ah  # % per A of a step
        self._ocv1 = _ScalarOcv(c.ocv_soc_pct, c.ocv_v)
        # the thermal recurrence's a**-(k+1) for a chunk (see linear_recurrence), if
        # it stays far from overflow over one (cooling is slow against a step)
        steps = np.arange(1, _GROW_CACHE_STEPS + 1, dtype=float)[:, None]
        rate = -np.log(self.a_th)
        far = _GROW_CACHE_STEPS * rate.max() < _MAX_GROWTH_EXPONENT
        self._grow_th = np.exp(steps * rate) if far else None
        # and the predictor's, on blocks of FACTOR_BLOCK_STEPS
        self._grow_blocks = (
            self._grow_th[FACTOR_BLOCK_STEPS - 1 :: FACTOR_BLOCK_STEPS] if far else None
        )

    @property
    def n_cells(self) -> int:
        """Number of series cells."""
        return self.cells.n_cells

    def initial_state(self, soc_pct: np.ndarray) -> PackState:
        """Cells at ``soc_pct``, relaxed (RC pairs empty), at ambient temperature."""
        n = self.n_cells
        return PackState(
            soc_pct=np.asarray(soc_pct, dtype=float).copy(),
            v1_v=np.zeros(n),
            v2_v=np.zeros(n),
            temperature_c=np.full(n, self.ambient_c),
            collapse_s=np.full(n, np.nan),
        )

    def resistance_factor(self, temperature_c: np.ndarray) -> np.ndarray:
        """R / R(25 degC) of cells at ``temperature_c`` (any shape): the chemistry's
        Arrhenius law, held at its ends outside the range it is used over."""
        lo, hi = RESISTANCE_CORRECTION_RANGE_C
        if np.ndim(temperature_c) == 0:  # a closed loop's per-step call: kept fast
            return resistance_temperature_factor(
                self.cells.chemistry, min(max(temperature_c, lo), hi)
            )
        return resistance_temperature_factor(self.cells.chemistry, np.clip(temperature_c, lo, hi))

    # --- open loop ---------------------------------------------------------
    def integrate(
        self,
        state: PackState,
        current_a: np.ndarray,
        faults: ChunkFaults,
        side_a: np.ndarray | None = None,
        factor: np.ndarray | None = None,
    ) -> Trajectory:
        """Simulate ``len(current_a)`` steps from ``state`` (which is not changed).

        ``side_a`` (m, N), if given, are the cells' side currents (a short, a
        recombination) as :meth:`float_currents` solved them: each cell carries the
        pack current minus its side current, which heats it by V times itself.
        ``factor`` (m, N), if given, are the resistance factors a closed loop solved
        the chunk with (end it at :meth:`consistent_steps`); else they follow the cells'
        temperatures (see the module)."""
        current_a = np.asarray(current_a, dtype=float)
        ic = current_a[:, None]
        if side_a is not None:
            return self._integrate_cells(state, current_a, ic - side_a, faults, side_a, factor)
        if faults.short_cell is None:
            return self._integrate_cells(state, current_a, ic, faults, factor=factor)
        # The shorted cell carries I - v/R_short, v its own terminal voltage:
        # v = (OCV + v1 + v2 + R0*I) / (1 + R0/R_short). Predictor from the start
        # state, corrector from the predicted trajectory (the coupling is weak:
        # R0/R_short ~ 1e-3, so one correction leaves errors of ~1e-6 of the short current).
        c, rs = faults.short_cell, faults.short_ohm
        f = self.resistance_factor(state.temperature_c[c]) if factor is None else factor[:, c]
        r0 = self.cells.r0_ohm[c] * f
        ic = np.repeat(ic, self.n_cells, axis=1)
        base = self._ocv1(state.soc_pct[c]) + state.v1_v[c] + state.v2_v[c]
        ic[:, c] = current_a - (base + r0 * current_a) / (rs + r0)
        traj = self._integrate_cells(state, current_a, ic, faults, factor=factor)
        f = traj.r_factor[:, c]
        r0 = self.cells.r0_ohm[c] * f
        base = traj.ocv_v[:, c] + traj.v1_v[:-1, c] + traj.v2_v[:-1, c]
        ic[:, c] = current_a - (base + r0 * current_a) / (rs + r0)
        return self._integrate_cells(state, current_a, ic, faults, factor=factor)

    def _integrate_cells(
        self,
        state: PackState,
        current_a: np.ndarray,
        ic: np.ndarray,
        faults: ChunkFaults,
        side_a: np.ndarray | None = None,
        factor: np.ndarray | None = None,
    ) -> Trajectory:
        c = self.cells
        m = len(current_a)
        soc = np.empty((m + 1, self.n_cells))
        soc[0] = state.soc_pct
        if ic.shape[1] == 1:  # one current through every cell: one cumulative sum
            np.multiply(np.cumsum(ic[:, 0])[:, None], self.soc_per_a, out=soc[1:])
        else:
            np.cumsum(ic * self.soc_per_a, axis=0, out=soc[1:])
        soc[1:] += state.soc_pct
        ocv = c.ocv(soc[:-1])
        t_s = (state.index + np.arange(m)) * self.dt_s
        if factor is None:
            at_starts = self._predicted_factor(state, ic, ocv, faults, t_s)
            factor = block_ramp(at_starts, m)
        else:
            factor = np.broadcast_to(factor, (m, self.n_cells))
            at_starts = factor[::FACTOR_BLOCK_STEPS]  # (a closed loop's blocks start there too)
        # the time constants' factor: f at each block's start, held over the block
        inv = 1.0 / at_starts
        inv_sum = block_step_sums(inv, m)
        inv_max = float(inv.max()) if m else 1.0
        fi = factor * ic  # the current times the resistance factor
        v1 = rc_recurrence(state.v1_v, inv_sum, self.c1, fi, c.r1_ohm, self.c1 * inv_max)
        v2 = rc_recurrence(state.v2_v, inv_sum, self.c2, fi, c.r2_ohm, self.c2 * inv_max)
        v1k, v2k = v1[:-1], v2[:-1]
        # heat: v1**2/(f R1) + v2**2/(f R2) + f R0 I**2 (in place: fewer fresh pages)
        heat = np.multiply(v1k, v1k)
        heat *= self._inv_r1
        part = np.multiply(v2k, v2k)
        part *= self._inv_r2
        heat += part
        heat /= factor
        cell_v = np.multiply(fi, c.r0_ohm)  # R0's drop
        np.multiply(cell_v, ic, out=part)
        heat += part
        cell_v += ocv
        cell_v += v1k
        cell_v += v2k
        temp = self._thermal(state, cell_v, heat, faults, side_a, t_s)
        collapse = state.collapse_s.copy()
        if m and temp[:-1].max() >= SEPARATOR_COLLAPSE_C:
            hot = temp[:-1] >= SEPARATOR_COLLAPSE_C
            fresh = np.isnan(collapse) & hot.any(axis=0)
            collapse[fresh] = t_s[np.argmax(hot[:, fresh], axis=0)]
        if not np.isnan(collapse).all():
            gone = ~np.isnan(collapse)
            age = t_s[:, None] - collapse[gone]
            left = np.exp(-np.maximum(age, 0) / COLLAPSE_TAU_S)
            # a shorted cell reads 0 V, not the exponential's 4e-209 V (below 1 uV in 4 V)
            left[left < COLLAPSED_FRACTION] = 0.0
            cell_v[:, gone] *= np.where(age >= 0, left, 1.0)
        return Trajectory(current_a, cell_v, soc, v1, v2, temp, collapse, ocv, factor)

    def _predicted_factor(
        self,
        state: PackState,
        ic: np.ndarray,
        ocv: np.ndarray,
        faults: ChunkFaults,
        t_s: np.ndarray,
    ) -> np.ndarray:
        """The resistance factors (blocks, N) at the starts of the
        :data:`FACTOR_BLOCK_STEPS`-step blocks of an open-loop chunk (:func:`block_ramp`
        makes the steps' of them). The predictor heats the cells with their factors
        at the chunk's start, ``f0``, on blocks (the heat of a block summed: cooling
        is slow against one): R0's heat ``f0 R0 I**2`` and the RC pairs' at
        ``f0`` (:meth:`_rc_heat`); then once more with each block's heat times its
        factor over ``f0`` (the heat is nearly proportional to it)."""
        m = len(t_s)
        n = FACTOR_BLOCK_STEPS
        f0 = self.resistance_factor(state.temperature_c)
        starts = np.arange(0, m, n)
        c = self.cells
        block_heat = np.add.reduceat(ic * ic, starts, axis=0) * (c.r0_ohm * f0)
        heat, rc_v = self._rc_heat(state, f0, ic, starts, faults.short_cell)
        block_heat += heat
        block_heat *= self.g_th
        fault_heat = 0.0  # a fault's heat (not the resistances')
        if faults.short_cell is not None or faults.runaway is not None:
            fault_heat = np.zeros_like(block_heat)
        if faults.short_cell is not None:
            k = faults.short_cell
            v = ocv[:, k] + f0[k] * c.r0_ohm[k] * ic[:, k] + rc_v
            fault_heat[:, k] += np.add.reduceat(v * v, starts) / faults.short_ohm
        if faults.runaway is not None:
            fault_heat[:, faults.runaway_cell] += np.add.reduceat(
                faults.runaway.power_w(t_s), starts
            )
        if faults.short_cell is not None or faults.runaway is not None:
            fault_heat *= self.g_th
        decay, grow = self.a_th**n, self._grow_blocks
        theta0 = state.temperature_c - self.ambient_c
        theta = linear_recurrence(theta0, decay, block_heat + fault_heat, grow)
        factor = self.resistance_factor(theta[:-1] + self.ambient_c)
        block_heat *= factor / f0
        block_heat += fault_heat
        theta = linear_recurrence(theta0, decay, block_heat, grow)
        return self.resistance_factor(theta[:-1] + self.ambient_c)

    def _rc_heat(
        self, state: PackState, f0: np.ndarray, ic: np.ndarray, starts: np.ndarray, cell: int | None
    ) -> tuple[np.ndarray, np.ndarray | float]:
        """The RC pairs' heat (blocks, N) at the factors ``f0`` (N,) over the chunk,
        summed over the blocks from ``starts``, and the pairs' voltage (m,) of
        ``cell`` (0.0 if None). One current through every cell: a pair's voltage is
        ``f0 R u`` with ``u`` the current low-passed at the cells' mean time constant
        from their mean ``v / (f0 R)`` (their spread is a few per cent), its heat
        ``f0 R u**2``: 1-D series. Else each cell's own pairs."""
        c = self.cells
        rate = np.array([self.c1, self.c2])[:, None] / f0  # (2, N)
        r = np.vstack([c.r1_ohm, c.r2_ohm]) * f0  # (2, N): f0 R
        v0 = np.vstack([state.v1_v, state.v2_v])
        if ic.shape[1] > 1:  # side currents: each cell its own pairs
            heat = 0.0
            cv = 0.0
            for p in range(2):
                a = np.exp(-rate[p])
                v = linear_recurrence(v0[p], a, (1.0 - a) * r[p] * ic)[:-1]
                heat = heat + np.add.reduceat(v * v, starts, axis=0) / r[p]
                cv = cv + (v[:, cell] if cell is not None else 0.0)
            return heat, cv
        a = np.exp(-rate.mean(axis=1))  # (2,)
        u0 = (v0 / r).mean(axis=1)
        heat = 0.0
        cv = 0.0
        for p in range(2):  # (m, 1) each: a contiguous cumulative sum
            u = linear_recurrence(u0[p : p + 1], a[p], (1.0 - a[p]) * ic)[:-1]
            heat = heat + np.add.reduceat(u * u, starts, axis=0) * r[p]
            cv = cv + (u[:, 0] * r[p, cell] if cell is not None else 0.0)
        return heat, cv

    def _thermal(
        self,
        state: PackState,
        cell_v: np.ndarray,
        heat: np.ndarray,
        faults: ChunkFaults,
        side_a: np.ndarray | None,
        t_s: np.ndarray,
    ) -> np.ndarray:
        """The temperatures (m+1, N) of a chunk whose cells' terminal voltages (before
        a collapse) are ``cell_v`` and whose resistances make ``heat`` (m, N; the
        faults' heat is added to it here)."""
        if side_a is not None:
            heat += cell_v * side_a
        elif faults.short_cell is not None:
            k = faults.short_cell
            heat[:, k] += cell_v[:, k] ** 2 / faults.short_ohm
        if faults.runaway is not None:
            heat[:, faults.runaway_cell] += faults.runaway.power_w(t_s)
        heat *= self.g_th
        theta = linear_recurrence(
            state.temperature_c - self.ambient_c, self.a_th, heat, self._grow_th
        )
        theta += self.ambient_c
        return theta

    def commit(self, state: PackState, traj: Trajectory, j: int) -> PackState:
        """The state after the first ``j`` steps of ``traj``."""
        t_j = (state.index + j) * self.dt_s
        collapse = np.where(traj.collapse_s < t_j, traj.collapse_s, state.collapse_s)
        return replace(
            state,
            soc_pct=traj.soc_pct[j].copy(),
            v1_v=traj.v1_v[j].copy(),
            v2_v=traj.v2_v[j].copy(),
            temperature_c=traj.temperature_c[j].copy(),
            collapse_s=collapse,
            index=state.index + j,
        )

    # --- limits ------------------------------------------------------------
    @staticmethod
    def first_violation(
        traj: Trajectory, v_min: float, v_max: float, *, check_max: bool, tol_v: float = 0.0
    ) -> tuple[int, LimitEvent | None]:
        """Index of the first step that breaks a voltage limit, and which (len, None if none).

        Charging (I > 0) may not take any cell above ``v_max``; discharging
        (I < 0) may not take any cell below ``v_min``. Rest never breaks a limit.
        """
        i, v = traj.current_a, traj.cell_v
        if not len(i):
            return 0, None
        # the whole chunk's extremes first (a row-wise reduction of few cells is slow)
        under = (i < 0) & (v.min(axis=1) < v_min) if v.min() < v_min else False
        bad = under
        over = None
        if check_max and v.max() > v_max + tol_v:
            over = (i > 0) & (v.max(axis=1) > v_max + tol_v)
            bad = under | over
        if not np.any(bad):
            return len(traj), None
        j = int(np.argmax(bad))
        return j, (LimitEvent.V_MAX if over is not None and over[j] else LimitEvent.V_MIN)

    def consistent_steps(self, traj: Trajectory) -> int:
        """Steps of a closed-loop ``traj`` before a cell's resistance factor is off
        the one of its temperature by more than :data:`RESISTANCE_FACTOR_TOLERANCE`
        (len if none is): where the chunk must end."""
        true = self.resistance_factor(traj.temperature_c[:-1])
        off = (np.abs(traj.r_factor / true - 1.0) > RESISTANCE_FACTOR_TOLERANCE).any(axis=1)
        return int(np.argmax(off)) if off.any() else len(traj)

    # --- closed loop: constant voltage ----------------------------------
    def cv_currents(
        self,
        state: PackState,
        v_target: float,
        i_cap_a: float,
        i_end_a: float,
        n: int,
        faults: ChunkFaults,
    ) -> tuple[np.ndarray, bool, np.ndarray]:
        """Pack currents that hold the highest cell at ``v_target`` for up to ``n`` steps.

        The cell needing the least current to reach ``v_target`` limits the
        pack; it is followed step by step on scalars (cheap), the other cells are
        integrated afterwards for the whole chunk (the caller cuts the chunk if
        another cell takes over). The current never exceeds ``i_cap_a``; the
        phase ends (second value True) before the first step whose current would
        be below ``i_end_a``. Third value: the resistance factors (m, N) to
        integrate the chunk with: the limiting cell's own, taken every
        :data:`FACTOR_BLOCK_STEPS` from its temperature as the loop heats it;
        the others' from its heating (:meth:`_cv_factors`; a cell whose own
        departs from that ends the chunk, :meth:`consistent_steps`).
        """
        c = self.cells
        factor = self.resistance_factor(state.temperature_c)
        extra = np.zeros(self.n_cells)  # pack current that bypasses the cell in a short
        if faults.short_cell is not None:
            extra[faults.short_cell] = v_target / faults.short_ohm
        r0_all = c.r0_ohm * factor
        rc = state.v1_v + state.v2_v
        need = (v_target - c.ocv(state.soc_pct) - rc) / r0_all + extra
        lim = int(np.argmin(need))
        soc, v1, v2 = float(state.soc_pct[lim]), float(state.v1_v[lim]), float(state.v2_v[lim])
        r0_25, f0 = float(c.r0_ohm[lim]), float(factor[lim])
        c1, c2 = -self.c1, -self.c2
        k_soc = float(self.soc_per_a[lim])
        rs = faults.short_ohm if faults.short_cell == lim else math.inf
        bypass = float(extra[lim])
        ocv = self._ocv1
        r1, r2 = float(c.r1_ohm[lim]), float(c.r2_ohm[lim])
        a_th, g_th = float(self.a_th[lim]), float(self.g_th[lim])
        temp = float(state.temperature_c[lim])
        out = np.empty(n)
        lim_f: list[float] = []  # the limiting cell's factors, as block_ramp makes them
        starts: list[float] = []  # its temperatures at the blocks' starts
        theta = temp - self.ambient_c
        at_start, slope = f0, 0.0
        e1 = e2 = 0.0
        j = FACTOR_BLOCK_STEPS  # steps into the block
        for k in range(n):
            if j == FACTOR_BLOCK_STEPS:
                j = 0
                starts.append(theta + self.ambient_c)
                last, at_start = at_start, float(self.resistance_factor(starts[-1]))
                slope = (at_start - last) / FACTOR_BLOCK_STEPS if k else 0.0
                # each pair relaxes with time constant tau * (f at the block's start)
                e1, e2 = math.expm1(c1 / at_start), math.expm1(c2 / at_start)
            f = at_start + slope * j
            j += 1
            lim_f.append(f)
            r0 = r0_25 * f
            base = ocv(soc) + v1 + v2
            i_cell = (v_target - base) / r0
            i_pack = i_cell + bypass
            if i_pack > i_cap_a:
                i_pack = i_cap_a
                i_cell = i_pack - (base + r0 * i_pack) / (rs + r0)
            if i_pack < i_end_a:
                return out[:k], True, self._cv_factors(state, lim, starts, lim_f[:k])
            out[k] = i_pack
            theta = a_th * theta + g_th * (i_cell * i_cell * r0 + (v1 * v1 / r1 + v2 * v2 / r2) / f)
            soc += i_cell * k_soc
            v1 += e1 * (v1 - f * r1 * i_cell)  # towards f R1 I
            v2 += e2 * (v2 - f * r2 * i_cell)
        return out, False, self._cv_factors(state, lim, starts, lim_f)

    def _cv_factors(
        self, state: PackState, lim: int, starts: list[float], lim_f: list[float]
    ) -> np.ndarray:
        """The resistance factors (m, N) of a CV chunk: the limiting cell's as its loop
        took them; another cell's temperature relaxes from its own start and is
        heated as much as the limiting cell times their resistance ratio (one
        current through both)."""
        c = self.cells
        m = len(lim_f)
        theta0 = state.temperature_c - self.ambient_c
        decay = self.a_th[lim] ** (FACTOR_BLOCK_STEPS * np.arange(len(starts)))[:, None]
        forced = np.asarray(starts)[:, None] - self.ambient_c - decay * theta0[lim]
        ratio = c.r0_ohm / c.r0_ohm[lim]
        temp = decay * theta0 + forced * ratio + self.ambient_c
        factor = block_ramp(self.resistance_factor(temp), m)
        factor[:, lim] = lim_f
        return factor

    # --- closed loop: float (the pack voltage held) ----------------------
    def float_currents(
        self,
        state: PackState,
        v_pack: float,
        i_cap_a: float,
        n: int,
        faults: ChunkFaults,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pack currents (n,) that hold the pack at ``v_pack`` for ``n`` steps, the
        cells' side currents (n, N) and resistance factors (n, N, each cell's own,
        taken every :data:`FACTOR_BLOCK_STEPS`), for :meth:`integrate`.

        Cell i's voltage is ``base_i + R0_i (I - s_i)`` with ``base`` its OCV and RC
        voltages and ``s_i`` its side current: a short's ``v_i / R`` and a lead-acid
        runaway's recombination current at the cell's temperature. The charger
        supplies 0..``i_cap_a`` (it cannot sink current; at its limit the voltage
        sags). Solved per step on the N cells (the recombination current depends on
        the temperature, the temperature on its heat).
        """
        c = self.cells
        n_c = self.n_cells
        soc = state.soc_pct.copy()
        v1, v2 = state.v1_v.copy(), state.v2_v.copy()
        theta = state.temperature_c - self.ambient_c
        g = np.zeros(n_c)  # short conductance
        if faults.short_cell is not None:
            g[faults.short_cell] = 1.0 / faults.short_ohm
        r1, r2 = c.r1_ohm, c.r2_ohm
        factors = np.empty((n, n_c))
        rec = faults.recombination
        out = np.empty(n)
        side = np.zeros((n, n_c))
        ir = np.zeros(n_c)
        at_start = slope = np.zeros(n_c)
        for s in range(n):
            j = s % FACTOR_BLOCK_STEPS
            if j == 0:  # as block_ramp makes them
                last, at_start = at_start, self.resistance_factor(theta + self.ambient_c)
                slope = (at_start - last) / FACTOR_BLOCK_STEPS if s else np.zeros(n_c)
                e1, e2 = np.expm1(-self.c1 / at_start), np.expm1(-self.c2 / at_start)
            factor = factors[s] = at_start + slope * j
            r0 = c.r0_ohm * factor
            div = 1.0 + r0 * g
            sum_w = float((r0 / div).sum())
            base = c.ocv(soc) + v1 + v2
            if rec is not None:  # the string's: one current through every cell
                t_s = (state.index + s) * self.dt_s
                ir[:] = rec.current_a(t_s, float(theta.mean()) + self.ambient_c)
            i = (v_pack - float(((base - r0 * ir) / div).sum())) / sum_w
            i = min(max(i, 0.0), i_cap_a)
            v = (base + r0 * (i - ir)) / div
            sd = ir + g * v
            ic = i - sd
            heat = ic * ic * r0 + (v1 * v1 / r1 + v2 * v2 / r2) / factor + v * sd
            out[s] = i
            side[s] = sd
            soc += ic * self.soc_per_a
            v1 = v1 + e1 * (v1 - factor * r1 * ic)
            v2 = v2 + e2 * (v2 - factor * r2 * ic)
            theta = self.a_th * theta + self.g_th * heat
        return out, side, factors
