"""Sharing: the REST endpoint from the window (start/stop, port and bind address,
the URL, the users of the database and a new API key to copy, and a log of the
requests it served).

A user is added and a key made as ``batteryos users add`` / ``users new-key`` do
(:func:`app.views.storage_bridge.add_user`, :func:`~app.views.storage_bridge.new_api_key`
over :mod:`app.storage`: the same roles, the password and the key kept only as salted
hashes); the key is shown once, in the dialog, and forgotten when it closes.

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

from app.core.errors import StorageError
from app.core.operator import DEFAULT_USER_ROLE, USER_ROLES, confirmed_password
from app.views import storage_bridge
from app.views.background import SerialWorker

LOG_ROWS = 200
REFRESH_MS = 500


class SharingController(QObject):
    """Starts and stops the REST endpoint for the window's database and live session."""

    state_changed = Signal()  #: running/url/error changed
    users_listed = Signal(list)  #: the users of the database (storage_bridge.UserChoice)
    users_failed = Signal(str)  #: why they could not be listed (the database)
    user_added = Signal(object)  #: the new user (storage_bridge.UserChoice)
    user_failed = Signal(str)
    key_created = Signal(str, str, str)  #: user name, key (shown once), its prefix
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
        """A new API key of ``user_name`` in the background: :attr:`key_created` with
        it (shown once, never stored), else :attr:`key_failed` with why."""
        db_url = self.session.db_url
        self._worker.submit(
            lambda: storage_bridge.new_api_key(db_url, user_name),
            on_done=lambda made: self.key_created.emit(user_name, *made),
            on_error=lambda exc: self.key_failed.emit(_message(exc)),
        )

    def add_user(self, name: str, role: str, password: str | None) -> None:
        """Add a user in the background (:attr:`user_added`, else :attr:`user_failed`)."""
        db_url = self.session.db_url
        self._worker.submit(
            lambda: storage_bridge.add_user(db_url, name, role, password),
            on_done=self.user_added.emit,
            on_error=lambda exc: self.user_failed.emit(_message(exc)),
        )

    def list_users(self) -> None:
        """List the users in the background (:attr:`users_listed`, else :attr:`users_failed`:
        an unreachable database is said, not shown as no users)."""
        db_url = self.session.db_url
        self._worker.submit(
            lambda: storage_bridge.list_operators(db_url),
            on_done=self.users_listed.emit,
            on_error=lambda exc: self.users_failed.emit(_message(exc)),
        )

    def _on_started(self, result) -> None:
        self.starting = False
        self.server, self.request_log = result
        self.state_changed.emit()

    def _on_failed(self, exc: BaseException) -> None:
        self.starting = False
        self.error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        self.state_changed.emit()


