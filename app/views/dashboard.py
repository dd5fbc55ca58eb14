"""The live dashboard page: tool bar, stacked plots, cursor read-out and numeric read-outs.

It draws what it is given (:meth:`DashboardPage.show_frame`) and says what
the user asked for through signals; it knows nothing of sources, threads or
the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.core import schema
from app.core.number_text import format_elapsed
from app.views.fitted_label import FittedLabel
from app.views.live_plots import LivePlots, PlotKey, TimeAxisBar
from app.views.live_session import RecordingPhase
from app.views.ocv_table_text import ocv_table_text
from app.views.readouts import ReadoutPanel, current_in_milliamps, scaled_text
from app.views.shown_temperature import shown_temperature
from app.views.soc_columns import (
    SOC_BAND_HIGH,
    SOC_BAND_LOW,
    SOC_BMS,
    SOC_COLUMN,
    bms_difference,
    difference_text,
    soc_pinned,
    soc_two_sigma,
)
from app.views.source_names import source_name
from app.views.theme import TOOLBAR_MARGINS, ThemePalette

if TYPE_CHECKING:
    from app.core.spec import BatterySpec

#: Live window widths offered; None shows the whole buffer.
SPANS: tuple[tuple[float | None, str], ...] = (
    (60.0, "1 min"),
    (300.0, "5 min"),
    (600.0, "10 min"),
    (1800.0, "30 min"),
    (3600.0, "1 h"),
    (None, "All"),
)

CURSOR_HINT = "Point at the plots to read all values at one time; drag or wheel to zoom time."
#: The lines the cursor read-out always has room for: a 4-cell pack's values take two
#: at 1024 px, and a read-out that grew under the mouse scrolled the plots 15 px and
#: put the cell plot's 0 V (a dead cell) out of view.
CURSOR_LINES = 2

#: Cursor read-out fields: column, format, ThemePalette colour of its curve.
_CURSOR_FIELDS = (
    (schema.VOLTAGE, "{:.3f} V", "voltage"),
    (schema.CURRENT, "{:+.3f} A", "current"),
    (schema.TEMPERATURE, "{:.1f} °C", "temperature"),
    (SOC_COLUMN, "SOC {:.1f} %", "soc"),
)
#: Cursor fields shown in m or µ of their unit when small: unit, format in it.
_SCALED = {schema.VOLTAGE: ("V", "{:.3f}"), schema.CURRENT: ("A", "{:+.3f}")}
_GAP = "&nbsp;" * 4

#: The Record button in each recording phase: text, checked, enabled, tooltip.
_RECORD_BUTTON = {
    RecordingPhase.OFF: (
        "● Record",
        False,
        True,
        "Record the stream to the database from now on (the samples already shown are not stored)",
    ),
    RecordingPhase.STARTING: (
        "● Starting…",
        True,
        False,
        "Opening the database; the samples arriving meanwhile are kept for the recording"
        " (in memory, then on disk; the status bar says how many)",
    ),
    RecordingPhase.ON: ("■ Stop recording", True, True, "Stop recording (the stream goes on)"),
    RecordingPhase.STOPPING: (
        "Saving…",
        True,
        False,
        "Storing the last samples and closing the recording",
    ),
}
#: The Record button while the source has ended (or is not connected): nothing to record.
_NOTHING_TO_RECORD = "The source has ended: there is nothing more to record"


#: The least page width (px) at which the tool bar says "Window" before the span's combo.
WINDOW_WORD_MIN_WIDTH = 1000


class RecordButton(QPushButton):
    """The Record button: as wide as its widest text (bold when checked), so it
    neither jumps nor clips its text when the phase changes."""

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        bold = QFont(self.font())
        bold.setWeight(QFont.Weight.DemiBold)
        metrics, now = QFontMetrics(bold), QFontMetrics(self.font())
        widest = max(metrics.horizontalAdvance(text) for text, *_ in _RECORD_BUTTON.values())
        return QSize(
            hint.width() + max(0, widest - now.horizontalAdvance(self.text())), hint.height()
        )

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()


def cursor_html(
    values: dict[str, float],
    colors: ThemePalette,
    milliamps: bool = True,
    temperature_note: str = "",
) -> str:
    """The cursor read-out line: time, then each value in the colour of its curve;
    ``milliamps``: a small current in mA/µA (:func:`current_in_milliamps`);
    ``temperature_note``: what the temperature is when not the pack's ('hottest of 6
    cell sensors', :attr:`ShownTemperature.note`)."""

    def span(text: str, color: str) -> str:
        return f'<span style="color:{color}">{text}</span>'

    def known(column: str) -> bool:
        value = values.get(column)
        return value is not None and not np.isnan(value)

    parts = [f"t {format_elapsed(values[schema.TIME], 1)}"]
    for column, fmt, role in _CURSOR_FIELDS:
        if not known(column):
            continue
        text = fmt.format(values[column])
        if column == schema.TEMPERATURE and temperature_note:
            text = f"{text} ({temperature_note})"
        if column in _SCALED and (milliamps or column != schema.CURRENT):
            # a coin cell's -200 µA, not '-0.000 A'
            number, unit = scaled_text(values[column], *_SCALED[column])
            text = f"{number} {unit}"
        if column == SOC_COLUMN and known(SOC_BAND_LOW) and known(SOC_BAND_HIGH):
            if soc_pinned(values):  # a band shut at 0 or 100 %: not ±0.0
                parts.append(span(text, getattr(colors, role)))
                continue
            two_sigma, exact = soc_two_sigma(values)  # as the tile and the Diagnostics card
            text += f" ±{two_sigma:.1f} %" + ("" if exact else " or more")
        parts.append(span(text, getattr(colors, role)))
    if known(SOC_BMS):
        text = f"BMS {values[SOC_BMS]:.1f} %"
        diff = bms_difference(values)
        if not np.isnan(diff):
            text += f" (Δ {difference_text(diff)})"
        parts.append(span(text, colors.soc_bms))
    cells = [
        span(f"{values[c]:.3f}", colors.cell_color(int(schema.CELL_VOLTAGE_RE.match(c)[1]) - 1))
        for c in schema.cell_voltage_columns(values)
        if not np.isnan(values[c])
    ]
    if cells:
        parts.append("cells " + " ".join(cells) + " V")
    return _GAP.join(parts)


