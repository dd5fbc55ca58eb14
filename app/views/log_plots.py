"""The Logs page's plots: V/I/T over time, capacity and efficiency per cycle, dQ/dV.

Each takes the opened logs to show (:class:`~app.views.log_analysis.LogAnalysis`)
with one colour per file, and draws 1-px cosmetic pens with clip-to-view and
peak downsampling, axis labels with units and a legend naming the files (in a row above
the plots, not over the curves).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontMetricsF
from PySide6.QtWidgets import QSizePolicy

from app.core import schema
from app.views.axis_values import EnoughValues
from app.views.log_analysis import LogAnalysis
from app.views.peak_lines import draw_unbroken, redraw_on_resize
from app.views.plot_grid import PlotGrid, mix, set_legend_text
from app.views.theme import ThemePalette
from app.views.time_axis import time_scale

LABEL_FONT_PT = 10
TICK_FONT_PT = 9
AXIS_WIDTH_PX = 70
#: between the legend's columns (and its right margin)
LEGEND_SPACING_PX = 20


def pen(color: str, style: Qt.PenStyle = Qt.PenStyle.SolidLine):
    p = pg.mkPen(color, width=1, style=style)
    p.setCosmetic(True)
    return p


class CycleAxis(pg.AxisItem):
    """An axis of cycle numbers: whole numbers only (no cycle 1.5)."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 - pyqtgraph API
        levels = []
        for spacing, values in super().tickValues(minVal, maxVal, size):
            if spacing >= 1:
                levels.append((spacing, [v for v in values if float(v).is_integer()]))
        return levels or [(1.0, [float(v) for v in range(int(np.ceil(minVal)), int(maxVal) + 1)])]


def _text_width(label: pg.LabelItem) -> float:
    """``label``'s text's width as drawn (its styled font), known once it is set."""
    return label.item.boundingRect().width()


def _elide_label(label: pg.LabelItem, fits: float) -> None:
    """``label``'s text cut in the middle with '…' to at most ``fits`` px as drawn (the
    label's size and style are in its HTML, not its item's font: measured, not guessed)."""
    full = label.text
    metrics = QFontMetricsF(label.item.font())
    target = fits * metrics.horizontalAdvance(full) / max(_text_width(label), 1.0)
    for _ in range(8):  # (a first guess from the font's proportions, then closer)
        label.setText(metrics.elidedText(full, Qt.TextElideMode.ElideMiddle, target))
        drawn = _text_width(label)
        if drawn <= fits or target <= 1.0:
            return
        target *= fits / drawn * 0.98


