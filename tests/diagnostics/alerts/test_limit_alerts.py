"""The default limit rules judge as the safety check does: the charge temperature
window while charging, safety's tolerance, its fast trip and its noise-proof
debounce, so that a limit alert raises where the safety event trips and clears where it
releases, whatever blocks the samples come in."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.alerts import EventKind, default_thresholds
from app.diagnostics.alerts.evaluator import evaluate_blocks
from app.diagnostics.alerts.metrics import PackCells
from app.diagnostics.safety import SafetyMonitor, monitor_safety
from tests.real_data import REAL_DATA


def _block(t, volts, amps, temp) -> SampleBlock:
    n = len(t)
    return SampleBlock(
        {
            "time_s": np.asarray(t, dtype=float),
            "voltage_v": np.broadcast_to(np.asarray(volts, dtype=float), (n,)).copy(),
            "current_a": np.broadcast_to(np.asarray(amps, dtype=float), (n,)).copy(),
            "temperature_c": np.broadcast_to(np.asarray(temp, dtype=float), (n,)).copy(),
        }
    )


def _alerts(block: SampleBlock, spec, metric: str, severity: str = "warning", cuts=()) -> list:
    rules = [
        r for r in default_thresholds(spec) if r.metric == metric and r.severity.value == severity
    ]
    bounds = [0, *cuts, len(block)]
    blocks = [block.slice(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]
    return evaluate_blocks(blocks, rules, PackCells.of(spec))


@pytest.mark.parametrize("chemistry", ["lfp", "nmc"])
def test_charging_below_freezing_alerts_as_safety_does(chemistry):
    # LFP and NMC may not be charged below 0 degC; discharged down to -20/-30 degC.
    # The temperature rule used the discharge window even while charging: a pack
    # charged at -4 degC raised nothing.
    # A charge counts once sustained for a minute (a drive's regen pulses are no
    # charge), for safety and the alert rules alike.
    spec = preset(chemistry, series_cells=1, capacity_ah=10)
    t = np.arange(0.0, 120.0, 0.5)
    charging = _block(t, 3.3, np.where(t < 20, 0.0, 5.0), -4.0)
    safety = [e for e in monitor_safety(charging, spec).events if e.check == "under_temperature"]
    assert [e.start_time_s for e in safety] == [80.0]
    for severity in ("warning", "critical"):
        events = _alerts(charging, spec, "temperature_min_c", severity)
        # raised once the 2 s debounce is over, as the safety event trips
        assert [(e.kind, e.time_s) for e in events] == [(EventKind.RAISED, 82.0)]
        assert events[0].threshold_value == spec.charge_temp_min_c - (
            0.5 if severity == "warning" else 3.0
        )
    # discharging at -4 degC is inside the discharge window: no safety event, no alert
    discharging = _block(t, 3.3, -5.0, -4.0)
    assert not monitor_safety(discharging, spec).events
    assert not _alerts(discharging, spec, "temperature_min_c")


def test_a_temperature_within_the_tolerance_of_its_limit_is_no_alert():
    # NTC channels read to +-0.5 degC: 60.3 degC on a 60 degC limit is no violation
    # to the safety check, and was a critical alert
    spec = preset("nmc", series_cells=1, capacity_ah=10)
    t = np.arange(0.0, 60.0, 0.5)
    warm = _block(t, 3.7, -5.0, np.where(t > 10, 60.3, 40.0))
    assert not monitor_safety(warm, spec).events
    for severity in ("warning", "critical"):
        assert not _alerts(warm, spec, "temperature_max_c", severity)
    # a charge at 46 degC is beyond the charge window's 45 degC (once sustained)
    t = np.arange(0.0, 120.0, 0.5)
    charge = _block(t, 3.7, 5.0, np.where(t > 10, 46.0, 40.0))
    assert [e.check for e in monitor_safety(charge, spec).events] == ["over_temperature"]
    assert [e.kind for e in _alerts(charge, spec, "temperature_max_c")] == [EventKind.RAISED]


@pytest.mark.parametrize(
    ("volts", "amps", "metric"),
    [
        (3.7, 3.0 * 35.0, "current_a"),  # three times the 35 A charge limit
        (3.7, -3.0 * 150.0, "current_a"),  # three times the discharge limit
        (4.35, 0.0, "cell_v_max"),  # past the critical margin (2 % of 4.2 V)
    ],
)
def test_fast_trip_raises_at_once(volts, amps, metric):
    # a 1 s over-current of 3x the limit, or an over-voltage past the margin, trips
    # the safety check at once (a BMS's short-circuit / secondary protection); the
    # alerts waited out their 2 s and raised nothing. A voltage at its second reading
    # there (one alone is a sensor's glitch; this cell has no other sensor to agree)
    spec = preset("nmc", series_cells=1, capacity_ah=50)
    t = np.arange(0.0, 20.0, 0.1)
    pulse = (t >= 5.0) & (t < 6.0)
    block = _block(t, np.where(pulse, volts, 3.7), np.where(pulse, amps, 0.0), 25.0)
    monitor = SafetyMonitor(spec)
    monitor.update(block)
    ((event, tripped, _),) = monitor.episodes()
    assert event.start_time_s == 5.0
    assert tripped == (t[51] if metric == "cell_v_max" else 5.0)
    for severity in ("warning", "critical"):
        alerts = _alerts(block, spec, metric, severity)
        raised = [e.time_s for e in alerts if e.kind is EventKind.RAISED]
        assert raised == [tripped], severity


def _noisy_hover(seed: int) -> tuple[SampleBlock, object]:
    """A cell held near its 4.2 V limit with 2 mV noise, in stretches at, just over
    and well over the limit and back inside: noise dips within half the tolerance
    while over it, and episodes come and go."""
    spec = preset("nmc", series_cells=1, capacity_ah=50)
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, 600.0, 0.1)
    steps = rng.choice([4.19, 4.2, 4.2035, 4.206, 4.21, 4.17], size=60)
    level = np.repeat(steps, len(t) // len(steps))
    volts = level + rng.normal(0.0, 0.002, len(t))
    return _block(t, volts, 0.0, 25.0), spec


@pytest.mark.parametrize("seed", range(4))
def test_a_limit_alert_raises_and_clears_at_the_safety_events_samples(seed):
    # noise dipping back within half the tolerance does not restart the 2 s count
    # (safety's debounce); the alert restarted it at every dip, so it raised later
    # than the safety event tripped, or not at all, and cleared at the first sample
    # back inside however brief, where safety waits 2 s for the release
    block, spec = _noisy_hover(seed)
    t = block["time_s"]
    v = block["voltage_v"]
    events = [e for e in monitor_safety(block, spec).events if e.check == "cell_over_voltage"]
    assert events  # the trace does cross the limit
    alerts = _alerts(block, spec, "cell_v_max")
    raised = [e.time_s for e in alerts if e.kind is EventKind.RAISED]
    cleared = [e.time_s for e in alerts if e.kind is EventKind.CLEARED]
    assert len(raised) == len(events)
    tol = 0.005
    for e, r in zip(events, raised, strict=True):
        # the first sample over the tolerance 2 s after the run's start trips it
        after = np.flatnonzero((t >= e.start_time_s + 2.0) & (v > spec.cell_v_max + tol))
        assert r == t[after[0]]
    closed = [e for e in events if e.end_time_s < t[-1]]
    assert len(cleared) == len(closed)
    for e, c in zip(closed, cleared, strict=True):
        # the release: the first sample of the run back inside after the episode's end
        assert c == t[np.searchsorted(t, e.end_time_s) + 1]


@pytest.mark.parametrize("seed", range(3))
def test_limit_alerts_do_not_depend_on_the_blocks(seed):
    block, spec = _noisy_hover(seed)
    rng = np.random.default_rng(100 + seed)
    cuts = np.sort(rng.choice(np.arange(1, len(block)), size=40, replace=False))
    rules = [r for r in default_thresholds(spec) if r.metric == "cell_v_max"]
    whole = evaluate_blocks([block], rules, PackCells.of(spec))
    bounds = [0, *cuts.tolist(), len(block)]
    split = evaluate_blocks(
        [block.slice(a, b) for a, b in zip(bounds, bounds[1:], strict=False)],
        rules,
        PackCells.of(spec),
    )
    assert [(e.kind, e.time_s, e.value) for e in split] == [
        (e.kind, e.time_s, e.value) for e in whole
    ]


@pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")
def test_on_a_slow_log_the_alert_spans_trip_to_release_the_event_first_to_last_beyond():
    """The README said a limit alert and a safety event "raise and clear at the same
    samples"; a user read the Neware log's event at 3331-6600 s and its alert at
    3361-6630 s. What holds (and the README now says): the warning alert raises where the
    event trips and clears where it releases, a sample after the event's span."""
    from app.diagnostics.alerts.offline import evaluate_frame
    from app.hardware.logs.formats import open_log

    frame = open_log(str(REAL_DATA / "neware" / "nw_regular_export_ife_example.csv")).frame
    spec = preset("nmc", capacity_ah=0.35)
    t = frame["time_s"].to_numpy()
    monitor = SafetyMonitor(spec)
    monitor.update(SampleBlock.from_frame(frame))
    episodes = [
        (event, tripped)
        for event, tripped, _ in monitor.episodes()
        if event.check == "cell_over_voltage" and event.end_time_s < t[-1]
    ]
    warning = [r for r in default_thresholds(spec) if r.metric == "cell_v_max"]
    warning = [r for r in warning if r.severity.value == "warning"]
    alerts = [a for a in evaluate_frame(frame, spec, warning)]
    assert len(alerts) >= len(episodes) >= 3
    by_start = {a.start_time_s: a for a in alerts}
    for event, tripped in episodes:
        alert = by_start[tripped]
        assert alert.end_time_s == t[np.searchsorted(t, event.end_time_s) + 1]
    event, tripped = next((e, tr) for e, tr in episodes if e.start_time_s == 3331.0)
    assert (event.end_time_s, tripped, by_start[tripped].end_time_s) == (6600.0, 3361.0, 6630.0)
