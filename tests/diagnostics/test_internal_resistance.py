"""Pulse detection, HPPC resistances, the 2-RC fit, and offline == live."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.internal_resistance import (
    InternalResistanceTracker,
    measure_internal_resistance,
)
from app.diagnostics.pulse_detection import PulseSettings, hppc_resistance_raw
from app.hardware.simulator import Fault, NoiseSpec, PackSimulator, simulate

R0, R1, TAU1, R2, TAU2 = 0.015, 0.006, 10.0, 0.008, 100.0


def ecm_trace(segments, *, dt=0.1, ocv=3.7, ocv_slope_v_per_ah=0.0, capacity_ah=5.0, noise=None):
    """An exact 2-RC trace, zero-order hold as the simulator: ``segments`` is a list
    of (duration_s, current_a), current positive = charging."""
    i = np.concatenate([np.full(round(d / dt), a, dtype=float) for d, a in segments])
    t = np.arange(len(i)) * dt
    v1 = np.zeros(len(i))
    v2 = np.zeros(len(i))
    a1, a2 = math.exp(-dt / TAU1), math.exp(-dt / TAU2)
    for k in range(len(i) - 1):
        v1[k + 1] = a1 * v1[k] + R1 * (1 - a1) * i[k]
        v2[k + 1] = a2 * v2[k] + R2 * (1 - a2) * i[k]
    q_ah = np.concatenate(([0.0], np.cumsum(i[:-1]) * dt / 3600.0))
    v = ocv + ocv_slope_v_per_ah * q_ah + R0 * i + v1 + v2
    if noise is not None:
        rng = np.random.default_rng(noise[2])
        v = v + rng.normal(0, noise[0], len(v))
        i = i + rng.normal(0, noise[1], len(i))
    return pd.DataFrame({"time_s": t, "voltage_v": v, "current_a": i})


def r_exact(tau_s: float) -> float:
    """The 2-RC step response at tau into a pulse from rest (flat OCV): exact HPPC R."""
    return R0 + R1 * (1 - math.exp(-tau_s / TAU1)) + R2 * (1 - math.exp(-tau_s / TAU2))


def nmc_cell():
    return preset("nmc", series_cells=1)


def test_pulses_found_at_the_right_times_on_the_simulated_hppc():
    spec = nmc_cell()
    df = simulate(spec, "hppc", duration_s=9000, dt_s=1.0, seed=1, initial_soc_pct=90).to_frame()
    res = measure_internal_resistance(df, spec)
    starts = [p["start_time_s"] for p in res.pulses]
    # one HPPC block: 10 s discharge, 40 s rest, 10 s charge, 40 s rest, 360 s
    # discharge (10 % SOC), 1 h rest = 4060 s. The very first pulse starts at the
    # first sample (no settled level before it), so it cannot be a step.
    expected = [50.0, 100.0, 4060.0, 4110.0, 4160.0, 8120.0, 8170.0, 8220.0]
    assert starts == expected
    assert [p["direction"] for p in res.pulses] == ["charge", "discharge"] + [
        "discharge",
        "charge",
        "discharge",
    ] * 2
    assert [p["duration_s"] for p in res.pulses[2:5]] == [10.0, 10.0, 360.0]
    assert all(p["from_rest"] for p in res.pulses)
    assert res.pulses[2]["current_a"] == pytest.approx(-5.0, rel=1e-9)
    # 0.75C regen capped at 90 % of the spec's 0.7C maximum: 0.63C
    assert res.pulses[3]["current_a"] == pytest.approx(3.15, rel=1e-9)


def test_r10_within_2_percent_of_the_exact_model_value_noise_free():
    df = ecm_trace([(300, 0.0), (20, -5.0), (100, 0.0), (20, 4.0), (300, 0.0)])
    res = measure_internal_resistance(df, nmc_cell())
    assert [p["direction"] for p in res.pulses] == ["discharge", "charge"]
    for p in res.pulses:
        assert p["method"] == "fit"
        assert p["r_10s_ohm"] == pytest.approx(r_exact(10.0), rel=0.02)
        assert p["r_2s_ohm"] == pytest.approx(r_exact(2.0), rel=0.02)
        assert p["r_ohmic_ohm"] == pytest.approx(R0, rel=0.02)
        # 20 s pulses: no 30 s value
        assert p["r_30s_ohm"] is None


def test_same_definition_as_the_raw_samples_on_the_simulator():
    """Noise-free simulator HPPC: the fitted read-out equals the HPPC definition
    applied to the samples (the benchmark's "model's own value")."""
    spec = preset("lfp", series_cells=1)
    # (from 90 % SOC: above ~98 % the LFP OCV climbs 50 mV per % and the first
    # sample's OCV change is no longer smooth enough for a 1 s read-out window)
    df = simulate(spec, "hppc", duration_s=9000, dt_s=0.5, seed=2, initial_soc_pct=90).to_frame()
    res = measure_internal_resistance(df, spec)
    t, v, i = (df[c].to_numpy() for c in ("time_s", "voltage_v", "current_a"))
    checked = 0
    for p in res.pulses:
        k = int(np.searchsorted(t, p["start_time_s"]))
        end = int(np.searchsorted(t, p["start_time_s"] + p["duration_s"]))
        raw = hppc_resistance_raw(t, v, i, k, k, end)
        for key in ("r_ohmic_ohm", "r_2s_ohm", "r_10s_ohm", "r_30s_ohm"):
            if raw[key] is None:
                assert p[key] is None
                continue
            assert p[key] == pytest.approx(raw[key], rel=0.005), key
            checked += 1
    assert checked >= 15


def test_r10_within_5_percent_with_sensor_noise():
    """2 mV voltage and 5 mA current noise, +0.5 % current gain (the benchmark's
    conditions), 10 Hz, a 4-cell NMC pack: every pulse's R10 within 5 %."""
    spec = preset("nmc", series_cells=4)
    kw = dict(profile="hppc", duration_s=8500, dt_s=0.1, seed=3, initial_soc_pct=90)
    true = simulate(spec, **kw).to_frame()
    noisy = simulate(spec, noise=NoiseSpec(voltage_v=0.002, current_a=0.005), **kw).to_frame()
    noisy["current_a"] *= 1.005
    res = measure_internal_resistance(noisy, spec)
    t, v, i = (true[c].to_numpy() for c in ("time_s", "voltage_v", "current_a"))
    assert len(res.pulses) == 8
    for p in res.pulses:
        k = int(round(p["start_time_s"] / 0.1))
        end = k + int(round(p["duration_s"] / 0.1)) if p["duration_s"] else len(t)
        ref = hppc_resistance_raw(t, v, i, k, k, end)["r_10s_ohm"]
        assert p["r_10s_ohm"] == pytest.approx(ref, rel=0.05)


def asymmetric_hppc(ratio: float, cycles: int, dt: float = 1.0):
    """HPPC pulse pairs (10 s 1C discharge, 40 s rest, 10 s 0.75C charge, 40 s rest,
    10 min rest) on a cell whose charge response is ``ratio`` times its discharge
    response (a real cell is not linear: kinetics and OCV curvature depend on the
    current). Noise-free: (time, current, voltage)."""
    segs = [(600, 0.0)] + [(10, -5.0), (40, 0.0), (10, 3.75), (40, 0.0), (600, 0.0)] * cycles
    dis = ecm_trace([(d, min(a, 0.0)) for d, a in segs], dt=dt)
    chg = ecm_trace([(d, max(a, 0.0)) for d, a in segs], dt=dt)
    i = dis["current_a"].to_numpy() + chg["current_a"].to_numpy()
    v = dis["voltage_v"].to_numpy() + ratio * (chg["voltage_v"].to_numpy() - 3.7)
    return dis["time_s"].to_numpy(), i, v


def test_charge_pulse_after_a_discharge_pulse_is_not_biased_at_1_hz():
    """At 1 Hz the 10 samples of a regen pulse cannot show the 3-parameter split test
    that it answers 5 % more strongly than the discharge pulse 40 s before it; fitted
    with the discharge pulse's amplitudes its R10 read ~2 % low on average. The
    scaled step response (one factor of its own) removes that bias."""
    t, i, v = asymmetric_hppc(1.05, cycles=6)
    spec = nmc_cell()
    errors = {"charge": [], "discharge": []}
    for seed in range(8):
        rng = np.random.default_rng(seed)
        df = pd.DataFrame(
            {
                "time_s": t,
                "voltage_v": v + rng.normal(0.0, 0.002, len(v)),
                "current_a": i + rng.normal(0.0, 0.005, len(i)),
            }
        )
        pulses = [p for p in measure_internal_resistance(df, spec).pulses if p["duration_s"]]
        assert len(pulses) == 12
        for p in pulses:
            k = int(round(p["start_time_s"]))
            ref = hppc_resistance_raw(t, v, i, k, k, k + 10)["r_10s_ohm"]
            errors[p["direction"]].append(100.0 * (p["r_10s_ohm"] / ref - 1.0))
    for direction, e in errors.items():
        assert abs(np.mean(e)) < 0.75, direction  # (standard error of the mean ~0.15 %)
        assert np.max(np.abs(e)) < 5.0, direction


def test_scaled_step_response_fits_the_cells_like_the_pack():
    """A 2-cell string of the asymmetric cell: the cells' fits are the pack's model
    (the scaled step mapped to each cell's own R0, R1, R2), so they add up to it."""
    t, i, v = asymmetric_hppc(1.05, cycles=2)
    rng = np.random.default_rng(1)
    cells = [v + rng.normal(0.0, 0.002, len(v)) for _ in range(2)]
    df = pd.DataFrame(
        {"time_s": t, "voltage_v": cells[0] + cells[1], "current_a": i, "cell_1_v": cells[0]}
    )
    df["cell_2_v"] = cells[1]
    spec = preset("nmc", series_cells=2)
    res = measure_internal_resistance(df, spec)
    charge = [p for p in res.pulses if p["direction"] == "charge"]
    assert charge and all(p["fit"]["own_step_response"] for p in charge)
    for p in res.pulses:
        fit = p["fit"]
        assert sum(fit["cells"]["r0_ohm"]) == pytest.approx(fit["r0_ohm"], rel=1e-9)
        assert sum(fit["cells"]["r1_ohm"]) == pytest.approx(fit["r1_ohm"], rel=1e-9, abs=1e-12)


def test_two_rc_fit_recovers_r0_r1_c1_and_r2_c2():
    df = ecm_trace([(200, 0.0), (300, -5.0), (900, 0.0)], dt=0.5, ocv_slope_v_per_ah=0.05)
    res = measure_internal_resistance(df, nmc_cell())
    (p,) = res.pulses
    fit = p["fit"]
    assert fit["ok"] and fit["resolved"]
    assert fit["r0_ohm"] == pytest.approx(R0, rel=0.01)
    assert fit["r1_ohm"] == pytest.approx(R1, rel=0.02)
    assert fit["c1_f"] == pytest.approx(TAU1 / R1, rel=0.03)
    assert fit["r2_ohm"] == pytest.approx(R2, rel=0.03)
    assert fit["c2_f"] == pytest.approx(TAU2 / R2, rel=0.05)
    assert fit["ocv_slope_v_per_ah"] == pytest.approx(0.05, rel=0.05)
    assert fit["rmse_mv"] < 0.05
    assert res.ecm_fit["r1_ohm"] == pytest.approx(R1, rel=0.02)
    assert res.ecm_fit["n_resolved"] == 1


def test_fit_of_a_noisy_pulse_is_close_and_reports_its_uncertainty():
    df = ecm_trace([(200, 0.0), (300, -5.0), (900, 0.0)], dt=0.5, noise=(0.002, 0.005, 7))
    fit = measure_internal_resistance(df, nmc_cell()).pulses[0]["fit"]
    assert fit["r0_ohm"] == pytest.approx(R0, rel=0.03)
    assert fit["r1_ohm"] == pytest.approx(R1, rel=0.15)
    assert fit["tau1_s"] == pytest.approx(TAU1, rel=0.25)
    assert fit["rmse_mv"] == pytest.approx(2.0, rel=0.1)  # the noise, nothing more
    assert 0 < fit["std"]["r0_ohm"] < 0.001


def test_no_pulses_on_a_constant_current_log():
    df = ecm_trace([(3600, -5.0)], dt=1.0, ocv_slope_v_per_ah=0.1, noise=(0.002, 0.025, 1))
    res = measure_internal_resistance(df, nmc_cell())
    assert res.n_pulses == 0
    assert res.pulses == []
    assert res.median_r_10s_ohm is None and res.ecm_fit is None


def test_small_changes_and_short_blips_are_not_pulses():
    # C/20 (below the C/10 step threshold) and a 2 s pulse (below "a few seconds")
    df = ecm_trace([(100, 0.0), (30, -0.25), (100, 0.0), (2, -5.0), (100, 0.0)])
    assert measure_internal_resistance(df, nmc_cell()).n_pulses == 0


def test_short_pulses_give_none_for_the_longer_read_points():
    df = ecm_trace([(200, 0.0), (12, -5.0), (100, 0.0), (5, -5.0), (100, 0.0)])
    first, second = measure_internal_resistance(df, nmc_cell()).pulses
    assert first["duration_s"] == pytest.approx(12.0)
    assert first["r_10s_ohm"] is not None and first["r_30s_ohm"] is None
    assert second["r_2s_ohm"] is not None
    assert second["r_10s_ohm"] is None and second["r_30s_ohm"] is None


def test_resistances_are_positive_for_charge_and_discharge_pulses():
    df = ecm_trace([(100, 0.0), (15, 5.0), (100, 0.0), (15, -5.0), (100, 0.0), (15, 2.5)])
    pulses = measure_internal_resistance(df, nmc_cell()).pulses
    assert [p["direction"] for p in pulses] == ["charge", "discharge", "charge"]
    for p in pulses:
        assert p["r_10s_ohm"] == pytest.approx(r_exact(10.0), rel=0.02)
        assert p["r_10s_ohm"] > 0 and p["r_ohmic_ohm"] > 0


def test_step_index_marks_a_step_the_current_alone_does_not():
    # the current ramps over 4 samples: no one- or two-sample step, but the cycler
    # says a new step began
    i = np.concatenate([np.zeros(300), [-1.0, -2.5, -4.0], np.full(200, -5.0), np.zeros(300)])
    t = np.arange(len(i)) * 0.1
    v = 3.7 + R0 * i
    step = np.concatenate([np.ones(300), np.full(203, 2.0), np.full(300, 3.0)])
    df = pd.DataFrame({"time_s": t, "voltage_v": v, "current_a": i})
    assert measure_internal_resistance(df, nmc_cell()).n_pulses == 0
    df["step_index"] = step
    (p,) = measure_internal_resistance(df, nmc_cell()).pulses
    assert p["start_time_s"] == pytest.approx(30.0)


def test_pack_and_per_cell_values():
    spec = preset("nmc", series_cells=3, parallel_strings=2)
    sim = PackSimulator(spec, "hppc", dt_s=0.5, seed=4)
    df = sim.run_block(round(8500 / 0.5)).to_frame()
    res = measure_internal_resistance(df, spec)
    assert "cell_1_v..cell_3_v" in res.voltage_source
    p = res.pulses[2]  # a discharge pulse from rest
    # normalised to one cell: pack value x parallel strings / series cells
    assert p["r_10s_cell_ohm"] == pytest.approx(p["r_10s_ohm"] * 2 / 3)
    # per series cell, x parallel strings: one physical cell, close to its own R0
    truth = sim.cells.r0_ohm * 2
    assert p["cells"]["r_ohmic_ohm"] == pytest.approx(list(truth), rel=0.02)
    assert p["fit"]["cells"]["r0_ohm"] == pytest.approx(list(truth), rel=0.02)
    # the cells of a series string add up to the pack
    assert sum(p["cells"]["r_10s_ohm"]) / 2 == pytest.approx(p["r_10s_ohm"], rel=1e-3)
    # the pack preset's cell: 0.075 ohm*Ah / 5 Ah; a cell-equivalent R0 near it
    assert res.median_r0_cell_ohm == pytest.approx(0.015, rel=0.1)


def test_summary_by_soc_band_and_temperature():
    spec = nmc_cell()
    df = simulate(spec, "hppc", duration_s=30000, dt_s=1.0, seed=5).to_frame()
    res = measure_internal_resistance(df, spec)
    bands = res.r_10s_by_soc
    assert len(bands) >= 6
    assert sum(b["n"] for b in bands) == sum(1 for p in res.pulses if p["r_10s_ohm"])
    assert all(b["soc_percent_high"] - b["soc_percent_low"] == 10.0 for b in bands)
    assert res.r_10s_by_temperature and res.r_10s_by_temperature[0]["temperature_c_low"] == 25.0
    json.dumps(res.to_dict())  # plain JSON


def test_soc_series_from_the_caller_is_used():
    df = ecm_trace([(100, 0.0), (15, -5.0), (100, 0.0)])
    soc = np.linspace(80, 79, len(df))
    (p,) = measure_internal_resistance(df, nmc_cell(), soc_percent=soc).pulses
    assert p["soc_percent"] == pytest.approx(soc[999])


def _offline_and_split_live(
    spec, dt_s: float, seed: int, largest: int, duration_s: float = 9000
) -> tuple[dict, dict]:
    """An HPPC log's resistance offline, and live fed in random blocks of 1 to
    ``largest`` samples, with looks in between that must not change anything."""
    block = simulate(
        spec, "hppc", duration_s=duration_s, dt_s=dt_s, seed=seed, noise=NoiseSpec.typical(spec)
    )
    offline = measure_internal_resistance(block.to_frame(), spec).to_dict()
    assert offline["n_pulses"] >= 5
    rng = np.random.default_rng(seed)
    tracker = InternalResistanceTracker(spec)
    pos, n = 0, len(block)
    while pos < n:
        size = int(rng.integers(1, largest))
        assert tracker.update(block.slice(pos, min(n, pos + size))) == {}
        if rng.random() < 0.1:
            tracker.result()
        pos += size
    return offline, tracker.result().to_dict()


@pytest.mark.parametrize("seed", [11, 12])
def test_offline_equals_live_across_random_block_splits(seed):
    assert_same(*_offline_and_split_live(preset("nmc", series_cells=2), 0.5, seed, 2000))


def test_fit_budget_bounds_the_fits_the_same_way_live():
    spec = preset("nmc", series_cells=2)
    block = simulate(
        spec, "drive", duration_s=20000, dt_s=1.0, seed=3, noise=NoiseSpec.typical(spec)
    )
    settings = PulseSettings(fit_budget_samples=2000.0, fit_budget_burst=4.0)
    offline = measure_internal_resistance(block.to_frame(), spec, settings=settings).to_dict()
    pulses = offline["pulses"]
    fitted = [p for p in pulses if p["fit_skipped"] is None]
    skipped = [p for p in pulses if p["fit_skipped"] is not None]
    assert skipped and fitted
    assert len(fitted) <= 4 + len(block) / 2000.0
    # a skipped pulse is read from the samples, with the same keys
    assert all(p.keys() == pulses[0].keys() for p in pulses)
    for p in skipped:
        assert p["method"] == "samples" and p["fit"] is None and p["r0_ohm"] is None
        assert "budget" in p["fit_skipped"]
    # unrationed, every pulse gets one; the rationed readings are the same pulses
    full = measure_internal_resistance(
        block.to_frame(), spec, settings=PulseSettings(fit_budget_burst=1e9)
    ).to_dict()
    assert all(p["fit_skipped"] is None for p in full["pulses"])
    assert [p["start_time_s"] for p in full["pulses"]] == [p["start_time_s"] for p in pulses]
    tracker = InternalResistanceTracker(spec, settings)
    feed_random_blocks(tracker, block, seed=5, max_size=700)
    assert_same(offline, tracker.result().to_dict())


def test_live_result_while_a_pulse_is_still_running():
    df = ecm_trace([(100, 0.0), (60, -5.0)])
    tracker = InternalResistanceTracker(nmc_cell())
    tracker.update(SampleBlock.from_frame(df.iloc[: 1000 + 150]))  # 15 s into the pulse
    (p,) = tracker.result().pulses
    assert p["ongoing"] and p["duration_s"] is None
    assert p["r_10s_ohm"] == pytest.approx(r_exact(10.0), rel=0.02)
    assert p["r_30s_ohm"] is None


def assert_same(a, b, path=""):
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_same(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for j, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{j}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), path
    else:
        assert a == b, path


def steps_after_unlike_pulses(dt: float = 1.0, noise_v: float = 0.002, seed: int = 0):
    """HPPC-like cycles (3C discharge and 2.25C charge pulses, then a 360 s 1C step)
    on a cell whose pulses relax with dynamics of their own (3 s and 20 s, not the
    step's 10 s and 100 s): a real cell is not one linear circuit, and one pair of
    time constants cannot follow the whole window before the step."""
    segs = [(600, 0.0)] + [(10, -15.0), (40, 0.0), (10, 11.25), (40, 0.0), (360, -5.0)] * 3
    segs.append((600, 0.0))
    i = np.concatenate([np.full(round(d / dt), a) for d, a in segs])
    step = np.concatenate([np.full(round(d / dt), d == 360) for d, _ in segs])

    def response(cur, r0, pairs):
        v = r0 * cur
        for r, tau in pairs:
            a, x = math.exp(-dt / tau), np.zeros(len(cur))
            for k in range(len(cur) - 1):
                x[k + 1] = a * x[k] + r * (1 - a) * cur[k]
            v = v + x
        return v

    v = 3.7 + response(np.where(step, i, 0.0), R0, [(R1, TAU1), (R2, TAU2)])
    v = v + response(np.where(step, 0.0, i), 0.01, [(0.01, 3.0), (0.04, 20.0)])
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "time_s": np.arange(len(i)) * dt,
            "voltage_v": v + rng.normal(0.0, noise_v, len(v)),
            "current_a": i + rng.normal(0.0, 0.005, len(i)),
        }
    )


