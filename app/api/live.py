"""What the REST endpoint tells about a running source: the latest sample,
the live diagnostics and the active alerts.

A :class:`LiveFeed` is a sink on the live engine's output (it keeps the last
row of each block, nothing else) and is read from the server's threads.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from app.core.samples import SampleBlock


class LiveFeed:
    def __init__(
        self,
        source_url: str | None = None,
        results: Callable[[], dict] | None = None,
        active_alerts: Callable[[], list[dict]] | None = None,
        state: Callable[[], str] | None = None,
        latest: Callable[[], dict[str, float]] | None = None,
        total: Callable[[], int] | None = None,
    ):
        """Fed as a sink (call it with blocks), or reading another holder of the
        data: ``latest()`` the newest value of each column and ``total()`` the
        samples so far (the window's ring buffer)."""
        self.source_url = source_url
        self._latest_fn = latest
        self._total_fn = total
        self._results = results
        self._active_alerts = active_alerts
        self._state = state
        self._latest: dict[str, float] = {}
        self._samples = 0
        self._seq = 0
        self._updated = 0.0
        self._lock = threading.Lock()
        self._cached: tuple[tuple[int, int], bytes] | None = None

    def __call__(self, block: SampleBlock) -> None:
        if not len(block):
            return
        row = {name: float(values[-1]) for name, values in block.items()}
        with self._lock:
            self._latest = row
            self._samples += len(block)
            self._seq += 1
            self._updated = time.time()

    @property
    def seq(self) -> int:
        """Goes up with every block: a stream sends when it changed."""
        return self._total_fn() if self._total_fn is not None else self._seq

    def snapshot(self) -> dict:
        if self._latest_fn is not None:
            latest = self._latest_fn()
            samples = self._total_fn() if self._total_fn else len(latest)
            updated = time.time() if latest else 0.0
        else:
            with self._lock:
                latest, samples, updated = dict(self._latest), self._samples, self._updated
        return {
            "source": self.source_url() if callable(self.source_url) else self.source_url,
            "state": self._state() if self._state else ("streaming" if samples else "waiting"),
            "samples": samples,
            "updated_at": updated or None,
            "values": {k: (v if math.isfinite(v) else None) for k, v in latest.items()},
            "results": _finite(self._results()) if self._results else None,
            "active_alerts": self._active_alerts() if self._active_alerts else [],
        }

    def snapshot_json(self, alerts_every_s: float = 1.0) -> bytes:
        """:meth:`snapshot` as JSON bytes, built once per new block (and alerts
        period): thousands of clients a second share one encoding."""
        import json

        key = (self._seq, int(time.monotonic() / alerts_every_s))
        cached = self._cached
        if cached is not None and cached[0] == key:
            return cached[1]
        body = json.dumps(_finite(self.snapshot()), default=str, separators=(",", ":")).encode()
        self._cached = (key, body)
        return body


def _finite(obj):
    """JSON has no NaN: replace non-finite floats by None, recursively."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj
