"""Pass / warn / fail for each diagnostic, against the battery's limits.

The thresholds are the ones a test engineer reads a report with: end of life
at 80 % SOH (IEC 62660-1 / USABC), resistance doubling as end of life, the
chemistry's temperature window (from the spec), and the severities the
diagnostics themselves give (safety, cell balance, capacity fade, faults).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.core.eol_interval_text import eol_interval_text
from app.core.number_text import counted, limit_event_pair
from app.core.resistance_text import resistance_text
from app.diagnostics.cell_balance import (
    balance_verdict,
    judged_spread_text,
    suspect_cell_readings,
    suspect_cells_text,
)
from app.diagnostics.faults.text import channel_text, kind_text
from app.diagnostics.pulse_detection import NO_PULSES_REASON
from app.diagnostics.resistance_readout import headline_resistances, unphysical_note


class Verdict(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    NOT_APPLICABLE = "n/a"


@dataclass(frozen=True)
class Finding:
    """One line of the report's summary."""

    diagnostic: str  #: the DESIGN.md result key
    title: str
    verdict: Verdict
    summary: str  #: the figure and why it got its verdict, in one sentence


SOH_WARN_PERCENT = 85.0
SOH_FAIL_PERCENT = 80.0
RESISTANCE_WARN_RATIO = 1.5
RESISTANCE_FAIL_RATIO = 2.0
BMS_SOC_WARN_PCT = 3.0
BMS_SOC_FAIL_PCT = 8.0
#: An SOC whose final band (2 sigma) is wider than this is not pinned down: a warning
#: (a short log, or one that never rests nor leaves a flat stretch of the OCV curve)
SOC_BAND_WARN_PCT = 10.0

_SEVERITY = {
    "ok": Verdict.PASS,
    "info": Verdict.PASS,
    "warning": Verdict.WARN,
    "critical": Verdict.FAIL,
}


def _num(value, fmt: str = ".3g", unit: str = "") -> str:
    from app.core.number_text import number_text

    return number_text(value, fmt, unit)


def _soc(r: dict) -> Finding:
    title = "State of charge"
    if r is None:
        return Finding("soc", title, Verdict.NOT_APPLICABLE, "no samples")
    from app.diagnostics.soc import (
        bms_check_inconclusive,
        bms_check_text,
        bms_judged_rms,
        soc_undetermined_text,
        start_soc_text,
    )

    start, how = start_soc_text(r)
    text = (
        f"{start} to {_num(r['final_soc_percent'], '.1f', ' %')} "
        f"(final ±{_num(2 * (r.get('final_soc_sigma_percent') or 0), '.1f', ' %')}, 2σ)"
        + (f" ({how})" if how else "")
        # what the figures leave out, as analyze prints it (the time gaps not counted)
        + "".join(f"; {note}" for note in r.get("notes") or ())
    )
    band = 2 * (r.get("final_soc_sigma_percent") or 0.0)
    wide = band > SOC_BAND_WARN_PCT
    if undetermined := soc_undetermined_text(r):
        # as the window's card and the CLI: no SOC, not only a loose one
        text += f"; {undetermined}"
    elif wide:
        text += (
            f"; not pinned down (wider than ±{SOC_BAND_WARN_PCT:g} %): the log gives the "
            "filter too little to go on (too short, no rest, or on a flat stretch of the OCV)"
        )
    rms = bms_judged_rms(r)
    if rms is None:
        verdict = Verdict.WARN if wide else Verdict.PASS
        return Finding("soc", title, verdict, text + "; no BMS SOC to cross-check")
    if bms_check_inconclusive(r):  # our own band holds the difference: no case against the BMS
        verdict = Verdict.WARN if wide else Verdict.PASS
    elif rms > BMS_SOC_FAIL_PCT:
        verdict = Verdict.FAIL
    elif rms > BMS_SOC_WARN_PCT or wide:
        verdict = Verdict.WARN
    else:
        verdict = Verdict.PASS
    return Finding("soc", title, verdict, f"{text}; {bms_check_text(r)}")


