"""The cell balance's labels say what the samples were: the SOC range the status is
judged in holds under load too (the loaded voltage of a cell on charge reads high),
and the texts built from the result name the samples each median is of."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.spec import preset
from app.diagnostics.cell_balance import (
    JUDGED_LOAD_IN_RANGE,
    JUDGED_LOAD_OUTSIDE,
    JUDGED_REST_IN_RANGE,
    SOC_JUDGE_RANGE,
    CellBalanceTracker,
    check_cell_balance,
    judged_spread_text,
    spread_now_note,
)
from app.hardware.simulator import simulate


@pytest.mark.parametrize("chem", ["nmc", "lfp"])
def test_a_charge_below_20_percent_is_not_judged_as_within_the_range(chem):
    # 1C from 3 % for 10 min: at most 19 % SOC, but the loaded voltage read as
    # over 20 % and the result said "mid SOC"
    spec = preset(chem, capacity_ah=5.0, series_cells=4)
    df = simulate(
        spec, "cc", 600, 1.0, 3, initial_soc_pct=3, c_rate=1.0, soc_spread_pct=1, include_truth=True
    ).to_frame()
    assert df["true_cell_1_soc_pct"].max() < SOC_JUDGE_RANGE[0]
    assert check_cell_balance(df, spec).judged_on == JUDGED_LOAD_OUTSIDE


@pytest.mark.parametrize(
    ("chem", "profile", "soc", "kw"),
    [
        ("nmc", "cccv", 5, {"c_rate": 1.0}),
        ("lfp", "cccv", 5, {"c_rate": 1.0}),
        ("nmc", "cycle", None, {}),
        ("lfp", "cycle", None, {}),
        ("nmc", "hppc", None, {}),
        ("nmc", "cc", 60, {"c_rate": -1.0}),
    ],
)
def test_the_samples_flagged_within_the_range_are_within_it(chem, profile, soc, kw):
    """The true SOC (the simulator's) of every sample the tracker takes as within
    SOC_JUDGE_RANGE is in it, to 1 % (was 13-100 % on these). Every sample's judgement
    is read (``in_judged_range``); the result's ``now_in_judged_range`` on the log ending
    with a sample is that sample's, read on the log cut (as live) wherever the judgement
    turns and at every 25th of the samples near an end of the range (where a misjudged
    SOC crosses it) and every 10th elsewhere; the judgements do not depend on the cuts.
    (A result at each of those samples made the test 10x slower, to the same verdict.)"""
    spec = preset(chem, capacity_ah=5.0, series_cells=4)
    block = simulate(
        spec, profile, 7200, 2.0, 1, initial_soc_pct=soc, soc_spread_pct=2, include_truth=True, **kw
    )
    df = block.to_frame()
    truth = np.median(df[[f"true_cell_{k}_soc_pct" for k in range(1, 5)]].to_numpy(), axis=1)
    lo, hi = SOC_JUDGE_RANGE
    whole = CellBalanceTracker(spec)
    whole.update(block)
    within = whole.in_judged_range()
    assert len(within) == len(df) and within.any() and not within.all()
    assert lo - 1 <= truth[within].min() and truth[within].max() <= hi + 1
    near = (np.abs(truth - lo) <= 3) | (np.abs(truth - hi) <= 3)
    samples = np.flatnonzero(near | (np.arange(len(df)) % 10 == 9))
    turns = np.flatnonzero(within[samples][1:] != within[samples][:-1]) + 1
    cuts = np.union1d(samples[::25], samples[turns])
    assert near[cuts].any() and len(turns) > 0
    live, start = CellBalanceTracker(spec), 0
    for k in cuts:
        live.update(block.slice(start, k + 1))
        start = k + 1
        assert live.result().now_in_judged_range is bool(within[k]), k
    live.update(block.slice(start, len(df)))
    assert np.array_equal(live.in_judged_range(), within)


def test_the_texts_name_the_samples_each_figure_is_of():
    from app.reports.verdicts import _balance
    from app.views.diagnostics_catalog import summarize

    r = {
        "status": "ok",
        "recommendation": "cells balanced: no action needed",
        "spread_mv": 140.0,  # the last sample: at 10 % SOC
        "spread_max_mv": 150.0,
        "spread_at_rest_mv": 20.0,
        "spread_under_load_mv": 30.0,
        "spread_judged_mv": 12.0,
        "judged_on": JUDGED_REST_IN_RANGE,
        "spread_history_mv": 11.0,
    }
    numbers = dict(summarize("cell_balance", r).numbers)
    assert numbers["At rest, any SOC (median)"] == "20.0 mV"
    assert numbers["Under load, any SOC (median)"] == "30.0 mV"
    assert numbers["Whole log, rest, 20-95 % SOC (median)"] == "11.0 mV"
    load = summarize("cell_balance", {**r, "judged_on": JUDGED_LOAD_IN_RANGE}).numbers
    assert ("Whole log, under load, 20-95 % SOC (median)", "11.0 mV") in load
    # the report and the CLI: the last sample's spread is not said to be at mid SOC
    text = _balance(r).summary
    assert "mid SOC" not in text
    assert text.startswith("spread 12.0 mV (rest, 20-95 % SOC), 140.0 mV now, max 150.0 mV")
    assert judged_spread_text(r) == "spread 12.0 mV (rest, 20-95 % SOC), 140.0 mV now"


@pytest.mark.parametrize("chem", ["lfp", "nmc"])
def test_a_wide_spread_now_at_the_end_of_discharge_says_why_it_is_not_judged(chem):
    """A discharge to empty then a rest: the cells fan out by hundreds of mV on the
    steep end of the OCV curve ("424 mV now ... cells balanced" read as a
    contradiction). The result says where "now" is, and the texts of the CLI and the
    report say why that spread is not the one judged; a log ending mid-SOC has no
    such note."""
    spec = preset(chem, capacity_ah=5.0, series_cells=4)
    block = simulate(spec, "cc", 5400, 1.0, 1, initial_soc_pct=60, c_rate=-1.0, soc_spread_pct=2)
    r = check_cell_balance(block, spec)
    assert r.spread_mv >= 100.0 and r.spread_judged_mv < 30.0
    assert r.rest_now and r.now_in_judged_range is False and r.soc_now_pct < SOC_JUDGE_RANGE[0]
    d = r.to_dict()
    note = spread_now_note(d)
    assert f"at rest at {r.soc_now_pct:.0f} % SOC, outside 20-95 % SOC" in note
    assert f"cells {r.soc_imbalance_pct:.1f} % SOC apart" in note and "not judged" in note
    assert f"now{note}" in judged_spread_text(d)  # (the CLI's and the report's)
    from app.views.diagnostics_catalog import _spread_now_text  # (the window's card)

    assert _spread_now_text(d).endswith(note)

    mid = simulate(spec, "cc", 600, 1.0, 1, initial_soc_pct=60, c_rate=-1.0, soc_spread_pct=2)
    r = check_cell_balance(mid, spec)
    assert r.now_in_judged_range is True and spread_now_note(r.to_dict()) == ""