def test_step_read_from_the_level_before_it_the_same_way_live(monkeypatch):
    """Where the 2-RC model cannot follow a long step's whole read-out window, the
    read-out is the fit from the level before the step on: offline and live alike,
    however the blocks are cut."""
    import app.diagnostics.internal_resistance as ir

    df = steps_after_unlike_pulses()
    spec = nmc_cell()
    starts: dict[float, list[int]] = {}
    original = ir.fit_pulse_response

    def spy(t, i, v, **kw):
        starts.setdefault(float(t[kw["k"]]), []).append(kw["fit_from"])
        return original(t, i, v, **kw)

    monkeypatch.setattr(ir, "fit_pulse_response", spy)
    offline = measure_internal_resistance(df, spec).to_dict()
    # (the refit from the level: a later start than the step's first fit)
    assert any(len(set(s)) > 1 for s in starts.values())
    block = SampleBlock({c: df[c].to_numpy() for c in df.columns})
    tracker = InternalResistanceTracker(spec)
    feed_random_blocks(tracker, block, seed=3, max_size=400)
    assert_same(offline, tracker.result().to_dict())


def feed_random_blocks(tracker, block: SampleBlock, *, seed: int, max_size: int) -> None:
    """``block`` to ``tracker.update`` in blocks of random sizes (1 to ``max_size`` - 1)."""
    rng = np.random.default_rng(seed)
    pos, n = 0, len(block)
    while pos < n:
        size = int(rng.integers(1, max_size))
        tracker.update(block.slice(pos, min(n, pos + size)))
        pos += size


