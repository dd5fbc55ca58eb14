"""One cell-count check for every live path (record, serve --source, the window): the
series cells of the battery given against those the source's cell voltages show; the
first block with cell voltages decides, and a contradicted count stops the acquisition
in fault with the reason, without retrying, before any later sink sees a sample."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.errors import SourceRefused
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


def foxbms_block(t0: int, n: int) -> SampleBlock:
    """A foxBMS stream as its DBC decodes it: a 96-cell NMC pack at 389 V whose BMS sends
    the voltages of its first 4 cells only (all 4.055 V)."""
    t = t0 + np.arange(n, dtype=float)
    columns = {"time_s": t, "current_a": np.full(n, -0.83), "voltage_v": np.full(n, 389.1)}
    for k in range(1, 5):
        columns[f"cell_{k}_v"] = np.full(n, 4.055)
    return SampleBlock(columns)


class FoxPack(Pack):
    def _read_internal(self, timeout):
        if self.t >= self.n:
            return None
        self.t += self.size
        return foxbms_block(self.t - self.size, self.size)


def test_a_count_the_pack_voltage_refutes_is_refused_though_its_few_cell_voltages_agree():
    # the 4 cell voltages do not add up to the pack: "4" passed; 389 V is no 4 NMC cells
    source = FoxPack("test://foxbms", given=4, shown=4)
    source.spec = preset("nmc", series_cells=4)
    check = CellCountCheck(source, cells_option=4)
    acq, after = _run(source, check)
    assert acq.state is AcquisitionState.FAULT and after.samples == 0
    assert (
        acq.last_error
        == check.refused
        == (
            "--cells 4: the source contradicts it: its pack voltage 389.1 V is 97.3 V a cell over "
            "4 cells, more than a nmc cell gives (4.2 V): it has more cells in series "
            "(93 to 155; 96 at its 4.055 V cells)"
        )
    )


def test_the_right_count_a_low_pack_and_a_cell_numbered_above_the_count():
    right = FoxPack("test://foxbms?cells=96", given=96, shown=4)
    right.spec = preset("nmc", series_cells=96)
    acq, after = _run(right, CellCountCheck(right))
    assert acq.state is AcquisitionState.FINISHED and after.samples == 200
    # an empty (or faulty) pack reads low: not a reason to refuse the count
    low = SampleBlock({**dict(foxbms_block(0, 5).items()), "voltage_v": np.full(5, 150.0)})
    check = CellCountCheck(right)
    check(low)
    assert check.refused is None
    # a BMS reporting cell 7 has 7 cells at least, whatever its pack voltage says
    few = Pack("test://bms?cells=4", given=4, shown=7)
    acq, _after = _run(few, CellCountCheck(few))
    assert acq.state is AcquisitionState.FAULT
    assert "it reports the voltage of cell 7, so it has at least 7 cells" in acq.last_error


def test_a_pack_without_cell_voltages_overcharged_later_is_not_refused():
    """The first block with a pack voltage judges it: a source without cell voltages
    whose pack later reads over the count's plausible top (a charger driving it past
    its limit) goes on streaming, its over-voltage for safety to judge; it had been
    refused as 'more cells in series' mid-recording, at the moment that mattered."""
    source = Pack("test://bms?cells=4", given=4, shown=None)
    source.spec = preset("nmc", series_cells=4)
    check = CellCountCheck(source)
    check(pack_block(0, 10, None))  # 13.2 V: four cells
    over = SampleBlock({**dict(pack_block(10, 10, None).items()), "voltage_v": np.full(10, 22.0)})
    check(over)  # 5.5 V a cell: over NMC's plausible 5.25 V
    assert check.refused is None
    # the first block decides: 22 V from the start is no 4 NMC cells
    fresh = CellCountCheck(source)
    with pytest.raises(SourceRefused):
        fresh(over)


def _pack_csv(path, cells: int, columns: int) -> str:
    """A log of ``cells`` LFP cells in series naming no battery, with the voltages of its
    first ``columns`` cells; its ``file://`` URL with a chemistry and a capacity only."""
    block = pack_block(0, 120, cells)
    frame = block.to_frame().drop(columns=[f"cell_{k}_v" for k in range(columns + 1, cells + 1)])
    frame.to_csv(path, index=False)
    return f"file://{path}?chemistry=lfp&capacity_ah=5"


@pytest.mark.parametrize(("cells", "columns"), [(4, 4), (8, 2)])
def test_a_file_whose_url_gives_no_cell_count_takes_its_samples_count_as_analyze_does(
    tmp_path, cells, columns
):
    from app.hardware.registry import create_source

    source = create_source(_pack_csv(tmp_path / "pack.csv", cells, columns))
    check = CellCountCheck(source, fix=gui_fix)
    acq, after = _run(source, check)
    # (the preset's one cell was refused: "the battery's 1 cells: the source contradicts it")
    assert source.spec.series_cells == cells
    assert check.refused is None and acq.state is AcquisitionState.FINISHED
    assert after.samples == 120


def test_a_file_whose_url_gives_a_cell_count_keeps_it_and_is_refused_when_contradicted(tmp_path):
    from app.hardware.registry import create_source

    source = create_source(_pack_csv(tmp_path / "pack.csv", 4, 4) + "&cells=2")
    acq, after = _run(source, CellCountCheck(source, fix=gui_fix))
    assert source.spec.series_cells == 2
    assert acq.state is AcquisitionState.FAULT and after.samples == 0
    assert acq.last_error.startswith("cells=2 in the URL: ")


def test_a_battery_of_one_cell_is_said_in_the_singular():
    source = Pack("test://bms", given=1, shown=4)
    acq, _after = _run(source, CellCountCheck(source, fix=gui_fix))
    assert acq.last_error.startswith("the battery's 1 cell: the source contradicts it")
