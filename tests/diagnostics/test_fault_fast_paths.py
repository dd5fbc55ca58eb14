"""The fault detectors' shortcuts give the very numbers of the plain computation:
rows that are the same for every cell summed once, histories read in pieces, the
over-voltage mean skipped where it cannot pass, the step-robust minimum row by row."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.spec import preset
from app.diagnostics.faults.bins import median_rows
from app.diagnostics.faults.common import History, RollingSum, Same, SuperBins, nonzero2
from app.hardware.simulator import NoiseSpec, simulate


def _same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("regular", [True, False])
def test_super_bins_of_same_rows_are_those_of_each_row(regular):
    rng = np.random.default_rng(3)
    plain, short = SuperBins(7, 0.0, 30.0), SuperBins(7, 0.0, 30.0)
    t = 0.0
    for call, m in enumerate((1, 40, 3, 250, 17, 61)):
        step = 5.0 if regular else rng.uniform(1.0, 9.0, m)
        t0 = t + np.cumsum(np.broadcast_to(step, (m,))) - step
        t = float(t0[-1] + (5.0 if regular else 3.0))
        row = rng.normal(3.7, 0.01, m)
        other = rng.normal(0, 1, (3, m))
        # a call whose rows differ (a NaN reading): the rows' pending bins then differ
        same = Same(row, 4) if call != 3 else np.vstack([row, row, row + 1e-3, row])
        want = plain.push(
            t0,
            t0,
            np.vstack([np.broadcast_to(row, (4, m)), other])
            if call != 3
            else np.vstack([same, other]),
        )
        got = short.push(t0, t0, (same, other))
        assert all(_same_bits(a, b) for a, b in zip(got, want, strict=True))
    assert all(_same_bits(a, b) for a, b in zip(short.flush(), plain.flush(), strict=True))


def test_running_sums_of_same_rows_are_those_of_each_row():
    rng = np.random.default_rng(4)
    plain, short = RollingSum(5, 6), RollingSum(5, 6)
    for call, m in enumerate((3, 100, 1, 57)):
        row = rng.uniform(0, 5, m).round()
        x = rng.normal(0, 1, (2, m))
        rows = np.broadcast_to(row, (3, m)).copy()
        if call == 2:
            rows[1] += 1.0  # rows that differ: the tails then differ too
        want = plain.push(np.vstack([rows, x]))
        got = short.push((Same(row, 3) if call != 2 else rows, x))
        assert _same_bits(got, want)


def test_history_read_in_pieces_is_the_history():
    rng = np.random.default_rng(5)
    plain, lazy = History(5, 7, 0.0), History(5, 7, 0.0)
    for m in (2, 300, 5, 1000, 400):
        parts = (rng.normal(0, 1, (2, m)), rng.normal(0, 1, m), rng.normal(0, 1, (2, m)) > 0)
        full = plain.push(parts)
        got = lazy.push_lazy(parts)
        cols = np.unique(rng.integers(0, full.shape[1], 50))
        assert _same_bits(got.columns(cols), full[:, cols])
        r = rng.integers(0, 5, (20, 1))
        c = rng.integers(0, full.shape[1], (20, 4))
        assert _same_bits(got.take(r, c), full[r, c])
        # rows of one part (2-D, 1-D, boolean) at the batch's columns, as the detectors
        # read them: taken from that part at once
        new = np.arange(7, full.shape[1])
        for rows in ((0, 1), (1,), (2,), (3, 4), (4,)):
            r = rng.choice(rows, (12, 1))
            c = rng.choice(new, (12, 3))
            for rr, cc in ((r, c), (r[:, 0], c[:, 0]), (r, c[:1]), (rows[0], c[0])):
                assert _same_bits(got.take(rr, cc), full[rr, cc])
    assert _same_bits(lazy._tail, plain._tail)


@pytest.mark.parametrize("shape", [(16, 6553), (3, 1), (1, 7), (0, 5), (4, 0)])
def test_nonzero_from_flat_indices_is_numpys(shape):
    rng = np.random.default_rng(11)
    for density in (0.0, 0.001, 0.5, 1.0):
        a = rng.random(shape) < density
        for x in (a, a[:, ::-1], a.T.copy().T, a.astype(np.int64)):
            got, want = nonzero2(x), np.nonzero(x)
            assert len(got) == 2
            assert all(_same_bits(g, w) for g, w in zip(got, want, strict=True))


@pytest.mark.parametrize("rows", [9, 16])
def test_median_rows_is_numpys_nanmedian(rows):
    rng = np.random.default_rng(6)
    x = rng.normal(0, 1, (rows, 300))
    # every row finite (the usual batch), ties and signed zeros included: numpy's
    # median (a partition) may give 0.0 where the middle values sort as -0.0, so the
    # bits are those of the middle of each column sorted on its own
    x[:, :10] = np.round(x[:, :10])
    x[:3, 10:20] = -0.0
    got = median_rows(x)
    assert np.array_equal(got, np.median(x, axis=0))
    srt, h = np.sort(x, axis=0), rows // 2
    assert _same_bits(got, srt[h] if rows % 2 else (srt[h - 1] + srt[h]) / 2.0)
    # one bin (a live batch): its transposed column is already a C-ordered row, which
    # must be sorted in a copy, not in the caller's array
    one = np.array(x[:, 7:8])
    assert _same_bits(median_rows(one), srt[h : h + 1, 7] if rows % 2 else got[7:8])
    assert _same_bits(one, x[:, 7:8])
    x = rng.normal(0, 1, (rows, 300))
    x[rng.random(x.shape) < 0.2] = np.nan
    x[:, 0] = np.nan
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        want = np.nanmedian(x, axis=0)
    assert _same_bits(median_rows(x), want)


def _pack(profile: str, faults=()):
    spec = preset("nmc", capacity_ah=5.0, series_cells=4)
    block = simulate(
        spec,
        profile=profile,
        duration_s=20_000,
        dt_s=1.0,
        seed=8,
        noise=NoiseSpec.typical(spec),
        faults=faults,
    )
    return block.to_frame(), spec


@pytest.mark.parametrize("square", [False, True])
@pytest.mark.parametrize("rows", [1, 6, 37])
def test_strided_sums_converted_a_few_rows_at_a_time_are_the_sums_converted(square, rows):
    from app.diagnostics.faults.common import strided_sums

    x = np.random.default_rng(9).normal(3.7, 0.01, (rows, 5 * 300 + 3)).astype(np.float32)
    want = strided_sums(x, 5, 300, square=square).astype(np.float64)
    assert _same_bits(strided_sums(x, 5, 300, square=square, dtype=np.float64), want)


def _batches(df, spec):
    """The bin batches the detector's stage makes of a log, and its layout."""
    from app.diagnostics.faults import detector

    det, out = detector.FaultDetector(spec), []
    det._bins = out.append
    block = {c: df[c].to_numpy(dtype=np.float64) for c in df.columns}
    from app.core.samples import SampleBlock

    det.update(SampleBlock(block))
    det.flush()
    return out, det


