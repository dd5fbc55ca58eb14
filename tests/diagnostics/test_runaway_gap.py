"""The runaway-onset test on logs with time gaps (rows lost for 10-20 s): a window
across a gap is judged on the bins present over its time (see "A gap in the log" in
:mod:`app.diagnostics.faults.thermal`)."""

from __future__ import annotations

import numpy as np
import pytest

from app.diagnostics.faults import FaultKind, detect_faults
from app.diagnostics.faults.thermal import _quad_weights
from app.hardware.simulator import Fault
from tests.diagnostics.fault_splits import faults_in_blocks
from tests.diagnostics.simulated_packs import spread_pack, without_rows

ONSET_S = 900.0
#: (start, length) of the rows lost: just after the onset, across it
GAPS = [(910.0, 10.0), (895.0, 20.0)]


def _drive(chem: str, faults, duration_s: float, seed: int = 740):
    return spread_pack(chem, 4, "drive", seed, duration_s, resistance_spread=0.06, faults=faults)


@pytest.mark.parametrize("chem", ["nmc", "lfp"])
@pytest.mark.parametrize("gap", GAPS)
def test_a_runaway_after_a_short_gap_is_found_within_a_minute(chem, gap):
    # the window held only whole two minutes without a gap: a runaway whose onset a
    # 10 s gap followed was found 139 s after it (a 20 s gap across it, 124 s)
    spec, block = _drive(chem, [Fault("thermal_runaway", ONSET_S, cell=2)], ONSET_S + 100)
    block = without_rows(block, [gap])
    result = detect_faults(block, spec)
    found = [
        f.detail["detected_time_s"]
        for f in result.faults
        if f.kind == FaultKind.THERMAL_RUNAWAY_ONSET and f.channel == "cell_2_temp_c"
    ]
    assert found and ONSET_S < min(found) <= ONSET_S + 60.0
    # live, in random blocks: the same faults
    sizes = np.random.default_rng(7).integers(1, 300, size=len(block))
    assert faults_in_blocks(block, spec, sizes) == result.to_list()


@pytest.mark.parametrize("chem", ["nmc", "lfp"])
def test_a_clean_log_with_the_same_gaps_raises_no_runaway(chem):
    # the same gaps, and 10-20 s gaps every five minutes of an hour's drive: the bins
    # either side of a gap are no step, nor is a gap's first, partial bin a take-off
    gaps = [
        *GAPS,
        *((t + 17.0 * (k % 3), 10.0 + 5.0 * (k % 3)) for k, t in enumerate(range(1200, 3600, 300))),
    ]
    spec, block = _drive(chem, [], 3600.0)
    result = detect_faults(without_rows(block, gaps), spec)
    assert not result.of_kind("thermal_runaway_onset")


def test_the_fit_over_the_bins_present_measures_time_across_a_gap():
    # a quadratic in time read on a window whose bins 10-13 a gap left empty: its rates
    # at the window's ends and its rise are those of the curve at the bins' times
    pos = np.array([*range(10), *range(14, 24)])
    bin_s = 5.0
    t = (pos - 23) * bin_s  # s, 0 at the last bin
    y = 1.0 + 0.01 * t + 2e-4 * t * t
    cf = _quad_weights(pos, bin_s)
    assert cf["rate_end"] @ y == pytest.approx(0.01, rel=1e-9)
    assert cf["rate_start"] @ y == pytest.approx(0.01 + 4e-4 * t[0], rel=1e-9)
    assert cf["rise"] @ y == pytest.approx(y[-1] - y.mean(), rel=1e-9)
