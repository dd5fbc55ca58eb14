"""Cell balance: spread of the series cell voltages, at rest and under load."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.results import DiagnosticResult
from app.core.spec import BatterySpec

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


def check_cell_balance(df: pd.DataFrame, spec: BatterySpec) -> CellBalanceResult:
    """Spread, standard deviation, outliers and SOC imbalance of the cell voltages."""
    cols = schema.cell_voltage_columns(df.columns)
    if len(cols) < 2:
        why = (
            "a single cell: balance between cells does not apply"
            if cols
            else "no per-cell voltages in the data: cell balance cannot be judged"
        )
        return _unknown(len(cols), why)
    cells = df[cols].to_numpy(dtype=float)
    valid = np.isfinite(cells).all(axis=1)
    t = df[schema.TIME].to_numpy(dtype=float)[valid]
    i = np.nan_to_num(df[schema.CURRENT].to_numpy(dtype=float)[valid])
    if not len(t):
        return _unknown(len(cols), "no complete cell readings")
    # the complete readings as (cells, samples): a DataFrame's block often is one
    # already, so nothing is copied (16 cells x 1e6 samples are 128 MB a copy)
    by_cell = cells.T if valid.all() else cells.T[:, valid]
    # the cells of each sample in order, sorted along the contiguous axis: spread and
    # median from one sort, several times faster than max, min and np.median
    ranked = np.sort(by_cell, axis=0)
    spread = (ranked[-1] - ranked[0]) * 1000.0
    rest = np.abs(i) < 0.02 * spec.pack_capacity_ah  # below C/50
    middle = len(cols) // 2  # the middle one, or the mean of the two middle ones as np.median
    median = ranked[middle] if len(cols) % 2 else (ranked[middle - 1] + ranked[middle]) / 2.0
    # mean deviation of each cell from the median, one cell at a time (no samples x
    # cells temporaries), in the order numpy's mean over the samples of a (samples,
    # cells) array adds: one running sum per cell from zero, i.e. np.cumsum's
    n = len(median)
    mean_dev = np.array([(np.cumsum((v - median) * 1000.0)[-1] + 0.0) / n for v in by_cell])
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
    if rest.any():
        last_rest = by_cell[:, np.flatnonzero(rest)[-1]]
        socs = spec.cell_soc_from_ocv(last_rest)
        soc_imb = float(np.max(socs) - np.min(socs))
    rest_spread = float(np.median(spread[rest])) if rest.any() else None
    # Judge the balance where the OCV curves of the cells run parallel: at the
    # ends of charge (below ~20 % and above ~95 % SOC) a healthy pack's cells
    # fan out by 100+ mV from small capacity differences alone.
    mid = (SOC_JUDGE_RANGE[0] <= (s := spec.cell_soc_from_ocv(median))) & (s <= SOC_JUDGE_RANGE[1])
    for candidates in (rest & mid, mid, rest, np.ones_like(rest)):
        if candidates.any():
            judge = float(np.median(spread[candidates]))
            break
    if judge >= REST_SPREAD_ACT_MV:
        status = "critical"
        rec = (
            "cells far apart: top-balance the pack (charge to full and hold for balancing), "
            "check the low cells' capacity and self-discharge"
        )
    elif judge >= REST_SPREAD_WARN_MV:
        status = "warning"
        rec = "spread growing: let the BMS balance at the top of charge; watch the outlier cells"
    else:
        status = "ok"
        rec = "cells balanced: no action needed"
    if outliers and status == "ok":
        rec = f"balanced overall, but cell(s) {', '.join(map(str, outliers))} sit apart: watch them"
    return CellBalanceResult(
        cells=len(cols),
        spread_mv=float(spread[-1]),
        spread_max_mv=float(spread.max()),
        std_mv=float(np.std(by_cell[:, -1]) * 1000.0),
        spread_at_rest_mv=rest_spread,
        spread_under_load_mv=float(np.median(spread[~rest])) if (~rest).any() else None,
        spread_trend_mv_per_h=trend,
        soc_imbalance_pct=soc_imb,
        outlier_cells=outliers,
        mean_deviation_mv=[float(x) for x in mean_dev],
        status=status,
        recommendation=rec,
    )
