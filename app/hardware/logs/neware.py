"""Neware BTS exports: the nested "regular export" CSV, and flat CSV/XLSX record tables.

The nested CSV has three header lines -- cycle (``Cycle Index, Chg. Cap.(Ah),
...``), step (``,Step Index, Step Number, Step Type, ...``) and record
(``,,DataPoint, Time, Total Time, Current(A), Voltage(V), Capacity(Ah), ...,
Date, ...``) -- then cycle, step and record rows interleaved, the indentation
saying which is which (the first step row may follow its cycle row on the same
line). A flat table (BTS 8 CSV, or the ``record`` sheet of an XLSX export) has
the record columns plus ``Cycle Index``, ``Step Index``, ``Step Type``.

``Total Time`` (h:mm:ss, hours beyond 24) is the time; ``Date`` the wall clock;
``Capacity(Ah)`` counts per step; ``Current`` is negative on discharge.
Temperatures are the ``T1`` auxiliary channel (its degree sign is often lost).
"""

from __future__ import annotations

import numpy as np

from app.core import schema
from app.core.errors import SchemaError
from app.hardware.logs import tables, units
from app.hardware.logs.canonical_csv import LoadedLog
from app.hardware.logs.column_mapping import TIMESTAMP, ColumnMapping, ColumnSpec, ValueKind
from app.hardware.logs.counters import cycle_counters

_RECORD_NAMES = {
    schema.TIME: ("total time", "totaltime"),
    TIMESTAMP: ("date", "realtime", "system time"),
    schema.VOLTAGE: ("voltage",),
    schema.CURRENT: ("current",),
    schema.TEMPERATURE: ("t1", "temperature", "auxiliary temperature"),
    schema.CYCLE_INDEX: ("cycle index", "cycle id"),
    schema.STEP_INDEX: ("step index", "step id"),
}
_STEP_TYPE = ("step type", "status", "step_type")


def _is_flat_header(cells) -> bool:
    names = {units.split_header(c)[0] for c in cells}
    return {"total time", "step type"} <= names or {"cycle index", "step type", "current"} <= names


def _record_sheet(path: str) -> str | None:
    for name, header in tables.xlsx_headers(path).items():
        if _is_flat_header(header):
            return name
    return None


def sniff(path: str, head: bytes) -> float:
    if head.startswith(b"PK\x03\x04"):
        return 0.95 if _record_sheet(path) else 0.0
    text = tables.head_text(head)
    if text is None:
        return 0.0
    lines = text.splitlines()[:3]
    if len(lines) == 3 and lines[0].startswith("Cycle ") and lines[1].startswith(",Step"):
        return 0.95
    return 0.9 if lines and _is_flat_header(units.header_cells(lines[0])) else 0.0


def _mapping(headers: list[str]) -> ColumnMapping:
    mapping = ColumnMapping()
    names = {}
    for h in headers:
        names.setdefault(units.split_header(h)[0], h)
    for field, wanted in _RECORD_NAMES.items():
        hit = next((names[n] for n in wanted if n in names), None)
        if hit is None:
            continue
        kind = {schema.TIME: ValueKind.DURATION, TIMESTAMP: ValueKind.DATETIME}.get(
            field, ValueKind.NUMBER
        )
        unit = units.unit_of(hit)
        spec = ColumnSpec(hit, kind=kind)
        if unit is not None and kind is ValueKind.NUMBER:
            spec.scale, spec.offset = unit.scale, unit.offset
        mapping.columns[field] = spec
    return mapping


def _direction(step_type) -> np.ndarray:
    text = np.char.lower(np.asarray(step_type, dtype=str))
    dchg = np.char.find(text, "dchg") >= 0
    chg = (np.char.find(text, "chg") >= 0) & ~dchg
    return np.where(chg, 1, np.where(dchg, -1, 0))


