"""Reports: verdicts against the limits, every format written and readable, from a
log file and from a stored recording with its acknowledged alerts."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from app.cli import main
from app.diagnostics.suite import RESULT_KEYS
from app.reports.figures import decimate
from app.reports.verdicts import Verdict, findings, overall
from tests.real_data import REAL_DATA


@pytest.fixture(scope="module")
def cycling_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("logs") / "pack.csv"
    rc = main(
        [
            "simulate",
            "--chemistry",
            "nmc",
            "--cells",
            "4",
            "--capacity-ah",
            "5",
            "--duration",
            "20000",
            "--profile",
            "cycle",
            "-o",
            str(path),
        ]
    )
    assert rc == 0
    return str(path)


def _report(**results) -> dict:
    base = dict.fromkeys(RESULT_KEYS)
    base.update(results)
    return {"source": "x", "spec": None, "results": base, "cycles": []}


def _verdict(report: dict, key: str) -> Verdict:
    return next(f.verdict for f in findings(report) if f.diagnostic == key)


@pytest.mark.parametrize(
    ("soh", "expected"), [(95.0, Verdict.PASS), (82.0, Verdict.WARN), (75.0, Verdict.FAIL)]
)
def test_soh_verdict_follows_end_of_life_at_80_percent(soh, expected):
    assert _verdict(_report(soh={"soh_percent": soh, "soh_method": "capacity"}), "soh") == expected


@pytest.mark.parametrize(
    ("level", "expected"),
    [("low", Verdict.PASS), ("elevated", Verdict.WARN), ("high", Verdict.FAIL)],
)
def test_thermal_verdict_follows_the_runaway_risk(level, expected):
    thermal = {
        "max_temperature_c": 30.0,
        "runaway_risk_level": level,
        "runaway_risk_score": {"low": 0, "elevated": 30, "high": 60}[level],
    }
    finding = next(f for f in findings(_report(thermal=thermal)) if f.diagnostic == "thermal")
    assert finding.verdict == expected and f"runaway risk {level}" in finding.summary


def test_faults_critical_fails_and_none_passes():
    fault = {
        "kind": "over_voltage",
        "severity": "critical",
        "channel": "cell_1_v",
        "start_time_s": 1.0,
        "end_time_s": 2.0,
        "detail": {},
    }
    assert _verdict(_report(faults=[fault]), "faults") == Verdict.FAIL
    assert _verdict(_report(faults=[]), "faults") == Verdict.PASS
    assert overall(findings(_report(faults=[]))) == Verdict.PASS
    assert overall(findings(_report())) == Verdict.NOT_APPLICABLE


def test_safety_and_fault_findings_name_checks_and_channels_in_words():
    """The report's summary said 'worst: over_temperature on temperature_c' and
    '3 faults: over_temperature, thermal_runaway_onset, under_voltage': internal
    names, where the Alerts and Diagnostics pages say them in words."""
    event = {
        "check": "over_temperature",
        "channel": "temperature_c",
        "severity": "critical",
        "limit": 60.0,
        "worst_value": 698.6,
        "start_time_s": 340.0,
        "end_time_s": 400.0,
    }
    faults = [{"kind": kind, "severity": "critical", "channel": "cell_1_temp_c",
               "start_time_s": 1.0, "end_time_s": 2.0, "detail": {}}
              for kind in ("thermal_runaway_onset", "under_voltage")]  # fmt: skip
    report = _report(safety={"status": "critical", "events": [event]}, faults=faults)
    text = {f.diagnostic: f.summary for f in findings(report)}
    assert text["safety"] == (
        "1 limit event, worst: over temperature (temperature sensor) 698.6 °C (limit 60.0 °C)"
    )
    assert text["faults"] == "2 faults: thermal runaway onset, under voltage"


def test_decimation_keeps_peaks_and_both_ends():
    t = np.arange(100_001, dtype=float)
    y = np.zeros_like(t)
    y[12_345] = 9.0
    y[-1] = -3.0
    tt, yy = decimate(t, y, 1000)
    assert len(tt) <= 1000
    assert yy.max() == 9.0 and yy.min() == -3.0
    assert tt[0] == 0 and tt[-1] == t[-1]


def test_pdf_report_of_a_log(cycling_log, tmp_path, capsys):
    out = tmp_path / "r.pdf"
    assert main(["report", cycling_log, "-o", str(out), "--user", "ada"]) == 0
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type /Page\b", data)) >= 3  # cover+summary, plots, tables
    assert "wrote PDF report" in capsys.readouterr().out


def test_html_report_has_summary_plots_and_cycles(cycling_log, tmp_path):
    out = tmp_path / "r.html"
    assert main(["report", cycling_log, "-o", str(out), "--user", "ada"]) == 0
    html = out.read_text()
    assert "Prepared by" in html and "ada" in html
    for title in ("State of charge", "Cell balance", "Cycle life", "Faults"):
        assert title in html
    assert html.count("<svg") >= 3  # time series, capacity, cell spread at least
    assert "Per-cycle table" in html and "discharge Ah" in html


def test_xlsx_and_csv_reports_carry_the_numbers(cycling_log, tmp_path):
    from openpyxl import load_workbook

    xlsx = tmp_path / "r.xlsx"
    assert main(["report", cycling_log, "-o", str(xlsx)]) == 0
    wb = load_workbook(xlsx)
    assert {"Summary", "Cycles", "Faults", "Alerts", "Results"} <= set(wb.sheetnames)
    cycles = list(wb["Cycles"].values)
    header = cycles[0]
    assert "discharge_capacity_ah" in header
    col = header.index("discharge_capacity_ah")
    assert any(isinstance(r[col], float) and r[col] > 3 for r in cycles[1:])

    out = tmp_path / "r.csv"
    assert main(["report", cycling_log, "-o", str(out)]) == 0
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["section", "item", "value"]
    verdicts = {r[1]: r[2] for r in rows if r[0] == "verdict"}
    assert set(verdicts) == set(RESULT_KEYS)


def test_report_of_a_cycle_table(tmp_path):
    table = tmp_path / "cap.csv"
    n = np.arange(1, 201)
    q = 2.0 - 0.002 * n
    table.write_text(
        "cycle_index,discharge_capacity_ah\n"
        + "\n".join(f"{a},{b:.5f}" for a, b in zip(n, q, strict=True))
    )
    out = tmp_path / "r.html"
    assert main(["report", str(table), "--capacity-ah", "2", "-o", str(out)]) == 0
    html = out.read_text()
    assert "end of life" in html and html.count("<svg") == 1


def test_a_cycle_tables_report_does_not_say_no_faults_were_detected(tmp_path, cycling_log):
    """Its summary row says faults N/A (no samples), but the Faults section said 'No
    faults were detected.', a clean bill for what was never looked at."""
    table = tmp_path / "cap.csv"
    n = np.arange(1, 41)
    table.write_text(
        "cycle_index,discharge_capacity_ah\n" + "\n".join(f"{a},{2.0 - 0.002 * a:.5f}" for a in n)
    )
    out = tmp_path / "r.html"
    assert main(["report", str(table), "--capacity-ah", "2", "-o", str(out)]) == 0
    html = out.read_text()
    assert "No faults were detected" not in html
    assert "A per-cycle table has no samples: faults were not looked for." in html
    # a log of samples with no fault still says so
    log = tmp_path / "log.html"
    assert main(["report", str(cycling_log), "-o", str(log)]) == 0
    assert "No faults were detected." in log.read_text()


