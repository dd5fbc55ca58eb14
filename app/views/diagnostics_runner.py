"""Shows the live engine's diagnostics of the session, fetched in the background.

The live engine runs all nine diagnostics incrementally on every block
(:mod:`app.diagnostics.live`), so a "run" only reads its results: nothing is
recomputed from the ring buffer. The read happens in a worker thread all the
same -- the first one imports pandas and scipy for the fade models, and the
fade and cycle-life fits run when cycles were added. While a source streams,
the results refresh every :data:`AUTO_REFRESH_S` seconds; a refresh due while
a read is still going is skipped, not queued. While results of other data are
shown (a log file's, a stored recording's: :meth:`DiagnosticsRunner.hold`), no
read starts by itself and none under way is shown, until :meth:`~DiagnosticsRunner.run`
is asked for (the user chose to go back to the live results) or another source is
connected.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.errors import BatteryOSError
from app.hardware.acquisition import AcquisitionState
from app.views.background import SerialWorker
from app.views.live_session import LiveReport, LiveSession, SessionStatus

#: Seconds between automatic runs while a source streams.
AUTO_REFRESH_S = 10.0


class ReportKind(Enum):
    """What data a report's results are of: the page words its notes from it."""

    LIVE = "live"  #: the live session's (refreshed while it streams)
    FILE = "file"  #: a log file's (Logs page)
    RECORDING = "recording"  #: a stored recording's (History › Open in plots)


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
    #: the log file the results are of (Logs page); its ``source_url`` is what recorded it
    #: (a simulator's URL for a log Battery OS wrote), or its own ``file://`` URL
    log_path: str | None = None
    #: what the results are of, where not the source's name (a stored recording's
    #: "Recording #3"); None: the source URL's name
    source_name: str | None = None
    #: what the results are of: the live session (refreshed while it streams), a log file,
    #: a stored recording
    kind: ReportKind = ReportKind.LIVE
    #: the current's sign looks reversed (:mod:`app.diagnostics.current_sign`): why, and the fix
    current_sign_warning: str | None = None
    #: the battery was guessed (a log naming none, the user set none): what was guessed and
    #: from what (:attr:`app.views.log_analysis.BatteryGuess.text`); None: given or the file's
    battery_guess: str | None = None
    #: the battery does not fit the log's voltages (``analyze``'s warning), None when it does
    battery_warning: str | None = None
    #: what the data lack, as ``analyze`` warns: a file's row cut mid-way, a per-cycle
    #: table's invalid rows (``cycle 39 (-5 Ah)``)
    data_warnings: tuple[str, ...] = ()
    #: result key -> why the log's inputs make it not valid, as ``analyze``'s
    #: ``invalid_results`` (:func:`app.diagnostics.input_validity.input_warnings`: the
    #: current's sign, the battery's fit) where the report was made of a log
    input_invalid: dict[str, str] = field(default_factory=dict)

    @property
    def invalid_results(self) -> dict[str, str]:
        """Result key -> why the data make it not valid, as ``analyze``'s ``invalid_results``:
        :attr:`input_invalid`, and what the results themselves show
        (:mod:`app.diagnostics.input_validity`: a dead cell's pack SOC, in the words of
        what the data are, :attr:`data_word`)."""
        from app.diagnostics.input_validity import dead_cell_reason, dead_cell_warning

        invalid = dict(self.input_invalid)
        if dead_cell_warning({"results": self.results}):
            invalid.setdefault("soc", dead_cell_reason(self.data_word))
        return invalid

    @property
    def warnings(self) -> list[str]:
        """The data's warnings (:attr:`data_warnings`) and those of the results (a dead
        cell), in ``analyze``'s words."""
        from app.diagnostics.input_validity import dead_cell_warning

        dead = dead_cell_warning({"results": self.results}, self.data_word)
        return [*self.data_warnings, *([dead] if dead else [])]

    @property
    def data_word(self) -> str:
        """What the results are of, in the notes' words: 'source' (live), 'recording' or
        'log' (a live source's results said 'not valid for this log')."""
        return {ReportKind.LIVE: "source", ReportKind.RECORDING: "recording"}.get(self.kind, "log")

    @property
    def live(self) -> bool:
        """Of the live session (refreshed while it streams), not of a file or a recording."""
        return self.kind is ReportKind.LIVE


