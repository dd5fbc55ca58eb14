"""Which column of a table is which canonical column: :class:`ColumnMapping` (Qt-free).

Every tabular reader (Arbin, Maccor, Neware, BDF, generic CSV/TSV/XLSX) turns
its raw table into the canonical schema through a :class:`ColumnMapping`; the
cycler readers use fixed ones, the generic reader a suggested or remembered one.

API for a column-mapping dialog (the GUI builds it against this module):

- ``mapping = suggest_mapping(headers, sample)`` -- a first guess from header
  names and units (``"Voltage (mV)"`` -> ``voltage_v`` with ``scale=1e-3``;
  ``"Time (h:mm:ss)"`` or values like ``"1:02:03"`` -> a duration; a date
  column -> an absolute time). ``headers`` are the file's column names,
  ``sample`` an optional DataFrame of its first rows (strings are fine).
- ``mapping.columns`` is a ``dict`` *canonical field* -> :class:`ColumnSpec`
  (``source`` header, ``scale``, ``offset``, ``kind``), with
  ``canonical = raw * scale + offset``. Fields: those of
  :data:`MAPPABLE_FIELDS` (``time_s``, ``voltage_v``, ``current_a``,
  ``temperature_c``, ``cycle_index``, ``step_index``, ``cell_<k>_v``, ...),
  plus ``timestamp`` (an absolute date-time column: gives
  ``metadata["start_utc"]``, and ``time_s`` when no relative time is mapped) and
  the cycler's own counters ``charge_capacity_ah``, ``discharge_capacity_ah``,
  ``charge_energy_wh``, ``discharge_energy_wh`` (kept for cross-checks).
  A dialog edits this dict and calls :meth:`ColumnMapping.missing` to show what
  is still required. ``scale=-1`` on ``current_a`` flips a file whose
  discharge current is positive (Battery OS: charging is positive).
- ``mapping.delimiter``, ``mapping.decimal``, ``mapping.header_line`` (0-based
  line of the header row), ``mapping.dayfirst`` describe the text layout;
  :func:`~app.hardware.logs.units.sniff_dialect` guesses them.
- ``mapping.to_dict()`` / ``ColumnMapping.from_dict(d)`` -- plain JSON.
- ``save_mapping(pattern, mapping)`` remembers it for file names matching the
  glob ``pattern`` (e.g. ``"rig3_*.csv"``) in ``column_mappings.json`` in the
  settings directory (:func:`app.core.settings.config_dir`);
  ``mapping_for(path)`` finds the newest remembered mapping whose pattern
  matches the file's name; ``forget_mapping(pattern)`` drops one;
  ``saved_mappings()`` lists them.
- ``open_log(path)`` uses a remembered mapping for a generic file
  automatically; ``app.hardware.logs.generic.read(path, mapping=m)`` reads with
  an explicit one (what a dialog's "preview" calls).
"""

from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.errors import SchemaError
from app.hardware.logs import units

if TYPE_CHECKING:
    import pandas as pd


class ValueKind(StrEnum):
    """How a column's cells are written."""

    NUMBER = "number"  # 3.71, 1.2e-3, or 3,71 with a decimal comma
    DURATION = "duration"  # h:mm:ss, d-hh:mm:ss
    DATETIME = "datetime"  # an absolute date and time (or epoch seconds)


TIMESTAMP = "timestamp"
CYCLER_COUNTERS = (
    "charge_capacity_ah",
    "discharge_capacity_ah",
    "charge_energy_wh",
    "discharge_energy_wh",
)
MAPPABLE_FIELDS: tuple[str, ...] = (
    *schema.REQUIRED_COLUMNS,
    *schema.OPTIONAL_COLUMNS,
    TIMESTAMP,
    *CYCLER_COUNTERS,
)


@dataclass
class ColumnSpec:
    """One canonical field read from column ``source``: ``raw * scale + offset``."""

    source: str
    scale: float = 1.0
    offset: float = 0.0
    kind: ValueKind = ValueKind.NUMBER

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "scale": self.scale,
            "offset": self.offset,
            "kind": self.kind.value,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ColumnSpec:
        return cls(
            source=str(d["source"]),
            scale=float(d.get("scale", 1.0)),
            offset=float(d.get("offset", 0.0)),
            kind=ValueKind(d.get("kind", "number")),
        )


