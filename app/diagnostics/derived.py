"""Derived series of a log, sample by sample, for ``analyze --timeseries``.

The SOC columns come from the Kalman filter (:mod:`app.diagnostics.soc`);
these are the plain ones an engineer plots next to them: power, the charge
counted since the start, and the spread of the cell voltages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.diagnostics.plausible_cells import plausible_spread_mv

if TYPE_CHECKING:
    import pandas as pd

POWER = "power_w"  #: V * I, + = charging
CHARGE = "charge_ah"  #: integrated current since the start (trapezoids), + = charged in
CELL_MIN = "cell_v_min_v"
CELL_MAX = "cell_v_max_v"
CELL_SPREAD = "cell_spread_mv"


def derived_series(
    df: pd.DataFrame, plausible_cell_v: tuple[float, float] = (-np.inf, np.inf)
) -> dict[str, np.ndarray]:
    """``power_w`` and ``charge_ah``; with two or more cells also the lowest and
    highest cell voltage (NaN where no cell reads) and the spread of the readings
    within ``plausible_cell_v`` (the spec's band: the rule of cell balance and the
    spread alert; NaN where fewer than two)."""
    t = df[schema.TIME].to_numpy(dtype=float)
    i = df[schema.CURRENT].to_numpy(dtype=float)
    v = df[schema.VOLTAGE].to_numpy(dtype=float)
    step = 0.5 * (i[1:] + i[:-1]) * np.diff(t) / 3600.0
    out = {
        POWER: v * i,
        CHARGE: np.concatenate(([0.0], np.cumsum(np.nan_to_num(step)))),
    }
    cells = schema.cell_voltage_columns(df.columns)
    if len(cells) >= 2:
        cv = df[cells].to_numpy(dtype=float)
        with np.errstate(all="ignore"):
            lo, hi = np.fmin.reduce(cv, axis=1), np.fmax.reduce(cv, axis=1)
        spread = plausible_spread_mv(cv.T, plausible_cell_v)
        out.update({CELL_MIN: lo, CELL_MAX: hi, CELL_SPREAD: spread})
    return out
