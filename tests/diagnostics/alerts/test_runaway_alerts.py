"""A thermal runaway as the Alerts page tells it: one worst figure for the episode
wherever shown, no open circuit for the dead cell, the dead cell's 0 V read as 0 V,
and the alerts still up ahead of the cleared ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from app.core.results import Severity
from app.diagnostics.alerts import AlertEvent, EventKind, Threshold, default_thresholds
from app.diagnostics.alerts.lifecycle import AlertBoard
from app.diagnostics.alerts.metrics import metric_value_text
from app.diagnostics.faults import detect_faults
from app.diagnostics.live import LiveEngine
from tests.diagnostics.simulated_runaway import runaway_drive

RUNAWAY = "fault_thermal_runaway_onset"


@pytest.fixture(scope="module")
def runaway():
    return runaway_drive()


@pytest.mark.parametrize("block", [7, 500, 2000])
def test_a_runaway_alert_s_worst_is_its_episode_s_as_the_detector_reports_it(runaway, block):
    """The alert stays up while the cell burns, long after the onset test's episode
    ended (1314 s) and its fault's window closed: its figures as last known stopped
    at the last block that ended inside that window (a 1600-sample block in the GUI:
    'peak 157.9 °C' against the Fault detection page's 699.9 °C). They are now the
    episode's as the detector reports it, whatever the blocks."""
    spec, data = runaway
    (onset,) = detect_faults(data, spec).of_kind("thermal_runaway_onset")
    rules = [t for t in default_thresholds(spec) if t.metric == RUNAWAY]
    engine = LiveEngine(spec, thresholds=rules, alert_outputs=[])
    for start in range(0, len(data), block):
        engine.process(data.slice(start, start + block))
        if start + block > onset.end_time_s + 200:  # (long after: mid-log, live)
            live = engine.open_alert_faults()[rules[0]]
            assert live["detail"]["max_temperature_c"] == onset.detail["max_temperature_c"]
    engine.finish()
    assert engine.open_alert_faults()[rules[0]] == onset.to_dict()


def test_the_dead_cell_raises_no_open_circuit_alert_and_its_0_v_reads_0_v(runaway):
    """The runaway's cell reads ~0 V at the next rest: that raised a critical 'open
    circuit' alert (cleared once current flowed through the cell: it was never open),
    and the lowest cell voltage's worst read '1.472e-209 V' (the simulated cell's
    decayed voltage, without sensor noise; see the next test)."""
    spec, data = runaway
    got: list[AlertEvent] = []
    engine = LiveEngine(spec, thresholds=default_thresholds(spec), alert_outputs=[got.extend])
    for start in range(0, len(data), 600):
        engine.process(data.slice(start, start + 600))
    engine.finish()
    assert not [e for e in got if e.threshold.metric == "fault_open_circuit"]
    worst = {t.metric: v for t, v in engine.alerts.open_worst().items()}
    assert abs(worst["cell_v_min"]) < 0.02  # (the noise of the cell's sensor)
    text = metric_value_text("cell_v_min", worst["cell_v_min"])
    assert text == f"{worst['cell_v_min']:.4g} V" and "e" not in text


def test_values_read_to_their_unit_s_resolution():
    assert metric_value_text("cell_v_min", 1.4720160960400947e-209) == "0 V"
    assert metric_value_text("cell_v_min", -1e-12) == "0 V"  # (not '-0 V')
    assert metric_value_text("cell_v_min", 2.427577) == "2.428 V"
    assert metric_value_text("temperature_max_c", 702.3626) == "702.4 °C"
    assert metric_value_text("cell_v_min", 4.2, with_unit=False) == "4.2"
    # a coin cell's currents keep their digits (3 decimals of A read 0.2 mA as 0 A)
    assert metric_value_text("current_a", -0.000212) == "-0.000212 A"
    assert metric_value_text("current_a", 0.003575) == "0.003575 A"


def _board():
    now = [datetime(2026, 1, 1, tzinfo=UTC)]

    def clock():
        now[0] += timedelta(seconds=1)
        return now[0]

    return AlertBoard(clock)


def test_alerts_still_up_lead_the_cleared_ones():
    """An open-circuit alert raised last and cleared led the banner over the
    runaway alert still up ('Fault: open circuit ... (cleared) (+3 more)')."""
    board = _board()
    up = Threshold(RUNAWAY, "above", level=0.5, severity=Severity.CRITICAL)
    gone = Threshold("fault_open_circuit", "above", level=0.5, severity=Severity.CRITICAL)
    warn = Threshold("temperature_max_c", "above", level=55.0)
    board.apply(AlertEvent(EventKind.RAISED, up, 925.0, 1.0, 0.5))
    board.apply(AlertEvent(EventKind.RAISED, warn, 1000.0, 56.0, 55.0))
    board.apply(AlertEvent(EventKind.RAISED, gone, 1200.0, 1.0, 0.5))
    board.apply(AlertEvent(EventKind.CLEARED, gone, 1790.0, 1.0, 0.5))
    assert [a.metric for a in board.banner()] == [RUNAWAY, "fault_open_circuit"]
    assert [a.metric for a in board.current()] == [
        RUNAWAY,
        "fault_open_circuit",
        "temperature_max_c",
    ]


def test_the_banner_leads_with_the_first_out_fault_not_the_newest_limit():
    """During a runaway (700 °C) the banner led with 'Lowest cell voltage', the
    dead cell's alarm raised after the onset: the cascade's first alarm leads, a
    detected fault before a limit."""
    board = _board()
    hot = Threshold("temperature_max_c", "above", level=60.0, severity=Severity.CRITICAL)
    onset = Threshold(RUNAWAY, "above", level=0.5, severity=Severity.CRITICAL)
    low = Threshold("cell_v_min", "below", level=2.5, severity=Severity.CRITICAL)
    board.apply(AlertEvent(EventKind.RAISED, hot, 930.0, 61.0, 60.0))
    board.apply(AlertEvent(EventKind.RAISED, onset, 925.0, 1.0, 0.5))
    board.apply(AlertEvent(EventKind.RAISED, low, 990.0, 0.0, 2.5))
    assert [a.metric for a in board.banner()] == [RUNAWAY, "temperature_max_c", "cell_v_min"]
    # the Alerts page's list is as it was: most severe, still up, newest first
    assert [a.metric for a in board.current()] == ["cell_v_min", RUNAWAY, "temperature_max_c"]


def test_a_withdrawn_runaway_alarm_leaves_the_banner_but_awaits_acknowledgement():
    """After acknowledging cell 2's short the banner stayed CRITICAL, led by the
    runaway alarm the detector had put down to that short."""
    board = _board()
    onset = Threshold(RUNAWAY, "above", level=0.5, severity=Severity.CRITICAL)
    short = Threshold("fault_internal_short", "above", level=0.5, severity=Severity.CRITICAL)
    fault = {"channel": "cell_2_v", "start_time_s": 320.0, "detail": {"detected_time_s": 325.0}}
    board.apply(AlertEvent(EventKind.RAISED, onset, 325.0, 1.0, 0.5, fault=fault))
    board.apply(AlertEvent(EventKind.CLEARED, onset, 420.0, 0.0, 0.5))
    board.apply(AlertEvent(EventKind.RAISED, short, 479.0, 1.0, 0.5))
    reason = "cell 2's internal short explains the heat"
    board.note_withdrawn(
        [
            {
                "channel": "cell_2_v",
                "start_time_s": 300.0,
                "short_detected_s": 479.0,
                "reason": reason,
            }
        ]
    )
    assert [a.metric for a in board.banner()] == ["fault_internal_short"]
    board.acknowledge(next(a.key for a in board.banner()), "root")
    assert board.banner() == []
    # still to be acknowledged on the Alerts page, where it reads withdrawn
    assert [a.metric for a in board.current()] == ["fault_internal_short", RUNAWAY]


def test_a_stuck_temperature_sensor_raises_a_warning():
    """Fault detection found the pack's temperature sensor stuck, but the default
    rules had none for a stuck, noisy or out-of-range sensor: the Alerts page stayed
    empty while the safety check judged a frozen reading."""
    from app.core.spec import preset
    from app.hardware.simulator import Fault, NoiseSpec, simulate

    spec = preset("nmc", series_cells=4)
    metrics = {t.metric: t.severity for t in default_thresholds(spec)}
    for kind in ("stuck", "noisy", "out_of_range", "dropout"):
        assert metrics[f"fault_sensor_{kind}"] is Severity.WARNING
    data = simulate(
        spec,
        "cycle",
        duration_s=1200,
        seed=0,
        noise=NoiseSpec.typical(spec),
        faults=[Fault("sensor_stuck", 300.0, channel="temperature_c")],
    )
    (stuck,) = detect_faults(data, spec).of_kind("sensor_stuck")
    got: list[AlertEvent] = []
    engine = LiveEngine(spec, thresholds=default_thresholds(spec), alert_outputs=[got.extend])
    for start in range(0, len(data), 100):
        engine.process(data.slice(start, start + 100))
    engine.finish()
    (raised,) = [e for e in got if e.threshold.metric == "fault_sensor_stuck"]
    assert raised.kind is EventKind.RAISED and raised.threshold.severity is Severity.WARNING
    assert raised.fault["channel"] == "temperature_c" == stuck.channel
    assert np.isclose(raised.time_s, stuck.start_time_s)


def test_an_alert_up_when_its_source_ended_is_not_said_to_have_cleared():
    """Disconnecting (or a log's end) closes the alerts still up: a 698 °C alarm then
    read 'cleared, not acknowledged' on the Alerts and History pages and in the
    report, as if the pack had cooled."""
    from app.diagnostics.alerts.lifecycle import state_text
    from app.reports.content import _cleared_text, live_alert_row

    board = _board()
    hot = Threshold("temperature_max_c", "above", level=63.0, severity=Severity.CRITICAL)
    board.apply(AlertEvent(EventKind.RAISED, hot, 930.0, 64.0, 63.0))
    (alert,) = board.close_open()
    assert alert.cleared and alert.cleared_time_s is None
    words = dict(acknowledged=False, critical=True)
    assert state_text(alert.status, **words, source_ended=True) == (
        "up when its source ended, not acknowledged"
    )
    assert state_text(alert.status, **words) == "cleared, not acknowledged"
    assert _cleared_text(live_alert_row(alert)).startswith("up when its source ended, ")
