"""Opening a log file: a canonical CSV without its battery asks for it (File ▸ Open, the Home
page's button), and the file:// URL names the battery chosen; dropped files open in the Logs
page."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog

from app.core.spec import Chemistry, preset
from app.hardware.acquisition import AcquisitionState
from app.hardware.logs.canonical_csv import write_canonical_csv
from app.views.log_files import (
    file_url_with_battery,
    probe_log_file,
    suggested_cells,
)
from app.views.main_window import Page
from app.views.source_urls import file_url
from app.views.spec_dialog import BatterySpecDialog
from tests.real_data import REAL_DATA

from .view_fakes import scripted_block


@pytest.fixture
def bare_csv(tmp_path):
    """A canonical CSV of a 4-cell pack that does not say which battery it is."""
    path = tmp_path / "bench log.csv"
    write_canonical_csv(str(path), scripted_block(0, 300, cells=4))
    return path


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# --- the probe and the URL ------------------------------------------------------


def test_probe_says_whether_the_file_names_its_battery(bare_csv, tmp_path):
    probe = probe_log_file(bare_csv)
    assert probe.canonical and not probe.has_spec and probe.needs_battery
    assert probe.cell_count == 4
    assert probe.first_voltage_v == pytest.approx(scripted_block(0, 1)["voltage_v"][0], rel=1e-5)

    named = tmp_path / "named.csv"
    spec = preset("lfp", series_cells=4)
    write_canonical_csv(str(named), scripted_block(0, 10), {"spec": json.dumps(spec.to_dict())})
    assert probe_log_file(named).has_spec and not probe_log_file(named).needs_battery

    other = tmp_path / "other.csv"
    other.write_text("Time,Volts\n0,3.7\n")
    assert not probe_log_file(other).canonical
    assert not probe_log_file(tmp_path / "missing.csv").needs_battery  # the source says why


def test_a_damaged_spec_line_asks_for_the_battery_as_the_source_needs_it(bare_csv, tmp_path):
    # the probe took any JSON for a battery; the file:// source then refused the file
    damaged = tmp_path / "damaged.csv"
    damaged.write_text(
        '# spec: {"chemistry": "nmc", "capacity_ah": -5}\n' + bare_csv.read_text(), newline=""
    )
    assert probe_log_file(damaged).needs_battery


def test_probe_reads_a_file_with_a_byte_order_mark_as_the_reader_does(bare_csv, tmp_path):
    marked = tmp_path / "bom.csv"
    marked.write_bytes(b"\xef\xbb\xbf" + bare_csv.read_bytes())
    assert probe_log_file(marked) == dataclasses.replace(probe_log_file(bare_csv), path=str(marked))


def test_cells_are_guessed_from_the_pack_voltage_without_cell_columns(tmp_path):
    block = scripted_block(0, 10, cells=4)
    pack_only = {c: block[c] for c in ("time_s", "voltage_v", "current_a")}
    path = tmp_path / "pack.csv"
    from app.core.samples import SampleBlock

    write_canonical_csv(str(path), SampleBlock(pack_only))
    probe = probe_log_file(path)
    assert probe.cell_count == 0
    assert probe.guess.spec.chemistry is Chemistry.NMC  # the Logs page's guess
    cells, why = suggested_cells(probe, preset("nmc"))
    assert cells == 4 and why == f"guessed from {probe.guess.chemistry_basis}"
    cells, why = suggested_cells(probe, preset("lfp"))  # another chemistry than the guess
    assert cells == round(probe.first_voltage_v / preset("lfp").cell_v_nominal)
    assert "pack voltage" in why


def test_url_names_the_battery_and_the_source_accepts_it(bare_csv):
    from app.hardware.registry import create_source

    url = file_url_with_battery(bare_csv, "lfp", 2.5, 4)
    assert url.startswith(file_url(bare_csv) + "?")
    assert query_of(url) == {"chemistry": "lfp", "capacity_ah": "2.5", "cells": "4"}
    source = create_source(url)
    assert source.spec == preset("lfp", capacity_ah=2.5, series_cells=4)


# --- the dialog -------------------------------------------------------------------


def test_dialog_is_prefilled_and_builds_the_url(qtbot, bare_csv):
    dialog = BatterySpecDialog(probe_log_file(bare_csv))
    qtbot.addWidget(dialog)
    assert dialog.chemistry is Chemistry.NMC
    assert dialog.capacity_spin.value() == preset("nmc").capacity_ah
    assert dialog.cells_spin.value() == 4
    assert "4 cell voltage columns" in dialog.cells_hint.text()
    combo = dialog.chemistry_combo
    assert [combo.itemData(i) for i in range(combo.count())] == ["nmc", "lfp", "lead_acid"]
    dialog.set_chemistry("lfp")  # the capacity follows the preset until typed
    assert dialog.capacity_spin.value() == preset("lfp").capacity_ah
    dialog.capacity_spin.setValue(3.2)
    dialog.set_chemistry("lead_acid")
    assert dialog.capacity_spin.value() == 3.2  # typed: kept
    dialog.cells_spin.setValue(6)
    assert query_of(dialog.url()) == {"chemistry": "lead_acid", "capacity_ah": "3.2", "cells": "6"}
    assert dialog.url().startswith(file_url(bare_csv))


def answer(qtbot, window, chemistry: str, capacity_ah: float, cells: int) -> str:
    """Fill in the window's battery dialog as a user would and press Open; returns the URL."""
    qtbot.waitUntil(lambda: window.spec_dialog is not None and window.spec_dialog.isVisible())
    dialog = window.spec_dialog
    dialog.set_chemistry(chemistry)
    dialog.capacity_spin.setValue(capacity_ah)
    dialog.cells_spin.setValue(cells)
    url = dialog.url()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Open).click()
    return url