def run_diagnostics(
    live_report: Callable[[], LiveReport | None],
    source_url: str | None = None,
    current_sign_warning: Callable[[], str | None] | None = None,
    battery_check: Callable[[], tuple[str | None, dict[str, str]]] | None = None,
) -> DiagnosticsReport:
    """The live engine's results as a report (worker thread: the first read imports pandas),
    with the engine's warning that the current's sign looks reversed (``current_sign_warning``,
    e.g. :meth:`LiveSession.current_sign_warning`) and that the battery does not fit the
    samples, with the results that makes not valid (``battery_check``, e.g.
    :meth:`LiveSession.spec_fit_check`), as a log file's run has them."""
    started = time.perf_counter()
    live = live_report()
    if live is None or live.samples < 2:
        raise BatteryOSError("no samples to analyse yet: connect a source first")
    fit = battery_check() if battery_check is not None else (None, {})
    return DiagnosticsReport(
        results=dict(live.results),
        samples=live.samples,
        span_s=live.span_s,
        cycles=live.cycles,
        elapsed_s=time.perf_counter() - started,
        source_url=source_url,
        current_sign_warning=current_sign_warning() if current_sign_warning else None,
        battery_warning=fit[0],
        input_invalid=dict(fit[1]),
    )


class DiagnosticsRunner(QObject):
    """Reads ``session``'s live results on request, and every ~10 s while streaming."""

    started = Signal()
    finished = Signal(object)  #: DiagnosticsReport
    failed = Signal(str)  #: one line
    idle = Signal()  #: no run under way any more
    auto_refresh_changed = Signal(bool)  #: the results refresh by themselves (or no longer)

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
        self._held = False  # results of other data are shown: no automatic runs
        self._generation = 0  # bumped by hold(): a read started before it is not shown
        self._run_generation = 0  # the generation of the read under way
        self._worker = SerialWorker("diagnostics", self)
        self._worker.idle.connect(self.idle)
        self._timer = QTimer(self)
        self._timer.setInterval(round(auto_refresh_s * 1000))
        self._timer.timeout.connect(self._on_refresh_due)
        session.status_changed.connect(self._on_status_changed)
        # a source connected anew: its results are the ones wanted from now on
        session.started.connect(self._on_source_started)

    @property
    def busy(self) -> bool:
        return self._worker.busy

    @property
    def auto_refreshing(self) -> bool:
        return self._timer.isActive()

    @property
    def held(self) -> bool:
        """Results of other data are shown (:meth:`hold`): no run starts by itself."""
        return self._held

    def hold(self) -> None:
        """Results of other data (a log file's) are shown: no automatic runs, and a read
        under way is not shown, until :meth:`run` is asked for or another source is
        connected."""
        self._held = True
        self._generation += 1

    def run(self) -> bool:
        """Read the live results now (and refresh them again while the source streams);
        False (skipped) while a read is going: that read's results are shown."""
        self._held = False
        self._run_generation = self._generation  # a read under way now is wanted
        if self.busy:
            self.runs_skipped += 1
            return False
        session = self.session
        self._ran_on = (session.source_url, session.ring.total)
        live_report, url, sign, fit = (
            session.live_report,
            session.source_url,
            session.current_sign_warning,
            session.spec_fit_check,
        )
        self._worker.submit(
            lambda: run_diagnostics(live_report, url, sign, fit),
            on_done=self._on_done,
            on_error=self._on_error,
        )
        self.started.emit()
        return True

    def run_if_stale(self) -> bool:
        """Run when samples arrived since the last run (the page is being looked at);
        not while held."""
        session = self.session
        if (
            self._held
            or session.spec is None
            or self._ran_on == (session.source_url, session.ring.total)
        ):
            return False
        return self.run()

    def stop(self) -> None:
        """No more automatic runs (a run under way finishes)."""
        if self._timer.isActive():
            self._timer.stop()
            self.auto_refresh_changed.emit(False)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a run under way has ended (end of the program); True if it has."""
        return self._worker.wait(timeout)

    def _on_refresh_due(self) -> None:
        if not self._held:
            self.run()

    def _on_status_changed(self, status: SessionStatus) -> None:
        was = self._timer.isActive()
        if status.state is AcquisitionState.STREAMING:
            if not was:
                self._timer.start()
        else:
            self._timer.stop()
        if self._timer.isActive() != was:
            self.auto_refresh_changed.emit(not was)

    def _on_source_started(self, _url: str) -> None:
        self._held = False

    def _on_done(self, report: DiagnosticsReport) -> None:
        if self._run_generation == self._generation:  # not held since it started
            self.finished.emit(report)

    def _on_error(self, exc: BaseException) -> None:
        if self._run_generation != self._generation:
            return  # held since it started: other results are shown
        if isinstance(exc, BatteryOSError):
            self.failed.emit(str(exc))
        else:
            self.failed.emit(f"the diagnostics failed: {exc!r}")
