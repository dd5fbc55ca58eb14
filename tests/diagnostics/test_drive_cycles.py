"""Per-cycle capacities, capacity fade and the capacity SOH of a drive log with
regenerative braking (``simulate --profile drive``: drive from full to the cut-off,
rest, CC-CV recharge, rest, again).

A 5 Ah cell's cycle discharges ~6.2 Ah and takes ~1.2 Ah back from braking. The
per-cycle table keeps that throughput in ``discharge_capacity_ah`` and
``charge_capacity_ah`` (the cyclers', cellpy's and BEEP's convention), with a
coulombic efficiency of 1 for cycles that return to where they started; the net
discharge from full to empty (~5 Ah) is ``net_discharge_capacity_ah``, and capacity
fade, cycle life and the capacity SOH take that one.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.cycle_tracker import CycleTracker
from app.diagnostics.cycles import summarize_cycles, trapezoid_increments
from app.diagnostics.soh import SohTracker, calculate_soh
from app.diagnostics.suite import lifetime_cycles, lifetime_results
from app.hardware.simulator import NoiseSpec, simulate
from tests.diagnostics.test_internal_resistance import assert_same

CELL = preset("nmc", capacity_ah=5.0)


@cache
def drive(noisy: bool = False) -> SampleBlock:
    """Seven drive cycles of a new 5 Ah cell at 1 s (the first starts at 90 % SOC)."""
    noise = NoiseSpec.typical(CELL) if noisy else None
    return simulate(CELL, "drive", duration_s=280_000, dt_s=1.0, seed=0, noise=noise)


@cache
def table(noisy: bool = False):
    return summarize_cycles(drive(noisy).to_frame(), capacity_ah=CELL.pack_capacity_ah)


def _net_from_full_to_cut_off(block: SampleBlock, cycle: int) -> float:
    """The net charge (rectangles: the simulator holds each sample's current for the
    step after it) from the cycle's first sample (full, after the rest) to its cut-off."""
    frame = block.to_frame()
    mine = frame[frame["cycle_index"] == cycle]
    drive_step = mine[mine["step_index"] == 1]
    t, i = drive_step["time_s"].to_numpy(), drive_step["current_a"].to_numpy()
    dt = np.diff(np.append(t, t[-1] + 1.0))
    return float(-(i * dt).sum() / 3600.0)


@pytest.mark.parametrize("noisy", [False, True])
def test_a_drive_cycle_balances_and_its_net_discharge_is_the_cells_capacity(noisy):
    cycles = table(noisy)
    complete = cycles[~cycles["partial"]]
    assert len(complete) >= 5
    # every complete cycle returns to where it started: charge in = charge out
    # (the regenerative braking reversals were counted 0.037 Ah short: CE 1.006)
    assert np.allclose(complete["coulombic_efficiency"], 1.0, atol=5e-4)
    # the throughput counts the braking: ~1.2 Ah more than the net both ways
    assert (complete["discharge_capacity_ah"] > complete["net_discharge_capacity_ah"] + 1.0).all()
    for row in complete.itertuples():
        truth = _net_from_full_to_cut_off(drive(noisy), row.cycle_index)
        assert row.net_discharge_capacity_ah == pytest.approx(truth, rel=0.005)
        assert 4.9 < row.net_discharge_capacity_ah < 5.1


def test_fade_and_cycle_life_take_the_net_discharge_not_the_throughput():
    usable = lifetime_cycles(table(), measured_charge=True)
    assert len(usable) >= 5
    assert usable["discharge_capacity_ah"].between(4.9, 5.1).all()
    fade, life = lifetime_results(usable, CELL, 0.8, CELL.pack_capacity_ah)
    # a new cell: 100 % of its nominal capacity, not 125 %
    assert fade["retention_vs_nominal"] == pytest.approx(1.0, abs=0.02)
    assert 4.9 < fade["initial_capacity_ah"] < 5.1
    assert life["eol_capacity_ah"] == pytest.approx(4.0)


def test_a_plain_cc_cccv_cycle_has_its_discharge_as_net_discharge():
    block = simulate(
        CELL, "cycle", duration_s=40_000, dt_s=2.0, seed=3, noise=NoiseSpec.typical(CELL)
    )
    cycles = summarize_cycles(block.to_frame(), capacity_ah=CELL.pack_capacity_ah)
    assert len(cycles) >= 3
    assert (cycles["net_discharge_capacity_ah"] == cycles["discharge_capacity_ah"]).all()


@pytest.mark.parametrize("noisy", [False, True])
def test_capacity_soh_of_a_drive_log_is_the_net_charge_from_full_to_the_cut_off(noisy):
    """The full discharge runs from the top to the drive's cut-off, not to the first
    current peak near the bottom nor from a stop near the top (it read 94.3 %)."""
    soh = calculate_soh(drive(noisy).to_frame(), CELL)
    full = [r for r in soh.full_cycles if r["full"]]
    assert len(full) >= 5
    for r in full:
        truth = _net_from_full_to_cut_off(drive(noisy), r["cycle_index"])
        assert r["discharge_capacity_ah"] == pytest.approx(truth, rel=0.006)
    assert soh.soh_capacity_percent == pytest.approx(100.0, abs=1.0)


