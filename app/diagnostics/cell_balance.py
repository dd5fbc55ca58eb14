"""Cell balance: spread of the series cell voltages, at rest and under load.

:class:`CellBalanceTracker` is the incremental diagnostic (live engine);
:func:`check_cell_balance` runs it on a whole log. The tracker keeps every
sample's spread (8 bytes, plus its time and a rest/mid-SOC flag): the medians
at rest and under load are medians over all of them. The cells' mean
deviations are summed in chunks of :data:`SUM_CHUNK` samples counted from the
start, the chunks' sums added in order (the same bits whatever the blocks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.results import DiagnosticResult
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
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


#: samples per partial sum of the deviations
SUM_CHUNK = 4096
#: a long block (a whole log) is taken this many samples at a time: the sort and the
#: deviations of 16 cells x 1e6 samples would be 128 MB temporaries each
SLICE_SAMPLES = 16 * SUM_CHUNK
#: flags kept per sample
_REST, _MID = 1, 2


class CellBalanceTracker:
    """Incremental cell balance (the live twin of :func:`check_cell_balance`)."""

    columns: tuple[str, ...] = ()

    def __init__(self, spec: BatterySpec):
        self.spec = spec
        self._cols: list[str] | None = None  # known from the first block
        self._t = GrowingArray()
        self._spread = GrowingArray()
        self._flags = GrowingArray(np.uint8)
        self._dev_sum: np.ndarray | None = None  # each cell's deviation summed over full chunks
        self._dev_tail: np.ndarray | None = None  # (cells, samples) of the chunk under way
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
        by_cell = block.stack(cols).T  # (cells, samples), each sample's cells contiguous
        # the cells of each sample in order, sorted along the contiguous axis of the
        # (cells, samples) view: spread and median from one sort, several times
        # faster than max, min and np.median
        ranked = np.sort(by_cell, axis=0)
        # a sample is complete when all its cells are finite: -inf sorts first, NaN
        # last (after +inf), so its lowest and highest show it
        valid = np.isfinite(ranked[0]) & np.isfinite(ranked[-1])
        if not valid.all():
            by_cell, ranked = by_cell[:, valid], ranked[:, valid]
            if not by_cell.shape[1]:
                return
        t = block[schema.TIME][valid]
        i = np.nan_to_num(block[schema.CURRENT][valid])
        spread = (ranked[-1] - ranked[0]) * 1000.0
        middle = len(cols) // 2  # the middle one, or the mean of the two middle ones as np.median
        median = ranked[middle] if len(cols) % 2 else (ranked[middle - 1] + ranked[middle]) / 2.0
        rest = np.abs(i) < 0.02 * spec.pack_capacity_ah  # below C/50
        soc = spec.cell_soc_from_ocv(median)
        mid = (SOC_JUDGE_RANGE[0] <= soc) & (soc <= SOC_JUDGE_RANGE[1])
        dev = np.subtract(by_cell, median, order="C")
        dev *= 1000.0
        self._add_deviations(dev)
        self._t.extend(t)
        self._spread.extend(spread)
        self._flags.extend(rest * np.uint8(_REST) | mid * np.uint8(_MID))
        self._last_cells = by_cell[:, -1].copy()
        if rest.any():
            self._last_rest_cells = by_cell[:, np.flatnonzero(rest)[-1]].copy()

    def _add_deviations(self, dev: np.ndarray) -> None:
        """(cells, samples): summed by full chunks, the rest kept for the next block."""
        if self._dev_tail is not None and self._dev_tail.shape[1]:
            dev = np.concatenate((self._dev_tail, dev), axis=1)
        full = dev.shape[1] // SUM_CHUNK * SUM_CHUNK
        if full:
            sums = dev[:, :full].reshape(len(dev), -1, SUM_CHUNK).sum(axis=2).T
            if self._dev_sum is not None:  # (the running sum first: added in order)
                sums = np.concatenate((self._dev_sum[None, :], sums))
            self._dev_sum = sums.sum(axis=0)
        self._dev_tail = dev[:, full:].copy()

    def _deviation_sum(self) -> np.ndarray:
        tail = self._dev_tail.sum(axis=1)
        return tail if self._dev_sum is None else self._dev_sum + tail

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
        mean_dev = self._deviation_sum() / len(t)
        mad = np.median(np.abs(mean_dev - np.median(mean_dev))) * 1.4826
        limit = max(OUTLIER_SIGMAS * mad, OUTLIER_MIN_MV)
        outliers = [k + 1 for k in np.flatnonzero(np.abs(mean_dev) > limit)]
        trend = None
        if t[-1] - t[0] > 60 and len(t) > 10:
            # least-squares slope in closed form (polyfit builds a Vandermonde matrix)
            h = (t - t[0]) / 3600.0
            h -= h.mean()
            trend = float(np.dot(h, spread - spread.mean()) / np.dot(h, h))
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
        judge = float(np.median(spread[candidates]))
        if judge >= REST_SPREAD_ACT_MV:
            status = "critical"
            rec = (
                "cells far apart: top-balance the pack (charge to full and hold for balancing), "
                "check the low cells' capacity and self-discharge"
            )
        elif judge >= REST_SPREAD_WARN_MV:
            status = "warning"
            rec = (
                "spread growing: let the BMS balance at the top of charge; watch the outlier cells"
            )
        else:
            status = "ok"
            rec = "cells balanced: no action needed"
        if outliers and status == "ok":
            rec = f"balanced overall, but cell(s) {', '.join(map(str, outliers))} sit apart: watch them"
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
        )


def check_cell_balance(df: pd.DataFrame | SampleBlock, spec: BatterySpec) -> CellBalanceResult:
    """Spread, standard deviation, outliers and SOC imbalance of the cell voltages
    (:class:`CellBalanceTracker` on the whole log)."""
    tracker = CellBalanceTracker(spec)
    tracker.update(as_block(df))
    return tracker.result()