@dataclass
class ColumnMapping:
    """Canonical field -> :class:`ColumnSpec`, plus the text layout of the file."""

    columns: dict[str, ColumnSpec] = field(default_factory=dict)
    delimiter: str = ","
    decimal: str = "."
    header_line: int = 0
    dayfirst: bool = False

    def missing(self) -> list[str]:
        """Required fields not mapped yet (``time_s`` is satisfied by a ``timestamp``)."""
        need = [schema.VOLTAGE, schema.CURRENT]
        if schema.TIME not in self.columns and TIMESTAMP not in self.columns:
            need.insert(0, schema.TIME)
        return [f for f in need if f not in self.columns]

    def to_dict(self) -> dict:
        return {
            "columns": {k: v.to_dict() for k, v in self.columns.items()},
            "delimiter": self.delimiter,
            "decimal": self.decimal,
            "header_line": self.header_line,
            "dayfirst": self.dayfirst,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ColumnMapping:
        try:
            return cls(
                columns={k: ColumnSpec.from_dict(v) for k, v in d.get("columns", {}).items()},
                delimiter=str(d.get("delimiter", ",")),
                decimal=str(d.get("decimal", ".")),
                header_line=int(d.get("header_line", 0)),
                dayfirst=bool(d.get("dayfirst", False)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SchemaError(f"not a column mapping ({exc})") from None

    def apply(
        self, raw: pd.DataFrame, origin: str, first_line: int
    ) -> tuple[pd.DataFrame, dict[str, str]]:
        """The canonical frame (validated) and metadata of ``raw``, a table of this layout.

        ``first_line`` is the 1-based file line of ``raw``'s first row, for errors.
        When ``raw.attrs["ends_mid_line"]`` (the file stops inside its last line,
        e.g. a logger that crashed) and that last row does not read, it is left
        out with a note instead of failing the file.
        """
        if not raw.attrs.get("ends_mid_line") or len(raw) < 2:
            return self._apply(raw, origin, first_line)
        try:
            return self._apply(raw, origin, first_line)
        except SchemaError as exc:
            if f"line {first_line + len(raw) - 1}," not in str(exc):
                raise
        frame, metadata = self._apply(raw.iloc[:-1], origin, first_line)
        metadata["notes"] = "the last line is cut short (a truncated file?) and was left out"
        return frame, metadata

    def _apply(
        self, raw: pd.DataFrame, origin: str, first_line: int
    ) -> tuple[pd.DataFrame, dict[str, str]]:
        import pandas as pd

        absent = self.missing()
        if absent:
            raise SchemaError(
                f"{origin}: no column found for {', '.join(absent)} "
                f"(columns: {', '.join(map(str, raw.columns))[:300]}); map them by hand"
            )
        values: dict[str, np.ndarray] = {}
        for name, spec in self.columns.items():
            if spec.source not in raw.columns:
                raise SchemaError(f"{origin}: no column {spec.source!r} (mapped to {name})")
            col = raw[spec.source]
            if spec.kind is ValueKind.DATETIME:
                x = units.parse_datetimes(col, origin, spec.source, first_line, self.dayfirst)
            elif spec.kind is ValueKind.DURATION:
                x = units.parse_durations(col, origin, spec.source, first_line)
            else:
                x = units.to_numbers(col, origin, spec.source, first_line, self.decimal)
            if spec.scale != 1.0 or spec.offset != 0.0:
                x = x * spec.scale + spec.offset
            values[name] = x
        metadata: dict[str, str] = {}
        stamp = values.pop(TIMESTAMP, None)
        if stamp is not None and np.isfinite(stamp).any():
            first = stamp[np.isfinite(stamp)][0]
            metadata["start_utc"] = units.epoch_to_iso(first)
            if schema.TIME not in values:
                values[schema.TIME] = stamp - first
        t = values[schema.TIME]
        if schema.TIME in self.columns and self.columns[schema.TIME].kind is ValueKind.DATETIME:
            finite = t[np.isfinite(t)]
            if finite.size:
                metadata.setdefault("start_utc", units.epoch_to_iso(finite[0]))
        finite = t[np.isfinite(t)]
        if finite.size and finite[0] != 0:
            if self.columns.get(schema.TIME, ColumnSpec("")).kind is not ValueKind.DATETIME:
                metadata["time_offset_s"] = f"{finite[0]:.9g}"
            values[schema.TIME] = t - finite[0]
        frame = pd.DataFrame(values, copy=False)
        out = schema.validate_samples(frame, origin=origin, header_lines=first_line - 1)
        return out, metadata


# --- suggestion from header names ------------------------------------------

#: Header names (lower case, unit removed) per field, best first.
_NAMES: dict[str, tuple[str, ...]] = {
    schema.TIME: (
        "time_s",
        "test_time",
        "test time",
        "test_time_second",
        "total time",
        "test (sec)",
        "testtime",
        "elapsed time",
        "elapsed",
        "time",
        "runtime",
        "t",
    ),
    TIMESTAMP: (
        "datetime",
        "date_time",
        "date time",
        "timestamp",
        "date",
        "realtime",
        "absolute time",
        "unix_time_second",
        "dpt time",
    ),
    schema.VOLTAGE: (
        "voltage_v",
        "voltage",
        "volts",
        "voltage_volt",
        "cell voltage",
        "battery voltage",
        "pack voltage",
        "ecell",
        "ewe",
        "u",
        "v",
        "vbat",
    ),
    schema.CURRENT: (
        "current_a",
        "current",
        "amps",
        "current_ampere",
        "battery current",
        "pack current",
        "cur",
        "i",
        "ibat",
    ),
    schema.TEMPERATURE: (
        "temperature_c",
        "temperature",
        "temp",
        "t1",
        "cell temperature",
        "battery temperature",
        "ambient_temperature_celsius",
        "ambient temperature",
    ),
    schema.CYCLE_INDEX: ("cycle_index", "cycle index", "cycle", "cyc#", "cycle id", "cycle number"),
    schema.STEP_INDEX: ("step_index", "step index", "step", "step id", "step number"),
    schema.SOC_REPORTED: ("soc_reported_pct", "soc"),
    schema.SOH_REPORTED: ("soh_reported_pct",),
    "charge_capacity_ah": ("charge_capacity", "charge capacity", "chg. cap.", "charging_capacity"),
    "discharge_capacity_ah": (
        "discharge_capacity",
        "discharge capacity",
        "dchg. cap.",
        "discharging_capacity",
    ),
    "charge_energy_wh": ("charge_energy", "charge energy", "chg. energy"),
    "discharge_energy_wh": ("discharge_energy", "discharge energy", "dchg. energy"),
}

#: The quantity each field's unit must measure (a header unit of another quantity is not it).
_QUANTITY = {
    schema.TIME: "time",
    schema.VOLTAGE: "voltage",
    schema.CURRENT: "current",
    schema.TEMPERATURE: "temperature",
    "charge_capacity_ah": "charge",
    "discharge_capacity_ah": "charge",
    "charge_energy_wh": "energy",
    "discharge_energy_wh": "energy",
}


def _looks_like(sample: pd.Series | None) -> ValueKind:
    if sample is None:
        return ValueKind.NUMBER
    text = [str(x).strip() for x in sample.dropna().head(20) if str(x).strip()]
    if not text:
        return ValueKind.NUMBER
    if all(any(sep in x for sep in "-/") and ":" in x for x in text):
        return ValueKind.DATETIME
    if all(":" in x for x in text):
        return ValueKind.DURATION
    return ValueKind.NUMBER


def suggest_mapping(
    headers: list[str], sample: pd.DataFrame | None = None, dialect: units.Dialect | None = None
) -> ColumnMapping:
    """A first :class:`ColumnMapping` from header names, units and a few sample rows."""
    parsed = {h: units.split_header(h) for h in headers}
    taken: set[str] = set()
    mapping = ColumnMapping()
    if dialect is not None:
        mapping.delimiter, mapping.decimal = dialect.delimiter, dialect.decimal
        mapping.header_line = dialect.header_line
    for fld, names in _NAMES.items():
        for wanted in names:
            hit = next(
                (
                    h
                    for h in headers
                    if h not in taken and parsed[h][0].replace("-", " ").strip() == wanted
                ),
                None,
            )
            if hit is None:
                continue
            name, unit_text = parsed[hit]
            unit = units.UNITS.get(unit_text)
            want_q = _QUANTITY.get(fld)
            if unit is not None and want_q is not None and unit.quantity != want_q:
                continue  # e.g. "Capacity (Ah)" is no time
            col = sample[hit] if sample is not None and hit in sample else None
            kind = _looks_like(col)
            if unit_text in units.DURATION_UNITS:
                kind = ValueKind.DURATION
            if fld == TIMESTAMP and kind is ValueKind.NUMBER:
                if col is None or "unix" not in name:
                    continue
                kind = ValueKind.DATETIME
            if fld == schema.TIME and kind is ValueKind.DATETIME:
                fld_used = TIMESTAMP if TIMESTAMP not in mapping.columns else fld
            else:
                fld_used = fld
            spec = ColumnSpec(hit, kind=kind)
            if unit is not None and kind is ValueKind.NUMBER and want_q == unit.quantity:
                spec.scale, spec.offset = unit.scale, unit.offset
            mapping.columns[fld_used] = spec
            taken.add(hit)
            break
    for h in headers:  # series cells: "Cell 3 (mV)", "cell_3_v", "V3"; "cell_3_temp_c"
        name, unit_text = parsed[h]
        for pattern, quantity, column in (
            (units.CELL_VOLTAGE_NAME, "voltage", schema.cell_voltage_column),
            # (a canonical CSV saved with ';' or as .xlsx lost its cells' temperatures here)
            (units.CELL_TEMPERATURE_NAME, "temperature", schema.cell_temperature_column),
        ):
            m = pattern.match(name)
            if m and h not in taken:
                unit = (
                    units.UNITS.get(unit_text)
                    or units.UNITS["v" if quantity == "voltage" else "°c"]
                )
                if unit.quantity == quantity:
                    mapping.columns[column(int(m.group(1)))] = ColumnSpec(
                        h, unit.scale, unit.offset
                    )
                    taken.add(h)
    return mapping


# --- remembered per file-name pattern ---------------------------------------


def _store_path():
    from app.core.settings import config_dir

    return config_dir() / "column_mappings.json"


def saved_mappings() -> list[tuple[str, ColumnMapping]]:
    """Remembered (pattern, mapping) pairs, newest first; an unreadable store gives none."""
    try:
        raw = json.loads(_store_path().read_text(encoding="utf-8"))
        return [(e["pattern"], ColumnMapping.from_dict(e["mapping"])) for e in raw["mappings"]]
    except (OSError, ValueError, KeyError, TypeError, SchemaError):
        return []


def _write(entries: list[tuple[str, ColumnMapping]]) -> None:
    path = _store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"mappings": [{"pattern": p, "mapping": m.to_dict()} for p, m in entries]}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def save_mapping(pattern: str, mapping: ColumnMapping) -> None:
    """Remember ``mapping`` for files whose name matches the glob ``pattern``."""
    _write([(pattern, mapping)] + [(p, m) for p, m in saved_mappings() if p != pattern])


def forget_mapping(pattern: str) -> None:
    _write([(p, m) for p, m in saved_mappings() if p != pattern])


def remembered_for(path: str) -> tuple[str, ColumnMapping] | None:
    """The newest remembered (pattern, mapping) whose pattern matches ``path``'s file name."""
    name = os.path.basename(path)
    for pattern, mapping in saved_mappings():
        if fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(path, pattern):
            return pattern, mapping
    return None


def mapping_for(path: str) -> ColumnMapping | None:
    """The newest remembered mapping whose pattern matches ``path``'s file name."""
    found = remembered_for(path)
    return found[1] if found else None
