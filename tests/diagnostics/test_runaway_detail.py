"""A thermal runaway's fault detail: each figure of the moment it names."""

from __future__ import annotations

import numpy as np
import pytest

from app.diagnostics.faults import detect_faults
from app.diagnostics.thermal import analyze_thermal
from tests.diagnostics.simulated_runaway import drive_with_fault


def test_the_runaway_detail_gives_detection_and_peak_figures_the_summary_agrees_with():
    # the first-time user's case: the detail said detected at 634 s, "temperature_c
    # 693.7" and "rate 553 degC/min" (the peak bin's, 999 s) while the cell was at 26
    # degC at 634 s, and the thermal summary's fastest rise was 321 degC/min
    spec, block = drive_with_fault("thermal_runaway")
    faults = detect_faults(block, spec).to_list()
    (runaway,) = [f for f in faults if f["kind"] == "thermal_runaway_onset"]
    d = runaway["detail"]
    t, cell = block["time_s"], block["cell_2_temp_c"]

    def at(time_s: float) -> float:  # the cell's temperature over the 5 s bin ending then
        return float(np.mean(cell[(t > time_s - 5.0) & (t <= time_s)]))

    detected = d["detected_time_s"]
    assert 600.0 <= detected <= 660.0
    assert d["temperature_at_detection_c"] == pytest.approx(at(detected), abs=0.3)
    assert d["temperature_at_detection_c"] < 30.0  # found at the onset, not at the peak
    assert 0.7 <= d["excess_rate_at_detection_c_per_min"] < 5.0
    # the episode's peak: its hottest bin, and its fastest 120 s rise as the summary's
    assert d["max_temperature_c"] == pytest.approx(float(cell.max()), abs=5.0)
    summary = analyze_thermal(block, spec, faults=faults)
    assert d["max_rise_rate_c_per_min"] == pytest.approx(summary.max_rise_rate_c_per_min, rel=0.03)
    # the test's own peak rate, with the time and temperature of that bin
    assert runaway["start_time_s"] <= d["peak_rate_time_s"] <= runaway["end_time_s"]
    assert d["temperature_at_peak_rate_c"] == pytest.approx(at(d["peak_rate_time_s"]), abs=0.5)
    assert d["peak_excess_rate_c_per_min"] >= d["excess_rate_at_detection_c_per_min"]
    assert "temperature_c" not in d and "rate_c_per_min" not in d  # no unlabelled figure


def test_the_runaway_text_says_which_rate_is_an_instant_and_which_an_average():
    """The reviewer's alert read '0.87 °C/min faster than its neighbours ... fastest
    rise 0.2 °C/min (2 min)': the first is the test's curve's slope at detection, the
    second the cell's steepest 2-minute straight-line rise. Worded as such, they
    cannot read as one figure contradicting the other."""
    from app.diagnostics.faults.text import fault_summary

    fault = {
        "kind": "thermal_runaway_onset",
        "channel": "cell_2_temp_c",
        "detail": {
            "temperature_at_detection_c": 25.7,
            "excess_rate_at_detection_c_per_min": 0.87,
            "temperature_sensors": 4,
            "max_temperature_c": 25.7,
            "max_rise_rate_c_per_min": 0.2,
        },
    }
    text = fault_summary(fault)
    assert "rising 0.87 °C/min faster than its neighbours at that instant" in text
    assert "steepest 2-min average rise 0.2 °C/min" in text
    assert "fastest rise" not in text


def test_a_runaway_alarm_the_short_explains_is_withdrawn_and_said_so():
    """A short on cell 2 from 300 s (4-cell NMC, drive, no noise) in a log of cell
    temperatures without cell voltages (which would show the short's current at once
    and keep the onset test quiet: see :mod:`app.diagnostics.faults.short_heat`): the
    onset test raises an alarm from 325 s -- a live run shows it as a critical alert
    -- which the detector withdraws once the short is confirmed by its heat (479 s).
    The whole log's result had no trace of it: the thermal card read 'no
    thermal-runaway onset detected' and the fault list only the short, beside an
    alert the operator saw. The short now says it explains that alarm, and the
    thermal card says it was withdrawn; the live twin, fed block by block, gives the
    same at the end."""
    from app.core.samples import SampleBlock
    from app.core.spec import preset
    from app.diagnostics.faults.detector import FaultDetector
    from app.diagnostics.faults.text import fault_summary
    from app.hardware.simulator import Fault, simulate

    spec = preset("nmc", series_cells=4)
    full = simulate(
        spec, "drive", duration_s=900, seed=0, faults=[Fault("internal_short", 300, cell=2)]
    )
    block = SampleBlock(
        {c: full[c] for c in full.columns if not (c.startswith("cell_") and c.endswith("_v"))}
    )
    res = detect_faults(block, spec)
    assert not res.of_kind("thermal_runaway_onset")
    (short,) = res.of_kind("internal_short")
    # the live twin raised the onset before the short was confirmed
    det, onsets = FaultDetector(spec), []
    for i in range(0, len(block), 100):
        det.update(block.slice(i, i + 100))
        onsets += det.result().of_kind("thermal_runaway_onset")
    assert onsets and short.detail["detected_time_s"] > onsets[0].detail["detected_time_s"]
    assert short.detail["withdrawn_onset_start_s"] == onsets[0].start_time_s
    assert short.detail["withdrawn_onset_detected_s"] == onsets[0].detail["detected_time_s"]
    det.flush()
    assert det.result().to_list() == res.to_list()
    assert "runaway-onset alarm from 325 s, withdrawn as the short's heat" in fault_summary(
        short.to_dict()
    )
    thermal = analyze_thermal(block.to_frame(), spec, faults=res.to_list()).to_dict()
    (onset,) = [e for e in thermal["runaway_risk_evidence"] if e["factor"] == "runaway_onset"]
    assert onset["score"] == 0.0
    assert onset["detail"] == (
        "no thermal-runaway onset: the onset alarm on cell 2 from 325 s was withdrawn, "
        "cell 2's internal short explains the heat"
    )


