"""Who is at the bench: pick your user at start (password if it has one), or skip."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.views.storage_bridge import UserChoice


class OperatorDialog(QDialog):
    """Lists the users; emits ``chosen(name, password)`` or ``skipped``.

    It does not check the password itself (that is database work, done in
    the background by :class:`app.views.operator_picker.OperatorPicker`); it
    stays open until told :meth:`show_error` or closed.
    """

    chosen = Signal(str, str)
    skipped = Signal()

    def __init__(self, users: list[UserChoice], remembered: str | None, parent: QWidget | None):
        super().__init__(parent)
        self.setWindowTitle("Who is at the bench?")
        self.setModal(True)
        self.setMinimumWidth(420)
        self._users = {u.name: u for u in users}
        intro = QLabel(
            "Pick your user: acknowledgements and configuration changes record who made them.",
            wordWrap=True,
        )
        self.user_list = QListWidget()
        for user in users:
            lock = "  ·  password" if user.has_password else ""
            item = QListWidgetItem(f"{user.name}  ·  {user.role}{lock}")
            item.setData(Qt.ItemDataRole.UserRole, user.name)
            self.user_list.addItem(item)
        self.password_edit = QLineEdit(placeholderText="Password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.error_label = QLabel("", objectName="errorText", wordWrap=True)
        self.error_label.hide()
        self.continue_button = QPushButton("Continue", default=True)
        self.continue_button.setProperty("accent", True)
        self.skip_button = QPushButton("Continue without a user")
        buttons = QHBoxLayout()
        buttons.addWidget(self.skip_button)
        buttons.addStretch(1)
        buttons.addWidget(self.continue_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.user_list, 1)
        layout.addWidget(self.password_edit)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)

        self.user_list.currentRowChanged.connect(self._on_user_changed)
        self.user_list.itemDoubleClicked.connect(lambda _item: self._on_continue())
        self.password_edit.returnPressed.connect(self._on_continue)
        self.continue_button.clicked.connect(self._on_continue)
        self.skip_button.clicked.connect(self._on_skip)
        names = list(self._users)
        self.user_list.setCurrentRow(names.index(remembered) if remembered in names else 0)

    @property
    def selected_name(self) -> str | None:
        item = self.user_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def select(self, name: str) -> None:
        self.user_list.setCurrentRow(list(self._users).index(name))

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        self.continue_button.setEnabled(True)
        self.password_edit.selectAll()
        self.password_edit.setFocus()

    def _on_user_changed(self, _row: int) -> None:
        user = self._users.get(self.selected_name or "")
        needs = bool(user and user.has_password)
        self.password_edit.setEnabled(needs)
        self.password_edit.setPlaceholderText("Password" if needs else "No password needed")
        if not needs:
            self.password_edit.clear()
        self.error_label.hide()

    def _on_continue(self) -> None:
        name = self.selected_name
        if name is None:
            return
        self.continue_button.setEnabled(False)  # until the check answers
        self.chosen.emit(name, self.password_edit.text())

    def _on_skip(self) -> None:
        self.skipped.emit()
        self.accept()
