"""The user's mapping of a home-made rig's text lines to canonical columns.

A :class:`LineMapping` says how to read one device's lines: ``csv`` (fields by
1-based position, or by name once the device printed a header line) or ``kv``
(``key=value`` or ``key:value`` pairs), and for each field the canonical column,
a scale and an offset: ``column = raw * scale + offset``. Qt-free; the GUI edits
it. Mappings are saved per device as JSON in ``<config dir>/line_mappings/``.

Inline form (URL parameter ``map=``): ``field:column[:scale[:offset]]``,
comma-separated, e.g. ``map=mV:voltage_v:0.001,mA:current_a:0.001``.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from app.core import schema
from app.core.errors import SourceError
from app.core.settings import config_dir

FORMATS = ("csv", "kv")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.\- ]{1,64}$")


@dataclass(frozen=True)
class FieldMap:
    """One field of a line -> one canonical column (``raw * scale + offset``)."""

    field: str
    column: str
    scale: float = 1.0
    offset: float = 0.0

    def to_dict(self) -> dict:
        return {
            "field": self.field,
            "column": self.column,
            "scale": self.scale,
            "offset": self.offset,
        }

    @classmethod
    def from_dict(cls, d: dict) -> FieldMap:
        return cls(
            str(d["field"]),
            str(d["column"]),
            float(d.get("scale", 1.0)),
            float(d.get("offset", 0.0)),
        )


@dataclass(frozen=True)
class LineMapping:
    """How to turn one device's lines into samples."""

    name: str = ""
    format: str = "csv"
    fields: tuple[FieldMap, ...] = field(default_factory=tuple)
    delimiter: str = ","  #: csv field separator (``,``, ``;``, ``\\t`` or ``" "`` for any blanks)

    def validate(self) -> LineMapping:
        """Raise :class:`SourceError` naming what is wrong; returns self."""
        where = f"line mapping {self.name!r}" if self.name else "line mapping"
        if self.format not in FORMATS:
            raise SourceError(f"{where}: format must be csv or kv, not {self.format!r}")
        if not self.fields:
            raise SourceError(f"{where}: maps no field")
        columns = [f.column for f in self.fields]
        for f in self.fields:
            if f.column != schema.TIME and not schema.is_canonical_column(f.column):
                raise SourceError(f"{where}: {f.column!r} is not a canonical column")
            if not (math.isfinite(f.scale) and math.isfinite(f.offset)) or f.scale == 0:
                raise SourceError(f"{where}: field {f.field!r} needs a finite, non-zero scale")
            if not f.field:
                raise SourceError(f"{where}: a field without a name")
        dup = {c for c in columns if columns.count(c) > 1}
        if dup:
            raise SourceError(f"{where}: column(s) {', '.join(sorted(dup))} mapped twice")
        if schema.VOLTAGE not in columns:
            raise SourceError(f"{where}: no field is mapped to voltage_v")
        return self

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "format": self.format,
            "delimiter": self.delimiter,
            "fields": [f.to_dict() for f in self.fields],
        }

    @classmethod
    def from_dict(cls, d: dict) -> LineMapping:
        try:
            return cls(
                name=str(d.get("name", "")),
                format=str(d.get("format", "csv")),
                delimiter=str(d.get("delimiter", ",")),
                fields=tuple(FieldMap.from_dict(f) for f in d["fields"]),
            ).validate()
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceError(f"line mapping {d.get('name', '')!r} is malformed: {exc}") from None

    @classmethod
    def parse_inline(cls, text: str, fmt: str = "csv", name: str = "") -> LineMapping:
        """``field:column[:scale[:offset]],...`` -> a mapping."""
        fields = []
        for item in filter(None, (s.strip() for s in text.split(","))):
            parts = item.split(":")
            if len(parts) < 2 or len(parts) > 4:
                raise SourceError(
                    f"map item {item!r} must be field:column[:scale[:offset]] "
                    "(e.g. mV:voltage_v:0.001)"
                )
            try:
                nums = [float(p) for p in parts[2:]]
            except ValueError:
                raise SourceError(f"map item {item!r}: scale and offset must be numbers") from None
            fields.append(FieldMap(parts[0], parts[1], *nums))
        return cls(name=name, format=fmt, fields=tuple(fields)).validate()


# --- saved per device -------------------------------------------------------
def mappings_dir() -> Path:
    return config_dir() / "line_mappings"


def _path(name: str) -> Path:
    if not _NAME_RE.match(name) or name.startswith("."):
        raise SourceError(
            f"line mapping name {name!r}: use 1-64 letters, digits, space, '_', '-' or '.'"
        )
    return mappings_dir() / f"{name}.json"


def save_mapping(mapping: LineMapping) -> Path:
    """Save ``mapping`` under its name (replacing one of the same name)."""
    mapping.validate()
    path = _path(mapping.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(mapping.to_dict(), indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return path


def load_mapping(name: str) -> LineMapping:
    """The saved mapping ``name``; :class:`SourceError` if there is none."""
    path = _path(name)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        known = ", ".join(list_mappings()) or "none saved yet"
        raise SourceError(f"no saved line mapping {name!r} (saved: {known})") from None
    except (OSError, ValueError) as exc:
        raise SourceError(f"line mapping {name!r} cannot be read: {exc}") from None
    if not isinstance(raw, dict):
        raise SourceError(f"line mapping {name!r} is malformed")
    return LineMapping.from_dict({**raw, "name": name})


def list_mappings() -> list[str]:
    """Names of the saved mappings."""
    folder = mappings_dir()
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def delete_mapping(name: str) -> None:
    _path(name).unlink(missing_ok=True)
