"""Does the battery described fit the log? A cell that lives outside its spec's voltage window.

Every diagnostic judges a log against its :class:`~app.core.spec.BatterySpec`: SOC
through its OCV table, safety and faults through its voltage limits. A cell whose
voltage stays outside that window for much of the log is not the cell the spec
describes -- another chemistry, a high-voltage cathode (the Neware example log's cell
cycles between 3.9 and 4.7 V, above every preset), a pack taken for one cell -- and
those results are then wrong as a whole, not a few limit events. A real over-voltage
or a deep discharge is usually brief: the safety monitor reports it, and it stays under
:data:`OUTSIDE_SHARE`; a cell overcharged for much of the log looks the same as one the
spec does not describe, and the warning says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.spec import PRESETS, BatterySpec

if TYPE_CHECKING:
    import pandas as pd

    from app.core.samples import SampleBlock

#: Samples beyond the window by more than this are outside (a CV phase sits at the
#: limit, a few mV over it with noise).
TOLERANCE_V = 0.02
#: A spec does not fit when more than this share of the samples lies outside its window.
OUTSIDE_SHARE = 0.25


#: At most this many voltages are looked at (rows evenly strided): a share and
#: percentiles, not a measurement, and the Logs page asks for it on the GUI thread.
MAX_VALUES = 1_000_000


def cell_voltages(df: pd.DataFrame, spec: BatterySpec) -> np.ndarray:
    """The finite per-cell voltages of the log (of evenly strided rows, at most
    :data:`MAX_VALUES` values): its cell columns, else the pack's voltage over the
    series cells."""
    columns = schema.cell_voltage_columns(df.columns) or [schema.VOLTAGE]
    if columns[0] not in df:
        return np.empty(0)
    step = max(1, -(-len(df) * len(columns) // MAX_VALUES))
    v = df[columns].to_numpy(dtype=float)[::step].ravel()
    if columns == [schema.VOLTAGE]:
        v = v / spec.series_cells
    return v[np.isfinite(v) & (v > 0)]


#: The voltages are counted in bins this wide (V): the warnings' shares and percentiles
#: come from the counts, so the live engine (counting block by block) and a log's
#: analysis (counting all at once) say the same of the same samples.
BIN_V = 0.001
#: Voltages above this (V a cell) are counted in its bin.
TOP_V = 1000.0
#: No cell chemistry's voltage reaches this (V; a high-voltage LNMO cell charges to 4.9 V):
#: one cell above it is a pack's voltage.
HIGHEST_CELL_V = 5.0


class CellVoltageCounts:
    """How many per-cell voltages lie in each :data:`BIN_V` bin (voltages rounded to
    it), added to block by block (:meth:`add`); the shares and percentiles of the
    spec-fit warnings are read from the counts."""

    def __init__(self):
        self._counts = np.zeros(0, dtype=np.int64)
        self.n = 0

    @classmethod
    def of(cls, v: np.ndarray) -> CellVoltageCounts:
        counts = cls()
        counts.add(v)
        return counts

    def add(self, v: np.ndarray) -> None:
        v = np.asarray(v, dtype=float)
        v = v[np.isfinite(v) & (v > 0)]
        if not v.size:
            return
        bins = np.rint(np.minimum(v, TOP_V) / BIN_V).astype(np.int64)
        counts = np.bincount(bins)
        if len(counts) > len(self._counts):
            grown = np.zeros(len(counts), dtype=np.int64)
            grown[: len(self._counts)] = self._counts
            self._counts = grown
        self._counts[: len(counts)] += counts
        self.n += int(v.size)

    def _volts(self) -> np.ndarray:
        return np.arange(len(self._counts)) * BIN_V

    def outside(self, lo: float, hi: float) -> tuple[float, float]:
        """Shares below ``lo`` and above ``hi`` (beyond :data:`TOLERANCE_V`)."""
        volts = self._volts()
        below = int(self._counts[volts < lo - TOLERANCE_V].sum())
        above = int(self._counts[volts > hi + TOLERANCE_V].sum())
        return below / self.n, above / self.n

    def percentiles(self, q: list[float]) -> list[float]:
        """``np.percentile`` (linear) of the rounded voltages."""
        cum = np.cumsum(self._counts)
        volts = self._volts()
        out = []
        for p in q:
            k = p / 100 * (self.n - 1)
            lo, hi = np.searchsorted(cum, [np.floor(k), np.ceil(k)], side="right")
            out.append(float(volts[lo] + (volts[hi] - volts[lo]) * (k - np.floor(k))))
        return out


def cell_voltage_counts(df: pd.DataFrame, spec: BatterySpec) -> CellVoltageCounts:
    """:func:`cell_voltages` counted."""
    return CellVoltageCounts.of(cell_voltages(df, spec))


def fitting_presets(v: np.ndarray | CellVoltageCounts, spec: BatterySpec) -> list[str]:
    """The other chemistries whose voltage window holds the cell voltages ``v``, the
    likeliest first: the one whose nominal voltage is nearest the median (an LFP log
    fits the NMC window too, at its empty end: 3.2 V there is ~5 % SOC)."""
    counts = v if isinstance(v, CellVoltageCounts) else CellVoltageCounts.of(v)
    (median,) = counts.percentiles([50])
    fitting = [
        p
        for c, p in PRESETS.items()
        if c != spec.chemistry and sum(counts.outside(p.cell_v_min, p.cell_v_max)) <= OUTSIDE_SHARE
    ]
    fitting.sort(key=lambda p: abs(p.cell_v_nominal - median))
    return [p.chemistry.value for p in fitting]


@dataclass(frozen=True)
class FixWords:
    """How the warnings' hints name the fix, in the words of where they are read: the
    command line's options, or a window's fields (:data:`CLI_WORDS` is the CLI's)."""

    #: choose another chemistry; ``{}`` is the chemistry ("give --chemistry lfp")
    chemistry: str
    #: give the number of series cells
    cells: str
    #: give an OCV table; ``{}`` is whose ("its", "the cell's"); None where there is
    #: no OCV table to give (the hint is left out)
    ocv_table: str | None
    #: give the cell's own voltage limit; ``{}`` is the option (``--cell-v-max``); None
    #: where the limits cannot be set
    voltage_limit: str | None = None
    #: the limits' names where they are set: (the low one, the high one)
    limit_names: tuple[str, str] = ("--cell-v-min", "--cell-v-max")


#: The command line's words (``analyze``, and the live engine's warnings).
CLI_WORDS = FixWords(
    chemistry="give --chemistry {}",
    cells="give --cells",
    ocv_table="give {} --ocv-table",
    voltage_limit="its own {}",
)


def voltage_window_warning(
    df: pd.DataFrame, spec: BatterySpec, words: FixWords = CLI_WORDS
) -> str | None:
    """A warning when the log's cell voltages lie outside ``spec``'s voltage limits for
    more than :data:`OUTSIDE_SHARE` of the samples (None: the spec fits, or no voltages);
    its hint in ``words``."""
    cells = bool(schema.cell_voltage_columns(df.columns))
    return window_warning(cell_voltage_counts(df, spec), spec, cell_columns=cells, words=words)


def window_warning(
    counts: CellVoltageCounts,
    spec: BatterySpec,
    *,
    cell_columns: bool,
    words: FixWords = CLI_WORDS,
) -> str | None:
    """:func:`voltage_window_warning` of voltages counted (``cell_columns``: they are
    the cells' own, not the pack's over its series cells)."""
    if not counts.n:
        return None
    full = spec.with_preset_defaults()
    below, above = counts.outside(full.cell_v_min, full.cell_v_max)
    if below + above <= OUTSIDE_SHARE:
        return None
    base = PRESETS[spec.chemistry]
    own = (full.cell_v_min, full.cell_v_max) != (base.cell_v_min, base.cell_v_max)
    whose = f"the {spec.chemistry.value} {'battery given' if own else 'preset'}'s"
    where = (
        f"above {whose} {full.cell_v_max:g} V maximum in {100 * above:.0f} %"
        if above >= below
        else f"below {whose} {full.cell_v_min:g} V minimum in {100 * below:.0f} %"
    )
    lo, median, hi = counts.percentiles([0.5, 50, 99.5])
    fitting = fitting_presets(counts, spec)
    pack = (
        not cell_columns and spec.series_cells == 1 and above >= below and median > HIGHEST_CELL_V
    )
    if pack:
        hint = _pack_hint(median, full, words)
    elif fitting:
        hint = f"the {' or '.join(fitting)} preset fits it: {words.chemistry.format(fitting[0])}"
    else:
        hint = (
            f"no chemistry preset fits it{' (a high-voltage cathode?)' if above >= below else ''}"
        )
        side = "over" if above >= below else "under"
        if words.ocv_table is not None and words.voltage_limit is not None:
            limit = words.limit_names[1] if above >= below else words.limit_names[0]
            hint += (
                f": {words.ocv_table.format('its')} for SOC and "
                f"{words.voltage_limit.format(limit)} (else the {side}-voltage events and "
                "faults are the preset's limits')"
            )
        elif words.ocv_table is not None:
            hint += (
                f": {words.ocv_table.format('its')} for SOC; the voltage limits stay the "
                f"preset's, and the {side}-voltage events and faults with them"
            )
    if spec.series_cells > 1 and not cell_columns:
        hint += f"; or it is not {spec.series_cells} cells in series: {words.cells}"
    really = "overcharged" if above >= below else "over-discharged"
    return (
        f"the cell voltage ({_voltages_text(lo, median, hi)}) is {where} of the "
        f"samples: either the cell was {really} that long (then the safety events and "
        "faults say so), or it is not the cell the spec describes (then SOC from its OCV "
        f"table, the safety limits and the faults judged against them do not hold); {hint}"
    )


def _voltages_text(lo: float, median: float, hi: float) -> str:
    """'3.91-4.66 V, median 4.31 V'; a voltage counted in the top bin (:data:`TOP_V`) is
    'over 1000 V', not the bin's 1000.00 V (millivolts read as volts read "1000.00-1000.00
    V, median 1000.00 V" for a cell between 3299 and 3600)."""

    def volts(v: float) -> str:
        return f"{v:.2f}" if v < TOP_V else f"over {TOP_V:g}"

    if lo >= TOP_V:
        return f"over {TOP_V:g} V"
    return f"{volts(lo)}-{volts(hi)} V, median {volts(median)} V"


def _pack_hint(median: float, full: BatterySpec, words: FixWords) -> str:
    """The hint for one cell (no cell columns) whose voltage no cell has, over
    :data:`HIGHEST_CELL_V`: a pack's. A 4-cell NMC pack at 15.3 V without --cells was told
    of a high-voltage cathode, an OCV table and --cell-v-max, not of the cell count; a
    voltage over :data:`TOP_V` a cell is millivolts read as volts as likely (a column
    header without its unit)."""
    if median >= TOP_V:
        return (
            f"no cell's voltage is that high: a pack of cells in series ({words.cells}), or "
            "a voltage in millivolts (a column without its unit is read in volts)"
        )
    n = max(2, round(median / full.cell_v_nominal))
    return (
        f"no cell's voltage is that high: a pack of cells in series (its median "
        f"{median:.2f} V is {n} of {full.cell_v_nominal:g} V): {words.cells}"
    )


def soc_window(spec: BatterySpec) -> tuple[float, float]:
    """The cell voltages (V) the SOC reads through ``spec``'s OCV table: the table's
    range, and the chemistry preset's voltage window with it (the two come together: a
    lead-acid cell charges at 2.4 V, above its table's full 2.12 V). Not the limits the
    user gives: a ``--cell-v-max 4.75`` moves the safety limit, not the table's top."""
    ends = np.asarray(spec.cell_ocv(np.array([0.0, 100.0])), dtype=float)
    base = PRESETS[spec.chemistry]
    return min(float(ends.min()), base.cell_v_min), max(float(ends.max()), base.cell_v_max)


def ocv_range_warning(
    counts: CellVoltageCounts, spec: BatterySpec, words: FixWords = CLI_WORDS
) -> str | None:
    """A warning when the cell voltages lie beyond what the SOC's OCV table reads
    (:func:`soc_window`) for more than :data:`OUTSIDE_SHARE` of the samples, inside the
    voltage limits given (else :func:`window_warning` says more): the SOC reads full
    (empty) there whatever the charge says, and does not hold for the log."""
    if not counts.n:
        return None
    lo, hi = soc_window(spec)
    below, above = counts.outside(lo, hi)
    if below + above <= OUTSIDE_SHARE:
        return None
    base = PRESETS[spec.chemistry]
    whose = (
        "given" if spec.ocv_v and spec.ocv_v != base.ocv_v else f"{spec.chemistry.value} preset's"
    )
    where = (
        f"above {hi:g} V, the top of what the {whose} OCV table reads, in {100 * above:.0f} %"
        if above >= below
        else f"below {lo:g} V, the bottom of what the {whose} OCV table reads, in "
        f"{100 * below:.0f} %"
    )
    first, median, last = counts.percentiles([0.5, 50, 99.5])
    full = spec.with_preset_defaults()
    hint = f"; {words.ocv_table.format('its')}" if words.ocv_table is not None else ""
    return (
        f"the cell voltage ({first:.2f}-{last:.2f} V, median {median:.2f} V) is {where} of "
        f"the samples, inside the battery's {full.cell_v_min:g}-{full.cell_v_max:g} V "
        f"limits: the SOC read from the table does not hold for this log{hint}"
    )


#: More charge than this (% of the capacity) moved in one stay of the SOC at empty
#: is no empty battery (see ``SocResult.charge_moved_at_empty_percent``): the simulated
#: logs of each chemistry, run to empty and back, move at most 4 %.
EMPTY_CHARGE_PCT = 6.0
#: More than this out of a battery in one stay at full (a lead-acid battery's flat top:
#: 6 % in an hour of pulses from full).
FULL_CHARGE_PCT = 15.0
#: The SOCs whose OCV the warning names as the table's empty and full.
OCV_FIT_SOC_PCT = (5.0, 95.0)


def pinned_soc_warning(
    df: pd.DataFrame, spec: BatterySpec, soc: dict | None, words: FixWords = CLI_WORDS
) -> str | None:
    """A warning when the SOC estimate (``soc``, the ``analyze --json`` result) sat at
    empty while more than :data:`EMPTY_CHARGE_PCT` of the capacity moved, or at full
    while more than :data:`FULL_CHARGE_PCT` went out: the spec's OCV table reads the
    cells' voltages as empty (full) whatever the charge says -- cells within the spec's
    voltage window but off its OCV curve (a lead-acid cell read as LFP, an LFP cell as
    NMC, an NMC cell as LFP), which :func:`voltage_window_warning` cannot see."""
    if _pinned_at(soc) is None:
        return None
    cells = bool(schema.cell_voltage_columns(df.columns))
    return pinned_warning(cell_voltage_counts(df, spec), spec, soc, cell_columns=cells, words=words)


def _pinned_at(soc: dict | None) -> tuple[str, str, float] | None:
    soc = soc or {}
    empty = soc.get("charge_moved_at_empty_percent") or 0.0
    full_out = soc.get("charge_out_at_full_percent") or 0.0
    if empty > EMPTY_CHARGE_PCT:
        return f"{empty:.0f} % of the capacity moves", "empty", OCV_FIT_SOC_PCT[0]
    if full_out > FULL_CHARGE_PCT:
        return f"{full_out:.0f} % of the capacity goes out", "full", OCV_FIT_SOC_PCT[1]
    return None


def pinned_warning(
    counts: CellVoltageCounts,
    spec: BatterySpec,
    soc: dict | None,
    *,
    cell_columns: bool,
    words: FixWords = CLI_WORDS,
) -> str | None:
    """:func:`pinned_soc_warning` of voltages counted (see :func:`window_warning`)."""
    pinned = _pinned_at(soc)
    if pinned is None or not counts.n:
        return None
    moved, end, at = pinned
    full = spec.with_preset_defaults()
    fitting = fitting_presets(counts, spec)
    base = PRESETS[spec.chemistry]
    own = "given" if full.ocv_v != base.ocv_v else f"{spec.chemistry.value} preset's"
    if fitting:
        hint = f"the {' or '.join(fitting)} preset fits it: {words.chemistry.format(fitting[0])}"
    elif words.ocv_table is not None:
        hint = words.ocv_table.format("the cell's")
    else:
        hint = "no chemistry preset fits it"
    if spec.series_cells > 1 and not cell_columns:
        hint += f"; or it is not {spec.series_cells} cells in series: {words.cells}"
    lowest, highest = counts.percentiles([0, 100])
    return (
        f"the SOC stays at {end} while {moved}: the {own} OCV table reads the cells as "
        f"{end} whatever the charge says (its {at:g} % SOC is at {float(full.cell_ocv(at)):.2f} "
        f"V; the cells' voltage {lowest:.2f}-{highest:.2f} V), which "
        f"a{'n' if end == 'empty' else ''} {end} cell does not do: it is not the cell the spec "
        f"describes, and the SOC does not hold for this log; {hint}"
    )


class SpecFitTracker:
    """The incremental twin of :func:`voltage_window_warning` and
    :func:`pinned_soc_warning` (the live engine's): counts each block's cell
    voltages, so a live source or a replayed log is warned about as ``analyze``
    warns about the log."""

    def __init__(self, spec: BatterySpec):
        from app.diagnostics.chemistry_evidence import ChemistryEvidenceTracker

        self.spec = spec
        self.counts = CellVoltageCounts()
        self.cell_columns = False
        #: the in-window evidence of another chemistry (:mod:`.chemistry_evidence`)
        self.chemistry = ChemistryEvidenceTracker(spec)

    def update(self, block: SampleBlock) -> None:
        self.chemistry.update(block)
        columns = schema.cell_voltage_columns(block.columns) or [schema.VOLTAGE]
        if columns[0] not in block:
            return
        v = np.concatenate([np.asarray(block[c], dtype=float) for c in columns])
        if columns == [schema.VOLTAGE]:
            v = v / self.spec.series_cells
        else:
            self.cell_columns = True
        self.counts.add(v)

    def warning(self, soc: dict | None, words: FixWords = CLI_WORDS) -> str | None:
        """The voltage-window warning, else the OCV-table-range one, else the pinned-SOC one (of ``soc``, the SOC
        result so far), else the in-window chemistry one, as
        :func:`~app.diagnostics.input_validity.with_input_warnings` gives them (their
        hints in ``words``); None: the spec fits so far."""
        return self.check(soc, words)[0]

    def check(
        self, soc: dict | None, words: FixWords = CLI_WORDS
    ) -> tuple[str | None, dict[str, str]]:
        """:meth:`warning`, and the results it makes not valid (result key -> why), as
        ``analyze``'s ``invalid_results`` (:func:`~app.diagnostics.input_validity.battery_invalid`)."""
        from app.diagnostics.chemistry_evidence import evidence_warning
        from app.diagnostics.input_validity import battery_invalid

        cells = self.cell_columns
        if warning := window_warning(self.counts, self.spec, cell_columns=cells, words=words):
            return warning, battery_invalid("window")
        if warning := ocv_range_warning(self.counts, self.spec, words):
            return warning, battery_invalid("ocv_range")
        if warning := pinned_warning(self.counts, self.spec, soc, cell_columns=cells, words=words):
            return warning, battery_invalid("pinned")
        if warning := evidence_warning(self.chemistry, self.counts, words):
            return warning, battery_invalid("chemistry")
        return None, {}
