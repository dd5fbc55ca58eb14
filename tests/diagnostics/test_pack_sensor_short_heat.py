"""A log with the cells' voltages but no cell temperatures: the pack's ``temperature_c``
(the hottest cell's) is the runaway-onset test's lone sensor, and the heat an internal
short could make in it is read from the cells' voltages, whichever cell drops (see "A
pack sensor over the cells' voltages" in :mod:`app.diagnostics.faults.short_heat`)."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.samples import SampleBlock
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault
from tests.diagnostics.fault_splits import faults_in_blocks
from tests.diagnostics.simulated_packs import spread_pack


def _no_cell_temps(chem: str, profile: str, seed: int, fault: Fault, duration: float):
    spec, block = spread_pack(
        chem, 4, profile, seed, duration, resistance_spread=0.06, faults=[fault]
    )
    cols = {c: block[c] for c in block.columns if not c.endswith("_temp_c")}
    return spec, SampleBlock(cols)


def _onsets(faults: list[dict]) -> list[float]:
    return [f["detail"]["detected_time_s"] for f in faults if f["kind"] == "thermal_runaway_onset"]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("profile", ["rest", "drive", "cycle"])
def test_an_nmc_short_read_by_the_pack_sensor_alone_is_no_runaway_onset(profile, seed):
    """A default short (10 ohm, ~1.4 W) on cell 3, no cell temperatures: the pack sensor
    follows the shorted cell's steady heat once it is the hottest, and before, every such
    NMC log raised a CRITICAL runaway onset on ``temperature_c`` 39-69 s after the short's
    onset. The cell's voltage drop says a short makes that heat: no onset now."""
    spec, block = _no_cell_temps("nmc", profile, seed, Fault("internal_short", 900, cell=3), 1800)
    faults = detect_faults(block, spec).to_list()
    assert not _onsets(faults)
    assert not [f for f in faults if "withdrawn_onset_detected_s" in f["detail"]]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(("chem", "profile"), [("nmc", "drive"), ("nmc", "rest"), ("lfp", "cycle")])
def test_a_runaway_read_by_the_pack_sensor_alone_is_still_found_within_a_minute(
    chem, profile, seed
):
    """A runaway's cell voltage holds while it heats (until its separator goes): no drop
    explains its heat, and the pack sensor still finds it within a minute."""
    onset = 900.0
    spec, block = _no_cell_temps(chem, profile, seed, Fault("thermal_runaway", onset, cell=2), 1200)
    found = _onsets(detect_faults(block, spec).to_list())
    assert found and onset <= min(found) <= onset + 60


def test_a_short_read_by_the_pack_sensor_alone_live_equals_offline():
    """The cells' voltage histories and the drop's memory are kept in bin order: random
    block splits give the offline result to the last bit."""
    spec, block = _no_cell_temps("nmc", "drive", 3, Fault("internal_short", 600, cell=3), 1300)
    offline = detect_faults(block, spec).to_list()
    rng = np.random.default_rng(11)
    for max_block in (1, 40, 3000):
        sizes = rng.integers(1, max_block + 1, size=len(block))
        assert faults_in_blocks(block, spec, sizes) == offline
