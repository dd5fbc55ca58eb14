"""The cells' voltage limits in the window: the connection dialog, File ▸ Open's battery
dialog and the Logs page take Cell V min / Cell V max (as ``--cell-v-min`` /
``--cell-v-max``), carried in the source URL (``cell_v_min=`` / ``cell_v_max=``). The
window had no such fields: a 3.9-4.7 V high-voltage cell (the real Neware export) with its
own OCV table was refused, and the refusal named the CLI's options."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.diagnostics.safety import VOLTAGE_TOLERANCE_V
from app.hardware.acquisition import AcquisitionState
from app.hardware.protocols import Transport
from app.views.main_window import Page
from tests.hardware.test_url_limits import HV_OCV, HV_SOC
from tests.ocv_tables import write_ocv_table
from tests.real_data import REAL_DATA

NEWARE = (
    None if REAL_DATA is None else str(REAL_DATA / "neware" / "nw_regular_export_ife_example.csv")
)
needs_real_data = pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")


@pytest.fixture
def hv_table(tmp_path) -> str:
    """The high-voltage cell's OCV table: 3.9 V empty to 4.7 V full."""
    return write_ocv_table(tmp_path / "hv_ocv.csv", HV_SOC, HV_OCV)


def _type(qtbot, edit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    if text:
        qtbot.keyClicks(edit, text)


def _said_in_the_windows_words(text: str) -> None:
    assert "Cell V max" in text and "Cell V min" in text, text
    assert "--cell-v" not in text, text


# --- the connection dialog ----------------------------------------------------------


def test_the_connection_dialog_keeps_the_limits_of_a_url(qtbot, make_window):
    window = make_window()
    dialog = window.open_connection_dialog()
    url = (
        "serial:///dev/ttyUSB0?protocol=vedirect&chemistry=nmc&cells=1&capacity_ah=0.35"
        "&cell_v_min=3&cell_v_max=4.75"
    )
    dialog.set_url(url)
    fields = dialog.page(Transport.SERIAL).battery.fields
    assert (fields["cell_v_min"].text(), fields["cell_v_max"].text()) == ("3", "4.75")
    dialog.page(Transport.SERIAL).changed.emit()  # as if a field was touched
    assert dialog.url() == url


def test_limits_typed_in_the_dialog_are_checked_and_judge_the_live_alarms(qtbot, make_window):
    window = make_window()
    dialog = window.open_connection_dialog()
    dialog.set_url("sim://nmc?cells=2&speed=0&rate_hz=10&duration=300")
    fields = dialog.page(Transport.SIMULATOR).battery.fields
    connect = dialog.connect_button
    # letters, millivolts, a window upside down: said, and nothing connected
    for low, high, said in (
        ("", "abc", "Cell V max must be a number, not 'abc'"),
        ("", "3900", "Cell V max 3900 V is not one cell's voltage (at most 5.5 V)"),
        ("4", "3.9", "Cell V min 4 V must be below Cell V max 3.9 V"),
    ):
        _type(qtbot, fields["cell_v_min"], low)
        _type(qtbot, fields["cell_v_max"], high)
        connect.click()
        assert said in dialog.url_note.text() and dialog.url_note.property("problem") == "true"
        assert dialog.isVisible() and not window.session.running
    _type(qtbot, fields["cell_v_min"], "")
    _type(qtbot, fields["cell_v_max"], "3.9")
    assert "?cells=2&cell_v_max=3.9&" in dialog.url()
    connect.click()
    session = window.session
    qtbot.waitUntil(lambda: session.status.state is AcquisitionState.FINISHED, timeout=60_000)
    assert session.spec.cell_v_max == 3.9 and session.spec.cell_v_min == 2.5
    # the alarms are the limit given: the warning rule at it plus the tolerance, and the
    # simulated 1C cycle charges over it (under the preset's 4.2 V it raised none)
    center = window.alert_center
    qtbot.waitUntil(lambda: bool(center.thresholds), timeout=20_000)
    level = 3.9 + VOLTAGE_TOLERANCE_V
    assert any(t.metric == "cell_v_max" and t.level == level for t in center.thresholds)
    qtbot.waitUntil(
        lambda: any(a.metric == "cell_v_max" for a in center.board.alerts.values()),
        timeout=20_000,
    )


# --- File ▸ Open ----------------------------------------------------------------------


@needs_real_data
def test_file_open_takes_the_high_voltage_cells_table_with_its_limits(qtbot, make_window, hv_table):
    window = make_window()
    window.open_log_file(NEWARE)
    qtbot.waitUntil(lambda: window.spec_dialog is not None and window.spec_dialog.isVisible())
    dialog = window.spec_dialog
    dialog.set_chemistry("nmc")
    dialog.capacity_spin.setValue(0.35)
    dialog.cells_spin.setValue(1)
    qtbot.keyClicks(dialog.ocv_table_field.edit, hv_table)
    open_button = dialog.buttons.button(QDialogButtonBox.StandardButton.Open)
    # without its limits: refused, the fix named as the dialog's fields
    open_button.click()
    qtbot.waitUntil(lambda: dialog.open_error_label.isVisible(), timeout=30_000)
    _said_in_the_windows_words(dialog.open_error_label.text())
    assert "not an NMC cell's table" in dialog.open_error_label.text()
    assert dialog.isVisible() and not window.session.running
    # an absurd value is said before anything is opened
    _type(qtbot, dialog.cell_v_max_edit, "4750")
    open_button.click()
    assert "Cell V max 4750 V is not one cell's voltage" in dialog.open_error_label.text()
    _type(qtbot, dialog.cell_v_min_edit, "3")
    _type(qtbot, dialog.cell_v_max_edit, "4.75")
    assert "cell_v_min=3&cell_v_max=4.75" in dialog.url()
    open_button.click()
    session = window.session
    qtbot.waitUntil(lambda: window.spec_dialog is None, timeout=30_000)
    qtbot.waitUntil(lambda: session.status.state is AcquisitionState.FINISHED, timeout=60_000)
    assert (session.spec.cell_v_min, session.spec.cell_v_max) == (3.0, 4.75)
    assert session.spec.ocv_v == pytest.approx(HV_OCV, abs=1e-4)


# --- the Logs page --------------------------------------------------------------------


@needs_real_data
def test_the_logs_page_takes_the_high_voltage_cells_table_with_its_limits(
    qtbot, make_window, hv_table
):
    window = make_window()
    window.open_in_logs([NEWARE])
    page = window.logs
    qtbot.waitUntil(lambda: not page.loading and not page.busy, timeout=60_000)
    page.chemistry_combo.setCurrentIndex(page.chemistry_combo.findData("nmc"))
    page.capacity_spin.setValue(0.35)
    page.cells_spin.setValue(1)
    page.set_ocv_table(hv_table)

    def apply() -> None:
        page.apply_spec_button.click()
        qtbot.waitUntil(lambda: page.apply_spec_button.isEnabled(), timeout=60_000)

    apply()
    assert page.status_is_error
    _said_in_the_windows_words(page.status_text)
    assert page.selected.spec.ocv_v != pytest.approx(HV_OCV, abs=1e-4)
    # letters, a window upside down: said, the battery left as it is
    for low, high, said in (
        ("3", "4.7x", "Cell V max must be a number, not '4.7x'"),
        ("4.8", "4.75", "Cell V min 4.8 V must be below Cell V max 4.75 V"),
    ):
        _type(qtbot, page.cell_v_min_edit, low)
        _type(qtbot, page.cell_v_max_edit, high)
        page.apply_spec_button.click()
        assert page.status_is_error and said in page.status_text
    _type(qtbot, page.cell_v_min_edit, "3")
    _type(qtbot, page.cell_v_max_edit, "4.75")
    # the refused Apply kept the table chosen: the limits it asked for are all to give
    assert page.ocv_table == hv_table
    apply()
    assert not page.status_is_error, page.status_text
    spec = page.selected.spec
    assert (spec.cell_v_min, spec.cell_v_max) == (3.0, 4.75)
    assert spec.ocv_v == pytest.approx(HV_OCV, abs=1e-4)
    assert page.cell_v_max_edit.text() == "4.75"  # shown as given
    # the page's safety check judges the cell by them: under the preset's 4.2 V its
    # 4.7 V tops were cell over-voltage events, under its own 4.75 V none is
    with qtbot.waitSignal(page.diagnostics_finished, timeout=180_000):
        page.diagnostics_button.click()
    safety = window.diagnostics.report.results["safety"]
    assert (safety["limits"]["cell_v_min"], safety["limits"]["cell_v_max"]) == (3.0, 4.75)
    assert not [e for e in safety["events"] if e["channel"].startswith("voltage_v")]
    window.show_page(Page.LOGS)
    # the replay's URL carries them, as --cell-v-min/--cell-v-max
    assert "cell_v_min=3&cell_v_max=4.75" in page.replay_url()
    page.replay_button.click()  # (its OCV table is read in the background first)
    qtbot.waitUntil(lambda: window.current_page is Page.DASHBOARD, timeout=30_000)
    session = window.session
    qtbot.waitUntil(lambda: session.status.state is AcquisitionState.FINISHED, timeout=60_000)
    assert (session.spec.cell_v_min, session.spec.cell_v_max) == (3.0, 4.75)
