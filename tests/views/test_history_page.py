"""The History page: filtered tabs loaded off the GUI thread, and a past
recording opened in the dashboard plots."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from app.core.spec import BatterySpec
from app.views.history_page import HistoryPage
from app.views.main_window import Page


@pytest.fixture
def filled_db(tmp_path):
    """A SQLite database with two recordings (samples), a diagnostic and alerts."""
    from app.core.samples import SampleBlock
    from app.storage import Database
    from app.storage import alert_repository as alerts
    from app.storage import repositories as repo
    from app.storage.sample_writer import write_samples

    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    now = datetime.now(UTC)
    with Database(url) as db:
        db.ensure_schema()
        ada = repo.create_user(db, "ada", "engineer")
        old = repo.create_recording(db, "sim://lfp?cells=2", started_at=now - timedelta(days=20))
        spec = {"chemistry": "nmc", "capacity_ah": 5.0, "series_cells": 4}
        new = repo.create_recording(db, "sim://nmc?cells=4", spec, notes="pack 7")
        t = np.arange(600) * 0.5
        block = SampleBlock(
            {
                "time_s": t,
                "voltage_v": 14.8 - t / 1000,
                "current_a": np.full(600, -5.0),
                "cell_1_v": 3.7 - t / 4000,
                "cell_2_v": 3.7 - t / 4100,
            }
        )
        write_samples(db, new.id, block, 0)
        repo.finish_recording(db, new.id)
        repo.save_diagnostic(db, "soc", {"final_soc_percent": 41.5}, battery_name="pack 7",
                             recording_id=new.id, created_by=ada.id)  # fmt: skip
        crit = alerts.record_alert(db, "cell_v_max", 4.25, "critical", recording_id=new.id,
                                   threshold_value=4.2)  # fmt: skip
        alerts.record_alert(db, "temperature_max_c", 47.0, "warning", recording_id=old.id,
                            raised_at=now - timedelta(days=20))  # fmt: skip
        alerts.acknowledge_alert(db, crit.id, actor="ada", user_id=ada.id, comment="balancing")
    return url, old.id, new.id


def _column(table, c: int | str) -> list[str]:
    """The texts of column ``c`` (an index, or its header)."""
    if isinstance(c, str):
        headers = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
        c = headers.index(c)
    return [table.item(r, c).text() for r in range(table.rowCount())]


def test_tabs_and_filters_query_in_the_background(qtbot, make_window, filled_db, tmp_path):
    url, old_id, new_id = filled_db
    window = make_window(db_url=url)
    page = window.history
    gui_thread = threading.current_thread()
    seen_threads = []
    from app.views import storage_bridge

    real = storage_bridge.history_rows

    def spy(*args):
        seen_threads.append(threading.current_thread())
        return real(*args)

    storage_bridge.history_rows = spy
    try:
        window.show_page(Page.HISTORY)  # first visit loads
        table = page.tables["recordings"]
        qtbot.waitUntil(lambda: table.rowCount() == 2)
        assert _column(table, 0) == [str(new_id), str(old_id)]
        assert _column(table, 4) == ["complete", "recording"]
        assert page.status_label.text() == "2 recordings."
        assert seen_threads and gui_thread not in seen_threads

        page.period_combo.setCurrentIndex(1)  # last 7 days
        with qtbot.waitSignal(window.history_loader.loaded):
            page.refresh()
        assert _column(table, 0) == [str(new_id)]
        assert page.status_label.text() == "1 recording."  # not "1 row(s)."

        page.period_combo.setCurrentIndex(3)  # all time
        with qtbot.waitSignal(window.history_loader.loaded):
            page.set_tab("alerts")  # first look at the tab loads it
        assert page.severity_combo.isEnabled() and page.ack_combo.isEnabled()
        alerts = page.tables["alerts"]
        assert _column(alerts, "Severity") == ["critical", "warning"]
        assert _column(alerts, "Acknowledged")[0].endswith("by ada")
        with qtbot.waitSignal(window.history_loader.loaded):
            page.ack_combo.setCurrentIndex(2)  # not acknowledged
        assert _column(alerts, 2) == ["Highest temperature"]  # as the Alerts page names it
        with qtbot.waitSignal(window.history_loader.loaded):
            page.ack_combo.setCurrentIndex(0)
        with qtbot.waitSignal(window.history_loader.loaded):
            page.severity_combo.setCurrentIndex(3)  # critical
        assert _column(alerts, 2) == ["Highest cell voltage"]
        assert _column(alerts, "Threshold") == ["4.2 V"]  # with its unit, as the values

        with qtbot.waitSignal(window.history_loader.loaded):
            page.set_tab("diagnostics")
        assert not page.severity_combo.isEnabled()
        page.battery_edit.setText("PACK 7")
        with qtbot.waitSignal(window.history_loader.loaded):
            page.refresh()
        diags = page.tables["diagnostics"]
        assert _column(diags, 3) == ["soc"] and _column(diags, 5) == ["ada"]
        assert "final_soc_percent 41.5" in _column(diags, 6)[0]
        page.grab().save(str(tmp_path / "history_page.png"))
    finally:
        storage_bridge.history_rows = real


def test_open_a_recording_in_the_plots(qtbot, make_window, filled_db, tmp_path):
    url, _old_id, new_id = filled_db
    window = make_window(db_url=url)
    window.show_page(Page.HISTORY)
    page = window.history
    table = page.tables["recordings"]
    qtbot.waitUntil(lambda: table.rowCount() == 2)
    assert not page.open_button.isEnabled()
    table.selectRow(0)
    assert page.open_button.isEnabled()
    with qtbot.waitSignal(window.history_loader.recording_loaded, timeout=20_000):
        page.open_button.click()
    assert window.current_page is Page.DASHBOARD
    assert f"Recording #{new_id}" in window.dashboard.source_label.full_text()
    x, y = window.dashboard.plots.curves["voltage_v"].getOriginalDataset()
    assert len(x) == 600 and x[-1] == pytest.approx(299.5)
    assert y[0] == pytest.approx(14.8)
    assert "cell_2_v" in window.dashboard.plots.curves
    # the spread read-out keeps to the stored battery's plausible cell band
    stored = BatterySpec.from_dict({"chemistry": "nmc", "capacity_ah": 5.0, "series_cells": 4})
    assert window.dashboard.readouts.plausible_cell_v == stored.plausible_cell_v
    _, soc = window.dashboard.plots.curves["soc_percent"].getOriginalDataset()
    assert len(soc) == 600 and np.isfinite(soc).all() and (soc >= 0).all() and (soc <= 100).all()
    window.dashboard.grab().save(str(tmp_path / "history_open.png"))


def test_a_recording_that_loads_after_the_user_moved_on_does_not_switch_pages(
    qtbot, make_window, filled_db
):
    """ "Open in plots", then the user went to the Logs page while it loaded: the window
    turned to the Dashboard under them. It stays where they are and says where it is."""
    url, _old_id, new_id = filled_db
    window = make_window(db_url=url)
    window.show_page(Page.HISTORY)
    page = window.history
    table = page.tables["recordings"]
    qtbot.waitUntil(lambda: table.rowCount() == 2)
    table.selectRow(0)
    with qtbot.waitSignal(window.history_loader.recording_loaded, timeout=20_000):
        page.open_button.click()
        window.show_page(Page.LOGS)  # moved on while it loads
    assert window.current_page is Page.LOGS
    assert f"Recording #{new_id}" in window.dashboard.source_label.full_text()
    message = window.status_bar.currentMessage()
    assert f"Recording #{new_id}" in message and "Dashboard" in message
    # still on the page asked from: the window does turn to the dashboard
    window.show_page(Page.HISTORY)
    with qtbot.waitSignal(window.history_loader.recording_loaded, timeout=20_000):
        page.open_button.click()
    assert window.current_page is Page.DASHBOARD


def test_a_recording_in_the_plots_is_what_diagnostics_and_the_status_speak_of(
    qtbot, make_window, filled_db
):
    """The dashboard showed the recording, but the Diagnostics page, the status bar and
    the connection health still the source streamed before it."""
    from app.hardware.acquisition import AcquisitionState

    url, _old, new_id = filled_db
    window = make_window(db_url=url)
    window.connect_source("scripted://pack?n=300&block=50")
    qtbot.waitUntil(lambda: window.session.status.state is AcquisitionState.FINISHED)
    window.show_page(Page.DIAGNOSTICS)
    qtbot.waitUntil(lambda: window.diagnostics.report is not None, timeout=10_000)
    window.session.stop()
    window.open_recording(new_id)
    qtbot.waitUntil(lambda: window.current_page is Page.DASHBOARD, timeout=20_000)

    report = window.diagnostics.report
    assert not report.live and report.source_url == "sim://nmc?cells=4"
    assert report.samples == 600 and report.span_s == pytest.approx(299.5)
    assert report.results["soc"]["final_soc_percent"] is not None
    run_status = window.diagnostics.run_status_label
    assert run_status.text().startswith(f"Recording #{new_id} · results of ")
    assert "sim://nmc?cells=4" in run_status.toolTip()
    window.show_page(Page.DIAGNOSTICS)  # shown: the stopped source's results do not return
    qtbot.waitUntil(lambda: not window.diagnostics_runner.busy)
    assert window.diagnostics.report is report
    # the stopped source was forgotten: no live results to go back to, nothing to run
    button = window.diagnostics.run_button
    assert button.text() == "Run on current data" and not button.isEnabled()
    assert "scripted://" not in window.status_bar.state_label.text()
    assert window.status_bar.state_label.text() == "Not connected"
    reading = window.health_monitor.poll()
    assert reading.url is None and reading.samples_total == 0
    # the panel says what is shown: the stored recording, not the session's "Closed"
    panel = window.health_panel
    assert panel.state_label.text() == "Stored"
    assert panel.url_label.text() == f"recording #{new_id}"
    assert panel.metrics["total"].value.text() == "600"

    # another source on the dashboard: its results replace the recording's
    window.connect_source("scripted://pack?n=200&block=50")
    qtbot.waitUntil(lambda: window.session.status.state is AcquisitionState.FINISHED)
    window.show_page(Page.DIAGNOSTICS)
    qtbot.waitUntil(lambda: window.diagnostics.report.live, timeout=10_000)
    assert window.diagnostics.report.samples == 200


def test_a_finished_source_does_not_stand_in_the_way_of_a_recording(qtbot, make_window, filled_db):
    """A simulated run had ended (FINISHED) and "Open in plots" still said to disconnect
    it first: there is nothing left to stream, so it is disconnected and the recording
    opens."""
    from app.hardware.acquisition import AcquisitionState

    url, _old, new_id = filled_db
    window = make_window(db_url=url)
    window.connect_source("scripted://pack?n=300&block=50")
    qtbot.waitUntil(lambda: window.session.status.state is AcquisitionState.FINISHED)
    window.show_page(Page.HISTORY)
    table = window.history.tables["recordings"]
    qtbot.waitUntil(lambda: table.rowCount() == 2)
    table.selectRow(0)
    window.history.open_button.click()
    assert window.replace_prompt is None  # nothing to ask
    qtbot.waitUntil(lambda: window.current_page is Page.DASHBOARD, timeout=20_000)
    assert window.dashboard.source_label.full_text().startswith(f"Recording #{new_id}")
    assert not window.session.running
    x, _y = window.dashboard.plots.curves["voltage_v"].getOriginalDataset()
    assert len(x) == 600  # the recording's samples, not the ended source's 300


def _stored(db_url: str) -> tuple:
    """The newest recording's row and its stored times."""
    from app.storage import read_samples
    from app.views import storage_bridge

    row = storage_bridge.history_rows(db_url, "recordings", HistoryPage().filters())[0]
    times = read_samples(storage_bridge.database(db_url), row.id)["time_s"]
    return row, np.asarray(times)


