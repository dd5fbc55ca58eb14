"""Offline state of charge: the live estimator (:mod:`app.diagnostics.soc_ekf`)
fed the whole log, so offline and live give the same numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.soc_ekf import (
    BMS_SURE_BAND_PCT,
    SOC_BAND_HIGH_COLUMN,
    SOC_BAND_LOW_COLUMN,
    SOC_BMS_DIFFERENCE_COLUMN,
    SOC_COLUMN,
    EkfSocEstimator,
    SocFilterSettings,
    SocResult,
    duration_text,
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
    "soc_estimates",
    "soc_series",
    "start_soc_text",
]

#: A first value whose band (2 sigma) is wider than this is shown with its band.
SHOWN_BAND_PCT = 5.0

#: An SOC band (±2 sigma, in %) this wide or wider: the SOC cannot be determined (the
#: filter's prior, not a measurement: too little data to place it). The window's card
#: and tile, the analyze summary and the report say so alike.
SOC_UNDETERMINED_BAND = 25.0


def soc_undetermined_text(soc: dict) -> str | None:
    """Why the final SOC cannot be determined (its band :data:`SOC_UNDETERMINED_BAND`
    or wider), as the window's card words it; None where it can."""
    sigma = soc.get("final_soc_sigma_percent")
    if sigma is None or 2 * sigma < SOC_UNDETERMINED_BAND:
        return None
    return (
        f"cannot be determined: the estimate's band is ±{2 * sigma:.1f} % "
        f"(±{SOC_UNDETERMINED_BAND:g} % or wider): {soc_undetermined_why(soc)}"
    )


def soc_undetermined_why(soc: dict) -> str:
    """Why an SOC result's SOC cannot be determined, and what places it, in words (the
    window's card, ``analyze``, the report). A start under load (``initialisation``) is a
    guess that only a rest or a change of the current places: under one steady current
    the voltage does not tell the OCV from the drop across the cells' resistance (the
    simulator's 1C discharge from 80 % stays ±25 % or wider for 23 min:
    ``benchmarks/bench_soc_settle_sim_urls.py``); on a flat part of the OCV curve neither
    does (the Arbin A123 cell's fast charge stepped 6.6 A -> 1.1 A at 3.2 min on LFP's
    plateau and stayed ±38 %: the card said the step would place it)."""
    if soc.get("initialisation") == "load":
        return (
            "it started under load, from a guess, and under a steady current the voltage "
            "does not tell the OCV from the drop across the cells' resistance: a rest or a "
            "change of the current places it where the cells' OCV curve is steep, not on a "
            "flat part of it (LFP's plateau, where a step leaves it as unsure)"
        )
    return "too little data to place the SOC, e.g. no rest, too short a log"


def _block(df: pd.DataFrame) -> SampleBlock:
    """The columns the estimator reads, as one block."""
    cols = [schema.TIME, schema.VOLTAGE, schema.CURRENT, *schema.cell_voltage_columns(df.columns)]
    if schema.SOC_REPORTED in df.columns:
        cols.append(schema.SOC_REPORTED)
    if schema.STEP_INDEX in df.columns:  # (a step's first interval is no time gap: time_gaps)
        cols.append(schema.STEP_INDEX)
    return SampleBlock({c: df[c].to_numpy(dtype=float) for c in cols})


def soc_estimates(
    df: pd.DataFrame, spec: BatterySpec, settings: SocFilterSettings | None = None
) -> tuple[SocResult, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """SOC summary, the per-sample columns as the live filter gives them (each
    sample's from the samples up to it: what the live engine's blocks carry) and
    the smoothed ones (each from the whole log, :meth:`EkfSocEstimator.smoothed_columns`)."""
    est = EkfSocEstimator(spec, settings)
    live = est.update(_block(df))
    smoothed = est.smoothed_columns(filtered=live)
    return est.result(smoothed_soc=smoothed[SOC_COLUMN]), live, smoothed


def soc_series(
    df: pd.DataFrame, spec: BatterySpec, settings: SocFilterSettings | None = None
) -> tuple[SocResult, dict[str, np.ndarray]]:
    """SOC summary and every per-sample SOC column of a log in the canonical schema.

    The columns are ``soc_percent``, ``soc_band_low_percent`` and
    ``soc_band_high_percent`` (±2 sigma), and ``soc_bms_difference_pct`` (ours
    minus the BMS's) when the log has ``soc_reported_pct``. They are smoothed:
    the whole log is known, so an estimate is worked back from a later, surer one
    where that is surer (the live twin gives the same columns from
    :meth:`EkfSocEstimator.smoothed_columns`).
    """
    result, _, smoothed = soc_estimates(df, spec, settings)
    return result, smoothed


def calculate_soc(df: pd.DataFrame, spec: BatterySpec) -> tuple[SocResult, np.ndarray]:
    """SOC summary and the per-sample ``soc_percent`` series (smoothed: see :func:`soc_series`)."""
    result, columns = soc_series(df, spec)
    return result, columns[SOC_COLUMN]


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:.1f} %"


