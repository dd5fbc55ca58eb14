"""Frames to sample rows: the latest value of every column, one row per trigger frame.

CAN frames carry a few values each, at their own rates. A :class:`RowAssembler`
keeps the latest value of every canonical column (sample and hold) and, each
time the decoder sees its *trigger* frame (the one that carries the pack
current), appends one row with all of them, once every column it is told to
:meth:`~RowAssembler.require` has arrived (a cell voltage of a multiplexed set
that comes round later is not a row without it). Rows wait in column lists until
:meth:`RowAssembler.take_block` hands them out as a
:class:`~app.core.samples.SampleBlock`.
"""

from __future__ import annotations

import math

from app.core.samples import SampleBlock
from app.core.schema import CURRENT, TIME, VOLTAGE


class RowAssembler:
    """Latest values in, rows of samples out. Not thread-safe (one acquisition thread)."""

    def __init__(self) -> None:
        self.latest: dict[str, float] = {}
        self._columns: dict[str, list[float]] = {TIME: []}
        self._n = 0
        self._required: frozenset[str] = frozenset((VOLTAGE, CURRENT))

    def require(self, columns) -> None:
        """Rows only once every one of ``columns`` (and voltage and current) has a value."""
        self._required = frozenset((VOLTAGE, CURRENT, *columns))

    def set(self, column: str, value: float) -> None:
        self.latest[column] = value

    def forget(self, column: str) -> None:
        """Stop holding ``column``'s value (its source changed): NaN until it is set again."""
        self.latest.pop(column, None)

    def emit(self, t: float) -> bool:
        """Append a row at time ``t``; False (nothing appended) until every required column
        (voltage, current and those given to :meth:`require`) is known."""
        latest = self.latest
        if not self._required <= latest.keys():
            return False
        columns = self._columns
        if latest.keys() - columns.keys():
            for name in latest:
                if name not in columns:  # a column seen for the first time: NaN before
                    columns[name] = [math.nan] * self._n
        columns[TIME].append(t)
        for name, values in columns.items():
            if name != TIME:
                values.append(latest.get(name, math.nan))
        self._n += 1
        return True

    @property
    def pending(self) -> int:
        """Rows waiting for :meth:`take_block`."""
        return self._n

    def take_block(self) -> SampleBlock | None:
        """The rows assembled so far (then forgotten), or None if there are none."""
        if not self._n:
            return None
        block = SampleBlock(self._columns)
        self._columns = {name: [] for name in self._columns}
        self._n = 0
        return block
