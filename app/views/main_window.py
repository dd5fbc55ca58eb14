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
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from app.core.errors import BatteryOSError
from app.core.settings import Settings
from app.views.dashboard import DashboardPage
from app.views.home_page import HomePage
from app.views.live_session import LiveSession, SessionStatus
from app.views.recordings_loader import RecentRecordingsLoader
from app.views.source_urls import SIMULATED_BATTERY_URL, file_url
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


class MainWindow(QMainWindow):
    """Battery OS main window.

    ``persist=False`` (screenshots, tests) leaves the saved settings and
    window layout alone.
    """

    theme_changed = Signal(object)  #: Theme

    def __init__(
        self,
        settings: Settings,
        session: LiveSession,
        *,
        theme: Theme = Theme.DARK,
        persist: bool = True,
    ):
        super().__init__()
        self.settings = settings
        self.session = session
        self.theme = theme
        self.persist = persist
        self._recordings_loaded = False
        self._closed = False
        self.recordings_loader = RecentRecordingsLoader(session.db_url, self)
        self.setWindowTitle("Battery OS")
        self.setWindowIcon(app_icon())
        self.resize(DEFAULT_SIZE)
        colors = palette_for(theme)

        self.home = HomePage(settings.recent_sources)
        self.dashboard = DashboardPage(colors, span_s=settings.window_span_s)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.home)
        self.stack.addWidget(self.dashboard)
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
        self._build_menus()
        self._connect_signals()

        self.layout_store = WindowLayoutStore() if persist else None
        page = self.layout_store.restore(self) if self.layout_store else None
        self.show_page(Page(page) if page in (Page.HOME, Page.DASHBOARD) else Page.HOME)

    # --- construction -------------------------------------------------------------
    def _build_sidebar(self) -> QListWidget:
        sidebar = QListWidget(objectName="sidebar")
        sidebar.setFixedWidth(184)
        sidebar.setIconSize(QSize(20, 20))
        sidebar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for text, icon_file in (("Home", "home.svg"), ("Dashboard", "dashboard.svg")):
            sidebar.addItem(QListWidgetItem(icon(icon_file), text))
        return sidebar

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.action_simulated = file_menu.addAction("Connect &simulated battery")
        self.action_open_file = file_menu.addAction("&Open log file…")
        self.action_open_file.setShortcut(QKeySequence.StandardKey.Open)
        self.action_disconnect = file_menu.addAction("&Disconnect")
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

    def _connect_signals(self) -> None:
        self.sidebar.currentRowChanged.connect(self._on_sidebar_row_changed)
        self.home.connect_requested.connect(self.connect_source)
        self.home.recordings_refresh_requested.connect(self._on_recordings_refresh_requested)
        self.home.first_painted.connect(self._on_home_first_painted)
        self.recordings_loader.loaded.connect(self.home.show_recordings)
        self.recordings_loader.failed.connect(self.home.show_recordings_error)
        self.dashboard.disconnect_requested.connect(self.session.stop)
        self.dashboard.recording_requested.connect(self._on_recording_requested)
        self.dashboard.span_changed.connect(self._on_span_changed)
        self.session.data_updated.connect(self.dashboard.show_frame)
        self.session.status_changed.connect(self._on_status_changed)
        self.session.recording_started.connect(self._on_recording_changed)
        self.session.recording_stopped.connect(self._on_recording_changed)
        self.action_simulated.triggered.connect(lambda: self.connect_source(SIMULATED_BATTERY_URL))
        self.action_open_file.triggered.connect(self._on_open_file_requested)
        self.home.open_file_requested.connect(self._on_open_file_requested)
        self.action_disconnect.triggered.connect(self.session.stop)
        self.action_quit.triggered.connect(self.close)
        self.action_home.triggered.connect(lambda: self.show_page(Page.HOME))
        self.action_dashboard.triggered.connect(lambda: self.show_page(Page.DASHBOARD))

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
        self.dashboard.set_recording(False)
        self.show_page(Page.DASHBOARD)
        return None

    def open_log_file(self, path: str) -> str | None:
        """Open a log file through its ``file://`` source URL (see :meth:`connect_source`)."""
        self.settings.remember_file(path)
        url = file_url(path)
        self.home.set_url(url)
        return self.connect_source(url)

    def set_theme(self, theme: Theme) -> None:
        """Restyle the application and the plots, and remember the choice."""
        self.theme = theme
        colors = apply_theme(QApplication.instance(), theme)
        self.dashboard.apply_palette(colors)
        self.theme_actions[theme].setChecked(True)
        self.settings.theme = theme.value
        if self.persist:
            self.settings.save()
        self.theme_changed.emit(theme)

    def refresh_recordings(self) -> None:
        """(Re)load the recent recordings list in the background; failures show as text."""
        if self._closed:
            return  # a refresh queued before the window closed: no new thread now
        self._recordings_loaded = True
        self.home.show_recordings_loading()
        self.recordings_loader.start()

    # --- handlers -----------------------------------------------------------------
    def _on_sidebar_row_changed(self, row: int) -> None:
        if row >= 0:
            self.stack.setCurrentIndex(row)

    def _on_home_first_painted(self) -> None:
        # After the first paint, not before: the database and SQLAlchemy stay
        # off the start-up path.
        if not self._recordings_loaded:
            QTimer.singleShot(0, self, self.refresh_recordings)

    def _on_recordings_refresh_requested(self) -> None:
        self.refresh_recordings()

    def _on_theme_chosen(self, action: QAction) -> None:
        self.set_theme(Theme(action.data()))

    def _on_open_file_requested(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open log file", "", LOG_FILE_FILTER)
        if path:
            self.open_log_file(path)

    def _on_recording_requested(self, record: bool) -> None:
        if record:
            self.session.start_recording()
        else:
            self.session.stop_recording()

    def _on_recording_changed(self) -> None:
        self.dashboard.set_recording(self.session.recording)

    def _on_status_changed(self, status: SessionStatus) -> None:
        self.status_bar.show_status(status)
        self.dashboard.set_recording(status.recording)

    def _on_span_changed(self, seconds: float | None) -> None:
        if seconds is not None:
            self.settings.window_span_s = float(seconds)

    # --- events -------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self._closed = True
        self.session.stop()
        self.recordings_loader.wait(timeout=10.0)
        if self.persist:
            if self.layout_store is not None:
                self.layout_store.save(self, self.current_page)
            self.settings.save()
        super().closeEvent(event)
