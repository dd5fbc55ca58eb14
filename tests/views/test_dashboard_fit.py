"""The dashboard at 1024 x 700 (a first-time user's report): every sample in view with
many cells, axes that do not zoom into a flat signal, read-outs with a small cell's
digits, a connection dialog and an Alerts table that fit the window, and a Home source
box that names the source connected."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSize

from app.core import schema
from app.core.spec import preset
from app.views.alerts_page import worst_text
from app.views.dashboard import DashboardPage, cursor_html
from app.views.live_plots import (
    MIN_CELL_SPAN_V,
    MIN_CURRENT_SPAN_A,
    MIN_CURRENT_SPAN_C,
    PlotKey,
    sticky_range,
)
from app.views.readouts import ReadoutKey, derive_readouts, scaled_text
from app.views.soc_columns import SOC_BAND_HIGH, SOC_BAND_LOW, SOC_COLUMN, soc_band_text
from app.views.theme import DARK, LIGHT

from .view_fakes import scripted_block


def _snapshot(n: int, cells: int) -> dict[str, np.ndarray]:
    return dict(scripted_block(0, n, cells).items())


@pytest.fixture
def small_dashboard(qtbot):
    """The dashboard as wide as a 1024 px window leaves it."""
    page = DashboardPage(DARK)
    page.resize(840, 640)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    return page


def _fits(page: DashboardPage) -> bool:
    plots = page.plots
    return plots.ci.boundingRect().width() <= page.plots_scroll.viewport().width() + 0.5


@pytest.mark.parametrize("cells", [8, 16])
def test_with_many_cells_the_plots_fit_and_show_the_newest_sample(qtbot, small_dashboard, cells):
    """A legend of 16 cells in one row made the layout 1569 px wide in a 630 px space: the
    axis stopped at 3:45 of 10:00. The legend wraps; the layout is the viewport's width
    and the time axis's end (the last sample) is inside it."""
    page = small_dashboard
    snap = _snapshot(600, cells)
    page.show_frame(snap)
    plots = page.plots
    qtbot.waitUntil(lambda: _fits(page))
    master = plots.plots[PlotKey.VOLTAGE]
    lo, hi = master.viewRange()[0]
    assert lo <= snap[schema.TIME][-1] <= hi
    # the plot's right edge (where the last sample is drawn) is in the viewport
    view = master.getViewBox()
    right = view.mapToScene(view.boundingRect().topRight()).x()
    assert right <= page.plots_scroll.viewport().width()
    labels = [label.text for _, label in plots.cell_legend.items]
    # a pack of more than 8 cells: numbers alone (the plot is "Cells")
    assert labels == [f"Cell {k}" if cells <= 8 else f"{k}" for k in range(1, cells + 1)]
    assert plots.cell_legend.rowCount > 1  # wrapped, not cut off


def test_a_sixteen_cell_legend_leaves_the_cell_plot_its_room(qtbot, small_dashboard):
    """At 1024 x 700 "Cell 1".."Cell 16" took 4 legend rows and squeezed the plot of the
    cells (where a shorted cell shows) under them: numbers alone take 2."""
    page = small_dashboard
    page.show_frame(_snapshot(600, 16))
    qtbot.waitUntil(lambda: _fits(page))
    assert page.plots.cell_legend.rowCount <= 2


def test_the_legend_wraps_again_when_the_window_widens(qtbot, small_dashboard):
    page = small_dashboard
    page.show_frame(_snapshot(100, 16))
    qtbot.waitUntil(lambda: _fits(page))
    rows_narrow = page.plots.cell_legend.rowCount
    page.resize(1400, 900)
    qtbot.waitUntil(lambda: page.plots.cell_legend.rowCount < rows_narrow)
    qtbot.waitUntil(lambda: _fits(page))


@pytest.mark.parametrize("palette", [DARK, LIGHT], ids=["dark", "light"])
def test_sixteen_cells_have_sixteen_colours(palette):
    assert len({palette.cell_color(k) for k in range(16)}) == 16


