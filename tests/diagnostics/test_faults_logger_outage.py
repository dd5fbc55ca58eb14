"""Samples in which every channel is NaN are one dropout of the logger (channel
``time_s``, as the log's gaps), not one per channel; a channel's own dropout stays its
own, through an outage of the logger too."""

from __future__ import annotations

import numpy as np

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.diagnostics.faults.text import fault_summary
from app.hardware.simulator import NoiseSpec, simulate
from tests.diagnostics.fault_splits import faults_in_blocks

NMC4 = preset("nmc", series_cells=4)


def _drive(outages: list[tuple[int, int]], dead: dict[str, int] | None = None) -> SampleBlock:
    """A 4-cell NMC drive (1 Hz) with every channel NaN over ``outages`` (samples
    [a, b)), and the channels of ``dead`` NaN from their sample on."""
    b = simulate(NMC4, "drive", duration_s=1800, seed=4, noise=NoiseSpec.typical(NMC4))
    cols = {c: np.asarray(b[c], float).copy() for c in b.columns}
    for a, e in outages:
        for c, v in cols.items():
            if c != "time_s":
                v[a:e] = np.nan
    for c, a in (dead or {}).items():
        cols[c][a:] = np.nan
    return SampleBlock(cols)


def _dropouts(faults: list[dict]) -> list[tuple[str, float, float]]:
    return [
        (f["channel"], f["start_time_s"], f["end_time_s"])
        for f in faults
        if f["kind"] == "sensor_dropout"
    ]


def test_every_channel_out_at_once_is_one_logger_dropout():
    """A 30 s logger outage (every channel NaN, twice) raised 10 dropout alarms each,
    one per channel. Now one warning each, on the logger, with its 30 missing samples,
    worded 'logger (all channels): 30 samples missing'. Live as offline."""
    block = _drive([(600, 630), (1200, 1230)])
    res = detect_faults(block, NMC4).to_list()
    assert _dropouts(res) == [("time_s", 600.0, 629.0), ("time_s", 1200.0, 1229.0)]
    first = res[0]
    assert first["severity"] == "warning" and first["detail"]["missing_samples"] == 30
    assert fault_summary(first) == "logger (all channels): 30 samples missing"
    sizes = np.random.default_rng(4).integers(1, 300, size=len(block))
    assert faults_in_blocks(block, NMC4, sizes) == res


def test_a_channel_out_on_its_own_stays_its_own_dropout_through_a_logger_outage():
    """Cell 3's temperature sensor out from 300 s to the end, the logger out at 600 s
    for 30 s: one dropout of the sensor over the whole time, and one of the logger."""
    block = _drive([(600, 630)], dead={"cell_3_temp_c": 300})
    res = detect_faults(block, NMC4).to_list()
    assert _dropouts(res) == [("cell_3_temp_c", 300.0, 1799.0), ("time_s", 600.0, 629.0)]
    sizes = np.random.default_rng(5).integers(1, 300, size=len(block))
    assert faults_in_blocks(block, NMC4, sizes) == res