def test_bad_output_and_bad_input_are_one_line_errors(cycling_log, tmp_path, capsys):
    assert main(["report", cycling_log, "-o", str(tmp_path / "r.docx")]) == 2
    assert "unknown report format .docx" in capsys.readouterr().err
    garbage = tmp_path / "g.csv"
    garbage.write_bytes(b"\x00\x01garbage")
    assert main(["report", str(garbage), "-o", str(tmp_path / "r.pdf")]) == 2
    assert capsys.readouterr().err.startswith("batteryos: error:")
    assert main(["report", cycling_log, "-o", str(tmp_path / "no" / "such" / "dir.pdf")]) == 2


def test_report_of_a_recording_lists_its_acknowledged_alerts(cycling_log, tmp_path):
    from openpyxl import load_workbook

    from app.core.samples import SampleBlock
    from app.hardware.logs.formats import open_log
    from app.storage import alert_repository
    from app.storage import repositories as repo
    from app.storage.database import Database
    from app.storage.sample_writer import write_samples

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    db = Database(url)
    db.ensure_schema()
    log = open_log(cycling_log)
    rec = repo.create_recording(db, "sim://nmc?cells=4", spec=log.spec_dict)
    write_samples(db, rec.id, SampleBlock.from_frame(log.frame), 0)
    repo.finish_recording(db, rec.id)
    user = repo.create_user(db, "grace", "engineer")
    alert = alert_repository.record_alert(
        db, "cell_v_max", 4.25, "critical", recording_id=rec.id, threshold_value=4.2
    )
    alert_repository.note_alert_worst(db, alert.id, worst_value=4.31)
    alert_repository.acknowledge_alert(
        db, alert.id, actor="grace", user_id=user.id, comment="charger setpoint fixed"
    )
    # a detected fault: its figures in words (its value, 1, says only "detected"),
    # as last known; one stored without them says "detected"
    fault = alert_repository.record_alert(
        db, "fault_internal_short", 1.0, "critical", recording_id=rec.id,
        detail="cell 2: self-discharge 0.349 A", raised_time_s=780.0,
    )  # fmt: skip
    alert_repository.clear_alert(db, fault.id, worst_detail="cell 2: self-discharge 0.412 A")
    alert_repository.record_alert(db, "fault_open_circuit", 1.0, "critical", recording_id=rec.id)
    onset = alert_repository.record_alert(
        db, "fault_thermal_runaway_onset", 1.0, "critical", recording_id=rec.id,
        raised_time_s=630.0,
    )  # fmt: skip
    alert_repository.withdraw_alert(db, onset.id, "cell 2's internal short explains the heat")
    alert_repository.clear_alert(db, onset.id, cleared_time_s=15905.0)
    db.close()

    out = tmp_path / "rec.xlsx"
    assert main(["--db", url, "report", f"recording:{rec.id}", "-o", str(out)]) == 0
    alerts = list(load_workbook(out)["Alerts"].values)
    # the value at raise and the worst in two columns, as the History page heads them
    # (one "value" column held a fault's worst but a number's value at raise)
    assert alerts[0][3:5] == ("at raise", "worst")
    assert alerts[1][1] == "critical" and alerts[1][2:5] == (
        "Highest cell voltage",
        "4.25 V",
        "4.31 V",
    )
    assert "grace" in alerts[1][6] and alerts[1][7] == "charger setpoint fixed"
    assert [row[2:5] for row in alerts[2:]] == [
        (
            "Fault: internal short",
            "cell 2: self-discharge 0.349 A",
            "cell 2: self-discharge 0.412 A",
        ),
        ("Fault: open circuit", "detected", "detected"),
        ("Fault: thermal runaway onset", "detected", "detected"),
    ]
    # when, also as the time into the samples that the plots' time axes write (13:00.0,
    # not "t = 780 s")
    assert alerts[2][0].endswith(" (t\u00a0=\u00a013:00.0)") and "(t" not in alerts[1][0]
    # the withdrawn alarm says so and why, not only when it cleared
    assert alerts[4][5].startswith("withdrawn: cell 2's internal short explains the heat; ")
    assert alerts[4][5].endswith(" (t\u00a0=\u00a04:25:05.0)")
    assert main(["--db", url, "report", "recording:999", "-o", str(out)]) == 2
    if shutil.which("pdftotext"):  # the PDF's narrow "cleared" column keeps it on one line
        pdf = tmp_path / "rec.pdf"
        assert main(["--db", url, "report", f"recording:{rec.id}", "-o", str(pdf)]) == 0
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.replace("\u00a0", " ")
        assert "(t = 13:00.0)" in text.splitlines() and "(t = 4:25:05.0)" in text.splitlines()


