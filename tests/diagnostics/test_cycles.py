import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.diagnostics.cycles import CycleDetector, detect_cycles, summarize_cycles, summarize_steps


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
    # an hour a sample: charge 2 Ah, discharge 2 Ah, charge 2 Ah (a new cycle at its
    # first charging sample), discharge 1 Ah; the last sample's charge moves nothing
    i = np.array([0, 1, 1, 0, -1, -1, 0, 1, 1, -1, 0, 1], dtype=float)
    t = np.arange(len(i)) * 3600.0
    assert list(detect_cycles(t, i, 0.5, 0.5)) == [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]
    # a charge of less than the swing is no cycle's
    assert list(detect_cycles(t, i, 0.5, 2.5)) == [1] * 12


def test_capacity_counts_uneven_sampling():
    # 1 A for one hour sampled irregularly (1-3 s apart: no interval a time gap,
    # app.diagnostics.time_gaps): 1 Ah however it is sampled
    rng = np.random.default_rng(1)
    t = np.r_[0.0, np.cumsum(rng.uniform(1.0, 3.0, 1800))]
    t *= 3600.0 / t[-1]
    df = pd.DataFrame({"time_s": t, "voltage_v": 3.7, "current_a": -1.0})
    cyc = summarize_cycles(df)
    assert cyc["discharge_capacity_ah"].iloc[0] == pytest.approx(1.0, rel=1e-9)
    # the same with 10 min of rows lost: the current there is unknown, not counted
    lost = df[(df["time_s"] <= 1200.0) | (df["time_s"] >= 1800.0)]
    gap = lost["time_s"].diff().max()
    cyc = summarize_cycles(lost)
    assert cyc["discharge_capacity_ah"].iloc[0] == pytest.approx(1.0 - gap / 3600.0, rel=1e-9)


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


def coin_cell_frame(true_a=0.000176, logged_a=0.0002, with_counters=True, scale=1.0):
    """A coin cell cycled at 0.176 mA, its current logged rounded to 0.2 mA, and the
    cycler's own counters (per step, in 0.1 mAh steps) from the true current:
    charge 36 h, rest, discharge 36 h, rest, twice."""
    dt = 36.0
    n = 3600
    steps = [(1, n), (0, 60), (-1, n), (0, 60)] * 2
    sign = np.concatenate([np.full(k, s) for s, k in steps])
    step = np.concatenate([np.full(k, j + 1) for j, (_, k) in enumerate(steps)])
    t = np.arange(len(sign)) * dt
    ramp = (np.arange(len(sign)) % (n + 60)) / n
    v = np.where(sign > 0, 3.5 + 0.6 * ramp, np.where(sign < 0, 4.1 - 0.6 * ramp, 3.8))
    df = pd.DataFrame(
        {"time_s": t, "voltage_v": v, "current_a": sign * logged_a, "step_index": step}
    )
    if with_counters:
        true_inc = np.r_[0.0, np.abs(sign[:-1]) * true_a * dt / 3600]  # Ah counted by each sample
        for col, s in (("charge_capacity_ah", 1), ("discharge_capacity_ah", -1)):
            inc = np.where(np.r_[0, sign[:-1]] == s, true_inc, 0.0)
            per_step = pd.Series(inc).groupby(step).cumsum().to_numpy()
            df[col] = np.floor(per_step / 1e-4 + 1e-9) * 1e-4 * scale  # the cycler's 0.1 mAh
    return df


def test_cycle_capacity_is_the_cyclers_counter_not_the_rounded_current():
    # 0.176 mA logged as 0.2 mA: integrating the log gives 7.2 mAh per half, +14 %;
    # the cycler counted 6.3 mAh (its counter, not the current column, is the figure)
    df = coin_cell_frame()
    cyc = summarize_cycles(df, capacity_ah=0.007)
    assert len(cyc) == 2
    np.testing.assert_allclose(cyc["discharge_capacity_ah"], 0.0063, atol=1e-12)
    np.testing.assert_allclose(cyc["charge_capacity_ah"], 0.0063, atol=1e-12)
    assert list(cyc["capacity_source"]) == ["cycler", "cycler"]
    # no energy counters: the integrated energy scaled by the counter's capacity
    assert list(cyc["energy_source"]) == ["cycler_capacity", "cycler_capacity"]
    plain = summarize_cycles(coin_cell_frame(with_counters=False), capacity_ah=0.007)
    np.testing.assert_allclose(
        cyc["discharge_energy_wh"], plain["discharge_energy_wh"] * 0.0063 / 0.0072, rtol=1e-9
    )
    assert list(plain["capacity_source"]) == ["integrated", "integrated"]
    assert plain["discharge_capacity_ah"].iloc[0] == pytest.approx(0.0072, rel=1e-3)


