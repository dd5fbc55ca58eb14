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
    settings: BatterySettings = field(default_factory=BatterySettings)
    #: a per-cycle table (cycle_index, discharge_capacity_ah): no samples, only
    #: the lifetime diagnostics, as ``batteryos analyze`` runs them on it
    per_cycle_table: bool = False
    #: what is wrong with the file's ``# spec:`` line (it was ignored; None: none or good)
    spec_problem: str | None = None

    @cached_property
    def spec_warning(self) -> str | None:
        """Why the battery does not fit the log's voltages (``analyze`` warns the same)."""
        if self.per_cycle_table:
            return None
        from app.diagnostics.spec_fit import voltage_window_warning

        return voltage_window_warning(self.frame, self.spec)

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
    file_spec = spec
    if spec is None:
        spec = guess_spec(log.frame)
    if progress is not None:
        progress.update(READ_SHARE + 0.05)
    cycles = cycle_table(log.frame, spec)
    if progress is not None:
        progress.update(READ_SHARE + 0.1)
    ica = ica_traces(log.frame, spec)
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
        spec_problem=log.spec_problem,
    )


def open_cycle_table(path: str) -> LogAnalysis:
    """A per-cycle table: its cycles, no samples; the battery a guess the lifetime
    diagnostics do not use until the user sets one (``analyze`` without options)."""
    import pandas as pd

    from app.hardware.logs.cycle_table import read_cycle_table

    table = read_cycle_table(path)
    columns = [c for c in CYCLE_PLOT_COLUMNS if c in table.columns]
    capacity = table["discharge_capacity_ah"].to_numpy(dtype=float)
    largest = float(np.nanmax(capacity)) if np.isfinite(capacity).any() else 0.0
    empty = {c: np.empty(0) for c in (schema.TIME, schema.VOLTAGE, schema.CURRENT)}
    return LogAnalysis(
        path=os.path.abspath(path),
        frame=pd.DataFrame(empty),
        metadata={"format": "per-cycle table", "source": Path(os.path.abspath(path)).as_uri()},
        spec=preset(Chemistry.NMC, capacity_ah=float(f"{largest:.3g}") if largest > 0 else None),
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
    spec, frame = analysis.spec, analysis.frame
    if settings.invert_current != analysis.settings.invert_current and not (
        analysis.per_cycle_table
    ):
        frame = schema.with_current_inverted(frame)
        if analysis.file_spec is None:
            spec = guess_spec(frame)
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
    return replace(
        analysis,
        frame=frame,
        spec=spec,
        settings=settings,
        cycles=cycle_table(frame, spec),
        ica=ica_traces(frame, spec),
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


def guess_spec(frame: pd.DataFrame) -> BatterySpec:
    """A battery for a log that does not name one.

    Chemistry and series cells from the voltages (:func:`guess_chemistry`);
    capacity: the largest charge or discharge of one cycle in the log (3
    significant digits), unless the log's peak current would be more than
    :data:`MAX_PLAUSIBLE_C_RATE` of it; else the preset's.
    """
    from app.diagnostics.cycles import summarize_cycles

    chem, cells = guess_chemistry(frame)
    cycles = summarize_cycles(frame)
    capacity = 0.0
    for col in ("charge_capacity_ah", "discharge_capacity_ah"):
        if col in cycles.columns and len(cycles):
            capacity = max(capacity, float(np.nan_to_num(cycles[col].to_numpy(float)).max()))
    current = np.abs(frame[schema.CURRENT].to_numpy(dtype=float))
    peak = float(np.nanmax(current)) if np.isfinite(current).any() else 0.0
    plausible = capacity > 0 and peak <= MAX_PLAUSIBLE_C_RATE * capacity
    return preset(chem, capacity_ah=float(f"{capacity:.3g}") if plausible else None,
                  series_cells=cells)  # fmt: skip


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


def ica_traces(frame: pd.DataFrame, spec: BatterySpec) -> list[IcaTrace]:
    """dQ/dV of every cycle and direction with a slow constant-current segment.

    The SOH diagnostic's incremental-capacity accumulation (CC segments at most
    C/2, 5 mV bins, Savitzky-Golay smoothed), on the whole log at once.
    """
    from app.core.samples import SampleBlock
    from app.diagnostics.incremental_capacity import ica_curve
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
    return traces


def run_log_diagnostics(analysis: LogAnalysis):
    """The diagnostic suite on the whole log (worker thread), as a Diagnostics page report:
    what ``batteryos analyze`` gives for the file with the same settings."""
    import time

    from app.diagnostics.suite import DEFAULT_EOL_FRACTION, run_suite
    from app.views.diagnostics_runner import DiagnosticsReport

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
        return DiagnosticsReport(
            results=dict(output.results),
            samples=0,
            span_s=0.0,
            cycles=len(output.cycles),
            elapsed_s=time.perf_counter() - started,
            source_url=analysis.metadata["source"],
            live=False,
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
        reference_capacity_ah=settings.capacity_ah,
    )
    t = frame[schema.TIME].to_numpy(dtype=float)
    return DiagnosticsReport(
        results=dict(output.results),
        samples=len(frame),
        span_s=float(t[-1] - t[0]),
        cycles=len(output.cycles),
        elapsed_s=time.perf_counter() - started,
        source_url=analysis.metadata.get("source") or analysis.path,
        live=False,
        current_sign_warning=output.current_sign.warning if output.current_sign else None,
    )
