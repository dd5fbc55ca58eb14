"""The alert banner: unacknowledged critical alerts stay in view, above every page,
until someone acknowledges them (a cleared one included)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from app.diagnostics.alerts.lifecycle import Alert


def alert_line(alert: Alert) -> str:
    """``cell_v_max above 4.2: 4.31 at 812.0 s (cleared)``"""
    state = " (cleared)" if alert.cleared else ""
    return f"{alert.threshold.describe()}: {alert.value:.4g} at {alert.raised_time_s:.1f} s{state}"


class AlertBanner(QFrame):
    """Shows the newest unacknowledged critical alert and how many there are."""

    acknowledge_requested = Signal(int, str)  #: alert key, comment
    show_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="alertBanner")
        self.key: int | None = None
        self.title = QLabel(objectName="alertBannerTitle")
        self.text = QLabel(objectName="alertBannerText")
        self.comment = QLineEdit(placeholderText="comment (optional)")
        self.comment.setMaximumWidth(260)
        self.ack_button = QPushButton("Acknowledge")
        self.show_button = QPushButton("All alerts")
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 6, 10, 6)
        row.addWidget(self.title)
        row.addWidget(self.text, 1)
        row.addWidget(self.comment)
        row.addWidget(self.ack_button)
        row.addWidget(self.show_button)
        self.ack_button.clicked.connect(self._on_ack_clicked)
        self.comment.returnPressed.connect(self._on_ack_clicked)
        self.show_button.clicked.connect(self.show_requested)
        self.show_alerts([])

    def show_alerts(self, alerts: list[Alert]) -> None:
        """``alerts``: the board's banner list, newest first. Hidden when empty."""
        self.setVisible(bool(alerts))
        if not alerts:
            self.key = None
            return
        newest = alerts[0]
        if newest.key != self.key:
            self.comment.clear()
        self.key = newest.key
        more = f"  (+{len(alerts) - 1} more)" if len(alerts) > 1 else ""
        self.title.setText("CRITICAL")
        self.text.setText(alert_line(newest) + more)
        self.text.setToolTip("\n".join(alert_line(a) for a in alerts))

    def _on_ack_clicked(self) -> None:
        if self.key is not None:
            self.acknowledge_requested.emit(self.key, self.comment.text().strip())
