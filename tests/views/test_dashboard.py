"""The live dashboard: curves carry the source's samples, pause, follow, cursor, read-outs."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from app.core import schema
from app.diagnostics.live import LiveEngine
from app.hardware.acquisition import AcquisitionState
from app.views.live_plots import PlotKey
from app.views.live_session import LiveSession
from app.views.readouts import SOC_UNDETERMINED_LINE, SOC_UNDETERMINED_TIP, ReadoutKey
from app.views.soc_columns import (
    SOC_BAND_HIGH,
    SOC_BAND_LOW,
    SOC_BMS,
    SOC_BMS_DIFFERENCE,
    SOC_COLUMN,
)
from app.views.source_names import source_name
from app.views.theme import DARK

from .plot_data import original
from .view_fakes import scripted_block


def snapshot_of(start: int, stop: int, cells: int = 4) -> dict[str, np.ndarray]:
    from app.core.spec import preset

    engine = LiveEngine(preset("nmc", series_cells=cells))
    return dict(engine.process(scripted_block(start, stop, cells)).items())


def test_curves_hold_the_blocks_fed_to_them(dashboard):
    snap = snapshot_of(0, 300)
    dashboard.show_frame(snap)
    plots = dashboard.plots
    for column in (schema.VOLTAGE, schema.CURRENT, schema.TEMPERATURE, SOC_COLUMN):
        x, y = original(plots.curves[column])
        np.testing.assert_array_equal(x, snap[schema.TIME])
        np.testing.assert_array_equal(y, snap[column])
    cells = schema.cell_voltage_columns(plots.curves)
    assert cells == [f"cell_{k}_v" for k in range(1, 5)]
    for column in cells:
        np.testing.assert_array_equal(original(plots.curves[column])[1], snap[column])
    # 300 points on a ~1000 px plot: nothing clipped or downsampled, shown == source
    x, y = plots.curves[schema.VOLTAGE].getData()
    np.testing.assert_array_equal(y, snap[schema.VOLTAGE])


def test_plots_share_one_time_axis_and_draw_cheaply(dashboard):
    plots = dashboard.plots
    master = plots.plots[PlotKey.VOLTAGE].getViewBox()
    for key, plot in plots.plots.items():
        if key is not PlotKey.VOLTAGE:
            assert plot.getViewBox().linkedView(0) is master
        assert plot.clipToViewMode()
        assert plot.downsampleMode() == (1, True, "peak")
    dashboard.show_frame(snapshot_of(0, 50))
    for curve in plots.curves.values():
        assert curve.opts["pen"].width() <= 1 and curve.opts["pen"].isCosmetic()


def test_cell_legend_names_every_cell(dashboard):
    dashboard.show_frame(snapshot_of(0, 10, cells=6))
    labels = [label.text for _, label in dashboard.plots.cell_legend.items]
    assert labels == [f"Cell {k}" for k in range(1, 7)]


def test_session_samples_reach_the_curves(qtbot, dashboard):
    session = LiveSession(redraw_hz=50)
    session.data_updated.connect(dashboard.show_frame)
    try:
        session.start("scripted://pack?cells=4&n=900&block=64")
        qtbot.waitUntil(lambda: session.status.state is AcquisitionState.FINISHED)
        qtbot.waitUntil(lambda: len(dashboard.plots.shown.get("time_s", ())) == 900)
    finally:
        session.stop()
    expected = scripted_block(0, 900)
    for column in expected.columns:
        np.testing.assert_array_equal(dashboard.plots.shown[column], expected[column])
    # following live, the curves hold the visible window (and a margin) only ...
    t = expected[schema.TIME]
    span = dashboard.plots._span_s
    assert span is not None and t[-1] - t[0] > span
    x, _ = original(dashboard.plots.curves[schema.VOLTAGE])
    assert x[-1] == t[-1] and x[0] <= t[-1] - span and len(x) < len(t)
    # ... and all of it once the user stops following to look back
    dashboard.plots.set_follow(False)
    for column in expected.columns:
        if column == schema.TIME:
            continue
        x, y = original(dashboard.plots.curves[column])
        np.testing.assert_array_equal(x, expected[schema.TIME])
        np.testing.assert_array_equal(y, expected[column])


def test_pause_freezes_the_plotted_data(dashboard):
    first = snapshot_of(0, 100)
    dashboard.show_frame(first)
    dashboard.set_paused(True)
    dashboard.show_frame(snapshot_of(0, 250))
    x, _ = original(dashboard.plots.curves[schema.VOLTAGE])
    assert len(x) == 100
    assert "150 new samples" in dashboard.paused_label.text()
    # the read-outs stay live while the plots are frozen
    latest = snapshot_of(0, 250)[schema.VOLTAGE][-1]
    assert dashboard.readouts.text_of(ReadoutKey.VOLTAGE) == f"{latest:.2f}"
    dashboard.set_paused(False)
    x, _ = original(dashboard.plots.curves[schema.VOLTAGE])
    assert len(x) == 250
    assert dashboard.paused_label.text() == ""


def test_follow_live_keeps_the_newest_span_in_view(dashboard):
    dashboard.set_span(60)
    dashboard.show_frame(snapshot_of(0, 1000))
    lo, hi = dashboard.plots.plots[PlotKey.SOC].viewRange()[0]
    assert hi == pytest.approx(999)
    assert lo == pytest.approx(939)
    dashboard.set_span(None)
    lo, hi = dashboard.plots.plots[PlotKey.CELLS].viewRange()[0]
    assert (lo, hi) == pytest.approx((0, 999))


def wheel(widget, pos: QPointF, steps: int = 1) -> None:
    """A real wheel event, as a mouse sends it (Qt routes it to the plot under ``pos``)."""
    global_pos = QPointF(widget.mapToGlobal(pos.toPoint()))
    event = QWheelEvent(
        pos, global_pos, QPoint(), QPoint(0, 120 * steps), Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(widget.viewport(), event)


def test_zooming_with_the_wheel_stops_following(qtbot, dashboard):
    dashboard.show_frame(snapshot_of(0, 600))
    plots = dashboard.plots
    vb = plots.plots[PlotKey.CURRENT].getViewBox()
    before = vb.viewRange()[0]
    center = plots.mapFromScene(vb.sceneBoundingRect().center())
    with qtbot.waitSignal(plots.follow_disabled):
        wheel(plots, QPointF(center))
    assert not dashboard.follow_button.isChecked()
    zoomed = vb.viewRange()[0]
    assert zoomed[1] - zoomed[0] < before[1] - before[0]  # zoomed in on time
    # every plot shares the time axis
    assert plots.plots[PlotKey.CELLS].getViewBox().viewRange()[0] == pytest.approx(zoomed)
    dashboard.show_frame(snapshot_of(0, 700))  # new data does not move a zoomed view
    assert vb.viewRange()[0] == pytest.approx(zoomed)
    dashboard.follow_button.click()
    assert vb.viewRange()[0][1] == pytest.approx(699)


def test_cursor_reads_all_plots_at_one_time(dashboard):
    snap = snapshot_of(0, 400)
    dashboard.show_frame(snap)
    dashboard.plots.crosshair.show_at(123.2)
    text = dashboard.cursor_label.text()
    assert text.startswith("t 2:03.0")
    assert f"{snap[schema.VOLTAGE][123]:.3f} V" in text
    assert f"{snap[schema.CURRENT][123]:+.3f} A" in text
    assert f"SOC {snap[SOC_COLUMN][123]:.1f} %" in text
    assert f"{snap['cell_4_v'][123]:.3f}" in text
    dashboard.plots.crosshair.hide()
    assert not dashboard.plots.crosshair.visible


def test_readouts_show_the_newest_sample(dashboard):
    snap = snapshot_of(0, 130)  # after 120 s the pack charges at +4 A
    dashboard.show_frame(snap)
    readouts = dashboard.readouts
    cells = [snap[f"cell_{k}_v"][-1] for k in range(1, 5)]
    assert readouts.text_of(ReadoutKey.CURRENT) == "+4.00"
    assert readouts.readouts[ReadoutKey.CURRENT].detail_label.text() == "charging"
    assert readouts.text_of(ReadoutKey.CELL_MIN) == f"{min(cells):.3f}"
    assert readouts.text_of(ReadoutKey.CELL_MAX) == f"{max(cells):.3f}"
    assert readouts.readouts[ReadoutKey.CELL_MAX].detail_label.text() == "cell 4"
    assert readouts.text_of(ReadoutKey.CELL_SPREAD) == f"{(max(cells) - min(cells)) * 1000:.0f}"


@pytest.mark.parametrize(("reading", "metric"), [(0.0, "cell_v_min"), (65.0, "cell_v_max")])
def test_the_spread_leaves_an_implausible_cell_out_and_says_so(dashboard, reading, metric):
    # a cell at 0 V after a runaway, or a 65 V glitch: no 4 V "spread" -- the spread of
    # the plausible cells, the cell named, as cell balance and the spread alert do
    from app.core.spec import preset
    from app.diagnostics.alerts import default_thresholds

    spec = preset("nmc", series_cells=4)
    snap = snapshot_of(0, 130)
    snap["cell_1_v"] = snap["cell_1_v"].copy()
    snap["cell_1_v"][-1] = reading
    others = [snap[f"cell_{k}_v"][-1] for k in range(2, 5)]
    dashboard.set_battery(spec)
    dashboard.show_frame(snap)
    spread = dashboard.readouts.readouts[ReadoutKey.CELL_SPREAD]
    assert spread.value_label.text() == f"{(max(others) - min(others)) * 1000:.0f}"
    assert spread.detail_label.text() == "cell 1 implausible"
    assert spread.warns
    # the cell itself is not hidden: the lowest / highest read-out shows it, and the
    # default critical under- / over-voltage rule watches that metric
    shown = ReadoutKey.CELL_MIN if reading < 1 else ReadoutKey.CELL_MAX
    assert dashboard.readouts.text_of(shown) == f"{reading:.3f}"
    assert dashboard.readouts.readouts[shown].detail_label.text() == "cell 1"
    assert any(r.metric == metric and r.severity == "critical" for r in default_thresholds(spec))
    # back to four plausible cells: the warning goes
    snap["cell_1_v"][-1] = snap["cell_1_v"][-2]
    dashboard.show_frame(snap)
    assert spread.detail_label.text() == "4 cells"
    assert not spread.warns


def test_spread_of_an_unknown_battery_counts_every_cell(dashboard):
    snap = snapshot_of(0, 130)
    snap["cell_1_v"] = snap["cell_1_v"].copy()
    snap["cell_1_v"][-1] = 0.0
    dashboard.set_battery(None)
    dashboard.show_frame(snap)
    cells = [snap[f"cell_{k}_v"][-1] for k in range(1, 5)]
    spread = dashboard.readouts.readouts[ReadoutKey.CELL_SPREAD]
    assert spread.value_label.text() == f"{(max(cells) - min(cells)) * 1000:.0f}"
    assert spread.detail_label.text() == "4 cells"


def test_two_implausible_of_three_cells_leave_no_spread(dashboard):
    from app.core.spec import preset

    snap = snapshot_of(0, 130, cells=3)
    for k in (1, 3):
        snap[f"cell_{k}_v"] = np.full_like(snap[f"cell_{k}_v"], 0.0)
    dashboard.set_battery(preset("nmc", series_cells=3))
    dashboard.show_frame(snap)
    spread = dashboard.readouts.readouts[ReadoutKey.CELL_SPREAD]
    assert spread.value_label.text() == "—"
    assert spread.detail_label.text() == "cells 1, 3 implausible"


def test_missing_columns_show_a_dash_not_a_crash(dashboard):
    dashboard.show_frame({"time_s": np.arange(5.0), "voltage_v": np.full(5, 12.0),
                          "current_a": np.zeros(5)})  # fmt: skip
    assert dashboard.readouts.text_of(ReadoutKey.TEMPERATURE) == "—"
    assert dashboard.readouts.text_of(ReadoutKey.CURRENT) == "+0.00"
    dashboard.grab()


def test_record_button_asks_and_the_session_answers(qtbot, dashboard):
    with qtbot.waitSignal(dashboard.recording_requested) as blocker:
        dashboard.record_button.click()
    assert blocker.args == [True]
    assert not dashboard.record_button.isChecked()  # not recording until the session says so
    dashboard.set_recording(True)
    assert dashboard.record_button.isChecked()
    assert "Stop" in dashboard.record_button.text()


def test_simulator_samples_reach_the_curves(qtbot, dashboard, read_source):
    url = "sim://nmc?cells=4&speed=0&duration=600"
    # the simulator is deterministic (seed 0, no noise)
    expected = dict(read_source(url)[1].items())
    session = LiveSession(redraw_hz=50)
    session.data_updated.connect(dashboard.show_frame)
    n = len(expected["time_s"])
    try:
        session.start(url)
        qtbot.waitUntil(lambda: len(dashboard.plots.shown.get("time_s", ())) == n, timeout=20_000)
    finally:
        session.stop()
    assert n == 6000  # 10 Hz for 600 s
    plots = dashboard.plots
    for column in (
        "voltage_v",
        "current_a",
        "temperature_c",
        *[f"cell_{k}_v" for k in range(1, 5)],
    ):
        x, y = original(plots.curves[column])
        np.testing.assert_array_equal(x, expected["time_s"])
        np.testing.assert_array_equal(y, expected[column])
        # what is drawn is peak-downsampled: fewer points, the same extremes
        shown_x, shown_y = plots.curves[column].getData()
        assert len(shown_y) <= n
        assert np.nanmax(shown_y) == np.nanmax(expected[column])
        assert np.nanmin(shown_y) == np.nanmin(expected[column])
    assert np.isfinite(original(plots.curves["soc_percent"])[1]).all()


# --- SOC uncertainty band and the BMS's SOC -----------------------------------------


def with_soc_extras(snap: dict[str, np.ndarray], *, bms: bool = True) -> dict[str, np.ndarray]:
    """``snap`` plus the EKF's band columns and, optionally, a BMS SOC 1.5 % below ours."""

    out = dict(snap)
    soc = snap[SOC_COLUMN]
    half = 1.0 + 0.002 * np.arange(len(soc))  # the band widens as the filter coasts
    out[SOC_BAND_LOW] = soc - half
    out[SOC_BAND_HIGH] = soc + half
    if bms:
        out[SOC_BMS] = soc - 1.5
        out[SOC_BMS_DIFFERENCE] = np.full(len(soc), 1.5)
    return out


