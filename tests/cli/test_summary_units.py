"""The analyze summary as an engineer reads it: every figure with its unit, as the
window's card and the report give it."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.reports.content import ReportContent
from tests.real_data import REAL_DATA


@pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")
def test_the_safety_events_of_the_arbin_fast_charge_carry_amperes(capsys):
    # the A123 cell's 6 A charge against the LFP preset's 4C of 1.1 Ah: the event read
    # "6.601 vs limit 4.4", the fault under it "6.60 A (limit 4.40 A)"
    path = str(REAL_DATA / "arbin" / "2017-05-09_test-TC-contact_CH33.csv")
    assert main(["analyze", path, "--chemistry", "lfp", "--capacity-ah", "1.1"]) == 0
    out = capsys.readouterr().out
    event = next(ln for ln in out.splitlines() if "over_current_charge on current_a" in ln)
    assert "6.60 A vs limit 4.40 A" in event, event
    fault = next(ln for ln in out.splitlines() if "over_current on current_a" in ln)
    assert "6.60 A (limit 4.40 A)" in fault, fault
    # times to the tenth of a second, as the log's are read (":g" gave "0-190.235 s")
    assert event.endswith(" at 0.0-190.2 s"), event
    assert " at 0.0 s: " in fault, fault


@pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")
def test_the_neware_cycles_read_alike_in_the_summary_and_the_report(capsys):
    path = str(REAL_DATA / "neware" / "nw_regular_export_ife_example.csv")
    assert main(["analyze", path, "--chemistry", "nmc", "--capacity-ah", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    header, rows = ReportContent(report).cycle_rows()
    col = {name: [r[k] for r in rows] for k, name in enumerate(header)}
    # cycle 4's charge 0.32698 Ah printed "0.327" under cycle 2's "0.3278"
    assert col["charge Ah"][:4] == ["0.0226", "0.3278", "0.3318", "0.3270"]
    assert col["discharge Ah"][10] == "0.2950"
    assert len({len(v) for v in col["discharge Wh"]}) == 1, col["discharge Wh"]

    assert main(["analyze", path, "--chemistry", "nmc", "--capacity-ah", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    c4 = next(ln for ln in lines if ln.strip().startswith("#4 "))
    assert "charge 0.3270 Ah  discharge 0.3213 Ah  CE 0.9823" in c4, c4
    c11 = next(ln for ln in lines if ln.strip().startswith("#11 "))
    assert f"discharge {col['discharge Ah'][10]} Ah" in c11, c11


@pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")
def test_a_capacity_table_keeps_three_decimals_on_every_row(capsys):
    path = str(REAL_DATA / "capacity" / "calce_CS2_35_capacity.csv")
    assert main(["analyze", path]) == 0
    c9 = next(ln for ln in capsys.readouterr().out.splitlines() if ln.strip().startswith("#9 "))
    assert "discharge 1.090 Ah" in c9, c9  # was "1.09 Ah" under "1.126 Ah"


@pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")
def test_an_soc_the_window_cannot_determine_is_not_a_plain_figure_elsewhere(capsys):
    # the 17 min fast charge ends at 78.6 % ±26.4 %: the window's card says "cannot be
    # determined"; the summary printed the figures alone, the report "not pinned down"
    path = str(REAL_DATA / "arbin" / "2017-05-09_test-TC-contact_CH33.csv")
    args = ["analyze", path, "--chemistry", "lfp", "--capacity-ah", "1.1"]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert 2 * report["results"]["soc"]["final_soc_sigma_percent"] >= 25
    soc_row = next(f for f in ReportContent(report).findings if f.diagnostic == "soc")
    assert "cannot be determined" in soc_row.summary, soc_row.summary
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    k = next(k for k, ln in enumerate(lines) if ln.startswith("  SOC "))
    # (under the start's note, which explains the start)
    assert "cannot be determined: the estimate's band is ±26.4 %" in lines[k + 2], lines[k + 2]


def test_a_pinned_down_soc_is_not_called_undetermined():
    from app.diagnostics.soc import soc_undetermined_text

    assert soc_undetermined_text({"final_soc_sigma_percent": 0.75}) is None
    assert soc_undetermined_text({"final_soc_sigma_percent": None}) is None
    assert "±30.0 %" in soc_undetermined_text({"final_soc_sigma_percent": 15.0})


@pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")
def test_resistances_read_in_milliohm_as_the_report_writes_them(capsys):
    # the A123 cell's single pulse: the report's "R10 32.01 mΩ", the summary's "0.032 ohm"
    path = str(REAL_DATA / "arbin" / "2017-05-09_test-TC-contact_CH33.csv")
    assert main(["analyze", path, "--chemistry", "lfp", "--capacity-ah", "1.1"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("  resistance"))
    assert "R10 32.01 mOhm per cell (median of 1)" in line, line
    assert "R0 fitted 19.04 mOhm per cell" in line, line
    # a per-cycle table's logged column alike ("0.1223 ohm ... 0.09166 ohm")
    path = str(REAL_DATA / "capacity" / "calce_CS2_35_capacity.csv")
    assert main(["analyze", path]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("  resistance"))
    assert line.startswith("  resistance    122.26 mOhm as logged"), line
    assert "first 5 cycles' 91.66 mOhm" in line, line


@pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")
def test_the_thermal_line_has_the_report_s_decimals(capsys):
    # the Neware cell peaks at 27.0 °C: the summary read "max 27 degC"
    path = str(REAL_DATA / "neware" / "nw_regular_export_ife_example.csv")
    args = ["analyze", path, "--chemistry", "nmc", "--capacity-ah", "2"]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    row = next(f for f in ReportContent(report).findings if f.diagnostic == "thermal")
    assert main(args) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("  thermal"))
    assert "max 27.0 degC, max rise 0.14 degC/min" in line, line
    assert "max 27.0 °C, rise up to 0.14 °C/min" in row.summary, row.summary


@pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")
def test_an_soh_of_n_a_says_why_as_the_card_does(capsys):
    # the Neware cell cycles partially between 3.9 and 4.7 V and its 40 pulses give an
    # R30, no fitted R0: the summary read a bare "capacity n/a, resistance n/a"
    path = str(REAL_DATA / "neware" / "nw_regular_export_ife_example.csv")
    assert main(["analyze", path, "--chemistry", "nmc", "--capacity-ah", "0.33"]) == 0
    lines = capsys.readouterr().out.splitlines()
    k = next(k for k, ln in enumerate(lines) if ln.startswith("  SOH "))
    assert lines[k] == "  SOH           capacity n/a, resistance n/a"
    assert lines[k + 1].strip().startswith("(no capacity: no full cycle"), lines[k + 1]
    assert "lowest cell voltage on discharge here is 3.900 V" in lines[k + 1]
    assert lines[k + 2].strip() == (
        "(no resistance: 40 current pulses found, none gave a fitted ohmic R0 per cell)"
    )
    assert lines[k + 3].startswith("  resistance    40 pulses")


def test_without_pulses_the_resistance_line_alone_says_why(tmp_path, capsys):
    log = tmp_path / "sim.csv"
    assert main(["simulate", "--cells", "2", "--duration", "600", "-o", str(log)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(log)]) == 0
    lines = capsys.readouterr().out.splitlines()
    k = next(k for k, ln in enumerate(lines) if ln.startswith("  SOH "))
    # no pulses: the resistance line under it says why, not a second note
    assert not any("no resistance" in ln for ln in lines[k + 1 : k + 3]), lines[k : k + 3]


def test_analyze_and_report_word_eol_fraction_alike(capsys):
    # the report's read "end of life at this fraction of capacity", not saying what
    # stands for the capacity when none is given
    wording = (
        "--eol-fraction EOL_FRACTION end of life at this fraction of --capacity-ah, or of "
        "the first cycles' capacity when no capacity is given (default 0.8)"
    )
    for command in ("analyze", "report"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert wording in " ".join(capsys.readouterr().out.split()), command


@pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")
def test_a_coin_cell_s_cycles_keep_the_digits_they_were_logged_with(capsys):
    # the Landt coin cell's capacities come to 0.1 mAh: "0.0032 Ah", not "0.003200 Ah"
    path = str(REAL_DATA / "bdf" / "SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv")
    assert main(["analyze", path, "--chemistry", "nmc", "--capacity-ah", "0.005"]) == 0
    c1 = next(ln for ln in capsys.readouterr().out.splitlines() if ln.strip().startswith("#1 "))
    assert "charge 0.0032 Ah  discharge 0.0063 Ah" in c1, c1


def test_column_decimals():
    from app.core.number_text import column_decimals

    assert column_decimals([0.3278, 0.32698, 0.295]) == 4  # 4 digits of the largest
    assert column_decimals([1.856, 1.0899999]) == 3
    assert column_decimals([0.0032, 0.0063, 0.0013, None]) == 4  # no more than logged
    assert column_decimals([2.5]) == 1
    assert column_decimals([0.0, None, float("nan")]) == 3