def bms_judged_rms(soc: dict) -> float | None:
    """The RMS difference the BMS cross-check judges: over the samples where our own
    band was narrow (``bms_difference_sure_rms_percent``) where there were any, else
    over the whole log; None without a BMS SOC."""
    rms = soc.get("bms_difference_rms_percent")
    if rms is None:
        return None
    sure = soc.get("bms_difference_sure_rms_percent")
    return rms if sure is None else sure


def bms_check_inconclusive(soc: dict) -> bool:
    """True when the BMS cross-check cannot blame the BMS (see :func:`bms_inconclusive_reason`).
    The difference is still shown, but it is not a finding against the BMS."""
    return bms_inconclusive_reason(soc) is not None


def bms_inconclusive_reason(soc: dict) -> str | None:
    """Why the BMS cross-check cannot blame the BMS, or None when it can: the judged
    RMS difference (:func:`bms_judged_rms`) lies within our own final ±2 sigma band (a
    log on LFP's flat plateau under load, say, leaves our estimate unsure)."""
    judged = bms_judged_rms(soc)
    sigma = soc.get("final_soc_sigma_percent")
    if judged is None or sigma is None or judged > 2 * sigma:
        return None
    return f"within our own ±{2 * sigma:.1f} % band"


def bms_check_text(soc: dict) -> str | None:
    """The BMS cross-check in words (analyze's summary, the report, the
    Diagnostics card), or None without a BMS SOC."""
    rms = soc.get("bms_difference_rms_percent")
    if rms is None:
        return None
    judged = bms_judged_rms(soc)
    text = f"BMS SOC differs by {judged:.1f} % RMS"
    if f"{judged:.1f}" != f"{rms:.1f}":
        text += (
            f" where our estimate was sure (band ±{BMS_SURE_BAND_PCT:g} % or less;"
            f" {rms:.1f} % over the whole log)"
        )
    reason = bms_inconclusive_reason(soc)
    return text + (f" (inconclusive: {reason})" if reason else "")


def start_soc_text(soc: dict) -> tuple[str, str | None]:
    """The SOC summary's start (``analyze``'s summary, the report): (the start,
    how it was found or None).

    The filter's first value is the start when it is sure. A log that starts
    under load (or on a flat part of the OCV) starts from a guess, +-50 %: the
    start is then the one back-calculated from the surest later estimate by the
    coulomb count, when there is one, and the first value is named as what it
    is; without one the first value is shown with its band."""
    first = soc.get("initial_soc_percent")
    sigma = soc.get("initial_soc_sigma_percent")
    wide = sigma is not None and 2 * sigma > SHOWN_BAND_PCT
    first_text = _pct(first) + (f" ±{2 * sigma:.0f} %" if wide else "")
    guess = ", a guess: the log starts under load" if soc.get("initialisation") == "load" else ""
    back = soc.get("start_soc_back_calculated_percent")
    if back is None:
        return first_text, (f"the start is the filter's first value{guess}" if wide else None)
    at = soc.get("start_soc_back_calculated_from_s") or 0.0
    band = 2 * (soc.get("start_soc_back_calculated_sigma_percent") or 0.0)
    return (
        f"{_pct(back)} ±{band:.1f} %",
        f"start back-calculated: the estimate at {duration_text(at)} less the charge counted "
        f"since; the filter's first value was {first_text}{guess}",
    )
