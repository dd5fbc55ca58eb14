"""The main window: connecting, errors shown not raised, status bar faults,
recording, recent recordings, remembered layout."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QSize
from PySide6.QtWidgets import QScrollArea

from app.hardware.acquisition import AcquisitionState
from app.views.main_window import Page
from app.views.theme import DARK
from app.views.window_layout import WindowLayoutStore

from .view_fakes import FailingSource


def test_connect_shows_the_dashboard_with_data(qtbot, make_window):
    window = make_window()
    assert window.connect_source("scripted://pack?n=300") is None
    assert window.current_page is Page.DASHBOARD
    qtbot.waitUntil(lambda: len(window.dashboard.plots.shown.get("time_s", ())) == 300)
    assert window.settings.recent_sources[0] == "scripted://pack?n=300"
    assert window.home.url_combo.itemText(0) == "scripted://pack?n=300"


def test_the_dashboard_spread_keeps_to_the_sessions_battery(qtbot, make_window):
    window = make_window()
    assert window.connect_source("scripted://pack?n=300") is None
    qtbot.waitUntil(lambda: len(window.dashboard.plots.shown.get("time_s", ())) == 300)
    band = window.session.spec.plausible_cell_v
    assert all(abs(x) < 100 for x in band)  # a bounded band, the spec's
    assert window.dashboard.readouts.plausible_cell_v == band


def test_unknown_scheme_is_shown_on_the_home_page(make_window):
    window = make_window()
    error = window.connect_source("nosuch://device")
    assert error and "unknown source scheme 'nosuch'" in error
    assert window.current_page is Page.HOME
    assert window.home.error_label.isVisibleTo(window)
    assert "nosuch" in window.home.error_label.text()
    assert not window.session.running


def test_opening_a_missing_log_file_shows_the_error(qtbot, make_window, tmp_path):
    window = make_window()
    window.open_log_file(str(tmp_path / "missing.csv"))
    assert window.home.url_combo.currentText().startswith("file://")
    label = window.status_bar.state_label
    qtbot.waitUntil(
        lambda: label.text().startswith("Could not open: ") and "no such file" in label.text()
    )
    assert label.property("state") == "fault"


def test_opening_a_canonical_csv_plots_it(qtbot, make_window, tmp_path):
    import json

    from app.core.spec import preset
    from app.hardware.logs.canonical_csv import write_canonical_csv

    from .view_fakes import scripted_block

    block = scripted_block(0, 500)
    path = tmp_path / "pack log.csv"  # a space: the file:// URL must quote it
    spec = preset("lfp", series_cells=4)
    write_canonical_csv(str(path), block, {"spec": json.dumps(spec.to_dict())})
    window = make_window()
    assert window.open_log_file(str(path)) is None
    qtbot.waitUntil(lambda: len(window.dashboard.plots.shown.get("time_s", ())) == 500)
    x, y = window.dashboard.plots.curves["cell_2_v"].getOriginalDataset()
    np.testing.assert_allclose(x, block["time_s"])
    np.testing.assert_allclose(y, block["cell_2_v"], atol=1e-5)  # the CSV keeps ~6 digits
    assert window.settings.recent_files[0] == str(path)
    assert window.session.spec == spec  # the file's battery, known only once opened


def test_home_connect_button_uses_the_typed_url(qtbot, make_window):
    window = make_window()
    window.home.url_combo.setCurrentText("scripted://pack?n=50")
    window.home.connect_button.click()
    qtbot.waitUntil(lambda: window.session.status.samples_total == 50)
    assert window.current_page is Page.DASHBOARD


def test_source_fault_shows_red_in_the_status_bar(qtbot, make_window):
    window = make_window()
    window.connect_source("failing://port")
    label = window.status_bar.state_label
    qtbot.waitUntil(lambda: FailingSource.MESSAGE in label.text())
    assert label.text().startswith("Could not open:")  # (it never opened)
    assert label.property("state") == "fault"
    # the theme's fault colour is what QSS paints for state="fault"
    assert label.palette().color(label.foregroundRole()).name() == DARK.fault


def test_finished_source_and_disconnect(qtbot, make_window):
    window = make_window()
    window.connect_source("scripted://pack?n=100")
    qtbot.waitUntil(lambda: window.session.status.state is AcquisitionState.FINISHED)
    assert window.status_bar.state_label.text().startswith("Finished")
    assert "100 samples" in window.status_bar.samples_label.text()
    window.dashboard.disconnect_button.click()
    assert not window.session.running


def test_recording_to_a_dead_database_keeps_streaming(qtbot, make_window):
    window = make_window(db_url="postgresql://nobody@127.0.0.1:1/nothing")
    window.connect_source("scripted://pack?n=0&interval=0.01&block=10")
    window.dashboard.record_button.click()
    label = window.status_bar.recording_label
    qtbot.waitUntil(lambda: label.text().startswith("Recording failed:"), timeout=20_000)
    assert label.property("failed") == "true"
    assert not window.dashboard.record_button.isChecked()
    assert window.dashboard.record_button.isEnabled()
    total = window.session.ring.total
    qtbot.waitUntil(lambda: window.session.ring.total > total + 30)
    assert window.session.status.state is AcquisitionState.STREAMING


def test_recording_lands_in_the_database_and_the_recent_list(qtbot, make_window):
    window = make_window()  # default database: SQLite in the private data dir
    window.connect_source("scripted://pack?n=0&interval=0.01&block=10")
    button = window.dashboard.record_button
    with qtbot.waitSignal(window.session.recording_started, timeout=20_000):
        button.click()
        assert button.text() == "● Starting…" and not button.isEnabled()
    assert window.session.recording, window.session.status.recording_error
    assert button.isChecked() and button.isEnabled()
    assert window.status_bar.recording_label.text() == "● REC"
    # samples handed to the recorder (the ring may hold >100 before recording began)
    qtbot.waitUntil(lambda: window.session._recording.samples_written > 100)
    with qtbot.waitSignal(window.session.recording_stopped, timeout=20_000):
        button.click()  # stop: flushes and closes the recorder in the background
        assert button.text() == "Saving…" and not button.isEnabled()
    assert not window.session.recording
    assert button.text() == "● Record" and button.isEnabled()
    window.session.stop()

    from app.storage import repositories
    from app.views import storage_bridge

    recordings = repositories.list_recordings(storage_bridge._database(None), 5)
    assert len(recordings) == 1
    assert recordings[0].source_url.startswith("scripted://")
    assert recordings[0].sample_count > 0

    window.show_page(Page.HOME)  # the list is stale after a recording: it reloads
    qtbot.waitUntil(lambda: window.home.recordings_list.count() == 1)
    assert "scripted://" in window.home.recordings_list.item(0).text()


def test_recent_recordings_load_after_the_first_paint(qtbot, make_window):
    window = make_window()
    status = window.home.recordings_status
    qtbot.waitUntil(lambda: status.text() == "No recordings yet.")
    qtbot.waitUntil(lambda: not window.recordings_loader.running)  # the thread ends after emitting


def test_recent_recordings_error_is_text_not_a_traceback(qtbot, make_window):
    window = make_window(db_url="sqlite:////nonexistent-dir/x/y.sqlite")
    status = window.home.recordings_status
    qtbot.waitUntil(lambda: status.objectName() == "errorText")
    assert status.text() and "Traceback" not in status.text()
    assert window.home.recordings_list.count() == 0


def test_window_page_and_layout_are_remembered(qtbot, make_window, private_dirs):
    window = make_window(persist=True)
    window.show_page(Page.DASHBOARD)
    window.close()
    assert (private_dirs / "config" / "window.ini").exists()

    again = make_window(persist=True)
    assert again.current_page is Page.DASHBOARD


def test_layout_store_restores_geometry(qtbot, private_dirs):
    from PySide6.QtWidgets import QMainWindow

    # a plain window: the offscreen screen (800x800) is smaller than Battery OS' minimum
    first = QMainWindow()
    qtbot.addWidget(first)
    first.resize(QSize(640, 480))
    first.show()
    WindowLayoutStore().save(first, 1)
    second = QMainWindow()
    qtbot.addWidget(second)
    assert WindowLayoutStore().restore(second) == 1
    assert second.size() == QSize(640, 480)


def test_closing_the_window_joins_the_acquisition_thread(qtbot, make_window):
    window = make_window()
    window.connect_source("scripted://pack?n=0&interval=0.01")
    acquisition = window.session.acquisition
    qtbot.waitUntil(lambda: window.session.ring.total > 0)
    window.close()
    assert not acquisition.running


def test_a_live_source_that_cannot_open_says_retrying(qtbot, make_window):
    window = make_window()
    window.connect_source("failing://port")  # a live device: the thread tries again
    label = window.status_bar.state_label
    qtbot.waitUntil(lambda: label.text().endswith("· retrying…"))
    # never opened: not a "Fault" of a connection that was never made
    assert label.text() == f"Could not open: failing://port: {FailingSource.MESSAGE} · retrying…"
    assert label.property("state") == "fault"


def test_log_file_fault_says_not_retrying(qtbot, make_window, tmp_path):
    window = make_window()
    window.connect_source(f"file://{tmp_path}/missing.csv")  # a finite source: one try
    label = window.status_bar.state_label
    qtbot.waitUntil(lambda: window.session.acquisition.wait_finished(0))
    qtbot.waitUntil(lambda: "not retrying" in label.text())
    assert label.text().startswith("Could not open: ") and "no such file" in label.text()
    assert "reconnecting" not in label.text()
    assert label.property("state") == "fault"


def test_closing_while_a_recording_flushes_waits_and_says_so(qtbot, make_window, monkeypatch):
    import threading

    from PySide6.QtCore import QTimer

    from app.views import storage_bridge
    from app.views.live_session import RecordingPhase

    release = threading.Event()
    closed_in = []

    class SlowRecorder:
        def append(self, block):
            pass

        def close(self, timeout=None):
            assert release.wait(10)
            closed_in.append(threading.current_thread().name)

    monkeypatch.setattr(storage_bridge, "open_recorder", lambda *a: SlowRecorder())
    window = make_window()
    window.connect_source("scripted://pack?n=0&interval=0.01&block=10")
    with qtbot.waitSignal(window.session.recording_started):
        window.dashboard.record_button.click()
    try:
        ticks = []
        timer = QTimer(interval=10)
        timer.timeout.connect(lambda: ticks.append(1))
        timer.start()
        assert not window.close()  # refused for now: the recording is being stored
        assert window.isVisible()
        assert window.session.recording_phase is RecordingPhase.STOPPING
        notice = window.closing_notice
        assert notice is not None and notice.isVisible()
        assert "Saving the recording" in notice.text()
        assert "Saving the recording" in window.status_bar.recording_label.text()
        qtbot.waitUntil(lambda: len(ticks) >= 10)  # the GUI is not blocked meanwhile
        assert window.isVisible() and not closed_in
    finally:
        release.set()
    qtbot.waitUntil(lambda: not window.isVisible())  # closes by itself once stored
    timer.stop()
    assert closed_in and closed_in[0] != threading.current_thread().name
    assert not window.background_busy
    assert not notice.isVisible()


def test_diagnostics_page_in_the_sidebar_and_view_menu(make_window):
    window = make_window()
    assert [window.sidebar.item(i).text() for i in range(window.sidebar.count())] == [
        "Home",
        "Dashboard",
        "Diagnostics",
        "Logs",
        "Alerts",
        "History",
    ]
    window.action_diagnostics.trigger()
    assert window.current_page is Page.DIAGNOSTICS
    assert window.stack.currentWidget().widget() is window.diagnostics
    window.action_logs.trigger()
    assert window.current_page is Page.LOGS
    assert window.stack.currentWidget().widget() is window.logs


def test_the_window_fits_a_small_screen_whatever_the_source(qtbot, make_window):
    # its minimum size was 1227 x 802 (the widest page, the tallest), and a long
    # source URL in the status bar widened it further: now 1024 x 700 fits
    from app.hardware.acquisition import AcquisitionState
    from app.views.live_session import SessionStatus

    window = make_window()
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 700
    url = "sim://nmc?" + "&".join(f"option_{k}=value_{k}" for k in range(40))
    window.status_bar.show_status(SessionStatus(state=AcquisitionState.STREAMING, source_url=url))
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.size().width() == 1024 and window.size().height() == 700)
    label = window.status_bar.state_label
    assert label.toolTip().endswith(url)  # the whole of it, for whoever hovers
    assert "…" in label.shown_text() and label.shown_text().startswith("Streaming · sim://")


def _diagnostics_run_at_1024_px(qtbot, make_window, sim: str):
    """The Diagnostics page of a 1024 px window once ``sim`` has finished and a run on
    it has ended."""
    window = make_window()
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.size() == QSize(1024, 700))
    window.connect_source(sim)
    qtbot.waitUntil(
        lambda: window.session.status.state is AcquisitionState.FINISHED, timeout=60_000
    )
    page = window.diagnostics
    window.show_page(Page.DIAGNOSTICS)
    page.run_button.click()
    qtbot.waitUntil(lambda: page.report is not None and page.run_button.isEnabled(), timeout=60_000)
    return page


def test_the_diagnostics_run_status_keeps_its_figures_at_1024_px(qtbot, make_window):
    """At 1024 px the run status beside 'Refreshed every 10 s' and the Run button was cut
    mid-number ('results of 10:57:(', '… over 2'): the words 'results of' and the source's
    name are shortened first, the time, the sample count and the duration stay whole; the
    tooltip has it all."""
    import dataclasses

    from app.views.time_axis import span_text

    sim = "sim://nmc?cells=4&profile=drive&speed=0&duration=1800"
    page = _diagnostics_run_at_1024_px(qtbot, make_window, sim)
    long_name = "/data/neware/nw_regular_export_ife_example_with_a_long_name.csv"
    for url in (sim, f"file://{long_name}"):
        report = dataclasses.replace(page.report, source_url=url)
        page.show_report(report)
        label = page.run_status_label
        shown = label.shown_text()
        assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
        figures = (
            f"{report.finished_at:%H:%M:%S} · ",
            f"{report.samples:,} samples over {span_text(report.span_s)}",
        )
        assert report.samples > 1000
        for figure in figures:
            assert figure in shown, (figure, shown)
        assert f"results of {report.finished_at:%H:%M:%S}" in label.toolTip()
        assert figures[1] in label.toolTip()
        if url != sim:  # (the simulator's few words fit whole)
            assert "…" in shown  # the source's name, not the figures, gave way
    assert "nw_regular_export_ife_example_with_a_long_name.csv" in label.toolTip()


def test_a_live_refresh_keeps_the_simulators_name_whole_at_1024_px(qtbot, make_window):
    """Beside 'Refreshed every 10 s' the run status read 'sim NM… drive · 07:06:22 ·
    15,000 samples over 25:00' at 1024 px, and ' · refreshing…' at its end took more of
    the source's room while the live results refreshed. 'Every 10 s' (what refreshes is
    in its tooltip) leaves the name whole; 'Refreshing…' goes in its place meanwhile."""
    sim = "sim://nmc?cells=4&profile=drive&speed=0&duration=15000"
    page = _diagnostics_run_at_1024_px(qtbot, make_window, sim)
    assert page.report.live and page.report.samples >= 10_000
    page.set_auto_refresh(True)  # as while the source streams
    label = page.run_status_label
    assert label.shown_text().startswith("sim NMC 4S drive · ")
    page.show_running()
    shown = label.shown_text()
    assert shown.startswith("sim NMC 4S drive · ") and "…" not in shown, shown
    assert f"{page.report.samples:,} samples" in shown
    assert page.auto_label.text() == "Refreshing…" and page.auto_label.isVisible()
    page.show_report(page.report)
    assert page.auto_label.text() == "Every 10 s" and "refreshed" in page.auto_label.toolTip()


def test_a_log_run_names_its_file_and_simulated_battery_at_1024_px(qtbot, make_window, tmp_path):
    """Logs -> Diagnostics at 1024 px on a log Battery OS wrote of a simulated pack: the
    header names the file and the simulated battery (it showed the simulator's URL the
    file records, cut to 'sim://nmc?c…d=2&speed=0'); the tooltip has the path and URL."""
    from app.cli import main

    path = tmp_path / "pack_drive_run7.csv"
    args = ["--duration", "1800", "--rate-hz", "10", "--cells", "4", "--capacity-ah", "50"]
    assert main(["simulate", *args, "--seed", "2", "-o", str(path)]) == 0
    window = make_window()
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.size() == QSize(1024, 700))
    window.open_in_logs([str(path)])
    qtbot.waitUntil(lambda: not window.logs.loading and not window.logs.busy, timeout=60_000)
    with qtbot.waitSignal(window.logs.diagnostics_finished, timeout=120_000):
        window.logs.diagnostics_button.click()
    assert window.current_page is Page.DIAGNOSTICS
    label = window.diagnostics.run_status_label
    shown = label.shown_text()
    assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
    assert shown.startswith("pack_drive_run7.csv (sim NMC 4S"), shown
    assert shown.endswith("18,000 samples over 30\u00a0min"), shown
    assert label.text().startswith("pack_drive_run7.csv (sim NMC 4S 50 Ah drive) · results")
    tip = label.toolTip()
    assert str(path) in tip and "sim://nmc?cells=4&capacity_ah=50.0&profile=drive" in tip


def test_the_dashboard_plots_keep_a_readable_height_at_1024_px(qtbot, make_window):
    """At 1024 x 700 the five stacked plots were 55 px high each and their axis titles
    ran together ("Temp. (°C)Current (A)"): each plot keeps a height its title fits
    beside, the titles apart, and the stack scrolls to the bottom plot and its time axis."""
    from app.views.live_plots import MIN_PLOT_HEIGHT_PX

    window = make_window()
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.size() == QSize(1024, 700))
    assert window.connect_source("scripted://pack?n=300") is None
    plots = window.dashboard.plots
    qtbot.waitUntil(lambda: len(plots.shown.get("time_s", ())) == 300)
    qtbot.waitUntil(  # (layouts settle on posted events)
        lambda: all(p.getViewBox().height() >= MIN_PLOT_HEIGHT_PX - 1 for p in plots.plots.values())
    )
    titles = []
    for key, plot in plots.plots.items():
        title = plot.getAxis("left").label  # drawn turned a quarter: its width is its height
        assert plot.getViewBox().height() >= MIN_PLOT_HEIGHT_PX - 1, key
        assert title.boundingRect().width() <= plot.getViewBox().height(), key
        titles.append(title.mapRectToScene(title.boundingRect()))
    for above, below in zip(titles[:-1], titles[1:], strict=True):
        assert above.bottom() <= below.top()
    scroll = window.dashboard.plots_scroll
    assert scroll.verticalScrollBar().maximum() == plots.height() - scroll.viewport().height()
    assert not scroll.horizontalScrollBar().isVisible()


def _shown_in(widget, area=None) -> bool:
    """``widget`` is shown whole inside the visible part of the page's scroll area
    and of the window (not beyond a scroll bar, not off the screen's edge)."""
    from PySide6.QtCore import QPoint, QRect

    if not widget.isVisible():
        return False
    window = widget.window()
    box = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    if area is None:
        return window.rect().contains(box)
    seen = QRect(area.viewport().mapTo(window, QPoint(0, 0)), area.viewport().size())
    return window.rect().contains(box) and seen.contains(box)


def test_no_page_scrolls_sideways_on_a_small_screen(qtbot, make_window):
    """At 1024 x 700 no page needs a horizontal scroll bar, and what a page is for is in
    view: the read-outs, the banner's comment field, "Run on current data", the results,
    the Alerts table's "Raised" column, the Logs page's dQ/dV tab, a usable file list
    and the page's actions (Run diagnostics, Import, Replay) with a long battery warning. (The stack's minimum was its widest page's, 1043 px
    wide for the History page's filters: every page scrolled sideways.)"""
    from app.views.alerts_page import CURRENT_COLUMNS
    from app.views.diagnostics_catalog import ResultSummary, Status

    from .test_alerts_views import CRITICAL, WARNING, feed, raised

    window = make_window()
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.size() == QSize(1024, 700))
    assert window.connect_source("scripted://pack?n=300") is None
    qtbot.waitUntil(lambda: len(window.dashboard.plots.shown.get("time_s", ())) == 300)
    feed(window, raised(WARNING, value=41.0), raised(CRITICAL))
    banner = window.alert_banner
    qtbot.waitUntil(banner.isVisible)
    with qtbot.waitSignal(window.diagnostics_runner.finished, timeout=60_000):
        window.show_page(Page.DIAGNOSTICS)  # runs on the data at hand
    logs = window.logs
    logs.spec_note.setText("Warning: the cell voltage is above the preset's maximum. " * 12)

    for page in Page:
        window.show_page(page)
        area = window.page_areas[int(page)]
        qtbot.waitUntil(lambda area=area: area.widget().size().width() >= 600)
        # (layouts settle on posted events: a page that scrolls sideways never does)
        qtbot.waitUntil(
            lambda area=area: (
                not area.horizontalScrollBar().isVisible()
                and area.widget().width() <= area.viewport().width()
            )
        )
        for control in (banner.comment, banner.ack_button, banner.show_button):
            assert _shown_in(control), page.name
        # the comment field is wide enough to read its hint, not "comm…"
        hint = banner.comment.fontMetrics().horizontalAdvance(banner.comment.placeholderText())
        assert banner.comment.width() >= hint
        if page is Page.DASHBOARD:
            dashboard = window.dashboard
            for control in (dashboard.readouts_scroll, dashboard.record_button,
                            dashboard.disconnect_button):  # fmt: skip
                assert _shown_in(control, area), control
            assert window.dashboard.readouts_scroll.width() >= 180
        elif page is Page.DIAGNOSTICS:
            diagnostics = window.diagnostics
            assert _shown_in(diagnostics.run_button, area)
            card = diagnostics.cards["soc"]
            assert _shown_in(card, area) and card.visibleRegion().boundingRect() == card.rect()
            detail = window.findChild(QScrollArea, "detailScroll")
            assert not detail.horizontalScrollBar().isVisible()
            # the widest chip on every card and the longest signature: nothing cut off
            # on the right of its column (the cards were, the detail scrolled sideways)
            for each in diagnostics.cards.values():
                each.show_summary(ResultSummary(Status.UNAVAILABLE, reason="no data"))
            diagnostics.select("internal_resistance")
            results = window.findChild(QScrollArea, "resultsScroll")
            qtbot.waitUntil(
                lambda r=results, d=detail: (
                    r.widget().width() <= r.viewport().width()
                    and d.widget().width() <= d.viewport().width()
                )
            )
            for each in diagnostics.cards.values():
                assert each.chip.mapTo(results.viewport(), QPoint(each.chip.width(), 0)).x() <= (
                    results.viewport().width()
                ), each.info.key
            assert not area.horizontalScrollBar().isVisible()
        elif page is Page.ALERTS:
            table = window.alerts_page.current_table
            assert table.rowCount() >= 2
            header = table.horizontalHeader()
            col = CURRENT_COLUMNS.index("Raised")
            assert header.sectionViewportPosition(col) + header.sectionSize(col) <= (
                table.viewport().width()
            )
            assert _shown_in(table, area)
        elif page is Page.LOGS:
            tab_bar = logs.tabs.tabBar()
            last = tab_bar.tabRect(logs.tabs.count() - 1)
            assert tab_bar.rect().contains(last) and _shown_in(tab_bar, area)
            rows = logs.file_list.fontMetrics().height()
            assert logs.file_list.height() >= 4 * rows and _shown_in(logs.file_list, area)
            # the page's actions in view under the long warning, not scrolled out of sight
            for button in (logs.diagnostics_button, logs.import_button, logs.replay_button):
                assert _shown_in(button, area), button.text()
                assert button.visibleRegion().boundingRect() == button.rect(), button.text()
        elif page is Page.HISTORY:
            history = window.history
            for control in (history.refresh_button, history.status_label, history.tabs):
                assert _shown_in(control, area), control
    window.session.stop()


