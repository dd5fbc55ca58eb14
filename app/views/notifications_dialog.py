"""Alert notification settings: webhook and e-mail, each for chosen severities.

The SMTP password is not stored in the settings file: it is read from
``BATTERYOS_SMTP_PASSWORD`` when the notifier starts.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from app.core.results import Severity
from app.core.settings import Settings
from app.diagnostics.alerts.notify import NotifyError, channels_from_settings


class _Severities(QWidget):
    def __init__(self, chosen: list[str]):
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.boxes = {s.value: QCheckBox(s.value, checked=s.value in chosen) for s in Severity}
        for box in self.boxes.values():
            row.addWidget(box)
        row.addStretch(1)

    def chosen(self) -> list[str]:
        return [name for name, box in self.boxes.items() if box.isChecked()]


class NotificationsDialog(QDialog):
    """Edits the notification fields of :class:`Settings`; checks them before accepting."""

    def __init__(self, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Alert notifications")
        self.settings = settings
        self.webhook_url = QLineEdit(settings.webhook_url, placeholderText="https://… (empty: off)")
        self.webhook_severities = _Severities(settings.webhook_severities)
        self.smtp_host = QLineEdit(
            settings.smtp_host, placeholderText="smtp.example.org (empty: off)"
        )
        self.smtp_port = QSpinBox(minimum=1, maximum=65535, value=settings.smtp_port)
        self.smtp_starttls = QCheckBox("STARTTLS", checked=settings.smtp_starttls)
        self.smtp_user = QLineEdit(settings.smtp_user, placeholderText="login (optional)")
        self.email_from = QLineEdit(settings.email_from)
        self.email_to = QLineEdit(", ".join(settings.email_to), placeholderText="a@x.org, b@y.org")
        self.email_severities = _Severities(settings.email_severities)
        self.error = QLabel(objectName="errorText", wordWrap=True)
        note = QLabel(
            "Sent in the background and retried; acquisition never waits for them. "
            "The SMTP password comes from BATTERYOS_SMTP_PASSWORD.",
            objectName="mutedText",
            wordWrap=True,
        )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        form = QFormLayout(self)
        form.addRow("Webhook URL", self.webhook_url)
        form.addRow("for", self.webhook_severities)
        form.addRow("SMTP server", self.smtp_host)
        port_row = QHBoxLayout()
        port_row.addWidget(self.smtp_port)
        port_row.addWidget(self.smtp_starttls)
        port_row.addStretch(1)
        form.addRow("Port", port_row)
        form.addRow("User", self.smtp_user)
        form.addRow("From", self.email_from)
        form.addRow("To", self.email_to)
        form.addRow("for", self.email_severities)
        form.addRow(note)
        form.addRow(self.error)
        form.addRow(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

    def values(self) -> dict:
        return {
            "webhook_url": self.webhook_url.text().strip(),
            "webhook_severities": self.webhook_severities.chosen(),
            "smtp_host": self.smtp_host.text().strip(),
            "smtp_port": self.smtp_port.value(),
            "smtp_starttls": self.smtp_starttls.isChecked(),
            "smtp_user": self.smtp_user.text().strip(),
            "email_from": self.email_from.text().strip(),
            "email_to": [a.strip() for a in self.email_to.text().split(",") if a.strip()],
            "email_severities": self.email_severities.chosen(),
        }

    def accept(self) -> None:
        trial = Settings(**{**self.settings.__dict__, **self.values()})
        try:
            channels_from_settings(trial)
        except NotifyError as exc:
            self.error.setText(str(exc))
            return
        if trial.smtp_host and not trial.email_to:
            self.error.setText("e-mail needs at least one recipient")
            return
        for key, value in self.values().items():
            setattr(self.settings, key, value)
        super().accept()