@pytest.mark.parametrize("step_samples", [False, True])
@pytest.mark.parametrize("dt_s", [1800.0, 3600.0])
def test_a_log_sampled_more_slowly_than_the_fit_window_reads_only_the_ohmic_step(
    dt_s, step_samples
):
    # a step whose level's first sample comes after the fit window (a drive cycle
    # logged every 30 min) was measured on an empty window: ZeroDivisionError, a
    # traceback from `batteryos analyze`. A polled logger (no row at a step's start)
    # or a cycler's (a row at each step's start, then the next 30 min later: the
    # 2 and 10 s readings were interpolated across that interval)
    spec = preset("nmc", series_cells=4)
    block = simulate(
        spec, "drive", duration_s=60 * dt_s, dt_s=dt_s, seed=2, step_samples=step_samples
    )
    offline = measure_internal_resistance(block.to_frame(), spec).to_dict()
    # no sample 2 or 10 s into a step: only the first sample's (ohmic) reading is there
    assert offline["pulses"]
    assert all(p["r_2s_ohm"] is None and p["r_10s_ohm"] is None for p in offline["pulses"])
    tracker = InternalResistanceTracker(spec)
    for pos in range(len(block)):
        tracker.update(block.slice(pos, pos + 1))
    assert_same(offline, tracker.result().to_dict())


