"""The nine diagnostics as the Diagnostics page lists them, and one-look summaries of their results.

The original Battery OS design's "API list" and "API detail": each entry
names the public function, what it answers, the columns it needs and how it
works (short, after the module docstrings of :mod:`app.diagnostics`).
:func:`summarize` turns one entry of ``run_suite(...).results`` (plain JSON,
or None when the suite has no result for it) into a status, a headline, key
numbers and a list of findings.

Qt-free: the page draws what this module says.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.core.eol_interval_text import eol_interval_text
from app.core.number_text import (
    charge_text,
    counted,
    format_elapsed,
    limit_event_pair,
    undusted,
)
from app.core.resistance_text import resistance_text
from app.diagnostics.faults.text import channel_text, fault_values, kind_text
from app.diagnostics.full_cycles import NOT_APPLICABLE, unavailable_word
from app.diagnostics.soc import bms_inconclusive_reason, soc_undetermined_why, start_soc_text
from app.views.field_words import OPTION_FIELDS
from app.views.readouts import scaled_text
from app.views.soc_columns import SOC_UNDETERMINED_BAND


class DiagnosticGroup(StrEnum):
    ELECTRICAL = "Electrical"
    THERMAL = "Thermal"
    SAFETY = "Safety"
    LIFETIME = "Lifetime"


class Status(StrEnum):
    """How a result reads at a glance (the page colours it)."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    INFO = "info"  # a measurement with no verdict of its own
    UNAVAILABLE = "unavailable"  # no result: not applicable to the data, or not implemented
    NOT_RUN = "not_run"


STATUS_TEXT = {
    Status.OK: "ok",
    Status.WARNING: "warning",
    Status.CRITICAL: "critical",
    Status.INFO: "measured",
    Status.UNAVAILABLE: "not available",
    Status.NOT_RUN: "not run",
}


@dataclass(frozen=True)
class DiagnosticInfo:
    """One diagnostic of the catalogue."""

    key: str  #: its key in ``run_suite(...).results``
    title: str
    group: DiagnosticGroup
    signature: str  #: the public function
    summary: str  #: what it answers
    inputs: tuple[str, ...]  #: columns (and spec values) it reads
    method: str  #: how, in a few sentences


