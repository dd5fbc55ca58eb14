"""What a report says: the analysis of one log or recording, and who made it when."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from app.core.number_text import (
    column_decimals,
    column_text,
    number_text,
    recording_time_text,
)
from app.diagnostics.alerts.metrics import (
    FAULT_PREFIX,
    metric_label,
    metric_value_text,
)
from app.diagnostics.cycles import net_differs
from app.diagnostics.faults.text import channel_text, fault_values, kind_text
from app.reports.verdicts import Finding, Verdict, findings, overall, per_cycle_table

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from app.diagnostics.alerts.lifecycle import Alert


def cycle_table_capacity(report: dict) -> str | None:
    """The capacity a per-cycle table's results rest on, and whose it is (the lifetime
    diagnostics' reference: the --capacity-ah given, else the first cycles'); None for
    a log of samples, whose battery says. A chemistry preset's capacity is no one's."""
    r = report["results"]
    if r.get("soc") is not None:  # samples: the SOC is always estimated
        return None
    life = r.get("cycle_life") or {}
    ref = life.get("reference_capacity_ah")
    if ref is None:
        return "capacity not given"
    if life.get("reference_source") == "initial_cycles":
        return f"{ref:.4g} Ah, the first cycles' capacity (no --capacity-ah)"
    return f"{ref:.4g} Ah (given)"


@dataclass
class ReportContent:
    """Everything a report writer needs; writers only lay it out.

    ``report`` is the ``analyze --json`` object (DESIGN.md keys); ``frame`` the
    samples (None for a per-cycle table); ``alerts`` the alert episodes of the
    recording with their acknowledgements, as plain dicts.
    """

    report: dict
    frame: pd.DataFrame | None = None
    timeseries: dict[str, np.ndarray] = field(default_factory=dict)
    alerts: list[dict] = field(default_factory=list)
    user: str | None = None
    #: the alerts are of a live session or a recording (else a file: none are recorded)
    alerts_recorded: bool = False
    title: str = "Battery test report"
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    start_utc: str | None = None

    @property
    def findings(self) -> list[Finding]:
        return findings(self.report)

    @property
    def overall(self) -> Verdict:
        return overall(self.findings)

    @property
    def spec(self) -> dict | None:
        return self.report.get("spec")

    def time_span(self) -> str:
        """The span the data covers, in words."""
        if self.frame is not None and len(self.frame):
            t = self.frame["time_s"]
            seconds = float(t.iloc[-1] - t.iloc[0])
            text = f"{_duration_text(seconds)} ({len(self.frame):,} samples)"
            return f"from {start_text(self.start_utc)}, {text}" if self.start_utc else text
        cycles = self.report.get("cycles") or []
        if cycles:
            return f"cycles {cycles[0]['cycle_index']}–{cycles[-1]['cycle_index']} ({len(cycles)} cycles)"
        return "n/a"

    def cover_rows(self) -> list[tuple[str, str]]:
        """(label, value) of the cover: battery spec, source, time span, user."""
        spec = self.spec
        capacity = cycle_table_capacity(self.report)
        if spec and spec.get("chemistry"):
            # (a per-cycle table's capacity is the one its results rest on, said below)
            per_cell = f"{spec['capacity_ah']:g} Ah per cell" if capacity is None else capacity
            battery = (
                f"{spec.get('name') or spec['chemistry']}: {spec['chemistry']}, "
                f"{spec['series_cells']}s{spec['parallel_strings']}p, {per_cell}"
            )
            limits = (
                f"cell {spec['cell_v_min']:g}–{spec['cell_v_max']:g} V; charge "
                f"{spec['max_charge_current_c']:g}C at "
                f"{spec['charge_temp_min_c']:g}–{spec['charge_temp_max_c']:g} °C, discharge "
                f"{spec['max_discharge_current_c']:g}C at "
                f"{spec['discharge_temp_min_c']:g}–{spec['discharge_temp_max_c']:g} °C"
            )
        else:
            battery, limits = f"not given (per-cycle table); {capacity}", "n/a"
        rows = [
            ("Battery", battery),
            ("Limits", limits),
            ("Source", str(self.report.get("source"))),
            ("Time span", self.time_span()),
            ("Prepared by", self.user or "n/a"),
            ("Generated", self.generated_at.strftime("%Y-%m-%d %H:%M UTC")),
            ("Overall", self.overall.value.upper()),
        ]
        # on the cover, first: the findings below do not hold where they say (the
        # warnings analyze prints, the reversed current's first)
        return [("Warning", w) for w in self.report.get("warnings") or ()] + rows

    def cycle_rows(self) -> tuple[list[str], list[list]]:
        """Header and rows of the per-cycle table (the columns that have data)."""
        cycles = self.report.get("cycles") or []
        wanted = [
            ("cycle_index", "cycle", "g"),
            ("charge_capacity_ah", "charge Ah", ".4g"),
            ("discharge_capacity_ah", "discharge Ah", ".4g"),
            ("net_discharge_capacity_ah", "net discharge Ah", ".4g"),
            ("coulombic_efficiency", "CE", ".4f"),
            ("charge_energy_wh", "charge Wh", ".4g"),
            ("discharge_energy_wh", "discharge Wh", ".4g"),
            ("energy_efficiency", "EE", ".4f"),
            ("mean_temperature_c", "mean °C", ".1f"),
        ]
        # the net discharge where it is not the discharge (a drive's braking, charge pulses)
        if not any(net_differs(c) for c in cycles):
            wanted = [w for w in wanted if w[0] != "net_discharge_capacity_ah"]
        present = [w for w in wanted if any(c.get(w[0]) is not None for c in cycles)]
        header = [w[1] for w in present]
        # (float dust as 0: a cycle's charge summed to 4.411e-11 Ah is none)
        # the capacities and energies in fixed decimals, a column's alike (".4g" printed
        # "0.3278" over "0.327" over "0.295"): 4 significant digits of its largest
        decimals = {
            key: column_decimals(c.get(key) for c in cycles)
            for key, _, fmt in present
            if fmt == ".4g"
        }
        rows = [
            [
                column_text(c.get(key), decimals[key], missing="")
                if key in decimals
                else number_text(c.get(key), fmt, missing="")
                for key, _, fmt in present
            ]
            for c in cycles
        ]
        # which are no complete cycle (their capacity no capacity measurement: an HPPC
        # test's SOC steps, numbered as cycles, read as "cycles" of 10 % of the capacity)
        if any(c.get("partial") is True for c in cycles):
            header.append("partial")
            for row, c in zip(rows, cycles, strict=True):
                row.append("yes" if c.get("partial") is True else "")
        return header, rows

    def fault_rows(self, *, words: bool = False) -> tuple[list[str], list[list]]:
        """Header and rows of the Faults table: the ``analyze --json`` kind and channel
        (the workbook's and the CSV's, for machines), or with ``words`` as the window
        words them (the PDF's and the HTML's, for people: ``internal short``, ``cell 2``,
        not ``internal_short``, ``cell_2_v``)."""
        faults = self.report["results"].get("faults") or []
        header = ["kind", "severity", "channel", "start (s)", "end (s)", "detail"]
        kind, channel = (kind_text, channel_text) if words else (str, lambda c: c or "")
        rows = [
            [
                kind(f["kind"]),
                f["severity"],
                channel(f["channel"]),
                f"{f['start_time_s']:g}",
                "" if f["end_time_s"] is None else f"{f['end_time_s']:g}",
                fault_values(f),  # as the window words it
            ]
            for f in faults
        ]
        return header, rows

    def no_faults_text(self) -> str:
        """What the fault section says when it has no rows: a per-cycle table's empty list
        is no clean bill (no samples were looked at), as its summary row says."""
        if per_cycle_table(self.report["results"]):
            return "A per-cycle table has no samples: faults were not looked for."
        return "No faults were detected."

    def no_alerts_text(self) -> str:
        """What the alert section says when it has no rows."""
        if self.alerts_recorded:
            return "No alerts were raised."
        return (
            "Alerts are recorded from live sources and recordings, not from a log file: "
            "this log's limit events and faults are under Safety limits and Faults "
            "(`batteryos alerts evaluate FILE` replays the alert rules over it)."
        )

    def alert_rows(self) -> tuple[list[str], list[list]]:
        """One row an alert: its value when raised and its episode's worst (a detected
        fault's figures in words), as the History page heads them."""
        header = [
            "raised",
            "severity",
            "metric",
            "at raise",
            "worst",
            "cleared",
            "acknowledged by",
            "comment",
        ]
        rows = [
            [
                _alert_time(a.get("raised_at"), a.get("raised_time_s")),
                str(a.get("severity") or ""),
                metric_label(str(a.get("metric") or "")),
                _alert_value(a, "value", "detail"),
                _alert_value(a, "worst_value", "worst_detail"),
                # a runaway alarm the detector put down to a short says so, not 'cleared'
                (f"withdrawn: {a['withdrawn']}; " if a.get("withdrawn") else "") + _cleared_text(a),
                " ".join(
                    x
                    for x in (
                        str(a.get("acknowledged_by") or ""),
                        str(a.get("acknowledged_at") or ""),
                    )
                    if x
                ),
                str(a.get("comment") or ""),
            ]
            for a in self.alerts
        ]
        return header, rows


