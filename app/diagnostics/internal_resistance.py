"""Internal resistance from current pulses: HPPC resistances and a 2-RC fit per pulse.

:func:`measure_internal_resistance` finds the steps and pulses in the current by
itself (:mod:`~app.diagnostics.pulse_detection`; ``step_index`` helps when
present). Each pulse (``pulses``, a list of plain dicts) has:

- ``start_time_s``, ``duration_s`` (None while still running: ``ongoing``),
  ``direction`` (charge/discharge: what the cell does during the pulse, the
  step's sign for a step to rest), ``from_rest``, ``current_a`` (the step:
  level minus the level before, positive = charge), ``current_before_a``,
  ``c_rate``, ``soc_percent``, ``temperature_c``, ``method`` ("fit"/"samples");
- ``r_ohmic_ohm`` (first sample at the new current, if within 2 s), ``r_2s_ohm``, ``r_10s_ohm``,
  ``r_30s_ohm``: the HPPC definition ``(V(t_s + tau) - V_before) / (I(t_s + tau)
  - I_before)`` (FreedomCAR Battery Test Manual for Power-Assist HEVs,
  DOE/ID-11069, 2003, sec. 3.3 and 4.2.1), None when the pulse is shorter than
  ``tau`` or the samples do not support a reading at ``t_s + tau``
  (:func:`~app.diagnostics.pulse_detection.reads_supported`, one rule for the readings
  from the samples, the read-out fit's and the cycles' DCIR: a cycler's row at the
  step's start and its next one 30 s later say nothing of the voltage 2 or 10 s in,
  and a line across that interval is no reading), or when the row before the step,
  ``V_before``, is older than 2 s and the voltage may have moved since by more than
  10 % of the reading's change (:func:`~app.diagnostics.pulse_detection.pre_step_supported`,
  the same readers: a cycler's last row of a rest still relaxing). A pulse that ends
  at ``t_s + tau`` (at most 2 s per 10 s after it) where the samples do not support a
  reading, in a log with ``step_index``, is read from its first row and the next
  step's, both at their steps' starts: the next step's first row less the jump the
  pulse's first row showed, scaled by the currents (superposition, no time constant
  assumed: :func:`~app.diagnostics.pulse_detection.step_rows_read`; the row before
  the step counts twice, its drift held to 5 % of the change; its ``r_*_std_ohm``
  that of three rows, ``sqrt(3)`` x two single readings' for a pulse from and back to
  rest): a 10 s HPPC pulse logged every 30 s, one row of its own, gets its 10 s
  reading. Numerator and denominator change sign together, so the values are
  positive for charge and discharge pulses. These are *pack* values (``voltage_v``);
- ``r_ohmic_std_ohm``, ``r_2s_std_ohm``, ``r_10s_std_ohm``, ``r_30s_std_ohm``:
  each of those pack values' one-sigma uncertainty from the voltage noise (None
  where the value is), see "Uncertainty" below;
- ``r_*_cell_ohm``: the pack value normalised to one cell (x parallel strings /
  series cells); ``cells``: the same read from each ``cell_<k>_v`` where the
  log has cell voltages (x parallel strings: one physical cell if the strings
  share the current), else None;
- ``r0_ohm``/``r0_cell_ohm``: the ohmic R0 of the read-out fit (below);
- ``fit``: the 2-RC model of the whole window (pulse and relaxation, up to 10
  min each; :mod:`~app.diagnostics.pulse_fit`): R0, R1, tau1, C1, R2, tau2,
  C2, the OCV slope, ``rmse_mv`` and per-parameter ``std``, per cell too;
  ``ok`` (R0 > 0, residual within 2.5x the voltage noise or 5 % of the pulse's
  voltage swing) and ``resolved`` (both pairs identified) say whether the
  summary may use it;
- ``fit_skipped``: None, or why the pulse got no fit (the fit budget, below);
- ``step_within_s``: how long before its first sample the step may have happened --
  the interval from the sample before, or 0 where a ``step_index`` change marks that
  sample as the step's start (a cycler logs a point at each step's start). A step
  seen up to that long late has part of the RC polarisation in its readings (R0 and
  the ohmic one most); the SOH compares them with what a new cell would read so
  (:mod:`~app.diagnostics.soh`);
- ``cell_v_before_v``: the pack voltage at the sample before the step over the series
  cells (from rest: the mean cell's OCV there; None where it is missing).

**Fit budget.** A fit costs ~2 ms, and a drive cycle or a log with a current
step every few seconds has thousands of pulses; so the fits are rationed per
*sample* (the cost to bound is per sample): a bucket holds up to
``PulseSettings.fit_budget_burst`` (32) fits and gains one per
``fit_budget_samples`` (10000) samples of log: at most ~130 fits (0.3-0.45 s)
per 1e6 samples. Each detected step takes one fit from the bucket, in detection
(time) order, decided when the step is detected -- by its global sample index,
so offline and live, however the blocks are cut, decide alike. A pulse from
rest (``from_rest``: the cleanest, HPPC-like ones) takes one whenever the
bucket holds one; any other pulse only while the bucket is more than half full,
so a burst of mid-drive steps cannot starve the next pulse from rest. An HPPC
test at 10 Hz (a couple of pulses per 36000 samples), one at 1 Hz of up to ~30
pulses (the bucket's start) are inside the budget: every pulse is fitted, the
numbers are those of an unrationed run. A long 1 Hz cycling log (a CC step
every ~6000 samples) gets a fit for about every other step once the first 32
are spent. A pulse without a fit is read from the raw samples
(``method: "samples"``, as when a fit cannot run), with ``fit``, ``r0_ohm``,
``r0_cell_ohm`` None and ``fit_skipped`` saying why.

**How the voltages are read.** With sensor noise single samples are not good
enough (2 mV on a 25 mV LFP pulse is 8 %), so the voltages of the definition
come from a *read-out fit*: the 2-RC model fitted to 120 s before the step
(whatever the current did there -- an HPPC regen pulse is fitted together with
the discharge pulse 40 s before it) through 10 s past the last read point (the
relaxation too for a short pulse), driven by the measured current; where the
step responds with amplitudes of its own (a real cell is not linear: PyBaMM's
regen pulse after a discharge pulse), F tests give the step a factor of its own
on the shared response (shrunk towards the shared one by ``1 - 1/F``: a factor that passes by
chance moves R10 by a fraction of its noise), or its own R0, R1, R2 -- not a step
from one held level, where that is not identifiable
(:func:`~app.diagnostics.pulse_fit.fit_pulse_response`); where the earlier pulses of
the step's sign in the log showed no such response of their own (a linear cell),
only a pulse's own 3-sigma evidence gives it one ("Pooled split test" there; the
tracker keeps those pulses' factors, ``fit["pooled_linear"]`` says which rule a
pulse got, and the fitted pulses are measured in step order, so that a pulse sees the
same earlier ones offline and live); on a slow log (under
~2.5 Hz: 10 samples in a 10 s pulse at 1 Hz) a step from one held level leaves
out the drift and OCV-slope columns where an F test says the window does not need
them (its "lean model": each costs noise at the read points). Where the model
cannot follow the window of a step longer than the read-out (RMS residual
above 1.2x the voltage noise: a real cell after earlier pulses of other sizes
and signs -- PyBaMM's LFP cell
after a 3C and a 2.25C pulse misses by 4 mV and read the voltage before a
following 1C step 3 mV low, its R10 up to 6 % low) but the same fit from the
level before the step on does (the earlier currents then only drive its RC
states), the read-out uses that one. Its curve is
read at exactly the definition's times (sample ``k-1`` before; ``t_s + tau``
into the pulse, the last pulse sample standing in when ``t_s + tau`` falls in
the last sample interval; only where the samples support a reading there, as above:
the curve between two samples far apart is the model's guess), plus the mean residual of the samples within 1 s of
the read point where that mean is significant (beyond 5 standard errors of the
voltage noise; 2 where the fit's RMS residual is above 1.2x the noise): where the model does not follow the data (a curved OCV near
full or empty) the read-out follows the data, while a good fit keeps all its
noise averaging. The currents are the mean of the level before the step and a
local mean around ``t_s + tau``. Where a fit cannot run (fewer than a dozen
samples) the raw samples are used (``method: "samples"``).

**Uncertainty** (``r_*_std_ohm``). How well a log pins a resistance depends on its
rate and its noise, not on the estimator alone: at 1 Hz an LFP regen pulse (~20
mV at 0.75C) has 10 samples of 2 mV noise, and its R10 scatters ~4 % rms (a
read-out knowing the cell's true time constants still ~2.6 %;
``benchmarks/bench_dcir_misses.py``), so no reading holds every pulse within
+-5 %. Each value says how far to trust it: the one-sigma of the read-out fit's
voltage change (the delta method on its solved coefficients and both time
constants, the residual variance from the fit --
:meth:`~app.diagnostics.pulse_fit.PulseModel.std_of`), where a read point was
corrected by the local samples their mean's sigma^2 / n instead, and in a window
the model does not follow (residual above 1.2x the noise) each end on the model
adds the residual the noise does not explain (rms^2 - sigma^2: an OCV knee near
empty is an error of the model, not averaged down); divided by the step. Read
from the samples: two single readings, sqrt(2) sigma / step. The current's noise
and gain error are not in it (5 mA on a 1C step is ~0.1 %). On the benchmark's
simulator runs (``bench_dcir.py --sim-rate 1 --first-seed 50 --seeds 10``) 95 %
of the errors are within two stated sigmas, and of the 392 of 580 pulses whose
two sigmas are within +-5 % none is outside it. Not in it: a real cell's departure
from the 2-RC model that the noise hides (PyBaMM's regen pulses at 1 Hz read 1-2 %
low on average, ``bench_dcir_layouts.py --per-pulse``), and what the log cannot
show: at 1 Hz a 10 s pulse's voltage at 10 s is the next step's sample, so its
last pulse sample (9 s) stands in, and the step's instant is known only to a
sample period -- that log value differs from the voltage 10 s after the true
step by 0.8-1.4 % rms on NMC, 1.1-1.9 % on LFP (up to 5.6 % on an LFP pulse near
empty; ``bench_dcir_definition.py``).

**SOC** of a pulse: the ``soc_percent`` column if the caller passes one (the
live engine does; ``measure_internal_resistance(..., soc_percent=...)``),
otherwise coulomb counting anchored on the OCV of the first sample
(:class:`~app.diagnostics.soc_coulomb.CoulombCountingSoc`), read just before the
step. Temperature: mean of ``temperature_c`` (else of the cell temperatures)
over the pulse's first 10 s, where its ohmic, fitted R0 and 10 s resistances are
read (a 6-minute 1C step warms an NMC cell by ~1.3 K: its mean over the whole step
put the R0 read at 25.1 degC at 26.3 degC, and the SOH's temperature correction
then overstated the resistance by ~3 %); and each ``cell_<k>_temp_c``'s mean there
(``cell_temperatures_c``, None without them: the SOH corrects each cell's share by
its own).

**Summary** (:mod:`~app.diagnostics.pulse_summary`): medians of r_ohmic, r_10s (pack, per cell) and R0; the ECM
parameters as medians over the ``ok`` fits that resolve both RC pairs (else all
``ok`` fits); median R10 in 10 % SOC bands and 5 degC temperature bands, by
direction too.

Offline and live are one code path: :class:`InternalResistanceTracker` buffers a
window around each detected step and measures it once the samples it needs
(history, pulse, relaxation) have arrived; a pulse still running at the end of
the data is measured provisionally in :meth:`~InternalResistanceTracker.result`
without changing the tracker. Results do not depend on how the samples were cut
into blocks.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.pulse_detection import (
    EVAL_TIMES_S,
    OHMIC_WITHIN_S,
    CurrentSpan,
    PulseSettings,
    first_departure,
    first_departures,
    hppc_resistances_raw,
    interp_within,
    median,
    no_pulses_reason,
    noise_sigma,
    noise_sigma_columns,
    noise_sigma_windows,
    noise_sigmas,
    pre_step_drift,
    pre_step_supported,
    reads_supported,
    step_candidates,
    step_rows_read,
    step_rows_sigma,
    step_rows_weight,
    window_sums,
)
from app.diagnostics.pulse_fit import PulseModel, column_stack, fit_pulse_response, nan_mean
from app.diagnostics.pulse_summary import InternalResistanceResult, summarize_pulses
from app.diagnostics.soc_coulomb import SOC_COLUMN, CoulombCountingSoc

#: A pulse's temperature is that of its first 10 s, up to its 10 s resistance.
TEMPERATURE_WITHIN_S = 10.0
assert TEMPERATURE_WITHIN_S in EVAL_TIMES_S

if TYPE_CHECKING:
    import pandas as pd

R_KEYS: tuple[str, ...] = ("r_ohmic_ohm", *(f"r_{tau:g}s_ohm" for tau in EVAL_TIMES_S))
R_CELL_KEYS: tuple[str, ...] = tuple(key[: -len("_ohm")] + "_cell_ohm" for key in R_KEYS)
#: each pack resistance's one-sigma uncertainty (see "Uncertainty")
R_STD_KEYS: tuple[str, ...] = tuple(key[: -len("_ohm")] + "_std_ohm" for key in R_KEYS)
#: half-width of the local current mean around t_s + tau (at least 2 samples)
_CURRENT_MEAN_HALF_S = 1.0
#: the residual mean around a read point: half-width (at least 3 samples), and
#: how many of its standard errors it must reach to count as a model misfit
#: (5: a chance trigger on white noise is ~1e-6 a read point; 3 fired on 1 of
#: ~500 noisy HPPC read-outs in the benchmark and made a 8 % error)
_RESIDUAL_HALF_S = 1.0
_RESIDUAL_SIGMAS = 5.0
#: ... 2 standard errors where the fit's RMS residual exceeds 1.2x the noise (the
#: model does not follow this window, e.g. LFP diffusion in PyBaMM)
_MISFIT_RATIO = 1.2
_RESIDUAL_SIGMAS_MISFIT = 2.0
#: an ECM fit is "ok" (used in the summary) when R0 > 0 and its RMS residual is
#: within 2.5x the voltage noise or 5 % of the pulse's voltage change
_FIT_OK_NOISE = 2.5
_FIT_OK_RELATIVE = 0.05
#: pooled split test: at least this many earlier factors of the step's sign, their
#: mean within this many standard errors of 0; the latest this many kept
_FACTOR_POOL_MIN = 3
_FACTOR_Z = 2.0
_FACTOR_POOL_MAX = 64
#: factors kept, the latest steps' (more than a pool: a pulse measured late, after
#: later steps' pulses, still finds its earlier ones)
_FACTORS_KEPT = 4 * _FACTOR_POOL_MAX
#: samples before a step over which the current noise is estimated
_NOISE_SAMPLES = 16
#: up to this many pulses measured together take their windows one by one
_FEW = 4


@dataclass
class _Step:
    """A detected step being followed (global sample indices)."""

    k: int
    k_level: int
    t_s: float
    level: float
    tol: float
    hist_start: int
    fit_from: int
    pre_start: int
    searched: int
    phase: str = "pulse"  # pulse -> post -> done, or pulse -> open -> done
    fit: bool = True  # granted a fit by the budget (decided at detection)
    end: int | None = None
    post_level: float = 0.0
    relax_s: float = 0.0
    record: dict | None = None


class _Buffer:
    """Columns of the samples still needed, with the global index of the first row.

    The rows live in preallocated arrays that grow geometrically: appending a
    live block copies the block only, not everything buffered (a pulse window
    is thousands of samples, a live block a hundred); ``cols`` holds views of
    the live rows.
    """

    #: rows allocated at least (a live pulse window at 10 Hz is ~2400 rows)
    MIN_CAPACITY = 4096

    def __init__(self):
        self.g0 = 0
        self.n = 0
        self._lo = 0  # first live row in the storage arrays
        self._store: dict[str, np.ndarray] = {}
        self.cols: dict[str, np.ndarray] = {}
        self._in_order: bool | None = None

    @property
    def end(self) -> int:
        return self.g0 + self.n

    def append(self, cols: dict[str, np.ndarray]) -> None:
        m = len(cols["t"])
        if not self._store and m >= self.MIN_CAPACITY:
            # the first block of an offline run: its arrays are the storage (only read
            # here; the next block moves the rows to new storage)
            self._store, self._lo, self.n = dict(cols), 0, m
            self._views()
            return
        cap = len(self._store["t"]) if self._store else 0
        if self._lo + self.n + m > cap:
            # move the live rows to the front of (larger if need be) storage
            need = self.n + m
            size = max(cap, 2 * need, self.MIN_CAPACITY) if self._store else self.MIN_CAPACITY
            store = {k: np.empty((size, *np.shape(v)[1:])) for k, v in cols.items()}
            for k, old in self.cols.items():
                store[k][: self.n] = old
            self._store, self._lo = store, 0
        a, b = self._lo + self.n, self._lo + self.n + m
        for k, v in cols.items():
            self._store[k][a:b] = v
        self.n += m
        self._views()

    def times_in_order(self) -> bool:
        """Whether the buffered times never decrease (kept until the rows change)."""
        if self._in_order is None:
            t = self.cols["t"]
            self._in_order = bool(np.all(t[1:] >= t[:-1]))
        return self._in_order

    def trim(self, keep_from: int) -> None:
        drop = keep_from - self.g0
        if drop <= 0:
            return
        self._lo += drop
        self.g0 += drop
        self.n -= drop
        self._views()

    def _views(self) -> None:
        self._in_order = None
        lo, hi = self._lo, self._lo + self.n
        self.cols = {k: v[lo:hi] for k, v in self._store.items()}

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]


class InternalResistanceTracker:
    """Incremental pulse resistance (the live twin of :func:`measure_internal_resistance`).

    Feed blocks in time order with :meth:`update`; :meth:`result` summarises
    everything seen so far. Adds no per-sample columns.
    """

    columns: tuple[str, ...] = ()

    def __init__(self, spec: BatterySpec, settings: PulseSettings | None = None):
        self.spec = spec
        self.settings = settings or PulseSettings()
        self.thr_a, self.tol_a, self.rest_a = self.settings.currents(spec)
        self._buf = _Buffer()
        self._scan = 0
        self._pending: list[_Step] = []
        self._records: list[dict] = []
        self._soc: CoulombCountingSoc | None = None
        self._use_block_soc: bool | None = None
        self._cell_cols: list[str] = []
        self._cell_temp_cols: list[str] = []
        self._has_step_index = False
        self._last_i = 0.0
        self.current_span = CurrentSpan()
        # fit budget: tokens in the bucket as of global sample index _bucket_k
        self._bucket = float(self.settings.fit_budget_burst)
        self._bucket_k = 0
        # pulses read from the samples, measured together at the end of _follow
        self._unfitted: list[tuple[_Step, int]] | None = None
        # fitted pulses, measured at the end of _follow in step order (a pulse's split
        # test uses the earlier pulses' factors: see "Pooled split test")
        self._fitted: list[tuple[_Step, int, int]] | None = None
        # the split test's step factors of the pulses measured so far, the latest
        # _FACTORS_KEPT steps', in step order: (global step index, samples its measuring
        # needed, step sign, factor, its variance)
        self._factors: list[tuple[int, int, float, float, float]] = []

    # --- input ---------------------------------------------------------------
    def _columns(self, block: SampleBlock) -> dict[str, np.ndarray]:
        n = len(block)
        if self._use_block_soc is None:  # decided once, on the first block
            self._use_block_soc = SOC_COLUMN in block
            self._cell_cols = schema.cell_voltage_columns(block.columns)
            self._cell_temp_cols = schema.cell_temperature_columns(block.columns)
            self._has_step_index = schema.STEP_INDEX in block
            if not self._use_block_soc:
                self._soc = CoulombCountingSoc(self.spec)
        cols = {
            "t": block[schema.TIME],
            "v": block[schema.VOLTAGE],
            "i": self._hold_current(block[schema.CURRENT]),
        }
        if schema.TEMPERATURE in block:
            cols["temp"] = block[schema.TEMPERATURE]
        else:
            temps = [block[c] for c in schema.cell_temperature_columns(block.columns)]
            if temps:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows
                    cols["temp"] = np.nanmean(temps, axis=0)
            else:
                cols["temp"] = np.full(n, np.nan)
        if self._use_block_soc:
            cols["soc"] = _column(block, SOC_COLUMN)
        else:
            cols["soc"] = self._soc.update(block)
        cols["step"] = _column(block, schema.STEP_INDEX)
        # each cell voltage a column of its own: a pulse's window is stacked when it
        # is measured (:meth:`_cells`), not every sample of the log
        for name in self._cell_cols + self._cell_temp_cols:
            cols[name] = _column(block, name)
        return cols

    def _cells(self, lo: int, hi: int) -> np.ndarray | None:
        """The cell voltages of buffer rows ``lo:hi`` side by side (None without cells)."""
        if not self._cell_cols:
            return None
        return column_stack([self._buf[name][lo:hi] for name in self._cell_cols])

    def _hold_current(self, i: np.ndarray) -> np.ndarray:
        """A dropped current reading (NaN) holds the last one (0 before the first):
        the current is taken not to have changed while unseen."""
        if np.isfinite(i).all():
            self._last_i = float(i[-1])
            return i
        idx = np.where(np.isfinite(i), np.arange(len(i)), -1)
        np.maximum.accumulate(idx, out=idx)
        held = np.where(idx >= 0, i[np.maximum(idx, 0)], self._last_i)
        self._last_i = float(held[-1])
        return held

    def update(self, block: SampleBlock) -> dict[str, np.ndarray]:
        """Consume one block (in time order). Returns no columns."""
        if len(block):
            cols = self._columns(block)
            self.current_span.add(cols["t"], cols["i"])
            self._buf.append(cols)
            self._advance()
        return {}

    def no_pulses_reason(self) -> str:
        """Why no pulse was found, as the current of the samples seen so far shows it."""
        step_a, _tol, rest_a = self.settings.currents(self.spec)
        return no_pulses_reason(self.current_span, step_a, rest_a)

    # --- detection and following -------------------------------------------
    def _advance(self) -> None:
        buf, s = self._buf, self.settings
        t, i = buf["t"], buf["i"]
        end = buf.end
        step = buf["step"] if self._has_step_index else None
        ks, kls = step_candidates(
            i,
            self._scan - buf.g0,
            end - 1 - buf.g0,
            thr=self.thr_a,
            tol=self.tol_a,
            settle=s.settle_samples,
            step_index=step,
        )
        ks, kls, tols, scan_to = self._held(ks, kls)
        self._scan = max(self._scan, scan_to)
        # the windows' first samples, for all the steps at once
        t_steps = t[ks]
        fit_froms = np.searchsorted(t, t_steps - s.pre_window_s, side="left").tolist()
        hists = np.searchsorted(t, t_steps - s.pre_window_s - s.history_s, side="left")
        pres = self._level_starts(ks, hists)
        # the mean current of each level before its step: whether the pulse is from rest
        # (sum / n: what np.mean computes, without its per-call overhead; many steps'
        # sums at once, the same values)
        if len(ks) > _FEW:
            pre_arr = np.array(pres, dtype=np.int64)
            i_pres = (window_sums(i, pre_arr, ks) / (ks - pre_arr)).tolist()
        else:
            i_pres = [
                float(i[pre:k_loc].sum()) / (k_loc - pre)
                for pre, k_loc in zip(pres, ks.tolist(), strict=True)
            ]
        for k_loc, kl_loc, tol, t_s, fit_from, hist, pre, i_pre in zip(
            ks.tolist(),
            kls.tolist(),
            tols.tolist(),
            t_steps.tolist(),
            fit_froms,
            hists.tolist(),
            pres,
            i_pres,
            strict=True,
        ):
            level = float(i[kl_loc])
            k = k_loc + buf.g0
            from_rest = abs(i_pre) <= self.rest_a
            self._pending.append(
                _Step(
                    k=k,
                    k_level=kl_loc + buf.g0,
                    t_s=t_s,
                    level=level,
                    tol=tol,
                    hist_start=hist + buf.g0,
                    fit_from=min(fit_from, k_loc - 2) + buf.g0,
                    pre_start=pre + buf.g0,
                    searched=kl_loc + 1 + buf.g0,
                    fit=self._take_fit(k, from_rest),
                )
            )
        self._follow(self._pending)
        still = []
        for st in self._pending:
            if st.phase == "done":
                if st.record is not None:
                    self._records.append(st.record)
            elif st.phase != "dropped":
                still.append(st)
        self._pending = still
        self._trim()

    def _level_starts(self, ks: np.ndarray, hists: np.ndarray) -> list[int]:
        """First sample of the level before each step ``ks`` (buffer indices): back from
        the step while the current stays within the tolerance of the sample before it,
        not before ``hists`` and within ``level_window_s``."""
        buf, s = self._buf, self.settings
        t, i = buf["t"], buf["i"]
        if not ks.size:
            return []
        if buf.times_in_order():
            # times in order: the samples older than the window are known without looking
            # at them (the first one not older), and the searches run all at once, as
            # first departures in the reversed buffer
            recent = np.searchsorted(t, t[ks - 1] - s.level_window_s, side="left")
            lo = np.maximum(hists, recent)
            n = len(i)
            r = first_departures(i[::-1], i[ks - 1], np.full(len(ks), self.tol_a), n - ks, n - lo)
            return np.minimum(n - r, ks - 1).tolist()  # (n - r: after the departure, or lo)
        pres = []
        for k_loc, lo in zip(ks.tolist(), hists.tolist(), strict=True):
            i_pre = float(i[k_loc - 1])
            bad = np.abs(i[lo:k_loc] - i_pre) > self.tol_a
            bad |= t[lo:k_loc] < t[k_loc - 1] - s.level_window_s
            bad_idx = np.flatnonzero(bad)
            pre = lo + (int(bad_idx[-1]) + 1 if bad_idx.size else 0)
            pres.append(min(pre, k_loc - 1))
        return pres

    def _take_fit(self, k: int, from_rest: bool) -> bool:
        """Whether the step at global index ``k`` gets a fit (see "Fit budget")."""
        s = self.settings
        cap = float(s.fit_budget_burst)
        self._bucket = min(cap, self._bucket + (k - self._bucket_k) / s.fit_budget_samples)
        self._bucket_k = k
        if self._bucket >= (1.0 if from_rest else 0.5 * cap + 1.0):
            self._bucket -= 1.0
            return True
        return False

    def _held(
        self, ks: np.ndarray, kls: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Keep the step candidates (buffer indices) whose new level is a pulse: not a
        rest, and held within the step's tolerance for ``min_pulse_s`` and two
        samples. Vectorised, so a drive cycle's thousands of current changes cost
        little. Returns the kept (k, k_level, tolerance) and the global index up to
        which candidates are decided (a candidate whose hold cannot be judged yet
        is looked at again with the next block)."""
        buf, s = self._buf, self.settings
        t, i = buf["t"], buf["i"]
        scan_to = buf.end - 1
        empty = np.empty(0, dtype=np.int64)
        if ks.size == 0:
            return empty, empty, np.empty(0), scan_to
        later_kl = kls >= buf.n  # a cycler step still ramping at the end of the data
        kls_c = np.minimum(kls, buf.n - 1)
        level = i[kls_c]
        i_pre = i[ks - 1]
        tol = np.maximum(
            np.minimum(self.tol_a, s.hold_relative * np.abs(level - i_pre)),
            s.hold_floor_c_rate * self.spec.pack_capacity_ah,
        )
        # current noise on the level before the step (for noisier sensors)
        lo = np.searchsorted(t, t[ks] - s.history_s - s.pre_window_s)
        first = np.maximum(ks - _NOISE_SAMPLES, lo)
        tol = np.maximum(tol, s.hold_noise_sigmas * noise_sigmas(i, first, ks))
        # a one-row pulse ends at the next step's row, whatever the noise estimate (on a
        # sparse log's few rows before the step it can span the steps before)
        one_row = self._one_row(kls_c, kls_c + 1)
        if one_row.any():
            nxt = i[np.minimum(kls_c + 1, buf.n - 1)]
            tol = np.where(one_row, np.minimum(tol, 0.5 * np.abs(nxt - level)), tol)
        need = np.maximum(kls + 2, np.searchsorted(t, t[kls_c] + s.min_pulse_s - 1e-9))
        later = (need >= buf.n) | later_kl
        if later.any():
            scan_to = buf.g0 + int(ks[np.argmax(later)])
            keep = ~later & (ks < ks[np.argmax(later)])
        else:
            keep = np.ones(len(ks), dtype=bool)
        keep &= np.abs(level) > self.rest_a  # a step to rest ends a pulse; it is not one
        span = np.where(later, 1, need - kls_c)
        width = int(span.max(initial=1))
        offs = np.arange(1, width)
        idx = np.minimum(kls_c[:, None] + offs[None, :], buf.n - 1)
        inside = offs[None, :] < span[:, None]
        off = (np.abs(i[idx] - level[:, None]) > tol[:, None]) & inside
        keep &= ~off.any(axis=1) | one_row
        return ks[keep], kls[keep], tol[keep], scan_to

    def _one_row(self, kl: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Whether pulses at their level from buffer row ``kl`` that end at row ``e``
        are one-row pulses of a cycler log: ``e = kl + 1``, both rows their steps'
        first (``step_index`` changes at ``kl`` and at ``e``) and at least
        ``min_pulse_s`` apart (a 10 s HPPC pulse logged every 30 s: read at its end by
        :func:`~app.diagnostics.pulse_detection.step_rows_read`)."""
        kl, e = np.asarray(kl, dtype=np.int64), np.asarray(e, dtype=np.int64)
        out = np.zeros(len(kl), dtype=bool)
        if not self._has_step_index or not len(kl):
            return out
        buf = self._buf
        t, step = buf["t"], buf["step"]
        inside = (e == kl + 1) & (kl >= 1) & (e < buf.n)
        a, b = np.where(inside, kl, 1), np.where(inside, e, 1)
        with np.errstate(invalid="ignore"):
            marked = (step[a] != step[a - 1]) & (step[b] != step[b - 1])
            marked &= np.isfinite(step[a]) & np.isfinite(step[a - 1]) & np.isfinite(step[b])
        long = t[b] - t[a] >= self.settings.min_pulse_s - 1e-9
        return inside & marked & long

    def _trim(self) -> None:
        buf, s = self._buf, self.settings
        if not buf.n:
            return
        t = buf["t"]
        keep = self._scan - s.settle_samples - 2
        t_ref = float(t[max(0, min(self._scan - 1 - buf.g0, buf.n - 1))])
        keep = min(
            keep,
            buf.g0 + int(np.searchsorted(t, t_ref - s.history_s - s.pre_window_s - 1.0)),
        )
        for st in self._pending:
            keep = min(keep, st.hist_start if st.phase in ("pulse", "post") else st.searched)
        buf.trim(max(keep, buf.g0))

    def _follow(self, steps: list[_Step]) -> None:
        """:meth:`_progress` of every step (not final), with the searches for the end of
        the pulses, then for the end of their relaxations, done for all steps at once
        (the same searches and decisions as one step after the other: the steps share
        nothing but the buffer, which they only read)."""
        self._unfitted, self._fitted = [], []
        try:
            self._follow_steps(steps)
            for st, win_end, decided in sorted(self._fitted, key=lambda x: x[0].k):
                self._measure_fitted(st, win_end, decided)
            self._measure_unfitted(self._unfitted)
        finally:
            self._unfitted = self._fitted = None

    def _follow_steps(self, steps: list[_Step]) -> None:
        buf, s = self._buf, self.settings
        t, i = buf["t"], buf["i"]
        g0, end = buf.g0, buf.end
        pulse = [st for st in steps if st.phase == "pulse"]
        post = [st for st in steps if st.phase == "post"]
        rest = [st for st in steps if st.phase not in ("pulse", "post")]
        if pulse:
            t_s = np.array([st.t_s for st in pulse])
            # first sample after the fit window of a long pulse (``end`` if not yet seen)
            caps = g0 + np.searchsorted(t, t_s + s.max_fit_pulse_s, side="right")
            starts = np.array([st.searched for st in pulse]) - g0
            stops = np.minimum(caps, end) - g0
            levels = np.array([st.level for st in pulse])
            tols = np.array([st.tol for st in pulse])
            found = first_departures(i, levels, tols, starts, stops)
            for st, cap, e, stop in zip(
                pulse, caps.tolist(), found.tolist(), stops.tolist(), strict=True
            ):
                self._progress(st, final=False, searched=(cap, None if e >= stop else e))
                if st.phase == "post":
                    post.append(st)  # (as _progress would go on with it)
        if post:
            t_e = np.array([float(t[st.end - g0]) for st in post])
            relax = np.array([st.relax_s for st in post])
            # first sample past the relaxation window (``end`` if not yet seen)
            stops_g = g0 + np.searchsorted(t, t_e + relax, side="right")
            starts = np.array([st.searched for st in post]) - g0
            stops = np.minimum(stops_g, end) - g0
            levels = np.array([st.post_level for st in post])
            found = first_departures(i, levels, np.full(len(post), self.tol_a), starts, stops)
            for st, stop_g, e, stop in zip(
                post, stops_g.tolist(), found.tolist(), stops.tolist(), strict=True
            ):
                self._progress(st, final=False, searched=(stop_g, None if e >= stop else e))
        for st in rest:
            self._progress(st, final=False)

    def _progress(
        self, st: _Step, *, final: bool, searched: tuple[int, int | None] | None = None
    ) -> None:
        """Move ``st`` on with the samples buffered so far (``final``: the data end here).

        ``searched``: the search of this phase already done (:meth:`_follow`): the end
        of its window (global index) and the departure found in it (buffer index), if
        any; the step then stops where a pulse turns to its relaxation."""
        buf, s = self._buf, self.settings
        t, i = buf["t"], buf["i"]
        g0, end = buf.g0, buf.end
        t_s = st.t_s
        if st.phase == "pulse":
            if searched is not None:
                cap, e = searched
            else:
                # first sample after the fit window of a long pulse (``end`` if not yet seen)
                cap = g0 + int(np.searchsorted(t, t_s + s.max_fit_pulse_s, side="right"))
                e = first_departure(i, st.level, st.tol, st.searched - g0, min(cap, end) - g0)
            if e is not None and e + g0 + 1 >= end and not final:
                st.searched = e + g0  # need the sample after the end to read the new level
                return
            if e is not None:
                e += g0
                duration = float(t[e - g0]) - t_s
                # "held": counted from the first sample at the level, at least two samples
                held = float(t[e - g0]) - float(t[st.k_level - g0])
                if held < s.min_pulse_s - 1e-9 or (
                    e - st.k_level < 2
                    and not self._one_row(np.array([st.k_level - g0]), np.array([e - g0]))[0]
                ):
                    st.phase = "dropped"
                    return
                st.end = e
                e_loc = e - g0
                moving = e_loc + 1 < buf.n and abs(i[e_loc + 1] - i[e_loc]) > self.tol_a
                e_level = e + 1 if moving else e
                st.post_level = float(i[e_level - g0])
                st.relax_s = min(max(duration, s.relax_min_s), s.relax_max_s)  # np.clip, scalar
                st.searched = e_level + 1
                st.phase = "post"
                if searched is not None:
                    return  # the relaxation's search is batched too
            elif cap <= st.k_level:
                # its level's first sample comes after the fit window (a log sampled
                # every 30 min): no sample to read a resistance from (it divided by zero)
                st.phase = "dropped"
                return
            elif cap <= end - 1:
                # longer than the fit window: measure its start now, follow its end
                self._measure(st, win_end=cap, decided=cap + 1)
                st.searched = cap
                st.phase = "open"
                return
            elif final:
                held = float(t[end - 1 - g0]) - float(t[st.k_level - g0])
                if held >= s.min_pulse_s - 1e-9 and end - 1 - st.k_level >= 2:
                    self._measure(st, win_end=end, decided=end)
                st.phase = "done"
                return
            else:
                st.searched = max(st.searched, end)
                return
        if st.phase == "post":
            if searched is not None:
                stop, w = searched
            else:
                t_e = float(t[st.end - g0])
                # first sample past the relaxation window (``end`` if not yet seen)
                stop = g0 + int(np.searchsorted(t, t_e + st.relax_s, side="right"))
                w = first_departure(
                    i, st.post_level, self.tol_a, st.searched - g0, min(stop, end) - g0
                )
            if w is not None:
                self._measure(st, win_end=w + g0, decided=w + g0 + 1)
                st.phase = "done"
            elif stop <= end - 1 or final:
                self._measure(st, win_end=min(stop, end), decided=min(stop + 1, end))
                st.phase = "done"
            else:
                st.searched = max(st.searched, end)
            return
        if st.phase == "open":
            e = first_departure(i, st.level, st.tol, st.searched - g0, end - g0)
            if e is not None:
                st.end = e + g0
                st.record["duration_s"] = float(t[e]) - t_s
                st.record["ongoing"] = False
                st.phase = "done"
            elif final:
                st.phase = "done"
            else:
                st.searched = max(st.searched, end)

    # --- measurement ---------------------------------------------------------
    def _measure(self, st: _Step, *, win_end: int, decided: int) -> None:
        """Measure ``st`` over the buffer up to ``win_end`` (global index) into ``st.record``;
        ``decided``: the samples (global count) the decision to measure it needed."""
        if not st.fit:
            # read from the samples: inside _follow with the others, at once
            if self._unfitted is not None:
                self._unfitted.append((st, win_end))
            else:
                self._measure_unfitted([(st, win_end)])
            return
        if self._fitted is not None:
            self._fitted.append((st, win_end, decided))  # in step order at the end of _follow
        else:
            self._measure_fitted(st, win_end, decided)

    def _measure_fitted(self, st: _Step, win_end: int, decided: int) -> None:
        """:meth:`_measure` of a pulse granted a fit; ``decided``: the samples (global
        count) the decision to measure it needed (see :meth:`_linear_so_far`)."""
        buf, s = self._buf, self.settings
        g0 = buf.g0
        lo, hi = st.hist_start - g0, win_end - g0
        t = buf["t"][lo:hi]
        i = buf["i"][lo:hi]
        v = buf["v"][lo:hi]
        cells = self._cells(lo, hi)
        k = st.k - st.hist_start
        kl = st.k_level - st.hist_start
        fit_from = st.fit_from - st.hist_start
        pre_level = st.pre_start - st.hist_start
        pulse_end = (st.end - st.hist_start) if st.end is not None else None
        last = (min(pulse_end, len(t)) if pulse_end is not None else len(t)) - 1
        t_s = float(t[k])
        # Two fits: the read-out fit covers what the definition needs (the pulse up to
        # its last read point plus a margin, and the relaxation of a short pulse),
        # so a long step's later trouble (the OCV cliff near empty) cannot bias
        # R10; the ECM fit covers the whole window (long steps pin R2/tau2).
        ro_end = len(t)
        horizon = t_s + max(EVAL_TIMES_S) + s.readout_margin_s
        long_step = pulse_end is None or pulse_end >= len(t) or float(t[pulse_end]) > horizon
        if long_step:
            ro_end = min(len(t), int(np.searchsorted(t, horizon, side="right")))

        sign = math.copysign(1.0, float(i[kl] - i[k - 1]))
        linear = self._linear_so_far(st.k, decided, sign)

        def fit(stop: int, start: int = fit_from) -> PulseModel | None:
            breaks = [x for x in (kl, pulse_end) if x is not None and x < stop]
            return fit_pulse_response(
                t[:stop],
                i[:stop],
                v[:stop],
                fit_from=start,
                k=k,
                breaks=breaks,
                cells=None if cells is None else cells[:stop],
                max_points=s.max_fit_points,
                flat_tol=self.tol_a,
                # a window that starts with the log: the cell was at rest before it
                start_settled=st.hist_start > 0,
                pooled_linear=linear,
            )

        model = readout = fit(ro_end) if st.fit else None
        ro_from = fit_from
        # the level before the step, back to the last other current in the window
        off = np.flatnonzero(np.abs(i[fit_from:k] - i[k - 1]) > self.tol_a)
        level_from = fit_from + int(off[-1]) + 1 if off.size else fit_from
        if long_step and model is not None and level_from + 2 < k:
            # a step's read-out window the 2-RC model does not follow (a real cell after
            # earlier pulses of other sizes and signs): the fit from the level before the
            # step on (the earlier pulses only drive its RC states) where that one does
            noise = noise_sigma(v[fit_from:ro_end])
            if model.rmse_v > _MISFIT_RATIO * noise:
                local = fit(ro_end, level_from)
                if local is not None and local.rmse_v <= _MISFIT_RATIO * noise:
                    model, ro_from = local, level_from
        # the ECM fit of the whole window, where it adds a relaxation; a step longer
        # than the fit window (a CC phase) keeps the read-out fit
        ecm_model = readout
        if st.fit and ro_end < len(t) and pulse_end is not None and pulse_end < len(t):
            ecm_model = fit(len(t))
        duration = (
            float(t[pulse_end]) - t_s if pulse_end is not None and pulse_end < len(t) else None
        )
        if model is None:  # the read-out fit could not run: read from the samples
            self._measure_unfitted([(st, win_end)])
            record = st.record
        else:
            lasted = duration if duration is not None else float(t[last]) - t_s
            # (sum / n: what np.mean computes, without its per-call overhead)
            i_pre = float(i[pre_level:k].sum()) / (k - pre_level)
            i_level = float(i[kl : last + 1].sum()) / (last + 1 - kl)
            eval_t: dict[str, float | None] = {"r_ohmic_ohm": float(t[kl])}
            # the read points the samples support (the fit's curve is no better than
            # the samples around a read point: none across a slow log's interval)
            taus = np.array(EVAL_TIMES_S)
            n_taus = len(taus)
            supported = reads_supported(
                t, t_s + taus, taus, np.full(n_taus, kl), np.full(n_taus, last + 1)
            ).tolist()
            unsupported = []  # (read from the step rows where they can: step_rows_read)
            for tau, sup in zip(EVAL_TIMES_S, supported, strict=True):
                ok = lasted >= tau - 1e-6 and sup
                eval_t[f"r_{tau:g}s_ohm"] = min(t_s + tau, float(t[last])) if ok else None
                if lasted >= tau - 1e-6 and not sup:
                    unsupported.append(tau)
            p = self.spec.parallel_strings
            pack: dict[str, float | None] = {}
            per_cell: dict[str, list[float | None]] | None = None
            with_cells = cells is not None and model.cell_coef is not None
            volts = column_stack([v, cells]) if with_cells else v[:, None]
            dv, dv_std = self._read_deltas(
                model, t[:ro_end], volts[:ro_end], k, kl, last, ro_from, eval_t
            )
            std: dict[str, float | None] = dict.fromkeys(R_KEYS)
            if cells is not None:
                per_cell = {key: [None] * cells.shape[1] for key in R_KEYS}
            half = self._current_half(t[kl : last + 1])
            # the row before the step, when older, taken while the voltage still moved
            drift = float(pre_step_drift(t, v, np.array([k]))[0])
            for key, x in eval_t.items():
                if x is not None and drift and not pre_step_supported(drift, dv[key][0]):
                    x = None
                if x is None:
                    pack[key] = None
                    continue
                di = self._local_current(t, i, kl, last, x, half) - i_pre
                pack[key] = _ratio(dv[key][0], di)
                std[key] = None if pack[key] is None else _ratio(dv_std[key], abs(di))
                if with_cells:
                    per_cell[key] = _cell_ratios(dv[key][1:], di, p)
            if unsupported and self._has_step_index and duration is not None:
                self._step_rows_fitted(
                    t, i, v, cells, lo, hi, k, kl, pulse_end, unsupported, pack, std, per_cell
                )
            record = self._record(st, lo + last, duration, i_pre, i_level, "fit", pack, per_cell)
            record.update(zip(R_STD_KEYS, (std[key] for key in R_KEYS), strict=True))
            # R0 of the read-out fit: the ohmic step, pinned by the samples right at the
            # step, unlike the long-window ECM fit which a curved OCV can distort
            r0 = model.step_resistances[0]
            record["r0_ohm"] = r0
            record["r0_cell_ohm"] = _scaled(r0, p / self.spec.series_cells)
        p, n_series = self.spec.parallel_strings, self.spec.series_cells
        if ecm_model is not None:
            fit = _fit_dict(ecm_model, p, n_series)
            span = abs(float(np.diff(ecm_model.voltage(np.array([t[k - 1], t[last]])))[0]))
            noise = noise_sigma(v[fit_from:])
            fit["ok"] = bool(
                ecm_model.step_resistances[0] > 0
                and ecm_model.rmse_v <= max(_FIT_OK_NOISE * noise, _FIT_OK_RELATIVE * span)
            )
            fit["readout_rmse_mv"] = model.rmse_v * 1000.0 if model is not None else None
            fit["pooled_linear"] = linear
            record["fit"] = fit
            if model is not None and model.step_factor is not None and fit["ok"]:
                bisect.insort(self._factors, (st.k, decided, sign, *model.step_factor))
                del self._factors[:-_FACTORS_KEPT]
        st.record = record

    def _step_rows_fitted(self, t, i, v, cells, lo, hi, k, kl, end, taus, pack, std, per_cell):
        """A fitted pulse's readings at the read times ``taus`` the samples do not
        support, from its first row and the next step's (:func:`step_rows_read`, as the
        readings from the samples: no fit), into ``pack``, ``std``, ``per_cell`` (window
        rows ``lo:hi`` of the buffer; ``end``: the pulse's end in the window)."""
        step = self._buf["step"][lo:hi]
        m = len(taus)
        kk, kla, ee = np.full(m, k), np.full(m, kl), np.full(m, end)
        taus = np.array(taus, dtype=float)
        got, dv_a, di_a = step_rows_read(t, v, i, step, kk, kla, ee, taus)
        got &= pre_step_supported(pre_step_drift(t, v, kk) * step_rows_weight(i, kk, ee), dv_a)
        if not got.any():
            return
        sel = np.flatnonzero(got)
        sigma = math.sqrt(2.0) * noise_sigma(v[: end + 1])
        factor = step_rows_sigma(i, kk, ee)
        cell_dv = None
        if per_cell is not None:
            cell_dv = [
                step_rows_read(t, cells[:, c], i, step, kk[sel], kla[sel], ee[sel], taus[sel])[1]
                for c in range(cells.shape[1])
            ]
        p = self.spec.parallel_strings
        for n_sel, q in enumerate(sel.tolist()):
            key = f"r_{taus[q]:g}s_ohm"
            di = float(di_a[q])
            pack[key] = _ratio(float(dv_a[q]), di)
            std[key] = None if pack[key] is None else _ratio(sigma * float(factor[q]), abs(di))
            if cell_dv is not None:
                per_cell[key] = _cell_ratios(np.array([d[n_sel] for d in cell_dv]), di, p)

    def _step_within(self, k: np.ndarray) -> list[float]:
        """How long before its first sample (buffer rows ``k``) each step may have
        happened: the interval from the sample before, or 0 where a ``step_index``
        change marks the sample as the step's start (a cycler logs a point there)."""
        t = self._buf["t"]
        within = t[k] - t[k - 1]
        if self._has_step_index:
            step = self._buf["step"]
            now, before = step[k], step[k - 1]
            marked = np.isfinite(now) & np.isfinite(before) & (now != before)
            within = np.where(marked, 0.0, within)
        return [float(x) if np.isfinite(x) else None for x in within]

    def _linear_so_far(self, k: int, decided: int, sign: float) -> bool:
        """Whether the pulses before step ``k`` with this step sign showed no response
        of their own (see "Pooled split test"): at least ``_FACTOR_POOL_MIN`` factors,
        their inverse-variance mean within ``_FACTOR_Z`` standard errors of 0; of the
        latest ``_FACTOR_POOL_MAX`` of those measured on no more samples than this one
        (``decided``). An earlier step's pulse measured on more (a long pulse that an
        earlier-ending one overlaps) is left out: live it is measured after this one
        when a block ends between the two, and offline it was counted (a drive's
        overlapping pulses differed live by up to 0.005 ohm, R_ohmic 2.9 -> -2.1 mOhm)."""
        near = [
            (c, v)
            for kk, dd, sg, c, v in self._factors
            if kk < k and dd <= decided and sg == sign and v > 0
        ][-_FACTOR_POOL_MAX:]
        if len(near) < _FACTOR_POOL_MIN:
            return False
        c, v = np.array(near).T
        return abs(float((c / v).sum())) < _FACTOR_Z * math.sqrt(float((1.0 / v).sum()))

    def _record(
        self,
        st: _Step,
        last: int,
        duration: float | None,
        i_pre: float,
        i_level: float,
        method: str,
        pack: dict[str, float | None],
        per_cell: dict[str, list[float | None]] | None,
        sigma: float | None = None,
    ) -> dict:
        """A pulse's record without its fit (``r0_ohm``, ``fit``: None); ``last``: the
        buffer index of its last sample; ``sigma``: the noise sigma of the pack voltage
        over buffer rows ``hist_start:last + 1``, if the caller has it."""
        values = [pack.get(key) for key in R_KEYS]
        return self._make_records(
            [st], [last], [duration], [i_pre], [i_level], method, [values], [per_cell], [sigma]
        )[0]

    def _make_records(
        self,
        steps: list[_Step],
        lasts: list[int],
        durations: list[float | None],
        i_pres: list[float],
        i_levels: list[float],
        method: str,
        packs: list[list[float | None]],
        per_cells: list[dict[str, list[float | None]] | None],
        sigmas: list[float | None],
    ) -> list[dict]:
        """:meth:`_record` of several pulses at once (the same values): ``packs`` the
        pack's readings in ``R_KEYS`` order. The window means of all pulses from one
        row sum per window length (:func:`window_sums`), the rest element by element."""
        buf = self._buf
        g0 = buf.g0
        t = buf["t"]
        k = np.array([st.k for st in steps], dtype=np.int64) - g0
        last = np.array(lasts, dtype=np.int64)
        i_pre = np.array(i_pres, dtype=float)
        i_level = np.array(i_levels, dtype=float)
        step_a = i_level - i_pre
        # what the cell does during the pulse: a step from 6C charge down to 1C charge
        # is a charge pulse, though its step is negative
        sense = np.where(np.abs(i_level) > self.rest_a, i_level, step_a)
        soc = buf["soc"][k - 1]
        soc_ok = np.isfinite(soc)
        # the temperature where the resistances are read (see the module docstring)
        t_read = np.array([st.t_s for st in steps]) + TEMPERATURE_WITHIN_S
        if len(steps) > _FEW and self._buf.times_in_order():
            # (times in order: the search in the window is the search in the buffer,
            # clipped to the window)
            end_t = np.maximum(np.minimum(np.searchsorted(t, t_read, "right"), last + 1), k)
        else:
            end_t = np.array(
                [
                    a + int(np.searchsorted(t[a : b + 1], x, "right"))
                    for a, b, x in zip(k.tolist(), lasts, t_read.tolist(), strict=True)
                ],
                dtype=np.int64,
            )
        names = self._cell_temp_cols
        # (the pack's and the cells' temperature columns over the same windows at once)
        per_col = _finite_means_cols([buf["temp"], *(buf.cols[c] for c in names)], k, end_t)
        temps = per_col[0]
        cell_temps = [list(row) for row in zip(*per_col[1:], strict=True)] if names else None
        scale = self.spec.parallel_strings / self.spec.series_cells
        # one sigma of each pack resistance from the voltage noise: read from the samples,
        # two single readings (the fit's own replaces it, :meth:`_measure`)
        sig = []
        for st, b, x, a in zip(steps, lasts, sigmas, step_a.tolist(), strict=True):
            if not a:
                x = 0.0
            elif x is None:
                x = noise_sigma(buf["v"][st.hist_start - g0 : b + 1])
            sig.append(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            std = (math.sqrt(2.0) * np.array(sig, dtype=float) / np.abs(step_a)).tolist()
        skipped = "fit budget: read from the samples (see the module docstring)"
        c_rate = (np.abs(i_level) / self.spec.pack_capacity_ah).tolist()
        within = self._step_within(k)
        # the mean cell's voltage at the sample before the step (a rest's: its OCV)
        v_before = (buf["v"][k - 1] / self.spec.series_cells).tolist()
        out = []
        for j, (st, values) in enumerate(zip(steps, packs, strict=True)):
            a = float(step_a[j])
            duration = durations[j]
            record: dict = {
                "start_time_s": st.t_s,
                "duration_s": duration,
                "ongoing": duration is None,
                "direction": "charge" if sense[j] > 0 else "discharge",
                "from_rest": abs(i_pres[j]) <= self.rest_a,
                "current_a": a,
                "current_before_a": i_pres[j],
                "c_rate": c_rate[j],
                "soc_percent": float(soc[j]) if soc_ok[j] else None,
                "temperature_c": temps[j],
                # each cell's own, where it has a sensor (the SOH corrects each cell's share)
                "cell_temperatures_c": None if cell_temps is None else cell_temps[j],
                "method": method,
            }
            record.update(zip(R_KEYS, values, strict=True))
            for x, cell_key in zip(values, R_CELL_KEYS, strict=True):
                record[cell_key] = None if x is None else float(x * scale)
            record["r0_ohm"] = None
            record["r0_cell_ohm"] = None
            record["cells"] = per_cells[j]
            record["fit"] = None
            record["fit_skipped"] = None if st.fit else skipped
            record["step_within_s"] = within[j]
            record["cell_v_before_v"] = v_before[j] if math.isfinite(v_before[j]) else None
            sd = std[j] if a != 0.0 else None
            for x, std_key in zip(values, R_STD_KEYS, strict=True):
                record[std_key] = None if x is None else sd
            out.append(record)
        return out

    def _cell_temperatures(self, lo: int, hi: int) -> list[float | None] | None:
        """Each cell temperature column's :func:`_finite_mean` over buffer rows
        ``lo:hi`` (None without such columns)."""
        got = self._cell_temperatures_at(np.array([lo]), np.array([hi]))
        return None if got is None else got[0]

    def _cell_temperatures_at(self, lo: np.ndarray, hi: np.ndarray) -> list[list] | None:
        """:meth:`_cell_temperatures` of the windows ``lo[j]:hi[j]``, all at once (each
        column's :func:`_finite_means`; None without such columns)."""
        names = self._cell_temp_cols
        if not names:
            return None
        cols = self._buf.cols
        per_col = _finite_means_cols([cols[c] for c in names], lo, hi)
        return [list(row) for row in zip(*per_col, strict=True)]

    def _measure_unfitted(self, items: list[tuple[_Step, int]]) -> None:
        """Measure pulses ``(step, window end)`` from the raw samples (``method:
        "samples"``, no fit) into their records, all at once."""
        if not items:
            return
        buf = self._buf
        g0 = buf.g0
        t, i = buf["t"], buf["i"]
        ended = [st.end is not None and st.end < win_end for st, win_end in items]
        lasts = [
            (st.end if e else win_end) - g0 - 1
            for (st, win_end), e in zip(items, ended, strict=True)
        ]
        last = np.array(lasts, dtype=np.int64)
        k = np.array([st.k for st, _ in items], dtype=np.int64) - g0
        kl = np.array([st.k_level for st, _ in items], dtype=np.int64) - g0
        pre = np.array([st.pre_start for st, _ in items], dtype=np.int64) - g0
        # the pack voltage's noise over each pulse's window, all at once (the same values)
        sigmas = noise_sigma_windows(
            buf["v"], [st.hist_start - g0 for st, _ in items], last + 1
        ).tolist()
        durations = [
            float(t[st.end - g0]) - st.t_s if e else None
            for (st, _), e in zip(items, ended, strict=True)
        ]
        # (sum / n: what np.mean computes, without its per-call overhead)
        i_pre = (window_sums(i, pre, k) / (k - pre)).tolist()
        i_level = (window_sums(i, kl, last + 1) / (last + 1 - kl)).tolist()
        packs, per_cells, std_factors = self._raw_readings(items)
        records = self._make_records(
            [st for st, _ in items],
            lasts,
            durations,
            i_pre,
            i_level,
            "samples",
            packs,
            per_cells,
            sigmas,
        )
        for record, factors in zip(records, std_factors, strict=True):
            for key, f in factors.items():  # (read from the step rows: three rows)
                std_key = R_STD_KEYS[R_KEYS.index(key)]
                if record[std_key] is not None:
                    record[std_key] *= f
        for (st, _), record in zip(items, records, strict=True):
            st.record = record

    def _raw_readings(
        self, items: list[tuple[_Step, int]]
    ) -> tuple[
        list[list[float | None]],
        list[dict[str, list[float | None]] | None],
        list[dict[str, float]],
    ]:
        """:func:`hppc_resistances_raw` of pulses ``(step, window end)``, all at once: the
        pack's readings (in ``R_KEYS`` order) and the cells' (x parallel strings; None
        without cell voltages), and per pulse the keys read from the step rows
        (:func:`step_rows_read`) with the factor their noise sigma is of two single
        readings' (:func:`step_rows_sigma`)."""
        buf = self._buf
        g0 = buf.g0
        t, i, v = buf["t"], buf["i"], buf["v"]
        cells = [buf[name] for name in self._cell_cols] or None
        p = self.spec.parallel_strings
        m = len(items)
        k = np.array([st.k for st, _ in items], dtype=np.int64) - g0
        kl = np.array([st.k_level for st, _ in items], dtype=np.int64) - g0
        win = np.array([w for _, w in items], dtype=np.int64) - g0
        # the pulse's samples end at its end, or at the window's for one still running
        stop = np.array([w if st.end is None else min(st.end, w) for st, w in items]) - g0
        columns = [v] if cells is None else [v, *cells]
        step = buf["step"] if self._has_step_index else None
        # the step rows are read only where the pulse ended inside the window
        ended = np.array([st.end is not None and st.end < w for st, w in items], dtype=bool)
        if not buf.times_in_order():  # (interp_within needs the times in order)
            packs, per_cells, factors = [], [], []
            for (st, _), a, b, c, w, e in zip(
                items,
                k.tolist(),
                kl.tolist(),
                stop.tolist(),
                win.tolist(),
                ended.tolist(),
                strict=True,
            ):
                lo = st.hist_start - g0
                cols = [x[lo:w] for x in columns]
                steps = step[lo:w] if step is not None and e else None
                pack, *raw_cells = hppc_resistances_raw(
                    t[lo:w], cols, i[lo:w], a - lo, b - lo, c - lo, step_index=steps
                )
                per_cell = None
                if cells is not None:
                    per_cell = {key: [_scaled(r[key], p) for r in raw_cells] for key in R_KEYS}
                factors.append(pack.pop("step_rows", {}))
                packs.append([pack.get(key) for key in R_KEYS])
                per_cells.append(per_cell)
            return packs, per_cells, factors
        # the same operations as hppc_resistances_raw, one pulse a row; r_ohmic_ohm and
        # then one column per read time (R_KEYS), NaN and not ``ok`` where None
        taus = np.array(EVAL_TIMES_S)
        t_s = t[k]
        i0 = i[k - 1]
        di = i[kl] - i0
        duration = t[np.minimum(stop, win - 1)] - t_s
        read = (kl < stop)[:, None] & ~(duration[:, None] < taus[None, :] - 1e-6)
        rows, cols = np.nonzero(read)
        # what the samples support (no reading across a slow log's interval)
        sup = reads_supported(t, t_s[rows] + taus[cols], taus[cols], kl[rows], stop[rows])
        # else, a pulse that ended in the window: from its first row and the next step's
        ra, ca = rows[~sup], cols[~sup]
        if step is not None and ra.size:
            ra, ca = ra[ended[ra]], ca[ended[ra]]
        else:
            ra = ca = ra[:0]
        rows, cols = rows[sup], cols[sup]
        te = np.minimum(t_s[rows] + taus[cols], t[np.maximum(stop - 1, 0)][rows])
        lo, hi = kl[rows], stop[rows]
        dii = interp_within(te, t, i, lo, hi) - i0[rows]
        ok = np.zeros((m, 1 + len(taus)), dtype=bool)
        ok[:, 0] = (di != 0) & (t[kl] - t_s <= OHMIC_WITHIN_S + 1e-6)
        ok[rows, cols + 1] = dii != 0
        ok_rows = ok.tolist()
        values = []
        with np.errstate(divide="ignore", invalid="ignore"):
            for x in columns:
                v0 = x[k - 1]
                r = np.full(ok.shape, np.nan)
                r[:, 0] = (x[kl] - v0) / di
                r[rows, cols + 1] = (interp_within(te, t, x, lo, hi) - v0[rows]) / dii
                values.append(r)
        # the row before the step, when older, taken while the voltage still moved:
        # the pack's voltage changes decide for the cells too (pre_step_drift)
        drift = pre_step_drift(t, v, k)
        if drift.any():
            v0 = v[k - 1]
            dv_pack = np.zeros(ok.shape)
            dv_pack[:, 0] = v[kl] - v0
            dv_pack[rows, cols + 1] = interp_within(te, t, v, lo, hi) - v0[rows]
            ok &= pre_step_supported(drift[:, None], dv_pack)
            ok_rows = ok.tolist()
        factors: list[dict[str, float]] = [{} for _ in range(m)]
        if ra.size:
            # (the row before the step enters twice: its drift weighted, step_rows_weight)
            ka, kla, ea, tau_a = k[ra], kl[ra], stop[ra], taus[ca]
            got, dv_a, di_a = step_rows_read(t, v, i, step, ka, kla, ea, tau_a)
            drift_a = pre_step_drift(t, v, ka) * step_rows_weight(i, ka, ea)
            got &= pre_step_supported(drift_a, dv_a)
            ra, ca, ka, kla, ea, tau_a = (x[got] for x in (ra, ca, ka, kla, ea, tau_a))
            if ra.size:
                di_a = di_a[got]
                with np.errstate(divide="ignore", invalid="ignore"):
                    for x, r in zip(columns, values, strict=True):
                        dvx = step_rows_read(t, x, i, step, ka, kla, ea, tau_a)[1]
                        r[ra, ca + 1] = dvx / di_a
                ok[ra, ca + 1] = True
                ok_rows = ok.tolist()
                sig = step_rows_sigma(i, ka, ea).tolist()
                for j, c, f in zip(ra.tolist(), ca.tolist(), sig, strict=True):
                    factors[j][R_KEYS[c + 1]] = f
        pack_rows = values[0].tolist()
        packs = [
            [x if y else None for x, y in zip(row, oks, strict=True)]
            for row, oks in zip(pack_rows, ok_rows, strict=True)
        ]
        if cells is None:
            return packs, [None] * m, factors
        # (each cell's readings, one list of pulses a cell and key: then per pulse)
        cell_rows = [(r * p).T.tolist() for r in values[1:]]
        per_cells = []
        for j in range(m):
            oks = ok_rows[j]
            per_cells.append(
                {
                    key: [c[q][j] for c in cell_rows] if oks[q] else [None] * len(cell_rows)
                    for q, key in enumerate(R_KEYS)
                }
            )
        return packs, per_cells, factors

    @staticmethod
    def _read_deltas(
        model: PulseModel,
        t: np.ndarray,
        volts: np.ndarray,
        k: int,
        kl: int,
        last: int,
        fit_from: int,
        eval_t: dict[str, float | None],
    ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """V(t_s + tau) - V_before for every read point and voltage column (pack, cells),
        and the one-sigma uncertainty of the pack's (from the fit's noise).

        ``model``: fitted on ``t`` from sample ``fit_from`` on. From the fitted curve,
        plus the mean residual of the samples around each
        read point *when it is significant* (beyond 5 standard errors of the
        white noise estimated from the window): where the 2-RC model does not
        follow the data (a curved OCV near full or empty) the read-out follows
        the data, while a good fit keeps its full noise averaging.
        """
        with_cells = volts.shape[1] > 1
        # (the model was fitted on this window from ``fit_from``: its rows at those
        # samples are kept, the same as model.rows(t[fit_from:]))
        resid = volts[fit_from:] - model.sample_rows @ model.coefs(cells=with_cells)
        sigma = noise_sigma_columns(volts[fit_from:])
        # a window the model is known not to follow (residual well above the noise)
        # gets its local corrections at a lower bar
        rms = np.sqrt(nan_mean(resid**2))
        bar = np.where(rms > _MISFIT_RATIO * sigma, _RESIDUAL_SIGMAS_MISFIT, _RESIDUAL_SIGMAS)
        # the bar each column's mean residual must pass, before its 1 / sqrt(n)
        bar_sigma = bar * sigma
        finite = bool(np.isfinite(resid).all())

        # the model at every read point: the design rows of all at once (element by
        # element in time), each multiplied on its own as a one-point prediction
        xs = [x for x in eval_t.values() if x is not None]
        points = [float(t[k - 1]), *xs]
        design = model.rows(np.array(points))
        coefs = model.coefs(cells=with_cells)
        bases = np.array([(design[j : j + 1] @ coefs)[0] for j in range(len(points))])

        def means(xs: list[float], lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
            """Mean residual of the samples ``lo:hi`` within the half-width of each
            point ``xs`` (at least the 3 nearest), and how many samples: (points,
            columns) and (points,)."""
            tt = t[lo:hi]
            half = _RESIDUAL_HALF_S
            if len(tt) > 1:
                half = max(half, 1.5 * median(np.diff(tt)))
            # (the test of all points at once, element by element as one at a time)
            inside = np.abs(tt[:, None] - np.array(xs)[None, :]) <= half
            counts = inside.sum(axis=0).tolist()
            firsts = inside.argmax(axis=0).tolist() if len(tt) else [0] * len(xs)
            rows, sizes = [], []
            for j, (x, n, a) in enumerate(zip(xs, counts, firsts, strict=True)):
                if n >= 3 and inside[a : a + n, j].all():
                    # (one run of samples: a slice, the same rows as the gather below)
                    r = resid[lo + a - fit_from : lo + a + n - fit_from]
                else:
                    near = np.flatnonzero(inside[:, j]) + lo
                    if near.size < 3:
                        near = lo + np.argsort(np.abs(tt - x), kind="stable")[:3]
                    r, n = resid[near - fit_from], near.size
                if finite:  # (np.nansum's and the count's values without their overhead)
                    rows.append(r.sum(axis=0) / n)
                else:
                    ok = np.isfinite(r)
                    total = np.nansum(r, axis=0) / np.maximum(ok.sum(axis=0), 1)
                    rows.append(np.where(ok.any(axis=0), total, 0.0))
                sizes.append(n)
            return np.array(rows), np.array(sizes)

        def corrected(bases: np.ndarray, xs: list[float], lo: int, hi: int):
            mean, n_near = means(xs, lo, hi)
            significant = np.abs(mean) > bar_sigma / np.sqrt(n_near)[:, None]
            # the pack's reading: from the model, or (corrected) the local samples' mean
            local = np.where(significant[:, 0], sigma[0] ** 2 / n_near, np.nan)
            return bases + np.where(significant, mean, 0.0), local

        before, local_b = corrected(bases[:1], points[:1], fit_from, k)
        before = before[0]
        if not xs:
            return {}, {}
        after, local_a = corrected(bases[1:], xs, kl, last + 1)
        after = after - before
        keys = [key for key, x in eval_t.items() if x is not None]
        # the pack's change's one-sigma: the model's (delta method) where both ends are
        # its curve; a corrected end is the local samples' mean, of variance sigma^2 / n.
        # In a window the model does not follow, each end on its curve may be off by
        # what the noise does not explain of the residual (rms^2 - sigma^2): an error
        # of the model, not averaged down by the fit (a curved or kinked OCV)
        misfit = float(rms[0]) > _MISFIT_RATIO * float(sigma[0])
        discrepancy = float(rms[0]) ** 2 - float(sigma[0]) ** 2 if misfit else 0.0
        # (all read points at once: one row of weights on [before, *xs] each)
        local = np.concatenate([local_b, local_a])
        on_model = np.isnan(local)
        weights = np.zeros((len(xs), len(points)))
        weights[:, 0] = -1.0 * on_model[0]
        weights[np.arange(len(xs)), np.arange(1, len(points))] = on_model[1:]
        var = model.std_of(np.array(points), weights) ** 2
        var += discrepancy * (on_model[0] + on_model[1:])
        var += np.where(on_model[0], 0.0, local[0]) + np.where(on_model[1:], 0.0, local[1:])
        stds = dict(zip(keys, np.sqrt(var).tolist(), strict=True))
        return dict(zip(keys, after, strict=True)), stds

    @staticmethod
    def _local_current(
        t: np.ndarray, i: np.ndarray, kl: int, last: int, x: float, half: float | None = None
    ) -> float:
        """Mean current of the pulse samples near time ``x`` (noise-averaged "I(t)");
        ``half``: the averaging half-width if already known (:meth:`_current_half`)."""
        tp = t[kl : last + 1]
        if half is None:
            half = InternalResistanceTracker._current_half(tp)
        lo = int(np.searchsorted(tp, x - half, side="left"))
        hi = int(np.searchsorted(tp, x + half, side="right"))
        if hi <= lo:
            lo, hi = max(0, min(lo, len(tp) - 1)), max(0, min(lo, len(tp) - 1)) + 1
        return float(np.mean(i[kl + lo : kl + hi]))

    @staticmethod
    def _current_half(tp: np.ndarray) -> float:
        """Half-width of the local current mean over the pulse samples' times ``tp``."""
        half = _CURRENT_MEAN_HALF_S
        if len(tp) > 1:
            half = max(half, 2.0 * median(np.diff(tp)))
        return half

    # --- output --------------------------------------------------------------
    def result(self) -> InternalResistanceResult:
        """Summary over everything seen so far (open pulses measured provisionally)."""
        records = list(self._records)
        factors = list(self._factors)  # (the provisional measurements leave them)
        try:
            for st in self._pending:
                tmp = dataclasses.replace(st, record=dict(st.record) if st.record else None)
                self._progress(tmp, final=True)
                if tmp.phase == "done" and tmp.record is not None:
                    records.append(tmp.record)
        finally:
            self._factors = factors
        records.sort(key=lambda r: r["start_time_s"])
        return summarize_pulses(records, self.spec, self)

    @property
    def voltage_source(self) -> str:
        if self._cell_cols:
            return (
                f"pack voltage_v; per cell from {self._cell_cols[0]}..{self._cell_cols[-1]}"
                f" ({len(self._cell_cols)} series cells)"
            )
        return "pack voltage_v only (no cell voltages in the data)"


def _ratio(dv: float, di: float) -> float | None:
    return float(dv / di) if di and np.isfinite(dv) and np.isfinite(di) else None


def _cell_ratios(dv: np.ndarray, di: float, factor: float) -> list[float | None]:
    """``[_scaled(_ratio(d, di), factor) for d in dv]``, the same values, at once."""
    if not (di and math.isfinite(di)):
        return [None] * len(dv)
    values = (dv / di * factor).tolist()
    return [x if ok else None for x, ok in zip(values, np.isfinite(dv).tolist(), strict=True)]


def _scaled(x: float | None, factor: float) -> float | None:
    return None if x is None else float(x * factor)


def _column(block: SampleBlock, name: str) -> np.ndarray:
    """Column ``name`` of ``block``; NaN where it has none (made only then, not as a
    ``block.get`` default built on every call)."""
    values = block.get(name)
    return np.full(len(block), np.nan) if values is None else values


def _finite_mean(x: np.ndarray) -> float | None:
    x = x[np.isfinite(x)]
    return float(x.sum()) / x.size if x.size else None  # np.mean's value, less overhead


def _finite_means(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[float | None]:
    """:func:`_finite_mean` of ``x[lo[j]:hi[j]]`` for each j, the same values: the
    windows without a non-finite value from :func:`window_sums`, the others each on
    its own."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    n = hi - lo
    if not len(lo):
        return []
    # (the span of the windows only: one pulse's record reads a few samples of the log)
    base = int(lo.min())
    x = x[base : max(int(lo.max()), int(hi.max()))]
    lo, hi = lo - base, np.maximum(hi - base, lo - base)
    bad = ~np.isfinite(x)
    if bad.any():
        # (windows with a non-finite value: a count of them up to each sample)
        before = np.concatenate(([0], np.cumsum(bad)))
        clean = before[hi] == before[lo]
    else:
        clean = np.ones(len(lo), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        means = (window_sums(x, lo, hi, where=clean & (n > 0)) / n).tolist()
    out: list[float | None] = [None] * len(lo)
    for j, (ok, m) in enumerate(zip(clean.tolist(), n.tolist(), strict=True)):
        if ok:
            out[j] = means[j] if m > 0 else None
        else:
            out[j] = _finite_mean(x[lo[j] : lo[j] + m])
    return out


#: :func:`_finite_means_cols` takes up to this many windows one at a time, all columns at once
_FEW_WINDOWS = 4


def _finite_means_cols(
    xs: list[np.ndarray], lo: np.ndarray, hi: np.ndarray
) -> list[list[float | None]]:
    """``[_finite_means(x, lo, hi) for x in xs]``, the same values. A fitted pulse's
    record reads one window of the pack's and every cell's temperature column (17 on
    a 16-cell pack): for a few windows, each window's slices of all columns stacked
    as the rows of one array, checked and summed by rows at once (a row's pairwise
    sum along its contiguous axis is the slice's own) instead of ~30 numpy calls per
    column."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    if len(lo) > _FEW_WINDOWS or len(xs) < 2 or any(x.dtype != np.float64 for x in xs):
        return [_finite_means(x, lo, hi) for x in xs]
    out: list[list[float | None]] = [[None] * len(lo) for _ in xs]
    for j, (a, b) in enumerate(zip(lo.tolist(), hi.tolist(), strict=True)):
        n = b - a
        if n <= 0:
            continue
        block = np.stack([x[a:b] for x in xs])
        clean = np.isfinite(block).all(axis=1).tolist()
        means = (block.sum(axis=1) / n).tolist()
        for c, ok in enumerate(clean):
            out[c][j] = means[c] if ok else _finite_mean(block[c])
    return out


def _fit_dict(m: PulseModel, p: int, n_series: int) -> dict:
    r0, r1, r2 = m.step_resistances
    out = {
        "r0_ohm": r0,
        "r1_ohm": r1,
        "tau1_s": m.tau1_s,
        "c1_f": m.tau1_s / r1 if r1 > 0 else None,
        "r2_ohm": r2,
        "tau2_s": m.tau2_s,
        "c2_f": m.tau2_s / r2 if r2 > 0 else None,
        "ocv_slope_v_per_ah": float(m.coef[5]) * 3600.0,
        "rmse_mv": m.rmse_v * 1000.0,
        "n_points": m.n_points,
        "own_step_response": m.split,
        "at_bound": m.at_bound,
        "window_s": m.span_s,
        "resolved": _resolved(m),
        "std": dict(m.std),
        "r0_cell_ohm": r0 * p / n_series,
        "r1_cell_ohm": r1 * p / n_series,
        "r2_cell_ohm": r2 * p / n_series,
    }
    cells = m.cell_step_resistances()
    if cells is not None:
        out["cells"] = {
            "r0_ohm": [float(x) * p for x in cells[0]],
            "r1_ohm": [float(x) * p for x in cells[1]],
            "r2_ohm": [float(x) * p for x in cells[2]],
            "rmse_mv": [float(x) * 1000.0 for x in m.cell_rmse_v],
        }
    return out


def _resolved(m: PulseModel) -> bool:
    """Both RC pairs identified: time constants well inside the window, neither pair
    negligible (otherwise the "second pair" is a lumped slow drift)."""
    r0, r1, r2 = m.step_resistances
    total = abs(r0) + abs(r1) + abs(r2)
    return bool(
        not m.at_bound and m.tau2_s <= m.span_s / 2.0 and total > 0 and min(r1, r2) >= 0.02 * total
    )


def measure_internal_resistance(
    df: pd.DataFrame,
    spec: BatterySpec,
    *,
    soc_percent: np.ndarray | None = None,
    settings: PulseSettings | None = None,
) -> InternalResistanceResult:
    """Pulse resistances of a log in the canonical schema (see the module docstring).

    ``soc_percent``: optional per-sample SOC series to tag the pulses with
    (otherwise coulomb counting from the OCV of the first sample).
    """
    tracker = InternalResistanceTracker(spec, settings)
    cols = {c: df[c].to_numpy(dtype=float) for c in df.columns if _wanted(c)}
    if soc_percent is not None:
        cols[SOC_COLUMN] = np.asarray(soc_percent, dtype=float)
    tracker.update(SampleBlock(cols))
    return tracker.result()


def _wanted(column: str) -> bool:
    return column in (
        schema.TIME,
        schema.VOLTAGE,
        schema.CURRENT,
        schema.TEMPERATURE,
        schema.STEP_INDEX,
        SOC_COLUMN,
    ) or bool(schema.CELL_VOLTAGE_RE.match(column) or schema.CELL_TEMPERATURE_RE.match(column))
