"""The pack simulator: model + profile + faults + sensors -> canonical sample blocks.

:class:`PackSimulator` steps the true state and exposes it (ground truth for
diagnostics benchmarks); :func:`simulate` is the one-call API of the CLI and the
tests.

Output columns: ``time_s``, ``voltage_v`` (pack terminal voltage, its own
sensor), ``current_a`` (pack, positive = charging), ``temperature_c`` (the
**hottest** cell temperature sensor, as a BMS reports it for safety),
``cell_<k>_v``, ``cell_<k>_temp_c`` (k = 1..N), ``step_index`` and
``cycle_index`` of the profile; with ``bms_soc=True`` ``soc_reported_pct``,
the SOC a simple BMS would report (:class:`BmsSocCounter`); with
``include_truth=True`` also ``true_cell_<k>_soc_pct`` (not part of the
canonical schema).

A sample period longer than :data:`CONTROL_STEP_S` is run in control steps of at most
that (a cycler's control acts on its own fast measurement and logs slowly): a sample
holds the values of the control step at its time, so a slow log is the fast log's
samples at its times (without noise) and never overshoots a cut-off or the CV limit
by a sample period's current. As a cycler's file does (Arbin, Neware, Maccor, BioLogic
log a point at each step's start), a slow log also holds the control step where a step
starts between two samples: a pulse's first sample is its start, not a sample period
into its relaxation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from app.core.errors import BatteryOSError
from app.core.samples import SampleBlock
from app.core.schema import (
    CURRENT,
    CYCLE_INDEX,
    SOC_REPORTED,
    STEP_INDEX,
    TEMPERATURE,
    TIME,
    VOLTAGE,
    cell_temperature_column,
    cell_voltage_column,
)
from app.core.spec import BatterySpec, Chemistry
from app.hardware.simulator.cells import (
    CAPACITY_SPREAD,
    RESISTANCE_SPREAD,
    CellParameters,
    make_cells,
)
from app.hardware.simulator.faults import (
    SHORT_OHM_AH,
    Fault,
    FaultKind,
    Recombination,
    RunawayHeat,
    SensorFaults,
    check_faults,
)
from app.hardware.simulator.model import (
    CV_TOLERANCE_V,
    ChunkFaults,
    LimitEvent,
    PackModel,
    PackState,
    Trajectory,
)
from app.hardware.simulator.noise import NoiseSpec, add_noise
from app.hardware.simulator.profiles import Profile, Segment, SegmentKind, make_profile

#: Steps integrated at once: long enough to amortise numpy's per-call cost
#: (~1 us) over many cells x steps, short enough that a chunk cut at a limit
#: wastes little work and a chunk's arrays stay in cache (4096 x 16 x 8 B = 512 kB).
CHUNK_STEPS = 4096
#: A closed-loop CV chunk is solved per step on the limiting cell; shorter
#: chunks bound the work lost when another cell takes over.
CV_CHUNK_STEPS = 1024
#: After this many segments in a row without progress the simulator rests one
#: step (a profile that keeps asking for a current the limits refuse).
_MAX_STALLS = 8
#: The longest control step: a cycler (or a BMS) acts on its own fast internal
#: measurement -- its cut-offs, CC -> CV and the CV loop -- and logs slowly. A named
#: profile is run at the sample period divided into steps of at most this, and the
#: log holds the instantaneous values at its samples (so a slow log does not overshoot
#: a limit by a sample period's worth of current).
CONTROL_STEP_S = 1.0


def control_steps(dt_s: float) -> int:
    """Control steps in a sample period of ``dt_s`` (1 at :data:`CONTROL_STEP_S` or faster)."""
    return max(1, math.ceil(dt_s / CONTROL_STEP_S - 1e-9))


#: The simulated BMS's current-sensor gain error: +2 %, a shunt and front end
#: within the 1-3 % that BMS current measurement typically achieves uncalibrated.
BMS_CURRENT_GAIN = 1.02


class BmsSocCounter:
    """The SOC a simple BMS reports: coulomb counting of its own current reading
    (gain error :data:`BMS_CURRENT_GAIN`) against the nominal capacity, from the
    true mean SOC at the start, held within 0-100 % and reported in whole
    percent (as BMS protocols send it). It drifts from the truth as a real
    BMS does between its recalibrations -- what the SOC cross-check is for."""

    def __init__(self, initial_soc_pct: float, capacity_ah: float, dt_s: float):
        self.soc_pct = float(initial_soc_pct)
        self._pct_per_a = 100.0 * BMS_CURRENT_GAIN * dt_s / 3600.0 / capacity_ah

    def report(self, current_a: np.ndarray) -> np.ndarray:
        """The reported SOC at each sample of a block (the charge before it counted)."""
        steps = np.concatenate(([0.0], np.cumsum(current_a[:-1] * self._pct_per_a)))
        # the counter saturates at the ends (a BMS resets to 100 % when full)
        soc = np.empty(len(current_a))
        x = self.soc_pct
        if len(current_a) and (x + steps.min() > 0.0 and x + steps.max() < 100.0):
            soc[:] = x + steps
        else:
            for k, di in enumerate(current_a):
                soc[k] = x
                x = min(max(x + di * self._pct_per_a, 0.0), 100.0)
        if len(current_a):
            last = float(current_a[-1]) * self._pct_per_a
            self.soc_pct = min(max(float(soc[-1]) + last, 0.0), 100.0)
        return np.round(soc)


def output_channels(n_cells: int) -> list[str]:
    """The measured columns of a pack of ``n_cells`` (sensor faults may name these)."""
    cells = [cell_voltage_column(k) for k in range(1, n_cells + 1)]
    temps = [cell_temperature_column(k) for k in range(1, n_cells + 1)]
    return [VOLTAGE, CURRENT, TEMPERATURE, *cells, *temps]


class PackSimulator:
    """A simulated series pack under a load profile, with faults and sensor noise.

    Parameters: ``spec`` (chemistry, capacity, series cells, parallel strings,
    limits, OCV table, ECM), ``profile`` (a name from
    :data:`~app.hardware.simulator.profiles.PROFILES` or a :class:`Profile`),
    ``dt_s`` (sample period), ``seed`` (cell spread, drive trace, noise and
    sensor faults each get their own stream of it), ``initial_soc_pct`` (None:
    the profile's default), ``soc_spread_pct`` (sigma of the initial SOC between
    cells), ``capacity_spread`` / ``resistance_spread`` (relative sigmas),
    ``ambient_c``, ``faults``, ``noise`` (None: no noise), ``c_rate`` (see
    :func:`make_profile`), ``bms_soc`` (add the SOC a BMS would report,
    ``soc_reported_pct``), ``include_truth`` (add true per-cell SOC columns),
    ``step_samples`` (see below).

    ``time_s`` is ``index * dt_s`` from 0. The model and the profile's control run
    at ``step_s``: ``dt_s`` divided into :func:`control_steps` (a named profile), or
    a given :class:`Profile`'s own ``dt_s``, which must divide ``dt_s``; a sample
    holds the values at its time (the current of the control step starting there).

    With ``step_samples`` (the default), as a cycler logs a point at each step's start
    besides its periodic ones, a block also holds a sample at each control step where
    the profile's step (or cycle) index changes between two samples: its time and
    values, so a step's first sample is at its start. Periodic samples stay on their
    grid; at 1 s or faster (one control step a sample) there are none extra. A block
    of ``n`` sample periods then has ``n`` rows or more.
    """

    def __init__(
        self,
        spec: BatterySpec,
        profile: str | Profile = "cycle",
        *,
        dt_s: float = 1.0,
        seed: int = 0,
        initial_soc_pct: float | None = None,
        soc_spread_pct: float = 0.0,
        capacity_spread: float = CAPACITY_SPREAD,
        resistance_spread: float = RESISTANCE_SPREAD,
        ambient_c: float = 25.0,
        faults: Sequence[Fault] = (),
        noise: NoiseSpec | None = None,
        c_rate: float | None = None,
        bms_soc: bool = False,
        include_truth: bool = False,
        step_samples: bool = True,
    ):
        if not (dt_s > 0 and math.isfinite(dt_s)):
            raise BatteryOSError(f"sample period must be positive, got {dt_s} s")
        self.spec = spec.with_preset_defaults()
        self.dt_s = float(dt_s)
        self.seed = int(seed)
        self.ambient_c = float(ambient_c)
        self.include_truth = include_truth
        self.step_samples = step_samples
        streams = np.random.SeedSequence(self.seed).spawn(5)
        rng_cells, rng_profile, rng_noise, rng_sensor, rng_soc = (
            np.random.default_rng(s) for s in streams
        )
        self.cells: CellParameters = make_cells(
            self.spec,
            rng_cells,
            capacity_spread=capacity_spread,
            resistance_spread=resistance_spread,
        )
        if isinstance(profile, Profile):
            k = round(self.dt_s / profile.dt_s)
            if k < 1 or abs(k * profile.dt_s - self.dt_s) > 1e-9 * self.dt_s:
                raise BatteryOSError(
                    f"the profile's step of {profile.dt_s} s must divide the sample period "
                    f"of {self.dt_s} s"
                )
            self.profile = profile
        else:
            k = control_steps(self.dt_s)
            self.profile = make_profile(
                profile, self.spec, self.dt_s / k, rng_profile, c_rate=c_rate
            )
        #: control steps per sample, and their length
        self.substeps = k
        self.step_s = self.dt_s / k
        n = self.n_cells
        self.faults = list(faults)
        check_faults(self.faults, n, output_channels(n))
        soc0 = self.profile.default_initial_soc_pct if initial_soc_pct is None else initial_soc_pct
        if not 0.0 <= soc0 <= 100.0:
            raise BatteryOSError(f"initial SOC must be within 0..100 %, got {soc0}")
        soc = np.clip(soc0 + soc_spread_pct * rng_soc.standard_normal(n), 0.0, 100.0)
        self.initial_soc_pct = float(soc0)
        self._bms = (
            BmsSocCounter(float(np.mean(soc)), self.spec.pack_capacity_ah, self.step_s)
            if bms_soc
            else None
        )
        self.model = PackModel(self.cells, self.step_s, self.ambient_c)
        self.state: PackState = self.model.initial_state(soc)
        self.noise = noise if noise is not None and noise.enabled else None
        self._rng_noise = rng_noise
        sensor = [f for f in self.faults if f.kind.is_sensor]
        self._sensors = SensorFaults(sensor, rng_sensor, self.spec.pack_capacity_ah)
        # a chunk starts where a physical fault does (a sensor's acts on the output)
        self._onsets = sorted({self._onset_index(f) for f in self.faults if not f.kind.is_sensor})
        self._stalls = 0
        #: the BMS opened the contactor (a dead cell): (step, cycle index) held from then
        self._opened_at: tuple[int, int] | None = None
        #: the chunk computed ahead: its start state, trajectory, segment, steps taken
        self._ahead: tuple[PackState, Trajectory, Segment, int] | None = None

    # --- ground truth ----------------------------------------------------
    @property
    def n_cells(self) -> int:
        """Number of series cells."""
        return self.cells.n_cells

    @property
    def index(self) -> int:
        """Index of the next sample."""
        return self.state.index // self.substeps

    @property
    def time_s(self) -> float:
        """Time of the next sample."""
        return self.index * self.dt_s

    @property
    def soc_pct(self) -> np.ndarray:
        """True SOC of each cell, % of its own capacity."""
        return self.state.soc_pct.copy()

    @property
    def temperature_c(self) -> np.ndarray:
        """True temperature of each cell."""
        return self.state.temperature_c.copy()

    @property
    def rc_voltages_v(self) -> tuple[np.ndarray, np.ndarray]:
        """True voltages across the two RC pairs of each cell."""
        return self.state.v1_v.copy(), self.state.v2_v.copy()

    def ocv_v(self) -> np.ndarray:
        """True open-circuit voltage of each cell now."""
        return self.cells.ocv(self.state.soc_pct)

    def describe(self) -> dict:
        """Plain-JSON parameters of this simulation (no ground truth of the state)."""
        return {
            "profile": self.profile.describe(),
            "dt_s": self.dt_s,
            "seed": self.seed,
            "initial_soc_pct": self.initial_soc_pct,
            "ambient_c": self.ambient_c,
            "faults": [f.to_dict() for f in self.faults],
            "noise": self.noise.to_dict() if self.noise else None,
        }

    # --- stepping ----------------------------------------------------------
    def step(self, n: int = 1) -> None:
        """Advance the true state by ``n`` steps without producing samples.

        Sensor noise and sensor faults are not drawn, so a run with ``step``
        calls differs in its noise from one with only :meth:`run_block` calls.
        """
        self._advance(n * self.substeps, keep=False)

    def run_block(self, n: int) -> SampleBlock:
        """The next ``n`` sample periods: ``n`` samples, and a step's start between two
        of them (see :attr:`step_samples`)."""
        if n < 1:
            raise ValueError(f"block size must be positive, got {n}")
        pieces = self._advance(n * self.substeps, keep=True)
        return self._assemble(pieces)

    def _onset_index(self, f: Fault) -> int:
        """The control step a physical fault starts at."""
        return math.ceil(f.onset_s / self.step_s - 1e-9)

    def _chunk_faults(self, k: int) -> ChunkFaults:
        ov = False
        short_cell, short_ohm = None, math.inf
        runaway_cell, runaway, recombination = None, None, None
        for f in self.faults:
            if self._onset_index(f) > k:
                continue
            c = f.cell - 1
            if f.kind is FaultKind.OVER_VOLTAGE:
                ov = True
            elif f.kind is FaultKind.INTERNAL_SHORT:
                r = f.resistance_ohm
                short_cell = c
                short_ohm = r if r is not None else SHORT_OHM_AH / float(self.cells.capacity_ah[c])
            elif f.kind is FaultKind.THERMAL_RUNAWAY:
                runaway_cell = c
                if self.spec.chemistry is Chemistry.LEAD_ACID:
                    recombination = Recombination.for_cell(
                        f.onset_s,
                        float(self.cells.capacity_ah[c]),
                        self.ambient_c,
                        self.spec.max_charge_current_a,
                    )
                    continue
                runaway = RunawayHeat.for_cell(
                    f.onset_s, float(self.cells.heat_capacity_j_per_k[c])
                )
        return ChunkFaults(ov, short_cell, short_ohm, runaway_cell, runaway, recombination)

    def _advance(self, n: int, *, keep: bool) -> list[tuple[Trajectory, Segment]]:
        """Advance ``n`` control steps, taking them from the chunks computed ahead.

        Chunks are cut only by their own length, fault onsets and limits, never
        by ``n``, so the run does not depend on how it is read in blocks (a
        chunk's temperature corrector depends on where the chunk starts)."""
        pieces: list[tuple[Trajectory, Segment]] = []
        done = 0
        model = self.model
        while done < n:
            if self._ahead is None:
                self._compute_chunk()
                continue
            start, traj, seg, used = self._ahead
            r = min(n - done, len(traj) - used)
            if keep:
                pieces.append((_slice(traj, used, used + r), seg))
            used += r
            done += r
            self.state = model.commit(start, traj, used)
            self._ahead = None if used == len(traj) else (start, traj, seg, used)
        return pieces

    def _compute_chunk(self) -> None:
        k = self.state.index
        limit = CHUNK_STEPS
        nxt = next((o for o in self._onsets if o > k), None)
        if nxt is not None:
            limit = min(limit, nxt - k)
        faults = self._chunk_faults(k)
        if self._opened_at is not None:
            # the contactor is open: no current, whatever the program asks
            step, cycle = self._opened_at
            seg = Segment(
                SegmentKind.CURRENT, limit, np.zeros(limit), step_index=step, cycle_index=cycle
            )
            traj, j, _ = self._run_segment(seg, faults)
            self._ahead = (self.state, replace(traj, ocv_v=None, r_factor=None), seg, 0)
            return
        seg = self.profile.segment(k, limit)
        if self._stalls >= _MAX_STALLS:
            seg = Segment(
                SegmentKind.CURRENT,
                1,
                np.zeros(1),
                step_index=seg.step_index,
                cycle_index=seg.cycle_index,
            )
        traj, j, event = self._run_segment(seg, faults)
        if (trip := self._dead_cell_trip(traj, j)) is not None:
            j, event = trip, None
            self._opened_at = (seg.step_index, seg.cycle_index)
        if j:
            self._stalls = 0
            # kept until taken: the model's working arrays are let go (memory)
            kept = replace(_slice(traj, 0, j), ocv_v=None, r_factor=None)
            self._ahead = (self.state, kept, seg, 0)
        else:
            self._stalls += 1
        if event is not None:
            self.profile.on_limit(k + j, event)

    def _dead_cell_trip(self, traj: Trajectory, j: int) -> int | None:
        """The first of the ``j`` steps at which a cell whose voltage collapsed (its
        separator melted: a runaway) reads below ``cell_v_min``: where the BMS opens
        the pack's contactor (a bench or BMS does not charge or drive a pack through a
        dead cell); None if none does."""
        gone = ~np.isnan(traj.collapse_s)
        if not j or not gone.any():
            return None
        low = (traj.cell_v[:j, gone] < self.spec.cell_v_min).any(axis=1)
        return int(np.argmax(low)) if low.any() else None

    def _run_segment(
        self, seg: Segment, faults: ChunkFaults
    ) -> tuple[Trajectory, int, LimitEvent | None]:
        model, spec = self.model, self.spec
        check_max = not faults.over_voltage
        if seg.kind is SegmentKind.FLOAT:
            n = min(seg.n, CV_CHUNK_STEPS)
            current, side, factor = model.float_currents(
                self.state, seg.v_target, seg.i_cap_a, n, faults
            )
            traj = model.integrate(self.state, current, faults, side, factor)
            j, event = model.first_violation(
                traj, spec.cell_v_min, spec.cell_v_max, check_max=False
            )
            moved = model.consistent_steps(traj)
            if moved < j:
                # a cell's resistance is off its temperature's: re-solve from here
                return traj, moved, None
            return traj, j, event
        if seg.kind is SegmentKind.CV and faults.over_voltage:
            # the faulty charger ignores the voltage: it keeps its CC current
            seg_current = np.full(seg.n, seg.i_cap_a)
            traj = model.integrate(self.state, seg_current, faults)
            return traj, len(traj), None
        if seg.kind is SegmentKind.CV:
            n = min(seg.n, CV_CHUNK_STEPS)
            current, ended, factor = model.cv_currents(
                self.state, seg.v_target, seg.i_cap_a, seg.i_end_a, n, faults
            )
            traj = model.integrate(self.state, current, faults, factor=factor)
            j, event = model.first_violation(
                traj, spec.cell_v_min, seg.v_target, check_max=True, tol_v=CV_TOLERANCE_V
            )
            moved = model.consistent_steps(traj)
            if moved < j:
                # a cell's resistance is off its temperature's: re-solve from here
                return traj, moved, None
            if event is LimitEvent.V_MAX:
                # another cell took over the limit: cut here, re-solve for it next time
                return traj, j, None
            if event is LimitEvent.V_MIN:
                return traj, j, event
            return traj, len(traj), LimitEvent.CV_DONE if ended else None
        traj = model.integrate(self.state, seg.current_a, faults)
        j, event = model.first_violation(
            traj, spec.cell_v_min, spec.cell_v_max, check_max=check_max
        )
        return traj, j, event

    # --- output ------------------------------------------------------------
    def _assemble(self, pieces: list[tuple[Trajectory, Segment]]) -> SampleBlock:
        """The samples of ``pieces`` (whole sample periods of control steps): the
        control steps at the samples' times, and with :attr:`step_samples` the control
        step where a step starts between two of them (a cycler logs a point there)."""
        per = self.substeps
        k0 = self.state.index - sum(len(t) for t, _ in pieces)  # the block's first step
        starts = np.cumsum([0] + [len(t) for t, _ in pieces])  # each piece's first row
        current_steps = np.concatenate([t.current_a for t, _ in pieces])
        if per == 1:
            rows = None  # every control step is a sample
        else:
            rows = np.arange(-k0 % per, len(current_steps), per)
            if self.step_samples:
                extra = self._step_starts(pieces, starts)
                extra = extra[(k0 + extra) % per != 0]  # not at a periodic sample
                if len(extra):
                    rows = np.sort(np.concatenate((rows, extra)))
        # each piece, its segment and its rows
        kept = []
        for (t, s), a, b in zip(pieces, starts[:-1], starts[1:], strict=True):
            if rows is None:
                r = slice(None)
            else:
                r = rows[np.searchsorted(rows, a) : np.searchsorted(rows, b)] - a
            kept.append((t, s, r))
        current = current_steps if rows is None else np.ascontiguousarray(current_steps[rows])
        n_total = len(current)
        if rows is None:
            t_s = (self.index - n_total + np.arange(n_total)) * self.dt_s
        else:
            q, m = np.divmod(k0 + rows, per)
            t_s = q * self.dt_s + m * self.step_s  # a periodic sample's is on its grid
        cell_v = np.concatenate([t.cell_v[r] for t, _, r in kept]).T.copy()  # (N, n)
        cell_t = np.concatenate([t.temperature_c[:-1][r] for t, _, r in kept]).T.copy()
        step = np.concatenate([np.full(len(t.cell_v[r]), s.step_index, float) for t, s, r in kept])
        # the BMS counts the current through its own shunt (its gain error, no noise)
        bms = None
        if self._bms is not None:
            bms = self._bms.report(current_steps)
            bms = bms if rows is None else bms[rows]
        cycle = np.concatenate(
            [np.full(len(t.cell_v[r]), s.cycle_index, float) for t, s, r in kept]
        )
        pack_v = cell_v.sum(axis=0)
        if self.noise is not None:
            add_noise(
                self._rng_noise,
                self.noise,
                pack_v=pack_v,
                current_a=current,
                cell_v=cell_v,
                cell_temp_c=cell_t,
            )
        n = self.n_cells
        cols: dict[str, np.ndarray] = {TIME: t_s, VOLTAGE: pack_v, CURRENT: current}
        cell_cols = {cell_voltage_column(k + 1): cell_v[k] for k in range(n)}
        temp_cols = {cell_temperature_column(k + 1): cell_t[k] for k in range(n)}
        sensors = self._sensors
        if sensors.faults:
            sensors.apply(cell_cols | temp_cols, t_s, set(cell_cols) | set(temp_cols))
        temps = np.vstack(list(temp_cols.values()))
        with np.errstate(all="ignore"):
            hottest = np.fmax.reduce(temps, axis=0)  # ignores NaN of a dropped-out sensor
        cols[TEMPERATURE] = hottest
        if sensors.faults:
            sensors.apply(cols, t_s, {VOLTAGE, CURRENT, TEMPERATURE})
        cols.update(cell_cols)
        cols.update(temp_cols)
        cols[STEP_INDEX] = step
        cols[CYCLE_INDEX] = cycle
        if bms is not None:
            cols[SOC_REPORTED] = bms
        if self.include_truth:
            soc = np.concatenate([t.soc_pct[:-1][r] for t, _, r in kept]).T
            for k in range(n):
                cols[f"true_cell_{k + 1}_soc_pct"] = soc[k].copy()
        return SampleBlock(cols)

    @staticmethod
    def _step_starts(pieces: list[tuple[Trajectory, Segment]], starts: np.ndarray) -> np.ndarray:
        """The rows (control steps of the block) where the profile's step or cycle index
        changes. A change at the block's first step is at a periodic sample (blocks are
        whole sample periods), so the rows do not depend on how the run is read."""
        out = []
        for i in range(1, len(pieces)):
            a, b = pieces[i - 1][1], pieces[i][1]
            if (a.step_index, a.cycle_index) != (b.step_index, b.cycle_index):
                out.append(int(starts[i]))
        return np.asarray(out, dtype=np.intp)


def _slice(traj: Trajectory, a: int, b: int) -> Trajectory:
    if a == 0 and b == len(traj):
        return traj
    return Trajectory(
        traj.current_a[a:b],
        traj.cell_v[a:b],
        traj.soc_pct[a : b + 1],
        traj.v1_v[a : b + 1],
        traj.v2_v[a : b + 1],
        traj.temperature_c[a : b + 1],
        traj.collapse_s,
        None if traj.ocv_v is None else traj.ocv_v[a:b],
        None if traj.r_factor is None else traj.r_factor[a:b],
    )


def simulate(
    spec: BatterySpec,
    profile: str | Profile = "drive",
    duration_s: float = 3600.0,
    dt_s: float = 1.0,
    seed: int = 0,
    initial_soc_pct: float | None = None,
    ambient_c: float = 25.0,
    faults: Sequence[Fault] = (),
    noise: NoiseSpec | None = None,
    **options,
) -> SampleBlock:
    """Simulate ``duration_s`` seconds of ``spec`` under ``profile`` in one block.

    Gives ``round(duration_s / dt_s)`` samples at ``0, dt, 2*dt, ...`` (and, for a
    period over 1 s, one at each step's start between two of them). Other
    keyword options go to :class:`PackSimulator` (``soc_spread_pct``,
    ``capacity_spread``, ``resistance_spread``, ``c_rate``, ``bms_soc``,
    ``include_truth``, ``step_samples``).
    Same arguments, same seed: identical output.
    """
    n = max(1, round(duration_s / dt_s))
    sim = PackSimulator(
        spec,
        profile,
        dt_s=dt_s,
        seed=seed,
        initial_soc_pct=initial_soc_pct,
        ambient_c=ambient_c,
        faults=faults,
        noise=noise,
        **options,
    )
    return sim.run_block(n)