CATALOG: tuple[DiagnosticInfo, ...] = (
    DiagnosticInfo(
        "soc",
        "State of charge",
        DiagnosticGroup.ELECTRICAL,
        "calculate_soc(df, spec)",
        "How full the battery is, in % of its capacity, with the uncertainty of the estimate "
        "and, where the BMS reports its own SOC, the difference to it.",
        (
            "time_s, voltage_v, current_a",
            "cell_<k>_v (optional: the mean cell voltage is used)",
            "soc_reported_pct (optional: compared)",
            "spec: capacity, OCV table",
        ),
        "Extended Kalman filter on a 2-RC equivalent circuit of one cell, fused with coulomb "
        "counting. The integrated current drives the SOC (with an adapted charge scale and "
        "current-sensor offset); every 5 s of data (at least 60 samples, at most 60 s) the "
        "interval's mean cell voltage corrects it through the OCV table, strongly where the "
        "OCV is steep, hardly on a flat plateau. R0, the polarisation and the OCV table's "
        "offset adapt online; with a preset's table (no OCV table chosen: the Logs page, File "
        "› Open and the connection dialog take one) the filter leans more on coulomb "
        "counting. It starts from the OCV when the first sample is at rest, else from "
        "a rough guess under load it converges from; when a later estimate is surer, the start "
        "shown is worked back from it less the charge counted since. The band is ±2σ.",
    ),
    DiagnosticInfo(
        "soh",
        "State of health",
        DiagnosticGroup.ELECTRICAL,
        "calculate_soh(df, spec)",
        "How much of its rated capacity the battery still holds, and how far its resistance "
        "has grown towards end of life.",
        (
            "time_s, voltage_v, current_a",
            "cell_<k>_v (per-cell capacity and resistance)",
            "cycle_index, temperature_c (optional)",
            "spec: nominal capacity, OCV table, new-cell resistance",
        ),
        "Capacity: the discharge capacity of full cycles (top of charge to the bottom) over "
        "the nominal capacity (IEC 61960-3); from partial cycles, pairs of OCV readings after "
        "rests of 30 min or more, 10 % SOC or more apart, give the charge counted per SOC "
        "moved. The SOH is the capacity's. Resistance: (R_EOL − R) / (R_EOL − R_BOL) with "
        "R_EOL = 2 R_BOL, R the median per-cell fitted R0 of the current pulses (those at "
        "20-80 % SOC and 15-35 °C when there are any), R_BOL the new-cell resistance given "
        "(R new on the Logs page or in the battery dialog) or the chemistry's typical R0 for the "
        "capacity, an indication. Up to 20 % below R_BOL reads 100 %; further below (or past "
        "2x a typical cell's) the reference is not this cell's and there is no resistance "
        "SOH. Plus the incremental-capacity (dQ/dV) peaks of slow CC segments.",
    ),
    DiagnosticInfo(
        "internal_resistance",
        "Internal resistance",
        DiagnosticGroup.ELECTRICAL,
        "measure_internal_resistance(df, spec)",
        "The battery's resistance from the current pulses in the data: ohmic, 2 s, 10 s and "
        "30 s, per pack, per cell and per series cell.",
        (
            "time_s, voltage_v, current_a",
            "cell_<k>_v (per series cell)",
            "step_index, temperature_c (optional)",
        ),
        "Finds the current steps and pulses by itself (at least C/10, held for 3 s or more). "
        "For each pulse the HPPC resistance (V(t+τ) − V_before) / (I(t+τ) − I_before) at "
        "τ = first sample, 2, 10 and 30 s (FreedomCAR, DOE/ID-11069), no value where the pulse is "
        "shorter or the log has no sample by then. The voltages are read from a 2-RC model "
        "driven by the measured current, fitted from 120 s before the step to 10 s past the "
        "read point, so sensor noise averages out; where a step responds with amplitudes of "
        "its own, F tests give it a scaled copy of the shared response or its own R0, R1, "
        "R2; where the fit leaves a significant residual the read-out follows the data. Fits "
        "are rationed (a budget per samples, pulses from rest first); pulses without one are "
        "read from the samples. Summary: medians, the 2-RC parameters, R10 by SOC and "
        "temperature band; the card shows R10, else what the logging resolves.",
    ),
    DiagnosticInfo(
        "cell_balance",
        "Cell balance",
        DiagnosticGroup.ELECTRICAL,
        "check_cell_balance(df, spec)",
        "How far apart the series cells are, whether the spread grows, and which cells sit "
        "apart from the rest.",
        (
            "cell_<k>_v (two or more)",
            "time_s, current_a",
            "spec: OCV table (SOC imbalance, the SOC judged on), the chemistry's cell "
            "resistance (weak cells), the cell voltage limits (the plausible band)",
        ),
        "Spread (max − min) and standard deviation of the cell voltages, at rest (|I| < C/50) "
        "and under load, and its trend per hour with the SOC held; the SOC imbalance from the "
        "OCV of the last rest; cells further than 3 robust σ (10 mV at least) from the median "
        "are outliers. The recent state decides: the median spread at rest between 20 and "
        "95 % SOC (else under load there: by the median cell's voltage and by that voltage "
        "less its drop across the cell resistance, both) over the last hour, at most the last "
        "quarter of the "
        "log (at the ends of charge healthy cells fan out by 100 mV and more): 30 mV and over "
        "is a warning, 100 mV critical. A spread growing 3 σ above zero, by 10 mV over the "
        "record and on course for 30 mV, warns, where the log comes back to the SOCs it "
        "had (in one discharge the cells fan out with the SOC, not in time). A cell whose resistance, from its sag under "
        "load, is half a cell's over the others is to check, a whole cell's over to replace. "
        "A cell reading outside half the spec's minimum to 1.25 times its maximum voltage "
        "(the SOC's rule too: a dead cell at 0 V, a broken sense wire, garbage) is no "
        "imbalance: it is left out of every figure and named, critical while it reads so. "
        "The action: none, watch, balance, check cells, replace a cell, or check a cell and "
        "its sense wire, with what to do.",
    ),
    DiagnosticInfo(
        "thermal",
        "Thermal",
        DiagnosticGroup.THERMAL,
        "analyze_thermal(df, spec)",
        "Temperatures, how fast they rise, how far apart the sensors read, the heat the "
        "battery makes, and how near it looks to a thermal runaway.",
        (
            "temperature_c and/or cell_<k>_temp_c",
            "time_s, current_a",
            "the measured 10 s resistance, else the spec's equivalent-circuit resistances",
        ),
        "Maximum, mean and minimum over every sensor; the fastest rise, a least-squares slope "
        "over 120 s windows (shorter ones turn sensor noise into fake rates); the largest "
        "spread between cell sensors; I²R heat with the pack's measured 10 s resistance, or "
        "without pulses its DC resistance (R0 + R1 + R2 of the chemistry's model, series cells "
        "added, parallel strings divided). Runaway risk 0-100, a screening score: the highest "
        "of four criteria, each listed with its evidence, a zero too, and one that cannot be "
        "checked with why -- the hottest reading (0 at 10 K below the operating limit, 100 at "
        "20 K over), the rise I²R does not explain (0 at 0.5, 100 at 2 °C/min), a hot spot "
        "between cell sensors (0 at 5 K, 100 at 15 K), a runaway onset found by the fault "
        "detection (100). Levels: low below 20, elevated below 50, high below 80, else "
        "critical.",
    ),
    DiagnosticInfo(
        "safety",
        "Safety limits",
        DiagnosticGroup.SAFETY,
        "monitor_safety(df, spec)",
        "Every time the battery left its safe operating window: cell voltage, charge and "
        "discharge current, temperature while charging and discharging.",
        (
            "cell_<k>_v (or voltage_v / series cells)",
            "current_a, time_s",
            "temperature_c, cell_<k>_temp_c",
            "spec: limits",
        ),
        "Each sample against the chemistry's limits. A violation counts once it has lasted "
        "2 s (debounce). Beyond the limit by less than the warning margin (2 % of a voltage "
        "limit, 10 % of a current limit, 3 °C) it is a warning; further, critical. The "
        "charge temperature window applies after a minute of charging (not to regen pulses).",
    ),
    DiagnosticInfo(
        "faults",
        "Fault detection",
        DiagnosticGroup.SAFETY,
        "detect_faults(df, spec)",
        "Faults of the battery and of its sensors, each as an episode with a start, an end, "
        "a severity and the channel.",
        (
            "time_s, voltage_v, current_a",
            "cell_<k>_v, temperature_c, cell_<k>_temp_c (per-cell faults)",
            "step_index (optional: open circuit during a step)",
        ),
        "Limit faults (over/under voltage, over current, temperature): the safety check's "
        "episodes, one fault per excursion. One incremental detector on 5 s time bins for "
        "the rest: impossible values; sensor dropouts, time gaps, stuck and "
        "noisy channels; open circuit; cell imbalance at rest (SOC and voltage spread); an "
        "internal short (a cell heating or self-discharging against its neighbours, each "
        "cell's own resistance allowed for); thermal-runaway onset (a cell heating 0.8 °C/min "
        "or more faster than the others, and accelerating; lead-acid: the float current "
        "rising at a held voltage while the cells heat). Debounced and merged into episodes; "
        "echoes of a sensor fault are dropped.",
    ),
    DiagnosticInfo(
        "capacity_fade",
        "Capacity fade",
        DiagnosticGroup.LIFETIME,
        "analyze_capacity_fade(cycles, spec)",
        "How fast the capacity falls from cycle to cycle, how much is retained, and whether "
        "the fade has reached its knee.",
        (
            "per-cycle table: cycle_index, discharge_capacity_ah",
            "(from the samples: cycle_index, or charge/discharge switches)",
        ),
        "Cleans the per-cycle capacities (invalid rows dropped, duplicate cycles merged, "
        "one-cycle outliers rejected by a Hampel filter). A capacity that has not fallen "
        "measurably (its slope, over the whole record and its recent half, within 2 standard "
        "errors of zero) is “no measurable fade”, with no model. Else (5 cycles or more) it "
        "fits five fade models (linear, √n, power, exponential, linear + exponential) with a "
        "robust loss and picks one by BIC with an autocorrelation-corrected sample size. Knee "
        "point and onset by Bacon-Watts fits (Fermin-Cueto et al., 2020; 20 cycles or more). "
        "Critical once the capacity is below the end of life of the Cycle life card (the same "
        "line, by default 80 % of the reference, and the same rule); a knee, or the last "
        "cycles' capacity past half the way to it (90 % by default), warns.",
    ),
    DiagnosticInfo(
        "cycle_life",
        "Cycle life",
        DiagnosticGroup.LIFETIME,
        "estimate_cycle_life(cycles, spec)",
        "The cycle at which the capacity reaches end of life (by default 80 % of the "
        "reference), with a 90 % interval, and how many cycles remain.",
        (
            "per-cycle table: cycle_index, discharge_capacity_ah",
            "10 valid cycles or more",
            "reference: the capacity given (the Logs page's Capacity once set, a live "
            "source's capacity_ah=), else the mean of the first 5 cycles",
            "end of life: 80 % of the reference (a log's: the Logs page's End of life)",
        ),
        "Already below the threshold (its rolling median crossed it): the first cycle "
        "measured below it, critical, as on the Capacity fade card. "
        "No measurable fade: no forecast. Otherwise the fade models are fitted to the rolling "
        "median (9 cycles) of the whole history (after any break-in), its last half and last "
        "quarter; models within 10 BIC of the best are kept (20 where the residuals are "
        "autocorrelated beyond what the BIC corrects for), each window weighted equally; "
        "the forecast is the weighted median of their crossing cycles (the card's median "
        "fit is the fit at or nearest that median; no single model is chosen) with a 90 % interval by "
        "parametric bootstrap over all the kept fits, and nothing is forecast beyond 4x the "
        "observed span.",
    ),
)