def test_a_flat_signal_gets_at_least_the_least_span():
    # a lead-acid float: the pack voltage moved 0.08 mV in the window
    low, high = sticky_range(None, 13.61916, 13.61924, 6 * MIN_CELL_SPAN_V)
    assert high - low >= 6 * MIN_CELL_SPAN_V
    assert low < 13.61916 and high > 13.61924
    # a constant: centred in the least span
    low, high = sticky_range(None, 0.0, 0.0, 0.1)
    assert high - low >= 0.1 and low == pytest.approx(-high)


def test_constant_current_and_flat_voltage_axes_keep_a_sensible_span(qtbot, small_dashboard):
    """A constant 0 A was drawn on a '±500 µA' axis, a flat pack on 13.61916-13.61924 V."""
    page = small_dashboard
    spec = preset("nmc", series_cells=4)
    page.set_battery(spec)
    snap = _snapshot(300, 4)
    snap[schema.CURRENT] = np.zeros_like(snap[schema.CURRENT])
    snap[schema.VOLTAGE] = np.full_like(snap[schema.VOLTAGE], 16.38) + 1e-6 * np.arange(300)
    page.show_frame(snap)
    plots = page.plots

    def span(key):
        low, high = plots.plots[key].viewRange()[1]
        return high - low

    qtbot.waitUntil(lambda: span(PlotKey.CURRENT) >= MIN_CURRENT_SPAN_C * spec.capacity_ah)
    assert span(PlotKey.VOLTAGE) >= 4 * MIN_CELL_SPAN_V
    assert span(PlotKey.CELLS) >= MIN_CELL_SPAN_V
    # without a battery: a few mA
    page.set_battery(None)
    page.plots.set_follow(True)  # refits
    assert span(PlotKey.CURRENT) >= MIN_CURRENT_SPAN_A


def test_small_cell_readouts_keep_their_digits(small_dashboard):
    """A coin cell's -200 µA read '-0.00 A · rest', its 109 mV '0.11 V'."""
    assert scaled_text(-0.0002, "A", "{:+.2f}") == ("-200", "µA")
    assert scaled_text(0.1092, "V", "{:.2f}") == ("109.2", "mV")
    assert scaled_text(-0.0123, "A", "{:+.2f}") == ("-12.3", "mA")
    assert scaled_text(-5.0, "A", "{:+.2f}") == ("-5.00", "A")
    coin = derive_readouts({schema.CURRENT: -0.0002}, capacity_ah=0.0063)
    assert coin[ReadoutKey.CURRENT].detail == "discharging"
    big = derive_readouts({schema.CURRENT: -0.005}, capacity_ah=100.0)
    assert big[ReadoutKey.CURRENT].detail == "rest"
    page = small_dashboard
    page.set_battery(preset("nmc", series_cells=1, capacity_ah=0.0063))
    page.show_frame({schema.TIME: np.array([0.0]), schema.CURRENT: np.array([-0.0002])})
    tile = page.readouts.readouts[ReadoutKey.CURRENT]
    assert (tile.value_label.text(), tile.unit_label.text()) == ("-200", "µA")
    assert tile.detail_label.text() == "discharging"
    # and the cursor's read-out
    line = cursor_html({schema.TIME: 0.0, schema.CURRENT: -0.0002, schema.VOLTAGE: 3.6}, DARK)
    assert "-200 µA" in line and "3.600 V" in line
    # a 5 Ah pack keeps A: its current read '-750.6 mA', then '-1.20 A', by its plot in A
    page.set_battery(preset("nmc", series_cells=4, capacity_ah=5.0))
    page.show_frame({schema.TIME: np.array([0.0]), schema.CURRENT: np.array([-0.7506])})
    assert (tile.value_label.text(), tile.unit_label.text()) == ("-0.75", "A")
    line = cursor_html({schema.TIME: 0.0, schema.CURRENT: -0.7506}, DARK, milliamps=False)
    assert "-0.751 A" in line


def test_an_soc_band_shut_at_a_limit_is_not_plus_minus_zero():
    values = {SOC_COLUMN: 0.0, SOC_BAND_LOW: 0.0, SOC_BAND_HIGH: 0.0}
    assert "±0.0" not in soc_band_text(values)
    assert "0 %" in soc_band_text(values)
    assert soc_band_text({SOC_COLUMN: 50.0, SOC_BAND_LOW: 47.0, SOC_BAND_HIGH: 53.0}) == (
        "±3.0 % (2σ)"
    )