def test_soc_band_and_bms_curve_carry_their_columns(dashboard):

    snap = with_soc_extras(snapshot_of(0, 400))
    dashboard.show_frame(snap)
    plots = dashboard.plots
    for column in (SOC_BAND_LOW, SOC_BAND_HIGH, SOC_BMS):
        x, y = original(plots.curves[column])
        np.testing.assert_array_equal(x, snap[schema.TIME])
        np.testing.assert_array_equal(y, snap[column])
    soc_plot = plots.plots[PlotKey.SOC]
    for column in (SOC_BAND_LOW, SOC_BAND_HIGH, SOC_BMS):
        assert plots.curves[column] in soc_plot.listDataItems()
    # the band is a filled region between the two edges, drawn under the SOC curve
    band = plots.soc_band
    assert band is not None and band.scene() is soc_plot.scene()
    assert band.curves == [plots.curves[SOC_BAND_LOW].curve, plots.curves[SOC_BAND_HIGH].curve]
    area = band.path().boundingRect()
    assert area.left() == pytest.approx(0) and area.right() == pytest.approx(399)
    assert area.top() == pytest.approx(snap[SOC_BAND_LOW].min(), abs=0.05)
    assert area.bottom() == pytest.approx(snap[SOC_BAND_HIGH].max(), abs=0.05)
    assert band.zValue() < plots.curves[SOC_COLUMN].zValue()
    assert band.brush().color().alpha() == 255  # opaque: cheap to fill
    # the edges draw no line of their own; the BMS's SOC is a dashed 1-px curve
    assert plots.curves[SOC_BAND_LOW].opts["pen"].style() == Qt.PenStyle.NoPen
    bms_pen = plots.curves[SOC_BMS].opts["pen"]
    assert bms_pen.style() == Qt.PenStyle.DashLine and bms_pen.width() <= 1
    assert bms_pen.color().name() == DARK.soc_bms
    # the y range holds the whole band
    low, high = soc_plot.viewRange()[1]
    assert low <= snap[SOC_BAND_LOW].min() and high >= snap[SOC_BAND_HIGH].max()


