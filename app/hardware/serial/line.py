"""Generic text-line protocol of home-made rigs and instruments: ``protocol=line``.

``serial:///dev/ttyUSB0?protocol=line&baud=115200&mapping=NAME`` reads lines
(``\\n`` or ``\\r\\n``) with the saved mapping ``NAME``
(:mod:`app.hardware.serial.line_mapping`); or give it inline:
``...&format=csv&map=2:voltage_v:0.001,3:current_a:0.001`` (``format`` is
``csv`` or ``kv``; with ``mapping=`` it overrides the saved format).

A line that maps no field (a banner, "ready", a comment) is counted unknown;
a CSV line of names only is the header (fields may then be named); a line
whose mapped fields are missing or not numbers is counted bad. A field mapped
to ``time_s`` is the device's clock: samples keep its spacing, anchored to the
arrival of the first line (and re-anchored if the device clock jumps back).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable

from app.core.errors import SourceError
from app.core.schema import TIME
from app.hardware.registry import SourceURL
from app.hardware.serial.line_mapping import FORMATS, LineMapping, load_mapping
from app.hardware.serial.port import SerialSource
from app.hardware.source import SourceHealth

MAX_LINE = 4096
_KV = re.compile(r"([A-Za-z_][\w.\-\[\]]*)\s*[=:]\s*([^\s,;=]+)")


class LineDecoder:
    """Text lines -> sample rows through a :class:`LineMapping`."""

    frame_name = "mapped line"

    def __init__(
        self,
        health: SourceHealth,
        mapping: LineMapping,
        clock: Callable[[], float] | None = None,
    ):
        self.health = health
        self.mapping = mapping.validate()
        self.clock = clock or time.monotonic
        self.header: dict[str, int] = {}
        self._buf = b""
        self._anchor: tuple[float, float] | None = None  # (device time, host time)
        self._t_prev = -math.inf

    def reset(self) -> None:
        self._buf = b""
        self._anchor = None

    def feed(self, data: bytes) -> list[dict[str, float]]:
        buf = self._buf + data
        lines = buf.split(b"\n")
        self._buf = lines.pop()
        if len(self._buf) > MAX_LINE:
            self.health.count_bad(f"a line longer than {MAX_LINE} bytes")
            self._buf = b""
        rows = []
        for raw in lines:
            row = self._line(raw.strip(b"\r\x00 \t"))
            if row is not None:
                rows.append(row)
        return rows

    def _line(self, raw: bytes) -> dict[str, float] | None:
        if not raw:
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.health.count_bad(f"line is not text: {raw[:40]!r}")
            return None
        values = self._csv(text) if self.mapping.format == "csv" else self._kv(text)
        if values is None:
            return None
        row: dict[str, float] = {}
        for f in self.mapping.fields:
            value = values.get(f.field)
            if value is None:
                continue
            try:
                x = float(value)
            except ValueError:
                self.health.count_bad(f"field {f.field}={value!r} is not a number: {text[:60]!r}")
                return None
            row[f.column] = x * f.scale + f.offset
        if not row:
            self.health.count_unknown(f"line maps no field: {text[:60]!r}")
            return None
        if "voltage_v" not in row:
            self.health.count_bad(f"line without the voltage field: {text[:60]!r}")
            return None
        self.health.frames_ok += 1
        if TIME in row:
            row[TIME] = self._host_time(row[TIME])
        return row

    def _csv(self, text: str) -> dict[str, str] | None:
        d = self.mapping.delimiter
        parts = text.split() if d == " " else text.split(d)
        if not _starts_numeric(parts[0]) and not any(_is_number(p) for p in parts):
            self.header = {name.strip(): i for i, name in enumerate(parts) if name.strip()}
            return None
        values = {}
        n = len(parts)
        for f in self.mapping.fields:
            i = self.header.get(f.field)
            if i is None and f.field.isdigit():
                i = int(f.field) - 1
            if i is not None and 0 <= i < n:
                values[f.field] = parts[i].strip()
        return values

    def _kv(self, text: str) -> dict[str, str]:
        return dict(_KV.findall(text))

    def _host_time(self, device_t: float) -> float:
        now = self.clock()
        if self._anchor is None or device_t - self._anchor[0] + self._anchor[1] < self._t_prev:
            self._anchor = (device_t, max(now, self._t_prev))
        t = self._anchor[1] + device_t - self._anchor[0]
        self._t_prev = t
        return t


def _starts_numeric(text: str) -> bool:
    """Cheap first look: a number starts with a digit, a sign or a point."""
    t = text.lstrip()
    return bool(t) and (t[0].isdigit() or t[0] in "+-.")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class LineSource(SerialSource):
    """A rig printing CSV or key=value lines, read through a user mapping."""

    protocol = "line"
    default_baud = 115200
    default_timeout_s = 10.0
    protocol_params = ("mapping", "map", "format")

    def __init__(self, *args, mapping: LineMapping, **kwargs):
        self.mapping = mapping
        super().__init__(*args, **kwargs)

    @classmethod
    def _options(cls, parsed: SourceURL) -> dict:
        p = parsed.params
        fmt = p.get("format")
        if fmt is not None and fmt not in FORMATS:
            raise SourceError(f"{parsed.raw}: parameter format must be csv or kv")
        try:
            if "map" in p and "mapping" in p:
                raise SourceError("give either mapping=NAME or map=..., not both")
            if "map" in p:
                mapping = LineMapping.parse_inline(p["map"], fmt or "csv")
            elif "mapping" in p:
                mapping = load_mapping(p["mapping"])
                if fmt is not None:
                    mapping = LineMapping(mapping.name, fmt, mapping.fields, mapping.delimiter)
            else:
                raise SourceError(
                    "needs mapping=NAME (a saved mapping) or map=field:column[:scale[:offset]],..."
                )
        except SourceError as exc:
            raise SourceError(f"{parsed.raw}: {exc}") from None
        return {"mapping": mapping}

    def _make_decoder(self) -> LineDecoder:
        return LineDecoder(self.health, self.mapping, clock=self._elapsed)

    def _elapsed(self) -> float:
        return time.monotonic() - (self._t0 or 0.0)

    def describe(self) -> dict:
        d = super().describe()
        d["serial"]["mapping"] = self.mapping.to_dict()
        return d
