"""Sharing: the REST endpoint from the window (start/stop, port and bind address,
the URL and a key to copy, and a log of the requests it served).

:class:`SharingController` owns the server (it outlives the dialog) and starts
and stops it off the GUI thread; :class:`SharingDialog` shows it.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.views import storage_bridge
from app.views.background import SerialWorker

LOG_ROWS = 200
REFRESH_MS = 500


class SharingController(QObject):
    """Starts and stops the REST endpoint for the window's database and live session."""

    state_changed = Signal()  #: running/url/error changed
    key_created = Signal(str, str)  #: user name, key (shown once)
    key_failed = Signal(str)

    def __init__(self, session, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.server = None
        self.request_log = None
        self.error: str | None = None
        self.starting = False
        self._worker = SerialWorker("rest endpoint", self)

    @property
    def running(self) -> bool:
        return self.server is not None and self.server.running

    @property
    def url(self) -> str | None:
        return self.server.url if self.running else None

    def start(self, host: str, port: int, allow_remote: bool) -> None:
        if self.running or self.starting:
            return
        self.starting = True
        self.error = None
        self.state_changed.emit()
        session = self.session

        def start_server():
            from app.api.app import create_app
            from app.api.live import LiveFeed
            from app.api.middleware import RequestLog
            from app.api.server import ApiServer
            from app.api.session import active_alerts_from

            db = storage_bridge.database(session.db_url)
            feed = LiveFeed(
                source_url=lambda: session.source_url,
                results=session.live_results,
                active_alerts=active_alerts_from(db),
                state=lambda: session.status.state.value,
                latest=session.ring.latest,
                total=lambda: session.ring.total,
            )
            log = RequestLog()
            server = ApiServer(
                create_app(db, live=feed, request_log=log), host, port, allow_remote=allow_remote
            )
            server.start()
            return server, log

        self._worker.submit(start_server, on_done=self._on_started, on_error=self._on_failed)

    def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            self._worker.submit(server.stop, on_done=lambda _r: self.state_changed.emit())
        self.state_changed.emit()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop now (window closing): waits for the server thread."""
        if self.server is not None:
            self.server.stop(timeout)
            self.server = None
        self._worker.wait(timeout)

    def create_key(self, user_name: str) -> None:
        db_url = self.session.db_url

        def make():
            from app.storage.api_keys import create_api_key

            key, _row = create_api_key(storage_bridge.database(db_url), user_name)
            return key

        self._worker.submit(
            make,
            on_done=lambda key: self.key_created.emit(user_name, key),
            on_error=lambda exc: self.key_failed.emit(
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            ),
        )

    def list_users(self, on_done) -> None:
        db_url = self.session.db_url

        def names():
            from app.storage.repositories import list_users

            return [u.name for u in list_users(storage_bridge.database(db_url))]

        self._worker.submit(names, on_done=on_done, on_error=lambda exc: on_done([]))

    def _on_started(self, result) -> None:
        self.starting = False
        self.server, self.request_log = result
        self.state_changed.emit()

    def _on_failed(self, exc: BaseException) -> None:
        self.starting = False
        self.error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        self.state_changed.emit()


class SharingDialog(QDialog):
    """Start/stop the endpoint, its address, the URL and a key to copy, the request log."""

    def __init__(self, controller: SharingController, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Sharing — REST endpoint")
        self.resize(760, 520)

        self.host = QComboBox()
        self.host.setEditable(True)
        self.host.addItems(["127.0.0.1", "0.0.0.0", "::1"])
        self.port = QSpinBox()
        self.port.setRange(0, 65535)
        self.port.setSpecialValueText("any free port")
        self.port.setValue(8750)
        self.allow_remote = QCheckBox(
            "Allow other machines to connect (needed for any address but 127.0.0.1)"
        )
        self.start_stop = QPushButton("Start")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.url = QLineEdit()
        self.url.setReadOnly(True)
        self.copy_url = QPushButton("Copy URL")
        self.users = QComboBox()
        self.new_key = QPushButton("Create API key")
        self.key = QLineEdit()
        self.key.setReadOnly(True)
        self.key.setPlaceholderText("a new key is shown here once: copy it now")
        self.copy_key = QPushButton("Copy key")
        self.log = QTableWidget(0, 7)
        self.log.setHorizontalHeaderLabels(
            ["time", "client", "method", "path", "status", "ms", "user"]
        )
        self.log.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.log.verticalHeader().setVisible(False)
        self.log.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

        form = QFormLayout()
        form.addRow("Listen on", self.host)
        form.addRow("Port", self.port)
        form.addRow("", self.allow_remote)
        url_row = QHBoxLayout()
        url_row.addWidget(self.url, 1)
        url_row.addWidget(self.copy_url)
        form.addRow("URL", url_row)
        key_row = QHBoxLayout()
        key_row.addWidget(self.users)
        key_row.addWidget(self.new_key)
        key_row.addWidget(self.key, 1)
        key_row.addWidget(self.copy_key)
        form.addRow("API key for", key_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_stop)
        buttons.addWidget(self.status, 1)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("Requests"))
        layout.addWidget(self.log, 1)

        self.start_stop.clicked.connect(self._on_start_stop_clicked)
        self.copy_url.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.url.text()))
        self.copy_key.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.key.text()))
        self.new_key.clicked.connect(self._on_new_key_clicked)
        controller.state_changed.connect(self._show_state)
        controller.key_created.connect(self._on_key_created)
        controller.key_failed.connect(lambda message: self.status.setText(f"No key: {message}"))
        controller.list_users(self._on_users_listed)
        self._log_total = -1
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh_log)
        self._timer.start()
        self._show_state()

    def _on_start_stop_clicked(self) -> None:
        if self.controller.running:
            self.controller.stop()
        else:
            self.controller.start(
                self.host.currentText().strip(), self.port.value(), self.allow_remote.isChecked()
            )

    def _on_new_key_clicked(self) -> None:
        if self.users.currentText():
            self.controller.create_key(self.users.currentText())

    def _on_users_listed(self, names: list[str]) -> None:
        self.users.clear()
        self.users.addItems(names)
        self.new_key.setEnabled(bool(names))
        if not names:
            self.users.addItem("(no users: batteryos users add NAME)")
            self.users.setEnabled(False)

    def _on_key_created(self, user: str, key: str) -> None:
        self.key.setText(key)
        self.status.setText(
            f"New API key for {user}: shown once, copy it now. Send it as X-API-Key."
        )

    def _show_state(self) -> None:
        c = self.controller
        editable = not (c.running or c.starting)
        for widget in (self.host, self.port, self.allow_remote):
            widget.setEnabled(editable)
        self.start_stop.setText("Stop" if c.running else "Start")
        self.start_stop.setEnabled(not c.starting)
        self.url.setText(c.url or "")
        self.copy_url.setEnabled(c.running)
        if c.starting:
            self.status.setText("Starting…")
        elif c.running:
            self.status.setText(f"Serving at {c.url} — OpenAPI docs at {c.url}/docs")
        elif c.error:
            self.status.setText(f"Not running: {c.error}")
        else:
            self.status.setText("Not running.")

    def _refresh_log(self) -> None:
        log = self.controller.request_log
        if log is None or log.total == self._log_total:
            return
        self._log_total = log.total
        entries = log.entries()[-LOG_ROWS:][::-1]
        self.log.setRowCount(len(entries))
        for row, e in enumerate(entries):
            values = [
                time.strftime("%H:%M:%S", time.localtime(e.time)),
                e.client,
                e.method,
                e.path,
                str(e.status),
                f"{e.duration_ms:.1f}",
                e.user or "",
            ]
            for col, value in enumerate(values):
                self.log.setItem(row, col, QTableWidgetItem(value))

    def done(self, result: int) -> None:
        self._timer.stop()
        super().done(result)
