"""The alert banner: unacknowledged critical alerts stay in view, above every page,
until someone acknowledges them (a cleared one included)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.number_text import recording_time_text
from app.diagnostics.alerts import Threshold
from app.diagnostics.alerts.lifecycle import Alert
from app.diagnostics.alerts.metrics import FAULT_PREFIX, metric_info, metric_value_text
from app.diagnostics.faults.text import channel_text, fault_summary, fault_values
from app.views.fitted_label import FittedLabel
from app.views.source_names import source_name


def _is_fault(th: Threshold) -> bool:
    return th.metric.startswith(FAULT_PREFIX)


def rule_text(th: Threshold) -> str:
    """The rule for people: ``Highest temperature above 60 °C for 2 s`` (a fault's:
    ``Fault: internal short``); :meth:`Threshold.words` has the whole rule."""
    if _is_fault(th):
        return metric_info(th.metric).label
    return th.words(full=False)


def value_text(th: Threshold, value: float, fault: dict | None = None) -> str:
    """A metric value with its unit (``61.2 °C``); for a detected fault what the
    detector measured of it (``cell 2: self-discharge 0.349 A, up to 3.1 K
    warmer than its neighbours``; ``detected`` when it says nothing)."""
    if _is_fault(th):
        return fault_text(fault)
    return metric_value_text(th.metric, value)


def fault_text(fault: dict | None) -> str:
    """A detected fault's channel and numbers, as the Diagnostics page words them."""
    return fault_summary(fault) or "detected"


def stored_value_text(metric: str, value: float | None, detail: str | None) -> str:
    """An alert's value as stored in the history, shown as :func:`value_text` shows
    a live one: a fault's stored detail (``detected`` when it has none: rows stored
    before the detail was kept), else the value with its unit."""
    if metric.startswith(FAULT_PREFIX):
        return detail or "detected"
    if value is None:
        return ""
    return metric_value_text(metric, value)


def time_text(time_s: float | None, wall: datetime | None) -> str:
    """When an alert was raised or cleared, as the Alerts page shows it: the local
    wall-clock time of the sample (``14:03:21``) and its time in the recording
    (``14:03:21  (t = 33:20.1)``, see :func:`recording_time_text`); only
    ``t = 33:20.1`` when no wall-clock time is known (a log file that does not say
    when it began)."""
    if wall is None:
        return "" if time_s is None else recording_time_text(time_s)
    local = wall.astimezone().strftime("%H:%M:%S")
    return local if time_s is None else f"{local}  ({recording_time_text(time_s)})"


def _state_text(alert: Alert) -> str:
    """``(cleared)``, ``(up when its source ended)``, ``(withdrawn: why)``, or ''."""
    if alert.cleared and alert.withdrawn:  # a runaway alarm later put down to a short
        return f"(withdrawn: {alert.withdrawn})"
    if alert.source_ended:  # not seen to clear: no longer watched
        return "(up when its source ended)"
    return "(cleared)" if alert.cleared else ""


def alert_line(alert: Alert) -> str:
    """``Highest cell voltage above 4.2 V: 4.31 V at 14:03:21  (t = 13:32.0) (cleared)``
    (the clock time of the sample: see :class:`~app.diagnostics.alerts.lifecycle.TimeBase`).
    A detected fault reads with its figures as last known (its episode's worst so
    far, never less severe than when raised), then when it was raised:
    ``Fault: internal short, cell 2: up to 15.9 K above its neighbours' median (5-min mean);
    raised at 14:03:21  (t = 10:30.0)``."""
    th = alert.threshold
    state = _state_text(alert)
    state = f" {state}" if state else ""
    wall = alert.time_base.clock(alert.raised_time_s, alert.raised_at)
    at = f"at {time_text(alert.raised_time_s, wall)}{state}"
    if _is_fault(th):
        what = fault_text(alert.latest_fault or alert.fault)
        return (
            f"{rule_text(th)} {at}"
            if what == "detected"
            else f"{rule_text(th)}, {what}; raised {at}"
        )
    return f"{rule_text(th)}: {value_text(th, alert.value)} {at}"