def _recording(seen: list, method):
    def record(self, *args):
        seen.append(method(self, *args))
        return seen[-1]

    return record


def test_short_test_with_shared_cell_rows_is_the_test_on_every_row(monkeypatch):
    from app.diagnostics.faults import short
    from app.hardware.simulator.faults import Fault

    df, spec = _pack("drive", [Fault("internal_short", 3_000, cell=2)])
    batches, det = _batches(df, spec)
    heat, leak = short.ShortDetector._heat_stat, short.ShortDetector._leak_stat
    stats = {True: [], False: []}
    for shared in (True, False):
        if not shared:  # the plain computation: every cell's rows summed on their own
            monkeypatch.setattr(short, "_same_rows", lambda *a: False)
        monkeypatch.setattr(short.ShortDetector, "_heat_stat", _recording(stats[shared], heat))
        monkeypatch.setattr(short.ShortDetector, "_leak_stat", _recording(stats[shared], leak))
        d = short.ShortDetector(spec, det.layout, det._stage.bin_s, det._stage.anchor)
        for bb in batches:
            d.process(bb)
        d.finish()
        assert any(e.kind == "internal_short" for e in d.tracker.episodes)
    assert len(stats[True]) == len(stats[False]) > 0
    for got, want in zip(stats[True], stats[False], strict=True):
        assert all(_same_bits(a, b) for a, b in zip(got, want, strict=True))


def _plain_bin_terms(self, current, vmed, dev):
    """CellResistance.bin_terms as first written: the trend of every pair gathered,
    then taken off the steps of a copy."""
    nv, m = self.nv, len(current)
    full = np.empty((nv + 2, m + 1))
    full[:, 0] = self._prev
    full[0, 1:], full[1, 1:], full[2:, 1:] = current, vmed, dev
    self._prev = full[:, -1].copy()
    d = full[:, 1:] - full[:, :-1]
    ok = np.isfinite(d.sum(axis=0))
    if not ok.all():
        d[:, ~ok] = 0.0
    with np.errstate(invalid="ignore"):
        inside = (vmed + dev.min(axis=0) >= self.v_lo) & (vmed + dev.max(axis=0) <= self.v_hi)
    both = inside & np.concatenate(([self._prev_in], inside[:-1]))
    self._prev_in = bool(inside[-1]) if m else self._prev_in
    step = both & (np.abs(d[0]) >= self.min_step_a)
    di = np.where(step, d[0], 0.0)
    quiet = ok & (np.abs(d[0]) < self.min_step_a)
    last = np.maximum.accumulate(np.where(quiet, np.arange(m), -1)) if m else np.zeros(0, int)
    prior = np.concatenate(([-1], last[:-1])) if m else last
    y = d[1:].copy()
    if step.any():
        trend = np.where(prior >= 0, d[1:, np.maximum(prior, 0)], self._trend[:, None])
        y[:, step] -= trend[:, step]
    if m and last[-1] >= 0:
        self._trend = d[1:, last[-1]].copy()
    out = np.empty((self.rows, m))
    out[0], out[1] = ok, step
    np.multiply(di, di, out=out[2])
    np.multiply(di, y[0], out=out[3])
    out[4] = np.einsum("ij,ij->j", y[1:], y[1:])
    np.multiply(di, y[1:], out=out[5:])
    return out


def test_cell_resistance_terms_in_place_are_those_of_a_copy():
    from app.diagnostics.faults.cell_resistance import CellResistance

    rng = np.random.default_rng(10)
    new, plain = CellResistance(4, 5.0, (3.0, 4.2)), CellResistance(4, 5.0, (3.0, 4.2))
    for m in (1, 7, 300, 2, 1000):
        current = rng.choice([0.0, 5.0, -2.5, 0.1], m) + rng.normal(0, 0.01, m)
        vmed = rng.normal(3.7, 0.01, m)
        dev = rng.normal(0, 0.002, (4, m))
        if m == 300:
            current[10:13] = np.nan
            vmed[40] = 4.5  # beyond the OCV range
        got = new.bin_terms(current, vmed, dev)
        want = _plain_bin_terms(plain, current, vmed, dev)
        assert _same_bits(got, want)
        assert _same_bits(new._trend, plain._trend) and new._prev_in == plain._prev_in


@pytest.mark.parametrize("cells", [0, 4, 16])
def test_sample_stage_by_blocks_of_rows_is_the_stage_on_all_rows(cells, monkeypatch):
    """The per-sample work run a few rows at a time gives the bins of the work run on
    all rows at once (the plain computation), NaN, inf and impossible values included."""
    from app.diagnostics.faults import bins
    from app.diagnostics.faults.limits import out_of_range_bounds

    rng = np.random.default_rng(11)
    spec = preset("nmc", capacity_ah=5.0, series_cells=max(cells, 1))
    n = 50_000
    cols = _pack_with_bad_values(rng, np.cumsum(rng.choice([1.0, 1.0, 1.0, 0.5, 7.0], n)), cells)
    from app.core.samples import SampleBlock

    block = SampleBlock(cols)
    layout = bins.Layout.from_columns(block.columns)
    lo, hi = out_of_range_bounds(spec, layout)

    def run(row_block):
        monkeypatch.setattr(bins, "_ROW_BLOCK", row_block)
        return _staged(bins.SampleStage(layout, lo, hi), block, n, 20_000)

    fields = [f for f in bins.BinBatch.__dataclass_fields__ if not f.startswith("_")]
    got, want = run(4), run(10_000)  # (10,000 rows: one block, every row at once)
    assert len(got) == len(want) > 1
    for g, w in zip(got, want, strict=True):
        for f in fields:
            assert _same_bits(getattr(g, f), getattr(w, f)), f


