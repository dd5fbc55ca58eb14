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
resistance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.results import DiagnosticResult
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.capacity_fade import effective_sample_size, lag1_autocorrelation
from app.diagnostics.incremental import GrowingArray, as_block

if TYPE_CHECKING:
    import pandas as pd

# A spread above ~30 mV at rest is the usual point where BMS vendors start
# passive balancing and above ~100 mV it costs usable capacity (e.g. TI
# application report SLUA524 and common BMS balancing start thresholds).
REST_SPREAD_WARN_MV = 30.0
REST_SPREAD_ACT_MV = 100.0
#: SOC window (from the median cell's voltage) in which the spread is judged.
SOC_JUDGE_RANGE = (20.0, 95.0)
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
    mean_deviation_mv: list[float] = field(default_factory=list)
    status: str = "ok"
    recommendation: str = ""
    #: the spread the status judges: median at rest within SOC_JUDGE_RANGE
    #: (else under load there, else at rest, else all samples)
    spread_judged_mv: float | None = None
    judged_on: str | None = None  # "rest, mid SOC", "mid SOC", "rest" or "all samples"
    #: the recent window the status judges (s, the last of the judged samples)
    judged_window_s: float | None = None
    #: median of the judged samples over the whole log (the status judges the recent ones)
    spread_history_mv: float | None = None
    #: median under load at mid SOC in the recent window
    spread_recent_under_load_mv: float | None = None
    #: standard error of spread_trend_mv_per_h (AR(1) effective sample size)
    spread_trend_stderr_mv_per_h: float | None = None
    spread_trend_significant: bool = False
    #: recent, per cell: mean deviation from the pack median on the judged samples, mV
    recent_deviation_mv: list[float | None] = field(default_factory=list)
    #: recent, per cell: resistance over the pack median from the sag under load, mOhm
    resistance_offset_mohm: list[float | None] = field(default_factory=list)
    weak_cells: list[int] = field(default_factory=list)
    #: "none", "watch", "balance", "check_cells" or "replace_cell"
    action: str = "none"
    findings: list[str] = field(default_factory=list)


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
#: deviations of 16 cells x 1e6 samples would be 128 MB temporaries each
SLICE_SAMPLES = 256 * BIN_SAMPLES
#: flags kept per sample
_REST, _MID = 1, 2
#: the weights of a bin's sums: every sample, mid SOC, mid SOC x current, rest at mid SOC
_ALL, _MID_W, _MID_I, _REST_MID = range(4)