def start_text(start_utc: str) -> str:
    """When a log began, as the cover gives it: ``2026-12-06 06:20:51 UTC`` (its
    metadata's ISO time, ``2026-12-06T06:20:51.306250+00:00``, read as it is where it
    is no ISO time)."""
    try:
        start = datetime.fromisoformat(start_utc)
    except (TypeError, ValueError):
        return str(start_utc)
    if start.tzinfo is None:  # (the metadata's times are UTC)
        start = start.replace(tzinfo=UTC)
    return start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def live_alert_row(alert: Alert) -> dict:
    """A live alert episode (the window's alert board) as a report row: the same keys
    as a stored one (``batteryos report`` on a recording), times in UTC."""

    def when(at: datetime | None) -> str | None:
        return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if at else None

    detail, worst_detail = alert.details
    return {
        "raised_at": when(alert.raised_at),
        "severity": alert.severity.value,
        "metric": alert.metric,
        "value": alert.value,
        "detail": detail,
        "worst_value": alert.worst_value,
        "worst_detail": worst_detail or detail,
        "cleared_at": when(alert.cleared_at),
        "raised_time_s": alert.raised_time_s,
        "cleared_time_s": alert.cleared_time_s,
        "withdrawn": alert.withdrawn,
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": when(alert.acknowledged_at),
        "comment": alert.comment,
    }


def _alert_time(at: str | None, time_s: float | None) -> str:
    """When an alert was raised or cleared: the clock, and the time into the samples
    as the plots' time axes and the Alerts page write it (``t = 13:00.0``, not
    ``t = 780 s``: :func:`~app.core.number_text.recording_time_text`)."""
    if not at:
        return ""
    return str(at) if time_s is None else f"{at} ({recording_time_text(time_s)})"


def _cleared_text(alert: dict) -> str:
    """When the alert cleared; one still up when its source ended says so (it was
    stored as cleared then, with no time in the samples: see ``state_text``)."""
    at, time_s = alert.get("cleared_at"), alert.get("cleared_time_s")
    if at and time_s is None:
        return f"up when its source ended, {at}"
    return _alert_time(at, time_s)


def _alert_value(alert: dict, value_key: str, detail_key: str) -> str:
    """An alert's value (``value`` at raise or ``worst_value``) with its unit, or a
    detected fault's figures in words when stored (``detail``/``worst_detail``; a fault
    rule's value, 1, says only "detected")."""
    metric = str(alert.get("metric") or "")
    if metric.startswith(FAULT_PREFIX):
        return str(alert.get(detail_key) or "detected")
    value = alert.get(value_key)
    if value is None:
        return ""
    return metric_value_text(metric, float(value))


def _duration_text(seconds: float) -> str:
    """'27 h 55 min', '17 min 03 s', '0.808 s': a CAN capture of 0.8 s read '0 h 00 min'."""
    if seconds < 60:
        return f"{seconds:.3g} s"
    whole = int(round(seconds))
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    hours, rest = divmod(whole, 3600)
    return f"{hours} h {rest // 60:02d} min"
