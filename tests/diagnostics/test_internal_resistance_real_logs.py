"""Internal resistance on real cycler logs (read-only fixtures, see tests/real_data.py)."""

from __future__ import annotations

import pytest

from app.core.spec import preset
from app.diagnostics import measure_internal_resistance
from app.hardware.logs.formats import open_log
from tests.real_data import REAL_DATA

pytestmark = pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")


def test_a_log_sampled_every_30_s_reads_no_ohmic_2_s_or_10_s_resistance():
    # Neware, 0.33 Ah cell: each CC step from rest is logged at its start (the
    # cycler's onset current) and then 30 s later, first at the settled level
    frame = open_log(str(REAL_DATA / "neware" / "nw_regular_export_ife_example.csv")).frame
    ir = measure_internal_resistance(frame, preset("nmc", capacity_ah=0.33))
    assert ir.n_pulses == 40
    first = ir.pulses[1]  # the discharge from rest at 491 s
    assert first["start_time_s"] == 491.0 and first["from_rest"]
    # the 30 s sample is what the log has: (4.2521 - 4.3907) V / -0.47417 A
    assert first["r_30s_ohm"] == pytest.approx(0.1386 / 0.47417, rel=1e-3)
    assert first["r_ohmic_ohm"] is None
    assert first["r_2s_ohm"] is None and first["r_10s_ohm"] is None
    assert ir.median_r_10s_ohm is None and ir.median_r_ohmic_ohm is None


def test_a_log_sampled_every_second_keeps_its_readings():
    # Arbin, A123 1.1 Ah LFP: the 6C -> 1C step at 190 s, 1.5 s to the level
    frame = open_log(str(REAL_DATA / "arbin" / "2017-05-09_test-TC-contact_CH33.csv")).frame
    ir = measure_internal_resistance(frame, preset("lfp", capacity_ah=1.1))
    (pulse,) = ir.pulses
    assert all(pulse[k] is not None for k in ("r_ohmic_ohm", "r_2s_ohm", "r_10s_ohm"))
    assert 0.015 < pulse["r_10s_ohm"] < 0.05  # tens of mOhm: an 18650 LFP cell


def test_a_step_down_of_the_charge_current_is_a_charge_pulse():
    # Arbin: 6C charge (6.6 A) to 3.6 V, then 1C charge (1.1 A); the cell never discharges
    frame = open_log(str(REAL_DATA / "arbin" / "2017-05-09_test-TC-contact_CH33.csv")).frame
    (pulse,) = measure_internal_resistance(frame, preset("lfp", capacity_ah=1.1)).pulses
    assert pulse["current_before_a"] == pytest.approx(6.6, abs=0.01)
    assert pulse["current_a"] == pytest.approx(-5.5, abs=0.01)  # the step
    assert pulse["direction"] == "charge"
    assert pulse["c_rate"] == pytest.approx(1.0, abs=0.01)
