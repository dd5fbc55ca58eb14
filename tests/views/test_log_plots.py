"""The Logs page's plots write three values or more on each y axis, as the dashboard's
(the same mechanism, :mod:`app.views.axis_values`)."""

from __future__ import annotations

import numpy as np
import pytest

from app.views.axis_values import LEAST_TICKS, written_values
from app.views.log_plots import IcaPlot, TimeSeriesPlots
from app.views.theme import DARK


@pytest.mark.parametrize(
    ("row", "low", "high"),
    [
        # auto-ranged spans of 2.25 to 3 major steps the plots wrote as two values at
        # ~90 px a plot (52.5 and 53.0 V; 25.0 and 25.2 degC; 2.00 and 2.05 A)
        (0, 52.2172, 53.2077),
        (2, 24.9, 25.3),
        (1, 1.96338, 2.07578),
        (1, -17.2234, -7.45315),
    ],
)
def test_a_log_plot_writes_three_values_or_more(qtbot, row, low, high):
    stack = TimeSeriesPlots(DARK)
    qtbot.addWidget(stack)
    stack.resize(700, 420)
    stack.show()
    qtbot.waitExposed(stack)
    t = np.linspace(0.0, 3600.0, 2000)
    if row != 0:  # (the time axis follows the voltage plot's, as a log's has one)
        stack.add_curve(0, "cell.csv", t, np.linspace(3.0, 4.2, len(t)), "#e06c75")
    stack.add_curve(row, "cell.csv", t, np.linspace(low, high, len(t)), "#e06c75")
    stack.autorange()
    plot = stack.plots[row]

    def fitted_and_written() -> bool:
        shown_low, shown_high = plot.viewRange()[1]
        in_view = shown_low <= low and high <= shown_high  # every sample
        return in_view and len(written_values(plot.getAxis("left"))) >= LEAST_TICKS

    qtbot.waitUntil(fitted_and_written)


def test_the_dqdv_plot_writes_three_values_after_a_resize(qtbot):
    """A plot made lower writes fewer values: looked at again once laid out."""
    plot_widget = IcaPlot(DARK)
    qtbot.addWidget(plot_widget)
    plot_widget.resize(700, 600)
    plot_widget.show()
    qtbot.waitExposed(plot_widget)
    v = np.linspace(3.3, 4.1, 500)
    plot_widget.add_curve(0, "cell.csv", v, np.linspace(52.2172, 53.2077, len(v)), "#e06c75")
    plot_widget.autorange()
    plot = plot_widget.plots[0]
    qtbot.waitUntil(lambda: plot.viewRange()[1][0] > 50)  # fitted to the curve
    qtbot.waitUntil(lambda: len(written_values(plot.getAxis("left"))) >= LEAST_TICKS)
    tall = plot.viewRange()[1]
    plot_widget.resize(700, 130)
    # refitted at the new height (its padding is the height's): 52.5 and 53.0 only
    qtbot.waitUntil(lambda: plot.viewRange()[1] != tall)
    qtbot.waitUntil(lambda: len(written_values(plot.getAxis("left"))) >= LEAST_TICKS)


def test_a_single_cycle_point_is_shown_from_zero_not_on_a_unit_span(qtbot):
    # the Maccor excerpt's one partial cycle: a 4 mAh point on a -500..+500 mAh axis
    from app.views.log_analysis import open_analysis
    from app.views.log_plots import CyclePlots
    from tests.real_data import REAL_DATA

    if REAL_DATA is None:
        pytest.skip("real data files not found")
    analysis = open_analysis(str(REAL_DATA / "maccor/PredictionDiagnostics_000151_test.052"))
    plots = CyclePlots(DARK)
    qtbot.addWidget(plots)
    plots.resize(700, 420)
    plots.show()
    plots.show_logs([(analysis, "#e06c75")])
    (level,) = analysis.cycles["discharge_capacity_ah"].to_numpy(float)
    assert 0 < level < 0.01
    low, high = plots.plots[0].viewRange()[1]
    assert -0.2 * level <= low <= 0 and level < high <= 1.3 * level