def test_step_capacities_are_the_cyclers_counters_too():
    # the per-step table takes the counters as the per-cycle table does
    steps = summarize_steps(coin_cell_frame(), capacity_ah=0.007)
    assert list(steps["kind"]) == ["charge", "rest", "discharge", "rest"] * 2
    active = steps[steps["kind"] != "rest"]
    np.testing.assert_allclose(active["charge_capacity_ah"].iloc[::2], 0.0063, atol=1e-12)
    np.testing.assert_allclose(active["discharge_capacity_ah"].iloc[1::2], 0.0063, atol=1e-12)
    assert list(active["capacity_source"]) == ["cycler"] * 4
    assert list(active["energy_source"]) == ["cycler_capacity"] * 4
    cycles = summarize_cycles(coin_cell_frame(), capacity_ah=0.007)
    np.testing.assert_allclose(
        active["discharge_energy_wh"].iloc[1::2], cycles["discharge_energy_wh"], rtol=1e-12
    )
    plain = summarize_steps(coin_cell_frame(with_counters=False), capacity_ah=0.007)
    assert set(plain["capacity_source"]) == {"integrated"}
    assert plain["discharge_capacity_ah"].iloc[2] == pytest.approx(0.0072, rel=1e-3)
    # counters of another quantity (1000x) are not taken
    wrong = summarize_steps(coin_cell_frame(scale=1000.0), capacity_ah=0.007)
    assert wrong["discharge_capacity_ah"].iloc[2] == plain["discharge_capacity_ah"].iloc[2]
    assert set(wrong["capacity_source"]) == {"integrated"}


