"""At 1024 px and 1440 px nothing is cut that matters: the Dashboard's title ("sim
LEAD-ACID 6S c…"), the Alert history's State column ("cleared, not acknow" at the
table's edge); and the Alerts page's empty History says so (it was a blank table)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from PySide6.QtCore import QSize

from app.views.main_window import Page

FIGURES = (
    "cell 1: at 25.3 °C when found, rising 1.59 °C/min faster than its neighbours at that "
    "instant, peak 25.8 °C, steepest 2-min average rise 1.0 °C/min"
)


def test_the_dashboard_title_reads_whole_at_1024_px(qtbot, make_window):
    window = make_window()
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.size() == QSize(1024, 700))
    assert (
        window.connect_source("sim://lead_acid?cells=6&profile=cycle&speed=0&duration=60") is None
    )
    label = window.dashboard.source_label
    qtbot.waitUntil(lambda: label.full_text() == "sim LEAD-ACID 6S cycle")
    qtbot.waitUntil(lambda: label.shown_text() == label.full_text())
    assert window.dashboard.span_combo.isVisible()


def test_the_alert_historys_state_stays_in_view_at_1440_px(qtbot, make_window):
    row = SimpleNamespace(
        id=1,
        raised_at=datetime(2026, 12, 7, 21, 38, 36, tzinfo=UTC),
        metric="fault_thermal_runaway_onset",
        value=1.0,
        detail=FIGURES,
        worst_value=1.0,
        worst_detail=FIGURES,
        threshold_value=0.5,
        severity="critical",
        state="cleared",
        acknowledged_at=None,
        acknowledged_by=None,
        withdrawn=False,
        cleared_at=datetime(2026, 12, 7, 21, 40, 0, tzinfo=UTC),
        cleared_time_s=120.0,
        comment=None,
        source_url="sim://nmc?cells=4",
    )
    window = make_window()
    window.resize(1440, 900)
    qtbot.waitUntil(lambda: window.size() == QSize(1440, 900))
    with qtbot.waitSignal(window.history_loader.loaded):
        window.show_page(Page.HISTORY)
    page = window.history
    page.tabs.setCurrentIndex(2)
    table = page.tables["alerts"]
    page.show_rows("alerts", [row])
    state = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())].index(
        "State"
    )
    assert table.item(0, state).text() == "cleared, not acknowledged"
    qtbot.waitUntil(
        lambda: (
            table.columnViewportPosition(state) + table.columnWidth(state)
            <= table.viewport().width()
        )
    )
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0)


def test_the_alerts_pages_empty_history_says_so(qtbot, make_window):
    window = make_window()
    window.show_page(Page.ALERTS)
    page = window.alerts_page
    page.tabs.setCurrentIndex(1)
    assert page.history_empty_label.isVisible()
    assert "No alerts yet" in page.history_empty_label.text()
