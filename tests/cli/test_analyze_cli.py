"""`batteryos analyze` end to end, through the installed console script."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from app.cli import main
from app.diagnostics.cycle_life import estimate_cycle_life
from tests.ocv_tables import write_ocv_table
from tests.real_data import REAL_DATA


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def sample_csv(tmp_path):
    t = np.arange(0, 7200.0, 2.0)
    i = np.where(t < 3600, -2.5, 2.5)
    v = 3.7 + 0.05 * np.sin(t / 900)
    df = pd.DataFrame(
        {
            "time_s": t,
            "voltage_v": 4 * v,
            "current_a": i,
            "temperature_c": 25.0,
            **{f"cell_{k}_v": v + 0.001 * k for k in range(1, 5)},
        }
    )
    path = tmp_path / "log.csv"
    df.to_csv(path, index=False)
    return path


def test_json_has_the_design_keys(sample_csv, tmp_path, capsys):
    ts = tmp_path / "ts.csv"
    rc = main(
        [
            "analyze",
            str(sample_csv),
            "--chemistry",
            "nmc",
            "--capacity-ah",
            "5",
            "--json",
            "--timeseries",
            str(ts),
        ]
    )
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {
        "source",
        "spec",
        "results",
        "cycles",
        "current_sign",
        "warnings",
        "invalid_results",
    }
    assert set(report["results"]) == {
        "soc",
        "soh",
        "internal_resistance",
        "capacity_fade",
        "cell_balance",
        "safety",
        "thermal",
        "cycle_life",
        "faults",
    }
    assert report["spec"]["series_cells"] == 4  # from the cell columns
    first = report["cycles"][0]
    for key in (
        "cycle_index",
        "charge_capacity_ah",
        "discharge_capacity_ah",
        "coulombic_efficiency",
        "charge_energy_wh",
        "discharge_energy_wh",
    ):
        assert key in first
    assert first["discharge_capacity_ah"] == pytest.approx(2.5, rel=1e-3)
    series = pd.read_csv(ts)
    assert list(series.columns[:2]) == ["time_s", "soc_percent"]
    assert len(series) == 3600
    assert (series["soc_band_low_percent"] <= series["soc_percent"]).all()
    # the plain derived series: 4 cells 1..4 mV apart, 2.5 A out for an hour then in
    assert series["cell_spread_mv"].to_numpy() == pytest.approx(3.0)
    assert series["cell_v_min_v"].iloc[0] == pytest.approx(3.701)
    assert series["charge_ah"].min() == pytest.approx(-2.5, rel=1e-3)
    assert series["power_w"].iloc[0] == pytest.approx(-2.5 * 4 * 3.7, rel=1e-9)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("", "the file is empty"),
        ("time_s,voltage_v\n0,3.7\n", "missing required column(s) current_a"),
        (
            "time_s,voltage_v,current_a\n0,3.7,0\n1,three,0\n",
            "line 3, column voltage_v: 'three' is not a number",
        ),
        (
            "time_s,voltage_v,current_a\n5,3.7,0\n1,3.7,0\n",
            "line 3, column time_s: time goes backwards",
        ),
        (b"\x00\x01\x02garbage\xff" * 50, "binary data"),
        (
            "cycle_index,discharge_capacity_ah\n1,2.0\n-2,1.9\n",
            "line 3, column cycle_index: -2 is not a plausible value",
        ),
        (
            "cycle_index,discharge_capacity_ah\n1,2.0\n2,inf\n",
            "line 3, column discharge_capacity_ah: inf is not a plausible value",
        ),
        (
            # (capacity_ah is read as the discharge capacity, as Capacity (Ah) is)
            "cycle_index,charge_capacity_ah\n1,2.0\n2,1.9\n",
            "no column discharge_capacity_ah: a per-cycle table needs cycle_index and",
        ),
        (
            "time_s,voltage_v,current_a\n0,3.7,0\n1e300,3.7,-1\n2e300,3.6,-1\n",
            "line 3, column time_s: 1e+300 s is more than 100 years after the first sample",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    result = run_cli("analyze", str(path), "--chemistry", "nmc", "--capacity-ah", "5")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_without_a_battery_it_asks_for_one(sample_csv):
    result = run_cli("analyze", str(sample_csv))
    assert result.returncode == 2
    assert "--chemistry" in result.stderr and "Traceback" not in result.stderr


def test_a_damaged_spec_line_is_named_when_the_battery_must_be_given(tmp_path, capsys):
    # it said only "the data does not say which battery it is": the file has a spec line
    path = tmp_path / "log.csv"
    path.write_text(
        '# spec: {"chemistry": "nmc", "capacity_ah": "5 Ah"}\n'
        "time_s,voltage_v,current_a\n0,3.7,0\n1,3.7,-1\n2,3.69,-1\n"
    )
    result = run_cli("analyze", str(path), "--json")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert (
        "the file's '# spec:' line is damaged (capacity_ah = '5 Ah' is not a number), so the "
        "data does not say which battery it is: give --chemistry" in result.stderr
    )
    assert main(["analyze", str(path), "--json", "--chemistry", "nmc", "--capacity-ah", "5"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["warnings"] == [
        "the file's '# spec:' line is damaged: capacity_ah = '5 Ah' is not a number; the whole "
        "line was ignored, so the battery is not taken from the file"
    ]
    assert report["spec"]["capacity_ah"] == 5.0


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
def test_a_cell_outside_every_preset_is_warned_about(capsys):
    # the Neware example cell cycles 3.9-4.7 V: judged against the NMC preset its SOC,
    # limit events and over-voltage faults came without a word that the preset misfits
    path = REAL_DATA / "neware" / "nw_regular_export_ife_example.csv"
    argv = ["analyze", str(path), "--chemistry", "nmc", "--capacity-ah", "0.33", "--json"]
    assert main(argv) == 0
    (warning,) = json.loads(capsys.readouterr().out)["warnings"]
    assert "is above the nmc preset's 4.2 V maximum in 52 % of the samples" in warning
    assert "no chemistry preset fits it" in warning
    assert main([*argv[:-1]]) == 0  # the summary shows it first
    summary = capsys.readouterr().out
    assert "  warning       the cell voltage (3.91-4.66 V" in summary
    # its pulses are logged every 30 s: the summary gives the R30 they resolve (as
    # the GUI card does), not "R10 n/a"
    # (in mOhm to two decimals, as the card: it read "0.22 ohm" beside the card's 219.96 mΩ)
    assert "  resistance    40 pulses, R30 219.96 mOhm per cell (median of 40)" in summary


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nope://x", "unknown source scheme 'nope'"),
        ("not a url", "is not a source URL"),
        ("file:///tmp/x.csv?speed=fast", "speed='fast' is not a valid float"),
    ],
)
def test_bad_source_url_is_one_line_exit_2(tmp_path, url, message):
    result = run_cli("record", url, "--duration", "1", "-o", str(tmp_path / "o.csv"))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_version_and_help():
    assert run_cli("--version").stdout.startswith("batteryos ")
    for sub in ("gui", "simulate", "record", "analyze", "db"):
        result = run_cli(sub, "--help")
        assert result.returncode == 0 and "usage: batteryos" in result.stdout


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
def test_per_cycle_table_gives_the_cycle_life_keys(capsys):
    path = REAL_DATA / "capacity" / "nasa_B0006_capacity.csv"
    rc = main(["analyze", str(path), "--capacity-ah", "2", "--eol-fraction", "0.7", "--json"])
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    life = report["results"]["cycle_life"]
    for key in ("predicted_eol_cycle", "interval_low", "interval_high", "remaining_cycles"):
        assert key in life
    # B0006 falls below 70 % of its 2 Ah nominal within the record (at about cycle 109)
    assert life["status"] == "reached" and 100 <= life["predicted_eol_cycle"] <= 115
    assert report["results"]["soc"] is None  # no samples, no SOC
    # --capacity-ah without --chemistry is still the nominal the retention is against
    fade = report["results"]["capacity_fade"]
    assert fade["nominal_capacity_ah"] == 2.0
    assert fade["retention_vs_nominal"] == pytest.approx(fade["final_capacity_ah"] / 2.0)
    assert len(report["cycles"]) == 168
    assert {"charge_capacity_ah", "coulombic_efficiency", "discharge_energy_wh"} <= set(
        report["cycles"][0]
    )


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
@pytest.mark.parametrize(
    ("options", "kwargs"),
    [
        (["--capacity-ah", "1.1", "--eol-fraction", "0.8"], {"reference_capacity_ah": 1.1}),
        ([], {}),  # no nominal: 0.8 of the first cycles' capacity
    ],
)
def test_cycle_life_of_a_truncated_history_is_the_library_forecast(
    tmp_path, capsys, options, kwargs
):
    # the forecast the benchmark scores (bench_cycle_life.py) is what the CLI reports
    full = pd.read_csv(REAL_DATA / "capacity" / "calce_CS2_36_capacity.csv")
    head = full.iloc[: round(0.4 * len(full))]
    path = tmp_path / "cs2_36_first_40pct.csv"
    head.to_csv(path, index=False)
    assert main(["analyze", str(path), *options, "--json"]) == 0
    life = json.loads(capsys.readouterr().out)["results"]["cycle_life"]
    expected = estimate_cycle_life(head, **kwargs)
    assert life["status"] == "forecast"
    for key in ("predicted_eol_cycle", "interval_low", "interval_high", "eol_capacity_ah"):
        assert life[key] == getattr(expected, key)
    assert life["reference_source"] == ("nominal" if options else "initial_cycles")


def test_every_diagnostic_reports_on_a_simulated_log(tmp_path, capsys):
    out = tmp_path / "pack.csv"
    main(["simulate", "--cells", "4", "--duration", "3600", "--profile", "hppc", "-o", str(out)])
    capsys.readouterr()
    assert main(["analyze", str(out), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert all(results[k] is not None for k in results)
    assert isinstance(results["faults"], list)
    pulses = results["internal_resistance"]["pulses"]
    assert pulses and {
        "start_time_s",
        "soc_percent",
        "temperature_c",
        "current_a",
        "r_ohmic_ohm",
        "r_2s_ohm",
        "r_10s_ohm",
        "r_30s_ohm",
    } <= set(pulses[0])


def test_a_cell_dead_after_a_runaway_is_named_not_balanced(tmp_path, capsys):
    """The runaway leaves cell 2 at 0 V: cell balance names it (a failed cell or a
    broken sense wire) instead of advising a top balance over a 4 V spread."""
    out = tmp_path / "pack.csv"
    sim = ["simulate", "--cells", "4", "--duration", "1200", "--profile", "drive", "-o", str(out)]
    assert main([*sim, "--fault", "thermal_runaway", "--fault-at", "60", "--fault-cell", "2"]) == 0
    capsys.readouterr()
    assert main(["analyze", str(out), "--json"]) == 0
    balance = json.loads(capsys.readouterr().out)["results"]["cell_balance"]
    assert balance["status"] == "critical" and balance["action"] == "check_reading"
    assert balance["implausible_cells"] == [2] and balance["plausible_cell_v"] == [1.25, 5.25]
    assert balance["implausible_readings"][0]["reading_now"]
    assert balance["spread_mv"] < 50
    assert main(["analyze", str(out)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "cell balance" in x)
    assert "cell 2 reads 0.00 V, outside the plausible 1.25-5.25 V" in line
    assert "top-balance" not in line


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("soc_percent,ocv_v\n0,3.0\n", "at least two rows"),
        ("soc_percent,ocv_v\n0,3.0\n50,\n100,4.2\n", "empty or non-numeric"),
        ("soc_percent,ocv_v\n0,3.0\n50,3.7\n120,4.2\n", "within 0-100 %"),
        ("soc_percent,ocv_v\n0,3.0\n0.5,3.7\n1,4.2\n", "not a fraction"),
        ("soc_percent,ocv_v\n0,3000\n50,3700\n100,4200\n", "not a pack's, not millivolts"),
        ("soc_percent,ocv_v\n0,3.5\n50,3.4\n100,4.2\n", "must not fall"),
        # a header alone left the preset's table in place without a word
        ("soc_percent,ocv_v\n", "needs at least two rows (SOC, OCV), has 0"),
        # a flat table held the SOC filter at its start (100 % throughout)
        ("soc_percent,ocv_v\n0,3.6\n50,3.6\n100,3.6\n", "rises only 0 mV"),
        # the parser's message spans lines: the error stays one line
        ("soc_percent,ocv_v\n0,3.0\n50,3.7,9,9\n100,4.2\n", "Expected 2 fields in line 3"),
    ],
)
def test_bad_ocv_table_is_one_line_exit_2(sample_csv, tmp_path, table, message):
    ocv = tmp_path / "ocv.csv"
    ocv.write_text(table)
    result = run_cli(
        "analyze", str(sample_csv), "--chemistry", "nmc", "--json", "--ocv-table", str(ocv)
    )
    assert result.returncode == 2
    assert message in result.stderr and str(ocv) in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_capacity_taken_from_the_preset_is_warned_about(sample_csv, capsys):
    assert main(["analyze", str(sample_csv), "--chemistry", "nmc", "--json"]) == 0
    warnings = json.loads(capsys.readouterr().out).get("warnings", [])
    assert any("preset's 5 Ah" in w for w in warnings), warnings
    argv = ["analyze", str(sample_csv), "--chemistry", "nmc", "--capacity-ah", "5", "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["warnings"] == []


@pytest.mark.parametrize("capacity", ["inf", "1e300", "1e-300"])
def test_an_implausible_capacity_is_refused_by_the_option(sample_csv, capacity):
    # inf and 1e300 overflowed the SOC filter (a traceback), 1e-300 too
    result = run_cli("analyze", str(sample_csv), "--chemistry", "nmc", "--capacity-ah", capacity)
    assert result.returncode == 2
    assert "--capacity-ah" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
def test_a_per_cycle_table_in_mah_against_a_nominal_in_ah_is_an_error(tmp_path):
    # it forecast end of life at cycle 713 of B0005 (in mAh) against a 2 Ah nominal
    table = pd.read_csv(REAL_DATA / "capacity" / "nasa_B0005_capacity.csv")
    table["discharge_capacity_ah"] *= 1000
    path = tmp_path / "b0005_mah.csv"
    table.to_csv(path, index=False)
    result = run_cli("analyze", str(path), "--capacity-ah", "2", "--json")
    assert result.returncode == 2 and result.stdout == ""
    assert "times --capacity-ah 2: one of them in other units (mAh?)" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
def test_bol_resistance_option_sets_the_resistance_soh_reference(capsys):
    """The Arbin A123 cell: against the LFP preset for the preset's 2.5 Ah (8 mOhm) its
    19 mOhm read 0 %, past end of life; against 19 mOhm given, ~93 %: its 19.04 mOhm was
    measured at 27.4 degC (the first 10 s of its pulse), 20.30 mOhm at 25 degC (Arrhenius,
    20 kJ/mol), 1.066x."""
    path = str(REAL_DATA / "arbin" / "2017-05-09_test-TC-contact_CH33.csv")
    assert main(["analyze", path, "--json", "--chemistry", "lfp"]) == 0
    soh = json.loads(capsys.readouterr().out)["results"]["soh"]
    assert soh["soh_resistance_percent"] is None
    assert any("--bol-resistance-ohm" in n for n in soh["notes"])
    argv = ["analyze", path, "--json", "--chemistry", "lfp", "--capacity-ah", "1.1"]
    assert main([*argv, "--bol-resistance-ohm", "0.019"]) == 0
    report = json.loads(capsys.readouterr().out)
    soh = report["results"]["soh"]
    assert report["spec"]["bol_resistance_ohm"] == 0.019
    assert soh["bol_resistance_source"] == "spec.bol_resistance_ohm"
    assert soh["bol_resistance_ohm"] == 0.019
    assert soh["resistance_measured_ohm"] == pytest.approx(0.01904, abs=1e-5)
    assert soh["resistance_temperature_c"] == pytest.approx(27.4, abs=0.05)
    # its one pulse steps from 6C to 1C charge between samples 0.165 s apart, no
    # Step_Index marking where: at the step's instant, as a new cell reads it, -0.35 %
    # (20.30 mOhm and 93.2 % before)
    assert soh["resistance_sampling_factor"] == pytest.approx(1.0035, abs=1e-4)
    assert soh["resistance_ohm"] == pytest.approx(0.02030 / 1.0035, abs=1e-5)
    assert soh["soh_resistance_percent"] == pytest.approx(93.5, abs=0.1)


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
def test_the_soc_range_is_of_the_series_written(tmp_path, capsys):
    """The Arbin A123 log starts under load: the filter's first value (17.7 %) is a
    guess and the start shown is worked back to 23.8 %. The range said 17.7-78.6 %
    while --timeseries' soc_percent never went below 23.8 %: the range, the start and
    the final value are now all of the series written."""
    path = str(REAL_DATA / "arbin" / "2017-05-09_test-TC-contact_CH33.csv")
    out = tmp_path / "series.csv"
    argv = ["analyze", path, "--json", "--chemistry", "lfp", "--capacity-ah", "1.1"]
    assert main([*argv, "--timeseries", str(out)]) == 0
    soc = json.loads(capsys.readouterr().out)["results"]["soc"]
    series = pd.read_csv(out)["soc_percent"]
    assert soc["initial_soc_percent"] < soc["start_soc_back_calculated_percent"] - 5
    assert soc["min_soc_percent"] == pytest.approx(series.min(), abs=1e-3)
    assert soc["max_soc_percent"] == pytest.approx(series.max(), abs=1e-3)
    assert soc["start_soc_back_calculated_percent"] == pytest.approx(series.iloc[0], abs=1e-3)
    assert soc["final_soc_percent"] == pytest.approx(series.iloc[-1], abs=1e-3)
    assert soc["soc_range_of"] == "smoothed"


def test_the_final_band_is_the_series_last_band(tmp_path, capsys):
    """MB-0.mpr read as NMC: a cell at 1.49 V, the filter's state strayed to -5 %
    (sigma 0.5). The JSON's final band was 0-1 % (around the 0 % reported), the
    --timeseries' last row 0-0 (around the state, then clipped: a band shut at the
    limit, which the dashboard showed as "band not known")."""
    path = str(REAL_DATA / "biologic" / "MB-0.mpr")
    out = tmp_path / "series.csv"
    argv = ["analyze", path, "--json", "--chemistry", "nmc", "--capacity-ah", "0.005"]
    assert main([*argv, "--timeseries", str(out)]) == 0
    soc = json.loads(capsys.readouterr().out)["results"]["soc"]
    last = pd.read_csv(out).iloc[-1]
    assert soc["final_soc_percent"] == last["soc_percent"] == 0.0
    assert soc["final_band_high_percent"] > 0.5  # 2 sigma above the 0 % reported
    assert soc["final_band_low_percent"] == pytest.approx(last["soc_band_low_percent"], abs=1e-3)
    assert soc["final_band_high_percent"] == pytest.approx(last["soc_band_high_percent"], abs=1e-3)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "'0' must be a positive number"),
        ("15 mOhm", "'15 mOhm' is not a number"),
        ("50000", "'50000' ohm is not a cell's resistance (1e-06 to 10000 ohm; 15 mOhm is 0.015)"),
    ],
)
def test_a_bad_bol_resistance_is_one_error_line(sample_csv, value, message):
    result = run_cli(
        "analyze", str(sample_csv), "--chemistry", "nmc", "--bol-resistance-ohm", value
    )
    # argparse's usage, then the one error line
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in result.stderr.strip().splitlines()[-1]


def test_a_damaged_bol_resistance_in_a_spec_line_is_named(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(
        '# spec: {"chemistry": "nmc", "capacity_ah": 5, "bol_resistance_ohm": -0.01}\n'
        "time_s,voltage_v,current_a\n0,3.7,0\n1,3.7,-1\n2,3.69,-1\n"
    )
    result = run_cli("analyze", str(path), "--json")
    assert "bol_resistance_ohm = -0.01" in result.stderr and "Traceback" not in result.stderr


def test_timeseries_spread_leaves_an_implausible_cell_out(tmp_path):
    # a cell at 0 V (after a runaway, a broken sense wire) is no 3.7 V spread: the
    # derived spread is the plausible cells', as cell balance and the spread alert say;
    # the lowest cell voltage still shows it
    t = np.arange(600.0)
    v = np.full(len(t), 3.7)
    cells = {f"cell_{k}_v": v + 0.001 * k for k in range(1, 5)}
    cells["cell_1_v"] = np.where(t >= 300, 0.0, cells["cell_1_v"])
    df = pd.DataFrame(
        {"time_s": t, "voltage_v": sum(cells.values()), "current_a": 0.0, "temperature_c": 25.0}
        | cells
    )
    path, ts = tmp_path / "dead.csv", tmp_path / "ts.csv"
    df.to_csv(path, index=False)
    args = ["analyze", str(path), "--chemistry", "nmc", "--capacity-ah", "5", "--json"]
    assert main([*args, "--timeseries", str(ts)]) == 0
    series = pd.read_csv(ts)
    before, after = series[series.time_s < 300], series[series.time_s >= 300]
    assert before["cell_spread_mv"].to_numpy() == pytest.approx(3.0)
    assert after["cell_spread_mv"].to_numpy() == pytest.approx(2.0)  # cells 2-4
    assert (after["cell_v_min_v"] == 0.0).all()


def test_the_summary_says_how_many_cycles_it_does_not_list(tmp_path, capsys):
    table = tmp_path / "cap.csv"
    table.write_text(
        "cycle_index,discharge_capacity_ah\n"
        + "\n".join(f"{n},{2 - 0.001 * n}" for n in range(1, 31))
    )
    assert main(["analyze", str(table)]) == 0
    out = capsys.readouterr().out
    assert "#20 " in out and "#21 " not in out
    assert "… 10 more" in out


def test_float_dust_prints_as_zero(capsys):
    from app.cli.cmd_analyze import print_summary

    cycle = {"cycle_index": 1, "charge_capacity_ah": 1.2, "discharge_capacity_ah": 4.411e-11}
    results = dict.fromkeys(["soc", "soh", "internal_resistance", "cell_balance", "safety"])
    results.update(thermal=None, faults=None, capacity_fade=None, cycle_life=None)
    print_summary({"source": "x", "spec": None, "results": results, "cycles": [cycle]})
    out = capsys.readouterr().out
    assert "discharge 0 Ah" in out and "e-11" not in out


def test_a_cycle_tables_capacity_is_the_one_its_results_use(tmp_path, capsys):
    """Not the chemistry preset's 2.5 Ah nobody gave; the --capacity-ah given on the cover."""
    table = tmp_path / "cap.csv"
    table.write_text(
        "cycle_index,discharge_capacity_ah\n"
        + "\n".join(f"{n},{1.8 - 0.002 * n}" for n in range(1, 61))
    )
    assert main(["analyze", str(table), "--chemistry", "lfp", "--cells", "4"]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    assert "2.5 Ah" not in head and "the first cycles' capacity" in head
    out = tmp_path / "r.csv"
    assert main(["report", str(table), "--capacity-ah", "1.1", "-o", str(out)]) == 0
    (battery,) = [line for line in out.read_text().splitlines() if line.startswith("cover,Battery")]
    assert "1.1 Ah (given)" in battery


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
@pytest.mark.parametrize(
    ("name", "retention"),
    [("nasa_B0005_capacity.csv", "0.703"), ("calce_CS2_35_capacity.csv", "0.297")],
)
def test_fade_and_cycle_life_lines_say_the_severity_the_gui_card_shows(capsys, name, retention):
    """A cell below 80 % retention is past end of life: critical on both GUI cards, and
    the text summary says so too (it said "fade ok", the fit's status)."""
    assert main(["analyze", str(REAL_DATA / "capacity" / name), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert results["capacity_fade"]["severity"] == results["cycle_life"]["severity"] == "critical"
    assert main(["analyze", str(REAL_DATA / "capacity" / name)]) == 0
    lines = {ln[:16].strip(): ln[16:] for ln in capsys.readouterr().out.splitlines()}
    assert lines["fade"].startswith(
        f"critical: retention {retention} (mean of the last 5 cycles over the first 5"
    )
    assert "); end of life at cycle " in lines["fade"]
    assert lines["cycle life"].startswith("critical: end of life reached at cycle")


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
def test_fade_line_says_what_its_retention_compares_beside_the_end_of_life(capsys):
    """The Neware cell: 'retention 0.841' beside 'end of life at cycle 16' read as a
    contradiction; 0.841 is its last five cycles' mean over its first five (its last
    cycle over its first is 0.794), and 0.773 of the 0.35 Ah nominal the end of life
    is judged against."""
    path = REAL_DATA / "neware" / "nw_regular_export_ife_example.csv"
    assert main(["analyze", str(path), "--chemistry", "nmc", "--capacity-ah", "0.35"]) == 0
    lines = {ln[:16].strip(): ln[16:] for ln in capsys.readouterr().out.splitlines()}
    assert lines["fade"].startswith(
        "critical: retention 0.841 (mean of the last 5 cycles over the first 5; "
        "0.773 of 0.35 Ah nominal); end of life at cycle 16: below 0.8 x 0.35 Ah"
    )


def test_fade_line_is_ok_warning_or_critical_by_retention(tmp_path, capsys):
    table = tmp_path / "cap.csv"
    for end, verdict in ((1.95, "ok"), (1.7, "warning"), (1.2, "critical")):
        n = np.arange(1, 61)
        pd.DataFrame(
            {"cycle_index": n, "discharge_capacity_ah": 2.0 - (2.0 - end) * (n - 1) / 59}
        ).to_csv(table, index=False)
        assert main(["analyze", str(table)]) == 0
        fade = next(ln for ln in capsys.readouterr().out.splitlines() if "fade   " in ln)
        assert fade.split()[1] == f"{verdict}:", fade


def test_a_log_started_under_load_gives_the_start_back_calculated(tmp_path, capsys):
    """An LFP pack at 50 % under a cycle from its first sample: the filter's first
    value is a guess (70 %, +-50 %); the summary's start is a later, surer estimate
    less the charge counted since, and says so, with the guess and its band."""
    out = tmp_path / "pack.csv"
    sim = ["simulate", "--chemistry", "lfp", "--profile", "cycle", "--soc", "50"]
    assert main([*sim, "--duration", "3600", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(out), "--json"]) == 0
    soc = json.loads(capsys.readouterr().out)["results"]["soc"]
    assert soc["initialisation"] == "load" and abs(soc["initial_soc_percent"] - 50.0) > 10.0
    assert abs(soc["start_soc_back_calculated_percent"] - 50.0) < 2.0
    assert main(["analyze", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = next(k for k, x in enumerate(lines) if x.startswith("  SOC  "))
    assert lines[at].split()[1] == f"{soc['start_soc_back_calculated_percent']:.1f}"
    assert "start back-calculated" in lines[at + 1]
    assert f"first value was {soc['initial_soc_percent']:.1f} % ±50 %" in lines[at + 1]


@pytest.mark.parametrize(
    ("chemistry", "sim", "wrong", "end"),
    [
        # lead-acid cells (1.9-2.4 V) lie inside the LFP window (2.0-3.6 V), under its
        # OCV curve: read as LFP the SOC sat at 0.3-0.4 % while 10 % was discharged
        ("lead_acid", ["--cells", "6", "--profile", "hppc"], "lfp", "empty"),
        # LFP cells (3.2-3.35 V) lie inside the NMC window: read as NMC the SOC ran to
        # 0 % with a third of the capacity still to come out
        ("lfp", ["--cells", "16", "--profile", "drive", "--duration", "7200"], "nmc", "empty"),
        # NMC cells from 80 % down to 30 % lie below the LFP preset's 3.6 V maximum,
        # above its OCV curve: read as LFP the SOC sat at full while 40 % went out
        ("nmc", ["--profile", "cc", "--soc", "80", "--duration", "7200"], "lfp", "full"),
    ],
)
def test_a_chemistry_inside_the_window_but_off_the_ocv_curve_is_warned_about(
    tmp_path, capsys, chemistry, sim, wrong, end
):
    out = tmp_path / "pack.csv"
    assert main(["simulate", "--chemistry", chemistry, *sim, "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["warnings"] == []  # its own chemistry fits
    assert main(["analyze", str(out), "--chemistry", wrong, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (warning,) = report["warnings"]
    assert f"the SOC stays at {end}" in warning
    assert f"give --chemistry {chemistry}" in warning
    assert "soc" in report["invalid_results"]


def test_a_capacity_option_far_from_the_files_own_is_warned_about(tmp_path, capsys):
    # a recording of a 50 Ah pack analysed with --capacity-ah 5 (a slip): the SOC took
    # 5.14 Ah out of a "5 Ah" cell without a word
    from app.core.spec import preset
    from app.hardware.logs.canonical_csv import write_canonical_csv
    from app.hardware.simulator import simulate

    spec = preset("nmc", capacity_ah=50.0, series_cells=4)
    path = tmp_path / "rec.csv"
    block = simulate(spec, "hppc", duration_s=1800, seed=1)
    write_canonical_csv(str(path), block, {"spec": json.dumps(spec.to_dict())})
    assert main(["analyze", str(path), "--capacity-ah", "5", "--json"]) == 0
    warnings = json.loads(capsys.readouterr().out).get("warnings", [])
    assert any(
        "--capacity-ah 5 Ah is used, but the file names" in w and "50 Ah" in w for w in warnings
    )
    assert main(["analyze", str(path), "--capacity-ah", "52", "--json"]) == 0  # near: no word
    assert json.loads(capsys.readouterr().out)["warnings"] == []


def test_the_summary_says_how_many_events_and_faults_it_does_not_list(sample_csv, capsys):
    # more limit events and faults than the summary lists: it said "11 limit events" and
    # listed 10 without a word
    from app.cli import cmd_analyze

    assert (
        main(["analyze", str(sample_csv), "--chemistry", "nmc", "--capacity-ah", "5", "--json"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    event = {
        "severity": "warning",
        "check": "cell_over_voltage",
        "channel": "cell_1_v",
        "worst_value": 4.25,
        "limit": 4.2,
        "start_time_s": 0.0,
        "end_time_s": 5.0,
    }
    fault = {"severity": "warning", "kind": "over_voltage", "channel": "cell_1_v",
             "start_time_s": 0.0}  # fmt: skip
    report["results"]["safety"]["events"] = [event] * 11
    report["results"]["faults"] = [fault] * 13
    cmd_analyze.print_summary(report)
    out = capsys.readouterr().out
    assert "(11 limit events)" in out and "... and 1 more events" in out
    assert "faults        13" in out and "... and 3 more faults" in out
    report["results"]["safety"]["events"] = [event] * 10
    cmd_analyze.print_summary(report)
    assert "more events" not in capsys.readouterr().out


def test_the_summary_gives_the_final_soc_with_its_band(tmp_path, capsys):
    # "87.2 % ±50 % -> 43.7 %": the end's band (8-79 %) was in the JSON only
    out = tmp_path / "pb.csv"
    sim = ["simulate", "--chemistry", "lead_acid", "--cells", "6", "--profile", "cycle"]
    assert main([*sim, "--duration", "1800", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(out), "--json"]) == 0
    soc = json.loads(capsys.readouterr().out)["results"]["soc"]
    assert main(["analyze", str(out)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("  SOC  "))
    final = f"-> {soc['final_soc_percent']:.1f} % ±{2 * soc['final_soc_sigma_percent']:.1f} %"
    assert final in line


def test_a_clean_lfp_log_below_20_percent_does_not_warn_of_drifting_cells(tmp_path, capsys):
    """`simulate --chemistry lfp --cells 4 --soc 15 --noise 1; analyze` read "warning ...
    not judged ... cells drifting apart: let the BMS balance" on a clean pack; then "ok:
    ... - not judged": a spread not judged has no verdict, it is unknown."""
    log = tmp_path / "s4.csv"
    args = ["--chemistry", "lfp", "--cells", "4", "--soc", "15", "--noise", "1"]
    assert main(["simulate", *args, "-o", str(log)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(log)]) == 0
    (line,) = [ln for ln in capsys.readouterr().out.splitlines() if "cell balance" in ln]
    assert line.startswith("  cell balance  unknown: spread ")
    assert "not judged: no sample within 20-95 % SOC" in line and "balance at the top" not in line


def test_a_bms_the_estimate_cannot_judge_is_not_failed(tmp_path, capsys):
    # a 0.5C LFP charge from 50 % on the flat plateau, logged from under load: our
    # estimate is ±22 % wide and the BMS (right) 11 % away; the report read SOC FAIL
    log = tmp_path / "cccv.csv"
    assert main(["simulate", "--chemistry", "lfp", "--profile", "cccv", "--soc", "50",
                 "--bms-soc", "-o", str(log)]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["analyze", str(log)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "BMS check" in x)
    assert "inconclusive: within our own ±" in line
    report = tmp_path / "cccv.html"
    assert main(["report", str(log), "-o", str(report)]) == 0
    assert "(overall: warn)" in capsys.readouterr().out


def test_the_summary_gives_a_shorts_self_discharge_with_its_interval(sample_csv, capsys):
    """The faults' lines say what the detector measured, as the window and the report
    do (they said only the kind, the channel and the start): an engineer reads a
    short's leak and its interval to decide on the cell."""
    from app.cli import cmd_analyze

    args = ["analyze", str(sample_csv), "--chemistry", "nmc", "--capacity-ah", "5", "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    fault = {
        "severity": "critical",
        "kind": "internal_short",
        "channel": "cell_3_v",
        "start_time_s": 660.0,
        "detail": {
            "detected_time_s": 719.0,
            "leak_current_a": 0.3517,
            "leak_current_low_a": 0.3337,
            "leak_current_high_a": 0.3698,
            "short_resistance_ohm": 10.21,
        },
    }
    report["results"]["faults"] = [fault]
    cmd_analyze.print_summary(report)
    out = capsys.readouterr().out
    assert (
        "critical internal_short on cell_3_v at 660.0 s: self-discharge 0.352 A "
        "(0.334-0.370 A), a short of ~10 Ω"
    ) in out


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
def test_the_summarys_start_soc_is_the_timeseries_first_row(tmp_path, capsys):
    """The Arbin fast-charge log starts under load: the summary gave the filter's first
    value (17.7 % +-50 %, a guess) while ``--timeseries``' first row was the smoothed
    23.8 %, worked back from a surer estimate 17 min in. Both now start at the smoothed
    value, with the same band; the summary names the guess it replaced."""
    path = str(REAL_DATA / "arbin" / "2017-05-09_test-TC-contact_CH33.csv")
    series = tmp_path / "series.csv"
    battery = ["--chemistry", "lfp", "--capacity-ah", "1.1"]
    assert main(["analyze", path, *battery, "--timeseries", str(series)]) == 0
    lines = capsys.readouterr().out.splitlines()
    first = pd.read_csv(series).iloc[0]
    assert main(["analyze", path, *battery, "--json"]) == 0
    soc = json.loads(capsys.readouterr().out)["results"]["soc"]
    start, sigma = (
        soc["start_soc_back_calculated_percent"],
        soc["start_soc_back_calculated_sigma_percent"],
    )
    assert start == pytest.approx(first["soc_percent"], abs=1e-4)
    assert min(start + 2 * sigma, 100.0) == pytest.approx(first["soc_band_high_percent"], abs=1e-4)
    at = next(k for k, x in enumerate(lines) if x.startswith("  SOC  "))
    assert lines[at].split()[1:4] == [f"{first['soc_percent']:.1f}", "%", f"±{2 * sigma:.1f}"]
    assert "first value was 17.7 % ±50 %" in lines[at + 1]


@pytest.mark.parametrize("final", [100.0, 0.0, 9.04])
def test_the_summary_gives_the_start_and_the_final_soc_alike(final, capsys):
    """A float charge on lead-acid read "SOC 100.0 % ±4.8 % -> 100 % ±1.6 %" (MB-0.mpr
    "0.0 % -> 0 %"): the final had three significant digits, the start and the report's
    row one decimal."""
    from app.cli.cmd_analyze import print_summary

    soc = {"initial_soc_percent": 100.0, "initial_soc_sigma_percent": 0.5, "method": "ekf",
           "final_soc_percent": final, "final_soc_sigma_percent": 0.8}  # fmt: skip
    results = dict.fromkeys(["soh", "internal_resistance", "cell_balance", "safety"])
    results.update(soc=soc, thermal=None, faults=None, capacity_fade=None, cycle_life=None)
    spec = {"chemistry": "nmc", "series_cells": 1, "parallel_strings": 1, "capacity_ah": 5.0}
    print_summary({"source": "x", "spec": spec, "results": results, "cycles": []})
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("  SOC  "))
    assert f"100.0 % -> {final:.1f} % ±1.6 %" in line


def test_a_log_with_its_time_in_ms_is_analysed_not_a_traceback(tmp_path, capsys):
    """A generic CSV whose unitless ``time`` column counts milliseconds is read as
    seconds: 1000x the charge is counted. The SOC's worked-back start then met a
    variance below 0 by rounding and ``analyze`` died on a math domain error; now it
    reports, and the SOH names the likely slip."""
    log = tmp_path / "cycle.csv"
    assert main(["simulate", "--chemistry", "nmc", "--cells", "4", "--profile", "cycle",
                 "--duration", "14400", "-o", str(log)]) == 0  # fmt: skip
    df = pd.read_csv(log, comment="#").rename(columns={"time_s": "time"})
    df["time"] = df["time"] * 1000.0
    ms_log = tmp_path / "cycle_ms.csv"
    df.to_csv(ms_log, index=False)
    capsys.readouterr()
    assert main(["analyze", str(ms_log), "--chemistry", "nmc", "--capacity-ah", "2.5",
                 "--json"]) == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    soc = report["results"]["soc"]
    assert math.isfinite(soc["final_soc_percent"])
    assert "ms" in " ".join(report["results"]["soh"]["notes"])


def test_the_current_an_ocv_table_was_measured_at_is_an_option(sample_csv, tmp_path, capsys):
    ocv = tmp_path / "ocv.csv"
    ocv.write_text("soc_percent,ocv_v\n0,3.0\n50,3.7\n100,4.2\n")
    base = ["analyze", str(sample_csv), "--chemistry", "nmc", "--json", "--ocv-table", str(ocv)]
    assert main([*base, "--ocv-table-current-c", "-0.02"]) == 0
    capsys.readouterr()
    assert main([*base, "--ocv-table-current-c", "-1"]) == 2
    assert "--ocv-table-current-c -1: ocv_table_current_c = -1" in capsys.readouterr().err
    argv = ["analyze", str(sample_csv), "--chemistry", "nmc", "--ocv-table-current-c", "0"]
    assert main(argv) == 2
    assert "give the --ocv-table" in capsys.readouterr().err


def test_an_ocv_table_of_another_chemistry_is_refused_in_one_line_exit_2(sample_csv, tmp_path):
    """An NMC cell's table given for LFP cells was taken without a word: their rest
    voltages then read 3.8-4.2 V, over LFP's 3.6 V limit, and the SOC read NMC's curve."""
    from app.core.spec import preset

    soc, ocv = preset("nmc").ocv_table
    table = tmp_path / "nmc_cell.csv"
    write_ocv_table(table, soc, ocv, fmt="")
    result = run_cli("analyze", str(sample_csv), "--chemistry", "lfp", "--ocv-table", str(table))
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert f"--ocv-table {table}: it reads 3.751 V at 50 % SOC" in result.stderr
    assert "not an LFP cell's table but an NMC cell's (is the battery NMC?)" in result.stderr
    # the limits given are those it is checked against (they were applied after it)
    hv = tmp_path / "hv_cell.csv"
    hv.write_text("soc_percent,ocv_v\n0,3.0\n50,3.8\n100,4.45\n")
    args = ("analyze", str(sample_csv), "--chemistry", "nmc", "--json", "--ocv-table", str(hv))
    assert "above the 4.2 V charge limit" in run_cli(*args).stderr
    assert run_cli(*args, "--cell-v-max", "4.45").returncode == 0
