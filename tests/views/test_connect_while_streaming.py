"""Connecting a new source while one streams asks first, as History's Open in plots and
Logs' Replay do (:meth:`MainWindow.replace_source`): Home's Connect and its recent
sources, the connection dialog (File ▸ Connect, Home's Connect to hardware…), the
simulated battery and File ▸ Open."""

from __future__ import annotations

import json

from PySide6.QtWidgets import QMessageBox

from app.core.spec import preset
from app.hardware.logs.canonical_csv import write_canonical_csv
from app.views.main_window import Page

from .view_fakes import scripted_block

STREAM = "scripted://pack?n=0&interval=0.005&block=10"
OTHER = "scripted://pack?n=200&block=50"


def _streaming(qtbot, window):
    window.connect_source(STREAM)
    qtbot.waitUntil(lambda: window.session.ring.total >= 20)
    return window.session


def _yes(prompt):
    return next(b for b in prompt.buttons() if b.text() == "Disconnect and continue")


def test_homes_connect_asks_before_replacing_a_streaming_source(qtbot, make_window):
    window = make_window()
    session = _streaming(qtbot, window)
    window.show_page(Page.HOME)
    window.home.set_url(OTHER)  # a recent source picked in the box, or one typed
    window.home.connect_button.click()
    prompt = window.replace_prompt
    assert prompt is not None and prompt.isVisible()
    assert "still streaming" in prompt.text() and "Record is off" in prompt.informativeText()
    prompt.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: window.replace_prompt is None)
    assert session.source_url == STREAM and session.running
    total = session.ring.total
    qtbot.waitUntil(lambda: session.ring.total > total)  # still streaming

    window.home.connect_button.click()
    _yes(window.replace_prompt).click()
    qtbot.waitUntil(lambda: session.source_url == OTHER)
    assert window.current_page is Page.DASHBOARD
    assert window.settings.recent_sources[0] == OTHER
    qtbot.waitUntil(lambda: not session.acquisition.running)


def test_the_connection_dialog_asks_over_itself_and_stays_open_on_cancel(qtbot, make_window):
    window = make_window()
    session = _streaming(qtbot, window)
    window.action_connect.trigger()  # File ▸ Connect (Home's Connect to hardware… alike)
    dialog = window.connection_dialog
    dialog.set_url(OTHER)
    dialog.connect_button.click()
    prompt = window.replace_prompt
    assert prompt is not None and prompt.isVisible() and prompt.parent() is dialog
    assert dialog.isVisible() and session.source_url == STREAM and session.running
    prompt.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: window.replace_prompt is None)
    assert dialog.isVisible() and session.source_url == STREAM and session.running

    dialog.connect_button.click()
    _yes(window.replace_prompt).click()
    qtbot.waitUntil(lambda: session.source_url == OTHER)
    assert not dialog.isVisible() and window.current_page is Page.DASHBOARD
    qtbot.waitUntil(lambda: not session.acquisition.running)


def test_the_simulated_battery_and_an_opened_file_ask_too(qtbot, make_window, tmp_path):
    window = make_window()
    session = _streaming(qtbot, window)
    window.action_simulated.trigger()
    prompt = window.replace_prompt
    assert prompt is not None and session.source_url == STREAM
    prompt.button(QMessageBox.StandardButton.Cancel).click()

    log = tmp_path / "cell.csv"
    spec = preset("nmc", series_cells=4)
    write_canonical_csv(
        str(log), scripted_block(0, 60, cells=4), {"spec": json.dumps(spec.to_dict())}
    )
    window.open_log_file(str(log))  # File ▸ Open: the file is looked at, then asked
    qtbot.waitUntil(lambda: window.replace_prompt is not None, timeout=20_000)
    assert session.source_url == STREAM and session.running
    _yes(window.replace_prompt).click()
    qtbot.waitUntil(lambda: session.source_url is not None and "cell.csv" in session.source_url)
    qtbot.waitUntil(lambda: not session.acquisition.running, timeout=20_000)


def test_an_ended_source_is_replaced_without_asking(qtbot, make_window):
    window = make_window()
    session = window.session
    window.connect_source("scripted://pack?n=30&block=10")
    qtbot.waitUntil(lambda: not session.acquisition.running)
    window.show_page(Page.HOME)
    window.home.set_url(OTHER)
    window.home.connect_button.click()
    assert window.replace_prompt is None
    assert session.source_url == OTHER
    qtbot.waitUntil(lambda: not session.acquisition.running)
