"""The column-mapping dialog for generic tables (pre-filled, checked, saved, used by open_log
and the Logs page) and the DBC signal-mapping dialog (pre-filled from a real DBC, saved,
named in the connection dialog's URL)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from app.core import schema
from app.hardware.logs import units
from app.hardware.logs.column_mapping import mapping_for
from app.hardware.logs.formats import open_log
from app.views.column_mapping_dialog import ColumnMappingDialog, default_pattern

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
    dialog.check_button.click()  # the whole file read with this mapping, in the background
    qtbot.waitUntil(lambda: dialog.check_text.startswith(("Reads", "Does not")), timeout=10_000)
    assert "4 samples" in dialog.check_text and "current_a -0.5 … 1 A" in dialog.check_text
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)

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


def test_column_dialog_adds_a_cell_voltage_the_suggestion_missed(qtbot, tmp_path):
    path = tmp_path / "pack.tsv"
    path.write_text(
        "time_s\tvoltage_v\tcurrent_a\tZelle A [mV]\tNote\n"
        "0\t7.4\t1\t3700\trest\n1\t7.5\t1\t3750\tcharge\n",
        encoding="utf-8",
    )
    dialog = _dialog(qtbot, str(path))
    assert dialog.save_button.isEnabled(), dialog.missing_text
    field = dialog.add_cell()
    assert field == "cell_1_v"
    dialog.choose(field, "Zelle A [mV]")
    assert float(dialog.rows[field].scale.text()) == pytest.approx(1e-3)
    dialog.choose("current_a", "Zelle A [mV]")
    assert not dialog.save_button.isEnabled() and "both" in dialog.missing_text
    dialog.choose("current_a", "current_a")
    dialog.choose("temperature_c", "Note")  # words are no temperature: Check says so
    dialog.check_button.click()
    qtbot.waitUntil(lambda: dialog.check_text.startswith("Does not read"), timeout=10_000)
    assert "Note" in dialog.check_text
    dialog.choose("temperature_c", None)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    dialog.pattern_edit.setText("pack.tsv")
    dialog.save_button.click()
    log = open_log(str(path), use_cache=False)
    np.testing.assert_allclose(log.frame["cell_1_v"], [3.7, 3.75])


def test_column_dialog_shows_an_unreadable_file(qtbot, tmp_path):
    path = tmp_path / "noise.bin"
    path.write_bytes(bytes(range(256)) * 4)
    dialog = _dialog(qtbot, str(path))
    assert dialog.status.text().startswith("Cannot read the file:")
    assert dialog.status.objectName() == "errorText"
    assert not dialog.save_button.isEnabled()


#: Two junk lines that split like a comma table, then the header on line 3; ";" between
#: cells and decimal commas, so each data line splits into as many cells at "," as at ";":
#: detection takes "," and the first line as the header.
FOOLING_TABLE = (
    "Device,BT-7,Channel,3\n"
    "Limits V/A,2.5,4.2,1.5\n"
    "Zeit (ms);U (mV);I (mA);T (°C)\n"
    "0;3700,5;1500,0;25,1\n"
    "1000;3712,5;1500,0;25,2\n"
    "2000;3725,0;1500,0;25,4\n"
    "3000;3731,5;-750,5;25,5\n"
    "4000;3720,0;-750,5;25,6\n"
)


def test_column_dialog_corrects_a_wrongly_detected_layout_and_the_reader_keeps_it(
    qtbot, tmp_path, capsys
):
    from app.cli import main

    path = tmp_path / "bench7_0001.csv"
    path.write_text(FOOLING_TABLE, encoding="utf-8")
    with pytest.raises(Exception, match="Device, BT-7"):  # the wrong header row
        open_log(str(path), use_cache=False)
    dialog = _dialog(qtbot, str(path))
    assert dialog.layout_choice() == units.Dialect(",", ".", 0)  # the detected layout, shown
    assert dialog.detected_label.text() == "Detected: delimiter ',', decimal '.', header on line 1"
    assert dialog.table.horizontalHeaderItem(1).text() == "BT-7"

    def reread(delimiter, decimal, header_line):
        with qtbot.waitSignal(dialog.loaded, timeout=10_000):
            dialog.set_layout(delimiter, decimal, header_line)
        qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)

    reread(";", ".", 2)  # the rows are read again at once
    assert [dialog.table.horizontalHeaderItem(c).text() for c in range(4)] == [
        "Zeit (ms)", "U (mV)", "I (mA)", "T (°C)"
    ]  # fmt: skip
    assert dialog.table.rowCount() == 5 and dialog.table.item(0, 1).text() == "3700,5"
    assert "U (mV): voltage in V ×0.001" in dialog.units_label.text()
    assert dialog.rows["voltage_v"].source.currentText() == "U (mV)"  # suggested from the new
    assert dialog.rows["current_a"].source.currentText() == "I (mA)"  # headers
    dialog.choose("time_s", "Zeit (ms)")  # "Zeit" is no name the suggestion knows
    assert float(dialog.rows["time_s"].scale.text()) == pytest.approx(1e-3)
    dialog.choose("temperature_c", "T (°C)")  # nor is "T" alone
    # still the point as decimal mark: the first rows say what is wrong
    assert "'3700,5' is not a number" in dialog.values_label.text()
    dialog.decimal_combo.setCurrentIndex(dialog.decimal_combo.findData(","))
    assert dialog.values_label.text() == (
        "The first rows read as: 5 samples over 4 s; voltage_v 3.7005 … 3.7315 V; "
        "current_a -0.7505 … 1.5 A; temperature_c 25.1 … 25.6 °C."
    )
    dialog.pattern_edit.setText("bench*_*.csv")
    dialog.save_button.click()
    assert dialog.result() == dialog.DialogCode.Accepted
    saved = mapping_for(str(path))
    assert (saved.delimiter, saved.decimal, saved.header_line) == (";", ",", 2)

    # the next file of the bench opens with that layout and mapping
    other = tmp_path / "bench7_0002.csv"
    other.write_text(FOOLING_TABLE, encoding="utf-8")
    log = open_log(str(other), use_cache=False)
    np.testing.assert_allclose(log.frame["time_s"], [0.0, 1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(log.frame["voltage_v"], [3.7005, 3.7125, 3.725, 3.7315, 3.72])
    np.testing.assert_allclose(log.frame["current_a"], [1.5, 1.5, 1.5, -0.7505, -0.7505])
    # headless too: `batteryos analyze` reads it with the remembered mapping
    series = tmp_path / "series.csv"
    args = ["--chemistry", "nmc", "--capacity-ah", "2", "--json", "--timeseries", str(series)]
    assert main(["analyze", str(other), *args]) == 0
    capsys.readouterr()
    np.testing.assert_allclose(pd.read_csv(series)["time_s"], [0.0, 1.0, 2.0, 3.0, 4.0])

    # opened again, the dialog reads the file with the remembered layout
    again = _dialog(qtbot, str(path))
    assert again.layout_choice() == units.Dialect(";", ",", 2)
    assert again.table.horizontalHeaderItem(0).text() == "Zeit (ms)"
    assert again.rows["time_s"].source.currentText() == "Zeit (ms)"
    assert again.values_label.text().startswith("The first rows read as: 5 samples over 4 s;")
    assert again.save_button.isEnabled(), again.missing_text


def test_column_dialog_reads_a_table_detection_gives_up_on(qtbot, tmp_path):
    """Cells apart by single spaces: no layout detected; set by hand, it reads and opens."""
    path = tmp_path / "logger.txt"
    path.write_text("time_s voltage_v current_a\n0 3.70 1.0\n1 3.71 1.0\n2 3.72 -1.0\n",
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(Exception, match="not a log format"):
        open_log(str(path), use_cache=False)
    dialog = _dialog(qtbot, str(path))
    assert dialog.status.text().startswith("Cannot read the file:")
    assert dialog.detected_label.text() == "Detected: no table layout"
    assert dialog.layout_box.isEnabled() and not dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.set_layout(" ", ".", 0)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert dialog.preview.headers == ["time_s", "voltage_v", "current_a"]
    assert "voltage_v 3.7 … 3.72 V" in dialog.values_label.text()
    dialog.pattern_edit.setText("logger.txt")
    assert dialog.save_button.isEnabled(), dialog.missing_text
    dialog.save_button.click()
    np.testing.assert_allclose(open_log(str(path), use_cache=False).frame["current_a"],
                               [1.0, 1.0, -1.0])  # fmt: skip


@pytest.fixture
def page(logs_page):
    return logs_page


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
    page.remap_button.click()
    dialog = page.mapping_dialog
    qtbot.waitUntil(lambda: dialog.preview is not None and not dialog.busy, timeout=10_000)
    assert dialog.rows["current_a"].source.currentText() == "Strom [mA]"  # the saved one
    dialog.rows["current_a"].scale.setText("-0.001")  # this rig counts discharge positive
    dialog.save_button.click()
    qtbot.waitUntil(
        lambda: page.analyses[odd_csv].frame["current_a"].iloc[0] < 0 and not page.busy,
        timeout=20_000,
    )
    np.testing.assert_allclose(page.analyses[odd_csv].frame["current_a"], [-1.0, -1.0, 0.5, 0.5])


# --- DBC signal mapping ------------------------------------------------------------


@pytest.fixture
def foxbms_dbc():
    from tests.real_data import REAL_DATA

    path = REAL_DATA / "can" / "foxbms.dbc" if REAL_DATA else None
    if path is None or not path.is_file():
        pytest.skip("real data (foxbms.dbc) not available")
    return str(path)


def _dbc_dialog(qtbot, path, name=None):
    from app.views.dbc_mapping_dialog import DbcMappingDialog

    dialog = DbcMappingDialog(path, name)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20_000)
    return dialog


def test_dbc_dialog_prefills_foxbms_signals_and_saves_a_mapping(qtbot, foxbms_dbc):
    from app.hardware.can.mapping import CanMapping

    dialog = _dbc_dialog(qtbot, foxbms_dbc)
    assert dialog.signal_of("voltage_v") == ("f_PackValuesP0", "BatteryVoltage")
    assert dialog.signal_of("current_a") == ("f_PackValuesP0", "Current")
    assert dialog.signal_of("cell_1_v") == ("f_CellVoltages", "CellVoltage_000")
    row = dialog.row_of("cell_1_v")
    assert float(dialog.table.item(row, 3).text()) == pytest.approx(1e-3)  # mV
    assert float(dialog.table.item(dialog.row_of("current_a"), 3).text()) == -1.0
    assert dialog.name_edit.text() == "foxbms"
    assert dialog.save_button.isEnabled(), dialog.problem_text

    dialog.choose("current_a", None)
    assert not dialog.save_button.isEnabled() and "current_a" in dialog.problem_text
    # picked in the signal column's combo (the table's editor)
    table = dialog.table
    index = table.model().index(dialog.row_of("current_a"), 1)
    delegate = table.itemDelegateForColumn(1)
    editor = delegate.createEditor(table.viewport(), None, index)
    assert editor.count() == len(dialog.choices) + 1
    delegate.setEditorData(editor, index)
    assert editor.currentIndex() == 0  # "none"
    editor.setCurrentIndex(editor.findText("f_PackValuesP0.Current  [A]"))
    delegate.setModelData(editor, table.model(), index)
    editor.deleteLater()
    assert dialog.signal_of("current_a") == ("f_PackValuesP0", "Current")
    assert dialog.save_button.isEnabled()
    temps = sum(
        bool(schema.CELL_TEMPERATURE_RE.match(dialog.table.item(r, 0).text()))
        for r in range(dialog.table.rowCount())
    )
    added = dialog.add_cell(schema.cell_temperature_column)
    assert added == schema.cell_temperature_column(temps + 1)  # the next cell
    assert dialog.table.item(dialog.table.rowCount() - 1, 0).text() == added
    dialog.choose(added, ("f_PackValuesP0", "Current"))
    dialog.choose(added, None)  # left empty: not saved
    dialog.name_edit.setText("bad name!")
    assert not dialog.save_button.isEnabled()
    dialog.name_edit.setText("fox-rig")
    dialog.save_button.click()
    assert dialog.name == "fox-rig"

    saved = CanMapping.load("fox-rig")
    columns = {s.column: s for s in saved.signals}
    assert (columns["voltage_v"].message, columns["voltage_v"].signal) == (
        "f_PackValuesP0",
        "BatteryVoltage",
    )
    assert columns["current_a"].scale == 1.0  # picked by hand: the unit's scale, A
    assert columns["cell_1_v"].scale == pytest.approx(1e-3)
    assert sum(c.startswith("cell_") and c.endswith("_v") for c in columns) > 10

    again = _dbc_dialog(qtbot, foxbms_dbc, "fox-rig")  # a saved mapping is shown again
    assert "saved mapping 'fox-rig'" in again.status.text()
    assert float(again.table.item(again.row_of("current_a"), 3).text()) == 1.0


def test_dbc_dialog_shows_an_unreadable_dbc(qtbot, tmp_path):
    bad = tmp_path / "broken.dbc"
    bad.write_text("BO_ this is no DBC\n\x00\x01", encoding="utf-8")
    dialog = _dbc_dialog(qtbot, str(bad))
    assert dialog.status.text().startswith("Cannot use the DBC:")
    assert not dialog.save_button.isEnabled()
    missing = _dbc_dialog(qtbot, str(tmp_path / "nope.dbc"))
    assert "no such DBC file" in missing.status.text()


def test_connection_dialog_maps_signals_and_names_the_mapping_in_the_url(
    qtbot, foxbms_dbc, monkeypatch
):
    from app.hardware import protocols
    from app.views.connection_dialog import ConnectionDialog

    monkeypatch.setattr(protocols, "detect_serial_ports", list)
    monkeypatch.setattr(protocols, "detect_can_configs", list)
    dialog = ConnectionDialog([])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_url("can://socketcan/can0?dbc=")
    form = dialog.page(protocols.Transport.CAN).form
    assert form.protocol.name == "dbc"
    assert not form.map_button.isEnabled()
    dialog.set_url(f"can://socketcan/can0?dbc={foxbms_dbc}")
    assert form.map_button.isEnabled()
    form.map_button.click()
    mapper = dialog.signal_dialog
    qtbot.waitUntil(lambda: mapper.loaded_mapping is not None and not mapper.busy, timeout=20_000)
    mapper.name_edit.setText("fox-bench")
    mapper.save_button.click()
    assert "mapping=fox-bench" in dialog.url()
    assert protocols.parse_connection(dialog.url()).values["mapping"] == "fox-bench"
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20_000)
    assert dialog.shutdown(5.0)


def test_a_file_of_a_known_kind_without_samples_is_not_offered_for_mapping(qtbot, page):
    # an Arbin metadata CSV: "not a sample log: open the data file beside it", and a
    # "Map columns…" button beside it offered to read it as one
    from tests.real_data import REAL_DATA

    if REAL_DATA is None:
        pytest.skip("real data files not found")
    path = str(REAL_DATA / "arbin/2017-05-09_test-TC-contact_CH33_Metadata.csv")
    page.open_file(path)
    qtbot.waitUntil(lambda: page.status_is_error and "not a sample log" in page.status_text)
    qtbot.waitUntil(lambda: not page.busy, timeout=20_000)
    assert not page.map_columns_button.isVisible()
