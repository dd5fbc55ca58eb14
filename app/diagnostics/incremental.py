"""The contract that makes offline and live give the same numbers.

Every diagnostic with a live twin is an :class:`IncrementalDiagnostic`: the
live engine feeds it block after block; the offline function feeds it the
whole log as one block (or in blocks) and returns ``result()``. Because both
paths run the same code, they agree (tests check offline == live on the same
samples split into random blocks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from app.core import schema
from app.core.results import DiagnosticResult
from app.core.samples import SampleBlock

if TYPE_CHECKING:
    import pandas as pd


class IncrementalDiagnostic(Protocol):
    #: derived per-sample columns this diagnostic adds (e.g. ``soc_percent``)
    columns: tuple[str, ...]

    def update(self, block: SampleBlock) -> dict[str, np.ndarray]:
        """Consume one block (in time order); return its derived columns, one value per sample."""
        ...

    def result(self) -> DiagnosticResult:
        """The summary over everything seen so far."""
        ...


def as_block(df: pd.DataFrame | SampleBlock) -> SampleBlock:
    """A log as one block for an offline run of an incremental diagnostic: the
    schema's columns only (a log may carry text columns of its own)."""
    if isinstance(df, SampleBlock):
        return df
    cols = [c for c in df.columns if schema.is_canonical_column(c)]
    return SampleBlock({c: df[c].to_numpy(dtype=np.float64) for c in cols})


class GrowingArray:
    """An append-only 1-D array (amortised doubling): the samples a live
    diagnostic must keep whole, e.g. to take a median over all of them."""

    __slots__ = ("_data", "_n")

    def __init__(self, dtype=np.float64):
        self._data = np.empty(1024, dtype=dtype)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def extend(self, values: np.ndarray) -> None:
        m = len(values)
        if self._n + m > len(self._data):
            grown = np.empty(max(2 * len(self._data), self._n + m), dtype=self._data.dtype)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n : self._n + m] = values
        self._n += m

    def view(self) -> np.ndarray:
        """The values so far (a view: valid until the next :meth:`extend`)."""
        return self._data[: self._n]
