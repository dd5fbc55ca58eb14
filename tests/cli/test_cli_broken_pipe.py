"""`batteryos analyze FILE | head`: the reader leaving early is no error of ours."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.real_data import REAL_DATA


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
def test_a_reader_that_leaves_early_gets_no_traceback():
    path = REAL_DATA / "capacity" / "nasa_B0005_capacity.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "analyze", str(path), "--capacity-ah", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # gone before the summary is written (the interpreter starts first)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 1
    assert err == ""
