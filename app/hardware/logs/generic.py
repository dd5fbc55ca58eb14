"""Any CSV/TSV/XLSX table of samples: delimiter, decimal comma, header row and units
detected; the columns mapped by a :class:`~app.hardware.logs.column_mapping.ColumnMapping`
(suggested from the headers, or remembered for the file-name pattern).

``read(path, progress, mapping=None)``: an explicit mapping wins, then a remembered
one (:func:`~app.hardware.logs.column_mapping.mapping_for`), then the suggestion.
``preview(path, dialect=None)`` gives what a mapping dialog shows: the detected
layout, the headers and first rows read with it (or with ``dialect``, the user's
correction of a wrong guess), and the suggested mapping.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.core.errors import SchemaError
from app.hardware.logs import tables, units
from app.hardware.logs.canonical_csv import LoadedLog
from app.hardware.logs.column_mapping import ColumnMapping, mapping_for, suggest_mapping

if TYPE_CHECKING:
    import pandas as pd


class UnmappedColumns(SchemaError):
    """A table none of whose columns reads as one the canonical schema needs: its
    columns are to be mapped by hand (the window's Logs page, ``convert --mapping``)."""

    def __init__(self, message: str, path: str):
        super().__init__(message)
        self.path = path


@dataclass
class Preview:
    """The start of a table: its layout, headers, first rows (strings) and a suggested mapping.

    ``dialect`` is the layout the rows were read with, ``detected`` the one
    :func:`~app.hardware.logs.units.sniff_dialect` guessed (None: no guess, or a
    workbook).
    """

    dialect: units.Dialect | None
    sheet: str | None
    headers: list[str]
    rows: pd.DataFrame
    mapping: ColumnMapping
    detected: units.Dialect | None = None


def _first_sheet_with_header(path: str) -> str | None:
    sheets = tables.xlsx_headers(path)
    for name, header in sheets.items():
        if any(header) and not suggest_mapping(list(header)).missing():
            return name
    return next(iter(sheets), None)


def preview(path: str, rows: int = 20, dialect: units.Dialect | None = None) -> Preview:
    """The first ``rows`` rows of ``path`` and a suggested mapping (a SchemaError if not a table).

    A text file is read with ``dialect`` when given, else with the detected one;
    ``dialect`` is ignored for a workbook.
    """
    import pandas as pd

    from app.hardware.logs.formats import describe_content, read_head

    head = read_head(path)
    if head.startswith(b"PK\x03\x04"):
        sheet = _first_sheet_with_header(path)
        if sheet is None:
            raise SchemaError(f"{path}: a workbook without sheets")
        frame = tables.read_xlsx_sheets(path, [sheet]).head(rows)
        headers = [str(c) for c in frame.columns]
        return Preview(None, sheet, headers, frame, suggest_mapping(headers, frame))
    text = tables.head_text(head)
    detected = units.sniff_dialect(text) if text is not None else None
    dialect = dialect if text is not None and dialect is not None else detected
    if dialect is None:
        raise SchemaError(f"{path}: not a table of samples ({describe_content(head)})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)  # rows longer than the header
            frame = pd.read_csv(
                path,
                sep=dialect.delimiter,
                skiprows=dialect.header_line,
                nrows=rows,
                dtype=str,
                skipinitialspace=True,
                encoding="utf-8",
                encoding_errors="replace",
                index_col=False,
            )
    except pd.errors.EmptyDataError:
        raise SchemaError(
            f"{path}: nothing to read from line {dialect.header_line + 1} on"
        ) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise SchemaError(f"{path}: not a readable table ({tables.error_detail(exc)})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    headers = list(frame.columns)
    mapping = suggest_mapping(headers, frame, dialect)
    return Preview(dialect, None, headers, frame, mapping, detected)


def sniff(path: str, head: bytes) -> float:
    if head.startswith(b"PK\x03\x04"):
        sheet = _first_sheet_with_header(path)
        if sheet is None:
            return 0.0
        complete = not suggest_mapping(list(tables.xlsx_headers(path)[sheet])).missing()
        return 0.3 if complete else 0.05
    text = tables.head_text(head)
    if text is None:
        return 0.0
    if mapping_for(path) is not None:  # its layout was chosen by hand: no need to detect it
        return 0.6
    if units.sniff_dialect(text) is None:
        return 0.0
    try:
        complete = not preview(path).mapping.missing()
    except SchemaError:
        return 0.0
    return 0.3 if complete else 0.05


def read(path: str, progress=None, mapping: ColumnMapping | None = None) -> LoadedLog:
    """Read ``path`` with ``mapping`` (else the remembered one, else the suggestion)."""
    with open(path, "rb") as fh:
        is_zip = fh.read(4) == b"PK\x03\x04"
    if is_zip:
        sheet = _first_sheet_with_header(path)
        raw = tables.read_xlsx_sheets(path, [sheet] if sheet else [], progress)
        mapping = mapping or mapping_for(path) or suggest_mapping(list(raw.columns), raw.head(20))
        frame, metadata = mapping.apply(raw, path, 2)
        metadata["sheet"] = str(sheet)
    else:
        if mapping is None and (mapping := mapping_for(path)) is None:
            first = preview(path)
            mapping = first.mapping
            if mapping.missing():
                # one line, whatever the header cells hold (a cell may span lines)
                names = ", ".join(" ".join(str(h).split()) for h in first.headers)[:200]
                raise UnmappedColumns(
                    f"{path}: a table (columns {names}) with no column "
                    f"recognised as {', '.join(mapping.missing())}; map the columns by hand",
                    path,
                )
        raw = tables.read_text_table(
            path,
            delimiter=mapping.delimiter,
            decimal=mapping.decimal,
            header_line=mapping.header_line,
            usecols=sorted({spec.source for spec in mapping.columns.values()}),
            progress=progress,
        )
        frame, metadata = mapping.apply(raw, path, mapping.header_line + 2)
    metadata["column_mapping"] = _json(mapping)
    if progress is not None:
        progress.update(1.0)
    return LoadedLog(path=path, frame=frame, metadata=metadata)


def _json(mapping: ColumnMapping) -> str:
    import json

    return json.dumps(mapping.to_dict())
