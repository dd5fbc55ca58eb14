"""Fault detection on slow logs (a sample every 5 s): the noise window holds enough
samples to judge a channel's noise, and none is judged on fewer (see
:mod:`app.diagnostics.faults.sensors`, Slow logs)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault, NoiseSpec, simulate
from tests.diagnostics.fault_splits import faults_in_blocks

DT_S = 5.0  # 0.2 Hz
#: a noise window of 15 samples at 0.2 Hz is 80 s of 10 s bins: found within two
SLOW_NOISE_LATENCY_S = 120.0


def _slow_drive(chem: str, seed: int, duration_s: float, faults=()):
    spec = preset(chem, series_cells=4)
    block = simulate(
        spec,
        "drive",
        duration_s=duration_s,
        dt_s=DT_S,
        seed=seed,
        noise=NoiseSpec.typical(spec),
        capacity_spread=0.02,
        resistance_spread=0.06,
        faults=list(faults),
    )
    return spec, block


def _runaway_latencies(faults: list[dict], onset_s: float, channel="cell_2_temp_c"):
    """How long after ``onset_s`` each runaway onset on ``channel`` was confirmed."""
    return [
        f["detail"]["detected_time_s"] - onset_s
        for f in faults
        if f["kind"] == "thermal_runaway_onset" and f["channel"] == channel
    ]


def _live(block, spec, seed: int) -> list[dict]:
    sizes = np.random.default_rng(seed).integers(1, 60, size=len(block))
    return faults_in_blocks(block, spec, sizes)


@pytest.mark.parametrize("channel", ["cell_2_v", "cell_3_temp_c", "voltage_v"])
@pytest.mark.parametrize("chem", ["nmc", "lfp"])
def test_noisy_sensor_of_a_slow_log_is_found(chem, channel):
    """At 0.2 Hz a 30 s window held 3 samples, under the 10 a noise estimate needs:
    a noisy cell voltage, cell temperature or pack voltage was never found. Live as
    offline."""
    onset = 900.0
    fault = Fault("sensor_noisy", onset, channel=channel)
    spec, block = _slow_drive(chem, 21, 1800, [fault])
    result = detect_faults(block, spec)
    hits = [f for f in result.faults if f.kind == "sensor_noisy" and f.channel == channel]
    assert hits, [(f.kind.value, f.channel) for f in result.faults]
    delay = min(f.detail["detected_time_s"] for f in hits) - onset
    assert 0 <= delay <= SLOW_NOISE_LATENCY_S
    assert _live(block, spec, 21) == result.to_list()


@pytest.mark.parametrize(("chem", "seed"), [("nmc", 22), ("lfp", 23)])
def test_clean_current_of_a_slow_drive_is_not_noisy(chem, seed):
    """At 0.2 Hz the current was judged on the 3-5 samples of a 30 s window (the
    voltages' noise, on too few, was NaN and ignored), and a drive's load, read every
    5 s, alternates so that the voltage follows it by ~0.6 of R0: a clean drive's
    current was called noisy (nmc and lfp, 4 cells: 0.7 alarms per pack-hour). Live as
    offline."""
    spec, block = _slow_drive(chem, seed, 3600)
    result = detect_faults(block, spec)
    assert not [f for f in result.faults if f.kind == "sensor_noisy"]
    assert _live(block, spec, seed) == result.to_list()


@pytest.mark.parametrize("value", [150.0, 50.0])
@pytest.mark.parametrize("chem", ["nmc", "lfp"])
def test_one_glitched_temperature_of_a_slow_log_is_no_internal_short(chem, value):
    """One cell temperature reading glitched in a 0.2 Hz drive was an internal short
    (its bin mean is a jump of its cell's heat): it is a noisy sensor reading, and a
    sensor's fault explains the short's evidence on that cell."""
    spec, block = _slow_drive(chem, 751, 1800)
    cols = {c: np.asarray(block[c], float).copy() for c in block.columns}
    cols["cell_3_temp_c"][int(900 / DT_S)] = value
    result = detect_faults(SampleBlock(cols), spec)
    kinds = {(f.kind.value, f.channel) for f in result.faults}
    assert ("sensor_noisy", "cell_3_temp_c") in kinds
    assert not [k for k in kinds if k[0] != "sensor_noisy"], kinds


@pytest.mark.parametrize(("seed", "dt_s"), [(180, 10.0), (195, 3.0)])
def test_a_clean_lead_acid_cell_cycled_on_a_slow_log_raises_no_runaway(seed, dt_s):
    # (the charge-heat test judged a window's heating against the noise of its own 8-20
    # second differences, a third of the truth one time in ten: 1 and 3 critical
    # runaway-onset alarms in a day of clean cycling; the noise is now pooled over 10 min)
    spec = preset("lead_acid", capacity_ah=20.0, series_cells=1)
    block = simulate(
        spec, "cycle", duration_s=86400, dt_s=dt_s, seed=seed, noise=NoiseSpec.typical(spec)
    )
    offline = detect_faults(block.to_frame(), spec).to_list()
    assert [f["kind"] for f in offline] == []
    assert _live(block, spec, seed) == offline


@pytest.mark.parametrize(
    ("chem", "cells", "dt_s"),
    [
        ("lead_acid", 1, 8.0),
        # (since the simulator controls on 1 s steps and logs the values at the samples, a
        # slow drive's current changes every second between them, and the polarisation that
        # unlogged load leaves was not in the lone cells' allowance, R0 times the logged
        # load: 11 alarms on this day; see sensors.py, LONE_LAG_LOAD)
        ("nmc", 2, 10.0),
    ],
)
def test_a_lone_cell_voltage_of_a_clean_slow_drive_is_not_noisy(chem, cells, dt_s):
    # (a cell voltage with no group of >= 3 to be judged against was judged on the floor
    # alone, and a drive read every 5-20 s changes its current between samples: the
    # cell's second differences carry R0 times the load's, as large as the floor; 51 and
    # 250 noisy cell-voltage alarms in these clean days. The current's own alarms here,
    # 2 a day on each, are the voltage's lag behind the load: not this test's)
    spec = preset(chem, series_cells=cells)
    block = simulate(
        spec, "drive", duration_s=86400, dt_s=dt_s, seed=408, noise=NoiseSpec.typical(spec)
    )
    offline = detect_faults(block, spec).to_list()
    cell_v = [f for f in offline if f["kind"] == "sensor_noisy" and f["channel"] != "current_a"]
    assert cell_v == []
    assert _live(block, spec, 408) == offline


@pytest.mark.parametrize(("chem", "dt_s", "seed"), [("lfp", 20.0, 501), ("lfp", 5.0, 501)])
def test_the_current_of_a_clean_slow_drive_that_the_voltage_lags_is_not_noisy(chem, dt_s, seed):
    # (read every 10-20 s, a drive sample's voltage carries R0 dI and the RC pairs' and
    # the OCV's integral of the current held over the sample before: its second
    # differences are R0 d2I plus kappa times the previous first difference, which
    # cancels part of R0 d2I -- the products with the current's second differences even
    # turn negative on LFP's steep OCV ends. These clean 4-cell days had 19 and 10
    # noisy-current alarms; see sensors.py, Slow logs)
    spec = preset(chem, series_cells=4)
    block = simulate(
        spec, "drive", duration_s=86400, dt_s=dt_s, seed=seed, noise=NoiseSpec.typical(spec)
    )
    offline = detect_faults(block, spec).to_list()
    assert [f for f in offline if f["kind"] == "sensor_noisy"] == []
    assert _live(block, spec, seed) == offline


@pytest.mark.parametrize("dt_s", [10.0, 20.0])
@pytest.mark.parametrize(("chem", "profile"), [("lfp", "rest"), ("nmc", "cc")])
def test_a_noisy_current_of_a_slow_log_is_still_found(chem, profile, dt_s):
    # (the lag the voltage is allowed behind a slow log's current is bounded by what its
    # own second differences leave room for and by the spec's RC pairs and OCV slope:
    # a noisy current beside no load, or a constant one, is still found, if later)
    spec = preset(chem, series_cells=4)
    onset = 1800.0
    block = simulate(
        spec,
        profile,
        duration_s=5400,
        dt_s=dt_s,
        seed=31,
        noise=NoiseSpec.typical(spec),
        faults=[Fault("sensor_noisy", onset, channel="current_a")],
    )
    result = detect_faults(block, spec)
    hits = [f for f in result.faults if f.kind == "sensor_noisy" and f.channel == "current_a"]
    assert hits, [(f.kind.value, f.channel) for f in result.faults]
    delay = min(f.detail["detected_time_s"] for f in hits) - onset
    assert 0 <= delay <= 60 * dt_s
    assert _live(block, spec, 31) == result.to_list()


@pytest.mark.parametrize(
    ("cells", "profile", "dt_s", "seed"),
    [(1, "drive", 10.0, 501), (4, "drive", 20.0, 503), (2, "float", 20.0, 502)],
)
def test_the_current_of_a_clean_lead_acid_log_just_charged_is_not_noisy(cells, profile, dt_s, seed):
    # (a lead-acid cell just charged sits up to 0.3 V over its OCV table's top, 2.12 V,
    # on its gassing knee; a drive draws that off within ~1 % of charge, its voltage
    # lagging the held current by far more than the table's slope allows: these clean
    # days had a noisy current in that first drive after the charge, or as a float
    # settled. The lag's bound takes the knees to the cell's limits; see sensors.py,
    # LAG_KNEE_PCT)
    spec = preset("lead_acid", series_cells=cells)
    block = simulate(
        spec, profile, duration_s=86400, dt_s=dt_s, seed=seed, noise=NoiseSpec.typical(spec)
    )
    offline = detect_faults(block, spec).to_list()
    assert [f for f in offline if f["kind"] == "sensor_noisy"] == []
    assert _live(block, spec, seed) == offline


def _cc_log(chem: str, cells: int, dt_s: float) -> tuple:
    """A noise-free C/2 discharge from full, logged every ``dt_s``: the current held
    exactly, the cells at their OCV less R0 times it."""
    spec = preset(chem, series_cells=cells)
    q = spec.pack_capacity_ah
    current = -0.5 * q
    t = np.arange(0.0, 6900.0, dt_s)
    v = (
        spec.cell_ocv(100.0 + current * t / (36.0 * q))
        + spec.ecm.for_capacity(q)["r0_ohm"] * current
    )
    cols = {"time_s": t, "current_a": np.full(len(t), current), "voltage_v": cells * v}
    cols.update({f"cell_{k + 1}_v": v for k in range(cells)})
    return spec, SampleBlock(cols)


@pytest.mark.parametrize(("chem", "cells", "dt_s"), [("nmc", 4, 600.0), ("lfp", 1, 60.0)])
def test_a_constant_current_of_a_slow_log_is_not_stuck(chem, cells, dt_s):
    # (a held current's cells follow their OCV, whose bin means bend where its slope
    # changes by the slope's change times the charge a bin moves: at 1200 s bins of a
    # C/2 discharge, 17 % SOC, over NMC's 40 mV, the current's twin read it as a load
    # that changed -- "stuck at -2.50 A" from 1200 s; on LFP's steep ends from the start)
    spec, block = _cc_log(chem, cells, dt_s)
    offline = detect_faults(block, spec).to_list()
    assert [f for f in offline if f["kind"] == "sensor_stuck"] == []
    assert _live(block, spec, 5) == offline


def _six_digits(block: SampleBlock) -> SampleBlock:
    """The block as ``batteryos simulate -o`` writes it: 6 significant digits."""
    buf = io.StringIO()
    block.to_frame().to_csv(buf, index=False, float_format="%.6g")
    buf.seek(0)
    return SampleBlock.from_frame(pd.read_csv(buf))


@pytest.mark.parametrize(("cells", "seed"), [(3, 1), (16, 1)])
def test_a_relaxed_cell_of_a_noise_free_minute_log_is_not_stuck(cells, seed):
    # (an HPPC rest logged every minute to 10 uV: cell_2 has relaxed and holds 4.08808 V
    # from 2,100 s while its peers, a little behind, step once more by 10 uV -- "stuck"
    # from 2,160 s; peers must keep moving, changing in most of the window's bins)
    spec = preset("nmc", series_cells=cells)
    block = _six_digits(simulate(spec, "hppc", duration_s=5400, dt_s=60.0, seed=seed))
    offline = detect_faults(block, spec).to_list()
    assert [f for f in offline if f["kind"] == "sensor_stuck"] == []
    assert _live(block, spec, seed) == offline


@pytest.mark.parametrize("chem", ["nmc", "lfp"])
def test_a_stuck_cell_of_a_noise_free_minute_drive_is_still_found(chem):
    # (its peers follow the load, changing every minute: a held reading is stuck)
    spec = preset(chem, series_cells=4)
    stuck = Fault("sensor_stuck", 3000.0, channel="cell_2_v")
    block = simulate(spec, "drive", duration_s=7200, dt_s=60.0, seed=3, faults=[stuck])
    offline = detect_faults(_six_digits(block), spec).to_list()
    assert any(f["kind"] == "sensor_stuck" and f["channel"] == "cell_2_v" for f in offline)


@pytest.mark.parametrize(("cells", "dt_s", "seed"), [(1, 5.0, 503), (2, 5.0, 503), (2, 20.0, 501)])
def test_a_lone_cell_voltage_beside_a_slow_drive_s_pulses_is_not_noisy(cells, dt_s, seed):
    # (a lone cell's noise was its step-robust estimate -- the least of 3 consecutive
    # squared second differences, over the fraction of white noise's energy that keeps
    # (0.27) -- less the load through R0 from the current's plain one: a pulse held over two
    # samples bends the cell by R0 times the load in 3-4 second differences in a row, which
    # the minimum keeps and the 0.27 raised 3.7-fold. These clean days had 1, 3 and 1 noisy
    # cell voltages; the lone cells are judged on their plain estimate now, as the current)
    spec = preset("nmc", series_cells=cells)
    block = simulate(
        spec, "drive", duration_s=86400, dt_s=dt_s, seed=seed, noise=NoiseSpec.typical(spec)
    )
    offline = detect_faults(block, spec).to_list()
    assert [f for f in offline if f["kind"] == "sensor_noisy"] == []
    assert _live(block, spec, seed) == offline


@pytest.mark.parametrize("dt_s", [10.0, 20.0])
def test_a_noisy_lone_cell_of_a_slow_drive_is_still_found(dt_s):
    onset = 1800.0
    spec = preset("nmc", series_cells=2)
    block = simulate(
        spec,
        "drive",
        duration_s=5400,
        dt_s=dt_s,
        seed=41,
        noise=NoiseSpec.typical(spec),
        faults=[Fault("sensor_noisy", onset, channel="cell_2_v")],
    )
    result = detect_faults(block, spec)
    hits = [f for f in result.faults if f.kind == "sensor_noisy" and f.channel == "cell_2_v"]
    assert hits, [(f.kind.value, f.channel) for f in result.faults]
    delay = min(f.detail["detected_time_s"] for f in hits) - onset
    assert 0 <= delay <= 30 * dt_s
    assert _live(block, spec, 41) == result.to_list()


def test_a_cell_on_its_knee_as_a_slow_cycle_s_discharge_ends_is_not_noisy():
    # (logged every 20 s, the weakest cells of a 16-cell NMC pack bend 55 mV into their
    # OCV's knee the sample before the discharge ends; the step's jump and relaxation
    # follow: three large second differences in a row, whose step-robust minimum, read
    # in the first bin after the step changed, was a cell's "noise" of 12 mV at each of
    # the day's 3 discharges' ends. A window is judged only from the fourth sample after
    # a step change: the step-robust terms before it read samples of the step before)
    spec = preset("nmc", series_cells=16)
    block = simulate(
        spec, "cycle", duration_s=86400, dt_s=20.0, seed=502, noise=NoiseSpec.typical(spec)
    )
    offline = detect_faults(block, spec).to_list()
    assert [f for f in offline if f["kind"] == "sensor_noisy"] == []
    assert _live(block, spec, 502) == offline


def test_a_slow_drive_step_s_short_cruise_is_no_open_circuit():
    # (logged every 8 s, a drive's step began with a 4.3 A pulse, held 0.9 A for four
    # samples -- two 16 s bins after the step's first, which the step's range leaves out
    # -- and stopped at a light: "steady for 30 s" on four samples was an open circuit.
    # Steady needs at least MIN_SAMPLES samples too, the stuck window's rule)
    spec = preset("nmc", series_cells=1)
    block = simulate(
        spec, "drive", duration_s=86400, dt_s=8.0, seed=503, noise=NoiseSpec.typical(spec)
    )
    offline = detect_faults(block, spec).to_list()
    assert [f for f in offline if f["kind"] == "open_circuit"] == []
    assert _live(block, spec, 503) == offline


@pytest.mark.parametrize("dt_s", [8.0, 20.0])
def test_a_slow_log_s_constant_current_step_that_loses_its_current_is_an_open_circuit(dt_s):
    rng = np.random.default_rng(7)
    t = np.arange(0.0, 3600.0, dt_s)
    n = len(t)
    lost = t >= 2000.0
    current = np.where(lost, 0.0, -2.5) + 0.025 * rng.standard_normal(n)
    cells = {f"cell_{k}_v": 3.7 + 0.002 * rng.standard_normal(n) for k in range(1, 5)}
    cols = {
        "time_s": t,
        "voltage_v": sum(cells.values()) + 0.004 * rng.standard_normal(n),
        "current_a": current,
        "step_index": np.full(n, 2.0),
        **cells,
    }
    spec = preset("nmc", series_cells=4)
    offline = detect_faults(SampleBlock(cols), spec).to_list()
    hits = [f for f in offline if f["kind"] == "open_circuit" and f["channel"] == "current_a"]
    assert hits and 2000.0 <= hits[0]["start_time_s"] <= 2000.0 + 3 * dt_s


def test_a_clean_lead_acid_cycle_logged_every_20_s_raises_no_runaway():
    # (the charge-heat test's temperature noise, pooled over 10 min, was 30 terms at
    # 20 s a sample: a variance that scatters, and the heating rate's z with it -- 5.6 on
    # the 4 samples of a clean C/5 charge's minute. The pool holds 120 samples at least)
    spec = preset("lead_acid", series_cells=1)
    block = simulate(
        spec, "cycle", duration_s=86400, dt_s=20.0, seed=501, noise=NoiseSpec.typical(spec)
    )
    offline = detect_faults(block, spec).to_list()
    assert [f["kind"] for f in offline] == []
    assert _live(block, spec, 501) == offline


@pytest.mark.parametrize("chem", ["nmc", "lfp"])
def test_a_runaway_of_a_slow_log_is_not_held_back_by_the_noise_of_the_slope_before(chem):
    # (the two minutes before the window had a straight-line slope of excess over 0.15
    # degC/min: at a sample every 5 s that slope's noise is ~0.13 degC/min, and the flat
    # excess before this runaway read as a steady heat asking for the acceleration at 3
    # standard errors: found at 65 s; see thermal.py, STEADY_START_Z)
    spec = preset(chem, series_cells=16)
    block = simulate(
        spec,
        "rest",
        duration_s=3900,
        dt_s=DT_S,
        seed=1,
        noise=NoiseSpec.typical(spec),
        capacity_spread=0.02,
        resistance_spread=0.06,
        faults=[Fault("thermal_runaway", 3000, cell=2)],
    )
    offline = detect_faults(block, spec).to_list()
    found = _runaway_latencies(offline, 3000)
    assert found and min(found) <= 60.0, found
    assert _live(block, spec, 1) == offline


@pytest.mark.parametrize("chem", ["nmc", "lfp"])
@pytest.mark.parametrize("seed", [1, 3])
def test_a_slow_log_s_runaway_from_a_bin_s_start_is_found_within_a_minute(chem, seed):
    # (bins of two samples decided the test every 10 s: from a bin's start, at +55 s the
    # evidence was under z 5 and the next decision came at +65 s; the shifted bins decide
    # it at every sample, +60 s too: see "A decision at every sample" in detector.py)
    spec, block = _slow_drive(chem, seed, 1500, [Fault("thermal_runaway", 600, cell=2)])
    offline = detect_faults(block, spec).to_list()
    found = _runaway_latencies(offline, 600)
    assert found and min(found) <= 60.0, found
    # one onset alarm, not one per grid of bins
    onsets = [f for f in offline if f["kind"] == "thermal_runaway_onset"]
    assert len(onsets) == 1, onsets
    assert _live(block, spec, seed) == offline
    for size in (1, 37, 5000):
        assert faults_in_blocks(block, spec, [size] * len(block)) == offline


def test_a_slow_log_s_shifted_bins_hold_no_sample_before_the_log_s_start():
    # (the shifted grid's first bin held the log's first sample alone, judged as a bin of
    # two: a clean 16-cell NMC cycle raised an onset at 45 s, bench_faults seed 301)
    spec = preset("nmc", series_cells=16)
    block = simulate(
        spec,
        "cycle",
        duration_s=1200,
        dt_s=DT_S,
        seed=301,
        noise=NoiseSpec.typical(spec),
        capacity_spread=0.02,
        resistance_spread=0.06,
    )
    offline = detect_faults(block, spec).to_list()
    assert [f for f in offline if f["kind"] == "thermal_runaway_onset"] == []