class CellBalanceTracker:
    """Incremental cell balance (the live twin of :func:`check_cell_balance`)."""

    columns: tuple[str, ...] = ()

    def __init__(self, spec: BatterySpec):
        self.spec = spec
        self._cols: list[str] | None = None  # known from the first block
        self._t = GrowingArray()
        self._spread = GrowingArray()
        self._flags = GrowingArray(np.uint8)
        self._soc = GrowingArray(np.float32)  # the median cell's SOC from its voltage
        #: per full bin, (cells + 2, 4) sums: rows the cells' deviations (mV), 1 and the
        #: current; columns the weights (_ALL, _MID_W, _MID_I, _REST_MID), flattened
        self._bins = GrowingArray()
        self._tail_rows: np.ndarray | None = None  # (cells + 2, samples) of the bin under way
        self._tail_w: np.ndarray | None = None  # (samples, 4)
        self._last_cells: np.ndarray | None = None
        self._last_rest_cells: np.ndarray | None = None

    def update(self, block: SampleBlock) -> dict[str, np.ndarray]:
        """Take one block's complete cell readings. Adds no derived columns."""
        if self._cols is None:
            self._cols = schema.cell_voltage_columns(block.columns)
        if len(self._cols) < 2:
            return {}
        for a in range(0, len(block), SLICE_SAMPLES):
            self._update(
                block if len(block) <= SLICE_SAMPLES else block.slice(a, a + SLICE_SAMPLES)
            )
        return {}

    def _update(self, block: SampleBlock) -> None:
        cols = self._cols
        spec = self.spec
        # the cells of each sample side by side (samples, cells), sorted in place along
        # the contiguous axis: spread and median from one sort, several times faster
        # than max, min and np.median
        ranked = block.stack(cols)
        ranked.sort(axis=1)
        # a sample is complete when all its cells are finite: -inf sorts first, NaN
        # last (after +inf), so its lowest and highest show it
        valid = np.isfinite(ranked[:, 0]) & np.isfinite(ranked[:, -1])
        complete = bool(valid.all())
        if not complete:
            ranked = ranked[valid]
            if not len(ranked):
                return
        t = block[schema.TIME][valid]
        i = np.nan_to_num(block[schema.CURRENT][valid])
        spread = (ranked[:, -1] - ranked[:, 0]) * 1000.0
        middle = len(cols) // 2  # the middle one, or the mean of the two middle ones as np.median
        median = (
            ranked[:, middle]
            if len(cols) % 2
            else (ranked[:, middle - 1] + ranked[:, middle]) / 2.0
        )
        rest = np.abs(i) < 0.02 * spec.pack_capacity_ah  # below C/50
        soc = spec.cell_soc_from_ocv(median)
        mid = (SOC_JUDGE_RANGE[0] <= soc) & (soc <= SOC_JUDGE_RANGE[1])
        # each cell's deviation from its own (contiguous) column: every column is
        # there, or no sample would be complete
        cells = [block[c] if complete else block[c][valid] for c in cols]
        rows = np.empty((len(cols) + 2, len(t)))
        for row, cell in zip(rows[:-2], cells, strict=True):
            np.subtract(cell, median, out=row)
            row *= 1000.0  # (while the row is in cache)
        rows[-2] = 1.0
        rows[-1] = i
        weights = np.empty((len(t), 4))
        weights[:, _ALL] = 1.0
        weights[:, _MID_W] = mid
        np.multiply(mid, i, out=weights[:, _MID_I])
        weights[:, _REST_MID] = rest & mid
        self._add_bins(rows, weights)
        self._t.extend(t)
        self._spread.extend(spread)
        self._flags.extend(rest * np.uint8(_REST) | mid * np.uint8(_MID))
        self._soc.extend(soc)
        self._last_cells = np.array([cell[-1] for cell in cells])
        if rest.any():
            last_rest = int(np.flatnonzero(rest)[-1])
            self._last_rest_cells = np.array([cell[last_rest] for cell in cells])

    def _add_bins(self, rows: np.ndarray, weights: np.ndarray) -> None:
        """Sum full bins (rows @ weights, one product per bin); keep the rest for the next block."""
        if self._tail_rows is not None and self._tail_rows.shape[1]:
            rows = np.concatenate((self._tail_rows, rows), axis=1)
            weights = np.concatenate((self._tail_w, weights))
        full = rows.shape[1] // BIN_SAMPLES
        if full:
            n = full * BIN_SAMPLES
            binned = rows[:, :n].reshape(len(rows), full, BIN_SAMPLES).transpose(1, 0, 2)
            sums = np.matmul(binned, weights[:n].reshape(full, BIN_SAMPLES, 4))
            self._bins.extend(sums.ravel())
        self._tail_rows = rows[:, full * BIN_SAMPLES :].copy()
        self._tail_w = weights[full * BIN_SAMPLES :].copy()

    def _bin_sums(self) -> np.ndarray:
        """(bins, cells + 2, 4): the full bins' sums, then the bin under way's."""
        k = len(self._cols) + 2
        sums = self._bins.view().reshape(-1, k, 4)
        if self._tail_rows.shape[1]:
            tail = np.matmul(self._tail_rows[None], self._tail_w[None])
            sums = np.concatenate((sums, tail))
        return sums

    def result(self) -> CellBalanceResult:
        cols = self._cols or []
        if len(cols) < 2:
            why = (
                "a single cell: balance between cells does not apply"
                if cols
                else "no per-cell voltages in the data: cell balance cannot be judged"
            )
            return _unknown(len(cols), why)
        if not len(self._t):
            return _unknown(len(cols), "no complete cell readings")
        spec = self.spec
        t, spread, flags = self._t.view(), self._spread.view(), self._flags.view()
        rest, mid = (flags & _REST) > 0, (flags & _MID) > 0
        sums = self._bin_sums()
        mean_dev = sums[:, :-2, _ALL].sum(axis=0) / len(t)
        outliers = _apart(mean_dev)
        soc_imb = None
        if self._last_rest_cells is not None:
            socs = spec.cell_soc_from_ocv(self._last_rest_cells)
            soc_imb = float(np.max(socs) - np.min(socs))
        rest_spread = float(np.median(spread[rest])) if rest.any() else None
        # Judge the balance where the OCV curves of the cells run parallel: at the
        # ends of charge (below ~20 % and above ~95 % SOC) a healthy pack's cells
        # fan out by 100+ mV from small capacity differences alone.
        judged_on, candidates = next(
            (name, chosen)
            for name, chosen in (
                ("rest, mid SOC", rest & mid),
                ("mid SOC", mid),
                ("rest", rest),
                ("all samples", np.ones_like(rest)),
            )
            if chosen.any()
        )
        window = min(RECENT_WINDOW_S, RECENT_FRACTION * float(t[-1] - t[0]))
        tj, sj = t[candidates], spread[candidates]
        soc_j = self._soc.view()[candidates]
        judge = float(np.median(sj[tj >= tj[-1] - window]))
        history = float(np.median(sj))
        load_mid = ~rest & mid
        recent_load = None
        if load_mid.any():
            tl = t[load_mid]
            recent_load = float(np.median(spread[load_mid][tl >= tl[-1] - window]))
            # a rest that is long past does not tell the state now: the load at mid
            # SOC since then does (judged alike when no rest is at hand)
            if judged_on == "rest, mid SOC" and tl[-1] - tj[-1] >= window:
                since = spread[load_mid][(tl > tj[-1]) & (tl >= tl[-1] - window)]
                if float(np.median(since)) > judge:
                    judge, judged_on = float(np.median(since)), "mid SOC, since the last rest"
                    candidates = load_mid & (t > tj[-1])
        trend, trend_se = _trend(tj, sj, soc_j)
        # material: grown OUTLIER_MIN_MV over the record, and on course to reach the
        # warning level within as long again (no extrapolation beyond that)
        growth = None if trend is None else trend * float(tj[-1] - tj[0]) / 3600.0
        growing = (
            trend is not None
            and trend > TREND_SIGMAS * trend_se
            and growth >= OUTLIER_MIN_MV
            and judge + growth >= REST_SPREAD_WARN_MV
        )
        bin_end = t[np.minimum(np.arange(len(sums)) * BIN_SAMPLES + BIN_SAMPLES, len(t)) - 1]
        column = {"rest, mid SOC": _REST_MID, "rest": _ALL, "all samples": _ALL}.get(
            judged_on, _MID_W
        )
        rest_dev, r_offset = self._recent_cells(sums, bin_end, t, candidates, column, mid, window)
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
        findings = []
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
        if trend is not None and trend_se is not None and growing:
            findings.append(f"spread growing {trend:+.1f} +/- {trend_se:.1f} mV/h")
        status, action, rec = _verdict(judge, growing, weak, replace, outliers, trend)
        if len(cols) < spec.series_cells:  # a CAN log decoding a few of a pack's cells
            rec += f" (judged on the {len(cols)} of {spec.series_cells} series cells in the data)"
        return CellBalanceResult(
            cells=len(cols),
            spread_mv=float(spread[-1]),
            spread_max_mv=float(spread.max()),
            std_mv=float(np.std(self._last_cells) * 1000.0),
            spread_at_rest_mv=rest_spread,
            spread_under_load_mv=float(np.median(spread[~rest])) if (~rest).any() else None,
            spread_trend_mv_per_h=trend,
            soc_imbalance_pct=soc_imb,
            outlier_cells=outliers,
            mean_deviation_mv=[float(x) for x in mean_dev],
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
        )

    def _recent_cells(self, sums, bin_end, t, judged, column, mid, window):
        """Per cell, over the bins of the recent window: the mean deviation on the
        judged samples (``column`` of the sums) and the resistance over the median
        (slope of the deviation on the current, mid SOC), None where the window has
        no such samples."""
        cells = len(self._cols)
        rest_dev: list[float | None] = [None] * cells
        r_offset: list[float | None] = [None] * cells
        s = sums[bin_end >= t[judged][-1] - window].sum(axis=0)
        if s[-2, column] > 0:
            rest_dev = [float(x) for x in s[:-2, column] / s[-2, column]]
        if mid.any():
            s = sums[bin_end >= t[mid][-1] - window].sum(axis=0)
            n, si, sii = s[-2, _MID_W], s[-1, _MID_W], s[-1, _MID_I]
            var_i = sii / n - (si / n) ** 2 if n > 0 else 0.0
            if var_i >= (MIN_CURRENT_SPREAD_C * self.spec.pack_capacity_ah) ** 2:
                slope = (s[:-2, _MID_I] - si * s[:-2, _MID_W] / n) / (n * var_i)
                r_offset = [float(x) for x in slope - np.median(slope)]
        return rest_dev, r_offset


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


