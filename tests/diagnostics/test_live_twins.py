"""The live twins of cell balance, safety, thermal and the per-cycle table (with
capacity fade and cycle life): the offline function and the live engine give
the same numbers on the same samples, however they are split into blocks.

Exact equality everywhere, except the thermal summary's mean temperature and
I²R heat, running sums over blocks: equal to 1e-12 relative (round-off).
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.cell_balance import CellBalanceTracker, check_cell_balance
from app.diagnostics.cycle_tracker import CycleTracker
from app.diagnostics.cycles import summarize_cycles
from app.diagnostics.live import LiveEngine
from app.diagnostics.safety import SafetyMonitor, monitor_safety
from app.diagnostics.suite import RESULT_KEYS, run_suite
from app.diagnostics.thermal import ThermalTracker, analyze_thermal
from app.hardware.simulator import Fault, NoiseSpec, simulate

NMC4 = preset("nmc", capacity_ah=5.0, series_cells=4)
ROUND_OFF = {"mean_temperature_c", "mean_heat_w", "total_heat_j"}


@cache
def drive_with_faults() -> SampleBlock:
    """A noisy 4-cell pack driven, with a runaway (over-temperature, over-voltage
    episodes of every length) and a dropped cell temperature."""
    return simulate(
        NMC4,
        "drive",
        duration_s=2400,
        dt_s=1.0,
        seed=5,
        noise=NoiseSpec.typical(NMC4),
        faults=[
            Fault("thermal_runaway", 1500, cell=3),
            Fault("sensor_dropout", 600, channel="cell_2_temp_c"),
        ],
    )


@cache
def cycling() -> SampleBlock:
    """Full charge/discharge cycles with HPPC-like pulses at the cycle ends."""
    return simulate(
        NMC4, "cycle", duration_s=40_000, dt_s=2.0, seed=3, noise=NoiseSpec.typical(NMC4)
    )


def feed(tracker, data: SampleBlock, cuts) -> None:
    bounds = [0, *sorted(c for c in set(cuts) if 0 < c < len(data)), len(data)]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        tracker.update(data.slice(a, b))


cuts_of = st.lists(st.integers(1, 2399), max_size=40)


# --- safety ----------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(cuts=cuts_of)
def test_safety_live_equals_offline_on_random_splits(cuts):
    data = drive_with_faults()
    offline = monitor_safety(data, NMC4)
    assert offline.events  # not vacuous: the runaway crosses the limits
    live = SafetyMonitor(NMC4)
    feed(live, data, cuts)
    assert live.result() == offline


def _step_over_voltage(cell_v: np.ndarray) -> SampleBlock:
    n = len(cell_v)
    cols = {f"cell_{k}_v": np.full(n, 3.9) for k in range(1, 5)}
    cols["cell_2_v"] = cell_v
    return SampleBlock(
        {
            "time_s": np.arange(n, dtype=float),
            "voltage_v": sum(cols.values()),
            "current_a": np.zeros(n),
            **cols,
        }
    )


def test_safety_debounce_carries_over_every_block_boundary():
    """A 3 s over-voltage (debounce 2 s) and a 1 s one: whichever sample a block
    ends at, the first is one critical event with its worst value, the second none."""
    v = np.full(40, 3.9)
    v[10:14] = [4.25, 4.40, 4.30, 4.22]  # 10..13 s: 3 s, worst 4.40 V (critical)
    v[30:32] = 4.25  # 1 s within the critical margin: debounced away
    data = _step_over_voltage(v)
    whole = monitor_safety(data, NMC4)
    (event,) = whole.events
    assert (event.start_time_s, event.end_time_s, event.worst_value) == (10.0, 13.0, 4.40)
    assert event.severity == "critical"
    for cut in range(1, 40):
        for second in (None, cut + 1, cut + 2):
            live = SafetyMonitor(NMC4)
            feed(live, data, [cut] if second is None else [cut, second])
            assert live.result() == whole, (cut, second)


def test_safety_episode_open_at_the_end_counts_once_debounced():
    v = np.full(20, 3.9)
    v[15:] = 4.25  # over (within the critical margin) from 15 s to the end (19 s)
    live = SafetyMonitor(NMC4)
    live.update(_step_over_voltage(v).slice(0, 17))  # 2 s over so far: not yet
    assert live.result().events == []
    live.update(_step_over_voltage(v).slice(17, 20))
    assert [(e.start_time_s, e.end_time_s) for e in live.result().events] == [(15.0, 19.0)]


# --- cell balance ------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(cuts=cuts_of)
def test_cell_balance_live_equals_offline_on_random_splits(cuts):
    data = drive_with_faults()
    offline = check_cell_balance(data.to_frame(), NMC4)
    assert offline.spread_trend_mv_per_h is not None and offline.spread_at_rest_mv is not None
    live = CellBalanceTracker(NMC4)
    feed(live, data, cuts)
    assert live.result() == offline


@cache
def dead_cell_mid_log() -> SampleBlock:
    """A noisy 4-cell pack driven, cell 2 reading ~0 V from 1200 s on (a failed cell or
    a broken sense wire), cell 4 reading 65 V of garbage for 3 s at 300 s, and cell 1
    missing for a while (an incomplete reading)."""
    data = simulate(NMC4, "drive", duration_s=2400, dt_s=1.0, seed=8, noise=NoiseSpec.typical(NMC4))
    frame = data.to_frame()
    dead = frame["time_s"] >= 1200
    frame.loc[dead, "cell_2_v"] = np.random.default_rng(8).normal(0.0, 0.002, int(dead.sum()))
    frame.loc[300:302, "cell_4_v"] = 65.0
    frame.loc[1500:1530, "cell_1_v"] = np.nan
    return SampleBlock.from_frame(frame)


@settings(max_examples=25, deadline=None)
@given(cuts=cuts_of)
def test_cell_balance_with_a_dead_cell_mid_log_live_equals_offline(cuts):
    data = dead_cell_mid_log()
    offline = check_cell_balance(data.to_frame(), NMC4)
    # not vacuous: both cells named, the rest judged on the plausible readings
    assert offline.implausible_cells == [2, 4] and offline.status == "critical"
    assert [r["reading_now"] for r in offline.implausible_readings] == [True, False]
    assert offline.spread_max_mv < 100 and offline.recent_deviation_mv[1] is None
    live = CellBalanceTracker(NMC4)
    feed(live, data, cuts)
    assert live.result() == offline


def test_cell_balance_sample_by_sample_where_cells_turn_implausible():
    """Blocks of one sample across the garbage, the death and a bin boundary (256)."""
    data = dead_cell_mid_log()
    offline = check_cell_balance(data, NMC4)
    live = CellBalanceTracker(NMC4)
    feed(live, data, [*range(250, 310), *range(1190, 1290)])
    assert live.result() == offline


def test_cell_balance_skips_incomplete_readings_in_any_block():
    data = drive_with_faults().to_frame()
    data.loc[100:160, "cell_3_v"] = np.nan
    block = SampleBlock.from_frame(data)
    offline = check_cell_balance(data, NMC4)
    live = CellBalanceTracker(NMC4)
    feed(live, block, [120, 130, 500])  # one block has no complete reading
    assert live.result() == offline


# --- thermal -------------------------------------------------------------------------------
def _assert_thermal_equal(live, offline):
    a, b = live.to_dict(), offline.to_dict()
    for key in a:
        if key in ROUND_OFF and a[key] is not None:
            assert a[key] == pytest.approx(b[key], rel=1e-12, abs=0), key
        else:
            assert a[key] == b[key], key


@settings(max_examples=25, deadline=None)
@given(cuts=cuts_of)
def test_thermal_live_equals_offline_on_random_splits(cuts):
    data = drive_with_faults()
    faults = [{"kind": "thermal_runaway_onset", "start_time_s": 1510.0, "channel": "cell_3"}]
    offline = analyze_thermal(data, NMC4, faults=faults)
    assert offline.max_rise_rate_c_per_min > 2.0 and offline.runaway_risk_level == "critical"
    live = ThermalTracker(NMC4)
    feed(live, data, cuts)
    _assert_thermal_equal(live.result(faults=faults), offline)


def test_thermal_rates_are_the_same_bits_across_anchor_moves():
    """Over 10 000 samples at 10 Hz the window sums move their anchor twice;
    blocks of every size still give the same fastest rise."""
    spec = preset("nmc", capacity_ah=5.0, series_cells=4)
    data = simulate(spec, "drive", duration_s=1000, dt_s=0.1, seed=8, noise=NoiseSpec.typical(spec))
    offline = analyze_thermal(data, spec)
    rng = np.random.default_rng(0)
    for high in (3, 700, 5000):
        live = ThermalTracker(spec)
        feed(live, data, np.cumsum(rng.integers(1, high, size=len(data))).tolist())
        _assert_thermal_equal(live.result(), offline)


# --- cycles, capacity fade, cycle life --------------------------------------------------------
def _rows_equal(live, offline) -> None:
    assert len(live) == len(offline)
    for a, b in zip(live.to_dict("records"), offline.to_dict("records"), strict=True):
        assert json.dumps(a) == json.dumps(b)  # (NaN and None compare as written)


@settings(max_examples=10, deadline=None)
@given(cuts=st.lists(st.integers(1, 19_999), max_size=30))
def test_cycle_table_live_equals_offline_on_random_splits(cuts):
    data = cycling()
    offline = summarize_cycles(data.to_frame(), capacity_ah=NMC4.pack_capacity_ah)
    assert len(offline) >= 3 and offline["dcir_ohm"].notna().any()
    live = CycleTracker(NMC4)
    feed(live, data, cuts)
    _rows_equal(live.result(), offline)


def test_cycles_straddling_blocks_and_the_dcir_read():
    """Blocks ending just before, at and after each cycle start, and inside the
    10 s read of the pulses near it; and the table while a cycle is under way."""
    data = cycling()
    frame = data.to_frame()
    offline = summarize_cycles(frame, capacity_ah=NMC4.pack_capacity_ah)
    starts = ((offline["start_time_s"] - frame["time_s"].iloc[0]) / 2.0).astype(int).tolist()
    cuts = sorted({s + d for s in starts[1:] for d in (-3, -1, 0, 1, 2, 4, 6)})
    live = CycleTracker(NMC4)
    feed(live, data, cuts)
    _rows_equal(live.result(), offline)
    # mid-way: the same as the offline table of the samples so far
    half = CycleTracker(NMC4)
    stop = starts[2] + 3
    feed(half, data.slice(0, stop), [c for c in cuts if c < stop])
    _rows_equal(
        half.result(),
        summarize_cycles(frame.iloc[:stop], capacity_ah=NMC4.pack_capacity_ah),
    )


def without_cycle_index(data: SampleBlock) -> SampleBlock:
    """The samples without the simulator's cycle_index and step_index (cycles
    detected from the current)."""
    return SampleBlock.from_frame(data.to_frame().drop(columns=["cycle_index", "step_index"]))


@settings(max_examples=10, deadline=None)
@given(cuts=st.lists(st.integers(1, 19_999), max_size=30))
def test_detected_cycles_live_equal_offline_on_random_splits(cuts):
    data = without_cycle_index(cycling())
    offline = summarize_cycles(data.to_frame(), capacity_ah=NMC4.pack_capacity_ah)
    # the simulator's cycles (a discharge and the recharge after it), not one per pulse
    indexed = summarize_cycles(cycling().to_frame(), capacity_ah=NMC4.pack_capacity_ah)
    assert offline["start_time_s"].tolist() == indexed["start_time_s"].tolist()
    live = CycleTracker(NMC4)
    feed(live, data, cuts)
    _rows_equal(live.result(), offline)


def test_detected_cycles_known_only_after_their_start_live_equal_offline():
    """A detected cycle is known once its first half moved 5 % of the capacity: blocks
    ending around its start and before that, and the table in between, as the
    offline table of the samples so far says (the cycle not started yet)."""
    data = without_cycle_index(cycling())
    frame = data.to_frame()
    offline = summarize_cycles(frame, capacity_ah=NMC4.pack_capacity_ah)
    starts = ((offline["start_time_s"] - frame["time_s"].iloc[0]) / 2.0).astype(int).tolist()
    assert len(starts) >= 3
    cuts = sorted({s + d for s in starts[1:] for d in (-1, 0, 1, 2, 40, 80, 200)})
    live = CycleTracker(NMC4)
    feed(live, data, cuts)
    _rows_equal(live.result(), offline)
    known = []
    for stop in (starts[2] + 3, starts[2] + 200):  # (5 % of 5 Ah at 1C: 180 s, 90 samples)
        half = CycleTracker(NMC4)
        feed(half, data.slice(0, stop), [c for c in cuts if c < stop])
        so_far = summarize_cycles(frame.iloc[:stop], capacity_ah=NMC4.pack_capacity_ah)
        _rows_equal(half.result(), so_far)
        known.append(len(so_far))
    assert known == [2, 3]  # (the third cycle not known yet 3 samples in, then known)


def test_cycle_index_from_the_cycler_with_gaps():
    frame = cycling().to_frame()
    index = np.floor(frame["time_s"] / 5000.0) + 1
    index[:20] = np.nan  # known only after a while: these belong to the first cycle
    index[4000:4100] = np.nan  # a gap: the cycle goes on
    frame["cycle_index"] = index
    offline = summarize_cycles(frame, capacity_ah=NMC4.pack_capacity_ah)
    live = CycleTracker(NMC4)
    feed(live, SampleBlock.from_frame(frame), list(range(7, len(frame), 333)))
    _rows_equal(live.result(), offline)


@cache
def cycling_with_counters() -> SampleBlock:
    """:func:`cycling` with the cycler's own counters: capacity reset at each cycle
    (from a current 3 % under the logged one, counted in 1 mAh steps) and energy
    running over the whole test."""
    frame = cycling().to_frame()
    t, i, v = (frame[c].to_numpy() for c in ("time_s", "current_a", "voltage_v"))
    dt = np.r_[0.0, np.diff(t)]
    cycle = np.floor(t / 5000.0) + 1
    frame["cycle_index"] = cycle
    for kind, sign in (("charge", 1), ("discharge", -1)):
        amps = np.clip(sign * np.r_[0.0, i[:-1]], 0, None) * 0.97
        ah = pd.Series(amps * dt / 3600).groupby(cycle).cumsum().to_numpy()
        frame[f"{kind}_capacity_ah"] = np.floor(ah / 1e-3) * 1e-3
        frame[f"{kind}_energy_wh"] = np.cumsum(amps * v * dt / 3600)
    return SampleBlock.from_frame(frame)


@settings(max_examples=10, deadline=None)
@given(cuts=st.lists(st.integers(1, 19_999), max_size=30))
def test_cycle_table_from_the_cyclers_counters_live_equals_offline(cuts):
    data = cycling_with_counters()
    offline = summarize_cycles(data.to_frame(), capacity_ah=NMC4.pack_capacity_ah)
    assert (offline["capacity_source"] == "cycler").all()
    assert (offline["energy_source"] == "cycler").all()
    live = CycleTracker(NMC4)
    feed(live, data, cuts)
    _rows_equal(live.result(), offline)
    starts = ((offline["start_time_s"] - offline["start_time_s"].iloc[0]) / 2.0).astype(int)
    edges = CycleTracker(NMC4)
    feed(edges, data, sorted({s + d for s in starts[1:] for d in (-1, 0, 1)}))
    _rows_equal(edges.result(), offline)


# --- the live engine ------------------------------------------------------------------------------
@pytest.mark.parametrize("indexed", [True, False])
def test_live_engine_results_have_all_nine_diagnostics_as_run_suite(indexed):
    data = cycling() if indexed else without_cycle_index(cycling())
    engine = LiveEngine(NMC4)
    sizes = np.random.default_rng(2).integers(1, 900, size=len(data))
    i = 0
    for size in sizes:
        if i >= len(data):
            break
        engine(data.slice(i, i + int(size)))
        i += int(size)
    engine.finish()
    live = engine.results()
    assert tuple(live) == RESULT_KEYS
    json.dumps(live)  # plain JSON
    offline = run_suite(data.to_frame(), NMC4).results
    for key in ("cell_balance", "safety", "capacity_fade", "cycle_life"):
        assert live[key] == offline[key], key
    assert live["capacity_fade"]["cycles_used"] >= 2
    for key, value in live["thermal"].items():
        if key in ROUND_OFF:
            assert value == pytest.approx(offline["thermal"][key], rel=1e-12), key
        else:
            assert value == offline["thermal"][key], key
    results, samples, span_s, cycles = engine.report()
    assert samples == len(data) and span_s == data["time_s"][-1] - data["time_s"][0]
    assert cycles == len(engine.cycle_table()) == len(run_suite(data.to_frame(), NMC4).cycles)
