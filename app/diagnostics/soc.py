"""Offline state of charge: the live estimator (:mod:`app.diagnostics.soc_ekf`)
fed the whole log, so offline and live give the same numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.soc_ekf import (
    SOC_BAND_HIGH_COLUMN,
    SOC_BAND_LOW_COLUMN,
    SOC_BMS_DIFFERENCE_COLUMN,
    SOC_COLUMN,
    EkfSocEstimator,
    SocFilterSettings,
    SocResult,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SOC_BAND_HIGH_COLUMN",
    "SOC_BAND_LOW_COLUMN",
    "SOC_BMS_DIFFERENCE_COLUMN",
    "SOC_COLUMN",
    "SocResult",
    "calculate_soc",
    "soc_series",
]


def _block(df: pd.DataFrame) -> SampleBlock:
    """The columns the estimator reads, as one block."""
    cols = [schema.TIME, schema.VOLTAGE, schema.CURRENT, *schema.cell_voltage_columns(df.columns)]
    if schema.SOC_REPORTED in df.columns:
        cols.append(schema.SOC_REPORTED)
    return SampleBlock({c: df[c].to_numpy(dtype=float) for c in cols})


def soc_series(
    df: pd.DataFrame, spec: BatterySpec, settings: SocFilterSettings | None = None
) -> tuple[SocResult, dict[str, np.ndarray]]:
    """SOC summary and every per-sample SOC column of a log in the canonical schema.

    The columns are ``soc_percent``, ``soc_band_low_percent`` and
    ``soc_band_high_percent`` (±2 sigma), and ``soc_bms_difference_pct`` (ours
    minus the BMS's) when the log has ``soc_reported_pct``.
    """
    est = EkfSocEstimator(spec, settings)
    columns = est.update(_block(df))
    return est.result(), columns


def calculate_soc(df: pd.DataFrame, spec: BatterySpec) -> tuple[SocResult, np.ndarray]:
    """SOC summary and the per-sample ``soc_percent`` series."""
    result, columns = soc_series(df, spec)
    return result, columns[SOC_COLUMN]
