"""Cell readings the battery cannot give: outside the spec's plausible cell band
(:attr:`~app.core.spec.BatterySpec.plausible_cell_v`), e.g. a cell at 0 V after a
runaway or a 65 V glitch. The spread the dashboard, the alerts and ``--timeseries``
show leaves them out, as cell balance does."""

from __future__ import annotations

import warnings

import numpy as np


def implausible_readings(cells: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """Where a cell reading (rows: cells, columns: samples) lies outside ``band``, the
    spec's plausible cell band (:attr:`~app.core.spec.BatterySpec.plausible_cell_v`:
    a cell at 0 V after a runaway, a 65 V glitch). A missing (NaN) reading is not one."""
    lo, hi = band
    with np.errstate(invalid="ignore"):
        return ~np.isnan(cells) & ~((cells >= lo) & (cells <= hi))


def plausible_spread_mv(cells: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """Per sample (column), the spread in mV of the cell readings within ``band`` -- the
    rule cell balance applies -- NaN where fewer than two such readings."""
    kept = np.where(implausible_readings(cells, band), np.nan, cells)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN
        spread = (np.nanmax(kept, axis=0) - np.nanmin(kept, axis=0)) * 1000.0
    return np.where(np.isfinite(kept).sum(axis=0) >= 2, spread, np.nan)
