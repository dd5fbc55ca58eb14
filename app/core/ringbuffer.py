"""Preallocated numpy ring buffers: the acquisition side appends blocks, the GUI
reads snapshots on a timer. One writer thread, any number of readers.
"""

from __future__ import annotations

import threading

import numpy as np

from app.core.samples import SampleBlock


class RingBuffer:
    """A fixed-capacity, multi-column ring buffer of float64 samples.

    Columns are created on first sight (back-filled with NaN). ``snapshot``
    returns contiguous copies in time order, so readers never see a
    half-written block.
    """

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError("capacity must be positive")
        self.capacity = int(capacity)
        self._data: dict[str, np.ndarray] = {}
        self._head = 0  # index of the next write
        self._count = 0  # valid samples (<= capacity)
        self._total = 0  # samples ever appended
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._count

    @property
    def total(self) -> int:
        """Samples ever appended (monotonic; lets readers detect new data)."""
        return self._total

    @property
    def columns(self) -> list[str]:
        return list(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._head = self._count = self._total = 0

    def append(self, block: SampleBlock) -> None:
        n = len(block)
        if n == 0:
            return
        with self._lock:
            for name in block.columns:
                if name not in self._data:
                    self._data[name] = np.full(self.capacity, np.nan)
            if n >= self.capacity:  # only the newest samples fit
                for name, arr in self._data.items():
                    src = block.get(name)
                    arr[:] = src[-self.capacity :] if src is not None else np.nan
                self._head = 0
                self._count = self.capacity
            else:
                end = self._head + n
                first = min(n, self.capacity - self._head)
                for name, arr in self._data.items():
                    src = block.get(name)
                    if src is None:
                        arr[self._head : self._head + first] = np.nan
                        if end > self.capacity:
                            arr[: end - self.capacity] = np.nan
                        continue
                    arr[self._head : self._head + first] = src[:first]
                    if end > self.capacity:
                        arr[: end - self.capacity] = src[first:]
                self._head = end % self.capacity
                self._count = min(self.capacity, self._count + n)
            self._total += n

    def snapshot(
        self, columns: list[str] | None = None, last: int | None = None
    ) -> dict[str, np.ndarray]:
        """Copies of the newest ``last`` samples (all by default), oldest first."""
        return self.snapshot_with_total(columns, last)[0]

    def snapshot_with_total(
        self, columns: list[str] | None = None, last: int | None = None
    ) -> tuple[dict[str, np.ndarray], int]:
        """:meth:`snapshot` and the :attr:`total` it includes, read together: a
        reader comparing totals never counts one append twice or misses one."""
        with self._lock:
            n = self._count if last is None else min(last, self._count)
            names = list(self._data) if columns is None else [c for c in columns if c in self._data]
            start = (self._head - n) % self.capacity
            out = {}
            for name in names:
                arr = self._data[name]
                if start + n <= self.capacity:
                    out[name] = arr[start : start + n].copy()
                else:
                    out[name] = np.concatenate((arr[start:], arr[: (start + n) - self.capacity]))
            return out, self._total

    def latest(self) -> dict[str, float]:
        """The newest value of each column (empty when the buffer is empty)."""
        with self._lock:
            if not self._count:
                return {}
            i = (self._head - 1) % self.capacity
            return {name: float(arr[i]) for name, arr in self._data.items()}