def test_pulses_at_a_full_100_percent_are_in_the_top_soc_band():
    # pulses at SOC 100 % (the filter's ceiling) made a "100-110 %" band
    spec = nmc_cell()
    df = simulate(spec, "hppc", duration_s=30000, dt_s=1.0, seed=5).to_frame()
    full = np.full(len(df), 100.0)
    res = measure_internal_resistance(df, spec, soc_percent=full)
    (band,) = res.r_10s_by_soc
    assert (band["soc_percent_low"], band["soc_percent_high"]) == (90.0, 100.0)
    assert band["n"] == sum(1 for p in res.pulses if p["r_10s_ohm"])


@pytest.mark.parametrize(("seed", "noise"), [(0, False), (1, False), (2, False), (0, True)])
def test_the_demo_drive_has_ramps_not_steps(seed, noise):
    # The demo's urban drive (10 Hz, 4-cell NMC) changes its current smoothly: speed
    # and acceleration are continuous at every phase boundary, so the current moves
    # <= ~C/20 per sample and every change is a ramp of seconds. None of it is a step
    # to a held level: reading "V just before the step vs 2/10/30 s into it" on a
    # ramp is no HPPC resistance, so no pulse may be found in it.
    spec = preset("nmc", series_cells=4)
    block = simulate(
        spec,
        "drive",
        duration_s=3000,
        dt_s=0.1,
        seed=seed,
        soc_spread_pct=2.0,
        noise=NoiseSpec.typical(spec) if noise else None,
    )
    assert measure_internal_resistance(block.to_frame(), spec).n_pulses == 0