def test_band_follows_zoom_and_scroll(dashboard):

    snap = with_soc_extras(snapshot_of(0, 1000), bms=False)
    dashboard.set_span(60)
    dashboard.show_frame(snap)
    # following live: the fill is cut to the visible minute like the curves
    area = dashboard.plots.soc_band.path().boundingRect()
    assert area.right() == pytest.approx(999)
    assert area.left() >= 939 - 2  # clip to view keeps one point beyond the edge
    assert area.bottom() == pytest.approx(snap[SOC_BAND_HIGH][938:].max(), abs=0.05)


def test_soc_readouts_show_band_bms_and_difference(dashboard):
    snap = with_soc_extras(snapshot_of(0, 300))
    dashboard.show_frame(snap)
    soc = snap[SOC_COLUMN]
    half = 1.0 + 0.002 * 299
    detail = dashboard.readouts.readouts[ReadoutKey.SOC].detail_label.text()
    # the BMS's SOC with its unit (it read 'BMS 83.8 · Δ -69.4'), as the cursor's line
    assert detail == f"estimated ±{half:.1f} % (2σ)\nBMS {soc[-1] - 1.5:.1f} % · Δ +1.5"
    dashboard.plots.crosshair.show_at(100)
    text = dashboard.cursor_label.text()
    assert f"SOC {soc[100]:.1f} % ±{1.0 + 0.002 * 100:.1f} %" in text
    assert f"BMS {soc[100] - 1.5:.1f} % (Δ +1.5)" in text
    assert DARK.soc_bms in text  # in the colour of its curve


