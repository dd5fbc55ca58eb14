"""SampleBlock: a block of samples in the canonical schema, as numpy columns.

Live data moves between threads in blocks, never row by row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np

from app.core.schema import REQUIRED_COLUMNS, TIME

if TYPE_CHECKING:
    import pandas as pd


#: rows written at a time by :meth:`SampleBlock.stack`
_STACK_ROWS = 8192


class SampleBlock:
    """An immutable-by-convention mapping of column name to a 1-D float64 array.

    All columns have the same length. ``time_s`` is always present.
    """

    __slots__ = ("_columns", "_n")

    def __init__(self, columns: Mapping[str, np.ndarray]):
        cols = {k: np.asarray(v, dtype=np.float64) for k, v in columns.items()}
        missing = [c for c in REQUIRED_COLUMNS if c not in cols]
        if missing:
            raise ValueError(f"SampleBlock needs columns {missing}")
        lengths = {v.shape for v in cols.values()}
        if len(lengths) != 1 or len(next(iter(lengths))) != 1:
            raise ValueError(f"SampleBlock columns must be 1-D and of equal length: {lengths}")
        self._columns = cols
        self._n = len(cols[TIME])

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, name: str) -> np.ndarray:
        return self._columns[name]

    def __contains__(self, name: object) -> bool:
        return name in self._columns

    def get(self, name: str, default=None):
        return self._columns.get(name, default)

    def stack(self, names: Iterable[str], out: np.ndarray | None = None) -> np.ndarray:
        """Columns ``names`` side by side (samples x names); NaN where one is missing.
        Into ``out`` (float64, samples x names) if given."""
        cols = [self._columns.get(name) for name in names]
        if out is None:
            out = np.empty((self._n, len(cols)))
        # a block of rows at a time: its rows stay in cache while each column is
        # written into them (column by column over all rows is ~3x slower for 16)
        for a in range(0, self._n, _STACK_ROWS):
            rows = out[a : a + _STACK_ROWS]
            for j, col in enumerate(cols):
                rows[:, j] = np.nan if col is None else col[a : a + _STACK_ROWS]
        return out

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    def items(self):
        return self._columns.items()

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self._columns)

    def slice(self, start: int, stop: int) -> SampleBlock:
        return SampleBlock({k: v[start:stop] for k, v in self._columns.items()})

    @staticmethod
    def concat(blocks: Iterable[SampleBlock]) -> SampleBlock:
        """Join blocks in order. Columns missing in some block are NaN there."""
        blocks = [b for b in blocks if b._n]
        if not blocks:
            raise ValueError("nothing to concatenate")
        tables = [b._columns for b in blocks]
        first = tables[0]
        names = tuple(first)
        if all(map(names.__eq__, map(tuple, tables))):
            # the usual case (one source, the same columns in the same order): no NaN
            # filling, and the columns of all blocks are read in C, not name by name
            if len(tables) == sum(b._n for b in blocks):
                # one sample per block (a source read row by row): the values' bytes
                # joined in C (a one-value float64 array is contiguous), where
                # np.concatenate costs ~200 ns a piece and a float per value ~100
                raw = b"".join(chain.from_iterable(map(dict.values, tables)))
                rows = np.frombuffer(raw, dtype=np.float64).reshape(len(tables), len(names))
                out = dict(zip(names, rows.T.copy(), strict=True))
            else:
                columns = zip(*map(dict.values, tables), strict=True)
                out = dict(zip(names, map(np.concatenate, columns), strict=True))
        else:
            names = dict.fromkeys(name for b in blocks for name in b._columns)
            out = {
                name: np.concatenate(
                    [b._columns.get(name, np.full(len(b), np.nan)) for b in blocks]
                )
                for name in names
            }
        return SampleBlock(out)

    @staticmethod
    def from_frame(df: pd.DataFrame) -> SampleBlock:
        return SampleBlock({c: df[c].to_numpy(dtype=np.float64) for c in df.columns})
