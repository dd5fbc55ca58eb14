"""A sample with no time (NaN in ``time_s``) belongs to no time bin: the fault detector
leaves it out of the bins (no undefined cast of NaN to a bin number), offline and live,
and finds what it finds without those rows."""

from __future__ import annotations

import warnings

import numpy as np

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault, NoiseSpec, simulate
from tests.diagnostics.fault_splits import faults_in_blocks

NMC4 = preset("nmc", series_cells=4)


def test_rows_without_a_time_are_left_out_of_the_bins():
    """A 4-cell drive with a cell voltage sensor stuck from 900 s; the first, the last
    and a few other rows have no time. The faults are those of the log without those
    rows, with no RuntimeWarning (NaN was cast to int64 at the bins' and the super-bins'
    numbering) and no error (the live detector read the bin of a block's last time),
    whatever the blocks."""
    b = simulate(
        NMC4,
        "drive",
        duration_s=1800,
        seed=3,
        noise=NoiseSpec.typical(NMC4),
        faults=[Fault("sensor_stuck", 900, channel="cell_3_v")],
    )
    cols = {c: np.asarray(b[c], float).copy() for c in b.columns}
    untimed = np.zeros(len(b), dtype=bool)
    untimed[[0, 700, 701, 1200, len(b) - 1]] = True
    cols["time_s"][untimed] = np.nan
    block = SampleBlock(cols)
    without = SampleBlock({c: v[~untimed] for c, v in cols.items()})
    expected = detect_faults(without, NMC4).to_list()
    assert [f["kind"] for f in expected] == ["sensor_stuck"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert detect_faults(block, NMC4).to_list() == expected
        sizes = np.random.default_rng(3).integers(1, 300, size=len(block))
        assert faults_in_blocks(block, NMC4, sizes) == expected
        # a block of untimed rows only, and blocks ending on one
        assert faults_in_blocks(block, NMC4, [1, 699, 2, 1, 497, 1]) == expected