def test_the_demo_finds_its_first_step_in_the_recharge_after_the_drive():
    # the drive runs to the cut-off, rests 10 min and recharges at C/2: that rest ->
    # C/2 step is a real one, held for an hour, and reads the cell's own resistance
    spec = preset("nmc", series_cells=4)
    block = simulate(spec, "drive", duration_s=5000, dt_s=0.1, seed=0, initial_soc_pct=15.0)
    offline = measure_internal_resistance(block.to_frame(), spec).to_dict()
    step = block["step_index"]
    charge_starts = float(block["time_s"][np.flatnonzero(np.diff(step) != 0)[1] + 1])
    assert [p["start_time_s"] for p in offline["pulses"]] == [pytest.approx(charge_starts)]
    pulse = offline["pulses"][0]
    assert pulse["from_rest"] and pulse["direction"] == "charge"
    r0 = spec.ecm.for_capacity(spec.capacity_ah)["r0_ohm"]
    assert offline["median_r_ohmic_cell_ohm"] == pytest.approx(r0, rel=0.05)
    tracker = InternalResistanceTracker(spec)
    feed_random_blocks(tracker, block, seed=4, max_size=5000)
    assert_same(offline, tracker.result().to_dict())


def test_a_pulse_temperature_is_where_its_resistances_are_read():
    # HPPC's 6-minute 1C discharge warms the cells by about a kelvin; its R0 and R10 are
    # read in its first 10 s, and so is its temperature (the SOH corrects R with it)
    spec = preset("nmc", series_cells=4)
    df = simulate(spec, "hppc", duration_s=1500, dt_s=1.0, seed=1, initial_soc_pct=90).to_frame()
    pulses = measure_internal_resistance(df, spec).pulses
    long_ = [p for p in pulses if (p["duration_s"] or 0) > 300]
    assert long_, [p["duration_s"] for p in pulses]
    for p in long_:
        t0 = p["start_time_s"]
        first = df["temperature_c"][(df["time_s"] >= t0) & (df["time_s"] <= t0 + 10.0)]
        whole = df["temperature_c"][(df["time_s"] >= t0) & (df["time_s"] < t0 + p["duration_s"])]
        assert p["temperature_c"] == pytest.approx(first.mean(), abs=1e-9)
        assert whole.mean() - p["temperature_c"] > 0.3  # the step warmed the cell


