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
