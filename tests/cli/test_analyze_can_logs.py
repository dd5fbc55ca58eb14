"""``batteryos analyze`` on CAN logs: --dbc and --can-mapping."""

from __future__ import annotations

import json
import shutil

import pytest

from app.cli import main
from tests.real_data import REAL_DATA

pytestmark = pytest.mark.skipif(REAL_DATA is None, reason="real data not found")
SPEC = ["--chemistry", "nmc", "--cells", "32", "--capacity-ah", "50"]


def test_analyze_a_foxbms_trace_with_its_dbc(tmp_path, capsys):
    trace = tmp_path / "capture.trc"
    shutil.copy(REAL_DATA / "can" / "foxbms_can-log.trc", trace)
    dbc = str(REAL_DATA / "can" / "foxbms.dbc")
    assert main(["analyze", str(trace), "--dbc", dbc, "--json", *SPEC]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["source"] == str(trace)
    assert report["results"]["cell_balance"] is not None


def test_without_a_dbc_the_error_says_to_give_one(tmp_path, capsys):
    trace = tmp_path / "capture.trc"
    shutil.copy(REAL_DATA / "can" / "foxbms_can-log.trc", trace)
    assert main(["analyze", str(trace), *SPEC]) == 2
    assert "--dbc" in capsys.readouterr().err


def test_can_mapping_needs_dbc(capsys):
    assert main(["analyze", "x.trc", "--can-mapping", "pack", *SPEC]) == 2
    assert "--can-mapping needs --dbc" in capsys.readouterr().err


def test_analyze_the_foxbms_text_log_reports_what_it_left_out(capsys):
    log = str(REAL_DATA / "can" / "foxbms_test_log.txt")  # its DBC lies beside it
    assert main(["analyze", log, "--json", "--chemistry", "nmc", "--capacity-ah", "50"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["spec"]["series_cells"] == 96  # 389 V of IVT-S voltage over 4.055 V cells
    assert any("f_StringValuesP0 (0x243)" in w for w in report["warnings"])
    balance = report["results"]["cell_balance"]
    assert balance["cells"] == 4 and balance["status"] == "ok"
    assert report["results"]["thermal"]["max_temperature_c"] is None  # no battery temperature
    # 2 s of a CAN capture is no capacity test: no end of life claimed from it
    assert report["results"]["cycle_life"]["status"] == "insufficient_data"
    assert report["results"]["capacity_fade"]["status"] == "insufficient_data"
    assert main(["analyze", log, "--chemistry", "nmc", "--capacity-ah", "50"]) == 0
    assert "warning       f_StringValuesP0 (0x243)" in capsys.readouterr().out


def test_report_and_convert_take_the_dbc_as_analyze_does(tmp_path, capsys):
    # "report capture.trc --dbc ..." was "unrecognized arguments"
    trace = tmp_path / "capture.trc"
    shutil.copy(REAL_DATA / "can" / "foxbms_can-log.trc", trace)
    dbc = str(REAL_DATA / "can" / "foxbms.dbc")
    out = tmp_path / "fox.html"
    assert main(["report", str(trace), "--dbc", dbc, "-o", str(out), *SPEC]) == 0
    assert out.stat().st_size > 0
    csv = tmp_path / "fox.csv"
    assert main(["convert", str(trace), "--dbc", dbc, "-o", str(csv)]) == 0
    assert "# decoded_with: DBC foxbms.dbc" in csv.read_text()
    capsys.readouterr()
    assert main(["convert", str(trace), "--can-mapping", "pack", "-o", str(csv)]) == 2
    assert "--can-mapping needs --dbc" in capsys.readouterr().err
    assert main(["report", "recording:1", "--dbc", dbc, "-o", str(out), *SPEC]) == 2
    assert "not recordings" in capsys.readouterr().err


def test_a_dbc_given_reads_the_log_afresh_not_its_cached_decoding(tmp_path, capsys, monkeypatch):
    """The log cache keeps a log as it was decoded: with --dbc the file itself is read."""
    from app.hardware.logs import cache

    monkeypatch.setattr(cache, "MIN_BYTES", 0)  # the foxBMS log is cached like a big one
    log = tmp_path / "foxbms_test_log.txt"
    shutil.copy(REAL_DATA / "can" / "foxbms_test_log.txt", log)
    shutil.copy(REAL_DATA / "can" / "foxbms.dbc", tmp_path / "foxbms.dbc")  # beside it
    options = ["--chemistry", "nmc", "--capacity-ah", "50"]
    assert main(["analyze", str(log), *options]) == 0  # decoded through the DBC beside it
    assert cache.load(str(log)) is not None
    other = str(REAL_DATA / "can" / "savvycan_bms.dbc")
    capsys.readouterr()
    assert main(["analyze", str(log), "--dbc", other, *options]) == 2
    assert "savvycan_bms.dbc" in capsys.readouterr().err


def test_a_cell_count_the_pack_voltage_refutes_is_refused_offline_as_live(capsys):
    # the text log's 4 cell voltages do not add up to its 389 V: the pack voltage decides
    log = str(REAL_DATA / "can" / "foxbms_test_log.txt")
    battery = ["--chemistry", "nmc", "--capacity-ah", "10"]
    assert main(["analyze", log, *battery, "--cells", "4"]) == 2
    err = capsys.readouterr().err
    assert "--cells 4: the log contradicts it: its pack voltage 389.1 V" in err
    assert "96 at its 4.055 V cells" in err and "Traceback" not in err
    assert main(["analyze", log, *battery, "--cells", "96"]) == 0