def test_opening_a_recording_while_streaming_asks_and_loses_nothing_recorded(
    qtbot, make_window, filled_db
):
    """A source still streaming (and recording) is not silently refused nor silently
    dropped: the user is asked; Cancel leaves it streaming and recording, Disconnect
    stores the recording whole, then opens the stored one."""
    from PySide6.QtWidgets import QMessageBox

    url, _old, new_id = filled_db
    window = make_window(db_url=url)
    session = window.session
    window.connect_source("scripted://pack?n=0&interval=0.005&block=10")
    qtbot.waitUntil(lambda: session.ring.total >= 40)
    with qtbot.waitSignal(session.recording_started, timeout=20_000):
        window.dashboard.record_button.click()
    window.open_recording(new_id)
    prompt = window.replace_prompt
    assert prompt is not None and prompt.isVisible()
    assert "still streaming" in prompt.text() and "nothing recorded is lost" in (
        prompt.informativeText()
    )
    prompt.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: window.replace_prompt is None)
    assert session.running and session.recording  # left as it was
    total = session.ring.total
    qtbot.waitUntil(lambda: session.ring.total > total)  # still streaming

    streamed = []  # samples the source gave up to its disconnect
    session.stopped.connect(lambda: streamed.append(session.status.samples_total))
    window.open_recording(new_id)
    prompt = window.replace_prompt
    yes = next(b for b in prompt.buttons() if b.text() == "Disconnect and continue")
    with qtbot.waitSignals(
        [session.recording_stopped, window.history_loader.recording_loaded], timeout=30_000
    ):
        yes.click()
    assert window.current_page is Page.DASHBOARD
    assert window.dashboard.source_label.full_text().startswith(f"Recording #{new_id}")
    row, times = _stored(url)
    assert row.id != new_id and row.status == "complete"
    # one run without a gap up to the last sample streamed before the disconnect
    assert len(times) == row.sample_count > 0
    np.testing.assert_array_equal(times, times[0] + np.arange(len(times)))
    assert times[-1] == streamed[0] - 1


