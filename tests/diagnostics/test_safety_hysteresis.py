"""Safety limits as a BMS applies them: a tolerance before a trip, a release
hysteresis held for the debounce time, one episode per excursion; the live twin,
the fault detector and the default alert rules agree with it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.core.spec import preset
from app.diagnostics.alerts.offline import evaluate_frame
from app.diagnostics.alerts.thresholds import default_thresholds
from app.diagnostics.faults import detect_faults
from app.diagnostics.safety import SafetyMonitor, monitor_safety
from app.hardware.simulator import NoiseSpec, simulate

NMC4 = preset("nmc", capacity_ah=5.0, series_cells=4)


def frame(cells: np.ndarray, current: np.ndarray | float = 0.0) -> pd.DataFrame:
    """A 4-cell log at 1 Hz: ``cells`` is one cell's voltage, the others 3.9 V."""
    n = len(cells)
    cols = {"cell_1_v": cells, **{f"cell_{k}_v": np.full(n, 3.9) for k in (2, 3, 4)}}
    return pd.DataFrame(
        {
            "time_s": np.arange(n, dtype=float),
            "voltage_v": sum(cols.values()),
            "current_a": np.broadcast_to(current, (n,)).astype(float),
            "temperature_c": 25.0,
            **cols,
        }
    )


def cv_at_the_limit(seed: int = 1, hours: float = 2.0) -> np.ndarray:
    """A cell a CV phase holds at 4.20 V, read with 2 mV sensor noise (1 mV steps)."""
    rng = np.random.default_rng(seed)
    n = int(hours * 3600)
    return np.round(4.2 + rng.normal(0.0, 0.002, n), 3)


def test_a_cv_phase_at_the_limit_with_sensor_noise_is_no_violation():
    res = monitor_safety(frame(cv_at_the_limit(), current=0.2), NMC4)
    assert res.status == "ok" and res.events == []


def test_one_excursion_hovering_about_the_limit_is_one_episode():
    v = np.full(600, 3.9)
    # 100-199 s: over the limit, dipping back to it (within the release level) four
    # times for 5 s; then back below the release level (4.2 V - 15 mV = 4.185 V)
    v[100:200] = 4.26
    for a in (120, 140, 160, 180):
        v[a : a + 5] = 4.19
    res = monitor_safety(frame(v), NMC4)
    (event,) = res.events
    assert (event.check, event.channel) == ("cell_over_voltage", "cell_1_v")
    assert (event.start_time_s, event.end_time_s, event.worst_value) == (100.0, 199.0, 4.26)
    assert event.severity == "warning"  # 60 mV over: within 2 %


def test_a_release_needs_the_debounce_time_back_inside():
    v = np.full(600, 3.9)
    v[100:110] = 4.30
    v[110] = 4.0  # one sample back inside: no release
    v[111:121] = 4.30
    (event,) = monitor_safety(frame(v), NMC4).events
    assert (event.start_time_s, event.end_time_s) == (100.0, 120.0)
    v[110:113] = 4.0  # 3 samples, 2 s: released
    first, second = monitor_safety(frame(v), NMC4).events
    assert (first.end_time_s, second.start_time_s) == (109.0, 113.0)


def test_over_current_within_the_tolerance_of_the_limit_is_no_violation():
    # a cycler channel set at the 1.5C discharge rating (7.5 A), read with 0.5 % noise
    rng = np.random.default_rng(3)
    i = -7.5 + rng.normal(0.0, 0.025, 7200)
    assert monitor_safety(frame(np.full(7200, 3.7), i), NMC4).events == []
    i[1000:1100] = -7.9  # 5 % over: a violation, until the current is back under the
    i[1100:] = -5.0  # release level (5 % under the rating): at it, it stays latched
    (event,) = monitor_safety(frame(np.full(7200, 3.7), i), NMC4).events
    assert event.check == "over_current_discharge"
    assert (event.start_time_s, event.end_time_s) == (1000.0, 1099.0)