def test_the_soc_tile_gives_the_2_sigma_of_the_diagnostics_card_near_full(dashboard):
    """An Arbin log ending at 87.0 % ±24.7 (2σ, the card and the CLI): the tile said
    ±18.8, the half width of the band clipped at 100 %; a Maccor one at 72.8 % with
    2σ = 50 % said ±38.6 where the card says "cannot be determined"."""
    from app.views.diagnostics_catalog import summarize

    # a band too wide to place the SOC shows no big number: the tile read a large
    # "86.0 %" beside "cannot be determined"
    for soc, sigma, big, tile, cursor in (
        (87.0, 12.35, "87.0", "estimated ±24.7 % (2σ)", "SOC 87.0 % ±24.7 %"),
        (
            72.8,
            25.0,
            "—",
            f"cannot be determined\n≈73 % ±50 % (2σ)\n{SOC_UNDETERMINED_LINE}",
            "SOC 72.8 % ±50.0 %",
        ),
        (
            50.0,
            30.0,
            "—",
            f"cannot be determined\n≈50 % ±50 % or more (2σ)\n{SOC_UNDETERMINED_LINE}",
            "SOC 50.0 % ±50.0 % or more",
        ),
    ):
        snap = snapshot_of(0, 50)
        n = len(snap[SOC_COLUMN])
        snap[SOC_COLUMN] = np.full(n, soc)
        snap[SOC_BAND_LOW] = np.full(n, max(soc - 2 * sigma, 0.0))  # clipped, as the EKF's
        snap[SOC_BAND_HIGH] = np.full(n, min(soc + 2 * sigma, 100.0))
        dashboard.show_frame(snap)
        assert dashboard.readouts.readouts[ReadoutKey.SOC].detail_label.text() == tile
        assert dashboard.readouts.text_of(ReadoutKey.SOC) == big
        dashboard.plots.crosshair.show_at(10)
        assert cursor in dashboard.cursor_label.text()
        card = summarize("soc", {"final_soc_percent": soc, "final_soc_sigma_percent": sigma})
        if sigma < 12.5:
            assert card.headline == f"{soc:.1f} % ±{2 * sigma:.1f} %"  # the tile's figure
        else:
            assert card.headline == "cannot be determined"


