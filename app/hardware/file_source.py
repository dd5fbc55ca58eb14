"""``file://`` source: replays a log file (any format ``open_log`` reads) as a stream of blocks.

URL parameters: ``speed`` (0 = as fast as possible, the default; 1 = real
time), ``block`` (samples per block when as fast as possible, default 5000);
for CAN logs, ``dbc`` (decode through this DBC) and ``can_mapping`` (a saved
signal mapping of it).
"""

from __future__ import annotations

import time

from app.core.errors import SourceError
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec, preset
from app.hardware.registry import SourceURL
from app.hardware.source import Source

_PARAMS = {"speed", "block", "chemistry", "capacity_ah", "cells", "dbc", "can_mapping"}


class FileSource(Source):
    finite = True

    def __init__(self, url: str, path: str, spec: BatterySpec | None, speed: float, block: int):
        super().__init__(url, spec)
        self.path = path
        self.speed = speed
        self.block_size = block
        self._data: SampleBlock | None = None
        self._pos = 0
        self._t0_wall = 0.0
        self.metadata: dict[str, str] = {}
        self.dbc: str | None = None
        self.can_mapping: str | None = None

    @classmethod
    def from_url(cls, parsed: SourceURL, spec: BatterySpec | None = None) -> FileSource:
        unknown = set(parsed.params) - _PARAMS
        if unknown:
            raise SourceError(f"{parsed.raw}: unknown parameter(s) {', '.join(sorted(unknown))}")
        speed = parsed.pop_float("speed", 0.0)
        block = parsed.pop_int("block", 5000)
        if speed < 0 or block < 1:
            raise SourceError(f"{parsed.raw}: speed must be >= 0 and block >= 1")
        if spec is None and "chemistry" in parsed.params:
            spec = preset(
                parsed.params["chemistry"],
                capacity_ah=parsed.pop_float("capacity_ah"),
                series_cells=parsed.pop_int("cells"),
            )
        source = cls(parsed.raw, parsed.target, spec, speed, block)
        source.dbc = parsed.params.get("dbc")
        source.can_mapping = parsed.params.get("can_mapping")
        return source

    def _open_internal(self) -> None:
        from app.hardware.logs.can_logs import using_dbc
        from app.hardware.logs.formats import open_log

        try:
            with using_dbc(self.dbc, self.can_mapping):
                log = open_log(self.path)
        except Exception as exc:  # SchemaError already carries file and line
            raise SourceError(str(exc)) from None
        self.metadata = log.metadata
        if self.spec is None:
            self.spec = log.spec
        if self.spec is None:
            why = (
                f" (its '# spec:' line is damaged: {log.spec_problem})" if log.spec_problem else ""
            )
            raise SourceError(
                f"{self.path}: the file does not say which battery it is{why}; "
                "add ?chemistry=nmc&capacity_ah=..&cells=.. to the URL"
            )
        self._data = SampleBlock.from_frame(log.frame)
        self._pos = 0
        self._t0_wall = time.monotonic()

    def _read_internal(self, timeout: float) -> SampleBlock | None:
        assert self._data is not None
        n = len(self._data)
        if self._pos >= n:
            return None
        if self.speed == 0:
            end = min(n, self._pos + self.block_size)
        else:
            import numpy as np

            t = self._data["time_s"]
            due = t[0] + (time.monotonic() - self._t0_wall) * self.speed
            end = int(np.searchsorted(t, due, side="right"))
            if end <= self._pos:
                wait = (t[self._pos] - due) / self.speed
                time.sleep(min(max(wait, 0.0), timeout))
                return None
        out = self._data.slice(self._pos, end)
        self._pos = end
        return out

    @property
    def exhausted(self) -> bool:
        return self._data is not None and self._pos >= len(self._data)
