"""The simulated cells' resistances follow the Arrhenius law of their own temperature,
and their RC time constants with them (C constant: tau = f(T) * tau at 25 degC)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

import app.hardware.simulator.pack as pack
from app.core.spec import (
    GAS_CONSTANT_J_PER_MOL_K,
    RESISTANCE_ACTIVATION_J_PER_MOL,
    RESISTANCE_REFERENCE_TEMP_C,
    preset,
    resistance_temperature_factor,
)
from app.hardware.simulator import PackSimulator, simulate
from app.hardware.simulator.model import FACTOR_BLOCK_STEPS, block_step_sums, rc_recurrence
from app.hardware.simulator.profiles import CurrentStep, Profile

FLAT = preset("nmc", series_cells=1).with_ocv_table([0, 100], [3.7, 3.7])
R0 = FLAT.ecm.for_capacity(FLAT.capacity_ah)["r0_ohm"]
#: the flat cell with a huge heat capacity: it stays at its ambient through a pulse
ISOTHERMAL = replace(FLAT, ecm=replace(FLAT.ecm, heat_capacity_j_per_k_ah=1e15))


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


def overpotential(ambient_c: float, pulse_a: float, pulse_s: int, n: int) -> np.ndarray:
    """The isothermal cell's RC voltages (terminal minus OCV at rest) over ``n`` s:
    a pulse of ``pulse_s`` s, then rest."""
    sim = PackSimulator(
        ISOTHERMAL,
        steps((pulse_a, pulse_s), (0.0, n)),
        capacity_spread=0,
        resistance_spread=0,
        ambient_c=ambient_c,
        initial_soc_pct=80,
    )
    return sim.run_block(n)["cell_1_v"] - 3.7


@pytest.mark.parametrize("ambient_c", [0.0, 25.0, 45.0])
def test_rc_pairs_relax_with_time_constants_f_times_longer(ambient_c):
    # the exact 2-RC solution with R = f R_25 and tau = f tau_25 (C constant)
    f = resistance_temperature_factor(ISOTHERMAL.chemistry, ambient_c)
    p = ISOTHERMAL.ecm.for_capacity(ISOTHERMAL.capacity_ah)
    t = np.arange(1200.0)
    expected = np.zeros_like(t)
    for r, c in ((p["r1_ohm"], p["c1_f"]), (p["r2_ohm"], p["c2_f"])):
        tau = f * r * c
        v_end = -5.0 * f * r * (1.0 - math.exp(-300.0 / tau))
        expected += np.where(
            t <= 300.0, -5.0 * f * r * (1.0 - np.exp(-t / tau)), v_end * np.exp(-(t - 300.0) / tau)
        )
    got = overpotential(ambient_c, -5.0, 300, 1200)
    got[:300] += 5.0 * f * p["r0_ohm"]  # R0's drop while the current flows
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_a_cell_at_twice_the_resistance_relaxes_twice_as_slowly():
    # where the Arrhenius factor is 2 every time constant doubles: the cold cell's
    # overpotential after a pulse twice as long is the warm one's at twice the time
    # and twice the voltage (at 25 degC the same pulse relaxes ~2x faster)
    ea = RESISTANCE_ACTIVATION_J_PER_MOL[ISOTHERMAL.chemistry]
    ref_k = RESISTANCE_REFERENCE_TEMP_C + 273.15
    cold_c = 1.0 / (1.0 / ref_k + math.log(2.0) * GAS_CONSTANT_J_PER_MOL_K / ea) - 273.15
    assert resistance_temperature_factor(ISOTHERMAL.chemistry, cold_c) == pytest.approx(2.0)
    warm = overpotential(25.0, -5.0, 100, 1000)
    cold = overpotential(cold_c, -5.0, 200, 2000)
    after = np.arange(100, 1000)  # rest samples of the warm run (from the pulse's end)
    np.testing.assert_allclose(cold[2 * after], 2.0 * warm[after], rtol=1e-6)

    # the time the overpotential takes to fall to 1/3 of its value at the pulse's end
    def third(v, start):
        return int(np.argmax(np.abs(v[start:]) < np.abs(v[start]) / 3.0))

    assert third(cold, 200) == pytest.approx(2 * third(warm, 100), abs=1)


def test_rc_recurrence_with_varying_coefficients_matches_a_plain_loop():
    rng = np.random.default_rng(3)
    m, n = 3000, 3
    inv_f = rng.uniform(0.2, 2.5, size=(m, n))  # 1/f: hot and cold steps
    scale = 0.3  # dt/tau: several re-anchored blocks over 3000 steps
    cum = np.vstack([np.zeros(n), np.cumsum(inv_f, axis=0)])
    drive, r = rng.normal(size=(m, n)), np.array([0.01, 0.02, 0.03])
    x0 = rng.normal(size=n) * 0.05
    expected = np.empty((m + 1, n))
    expected[0] = x0
    for k in range(m):
        a = np.exp(-scale * inv_f[k])
        expected[k + 1] = a * expected[k] + (1.0 - a) * r * drive[k]
    got = rc_recurrence(x0, cum, scale, drive, r, scale * inv_f.max())
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-13)
    # the closed-form sums of values held over blocks are their cumulative sums
    starts = rng.uniform(0.5, 2.0, size=(40, n))
    for m in (1, 16, 17, 633):
        held = np.repeat(starts, FACTOR_BLOCK_STEPS, axis=0)[:m]
        sums = np.vstack([np.zeros(n), np.cumsum(held, axis=0)])
        np.testing.assert_allclose(block_step_sums(starts, m), sums, rtol=1e-12)


def cold_run(chem: str, sizes: list[int] | None) -> dict[str, np.ndarray]:
    spec = preset(chem, series_cells=4)
    sim = PackSimulator(spec, "cycle", seed=7, ambient_c=0.0)
    if sizes is None:
        block = sim.run_block(6000)
        return {k: block[k] for k in block.columns}
    blocks = [sim.run_block(n) for n in sizes]
    return {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0].columns}


@pytest.mark.parametrize("chem", ["nmc", "lead_acid"])
def test_a_cold_run_is_the_same_whatever_blocks_it_is_read_in(chem):
    whole = cold_run(chem, None)
    rng = np.random.default_rng(0)
    cuts = np.sort(rng.choice(np.arange(1, 6000), size=40, replace=False))
    sizes = [1, 1, 2, *np.diff(np.concatenate(([4], cuts[cuts > 4], [6000]))).tolist()]
    assert sum(sizes) == 6000
    pieces = cold_run(chem, sizes)
    assert whole.keys() == pieces.keys()
    for k in whole:
        np.testing.assert_array_equal(pieces[k], whole[k], err_msg=k)


@pytest.mark.parametrize(
    ("chem", "profile", "ambient_c", "tol_v"),
    [("nmc", "drive", 0.0, 1e-3), ("nmc", "hppc", 25.0, 0.5e-3), ("lfp", "drive", 10.0, 0.5e-3)],
)
def test_chunks_agree_with_a_step_by_step_solution(monkeypatch, chem, profile, ambient_c, tol_v):
    # chunks of one step take each step's factor from its own temperature (no
    # predictor, no ramp): the chunked solution is within half a millivolt of it
    # (a millivolt for cold cells on a drive cycle, whose heat changes fastest)
    spec = preset(chem, series_cells=3)
    kw = dict(duration_s=4000, seed=2, ambient_c=ambient_c, initial_soc_pct=90)
    chunked = simulate(spec, profile, **kw)
    monkeypatch.setattr(pack, "CHUNK_STEPS", 1)
    monkeypatch.setattr(pack, "CV_CHUNK_STEPS", 1)
    stepped = simulate(spec, profile, **kw)
    np.testing.assert_array_equal(chunked["current_a"], stepped["current_a"])
    assert np.ptp(stepped["temperature_c"]) > 0.2  # the cells do warm
    for k in range(1, 4):
        v = f"cell_{k}_v"
        assert np.abs(chunked[v] - stepped[v]).max() < tol_v
        t = f"cell_{k}_temp_c"
        assert np.abs(chunked[t] - stepped[t]).max() < 0.005