def test_bms_difference_is_computed_when_the_engine_gives_none(dashboard):

    snap = with_soc_extras(snapshot_of(0, 50))
    del snap[SOC_BMS_DIFFERENCE]
    dashboard.show_frame(snap)
    assert "Δ +1.5" in dashboard.readouts.readouts[ReadoutKey.SOC].detail_label.text()


def test_band_and_bms_only_when_the_data_has_them(dashboard):

    snap = snapshot_of(0, 100)
    for column in (SOC_BAND_LOW, SOC_BAND_HIGH, SOC_BMS_DIFFERENCE):  # a coulomb-counting engine
        snap.pop(column, None)
    dashboard.show_frame(snap)
    plots = dashboard.plots
    assert plots.soc_band is None
    assert SOC_BAND_LOW not in plots.curves and SOC_BMS not in plots.curves
    assert dashboard.readouts.readouts[ReadoutKey.SOC].detail_label.text() == "estimated"
    dashboard.show_frame(with_soc_extras(snapshot_of(0, 100)))
    assert plots.soc_band is not None and SOC_BMS in plots.curves
    dashboard.clear()  # the next source may not have them
    assert plots.soc_band is None
    assert SOC_BAND_LOW not in plots.curves and SOC_BMS not in plots.curves
    assert plots.plots[PlotKey.SOC].listDataItems() == [plots.curves[SOC_COLUMN]]