def test_a_four_cell_pack_fits_a_1024_by_700_window_without_scrolling(qtbot, make_window):
    """At 1024 x 700 the plots of a 4-cell pack scrolled 76 px (every plot kept 90 px,
    and the time axis's title took a line of its own) and the cell spread read-out was
    below the fold: all of it is in view now, the axis titles apart and the legends
    shown."""
    from app.views.live_plots import MIN_PLOT_HEIGHT_PX, PlotKey
    from app.views.readouts import ReadoutKey

    window = make_window()
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.size() == QSize(1024, 700))
    assert window.health_dock.isVisible()  # (it takes its rows of the 700)
    window.connect_source("sim://nmc?cells=4&profile=drive&speed=0&duration=1800")
    dashboard = window.dashboard
    plots = dashboard.plots
    qtbot.waitUntil(
        lambda: window.session.status.state is AcquisitionState.FINISHED, timeout=20_000
    )
    qtbot.waitUntil(lambda: len(plots.shown.get("time_s", ())) == window.session.ring.total)
    qtbot.waitUntil(lambda: len(plots.soc_legend.items) > 0)  # the SOC band's legend too
    scroll = dashboard.plots_scroll
    qtbot.waitUntil(lambda: plots.height() <= scroll.viewport().height())
    assert scroll.verticalScrollBar().maximum() == 0
    assert not window.page_areas[Page.DASHBOARD].verticalScrollBar().isVisible()
    assert dashboard.readouts_scroll.verticalScrollBar().maximum() == 0
    assert _shown_in(dashboard.time_axis) and _shown_in(
        dashboard.readouts.readouts[ReadoutKey.CELL_SPREAD]
    )
    titles = []
    for key, plot in plots.plots.items():
        title = plot.getAxis("left").label
        assert title.boundingRect().width() <= plot.getViewBox().height(), key
        titles.append(title.mapRectToScene(title.boundingRect()))
    for above, below in zip(titles[:-1], titles[1:], strict=True):
        assert above.bottom() <= below.top()
    view = scroll.viewport().rect()
    for legend, entries in ((plots.cell_legend, 4), (plots.soc_legend, 2)):
        assert len(legend.items) >= entries
        box = plots.mapFromScene(legend.mapRectToScene(legend.boundingRect())).boundingRect()
        assert view.contains(box), legend
    assert plots.plots[PlotKey.CELLS].getViewBox().height() >= MIN_PLOT_HEIGHT_PX