def test_slow_log_step_from_rest_leaves_out_the_drift_and_slope_it_does_not_need():
    """Lean model: at 1 Hz a 10 s pulse from rest has 10 samples; the drift and OCV
    slope columns cost noise there and are left out where an F test says the window
    does not need them (the fit had all six columns: R10 scattered more). A 10 Hz
    log, a real OCV slope and a step after another pulse keep them."""
    from app.diagnostics.pulse_fit import fit_pulse_response

    def fit(df, k, end, tol=0.05):
        t, i, v = (df[c].to_numpy() for c in ("time_s", "current_a", "voltage_v"))
        return fit_pulse_response(t, i, v, fit_from=0, k=k, breaks=[end], flat_tol=tol)

    noise = (0.002, 0.005, 3)
    slow = ecm_trace([(120, 0.0), (10, -1.0), (40, 0.0)], dt=1.0, noise=noise)
    m = fit(slow, 120, 130)
    assert m.coef[1] == 0.0 and m.coef[5] == 0.0
    fast = ecm_trace([(120, 0.0), (10, -1.0), (40, 0.0)], dt=0.1, noise=noise)
    m = fit(fast, 1200, 1300)
    # (the OCV slope, 0 in this trace, came out negative on this noise: held at its
    # bound, see "OCV slope" in pulse_fit)
    assert m.coef[1] != 0.0 and m.coef[5] >= 0.0
    # a relaxation older than the window (0.1 mV/s, 17 mV over it) is no noise: the
    # drift stays, and the step reads as without it
    drifting = slow.assign(voltage_v=slow["voltage_v"] + 1e-4 * slow["time_s"])
    m = fit(drifting, 120, 130)
    assert m.coef[1] == pytest.approx(1e-4, rel=0.3)
    dv = float(np.diff(m.voltage(np.array([119.0, 129.0])))[0]) - 1e-3
    assert dv == pytest.approx(-r_exact(9.0), rel=0.1)
    # a regen pulse 40 s after a discharge pulse: all columns (see the docstring)
    after = ecm_trace([(70, 0.0), (10, -1.0), (40, 0.0), (10, 0.75), (40, 0.0)], noise=noise)
    after = after.iloc[::10].reset_index(drop=True)
    m = fit(after, 120, 130)
    # (the slope as above: the fit without the bound read -12.8 V/Ah on this flat OCV)
    assert m.coef[1] != 0.0 and m.coef[5] >= 0.0


def _r10_errors_at_1_hz(segs, spec, keep) -> np.ndarray:
    """R10's error (%) against the noise-free trace's own HPPC R10, of each of the 8
    pulses ``keep`` picks in the trace ``segs`` at 1 Hz, over 12 seeds of 2 mV / 5 mA
    sensor noise."""
    tr = ecm_trace(segs, dt=1.0)
    t, v, i = (tr[c].to_numpy() for c in ("time_s", "voltage_v", "current_a"))
    errors = []
    for seed in range(12):
        rng = np.random.default_rng(seed)
        df = pd.DataFrame(
            {
                "time_s": t,
                "voltage_v": v + rng.normal(0.0, 0.002, len(v)),
                "current_a": i + rng.normal(0.0, 0.005, len(i)),
            }
        )
        pulses = [p for p in measure_internal_resistance(df, spec).pulses if keep(p)]
        assert len(pulses) == 8
        for p in pulses:
            k = int(round(p["start_time_s"]))
            ref = hppc_resistance_raw(t, v, i, k, k, k + 10)["r_10s_ohm"]
            errors.append(100.0 * (p["r_10s_ohm"] / ref - 1.0))
    return np.array(errors)


def test_r10_of_small_pulses_from_rest_at_1_hz_scatters_less():
    """~20 mV pulses from rest at 1 Hz, 2 mV noise (an LFP cell's HPPC at 1 Hz): the
    lean model's R10 scatter over 96 pulses is 4.45 % rms (5.06 % with all six
    columns, 35 pulses outside +-5 % against 28)."""
    segs = [(600, 0.0)] + [(10, -1.0), (300, 0.0)] * 8
    e = _r10_errors_at_1_hz(segs, preset("lfp", series_cells=1), lambda p: True)
    assert np.sqrt(np.mean(e**2)) < 4.75
    assert abs(e.mean()) < 1.0


@pytest.mark.parametrize("seed", [21, 22])
def test_offline_equals_live_at_1_hz_with_the_lean_model(seed):
    """The lean model's path (1 Hz, pulses from rest): the same numbers live."""
    assert_same(*_offline_and_split_live(preset("lfp", series_cells=1), 1.0, seed, 500))