def test_a_gap_in_the_counters_leaves_those_rows_to_the_integral():
    # a counter reading missing inside a discharge would drop the charge across it:
    # that discharge (cycle and step) is integrated, the other cycle still counted
    frame = coin_cell_frame()
    discharging = np.flatnonzero(frame["current_a"].to_numpy() < 0)
    frame.loc[discharging[3 * len(discharging) // 4], "discharge_capacity_ah"] = np.nan
    plain = summarize_cycles(coin_cell_frame(with_counters=False), capacity_ah=0.007)
    cycles = summarize_cycles(frame, capacity_ah=0.007)
    assert list(cycles["capacity_source"]) == ["cycler", "integrated"]
    assert cycles["discharge_capacity_ah"].iloc[1] == plain["discharge_capacity_ah"].iloc[1]
    steps = summarize_steps(frame, capacity_ah=0.007)
    active = steps[steps["kind"] != "rest"]
    assert list(active["capacity_source"]) == ["cycler"] * 3 + ["integrated"]


def test_a_counter_that_does_not_fit_the_current_is_not_taken():
    # counters in mAh under an Ah name (1000x): the integral of the current stands
    cyc = summarize_cycles(coin_cell_frame(scale=1000.0), capacity_ah=0.007)
    assert list(cyc["capacity_source"]) == ["integrated", "integrated"]
    assert cyc["discharge_capacity_ah"].iloc[0] == pytest.approx(0.0072, rel=1e-3)


def test_counters_reset_per_step_per_cycle_or_never_give_the_same_cycles():
    from app.diagnostics.cycler_counters import counter_increments

    inc = np.array([0.0, 1.0, 1.0, 0.0, 0.5, 0.5, 0.0, 0.4])
    cumulative = np.cumsum(inc) + 7.0  # a counter running since before the log
    per_step = np.array([7.0, 1.0, 2.0, 2.0, 0.5, 1.0, 1.0, 0.4])  # reset at samples 1, 4, 7
    np.testing.assert_allclose(counter_increments(cumulative), inc)
    np.testing.assert_allclose(counter_increments(per_step), inc)
    # jitter down by a little is no reset; a missing value counts nothing
    np.testing.assert_allclose(counter_increments([1.0, 0.999, 1.5]), [0, -0.001, 0.501])
    np.testing.assert_allclose(counter_increments([1.0, np.nan, 1.5, 2.0]), [0, 0, 0, 0.5])


@pytest.mark.parametrize(
    ("chemistry", "cells", "seed", "soc", "noisy"),
    [("nmc", 3, 0, None, False), ("lfp", 1, 1, 80.0, True), ("lead_acid", 6, 2, None, False)],
)
def test_a_partial_first_and_last_cycle_are_marked_and_lose_their_efficiency(
    chemistry, cells, seed, soc, noisy
):
    # the simulator's cycle profile starts with a discharge from mid-SOC (86 % by
    # default: "CE 0.804" on the first cycle) and the log stops mid-way through a cycle
    from app.core.spec import preset
    from app.diagnostics.suite import lifetime_cycles
    from app.hardware.simulator import NoiseSpec, simulate

    spec = preset(chemistry, series_cells=cells)
    noise = NoiseSpec.typical(spec) if noisy else None
    # (lead-acid cycles at C/5 both ways: ~11 h a cycle)
    duration = 120_000 if chemistry == "lead_acid" else 55_000
    data = simulate(spec, "cycle", duration_s=duration, seed=seed, initial_soc_pct=soc, noise=noise)
    cyc = summarize_cycles(data.to_frame(), capacity_ah=spec.pack_capacity_ah)
    assert len(cyc) >= 3
    first, middle, last = cyc.iloc[0], cyc.iloc[1:-1], cyc.iloc[-1]
    assert first["charge_capacity_ah"] > first["discharge_capacity_ah"] * 1.15  # from mid-SOC
    assert first["partial"] and pd.isna(first["coulombic_efficiency"])
    assert pd.isna(first["energy_efficiency"])
    assert last["partial"] and pd.isna(last["coulombic_efficiency"])
    assert not middle["partial"].any()
    np.testing.assert_allclose(middle["coulombic_efficiency"].astype(float), 1.0, atol=0.01)
    assert list(lifetime_cycles(cyc)["cycle_index"]) == list(middle["cycle_index"])


def soc_frame(start_soc=0.0, cycles=3):
    """1 Ah cell from ``start_soc``: charge to full at 1 A, rest 60 s, discharge to
    empty at 1 A, rest 60 s, ``cycles`` times; OCV 3.0 + 1.2 * SOC, 50 mOhm."""
    i = np.concatenate(
        [np.r_[np.full(int(3600 * (1 - start_soc)), 1.0), np.zeros(60), np.full(3600, -1.0)]]
        + [np.r_[np.zeros(60), np.full(3600, 1.0), np.zeros(60), np.full(3600, -1.0)]]
        * (cycles - 1)
        + [np.zeros(60)]
    )
    soc = start_soc + np.r_[0.0, np.cumsum(i[:-1])] / 3600
    return pd.DataFrame(
        {
            "time_s": np.arange(len(i), dtype=float),
            "voltage_v": 3.0 + 1.2 * soc + 0.05 * i,
            "current_a": i,
        }
    )


def test_first_and_last_cycles_are_partial_only_when_they_are():
    # from empty, cut in the last rest: every cycle complete
    full = summarize_cycles(soc_frame(0.0).iloc[:-30], capacity_ah=1.0)
    assert list(full["partial"]) == [False, False, False]
    np.testing.assert_allclose(full["coulombic_efficiency"].astype(float), 1.0, atol=1e-3)
    # from 40 % SOC, cut mid-discharge: the first and last cycles are partial
    cut = summarize_cycles(soc_frame(0.4).iloc[:-1800], capacity_ah=1.0)
    assert list(cut["partial"]) == [True, False, True]
    assert cut["coulombic_efficiency"].isna().tolist() == [True, False, True]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    cuts=st.lists(st.integers(1, 2_999), max_size=30),
)
def test_detected_cycles_are_the_same_however_the_blocks_cut_the_log(seed, cuts):
    """Random halves of random depth with pulses of the other sign and noise, fed
    in random blocks: each block's labels are those of the samples so far at once,
    and the boundaries (some found blocks after their own) those of the whole log."""
    rng = np.random.default_rng(seed)
    parts = []
    sign = rng.choice([-1.0, 1.0])
    while sum(len(p) for p in parts) < 3000:
        n = int(rng.integers(5, 400))
        half = np.full(n, sign * rng.uniform(0.5, 3.0))
        half[rng.random(n) < 0.05] *= -0.7  # pulses of the other sign
        parts += [half, np.zeros(int(rng.integers(0, 50)))]
        sign = -sign
    i = np.concatenate(parts)[:3000] + rng.normal(0, 0.02, 3000)
    t = np.cumsum(rng.uniform(5.0, 15.0, 3000))
    whole = detect_cycles(t, i, 0.05, 0.3)
    assert whole.max() > 2
    detector = CycleDetector(0.05, 0.3)
    bounds = [0, *sorted(set(cuts)), 3000]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        so_far = detect_cycles(t[:b], i[:b], 0.05, 0.3)
        assert detector.update(t[a:b], i[a:b]).tolist() == so_far[a:].tolist()
    assert [detector.label_of(k) for k in range(3000)] == whole.tolist()
