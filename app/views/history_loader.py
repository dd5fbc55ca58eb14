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
    return _replayed(snapshot, battery)[0]


def _replayed(snapshot: dict, battery, reference_capacity_ah: float | None = None):
    """``(with_soc's snapshot, the live engine that processed it)``; the engine is None
    where the snapshot is shown raw."""
    from app.core.samples import SampleBlock
    from app.diagnostics.live import LiveEngine

    if battery is None or not snapshot.get("time_s", ()).__len__():
        return snapshot, None
    engine = LiveEngine(battery, reference_capacity_ah=reference_capacity_ah)
    try:
        enriched = engine.process(SampleBlock(snapshot))
    except Exception:  # the samples are still worth seeing
        log.warning("SOC of the stored recording could not be estimated", exc_info=True)
        return snapshot, None
    return dict(enriched.items()), engine


def recording_report(engine, recording_id: int, source_url: str, *, battery_stored: bool):
    """The Diagnostics page's report of a stored recording: the live engine's results
    after the whole recording went through it, as they were when it ended (a live
    source's results, not refreshed)."""
    import time

    from app.views.diagnostics_runner import DiagnosticsReport, ReportKind

    started = time.perf_counter()
    engine.finish()  # the detectors close their episodes, as at the end of a stream
    results, samples, span_s, cycles = engine.report()
    return DiagnosticsReport(
        results=dict(results),
        samples=samples,
        span_s=span_s,
        cycles=cycles,
        elapsed_s=time.perf_counter() - started,
        source_url=source_url,
        source_name=f"Recording #{recording_id}",
        kind=ReportKind.RECORDING,
        current_sign_warning=engine.current_sign_check().warning,
        battery_guess=None if battery_stored else NO_BATTERY_STORED,
    )


#: What the results of a recording stored without its battery are judged against.
NO_BATTERY_STORED = "the nmc preset, the live default"


def _load_recording(db_url: str | None, recording_id: int) -> tuple[str, dict, object, object]:
    """``(title, snapshot with SOC, stored battery or None, Diagnostics report or None)``."""
    from app.hardware.registry import url_capacity_ah

    title, snapshot, spec, source_url = storage_bridge.recording_snapshot(db_url, recording_id)
    battery = battery_of(spec)
    try:  # end of life against the capacity the URL gave, as the live session measured it
        reference = url_capacity_ah(source_url)
    except Exception:  # noqa: BLE001 - a URL that no longer parses: the first cycles'
        reference = None
    shown, engine = _replayed(snapshot, battery, reference)
    report = None
    if engine is not None:
        report = recording_report(engine, recording_id, source_url, battery_stored=bool(spec))
    # the SOC is estimated with the live default when no battery was stored, but the
    # dashboard is not told that guess: it would judge the cells against its band
    return title, shown, battery if spec else None, report


class HistoryLoader(QObject):
    """``load()`` / ``open_recording()`` work in the background; results come as signals."""

    loaded = Signal(str, list)  #: tab, rows
    #: recording id, title, snapshot dict, its stored BatterySpec (None if none was
    #: stored or it is unreadable), its Diagnostics report (None: none could be made)
    recording_loaded = Signal(int, str, object, object, object)
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
