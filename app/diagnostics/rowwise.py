"""Reductions across the few columns of a (samples, columns) array -- the cells of a
pack -- computed column by column.

numpy reduces the short rows of such an array one sample at a time (``mean``,
``max``, ``all`` along ``axis=1``: ~15-40 ms per 1e6 samples of 4 cells); the same
operations over whole columns cost a few ms. Each function takes the 2-D array or
its columns (a sequence of 1-D arrays: a log's own contiguous columns are
fastest, with nothing stacked). The values are numpy's: max, min
and ``all`` are exact whatever the order, and :func:`row_mean` replays numpy's
pairwise summation of a row (in order below 8 values, else eight running sums
combined pairwise, then the remainder in order), so it gives
``np.mean(x, axis=1)`` bit for bit. A long array is taken :data:`CHUNK_ROWS`
rows at a time (each row's value depends on that row only), so the running
result stays in cache while every column is folded into it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: numpy sums up to this many values with eight running sums (its pairwise block)
_PAIRWISE_BLOCK = 128
#: rows taken at a time: the running result and a slice of every column of a
#: 16-cell pack fit in cache (over whole 1e6-sample columns each column's fold
#: reads and writes the 8 MB result again)
CHUNK_ROWS = 8192


Columns = np.ndarray | Sequence[np.ndarray]


def _columns(x: Columns) -> list[np.ndarray]:
    return [x[:, j] for j in range(x.shape[1])] if isinstance(x, np.ndarray) else list(x)


def _by_chunks(fn, cols: list[np.ndarray]) -> np.ndarray:
    """``fn(cols)`` (a row-by-row result) computed :data:`CHUNK_ROWS` rows at a time."""
    n = len(cols[0]) if cols else 0
    if n <= CHUNK_ROWS:
        return fn(cols)
    first = fn([c[:CHUNK_ROWS] for c in cols])
    out = np.empty(n, dtype=first.dtype)
    out[:CHUNK_ROWS] = first
    for a in range(CHUNK_ROWS, n, CHUNK_ROWS):
        out[a : a + CHUNK_ROWS] = fn([c[a : a + CHUNK_ROWS] for c in cols])
    return out


def row_sum(x: Columns) -> np.ndarray:
    """``np.sum(x, axis=1)`` of a 2-D float array (the same bits)."""
    cols = _columns(x)
    if len(cols) == 0 or len(cols) > _PAIRWISE_BLOCK:
        return (x if isinstance(x, np.ndarray) else np.column_stack(cols)).sum(axis=1)
    return _by_chunks(_row_sum, cols)


def _row_sum(cols: list[np.ndarray]) -> np.ndarray:
    m = len(cols)
    # (numpy's sum of a row starts from +0.0: -0.0 sums to +0.0)
    if m < 8:
        total = cols[0] + 0.0
        for c in cols[1:]:
            total += c
        return total
    acc = cols[:8]
    full = m - m % 8
    for a in range(8, full, 8):
        acc = [acc[j] + cols[a + j] for j in range(8)]  # (new arrays: cols stay)
    total = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
    for c in cols[full:]:
        total += c
    total += 0.0
    return total


def row_mean(x: Columns) -> np.ndarray:
    """``np.mean(x, axis=1)`` of a 2-D float array with at least one column (the same bits)."""
    return row_sum(x) / len(_columns(x))


def row_max(x: Columns) -> np.ndarray:
    """``np.max(x, axis=1)`` (NaN where a row has one) of an array with columns."""
    return row_fold(np.maximum, x)


def row_min(x: Columns) -> np.ndarray:
    """``np.min(x, axis=1)`` (NaN where a row has one) of an array with columns."""
    return row_fold(np.minimum, x)


def row_fold(ufunc: np.ufunc, x: Columns) -> np.ndarray:
    """``ufunc.reduce(x, axis=1)`` of an array with columns, for a ufunc whose result
    does not depend on the order (maximum, minimum, fmax, fmin, logical_and...)."""
    return _by_chunks(lambda cols: _fold(ufunc, cols), _columns(x))


def _fold(ufunc: np.ufunc, cols: list[np.ndarray]) -> np.ndarray:
    out = np.array(cols[0], dtype=np.float64)
    for c in cols[1:]:
        ufunc(out, c, out=out)
    return out


def row_all_finite(x: Columns) -> np.ndarray:
    """``np.isfinite(x).all(axis=1)`` of an array with columns."""
    return _by_chunks(_all_finite, _columns(x))


def _all_finite(cols: list[np.ndarray]) -> np.ndarray:
    out = np.isfinite(cols[0])
    for c in cols[1:]:
        out &= np.isfinite(c)
    return out


def row_summary(x: Columns) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(:func:`row_all_finite`, :func:`row_mean`, :func:`row_max`, :func:`row_min`) of
    an array with columns, in one pass of :data:`CHUNK_ROWS` rows at a time (each
    column's chunk read once for the four, while in cache); the same bits as each.
    A row is all finite when its max and min are (max and min propagate NaN, and an
    infinite value is the max or the min), so no per-column finiteness test."""
    cols = _columns(x)
    m = len(cols)
    if m > _PAIRWISE_BLOCK:
        return row_all_finite(cols), row_mean(cols), row_max(cols), row_min(cols)
    n = len(cols[0])
    finite = np.empty(n, dtype=bool)
    mean, hi, lo = np.empty(n), np.empty(n), np.empty(n)
    for a in range(0, n, CHUNK_ROWS):
        part = [c[a : a + CHUNK_ROWS] for c in cols]
        b = a + len(part[0])
        mean[a:b] = _row_sum(part) / m
        hi[a:b] = _fold(np.maximum, part)
        lo[a:b] = _fold(np.minimum, part)
        np.isfinite(hi[a:b], out=finite[a:b])
        finite[a:b] &= np.isfinite(lo[a:b])
    return finite, mean, hi, lo
