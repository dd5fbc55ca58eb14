"""Maccor text exports: an optional title line, then a tab-separated table.

Columns ``Rec#``, ``Cyc#`` (or ``Cycle C``), ``Step``, ``Test (Sec)`` (or
``TestTime``), ``Amp-hr`` (capacity of the step), ``Watt-hr``, ``Amps``,
``Volts``, ``State`` (C charge, D discharge, R rest, O other), ``DPt Time``
(wall clock, month first), optional ``Temp 1``. Some exports write the current
unsigned; the sign is taken from ``State`` (Battery OS: charging positive).
"""

from __future__ import annotations

import numpy as np

from app.core import schema
from app.core.errors import SchemaError
from app.hardware.logs import tables, units
from app.hardware.logs.canonical_csv import LoadedLog
from app.hardware.logs.column_mapping import TIMESTAMP, ColumnMapping, ColumnSpec, ValueKind
from app.hardware.logs.counters import cycle_counters

_NAMES = {
    schema.TIME: ("test (sec)", "testtime", "test time"),
    TIMESTAMP: ("dpt time", "dpttime"),
    schema.VOLTAGE: ("volts", "voltage"),
    schema.CURRENT: ("amps", "current"),
    schema.CYCLE_INDEX: ("cyc#", "cycle c", "cycle"),
    schema.STEP_INDEX: ("step",),
    schema.TEMPERATURE: ("temp 1", "temp1", "temperature"),
}


def _header_line(text: str) -> int | None:
    for k, line in enumerate(text.splitlines()[:5]):
        cells = units.header_cells(line, "\t")
        if "Rec#" in cells and ("State" in cells or "Md" in cells):
            return k
    return None


def sniff(path: str, head: bytes) -> float:
    text = tables.head_text(head)
    if text is None:
        return 0.0
    return 0.95 if _header_line(text) is not None else 0.0


def read(path: str, progress=None) -> LoadedLog:
    with open(path, "rb") as fh:
        text = tables.head_text(fh.read(1 << 16)) or ""
    header_line = _header_line(text)
    if header_line is None:
        raise SchemaError(f"{path}: no Maccor header row (Rec#, ..., State) in the first lines")
    raw = tables.read_text_table(
        path, delimiter="\t", header_line=header_line, progress=progress, dtype={"State": str}
    )
    raw = raw.dropna(how="all")
    first_line = header_line + 2
    mapping = ColumnMapping(delimiter="\t", header_line=header_line)
    lower = {c.strip().lower(): c for c in raw.columns}
    for field, names in _NAMES.items():
        hit = next((lower[n] for n in names if n in lower), None)
        if hit is None:
            continue
        kind = ValueKind.NUMBER
        if field == TIMESTAMP:
            kind = ValueKind.DATETIME
        elif field == schema.TIME and raw[hit].astype(str).str.contains(":").any():
            kind = ValueKind.DURATION
        mapping.columns[field] = ColumnSpec(hit, kind=kind)
    state_col = "State" if "State" in raw.columns else ("Md" if "Md" in raw.columns else None)
    frame, metadata = mapping.apply(raw, path, first_line)
    raw = raw.iloc[: len(frame)]  # without a cut-short last line
    if state_col is not None:
        state = raw[state_col].astype(str).str.strip().str.upper().to_numpy()
        direction = np.where(state == "C", 1, np.where(state == "D", -1, 0))
        current = frame[schema.CURRENT].to_numpy()
        frame[schema.CURRENT] = np.where(
            direction == 1, np.abs(current), np.where(direction == -1, -np.abs(current), current)
        )
        cap_col = next((c for c in ("Amp-hr", "Cap. [Ah]") if c in raw.columns), None)
        energy_col = next((c for c in ("Watt-hr", "Ent. [Wh]") if c in raw.columns), None)
        cycle = frame.get(schema.CYCLE_INDEX, np.zeros(len(frame)))
        step = frame.get(schema.STEP_INDEX, np.zeros(len(frame)))
        for col, names in (
            (cap_col, ("charge_capacity_ah", "discharge_capacity_ah")),
            (energy_col, ("charge_energy_wh", "discharge_energy_wh")),
        ):
            if col is None:
                continue
            values = units.to_numbers(raw[col], path, col, first_line)
            chg, dis = cycle_counters(np.asarray(cycle), np.asarray(step), values, direction)
            frame[names[0]], frame[names[1]] = chg, dis
    if progress is not None:
        progress.update(1.0)
    return LoadedLog(path=path, frame=frame, metadata=metadata)