def test_replaying_a_log_while_streaming_asks_first(qtbot, make_window, tmp_path):
    """Logs › Replay in dashboard replaced a streaming source without a word."""
    from PySide6.QtWidgets import QMessageBox

    window = make_window()
    session = window.session
    stream = "scripted://pack?n=0&interval=0.005&block=10"
    window.connect_source(stream)
    qtbot.waitUntil(lambda: session.ring.total >= 20)
    replay = "scripted://pack?n=200&block=50"
    window.logs.replay_requested.emit(replay)
    prompt = window.replace_prompt
    assert prompt is not None and "Record is off" in prompt.informativeText()
    assert session.source_url == stream and session.running
    prompt.button(QMessageBox.StandardButton.Cancel).click()
    assert session.source_url == stream and session.running
    window.logs.replay_requested.emit(replay)
    yes = next(b for b in window.replace_prompt.buttons() if b.text().startswith("Disconnect"))
    yes.click()
    qtbot.waitUntil(lambda: session.source_url == replay)
    assert window.current_page is Page.DASHBOARD
    window.session.stop()


def test_database_errors_are_shown_on_the_page(qtbot, make_window):
    window = make_window(db_url="sqlite:////nonexistent-dir/x/y.sqlite")
    window.show_page(Page.HISTORY)
    label = window.history.status_label
    qtbot.waitUntil(lambda: label.objectName() == "errorText")
    assert label.text() and "Traceback" not in label.text()


