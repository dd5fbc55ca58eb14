"""Arbin exports: CSV (one table) and XLSX (``Channel_*`` sheets).

Columns such as ``Test_Time(s)``, ``Date_Time``, ``Cycle_Index``, ``Step_Index``,
``Current(A)``, ``Voltage(V)``, ``Charge_Capacity(Ah)``, ``Aux_Temperature_1(C)``
(MITS Pro 8 names carry their unit; older exports, e.g. beep's, do not and
are in SI). Arbin writes charging current as positive, like Battery OS.
"""

from __future__ import annotations

from app.core import schema
from app.hardware.logs import tables, units
from app.hardware.logs.canonical_csv import LoadedLog
from app.hardware.logs.column_mapping import (
    TIMESTAMP,
    ColumnMapping,
    ColumnSpec,
    ValueKind,
    suggest_mapping,
)

_MARKERS = {"test_time", "data_point", "step_index", "cycle_index"}


def _is_arbin_header(cells) -> bool:
    names = {units.split_header(c)[0] for c in cells}
    return "test_time" in names and len(names & _MARKERS) >= 2 and "current" in names


def _channel_sheets(path: str) -> list[str]:
    return [
        name
        for name, header in tables.xlsx_headers(path).items()
        if name.lower().startswith("channel") and _is_arbin_header(header)
    ]


def sniff(path: str, head: bytes) -> float:
    if tables.is_xlsx(head) or head.startswith(b"PK\x03\x04"):
        return 0.95 if _channel_sheets(path) else 0.0
    text = tables.head_text(head)
    if text is None:
        return 0.0
    first = text.splitlines()[0] if text else ""
    return 0.95 if _is_arbin_header(units.header_cells(first)) else 0.0


def mapping_for_headers(headers: list[str], sample=None) -> ColumnMapping:
    """Arbin's columns: the suggestion, with ``DateTime`` (epoch or text) as the start time."""
    mapping = suggest_mapping(headers, sample)
    for h in headers:
        name = units.split_header(h)[0]
        if name in ("datetime", "date_time"):
            mapping.columns[TIMESTAMP] = ColumnSpec(h, kind=ValueKind.DATETIME)
        elif name.startswith("aux_temperature") and schema.TEMPERATURE not in mapping.columns:
            unit = units.unit_of(h) or units.UNITS["c"]
            mapping.columns[schema.TEMPERATURE] = ColumnSpec(h, unit.scale, unit.offset)
    time = mapping.columns.get(schema.TIME)
    if (
        time is not None
        and time.kind is ValueKind.NUMBER
        and not units.split_header(time.source)[1]
    ):
        time.scale = 1.0  # beep-style Test_Time is seconds
    return mapping


def read(path: str, progress=None) -> LoadedLog:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        sheets = _channel_sheets(path)
        raw = tables.read_xlsx_sheets(path, sheets, progress)
        first_line = 2
    else:
        raw = tables.read_text_table(path, progress=progress)
        first_line = 2
    mapping = mapping_for_headers(list(raw.columns), raw.head(20))
    frame, metadata = mapping.apply(raw, path, first_line)
    if progress is not None:
        progress.update(1.0)
    return LoadedLog(path=path, frame=frame, metadata=metadata)
