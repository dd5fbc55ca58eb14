"""The History page: past recordings, stored diagnostic results and alert history.

Filters (time range, battery, severity, acknowledged) apply to the tab on
show; the page asks for rows through :attr:`HistoryPage.query_requested` and
draws what it is given (:meth:`HistoryPage.show_rows`), so it never touches
the database itself. "Open in plots" asks for a recording to be shown on the
dashboard (:attr:`HistoryPage.open_recording_requested`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.diagnostics.alerts.lifecycle import state_text
from app.diagnostics.alerts.metrics import FAULT_PREFIX, metric_label
from app.views.alert_banner import stored_value_text
from app.views.alerts_page import COLUMN_TIPS
from app.views.wrapped_columns import ElidedColumnDelegate, wrap_worded_columns

TABS = ("recordings", "diagnostics", "alerts")
#: What a row of each tab is, for the count under the table ("2 recordings", not "2 row(s)")
ROW_NOUNS = {"recordings": "recording", "diagnostics": "diagnostic result", "alerts": "alert"}

#: Period choices: label and length (None: all time; "custom": the two date fields).
PERIODS: tuple[tuple[str, object], ...] = (
    ("Last 24 hours", timedelta(days=1)),
    ("Last 7 days", timedelta(days=7)),
    ("Last 30 days", timedelta(days=30)),
    ("All time", None),
    ("Custom…", "custom"),
)


@dataclass(frozen=True)
class HistoryFilters:
    """What the user filters by; None means "any"."""

    since: datetime | None = None
    until: datetime | None = None
    battery: str | None = None
    severity: str | None = None  # alerts only
    acknowledged: bool | None = None  # alerts only


_COLUMNS = {
    "recordings": ("#", "Started", "Duration", "Source", "Status", "Samples", "Notes"),
    "diagnostics": ("#", "Run at", "Battery", "Diagnostic", "Recording", "By", "Result"),
    "alerts": (
        "#",
        "Raised",
        "Metric",
        "At raise",  # as the Alerts page heads them (COLUMN_TIPS)
        "Worst",
        "Threshold",
        "Severity",
        "State",
        "Acknowledged",
        "Comment",
        "Source",
    ),
}


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def duration_text(seconds: float | None) -> str:
    """A recording's duration, ``h:mm:ss`` ("" when unknown)."""
    if seconds is None:
        return ""
    h, rest = divmod(int(round(seconds)), 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}"


def _result_text(result: dict) -> str:
    scalars = {k: v for k, v in result.items() if isinstance(v, (int, float, str, bool))}
    text = ", ".join(
        f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in scalars.items()
    )
    return text or json.dumps(result)[:200]


def row_cells(tab: str, row) -> list[str]:
    """The texts of one table row."""
    if tab == "recordings":
        return [
            str(row.id),
            _when(row.started_at),
            # the data's first to last sample, not the wall clock's start to end: an
            # imported log "ended" when imported, a fast simulator an hour in 18 s
            duration_text(row.data_span_s),
            row.source_url,
            row.status,
            f"{row.sample_count:,}",
            row.notes,
        ]
    if tab == "diagnostics":
        return [
            str(row.id),
            _when(row.created_at),
            row.battery_name or row.battery_profile,
            row.diagnostic,
            "" if row.recording_id is None else f"#{row.recording_id}",
            row.created_by or "",
            _result_text(row.result),
        ]
    ack = ""
    if row.acknowledged_at is not None:
        ack = f"{_when(row.acknowledged_at)} by {row.acknowledged_by or 'unknown'}"
    fault = row.metric.startswith(FAULT_PREFIX)
    return [
        str(row.id),
        _when(row.raised_at),
        metric_label(row.metric),  # as the Alerts page names it
        # a detected fault's figures in words, as the Alerts page shows them live
        stored_value_text(row.metric, row.value, row.detail),
        stored_value_text(row.metric, row.worst_value, row.worst_detail or row.detail),
        # with its unit, as the values beside it; a fault rule's 0.5 means "detected"
        "" if fault else stored_value_text(row.metric, row.threshold_value, None),
        row.severity,
        state_text(
            row.state,
            acknowledged=row.acknowledged_at is not None,
            critical=row.severity == "critical",
            withdrawn=row.withdrawn,
            source_ended=row.cleared_at is not None and row.cleared_time_s is None,
        ),
        ack,
        row.comment or "",
        row.source_url or "",
    ]


