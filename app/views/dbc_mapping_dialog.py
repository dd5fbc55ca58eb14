"""The DBC signal-mapping dialog: which DBC signal fills which canonical column.

cantools loads the DBC in a worker (big DBCs take a while), and
:func:`app.hardware.can.mapping.suggest_mapping` proposes the signals (or a
saved mapping of that name is shown again). One table row per column: the
signal (``message.signal``, picked from all the DBC's signals with their
units), its unit, and the ``scale``/``offset`` into SI (``column = value *
scale + offset``; ``-1`` flips a BMS that counts discharge positive) and why
it was suggested. Save writes a :class:`~app.hardware.can.mapping.CanMapping`
(:meth:`~app.hardware.can.mapping.CanMapping.save`); a source URL names it
with ``mapping=NAME``.
"""

from __future__ import annotations

import math
import os
import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core import schema
from app.core.errors import BatteryOSError
from app.views.background import SerialWorker
from app.views.theme import set_style_property

NO_SIGNAL = "— none —"
#: Table columns.
COLUMN, SIGNAL, UNIT, SCALE, OFFSET, WHY = range(6)
_HEADERS = ("Column", "DBC signal (message.signal)", "Unit", "Scale", "Offset", "Why")
#: Pack columns always offered, in this order (cell columns follow as suggested).
PACK_COLUMNS = (
    schema.VOLTAGE,
    schema.CURRENT,
    schema.TEMPERATURE,
    schema.SOC_REPORTED,
    schema.SOH_REPORTED,
)
REQUIRED = (schema.VOLTAGE, schema.CURRENT)
_KEY = Qt.ItemDataRole.UserRole  # (message, signal) of a SIGNAL cell, None when unmapped


def default_name(dbc_path: str) -> str:
    """A mapping name from the DBC's file name (``foxbms.dbc`` -> ``foxbms``)."""
    stem = os.path.splitext(os.path.basename(dbc_path))[0]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", stem)[:64] or "dbc"


def _load(dbc_path: str, name: str | None):
    """Worker: the DBC's signals and the mapping to show (the saved one, else the suggestion)."""
    import cantools

    from app.core.errors import SourceError
    from app.hardware.can.mapping import CanMapping, signal_choices, suggest_mapping

    try:
        db = cantools.database.load_file(dbc_path, strict=False)
    except FileNotFoundError:
        raise SourceError(f"{dbc_path}: no such DBC file") from None
    except Exception as exc:  # noqa: BLE001 - cantools raises many kinds for a bad file
        raise SourceError(f"{dbc_path}: not a readable DBC ({type(exc).__name__}: {exc})") from None
    choices = signal_choices(db)
    if name and name in CanMapping.saved():
        return choices, CanMapping.load(name), True
    return choices, suggest_mapping(db, name or default_name(dbc_path), dbc=dbc_path), False


class _SignalDelegate(QStyledItemDelegate):
    """Edits a SIGNAL cell with a combo of every signal of the DBC."""

    def __init__(self, dialog: DbcMappingDialog):
        super().__init__(dialog)
        self.dialog = dialog

    def createEditor(self, parent, _option, _index):  # noqa: N802 - Qt API
        combo = QComboBox(parent)
        combo.addItem(NO_SIGNAL, None)
        for c in self.dialog.choices:
            unit = f"  [{c['unit']}]" if c["unit"] else ""
            combo.addItem(f"{c['message']}.{c['signal']}{unit}", (c["message"], c["signal"]))
        return combo

    def setEditorData(self, editor, index):  # noqa: N802 - Qt API
        editor.setCurrentIndex(max(0, editor.findData(index.data(_KEY))))

    def setModelData(self, editor, _model, index):  # noqa: N802 - Qt API
        key = editor.currentData()
        self.dialog.choose(self.dialog.table.item(index.row(), COLUMN).text(), key)