def test_open_log_without_battery_asks_then_streams(qtbot, make_window, bare_csv):
    window = make_window()
    window.open_log_file(str(bare_csv))
    url = answer(qtbot, window, "lfp", 2.5, 4)
    assert query_of(url) == {"chemistry": "lfp", "capacity_ah": "2.5", "cells": "4"}
    qtbot.waitUntil(lambda: window.session.status.state is AcquisitionState.FINISHED)
    assert window.session.source_url == url
    assert window.session.spec == preset("lfp", capacity_ah=2.5, series_cells=4)
    assert window.current_page is Page.DASHBOARD
    qtbot.waitUntil(lambda: len(window.dashboard.plots.shown.get("time_s", ())) == 300)
    assert window.spec_dialog is None


def test_cancelling_the_dialog_opens_nothing(qtbot, make_window, bare_csv):
    window = make_window()
    window.open_log_file(str(bare_csv))
    qtbot.waitUntil(lambda: window.spec_dialog is not None)
    window.spec_dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert window.spec_dialog is None
    assert not window.session.running


def test_file_open_menu_and_home_button_ask_too(qtbot, make_window, bare_csv, monkeypatch):
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(bare_csv), ""))
    )
    window = make_window()
    window.action_open_file.trigger()
    answer(qtbot, window, "nmc", 5.0, 4)
    qtbot.waitUntil(lambda: window.session.status.state is AcquisitionState.FINISHED)
    assert query_of(window.session.source_url)["chemistry"] == "nmc"

    window.show_page(Page.HOME)
    window.home.open_file_button.click()
    url = answer(qtbot, window, "lead_acid", 100.0, 2)
    qtbot.waitUntil(lambda: window.session.source_url == url)
    assert window.session.source_url == url


def test_a_log_that_names_its_battery_opens_without_asking(qtbot, make_window, tmp_path):
    path = tmp_path / "named.csv"
    spec = preset("lfp", series_cells=4)
    write_canonical_csv(str(path), scripted_block(0, 100), {"spec": json.dumps(spec.to_dict())})
    window = make_window()
    window.open_log_file(str(path))
    qtbot.waitUntil(lambda: window.session.status.state is AcquisitionState.FINISHED)
    assert window.spec_dialog is None
    assert window.session.source_url == file_url(path)
    assert window.session.spec == spec


def drag_events(paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(300, 300)
    action = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos.toPoint(), action, mime, buttons, mods)
    drop = QDropEvent(pos, action, mime, buttons, mods)
    return mime, enter, drop


def test_dropped_files_open_in_the_logs_page(qtbot, make_window, bare_csv, tmp_path):
    window = make_window()
    assert window.acceptDrops()
    _mime, enter, _drop = drag_events([tmp_path])  # a folder is not a log
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()

    other = tmp_path / "notes.txt"
    other.write_text("hello")
    _mime, enter, drop = drag_events([other, bare_csv])
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()  # any file: the readers decide by content
    messages = []
    window.logs.status_shown.connect(lambda text, error: messages.append((text, error)))
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted()
    assert window.current_page is Page.LOGS
    logs = window.logs
    qtbot.waitUntil(lambda: not logs.loading and not logs.busy, timeout=20_000)
    assert list(logs.analyses) == [str(bare_csv)]  # the CSV opened
    assert messages[0] == (
        f"{other}: not a log format Battery OS reads (text starting 'hello')",
        True,
    )
    assert messages[1][0].startswith("bench log.csv: Battery OS canonical CSV, 300 samples")
    assert window.session.source_url is None  # nothing replayed unless asked


