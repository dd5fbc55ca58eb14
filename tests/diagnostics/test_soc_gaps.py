"""SOC across time gaps in the log: the current there is unknown, so its charge is
not counted, the band widens by what it could have moved, and the voltage
re-anchors the SOC after the gap; offline and live alike (``app.diagnostics.time_gaps``)."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.soc_coulomb import CoulombCountingSoc
from app.diagnostics.soc_ekf import (
    SOC_BAND_HIGH_COLUMN,
    SOC_BAND_LOW_COLUMN,
    SOC_COLUMN,
    EkfSocEstimator,
)
from app.diagnostics.time_gaps import GapRule
from app.hardware.simulator.noise import NoiseSpec
from app.hardware.simulator.pack import simulate
from app.hardware.simulator.profiles import CurrentStep, Profile, RestStep

COLUMNS = ("time_s", "voltage_v", "current_a")


def _log(chem: str, profile: str, seed: int, duration_s: float, cut: tuple[float, float]):
    """A simulated one-cell log (1 Hz, a typical BMS's noise) with the samples in
    ``cut`` (s) removed: (block, true SOC, spec)."""
    spec = preset(chem, capacity_ah=20.0, series_cells=1)
    blk = simulate(
        spec,
        profile,
        duration_s=duration_s,
        dt_s=1.0,
        seed=seed,
        noise=NoiseSpec.typical(spec, 1),
        include_truth=True,
    )
    t = np.asarray(blk["time_s"])
    keep = (t <= cut[0]) | (t >= cut[1])
    cols = {c: np.asarray(blk[c])[keep] for c in COLUMNS}
    return SampleBlock(cols), np.asarray(blk["true_cell_1_soc_pct"])[keep], spec


@pytest.mark.parametrize(("chem", "seed"), [("nmc", 1), ("nmc", 2), ("lfp", 3)])
def test_a_gap_from_a_discharge_into_a_rest_widens_the_band_and_is_re_anchored(chem, seed):
    # the HPPC profile: its second 10 % step at 1C runs 4150-4510 s, then an hour's
    # rest; the logger stops 4300 s in (at 1C) and comes back 15 min into the rest:
    # the trapezoid across the gap (half the current before it over 1100 s) counted
    # 15 % where 6 % moved, and the band did not know
    block, truth, spec = _log(chem, "hppc", seed, 4 * 3600.0, (4300.0, 5400.0))
    t = block["time_s"]
    # (the log starts under load: from its true start, so the band before the gap is
    # the filter's tracking, not a guess's)
    est = EkfSocEstimator(spec, initial_soc_pct=float(truth[0]), initial_soc_sigma_pct=1.0)
    live = est.update(block)
    smoothed = est.smoothed_columns()
    before, after = int(np.flatnonzero(t <= 4300.0)[-1]), int(np.flatnonzero(t >= 5400.0)[0])
    # the SOC after the gap is within the band, and the band is wider across it: the
    # filter's by what the current could have moved, the smoothed series' (worked
    # back from the estimates the rest re-anchored) less so
    for cols, wider in ((live, 3.0), (smoothed, 1.5)):
        low, high = cols[SOC_BAND_LOW_COLUMN], cols[SOC_BAND_HIGH_COLUMN]
        assert low[after] <= truth[after] <= high[after]
        assert high[after] - low[after] > wider * (high[before] - low[before])
    # the rest after the gap re-anchors it: small errors from 10 min after the gap on
    late = t >= 6000.0
    assert np.sqrt(np.mean((smoothed[SOC_COLUMN] - truth)[late] ** 2)) < 1.5
    assert np.abs(live[SOC_COLUMN] - truth)[late].max() < 3.0
    res = est.result()
    assert len(res.time_gaps) == 1
    assert res.time_gaps[0][:2] == (4300.0, 5400.0)
    assert res.notes and "1 time gap" in res.notes[0] and "18 min" in res.notes[0]


def test_a_gap_at_rest_counts_no_charge():
    # a battery at rest with a current sensor reading 0.2 A (1 % of 1C) too high and a
    # logger off for two hours: the two hours' offset is no charge moved
    spec = preset("nmc", capacity_ah=20.0, series_cells=1)
    blk = simulate(spec, "rest", duration_s=3 * 3600, dt_s=1.0, seed=4, include_truth=True)
    t = np.asarray(blk["time_s"])
    keep = (t <= 1800.0) | (t >= 1800.0 + 7200.0)
    cols = {c: np.asarray(blk[c])[keep] for c in COLUMNS}
    cols["current_a"] = cols["current_a"] + 0.2
    truth = np.asarray(blk["true_cell_1_soc_pct"])[keep]
    est = EkfSocEstimator(spec)
    soc = est.update(SampleBlock(cols))[SOC_COLUMN]
    measured_s = float(np.sum(np.diff(cols["time_s"])[np.diff(cols["time_s"]) < 2.0]))
    res = est.result()
    assert res.charge_in_ah == pytest.approx(0.2 * measured_s / 3600.0, rel=0.01)
    assert abs(soc[-1] - truth[-1]) < 1.0
    # the plain coulomb count leaves the gap out too
    cc = CoulombCountingSoc(spec)
    cc.update(SampleBlock(cols))
    assert cc.charge_in_ah == pytest.approx(0.2 * measured_s / 3600.0, rel=0.01)


def test_offline_equals_live_with_the_gap_split_across_blocks():
    block, _, spec = _log("nmc", "cycle", 5, 5400.0, (2000.0, 3200.0))
    gap_at = int(np.flatnonzero(block["time_s"] <= 2000.0)[-1]) + 1
    offline = EkfSocEstimator(spec)
    ref = offline.update(block)
    ref_smoothed = offline.smoothed_columns()
    assert [g[:2] for g in offline.result().time_gaps] == [(2000.0, 3200.0)]
    rng = np.random.default_rng(0)
    for split in range(4):
        live = EkfSocEstimator(spec)
        # blocks of 1-8 samples take the per-sample path; one ends at the gap, one
        # holds it, one starts with its first sample after
        cuts = {gap_at} if split % 2 else {gap_at - 3, gap_at + 2}
        k, parts = 0, []
        while k < len(block):
            size = int(rng.choice([1, 2, 7, 9, 64, 500]))
            nxt = min([c for c in cuts if c > k] + [k + size])
            parts.append(live.update(block.slice(k, nxt)))
            k = nxt
        for name, values in ref.items():
            np.testing.assert_array_equal(np.concatenate([p[name] for p in parts]), values)
        assert live.result().to_dict() == offline.result().to_dict()
        for name, values in ref_smoothed.items():
            np.testing.assert_array_equal(live.smoothed_columns()[name], values)


def test_the_gap_rule_gives_the_same_verdicts_on_arrays_and_one_by_one():
    rng = np.random.default_rng(3)
    dt = rng.choice([1.0, 1.0, 1.1, 2.5, 4.0, 30.0, 600.0], size=400)
    edge = rng.random(400) < 0.05
    whole, single = GapRule(), GapRule()
    whole.start(1.0)
    single.start(1.0)
    found = whole.find(dt, edge).tolist()
    assert found == [j for j in range(len(dt)) if single.step(float(dt[j]), bool(edge[j]))]
    assert whole.normal_dt_s == single.normal_dt_s
    # a step's start is no gap, and an interval grown gradually is normal
    rule = GapRule()
    rule.start(1.0)
    assert rule.find(np.array([10.0, 1.0]), np.array([True, False])).tolist() == []
    assert rule.find(np.array([25.0, 31.0])).tolist() == []
    assert rule.find(np.array([200.0])).tolist() == [0]


def test_the_gap_rule_over_blocks_with_a_step_index_is_the_rule_sample_by_sample():
    rng = np.random.default_rng(4)
    n = 3000
    dt = np.where(rng.random(n) < 0.02, 10.0, rng.choice([0.0, 1.0, 1.0, 2.0], size=n))
    step = np.repeat(np.arange(n // 100, dtype=float), 100)
    step[rng.random(n) < 0.01] = np.nan
    dt[2900] = 10.0  # (a step starts at 2900: no gap)
    one = GapRule()
    expected = [j for j in range(n) if one.judge_one(float(dt[j]), float(step[j]))]
    assert len(expected) > 10 and 2900 not in expected
    for sizes in ([n], [1, 7, 100, 2892], [500] * 6):
        rule, k, found = GapRule(), 0, []
        for size in sizes:
            found += (rule.judge(dt[k : k + size], step[k : k + size]) + k).tolist()
            k += size
        assert found == expected
        assert rule.normal_dt_s == one.normal_dt_s


def test_a_hole_across_a_step_change_is_a_gap_a_cyclers_step_logging_is_not():
    rule = GapRule()
    rule.start(1.0)
    # a cycler logging each step's start (Neware: the step's last sample and the next
    # step's first at the same second), then 30 s in the new step: no gap
    step = np.array([1.0, 1.0, 1.0, 2.0, 2.0, 2.0])
    dt = np.array([1.0, 1.0, 1.0, 0.0, 30.0, 30.0])
    assert rule.judge(dt, step).tolist() == []
    # rows lost mid-step, the log back in the next step: the 600 s into its first
    # sample is a gap (the step's start fell in it), the 30 s from it is not
    rule = GapRule()
    step = np.array([1.0, 1.0, 1.0, 2.0, 2.0])
    dt = np.array([0.0, 1.0, 1.0, 600.0, 30.0])
    assert rule.judge(dt, step).tolist() == [3]
    one = GapRule()
    assert [j for j in range(len(dt)) if one.judge_one(float(dt[j]), float(step[j]))] == [3]


def test_the_charge_of_a_hole_across_a_step_change_is_not_counted():
    # a cycler's log (step_index) of 0.3C down for 2 h, then a rest: the logger stops
    # a minute before the discharge ends and comes back an hour into the rest; the
    # trapezoid across the hole (half the current over the hour: 15 % of the
    # capacity) was counted where 0.5 % moved
    spec = preset("nmc", capacity_ah=20.0, series_cells=1)
    profile = Profile("step-hole", [CurrentStep(-6.0, 7200.0, 1.0), RestStep(7200.0, 1.0)], 1.0)
    blk = simulate(spec, profile, duration_s=14400.0, dt_s=1.0, seed=6, initial_soc_pct=95.0)
    t = np.asarray(blk["time_s"])
    keep = (t <= 7140.0) | (t >= 10800.0)
    cols = {c: np.asarray(blk[c])[keep] for c in (*COLUMNS, "step_index")}
    est = EkfSocEstimator(spec)
    est.update(SampleBlock(cols))
    res = est.result()
    assert [g[:2] for g in res.time_gaps] == [(7140.0, 10800.0)]
    before = cols["time_s"] <= 7140.0  # (the discharge's samples before the hole)
    measured_out = -np.trapezoid(cols["current_a"][before], cols["time_s"][before]) / 3600.0
    assert res.charge_out_ah == pytest.approx(measured_out, rel=0.01)
    cc = CoulombCountingSoc(spec)
    cc.update(SampleBlock(cols))
    assert cc.charge_out_ah == pytest.approx(measured_out, rel=0.01)


@pytest.mark.parametrize("seed", [1, 2])
def test_after_a_long_gap_the_voltage_re_anchors_the_soc_within_seconds(seed):
    # 0.3C down from 95 % with two hours lost under the load (60 % moved in them):
    # the filter's state is as unsure as at a log's start, so its updates come every
    # 5 s again (the warm-up), not after the 60 s interval of a 1 Hz log that is
    # warmed up (before: the SOC before the gap, 60 % off, for that minute)
    spec = preset("nmc", capacity_ah=20.0, series_cells=1)
    profile = Profile("load-gap", [CurrentStep(-6.0, 9900.0, 1.0)], 1.0)
    blk = simulate(
        spec,
        profile,
        duration_s=9600.0,
        dt_s=1.0,
        seed=seed,
        initial_soc_pct=95.0,
        noise=NoiseSpec.typical(spec, 1),
        include_truth=True,
    )
    t = np.asarray(blk["time_s"])
    keep = (t <= 1800.0) | (t >= 9000.0)
    cols = {c: np.asarray(blk[c])[keep] for c in COLUMNS}
    truth = np.asarray(blk["true_cell_1_soc_pct"])[keep]
    est = EkfSocEstimator(spec)
    soc = est.update(SampleBlock(cols))[SOC_COLUMN]
    t = cols["time_s"]
    soon = (t >= 9010.0) & (t <= 9060.0)
    assert np.abs(soc - truth)[soon].max() < 10.0
