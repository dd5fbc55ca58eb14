"""Load profiles: their shape, their steps and where they stop."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.errors import BatteryOSError
from app.core.spec import preset
from app.hardware.simulator import PackSimulator, make_profile, simulate


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of each run of True in ``mask``."""
    edges = np.diff(np.concatenate(([0], mask.astype(int), [0])))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return list(zip(starts.tolist(), (stops - starts).tolist(), strict=True))


def test_hppc_pulses_soc_steps_and_stop_at_cutoff():
    spec = preset("lfp", series_cells=2)  # LFP: 0.75C regen is within its charge limit
    one_c = spec.capacity_ah
    # from 95 %: at 100 % the steep top of the OCV puts a 0.75C charge pulse over the
    # 3.6 V limit at once, and the profile (rightly) cuts it short
    sim = PackSimulator(spec, "hppc", dt_s=1.0, seed=3, capacity_spread=0, initial_soc_pct=95)
    block = sim.run_block(14 * 3600)
    i, step, cycle = block["current_a"], block["step_index"], block["cycle_index"]
    first = cycle == 1
    assert [int((first & (step == s)).sum()) for s in range(1, 7)] == [10, 40, 10, 40, 360, 3600]
    np.testing.assert_allclose(i[first & (step == 1)], -one_c)
    np.testing.assert_allclose(i[first & (step == 3)], 0.75 * one_c)
    assert np.all(i[first & ((step == 2) | (step == 4) | (step == 6))] == 0)
    # pulse sets every 10 % down to the cut-off, then the final rest
    assert cycle.max() >= 9
    assert step[-1] == 7 and i[-1] == 0
    assert sim.soc_pct.max() < 5


def test_hppc_soc_step_removes_ten_percent():
    spec = preset("lfp", series_cells=1)
    sim = PackSimulator(spec, "hppc", seed=1, capacity_spread=0, include_truth=True)
    block = sim.run_block(2 * 3600)
    soc, step, cycle = block["true_cell_1_soc_pct"], block["step_index"], block["cycle_index"]
    idx = np.flatnonzero((step == 5) & (cycle == 1))
    drop = soc[idx[0]] - soc[idx[-1] + 1]
    assert drop == pytest.approx(10.0, abs=0.01)


def test_drive_is_seeded_smooth_discharge_dominated_with_regen():
    spec = preset("nmc", series_cells=2)
    a = simulate(spec, "drive", duration_s=3600, dt_s=0.1, seed=1)["current_a"]
    b = simulate(spec, "drive", duration_s=3600, dt_s=0.1, seed=1)["current_a"]
    c = simulate(spec, "drive", duration_s=3600, dt_s=0.1, seed=2)["current_a"]
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert a.mean() < -0.05 * spec.capacity_ah  # discharge-dominated
    assert 0.05 < (a > 0).mean() < 0.5  # regen pulses
    assert a.max() <= spec.max_charge_current_a
    assert a.min() == pytest.approx(-0.9 * spec.max_discharge_current_a, rel=0.01)  # 90 % of 1.5C
    assert np.abs(np.diff(a)).max() < 0.05 * abs(a.min())  # smooth at 10 Hz
    # it is a repeated trace, not a constant: many distinct accelerations
    assert len(runs(a > 0)) > 20


def test_drive_recharges_after_the_cutoff_and_drives_again():
    spec = preset("nmc", series_cells=3)
    block = simulate(spec, "drive", duration_s=30 * 3600, dt_s=2.0, initial_soc_pct=30, seed=4)
    step, cycle = block["step_index"], block["cycle_index"]
    assert set(np.unique(step)) == {1, 2, 3, 4, 5}
    assert cycle.max() >= 2
    # the first drive ended at the cut-off of the lowest cell
    end = runs(step == 1)[0]
    last = end[0] + end[1] - 1
    v_low = min(block[f"cell_{k}_v"][last] for k in (1, 2, 3))
    assert v_low < spec.cell_v_min + 0.1


def test_drive_from_full_blends_regen_instead_of_overcharging():
    spec = preset("nmc", series_cells=2)
    block = simulate(spec, "drive", duration_s=1800, initial_soc_pct=100, seed=0)
    v = np.vstack([block["cell_1_v"], block["cell_2_v"]])
    assert v.max() <= spec.cell_v_max
    assert (block["current_a"] > 0).any()  # regen came back after the block


