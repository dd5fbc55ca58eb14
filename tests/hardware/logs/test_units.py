"""Header units, durations, date-times and table dialects (app.hardware.logs.units)."""

import numpy as np
import pandas as pd
import pytest

from app.core.errors import SchemaError
from app.hardware.logs import units


@pytest.mark.parametrize(
    ("header", "name", "unit"),
    [
        ("Current(mA)", "current", "ma"),
        ("Voltage [V]", "voltage", "v"),
        ("I/mA", "i", "ma"),
        ("Temperature (°C)", "temperature", "°c"),
        ("T1(?)", "t1", "°c"),
        ("Capacity (mAh)", "capacity", "mah"),
        ("Test_Time", "test_time", ""),
        ("Time (h:mm:ss)", "time", "h:mm:ss"),
        ("Voltage, V", "voltage", "v"),
        ("Current, mA", "current", "ma"),
        ("Temp, °C", "temp", "°c"),
        ("Step, Index", "step, index", ""),  # not a unit after the comma: all of it is the name
    ],
)
def test_split_header(header, name, unit):
    assert units.split_header(header) == (name, unit)


@pytest.mark.parametrize(
    ("unit", "raw", "si"),
    [("mv", 3712, 3.712), ("ma", -500, -0.5), ("mah", 2500, 2.5), ("ms", 1500, 1.5),
     ("h", 2, 7200), ("°c", 25, 25), ("k", 298.15, 25), ("kwh", 1.5, 1500)],
)  # fmt: skip
def test_units_scale_to_si(unit, raw, si):
    u = units.UNITS[unit]
    assert raw * u.scale + u.offset == pytest.approx(si)


def test_durations_of_every_common_spelling():
    values = pd.Series(
        ["0:00:01", "1:02:03.5", "27:55:43", "1-00:00:10", "1 day, 0:00:20", "1d 00:00:30.50", "42"]
    )
    out = units.parse_durations(values, "f.csv", "Time", 2)
    np.testing.assert_allclose(out, [1, 3723.5, 100543, 86410, 86420, 86430.5, 42])


def test_a_bad_duration_names_file_line_and_column():
    with pytest.raises(SchemaError, match=r"f.csv: line 4, column Time: 'soon'"):
        units.parse_durations(pd.Series(["0:00:01", "0:00:02", "soon"]), "f.csv", "Time", 2)


def test_datetimes_become_utc_epoch_seconds():
    out = units.parse_datetimes(
        pd.Series(["2026-03-06 12:37:25", "2026-03-06 12:37:27"]), "f", "Date", 2
    )
    assert out[1] - out[0] == 2.0
    assert units.epoch_to_iso(out[0]) == "2026-03-06T12:37:25+00:00"


def test_numbers_with_a_decimal_comma_and_with_units_in_cells():
    assert list(units.to_numbers(pd.Series(["3,71", "-0,5"]), "f", "U", 2, decimal=",")) == [
        3.71,
        -0.5,
    ]
    cells = pd.Series(["3712 mV", "3711 mV", ""])
    np.testing.assert_allclose(units.to_numbers(cells, "f", "U", 2), [3.712, 3.711, np.nan])


def test_mixed_units_in_a_column_are_an_error_naming_the_line():
    with pytest.raises(SchemaError, match=r"f.csv: line 3, column U: mixed units"):
        units.to_numbers(pd.Series(["3.71 V", "3712 mV"]), "f.csv", "U", 2)


def test_dialect_semicolon_decimal_comma_and_a_preamble():
    text = "Logger 7\nSerial: 123\n\nTime;Voltage (mV);Current (mA)\n0;3712,5;-500,0\n1;3711,0;-500,0\n"
    d = units.sniff_dialect(text)
    assert d == units.Dialect(";", ",", 3)


def test_dialect_tab_and_comma():
    assert units.sniff_dialect("a\tb\n1.5\t2\n3\t4\n") == units.Dialect("\t", ".", 0)
    assert units.sniff_dialect("a,b\n1,2\n3,4\n") == units.Dialect(",", ".", 0)


def test_header_cells_keep_a_quoted_delimiter_inside_its_cell():
    assert units.header_cells('"Voltage, V","Current, A", "Test_Time(s)"\r\n') == [
        "Voltage, V",
        "Current, A",
        "Test_Time(s)",
    ]
    assert units.header_cells('"Time; s";U;"I"', ";") == ["Time; s", "U", "I"]


def test_dialect_of_a_header_with_quoted_commas():
    text = '"Time, s","Voltage, V","Current, A"\n0,3.71,-1\n1,3.70,-1\n2,3.69,-1\n'
    assert units.sniff_dialect(text) == units.Dialect(",", ".", 0)


def test_prose_is_no_table():
    assert units.sniff_dialect("hello world\nthis is prose\n") is None


def test_dialect_decimal_comma_past_the_sniffers_window():
    # every data row splits into 3 cells on ',' too ("0;11" "8987;-5" "0"): the header decides
    rows = "".join(f"{k};11,{8987 - k};-5,0\n" for k in range(300))
    assert units.sniff_dialect("time_s;voltage_v;current_a\n" + rows) == units.Dialect(";", ",", 0)
    tabbed = "".join(f"{k}\t11,{8987 - k}\t-5,0\n" for k in range(300))
    assert units.sniff_dialect("t\tv\ti\n" + tabbed) == units.Dialect("\t", ",", 0)
    dotted = "".join(f"{k},11.{8987 - k},-5.0\n" for k in range(300))
    assert units.sniff_dialect("time_s,voltage_v,current_a\n" + dotted) == units.Dialect(
        ",", ".", 0
    )