CATALOG_BY_KEY: dict[str, DiagnosticInfo] = {info.key: info for info in CATALOG}


def grouped() -> list[tuple[DiagnosticGroup, list[DiagnosticInfo]]]:
    """The catalogue by group, in the order of :class:`DiagnosticGroup`."""
    return [(group, [i for i in CATALOG if i.group is group]) for group in DiagnosticGroup]


# --- result summaries -------------------------------------------------------------

NO_RESULT_REASON = "no result: not applicable to this data, or not implemented yet"


@dataclass(frozen=True)
class ResultSummary:
    """One diagnostic's result at a glance."""

    status: Status
    headline: str = ""
    numbers: tuple[tuple[str, str], ...] = ()  #: (label, value with unit)
    items: tuple[str, ...] = ()  #: faults, limit events, notes
    reason: str | None = None  #: why there is no result (or an advice)
    method: str | None = None  #: the method the result says it used


NOT_RUN = ResultSummary(Status.NOT_RUN, reason="not run yet")
#: A sample-based diagnostic on a per-cycle table.
NO_SAMPLES = ResultSummary(
    Status.UNAVAILABLE,
    reason="no samples: a per-cycle table gives only the lifetime diagnostics",
)


def _fmt(value: Any, fmt: str = "{:.1f}", unit: str = "") -> str | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    text = fmt.format(undusted(value) if isinstance(value, float) else value)
    return f"{text} {unit}" if unit else text


def _ah(value: Any) -> str | None:
    """An amount of charge in Ah to significant digits (:func:`charge_text`: a coin
    cell's 0.0063 Ah, not 0.006); None: none."""
    text = charge_text(value, missing="")
    return text or None


def _int(value: Any) -> str | None:
    return None if value is None else f"{int(value):d}"


def _numbers(*pairs: tuple[str, str | None]) -> tuple[tuple[str, str], ...]:
    return tuple((label, value) for label, value in pairs if value is not None)


def _when(start: float | None, end: float | None) -> str:
    if start is None:
        return ""
    if end is None or end == start:
        return format_elapsed(start)
    return f"{format_elapsed(start)}–{format_elapsed(end)}"


def _status(text: str | None) -> Status:
    try:
        return Status(str(text).lower())
    except ValueError:
        return Status.INFO


def _soc(r: dict) -> ResultSummary:
    # the band is +-2 sigma (clipped to 0-100 %, so its width is not): as the report
    low, high = r.get("final_band_low_percent"), r.get("final_band_high_percent")
    sigma = r.get("final_soc_sigma_percent")
    band = (
        2.0 * sigma
        if sigma is not None
        else (high - low) / 2
        if low is not None and high is not None
        else None
    )
    headline = _fmt(r.get("final_soc_percent"), unit="%") or "—"
    if band is not None:
        headline += f" ±{band:.1f} %"
    bms = _fmt(r.get("bms_reported_final_percent"), unit="%")
    if bms is not None:  # the BMS's own SOC beside ours, and on the card the difference first
        headline += f" · BMS {bms}"
    lo, hi = r.get("min_soc_percent"), r.get("max_soc_percent")
    # the start as analyze gives it: a log that starts under load starts from a guess,
    # so the start shown is worked back from a later, surer estimate (and says so)
    back = r.get("start_soc_back_calculated_percent") is not None
    start, how = (
        start_soc_text(r)
        if back or _fmt(r.get("initial_soc_percent")) is not None
        else (None, None)
    )
    numbers = _numbers(
        ("Ours − BMS (RMS)", _fmt(r.get("bms_difference_rms_percent"), "{:.2f}", "%")),
        # ... where our own band was narrow: what the cross-check judges
        ("Ours − BMS (where sure)", _fmt(r.get("bms_difference_sure_rms_percent"), "{:.2f}", "%")),
        ("Ours − BMS (max)", _fmt(r.get("bms_difference_max_abs_percent"), "{:.2f}", "%")),
        ("Start (worked back)" if back else "Start", start),
        # offline the range is of the smoothed series (the start and end shown are its
        # first and last); live of the filter's estimates, which can hold its first guess
        (
            "Range (live filter)" if r.get("soc_range_of") == "filter" else "Range",
            f"{lo:.1f}–{hi:.1f} %" if lo is not None and hi is not None else None,
        ),
        ("Charged", _ah(r.get("charge_in_ah"))),
        ("Discharged", _ah(r.get("charge_out_ah"))),
        ("BMS reports", bms),
        # the filter's own R0, started at the battery's R new (else the preset's typical
        # value) and adapted to the voltage: beside the pulses' fitted R0 (SOH, Internal
        # resistance) "R0 in the filter" read as a second measurement of the same R0
        (SOC_FILTER_R0_LABEL, _ohm(r.get("r0_ohm"))),
        ("Capacity seen", _ah(r.get("effective_capacity_ah"))),
        # the period this log got (the method's "every 5 s of data, at least 60 samples,
        # at most 60 s": a 1 Hz log's is 60 s), as analyze --json's update_period_s
        ("Voltage correction every", _fmt(r.get("update_period_s"), "{:g}", "s")),
    )
    items = (how[0].upper() + how[1:],) if how else ()
    # what the figures leave out, as analyze prints it (the time gaps not counted)
    items += tuple(note[0].upper() + note[1:] for note in r.get("notes") or () if note)
    reason = bms_inconclusive_reason(r)
    if reason:
        # what a BMS 0.3 % off ours within our ±3.6 % is: no case against it ('The BMS
        # check is inconclusive' alone read as a problem), and no finer check either
        items += (
            f"No case against the BMS: the difference is {reason} (the check is "
            "inconclusive within it)",
        )
    if band is not None and band >= SOC_UNDETERMINED_BAND:
        # a band as wide as half the scale is the prior, not a measurement (a 3 s log)
        return ResultSummary(
            Status.UNAVAILABLE,
            "cannot be determined",
            numbers,
            items,
            reason=f"the estimate's band is ±{band:.0f} % (best guess {headline.split(' ±')[0]}): "
            + soc_undetermined_why(r),
            method=r.get("method"),
        )
    return ResultSummary(Status.INFO, headline, numbers, items, method=r.get("method"))


