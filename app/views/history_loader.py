"""Runs the History page's queries and loads past recordings off the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.core.errors import BatteryOSError
from app.views import storage_bridge
from app.views.background import SerialWorker


class HistoryLoader(QObject):
    """``load()`` / ``open_recording()`` work in the background; results come as signals."""

    loaded = Signal(str, list)  #: tab, rows
    recording_loaded = Signal(int, str, object)  #: recording id, title, snapshot dict
    failed = Signal(str)  #: one-line reason
    idle = Signal()

    def __init__(self, db_url: str | None, parent: QObject | None = None):
        super().__init__(parent)
        self.db_url = db_url
        self._worker = SerialWorker("history", self)
        self._worker.idle.connect(self.idle)

    @property
    def busy(self) -> bool:
        return self._worker.busy

    def load(self, tab: str, filters) -> None:
        db_url = self.db_url
        self._worker.submit(
            lambda: storage_bridge.history_rows(db_url, tab, filters),
            on_done=lambda rows: self.loaded.emit(tab, rows),
            on_error=self._on_error,
        )

    def open_recording(self, recording_id: int) -> None:
        db_url = self.db_url
        self._worker.submit(
            lambda: storage_bridge.recording_snapshot(db_url, recording_id),
            on_done=lambda result: self.recording_loaded.emit(recording_id, *result),
            on_error=self._on_error,
        )

    def wait(self, timeout: float | None = None) -> bool:
        return self._worker.wait(timeout)

    def _on_error(self, exc: BaseException) -> None:
        self.failed.emit(str(exc) if isinstance(exc, BatteryOSError) else f"history: {exc!r}")