def test_the_hot_spot_and_the_shorts_excess_heat_are_labelled_as_different_figures():
    """A short on cell 2 from 600 s: the thermal card's hot spot read 17.5 K and the
    short 'up to 16.0 K warmer than its neighbours' at the same moment. They are
    different figures -- the hottest sensor less the coolest at one moment, and
    the cell's excess over its neighbours' median (beyond its usual offset) over 5
    minutes -- and now say so."""
    from app.core.spec import preset
    from app.diagnostics.faults.text import fault_summary
    from app.hardware.simulator import Fault, simulate

    spec = preset("nmc", series_cells=4)
    block = simulate(
        spec, "drive", duration_s=1800, seed=0, faults=[Fault("internal_short", 600, cell=2)]
    )
    faults = detect_faults(block, spec)
    (short,) = faults.of_kind("internal_short")
    thermal = analyze_thermal(block.to_frame(), spec, faults=faults.to_list())
    excess = short.detail["excess_temperature_k"]
    assert thermal.max_sensor_spread_c > excess + 1.0  # (17.5 against 16.0 K)
    (hot,) = [e for e in thermal.to_dict()["runaway_risk_evidence"] if e["factor"] == "hot_spot"]
    assert hot["detail"].startswith(
        f"largest spread between cell sensors (hottest less coolest) "
        f"{thermal.max_sensor_spread_c:.1f} K"
    )
    assert f"up to {excess:.1f} K above its neighbours' median (5-min mean)" in fault_summary(
        short.to_dict()
    )


def test_the_runaways_peak_is_the_safety_events_peak_offline_and_live():
    """A simulated NMC runaway: the fault's peak said 699.9 degC (the hottest 5 s bin
    mean) and the safety check's over-temperature event on the same cell 702.4 degC
    (its hottest sample): two peaks for one event. The fault now gives the sample
    peak, the safety event's own figure, offline, in run_suite and live."""
    from app.diagnostics.faults.detector import FaultDetector
    from app.diagnostics.safety import monitor_safety
    from app.diagnostics.suite import run_suite

    spec, block = drive_with_fault("thermal_runaway", series_cells=16)
    (event,) = [e for e in monitor_safety(block, spec).events if e.channel == "cell_2_temp_c"]
    assert event.worst_value == float(np.max(block["cell_2_temp_c"]))
    (onset,) = detect_faults(block, spec).of_kind("thermal_runaway_onset")
    assert onset.detail["max_temperature_c"] == event.worst_value
    suite = run_suite(block.to_frame(), spec).results
    (fault,) = [f for f in suite["faults"] if f["kind"] == "thermal_runaway_onset"]
    (ev,) = [e for e in suite["safety"]["events"] if e["channel"] == "cell_2_temp_c"]
    assert fault["detail"]["max_temperature_c"] == ev["worst_value"] == event.worst_value
    offline = detect_faults(block, spec).to_list()
    for size in (1, 37, 1000):
        det = FaultDetector(spec)
        for i in range(0, len(block), size):
            det.update(block.slice(i, i + size))
        det.flush()
        (live,) = det.result().of_kind("thermal_runaway_onset")
        assert live.detail["max_temperature_c"] == event.worst_value
        assert det.result().to_list() == offline  # every figure, to the last bit


def test_a_runaway_short_of_the_limit_reports_its_highest_sample():
    """A log that ends a minute after the runaway was found, before the cell reaches
    its temperature limit (no safety event): the peak is the highest sample from the
    bin that confirmed it to the episode's end, not a bin mean."""
    from app.diagnostics.faults.detector import FaultDetector
    from app.diagnostics.safety import monitor_safety

    spec, block = drive_with_fault("thermal_runaway", duration_s=700)
    assert not [e for e in monitor_safety(block, spec).events if e.channel == "cell_2_temp_c"]
    (onset,) = detect_faults(block, spec).of_kind("thermal_runaway_onset")
    t, cell = block["time_s"], block["cell_2_temp_c"]
    first = np.floor(onset.detail["detected_time_s"] / 5.0) * 5.0  # the confirming bin
    seen = cell[(t >= first) & (t <= onset.end_time_s)]
    assert onset.detail["max_temperature_c"] == float(np.float32(seen.max()))
    bins = [float(np.mean(cell[(t >= a) & (t < a + 5.0)])) for a in np.arange(first, 700, 5)]
    assert onset.detail["max_temperature_c"] > max(bins)
    det = FaultDetector(spec)
    for i in range(0, len(block), 7):
        det.update(block.slice(i, i + 7))
    det.flush()
    assert det.result().to_list() == detect_faults(block, spec).to_list()


@pytest.mark.parametrize("cells", [1, 2, 3])
def test_a_runaway_in_a_small_pack_is_found_and_live_equals_offline(cells):
    """One, two and three temperature sensors: the reference is the Joule heating, the
    other cell, the median (the resistance share and the reference's noise differ)."""
    from app.diagnostics.faults.detector import FaultDetector

    spec, block = drive_with_fault("thermal_runaway", series_cells=cells, cell=1)
    res = detect_faults(block, spec)
    first = min(f.detail["detected_time_s"] for f in res.of_kind("thermal_runaway_onset"))
    assert 600.0 <= first <= 660.0
    det = FaultDetector(spec)
    for i in range(0, len(block), 3):
        det.update(block.slice(i, i + 3))
    det.flush()
    assert det.result().to_list() == res.to_list()
