"""Offline state of charge, sharing its estimator with the live engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.results import DiagnosticResult
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.soc_coulomb import CoulombCountingSoc

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class SocResult(DiagnosticResult):
    method: str
    initial_soc_percent: float
    final_soc_percent: float
    min_soc_percent: float
    max_soc_percent: float
    charge_in_ah: float
    charge_out_ah: float
    bms_reported_final_percent: float | None
    bms_difference_rms_percent: float | None  # ours minus the BMS's


def calculate_soc(df: pd.DataFrame, spec: BatterySpec) -> tuple[SocResult, np.ndarray]:
    """SOC summary and the per-sample series."""
    est = CoulombCountingSoc(spec)
    cols = [schema.TIME, schema.VOLTAGE, schema.CURRENT, *schema.cell_voltage_columns(df.columns)]
    soc = est.update(SampleBlock({c: df[c].to_numpy(dtype=float) for c in cols}))
    reported_final = diff_rms = None
    if schema.SOC_REPORTED in df.columns:
        rep = df[schema.SOC_REPORTED].to_numpy(dtype=float)
        ok = np.isfinite(rep)
        if ok.any():
            reported_final = float(rep[ok][-1])
            diff_rms = float(np.sqrt(np.mean((soc[ok] - rep[ok]) ** 2)))
    return (
        SocResult(
            method=est.method,
            initial_soc_percent=float(soc[0]),
            final_soc_percent=float(soc[-1]),
            min_soc_percent=float(soc.min()),
            max_soc_percent=float(soc.max()),
            charge_in_ah=est.charge_in_ah,
            charge_out_ah=est.charge_out_ah,
            bms_reported_final_percent=reported_final,
            bms_difference_rms_percent=diff_rms,
        ),
        soc,
    )