class _HistoryTable(QTableWidget):
    """A table that says, across its empty viewport, why it is empty."""

    def __init__(self, *args):
        super().__init__(*args)
        self.placeholder = "Not loaded yet."
        self.refit = None  # fits the columns to the table's width again

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if self.refit is not None and event.size().width() != event.oldSize().width():
            self.refit()

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.viewport().update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().paintEvent(event)
        if self.rowCount() or not self.placeholder:
            return
        painter = QPainter(self.viewport())
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        box = self.viewport().rect().adjusted(24, 24, -24, -24)
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
        painter.drawText(box, int(flags), self.placeholder)
        painter.end()


class HistoryPage(QWidget):
    """Tabs of past data with filters. Emits what the user asked for."""

    query_requested = Signal(str, object)  #: tab name, HistoryFilters
    open_recording_requested = Signal(int)  #: recording id

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("page")
        self.rows: dict[str, list] = {tab: [] for tab in TABS}
        self._requested: set[str] = set()  # tabs asked for at least once
        title = QLabel("History", objectName="pageTitle")

        bar = QFrame(self, objectName="toolbar")
        self.period_combo = QComboBox()
        for text, value in PERIODS:
            self.period_combo.addItem(text, value)
        self.period_combo.setCurrentIndex(3)  # all time
        now = QDateTime.currentDateTime()
        self.from_edit = QDateTimeEdit(now.addDays(-7), calendarPopup=True)
        self.to_edit = QDateTimeEdit(now.addSecs(3600), calendarPopup=True)
        for edit in (self.from_edit, self.to_edit):
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.battery_edit = QLineEdit(placeholderText="Battery, source or notes")
        self.battery_edit.setClearButtonEnabled(True)
        self.severity_combo = QComboBox()
        for text, value in (("Any severity", None), ("Info", "info"), ("Warning", "warning"),
                            ("Critical", "critical")):  # fmt: skip
            self.severity_combo.addItem(text, value)
        self.ack_combo = QComboBox()
        for text, value in (("Acknowledged or not", None), ("Acknowledged", True),
                            ("Not acknowledged", False)):  # fmt: skip
            self.ack_combo.addItem(text, value)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setProperty("accent", True)
        # two rows, the second only with what applies (the dates of a custom period,
        # the alert filters on their tab): on one row the bar was wider than a small
        # screen, and dates beside "All time" said a range that was not applied
        self.range_box = QWidget()
        dates = QHBoxLayout(self.range_box)
        dates.setContentsMargins(0, 0, 0, 0)
        dates.setSpacing(8)
        for widget in (QLabel("From"), self.from_edit, QLabel("to"), self.to_edit):
            dates.addWidget(widget)
        self.alert_filters = QWidget()
        alert_row = QHBoxLayout(self.alert_filters)
        alert_row.setContentsMargins(0, 0, 0, 0)
        alert_row.setSpacing(8)
        alert_row.addWidget(self.severity_combo)
        alert_row.addWidget(self.ack_combo)
        first = QHBoxLayout()
        first.setSpacing(8)
        first.addWidget(self.period_combo)
        first.addWidget(self.battery_edit, 1)
        first.addWidget(self.refresh_button)
        second = QHBoxLayout()
        second.setSpacing(16)
        second.addWidget(self.range_box)
        second.addWidget(self.alert_filters)
        second.addStretch(1)
        rows = QVBoxLayout(bar)
        rows.setContentsMargins(12, 8, 12, 8)
        rows.setSpacing(8)
        rows.addLayout(first)
        rows.addLayout(second)

        self.tabs = QTabWidget()
        self.tables: dict[str, QTableWidget] = {}
        for tab, label in zip(TABS, ("Recordings", "Diagnostics", "Alert history"), strict=True):
            table = _HistoryTable(0, len(_COLUMNS[tab]))
            table.setHorizontalHeaderLabels(_COLUMNS[tab])
            for col, name in enumerate(_COLUMNS[tab]):
                if tab == "alerts" and name in COLUMN_TIPS:
                    table.horizontalHeaderItem(col).setToolTip(COLUMN_TIPS[name])
                if tab == "recordings" and name == "Duration":
                    table.horizontalHeaderItem(col).setToolTip(
                        "How long the data runs: first to last sample time"
                    )
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            table.verticalHeader().setVisible(False)
            table.horizontalHeader().setStretchLastSection(True)
            table.setAlternatingRowColors(True)
            if tab == "recordings":  # a long URL cut in the middle, whole in its tooltip
                table.setItemDelegateForColumn(
                    _COLUMNS[tab].index("Source"), ElidedColumnDelegate(table)
                )
            table.refit = lambda tab=tab: self._wrap(tab)
            self.tables[tab] = table
            self.tabs.addTab(table, label)

        self.status_label = QLabel("Not loaded yet.", objectName="mutedText", wordWrap=True)
        self.open_button = QPushButton("Open in plots")
        self.open_button.setToolTip("Show the selected recording on the dashboard plots")
        self.open_button.setEnabled(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.open_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(bar)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)

        self.period_combo.currentIndexChanged.connect(self._on_period_changed)
        self.refresh_button.clicked.connect(self.refresh)
        self.battery_edit.returnPressed.connect(self.refresh)
        for combo in (self.severity_combo, self.ack_combo):
            combo.currentIndexChanged.connect(self.refresh)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.open_button.clicked.connect(self._on_open_clicked)
        recordings = self.tables["recordings"]
        recordings.itemSelectionChanged.connect(self._on_selection_changed)
        recordings.cellDoubleClicked.connect(lambda *_: self._on_open_clicked())
        self._on_period_changed()
        self._on_tab_changed(0)

    # --- state ---------------------------------------------------------------------
    @property
    def current_tab(self) -> str:
        return TABS[self.tabs.currentIndex()]

    def set_tab(self, tab: str) -> None:
        self.tabs.setCurrentIndex(TABS.index(tab))

    def filters(self, now: datetime | None = None) -> HistoryFilters:
        """The filters as the controls say."""
        period = self.period_combo.currentData()
        since = until = None
        if period == "custom":
            since = self.from_edit.dateTime().toPython().astimezone(UTC)
            until = self.to_edit.dateTime().toPython().astimezone(UTC)
        elif isinstance(period, timedelta):
            since = (now or datetime.now(UTC)) - period
        alerts = self.current_tab == "alerts"
        return HistoryFilters(
            since=since,
            until=until,
            battery=self.battery_edit.text().strip() or None,
            severity=self.severity_combo.currentData() if alerts else None,
            acknowledged=self.ack_combo.currentData() if alerts else None,
        )

    def refresh(self) -> None:
        """Ask for the rows of the current tab with the current filters."""
        self.status_label.setObjectName("mutedText")
        self.status_label.setText("Loading…")
        self._repolish(self.status_label)
        self._requested.add(self.current_tab)
        self.tables[self.current_tab].set_placeholder("Loading…")
        self.query_requested.emit(self.current_tab, self.filters())

    def show_rows(self, tab: str, rows: list) -> None:
        self.rows[tab] = list(rows)
        table = self.tables[tab]
        table.setSortingEnabled(False)
        table.setRowCount(len(rows))
        columns = _COLUMNS[tab]
        severity = columns.index("Severity") if tab == "alerts" else -1
        # a fault's figures may be wider than the window leaves their column
        worded, elided = self._worded_columns(tab)
        for r, row in enumerate(rows):
            for c, text in enumerate(row_cells(tab, row)):
                item = QTableWidgetItem(text)
                if c == severity:
                    item.setData(Qt.ItemDataRole.UserRole, text)
                if c in worded or c in elided:
                    item.setToolTip(text)
                table.setItem(r, c, item)
        self._wrap(tab)
        table.set_placeholder("" if rows else self.empty_text(tab))
        if tab == self.current_tab:
            self.status_label.setObjectName("mutedText")
            noun = ROW_NOUNS[tab] + ("" if len(rows) == 1 else "s")
            if rows:
                self.status_label.setText(f"{len(rows):,} {noun}.")
            else:  # the table says what was looked for; "Nothing matches" only under a filter
                self.status_label.setText("Nothing matches." if self._filtered(tab) else "")
            self._repolish(self.status_label)
        self._on_selection_changed()

    @staticmethod
    def _worded_columns(tab: str) -> tuple[set[int], set[int]]:
        """``tab``'s columns of wrapped words and of texts cut in the middle."""
        columns = _COLUMNS[tab]
        if tab == "alerts":
            return {columns.index("At raise"), columns.index("Worst")}, set()
        if tab == "recordings":  # notes wrap in the width left (see _wrap)
            return {columns.index("Notes")}, {columns.index("Source")}
        return set(), set()

    def _wrap(self, tab: str) -> None:
        # a fault's figures wrap in a column of about 34 characters (they ran to
        # 420 px each, pushing severity and state out of a 1400 px window); a source
        # URL is cut in the middle
        table = self.tables[tab]
        if not table.rowCount():
            return
        worded, elided = self._worded_columns(tab)
        # a recording's notes wrap in the width left (an import's ran off to the right)
        stretch = _COLUMNS[tab].index("Notes") if tab == "recordings" else None
        # the alerts' figures narrow so State and Acknowledged stay in view (at 1440 px
        # State was cut at the table's edge: "cleared, not acknow")
        fit = bool(elided) or tab == "alerts"
        wrap_worded_columns(table, worded, elided=elided, fit=fit, stretch=stretch)

    def _filtered(self, tab: str) -> bool:
        """Whether ``tab``'s rows are narrowed by a period, a search or (alerts) a kind."""
        filters = self.filters()
        kinds = tab == "alerts" and (
            filters.severity is not None or filters.acknowledged is not None
        )
        return bool(filters.since or filters.until or filters.battery or kinds)

    def empty_text(self, tab: str) -> str:
        """What an empty table of ``tab`` says: what was looked for, and how rows get there."""
        filters = self.filters()
        period = self.period_combo.currentData()
        if period == "custom":
            when = (
                f" from {self.from_edit.dateTime().toString('yyyy-MM-dd HH:mm')}"
                f" to {self.to_edit.dateTime().toString('yyyy-MM-dd HH:mm')}"
            )
        elif period is None:
            when = ""  # all time
        else:
            when = f" in the {self.period_combo.currentText().lower()}"
        kinds = []
        if tab == "alerts":
            if filters.severity is not None:
                kinds.append(filters.severity)
            if filters.acknowledged is not None:
                kinds.append("acknowledged" if filters.acknowledged else "unacknowledged")
        what = {"recordings": "recordings", "diagnostics": "stored diagnostic results",
                "alerts": "alerts"}[tab]  # fmt: skip
        what = f"{', '.join(kinds)} {what}" if kinds else what
        matching = f' matching "{filters.battery}"' if filters.battery else ""
        how = {
            "recordings": "A recording is made with ● Record on the Dashboard while a source "
            "streams (or batteryos record URL), or by Import into database on the Logs page.",
            "diagnostics": "Results are stored here when they are posted to the REST API "
            "(File › Sharing); runs on the Diagnostics and Logs pages are not stored.",
            "alerts": "Every alert raised while a source streams is kept here, with its "
            "acknowledgement.",
        }[tab]
        return f"No {what}{matching}{when}.\n{how}"

    def show_error(self, message: str) -> None:
        self.tables[self.current_tab].set_placeholder(message)
        self.status_label.setObjectName("errorText")
        self.status_label.setText(message)
        self._repolish(self.status_label)

    def selected_recording(self) -> int | None:
        table = self.tables["recordings"]
        selected = table.selectionModel().selectedRows()
        if not selected:
            return None
        return self.rows["recordings"][selected[0].row()].id

    @staticmethod
    def _repolish(widget: QWidget) -> None:
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    # --- handlers ------------------------------------------------------------------
    def _on_period_changed(self, *_args) -> None:
        custom = self.period_combo.currentData() == "custom"
        self.from_edit.setEnabled(custom)
        self.to_edit.setEnabled(custom)
        self.range_box.setVisible(custom)

    def _on_tab_changed(self, _index: int) -> None:
        alerts = self.current_tab == "alerts"
        self.severity_combo.setEnabled(alerts)
        self.ack_combo.setEnabled(alerts)
        self.alert_filters.setVisible(alerts)
        self.open_button.setVisible(self.current_tab == "recordings")
        if self._requested and self.current_tab not in self._requested:
            self.refresh()  # the page is in use: a tab shows its rows when first opened

    def _on_selection_changed(self) -> None:
        self.open_button.setEnabled(self.selected_recording() is not None)

    def _on_open_clicked(self) -> None:
        recording_id = self.selected_recording()
        if recording_id is not None:
            self.open_recording_requested.emit(recording_id)
