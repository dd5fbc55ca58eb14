"""A source URL naming an OCV table (``ocv_table=``) is built in the background when the
window connects it: the table (a CSV, pandas) was read on the GUI thread. A table that
cannot be read refuses the URL as a bad one is refused, and the window goes on."""

from __future__ import annotations

import threading

import pytest

from app.core.spec import preset
from app.hardware import registry
from app.views.main_window import Page
from tests.ocv_tables import write_ocv_table


@pytest.fixture
def table(tmp_path) -> str:
    """One NMC cell's OCV table, 10 mV over the preset's."""
    soc, ocv = preset("nmc").ocv_table
    return write_ocv_table(tmp_path / "cell_ocv.csv", soc, [v + 0.010 for v in ocv])


@pytest.fixture
def read_in(monkeypatch) -> list[threading.Thread]:
    """The threads the OCV tables are read in, in order."""
    threads: list[threading.Thread] = []
    load = registry.load_ocv_table

    def recorded(path):
        threads.append(threading.current_thread())
        return load(path)

    monkeypatch.setattr(registry, "load_ocv_table", recorded)
    return threads


def test_the_ocv_table_of_a_url_is_read_off_the_gui_thread(qtbot, make_window, table, read_in):
    window = make_window()
    results: list[str | None] = []
    url = f"sim://nmc?cells=2&speed=0&duration=60&ocv_table={table}&ocv_table_current_c=-0.02"
    assert window.connect_source(url, on_result=results.append) is None
    # said while it is read; nothing started yet
    assert window.connecting
    assert "Reading the OCV table cell_ocv.csv" in window.status_bar.currentMessage()
    qtbot.waitUntil(lambda: results == [None])
    assert not window.connecting
    assert read_in and all(t is not threading.main_thread() for t in read_in)
    session = window.session
    assert session.source_url == url and window.current_page is Page.DASHBOARD
    soc, ocv = preset("nmc").ocv_table
    assert session.spec.ocv_table[1] == pytest.approx([v + 0.010 for v in ocv], abs=1e-4)
    assert session.spec.ocv_table_current_c == -0.02


def test_a_missing_ocv_table_is_said_and_the_window_goes_on(qtbot, make_window, tmp_path):
    window = make_window()
    results: list[str | None] = []
    missing = tmp_path / "nowhere.csv"
    window.connect_source(f"sim://nmc?ocv_table={missing}", on_result=results.append)
    qtbot.waitUntil(lambda: len(results) == 1)
    assert not window.connecting and not window.session.running
    error = results[0]
    assert error is not None and f"OCV table {missing}: no such file" in error
    # where the user looks: the home page and the status bar
    assert window.current_page is Page.HOME
    assert window.home.error_label.isVisible() and window.home.error_label.text() == error
    assert window.status_bar.state_label.text() == f"Not connected: {error}"
    # the window goes on: the next source connects
    assert window.connect_source("sim://nmc?cells=2") is None
    assert window.session.running and not window.home.error_label.isVisible()


def test_a_connection_asked_for_while_the_table_is_read_replaces_it(
    qtbot, make_window, table, read_in
):
    window = make_window()
    first: list[str | None] = []
    window.connect_source(f"sim://nmc?ocv_table={table}", on_result=first.append)
    assert window.connect_source("sim://lfp?cells=2") is None  # asked for meanwhile
    qtbot.waitUntil(lambda: not window.source_files.busy)
    assert read_in  # (it was read, then dropped)
    assert first == []  # nothing to say of a connection the user has moved on from
    assert window.session.source_url == "sim://lfp?cells=2"


def test_the_connection_dialog_says_it_reads_the_table_then_closes(qtbot, make_window, table):
    window = make_window()
    dialog = window.open_connection_dialog()
    dialog.set_url(f"sim://nmc?cells=2&ocv_table={table}")
    dialog.connect_button.click()
    assert "Reading the OCV table cell_ocv.csv" in dialog.url_note.text()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert window.session.running
    # a table that cannot be read: said in the dialog, which stays open
    window.session.stop()
    dialog = window.open_connection_dialog()
    dialog.set_url(f"sim://nmc?cells=2&ocv_table={table}.missing")
    dialog.connect_button.click()
    qtbot.waitUntil(lambda: "no such file" in dialog.url_note.text())
    assert dialog.isVisible() and not window.session.running


def test_other_data_asked_for_while_the_table_is_read_drops_the_connection(
    qtbot, make_window, table
):
    window = make_window()
    results: list[str | None] = []
    window.connect_source(f"sim://nmc?ocv_table={table}", on_result=results.append)
    shown: list[bool] = []
    # a stored recording opened, a log replayed: whatever goes on the dashboard instead
    assert window.replace_source("show a recording", lambda: shown.append(True))
    assert shown == [True] and not window.connecting
    assert window.status_bar.currentMessage() == ""
    qtbot.waitUntil(lambda: not window.source_files.busy)
    assert results == [] and not window.session.running


def test_an_ocv_table_of_another_chemistry_is_refused_and_the_window_goes_on(
    qtbot, make_window, table
):
    """The NMC table given for a simulated LFP battery was taken: its cells rested over
    LFP's 3.6 V and the over-voltage alarm was up at once. Refused, saying whose it is."""
    window = make_window()
    results: list[str | None] = []
    url = f"sim://lfp?cells=4&speed=0&duration=60&ocv_table={table}"
    window.connect_source(url, on_result=results.append)
    qtbot.waitUntil(lambda: len(results) == 1)
    error = results[0]
    assert error is not None and f"{url}: OCV table {table}: it reads 3.761 V at 50 % SOC" in error
    assert "above the 3.6 V charge limit" in error and "is the battery NMC?" in error
    assert not window.session.running and window.current_page is Page.HOME
    assert window.home.error_label.isVisible() and window.home.error_label.text() == error
    assert window.status_bar.state_label.text() == f"Not connected: {error}"
    # its own chemistry takes it
    assert window.connect_source(url.replace("sim://lfp", "sim://nmc"), results.append) is None
    qtbot.waitUntil(lambda: len(results) == 2)
    assert results[1] is None and window.session.running
