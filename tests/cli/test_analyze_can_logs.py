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