def test_custom_period_filters(qtbot):
    from PySide6.QtCore import QDateTime

    page = HistoryPage()
    qtbot.addWidget(page)
    assert page.filters().since is None  # all time
    page.period_combo.setCurrentIndex(0)
    now = datetime(2026, 12, 3, 12, tzinfo=UTC)
    assert page.filters(now).since == now - timedelta(days=1)
    page.period_combo.setCurrentIndex(4)  # custom
    assert page.from_edit.isEnabled()
    page.from_edit.setDateTime(QDateTime.fromString("2026-11-01T00:00:00Z", "yyyy-MM-ddTHH:mm:ssZ"))
    f = page.filters()
    assert f.since.tzinfo is not None and f.until > f.since
    assert f.severity is None  # recordings tab: alert filters do not apply


def test_a_recording_stored_without_a_battery_is_not_judged_against_a_guess(tmp_path):
    """Its SOC is estimated with the live default (NMC), but the dashboard gets no
    battery: no cell is called implausible against a band the user never gave."""
    from app.core.samples import SampleBlock
    from app.storage import Database
    from app.storage import repositories as repo
    from app.storage.sample_writer import write_samples
    from app.views.history_loader import _load_recording

    url = f"sqlite:///{tmp_path / 'bare.sqlite'}"
    with Database(url) as db:
        db.ensure_schema()
        rec = repo.create_recording(db, "serial:///dev/ttyUSB0?protocol=jk")
        t = np.arange(100) * 1.0
        cells = {f"cell_{k}_v": np.full(100, 3.3) for k in (1, 2)}
        block = SampleBlock({"time_s": t, "voltage_v": np.full(100, 6.6),
                             "current_a": np.zeros(100), **cells})  # fmt: skip
        write_samples(db, rec.id, block, 0)
        repo.finish_recording(db, rec.id)
    _title, snapshot, battery, _report = _load_recording(url, rec.id)
    assert battery is None
    assert np.isfinite(snapshot["soc_percent"]).all()


