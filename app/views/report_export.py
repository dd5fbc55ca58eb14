"""File › Export report…: the report of what the window shows (the live session's
samples: a source, or a replayed log; or a stored recording opened from History, whose
report is ``batteryos report recording:N``'s), written off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.core import schema
from app.core.errors import BatteryOSError
from app.core.spec import BatterySpec
from app.views.background import SerialWorker

#: File-dialog filters, in the order offered.
FILTERS = "PDF report (*.pdf);;HTML report (*.html);;Excel workbook (*.xlsx);;CSV summary (*.csv)"


def write_session_report(
    path: str,
    snapshot: Callable[[], dict[str, np.ndarray]],
    spec: BatterySpec | None,
    source_url: str | None,
    user: str | None,
    alerts: list[dict] | None = None,
) -> str:
    """Run the suite on the samples and write the report, with the session's alert
    episodes (report rows, oldest first); returns the overall verdict. End of life is
    measured against the capacity ``source_url`` gives, as the live engine's is."""
    samples = snapshot()
    t = samples.get(schema.TIME)
    if spec is None or t is None or len(t) < 2:
        raise BatteryOSError("no samples to report yet: connect a source or open a log first")
    import pandas as pd

    from app.diagnostics.input_validity import with_input_warnings
    from app.diagnostics.suite import run_suite
    from app.hardware.registry import url_capacity_ah
    from app.reports import ReportContent, write_report

    frame = pd.DataFrame({c: v for c, v in samples.items() if schema.is_canonical_column(c)})
    # end of life (and a full cycle's depth) against the capacity the URL gives, as the
    # live engine's (LiveSession.connect_source): the report said what the window did not
    reference = url_capacity_ah(source_url) if source_url else None
    suite = run_suite(frame, spec, reference_capacity_ah=reference)
    report = {"source": source_url or "live session", "spec": spec.to_dict(), **suite.to_dict()}
    report = with_input_warnings(report, frame, spec)
    content = ReportContent(
        report,
        frame=frame,
        timeseries=suite.timeseries,
        alerts=list(alerts or ()),
        alerts_recorded=True,
        user=user,
    )
    write_report(content, path)
    return content.overall.value


def _db_option(db_url: str | None) -> str:
    """`` --db URL`` when the window's database is not the one the CLI opens without
    ``--db`` ($BATTERYOS_DB, else the default SQLite file), its password hidden; ""
    when it is."""
    import os
    import shlex

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from app.core.errors import StorageError
    from app.storage.database import default_url

    if not db_url:
        return ""
    try:
        cli_default = os.environ.get("BATTERYOS_DB") or default_url()
    except StorageError:  # no data directory: the CLI has no default either
        cli_default = None
    if db_url == cli_default:
        return ""
    try:
        shown = make_url(db_url).render_as_string(hide_password=True)
    except ArgumentError:  # not a URL sqlalchemy reads: as given
        shown = db_url
    return f" --db {shlex.quote(shown)}"


def write_recording_report(
    path: str, db_url: str | None, recording_id: int, user: str | None = None
) -> str:
    """Write ``batteryos report recording:ID``'s report of a stored recording (its stored
    battery, samples and alert history) to ``path``; returns the overall verdict."""
    from app.cli.cmd_report import recording_report_args, report_content
    from app.reports import write_report
    from app.storage import repositories
    from app.views.storage_bridge import database

    recording = repositories.get_recording(database(db_url), recording_id)
    if recording is not None and not recording.spec:
        # (the CLI's own words name its --chemistry and --capacity-ah: not the window's)
        raise BatteryOSError(
            f"recording #{recording_id} was stored without its battery, so its report "
            f"cannot judge it: write it with `batteryos{_db_option(db_url)} report "
            f"recording:{recording_id} -o FILE --chemistry CHEM --capacity-ah AH`"
        )
    content = report_content(recording_report_args(recording_id, path, db_url, user))
    write_report(content, path)
    return content.overall.value


class ReportExporter(QObject):
    finished = Signal(str, str)  #: path, overall verdict
    failed = Signal(str)  #: one line

    def __init__(self, session, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self._worker = SerialWorker("report export", self)
        self.idle = self._worker.idle

    @property
    def busy(self) -> bool:
        return self._worker.busy

    def export(self, path: str, user: str | None = None, alerts: list[dict] | None = None) -> None:
        """Write the report of the session's samples; ``alerts``: its alert episodes
        as report rows (``app.reports.content.live_alert_row``), oldest first."""
        s = self.session
        snapshot, spec, url = s.snapshot, s.spec, s.source_url
        self._worker.submit(
            lambda: write_session_report(path, snapshot, spec, url, user, alerts),
            on_done=lambda verdict: self.finished.emit(path, verdict),
            on_error=self._on_error,
        )

    def export_recording(self, path: str, recording_id: int, user: str | None = None) -> None:
        """Write the report of the stored recording ``recording_id`` (as the CLI's)."""
        db_url = self.session.db_url
        self._worker.submit(
            lambda: write_recording_report(path, db_url, recording_id, user),
            on_done=lambda verdict: self.finished.emit(path, verdict),
            on_error=self._on_error,
        )

    def wait(self, timeout: float | None = None) -> bool:
        return self._worker.wait(timeout)

    def _on_error(self, exc: BaseException) -> None:
        text = str(exc).strip().splitlines()
        self.failed.emit(text[0] if text else type(exc).__name__)