def _ohm(value: float | None) -> str | None:
    """:func:`resistance_text`, None where there is no value (the row is left out)."""
    if value is None or not math.isfinite(value):
        return None
    return resistance_text(value)


def _soh_status(soh: float, eol_fraction: float | None) -> Status:
    """The SOH card's status, as the report's State of health row judges it
    (:func:`~app.reports.verdicts.soh_limits`): critical past the end of life, a
    warning within 5 % above it. (The card read a 70.3 % cell past its 80 % end of life
    as a warning, beside the report's FAIL and cycle life's critical 'end of life
    reached'; and 72.8 % at a 70 % end of life as OK, where the report warned.)"""
    from app.reports.verdicts import soh_limits  # (not on the window's start-up path)

    fail, warn = soh_limits(eol_fraction)
    return Status.CRITICAL if soh < fail else Status.WARNING if soh < warn else Status.OK


def _soh(r: dict) -> ResultSummary:
    soh = r.get("soh_percent")
    cap_soh, res_soh = r.get("soh_capacity_percent"), r.get("soh_resistance_percent")
    # (results stored before the temperature correction have the measured value only)
    measured_key = "resistance_measured_ohm" if "resistance_measured_ohm" in r else "resistance_ohm"
    factor = r.get("resistance_temperature_factor")
    corrected = factor is not None and factor != 1.0
    # steps seen late, between samples: resistance_ohm is at the steps' instants
    late = r.get("resistance_sampling_factor") or 1.0
    at_ref = r.get("resistance_ohm")
    at_ref = at_ref * late if at_ref is not None else None
    ref_c = r.get("resistance_reference_temperature_c") or 25.0
    numbers = _numbers(
        ("Capacity SOH", _fmt(cap_soh, unit="%")),
        ("Capacity", _ah(r.get("capacity_ah"))),
        ("Nominal", _ah(r.get("nominal_capacity_ah"))),
        ("Resistance SOH", _fmt(res_soh, unit="%")),
        # as measured, as the resistance card shows it; then at the reference temperature
        (_resistance_label(r.get("resistance_metric")), _ohm(r.get(measured_key))),
        ("Pulse temperature", _fmt(r.get("resistance_temperature_c"), unit="°C")),
        (f"R at {ref_c:g} °C (cell)", _ohm(at_ref) if corrected else None),
        ("R at the steps (cell)", _ohm(r.get("resistance_ohm")) if late > 1.0 else None),
        ("R new (cell)", _ohm(r.get("bol_resistance_ohm"))),
        ("R new from", r.get("bol_resistance_source") or None),
        ("Pulses used", _int(r.get("resistance_pulses"))),
    )
    notes = tuple(str(n) for n in r.get("notes") or ())
    if soh is None and cap_soh is None and res_soh is None:
        # why neither the capacity nor the resistance gave one, both as the reason (a
        # second one as a finding read before the first)
        reason = "\n".join(notes) or "no full cycle, rest pair or current pulse in the data"
        # the resistance measured and its reference stay in view: the reason compares them
        return ResultSummary(Status.UNAVAILABLE, numbers=numbers, reason=reason)
    method = r.get("soh_method")
    if soh is None:  # no capacity measured: the resistance speaks
        headline = (
            f"{cap_soh:.1f} % by capacity"
            if cap_soh is not None
            else f"{res_soh:.1f} % by resistance"
        )
        status = Status.INFO
        if cap_soh is None:
            # the overall SOH's method is "none" (no capacity): the card read "As run:
            # none" under "99.6 % by resistance"
            method = _resistance_soh_method(r)
    else:
        headline = f"{soh:.1f} %"
        # 80 % is the usual end of life (and the cycle-life diagnostic's default); the
        # page judges by the one cycle life was given (:func:`soh_at_end_of_life`)
        status = _soh_status(soh, None)
    return ResultSummary(status, headline, numbers, items=notes, method=method)


def _resistance_soh_method(r: dict) -> str:
    """How a SOH of the resistance alone was made, as the report's row says it: 'resistance:
    fitted ohmic R0 per cell against R new (no full cycle or OCV pair to measure capacity)'."""
    metric = r.get("resistance_metric") or "the pulses' resistance"
    return f"resistance: {metric} against R new (no full cycle or OCV pair to measure capacity)"


#: The SOC card's R0: what the filter ended on, not a pulse's measurement.
SOC_FILTER_R0_LABEL = "R0 adapted in the SOC filter (cell)"


def _resistance_label(metric: str | None) -> str:
    """The SOH's resistance as the resistance card names it."""
    return "R0 fitted (cell)" if metric and "fitted" in metric else "R (cell)"


def _internal_resistance(r: dict) -> ResultSummary:
    """What the pulses measured, the best first: R10 when the logging resolves 10 s, else
    the ohmic, 2 s, fitted or 30 s resistance (a log sampled every 30 s has only R30)."""
    from app.diagnostics.pulse_detection import NO_PULSES_REASON
    from app.diagnostics.resistance_readout import measured_resistances

    n = r.get("n_pulses")
    if not n:
        reason = r.get("no_pulses_reason") or NO_PULSES_REASON
        return ResultSummary(Status.UNAVAILABLE, reason=reason, method=r.get("method"))
    measured = [(m.label, m.cell_ohm, m.pulses) for m in measured_resistances(r)]
    pack = r.get("median_r_10s_ohm")  # shown when it is not one cell's
    numbers = _numbers(
        ("Pulses", _int(n)),
        *((f"{label} (cell)", _ohm(value)) for label, value, _count in measured),
        ("R10 (pack)", _ohm(pack) if pack != r.get("median_r_10s_cell_ohm") else None),
    )
    if not measured:
        return ResultSummary(
            Status.UNAVAILABLE,
            numbers=numbers,
            reason=f"{n} current pulses found, none gave a resistance (too few samples in "
            "the first 30 s of each?)",
            method=r.get("method"),
        )
    label, value, count = measured[0]
    headline = f"{label} {_ohm(value)} per cell"
    if count > 1:
        headline += f" (median of {count} pulses)"
    return ResultSummary(Status.INFO, headline, numbers, method=r.get("method"))


