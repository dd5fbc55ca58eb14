"""State of health: capacity-based, resistance-based, and incremental-capacity indicators.

**Capacity.** Two measurements, both relative to the nominal capacity
(``spec.pack_capacity_ah``):

- *Full cycles*: the discharge capacity of each full cycle of the per-cycle
  table (the caller's ``cycles``, or the table this diagnostic accumulates with
  the cycle rules of :mod:`~app.diagnostics.cycles`). Accumulated: a full
  discharge runs from the end of the last full charge (the first sample that is
  not charging from the last one at the top on: resting with the highest cell
  within 5 % of the voltage window of ``cell_v_max``, or charging within 1 % of
  it, i.e. in the CV phase) to the end of the discharge that reaches the bottom
  (the lowest cell within 5 % of ``cell_v_min`` while discharging; its end the
  first sample after it that is not discharging: the cut-off), its capacity the
  net charge between them, counted with the per-cycle table's increments
  (:func:`~app.diagnostics.cycles.trapezoid_increments`), reported in the cycle
  of its last discharging sample. A discharge from full to the cut-off with no
  charging in it (a cycler's, the simulator's ``cycle`` profile) so gives the
  per-cycle table's discharge capacity of its cycle (an LFP pack's 98.92 Ah,
  where the first sample at the bottom gave 98.57); the two differ where the
  discharge has charging in it (regenerative braking, charge pulses: the net
  charge is the capacity, the table's figure all that was discharged), by what
  the table counts as discharged at rest in the cycle (a rest's negative sensor
  noise: 0.07-0.09 % of a 1C cycle with 20 min of rest at 1 s logging, typical
  noise), and where the cycle's boundaries cut the discharge: an interval
  counts in the cycle of its first sample, so where the rest before the
  discharge ends on a reading of the discharge's sign (noise), the trapezoid
  over the interval into the discharge (half of it) counts in the cycle before
  (0.1-0.2 % at 10 s logging). A caller's table: a cycle is full when its
  ``end_of_charge_voltage_v``/``end_of_discharge_voltage_v`` (pack) are within
  those margins; a table without them is taken to be a capacity-check table
  (every row full). This is the usual
  definition (discharge capacity / rated capacity, e.g. IEC 61960-3) and the
  headline when present. Without one, the note says how low the discharges went
  against the bottom a full one needs: a cycler log between limits of its own
  (the Neware cell's 3.9-4.7 V under an NMC spec's 2.5 V cut-off) has partial
  cycles only, and its capacity SOH stays unknown for that reason.
- *OCV pairs* (partial cycles too): every rest (current below C/33) of at
  least ``min_rest_s`` (30 min) gives an OCV reading (mean cell voltage over its last 30 s) and so a
  SOC through the spec's OCV table, with the charge counted up to it. Every pair
  of readings gives ``capacity = counted Ah / (delta SOC / 100)``. A pair is used
  when its delta SOC is at least 10 % and the OCV uncertainty (3 mV: relaxation
  left over, hysteresis, sensor) over the local OCV slope, summed over both
  ends, is at most 5 % of the delta SOC -- so pairs on a flat OCV (the LFP
  plateau) drop out by themselves. Pairs are averaged with weights ``|delta
  SOC|``. Per series cell too, where the log has cell voltages.

The charge counted between two points (a full charge and a full discharge, two
OCV readings) is the cycler's own (its ``charge_capacity_ah`` /
``discharge_capacity_ah`` counters, a cycler integrating at its own rate and
resolution) where the log has both counters, none of their increments in between
was lost to a missing value and it is within a factor of 2 of the integral of the
logged current (a counter of another unit or channel is not taken); else that
integral (:mod:`~app.diagnostics.cycler_counters`, as the per-cycle table).
``capacity_source`` of the result, of each full cycle, and ``charge_source`` of
the OCV pairs say which: ``cycler``, ``integrated`` (``mixed`` for pairs of both).

**Resistance.** ``SOH_R = (R_EOL - R) / (R_EOL - R_BOL)`` with ``R_EOL = 2 R_BOL``
(end of life at 200 % of the new-cell resistance, the usual automotive
criterion: e.g. Berecibar et al., Renew. Sustain. Energy Rev. 56 (2016) 572;
TWAICE "End of life"). R is the median per-cell resistance (the pack's x
parallel strings / series cells: one physical cell of ``spec.capacity_ah``) of
the pulses found by :mod:`~app.diagnostics.internal_resistance` (those at 20-80
% SOC and 15-35 degC when there are any; a note says when none was), by default
the ohmic R0 of the pulse read-out fits (``resistance_metric="r_10s"``: the 10 s
DCIR). Each pulse's resistance is brought to the reference temperature (25 degC,
where a new cell's resistance is quoted) by the Arrhenius factor of its own
temperature, ``R_25 = R(T) / exp(Ea/R_gas (1/T - 1/T_25))`` -- where the cells have
sensors (``cell_<k>_temp_c``) the mean of the cells' factors (the pack's resistance
is the sum of its cells', each at its own temperature; a pack ``temperature_c`` may
be the hottest cell's: an internal short heating one NMC cell of four to 43 degC read
the pack's new cells as 22 mOhm at 25 degC, SOH 53 %, now 15.7 mOhm, 95 %), else its
``temperature_c``; the SOC and temperature band then asks every cell in 15-35 degC,
and a pulse with a cell outside -20-60 degC while others are inside (a cell running
hot: a fault, reported elsewhere) is left out (none left: no resistance, a note says
why), as is one wholly outside where others can be corrected. The activation
energy Ea per chemistry (:data:`app.core.spec.RESISTANCE_ACTIVATION_J_PER_MOL`:
Li-ion 20 kJ/mol, x1.5 from 25 to 10 degC; lead-acid 11 kJ/mol); a pulse without a
temperature is taken as it is, and a note says so. ``resistance_ohm`` is the
median at 25 degC, ``resistance_measured_ohm`` the median as measured,
``resistance_temperature_c`` the pulses' median temperature and
``resistance_temperature_factor`` measured / at 25 degC. R_BOL, the reference,
the result says which:

- ``spec.bol_resistance_ohm`` (``--bol-resistance-ohm``): the user's
  beginning-of-life resistance of one cell, the same quantity;
- else the chemistry preset's ECM for a cell of ``spec.capacity_ah`` (a specific
  resistance in ohm*Ah over the capacity: a 1.1 Ah cell gets 4.5x the value of a
  5 Ah one). That is a *typical* cell of the chemistry: real cells of one
  chemistry differ by 2-3x in specific resistance (power against energy
  designs), and it is only as right as the capacity it is divided by: the
  Arbin log's A123 LFP cell (1.1 Ah if it is the APR18650M1A of TRI's
  fast-charge data, as its schedule suggests; the file does not say) measures
  19 mOhm, 0.021 ohm*Ah against the preset's 0.02, but the 0.6 Ah the Logs
  page guesses from that 17-minute excerpt makes the reference 33 mOhm. So
  SOH_R against it is an indication, and a note says so.

What the ratio ``R / R_BOL`` gives (an engineer reads SOH above 100 % as a bug,
and a measured resistance below a new cell's says more about the reference
than about the cell):

- 1 to 2: ``SOH_R = 100 (2 - R/R_BOL)``, 100 % to 0 %.
- 0.8 to 1 (:data:`NEW_CELL_TOLERANCE`): a new cell's scatter about its
  reference -- cell-to-cell spread (1-4 % one sigma for new cells of one batch,
  see :mod:`app.hardware.simulator.cells`), the fit's scatter (a single
  simulated LFP cell with typical sensor noise: +-6 % a pulse, 0.88-1.03x its
  true R0 for the median of an HPPC test's three mid-SOC pulses over 24 seeds),
  the error of the temperature correction (the activation energy of a real
  cell may differ from its chemistry's by a few kJ/mol: +-5 kJ/mol is +-11 % at
  10 degC) -- so
  **100 %** (clipped: nothing is healthier than new), with a note giving the
  measured ratio. (A datasheet's maximum, "<= x mOhm", is not a new cell's
  typical value; new cells measure below it.)
- below 0.8: not determinable (None). The measurement contradicts the
  reference: a cell of another size or design than the preset's typical one, a
  capacity that is not the cell's (a guessed one), or a reference of another
  quantity (a pack's, parallel cells', a 10 s DCIR against R0), or far warmer.
  The note gives both values and asks for the cell's own beginning-of-life
  resistance.
- above 2: past end of life. Against the user's reference 0 % with a note;
  against the preset's guess not determinable (None) with a note, as below 0.8
  -- twice a typical cell's resistance is as likely a higher-resistance design
  as a dead cell.

**Steps between samples.** A pulse's step is seen at its first sample; where the log
does not mark it there (a cycler logs a point at each step's start, and its
``step_index`` changes on it), it happened somewhere in the interval before -- a BMS
polled every 10 s, a drive's current changing between the samples -- and by the time
it is seen the RC pairs have polarised for part of that interval. The read-out fit
puts the step at the sample, so the polarisation grown meanwhile reads as R0: on
average over a step's age ``u``, uniform in ``[0, w]`` (``w`` the pulse's
``step_within_s``; a current ramping across the interval gives the same mean),
``R0 + sum Ri (1 - tau_i/w (1 - exp(-w/tau_i)))`` (:func:`ecm_reading`), which the
data after the step cannot tell from R0 (a step ``u`` late answers exactly as one at
the sample with ``R0 + R1 (1 - exp(-u/tau1))`` and ``R1 exp(-u/tau1)``); and the OCV
has moved by the charge the step passed before its sample, ``dOCV/dQ * w / 2`` on
average (the OCV table's slope at the pulse's SOC: the limit of an RC pair whose
time constant is far beyond the interval). For the presets' new cells at mid SOC
that is +2 % at 1 s, +9-10 % (NMC, LFP) and +5 % (lead-acid) at 5 s, +16-18 % and
+9 % at 10 s; near empty or full a steep OCV adds far more (LFP at 1 % SOC, 10 s:
+175 %): simulated new cells of the drive profile read SOH_R 82-88 % at 10 s against
R0 at the step (``benchmarks/bench_soh_slow.py``). So the reference is compared like with
like: each pulse's resistance (at 25 degC) is divided by its :func:`sampling_factor`
(the preset ECM's reading at its ``w`` over its reading at the step; 1 where the step
is marked), and ``resistance_ohm`` is their median -- the resistance at the steps'
instants, the quantity of the reference (R_BOL, or the ``--bol-resistance-ohm`` given,
as they are) -- with ``resistance_sampling_factor`` the median at 25 degC over it (1.0:
no step seen late; a note says how much). This rests on the preset's RC share and
OCV, right on average for a cell whose resistances age together: the drive logged
every 5-10 s, R0, R1 and R2 1.5x (50 % right), reads 52-60 % (26-48 % against R0 at the step); R0 alone 1.5x, 51-64 %
(31-51 %; R1, R2 of a new cell in the factor). One step's reading scatters about the
mean by its own age (up to the whole RC share for a step just after a sample). A pulse
whose factor exceeds 1 + :data:`MAX_SAMPLING_SHARE` (the NMC preset at 20 s: +29 %; an
LFP step at 1 or 99.5 % SOC at 10 s) is left out: its reading is as much the RC's and
the OCV's as R0's, its correction the preset's guess (none left: no resistance, a note
says why; a BMS polling an LFP pack's full cycles every 5-10 s, whose only steps are at
empty and full, read SOH_R 16-70 % or 2x a new cell's R0, now none). A log whose steps
do fall on its samples without a ``step_index`` (a polled HPPC whose pulses start on
the poll grid) is corrected all the same and reads low: a new cell still 100 %, an
aged one above its SOH (NMC, 1.5x R0 at 10 s: 73 %). A late step from a rest whose cell
voltage before it (the pulse's ``cell_v_before_v``) is outside the OCV table
(:func:`off_ocv_table`) takes the OCV's move from its own readings instead of the
table's slope (:func:`seen_ocv_share`: its 10 s DCIR's growth past the RC's), and is
left out without them or where that puts it past :data:`MAX_SAMPLING_SHARE`. A
lead-acid cell charged at 2.40-2.45 V rests above the table's 100 % (2.12 V), one
discharged to 1.75 V below its 0 % (1.94 V), and the next step's first seconds move it
~100x faster than the table's slope: a new pack's C/5 cycle polled every 10 s, whose
only steps are there, read SOH_R 48-56 %, now 81-85 % or none, at 1-2 s 100 % as before.
Those 81-85 % are no bias left in the OCV's share (over 12 noise-free seeds the factor
it gives averages 1.230 where the one of the cells' own slope at the mean age is 1.238):
they are one pulse's scatter, the log's only kept one (the charge from empty; the
discharge from full past the share), read from one sample of a C/5 step (15 mV a cell:
the typical sensor noise is +-9 % of its R0) at its own age (8 s of 10 for seed 7: its
RC and OCV grown 1.29x where the mean age gives 1.19x). Likewise a polled NMC cycle at
10 s reading 90-92 % (``benchmarks/bench_soh_slow.py --polled --ages``): its two to
three kept discharge steps fell 7-9 s before their samples; over 16 seeds its
resistance at the steps' instants is 0.997 of the cells' true R0 on average (0.83-1.10,
sd 0.077), and the clip at 100 % shows only the half above the cells' own. Neither the
data after a late step nor the sample before it says when in the interval it happened
(its age trades with R0 one for one), so only more steps (a median over their ages)
narrow it; the note saying how the readings were taken back bounds it, from every step
a whole interval before its sample (:func:`earliest_factor`) to every one at it (seed
7's NMC cycle: 29.6-38.5 mOhm about 32.9, its cells' R0 30.0).
The drive figures above are against 50 %; the simulated cells' own R0 scatters about the preset's (``benchmarks/bench_soh_slow.py`` prints each
seed's true SOH_R: 47-53 % for R0 x1.5), and its steps fall on its 1 s control steps
(ages 0, 1, .. s, not uniform in the interval), which this correction, made for steps at
any instant, takes back ~2 % too far (+2.2 % at 1 s, where they are on the samples).

**ICA** per cycle and direction: see :mod:`~app.diagnostics.incremental_capacity`.

Offline and live are one code path (:class:`SohTracker`).
"""

