"""Picks the operator at start: loads the users in the background, asks when needed.

- No users in the database: nobody to pick, nothing asked (``current_user()`` is None).
- The remembered user has no password: taken at once.
- Otherwise the :class:`OperatorDialog` asks; the password is checked in
  the background and a wrong one is said in the dialog.

The choice is remembered in the settings and set with
:func:`app.core.operator.set_current_user`.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from app.core.errors import BatteryOSError
from app.core.operator import Operator, current_user, set_current_user
from app.core.settings import Settings
from app.views import storage_bridge
from app.views.background import SerialWorker
from app.views.operator_dialog import OperatorDialog


class OperatorPicker(QObject):
    operator_changed = Signal(object)  #: Operator or None
    failed = Signal(str)  #: the users could not be loaded

    def __init__(self, settings: Settings, db_url: str | None, parent: QWidget):
        super().__init__(parent)
        self.settings = settings
        self.db_url = db_url
        self.window = parent
        self.dialog: OperatorDialog | None = None
        self._worker = SerialWorker("operator", self)
        self.idle = self._worker.idle

    @property
    def busy(self) -> bool:
        return self._worker.busy

    def wait(self, timeout: float | None = None) -> bool:
        return self._worker.wait(timeout)

    def start(self, *, ask: bool = False) -> None:
        """Load the users and pick (``ask``: always show the dialog, e.g. to switch)."""
        db_url = self.db_url
        self._worker.submit(
            lambda: storage_bridge.list_operators(db_url),
            on_done=lambda users: self._on_users(users, ask),
            on_error=lambda exc: self.failed.emit(_message(exc)),
        )

    def _on_users(self, users: list[storage_bridge.UserChoice], ask: bool) -> None:
        if not users:
            self._set(None)
            return
        remembered = next((u for u in users if u.name == self.settings.operator), None)
        if remembered is not None and not remembered.has_password and not ask:
            self._sign_in(remembered.name, "")
            return
        if self.dialog is not None:
            self.dialog.close()
        dialog = OperatorDialog(users, self.settings.operator, self.window)
        dialog.chosen.connect(self._sign_in)
        dialog.skipped.connect(lambda: self._set(None))
        dialog.finished.connect(lambda _r: self._on_dialog_finished(dialog))
        self.dialog = dialog
        dialog.open()

    def _sign_in(self, name: str, password: str) -> None:
        db_url = self.db_url
        self._worker.submit(
            lambda: storage_bridge.sign_in(db_url, name, password or None),
            on_done=self._on_signed_in,
            on_error=self._on_sign_in_failed,
        )

    def _on_signed_in(self, operator: Operator) -> None:
        self.settings.operator = operator.name
        self._set(operator)
        if self.dialog is not None:
            self.dialog.accept()

    def _on_sign_in_failed(self, exc: BaseException) -> None:
        if self.dialog is not None:
            self.dialog.show_error(_message(exc))
        else:
            self.failed.emit(_message(exc))

    def _on_dialog_finished(self, dialog: OperatorDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _set(self, operator: Operator | None) -> None:
        set_current_user(operator)
        self.operator_changed.emit(current_user())


def _message(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, BatteryOSError) else f"users: {exc!r}"
