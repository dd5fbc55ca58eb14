"""Hundreds of real repaints of many curves.

Guards against the PySide6 6.12 + pyqtgraph 0.14 refcount crash in
PlotCurveItem.paint, which shows only after a few hundred paints: each
iteration sets new data and forces an actual paint through ``grab()``.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.core import schema
from app.views.dashboard import DashboardPage
from app.views.soc_columns import SOC_COLUMN
from app.views.theme import DARK

REDRAWS = 500
CELLS = 8
POINTS = 2_000


@pytest.fixture
def dashboard(qtbot):
    page = DashboardPage(DARK)
    page.resize(1280, 800)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    return page


def frame(i: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    t = np.arange(i, i + POINTS, dtype=float)
    snap = {
        schema.TIME: t,
        schema.VOLTAGE: 29.6 + rng.normal(0, 0.05, POINTS),
        schema.CURRENT: 10 * np.sin(t / 50.0),
        schema.TEMPERATURE: 25 + rng.normal(0, 0.2, POINTS),
        SOC_COLUMN: 50 + 10 * np.sin(t / 300.0),
    }
    for k in range(1, CELLS + 1):
        snap[f"cell_{k}_v"] = 3.7 + 0.01 * k + rng.normal(0, 0.002, POINTS)
    if i % 50 == 0:  # gaps too: NaN runs take another path through the painter
        snap[schema.TEMPERATURE][100:140] = np.nan
    return snap


def test_500_redraws_of_12_curves_paint_without_crashing(dashboard):
    rng = np.random.default_rng(7)
    plotted = 0
    for i in range(REDRAWS):
        dashboard.show_frame(frame(i, rng))
        image = dashboard.grab()  # renders every plot item now, not later
        assert not image.isNull()
        plotted += 1
    assert plotted == REDRAWS
    assert len(dashboard.plots.curves) == 4 + CELLS
    x, _ = dashboard.plots.curves["cell_8_v"].getOriginalDataset()
    assert x[-1] == REDRAWS - 1 + POINTS - 1


def test_redraws_with_the_crosshair_moving(dashboard):
    rng = np.random.default_rng(11)
    for i in range(200):
        dashboard.show_frame(frame(i, rng))
        dashboard.plots.crosshair.show_at(i + 500.5)
        dashboard.plots.repaint()
        dashboard.grab()
    assert dashboard.cursor_label.text().startswith("t ")