from __future__ import annotations

import bisect
import functools
import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.resistance_text import resistance_text
from app.core.results import DiagnosticResult
from app.core.samples import SampleBlock
from app.core.spec import (
    RESISTANCE_ACTIVATION_J_PER_MOL,
    RESISTANCE_CORRECTION_RANGE_C,
    RESISTANCE_REFERENCE_TEMP_C,
    BatterySpec,
    EcmParameters,
    preset,
    resistance_temperature_factor,
)
from app.diagnostics.cycler_counters import (
    CAPACITY_COUNTERS,
    COUNTER_COLUMNS,
    CYCLER,
    INTEGRATED,
    NetCharge,
    counted_or_integrated,
)
from app.diagnostics.cycles import (
    CycleDetector,
    current_threshold_a,
    cycle_swing_ah,
    trapezoid_increments,
)
from app.diagnostics.finite import nan_to_num
from app.diagnostics.incremental_capacity import (
    IcaCurveAccumulator,
    IcaSettings,
    VoltageGrid,
    ica_curve,
    peak_trend,
    segment_histogram,
    split_constant_current,
)
from app.diagnostics.internal_resistance import InternalResistanceTracker
from app.diagnostics.pulse_detection import NO_PULSES_REASON
from app.diagnostics.pulse_summary import InternalResistanceResult
from app.diagnostics.rowwise import row_mean, row_summary
from app.diagnostics.runs import run_bounds
from app.diagnostics.time_gaps import GapRule

if TYPE_CHECKING:
    import pandas as pd

#: charging within this fraction of the voltage window of cell_v_max counts as
#: being at the top (a CV phase holds it exactly)
_CV_MARGIN = 0.01
#: a top starts a new full discharge when the charge there is at most this fraction of
#: the capacity below the highest top's since the last full discharge (a recharge's
#: charge lost, ~0.1 %; a drive's stop or braking near the top is 3-7 % below)
TOP_CHARGE_TOLERANCE = 0.005
#: SOH_R end of life: the resistance doubles (see the module docstring)
EOL_RESISTANCE_FACTOR = 2.0
#: SOH_R: a resistance down to this fraction below the reference is a new cell's
#: scatter about it and reads 100 %; further below, SOH_R is not determinable
#: (see the module docstring)
NEW_CELL_TOLERANCE = 0.20
#: SOH_R against a resistance given: a measured resistance this many times the
#: reference, or this many times below it, is no cell's wear or scatter but a unit
#: slip (uOhm or ohm typed for mOhm is 1000x): not determinable, as below
#: :data:`NEW_CELL_TOLERANCE`. No working cell wears to 30x its new resistance (end of
#: life is 2x; a cell with a failing tab weld or lifted bond a few times more).
UNIT_SLIP_FACTOR = 30.0
#: SOH_C: a capacity counted above this many times the nominal is no cell's health but
#: a slip of units or of the battery: a time column in ms or a current in mA (1000x),
#: one string's capacity given for a pack of parallel strings. (A logging gap is no
#: longer counted across: :mod:`app.diagnostics.time_gaps`.) A new cell holds at most
#: ~110 % of its rated capacity.
CAPACITY_SLIP_FACTOR = 1.5
RESISTANCE_METRICS = ("r0", "r_10s")
_METRIC_NAMES = {"r0": "fitted ohmic R0 per cell", "r_10s": "10 s DCIR per cell"}
#: where each metric is read after the step (R0: at it)
_METRIC_READ_S = {"r0": 0.0, "r_10s": 10.0}
#: SOH_R of a step seen late: a pulse whose step fell so far before its first sample
#: that a new cell of the preset ECM reads its resistance more than this much higher
#: (its RC polarisation's share) is left out -- the correction would rest on the preset's
#: RC share more than the measurement (see "Steps between samples")
MAX_SAMPLING_SHARE = NEW_CELL_TOLERANCE
#: s after a step's first sample of the reading its OCV slope is read from, off the table
_OCV_SLOPE_READ_S = 10.0


@dataclass(frozen=True)
class SohSettings:
    """Thresholds of the SOH estimates (see the module docstring)."""

    #: at rest below C/33 (6 sigma of a typical 0.5 %-of-1C current sensor, so noise
    #: does not cut a rest in two)
    rest_c_rate: float = 0.03
    min_rest_s: float = 1800.0
    ocv_average_s: float = 30.0
    ocv_sigma_v: float = 0.003
    min_delta_soc_pct: float = 10.0
    max_pair_relative_error: float = 0.05
    full_cycle_margin: float = 0.05
    resistance_soc_band_pct: tuple[float, float] = (20.0, 80.0)
    resistance_temperature_band_c: tuple[float, float] = (15.0, 35.0)
    ica: IcaSettings = field(default_factory=IcaSettings)


@dataclass(frozen=True)
class SohResult(DiagnosticResult):
    """Capacity, resistance and ICA state of health (see the module docstring)."""

    soh_percent: float | None
    soh_method: str
    nominal_capacity_ah: float
    capacity_ah: float | None
    soh_capacity_percent: float | None
    capacity_method: str | None
    full_cycle_capacity_ah: float | None
    full_cycles: list[dict]
    ocv_capacity: dict
    soh_resistance_percent: float | None
    #: per cell, at the reference temperature (what SOH_R compares with the reference)
    resistance_ohm: float | None
    bol_resistance_ohm: float | None
    eol_resistance_ohm: float | None
    resistance_metric: str
    bol_resistance_source: str
    resistance_pulses: int
    ica_method: str
    ica_curves: list[dict]
    ica_peak_trend: list[dict]
    notes: list[str] = field(default_factory=list)
    #: the median per-cell resistance as measured, before the temperature correction
    resistance_measured_ohm: float | None = None
    #: the median temperature of the pulses used (None: the log has none)
    resistance_temperature_c: float | None = None
    #: measured / at the reference temperature (1.0: not corrected)
    resistance_temperature_factor: float | None = None
    resistance_reference_temperature_c: float = RESISTANCE_REFERENCE_TEMP_C
    resistance_activation_energy_j_per_mol: float | None = None
    #: at the reference temperature / at the steps' instants (``resistance_ohm``): the
    #: readings of steps seen late, between samples (1.0: none; see "Steps between
    #: samples"); None without a resistance measured from pulses
    resistance_sampling_factor: float | None = None
    #: the charge count behind ``capacity_ah``: "cycler" (the cycler's own counters),
    #: "integrated" (the logged current), "mixed" (OCV pairs of both), None (a
    #: caller's cycle table that does not say, or no capacity)
    capacity_source: str | None = None


