"""The batched fast paths give the very numbers of the one-at-a-time code they replace."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest

from app.core.results import Severity, to_jsonable
from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.cycles import _Integrals, _last_where, cycle_numbers
from app.diagnostics.faults.bins import _ACCUMULATE_MAX, _BinSummer
from app.diagnostics.finite import nan_to_num
from app.diagnostics.pulse_detection import (
    first_departure,
    first_departures,
    hppc_resistance_raw,
    hppc_resistances_raw,
    interp_within,
    median,
)
from app.diagnostics.pulse_summary import median_of
from app.diagnostics.rowwise import (
    CHUNK_ROWS,
    row_all_finite,
    row_fold,
    row_max,
    row_mean,
    row_min,
    row_sum,
    row_summary,
)
from app.diagnostics.runs import run_bounds, run_reduce
from app.diagnostics.safety import (
    _WATCH_CHUNK,
    SafetyMonitor,
    _extremes,
    _LimitCheck,
    monitor_safety,
    run_excess,
    sustained_charging,
)
from app.diagnostics.soh import SohTracker, _run_keys
from app.diagnostics.suite import run_suite


def test_first_departures_match_first_departure():
    rng = np.random.default_rng(1)
    i = np.repeat(rng.uniform(-50, 25, 400), rng.integers(1, 60, 400)) + rng.normal(0, 0.05, 1)
    i[rng.choice(len(i), 50)] += 3.0  # glitches end a hold early
    starts = rng.integers(0, len(i) - 1, 300)
    stops = starts + rng.integers(0, 6000, 300)  # some past the end, some batched, some long
    levels = i[starts] + rng.normal(0, 0.5, 300)
    tols = rng.uniform(0.1, 2.0, 300)
    got = first_departures(i, levels, tols, starts, stops)
    for j in range(300):
        e = first_departure(i, levels[j], tols[j], int(starts[j]), int(stops[j]))
        assert got[j] == (min(stops[j], len(i)) if e is None else e)


def test_first_departures_on_reversed_views_short_logs_and_dropped_readings():
    # (the windows are rows of a strided view: a reversed current as the tracker's
    # backward search passes it, logs shorter than a window, searches near the end)
    rng = np.random.default_rng(4)
    for trial in range(60):
        n = int(rng.integers(1, 3000))
        i = np.repeat(rng.uniform(-50, 25, n), rng.integers(1, 300, n))[:n]
        i[rng.choice(n, max(1, n // 50))] = np.nan  # a dropped reading never ends a hold
        if trial % 2:
            i = i[::-1]
        starts = rng.integers(0, n, 40)
        stops = starts + rng.integers(-3, 4000, 40)
        levels = i[starts] + rng.normal(0, 0.5, 40)
        tols = rng.uniform(0.1, 2.0, 40)
        got = first_departures(i, levels, tols, starts, stops)
        for j in range(40):
            e = first_departure(i, levels[j], tols[j], int(starts[j]), int(stops[j]))
            assert got[j] == (min(stops[j], n) if e is None else e)


def test_interp_within_is_numpys_interp_bit_for_bit():
    rng = np.random.default_rng(2)
    xp = np.sort(np.round(rng.uniform(0, 100, 3000), 1))  # repeated times too
    fp = rng.normal(size=3000) * 1e3
    fp[rng.choice(3000, 60)] = np.nan  # dropped readings
    lo = rng.integers(0, 2900, 2000)
    hi = lo + rng.integers(1, 100, 2000)
    x = xp[lo] + rng.uniform(-1, 1, 2000) * (xp[hi - 1] - xp[lo] + 0.5)
    x[:100] = xp[hi[:100] - 1]  # exactly on the last sample
    got = interp_within(x, xp, fp, lo, hi)
    ref = [np.interp(x[j], xp[lo[j] : hi[j]], fp[lo[j] : hi[j]]) for j in range(2000)]
    np.testing.assert_array_equal(got, ref)


def test_hppc_resistances_of_several_voltages_are_those_of_each():
    rng = np.random.default_rng(3)
    t = np.arange(400) * 0.1
    i = np.where((t >= 10) & (t < 25), -50.0, 0.0) + rng.normal(0, 0.05, 400)
    volts = [3.7 + 0.002 * i + rng.normal(0, 0.002, 400) for _ in range(3)]
    volts[2][120] = np.nan
    both = hppc_resistances_raw(t, volts, i, 100, 100, 250)
    # (repr: the shortest exact form of each float, and NaN equals NaN)
    assert repr(both) == repr([hppc_resistance_raw(t, v, i, 100, 100, 250) for v in volts])
    assert np.isnan(both[2]["r_2s_ohm"])  # the dropped reading next to the 2 s point
    assert both[0]["r_10s_ohm"] == pytest.approx(0.002, rel=0.05)
    assert both[0]["r_30s_ohm"] is None  # the pulse lasted 15 s


@pytest.mark.parametrize("rows,bins,per_bin", [(35, 2, 50), (35, 600, 50), (4, 3, 5)])
def test_bin_sums_same_bits_by_running_sum_and_strided_adds(rows, bins, per_bin, monkeypatch):
    rng = np.random.default_rng(4)
    x = (rng.normal(size=(rows, bins * per_bin)) * 100).astype(np.float32)
    b = np.repeat(np.arange(bins), per_bin)
    starts = np.arange(bins) * per_bin
    summer = _BinSummer(b, starts, bins * per_bin)
    running = summer(x) if rows * bins <= _ACCUMULATE_MAX else None
    monkeypatch.setattr("app.diagnostics.faults.bins._ACCUMULATE_MAX", 0)
    strided = summer(x)
    # sums of squares squared a few rows at a time: those of the array of squares
    np.testing.assert_array_equal(summer.squares(x), summer(x * x))
    monkeypatch.setattr("app.diagnostics.faults.bins._ACCUMULATE_MAX", 10**9)
    np.testing.assert_array_equal(summer(x), strided)
    if running is not None:
        np.testing.assert_array_equal(running, strided)


def test_median_is_numpys():
    rng = np.random.default_rng(5)
    for n in range(1, 40):
        vals = list(rng.normal(size=n))
        assert median_of([*vals, None, float("nan")]) == float(np.median(vals))
    assert median_of([None]) is None


def _same_bits(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def test_array_median_is_numpys_bit_for_bit():
    rng = np.random.default_rng(6)
    for n in [*range(1, 40), 1000, 1001]:
        x = rng.normal(size=n) * np.exp(rng.normal(size=n) * 3)
        x[rng.random(n) < 0.3] = -0.0  # signed zeros averaged
        assert _same_bits(median(x), np.median(x))
        x[n // 2] = np.nan
        assert np.isnan(median(x))


@pytest.mark.parametrize("cells", [1, 2, 4, 7, 8, 9, 16, 17, 24, 130])
def test_row_reductions_are_numpys_bit_for_bit(cells):
    rng = np.random.default_rng(cells)
    n = 2 * CHUNK_ROWS + 123  # (whole chunks and a part of one)
    x = rng.normal(size=(n, cells)) * np.exp(rng.normal(size=(n, cells)) * 3)
    x[rng.random(x.shape) < 0.5] = -0.0  # all-zero rows: numpy's sum is +0.0
    x[rng.random(x.shape) < 0.01] = np.nan
    columns = [np.ascontiguousarray(x[:, j]) for j in range(cells)]
    for arg in (x, columns):
        assert _same_bits(row_sum(arg), x.sum(axis=1))
        assert _same_bits(row_mean(arg), x.mean(axis=1))
        assert _same_bits(row_max(arg), x.max(axis=1))
        assert _same_bits(row_min(arg), x.min(axis=1))
        assert _same_bits(row_fold(np.fmax, arg), np.fmax.reduce(x, axis=1))
        assert (row_all_finite(arg) == np.isfinite(x).all(axis=1)).all()
    # the four in one pass: the bits of each on its own (and of numpy's)
    x[rng.random(x.shape) < 0.01] = np.inf
    for arg in (x, columns, x[: CHUNK_ROWS - 5], x[:1]):
        finite, mean, hi, lo = row_summary(arg)
        assert (finite == row_all_finite(arg)).all() and finite.dtype == bool
        assert _same_bits(mean, row_mean(arg))
        assert _same_bits(hi, row_max(arg))
        assert _same_bits(lo, row_min(arg))
        if isinstance(arg, np.ndarray):
            assert _same_bits(mean, arg.mean(axis=1))
    # a row is finite when its max and min are: -inf too (alone, or with +inf or NaN)
    x[rng.random(x.shape) < 0.01] = -np.inf
    for arg in (x, [np.ascontiguousarray(x[:, j]) for j in range(cells)]):
        assert (row_summary(arg)[0] == np.isfinite(x).all(axis=1)).all()


def test_runs_and_their_reductions():
    rng = np.random.default_rng(7)
    for n in (1, 2, 5, 300):
        for _ in range(50):
            mask = rng.random(n) < rng.random()
            x = rng.normal(size=n)
            starts, stops = run_bounds(mask)
            ref = [
                (a, b)
                for a in range(n)
                for b in range(a + 1, n + 1)
                if mask[a:b].all() and (a == 0 or not mask[a - 1]) and (b == n or not mask[b])
            ]
            assert list(zip(starts.tolist(), stops.tolist(), strict=True)) == ref
            assert run_reduce(np.maximum, x, starts, stops).tolist() == [
                x[a:b].max() for a, b in ref
            ]


@pytest.mark.parametrize("upper", [True, False])
def test_run_excess_of_one_limit_is_that_of_every_sample(upper):
    rng = np.random.default_rng(3)
    for limit in (4.2, 2.5, 0.0, -1.0, 3):
        x = limit + rng.normal(size=5000) * np.exp(rng.normal(size=5000) * 4)
        x[::7] = limit  # (differences of exactly zero next to the runs)
        x[rng.random(5000) < 0.01] = np.nan
        with np.errstate(invalid="ignore"):
            starts, stops = run_bounds(x > limit if upper else x < limit)
            gap = x - limit if upper else limit - x
        worst = run_reduce(np.maximum if upper else np.minimum, x, starts, stops)
        plain = run_reduce(np.maximum, gap, starts, stops)
        assert _same_bits(run_excess(x, limit, upper, worst, starts, stops), plain)
        # a limit per sample: the per-sample differences
        limits = np.full(len(x), float(limit))
        assert _same_bits(run_excess(x, limits, upper, worst, starts, stops), plain)


def test_ica_run_keys_are_those_of_the_float_signs():
    rng = np.random.default_rng(4)
    i = rng.normal(size=3000) * 5
    i[::11] = 0.0
    i[::13] = -0.0
    i[::17] = np.nan
    ok = np.abs(i) > 1.0
    ok[::5] = True  # (also where the current is 0 or NaN)
    cycle = rng.integers(-3, 40, size=3000)
    sign, key = _run_keys(i, ok, cycle)
    with np.errstate(invalid="ignore"):
        plain = np.where(ok, np.nan_to_num(np.sign(i)), 0).astype(np.int64)
    assert (sign == plain).all()
    assert (key == np.where(ok, plain * (cycle * 2 + 1), 0)).all()


@pytest.mark.parametrize("gaps", [False, True])
def test_soh_cycle_numbers_forward_filled_or_as_logged(gaps):
    rng = np.random.default_rng(5)
    n = 500
    cycles = np.repeat(np.arange(3.0, 13.0), n // 10)
    if gaps:
        cycles[rng.random(n) < 0.2] = np.nan
        cycles[:7] = np.nan
    tracker = SohTracker(preset("nmc", capacity_ah=5.0, series_cells=1))
    tracker._has_cycle_index = True
    ids = []
    for part in np.split(cycles, [120, 121, 300]):  # (a gap carried over blocks)
        zero = np.zeros(len(part))
        block = SampleBlock(
            {"time_s": zero, "voltage_v": zero, "current_a": zero, "cycle_index": part}
        )
        ids.append(tracker._cycle_ids(block, zero))
    plain = pd.Series(cycles).ffill().fillna(1.0).to_numpy().astype(np.int64)
    assert (np.concatenate(ids) == plain).all()


def test_last_sample_where_a_mask_holds_is_that_of_the_running_maximum():
    rng = np.random.default_rng(6)
    for n, p in ((1, 0.5), (50, 0.0), (50, 1.0), (3000, 0.01), (3000, 0.5)):
        mask = rng.random(n) < p
        plain = np.maximum.accumulate(np.where(mask, np.arange(n), -1))
        at = np.sort(rng.integers(0, n, size=20))
        assert _last_where(mask, at).tolist() == plain[at].tolist()
        assert _last_where(mask, at[:0]).tolist() == []


@pytest.mark.parametrize("logged", ["whole", "gaps", "none", "ints"])
def test_cycle_numbers_of_a_logged_index_are_its_filled_values(logged):
    rng = np.random.default_rng(7)
    values = np.repeat(np.arange(2.0, 12.0), 30)
    if logged == "gaps":
        values[rng.random(len(values)) < 0.3] = np.nan
        values[:5] = np.nan
    elif logged == "none":
        values[:] = np.nan
    column = values.astype(np.int64) if logged == "ints" else values
    # (a minute a sample: each half moves 0.5 Ah, 10 % of the capacity)
    df = pd.DataFrame({"time_s": np.arange(len(values)) * 60.0, "cycle_index": column})
    current = np.tile(np.r_[np.full(15, 2.0), np.full(15, -2.0)], 10)
    plain = (
        df["cycle_index"].ffill().bfill().to_numpy().astype(np.int64)
        if df["cycle_index"].notna().any()
        else None
    )
    got = cycle_numbers(df, current, 5.0)
    assert got.dtype == np.int64
    if plain is not None:
        assert (got == plain).all()
    else:  # (detected from the current: a cycle per charge)
        assert got.tolist() == np.repeat(np.arange(1, 11), 30).tolist()


@pytest.mark.parametrize("gaps", [False, True])
def test_soh_cell_voltages_are_the_cells_or_the_pack_per_sample(gaps):
    rng = np.random.default_rng(8)
    n, k = 400, 4
    cells = [3.7 + 0.01 * rng.normal(size=n) for _ in range(k)]
    if gaps:
        cells[2][rng.random(n) < 0.1] = np.nan
    pack = 14.8 + 0.02 * rng.normal(size=n)
    zero = np.zeros(n)
    block = SampleBlock({"time_s": zero, "voltage_v": pack, "current_a": zero})
    tracker = SohTracker(preset("nmc", capacity_ah=5.0, series_cells=k))
    x = np.column_stack(cells)
    finite = np.isfinite(x).all(axis=1)
    v_cell = np.where(finite, x.mean(axis=1), pack / k)
    plain = (
        v_cell,
        np.where(finite, x.max(axis=1), v_cell),
        np.where(finite, x.min(axis=1), v_cell),
    )
    for got, want in zip(tracker._cell_voltages(block, cells), plain, strict=True):
        assert _same_bits(got, want)
    for got in tracker._cell_voltages(block, None):
        assert _same_bits(got, pack / k)


def test_nan_to_num_is_numpys_and_copies_only_what_it_changes():
    rng = np.random.default_rng(9)
    x = rng.normal(size=1000) * 1e300
    x[::3] = -0.0
    assert nan_to_num(x) is x and _same_bits(nan_to_num(x), np.nan_to_num(x))
    for bad in (np.nan, np.inf, -np.inf):
        y = x.copy()
        y[rng.random(len(y)) < 0.05] = bad
        got = nan_to_num(y)
        assert got is not y and _same_bits(got, np.nan_to_num(y))
    assert len(nan_to_num(np.empty(0))) == 0


@pytest.mark.parametrize("upper", [True, False])
def test_a_limit_watched_by_the_extremes_has_the_events_of_every_sample_compared(upper):
    rng = np.random.default_rng(10)
    n = 200_000
    t = np.arange(n) * 0.5
    value = 4.0 + np.cumsum(rng.normal(size=n)) * 0.002
    value[rng.random(n) < 0.001] = np.nan
    limit = 4.05 if upper else 3.95
    per_sample = limit + np.where(rng.random(n) < 0.5, 0.0, 0.02 if upper else -0.02)
    for lim in (limit, per_sample):
        watched = _LimitCheck("x", "c", upper, 0.05, 2.0, 0.002, 0.005)
        plain = _LimitCheck("x", "c", upper, 0.05, 2.0, 0.002, 0.005)
        for a, b in ((0, 7), (7, 70_000), (70_000, 70_001), (70_001, 140_000), (140_000, n)):
            v, tt = value[a:b], t[a:b]
            lv = lim if np.ndim(lim) == 0 else lim[a:b]
            least, most = _extremes(v)
            watched.watch(tt, v, most if upper else least, limit, lv)
            plain.feed(tt, v, lv)  # every block, every sample compared
        assert watched.all_events() == plain.all_events()
        assert len(plain.all_events()) > 3
    x = rng.normal(size=70_000)
    assert _extremes(x) == (x.min(), x.max())
    x[65_537] = np.nan
    assert all(np.isnan(_extremes(x)))


def test_a_long_block_watched_a_chunk_at_a_time_has_the_events_of_every_sample_compared():
    # a long block's limits are compared only in the chunks where a reading is beyond
    # one (or an episode is open): the events of every check fed every sample
    spec = preset("nmc", capacity_ah=5.0, series_cells=2)
    rng = np.random.default_rng(12)
    n = 12 * _WATCH_CHUNK + 100
    t = np.arange(n) * 1.0
    c = _WATCH_CHUNK
    v1 = spec.cell_v_max - 0.02 + rng.normal(0, 0.003, n)
    # over: across a chunk's end, one sample (fast trip), a long one over several
    # chunks, one open at the end; a NaN in the middle of a chunk
    for a, b, up in (
        (c - 6, c + 9, 0.03),
        (3 * c + 5, 3 * c + 6, 0.2),
        (5 * c - 50, 8 * c + 3, 0.03),
    ):
        v1[a:b] += up
    v1[n - 7 :] += 0.03
    v1[6 * c + 17] = np.nan
    # over, then held at the limit (within the tolerance) into the next chunk: the
    # episode goes on there though that chunk reads nothing beyond the tolerance
    v1[10 * c - 20 : 10 * c - 10] += 0.03
    v1[10 * c - 10 : 10 * c + 200] = spec.cell_v_max + 0.001
    v2 = spec.cell_v_min + 0.02 + rng.normal(0, 0.003, n)
    v2[2 * c - 3 : 2 * c + 40] -= 0.04
    i = rng.normal(0, 0.2, n)
    i[4 * c - 2 : 4 * c + 5] = spec.max_charge_current_a * 1.3
    i[9 * c : 9 * c + 30] = -spec.max_discharge_current_a * 1.3
    temp = 30.0 + rng.normal(0, 0.2, n)
    temp[7 * c - 10 : 7 * c + 10] = 50.0  # over the charge limit while charging only
    i[7 * c - 80 : 7 * c] = 1.0  # (a charge counts once sustained for a minute)
    block = SampleBlock(
        {"time_s": t, "voltage_v": v1 + v2, "current_a": i, "temperature_c": temp}
        | {"cell_1_v": v1, "cell_2_v": v2}
    )
    got = monitor_safety(block, spec).events
    plain = SafetyMonitor(spec)
    plain._setup(block)
    checks = iter(plain._checks)
    charging = sustained_charging(t, i, 0.01 * spec.pack_capacity_ah, None)
    hot = np.where(charging, spec.charge_temp_max_c, spec.discharge_temp_max_c)
    cold = np.where(charging, spec.charge_temp_min_c, spec.discharge_temp_min_c)
    # a cell as the pack's sensor reads it (the pack less the other cells) confirms a
    # single reading beyond the fast level
    pack, total = v1 + v2, v1 + v2
    for value, limits, reads in (
        (v1, (spec.cell_v_max, spec.cell_v_min), pack - (total - v1)),
        (v2, (spec.cell_v_max, spec.cell_v_min), pack - (total - v2)),
        (i, (spec.max_charge_current_a,), None),
        (-i, (spec.max_discharge_current_a,), None),
        (temp, (hot, cold), None),
    ):
        for limit in limits:
            next(checks).feed(t, value, limit, pack_reads=reads)
    assert got == plain.result().events
    kinds = {e.check for e in got}
    assert kinds >= {
        "cell_over_voltage",
        "cell_under_voltage",
        "over_current_charge",
        "over_current_discharge",
        "over_temperature",
    }
    assert any(e.start_time_s < c <= e.end_time_s for e in got)  # across a chunk's end
    assert got[-1].end_time_s == t[-1]  # open at the end
    # held into a quiet chunk: it ends where the cell is back inside by the hysteresis
    assert any(
        e.start_time_s < 10 * c and e.end_time_s in (t[10 * c + 199], t[10 * c + 200]) for e in got
    )
    assert len(got) >= 7


def test_stack_fills_missing_columns_with_nan():
    cols = {"time_s": [0.0, 1.0], "voltage_v": [7.3, 7.4], "current_a": [0.0, 0.0]}
    block = SampleBlock({**cols, "cell_1_v": [3.6, 3.7]})
    out = block.stack(["cell_1_v", "cell_2_v"])
    np.testing.assert_array_equal(out, [[3.6, np.nan], [3.7, np.nan]])


def test_to_jsonable_plain_and_numpy_values():
    value = {
        1: [1.5, float("nan"), np.float64("inf"), np.int64(3), True, None, "x"],
        "s": Severity.WARNING,
        "a": np.array([1.0, np.nan]),
        "t": (np.bool_(True),),
    }
    assert to_jsonable(value) == {
        "1": [1.5, None, None, 3, True, None, "x"],
        "s": "warning",
        "a": [1.0, None],
        "t": [True],
    }


def test_run_suite_resumes_the_garbage_collector_even_when_it_fails():
    spec = preset("nmc", capacity_ah=5.0, series_cells=1)
    t = np.arange(200.0)
    df = pd.DataFrame({"time_s": t, "voltage_v": np.full(200, 3.7), "current_a": np.zeros(200)})
    assert run_suite(df, spec).results["soc"] is not None
    assert gc.isenabled()
    with pytest.raises(KeyError):
        run_suite(df.drop(columns=["current_a"]), spec)
    assert gc.isenabled()
    gc.disable()
    try:
        run_suite(df, spec)
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


@pytest.mark.parametrize("n", [0, 1, 2, 9, 64, 1000])
def test_charge_and_energy_integrals_by_blocks_are_those_of_the_whole_log(n):
    # the per-sample increments computed a block of samples at a time (each block
    # with the sample after it) have the bits of the whole log in one block
    rng = np.random.default_rng(n)
    t = np.cumsum(rng.uniform(0.1, 3.0, n))
    i = np.repeat(rng.uniform(-20, 20, n // 4 + 1), 4)[:n]
    i[rng.random(n) < 0.1] = 0.0  # rests: the current starts and stops within intervals
    i[rng.random(n) < 0.03] = np.nan
    v = rng.uniform(3.0, 4.2, n)
    v[rng.random(n) < 0.03] = np.nan
    whole = _Integrals(t, v, i, block=max(n, 1))
    for block in (1, 2, 3, 7, 64):
        parts = _Integrals(t, v, i, block=block)
        for name in ("q_chg", "q_dis", "e_chg", "e_dis"):
            assert getattr(parts, name).tobytes() == getattr(whole, name).tobytes(), (name, block)
    # and those are the trapezoids where the current keeps charging
    for k in np.flatnonzero((i[:-1] > 0) & (i[1:] > 0))[:5]:
        assert whole.q_chg[k] == 0.5 * (i[k] + i[k + 1]) * (t[k + 1] - t[k]) / 3600.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_integrals_trapezoid_test_from_the_current_is_that_of_each_parts_signs(seed, monkeypatch):
    # _Integrals hands trapezoid_increments its "keep the trapezoid" test made once from
    # the current (finite blocks; the energies' only where every voltage is >= 1 V): the
    # same bits as the test made from the signs of each of the four parts
    from app.diagnostics import cycles

    rng = np.random.default_rng(seed)
    n = 3000
    t = np.cumsum(rng.uniform(0.1, 3.0, n))
    i = np.repeat(rng.uniform(-20, 20, n // 3 + 1), 3)[:n]
    i[rng.random(n) < 0.15] = 0.0
    i[rng.random(n) < 0.05] = -0.0
    i[rng.random(n) < 0.02] = 5e-324  # (times a voltage below 1: 0)
    i[rng.random(n) < 0.02] = -5e-324
    v = rng.uniform(3.0, 4.2, n)
    v[1000:1400] = rng.uniform(0.0, 1.5, 400)  # blocks with voltages below 1 V, and 0 V
    v[1100:1110] = 0.0
    v[2000:2010] = np.nan
    if seed == 2:
        i[rng.random(n) < 0.01] = np.nan  # a block with NaN: the test per part
    fast = cycles._Integrals(t, v, i, block=256)
    plain_increments = cycles.trapezoid_increments

    def per_part(dt, y, scale, keep=None):
        return plain_increments(dt, y, scale)

    monkeypatch.setattr(cycles, "trapezoid_increments", per_part)
    plain = cycles._Integrals(t, v, i, block=256)
    for name in ("q_chg", "q_dis", "e_chg", "e_dis"):
        assert getattr(fast, name).tobytes() == getattr(plain, name).tobytes(), name


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_trapezoid_increments_are_those_of_the_signs_formula(seed):
    # a finite series' "keep the trapezoid" test from its zeros: the bits of the
    # documented formula with the signs (NaN and inf: the signs themselves)
    from app.diagnostics.cycles import trapezoid_increments

    rng = np.random.default_rng(seed)
    n = 2000
    y = np.repeat(rng.uniform(-20, 20, n // 3 + 1), 3)[:n]
    y[rng.random(n) < 0.2] = 0.0
    y[rng.random(n) < 0.05] = -0.0
    y[rng.random(n) < 0.02] = 5e-324
    if seed == 2:
        y[rng.random(n) < 0.01] = np.nan
    if seed == 3:
        y[rng.random(n) < 0.01] = np.inf
    dt = rng.uniform(0.1, 3.0, n - 1)
    s0, s1 = np.sign(y[:-1]), np.sign(y[1:])
    expected = np.zeros(n)
    expected[:-1] = np.where((s0 == s1) | (s0 * s1 < 0), 0.5 * (y[:-1] + y[1:]) * dt, y[:-1] * dt)
    expected /= 3600.0
    assert trapezoid_increments(dt, y, 3600.0).tobytes() == expected.tobytes()


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_the_soc_filters_interval_currents_are_the_charge_counts(seed):
    # the SOC filter's current over each interval (array and per-sample paths) is the
    # one trapezoid_increments integrates: the documented formula's, to the bit
    from app.diagnostics.cycles import held_value, held_values

    rng = np.random.default_rng(seed)
    n = 600
    y = np.repeat(rng.uniform(-20, 20, n // 3 + 1), 3)[:n]
    y[rng.random(n) < 0.2] = 0.0
    y[rng.random(n) < 0.05] = -0.0
    if seed == 2:
        y[rng.random(n) < 0.02] = np.nan
    if seed == 3:
        y[rng.random(n) < 0.02] = np.inf
    s0, s1 = np.sign(y[:-1]), np.sign(y[1:])
    expected = np.where((s0 == s1) | (s0 * s1 < 0), 0.5 * (y[:-1] + y[1:]), y[:-1])
    assert held_values(y).tobytes() == expected.tobytes()
    one = np.array([held_value(a, b) for a, b in zip(y[:-1].tolist(), y[1:].tolist(), strict=True)])
    assert one.tobytes() == expected.tobytes()