def _tick_values(plot) -> list[str]:
    """The values written on ``plot``'s left axis as it draws them now."""
    from app.views.axis_values import written_values

    return written_values(plot.getAxis("left"))


@pytest.mark.parametrize("cells", [4, 8])
def test_a_dead_cell_stays_in_view_under_a_critical_alert_at_1024_by_700(qtbot, make_window, cells):
    """A thermal runaway at 1024 x 700: the critical alert's banner pushed the cell plot
    below the fold, its dead cell at 0 V, its "Cells (V)" title and the Cell spread tile
    with it (the user saw every cell at ~4 V), and "Current (mA)" ran into "Pack (V)". With
    the banner and the Connection health panel shown, every plot is in view, its title
    whole and clear of the next, with three values or more on its axis; and the mouse over
    the plots (a read-out of two lines) does not scroll them. (8 cells: a legend of two
    rows.)"""
    from app.views.live_plots import PlotKey
    from app.views.readouts import ReadoutKey

    window = make_window()
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.size() == QSize(1024, 700))
    url = f"sim://nmc?cells={cells}&speed=0&fault=thermal_runaway&fault_at=120&duration=1800"
    assert window.connect_source(url) is None
    dashboard, plots = window.dashboard, window.dashboard.plots
    qtbot.waitUntil(
        lambda: window.session.status.state is AcquisitionState.FINISHED, timeout=30_000
    )
    qtbot.waitUntil(lambda: len(plots.shown.get("time_s", ())) == window.session.ring.total)
    qtbot.waitUntil(window.alert_banner.isVisible, timeout=20_000)
    assert window.health_dock.isVisible()
    scroll = dashboard.plots_scroll

    def all_in_view() -> bool:
        seen = scroll.viewport().rect()
        for plot in plots.plots.values():
            box = plots.mapFromScene(plot.getViewBox().sceneBoundingRect()).boundingRect()
            if not seen.contains(box.translated(plots.pos())):
                return False
        return True

    def titles_fit() -> bool:
        return all(
            plot.getAxis("left").label.boundingRect().width() <= plot.getViewBox().height()
            for plot in plots.plots.values()
        )

    # (a title's SI prefix is set as its plot is drawn, the plot's height a moment later)
    qtbot.waitUntil(lambda: all_in_view() and titles_fit())
    assert scroll.verticalScrollBar().maximum() == 0
    low, high = plots.plots[PlotKey.CELLS].viewRange()[1]
    assert low <= 0.0 < 3.9 <= high  # the dead cell and the sound ones, in one plot
    spread = dashboard.readouts.readouts[ReadoutKey.CELL_SPREAD]
    assert _shown_in(spread, dashboard.readouts_scroll)
    assert "(mA)" in plots.plots[PlotKey.CURRENT].getAxis("left").labelString()  # at rest
    titles = []
    for key, plot in plots.plots.items():
        title = plot.getAxis("left").label
        assert title.boundingRect().width() <= plot.getViewBox().height(), key
        titles.append(title.mapRectToScene(title.boundingRect()))
        assert len(_tick_values(plot)) >= 3, (key, _tick_values(plot))
    for above, below in zip(titles[:-1], titles[1:], strict=True):
        assert above.bottom() <= below.top()

    dashboard._on_cursor_moved(float(plots.shown["time_s"][-100]))  # as the crosshair does
    label = dashboard.cursor_label
    assert "cells" in label.text()  # the read-out, not the hint
    assert label.heightForWidth(label.width()) <= label.height()  # in the room it had