@pytest.mark.parametrize(
    ("soh_r", "ratio", "expected"),
    [(50.0, 1.5, Verdict.WARN), (0.0, 2.4, Verdict.FAIL), (None, 2.4, Verdict.PASS)],
)
def test_resistance_verdict_only_against_a_reference_the_soh_used(soh_r, ratio, expected):
    """2.4x the LFP preset's typical cell (the Arbin A123 cell under the preset's 2.5 Ah)
    is no failed cell: the SOH gave no SOH_R against that guess, nor does the verdict."""
    ir = {"n_pulses": 1, "median_r_ohmic_ohm": 0.024, "median_r_10s_ohm": 0.032}
    note = "no resistance SOH: the fitted ohmic R0 per cell measured, 19.04 mOhm, is 2.38x"
    soh = {
        "resistance_ohm": 0.019,
        "bol_resistance_ohm": 0.019 / ratio,
        "soh_resistance_percent": soh_r,
        "notes": [note] if soh_r is None else [],
    }
    finding = next(
        f
        for f in findings(_report(internal_resistance=ir, soh=soh))
        if f.diagnostic == "internal_resistance"
    )
    assert finding.verdict == expected
    assert ("beginning of life" in finding.summary) == (soh_r is not None)
    assert (note in finding.summary) == (soh_r is None)


def _r30_only_result() -> dict:
    # a log sampled every 30 s (the Neware example): its pulses resolve only R30
    pulses = [
        {
            "soc_percent": soc,
            "direction": direction,
            "r_30s_ohm": r,
            "r_30s_cell_ohm": r,
            "r_10s_ohm": None,
            "r_10s_cell_ohm": None,
        }
        for soc, direction, r in ((100.0, "discharge", 0.16), (40.0, "charge", 0.22))
    ]
    return {"n_pulses": 2, "pulses": pulses, "median_r_10s_ohm": None}


def test_resistance_finding_and_plot_show_what_the_log_resolves():
    # "R10 n/a, R0 n/a" and an empty plot for a log whose pulses all gave R30, while
    # the GUI card showed "R30 190 mOhm": every surface takes the same readings
    from app.reports.figures import dcir_figure

    report = _report(internal_resistance=_r30_only_result())
    finding = next(f for f in findings(report) if f.diagnostic == "internal_resistance")
    assert "R30 190.00 mΩ per cell" in finding.summary
    fig = dcir_figure(report)
    assert fig is not None
    (ax,) = fig.axes
    assert sorted(line.get_label() for line in ax.lines) == ["R30 charge", "R30 discharge"]


def test_dcir_plot_has_a_legend_entry_only_for_readings_it_draws_and_shows_each():
    """Charge pulses without an R10 (None, or NaN in a result not yet written as JSON)
    gave 'R10 charge' in the legend and no point; a charge reading equal to a discharge
    one was hidden under its dot (an HPPC log's 'R ohmic charge'): it is a ring around it."""
    from app.reports.figures import dcir_figure

    nan = float("nan")

    def pulse(soc, direction, r10, r_ohmic):
        return {"soc_percent": soc, "direction": direction, "r_10s_ohm": r10,
                "r_10s_cell_ohm": r10, "r_ohmic_ohm": r_ohmic, "r_ohmic_cell_ohm": r_ohmic}  # fmt: skip

    pulses = [
        pulse(90.0, "discharge", 0.0079, 0.0061),
        pulse(80.0, "discharge", 0.0080, 0.0061),
        pulse(89.8, "charge", None, 0.0061),  # the charge pulses resolve no R10
        pulse(79.8, "charge", nan, 0.0061),
    ]
    ir = {"n_pulses": 4, "pulses": pulses, "median_r_10s_cell_ohm": 0.00795}
    fig = dcir_figure(_report(internal_resistance=ir))
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.lines}
    assert sorted(lines) == sorted(["R10 discharge", "R ohmic discharge", "R ohmic charge"])
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert sorted(legend) == sorted(lines)
    for line in lines.values():
        assert np.isfinite(line.get_xydata()).all()
    charge, discharge = lines["R ohmic charge"], lines["R ohmic discharge"]
    assert charge.get_markerfacecolor() == "none"
    assert charge.get_markersize() > discharge.get_markersize() + 1.0
    assert charge.get_zorder() > discharge.get_zorder()


