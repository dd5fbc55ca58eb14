"""The column-mapping dialog for generic tables (pre-filled, checked, saved, used by open_log
and the Logs page) and the DBC signal-mapping dialog (pre-filled from a real DBC, saved,
named in the connection dialog's URL)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from app.hardware.logs.column_mapping import mapping_for
from app.hardware.logs.formats import open_log
from app.views.column_mapping_dialog import ColumnMappingDialog, default_pattern
from app.views.logs_page import LogsPage
from app.views.theme import DARK

#: Semicolons, decimal commas, units in brackets; "Strom" (current) is no header the suggestion
#: knows, so the user picks it.
ODD_TABLE = (
    "Test Time (s);Voltage (mV);Strom [mA];Temp (°C)\n"
    "0;3700,5;1000;25,1\n"
    "1,5;3701,5;1000;25,2\n"
    "3;3702,0;-500;25,3\n"
    "4,5;3690,0;-500;25,4\n"
)


@pytest.fixture
def odd_csv(tmp_path):
    path = tmp_path / "rig3_0012.csv"
    path.write_text(ODD_TABLE, encoding="utf-8")
    return str(path)


def _dialog(qtbot, path) -> ColumnMappingDialog:
    dialog = ColumnMappingDialog(path)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    return dialog


def test_column_dialog_prefills_asks_for_the_unknown_column_and_saves(qtbot, odd_csv):
    with pytest.raises(Exception, match="current_a"):
        open_log(odd_csv)
    dialog = _dialog(qtbot, odd_csv)
    assert dialog.table.columnCount() == 4 and dialog.table.rowCount() == 4
    assert dialog.table.item(1, 1).text() == "3701,5"
    rows = dialog.rows
    assert rows["time_s"].source.currentText() == "Test Time (s)"
    assert rows["voltage_v"].source.currentText() == "Voltage (mV)"
    assert float(rows["voltage_v"].scale.text()) == pytest.approx(1e-3)
    assert rows["temperature_c"].source.currentText() == "Temp (°C)"
    assert rows["current_a"].source.currentData() is None
    assert not dialog.save_button.isEnabled()
    assert "current_a" in dialog.missing_text

    dialog.choose("current_a", "Strom [mA]")  # as picking it in the combo does
    assert float(rows["current_a"].scale.text()) == pytest.approx(1e-3)  # from "[mA]"
    assert dialog.save_button.isEnabled(), dialog.missing_text
    dialog.choose("voltage_v", None)
    assert not dialog.save_button.isEnabled() and "voltage_v" in dialog.missing_text
    dialog.choose("voltage_v", "Voltage (mV)")
    rows["current_a"].scale.setText("abc")
    assert not dialog.save_button.isEnabled()
    rows["current_a"].scale.setText("0.001")

    assert dialog.pattern_edit.text() == default_pattern(odd_csv) == "rig*_*.csv"
    dialog.save_button.click()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.pattern == "rig*_*.csv"

    other = os.path.join(os.path.dirname(odd_csv), "rig4_0100.csv")
    with open(other, "w", encoding="utf-8") as fh:
        fh.write(ODD_TABLE)
    assert mapping_for(other).columns["current_a"].source == "Strom [mA]"
    log = open_log(other, use_cache=False)
    np.testing.assert_allclose(log.frame["time_s"], [0.0, 1.5, 3.0, 4.5])
    np.testing.assert_allclose(log.frame["voltage_v"], [3.7005, 3.7015, 3.702, 3.69])
    np.testing.assert_allclose(log.frame["current_a"], [1.0, 1.0, -0.5, -0.5])
    np.testing.assert_allclose(log.frame["temperature_c"], [25.1, 25.2, 25.3, 25.4])


def test_column_dialog_shows_an_unreadable_file(qtbot, tmp_path):
    path = tmp_path / "noise.bin"
    path.write_bytes(bytes(range(256)) * 4)
    dialog = _dialog(qtbot, str(path))
    assert dialog.status.text().startswith("Cannot read the file:")
    assert dialog.status.objectName() == "errorText"
    assert not dialog.save_button.isEnabled()


@pytest.fixture
def page(qtbot, tmp_path):
    logs = LogsPage(DARK, f"sqlite:///{tmp_path / 'logs.sqlite'}")
    qtbot.addWidget(logs)
    logs.resize(1300, 800)
    logs.show()
    yield logs
    qtbot.waitUntil(lambda: not logs.busy, timeout=30_000)
    assert logs.wait(5.0)


def test_logs_page_offers_mapping_for_an_unmappable_table_and_opens_it_after(qtbot, page, odd_csv):
    page.open_file(odd_csv)
    qtbot.waitUntil(lambda: page.map_columns_button.isVisible(), timeout=20_000)
    assert page.status_is_error and "current_a" in page.status_text
    page.map_columns_button.click()
    dialog = page.mapping_dialog
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10_000)
    dialog.choose("current_a", "Strom [mA]")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: odd_csv in page.analyses, timeout=20_000)
    assert not page.map_columns_button.isVisible()
    frame = page.analyses[odd_csv].frame
    np.testing.assert_allclose(frame["current_a"], [1.0, 1.0, -0.5, -0.5])
    # a table read by the generic reader can be mapped again from the file list
    assert page.remap_button.isVisible()