def test_the_dates_show_only_for_a_custom_period_and_empty_tables_say_why(qtbot):
    """ "All time" beside a 7-day date range said a filter that was not applied; an
    empty table said nothing at all."""
    page = HistoryPage()
    qtbot.addWidget(page)
    page.show()
    assert page.period_combo.currentText() == "All time"
    assert not page.from_edit.isVisible() and not page.to_edit.isVisible()
    assert not page.severity_combo.isVisible()  # the alert filters: on their tab only
    page.period_combo.setCurrentIndex(4)  # custom
    assert page.from_edit.isVisible() and page.to_edit.isVisible()
    page.period_combo.setCurrentIndex(1)  # last 7 days
    assert not page.from_edit.isVisible()

    assert page.tables["recordings"].placeholder == "Not loaded yet."
    page.battery_edit.setText("pack 7")
    page.show_rows("recordings", [])
    text = page.tables["recordings"].placeholder
    assert text.startswith('No recordings matching "pack 7" in the last 7 days.')
    assert "Record on the Dashboard" in text and "Import into database" in text
    assert page.status_label.text() == "Nothing matches."  # under a search and a period
    page.battery_edit.setText("")
    page.period_combo.setCurrentIndex(3)  # all time: nothing was filtered out
    page.show_rows("recordings", [])
    assert page.status_label.text() == ""  # the table's "No recordings." says it
    assert page.tables["recordings"].placeholder.startswith("No recordings.")
    page.battery_edit.setText("pack 7")
    page.set_tab("alerts")
    assert page.severity_combo.isVisible()
    page.period_combo.setCurrentIndex(3)  # all time
    page.severity_combo.setCurrentIndex(3)
    page.show_rows("alerts", [])
    assert page.tables["alerts"].placeholder.startswith('No critical alerts matching "pack 7".')
    page.show_rows("diagnostics", [])
    assert "REST API" in page.tables["diagnostics"].placeholder
    page.tables["alerts"].grab()  # the text is drawn across the empty table (no error)