def test_the_connection_dialog_fits_a_700_px_window(qtbot, make_window):
    window = make_window()
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.size() == QSize(1024, 700))
    dialog = window.open_connection_dialog()
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.frameGeometry().height() <= 700 or dialog.height() <= 700
    assert dialog.height() <= 700
    assert dialog.width() <= 1024
    # its Connect button is on the dialog
    button = dialog.connect_button
    bottom = button.mapTo(dialog, button.rect().bottomLeft()).y()
    assert bottom <= dialog.height()
    dialog.reject()


def test_home_names_the_source_connected(qtbot, make_window):
    window = make_window()
    assert window.connect_source("scripted://pack?n=50&cells=3") is None
    assert window.home.url_combo.currentText() == "scripted://pack?n=50&cells=3"
    qtbot.waitUntil(lambda: window.session.status.samples_total == 50)
    assert window.connect_source("scripted://pack?n=60&cells=2") is None
    assert window.home.url_combo.currentText() == "scripted://pack?n=60&cells=2"
    qtbot.waitUntil(lambda: window.session.status.samples_total == 60)


def test_worst_does_not_repeat_at_raise():
    long = "its neighbours' median (5-min mean), its heat set off a runaway-onset alarm"
    at_raise = f"cell 2: up to 1.1 K above {long}"
    worst = f"cell 2: up to 16.0 K above {long}"
    assert worst_text(at_raise, at_raise) == "as at raise"
    # the whole text, wrapped as At raise's: cut with '…' it read as a text cut off
    assert worst_text(at_raise, worst) == worst
    assert worst_text("3.61 V", "3.72 V") == "3.72 V"


def test_the_time_axis_stays_in_view_at_1024_px(qtbot, make_window):
    """At 1024 x 700 the stack scrolls, and the time axis under its bottom plot was below
    the fold. A visible time axis lies inside the window, follows the plots' time range
    and lines up with their left and right edges."""
    from PySide6.QtCore import QPoint, QRect

    from app.views.time_axis import ElapsedTimeAxis

    window = make_window()
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.size() == QSize(1024, 700))
    assert window.connect_source("scripted://pack?n=600&cells=6") is None
    page = window.dashboard
    qtbot.waitUntil(lambda: len(page.plots.shown.get(schema.TIME, ())) == 600)
    qtbot.waitUntil(lambda: _fits(page))
    seen = page.plots_scroll.viewport()
    shown = QRect(seen.mapTo(window, QPoint(0, 0)), seen.size())
    view = page.plots.plots[PlotKey.VOLTAGE].getViewBox()

    def axis_in_view():
        """A shown time axis and its rectangle in the window, where it can be seen."""
        page_bottom = page.mapTo(window, QPoint(0, page.height())).y()
        for gv in (page.plots, getattr(page, "time_axis", None)):
            items = gv.scene().items() if gv is not None else []
            for item in items:
                if not isinstance(item, ElapsedTimeAxis) or not item.isVisible():
                    continue
                rect = gv.mapFromScene(item.sceneBoundingRect()).boundingRect()
                rect = QRect(gv.viewport().mapTo(window, rect.topLeft()), rect.size())
                if gv is page.plots and rect.bottom() > shown.bottom():
                    continue  # in the part of the stack scrolled out of view
                if rect.bottom() <= page_bottom:
                    return item, rect
        return None

    qtbot.waitUntil(lambda: axis_in_view() is not None)
    axis, rect = axis_in_view()
    assert axis.linkedView() is view
    left = page.plots.viewport().mapTo(
        window, page.plots.mapFromScene(view.sceneBoundingRect().topLeft())
    )
    assert abs(rect.left() - left.x()) <= 2
    assert abs(rect.width() - view.sceneBoundingRect().width()) <= 2