def _spread_now_text(r: dict) -> str | None:
    """'424.0 mV (at rest at 1 % SOC, outside 20-95 % SOC: ...; not judged)': the last
    sample's spread, and why it is not judged when it lies where healthy cells fan out."""
    from app.diagnostics.cell_balance import spread_now_note

    value = _fmt(r.get("spread_mv"), "{:.1f}", "mV")
    return None if value is None else value + spread_now_note(r)


def _cell_balance(r: dict) -> ResultSummary:
    status = _status(r.get("status"))
    advice = r.get("recommendation") or None
    if status is Status.INFO and r.get("spread_max_mv") is None:  # nothing to compare
        return ResultSummary(Status.UNAVAILABLE, reason=advice)
    # (a spread measured but not judged, "unknown": a measurement, no verdict -- the
    # reason says why, as the CLI and the report do)
    outliers = r.get("outlier_cells") or []
    spread, where = _judged_spread(r)
    numbers = _numbers(
        ("Action", _BALANCE_ACTIONS.get(r.get("action"), r.get("action"))),
        # (the headline's figure, under the headline's own words)
        (f"Spread ({where})", _fmt(spread, "{:.1f}", "mV")),
        ("Spread now", _spread_now_text(r)),
        ("At rest, any SOC (median)", _fmt(r.get("spread_at_rest_mv"), "{:.1f}", "mV")),
        ("Under load, any SOC (median)", _fmt(r.get("spread_under_load_mv"), "{:.1f}", "mV")),
        ("Largest", _fmt(r.get("spread_max_mv"), "{:.1f}", "mV")),
        (_history_label(r.get("judged_on")), _fmt(r.get("spread_history_mv"), "{:.1f}", "mV")),
        ("Trend", _trend_text(r)),
        ("Weak cells", _cells_text(r.get("weak_cells"))),
        ("SOC imbalance", _fmt(r.get("soc_imbalance_pct"), "{:.1f}", "%")),
        ("Outlier cells", _cells_text(outliers)),
        ("Implausible cells", _implausible_text(r.get("implausible_readings") or ())),
        ("Plausible cell band", _band_text(r.get("plausible_cell_v"))),
    )
    headline = f"{spread:.1f} mV spread ({where})" if spread is not None else "—"
    # a cell reading out of the plausible band now (0 V, a broken sense wire) leads:
    # the spread is then the other cells'
    dead = [b for b in r.get("implausible_readings") or () if b.get("reading_now")]
    if dead:
        named = ", ".join(f"cell {b['cell']} reads {b['last_value_v']:.2f} V" for b in dead)
        headline = f"{named} (implausible)" + (
            f"; {spread:.1f} mV spread of the others ({where})" if spread is not None else ""
        )
    items = tuple(r.get("findings") or ())
    return ResultSummary(status, headline, numbers, items=items, reason=advice)


def _judged_spread(r: dict) -> tuple[float | None, str]:
    """(mV, 'rest, 20-95 % SOC, last 7 min'): the spread the status was judged on and
    the samples it is of, the headline's figure and words (mid SOC: at the ends of
    charge healthy cells fan out by 100+ mV, so the all-SOC median at rest would
    mislead)."""
    spread, where = r.get("spread_judged_mv"), r.get("judged_on")
    if spread is None or not where:
        rest = r.get("spread_at_rest_mv")
        spread = rest if rest is not None else r.get("spread_mv")
        where = "rest" if rest is not None else "now"
    window = r.get("judged_window_s")
    if window:
        where += ", last " + (
            f"{window:.2g} s"  # a capture of 0.9 s: "last 0.9 s", not "last 0 s"
            if window < 10
            else f"{window:.0f} s"
            if window < 120
            else f"{window / 60:.0f} min"
            if window < 3600
            else f"{window / 3600:.1f} h"
        )  # a CAN capture of seconds: "last 8 s", not "last 0 min"
    return spread, where


def _cells_text(cells) -> str | None:
    """'cell 2' or 'cells 2, 3' (a bare '2' reads as a count); None for none."""
    cells = list(cells or ())
    if not cells:
        return None
    return ("cell " if len(cells) == 1 else "cells ") + ", ".join(str(c) for c in cells)


def _history_label(judged_on: str | None) -> str:
    """The label of ``spread_history_mv``: the median over the whole log of the samples
    it is of, e.g. 'Whole log, rest, 20-95 % SOC (median)'."""
    from app.diagnostics.cell_balance import JUDGED_LOAD_SINCE_REST, JUDGED_REST_IN_RANGE

    if judged_on == JUDGED_LOAD_SINCE_REST:  # (the history is of the rest before)
        judged_on = JUDGED_REST_IN_RANGE
    return f"Whole log, {judged_on} (median)" if judged_on else "Whole log (median)"


#: The diagnostics whose results rest on the battery (its limits, OCV table, capacity,
#: series cells): on a guessed battery, or one that does not fit the log, their cards say so.
BATTERY_JUDGED = ("soc", "soh", "internal_resistance", "safety", "faults", "thermal", "cycle_life")


def with_battery_note(
    key: str, summary: ResultSummary, *, guessed: bool, misfit: bool, of: str = "log"
) -> ResultSummary:
    """``summary`` with a line saying what battery its verdict rests on, when that is a
    guess (``guessed``) or does not fit the log's voltages (``misfit``): a red Safety card
    on a guessed battery is judged against the guess's limits, not the cell's. ``of``:
    what the data are, as :func:`not_valid` says it."""
    from dataclasses import replace

    if key not in BATTERY_JUDGED or summary.status in (Status.UNAVAILABLE, Status.NOT_RUN):
        return summary
    if guessed:
        note = "Rests on the guessed battery (see the note above), not on the cell's own."
    elif misfit:
        # an overcharge is a misfit too: the note does not take sides (the warning weighs
        # it), nor names one end of the window (MB-0.mpr's cell at 1.49 V read
        # "overcharged")
        note = (
            f"Judged against the battery given, whose voltage window the {of}'s cells leave "
            "much of the time: overcharged or over-discharged, or not this battery (see the "
            "warning above)."
        )
    else:
        return summary
    return replace(summary, reason=f"{summary.reason}\n{note}" if summary.reason else note)