def test_band_and_bms_recolour_with_the_theme(dashboard):
    from app.views.plot_grid import mix
    from app.views.theme import LIGHT

    dashboard.show_frame(with_soc_extras(snapshot_of(0, 100)))
    dashboard.apply_palette(LIGHT)
    plots = dashboard.plots
    assert plots.curves[SOC_BMS].opts["pen"].color().name() == LIGHT.soc_bms
    expected = mix(LIGHT.soc, LIGHT.plot_background, 0.28)
    assert plots.soc_band.brush().color().name() == expected


def test_the_live_engines_band_and_bms_difference_are_drawn(dashboard):
    from app.core.samples import SampleBlock
    from app.core.spec import preset

    # a source whose BMS reports its own SOC, through the real live engine
    columns = dict(scripted_block(0, 600).items())
    columns[SOC_BMS] = np.linspace(80.0, 60.0, 600)
    engine = LiveEngine(preset("nmc", series_cells=4))
    snap = dict(engine.process(SampleBlock(columns)).items())
    assert {SOC_BAND_LOW, SOC_BAND_HIGH, SOC_BMS_DIFFERENCE} <= set(snap)
    dashboard.show_frame(snap)
    plots = dashboard.plots
    assert plots.soc_band is not None
    for column in (SOC_BAND_LOW, SOC_BAND_HIGH, SOC_BMS):
        np.testing.assert_array_equal(original(plots.curves[column])[1], snap[column])
    diff = snap[SOC_BMS_DIFFERENCE][-1]
    assert f"Δ {diff:+.1f}" in dashboard.readouts.readouts[ReadoutKey.SOC].detail_label.text()


def test_band_has_a_gap_where_the_estimate_has_none(dashboard):
    snap = with_soc_extras(snapshot_of(0, 300), bms=False)
    snap[SOC_BAND_LOW][100:150] = np.nan
    snap[SOC_BAND_HIGH][100:150] = np.nan
    dashboard.set_span(None)
    dashboard.show_frame(snap)
    pieces = dashboard.plots.soc_band.path().toSubpathPolygons()
    assert len(pieces) == 2  # before and after the gap
    assert [round(p.boundingRect().left()) for p in pieces] == [0, 150]
    assert [round(p.boundingRect().right()) for p in pieces] == [99, 299]


