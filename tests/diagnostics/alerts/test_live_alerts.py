"""Alerts in the live engine: evaluated on enriched blocks, events handed to alert outputs."""

from __future__ import annotations

import numpy as np

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.alerts import Threshold
from app.diagnostics.live import LiveEngine


def _blocks(n_blocks=10, n=100, cells=4):
    t0 = 0.0
    for k in range(n_blocks):
        t = t0 + np.arange(n, dtype=float)
        t0 = t[-1] + 1
        cols = {f"cell_{c}_v": np.full(n, 3.7) for c in range(1, cells + 1)}
        if 3 <= k < 6:
            cols["cell_2_v"] = np.full(n, 4.3)  # over voltage in blocks 3..5
        yield SampleBlock(
            {
                "time_s": t,
                "voltage_v": sum(cols.values()),
                "current_a": np.full(n, -2.0),
                "temperature_c": np.full(n, 25.0),
                **cols,
            }
        )


def test_live_engine_raises_and_clears_through_its_alert_outputs():
    got = []
    rules = [
        Threshold("cell_v_max", "above", level=4.2, delay_s=5, severity="critical"),
        Threshold("soc_percent", "below", level=-1.0),  # enriched column, never crossed
    ]
    engine = LiveEngine(preset("nmc", series_cells=4), thresholds=rules, alert_outputs=[got.extend])
    for block in _blocks():
        engine.process(block)
    assert [(e.kind, e.time_s, e.threshold.metric) for e in got] == [
        ("raised", 305.0, "cell_v_max"),
        ("cleared", 600.0, "cell_v_max"),
    ]


def test_replacing_the_thresholds_clears_their_alerts():
    got = []
    rule = Threshold("pack_voltage_v", "above", level=10.0)
    engine = LiveEngine(
        preset("nmc", series_cells=4), thresholds=[rule], alert_outputs=[got.extend]
    )
    engine.process(next(_blocks()))
    engine.set_thresholds([])
    assert [e.kind for e in got] == ["raised", "cleared"]
    assert engine.alerts.thresholds == []


def _dead_cell_blocks(reading: float, n_blocks=4, n=60):
    """4 cells at rest 3.70/3.71/3.72/3.73 V; cell 1 reads ``reading`` from block 2 on."""
    t0 = 0.0
    for k in range(n_blocks):
        t = t0 + np.arange(n, dtype=float)
        t0 = t[-1] + 1
        cols = {f"cell_{c}_v": np.full(n, 3.69 + 0.01 * c) for c in range(1, 5)}
        if k >= 2:
            cols["cell_1_v"] = np.full(n, reading)
        yield SampleBlock(
            {
                "time_s": t,
                "voltage_v": sum(cols.values()),
                "current_a": np.zeros(n),
                "temperature_c": np.full(n, 25.0),
                **cols,
            }
        )


def _default_alerts(reading: float) -> tuple[list, LiveEngine]:
    from app.diagnostics.alerts import default_thresholds

    spec = preset("nmc", series_cells=4)
    got = []
    engine = LiveEngine(spec, thresholds=default_thresholds(spec), alert_outputs=[got.extend])
    for block in _dead_cell_blocks(reading):
        engine.process(block)
    return got, engine


def test_a_dead_cell_is_an_under_voltage_not_a_spread():
    # a cell at 0 V after a runaway: the default rules' spread (50 mV) would read
    # 3.7 V; it is the spread of the three plausible cells (20 mV), as cell balance
    # says, and the cell itself raises the critical under-voltage
    got, engine = _default_alerts(0.0)
    raised = {e.threshold.metric for e in got if e.kind == "raised"}
    assert "cell_v_min" in raised
    assert "cell_spread_mv" not in raised
    healthy = next(_dead_cell_blocks(0.0))  # (all four cells plausible)
    spread = engine.alerts.metrics.compute(healthy, ["cell_spread_mv"])
    assert np.allclose(spread["cell_spread_mv"], 30.0)


