"""`batteryos analyze` on per-cycle tables: their own column names and units, the faults
list, --timeseries, and one end of life in the fade and cycle-life lines (a first-time
user's findings)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from app.cli import main
from app.hardware.logs.cycle_table import is_cycle_table
from tests.cli.test_analyze_cli import run_cli
from tests.real_data import REAL_DATA

B0005 = REAL_DATA / "capacity" / "nasa_B0005_capacity.csv" if REAL_DATA else None


def mah_table(path, header="Cycle,Discharge Capacity (mAh)"):
    n = np.arange(1, 61)
    rows = "\n".join(f"{i},{1856.5 - 4.0 * (i - 1):.1f}" for i in n)
    path.write_text(f"{header}\n{rows}\n")
    return path


@pytest.mark.parametrize(
    "header",
    [
        "Cycle,Discharge Capacity (mAh)",
        "Cycle Number,Capacity [Ah]",
        "cycle_number,Qd/mAh",
    ],
)
def test_a_per_cycle_table_with_its_own_column_names_is_read(tmp_path, capsys, header):
    """`Cycle,Discharge Capacity (mAh)` was refused with "map the columns by hand", which
    the command line has no way to do."""
    path = mah_table(tmp_path / "t.csv", header)
    assert main(["analyze", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    first = report["cycles"][0]["discharge_capacity_ah"]
    scale = 1.0 if "[Ah]" in header else 1e-3
    assert first == pytest.approx(1856.5 * scale)
    assert report["results"]["cycle_life"]["reference_capacity_ah"] == pytest.approx(
        (1856.5 - 8.0) * scale
    )
    assert report["warnings"][0].startswith("columns read as: ")
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert "per-cycle table" in out
    assert ("converted to Ah" in out) is (scale != 1.0)


def test_cycle_and_capacity_names_make_a_cycle_table_only_with_a_unit_and_no_samples(
    tmp_path,
):
    assert is_cycle_table(str(mah_table(tmp_path / "t.csv")))
    # a cycler's log of samples has a cycle and a capacity column too
    path = tmp_path / "arbin_like.csv"
    path.write_text(
        "Test_Time(s),Cycle_Index,Voltage(V),Current(A),Discharge_Capacity(Ah)\n"
        "0,1,3.3,1.0,0\n1,1,3.31,1.0,0\n"
    )
    assert not is_cycle_table(str(path))
    # mAh without its unit would be read as Ah: not guessed
    path = mah_table(tmp_path / "no_unit.csv", "Cycle,Discharge Capacity")
    assert not is_cycle_table(str(path))
    result = run_cli("analyze", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_the_faults_of_a_per_cycle_table_are_a_list(tmp_path, capsys):
    """DESIGN.md: results.faults is a list; a per-cycle table gave null."""
    path = mah_table(tmp_path / "t.csv", "cycle_index,discharge_capacity_ah")
    pd.read_csv(path).assign(discharge_capacity_ah=lambda d: d.discharge_capacity_ah / 1000).to_csv(
        path, index=False
    )
    assert main(["analyze", str(path), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert results["faults"] == []
    # ... and the summary does not claim "faults 0" of a table that has no samples
    assert main(["analyze", str(path)]) == 0
    assert "\n  faults" not in capsys.readouterr().out


def test_timeseries_of_a_per_cycle_table_is_refused_before_the_analysis(tmp_path):
    """It printed the whole analysis, then exited 2."""
    path = mah_table(tmp_path / "t.csv")
    out = tmp_path / "ts.csv"
    result = run_cli("analyze", str(path), "--timeseries", str(out))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "per-cycle table" in result.stderr and "--timeseries" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
def test_fade_and_cycle_life_lines_use_the_eol_fraction_given(capsys):
    """B0005 at --eol-fraction 0.6: the fade said "critical ... (below 0.8: end of life)"
    while cycle life said "ok: forecast at cycle 233"; at 0.7 cycle life said "reached at
    cycle 167", where the capacity (1.309 Ah) is above the 1.289 Ah line (first below: 165)."""

    def lines(*options: str) -> dict[str, str]:
        assert main(["analyze", str(B0005), *options]) == 0
        return {ln[:16].strip(): ln[16:] for ln in capsys.readouterr().out.splitlines()}

    at_06 = lines("--eol-fraction", "0.6")
    assert not at_06["fade"].startswith("critical") and "end of life" not in at_06["fade"]
    assert at_06["cycle life"].startswith("ok: end of life forecast at cycle")
    at_07 = lines("--eol-fraction", "0.7")
    assert at_07["cycle life"] == "critical: end of life reached at cycle 165"
    assert at_07["fade"].startswith(
        "critical: retention 0.703 (mean of the last 5 cycles over the first 5"
    )
    assert "); end of life at cycle 165: " in at_07["fade"]
    assert "below 0.7 x 1.842 Ah" in at_07["fade"]


SAMPLES = "0,3.70,1.0,1,0\n1,3.69,1.0,1,0.0003\n2,3.68,1.0,1,0.0006\n"


