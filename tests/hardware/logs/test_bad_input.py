"""Truncated, empty, garbage, wrong-format and mixed-unit files: a clear SchemaError with
file (and line where there is one), never a crash. The readers are fuzzed with hypothesis."""

import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import SchemaError
from app.core.samples import SampleBlock
from app.core.schema import validate_samples
from app.hardware.logs.canonical_csv import write_canonical_csv
from app.hardware.logs.formats import open_log
from tests.real_data import REAL_DATA

REAL = [
    "arbin/2017-05-09_test-TC-contact_CH33.csv",
    "maccor/PredictionDiagnostics_000151_test.052",
    "neware/nw_regular_export_ife_example.csv",
    "bdf/SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv",
]
needs_real = pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")


def _open_or_clear_error(path: str):
    """open_log either gives valid samples or a SchemaError naming the file."""
    try:
        log = open_log(path, use_cache=False)
    except SchemaError as exc:
        assert str(exc).startswith(path), str(exc)
        assert "\n" not in str(exc).strip()
        return None
    validate_samples(log.frame, origin=path)
    return log


@needs_real
@pytest.mark.parametrize("name", REAL)
def test_a_header_only_cycler_file_says_it_has_no_samples(tmp_path, name):
    src = REAL_DATA / name
    lines = src.read_bytes().splitlines(keepends=True)
    keep = 3 if name.startswith("neware") else (2 if name.startswith("maccor") else 1)
    path = tmp_path / src.name
    path.write_bytes(b"".join(lines[:keep]))
    with pytest.raises(SchemaError, match=r"no samples|without records|too few samples"):
        open_log(str(path))


@needs_real
@pytest.mark.parametrize("name", REAL)
def test_a_bad_value_in_a_cycler_file_names_its_line(tmp_path, name):
    src = REAL_DATA / name
    lines = src.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    k = 40  # a record line in all four files
    sep = "\t" if name.startswith("maccor") else ","
    cells = lines[k].split(sep)
    volt = {"arbin": 7, "maccor": 8, "neware": 6, "bdf": 1}[name.split("/")[0]]
    cells[volt] = "3.7x"
    lines[k] = sep.join(cells)
    path = tmp_path / src.name
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(
        SchemaError, match=rf"{path}: line {k + 1}, column .*'3.7x' is not a number"
    ):
        open_log(str(path))


@needs_real
@pytest.mark.parametrize("name", REAL)
@pytest.mark.parametrize("fraction", [0.3, 0.77])
def test_a_truncated_cycler_file_opens_what_is_there(tmp_path, name, fraction):
    src = REAL_DATA / name
    data = src.read_bytes()
    path = tmp_path / src.name
    path.write_bytes(data[: int(len(data) * fraction)])  # cut mid-line
    log = _open_or_clear_error(str(path))
    assert log is not None
    assert 0 < len(log.frame) < len(open_log(str(src)).frame)


def test_mixed_units_in_a_generic_file_name_the_line(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("time,voltage,current\n0,3.70 V,1 A\n1,3.71 V,1 A\n2,3712 mV,1 A\n")
    with pytest.raises(SchemaError, match=rf"{path}: line 4, column voltage: mixed units"):
        open_log(str(path))


def test_a_cycler_file_of_the_wrong_kind_is_named(tmp_path):
    path = tmp_path / "cell.mpr"  # a BioLogic header with nothing behind it
    path.write_bytes(b"BIO-LOGIC MODULAR FILE\x1a" + bytes(200))
    with pytest.raises(SchemaError, match="corrupt .mpr"):
        open_log(str(path))
    res = tmp_path / "cell.res"  # an Arbin .res (MS Access database): not read
    res.write_bytes(b"\x00\x01\x00\x00Standard Jet DB\x00" + bytes(200))
    with pytest.raises(SchemaError, match="binary data"):
        open_log(str(res))
    zipped = tmp_path / "notes.xlsx"
    zipped.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(SchemaError, match="ZIP archive"):
        open_log(str(zipped))


def test_a_directory_and_an_unreadable_file(tmp_path):
    with pytest.raises(SchemaError, match="is a directory"):
        open_log(str(tmp_path))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=3000))
