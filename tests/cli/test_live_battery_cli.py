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