@pytest.mark.parametrize(
    "header",
    [
        "Seconds,Volts,Amps,Cycle,Capacity(Ah)",
        "Time Stamp,U(V),I(A),Cycle,Capacity(Ah)",
        "Time Stamp,Voltage,Current,Cycle Number,Discharge Capacity (mAh)",
        "t/h,Ewe/mV,Cell,Cycle,Capacity(Ah)",
    ],
)
def test_a_log_of_samples_with_a_cycle_and_a_capacity_is_not_a_per_cycle_table(
    tmp_path, capsys, header
):
    """`Seconds,Volts,Amps,Cycle,Capacity(Ah)` was sniffed as a per-cycle table at 0.95 and
    analysed as 3 cycles all "#1" of 0, 0.0003 and 0.0006 Ah: only a fixed list of header
    names (`Voltage`, `Time`, ...) said samples, not `Volts`, `Amps`, `Seconds`, `U(V)`."""
    from app.hardware.logs import cycle_table
    from app.hardware.logs.formats import detect_format

    path = tmp_path / "samples.csv"
    path.write_text(f"{header}\n{SAMPLES}")
    assert not is_cycle_table(str(path))
    assert cycle_table.sniff(str(path), path.read_bytes()) == 0.0
    assert detect_format(str(path)).name != "Per-cycle table"
    result = run_cli("analyze", str(path))
    assert "per-cycle table" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_per_cycle_table_found_by_aliases_only_scores_below_the_generic_reader(tmp_path):
    from app.hardware.logs import cycle_table, generic
    from app.hardware.logs.formats import detect_format

    aliased = mah_table(tmp_path / "aliased.csv")
    canonical = mah_table(tmp_path / "canonical.csv", "cycle_index,discharge_capacity_ah")
    for path in (aliased, canonical):
        assert detect_format(str(path)).name == "Per-cycle table"
    complete_samples = 0.3  # the generic reader's score for a complete mapping
    samples = tmp_path / "samples.csv"
    samples.write_text("Time (s),Voltage (V),Current (A)\n0,3.7,1\n1,3.7,1\n")
    assert generic.sniff(str(samples), samples.read_bytes()) == complete_samples
    assert cycle_table.sniff(str(aliased), aliased.read_bytes()) < complete_samples
    assert cycle_table.sniff(str(canonical), canonical.read_bytes()) == 0.95


@pytest.mark.parametrize("header", ["Cycle,Capacity(Ah)", "cycle_index,discharge_capacity_ah"])
def test_a_per_cycle_table_with_a_cycle_twice_is_refused(tmp_path, header):
    from app.core.errors import SchemaError
    from app.hardware.logs.cycle_table import read_cycle_table

    path = tmp_path / "t.csv"
    path.write_text(f"{header}\n1,2.0\n2,1.99\n2,1.98\n3,1.97\n")
    with pytest.raises(SchemaError, match=r"line 4: cycle 2 again \(first on line 3\)"):
        read_cycle_table(str(path))
    result = run_cli("analyze", str(path))
    assert result.returncode == 2 and "cycle 2 again" in result.stderr
    assert "Traceback" not in result.stderr


STATS_ROWS = ["1,2.000,2.010", "2,1.990,2.000", "3,1.980,1.990"]


@pytest.mark.parametrize(
    ("extra", "values"),
    [
        ("Charge Time(s)", "3600"),
        ("Mean Voltage(V)", "3.65"),
        ("End Voltage(V)", "4.2"),
        ("Max Current(A)", "1.0"),
        ("Duration(h)", "2.5"),
        ("Date", "2026-01-01"),
        ("Charge Time", "3600"),
    ],
)
def test_a_cycle_statistics_export_with_per_cycle_times_and_voltages_is_read(
    tmp_path, capsys, extra, values
):
    """Since 'a log of samples is not one by aliases' any column with a V, A or time unit
    made the file samples: `Cycle Index,Discharge Capacity(Ah),Charge Capacity(Ah),Charge
    Time(s)` with 3 cycles failed with "no column recognised as time_s"."""
    path = tmp_path / "stats.csv"
    rows = "\n".join(f"{row},{values}" for row in STATS_ROWS)
    path.write_text(f"Cycle Index,Discharge Capacity(Ah),Charge Capacity(Ah),{extra}\n{rows}\n")
    assert is_cycle_table(str(path))
    assert main(["analyze", str(path), "--json"]) == 0
    cycles = json.loads(capsys.readouterr().out)["cycles"]
    assert [c["discharge_capacity_ah"] for c in cycles] == pytest.approx([2.0, 1.99, 1.98])


ARBIN_STATS = (
    "Cycle_Index,Test_Time(s),Date_Time,Current(A),Voltage(V),"
    "Charge_Capacity(Ah),Discharge_Capacity(Ah)\n"
    "1,7200,2026-01-01 02:00:00,-1.0,3.0,2.01,2.00\n"
    "2,14400,2026-01-01 04:00:00,-1.0,3.0,2.00,1.99\n"
    "3,21600,2026-01-01 06:00:00,-1.0,3.0,1.99,1.98\n"
)


