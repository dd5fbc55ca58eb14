"""SOH on real cycler logs (read-only fixtures, see tests/real_data.py)."""

from __future__ import annotations

import pytest

from app.core.spec import preset
from app.diagnostics import calculate_soh, measure_internal_resistance
from app.hardware.logs.formats import open_log
from tests.real_data import REAL_DATA

pytestmark = pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")


def test_pulses_without_a_fitted_r0_are_not_called_missing():
    # the Neware log (30 s logging) has 40 CC steps from rest: pulses, read from the
    # samples; too few samples around each step for the fit that gives R0
    frame = open_log(str(REAL_DATA / "neware" / "nw_regular_export_ife_example.csv")).frame
    spec = preset("nmc", capacity_ah=0.33)
    ir = measure_internal_resistance(frame, spec)
    assert ir.n_pulses == 40 and ir.median_r0_cell_ohm is None
    soh = calculate_soh(frame, spec)
    assert soh.resistance_ohm is None
    assert "no resistance: 40 current pulses found, none gave a fitted ohmic R0 per cell" in (
        soh.notes
    )
