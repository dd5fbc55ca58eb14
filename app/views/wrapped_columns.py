"""Columns of long worded texts (a detected fault's figures) wrapped in a column
of about 34 characters, shared by the Alerts and History pages: unwrapped, the
figures ran to 420 px and more each, pushing the other columns out of the window
(on the Alerts page at 1600 px 'At raise' took half the width, and Worst, Raised
and Acknowledged needed horizontal scrolling)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QStyledItemDelegate, QStyleOptionViewItem, QTableWidget

#: The width a worded column may take, in characters of the table's font.
WORDED_COLUMN_CHARS = 34


#: The least width a worded column is narrowed to so the table fits its window.
LEAST_WORDED_COLUMN_CHARS = 14


class ElidedColumnDelegate(QStyledItemDelegate):
    """A column's texts on one line, cut in the middle with '…' where the column is
    narrower (a source URL: its scheme and its end both show), even in a table that wraps
    its other columns. Give the items their whole text as a tooltip."""

    def initStyleOption(self, option: QStyleOptionViewItem, index) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        option.features &= ~QStyleOptionViewItem.ViewItemFeature.WrapText
        option.textElideMode = Qt.TextElideMode.ElideMiddle


def wrap_worded_columns(
    table: QTableWidget,
    columns: Iterable[int],
    *,
    fit: bool = False,
    elided: Iterable[int] = (),
    stretch: int | None = None,
) -> None:
    """Fit ``table``'s columns to their contents, ``columns`` at most
    WORDED_COLUMN_CHARS wide with their texts wrapped, and each row as tall as
    its wrapped text. With ``fit`` the worded columns are narrowed further (to
    LEAST_WORDED_COLUMN_CHARS) so all the columns fit the table's width (at 1024 px the
    Alerts page's Raised and Acknowledged were off to the right). Call after the table
    is filled, and with ``fit`` again when it is resized.

    The ``elided`` columns (give them an :class:`ElidedColumnDelegate`) are capped and
    fitted the same way but stay on one line, cut in the middle (at 1024 px a long
    source URL pushed the History page's Status and Samples off to the right).

    The ``stretch`` column is a worded column that also takes the width the others leave
    (Qt's stretched column is the one squeezed when they do not fit: at 1024 px the
    Alerts page's Rule column fell to 45 px, its rules one word a line, cut: 'Low… cell
    volt… below 2.45 V'); wrapped, it is narrowed only as the others are."""
    elided = set(elided)
    columns = set(columns) | elided | ({stretch} if stretch is not None else set())
    header = table.horizontalHeader()
    cap = table.fontMetrics().horizontalAdvance("n" * WORDED_COLUMN_CHARS)
    table.setWordWrap(bool(columns - elided))
    for c in range(table.columnCount()):
        if c in columns:
            # (a column sized to its contents cannot be narrowed; the user may widen it)
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.Interactive)
            table.resizeColumnToContents(c)
            table.setColumnWidth(c, min(table.columnWidth(c), cap))
        elif header.sectionResizeMode(c) is QHeaderView.ResizeMode.Interactive:
            table.resizeColumnToContents(c)
    if fit and columns:
        _fit_width(table, sorted(columns))
    if stretch is not None:
        _fill_width(table, stretch)
    table.resizeRowsToContents()


def _fill_width(table: QTableWidget, column: int) -> None:
    """Widen ``column`` by the width the table's columns leave of its viewport."""
    used = sum(
        table.columnWidth(c) for c in range(table.columnCount()) if not table.isColumnHidden(c)
    )
    room = table.viewport().width() - used
    if room > 0:
        table.setColumnWidth(column, table.columnWidth(column) + room)


def _fit_width(table: QTableWidget, columns: list[int]) -> None:
    """Narrow the worded ``columns`` (widest first, to a common width) until the table's
    columns fit its viewport; a stretched column counts at its contents' width. None is
    narrowed below LEAST_WORDED_COLUMN_CHARS unless all of them must be to fit, and then
    never below its longest word (a word cut is no longer read)."""
    header = table.horizontalHeader()
    least = table.fontMetrics().horizontalAdvance("n" * LEAST_WORDED_COLUMN_CHARS)
    others = 0
    for c in range(table.columnCount()):
        if c in columns or table.isColumnHidden(c):
            continue
        if header.sectionResizeMode(c) is QHeaderView.ResizeMode.Stretch:
            others += max(header.sectionSizeHint(c), table.sizeHintForColumn(c))
        else:
            others += table.columnWidth(c)
    room = table.viewport().width() - others
    widths = {c: table.columnWidth(c) for c in columns}
    if sum(widths.values()) <= room:
        return
    floors = {c: min(widths[c], least) for c in columns}
    if sum(floors.values()) > room:
        floors = {c: min(floors[c], _longest_word(table, c)) for c in columns}
    # the same width for each, the narrow ones keeping theirs, none below its floor
    low, high = 0.0, float(max(widths.values()))
    for _ in range(30):
        share = (low + high) / 2
        if sum(max(floors[c], min(w, share)) for c, w in widths.items()) > room:
            high = share
        else:
            low = share
    for c, w in widths.items():
        table.setColumnWidth(c, int(max(floors[c], min(w, low))))


def _longest_word(table: QTableWidget, column: int) -> int:
    """The width ``column`` needs to show its longest word whole."""
    metrics = table.fontMetrics()
    words = {
        word
        for row in range(table.rowCount())
        if (item := table.item(row, column)) is not None
        for word in item.text().split()
    }
    # the cell's margins, as Qt adds them to a text's width (resizeColumnToContents)
    margin = 2 * (table.style().pixelMetric(table.style().PixelMetric.PM_FocusFrameHMargin) + 1)
    return max((metrics.horizontalAdvance(w) for w in words), default=0) + 2 * margin