@pytest.mark.parametrize(("cells", "dt"), [(0, 1.0), (4, 0.1), (16, 1.0), (3, 5.0 / 3.0)])
def test_sample_stage_by_phases_is_the_stage_in_time_order(cells, dt, monkeypatch):
    """Regular chunks laid out by phase (k samples a bin: 5, 50, 3) give the bins of the
    stage in time order, bit for bit: NaN, inf, impossible values and a time gap
    included, the samples fed in pieces that split bins."""
    from app.core.samples import SampleBlock
    from app.diagnostics.faults import bins
    from app.diagnostics.faults.limits import out_of_range_bounds

    rng = np.random.default_rng(5)
    spec = preset("nmc", capacity_ah=5.0, series_cells=max(cells, 1))
    n = 90_000
    t = np.arange(n) * dt
    t[60_000:] += 100.0  # a time gap: an irregular chunk
    cols = _pack_with_bad_values(rng, t, cells)
    block = SampleBlock(cols)
    layout = bins.Layout.from_columns(block.columns)
    lo, hi = out_of_range_bounds(spec, layout)
    by_phase = []
    rows_by_phase = bins.SampleStage._rows_by_phase

    def counted(self, *args):
        by_phase.append(1)
        return rows_by_phase(self, *args)

    monkeypatch.setattr(bins.SampleStage, "_rows_by_phase", counted)

    def run(min_k):
        monkeypatch.setattr(bins, "_PHASE_MIN_K", min_k)
        return _staged(bins.SampleStage(layout, lo, hi), block, n, 20_001)

    fields = [f for f in bins.BinBatch.__dataclass_fields__ if not f.startswith("_")]
    got = run(3)
    assert by_phase  # (the phase layout was taken)
    calls = len(by_phase)
    want = run(10**9)  # (never: every chunk in time order)
    assert len(by_phase) == calls
    assert len(got) == len(want) > 1
    for g, w in zip(got, want, strict=True):
        for f in fields:
            assert _same_bits(getattr(g, f), getattr(w, f)), f


@pytest.mark.parametrize("cells", [0, 16])
def test_rows_to_redo_skipped_only_where_no_sum_can_overflow(cells, monkeypatch):
    """A chunk whose values are within the bound is taken to have only finite sums
    (no row redone over its finite values): the bins are those of the stage that
    looks for non-finite sums in every chunk, huge values near and beyond the
    bound, whose differences' squares overflow float32, included."""
    from app.core.samples import SampleBlock
    from app.diagnostics.faults import bins
    from app.diagnostics.faults.limits import out_of_range_bounds

    rng = np.random.default_rng(8)
    spec = preset("nmc", capacity_ah=5.0, series_cells=max(cells, 1))
    n = 200_000
    cols = {"time_s": np.arange(n, dtype=float)}
    cols["voltage_v"] = rng.normal(3.7 * max(cells, 1), 0.01, n)
    cols["current_a"] = rng.normal(0.0, 1.0, n)
    cols["temperature_c"] = rng.normal(25, 0.3, n)
    for k in range(1, cells + 1):
        cols[f"cell_{k}_v"] = rng.normal(3.7, 0.002, n)
        cols[f"cell_{k}_temp_c"] = rng.normal(25, 0.3, n)
    names = list(cols)[1:]
    bound = bins._SUMS_FINITE_WITHIN
    for j, value in enumerate([0.99 * bound, -0.99 * bound, 1e19, -3e30, 3e38, 1e39, np.nan]):
        at = 20_000 + 25_000 * j  # (each in a chunk of its own)
        for name in names[j % len(names) :: 3]:
            cols[name][at : at + 7] = value * rng.choice([1.0, -1.0], 7)
    block = SampleBlock(cols)
    layout = bins.Layout.from_columns(block.columns)
    lo, hi = out_of_range_bounds(spec, layout)

    def run(bound):
        monkeypatch.setattr(bins, "_SUMS_FINITE_WITHIN", bound)
        return _staged(bins.SampleStage(layout, lo, hi), block, n, 30_000)

    fields = [f for f in bins.BinBatch.__dataclass_fields__ if not f.startswith("_")]
    got, want = run(bound), run(-1.0)  # (-1: never within, every chunk looked at)
    assert any(bb.cnt.strides[0] != 0 for bb in want)  # (rows redone: those chunks)
    assert len(got) == len(want) > 1
    for g, w in zip(got, want, strict=True):
        for f in fields:
            assert _same_bits(getattr(g, f), getattr(w, f)), f


def _pack_with_bad_values(rng, t: np.ndarray, cells: int) -> dict:
    """Noisy pack columns at times ``t`` with scattered NaNs, an infinite current run
    (rows 3000-3009) and one absurd pack voltage (row 40000): every path of the bin stage."""
    n = len(t)
    cols = {"time_s": t}
    cols["voltage_v"] = rng.normal(3.7 * max(cells, 1), 0.01, n)
    cols["current_a"] = rng.choice([0.0, 5.0, -10.0], n) + rng.normal(0, 0.01, n)
    cols["temperature_c"] = rng.normal(25, 0.3, n)
    for k in range(1, cells + 1):
        cols[f"cell_{k}_v"] = rng.normal(3.7, 0.002, n)
        cols[f"cell_{k}_temp_c"] = rng.normal(25, 0.3, n)
    for name in list(cols)[1:]:
        cols[name][rng.integers(0, n, 20)] = np.nan
    cols["current_a"][3_000:3_010] = np.inf
    cols["voltage_v"][40_000] = 1e6
    return cols


def _staged(stage, block, n: int, chunk: int) -> list:
    """The bin batches ``stage`` gives of ``block``'s ``n`` rows pushed ``chunk`` rows at
    a time (no rows redone), and flushed."""
    out = []
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        out += stage.push(block, a, b, np.full(b - a, np.nan))
    return out + stage.flush()


