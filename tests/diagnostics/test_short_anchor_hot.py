"""The anchor's allowance (see :data:`app.diagnostics.faults.short.ANCHOR_B_UNKNOWN`) on
hot packs of a 12 % resistance spread: a cell's known r is allowed whatever it is, and
an unknown r against the other cells' median is the difference of two."""

from __future__ import annotations

import pytest

from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import NoiseSpec, simulate


@pytest.mark.parametrize(
    ("cells", "seed", "soc_spread"),
    [
        # r unknown (no current step, 5 Hz): cell 2 read 0.385 of the pack's warming over
        # cell 1 against the other cells' median, allowed 0.3 (a false short at 1,560 s)
        (2, 9516, 3.0),
        # cell 10's r read 0.36, allowed only 0.3 (a false short at 1,680 s)
        (12, 9560, 0.0),
    ],
)
def test_a_clean_hot_pack_of_a_wide_spread_is_not_shorted(cells, seed, soc_spread):
    """``bench_clean_hunt.py --only-chem nmc --only-profile cycle --runs 100 --first-seed
    9500``'s two false shorts: 20 Ah NMC cells cycled at 1C at 45 degC, 5 Hz, noise x1.5,
    12 % resistance spread; their noise-free twins read them as well (physics)."""
    spec = preset("nmc", series_cells=cells, capacity_ah=20.0)
    block = simulate(
        spec,
        "cycle",
        duration_s=1800.0,
        dt_s=0.2,
        seed=seed,
        noise=NoiseSpec.typical(spec, 1.5),
        ambient_c=45.0,
        capacity_spread=0.02,
        resistance_spread=0.12,
        soc_spread_pct=soc_spread,
    )
    assert detect_faults(block, spec).of_kind("internal_short") == []
