"""The temperature the dashboard shows (the Temp. plot, the Temperature tile, the
cursor read-out): the pack's ``temperature_c``, or, from a source that reports only
its cells' temperatures (a foxBMS CAN trace's ``cell_7..12_temp_c``), the hottest
cell's at each sample, said to be so.

Derived for display only: it is never added to the samples, the recording, the ring
buffer or the diagnostics (a maximum is not a measurement of the pack).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from app.core import schema


class ShownTemperature(NamedTuple):
    """The shown temperature of some samples (°C, NaN where none reads; None: the data
    has no temperature at all), and how many cell sensors it is the hottest of (0: the
    pack's own ``temperature_c``)."""

    values: np.ndarray | None
    cells: int = 0

    @property
    def note(self) -> str:
        """What it is, when it is not the pack's temperature: 'hottest of 6 cell sensors'."""
        if not self.cells:
            return ""
        return f"hottest of {self.cells} cell sensor{'' if self.cells == 1 else 's'}"


def _column(data: Mapping, column: str) -> np.ndarray:
    return np.atleast_1d(np.asarray(data[column], dtype=float))


def shown_temperature(data: Mapping, rows: slice = slice(None)) -> ShownTemperature:
    """The temperature shown of ``data``'s samples ``rows`` (column -> array, or -> one
    value). ``temperature_c`` as it is when it reads anywhere in ``data``; else, when
    ``data`` has cell temperature columns, their highest at each sample."""
    pack = _column(data, schema.TEMPERATURE) if schema.TEMPERATURE in data else None
    if pack is not None and (np.isfinite(pack[rows]).any() or np.isfinite(pack).any()):
        return ShownTemperature(pack[rows])
    cells = schema.cell_temperature_columns(data)
    if not cells:
        return ShownTemperature(None if pack is None else pack[rows])
    # the highest reading of each sample, NaN where no cell reads: np.fmax passes over
    # a missing reading; column by column, without a copy of them all (a zoomed-out
    # view asks for every sample on each frame)
    hottest = _column(data, cells[0])[rows].copy()
    for column in cells[1:]:
        np.fmax(hottest, _column(data, column)[rows], out=hottest)
    return ShownTemperature(hottest, len(cells))
