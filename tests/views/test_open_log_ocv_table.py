"""File ▸ Open of a log that does not name its battery: the battery dialog takes the OCV
table (and the current it was measured at) as the connection dialog and the Logs page do,
and the log's SOC then reads the table, as ``batteryos analyze --ocv-table
--ocv-table-current-c`` does. The dialog had no such field: the SOC read the preset's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from app.hardware.acquisition import AcquisitionState

from .test_replay_ocv_table import TABLE_CURRENT_C, analyze_soc
from .test_replay_ocv_table import log_and_table as log_and_table  # noqa: F401 - a fixture


@pytest.fixture(scope="module")
def bare_log_and_table(log_and_table, tmp_path_factory) -> tuple[str, str]:  # noqa: F811
    """The Logs page test's cycling of a 2 Ah NMC cell without its '# spec:' line (File ▸
    Open asks for its battery), and its OCV table (25 mV under the preset's)."""
    log, table = log_and_table
    lines = Path(log).read_text().splitlines(keepends=True)
    bare = tmp_path_factory.mktemp("ocv_open") / "cycling.csv"
    bare.write_text("".join(line for line in lines if not line.startswith("# spec:")))
    return str(bare), table


def fill_battery(qtbot, window, table: str, current: str):
    """Wait for File ▸ Open's battery dialog and fill it in as a user would."""
    qtbot.waitUntil(lambda: window.spec_dialog is not None and window.spec_dialog.isVisible())
    dialog = window.spec_dialog
    dialog.set_chemistry("nmc")
    dialog.capacity_spin.setValue(2.0)
    dialog.cells_spin.setValue(1)
    dialog.ocv_table_field.edit.clear()
    qtbot.keyClicks(dialog.ocv_table_field.edit, table)
    dialog.ocv_current_edit.clear()
    qtbot.keyClicks(dialog.ocv_current_edit, current)
    return dialog


def test_a_log_opened_with_an_ocv_table_reads_its_soc_from_it_as_analyze(
    qtbot, make_window, capsys, bare_log_and_table
):
    log, table = bare_log_and_table
    window = make_window()
    window.open_log_file(log)
    dialog = fill_battery(qtbot, window, "", f"{TABLE_CURRENT_C:g}")
    open_button = dialog.buttons.button(QDialogButtonBox.StandardButton.Open)
    # a current without its table is named, and nothing is opened
    open_button.click()
    assert "Measured at is the OCV table's current" in dialog.open_error_label.text()
    assert dialog.isVisible() and not window.session.running
    # a table that cannot be read: said in the dialog, which stays open
    fill_battery(qtbot, window, table + ".missing", f"{TABLE_CURRENT_C:g}")
    assert not dialog.open_error_label.isVisible()  # (an edit clears the last one)
    open_button.click()
    qtbot.waitUntil(lambda: "no such file" in dialog.open_error_label.text())
    assert window.spec_dialog is dialog and dialog.isVisible()

    fill_battery(qtbot, window, table, f"{TABLE_CURRENT_C:g}")
    # the path reads whole in its field
    edit = dialog.ocv_table_field.edit
    assert edit.width() >= edit.fontMetrics().horizontalAdvance(table)
    open_button.click()
    session = window.session
    qtbot.waitUntil(lambda: session.status.state is AcquisitionState.FINISHED, timeout=60_000)
    qtbot.waitUntil(lambda: session.live_results() is not None, timeout=10_000)
    assert window.spec_dialog is None
    assert session.spec.ocv_table_current_c == TABLE_CURRENT_C

    live = json.loads(json.dumps(session.live_results()["soc"]))
    battery = ("--chemistry", "nmc", "--capacity-ah", "2", "--cells", "1")
    current = f"{TABLE_CURRENT_C:g}"
    offline = analyze_soc(
        capsys, log, *battery, "--ocv-table", table, "--ocv-table-current-c", current
    )
    # the live engine keeps no history: its range is the filter's, all else is offline's
    filter_range = ("min_soc_percent", "max_soc_percent", "soc_range_of")
    assert live == {**offline, **{key: live[key] for key in filter_range}}
    # the table moves the SOC: the preset's curve reads another
    preset_soc = analyze_soc(capsys, log, *battery)
    assert preset_soc["initial_soc_percent"] != pytest.approx(live["initial_soc_percent"], abs=0.5)


def test_an_ocv_table_of_another_chemistry_is_said_in_the_dialog(
    qtbot, make_window, bare_log_and_table
):
    """File ▸ Open with LFP chosen and an NMC cell's table: said in the battery dialog,
    which stays open, as a table that cannot be read is; nothing is opened."""
    log, table = bare_log_and_table
    window = make_window()
    window.open_log_file(log)
    dialog = fill_battery(qtbot, window, table, "")
    dialog.set_chemistry("lfp")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Open).click()
    qtbot.waitUntil(lambda: "is the battery NMC?" in dialog.open_error_label.text())
    assert "where an LFP cell rests near 3.27 V" in dialog.open_error_label.text()
    assert dialog.open_error_label.isVisible()
    assert window.spec_dialog is dialog and dialog.isVisible() and not window.session.running