class _PlotStack(pg.GraphicsLayoutWidget):
    """Plots stacked in one column, x-linked to the first, themed together."""

    #: (y label, y unit, x label) of each plot, top to bottom
    rows: tuple[tuple[str, str, str], ...] = ()

    def __init__(self, colors: ThemePalette, parent=None):
        super().__init__(parent)
        self._colors = colors
        self.plots: list[pg.PlotItem] = []
        self._grids: list[PlotGrid] = []
        self.x_unit = ""
        # the legend in a row of its own above the plots: inside the first plot it
        # covered the curves (a capacity fading from the top-right corner); empty,
        # the row takes no room
        self.legend = pg.LegendItem(colCount=2, horSpacing=LEGEND_SPACING_PX)
        self._legend_names: dict[int, str] = {}  # id(label) -> the entry's full name
        self.legend.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.legend.layout.setContentsMargins(AXIS_WIDTH_PX, 0, 0, 0)  # under the y labels
        self.addItem(self.legend, row=0, col=0)
        self.ci.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignLeft)
        for k, _row in enumerate(self.rows):
            axes = {"bottom": CycleAxis("bottom")} if self.cycle_axis else None
            plot = self.addPlot(row=k + 1, col=0, axisItems=axes)
            if self.large_data:
                plot.setClipToView(True)
                plot.setDownsampling(auto=True, mode="peak")
                redraw_on_resize(plot)
            plot.getAxis("left").setWidth(AXIS_WIDTH_PX)
            # the x label names its unit (s, min, h, V): no "(x0.001)" on a 1 s log
            plot.getAxis("bottom").enableAutoSIPrefix(False)
            plot.setMenuEnabled(False)
            if self.plots and self.link_x:
                plot.setXLink(self.plots[0])
            self._grids.append(PlotGrid(plot))
            self.plots.append(plot)
        # each y axis writes three values or more, as the dashboard's (an auto-ranged
        # span of 2.25 to 3 major steps was written as two)
        self.enough_values = EnoughValues(self.plots, parent=self)
        self.curves: dict[tuple[int, str], pg.PlotDataItem] = {}
        #: what the first plot says instead of showing empty axes (None: it has curves)
        self.note: str | None = None
        self.apply_palette(colors)

    link_x = True
    cycle_axis = False
    #: clip to the view and peak-downsample (samples, not one point per cycle or bin)
    large_data = False

    def apply_palette(self, colors: ThemePalette) -> None:
        self._colors = colors
        self.setBackground(colors.plot_background)
        style = {"color": colors.plot_axis, "font-size": f"{LABEL_FONT_PT}pt"}
        for plot, grid, (label, unit, x_label) in zip(
            self.plots, self._grids, self.rows, strict=True
        ):
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(pen(colors.plot_axis))
                axis.setTextPen(pen(colors.plot_axis))
            # "k°C" or "k%" read badly: SI prefixes only for V, A, Ah
            plot.getAxis("left").enableAutoSIPrefix(unit in ("V", "A", "Ah"))
            plot.setLabel("left", label, units=unit or None, **style)
            if not self.x_unit:  # no file shown: "Time", not "Time ()"
                x_label = x_label.replace(" ({unit})", "")
            plot.setLabel("bottom", x_label.format(unit=self.x_unit), **style)
            grid.set_colors(
                mix(colors.plot_axis, colors.plot_background, colors.plot_grid_alpha),
                mix(colors.plot_axis, colors.plot_background, colors.plot_grid_alpha / 2),
            )
        set_legend_text(self.legend, colors.text)
        self.set_note(self.note)

    def set_note(self, text: str | None) -> None:
        """Say ``text`` where the plots are, instead of placeholder 0-1 axes (None: the
        plots as they are)."""
        self.note = text
        style = {"color": self._colors.text_muted, "size": f"{LABEL_FONT_PT}pt"}
        self.plots[0].setTitle(text, **style)
        for plot, grid in zip(self.plots, self._grids, strict=True):
            for side in ("left", "bottom"):
                plot.showAxis(side, text is None)
            grid.setVisible(text is None)  # (no grid of an empty 0-1 range either)

    def clear_curves(self) -> None:
        for plot in self.plots:
            for item in list(plot.listDataItems()):
                plot.removeItem(item)
        self.legend.clear()
        self._legend_names.clear()
        self.curves.clear()

    def add_curve(self, row: int, key: str, x, y, color: str, name: str | None = None, **kw):
        if "symbol" in kw and not np.isfinite(np.asarray(y, dtype=float)).any():
            kw = {k: v for k, v in kw.items() if not k.startswith("symbol")}  # nothing to mark
        line = pen(color, kw.pop("style", Qt.PenStyle.SolidLine)) if kw.pop("line", True) else None
        item = self.plots[row].plot(x, y, pen=line, name=None, **kw)
        if self.large_data and line is not None:  # (a flat trace drew as dots and dashes)
            draw_unbroken(item, dashed=line.style() != Qt.PenStyle.SolidLine)
        if name is not None:
            self.legend.addItem(item, name)
            self._legend_names[id(self.legend.items[-1][1])] = name
            self.fit_legend()
        self.curves[(row, key)] = item
        return item

    @property
    def legend_names(self) -> list[str]:
        """The legend's entries' names in full (shown elided where they do not fit)."""
        return [self._legend_names.get(id(label), label.text) for _s, label in self.legend.items]

    def fit_legend(self) -> None:
        """The legend within the width beside the y axis: two columns where they fit,
        else one, a name too long for it elided in the middle (two long file names
        side by side ran past the right edge, the second cut off).

        The widths are the texts' as drawn, measured as soon as they are set: a
        label's layout width lags until the layout runs, so one elided at 1024 px
        still measured short after the full name was put back at 1600 px, two columns
        were chosen and the plots grew past the tab's right edge."""
        entries = self.legend.items
        if not entries:
            return
        # the left margin, and the spacing between sample and name, between columns
        # and at the right
        room = self.width() - AXIS_WIDTH_PX - 2 * LEGEND_SPACING_PX
        for _sample, label in entries:  # (the full names: the room may have grown)
            full = self._legend_names.get(id(label))
            if full is not None and label.text != full:
                label.setText(full)
        widths = [
            sample.boundingRect().width() + _text_width(label) + LEGEND_SPACING_PX
            for sample, label in entries
        ]
        two = max(widths[0::2]) + (
            max(widths[1::2]) + LEGEND_SPACING_PX if len(widths) > 1 else 0.0
        )
        columns = 2 if len(widths) > 1 and two <= room else 1
        if columns == 1:
            for (sample, label), width in zip(entries, widths, strict=True):
                if width > room:
                    fits = max(room - sample.boundingRect().width() - LEGEND_SPACING_PX, 40.0)
                    _elide_label(label, fits)
        if columns != self.legend.columnCount:
            self.legend.setColumnCount(columns)
        else:
            self.legend.updateSize()
        # the layout back to the view's width: it had grown to the wider legend (as
        # the view resized, before this ran) and stays so until the next resize
        self.ci.setGeometry(self.range)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if getattr(self, "_legend_names", None) is not None:  # (not while __init__ runs)
            self.fit_legend()

    def autorange(self) -> None:
        for plot in self.plots:
            plot.enableAutoRange()

    def reset_view(self) -> None:
        """The axes as before any curve was drawn (no file's ranges left on them)."""
        for plot in self.plots:
            plot.setRange(xRange=(0.0, 1.0), yRange=(0.0, 1.0), padding=0.0)
        self.autorange()


