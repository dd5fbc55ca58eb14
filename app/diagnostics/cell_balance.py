"""Cell balance: spread of the series cell voltages, at rest and under load, now
and over time, and the cells that sit apart.

:class:`CellBalanceTracker` is the incremental diagnostic (live engine);
:func:`check_cell_balance` runs it on a whole log. The tracker keeps every
sample's spread (8 bytes, plus its time and a rest/mid-SOC flag) and, per bin of
:data:`BIN_SAMPLES` samples counted from the start, the sums that give each
cell's deviation from the pack median (all samples, at rest, under load) and
its regression on the current (the same bits whatever the blocks).

The verdict is on the **current state**: the median spread over the recent
window (the last :data:`RECENT_WINDOW_S`, at most a quarter of the log) of the
samples it is judged on (at rest within :data:`SOC_JUDGE_RANGE`, else ...). It
is raised by a **trend**: the growth of that spread (a line through time-bin
means; its standard error with the AR(1) effective sample size) when it is
3 standard errors above zero, has grown 10 mV over the record and is on course
to reach :data:`REST_SPREAD_WARN_MV` within as long again; and by a **weak cell**: a cell whose voltage sags more than the others'
under load (its deviation's slope against the current, mOhm over the pack median,
in the recent window) by at least :data:`WEAK_CELL_FRACTION` of the cell's
resistance. A log with no sample within :data:`SOC_JUDGE_RANGE` has its spread
shown but not judged (healthy cells fan out there): only the trend, the weak
cells and the outliers judge it.

:func:`balance_verdict` is the verdict once fault detection has run (the CLI, the
report and the window): a cell with a suspect reading or an internal short is to
check (or replace), not to balance. :func:`with_fault_verdict` writes it into the
result's JSON (``run_suite``'s and the live engine's), the spread's own verdict kept
as ``spread_status`` and ``spread_action``.

A cell reading outside the spec's plausible band (:attr:`BatterySpec.plausible_cell_v`,
the rule the SOC uses too: a cell collapsed to 0 V, a broken sense wire, 65 V of
garbage) is no imbalance: each sample's spread, median and deviations are over its
plausible cells (a sample with fewer than two is left out, as one with a missing
reading is; a cell's sums count its plausible samples only), and the result names
the implausible cells (``implausible_cells``, ``implausible_readings``) with a
status that is not "ok": critical while a cell reads implausibly at the last
sample, a warning when it did only earlier. A cell that reads implausibly at the
last sample is left out of the figures altogether, as "the other cells" of the
text say: a cell that collapses reads within the band on its way down (a
runaway's cell passed 2.7 and 1.5 V, and the others' spread read 2.6 V, their
trend hundreds of mV/h), so the figures are of the samples where it was neither
the lowest nor the highest plausible reading (each sample keeps which cells
were), where the spread is the others' own.

"Now" (``spread_mv``) is the last sample's spread; the result says where that
sample lies (``soc_now_pct``, ``rest_now``, ``now_in_judged_range``), and
:func:`spread_now_note` says why a wide spread there, outside
:data:`SOC_JUDGE_RANGE` (a discharge to empty: 424 mV between LFP cells 1.8 %
SOC apart), is not what the status judged.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from app.core import schema
from app.core.results import DiagnosticResult
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.capacity_fade import effective_sample_size, lag1_autocorrelation
from app.diagnostics.finite import nan_to_num
from app.diagnostics.incremental import GrowingArray, as_block
from app.diagnostics.pulse_detection import median

if TYPE_CHECKING:
    import pandas as pd

# A spread above ~30 mV at rest is the usual point where BMS vendors start
# passive balancing and above ~100 mV it costs usable capacity (e.g. TI
# application report SLUA524 and common BMS balancing start thresholds).
REST_SPREAD_WARN_MV = 30.0
REST_SPREAD_ACT_MV = 100.0
#: SOC window in which the spread is judged: the median cell's SOC from its voltage and,
#: under load, also from that voltage less its drop across the chemistry's cell
#: resistance (its OCV), both within it.
SOC_JUDGE_RANGE = (20.0, 95.0)
_RANGE_TEXT = f"{SOC_JUDGE_RANGE[0]:.0f}-{SOC_JUDGE_RANGE[1]:.0f} % SOC"
#: ``judged_on``, the samples the status judges, the first there are of: at rest
#: within SOC_JUDGE_RANGE; under load within it (no rest there); at rest outside it
#: (no sample within it); under load outside it (no rest either)
JUDGED_REST_IN_RANGE = f"rest, {_RANGE_TEXT}"
JUDGED_LOAD_IN_RANGE = f"under load, {_RANGE_TEXT}"
JUDGED_REST_OUTSIDE = f"rest, outside {_RANGE_TEXT}"
JUDGED_LOAD_OUTSIDE = f"under load, outside {_RANGE_TEXT}"
#: ... or, when the last rest within the range is a window or more before the last
#: load within it and the load since then spreads wider: that load
JUDGED_LOAD_SINCE_REST = f"{JUDGED_LOAD_IN_RANGE}, since the last rest"
# outlier: further from the pack median than this many robust standard deviations
OUTLIER_SIGMAS = 3.0
OUTLIER_MIN_MV = 10.0
#: The current state: the last hour of the judged samples, at most a quarter of the log.
RECENT_WINDOW_S = 3600.0
RECENT_FRACTION = 0.25
#: Trend: a line through the means of TREND_BINS time bins (at least MIN_TREND_BINS
#: with samples); it raises the status when TREND_SIGMAS standard errors above zero,
#: grown OUTLIER_MIN_MV over the record and on course to reach REST_SPREAD_WARN_MV
#: within as long again.
TREND_BINS = 48
MIN_TREND_BINS = 6
TREND_SIGMAS = 3.0
#: ... and only when the log comes back to the SOCs it was judged at: at least
#: TREND_REVISIT_SHARE of the later half's bins within the earlier half's SOC range
#: (widened by TREND_REVISIT_SOC_PCT). In one discharge the cells fan out with the
#: SOC (capacity spread on a steepening OCV), not linearly in it, and a line on
#: time and SOC then calls that fan-out growth: a clean 30 min 1C discharge read
#: +73 +/- 18 mV/h.
TREND_REVISIT_SHARE = 0.5
TREND_REVISIT_SOC_PCT = 2.0
#: A weak cell: its resistance over the pack median (from its voltage's slope against
#: the current) at least this share of the chemistry's cell resistance (R0+R1+R2);
#: at twice the resistance it is a cell to replace. The regression needs the
#: current to vary by at least C/10 (standard deviation) in the window.
WEAK_CELL_FRACTION = 0.5
REPLACE_CELL_FRACTION = 1.0
MIN_CURRENT_SPREAD_C = 0.1


@dataclass(frozen=True)
class CellBalanceResult(DiagnosticResult):
    cells: int
    spread_mv: float | None  # at the last sample
    spread_max_mv: float | None
    std_mv: float | None  # at the last sample
    spread_at_rest_mv: float | None  # median over rest samples
    spread_under_load_mv: float | None  # median over load samples
    spread_trend_mv_per_h: float | None
    soc_imbalance_pct: float | None  # from OCV at rest
    outlier_cells: list[int] = field(default_factory=list)
    mean_deviation_mv: list[float | None] = field(default_factory=list)
    status: str = "ok"
    recommendation: str = ""
    #: the spread the status judges: median at rest within SOC_JUDGE_RANGE
    #: (else under load there, else at rest, else all samples)
    spread_judged_mv: float | None = None
    #: the samples judged, e.g. "rest, 20-95 % SOC" (see JUDGED_REST_IN_RANGE ...)
    judged_on: str | None = None
    #: the recent window the status judges (s, the last of the judged samples)
    judged_window_s: float | None = None
    #: median of the judged samples over the whole log (the status judges the recent
    #: ones; with JUDGED_LOAD_SINCE_REST, of the rest samples within SOC_JUDGE_RANGE)
    spread_history_mv: float | None = None
    #: median under load within SOC_JUDGE_RANGE in the recent window
    spread_recent_under_load_mv: float | None = None
    #: standard error of spread_trend_mv_per_h (AR(1) effective sample size)
    spread_trend_stderr_mv_per_h: float | None = None
    spread_trend_significant: bool = False
    #: recent, per cell: mean deviation from the pack median on the judged samples, mV
    recent_deviation_mv: list[float | None] = field(default_factory=list)
    #: recent, per cell: resistance over the pack median from the sag under load, mOhm
    resistance_offset_mohm: list[float | None] = field(default_factory=list)
    weak_cells: list[int] = field(default_factory=list)
    #: "none", "watch", "balance", "check_cells", "replace_cell" or "check_reading"
    #: (a cell reads outside the plausible band: check the cell and its sense wire first)
    action: str = "none"
    findings: list[str] = field(default_factory=list)
    #: cells (1-based) with a reading outside ``plausible_cell_v`` in the log; those
    #: readings are left out of every figure above
    implausible_cells: list[int] = field(default_factory=list)
    #: per implausible cell: {"cell", "samples" (readings out of the band),
    #: "first_time_s", "last_time_s" (of those), "last_value_v" (the last of them),
    #: "reading_now" (out of the band at the last sample)}
    implausible_readings: list[dict] = field(default_factory=list)
    #: [low, high] V: a working cell's readings (None: the spec has no cell limits)
    plausible_cell_v: list[float] | None = None
    #: the last sample ("now", of ``spread_mv``): the median cell's SOC from its
    #: voltage, whether the pack was at rest, and whether the sample is within
    #: SOC_JUDGE_RANGE (outside it healthy cells fan out: see :func:`spread_now_note`)
    soc_now_pct: float | None = None
    rest_now: bool | None = None
    now_in_judged_range: bool | None = None


def _unknown(cells: int, why: str) -> CellBalanceResult:
    return CellBalanceResult(
        cells=cells,
        spread_mv=None,
        spread_max_mv=None,
        std_mv=None,
        spread_at_rest_mv=None,
        spread_under_load_mv=None,
        spread_trend_mv_per_h=None,
        soc_imbalance_pct=None,
        status="unknown",
        recommendation=why,
    )


#: samples per bin of the per-cell sums (counted from the start)
BIN_SAMPLES = 256
#: a long block (a whole log) is taken this many samples at a time: the sort and the
#: deviations of 16 cells x 1e6 samples would be 128 MB temporaries each, and a
#: slice's sorted cells (2 MB for 16 cells) are read column by column while in cache
#: (4x longer slices: check_cell_balance of a 16-cell, 1e6-sample log ~10 % slower)
SLICE_SAMPLES = 64 * BIN_SAMPLES
#: flags kept per sample
_REST, _MID = 1, 2
#: the weights of a bin's sums: every sample, mid SOC, mid SOC x current, rest at mid SOC
_ALL, _MID_W, _MID_I, _REST_MID = range(4)


_BOTH, _MIN, _MAX = 0, 1, 2


@functools.cache
def _rank_network(n: int) -> tuple[tuple[int, int, int], ...]:
    """Compare-exchanges ``(kind, a, b)`` (a < b; _MIN: only the minimum goes on, into
    wire a; _MAX: only the maximum, into wire b) after which wires 0, n - 1 and the
    middle one(s) hold the lowest, highest and middle of ``n`` values: Batcher's
    odd-even merge sort (any n), less what no kept wire needs."""
    pairs = []
    p = 1
    while p < n:
        k = p
        while k >= 1:
            for j in range(k % p, n - k, 2 * k):
                for i in range(min(k, n - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        pairs.append((i + j, i + j + k))
            k //= 2
        p *= 2
    needed = {0, n - 1, n // 2, max(n // 2 - 1, 0)}
    ops = []
    for a, b in reversed(pairs):
        low, high = a in needed, b in needed
        if low or high:
            ops.append((_BOTH if low and high else _MIN if low else _MAX, a, b))
            needed |= {a, b}
    return tuple(reversed(ops))


class CellBalanceTracker:
    """Incremental cell balance (the live twin of :func:`check_cell_balance`)."""

    columns: tuple[str, ...] = ()

    def __init__(self, spec: BatterySpec, *, whole_log: bool = False):
        """``whole_log``: the caller keeps the arrays of the blocks it feeds unchanged
        until :meth:`result` (an offline run on a whole log, whose columns are the
        log's): which cells read each sample's lowest and highest plausible value is
        then looked up only when the result needs it (a cell out of the band at the
        last sample), not for every sample as it comes (the same values)."""
        self.spec = spec
        self._lo, self._hi = spec.plausible_cell_v
        self._cols: list[str] | None = None  # known from the first block
        self._t = GrowingArray()
        self._spread = GrowingArray()
        # per sample, the cells (0-based) of the lowest and the highest plausible
        # reading: a cell that reads out of the band at the end is left out of the
        # figures, and the spread of the others is the sample's where it was neither
        self._low_cell = GrowingArray(np.uint16)
        self._high_cell = GrowingArray(np.uint16)
        #: (whole_log) per slice not yet looked up: its (cells, extremes, out), as
        #: _cells_at takes them (None: each slice is looked up as it comes)
        self._extremes_pending: list[tuple] | None = [] if whole_log else None
        #: (whole_log) each slice's lowest and highest reading while every slice's
        #: readings were all finite and plausible (None since one was not)
        self._slice_extremes: list[tuple[np.ndarray, np.ndarray]] | None = [] if whole_log else None
        self._flags = GrowingArray(np.uint8)
        self._soc = GrowingArray(np.float32)  # the median cell's SOC from its voltage
        # a series element's resistance (ohm): under load the median cell's voltage less
        # its drop (+ = charging) is about its OCV. A sample is in SOC_JUDGE_RANGE when
        # both give a SOC in it: the loaded voltage of a cell charged at 1C reads ~10 %
        # SOC high (at 14 % it read 'mid'), its OCV so estimated ~3 % low on discharge
        # (simulated nmc/lfp cccv, cc, cycle, hppc, drive: the true SOC of the samples
        # in range was 13-100 % by the loaded voltage alone, 20-92 % by both)
        r_mohm = _cell_resistance_mohm(spec)
        self._r_elem_ohm = 0.0 if r_mohm is None else r_mohm / 1000.0
        #: per full bin, (cells + 2, 4) sums: rows the cells' deviations (mV), 1 and the
        #: current; columns the weights (_ALL, _MID_W, _MID_I, _REST_MID), flattened
        self._bins = GrowingArray()
        self._tail_rows: np.ndarray | None = None  # (cells + 2, samples) of the bin under way
        self._tail_w: np.ndarray | None = None  # (samples, 4)
        #: the readings left out as implausible (their deviation rows hold 0 there), by
        #: bin index for the bins that have one: (2 * cells, 4) sums, rows each cell's
        #: left-out indicator, then that times the current; the bin under way's rows
        #: in _tail_out (None: none left out). A cell's counts are the bin's less these.
        self._out_bins: dict[int, np.ndarray] = {}
        self._tail_out: np.ndarray | None = None
        self._last_cells: np.ndarray | None = None  # NaN where implausible
        self._last_rest_cells: np.ndarray | None = None
        # per cell, over the complete samples: readings out of the band, the first and
        # last time of one, the last such value, and whether the last sample is one
        self._out_count: np.ndarray | None = None
        self._out_first: np.ndarray | None = None
        self._out_last: np.ndarray | None = None
        self._out_value: np.ndarray | None = None
        self._out_now: np.ndarray | None = None
        self._noted = False  # a reading out of the band seen
        self._bufs: dict[str, np.ndarray] = {}  # work arrays (see _work)

    def update(self, block: SampleBlock) -> dict[str, np.ndarray]:
        """Take one block's complete cell readings. Adds no derived columns."""
        if self._cols is None:
            self._cols = schema.cell_voltage_columns(block.columns)
            n = len(self._cols)
            self._out_count = np.zeros(n, dtype=np.int64)
            self._out_first = np.full(n, np.nan)
            self._out_last = np.full(n, np.nan)
            self._out_value = np.full(n, np.nan)
            self._out_now = np.zeros(n, dtype=bool)
        if len(self._cols) < 2:
            return {}
        for a in range(0, len(block), SLICE_SAMPLES):
            self._update(
                block if len(block) <= SLICE_SAMPLES else block.slice(a, a + SLICE_SAMPLES)
            )
        return {}

    def in_judged_range(self) -> np.ndarray:
        """Per sample taken so far (those with cell readings, in order), whether it lies
        within :data:`SOC_JUDGE_RANGE` by both its loaded voltage and its OCV: what
        :meth:`result`'s ``now_in_judged_range`` says of a log ending with that sample.
        Each sample is judged once, on arrival, from its own readings (a copy)."""
        return (self._flags.view() & _MID) > 0

    def _update(self, block: SampleBlock) -> None:
        cols = self._cols
        spec = self.spec
        # the usual slice: every reading finite, positive and in the band (then only the
        # lowest, highest and middle readings of each sample are needed: a network of
        # min/max over the cell columns gives them, the values a sort gives)
        ends = self._in_band_ranks(block)
        if ends is not None:
            low, high, median = ends
            extremes = (low, high)
            out = None
            if self._noted:  # (only then can a cell read out of the band now)
                self._out_now[:] = False
            spread = (high - low) * 1000.0
            t = block[schema.TIME]
            i = nan_to_num(block[schema.CURRENT])
            cells = [block[c] for c in cols]
        else:
            self._slice_extremes = None  # (not every reading finite and plausible)
            judged = self._sorted_slice(block)
            if judged is None:
                return
            t, i, cells, out, spread, median, extremes = judged
        rest = np.abs(i) < 0.02 * spec.pack_capacity_ah  # below C/50
        soc = spec.cell_soc_from_ocv(median)
        lo, hi = SOC_JUDGE_RANGE
        if self._r_elem_ohm:  # within the range by the loaded voltage and by the OCV
            ocv_soc = spec.cell_soc_from_ocv(median - i * self._r_elem_ohm)
            mid = (lo <= np.minimum(soc, ocv_soc)) & (np.maximum(soc, ocv_soc) <= hi)
        else:
            mid = (lo <= soc) & (soc <= hi)
        rows = self._work("rows", len(cols) + 2, len(t))
        for row, cell in zip(rows[:-2], cells, strict=True):
            np.subtract(cell, median, out=row)
            row *= 1000.0  # (while the row is in cache)
        rows[-2] = 1.0
        rows[-1] = i
        out_rows = None
        if out is not None:
            rows[:-2][out] = 0.0  # a left-out reading adds nothing to its cell's sums
            outf = out.astype(float)
            out_rows = np.concatenate((outf, outf * i))
        weights = np.empty((len(t), 4))
        weights[:, _ALL] = 1.0
        weights[:, _MID_W] = mid
        np.multiply(mid, i, out=weights[:, _MID_I])
        weights[:, _REST_MID] = rest & mid
        self._add_bins(rows, weights, out_rows)
        self._t.extend(t)
        self._spread.extend(spread)
        if self._extremes_pending is None:
            self._store_extreme_cells(cells, extremes, out)
        else:  # (the extremes may be views of work arrays: kept as copies)
            extremes = (extremes[0].copy(), extremes[1].copy())
            self._extremes_pending.append((cells, extremes, out))
            if self._slice_extremes is not None:
                self._slice_extremes.append(extremes)
        self._flags.extend(rest * np.uint8(_REST) | mid * np.uint8(_MID))
        self._soc.extend(soc)
        self._last_cells = np.array([cell[-1] for cell in cells])
        if out is not None:
            self._last_cells[out[:, -1]] = np.nan
        if rest.any():
            last_rest = int(np.flatnonzero(rest)[-1])
            self._last_rest_cells = np.array([cell[last_rest] for cell in cells])
            if out is not None:
                self._last_rest_cells[out[:, last_rest]] = np.nan

    def _sorted_slice(self, block: SampleBlock) -> tuple | None:
        """The samples of a slice that are judged, from the cells of each sample
        sorted: (t, i, cells, out, spread, median), ``out`` (cells, samples) the
        implausible readings left out (None: none); None where no sample is judged."""
        cols = self._cols
        # the cells of each sample side by side (samples, cells), sorted in place along
        # the contiguous axis: spread and median from one sort, several times faster
        # than max, min and np.median
        # (into work arrays kept from call to call, not allocated per slice; nothing
        # returned or kept refers to them)
        ranked = block.stack(cols, out=self._work("ranked", len(block), len(cols)))
        ranked.sort(axis=1)
        # a sample is complete when all its cells are finite: -inf sorts first, NaN
        # last (after +inf), so its lowest and highest show it; and every sample is
        # when the least lowest and the greatest highest are finite (NaN propagates)
        lowest, highest = ranked[:, 0].min(), ranked[:, -1].max()
        complete = bool(np.isfinite(lowest) and np.isfinite(highest))
        if complete:
            t = block[schema.TIME]
            i = nan_to_num(block[schema.CURRENT])
            # each cell's own (contiguous) column
            cells = [block[c] for c in cols]
        else:
            valid = np.isfinite(ranked[:, 0]) & np.isfinite(ranked[:, -1])
            ranked = ranked[valid]
            if not len(ranked):
                return None
            lowest, highest = ranked[:, 0].min(), ranked[:, -1].max()
            t = block[schema.TIME][valid]
            i = np.nan_to_num(block[schema.CURRENT][valid])
            # every column is there, or no sample would be complete
            cells = [block[c][valid] for c in cols]
        lo, hi = self._lo, self._hi
        # sorted: the lowest and highest readings tell whether any is out of the band
        if lowest >= lo and highest <= hi:
            out = None
            if self._noted:  # (only then can a cell read out of the band now)
                self._out_now[:] = False
            spread = (ranked[:, -1] - ranked[:, 0]) * 1000.0
            extremes = (ranked[:, 0].copy(), ranked[:, -1].copy())
            middle = len(cols) // 2  # the middle one, or the mean of the two middle ones
            median = (
                ranked[:, middle]
                if len(cols) % 2
                else (ranked[:, middle - 1] + ranked[:, middle]) / 2.0
            )
        else:
            out = np.array([(cell < lo) | (cell > hi) for cell in cells])  # (cells, samples)
            self._note_implausible(t, cells, out)
            # the plausible readings are a run of the sorted ones: n_low below, n_high above
            n_low = (ranked < lo).sum(axis=1)
            m = len(cols) - n_low - (ranked > hi).sum(axis=1)
            keep = m >= 2  # a spread needs two cells
            if not keep.all():
                ranked, t, i, n_low, m, out = (
                    ranked[keep],
                    t[keep],
                    i[keep],
                    n_low[keep],
                    m[keep],
                    out[:, keep],
                )
                cells = [cell[keep] for cell in cells]
                if not len(t):
                    return None
            # the same operations as above on the plausible run (the same bits where
            # every cell is plausible)
            at = np.arange(len(t))
            spread = (ranked[at, n_low + m - 1] - ranked[at, n_low]) * 1000.0
            extremes = (ranked[at, n_low], ranked[at, n_low + m - 1])
            middle = n_low + m // 2
            median = np.where(
                m % 2 == 1,
                ranked[at, middle],
                (ranked[at, middle - 1] + ranked[at, middle]) / 2.0,
            )
        return t, i, cells, out, spread, median, extremes

    def _in_band_ranks(
        self, block: SampleBlock
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Each sample's lowest and highest cell reading and the cells' median (the
        middle one, or the mean of the two middle ones), when every reading of the
        block is finite, positive and within the plausible band; else None (the
        caller sorts). From a pruned sorting network over the cell columns: the
        minima and maxima of the same values a sort orders (no -0.0 among positive
        readings, no NaN among finite ones), so the same bits. (Views of a work array
        or of the block's columns: valid until the next call, not to be written to.)"""
        cols = self._cols
        n = len(cols)
        # each wire's values: its cell's column until a compare-exchange writes the
        # wire's work row (the columns are read, never copied or written)
        wires = [block.get(name) for name in cols]
        if any(values is None for values in wires):
            return None  # (a block without that cell: its samples are incomplete)
        rows = list(self._work("network", n + 1, len(block)))
        spare = rows.pop()
        for kind, a, b in _rank_network(n):
            x, y = wires[a], wires[b]
            if kind == _BOTH:
                np.minimum(x, y, out=spare)
                np.maximum(x, y, out=rows[b])
                rows[a], spare = spare, rows[a]
                wires[a], wires[b] = rows[a], rows[b]
            elif kind == _MIN:
                wires[a] = np.minimum(x, y, out=rows[a])
            else:
                wires[b] = np.maximum(x, y, out=rows[b])
        low, high = wires[0], wires[-1]
        # (NaN propagates through minimum and maximum, as -inf and +inf show in them)
        lowest, highest = low.min(), high.max()
        if not (lowest > 0 and math.isfinite(highest)):
            return None
        if not (lowest >= self._lo and highest <= self._hi):
            return None
        middle = n // 2
        median = wires[middle] if n % 2 else (wires[middle - 1] + wires[middle]) / 2.0
        return low, high, median

    def _work(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A (rows, cols) float64 work array, reused from call to call (contents undefined)."""
        buf = self._bufs.get(name)
        if buf is None or buf.size < rows * cols:
            buf = self._bufs[name] = np.empty(max(rows * cols, 1))
        return buf[: rows * cols].reshape(rows, cols)

    def _store_extreme_cells(
        self, cells: list[np.ndarray], extremes: tuple[np.ndarray, ...], out: np.ndarray | None
    ) -> None:
        for store, cell_of in zip(
            (self._low_cell, self._high_cell), _cells_at(cells, extremes, out), strict=True
        ):
            store.extend(cell_of)

    def cell_extremes(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(whole_log) The lowest and the highest cell voltage of each sample taken
        (``np.min`` and ``np.max`` across its cells), when every reading was finite and
        within the plausible band; else None (nor for a tracker fed block by block)."""
        parts = self._slice_extremes
        if not parts:
            return None
        return np.concatenate([lo for lo, _ in parts]), np.concatenate([hi for _, hi in parts])

    def _extreme_cells(self) -> tuple[np.ndarray, np.ndarray]:
        """Per sample taken, the cells (0-based) of its lowest and highest plausible
        reading (views: valid until the next update)."""
        pending = self._extremes_pending
        if pending:
            for slice_args in pending:
                self._store_extreme_cells(*slice_args)
            pending.clear()
        return self._low_cell.view(), self._high_cell.view()

    def _note_implausible(self, t: np.ndarray, cells: list[np.ndarray], out: np.ndarray) -> None:
        """Count each cell's readings out of the band (complete samples)."""
        self._noted = True
        for k, bad in enumerate(out):
            where = np.flatnonzero(bad)
            if len(where):
                self._out_count[k] += len(where)
                if np.isnan(self._out_first[k]):
                    self._out_first[k] = t[where[0]]
                self._out_last[k] = t[where[-1]]
                self._out_value[k] = cells[k][where[-1]]
        self._out_now[:] = out[:, -1]

    def _add_bins(self, rows: np.ndarray, weights: np.ndarray, out: np.ndarray | None) -> None:
        """Sum full bins (rows @ weights, one product per bin); keep the rest for the next
        block. ``out`` (None: nothing left out) is summed alike for the bins it touches."""
        tail = self._tail_rows
        if tail is not None and tail.shape[1]:
            if out is not None or self._tail_out is not None:
                k = 2 * len(self._cols)
                out = np.concatenate(
                    (
                        np.zeros((k, tail.shape[1])) if self._tail_out is None else self._tail_out,
                        np.zeros((k, rows.shape[1])) if out is None else out,
                    ),
                    axis=1,
                )
            rows = np.concatenate((tail, rows), axis=1)
            weights = np.concatenate((self._tail_w, weights))
        full = rows.shape[1] // BIN_SAMPLES
        n = full * BIN_SAMPLES
        if full:
            binned = rows[:, :n].reshape(len(rows), full, BIN_SAMPLES).transpose(1, 0, 2)
            w = weights[:n].reshape(full, BIN_SAMPLES, 4)
            if out is not None:
                first = len(self._bins) // (len(rows) * 4)
                left = np.matmul(
                    out[:, :n].reshape(len(out), full, BIN_SAMPLES).transpose(1, 0, 2), w
                )
                for j in np.flatnonzero(left[:, : len(self._cols), _ALL].any(axis=1)):
                    self._out_bins[first + int(j)] = left[j]
            self._bins.extend(np.matmul(binned, w).ravel())
        self._tail_rows = rows[:, n:].copy()
        self._tail_w = weights[n:].copy()
        self._tail_out = out[:, n:].copy() if out is not None and out[:, n:].any() else None

    def _bin_sums(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(bins, cells + 2, 4): the full bins' sums, then the bin under way's; and
        (bins, 2 * cells, 4) of the readings left out, None when none was."""
        k = len(self._cols) + 2
        sums = self._bins.view().reshape(-1, k, 4)
        if self._tail_rows.shape[1]:
            tail = np.matmul(self._tail_rows[None], self._tail_w[None])
            sums = np.concatenate((sums, tail))
        if not self._out_bins and self._tail_out is None:
            return sums, None
        left = np.zeros((len(sums), 2 * (k - 2), 4))
        for j, s in self._out_bins.items():
            left[j] = s
        if self._tail_out is not None:
            left[-1] = np.matmul(self._tail_out, self._tail_w)
        return sums, left

    def _implausible(self) -> list[dict]:
        """One entry per cell with a reading out of the plausible band."""
        return [
            {
                "cell": int(k) + 1,
                "samples": int(self._out_count[k]),
                "first_time_s": float(self._out_first[k]),
                "last_time_s": float(self._out_last[k]),
                "last_value_v": float(self._out_value[k]),
                "reading_now": bool(self._out_now[k]),
            }
            for k in np.flatnonzero(self._out_count)
        ]

    def result(self) -> CellBalanceResult:
        cols = self._cols or []
        if len(cols) < 2:
            why = (
                "a single cell: balance between cells does not apply"
                if cols
                else "no per-cell voltages in the data: cell balance cannot be judged"
            )
            return _unknown(len(cols), why)
        spec = self.spec
        bad = self._implausible()
        band = None if math.isinf(self._hi) else [float(self._lo), float(self._hi)]
        # a cell that reads out of the band now is left out of every figure: its
        # readings on the way out (a collapse through the band) are no imbalance of
        # the others; a sample's spread is theirs where it was neither the lowest nor
        # the highest plausible reading (elsewhere theirs is not known: left out)
        dead = self._out_now.copy()
        keep = np.ones(len(self._t), dtype=bool)
        if dead.any():
            gone = np.flatnonzero(dead)
            low_cell, high_cell = self._extreme_cells()
            keep &= ~np.isin(low_cell, gone)
            keep &= ~np.isin(high_cell, gone)
        if not keep.any():
            if not bad:
                return _unknown(len(cols), "no complete cell readings")
            # no sample with two plausible cells (besides a cell out of the band now)
            status, action, rec = _with_implausible(
                bad, band, "unknown", "none", "no two plausible cell readings to compare", None
            )
            return dataclasses.replace(
                _unknown(len(cols), rec),
                status=status,
                action=action,
                findings=_implausible_findings(bad, band),
                implausible_cells=[b["cell"] for b in bad],
                implausible_readings=bad,
                plausible_cell_v=band,
            )
        t, spread, flags = self._t.view(), self._spread.view(), self._flags.view()
        rest, mid = (flags & _REST) > 0, (flags & _MID) > 0
        sums, left = self._bin_sums()
        dev_sum = sums[:, :-2, _ALL].sum(axis=0)
        if left is None:
            mean_dev = dev_sum / len(t)
        else:  # each cell over its plausible readings
            with np.errstate(invalid="ignore", divide="ignore"):
                mean_dev = dev_sum / (len(t) - left[:, : len(cols), _ALL].sum(axis=0))
        # a cell that reads out of the band now is named as such, not as an outlier
        outliers = [k for k in _apart(mean_dev) if not dead[k - 1]]
        soc_imb = None
        if self._last_rest_cells is not None:
            socs = spec.cell_soc_from_ocv(self._last_rest_cells)
            socs = socs[np.isfinite(socs)]
            soc_imb = float(np.max(socs) - np.min(socs))
        now = int(np.flatnonzero(keep)[-1])  # the last sample (of the cells kept)
        rest, mid = rest & keep, mid & keep
        # (median: np.median's values on these long arrays, several times faster)
        rest_spread = median(spread[rest], scratch=True) if rest.any() else None
        # Judge the balance where the OCV curves of the cells run parallel: at the
        # ends of charge (below ~20 % and above ~95 % SOC) a healthy pack's cells
        # fan out by 100+ mV from small capacity differences alone.
        judged_on, candidates = next(
            (name, chosen)
            for name, chosen in (
                (JUDGED_REST_IN_RANGE, rest & mid),
                (JUDGED_LOAD_IN_RANGE, mid),  # (none of them at rest)
                (JUDGED_REST_OUTSIDE, rest),  # (none of the samples in range)
                (JUDGED_LOAD_OUTSIDE, keep),
            )
            if chosen.any()
        )
        window = min(RECENT_WINDOW_S, RECENT_FRACTION * float(t[-1] - t[0]))
        tj, sj = t[candidates], spread[candidates]
        soc_j = self._soc.view()[candidates]
        judge = median(sj[tj >= tj[-1] - window], scratch=True)
        history = median(sj)
        load_mid = ~rest & mid  # (mid: of the samples kept)
        recent_load = None
        if load_mid.any():
            tl = t[load_mid]
            recent_load = median(spread[load_mid][tl >= tl[-1] - window], scratch=True)
            # a rest that is long past does not tell the state now: the load at mid
            # SOC since then does (judged alike when no rest is at hand)
            if judged_on == JUDGED_REST_IN_RANGE and tl[-1] - tj[-1] >= window:
                since = spread[load_mid][(tl > tj[-1]) & (tl >= tl[-1] - window)]
                if median(since, scratch=True) > judge:  # (its order changes, not its median)
                    judge, judged_on = median(since), JUDGED_LOAD_SINCE_REST
                    candidates = load_mid & (t > tj[-1])
        trend, trend_se = _trend(tj, sj, soc_j)
        # material: grown OUTLIER_MIN_MV over the record, and on course to reach the
        # warning level within as long again (no extrapolation beyond that)
        growth = None if trend is None else trend * float(tj[-1] - tj[0]) / 3600.0
        would_grow = (
            trend is not None
            and trend > TREND_SIGMAS * trend_se
            and growth >= OUTLIER_MIN_MV
            and judge + growth >= REST_SPREAD_WARN_MV
        )
        revisits = _revisits_soc(soc_j)
        growing = would_grow and revisits
        bin_end = t[np.minimum(np.arange(len(sums)) * BIN_SAMPLES + BIN_SAMPLES, len(t)) - 1]
        column = {
            JUDGED_REST_IN_RANGE: _REST_MID,
            JUDGED_REST_OUTSIDE: _ALL,
            JUDGED_LOAD_OUTSIDE: _ALL,
        }.get(judged_on, _MID_W)
        rest_dev, r_offset = self._recent_cells(
            sums, left, bin_end, t, candidates, column, mid, window
        )
        for k in np.flatnonzero(dead):  # its recent figures are of readings gone since
            rest_dev[k] = r_offset[k] = None
        r_cell = _cell_resistance_mohm(spec)
        weak, replace = [], []
        if r_cell is not None and any(r is not None for r in r_offset):
            for k, r in enumerate(r_offset):
                if r is not None and r >= WEAK_CELL_FRACTION * r_cell:
                    weak.append(k + 1)
                    if r >= REPLACE_CELL_FRACTION * r_cell:
                        replace.append(k + 1)
        apart_now = _apart(np.array([np.nan if d is None else d for d in rest_dev]))
        outliers = sorted(set(outliers) | set(apart_now) | set(weak))
        findings = _implausible_findings(bad, band)
        for k in weak:
            findings.append(
                f"cell {k} sags under load: {r_offset[k - 1]:+.1f} mOhm over the pack median "
                f"({r_offset[k - 1] / r_cell * 100:+.0f} % of a cell's {r_cell:.1f} mOhm)"
            )
        for k in apart_now:
            d = rest_dev[k - 1]
            findings.append(
                f"cell {k} sits {abs(d):.0f} mV {'above' if d > 0 else 'below'} the median"
            )
        if growing:
            findings.append(f"spread growing {trend:+.1f} +/- {trend_se:.1f} mV/h")
        elif would_grow:  # (not revisits)
            findings.append(
                f"spread widening {trend:+.1f} +/- {trend_se:.1f} mV/h as the SOC moves: not "
                "judged as growth, the log does not come back to the SOCs it had"
            )
        status, action, rec = _verdict(judge, growing, weak, replace, outliers, trend, judged_on)
        if bad:
            status, action, rec = _with_implausible(
                bad, band, status, action, rec, len(cols) - int(dead.sum())
            )
        if len(cols) < spec.series_cells:  # a CAN log decoding a few of a pack's cells
            rec += f" (judged on the {len(cols)} of {spec.series_cells} series cells in the data)"
        last = self._last_cells[np.isfinite(self._last_cells)]
        return CellBalanceResult(
            cells=len(cols),
            spread_mv=float(spread[now]),
            spread_max_mv=float(spread[keep].max()),
            std_mv=float(np.std(last) * 1000.0),
            spread_at_rest_mv=rest_spread,
            spread_under_load_mv=(
                median(spread[keep & ~rest], scratch=True) if (keep & ~rest).any() else None
            ),
            spread_trend_mv_per_h=trend,
            soc_imbalance_pct=soc_imb,
            outlier_cells=outliers,
            mean_deviation_mv=[float(x) if np.isfinite(x) else None for x in mean_dev],
            status=status,
            recommendation=rec,
            spread_judged_mv=judge,
            judged_on=judged_on,
            judged_window_s=window,
            spread_history_mv=history,
            spread_recent_under_load_mv=recent_load,
            spread_trend_stderr_mv_per_h=trend_se,
            spread_trend_significant=bool(growing),
            recent_deviation_mv=rest_dev,
            resistance_offset_mohm=r_offset,
            weak_cells=weak,
            action=action,
            findings=findings,
            implausible_cells=[b["cell"] for b in bad],
            implausible_readings=bad,
            plausible_cell_v=band,
            soc_now_pct=float(self._soc.view()[now]),
            rest_now=bool(rest[now]),
            now_in_judged_range=bool(mid[now]),
        )

    def _recent_cells(self, sums, left, bin_end, t, judged, column, mid, window):
        """Per cell, over the bins of the recent window: the mean deviation on the
        judged samples (``column`` of the sums) and the resistance over the median
        (slope of the deviation on the current, mid SOC), None where the window has
        no such samples. ``left``: the readings left out (None: none), taken off each
        cell's counts."""
        cells = len(self._cols)
        rest_dev: list[float | None] = [None] * cells
        r_offset: list[float | None] = [None] * cells
        recent = bin_end >= t[judged][-1] - window
        s = sums[recent].sum(axis=0)
        if left is None:
            if s[-2, column] > 0:
                rest_dev = [float(x) for x in s[:-2, column] / s[-2, column]]
        else:
            n = s[-2, column] - left[recent].sum(axis=0)[:cells, column]
            with np.errstate(invalid="ignore", divide="ignore"):
                dev = s[:-2, column] / n
            rest_dev = [float(x) if c > 0 else None for x, c in zip(dev, n, strict=True)]
        if mid.any():
            recent = bin_end >= t[mid][-1] - window
            s = sums[recent].sum(axis=0)
            n, si, sii = s[-2, _MID_W], s[-1, _MID_W], s[-1, _MID_I]
            least = (MIN_CURRENT_SPREAD_C * self.spec.pack_capacity_ah) ** 2
            if left is None:
                var_i = sii / n - (si / n) ** 2 if n > 0 else 0.0
                if var_i >= least:
                    slope = (s[:-2, _MID_I] - si * s[:-2, _MID_W] / n) / (n * var_i)
                    r_offset = [float(x) for x in slope - np.median(slope)]
            else:  # each cell's regression over its own plausible readings
                o = left[recent].sum(axis=0)
                n, si, sii = n - o[:cells, _MID_W], si - o[cells:, _MID_W], sii - o[cells:, _MID_I]
                with np.errstate(invalid="ignore", divide="ignore"):
                    var_i = np.where(n > 0, sii / n - (si / n) ** 2, 0.0)
                    slope = (s[:-2, _MID_I] - si * s[:-2, _MID_W] / n) / (n * var_i)
                ok = var_i >= least
                if ok.any():
                    ref = np.median(slope[ok])
                    r_offset = [
                        float(x - ref) if good else None for x, good in zip(slope, ok, strict=True)
                    ]
        return rest_dev, r_offset


def _cells_at(
    cells: list[np.ndarray], values: tuple[np.ndarray, ...], out: np.ndarray | None
) -> list[np.ndarray]:
    """For each array of ``values`` (one per sample, each a plausible reading of the
    sample's), the first cell (0-based) whose plausible reading (``out``: the readings
    left out, None: none) is that value. (A loop of compares: ~0.1 us a sample for 16
    cells, faster than an argmin over the cells stacked.)"""
    found = []
    for value in values:
        at = np.zeros(len(value), dtype=np.uint16)
        hit = np.empty(len(value), dtype=bool)
        # (from the last cell down: the first one found wins; none of cells 1.. : cell 0)
        for k in range(len(cells) - 1, 0, -1):
            np.equal(cells[k], value, out=hit)
            if out is not None:
                hit &= ~out[k]
            np.copyto(at, k, where=hit)
        found.append(at)
    return found


def _apart(dev: np.ndarray) -> list[int]:
    """Cells (1-based) further from the pack median than OUTLIER_SIGMAS robust sigmas
    (and OUTLIER_MIN_MV); NaN cells are not judged."""
    ok = np.isfinite(dev)
    if ok.sum() < 2:
        return []
    mad = np.median(np.abs(dev[ok] - np.median(dev[ok]))) * 1.4826
    limit = max(OUTLIER_SIGMAS * mad, OUTLIER_MIN_MV)
    return [int(k) + 1 for k in np.flatnonzero(ok & (np.abs(np.nan_to_num(dev)) > limit))]


def _trend(t: np.ndarray, spread: np.ndarray, soc: np.ndarray) -> tuple[float | None, float | None]:
    """Slope (mV/h) of the spread against time, the SOC held: least squares of the
    means of TREND_BINS time bins on time and SOC (a healthy pack's cells fan out as
    it discharges: in one discharge, time and SOC are one, and the slope's
    standard error is large), and its standard error with the AR(1) effective
    number of bins."""
    span = float(t[-1] - t[0])
    if span <= 60 or len(t) <= 10:
        return None, None
    which = np.minimum(((t - t[0]) / span * TREND_BINS).astype(np.intp), TREND_BINS - 1)
    count = np.bincount(which, minlength=TREND_BINS)
    have = count > 0
    if have.sum() < MIN_TREND_BINS:
        return None, None
    h = np.bincount(which, t, TREND_BINS)[have] / count[have] / 3600.0
    y = np.bincount(which, spread, TREND_BINS)[have] / count[have]
    x = np.bincount(which, soc, TREND_BINS)[have] / count[have]
    design = np.column_stack((np.ones_like(h), h - h.mean(), x - x.mean()))
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    r = y - design @ coef
    n = len(y)
    n_eff = effective_sample_size(n, lag1_autocorrelation(r))
    inv = np.linalg.pinv(design.T @ design)
    se = math.sqrt(max(float(np.dot(r, r)) / (n - 3) * inv[1, 1] * n / n_eff, 0.0))
    return float(coef[1]), se


def _revisits_soc(soc: np.ndarray) -> bool:
    """Whether the later half of the judged samples (in time) mostly lies at SOCs
    the earlier half covered: only then is a growth in time told apart from the
    fan-out with SOC (see TREND_REVISIT_SHARE)."""
    half = len(soc) // 2
    if half == 0:
        return False
    early, late = soc[:half], soc[half:]
    low = float(np.min(early)) - TREND_REVISIT_SOC_PCT
    high = float(np.max(early)) + TREND_REVISIT_SOC_PCT
    return float(np.mean((late >= low) & (late <= high))) >= TREND_REVISIT_SHARE


def _cell_resistance_mohm(spec: BatterySpec) -> float | None:
    """A series element's resistance from the chemistry's model (R0 + R1 + R2), mOhm."""
    if spec.ecm is None:
        return None
    p = spec.ecm.for_capacity(spec.capacity_ah)
    return (p["r0_ohm"] + p["r1_ohm"] + p["r2_ohm"]) / spec.parallel_strings * 1000.0


def _cells(ks: list[int]) -> str:
    """'cell 2' or 'cells 2, 3' (never 'cell(s) 2', nor a bare '2' that reads as a count)."""
    return ("cell " if len(ks) == 1 else "cells ") + ", ".join(map(str, ks))


def _verdict(
    judge, growing, weak, replace, outliers, trend, judged_on=None
) -> tuple[str, str, str]:
    """(status, action, recommendation) from the recent spread, its trend and the weak cells.

    A spread judged outside SOC_JUDGE_RANGE (the log has no sample within it) is no
    reason to warn: there healthy cells fan out by tens to hundreds of mV from their
    capacity spread alone (clean simulated NMC, LFP and lead-acid packs discharged
    below 20 % read 36-82 mV at rest), so only the trend, the weak cells and the
    outliers judge such a log: with none of them speaking, the status is "unknown"
    (the CLI, the report and the window say "not judged" and why, never "ok")."""
    outside = judged_on in (JUDGED_REST_OUTSIDE, JUDGED_LOAD_OUTSIDE)
    if outside and not growing:
        # no verdict, not "ok": the spread is shown, the balance is not judged
        status, action = "unknown", "none"
        rec = (
            # (by the cells' voltage: the SOC estimate, a figure of its own, may be in it)
            f"not judged: no sample within {_RANGE_TEXT} by the cells' voltage on the OCV "
            "table (as read and less the load's drop), where the cells' OCV curves run "
            "parallel (outside it healthy cells read far apart); judge the balance at rest "
            "at mid SOC"
        )
        if outliers:
            action = "watch"
            rec += f"; {_cells(outliers)} {'sits' if len(outliers) == 1 else 'sit'} apart: watch"
    elif judge >= REST_SPREAD_ACT_MV:
        status, action = "critical", "balance"
        rec = (
            "cells far apart: top-balance the pack (charge to full and hold for balancing), "
            "check the low cells' capacity and self-discharge"
        )
    elif judge >= REST_SPREAD_WARN_MV:
        status, action = "warning", "balance"
        rec = "cells drifting apart: let the BMS balance at the top of charge; watch the outlier cells"
    elif growing:
        status, action = "warning", "balance"
        rec = (
            f"spread growing {trend:+.1f} mV/h: balance at the top of charge and check "
            "the cells that drift for self-discharge"
        )
    else:
        status, action, rec = "ok", "none", "cells balanced: no action needed"
        if outliers:
            action = "watch"
            rec = (
                f"balanced overall, but {_cells(outliers)} "
                f"{'sits' if len(outliers) == 1 else 'sit'} apart: watch "
                f"{'it' if len(outliers) == 1 else 'them'}"
            )
    if replace:
        status, action = "critical", "replace_cell"
        rec = (
            f"{_cells(replace)}: resistance twice a healthy cell's or more: "
            f"confirm with a capacity and pulse test and replace; {rec}"
        )
    elif weak:
        status = "critical" if status == "critical" else "warning"
        action = "check_cells"
        rec = (
            f"check {_cells(weak)}: sagging under load more than the others "
            f"(resistance, a loose connection or a weak cell); {rec}"
        )
    return status, action, rec


def spread_now_note(r: dict) -> str:
    """Why a wide spread at the last sample ("now") is not what the status judged: the
    sample lies outside SOC_JUDGE_RANGE, where healthy cells' voltages fan out
    (' (at rest at 1 % SOC, outside 20-95 % SOC: ... 1.8 % SOC apart, not judged)');
    '' when it lies within the range or its spread is below REST_SPREAD_WARN_MV.
    ``r``: the cell balance result as a dict."""
    now, soc = r.get("spread_mv"), r.get("soc_now_pct")
    if r.get("now_in_judged_range") is not False or now is None or soc is None:
        return ""
    if now < REST_SPREAD_WARN_MV:
        return ""
    end = "end of discharge" if soc < SOC_JUDGE_RANGE[0] else "top of charge"
    where = "at rest" if r.get("rest_now") else "under load"
    apart = r.get("soc_imbalance_pct")
    cells = (
        f"cells {apart:.1f} % SOC apart"
        if r.get("rest_now") and apart is not None
        else "healthy cells"
    )
    return (
        f" ({where} at {soc:.0f} % SOC, outside {_RANGE_TEXT}: at the {end} the OCV "
        f"curve is steep and {cells} read that far apart; not judged)"
    )


def _mv(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} mV"  # (as the window's card)


def judged_spread_text(r: dict) -> str:
    """'spread 12.1 mV (rest, 20-95 % SOC), 40.2 mV now': the spread the status judged,
    on the samples it names, then the last sample's (of any SOC, with
    :func:`spread_now_note`); the one wording of the CLI, the report and the window.
    ``r``: the cell balance result as a dict."""
    now = f"{_mv(r.get('spread_mv'))} now{spread_now_note(r)}"
    if r.get("spread_judged_mv") is None or not r.get("judged_on"):
        return f"spread {now}"
    return f"spread {_mv(r['spread_judged_mv'])} ({r['judged_on']}), {now}"


def _band(band: list[float]) -> str:
    return f"the plausible {band[0]:.2f}-{band[1]:.2f} V"


def _implausible_findings(bad: list[dict], band: list[float] | None) -> list[str]:
    """One line per cell with readings out of the plausible band."""
    return [
        f"cell {b['cell']} "
        + (
            f"reads {b['last_value_v']:.2f} V, outside {_band(band)}, since "
            if b["reading_now"]
            else f"read {b['last_value_v']:.2f} V, outside {_band(band)}, "
        )
        + f"{b['first_time_s']:g} s ({b['samples']} readings): left out of the balance"
        for b in bad
    ]


def _with_implausible(
    bad: list[dict], band: list[float], status: str, action: str, rec: str, others: int | None
) -> tuple[str, str, str]:
    """(status, action, recommendation) with the cells that read out of the plausible
    band named first: no imbalance but a failed cell or a broken sense wire, to check
    before balancing; critical while one reads so now. ``rec`` is the verdict on the
    plausible readings (``others``: the cells that read plausibly now; None: no
    verdict)."""
    now = [b for b in bad if b["reading_now"]]
    parts = [
        f"cell {b['cell']} reads {b['last_value_v']:.2f} V, outside {_band(band)}: "
        "a failed cell or a broken sense wire; check it before balancing"
        for b in now
    ] + [
        f"cell {b['cell']} read {b['last_value_v']:.2f} V at {b['last_time_s']:g} s "
        f"({b['samples']} readings outside {_band(band)}): a loose sense wire or a "
        "failing cell; check it before balancing"
        for b in bad
        if not b["reading_now"]
    ]
    if others is None:
        tail = rec[:1].upper() + rec[1:]
    elif now:
        tail = f"The other {others} cell{'s' if others != 1 else ''}: {rec}"
    else:
        tail = f"On the plausible readings: {rec}"
    if now:
        status = "critical"
    elif status not in ("warning", "critical"):
        status = "warning"
    return status, "check_reading", "; ".join(parts) + ". " + tail


def check_cell_balance(df: pd.DataFrame | SampleBlock, spec: BatterySpec) -> CellBalanceResult:
    """Spread, standard deviation, outliers and SOC imbalance of the cell voltages
    (:class:`CellBalanceTracker` on the whole log)."""
    return cell_balance_and_extremes(df, spec)[0]


def cell_balance_and_extremes(
    df: pd.DataFrame | SampleBlock, spec: BatterySpec
) -> tuple[CellBalanceResult, tuple[np.ndarray, np.ndarray] | None]:
    """:func:`check_cell_balance` and :meth:`CellBalanceTracker.cell_extremes` of the
    log (run_suite hands the extremes to the SOH, which needs them too)."""
    tracker = CellBalanceTracker(spec, whole_log=True)
    tracker.update(as_block(df))
    return tracker.result(), tracker.cell_extremes()


def suspect_cell_readings(faults: Any) -> dict[int, str]:
    """The cells (1-based) whose voltage channel fault detection found a sensor fault
    on, with the fault's kind in words (``{2: "sensor stuck"}``): their readings are
    suspect, so the spread is no reason to balance (a stuck sense wire is not a cell
    400 mV low). ``faults``: the ``faults`` result (a list, or a dict holding one)."""
    found = faults if isinstance(faults, list) else (faults or {}).get("faults") or []
    suspect: dict[int, str] = {}
    for f in found if isinstance(found, list) else ():
        kind, channel = str(f.get("kind", "")), str(f.get("channel", ""))
        cell = re.fullmatch(r"cell_(\d+)_v", channel)
        if kind.startswith("sensor_") and cell:
            suspect.setdefault(int(cell.group(1)), kind.replace("_", " "))
    return dict(sorted(suspect.items()))


def suspect_cells_text(suspect: dict[int, str]) -> str:
    """'cell 2 (sensor stuck), cell 3 (sensor noisy)'."""
    return ", ".join(f"cell {c} ({kind})" for c, kind in suspect.items())


def shorted_cells(faults: Any) -> dict[int, dict]:
    """The cells (1-based) fault detection found an internal short in (on the cell's
    voltage or temperature channel), each with the first such fault
    (``{"start_time_s", "severity"}``, the worst severity of its faults). ``faults``:
    the ``faults`` result (a list, or a dict holding one)."""
    found = faults if isinstance(faults, list) else (faults or {}).get("faults") or []
    shorted: dict[int, dict] = {}
    for f in found if isinstance(found, list) else ():
        if not isinstance(f, dict) or str(f.get("kind", "")) != "internal_short":
            continue
        cell = re.fullmatch(r"cell_(\d+)_(?:v|temp_c)", str(f.get("channel", "")))
        if not cell:
            continue
        k, start = int(cell.group(1)), f.get("start_time_s")
        severity = str(f.get("severity") or "warning")
        seen = shorted.get(k)
        if seen is None:
            shorted[k] = {"start_time_s": start, "severity": severity}
            continue
        if start is not None and (seen["start_time_s"] is None or start < seen["start_time_s"]):
            seen["start_time_s"] = start
        if severity == "critical":
            seen["severity"] = "critical"
    return dict(sorted(shorted.items()))


def _at(start: Any) -> str:
    return f" from {start:g} s" if isinstance(start, (int, float)) else ""


def balance_verdict(r: dict, faults: Any) -> tuple[str, str, str]:
    """(status, action, advice) of the cell balance result ``r`` (a dict) once fault
    detection has run: the one verdict of the CLI, the report and the window.

    - an internal short in a cell (:func:`shorted_cells`): the cell drains itself, so
      it drifts down against the others at the same current; balancing would bleed
      the healthy cells down to it and hide that: check or replace the cell
      ("replace_cell", the fault's severity or worse; a suspect reading is added);
    - a sensor fault on a cell's voltage channel (:func:`suspect_cell_readings`): its
      reading is suspect, so no advice to balance on it ("check_reading", a warning);
    - else the result's own status, action and recommendation."""
    status, action, advice = r.get("status"), r.get("action"), r.get("recommendation") or ""
    if status == "unknown":
        return status, action, advice
    suspect = suspect_cell_readings(faults)
    suspect_text = (
        f"suspect reading: {suspect_cells_text(suspect)}: not a reason to balance, "
        "check the sense wire and the measurement first"
        if suspect
        else ""
    )
    if shorted := shorted_cells(faults):  # first: a short outranks a suspect reading
        cells = list(shorted)
        named = "; ".join(
            f"an internal short in cell {k}{_at(f['start_time_s'])}" for k, f in shorted.items()
        )
        low = [k for k in cells if (d := _recent_dev(r, k)) is not None and d < 0]
        drift = (
            "; ".join(f"cell {k} sits {-_recent_dev(r, k):.0f} mV below the median" for k in low)
            + ": "
            if low
            else ""
        )
        worst = "critical" if status == "critical" else "warning"
        if any(f["severity"] == "critical" for f in shorted.values()):
            worst = "critical"
        return (
            worst,
            "replace_cell",
            f"check or replace {_cells(cells)}: fault detection found {named}. "
            f"{drift[:1].upper() + drift[1:]}a shorted cell self-discharges against the "
            "others at the same current; balancing would only hide it (the balancer "
            "bleeds the healthy cells down to it)"
            + (f"; also a {suspect_text}" if suspect else ""),
        )
    if suspect:
        return "warning", "check_reading", suspect_text
    return status, action, advice


def with_fault_verdict(r: dict, faults: Any) -> dict:
    """The cell balance result ``r`` (its JSON form) with :func:`balance_verdict`'s
    status, action and recommendation, so that the JSON says what the CLI, the report
    and the window say (a cell with an internal short: "replace_cell", not "ok" from
    the spread alone); the spread's own verdict stays as ``spread_status`` and
    ``spread_action``. Applying it again changes nothing."""
    if not isinstance(r, dict) or "status" not in r or not isinstance(faults, list):
        return r
    status, action, advice = balance_verdict(r, faults)
    return {
        **r,
        "status": status,
        "action": action,
        "recommendation": advice,
        "spread_status": r.get("spread_status", r.get("status")),
        "spread_action": r.get("spread_action", r.get("action")),
    }


def _recent_dev(r: dict, cell: int) -> float | None:
    """Cell ``cell``'s (1-based) recent deviation from the pack median, mV (None: unknown)."""
    dev = r.get("recent_deviation_mv") or []
    return dev[cell - 1] if 0 < cell <= len(dev) else None
