"""The analyze summary as an engineer reads it: every figure with its unit, as the
window's card and the report give it."""

from __future__ import annotations

import pytest

from app.cli import main
from tests.real_data import REAL_DATA


@pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")
def test_the_safety_events_of_the_arbin_fast_charge_carry_amperes(capsys):
    # the A123 cell's 6 A charge against the LFP preset's 4C of 1.1 Ah: the event read
    # "6.601 vs limit 4.4", the fault under it "6.60 A (limit 4.40 A)"
    path = str(REAL_DATA / "arbin" / "2017-05-09_test-TC-contact_CH33.csv")
    assert main(["analyze", path, "--chemistry", "lfp", "--capacity-ah", "1.1"]) == 0
    out = capsys.readouterr().out
    event = next(ln for ln in out.splitlines() if "over_current_charge on current_a" in ln)
    assert "6.60 A vs limit 4.40 A" in event, event
    fault = next(ln for ln in out.splitlines() if "over_current on current_a" in ln)
    assert "6.60 A (limit 4.40 A)" in fault, fault


def test_a_simulated_over_voltage_event_reads_in_volts(tmp_path, capsys):
    log = tmp_path / "tr.csv"
    fault = ["--fault", "thermal_runaway", "--fault-at", "900", "--fault-cell", "3"]
    assert main(["simulate", "--cells", "4", *fault, "-o", str(log)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(log)]) == 0
    out = capsys.readouterr().out
    event = next(ln for ln in out.splitlines() if "cell_under_voltage on cell_3_v" in ln)
    assert ": 0.000 V vs limit 2.500 V at " in event, event