class DbcMappingDialog(QDialog):
    """Map the signals of the DBC ``dbc_path``; :attr:`name` and :attr:`mapping` after Save.

    ``name`` (optional) is the mapping to show again when it is saved already.
    """

    loaded = Signal()  #: the DBC is read (or its error shown)

    def __init__(self, dbc_path: str, name: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.dbc_path = dbc_path
        self.setWindowTitle(f"Map signals · {os.path.basename(dbc_path)}")
        self.setObjectName("dbcMappingDialog")
        self.resize(980, 680)
        self.choices: list[dict] = []
        self._units: dict[tuple[str, str], str] = {}
        self.loaded_mapping = None  #: the CanMapping first shown
        self.mapping = None  #: the CanMapping saved
        self.name: str | None = None
        self.worker = SerialWorker("DBC load", self)

        self.status = QLabel(f"Reading {dbc_path} …", objectName="mutedText", wordWrap=True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, len(_HEADERS), objectName="signalMapping")
        self.table.setHorizontalHeaderLabels(list(_HEADERS))
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(SIGNAL, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(WHY, QHeaderView.ResizeMode.Stretch)
        self.table.setItemDelegateForColumn(SIGNAL, _SignalDelegate(self))
        self.table.itemChanged.connect(self._check)
        self.trigger_combo = QComboBox()
        self.trigger_combo.setToolTip("The message whose arrival makes one sample")
        self.name_edit = QLineEdit(name or default_name(dbc_path))
        self.name_edit.setObjectName("mappingName")
        self.name_edit.textChanged.connect(self._check)
        self.problem_label = QLabel("", objectName="mutedText", wordWrap=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton("Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setProperty("accent", True)
        self.save_button.setEnabled(False)

        self.add_cell_button = QPushButton("Add a cell voltage")
        self.add_temp_button = QPushButton("Add a cell temperature")
        for button, column in (
            (self.add_cell_button, schema.cell_voltage_column),
            (self.add_temp_button, schema.cell_temperature_column),
        ):
            button.setEnabled(False)
            button.setToolTip("A row for the next cell; double-click its signal to choose it")
            button.clicked.connect(lambda _c=False, f=column: self.add_cell(f))
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_cell_button)
        add_row.addWidget(self.add_temp_button)
        add_row.addStretch(1)
        form = QFormLayout()
        form.addRow("One sample per", self.trigger_combo)
        form.addRow("Mapping name", self.name_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addLayout(add_row)
        layout.addLayout(form)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.worker.submit(lambda: _load(dbc_path, name), on_done=self._show, on_error=self._failed)

    @property
    def busy(self) -> bool:
        return self.worker.busy

    def wait(self, timeout: float | None = None) -> bool:
        return self.worker.wait(timeout)

    # --- loading --------------------------------------------------------------------
    def _failed(self, exc: BaseException) -> None:
        text = str(exc) if isinstance(exc, BatteryOSError) else f"{type(exc).__name__}: {exc}"
        self.status.setText(f"Cannot use the DBC: {text}")
        self.status.setObjectName("errorText")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.loaded.emit()

    def _show(self, loaded) -> None:
        choices, mapping, saved = loaded
        self.choices = choices
        self._units = {(c["message"], c["signal"]): c["unit"] for c in choices}
        self.loaded_mapping = mapping
        by_column = {s.column: s for s in mapping.signals}
        cells = sorted(
            (c for c in by_column if c not in PACK_COLUMNS),
            key=lambda c: (not c.startswith("cell_") or c.endswith("_c"), _number(c)),
        )
        self.table.blockSignals(True)
        for column in (*PACK_COLUMNS, *cells):
            self._add_row(column, by_column.get(column))
        self.table.blockSignals(False)
        self.table.resizeColumnToContents(COLUMN)
        self.table.resizeColumnToContents(UNIT)
        messages = sorted({c["message"] for c in choices})
        self.trigger_combo.addItem("automatic: the message carrying current (or voltage)", None)
        for m in messages:
            self.trigger_combo.addItem(m, m)
        if mapping.trigger:
            self.trigger_combo.setCurrentIndex(max(0, self.trigger_combo.findData(mapping.trigger)))
        n_msgs = len(messages)
        what = f"the saved mapping {mapping.name!r}" if saved else "the suggested signals"
        self.status.setText(
            f"{os.path.basename(self.dbc_path)}: {len(choices)} signals in {n_msgs} messages. "
            f"Showing {what}: double-click a signal to change it; column = value × scale + offset."
        )
        self.add_cell_button.setEnabled(True)
        self.add_temp_button.setEnabled(True)
        self._check()
        self.loaded.emit()

    def add_cell(self, column_of=schema.cell_voltage_column) -> str:
        """A row for the next cell's ``column_of(k)`` (voltage or temperature); its column."""
        have = {self.table.item(r, COLUMN).text() for r in range(self.table.rowCount())}
        k = 1
        while column_of(k) in have:
            k += 1
        self.table.blockSignals(True)
        self._add_row(column_of(k), None)
        self.table.blockSignals(False)
        self.table.scrollToBottom()
        self._check()
        return column_of(k)

    def _add_row(self, column: str, sm) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        name = QTableWidgetItem(column)
        name.setToolTip("required" if column in REQUIRED else "optional")
        cells = {COLUMN: name}
        for c in (SIGNAL, UNIT, SCALE, OFFSET, WHY):
            cells[c] = QTableWidgetItem("")
        for c in (COLUMN, UNIT, WHY):
            cells[c].setFlags(cells[c].flags() & ~Qt.ItemFlag.ItemIsEditable)
        for c, item in cells.items():
            self.table.setItem(r, c, item)
        if sm is not None:
            self._set_signal(r, (sm.message, sm.signal), sm.scale, sm.offset, sm.reason)
        else:
            self._set_signal(r, None, 1.0, 0.0, "")

    def _set_signal(self, row: int, key, scale: float, offset: float, why: str) -> None:
        item = self.table.item(row, SIGNAL)
        item.setData(_KEY, key)
        item.setText(f"{key[0]}.{key[1]}" if key else NO_SIGNAL)
        self.table.item(row, UNIT).setText(self._units.get(key, "") if key else "")
        self.table.item(row, SCALE).setText(f"{scale:.10g}")
        self.table.item(row, OFFSET).setText(f"{offset:.10g}")
        self.table.item(row, WHY).setText(why)
        self.table.item(row, WHY).setToolTip(why)

    # --- editing --------------------------------------------------------------------
    def row_of(self, column: str) -> int:
        for r in range(self.table.rowCount()):
            if self.table.item(r, COLUMN).text() == column:
                return r
        raise KeyError(column)

    def signal_of(self, column: str) -> tuple[str, str] | None:
        return self.table.item(self.row_of(column), SIGNAL).data(_KEY)

    def choose(self, column: str, key: tuple[str, str] | None) -> None:
        """Fill ``column`` from the signal ``key`` = (message, signal) (None: from none),
        as picking it in the signal combo does; the scale comes from the signal's unit."""
        from app.hardware.can.mapping import unit_to_si

        row = self.row_of(column)
        si = unit_to_si(self._units.get(key, "")) if key else None
        scale, offset = (si[1], si[2]) if si else (1.0, 0.0)
        why = f"chosen by hand ({self._units.get(key) or 'no unit'})" if key else ""
        self.table.blockSignals(True)
        self._set_signal(row, tuple(key) if key else None, scale, offset, why)
        self.table.blockSignals(False)
        self._check()

    def current_mapping(self):
        """The :class:`CanMapping` the table says and what keeps it from being saved."""
        from app.hardware.can.mapping import CanMapping, SignalMap

        problems: list[str] = []
        signals = []
        for r in range(self.table.rowCount()):
            key = self.table.item(r, SIGNAL).data(_KEY)
            if not key:
                continue
            column = self.table.item(r, COLUMN).text()
            try:
                scale = float(self.table.item(r, SCALE).text())
                offset = float(self.table.item(r, OFFSET).text())
                if not (math.isfinite(scale) and math.isfinite(offset)) or scale == 0:
                    raise ValueError
            except ValueError:
                problems.append(f"the scale or offset of {column} is not a number (scale ≠ 0)")
                continue
            why = self.table.item(r, WHY).text()
            signals.append(SignalMap(key[0], key[1], column, scale, offset, why))
        mapped = {s.column for s in signals}
        missing = [c for c in REQUIRED if c not in mapped]
        if self.loaded_mapping is None:
            return None, ["the DBC is not read yet"]
        if missing:
            problems.insert(0, "still unmapped: " + ", ".join(missing))
        name = self.name_edit.text().strip()
        try:
            CanMapping.path_of(name)
        except BatteryOSError as exc:
            problems.append(str(exc))
        mapping = CanMapping(
            name=name, signals=signals, trigger=self.trigger_combo.currentData(),
            dbc=os.path.abspath(self.dbc_path),
        )  # fmt: skip
        return mapping, problems

    @property
    def problem_text(self) -> str:
        return self.problem_label.text()

    def _check(self, *_args) -> None:
        _mapping, problems = self.current_mapping()
        ok = not problems
        self.save_button.setEnabled(ok)
        self.problem_label.setText(
            "Ready: Save keeps this mapping; the URL names it with mapping=NAME."
            if ok else "To do: " + "; ".join(problems) + "."
        )  # fmt: skip
        set_style_property(self.problem_label, "problem", "false" if ok else "true")

    def save(self) -> None:
        mapping, problems = self.current_mapping()
        if problems or mapping is None:
            return
        try:
            mapping.save()
        except (OSError, BatteryOSError) as exc:
            self.problem_label.setText(f"Cannot save the mapping: {exc}")
            set_style_property(self.problem_label, "problem", "true")
            return
        self.mapping, self.name = mapping, mapping.name
        self.accept()


def _number(column: str) -> int:
    digits = re.findall(r"\d+", column)
    return int(digits[0]) if digits else 0
