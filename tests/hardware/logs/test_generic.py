"""Generic CSV/TSV/XLSX tables and the column mapping (app.hardware.logs.generic, column_mapping)."""

import json

import numpy as np
import pytest

from app.core.errors import SchemaError
from app.hardware.logs import generic
from app.hardware.logs.column_mapping import (
    ColumnMapping,
    ColumnSpec,
    ValueKind,
    forget_mapping,
    mapping_for,
    save_mapping,
    saved_mappings,
    suggest_mapping,
)
from app.hardware.logs.formats import detect_format, open_log

LOGGER = (
    "Data logger 7 export\n"
    "Serial;A-123\n"
    "\n"
    "Elapsed (h:mm:ss);Voltage (mV);Current (mA);Capacity (mAh);Temp (°C)\n"
    "0:00:00;3712,5;-500,0;0,0;25,0\n"
    "0:00:01;3711,0;-500,0;0,1;25,1\n"
    "0:00:02;3710,5;-500,0;0,3;25,1\n"
)


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_logger_file_with_semicolons_decimal_commas_and_units_opens(tmp_path):
    path = _write(tmp_path / "rig3_cell1.csv", LOGGER)
    assert detect_format(path).name == "CSV/TSV/XLSX table"
    log = open_log(path)
    f = log.frame
    np.testing.assert_allclose(f["time_s"], [0, 1, 2])
    np.testing.assert_allclose(f["voltage_v"], [3.7125, 3.711, 3.7105])
    np.testing.assert_allclose(f["current_a"], [-0.5, -0.5, -0.5])
    np.testing.assert_allclose(f["temperature_c"], [25.0, 25.1, 25.1])
    assert json.loads(log.metadata["column_mapping"])["decimal"] == ","


def test_headers_quoted_with_commas_inside_open_with_their_units(tmp_path):
    path = _write(
        tmp_path / "quoted.csv",
        '"Time, s","Voltage, V","Current, mA","Temp, °C"\n'
        "0,3.712,-500,25.0\n1,3.711,-500,25.1\n2,3.710,-500,25.1\n",
    )
    f = open_log(path).frame
    np.testing.assert_allclose(f["time_s"], [0, 1, 2])
    np.testing.assert_allclose(f["voltage_v"], [3.712, 3.711, 3.710])
    np.testing.assert_allclose(f["current_a"], [-0.5, -0.5, -0.5])
    np.testing.assert_allclose(f["temperature_c"], [25.0, 25.1, 25.1])


@pytest.mark.parametrize(
    ("header", "row", "fmt"),
    [
        ('"Data_Point","Test_Time(s)","Step_Index","Cycle_Index","Current(A)","Voltage(V)"',
         '"{k}","{k}.0","1","1","-1.0","3.7"', "Arbin export"),
        ('"time_s","voltage_v","current_a"', "{k}.0,3.7,-1.0", "Battery OS canonical CSV"),
        ('"test_time_second","voltage_volt","current_ampere"', "{k}.0,3.7,-1.0",
         "Battery Data Format CSV"),
    ],
)  # fmt: skip
def test_a_cyclers_quoted_header_is_still_its_format(tmp_path, header, row, fmt):
    rows = "".join(row.format(k=k) + "\n" for k in range(3))
    path = _write(tmp_path / "quoted.csv", header + "\n" + rows)
    assert detect_format(path).name == fmt
    f = open_log(path).frame
    np.testing.assert_allclose(f["time_s"], [0, 1, 2])
    np.testing.assert_allclose(f["voltage_v"], [3.7, 3.7, 3.7])
    np.testing.assert_allclose(f["current_a"], [-1.0, -1.0, -1.0])


def test_a_per_cycle_table_with_a_quoted_header_is_one(tmp_path):
    from app.hardware.logs.cycle_table import is_cycle_table

    path = _write(tmp_path / "cycles.csv", '"cycle_index","discharge_capacity_ah"\n1,2.0\n2,1.99\n')
    assert is_cycle_table(path)


def test_suggestion_reads_units_from_headers():
    m = suggest_mapping(
        ["Time (ms)", "Voltage (mV)", "Current (A)", "Discharge Capacity (mAh)", "T (K)"]
    )
    assert m.columns["time_s"] == ColumnSpec("Time (ms)", 1e-3)
    assert m.columns["voltage_v"].scale == 1e-3
    assert m.columns["current_a"].scale == 1.0
    assert m.columns["discharge_capacity_ah"].scale == 1e-3
    assert m.missing() == []


