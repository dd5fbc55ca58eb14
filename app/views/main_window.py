"""The main window: a sidebar of pages, menus and the status bar, wired to a LiveSession.

It composes; the pages draw and the session streams.
"""

from __future__ import annotations

import logging
import math
import os
import time
from datetime import UTC, datetime
from enum import IntEnum
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import BatteryOSError
from app.core.settings import Settings
from app.hardware.registry import create_source, url_ocv_table_path
from app.views.alert_banner import AlertBanner
from app.views.alert_center import AlertCenter
from app.views.alerts_page import AlertsPage
from app.views.background import SerialWorker
from app.views.connection_health import ConnectionHealthPanel, FaultBanner, HealthMonitor
from app.views.dashboard import DashboardPage
from app.views.desktop_notices import DesktopNotices
from app.views.diagnostics_page import DiagnosticsPage
from app.views.diagnostics_runner import DiagnosticsReport, DiagnosticsRunner
from app.views.field_words import in_field_words
from app.views.history_loader import HistoryLoader
from app.views.history_page import HistoryPage
from app.views.home_page import HomePage
from app.views.live_session import LiveSession, RecordingPhase, SessionStatus
from app.views.log_files import LogFileProbe, bare_file_path, droppable_paths, probe_log_file
from app.views.logs_page import LogsPage
from app.views.operator_picker import OperatorPicker
from app.views.recordings_loader import RecentRecordingsLoader
from app.views.report_export import FILTERS, ReportExporter
from app.views.sharing import SharingController, SharingDialog
from app.views.source_names import source_name
from app.views.source_urls import SIMULATED_BATTERY_URL, file_url
from app.views.spec_dialog import BatterySpecDialog
from app.views.status_bar import SessionStatusBar
from app.views.theme import Theme, app_icon, apply_theme, icon, palette_for
from app.views.window_layout import WindowLayoutStore

if TYPE_CHECKING:
    from app.core.spec import BatterySpec
    from app.hardware.source import Source

DEFAULT_SIZE = QSize(1440, 900)
#: How often (s) the Dashboard's SOC tile asks whether the battery fits the samples.
SOC_CHECK_S = 1.0
LOG_FILE_FILTER = (
    "Log files (*.csv *.txt *.xlsx *.xls *.res *.mpr *.mpt *.ndax *.nda *.log);;All files (*)"
)


log = logging.getLogger(__name__)


class Page(IntEnum):
    HOME = 0
    DASHBOARD = 1
    DIAGNOSTICS = 2
    LOGS = 3
    ALERTS = 4
    HISTORY = 5


#: Sidebar entries, in Page order: text and icon file.
_SIDEBAR = (
    ("Home", "home.svg"),
    ("Dashboard", "dashboard.svg"),
    ("Diagnostics", "diagnostics.svg"),
    ("Logs", "logs.svg"),
    ("Alerts", "alerts.svg"),
    ("History", "history.svg"),
)