def test_a_refused_url_replaces_the_previous_sources_fault_in_the_status_bar(
    qtbot, make_window, tmp_path
):
    """A CAN source that could not open ("Fault: … · not retrying"), then a typo in the
    Connect dialog: the dialog said why, but the bar still showed the CAN fault."""
    window = make_window()
    window.connect_source(f"file://{tmp_path}/missing.csv")  # ends in a fault, for good
    label = window.status_bar.state_label
    qtbot.waitUntil(lambda: "not retrying" in label.text())
    dialog = window.open_connection_dialog()
    window._on_dialog_connect_requested("foo://bar")  # as its Connect does
    assert dialog.isVisible()  # it stays open with the reason
    assert "missing.csv" not in label.text()
    assert label.text() == "Not connected: foo://bar: unknown source scheme 'foo' " + (
        "(known: can, failing, file, scripted, serial, sim)"
    )
    assert label.property("state") == "fault"
    assert window.status_bar.samples_label.text() == ""
    window.grab().save(str(tmp_path / "refused_url.png"))
    dialog.reject()

    # a source still streaming goes on: the refusal is said, then its state again
    window.connect_source("scripted://pack?n=0&interval=0.01&block=10")
    qtbot.waitUntil(lambda: label.text().startswith("Streaming"))
    window.connect_source("foo://bar")
    assert window.session.status.recordable
    assert window.status_bar.currentMessage().startswith("Refused: foo://bar: unknown source")
    window.session.stop()
