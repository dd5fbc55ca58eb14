"""The Alerts page: current alerts (acknowledge with a comment, shelve for a
period), the session's alert history with each alert's audit trail, and the
thresholds editor."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.results import Severity
from app.diagnostics.alerts.lifecycle import Alert, AlertStatus, state_text
from app.views.alert_banner import rule_text, time_text, value_text
from app.views.theme import ThemePalette
from app.views.thresholds_editor import ThresholdsEditor
from app.views.wrapped_columns import wrap_worded_columns

#: Shelf durations offered, minutes.
SHELF_MINUTES = {"15 min": 15, "1 h": 60, "4 h": 240, "8 h": 480, "24 h": 1440}
CURRENT_COLUMNS = ("Severity", "State", "Rule", "At raise", "Worst", "Raised", "Acknowledged")
#: Over the History tab's table while the session has raised no alert.
HISTORY_EMPTY_TEXT = "No alerts yet in this session: each one raised is listed here."
HISTORY_COLUMNS = ("Severity", "State", "Rule", "At raise", "Worst", "Raised", "Cleared")
#: The columns of a fault's figures, wrapped (as on the History page), and the state
#: (a withdrawn runaway alarm says why: 'withdrawn, not acknowledged: cell 2's ...').
WORDED_COLUMNS = ("State", "At raise", "Worst")
#: The column that takes the width the others leave, wrapped as they are.
STRETCHED_COLUMN = "Rule"
#: What the two value columns hold (their headers' tooltips).
COLUMN_TIPS = {
    "At raise": "The value when the alert was raised; for a detected fault, what the "
    "detector had measured of it then",
    "Worst": "The furthest beyond the level in the episode so far (never less severe than "
    "at raise); for a detected fault, its figures as last known, as the Diagnostics "
    "page's fault detection reports the episode (its worst; a short's self-discharge is "
    "pooled over every rest since it was found, with its interval)",
}


def worst_text(at_raise: str, worst: str) -> str:
    """The Worst column's text: 'as at raise' when it is At raise's, else the whole
    text, wrapped in its column as At raise's is (cut after the words where the two
    differed, '…' for the rest, it read as a text cut off: at 1024 px 'cell 2: noise
    σ 0.059 V, …')."""
    if worst == at_raise:
        return "as at raise" if worst else ""
    return worst


def _time(alert: Alert, alert_time_s: float | None, received_at) -> str:
    """The sample's clock time and its time in the recording (see ``time_text``)."""
    if received_at is None:  # not cleared yet
        return ""
    return time_text(alert_time_s, alert.time_base.clock(alert_time_s, received_at))


def _cleared_text(alert: Alert) -> str:
    """The Cleared column: when it cleared, or when its source ended (not a clear: its
    condition was no longer watched)."""
    text = _time(alert, alert.cleared_time_s, alert.cleared_at)
    return f"source ended {text}" if alert.source_ended else text


def _state(alert: Alert) -> str:
    return state_text(
        alert.status,
        acknowledged=alert.acknowledged,
        critical=alert.severity is Severity.CRITICAL,
        shelved_until=alert.shelved_until,
        withdrawn=alert.withdrawn,
        source_ended=alert.source_ended,
    )


