"""Request bodies of the REST endpoint (pydantic), with the limits that keep
generated or hostile input out of the database."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.spec import MAX_RESISTANCE_OHM, MIN_RESISTANCE_OHM

Finite = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")]
Text = Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")]
RecordId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserIn(_Strict):
    name: Name
    role: Literal["admin", "engineer", "viewer"] = "viewer"
    password: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class DiagnosticIn(_Strict):
    diagnostic: Name
    result: dict
    battery_name: Annotated[str, Field(max_length=128, pattern=r"^[^\x00]*$")] = ""
    battery_profile: Annotated[str, Field(max_length=64, pattern=r"^[^\x00]*$")] = ""
    recording_id: RecordId | None = None


class ThresholdIn(_Strict):
    """An alert rule; ``metric`` names one of the metrics alerts watch
    (``cell_v_max``, ``temperature_max_c``, ``soc_percent``, ``fault_<kind>``, …)."""

    profile: Name
    metric: Name
    comparison: Literal["above", "below", "outside"]
    level: Finite | None = None
    clear_level: Finite | None = None
    band_low: Finite | None = None
    band_high: Finite | None = None
    severity: Literal["info", "warning", "critical"] = "warning"
    delay_s: Annotated[float, Field(ge=0, le=86400 * 365, allow_inf_nan=False)] = 0.0
    enabled: bool = True
    # as the safety check judges a limit (see app.diagnostics.alerts.Threshold)
    noise_band: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    fast_level: Finite | None = None
    charge_level: Finite | None = None
    clear_delay_s: Annotated[float, Field(ge=0, le=86400 * 365, allow_inf_nan=False)] = 0.0


class AcknowledgeIn(_Strict):
    comment: Text | None = None


class DiagnoseIn(_Strict):
    """Samples as columns of the canonical schema (``time_s``, ``voltage_v``,
    ``current_a``, optional ``temperature_c``, ``cell_<k>_v``, ...) and the battery."""

    samples: dict[Annotated[str, Field(max_length=64)], list[Finite | None]]
    #: required, as ``analyze`` and the upload routes want it: samples do not say which
    #: battery they are (a 400 without it, naming what to give, as the upload's)
    chemistry: Literal["nmc", "lfp", "lead_acid"] | None = None
    capacity_ah: Annotated[float, Field(gt=0, le=1e5, allow_inf_nan=False)] | None = None
    cells: Annotated[int, Field(ge=1, le=1000)] | None = None
    #: beginning-of-life resistance of one cell, ohm (``--bol-resistance-ohm``)
    bol_resistance_ohm: (
        Annotated[float, Field(ge=MIN_RESISTANCE_OHM, le=MAX_RESISTANCE_OHM, allow_inf_nan=False)]
        | None
    ) = None
    eol_fraction: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)] = 0.8
