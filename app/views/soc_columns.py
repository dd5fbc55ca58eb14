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
from app.diagnostics.soc import SOC_UNDETERMINED_BAND as soc_undetermined_band

__all__ = [
    "SOC_BAND_HIGH",
    "SOC_BAND_LOW",
    "SOC_BMS",
    "SOC_BMS_DIFFERENCE",
    "SOC_COLUMN",
    "SOC_UNDETERMINED_BAND",
    "bms_difference",
    "difference_text",
    "soc_band_text",
    "soc_pinned",
    "soc_two_sigma",
    "soc_undetermined",
]

SOC_COLUMN = soc_ekf.SOC_COLUMN  #: the estimate
SOC_BAND_LOW = soc_ekf.SOC_BAND_LOW_COLUMN  #: lower edge of its ±2 sigma band
SOC_BAND_HIGH = soc_ekf.SOC_BAND_HIGH_COLUMN  #: upper edge
SOC_BMS_DIFFERENCE = soc_ekf.SOC_BMS_DIFFERENCE_COLUMN  #: ours minus the BMS's
SOC_BMS = schema.SOC_REPORTED  #: what the BMS itself reports

#: An SOC band (±2 sigma, in %) this wide or wider: the SOC cannot be determined (the
#: filter's prior, not a measurement: too little data to place it); the CLI and the
#: report use the same.
SOC_UNDETERMINED_BAND = soc_undetermined_band


def soc_two_sigma(values: dict[str, float]) -> tuple[float, bool]:
    """``(2 sigma of the SOC in %, exact)`` at one sample, from its band's edges: the
    figure the Diagnostics card and the CLI give (``final_soc_sigma_percent`` x 2).

    The band is clipped to 0-100 %, so its half width is not 2 sigma near either end
    (87 % ±24.7 has the band 62.3-100, half width 18.8): the edge not clipped is 2 sigma
    from the SOC. Both edges clipped (2 sigma past both ends, 50 % or more) leave only a
    lower bound: ``exact`` is False. NaN where the band is missing."""
    soc = values.get(SOC_COLUMN, math.nan)
    low = values.get(SOC_BAND_LOW, math.nan)
    high = values.get(SOC_BAND_HIGH, math.nan)
    if any(v is None or math.isnan(v) for v in (soc, low, high)):
        return math.nan, True
    two_sigma = max(high - soc, soc - low, 0.0)
    exact = low > 0.0 or high < 100.0
    return two_sigma, exact


def soc_undetermined(values: dict[str, float]) -> bool:
    """Whether the band is too wide to place the SOC at one sample (the filter's prior,
    not a measurement): the tile then shows no number, as the Diagnostics card."""
    two_sigma, _exact = soc_two_sigma(values)
    return two_sigma >= SOC_UNDETERMINED_BAND


def soc_pinned(values: dict[str, float]) -> bool:
    """Whether the SOC sits at 0 or 100 % with its band shut there (both edges clipped to
    the limit): the band then says nothing of its uncertainty, which is not '±0.0'."""
    two_sigma, _exact = soc_two_sigma(values)
    soc = values.get(SOC_COLUMN, math.nan)
    return two_sigma < 0.05 and (soc <= 0.0 or soc >= 100.0)


def soc_band_text(values: dict[str, float]) -> str:
    """The SOC's uncertainty, as the Diagnostics card words it: "±24.7 % (2σ)", or where
    it is too wide to place the SOC (:func:`soc_undetermined`) "cannot be determined"
    over the best guess and its band, "≈73 % ±50 % (2σ)"; '' without a band; "at the 0 %
    limit" where the band shut there (:func:`soc_pinned`)."""
    two_sigma, exact = soc_two_sigma(values)
    if math.isnan(two_sigma):
        return ""
    if soc_pinned(values):
        return f"at the {values[SOC_COLUMN]:.0f} % limit\nband not known"  # two lines: a tile is narrow
    if two_sigma >= SOC_UNDETERMINED_BAND:
        wide = f"±{two_sigma:.0f} %" if exact else f"±{two_sigma:.0f} % or more"
        guess = f"≈{values[SOC_COLUMN]:.0f} % "
        return f"cannot be determined\n{guess}{wide} (2σ)"  # two lines: a tile is narrow
    return f"±{two_sigma:.1f} % (2σ)"


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
