"""SampleBlock.concat: every way of joining blocks gives the samples in order."""

from __future__ import annotations

import itertools

import numpy as np

from app.core.samples import SampleBlock


def _log(n: int) -> SampleBlock:
    rng = np.random.default_rng(3)
    voltage = rng.normal(50.0, 1.0, n)
    voltage[n // 2] = np.nan
    return SampleBlock(
        {
            "time_s": np.arange(n) * 0.1,
            "voltage_v": voltage,
            "current_a": rng.normal(0.0, 10.0, n),
            "cell_1_v": rng.normal(3.7, 0.01, n),
        }
    )


def _assert_same(actual: SampleBlock, expected: SampleBlock) -> None:
    assert actual.columns == expected.columns
    for name in expected.columns:
        assert actual[name].dtype == np.float64
        np.testing.assert_array_equal(actual[name], expected[name], err_msg=name)


def test_one_sample_blocks_join_to_the_log():
    log = _log(9)
    _assert_same(SampleBlock.concat([log.slice(i, i + 1) for i in range(9)]), log)


def test_blocks_of_mixed_lengths_join_to_the_log():
    log = _log(9)
    cuts = [0, 1, 4, 4, 5, 9]
    _assert_same(SampleBlock.concat([log.slice(a, b) for a, b in itertools.pairwise(cuts)]), log)


def test_columns_in_another_order_join_by_name():
    log = _log(4)
    reordered = {name: log[name][2:] for name in reversed(log.columns)}
    _assert_same(
        SampleBlock.concat([log.slice(0, 1), log.slice(1, 2), SampleBlock(reordered)]), log
    )


def test_a_column_missing_in_a_block_is_nan_there():
    log = _log(3)
    without = SampleBlock({n: log[n][1:2] for n in log.columns if n != "cell_1_v"})
    joined = SampleBlock.concat([log.slice(0, 1), without, log.slice(2, 3)])
    np.testing.assert_array_equal(
        joined["cell_1_v"], [log["cell_1_v"][0], np.nan, log["cell_1_v"][2]]
    )


def test_one_sample_blocks_of_strided_or_big_endian_values_join_to_their_values():
    # a source read row by row may cut its one-sample columns from a table (strided
    # views) or decode them big-endian: the joined columns hold the values all the same
    log = _log(5)
    table = np.ascontiguousarray(np.column_stack([log[name] for name in log.columns]))
    blocks = [
        SampleBlock(
            {
                name: (table[i : i + 1, j] if i % 2 else table[i : i + 1, j].astype(">f8"))
                for j, name in enumerate(log.columns)
            }
        )
        for i in range(5)
    ]
    joined = SampleBlock.concat(blocks)
    _assert_same(joined, log)
    assert all(joined[name].flags.writeable for name in joined.columns)