def soh_limits(eol_fraction: float | None) -> tuple[float, float]:
    """(fail, warn) SOH percentages at the end of life ``eol_fraction`` (``--eol-fraction``,
    the cycle-life result's; None: the default 0.8): fail below it, warn within
    :data:`SOH_WARN_PERCENT` - :data:`SOH_FAIL_PERCENT` above it (80 and 85 % by default)."""
    fail = SOH_FAIL_PERCENT if eol_fraction is None else 100.0 * eol_fraction
    return fail, fail + (SOH_WARN_PERCENT - SOH_FAIL_PERCENT)


def _soh(r: dict, eol_fraction: float | None = None) -> Finding:
    """The SOH row; its end of life the one cycle life and the fade judge by
    (``eol_fraction``): at --eol-fraction 0.7 a 72.8 % cell read "end of life below
    80 %", FAIL, beside cycle life's "end of life (70 % capacity) ... 12 cycles left"."""
    title = "State of health"
    soh = r.get("soh_percent") if r else None
    by_resistance = r.get("soh_resistance_percent") if r else None
    if soh is None and by_resistance is not None:
        # no capacity measured: the resistance speaks, as in the text summary and on the
        # window's card ("88.4 % by resistance"), judged as the resistance row judges it
        return _soh_by_resistance(r, by_resistance)
    if soh is None:
        text = "no full cycle or OCV pair to measure capacity"
        # and why the resistance, measured, gives none either (a reference refused)
        why = next(
            (n for n in (r or {}).get("notes") or () if n.startswith("no resistance SOH")), None
        )
        return Finding("soh", title, Verdict.NOT_APPLICABLE, f"{text}; {why}" if why else text)
    fail, warn = soh_limits(eol_fraction)
    verdict = Verdict.FAIL if soh < fail else Verdict.WARN if soh < warn else Verdict.PASS
    also = f"; by resistance {by_resistance:.1f} %" if by_resistance is not None else ""
    return Finding(
        "soh",
        title,
        verdict,
        f"{soh:.1f} % ({r.get('soh_method')}); end of life below {fail:g} %{also}",
    )


def _resistance_verdict(soh: dict) -> tuple[Verdict, float | None, str | None]:
    """The verdict of the SOH's resistance now to its beginning of life (fail at
    :data:`RESISTANCE_FAIL_RATIO`, warn at :data:`RESISTANCE_WARN_RATIO`), the ratio and,
    without one to judge by, why: PASS, None and the SOH's note when it has no two
    resistances or refused to compare them (a per-cycle table of too few cycles, a
    reference contradicted by the measurement: a chemistry's typical cell this one is
    not, or another quantity)."""
    r_now, r_bol = soh.get("resistance_ohm"), soh.get("bol_resistance_ohm")
    if not r_now or not r_bol:
        return Verdict.PASS, None, None
    if soh.get("soh_resistance_percent") is None:
        notes = soh.get("notes") or ()
        return (
            Verdict.PASS,
            None,
            next((n for n in notes if n.startswith("no resistance SOH")), None),
        )
    ratio = r_now / r_bol
    verdict = (
        Verdict.FAIL
        if ratio >= RESISTANCE_FAIL_RATIO
        else Verdict.WARN
        if ratio >= RESISTANCE_WARN_RATIO
        else Verdict.PASS
    )
    return verdict, ratio, None


def _soh_by_resistance(r: dict, percent: float) -> Finding:
    """The SOH of the resistance alone (no capacity measured): 100 % new, 0 % at the end
    of life resistance; the verdict that of the ratio to new (the resistance row's)."""
    r_now, r_bol = r.get("resistance_ohm"), r.get("bol_resistance_ohm")
    verdict, ratio, _why = _resistance_verdict(r)
    text = f"{percent:.1f} % by resistance (no full cycle or OCV pair to measure capacity)"
    if ratio is not None:
        metric = r.get("resistance_metric") or "resistance per cell"
        source = r.get("bol_resistance_source")
        text += (
            f"; {metric} {resistance_text(r_now)} is {ratio:.2f}× new ({resistance_text(r_bol)}"
            + (f", {source})" if source else ")")
        )
    return Finding("soh", "State of health", verdict, text)


