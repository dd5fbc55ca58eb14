"""A vertical cursor line through every plot of a shared time axis."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, Signal


class Crosshair(QObject):
    """Follows the mouse over ``plots`` and reports the time under it.

    Mouse moves are rate-limited: moving the line repaints every plot, and
    with a million points each that must not happen faster than the screen.
    """

    moved = Signal(float)  #: time (x) under the mouse
    left = Signal()  #: the mouse left the plots

    def __init__(self, plots: list[pg.PlotItem], parent: QObject | None = None):
        super().__init__(parent)
        self._plots = plots
        self._lines: list[pg.InfiniteLine] = []
        for plot in plots:
            line = pg.InfiniteLine(angle=90, movable=False)
            line.setZValue(1000)
            line.hide()
            plot.addItem(line, ignoreBounds=True)
            self._lines.append(line)
        self._proxy = pg.SignalProxy(
            plots[0].scene().sigMouseMoved, rateLimit=60, slot=self._on_mouse_moved
        )

    @property
    def visible(self) -> bool:
        return bool(self._lines) and self._lines[0].isVisible()

    def set_color(self, color: str) -> None:
        pen = pg.mkPen(color, width=1, style=pg.QtCore.Qt.PenStyle.DashLine)
        for line in self._lines:
            line.setPen(pen)

    def show_at(self, x: float) -> None:
        for line in self._lines:
            line.setPos(x)
            line.show()
        self.moved.emit(float(x))

    def hide(self) -> None:
        if self.visible:
            for line in self._lines:
                line.hide()
            self.left.emit()

    def _on_mouse_moved(self, args) -> None:
        pos: QPointF = args[0]
        for plot in self._plots:
            vb = plot.getViewBox()
            if vb.sceneBoundingRect().contains(pos):
                self.show_at(vb.mapSceneToView(pos).x())
                return
        self.hide()