def test_absolute_timestamps_give_time_and_start(tmp_path):
    text = "Timestamp,U (V),I (A)\n2026-01-02 03:04:05,3.7,1\n2026-01-02 03:04:15,3.8,1\n"
    log = open_log(_write(tmp_path / "t.csv", text))
    assert list(log.frame["time_s"]) == [0.0, 10.0]
    assert log.metadata["start_utc"] == "2026-01-02T03:04:05+00:00"


def test_a_table_without_a_current_says_which_column_is_missing(tmp_path):
    path = _write(tmp_path / "t.csv", "Time (s),Voltage (V),Power (W)\n0,3.7,1\n1,3.7,1\n")
    with pytest.raises(SchemaError, match="current_a; map the columns by hand"):
        open_log(path)


def test_mapping_round_trips_through_json():
    m = ColumnMapping(
        {"time_s": ColumnSpec("t", kind=ValueKind.DURATION), "current_a": ColumnSpec("I", -1.0)},
        delimiter=";",
        decimal=",",
        header_line=3,
        dayfirst=True,
    )
    assert ColumnMapping.from_dict(json.loads(json.dumps(m.to_dict()))) == m
    with pytest.raises(SchemaError, match="not a column mapping"):
        ColumnMapping.from_dict({"columns": {"time_s": {"scale": 1}}})


def test_a_remembered_mapping_is_used_for_matching_file_names(tmp_path):
    # a file whose headers say nothing: the user maps them once for "bench_*.txt"
    text = "a|b|c\n0|3.70|2.0\n10|3.71|2.0\n20|3.72|2.0\n"
    path = _write(tmp_path / "bench_042.txt", text)
    with pytest.raises(SchemaError, match="map the columns"):
        open_log(path)
    mapping = ColumnMapping(
        {
            "time_s": ColumnSpec("a"),
            "voltage_v": ColumnSpec("b"),
            "current_a": ColumnSpec("c", scale=-1.0),  # this rig logs discharge as positive
        },
        delimiter="|",
    )
    save_mapping("bench_*.txt", mapping)
    assert mapping_for(str(tmp_path / "bench_001.txt")) == mapping
    assert mapping_for(str(tmp_path / "other.txt")) is None
    log = open_log(path)
    assert list(log.frame["current_a"]) == [-2.0, -2.0, -2.0]
    forget_mapping("bench_*.txt")
    assert saved_mappings() == []


def test_the_mapping_store_lives_in_the_settings_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("BATTERYOS_CONFIG_DIR", str(tmp_path / "elsewhere"))
    save_mapping("*.dat", ColumnMapping({"time_s": ColumnSpec("t")}))
    assert (tmp_path / "elsewhere" / "column_mappings.json").is_file()


def test_preview_shows_layout_headers_rows_and_suggestion(tmp_path):
    p = generic.preview(_write(tmp_path / "l.csv", LOGGER), rows=2)
    assert p.dialect.header_line == 3
    assert p.headers[1] == "Voltage (mV)"
    assert len(p.rows) == 2
    assert p.mapping.columns["time_s"].kind is ValueKind.DURATION


