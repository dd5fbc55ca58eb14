"""The simulated cells' resistances follow the Arrhenius law of their own temperature."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.spec import preset, resistance_temperature_factor
from app.hardware.simulator import PackSimulator
from app.hardware.simulator.profiles import CurrentStep, Profile

FLAT = preset("nmc", series_cells=1).with_ocv_table([0, 100], [3.7, 3.7])
R0 = FLAT.ecm.for_capacity(FLAT.capacity_ah)["r0_ohm"]


def steps(*pairs: tuple[float, float]) -> Profile:
    return Profile("test", [CurrentStep(i, s, 1.0) for i, s in pairs], 1.0)


@pytest.mark.parametrize("ambient_c", [0.0, 10.0, 25.0, 40.0])
def test_a_first_pulse_reads_r0_of_the_ambient(ambient_c):
    # relaxed cells at the ambient: the first step's voltage drop is I * R0(T) exactly
    sim = PackSimulator(
        FLAT, steps((-5.0, 10.0)), resistance_spread=0, ambient_c=ambient_c, initial_soc_pct=80
    )
    v = sim.run_block(1)["cell_1_v"][0]
    expected = R0 * resistance_temperature_factor(FLAT.chemistry, ambient_c)
    assert (3.7 - v) / 5.0 == pytest.approx(expected, rel=1e-12)


def test_a_cell_warmed_by_its_load_reads_r0_of_its_temperature():
    # 1C for 20 min warms the cell ~5 K; after 20 min of rest (still ~3 K warm, RC
    # pairs relaxed) a pulse's instantaneous drop is R0 at the cell's temperature
    sim = PackSimulator(
        FLAT,
        steps((-5.0, 1200.0), (0.0, 1200.0), (-5.0, 10.0)),
        resistance_spread=0,
        initial_soc_pct=90,
    )
    block = sim.run_block(2402)
    v, temp = block["cell_1_v"], block["cell_1_temp_c"]
    assert temp[2400] > 27.0
    r_pulse = (v[2399] - v[2400]) / 5.0
    expected = R0 * resistance_temperature_factor(FLAT.chemistry, temp[2400])
    assert r_pulse == pytest.approx(expected, rel=1e-3)
    assert r_pulse < 0.95 * R0  # a warm cell is measurably less resistive


def test_cold_cells_cycle_within_their_limits_at_twice_the_resistance():
    spec = preset("nmc", series_cells=4)
    blocks, ocv = {}, {}
    for ambient_c in (25.0, 0.0):
        sim = PackSimulator(spec, "cycle", seed=3, ambient_c=ambient_c)
        ocv[ambient_c] = sim.ocv_v().sum()
        blocks[ambient_c] = sim.run_block(4 * 3600)
    warm, cold = blocks[25.0], blocks[0.0]
    for block in (warm, cold):
        cells = np.vstack([block[f"cell_{k}_v"] for k in range(1, 5)])
        assert cells.max() <= spec.cell_v_max + 1e-6  # CV holds the limit at any R
        assert block["current_a"].min() < 0 < block["current_a"].max()  # it does cycle
    # the first sample's drop under the same current: R0(0 degC) / R0(25 degC)
    ratio = (cold["voltage_v"][0] - ocv[0.0]) / (warm["voltage_v"][0] - ocv[25.0])
    assert ratio == pytest.approx(resistance_temperature_factor(spec.chemistry, 0.0), rel=1e-9)
