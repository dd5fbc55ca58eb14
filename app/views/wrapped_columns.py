"""Columns of long worded texts (a detected fault's figures) wrapped in a column
of about 34 characters, shared by the Alerts and History pages: unwrapped, the
figures ran to 420 px and more each, pushing the other columns out of the window
(on the Alerts page at 1600 px 'At raise' took half the width, and Worst, Raised
and Acknowledged needed horizontal scrolling)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QHeaderView, QTableWidget

#: The width a worded column may take, in characters of the table's font.
WORDED_COLUMN_CHARS = 34


def wrap_worded_columns(table: QTableWidget, columns: Iterable[int]) -> None:
    """Fit ``table``'s columns to their contents, ``columns`` at most
    WORDED_COLUMN_CHARS wide with their texts wrapped, and each row as tall as
    its wrapped text. Call after the table is filled."""
    columns = set(columns)
    header = table.horizontalHeader()
    cap = table.fontMetrics().horizontalAdvance("n" * WORDED_COLUMN_CHARS)
    table.setWordWrap(True)
    for c in range(table.columnCount()):
        if c in columns:
            # (a column sized to its contents cannot be narrowed; the user may widen it)
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.Interactive)
            table.resizeColumnToContents(c)
            table.setColumnWidth(c, min(table.columnWidth(c), cap))
        elif header.sectionResizeMode(c) is QHeaderView.ResizeMode.Interactive:
            table.resizeColumnToContents(c)
    table.resizeRowsToContents()