def _message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class SharingDialog(QDialog):
    """Start/stop the endpoint, its address, the URL, the users and a new key to copy,
    the request log."""

    def __init__(self, controller: SharingController, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("Sharing — REST endpoint")
        self.resize(780, 600)
        #: why the users could not be listed (the database), None when they were
        self.users_error: str | None = None

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
        # users and keys: as `batteryos users add` / `users new-key` make them
        self.users = QComboBox()
        self.users.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.users.setMinimumWidth(200)
        self.new_key = QPushButton("Create API key")
        self.new_key.setToolTip("A key for the user picked: requests send it as X-API-Key")
        self.user_name = QLineEdit(placeholderText="name")
        self.user_role = QComboBox()
        self.user_role.addItems(USER_ROLES)
        self.user_role.setCurrentText(DEFAULT_USER_ROLE)
        self.user_password = QLineEdit(placeholderText="password (optional)")
        self.user_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.user_password_again = QLineEdit(placeholderText="again")
        self.user_password_again.setEchoMode(QLineEdit.EchoMode.Password)
        self.add_user = QPushButton("Add user")
        self.key = QLineEdit()
        self.key.setReadOnly(True)
        self.key.setPlaceholderText("a new key is shown here once: copy it now")
        self.copy_key = QPushButton("Copy key")
        self.users_note = QLabel(objectName="mutedText", wordWrap=True)
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
        add_row = QHBoxLayout()
        add_row.addWidget(self.user_name, 2)
        add_row.addWidget(self.user_role)
        add_row.addWidget(self.user_password, 2)
        add_row.addWidget(self.user_password_again, 1)
        add_row.addWidget(self.add_user)
        form.addRow("New user", add_row)
        user_row = QHBoxLayout()
        user_row.addWidget(self.users, 1)
        user_row.addWidget(self.new_key)
        form.addRow("API key for", user_row)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        key_row.addWidget(self.copy_key)
        form.addRow("New key", key_row)
        form.addRow("", self.users_note)
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
        self.add_user.clicked.connect(self._on_add_user_clicked)
        self.user_name.returnPressed.connect(self._on_add_user_clicked)
        controller.state_changed.connect(self._show_state)
        controller.users_listed.connect(self._on_users_listed)
        controller.users_failed.connect(self._on_users_failed)
        controller.user_added.connect(self._on_user_added)
        controller.user_failed.connect(
            lambda message: self._note(f"User not added: {message}.", problem=True)
        )
        controller.key_created.connect(self._on_key_created)
        controller.key_failed.connect(
            lambda message: self._note(f"No key: {message}.", problem=True)
        )
        self._selected_after_listing: str | None = None
        self._added: str | None = None  #: said once the list shows a user just added
        self._shown = False
        self._key_wanted = False  #: Create API key clicked while the database was away
        self._log_total = -1
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh_log)
        self._timer.start()
        self._show_state()
        self.refresh_users()

    def refresh_users(self, select: str | None = None) -> None:
        """List the users again (in the background); ``select`` the one named then."""
        if self._key_wanted:
            self._note("The database was not reachable: trying again…")
        else:
            self._note("Listing the users of the database…")
        self._selected_after_listing = select or self.selected_user()
        self.controller.list_users()

    def selected_user(self) -> str | None:
        """The name of the user picked for a key, None when there is none."""
        return self.users.currentData() if self.users.count() else None

    def _note(self, text: str, *, problem: bool = False) -> None:
        self.users_note.setText(text)
        self.users_note.setObjectName("errorText" if problem else "mutedText")
        self.users_note.style().unpolish(self.users_note)
        self.users_note.style().polish(self.users_note)

    def _on_start_stop_clicked(self) -> None:
        if self.controller.running:
            self.controller.stop()
        else:
            self.controller.start(
                self.host.currentText().strip(), self.port.value(), self.allow_remote.isChecked()
            )

    def _on_new_key_clicked(self) -> None:
        user = self.selected_user()
        if self.users_error is not None:
            # it may be back: listed again, the key is made for the user picked then
            self._key_wanted = True
            self.refresh_users()
        elif user is None:
            self._note(
                "No key: a key belongs to a user, and there is none yet. Add one under "
                "New user above, then Create API key.",
                problem=True,
            )
            self.user_name.setFocus()
        else:
            self.key.clear()
            self._note(f"Making a key for {user}…")
            self.controller.create_key(user)

    def _on_add_user_clicked(self) -> None:
        password, again = self.user_password.text(), self.user_password_again.text()
        if password or again:
            try:
                confirmed_password(password, again)
            except StorageError as exc:  # the passwords differ
                self._note(f"User not added: {exc}.", problem=True)
                return
        name = self.user_name.text().strip()
        self._note(f"Adding {name or 'the user'}…")
        self.controller.add_user(name, self.user_role.currentText(), password or None)

    def _on_user_added(self, user) -> None:
        for edit in (self.user_name, self.user_password, self.user_password_again):
            edit.clear()
        self.user_role.setCurrentText(DEFAULT_USER_ROLE)
        locked = " with a password" if user.has_password else ""
        self._added = f"User {user.name} added as {user.role}{locked}: Create API key makes theirs."
        self.refresh_users(select=user.name)

    def _on_users_listed(self, users: list) -> None:
        self.users_error = None
        select = self._selected_after_listing
        self.users.clear()
        for user in users:
            self.users.addItem(f"{user.name} · {user.role}", user.name)
        if users:
            index = self.users.findData(select) if select else -1
            self.users.setCurrentIndex(max(index, 0))
            self.users.setEnabled(True)
            added, self._added = self._added, None
            self._note(added or f"{len(users)} user(s) in the database: pick one for a key.")
            if self._key_wanted:
                self._key_wanted = False
                self._on_new_key_clicked()
        else:
            self.users.setPlaceholderText("(no users yet)")
            self.users.setEnabled(False)
            self._note("No users yet: add one under New user above to make an API key.")
            if self._key_wanted:
                self._key_wanted = False
                self._on_new_key_clicked()

    def _on_users_failed(self, message: str) -> None:
        self.users_error = message
        self.users.clear()
        self.users.setPlaceholderText("(database not reachable)")
        self.users.setEnabled(False)
        if self._key_wanted:
            self._key_wanted = False
            self._note(
                f"No key: the database is not reachable ({message}). Users and API keys are "
                "kept there: Create API key tries again.",
                problem=True,
            )
        else:
            self._note(
                f"Users not listed: {message}. Users and API keys are kept in the database.",
                problem=True,
            )

    def _on_key_created(self, user: str, key: str, prefix: str) -> None:
        self.key.setText(key)
        self.key.setCursorPosition(0)
        self._note(
            f"New API key for {user}: shown once, copy it now (only its hash is kept). "
            f"Send it as X-API-Key; revoke it with: batteryos users revoke-key {prefix}"
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

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self._shown:  # opened again: users added meanwhile, a database back
            self._timer.start()
            self.refresh_users()
        self._shown = True

    def done(self, result: int) -> None:
        self._timer.stop()
        self.key.clear()  # a key is shown once: not again when the dialog is opened again
        super().done(result)
