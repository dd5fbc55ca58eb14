"""Cell balance leaves out a cell reading that no working cell gives (0 V after a
runaway, a broken sense wire, 65 V of garbage), names it, and judges the balance
of the others; the SOC draws the line at the same voltage (one rule:
``BatterySpec.plausible_cell_v``)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from app.core.spec import preset
from app.diagnostics.cell_balance import check_cell_balance
from app.diagnostics.soc import calculate_soc
from app.hardware.simulator import NoiseSpec, simulate
from tests.diagnostics.simulated_runaway import runaway_drive

SPEC = preset("nmc", capacity_ah=5.0, series_cells=4)
#: the figures of the balance that a left-out reading must not move
FIGURES = (
    "spread_mv",
    "std_mv",
    "spread_at_rest_mv",
    "spread_under_load_mv",
    "spread_judged_mv",
    "spread_history_mv",
    "spread_recent_under_load_mv",
    "spread_trend_mv_per_h",
    "soc_imbalance_pct",
)


@cache
def _drive(seed: int, spec=SPEC) -> pd.DataFrame:
    data = simulate(spec, "drive", 3 * 3600, 2.0, seed, noise=NoiseSpec.typical(spec))
    return data.to_frame()


def test_the_band_is_the_specs_limits_widened():
    assert SPEC.plausible_cell_v == (0.5 * 2.5, 1.25 * 4.2)
    assert preset("lfp").plausible_cell_v == (0.5 * 2.0, 1.25 * 3.6)


@pytest.mark.parametrize("seed", [41, 42])
def test_a_cell_reading_0_v_all_along_is_judged_as_if_it_were_not_there(seed):
    df = _drive(seed).copy()
    without = check_cell_balance(df.drop(columns="cell_1_v"), SPEC)
    df["cell_1_v"] = np.random.default_rng(seed).normal(0.0, 0.002, len(df))
    res = check_cell_balance(df, SPEC)
    for key in FIGURES:
        assert getattr(res, key) == pytest.approx(getattr(without, key), rel=1e-9), key
    assert res.spread_max_mv == pytest.approx(without.spread_max_mv, rel=1e-9)
    assert res.spread_max_mv < 100  # not the 4 V between a dead cell and the others
    assert res.recent_deviation_mv[0] is None and res.mean_deviation_mv[0] is None
    assert res.recent_deviation_mv[1:] == pytest.approx(without.recent_deviation_mv, rel=1e-9)
    assert res.status == "critical" and res.action == "check_reading"
    assert res.implausible_cells == [1] and res.outlier_cells == []
    assert type(res.implausible_cells[0]) is int  # plain JSON, not a numpy integer
    (reading,) = res.implausible_readings
    assert reading["samples"] == len(df) and reading["reading_now"]
    assert res.plausible_cell_v == [1.25, 5.25]
    assert res.recommendation.startswith(
        "cell 1 reads -0.00 V" if reading["last_value_v"] < 0 else "cell 1 reads 0.00 V"
    )
    assert (
        "outside the plausible 1.25-5.25 V: a failed cell or a broken sense wire; "
        "check it before balancing. The other 3 cells: " + without.recommendation.split(" (")[0]
    ) in res.recommendation
    assert "top-balance" not in res.recommendation


@pytest.mark.parametrize(("seed", "cell"), [(43, 3), (44, 2)])
def test_a_few_garbage_readings_warn_but_leave_the_balance_alone(seed, cell):
    df = _drive(seed).copy()
    clean = check_cell_balance(df, SPEC)
    assert clean.status == "ok"
    glitch = slice(len(df) // 2, len(df) // 2 + 5)
    df.loc[df.index[glitch], f"cell_{cell}_v"] = 65.0
    res = check_cell_balance(df, SPEC)
    for key in FIGURES:
        assert getattr(res, key) == pytest.approx(getattr(clean, key), rel=1e-3, abs=0.05), key
    assert res.spread_max_mv < 100
    assert res.status == "warning" and res.action == "check_reading"
    assert res.implausible_cells == [cell]
    (reading,) = res.implausible_readings
    assert reading["samples"] == 5 and not reading["reading_now"]
    assert reading["last_value_v"] == 65.0
    assert reading["first_time_s"] == df["time_s"].iloc[glitch.start]
    assert res.recommendation.startswith(f"cell {cell} read 65.00 V at ")
    assert res.recommendation.endswith("On the plausible readings: " + clean.recommendation)


def test_a_weak_cell_is_still_found_when_another_dies_mid_log():
    """The per-cell regression counts each cell's own plausible readings. (8.2 h: the
    log ends 20 min into a charge past 20 % SOC, the last hour within 20-95 % has both
    the 1C discharge and the charge; at 8 h the charge ends at 17 %.)"""
    spec = preset("nmc", capacity_ah=5.0, series_cells=4)
    df = simulate(spec, "cycle", 8.2 * 3600, 2.0, 31, noise=NoiseSpec.typical(spec)).to_frame()
    p = spec.ecm.for_capacity(spec.capacity_ah)
    extra = 2 * (p["r0_ohm"] + p["r1_ohm"]) * df["time_s"] / df["time_s"].iloc[-1]
    df["cell_3_v"] += extra * df["current_a"]
    df.loc[df["time_s"] >= 5 * 3600, "cell_1_v"] = 0.0
    res = check_cell_balance(df, spec)
    assert res.weak_cells == [3] and res.implausible_cells == [1]
    assert res.status == "critical" and res.action == "check_reading"
    assert res.resistance_offset_mohm[0] is None
    assert "The other 3 cells: cell 3: " in res.recommendation and res.recommendation.startswith(
        "cell 1 reads"
    )


def test_two_cells_one_dead_leaves_nothing_to_compare_but_names_it():
    spec = preset("nmc", capacity_ah=5.0, series_cells=2)
    n = 100
    df = pd.DataFrame(
        {
            "time_s": np.arange(n, dtype=float),
            "voltage_v": np.full(n, 3.7),
            "current_a": np.zeros(n),
            "cell_1_v": np.full(n, 3.7),
            "cell_2_v": np.zeros(n),
        }
    )
    res = check_cell_balance(df, spec)
    assert res.status == "critical" and res.implausible_cells == [2] and res.spread_mv is None
    assert res.recommendation.startswith("cell 2 reads 0.00 V, outside the plausible")
    assert res.recommendation.endswith("No two plausible cell readings to compare")


@pytest.mark.parametrize("side", ["low", "high"])
def test_soc_and_balance_draw_the_line_at_the_same_voltage(side):
    """One rule: a reading just outside the band is left out by both, one just inside
    is used by both."""
    df = _drive(45).copy()
    lo, hi = SPEC.plausible_cell_v
    edge = lo if side == "low" else hi
    inside, outside = (
        (edge * 1.001, edge * 0.999) if side == "low" else (edge * 0.999, edge * 1.001)
    )
    missing = df.assign(cell_2_v=np.nan)
    soc_missing = calculate_soc(missing, SPEC)[1]
    for value, left_out in ((outside, True), (inside, False)):
        bad = df.assign(cell_2_v=value)
        balance = check_cell_balance(bad, SPEC)
        soc = calculate_soc(bad, SPEC)[1]
        assert (balance.implausible_cells == [2]) is left_out, value
        assert np.array_equal(soc, soc_missing) is left_out, value


def test_a_cell_collapsing_through_the_band_is_left_out_of_the_others_figures():
    """A runaway's cell collapses from 4 V to 0 V in a few seconds, through the
    plausible band: those few readings gave 'The other 15 cells' a spread of
    2.6 V and a trend of hundreds of mV/h while the 15 stayed within 7-17 mV. The
    figures are the other cells' (fed in any blocks)."""
    from app.diagnostics.cell_balance import CellBalanceTracker

    spec, block = runaway_drive()
    res = check_cell_balance(block, spec)
    assert res.implausible_cells == [3] and res.implausible_readings[0]["reading_now"]
    others = np.stack([block[f"cell_{k}_v"] for k in range(1, 17) if k != 3])
    spread = np.ptp(others, axis=0) * 1000.0
    assert spread.max() < 20.0  # (the 15 stay close all along)
    assert res.spread_max_mv <= spread.max() + 1e-9
    for key in ("spread_mv", "spread_at_rest_mv", "spread_judged_mv", "spread_history_mv"):
        assert spread.min() - 1e-9 <= getattr(res, key) <= spread.max() + 1e-9, key
    assert abs(res.spread_trend_mv_per_h) < 5.0
    assert "The other 15 cells: cells balanced" in res.recommendation
    # live: the same result whatever the blocks
    rng = np.random.default_rng(5)
    tracker = CellBalanceTracker(spec)
    start = 0
    while start < len(block):
        stop = min(len(block), start + int(rng.integers(1, 700)))
        tracker.update(block.slice(start, stop))
        start = stop
    assert tracker.result() == res