def test_a_step_from_one_held_level_keeps_the_shared_response():
    """From rest (or any one held level) the current before the step is a constant in
    the window, whose response the offset takes: the step's own factor or R0, R1, R2
    (the split test) cannot be told from the shared ones. Only the current sensor's
    noise could, and the fit adopted a chance factor for ~1 in 3 such pulses at 1 Hz
    (the simulator's LFP 1 Hz discharge pulses, seeds 1-9: R10 2.40 -> 2.32 % rms)."""
    from app.diagnostics.pulse_fit import fit_pulse_response

    own = []
    for seed in range(20):
        df = ecm_trace([(120, 0.0), (10, -1.0), (40, 0.0)], dt=1.0, noise=(0.002, 0.005, seed))
        t, i, v = (df[c].to_numpy() for c in ("time_s", "current_a", "voltage_v"))
        m = fit_pulse_response(t, i, v, fit_from=0, k=120, breaks=[130], flat_tol=0.05)
        own.append(m.split)
    assert not any(own)


def test_a_chance_step_factor_is_shrunk_on_a_linear_cell_at_1_hz():
    """A linear cell's regen pulse 40 s after a discharge pulse, 1 Hz, 2 mV: its own
    factor (the scaled step) passes F > 1 by chance for ~1 pulse in 3, and taken
    whole it moved R10 by its full noise (96 pulses: 3.02 % rms, 13 outside +-5 %);
    shrunk by 1 - 1/F it keeps the shared response's lower noise where the data show
    no difference (2.49 %, 5)."""
    segs = [(600, 0.0)] + [(10, -2.0), (40, 0.0), (10, 1.5), (300, 0.0)] * 8
    e = _r10_errors_at_1_hz(segs, nmc_cell(), lambda p: p["current_a"] > 0)
    assert np.sqrt(np.mean(e**2)) < 2.75
    assert np.sum(np.abs(e) > 5.0) <= 8


def _r10_errors_and_stated_sigmas(
    chem: str, dt_s: float, seeds, select=lambda p: True
) -> tuple[np.ndarray, ...]:
    """The benchmark's HPPC runs (2 mV, 5 mA, +0.5 % current gain): each pulse's R10
    error against the definition on the noise-free run (the gain's -0.5 % taken out)
    and its stated one sigma, both in per cent of R10 (the pulses ``select`` keeps)."""
    spec = preset(chem, series_cells=1)
    errors, sigmas = [], []
    for seed in seeds:
        kw = dict(profile="hppc", duration_s=45000, dt_s=dt_s, seed=seed, initial_soc_pct=95)
        true = simulate(spec, **kw).to_frame()
        noisy = simulate(spec, noise=NoiseSpec(voltage_v=0.002, current_a=0.005), **kw)
        noisy = noisy.to_frame()
        noisy["current_a"] *= 1.005
        t, v, i = (true[c].to_numpy() for c in ("time_s", "voltage_v", "current_a"))
        for p in filter(select, measure_internal_resistance(noisy, spec).pulses):
            k = int(round(p["start_time_s"] / dt_s))
            end = k + int(round(p["duration_s"] / dt_s))
            ref = hppc_resistance_raw(t, v, i, k, k, end)["r_10s_ohm"]
            errors.append(100.0 * (p["r_10s_ohm"] * 1.005 / ref - 1.0))
            sigmas.append(100.0 * p["r_10s_std_ohm"] / p["r_10s_ohm"])
    return np.array(errors), np.array(sigmas)


def test_a_linear_cells_regen_pulses_get_no_chance_response_of_their_own_at_1_hz():
    """The split test judges each pulse on its own 10 samples; on a linear cell (the
    simulator's LFP at 1 Hz) it passes by chance and moves R10 by its noise. Once the
    earlier regen pulses of the log showed no response of their own, a later one needs
    3-sigma evidence of its own (the pooled split test): seeds 1-12, 120 regen pulses,
    R10 3.77 -> 3.20 % rms, 17 -> 13 outside +-5 %."""
    e, _ = _r10_errors_and_stated_sigmas("lfp", 1.0, range(1, 13), lambda p: p["current_a"] > 0)
    assert len(e) == 120
    assert np.sqrt(np.mean(e**2)) < 3.45
    assert np.sum(np.abs(e) > 5.0) <= 14


def test_no_fit_reads_an_ocv_falling_with_charge_from_the_noise():
    """The OCV rises with the charge in every cell. At 1 Hz the fit of a 10 s pulse's
    window took the noise for a bend: the slow pair at its bound (R2 ~3 Ohm at 850 s
    on a 10 mOhm cell) cancelled by an OCV slope of ~-14 V/Ah, free to shape the rest
    after each pulse. A negative slope is now kept only on 5-sigma evidence of the
    window (F > 25), which no 10 s pulse of a linear cell gives. The simulator's LFP
    at 1 Hz, seeds 1-16, the first three HPPC blocks: 43 of the 112 pulses' fits read
    a negative slope, now none; the regen pulses' R10 (mostly before the pooled split
    test has three earlier ones) 4.01 -> 3.56 % rms, 12 -> 9 of 64 outside +-5 %."""
    spec = preset("lfp", series_cells=1)
    errors, pulse_slopes = [], []
    for seed in range(1, 17):
        kw = dict(profile="hppc", duration_s=12500, dt_s=1.0, seed=seed, initial_soc_pct=95)
        true = simulate(spec, **kw).to_frame()
        noisy = simulate(spec, noise=NoiseSpec(voltage_v=0.002, current_a=0.005), **kw)
        noisy = noisy.to_frame()
        noisy["current_a"] *= 1.005
        t, v, i = (true[c].to_numpy() for c in ("time_s", "voltage_v", "current_a"))
        for p in measure_internal_resistance(noisy, spec).pulses:
            if p["duration_s"] is None or p["duration_s"] > 10.0:
                continue  # (a 10 % SOC step: its window crosses the OCV's curvature)
            pulse_slopes.append(p["fit"]["ocv_slope_v_per_ah"])
            if p["current_a"] > 0:
                k = int(round(p["start_time_s"]))
                end = k + int(round(p["duration_s"]))
                ref = hppc_resistance_raw(t, v, i, k, k, end)["r_10s_ohm"]
                errors.append(100.0 * (p["r_10s_ohm"] * 1.005 / ref - 1.0))
    e = np.array(errors)
    assert len(e) == 64 and len(pulse_slopes) == 112
    assert min(pulse_slopes) >= 0.0
    assert np.sqrt(np.mean(e**2)) < 3.8
    assert np.sum(np.abs(e) > 5.0) <= 10