def test_an_arbin_statistics_export_is_a_per_cycle_table_by_its_rows(tmp_path, capsys):
    """Arbin's statistics export has plain Test_Time(s), Current(A), Voltage(V) columns
    (each cycle's end): one row per cycle makes it a per-cycle table; the same header
    with a cycle repeated from row to row is its log of samples."""
    from app.hardware.logs.formats import detect_format

    path = tmp_path / "arbin_stats.csv"
    path.write_text(ARBIN_STATS)
    assert is_cycle_table(str(path))
    assert detect_format(str(path)).name == "Per-cycle table"
    assert main(["analyze", str(path), "--json"]) == 0
    cycles = json.loads(capsys.readouterr().out)["cycles"]
    assert [c["discharge_capacity_ah"] for c in cycles] == pytest.approx([2.0, 1.99, 1.98])
    samples = tmp_path / "arbin_samples.csv"
    header, *rows = ARBIN_STATS.splitlines()
    samples.write_text("\n".join([header, rows[0], rows[0].replace("7200", "7210"), *rows]))
    assert not is_cycle_table(str(samples))
    assert detect_format(str(samples)).name == "Arbin export"


@pytest.mark.parametrize(
    ("header", "scale"),
    [
        ("cycle_index,discharge_capacity_mah", 1e-3),
        ("cycle_number,discharge_capacity_ah", 1.0),
        ("Cycle_Index,Discharge_Capacity_mAh", 1e-3),
        ("CycleNumber,DischargeCapacity(Ah)", 1.0),
        ("cycle_num,capacity_mah", 1e-3),
        ("Cycle No.,Discharge (mAh)", 1e-3),
        ("cycle,discharge_ah", 1.0),
        ("Cycle,Capacity Ah", 1.0),
    ],
)
def test_a_hand_made_per_cycle_table_with_the_unit_in_its_name_is_read(
    tmp_path, capsys, header, scale
):
    """A first-time user's `cycle_index,discharge_capacity_mah` was refused with "no column
    discharge_capacity_ah": a unit was read only in brackets or after a slash."""
    path = mah_table(tmp_path / "t.csv", header)
    assert is_cycle_table(str(path))
    assert main(["analyze", str(path), "--json"]) == 0
    cycles = json.loads(capsys.readouterr().out)["cycles"]
    assert cycles[0]["discharge_capacity_ah"] == pytest.approx(1856.5 * scale)
    assert [c["cycle_index"] for c in cycles[:3]] == [1, 2, 3]


def test_a_discharge_in_wh_is_the_energy_and_in_ah_the_capacity(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_text("Cycle,Discharge (Wh),Discharge (Ah)\n1,7.4,2.0\n2,7.3,1.99\n3,7.2,1.98\n")
    assert main(["analyze", str(path), "--json"]) == 0
    cycles = json.loads(capsys.readouterr().out)["cycles"]
    assert [c["discharge_capacity_ah"] for c in cycles] == pytest.approx([2.0, 1.99, 1.98])
    assert [c["discharge_energy_wh"] for c in cycles] == pytest.approx([7.4, 7.3, 7.2])


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("Cycle,Discharge Capacity", "Discharge Capacity: no unit (Ah or mAh?)"),
        ("Cycle,Discharge Capacity(mAh/g)", "Discharge Capacity(mAh/g): mah/g is not a unit"),
    ],
)
def test_a_capacity_column_not_read_is_named_with_why(tmp_path, header, named):
    path = mah_table(tmp_path / "t.csv", header)
    result = run_cli("analyze", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert named in result.stderr and "discharge_capacity_mah" in result.stderr


@pytest.mark.parametrize(
    "header",
    [
        "test_time_s,voltage_v,current_a,cycle_number,discharge_capacity_mah",
        "Time_s,Volts,Amps,cycle,capacity_mah",
    ],
)
def test_a_log_of_samples_with_units_in_its_names_is_not_a_per_cycle_table(tmp_path, header):
    """The names read as a per-cycle table's (``cycle_number``, ``capacity_mah``) are in
    a log of samples too: its ``test_time_s``, ``voltage_v`` and a cycle repeated from
    row to row say samples."""
    from app.hardware.logs import cycle_table

    path = tmp_path / "samples.csv"
    path.write_text(f"{header}\n{SAMPLES}")
    assert not is_cycle_table(str(path))
    assert cycle_table.sniff(str(path), path.read_bytes()) == 0.0


def test_a_bad_value_is_named_by_the_files_own_column(tmp_path, capsys):
    # 'column discharge_capacity_ah' named a column the file does not have
    path = tmp_path / "cycles.csv"
    path.write_text("cycle_number,discharge_capacity_mah\n1,2000\n2,abc\n3,1990\n")
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err
    assert "line 3, column discharge_capacity_mah: 'abc' is not a number" in err
