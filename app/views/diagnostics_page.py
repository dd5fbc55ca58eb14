"""The Diagnostics page: the catalogue of the nine diagnostics, one in detail, and all results.

::

    ┌ toolbar: Diagnostics · last run ·························· [Run on current data] ┐
    │ the current's sign looks reversed … (only then; live data and log files alike)   │
    │ catalogue (by group) │ detail of the selected one          │ results of all nine │
    └──────────────────────┴─────────────────────────────────────┴─────────────────────┘

It draws what it is given (:meth:`DiagnosticsPage.show_report`) and asks for
runs through :attr:`run_requested`; the running happens elsewhere
(:mod:`app.views.diagnostics_runner`).
"""

from __future__ import annotations

import html
import os

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.views.diagnostics_catalog import (
    CATALOG,
    CATALOG_BY_KEY,
    NO_SAMPLES,
    NOT_RUN,
    STATUS_TEXT,
    DiagnosticGroup,
    DiagnosticInfo,
    ResultSummary,
    Status,
    grouped,
    not_valid,
    soh_at_end_of_life,
    summarize,
    with_battery_note,
    with_suspect_cell_readings,
)
from app.views.diagnostics_runner import AUTO_REFRESH_S, DiagnosticsReport, ReportKind
from app.views.source_names import simulated_battery, source_name
from app.views.status_bar import ElidedLabel
from app.views.theme import TOOLBAR_MARGINS, ThemePalette, set_style_property
from app.views.time_axis import span_text

RUN_TEXT = "Run on current data"
RUN_TIP = "Run the nine diagnostics on the samples received so far"
BACK_TO_LIVE_TEXT = "Back to live results"
#: what other data than the live source's the results are of, in the page's words
KIND_WORDS = {ReportKind.FILE: "a file", ReportKind.RECORDING: "a stored recording"}
NOTHING_TO_RUN_TIP = (
    "No live source has samples to analyse: connect one (File › Connect), or run a log "
    "file's diagnostics on the Logs page"
)

#: Beside the run status while a source streams (the tooltip says what refreshes);
#: ``REFRESHING_TEXT`` while it refreshes. Short: "Refreshed every 10 s" left the run
#: status 360 px at 1024, and "sim NMC 4S drive · 07:06:22 · 15,000 samples over 25:00"
#: read "sim NM… drive · …"
AUTO_REFRESH_TEXT = f"Every {AUTO_REFRESH_S:g} s"
REFRESHING_TEXT = "Refreshing…"


def back_to_live_tip(kind: ReportKind) -> str:
    """The tooltip of "Back to live results" over results of ``kind`` (a file, a recording)."""
    return (
        f"These results are of {KIND_WORDS.get(kind, 'other data')}: they stay until you "
        "come back to the live source's (read now, and refreshed every "
        f"{AUTO_REFRESH_S:g} s while it streams)"
    )


CARD_NUMBERS = 3  # key numbers on a result card (the detail shows them all)
CARD_ITEMS = 4  # findings on a result card before "… and N more"
KEY_ROLE = Qt.ItemDataRole.UserRole


def status_color(status: Status, colors: ThemePalette) -> str:
    """The theme colour of a status (chips, catalogue dots)."""
    return {
        Status.OK: colors.ok,
        Status.WARNING: colors.warning,
        Status.CRITICAL: colors.fault,
        Status.INFO: colors.voltage,
    }.get(status, colors.text_muted)


def battery_note(report: DiagnosticsReport) -> str | None:
    """What the results' battery is when it is not the cell's for sure: guessed (what, from
    what, and that the limits are the guess's) and not fitting the log's voltages."""
    lines = []
    if report.battery_guess:
        judged = (
            "The results are judged against this guess (Safety and Faults against its "
            "limits, SOC against its OCV curve and capacity, end of life against its capacity)"
        )
        if report.kind is ReportKind.RECORDING:  # its battery cannot be set afterwards
            lines.append(
                f"Battery assumed (the recording stored none): {report.battery_guess}. "
                f"{judged}: a recording keeps the battery it was made with, so give the "
                "source its battery before recording the next one."
            )
        elif report.kind is ReportKind.FILE:
            lines.append(
                f"Battery guessed (the file names none): {report.battery_guess}. {judged}: "
                "set the cell's own battery on the Logs page and run again."
            )
        else:
            lines.append(
                f"Battery assumed (the source names none): {report.battery_guess}. {judged}: "
                "give the source its battery when connecting it."
            )
    if report.battery_warning:
        lines.append(f"Warning: {report.battery_warning}.")
    lines += [f"Warning: {warning}." for warning in report.warnings]
    return "\n".join(lines) or None


