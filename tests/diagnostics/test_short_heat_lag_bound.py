"""The rolling heat test with the lag term held at its bounds, and against the median of
the other cells in a small pack (see :data:`app.diagnostics.faults.short.HEAT_LAG_BOUND`
and :meth:`app.diagnostics.faults.short.ShortDetector._heat_stat`)."""

from __future__ import annotations

import pytest

from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault, NoiseSpec, simulate


def _cycle(seed: int, spread: float, faults: list[Fault]):
    spec = preset("nmc", series_cells=4)
    block = simulate(
        spec,
        "cycle",
        duration_s=2100.0,
        seed=seed,
        noise=NoiseSpec.typical(spec),
        faults=faults,
        capacity_spread=0.02,
        resistance_spread=spread,
    )
    return detect_faults(block, spec).of_kind("internal_short")


@pytest.mark.parametrize(("seed", "spread"), [(1431, 0.03), (1432, 0.06)])
def test_a_100_ohm_short_900_s_into_a_1c_discharge_is_found_within_10_min(seed, spread):
    """100 ohm across cell 3 of a 4-cell NMC pack from 900 s into the cycle's 1C
    discharge (from the log's first sample): the fitted lag term's leverage (the pack
    temperature and its lagged part rise together from the log's start) held the
    rolling test at z 5.9 and 5.0, and the short then entered the reference: not found
    in 1,200 s. With the lag held at +-0.3 (and, seed 1432, against the median of the
    other cells: cell 3 was one of the middle two, the median moving with it) found at
    1,469 and 1,349 s."""
    shorts = _cycle(seed, spread, [Fault("internal_short", 900, cell=3, resistance_ohm=100.0)])
    assert [f.channel for f in shorts] == ["cell_3_v"]
    assert 900 <= shorts[0].detail["detected_time_s"] <= 900 + 600


@pytest.mark.parametrize(("seed", "spread"), [(1431, 0.03), (1432, 0.06)])
def test_the_same_clean_packs_are_not_shorted(seed, spread):
    assert _cycle(seed, spread, []) == []