def not_valid(summary: ResultSummary, why: str, of: str = "log") -> ResultSummary:
    """``summary`` of a result its data make not valid (``analyze``'s ``invalid_results``,
    :mod:`app.diagnostics.input_validity`): said first, and no "ok" (as the report's
    verdict, at least a warning). ``of``: what the data are, 'log', or 'source' (live) or
    'recording' (:attr:`~app.views.diagnostics_runner.DiagnosticsReport.data_word`).
    A result that cannot be determined says it too, first: its band may be wide *because*
    the data are not this battery's (an LFP log read as NMC: ±34 %)."""
    from dataclasses import replace

    if summary.status is Status.NOT_RUN:
        return summary
    note = f"Not valid for this {of}: {why} (see the warning above)."
    status = Status.WARNING if summary.status in (Status.OK, Status.INFO) else summary.status
    reason = f"{note}\n{summary.reason}" if summary.reason else note
    return replace(summary, status=status, reason=reason)


def soh_at_end_of_life(
    summary: ResultSummary, soh: dict | None, cycle_life: dict | None
) -> ResultSummary:
    """The SOH card once cycle life's end of life is known (``eol_fraction``: the Logs
    page's End of life, ``--eol-fraction``): critical below it, a warning within 5 %
    above it, not against a fixed 80 % (at 70 % a 72.8 % cell read a warning beside
    cycle life's 12 cycles left), as the report's State of health row judges."""
    from dataclasses import replace

    fraction = (cycle_life or {}).get("eol_fraction") if isinstance(cycle_life, dict) else None
    value = (soh or {}).get("soh_percent") if isinstance(soh, dict) else None
    judged = (Status.CRITICAL, Status.WARNING, Status.OK)
    if fraction is None or value is None or summary.status not in judged:
        return summary
    return replace(summary, status=_soh_status(value, fraction))


def with_suspect_cell_readings(
    balance: ResultSummary, faults: Any, result: dict | None = None
) -> ResultSummary:
    """The cell balance summary once fault detection has found a sensor fault on a
    cell's voltage channel: that reading is suspect, so no advice to balance on it
    (a stuck sense wire is not a cell 400 mV low); the fault is named instead. Or an
    internal short in a cell (``result``: the cell balance result): that cell is to
    check or replace, not to balance (the verdict of the CLI and the report)."""
    from dataclasses import replace

    from app.diagnostics.cell_balance import (
        balance_verdict,
        shorted_cells,
        suspect_cell_readings,
        suspect_cells_text,
    )

    if balance.status in (Status.UNAVAILABLE, Status.NOT_RUN):
        return balance
    shorted, suspect = shorted_cells(faults), suspect_cell_readings(faults)
    if not shorted and not suspect:
        return balance
    # the verdict of the CLI and the report: a short first, else a suspect reading
    status, action, advice = balance_verdict(result or {}, faults)
    label = _BALANCE_ACTIONS.get(action, action)
    if shorted:
        # the spread as the dashboard shows it, and its largest: a shorted cell drifts,
        # so the spread judged (a median at mid SOC) read 6.1 mV beside 353 mV now
        r = result or {}
        now, largest = r.get("spread_mv"), r.get("spread_max_mv")
        spread = (
            f"spread now {now:.1f} mV (largest {largest:.1f} mV)"
            if now is not None and largest is not None
            else balance.headline
        )
        headline = f"internal short in {_cells_text(list(shorted))}; {spread}"
    else:
        headline = f"suspect reading: {suspect_cells_text(suspect)}"
    return replace(
        balance,
        numbers=tuple((k, label if k == "Action" else v) for k, v in balance.numbers),
        status=_status(status),
        headline=headline,
        reason=advice[:1].upper() + advice[1:] + ".",
    )


def _implausible_text(readings) -> str | None:
    """The cells out of the plausible band, e.g. ``cell 1 (0.00 V now), cell 3 (65.00 V at
    2:00, 4 readings)`` ('Implausible cells: 2 (...)' read as two cells, not cell 2)."""
    parts = [
        f"cell {b['cell']} ({b['last_value_v']:.2f} V now)"
        if b.get("reading_now")
        else f"cell {b['cell']} ({b['last_value_v']:.2f} V at {format_elapsed(b['last_time_s'])}, "
        f"{b['samples']} reading{'s' if b['samples'] != 1 else ''})"
        for b in readings
    ]
    return ", ".join(parts) or None


def _band_text(band) -> str | None:
    return f"{band[0]:.2f}–{band[1]:.2f} V" if band else None


#: How the cell-balance actions read.
_BALANCE_ACTIONS = {
    "none": "none",
    "watch": "watch the outlier cells",
    "balance": "balance",
    "check_cells": "check cells",
    "replace_cell": "replace a cell",
    "check_reading": "check the cell and its sense wire",
}


def _trend_text(r: dict) -> str | None:
    trend, se = r.get("spread_trend_mv_per_h"), r.get("spread_trend_stderr_mv_per_h")
    if trend is None:
        return None
    text = f"{trend:+.1f} ± {se:.1f} mV/h" if se is not None else f"{trend:+.1f} mV/h"
    return text + (" (growing)" if r.get("spread_trend_significant") else "")


def _limit_values(e: dict) -> str:
    worst, limit = limit_event_pair(e.get("check", ""), e.get("worst_value"), e.get("limit"))
    return f"{worst} (limit {limit})"


def _safety(r: dict) -> ResultSummary:
    events = r.get("events") or []
    items = tuple(
        f"{e.get('severity', '')} · {kind_text(e.get('check'))} · {channel_text(e.get('channel'))}"
        f" · {_limit_values(e)} · {_when(e.get('start_time_s'), e.get('end_time_s'))}"
        for e in events
    )
    # "limit event", the CLI's and the report's word for the same count (the card read
    # "1 limit violation" beside their "1 limit event")
    headline = "within every limit" if not events else counted(len(events), "limit event")
    limits = r.get("limits") or {}
    # (a capacity only known as a lower bound: its C-rates are no current limit)
    unjudged = "not judged" if (why := limits.get("current_not_judged")) else None
    items += (why,) if why else ()
    numbers = _numbers(
        # the window checked against, so "within every limit" says which limits
        ("Cell voltage", _range(limits.get("cell_v_min"), limits.get("cell_v_max"), "{:.3f}", "V")),
        ("Charge current", _current_limit(limits.get("max_charge_current_a")) or unjudged),
        ("Discharge current", _current_limit(limits.get("max_discharge_current_a")) or unjudged),
        (
            "Charging at",
            _range(
                limits.get("charge_temp_min_c"), limits.get("charge_temp_max_c"), "{:.0f}", "°C"
            ),
        ),
        (
            "Discharging at",
            _range(
                limits.get("discharge_temp_min_c"),
                limits.get("discharge_temp_max_c"),
                "{:.0f}",
                "°C",
            ),
        ),
        ("Debounce", _fmt(r.get("debounce_s"), "{:g}", "s")),
    )
    return ResultSummary(_status(r.get("status")), headline, numbers, items)