def test_resistance_finding_names_the_quantity_it_compares_with_beginning_of_life():
    ir = _r30_only_result()
    soh = {
        "resistance_ohm": 0.0203,
        "bol_resistance_ohm": 0.0182,
        "soh_resistance_percent": 88.4,
        "resistance_metric": "fitted ohmic R0 per cell",
        "resistance_temperature_factor": 0.94,
        "resistance_reference_temperature_c": 25.0,
    }
    finding = next(
        f
        for f in findings(_report(internal_resistance=ir, soh=soh))
        if f.diagnostic == "internal_resistance"
    )
    assert "fitted ohmic R0 per cell at 25 °C 20.30 mΩ is 1.12× beginning of life" in (
        finding.summary
    )


def test_cell_spread_plot_of_samples_without_cell_readings_warns_nothing():
    # a CAN log's first frames carry no cell voltages yet: the plot skips those samples
    # without numpy's "All-NaN slice" warning on the report's stderr
    import warnings

    import pandas as pd

    from app.reports.figures import cell_spread_figure

    nan = float("nan")
    frame = pd.DataFrame(
        {
            "time_s": [0.0, 1.0, 2.0],
            "voltage_v": [7.0, 7.0, 7.0],
            "current_a": [0.0, 0.0, 0.0],
            "cell_1_v": [nan, 3.50, 3.51],
            "cell_2_v": [nan, 3.52, 3.50],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = cell_spread_figure(frame)
    spread = fig.axes[1].lines[0].get_ydata()
    assert np.isnan(spread[0]) and spread[1:] == pytest.approx([20.0, 10.0])


def test_the_soc_finding_gives_a_start_under_load_back_calculated():
    soc = {
        "initial_soc_percent": 95.2,
        "initial_soc_sigma_percent": 25.0,
        "initialisation": "load",
        "final_soc_percent": 64.3,
        "final_soc_sigma_percent": 1.0,
        "start_soc_back_calculated_percent": 81.0,
        "start_soc_back_calculated_from_s": 600.0,
        "start_soc_back_calculated_sigma_percent": 10.2,
    }
    finding = next(f for f in findings(_report(soc=soc, faults=[])) if f.diagnostic == "soc")
    assert finding.summary.startswith("81.0 % ±20.4 % to 64.3 %")
    assert "the estimate at 10 min less the charge counted since" in finding.summary
    assert "first value was 95.2 % ±50 %" in finding.summary


def test_a_result_whose_inputs_are_not_valid_is_never_pass():
    report = _report(
        soc={"initial_soc_percent": 90.0, "final_soc_percent": 40.0},
        faults=[],
        safety={"status": "critical", "events": []},
    )
    report["invalid_results"] = {
        "soc": "the cell voltages lie outside",
        "faults": "x",
        "safety": "x",
        "soh": "x",
    }
    soc = next(f for f in findings(report) if f.diagnostic == "soc")
    assert soc.verdict == Verdict.WARN and "not valid for this log" in soc.summary
    assert _verdict(report, "faults") == Verdict.WARN  # "none detected" is no pass here
    safety = next(f for f in findings(report) if f.diagnostic == "safety")
    # a failure stays one, and says what failed before the doubt (an overcharge)
    assert safety.verdict == Verdict.FAIL and safety.summary.startswith("0 limit events")
    assert "judged on inputs that may not hold: x" in safety.summary
    assert _verdict(report, "soh") == Verdict.NOT_APPLICABLE  # nothing was judged


def test_the_report_carries_the_warnings_analyze_prints(cycling_log, tmp_path, capsys):
    """An NMC pack taken for LFP: analyze warns its voltages lie outside the LFP window,
    and every report format says the same, with SOC, safety and faults not PASS."""
    wrong = ["--chemistry", "lfp"]
    assert main(["analyze", cycling_log, *wrong, "--json"]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert any("3.6 V maximum" in w for w in warnings)

    out = tmp_path / "r.csv"
    assert main(["report", cycling_log, *wrong, "-o", str(out)]) == 0
    rows = list(csv.reader(out.open()))
    assert [r[2] for r in rows if r[:2] == ["cover", "Warning"]] == warnings
    verdicts = {r[1]: r[2] for r in rows if r[0] == "verdict"}
    assert all(verdicts[k] != "pass" for k in ("soc", "safety", "faults"))
    assert verdicts["thermal"] == "pass"  # judged by temperature: still holds

    html = tmp_path / "r.html"
    assert main(["report", cycling_log, *wrong, "-o", str(html)]) == 0
    assert "3.6 V maximum" in html.read_text()
    if shutil.which("pdftotext"):
        pdf = tmp_path / "r.pdf"
        assert main(["report", cycling_log, *wrong, "-o", str(pdf)]) == 0
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "3.6 V maximum" in " ".join(text.split())


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
def test_capacity_plot_is_scaled_to_the_data_and_end_of_life_not_the_fit(tmp_path, capsys):
    """NASA B0005's first 66 cycles: the power-law fit run out to the forecast interval's
    far end falls to -11 Ah; the axis stays on the capacities and the end-of-life line."""
    from app.reports.figures import capacity_figure

    lines = (REAL_DATA / "capacity" / "nasa_B0005_capacity.csv").read_text().splitlines()
    table = tmp_path / "n66.csv"
    table.write_text("\n".join(lines[:67]) + "\n")
    assert main(["analyze", str(table), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    fig = capacity_figure(report, report["cycles"])
    (ax,) = fig.axes
    low, high = ax.get_ylim()
    q = [c["discharge_capacity_ah"] for c in report["cycles"]]
    eol = report["results"]["cycle_life"]["eol_capacity_ah"]
    assert 0 <= low < min(*q, eol) and max(q) < high
    assert high - low < 2 * (max(q) - min(*q, eol))  # the data fills the plot


def test_the_report_and_the_cli_do_not_advise_balancing_on_a_suspect_reading():
    """A stuck cell_1_v sense wire reads 400 mV low: as the window's card, the report's
    finding and the CLI summary say the reading is suspect, not "top-balance the pack"."""
    import io

    from app.cli.cmd_analyze import print_summary

    stuck = {"kind": "sensor_stuck", "start_time_s": 300.0, "end_time_s": 1200.0,
             "severity": "warning", "channel": "cell_1_v", "detail": {}}  # fmt: skip
    balance = {
        "status": "critical", "action": "balance", "spread_mv": 402.0, "spread_max_mv": 405.0,
        "spread_judged_mv": 402.0, "judged_on": "rest, 20-95 % SOC",
        "recommendation": "cells far apart: top-balance the pack",
    }  # fmt: skip
    report = _report(cell_balance=balance, faults=[stuck])
    (finding,) = [f for f in findings(report) if f.diagnostic == "cell_balance"]
    assert finding.verdict is Verdict.WARN
    assert finding.summary.startswith("suspect reading: cell 1 (sensor stuck)")
    assert "top-balance" not in finding.summary
    out = io.StringIO()
    print_summary(report, out)
    (line,) = [ln for ln in out.getvalue().splitlines() if "cell balance" in ln]
    assert "suspect reading: cell 1 (sensor stuck)" in line and "top-balance" not in line
    assert "cell balance  warning: spread 402.0 mV (rest, 20-95 % SOC), 402.0 mV now" in line
    # a sensor fault on another channel leaves the advice as it was
    other = _report(cell_balance=balance, faults=[{**stuck, "channel": "temperature_c"}])
    (finding,) = [f for f in findings(other) if f.diagnostic == "cell_balance"]
    assert finding.verdict is Verdict.FAIL and "top-balance the pack" in finding.summary


def test_the_fault_table_gives_each_fault_s_detail_as_the_window_words_it(tmp_path, capsys):
    """A runaway's figures and an open circuit that ended as current flowed through the
    cell were in the fault's detail but not in the report (kind, severity, channel,
    start and end only): the CSV and the PDF now give them in the window's words.
    (The runaway's own dead cell is no open circuit: cell 5 is made to read what
    cell 3 reads, with no runaway of its own. The simulated bench opens the contactor on
    the dead cell; the charger that kept pushing 2.5 A through the pack from 2000 s is
    put back in the log, so that current flows through cell 5's 0 V reading.)"""
    log = tmp_path / "runaway.csv"
    args = ["--chemistry", "nmc", "--cells", "16", "--duration", "3600", "--noise", "1"]
    fault = ["--fault", "thermal_runaway", "--fault-at", "900", "--fault-cell", "3"]
    assert main(["simulate", *args, "--profile", "drive", *fault, "-o", str(log)]) == 0
    lines = log.read_text(encoding="utf-8").splitlines()
    head = next(k for k, line in enumerate(lines) if line.startswith("time_s,"))
    names = lines[head].split(",")
    c3, c5 = names.index("cell_3_v"), names.index("cell_5_v")
    t, i = names.index("time_s"), names.index("current_a")
    for k in range(head + 1, len(lines)):
        values = lines[k].split(",")
        values[c5] = values[c3]
        if float(values[t]) >= 2000:
            values[i] = "2.5"
        lines[k] = ",".join(values)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    assert main(["report", str(log), "-o", str(out)]) == 0
    with open(out, encoding="utf-8") as fh:
        faults = {r[1]: r[2] for r in csv.reader(fh) if r[0] == "fault"}
    assert "open_circuit cell_3_v" not in faults
    open_circuit = faults["open_circuit cell_5_v"]
    assert re.search(r"ended as \d+\.\d\d A flowed through it \(not open\)", open_circuit)
    onset = faults["thermal_runaway_onset cell_3_temp_c"]
    assert re.search(r"when found, .* peak \d+\.\d °C", onset), onset
    assert onset.startswith("critical, ")
    if shutil.which("pdftotext"):
        pdf = tmp_path / "r.pdf"
        assert main(["report", str(log), "-o", str(pdf)]) == 0
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "flowed through it" in " ".join(text.split())
        assert "peak" in text and "when found" in " ".join(text.split())
    capsys.readouterr()


@pytest.mark.parametrize(
    ("sigma", "rms", "expected"),
    [
        (1.0, None, Verdict.PASS),
        (8.0, None, Verdict.WARN),
        (15.0, None, Verdict.WARN),
        (15.0, 1.0, Verdict.WARN),
    ],
)
def test_an_soc_not_pinned_down_is_no_pass(sigma, rms, expected):
    # a 60 s recording's report read SOC PASS at "final ±29.9 %"
    soc = {
        "initial_soc_percent": 60.0,
        "initial_soc_sigma_percent": 1.0,
        "final_soc_percent": 55.0,
        "final_soc_sigma_percent": sigma,
        "bms_difference_rms_percent": rms,
    }
    finding = next(f for f in findings(_report(soc=soc)) if f.diagnostic == "soc")
    assert finding.verdict == expected
    # a ±30 % band (the window's "cannot be determined", 25 % or wider) says so; a ±16 %
    # one is loose
    loose = "not pinned down" in finding.summary
    undetermined = "cannot be determined" in finding.summary
    assert loose is (expected == Verdict.WARN and 2 * sigma < 25)
    assert undetermined is (2 * sigma >= 25)


@pytest.mark.parametrize(
    ("sigma", "rms", "expected", "inconclusive"),
    [
        (10.85, 11.3, Verdict.WARN, True),  # our ±21.7 % holds the 11.3 %: not the BMS's fault
        (0.5, 11.3, Verdict.FAIL, False),  # we are sure to ±1 %: the BMS is off
        (2.0, 3.5, Verdict.PASS, True),
        (1.0, 3.5, Verdict.WARN, False),
    ],
)
def test_a_bms_difference_inside_our_own_band_blames_no_bms(sigma, rms, expected, inconclusive):
    # an LFP charge on the flat plateau from an unknown start: our estimate ±21.7 %,
    # the BMS 11.3 % RMS away (and right); the report read SOC FAIL, blaming the BMS
    soc = {
        "initial_soc_percent": 46.6,
        "initial_soc_sigma_percent": 25.0,
        "final_soc_percent": 79.4,
        "final_soc_sigma_percent": sigma,
        "bms_difference_rms_percent": rms,
    }
    finding = next(f for f in findings(_report(soc=soc)) if f.diagnostic == "soc")
    assert finding.verdict == expected
    assert f"BMS SOC differs by {rms:.1f} % RMS" in finding.summary
    assert ("inconclusive" in finding.summary) is inconclusive


def test_a_log_files_report_says_where_its_alerts_are(cycling_log, tmp_path):
    # "No alerts were recorded" beside a critical short: alerts are not recorded from
    # a file, its limit events and faults are in their own sections
    out = tmp_path / "file.html"
    assert main(["report", cycling_log, "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "No alerts were" not in html
    assert "Alerts are recorded from live sources and recordings, not from a log file" in html
    assert "alerts evaluate FILE" in html


def test_the_temperature_legend_names_sensors_for_people():
    # the report's legend read 'temperature_c', 'cell_2_temp_c'
    import pandas as pd

    from app.reports.figures import timeseries_figure

    t = np.arange(0.0, 600.0)
    frame = pd.DataFrame(
        {
            "time_s": t,
            "voltage_v": 7.4 + 0 * t,
            "current_a": -1.0 + 0 * t,
            "temperature_c": 25 + t / 600,
            "cell_1_temp_c": 25 + t / 500,
            "cell_2_temp_c": 25 + t / 400,
        }
    )
    fig = timeseries_figure(frame, {})
    names = [
        text.get_text()
        for ax in fig.axes
        if ax.get_legend() is not None
        for text in ax.get_legend().get_texts()
    ]
    assert names == ["sensor", "cell 1", "cell 2"]


def test_the_report_and_the_cli_advise_checking_a_shorted_cell_not_balancing():
    """Fault detection found an internal short in cell 3, which sits 53 mV low: the
    report's finding and the CLI summary say check or replace cell 3 (and name the
    short), not "let the BMS balance at the top of charge"."""
    import io

    from app.cli.cmd_analyze import print_summary

    short = {"kind": "internal_short", "start_time_s": 630.0, "end_time_s": 3599.0,
             "severity": "critical", "channel": "cell_3_v", "detail": {}}  # fmt: skip
    balance = {
        "status": "warning", "action": "balance", "spread_mv": 67.3, "spread_max_mv": 82.3,
        "spread_judged_mv": 59.1, "judged_on": "rest, 20-95 % SOC",
        "recent_deviation_mv": [4.0, 3.0, -53.0, 1.0, -1.0, 2.0],
        "recommendation": "cells drifting apart: let the BMS balance at the top of charge",
    }  # fmt: skip
    report = _report(cell_balance=balance, faults=[short])
    (finding,) = [f for f in findings(report) if f.diagnostic == "cell_balance"]
    assert finding.verdict is Verdict.FAIL
    assert "check or replace cell 3: fault detection found an internal short in cell 3 " in (
        finding.summary
    )
    assert "from 630 s" in finding.summary and "sits 53 mV below the median" in finding.summary
    assert "let the BMS balance" not in finding.summary
    out = io.StringIO()
    print_summary(report, out)
    (line,) = [ln for ln in out.getvalue().splitlines() if "cell balance" in ln]
    assert line.startswith("  cell balance  critical: spread 59.1 mV (rest, 20-95 % SOC)")
    assert "check or replace cell 3" in line and "let the BMS balance" not in line


@pytest.mark.parametrize(("cycles", "verdict"), [(6, "pass"), (10, "fail")])
def test_a_cycle_tables_resistance_is_judged_only_when_the_soh_compares_it(
    tmp_path, cycles, verdict
):
    """With 6 cycles the SOH says "too few to compare the first 5 with the last", yet
    the report compared cycles 1-5 with 2-6 and failed the resistance (and the report).
    The table path now has the samples path's guard: no ratio judged, the SOH's note
    said; with 10 cycles the doubled resistance fails as before."""
    n = np.arange(1, cycles + 1)
    r = np.where(n <= cycles // 2, 0.05, 0.10)  # doubles half-way
    table = tmp_path / "cycles.csv"
    table.write_text(
        "cycle_index,discharge_capacity_ah,resistance_ohm\n"
        + "\n".join(f"{a},2.0,{b:.5f}" for a, b in zip(n, r, strict=True))
        + "\n"
    )
    out = tmp_path / "r.csv"
    assert main(["report", str(table), "--capacity-ah", "2", "-o", str(out)]) == 0
    rows = list(csv.reader(out.open()))
    verdicts = {row[1]: row[2] for row in rows if row[0] == "verdict"}
    assert verdicts["internal_resistance"] == verdict
    if cycles == 6:
        assert ["cover", "Overall", "PASS"] in rows
        said = " ".join(",".join(row) for row in rows)
        assert "too few to compare" in said


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.808, "0.808 s"), (1022.89, "17 min 03 s"), (100543.0, "27 h 55 min")],
)
def test_the_cover_gives_a_short_logs_span_in_seconds(seconds, text):
    """The foxBMS CAN capture (0.8 s) read 'Time span 0 h 00 min (9 samples)'."""
    import pandas as pd

    from app.reports.content import ReportContent

    frame = pd.DataFrame({"time_s": np.linspace(0.0, seconds, 9)})
    assert ReportContent(_report(), frame).time_span() == f"{text} (9 samples)"


@pytest.mark.skipif(REAL_DATA is None or not shutil.which("pdftotext"), reason="no pdftotext")
def test_a_pdf_section_heading_opens_the_page_of_its_table(tmp_path, capsys):
    """The foxBMS CAN capture's report: 'Per-cycle table' closed page 2 and its one-row
    table opened page 3."""
    log = REAL_DATA / "can" / "foxbms_test_log.txt"
    pdf = tmp_path / "fox.pdf"
    battery = ["--chemistry", "nmc", "--capacity-ah", "5"]
    assert main(["report", str(log), *battery, "-o", str(pdf)]) == 0
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    (page,) = [p for p in text.split("\f") if "Per-cycle table" in p]
    assert "discharge Ah" in page  # the table's header row


def test_the_cover_gives_the_start_as_a_clock_time_not_an_iso_stamp():
    """The cover read 'Time span: from 2026-12-06T06:20:51.306250+00:00, 1 h 59 min'."""
    import pandas as pd

    from app.reports.content import ReportContent

    frame = pd.DataFrame({"time_s": np.linspace(0.0, 7199.0, 9)})
    stamped = ReportContent(_report(), frame, start_utc="2026-12-06T06:20:51.306250+00:00")
    assert stamped.time_span() == "from 2026-12-06 06:20:51 UTC, 1 h 59 min (9 samples)"
    # a stamp in another zone is given in UTC; one that is no ISO time, as it is
    east = ReportContent(_report(), frame, start_utc="2026-12-06T07:20:51+01:00")
    assert east.time_span().startswith("from 2026-12-06 06:20:51 UTC, ")
    odd = ReportContent(_report(), frame, start_utc="Monday morning")
    assert odd.time_span().startswith("from Monday morning, ")


def test_the_pdf_and_html_fault_tables_word_kind_and_channel_as_the_window_does(tmp_path):
    """The PDF's Faults table read 'internal_short  critical  cell_3_v' (the JSON's keys)
    beside the summary's 'internal short in cell 3': the documents for people now word
    them as the window does; the workbook and the CSV keep the keys."""
    from app.reports.content import ReportContent
    from app.reports.html import render_html

    short = {"kind": "internal_short", "start_time_s": 630.0, "end_time_s": 3599.0,
             "severity": "critical", "channel": "cell_3_v", "detail": {}}  # fmt: skip
    runaway = {**short, "kind": "thermal_runaway_onset", "channel": "cell_3_temp_c"}
    content = ReportContent(_report(faults=[short, runaway]))
    _, rows = content.fault_rows(words=True)
    assert [r[:3] for r in rows] == [
        ["internal short", "critical", "cell 3"],
        ["thermal runaway onset", "critical", "cell 3"],
    ]
    html = render_html(content)
    faults = html[html.index("<h2>Faults</h2>") :]
    assert "internal short" in faults and "internal_short" not in faults
    assert "cell_3_v" not in faults
    _, keyed = content.fault_rows()  # (for machines)
    assert keyed[0][:3] == ["internal_short", "critical", "cell_3_v"]


@pytest.mark.parametrize(
    ("sure", "expected", "inconclusive"),
    [
        (0.3, Verdict.PASS, True),  # the 3.5 % lies where our start was a guess
        (3.4, Verdict.WARN, False),  # where we were sure the BMS is 3.4 % off
        (None, Verdict.WARN, False),  # never sure: the whole log's difference is judged
    ],
)
def test_a_bms_difference_is_judged_where_our_estimate_was_sure(sure, expected, inconclusive):
    soc = {
        "initial_soc_percent": 46.6,
        "initial_soc_sigma_percent": 25.0,
        "final_soc_percent": 79.4,
        "final_soc_sigma_percent": 0.5,
        "bms_difference_rms_percent": 3.5,
        "bms_difference_sure_rms_percent": sure,
    }
    finding = next(f for f in findings(_report(soc=soc)) if f.diagnostic == "soc")
    assert finding.verdict == expected
    assert ("inconclusive" in finding.summary) is inconclusive
    assert ("where our estimate was sure" in finding.summary) is (sure is not None)


def test_the_temperature_plot_of_a_large_pack_keeps_its_hottest_cell():
    """The plot drew the first eight temperature columns: of a 16-cell pack, the pack
    sensor and cells 1-7; cell 12 heating from an internal short (the thermal
    finding's hottest cell) was not on it. Now the pack sensor and the hottest cells."""
    import pandas as pd

    from app.reports.figures import timeseries_figure

    t = np.arange(0.0, 600.0)
    columns = {"time_s": t, "voltage_v": 59.2 + 0 * t, "current_a": -1.0 + 0 * t}
    columns["temperature_c"] = 25 + 0 * t
    for k in range(1, 17):
        columns[f"cell_{k}_temp_c"] = 25 + 0.001 * k + (t / 60 if k == 12 else 0 * t)
    fig = timeseries_figure(pd.DataFrame(columns), {})
    (axis,) = [ax for ax in fig.axes if ax.get_ylabel() == "temperature (°C)"]
    names = [text.get_text() for text in axis.get_legend().get_texts()]
    assert names[0] == "sensor" and "cell 12" in names and len(names) == 8
    assert axis.get_legend().get_title().get_text() == "the 7 hottest of 16 cells"
    assert max(float(np.nanmax(line.get_ydata())) for line in axis.get_lines()) > 34.9


def test_dcir_plot_legend_sits_above_the_points():
    """The legend sat inside the axes ("best"), on a ring at 84 % SOC by the top of the
    axes (a 16-cell drive's one pulse): it is above the axes, as the other plots'."""
    from app.reports.figures import dcir_figure

    pulse = {"soc_percent": 83.8, "direction": "charge", "r_10s_ohm": 0.46,
             "r_10s_cell_ohm": 0.029, "r_ohmic_ohm": 0.19, "r_ohmic_cell_ohm": 0.012}  # fmt: skip
    fig = dcir_figure(_report(internal_resistance={"n_pulses": 1, "pulses": [pulse]}))
    (ax,) = fig.axes
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    assert legend.y0 >= ax.get_window_extent().y1 - 1.0


def test_a_flat_voltage_reads_in_volts_on_its_axis():
    """A cell at rest (MB-0.mpr: 1.48901-1.48909 V) read "2 4 6 8" under an offset
    "1e-5+1.489": the ticks give the volts."""
    import pandas as pd

    from app.reports.figures import timeseries_figure

    frame = pd.DataFrame(
        {
            "time_s": [0.0, 5.0, 10.0],
            "voltage_v": [1.48901, 1.48905, 1.48909],
            "current_a": [0.0, 0.0, 0.0],
        }  # fmt: skip
    )
    fig = timeseries_figure(frame, {})
    fig.canvas.draw()
    voltage = fig.axes[0]
    assert voltage.yaxis.get_offset_text().get_text() == ""
    ticks = [
        float(t.get_text().replace("−", "-")) for t in voltage.get_yticklabels() if t.get_text()
    ]
    assert all(1.4889 < v < 1.4892 for v in ticks)


def test_thermal_finding_gives_the_sensor_spread_in_kelvin():
    """A difference of temperatures, as the window's card and the fault give it ('27.7 K',
    'up to 23.7 K above its neighbours' median'): the report read 'sensor spread 27.7 °C'."""
    thermal = {"max_temperature_c": 53.4, "max_rise_rate_c_per_min": 1.31,
               "max_sensor_spread_c": 27.73}  # fmt: skip
    finding = next(f for f in findings(_report(thermal=thermal)) if f.diagnostic == "thermal")
    assert "sensor spread 27.7 K" in finding.summary


def test_the_safety_row_names_the_worst_event_not_the_first():
    # events come by start time: a short warning overshoot first, then a critical one;
    # "worst" named the first
    def event(check, severity, worst, limit, start):
        return {"check": check, "channel": "cell_2_v" if "volt" in check else "current_a",
                "severity": severity, "limit": limit, "worst_value": worst,
                "start_time_s": start, "end_time_s": start + 10}  # fmt: skip

    events = [
        event("over_current_discharge", "warning", -7.7, -7.5, 10.0),
        event("cell_over_voltage", "critical", 4.3, 4.2, 50.0),
        event("cell_over_voltage", "critical", 4.45, 4.2, 90.0),
    ]
    report = _report(safety={"status": "critical", "events": events})
    text = next(f.summary for f in findings(report) if f.diagnostic == "safety")
    assert text == "3 limit events, worst: cell over voltage (cell 2) 4.450 V (limit 4.200 V)"


def test_the_soc_finding_names_the_time_gaps_not_counted():
    """The report's SOC line carries the SOC's notes (the time gaps whose charge is
    not counted), as ``analyze`` prints them."""
    note = (
        "1 time gap in the log (60 min in all; 60 min from 33 min (SOC ±14.5 %)): the "
        "current across it is unknown and not counted"
    )
    soc = {"final_soc_percent": 41.4, "final_soc_sigma_percent": 2.0,
           "initial_soc_percent": 89.8, "notes": [note]}  # fmt: skip
    finding = next(f for f in findings(_report(soc=soc)) if f.diagnostic == "soc")
    assert note in finding.summary


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="no pdftotext")
def test_pdf_alerts_table_wraps_a_long_rule_id_between_its_words(tmp_path):
    """A removed rule's stored id, wider than the metric column, wraps after its
    underscores and is read whole (it was split mid-word: "fault_thermal_runawa" /
    "y_onset_legacy_v2")."""
    from app.reports import ReportContent, write_report

    ids = ["fault_thermal_runaway_onset_legacy_v2", "cell_temperature_rate_of_rise_per_minute"]
    alerts = [
        {"raised_at": "2026-12-07 10:00:00", "severity": "critical", "metric": m, "value": 1.0}
        for m in ids
    ]
    pdf = tmp_path / "alerts.pdf"
    write_report(ReportContent(_report(), alerts=alerts, alerts_recorded=True), str(pdf))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert all(i not in text.splitlines() for i in ids)  # wider than the column: wrapped
    assert all(i in text.replace("_\n", "_") for i in ids)