class DashboardPage(QWidget):
    """Live plots of one source. Feed it snapshots; it redraws unless paused."""

    recording_requested = Signal(bool)  #: user toggled the Record button
    disconnect_requested = Signal()
    span_changed = Signal(object)  #: seconds, or None for everything
    frame_drawn = Signal(int)  #: samples now on the plots

    def __init__(self, colors: ThemePalette, parent: QWidget | None = None, *, span_s=600.0):
        super().__init__(parent)
        self.setObjectName("page")
        self._latest: dict[str, np.ndarray] = {}
        self._colors = colors
        self.plots = LivePlots(colors, self)
        self.readouts = ReadoutPanel(colors, self)
        self._build_toolbar()
        self.cursor_label = QLabel(CURSOR_HINT, objectName="cursorReadout")
        self.cursor_label.setTextFormat(Qt.TextFormat.RichText)
        self.cursor_label.setContentsMargins(12, 4, 12, 0)
        # the read-out of every column at the cursor wraps: on one line it set the
        # page's minimum width past a small screen's
        self.cursor_label.setWordWrap(True)
        self._reserve_cursor_lines()

        plots_column = QVBoxLayout()
        plots_column.setContentsMargins(0, 0, 0, 0)
        plots_column.setSpacing(0)
        plots_column.addWidget(self.cursor_label)
        # on a short screen the plots scroll (each keeps a readable height, its axis
        # title beside it) rather than squeeze; the tool bar and read-outs stay put
        self.plots_scroll = QScrollArea(objectName="plotsScroll")
        self.plots_scroll.setWidgetResizable(True)
        self.plots_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.plots_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.plots_scroll.setWidget(self.plots)
        plots_column.addWidget(self.plots_scroll, 1)
        # the time axis stays in view under the scrolling stack
        self.time_axis = TimeAxisBar(self.plots.plots[PlotKey.VOLTAGE].getViewBox())
        plots_column.addWidget(self.time_axis)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addLayout(plots_column, 1)
        # the read-outs scroll in their column on a short screen; the plots keep the height
        self.readouts_scroll = QScrollArea(objectName="readoutsScroll")
        self.readouts_scroll.setWidgetResizable(True)
        self.readouts_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.readouts_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.readouts_scroll.setWidget(self.readouts)
        self.readouts_scroll.setFixedWidth(200)
        body.addWidget(self.readouts_scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addLayout(body, 1)

        self.time_axis.apply_palette(colors)
        self.plots.follow_disabled.connect(self._on_follow_disabled)
        self.plots.cursor_moved.connect(self._on_cursor_moved)
        self.plots.cursor_left.connect(self._on_cursor_left)
        self.set_span(span_s)

    def _reserve_cursor_lines(self) -> None:
        """Room for :data:`CURSOR_LINES` lines of the read-out, so the plots keep their
        height when the mouse comes over them."""
        label = self.cursor_label
        label.ensurePolished()  # (the style sheet sets its font)
        shown = label.text()
        label.setText("<br>".join(["0"] * CURSOR_LINES))  # (rich text, as the read-out)
        label.setMinimumHeight(label.heightForWidth(label.width()))
        label.setText(shown)
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

    def _build_toolbar(self) -> None:
        self.toolbar = QFrame(self, objectName="toolbar")
        # (one line, cut with '…' to the room the buttons leave: a long URL or file
        # name never sets the window's minimum width)
        self.source_label = FittedLabel("Not connected", max_lines=1, objectName="sectionTitle")
        self.source_label.setMinimumWidth(80)
        self.paused_label = QLabel("", objectName="mutedText")
        self.pause_button = QPushButton("Pause", checkable=True)
        self.pause_button.setToolTip("Freeze the plots; data keeps arriving and is shown on resume")
        self.follow_button = QPushButton("Follow live", checkable=True, checked=True)
        self.follow_button.setToolTip("Keep the newest samples in view (off after a mouse zoom)")
        self.span_combo = QComboBox()
        self.span_combo.setToolTip("Width of the live window")
        for seconds, text in SPANS:
            self.span_combo.addItem(text, seconds)
        self.record_button = RecordButton("● Record", checkable=True, objectName="recordButton")
        self.record_button.setToolTip(_RECORD_BUTTON[RecordingPhase.OFF][3])
        self.disconnect_button = QPushButton("Disconnect")
        row = QHBoxLayout(self.toolbar)
        row.setContentsMargins(*TOOLBAR_MARGINS)
        row.setSpacing(8)
        row.addWidget(self.source_label, 1)
        row.addWidget(self.paused_label)
        row.addWidget(self.pause_button)
        row.addWidget(self.follow_button)
        self.window_label = QLabel("Window", objectName="mutedText")
        row.addWidget(self.window_label)
        row.addWidget(self.span_combo)
        row.addSpacing(12)
        row.addWidget(self.record_button)
        row.addWidget(self.disconnect_button)
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.follow_button.toggled.connect(self._on_follow_toggled)
        self.span_combo.currentIndexChanged.connect(self._on_span_chosen)
        self.record_button.clicked.connect(self._on_record_clicked)
        self.disconnect_button.clicked.connect(self.disconnect_requested)

    # --- data ----------------------------------------------------------------
    def show_frame(self, snapshot: dict[str, np.ndarray]) -> None:
        """Take the newest snapshot: read-outs always update, plots unless paused."""
        self._latest = snapshot
        time = snapshot.get(schema.TIME)
        if time is None or len(time) == 0:
            return
        self.readouts.show_latest(
            {name: float(values[-1]) for name, values in snapshot.items()},
            # the pack's, or the hottest cell's: as the whole snapshot decides, as plotted
            shown_temperature(snapshot, slice(-1, None)),
        )
        if self.paused:
            waiting = len(time) - len(self.plots.shown.get(schema.TIME, ()))
            self.paused_label.setText(f"Paused · {max(waiting, 0):,} new samples")
            return
        self._draw(snapshot)

    def _draw(self, snapshot: dict[str, np.ndarray]) -> None:
        drawn = self.plots.set_data(snapshot)
        if drawn:
            self.frame_drawn.emit(drawn)

    def add_banner(self, banner: QWidget) -> None:
        """Show ``banner`` (a lost connection, say) between the tool bar and the plots."""
        self.layout().insertWidget(1, banner)

    def clear(self) -> None:
        self._latest = {}
        self.plots.clear_data()
        self.readouts.clear()
        self.cursor_label.setText(CURSOR_HINT)

    def set_source(self, url: str | None, title: str | None = None) -> None:
        """The tool bar's title: ``title``, else the source's short name (a file's name,
        a simulator's battery: :func:`source_name`, as the Diagnostics page names it);
        the whole URL is in the tooltip."""
        # whole: the label elides it to its width
        shown = title or source_name(url, max_chars=None) or "Not connected"
        tip = "\n".join(dict.fromkeys(t for t in (title, url) if t)) or shown
        self.source_label.set_full_text(shown, tip)
        # a stored recording (a title) has nothing to record, pause or follow (they did
        # nothing): their room goes to the title
        live = title is None
        if not live:
            self.set_paused(False)  # (paused, the recording would not be drawn)
        for button in (self.record_button, self.pause_button, self.follow_button):
            button.setVisible(live)

    def set_battery(self, spec: BatterySpec | None, source_url: str | None = None) -> None:
        """The battery shown (None: not known yet) of the source at ``source_url``: its
        plausible cell band decides which cell readings the spread read-out keeps (the
        rule of cell balance); a card under the read-outs names the OCV table the SOC
        reads."""
        self.readouts.ocv_table_card.set_text(*ocv_table_text(spec, source_url))
        self.readouts.set_plausible_cell_v(spec.plausible_cell_v if spec is not None else None)
        # its cells and capacity: the least spans of the voltage and current axes, and
        # the current under which a small cell is at rest
        self.plots.set_battery(
            spec.series_cells if spec is not None else None,
            spec.capacity_ah if spec is not None else None,
        )
        self.readouts.set_capacity_ah(spec.capacity_ah if spec is not None else None)

    # --- view controls -------------------------------------------------------
    @property
    def paused(self) -> bool:
        return self.pause_button.isChecked()

    def set_paused(self, paused: bool) -> None:
        self.pause_button.setChecked(paused)

    def set_follow(self, follow: bool) -> None:
        self.follow_button.setChecked(follow)

    @property
    def span_s(self) -> float | None:
        return self.span_combo.currentData()

    def set_span(self, seconds: float | None) -> None:
        """Choose the live window nearest to ``seconds`` (None: everything)."""
        if seconds is None:
            index = len(SPANS) - 1
        else:
            sized = [(abs(s - seconds), i) for i, (s, _) in enumerate(SPANS) if s is not None]
            index = min(sized)[1]
        self.span_combo.setCurrentIndex(index)
        self.plots.set_span(SPANS[index][0])

    def set_recording(self, recording: bool) -> None:
        """Show the session's recording state without asking for a change."""
        self.set_recording_phase(RecordingPhase.ON if recording else RecordingPhase.OFF)

    def set_recording_phase(self, phase: RecordingPhase, *, can_start: bool = True) -> None:
        """Show where recording stands; the button waits while the database works.
        ``can_start`` False: the source has ended, Record is off and disabled."""
        text, checked, enabled, tip = _RECORD_BUTTON[phase]
        if phase is RecordingPhase.OFF and not can_start:
            enabled, tip = False, _NOTHING_TO_RECORD
        self.record_button.setChecked(checked)
        self.record_button.setText(text)
        self.record_button.setEnabled(enabled)
        self.record_button.setToolTip(tip)

    def apply_palette(self, colors: ThemePalette) -> None:
        self._colors = colors
        self.plots.apply_palette(colors)
        self.time_axis.apply_palette(colors)
        self.readouts.apply_palette(colors)

    # --- handlers --------------------------------------------------------------
    def _on_pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if not paused:
            self.paused_label.setText("")
            if self._latest:
                self._draw(self._latest)

    def _on_follow_toggled(self, follow: bool) -> None:
        self.plots.set_follow(follow)

    def _on_follow_disabled(self) -> None:
        self.follow_button.setChecked(False)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        # narrow (a 1024 px window): the span's "Window" word gives its room to the
        # title ("sim LEAD-ACID 6S c…"); the combo's "10 min" and tooltip say it
        self.window_label.setVisible(self.width() >= WINDOW_WORD_MIN_WIDTH)
        super().resizeEvent(event)

    def _on_span_chosen(self, index: int) -> None:
        seconds = self.span_combo.itemData(index)
        self.plots.set_span(seconds)
        self.set_follow(True)
        self.span_changed.emit(seconds)

    def _on_record_clicked(self, checked: bool) -> None:
        # The session decides; it answers through set_recording().
        self.record_button.setChecked(not checked)
        self.recording_requested.emit(checked)

    def _on_cursor_moved(self, t: float) -> None:
        values = self.plots.values_at(t)
        if values:
            milliamps = current_in_milliamps(self.readouts.capacity_ah)
            note = self.plots.temperature.note
            self.cursor_label.setText(cursor_html(values, self._colors, milliamps, note))

    def _on_cursor_left(self) -> None:
        self.cursor_label.setText(CURSOR_HINT)