def test_an_xlsx_table_opens(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Time (s)", "Voltage (V)", "Current (mA)"])
    for k in range(5):
        ws.append([k * 1.0, 3.7 + 0.01 * k, 1000.0])
    path = str(tmp_path / "cell.xlsx")
    wb.save(path)
    log = open_log(path)
    assert log.metadata["format"] == "CSV/TSV/XLSX table"
    np.testing.assert_allclose(log.frame["current_a"], 1.0)
    assert log.metadata["sheet"] == "Data"


@pytest.mark.parametrize("rows", [5, 49, 60, 500])
@pytest.mark.parametrize(
    ("delimiter", "decimal"), [(";", ","), (",", "."), ("\t", "."), (";", ".")]
)
def test_small_and_large_tables_read_in_every_dialect(tmp_path, rows, delimiter, decimal):
    # A decimal-comma row "0;11,8987;-5,0" splits into as many cells on ',' as on ';':
    # past ~50 rows (the header out of the sniffer's window) ',' used to win and
    # the file was "not a log format". The header line decides.
    t = np.arange(rows, dtype=float)
    v = 11.9 - 0.0123 * t
    i = np.where(t % 7 < 4, -5.0, 2.5)

    def num(x):
        return f"{x:.4f}".replace(".", decimal)

    lines = [delimiter.join(["time_s", "voltage_v", "current_a"])]
    lines += [delimiter.join([f"{a:g}", num(b), num(c)]) for a, b, c in zip(t, v, i, strict=True)]
    path = _write(tmp_path / "g.csv", "\n".join(lines) + "\n")
    assert detect_format(path).name in ("CSV/TSV/XLSX table", "Battery OS canonical CSV")
    f = open_log(path, use_cache=False).frame
    np.testing.assert_allclose(f["time_s"], t)
    np.testing.assert_allclose(f["voltage_v"], np.round(v, 4))
    np.testing.assert_allclose(f["current_a"], i)


def test_a_complete_last_row_without_line_end_is_kept_in_a_decimal_comma_table(tmp_path):
    """``;``-separated with decimal commas: the last row ``200;3,7;0`` has all 3 fields
    (counting commas made it 2 of 4 and left it out)."""
    path = tmp_path / "dec.csv"
    rows = ["Time [s];Voltage [V];Current [A]"]
    rows += [f"{i},5;3,{600 + i % 50};1,25" for i in range(200)]
    path.write_text("\n".join([*rows, "200;3,7;0"]), encoding="utf-8")
    log = open_log(str(path), use_cache=False)
    assert len(log.frame) == 201
    assert log.frame["voltage_v"].iloc[-1] == pytest.approx(3.7)
    warning = log.metadata["warnings"]
    assert "has all 3 fields" in warning and "it is kept" in warning


def test_a_quoted_delimiter_is_not_a_field_of_a_cut_row(tmp_path):
    """A cut row is told by its fields counted as the reader splits them: a comma
    inside quotes splits nothing."""
    from app.hardware.logs.tables import cut_last_line

    path = tmp_path / "quoted.csv"
    path.write_text('time,voltage,note\n0,3.7,"a, b"\n1,3.6,"c, d', encoding="utf-8")
    cut = cut_last_line(str(path), ",")
    assert (cut.fields, cut.expected, cut.short) == (3, 3, False)
    path.write_text('time,voltage,note\n0,3.7,"a, b"\n1,3.6', encoding="utf-8")
    cut = cut_last_line(str(path), ",")
    assert (cut.fields, cut.expected, cut.short) == (2, 3, True)


def test_a_canonical_table_saved_with_semicolons_or_as_xlsx_keeps_its_cell_temperatures(
    tmp_path,
):
    # (a canonical CSV opened in a spreadsheet and saved again goes through the generic
    # reader: its cells' temperatures and the BMS's SOH were dropped without a word, and
    # the thermal results differed from the same file's with commas)
    from openpyxl import Workbook

    header = ["time_s", "voltage_v", "current_a", "cell_1_v", "cell_2_v"]
    header += ["cell_1_temp_c", "cell_2_temp_c", "soh_reported_pct"]
    rows = [[k, 7.4, -1.0, 3.7, 3.7, 25.0 + 0.1 * k, 26.0 + 0.2 * k, 97.0] for k in range(6)]
    text = "\n".join(";".join(map(str, r)) for r in [header, *rows]) + "\n"
    wb = Workbook()
    for r in [header, *rows]:
        wb.active.append(r)
    wb.save(tmp_path / "cells.xlsx")
    for path in (_write(tmp_path / "cells.csv", text), str(tmp_path / "cells.xlsx")):
        f = open_log(path).frame
        np.testing.assert_allclose(f["cell_1_temp_c"], [25.0 + 0.1 * k for k in range(6)])
        np.testing.assert_allclose(f["cell_2_temp_c"], [26.0 + 0.2 * k for k in range(6)])
        np.testing.assert_allclose(f["soh_reported_pct"], 97.0)


def test_cell_temperature_headers_with_units_are_suggested():
    m = suggest_mapping(
        ["Time (s)", "Voltage (V)", "Current (A)", "Cell 2 Temp (K)", "cell3 temperature"]
    )
    assert m.columns["cell_2_temp_c"].source == "Cell 2 Temp (K)"
    assert m.columns["cell_2_temp_c"].offset == pytest.approx(-273.15)
    assert m.columns["cell_3_temp_c"].source == "cell3 temperature"
    assert "temperature_c" not in m.columns  # a cell's sensor is not the pack's
