"""The runaway-onset test on a clean pack from a load step at the log's start: its
high-resistance cells' heat is no runaway (see "A log's start under a load" in
:mod:`app.diagnostics.faults.thermal`)."""

from __future__ import annotations

import pytest

from app.core.spec import preset
from app.diagnostics.faults import FaultKind, detect_faults
from app.hardware.simulator import NoiseSpec, simulate

NMC16 = preset("nmc", series_cells=16)


@pytest.mark.parametrize("profile", ["cc", "cycle"])
def test_resistance_heat_after_a_cold_load_step_is_no_runaway(profile):
    # a clean 16-cell NMC pack at 0 degC, 1C discharge from rest at the log's first
    # sample, 8 % resistance spread: cell 14's excess heat (a 0.12 degC/min ramp, its
    # share of the pack's warming) lifted a noise wobble to a critical runaway onset
    # at 194 s, z 5.5, with too little history to take that share off
    block = simulate(
        NMC16,
        profile,
        duration_s=240,
        seed=401,
        noise=NoiseSpec.typical(NMC16),
        ambient_c=0.0,
        capacity_spread=0.02,
        resistance_spread=0.08,
        **({"c_rate": -1.0} if profile == "cc" else {}),
    )
    onsets = [
        (f.channel, f.start_time_s)
        for f in detect_faults(block, NMC16).faults
        if f.kind == FaultKind.THERMAL_RUNAWAY_ONSET
    ]
    assert onsets == []
