"""The Logs page: open cycler and Battery OS log files and look at them offline.

Files open through :func:`app.hardware.logs.formats.open_log` (any supported
format, recognised by content) in a worker thread; the page polls the
reader's :class:`~app.hardware.logs.formats.Progress` on a timer for its
progress bar, and Cancel asks the reader to stop. Opened files are listed with
a check box and a colour each; the checked ones are overlaid in every plot:
V/I/T over time, capacity and coulombic efficiency per cycle, dQ/dV of a
chosen cycle. For the selected file: the battery it holds (from the file, or
guessed and editable), "Invert current" for a log that counts discharge as
positive (``--invert-current``: the file analysed again with its current
negated), the diagnostic suite, import into the database as a recording, and
replay through the live dashboard. Errors show on the page; a
table whose columns are not recognised gets a "Map columns…" button (the
column-mapping dialog, :mod:`app.views.column_mapping_dialog`), and the file is
opened again once the mapping is saved.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import BatteryOSError
from app.core.spec import MIN_CAPACITY_AH, PRESETS, Chemistry
from app.views.background import SerialWorker
from app.views.field_words import in_field_words
from app.views.log_plots import PARTIAL_NOTE, CyclePlots, IcaPlot, TimeSeriesPlots
from app.views.spec_dialog import (
    BOL_RESISTANCE_TIP,
    CHEMISTRY_NAMES,
    CapacitySpinBox,
    CellVoltageEdit,
    OcvTableCurrentEdit,
    ResistanceSpinBox,
    cell_voltage_window,
)
from app.views.theme import ThemePalette
from app.views.time_axis import span_text

#: Milliseconds between two looks at a reader's progress.
PROGRESS_POLL_MS = 50
OPEN_FILTER = "Log files (*.csv *.mpr *.mpt *.txt *.res *.xlsx *.ndax *.nda *.log);;All files (*)"
PATH_ROLE = Qt.ItemDataRole.UserRole
#: The plot tab of the per-cycle capacity and efficiency (after the samples' V, I, T).
CYCLES_TAB = 1
#: Capacity and series cells before a file names them.
UNKNOWN_VALUE = "—"


def _eol_fraction(settings) -> float:
    """The end-of-life fraction of ``settings`` (None: the suite's default)."""
    if settings is not None and settings.eol_fraction is not None:
        return settings.eol_fraction
    from app.diagnostics.suite import DEFAULT_EOL_FRACTION

    return DEFAULT_EOL_FRACTION


def _count(n: int, noun: str) -> str:
    """``1 cycle``, ``2 cycles``, ``9,295 samples`` (it said "1 cycles")."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _file_info(analysis) -> str:
    """One line on the selected file: its format and extent."""
    if analysis.per_cycle_table:
        x = analysis.cycles["cycle_index"]
        return f"{analysis.format_name} · {_count(len(x), 'cycle')} ({x.min():g}–{x.max():g})"
    t = analysis.frame["time_s"]
    span = float(t.iloc[-1] - t.iloc[0])
    start = analysis.metadata.get("start_utc", "")
    return (
        # the plots' unit: "0.81 s", not "0.00 h"
        f"{analysis.format_name} · {_count(len(analysis.frame), 'sample')} over "
        f"{span_text(span)}" + (f" · started {start[:19].replace('T', ' ')}" if start else "")
    )


def _cycle_list(cycles: list[int], most: int = 8) -> str:
    """``cycle 1`` / ``cycles 1, 20`` / the first ``most`` and how many more."""
    shown = ", ".join(str(c) for c in cycles[:most])
    more = f" and {len(cycles) - most} more" if len(cycles) > most else ""
    return f"cycle{'s' if len(cycles) > 1 else ''} {shown}{more}"


def _message(exc: BaseException, what: str) -> str:
    if isinstance(exc, BatteryOSError):  # (the fix named as the page's fields)
        return in_field_words(str(exc))
    return f"{what} failed: {type(exc).__name__}: {exc}"


def _is_table(path: str) -> bool:
    """Whether the generic reader sees a table in ``path`` (its columns can be mapped)."""
    from app.hardware.logs.generic import preview

    try:
        preview(path)
    except BatteryOSError:
        return False
    return True


def _swatch(color: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


@dataclass
class _Task:
    """The background task the progress bar follows."""

    label: str
    progress: object  #: app.hardware.logs.formats.Progress
    cancelled: bool = False


#: What the page says before a file is opened (and once every file is closed).
OPEN_PROMPT = (
    "Open a log file (File ▸ Open in Logs, or drop it on the window): "
    "canonical CSV, BioLogic .mpr/.mpt, …"
)


class LogsPage(QWidget):
    """Opened log files, their plots and what can be done with them."""

    replay_requested = Signal(str)  #: file:// URL naming the battery: replay it live
    diagnostics_finished = Signal(object)  #: DiagnosticsReport of a log file
    recording_imported = Signal(int)  #: id of the new recording
    status_shown = Signal(str, bool)  #: the page's message and whether it is an error

    def __init__(self, colors: ThemePalette, db_url: str | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("logsPage")
        self.db_url = db_url
        self._colors = colors
        self.analyses: dict[str, object] = {}  #: path -> LogAnalysis, in opening order
        self._colour_index: dict[str, int] = {}
        self._task: _Task | None = None
        self._queue: list[str] = []
        self.mapping_dialog = None  #: the column-mapping dialog last opened
        self.loader = SerialWorker("log file open", self)
        self.diagnostics_worker = SerialWorker("log diagnostics", self)
        self.import_worker = SerialWorker("log import", self)
        self._poll = QTimer(self)
        self._poll.setInterval(PROGRESS_POLL_MS)
        self._poll.timeout.connect(self._on_poll)
        self._build()
        # a worker is busy until its callback has run: the buttons it held come back once idle
        for worker in (self.loader, self.diagnostics_worker, self.import_worker):
            worker.idle.connect(self._update_actions)

    # --- construction -----------------------------------------------------------
    def _build(self) -> None:
        title = QLabel("Logs", objectName="pageTitle")
        self.open_button = QPushButton("Open log file…")
        self.open_button.clicked.connect(self._on_open_clicked)
        self.progress_label = QLabel("", objectName="mutedText")
        self.progress_bar = QProgressBar(minimum=0, maximum=100)
        self.progress_bar.setFixedWidth(220)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        for widget in (self.progress_label, self.progress_bar, self.cancel_button):
            widget.setVisible(False)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(16)
        top.addWidget(self.open_button)
        top.addStretch(1)
        top.addWidget(self.progress_label)
        top.addWidget(self.progress_bar)
        top.addWidget(self.cancel_button)
        self.status_label = QLabel(OPEN_PROMPT, objectName="mutedText", wordWrap=True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.map_columns_button = QPushButton("Map columns…")
        self.map_columns_button.setToolTip(
            "Say which column of the table is time, voltage, current …; remembered for "
            "files named like it"
        )
        self.map_columns_button.setVisible(False)
        self.map_columns_button.clicked.connect(self._on_map_failed_clicked)
        self._unmapped_path: str | None = None
        status_row = QHBoxLayout()
        status_row.addWidget(self.status_label, 1)
        status_row.addWidget(self.map_columns_button, 0, Qt.AlignmentFlag.AlignTop)

        self.file_list = QListWidget(objectName="logFiles")
        # a long name is cut in its middle (its end tells files apart), not scrolled to
        self.file_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.file_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.file_list.itemChanged.connect(self._on_item_changed)
        self.file_list.currentItemChanged.connect(self._on_current_changed)
        self.remove_button = QPushButton("Close file")
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.remap_button = QPushButton("Map columns…")
        self.remap_button.setToolTip("Change which column of this table is which quantity")
        self.remap_button.clicked.connect(self._on_remap_clicked)
        self.file_info = QLabel("", objectName="mutedText", wordWrap=True)
        # what the reader warns of the selected file (a row cut mid-way left out)
        self.file_warning = QLabel("", objectName="warningText", wordWrap=True)
        self.file_warning.setVisible(False)
        # its width is the panel's: a long quoted row wraps (at its commas), never widens it
        self.file_warning.setMinimumWidth(120)
        self.file_warning.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.chemistry_combo = QComboBox()
        for chemistry in PRESETS:
            self.chemistry_combo.addItem(
                CHEMISTRY_NAMES.get(chemistry, chemistry.value), chemistry.value
            )
        self.capacity_spin = CapacitySpinBox()
        self.capacity_spin.setToolTip(
            "Nominal capacity of one cell (one parallel string); end of life is measured "
            "against it once applied (as --capacity-ah)"
        )
        self.cells_spin = QSpinBox(minimum=1, maximum=1000)
        self.bol_spin = ResistanceSpinBox()
        self.bol_spin.setToolTip(BOL_RESISTANCE_TIP)
        self.eol_spin = QDoubleSpinBox(decimals=0, minimum=50.0, maximum=99.0)
        self.eol_spin.setValue(80.0)  # the suite's default, set again for each file
        self.eol_spin.setSuffix(" % of capacity")
        self.eol_spin.setToolTip(
            "End of life: the capacity falls to this share of the capacity given, or of the "
            "first cycles' when none is (as --eol-fraction)"
        )
        for spin in (self.capacity_spin, self.cells_spin, self.bol_spin, self.eol_spin):
            # the style sheet's padding does not reach a spin box's text (Qt)
            spin.lineEdit().setTextMargins(6, 0, 0, 0)
        self.ocv_table: str | None = None  #: the OCV table CSV chosen (as --ocv-table)
        self.ocv_button = QPushButton()
        self.ocv_button.clicked.connect(self._on_ocv_clicked)
        self.ocv_clear_button = QPushButton("Preset")
        self.ocv_clear_button.setToolTip("Use the chemistry preset's OCV curve")
        self.ocv_clear_button.clicked.connect(lambda: self.set_ocv_table(None))
        ocv_row = QHBoxLayout()
        ocv_row.addWidget(self.ocv_button, 1)
        ocv_row.addWidget(self.ocv_clear_button)
        # the current the table was measured at (as --ocv-table-current-c): only of a table
        self.ocv_current_edit = OcvTableCurrentEdit()
        ocv_current_row = QHBoxLayout()
        ocv_current_row.addWidget(self.ocv_current_edit, 1)
        ocv_current_row.addWidget(QLabel("C"))
        self.set_ocv_table(None)
        # the cells' own voltage window (as --cell-v-min, --cell-v-max): empty, the file's
        # or the preset's; a cell of none of the presets (a 3.9-4.7 V high-voltage cell)
        # gives its own, and its OCV table is judged by them
        self.cell_v_min_edit = CellVoltageEdit("cell_v_min")
        self.cell_v_max_edit = CellVoltageEdit("cell_v_max")
        limit_rows = []
        for edit in (self.cell_v_min_edit, self.cell_v_max_edit):
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(QLabel("V"))
            limit_rows.append(row)
        self.invert_check = QCheckBox("Invert current")
        self.invert_check.setToolTip(
            "The log counts discharge as positive: negate its current and analyse it again "
            "(as --invert-current; Battery OS counts charging as positive)"
        )
        self.invert_check.toggled.connect(self._on_invert_toggled)
        self.apply_spec_button = QPushButton("Apply battery")
        self.apply_spec_button.setToolTip("Recompute cycles and dQ/dV for this battery")
        self.apply_spec_button.clicked.connect(self._on_apply_spec_clicked)
        self.spec_note = QLabel("", objectName="mutedText", wordWrap=True)
        form = QFormLayout()
        form.addRow("Chemistry", self.chemistry_combo)
        form.addRow("Capacity", self.capacity_spin)
        form.addRow("Series cells", self.cells_spin)
        for edit, row in zip((self.cell_v_min_edit, self.cell_v_max_edit), limit_rows, strict=True):
            form.addRow(QLabel(edit.param.label, toolTip=edit.param.help), row)
        form.addRow("OCV table", ocv_row)
        self.ocv_current_label = QLabel("Measured at")
        self.ocv_current_label.setToolTip(self.ocv_current_edit.toolTip())
        form.addRow(self.ocv_current_label, ocv_current_row)
        form.addRow("R new (cell)", self.bol_spin)
        form.addRow("End of life", self.eol_spin)
        form.addRow("Current", self.invert_check)

        self.diagnostics_button = QPushButton("Run diagnostics")
        self.diagnostics_button.clicked.connect(self.run_diagnostics)
        self.import_button = QPushButton("Import into database")
        self.import_button.clicked.connect(self.import_selected)
        self.replay_button = QPushButton("Replay in dashboard")
        self.replay_button.clicked.connect(self._on_replay_clicked)
        self.action_label = QLabel("", objectName="mutedText", wordWrap=True)
        self.action_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        side = QFrame(objectName="card")
        side_layout = QVBoxLayout(side)
        files_title = QLabel("Files (checked ones are overlaid)", objectName="sectionTitle")
        files_title.setWordWrap(True)
        side_layout.addWidget(files_title)
        # the list keeps room for a few files whatever the notes below say (a long
        # battery warning squeezed it to two rows, the selected file out of sight):
        # the rest of the panel scrolls under it instead
        rows = self.file_list.fontMetrics().height() + 8
        self.file_list.setMinimumHeight(4 * rows + 2 * self.file_list.frameWidth())
        self.file_list.setMaximumHeight(8 * rows + 2 * self.file_list.frameWidth())
        side_layout.addWidget(self.file_list, 1)
        file_buttons = QHBoxLayout()
        file_buttons.addWidget(self.remove_button)
        file_buttons.addWidget(self.remap_button)
        side_layout.addLayout(file_buttons)
        details = QWidget(objectName="logDetails")
        details_layout = QVBoxLayout(details)
        details_layout.setContentsMargins(0, 0, 6, 0)  # (the units clear of the scroll bar)
        details_layout.addWidget(self.file_info)
        details_layout.addWidget(self.file_warning)
        details_layout.addWidget(
            QLabel("Battery of the selected file", objectName="sectionTitle", wordWrap=True)
        )
        details_layout.addLayout(form)
        details_layout.addWidget(self.apply_spec_button)
        details_layout.addWidget(self.spec_note)
        details_layout.addStretch(1)
        self.details_scroll = QScrollArea(objectName="logDetailsScroll")
        self.details_scroll.setWidgetResizable(True)
        self.details_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.details_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.details_scroll.setWidget(details)
        side_layout.addWidget(self.details_scroll, 3)
        # the page's actions stay in view under the battery, whatever its notes say (a
        # long battery warning scrolled them out of sight, even at 1600 x 1000)
        for button in (self.diagnostics_button, self.import_button, self.replay_button):
            side_layout.addWidget(button)
        side_layout.addWidget(self.action_label)
        self.action_label.setVisible(False)  # until an action has something to say
        side.setMinimumWidth(260)

        # the plots are made when first needed: they cost more than the rest of
        # the window's pages, and the window must paint fast
        self.time_plots: TimeSeriesPlots | None = None
        self.cycle_plots: CyclePlots | None = None
        self.ica_plot: IcaPlot | None = None
        self._plot_slots = [QVBoxLayout() for _ in range(3)]
        self.cycle_combo = QComboBox()
        self.cycle_combo.setMinimumWidth(90)
        self.direction_combo = QComboBox()
        self.direction_combo.addItems(["discharge", "charge"])
        self.ica_note = QLabel("", objectName="mutedText", wordWrap=True)
        for combo in (self.cycle_combo, self.direction_combo):
            combo.currentIndexChanged.connect(self._show_ica)
        ica_tab = QWidget()
        ica_layout = QVBoxLayout(ica_tab)
        selector = QHBoxLayout()
        selector.addWidget(QLabel("Cycle"))
        selector.addWidget(self.cycle_combo)
        selector.addWidget(QLabel("Direction"))
        selector.addWidget(self.direction_combo)
        selector.addStretch(1)
        ica_layout.addLayout(selector)
        # under the selector, as wide as the tab and never wider (a file name does not
        # wrap: beside the selector it pushed the page into scrolling sideways)
        self.ica_note.setMinimumWidth(120)
        self.ica_note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        ica_layout.addWidget(self.ica_note)
        ica_layout.addLayout(self._plot_slots[2], 1)
        # which cycles of the shown files are partial (hollow diamonds on the plot)
        self.cycle_note = QLabel("", objectName="mutedText", wordWrap=True)
        self.cycle_note.setContentsMargins(8, 4, 8, 0)
        self.cycle_note.setVisible(False)
        self._plot_slots[1].addWidget(self.cycle_note)
        self.tabs = QTabWidget()
        # short titles, all three in view on a small screen (1024 px); the bar
        # scrolls when the plots are narrower still
        self.tabs.setUsesScrollButtons(True)
        for slot, title, tip in zip(
            self._plot_slots[:2],
            ("Time series", "Per cycle"),
            ("Voltage, current and temperature against time",
             "Capacity and efficiency of each cycle"),
            strict=True,
        ):  # fmt: skip
            tab = QWidget()
            tab.setLayout(slot)
            slot.setContentsMargins(0, 0, 0, 0)
            self.tabs.addTab(tab, title)
            self.tabs.setTabToolTip(self.tabs.count() - 1, tip)
        self.tabs.addTab(ica_tab, "dQ/dV")
        self.tabs.setTabToolTip(2, "Incremental capacity (dQ/dV) of one cycle")

        splitter = QSplitter()
        splitter.addWidget(side)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(top)
        layout.addLayout(status_row)
        layout.addWidget(splitter, 1)
        self._show_unknown_battery(True)
        self._blank_form = self._form_values()
        self._update_actions()

    def _form_values(self) -> tuple:
        """The battery form's fields (their values before any file was opened are
        what it shows again once every file is closed)."""
        return (
            self.chemistry_combo.currentIndex(),
            self.capacity_spin.value(),
            self.cells_spin.value(),
            self.bol_spin.value(),
            self.eol_spin.value(),
            self.invert_check.isChecked(),
            self.ocv_table,
            self.ocv_current_edit.text(),
            self.cell_v_min_edit.text(),
            self.cell_v_max_edit.text(),
        )

    def _show_unknown_battery(self, unknown: bool) -> None:
        """Capacity and series cells read '—' while no file names them: the spin boxes'
        minimum (1e-06 Ah, 1 cell) read as a battery before any file was opened. A
        spin box shows its special text at its minimum only, so the minimum is a
        value no battery has while unknown, and the real one once a file is shown."""
        for spin, least in ((self.capacity_spin, MIN_CAPACITY_AH), (self.cells_spin, 1)):
            spin.setSpecialValueText(UNKNOWN_VALUE if unknown else "")
            spin.setMinimum(0 if unknown else least)
            if unknown:
                spin.setValue(0)

    def _show_blank(self) -> None:
        """The page as first opened: no file's battery, messages or plot ranges left."""
        chemistry, capacity, cells, bol, eol, invert, ocv, ocv_current, *limits = self._blank_form
        self._show_unknown_battery(True)
        self.chemistry_combo.setCurrentIndex(chemistry)
        self.capacity_spin.setValue(capacity)
        self.cells_spin.setValue(cells)
        self.bol_spin.setValue(bol)
        self.eol_spin.setValue(eol)
        self.invert_check.blockSignals(True)
        self.invert_check.setChecked(invert)
        self.invert_check.blockSignals(False)
        self.set_ocv_table(ocv)
        self.ocv_current_edit.setText(ocv_current)
        for edit, text in zip((self.cell_v_min_edit, self.cell_v_max_edit), limits, strict=True):
            edit.setText(text)
            edit.setPlaceholderText(edit.param.blank)
        self._set_status(OPEN_PROMPT, error=False)
        if self.time_plots is not None:
            for plots in (self.time_plots, self.cycle_plots, self.ica_plot):
                plots.reset_view()

    # --- state ----------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """Background work under way (opening, diagnostics, import)."""
        return self.loader.busy or self.diagnostics_worker.busy or self.import_worker.busy

    @property
    def loading(self) -> bool:
        return self._task is not None

    @property
    def selected(self):
        item = self.file_list.currentItem()
        return self.analyses.get(item.data(PATH_ROLE)) if item is not None else None

    def shown_logs(self) -> list[tuple[object, str]]:
        """The checked files and their colours, in opening order."""
        out = []
        for row in range(self.file_list.count()):
            item = self.file_list.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                path = item.data(PATH_ROLE)
                out.append((self.analyses[path], self.color_of(path)))
        return out

    def color_of(self, path: str) -> str:
        return self._colors.cell_color(self._colour_index[path])

    def wait(self, timeout: float | None = None) -> bool:
        """Join the worker threads (end of the program, tests); True when none is left."""
        done = True
        for worker in (self.loader, self.diagnostics_worker, self.import_worker):
            done = worker.wait(timeout) and done
        return done

    # --- opening --------------------------------------------------------------------
    def open_file(self, path: str) -> None:
        """Open ``path`` in the background (queued behind a file being opened)."""
        path = os.path.abspath(os.fspath(path))
        if self._task is not None:
            self._queue.append(path)
            return
        from app.hardware.logs.formats import Progress
        from app.views.log_analysis import open_analysis

        progress = Progress()
        self._task = _Task(f"Opening {os.path.basename(path)}…", progress)
        self._show_progress(True)
        self.loader.submit(
            lambda: open_analysis(path, progress),
            on_done=lambda analysis: self._on_opened(analysis),
            on_error=lambda exc: self._on_open_failed(path, exc),
        )

    def cancel(self) -> None:
        """Stop opening the file (the reader stops at its next progress update)."""
        if self._task is not None:
            self._task.cancelled = True
            self._task.progress.cancel()
            self._queue.clear()
            self.cancel_button.setEnabled(False)
            self.progress_label.setText("Cancelling…")

    def _on_opened(self, analysis) -> None:
        task = self._finish_task()
        if task is not None and task.cancelled:
            self._set_status(f"Opening {analysis.name} was cancelled.", error=False)
        else:
            self._add(analysis)
            if not (self.diagnostics_worker.busy or self.import_worker.busy):
                # the last action's outcome was of another file: not of this one
                self._set_action("", error=False)
            what = (
                "the lifetime diagnostics run on it"
                if analysis.per_cycle_table
                else _count(len(analysis.frame), "sample")
            )
            if analysis.per_cycle_table:  # no samples to plot: its cycles are the file
                self.tabs.setCurrentIndex(CYCLES_TAB)
            read = "".join(f" Warning: {w}." for w in analysis.read_warnings)
            self._set_status(
                f"{analysis.name}: {analysis.format_name}, {what}, "
                f"{_count(len(analysis.cycles), 'cycle')}.{read}",
                error=False,
                warning=bool(read),
            )
        self._next_in_queue()

    def _on_open_failed(self, path: str, exc: BaseException) -> None:
        from app.hardware.logs.formats import Cancelled

        task = self._finish_task()
        if isinstance(exc, Cancelled) or (task is not None and task.cancelled):
            self._set_status(f"Opening {os.path.basename(path)} was cancelled.", error=False)
        else:
            self._set_status(_message(exc, f"Opening {os.path.basename(path)}"), error=True)
            from app.hardware.logs.formats import NotASampleLog

            # a table whose columns can be mapped by hand? (not a file of a known kind that
            # holds no samples: an Arbin metadata CSV was offered beside "not a sample log")
            if isinstance(exc, BatteryOSError) and not isinstance(exc, NotASampleLog):
                self.loader.submit(
                    lambda: _is_table(path),
                    on_done=lambda table: self._offer_mapping(path) if table else None,
                )
        self._next_in_queue()

    # --- column mapping of generic tables ------------------------------------------------
    def _offer_mapping(self, path: str) -> None:
        if self.status_is_error and os.path.basename(path) in self.status_text:
            self._unmapped_path = path
            self.map_columns_button.setVisible(True)

    def _on_map_failed_clicked(self) -> None:
        if self._unmapped_path is not None:
            self.map_columns(self._unmapped_path)

    def _on_remap_clicked(self) -> None:
        if self.selected is not None:
            self.map_columns(self.selected.path)

    def map_columns(self, path: str):
        """Open the column-mapping dialog for ``path``; after Save the file is opened again."""
        from app.views.column_mapping_dialog import ColumnMappingDialog

        dialog = ColumnMappingDialog(path, self)
        dialog.accepted.connect(lambda: self._on_mapping_saved(path, dialog.pattern))
        dialog.finished.connect(dialog.deleteLater)
        self.mapping_dialog = dialog
        dialog.open()
        return dialog

    def _on_mapping_saved(self, path: str, pattern: str) -> None:
        self.map_columns_button.setVisible(False)
        self._unmapped_path = None
        self._set_status(f"Column mapping saved for files named {pattern}: opening "
                         f"{os.path.basename(path)} again…", error=False)  # fmt: skip
        self.open_file(path)

    def _finish_task(self) -> _Task | None:
        task, self._task = self._task, None
        self._show_progress(False)
        return task

    def _next_in_queue(self) -> None:
        if self._queue:
            self.open_file(self._queue.pop(0))

    def _show_progress(self, shown: bool) -> None:
        self.progress_bar.setValue(0)
        self.progress_label.setText(self._task.label if self._task else "")
        for widget in (self.progress_label, self.progress_bar, self.cancel_button):
            widget.setVisible(shown)
        self.cancel_button.setEnabled(shown)
        if shown:
            self._poll.start()
        else:
            self._poll.stop()

    def _on_poll(self) -> None:
        if self._task is not None:
            self.progress_bar.setValue(round(100 * self._task.progress.fraction))

    # --- the file list ----------------------------------------------------------------
    def _add(self, analysis) -> None:
        path = analysis.path
        replacing = path in self.analyses
        self.analyses[path] = analysis
        if not replacing:
            self._colour_index[path] = len(self._colour_index)
            item = QListWidgetItem(_swatch(self.color_of(path)), analysis.name)
            item.setData(PATH_ROLE, path)
            item.setToolTip(path)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            self.file_list.blockSignals(True)
            item.setCheckState(Qt.CheckState.Checked)
            self.file_list.addItem(item)
            self.file_list.blockSignals(False)
            self.file_list.setCurrentItem(item)
        self._show_selected()
        self.refresh_plots()

    def _item_of(self, path: str) -> QListWidgetItem | None:
        for row in range(self.file_list.count()):
            if self.file_list.item(row).data(PATH_ROLE) == path:
                return self.file_list.item(row)
        return None

    def _on_item_changed(self, _item) -> None:
        self.refresh_plots()

    def _on_current_changed(self, *_args) -> None:
        self._show_selected()
        self._fill_cycles()

    def _on_remove_clicked(self) -> None:
        analysis = self.selected
        if analysis is None:
            return
        self.file_list.takeItem(self.file_list.row(self._item_of(analysis.path)))
        del self.analyses[analysis.path]
        if not (self.diagnostics_worker.busy or self.import_worker.busy):
            # the last action's outcome was of a file: maybe the one closed
            self._set_action("", error=False)
        self._show_selected()
        self.refresh_plots()
        if not self.analyses:
            self._show_blank()

    def _show_selected(self) -> None:
        analysis = self.selected
        if analysis is not None:
            spec = analysis.spec
            self.chemistry_combo.setCurrentIndex(
                self.chemistry_combo.findData(Chemistry(spec.chemistry).value)
            )
            self._show_unknown_battery(False)
            self.capacity_spin.setValue(spec.capacity_ah)
            self.cells_spin.setValue(spec.series_cells)
            self.bol_spin.set_resistance_ohm(spec.bol_resistance_ohm)
            self.set_ocv_table(analysis.settings.ocv_table)
            self.ocv_current_edit.set_current_c(analysis.settings.ocv_table_current_c)
            # the limits given, else greyed: the battery's own (the file's, the preset's)
            full = spec.with_preset_defaults()
            own_file = analysis.file_spec is not None and analysis.settings.chemistry is None
            whose = "file's" if own_file else "preset"
            for edit, given, own in (
                (self.cell_v_min_edit, analysis.settings.cell_v_min, full.cell_v_min),
                (self.cell_v_max_edit, analysis.settings.cell_v_max, full.cell_v_max),
            ):
                edit.set_volts(given)
                edit.show_value_of(whose, own)
            self.eol_spin.setValue(100.0 * _eol_fraction(analysis.settings))
            self.invert_check.blockSignals(True)
            self.invert_check.setChecked(analysis.settings.invert_current)
            self.invert_check.blockSignals(False)
            if analysis.settings.names_battery:
                note = "As set here (the diagnostics are `batteryos analyze` with these options)."
            elif analysis.spec_from_file:
                note = "From the file."
            elif analysis.per_cycle_table:
                from app.diagnostics.capacity_fade import EDGE_CYCLES  # (loaded: it was read)

                note = (
                    "A per-cycle table names no battery: end of life is measured against "
                    "its first cycles' capacity (shown: the mean of the first "
                    f"{EDGE_CYCLES}) until you set one."
                )
            elif analysis.spec_problem:
                note = (
                    f"The file's battery line is damaged ({analysis.spec_problem}) and was "
                    "ignored: guessed from its voltages and cycles; correct it and Apply."
                )
            else:
                note = (
                    "Not in the file: guessed from its voltages and cycles; correct it and Apply."
                )
            if analysis.spec_guessed and analysis.guess is not None:
                note += f"\nGuessed: {analysis.guess.text}."
            if analysis.settings.invert_current:
                note += "\nIts current is negated (as --invert-current)."
            if analysis.spec_warning:
                note += f"\nWarning: {analysis.spec_warning}."
            self.spec_note.setText(note)
            self.file_info.setText(_file_info(analysis))
            self.file_warning.setText(
                # a zero-width space after each comma: a quoted CSV row may wrap there
                "\n".join(f"Warning: {w}.".replace(",", ",\u200b") for w in analysis.read_warnings)
            )
        else:
            self.file_info.setText("")
            self.file_warning.setText("")
            self.spec_note.setText("")
        self.file_warning.setVisible(bool(self.file_warning.text()))
        self._update_actions()

    def _update_actions(self) -> None:
        has = self.selected is not None
        samples = has and not self.selected.per_cycle_table  # a table cannot be replayed
        for button in (self.remove_button, self.apply_spec_button):
            button.setEnabled(has)
        # the battery form is of the selected file: nothing to set without one (the
        # values typed were replaced by the file's once it opened)
        for field in (
            self.chemistry_combo,
            self.capacity_spin,
            self.cells_spin,
            self.ocv_button,
            self.ocv_clear_button,
            self.bol_spin,
            self.cell_v_min_edit,
            self.cell_v_max_edit,
            self.eol_spin,
        ):
            field.setEnabled(has)
        self.replay_button.setEnabled(samples)
        self.invert_check.setEnabled(samples)  # a per-cycle table has no current
        self.diagnostics_button.setEnabled(has and not self.diagnostics_worker.busy)
        self.import_button.setEnabled(samples and not self.import_worker.busy)
        # a table read by the generic reader says which mapping it was read with
        self.remap_button.setVisible(has and "column_mapping" in self.selected.metadata)

    # --- plots ------------------------------------------------------------------------
    def _ensure_plots(self) -> None:
        if self.time_plots is not None:
            return
        self.time_plots = TimeSeriesPlots(self._colors)
        self.cycle_plots = CyclePlots(self._colors)
        self.ica_plot = IcaPlot(self._colors)
        for slot, widget in zip(
            self._plot_slots, (self.time_plots, self.cycle_plots, self.ica_plot), strict=True
        ):
            slot.addWidget(widget, 1)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        self._ensure_plots()
        super().showEvent(event)

    def refresh_plots(self) -> None:
        self._ensure_plots()
        logs = self.shown_logs()
        self.time_plots.show_logs(logs)
        self.cycle_plots.show_logs(logs)
        partial = self.cycle_plots.partial_cycles
        self.cycle_note.setText(
            f"{PARTIAL_NOTE}. "
            + "; ".join(f"{name}: {_cycle_list(cycles)}" for name, cycles in partial.items())
            if partial
            else ""
        )
        self.cycle_note.setToolTip(self.cycle_note.text())
        self.cycle_note.setVisible(bool(partial))
        self._fill_cycles()

    def _fill_cycles(self) -> None:
        """The cycle selector: cycles with a dQ/dV curve in the selected (or any shown) file."""
        logs = self.shown_logs()
        source = self.selected if self.selected is not None else (logs[0][0] if logs else None)
        cycles = source.cycle_numbers if source is not None else []
        if not cycles:
            cycles = sorted({c for a, _ in logs for c in a.cycle_numbers})
        current = self.cycle_combo.currentData()
        self.cycle_combo.blockSignals(True)
        self.cycle_combo.clear()
        for cycle in cycles:
            self.cycle_combo.addItem(str(cycle), cycle)
        index = self.cycle_combo.findData(current)
        self.cycle_combo.setCurrentIndex(index if index >= 0 else 0)
        self.cycle_combo.blockSignals(False)
        self._show_ica()

    def _show_ica(self) -> None:
        cycle = self.cycle_combo.currentData()
        direction = self.direction_combo.currentText()
        logs = self.shown_logs()
        self._ensure_plots()
        if cycle is None:
            self.ica_plot.show_logs(logs, None, direction)
            off_grid = [
                f"{a.name}: {a.ica_missing}"
                if len(logs) > 1
                else a.ica_missing[0].upper() + a.ica_missing[1:]
                for a, _ in logs
                if a.ica_missing
            ]
            if logs and all(a.per_cycle_table for a, _ in logs):
                note = "A per-cycle table has no samples: dQ/dV needs them."
            elif off_grid:  # slow segments there are, outside the battery's voltages
                note = "No dQ/dV. " + "; ".join(off_grid) + ". Set the battery that fits it."
            elif logs:
                note = (
                    "No slow constant-current segment (C/50 to C/2, 10 % of the capacity) in "
                    "the shown files: dQ/dV needs one."
                )
            else:
                note = ""
            self.ica_note.setText(note)
            return
        self.ica_plot.show_logs(logs, int(cycle), direction)
        missing = [a.name for a, _ in logs if a.ica_for(int(cycle), direction) is None]
        self.ica_note.setText(
            f"No {direction} curve for cycle {cycle} in: {', '.join(missing)}" if missing else ""
        )

    def apply_palette(self, colors: ThemePalette) -> None:
        self._colors = colors
        if self.time_plots is None:
            return  # made later, in these colours
        for plots in (self.time_plots, self.cycle_plots, self.ica_plot):
            plots.apply_palette(colors)
        for path in self.analyses:
            item = self._item_of(path)
            if item is not None:
                item.setIcon(_swatch(self.color_of(path)))
        self.refresh_plots()

    # --- battery, diagnostics, import, replay ------------------------------------------
    def set_ocv_table(self, path: str | None) -> None:
        """The OCV table CSV (``soc_percent,ocv_v``) the next Apply uses; None: the preset's.

        The current it was measured at is a table's: without one its field is empty and
        disabled (the preset's table is the chemistry's OCV)."""
        self.ocv_table = path
        self.ocv_button.setText(os.path.basename(path) if path else "Chemistry preset…")
        self.ocv_button.setToolTip(
            path or "Choose an OCV table of one cell: CSV with columns soc_percent,ocv_v"
        )
        self.ocv_clear_button.setVisible(path is not None)
        if path is None:
            self.ocv_current_edit.clear()
        self.ocv_current_edit.setEnabled(path is not None)

    def _on_ocv_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "OCV table of one cell", "", "CSV (*.csv);;All files (*)"
        )
        if path:
            self.set_ocv_table(path)

    def settings_from_form(self):
        """The form as ``batteryos analyze`` options for the selected file; a current of
        the OCV table no table is measured at is a BatteryOSError saying so.

        The battery fields count as given once the user changed them from the
        battery shown (or gave them before, or chose an OCV table): until then
        the file's battery, or the guess, stands, as without the options. Over a
        battery the file names, only the fields changed (or given before) are
        given, as the options typed: a chemistry alone keeps the file's capacity
        and cells and measures end of life against the first cycles, as
        ``analyze --chemistry`` does; a guess shown is the user's battery whole.
        """
        from app.views.log_analysis import BatterySettings

        analysis = self.selected
        eol = self.eol_spin.value() / 100.0
        eol_fraction = None if eol == round(100.0 * _eol_fraction(None)) / 100.0 else eol
        chemistry = self.chemistry_combo.currentData()
        capacity, cells = self.capacity_spin.value(), self.cells_spin.value()
        bol = self.bol_spin.resistance_ohm()
        spec = analysis.spec
        shown_bol = self.bol_spin.textFromValue(1000.0 * (spec.bol_resistance_ohm or 0.0))
        given = analysis.settings
        changed = {
            "chemistry": chemistry != Chemistry(spec.chemistry).value,
            "capacity_ah": self.capacity_spin.textFromValue(capacity)
            != self.capacity_spin.textFromValue(spec.capacity_ah),
            "cells": cells != spec.series_cells,
            "bol_resistance_ohm": self.bol_spin.textFromValue(self.bol_spin.value()) != shown_bol,
        }
        invert = self.invert_check.isChecked()
        # (--ocv-table-current-c is the table's: none without one)
        ocv_current = self.ocv_current_edit.current_c() if self.ocv_table else None
        cell_v_min, cell_v_max = cell_voltage_window(self.cell_v_min_edit, self.cell_v_max_edit)
        limits = {"cell_v_min": cell_v_min, "cell_v_max": cell_v_max}
        if not (
            any(changed.values())
            or given.names_battery
            or self.ocv_table
            or any(v is not None for v in limits.values())
        ):
            return BatterySettings(eol_fraction=eol_fraction, invert_current=invert)
        values = {
            "chemistry": chemistry,
            "capacity_ah": capacity,
            "cells": cells,
            "bol_resistance_ohm": bol,
        }
        if analysis.file_spec is not None:  # the file's battery: what the user typed over it
            values = {
                key: value if changed[key] or getattr(given, key) is not None else None
                for key, value in values.items()
            }
        return BatterySettings(
            ocv_table=self.ocv_table,
            ocv_table_current_c=ocv_current,
            eol_fraction=eol_fraction,
            invert_current=invert,
            **values,
            **limits,
        )

    def _settings_or_error(self):
        """:meth:`settings_from_form`, or None once what is wrong with the form is shown."""
        try:
            return self.settings_from_form()
        except BatteryOSError as exc:
            self._set_status(in_field_words(str(exc)), error=True)
            return None

    def _on_invert_toggled(self, checked: bool) -> None:
        """Analyse the selected file again with its current negated (or as it is)."""
        analysis = self.selected
        if analysis is None or checked == analysis.settings.invert_current:
            return
        from dataclasses import replace

        from app.views.log_analysis import with_settings

        settings = replace(analysis.settings, invert_current=checked)
        self.invert_check.setEnabled(False)
        self._set_action(
            f"{'Negating' if checked else 'Restoring'} the current of {analysis.name} "
            "and analysing it again…",
            error=False,
        )
        self.loader.submit(
            lambda: with_settings(analysis, settings),
            on_done=self._on_inverted,
            on_error=self._on_respec_failed,
        )

    def _on_inverted(self, analysis) -> None:
        sign = "negated (as --invert-current)" if analysis.settings.invert_current else "as logged"
        self._set_action(
            f"{analysis.name}: current {sign}; run the diagnostics again.", error=False
        )
        self._on_respecced(analysis)

    def _on_apply_spec_clicked(self) -> None:
        analysis = self.selected
        if analysis is None:
            return
        from app.views.log_analysis import with_settings

        settings = self._settings_or_error()
        if settings is None:
            return
        self.apply_spec_button.setEnabled(False)
        self.loader.submit(
            lambda: with_settings(analysis, settings),
            on_done=self._on_respecced,
            on_error=self._on_apply_refused,
        )

    def _on_respec_failed(self, exc: BaseException) -> None:
        self._set_status(_message(exc, "Recomputing"), error=True)
        self._show_selected()  # the form as the file stands

    def _on_apply_refused(self, exc: BaseException) -> None:
        """Apply was refused (an OCV table outside the cells' voltage limits): said, and
        the form keeps what was typed, to be corrected (a table given again after each
        refusal was dropped for the limits the message asked for)."""
        self._set_status(_message(exc, "Recomputing"), error=True)
        self._update_actions()

    def _on_respecced(self, analysis) -> None:
        if analysis.path in self.analyses:
            if self.status_is_error:  # (the refusal of an earlier Apply: no longer so)
                self._set_status(f"{analysis.name}: the battery set is applied.", error=False)
            self._add(analysis)
        self._update_actions()

    def run_diagnostics(self) -> None:
        """The diagnostic suite on the selected file, in the background."""
        analysis = self.selected
        if analysis is None or self.diagnostics_worker.busy:
            return
        from app.views.log_analysis import run_log_diagnostics, with_settings

        settings = self._settings_or_error()  # what the form shows, applied or not
        if settings is None:
            return

        def run():
            applied = (
                analysis if settings == analysis.settings else with_settings(analysis, settings)
            )
            return applied, run_log_diagnostics(applied)

        self._set_action(f"Running the diagnostics on {analysis.name}…", error=False)
        self.diagnostics_worker.submit(
            run,
            on_done=self._on_diagnostics_done,
            on_error=lambda exc: self._on_action_failed(exc, "The diagnostics"),
        )
        self._update_actions()

    def _on_diagnostics_done(self, done) -> None:
        analysis, report = done
        if analysis.path in self.analyses and analysis is not self.analyses[analysis.path]:
            self._add(analysis)  # the form's settings were applied for the run
        if report.current_sign_warning:
            # every result rests on the current's sign: this line, in red, before them
            self._set_action(
                f"Warning: {report.current_sign_warning}; here: tick “Invert current” above.",
                error=True,
            )
        elif report.warnings:  # a table's invalid rows, a dead cell: as analyze warns
            self._set_action(
                f"Diagnostics done in {report.elapsed_s:.1f} s: results on the Diagnostics "
                "page. " + " ".join(f"Warning: {w}." for w in report.warnings),
                warning=True,
            )
        else:
            self._set_action(
                f"Diagnostics done in {report.elapsed_s:.1f} s: results on the Diagnostics page.",
                error=False,
            )
        self._update_actions()
        self.diagnostics_finished.emit(report)

    def import_selected(self) -> None:
        """Store the selected file as a recording in the database, in the background."""
        analysis = self.selected
        if analysis is None or self.import_worker.busy:
            return
        from app.views.storage_bridge import import_log_recording

        db_url = self.db_url
        self._set_action(f"Importing {analysis.name} into the database…", error=False)
        self.import_worker.submit(
            lambda: import_log_recording(db_url, analysis),
            on_done=lambda rec_id: self._on_imported(analysis, rec_id),
            on_error=lambda exc: self._on_action_failed(exc, "The import"),
        )
        self._update_actions()

    def _on_imported(self, analysis, recording_id: int) -> None:
        self._set_action(
            f"Imported {analysis.name} as recording #{recording_id} "
            f"({len(analysis.frame):,} samples).",
            error=False,
        )
        self._update_actions()
        self.recording_imported.emit(recording_id)

    def _on_action_failed(self, exc: BaseException, what: str) -> None:
        self._set_action(_message(exc, what), error=True)
        self._update_actions()

    def replay_url(self) -> str | None:
        """The ``file://`` URL of the selected file with the battery shown on the page.

        A file's own battery is left to the file to name: a ``capacity_ah`` in the URL is
        the user's, what the live session measures end of life against (as
        ``--capacity-ah``), and the file's is not (``analyze`` on the file without it, the
        page's diagnostics: :attr:`LogAnalysis.reference_capacity_ah`). So the URL's
        capacity is the page's reference: the one typed or the guess shown, else none.
        Over the file's battery the URL names what the user typed (the chemistry always:
        a size needs it), as ``analyze``'s options; the source keeps the file's rest. The
        OCV table chosen and the current it was measured at go with it (``ocv_table=``,
        ``ocv_table_current_c=``, as ``--ocv-table``, ``--ocv-table-current-c``): the
        replay's SOC reads the table the page's diagnostics read."""
        analysis = self.selected
        if analysis is None:
            return None
        from app.views.log_files import file_url_with_battery

        spec, settings = analysis.spec, analysis.settings
        if analysis.spec_from_file:
            from app.cli.current_sign_option import url_with_inversion
            from app.views.source_urls import file_url

            return url_with_inversion(settings, file_url(analysis.path))
        # over a file's own battery only what the user changed (as analyze's options),
        # else the whole battery the page shows
        given = analysis.file_spec is not None
        return file_url_with_battery(
            analysis.path,
            spec.chemistry,
            settings.capacity_ah if given else spec.capacity_ah,
            settings.cells if given else spec.series_cells,
            # a guess's capacity from a partial charge: its current limits are not judged
            capacity_lower_bound=not given and spec.capacity_lower_bound,
            bol_resistance_ohm=settings.bol_resistance_ohm if given else spec.bol_resistance_ohm,
            # the limits typed, as --cell-v-min/--cell-v-max: the file's or the preset's
            # are the source's own
            cell_v_min=settings.cell_v_min,
            cell_v_max=settings.cell_v_max,
            # the table and its current are the user's only (as --ocv-table): over a
            # file's own table, or the preset's, they are what the page's run used
            ocv_table=settings.ocv_table,
            ocv_table_current_c=settings.ocv_table_current_c,
            invert_current=settings.invert_current,
        )

    def _on_replay_clicked(self) -> None:
        url = self.replay_url()
        if url is not None:
            self.replay_requested.emit(url)

    # --- messages -----------------------------------------------------------------------
    def _set_status(self, text: str, *, error: bool, warning: bool = False) -> None:
        self.map_columns_button.setVisible(False)
        self._style_label(self.status_label, text, error, warning)
        self.status_shown.emit(text, error)

    def _set_action(self, text: str, *, error: bool = False, warning: bool = False) -> None:
        self._style_label(self.action_label, text, error, warning)
        self.action_label.setVisible(bool(text))  # empty, no gap under the buttons

    @staticmethod
    def _style_label(label: QLabel, text: str, error: bool, warning: bool = False) -> None:
        label.setText(text)
        label.setToolTip(text)
        label.setObjectName("errorText" if error else "warningText" if warning else "mutedText")
        label.style().unpolish(label)
        label.style().polish(label)

    @property
    def status_text(self) -> str:
        return self.status_label.text()

    @property
    def status_is_error(self) -> bool:
        return self.status_label.objectName() == "errorText"

    def _on_open_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open log file", "", OPEN_FILTER)
        if path:
            self.open_file(path)
