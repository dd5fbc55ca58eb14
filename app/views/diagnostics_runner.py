"""Runs the diagnostic suite on the live session's data, in the background.

``run_suite`` on hours of samples takes a noticeable time, and pandas (and
scipy, for the fade models) are imported for it: both happen in a worker
thread, never on the GUI thread. While a source streams, the results refresh
every :data:`AUTO_REFRESH_S` seconds; a refresh due while a run is still
going is skipped, not queued.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from app.core import schema
from app.core.errors import BatteryOSError
from app.core.spec import BatterySpec
from app.hardware.acquisition import AcquisitionState
from app.views.background import SerialWorker
from app.views.live_session import LiveSession, SessionStatus

#: Seconds between automatic runs while a source streams.
AUTO_REFRESH_S = 10.0


@dataclass(frozen=True)
class DiagnosticsReport:
    """One run of the suite: its results (plain JSON per key, None where it has none)."""

    results: dict[str, Any]
    samples: int
    span_s: float
    cycles: int
    elapsed_s: float  #: computing time
    finished_at: datetime = field(default_factory=datetime.now)
    source_url: str | None = None


def run_diagnostics(
    snapshot: Callable[[], dict[str, np.ndarray]],
    spec: BatterySpec | None,
    source_url: str | None = None,
) -> DiagnosticsReport:
    """Take the samples and run the suite on them (worker thread: imports pandas here)."""
    started = time.perf_counter()
    samples = snapshot()
    t = samples.get(schema.TIME)
    if spec is None or t is None or len(t) < 2:
        raise BatteryOSError("no samples to analyse yet: connect a source first")
    import pandas as pd

    from app.diagnostics.suite import run_suite

    # the canonical columns only: what an offline `analyze` of the same log would see
    frame = pd.DataFrame({c: v for c, v in samples.items() if schema.is_canonical_column(c)})
    output = run_suite(frame, spec)
    return DiagnosticsReport(
        results=dict(output.results),
        samples=len(t),
        span_s=float(t[-1] - t[0]),
        cycles=len(output.cycles),
        elapsed_s=time.perf_counter() - started,
        source_url=source_url,
    )


class DiagnosticsRunner(QObject):
    """Runs the suite on ``session``'s ring buffer on request, and every ~10 s while streaming."""

    started = Signal()
    finished = Signal(object)  #: DiagnosticsReport
    failed = Signal(str)  #: one line
    idle = Signal()  #: no run under way any more

    def __init__(
        self,
        session: LiveSession,
        parent: QObject | None = None,
        *,
        auto_refresh_s: float = AUTO_REFRESH_S,
    ):
        super().__init__(parent)
        self.session = session
        self.runs_skipped = 0
        self._ran_on: tuple[str | None, int] | None = (
            None  # source and sample count of the last run
        )
        self._worker = SerialWorker("diagnostics", self)
        self._worker.idle.connect(self.idle)
        self._timer = QTimer(self)
        self._timer.setInterval(round(auto_refresh_s * 1000))
        self._timer.timeout.connect(self._on_refresh_due)
        session.status_changed.connect(self._on_status_changed)

    @property
    def busy(self) -> bool:
        return self._worker.busy

    @property
    def auto_refreshing(self) -> bool:
        return self._timer.isActive()

    def run(self) -> bool:
        """Run now on the session's current samples; False (skipped) while a run is going."""
        if self.busy:
            self.runs_skipped += 1
            return False
        session = self.session
        self._ran_on = (session.source_url, session.ring.total)
        # The ring buffer is thread safe: the copy is taken in the worker too.
        snapshot, spec, url = session.snapshot, session.spec, session.source_url
        self._worker.submit(
            lambda: run_diagnostics(snapshot, spec, url),
            on_done=self.finished.emit,
            on_error=self._on_error,
        )
        self.started.emit()
        return True

    def run_if_stale(self) -> bool:
        """Run when samples arrived since the last run (the page is being looked at)."""
        session = self.session
        if session.spec is None or self._ran_on == (session.source_url, session.ring.total):
            return False
        return self.run()

    def stop(self) -> None:
        """No more automatic runs (a run under way finishes)."""
        self._timer.stop()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a run under way has ended (end of the program); True if it has."""
        return self._worker.wait(timeout)

    def _on_refresh_due(self) -> None:
        self.run()

    def _on_status_changed(self, status: SessionStatus) -> None:
        if status.state is AcquisitionState.STREAMING:
            if not self._timer.isActive():
                self._timer.start()
        else:
            self._timer.stop()

    def _on_error(self, exc: BaseException) -> None:
        if isinstance(exc, BatteryOSError):
            self.failed.emit(str(exc))
        else:
            self.failed.emit(f"the diagnostics failed: {exc!r}")