def test_a_glitch_above_the_band_is_an_over_voltage_not_a_spread():
    got, _ = _default_alerts(65.0)
    raised = {e.threshold.metric for e in got if e.kind == "raised"}
    assert "cell_v_max" in raised
    assert "cell_spread_mv" not in raised


def test_the_spread_metric_keeps_to_the_plausible_band():
    from app.diagnostics.alerts.metrics import MetricComputer, PackCells

    spec = preset("nmc", series_cells=4)
    blocks = list(_dead_cell_blocks(0.0))
    plausible = MetricComputer(PackCells.of(spec)).compute(blocks[-1], ["cell_spread_mv"])
    assert np.allclose(plausible["cell_spread_mv"], 20.0)  # cells 2-4
    # an unknown battery has no band: every reading counts
    unbounded = MetricComputer().compute(blocks[-1], ["cell_spread_mv"])
    assert np.allclose(unbounded["cell_spread_mv"], 3730.0)


def _shorted_pack():
    """A 4-cell NMC pack under HPPC pulses, shorted across cell 2 from 3000 s
    (the simulator's default short): the short's heat test goes quiet for minutes
    once its reference window holds the short's heat, then fires again."""
    from app.hardware.simulator import Fault, NoiseSpec, simulate

    spec = preset("nmc", series_cells=4)
    data = simulate(
        spec,
        "hppc",
        duration_s=7200,
        dt_s=1.0,
        seed=1,
        noise=NoiseSpec.typical(spec),
        faults=[Fault("internal_short", 3000, cell=2)],
    )
    return spec, data


def test_a_short_raises_one_alert_that_lasts_as_long_as_the_short():
    from app.diagnostics.alerts import default_thresholds
    from app.diagnostics.alerts.offline import episodes_from_events
    from app.diagnostics.faults import detect_faults

    spec, data = _shorted_pack()
    (short,) = detect_faults(data, spec).of_kind("internal_short")
    got = []
    rules = [t for t in default_thresholds(spec) if t.metric == "fault_internal_short"]
    engine = LiveEngine(spec, thresholds=rules, alert_outputs=[got.extend])
    ends = []
    for start in range(0, len(data), 100):
        engine.process(data.slice(start, start + 100))
        ends += [f["end_time_s"] for f in engine.faults.result().to_list()]
    engine.finish()
    # (the case: the live episode's last evidence stood still for minutes)
    assert max(np.diff(ends)) > 300
    # one alert, dated at the short's start as the detector dates it, still up
    # at the end, carrying what the detector measured
    (episode,) = episodes_from_events(got)
    assert episode.start_time_s == short.start_time_s
    assert episode.end_time_s is None
    raised = got[0]
    assert raised.fault["channel"] == short.channel == "cell_2_v"
    assert raised.fault["start_time_s"] == short.start_time_s
    fault = engine.open_alert_faults()[rules[0]]
    assert fault["detail"] == short.detail
    # a log replayed offline (other blocks) gives the same alert
    import pandas as pd

    from app.diagnostics.alerts.offline import evaluate_frame

    replayed = evaluate_frame(pd.DataFrame(dict(data.items())), spec, rules)
    assert [(e.start_time_s, e.end_time_s) for e in replayed] == [(short.start_time_s, None)]


