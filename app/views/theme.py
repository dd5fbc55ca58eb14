"""Themes: one colour table per theme feeds both the Qt style sheet and the plots.

The style sheet is a template (``resources/style.qss``) whose ``{{name}}``
tokens are filled from :class:`ThemePalette`, so a colour is defined once and
widgets and plots never disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QWidget

RESOURCES = Path(__file__).with_name("resources")
ICONS = RESOURCES / "icons"

#: A page's tool bar margins (left, top, right, bottom): 5 px above and below its 30 px
#: buttons (8 px cost the 4-cell plots under an alert their fit at 1024 x 700).
TOOLBAR_MARGINS = (12, 5, 12, 5)


class Theme(StrEnum):
    """The themes a user can pick in View ▸ Theme (stored by value in Settings)."""

    DARK = "dark"
    LIGHT = "light"

    @classmethod
    def parse(cls, text: str | None) -> Theme:
        """The theme named ``text``; unknown or empty names give the default (dark)."""
        try:
            return cls((text or "").strip().lower())
        except ValueError:
            return cls.DARK


@dataclass(frozen=True)
class ThemePalette:
    """Every colour of a theme, as ``#rrggbb`` strings."""

    window: str  # main background
    panel: str  # cards, sidebar, tool bars
    raised: str  # buttons, inputs
    hover: str
    border: str
    text: str
    text_muted: str
    accent: str
    accent_text: str  # text on an accent background
    fault: str
    warning: str
    ok: str
    recording: str
    plot_background: str
    plot_axis: str  # axis lines and tick labels
    plot_grid_alpha: float  # 0..1, grid lines drawn in plot_axis colour
    crosshair: str
    voltage: str
    current: str
    temperature: str
    soc: str
    soc_bms: str  # the SOC a BMS reports, dashed next to ours
    cells: tuple[str, ...]  # one colour per series cell (16), cycled

    def cell_color(self, index: int) -> str:
        """Colour of the curve of the cell at 0-based ``index``."""
        return self.cells[index % len(self.cells)]


# Matte black: backgrounds a few steps above pure black so panels separate
# without borders shouting; curve colours are bright, mutually distinct hues
# that keep contrast >= 4.5:1 against the plot background.
DARK = ThemePalette(
    window="#0d0e10",
    panel="#141518",
    raised="#1d1f23",
    hover="#272a30",
    border="#2a2d33",
    text="#e3e6eb",
    text_muted="#9aa1ab",
    accent="#3ccf91",
    accent_text="#07140e",
    fault="#ff5c5c",
    warning="#ffb547",
    ok="#3ccf91",
    recording="#ff4d4d",
    plot_background="#0a0b0c",
    plot_axis="#a3aab4",
    plot_grid_alpha=0.16,
    crosshair="#c9ced6",
    voltage="#4cb8ff",
    current="#ffb547",
    temperature="#ff6b6b",
    soc="#3ccf91",
    soc_bms="#b48cff",
    # 16 hues: a 16S pack's cells each their own (with 8 they repeated from cell 9)
    cells=(
        *("#4cb8ff", "#ffb547", "#3ccf91", "#ff6b6b", "#b48cff", "#ff8fd0", "#e8e46b", "#62e3dc"),
        *("#a6e05a", "#ff8c42", "#7b8cff", "#e05ce0", "#d0d4da", "#c8a27a", "#3a9a9a", "#c0392b"),
    ),
)

# Light: Okabe-Ito hues (colour-blind safe), darkened where needed for contrast
# on white.
LIGHT = ThemePalette(
    window="#eef0f3",
    panel="#ffffff",
    raised="#f5f6f8",
    hover="#e4e7ec",
    border="#d3d7de",
    text="#1b2029",
    text_muted="#5b6472",
    accent="#00875a",
    accent_text="#ffffff",
    fault="#c62828",
    warning="#b35c00",
    ok="#00875a",
    recording="#d32f2f",
    plot_background="#ffffff",
    plot_axis="#3d4450",
    plot_grid_alpha=0.14,
    crosshair="#404854",
    voltage="#0066b3",
    current="#c75500",
    temperature="#c62828",
    soc="#00875a",
    soc_bms="#6a3fb5",
    cells=(
        *("#0066b3", "#c75500", "#00875a", "#cc3d8f", "#6a3fb5", "#8a6d00", "#0093a8", "#5b6472"),
        *("#5a8a00", "#e0440e", "#3949ab", "#a0009a", "#1b2029", "#8b5a2b", "#00796b", "#b0002a"),
    ),
)

PALETTES: dict[Theme, ThemePalette] = {Theme.DARK: DARK, Theme.LIGHT: LIGHT}


def palette_for(theme: Theme) -> ThemePalette:
    return PALETTES[theme]


def style_sheet(theme: Theme) -> str:
    """The application style sheet of ``theme`` (the template with its colours filled in)."""
    text = (RESOURCES / "style.qss").read_text(encoding="utf-8")
    tokens = {k: v for k, v in asdict(palette_for(theme)).items() if isinstance(v, str)}
    tokens["icons_dir"] = ICONS.as_posix()  # QSS url() needs a path it can open
    for name, value in tokens.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def _qt_palette(colors: ThemePalette) -> QPalette:
    # The QSS covers widgets; the QPalette covers what QSS does not reach
    # (menus' native parts, tooltips, item views' default text).
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: colors.window,
        QPalette.ColorRole.WindowText: colors.text,
        QPalette.ColorRole.Base: colors.raised,
        QPalette.ColorRole.AlternateBase: colors.panel,
        QPalette.ColorRole.Text: colors.text,
        QPalette.ColorRole.Button: colors.raised,
        QPalette.ColorRole.ButtonText: colors.text,
        QPalette.ColorRole.Highlight: colors.accent,
        QPalette.ColorRole.HighlightedText: colors.accent_text,
        QPalette.ColorRole.ToolTipBase: colors.panel,
        QPalette.ColorRole.ToolTipText: colors.text,
        QPalette.ColorRole.PlaceholderText: colors.text_muted,
    }
    for role, color in roles.items():
        pal.setColor(role, QColor(color))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(colors.text_muted))
    pal.setColor(
        QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(colors.text_muted)
    )
    return pal


#: the application property that says apply_theme set the Fusion style
_FUSION_SET = "batteryos_fusion_style"


def apply_theme(app: QApplication, theme: Theme) -> ThemePalette:
    """Style the whole application with ``theme``; returns its colours for the plots."""
    colors = palette_for(theme)
    # each of these re-polishes every widget there is (about a second with a window
    # open): only what changes is set
    if app.property(_FUSION_SET) is not True:  # (a style sheet hides the style's name)
        app.setStyle("Fusion")  # the same look on every platform, and QSS-friendly
        app.setProperty(_FUSION_SET, True)
    palette = _qt_palette(colors)
    if app.palette() != palette:
        app.setPalette(palette)
    qss = style_sheet(theme)
    if app.styleSheet() != qss:
        app.setStyleSheet(qss)
    return colors


def icon(name: str) -> QIcon:
    """An icon of ``resources/icons`` by file name (with extension)."""
    return QIcon(str(ICONS / name))


def app_icon() -> QIcon:
    """The application icon, in the PNG sizes shipped with the package."""
    result = QIcon()
    for png in sorted(ICONS.glob("battery-os-*.png")):
        result.addFile(str(png))
    return result


def set_style_property(widget: QWidget, name: str, value: str) -> None:
    """Set a dynamic property the style sheet selects on, and re-polish so it shows."""
    if widget.property(name) != value:
        widget.setProperty(name, value)
        widget.style().unpolish(widget)
        widget.style().polish(widget)
