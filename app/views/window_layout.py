"""Remembers the main window's geometry, dock/toolbar state and last page.

Stored with QSettings in an INI file next to ``settings.json`` (in
:func:`app.core.settings.config_dir`), so ``BATTERYOS_CONFIG_DIR`` moves both
and tests never touch the user's real layout.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

from app.core.settings import config_dir

LAYOUT_FILE = "window.ini"


class WindowLayoutStore:
    """Save and restore one main window's layout."""

    def __init__(self, path: Path | None = None):
        self.path = path or config_dir() / LAYOUT_FILE
        self._qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)

    def restore(self, window: QMainWindow) -> int | None:
        """Apply the saved geometry and state; returns the saved page index, if any."""
        geometry = self._qsettings.value("main_window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            window.restoreGeometry(geometry)
        state = self._qsettings.value("main_window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            window.restoreState(state)
        page = self._qsettings.value("main_window/page")
        try:
            return int(page) if page is not None else None
        except (TypeError, ValueError):
            return None

    def save(self, window: QMainWindow, page: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._qsettings.setValue("main_window/geometry", window.saveGeometry())
        self._qsettings.setValue("main_window/state", window.saveState())
        self._qsettings.setValue("main_window/page", int(page))
        self._qsettings.sync()
