"""The live twins take the cycler's own counters as offline does: the per-cycle table
and the SOH capacity of real cycler files and of a counted simulated log, fed in blocks
of any size, are those of the whole log."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.cycle_tracker import CycleTracker
from app.diagnostics.cycles import summarize_cycles
from app.diagnostics.soh import SohTracker, calculate_soh
from app.hardware.logs.formats import open_log
from app.hardware.simulator import NoiseSpec, simulate
from tests.real_data import REAL_DATA

from .test_internal_resistance import assert_same
from .test_soh_counters import with_counters

real = pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")

#: the cycler files with counters, and a capacity of their cells
CYCLER_FILES = [
    ("arbin/2017-05-09_test-TC-contact_CH33.csv", 1.1),
    ("maccor/PredictionDiagnostics_000151_test.052", 4.84),
    ("neware/nw_regular_export_ife_example.csv", 0.33),
    ("bdf/SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv", 0.007),
]


def _rows_equal(live, offline) -> None:
    assert len(live) == len(offline)
    for a, b in zip(live.to_dict("records"), offline.to_dict("records"), strict=True):
        assert json.dumps(a) == json.dumps(b)  # (NaN and None compare as written)


def _feed(tracker, data: SampleBlock, seed: int, largest: int) -> None:
    rng = np.random.default_rng(seed)
    pos = 0
    while pos < len(data):
        size = int(rng.integers(1, largest))
        tracker.update(data.slice(pos, pos + size))
        pos += size


@real
@pytest.mark.parametrize(("name", "capacity_ah"), CYCLER_FILES)
@pytest.mark.parametrize("seed", [0, 1])
def test_real_cycler_files_cycle_table_live_equals_offline(name, capacity_ah, seed):
    frame = open_log(str(REAL_DATA / name)).frame
    spec = preset("nmc", capacity_ah=capacity_ah)
    offline = summarize_cycles(frame, capacity_ah=spec.pack_capacity_ah)
    assert "cycler" in set(offline["capacity_source"])
    live = CycleTracker(spec)
    _feed(live, SampleBlock.from_frame(frame), seed, largest=max(3, len(frame) // 20))
    _rows_equal(live.result(), offline)


@real
def test_the_landt_coin_cells_full_discharge_live_is_its_counters_as_offline():
    # a Li/graphite half cell: 0.01-1.0 V; its first discharge from the rest at 2.7 V to
    # its 0.01 V cut-off counted 6.3 mAh (the file's discharge counter at the end of the
    # step, the per-cycle table's figure; to the first sample within 5 % of the cut-off,
    # 0.06 V, where a full discharge used to stop, 4.4 mAh)
    frame = open_log(str(REAL_DATA / CYCLER_FILES[3][0])).frame
    spec = preset("nmc", capacity_ah=0.006).with_overrides(cell_v_min=0.01, cell_v_max=1.0)
    offline = calculate_soh(frame, spec, measured_resistance_ohm=10.0)
    assert offline.full_cycle_capacity_ah == pytest.approx(0.0063, abs=1e-12)
    assert offline.capacity_source == "cycler"
    live = SohTracker(spec, measure_pulses=False)
    _feed(live, SampleBlock.from_frame(frame), 2, largest=2000)
    assert_same(offline.to_dict(), live.result(measured_resistance_ohm=10.0).to_dict())


@pytest.mark.parametrize("seed", [0, 1])
def test_a_counted_biologic_file_cycle_table_live_equals_offline(tmp_path, seed):
    from tests.hardware.logs.biologic_files import cycling_columns, half_cycle_counts, mpr_bytes

    columns = cycling_columns(points=3000, cycles=5, capacity_mah=50.0)
    columns.update(half_cycle_counts(columns))
    columns["I/mA"] = (columns["I/mA"] * 1.03).astype(np.float32)  # reads 3 % high
    path = tmp_path / "cell.mpr"
    path.write_bytes(mpr_bytes(columns))
    frame = open_log(str(path)).frame
    spec = preset("nmc", capacity_ah=0.05)
    offline = summarize_cycles(frame, capacity_ah=spec.pack_capacity_ah)
    assert set(offline["capacity_source"]) == set(offline["energy_source"]) == {"cycler"}
    live = CycleTracker(spec)
    _feed(live, SampleBlock.from_frame(frame), seed, largest=400)
    _rows_equal(live.result(), offline)


@real
def test_the_live_engine_passes_the_counters_to_its_cycle_table_and_soh():
    from app.diagnostics.live import LiveEngine

    frame = open_log(str(REAL_DATA / CYCLER_FILES[3][0])).frame
    spec = preset("nmc", capacity_ah=0.006).with_overrides(cell_v_min=0.01, cell_v_max=1.0)
    engine = LiveEngine(spec)
    data = SampleBlock.from_frame(frame)
    for start in range(0, len(data), 1000):
        engine(data.slice(start, start + 1000))
    engine.finish()
    soh = engine.results()["soh"]
    assert soh["capacity_source"] == "cycler"
    assert soh["full_cycle_capacity_ah"] == pytest.approx(0.0063, abs=1e-12)
    _rows_equal(engine.cycles.result(), summarize_cycles(frame, capacity_ah=0.006))


@settings(max_examples=8, deadline=None)
@given(cuts=st.lists(st.integers(1, 9_999), max_size=25))
def test_counters_with_cycles_from_the_current_live_equals_offline(cuts):
    # no cycle_index: the cycles come from the current, the counters run over the whole log
    spec = preset("nmc", capacity_ah=5.0, series_cells=4)
    data = _counted_cycling(spec)
    offline = summarize_cycles(data.to_frame(), capacity_ah=spec.pack_capacity_ah)
    assert len(offline) >= 3 and set(offline["capacity_source"]) == {"cycler"}
    live = CycleTracker(spec)
    bounds = [0, *sorted(c for c in set(cuts) if 0 < c < len(data)), len(data)]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        live.update(data.slice(a, b))
    _rows_equal(live.result(), offline)


@cache
def _counted_cycling(spec) -> SampleBlock:
    """A noisy simulated cycling log with counters 2 % under its current (1 mAh steps)."""
    block = simulate(
        spec, "cycle", duration_s=40_000, dt_s=4.0, seed=3, noise=NoiseSpec.typical(spec)
    )
    return SampleBlock.from_frame(with_counters(block.to_frame(), 0.98))
