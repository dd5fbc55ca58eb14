"""Loads the recent-recordings list off the GUI thread.

The first look at the database imports SQLAlchemy and Alembic and checks the
schema (most of a second), and a PostgreSQL server may take seconds to answer
or to time out. A background worker does it; the result comes back as a
queued signal, so no widget is touched outside the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.core.errors import BatteryOSError
from app.views import storage_bridge
from app.views.background import SerialWorker

RECENT_LIMIT = 20


class RecentRecordingsLoader(QObject):
    """``start()`` loads in the background; ``loaded`` or ``failed`` follows in the GUI thread."""

    loaded = Signal(list)  #: list[RecordingSummary], newest first
    failed = Signal(str)  #: one-line reason
    idle = Signal()  #: the load is over (after loaded/failed)

    def __init__(self, db_url: str | None, parent: QObject | None = None):
        super().__init__(parent)
        self.db_url = db_url
        self._worker = SerialWorker("recent recordings", self)
        self._worker.idle.connect(self.idle)

    @property
    def running(self) -> bool:
        return self._worker.busy

    def start(self) -> None:
        """Load now, unless a load is already under way."""
        if self.running:
            return
        db_url = self.db_url
        self._worker.submit(
            lambda: storage_bridge.recent_recordings(db_url, RECENT_LIMIT),
            on_done=self.loaded.emit,
            on_error=self._on_error,
        )

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the loading thread has ended (end of the program); True if it has."""
        return self._worker.wait(timeout)

    def _on_error(self, exc: BaseException) -> None:
        if isinstance(exc, BatteryOSError):
            self.failed.emit(str(exc))
        else:  # a bug, but the list must say so rather than stay blank
            self.failed.emit(f"cannot list recordings: {exc!r}")