def _table_resistance(soh: dict | None) -> Finding:
    """A per-cycle table's resistance column, as logged, judged by its ratio to the
    table's first cycles as a pulse resistance is to its beginning of life."""
    from app.diagnostics.cycle_table_health import table_resistance_text

    title = "Internal resistance"
    text = table_resistance_text(soh, resistance_text)
    if text is None:
        return Finding(
            "internal_resistance",
            title,
            Verdict.NOT_APPLICABLE,
            "a per-cycle table: no samples to find current pulses in, and no resistance column",
        )
    verdict, _ratio, why = _resistance_verdict(soh)
    return Finding("internal_resistance", title, verdict, f"{text}; {why}" if why else text)


def _resistance(ir: dict, soh: dict | None, sign_reversed: bool) -> Finding:
    title = "Internal resistance"
    if not ir or not ir.get("n_pulses"):
        reason = (ir or {}).get("no_pulses_reason") or NO_PULSES_REASON
        return Finding("internal_resistance", title, Verdict.NOT_APPLICABLE, reason)
    shown = headline_resistances(ir)
    n = ir["n_pulses"]
    readings = [f"{m.label} {resistance_text(m.cell_ohm)} per cell" for m in shown]
    if note := unphysical_note(ir, sign_reversed):
        readings.append(note)
    text = f"{n} pulse{'' if n == 1 else 's'}, " + (", ".join(readings) or "none gave a resistance")
    if note:
        return Finding("internal_resistance", title, Verdict.WARN, text)
    verdict, ratio, why = _resistance_verdict(soh or {})
    if ratio is None:
        return Finding("internal_resistance", title, verdict, f"{text}; {why}" if why else text)
    r_now, r_bol = soh["resistance_ohm"], soh["bol_resistance_ohm"]
    # the ratio is the SOH's quantity (its metric, at the reference temperature when
    # corrected), named: not necessarily the one listed first
    metric = soh.get("resistance_metric") or "resistance per cell"
    factor = soh.get("resistance_temperature_factor")
    if factor is not None and factor != 1.0:
        metric += f" at {soh.get('resistance_reference_temperature_c') or 25.0:g} °C"
    if (soh.get("resistance_sampling_factor") or 1.0) > 1.0:
        metric += " at the steps' instants"  # (steps seen late, between samples)
    return Finding(
        "internal_resistance",
        title,
        verdict,
        f"{text}; {metric} {resistance_text(r_now)} is {ratio:.2f}× beginning of life "
        f"({resistance_text(r_bol)})",
    )


def _fade(r: dict) -> Finding:
    title = "Capacity fade"
    if r and r.get("status") == "no_fade":
        from app.diagnostics.capacity_fade import fade_severity_note, retention_basis

        text = (
            f"retention {100 * r['capacity_retention']:.1f} % ({retention_basis(r)}); {r['reason']}"
        )
        if note := fade_severity_note(r):
            text += f"; {note}"
        verdict = _SEVERITY.get(str(r.get("severity")), Verdict.PASS)
        return Finding("capacity_fade", title, verdict, text)
    if not r or r.get("status") != "ok":
        reason = (r or {}).get("reason") or "no per-cycle capacities"
        return Finding("capacity_fade", title, Verdict.NOT_APPLICABLE, reason)
    from app.diagnostics.capacity_fade import fade_severity_note, retention_basis

    knee = (r.get("knee") or {}).get("knee_point_cycle")
    note = fade_severity_note(r)
    text = (
        f"retention {100 * r['capacity_retention']:.1f} % ({retention_basis(r)}) "
        f"over cycles {r['first_cycle']:g}–{r['last_cycle']:g}, "
        f"model {r['selected_model']}"
        + (f", knee at cycle {knee:g}" if knee is not None else "")
        # (the end of life of the cycle-life row: its fraction, --eol-fraction)
        + (f"; {note}" if note and not note.startswith("knee") else "")
    )
    return Finding(
        "capacity_fade", title, _SEVERITY.get(str(r.get("severity")), Verdict.PASS), text
    )


