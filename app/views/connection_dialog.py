"""The connection dialog: pick a simulator, a serial or CAN device or a log file.

The form is generated from the catalogue (:mod:`app.hardware.protocols`)
and writes the source URL, which is shown, editable and copyable: typing a
URL fills the form. Adapters are detected and connections tested on
background workers, so the dialog never waits (python-can's detection takes
seconds; a test reads for up to :data:`TEST_SECONDS`).

The dialog asks for a connection through ``connect_requested``; whoever
owns it connects and either calls :meth:`ConnectionDialog.accept` or shows
the reason with :meth:`ConnectionDialog.show_connect_error`.
"""

from __future__ import annotations

import logging
import threading
from enum import StrEnum

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import BatteryOSError
from app.hardware import protocols
from app.hardware.protocols import Connection, DetectedDevice, ProbeResult, Transport
from app.hardware.registry import parse_source_url
from app.views.background import SerialWorker
from app.views.connection_form import TransportPage
from app.views.theme import set_style_property

log = logging.getLogger(__name__)

#: How long "Test connection" reads from the source.
TEST_SECONDS = 3.0

#: Tabs, in order.
TRANSPORTS = (Transport.SIMULATOR, Transport.SERIAL, Transport.CAN, Transport.FILE)

#: How each transport's adapters are found (looked up at call time: tests replace them).
_DETECTORS = {
    Transport.SERIAL: lambda: protocols.detect_serial_ports(),
    Transport.CAN: lambda: protocols.detect_can_configs(),
}


class ProbeStatus(StrEnum):
    """Where a connection test stands: the result label's ``status`` style property."""

    RUNNING = "running"
    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"


#: Recent connections shown without scrolling, and the list's greatest height.
RECENT_ROWS = 4
RECENT_MAX_HEIGHT_PX = 110
#: Room left in the main window's height for the dialog's title bar.
DIALOG_FRAME_PX = 40


class _Scrolling(QScrollArea):
    """A tab's page that scrolls on a screen too short for it, rather than squeezing
    its fields; it asks for the page's whole height (a plain QScrollArea asks for less)."""

    def __init__(self, page: QWidget):
        super().__init__()
        self.setWidget(page)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return self.widget().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(self.widget().minimumSizeHint().width(), 120)


