"""Cell balance on samples with a non-finite cell reading (NaN, +-inf): such a
sample is left out whole. The tracker tells a slice with none of them from the
least lowest and greatest highest reading (one test per slice, not per sample),
and reuses its work arrays from slice to slice; both must give what the plain
computation gives: the log with those samples removed beforehand."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.cell_balance import SLICE_SAMPLES, CellBalanceTracker, check_cell_balance
from app.hardware.simulator import NoiseSpec, simulate

SPEC = preset("nmc", capacity_ah=5.0, series_cells=5)


def _log(seed: int, n: int):
    data = simulate(SPEC, "drive", float(n), 1.0, seed, noise=NoiseSpec.typical(SPEC))
    return data.to_frame()


@pytest.mark.parametrize(("seed", "bad"), [(3, np.nan), (4, np.inf), (5, -np.inf)])
def test_samples_with_a_non_finite_cell_are_as_if_removed(seed, bad):
    # more than one slice, the bad samples in some slices only (and the last one)
    df = _log(seed, 2 * SLICE_SAMPLES + 5000)
    rng = np.random.default_rng(seed)
    where = np.concatenate(
        (rng.choice(np.arange(SLICE_SAMPLES, 2 * SLICE_SAMPLES), 300), [len(df) - 1])
    )
    cells = rng.integers(1, SPEC.series_cells + 1, len(where))
    for k, c in zip(where, cells, strict=True):
        df.loc[k, f"cell_{c}_v"] = bad
    keep = np.ones(len(df), dtype=bool)
    keep[where] = False
    got = check_cell_balance(df, SPEC).to_dict()
    plain = check_cell_balance(df[keep].reset_index(drop=True), SPEC).to_dict()
    assert got == plain
    assert got["spread_mv"] is not None


def test_blocks_of_any_size_reusing_the_work_arrays_give_the_offline_result():
    df = _log(6, SLICE_SAMPLES + 9000)
    df.loc[1000:1010, "cell_2_v"] = np.nan
    block = SampleBlock.from_frame(df)
    offline = check_cell_balance(df, SPEC).to_dict()
    tracker = CellBalanceTracker(SPEC)
    # a long block first (work arrays of a full slice), then short ones reusing them
    bounds = [0, SLICE_SAMPLES + 17, SLICE_SAMPLES + 500, SLICE_SAMPLES + 501, len(df)]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        tracker.update(block.slice(a, b))
    assert tracker.result().to_dict() == offline