def _balance(r: dict, faults=None) -> Finding:
    title = "Cell balance"
    if not r or (r.get("status") == "unknown" and r.get("spread_max_mv") is None):
        why = (r or {}).get("recommendation") or "no cell voltages in the data"
        return Finding("cell_balance", title, Verdict.NOT_APPLICABLE, why)
    spread = f"{judged_spread_text(r)}, max {_num(r.get('spread_max_mv'), '.1f', ' mV')}"
    suspect = suspect_cell_readings(faults)
    if suspect:  # (as the window's card: no advice to balance on a suspect reading)
        return Finding(
            "cell_balance",
            title,
            Verdict.WARN,
            f"suspect reading: {suspect_cells_text(suspect)}; {spread} is not a reason to "
            "balance: check the sense wire and the measurement first",
        )
    # (as the CLI and the window's card: a cell with an internal short is to check or
    # replace, not to balance)
    status, _, advice = balance_verdict(r, faults)
    # "unknown": the spread measured but not judged (no sample at mid SOC): n/a and why
    verdict = Verdict.NOT_APPLICABLE if status == "unknown" else _SEVERITY.get(status, Verdict.WARN)
    return Finding("cell_balance", title, verdict, f"{spread}; {advice}")


def _safety(r: dict) -> Finding:
    title = "Safety limits"
    if not r:
        return Finding("safety", title, Verdict.NOT_APPLICABLE, "no samples")
    events = r.get("events") or []
    text = counted(len(events), "limit event")
    if events:
        # the worst indeed (the events come by start time: "worst" named the first), with
        # its reading and limit in their unit, as the window's card and the CLI give them
        e = max(events, key=_event_badness)
        worst, limit = limit_event_pair(e["check"], e.get("worst_value"), e.get("limit"))
        text += (
            f", worst: {kind_text(e['check'])} ({channel_text(e['channel'])}) "
            f"{worst} (limit {limit})"
        )
    return Finding("safety", title, _SEVERITY.get(r["status"], Verdict.WARN), text)


_SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}


def _event_badness(e: dict) -> tuple[int, float]:
    """How bad a limit event is: its severity, then how far past its limit it went
    (relative to the limit, so 0.5 V over 4.2 V outranks 1 A over 20 A)."""
    worst, limit = e.get("worst_value"), e.get("limit")
    try:
        over = abs(float(worst) - float(limit)) / max(abs(float(limit)), 1e-9)
    except (TypeError, ValueError):
        over = 0.0
    if over != over:  # NaN
        over = 0.0
    return _SEVERITY_RANK.get(str(e.get("severity")), 0), over


def _thermal(r: dict, spec: dict | None) -> Finding:
    title = "Thermal"
    if not r or r.get("max_temperature_c") is None:
        return Finding("thermal", title, Verdict.NOT_APPLICABLE, "no temperature sensor")
    t_max = r["max_temperature_c"]
    text = (
        f"max {t_max:.1f} °C, rise up to {_num(r.get('max_rise_rate_c_per_min'), '.2f', ' °C/min')}, "
        f"sensor spread {_num(r.get('max_sensor_spread_c'), '.1f', ' K')}"  # a difference
    )
    risk = r.get("runaway_risk_level")
    if risk:
        text += f", runaway risk {risk} ({r['runaway_risk_score']:.0f}/100)"
    by_risk = {"elevated": Verdict.WARN, "high": Verdict.FAIL, "critical": Verdict.FAIL}
    if not spec:
        return Finding("thermal", title, by_risk.get(risk, Verdict.PASS), text)
    hot = spec.get("discharge_temp_max_c")
    warm = spec.get("charge_temp_max_c")
    verdict = (
        Verdict.FAIL
        if (hot is not None and t_max > hot) or by_risk.get(risk) is Verdict.FAIL
        else Verdict.WARN
        if (warm is not None and t_max > warm) or risk == "elevated"
        else Verdict.PASS
    )
    return Finding(
        "thermal", title, verdict, f"{text}; limit {hot:g} °C" if hot is not None else text
    )


