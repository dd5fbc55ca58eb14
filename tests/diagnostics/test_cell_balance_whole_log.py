"""Cell balance on a whole log (``whole_log``: which cell read each sample's lowest and
highest value looked up only when the result needs it) against the tracker that looks
it up for every slice as it comes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics import cell_balance
from app.diagnostics.cell_balance import CellBalanceTracker, check_cell_balance
from app.diagnostics.soh import calculate_soh
from app.hardware.simulator import NoiseSpec, simulate


def _pack(cells: int, seed: int):
    spec = preset("nmc", capacity_ah=5.0, series_cells=cells)
    block = simulate(
        spec, "drive", duration_s=40_000, dt_s=1.0, seed=seed, noise=NoiseSpec.typical(spec)
    )
    return block.to_frame(), spec


def _result(spec, df, **kwargs) -> str:
    tracker = CellBalanceTracker(spec, **kwargs)
    tracker.update(SampleBlock.from_frame(df))
    return json.dumps(tracker.result().to_dict())


@pytest.mark.parametrize(("cells", "seed"), [(4, 1), (16, 3)])
@pytest.mark.parametrize("dead_at_end", [False, True])
def test_whole_log_gives_the_per_slice_result(cells, seed, dead_at_end):
    df, spec = _pack(cells, seed)
    df.loc[5000:5010, "cell_2_v"] = np.nan  # a slice of the sort
    df.loc[20000:20100, "cell_3_v"] = 9.0  # implausible for a while
    if dead_at_end:  # a cell out of the band now: the figures leave its extremes out
        df.loc[len(df) - 400 :, "cell_1_v"] = 0.3
    whole = _result(spec, df, whole_log=True)
    assert whole == _result(spec, df)
    reading_now = [r["reading_now"] for r in json.loads(whole)["implausible_readings"]]
    assert any(reading_now) == dead_at_end


def test_whole_log_looks_the_cells_up_only_for_a_cell_out_of_the_band_now(monkeypatch):
    df, spec = _pack(4, 2)
    calls = []
    real = cell_balance._cells_at
    monkeypatch.setattr(cell_balance, "_cells_at", lambda *a: calls.append(1) or real(*a))
    check_cell_balance(df, spec)
    assert not calls
    df.loc[len(df) - 10 :, "cell_4_v"] = 0.0
    dead = check_cell_balance(df, spec).to_dict()
    assert calls
    assert dead["implausible_cells"] == [4]


@pytest.mark.parametrize(("cells", "seed"), [(4, 4), (16, 5)])
def test_cell_extremes_are_each_samples_min_and_max_and_give_the_soh_its_result(cells, seed):
    df, spec = _pack(cells, seed)
    balance, extremes = cell_balance.cell_balance_and_extremes(df, spec)
    assert json.dumps(balance.to_dict()) == json.dumps(check_cell_balance(df, spec).to_dict())
    volts = df[[f"cell_{k}_v" for k in range(1, cells + 1)]].to_numpy()
    assert extremes[0].tobytes() == volts.min(axis=1).tobytes()
    assert extremes[1].tobytes() == volts.max(axis=1).tobytes()
    shared = calculate_soh(df, spec, cell_extremes=extremes).to_dict()
    assert json.dumps(shared) == json.dumps(calculate_soh(df, spec).to_dict())


def test_no_cell_extremes_unless_every_reading_is_finite_and_plausible():
    df, spec = _pack(4, 6)
    assert cell_balance.cell_balance_and_extremes(df, spec)[1] is not None
    for value in (np.nan, 0.0):
        bad = df.copy()
        bad.loc[30000, "cell_2_v"] = value
        assert cell_balance.cell_balance_and_extremes(bad, spec)[1] is None
    tracker = CellBalanceTracker(spec)  # (block by block: none kept)
    tracker.update(SampleBlock.from_frame(df))
    assert tracker.cell_extremes() is None
