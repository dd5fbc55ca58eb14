"""Outputs are checked before any reading: a log is never written over by its own
report or time series, and a missing folder is said at once."""

from __future__ import annotations

import pytest

from app.cli import main


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "log.csv"
    assert main(["simulate", "--cells", "2", "--duration", "600", "-o", str(path)]) == 0
    return path


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["report", "{log}", "-o", "{log}"], "-o"),
        (["analyze", "{log}", "--timeseries", "{log}"], "--timeseries"),
        (["convert", "{log}", "-o", "{same}"], "-o"),
        (["record", "file://{log}", "-o", "{log}"], "-o"),
    ],
)
def test_an_output_over_the_log_being_read_is_refused(log, capsys, argv, option):
    before = log.read_bytes()
    same = log.parent / "." / log.name  # another spelling of the same file
    argv = [a.format(log=log, same=same) for a in argv]
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"{option} " in err and "is the log being read: it would be overwritten" in err
    assert log.read_bytes() == before


def test_two_outputs_into_one_file_are_refused(log, tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main(["convert", str(log), "-o", str(out), "--cycles", str(out)]) == 2
    assert "--cycles and -o both write" in capsys.readouterr().err
    assert not out.exists()


def test_a_report_into_a_missing_folder_is_refused_before_the_analysis(log, tmp_path, capsys):
    out = tmp_path / "no" / "r.pdf"
    assert main(["report", str(log), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write: there is no folder {tmp_path / 'no'}" in err
    assert len(err.strip().splitlines()) == 1
