"""The live engine's SOC columns the views draw, by name.

``soc_percent`` with its ±2 sigma band and the difference to the BMS come
from the Kalman filter (:mod:`app.diagnostics.soc_ekf`), the BMS's own SOC
from the source. Each is drawn only when the snapshot has it (a recording
made before the filter, or a source without a BMS, has not).
"""

from __future__ import annotations

import math

from app.core import schema
from app.diagnostics import soc_ekf

__all__ = [
    "SOC_BAND_HIGH",
    "SOC_BAND_LOW",
    "SOC_BMS",
    "SOC_BMS_DIFFERENCE",
    "SOC_COLUMN",
    "bms_difference",
    "difference_text",
]

SOC_COLUMN = soc_ekf.SOC_COLUMN  #: the estimate
SOC_BAND_LOW = soc_ekf.SOC_BAND_LOW_COLUMN  #: lower edge of its ±2 sigma band
SOC_BAND_HIGH = soc_ekf.SOC_BAND_HIGH_COLUMN  #: upper edge
SOC_BMS_DIFFERENCE = soc_ekf.SOC_BMS_DIFFERENCE_COLUMN  #: ours minus the BMS's
SOC_BMS = schema.SOC_REPORTED  #: what the BMS itself reports


def bms_difference(values: dict[str, float]) -> float:
    """Our SOC minus the BMS's at one sample (NaN when either is missing)."""
    diff = values.get(SOC_BMS_DIFFERENCE)
    if diff is not None and not math.isnan(diff):
        return diff
    ours, theirs = values.get(SOC_COLUMN, math.nan), values.get(SOC_BMS, math.nan)
    return ours - theirs


def difference_text(diff: float) -> str:
    """Our SOC minus the BMS's, signed to one decimal: '+1.5', '-0.7', and '0.0' for a
    difference that rounds to nothing (not '-0.0')."""
    text = f"{diff:+.1f}"
    return "0.0" if float(text) == 0.0 else text
