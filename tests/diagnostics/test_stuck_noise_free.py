"""Stuck cell sensors of noise-free logs (a BMS reading to 1 mV, a clean lab logger): no
white noise of its own tells a held reading, its peers' moves do (see
:mod:`app.diagnostics.faults.sensors`, Stuck: peers that moved)."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault, simulate
from app.hardware.simulator.noise import quantize
from tests.diagnostics.fault_splits import faults_in_blocks

ONSET_S = 1500.0


def _run(chem, cells, profile, channel, seed, resolution=None, duration_s=2400.0):
    spec = preset(chem, series_cells=cells)
    fault = Fault("sensor_stuck", ONSET_S, channel=channel)
    block = simulate(
        spec,
        profile,
        duration_s=duration_s,
        seed=seed,
        capacity_spread=0.02,
        resistance_spread=0.06,
        faults=[fault],
    )
    return spec, quantize(block, resolution)


def _detected(faults: list[dict], channel: str) -> float | None:
    hits = [f for f in faults if f["kind"] == "sensor_stuck" and f["channel"] == channel]
    return min((f["detail"]["detected_time_s"] for f in hits), default=None)


def _assert_found_within_a_minute(
    chem, cells, profile, resolution, blocks_seed, channel="cell_2_v"
):
    """``channel`` stuck from ONSET_S is found within 60 s, nothing before it, and the
    live detector fed random blocks finds what the offline one does."""
    spec, block = _run(chem, cells, profile, channel, 1, resolution)
    offline = detect_faults(block, spec).to_list()
    at = _detected(offline, channel)
    assert at is not None and 0.0 <= at - ONSET_S <= 60.0
    assert not [f for f in offline if f["detail"]["detected_time_s"] < ONSET_S]
    sizes = np.random.default_rng(blocks_seed).integers(1, 40, size=len(block))
    assert faults_in_blocks(block, spec, sizes) == offline


@pytest.mark.parametrize(
    ("chem", "cells", "resolution"),
    [("nmc", 4, None), ("lfp", 16, None), ("nmc", 4, {"cell_v": 0.001})],
)
def test_a_stuck_cell_voltage_of_a_noise_free_drive_is_found(chem, cells, resolution):
    # (its peers, in series with it, follow the load by many millivolts while it holds:
    # it was never found, having no white noise of its own)
    _assert_found_within_a_minute(chem, cells, "drive", resolution, blocks_seed=3)


def test_a_stuck_cell_temperature_of_a_noise_free_cycle_is_found():
    # (its peers warm on charge by 0.04 degC or more, four of the finest quantum a
    # temperature is read to, 0.01 degC, while it holds)
    spec, block = _run("nmc", 4, "cycle", "cell_3_temp_c", 1, duration_s=2700.0)
    offline = detect_faults(block, spec).to_list()
    at = _detected(offline, "cell_3_temp_c")
    assert at is not None and 0.0 <= at - ONSET_S <= 900.0
    sizes = np.random.default_rng(4).integers(1, 40, size=len(block))
    assert faults_in_blocks(block, spec, sizes) == offline


@pytest.mark.parametrize(("cells", "resolution"), [(4, None), (16, {"temp": 1e-4})])
def test_a_stuck_cell_temperature_of_a_noise_free_lfp_constant_current_is_found(cells, resolution):
    # (LFP's small resistance warms its cells on a 1C discharge by ~0.04 degC a minute,
    # less as they near their steady state: 4 of 0.01 degC took 64-164 s; read finely,
    # as a simulated log or one written to 6 significant digits, 4 of 0.001 degC)
    _assert_found_within_a_minute(
        "lfp", cells, "cc", resolution, blocks_seed=6, channel="cell_3_temp_c"
    )


@pytest.mark.parametrize(
    ("chem", "profile", "resolution"),
    [
        ("nmc", "hppc", None),
        ("lfp", "cccv", None),
        ("lead_acid", "drive", {"cell_v": 0.001, "temp": 1.0}),
        ("lfp", "cycle", {"cell_v": 0.001}),
    ],
)
def test_healthy_cells_of_a_noise_free_log_are_not_stuck(chem, profile, resolution):
    # (a healthy cell holds its reading at rest, or read to 1 mV while its true value
    # stays within a step; its peers hold or move with it)
    spec = preset(chem, series_cells=4)
    block = simulate(
        spec, profile, duration_s=4 * 3600, seed=2, capacity_spread=0.02, resistance_spread=0.08
    )
    faults = detect_faults(quantize(block, resolution), spec)
    assert faults.of_kind("sensor_stuck") == []


@pytest.mark.parametrize(
    ("chem", "cells", "resolution"),
    [
        ("nmc", 4, None),
        ("nmc", 16, {"cell_v": 0.001}),
        ("lfp", 4, None),
        ("lfp", 16, {"cell_v": 1e-5}),
        ("lead_acid", 4, None),
    ],
)
def test_a_stuck_cell_voltage_of_a_noise_free_constant_current_is_found(chem, cells, resolution):
    # (a held current moves no cell by R0, but each along its OCV: the least slope where
    # the held reading's OCV may be times the charge moved is >= 4 quanta within a minute;
    # on LFP's plateau 4 of a finely read cell's 0.04 mV, not 4 mV: it took 604 s; a
    # lead-acid cell at 1C, whose OCV may be over the table's top by its resistance's drop,
    # was not judged at all)
    _assert_found_within_a_minute(chem, cells, "cc", resolution, blocks_seed=5)


@pytest.mark.parametrize(("cells", "resolution"), [(4, None), (16, {"cell_v": 1e-5})])
def test_a_stuck_cell_voltage_of_a_noise_free_lfp_charge_is_found_within_a_minute(
    cells, resolution
):
    # (a C/2 CC-CV charge through LFP's flattest stretch, 0.3 mV per % SOC: the least
    # drift a healthy cell shows is 0.2 mV a minute, and 4 fine quanta of 0.05 mV took
    # 64 s; of 0.04 mV, 54 s)
    _assert_found_within_a_minute("lfp", cells, "cccv", resolution, blocks_seed=7)


@pytest.mark.parametrize(("chem", "cells"), [("lfp", 4), ("nmc", 16), ("lead_acid", 4)])
def test_healthy_cells_of_a_noise_free_constant_current_are_not_stuck(chem, cells):
    # (read to 1 mV, a healthy cell holds a reading while its OCV's drift stays within a
    # step: on LFP's plateau, or behind its peers at a plateau's end)
    spec = preset(chem, series_cells=cells)
    block = simulate(
        spec, "cc", duration_s=3 * 3600, seed=3, capacity_spread=0.02, resistance_spread=0.08
    )
    faults = detect_faults(quantize(block, {"cell_v": 0.001}), spec)
    assert faults.of_kind("sensor_stuck") == []


@pytest.mark.parametrize(
    ("chem", "profile"),
    [("lfp", "cycle"), ("lfp", "cccv"), ("nmc", "cccv"), ("lead_acid", "cycle"), ("lfp", "hppc")],
)
def test_healthy_finely_read_cells_of_a_noise_free_log_are_not_stuck(chem, profile):
    # (read to 10 uV, as ``batteryos simulate -o`` writes them: the cells below the limit
    # hold in CV while the current tapers, the load moving them against their OCV's drift,
    # and hold in the rests; the held current's drift in fine quanta is not the load's test)
    spec = preset(chem, series_cells=4)
    block = simulate(
        spec, profile, duration_s=6 * 3600, seed=4, capacity_spread=0.02, resistance_spread=0.08
    )
    faults = detect_faults(quantize(block, {"cell_v": 1e-5}), spec)
    assert faults.of_kind("sensor_stuck") == []
