"""Alert evaluation: delay, hysteresis, bands, one alert per episode, block-split invariance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.samples import SampleBlock
from app.diagnostics.alerts import AlertEvaluator, EventKind, Threshold
from app.diagnostics.alerts.evaluator import evaluate_blocks
from app.diagnostics.alerts.metrics import MetricContext, PackCells


def _block(t, voltage=None, current=None, **cols) -> SampleBlock:
    t = np.asarray(t, dtype=float)
    base = {
        "time_s": t,
        "voltage_v": np.full(len(t), 3.7) if voltage is None else np.asarray(voltage, float),
        "current_a": np.zeros(len(t)) if current is None else np.asarray(current, float),
    }
    return SampleBlock({**base, **cols})


def _episodes(events):
    """[(raised time, cleared time or None, raised value, worst value)]"""
    out, open_ = [], {}
    for e in events:
        if e.kind is EventKind.RAISED:
            open_[e.threshold] = [e.time_s, None, e.value, e.value]
            out.append(open_[e.threshold])
        else:
            ep = open_.pop(e.threshold)
            ep[1], ep[3] = e.time_s, e.value
    return [tuple(ep) for ep in out]


def test_delay_must_hold_without_a_break():
    t = np.arange(0, 60.0)
    v = np.full(60, 4.0)
    v[5:9] = 4.3  # 4 s beyond: too short for a 5 s delay
    v[20:40] = 4.3  # long enough: raised 5 s after it began
    th = Threshold("pack_voltage_v", "above", level=4.2, delay_s=5)
    assert _episodes(evaluate_blocks([_block(t, v)], [th])) == [(25.0, 40.0, 4.3, 4.3)]


def test_hysteresis_keeps_one_alert_while_the_value_chatters():
    t = np.arange(0, 100.0)
    v = np.full(100, 4.0)
    v[10:60] = np.where(np.arange(50) % 2, 4.25, 4.18)  # chatters around the level
    v[31] = 4.4
    th = Threshold("pack_voltage_v", "above", level=4.2, clear_level=4.1)
    # one episode from the first crossing until the value falls below 4.1
    assert _episodes(evaluate_blocks([_block(t, v)], [th])) == [(11.0, 60.0, 4.25, 4.4)]
    # without hysteresis each dip below the level ends the episode
    plain = Threshold("pack_voltage_v", "above", level=4.2)
    assert len(_episodes(evaluate_blocks([_block(t, v)], [plain]))) == 25


def test_below_and_outside_band_with_margin():
    t = np.arange(0, 50.0)
    i = np.zeros(50)
    i[5:10] = -60.0  # beyond the discharge edge
    i[10:15] = -48.0  # back inside, but within the margin: still up
    i[15:20] = 0.0
    i[30:35] = 55.0  # beyond the charge edge
    band = Threshold("current_a", "outside", band_low=-50, band_high=50, clear_level=5)
    eps = evaluate_blocks([_block(t, current=i)], [band])
    assert _episodes(eps) == [(5.0, 15.0, -60.0, -60.0), (30.0, 35.0, 55.0, 55.0)]
    assert [e.threshold_value for e in eps if e.kind is EventKind.RAISED] == [-50.0, 50.0]

    soc = np.linspace(30, 0, 50)
    low = Threshold("soc_percent", "below", level=10, clear_level=15, severity="info")
    assert _episodes(evaluate_blocks([_block(t, soc_percent=soc)], [low]))[0][:2] == (33.0, None)


def test_nan_never_raises_and_never_clears():
    t = np.arange(0, 20.0)
    v = np.full(20, 4.3)
    v[5:10] = np.nan
    th = Threshold("pack_voltage_v", "above", level=4.2, delay_s=3)
    # raised at 3 s; the gap in the data neither clears it nor raises it again
    assert _episodes(evaluate_blocks([_block(t, v)], [th])) == [(3.0, None, 4.3, 4.3)]


def test_disabled_thresholds_are_not_evaluated():
    th = Threshold("pack_voltage_v", "above", level=1.0, enabled=False)
    assert evaluate_blocks([_block(np.arange(5.0))], [th]) == []


def test_cell_metrics_and_spread():
    t = np.arange(0, 10.0)
    cells = {f"cell_{k}_v": np.full(10, 3.6) for k in range(1, 5)}
    cells["cell_3_v"] = np.where(t >= 4, 3.5, 3.6)
    cells["cell_2_v"] = np.where(t >= 6, 4.25, 3.6)
    rules = [
        Threshold("cell_spread_mv", "above", level=50),
        Threshold("cell_v_min", "below", level=3.55, severity="critical"),
        Threshold("cell_v_max", "above", level=4.2),
    ]
    events = evaluate_blocks([_block(t, voltage=np.full(10, 14.4), **cells)], rules)
    assert [(e.threshold.metric, e.time_s) for e in events] == [
        ("cell_spread_mv", 4.0),
        ("cell_v_min", 4.0),
        ("cell_v_max", 6.0),
    ]
    # without cell columns the pack voltage / series cells stands for every cell
    ev = evaluate_blocks(
        [_block(t, voltage=np.full(10, 17.2))], [rules[2]], PackCells(series_cells=4)
    )
    assert [e.time_s for e in ev] == [0.0]


def test_dtdt_sees_a_fast_rise_not_a_slow_one():
    t = np.arange(0, 600.0)
    temp = 25 + 0.5 * t / 60  # 0.5 degC/min, normal charging
    temp[400:] = temp[400] + 5.0 * (t[400:] - 400) / 60  # 5 degC/min
    rule = Threshold("dtdt_c_per_min", "above", level=2.0, delay_s=10)
    events = evaluate_blocks([_block(t, temperature_c=temp)], [rule])
    assert len(events) == 1 and 400 < events[0].time_s < 430


def test_fault_kind_metric_uses_the_detected_faults():
    t = np.arange(0, 200.0)
    fault = {
        "kind": "internal_short",
        "start_time_s": 50.0,
        "end_time_s": 80.0,
        "detail": {"detected_time_s": 60.0},
    }
    rule = Threshold("fault_internal_short", "above", level=0.5, severity="critical")
    evaluator = AlertEvaluator([rule])
    # raised once confirmed (60 s), cleared FAULT_HOLD_S after it was last seen
    # (110 s), both dated as the detector dates the fault, and carrying it
    ev = evaluator.process(_block(t[:105]), MetricContext(faults=[fault]))
    assert [(e.kind, e.time_s, e.fault) for e in ev] == [("raised", 50.0, fault)]
    assert evaluator.open_faults() == {rule: fault}
    ev = evaluator.process(_block(t[105:]), MetricContext(faults=[fault]))
    assert [(e.kind, e.time_s, e.fault) for e in ev] == [("cleared", 80.0, fault)]
    assert evaluator.open_faults() == {}


def _short(end_s: float, merge_gap_s: float) -> dict:
    return {
        "kind": "internal_short",
        "start_time_s": 50.0,
        "end_time_s": end_s,
        "channel": "cell_2_v",
        "detail": {"detected_time_s": 60.0, "leak_current_a": 0.35},
        "merge_gap_s": merge_gap_s,
    }


def test_a_fault_alert_stays_up_while_its_episode_may_go_on():
    # A short's evidence can pause for minutes (its heat test goes quiet once the
    # reference window holds the short's heat) and the detector still reports one
    # episode: the alert must not clear and be raised again meanwhile.
    rule = Threshold("fault_internal_short", "above", level=0.5, severity="critical")
    evaluator = AlertEvaluator([rule])
    events = []
    for k, end in enumerate([100.0, 100.0, 100.0, 700.0, 700.0]):  # paused 100..700 s
        t = np.arange(200.0 * k, 200.0 * (k + 1))
        events += evaluator.process(_block(t), MetricContext(faults=[_short(end, np.inf)]))
    assert [(e.kind, e.time_s) for e in events] == [("raised", 50.0)]
    assert evaluator.active() == [rule]
    assert evaluator.open_faults()[rule]["end_time_s"] == 700.0
    # a fault whose episodes merge across 120 s is held that long, not 30 s
    evaluator = AlertEvaluator([rule])
    ev = evaluator.process(_block(np.arange(0.0, 215.0)), MetricContext(faults=[_short(100, 120)]))
    assert [e.kind for e in ev] == ["raised"]
    ev = evaluator.process(
        _block(np.arange(215.0, 300.0)), MetricContext(faults=[_short(100, 120)])
    )
    assert [(e.kind, e.time_s) for e in ev] == [("cleared", 100.0)]


def _runaway_events(cuts: list[int], withdrawn_at: float | None = None) -> list:
    """A runaway onset on cell 2 (found at 100 s, last seen at 150 s) whose cell reads
    200 degC from 100 s until 600 s, then 25 degC; fed in blocks cut at ``cuts``; the
    detector stops listing the onset from ``withdrawn_at`` (put down to a short)."""
    t = np.arange(0.0, 1000.0)
    hot = np.where((t >= 100) & (t < 600), 200.0, 25.0)
    temps = {f"cell_{k}_temp_c": np.full(len(t), 25.0) for k in (1, 3, 4)}
    block = _block(t, cell_2_temp_c=hot, **temps)
    onset = {
        "kind": "thermal_runaway_onset",
        "start_time_s": 90.0,
        "end_time_s": 150.0,
        "channel": "cell_2_temp_c",
        "detail": {"detected_time_s": 100.0, "temperature_at_detection_c": 30.0},
    }
    rule = Threshold("fault_thermal_runaway_onset", "above", level=0.5, severity="critical")
    evaluator = AlertEvaluator([rule], PackCells(4, runaway_c=80.0))
    events = []
    for a, b in zip([0, *cuts], [*cuts, len(t)], strict=True):
        listed = withdrawn_at is None or t[a] < withdrawn_at
        context = MetricContext(faults=[onset] if listed else [])
        events += evaluator.process(block.slice(a, b), context)
    return [(e.kind.value, e.time_s, e.fault) for e in events], onset


@pytest.mark.parametrize("cuts", [[], [100, 180, 599, 600], list(range(7, 1000, 37))])
@pytest.mark.parametrize("withdrawn_at", [None, 300.0])
def test_a_runaway_alarm_does_not_clear_while_its_cell_is_still_at_the_alarm_end(
    cuts, withdrawn_at
):
    """The onset test stops firing once the runaway is past its take-off (the cell at
    200 degC no longer accelerates): the alarm held only 30 s past the onset's last
    bin, and said 'cleared' with the cell far beyond any limit (the runaway drive of
    the tests: cleared at 1314 s, cell 3 at ~500 degC) while the Thermal card said
    'runaway risk critical'. It clears at the first sample where the cell is back
    below the risk's alarm end (here 80 degC, and under 15 K over the coolest cell),
    whether the detector still lists the onset or has put the heat down to another
    fault, and whatever the blocks."""
    events, onset = _runaway_events(cuts, withdrawn_at)
    assert events == [("raised", 90.0, onset), ("cleared", 600.0, onset)]


def test_a_runaway_alarm_whose_cell_is_not_hot_clears_with_its_episode():
    """(a hot spot under 15 K and a cell under the alarm end: the onset's episode decides)"""
    t = np.arange(0.0, 400.0)
    block = _block(t, **{f"cell_{k}_temp_c": np.full(len(t), 25.0 + k) for k in (1, 2, 3)})
    onset = {
        "kind": "thermal_runaway_onset",
        "start_time_s": 90.0,
        "end_time_s": 150.0,
        "channel": "cell_2_temp_c",
        "detail": {"detected_time_s": 100.0},
    }
    rule = Threshold("fault_thermal_runaway_onset", "above", level=0.5, severity="critical")
    ev = AlertEvaluator([rule], PackCells(3, runaway_c=80.0)).process(
        block, MetricContext(faults=[onset])
    )
    assert [(e.kind.value, e.time_s) for e in ev] == [("raised", 90.0), ("cleared", 150.0)]


def test_a_rule_for_no_fault_is_not_dated_by_one():
    # (odd, but a rule may alert while a fault kind is absent: its times are the samples')
    rule = Threshold("fault_internal_short", "below", level=0.5)
    ev = AlertEvaluator([rule]).process(
        _block(np.arange(0.0, 100.0)), MetricContext(faults=[_short(80, 0)])
    )
    assert [(e.kind, e.time_s, e.fault) for e in ev] == [
        ("raised", 0.0, None),
        ("cleared", 60.0, None),
    ]


def test_changing_the_rules_clears_the_alerts_of_removed_ones():
    rule = Threshold("pack_voltage_v", "above", level=3.0)
    ev = AlertEvaluator([rule])
    assert [e.kind for e in ev.process(_block(np.arange(3.0)))] == ["raised"]
    assert ev.active() == [rule]
    gone = ev.set_thresholds([])
    assert [(e.kind, e.time_s) for e in gone] == [("cleared", 2.0)]


@settings(max_examples=60, deadline=None)
@given(
    cuts=st.lists(st.integers(1, 399), max_size=12, unique=True),
    seed=st.integers(0, 2**16),
)
def test_same_events_whether_fed_in_one_block_or_many(cuts, seed):
    rng = np.random.default_rng(seed)
    n = 400
    t = np.cumsum(rng.uniform(0.5, 1.5, n))
    v = 4.15 + np.cumsum(rng.normal(0, 0.02, n))
    temp = 30 + np.cumsum(rng.normal(0, 0.3, n))
    i = rng.normal(0, 40, n)
    v[rng.integers(0, n, 5)] = np.nan
    whole = _block(t, v, i, temperature_c=temp)
    rules = [
        Threshold("pack_voltage_v", "above", level=4.2, clear_level=4.15, delay_s=3),
        Threshold("pack_voltage_v", "below", level=4.1, delay_s=0),
        Threshold("current_a", "outside", band_low=-50, band_high=50, clear_level=10, delay_s=1.5),
        Threshold("dtdt_c_per_min", "above", level=5, clear_level=2),
    ]
    edges = [0, *sorted(cuts), n]
    parts = [whole.slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    one = [e.to_dict() for e in evaluate_blocks([whole], rules)]
    many = [e.to_dict() for e in evaluate_blocks(parts, rules)]
    assert one == many


def test_a_threshold_is_checked_when_built():
    from app.core.errors import SchemaError

    with pytest.raises(SchemaError, match="unknown metric"):
        Threshold("cell_voltage", "above", level=1)
    with pytest.raises(SchemaError, match="clear level of 'above'"):
        Threshold("cell_v_max", "above", level=4.2, clear_level=4.3)
    with pytest.raises(SchemaError, match="half the band"):
        Threshold("current_a", "outside", band_low=-1, band_high=1, clear_level=2)
    with pytest.raises(SchemaError, match="'above' is not a valid Severity|fatal"):
        Threshold("cell_v_max", "above", level=4.2, severity="fatal")


def test_the_same_rules_read_back_with_ids_keep_their_episodes():
    import dataclasses

    rule = Threshold("pack_voltage_v", "above", level=3.0)
    ev = AlertEvaluator([rule])
    ev.process(_block(np.arange(3.0)))
    stored = dataclasses.replace(rule, id=17)
    assert ev.set_thresholds([stored]) == []  # no clear, no second raise
    events = ev.process(_block(np.arange(3.0, 6.0), voltage=np.full(3, 2.0)))
    assert [(e.kind, e.threshold.id) for e in events] == [("cleared", 17)]
