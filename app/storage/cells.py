"""Packing of per-cell values into one blob per sample (see :class:`app.storage.models.Sample`).

A cell blob is the values of cells 1..N as little-endian float32, cell k at
index k-1; NaN marks a cell without a value. Everything here is vectorised:
a block of n samples is an (n, N) matrix, never a Python loop over samples
except to hand single blobs to a DB driver.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.core.samples import SampleBlock
from app.core.schema import (
    CELL_TEMPERATURE_RE,
    CELL_VOLTAGE_RE,
    cell_temperature_column,
    cell_voltage_column,
)

#: dtype of one cell value inside a blob.
CELL_DTYPE = np.dtype("<f4")


def cell_matrix(block: SampleBlock, kind: str = "v") -> np.ndarray | None:
    """The (n, N) float32 matrix of ``cell_<k>_v`` (``kind="v"``) or
    ``cell_<k>_temp_c`` (``kind="temp_c"``) columns of ``block``.

    N is the highest k present; cells missing below it are NaN. Returns None
    when the block has no such column.
    """
    pattern = {"v": CELL_VOLTAGE_RE, "temp_c": CELL_TEMPERATURE_RE}[kind]
    found = {int(m.group(1)): name for name in block.columns if (m := pattern.match(name))}
    found = {k: name for k, name in found.items() if k >= 1}
    if not found:
        return None
    out = np.full((len(block), max(found)), np.nan, dtype=CELL_DTYPE)
    for k, name in found.items():
        out[:, k - 1] = block[name]
    return out


def encode_cells(matrix: np.ndarray) -> list[bytes]:
    """One blob per row of the (n, N) ``matrix``: N little-endian float32 values."""
    m = np.ascontiguousarray(matrix, dtype=CELL_DTYPE)
    if m.ndim != 2:
        raise ValueError("encode_cells needs an (n, N) matrix")
    n, k = m.shape
    if k == 0:
        return [b""] * n
    # A row viewed as one opaque void item turns into a bytes object in tolist()
    # (a C loop), which is several times faster than slicing a buffer in Python.
    return m.view(np.dtype((np.void, k * CELL_DTYPE.itemsize))).ravel().tolist()


def decode_cells(
    blobs: Sequence[bytes | memoryview | None], n_cells: int | None = None
) -> np.ndarray:
    """The (n, N) float64 matrix of ``blobs`` (as stored by :func:`encode_cells`).

    N is ``n_cells`` or else the longest blob; shorter blobs and None are
    padded with NaN.
    """
    n = len(blobs)
    sizes = np.fromiter((0 if b is None else len(b) for b in blobs), dtype=np.int64, count=n)
    if np.any(sizes % CELL_DTYPE.itemsize):
        raise ValueError("a cell blob is not a whole number of float32 values")
    counts = sizes // CELL_DTYPE.itemsize
    width = int(counts.max(initial=0)) if n_cells is None else int(n_cells)
    if n and width and np.all(counts == width):
        # The usual case: every sample has the same cells; one join, one view.
        flat = np.frombuffer(b"".join(blobs), dtype=CELL_DTYPE)  # type: ignore[arg-type]
        return flat.reshape(n, width).astype(np.float64)
    out = np.full((n, width), np.nan)
    for i, blob in enumerate(blobs):
        if blob:
            values = np.frombuffer(blob, dtype=CELL_DTYPE)[:width]
            out[i, : len(values)] = values
    return out


def cell_columns(matrix: np.ndarray, kind: str = "v") -> dict[str, np.ndarray]:
    """The canonical ``cell_<k>_…`` columns of a decoded (n, N) matrix."""
    name = {"v": cell_voltage_column, "temp_c": cell_temperature_column}[kind]
    return {name(k + 1): np.ascontiguousarray(matrix[:, k]) for k in range(matrix.shape[1])}
