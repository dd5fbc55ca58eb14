"""The alert banner: unacknowledged critical alerts stay in view, above every page,
until someone acknowledges them (a cleared one included)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from app.diagnostics.alerts import Threshold
from app.diagnostics.alerts.lifecycle import Alert
from app.diagnostics.alerts.metrics import FAULT_PREFIX, metric_info, metric_value_text
from app.diagnostics.faults.text import fault_summary
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
    (``14:03:21  (t = 2000.1 s)``); only ``t = 2000.1 s`` when no wall-clock time is
    known (a log file that does not say when it began)."""
    if wall is None:
        return "" if time_s is None else f"t = {time_s:.1f} s"
    local = wall.astimezone().strftime("%H:%M:%S")
    return local if time_s is None else f"{local}  (t = {time_s:.1f} s)"


def alert_line(alert: Alert) -> str:
    """``Highest cell voltage above 4.2 V: 4.31 V at 14:03:21  (t = 812.0 s) (cleared)``
    (the clock time of the sample: see :class:`~app.diagnostics.alerts.lifecycle.TimeBase`).
    A detected fault reads with its figures as last known (its episode's worst so
    far, never less severe than when raised), then when it was raised:
    ``Fault: internal short, cell 2: up to 15.9 K above its neighbours' median (5-min mean);
    raised at 14:03:21  (t = 630.0 s)``."""
    th = alert.threshold
    state = " (cleared)" if alert.cleared else ""
    if alert.source_ended:  # not seen to clear: no longer watched
        state = " (up when its source ended)"
    if alert.cleared and alert.withdrawn:  # a runaway alarm later put down to a short
        state = f" (withdrawn: {alert.withdrawn})"
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
        row.addWidget(self.title)
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

        def line(alert: Alert, short: bool) -> str:
            source = sources.get(alert.key)
            if not source or source == current_source:
                return alert_line(alert)
            name = source_name(source) if short else source
            return f"{alert_line(alert)} · of an earlier source, {name}"

        lead = alerts[0]
        if lead.key != self.key:
            self.comment.clear()
        self.key = lead.key
        more = f"  (+{len(alerts) - 1} more)" if len(alerts) > 1 else ""
        # a cleared alarm stays until acknowledged ("(cleared)" in its line), but the
        # pack is not in a critical state now; one up when its source ended was last
        # seen critical, and nobody knows better now
        self.title.setText(
            "UNACKNOWLEDGED" if lead.cleared and not lead.source_ended else "CRITICAL"
        )
        self.full_text = line(lead, short=True) + more
        # the tooltip and All alerts have it whole
        self.text.set_full_text(self.full_text, "\n".join(line(a, short=False) for a in alerts))

    def _on_ack_clicked(self) -> None:
        if self.key is not None:
            self.acknowledge_requested.emit(self.key, self.comment.text().strip())
