"""Fault detection on packs whose BMS reports coarsely (whole degrees, 0.1 A, 1 mV,
0.1 V): a coarse reading's steps are its resolution, not a runaway, a short, a stuck
or a noisy sensor; real faults are still found."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.diagnostics.faults.resolution import (
    Resolution,
    confirm_tol,
    rounding_bias,
    staircase_steps,
)
from app.hardware.simulator import Fault, NoiseSpec, simulate
from app.hardware.simulator.noise import quantize
from tests.diagnostics.fault_splits import faults_in_blocks
from tests.diagnostics.simulated_packs import spread_pack

WHOLE_DEGREES = {"temp": 1.0}
COARSE_BMS = {"temp": 1.0, "current": 0.1, "cell_v": 0.001, "pack_v": 0.1}


def _pack(chem, profile, hours, *, noisy, resolution, faults=(), seed=1):
    spec = preset(chem, series_cells=4)
    block = simulate(
        spec,
        profile,
        duration_s=hours * 3600,
        seed=seed,
        noise=NoiseSpec.typical(spec) if noisy else None,
        capacity_spread=0.02,
        resistance_spread=0.06,
        faults=list(faults),
    )
    return spec, quantize(block, resolution)


@pytest.mark.parametrize(
    "chem, profile", [("nmc", "cccv"), ("nmc", "cycle"), ("nmc", "drive"), ("lfp", "cycle")]
)
def test_noise_free_whole_degree_sensors_are_no_runaway_nor_short(chem, profile):
    # (before: 9-41 runaway onsets on NMC cccv/cycle, 4 shorts on the NMC drive, in 4 h)
    spec, block = _pack(chem, profile, 4, noisy=False, resolution=WHOLE_DEGREES)
    kinds = {f["kind"] for f in detect_faults(block, spec).to_list()}
    assert not kinds & {"thermal_runaway_onset", "internal_short"}


def test_a_whole_degree_sensor_with_noise_holding_its_value_is_not_stuck():
    # 0.3 degC of noise mid-step reads one value for 30 s now and then (before: the
    # pack temperature 'stuck' 4 times in a day of HPPC)
    spec, block = _pack("nmc", "hppc", 24, noisy=True, resolution=WHOLE_DEGREES)
    assert detect_faults(block, spec).to_list() == []


def test_a_pack_voltage_read_to_100_mv_is_not_noisy():
    # its toggling between two steps read 29-50 mV of noise, over the 20 mV floor
    spec, block = _pack("nmc", "drive", 4, noisy=True, resolution=COARSE_BMS)
    assert detect_faults(block, spec).to_list() == []


def test_a_pack_voltage_read_to_100_mv_ramping_before_its_quantum_is_known_is_not_noisy():
    # a 16-cell lead-acid float charge's first minute: its pack voltage ramps 0.4 of a
    # quantum a second, and its rounding makes every second difference a quantum
    # before any bin held it (before: noisy from 30 s)
    spec, block = spread_pack("lead_acid", 16, "float", 1, 180, resistance_spread=0.03)
    assert detect_faults(quantize(block, COARSE_BMS), spec).to_list() == []


def _toggling_pack(spec, block, noise_v: float, seed: int = 0):
    """``block`` (read by a coarse BMS) with its pack voltage at rest reading either of
    two adjacent 0.1 V steps, every sample the other one (``noise_v`` 0: as a value on
    a step's edge at most can), or its mean plus ``noise_v`` of noise, rounded."""
    v = np.asarray(block["voltage_v"], dtype=float)
    n = len(v)
    low = np.floor(np.nanmean(v) / 0.1) * 0.1
    if noise_v:
        new = (
            np.round((low + 0.05 + noise_v * np.random.default_rng(seed).standard_normal(n)) / 0.1)
            * 0.1
        )
    else:
        new = low + 0.1 * (np.arange(n) % 2)
    cols = {c: block[c] for c in block.columns}
    cols["voltage_v"] = new.astype(cols["voltage_v"].dtype)
    return type(block)(cols)


@pytest.mark.parametrize("cells", [4, 16])
def test_a_pack_voltage_toggling_between_two_steps_is_not_noisy_one_spanning_more_is(cells):
    # a reading that only toggles between two steps has second differences of at most
    # two quanta: 2.47 q² by the step-robust estimate, over the 1 q² allowed before
    spec = preset("lead_acid", series_cells=cells)
    block = quantize(
        simulate(spec, "rest", duration_s=600, seed=2, noise=NoiseSpec.typical(spec)),
        COARSE_BMS,
    )
    assert detect_faults(_toggling_pack(spec, block, 0.0), spec).to_list() == []
    noisy = detect_faults(_toggling_pack(spec, block, 0.2), spec).to_list()
    assert {(f["kind"], f["channel"]) for f in noisy} == {("sensor_noisy", "voltage_v")}
    assert noisy[0]["detail"]["detected_time_s"] <= 60.0


def test_a_cell_crossing_a_whole_degree_step_beside_its_reference_is_no_runaway():
    # a clean 16-cell NMC cycle, 0.3 degC of noise read to whole degrees: cell 8 warms
    # ~0.8 degC in two minutes across a step while the others' median crosses its own
    # (the same log read finely: z 4.4); the excess errs by the cell's rounding bias
    # and the reference's, each either way (before: a runaway onset at 23,180 s, z 5.3,
    # with a swing of the cell's bias alone taken off)
    spec, block = spread_pack("nmc", 16, "cycle", 1, 6.45 * 3600, resistance_spread=0.08)
    late = np.asarray(block["time_s"]) >= 22_000.0
    block = type(block)({c: np.asarray(block[c])[late] for c in block.columns})
    assert detect_faults(quantize(block, COARSE_BMS), spec).to_list() == []


@pytest.mark.parametrize(
    ("chem", "duration_s"),
    [
        # the runaway test: a clean 4-cell NMC CC-CV charge's cell 4 sits on a step's
        # edge and its reading chatters, its window's second differences reading 0.11
        # q² of noise (its 30 minutes' 0.022), which took 45 % of the rounding's bias
        # off (before: a runaway onset at 1,130 s, z 5.1-6.0, none above 4 now)
        pytest.param("nmc", 1300, id="no-runaway"),
        # the short's heat test: a lead-acid CC-CV charge's cell 4, its recent 5
        # minutes reading 0.16-0.21 q² (its whole log's 0.020-0.026), which took 77-90 %
        # of the bias off the excess allowed (before: an internal short at 3,150 s, z
        # 7.6-32)
        pytest.param("lead_acid", 3500, id="no-short"),
    ],
)
def test_a_whole_degree_sensor_with_a_little_noise_chattering_on_a_step_is_no_fault(
    chem, duration_s
):
    # 0.03 degC of noise read to whole degrees: a reading on a step's edge chatters
    # between the two steps, which is no noise to take off the rounding's bias; the
    # same offline and live
    spec = preset(chem, series_cells=4)
    block = simulate(
        spec,
        "cccv",
        duration_s=duration_s,
        seed=7,
        noise=NoiseSpec.typical(spec, 0.1),
        capacity_spread=0.02,
        resistance_spread=0.06,
    )
    block = quantize(block, WHOLE_DEGREES)
    assert detect_faults(block, spec).to_list() == []
    sizes = np.random.default_rng(5).integers(1, 40, size=len(block))
    assert faults_in_blocks(block, spec, sizes) == []


@pytest.mark.parametrize("chem", ["nmc", "lfp"])
def test_a_runaway_on_whole_degree_sensors_within_a_minute(chem):
    onset = 1800.0
    spec, block = _pack(
        chem,
        "drive",
        1,
        noisy=True,
        resolution=WHOLE_DEGREES,
        faults=[Fault("thermal_runaway", onset, cell=2)],
    )
    faults = detect_faults(block, spec).to_list()
    hits = [f for f in faults if f["kind"] == "thermal_runaway_onset"]
    assert hits and hits[0]["channel"] == "cell_2_temp_c"
    assert onset <= hits[0]["detail"]["detected_time_s"] <= onset + 60.0
    assert all(f["detail"]["detected_time_s"] >= onset for f in faults)


@pytest.mark.parametrize("chem", ["nmc", "lfp"])
def test_a_noise_free_whole_degree_runaway_is_found_at_its_second_step(chem):
    # at rest the cell reads 25 degC, then steps to 26 at 25 s and to 27 at 56 s: the
    # steps' times are the evidence, two steps faster and faster beside a flat reference
    # (before: found in the bin after the second step, 61-63 s after the onset)
    onset = 1801.0
    spec = preset(chem, series_cells=4)
    block = simulate(
        spec,
        "rest",
        duration_s=onset + 300,
        seed=1,
        capacity_spread=0.02,
        resistance_spread=0.06,
        faults=[Fault("thermal_runaway", onset, cell=2)],
    )
    block = quantize(block, WHOLE_DEGREES)
    offline = detect_faults(block, spec).to_list()
    hits = [f for f in offline if f["kind"] == "thermal_runaway_onset"]
    assert hits and hits[0]["channel"] == "cell_2_temp_c"
    assert onset <= hits[0]["detail"]["detected_time_s"] <= onset + 60.0
    assert all(f["detail"]["detected_time_s"] >= onset for f in offline)
    sizes = np.random.default_rng(5).integers(1, 9, size=len(block))
    assert faults_in_blocks(block, spec, sizes) == offline


def test_staircase_steps_are_read_from_bin_means():
    # 5-sample bins of a whole-degree staircase: 25 for 37 samples, 26 from the 3rd
    # sample of bin 7, 27 from the 4th of bin 11, the last
    x = np.concatenate((np.full(37, 25.0), np.full(21, 26.0), np.full(2, 27.0)))
    bins = x.reshape(-1, 5).mean(axis=1)
    dt, before = staircase_steps(np.vstack((bins, bins[::-1], bins + 0.3)), np.ones(3))
    assert dt[0] == pytest.approx(21 / 5) and before[0] == pytest.approx(37 / 5)
    # a staircase down, or one off the quantum's multiples, gives none
    assert np.isnan(dt[1:]).all() and np.isnan(before[1:]).all()


def test_a_noisy_pack_voltage_read_to_100_mv_is_still_found():
    onset = 1800.0
    spec, block = _pack(
        "nmc",
        "drive",
        1,
        noisy=True,
        resolution=COARSE_BMS,
        faults=[Fault("sensor_noisy", onset, channel="voltage_v")],
    )
    faults = detect_faults(block, spec).to_list()
    assert [(f["kind"], f["channel"]) for f in faults] == [("sensor_noisy", "voltage_v")]
    assert faults[0]["detail"]["detected_time_s"] <= onset + 60.0


def test_a_pack_voltage_beside_cells_read_to_10_mv_is_not_noisy_a_noisy_one_is_found():
    # a noise-free 16-cell LFP drive: the cells move together, their roundings step at
    # nearly the same samples, and the step-robust estimate of the pack voltage's
    # difference from their sum keeps what the cells' own drop (before: noisy at 6,900
    # and 7,845 s); it spans at most their quanta, a noisy pack sensor far more
    spec = preset("lfp", series_cells=16)

    def drive(faults=()):
        block = simulate(
            spec,
            "drive",
            duration_s=8000,
            seed=1471,
            capacity_spread=0.02,
            resistance_spread=0.03,
            faults=list(faults),
        )
        return quantize(block, {"cell_v": 0.01})

    assert detect_faults(drive(), spec).to_list() == []
    onset = 6850.0
    block = drive([Fault("sensor_noisy", onset, channel="voltage_v")])
    faults = detect_faults(block, spec).to_list()
    assert [(f["kind"], f["channel"]) for f in faults] == [("sensor_noisy", "voltage_v")]
    assert onset <= faults[0]["detail"]["detected_time_s"] <= onset + 60.0
    sizes = np.random.default_rng(7).integers(1, 40, size=len(block))
    assert faults_in_blocks(block, spec, sizes) == faults


@pytest.mark.parametrize(("channel", "onset"), [("current_a", 6503.0), ("voltage_v", 5537.0)])
def test_a_coarse_sensor_stuck_while_its_twin_moves_is_found_without_a_flickering_past(
    channel, onset
):
    # a drive read to 0.1 A / 0.1 V with noise under the quantum: the reading held its
    # value in cruise before (no flicker in 95 % of its bins), and its twin (the cells'
    # bend, their sum) is the evidence once it freezes (before: missed)
    stuck = Fault("sensor_stuck", onset, channel=channel)
    spec, block = spread_pack(
        "nmc", 4, "drive", 1, onset + 300, resistance_spread=0.03, faults=[stuck]
    )
    faults = detect_faults(quantize(block, COARSE_BMS), spec).to_list()
    assert [(f["kind"], f["channel"]) for f in faults] == [("sensor_stuck", channel)]
    assert onset <= faults[0]["detail"]["detected_time_s"] <= onset + 60.0


def test_live_equals_offline_on_coarse_readings():
    spec, block = _pack(
        "nmc",
        "drive",
        1.5,
        noisy=False,
        resolution=COARSE_BMS,
        faults=[Fault("thermal_runaway", 3000, cell=3)],
    )
    offline = detect_faults(block, spec).to_list()
    assert any(f["kind"] == "thermal_runaway_onset" for f in offline)
    rng = np.random.default_rng(3)
    for top in (1, 7, 300, 4000):
        sizes = rng.integers(1, top + 1, size=len(block))
        assert faults_in_blocks(block, spec, sizes) == offline


def _resolution_of(
    x: np.ndarray, splits, per_bin: int = 5, counts: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """One row's ``per_bin``-sample bins of ``x`` fed to a Resolution in batches of
    ``splits`` bins: (bound, q2) per bin; ``counts``: with each bin's number of changes,
    as the bin stage gives them."""
    bins = x.reshape(-1, per_bin)
    d = np.diff(np.concatenate(([x[0]], x))).reshape(-1, per_bin)
    d2 = np.diff(np.concatenate(([x[0], x[0]], x)), 2).reshape(-1, per_bin)
    sdd, s2 = (d * d).sum(axis=1)[None], (d2 * d2).sum(axis=1)[None]
    nc = (d != 0).sum(axis=1)[None].astype(float)
    n = np.full((1, len(bins)), float(per_bin))
    res, out, a = Resolution(1), [], 0
    for k in splits:
        sl = slice(a, a + k)
        args = (sdd[:, sl], n[:, sl], s2[:, sl], n[:, sl], bins.mean(axis=1)[None, sl])
        out.append(res.push(*args, nc[:, sl] if counts else None))
        a += k
    return tuple(np.concatenate([o[i] for o in out], axis=1)[0] for i in range(2))


def test_a_channel_learns_its_quantum_from_its_readings_whatever_the_split():
    rng = np.random.default_rng(0)
    t = np.arange(3000)
    warming = 25.0 + t / 600.0  # 0.1 degC/min
    whole = np.round(warming)
    fine_noisy = warming + 0.3 * rng.standard_normal(len(t))
    for x in (whole, fine_noisy):
        bound, q2 = _resolution_of(x, [600])
        for splits in ([1] * 600, [7, 200, 393]):
            b2, q2b = _resolution_of(x, splits)
            assert np.array_equal(bound, b2) and np.array_equal(q2, q2b)
        if x is whole:
            # known from its first step (it held its value before): 1 degC²
            first = (np.flatnonzero(np.diff(x))[0] + 1) // 5
            assert np.all(q2[:first] == 0.0) and np.all(q2[first:] == 1.0)
        else:
            assert np.all(q2 == 0.0)  # a fine reading with noise: no quantum


def test_a_fine_sensor_with_noise_at_10_hz_is_not_read_as_coarse():
    """50-sample bins (10 Hz): a sum of ~50 squared differences spreads sqrt(10) times
    less than one of 5, so its least sums crowd in as closely; the confirmation's
    tolerance shrinks with it (with 1 Hz's, 8 of these 40 fine 0.2 degC sensors were
    given a quantum of ~2 degC within 4 h; at 1 Hz none is)."""
    assert confirm_tol(5.0) == 1e-2 and confirm_tol(2.0) == 1e-2
    assert confirm_tol(50.0) == pytest.approx(1e-2 / np.sqrt(10.0))
    t = np.arange(4 * 3600 * 10) / 10.0
    coarse = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        x = 25.0 + t / 3600.0 + 0.2 * rng.standard_normal(len(t))
        # (with the bins' counts of changes, as the bin stage gives them: every sample
        # of a fine reading changes, so its sums per change rank as its sums)
        coarse += bool(_resolution_of(x, [len(t) // 50], per_bin=50, counts=True)[1].any())
        if seed < 10:  # 1 Hz, the same minutes: none
            one_hz = x[::10]
            assert not _resolution_of(one_hz, [len(one_hz) // 5], counts=True)[1].any()
    assert coarse <= 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_whole_degree_reading_chattering_at_10_hz_is_known_by_its_changes(seed):
    """A whole-degree sensor with 0.3 degC of noise whose true value sits by a step's
    edge chatters dozens of times a 50-sample bin (10 Hz): no bin holds a single step,
    so its least sum is two or more quanta squared (a 16-cell LFP pack's cell
    temperatures were given 2 or 4 degC², or none, and a clean pack read a false
    short). Its squared changes per change are one quantum squared in nearly every bin:
    known from its first minute, exactly, whatever the split."""
    rng = np.random.default_rng(seed)
    t = np.arange(20 * 60 * 10) / 10.0
    x = np.round(25.5 + t / 7200.0 + 0.3 * rng.standard_normal(len(t)))
    bins = len(t) // 50
    _, before = _resolution_of(x, [bins], per_bin=50)
    assert not np.any(before == 1.0)  # (the sums alone: never one quantum)
    for splits in ([bins], [1] * bins, [7, 100, bins - 107]):
        _, q2 = _resolution_of(x, splits, per_bin=50, counts=True)
        assert np.all(q2[12:] == 1.0)


@pytest.mark.parametrize("per_bin", [5, 50])
@pytest.mark.parametrize("q, level, noise", [(1.0, 25.0, 0.0), (1.0, 25.0, 0.3), (1e-3, 3.9, 3e-4)])
def test_a_coarse_reading_is_known_at_1_and_10_hz(per_bin, q, level, noise):
    """A whole-degree temperature (noise-free, or with noise of a third of its step)
    and a float32 cell voltage read to 1 mV: their quantum is known from the first hour
    on whatever the bins' size (their sums recur to float32's rounding, under the
    tolerance)."""
    rng = np.random.default_rng(4)
    t = np.arange(2 * 3600 * per_bin // 5) / (per_bin / 5)
    slope = q * 3.0 / 3600.0  # three steps an hour
    x = np.round((level + slope * t + noise * rng.standard_normal(len(t))) / q) * q
    x = x.astype(np.float32).astype(float)
    _, q2 = _resolution_of(x, [len(t) // per_bin], per_bin=per_bin)
    hour = len(q2) // 2
    # (a bound: a few quanta squared until a bin with a single step shows q²)
    assert np.all(q2[hour:] > 0.0) and q2[-1] == pytest.approx(q * q, rel=1e-3)


def test_rounding_bias():
    # q/pi without noise, next to nothing once the noise spans the quantum, 0 unknown
    assert rounding_bias(1.0, 0.0) == pytest.approx(1.0 / np.pi)
    # (0.3 degC before rounding reads 0.09 + 1/12: Sheppard's correction)
    assert rounding_bias(1.0, 0.09 + 1 / 12) == pytest.approx(np.exp(-2 * np.pi**2 * 0.09) / np.pi)
    assert rounding_bias(1.0, 1.0) < 1e-8
    assert rounding_bias(0.0, 0.0) == 0.0


def _learnt_quanta(spec, block) -> dict[str, float]:
    """Each channel's quantum as the bin stage knows it at the end of ``block`` (0: not
    known to be quantised)."""
    from app.diagnostics.faults.bins import CHUNK, Layout, SampleStage
    from app.diagnostics.faults.limits import out_of_range_bounds

    layout = Layout.from_columns(block.columns)
    stage = SampleStage(layout, *out_of_range_bounds(spec, layout))
    step = np.full(len(block), np.nan)
    batches = []
    for a in range(0, len(block), CHUNK):
        b = min(len(block), a + CHUNK)
        batches += stage.push(block, a, b, step[a:b])
    batches += stage.flush()
    return dict(zip(layout.names, np.sqrt(batches[-1].q2[:, -1]), strict=True))


@pytest.mark.parametrize("chem, seed", [("nmc", 1), ("lfp", 2)])
def test_a_current_read_to_100_ma_crossing_zero_keeps_its_quantum(chem, seed):
    # a drive's current swings through zero: bins of mean ~0 hold samples of +-0.5 A,
    # whose float32 rounding (~1e-8 A) was taken for a change once the rounding floor
    # was sized by the bin's mean (before: a quantum of 1.5e-8 or 3e-8 A learnt)
    spec, block = _pack(chem, "drive", 2, noisy=True, resolution=COARSE_BMS, seed=seed)
    q = _learnt_quanta(spec, block)
    assert q["current_a"] == pytest.approx(0.1, rel=1e-4)
    assert q["voltage_v"] == pytest.approx(0.1, rel=1e-4)
    assert q["temperature_c"] == pytest.approx(1.0, rel=1e-4)


def _clean_10_hz(chem, cells, profile, seconds, spread, seed=1300):
    spec = preset(chem, series_cells=cells)
    block = simulate(
        spec,
        profile,
        duration_s=seconds,
        seed=seed,
        noise=NoiseSpec.typical(spec),
        capacity_spread=0.02,
        resistance_spread=spread,
        dt_s=0.1,
    )
    return spec, quantize(block, COARSE_BMS)


def test_a_whole_degree_pack_temperature_leaving_a_step_edge_at_10_hz_is_not_stuck():
    """A 16-cell NMC pack's hottest-sensor temperature, read to whole degrees at 10 Hz,
    starts by a step's edge and chatters on its noise, then holds as the pack warms
    away from it -- while the cells' median warms by 0.4 degC, less than a quantum
    (before: 'stuck' from 40 s, judged on its flickering cell peers)."""
    spec, block = _clean_10_hz("nmc", 16, "cycle", 600, 0.03)
    assert detect_faults(block, spec).to_list() == []


def test_whole_degree_cell_temperatures_at_10_hz_are_no_short():
    """A clean 16-cell LFP CC discharge read to whole degrees at 10 Hz: the cells'
    quantum is learnt from their changes (before: 2 or 4 degC², or none, and cell 9's
    rounding bias, not taken off, read as a short from 3,690 s)."""
    spec, block = _clean_10_hz("lfp", 16, "cc", 4500, 0.03)
    assert detect_faults(block, spec).to_list() == []