def _dot(color: str, size: int = 10) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


def _label(text: str = "", name: str | None = None, *, rich: bool = False) -> QLabel:
    label = QLabel(text, wordWrap=True)
    if name:
        label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class RunStatusLabel(ElidedLabel):
    """The run status beside the tool bar's buttons: "pack_run7.csv (sim NMC 4S drive)
    · results of 11:13:50 · 9,295 samples over 2.5 h". At a narrow width the words
    "results of" go first, then the last words of the source's detail in brackets, then
    the detail, and only then is the source's name shortened in the middle: the run's
    time, samples and extent stay whole and the file's name keeps what room there is.
    The whole text is in :meth:`text` and the tooltip. It takes the width it is given:
    a long file name does not widen the window."""

    _SEP = " · "
    _RESULTS_OF = "results of "

    def __init__(self, text: str = "", parent: QWidget | None = None, **kwargs):
        super().__init__(text, parent, **kwargs)
        self._source = ""
        self._detail = ""
        self._rest = text

    def set_parts(self, source: str, rest: str, detail: str = "") -> None:
        """Show ``source (detail) · rest``; ``detail`` gives way first, then ``source``."""
        self._source, self._detail, self._rest = source, detail if source else "", rest
        named = f"{source} ({detail})" if source and detail else source
        self.setText(f"{named}{self._SEP}{rest}" if named else rest)

    def shown_text(self) -> str:
        """The text as drawn at the label's width."""
        metrics, width, text = self.fontMetrics(), self.contentsRect().width(), self.text()
        if metrics.horizontalAdvance(text) <= width:
            return text
        if not self._source:
            return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
        rests = [self._rest]
        if self._rest.startswith(self._RESULTS_OF):
            rests.append(self._rest[len(self._RESULTS_OF) :])
        named = [f"{self._source} ({self._detail})"] if self._detail else []
        for source in named:
            for rest in rests:
                shown = f"{source}{self._SEP}{rest}"
                if metrics.horizontalAdvance(shown) <= width:
                    return shown
        words, rest = self._detail.split(), rests[-1]
        for keep in range(len(words) - 1, 1, -1):  # its last words give way, whole words
            shown = f"{self._source} ({' '.join(words[:keep])}…){self._SEP}{rest}"
            if metrics.horizontalAdvance(shown) <= width:
                return shown
        for rest in rests:
            shown = f"{self._source}{self._SEP}{rest}"
            if metrics.horizontalAdvance(shown) <= width:
                return shown
        room = width - metrics.horizontalAdvance(self._SEP + rest)
        if room >= metrics.horizontalAdvance("…") * 3:
            source = metrics.elidedText(self._source, Qt.TextElideMode.ElideMiddle, room)
            return f"{source}{self._SEP}{rest}"
        return metrics.elidedText(self._rest, Qt.TextElideMode.ElideRight, width)


class StatusChip(QLabel):
    """A small outlined word in the colour of a status (the style sheet colours it)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("statusChip")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.set_status(Status.NOT_RUN)

    def set_status(self, status: Status) -> None:
        self.setText(STATUS_TEXT[status])
        set_style_property(self, "status", status.value)


def _numbers_html(numbers, limit: int | None = None) -> str:
    rows = numbers if limit is None else numbers[:limit]
    cells = "".join(
        f'<tr><td style="padding-right:14px">{html.escape(label)}</td>'
        f"<td><b>{html.escape(value)}</b></td></tr>"
        for label, value in rows
    )
    return f"<table cellspacing=0 cellpadding=1>{cells}</table>" if cells else ""


def _items_html(items, limit: int | None = None) -> str:
    shown = items if limit is None else items[:limit]
    lines = [f"• {html.escape(item)}" for item in shown]
    if limit is not None and len(items) > limit:
        lines.append(f"… and {len(items) - limit} more")
    return "<br>".join(lines)


class ResultCard(QFrame):
    """One diagnostic's latest result in the results column; a click selects it."""

    clicked = Signal(str)  #: diagnostic key

    def __init__(self, info: DiagnosticInfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.info = info
        self.setObjectName("card")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.title_label = QLabel(info.title, objectName="cardTitle", wordWrap=True)
        self.chip = StatusChip()
        self.headline_label = _label("", "cardHeadline")
        self.numbers_label = _label("", "mutedText", rich=True)
        self.items_label = _label("", "cardItems", rich=True)
        self.reason_label = _label("", "mutedText")
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.title_label, 1)
        top.addWidget(self.chip)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.setSpacing(3)
        layout.addLayout(top)
        for label in (self.headline_label, self.numbers_label, self.items_label, self.reason_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
            layout.addWidget(label)
        self.show_summary(NOT_RUN)

    def show_summary(self, summary: ResultSummary) -> None:
        self.chip.set_status(summary.status)
        self.headline_label.setText(summary.headline)
        self.headline_label.setVisible(bool(summary.headline))
        self.numbers_label.setText(_numbers_html(summary.numbers, CARD_NUMBERS))
        self.numbers_label.setVisible(bool(summary.numbers))
        self.items_label.setText(_items_html(summary.items, CARD_ITEMS))
        self.items_label.setVisible(bool(summary.items))
        self.reason_label.setText(summary.reason or "")
        self.reason_label.setVisible(bool(summary.reason))

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.info.key)
        super().mousePressEvent(event)


