"""A reading no line reaches (its neighbours missing) is drawn as a dot: a CAN trace
whose frames each carry some of the signals drew empty plots."""

from __future__ import annotations

import numpy as np

from app.core import schema
from app.views.live_plots import PlotKey

NAN = np.nan


def _trace() -> dict[str, np.ndarray]:
    """Two samples, as the foxBMS trace opens: the pack in both, each cell in one."""
    return {
        schema.TIME: np.array([0.0, 0.1]),
        schema.VOLTAGE: np.array([389.0, 389.1]),
        schema.CURRENT: np.array([0.0, 0.0]),
        "cell_1_v": np.array([3.70, NAN]),
        "cell_2_v": np.array([NAN, 3.71]),
    }


def test_a_curve_of_lone_readings_is_drawn_as_dots_and_a_line_once_it_has_one(dashboard):
    plots = dashboard.plots
    dashboard.show_frame(_trace())
    for column in ("cell_1_v", "cell_2_v"):
        assert plots.curves[column].opts["symbol"] == "o", column
    # the pack's two readings in a row make a line: no dots
    assert plots.curves[schema.VOLTAGE].opts["symbol"] is None

    more = {
        schema.TIME: np.array([0.0, 0.1, 0.2, 0.3]),
        schema.VOLTAGE: np.array([389.0, 389.1, 389.0, 389.2]),
        schema.CURRENT: np.zeros(4),
        "cell_1_v": np.array([3.70, NAN, 3.70, 3.69]),
        "cell_2_v": np.array([NAN, 3.71, NAN, NAN]),
    }
    dashboard.show_frame(more)
    assert plots.curves["cell_1_v"].opts["symbol"] is None
    assert plots.curves["cell_2_v"].opts["symbol"] == "o"


def test_the_dots_are_drawn_in_the_curves_colour(dashboard):
    plots = dashboard.plots
    dashboard.show_frame(_trace())
    image = plots.grab().toImage()
    colour = plots.curves["cell_1_v"].opts["pen"].color().rgb() & 0xFFFFFF
    # inside the cells' plot area (the legend draws the colour too)
    view = plots.plots[PlotKey.CELLS].getViewBox()
    area = plots.mapFromScene(view.mapRectToScene(view.boundingRect())).boundingRect()
    found = any(
        image.pixel(x, y) & 0xFFFFFF == colour
        for x in range(max(area.left(), 0), min(area.right(), image.width()))
        for y in range(max(area.top(), 0), min(area.bottom(), image.height()))
    )
    assert found, "no pixel of cell 1's colour: its reading is not drawn"


def test_a_new_source_starts_without_the_last_ones_dots(dashboard):
    plots = dashboard.plots
    dashboard.show_frame(_trace())
    plots.clear_data()
    steady = {
        schema.TIME: np.arange(5.0),
        schema.VOLTAGE: np.full(5, 389.0),
        schema.CURRENT: np.zeros(5),
        "cell_1_v": np.full(5, 3.7),
    }
    dashboard.show_frame(steady)
    assert plots.curves["cell_1_v"].opts["symbol"] is None
