"""Injected faults and sensor noise show where they should, from their onset."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.errors import BatteryOSError
from app.core.spec import preset
from app.hardware.simulator import Fault, FaultKind, NoiseSpec, PackSimulator, simulate
from app.hardware.simulator.faults import default_noisy_sigma

NMC4 = preset("nmc", series_cells=4)


def others_mean(block, column: str, cell: int, n: int = 4) -> np.ndarray:
    return np.mean([block[column.format(k)] for k in range(1, n + 1) if k != cell], axis=0)


def test_internal_short_drains_and_heats_its_cell():
    fault = Fault(FaultKind.INTERNAL_SHORT, onset_s=600, cell=2)
    sim = PackSimulator(NMC4, "rest", faults=[fault], initial_soc_pct=60)
    block = sim.run_block(4 * 3600)
    gap = block["cell_2_v"] - others_mean(block, "cell_{}_v", 2)
    assert abs(gap[599] - gap[0]) < 1e-9  # nothing before the onset
    assert gap[-1] < gap[599] - 0.02  # falls against the others at the same (zero) current
    assert np.all(np.diff(gap[600:]) < 0)
    soc = sim.soc_pct
    assert soc[1] < 60 - 15 and np.allclose(soc[[0, 2, 3]], 60)
    # heat V^2/R: after ~10 thermal time constants the rise is near P/h
    t_rise = block["cell_2_temp_c"][-1] - 25.0
    p_w = block["cell_2_v"][-1] ** 2 / (50.0 / sim.cells.capacity_ah[1])
    h = sim.cells.cooling_w_per_k[1]
    assert t_rise == pytest.approx(p_w / h, rel=0.1)
    assert np.allclose(others_mean(block, "cell_{}_temp_c", 2)[-1], 25.0)


def test_internal_short_under_load_keeps_the_pack_balance_of_charge():
    # the short's own current bypasses the cell: the other cells still see the pack current
    fault = Fault(FaultKind.INTERNAL_SHORT, onset_s=0, cell=3, resistance_ohm=5.0)
    sim = PackSimulator(NMC4, "drive", faults=[fault], seed=1, include_truth=True)
    soc0 = sim.soc_pct
    block = sim.run_block(3600)
    ah = block["current_a"].sum() / 3600
    cell_ah = (sim.soc_pct - soc0) / 100 * sim.cells.capacity_ah
    np.testing.assert_allclose(cell_ah[[0, 1, 3]], ah, rtol=1e-3)
    short_ah = -(block["cell_3_v"] / 5.0).sum() / 3600
    assert cell_ah[2] == pytest.approx(ah + short_ah, rel=1e-3)


def test_over_voltage_charger_pushes_past_the_limit():
    fault = Fault(FaultKind.OVER_VOLTAGE, onset_s=0)
    block = simulate(NMC4, "cccv", duration_s=4 * 3600, faults=[fault], initial_soc_pct=50)
    v = np.vstack([block[f"cell_{k}_v"] for k in range(1, 5)])
    assert v.max() > NMC4.cell_v_max + 0.1
    assert np.all(block["current_a"] == pytest.approx(0.5 * NMC4.capacity_ah))  # no taper
    assert block["voltage_v"].max() > NMC4.pack_v_max


def test_over_voltage_from_its_onset_only():
    # C/2 from 50 % reaches the limit after ~1 h; the charger turns faulty at 30 min
    fault = Fault(FaultKind.OVER_VOLTAGE, onset_s=1800)
    ok = simulate(NMC4, "cccv", duration_s=3 * 3600, initial_soc_pct=50)
    bad = simulate(NMC4, "cccv", duration_s=3 * 3600, faults=[fault], initial_soc_pct=50)
    v_ok = np.vstack([ok[f"cell_{k}_v"] for k in range(1, 5)]).max(axis=0)
    v_bad = np.vstack([bad[f"cell_{k}_v"] for k in range(1, 5)]).max(axis=0)
    np.testing.assert_allclose(v_bad[:1800], v_ok[:1800], atol=1e-12)
    assert v_ok.max() <= NMC4.cell_v_max + 1e-9
    assert v_bad.max() > NMC4.cell_v_max + 0.05


def test_thermal_runaway_accelerates_then_the_voltage_collapses():
    fault = Fault(FaultKind.THERMAL_RUNAWAY, onset_s=120, cell=3)
    block = simulate(NMC4, "rest", duration_s=1200, faults=[fault])
    temp = block["cell_3_temp_c"]
    assert temp[120] == pytest.approx(25.0)
    rates = [temp[t + 30] - temp[t] for t in (150, 210, 270, 330)]
    assert all(b > 2 * a for a, b in zip(rates, rates[1:], strict=False))  # exponential
    assert temp.max() > 500
    assert block["temperature_c"].max() == temp.max()  # the hottest sensor reports it
    hot = np.flatnonzero(temp >= 150)[0]
    assert block["cell_3_v"][hot - 1] > 3.5
    assert block["cell_3_v"][hot + 60] < 0.1  # collapsed
    assert np.all(block["cell_1_v"] > 3.5)  # the others carry on


@pytest.mark.parametrize("chem", ["nmc", "lfp"])
def test_thermal_runaway_onset_is_a_self_heating_rate_of_1_k_per_min(chem):
    """An onset is a self-heating rate (an ARC's definition, whatever the chemistry):
    1 K/min on an NMC cell and on an LFP cell alike. (An onset power of 0.25 W/Ah gave
    the LFP cell, 30 J/K/Ah against NMC's 15, 0.5 K/min: its onset was declared one
    doubling earlier in the same take-off.)"""
    spec = preset(chem, series_cells=4)
    fault = Fault(FaultKind.THERMAL_RUNAWAY, onset_s=300, cell=2)
    block = simulate(spec, "rest", duration_s=420, faults=[fault])
    excess = block["cell_2_temp_c"] - others_mean(block, "cell_{}_temp_c", 2)
    assert excess[299] == pytest.approx(0.0, abs=1e-9)
    # the rate over the onset's first 6 s (the e-fold is 60 s: 5 % above the onset's)
    rate_k_per_min = (excess[306] - excess[300]) / 6.0 * 60.0
    assert rate_k_per_min == pytest.approx(1.0, rel=0.1)


LEAD4 = preset("lead_acid", series_cells=4)


def test_lead_acid_runaway_on_float_current_rises_with_temperature_at_held_voltage():
    """On float the charger holds the pack voltage; the runaway's recombination
    current flows through every cell, heats each by V*I and doubles per 10 degC."""
    onset = 1800
    fault = Fault(FaultKind.THERMAL_RUNAWAY, onset_s=onset, cell=2)
    block = simulate(LEAD4, "float", duration_s=onset + 1200, faults=[fault])
    v, i = block["voltage_v"], block["current_a"]
    temp = np.vstack([block[f"cell_{k}_temp_c"] for k in range(1, 5)]).mean(axis=0)
    assert np.ptp(v[600:]) < 1e-3  # held (until the charger's current limit)
    assert i[onset - 1] < 0.01 * LEAD4.capacity_ah  # a settled float: ~no current
    i0 = 0.25 * LEAD4.capacity_ah / 2.27  # the onset heat, 0.25 W/Ah at the float voltage
    assert i[onset + 1] == pytest.approx(i0, rel=0.02)
    # current and temperature rise together: I = I0 * 2**(dT/10)
    for t in (onset + 120, onset + 600):
        dt = temp[t] - 25.0
        assert dt > 0.5
        assert i[t] == pytest.approx(i0 * 2 ** (dt / 10.0), rel=0.02)
    # heat V*I per cell: dT/dt at the onset ~ V*I0/C
    c = 35.0 * LEAD4.capacity_ah
    rate = (temp[onset + 60] - temp[onset]) / 60.0
    assert rate == pytest.approx(2.27 * i0 / c, rel=0.1)
    # every cell alike: the string carries one current
    cells = [block[f"cell_{k}_temp_c"][onset + 600] for k in range(1, 5)]
    assert np.ptp(cells) < 0.05


def test_lead_acid_runaway_needs_a_charger():
    """At rest (no charger) a lead-acid runaway fault heats nothing."""
    fault = Fault(FaultKind.THERMAL_RUNAWAY, onset_s=300, cell=2)
    a = simulate(LEAD4, "rest", duration_s=1800)
    b = simulate(LEAD4, "rest", duration_s=1800, faults=[fault])
    np.testing.assert_array_equal(a["cell_2_temp_c"], b["cell_2_temp_c"])


def test_float_profile_is_lead_acid_only():
    with pytest.raises(BatteryOSError, match="float profile is for lead-acid"):
        simulate(NMC4, "float", duration_s=10)


def test_stuck_sensor_holds_its_last_value_even_across_blocks():
    fault = Fault(FaultKind.SENSOR_STUCK, onset_s=500, channel="cell_2_v")
    clean = PackSimulator(NMC4, "drive", seed=3)
    stuck = PackSimulator(NMC4, "drive", seed=3, faults=[fault])
    a = clean.run_block(1000)
    b = np.concatenate([stuck.run_block(500)["cell_2_v"], stuck.run_block(500)["cell_2_v"]])
    np.testing.assert_array_equal(b[:500], a["cell_2_v"][:500])
    assert np.all(b[500:] == a["cell_2_v"][499])
    assert np.ptp(a["cell_2_v"][500:]) > 0.01  # the true value kept moving


def test_noisy_sensor_adds_big_noise_to_its_channel_only():
    fault = Fault(FaultKind.SENSOR_NOISY, onset_s=300, channel="current_a")
    a = simulate(NMC4, "drive", duration_s=2000, seed=3)
    b = simulate(NMC4, "drive", duration_s=2000, seed=3, faults=[fault])
    diff = b["current_a"] - a["current_a"]
    assert np.all(diff[:300] == 0)
    sigma = default_noisy_sigma("current_a", NMC4.capacity_ah)
    assert np.std(diff[300:]) == pytest.approx(sigma, rel=0.1)
    np.testing.assert_allclose(a["voltage_v"], b["voltage_v"], rtol=1e-14)


def test_dropout_sensor_reads_nan_and_the_hottest_sensor_skips_it():
    faults = [
        Fault(FaultKind.SENSOR_DROPOUT, onset_s=100, channel="voltage_v"),
        Fault(FaultKind.SENSOR_DROPOUT, onset_s=100, channel="cell_1_temp_c"),
    ]
    block = simulate(NMC4, "cycle", duration_s=600, faults=faults)
    assert np.all(np.isfinite(block["voltage_v"][:100]))
    assert np.all(np.isnan(block["voltage_v"][100:]))
    assert np.all(np.isnan(block["cell_1_temp_c"][100:]))
    assert np.all(np.isfinite(block["temperature_c"]))


def test_faults_naming_missing_cells_or_channels_are_user_errors():
    with pytest.raises(BatteryOSError, match="cell 7 does not exist"):
        PackSimulator(NMC4, faults=[Fault(FaultKind.INTERNAL_SHORT, cell=7)])
    with pytest.raises(BatteryOSError, match="unknown channel 'cell_9_v'"):
        PackSimulator(NMC4, faults=[Fault(FaultKind.SENSOR_STUCK, channel="cell_9_v")])
    with pytest.raises(BatteryOSError, match="unknown fault 'melt'"):
        FaultKind.parse("melt")


def test_noise_is_seeded_and_of_the_stated_size():
    noise = NoiseSpec.typical(NMC4)
    a = simulate(NMC4, "drive", duration_s=5000, seed=5, noise=noise)
    b = simulate(NMC4, "drive", duration_s=5000, seed=5, noise=noise)
    c = simulate(NMC4, "drive", duration_s=5000, seed=6, noise=noise)
    clean = simulate(NMC4, "drive", duration_s=5000, seed=5)
    for name in a.columns:
        np.testing.assert_array_equal(a[name], b[name])
    assert not np.array_equal(a["cell_1_v"], c["cell_1_v"])
    assert np.std(a["cell_1_v"] - clean["cell_1_v"]) == pytest.approx(noise.voltage_v, rel=0.1)
    assert np.std(a["voltage_v"] - clean["voltage_v"]) == pytest.approx(
        2 * noise.voltage_v, rel=0.1
    )
    assert np.std(a["current_a"] - clean["current_a"]) == pytest.approx(noise.current_a, rel=0.1)
    assert np.std(a["cell_2_temp_c"] - clean["cell_2_temp_c"]) == pytest.approx(
        noise.temperature_c, rel=0.1
    )
    np.testing.assert_array_equal(a["step_index"], clean["step_index"])


def test_output_does_not_depend_on_the_block_size():
    noise = NoiseSpec.typical(NMC4)
    fault = Fault(FaultKind.SENSOR_NOISY, onset_s=1000, channel="cell_1_temp_c")
    one = PackSimulator(NMC4, "cycle", seed=9, noise=noise, faults=[fault]).run_block(9000)
    sim = PackSimulator(NMC4, "cycle", seed=9, noise=noise, faults=[fault])
    parts = [sim.run_block(n) for n in (1, 999, 3000, 1234, 3766)]
    for name in one.columns:
        joined = np.concatenate([p[name] for p in parts])
        np.testing.assert_allclose(joined, one[name], rtol=0, atol=1e-9, err_msg=name)