def _cycle_life(r: dict) -> Finding:
    title = "Cycle life"
    if not r or r.get("predicted_eol_cycle") is None:
        return Finding(
            "cycle_life", title, Verdict.NOT_APPLICABLE, (r or {}).get("reason") or "no forecast"
        )
    remaining = r.get("remaining_cycles")
    interval = ""
    if r.get("status") != "reached" and r.get("interval_low") is not None:  # observed: none
        span = eol_interval_text(r["interval_low"], r.get("interval_high"), r.get("horizon_cycle"))
        interval = f" ({100 * (r.get('interval_level') or 0.9):.0f} % interval {span})"
    text = (
        f"end of life ({100 * r['eol_fraction']:.0f} % capacity) at cycle {r['predicted_eol_cycle']}"
        f"{interval}, {remaining} cycles left"
    )
    verdict = Verdict.FAIL if remaining is not None and remaining <= 0 else Verdict.PASS
    return Finding("cycle_life", title, verdict, text)


def _faults(faults: list | None) -> Finding:
    title = "Faults"
    if faults is None:
        return Finding("faults", title, Verdict.NOT_APPLICABLE, "no samples")
    if not faults:
        return Finding("faults", title, Verdict.PASS, "none detected")
    kinds = sorted({kind_text(f["kind"]) for f in faults})
    verdict = Verdict.FAIL if any(f["severity"] == "critical" for f in faults) else Verdict.WARN
    return Finding("faults", title, verdict, f"{counted(len(faults), 'fault')}: {', '.join(kinds)}")


def findings(report: dict) -> list[Finding]:
    """The summary of an ``analyze --json`` report, one finding per diagnostic; one whose
    inputs the report's ``invalid_results`` names is at least WARN, and says why."""
    r = report["results"]
    spec = report.get("spec")
    invalid = report.get("invalid_results") or {}
    return [
        _not_valid(f, invalid.get(f.diagnostic))
        for f in (
            _soc(r.get("soc")),
            _soh(r.get("soh"), (r.get("cycle_life") or {}).get("eol_fraction")),
            _table_resistance(r.get("soh"))
            if per_cycle_table(r)
            else _resistance(
                r.get("internal_resistance"),
                r.get("soh"),
                bool((report.get("current_sign") or {}).get("warning")),
            ),
            _fade(r.get("capacity_fade")),
            _balance(r.get("cell_balance"), r.get("faults")),
            _safety(r.get("safety")),
            _thermal(r.get("thermal"), spec),
            _cycle_life(r.get("cycle_life")),
            # a per-cycle table's empty list is no clean bill: no samples were looked at
            _faults(None if per_cycle_table(r) else r.get("faults")),
        )
    ]


def per_cycle_table(results: dict) -> bool:
    """Results of a per-cycle table: a cycle life and no SOC (of samples, always one)."""
    return results.get("soc") is None and results.get("cycle_life") is not None


def _not_valid(finding: Finding, why: str | None) -> Finding:
    """``finding`` of a result whose inputs are not valid (``why``): never PASS."""
    if why is None or finding.verdict is Verdict.NOT_APPLICABLE:
        return finding
    if finding.verdict is Verdict.FAIL:
        # a failure leads with what failed (an overcharge looks like a higher-rated
        # cell until someone says which it was): the doubt follows it
        summary = f"{finding.summary}; judged on inputs that may not hold: {why}, see the warnings"
        return Finding(finding.diagnostic, finding.title, Verdict.FAIL, summary)
    summary = f"not valid for this log: {why}, see the warnings; {finding.summary}"
    return Finding(finding.diagnostic, finding.title, Verdict.WARN, summary)


def overall(items: list[Finding]) -> Verdict:
    verdicts = {f.verdict for f in items}
    for v in (Verdict.FAIL, Verdict.WARN, Verdict.PASS):
        if v in verdicts:
            return v
    return Verdict.NOT_APPLICABLE