def test_a_recordings_duration_is_its_datas_not_the_wall_clocks(qtbot, make_window, tmp_path):
    """An imported Neware log (27.9 h of data) read 6581:34:29: it "started" when the file
    says and "ended" when imported. An hour of a simulator at speed=200, stored in 17 s
    of wall clock, read 0:00:17. Both are first to last sample time."""
    from app.core.samples import SampleBlock
    from app.hardware.logs.formats import open_log
    from app.storage import Database
    from app.storage import repositories as repo
    from app.storage.sample_writer import write_samples
    from tests.real_data import REAL_DATA

    if REAL_DATA is None:
        pytest.skip("no real data folder")
    log = open_log(str(REAL_DATA / "neware" / "nw_regular_export_ife_example.csv"))
    url = f"sqlite:///{tmp_path / 'durations.sqlite'}"
    with Database(url) as db:
        db.ensure_schema()
        started = datetime.fromisoformat(log.metadata["start_utc"])  # 2026-03-06, months ago
        neware = repo.import_recording(db, log.frame, "file:///nw.csv", started_at=started)
        fast = repo.create_recording(db, "sim://nmc?speed=200", started_at=datetime.now(UTC))
        t = np.arange(3601) * 1.0  # an hour of data, stored in well under a second
        write_samples(db, fast.id, SampleBlock({"time_s": t, "voltage_v": 3.7 - t / 1e4,
                                                "current_a": np.full(t.size, -1.0)}), 0)  # fmt: skip
        repo.finish_recording(db, fast.id)
        empty = repo.create_recording(db, "sim://nmc", started_at=datetime.now(UTC))
    window = make_window(db_url=url)
    window.show_page(Page.HISTORY)
    table = window.history.tables["recordings"]
    qtbot.waitUntil(lambda: table.rowCount() == 3)
    durations = dict(zip(_column(table, "#"), _column(table, "Duration"), strict=True))
    assert durations[str(neware.id)] == "27:55:43"  # 100,543 s of data
    assert durations[str(fast.id)] == "1:00:00"
    assert durations[str(empty.id)] == ""  # no samples: no duration to tell
    window.grab().save(str(tmp_path / "history_durations.png"))


def test_an_opened_recording_is_shown_as_stored_and_exported_as_the_cli_reports_it(
    qtbot, make_window, filled_db, tmp_path
):
    """File › Export report of recording #N opened from History said "Report not written:
    no samples to report yet" (the session's samples: none), though `batteryos report
    recording:N` wrote one; the health panel said "Closed · 0 samples" beside its 600,
    and Pause and Follow live did nothing."""
    from app.cli import main

    url, _old, new_id = filled_db
    window = make_window(db_url=url)
    window.open_recording(new_id)
    qtbot.waitUntil(lambda: window.current_page is Page.DASHBOARD, timeout=20_000)
    dashboard, panel = window.dashboard, window.health_panel
    assert not dashboard.pause_button.isVisible() and not dashboard.follow_button.isVisible()
    assert panel.state_label.text() == "Stored"
    assert panel.url_label.text() == f"recording #{new_id}"
    assert panel.metrics["total"].value.text() == "600"
    assert panel.metrics["samples"].value.text() == "n/a"
    window.health_monitor.poll()  # the stopped session's readings do not undo it
    assert (
        panel.state_label.text() == "Stored" and "sim://nmc?cells=4" in panel.state_label.toolTip()
    )
    for label in (panel.url_label, panel.metrics["total"].value):  # laid out whole
        qtbot.waitUntil(lambda label=label: label.width() >= label.sizeHint().width())
    window.grab().save(str(tmp_path / "recording_stored.png"))

    gui, cli = tmp_path / "gui.csv", tmp_path / "cli.csv"
    window.export_report(str(gui))
    bar = window.status_bar
    qtbot.waitUntil(lambda: "Report" in bar.currentMessage() and "Writing" not in
                    bar.currentMessage(), timeout=60_000)  # fmt: skip
    assert bar.currentMessage().startswith(f"Report written to {gui}"), bar.currentMessage()
    user = window.alert_center.operator()  # who is at the bench, as the live report has
    argv = ["--db", url, "report", f"recording:{new_id}", "-o", str(cli), "--user", user]
    assert main(argv) == 0

    def lines(path):  # all but the minute it was generated
        return [ln for ln in path.read_text().splitlines() if not ln.startswith("cover,Generated")]

    assert lines(gui) == lines(cli)
    assert f"cover,Source,recording {new_id} (sim://nmc?cells=4)" in lines(gui)

    # the older recording was stored without its battery: said, with the command that can
    window.open_recording(_old)
    qtbot.waitUntil(lambda: panel.url_label.text() == f"recording #{_old}", timeout=20_000)
    window.export_report(str(tmp_path / "bare.pdf"))
    qtbot.waitUntil(lambda: "not written" in bar.currentMessage(), timeout=20_000)
    assert "stored without its battery" in bar.currentMessage()
    # (the window's database is not the CLI's default: the command names it)
    assert f"batteryos --db {url} report recording:{_old}" in bar.currentMessage()
    assert not (tmp_path / "bare.pdf").exists()

    # a source on the dashboard: its connection and its controls again
    window.connect_source("scripted://pack?n=0&interval=0.01&block=10")
    qtbot.waitUntil(lambda: panel.state_label.text() == "Streaming")
    assert dashboard.pause_button.isVisible() and dashboard.follow_button.isVisible()
    window.session.stop()