def test_fuzz_random_bytes(tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    _open_or_clear_error(str(path))


_CELL = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(["", "N/A", "1:02:03", "2026-01-02 03:04:05", "3,7", "3.7 V", "x", '"']),
)
_HEADERS = st.lists(
    st.sampled_from(
        ["time_s", "voltage_v", "current_a", "Test_Time", "Current", "Voltage", "Data_Point",
         "Step_Index", "Cycle_Index", "Total Time", "Step Type", "Current(A)", "Voltage(V)",
         "test_time_second", "voltage_volt", "current_ampere", "Time (s)", "U (mV)", "I (mA)",
         "Date", "cycle_index", "discharge_capacity_ah", "Rec#", "State"]
    ),
    min_size=1,
    max_size=8,
)  # fmt: skip


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    headers=_HEADERS,
    rows=st.lists(st.lists(_CELL, min_size=1, max_size=9), max_size=12),
    sep=st.sampled_from([",", ";", "\t"]),
)
def test_fuzz_tables_that_look_like_the_formats(tmp_path, headers, rows, sep):
    text = sep.join(headers) + "\n" + "".join(sep.join(r) + "\n" for r in rows)
    path = tmp_path / "fuzz.csv"
    path.write_text(text, encoding="utf-8")
    _open_or_clear_error(str(path))


@needs_real
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(REAL),
    cut=st.floats(0.0, 1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), max_size=5),
)
def test_fuzz_damaged_real_files(tmp_path, name, cut, flips):
    src = REAL_DATA / name
    data = bytearray(src.read_bytes()[:20000])  # the head: keeps each example quick
    data = data[: max(1, int(len(data) * cut))]
    for where, value in flips:
        data[min(len(data) - 1, int(where * len(data)))] = value
    path = tmp_path / src.name
    path.write_bytes(bytes(data))
    _open_or_clear_error(str(path))


@needs_real
def test_the_real_files_survive_a_copy_with_another_extension(tmp_path):
    for name in REAL:
        path = tmp_path / (name.split("/")[0] + ".dat")
        shutil.copy(REAL_DATA / name, path)
        assert open_log(str(path)).metadata["format"] != "CSV/TSV/XLSX table"


@needs_real
@pytest.mark.parametrize("name", [*REAL, "capacity/nasa_B0005_capacity.csv", "canonical"])
def test_a_byte_order_mark_changes_nothing(tmp_path, name):
    # Excel's "CSV UTF-8" starts the file with EF BB BF; the format, metadata, columns
    # and values are those of the file without it
    from app.hardware.logs.cycle_table import is_cycle_table, read_cycle_table

    if name == "canonical":
        src = tmp_path / "canonical.csv"
        arbin = open_log(str(REAL_DATA / REAL[0]))
        write_canonical_csv(str(src), SampleBlock.from_frame(arbin.frame), {"spec": "{}"})
    else:
        src = REAL_DATA / name
    path = tmp_path / ("bom_" + src.name)
    path.write_bytes(b"\xef\xbb\xbf" + src.read_bytes())
    if name.startswith("capacity"):
        assert is_cycle_table(str(path))
        pd.testing.assert_frame_equal(read_cycle_table(str(path)), read_cycle_table(str(src)))
        return
    log, plain = open_log(str(path), use_cache=False), open_log(str(src), use_cache=False)
    assert log.metadata == plain.metadata
    pd.testing.assert_frame_equal(log.frame, plain.frame)


