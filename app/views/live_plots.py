"""The dashboard's stacked plots on one shared time axis.

Voltage, current, temperature, SOC and the cell voltages, each a PlotItem in
one GraphicsLayoutWidget, x-linked to the first. Every plot clips to the
visible range and peak-downsamples, and every curve is a 1-px cosmetic pen,
so a redraw costs about the same for a thousand points as for a million.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QPainterPath
from PySide6.QtWidgets import QSizePolicy

from app.core import schema
from app.views.axis_values import EnoughValues, write_enough_values
from app.views.crosshair import Crosshair
from app.views.peak_lines import draw_unbroken, redraw_on_resize
from app.views.plot_grid import PlotGrid, mix, set_legend_text
from app.views.shown_temperature import ShownTemperature, shown_temperature
from app.views.soc_columns import (
    SOC_BAND_HIGH,
    SOC_BAND_LOW,
    SOC_BMS,
    SOC_BMS_DIFFERENCE,
    SOC_COLUMN,
)
from app.views.theme import ThemePalette
from app.views.time_axis import ElapsedTimeAxis


class PlotKey(StrEnum):
    VOLTAGE = "voltage"
    CURRENT = "current"
    TEMPERATURE = "temperature"
    SOC = "soc"
    CELLS = "cells"


@dataclass(frozen=True)
class PlotRow:
    """One plot of the stack."""

    key: PlotKey
    label: str
    units: str
    column: str | None  # None: one curve per cell_<k>_v column
    color_role: str  # ThemePalette attribute of the curve colour
    missing: str  # what the plot says when the source has none of it
    si_prefix: bool = True  # "mA" is welcome, "k°C" or "k%" are not


ROWS: tuple[PlotRow, ...] = (
    PlotRow(PlotKey.VOLTAGE, "Pack", "V", schema.VOLTAGE, "voltage", "pack voltage"),
    PlotRow(PlotKey.CURRENT, "Current", "A", schema.CURRENT, "current", "current"),
    PlotRow(
        PlotKey.TEMPERATURE,
        "Temp.",
        "°C",
        schema.TEMPERATURE,
        "temperature",
        "temperature",
        False,
    ),  # fmt: skip
    PlotRow(PlotKey.SOC, "SOC", "%", SOC_COLUMN, "soc", "SOC", False),
    PlotRow(PlotKey.CELLS, "Cells", "V", None, "cells", "cell voltages"),
)


def least_plot_height(plot: pg.PlotItem) -> int:
    """The least height of ``plot``'s data area: :data:`MIN_PLOT_HEIGHT_PX`, or its axis
    title's length as shown, its unit's SI prefix too ("Current (mA)"; drawn turned a
    quarter), and :data:`TITLE_ROOM_PX`."""
    title = plot.getAxis("left").label
    return max(MIN_PLOT_HEIGHT_PX, int(np.ceil(title.boundingRect().width())) + TITLE_ROOM_PX)


def missing_note(row: PlotRow) -> str:
    """What an empty plot says: the source has none of its quantity."""
    return f"no {row.missing} in this source"


AXIS_WIDTH_PX = 76  # one fixed width, so the stacked plots line up
LEGEND_SPACING_PX = 12
#: Up to this many cells the legend says "Cell k"; a larger pack's says "k".
LEGEND_CELL_WORD_MAX = 8
#: Between the stacked plots and legends (6 px put a 4-cell pack's time axis 14 px
#: below the fold at 1024 x 700).
PLOT_SPACING_PX = 3
#: The plots' layout margins (left, top, right, bottom).
LAYOUT_MARGINS = (4, 8, 12, 4)
#: The least height of a plot's data area, for a curve to show its shape and three
#: tick values; and each plot is at least as high as its axis title ("Current (mA)",
#: 9 pt, 86 px) with :data:`TITLE_ROOM_PX` to spare, so the titles stay apart (at 1024
#: x 700 five plots were 55 px each, their titles run together). Below that the stack
#: scrolls. (One 90 px for all made a 4-cell pack's stack scroll 76 px at 1024 x 700:
#: "Pack (V)" needs 61 px, not 90.) A title's box has 4 px of margin each end, so 3 px
#: more keeps titles at least 14 px apart. (6 px, and 10 pt titles, put the cell plot
#: of a 4-cell pack under an alert, a dead cell's 0 V, below the fold at 1024 x 700; at
#: 9 pt, as the tick values, an 8-cell pack's fits too.)
MIN_PLOT_HEIGHT_PX = 64
TITLE_ROOM_PX = 3
LABEL_FONT_PT = 9
#: pyqtgraph's crowding limits of tick values (values drawn so far, the part of the axis
#: their text may fill): with fewer than three drawn, the finer level's are drawn up to
#: 95 % (pyqtgraph's 80 % and 60 % left a 68 px Pack plot at 11.78 and 11.80 V only);
#: from three on, as pyqtgraph's.
TEXT_FILL_LIMITS = [(0, 0.95), (3, 0.6), (4, 0.4), (6, 0.2)]
TICK_FONT_PT = 9


#: The dot drawn for a reading no line reaches (see ``LivePlots._mark_lone_readings``).
LONE_READING_DOT_PX = 5

#: While following live, curves get the last (margin x window span) of data.
LIVE_WINDOW_MARGIN = 1.1


def _pen(color: str, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> pg.QtGui.QPen:
    pen = pg.mkPen(color, width=1, style=style)
    pen.setCosmetic(True)  # 1 px at any zoom, the cheapest pen to draw
    return pen


def _no_pen() -> pg.QtGui.QPen:
    # Not None: a PlotDataItem without a pen does not build its curve, and the
    # band's fill is made from the edges' curves.
    pen = pg.mkPen(None)
    pen.setCosmetic(True)
    return pen


#: The SOC legend's entries (shown once the data has a band or the BMS's SOC).
SOC_ESTIMATE_LABEL = "Estimate"
SOC_BAND_LABEL = "±2σ band"
SOC_BMS_LABEL = "BMS reported"

#: Opacity of the SOC band's colour over the plot background (pre-mixed into
#: an opaque colour: blending a translucent fill costs a frame budget).
SOC_BAND_OPACITY = 0.28


Y_MARGIN = 0.08  # of the data span, above and below
Y_SHRINK = 0.5  # refit when the data spans less than this part of the range

#: The least y span of each plot, so a flat or nearly flat signal is drawn as flat
#: rather than zoomed into its last digits (a lead-acid float charge's pack voltage had
#: ticks 13.61916-13.61924 V; a constant 0 A got a ±500 µA axis). Per cell for voltages.
MIN_CELL_SPAN_V = 0.01
MIN_TEMPERATURE_SPAN_C = 1.0
MIN_SOC_SPAN_PERCENT = 2.0
#: Current: this part of the 1C current (the capacity's), or without a battery the
#: fallback (a few mA each side of the signal).
MIN_CURRENT_SPAN_C = 0.02
MIN_CURRENT_SPAN_A = 0.01


def sticky_range(
    current: tuple[float, float] | None, low: float, high: float, min_span: float = 0.0
) -> tuple[float, float] | None:
    """The y range to show data spanning ``low..high``, or None to keep ``current``.

    A span under ``min_span`` (the signal's noise-free flat, or its noise) is widened
    to it around the data's middle."""
    span = high - low
    least = max(min_span, 0.0)
    if span <= 0 and least <= 0:  # flat data: a band around it, not a zero-height range
        least = max(abs(high) * 0.02, 1e-3)
    if span < least:
        middle = (low + high) / 2
        span = least
        low, high = middle - span / 2, middle + span / 2
    if current is not None:
        cur_low, cur_high = current
        if cur_low <= low and high <= cur_high and span >= Y_SHRINK * (cur_high - cur_low):
            return None
    pad = span * Y_MARGIN
    return low - pad, high + pad


class BandItem(pg.FillBetweenItem):
    """The filled region between two curves, built from their drawn (clipped,
    downsampled) arrays with numpy.

    pyqtgraph's own path building concatenates the two edges as Python lists
    of points (~10 ms a frame for a few thousand points); this costs a
    fraction of a millisecond. Where an edge has no value (NaN), the band has
    a gap.
    """

    def updatePath(self) -> None:  # noqa: N802 - pyqtgraph API
        path = QPainterPath()
        path.setFillRule(self.fillRule())
        if self.curves is not None:
            (x1, y1), (x2, y2) = (curve.getData() for curve in self.curves)
            if x1 is not None and x2 is not None and len(x1) and len(x2):
                for xs, ys in _band_polygons(x1, y1, x2, y2):
                    piece = pg.arrayToQPath(xs, ys, connect="all")
                    piece.closeSubpath()
                    path.addPath(piece)
        self.setPath(path)


def wrap_legend(legend: pg.LegendItem, width: float) -> bool:
    """Lay ``legend``'s entries out in as many columns as fit in ``width`` px, in rows
    (16 cells in one row made the plots' layout 1569 px wide in a 630 px window: the
    newest samples and the time axis's end were cut off). True if the layout changed."""
    n = len(legend.items)
    if n == 0:
        return False
    spacing = legend.layout.horizontalSpacing()
    entry = max(
        sample.boundingRect().width() + label.minimumWidth() + 2 * spacing
        for sample, label in legend.items
    )
    columns = max(1, min(n, int((width + spacing) // entry)))
    if getattr(legend, "_wrapped", None) == (n, columns):
        return False
    legend._wrapped = (n, columns)
    layout = legend.layout
    for i in range(layout.count() - 1, -1, -1):
        layout.removeAt(i)
    for i, (sample, label) in enumerate(legend.items):
        row, col = divmod(i, columns)
        layout.addItem(sample, row, 2 * col, alignment=Qt.AlignmentFlag.AlignVCenter)
        layout.addItem(label, row, 2 * col + 1)
    legend.columnCount = columns  # (pyqtgraph's own adding goes on from here)
    legend.rowCount = -(-n // columns)
    legend.updateSize()
    legend.updateGeometry()
    return True


def _centre(note: pg.TextItem, view: pg.ViewBox) -> None:
    """``note`` in the middle of ``view`` (a child of the view, in its pixels)."""
    note.setPos(view.rect().center())


def _band_polygons(x1, y1, x2, y2):
    """Outlines (x, y) of the band: along edge 1, back along edge 2; one per gap-free run."""
    x1, y1, x2, y2 = (np.asarray(a, dtype=float) for a in (x1, y1, x2, y2))
    if len(x1) != len(x2) or not np.array_equal(x1, x2):
        # the edges are being redrawn one after the other: a moment, drop the gaps
        ok1, ok2 = np.isfinite(y1), np.isfinite(y2)
        if ok1.any() and ok2.any():
            yield (
                np.concatenate((x1[ok1], x2[ok2][::-1])),
                np.concatenate((y1[ok1], y2[ok2][::-1])),
            )
        return
    ok = np.isfinite(y1) & np.isfinite(y2) & np.isfinite(x1)
    edges = np.diff(np.concatenate(([0], ok.astype(np.int8), [0])))
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        yield (
            np.concatenate((x1[a:b], x1[a:b][::-1])),
            np.concatenate((y1[a:b], y2[a:b][::-1])),
        )


class TimeAxisBar(pg.GraphicsLayoutWidget):
    """The stacked plots' time axis, in a strip of its own under their scroll area: on a
    short screen the stack scrolls, and the axis under its bottom plot was below the fold.
    It follows ``view``'s time range and lines up with its left and right edges; its
    title is in the column of the plots' axis titles, left of the ticks (under them it
    took a line of its own, 18 px of a 1024 x 700 screen)."""

    #: The axis title, and what it says in full.
    TITLE = "Elapsed"
    TITLE_TIP = "Elapsed time since the start of the data (m:ss, h:mm:ss past an hour)"

    def __init__(self, view: pg.ViewBox, parent=None):
        super().__init__(parent)
        self._view = view
        self.axis = ElapsedTimeAxis()
        self.axis.linkToView(view)
        self.title = pg.LabelItem(self.TITLE, justify="left")
        self.title.setFixedWidth(0)
        self.setToolTip(self.TITLE_TIP)
        self.ci.setContentsMargins(0, 0, 0, 0)
        self.ci.setSpacing(0)
        self.ci.addItem(self.title, row=0, col=0)
        self.ci.addItem(self.axis, row=0, col=1)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        view.sigResized.connect(self.align)

    def apply_palette(self, colors: ThemePalette) -> None:
        self.setBackground(colors.plot_background)
        tick_font = QFont()
        tick_font.setPointSize(TICK_FONT_PT)
        self.axis.setPen(_pen(colors.plot_axis))
        self.axis.setTextPen(colors.plot_axis)
        self.axis.setStyle(tickFont=tick_font, tickTextOffset=4, tickLength=5)
        self.title.setText(self.TITLE, color=colors.plot_axis, size=f"{LABEL_FONT_PT}pt")
        self.setFixedHeight(int(np.ceil(self.axis.minimumHeight())) + 2 * self.frameWidth())
        self.align()

    def align(self, *_args) -> None:
        """Span the x of the view the axis follows, wherever its widget is."""
        plots = self._view.getViewWidget()
        if plots is None or self.window() is not plots.window():
            return
        rect = self._view.sceneBoundingRect()
        top_left = plots.viewport().mapTo(self.window(), plots.mapFromScene(rect.topLeft()))
        here = self.viewport().mapTo(self.window(), QPoint(0, 0))
        left = max(top_left.x() - here.x(), 0)
        right = max(self.viewport().width() - left - int(round(rect.width())), 0)
        if (left, right) != getattr(self, "_margins", None):
            self._margins = (left, right)
            self.title.setFixedWidth(left)  # the title is in the axis-title column
            self.ci.setContentsMargins(0, 0, right, 0)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if hasattr(self, "axis"):  # (pyqtgraph resizes while it is being built)
            self.align()


class LivePlots(pg.GraphicsLayoutWidget):
    """Stacked live plots; feed them snapshots with :meth:`set_data`."""

    follow_disabled = Signal()  #: the user panned or zoomed, so live follow stopped
    cursor_moved = Signal(float)  #: time under the mouse
    cursor_left = Signal()

    def __init__(self, colors: ThemePalette, parent=None):
        super().__init__(parent)
        self._colors = colors
        self._follow = True
        self._span_s: float | None = 600.0
        self._shown: dict[str, np.ndarray] = {}
        self._series_cells: int | None = None
        self._capacity_ah: float | None = None
        self.plots: dict[PlotKey, pg.PlotItem] = {}
        self._titles_pending = False  # a look at the axis titles' lengths is due
        #: a plot made lower writes fewer values: looked at again once laid out
        self.enough_values = EnoughValues(parent=self)
        self._grids: list[PlotGrid] = []
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._row_of_column: dict[str, PlotRow] = {}
        #: The filled ±2 sigma band of the SOC estimate (None until the data has one).
        self.soc_band: BandItem | None = None
        self.ci.setSpacing(PLOT_SPACING_PX)
        self.ci.setContentsMargins(*LAYOUT_MARGINS)
        # The cell and SOC legends get a layout row of their own above their
        # plot: inside the plot they would hide the newest or the oldest samples.
        # The SOC legend is empty (a row of no height) until the data has a band
        # or the BMS's SOC: then it says which is the estimate, the band, the BMS.
        self.cell_legend = self._legend()
        self.soc_legend = self._legend()
        # The Temp. legend is empty too, unless the source reports only its cells'
        # temperatures: then it says the curve is the hottest of them (shown_temperature).
        self.temperature_legend = self._legend()
        #: the temperature plotted (the pack's, or the hottest cell's), of the samples
        #: handed to the curves
        self.temperature = ShownTemperature(None)
        #: Stands for the SOC band in its legend (a filled square; not drawn in a plot).
        self._band_sample = pg.BarGraphItem(x=[0], height=[0], width=1, pen=None)
        legends = {
            PlotKey.TEMPERATURE: self.temperature_legend,
            PlotKey.CELLS: self.cell_legend,
            PlotKey.SOC: self.soc_legend,
        }
        layout_row = 0
        for row in ROWS:
            if row.key in legends:
                self.addItem(legends[row.key], row=layout_row, col=0)
                self.ci.layout.setAlignment(legends[row.key], Qt.AlignmentFlag.AlignLeft)
                layout_row += 1
            self._add_plot(layout_row, row)
            layout_row += 1
        #: the plots that say their source has none of their quantity, and what they say
        self.notes: dict[PlotKey, pg.TextItem] = {}
        for row in ROWS:
            note = pg.TextItem(missing_note(row), anchor=(0.5, 0.5))
            view = self.plots[row.key].getViewBox()
            note.setParentItem(view)  # not addItem(): no data, no part of the range
            note.setVisible(False)
            view.sigResized.connect(lambda view, note=note: _centre(note, view))
            self.notes[row.key] = note
        #: the rows that have drawn data since the last clear (no need to look again)
        self._rows_with_data: set[PlotKey] = set()
        #: the curves that have drawn a line since the last clear (two readings in a row)
        self._lined: set[str] = set()
        master = self.plots[ROWS[0].key]
        for plot in self.plots.values():
            if plot is not master:
                plot.setXLink(master)
        master.getViewBox().sigXRangeChanged.connect(self._on_x_range_changed)
        self.crosshair = Crosshair(list(self.plots.values()), self)
        self._update_minimum_height()
        self.crosshair.moved.connect(self.cursor_moved)
        self.crosshair.left.connect(self.cursor_left)
        self.apply_palette(colors)
        for key in self.plots:  # no values on the empty axes before any source's data
            self._show_values(key, False)

    @staticmethod
    def _legend() -> pg.LegendItem:
        legend = pg.LegendItem(colCount=1, frame=False, horSpacing=LEGEND_SPACING_PX)
        legend.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        legend.layout.setContentsMargins(AXIS_WIDTH_PX, 0, 0, 0)  # under the axis labels
        return legend

    def _add_plot(self, layout_row: int, row: PlotRow) -> None:
        plot = self.addPlot(row=layout_row, col=0, axisItems={"bottom": ElapsedTimeAxis()})
        plot.setClipToView(True)
        plot.setDownsampling(auto=True, mode="peak")
        redraw_on_resize(plot)  # (a plot filled before it was laid out drew a staircase)
        plot.hideButtons()  # the "A" button would fight the live-follow range
        plot.setMenuEnabled(True)
        # Time-series zoom is along time; y follows the visible data (_fit_y).
        plot.setMouseEnabled(x=True, y=False)
        plot.disableAutoRange()
        plot.getAxis("left").setWidth(AXIS_WIDTH_PX)
        plot.getAxis("left").enableAutoSIPrefix(row.si_prefix)
        plot.getViewBox().setMinimumHeight(MIN_PLOT_HEIGHT_PX)  # (and its title's, below)
        # The time labels are a TimeAxisBar's, under the scroll area the stack is in
        # (so they stay in view). Hidden, not just without values: an axis without
        # values still costs ~4 ms a frame to lay out its ticks. The grid still asks
        # it where they are.
        plot.hideAxis("bottom")
        plot.getViewBox().sigRangeChangedManually.connect(self._on_range_changed_manually)
        # (after the axis's own handler, which sets its title)
        plot.getViewBox().sigYRangeChanged.connect(self._on_y_range_changed)
        self._grids.append(PlotGrid(plot))
        # a lower plot writes fewer values: looked at again once the layout is done
        self.enough_values.watch(plot)
        self.plots[row.key] = plot
        if row.column is not None:
            curve = plot.plot(name=row.label)
            draw_unbroken(curve)  # (an hour of a cell at rest drew as dots and dashes)
            self.curves[row.column] = curve
            self._row_of_column[row.column] = row

    # --- data --------------------------------------------------------------
    @property
    def shown(self) -> dict[str, np.ndarray]:
        """The snapshot currently plotted."""
        return self._shown

    def set_data(self, snapshot: dict[str, np.ndarray]) -> int:
        """Plot ``snapshot`` (column → array, oldest first); returns the samples plotted."""
        t = snapshot.get(schema.TIME)
        if t is None or len(t) == 0:
            return 0
        self._ensure_cell_curves(snapshot)
        self._ensure_soc_curves(snapshot)
        self._shown = snapshot
        self._update_minimum_height()
        self._push_curves()
        self._show_missing(snapshot)
        self._follow_live()
        self._fit_y()
        return len(t)

    def _show_missing(self, snapshot: dict[str, np.ndarray]) -> None:
        """A plot whose source has none of its quantity says so (no empty axes with the
        previous source's range: a Neware log's Cells plot kept a simulation's 3.95-4.10 V)."""
        t = snapshot[schema.TIME]
        first = self._live_window_start(t)
        for row in ROWS:
            if row.key in self._rows_with_data:
                continue
            if row.key is PlotKey.TEMPERATURE:  # as plotted: the pack's, or the hottest cell's
                y = self.temperature.values
                has = y is not None and bool(np.isfinite(y).any())
            else:
                columns = (
                    [row.column]
                    if row.column is not None
                    else schema.cell_voltage_columns(snapshot)
                )
                has = any(
                    (y := snapshot.get(column)) is not None and np.isfinite(y[first:]).any()
                    for column in columns
                )
            if has:
                self._rows_with_data.add(row.key)
            self._set_missing(row.key, not has)

    def _set_missing(self, key: PlotKey, missing: bool) -> None:
        note = self.notes[key]
        if note.isVisible() != missing:
            note.setVisible(missing)
            if missing:
                _centre(note, self.plots[key].getViewBox())
        # no tick values of a range that is no one's (the previous source's, or 0-1)
        self._show_values(key, not missing)

    def _show_values(self, key: PlotKey, shown: bool) -> None:
        axis = self.plots[key].getAxis("left")
        if axis.style["showValues"] != shown:
            axis.setStyle(showValues=shown)

    def _live_window_start(self, t: np.ndarray) -> int:
        """Index of the first sample the curves need: while following a live
        window only that window (plus a margin) is handed to pyqtgraph, whose
        setData scans the whole array on every frame (~23 ms for 8 curves of
        1e6 points, against ~9 ms for the window). The full snapshot stays in
        ``shown`` and goes back to the curves as soon as the user pans or zooms."""
        if not self._follow or self._span_s is None:
            return 0
        start = float(t[-1]) - LIVE_WINDOW_MARGIN * self._span_s
        return max(0, int(np.searchsorted(t, start, side="left")) - 1)

    def _push_curves(self) -> None:
        snapshot = self._shown
        t = snapshot.get(schema.TIME)
        if t is None:
            return
        first = self._live_window_start(t)
        self._set_temperature(shown_temperature(snapshot, slice(first, None)))
        for column, curve in self.curves.items():
            if column == schema.TEMPERATURE:
                y = self.temperature.values
            else:
                y = snapshot.get(column)
                y = None if y is None else y[first:]
            if y is None:
                curve.setData([], [])
            else:
                curve.setData(t[first:], y)
                self._mark_lone_readings(column, curve, y)

    def _mark_lone_readings(self, column: str, curve: pg.PlotDataItem, y: np.ndarray) -> None:
        """A dot at each reading of a curve none of whose readings has a neighbour: a
        line joins two readings in a row, and a CAN trace whose frames each carry some
        of the signals (the foxBMS trace: each cell's voltage in one of its two
        samples) drew nothing, as if the source had no cells. Once a curve has drawn a
        line it is no longer looked at (until the next source)."""
        if column in self._lined or column in (SOC_BAND_LOW, SOC_BAND_HIGH):
            return
        readings = np.isfinite(y)
        lone = not (readings[1:] & readings[:-1]).any()
        if not lone:
            self._lined.add(column)
        if lone == (curve.opts["symbol"] is not None):
            return
        if lone:
            color = curve.opts["pen"].color()
            curve.setSymbol("o")
            curve.setSymbolSize(LONE_READING_DOT_PX)
            curve.setSymbolPen(color)
            curve.setSymbolBrush(color)
        else:
            curve.setSymbol(None)

    def _set_temperature(self, temperature: ShownTemperature) -> None:
        """Plot ``temperature``; the Temp. legend says when it is the hottest cell's."""
        was = self.temperature.note
        self.temperature = temperature
        if temperature.note != was:
            self.temperature_legend.clear()
            self.temperature_legend._wrapped = None  # (wrap_legend lays it out afresh)
            if temperature.note:
                curve = self.curves[schema.TEMPERATURE]
                self.temperature_legend.addItem(curve, temperature.note.capitalize())
                set_legend_text(self.temperature_legend, self._colors.text, f"{TICK_FONT_PT}pt")
            self._update_minimum_height()

    def clear_data(self) -> None:
        """Forget the data, and the curves that only some sources have (cells, SOC band, BMS)."""
        self._shown = {}
        self._set_temperature(ShownTemperature(None))
        for column in list(self.curves):
            row = self._row_of_column[column]
            if row.key is PlotKey.CELLS:
                self.cell_legend.removeItem(self.curves[column])
            if row.column != column:
                self.plots[row.key].removeItem(self.curves.pop(column))
                del self._row_of_column[column]
            else:
                self.curves[column].setData([], [])
        if self.soc_band is not None:
            self.plots[PlotKey.SOC].removeItem(self.soc_band)
            self.soc_band = None
        self.soc_legend.clear()
        self._band_sample.setVisible(True)  # the next source's band starts shown
        self._update_minimum_height()
        # the next source's data decides each range and note afresh
        self._rows_with_data.clear()
        self._lined.clear()
        for key, plot in self.plots.items():
            self._set_missing(key, False)
            # nor before the source's first data: the stacked empty plots wrote 0-1 each,
            # each one's "0" run into the "1.0" of the plot under it
            self._show_values(key, False)
            plot.setYRange(0.0, 1.0, padding=0)

    def _update_minimum_height(self) -> None:
        """The widget's least height: every plot's at least :func:`least_plot_height`
        with the legends shown (a scroll area around it scrolls on a short screen).
        Worked out again only when a legend's entries changed: a layout invalidated on
        every frame would be laid out again on every frame."""
        room = self._legend_room()
        legends = (self.cell_legend, self.soc_legend, self.temperature_legend)
        wrapped = [wrap_legend(legend, room) for legend in legends]
        entries = tuple(len(legend.items) for legend in legends)
        if entries == getattr(self, "_legend_entries", None) and not any(wrapped):
            return
        self._legend_entries = entries
        for legend in legends:
            legend.updateGeometry()
        self.ci.layout.invalidate()
        margins = self.contentsMargins()
        height = self.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).height()
        height = int(np.ceil(height)) + margins.top() + margins.bottom() + 2 * self.frameWidth()
        if height != self.minimumHeight():
            self.setMinimumHeight(height)

    def _legend_room(self) -> float:
        """The width the legends have: the plots' less the axis column under them."""
        left, _top, right, _bottom = LAYOUT_MARGINS
        frame = 2 * self.frameWidth()
        return max(self.width() - frame - left - right - AXIS_WIDTH_PX, 0)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        # the legends wrap to the new width (and the least height follows their rows)
        if hasattr(self, "crosshair"):  # (pyqtgraph resizes while it is being built)
            self._update_minimum_height()

    def _ensure_cell_curves(self, snapshot) -> None:
        cells_row = ROWS[-1]
        plot = self.plots[PlotKey.CELLS]
        columns = schema.cell_voltage_columns(snapshot)
        # a large pack's legend names its cells by number alone (the plot is "Cells"):
        # "Cell 1".."Cell 16" took 4 rows at 1024 px, and the plot of the cells was
        # squeezed under them
        numbers_only = len(columns) > LEGEND_CELL_WORD_MAX
        for column in columns:
            if column in self.curves:
                continue
            k = int(schema.CELL_VOLTAGE_RE.match(column).group(1))
            curve = plot.plot(pen=_pen(self._colors.cell_color(k - 1)))
            draw_unbroken(curve)
            self.cell_legend.addItem(curve, f"{k}" if numbers_only else f"Cell {k}")
            self.curves[column] = curve
            self._row_of_column[column] = cells_row

    def _ensure_soc_curves(self, snapshot) -> None:
        """The SOC band and the BMS's SOC, once a snapshot carries them."""
        soc_row = next(row for row in ROWS if row.key is PlotKey.SOC)
        plot = self.plots[PlotKey.SOC]
        if SOC_BAND_LOW in snapshot and SOC_BAND_HIGH in snapshot and self.soc_band is None:
            edges = []
            for column in (SOC_BAND_LOW, SOC_BAND_HIGH):
                edge = plot.plot(pen=self._pen_for(column))
                # mean, not peak: a peak-downsampled edge zigzags between its
                # bucket's extremes and the fill between two zigzags has holes
                edge.setDownsampling(auto=True, method="mean")
                self.curves[column] = edge
                self._row_of_column[column] = soc_row
                edges.append(edge)
            # Between the inner curve items: those are re-cut on every zoom and
            # scroll (clip to view), the PlotDataItems only signal new data.
            band = BandItem(edges[0].curve, edges[1].curve, brush=self._band_color())
            band.setFillRule(Qt.FillRule.WindingFill)
            band.setZValue(-10)  # under the SOC curves, over the grid
            plot.addItem(band)
            self.soc_band = band
            self._add_soc_legend_entry(self._band_sample, SOC_BAND_LABEL)
        if SOC_BMS in snapshot and SOC_BMS not in self.curves:
            self.curves[SOC_BMS] = plot.plot(pen=self._pen_for(SOC_BMS), name="BMS")
            draw_unbroken(self.curves[SOC_BMS], dashed=True)
            self._row_of_column[SOC_BMS] = soc_row
            self._add_soc_legend_entry(self.curves[SOC_BMS], SOC_BMS_LABEL)

    def _add_soc_legend_entry(self, item, label: str) -> None:
        """One entry of the SOC legend, after the estimate's (added with the first)."""
        if not self.soc_legend.items:
            self.soc_legend.addItem(self.curves[SOC_COLUMN], SOC_ESTIMATE_LABEL)
        self.soc_legend.addItem(item, label)
        if item is self._band_sample:
            # a click on the square hides the band as a click on a line hides its curve
            sample = self.soc_legend.items[-1][0]
            sample.sigClicked.connect(self._on_band_sample_clicked)

    def _on_band_sample_clicked(self, _item) -> None:
        if self.soc_band is not None:
            self.soc_band.setVisible(self._band_sample.isVisible())

    @property
    def soc_legend_labels(self) -> list[str]:
        """The SOC legend's entries as shown."""
        return [label.text for _sample, label in self.soc_legend.items]

    def _pen_for(self, column: str) -> pg.QtGui.QPen:
        row = self._row_of_column.get(column)
        if column in (SOC_BAND_LOW, SOC_BAND_HIGH):
            return _no_pen()  # the fill shows the band; edge lines would look like data
        if column == SOC_BMS:
            return _pen(self._colors.soc_bms, Qt.PenStyle.DashLine)
        if (match := schema.CELL_VOLTAGE_RE.match(column)) is not None:
            return _pen(self._colors.cell_color(int(match.group(1)) - 1))
        return _pen(getattr(self._colors, row.color_role))

    def _band_color(self) -> str:
        return mix(self._colors.soc, self._colors.plot_background, SOC_BAND_OPACITY)

    def values_at(self, t: float) -> dict[str, float]:
        """Values of every plotted column at the sample nearest to time ``t``."""
        time = self._shown.get(schema.TIME)
        if time is None or len(time) == 0:
            return {}
        i = int(np.searchsorted(time, t))
        if i >= len(time):
            i = len(time) - 1
        elif i > 0 and t - time[i - 1] <= time[i] - t:
            i -= 1  # the sample before is nearer
        out = {schema.TIME: float(time[i])}
        for column in (*self.curves, SOC_BMS_DIFFERENCE):
            if column in self._shown:
                out[column] = float(self._shown[column][i])
        # the temperature as plotted (the hottest cell's when the source has only those;
        # :attr:`temperature` says which)
        temperature = shown_temperature(self._shown, slice(i, i + 1)).values
        if temperature is not None:
            out[schema.TEMPERATURE] = float(temperature[0])
        return out

    # --- time range ----------------------------------------------------------
    @property
    def following(self) -> bool:
        return self._follow

    def set_follow(self, follow: bool) -> None:
        """Keep the newest samples in view (True) or leave the range to the user."""
        self._follow = follow
        self._push_curves()
        if follow:
            self._follow_live()
            self._fit_y(refit=True)

    def set_span(self, seconds: float | None) -> None:
        """Width of the live window in seconds; None shows everything."""
        self._span_s = seconds
        self._push_curves()
        self._follow_live()

    def _follow_live(self) -> None:
        t = self._shown.get(schema.TIME)
        if not self._follow or t is None or len(t) == 0:
            return
        t_first, t_last = float(t[0]), float(t[-1])
        lo = t_first if self._span_s is None else max(t_first, t_last - self._span_s)
        hi = t_last if t_last > lo else lo + 1.0
        self.plots[ROWS[0].key].setXRange(lo, hi, padding=0)

    def _on_x_range_changed(self, *_args) -> None:
        self._fit_y()

    def _fit_y(self, refit: bool = False) -> None:
        """Fit each plot's y range to its curves in the visible time range.

        Sticky: the range changes only when the data leaves it or shrinks to
        less than half of it. Exact fitting on every frame (pyqtgraph's
        auto-range) makes the axes jitter while following live and re-lays out
        five axes a frame (~3 ms).
        """
        for key, plot in self.plots.items():
            low = high = None
            for column, curve in self.curves.items():
                if self._row_of_column[column].key is not key:
                    continue
                # the displayed (clipped, peak-downsampled) data keeps every
                # extreme of the visible range, at a few thousand points
                y = curve.getData()[1]
                if y is None or len(y) == 0 or not np.isfinite(y).any():
                    continue
                lo, hi = float(np.nanmin(y)), float(np.nanmax(y))
                low = lo if low is None else min(low, lo)
                high = hi if high is None else max(high, hi)
            if low is None:
                continue
            current = None if refit else tuple(plot.getViewBox().viewRange()[1])
            new = sticky_range(current, low, high, self.min_span(key))
            if new is not None:
                plot.setYRange(*new, padding=0)
                write_enough_values(plot)  # (this frame, not the next)

    def _on_y_range_changed(self, *_args) -> None:
        """A new y range may give an axis title an SI prefix ("Current (mA)" at 0 A ran
        into the "Pack (V)" above it): its plot's least height follows, once the range
        is drawn (pyqtgraph sets the title while it paints, not in ``setYRange``)."""
        if not self._titles_pending:
            self._titles_pending = True
            QTimer.singleShot(0, self, self._fit_titles)

    def _fit_titles(self) -> None:
        """Each plot at least as high as its axis title (:func:`least_plot_height`). The
        layout changes only when a title's length did."""
        self._titles_pending = False
        changed = False
        for plot in self.plots.values():
            view, least = plot.getViewBox(), least_plot_height(plot)
            if view.minimumHeight() != least:
                view.setMinimumHeight(least)
                changed = True
        if changed and hasattr(self, "crosshair"):  # (not while it is being built)
            self._legend_entries = None  # the least height is worked out again
            self._update_minimum_height()

    def set_battery(self, series_cells: int | None, capacity_ah: float | None) -> None:
        """The battery shown (None: not known): its cells and capacity set the least
        y spans of the voltage and current plots (:meth:`min_span`)."""
        self._series_cells = series_cells
        self._capacity_ah = capacity_ah

    def min_span(self, key: PlotKey) -> float:
        """The least y span of plot ``key`` (its unit: V, A, °C, %)."""
        if key is PlotKey.VOLTAGE:
            cells = self._series_cells or len(schema.cell_voltage_columns(self._shown)) or 1
            return MIN_CELL_SPAN_V * cells
        if key is PlotKey.CELLS:
            return MIN_CELL_SPAN_V
        if key is PlotKey.CURRENT:
            if self._capacity_ah:
                return MIN_CURRENT_SPAN_C * self._capacity_ah
            return MIN_CURRENT_SPAN_A
        if key is PlotKey.TEMPERATURE:
            return MIN_TEMPERATURE_SPAN_C
        return MIN_SOC_SPAN_PERCENT

    def _on_range_changed_manually(self, *_mask) -> None:
        if self._follow:
            self._follow = False
            self._push_curves()  # the whole history, to pan and zoom through
            self.follow_disabled.emit()

    # --- look ----------------------------------------------------------------
    def apply_palette(self, colors: ThemePalette) -> None:
        """Recolour background, axes, grid, curves and legend for a theme."""
        self._colors = colors
        self.setBackground(colors.plot_background)
        tick_font = QFont()
        tick_font.setPointSize(TICK_FONT_PT)
        label_style = {"color": colors.plot_axis, "font-size": f"{LABEL_FONT_PT}pt"}
        for row in ROWS:
            plot = self.plots[row.key]
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(_pen(colors.plot_axis))
                axis.setTextPen(colors.plot_axis)
                axis.setStyle(tickFont=tick_font, tickTextOffset=4)
                if side == "left":
                    # outward: inward ticks read as data; and a short plot labels its
                    # finer ticks rather than stop at two values (pyqtgraph's 0.6)
                    axis.setStyle(tickLength=5, textFillLimits=TEXT_FILL_LIMITS)
            plot.setLabel("left", row.label, units=row.units, **label_style)
        self._fit_titles()
        major = mix(colors.plot_axis, colors.plot_background, colors.plot_grid_alpha)
        minor = mix(colors.plot_axis, colors.plot_background, colors.plot_grid_alpha / 2)
        for grid in self._grids:
            grid.set_colors(major, minor)
        for column, curve in self.curves.items():
            curve.setPen(self._pen_for(column))
        if self.soc_band is not None:
            self.soc_band.setBrush(self._band_color())
        self._band_sample.setOpts(brush=self._band_color())
        for legend in (self.cell_legend, self.soc_legend, self.temperature_legend):
            set_legend_text(legend, colors.text, f"{TICK_FONT_PT}pt")
        self.crosshair.set_color(colors.crosshair)
        for note in self.notes.values():
            note.setColor(colors.text_muted)

    # --- events ----------------------------------------------------------------
    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.crosshair.hide()
        super().leaveEvent(event)