def _columns_drawn(plots, column: str) -> float:
    """The share of pixel columns, across the span of ``column``'s data, in which its
    curve lit at least one pixel of its colour (1.0: an unbroken trace)."""
    from PySide6.QtCore import QPointF

    curve = plots.curves[column]
    color = curve.opts["pen"].color()
    image = plots.grab().toImage()
    view = curve.getViewBox()
    x, y = curve.getOriginalDataset()
    left = plots.mapFromScene(view.mapViewToScene(QPointF(float(x[0]), float(y.max()))))
    right = plots.mapFromScene(view.mapViewToScene(QPointF(float(x[-1]), float(y.min()))))
    ratio = image.devicePixelRatio()
    x0, x1 = int(left.x() * ratio) + 2, int(right.x() * ratio) - 2
    y0, y1 = int(left.y() * ratio) - 3, int(right.y() * ratio) + 3
    lit = 0
    for px in range(x0, x1):
        if any(image.pixelColor(px, py) == color for py in range(y0, y1 + 1)):
            lit += 1
    return lit / (x1 - x0)


def test_a_long_recording_draws_unbroken_traces(qtbot, make_window, tmp_path):
    """An hour at 10 Hz opened whole: the cell traces drew as dots and dashes (flat, a few
    mV of noise: pyqtgraph's ten points a pixel made segments too short for a 1-px line),
    and the pack voltage as a staircase (downsampled while the page was not laid out)."""
    from app.core.samples import SampleBlock
    from app.storage import Database
    from app.storage import repositories as repo
    from app.storage.sample_writer import write_samples

    rng = np.random.default_rng(7)
    n = 36_000
    t = np.arange(n) * 0.1
    cells = {f"cell_{k}_v": 3.6 - t / 4e4 + rng.normal(0, 0.002, n) for k in (1, 3, 4)}
    cells["cell_2_v"] = 2.9 - t / 4e4 + rng.normal(0, 0.002, n)  # apart: drawn alone
    pack = sum(cells.values())
    url = f"sqlite:///{tmp_path / 'long.sqlite'}"
    with Database(url) as db:
        db.ensure_schema()
        spec = {"chemistry": "nmc", "capacity_ah": 5.0, "series_cells": 4}
        rec = repo.create_recording(db, "sim://nmc?cells=4&speed=200", spec)
        block = SampleBlock({"time_s": t, "voltage_v": pack, "current_a": np.full(n, -0.5),
                             "temperature_c": np.full(n, 25.0), **cells})  # fmt: skip
        write_samples(db, rec.id, block, 0)
        repo.finish_recording(db, rec.id)
    window = make_window(db_url=url)
    window.resize(1600, 900)
    window.open_recording(rec.id)
    qtbot.waitUntil(lambda: window.current_page is Page.DASHBOARD, timeout=30_000)
    plots = window.dashboard.plots
    qtbot.waitUntil(lambda: _columns_drawn(plots, "cell_2_v") > 0.97, timeout=5_000)
    qtbot.waitUntil(lambda: _columns_drawn(plots, "voltage_v") > 0.97, timeout=5_000)
    total = window.health_panel.metrics["total"].value
    qtbot.waitUntil(lambda: total.width() >= total.sizeHint().width())
    assert total.text() == "36,000"
    window.grab().save(str(tmp_path / "recording_unbroken.png"))