def _table(columns: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    for col, name in enumerate(columns):
        if name in COLUMN_TIPS:
            table.horizontalHeaderItem(col).setToolTip(COLUMN_TIPS[name])
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    for col in range(len(columns)):
        header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
    return table


class AlertsPage(QWidget):
    """Shows what it is given (:meth:`show_board`); asks through signals."""

    acknowledge_requested = Signal(int, str)  #: key, comment
    shelve_requested = Signal(int, float, str)  #: key, minutes, comment
    unshelve_requested = Signal(int)

    def __init__(self, colors: ThemePalette, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("page")
        self.colors = colors
        self._current: list[Alert] = []
        self._history: list[Alert] = []
        title = QLabel("Alerts", objectName="pageTitle")
        self.problem = QLabel(objectName="errorText", wordWrap=True)
        self.tabs = QTabWidget()

        # current alerts and the actions on them
        self.current_table = _table(CURRENT_COLUMNS)
        self.comment = QLineEdit(placeholderText="comment (who, why, what was done)")
        self.ack_button = QPushButton("Acknowledge")
        self.ack_button.setProperty("accent", True)
        self.shelf = QComboBox()
        for text, minutes in SHELF_MINUTES.items():
            self.shelf.addItem(text, minutes)
        self.shelve_button = QPushButton("Shelve for")
        self.unshelve_button = QPushButton("Unshelve")
        self.action_error = QLabel(objectName="errorText")
        self.empty_label = QLabel("No alerts need attention.", objectName="mutedText")
        actions = QHBoxLayout()
        actions.addWidget(self.comment, 1)
        actions.addWidget(self.ack_button)
        actions.addSpacing(12)
        actions.addWidget(self.shelve_button)
        actions.addWidget(self.shelf)
        actions.addWidget(self.unshelve_button)
        current = QWidget()
        current_layout = QVBoxLayout(current)
        current_layout.setContentsMargins(0, 8, 0, 0)
        current_layout.addWidget(self.empty_label)
        current_layout.addWidget(self.current_table, 1)
        current_layout.addLayout(actions)
        current_layout.addWidget(self.action_error)

        # history of the session and the audit trail of the selected alert
        self.history_table = _table(HISTORY_COLUMNS)
        self.audit = QPlainTextEdit(readOnly=True, placeholderText="select an alert")
        # (an empty table said nothing: no alert yet, or not loaded?)
        self.history_empty_label = QLabel(HISTORY_EMPTY_TEXT, objectName="mutedText")
        history = QWidget()
        history_layout = QVBoxLayout(history)
        history_layout.setContentsMargins(0, 8, 0, 0)
        history_layout.addWidget(self.history_empty_label)
        history_layout.addWidget(self.history_table, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(history)
        split.addWidget(self.audit)
        split.setSizes([400, 160])

        self.thresholds = ThresholdsEditor()
        self.tabs.addTab(current, "Current")
        self.tabs.addTab(split, "History")
        self.tabs.addTab(self.thresholds, "Thresholds")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.addWidget(title)
        layout.addWidget(self.problem)
        layout.addWidget(self.tabs, 1)

        self.ack_button.clicked.connect(self._on_ack_clicked)
        self.shelve_button.clicked.connect(self._on_shelve_clicked)
        self.unshelve_button.clicked.connect(self._on_unshelve_clicked)
        self.current_table.itemSelectionChanged.connect(self._update_buttons)
        self.history_table.itemSelectionChanged.connect(self._show_audit)
        self.show_problem("")
        self._update_buttons()
        for table in (self.current_table, self.history_table):
            table.viewport().installEventFilter(self)

    # --- showing ----------------------------------------------------------------------
    def show_board(self, current: list[Alert], history: list[Alert]) -> None:
        """Current alerts (needing attention) and the whole session's, newest first."""
        selected = self.selected_key()
        self._current, self._history = list(current), list(history)
        self._fill(self.current_table, self._current, current=True)
        self._fill(self.history_table, self._history, current=False)
        self.empty_label.setVisible(not self._current)
        self.history_empty_label.setVisible(not self._history)
        if selected is not None:
            self.select(selected)
        self._update_buttons()
        self._show_audit()

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def show_action_error(self, text: str | None) -> None:
        self.action_error.setText(text or "")

    def apply_palette(self, colors: ThemePalette) -> None:
        self.colors = colors
        self.show_board(self._current, self._history)

    def selected_key(self) -> int | None:
        rows = self.current_table.selectionModel().selectedRows()
        if rows and rows[0].row() < len(self._current):
            return self._current[rows[0].row()].key
        return None

    def select(self, key: int) -> bool:
        for row, alert in enumerate(self._current):
            if alert.key == key:
                self.current_table.selectRow(row)
                return True
        return False

    # --- internals ----------------------------------------------------------------------
    def _severity_color(self, severity: Severity) -> QColor:
        c = self.colors
        return QColor(
            {Severity.CRITICAL: c.fault, Severity.WARNING: c.warning}.get(severity, c.text_muted)
        )

    def _fill(self, table: QTableWidget, alerts: list[Alert], *, current: bool) -> None:
        table.setRowCount(len(alerts))
        for row, a in enumerate(alerts):
            last = (
                f"{a.acknowledged_by} {a.acknowledged_at.astimezone():%H:%M:%S}"
                if current and a.acknowledged
                else _cleared_text(a)
                if not current
                else ""
            )
            at_raise = value_text(a.threshold, a.value, a.fault)
            worst = value_text(a.threshold, a.worst_value, a.latest_fault)
            cells = (
                a.severity.value.upper(),
                _state(a),
                rule_text(a.threshold),
                at_raise,
                worst_text(at_raise, worst),
                _time(a, a.raised_time_s, a.raised_at),
                last,
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)  # the whole text, however the column wraps it
                if col == 0:
                    item.setForeground(self._severity_color(a.severity))
                if col == 2:  # and its levels, clear level, delay
                    item.setToolTip(a.threshold.words())
                if col == 4 and text != worst:
                    item.setToolTip(worst)
                table.setItem(row, col, item)
        self._wrap(table)

    def _wrap(self, table: QTableWidget) -> None:
        columns = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
        wrap_worded_columns(
            table,
            [columns.index(name) for name in WORDED_COLUMNS],
            fit=True,
            stretch=columns.index(STRETCHED_COLUMN),
        )

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        # a table's width changed (the window's, or shown for the first time): its
        # worded columns fit it again
        if event.type() == QEvent.Type.Resize:
            for table in (self.current_table, self.history_table):
                if watched is table.viewport() and table.rowCount():
                    self._wrap(table)
        return super().eventFilter(watched, event)

    def _update_buttons(self) -> None:
        key = self.selected_key()
        alert = next((a for a in self._current if a.key == key), None)
        self.ack_button.setEnabled(alert is not None and not alert.acknowledged)
        can_shelve = alert is not None and not alert.cleared
        self.shelve_button.setEnabled(can_shelve and alert.status is not AlertStatus.SHELVED)
        self.unshelve_button.setEnabled(alert is not None and alert.status is AlertStatus.SHELVED)

    def _show_audit(self) -> None:
        rows = self.history_table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self._history):
            self.audit.clear()
            return
        alert = self._history[rows[0].row()]
        lines = [f"{alert.threshold.words()} ({alert.severity.value})"]
        for e in alert.audit:
            # (padding lined nothing up: the box's font is proportional)
            line = f"{e.at.astimezone():%Y-%m-%d %H:%M:%S}  {e.action.value} by {e.actor}"
            if e.until is not None:
                line += f"  until {e.until.astimezone():%H:%M}"
            if e.comment:
                line += f"  — {e.comment}"
            lines.append(line)
        self.audit.setPlainText("\n".join(lines))

    def _on_ack_clicked(self) -> None:
        key = self.selected_key()
        if key is not None:
            self.acknowledge_requested.emit(key, self.comment.text().strip())
            self.comment.clear()

    def _on_shelve_clicked(self) -> None:
        key = self.selected_key()
        if key is not None:
            minutes = float(self.shelf.currentData())
            self.shelve_requested.emit(key, minutes, self.comment.text().strip())
            self.comment.clear()

    def _on_unshelve_clicked(self) -> None:
        key = self.selected_key()
        if key is not None:
            self.unshelve_requested.emit(key)
