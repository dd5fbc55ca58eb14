"""Themes: both style sheets resolve, switching restyles the plots and is remembered,
colours keep their contrast, icons ship with the package."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor

from app.core.settings import Settings
from app.views.dashboard import DashboardPage
from app.views.live_plots import SOC_BAND_OPACITY
from app.views.live_session import LiveSession
from app.views.log_plots import TimeSeriesPlots
from app.views.main_window import MainWindow
from app.views.plot_grid import mix
from app.views.theme import (
    DARK,
    ICONS,
    LIGHT,
    PALETTES,
    Theme,
    app_icon,
    apply_theme,
    style_sheet,
)

REPO = Path(__file__).resolve().parents[2]


def luminance(color: str) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    q = QColor(color)
    return 0.2126 * channel(q.red()) + 0.7152 * channel(q.green()) + 0.0722 * channel(q.blue())


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("theme", list(Theme))
def test_style_sheet_has_every_token_filled(theme):
    qss = style_sheet(theme)
    assert "{{" not in qss and "}}" not in qss
    assert PALETTES[theme].window in qss


@pytest.mark.parametrize("colors", [DARK, LIGHT], ids=["dark", "light"])
def test_colours_are_readable(colors):
    assert contrast(colors.text, colors.window) >= 7
    assert contrast(colors.text_muted, colors.panel) >= 4.5
    assert contrast(colors.fault, colors.panel) >= 4.5  # the status bar's fault text
    assert contrast(colors.plot_axis, colors.plot_background) >= 4.5
    for curve in (colors.voltage, colors.current, colors.temperature, colors.soc, *colors.cells):
        assert contrast(curve, colors.plot_background) >= 3, curve  # WCAG: graphics


def test_unknown_theme_names_fall_back_to_dark():
    assert Theme.parse("LIGHT") is Theme.LIGHT
    assert Theme.parse("neon") is Theme.DARK
    assert Theme.parse(None) is Theme.DARK


def test_switching_theme_from_the_view_menu(qtbot, qapp):
    apply_theme(qapp, Theme.DARK)
    window = MainWindow(Settings.load(), LiveSession(), theme=Theme.DARK, persist=True)
    qtbot.addWidget(window)
    plots = window.dashboard.plots
    assert plots.backgroundBrush().color().name() == DARK.plot_background

    with qtbot.waitSignal(window.theme_changed):
        window.theme_actions[Theme.LIGHT].trigger()
    assert plots.backgroundBrush().color().name() == LIGHT.plot_background
    assert plots.curves["voltage_v"].opts["pen"].color().name() == LIGHT.voltage
    axis = plots.plots[next(iter(plots.plots))].getAxis("left")
    assert axis.textPen().color().name() == LIGHT.plot_axis
    assert qapp.palette().window().color().name() == LIGHT.window
    assert window.theme_actions[Theme.LIGHT].isChecked()
    assert Settings.load().theme == "light"  # remembered

    window.theme_actions[Theme.DARK].trigger()
    assert plots.backgroundBrush().color().name() == DARK.plot_background
    assert Settings.load().theme == "dark"


def test_icons_ship_in_the_package_and_match_the_top_level_set():
    packaged = ICONS / "battery-os.svg"
    top_level = REPO / "resources" / "icons" / "battery-os.svg"
    assert packaged.read_bytes() == top_level.read_bytes()
    for size in (16, 32, 64, 256):
        assert (ICONS / f"battery-os-{size}.png").stat().st_size > 0
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        assert (REPO / "resources" / "icons" / f"battery-os-{size}.png").stat().st_size > 0
    assert not app_icon().isNull()
    assert len(app_icon().availableSizes()) >= 4


def test_applying_the_theme_in_place_restyles_nothing(qapp, monkeypatch):
    """Each restyle re-polishes every widget there is (about a second with windows open):
    the theme already applied sets nothing again; another theme sets what changes."""
    from PySide6.QtWidgets import QApplication

    apply_theme(qapp, Theme.DARK)
    calls: list[str] = []

    def spy(name: str, original):
        def call(*args):
            calls.append(name)
            return original(*args)

        return call

    for name in ("setStyle", "setPalette"):  # static: no self
        monkeypatch.setattr(
            QApplication, name, staticmethod(spy(name, getattr(QApplication, name)))
        )
    monkeypatch.setattr(
        QApplication, "setStyleSheet", spy("setStyleSheet", QApplication.setStyleSheet)
    )
    apply_theme(qapp, Theme.DARK)
    assert calls == []
    apply_theme(qapp, Theme.LIGHT)
    assert calls == ["setPalette", "setStyleSheet"]
    assert qapp.palette().window().color().name() == LIGHT.window
    assert qapp.styleSheet() == style_sheet(Theme.LIGHT)
    apply_theme(qapp, Theme.DARK)  # as the other tests expect it


def legend_text_colors(legend) -> set[str]:
    """The colours the legend's entries are drawn in (as #rrggbb)."""
    colors = set()
    for _sample, label in legend.items:
        html = label.item.toHtml()
        colors |= {c.lower() for c in re.findall(r"color:\s*(#[0-9a-fA-F]{6})\b", html)}
    return colors


def test_legends_follow_a_theme_switch(qtbot):
    """Dark, then light: the legends' names in the light theme's text colour (they kept
    the dark theme's light grey, all but invisible on white), the SOC band re-filled."""
    from .test_dashboard import snapshot_of, with_soc_extras

    page = DashboardPage(DARK)
    qtbot.addWidget(page)
    page.show_frame(with_soc_extras(snapshot_of(0, 50)))
    plots = page.plots
    assert legend_text_colors(plots.cell_legend) == {DARK.text}

    page.apply_palette(LIGHT)
    for legend in (plots.cell_legend, plots.soc_legend):
        assert len(legend.items) >= 3
        assert legend_text_colors(legend) == {LIGHT.text}
    assert plots.soc_band.brush().color().name() == mix(
        LIGHT.soc, LIGHT.plot_background, SOC_BAND_OPACITY
    )

    logs = TimeSeriesPlots(DARK)
    qtbot.addWidget(logs)
    logs.add_curve(0, "a", np.arange(3.0), np.ones(3), LIGHT.voltage, "a.csv")
    logs.apply_palette(LIGHT)
    assert legend_text_colors(logs.legend) == {LIGHT.text}