def test_a_long_source_url_is_cut_so_status_and_samples_stay_in_view_at_1024_px(qtbot, make_window):
    """At 1024 px a simulator URL with a fault's options took the Source column to
    ~900 px: Status and Samples were off to the right. It is cut in the middle, on one
    line, the whole URL in its tooltip, and fits again when the window narrows."""
    from types import SimpleNamespace

    url = (
        "sim://nmc?cells=4&speed=50&fault=internal_short&fault_at=100&fault_cell=3"
        "&noise=1&bms_soc=1&seed=7&capacity_ah=5.0&temperature_c=25"
    )
    row = SimpleNamespace(
        id=1,
        started_at=datetime(2026, 12, 5, 18, 57, 34, tzinfo=UTC),
        data_span_s=1422.0,
        source_url=url,
        status="recording",
        sample_count=22449,
        notes="",
    )
    window = make_window()
    window.resize(1600, 900)
    # the first visit loads the (empty) table in the background: its answer must
    # not replace the row shown below
    with qtbot.waitSignal(window.history_loader.loaded):
        window.show_page(Page.HISTORY)
    page = window.history
    table = page.tables["recordings"]
    page.show_rows("recordings", [row])
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() == 1024)
    samples = _COLUMNS_RECORDINGS.index("Samples")
    source = _COLUMNS_RECORDINGS.index("Source")
    qtbot.waitUntil(
        lambda: (
            table.columnViewportPosition(samples) + table.columnWidth(samples)
            <= table.viewport().width()
        )
    )
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0)  # once laid out
    assert table.item(0, source).toolTip() == url
    assert table.item(0, source).text() == url  # (cut only as drawn)
    assert table.rowHeight(0) < 2 * table.fontMetrics().height()  # one line


_COLUMNS_RECORDINGS = ("#", "Started", "Duration", "Source", "Status", "Samples", "Notes")


def test_long_notes_wrap_in_view_at_1024_px(qtbot, make_window):
    """An imported log's notes ('Imported from nw_regular_export_ife_example.csv ...')
    ran past the table's right edge at 1024 px (a horizontal scroll bar, the end of the
    notes out of sight): they wrap in their column."""
    from types import SimpleNamespace

    notes = (
        "Imported from nw_regular_export_ife_example.csv (Neware export); "
        "cells 1-4 of rack 7, after the 500-cycle check"
    )
    row = SimpleNamespace(
        id=1,
        started_at=datetime(2026, 3, 6, 12, 37, 25, tzinfo=UTC),
        data_span_s=100543.0,
        source_url="file:///data/logs/nw_regular_export_ife_example.csv",
        status="complete",
        sample_count=9295,
        notes=notes,
    )
    window = make_window()
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.width() == 1024)
    # the first visit loads the (empty) table in the background: its answer must
    # not replace the row shown below
    with qtbot.waitSignal(window.history_loader.loaded):
        window.show_page(Page.HISTORY)
    page = window.history
    table = page.tables["recordings"]
    page.show_rows("recordings", [row])
    column = _COLUMNS_RECORDINGS.index("Notes")
    qtbot.waitUntil(
        lambda: (
            table.columnViewportPosition(column) + table.columnWidth(column)
            <= table.viewport().width()
        )
    )
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0)  # once laid out
    assert table.item(0, column).text() == notes  # whole, wrapped
    assert table.item(0, column).toolTip() == notes  # (a long file name is cut as drawn)
    assert table.rowHeight(0) > table.fontMetrics().height() * 1.5
