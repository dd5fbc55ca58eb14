"""Cell balance's min/max network (the usual slice) against the sort it stands in for."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics import cell_balance
from app.diagnostics.cell_balance import CellBalanceTracker, _rank_network, check_cell_balance
from app.hardware.simulator import NoiseSpec, simulate


def _run_network(x: np.ndarray) -> list[np.ndarray]:
    wires = [row.copy() for row in x]
    for kind, a, b in _rank_network(len(x)):
        lo, hi = np.minimum(wires[a], wires[b]), np.maximum(wires[a], wires[b])
        if kind != cell_balance._MAX:
            wires[a] = lo
        if kind != cell_balance._MIN:
            wires[b] = hi
    return wires


@pytest.mark.parametrize("n", [2, 3, 4, 5, 7, 8, 12, 13, 16, 24, 31])
def test_network_gives_the_sorted_lowest_highest_and_middle(n):
    rng = np.random.default_rng(n)
    x = rng.normal(3.7, 0.05, (n, 2000))
    x[:, :200] = np.round(x[:, :200], 2)  # ties
    srt = np.sort(x, axis=0)
    wires = _run_network(x)
    for k in {0, n - 1, n // 2, max(n // 2 - 1, 0)}:
        assert wires[k].tobytes() == srt[k].tobytes(), k


def _pack(cells: int, seed: int):
    spec = preset("nmc", capacity_ah=5.0, series_cells=cells)
    block = simulate(
        spec, "drive", duration_s=40_000, dt_s=1.0, seed=seed, noise=NoiseSpec.typical(spec)
    )
    return block.to_frame(), spec


@pytest.mark.parametrize(("cells", "seed"), [(4, 1), (7, 2), (16, 3)])
def test_network_and_sort_give_the_same_result(cells, seed, monkeypatch):
    df, spec = _pack(cells, seed)
    # a few implausible and missing readings: those slices take the sort
    df.loc[5000:5010, "cell_2_v"] = np.nan
    df.loc[30000:30003, "cell_1_v"] = 0.0
    fast = json.dumps(check_cell_balance(df, spec).to_dict())
    monkeypatch.setattr(CellBalanceTracker, "_in_band_ranks", lambda self, block: None)
    assert json.dumps(check_cell_balance(df, spec).to_dict()) == fast


def test_a_block_without_a_cell_column_is_incomplete():
    df, spec = _pack(4, 5)
    tracker = CellBalanceTracker(spec)
    tracker.update(SampleBlock.from_frame(df.iloc[:20_000]))
    tracker.update(SampleBlock.from_frame(df.iloc[20_000:].drop(columns=["cell_3_v"])))
    partial = CellBalanceTracker(spec)
    partial.update(SampleBlock.from_frame(df.iloc[:20_000]))
    assert json.dumps(tracker.result().to_dict()) == json.dumps(partial.result().to_dict())