@needs_real
def test_short_rows_leave_an_epoch_column_readable(tmp_path):
    # rows cut after two cells leave DateTime (epoch seconds) empty there: the others
    # are still dates (it said "line 2, column DateTime: '1494377253.17' is not a date")
    src = REAL_DATA / REAL[0]
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    for k in (5, 6, 7):
        lines[k] = ",".join(lines[k].split(",")[:2]) + "\n"
    path = tmp_path / src.name
    path.write_text("".join(lines), encoding="utf-8")
    log, plain = open_log(str(path)), open_log(str(src))
    assert log.metadata["start_utc"] == plain.metadata["start_utc"]
    assert len(log.frame) == len(plain.frame)
    assert log.frame["voltage_v"].isna().sum() == 3


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ('{"chemistry": "nmc", "capacity_ah": "five"}', "capacity_ah = 'five' is not a number"),
        ("[1, 2]", "not a mapping of keys to values ([1, 2])"),
        ('{"chemistry": "nmc", "capacity_ah": 5', "not valid JSON, it ends early (cut short?)"),
        ('{"chemistry": "nmc" "capacity_ah": 5}', "not valid JSON: Expecting ',' delimiter at "),
        ('{"chemistry": "nmx", "capacity_ah": 5}', "chemistry = 'nmx': unknown chemistry"),
        ('{"chemistry": "nmc", "capacity_ah": 5, "series_cells": 0}', "got series_cells = 0"),
        (
            '{"chemistry": "nmc", "capacity_ah": 5, "cell_v_min": 4.5, "cell_v_max": 3}',
            "cell_v_min = 4.5 V is not below cell_v_max = 3 V",
        ),
        (
            '{"chemistry": "nmc", "capacity_ah": 5, "max_discharge_current_c": -2}',
            "got max_discharge_current_c = -2",
        ),
    ],
)
def test_a_damaged_spec_line_is_left_out_with_a_warning_naming_field_and_value(
    tmp_path, spec, problem
):
    # it said "the file's battery spec is damaged and was left out (...)", or nothing at
    # all for a line that is no JSON (cut short): the battery then silently had to be given
    path = tmp_path / "log.csv"
    path.write_text(f"# spec: {spec}\ntime_s,voltage_v,current_a\n0,3.7,0\n1,3.7,-1\n")
    log = open_log(str(path))
    assert log.spec is None
    assert problem in log.spec_problem
    (warning,) = log.metadata["warnings"].splitlines()
    assert warning.startswith(f"the file's '# spec:' line is damaged: {log.spec_problem}")
    assert warning.endswith("the whole line was ignored, so the battery is not taken from the file")
    good = tmp_path / "good.csv"
    good.write_text(path.read_text().replace(spec, '{"chemistry": "lfp", "capacity_ah": 2.0}'))
    assert open_log(str(good)).spec.capacity_ah == 2.0
    assert open_log(str(good)).spec_problem is None


@pytest.mark.parametrize("spec", ["{}", "null", ""])
def test_a_spec_line_naming_no_battery_is_no_damage(tmp_path, spec):
    path = tmp_path / "log.csv"
    path.write_text(f"# spec: {spec}\ntime_s,voltage_v,current_a\n0,3.7,0\n1,3.7,-1\n")
    log = open_log(str(path))
    assert log.spec is None and log.spec_problem is None and "warnings" not in log.metadata


def test_a_damaged_step_capacity_counts_as_zero():
    # an inf in a Maccor/Neware step counter became 1.8e308 and the sums overflowed
    from app.hardware.logs.counters import cycle_counters

    step = np.array([1, 1, 2, 2, 3, 3])
    value = np.array([np.inf, 0.1, np.inf, 0.2, np.nan, 0.3])
    charge, discharge = cycle_counters(np.ones(6), step, value, np.ones(6))
    assert np.isfinite(charge).all() and np.isfinite(discharge).all()
    assert charge[-1] == pytest.approx(0.6)


@needs_real
@pytest.mark.parametrize("junk", [b"\x1c", b"\x1f", b"\x85"])
def test_a_foxbms_line_with_a_damaged_separator_is_a_bad_line(tmp_path, junk):
    # 0x1c-0x1f are whitespace to a Unicode regex, not to bytes.fromhex: a traceback
    from app.hardware.logs.can_logs import _read_foxbms_text

    lines = (REAL_DATA / "can" / "foxbms_test_log.txt").read_bytes().split(b"\n")
    line = bytearray(lines[3])
    line[line.rindex(b" ")] = junk[0]
    path = tmp_path / "foxbms.txt"
    path.write_bytes(b"\n".join([*lines[:3], bytes(line), *lines[4:]]))
    frames = _read_foxbms_text(str(path), None)
    assert frames.bad == 1 and frames.first_bad.startswith("line 4:")


def test_canonical_csv_keeps_sub_second_times_of_a_long_recording(tmp_path):
    # at the other columns' 6 significant digits, 10 Hz timestamps past 100 000 s (a
    # 28 h recording) were written as 100000, 100000, ..., 100001
    from app.hardware.logs.canonical_csv import read_canonical_csv

    t = 100_000.0 + 0.1 * np.arange(10)
    frame = pd.DataFrame({"time_s": t, "voltage_v": 3.7, "current_a": -1.25})
    path = str(tmp_path / "long.csv")
    write_canonical_csv(path, SampleBlock.from_frame(frame))
    back = read_canonical_csv(path).frame["time_s"].to_numpy()
    np.testing.assert_allclose(back, t, rtol=0, atol=1e-6)