def test_soc_legend_names_the_estimate_band_and_bms(dashboard):
    from app.views.live_plots import SOC_BAND_LABEL, SOC_BMS_LABEL, SOC_ESTIMATE_LABEL

    plots = dashboard.plots
    bare = snapshot_of(0, 100)
    for column in (SOC_BAND_LOW, SOC_BAND_HIGH, SOC_BMS_DIFFERENCE):  # coulomb counting only
        bare.pop(column, None)
    dashboard.show_frame(bare)
    assert plots.soc_legend_labels == []  # the estimate alone needs no legend
    dashboard.show_frame(with_soc_extras(snapshot_of(0, 100)))
    assert plots.soc_legend_labels == [SOC_ESTIMATE_LABEL, SOC_BAND_LABEL, SOC_BMS_LABEL]
    # a click on the band's square hides the band, as on a line it hides the curve
    sample = plots.soc_legend.items[1][0]
    sample.mouseClickEvent(_left_click())
    assert not plots.soc_band.isVisible()
    sample.mouseClickEvent(_left_click())
    assert plots.soc_band.isVisible()
    dashboard.clear()
    assert plots.soc_legend_labels == []
    dashboard.show_frame(with_soc_extras(snapshot_of(0, 100), bms=False))
    assert plots.soc_legend_labels == [SOC_ESTIMATE_LABEL, SOC_BAND_LABEL]


def _left_click():
    from unittest.mock import Mock

    event = Mock()
    event.button.return_value = Qt.MouseButton.LeftButton
    return event


def test_axis_labels_fit_beside_their_plots_in_a_1280x800_window(dashboard):
    """Rotated labels longer than their plot run into the next one ("(°C) Current (A)")."""
    from app.views.live_plots import ROWS

    dashboard.resize(1100, 630)  # what a 1280x800 window leaves the dashboard
    snap = with_soc_extras(snapshot_of(0, 400))  # with both legend rows
    dashboard.show_frame(snap)
    QApplication.processEvents()
    for row in ROWS:
        axis = dashboard.plots.plots[row.key].getAxis("left")
        assert axis.label.boundingRect().width() <= axis.height(), row.label


def test_no_difference_to_the_bms_is_shown_beside_an_soc_that_cannot_be_determined(dashboard):
    """A band too wide to place the SOC: the tile shows no number, and so no difference to
    the BMS either (it read '— %', 'cannot be determined' and 'BMS 56.0 % · Δ +6.1', a
    difference to the guess, which the Diagnostics card calls inconclusive)."""
    snap = with_soc_extras(snapshot_of(0, 50))
    snap[SOC_BAND_LOW] = snap[SOC_COLUMN] - 27.0
    snap[SOC_BAND_HIGH] = snap[SOC_COLUMN] + 27.0
    snap[SOC_BMS_DIFFERENCE] = np.full(len(snap[SOC_COLUMN]), 6.1)
    snap[SOC_BMS] = snap[SOC_COLUMN] - 6.1
    dashboard.show_frame(snap)
    tile = dashboard.readouts.readouts[ReadoutKey.SOC]
    assert tile.value_label.text() == "—"
    bms = snap[SOC_BMS][-1]
    assert tile.detail_label.text().endswith(f"(2σ)\n{SOC_UNDETERMINED_LINE}\nBMS {bms:.1f} %")
    assert "Δ" not in tile.detail_label.text()


def test_a_difference_to_the_bms_that_rounds_to_nothing_is_not_negative(dashboard):
    snap = with_soc_extras(snapshot_of(0, 50))
    snap[SOC_BMS] = snap[SOC_COLUMN] + 0.04  # ours 0.04 below the BMS: "-0.0"
    snap[SOC_BMS_DIFFERENCE] = np.full(len(snap[SOC_COLUMN]), -0.04)
    dashboard.show_frame(snap)
    detail = dashboard.readouts.readouts[ReadoutKey.SOC].detail_label.text()
    assert detail.endswith("· Δ 0.0")
    dashboard.plots.crosshair.show_at(10)
    assert "(Δ 0.0)" in dashboard.cursor_label.text()


