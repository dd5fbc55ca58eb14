"""Desktop notices of a new alert: a system-tray message and a sound, each
switchable in the settings (View ▸ Alert sound / Tray notifications)."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from app.core.results import Severity
from app.core.settings import Settings
from app.diagnostics.alerts.lifecycle import Alert
from app.views.alert_banner import alert_line
from app.views.theme import app_icon

_TRAY_ICON = {
    Severity.CRITICAL: QSystemTrayIcon.MessageIcon.Critical,
    Severity.WARNING: QSystemTrayIcon.MessageIcon.Warning,
    Severity.INFO: QSystemTrayIcon.MessageIcon.Information,
}


class DesktopNotices(QObject):
    """Announces alerts; ``tray`` is None where the desktop has no system tray."""

    def __init__(self, settings: Settings, parent: QObject | None = None):
        super().__init__(parent)
        self.settings = settings
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(app_icon(), self)
            self.tray.setToolTip("Battery OS")
            self.tray.show()
        self.sounds = 0  #: beeps played (the status of the sound setting made visible to tests)
        self.messages: list[str] = []  #: tray messages shown

    def announce(self, alert: Alert) -> None:
        title = f"Battery OS: {alert.severity.value} alert"
        text = alert_line(alert)
        if self.settings.alert_tray and self.tray is not None:
            self.tray.showMessage(title, text, _TRAY_ICON[alert.severity], 10_000)
            self.messages.append(text)
        if self.settings.alert_sound and alert.severity is not Severity.INFO:
            QApplication.beep()
            self.sounds += 1

    def close(self) -> None:
        if self.tray is not None:
            self.tray.hide()
