"""Cells' resistance deviations measured from their voltages under load (the
internal-short heat test's allowance for a pack's manufacturing spread)."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.spec import preset
from app.diagnostics.faults.cell_resistance import CellResistance
from app.hardware.simulator import NoiseSpec
from app.hardware.simulator.pack import PackSimulator

SPEC = preset("nmc", series_cells=4)
OCV_RANGE = (min(SPEC.ocv_v), max(SPEC.ocv_v))


def _pack(profile: str, seed: int):
    """5 s bin means of a 30 min log of a pack with 8 % resistance spread, and the
    true resistance deviations from the median cell."""
    sim = PackSimulator(
        SPEC, profile, seed=seed, noise=NoiseSpec.typical(SPEC), resistance_spread=0.08
    )
    block = sim.run_block(1800)
    v = np.vstack([block[f"cell_{k}_v"] for k in range(1, 5)]).reshape(4, -1, 5).mean(axis=2)
    i = np.asarray(block["current_a"]).reshape(-1, 5).mean(axis=1)
    vmed = np.median(v, axis=0)
    r0 = sim.cells.r0_ohm
    return i, vmed, v - vmed, r0 / np.median(r0) - 1.0


@pytest.mark.parametrize("profile", ["drive", "hppc"])
@pytest.mark.parametrize("seed", [1, 3])
def test_resistance_deviations_recovered_when_the_load_varies(profile, seed):
    i, vmed, dev, truth = _pack(profile, seed)
    cr = CellResistance(4, SPEC.pack_capacity_ah, OCV_RANGE)
    r, se = cr.update(cr.bin_terms(i, vmed, dev))
    assert np.abs(r[:, -1] - truth).max() <= 0.03
    assert (se[:, -1] <= 0.015).all()


def test_no_resistance_without_a_current_step():
    """A CC discharge from the log's start: nothing to measure r by."""
    i, vmed, dev, _ = _pack("cycle", 1)
    cr = CellResistance(4, SPEC.pack_capacity_ah, OCV_RANGE)
    r, se = cr.update(cr.bin_terms(i, vmed, dev))
    assert np.isnan(r).all() and np.isinf(se).all()


def test_split_batches_give_the_same_bits():
    i, vmed, dev, _ = _pack("drive", 2)
    whole = CellResistance(4, SPEC.pack_capacity_ah, OCV_RANGE)
    r1, se1 = whole.update(whole.bin_terms(i, vmed, dev))
    parts = CellResistance(4, SPEC.pack_capacity_ah, OCV_RANGE)
    out = [
        parts.update(parts.bin_terms(i[s], vmed[s], dev[:, s]))
        for s in (slice(0, 7), slice(7, 200), slice(200, None))
    ]
    assert np.array_equal(np.concatenate([o[0] for o in out], axis=1), r1, equal_nan=True)
    assert np.array_equal(np.concatenate([o[1] for o in out], axis=1), se1)


def test_a_cell_moving_on_its_own_through_the_step_keeps_its_resistance():
    """The end of a discharge: the weakest cell's voltage falls on its own (its
    charge running out) as the current steps to rest. What it did in the pair of
    bins before the step is its own, not the step's: r stays its resistance's
    (it read -0.03 for a true +0.07, which allowed a healthy warm cell no excess
    heat and false-alarmed the internal-short test)."""
    r_ohm = np.array([0.020, 0.021, 0.019, 0.022])
    m = 60
    i = np.where(np.arange(m) < 50, -5.0, 0.0)
    i[50] = -2.5  # the step in mid-bin: two pairs of bins see half of it each
    ocv = np.full((4, m), 3.7)
    ocv[3] -= 0.005 * np.arange(m)  # 5 mV per bin, on its own
    v = ocv + r_ohm[:, None] * i[None, :]
    vmed = np.median(v, axis=0)
    cr = CellResistance(4, SPEC.pack_capacity_ah, OCV_RANGE)
    r, _ = cr.update(cr.bin_terms(i, vmed, v - vmed))
    truth = r_ohm / np.median(r_ohm) - 1.0
    assert np.abs(r[:, -1] - truth).max() <= 0.01
