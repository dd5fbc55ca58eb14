"""The runaway-onset test on a lone cold cell: with no other cell to compare with, the
Joule heating taken off its rate is at its resistance at its own temperature, not the
spec's at 25 degC (see "A cold lone cell" in :mod:`app.diagnostics.faults.thermal`)."""

from __future__ import annotations

from app.core.spec import preset
from app.diagnostics.faults import FaultKind, detect_faults
from app.hardware.simulator import Fault, NoiseSpec, simulate

NMC1 = preset("nmc", series_cells=1, capacity_ah=0.5)


def _onsets(block):
    return [
        (f.channel, f.start_time_s)
        for f in detect_faults(block, NMC1).faults
        if f.kind == FaultKind.THERMAL_RUNAWAY_ONSET
    ]


def test_cold_lone_cell_discharge_heat_is_no_runaway():
    # a clean, noise-free 1-cell NMC pack at -10 degC, 1.5C discharge from rest: its
    # R is ~2.9 times the spec's, and its I^2 R heat (2.5 degC/min) less the spec's
    # (1.6) read as 0.87 degC/min of unexplained, rising heat: a critical onset at 25 s
    block = simulate(NMC1, "cc", duration_s=300, seed=1, noise=None, ambient_c=-10.0, c_rate=-1.5)
    assert _onsets(block) == []


def test_cold_lone_cell_cycle_start_is_no_runaway():
    # bench_clean_hunt.py's seed 9504 (NMC, 1 cell, 0.5 Ah, cycle, -10 degC, noise x2,
    # 2 Hz): an onset at 90 s (own rate 1.4, excess 0.79 degC/min), and six in 24 h
    spec = NMC1
    block = simulate(
        spec,
        "cycle",
        duration_s=120,
        dt_s=0.5,
        seed=9504,
        noise=NoiseSpec.typical(spec, 2.0),
        ambient_c=-10.0,
        capacity_spread=0.02,
        resistance_spread=0.08,
        soc_spread_pct=0.0,
    )
    assert _onsets(block) == []


def test_cold_lone_cell_runaway_is_still_found():
    # the same cold lone cell in its 1.5C discharge, a runaway from 120 s
    block = simulate(
        NMC1,
        "cc",
        duration_s=300,
        seed=1,
        noise=NoiseSpec.typical(NMC1),
        ambient_c=-10.0,
        c_rate=-1.5,
        faults=[Fault("thermal_runaway", 120.0, cell=1)],
    )
    onsets = _onsets(block)
    assert onsets and onsets[0][0] == "cell_1_temp_c"
    assert 120.0 <= onsets[0][1] <= 180.0
