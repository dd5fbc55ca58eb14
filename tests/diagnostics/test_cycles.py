import numpy as np
import pandas as pd
import pytest

from app.diagnostics.cycles import detect_cycles, summarize_cycles, summarize_steps


def cycling_frame(cycles=3, capacity=2.0, current=1.0, dt=1.0, with_index=False):
    """Charge for capacity/current h then discharge the same, `cycles` times, 60 s rest between."""
    seg = int(capacity / current * 3600 / dt)
    rest = int(60 / dt)
    i = np.concatenate(
        [np.r_[np.full(seg, current), np.zeros(rest), np.full(seg, -current), np.zeros(rest)]]
        * cycles
    )
    t = np.arange(len(i)) * dt
    v = np.where(i > 0, 4.1, np.where(i < 0, 3.6, 3.8))
    df = pd.DataFrame(
        {"time_s": t, "voltage_v": v, "current_a": i, "temperature_c": 25.0 + (i != 0)}
    )
    if with_index:
        df["cycle_index"] = np.repeat(np.arange(1, cycles + 1), 2 * seg + 2 * rest)
    return df


@pytest.mark.parametrize("with_index", [False, True])
def test_capacity_energy_and_efficiency_per_cycle(with_index):
    df = cycling_frame(with_index=with_index)
    cyc = summarize_cycles(df, capacity_ah=2.0)
    assert list(cyc["cycle_index"]) == [1, 2, 3]
    assert np.allclose(cyc["charge_capacity_ah"], 2.0, rtol=1e-3)
    assert np.allclose(cyc["discharge_capacity_ah"], 2.0, rtol=1e-3)
    assert np.allclose(cyc["charge_energy_wh"], 2.0 * 4.1, rtol=1e-3)
    assert np.allclose(cyc["discharge_energy_wh"], 2.0 * 3.6, rtol=1e-3)
    assert np.allclose(cyc["coulombic_efficiency"].astype(float), 1.0, atol=1e-3)
    assert np.allclose(cyc["energy_efficiency"].astype(float), 3.6 / 4.1, atol=1e-3)
    assert list(cyc["end_of_charge_voltage_v"]) == [4.1] * 3
    assert list(cyc["max_temperature_c"]) == [26.0] * 3


def test_cycle_detection_from_current_sign():
    i = np.array([0, 1, 1, 0, -1, -1, 0, 1, 1, -1, 0, 1])
    assert list(detect_cycles(i, 0.5)) == [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3]


def test_capacity_counts_uneven_sampling():
    # 1 A for one hour sampled irregularly: 1 Ah however it is sampled
    rng = np.random.default_rng(1)
    t = np.sort(np.r_[0, rng.uniform(0, 3600, 500), 3600])
    df = pd.DataFrame({"time_s": t, "voltage_v": 3.7, "current_a": -1.0})
    cyc = summarize_cycles(df)
    assert cyc["discharge_capacity_ah"].iloc[0] == pytest.approx(1.0, rel=1e-9)


def test_partial_cycle_gets_no_efficiency():
    # a log that starts mid-charge: 1.3 Ah in, 2 Ah out is no cycle efficiency of 1.5
    t = np.arange(0, 3600 * 3.3, 1.0)
    i = np.where(t < 3600 * 1.3, 1.0, -1.0)
    i[t >= 3600 * 3.3 - 1] = 0.0
    df = pd.DataFrame({"time_s": t, "voltage_v": 3.7, "current_a": i})
    cyc = summarize_cycles(df, capacity_ah=2.0)
    assert cyc["coulombic_efficiency"].iloc[0] is None


def test_dcir_from_the_current_steps_of_each_cycle():
    # a 20 mOhm cell: every step of 1 A moves the voltage 20 mV at once, plus 1 mV/s of polarisation
    # for the first 10 s, so the 10-s resistance is (20 + 10) mV / 1 A = 30 mOhm
    df = cycling_frame(cycles=2, with_index=True)
    i = df["current_a"].to_numpy()
    t = df["time_s"].to_numpy()
    starts = np.flatnonzero(np.diff(i) != 0) + 1
    v = np.full(len(i), 3.8)
    since = np.zeros(len(i))
    for s in starts:
        since[s:] = t[s:] - t[s]
    v = 3.8 + 0.020 * i + 0.001 * np.minimum(since, 10.0) * np.sign(i)
    df["voltage_v"] = v
    cyc = summarize_cycles(df, capacity_ah=2.0)
    # steps from rest into charge or discharge; the log starts charging (no level before it),
    # and steps back to rest are no pulses
    assert list(cyc["n_pulses"]) == [1, 2]
    np.testing.assert_allclose(cyc["dcir_ohm"].astype(float), 0.030, rtol=1e-6)


def test_no_dcir_without_steps():
    t = np.arange(0, 100.0)
    df = pd.DataFrame({"time_s": t, "voltage_v": 3.7, "current_a": 0.0})
    cyc = summarize_cycles(df)
    assert cyc["dcir_ohm"].iloc[0] is None and cyc["n_pulses"].iloc[0] == 0


@pytest.mark.parametrize("with_steps", [False, True])
def test_step_table(with_steps):
    df = cycling_frame(cycles=2, with_index=True)
    if with_steps:
        i = df["current_a"].to_numpy()
        df["step_index"] = np.where(i > 0, 1, np.where(i < 0, 3, 2))
    steps = summarize_steps(df, capacity_ah=2.0)
    assert list(steps["kind"]) == ["charge", "rest", "discharge", "rest"] * 2
    assert list(steps["cycle_index"]) == [1] * 4 + [2] * 4
    charge = steps.iloc[0]
    assert charge["charge_capacity_ah"] == pytest.approx(2.0, rel=1e-3)
    assert charge["duration_s"] == pytest.approx(7199.0)
    assert charge["end_voltage_v"] == 4.1
    assert steps.iloc[2]["discharge_energy_wh"] == pytest.approx(2.0 * 3.6, rel=1e-3)
    assert (steps["step_index"].notna().all()) == with_steps
