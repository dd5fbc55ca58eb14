"""What the Logs page shows of one log file, computed off the GUI thread.

A log is opened with :func:`app.hardware.logs.formats.open_log` (any format),
then summarised per cycle (:func:`app.diagnostics.cycles.summarize_cycles`)
and into dQ/dV curves per cycle and direction (the incremental-capacity code
of the SOH diagnostic). Both need the battery: the file's own ``spec`` when it
names one, else a guess the user can correct on the page. What the user sets
(:class:`BatterySettings`) means what the same options of ``batteryos analyze``
mean, so the page's diagnostics are the CLI's for the same file and settings.

Qt-free; pandas is imported inside the functions (they run in a worker).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.spec import BatterySpec, Chemistry, preset

if TYPE_CHECKING:
    import pandas as pd

    from app.hardware.logs.formats import Progress


@dataclass(frozen=True)
class BatterySettings:
    """What the user set on the page, as the options of ``batteryos analyze``.

    None is an option not given: the file's battery (or the guess) stands, and
    end of life is measured against the first cycles' capacity. A capacity the
    user gives is the reference of end of life, as ``--capacity-ah`` is.
    """

    chemistry: str | None = None  #: ``--chemistry``
    capacity_ah: float | None = None  #: ``--capacity-ah``
    cells: int | None = None  #: ``--cells``
    ocv_table: str | None = None  #: ``--ocv-table`` (a CSV of soc_percent, ocv_v)
    eol_fraction: float | None = None  #: ``--eol-fraction``; None: its default
    bol_resistance_ohm: float | None = None  #: ``--bol-resistance-ohm``
    #: ``--invert-current``: the log counts discharge as positive, its current is negated
    #: (before the battery is guessed from it, as the CLI negates it before anything else)
    invert_current: bool = False
    #: ``--ocv-table-current-c``: the current (C, charging positive) the ``ocv_table`` was
    #: measured at (a C/50 discharge: -0.02); None: not known, or no table
    ocv_table_current_c: float | None = None
    #: ``--cell-v-min``, ``--cell-v-max``: the cells' own voltage window, V, over the
    #: file's or the preset's (the safety check, the faults and the OCV table's fit are
    #: judged against it); None: the battery's own
    cell_v_min: float | None = None
    cell_v_max: float | None = None

    @property
    def names_battery(self) -> bool:
        """Whether the user described the battery (else the file's or the guess stands)."""
        return any(
            v is not None
            for v in (
                self.chemistry,
                self.capacity_ah,
                self.cells,
                self.ocv_table,
                self.bol_resistance_ohm,
                self.cell_v_min,
                self.cell_v_max,
            )
        )


#: Per-cycle columns the page plots.
CYCLE_PLOT_COLUMNS = (
    "cycle_index",
    "charge_capacity_ah",
    "discharge_capacity_ah",
    "coulombic_efficiency",
    # a cycle that starts or ends mid-way, or lacks a half (see app.diagnostics.partial_cycles)
    "partial",
)


@dataclass(frozen=True)
class IcaTrace:
    """dQ/dV of one cycle and direction, ready to plot (cell voltage, Ah per V)."""

    cycle_index: int
    direction: str  #: "charge" or "discharge"
    voltage_v: np.ndarray
    dqdv_ah_per_v: np.ndarray
    c_rate: float


@dataclass(frozen=True)
class LogAnalysis:
    """One opened log: its samples, battery, per-cycle table and dQ/dV curves."""

    path: str
    frame: pd.DataFrame
    metadata: dict[str, str]
    spec: BatterySpec
    file_spec: BatterySpec | None  #: the battery the file names, None when it names none
    cycles: pd.DataFrame
    ica: list[IcaTrace] = field(default_factory=list)
    #: why the log has no dQ/dV although it has slow constant-current segments ('')
    ica_missing: str = ""
    settings: BatterySettings = field(default_factory=BatterySettings)
    #: a per-cycle table (cycle_index, discharge_capacity_ah): no samples, only
    #: the lifetime diagnostics, as ``batteryos analyze`` runs them on it
    per_cycle_table: bool = False
    #: what is wrong with the file's ``# spec:`` line (it was ignored; None: none or good)
    spec_problem: str | None = None
    #: the battery guessed for a log naming none, and from what (None: the file names one)
    guess: BatteryGuess | None = None

    @cached_property
    def spec_warning(self) -> str | None:
        """Why the battery does not fit the log's voltages (``analyze`` warns the same)."""
        if self.per_cycle_table:
            return None
        from app.diagnostics.spec_fit import voltage_window_warning
        from app.views.log_files import LOGS_PAGE_WORDS

        return voltage_window_warning(self.frame, self.spec, LOGS_PAGE_WORDS)

    @property
    def spec_guessed(self) -> bool:
        """The battery is a guess: the log names none and the user set none (a per-cycle
        table's is not used until the user sets one)."""
        return (
            self.file_spec is None
            and not self.settings.names_battery
            and not (self.per_cycle_table)
        )

    @property
    def reference_capacity_ah(self) -> float | None:
        """What end of life is measured against, as ``--capacity-ah``: the capacity the
        user set, or the guessed battery's. The form shows the guess as the user's battery,
        and ``batteryos analyze`` on a log naming no battery needs it given (``--chemistry
        --capacity-ah``), so the page's run is the CLI's with the capacity shown. None (the
        first cycles' capacity) for a log's own battery or a per-cycle table left as it is,
        as ``analyze`` without options."""
        if self.settings.capacity_ah is not None:
            return self.settings.capacity_ah
        return self.spec.capacity_ah if self.spec_guessed else None

    @property
    def spec_from_file(self) -> bool:
        """The battery is the file's own (not guessed, not set by the user)."""
        return self.file_spec is not None and not self.settings.names_battery

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def format_name(self) -> str:
        return self.metadata.get("format", "log")

    @property
    def read_warnings(self) -> list[str]:
        """What the reader warns of the file (a row cut mid-way left out), as ``analyze``."""
        return [w for w in self.metadata.get("warnings", "").splitlines() if w.strip()]

    def column(self, name: str) -> np.ndarray | None:
        """Samples of a canonical column as float, None when the file has none."""
        if name not in self.frame.columns:
            return None
        values = self.frame[name].to_numpy(dtype=float)
        return values if np.isfinite(values).any() else None

    @property
    def cycle_numbers(self) -> list[int]:
        """Cycles with a dQ/dV curve, ascending."""
        return sorted({t.cycle_index for t in self.ica})

    def ica_for(self, cycle: int, direction: str) -> IcaTrace | None:
        return next(
            (t for t in self.ica if t.cycle_index == cycle and t.direction == direction), None
        )


#: Part of the progress bar for reading the file; the rest is the analysis.
READ_SHARE = 0.8


class _Stage:
    """The reader's 0..1 progress as the ``lo..hi`` part of the whole job's."""

    def __init__(self, progress: Progress, lo: float, hi: float):
        self._progress, self._lo, self._hi = progress, lo, hi

    def update(self, fraction: float) -> None:
        self._progress.update(self._lo + (self._hi - self._lo) * fraction)

    @property
    def cancelled(self) -> bool:
        return self._progress.cancelled


def open_analysis(path: str, progress: Progress | None = None) -> LogAnalysis:
    """Open ``path`` (any supported format) and analyse it; raises SchemaError on bad files.

    ``progress`` follows the reading (the first :data:`READ_SHARE`) and the
    analysis; once cancelled, the next update raises ``Cancelled``.
    """
    from app.hardware.logs.cycle_table import is_cycle_table
    from app.hardware.logs.formats import open_log

    if is_cycle_table(path):
        return open_cycle_table(path)
    log = open_log(path, _Stage(progress, 0.0, READ_SHARE) if progress is not None else None)
    spec = log.spec  # None for a damaged spec line too: guessed like a file without one
    file_spec, guess = spec, None
    if spec is None:
        guess = guess_battery(log.frame)
        spec = guess.spec
    if progress is not None:
        progress.update(READ_SHARE + 0.05)
    cycles = cycle_table(log.frame, spec)
    if progress is not None:
        progress.update(READ_SHARE + 0.1)
    ica, ica_missing = ica_traces(log.frame, spec)
    if progress is not None:
        progress.update(1.0)
    return LogAnalysis(
        path=log.path,
        frame=log.frame,
        metadata=dict(log.metadata),
        spec=spec,
        file_spec=file_spec,
        cycles=cycles,
        ica=ica,
        ica_missing=ica_missing,
        spec_problem=log.spec_problem,
        guess=guess,
    )


def open_cycle_table(path: str) -> LogAnalysis:
    """A per-cycle table: its cycles, no samples; the battery a guess the lifetime
    diagnostics do not use until the user sets one (``analyze`` without options)."""
    import pandas as pd

    from app.diagnostics.capacity_fade import EDGE_CYCLES, clean_capacity_series
    from app.hardware.logs.cycle_table import read_cycle_table

    table = read_cycle_table(path)
    columns = [c for c in CYCLE_PLOT_COLUMNS if c in table.columns]
    # the capacity shown is the one end of life is measured against until the user sets
    # one: the mean of the first valid cycles (the form showed the largest, 1.86 Ah of
    # NASA B0005, and the diagnostics said 80 % of 1.842 Ah)
    series = clean_capacity_series(table)
    first = float(np.mean(series.capacity_ah[:EDGE_CYCLES])) if series.n else 0.0
    empty = {c: np.empty(0) for c in (schema.TIME, schema.VOLTAGE, schema.CURRENT)}
    return LogAnalysis(
        path=os.path.abspath(path),
        frame=pd.DataFrame(empty),
        metadata={"format": "per-cycle table", "source": Path(os.path.abspath(path)).as_uri()},
        spec=preset(Chemistry.NMC, capacity_ah=first if first > 0 else None),
        file_spec=None,
        cycles=table[columns].copy(),
        per_cycle_table=True,
    )


def with_settings(analysis: LogAnalysis, settings: BatterySettings) -> LogAnalysis:
    """``analysis`` recomputed with what the user set (the battery as ``batteryos analyze``
    builds it from the same options over the file's own); raises BatteryOSError on a bad
    OCV table.

    A change of ``invert_current`` negates the samples and guesses the battery of a
    file that names none again from them, as ``analyze --invert-current`` negates the
    current before anything else.
    """
    spec, frame, guess = analysis.spec, analysis.frame, analysis.guess
    if settings.invert_current != analysis.settings.invert_current and not (
        analysis.per_cycle_table
    ):
        frame = schema.with_current_inverted(frame)
        if analysis.file_spec is None:
            guess = guess_battery(frame)
            spec = guess.spec
    if settings.names_battery:
        from app.cli.battery_options import spec_from_args

        spec = spec_from_args(
            settings,
            fallback=analysis.file_spec,
            cells_in_data=schema.series_cells_in(frame),
            frame=frame,
        )
    if analysis.per_cycle_table:  # the table's cycles do not depend on the battery
        return replace(analysis, spec=spec, settings=settings)
    ica, ica_missing = ica_traces(frame, spec)
    return replace(
        analysis,
        frame=frame,
        spec=spec,
        guess=guess,
        settings=settings,
        cycles=cycle_table(frame, spec),
        ica=ica,
        ica_missing=ica_missing,
    )


#: The highest voltage a single cell reaches in a test: Li-ion cells with high-voltage
#: cathodes (LiNi0.5Mn1.5O4, Li-rich NMC, high-voltage LiCoO2) are charged to 4.7-4.8 V;
#: no two cells in series of the preset chemistries stay this low except two lead-acid
#: cells (3.5-4.9 V), which voltages cannot tell apart from one Li-ion cell.
SINGLE_CELL_MAX_V = 4.8

#: The per-cell voltages (min, max) a test of each chemistry shows: the preset limits
#: widened to the cut-offs cyclers use (Li-ion 2.0-4.45 V, LFP 1.8-3.8 V, lead-acid deep
#: discharge 1.6 V to equalisation 2.7 V).
_CELL_WINDOW_V = {
    Chemistry.NMC: (2.0, 4.45),
    Chemistry.LFP: (1.8, 3.8),
    Chemistry.LEAD_ACID: (1.6, 2.7),
}


#: A log's largest charge of one cycle is its capacity only if the log's peak current
#: is at most this C-rate of it: no test drives a cell harder (LFP power cells take
#: 20-30C pulses). Beyond it the log moved too little charge to tell (a CAN capture of
#: a second, a cycler excerpt of a few seconds) and the preset's capacity stands.
MAX_PLAUSIBLE_C_RATE = 30.0

#: A half ends at the test's cut-off within this fraction of the test's voltage window
#: (the highest end of a charge less the lowest end of a discharge); as the SOH's full
#: discharge, within 5 % of the window.
CUT_OFF_TOLERANCE = 0.05


@dataclass(frozen=True)
class BatteryGuess:
    """The battery guessed for a log naming none, and what each part is guessed from."""

    spec: BatterySpec
    chemistry_basis: str  #: 'its voltages, 3.30-3.60 V'
    capacity_basis: str  #: 'the largest full discharge in the log (cycle 2)', ...
    #: the capacity is only a lower bound: the charge of a partial charge or discharge
    capacity_lower_bound: bool = False
    #: the capacity is the log's (a full or partial half), not the chemistry preset's
    capacity_from_log: bool = True

    @property
    def text(self) -> str:
        """'lfp, 1 cell, 0.603 Ah: chemistry and cells from ...; capacity: ...'."""
        spec = self.spec
        cells = f"{spec.series_cells} cell{'' if spec.series_cells == 1 else 's'} in series"
        return (
            f"{spec.chemistry.value}, {cells}, {spec.capacity_ah:g} Ah: chemistry and cells "
            f"from {self.chemistry_basis}; capacity: {self.capacity_basis}"
        )


def guess_spec(frame: pd.DataFrame) -> BatterySpec:
    """A battery for a log that does not name one (:func:`guess_battery`'s)."""
    return guess_battery(frame).spec


def guess_battery(frame: pd.DataFrame) -> BatteryGuess:
    """A battery for a log that does not name one, and what it is guessed from.

    Chemistry and series cells from the voltages (:func:`guess_chemistry`);
    capacity (3 significant digits): the largest full discharge of the log, else its
    largest full charge (:func:`full_halves`: from one cut-off of the test to the
    other); with neither, the largest charge or discharge of one cycle, which is only
    a lower bound (a partial charge: the Arbin excerpt's 0.603 Ah of a 6C fast charge
    stopped mid-way); unless the log's peak current would be more than
    :data:`MAX_PLAUSIBLE_C_RATE` of it: then the preset's. Capacities are the cycler's
    counters where the log has them (:func:`~app.diagnostics.cycles.summarize_cycles`).
    """
    from app.diagnostics.cycles import summarize_cycles

    chem, cells = guess_chemistry(frame)
    v = frame[schema.VOLTAGE].to_numpy(dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    chemistry_basis = (
        f"its voltages, {np.percentile(v, 0.5):.2f}-{np.percentile(v, 99.5):.2f} V"
        if v.size
        else "nothing (no voltage in the log): the nmc preset's"
    )
    if v.size and schema.series_cells_in(frame):
        chemistry_basis += " and its cell-voltage columns"
    cycles = summarize_cycles(frame)
    full = full_halves(frame, cycles)
    capacity, basis, lower_bound = 0.0, "", False
    for kind in ("discharge", "charge"):
        mine = [(q, c) for k, c, q in full if k == kind]
        if mine:
            capacity, cycle = max(mine)
            basis = f"the largest full {kind} in the log (cycle {cycle})"
            break
    else:
        for col in ("charge_capacity_ah", "discharge_capacity_ah"):
            if col in cycles.columns and len(cycles):
                values = np.nan_to_num(cycles[col].to_numpy(float))
                if values.max() > capacity:
                    capacity, k = float(values.max()), int(np.argmax(values))
                    cycle = int(cycles["cycle_index"].iloc[k])
                    kind = col.split("_")[0]
        if capacity > 0:
            basis = (
                f"at least {capacity:.3g} Ah, the charge of a partial {kind} (cycle {cycle}); "
                "the log has no full charge or discharge (from one cut-off voltage to the "
                "other) to take the capacity from, so the current limits, C-rates of it, are "
                "not judged (set the capacity to judge them)"
            )
            lower_bound = True
    current = np.abs(frame[schema.CURRENT].to_numpy(dtype=float))
    peak = float(np.nanmax(current)) if np.isfinite(current).any() else 0.0
    plausible = capacity > 0 and peak <= MAX_PLAUSIBLE_C_RATE * capacity
    spec = preset(chem, capacity_ah=float(f"{capacity:.3g}") if plausible else None,
                  series_cells=cells)  # fmt: skip
    if not plausible:
        basis = f"the {chem.value} preset's " + (
            f"(the log moved {1000 * capacity:.3g} mAh at up to {peak:.3g} A, too little to tell)"
            if capacity > 0
            else "(the log moved no charge to tell it from)"
        )
        lower_bound = False
    if lower_bound:  # a larger cell's normal current is not over C-rates of a lower bound
        spec = spec.with_overrides(capacity_lower_bound=True)
    return BatteryGuess(spec, chemistry_basis, basis, lower_bound, capacity_from_log=plausible)


def full_halves(frame: pd.DataFrame, cycles: pd.DataFrame) -> list[tuple[str, int, float]]:
    """The charges and discharges of ``cycles`` (:func:`summarize_cycles` of ``frame``)
    that run from one cut-off of the test to the other: ("charge" or "discharge",
    cycle, Ah; a discharge's net discharge where ``cycles`` has one).

    The test's cut-offs are the highest voltage a charge ends at and the lowest a
    discharge ends at. A half ends at its cut-off when its last sample (under current)
    is within :data:`CUT_OFF_TOLERANCE` of the window of it and of the extreme the half
    reached (a charge stopped by time or a step while its voltage was below its peak,
    as the Arbin fast charge that fell back to 1C, ends at no cut-off). It starts at the
    other cut-off when the half before it (the previous cycle's discharge for a charge,
    the cycle's own charge for a discharge) ended there, or, for the log's first half,
    when the log starts at or beyond that cut-off (a charged cell at rest).
    """
    import pandas as pd

    from app.diagnostics.cycles import current_threshold_a, cycle_numbers

    if not len(cycles):
        return []
    i = np.nan_to_num(frame[schema.CURRENT].to_numpy(dtype=float))
    v = frame[schema.VOLTAGE].to_numpy(dtype=float)
    labels = cycle_numbers(frame, i, None)
    thr = current_threshold_a(i)
    q_chg = np.nan_to_num(cycles["charge_capacity_ah"].to_numpy(float))
    q_dis = np.nan_to_num(cycles["discharge_capacity_ah"].to_numpy(float))
    # a full discharge's charge is its net discharge where the table has one: a drive's
    # braking put back 1.2 Ah of the 6.2 Ah a 5 Ah cell discharged from full to empty
    net = cycles.get("net_discharge_capacity_ah")
    q_net = q_dis if net is None else np.where(net.notna(), net.to_numpy(float), q_dis)
    largest = max(float(q_chg.max()), float(q_dis.max()))
    if largest <= 0:
        return []
    end_chg = cycles["end_of_charge_voltage_v"].to_numpy(dtype=float)
    end_dis = cycles["end_of_discharge_voltage_v"].to_numpy(dtype=float)
    has_chg = (q_chg > 0.01 * largest) & np.isfinite(end_chg)
    has_dis = (q_dis > 0.01 * largest) & np.isfinite(end_dis)
    if not has_chg.any() or not has_dis.any():
        return []
    top, bottom = float(end_chg[has_chg].max()), float(end_dis[has_dis].min())
    tol = CUT_OFF_TOLERANCE * (top - bottom)
    if not tol > 0:
        return []

    # each cycle's highest voltage while charging and lowest while discharging
    index = cycles["cycle_index"].to_numpy()
    charging = pd.Series(np.where(i > thr, v, -np.inf)).groupby(labels).max()
    discharging = pd.Series(np.where(i < -thr, v, np.inf)).groupby(labels).min()
    peak = charging.reindex(index, fill_value=-np.inf).to_numpy(float)
    trough = discharging.reindex(index, fill_value=np.inf).to_numpy(float)
    with np.errstate(invalid="ignore"):
        at_top = has_chg & (end_chg >= top - tol) & (end_chg >= peak - tol)
        at_bottom = has_dis & (end_dis <= bottom + tol) & (end_dis <= trough + tol)
    finite = v[np.isfinite(v)]
    first_v = float(finite[0]) if finite.size else np.nan
    full = []
    for k, cycle in enumerate(cycles["cycle_index"].to_numpy()):
        if at_top[k] and (at_bottom[k - 1] if k else first_v <= bottom + tol):
            full.append(("charge", int(cycle), float(q_chg[k])))
        starts_full = at_top[k] if has_chg[k] else (k == 0 and first_v >= top - tol)
        if at_bottom[k] and starts_full:
            full.append(("discharge", int(cycle), float(q_net[k])))
    return full


def guess_chemistry(frame: pd.DataFrame) -> tuple[Chemistry, int]:
    """The chemistry and series cells the voltages of a log suggest.

    Cycler logs are mostly of single cells, so a log whose voltage never
    exceeds :data:`SINGLE_CELL_MAX_V` is one cell: lead-acid when it stays
    within a lead-acid cell's 1.6-2.7 V, LFP when it stays within LFP's window
    and its median is nearer LFP's nominal voltage, else Li-ion (NMC: also
    half cells, high-voltage cathodes and cells discharged below 2 V). The
    series cells of a pack are its cell-voltage columns when it has them
    (:func:`app.core.schema.series_cells_in`), else the count whose per-cell
    range fits a chemistry's window best, its median nearest that
    chemistry's nominal voltage (NMC on near ties).
    """
    v = frame[schema.VOLTAGE].to_numpy(dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size:
        return Chemistry.NMC, 1
    lo, median, hi = (float(x) for x in np.percentile(v, [0.5, 50, 99.5]))
    known = schema.series_cells_in(frame)
    if known:
        return _cell_chemistry(lo / known, median / known, hi / known), known
    if hi <= SINGLE_CELL_MAX_V:
        return _cell_chemistry(lo, median, hi), 1
    best = None  # (the log's range outside the chemistry's window, nominal error, chem, cells)
    for chem in (Chemistry.NMC, Chemistry.LFP, Chemistry.LEAD_ACID):
        nominal = preset(chem).cell_v_nominal
        cells = max(1, round(median / nominal))
        w_lo, w_hi = _CELL_WINDOW_V[chem]
        outside = round((max(0.0, w_lo - lo / cells) + max(0.0, hi / cells - w_hi)) / nominal, 2)
        error = abs(median / cells - nominal) / nominal
        if best is None or outside < best[0] or (outside == best[0] and error < best[1] - 0.02):
            best = (outside, error, chem, cells)  # NMC (first) wins near ties
    return best[2], best[3]


def _cell_chemistry(lo: float, median: float, hi: float) -> Chemistry:
    """The chemistry of one cell whose voltages span ``lo..hi`` around ``median``."""
    pb_lo, pb_hi = _CELL_WINDOW_V[Chemistry.LEAD_ACID]
    if lo >= pb_lo and hi <= pb_hi:
        return Chemistry.LEAD_ACID
    lfp_lo, lfp_hi = _CELL_WINDOW_V[Chemistry.LFP]
    if lo >= lfp_lo and hi <= lfp_hi:
        nmc, lfp = preset(Chemistry.NMC).cell_v_nominal, preset(Chemistry.LFP).cell_v_nominal
        if abs(median - lfp) / lfp < abs(median - nmc) / nmc:
            return Chemistry.LFP
    return Chemistry.NMC


def cycle_table(frame: pd.DataFrame, spec: BatterySpec) -> pd.DataFrame:
    """One row per cycle: capacities (Ah) and coulombic efficiency (a fraction)."""
    from app.diagnostics.cycles import summarize_cycles

    cycles = summarize_cycles(frame, capacity_ah=spec.pack_capacity_ah)
    return cycles[[c for c in CYCLE_PLOT_COLUMNS if c in cycles.columns]].copy()


def ica_traces(frame: pd.DataFrame, spec: BatterySpec) -> tuple[list[IcaTrace], str]:
    """dQ/dV of every cycle and direction with a slow constant-current segment, and
    why there is none where it has such segments ('' otherwise: see ``off_grid_text``).

    The SOH diagnostic's incremental-capacity accumulation (CC segments at most
    C/2, 5 mV bins, Savitzky-Golay smoothed), on the whole log at once.
    """
    from app.core.samples import SampleBlock
    from app.diagnostics.incremental_capacity import ica_curve, off_grid_text
    from app.diagnostics.soh import SohTracker

    tracker = SohTracker(spec, measure_pulses=False)
    wanted = [c for c in frame.columns if schema.is_canonical_column(c)]
    tracker.update(SampleBlock({c: frame[c].to_numpy(dtype=float) for c in wanted}))
    _points, _cycles, accumulators = tracker.snapshot()
    traces = []
    for (cycle, direction), acc in sorted(accumulators.items()):
        if acc.ah <= 0:
            continue
        curve = ica_curve(tracker.grid, acc, cycle, direction)
        y = np.asarray(curve.dqdv_ah_per_v, dtype=float)
        x = curve.v_start_v + curve.v_step_v * np.arange(len(y))
        traces.append(IcaTrace(int(cycle), direction, x, y, curve.c_rate))
    missing = "" if traces else off_grid_text(tracker.grid, [*tracker.off_grid_segments.values()])
    return traces, missing


def run_log_diagnostics(analysis: LogAnalysis):
    """The diagnostic suite on the whole log (worker thread), as a Diagnostics page report:
    what ``batteryos analyze`` gives for the file with the same settings."""
    import time

    from app.diagnostics.suite import DEFAULT_EOL_FRACTION, run_suite
    from app.views.diagnostics_runner import DiagnosticsReport, ReportKind

    started = time.perf_counter()
    settings = analysis.settings
    eol_fraction = settings.eol_fraction or DEFAULT_EOL_FRACTION
    if analysis.per_cycle_table:
        from app.diagnostics.suite import run_cycle_table_suite
        from app.hardware.logs.cycle_table import check_capacity_scale, read_cycle_table

        table = read_cycle_table(analysis.path)  # every column, as the CLI reads it
        check_capacity_scale(analysis.path, table, settings.capacity_ah)
        output = run_cycle_table_suite(
            table,
            analysis.spec if settings.chemistry else None,  # the CLI's: only with --chemistry
            eol_fraction=eol_fraction,
            reference_capacity_ah=settings.capacity_ah,
        )
        from app.diagnostics.cycle_table_health import invalid_rows_warning

        left_out = invalid_rows_warning(output.results["capacity_fade"].get("invalid_rows"))
        return DiagnosticsReport(
            results=dict(output.results),
            samples=0,
            span_s=0.0,
            cycles=len(output.cycles),
            elapsed_s=time.perf_counter() - started,
            source_url=analysis.metadata["source"],
            log_path=analysis.path,
            kind=ReportKind.FILE,
            data_warnings=(*analysis.read_warnings, *([left_out] if left_out else [])),
        )
    from app.diagnostics.cycler_counters import COUNTER_COLUMNS

    # the schema's columns and the cycler's counters (the cycle table's capacities, as the CLI's)
    keep = [
        c for c in analysis.frame.columns if schema.is_canonical_column(c) or c in COUNTER_COLUMNS
    ]
    frame = analysis.frame[keep]
    output = run_suite(
        frame,
        analysis.spec,
        eol_fraction=eol_fraction,
        reference_capacity_ah=analysis.reference_capacity_ah,
    )
    t = frame[schema.TIME].to_numpy(dtype=float)
    found = _input_warnings(analysis, output)
    return DiagnosticsReport(
        results=dict(output.results),
        samples=len(frame),
        span_s=float(t[-1] - t[0]),
        cycles=len(output.cycles),
        elapsed_s=time.perf_counter() - started,
        source_url=analysis.metadata.get("source") or analysis.path,
        log_path=analysis.path,
        kind=ReportKind.FILE,
        current_sign_warning=found.current_sign,
        battery_guess=analysis.guess.text if analysis.spec_guessed and analysis.guess else None,
        battery_warning=found.battery,
        data_warnings=tuple(analysis.read_warnings),
        input_invalid=dict(found.invalid),
    )


def _input_warnings(analysis: LogAnalysis, output):
    """What ``analyze`` warns of the log with the same battery, the same way
    (:func:`~app.diagnostics.input_validity.input_warnings`): the current's sign, the
    battery's fit (its voltage window, its OCV table pinning the SOC, another chemistry
    inside the window), and the results they make not valid; the hints in the Logs
    page's words (the live engine of a replay warns the same)."""
    from app.diagnostics.input_validity import input_warnings
    from app.views.log_files import LOGS_PAGE_WORDS

    report = {"results": output.results}
    if output.current_sign is not None:
        report["current_sign"] = output.current_sign.to_dict()
    return input_warnings(report, analysis.frame, analysis.spec, words=LOGS_PAGE_WORDS)