class SohTracker:
    """Incremental SOH (the live twin of :func:`calculate_soh`). Adds no columns.

    ``internal_resistance``: an :class:`InternalResistanceTracker` that is fed the
    same blocks elsewhere (the live engine's); without one the tracker runs its own
    (unless ``measure_pulses`` is False: the caller passes the resistance to
    :meth:`result`).
    """

    columns: tuple[str, ...] = ()

    def __init__(
        self,
        spec: BatterySpec,
        settings: SohSettings | None = None,
        *,
        internal_resistance: InternalResistanceTracker | None = None,
        resistance_metric: str = "r0",
        measure_pulses: bool = True,
    ):
        if resistance_metric not in RESISTANCE_METRICS:
            raise ValueError(f"resistance_metric must be one of {RESISTANCE_METRICS}")
        self.spec = spec
        self.settings = settings or SohSettings()
        self.resistance_metric = resistance_metric
        #: feed our own pulse tracker (not when the caller's tracker is fed elsewhere,
        #: nor when the caller brings the resistance)
        self._feeds_ir = internal_resistance is None and measure_pulses
        self.ir = internal_resistance or InternalResistanceTracker(spec)
        c = spec.pack_capacity_ah
        self.rest_a = self.settings.rest_c_rate * c
        # charging or discharging in a full charge or discharge: above the rest
        # threshold (C/33), so sensor noise at rest does not end one
        self.cycle_threshold_a = max(0.01 * c, self.rest_a)
        # the cycles of a log without cycle_index: those of the per-cycle table
        # (cycles.detect_cycles). A boundary is known only once the half after it
        # moved enough charge, so the full discharges and ICA runs note the global
        # index of a sample and take its cycle when they are reported (see snapshot)
        self._detector = CycleDetector(
            current_threshold_a(np.empty(0), c), cycle_swing_ah(np.empty(0), c)
        )
        self.grid = VoltageGrid.for_spec(spec, self.settings.ica.bin_v)
        self._started = False
        self._cell_cols: list[str] = []
        self._has_cycle_index = False
        # running state carried from block to block
        self._last: tuple[float, float, float] | None = None  # t, i, v_cell of the last sample
        self._ah = 0.0
        # across a time gap the current is unknown: none counted (app.diagnostics.time_gaps)
        self._gaps = GapRule()
        self._n_gaps = 0  # time gaps so far
        # the cycler's charge counters, when the log has both (see cycler_counters)
        self._counts = False
        self._net = NetCharge()
        self._last_i = 0.0
        self._rest: dict | None = None
        self._points: list[dict] = []
        self._last_cycle_value = 1.0
        # (charge, cycle) at the end of the last full charge (charge None: it goes on)
        self._top: tuple[tuple | None, int] | None = None
        # (charge at its top, cycle of its last sample so far) of a full discharge
        # that has reached the bottom and goes on discharging
        self._ending: tuple[tuple, int] | None = None
        # (charge at its top, charge at its end, cycle of its end) of a full discharge
        # that has ended at a cut-off: a later one before the next full charge moves
        # its end (a drive's current peaks reach the bottom before its cut-off)
        self._pending: tuple[tuple, tuple, int] | None = None
        # the highest charge at a top since the last bottom; the cycle of a top whose
        # charge goes on past the last block (see _full_top)
        self._top_high = -math.inf
        self._top_waiting: int | None = None
        self._top_tolerance = TOP_CHARGE_TOLERANCE * spec.pack_capacity_ah
        # the charge at the last sample (a discharge still going on ends there so far)
        self._charge_now: tuple | None = None
        self._full: list[dict] = []
        # the lowest cell voltage seen while discharging: why there is no full cycle
        self._lowest_discharge_v = math.inf
        self._run: dict | None = None
        self._ica: dict[tuple[int, str], IcaCurveAccumulator] = {}
        #: (cycle, direction) -> the cell-voltage span of the slow constant-current
        #: segments left out only for lying outside the voltage grid (a graphite
        #: half-cell's 0-0.6 V under a Li-ion preset): why there is no dQ/dV
        self.off_grid_segments: dict[tuple[int, str], tuple[float, float]] = {}

    # --- input ---------------------------------------------------------------
    def update(
        self, block: SampleBlock, *, cell_extremes: tuple[np.ndarray, np.ndarray] | None = None
    ) -> dict[str, np.ndarray]:
        """Consume one block (in time order). Returns no columns. ``cell_extremes``:
        the lowest and highest cell voltage of each of its samples where every cell
        reading is known finite (run_suite: cell balance's), not worked out again."""
        if self._feeds_ir:
            self.ir.update(block)
        n = len(block)
        if n == 0:
            return {}
        if not self._started:
            self._started = True
            self._cell_cols = schema.cell_voltage_columns(block.columns)
            self._has_cycle_index = schema.CYCLE_INDEX in block
            self._counts = all(c in block for c in CAPACITY_COUNTERS)
        t = block[schema.TIME]
        # time gaps (app.diagnostics.time_gaps): the current across one is unknown, so
        # its charge is not counted, and the charge levels after it are not those
        # before it: the block is taken in parts that start at its gaps
        t0 = t[0] if self._last is None else self._last[0]
        gaps = self._gaps.judge(np.diff(t, prepend=t0), block.get(schema.STEP_INDEX, None))
        if not len(gaps):
            self._take(block, cell_extremes, gap_first=False)
            return {}
        cuts = [0, *gaps.tolist(), n]
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            if b > a:
                ext = None if cell_extremes is None else tuple(x[a:b] for x in cell_extremes)
                self._take(block.slice(a, b), ext, gap_first=a > 0 or gaps[0] == 0)
        return {}

    def _take(
        self,
        block: SampleBlock,
        cell_extremes: tuple[np.ndarray, np.ndarray] | None,
        *,
        gap_first: bool,
    ) -> None:
        """:meth:`update`'s work on a part of a block with no time gap but, if
        ``gap_first``, the interval into its first sample."""
        n = len(block)
        t = block[schema.TIME]
        if gap_first:
            self._n_gaps += 1
            self._top_high = -math.inf  # (the highest charge level since the gap)
            if self._run is not None:  # (no dQ/dV segment bridges a gap)
                self._finish_run(self._run)
                self._run = None
        # a dropped current reading holds the last one (as in the pulse tracker)
        i_raw = self._hold_current(block[schema.CURRENT])
        i = i_raw
        # the cell voltages as the block's own columns (NaN for one it lacks)
        cells = [block[c] if c in block else np.full(n, np.nan) for c in self._cell_cols] or None
        v_cell, v_hi, v_lo = self._cell_voltages(block, cells, cell_extremes)
        # cumulative charge at each sample: the increments of the per-cycle table
        # (trapezoidal, the earlier value held across a start or stop of the current),
        # the interval from the previous block's last sample included
        t0, i0 = (t[0], i[0]) if self._last is None else self._last[:2]
        inc = trapezoid_increments(np.diff(t, prepend=t0), np.concatenate(([i0], i)), 3600.0)
        if gap_first:
            inc[0] = 0.0  # (none across the gap: the current there is unknown)
        ah = self._ah + np.cumsum(inc[:-1])
        # the same charge as the cycler counted it, and its increments lost so far
        counted = None
        if self._counts:
            nan = np.full(n, np.nan)
            counted = self._net.update(*(block.get(c, nan) for c in CAPACITY_COUNTERS))
        charge = _Charge(ah, *(counted or (None, None)), self._n_gaps)
        cycle = self._cycle_ids(block, i)
        self._full_discharges(i, v_hi, v_lo, cycle, charge)
        self._rests(t, i_raw, v_cell, cells, charge)
        self._ica_runs(t, i_raw, v_cell, cycle)
        self._ah = float(ah[-1])
        self._charge_now = charge.at(n - 1)
        self._last = (float(t[-1]), float(i[-1]), float(v_cell[-1]))

    def _cell_voltages(
        self,
        block: SampleBlock,
        cells: list[np.ndarray] | None,
        extremes: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mean, highest, lowest) cell voltage of each sample: of its cells when all
        read (a pack is full when its highest cell is, empty when its lowest cell is),
        else the pack voltage over the series cells for all three. ``extremes``:
        (lowest, highest) of every sample, all its cells finite (see :meth:`update`)."""
        if cells is not None and extremes is not None:
            return row_mean(cells), extremes[1], extremes[0]
        if cells is not None:
            # (one pass over the cells' columns for the four)
            finite, c_mean, c_max, c_min = row_summary(cells)
            if finite.all():  # (the usual case: nothing to fill in)
                return c_mean, c_max, c_min
        v_cell = block[schema.VOLTAGE] / self.spec.series_cells
        if cells is None:
            return v_cell, v_cell, v_cell
        v_cell = np.where(finite, c_mean, v_cell)
        return v_cell, np.where(finite, c_max, v_cell), np.where(finite, c_min, v_cell)

    def _hold_current(self, i: np.ndarray) -> np.ndarray:
        if np.isfinite(i).all():  # (nothing to hold: the usual case)
            self._last_i = float(i[-1])
            return i
        idx = np.where(np.isfinite(i), np.arange(len(i)), -1)
        np.maximum.accumulate(idx, out=idx)
        held = np.where(idx >= 0, i[np.maximum(idx, 0)], self._last_i)
        self._last_i = float(held[-1])
        return held

    def _cycle_ids(self, block: SampleBlock, i: np.ndarray) -> np.ndarray:
        n = len(i)
        if self._has_cycle_index:
            c = block.get(schema.CYCLE_INDEX, np.full(n, np.nan))
            finite = np.isfinite(c)
            if finite.all():  # (no gap to fill: the usual case)
                filled = c
            else:
                # forward-fill gaps (a stream cannot back-fill: a log starting without
                # a cycle index counts as cycle 1 until the first value)
                idx = np.where(finite, np.arange(n), -1)
                np.maximum.accumulate(idx, out=idx)
                filled = np.where(idx >= 0, c[np.maximum(idx, 0)], self._last_cycle_value)
            self._last_cycle_value = float(filled[-1])
            return filled.astype(np.int64)
        # cycles.detect_cycles, incrementally (on the current as the per-cycle table
        # reads it): the global index of each sample, its cycle taken by _cycle_of
        first = self._detector.samples
        self._detector.update(block[schema.TIME], nan_to_num(block[schema.CURRENT]))
        return np.arange(first, first + n, dtype=np.int64)

    def _cycle_of(self, value: int) -> int:
        """The cycle of a value of :meth:`_cycle_ids` (the global index of a sample
        of a log without cycle_index), as known so far."""
        return value if self._has_cycle_index else self._detector.label_of(value)

    def _full_discharges(
        self,
        i: np.ndarray,
        v_hi: np.ndarray,
        v_lo: np.ndarray,
        cycle: np.ndarray,
        charge: _Charge,
    ) -> None:
        """Full discharges: from the end of the last full charge (the first sample
        from the last one at the top on that is not charging: the top is resting with
        the highest cell within 5 % of the voltage window of ``cell_v_max``, or
        charging within 1 % of it) to the end of the discharge that reaches the
        bottom (the lowest cell within 5 % of ``cell_v_min`` while discharging: the
        first sample after it that is not discharging, the cycler's cut-off) -- the
        last such end before the next full charge: a drive's current peaks bring the
        cell within 5 % of its cut-off a while before it (a 5 Ah NMC cell under
        ``simulate --profile drive``: the first peak there came 0.31 Ah before the
        cut-off, the full discharge read 4.71 Ah, SOH 94 %, for the 5.03 Ah net
        from full to the cut-off), and the regenerative braking after such a peak
        is no cut-off. The charge of an interval is counted at its end, so both
        ends take the whole of the last charging and discharging interval. The
        capacity is the net charge between them, so it does not matter how a
        cycler groups charge and discharge into cycles (the cycler's count of it
        where it has one: :meth:`_Charge.between`); it is reported in the cycle of
        the discharge's last sample."""
        spec, margin = self.spec, self.settings.full_cycle_margin
        window = spec.cell_v_max - spec.cell_v_min
        if window <= 0:
            return
        thr = self.cycle_threshold_a
        # full: at rest near the top, or charging at the charge voltage itself (CV);
        # a charge *pulse* at 90 % SOC can reach within 5 % of the top too
        top = ((np.abs(i) <= self.rest_a) & (v_hi >= spec.cell_v_max - margin * window)) | (
            (i > thr) & (v_hi >= spec.cell_v_max - _CV_MARGIN * window)
        )
        discharging = i < -thr
        bottom = (v_lo <= spec.cell_v_min + margin * window) & discharging
        if discharging.any():
            with np.errstate(all="ignore"):
                low = float(np.nanmin(np.where(discharging, v_lo, np.nan)))
            if low < self._lowest_discharge_v:  # (False for NaN)
                self._lowest_discharge_v = low
        n = len(i)
        ends = np.flatnonzero(~discharging)  # where a discharge has ended
        calm = np.flatnonzero(i <= thr)  # where a charge has ended

        def full_charge(k: int) -> tuple | None:
            """The charge where the charge holding the top at ``k`` ends (None: it
            goes on past the block)."""
            j = int(np.searchsorted(calm, k))
            return charge.at(int(calm[j])) if j < len(calm) else None

        cur = self._top
        if self._top_waiting is not None:  # a top whose charge went on past the last block
            level = full_charge(0)
            if level is not None:  # (else it goes on past this one too)
                top_cycle, self._top_waiting = self._top_waiting, None
                self._top_high = max(self._top_high, level[0])
                if level[0] >= self._top_high - self._top_tolerance:
                    self._flush_pending()
                    cur = (level, top_cycle)
        p = 0
        if self._ending is not None:
            # the bottom was reached in an earlier block: the discharge ends here?
            if not ends.size:
                self._ending = (self._ending[0], int(cycle[-1]))
                return
            e = int(ends[0])
            last_cycle = int(cycle[e - 1]) if e else self._ending[1]
            self._pending = (self._ending[0], charge.at(e), last_cycle)
            self._ending, cur, p = None, None, e
        if not (top[p:].any() or bottom[p:].any()):
            self._top = cur
            return
        tops = np.flatnonzero(top)
        bottoms = np.flatnonzero(bottom)
        while True:
            nb = int(np.searchsorted(bottoms, p))
            b = int(bottoms[nb]) if nb < len(bottoms) else None
            hi = b if b is not None else n
            k = self._full_top(
                tops[int(np.searchsorted(tops, p)) : int(np.searchsorted(tops, hi))],
                calm,
                charge,
                cycle,
            )
            if k is not None:
                self._flush_pending()  # a full charge: the last full discharge is over
                cur = (full_charge(k), int(cycle[k]))
            if b is None:
                break
            # the bottom ends a full discharge from the top, or moves the end of the last
            self._top_high = -math.inf  # (the next full charge is measured afresh)
            start = cur[0] if cur is not None else None
            if start is None and self._pending is not None:
                start = self._pending[0]
            if start is not None:
                cur = None
                ne = int(np.searchsorted(ends, b))
                if ne == len(ends):  # still discharging at the end of the block
                    self._ending = (start, int(cycle[-1]))
                    self._pending = None
                    break
                p = int(ends[ne])
                self._pending = (start, charge.at(p), int(cycle[p - 1]))
                continue
            # the next full discharge starts at a new top
            nxt = int(np.searchsorted(tops, b, side="right"))
            if nxt >= len(tops):
                break
            p = int(tops[nxt])
        self._top = cur

    def _full_top(
        self, tops: np.ndarray, calm: np.ndarray, charge: _Charge, cycle: np.ndarray
    ) -> int | None:
        """The top of ``tops`` (samples at the top, in order) that starts the next full
        discharge instead of the present one (None: none does): the last whose charge
        where it ends (:meth:`_full_discharges`' ``full_charge``) is within
        :data:`TOP_CHARGE_TOLERANCE` of the capacity of the highest since the last
        bottom. A stop of a drive at 93 % SOC rests within 5 % of the top's voltage,
        and its regenerative braking at 97 % charges within 1 % of it: no full charge,
        and 0.15-0.35 Ah of a 5 Ah cell lower (its SOH read 94.3 % for 100 %). A top
        whose charge goes on past the block waits for its end (the next blocks)."""
        if not tops.size:
            return None
        j = np.searchsorted(calm, tops)
        ongoing = j >= len(calm)  # (the last ones: calm is sorted)
        if ongoing.any():
            self._top_waiting = int(cycle[tops[-1]])
        done = tops[~ongoing]
        if not done.size:
            return None
        level = charge.ah[calm[j[~ongoing]]]
        highest = np.maximum.accumulate(np.concatenate(([self._top_high], level)))[1:]
        self._top_high = float(highest[-1])
        ok = np.flatnonzero(level >= highest - self._top_tolerance)
        return int(done[ok[-1]]) if ok.size else None

    def _flush_pending(self) -> None:
        """Record the full discharge whose end can move no more."""
        if self._pending is not None:
            self._add_full(*self._pending)
            self._pending = None

    def _add_full(self, start: tuple, end: tuple, cycle: int, to: list | None = None) -> None:
        """Record the full discharge from the charge reading ``start`` to ``end``."""
        capacity, source = _Charge.between(end, start)
        if capacity is None:  # (across a time gap, uncounted)
            return
        (self._full if to is None else to).append(
            {
                "cycle_index": cycle,
                "discharge_capacity_ah": capacity,
                "full": True,
                "capacity_source": source,
            }
        )

    # --- rests and OCV readings ------------------------------------------------
    def _rests(self, t, i_raw, v_cell, cells, charge: _Charge) -> None:
        s = self.settings
        rest = np.abs(i_raw) <= self.rest_a  # a dropped voltage reading does not end it
        n = len(t)
        if not rest[0] and self._rest is not None:
            # the stored rest ended with the previous block
            if self._rest["t"][-1] - self._rest["t0"] >= s.min_rest_s:
                self._add_reading(self._rest)
            self._rest = None
        starts, stops = run_bounds(rest)
        for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
            continuing = a == 0 and self._rest is not None
            t0 = self._rest["t0"] if continuing else float(t[a])
            ends_here = b < n
            if not ends_here:
                self._rest = self._tail(continuing, t0, t[a:b], v_cell[a:b], cells, a, b, charge)
                continue
            if t[b - 1] - t0 >= s.min_rest_s:
                tail = self._tail(continuing, t0, t[a:b], v_cell[a:b], cells, a, b, charge)
                self._add_reading(tail)
            if continuing:
                self._rest = None

    def _tail(self, continuing, t0, tt, vv, cells, a, b, charge: _Charge) -> dict:
        """The last ``ocv_average_s`` of a rest (joined to the stored part)."""
        cc = np.column_stack([c[a:b] for c in cells]) if cells is not None else np.empty((b - a, 0))
        if continuing:
            tt = np.concatenate((self._rest["t"], tt))
            vv = np.concatenate((self._rest["v"], vv))
            cc = np.concatenate((self._rest["cells"], cc))
        keep = tt >= tt[-1] - self.settings.ocv_average_s
        return {
            "t0": t0,
            "t": tt[keep],
            "v": vv[keep],
            "cells": cc[keep],
            "charge": charge.at(b - 1),
        }

    def _add_reading(self, tail: dict, points: list | None = None) -> None:
        """Record the OCV reading of a rest that had at least one voltage."""
        if np.isfinite(tail["v"]).any():
            (self._points if points is None else points).append(self._reading(tail))

    def _reading(self, tail: dict) -> dict:
        ocv = float(np.nanmean(tail["v"]))
        cells = None
        if tail["cells"].shape[1]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a cell with no reading
                cells = np.nanmean(tail["cells"], axis=0)
        ah, cycler_ah, lost, gaps = tail["charge"]
        return {
            "time_s": float(tail["t"][-1]),
            "rest_s": float(tail["t"][-1] - tail["t0"]),
            "ah": ah,
            "ocv_v": ocv,
            "cells_ocv_v": None if cells is None else [float(x) for x in cells],
            "cycler_ah": cycler_ah,
            "lost": lost,
            "gaps": gaps,
        }

    # --- ICA segments -------------------------------------------------------------
    def _ica_runs(self, t, i_raw, v_cell, cycle) -> None:
        ica = self.settings.ica
        c = self.spec.pack_capacity_ah
        a_abs = np.abs(i_raw)
        ok = (a_abs > ica.min_c_rate * c) & (a_abs <= ica.max_c_rate * c)
        # (without cycle_index a run never spans a boundary: the sample before one does
        # not move above the rest current, C/50 = the lowest ICA current, its way)
        sign, key = _run_keys(i_raw, ok, cycle if self._has_cycle_index else cycle * 0)
        n = len(t)
        change = np.flatnonzero(key[1:] != key[:-1]) + 1
        bounds = np.concatenate(([0], change, [n]))
        dt = np.diff(np.append(t, t[-1]))
        q = np.concatenate(([0.0], np.cumsum(a_abs * dt))) / 3600.0
        starts, stops = bounds[:-1], bounds[1:]
        # only the first and last runs and those of enough charge can do anything
        # below (noise flickering across the current limits makes many tiny runs)
        enough = (key[starts] != 0) & (q[stops] - q[starts] >= ica.min_segment_capacity * c)
        enough[0] = enough[-1] = True
        for a, b in zip(starts[enough].tolist(), stops[enough].tolist(), strict=True):
            if key[a] == 0:
                if a == 0 and self._run is not None:
                    self._finish_run(self._run)
                    self._run = None
                continue
            joins = a == 0 and self._run is not None and self._run["key"] == key[a]
            if a == 0 and self._run is not None and not joins:
                self._finish_run(self._run)
                self._run = None
            if b == n or joins:
                run = self._run if joins else {"key": int(key[a]), "t": [], "i": [], "v": []}
                run["t"].append(t[a:b])
                run["i"].append(i_raw[a:b])
                run["v"].append(v_cell[a:b])
                run.setdefault("cycle", int(cycle[a]))
                run["direction"] = "charge" if sign[a] > 0 else "discharge"
                if b == n:
                    self._run = run
                else:
                    self._finish_run(run)
                    self._run = None
                continue
            if q[b] - q[a] < ica.min_segment_capacity * c:
                continue  # too little charge to ever qualify
            self._finish_run(
                {
                    "t": [t[a:b]],
                    "i": [i_raw[a:b]],
                    "v": [v_cell[a:b]],
                    "cycle": int(cycle[a]),
                    "direction": "charge" if sign[a] > 0 else "discharge",
                }
            )

    def _finish_run(self, run: dict, target: dict | None = None) -> None:
        """Split a run into constant-current pieces; add the qualifying ones to ICA."""
        ica = self.settings.ica
        c = self.spec.pack_capacity_ah
        t = np.concatenate(run["t"])
        i = np.concatenate(run["i"])
        v = np.concatenate(run["v"])
        target = self._ica if target is None else target

        def tol(level: float) -> float:
            return max(ica.hold_relative * abs(level), ica.hold_floor_c_rate * c)

        for a, b in split_constant_current(i, tol):
            if b - a < 3:
                continue
            vv = v[a:b]
            if np.nanmax(vv) - np.nanmin(vv) < ica.min_segment_span_v:
                continue
            hist, ah = segment_histogram(self.grid, t[a:b], i[a:b], vv)
            k = (self._cycle_of(run["cycle"]), run["direction"])
            if ah < ica.min_segment_capacity * c:
                whole = float(np.nansum(np.abs(i[a : b - 1]) * np.diff(t[a:b]))) / 3600.0
                if whole >= ica.min_segment_capacity * c:  # enough charge, off the grid
                    lo, hi = self.off_grid_segments.get(k, (np.inf, -np.inf))
                    span = (min(lo, float(np.nanmin(vv))), max(hi, float(np.nanmax(vv))))
                    self.off_grid_segments[k] = span
                continue
            if k not in target:
                target[k] = IcaCurveAccumulator(hist=np.zeros(self.grid.n))
            target[k].add(
                hist,
                ah,
                float(np.mean(np.abs(i[a:b]))) / c,
                float(np.nanmin(vv)),
                float(np.nanmax(vv)),
            )

    # --- output --------------------------------------------------------------
    def snapshot(self) -> tuple[list[dict], list[dict], dict]:
        """OCV readings, per-cycle rows and ICA accumulators so far; the ongoing rest
        CC segment and full discharge are counted provisionally (the tracker is not changed)."""
        points = list(self._points)
        rest = self._rest
        if rest is not None and rest["t"][-1] - rest["t0"] >= self.settings.min_rest_s:
            self._add_reading(rest, points)
        ica = {k: _copy_acc(a) for k, a in self._ica.items()}
        if self._run is not None:
            self._finish_run(self._run, target=ica)
        cycles = [dict(r) for r in self._full]
        if self._pending is not None:  # its end could still move: so far
            self._add_full(*self._pending, to=cycles)
        if self._ending is not None:  # a full discharge still going on: so far
            self._add_full(self._ending[0], self._charge_now, self._ending[1], to=cycles)
        for row in cycles:
            row["cycle_index"] = self._cycle_of(row["cycle_index"])
        return points, cycles, ica

    def result(
        self,
        ir_result: InternalResistanceResult | None = None,
        *,
        cycles: list[dict] | None = None,
        measured_resistance_ohm: float | None = None,
    ) -> SohResult:
        """The SOH so far. ``ir_result``/``cycles``/``measured_resistance_ohm``
        replace what the tracker measured itself (see :func:`calculate_soh`)."""
        points, own_cycles, ica = self.snapshot()
        ir = ir_result
        if ir is None and measured_resistance_ohm is None:
            ir = self.ir.result()
        return build_soh_result(
            self.spec,
            self.settings,
            points=points,
            cycles=own_cycles if cycles is None else cycles,
            ica=ica,
            grid=self.grid,
            ir=ir,
            resistance_metric=self.resistance_metric,
            measured_resistance_ohm=measured_resistance_ohm,
            lowest_discharge_v=(
                self._lowest_discharge_v if math.isfinite(self._lowest_discharge_v) else None
            ),
        )


class _Charge:
    """The charge so far at each sample of a block: integrated from the current (Ah,
    charging positive) and, when the log has the cycler's counters, as they counted
    it with the increments they lost so far (:class:`NetCharge`); and the time gaps
    so far (:mod:`app.diagnostics.time_gaps`: the integral counts none of their
    charge)."""

    __slots__ = ("ah", "counted", "lost", "gaps")

    def __init__(
        self, ah: np.ndarray, counted: np.ndarray | None, lost: np.ndarray | None, gaps: int = 0
    ):
        self.ah, self.counted, self.lost, self.gaps = ah, counted, lost, gaps

    def at(self, k: int) -> tuple[float, float | None, int, int]:
        """(integrated, counted or None, increments lost, time gaps) at sample ``k``."""
        gaps = self.gaps
        if self.counted is None:
            return float(self.ah[k]), None, 0, gaps
        return float(self.ah[k]), float(self.counted[k]), int(self.lost[k]), gaps

    @staticmethod
    def between(end: tuple, start: tuple) -> tuple[float | None, str]:
        """(charge from ``end`` back to ``start``, source): the net discharge between
        two :meth:`at` readings, the cycler's where it counted all of it and agrees
        with the integral (:func:`counted_or_integrated`). Across a time gap the
        integral misses the gap's charge: the cycler's count where it lost none,
        else None (not known)."""
        integrated = start[0] - end[0]
        gap = start[3] != end[3]
        if start[1] is None or end[1] is None:
            return (None, INTEGRATED) if gap else (integrated, INTEGRATED)
        if gap:
            lost = end[2] - start[2]
            return (start[1] - end[1], CYCLER) if lost == 0 else (None, INTEGRATED)
        return counted_or_integrated(start[1] - end[1], integrated, end[2] - start[2])


def _copy_acc(a: IcaCurveAccumulator) -> IcaCurveAccumulator:
    return IcaCurveAccumulator(
        hist=a.hist.copy(),
        ah=a.ah,
        rate_ah_weighted=a.rate_ah_weighted,
        segments=a.segments,
        v_min=a.v_min,
        v_max=a.v_max,
    )


# ---------------------------------------------------------------------------
# Result assembly
# ---------------------------------------------------------------------------
def _ocv_slope_v_per_pct(spec: BatterySpec, soc: float) -> float:
    """Slope of the OCV table at ``soc`` (V per % SOC), its end segment's outside the
    table (plain Python: it is read a pulse at a time)."""
    x, y = spec.ocv_table
    j = min(max(bisect.bisect_right(x, soc) - 1, 0), len(x) - 2)
    return float((y[j + 1] - y[j]) / (x[j + 1] - x[j]))


def _soc_reading(spec: BatterySpec, ocv: float, sigma_v: float) -> tuple[float, float]:
    """SOC (%) from an OCV reading and its one-sigma uncertainty (inf where unusable)."""
    table = spec.ocv_table[1]  # the table cell_soc_from_ocv reads
    lo, hi = min(table), max(table)
    soc = float(spec.cell_soc_from_ocv(ocv))
    if not lo < ocv < hi:
        return soc, math.inf  # outside the table: the SOC is clipped, not read
    slope = _ocv_slope_v_per_pct(spec, soc)
    return soc, (sigma_v / slope if slope > 0 else math.inf)


def ocv_pair_capacity(
    spec: BatterySpec, points: list[dict], settings: SohSettings, ocv_key: int | None = None
) -> dict:
    """Capacity from every usable pair of OCV readings (see the module docstring).

    ``ocv_key``: None for the mean cell voltage, k for series cell k (0-based).
    """
    s = settings
    socs, sig, ahs = [], [], []
    counted = [p.get("cycler_ah") for p in points]
    lost = [p.get("lost", 0) for p in points]
    gaps = [p.get("gaps", 0) for p in points]
    sources: set[str] = set()
    for p in points:
        ocv = p["ocv_v"] if ocv_key is None else (p["cells_ocv_v"] or [np.nan])[ocv_key]
        soc, sd = _soc_reading(spec, ocv, s.ocv_sigma_v)
        socs.append(soc)
        sig.append(sd)
        ahs.append(p["ah"])
    socs_a, sig_a, ahs_a = np.array(socs), np.array(sig), np.array(ahs)
    caps, weights = [], []
    for a in range(len(points)):
        for b in range(a + 1, len(points)):
            dsoc = socs_a[b] - socs_a[a]
            dah = ahs_a[b] - ahs_a[a]
            source = INTEGRATED
            if gaps[a] != gaps[b]:
                # a time gap between: the integral misses its charge (time_gaps);
                # the cycler's count where it lost none, else no pair
                if counted[a] is None or counted[b] is None or lost[b] != lost[a]:
                    continue
                dah, source = counted[b] - counted[a], CYCLER
            elif counted[a] is not None and counted[b] is not None:
                dah, source = counted_or_integrated(
                    counted[b] - counted[a], float(dah), lost[b] - lost[a]
                )
            err = math.hypot(sig_a[a], sig_a[b])
            if abs(dsoc) < s.min_delta_soc_pct or dsoc * dah <= 0:
                continue
            if not err <= s.max_pair_relative_error * abs(dsoc):
                continue
            caps.append(dah / (dsoc / 100.0))
            weights.append(abs(dsoc))
            sources.add(source)
    out: dict = {"n_rests": len(points), "n_pairs": len(caps), "capacity_ah": None, "std_ah": None}
    # the charge counted between the pairs' readings: the cycler's, the integral's or both
    out["charge_source"] = sources.pop() if len(sources) == 1 else ("mixed" if sources else None)
    if caps:
        w = np.array(weights)
        c = np.array(caps)
        mean = float(np.sum(w * c) / np.sum(w))
        out["capacity_ah"] = mean
        out["std_ah"] = float(np.sqrt(np.sum(w * (c - mean) ** 2) / np.sum(w)))
    return out


def _is_full(row: dict, spec: BatterySpec, margin: float) -> bool:
    eoc, eod = row.get("end_of_charge_voltage_v"), row.get("end_of_discharge_voltage_v")
    if eoc is None and eod is None:
        return True  # a capacity-check table: every row is a full discharge
    if eoc is None or eod is None or not (np.isfinite(eoc) and np.isfinite(eod)):
        return False
    window = spec.cell_v_max - spec.cell_v_min
    if window <= 0:
        return True
    top = eoc / spec.series_cells >= spec.cell_v_max - margin * window
    bottom = eod / spec.series_cells <= spec.cell_v_min + margin * window
    return bool(top and bottom)


def _bol_resistance(spec: BatterySpec, metric: str) -> tuple[float | None, str]:
    if spec.bol_resistance_ohm is not None:
        return float(spec.bol_resistance_ohm), "spec.bol_resistance_ohm"
    ecm = spec.ecm or preset(spec.chemistry).ecm
    if ecm is None:
        return None, "none (no BOL resistance and no ECM preset)"
    value = ecm_reading(ecm, spec.capacity_ah, _METRIC_READ_S[metric])
    if metric == "r0":
        return value, f"preset ECM R0 for a {spec.capacity_ah:g} Ah cell"
    return value, f"10 s DCIR of the preset ECM for a {spec.capacity_ah:g} Ah cell"


def ecm_reading(
    ecm: EcmParameters, capacity_ah: float, read_s: float, within_s: float = 0.0
) -> float:
    """The resistance a cell of the 2-RC ``ecm`` (``capacity_ah``) reads ``read_s`` after
    a current step (0: the ohmic R0) seen at its first sample, the step having happened
    at an unknown time, uniformly within the ``within_s`` before it (0: at it):
    ``R0 + sum Ri (1 - tau_i / w * exp(-read_s / tau_i) * (1 - exp(-w / tau_i)))``, the
    mean over the step's age ``u`` in ``[0, w]`` of ``R0 + sum Ri (1 - exp(-(read_s +
    u) / tau_i))``; ``within_s = 0`` gives ``R0 + sum Ri (1 - exp(-read_s / tau_i))``."""
    v = ecm.for_capacity(capacity_ah)
    total = v["r0_ohm"]
    for r, tau in ((v["r1_ohm"], ecm.tau1_s), (v["r2_ohm"], ecm.tau2_s)):
        x = within_s / tau
        # (1 - exp(-x)) / x, the mean of exp(-u / tau) over the step's age
        late = -math.expm1(-x) / x if x > 1e-12 else 1.0
        total += r * (1.0 - math.exp(-read_s / tau) * late)
    return total


def sampling_factor(
    spec: BatterySpec, metric: str, within_s: float | None, soc_percent: float | None = None
) -> float:
    """How much higher than at its instant a new cell of the spec's ECM (the preset's
    where the spec has none) reads the ``metric`` of a step that happened within the
    ``within_s`` before its first sample (a pulse's ``step_within_s``; None or 0: at
    it): :func:`ecm_reading` at ``within_s``, plus the OCV's move over the step's mean
    age at ``soc_percent`` (the OCV table's slope there: the charge the step passed
    before its sample, ``dOCV/dQ * w / 2``; none without a SOC), over the reading at
    the step; 1 without an ECM."""
    if not within_s or not math.isfinite(within_s) or within_s <= 0:
        return 1.0
    ecm = spec.ecm or preset(spec.chemistry).ecm
    if ecm is None:
        return 1.0
    late, at_step = _late_reading(ecm, spec.capacity_ah, _METRIC_READ_S[metric], within_s)
    ocv = 0.0
    if soc_percent is not None and math.isfinite(soc_percent):
        # V per % SOC -> V per A*s of one cell
        slope = _ocv_slope_v_per_pct(spec, soc_percent)
        ocv = max(slope, 0.0) * 100.0 / (spec.capacity_ah * 3600.0) * within_s / 2.0
    return (late + ocv) / at_step


def off_ocv_table(spec: BatterySpec, pulse: dict) -> bool:
    """Whether the pulse's step was seen late (``step_within_s`` > 0) from a rest whose
    cell voltage before it (``cell_v_before_v``) is outside the spec's OCV table: the
    OCV there is not the table's. A lead-acid cell charged at its 2.40-2.45 V absorption
    voltage rests above the table's 100 % (2.12 V; surface charge, hours to go), one
    discharged to 1.75 V below its 0 % (1.94 V), and the first seconds of the next step
    move it tens of times faster than the table's slope (the simulator's C/5 cycle: 2
    mV/s a cell at 0.5 A from 2.435 V, the table's 1.5 mV per % SOC 0.02 mV/s)."""
    w, v = pulse.get("step_within_s"), pulse.get("cell_v_before_v")
    if not w or w <= 0 or v is None or not pulse.get("from_rest"):
        return False
    table = spec.ocv_table[1]
    return not min(table) <= v <= max(table)


def seen_ocv_share(spec: BatterySpec, metric: str, pulse: dict) -> float | None:
    """The share of a late step's ``metric`` reading (over the reading at its instant)
    that the OCV's move over the step's mean age ``w / 2`` takes, as the pulse's own
    voltage after its first sample shows the OCV's slope: its 10 s DCIR's growth over
    its R0, less what the ECM's RC pairs (scaled to the cell's reading, as the
    correction takes them) grow in those 10 s, per second; None without both readings
    or an ECM. For a step off the OCV table (:func:`off_ocv_table`), where the table's
    slope is not the cell's. A real cell's surface charge, spent fastest at first, makes
    the slope after the sample at most the one before it (a lower bound); the simulator's
    OCV beyond the table is linear, the slope after 2-6 % above the one before (less
    where a cell crosses into the table within those 10 s), the share right on average."""
    w = pulse.get("step_within_s") or 0.0
    r0, r10 = pulse.get("r0_cell_ohm"), pulse.get("r_10s_cell_ohm")
    ecm = spec.ecm or preset(spec.chemistry).ecm
    if r0 is None or r10 is None or ecm is None or not (math.isfinite(r0) and r0 > 0):
        return None
    if not math.isfinite(r10) or w <= 0:
        return None
    value = r0 if metric == "r0" else r10
    late, at_step = _late_reading(ecm, spec.capacity_ah, _METRIC_READ_S[metric], w)
    scale = value / late  # the cell's resistance over the ECM's, as read
    read = _OCV_SLOPE_READ_S
    grown = _late_reading(ecm, spec.capacity_ah, read, w)[0]
    grown -= _late_reading(ecm, spec.capacity_ah, 0.0, w)[0]
    slope = max(r10 - r0 - grown * scale, 0.0) / read
    return slope * w / 2.0 / (at_step * scale)


def _late_factor(spec: BatterySpec, metric: str, pulse: dict) -> float:
    """The pulse's :func:`sampling_factor` at its ``step_within_s`` and SOC; from a rest
    off the OCV table (:func:`off_ocv_table`) the RC pairs' part of it plus the OCV share
    its own readings show (:func:`seen_ocv_share`), infinite without them (left out)."""
    w = pulse.get("step_within_s")
    if not off_ocv_table(spec, pulse):
        return sampling_factor(spec, metric, w, pulse.get("soc_percent"))
    share = seen_ocv_share(spec, metric, pulse)
    return math.inf if share is None else sampling_factor(spec, metric, w) + share


def earliest_factor(spec: BatterySpec, metric: str, pulse: dict) -> float:
    """The pulse's :func:`sampling_factor` were its step a whole ``step_within_s``
    before its first sample (the latest it can have been seen): the ECM's reading that
    long after a step, plus the OCV's move over all of it (the table's slope at the
    pulse's SOC, or from a rest off the table twice :func:`seen_ocv_share`), over the
    reading at the step; 1 where the step is marked or without an ECM, infinite where
    the OCV's share is unknown. With the factor at its sample (1), it bounds what the
    step's own instant, unknown within the interval, does to its reading."""
    w = pulse.get("step_within_s")
    if not w or not math.isfinite(w) or w <= 0:
        return 1.0
    ecm = spec.ecm or preset(spec.chemistry).ecm
    if ecm is None:
        return 1.0
    m = _METRIC_READ_S[metric]
    at_step = _late_reading(ecm, spec.capacity_ah, m, 0.0)[1]
    rc = _late_reading(ecm, spec.capacity_ah, m + w, 0.0)[1] / at_step
    if off_ocv_table(spec, pulse):
        share = seen_ocv_share(spec, metric, pulse)
        return math.inf if share is None else rc + 2.0 * share
    soc = pulse.get("soc_percent")
    if soc is None or not math.isfinite(soc):
        return rc
    slope = max(_ocv_slope_v_per_pct(spec, soc), 0.0)
    return rc + slope * 100.0 / (spec.capacity_ah * 3600.0) * w / at_step


@functools.lru_cache(maxsize=256)
def _late_reading(
    ecm: EcmParameters, capacity_ah: float, read_s: float, within_s: float
) -> tuple[float, float]:
    """:func:`ecm_reading` at ``within_s`` and at 0 (a log's few intervals, once each)."""
    return (
        ecm_reading(ecm, capacity_ah, read_s, within_s),
        ecm_reading(ecm, capacity_ah, read_s),
    )


@dataclass(frozen=True)
class _MeasuredResistance:
    """The pulses' median per-cell resistance at the reference temperature, as measured,
    the pulses' median temperature (None: none had one), their number, whether they
    were in the SOC and temperature band, how many had no temperature the correction
    holds for, and how many of those read one outside its range."""

    at_reference_ohm: float
    measured_ohm: float
    temperature_c: float | None
    n_pulses: int
    in_band: bool
    without_temperature: int
    out_of_range: int = 0
    #: pulses left out: a temperature outside the correction's range, others inside
    left_out: int = 0
    #: the pulses' temperatures are their cells' own (``cell_<k>_temp_c``)
    per_cell: bool = False
    #: the median at the reference temperature, each pulse's also over its
    #: :func:`sampling_factor` (its step seen late; see "Steps between samples")
    at_step_ohm: float | None = None
    #: the longest ``step_within_s`` of the pulses used (0: every step at its sample)
    within_s: float = 0.0
    #: pulses left out: their step seen so late that a new cell would read more than
    #: :data:`MAX_SAMPLING_SHARE` higher
    too_late: int = 0
    #: the median at the reference temperature were every step a whole interval before
    #: its sample (:func:`earliest_factor`); ``at_reference_ohm``: every one at it
    earliest_ohm: float | None = None

    @property
    def sampling_factor(self) -> float:
        """How much higher the readings are than at the steps' instants, as a new cell of
        the preset's ECM would read them on this log's samples (1: every step at its)."""
        if self.at_step_ohm is None or self.at_step_ohm <= 0:
            return 1.0
        return self.at_reference_ohm / self.at_step_ohm


def _measured_resistance(
    ir: InternalResistanceResult, metric: str, settings: SohSettings, spec: BatterySpec
) -> _MeasuredResistance | None:
    """Median per-cell resistance of the pulses (SOC and temperature band when any), each
    pulse's corrected to the reference temperature by the Arrhenius factor of its own
    temperature: the mean of its cells' factors where they have sensors
    (``cell_temperatures_c``), else of its ``temperature_c`` (uncorrected where it has
    none); None without a usable pulse."""
    pulses = ir.pulses

    def value(p: dict) -> float | None:
        if metric == "r0":
            return p.get("r0_cell_ohm")
        return p.get("r_10s_cell_ohm")

    def temps(p: dict) -> list[float]:
        """The temperatures the pulse's resistance was at: each cell's where the cells
        have sensors (the pack's resistance is the sum of its cells', each at its own;
        the pack's ``temperature_c`` may be the hottest cell's), else the pack's."""
        cells = [t for t in p.get("cell_temperatures_c") or () if t is not None and np.isfinite(t)]
        t = p.get("temperature_c")
        return cells or ([float(t)] if t is not None and np.isfinite(t) else [])

    def read(p: dict) -> float | None:
        """The pulse's temperature: its cells' median (one hot cell is no pack's)."""
        ts = temps(p)
        return float(np.median(ts)) if ts else None

    def factor(p: dict) -> float | None:
        """measured / at the reference, each cell's share by its own temperature
        (None where a temperature is outside the range the correction holds for)."""
        ts = temps(p)
        if not ts or not all(tmin <= t <= tmax for t in ts):
            return None
        return float(np.mean([resistance_temperature_factor(spec.chemistry, t) for t in ts]))

    tmin, tmax = RESISTANCE_CORRECTION_RANGE_C

    lo, hi = settings.resistance_soc_band_pct
    tlo, thi = settings.resistance_temperature_band_c
    # a resistance of zero or less is a failed read-out, not a healthy cell
    good = [p for p in pulses if value(p) is not None and np.isfinite(value(p)) and value(p) > 0]
    # a step seen so late that the reading is more the RC polarisation's than R0's
    late = {id(p): _late_factor(spec, metric, p) for p in good}
    too_late = sum(f - 1.0 > MAX_SAMPLING_SHARE for f in late.values())
    good = [p for p in good if late[id(p)] - 1.0 <= MAX_SAMPLING_SHARE]
    # in the band: every cell at room temperature (a pulse while one cell runs hot, a
    # fault reported elsewhere, only where there is no other)
    band = [
        p
        for p in good
        if p.get("soc_percent") is not None
        and lo <= p["soc_percent"] <= hi
        and all(tlo <= t <= thi for t in temps(p))
    ]
    use = [p for p in band or good if not _cell_apart(p)]
    if not use:
        return None
    apart = len(band or good) - len(use)
    factors = [factor(p) for p in use]
    # a pulse with a temperature the correction does not hold for (a cell past 60 degC:
    # a fault, reported elsewhere) is left out where others can be corrected
    odd = [bool(temps(p)) and f is None for p, f in zip(use, factors, strict=True)]
    left_out = sum(odd) if not all(odd) and any(f is not None for f in factors) else 0
    if left_out:
        kept = [(p, f) for p, f, o in zip(use, factors, odd, strict=True) if not o]
        use, factors = [p for p, _ in kept], [f for _, f in kept]
    known = [read(p) for p, f in zip(use, factors, strict=True) if f is not None]
    at_reference = [value(p) / (f or 1.0) for p, f in zip(use, factors, strict=True)]
    return _MeasuredResistance(
        at_reference_ohm=float(np.median(at_reference)),
        at_step_ohm=float(
            np.median([r / late[id(p)] for p, r in zip(use, at_reference, strict=True)])
        ),
        within_s=max((p.get("step_within_s") or 0.0) for p in use),
        too_late=too_late,
        earliest_ohm=float(
            np.median(
                [
                    r / earliest_factor(spec, metric, p)
                    for p, r in zip(use, at_reference, strict=True)
                ]
            )
        ),
        measured_ohm=float(np.median([value(p) for p in use])),
        temperature_c=float(np.median(known)) if known else None,
        n_pulses=len(use),
        in_band=bool(band),
        without_temperature=len(use) - len(known),
        out_of_range=sum(1 for p, f in zip(use, factors, strict=True) if temps(p) and f is None),
        left_out=left_out + apart,
        per_cell=any(
            t is not None and np.isfinite(t)
            for p in use
            for t in p.get("cell_temperatures_c") or ()
        ),
    )


def _cell_apart(p: dict) -> bool:
    """Some of the pulse's cells inside the range the temperature correction holds for,
    some outside: a cell running hot (a fault, reported elsewhere), its share of the
    pack's resistance at a temperature the correction cannot take."""
    tmin, tmax = RESISTANCE_CORRECTION_RANGE_C
    ts = [t for t in p.get("cell_temperatures_c") or () if t is not None and np.isfinite(t)]
    inside = [tmin <= t <= tmax for t in ts]
    return any(inside) and not all(inside)


def _sampling_note(measured: _MeasuredResistance, metric: str, notes: list[str]) -> str:
    """Say how the reference was taken to this log's sampling (see "Steps between
    samples"); returns the words naming it, for the reference's description."""
    f, w = measured.sampling_factor, measured.within_s
    seen = "at the steps' instants"
    notes.append(
        f"the pulses' steps fell between samples up to {w:.3g} s apart (no step_index marks "
        f"where), so each was seen up to a sample period late and its {_METRIC_NAMES[metric]} "
        "holds part of the RC polarisation (and the OCV's move) grown meanwhile: a new cell "
        f"of the preset's ECM reads {_percent(f)} so; taken back to the steps' instants by "
        f"that, {resistance_text(measured.at_reference_ohm, ascii=True)} is "
        f"{resistance_text(measured.at_step_ohm, ascii=True)} (the cell's RC share the "
        "preset's), the quantity of the reference"
        + _instants_bound(measured)
        + (
            f"; {measured.too_late} pulse(s) stepped so far before their sample that their "
            "reading is more the RC's than R0's, or from a rest beyond the OCV table (the "
            "OCV's move unknown): left out"
            if measured.too_late
            else ""
        )
    )
    return seen


def _instants_bound(measured: _MeasuredResistance) -> str:
    """The words bounding what the steps' own instants, unknown within their intervals,
    do to the resistance at the steps' instants: from every step a whole interval
    before its sample to every one at it (a median of few steps may lie anywhere
    between: the simulator's NMC cycle polled every 10 s, its steps 7-9 s before their
    samples, read 1.08x its cells' R0)."""
    lo, hi, mid = measured.earliest_ohm, measured.at_reference_ohm, measured.at_step_ohm
    if lo is None or mid is None or not (math.isfinite(lo) and mid > 0 and lo > 0):
        return ""
    return (
        f"; the steps' own instants, unknown within their intervals, put it between "
        f"{resistance_text(lo, ascii=True)} ({_percent(lo / mid)}: every step a whole "
        f"interval before its sample) and {resistance_text(hi, ascii=True)} "
        f"({_percent(hi / mid)}: every one at its sample)"
    )


def _percent(factor: float) -> str:
    """A factor near 1 as the change it makes: 1.163 -> '+16 %', 1.0034 -> '+0.34 %'."""
    return f"{100.0 * (factor - 1.0):+.2g} %"


def _unit_slip(r_meas: float, bol: float, metric: str, notes: list[str]) -> bool:
    """Whether the resistance given, ``bol``, can be this cell's in the unit asked
    (ohm); if not, a note says why (see :data:`UNIT_SLIP_FACTOR`)."""
    ratio = r_meas / bol
    if 1.0 / UNIT_SLIP_FACTOR <= ratio <= UNIT_SLIP_FACTOR:
        return True
    times, never = (
        (f"{ratio:.0f}x", f"no cell wears to {UNIT_SLIP_FACTOR:g}x its new resistance")
        if ratio > 1
        else (
            f"1/{1 / ratio:.0f} of",
            f"no cell measures 1/{UNIT_SLIP_FACTOR:g} of its new one",
        )
    )
    measured = resistance_text(r_meas, ascii=True)
    notes.append(
        f"no resistance SOH: the {_METRIC_NAMES[metric]} measured, {measured}, is {times} the "
        f"beginning-of-life resistance given ({bol:g} ohm): {never}, so the value given "
        "is in another unit or not this cell's (--bol-resistance-ohm is in ohm: "
        f"{measured} is {r_meas:.3g})"
    )
    return False


def _too_late(ir: InternalResistanceResult, metric: str, spec: BatterySpec) -> tuple[int, float]:
    """The pulses with a resistance of ``metric`` left out for a step seen too late
    (:data:`MAX_SAMPLING_SHARE`), and the longest interval their steps fell in."""
    key = "r0_cell_ohm" if metric == "r0" else "r_10s_cell_ohm"
    late = [
        p.get("step_within_s") or 0.0
        for p in ir.pulses
        if p.get(key) is not None
        and np.isfinite(p[key])
        and p[key] > 0
        and _late_factor(spec, metric, p) - 1.0 > MAX_SAMPLING_SHARE
    ]
    return len(late), max(late, default=0.0)


def _resistance_soh(
    r_meas: float,
    bol: float,
    source: str,
    metric: str,
    spec: BatterySpec,
    notes: list[str],
    seen: str = "",
    as_measured: float | None = None,
) -> float | None:
    """SOH_R of a measured per-cell resistance against the reference (the module
    docstring's cases); appends the notes it needs. ``seen``: the words saying the
    resistance was taken to the steps' instants (see "Steps between samples"; empty:
    it was not), ``as_measured`` its value before that (the unit slip is judged on it:
    a slip is 1000x, not a few %)."""
    given = spec.bol_resistance_ohm is not None
    if given and not _unit_slip(as_measured or r_meas, bol, metric, notes):
        return None
    ratio = r_meas / bol
    what = _METRIC_NAMES[metric] + (f" {seen}" if seen else "")
    measured = f"the {what} measured, {resistance_text(r_meas, ascii=True)}, is {ratio:.2f}x"
    ask = (
        "give the cell's own beginning-of-life resistance (--bol-resistance-ohm: one "
        "cell, the same quantity, near 25 degC)"
    )
    if not given:
        reference = (
            f"the {spec.chemistry.value} preset's typical value for a "
            f"{spec.capacity_ah:g} Ah cell ({resistance_text(bol, ascii=True)})"
        )
    else:
        reference = f"the beginning-of-life resistance given ({resistance_text(bol, ascii=True)})"
    if ratio < 1.0 - NEW_CELL_TOLERANCE:
        why = (
            "a chemistry guess this cell contradicts (another cell design, or a capacity "
            "that is not the cell's)"
            if not given
            else "lower than a new cell of that reference: not this cell's, or another "
            "quantity (a pack's, an AC impedance, another temperature)"
        )
        notes.append(f"no resistance SOH: {measured} {reference}, {why}; {ask}")
        return None
    if ratio > EOL_RESISTANCE_FACTOR:
        if not given:
            notes.append(
                f"no resistance SOH: {measured} {reference}, past the "
                f"{EOL_RESISTANCE_FACTOR:g}x end of life of a guess (a higher-resistance "
                f"design as likely as a worn cell); {ask}"
            )
            return None
        notes.append(
            f"resistance {ratio:.1f}x the reference ({source}): past the "
            f"{EOL_RESISTANCE_FACTOR:g}x end of life, or not this cell's reference"
        )
        return 0.0
    if ratio < 1.0:
        notes.append(
            f"resistance SOH shown as 100 %: {measured} {reference}, within the "
            f"{100 * NEW_CELL_TOLERANCE:g} % a new cell scatters about it (cell-to-cell "
            "spread, temperature, fit)"
        )
        soh = 100.0
    else:
        soh = 100.0 * (EOL_RESISTANCE_FACTOR - ratio) / (EOL_RESISTANCE_FACTOR - 1.0)
    if not given:
        notes.append(
            f"resistance SOH against {reference}, not this cell's own: an indication; "
            f"for a measured one {ask}"
        )
    return soh


def build_soh_result(
    spec: BatterySpec,
    settings: SohSettings,
    *,
    points: list[dict],
    cycles: list[dict],
    ica: dict,
    grid: VoltageGrid,
    ir: InternalResistanceResult | None,
    resistance_metric: str = "r0",
    measured_resistance_ohm: float | None = None,
    lowest_discharge_v: float | None = None,
) -> SohResult:
    """Assemble the result from the accumulated readings (shared by offline and live).
    ``lowest_discharge_v``: the lowest cell voltage seen while discharging (the note
    on a missing capacity says how far the discharges were from a full one)."""
    nominal = spec.pack_capacity_ah
    notes: list[str] = []
    # --- full cycles
    rows = []
    for row in cycles:
        cap = row.get("discharge_capacity_ah")
        if cap is None or not np.isfinite(cap) or cap <= 0:
            continue
        full = _is_full(row, spec, settings.full_cycle_margin)
        rows.append(
            {
                "cycle_index": int(row["cycle_index"]),
                "discharge_capacity_ah": float(cap),
                "full": full,
                "soh_percent": 100.0 * float(cap) / nominal if full else None,
                "capacity_source": row.get("capacity_source"),
            }
        )
    full_rows = [r for r in rows if r["full"]]
    full_cap = full_rows[-1]["discharge_capacity_ah"] if full_rows else None
    # --- OCV pairs
    pack = ocv_pair_capacity(spec, points, settings)
    n_cells = len(points[0]["cells_ocv_v"]) if points and points[0]["cells_ocv_v"] else 0
    cell_caps = [
        ocv_pair_capacity(spec, points, settings, ocv_key=k)["capacity_ah"] for k in range(n_cells)
    ]
    ocv_capacity = {
        **pack,
        "soh_percent": None if pack["capacity_ah"] is None else 100 * pack["capacity_ah"] / nominal,
        "cells_capacity_ah": cell_caps or None,
        "readings": [
            {k: p[k] for k in ("time_s", "rest_s", "ah", "ocv_v", "cycler_ah")}
            for p in points[-50:]
        ],
        "thresholds": {
            "min_rest_s": settings.min_rest_s,
            "ocv_average_s": settings.ocv_average_s,
            "ocv_sigma_v": settings.ocv_sigma_v,
            "min_delta_soc_pct": settings.min_delta_soc_pct,
            "max_pair_relative_error": settings.max_pair_relative_error,
            "weights": "|delta SOC|",
        },
    }
    if full_cap is not None:
        capacity, method = full_cap, "discharge capacity of the last full cycle"
        capacity_source = full_rows[-1]["capacity_source"]
    elif pack["capacity_ah"] is not None:
        capacity, method = pack["capacity_ah"], "coulomb counting between OCV readings at rest"
        capacity_source = pack["charge_source"]
    else:
        capacity, method, capacity_source = None, None, None
        bottom_v = spec.cell_v_min + settings.full_cycle_margin * (
            spec.cell_v_max - spec.cell_v_min
        )
        why = ""
        if lowest_discharge_v is not None and lowest_discharge_v > bottom_v:
            # a cycler log between its own limits (the Neware cell's 3.9-4.7 V) is
            # no full cycle of a spec whose cut-off is far below: say so
            why = (
                f" (a full discharge ends within 5 % of the spec's {spec.cell_v_min:g} V "
                f"cut-off, <= {bottom_v:.3f} V a cell; the lowest cell voltage on discharge "
                f"here is {lowest_discharge_v:.3f} V)"
            )
        notes.append(
            f"no capacity: no full cycle{why} and no two rests of "
            f">= {settings.min_rest_s:g} s far enough apart in SOC"
        )
    soh_c = None if capacity is None else 100.0 * capacity / nominal
    if soh_c is not None and capacity > CAPACITY_SLIP_FACTOR * nominal:
        # (a log in ms read as s counted a 5 Ah pack's 5000 Ah: "SOH 100665 %")
        notes.append(
            f"no capacity SOH: the {capacity:.4g} Ah counted ({method}) is "
            f"{capacity / nominal:.3g} times the nominal {nominal:g} Ah, which no cell holds: "
            "the time or the current is in other units (ms, mA), or the capacity given "
            "is not this battery's (one of parallel strings?)"
        )
        soh_c = None
    # --- resistance
    bol, source = _bol_resistance(spec, resistance_metric)
    in_band = True
    measured = None
    if measured_resistance_ohm is not None:  # the caller's, taken to be at the reference
        r_meas, n_pulses = float(measured_resistance_ohm), 0
    elif ir is not None and (
        measured := _measured_resistance(ir, resistance_metric, settings, spec)
    ):
        r_meas, n_pulses, in_band = measured.at_reference_ohm, measured.n_pulses, measured.in_band
        _temperature_notes(measured, spec, notes)
    else:
        r_meas, n_pulses = None, 0
    soh_r = eol = None
    seen = ""
    if measured is not None and measured.sampling_factor > 1.0:
        # like with like: the readings at the steps' instants, as the reference is
        r_meas = measured.at_step_ohm
        seen = _sampling_note(measured, resistance_metric, notes)
    elif measured is not None and measured.too_late:
        notes.append(
            f"{measured.too_late} pulse(s) left out: their steps fell so far before their "
            "samples (no step_index marking where) that a new cell would read them more "
            f"than {100 * MAX_SAMPLING_SHARE:g} % above its R0 (as much the RC's and the "
            "OCV's as R0's), or from a rest beyond the OCV table (the OCV's move unknown)"
        )
    if bol is not None and bol > 0:
        eol = EOL_RESISTANCE_FACTOR * bol
        if r_meas is not None:
            as_measured = measured.at_reference_ohm if measured else r_meas
            soh_r = _resistance_soh(
                r_meas, bol, source, resistance_metric, spec, notes, seen, as_measured
            )
    if r_meas is not None and not in_band:
        (slo, shi), (tlo, thi) = (
            settings.resistance_soc_band_pct,
            settings.resistance_temperature_band_c,
        )
        notes.append(
            f"resistance from {n_pulses} pulse(s) outside {slo:g}-{shi:g} % SOC and "
            f"{tlo:g}-{thi:g} degC (none inside), not where a new cell's resistance is "
            "quoted (mid SOC, room temperature)"
        )
    if r_meas is None:
        # the pulses may be there, read from the samples without a fit (a slow log)
        found = ir.n_pulses if ir is not None else 0
        metric = _METRIC_NAMES[resistance_metric]
        apart = sum(map(_cell_apart, ir.pulses)) if ir is not None else 0
        lo, hi = RESISTANCE_CORRECTION_RANGE_C
        late = _too_late(ir, resistance_metric, spec) if ir is not None else (0, 0.0)
        if late[0]:
            notes.append(
                f"no resistance: the {late[0]} current pulse(s) giving a {metric} stepped "
                f"between samples up to {late[1]:g} s apart, with no step_index marking "
                "where: a step seen that late reads the RC polarisation and the OCV's move "
                "(a steep OCV near empty or full, a rest beyond the OCV table) grown "
                "meanwhile as if they were R0 (a new cell more than "
                f"{100 * MAX_SAMPLING_SHARE:g} % higher, or by an OCV move the table does "
                "not give), which this log cannot tell apart; a faster log, or a cycler's "
                "step_index, resolves it"
            )
        elif apart:
            notes.append(
                f"no resistance: {apart} of {found} current pulses had a cell outside "
                f"{lo:g}-{hi:g} degC (a cell running hot, a fault), where the temperature "
                "correction does not hold"
            )
        else:
            notes.append(
                f"no resistance: {found} current pulses found, none gave a {metric}"
                if found
                else f"no resistance: {ir.no_pulses_reason or NO_PULSES_REASON}"
                if ir is not None
                else f"no resistance: {NO_PULSES_REASON}"
            )
    # --- ICA
    curves = [ica_curve(grid, acc, c, d) for (c, d), acc in sorted(ica.items())]
    return SohResult(
        soh_percent=soh_c,
        soh_method="capacity" if soh_c is not None else "none",
        nominal_capacity_ah=nominal,
        capacity_ah=capacity,
        soh_capacity_percent=soh_c,
        capacity_method=method,
        full_cycle_capacity_ah=full_cap,
        full_cycles=rows,
        ocv_capacity=ocv_capacity,
        soh_resistance_percent=soh_r,
        resistance_ohm=r_meas,
        bol_resistance_ohm=bol,
        eol_resistance_ohm=eol,
        resistance_metric=_METRIC_NAMES[resistance_metric],
        bol_resistance_source=source,
        resistance_pulses=n_pulses,
        ica_method=(
            "dQ/dV of CC segments <= C/2: charge binned by cell voltage (5 mV bins), "
            "Savitzky-Golay smoothed (9 bins, cubic)"
        ),
        ica_curves=[c.to_dict() for c in curves],
        ica_peak_trend=peak_trend(curves),
        notes=notes,
        resistance_measured_ohm=measured.measured_ohm if measured else r_meas,
        resistance_temperature_c=measured.temperature_c if measured else None,
        resistance_temperature_factor=(
            measured.measured_ohm / measured.at_reference_ohm if measured else None
        ),
        resistance_activation_energy_j_per_mol=(
            RESISTANCE_ACTIVATION_J_PER_MOL[spec.chemistry]
            if measured and measured.without_temperature < measured.n_pulses
            else None  # nothing was corrected
        ),
        capacity_source=capacity_source,
        resistance_sampling_factor=measured.sampling_factor if measured else None,
    )


def _temperature_notes(measured: _MeasuredResistance, spec: BatterySpec, notes: list[str]) -> None:
    """Say how the resistance was brought to the reference temperature, or that it was not."""
    ref = RESISTANCE_REFERENCE_TEMP_C
    ea = RESISTANCE_ACTIVATION_J_PER_MOL[spec.chemistry]
    n, missing, odd = measured.n_pulses, measured.without_temperature, measured.out_of_range
    lo, hi = RESISTANCE_CORRECTION_RANGE_C
    outside = (
        f"{odd} of {n} pulses read a temperature outside {lo:g}-{hi:g} degC, where the "
        "correction holds (a degF column, a broken sensor, or a cell running hot: a fault?)"
        if odd
        else ""
    )
    if missing == n:
        why = outside or "the log has no temperature"
        notes.append(
            f"resistance not corrected for temperature: {why}; "
            f"it is compared as if measured at {ref:g} degC (R0 rises ~x1.5 from {ref:g} "
            "to 10 degC)"
        )
        return
    factor = measured.measured_ohm / measured.at_reference_ohm
    cells = "' cells; each cell's share corrected at its own" if measured.per_cell else ""
    notes.append(
        f"resistance corrected to {ref:g} degC: measured "
        f"{resistance_text(measured.measured_ohm, ascii=True)} "
        f"at {measured.temperature_c:.1f} degC (median of the pulses{cells}), x{1 / factor:.3g} "
        f"(Arrhenius, {spec.chemistry.value} {ea / 1000:g} kJ/mol) -> "
        f"{resistance_text(measured.at_reference_ohm, ascii=True)}"
    )
    if odd:
        notes.append(f"{outside}: not corrected")
    if measured.left_out:
        notes.append(
            f"{measured.left_out} pulse(s) left out: a temperature outside {lo:g}-{hi:g} degC "
            "(a cell running hot, a fault; or a broken sensor), where the correction does not hold"
        )
    if missing > odd:
        notes.append(f"{missing - odd} of {n} pulses without a temperature: not corrected")


def _run_keys(i: np.ndarray, ok: np.ndarray, cycle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sign, key) of each sample for the ICA runs: +1 charging, -1 discharging where
    ``ok``, else 0; and ``sign * (2 * cycle + 1)``, the same for the samples of one
    direction and cycle (0 outside ``ok``). The values of ``np.where(ok, np.sign(i),
    0)`` in small integers, without float temporaries (a NaN current is neither)."""
    sign = (i > 0).view(np.int8) - (i < 0).view(np.int8)
    sign *= ok
    key = cycle * 2
    key += 1
    key *= sign
    return sign, key


def calculate_soh(
    df: pd.DataFrame,
    spec: BatterySpec,
    cycles: pd.DataFrame | None = None,
    *,
    internal_resistance: InternalResistanceResult | None = None,
    measured_resistance_ohm: float | None = None,
    resistance_metric: str = "r0",
    settings: SohSettings | None = None,
    cell_extremes: tuple[np.ndarray, np.ndarray] | None = None,
) -> SohResult:
    """State of health of a log in the canonical schema (see the module docstring).

    ``cycles``: a per-cycle table (``cycle_index``, ``discharge_capacity_ah``,
    optionally ``end_of_charge_voltage_v``/``end_of_discharge_voltage_v``); by
    default the one this diagnostic accumulates from the samples (the rules of
    :func:`~app.diagnostics.cycles.summarize_cycles`). ``internal_resistance``:
    a result of :func:`measure_internal_resistance` on the same log, reused
    instead of measuring again; ``measured_resistance_ohm``: a known per-cell
    resistance (the quantity of ``resistance_metric``) instead of either.
    ``cell_extremes``: the lowest and highest cell voltage of each sample, every cell
    reading finite (run_suite: cell balance's,
    :meth:`~app.diagnostics.cell_balance.CellBalanceTracker.cell_extremes`).
    """
    reuse = internal_resistance is not None or measured_resistance_ohm is not None
    tracker = SohTracker(
        spec, settings, resistance_metric=resistance_metric, measure_pulses=not reuse
    )
    cols = {c: df[c].to_numpy(dtype=float) for c in df.columns if _wanted(c)}
    tracker.update(SampleBlock(cols), cell_extremes=cell_extremes)
    table = None
    if cycles is not None:
        table = [
            {
                k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in r.items()
            }
            for r in cycles.to_dict(orient="records")
        ]
    return tracker.result(
        internal_resistance, cycles=table, measured_resistance_ohm=measured_resistance_ohm
    )


def _wanted(column: str) -> bool:
    return (
        column in COUNTER_COLUMNS
        or column
        in (
            schema.TIME,
            schema.VOLTAGE,
            schema.CURRENT,
            schema.CYCLE_INDEX,
            schema.TEMPERATURE,
            schema.STEP_INDEX,
        )
        or bool(schema.CELL_VOLTAGE_RE.match(column) or schema.CELL_TEMPERATURE_RE.match(column))
    )
