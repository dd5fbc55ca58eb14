"""The beginning-of-life resistance of a live source from the command line: the source
URL's ``bol_resistance_ohm`` (record, serve), ``--bol-resistance-ohm`` (serve)."""

from __future__ import annotations

import pytest

from app.cli import main


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "bol_resistance_ohm=0 is not a cell's resistance"),
        ("-0.02", "bol_resistance_ohm=-0.02 is not a cell's resistance"),
        ("abc", "bol_resistance_ohm='abc' is not a valid float"),
    ],
)
def test_record_names_a_bad_resistance_in_the_url(tmp_path, capsys, value, message):
    out = tmp_path / "rec.csv"
    url = f"sim://nmc?cells=2&speed=0&duration=60&bol_resistance_ohm={value}"
    assert main(["record", url, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_serve_refuses_a_resistance_without_its_battery(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'b.db'}"
    args = ["--db", db, "serve", "--port", "0", "--source", "sim://nmc"]
    assert main([*args, "--bol-resistance-ohm", "0.02"]) == 2
    err = capsys.readouterr().err
    assert "--bol-resistance-ohm needs --chemistry" in err and "Traceback" not in err


@pytest.mark.parametrize("value", ["0", "-1"])
def test_serve_refuses_a_resistance_that_is_none(tmp_path, capsys, value):
    db = f"sqlite:///{tmp_path / 'b.db'}"
    args = ["--db", db, "serve", "--port", "0", "--source", "sim://nmc", "--chemistry", "nmc"]
    with pytest.raises(SystemExit) as done:
        main([*args, f"--bol-resistance-ohm={value}"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert f"'{value}' must be a positive number" in err and "Traceback" not in err


# --- serve --source with battery options: they must agree with the URL's battery ---
LFP16 = "chemistry=lfp&capacity_ah=100&cells=16"


@pytest.fixture
def served(monkeypatch):
    """``serve`` runs until its server is stopped: here it stops at once, and the battery
    of the live session (not started) is kept."""
    from app.api import server, session

    specs = []

    def stop_at_once(_self):
        raise KeyboardInterrupt

    monkeypatch.setattr(server.ApiServer, "wait", stop_at_once)
    monkeypatch.setattr(session.HeadlessLiveSession, "start", lambda s: specs.append(s.source.spec))
    return specs


def _serve(tmp_path, source, *options):
    db = f"sqlite:///{tmp_path / 'b.db'}"
    return main(["--db", db, "serve", "--port", "0", "--source", source, *options])


@pytest.mark.parametrize(
    ("source", "options", "message"),
    [
        (
            "sim://lfp?cells=16&speed=0",
            ["--chemistry", "nmc"],
            "chemistry is lfp in the URL but nmc",
        ),
        ("sim://lfp?cells=16&speed=0", ["--cells", "4"], "cells is 16 in the URL but 4"),
        (
            f"file:///x.csv?{LFP16}",
            ["--chemistry", "lfp", "--cells", "4"],
            "cells is 16 in the URL",
        ),
        (f"file:///x.csv?{LFP16}", ["--capacity-ah", "50"], "capacity_ah is 100 in the URL but 50"),
        (
            f"serial:///dev/null?protocol=jk&{LFP16}&bol_resistance_ohm=0.001",
            ["--chemistry", "lfp", "--bol-resistance-ohm", "0.002"],
            "bol_resistance_ohm is 0.001 in the URL but 0.002",
        ),
    ],
)
def test_serve_refuses_battery_options_that_disagree_with_the_url(
    tmp_path, capsys, served, source, options, message
):
    assert _serve(tmp_path, source, *options) == 2
    err = capsys.readouterr().err
    assert message in err and "which is meant?" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert served == []  # nothing was served


@pytest.mark.parametrize(
    ("source", "options"),
    [
        (f"file:///x.csv?{LFP16}", ["--chemistry", "lfp"]),  # the URL gives the rest
        (f"file:///x.csv?{LFP16}", ["--cells", "16", "--capacity-ah", "100.0"]),
        ("file:///x.csv?chemistry=lfp", ["--cells", "16", "--capacity-ah", "100"]),
        ("sim://lfp?cells=16&capacity_ah=100&speed=0", ["--chemistry", "lfp"]),
        ("sim://?speed=0", ["--chemistry", "lfp", "--cells", "16", "--capacity-ah", "100"]),
    ],
)
def test_serve_takes_battery_options_that_agree_with_the_url_or_fill_it_in(
    tmp_path, capsys, served, source, options
):
    assert _serve(tmp_path, source, *options) == 0, capsys.readouterr().err
    (spec,) = served
    assert (spec.chemistry.value, spec.series_cells, spec.capacity_ah) == ("lfp", 16, 100.0)


def test_serve_options_fill_in_over_a_simulators_size_and_a_log_files_own_battery(
    tmp_path, capsys, served
):
    # sim:// names no chemistry (the simulator's default): its cells are still the URL's
    assert _serve(tmp_path, "sim://?cells=4&speed=0", "--chemistry", "lfp") == 0
    # a log file's own battery (its '# spec:' line: LFP, 4 cells, 50 Ah) under --capacity-ah
    log = tmp_path / "lfp4.csv"
    assert main(["simulate", "--chemistry", "lfp", "--cells", "4", "--capacity-ah", "50",
                 "--duration", "60", "-o", str(log)]) == 0  # fmt: skip
    assert _serve(tmp_path, f"file://{log}", "--capacity-ah", "60") == 0
    sim, from_log = served
    assert (sim.chemistry.value, sim.series_cells) == ("lfp", 4)
    assert (from_log.chemistry.value, from_log.series_cells, from_log.capacity_ah) == (
        "lfp",
        4,
        60.0,
    )
    # a log that cannot be read: one line, nothing served
    capsys.readouterr()
    assert _serve(tmp_path, f"file://{tmp_path / 'gone.csv'}", "--chemistry", "lfp") == 2
    err = capsys.readouterr().err
    assert "gone.csv" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert len(served) == 2


def test_record_names_both_values_of_a_battery_parameter_given_twice_in_its_url(tmp_path, capsys):
    """The URL can disagree with itself (as with an option: see below)."""
    out = tmp_path / "rec.csv"
    assert main(["record", "sim://lfp?cells=16&speed=0&duration=60&cells=4", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "parameter cells given twice, cells=16 and cells=4: which is meant?" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


# --- record with battery and limit options: the live engine's alerts use them ---
SIM2 = "sim://nmc?cells=2&speed=0&rate_hz=10"


def _record(tmp_path, capsys, *options):
    out = tmp_path / "rec.csv"
    code = main(["record", SIM2, "--duration", "300", "-o", str(out), *options])
    captured = capsys.readouterr()
    return code, captured.out, captured.err, out


def test_record_checks_the_samples_against_a_lowered_cell_voltage_limit(tmp_path, capsys):
    """`record` had no limit options (its battery was the URL's): a bench engineer's
    lower cell limit could not be watched while recording."""
    code, out, err, _ = _record(tmp_path, capsys)
    assert code == 0, err
    assert "limits: cell 2.5-4.2 V" in out and "alert raised" not in out
    code, out, err, path = _record(tmp_path, capsys, "--cell-v-max", "3.9")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("battery: nmc 2s1p") and "cell 2.5-3.9 V" in lines[0]
    raised = [ln for ln in lines if ln.startswith("alert raised")]
    assert raised and "cell_v_max above 3.905" in raised[0]
    assert "alerts: " in lines[-1] and "raised" in lines[-1]
    # the recording names the battery it was checked against
    from app.hardware.logs.canonical_csv import read_canonical_csv

    assert read_canonical_csv(str(path)).spec.cell_v_max == 3.9


def test_record_of_a_log_file_judges_its_current_against_the_option(tmp_path, capsys):
    """A replayed log's own battery (its '# spec:' line) under --max-discharge-c: the
    simulator's 1C discharge is over a 0.2C limit. (The simulator itself keeps within
    the limits it is given, so a log made without them is replayed.)"""
    log = tmp_path / "made.csv"
    made = ["simulate", "--cells", "2", "--capacity-ah", "5", "--duration", "120", "-o", str(log)]
    assert main(made) == 0
    capsys.readouterr()
    out = tmp_path / "copy.csv"
    assert main(["record", f"file://{log}", "-o", str(out), "--max-discharge-c", "0.2"]) == 0
    text = capsys.readouterr().out
    assert "discharge 1 A (0.2C)" in text.splitlines()[0]
    raised = [ln for ln in text.splitlines() if ln.startswith("alert raised")]
    assert any("current_a below -1.05" in ln for ln in raised), text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--cells", "4"], "cells is 2 in the URL but 4"),
        (["--cell-v-max", "2.0"], "cell voltage limits out of order"),
        (["--bol-resistance-ohm", "0.02"], "--bol-resistance-ohm needs --chemistry"),
    ],
)
def test_record_refuses_battery_options_that_do_not_fit_in_one_line(
    tmp_path, capsys, options, message
):
    code, out, err, path = _record(tmp_path, capsys, *options)
    assert code == 2 and message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not path.exists()