def test_the_soc_tile_says_a_dead_cell_makes_the_soc_not_valid():
    """A runaway's cell at 0 V: the tile read a green '70.9 % ±8.9' with no word of it,
    while the Diagnostics card said the SOC is not valid."""
    latest = {
        SOC_COLUMN: 70.9, SOC_BAND_LOW: 66.45, SOC_BAND_HIGH: 75.35,
        "cell_1_v": 3.71, "cell_2_v": 0.003, "cell_3_v": 3.70, "cell_4_v": 3.72,
    }  # fmt: skip
    soc = derive_readouts(latest, plausible_cell_v=(1.25, 5.25))[ReadoutKey.SOC]
    assert soc.warn and soc.detail.startswith("not valid: cell 2 dead\n")
    assert "±4.5 % (2σ)" in soc.detail
    sound = derive_readouts({**latest, "cell_2_v": 3.70}, plausible_cell_v=(1.25, 5.25))
    assert not sound[ReadoutKey.SOC].warn


def _written_values(plot) -> list[str]:
    """The values written on ``plot``'s left axis as it draws them now."""
    from app.views.axis_values import written_values

    return written_values(plot.getAxis("left"))


@pytest.mark.parametrize(
    ("key", "low", "high"),
    [
        # ranges a first-time user saw written as two values only (a 16-cell LFP pack
        # at 1024 x 700: 52.5 and 53.0 V; a resting NMC cell: 3.750 and 3.755 V)
        (PlotKey.VOLTAGE, 52.2172, 53.2077),
        (PlotKey.CELLS, 3.74588, 3.75612),
        (PlotKey.TEMPERATURE, 24.9, 25.3),
        (PlotKey.TEMPERATURE, 24.47, 24.57),
        (PlotKey.CURRENT, -0.3, 0.69),
    ],
)
def test_every_plot_writes_three_values_or_more_on_a_small_range(
    qtbot, small_dashboard, key, low, high
):
    page = small_dashboard
    snap = _snapshot(600, 4)
    column = {
        PlotKey.VOLTAGE: "voltage_v",
        PlotKey.CELLS: "cell_1_v",
        PlotKey.TEMPERATURE: "temperature_c",
        PlotKey.CURRENT: "current_a",
    }[key]
    ramp = np.linspace(low, high, 600)
    if key is PlotKey.CELLS:
        for c in range(1, 5):
            snap[f"cell_{c}_v"] = ramp
    snap[column] = ramp
    page.show_frame(snap)
    plot = page.plots.plots[key]
    shown_low, shown_high = plot.viewRange()[1]
    assert shown_low <= low and high <= shown_high  # every sample in view
    qtbot.waitUntil(lambda: len(_written_values(plot)) >= 3)


def test_a_plot_made_lower_still_writes_three_values(qtbot):
    """Drawn on a tall window, a 16-cell pack's 52.2..53.2 V was written as five values;
    the window made 1024 x 700, its lower axis left two (52.5, 53.0): the range is looked
    at again once a plot's height changed."""
    page = DashboardPage(DARK)
    qtbot.addWidget(page)
    page.resize(1700, 1000)
    page.show()
    qtbot.waitExposed(page)
    snap = _snapshot(600, 4)
    snap["voltage_v"] = np.linspace(52.2172, 53.2077, 600)
    page.show_frame(snap)
    plot = page.plots.plots[PlotKey.VOLTAGE]
    qtbot.waitUntil(lambda: len(_written_values(plot)) >= 3)
    page.resize(840, 560)
    qtbot.waitUntil(lambda: plot.getViewBox().height() < 80)
    qtbot.waitUntil(lambda: len(_written_values(plot)) >= 3)
    low, high = plot.viewRange()[1]
    assert low <= 52.2172 and high >= 53.2077


def test_the_empty_plots_write_no_values_until_data_comes(qtbot, small_dashboard):
    """Connecting (a log file read first), the five stacked empty plots wrote 0 to 1
    each, every plot's "0" run into the "1.0" of the plot under it: no values are
    written until the source's data is there, then each plot with data writes its own."""
    page = small_dashboard
    plots = page.plots.plots
    assert all(_written_values(plot) == [] for plot in plots.values())
    snap = _snapshot(600, 4)
    page.show_frame(snap)
    for key in (PlotKey.VOLTAGE, PlotKey.CURRENT, PlotKey.TEMPERATURE, PlotKey.CELLS):
        qtbot.waitUntil(lambda key=key: len(_written_values(plots[key])) >= 3)
    page.clear()  # the next source: nothing of this one's ranges written
    assert all(_written_values(plot) == [] for plot in plots.values())