def banner_lines(alert: Alert, source: str | None = None) -> list[str]:
    """An alert's line for the banner, then shorter forms of it for a narrow window:
    what matters most first, what matters least dropped first. What and where (the
    rule, a fault's cell, a limit's value) and its state, the earlier ``source`` it is
    of (if any), when it was raised, then a fault's figures: ``Fault: thermal runaway
    onset, cell 2 (up when its source ended) · raised at 14:03:21  (t = 10:25.0) · at
    25.8 °C when found, peak 697.0 °C``; the shorter forms drop the figures (the first
    is the line itself when it has none), the time in the recording, the time.

    (:func:`alert_line` reads in sentence order, its state last: at 1024 px the banner
    cut a runaway alarm's line inside its figures, its state and time lost.)"""
    th = alert.threshold
    if _is_fault(th):
        fault = alert.latest_fault or alert.fault or {}
        where = channel_text(fault.get("channel"))
        what = f"{rule_text(th)}, {where}" if where else rule_text(th)
        figures = fault_values(fault) if fault else ""
    else:
        what = f"{rule_text(th)}: {value_text(th, alert.value)}"
        figures = ""
    state = _state_text(alert)
    head = [f"{what} {state}" if state else what]
    if source:
        head.append(f"of an earlier source, {source}")
    wall = alert.time_base.clock(alert.raised_time_s, alert.raised_at)
    when = f"raised at {time_text(alert.raised_time_s, wall)}"
    short_when = f"raised at {time_text(None if wall else alert.raised_time_s, wall)}"
    forms = [
        [*head, when, figures],
        [*head, when],
        [*head, short_when],
        head,  # (cut at its end if need be: an earlier source's alert says so)
    ]
    lines: list[str] = []
    for i, form in enumerate(forms):
        line = " · ".join(p for p in form if p)
        # the first shorter form kept even when it is the line (no figures): the banner
        # cuts the line with '…' only where it keeps all of that form, so never inside
        # the time ('(t = 2…' at 1100 px, an over-voltage alert of the Neware export)
        if line not in lines or i == 1:
            lines.append(line)
    return lines


#: The most lines the banner's alert takes (a window of 700 px keeps its plots).
BANNER_LINES = 2


class AlertBanner(QFrame):
    """Shows the leading unacknowledged critical alert (see
    :meth:`~app.diagnostics.alerts.lifecycle.AlertBoard.banner`) and how many there are."""

    acknowledge_requested = Signal(int, str)  #: alert key, comment
    show_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="alertBanner")
        self.key: int | None = None
        self.full_text = ""  #: the lead alert's line, uncut
        self.title = QLabel(objectName="alertBannerTitle")
        #: how many more alerts are on the banner, under its title: beside the line,
        #: never cut off its end
        self.more = QLabel(objectName="alertBannerMore")
        # the alert's line wraps rather than widening the window past a small screen, in
        # at most BANNER_LINES lines (a short's figures took five at 1024 px and pushed the
        # cell plot below the fold), and the comment field keeps room to read its hint
        self.text = FittedLabel(objectName="alertBannerText", max_lines=BANNER_LINES)
        self.text.setMinimumWidth(120)
        self.comment = QLineEdit(placeholderText="comment (optional)")
        self.comment.setMinimumWidth(
            self.comment.fontMetrics().horizontalAdvance(self.comment.placeholderText()) + 24
        )
        self.comment.setMaximumWidth(260)
        self.ack_button = QPushButton("Acknowledge")
        self.show_button = QPushButton("All alerts")
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 3, 10, 3)
        heading = QVBoxLayout()
        heading.setSpacing(0)
        heading.addStretch(1)
        heading.addWidget(self.title)
        heading.addWidget(self.more)
        heading.addStretch(1)
        row.addLayout(heading)
        row.addWidget(self.text, 1)
        row.addWidget(self.comment)
        row.addWidget(self.ack_button)
        row.addWidget(self.show_button)
        self.ack_button.clicked.connect(self._on_ack_clicked)
        self.comment.returnPressed.connect(self._on_ack_clicked)
        self.show_button.clicked.connect(self.show_requested)
        self.show_alerts([])

    def show_alerts(
        self,
        alerts: list[Alert],
        sources: dict[int, str | None] | None = None,
        current_source: str | None = None,
    ) -> None:
        """``alerts``: the board's banner list, its lead first. Hidden when empty.

        ``sources``: the source each alert was raised on; an alert of another source
        than ``current_source`` (the one on the dashboard now) names its own: it stays
        until acknowledged, over a pack it is not about."""
        self.setVisible(bool(alerts))
        if not alerts:
            self.key = None
            return
        sources = sources or {}

        def other_source(alert: Alert) -> str | None:
            source = sources.get(alert.key)
            return None if source == current_source else source

        lead = alerts[0]
        if lead.key != self.key:
            self.comment.clear()
        self.key = lead.key
        self.more.setText(f"+{len(alerts) - 1} more" if len(alerts) > 1 else "")
        self.more.setVisible(len(alerts) > 1)
        # a cleared alarm stays until acknowledged ("(cleared)" in its line), but the
        # pack is not in a critical state now; one up when its source ended was last
        # seen critical, and nobody knows better now
        self.title.setText(
            "UNACKNOWLEDGED" if lead.cleared and not lead.source_ended else "CRITICAL"
        )
        source = other_source(lead)
        full, *shorter = banner_lines(lead, source_name(source) if source else None)
        self.full_text = full
        # the tooltip has them all whole, an earlier source's URL whole too
        tip = "\n".join(banner_lines(a, other_source(a))[0] for a in alerts)
        self.text.set_full_text(full, tip, shorter=shorter)

    def _on_ack_clicked(self) -> None:
        if self.key is not None:
            self.acknowledge_requested.emit(self.key, self.comment.text().strip())
