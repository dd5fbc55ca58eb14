"""The internal-resistance result and its summary over the pulses (medians, the
ECM fit summary, R10 by SOC and temperature band): see
:mod:`app.diagnostics.internal_resistance`, whose tracker builds it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.core.results import DiagnosticResult
from app.core.spec import BatterySpec

if TYPE_CHECKING:
    from app.diagnostics.internal_resistance import InternalResistanceTracker

SOC_BAND_PCT = 10.0
TEMPERATURE_BAND_C = 5.0


@dataclass(frozen=True)
class InternalResistanceResult(DiagnosticResult):
    """Pulses and summaries; every resistance in ohm. See the module docstring."""

    method: str
    voltage_source: str
    n_pulses: int
    pulses: list[dict] = field(default_factory=list)
    median_r_ohmic_ohm: float | None = None
    median_r_10s_ohm: float | None = None
    median_r_ohmic_cell_ohm: float | None = None
    median_r_10s_cell_ohm: float | None = None
    #: ohmic R0 of the pulse read-out fits, per cell
    median_r0_cell_ohm: float | None = None
    #: medians of the per-pulse 2-RC fits (pack and per cell), with the residual
    ecm_fit: dict | None = None
    r_10s_by_soc: list[dict] = field(default_factory=list)
    r_10s_by_temperature: list[dict] = field(default_factory=list)
    thresholds: dict = field(default_factory=dict)
    #: why no pulse was found, of this log's current (None when there are pulses)
    no_pulses_reason: str | None = None


def median_of(values) -> float | None:
    """``np.median`` of the finite values (None if none), in plain Python: the middle
    value, or the mean of the two middle ones as numpy computes it ((a + b) / 2)."""
    vals = sorted(float(v) for v in values if v is not None and math.isfinite(v))
    n = len(vals)
    if not n:
        return None
    h = n // 2
    return vals[h] if n % 2 else (vals[h - 1] + vals[h]) / 2.0


def _band_low(x: float, width: float) -> float:
    """``np.floor(x / width) * width`` of a finite float, without numpy's per-call cost."""
    q = x / width
    return float(math.floor(q)) * width if math.isfinite(q) else float(np.floor(q) * width)


def _bands(
    records: list[dict], key: str, width: float, unit: str, top: float | None = None
) -> list[dict]:
    """Medians per band of ``key`` ``width`` wide; values at ``top`` (a full 100 % SOC)
    belong to the band below it, not to one above it (a "100-110 %" band)."""
    rows = [r for r in records if r.get(key) is not None and r.get("r_10s_ohm") is not None]
    if not rows:
        return []
    groups: dict[float, list[dict]] = {}  # one pass: thousands of pulses, tens of bands
    for r in rows:
        low = _band_low(r[key], width)
        if top is not None and low >= top:
            low = top - width
        groups.setdefault(low, []).append(r)
    out = []
    for lo in sorted(groups):
        sel = groups[lo]
        out.append(
            {
                f"{unit}_low": lo,
                f"{unit}_high": lo + width,
                "n": len(sel),
                "median_r_10s_ohm": median_of(r["r_10s_ohm"] for r in sel),
                "median_r_10s_cell_ohm": median_of(r["r_10s_cell_ohm"] for r in sel),
                "median_r_10s_discharge_ohm": median_of(
                    r["r_10s_ohm"] for r in sel if r["direction"] == "discharge"
                ),
                "median_r_10s_charge_ohm": median_of(
                    r["r_10s_ohm"] for r in sel if r["direction"] == "charge"
                ),
            }
        )
    return out


def summarize_pulses(
    records: list[dict], spec: BatterySpec, tracker: InternalResistanceTracker
) -> InternalResistanceResult:
    """Build the result from per-pulse records (medians, ECM fit summary, bands)."""
    fits = [r["fit"] for r in records if r.get("fit") is not None and r["fit"]["ok"]]
    ecm = None
    if fits:
        resolved = [f for f in fits if f["resolved"]]
        good = resolved or [f for f in fits if not f["at_bound"]] or fits
        med = {
            key: median_of(f[key] for f in good)
            for key in (
                "r0_ohm",
                "r1_ohm",
                "tau1_s",
                "r2_ohm",
                "tau2_s",
                "rmse_mv",
                "r0_cell_ohm",
                "r1_cell_ohm",
                "r2_cell_ohm",
            )
        }
        ecm = {
            **med,
            "c1_f": med["tau1_s"] / med["r1_ohm"] if med["r1_ohm"] else None,
            "c2_f": med["tau2_s"] / med["r2_ohm"] if med["r2_ohm"] else None,
            "n_fits": len(good),
            "n_fits_rejected": sum(1 for r in records if r.get("fit") and not r["fit"]["ok"]),
            "n_resolved": len(resolved),
            "n_at_bound": sum(1 for f in fits if f["at_bound"]),
            "statistic": (
                "median over pulses whose fit resolves both RC pairs"
                if resolved
                else "median over all pulse fits (none resolves both RC pairs: R2/tau2 lumped)"
            ),
        }
    s = tracker.settings
    return InternalResistanceResult(
        method=(
            "steps found in the current; HPPC resistances (FreedomCAR DOE/ID-11069) read "
            "from a 2-RC fit of each pulse and its relaxation"
        ),
        voltage_source=tracker.voltage_source,
        n_pulses=len(records),
        no_pulses_reason=None if records else tracker.no_pulses_reason(),
        pulses=records,
        median_r_ohmic_ohm=median_of(r["r_ohmic_ohm"] for r in records),
        median_r_10s_ohm=median_of(r["r_10s_ohm"] for r in records),
        median_r_ohmic_cell_ohm=median_of(r["r_ohmic_cell_ohm"] for r in records),
        median_r_10s_cell_ohm=median_of(r["r_10s_cell_ohm"] for r in records),
        median_r0_cell_ohm=median_of(r["r0_cell_ohm"] for r in records),
        ecm_fit=ecm,
        r_10s_by_soc=_bands(records, "soc_percent", SOC_BAND_PCT, "soc_percent", top=100.0),
        r_10s_by_temperature=_bands(records, "temperature_c", TEMPERATURE_BAND_C, "temperature_c"),
        thresholds={
            "step_a": tracker.thr_a,
            "hold_tolerance_a": tracker.tol_a,
            "rest_a": tracker.rest_a,
            "min_pulse_s": s.min_pulse_s,
            "settle_samples": s.settle_samples,
        },
    )