class PageArea(QScrollArea):
    """Holds one page: the page fills the viewport, and scrolls only where the viewport
    is smaller than the page's minimum size.

    (A resizable QScrollArea takes a page whose layout has a height for its width, a
    word-wrapped label anywhere in it, as needing its *preferred* height: every page
    scrolled on a small screen though it could have shrunk to fit.)
    """

    def __init__(self, page: QWidget):
        super().__init__(objectName="pagesArea")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(False)
        self.setWidget(page)
        page.installEventFilter(self)

    def _fit(self) -> None:
        page = self.widget()
        if page is None:
            return
        least = page.minimumSizeHint().expandedTo(page.minimumSize())
        room = self.maximumViewportSize()  # the viewport without scroll bars
        width = room.width()
        if least.height() > room.height():  # a vertical scroll bar takes its width
            width -= self.verticalScrollBar().sizeHint().width()
        height = room.height()
        if least.width() > width:
            height -= self.horizontalScrollBar().sizeHint().height()
        page.resize(max(width, least.width()), max(height, least.height()))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit()
        return super().eventFilter(watched, event)


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
        self._recording_asked_from: Page | None = None  # the page "Open in plots" was asked on
        self._force_close = False  # close without waiting for background work
        self._closed = False
        self.closing_notice: QMessageBox | None = None
        #: asks whether to disconnect a source still streaming (see :meth:`replace_source`)
        self.replace_prompt: QMessageBox | None = None
        self.spec_dialog: BatterySpecDialog | None = None
        self.connection_dialog = None  # ConnectionDialog, built when first asked for
        self.recordings_loader = RecentRecordingsLoader(session.db_url, self)
        self.diagnostics_runner = DiagnosticsRunner(session, self)
        #: the files a connection reads before it starts: a log file's probe (File ▸ Open),
        #: a source URL's OCV table (:meth:`connect_source`)
        self.source_files = SerialWorker("source files", self)
        self._connecting: object | None = None  # the connection whose table is being read
        self.report_exporter = ReportExporter(session, self)
        self.sharing = SharingController(session, self)
        self.sharing_dialog: SharingDialog | None = None
        self.history_loader = HistoryLoader(session.db_url, self)
        self.operator_picker = OperatorPicker(settings, session.db_url, self)
        self._ask_operator = persist if ask_operator is None else ask_operator
        self._history_loaded = False
        self._dashboard_source: str | None = None  # URL of what the dashboard shows
        self._soc_checked_at = -math.inf  # when the SOC tile's validity was last checked
        self._dashboard_recording: int | None = None  # the stored recording it shows
        self._source_started_at: datetime | None = None  # when the session's source started
        self.setWindowTitle("Battery OS")
        self.setWindowIcon(app_icon())
        self.resize(DEFAULT_SIZE)
        self.setAcceptDrops(True)
        colors = palette_for(theme)

        self.home = HomePage(settings.recent_sources)
        self.dashboard = DashboardPage(colors, span_s=settings.window_span_s)
        self.diagnostics = DiagnosticsPage(colors)
        self.logs = LogsPage(colors, session.db_url)
        self.alerts_page = AlertsPage(colors)
        self.alert_center = AlertCenter(session, settings, self)
        self.alert_banner = AlertBanner()
        self.desktop_notices = DesktopNotices(settings, self)
        self.stack = QStackedWidget()
        self.history = HistoryPage()
        pages = (
            self.home,
            self.dashboard,
            self.diagnostics,
            self.logs,
            self.alerts_page,
            self.history,
        )
        # each page scrolls on its own when it is taller (or wider) than the room it
        # has: the window fits a small screen (1024 x 700), and a page is laid out to
        # the viewport's width by its own minimum, not the widest page's
        self.page_areas: list[QScrollArea] = []
        for page in pages:  # Page order
            area = PageArea(page)
            self.page_areas.append(area)
            self.stack.addWidget(area)
        self.sidebar = self._build_sidebar()
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.sidebar)
        column = QVBoxLayout()  # the alert banner stays above every page
        column.setSpacing(0)
        column.addWidget(self.alert_banner)
        column.addWidget(self.stack, 1)
        row.addLayout(column, 1)
        self.setCentralWidget(central)
        self.status_bar = SessionStatusBar(self)
        self.setStatusBar(self.status_bar)
        self._build_health()
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

    def _build_health(self) -> None:
        self.health_monitor = HealthMonitor(self.session, self)
        self.health_panel = ConnectionHealthPanel()
        self.health_dock = QDockWidget("Connection health", self)
        self.health_dock.setObjectName("connectionHealthDock")  # saveState() needs the name
        self.health_dock.setWidget(self.health_panel)
        # no title bar: its 26 px put a 4-cell pack's cell plot below the fold at 1024 x
        # 700 under an alert; the panel names itself and hides with its own ✕
        self.health_dock.setTitleBarWidget(QWidget())
        self.health_panel.hide_requested.connect(self.health_dock.hide)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.health_dock)
        self.fault_banner = FaultBanner()
        self.fault_banner.stop_requested.connect(self.session.stop)
        # a source stopped (Stop retrying, Disconnect): the panel and banner say so at once
        self.session.stopped.connect(self.health_monitor.poll)
        self.dashboard.add_banner(self.fault_banner)
        self.health_monitor.updated.connect(self.health_panel.show_reading)
        self.health_monitor.updated.connect(self._on_health_reading)
        self.health_monitor.updated.connect(self.fault_banner.show_reading)
        self.fault_banner.retry_requested.connect(self._retry_now)
        self.health_panel.retry_requested.connect(self._retry_now)
        self.health_monitor.start()

    def _retry_now(self) -> None:
        """Reconnect the lost source now; the panel and banner show the attempt at once."""
        self.session.retry_now()
        self.health_monitor.poll()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.action_connect = file_menu.addAction("&Connect…")
        self.action_connect.setShortcut("Ctrl+K")
        self.action_connect.setToolTip("Connect to a serial or CAN device, the simulator or a file")
        self.action_simulated = file_menu.addAction("Connect &simulated battery")
        self.action_open_file = file_menu.addAction("&Open log file…")
        self.action_open_file.setShortcut(QKeySequence.StandardKey.Open)
        self.action_open_in_logs = file_menu.addAction("Open in &Logs…")
        self.action_open_in_logs.setShortcut("Ctrl+Shift+O")
        self.action_disconnect = file_menu.addAction("&Disconnect")
        self.action_operator = file_menu.addAction("Switch &operator…")
        file_menu.addSeparator()
        self.action_export_report = file_menu.addAction("&Export report…")
        self.action_sharing = file_menu.addAction("S&haring (REST endpoint)…")
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
        view_menu.addAction(self.health_dock.toggleViewAction())
        view_menu.addSeparator()
        self.action_home = view_menu.addAction("&Home")
        self.action_home.setShortcut("Ctrl+1")
        self.action_dashboard = view_menu.addAction("&Dashboard")
        self.action_dashboard.setShortcut("Ctrl+2")
        self.action_diagnostics = view_menu.addAction("D&iagnostics")
        self.action_diagnostics.setShortcut("Ctrl+3")
        self.action_logs = view_menu.addAction("&Logs")
        self.action_logs.setShortcut("Ctrl+4")
        self.action_alerts = view_menu.addAction("&Alerts")
        self.action_alerts.setShortcut("Ctrl+5")
        view_menu.addSeparator()
        self.action_alert_sound = view_menu.addAction("Alert &sound")
        self.action_alert_sound.setCheckable(True)
        self.action_alert_sound.setChecked(self.settings.alert_sound)
        self.action_alert_tray = view_menu.addAction("Alert &tray notifications")
        self.action_alert_tray.setCheckable(True)
        self.action_alert_tray.setChecked(self.settings.alert_tray)
        self.action_notifications = view_menu.addAction("Alert &notifications…")
        self.action_history = view_menu.addAction("Hi&story")
        self.action_history.setShortcut("Ctrl+6")

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
        self.diagnostics_runner.auto_refresh_changed.connect(self.diagnostics.set_auto_refresh)
        # nothing to run (nor live results to go back to) before a source gave samples
        self.session.status_changed.connect(
            lambda status: self.diagnostics.set_live_samples(status.samples_total >= 2)
        )
        self.session.data_updated.connect(self._on_data_updated)
        self.session.stream_ended.connect(lambda: self._check_soc_validity(now=True))
        self.session.status_changed.connect(self._on_status_changed)
        self.session.started.connect(self._on_source_started)
        self.session.recording_stopped.connect(self._on_recordings_changed)
        self.session.recording_started.connect(self._on_recordings_changed)
        for idle in (
            self.session.storage_idle,
            self.recordings_loader.idle,
            self.diagnostics_runner.idle,
            self.source_files.idle,
            self.logs.loader.idle,
            self.logs.diagnostics_worker.idle,
            self.logs.import_worker.idle,
            self.report_exporter.idle,
            self.history_loader.idle,
            self.operator_picker.idle,
        ):
            idle.connect(self._on_background_idle)
        self.action_connect.triggered.connect(self.open_connection_dialog)
        self.home.connection_dialog_requested.connect(self.open_connection_dialog)
        self.action_simulated.triggered.connect(lambda: self.request_source(SIMULATED_BATTERY_URL))
        self.action_open_file.triggered.connect(self._on_open_file_requested)
        self.home.open_file_requested.connect(self._on_open_file_requested)
        self.action_disconnect.triggered.connect(self.session.stop)
        self.action_export_report.triggered.connect(self._on_export_report_requested)
        self.action_sharing.triggered.connect(self.show_sharing)
        self.report_exporter.finished.connect(self._on_report_exported)
        self.report_exporter.failed.connect(
            lambda message: self.status_bar.showMessage(f"Report not written: {message}", 15000)
        )
        self.action_quit.triggered.connect(self.close)
        self.action_home.triggered.connect(lambda: self.show_page(Page.HOME))
        self.action_dashboard.triggered.connect(lambda: self.show_page(Page.DASHBOARD))
        self.action_diagnostics.triggered.connect(lambda: self.show_page(Page.DIAGNOSTICS))
        self.action_logs.triggered.connect(lambda: self.show_page(Page.LOGS))
        self.action_open_in_logs.triggered.connect(self._on_open_in_logs_requested)
        self.logs.replay_requested.connect(self._on_replay_requested)
        self.logs.diagnostics_finished.connect(self._on_log_diagnostics_finished)
        self.logs.recording_imported.connect(self._on_recordings_changed)  # the list is stale
        self.action_history.triggered.connect(lambda: self.show_page(Page.HISTORY))
        self.history.query_requested.connect(self.history_loader.load)
        self.history.open_recording_requested.connect(self.open_recording)
        self.history_loader.loaded.connect(self.history.show_rows)
        self.history_loader.failed.connect(self.history.show_error)
        self.history_loader.recording_loaded.connect(self._on_recording_loaded)
        self.operator_picker.operator_changed.connect(self._on_operator_changed)
        self.operator_picker.failed.connect(self.operator_label.setText)
        self.action_operator.triggered.connect(lambda: self.operator_picker.start(ask=True))
        self._connect_alerts()

    def _connect_alerts(self) -> None:
        center, page, banner = self.alert_center, self.alerts_page, self.alert_banner
        center.changed.connect(self._on_alerts_changed)
        center.alert_announced.connect(self.desktop_notices.announce)
        center.problem.connect(page.show_problem)
        center.thresholds_loaded.connect(self._on_thresholds_loaded)
        center.storage.idle.connect(self._on_background_idle)
        banner.acknowledge_requested.connect(self._on_acknowledge_requested)
        banner.show_requested.connect(lambda: self.show_page(Page.ALERTS))
        page.acknowledge_requested.connect(self._on_acknowledge_requested)
        page.shelve_requested.connect(
            lambda key, minutes, comment: page.show_action_error(
                center.shelve(key, minutes, comment or None)
            )
        )
        page.unshelve_requested.connect(lambda key: page.show_action_error(center.unshelve(key)))
        editor = page.thresholds
        editor.save_requested.connect(center.save_thresholds)
        editor.defaults_requested.connect(
            lambda: editor.set_rules(center.defaults(), "defaults of the battery: Save to apply")
        )
        editor.profile_requested.connect(
            lambda profile: center.load_thresholds(
                profile, lambda rules: editor.show_thresholds(profile, rules)
            )
        )
        self.action_alerts.triggered.connect(lambda: self.show_page(Page.ALERTS))
        self.action_alert_sound.toggled.connect(self._on_alert_sound_toggled)
        self.action_alert_tray.toggled.connect(self._on_alert_tray_toggled)
        self.action_notifications.triggered.connect(self.edit_notifications)

    def edit_notifications(self):
        """Open the notification settings (window-modal); applied when accepted."""
        from app.views.notifications_dialog import NotificationsDialog

        dialog = NotificationsDialog(self.settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.alert_center.reconfigure_notifications)
        dialog.open()
        return dialog

    # --- public API ---------------------------------------------------------------
    def show_page(self, page: Page) -> None:
        self.sidebar.setCurrentRow(int(page))
        self.stack.setCurrentIndex(int(page))

    @property
    def current_page(self) -> Page:
        return Page(self.stack.currentIndex())

    def connect_source(self, url: str, on_result=None) -> str | None:
        """Start streaming from ``url`` and show the dashboard.

        Returns None on success, else the error message, which is also shown
        on the home page (a bad URL or an unknown scheme is the user's to fix).

        A URL naming an OCV table (``ocv_table=``) has its source built in the
        background (:attr:`source_files`: the table is read, pandas): None is returned
        at once, the status bar says so and :attr:`connecting` is True until it has
        started or been refused (a table that cannot be read: as a bad URL). A
        connection asked for meanwhile replaces it. ``on_result(error)`` gets the
        answer either way, once it is known.
        """
        self._drop_connecting()  # a table still being read for another URL: not started
        if self._closing:
            error = "the window is closing"
        elif url_ocv_table_path(url) is not None:
            self._build_in_background(url, on_result)
            return None
        else:
            error = self._start_source(url, None)
        if on_result is not None:
            on_result(error)
        return error

    @property
    def connecting(self) -> bool:
        """A source's OCV table is being read before it starts (:meth:`connect_source`)."""
        return self._connecting is not None

    def _drop_connecting(self) -> None:
        """A source whose OCV table is still being read is not started when it has been."""
        if self._connecting is not None:
            self._connecting = None
            self.status_bar.clearMessage()  # ("Reading the OCV table …")

    def _build_in_background(self, url: str, on_result) -> None:
        ticket = self._connecting = object()
        path = url_ocv_table_path(url)
        self.home.show_error(None)
        self.status_bar.showMessage(f"Reading the OCV table {os.path.basename(path)}…")

        def built(source, exc: BaseException | None = None) -> None:
            if self._connecting is not ticket:
                return  # another connection was asked for since: this one is dropped
            self._connecting = None
            self.status_bar.clearMessage()
            if self._closing:
                error = "the window is closing"
            elif exc is not None:
                error = self._refuse(_connect_message(url, exc))
            else:
                error = self._start_source(url, source)
            if on_result is not None:
                on_result(error)

        self.source_files.submit(
            lambda: create_source(url),
            on_done=built,
            on_error=lambda exc: built(None, exc),
        )

    def _start_source(self, url: str, source: Source | None) -> str | None:
        """Start the session on ``url`` (its ``source`` built beforehand, or None) and show
        the dashboard; the error message when it is refused, None when it started."""
        try:
            self.session.start(url, source)
        except BatteryOSError as exc:
            return self._refuse(str(exc))
        self.home.show_error(None)
        self.settings.remember_source(url)
        self.home.set_recent_sources(self.settings.recent_sources)
        # the source box names the source connected, however it was chosen (the
        # dialog, a log's Replay): it kept the first URL shown
        self.home.set_url(url)
        self.dashboard.clear()
        self.dashboard.set_source(url)
        self.dashboard.set_recording_phase(self.session.recording_phase)
        self.show_page(Page.DASHBOARD)
        return None

    def _refuse(self, reason: str) -> str:
        """Say why a source was not connected (the home page, the status bar); ``reason``,
        the fix named as the window's fields (*Cell V max*, not ``--cell-v-max``)."""
        reason = in_field_words(reason)
        self.home.show_error(reason)
        self.show_page(Page.HOME)
        self._show_refused(reason)
        return reason

    def _show_refused(self, reason: str) -> None:
        """The status bar after a refused URL: the previous source's state was read as
        the new URL's (a CAN fault stayed after a typo in the Connect dialog)."""
        if self.session.status.recordable:  # the live source goes on: said for a while
            self.status_bar.showMessage(f"Refused: {reason}", 15000)
        else:
            self.status_bar.clearMessage()
            self.status_bar.show_refused(reason)

    def open_connection_dialog(self):
        """Show the connection dialog (window-modal; the event loop keeps running).

        Its Connect starts the session like :meth:`connect_source`; the
        dialog stays open with the reason when that fails.
        """
        if self._closing:
            return None
        if self.connection_dialog is None:
            # imported here: the catalogue loads the simulator, off the start-up path
            from app.views.connection_dialog import ConnectionDialog

            dialog = ConnectionDialog(self.settings.recent_sources, self)
            dialog.connect_requested.connect(self._on_dialog_connect_requested)
            dialog.idle.connect(self._on_background_idle)
            self.connection_dialog = dialog
        else:
            self.connection_dialog.set_recent(self.settings.recent_sources)
        self.connection_dialog.fit_screen()  # (the window may have been resized since)
        self.connection_dialog.open()
        return self.connection_dialog

    def open_log_file(self, path: str) -> None:
        """Open a log file through its ``file://`` source URL.

        The file is looked at in the background first: a log that does not name
        its battery (a cycler's export, a canonical CSV without its ``# spec:``
        line) gets :attr:`spec_dialog` to ask for it, prefilled with the battery
        the Logs page guesses from it; any other file is connected at once (its
        source reports what is wrong with it, see :meth:`connect_source`).
        """
        if self._closing:
            return
        self.settings.remember_file(path)
        self.home.set_url(file_url(path))
        # a log naming no battery is read whole for the guess: say so while it is
        self.status_bar.showMessage(f"Reading {os.path.basename(path)}…")
        self.source_files.submit(
            lambda: probe_log_file(path),
            on_done=self._on_log_file_probed,
            on_error=lambda _exc: self._on_log_file_unreadable(path),
        )

    def _on_log_file_unreadable(self, path: str) -> None:
        self.status_bar.clearMessage()
        self.request_source(file_url(path))  # its source says what is wrong with it

    def set_theme(self, theme: Theme) -> None:
        """Restyle the application and the plots, and remember the choice."""
        self.theme = theme
        colors = apply_theme(QApplication.instance(), theme)
        self.dashboard.apply_palette(colors)
        self.diagnostics.apply_palette(colors)
        self.logs.apply_palette(colors)
        self.alerts_page.apply_palette(colors)
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
        """Load a stored recording in the background and show it on the dashboard plots.

        A source that has ended is disconnected first; one still streaming is
        disconnected only if the user says so (see :meth:`replace_source`)."""
        if self._closing:
            return
        self.replace_source(
            f"open recording #{recording_id} in the plots",
            lambda: self._load_recording(recording_id),
        )

    def _load_recording(self, recording_id: int) -> None:
        self.history.status_label.setText(f"Loading recording #{recording_id}…")
        # the page it was asked from: the window turns to the dashboard when it has
        # loaded only if the user is still there (not once they have moved on)
        self._recording_asked_from = self.current_page
        self.history_loader.open_recording(recording_id)

    def request_source(self, url: str, *, parent: QWidget | None = None, on_result=None) -> bool:
        """Connect ``url`` as the user asked (Home's Connect and recent sources, the
        connection dialog, File ▸ Open, the simulated battery, a log's Replay): a source
        still streaming is replaced only if the user says so (:meth:`replace_source`,
        the prompt over ``parent``, the window by default). ``on_result(error)`` gets
        :meth:`connect_source`'s answer once it connected (or failed to); not called on
        Cancel. True when it connected (or failed) at once, False while asked."""

        def proceed() -> None:
            self.connect_source(url, on_result)

        return self.replace_source(f"connect {source_name(url)}", proceed, parent=parent)

    def replace_source(self, action: str, proceed, *, parent: QWidget | None = None) -> bool:
        """Do ``proceed()``, which puts other data on the dashboard, once the session's
        source is out of the way.

        No source, or one that has ended (finished, or failed for good): it is
        disconnected (a recording of it is closed and stored in the background)
        and ``proceed()`` runs now; True. A source still streaming (or
        reconnecting): :attr:`replace_prompt` asks whether to disconnect it to
        ``action``, and says what becomes of a recording under way; ``proceed()``
        runs if the user agrees. False while that is asked. The prompt is
        window-modal over ``parent`` (the window by default; a dialog that asks
        from over the window gives itself).

        A connection whose OCV table is still being read (:attr:`connecting`) is
        dropped: it is not started when the table has been read.
        """
        self._drop_connecting()  # other data is asked for
        acquisition = self.session.acquisition
        if acquisition is None or not acquisition.running:
            self.session.stop()  # (nothing when already stopped)
            proceed()
            return True
        if self.replace_prompt is not None:
            self.replace_prompt.close()
        prompt = QMessageBox(parent or self)
        prompt.setWindowTitle("Disconnect the source?")
        prompt.setIcon(QMessageBox.Icon.Question)
        name = source_name(self.session.source_url) or "The source"
        status = self.session.status
        doing = "is still streaming"
        if status.retrying:  # (not streaming: a port never opened, or one lost)
            doing = "is being reconnected" if status.opened else "could not be opened yet"
        prompt.setText(f"{name} {doing}. Disconnect it to {action}?")
        prompt.setToolTip(self.session.source_url or "")
        if self.session.recording_phase is not RecordingPhase.OFF:
            prompt.setInformativeText(
                "The recording under way is stopped and stored first: nothing recorded is lost."
            )
        else:
            prompt.setInformativeText("Its samples are not being recorded (Record is off).")
        yes = prompt.addButton("Disconnect and continue", QMessageBox.ButtonRole.AcceptRole)
        prompt.addButton(QMessageBox.StandardButton.Cancel)
        prompt.setDefaultButton(QMessageBox.StandardButton.Cancel)
        prompt.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def on_finished(_result: int) -> None:
            if self.replace_prompt is prompt:
                self.replace_prompt = None
            if prompt.clickedButton() is yes and not self._closing:
                self.session.stop()  # a recording is flushed and closed in the background
                proceed()

        prompt.finished.connect(on_finished)
        prompt.setWindowModality(Qt.WindowModality.WindowModal)
        self.replace_prompt = prompt
        prompt.open()  # the event loop (and the stream) keeps running
        return False

    def _on_replay_requested(self, url: str) -> None:
        self.replace_source(f"replay {source_name(url)}", lambda: self.connect_source(url))

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
            or self.source_files.busy
            or self.logs.busy
            or (self.connection_dialog is not None and self.connection_dialog.busy)
            or self.report_exporter.busy
            or self.alert_center.busy
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
        self.sharing.shutdown()
        done = self.session.shutdown(timeout)
        self.alert_center.stop()
        for worker in (
            self.recordings_loader,
            self.diagnostics_runner,
            self.source_files,
            self.logs,
            self.report_exporter,
            self.alert_center,
            self.history_loader,
            self.operator_picker,
        ):
            done = worker.wait(timeout) and done
        if self.connection_dialog is not None:
            done = self.connection_dialog.shutdown(timeout) and done
        self.close()
        return done

    def show_sharing(self) -> SharingDialog:
        """The Sharing dialog (REST endpoint); the server keeps running when it closes."""
        if self.sharing_dialog is None:
            self.sharing_dialog = SharingDialog(self.sharing, self)
        self.sharing_dialog.show()
        self.sharing_dialog.raise_()
        return self.sharing_dialog

    # --- handlers -----------------------------------------------------------------
    def _on_export_report_requested(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export report", "battery-report.pdf", FILTERS
        )
        if path:
            self.export_report(path)

    def export_report(self, path: str) -> None:
        """Write the report of what the window shows: its samples, the alerts its
        source raised since it started, and who is at the bench (who acknowledges)."""
        from app.reports.content import live_alert_row

        if self._dashboard_recording is not None:
            # a stored recording: its report is `batteryos report recording:N`'s (the
            # session has no samples: "no samples to report yet")
            self.report_exporter.export_recording(
                path, self._dashboard_recording, user=self.alert_center.operator()
            )
        else:
            self.report_exporter.export(
                path,
                user=self.alert_center.operator(),
                alerts=[live_alert_row(a) for a in self._source_alerts()],
            )
        self.status_bar.showMessage(f"Writing report {path}…")

    def _source_alerts(self) -> list:
        """The alert episodes of the source on the dashboard since it started, oldest
        first (the board keeps earlier sources' too, until acknowledged)."""
        center, url = self.alert_center, self.session.source_url
        since = self._source_started_at
        return [
            a
            for a in reversed(center.board.history())
            if center.sources.get(a.key) == url and (since is None or a.raised_at >= since)
        ]

    def _on_report_exported(self, path: str, verdict: str) -> None:
        self.status_bar.showMessage(f"Report written to {path} (overall: {verdict})", 15000)

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
            self.request_source(url)

    def _on_dialog_connect_requested(self, url: str) -> None:
        dialog = self.connection_dialog
        if bare_file_path(url) is not None:
            dialog.accept()
            self._on_connect_requested(url)  # the file is looked at first, as File ▸ Open does
            return

        def on_result(error: str | None) -> None:
            if error is None:
                dialog.accept()
            else:
                dialog.show_connect_error(error)

        # asked over the dialog, which stays open on Cancel
        self.request_source(url, parent=dialog, on_result=on_result)
        if self.connecting:  # its OCV table is being read: said where the user looks
            dialog.show_connect_progress(self.status_bar.currentMessage())

    def _on_home_first_painted(self) -> None:
        # After the first paint, not before: the database and SQLAlchemy stay
        # off the start-up path.
        if not self._recordings_loaded:
            QTimer.singleShot(0, self, self.refresh_recordings)
            QTimer.singleShot(0, self, self.alert_center.preload)
        if self._ask_operator:
            self._ask_operator = False
            QTimer.singleShot(0, self, self.operator_picker.start)

    def _on_recordings_refresh_requested(self) -> None:
        self.refresh_recordings()

    def _on_recordings_changed(self) -> None:
        self._recordings_stale = True  # the list reloads when the Home page is shown
        if self.current_page is Page.HOME and self._recordings_loaded:
            self.refresh_recordings()  # shown now: reload now

    def _on_data_updated(self, snapshot: dict) -> None:
        # the session knows its battery from the first block on, before any snapshot
        self.dashboard.set_battery(self.session.spec, self.session.source_url)
        self._check_soc_validity()
        self.dashboard.show_frame(snapshot)

    def _check_soc_validity(self, *, now: bool = False) -> None:
        """Tell the SOC tile whether the battery fits the samples, by the check the
        Diagnostics page's live results make (:meth:`LiveSession.spec_fit_check`): the tile
        read a plain 40.3 % the page called not valid. At most every
        :data:`SOC_CHECK_S` (about a millisecond each), and ``now`` (the stream ended)."""
        clock = time.monotonic()
        if not now and clock - self._soc_checked_at < SOC_CHECK_S:
            return
        self._soc_checked_at = clock
        self.dashboard.readouts.set_soc_invalid(self.session.spec_fit_check()[1].get("soc"))

    def _on_recording_loaded(
        self,
        recording_id: int,
        title: str,
        snapshot: dict,
        battery: BatterySpec | None,
        report: DiagnosticsReport | None,
    ) -> None:
        if self._closing:
            return
        acquisition = self.session.acquisition
        if acquisition is not None and acquisition.running:  # connected while it loaded
            self.history.show_error(
                f"Recording #{recording_id} not shown: a source was connected while it loaded."
                " Open it again to disconnect the source."
            )
            return
        self.session.stop()  # a source that ended while it loaded (nothing if none)
        # the source the session last streamed is not what the dashboard shows now: the
        # status bar and the connection health no longer speak of it, and the
        # Diagnostics page shows the recording's results
        self.session.clear()
        # the alerts of the recording's source are of what the dashboard shows
        self._dashboard_source = report.source_url if report is not None else None
        self._show_banner()
        if report is not None:
            self.show_other_diagnostics(report)
        self.history.status_label.setText(f"Recording #{recording_id} is on the dashboard.")
        self.dashboard.clear()
        self.dashboard.set_source(report.source_url if report is not None else None, title)
        self.dashboard.set_span(None)  # the whole recording
        self.dashboard.set_battery(battery, report.source_url if report is not None else None)
        # (the stored run's check of the battery's fit, as its Diagnostics card says it)
        invalid = report.input_invalid if report is not None else {}
        self.dashboard.readouts.set_soc_invalid(invalid.get("soc"))
        self.dashboard.show_frame(snapshot)
        self._show_stored_recording(recording_id, snapshot, report)
        asked_from = self._recording_asked_from
        if asked_from is None or self.current_page is asked_from:
            self.show_page(Page.DASHBOARD)
        elif self.current_page is not Page.DASHBOARD:  # moved on: say so, stay there
            self.status_bar.showMessage(
                f"Recording #{recording_id} has loaded: it is on the Dashboard.", 15000
            )

    def _show_stored_recording(self, recording_id: int, snapshot: dict, report) -> None:
        """The stored recording is what the dashboard shows: Export report writes its
        report, and the Connection health panel says so (it said "Closed · 0 samples")."""
        self._dashboard_recording = recording_id
        samples = len(snapshot.get("time_s", ()))
        url = report.source_url if report is not None else None
        self.health_panel.show_stored(f"recording #{recording_id}", samples, url)

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

    def _on_open_in_logs_requested(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open in Logs", "", LOG_FILE_FILTER)
        self.open_in_logs(paths)

    def open_in_logs(self, paths: list[str]) -> None:
        """Open log files in the Logs page (overlaid) and show it."""
        if self._closing or not paths:
            return
        for path in paths:
            self.logs.open_file(path)
        self.show_page(Page.LOGS)

    def _on_log_diagnostics_finished(self, report) -> None:
        self.show_other_diagnostics(report)
        self.show_page(Page.DIAGNOSTICS)

    def show_other_diagnostics(self, report) -> None:
        """Show the results of other data than the live source's (a log file's, a stored
        recording's): the live ones do not replace them until the user goes back to them (the page's
        “Back to live results”)."""
        self.diagnostics_runner.hold()
        self.diagnostics.show_report(report)

    def _on_log_file_probed(self, probe: LogFileProbe) -> None:
        self.status_bar.clearMessage()
        if self._closing:
            return
        if not probe.needs_battery:
            self.request_source(file_url(probe.path))
            return
        if self.spec_dialog is not None:
            self.spec_dialog.close()
        dialog = BatterySpecDialog(probe, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open_requested.connect(lambda url: self._on_spec_dialog_open_requested(dialog, url))
        dialog.finished.connect(lambda _result: self._on_spec_dialog_finished(dialog))
        self.spec_dialog = dialog
        dialog.open()  # window-modal, and the event loop keeps running

    def _on_spec_dialog_open_requested(self, dialog: BatterySpecDialog, url: str) -> None:
        def on_result(error: str | None) -> None:
            if error is None:
                dialog.accept()
            else:  # (an unreadable OCV table): said in the dialog, which stays open
                dialog.show_open_error(error)

        # asked over the dialog, as the connection dialog's Connect
        self.request_source(url, parent=dialog, on_result=on_result)

    def _on_spec_dialog_finished(self, dialog: BatterySpecDialog) -> None:
        if self.spec_dialog is dialog:
            self.spec_dialog = None

    def _on_recording_requested(self, record: bool) -> None:
        if record:
            self.session.start_recording()
        else:
            self.session.stop_recording()

    def _on_health_reading(self, reading) -> None:
        # the status bar's samples/s is the health panel's: one rate, not two
        self.status_bar.show_rate(reading.samples_per_s)

    def _on_status_changed(self, status: SessionStatus) -> None:
        self.status_bar.show_status(status)
        self.dashboard.set_recording_phase(status.recording_phase, can_start=status.recordable)
        if self.closing_notice is not None:
            self.closing_notice.setText(self._closing_text())

    def _on_alerts_changed(self) -> None:
        board = self.alert_center.board
        self._show_banner()
        self.alerts_page.show_board(board.current(), board.history())

    def _on_source_started(self, url: str) -> None:
        self._dashboard_source = url
        self._soc_checked_at = -math.inf  # (the new source's first samples are checked)
        self._dashboard_recording = None  # the dashboard shows the source now
        self.health_panel.clear_stored()
        self._source_started_at = datetime.now(UTC)
        self._show_banner()  # an alert of the source before names it now

    def _show_banner(self) -> None:
        # an alert of another source than the one on the dashboard names its source: it
        # stays until acknowledged, over a pack it is not about
        self.alert_banner.show_alerts(
            self.alert_center.board.banner(), self.alert_center.sources, self._dashboard_source
        )

    def _on_acknowledge_requested(self, key: int, comment: str) -> None:
        self.alerts_page.show_action_error(self.alert_center.acknowledge(key, comment or None))

    def _on_thresholds_loaded(self, profile: str, rules: list) -> None:
        editor = self.alerts_page.thresholds
        if not editor.dirty:  # never throw away edits in progress
            editor.show_thresholds(profile, rules)
        self.alert_center.load_profiles(lambda names: editor.set_profiles(names))

    def _on_alert_sound_toggled(self, on: bool) -> None:
        self.settings.alert_sound = on

    def _on_alert_tray_toggled(self, on: bool) -> None:
        self.settings.alert_tray = on

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
            self.logs.cancel()  # a file being opened: no need to finish reading it
            self.health_monitor.stop()
            if self.connection_dialog is not None:
                self.connection_dialog.reject()  # a running test stops at its next read
            self.session.stop()  # a recording is flushed and closed in the background
            self.alert_center.stop()  # the alerts of the stream are stored in the background
            self.desktop_notices.close()
            self.centralWidget().setEnabled(False)
            self.menuBar().setEnabled(False)
        if self.background_busy and not self._force_close:
            # The GUI thread does not wait: the window stays, says why, and
            # closes when the work reports back (_on_background_idle).
            event.ignore()
            self._show_closing_notice()
            return
        self._closed = True
        self.sharing.shutdown()
        if self.sharing_dialog is not None:
            self.sharing_dialog.close()
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
        paths = self._dropped_log(event)
        if paths is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_in_logs(paths)

    def _dropped_log(self, event) -> list[str] | None:
        mime = event.mimeData()
        if self._closing or not mime.hasUrls():
            return None
        paths = droppable_paths([url.toLocalFile() for url in mime.urls() if url.isLocalFile()])
        return paths or None


def _connect_message(url: str, exc: BaseException) -> str:
    """Why the source at ``url`` could not be built: a user's problem says itself (an OCV
    table that cannot be read names it), anything else (a bug) gets its type."""
    if isinstance(exc, BatteryOSError):
        return str(exc)
    log.error("building the source %s failed", url, exc_info=exc)
    return f"{url}: {type(exc).__name__}: {exc}"