class _PlainResolution:
    """faults.resolution.Resolution.push as it was written first: running or / min over
    the whole batch, every row's least sums re-sorted (the reference for the shortcuts)."""

    def __init__(self, rows):
        from app.diagnostics.faults.resolution import CONFIRM_BINS

        self._least = np.full((rows, CONFIRM_BINS), np.inf)
        self._tol = np.full(rows, 1e-2)  # (CONFIRM_TOL)
        self._held = np.zeros((rows, 1), dtype=bool)
        self._mag = np.empty((rows, 0))

    def push(self, sdd, nd, s2, n2, mean, changes=None):
        from app.diagnostics.faults.resolution import (
            CONFIRM_BINS,
            FLOAT_UNITS,
            REACH,
            Resolution,
            confirm_tol,
        )

        held = (sdd == 0) & (nd > 0)
        held = np.logical_or.accumulate(np.concatenate((self._held, held), axis=1), axis=1)
        self._held = held[:, -1:].copy()
        m = sdd.shape[1]
        with np.errstate(invalid="ignore"):
            # |samples| <= |mean| + sqrt(nd sdd) over a bin and the REACH bins before
            # (NaN bins before: none; a NaN or inf of the bin's own: no sum passes)
            mag = np.concatenate((self._mag, np.abs(mean) + np.sqrt(nd * sdd)), axis=1)
            self._mag = mag
            own = mag[:, -m:] if m else mag[:, :0]
            reach = np.full(own.shape, np.nan)
            for k in range(1, REACH + 1):
                for j in range(m):
                    i = mag.shape[1] - m + j - k
                    if i >= 0:
                        reach[:, j] = np.fmax(reach[:, j], mag[:, i])
            unit = own + np.fmax(reach - own, 0.0)
            unit = FLOAT_UNITS * np.finfo(np.float32).eps * unit
            floor = np.where(np.isfinite(unit), n2 * unit * unit, np.inf)
            # (per change where the changes are given: q² of a reading quantised by q)
            nc = nd if changes is None else changes
            per = sdd if changes is None else sdd / np.fmax(changes, 1.0)
            x = np.fmin(np.where(sdd > 0, per, np.inf), np.where(s2 > floor, s2, np.inf))
        x = np.where(np.isnan(x), np.inf, x)
        least = self._least
        before = least[:, :1]
        bound = np.fmin.accumulate(np.concatenate((before, x), axis=1), axis=1)[:, 1:]
        thr = before * (1.0 + self._tol[:, None])
        near = x <= thr
        base = (least <= thr).sum(axis=1)
        known = np.zeros(x.shape, dtype=bool)
        for r in range(len(x)):
            if (x[r] < before[r]).any():
                tx = confirm_tol(np.asarray(nc, dtype=float)[r])
                known[r], self._tol[r] = Resolution._known_row(
                    least[r], x[r], bound[r], self._tol[r], tx
                )
            else:
                known[r] = base[r] + np.cumsum(near[r]) >= CONFIRM_BINS
        q2 = np.where((known | held[:, 1:]) & np.isfinite(bound), bound, 0.0)
        merged = np.sort(np.concatenate((least, x), axis=1), axis=1)
        self._least = merged[:, :CONFIRM_BINS].copy()
        return bound, q2


def test_resolution_push_is_the_plain_running_minimum():
    """Resolution.push's shortcuts (the running minimum only in rows with a new least
    sum, the held flag from each row's first held bin, the least sums merged only from
    the sums under the last one) give the plain computation's bits: empty and one-bin
    batches, NaN and inf sums and means, held bins, counts of 0, shared count rows."""
    from app.diagnostics.faults.resolution import Resolution

    rng = np.random.default_rng(11)
    rows = 6
    fast, plain = Resolution(rows), _PlainResolution(rows)
    for m in (0, 1, 2, 40, 0, 1, 300, 3, 1000, 7):
        q = rng.choice([0.0, 1e-3, 0.1], size=(rows, 1))
        sdd = np.round(rng.normal(0, 1, (rows, m)) ** 2 * 50) * np.maximum(q, 1e-6) ** 2
        s2 = sdd * rng.uniform(0.5, 3, (rows, m))
        mean = rng.normal(3.7, 0.1, (rows, m))
        n = rng.integers(0, 6, m).astype(float)
        nd = np.broadcast_to(n, (rows, m))  # (a shared row, as the stage passes it)
        n2 = np.where(rng.random((rows, m)) < 0.1, 0.0, nd)
        for a, p in ((sdd, 0.03), (s2, 0.03), (mean, 0.02)):
            a[rng.random(a.shape) < p] = np.nan
        mean[rng.random(mean.shape) < 0.02] = np.inf
        s2[rng.random(s2.shape) < 0.02] = np.inf
        got = fast.push(sdd, nd, s2, n2, mean)
        want = plain.push(sdd, nd, s2, n2, mean)
        for g, w in zip(got, want, strict=True):
            assert _same_bits(g, w)
        assert _same_bits(fast._least, plain._least)
        assert _same_bits(fast._held, plain._held)


def test_resolution_push_with_change_counts_is_the_plain_running_minimum():
    """With each bin's change counts given (the bin stage's), the sums per change and
    the running minimum (worked out in place; in every row at once where every row
    finds a new least sum, as in a log's first batch) give the plain computation's
    bits: counts of 0, NaN and inf sums, rows that fall and rows that do not."""
    from app.diagnostics.faults.resolution import Resolution

    rng = np.random.default_rng(13)
    rows = 5
    fast, plain = Resolution(rows), _PlainResolution(rows)
    every_fell = some_fell = 0
    for m in (300, 1, 40, 500, 2, 800, 0, 60):
        q = rng.choice([0.0, 1e-3, 0.01], size=(rows, 1))
        sdd = np.round(rng.chisquare(4, (rows, m)) * 40) * np.maximum(q, 1e-6) ** 2
        s2 = sdd * rng.uniform(0.5, 3, (rows, m))
        mean = rng.normal(3.7, 0.1, (rows, m))
        nd = np.broadcast_to(np.full(m, 5.0), (rows, m))
        changes = rng.integers(0, 6, (rows, m)).astype(float)
        for a, p in ((sdd, 0.02), (s2, 0.02), (changes, 0.01)):
            a[rng.random(a.shape) < p] = np.nan
        s2[rng.random(s2.shape) < 0.02] = np.inf
        before = fast._least[:, :1].copy()
        got = fast.push(sdd, nd, s2, nd, mean, changes)
        want = plain.push(sdd, nd, s2, nd, mean, changes)
        for g, w in zip(got, want, strict=True):
            assert _same_bits(g, w)
        assert _same_bits(fast._least, plain._least)
        fell = (got[0][:, -1:] < before).sum() if m else 0
        every_fell += fell == rows
        some_fell += 0 < fell < rows
    assert every_fell and some_fell  # (both paths taken)


