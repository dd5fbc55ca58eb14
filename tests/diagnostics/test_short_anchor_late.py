"""The anchor's second reference in time: a cell's growth since the 5 minutes after the
log's first 3 (``ANCHOR_LATE_S`` in :mod:`app.diagnostics.faults.short`)."""

from __future__ import annotations

import pytest

from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault
from tests.diagnostics.simulated_packs import short_latency_s, spread_pack
from tests.diagnostics.test_short_heat import _assert_live_equals_offline

ONSET_S = 300.0


@pytest.mark.parametrize(("seed", "spread"), [(1432, 0.08), (1461, 0.06)])
def test_a_100_ohm_short_from_5_min_into_a_cycle_is_found_within_10_min(seed, spread):
    """4-cell NMC 1C cycle, 100 ohm across cell 3 from 300 s. Against the log's first 3
    min the cell is allowed its r, 3 errors and 0.05 of the pack's warming since then
    (~0.12-0.21 of 4-4.5 K after 10 min: 0.55-0.9 K) against the short's 0.7-1.1 K: z
    4.5-5.5 at 600 s, found at 689 s. The minutes before the onset are a reference as
    well: against them only the warming since is allowed (~2.5 K), and the short's
    growth since is most of its excess (z 7-8.5 at 480 s)."""
    assert short_latency_s(seed, spread, onset_s=ONSET_S) <= 600.0


def test_a_short_found_against_the_later_anchor_live_equals_offline():
    """The same short (seed 1461), the log fed in random blocks: the offline result to
    the last bit (each anchor's sums are over whole super-bins, whatever the blocks)."""
    fault = Fault("internal_short", ONSET_S, cell=3, resistance_ohm=100.0)
    spec, block = spread_pack(
        "nmc", 4, "cycle", 1461, ONSET_S + 1200, resistance_spread=0.06, faults=[fault]
    )
    assert detect_faults(block, spec).of_kind("internal_short")
    _assert_live_equals_offline(block, spec, seed=11)