def _with_excursions(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    v = cv_at_the_limit(seed, hours=0.5)
    for a in rng.integers(0, len(v) - 60, 8):
        v[a : a + rng.integers(1, 60)] += rng.choice([0.03, 0.1])
        v[a + 60 : a + 60 + rng.integers(0, 5)] = 4.0  # short or held releases
    return frame(v, current=0.2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_live_twin_equals_offline_at_every_split(seed):
    data = _with_excursions(seed)
    whole = monitor_safety(data, NMC4)
    assert len(whole.events) >= 2
    rng = np.random.default_rng(seed)
    for _ in range(40):
        cuts = np.sort(rng.choice(np.arange(1, len(data)), rng.integers(1, 30), replace=False))
        live = SafetyMonitor(NMC4)
        for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True):
            live.update(_block(data.iloc[a:b]))
        assert live.result() == whole


def _block(df):
    from app.diagnostics.incremental import as_block

    return as_block(df)


def test_default_alert_rules_give_the_safety_episodes():
    # none at a CV phase held at the limit; one per excursion, as safety
    spec = NMC4
    rules = [r for r in default_thresholds(spec) if r.metric == "cell_v_max"]
    rules = [r for r in rules if r.severity == "warning"]
    quiet = frame(cv_at_the_limit(hours=1.0), current=0.2)
    assert evaluate_frame(quiet, spec, rules) == []
    v = np.full(900, 3.9)
    v[100:200] = 4.26
    for a in (120, 140, 160, 180):
        v[a : a + 5] = 4.19
    v[500:530] = 4.25
    data = frame(v)
    episodes = evaluate_frame(data, spec, rules)
    events = monitor_safety(data, spec).events
    assert len(episodes) == len(events) == 2
    # (an alert is dated when it is raised, after the debounce)
    assert [e.start_time_s for e in episodes] == [e.start_time_s + 2.0 for e in events]


def test_faults_and_safety_agree_on_over_current():
    # 3 % over the 7.5 A discharge rating for a minute: beyond the tolerance (2 % of
    # the limit) for both; 1 % over: within it for both
    for over, found in ((1.03, True), (1.01, False)):
        i = np.zeros(1200)
        i[300:360] = -7.5 * over
        data = frame(np.full(1200, 3.9), i)
        safety = [e.check for e in monitor_safety(data, NMC4).events]
        faults = [f.kind for f in detect_faults(data, NMC4).faults]
        assert (safety == ["over_current_discharge"]) is found, over
        assert (faults == ["over_current"]) is found, over


@pytest.mark.parametrize("chemistry", ["nmc", "lfp", "lead_acid"])
def test_a_healthy_simulated_cycle_with_sensor_noise_violates_no_limit(chemistry):
    spec = preset(chemistry, series_cells=6 if chemistry == "lead_acid" else 4)
    block = simulate(spec, "cycle", duration_s=20000, noise=NoiseSpec.typical(spec), seed=4)
    res = monitor_safety(block, spec)
    assert res.events == [], res.events[:3]


def _over_current(res):
    return [(e.check, e.severity) for e in res.events if e.check.startswith("over_current")]


def test_a_current_limits_tolerance_comes_from_that_limit_alone():
    # a 10C discharge limit does not loosen the 0.7C charge limit: 25 % over is critical
    wide = NMC4.with_overrides(max_discharge_current_c=10.0)
    res = monitor_safety(frame(np.full(3600, 3.9), wide.max_charge_current_a * 1.25), wide)
    assert _over_current(res) == [("over_current_charge", "critical")]
    # LFP (charge 4C, discharge 20C): 5 % and 9.5 % over the charge limit are warnings
    lfp = preset("lfp", series_cells=4)
    for over, found in ((1.01, []), (1.05, "warning"), (1.095, "warning"), (1.15, "critical")):
        res = monitor_safety(frame(np.full(600, 3.3), lfp.max_charge_current_a * over), lfp)
        assert _over_current(res) == ([("over_current_charge", found)] if found else []), over
    # the default alert rules: the warning level inside the critical one on both sides
    for spec in (wide, lfp):
        for side in ("above", "below"):
            warn, crit = sorted(
                (
                    r
                    for r in default_thresholds(spec)
                    if r.metric == "current_a" and r.comparison == side
                ),
                key=lambda r: abs(r.level),
            )
            assert (warn.severity, crit.severity) == ("warning", "critical")


def _overshoot_then_cv_then_rest() -> pd.DataFrame:
    # 20 s at 4.215 V, a CV phase at 4.200 V to 1 h, rest at 4.17 V (1 mV noise)
    t = np.arange(7200.0)
    v = np.where(t < 20, 4.215, np.where(t < 3600, 4.200, 4.17))
    v = v + 0.001 * np.random.default_rng(0).standard_normal(len(t))
    return frame(v, current=np.where(t < 3600, 1.0, 0.0))


def test_an_overshoot_releases_once_the_cell_rests_below_the_limit():
    data = _overshoot_then_cv_then_rest()
    (event,) = monitor_safety(data, NMC4).events
    assert event.check == "cell_over_voltage" and event.start_time_s == 0.0
    assert event.end_time_s < 3600.0  # (a 2 % hysteresis held it to the end, 7199 s)
    rules = [r for r in default_thresholds(NMC4) if r.metric == "cell_v_max"]
    (episode,) = evaluate_frame(data, NMC4, [r for r in rules if r.severity == "warning"])
    assert episode.end_time_s is not None and episode.end_time_s < 3610.0


def _fast_log(mean: float, hz: float = 50.0, minutes: float = 30.0) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = int(minutes * 60 * hz)
    data = frame(mean + rng.normal(0.0, 0.003, n), current=0.2)
    data["time_s"] = np.arange(n) / hz
    return data


def test_noise_does_not_hide_a_cell_held_over_the_limit_on_a_fast_log():
    # 8 mV over (3 mV beyond the tolerance) for 30 min, read at 50 Hz with 3 mV noise
    (event,) = monitor_safety(_fast_log(4.208), NMC4).events
    assert (event.check, event.severity) == ("cell_over_voltage", "warning")
    assert event.start_time_s < 60.0 and event.end_time_s > 1790.0
    # ... while a cell held at the limit itself, beyond it half the time, is no violation
    assert monitor_safety(_fast_log(4.200), NMC4).events == []


def test_a_large_excess_trips_at_once():
    # 10x the discharge rating for 1 s (one sample at 1 Hz): critical at once
    i = np.zeros(600)
    i[300] = -75.0
    res = monitor_safety(frame(np.full(600, 3.9), i), NMC4)
    assert _over_current(res) == [("over_current_discharge", "critical")]
    i[300] = -14.0  # under twice the rating: a second is within the debounce
    assert monitor_safety(frame(np.full(600, 3.9), i), NMC4).events == []
    # a slow log (a sample a minute): one reading beyond the critical margin trips
    v = np.full(60, 3.9)
    v[30] = 4.30
    data = frame(v)
    data["time_s"] *= 60.0
    (event,) = monitor_safety(data, NMC4).events
    assert (event.check, event.severity, event.start_time_s) == (
        "cell_over_voltage",
        "critical",
        1800.0,
    )
    v[30] = 4.25  # within the margin: one reading is within the debounce
    assert monitor_safety(frame(v), NMC4).events == []


def _new_cases() -> pd.DataFrame:
    # held noise over the limit at 10 Hz, fast trips, an overshoot and its release
    noisy = _fast_log(4.206, hz=10.0, minutes=10.0)["cell_1_v"].to_numpy().copy()
    noisy[500:3000] = np.round(noisy[500:3000] - 0.003, 3)
    noisy[3000:3100] = 4.0  # released
    noisy[3100:4100] = 4.19
    noisy[4000] = 4.35  # trips at once
    noisy[4100:4500] = 4.0
    noisy[4500:4520] = 4.215
    noisy[4520:5000] = 4.2
    noisy[5000:] = 4.17
    i = np.zeros(len(noisy))
    i[3000] = -75.0
    i[3500:3530] = -8.0
    data = frame(noisy, i)
    data["time_s"] = np.arange(len(noisy)) / 10.0
    return data


def test_live_twin_equals_offline_at_every_split_on_the_new_cases():
    data = _new_cases()
    whole = monitor_safety(data, NMC4)
    assert len(whole.events) >= 4
    rng = np.random.default_rng(9)
    for _ in range(60):
        cuts = np.sort(rng.choice(np.arange(1, len(data)), rng.integers(1, 40), replace=False))
        live = SafetyMonitor(NMC4)
        for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True):
            live.update(_block(data.iloc[a:b]))
        assert live.result() == whole