def test_cycle_repeats_discharge_rest_charge_rest():
    spec = preset("nmc", series_cells=2)
    block = simulate(spec, "cycle", duration_s=20 * 3600, dt_s=2.0, seed=0)
    step, cycle, i = block["step_index"], block["cycle_index"], block["current_a"]
    order = step[np.flatnonzero(np.diff(step)) + 1]
    assert list(order[:9]) == [2, 3, 4, 5, 1, 2, 3, 4, 5]
    assert cycle.max() >= 3 and np.all(np.diff(cycle) >= 0)
    assert np.all(i[step == 1] == pytest.approx(-spec.capacity_ah))
    assert np.all(i[step == 3] == pytest.approx(0.5 * spec.capacity_ah))
    assert np.all(i[(step == 2) | (step == 5)] == 0)


@pytest.mark.parametrize(("c_rate", "limit"), [(-1.0, "cell_v_min"), (0.5, "cell_v_max")])
def test_cc_runs_to_the_voltage_limit_then_rests(c_rate, limit):
    spec = preset("nmc", series_cells=2)
    block = simulate(spec, "cc", duration_s=4 * 3600, c_rate=c_rate, seed=0)
    i = block["current_a"]
    loaded = np.flatnonzero(i != 0)
    assert np.all(i[loaded] == pytest.approx(c_rate * spec.capacity_ah))
    assert np.all(i[loaded[-1] + 1 :] == 0) and loaded[-1] < len(i) - 100
    v = np.vstack([block["cell_1_v"], block["cell_2_v"]])[:, loaded[-1]]
    edge = getattr(spec, limit)
    assert np.abs(v - edge).min() < 0.02


def test_rest_is_flat():
    block = simulate(preset("nmc", series_cells=2), "rest", duration_s=600)
    assert np.all(block["current_a"] == 0)
    assert np.ptp(block["voltage_v"]) == 0


def test_unknown_profile_is_a_user_error():
    with pytest.raises(BatteryOSError, match="unknown profile 'zigzag'"):
        make_profile("zigzag", preset("nmc"), 1.0, np.random.default_rng())


@pytest.mark.parametrize(("chemistry", "seed"), [("nmc", 0), ("lfp", 3), ("nmc", 7)])
def test_charging_to_the_limit_never_reads_above_it(chemistry, seed):
    """The CV phase holds the highest cell at its limit, not a round-off above:
    the safety monitor must see no over-voltage in a clean cycle."""
    from app.diagnostics.safety import monitor_safety

    spec = preset(chemistry, series_cells=4)
    block = simulate(spec, "cycle", duration_s=8 * 3600, dt_s=1.0, seed=seed)
    cells = np.vstack([block[f"cell_{k}_v"] for k in range(1, 5)])
    assert (block["step_index"] > 0).any() and cells.max() <= spec.cell_v_max
    assert cells.max() > spec.cell_v_max - 1e-3  # it did charge up to the limit
    events = monitor_safety(block, spec).to_dict()["events"]
    assert [e for e in events if e["check"] == "cell_over_voltage"] == []


@pytest.mark.parametrize("chemistry", ["nmc", "lfp", "lead_acid"])
@pytest.mark.parametrize("profile", ["cycle", "drive", "hppc", "cccv"])
def test_no_profile_sits_on_the_spec_current_limits(chemistry, profile):
    # a current set on the rating reads over it half the time with sensor noise: every
    # profile keeps 10 % under the limits (the lead-acid cycle's 1C discharge sat on its
    # 1C rating, its C/2 charge on its C/4 one)
    spec = preset(chemistry)
    block = simulate(spec, profile, duration_s=30000, seed=2)
    i = block["current_a"]
    assert i.max() <= 0.9 * spec.max_charge_current_a + 1e-9
    assert -i.min() <= 0.9 * spec.max_discharge_current_a + 1e-9


def test_lead_acid_cycles_at_its_5_hour_rate():
    spec = preset("lead_acid")
    block = simulate(spec, "cycle", duration_s=30000, seed=2)
    i = block["current_a"]
    assert -i.min() == pytest.approx(0.2 * spec.capacity_ah)  # C/5 discharge
    assert i.max() == pytest.approx(0.2 * spec.capacity_ah)  # C/5 charge
    nmc = preset("nmc")
    i = simulate(nmc, "cycle", duration_s=10000, seed=2)["current_a"]
    assert (-i.min(), i.max()) == pytest.approx((1.0 * nmc.capacity_ah, 0.5 * nmc.capacity_ah))