def _current_limit(amps: float | None) -> str | None:
    """'≤ 0.245 A', '≤ 1120 A', and a coin cell's '≤ 6.3 mA' (it read '≤ 0.00 A')."""
    if amps is None:
        return None
    if abs(amps) >= 0.1:
        return f"≤ {amps:.4g} A"
    number, unit = scaled_text(amps, "A", "{:.2f}")
    return f"≤ {number} {unit}"


def _range(low: Any, high: Any, fmt: str, unit: str) -> str | None:
    """'2.500 – 4.200 V' (a missing end: '≥ low' or '≤ high')."""
    lo, hi = _fmt(low, fmt), _fmt(high, fmt)
    if lo is None and hi is None:
        return None
    if lo is None:
        return f"≤ {hi} {unit}"
    if hi is None:
        return f"≥ {lo} {unit}"
    return f"{lo} – {hi} {unit}"


def _thermal(r: dict) -> ResultSummary:
    if not r.get("sensors"):
        return ResultSummary(Status.UNAVAILABLE, reason="no temperature sensor in the data")
    # what matters for safety first: the card shows only the first few
    numbers = _numbers(
        ("Runaway risk", _fmt(r.get("runaway_risk_score"), "{:.0f}", "/ 100")),
        ("Fastest rise", _fmt(r.get("max_rise_rate_c_per_min"), "{:.2f}", "°C/min")),
        ("Sensor spread", _fmt(r.get("max_sensor_spread_c"), "{:.1f}", "K")),
        ("I²R explains", _fmt(r.get("joule_rise_rate_c_per_min"), "{:.2f}", "°C/min")),
        ("Mean heat", _fmt(r.get("mean_heat_w"), "{:.2f}", "W")),
        ("Mean", _fmt(r.get("mean_temperature_c"), unit="°C")),
        ("Minimum", _fmt(r.get("min_temperature_c"), unit="°C")),
        ("Sensors", _int(r.get("sensors"))),
    )
    top = _fmt(r.get("max_temperature_c"), unit="°C")
    headline = f"max {top}" if top else "—"
    level = r.get("runaway_risk_level")
    if level:
        headline += f" · runaway risk {level}"
    # every criterion checked, strongest first (a 0 explains a low risk), then
    # those that could not be checked
    evidence = sorted(
        r.get("runaway_risk_evidence") or (),
        key=lambda e: (e.get("checked") is False, -(e.get("score") or 0.0)),
    )
    items = tuple(_risk_item(e) for e in evidence)
    status = _RISK_STATUS.get(level, Status.INFO)
    return ResultSummary(status, headline, numbers, items=items)


#: The unit of each runaway-risk criterion's value and thresholds.
_RISK_UNITS = {"temperature": "°C", "excess_rise_rate": "°C/min", "hot_spot": "K"}


def _risk_item(e: dict) -> str:
    """'hot spot 70/100: <detail> (0 at 5 K, 100 at 15 K)'; '—' for a criterion not checked."""
    name = str(e.get("factor", "")).replace("_", " ")
    detail = str(e.get("detail", "")).replace("degC", "°C")
    if e.get("checked") is False:
        return f"{name} —: {detail}"
    text = f"{name} {e.get('score') or 0.0:.0f}/100: {detail}"
    unit = _RISK_UNITS.get(str(e.get("factor")))
    normal, alarm = e.get("normal"), e.get("alarm")
    if unit and normal is not None and alarm is not None:
        text += f" (0 at {normal:g} {unit}, 100 at {alarm:g} {unit})"
    return text


#: How a runaway-risk level reads (low risk is a measurement, no verdict).
_RISK_STATUS = {
    "elevated": Status.WARNING,
    "high": Status.CRITICAL,
    "critical": Status.CRITICAL,
}


def _faults(r: dict | list) -> ResultSummary:
    faults = r if isinstance(r, list) else (r.get("faults") or [])
    severities = {str(f.get("severity")) for f in faults}
    if isinstance(r, dict) and r.get("status"):
        status = _status(r.get("status"))
    elif "critical" in severities:
        status = Status.CRITICAL
    else:
        status = Status.WARNING if faults else Status.OK
    items = tuple(
        " · ".join(
            part
            for part in (
                str(f.get("severity", "")),
                kind_text(f.get("kind")),
                # 'cell 2', not 'cell_2_v': a short's figure is a temperature
                channel_text(f.get("channel")),
                fault_values(f),
                _when(f.get("start_time_s"), f.get("end_time_s")),
            )
            if part
        )
        for f in faults
    )
    if not faults:  # (else the detail's "Latest result" heading stands over nothing)
        return ResultSummary(status, "no faults", reason="no faults found")
    return ResultSummary(status, counted(len(faults), "fault"), items=items)


def _unavailable_headline(r: dict) -> str:
    """ "not applicable" over a lifetime result of a log with no full cycles (an HPPC
    test), where the chip says "not available"; else none."""
    return unavailable_word(r) if r.get("status") == NOT_APPLICABLE else ""


