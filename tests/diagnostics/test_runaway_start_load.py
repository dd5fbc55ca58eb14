"""The runaway-onset test on a clean pack from a load step at the log's start: its
high-resistance cells' heat is no runaway (see "A log's start under a load" in
:mod:`app.diagnostics.faults.thermal`)."""

from __future__ import annotations

import pytest

from app.core.spec import preset
from app.diagnostics.faults import FaultKind, detect_faults
from app.hardware.simulator import Fault, NoiseSpec, simulate

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


def _cold_2c(faults=(), duration_s=150.0):
    # a clean 16-cell NMC pack at 0 degC, 2C discharge from rest at the log's first
    # sample, 8 % resistance spread (seed 404: cell 14, 19 % over the median cell)
    return simulate(
        NMC16,
        "cc",
        duration_s=duration_s,
        seed=404,
        noise=NoiseSpec.typical(NMC16),
        ambient_c=0.0,
        capacity_spread=0.02,
        resistance_spread=0.08,
        faults=list(faults),
        c_rate=-2.0,
    )


def _onsets(block):
    return [
        (f.channel, f.detail.get("detected_time_s", f.start_time_s))
        for f in detect_faults(block, NMC16).faults
        if f.kind == FaultKind.THERMAL_RUNAWAY_ONSET
    ]


def test_resistance_heat_of_a_cold_2c_start_is_no_runaway_in_the_growing_window():
    # cell 14's excess climbs at ~0.55 degC/min from the load step on (its share of a
    # pack warming at ~3 degC/min), with no history before the growing window to take
    # that share off: a critical runaway onset at 44 s, z 6.1. Its voltage shows its
    # resistance from the first bins (see "The resistance of a cell at a log's start")
    assert _onsets(_cold_2c()) == []


def test_a_runaway_of_the_most_resistive_cell_at_a_cold_2c_start_is_still_found():
    # the cell whose resistance's heat is now taken off, in runaway 5 s into the log
    onsets = _onsets(_cold_2c([Fault("thermal_runaway", 5.0, cell=14)]))
    assert [ch for ch, _ in onsets] == ["cell_14_temp_c"]
    assert onsets[0][1] - 5.0 <= 60.0