def test_resolution_quiet_rows_are_the_plain_running_minimum():
    """Rows whose sums all stay over their least ones' limit (a reading with noise, once
    its least sums are known) skip the bin by bin work: the plain computation's bits all
    the same, among rows that find a new least sum, hold a bin, read NaN or are coarse."""
    from app.diagnostics.faults.resolution import Resolution

    rng = np.random.default_rng(12)
    rows = 8
    fast, plain = Resolution(rows), _PlainResolution(rows)
    quiet_seen = 0
    for call, m in enumerate((500, 300, 1, 2, 400, 250, 3, 600, 0, 350)):
        sdd = rng.chisquare(4, (rows, m)) * 1e-6
        s2 = rng.chisquare(5, (rows, m)) * 1e-6
        mean = rng.normal(3.7, 0.01, (rows, m))
        nd = np.broadcast_to(np.full(m, 5.0), (rows, m))
        n2 = nd
        if m >= 2 and call in (4, 7):
            sdd[1, m // 2] *= 1e-3  # a new least sum in a row that had gone quiet
            s2[2, m // 3] *= 1e-4
        if m >= 3 and call == 5:
            sdd[3, 1] = 0.0  # a bin held
            mean[4, 2], s2[5, 0] = np.nan, np.nan
        sdd[6] = np.round(sdd[6] * 1e6) * 1e-6  # coarse: its least sums recur
        lim = np.maximum(fast._least[:, -1], fast._least[:, 0] * 1.01)
        if m:
            quiet_seen += int(((sdd.min(axis=1) > lim) & (s2.min(axis=1) >= lim)).sum())
        got = fast.push(sdd, nd, s2, n2, mean)
        want = plain.push(sdd, nd, s2, n2, mean)
        for g, w in zip(got, want, strict=True):
            assert _same_bits(g, w)
        assert _same_bits(fast._least, plain._least)
        assert _same_bits(fast._held, plain._held)
    assert quiet_seen > 20  # (the quiet path taken)


@pytest.mark.parametrize("rows", [2, 3, 4, 16])
def test_medians_from_one_sort_are_those_of_their_own(rows):
    """A batch's median and medians of the others of the same rows read one sort: the
    same bits as each sorting on its own (finite rows, NaN, ties)."""
    from app.diagnostics.faults.bins import median_of_others, sorted_bins

    rng = np.random.default_rng(rows)
    x = rng.normal(3.7, 0.01, (rows, 300)).round(3)  # (ties)
    y = x.copy()
    y[rng.random(y.shape) < 0.1] = np.nan
    for a in (x, y):
        srt = sorted_bins(a)
        assert _same_bits(median_rows(a, srt), median_rows(a))
        assert _same_bits(median_of_others(a, srt), median_of_others(a))


def _plain_super_bin_sums(t0: np.ndarray, x: np.ndarray, span_s: float):
    """Every complete super-bin's sums of all the bins at once: each added bin after
    bin from its first, as one plain running sum."""
    g = np.floor(t0 / span_s).astype(np.int64)
    done = g < g[-1]
    out = []
    for label in np.unique(g[done]):
        cols = np.flatnonzero(g == label)
        s = x[:, cols[0]].copy()
        for c in cols[1:]:
            s += x[:, c]
        out.append(s)
    return np.array(out).T


@pytest.mark.parametrize("sizes", [(1, 40, 3, 250, 17, 61), (6, 12, 5, 1, 600), (4, 2, 6, 9)])
def test_super_bins_summed_where_they_are_are_the_plain_sums(sizes):
    """SuperBins sums the new bins of even super-bins where they lie (no copy behind
    the pending ones): the same adds, in the same order, as one running sum over all
    bins -- pending bins of 0 to a whole super-bin (6 bins of 5 s) included."""
    rng = np.random.default_rng(len(sizes))
    sb = SuperBins(5, 0.0, 30.0)
    t, ts, xs, got = 0.0, [], [], []
    for m in sizes:
        t0 = t + 5.0 * np.arange(m)
        t = float(t0[-1] + 5.0)
        x = rng.normal(0, 1, (5, m)) * 10.0 ** rng.integers(-3, 4, (5, 1))
        ts.append(t0)
        xs.append(x)
        _, _, sums, _ = sb.push(t0, t0, (Same(x[0], 1), x[1:3], x[3], x[4:]))
        got.append(sums)
    want = _plain_super_bin_sums(np.concatenate(ts), np.concatenate(xs, axis=1), 30.0)
    assert _same_bits(np.concatenate(got, axis=1), want)


@pytest.mark.parametrize("rows", [2, 3, 4, 5, 15, 16])
def test_median_of_others_of_finite_rows_is_numpys(rows):
    """median_of_others of an all-finite batch (one sort along the rows) is numpy's
    median of the other rows, and the runaway test's short-heat version, to the bit
    (ties included): the two families read one array of the batch."""
    from app.diagnostics.faults import short_heat
    from app.diagnostics.faults.bins import median_of_others

    rng = np.random.default_rng(rows)
    x = rng.normal(3.7, 0.01, (rows, 500)).round(3)  # (rounded: many ties)
    got = median_of_others(x)
    want = np.array([np.median(np.delete(x, j, axis=0), axis=0) for j in range(rows)])
    assert _same_bits(got, want)
    assert _same_bits(got, short_heat.median_of_others(x))
    # a NaN reading: the general path, bin by bin the same as where all are finite
    y = x.copy()
    y[1, 7] = np.nan
    assert _same_bits(np.delete(median_of_others(y), 7, axis=1), np.delete(got, 7, axis=1))


def test_runaway_and_short_tests_share_one_temperature_reference(monkeypatch):
    """The runaway and short tests read one temperature reference (fed each batch
    once): the faults are those of a reference of their own each, a noisy cell
    temperature (the reference's loud path) included."""
    from app.diagnostics.faults import reference, short, thermal
    from app.diagnostics.faults.detector import FaultDetector
    from app.diagnostics.incremental import as_block
    from app.hardware.simulator.faults import Fault

    df, spec = _pack(
        "drive",
        [
            Fault("internal_short", 3_000, cell=2),
            Fault("sensor_noisy", 2_000, channel="cell_3_temp_c"),
        ],
    )
    det = FaultDetector(spec)
    det.update(as_block(df))
    det.flush()
    fams = {type(f): f for f in det._families}
    assert fams[thermal.RunawayDetector]._reference is fams[short.ShortDetector]._reference
    own = reference.TemperatureReference
    monkeypatch.setattr(thermal, "shared_reference", lambda rows, bin_s, pool: own(rows, bin_s))
    monkeypatch.setattr(short, "shared_reference", lambda rows, bin_s, pool: own(rows, bin_s))
    plain = FaultDetector(spec)
    plain.update(as_block(df))
    plain.flush()
    fams = {type(f): f for f in plain._families}
    assert fams[thermal.RunawayDetector]._reference is not fams[short.ShortDetector]._reference
    assert det.result().to_list() == plain.result().to_list()
    assert any(f["kind"] == "internal_short" for f in det.result().to_list())


def _pack_run_moved_plain(det, run, sums, q2, bb):
    """The pack voltage's run test with every run in the per-run loop (the code before
    runs of one bin were read all at once)."""
    from app.diagnostics.faults.common import C2_MIN, white_noise_var
    from app.diagnostics.faults.sensors import (
        STUCK_CELL_RESOLUTION_V,
        STUCK_PACK_MOVE_V,
        STUCK_PACK_NOISE_SIGMAS,
        STUCK_PACK_QUANTA,
    )

    m = len(run)
    out = np.zeros(m, dtype=bool)
    in_run = run > 0
    if not in_run.any():
        det._vrun_lo = det._vrun_hi = np.nan
        det._vrun_var = det._vrun_n = 0.0
        return out
    first = np.arange(m) - run.astype(np.int64) + 1
    ends = np.flatnonzero(~in_run)
    lo_end = hi_end = np.nan
    var_end = n_end = 0.0
    c, n_cells = det.layout.n_rows, len(det.layout.cells_v)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = white_noise_var(n_cells**2 * bb.s2m[c], bb.n2[c], C2_MIN, bb.n)
        var = np.maximum(var, n_cells * STUCK_CELL_RESOLUTION_V**2 / 12.0)
    finite = np.isfinite(var)
    var = np.where(finite, var, 0.0)
    for a in np.unique(first[in_run]):
        a0 = max(int(a), 0)
        after = ends[ends > a0]
        b = int(after[0]) if len(after) else m
        lo = np.fmin.accumulate(sums[a0:b])
        hi = np.fmax.accumulate(sums[a0:b])
        var0, n0, q2_run = 0.0, 0.0, q2[a0]
        if a < 0:
            lo, hi = np.fmin(lo, det._vrun_lo), np.fmax(hi, det._vrun_hi)
            var0, n0, q2_run = det._vrun_var, det._vrun_n, det._vrun_q2
        vs = np.add.accumulate(np.concatenate(([var0], var[a0:b])))[1:]
        ns = np.add.accumulate(np.concatenate(([n0], finite[a0:b].astype(float))))[1:]
        with np.errstate(invalid="ignore", divide="ignore"):
            sigma = np.sqrt(vs / ns)
            move = STUCK_PACK_QUANTA * np.sqrt(q2_run) + STUCK_PACK_NOISE_SIGMAS * sigma
            out[a0:b] = hi - lo >= np.fmin(move, STUCK_PACK_MOVE_V)
        if b == m:
            lo_end, hi_end, var_end, n_end = lo[-1], hi[-1], vs[-1], ns[-1]
            det._vrun_q2 = q2_run
    det._vrun_lo, det._vrun_hi = lo_end, hi_end
    det._vrun_var, det._vrun_n = var_end, n_end
    return out


def test_pack_run_test_reads_runs_of_one_bin_as_the_loop_does():
    """Runs of one bin (a reading that changes every other bin) read all at once give
    the per-run loop's flags and carried state, bit for bit, across batches; runs
    begun in an earlier batch, longer runs, runs restarting at once, runs at a
    batch's end, NaN sums and a noise of 0 included."""
    from types import SimpleNamespace

    from app.diagnostics.faults.sensors import SensorDetector

    rng = np.random.default_rng(11)
    layout = SimpleNamespace(n_rows=4, cells_v=[0, 1, 2, 3])

    def state(d):
        return [d._vrun_lo, d._vrun_hi, d._vrun_var, d._vrun_n, d._vrun_q2]

    for trial in range(40):
        fast = SimpleNamespace(layout=layout)
        plain = SimpleNamespace(layout=layout)
        for d in (fast, plain):
            d._vrun_lo = d._vrun_hi = np.nan
            d._vrun_var = d._vrun_n = d._vrun_q2 = 0.0
        carry = 0
        for _batch in range(4):
            m = int(rng.integers(1, 60))
            held = rng.random(m) < (0.3, 0.5, 0.8)[trial % 3]
            run = np.zeros(m)
            for j in range(m):
                # (now and then a run that starts over at once)
                restart = rng.random() < 0.1
                carry = (1 if restart else carry + 1) if held[j] else 0
                run[j] = carry
            sums = rng.normal(14.8, 0.002, m)
            sums[rng.random(m) < 0.05] = np.nan
            q2 = rng.uniform(0.0, 1e-5, m) * (rng.random(m) < 0.8)
            s2m = np.abs(rng.normal(0, 1e-6, (6, m)))
            s2m[4, rng.random(m) < 0.1] = 0.0
            n2 = rng.integers(0, 30, (6, m)).astype(float)
            bb = SimpleNamespace(s2m=s2m, n2=n2, n=rng.integers(1, 30, m).astype(float))
            got = SensorDetector._pack_run_moved(fast, run, sums, q2, bb)
            want = _pack_run_moved_plain(plain, run, sums, q2, bb)
            assert _same_bits(got, want)
            assert _same_bits(np.array(state(fast)), np.array(state(plain)))


@pytest.mark.parametrize("k", [1, 2, 5, 10])
def test_bin_extremes_of_regular_bins_are_those_of_reduceat(k):
    """A regular batch's sample range and least change per bin (bins of ``k`` samples
    read as ``k`` strided slices) are those of ``reduceat`` over the bins, NaN
    samples, all-NaN bins and unchanged readings included."""
    from app.diagnostics.faults.bins import BinBatch

    rng = np.random.default_rng(k)
    m = 300
    y = rng.normal(48.0, 0.01, (2, k * m)).round(3).astype(np.float32)
    y[0, rng.choice(k * m, 40, replace=False)] = np.nan
    y[0, 7 * k : 9 * k] = np.nan  # two bins without a reading
    y[0, 20 * k : 23 * k] = 48.0  # a held reading
    starts = np.arange(m) * k
    none = np.zeros(m)
    fields = {f: none for f in BinBatch.__dataclass_fields__ if f not in ("samples", "starts")}
    fields.update(gaps=[], k=k, _medians={})
    batch = BinBatch(**fields, samples=y, starts=starts)
    with np.errstate(invalid="ignore"):
        hi = np.fmax.reduceat(y[0], starts).astype(np.float64)
        lo = np.fmin.reduceat(y[0], starts).astype(np.float64)
        d = np.abs(np.diff(y[0], append=np.nan)).astype(np.float64)
    d[starts[1:] - 1] = np.inf
    d[~(d > 0)] = np.inf
    assert _same_bits(batch.sample_range(0), hi - lo)
    assert _same_bits(batch.least_change(0), np.minimum.reduceat(d, starts))


def test_super_bins_of_same_rows_after_rows_that_differ():
    """A part given as one row for several (Same) after a call in which those rows
    differed (their pending bins differ): each row's sums, as for the rows given one
    by one (the summing in place read the one row into the first super-bin of one
    row only, and failed)."""
    plain, short = SuperBins(3, 0.0, 30.0), SuperBins(3, 0.0, 30.0)
    t0 = np.arange(0.0, 200.0, 5.0)
    rows = np.array([np.arange(8.0), np.arange(8.0) + 1.0, np.arange(8.0) * 2.0])
    for sb in (plain, short):
        sb.push(t0[:8], t0[:8], [rows])  # two bins of a super-bin left pending
    row = np.linspace(0.0, 1.0, 32)
    got = short.push(t0[8:], t0[8:], [Same(row, 3)])
    want = plain.push(t0[8:], t0[8:], [np.vstack([row, row, row])])
    assert all(_same_bits(a, b) for a, b in zip(got, want, strict=True))
    assert all(_same_bits(a, b) for a, b in zip(short.flush(), plain.flush(), strict=True))


def test_leak_test_at_rest_windows_only_is_the_test_on_every_window(monkeypatch):
    """The short test's self-discharge statistics worked out only at the super-bins
    where a cell's window is at rest and full are those of the test on every window
    (no evidence and no estimate elsewhere), on HPPC pulses and their rests."""
    from app.diagnostics.faults import short
    from app.hardware.simulator.faults import Fault

    spec = preset("nmc", capacity_ah=5.0, series_cells=4)
    df = simulate(
        spec,
        profile="hppc",
        duration_s=60_000,
        dt_s=1.0,
        seed=8,
        noise=NoiseSpec.typical(spec),
        faults=[Fault("internal_short", 3_000, cell=2)],
    ).to_frame()
    batches, det = _batches(df, spec)
    leak, columns_with = short.ShortDetector._leak_stat, short._columns_with
    stats = {True: [], False: []}
    taken = []

    def some_columns(flags):
        cols = columns_with(flags)
        taken.append((len(cols), flags.shape[1]))
        return cols

    for subset in (True, False):
        monkeypatch.setattr(
            short,
            "_columns_with",
            some_columns if subset else lambda flags: np.arange(flags.shape[1]),
        )
        monkeypatch.setattr(short.ShortDetector, "_leak_stat", _recording(stats[subset], leak))
        d = short.ShortDetector(spec, det.layout, det._stage.bin_s, det._stage.anchor)
        for bb in batches:
            d.process(bb)
        d.finish()
    # the shortcut was taken: a batch with windows at rest among others
    assert any(0 < n < m for n, m in taken)
    assert len(stats[True]) == len(stats[False]) > 0
    for got, want in zip(stats[True], stats[False], strict=True):
        got, want = [*got[:4], *got[4]], [*want[:4], *want[4]]
        assert all(_same_bits(a, b) for a, b in zip(got, want, strict=True))


@pytest.mark.parametrize("shape", [(4, 30), (1, 7), (30,)])
def test_rounding_bias_of_no_coarse_reading_is_the_formula(shape):
    """rounding_bias where no reading is known to be quantised (q2 0 or NaN) returns
    zeros without the formula: the formula's values (0 wherever q2 is not positive)."""
    from app.diagnostics.faults.resolution import rounding_bias

    rng = np.random.default_rng(len(shape))
    q2 = np.zeros(shape)
    q2.flat[::3] = np.nan
    var = rng.uniform(0.0, 1.0, shape[-1:])
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.sqrt(q2)
        pre = np.fmax(var - q2 / 12.0, 0.0)
        dither = (q / np.pi) * np.exp(-2.0 * np.pi**2 * pre / np.where(q2 > 0, q2, 1.0))
        want = np.where(q2 > 0, dither, 0.0)
    assert _same_bits(rounding_bias(q2, var), want)
    # and where one reading is: the formula itself
    q2.flat[1] = 0.01
    with np.errstate(invalid="ignore", divide="ignore"):
        want = np.where(
            q2 > 0,
            (np.sqrt(q2) / np.pi)
            * np.exp(-2.0 * np.pi**2 * np.fmax(var - q2 / 12.0, 0.0) / np.where(q2 > 0, q2, 1.0)),
            0.0,
        )
    assert _same_bits(rounding_bias(q2, var), want)


@pytest.mark.parametrize(
    ("cells", "dt", "fault"),
    [
        (16, 1.0, ("sensor_noisy", 70_000.0, {"channel": "cell_5_v"})),
        (4, 0.1, ("internal_short", 9_000.0, {"cell": 2})),
    ],
)
def test_faults_of_a_long_log_are_the_same_in_chunks_of_32768_or_65536(
    cells, dt, fault, monkeypatch
):
    """The sample stage's chunk (a batch of bins for every family) is a matter of
    speed only: a long log's faults, and what each says, with chunks of 32768 samples
    (the old size) and of 65536 (each family given half as many, larger batches)."""
    from app.diagnostics.faults import bins, detect_faults, detector
    from app.hardware.simulator import Fault

    spec = preset("nmc", capacity_ah=5.0, series_cells=cells)
    kind, onset, where = fault
    block = simulate(
        spec,
        profile="drive",
        duration_s=150_000 * dt,
        dt_s=dt,
        seed=7,
        noise=NoiseSpec.typical(spec),
        faults=[Fault(kind, onset, **where)],
    )

    def run(chunk):
        monkeypatch.setattr(bins, "CHUNK", chunk)
        monkeypatch.setattr(bins, "CHUNK_MAX", chunk + chunk // 4)
        monkeypatch.setattr(detector, "CHUNK", chunk)
        return detect_faults(block, spec).to_list()

    old, new = run(32768), run(65536)
    assert new == old
    assert any(f["kind"] == kind for f in new)  # (the families had something to find)


@pytest.mark.parametrize(("k", "m"), [(5, 2000), (50, 40), (3, 2), (0, 300)])
def test_changes_of_finite_chunks_and_counted_in_bytes_are_the_plain_counts(k, m):
    """The bin stage's per-bin change counts (the resolution's): a chunk of finite values
    compared value to value, and regular bins counted in bytes, give the counts of the
    differences taken and summed as floats -- equal and quantised values, -0.0 beside
    0.0, a change across the chunk's edge; irregular bins (k 0) and a chunk with NaN and
    inf take the plain path and agree with themselves."""
    from app.diagnostics.faults import bins

    rng = np.random.default_rng(21)
    rows = 6
    n = (k or 7) * m
    y = rng.normal(0, 1, (rows, n)).astype(np.float32)
    y[1] = np.round(y[1] * 3) / 3  # coarse: many unchanged samples
    y[2] = 0.0
    y[2, ::7] = -0.0
    y[3, : n // 2] = 4.25  # held, then moving
    starts = np.arange(m) * k if k else np.sort(rng.choice(n, m, replace=False))
    starts[0] = 0
    b = np.repeat(np.arange(m), np.diff(np.append(starts, n)))
    bsum = bins._BinSummer(b, starts, n)
    layout = bins.Layout.from_columns(["time_s", "voltage_v", "current_a"])
    stage = bins.SampleStage(layout, np.full(3, -np.inf), np.full(3, np.inf))
    stage._prev = np.resize(np.float32([0.5, y[1, 0], -0.0, 4.25]), rows)
    want = bsum(_plain_moved(stage._prev, y).astype(np.float32))
    for finite in (True, False):
        got = stage._changes(y, np.arange(rows), bsum, finite)
        assert _same_bits(got, want)
        assert _same_bits(stage._changes(y, np.array([1, 3]), bsum, finite), want[[1, 3]])
    bad = y.copy()
    bad[0, n // 2], bad[4, -2:] = np.nan, np.inf
    want = bsum(_plain_moved(stage._prev, bad).astype(np.float32))
    assert _same_bits(stage._changes(bad, np.arange(rows), bsum), want)


def _plain_moved(prev: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Non-zero finite first differences of the rows of ``y`` (``prev`` in front)."""
    with np.errstate(invalid="ignore"):
        d = np.diff(np.concatenate((prev[: len(y), None], y), axis=1), axis=1)
        return (d != 0) & np.isfinite(d)


@pytest.mark.parametrize(("rows", "m"), [(35, 13107), (3, 5000), (2, 1), (1, 500), (4, 0)])
def test_running_totals_are_the_accumulated_sums_last_column(rows, m):
    """common.running_totals (the rows summed down the transposed copy) gives the last
    column of the running sums (np.add.accumulate along each row) to the bit."""
    from app.diagnostics.faults.common import running_totals

    rng = np.random.default_rng(22)
    x = rng.chisquare(3, (rows, m)) * 10.0 ** rng.integers(-8, 3, (rows, 1))
    tot = rng.uniform(0, 1e3, rows)
    want = np.add.accumulate(np.concatenate((tot[:, None], x), axis=1), axis=1)[:, -1]
    assert _same_bits(running_totals(tot, x), want)


def test_ar1_factor_at_zero_autocorrelation_is_the_formula():
    """The short test's AR(1) variance factor, worked out only where rho is not 0, is
    the formula's everywhere (1 where rho is 0; NaN, inf, counts of 0 and broadcast
    counts included)."""
    from app.diagnostics.faults.short import _ar1_factor

    def formula(rho, k):
        with np.errstate(invalid="ignore", divide="ignore"):
            k = np.maximum(k, 1.0)
            f = (1 + rho) / (1 - rho) - 2 * rho * (1 - rho**k) / (k * (1 - rho) ** 2)
        return np.where(np.isfinite(f), np.maximum(f, 1.0), 1.0)

    rng = np.random.default_rng(23)
    for m in (3, 60, 600):  # (a live batch's few super-bins take the formula as it is)
        rho = rng.choice([0.0, -0.0, 0.3, 0.999, 1.0, np.nan, np.inf, -0.2], (16, m))
        rho = np.where(rng.random(rho.shape) < 0.5, rng.uniform(0, 0.9, rho.shape), rho)
        k = rng.choice([0.0, 1.0, 10.0, 80.0, np.nan, np.inf], (16, m))
        for kk in (k, k[:1], 10.0):
            assert _same_bits(_ar1_factor(rho, kk), formula(rho, kk))
        assert _same_bits(_ar1_factor(np.zeros((16, m)), 10.0), np.ones((16, m)))