def test_soh_of_a_drive_log_live_equals_offline_across_random_block_splits():
    block = drive(True).slice(0, 160_000)
    offline = calculate_soh(block.to_frame(), CELL).to_dict()
    rng = np.random.default_rng(3)
    tracker = SohTracker(CELL)
    pos, n = 0, len(block)
    while pos < n:
        size = int(rng.integers(1, 20_000))
        tracker.update(block.slice(pos, min(n, pos + size)))
        pos += size
    # (the charge summed block by block: equal to round-off)
    assert_same(offline, tracker.result().to_dict())


@settings(max_examples=5, deadline=None)
@given(cuts=st.lists(st.integers(1, 159_999), max_size=25))
def test_drive_cycle_table_live_equals_offline_on_random_splits(cuts):
    _live_equals_offline(drive(True).slice(0, 160_000), cuts)


def _live_equals_offline(data: SampleBlock, cuts: list[int]) -> int:
    """The cycle table live, ``data`` cut at ``cuts``, record for record the offline
    one; how many cycles."""
    offline = summarize_cycles(data.to_frame(), capacity_ah=CELL.pack_capacity_ah)
    live = CycleTracker(CELL)
    bounds = [0, *sorted(c for c in set(cuts) if 0 < c < len(data)), len(data)]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        live.update(data.slice(a, b))
    got = live.result()
    assert len(got) == len(offline)
    for a, b in zip(got.to_dict("records"), offline.to_dict("records"), strict=True):
        assert json.dumps(a) == json.dumps(b)
    return len(got)


@cache
def without_index(noisy: bool = False) -> SampleBlock:
    """:func:`drive` without the simulator's cycle_index and step_index (a BMS's or a
    CAN log's columns): cycles detected from the current."""
    frame = drive(noisy).to_frame().drop(columns=["cycle_index", "step_index"])
    return SampleBlock.from_frame(frame)


@pytest.mark.parametrize("noisy", [False, True])
def test_a_drive_log_without_cycle_index_has_the_simulators_cycles(noisy):
    """One cycle per drive and recharge, not one per braking pulse (~300 a drive:
    the fade had no cycle to work with)."""
    cycles = summarize_cycles(without_index(noisy).to_frame(), CELL.pack_capacity_ah)
    indexed = table(noisy)
    assert cycles["start_time_s"].tolist() == indexed["start_time_s"].tolist()
    # the same numbers as with the cycle_index (the DCIR reads steps of step_index)
    same = [c for c in cycles.columns if c not in ("dcir_ohm", "n_pulses")]
    assert cycles[same].to_json() == indexed[same].to_json()
    complete = cycles[~cycles["partial"]]
    assert len(complete) >= 5
    assert complete["net_discharge_capacity_ah"].between(4.9, 5.1).all()
    fade, _ = lifetime_results(
        lifetime_cycles(cycles, measured_charge=True), CELL, 0.8, CELL.pack_capacity_ah
    )
    assert fade["cycles_used"] >= 5
    assert 4.9 < fade["initial_capacity_ah"] < 5.1


def test_an_hppc_test_without_cycle_index_is_one_cycle():
    """Its charge pulses (10 s, ~1 % of the capacity) start no cycle."""
    block = simulate(CELL, "hppc", duration_s=200_000, dt_s=1.0, seed=0)
    frame = block.to_frame().drop(columns=["cycle_index", "step_index"])
    cycles = summarize_cycles(frame, capacity_ah=CELL.pack_capacity_ah)
    assert len(cycles) == 1
    assert cycles["n_pulses"].iloc[0] >= 9
    assert cycles["discharge_capacity_ah"].iloc[0] == pytest.approx(5.0, rel=0.05)


@settings(max_examples=5, deadline=None)
@given(cuts=st.lists(st.integers(1, 159_999), max_size=25))
def test_drive_cycles_without_cycle_index_live_equal_offline_on_random_splits(cuts):
    assert _live_equals_offline(without_index(True).slice(0, 160_000), cuts) == 5


def test_soh_of_a_drive_log_without_cycle_index_live_equals_offline():
    """The full discharges in the simulator's cycles, however the blocks cut them."""
    block = without_index(True).slice(0, 160_000)
    offline = calculate_soh(block.to_frame(), CELL).to_dict()
    indexed = calculate_soh(drive(True).slice(0, 160_000).to_frame(), CELL).to_dict()
    assert [r["cycle_index"] for r in offline["full_cycles"]] == [
        r["cycle_index"] for r in indexed["full_cycles"]
    ]
    rng = np.random.default_rng(4)
    tracker = SohTracker(CELL)
    pos, n = 0, len(block)
    while pos < n:
        size = int(rng.integers(1, 20_000))
        tracker.update(block.slice(pos, min(n, pos + size)))
        pos += size
    assert_same(offline, tracker.result().to_dict())


def test_an_interval_where_the_current_reverses_counts_its_net_charge():
    """+2 A to -2 A in one 1 s interval: net zero (the line through zero), not the
    +2 A held; a start or stop (one end exactly zero) still holds the first value."""
    dt = np.array([1.0, 1.0, 1.0])
    inc = trapezoid_increments(dt, np.array([2.0, -2.0, 0.0, 3.0]), 1.0)
    assert inc.tolist() == [0.0, -2.0, 0.0, 0.0]
