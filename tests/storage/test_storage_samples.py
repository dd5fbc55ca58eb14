"""Bulk sample writes and reads (COPY on PostgreSQL, executemany on SQLite)."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.errors import StorageError
from app.core.samples import SampleBlock
from app.storage.cells import cell_matrix, decode_cells, encode_cells
from app.storage.repositories import create_recording, delete_recording, get_recording
from app.storage.sample_writer import canonical_columns, next_seq, read_samples, write_samples


def assert_blocks_equal(actual: SampleBlock, expected: SampleBlock, cells_atol: float = 0.0):
    assert sorted(actual.columns) == sorted(expected.columns)
    for name in expected.columns:
        want = expected[name]
        if name.startswith("cell_"):
            want = want.astype(np.float32).astype(np.float64)  # stored as float32
        np.testing.assert_array_equal(actual[name], want, err_msg=name)


# --- cell blobs ------------------------------------------------------------------


def test_cell_blobs_are_little_endian_float32():
    blobs = encode_cells(np.array([[3.5, np.nan, 4.25]]))
    assert blobs == [np.array([3.5, np.nan, 4.25], dtype="<f4").tobytes()]
    assert len(blobs[0]) == 12


def test_decode_cells_pads_missing_and_short_blobs():
    blobs = encode_cells(np.array([[1.0, 2.0], [3.0, 4.0]]))
    out = decode_cells([blobs[0], None, blobs[1][:4]])
    np.testing.assert_array_equal(out, [[1.0, 2.0], [np.nan, np.nan], [3.0, np.nan]])
    assert decode_cells([], 3).shape == (0, 3)


def test_cell_matrix_orders_cells_and_fills_gaps():
    block = SampleBlock(
        {
            "time_s": [0.0, 1.0],
            "voltage_v": [7.0, 7.0],
            "current_a": [0.0, 0.0],
            "cell_3_v": [3.3, 3.4],
            "cell_1_v": [3.1, 3.2],
        }
    )
    m = cell_matrix(block, "v")
    assert m.dtype == np.float32 and m.shape == (2, 3)
    np.testing.assert_array_equal(m[:, 1], [np.nan, np.nan])
    np.testing.assert_allclose(m[:, 0], [3.1, 3.2], rtol=1e-6)
    assert cell_matrix(block, "temp_c") is None


def test_canonical_columns_order():
    names = ["cell_10_v", "voltage_v", "x", "cell_2_temp_c", "cell_2_v", "time_s", "current_a"]
    assert canonical_columns(names) == [
        "time_s",
        "voltage_v",
        "current_a",
        "cell_2_v",
        "cell_10_v",
        "cell_2_temp_c",
    ]


# --- round trips ------------------------------------------------------------------


def test_round_trip_with_cells_and_nan(db, make_block):
    block = make_block(500)
    cols = {name: block[name].copy() for name in block.columns}
    cols["voltage_v"][[3, 7]] = np.nan
    cols["temperature_c"][10:20] = np.nan
    cols["cycle_index"][0] = np.nan
    cols["cell_2_v"][5] = np.nan
    cols["cell_4_temp_c"][:] = np.nan
    cols["soc_reported_pct"] = np.linspace(90, 80, 500)
    block = SampleBlock(cols)
    rec = create_recording(db, "sim://nmc?cells=4", {"chemistry": "nmc"})

    assert write_samples(db, rec.id, block, 0) == 500

    back = read_samples(db, rec.id)
    assert_blocks_equal(back, block)
    assert np.isnan(back["cell_2_v"][5]) and np.isnan(back["cell_4_temp_c"]).all()
    stored = get_recording(db, rec.id)
    assert stored.sample_count == 500
    assert stored.columns == canonical_columns(block.columns)


def test_values_are_exact(db):
    # float64 scalars must survive bit for bit (binary COPY, REAL in SQLite).
    # (Not -0.0: SQLite stores it as the integer 0.)
    values = np.array([np.pi, -1e-300, 1e300, 0.1, 5e-324, 4.2])
    block = SampleBlock({"time_s": np.arange(6.0), "voltage_v": values, "current_a": -values})
    rec = create_recording(db, "file:///x.csv")
    write_samples(db, rec.id, block, 0)
    back = read_samples(db, rec.id)
    assert back["voltage_v"].tobytes() == values.tobytes()
    assert back.columns == ["time_s", "voltage_v", "current_a"]


def test_integer_columns_are_rounded(db):
    block = SampleBlock(
        {
            "time_s": [0.0, 1.0, 2.0],
            "voltage_v": [3.0, 3.1, 3.2],
            "current_a": [1.0, 1.0, 1.0],
            "step_index": [1.0, 2.4, 2.6],
            "cycle_index": [1.0, 3e9, -3e9],
        }
    )
    rec = create_recording(db, "x://")
    write_samples(db, rec.id, block, 0)
    back = read_samples(db, rec.id)
    np.testing.assert_array_equal(back["step_index"], [1.0, 2.0, 3.0])
    # beyond INTEGER: stored as missing rather than refusing the whole block
    np.testing.assert_array_equal(back["cycle_index"], [1.0, np.nan, np.nan])


def test_scattered_missing_values(db, make_block):
    # Many different patterns of NULL columns in one block (PostgreSQL groups
    # the rows by pattern); more rows than one COPY chunk.
    n = 70_000
    rng = np.random.default_rng(1)
    block = make_block(n, cells=3, temperatures=False)
    cols = {name: block[name].copy() for name in block.columns}
    for name in ("voltage_v", "current_a", "temperature_c", "cycle_index", "time_s"):
        cols[name][rng.random(n) < 0.2] = np.nan
    block = SampleBlock(cols)
    rec = create_recording(db, "x://")
    write_samples(db, rec.id, block, 0)
    assert_blocks_equal(read_samples(db, rec.id), block)


def test_blocks_append_with_changing_columns(db, make_block):
    rec = create_recording(db, "x://")
    # More rows than one read chunk, so the chunks differ in their cells too.
    first = make_block(70_000, cells=2, temperatures=False)
    second = make_block(50, cells=3, t0=7000.0, seed=2)
    write_samples(db, rec.id, first, 0)
    write_samples(db, rec.id, second, 70_000)
    back = read_samples(db, rec.id)
    expected = SampleBlock.concat([first, second])
    assert_blocks_equal(back, expected)
    assert get_recording(db, rec.id).sample_count == 70_050
    assert next_seq(db, rec.id) == 70_050


def test_read_a_range(db, make_block):
    rec = create_recording(db, "x://")
    block = make_block(300)
    write_samples(db, rec.id, block, 0)
    part = read_samples(db, rec.id, start_seq=100, stop_seq=150)
    assert len(part) == 50
    np.testing.assert_array_equal(part["time_s"], block["time_s"][100:150])


def test_non_canonical_columns_are_not_stored(db, make_block):
    block = make_block(10, cells=0, extra={"soc_percent": np.full(10, 50.0)})
    rec = create_recording(db, "x://")
    write_samples(db, rec.id, block, 0)
    assert "soc_percent" not in read_samples(db, rec.id).columns


def test_empty_recording_reads_empty_block(db, make_block):
    rec = create_recording(db, "x://")
    assert write_samples(db, rec.id, make_block(0), 0) == 0
    back = read_samples(db, rec.id)
    assert len(back) == 0 and back.columns == ["time_s", "voltage_v", "current_a"]


def test_overlapping_samples_are_refused_and_nothing_is_written(db, make_block):
    rec = create_recording(db, "x://")
    write_samples(db, rec.id, make_block(100), 0)
    with pytest.raises(StorageError, match="samples 50..149 of recording .* overlap"):
        write_samples(db, rec.id, make_block(100), 50)
    assert len(read_samples(db, rec.id)) == 100
    assert get_recording(db, rec.id).sample_count == 100


def test_unknown_recording_is_refused(db, make_block):
    with pytest.raises(StorageError, match="no recording with id 999"):
        write_samples(db, 999, make_block(10), 0)
    with pytest.raises(StorageError, match="no recording with id 999"):
        read_samples(db, 999)


def test_delete_recording_deletes_its_samples(db, make_block):
    keep = create_recording(db, "x://")
    gone = create_recording(db, "y://")
    write_samples(db, keep.id, make_block(20), 0)
    write_samples(db, gone.id, make_block(30), 0)
    assert delete_recording(db, gone.id)
    assert not delete_recording(db, gone.id)
    assert next_seq(db, gone.id) == 0
    assert len(read_samples(db, keep.id)) == 20