def _capacity_fade(r: dict) -> ResultSummary:
    if r.get("status") in ("insufficient_data", NOT_APPLICABLE):
        return ResultSummary(
            Status.UNAVAILABLE, _unavailable_headline(r), reason=r.get("reason") or "too few cycles"
        )
    retention = r.get("capacity_retention")
    knee = r.get("knee") or {}
    numbers = _numbers(
        ("Fade rate", _fmt(r.get("fade_rate_pct_per_100_cycles"), "{:.2f}", "% / 100 cycles")),
        (
            "Mean fade",
            _fmt(r.get("mean_fade_rate_pct_per_100_cycles"), "{:.2f}", "% / 100 cycles"),
        ),
        ("Model", r.get("selected_model")),
        ("Cycles used", _int(r.get("cycles_used"))),
        ("Capacity now", _ah(r.get("final_capacity_ah"))),
        # what the headline's retention compares (not the last cycle over the first)
        ("Retained", _retention_text(r)),
        # the end of life the status is judged by: the Cycle life card's line
        ("End of life", _fade_eol_text(r)),
        ("Knee at cycle", _fmt(knee.get("knee_point_cycle"), "{:.0f}")),
        ("Knee onset", _fmt(knee.get("knee_onset_cycle"), "{:.0f}")),
    )
    severity = str(r.get("severity") or "info")
    status = Status.OK if severity == "info" else _status(severity)
    headline = f"{retention * 100:.1f} % retained" if retention is not None else "—"
    if r.get("status") == "no_fade":
        headline += " · no measurable fade"
    if (reached := r.get("eol_reached_cycle")) is not None:
        # what makes it critical: the retention is of the first cycles, the end of life
        # of its own reference ('critical · 84.1 % retained' read as a contradiction)
        headline += f" · end of life reached at cycle {reached:.0f}"
    return ResultSummary(status, headline, numbers, reason=r.get("reason"))


def _retention_text(r: dict) -> str | None:
    """'84.1 %: mean of the last 5 cycles over the first 5; 0.773 of 0.35 Ah nominal'."""
    from app.diagnostics.capacity_fade import retention_basis

    retention = r.get("capacity_retention")
    if retention is None:
        return None
    return f"{retention * 100:.1f} %: {retention_basis(r)}"


def _fade_eol_text(r: dict) -> str | None:
    """'reached at cycle 165 (70 % of 1.842 Ah)', or '1.289 Ah (70 % of 1.842 Ah)'."""
    line = _ah(r.get("eol_capacity_ah"))
    if line is None:
        return None
    ref = _ah(r.get("eol_reference_capacity_ah"))
    fraction = r.get("eol_fraction")
    of = f"{fraction * 100:.0f} % of {ref}" if ref and fraction is not None else None
    reached = r.get("eol_reached_cycle")
    if reached is not None:
        return f"reached at cycle {reached:.0f}" + (f" ({of})" if of else "")
    return f"{line} ({of})" if of else line


def _reference_text(r: dict) -> str | None:
    """'1.860 Ah (first cycles)': what end of life is a fraction of, and where it is from."""
    ref = _ah(r.get("reference_capacity_ah"))
    if ref is None:
        return None
    source = {"initial_cycles": "first cycles", "nominal": "the battery's capacity"}.get(
        r.get("reference_source"), r.get("reference_source")
    )
    fraction = r.get("eol_fraction")
    text = f"{ref} ({source})" if source else ref
    return f"{fraction * 100:.0f} % of {text}" if fraction is not None else text


def _median_fit_text(r: dict) -> str | None:
    """The fit whose crossing is the forecast, and how many fits it is the median of."""
    model, members = r.get("model"), r.get("members") or []
    if model is None:
        return None
    return f"{model} (median of {len(members)} fits)" if len(members) > 1 else str(model)


def _cycle_life(r: dict) -> ResultSummary:
    state = str(r.get("status") or "")
    reason = r.get("reason")
    if state in ("insufficient_data", NOT_APPLICABLE):
        return ResultSummary(
            Status.UNAVAILABLE, _unavailable_headline(r), reason=reason or "too few cycles"
        )
    eol, low, high = r.get("predicted_eol_cycle"), r.get("interval_low"), r.get("interval_high")
    if state == "reached":  # observed, not forecast: no interval ("106–106")
        low = high = None
    numbers = _numbers(
        (
            "Interval (90 %)",
            eol_interval_text(low, high, r.get("horizon_cycle")) if low is not None else None,
        ),
        ("Cycles left", _int(r.get("remaining_cycles"))),
        ("EOL capacity", _ah(r.get("eol_capacity_ah"))),
        ("Reference", _reference_text(r)),
        ("Cycles seen", _int(r.get("cycles_observed"))),
        ("Median fit", _median_fit_text(r)),
    )
    if state == "reached":  # past end of life: critical, as capacity fade below 80 %
        status = _status(str(r.get("severity") or "critical"))
        return ResultSummary(status, f"end of life reached at cycle {eol}", numbers)
    if state == "forecast" and eol is not None:
        return ResultSummary(Status.OK, f"end of life near cycle {eol}", numbers)
    if state == "no_fade":
        return ResultSummary(Status.OK, "no measurable fade", numbers, reason=reason)
    return ResultSummary(Status.OK, "beyond the forecast horizon", numbers, reason=reason)


_SUMMARIZERS: dict[str, Callable[[Any], ResultSummary]] = {
    "soc": _soc,
    "soh": _soh,
    "internal_resistance": _internal_resistance,
    "cell_balance": _cell_balance,
    "thermal": _thermal,
    "safety": _safety,
    "faults": _faults,
    "capacity_fade": _capacity_fade,
    "cycle_life": _cycle_life,
}


def summarize(key: str, result: Any) -> ResultSummary:
    """The at-a-glance summary of one result of ``run_suite`` (None: not available)."""
    if result is None:
        return ResultSummary(Status.UNAVAILABLE, reason=NO_RESULT_REASON)
    if isinstance(result, dict) and set(result) == {"error"}:  # it raised (the others did not)
        return ResultSummary(
            Status.UNAVAILABLE, "failed", reason=f"the diagnostic failed: {result['error']}"
        )
    try:
        return _in_prose(_SUMMARIZERS[key](result))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        # a result shape this page does not know yet: say so, do not break the page
        return ResultSummary(Status.INFO, "result in an unexpected shape", reason=repr(exc))


#: The diagnostics' notes are written for logs and JSON; the page shows them as text.
_PROSE = (
    (">=", "≥"),
    ("<=", "≤"),
    ("degC", "°C"),
    ("I2R", "I²R"),
    ("mOhm", "mΩ"),
    # the CLI's options as the fields of the Logs page and the battery dialog
    *OPTION_FIELDS,
    ("within 5 % of the spec's", "within 5 % of the voltage window of the spec's"),
)


def _prose(text: str) -> str:
    for code, shown in _PROSE:
        text = text.replace(code, shown)
    return text


def _in_prose(summary: ResultSummary) -> ResultSummary:
    """``summary`` with '>= 1800 s' as '≥ 1800 s', 'degC' as '°C' in its findings and reason."""
    from dataclasses import replace

    return replace(
        summary,
        items=tuple(_prose(item) for item in summary.items),
        reason=_prose(summary.reason) if summary.reason else summary.reason,
    )