def _nested(path: str, progress) -> tuple:
    """(record table, step type per record, cycle per record, first data line)."""
    import pandas as pd

    with tables.open_text(path) as fh:
        header_lines = [next(fh, "") for _ in range(3)]
    step_header = units.header_cells(header_lines[1])
    record_header = units.header_cells(header_lines[2])
    width = max(len(record_header), len(step_header) + 8, 24)
    try:
        raw = pd.read_csv(
            path,
            header=None,
            names=range(width),
            skiprows=3,
            dtype=str,
            encoding="utf-8",
            encoding_errors="replace",
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        raise SchemaError(
            f"{path}: not a readable Neware export ({tables.error_detail(exc)})"
        ) from None
    raw = tables.without_cut_row(raw, path, ",")
    if progress is not None:
        progress.update(0.6)
    c0, c1 = raw[0].notna(), raw[1].notna()
    is_cycle, is_step, is_record = c0, ~c0 & c1, ~c0 & ~c1 & raw[2].notna()
    step_type_col = step_header.index("Step Type") if "Step Type" in step_header else 3
    step_index_col = step_header.index("Step Index") if "Step Index" in step_header else 1
    step_type = pd.Series(np.nan, index=raw.index, dtype=object)
    step_index = pd.Series(np.nan, index=raw.index, dtype=object)
    step_type[is_step] = raw.loc[is_step, step_type_col]
    step_index[is_step] = raw.loc[is_step, step_index_col]
    # a cycle row may carry its first step after its 8 cycle columns
    inline = is_cycle & raw[8].notna()
    step_type[inline] = raw.loc[inline, 8 + step_type_col - 1]
    step_index[inline] = raw.loc[inline, 8 + step_index_col - 1]
    cycle = raw[0].where(is_cycle).ffill()
    step_type, step_index = step_type.ffill(), step_index.ffill()
    records = raw.loc[is_record, : len(record_header) - 1]
    records.columns = record_header
    records = records.loc[:, [c for c in record_header if c]]
    lines = np.flatnonzero(is_record.to_numpy()) + 4
    if not len(records):
        raise SchemaError(f"{path}: a Neware export without records")
    records = records.assign(
        **{
            "Cycle Index": cycle[is_record].to_numpy(),
            "Step Index": step_index[is_record].to_numpy(),
            "Step Type": step_type[is_record].fillna("").to_numpy(),
        }
    ).reset_index(drop=True)
    records.attrs["ends_mid_line"] = tables.ends_mid_line(path)
    return records, lines


def read(path: str, progress=None) -> LoadedLog:
    with open(path, "rb") as fh:
        head = fh.read(1 << 12)
    lines = None
    if head.startswith(b"PK\x03\x04"):
        sheet = _record_sheet(path)
        if sheet is None:
            raise SchemaError(f"{path}: no Neware record sheet in this workbook")
        raw = tables.read_xlsx_sheets(path, [sheet], progress)
        first_line = 2
    elif (tables.head_text(head) or "").startswith("Cycle "):
        raw, lines = _nested(path, progress)
        first_line = 1
    else:
        raw = tables.read_text_table(path, progress=progress)
        first_line = 2
    mapping = _mapping(list(raw.columns))
    try:
        frame, metadata = mapping.apply(raw, path, first_line)
    except SchemaError as exc:
        if lines is None:
            raise
        raise SchemaError(_renumber(str(exc), lines)) from None
    raw = raw.iloc[: len(frame)]  # without a cut-short last line
    type_col = next((c for c in raw.columns if units.split_header(c)[0] in _STEP_TYPE), None)
    direction = _direction(raw[type_col].fillna("")) if type_col else np.sign(frame[schema.CURRENT])
    cap = next((c for c in raw.columns if units.split_header(c)[0] == "capacity"), None)
    energy = next((c for c in raw.columns if units.split_header(c)[0] == "energy"), None)
    cycle = (
        frame[schema.CYCLE_INDEX].to_numpy()
        if schema.CYCLE_INDEX in frame
        else np.zeros(len(frame))
    )
    step = (
        frame[schema.STEP_INDEX].to_numpy() if schema.STEP_INDEX in frame else np.zeros(len(frame))
    )
    for col, names in (
        (cap, ("charge_capacity_ah", "discharge_capacity_ah")),
        (energy, ("charge_energy_wh", "discharge_energy_wh")),
    ):
        if col is None:
            continue
        unit = units.unit_of(col)
        values = units.to_numbers(raw[col], path, col, first_line) * (unit.scale if unit else 1.0)
        chg, dis = cycle_counters(cycle, step, values, direction)
        frame[names[0]], frame[names[1]] = chg, dis
    if progress is not None:
        progress.update(1.0)
    return LoadedLog(path=path, frame=frame, metadata=metadata)


def _renumber(message: str, lines: np.ndarray) -> str:
    """Errors of the nested export name record positions; turn them into file lines."""
    import re

    m = re.search(r"line (\d+)", message)
    if not m:
        return message
    k = int(m.group(1)) - 1
    line = int(lines[k]) if 0 <= k < len(lines) else k + 1
    return message[: m.start(1)] + str(line) + message[m.end(1) :]
