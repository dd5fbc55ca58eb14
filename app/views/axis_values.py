"""The values a plot's y axis writes: at least :data:`LEAST_TICKS` of them, on the
dashboard's live plots and the Logs page's alike (two read as a range, not a scale).

pyqtgraph writes a finer level's values only where they do not crowd, so a span of
2.25 to 3 major steps was written as two (24.9..25.3 °C as 25.0 and 25.2; a 16-cell
pack's 52.14..53.29 V as 52.5 and 53.0 at 1024 x 700). :func:`write_enough_values`
widens such a range to the next major tick; :class:`EnoughValues` does it whenever a
watched plot's y range or height changes.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QImage, QPainter
from shiboken6 import isValid

#: The least number of values an axis writes: two read as a range, not a scale.
LEAST_TICKS = 3


def written_values(axis: pg.AxisItem) -> list[str]:
    """The values ``axis`` writes at its range and length now (pyqtgraph leaves out a
    finer level's where they would crowd, and any cut at the axis's ends)."""
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        *_, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for *_, text in texts]


def widened_to_next_tick(axis: pg.AxisItem, low: float, high: float) -> tuple[float, float]:
    """``low..high`` grown to the next major tick of ``axis`` beyond it, on the nearer
    side, the tick a hair inside (its value written, not cut at the plot's edge)."""
    levels = axis.tickValues(low, high, max(axis.geometry().height(), 1.0))
    if not levels or levels[0][0] <= 0:
        return low, high
    step = levels[0][0]
    margin = 0.02 * step
    below = math.floor(low / step) * step - margin
    above = math.ceil(high / step) * step + margin
    return (below, high) if low - below <= above - high else (low, above)


def write_enough_values(plot: pg.PlotItem) -> None:
    """Widen ``plot``'s y range, by less than a tick step a time, until its left axis
    writes :data:`LEAST_TICKS` values. An auto-ranged plot keeps the wider range (its
    y auto-range off: clipped to the view, its curves would fit it again at once, and
    be widened again, on every paint) until it is asked to fit again."""
    axis = plot.getAxis("left")
    view = plot.getViewBox()
    for _ in range(3):  # a wider range may take a longer step: look again
        if not axis.isVisible() or not axis.style["showValues"] or axis.geometry().height() <= 0:
            return
        if len(written_values(axis)) >= LEAST_TICKS:
            return
        low, high = view.viewRange()[1]
        wider = widened_to_next_tick(axis, low, high)
        if wider == (low, high):
            return
        view.setRange(yRange=wider, padding=0)


class EnoughValues(QObject):
    """Looks at the values of the ``plots``' y axes once their range or height changed
    (after the layout and the range's own handlers: the next turn of the event loop),
    and widens each that writes too few (:func:`write_enough_values`)."""

    def __init__(self, plots: list[pg.PlotItem] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.plots: list[pg.PlotItem] = []
        self._pending = False
        for plot in plots or ():
            self.watch(plot)

    def watch(self, plot: pg.PlotItem) -> None:
        self.plots.append(plot)
        view = plot.getViewBox()
        view.sigYRangeChanged.connect(self.schedule)
        view.sigResized.connect(self.schedule)

    def schedule(self, *_args) -> None:
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self, self.run)

    def run(self) -> None:
        """Every watched plot writes enough values (now)."""
        self._pending = False
        for plot in self.plots:
            # (closing a plot widget clears its scene, which resizes the plots on the
            # way: their items are gone by the time this runs)
            if isValid(plot) and isValid(plot.getAxis("left")):
                write_enough_values(plot)