#: the time-series plots' note when every file shown is a per-cycle table
NO_SAMPLES_NOTE = (
    "No samples over time: a per-cycle table has only its cycles' capacities "
    "(the Per cycle tab plots them)"
)


class TimeSeriesPlots(_PlotStack):
    """Voltage, current and temperature against time, one colour per file."""

    large_data = True
    rows = (
        ("Voltage", "V", "Time ({unit})"),
        ("Current", "A", "Time ({unit})"),
        ("Temperature", "°C", "Time ({unit})"),
    )

    def show_logs(self, logs: list[tuple[LogAnalysis, str]]) -> None:
        self.clear_curves()
        given = len(logs)
        logs = [(a, color) for a, color in logs if len(a.frame)]  # a per-cycle table has none
        # only per-cycle tables shown: say why there is nothing over time (three empty
        # 0-1 plots said nothing)
        self.set_note(NO_SAMPLES_NOTE if given and not logs else None)
        span = max((float(np.ptp(a.frame[schema.TIME])) for a, _ in logs), default=0.0)
        scale, self.x_unit = time_scale(span)
        for analysis, color in logs:
            t = analysis.frame[schema.TIME].to_numpy(dtype=float)
            x = (t - t[0]) / scale
            for row, column in enumerate((schema.VOLTAGE, schema.CURRENT, schema.TEMPERATURE)):
                y = analysis.column(column)
                if y is not None:
                    name = analysis.name if row == 0 else None
                    self.add_curve(row, analysis.path, x, y, color, name)
        # a quantity no shown file has (most cycler exports: temperature) takes no room
        drawn = {row for row, _key in self.curves}
        for row, plot in enumerate(self.plots):
            plot.setVisible(row == 0 or (not logs and not given) or row in drawn)
        self.apply_palette(self._colors)  # the time unit is in the axis label
        self.autorange()