class ConnectionDialog(QDialog):
    """Choose a source; its URL is :meth:`url`.

    ``recent`` is the list of recent source URLs, most recent first.
    """

    connect_requested = Signal(str)  #: the URL to connect to
    test_finished = Signal(str)  #: the result line, once a test has reported
    idle = Signal()  #: no detection or test left running

    def __init__(self, recent: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Connect to a battery")
        self.setObjectName("connectionDialog")
        self.setMinimumWidth(760)
        self._syncing = False  # the dialog itself is filling fields: not a user edit
        self._detected_once: set[Transport] = set()
        self._detector = SerialWorker("adapter detection", self)
        self._tester = SerialWorker("connection test", self)
        self._cancel_test = threading.Event()
        self.test_seconds = TEST_SECONDS
        for worker in (self._detector, self._tester):
            worker.idle.connect(self._on_worker_idle)

        self.tabs = QTabWidget(objectName="transportTabs")
        self.pages: dict[Transport, TransportPage] = {}
        for transport in TRANSPORTS:
            page = TransportPage(transport)
            page.changed.connect(self._on_form_changed)
            page.refresh_requested.connect(lambda t=transport: self.detect(t))
            self.pages[transport] = page
            self.tabs.addTab(_Scrolling(page), transport.label)
        self.signal_dialog = None  #: the DBC signal-mapping dialog last opened
        can_page = self.pages[Transport.CAN]
        for i in range(can_page.forms.count()):
            form = can_page.forms.widget(i)
            if form.map_button is not None:
                form.map_button.clicked.connect(lambda _c=False, f=form: self.map_signals(f))

        self.url_edit = QLineEdit(objectName="sourceUrl")
        self.url_edit.setToolTip("The source URL; type or paste one to fill the form")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the URL (for batteryos record URL, or a colleague)")
        url_row = QHBoxLayout()
        url_row.addWidget(QLabel("Source URL", objectName="sectionTitle"))
        url_row.addWidget(self.url_edit, 1)
        url_row.addWidget(self.copy_button)
        self.url_note = QLabel("", objectName="connectionNote", wordWrap=True)
        self.url_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.test_button = QPushButton("Test connection")
        self.test_button.setToolTip(
            f"Open the source, read for up to {TEST_SECONDS:.0f} s and close it again"
        )
        self.test_result = QLabel("", objectName="testResult", wordWrap=True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        test_row.addWidget(self.test_result, 1)

        self.recent_list = QListWidget(objectName="recentConnections")
        self.recent_list.setToolTip("Click to fill the form, double-click to connect")
        self.set_recent(recent)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = self.buttons.addButton(
            "Connect", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.connect_button.setProperty("accent", True)
        self.connect_button.setDefault(True)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(url_row)
        layout.addWidget(self.url_note)
        layout.addLayout(test_row)
        layout.addWidget(QLabel("Recent connections", objectName="sectionTitle"))
        layout.addWidget(self.recent_list)
        layout.addWidget(self.buttons)

        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.url_edit.textEdited.connect(self._on_url_edited)
        self.copy_button.clicked.connect(self.copy_url)
        self.test_button.clicked.connect(self.test_connection)
        self.recent_list.itemClicked.connect(lambda item: self.set_url(item.text()))
        self.recent_list.itemDoubleClicked.connect(self._on_recent_double_clicked)
        self.buttons.accepted.connect(self._on_connect_clicked)
        self.buttons.rejected.connect(self.reject)
        self.set_url(recent[0] if recent else self._page_url(Transport.SIMULATOR))
        self.fit_screen()

    def fit_screen(self) -> None:
        """Open tall enough for the tallest tab where the screen and the main window allow
        (Qt's own first size stops at 2/3 of the screen), else as tall as they are: a tab
        then scrolls. (760 x 740 over a 1024 x 700 window hid its Connect button.)"""
        hint, room = self.sizeHint(), self.screen().availableGeometry().height() - 60
        window = self.parentWidget().window() if self.parentWidget() is not None else None
        if window is not None and window.isVisible():
            room = min(room, window.height() - DIALOG_FRAME_PX)
        height = max(min(hint.height(), room), self.minimumSizeHint().height())
        self.resize(max(hint.width(), self.minimumWidth()), height)

    # --- the URL --------------------------------------------------------------------
    def url(self) -> str:
        return self.url_edit.text().strip()

    def set_url(self, url: str) -> None:
        """Show ``url`` and fill the form from it (as typing it does)."""
        self.url_edit.setText(url)
        self._on_url_edited(url)

    def copy_url(self) -> None:
        QGuiApplication.clipboard().setText(self.url())
        self._note("URL copied to the clipboard.", problem=False)

    @property
    def current_transport(self) -> Transport:
        return TRANSPORTS[self.tabs.currentIndex()]

    def page(self, transport: Transport) -> TransportPage:
        return self.pages[transport]

    def _page_url(self, transport: Transport) -> str:
        return self.pages[transport].connection().url()

    def _on_form_changed(self) -> None:
        if self._syncing:
            return
        connection = self.pages[self.current_transport].connection()
        self.url_edit.setText(connection.url())
        self._show_problems(connection)

    def _on_tab_changed(self, index: int) -> None:
        transport = TRANSPORTS[index]
        if transport in _DETECTORS and transport not in self._detected_once:
            self.detect(transport)
        if not self._syncing:
            self._on_form_changed()

    def _on_url_edited(self, text: str) -> None:
        text = text.strip()
        if not text:
            self._note("Type a source URL, or fill in the form above.", problem=True)
            return
        try:
            connection = protocols.parse_connection(text)
        except BatteryOSError as exc:
            try:
                parse_source_url(text)
            except BatteryOSError:
                self._note(str(exc), problem=True)
                return
            # a well-formed URL outside the catalogue: a third-party source may know it
            self._note(f"{exc}. The URL is used as typed.", problem=False)
            return
        self._syncing = True
        try:
            self.tabs.setCurrentIndex(TRANSPORTS.index(connection.spec.transport))
            self.pages[connection.spec.transport].set_connection(connection)
        finally:
            self._syncing = False
        self._show_problems(connection)

    def _show_problems(self, connection: Connection) -> None:
        problems = connection.problems()
        if problems:
            self._note("To do: " + "; ".join(problems) + ".", problem=True)
        else:
            self._note(connection.spec.label + ": ready to test or connect.", problem=False)

    def _note(self, text: str, *, problem: bool) -> None:
        self.url_note.setText(text)
        set_style_property(self.url_note, "problem", "true" if problem else "false")

    # --- DBC signal mapping -----------------------------------------------------------
    def map_signals(self, form):
        """Open the signal-mapping dialog for the form's DBC; after Save the URL names it."""
        from app.views.dbc_mapping_dialog import DbcMappingDialog

        values = form.values()
        if not values.get("dbc"):
            return None
        dialog = DbcMappingDialog(values["dbc"], values.get("mapping") or None, self)
        dialog.accepted.connect(lambda: self._on_signals_mapped(form, dialog.name))
        dialog.finished.connect(dialog.deleteLater)
        self.signal_dialog = dialog
        dialog.open()
        return dialog

    def _on_signals_mapped(self, form, name: str) -> None:
        form.set_value("mapping", name)  # the form's change rewrites the URL

    # --- recent connections ---------------------------------------------------------
    def set_recent(self, urls: list[str]) -> None:
        self.recent_list.clear()
        self.recent_list.addItems(list(urls))
        if not urls:
            self.recent_list.addItem("(none yet: connections you make are listed here)")
            self.recent_list.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        # as tall as its rows, up to RECENT_ROWS: an empty list took 110 px of a short
        # screen's dialog from the form
        rows = min(self.recent_list.count(), RECENT_ROWS)
        row = max(self.recent_list.sizeHintForRow(0), self.recent_list.fontMetrics().height() + 10)
        frame = 2 * self.recent_list.frameWidth() + 8
        self.recent_list.setFixedHeight(min(rows * row + frame, RECENT_MAX_HEIGHT_PX))

    def _on_recent_double_clicked(self, item) -> None:
        self.set_url(item.text())
        self._on_connect_clicked()

    # --- detection ---------------------------------------------------------------------
    def detect(self, transport: Transport) -> None:
        """Look for ``transport``'s adapters in the background; the page shows them."""
        page = self.pages[transport]
        self._detected_once.add(transport)
        page.show_detecting()
        detector = _DETECTORS[transport]
        self._detector.submit(
            detector,
            on_done=lambda devices: self._on_detected(page, devices),
            on_error=lambda exc: page.show_detect_error(_message(exc, "detection failed")),
        )

    def _on_detected(self, page: TransportPage, devices: list[DetectedDevice]) -> None:
        page.show_detected(devices)

    # --- testing ------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """Detection or a test still running in the background."""
        return self._detector.busy or self._tester.busy

    def _on_worker_idle(self) -> None:
        if not self.busy:
            self.idle.emit()

    def test_connection(self) -> None:
        """Try the URL in the background; the result shows below the button."""
        url = self.url()
        if self._tester.busy or not url:
            return
        self._cancel_test = cancel = threading.Event()
        self.test_button.setEnabled(False)
        self.test_button.setText("Testing…")
        self._show_test(f"Opening {url} …", ProbeStatus.RUNNING)
        seconds = self.test_seconds
        self._tester.submit(
            lambda: protocols.probe_source(url, seconds=seconds, cancel=cancel),
            on_done=self._on_test_done,
            on_error=lambda exc: self._on_test_failed(url, exc),
        )

    def _on_test_done(self, result: ProbeResult) -> None:
        status = (
            ProbeStatus.OK if result.ok and not result.battery_mismatch else ProbeStatus.WARNING
        )
        self._finish_test(self._for_url(result.url, result.summary()), status)

    def _on_test_failed(self, url: str, exc: BaseException) -> None:
        if not isinstance(exc, BatteryOSError):
            log.error("testing %s failed", url, exc_info=exc)
        self._finish_test(self._for_url(url, "Failed: " + _message(exc, "")), ProbeStatus.FAILED)

    def _for_url(self, url: str, text: str) -> str:
        return text if url == self.url() else f"{text}\n(tested {url})"

    def _finish_test(self, text: str, status: ProbeStatus) -> None:
        self.test_button.setEnabled(True)
        self.test_button.setText("Test connection")
        self._show_test(text, status)
        self.test_finished.emit(text)

    def _show_test(self, text: str, status: ProbeStatus) -> None:
        self.test_result.setText(text)
        set_style_property(self.test_result, "status", status.value)  # QSS needs a plain str

    # --- connecting and closing -----------------------------------------------------------
    def show_connect_error(self, message: str) -> None:
        """The owner could not connect: say why and stay open."""
        self._note(message, problem=True)

    def show_connect_progress(self, message: str) -> None:
        """The owner is connecting (reading the source's OCV table): say so meanwhile."""
        self._note(message, problem=False)

    def _on_connect_clicked(self) -> None:
        url = self.url()
        try:
            parse_source_url(url)
        except BatteryOSError as exc:
            self._note(str(exc), problem=True)
            return
        problems = _catalogue_problems(url)
        if problems:  # e.g. a BMS without its battery: the diagnostics would judge a preset's
            self._note("Cannot connect yet: " + "; ".join(problems) + ".", problem=True)
            return
        self._cancel_test.set()  # a test must not hold the port the session is about to open
        self.connect_requested.emit(url)

    def done(self, result: int) -> None:  # noqa: D102 - Qt API
        self._cancel_test.set()  # a running test ends at its next read
        super().done(result)

    def shutdown(self, timeout: float | None = None) -> bool:
        """End of the program: stop a test and join the workers; True when none is left."""
        self._cancel_test.set()
        return self._tester.wait(timeout) and self._detector.wait(timeout)


def _catalogue_problems(url: str) -> list[str]:
    """What the catalogue says must be fixed in ``url`` (none for a URL outside it)."""
    try:
        return protocols.parse_connection(url).problems()
    except BatteryOSError:
        return []  # a third-party source: it checks its own URL


def _message(exc: BaseException, what: str) -> str:
    """A user's problem says itself; anything else (a bug) gets its type."""
    if isinstance(exc, BatteryOSError):
        return str(exc)
    prefix = f"{what}: " if what else ""
    return f"{prefix}{type(exc).__name__}: {exc}"
