import numpy as np
import pandas as pd
import pytest

from app.diagnostics.cycles import detect_cycles, summarize_cycles


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
