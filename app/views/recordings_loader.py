"""Loads the recent-recordings list off the GUI thread.

The first look at the database imports SQLAlchemy and Alembic and checks the
schema (most of a second), and a PostgreSQL server may take seconds to answer
or to time out. A short-lived thread does it; the result comes back as a
queued signal, so no widget is touched outside the GUI thread.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from app.core.errors import BatteryOSError
from app.views import storage_bridge

RECENT_LIMIT = 20


class RecentRecordingsLoader(QObject):
    """``start()`` loads in a thread; ``loaded`` or ``failed`` follows in the GUI thread."""

    loaded = Signal(list)  #: list[RecordingSummary], newest first
    failed = Signal(str)  #: one-line reason

    def __init__(self, db_url: str | None, parent: QObject | None = None):
        super().__init__(parent)
        self.db_url = db_url
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Load now, unless a load is already under way."""
        if self.running:
            return
        self._thread = threading.Thread(target=self._run, name="recent recordings", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Join the loading thread (window closing); True if it has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _run(self) -> None:
        try:
            recordings = storage_bridge.recent_recordings(self.db_url, RECENT_LIMIT)
        except BatteryOSError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a bug, but the list must say so rather than stay blank
            self.failed.emit(f"cannot list recordings: {exc!r}")
        else:
            self.loaded.emit(recordings)
