"""The fault detectors' shortcuts give the very numbers of the plain computation:
rows that are the same for every cell summed once, histories read in pieces, the
over-voltage mean skipped where it cannot pass, the step-robust minimum row by row."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.spec import preset
from app.diagnostics.faults import limits
from app.diagnostics.faults.bins import median_rows
from app.diagnostics.faults.common import History, RollingSum, Same, SuperBins
from app.diagnostics.faults.detector import detect_faults
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
    assert _same_bits(lazy._tail, plain._tail)


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


@pytest.mark.parametrize("profile", ["cccv", "cycle"])
def test_over_voltage_mean_skipped_only_where_it_cannot_pass(profile, monkeypatch):
    from app.hardware.simulator.faults import Fault

    df, spec = _pack(profile, [Fault("over_voltage", onset_s=4_000)])
    seen = []

    def record(self, bb, v, _orig=limits.LimitDetector._over_on_mean):
        out = _orig(self, bb, v)
        seen.append(out)
        return out

    monkeypatch.setattr(limits.LimitDetector, "_over_on_mean", record)
    faults = detect_faults(df, spec).to_list()
    skipped, seen[:] = list(seen), []
    # every bin judged: the reachable bins are all bins
    monkeypatch.setattr(
        limits.LimitDetector,
        "_reachable",
        lambda self, s1, v, _orig=limits.LimitDetector._reachable: (
            _orig(self, s1, v),
            np.arange(v.shape[1]),
        )[1],
    )
    assert detect_faults(df, spec).to_list() == faults
    assert any(f["kind"] == "over_voltage" for f in faults)
    assert len(seen) == len(skipped)
    assert all(_same_bits(a, b) for a, b in zip(skipped, seen, strict=True))
