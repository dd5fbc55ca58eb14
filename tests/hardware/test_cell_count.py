"""One cell-count check for every live path (record, serve --source, the window): the
series cells of the battery given against those the source's cell voltages show; the
first block with cell voltages decides, and a contradicted count stops the acquisition
in fault with the reason, without retrying, before any later sink sees a sample."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.hardware.acquisition import AcquisitionState, AcquisitionThread
from app.hardware.cell_count import CellCountCheck, cells_the_data_shows, cli_fix, gui_fix
from app.hardware.source import Source


def pack_block(t0: int, n: int, cells: int | None) -> SampleBlock:
    """``n`` samples of a pack of ``cells`` cells reporting each (none: no cell columns)."""
    t = t0 + np.arange(n, dtype=float)
    rng = np.random.default_rng(t0)
    columns = {"time_s": t, "current_a": np.full(n, -1.0)}
    volts = [3.30 + rng.normal(0, 0.002, n) for _ in range(cells or 4)]
    columns["voltage_v"] = np.sum(volts, axis=0)
    for k, v in enumerate(volts if cells else [], start=1):
        columns[f"cell_{k}_v"] = v
    return SampleBlock(columns)


class Pack(Source):
    """A BMS of ``shown`` cells that reports them after ``plain`` blocks without (the
    battery given says ``given``), in blocks of ``size``, ``n`` samples in all."""

    def __init__(self, url, *, given, shown, size=10, plain=0, n=200):
        super().__init__(url, preset("lfp", series_cells=given))
        self.shown, self.size, self.plain, self.n = shown, size, plain, n
        self.t = 0
        self.opens = 0

    def _open_internal(self):
        self.opens += 1

    def _read_internal(self, timeout):
        if self.t >= self.n:
            return None
        with_cells = self.t >= self.plain * self.size
        b = pack_block(self.t, self.size, self.shown if with_cells else None)
        self.t += self.size
        return b

    @property
    def exhausted(self):
        return self.t >= self.n


class Collect:
    def __init__(self):
        self.samples = 0

    def __call__(self, block):
        self.samples += len(block)


def _run(source, check):
    after = Collect()
    acq = AcquisitionThread(source, [check, after], reconnect_initial_s=0.001)
    acq.start()
    assert acq.wait_finished(10)
    return acq, after


@pytest.mark.parametrize("size", [1, 7, 50])
def test_a_contradicted_count_stops_the_source_on_its_first_block_in_every_block_size(size):
    source = Pack("test://bms?cells=16", given=16, shown=4, size=size)
    check = CellCountCheck(source)
    acq, after = _run(source, check)
    assert acq.state is AcquisitionState.FAULT and not acq.running
    assert source.opens == 1  # not retried: the device would say the same again
    assert after.samples == 0  # nothing judged, drawn or recorded
    assert (
        acq.last_error
        == check.refused
        == (
            "cells=16 in the URL: the source's 4 cell voltages add up to its pack voltage, so it "
            "is 4 cells in series, not 16: give cells=4"
        )
    )


def test_blocks_before_the_cell_voltages_pass_and_are_counted_as_kept():
    source = Pack("test://bms", given=16, shown=4, size=10, plain=3)
    check = CellCountCheck(source, cells_option=16)
    acq, after = _run(source, check)
    assert after.samples == 30
    assert acq.last_error == (
        "--cells 16: the source's 4 cell voltages add up to its pack voltage, so it is 4 "
        "cells in series, not 16: give --cells 4; the 30 samples before are kept"
    )


def test_a_battery_of_its_own_is_fixed_as_each_front_end_takes_a_count():
    for fix, said in ((cli_fix, "give --cells 4"), (gui_fix, "give cells=4 in the source URL")):
        source = Pack("test://bms", given=16, shown=4)
        acq, _after = _run(source, CellCountCheck(source, fix=fix))
        assert acq.last_error.startswith("the battery's 16 cells: ") and said in acq.last_error


def test_an_agreeing_count_and_a_partial_one_stream_to_the_end():
    agreeing = Pack("test://bms?cells=4", given=4, shown=4)
    acq, after = _run(agreeing, CellCountCheck(agreeing))
    assert acq.state is AcquisitionState.FINISHED and after.samples == 200
    # 3 cells reported of a 4-cell pack do not add up to its voltage: the pack says more
    block = pack_block(0, 10, 4)
    partial = SampleBlock({c: block[c] for c in block.columns if c != "cell_4_v"})
    assert cells_the_data_shows(partial) == 0
    source = Pack("test://bms?cells=16", given=16, shown=4)
    check = CellCountCheck(source)
    check(partial)  # passes: the first block with cell voltages decided, as record did
    check(pack_block(10, 10, 4))
    assert not check.pending and check.refused is None
