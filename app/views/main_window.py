"""The main window: a sidebar of pages, menus and the status bar, wired to a LiveSession.

It composes; the pages draw and the session streams.
"""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from app.core.errors import BatteryOSError
from app.core.settings import Settings
from app.views.background import SerialWorker
from app.views.dashboard import DashboardPage
from app.views.diagnostics_page import DiagnosticsPage
from app.views.diagnostics_runner import DiagnosticsRunner
from app.views.history_loader import HistoryLoader
from app.views.history_page import HistoryPage
from app.views.home_page import HomePage
from app.views.live_session import LiveSession, RecordingPhase, SessionStatus
from app.views.log_files import LogFileProbe, bare_file_path, droppable_path, probe_log_file
from app.views.operator_picker import OperatorPicker
from app.views.recordings_loader import RecentRecordingsLoader
from app.views.source_urls import SIMULATED_BATTERY_URL, file_url
from app.views.spec_dialog import BatterySpecDialog
from app.views.status_bar import SessionStatusBar
from app.views.theme import Theme, app_icon, apply_theme, icon, palette_for
from app.views.window_layout import WindowLayoutStore

DEFAULT_SIZE = QSize(1440, 900)
LOG_FILE_FILTER = (
    "Log files (*.csv *.txt *.xlsx *.xls *.res *.mpt *.ndax *.nda *.log);;All files (*)"
)


class Page(IntEnum):
    HOME = 0
    DASHBOARD = 1
    DIAGNOSTICS = 2
    HISTORY = 3


#: Sidebar entries, in Page order: text and icon file.
_SIDEBAR = (
    ("Home", "home.svg"),
    ("Dashboard", "dashboard.svg"),
    ("Diagnostics", "diagnostics.svg"),
    ("History", "history.svg"),
)