def test_a_source_without_cell_voltages_says_so_after_one_with_them(dashboard):
    """Replaying a Neware log after a simulation: the empty Cells plot kept the
    simulation's 3.95-4.10 V axis and said nothing."""
    plots = dashboard.plots
    dashboard.show_frame(snapshot_of(0, 300, cells=4))
    cells_plot = plots.plots[PlotKey.CELLS]
    before = tuple(cells_plot.viewRange()[1])
    assert not any(note.isVisible() for note in plots.notes.values())

    dashboard.clear()  # the source switched
    pack_only = {k: v for k, v in snapshot_of(0, 300, cells=4).items() if not k.startswith("cell_")}
    dashboard.show_frame(pack_only)
    note = plots.notes[PlotKey.CELLS]
    assert note.isVisible() and note.toPlainText() == "no cell voltages in this source"
    assert tuple(cells_plot.viewRange()[1]) != before
    assert not cells_plot.getAxis("left").style["showValues"]  # no stale tick values
    assert [key for key, n in plots.notes.items() if n.isVisible()] == [PlotKey.CELLS]
    # in the middle of its plot, in the theme's muted text colour
    view = cells_plot.getViewBox()
    centre = note.mapToItem(view, note.boundingRect().center())
    assert abs(centre.x() - view.rect().center().x()) < 2
    assert abs(centre.y() - view.rect().center().y()) < 2
    assert note.color.name() == DARK.text_muted

    dashboard.clear()  # a source with cells again: no note, its values on the axis
    dashboard.show_frame(snapshot_of(0, 300, cells=4))
    assert not note.isVisible() and cells_plot.getAxis("left").style["showValues"]


def test_the_title_is_the_sources_short_name_with_the_url_in_the_tooltip(dashboard):
    """The title was the raw URL elided ("file:///work/...0.332&cells=1") where the
    Diagnostics page names the file: the same short name here, the whole URL on hover."""
    url = (
        "file:///work/shared/data/real/neware/nw_export.csv?chemistry=nmc&capacity_ah=0.332&cells=1"
    )
    dashboard.set_source(url)
    label = dashboard.source_label
    assert label.full_text() == "nw_export.csv" == source_name(url)
    assert label.toolTip() == url
    long = "file:///data/maccor/PredictionDiagnostics_000151_test.052?chemistry=nmc"
    dashboard.set_source(long)  # not shortened twice ("PredictionDi……51_test.052")
    assert label.full_text() == "PredictionDiagnostics_000151_test.052"
    dashboard.set_source("sim://nmc?cells=4&profile=drive")
    assert label.full_text() == "sim NMC 4S drive"
    dashboard.set_source("sim://nmc?cells=4", "Recording #3 · 12 Mar 10:00")  # a recording
    assert label.full_text() == "Recording #3 · 12 Mar 10:00"
    assert label.toolTip() == "Recording #3 · 12 Mar 10:00\nsim://nmc?cells=4"
    dashboard.set_source(None)
    assert label.full_text() == "Not connected"


def test_a_single_cell_has_no_spread_and_says_so(dashboard):
    # sim://lfp is one cell: the tile read "— mV" over "1 cells"
    snap = snapshot_of(0, 130, cells=1)
    dashboard.show_frame(snap)
    spread = dashboard.readouts.readouts[ReadoutKey.CELL_SPREAD]
    assert spread.value_label.text() == "—"
    assert spread.detail_label.text() == "a single cell"
    assert not spread.warns


def test_an_soc_that_cannot_be_determined_says_what_settles_it(dashboard):
    """A constant 1C discharge from an unknown start (the Simulated battery's, once) read
    'cannot be determined' for 15 min with no word of why: the tile says what places it,
    its tooltip why; once placed, neither."""
    snap = snapshot_of(0, 50)
    n = len(snap[SOC_COLUMN])
    snap[SOC_COLUMN] = np.full(n, 66.0)
    snap[SOC_BAND_LOW], snap[SOC_BAND_HIGH] = np.full(n, 35.0), np.full(n, 97.0)
    dashboard.show_frame(snap)
    tile = dashboard.readouts.readouts[ReadoutKey.SOC]
    assert tile.detail_label.text().splitlines()[-2:] == [
        "settles at a rest or",
        "a change of current",
    ]
    assert tile.toolTip() == SOC_UNDETERMINED_TIP
    assert "once the battery rests or its current changes" in tile.toolTip()
    snap[SOC_BAND_LOW], snap[SOC_BAND_HIGH] = np.full(n, 62.0), np.full(n, 70.0)
    dashboard.show_frame(snap)
    assert tile.detail_label.text() == "estimated ±4.0 % (2σ)" and tile.toolTip() == ""
