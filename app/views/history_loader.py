"""Runs the History page's queries and loads past recordings off the GUI thread."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from app.core.errors import BatteryOSError
from app.views import storage_bridge
from app.views.background import SerialWorker

log = logging.getLogger(__name__)


def battery_of(spec: dict | None):
    """The battery stored with a recording (the live default, NMC, when none was);
    None when the stored one cannot be read."""
    from app.core.spec import BatterySpec, preset

    try:
        return BatterySpec.from_dict(spec) if spec else preset("nmc")
    except Exception:  # the samples are still worth seeing
        log.warning("the battery of the stored recording could not be read", exc_info=True)
        return None


def with_soc(snapshot: dict, battery) -> dict:
    """The snapshot plus the live engine's SOC columns, as the live plots show them;
    a recording the engine cannot process (or of no known battery) is shown raw."""
    from app.core.samples import SampleBlock
    from app.diagnostics.live import LiveEngine

    if battery is None or not snapshot.get("time_s", ()).__len__():
        return snapshot
    try:
        enriched = LiveEngine(battery).process(SampleBlock(snapshot))
    except Exception:  # the samples are still worth seeing
        log.warning("SOC of the stored recording could not be estimated", exc_info=True)
        return snapshot
    return dict(enriched.items())


def _load_recording(db_url: str | None, recording_id: int) -> tuple[str, dict, object]:
    title, snapshot, spec = storage_bridge.recording_snapshot(db_url, recording_id)
    battery = battery_of(spec)
    # the SOC is estimated with the live default when no battery was stored, but the
    # dashboard is not told that guess: it would judge the cells against its band
    return title, with_soc(snapshot, battery), battery if spec else None


class HistoryLoader(QObject):
    """``load()`` / ``open_recording()`` work in the background; results come as signals."""

    loaded = Signal(str, list)  #: tab, rows
    #: recording id, title, snapshot dict, its stored BatterySpec (None if none was
    #: stored or it is unreadable)
    recording_loaded = Signal(int, str, object, object)
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
            lambda: _load_recording(db_url, recording_id),
            on_done=lambda result: self.recording_loaded.emit(recording_id, *result),
            on_error=self._on_error,
        )

    def wait(self, timeout: float | None = None) -> bool:
        return self._worker.wait(timeout)

    def _on_error(self, exc: BaseException) -> None:
        self.failed.emit(str(exc) if isinstance(exc, BatteryOSError) else f"history: {exc!r}")