def _cell_resistance_mohm(spec: BatterySpec) -> float | None:
    """A series element's resistance from the chemistry's model (R0 + R1 + R2), mOhm."""
    if spec.ecm is None:
        return None
    p = spec.ecm.for_capacity(spec.capacity_ah)
    return (p["r0_ohm"] + p["r1_ohm"] + p["r2_ohm"]) / spec.parallel_strings * 1000.0


def _cells(ks: list[int]) -> str:
    return ", ".join(map(str, ks))


def _verdict(judge, growing, weak, replace, outliers, trend) -> tuple[str, str, str]:
    """(status, action, recommendation) from the recent spread, its trend and the weak cells."""
    if judge >= REST_SPREAD_ACT_MV:
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
            rec = f"balanced overall, but cell(s) {_cells(outliers)} sit apart: watch them"
    if replace:
        status, action = "critical", "replace_cell"
        rec = (
            f"cell(s) {_cells(replace)}: resistance twice a healthy cell's or more: "
            f"confirm with a capacity and pulse test and replace; {rec}"
        )
    elif weak:
        status = "critical" if status == "critical" else "warning"
        action = "check_cells"
        rec = (
            f"check cell(s) {_cells(weak)}: sagging under load more than the others "
            f"(resistance, a loose connection or a weak cell); {rec}"
        )
    return status, action, rec


def check_cell_balance(df: pd.DataFrame | SampleBlock, spec: BatterySpec) -> CellBalanceResult:
    """Spread, standard deviation, outliers and SOC imbalance of the cell voltages
    (:class:`CellBalanceTracker` on the whole log)."""
    tracker = CellBalanceTracker(spec)
    tracker.update(as_block(df))
    return tracker.result()
