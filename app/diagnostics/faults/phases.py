"""Regular bins in phase layout: the bin stage's per-sample work without strided sums.

A chunk of ``m`` bins of ``k`` samples each, (rows, k * m) in time order, is laid out
as (rows, k, m): ``a[r, j, b]`` is sample ``j`` of bin ``b``. A bin's sum is then
``a[:, 0] + a[:, 1] + ... + a[:, k - 1]``: contiguous adds, in the order the strided
sums of :func:`~app.diagnostics.faults.common.strided_sums` take (the same bits),
where those read every value ``k`` times through a stride. A sample's predecessor is
the previous phase of its bin, or for phase 0 the last phase of the bin before (for
the first bin, the samples before the chunk): differences and minima over
consecutive samples are the same element-wise operations as in time order.
"""

from __future__ import annotations

import numpy as np


def to_phases(x: np.ndarray, k: int, out: np.ndarray) -> np.ndarray:
    """``x`` (rows, k * m) in time order into ``out`` (rows, k, m), one phase at a time."""
    for j in range(k):
        out[:, j] = x[:, j::k]
    return out


def to_time(a: np.ndarray) -> np.ndarray:
    """A (rows, k, m) phase array back in time order, (rows, k * m) (a new array)."""
    rows, k, m = a.shape
    return a.transpose(0, 2, 1).reshape(rows, k * m)


def with_shifted(
    ufunc: np.ufunc, x: np.ndarray, a: np.ndarray, before: np.ndarray, s: int, out: np.ndarray
) -> np.ndarray:
    """``ufunc(x, a shifted by s samples)`` into ``out`` (all (rows, k, m), s < k): each
    sample's ``x`` with the ``a`` of the sample ``s`` before it; ``before`` (rows, s)
    holds the ``s`` samples before the chunk, in time order. ``out`` may be ``x``."""
    k = a.shape[1]
    ufunc(x[:, s:], a[:, : k - s], out=out[:, s:])
    ufunc(x[:, :s, 1:], a[:, k - s :, :-1], out=out[:, :s, 1:])
    ufunc(x[:, :s, 0], before, out=out[:, :s, 0])
    return out


def phase_sums(a: np.ndarray, acc: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Per row and bin, the sum of the phases of ``a`` (rows, k, m), added in order in
    ``a``'s dtype in ``acc`` (rows, m), converted into ``out`` (rows, m)."""
    k = a.shape[1]
    if k >= 2:  # (the first add from the first two phases: no copy of the first)
        np.add(a[:, 0], a[:, 1], out=acc)
    else:
        np.copyto(acc, a[:, 0])
    for j in range(2, k):
        np.add(acc, a[:, j], out=acc)
    out[...] = acc
    return out