class MainWindow(QMainWindow):
    """Battery OS main window.

    ``persist=False`` (screenshots, tests) leaves the saved settings and
    window layout alone. ``ask_operator`` (default: ``persist``) picks the
    operator after the first paint (see :class:`OperatorPicker`).
    """

    theme_changed = Signal(object)  #: Theme

    def __init__(
        self,
        settings: Settings,
        session: LiveSession,
        *,
        theme: Theme = Theme.DARK,
        persist: bool = True,
        ask_operator: bool | None = None,
    ):
        super().__init__()
        self.settings = settings
        self.session = session
        self.theme = theme
        self.persist = persist
        self._recordings_loaded = False
        self._recordings_stale = False  # a recording ended since the list was loaded
        self._closing = False  # close requested: no new work, background work finishing
        self._force_close = False  # close without waiting for background work
        self._closed = False
        self.closing_notice: QMessageBox | None = None
        self.spec_dialog: BatterySpecDialog | None = None
        self.recordings_loader = RecentRecordingsLoader(session.db_url, self)
        self.diagnostics_runner = DiagnosticsRunner(session, self)
        self.file_probe = SerialWorker("log file probe", self)
        self.history_loader = HistoryLoader(session.db_url, self)
        self.operator_picker = OperatorPicker(settings, session.db_url, self)
        self._ask_operator = persist if ask_operator is None else ask_operator
        self._history_loaded = False
        self.setWindowTitle("Battery OS")
        self.setWindowIcon(app_icon())
        self.resize(DEFAULT_SIZE)
        self.setAcceptDrops(True)
        colors = palette_for(theme)

        self.home = HomePage(settings.recent_sources)
        self.dashboard = DashboardPage(colors, span_s=settings.window_span_s)
        self.diagnostics = DiagnosticsPage(colors)
        self.history = HistoryPage()
        self.stack = QStackedWidget()
        for page in (self.home, self.dashboard, self.diagnostics, self.history):  # Page order
            self.stack.addWidget(page)
        self.sidebar = self._build_sidebar()
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.sidebar)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.status_bar = SessionStatusBar(self)
        self.setStatusBar(self.status_bar)
        self.operator_label = QLabel("", objectName="mutedText")
        self.status_bar.addPermanentWidget(self.operator_label)
        self._build_menus()
        self._connect_signals()

        self.layout_store = WindowLayoutStore() if persist else None
        page = self.layout_store.restore(self) if self.layout_store else None
        self.show_page(Page(page) if page in set(Page) else Page.HOME)

    # --- construction -------------------------------------------------------------
    def _build_sidebar(self) -> QListWidget:
        sidebar = QListWidget(objectName="sidebar")
        sidebar.setFixedWidth(184)
        sidebar.setIconSize(QSize(20, 20))
        sidebar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for text, icon_file in _SIDEBAR:
            sidebar.addItem(QListWidgetItem(icon(icon_file), text))
        return sidebar

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.action_simulated = file_menu.addAction("Connect &simulated battery")
        self.action_open_file = file_menu.addAction("&Open log file…")
        self.action_open_file.setShortcut(QKeySequence.StandardKey.Open)
        self.action_disconnect = file_menu.addAction("&Disconnect")
        self.action_operator = file_menu.addAction("Switch &operator…")
        file_menu.addSeparator()
        self.action_quit = file_menu.addAction("&Quit")
        self.action_quit.setShortcut(QKeySequence.StandardKey.Quit)

        view_menu = self.menuBar().addMenu("&View")
        theme_menu = view_menu.addMenu("&Theme")
        self.theme_actions: dict[Theme, QAction] = {}
        group = QActionGroup(self)
        group.setExclusive(True)
        for theme in Theme:
            action = theme_menu.addAction(theme.value.capitalize())
            action.setCheckable(True)
            action.setChecked(theme is self.theme)
            action.setData(theme.value)
            group.addAction(action)
            self.theme_actions[theme] = action
        group.triggered.connect(self._on_theme_chosen)
        view_menu.addSeparator()
        self.action_home = view_menu.addAction("&Home")
        self.action_home.setShortcut("Ctrl+1")
        self.action_dashboard = view_menu.addAction("&Dashboard")
        self.action_dashboard.setShortcut("Ctrl+2")
        self.action_diagnostics = view_menu.addAction("D&iagnostics")
        self.action_diagnostics.setShortcut("Ctrl+3")
        self.action_history = view_menu.addAction("Hi&story")
        self.action_history.setShortcut("Ctrl+4")

    def _connect_signals(self) -> None:
        self.sidebar.currentRowChanged.connect(self._on_sidebar_row_changed)
        self.home.connect_requested.connect(self._on_connect_requested)
        self.home.recordings_refresh_requested.connect(self._on_recordings_refresh_requested)
        self.home.first_painted.connect(self._on_home_first_painted)
        self.recordings_loader.loaded.connect(self.home.show_recordings)
        self.recordings_loader.failed.connect(self.home.show_recordings_error)
        self.dashboard.disconnect_requested.connect(self.session.stop)
        self.dashboard.recording_requested.connect(self._on_recording_requested)
        self.dashboard.span_changed.connect(self._on_span_changed)
        self.diagnostics.run_requested.connect(self.diagnostics_runner.run)
        self.diagnostics_runner.started.connect(self.diagnostics.show_running)
        self.diagnostics_runner.finished.connect(self.diagnostics.show_report)
        self.diagnostics_runner.failed.connect(self.diagnostics.show_error)
        self.session.data_updated.connect(self.dashboard.show_frame)
        self.session.status_changed.connect(self._on_status_changed)
        self.session.recording_stopped.connect(self._on_recording_stopped)
        for idle in (
            self.session.storage_idle,
            self.recordings_loader.idle,
            self.diagnostics_runner.idle,
            self.file_probe.idle,
            self.history_loader.idle,
            self.operator_picker.idle,
        ):
            idle.connect(self._on_background_idle)
        self.action_simulated.triggered.connect(lambda: self.connect_source(SIMULATED_BATTERY_URL))
        self.action_open_file.triggered.connect(self._on_open_file_requested)
        self.home.open_file_requested.connect(self._on_open_file_requested)
        self.action_disconnect.triggered.connect(self.session.stop)
        self.action_quit.triggered.connect(self.close)
        self.action_home.triggered.connect(lambda: self.show_page(Page.HOME))
        self.action_dashboard.triggered.connect(lambda: self.show_page(Page.DASHBOARD))
        self.action_diagnostics.triggered.connect(lambda: self.show_page(Page.DIAGNOSTICS))
        self.action_history.triggered.connect(lambda: self.show_page(Page.HISTORY))
        self.history.query_requested.connect(self.history_loader.load)
        self.history.open_recording_requested.connect(self.open_recording)
        self.history_loader.loaded.connect(self.history.show_rows)
        self.history_loader.failed.connect(self.history.show_error)
        self.history_loader.recording_loaded.connect(self._on_recording_loaded)
        self.operator_picker.operator_changed.connect(self._on_operator_changed)
        self.operator_picker.failed.connect(self.operator_label.setText)
        self.action_operator.triggered.connect(lambda: self.operator_picker.start(ask=True))

    # --- public API ---------------------------------------------------------------
    def show_page(self, page: Page) -> None:
        self.sidebar.setCurrentRow(int(page))
        self.stack.setCurrentIndex(int(page))

    @property
    def current_page(self) -> Page:
        return Page(self.stack.currentIndex())

    def connect_source(self, url: str) -> str | None:
        """Start streaming from ``url`` and show the dashboard.

        Returns None on success, else the error message, which is also shown
        on the home page (a bad URL or an unknown scheme is the user's to fix).
        """
        if self._closing:
            return "the window is closing"
        try:
            self.session.start(url)
        except BatteryOSError as exc:
            self.home.show_error(str(exc))
            self.show_page(Page.HOME)
            return str(exc)
        self.home.show_error(None)
        self.settings.remember_source(url)
        self.home.set_recent_sources(self.settings.recent_sources)
        self.dashboard.clear()
        self.dashboard.set_source(url)
        self.dashboard.set_recording_phase(self.session.recording_phase)
        self.show_page(Page.DASHBOARD)
        return None

    def open_log_file(self, path: str) -> None:
        """Open a log file through its ``file://`` source URL.

        The head of the file is read in the background first: a canonical CSV
        that does not name its battery gets :attr:`spec_dialog` to ask for
        it; any other file is connected at once (its source reports what is
        wrong with it, see :meth:`connect_source`).
        """
        if self._closing:
            return
        self.settings.remember_file(path)
        self.home.set_url(file_url(path))
        self.file_probe.submit(
            lambda: probe_log_file(path),
            on_done=self._on_log_file_probed,
            on_error=lambda _exc: self.connect_source(file_url(path)),
        )

    def set_theme(self, theme: Theme) -> None:
        """Restyle the application and the plots, and remember the choice."""
        self.theme = theme
        colors = apply_theme(QApplication.instance(), theme)
        self.dashboard.apply_palette(colors)
        self.diagnostics.apply_palette(colors)
        self.theme_actions[theme].setChecked(True)
        self.settings.theme = theme.value
        if self.persist:
            self.settings.save()
        self.theme_changed.emit(theme)

    def refresh_recordings(self) -> None:
        """(Re)load the recent recordings list in the background; failures show as text."""
        if self._closing:
            return  # a refresh queued before the window closed: no new thread now
        self._recordings_loaded = True
        self._recordings_stale = False
        self.home.show_recordings_loading()
        self.recordings_loader.start()

    def open_recording(self, recording_id: int) -> None:
        """Load a stored recording in the background and show it on the dashboard plots."""
        if self._closing:
            return
        if self.session.running:
            self.history.show_error("Disconnect the live source to open a recording in the plots.")
            return
        self.history.status_label.setText(f"Loading recording #{recording_id}…")
        self.history_loader.open_recording(recording_id)

    @property
    def closed(self) -> bool:
        """True once the window has really closed (not just been asked to)."""
        return self._closed

    @property
    def background_busy(self) -> bool:
        """Work still running in the background: database, log file, diagnostics."""
        return (
            self.session.storage_busy
            or self.recordings_loader.running
            or self.diagnostics_runner.busy
            or self.file_probe.busy
            or self.history_loader.busy
            or self.operator_picker.busy
        )

    def shutdown(self, timeout: float | None = None) -> bool:
        """Close now, at the end of the program (the event loop has ended).

        Joins the background threads (up to ``timeout`` seconds each) instead
        of waiting for their results, then closes. True when none is left.
        """
        self._force_close = True
        self.diagnostics_runner.stop()
        done = self.session.shutdown(timeout)
        workers = (self.recordings_loader, self.diagnostics_runner, self.file_probe,
                   self.history_loader, self.operator_picker)  # fmt: skip
        for worker in workers:
            done = worker.wait(timeout) and done
        self.close()
        return done

    # --- handlers -----------------------------------------------------------------
    def _on_sidebar_row_changed(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        if row == Page.HOME and self._recordings_stale:
            self.refresh_recordings()
        elif row == Page.DIAGNOSTICS and not self._closing:
            self.diagnostics_runner.run_if_stale()  # results of the data at hand
        elif row == Page.HISTORY and not self._history_loaded and not self._closing:
            self._history_loaded = True
            self.history.refresh()

    def _on_connect_requested(self, url: str) -> None:
        path = bare_file_path(url)
        if path is not None:
            self.open_log_file(path)  # a typed file:// URL: as if picked in File ▸ Open
        else:
            self.connect_source(url)

    def _on_home_first_painted(self) -> None:
        # After the first paint, not before: the database and SQLAlchemy stay
        # off the start-up path.
        if not self._recordings_loaded:
            QTimer.singleShot(0, self, self.refresh_recordings)
        if self._ask_operator:
            self._ask_operator = False
            QTimer.singleShot(0, self, self.operator_picker.start)

    def _on_recordings_refresh_requested(self) -> None:
        self.refresh_recordings()

    def _on_recording_stopped(self) -> None:
        self._recordings_stale = True  # the list reloads when the Home page is shown

    def _on_recording_loaded(self, recording_id: int, title: str, snapshot: dict) -> None:
        if self._closing:
            return
        if self.session.running:  # connected while it loaded
            self.history.show_error("Disconnect the live source to open a recording in the plots.")
            return
        self.history.status_label.setText(f"Recording #{recording_id} is on the dashboard.")
        self.dashboard.clear()
        self.dashboard.set_source(title)
        self.dashboard.set_span(None)  # the whole recording
        self.dashboard.show_frame(snapshot)
        self.show_page(Page.DASHBOARD)

    def _on_operator_changed(self, operator) -> None:
        self.operator_label.setText(f"Operator: {operator.name}" if operator else "")
        self.operator_label.setToolTip(
            f"{operator.name} ({operator.role}): File ▸ Switch operator…" if operator else ""
        )

    def _on_theme_chosen(self, action: QAction) -> None:
        self.set_theme(Theme(action.data()))

    def _on_open_file_requested(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open log file", "", LOG_FILE_FILTER)
        if path:
            self.open_log_file(path)

    def _on_log_file_probed(self, probe: LogFileProbe) -> None:
        if self._closing:
            return
        if not probe.needs_battery:
            self.connect_source(file_url(probe.path))
            return
        if self.spec_dialog is not None:
            self.spec_dialog.close()
        dialog = BatterySpecDialog(probe, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.connect_source(dialog.url()))
        dialog.finished.connect(lambda _result: self._on_spec_dialog_finished(dialog))
        self.spec_dialog = dialog
        dialog.open()  # window-modal, and the event loop keeps running

    def _on_spec_dialog_finished(self, dialog: BatterySpecDialog) -> None:
        if self.spec_dialog is dialog:
            self.spec_dialog = None

    def _on_recording_requested(self, record: bool) -> None:
        if record:
            self.session.start_recording()
        else:
            self.session.stop_recording()

    def _on_status_changed(self, status: SessionStatus) -> None:
        self.status_bar.show_status(status)
        self.dashboard.set_recording_phase(status.recording_phase)
        if self.closing_notice is not None:
            self.closing_notice.setText(self._closing_text())

    def _on_span_changed(self, seconds: float | None) -> None:
        if seconds is not None:
            self.settings.window_span_s = float(seconds)

    def _on_background_idle(self) -> None:
        if self._closing and not self._closed and not self.background_busy:
            self.close()  # the close that was waiting for this work

    def _on_close_without_waiting(self) -> None:
        self._force_close = True
        self.close()

    # --- closing ------------------------------------------------------------------
    def _closing_text(self) -> str:
        if self.session.recording_phase is not RecordingPhase.OFF:
            return (
                "Saving the recording to the database…\nBattery OS closes as soon as it is stored."
            )
        return "Finishing background work…\nBattery OS closes in a moment."

    def _show_closing_notice(self) -> None:
        if self.closing_notice is None:
            notice = QMessageBox(self)
            notice.setWindowTitle("Closing Battery OS")
            notice.setIcon(QMessageBox.Icon.Information)
            notice.setStandardButtons(QMessageBox.StandardButton.NoButton)
            button = notice.addButton("Close without waiting", QMessageBox.ButtonRole.RejectRole)
            button.setToolTip("Samples not yet stored are lost")
            button.clicked.connect(self._on_close_without_waiting)
            notice.setWindowModality(Qt.WindowModality.WindowModal)
            self.closing_notice = notice
        self.closing_notice.setText(self._closing_text())
        self.closing_notice.show()

    # --- events -------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._closed:
            super().closeEvent(event)
            return
        if not self._closing:
            self._closing = True
            self.diagnostics_runner.stop()
            self.session.stop()  # a recording is flushed and closed in the background
            self.centralWidget().setEnabled(False)
            self.menuBar().setEnabled(False)
        if self.background_busy and not self._force_close:
            # The GUI thread does not wait: the window stays, says why, and
            # closes when the work reports back (_on_background_idle).
            event.ignore()
            self._show_closing_notice()
            return
        self._closed = True
        if self.closing_notice is not None:
            self.closing_notice.hide()
        if self.spec_dialog is not None:
            self.spec_dialog.close()
        if self.persist:
            if self.layout_store is not None:
                self.layout_store.save(self, self.current_page)
            self.settings.save()
        super().closeEvent(event)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._dropped_log(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        path = self._dropped_log(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_log_file(path)

    def _dropped_log(self, event) -> str | None:
        mime = event.mimeData()
        if self._closing or not mime.hasUrls():
            return None
        return droppable_path([url.toLocalFile() for url in mime.urls() if url.isLocalFile()])
