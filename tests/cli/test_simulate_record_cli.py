"""The same simulated battery to a file, recorded, and analysed from the command line."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from app.cli import main
from app.core.schema import cell_voltage_columns
from app.hardware.logs.canonical_csv import read_canonical_csv


def test_simulate_writes_canonical_csv_that_analyze_reads(tmp_path, capsys):
    out = tmp_path / "lfp.csv"
    rc = main(
        [
            "simulate",
            "--chemistry",
            "lfp",
            "--cells",
            "4",
            "--duration",
            "1800",
            "--profile",
            "drive",
            "-o",
            str(out),
        ]
    )
    assert rc == 0
    log = read_canonical_csv(str(out))
    assert len(log.frame) == 1800
    assert cell_voltage_columns(log.frame.columns) == [f"cell_{k}_v" for k in range(1, 5)]
    assert log.spec_dict["chemistry"] == "lfp" and log.spec_dict["series_cells"] == 4
    # pack voltage is the sum of its cells
    cells = log.frame[cell_voltage_columns(log.frame.columns)].sum(axis=1)
    assert (log.frame["voltage_v"] - cells).abs().max() < 1e-3
    capsys.readouterr()
    # analyze takes the battery from the file's metadata: no options needed
    assert main(["analyze", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["spec"]["chemistry"] == "lfp"
    soc = report["results"]["soc"]
    assert soc["final_soc_percent"] < soc["initial_soc_percent"]  # a drive cycle discharges


def test_simulation_is_reproducible_with_a_seed(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (a, b):
        main(["simulate", "--duration", "300", "--seed", "7", "--profile", "hppc", "-o", str(path)])
    fa = pd.read_csv(a, comment="#")
    fb = pd.read_csv(b, comment="#")
    pd.testing.assert_frame_equal(fa, fb)


def test_record_to_csv_stops_at_duration(tmp_path, capsys):
    out = tmp_path / "rec.csv"
    rc = main(
        ["record", "sim://nmc?cells=2&speed=0&rate_hz=10", "--duration", "120", "-o", str(out)]
    )
    assert rc == 0
    frame = read_canonical_csv(str(out)).frame
    assert frame["time_s"].iloc[-1] - frame["time_s"].iloc[0] == pytest.approx(120, abs=0.11)
    assert "recorded" in capsys.readouterr().out


def test_record_replays_a_file_source(tmp_path):
    src = tmp_path / "src.csv"
    main(["simulate", "--duration", "200", "-o", str(src)])
    out = tmp_path / "copy.csv"
    assert main(["record", f"file://{src}", "-o", str(out)]) == 0
    a = read_canonical_csv(str(src)).frame
    b = read_canonical_csv(str(out)).frame
    pd.testing.assert_frame_equal(a, b)


def test_record_into_the_database(db_url, capsys):
    from app.storage import Database, read_samples
    from app.storage.repositories import list_recordings

    rc = main(
        [
            "--db",
            db_url,
            "record",
            "sim://nmc?cells=3&speed=0&rate_hz=10",
            "--duration",
            "60",
            "--notes",
            "bench 3",
        ]
    )
    assert rc == 0
    assert "to recording" in capsys.readouterr().out
    with Database(db_url) as db:
        (rec,) = list_recordings(db)
        assert rec.notes == "bench 3" and rec.sample_count == 601
        assert rec.source_url.startswith("sim://nmc")
        block = read_samples(db, rec.id)
    assert len(block) == 601 and "cell_3_v" in block


def test_record_into_the_database_stores_its_alerts(db_url, capsys):
    # they were printed, but `alerts history` and `report recording:N` had none
    from app.storage import Database
    from app.storage.alert_repository import list_alert_history
    from app.storage.repositories import list_recordings

    url = "sim://nmc?cells=4&speed=0&fault=over_voltage&fault_at=10&profile=cccv&soc=90"
    assert main(["--db", db_url, "record", url, "--duration", "1800"]) == 0
    out = capsys.readouterr().out
    assert "alert raised at" in out and "2 up when the source ended" in out
    with Database(db_url) as db:
        (rec,) = list_recordings(db)
        rows = sorted(list_alert_history(db, recording_id=rec.id), key=lambda a: a.id)
    assert [(a.metric, str(a.severity)) for a in rows] == [
        ("cell_v_max", "warning"),
        ("cell_v_max", "critical"),
    ]
    first = rows[0]
    # still up when the recording ended: cleared then, as the window clears it, with
    # no time in the samples, and the worst so far
    assert first.raised_time_s > 10 and first.cleared_at is not None
    assert first.cleared_time_s is None and str(first.state) == "cleared"
    assert first.worst_value > first.value > 4.2


def test_record_stores_a_faults_last_figures_and_no_runaway_alarm_for_a_short(db_url, capsys):
    # a short on cell 2 from 300 s: the runaway alarm its heat set off (325 s) was
    # stored as 'cleared', not withdrawn as the window stores it (since then its cell's
    # voltage tells the onset test it is a short's heat: no alarm at all), and the
    # short, still up at the end, kept its figures at raise as its worst (2.5 K for ~12 K)
    from app.storage import Database
    from app.storage.alert_repository import list_alert_history

    url = "sim://nmc?cells=4&profile=drive&speed=0&fault=internal_short&fault_at=300&fault_cell=2"
    assert main(["--db", db_url, "record", url, "--duration", "900"]) == 0
    capsys.readouterr()
    with Database(db_url) as db:
        rows = {a.metric: a for a in list_alert_history(db)}
    assert "fault_thermal_runaway_onset" not in rows
    short = rows["fault_internal_short"]
    kelvin = [
        float(d.split("up to ")[1].split(" K")[0]) for d in (short.detail, short.worst_detail)
    ]
    assert kelvin[1] > 2 * kelvin[0]


def test_dead_database_is_one_line_exit_2(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "--db",
            "postgresql+psycopg://postgres@127.0.0.1:1/none",
            "record",
            "sim://nmc",
            "--duration",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "cannot connect" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fault", "over_voltage", "--profile", "hppc"], "never charges at constant voltage"),
        (
            ["--chemistry", "lead_acid", "--fault", "thermal_runaway", "--profile", "cycle"],
            "use --profile float",
        ),
    ],
)
def test_a_fault_the_profile_cannot_show_is_refused(tmp_path, capsys, args, message):
    out = tmp_path / "x.csv"
    assert main(["simulate", "--duration", "600", *args, "-o", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_over_voltage_that_never_happened_is_warned_about(tmp_path, capsys):
    out = tmp_path / "ov.csv"
    # a drive reaches its recharge only after the cut-off: not within 10 minutes
    argv = ["simulate", "--duration", "600", "--fault", "over_voltage", "--profile", "drive"]
    assert main([*argv, "-o", str(out)]) == 0
    assert "no over-voltage" in capsys.readouterr().err
    # a CC-CV charge does overshoot: no warning
    argv = ["simulate", "--duration", "3600", "--fault", "over_voltage", "--profile", "cccv"]
    assert main([*argv, "--soc", "80", "--fault-at", "0", "-o", str(out)]) == 0
    assert "no over-voltage" not in capsys.readouterr().err


def test_simulate_and_record_write_the_format_the_extension_names(tmp_path, capsys):
    # "-o x.parquet" wrote CSV text under that name
    from app.hardware.logs.formats import open_log

    pq = tmp_path / "sim.parquet"
    options = ["--chemistry", "lfp", "--cells", "3", "--capacity-ah", "4", "--duration", "600"]
    assert main(["simulate", *options, "-o", str(pq)]) == 0
    assert pq.read_bytes()[:4] == b"PAR1"
    log = open_log(str(pq), use_cache=False)
    assert len(log.frame) == 600 and log.metadata["format"] == "Canonical Parquet"
    spec = log.spec
    assert (spec.chemistry.value, spec.series_cells, spec.capacity_ah) == ("lfp", 3, 4.0)
    assert cell_voltage_columns(log.frame.columns) == ["cell_1_v", "cell_2_v", "cell_3_v"]
    bdf = tmp_path / "rec.bdf.csv"
    assert main(["record", "sim://nmc?cells=2&speed=0&duration=60", "-o", str(bdf)]) == 0
    assert bdf.read_text().startswith("test_time_second,")
    assert len(open_log(str(bdf), use_cache=False).frame) == 600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.bdf.csv", "sim.parquet"]


@pytest.mark.parametrize("command", ["simulate", "record"])
def test_a_format_without_a_writer_is_refused_before_any_work(tmp_path, capsys, command):
    out = tmp_path / "x.xlsx"
    args = ["record", "sim://nmc?cells=2&speed=0"] if command == "record" else ["simulate"]
    assert main([*args, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "x.xlsx: write to .csv, .parquet or .bdf.csv" in err
    assert len(err.strip().splitlines()) == 1 and not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["x.csv", "x.parquet"])
@pytest.mark.parametrize("command", ["simulate", "record"])
def test_an_output_folder_that_does_not_exist_is_one_line(tmp_path, capsys, command, name):
    # it was a traceback from the acquisition thread, then "processing samples failed"
    out = tmp_path / "no" / "such" / name
    args = ["record", "sim://nmc?cells=2&speed=0"] if command == "record" else ["simulate"]
    assert main([*args, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write: there is no folder {tmp_path / 'no' / 'such'}" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_stuck_sensor_needs_noise_and_is_found_with_it(tmp_path, capsys):
    # a stuck reading is told from a held one by its noise stopping: a noise-free log
    # (the default) is warned about; with --noise 1 the stuck cell is found
    args = ["simulate", "--cells", "4", "--seed", "1", "--fault", "sensor_stuck"]
    args += ["--fault-at", "900", "--duration", "2400"]
    quiet, noisy = tmp_path / "quiet.csv", tmp_path / "noisy.csv"
    assert main([*args, "-o", str(quiet)]) == 0
    assert "has no sensor noise" in capsys.readouterr().err
    assert main([*args, "--noise", "1", "-o", str(noisy)]) == 0
    assert "has no sensor noise" not in capsys.readouterr().err
    assert main(["analyze", str(noisy), "--json"]) == 0
    faults = json.loads(capsys.readouterr().out)["results"]["faults"]
    stuck = [f for f in faults if f["kind"] == "sensor_stuck"]
    assert [f["channel"] for f in stuck] == ["cell_1_v"]
    assert 900 <= stuck[0]["detail"]["detected_time_s"] <= 960


@pytest.mark.parametrize(
    ("profile", "fault_at", "hint"),
    [
        ("cycle", None, "try --profile cccv, or a longer --duration"),
        ("cccv", "3000", "try --profile cycle, an earlier --fault-at, or a longer --duration"),
        ("drive", None, "try --profile cccv or cycle, or a longer --duration"),
    ],
)
def test_the_over_voltage_hint_does_not_suggest_the_profile_given(
    tmp_path, capsys, profile, fault_at, hint
):
    # "--profile cycle" was told to "try --profile cccv or cycle"
    out = tmp_path / "ov.csv"
    argv = ["simulate", "--duration", "3600", "--fault", "over_voltage", "--profile", profile]
    argv += ["--fault-at", fault_at] if fault_at else []
    assert main([*argv, "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "no over-voltage" in err
    assert f"({hint})" in err


def test_fault_cell_of_a_charger_fault_is_refused(tmp_path, capsys):
    # over_voltage is the charger's, on every cell: --fault-cell 2 and 4 wrote one log
    out = tmp_path / "ov.csv"
    argv = ["simulate", "--cells", "4", "--profile", "cccv", "--fault", "over_voltage"]
    argv += ["--fault-cell", "2"]
    assert main([*argv, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "over_voltage fault is the charger's" in err and "leave out fault_cell" in err
    assert not out.exists()