def test_a_short_alert_reads_no_less_severe_later_and_ends_as_the_whole_log():
    """The short of the reviewer's drive (4-cell NMC, cell 2 from 600 s): the alert's
    figures when raised, as it goes on and at the end of the log. The detector's
    evidence z peaks where its figures need not: they were read at that bin, so the
    alert raised with 'self-discharge 0.276 A' later said 0.205 A, and the live
    engine's last word (0.205 A, 15.6 K) was not the whole log's (0.085 A, 15.9 K),
    the end's bins being judged after the alerts had last looked. The self-discharge
    test is one at rest: on a drive it measures nothing, and says nothing."""
    from app.diagnostics.alerts import default_thresholds
    from app.diagnostics.faults import detect_faults
    from tests.diagnostics.simulated_runaway import drive_with_fault

    spec, data = drive_with_fault("internal_short")
    (short,) = detect_faults(data, spec).of_kind("internal_short")
    assert "leak_current_a" not in short.detail  # no rest on this drive
    rules = [t for t in default_thresholds(spec) if t.metric == "fault_internal_short"]
    got = []
    engine = LiveEngine(spec, thresholds=rules, alert_outputs=[got.extend])
    seen = []
    for start in range(0, len(data), 100):
        engine.process(data.slice(start, start + 100))
        seen += [f["detail"] for f in engine.open_alert_faults().values()]
    engine.finish()
    (raised,) = got
    first = raised.fault["detail"]["excess_temperature_k"]
    later = [d["excess_temperature_k"] for d in seen]
    assert min(later) >= first and later == sorted(later)
    assert later[-1] > 10 * first  # (the case: the short's heat grew for 20 minutes)
    # the end of the log: the alert carries the whole log's fault
    assert engine.open_alert_faults()[rules[0]] == short.to_dict()


def test_a_runaway_alarm_stays_up_while_the_cell_burns():
    """Cell 3 of a 16-cell pack runs away at 900 s (600 degC at 1500 s, still 157 degC
    at the hour): the onset test's episode ends at 1314 s, when the rise stops
    accelerating, and the alarm cleared there -- live and replayed alike."""
    import pandas as pd

    from app.diagnostics.alerts import default_thresholds
    from app.diagnostics.alerts.offline import episodes_from_events, evaluate_frame
    from app.diagnostics.faults import detect_faults
    from tests.diagnostics.simulated_runaway import RUNAWAY_CELL, runaway_drive

    spec, data = runaway_drive()
    (onset,) = detect_faults(data, spec).of_kind("thermal_runaway_onset")
    assert onset.end_time_s < 1400.0  # (the case: the test's episode is long over)
    assert data[f"cell_{RUNAWAY_CELL}_temp_c"][-1] > 150.0
    rules = [t for t in default_thresholds(spec) if t.metric == "fault_thermal_runaway_onset"]
    got = []
    engine = LiveEngine(spec, thresholds=rules, alert_outputs=[got.extend])
    for start in range(0, len(data), 500):
        engine.process(data.slice(start, start + 500))
    engine.finish()
    (episode,) = episodes_from_events(got)
    assert (episode.start_time_s, episode.end_time_s) == (onset.start_time_s, None)
    assert engine.alerts.active() == rules
    replayed = evaluate_frame(pd.DataFrame(dict(data.items())), spec, rules)
    assert [(e.start_time_s, e.end_time_s) for e in replayed] == [(onset.start_time_s, None)]


