"""Physics of the pack model: discretisation, charge balance, OCV, heat, limits."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app.core.errors import BatteryOSError
from app.core.spec import Chemistry, preset
from app.diagnostics.internal_resistance import measure_internal_resistance
from app.hardware.simulator import PROFILES, PackSimulator, simulate
from app.hardware.simulator.cells import extended_ocv_table, make_cells
from app.hardware.simulator.faults import Fault, FaultKind
from app.hardware.simulator.model import linear_recurrence
from app.hardware.simulator.noise import NoiseSpec
from app.hardware.simulator.profiles import CurrentStep, Profile


def cells_v(block, n: int) -> np.ndarray:
    return np.vstack([block[f"cell_{k}_v"] for k in range(1, n + 1)])


def rest_after(current_a: float, seconds: float, dt_s: float = 1.0) -> Profile:
    """A constant current for ``seconds``, then rest for ever."""
    return Profile("test", [CurrentStep(current_a, seconds, dt_s)], dt_s)


@pytest.mark.parametrize("rate", [0.01, 0.5, 3.0, 80.0])
def test_linear_recurrence_matches_a_plain_loop(rate):
    rng = np.random.default_rng(1)
    m, n = 3000, 3  # 3000 steps of rate 0.5 need several sub-blocks
    a = np.exp(-rate * np.array([1.0, 0.5, 1.3]))
    u = rng.normal(size=(m, n))
    x0 = rng.normal(size=n)
    expected = np.empty((m + 1, n))
    expected[0] = x0
    for k in range(m):
        expected[k + 1] = a * expected[k] + u[k]
    np.testing.assert_allclose(linear_recurrence(x0, a, u), expected, rtol=1e-9, atol=1e-12)


def test_step_response_is_the_exact_2rc_solution():
    # flat OCV and no spread: v[k] = OCV + I*R0 + I*R1*(1-a1^k) + I*R2*(1-a2^k), at a
    # constant temperature (a cell of huge heat capacity: its resistances stay at 25 degC)
    spec = preset("nmc", series_cells=1).with_ocv_table([0, 100], [3.7, 3.7])
    spec = replace(spec, ecm=replace(spec.ecm, heat_capacity_j_per_k_ah=1e15))
    sim = PackSimulator(
        spec, rest_after(-5.0, 600.0), capacity_spread=0, resistance_spread=0, initial_soc_pct=80
    )
    v = sim.run_block(600)["cell_1_v"]
    p = spec.ecm.for_capacity(spec.capacity_ah)
    k = np.arange(600)
    tau1, tau2 = p["r1_ohm"] * p["c1_f"], p["r2_ohm"] * p["c2_f"]
    expected = 3.7 - 5.0 * (
        p["r0_ohm"] + p["r1_ohm"] * (1 - np.exp(-k / tau1)) + p["r2_ohm"] * (1 - np.exp(-k / tau2))
    )
    np.testing.assert_allclose(v, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("profile", ["drive", "cycle", "hppc"])
def test_coulomb_count_matches_every_cells_soc_change(profile):
    spec = preset("nmc", series_cells=4)
    sim = PackSimulator(spec, profile, dt_s=1.0, seed=2)
    soc0 = sim.soc_pct
    block = sim.run_block(4 * 3600)
    throughput_ah = block["current_a"].sum() * sim.dt_s / 3600
    cell_ah = (sim.soc_pct - soc0) / 100 * sim.cells.capacity_ah
    assert abs(throughput_ah) > 0.5  # the profile moved real charge
    np.testing.assert_allclose(cell_ah, throughput_ah, rtol=1e-3)


@pytest.mark.parametrize("chem", list(Chemistry))
def test_voltage_after_a_long_rest_is_the_ocv_of_the_table(chem):
    spec = preset(chem, series_cells=3)
    dt = 2.0
    load = rest_after(-0.5 * spec.capacity_ah, 3600, dt)
    sim = PackSimulator(spec, load, dt_s=dt, seed=4, initial_soc_pct=90)
    block = sim.run_block(round(6 * 3600 / dt))
    v_rest = cells_v(block, 3)[:, -1]
    under_load = cells_v(block, 3)[:, round(3590 / dt)]  # just before the load ends: same SOC
    expected = spec.cell_ocv(sim.soc_pct)  # the table itself, not the model's copy
    np.testing.assert_allclose(v_rest, expected, atol=0.002)
    assert np.all(v_rest - under_load > 0.005)  # it did relax up from the loaded voltage
    assert np.all(np.abs(sim.soc_pct - 40) < 2)  # 90 % minus 1 h at C/2


def test_higher_current_heats_more_and_rest_cools_back_to_ambient():
    spec = preset("nmc", series_cells=2)
    hot = {}
    for c_rate in (0.5, 1.0):
        sim = PackSimulator(
            spec, rest_after(-c_rate * 5.0, 1800), ambient_c=20.0, initial_soc_pct=100
        )
        block = sim.run_block(1800 + 4 * 3600)
        t = block["temperature_c"]
        hot[c_rate] = t[1799]
        assert np.all(np.diff(t[:1800]) > 0)  # heating while loaded
        assert np.all(np.diff(t[1800:]) < 0)  # cooling at rest
        assert t[-1] - 20.0 < 0.05 * (t[1799] - 20.0)  # back near ambient
    assert hot[0.5] > 20.5
    # I^2 R heating: twice the current, several times the temperature rise
    assert hot[1.0] - 20.0 > 3 * (hot[0.5] - 20.0)


def test_cccv_holds_the_highest_cell_at_the_limit_and_tapers():
    spec = preset("nmc", series_cells=4)
    block = simulate(spec, "cccv", duration_s=4 * 3600, dt_s=1.0, initial_soc_pct=20, seed=5)
    v = cells_v(block, 4)
    i = block["current_a"]
    step = block["step_index"]
    assert v.max() <= spec.cell_v_max + 1e-9
    cc, cv, rest = step == 1, step == 2, step == 3
    assert cc.sum() > 3600 and cv.sum() > 300 and rest.sum() > 0
    np.testing.assert_allclose(v.max(axis=0)[cv], spec.cell_v_max, atol=1e-6)
    assert np.all(np.diff(i[cv]) <= 1e-9)  # tapering
    assert i[cv][0] == pytest.approx(0.5 * 5.0, rel=0.02)  # from the CC current
    assert i[cv][-1] == pytest.approx(5.0 / 20, rel=0.02)  # down to C/20
    assert np.all(i[rest] == 0)


def test_parallel_strings_multiply_capacity_and_divide_resistance():
    one = make_cells(preset("nmc", series_cells=4), np.random.default_rng(0))
    three = make_cells(preset("nmc", series_cells=4, parallel_strings=3), np.random.default_rng(0))
    np.testing.assert_allclose(three.capacity_ah, 3 * one.capacity_ah)
    np.testing.assert_allclose(three.r0_ohm, one.r0_ohm / 3)


def test_manufacturing_spread_is_seeded_and_of_the_stated_size():
    spec = preset("nmc", series_cells=4000)
    a = make_cells(spec, np.random.default_rng(7))
    b = make_cells(spec, np.random.default_rng(7))
    c = make_cells(spec, np.random.default_rng(8))
    np.testing.assert_array_equal(a.capacity_ah, b.capacity_ah)
    assert not np.array_equal(a.capacity_ah, c.capacity_ah)
    assert np.std(a.capacity_ah / spec.capacity_ah) == pytest.approx(0.01, rel=0.1)
    assert np.std(a.r0_ohm) / np.mean(a.r0_ohm) == pytest.approx(0.03, rel=0.1)


def test_ocv_extension_keeps_the_table_inside_and_rises_beyond():
    spec = preset("lfp")
    soc, ocv = extended_ocv_table(spec)
    inside = np.linspace(0, 100, 201)
    np.testing.assert_allclose(np.interp(inside, soc, ocv), spec.cell_ocv(inside))
    assert np.interp(101, soc, ocv) >= spec.cell_v_max
    assert np.interp(120, soc, ocv) > np.interp(101, soc, ocv)
    assert np.all(np.diff(ocv) >= 0)


@pytest.mark.parametrize(
    ("chem", "profile"),
    [
        (chem, profile)
        for chem in Chemistry
        for profile in PROFILES
        if profile != "float" or chem is Chemistry.LEAD_ACID  # float: a lead-acid profile
    ],
)
def test_normal_profiles_keep_every_cell_within_its_limits(chem, profile):
    spec = preset(chem, series_cells=5)
    # float holds the string, not each cell: a string of unequal cells floats unequal
    # (the model's cells lack the gassing that equalises them; see profiles.py)
    spread = 0.0 if profile == "float" else 2.0
    block = simulate(spec, profile, duration_s=30 * 3600, dt_s=5.0, seed=11, soc_spread_pct=spread)
    v = cells_v(block, 5)
    i = block["current_a"]
    assert v.max() <= spec.cell_v_max + 1e-6
    if (i < 0).any():
        assert v[:, i < 0].min() >= spec.cell_v_min
    # the periodic samples on their grid, a step's start between two of them besides
    t = block["time_s"]
    assert (np.diff(t) > 0).all()
    np.testing.assert_array_equal(t[t % 5.0 == 0], np.arange(30 * 3600 // 5) * 5.0)


def test_the_simulated_bms_reports_a_coulomb_counted_soc_that_drifts_by_its_gain_error():
    from app.hardware.simulator.pack import BMS_CURRENT_GAIN

    spec = preset("nmc", series_cells=4)
    args = dict(seed=2, initial_soc_pct=90, c_rate=-1.0, bms_soc=True)
    block = PackSimulator(spec, "cc", include_truth=True, **args).run_block(
        1800
    )  # 30 min at 1C: 50 % out
    bms = block["soc_reported_pct"]
    assert bms[0] == 90 and np.all(bms == np.round(bms))  # whole percent, from the truth
    charge_pct = -np.sum(block["current_a"][:-1]) / 3600 / spec.capacity_ah * 100
    assert bms[-1] == round(90 - BMS_CURRENT_GAIN * charge_pct)
    truth = np.mean([block[f"true_cell_{k}_soc_pct"][-1] for k in range(1, 5)])
    assert bms[-1] < truth - 0.5  # the gain error makes it read low on discharge
    # the same counter whatever the block split, and never outside 0-100 %
    split = PackSimulator(spec, "cc", **args)
    parts = [split.run_block(n)["soc_reported_pct"] for n in (7, 1000, 793, 3000)]
    assert np.array_equal(np.concatenate(parts)[:1800], bms)
    assert np.concatenate(parts).min() >= 0 and np.concatenate(parts).max() <= 100
    assert "soc_reported_pct" not in simulate(spec, "cc", duration_s=10)


def _changes(block) -> np.ndarray:
    """Rows where the step or cycle index changes from the row before."""
    s, c = block["step_index"], block["cycle_index"]
    return np.nonzero((s[1:] != s[:-1]) | (c[1:] != c[:-1]))[0] + 1


@pytest.mark.parametrize(("profile", "dt_s", "per"), [("cycle", 10.0, 10), ("drive", 2.5, 3)])
def test_a_slow_log_is_the_control_steps_samples(profile, dt_s, per):
    """The control (cut-offs, CC -> CV, the CV loop) runs at steps of at most 1 s
    whatever the sample period: a slow log holds the values at its samples' times and,
    as a cycler's file, at each step's start between two of them; read at once or in
    blocks."""
    spec = preset("lfp", series_cells=4)
    args = dict(seed=6, bms_soc=True, include_truth=True)
    fast = simulate(spec, profile, duration_s=30000, dt_s=dt_s / per, **args)
    slow = simulate(spec, profile, duration_s=30000, dt_s=dt_s, **args)
    rows = np.union1d(np.arange(0, len(fast), per), _changes(fast))
    assert len(rows) > 30000 / dt_s  # the cycle's cut-offs fall between samples
    assert len(slow) == len(rows)
    for c in slow.columns:
        if c != "time_s":
            np.testing.assert_array_equal(slow[c], fast[c][rows], err_msg=c)
    np.testing.assert_allclose(slow["time_s"], fast["time_s"][rows], rtol=1e-12)
    on_grid = np.isin(rows, np.arange(0, len(fast), per))
    # the periodic samples stay on their grid, exactly
    np.testing.assert_array_equal(slow["time_s"][on_grid], np.arange(30000 / dt_s) * dt_s)
    # without the step starts: the periodic samples alone
    plain = simulate(spec, profile, duration_s=30000, dt_s=dt_s, step_samples=False, **args)
    assert len(plain) == 30000 / dt_s
    for c in plain.columns:
        np.testing.assert_array_equal(plain[c], slow[c][on_grid], err_msg=c)
    sim = PackSimulator(spec, profile, dt_s=dt_s, **args)
    first = sim.run_block(7)
    sim.step(5)
    assert sim.index == 12 and sim.time_s == 12 * dt_s
    rest = sim.run_block(round(30000 / dt_s) - 12)
    n7 = np.searchsorted(slow["time_s"], 7 * dt_s)
    n12 = np.searchsorted(slow["time_s"], 12 * dt_s)
    np.testing.assert_array_equal(first["cell_2_v"], slow["cell_2_v"][:n7])
    np.testing.assert_array_equal(rest["cell_2_v"], slow["cell_2_v"][n12:])
    np.testing.assert_array_equal(rest["time_s"], slow["time_s"][n12:])


@pytest.mark.parametrize("chem", ["nmc", "lfp", "lead_acid"])
def test_a_slow_log_holds_a_sample_at_each_steps_start(chem):
    """A cut-off or a timed step's end between two samples of a 10 s log: the log
    holds the control step where the next step starts (its time and values), as a
    cycler logs a point at each step's start, so its first sample is not up to 10 s
    into it."""
    spec = preset(chem, series_cells=4, capacity_ah=2.5)
    fast = simulate(spec, "cycle", duration_s=43200, dt_s=1.0, seed=7)
    slow = simulate(spec, "cycle", duration_s=43200, dt_s=10.0, seed=7)
    starts = fast["time_s"][_changes(fast)]
    assert (starts % 10 != 0).any()
    np.testing.assert_allclose(slow["time_s"][_changes(slow)], starts, rtol=0, atol=1e-9)
    assert (np.diff(slow["time_s"]) > 0).all()
    # each step's first sample is its start: the current of the new step, at once
    first = np.searchsorted(slow["time_s"], starts - 1e-9)
    at = np.searchsorted(fast["time_s"], starts - 1e-9)
    np.testing.assert_array_equal(slow["current_a"][first], fast["current_a"][at])
    np.testing.assert_array_equal(slow["cell_3_v"][first], fast["cell_3_v"][at])


@pytest.mark.parametrize("dt_s", [1.0, 0.5])
def test_a_1_s_or_faster_log_has_no_extra_samples(dt_s):
    """One control step a sample: the step starts are samples already, the log is the
    same to the bit with or without them (noise and sensor faults drawn alike)."""
    spec = preset("nmc", series_cells=3)
    args = dict(
        seed=3,
        noise=NoiseSpec.typical(spec),
        bms_soc=True,
        faults=[Fault(FaultKind.SENSOR_NOISY, onset_s=600.0, channel="cell_2_v")],
    )
    a = simulate(spec, "cycle", duration_s=20000, dt_s=dt_s, **args)
    b = simulate(spec, "cycle", duration_s=20000, dt_s=dt_s, step_samples=False, **args)
    assert len(a) == round(20000 / dt_s)
    for c in a.columns:
        np.testing.assert_array_equal(a[c], b[c], err_msg=c)


def test_a_slow_logs_pulse_reads_the_cells_r0():
    """The pulse analysis reads a step's first sample as its ohmic response: at 10 s
    without the step starts that sample is up to 10 s into the pulse's relaxation."""
    spec = preset("lfp", series_cells=4, capacity_ah=2.5)
    block = simulate(spec, "cycle", duration_s=43200, dt_s=10.0, seed=7, resistance_spread=0.0)
    ir = measure_internal_resistance(block.to_frame(), spec)
    true_r0 = float(make_cells(spec, np.random.default_rng(0), resistance_spread=0.0).r0_ohm[0])
    assert ir.n_pulses >= 2
    assert ir.median_r_ohmic_cell_ohm == pytest.approx(true_r0, rel=0.1)


def test_a_profiles_step_must_divide_the_sample_period():
    spec = preset("nmc", series_cells=2)
    with pytest.raises(BatteryOSError, match="must divide"):
        PackSimulator(spec, rest_after(-1.0, 60.0, 3.0), dt_s=10.0)
    block = PackSimulator(spec, rest_after(-1.0, 60.0, 2.0), dt_s=10.0).run_block(10)
    assert list(block["current_a"]) == [-1.0] * 6 + [0.0] * 4
