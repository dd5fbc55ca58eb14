"""Thresholds: JSON export/import and defaults from the chemistry limits."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.core.errors import SchemaError
from app.core.spec import preset
from app.diagnostics.alerts import (
    Threshold,
    default_thresholds,
    profile_name,
    thresholds_from_json,
    thresholds_to_json,
)


def test_json_round_trip_keeps_every_rule():
    rules = default_thresholds(preset("lfp", series_cells=8), profile="bench-3")
    text = thresholds_to_json(rules)
    doc = json.loads(text)
    assert doc["format"] == "batteryos.alert_thresholds" and doc["version"] == 1
    assert "id" not in doc["thresholds"][0]
    assert thresholds_from_json(text) == rules


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON"),
        ('{"format": "other"}', "not a Battery OS thresholds file"),
        ('{"version": 9, "thresholds": []}', "newer Battery OS"),
        ('{"thresholds": {}}', "expected a list"),
        ('[{"metric": "cell_v_max"}]', "threshold 1: .*missing 'comparison'"),
        (
            '[{"metric": "cell_v_max", "comparison": "above", "level": "4.2"}]',
            "level must be a number",
        ),
        ('[{"metric": "x", "comparison": "above", "level": 1, "colour": 2}]', "unknown field"),
        ('[{"metric": "soc_percent", "comparison": "near", "level": 1}]', "threshold 1"),
    ],
)
def test_bad_json_names_the_problem(text, message):
    with pytest.raises(SchemaError, match=message):
        thresholds_from_json(text)


def test_defaults_follow_the_chemistry_limits():
    nmc = preset("nmc", series_cells=4, capacity_ah=50)
    rules = {(r.metric, r.severity.value): r for r in default_thresholds(nmc)}
    # beyond the limit by the safety check's tolerance (5 mV a cell, 2 % of each
    # current limit), cleared back inside by its hysteresis (15 mV a cell)
    assert rules[("cell_v_max", "warning")].level == pytest.approx(nmc.cell_v_max + 0.005)
    assert rules[("cell_v_min", "warning")].level == pytest.approx(nmc.cell_v_min - 0.005)
    assert rules[("cell_v_max", "warning")].clear_level == pytest.approx(nmc.cell_v_max - 0.015)
    assert rules[("cell_v_max", "critical")].level == pytest.approx(1.02 * nmc.cell_v_max)
    # temperature: beyond the limit by 0.5 degC (critical: by 3 degC), the charge
    # window's limit while charging (NMC: 45 degC, not 60), cleared 3 degC inside
    hot = rules[("temperature_max_c", "warning")]
    assert (hot.level, hot.charge_level) == (
        nmc.discharge_temp_max_c + 0.5,
        nmc.charge_temp_max_c + 0.5,
    )
    assert hot.clear_level == nmc.discharge_temp_max_c - 3.0
    cold = rules[("temperature_min_c", "critical")]
    assert (cold.level, cold.charge_level) == (
        nmc.discharge_temp_min_c - 3.0,
        nmc.charge_temp_min_c - 3.0,
    )
    current = [r for r in default_thresholds(nmc) if r.metric == "current_a"]
    levels = {(r.comparison.value, r.severity.value): r.level for r in current}
    i_chg, i_dis = nmc.max_charge_current_a, nmc.max_discharge_current_a
    # (2 % of 35 A is under the sensor's noise, 1.5 % of 1C: 0.75 A)
    assert levels[("above", "warning")] == pytest.approx(i_chg + 0.75)
    assert levels[("below", "warning")] == pytest.approx(-1.02 * i_dis)
    assert levels[("above", "critical")] == pytest.approx(1.1 * i_chg)
    # safety's fast trip: twice a current limit, a voltage past the critical margin
    assert {r.fast_level for r in current if r.comparison.value == "above"} == {2 * i_chg}
    assert rules[("cell_v_max", "warning")].fast_level == pytest.approx(1.02 * nmc.cell_v_max)
    assert {r.delay_s for r in current} == {r.clear_delay_s for r in current} == {2.0}
    assert ("cell_spread_mv", "warning") in rules
    assert ("fault_thermal_runaway_onset", "critical") in rules
    assert {r.profile for r in rules.values()} == {profile_name(nmc)}

    lfp = default_thresholds(preset("lfp"))
    level = next(r for r in lfp if r.metric == "cell_v_max").level
    assert level == pytest.approx(preset("lfp").cell_v_max + 0.005)
    assert all(r.metric != "cell_spread_mv" for r in lfp)  # one cell: no spread


def test_describe_reads_like_the_rule():
    rule = Threshold("cell_v_max", "above", level=4.2, clear_level=4.15, delay_s=2)
    assert rule.describe() == "cell_v_max above 4.2 (clear 4.15) for 2 s"
    band = Threshold("current_a", "outside", band_low=-50, band_high=25, clear_level=2)
    assert band.describe() == "current_a outside -50..25 (margin 2)"


def test_words_read_as_an_engineer_would_say_the_rule():
    rule = Threshold("cell_v_max", "above", level=4.25, clear_level=4.15, delay_s=2)
    assert rule.words(full=False) == "Highest cell voltage above 4.25 V for 2 s"
    assert rule.words() == "Highest cell voltage above 4.25 V for 2 s; clears below 4.15 V"
    safety = Threshold(
        "temperature_min_c",
        "below",
        level=-30.5,
        charge_level=-0.5,
        clear_level=-27,
        fast_level=-40,
        delay_s=2,
        noise_band=0.25,
        clear_delay_s=2,
    )
    # the clear and fast levels move with the level while charging: both said
    assert safety.words() == (
        "Lowest temperature below -30.5 °C (-0.5 °C while charging) for 2 s; "
        "at once below -40 °C (-10 °C while charging); "
        "clears after 2 s above -27 °C (3 °C while charging); noise band 0.25 °C"
    )
    band = Threshold("current_a", "outside", band_low=-50, band_high=25, clear_level=2)
    assert band.words() == "Current (+ charging) outside -50 .. 25 A; clears 2 A inside the band"
    assert band.words(named=False) == "outside -50 .. 25 A; clears 2 A inside the band"
    fault = Threshold("fault_internal_short", "above", level=0.5)
    assert fault.words() == "Fault: internal short detected"
    # no machine key in any default rule's words
    for th in default_thresholds(preset("nmc", series_cells=4)):
        assert th.metric not in th.words() and "_" not in th.words()


@pytest.mark.parametrize(
    ("amps", "volts"),
    [(5.0, 3.7), (3.7, 3.7), (1.0, 4.25), (1.0, 4.4), (-1.0, 2.48), (-1.0, 2.3)],
)
def test_defaults_grade_a_violation_as_the_safety_check_does(amps, volts):
    # one source of severity: 5 A against a 3.5 A limit was a warning alert but a
    # critical safety event; a cell at 4.25 V (within the 2 % margin) the reverse
    import pandas as pd

    from app.diagnostics.alerts.offline import evaluate_frame
    from app.diagnostics.safety import monitor_safety

    spec = preset("nmc", series_cells=1)
    t = np.arange(0.0, 30.0, 0.5)
    frame = pd.DataFrame(
        {
            "time_s": t,
            "voltage_v": np.where((t >= 5) & (t < 25), volts, 3.7),
            "current_a": np.where((t >= 5) & (t < 25), amps, 0.0),
            "temperature_c": 25.0,
        }
    )
    safety = {e.severity.value for e in monitor_safety(frame, spec).events}
    alerts = {
        e.severity
        for e in evaluate_frame(frame, spec, default_thresholds(spec))
        if e.metric in ("current_a", "cell_v_max", "cell_v_min")
    }
    worst = max(safety, key=["warning", "critical"].index)
    assert max(alerts, key=["warning", "critical"].index) == worst