def test_a_typed_file_url_without_battery_asks_too(qtbot, make_window, bare_csv):
    from app.views.log_files import bare_file_path

    assert bare_file_path(file_url(bare_csv)) == str(bare_csv)
    assert bare_file_path(file_url(bare_csv) + "?chemistry=nmc") is None
    assert bare_file_path("sim://nmc") is None
    window = make_window()
    window.home.url_combo.setCurrentText(file_url(bare_csv))
    window.home.connect_button.click()
    url = answer(qtbot, window, "lfp", 2.5, 4)
    qtbot.waitUntil(lambda: window.session.source_url == url)
    assert window.settings.recent_sources[0] == url  # remembered with its battery


def test_the_dialogs_cell_resistance_reaches_the_live_battery(qtbot, make_window, bare_csv):
    """R new (cell): the reference of the resistance SOH, in the URL and the live spec;
    left at "chemistry typical" it is none."""
    window = make_window()
    window.open_log_file(str(bare_csv))
    qtbot.waitUntil(lambda: window.spec_dialog is not None and window.spec_dialog.isVisible())
    dialog = window.spec_dialog
    assert dialog.bol_spin.text() == "chemistry typical"
    assert "bol_resistance_ohm" not in query_of(dialog.url())
    dialog.set_chemistry("lfp")
    dialog.bol_spin.setValue(19.5)  # mOhm
    url = dialog.url()
    assert query_of(url)["bol_resistance_ohm"] == "0.0195"
    dialog.buttons.button(QDialogButtonBox.StandardButton.Open).click()
    qtbot.waitUntil(lambda: window.session.status.state is AcquisitionState.FINISHED)
    assert window.session.source_url == url
    assert window.session.spec.bol_resistance_ohm == 0.0195


# --- a cycler's export: the battery the Logs page guesses, offered ---------------

CYCLER_FILES = (
    "neware/nw_regular_export_ife_example.csv",
    "arbin/2017-05-09_test-TC-contact_CH33.csv",
    "maccor/PredictionDiagnostics_000151_test.052",
    "biologic/GCPL-0.mpr",
)


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
@pytest.mark.parametrize("name", CYCLER_FILES)
def test_a_cyclers_export_asks_for_the_battery_the_logs_page_guesses(name):
    # File ▸ Open connected such a file at once, and its source failed: "the file does not
    # say which battery it is; add ?chemistry=..": only canonical CSVs were asked about
    from app.views.log_analysis import open_analysis

    path = str(REAL_DATA / name)
    probe = probe_log_file(path)
    assert probe.needs_battery and not probe.canonical
    assert probe.guess == open_analysis(path).guess  # the Logs page's guess, its one way


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
def test_opening_a_neware_export_offers_the_guess_and_plays_it(qtbot, make_window):
    from app.views.log_analysis import open_analysis

    path = str(REAL_DATA / "neware/nw_regular_export_ife_example.csv")
    guess = open_analysis(path).guess.spec  # what the Logs page shows for it
    window = make_window()
    window.open_log_file(path)
    qtbot.waitUntil(lambda: window.spec_dialog is not None and window.spec_dialog.isVisible())
    dialog = window.spec_dialog
    assert (dialog.chemistry, dialog.capacity_spin.value(), dialog.cells_spin.value()) == (
        Chemistry(guess.chemistry),
        pytest.approx(guess.capacity_ah),
        guess.series_cells,
    )
    assert dialog.guess_label.isVisible() and "0.332 Ah" in dialog.guess_label.text()
    # the cell sits above 4.2 V half the time: said as the Logs page says it, its hint
    # naming the dialog's fields (an OCV table, Cell V max), not the CLI's options
    warning = open_analysis(path).spec_warning
    shown = dialog.guess_warning_label.text()
    assert shown == f"Warning: {warning}."
    assert "--" not in shown and "set Cell V max" in shown
    assert query_of(dialog.url())["capacity_ah"] == "0.332"  # not rounded to 0.33
    dialog.buttons.button(QDialogButtonBox.StandardButton.Open).click()
    qtbot.waitUntil(
        lambda: window.session.status.state is AcquisitionState.FINISHED, timeout=30_000
    )
    assert window.session.status.last_error is None
    assert window.session.status.samples_total == len(open_analysis(path).frame)
    assert window.session.spec.capacity_ah == pytest.approx(0.332)
