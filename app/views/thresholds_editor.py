"""The thresholds of one battery profile: a table to add, edit, delete, import
and export (JSON), saved to the database through the :class:`AlertCenter`."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import BatteryOSError
from app.diagnostics.alerts import Threshold, thresholds_from_json, thresholds_to_json
from app.diagnostics.alerts.metrics import metric_info
from app.views.threshold_dialog import ThresholdDialog

JSON_FILTER = "Thresholds (*.json);;All files (*)"
COLUMNS = ("On", "Metric", "Rule", "Severity", "Delay")


class ThresholdsEditor(QWidget):
    """Edits a working copy; :meth:`save` stores it (``save_requested``)."""

    save_requested = Signal(str, object)  #: profile, list[Threshold]
    profile_requested = Signal(str)  #: load the stored thresholds of this profile
    defaults_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.rules: list[Threshold] = []
        self.dirty = False
        self.profile = QComboBox(editable=True)
        self.profile.setMinimumWidth(260)
        self.profile.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.profile.lineEdit().setPlaceholderText("battery profile")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for col in (0, 1, 3, 4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.message = QLabel(objectName="mutedText", wordWrap=True)
        self.buttons = {
            name: QPushButton(name)
            for name in ("Add…", "Edit…", "Delete", "Defaults", "Import…", "Export…", "Save")
        }
        self.buttons["Save"].setProperty("accent", True)

        top = QHBoxLayout()
        top.addWidget(QLabel("Profile"))
        top.addWidget(self.profile)
        top.addStretch(1)
        for name in ("Defaults", "Import…", "Export…"):
            top.addWidget(self.buttons[name])
        bottom = QHBoxLayout()
        for name in ("Add…", "Edit…", "Delete"):
            bottom.addWidget(self.buttons[name])
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.buttons["Save"])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

        self.buttons["Add…"].clicked.connect(lambda: self.edit(None))
        self.buttons["Edit…"].clicked.connect(lambda: self.edit(self.current_row()))
        self.buttons["Delete"].clicked.connect(self._on_delete)
        self.buttons["Defaults"].clicked.connect(self.defaults_requested)
        self.buttons["Import…"].clicked.connect(self._on_import_clicked)
        self.buttons["Export…"].clicked.connect(self._on_export_clicked)
        self.buttons["Save"].clicked.connect(self.save)
        self.table.cellDoubleClicked.connect(lambda row, _col: self.edit(row))
        self.profile.activated.connect(lambda _i: self.profile_requested.emit(self.profile_name))
        self._refresh()

    # --- state ---------------------------------------------------------------------
    @property
    def profile_name(self) -> str:
        return self.profile.currentText().strip()

    def set_profiles(self, profiles: list[str], current: str | None = None) -> None:
        current = current or self.profile_name
        self.profile.blockSignals(True)
        self.profile.clear()
        self.profile.addItems(sorted(set(profiles) | ({current} if current else set())))
        self.profile.setCurrentText(current)
        self.profile.blockSignals(False)

    def show_thresholds(self, profile: str, rules: list[Threshold]) -> None:
        """Show the stored rules of ``profile`` (discarding unsaved edits)."""
        if profile != self.profile_name:
            self.set_profiles(
                [self.profile.itemText(i) for i in range(self.profile.count())], profile
            )
        self.rules = list(rules)
        self.dirty = False
        self._say("")
        self._refresh()

    def current_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    # --- editing -------------------------------------------------------------------
    def edit(self, row: int | None) -> ThresholdDialog:
        """Open the dialog for ``row`` (None: a new threshold); returns it (window-modal)."""
        original = self.rules[row] if row is not None and row < len(self.rules) else None
        dialog = ThresholdDialog(original, self.profile_name, self)
        # one dialog per edit, gone once closed
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._on_dialog_accepted(row, dialog.threshold))
        dialog.open()
        return dialog

    def set_rules(self, rules: list[Threshold], message: str) -> None:
        """Replace the working copy (defaults, an import); not stored until Save."""
        profile = self.profile_name
        self.rules = [dataclasses.replace(r, profile=profile, id=None) for r in rules]
        self._changed(message)

    def import_file(self, path: str) -> bool:
        try:
            with open(path, encoding="utf-8") as f:
                rules = thresholds_from_json(f.read(), origin=path)
        except OSError as exc:
            self._say(f"cannot read {path}: {exc.strerror or exc}", error=True)
            return False
        except BatteryOSError as exc:
            self._say(str(exc), error=True)
            return False
        self.set_rules(rules, f"{len(rules)} thresholds imported: Save to keep them")
        return True

    def export_file(self, path: str) -> bool:
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(thresholds_to_json(self.rules))
        except OSError as exc:
            self._say(f"cannot write {path}: {exc.strerror or exc}", error=True)
            return False
        self._say(f"{len(self.rules)} thresholds exported to {path}")
        return True

    def save(self) -> None:
        if not self.profile_name:
            self._say("name the battery profile first", error=True)
            return
        profile = self.profile_name
        self.rules = [dataclasses.replace(r, profile=profile) for r in self.rules]
        self.save_requested.emit(profile, list(self.rules))
        self.dirty = False
        self._say(f"saved {len(self.rules)} thresholds of {profile}")

    # --- internals -------------------------------------------------------------------
    def _on_dialog_accepted(self, row: int | None, rule: Threshold | None) -> None:
        if rule is None:
            return
        if row is None or row >= len(self.rules):
            self.rules.append(rule)
        else:
            self.rules[row] = rule
        self._changed("changed: Save to apply")

    def _on_delete(self) -> None:
        row = self.current_row()
        if row is not None:
            del self.rules[row]
            self._changed("deleted: Save to apply")

    def _on_import_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import thresholds", "", JSON_FILTER)
        if path:
            self.import_file(path)

    def _on_export_clicked(self) -> None:
        name = (self.profile_name or "thresholds").replace(" ", "_").replace("/", "_")
        path, _ = QFileDialog.getSaveFileName(
            self, "Export thresholds", f"{name}.json", JSON_FILTER
        )
        if path:
            self.export_file(path)

    def _changed(self, message: str) -> None:
        self.dirty = True
        self._say(message)
        self._refresh()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setObjectName("errorText" if error else "mutedText")
        self.message.setStyleSheet("")  # re-polish for the new object name
        self.message.setText(text)

    def _refresh(self) -> None:
        self.table.setRowCount(len(self.rules))
        for row, rule in enumerate(self.rules):
            info = metric_info(rule.metric)
            unit = f" [{info.unit}]" if info.unit else ""
            cells = (
                "✓" if rule.enabled else "",
                f"{info.label}{unit}",
                rule.words(named=False),  # the Metric column names it
                rule.severity.value,
                f"{rule.delay_s:g} s" if rule.delay_s else "",
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if col == 2:  # the whole rule, however the column cuts it
                    item.setToolTip(rule.words())
                if col == 3:
                    item.setData(Qt.ItemDataRole.UserRole, rule.severity.value)
                self.table.setItem(row, col, item)
        has_row = bool(self.rules)
        self.buttons["Edit…"].setEnabled(has_row)
        self.buttons["Delete"].setEnabled(has_row)
