"""The lead-acid charge-heat test on logs with time gaps (rows lost for 10-30 s): a
window of charge across a gap is judged on the bins present over its time (see "A
gap in the log" in :mod:`app.diagnostics.faults.float_runaway`)."""

from __future__ import annotations

import numpy as np
import pytest

from app.diagnostics.faults import FaultKind, detect_faults
from app.diagnostics.faults.float_runaway import _slope_weights
from app.hardware.simulator import Fault
from tests.diagnostics.fault_splits import faults_in_blocks
from tests.diagnostics.simulated_packs import spread_pack, without_rows

#: a runaway in the charge before the float voltage is held (found on its heat)
ONSET_S = 30.0
#: (start, length) of the rows lost: across the onset, just after it
GAPS = [(25.0, 30.0), (40.0, 10.0)]


def _float(faults, duration_s: float, seed: int = 740):
    return spread_pack(
        "lead_acid", 4, "float", seed, duration_s, resistance_spread=0.06, faults=faults
    )


@pytest.mark.parametrize("gap", GAPS)
def test_a_float_runaway_after_a_short_gap_is_found_within_a_minute(gap):
    # windows of charge were judged only without a gap: a runaway whose onset a 10 s
    # gap followed was found 79 s after it, one a 30 s gap went across 84 s
    spec, block = _float([Fault("thermal_runaway", ONSET_S, cell=2)], ONSET_S + 150)
    block = without_rows(block, [gap])
    result = detect_faults(block, spec)
    found = [
        f.detail["detected_time_s"]
        for f in result.faults
        if f.kind == FaultKind.THERMAL_RUNAWAY_ONSET and f.channel == "current_a"
    ]
    assert found and ONSET_S < min(found) <= ONSET_S + 60.0
    # live, in random blocks: the same faults
    sizes = np.random.default_rng(7).integers(1, 300, size=len(block))
    assert faults_in_blocks(block, spec, sizes) == result.to_list()


def test_a_clean_float_log_with_gaps_raises_no_runaway():
    # the same gaps in its first charge, and 10-30 s gaps every five minutes of an
    # hour on float: a gap's partial bins are no heating
    gaps = [
        *GAPS,
        *((t + 17.0 * (k % 3), 10.0 + 10.0 * (k % 3)) for k, t in enumerate(range(300, 3600, 300))),
    ]
    spec, block = _float([], 3600.0)
    result = detect_faults(without_rows(block, gaps), spec)
    assert not result.of_kind("thermal_runaway_onset")


def test_the_slope_over_the_bins_present_measures_time_across_a_gap():
    # a straight line in time read on bins a gap left at slots 0-3 and 8-11: its slope
    pos = np.array([0, 1, 2, 3, 8, 9, 10, 11])
    y = 2.0 + 0.003 * pos * 5.0
    assert _slope_weights(pos, 5.0) @ y == pytest.approx(0.003, rel=1e-9)
