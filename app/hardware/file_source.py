"""``file://`` source: replays a log file (any format ``open_log`` reads) as a stream of blocks.

URL parameters: ``speed`` (0 = as fast as possible, the default; 1 = real
time), ``block`` (samples per block when as fast as possible, default 5000);
for CAN logs, ``dbc`` (decode through this DBC) and ``can_mapping`` (a saved
signal mapping of it). The battery: ``chemistry``, ``capacity_ah``, ``cells``,
``bol_resistance_ohm`` (the cell's beginning-of-life resistance, ohm, what the
resistance SOH compares with), the limits (``cell_v_min``, ``cell_v_max``, ... as
``--cell-v-min``, ``--cell-v-max``, ...), ``ocv_table`` and ``ocv_table_current_c`` (as
``--ocv-table`` and ``--ocv-table-current-c``). A file naming no battery needs ``chemistry``;
over a file's own battery each changes what it names and nothing else, as the
same options of ``batteryos analyze`` do (``chemistry=lfp`` alone: the file's
cells and capacity in LFP's preset), and ``capacity_ah`` given is the end-of-life
reference live, as ``--capacity-ah`` is offline; ``capacity_lower_bound=1`` with it says
the capacity is only known to be at least that (a guess from a partial charge): the
current limits, C-rates of it, are then not judged. ``invert_current=1`` negates the current,
for a log that counts discharge as positive (``--invert-current`` of the CLI).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from app.core.errors import SourceError
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec, in_chemistry
from app.hardware.registry import (
    BATTERY_PARAMS,
    SourceURL,
    battery_from_url,
    url_battery_values,
    with_url_battery,
)
from app.hardware.source import Source

if TYPE_CHECKING:
    from app.hardware.logs.canonical_csv import LoadedLog

_PARAMS = {"speed", "block", "dbc", "can_mapping", "invert_current", *BATTERY_PARAMS}


def read_file_log(parsed: SourceURL) -> LoadedLog:
    """The log a ``file://`` URL names, read as its source reads it (a CAN log through
    the URL's ``dbc=`` / ``can_mapping=``); a :class:`SourceError` when it does not read."""
    return _read_log(parsed.target, parsed.params.get("dbc"), parsed.params.get("can_mapping"))


def _read_log(path: str, dbc: str | None, can_mapping: str | None) -> LoadedLog:
    from app.hardware.logs.can_logs import using_dbc
    from app.hardware.logs.formats import open_log

    try:
        with using_dbc(dbc, can_mapping):
            return open_log(path)
    except Exception as exc:  # SchemaError already carries file and line
        raise SourceError(str(exc)) from None


class FileSource(Source):
    finite = True

    def __init__(self, url: str, path: str, spec: BatterySpec | None, speed: float, block: int):
        super().__init__(url, spec)
        #: the log, once read; one a caller read already (``serve``, to know the battery
        #: its options fill in) is replayed without reading the file again
        self.log: LoadedLog | None = None
        self.path = path
        self.speed = speed
        self.block_size = block
        self._data: SampleBlock | None = None
        self._pos = 0
        self._t0_wall = 0.0
        self.metadata: dict[str, str] = {}
        self.dbc: str | None = None
        self.can_mapping: str | None = None
        #: the URL's battery parameters (``url_battery_values``), over the battery the file
        #: names on opening; None when the caller gave the battery
        self.url_battery: dict[str, object] | None = None
        #: the URL's ``invert_current=1``: the log counts discharge as positive
        self.invert_current = False

    @classmethod
    def from_url(cls, parsed: SourceURL, spec: BatterySpec | None = None) -> FileSource:
        unknown = set(parsed.params) - _PARAMS
        if unknown:
            raise SourceError(f"{parsed.raw}: unknown parameter(s) {', '.join(sorted(unknown))}")
        speed = parsed.pop_float("speed", 0.0)
        block = parsed.pop_int("block", 5000)
        if speed < 0 or block < 1:
            raise SourceError(f"{parsed.raw}: speed must be >= 0 and block >= 1")
        invert = parsed.params.get("invert_current", "0")
        if invert not in ("0", "1"):
            raise SourceError(f"{parsed.raw}: parameter invert_current must be 0 or 1")
        given = spec is not None
        spec = battery_from_url(parsed, spec, named_later=True)
        source = cls(parsed.raw, parsed.target, spec, speed, block)
        source.url_battery = None if given else url_battery_values(parsed)
        source.dbc = parsed.params.get("dbc")
        source.can_mapping = parsed.params.get("can_mapping")
        source.invert_current = invert == "1"
        return source

    def _open_internal(self) -> None:
        if self.log is None:
            self.log = _read_log(self.path, self.dbc, self.can_mapping)
        log = self.log
        self.metadata = log.metadata
        if self.url_battery is not None and log.spec is not None:
            self.spec = self._over_file_battery(log.spec, self.url_battery, self.url)
        elif self.url_battery is not None and self.spec is not None:
            self.spec = self._cells_from_samples(self.spec, self.url_battery, log.frame)
        if self.spec is None:
            why = (
                f" (its '# spec:' line is damaged: {log.spec_problem})" if log.spec_problem else ""
            )
            raise SourceError(
                f"{self.path}: the file does not say which battery it is{why}; "
                "add ?chemistry=nmc&capacity_ah=..&cells=.. to the URL"
            )
        frame = log.frame
        if self.invert_current:
            from app.core.schema import with_current_inverted

            frame = with_current_inverted(frame)
        self._data = SampleBlock.from_frame(frame)
        self._pos = 0
        self._t0_wall = time.monotonic()

    @staticmethod
    def _over_file_battery(spec: BatterySpec, given: dict[str, object], url: str) -> BatterySpec:
        """The URL's battery parameters over the file's own battery, as ``analyze``'s
        options over it (:func:`app.cli.battery_options.spec_from_args`)."""
        if "chemistry" in given:
            spec = in_chemistry(spec, given["chemistry"])
        spec = spec.with_overrides(
            capacity_ah=given.get("capacity_ah"), series_cells=given.get("cells")
        )
        return with_url_battery(spec, given, url)

    @staticmethod
    def _cells_from_samples(spec: BatterySpec, given: dict[str, object], frame) -> BatterySpec:
        """A file naming no battery, the URL one without ``cells``: the series cells its
        samples give, as ``analyze`` takes them with no ``--cells``
        (:func:`app.cli.battery_options.spec_from_args`), not the preset's one cell
        (a foxBMS trace with ``chemistry=nmc&capacity_ah=10`` is 32 cells, which its
        cell count check refused as "the battery's 1 cell")."""
        if "cells" in given:
            return spec
        from app.core.schema import series_cells_in
        from app.hardware.cell_count import cells_the_data_shows

        cells = cells_the_data_shows(frame) or series_cells_in(frame)
        return spec.with_overrides(series_cells=cells) if cells else spec

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