def test_a_runaway_alarm_the_short_explains_reads_withdrawn_not_cleared():
    """A short on cell 2 from 300 s (4-cell NMC, drive): the live engine raises a
    critical runaway-onset alert from 325 s, which cleared as if the runaway had
    passed, while the detector later put its heat down to the short (confirmed
    at 479 s) and the whole log's result had no onset at all. Once the short is
    confirmed the alert reads 'withdrawn' and why, not 'cleared'. (A log of cell
    temperatures without cell voltages: with them the onset test sees the short's
    current in the cell's voltage and raises no alarm, see test_short_heat.)"""
    from datetime import UTC, datetime

    from app.core.samples import SampleBlock
    from app.diagnostics.alerts.lifecycle import AlertBoard, state_text
    from app.hardware.simulator import Fault, simulate

    spec = preset("nmc", series_cells=4)
    full = simulate(
        spec, "drive", duration_s=900, seed=0, faults=[Fault("internal_short", 300, cell=2)]
    )
    block = SampleBlock(
        {c: full[c] for c in full.columns if not (c.startswith("cell_") and c.endswith("_v"))}
    )
    rules = [
        Threshold(f"fault_{k}", "above", level=0.5, severity="critical")
        for k in ("thermal_runaway_onset", "internal_short")
    ]
    got = []
    engine = LiveEngine(spec, thresholds=rules, alert_outputs=[got.extend])
    board = AlertBoard(lambda: datetime(2026, 5, 1, tzinfo=UTC))
    states = []  # (end of the block, the onset alert withdrawn?)
    for i in range(0, len(block), 100):
        engine.process(block.slice(i, i + 100))
        for e in got:
            board.apply(e)
        got.clear()
        board.note_withdrawn(engine.withdrawn_alarms())
        onset = [a for a in board.alerts.values() if a.metric == "fault_thermal_runaway_onset"]
        if onset:
            states.append((float(block["time_s"][min(i + 99, len(block) - 1)]), onset[0].withdrawn))
    engine.finish()
    board.note_withdrawn(engine.withdrawn_alarms())
    (onset,) = [a for a in board.alerts.values() if a.metric == "fault_thermal_runaway_onset"]
    assert onset.raised_time_s == 325.0 and onset.cleared
    # not withdrawn before the short was confirmed (479 s)
    assert states[0] == (399.0, None) and all(w for t, w in states if t >= 479.0)
    assert onset.withdrawn == "cell 2's internal short explains the heat"
    # the withdrawal is one audit entry, with its reason (the database writer stores it)
    (entry,) = [e for e in onset.audit if e.action == "withdrawn"]
    assert entry.comment == onset.withdrawn
    text = state_text(onset.status, acknowledged=False, critical=True, withdrawn=onset.withdrawn)
    assert text == "withdrawn, not acknowledged: cell 2's internal short explains the heat"
    assert any(a.metric == "fault_internal_short" for a in board.alerts.values())


def test_the_runaway_alarm_a_short_explains_is_raised_whatever_the_blocks():
    """The short of the test above (cell 2 from 300 s), logged with cell temperatures
    but no cell voltages: live, the runaway-onset alarm is raised at 325 s (no cell
    voltage tells a short's heat from a runaway's) and withdrawn once the short is
    confirmed by its heat at 479 s. A block
    holding both confirmations (a fast replay, the simulator at speed) never raised
    it: the detector had already dropped it as the short's heat. The user sees the
    same alerts, raised and cleared alike, whatever the blocks."""
    import json

    from app.core.samples import SampleBlock
    from app.diagnostics.alerts import default_thresholds
    from app.diagnostics.alerts.lifecycle import withdrawal_reason
    from app.hardware.simulator import Fault, simulate

    spec = preset("nmc", series_cells=4)
    cells = simulate(
        spec, "drive", duration_s=900, seed=0, faults=[Fault("internal_short", 300, cell=2)]
    )
    voltages = {f"cell_{k}_v" for k in range(1, 5)}
    data = SampleBlock({c: cells[c] for c in cells.columns if c not in voltages})

    def alerts(n: int) -> tuple[list[str], list[dict]]:
        got = []
        engine = LiveEngine(spec, thresholds=default_thresholds(spec), alert_outputs=[got.extend])
        for start in range(0, len(data), n):
            engine.process(data.slice(start, start + n))
        engine.finish()
        # (events of one block come in time order: across rules, the order they
        # were confirmed in may differ)
        return sorted(
            json.dumps(e.to_dict(), sort_keys=True) for e in got
        ), engine.withdrawn_alarms()

    small, withdrawn = alerts(1)
    onset = [json.loads(e) for e in small if "thermal_runaway_onset" in e]
    assert sorted((e["kind"], e["time_s"]) for e in onset) == [
        ("cleared", 394.0),
        ("raised", 325.0),
    ]
    raised = next(e for e in onset if e["kind"] == "raised")
    assert withdrawal_reason(raised["fault"], 325.0, withdrawn) is not None
    for n in (100, len(data)):
        assert alerts(n) == (small, withdrawn)