#: what a partial cycle's mark means (the Logs page's note over the plots)
PARTIAL_NOTE = (
    "Hollow marks (○ discharge, △ charge) are partial cycles: they start or end mid-way, "
    "or lack a charge or a discharge; their capacity is not a whole cycle's"
)

#: the mark of each half on the per-cycle plot: discharge a circle, charge a triangle
HALF_SYMBOLS = {"discharge": "o", "charge": "t1"}


def charge_color(color: str) -> str:
    """A file's charge colour: its colour's opposite hue at the same lightness and
    saturation (a blue file charges in orange), so its charge and discharge differ in
    colour as well as mark and line, with the theme colour's contrast to the plot
    background."""
    c = QColor(color)
    hue, sat, light, _alpha = c.getHsl()
    return QColor.fromHsl((max(hue, 0) + 180) % 360, sat, light).name()


def partial_mask(cycles) -> np.ndarray:
    """The cycles the per-cycle table marks ``partial`` (none in a table without the mark)."""
    if "partial" not in cycles:
        return np.zeros(len(cycles), dtype=bool)
    return cycles["partial"].fillna(False).to_numpy(dtype=bool)


class CyclePlots(_PlotStack):
    """Discharge and charge capacity, and coulombic efficiency, per cycle.

    Discharge is the file's colour, a solid line and filled circles; charge a lighter
    (dark theme) or darker (light theme) shade of it, a dashed line and filled
    triangles; each named in the legend. A partial cycle (``partial`` in the per-cycle
    table: see :mod:`app.diagnostics.partial_cycles`) is its half's mark hollow, off the
    lines, named in the legend ("discharge, partial cycle"), and listed in
    :attr:`partial_cycles` (the page's note): a 3 s excerpt's cycle, or a first cycle's
    0.02 Ah top-up charge, is not drawn as a whole cycle's capacity.
    """

    def __init__(self, colors: ThemePalette, parent=None):
        super().__init__(colors, parent)
        #: file name -> its partial cycles shown, for the files that have any
        self.partial_cycles: dict[str, list[int]] = {}

    rows = (("Capacity", "Ah", "Cycle"), ("Coulombic efficiency", "%", "Cycle"))
    cycle_axis = True

    def show_logs(self, logs: list[tuple[LogAnalysis, str]]) -> None:
        self.clear_curves()
        cycle_numbers: list[np.ndarray] = []
        self.partial_cycles = {}
        for analysis, color in logs:
            cycles = analysis.cycles
            if cycles.empty:
                continue
            x = cycles["cycle_index"].to_numpy(dtype=float)
            partial = partial_mask(cycles)
            partial_shown: list[np.ndarray] = []
            # a per-cycle table of many cycles: a line (symbols would blot it out); a
            # charge-only log's single cycle: a marked point, not an invisible dash
            few = len(x) <= 200
            # a cycle's charge or discharge below 0.1 % of the file's largest (4e-11 Ah of
            # a charge-only log's "discharge"): none, not a 0 mAh point
            capacities = [
                cycles[f"{key}_capacity_ah"].to_numpy(dtype=float)
                for key in ("discharge", "charge")
                if f"{key}_capacity_ah" in cycles
            ]
            largest = max((np.nanmax(c, initial=0.0) for c in capacities), default=0.0)
            for key, style, shade in (
                ("discharge", Qt.PenStyle.SolidLine, color),
                ("charge", Qt.PenStyle.DashLine, charge_color(color)),
            ):
                if f"{key}_capacity_ah" not in cycles:  # a per-cycle table: discharge only
                    continue
                y = cycles[f"{key}_capacity_ah"].to_numpy(dtype=float)
                with np.errstate(invalid="ignore"):
                    y = np.where(y > 1e-3 * largest, y, np.nan)
                if not np.isfinite(y).any():
                    continue
                cycle_numbers.append(x[np.isfinite(y)])
                mark = HALF_SYMBOLS[key]
                shown_partial = partial & np.isfinite(y)
                if shown_partial.any():
                    partial_shown.append(x[shown_partial])
                    self.add_curve(0, f"{analysis.path}:{key}:partial", x[shown_partial],
                                   y[shown_partial], shade,
                                   f"{analysis.name} · {key}, partial cycle", line=False,
                                   symbol=mark, symbolSize=9, symbolPen=pen(shade),
                                   symbolBrush=None)  # fmt: skip
                y = np.where(partial, np.nan, y)
                if not np.isfinite(y).any():
                    continue
                symbol = {"symbol": mark, "symbolSize": 6, "symbolPen": pen(shade),
                          "symbolBrush": pg.mkBrush(shade)} if few else {}  # fmt: skip
                self.add_curve(0, f"{analysis.path}:{key}", x, y, shade,
                               f"{analysis.name} · {key}", style=style, connect="finite",
                               **symbol)  # fmt: skip
            if partial_shown:
                shown = sorted({int(c) for c in np.concatenate(partial_shown)})
                self.partial_cycles[analysis.name] = shown
            if "coulombic_efficiency" in cycles:
                ce = cycles["coulombic_efficiency"].to_numpy(dtype=float) * 100.0
                if np.isfinite(ce).any():
                    symbol = {"symbol": "o", "symbolSize": 5, "symbolPen": pen(color),
                              "symbolBrush": pg.mkBrush(color)} if few else {}  # fmt: skip
                    self.add_curve(1, f"{analysis.path}:ce", x, ce, color, None,
                                   connect="finite", **symbol)  # fmt: skip
        # no efficiency in any file (a charge-only log): no empty 0-1 "%" axis
        self.plots[1].setVisible(not logs or any(row == 1 for row, _key in self.curves))
        self.autorange()
        for row, plot in enumerate(self.plots):
            # one level (the Maccor excerpt's single partial 4 mAh point): from 0 to it,
            # not the ±0.5 Ah pyqtgraph gives a span of nothing (-500..500 mAh)
            ys = [item.getData()[1] for (r, _key), item in self.curves.items() if r == row]
            ys = np.concatenate([y for y in ys if y is not None] or [np.empty(0)])
            ys = ys[np.isfinite(ys)]
            if ys.size and ys.min() == ys.max() and ys[0] != 0:
                level = float(ys[0])
                plot.setYRange(min(0.0, level), max(0.0, level), padding=0.1)
        if cycle_numbers:  # every cycle's point inside the axes (the last one was on its edge)
            shown = np.concatenate(cycle_numbers)
            self.plots[0].setXRange(shown.min() - 0.5, shown.max() + 0.5, padding=0.02)
            for plot in self.plots[1:]:  # the linked efficiency plot must not narrow it again
                plot.enableAutoRange(x=False)


class IcaPlot(_PlotStack):
    """dQ/dV against cell voltage of one cycle and direction, one colour per file."""

    rows = (("dQ/dV", "Ah/V", "Cell voltage (V)"),)
    link_x = False

    def show_logs(
        self, logs: list[tuple[LogAnalysis, str]], cycle: int | None, direction: str
    ) -> None:
        """The curves of ``cycle`` (None: no cycle has one: none)."""
        self.clear_curves()
        for analysis, color in logs if cycle is not None else ():
            trace = analysis.ica_for(cycle, direction)
            if trace is not None:
                self.add_curve(0, analysis.path, trace.voltage_v, trace.dqdv_ah_per_v, color,
                               f"{analysis.name} · cycle {cycle} {direction} "
                               f"(C/{1 / trace.c_rate:.0f})" if trace.c_rate > 0 else analysis.name)  # fmt: skip
        # nothing to draw: say so (the page's note says why), not placeholder 0-1 axes
        self.set_note("no dQ/dV" if not self.curves else None)
        self.autorange()