#: The widest the results column grows and the detail's text runs, in characters of
#: the font ('n'), and the shares of a wide window's width the two columns take.
RESULTS_MAX_CHARS = 64
DETAIL_MAX_CHARS = 100
DETAIL_STRETCH, RESULTS_STRETCH = 3, 2


class _ColumnScroll(QScrollArea):
    """A column that scrolls up and down only, never narrower than its content's minimum
    (which follows the results shown): content wider than the column was cut off on its
    right, a card's status chip with it."""

    def __init__(self, name: str, content: QWidget):
        super().__init__(objectName=name)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(content)
        content.installEventFilter(self)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        content = self.widget().minimumSizeHint().width()
        return QSize(content + self.verticalScrollBar().sizeHint().width(), 80)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the content's minimum may have changed
        return super().eventFilter(watched, event)


class DetailPanel(QWidget):
    """The selected diagnostic: what it does, its inputs, its method, its latest result."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("page")
        self.title_label = _label("", "pageTitle")
        self.signature_label = _label("", "signature")
        self.chip = StatusChip()
        self.headline_label = _label("", "detailHeadline")
        self.summary_label = _label()
        self.inputs_label = _label("", rich=True)
        self.method_label = _label()
        self.method_run_label = _label("", "mutedText")
        self.numbers_label = _label("", rich=True)
        self.items_label = _label("", rich=True)
        self.reason_label = _label("", "mutedText")
        status_row = QHBoxLayout()
        status_row.setSpacing(10)
        status_row.addWidget(self.chip, 0, Qt.AlignmentFlag.AlignVCenter)
        status_row.addWidget(self.headline_label, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(6)
        layout.addWidget(self.title_label)
        layout.addWidget(self.signature_label)
        layout.addSpacing(6)
        layout.addLayout(status_row)
        # the result first, under its status: on a 800-px screen it would
        # otherwise sit below a long method text
        for title, widgets in (
            ("Latest result", (self.numbers_label, self.items_label, self.reason_label)),
            ("What it does", (self.summary_label,)),
            ("Inputs", (self.inputs_label,)),
            ("Method", (self.method_label, self.method_run_label)),
        ):
            layout.addSpacing(8)
            layout.addWidget(QLabel(title, objectName="sectionTitle"))
            for widget in widgets:
                layout.addWidget(widget)
        layout.addStretch(1)

    def show_info(self, info: DiagnosticInfo, summary: ResultSummary) -> None:
        self.title_label.setText(info.title)
        # may break after a dot or a bracket (zero-width spaces): on one line the longest
        # signature set the detail's minimum width past a small screen's share
        signature = f"app.diagnostics.{info.signature}"
        signature = signature.replace(".", ".\u200b").replace("(", "(\u200b")
        self.signature_label.setText(f"{signature}  ·  {info.group.value}")
        self.summary_label.setText(info.summary)
        self.inputs_label.setText(
            "<br>".join(f"• {html.escape(line)}" for line in info.inputs)  # one per line
        )
        self.method_label.setText(info.method)
        self.chip.set_status(summary.status)
        self.headline_label.setText(summary.headline)  # shown even empty: keeps the chip left
        self.method_run_label.setText(f"As run: {summary.method}" if summary.method else "")
        self.method_run_label.setVisible(bool(summary.method))
        self.numbers_label.setText(_numbers_html(summary.numbers))
        self.numbers_label.setVisible(bool(summary.numbers))
        self.items_label.setText(_items_html(summary.items))
        self.items_label.setVisible(bool(summary.items))
        reason = summary.reason or ""
        if summary.status is Status.UNAVAILABLE:
            reason = f"Not available: {reason}" if reason else "Not available."
        elif summary.status is Status.NOT_RUN:
            # (a log is analysed from the Logs page: the button there runs the suite on it)
            reason = (
                "Not run yet: press “Run on current data” while a source is connected, "
                "or open a log on the Logs page and press “Run diagnostics”."
            )
        self.reason_label.setText(reason)
        self.reason_label.setVisible(bool(reason))


class DiagnosticsPage(QWidget):
    """Catalogue, detail and results of the diagnostic suite."""

    run_requested = Signal()

    def __init__(self, colors: ThemePalette, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("page")
        self._colors = colors
        self.report: DiagnosticsReport | None = None
        self._auto_refresh = False  # the live results refresh by themselves now
        self._live_samples = False  # a live source has samples to run on
        self._running = False  # a run is under way ("Running…")
        self.summaries: dict[str, ResultSummary] = {info.key: NOT_RUN for info in CATALOG}
        self._build_toolbar()

        self.catalogue = QTreeWidget(objectName="catalogue")
        self.catalogue.setHeaderHidden(True)
        self.catalogue.setRootIsDecorated(False)
        self.catalogue.setIndentation(12)
        self.catalogue.setIconSize(QSize(10, 10))
        self.catalogue.setFixedWidth(190)
        self.catalogue.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.group_items: dict[DiagnosticGroup, QTreeWidgetItem] = {}
        self.items: dict[str, QTreeWidgetItem] = {}
        for group, infos in grouped():
            group_item = QTreeWidgetItem([group.value.upper()])
            group_item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading, not selectable
            self.catalogue.addTopLevelItem(group_item)
            self.group_items[group] = group_item
            for info in infos:
                item = QTreeWidgetItem([info.title])
                item.setData(0, KEY_ROLE, info.key)
                item.setToolTip(0, info.signature)
                group_item.addChild(item)
                self.items[info.key] = item
            group_item.setExpanded(True)
        self.catalogue.currentItemChanged.connect(self._on_current_item_changed)

        self.detail = DetailPanel()
        # the three columns share a small screen's width (1024 px): the detail and the
        # results keep the width their text needs, the results give way down to it
        detail_scroll = _ColumnScroll("detailScroll", self.detail)

        results = QFrame(objectName="readouts")
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(12, 12, 12, 12)
        results_layout.setSpacing(8)
        results_layout.addWidget(QLabel("Results", objectName="sectionTitle"))
        self.cards: dict[str, ResultCard] = {}
        for group, infos in grouped():
            results_layout.addWidget(QLabel(group.value.upper(), objectName="groupTitle"))
            for info in infos:
                card = ResultCard(info)
                card.clicked.connect(self.select)
                self.cards[info.key] = card
                results_layout.addWidget(card)
        results_layout.addStretch(1)
        results_scroll = _ColumnScroll("resultsScroll", results)
        # on a wide screen the results grow with the detail (at 1920 px they stayed at
        # 240 px, a reason a word or two a line, beside the detail's 200-character
        # lines) up to a width their cards read well at; the detail's text keeps to
        # a line length that reads (its column's spare width on its right)
        em = results_scroll.fontMetrics().horizontalAdvance("n")
        results_scroll.setMaximumWidth(RESULTS_MAX_CHARS * em)
        self.detail.setMaximumWidth(DETAIL_MAX_CHARS * em)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.catalogue)
        body.addWidget(detail_scroll, DETAIL_STRETCH)
        body.addWidget(results_scroll, RESULTS_STRETCH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        # every result below rests on the current's sign: its warning goes above them
        self.sign_warning_label = _label("", "errorText")
        self.sign_warning_label.setContentsMargins(12, 6, 12, 6)
        self.sign_warning_label.setVisible(False)
        layout.addWidget(self.sign_warning_label)
        # and on the battery: a guessed one (its limits are the guess's), one that misfits
        self.battery_note_label = _label("", "mutedText")
        self.battery_note_label.setContentsMargins(12, 6, 12, 6)
        set_style_property(self.battery_note_label, "problem", "true")
        self.battery_note_label.setVisible(False)
        layout.addWidget(self.battery_note_label)
        layout.addLayout(body, 1)

        self.apply_palette(colors)
        self.select(CATALOG[0].key)
        self._show_run_button()

    def _build_toolbar(self) -> None:
        self.toolbar = QFrame(self, objectName="toolbar")
        title = QLabel("Diagnostics", objectName="sectionTitle")
        # a long file name must not widen the window: its middle is elided, the run's
        # time and extent stay whole; the tooltip has it all
        self.run_status_label = RunStatusLabel("Not run yet.", objectName="mutedText")
        # short: at 1280 px the run status beside it must keep its time and extent
        self.auto_label = QLabel(AUTO_REFRESH_TEXT, objectName="mutedText")
        self.auto_label.setToolTip(
            f"While a source streams, the results are refreshed every {AUTO_REFRESH_S:g} s"
        )
        self.auto_label.setVisible(False)  # until a source streams
        self.run_button = QPushButton(RUN_TEXT)
        self.run_button.setProperty("accent", True)
        self.run_button.setToolTip(RUN_TIP)
        row = QHBoxLayout(self.toolbar)
        row.setContentsMargins(*TOOLBAR_MARGINS)
        row.setSpacing(12)
        row.addWidget(title)
        row.addWidget(self.run_status_label, 1)
        row.addWidget(self.auto_label)
        row.addWidget(self.run_button)
        self.run_button.clicked.connect(self.run_requested)

    # --- shown state ------------------------------------------------------------
    @property
    def selected_key(self) -> str | None:
        item = self.catalogue.currentItem()
        return item.data(0, KEY_ROLE) if item is not None else None

    def select(self, key: str) -> None:
        """Show diagnostic ``key`` in detail (and select it in the catalogue)."""
        self.catalogue.setCurrentItem(self.items[key])
        self.detail.show_info(CATALOG_BY_KEY[key], self.summaries[key])

    def show_running(self) -> None:
        self._running = True
        self.run_button.setEnabled(False)
        self.run_button.setText("Running…")
        if self.report is None or self.showing_other_data:
            self._set_run_status("Running the diagnostics in the background…", error=False)
        else:  # a refresh: the results shown stay until the new ones are in
            # "Refreshing…" goes beside them, where "Every 10 s" was: at the end of the
            # run status it took the source's room ("sim NM… drive" at 1024 px)
            source, detail, rest = self._report_parts(self.report)
            self._set_run_status(rest, error=False, source=source, detail=detail)
            self.auto_label.setText(REFRESHING_TEXT)
            self.auto_label.setVisible(True)

    def show_report(self, report: DiagnosticsReport) -> None:
        """Show the results of one run of the suite."""
        self.report = report
        for info in CATALOG:
            result = report.results.get(info.key)
            self.summaries[info.key] = (
                # (a per-cycle table's faults are an empty list: none looked for)
                NO_SAMPLES if (result is None or info.key == "faults") and not report.samples
                else summarize(info.key, result)
            )  # fmt: skip
        self.summaries["soh"] = soh_at_end_of_life(
            self.summaries["soh"], report.results.get("soh"), report.results.get("cycle_life")
        )
        self.summaries["cell_balance"] = with_suspect_cell_readings(
            self.summaries["cell_balance"],
            report.results.get("faults"),
            report.results.get("cell_balance"),
        )
        from app.diagnostics.input_validity import WINDOW_REASON

        # (the voltage window's misfit: another chemistry inside it has its not-valid note)
        guessed = bool(report.battery_guess)
        misfit = bool(report.battery_warning) and (
            WINDOW_REASON in report.invalid_results.values() or not report.input_invalid
        )
        for key, summary in self.summaries.items():
            # a result not valid for the window says so itself: not twice (see not_valid)
            said = report.invalid_results.get(key) == WINDOW_REASON
            self.summaries[key] = with_battery_note(
                key, summary, guessed=guessed, misfit=misfit and not said, of=report.data_word
            )
        for key, why in report.invalid_results.items():
            self.summaries[key] = not_valid(self.summaries[key], why, of=report.data_word)
        for info in CATALOG:
            self.cards[info.key].show_summary(self.summaries[info.key])
        self._color_catalogue()
        if self.selected_key is not None:
            self.select(self.selected_key)
        self._run_finished()
        source, detail, rest = self._report_parts(report)
        self._set_run_status(rest, error=False, source=source, detail=detail)
        sign = report.current_sign_warning
        self.sign_warning_label.setText(f"Warning: {sign}" if sign else "")
        self.sign_warning_label.setVisible(bool(sign))
        note = battery_note(report)
        self.battery_note_label.setText(note or "")
        self.battery_note_label.setVisible(bool(note))
        self._show_auto_refresh()

    def set_auto_refresh(self, on: bool) -> None:
        """Whether the live results refresh by themselves now (a source streams)."""
        self._auto_refresh = on
        self._show_auto_refresh()

    @property
    def showing_other_data(self) -> bool:
        """Results of a log file (or a stored recording) are shown, not the live source's."""
        return self.report is not None and not self.report.live

    def show_error(self, message: str) -> None:
        """The last run failed (earlier results stay shown)."""
        self._run_finished()
        self._set_run_status(message, error=True)

    def apply_palette(self, colors: ThemePalette) -> None:
        self._colors = colors
        self._color_catalogue()

    # --- helpers ------------------------------------------------------------------
    @staticmethod
    def _report_parts(report: DiagnosticsReport) -> tuple[str, str, str]:
        """Which data the results are of: the file or source ('' if none), what recorded
        a log file when a simulator did (its battery in a few words, else ''), then the
        run's time and its samples (or cycles)."""
        data = (
            # a length in words: "over 27:55:43" beside "results of 13:11:36" read as a time
            f"{report.samples:,} samples over {span_text(report.span_s)}"
            if report.samples
            else f"{report.cycles} cycles of a per-cycle table"
        )
        rest = f"results of {report.finished_at:%H:%M:%S} · {data}"
        if report.log_path:  # the file's name, not what it was recorded from
            detail = simulated_battery(report.source_url) or ""
            return os.path.basename(report.log_path), detail, rest
        return report.source_name or source_name(report.source_url) or "", "", rest

    def _run_finished(self) -> None:
        self._running = False
        self.auto_label.setText(AUTO_REFRESH_TEXT)
        self._show_auto_refresh()
        self._show_run_button()

    def _show_run_button(self) -> None:
        if self._running:
            return  # "Running…" until the run ends
        # a log file's results stay (the live ones do not replace them) until this is
        # asked; only offered when there are live results to go back to
        live = self._live_samples
        back = self.showing_other_data and live
        self.run_button.setEnabled(live)
        self.run_button.setText(BACK_TO_LIVE_TEXT if back else RUN_TEXT)
        if back:
            self.run_button.setToolTip(back_to_live_tip(self.report.kind))
        else:
            self.run_button.setToolTip(RUN_TIP if live else NOTHING_TO_RUN_TIP)

    def set_live_samples(self, available: bool) -> None:
        """Whether a live source has samples to run on (connected, or stopped with its
        samples kept): without them there is nothing to run, nor live results to go
        back to."""
        self._live_samples = available
        self._show_run_button()

    def _show_auto_refresh(self) -> None:
        # a log file's results are not refreshed, nor live ones after the source ended
        self.auto_label.setVisible(self._auto_refresh and not self.showing_other_data)

    def _set_run_status(
        self, text: str, *, error: bool, source: str = "", detail: str = ""
    ) -> None:
        self.run_status_label.set_parts(source, text, detail)
        text = self.run_status_label.text()
        report = None if error else self.report
        full = text
        if report is not None:  # the whole path and URL, not shortened, and computing time
            full += f"\ncomputed in {report.elapsed_s:.1f} s"
            if report.log_path:
                full += f"\n{report.log_path}"
            if report.source_url and report.source_url != report.log_path:
                full += f"\n{report.source_url}"
        self.run_status_label.setToolTip(full)
        self.run_status_label.setObjectName("errorText" if error else "mutedText")
        self.run_status_label.style().unpolish(self.run_status_label)
        self.run_status_label.style().polish(self.run_status_label)

    def _color_catalogue(self) -> None:
        for key, item in self.items.items():
            status = self.summaries[key].status
            item.setIcon(0, _dot(status_color(status, self._colors)))
            item.setToolTip(0, f"{CATALOG_BY_KEY[key].signature} · {STATUS_TEXT[status]}")

    def _on_current_item_changed(self, current: QTreeWidgetItem | None, _previous) -> None:
        key = current.data(0, KEY_ROLE) if current is not None else None
        if key is not None:
            self.detail.show_info(CATALOG_BY_KEY[key], self.summaries[key])
