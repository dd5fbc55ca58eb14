"""``analyze recording:ID``: a recording in the database, as ``report`` takes it (it said
"no such file")."""

from __future__ import annotations

import json

import pytest

from app.cli import main

SIM = "sim://nmc?cells=2&speed=0&rate_hz=1&duration=1800"


@pytest.fixture
def recorded(tmp_path, capsys):
    """A database with one recording (id 1) of a simulated 2-cell pack."""
    db = f"sqlite:///{tmp_path / 'rec.db'}"
    assert main(["--db", db, "record", SIM]) == 0
    capsys.readouterr()
    return db


def test_analyze_reads_a_recording_from_the_database(recorded, tmp_path, capsys):
    assert main(["--db", recorded, "analyze", "recording:1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"recording 1 ({SIM}): nmc 2s1p 5 Ah\n")
    assert "  SOC  " in out and "  safety        ok" in out
    ts = tmp_path / "ts.csv"
    assert main(["--db", recorded, "analyze", "rec:1", "--json", "--timeseries", str(ts)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["source"] == f"recording 1 ({SIM})"
    assert report["spec"]["series_cells"] == 2 and report["results"]["soc"] is not None
    assert ts.read_text().startswith("time_s,soc_percent,")
    # the same samples and battery give the report the same figures
    import pandas as pd

    out_csv = tmp_path / "r.csv"
    assert main(["--db", recorded, "report", "recording:1", "-o", str(out_csv)]) == 0
    capsys.readouterr()
    rows = pd.read_csv(out_csv).set_index(["section", "item"])["value"]
    final = float(rows[("soc", "final_soc_percent")])
    assert final == pytest.approx(report["results"]["soc"]["final_soc_percent"], rel=1e-9)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", "recording:9"], "no recording 9 in sqlite:///"),
        (["analyze", "recording:1", "--dbc", "x.dbc"], "decode CAN log files, not recordings"),
    ],
)
def test_analyze_of_a_recording_says_what_is_wrong_in_one_line(recorded, capsys, args, message):
    assert main(["--db", recorded, *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_analyze_of_a_recording_names_a_database_not_set_up(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["--db", db, "analyze", "recording:1"]) == 2
    err = capsys.readouterr().err
    assert "has no Battery OS tables: run `batteryos --db " in err and " db upgrade`" in err
