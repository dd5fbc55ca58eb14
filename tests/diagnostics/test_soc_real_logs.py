"""SOC on real cycler logs (read-only fixtures, see tests/real_data.py)."""

from __future__ import annotations

import math

import pytest

from app.core.spec import preset
from app.diagnostics import calculate_soc
from app.hardware.logs.formats import open_log
from tests.real_data import REAL_DATA

pytestmark = pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")


def test_a_log_that_only_charges_discharged_plus_zero():
    # the Arbin log of an A123 1.1 Ah LFP cell charges at 6C, then 1C, never discharges
    frame = open_log(str(REAL_DATA / "arbin" / "2017-05-09_test-TC-contact_CH33.csv")).frame
    result, _soc = calculate_soc(frame, preset("lfp", capacity_ah=1.1))
    assert result.charge_in_ah == pytest.approx(0.603, abs=0.002)  # the cycler's counter
    assert result.charge_out_ah == 0.0
    assert math.copysign(1.0, result.charge_out_ah) == 1.0  # not -0.0 ("-0.000 Ah")
    assert result.to_dict()["charge_out_ah"] == 0.0


def test_the_lfp_cell_charged_at_6c_then_1c_does_not_end_full():
    # The A123 1.1 Ah LFP cell takes 0.603 Ah (55 % of it) from 6C then 1C and ends at
    # 3.41 V at 1C, still on its plateau (no end-of-charge knee): it ends at least 53 %
    # full (from empty, at up to 1.13 Ah) and well short of full. The filter once read
    # the 6C/1C overpotential as SOC on the flat plateau and ended at 98 % (+-1 %).
    frame = open_log(str(REAL_DATA / "arbin" / "2017-05-09_test-TC-contact_CH33.csv")).frame
    result, _soc = calculate_soc(frame, preset("lfp", capacity_ah=1.1))
    r = result.to_dict()
    assert r["initialisation"] == "load"  # not a rest voltage: the log starts at 6C
    assert 53.0 <= r["final_soc_percent"] <= 90.0
    # the band is honest about the plateau: it reaches down to a start from near empty
    assert r["final_band_low_percent"] <= 60.0 and r["final_band_high_percent"] >= 75.0
