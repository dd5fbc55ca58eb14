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
    """``record`` takes no battery options (its battery is the URL's): what can disagree is
    the URL with itself."""
    out = tmp_path / "rec.csv"
    assert main(["record", "sim://lfp?cells=16&speed=0&duration=60&cells=4", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "parameter cells given twice, cells=16 and cells=4: which is meant?" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
