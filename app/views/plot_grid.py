"""Opaque grid lines for a plot, drawn under its curves.

pyqtgraph's own grid (``showGrid``) draws its lines with an alpha channel.
Qt's raster engine blends such lines pixel by pixel, which cost ~3 ms per
axis per frame here (ten axes: 35 ms, over the frame budget on its own).
This grid draws the same tick positions with opaque colours pre-mixed with
the background, which is ten times cheaper and looks the same on a solid
background.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QColor, QPainter, QPen


def mix(color: str, background: str, amount: float) -> str:
    """``color`` laid over ``background`` at opacity ``amount`` (0..1), as an opaque colour."""
    fg, bg = QColor(color), QColor(background)
    a = max(0.0, min(1.0, amount))
    blended = QColor(
        round(fg.red() * a + bg.red() * (1 - a)),
        round(fg.green() * a + bg.green() * (1 - a)),
        round(fg.blue() * a + bg.blue() * (1 - a)),
    )
    return blended.name()


def _pen(color: str) -> QPen:
    pen = QPen(QColor(color))
    pen.setWidth(0)
    pen.setCosmetic(True)
    return pen


class PlotGrid(pg.GraphicsObject):
    """Major and minor grid lines of ``plot`` at its axes' tick positions."""

    def __init__(self, plot: pg.PlotItem):
        super().__init__()
        self._plot = plot
        self._major = _pen("#404040")
        self._minor = _pen("#202020")
        self._cache_key: tuple | None = None
        self._cache: list[tuple[int, list[QLineF]]] = []
        view = plot.getViewBox()
        self.setParentItem(view)  # not addItem(): the grid must not count for auto-range
        self.setZValue(-1000)
        view.sigResized.connect(self._on_view_resized)
        view.sigRangeChanged.connect(self._on_range_changed)

    def set_colors(self, major: str, minor: str) -> None:
        self._major, self._minor = _pen(major), _pen(minor)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return self._plot.getViewBox().rect()

    def _on_range_changed(self, *_args) -> None:
        self.update()

    def _on_view_resized(self) -> None:
        self.prepareGeometryChange()
        self.update()

    def paint(self, painter: QPainter, *_args) -> None:
        view = self._plot.getViewBox()
        rect = view.rect()
        (x0, x1), (y0, y1) = view.viewRange()
        key = (x0, x1, y0, y1, rect.width(), rect.height())
        if key != self._cache_key:
            # tick positions only change with the range or the size; a repaint
            # for new curve data or a moving cursor reuses them
            self._cache_key, self._cache = key, self._lines(rect, x0, x1, y0, y1)
        for level, lines in self._cache:
            painter.setPen(self._major if level == 0 else self._minor)
            painter.drawLines(lines)

    def _lines(self, rect: QRectF, x0, x1, y0, y1) -> list[tuple[int, list[QLineF]]]:
        if rect.width() <= 0 or rect.height() <= 0 or x1 <= x0 or y1 <= y0:
            return []
        out = []
        for name, lo, hi, size in (
            ("bottom", x0, x1, rect.width()),
            ("left", y0, y1, rect.height()),
        ):
            levels = self._plot.getAxis(name).tickValues(lo, hi, size)
            scale = size / (hi - lo)
            # minor lines first so major ones stay on top where they meet
            for level in (1, 0):
                if level >= len(levels):
                    continue
                lines = []
                for v in levels[level][1]:
                    if name == "bottom":
                        x = rect.left() + (v - lo) * scale
                        lines.append(QLineF(x, rect.top(), x, rect.bottom()))
                    else:
                        y = rect.bottom() - (v - lo) * scale
                        lines.append(QLineF(rect.left(), y, rect.right(), y))
                out.append((level, lines))
        return out


def set_legend_text(legend: pg.LegendItem, color: str, size: str | None = None) -> None:
    """Text colour (and size) of ``legend``'s entries, the ones it has too.

    pyqtgraph's ``setLabelTextColor`` only stores the colour for the entries added
    later: the ones shown keep theirs until their text is set again (after a switch
    from the dark theme, light-grey names on white).
    """
    legend.setLabelTextColor(color)
    if size is not None:
        legend.setLabelTextSize(size)
    for sample, label in legend.items:
        label.setText(label.text)  # re-rendered with the colour and size just set
        sample.update()  # (a sample paints its item's pen or brush: the new theme's)
    legend.update()
