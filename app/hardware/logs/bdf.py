"""Battery Data Format (BDF, Battery Data Alliance) CSV: read and write.

Columns are named by the BDF ontology, either machine-readable
(``test_time_second``, ``voltage_volt``, ``current_ampere``, ``unix_time_second``,
``cycle_count``, ``step_index``, ``temperature_t1_celsius``, ...) or by label
(``Test Time / s``, ``Voltage / V``, ``Current / A``, ...). BDF current is
positive when charging, like Battery OS. Battery OS writes machine-readable names.
"""

from __future__ import annotations

import numpy as np

from app.core import schema
from app.core.errors import SchemaError
from app.hardware.logs import tables, units
from app.hardware.logs.canonical_csv import LoadedLog
from app.hardware.logs.column_mapping import TIMESTAMP, ColumnMapping, ColumnSpec, ValueKind

#: BDF machine-readable name -> (canonical field, its label), in writing order.
BDF_COLUMNS: dict[str, tuple[str, str]] = {
    "test_time_second": (schema.TIME, "Test Time / s"),
    "unix_time_second": (TIMESTAMP, "Unix Time / s"),
    "voltage_volt": (schema.VOLTAGE, "Voltage / V"),
    "current_ampere": (schema.CURRENT, "Current / A"),
    "cycle_count": (schema.CYCLE_INDEX, "Cycle Count / 1"),
    "step_index": (schema.STEP_INDEX, "Step Index / 1"),
    "temperature_t1_celsius": (schema.TEMPERATURE, "Temperature T1 / degC"),
    "surface_temperature_celsius": (schema.TEMPERATURE, "Surface Temperature / degC"),
    "ambient_temperature_celsius": (schema.TEMPERATURE, "Ambient Temperature / degC"),
    "charging_capacity_ah": ("charge_capacity_ah", "Charging Capacity / Ah"),
    "discharging_capacity_ah": ("discharge_capacity_ah", "Discharging Capacity / Ah"),
    "charging_energy_wh": ("charge_energy_wh", "Charging Energy / Wh"),
    "discharging_energy_wh": ("discharge_energy_wh", "Discharging Energy / Wh"),
}
_BY_LABEL = {label.lower(): name for name, (_, label) in BDF_COLUMNS.items()}


def _bdf_name(header: str) -> str | None:
    h = header.strip()
    if h in BDF_COLUMNS:
        return h
    return _BY_LABEL.get(" ".join(h.lower().split()))


def sniff(path: str, head: bytes) -> float:
    text = tables.head_text(head)
    if text is None or not text.strip():
        return 0.0
    first = text.splitlines()[0]
    names = {_bdf_name(c) for c in units.header_cells(first)}
    required = {"test_time_second", "voltage_volt", "current_ampere"}
    if required <= names:
        return 0.97
    return 0.5 if {"voltage_volt", "current_ampere"} <= names else 0.0


def read(path: str, progress=None) -> LoadedLog:
    raw = tables.read_text_table(path, progress=progress)
    mapping = ColumnMapping()
    for header in raw.columns:
        name = _bdf_name(header)
        if name is None:
            continue
        field = BDF_COLUMNS[name][0]
        if field in mapping.columns:  # the first of several temperatures is the cell's
            continue
        kind = ValueKind.DATETIME if field == TIMESTAMP else ValueKind.NUMBER
        mapping.columns[field] = ColumnSpec(header, kind=kind)
    frame, metadata = mapping.apply(raw, path, 2)
    temp = frame.get(schema.TEMPERATURE)
    if temp is not None and np.nanmax(np.abs(temp.to_numpy()), initial=0.0) == 0.0:
        # an all-zero channel is one the tester did not record (0 degC for days is not a cell)
        frame = frame.drop(columns=[schema.TEMPERATURE])
        metadata["notes"] = "temperature column all zero: not recorded, left out"
    if progress is not None:
        progress.update(1.0)
    return LoadedLog(path=path, frame=frame, metadata=metadata)


def write_bdf_csv(path: str, frame, metadata: dict[str, str] | None = None) -> None:
    """Write a canonical frame as BDF CSV (machine-readable names; extra columns left out)."""
    import pandas as pd

    out: dict[str, np.ndarray] = {}
    start = (metadata or {}).get("start_utc")
    t = frame[schema.TIME].to_numpy(dtype=float)
    for name, (field, _) in BDF_COLUMNS.items():
        if field == TIMESTAMP:
            if start:
                try:
                    t0 = pd.Timestamp(start).timestamp()
                except ValueError:
                    continue
                out[name] = t0 + t
            continue
        if field in frame.columns and field not in {BDF_COLUMNS[n][0] for n in out}:
            out[name] = frame[field].to_numpy()
    try:
        pd.DataFrame(out).to_csv(path, index=False, float_format="%.15g")
    except OSError as exc:
        raise SchemaError(f"{path}: cannot write ({exc.strerror or exc})") from None