@pytest.mark.parametrize("seed", [23, 24])
def test_offline_equals_live_with_the_pooled_split_test(seed):
    """A pulse's split test depends on the earlier pulses' factors: the same ones
    offline and live, on any block split (the fitted pulses measured in step order)."""
    offline, live = _offline_and_split_live(preset("lfp", series_cells=1), 1.0, seed, 3000, 20000)
    assert any(p["fit"] and p["fit"]["pooled_linear"] for p in offline["pulses"])
    assert_same(offline, live)


def test_r10_states_its_uncertainty_honestly_at_1_hz():
    """At 1 Hz an LFP cell's ~20 mV regen pulse has 10 samples of 2 mV noise: its R10
    scatters ~4 % rms, and no read-out can hold every pulse within +-5 %. Each pulse
    says so: its stated one sigma matches its error (z = error / sigma: rms ~1, 95 %
    within 2 sigma), and the pulses outside +-5 % did not claim +-5 % at 2 sigma. An
    NMC cell's 90 mV pulses state (and keep) +-5 % at 2 sigma."""
    e, sd = _r10_errors_and_stated_sigmas("lfp", 1.0, (1, 2))
    z = e / sd
    assert len(e) == 58
    assert 0.8 < np.sqrt(np.mean(z**2)) < 1.25
    assert np.mean(np.abs(z) <= 2.0) >= 0.9
    assert np.all(np.abs(z) < 3.5)
    assert np.any(np.abs(e) > 5.0)  # (the case: the target is out of the data's reach)
    assert np.all(2.0 * sd[np.abs(e) > 5.0] > 5.0)
    e, sd = _r10_errors_and_stated_sigmas("nmc", 1.0, (1,))
    assert np.all(2.0 * sd <= 5.0) and np.all(np.abs(e) <= 5.0)
    assert 0.6 < np.sqrt(np.mean((e / sd) ** 2)) < 1.5


def test_stated_uncertainty_follows_the_noise():
    """The stated sigma scales with the voltage noise, is ~0 on noise-free data, and a
    pulse read from the samples (no fit) states two single readings' noise."""
    segs = [(200, 0.0), (10, -5.0), (290, 0.0)]

    def r10(noise_v):
        noise = None if noise_v is None else (noise_v, 0.0, 7)
        p = measure_internal_resistance(ecm_trace(segs, dt=1.0, noise=noise), nmc_cell())
        return p.pulses[0]

    quiet, loud, clean = r10(0.001), r10(0.004), r10(None)
    ratio = loud["r_10s_std_ohm"] / quiet["r_10s_std_ohm"]
    assert 3.0 < ratio < 5.0
    assert clean["r_10s_std_ohm"] < 1e-3 * clean["r_10s_ohm"]
    assert quiet["r_30s_std_ohm"] is None  # a 10 s pulse has no R30
    no_fit = measure_internal_resistance(
        ecm_trace(segs, dt=1.0, noise=(0.002, 0.0, 7)),
        nmc_cell(),
        settings=PulseSettings(fit_budget_burst=0.0),
    ).pulses[0]
    assert no_fit["method"] == "samples"
    assert no_fit["r_10s_std_ohm"] == pytest.approx(math.sqrt(2) * 0.002 / 5.0, rel=0.3)


@pytest.mark.parametrize("blocks", [1000, 257])
def test_overlapping_pulses_of_a_noisy_drive_read_the_same_live(blocks):
    # A noisy current sensor on a 10 Hz drive makes steps whose pulses overlap: a long
    # pulse of an earlier step is measured after a short later one. Offline its factor
    # was in the later pulse's pooled split test, live (a block ending between the two)
    # not: R_ohmic 2.93 mOhm offline, -2.08 live (nmc4_noisy_i_10hz of
    # benchmarks/sweep_live_offline.py, from the pooled test on)
    spec = preset("nmc", capacity_ah=5.0, series_cells=4)
    block = simulate(
        spec,
        "drive",
        duration_s=1500,
        dt_s=0.1,
        seed=29,
        noise=NoiseSpec.typical(spec),
        faults=[Fault("sensor_noisy", 300, channel="current_a")],
    )
    offline = measure_internal_resistance(block.to_frame(), spec).to_dict()
    assert offline["n_pulses"] > 100
    tracker = InternalResistanceTracker(spec)
    for pos in range(0, len(block), blocks):
        tracker.update(block.slice(pos, pos + blocks))
    assert_same(offline, tracker.result().to_dict())
