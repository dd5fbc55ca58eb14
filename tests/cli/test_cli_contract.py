"""What a first-time CLI user found contradicting DESIGN.md's contracts or itself: a
per-cycle table's SOH of a chemistry preset's capacity under a header naming another,
unstable ``--json`` keys, a mislabeled time series, a warning leaked from numpy."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.cli import main
from tests.real_data import REAL_DATA


def _table(tmp_path, n_cycles: int = 120, first_ah: float = 1.8):
    """A per-cycle table fading linearly from ``first_ah``."""
    n = np.arange(1, n_cycles + 1)
    cap = first_ah * (1 - 0.002 * n)
    rows = "\n".join(f"{k},{q:.6f}" for k, q in zip(n, cap, strict=True))
    path = tmp_path / "cells_capacity.csv"
    path.write_text("cycle_index,discharge_capacity_ah\n" + rows + "\n", encoding="utf-8")
    return path, cap


def _json_report(capsys, *argv) -> dict:
    assert main(["analyze", *map(str, argv), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# --- 1. a per-cycle table's SOH rests on the capacity its header names -------------


@pytest.mark.parametrize("chemistry", ["nmc", "lfp", "lead_acid"])
def test_a_cycle_tables_soh_is_of_the_first_cycles_not_the_presets_capacity(
    tmp_path, capsys, chemistry
):
    """NASA B0005 with --chemistry nmc: SOH 25.9 % (of the preset's 5 Ah; lfp 51.8 %)
    under a header naming the first cycles' 1.842 Ah."""
    path, cap = _table(tmp_path)
    first, last = cap[:5].mean(), cap[-5:].mean()
    report = _json_report(capsys, path, "--chemistry", chemistry)
    soh, fade = report["results"]["soh"], report["results"]["capacity_fade"]
    assert soh["soh_capacity_percent"] == pytest.approx(100 * last / first)
    assert soh["soh_percent"] == soh["soh_capacity_percent"]
    # the fade's figure against a nominal capacity: none was given
    assert fade["retention_vs_nominal"] is None
    assert any("first cycles'" in n for n in soh["notes"])

    assert main(["analyze", str(path), "--chemistry", chemistry]) == 0
    out = capsys.readouterr().out
    assert f"{first:.4g} Ah, the first cycles' capacity" in out.splitlines()[0]
    assert f"capacity {100 * last / first:.3g} %" in out
    assert "Ah nominal" not in out


def test_a_cycle_tables_soh_is_of_the_capacity_given(tmp_path, capsys):
    path, cap = _table(tmp_path)
    last = cap[-5:].mean()
    for extra in ((), ("--chemistry", "lfp")):
        report = _json_report(capsys, path, "--capacity-ah", "2", *extra)
        soh = report["results"]["soh"]
        assert soh["soh_capacity_percent"] == pytest.approx(100 * last / 2)
        assert soh["nominal_capacity_ah"] == 2
        assert report["results"]["capacity_fade"]["retention_vs_nominal"] == pytest.approx(last / 2)


# --- 2. a cell beyond the OCV table keeps the SOC warning under a raised limit ------


@pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")
def test_a_raised_cell_limit_does_not_make_the_socs_table_fit(capsys):
    """The Neware cell at 3.9-4.7 V with --cell-v-max 4.75: the warning went, the SOC
    read >= 99 % in 39 % of the samples and the report said PASS."""
    from app.reports.verdicts import Verdict, findings

    path = REAL_DATA / "neware" / "nw_regular_export_ife_example.csv"
    options = ("--chemistry", "nmc", "--capacity-ah", "0.35", "--cell-v-max", "4.75")
    report = _json_report(capsys, path, *options)
    assert report["spec"]["cell_v_max"] == 4.75
    assert any("the top of what the nmc preset's OCV table reads" in w for w in report["warnings"])
    assert "OCV table" in report["invalid_results"]["soc"]
    assert "safety" not in report["invalid_results"]  # judged against the limit given
    soc = next(f for f in findings(report) if f.diagnostic == "soc")
    assert soc.verdict is not Verdict.PASS


# --- 4. no Python warning reaches the user ------------------------------------------


def _batteryos(*argv: str, code: str | None = None):
    """The command run as the user runs it: a process of its own (its stderr is the
    user's, not pytest's captured warnings)."""
    import subprocess
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    command = ["-c", code, *argv] if code else ["-m", "app.cli", *argv]
    return subprocess.run(
        [sys.executable, *command],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": root, "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
        timeout=300,
    )


def test_a_librarys_warning_is_a_log_line_shown_with_verbose_only(tmp_path):
    code = (
        "import sys, warnings; from app.cli import cmd_analyze, main; "
        "cmd_analyze.run = lambda args: warnings.warn('Mean of empty slice', RuntimeWarning)"
        " or 0; sys.exit(main(sys.argv[1:]))"
    )
    quiet = _batteryos("analyze", "x.csv", code=code)
    assert quiet.returncode == 0 and quiet.stderr == ""
    verbose = _batteryos("-v", "analyze", "x.csv", code=code)
    assert verbose.returncode == 0 and "Mean of empty slice" in verbose.stderr


@pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")
def test_the_foxbms_can_log_prints_no_python_warning():
    can = REAL_DATA / "can"
    done = _batteryos(
        "analyze",
        str(can / "foxbms_can-log.trc"),
        "--dbc",
        str(can / "foxbms.dbc"),
        "--chemistry",
        "lfp",
        "--capacity-ah",
        "100",
    )
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and ".py:" not in done.stderr


# --- 5. recording:abc is no recording id, not a missing file ------------------------


@pytest.mark.parametrize("command", [["analyze"], ["report", "-o", "out.pdf"]])
@pytest.mark.parametrize("source", ["recording:abc", "rec:", "Recording:x1"])
def test_a_recording_without_a_number_is_named_as_such(tmp_path, capsys, command, source):
    argv = [
        command[0],
        source,
        *[str(tmp_path / a) if a.endswith(".pdf") else a for a in command[1:]],
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{source}: not a recording id: give recording:N" in err
    assert "no such file" not in err


# --- 6. --json's keys are stable -----------------------------------------------------

STABLE_KEYS = {"source", "spec", "results", "cycles", "warnings", "invalid_results"}


def test_warnings_and_invalid_results_are_always_there(tmp_path, capsys):
    """They appeared only when not empty: a script reading report["warnings"] broke on
    a clean log."""
    from app.core.spec import preset
    from app.hardware.simulator import simulate

    log = tmp_path / "clean.csv"
    spec = preset("nmc", capacity_ah=5.0)
    simulate(spec, "cycle", 7200, 5, 1).to_frame().to_csv(log, index=False)
    clean = _json_report(capsys, log, "--chemistry", "nmc", "--capacity-ah", "5")
    assert set(clean) >= STABLE_KEYS
    assert clean["warnings"] == [] and clean["invalid_results"] == {}
    table, _ = _table(tmp_path)
    for options in ((), ("--chemistry", "lfp"), ("--capacity-ah", "2")):
        report = _json_report(capsys, table, *options)
        assert set(report) >= STABLE_KEYS
        assert report["warnings"] == [] and report["invalid_results"] == {}


def test_a_cycle_tables_spec_is_the_battery_the_options_give(tmp_path, capsys):
    """spec was null for a table given --capacity-ah, and with only --chemistry it said
    the preset's 5 Ah the results do not rest on."""
    from app.core.spec import preset

    table, cap = _table(tmp_path)
    keys = set(preset("nmc").to_dict())
    assert _json_report(capsys, table)["spec"] is None  # no battery described
    given = _json_report(capsys, table, "--capacity-ah", "2")["spec"]
    assert set(given) == keys and given["capacity_ah"] == 2.0 and given["chemistry"] is None
    lfp = _json_report(capsys, table, "--chemistry", "lfp")["spec"]
    assert set(lfp) == keys and lfp["chemistry"] == "lfp" and lfp["capacity_ah"] is None
    both = _json_report(capsys, table, "--chemistry", "lfp", "--capacity-ah", "2")["spec"]
    assert both["chemistry"] == "lfp" and both["capacity_ah"] == 2.0
    # the summary and the report's cover read it
    assert main(["analyze", str(table), "--capacity-ah", "2"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith(": per-cycle table, 2 Ah (given)")
    out = tmp_path / "r.html"
    assert main(["report", str(table), "--chemistry", "lfp", "-o", str(out)]) == 0
    cover = f"lfp, 1s1p, {cap[:5].mean():.4g} Ah, the first cycles"
    assert cover in out.read_text(encoding="utf-8")


# --- 7. --timeseries writes what its name says ----------------------------------------


def test_the_timeseries_is_parquet_for_parquet_and_csv_for_csv(tmp_path, capsys):
    """``--timeseries ts.parquet`` wrote CSV under a Parquet name."""
    import pandas as pd

    from app.core.spec import preset
    from app.hardware.simulator import simulate

    log = tmp_path / "log.csv"
    simulate(preset("lfp", capacity_ah=2.0), "cycle", 3600, 5, 2).to_frame().to_csv(
        log, index=False
    )
    options = ["--chemistry", "lfp", "--capacity-ah", "2", "--json"]
    parquet, csv = tmp_path / "ts.parquet", tmp_path / "ts.csv"
    assert main(["analyze", str(log), *options, "--timeseries", str(parquet)]) == 0
    assert main(["analyze", str(log), *options, "--timeseries", str(csv)]) == 0
    capsys.readouterr()
    assert parquet.read_bytes()[:4] == b"PAR1"
    from_parquet, from_csv = pd.read_parquet(parquet), pd.read_csv(csv)
    assert list(from_parquet.columns) == list(from_csv.columns)
    assert "soc_percent" in from_parquet.columns
    np.testing.assert_allclose(from_parquet["soc_percent"], from_csv["soc_percent"], rtol=1e-5)


@pytest.mark.parametrize("name", ["ts.xlsx", "ts.txt", "ts"])
def test_a_timeseries_of_another_kind_is_refused_before_the_analysis(tmp_path, capsys, name):
    log = tmp_path / "log.csv"
    log.write_text("time_s,voltage_v,current_a\n0,3.7,0\n1,3.7,0\n", encoding="utf-8")
    out = tmp_path / name
    argv = ["analyze", str(log), "--chemistry", "nmc", "--timeseries", str(out)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and not out.exists()
    assert f"--timeseries {out}: write to .csv or .parquet" in captured.err


# --- 9. wording -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "text"), [(0, "0 limit events"), (1, "1 limit event)"), (2, "2 limit events")]
)
def test_the_safety_line_counts_its_events_in_words(n, text):
    """It said "critical (1 limit events)"."""
    import io

    from app.cli.cmd_analyze import print_summary

    event = {"severity": "critical", "check": "cell_over_voltage", "channel": "cell_1",
             "worst_value": 4.7, "limit": 4.2, "start_time_s": 0.0, "end_time_s": 1.0}  # fmt: skip
    safety = {"status": "critical", "events": [event] * n}
    results = dict.fromkeys(
        ("soc", "soh", "internal_resistance", "capacity_fade", "cell_balance", "thermal")
    )
    report = {"source": "x", "spec": None, "cycles": []}
    report["results"] = {**results, "safety": safety, "cycle_life": None, "faults": []}
    out = io.StringIO()
    print_summary(report, out)
    (line,) = [ln for ln in out.getvalue().splitlines() if ln.startswith("  safety")]
    assert line == f"  safety        critical ({text}" + ("" if text.endswith(")") else ")")


def test_record_and_alerts_history_say_the_same_of_an_alert_up_at_the_end(tmp_path, capsys):
    """``record`` said "2 still up at the end", ``alerts history`` "cleared" of the same
    alerts: they were stored as cleared when the source ended, with no time in the
    samples, which the window's pages word as "up when its source ended"."""
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    source = "sim://nmc?cells=4&speed=0&fault=over_voltage&fault_at=10&profile=cccv&soc=90"
    assert main(["--db", url, "record", source, "--duration", "1800"]) == 0
    out = capsys.readouterr().out
    assert "alerts: 2 raised, 2 up when the source ended" in out
    assert main(["--db", url, "alerts", "history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert all(" up when its source ended" in ln and " cleared" not in ln for ln in lines)
    assert main(["--db", url, "alerts", "history", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert {i["state"] for i in items} == {"cleared"}  # as stored, and the window reads it
    assert {i["cleared_time_s"] for i in items} == {None}
    assert {i["state_text"] for i in items} == {
        "up when its source ended",
        "up when its source ended, not acknowledged",
    }


def test_analyze_and_the_spread_alert_say_what_each_spread_is(tmp_path, capsys):
    """A simulated 4-cell cycle: analyze said the cells were balanced (max 287 mV) and
    `alerts evaluate` warned of a 287 mV spread, neither saying the alert takes every
    sample -- the end of the discharge, 5 % SOC under load -- and the balance 20-95 %."""
    log = tmp_path / "sim.csv"
    argv = ["simulate", "--cells", "4", "--profile", "cycle", "-o", str(log)]
    assert main(argv) == 0
    assert main(["analyze", str(log)]) == 0
    out = capsys.readouterr().out
    (line,) = [ln for ln in out.splitlines() if ln.startswith("  cell balance")]
    assert line.startswith("  cell balance  ok: spread") and "20-95 % SOC" in line
    assert "at any SOC and load, as the spread alert takes it) - cells balanced" in line
    assert main(["alerts", "evaluate", str(log)]) == 0
    out = capsys.readouterr().out
    assert "cell_spread_mv above 50" in out
    assert "cell_spread_mv is the spread at every sample, under load and at any SOC" in out


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["analyze", "x.csv", "--capacity-ah", "-1"], "'-1' must be a positive number"),
        (["analyze", "x.csv", "--chemistry", "lipo"], "invalid choice: 'lipo'"),
        (["report", "x.csv"], "the following arguments are required: -o/--output"),
        (["analyse", "x.csv"], "invalid choice: 'analyse'"),
    ],
)
def test_a_usage_error_is_one_line(capsys, argv, said):
    """DESIGN.md: errors are one clear line on stderr; argparse printed the
    sub-command's whole usage (12 lines for analyze) above it."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and said in err and "--help` lists the options" in err
    assert err.startswith("batteryos")


def test_a_table_of_unknown_columns_says_how_to_map_them(tmp_path, capsys):
    """'map the columns by hand' named no way to on the command line: the line now
    names the window's Map columns, convert --mapping and the canonical names."""
    path = tmp_path / "bench.csv"
    path.write_text("a,b,c\n1,2,3\n4,5,6\n", encoding="utf-8")
    assert main(["analyze", str(path), "--chemistry", "nmc", "--capacity-ah", "1"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "map the columns by hand: in the window" in err
    assert f"`batteryos convert {path} --mapping MAPPING.json -o OUT.csv`" in err
    assert "name the columns time_s, voltage_v, current_a" in err
