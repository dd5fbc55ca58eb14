"""Fake sources for the view tests: a scripted pack and a source that never opens.

conftest.py registers them as ``scripted://`` and ``failing://`` for every
test; tests import the helpers from here, never from conftest.
"""

from __future__ import annotations

import threading

import numpy as np

from app.core.errors import SourceError
from app.core.samples import SampleBlock
from app.core.spec import preset
from app.hardware.source import Source


def scripted_block(start: int, stop: int, cells: int = 4) -> SampleBlock:
    """Samples ``start..stop-1`` of a deterministic pack: 1 Hz, current
    switching sign every 120 s, cells a few mV apart."""
    k = np.arange(start, stop, dtype=float)
    current = np.where((k // 120) % 2 == 0, -5.0, 4.0)
    columns = {
        "time_s": k,
        "current_a": current,
        "temperature_c": 25.0 + 2.0 * np.sin(k / 200.0),
    }
    for c in range(1, cells + 1):
        columns[f"cell_{c}_v"] = 3.7 + 0.1 * np.sin(k / 150.0) + 0.004 * c + 0.002 * current
    columns["voltage_v"] = np.sum([columns[f"cell_{c}_v"] for c in range(1, cells + 1)], axis=0)
    return SampleBlock(columns)


class ScriptedSource(Source):
    """``scripted://pack?cells=4&n=600&block=50&interval=0``: ``n`` samples of
    :func:`scripted_block` in blocks, ``interval`` s apart; ``n=0`` never ends.
    ``fail_at=k``: the read after ``k`` samples fails (a device lost for good)."""

    def __init__(self, url, spec=None, *, cells=4, n=600, block=50, interval=0.0, fail_at=0):
        super().__init__(url, spec or preset("nmc", series_cells=cells))
        self.finite = n > 0
        self.cells, self.n, self.block, self.interval = cells, n, block, interval
        self.fail_at = fail_at
        self._next = 0
        self._pace = threading.Event()  # never set: waits pace the blocks like a device

    @classmethod
    def from_url(cls, parsed, spec=None):
        return cls(
            parsed.raw,
            spec,
            cells=parsed.pop_int("cells", 4),
            n=parsed.pop_int("n", 600),
            block=parsed.pop_int("block", 50),
            interval=parsed.pop_float("interval", 0.0),
            fail_at=parsed.pop_int("fail_at", 0),
        )

    @property
    def exhausted(self) -> bool:
        return self.finite and self._next >= self.n

    def _open_internal(self) -> None:
        self._next = 0

    def _read_internal(self, timeout):
        if self.exhausted:
            return None
        if self.interval:
            self._pace.wait(self.interval)
        if self.fail_at and self._next >= self.fail_at:
            raise SourceError("device lost")
        stop = self._next + self.block if not self.finite else min(self._next + self.block, self.n)
        block = scripted_block(self._next, stop, self.cells)
        self._next = stop
        return block


class FailingSource(Source):
    """``failing://port``: every open fails, like an unplugged adapter."""

    MESSAGE = "no battery answers on this port"

    @classmethod
    def from_url(cls, parsed, spec=None):
        return cls(parsed.raw, spec)

    def _open_internal(self) -> None:
        raise SourceError(f"{self.url}: {self.MESSAGE}")

    def _read_internal(self, timeout):  # pragma: no cover - never opened
        return None
