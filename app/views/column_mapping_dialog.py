"""The column-mapping dialog: which column of a generic CSV/TSV/XLSX table is which
canonical column, remembered for a file-name pattern.

It reads the start of the file (:func:`app.hardware.logs.generic.preview`) in a
worker and shows those rows, the text layout it was read with (delimiter,
decimal mark, header line: detected, or the remembered one) with controls to
correct it (the rows are read again at once, and the first rows are shown as
the values they give), and one row per canonical field: the file's column
(pre-filled from the suggestion), how its cells are written, and the
``scale``/``offset`` into SI (``canonical = raw * scale + offset``; picking a
header with a unit fills them in). Save is enabled once time, voltage and
current are mapped; it remembers the mapping and the layout with
:func:`~app.hardware.logs.column_mapping.save_mapping` for the pattern, so
:func:`~app.hardware.logs.formats.open_log` uses it for every matching file.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core import schema
from app.core.errors import BatteryOSError, SchemaError
from app.hardware.logs import units
from app.hardware.logs.column_mapping import (
    TIMESTAMP,
    ColumnMapping,
    ColumnSpec,
    ValueKind,
)
from app.views.background import SerialWorker
from app.views.theme import set_style_property

NOT_MAPPED = "— not in the file —"

#: Field -> (label, the SI unit it is read into, the quantity a header unit must measure).
_FIELDS: dict[str, tuple[str, str, str | None]] = {
    schema.TIME: ("Time", "s", "time"),
    schema.VOLTAGE: ("Voltage", "V", "voltage"),
    schema.CURRENT: ("Current (+ = charging)", "A", "current"),
    schema.TEMPERATURE: ("Temperature", "°C", "temperature"),
    schema.CYCLE_INDEX: ("Cycle index", "", None),
    schema.STEP_INDEX: ("Step index", "", None),
    schema.SOC_REPORTED: ("SOC reported", "%", None),
    schema.SOH_REPORTED: ("SOH reported", "%", None),
    TIMESTAMP: ("Date and time", "", None),
    "charge_capacity_ah": ("Charge capacity", "Ah", "charge"),
    "discharge_capacity_ah": ("Discharge capacity", "Ah", "charge"),
    "charge_energy_wh": ("Charge energy", "Wh", "energy"),
    "discharge_energy_wh": ("Discharge energy", "Wh", "energy"),
}
#: Delimiters offered, with their labels.
_DELIMITERS = {",": "comma  ,", ";": "semicolon  ;", "\t": "tab", "|": "bar  |", " ": "space"}
_DECIMALS = {".": "point  3.71", ",": "comma  3,71"}
_KIND_LABELS = {
    ValueKind.NUMBER: "number",
    ValueKind.DURATION: "duration h:mm:ss",
    ValueKind.DATETIME: "date and time",
}


def default_pattern(path: str) -> str:
    """The file name with its digits as ``*``: ``rig3_0012.csv`` -> ``rig*_*.csv``."""
    return re.sub(r"\d+", "*", os.path.basename(path))


@dataclass
class _Loaded:
    """What the worker read: the preview (or why not), and whether the file is text at all."""

    preview: object | None  #: app.hardware.logs.generic.Preview
    error: BaseException | None
    is_text: bool
    pattern: str | None = None
    remembered: ColumnMapping | None = None


def _read(path: str, dialect: units.Dialect | None) -> _Loaded:
    """Worker: the preview of ``path`` read with ``dialect`` (None: the detected layout)."""
    from app.hardware.logs import tables
    from app.hardware.logs.formats import read_head
    from app.hardware.logs.generic import preview

    try:
        head = read_head(path)
    except SchemaError as exc:
        return _Loaded(None, exc, False)
    is_text = tables.head_text(head) is not None
    try:
        return _Loaded(preview(path, dialect=dialect), None, is_text)
    except SchemaError as exc:
        return _Loaded(None, exc, is_text)


def _layout_of(mapping: ColumnMapping) -> units.Dialect:
    return units.Dialect(mapping.delimiter, mapping.decimal, mapping.header_line)


def _load(path: str) -> _Loaded:
    """Worker: the preview of ``path`` and the (pattern, mapping) remembered for it, if any.

    A remembered mapping's layout is the one the rows are read with.
    """
    from app.hardware.logs.column_mapping import remembered_for

    pattern, mapping = remembered_for(path) or (None, None)
    loaded = _read(path, _layout_of(mapping) if mapping is not None else None)
    loaded.pattern, loaded.remembered = pattern, mapping
    return loaded


def _number_text(x: float) -> str:
    return f"{x:.10g}"


class _FieldRow:
    """The widgets of one canonical field."""

    def __init__(self, field: str, headers: list[str]):
        self.field = field
        self.source = QComboBox()
        self.source.addItem(NOT_MAPPED, None)
        for h in headers:
            self.source.addItem(h, h)
        self.kind = QComboBox()
        for kind, label in _KIND_LABELS.items():
            self.kind.addItem(label, kind.value)
        self.scale = QLineEdit("1")
        self.offset = QLineEdit("0")
        for edit in (self.scale, self.offset):
            edit.setMaximumWidth(110)

    def set_spec(self, spec: ColumnSpec | None) -> None:
        index = self.source.findData(spec.source) if spec is not None else 0
        self.source.setCurrentIndex(max(0, index))
        spec = spec or ColumnSpec("")
        self.kind.setCurrentIndex(self.kind.findData(spec.kind.value))
        self.scale.setText(_number_text(spec.scale))
        self.offset.setText(_number_text(spec.offset))
        self.update_enabled()

    def update_enabled(self) -> None:
        mapped = self.source.currentData() is not None
        number = self.kind.currentData() == ValueKind.NUMBER.value
        self.kind.setEnabled(mapped)
        self.scale.setEnabled(mapped and number)
        self.offset.setEnabled(mapped and number)

    def spec(self) -> ColumnSpec | None:
        """The spec the row says (None: not mapped); a ValueError for a bad number."""
        source = self.source.currentData()
        if source is None:
            return None
        scale, offset = float(self.scale.text()), float(self.offset.text())
        if not (math.isfinite(scale) and math.isfinite(offset)) or scale == 0:
            raise ValueError
        return ColumnSpec(source, scale, offset, ValueKind(self.kind.currentData()))


class ColumnMappingDialog(QDialog):
    """Map the columns of the table ``path``; :attr:`pattern` and :attr:`mapping` after Save."""

    loaded = Signal()  #: the preview is shown (or its error), first or after a layout change

    def __init__(self, path: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.path = os.path.abspath(path)
        self.setWindowTitle(f"Map columns · {os.path.basename(path)}")
        self.setObjectName("columnMappingDialog")
        self.resize(900, 760)
        self.preview = None  #: app.hardware.logs.generic.Preview once read
        self.detected: units.Dialect | None = None  #: the layout detection guessed
        self.start_mapping: ColumnMapping | None = None
        self.pattern: str | None = None
        self.mapping: ColumnMapping | None = None
        self.rows: dict[str, _FieldRow] = {}
        self._remembered_pattern: str | None = None
        self._reads = 0  # layout re-reads asked for; only the last one's result is shown
        self._setting_layout = False
        self.worker = SerialWorker("column preview", self)
        self.worker.idle.connect(self._check)  # Check can be pressed again

        self.status = QLabel(f"Reading the first rows of {self.path} …", objectName="mutedText")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.layout_box = self._layout_controls()
        self.units_label = QLabel("", objectName="mutedText", wordWrap=True)
        self.table = QTableWidget(objectName="columnPreview")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMaximumHeight(200)
        self.values_label = QLabel("", objectName="mutedText", wordWrap=True)
        self.values_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.add_cell_button = QPushButton("Add a cell voltage")
        self.add_cell_button.setToolTip("A row for the next series cell's voltage column")
        self.add_cell_button.setEnabled(False)
        self.add_cell_button.clicked.connect(self.add_cell)
        self._new_fields_box()
        self.pattern_edit = QLineEdit(default_pattern(self.path), objectName="filePattern")
        self.pattern_edit.setToolTip(
            "Files whose name matches this pattern (* any text, ? one character) are read "
            "with this mapping"
        )
        self.missing_label = QLabel("", objectName="mutedText", wordWrap=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton("Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setProperty("accent", True)
        self.save_button.setEnabled(False)

        self.check_button = QPushButton("Check")
        self.check_button.setToolTip("Read the whole file with this mapping and show what it gives")
        self.check_button.setEnabled(False)
        self.check_button.clicked.connect(self.check)
        self.check_label = QLabel("", objectName="mutedText", wordWrap=True)
        self.check_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        pattern_row = QGridLayout()
        pattern_row.addWidget(QLabel("Use for files named"), 0, 0)
        pattern_row.addWidget(self.pattern_edit, 0, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.layout_box)
        layout.addWidget(QLabel("First rows of the file", objectName="sectionTitle"))
        layout.addWidget(self.units_label)
        layout.addWidget(self.table)
        layout.addWidget(self.values_label)
        layout.addWidget(QLabel("Columns", objectName="sectionTitle"))
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.add_cell_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(pattern_row)
        layout.addWidget(self.missing_label)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button, 0, Qt.AlignmentFlag.AlignTop)
        check_row.addWidget(self.check_label, 1)
        layout.addLayout(check_row)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.pattern_edit.textChanged.connect(self._check)

        path_ = self.path
        self.worker.submit(lambda: _load(path_), on_done=self._first_shown, on_error=self._failed)

    @property
    def busy(self) -> bool:
        return self.worker.busy

    # --- the text layout -------------------------------------------------------------
    def _layout_controls(self) -> QWidget:
        """Delimiter, decimal mark and header line: what the rows are read with."""
        box = QWidget(objectName="tableLayout")
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        self.delimiter_combo = QComboBox(objectName="delimiterChoice")
        for sep, label in _DELIMITERS.items():
            self.delimiter_combo.addItem(label, sep)
        self.decimal_combo = QComboBox(objectName="decimalChoice")
        for mark, label in _DECIMALS.items():
            self.decimal_combo.addItem(label, mark)
        self.header_spin = QSpinBox(objectName="headerLine")
        self.header_spin.setRange(1, 100_000)
        self.header_spin.setPrefix("line ")
        self.header_spin.setToolTip("The file's line (1 = the first) holding the column names")
        for label, widget in (("Delimiter", self.delimiter_combo),
                              ("Decimal mark", self.decimal_combo),
                              ("Header row on", self.header_spin)):  # fmt: skip
            row.addWidget(QLabel(label))
            row.addWidget(widget)
            row.addSpacing(12)
        self.detected_label = QLabel("", objectName="mutedText")
        row.addWidget(self.detected_label, 1)
        self.delimiter_combo.currentIndexChanged.connect(self._layout_changed)
        self.header_spin.valueChanged.connect(self._layout_changed)
        self.decimal_combo.currentIndexChanged.connect(self._check)  # the rows are strings
        box.setEnabled(False)
        return box

    def layout_choice(self) -> units.Dialect:
        """The layout the controls say."""
        return units.Dialect(
            self.delimiter_combo.currentData(),
            self.decimal_combo.currentData(),
            self.header_spin.value() - 1,
        )

    def set_layout(self, delimiter: str, decimal: str, header_line: int) -> None:
        """Set the controls (``header_line`` 0-based) and read the rows again, as a user would."""
        self.delimiter_combo.setCurrentIndex(max(0, self.delimiter_combo.findData(delimiter)))
        self.decimal_combo.setCurrentIndex(max(0, self.decimal_combo.findData(decimal)))
        self.header_spin.setValue(header_line + 1)

    def _show_layout(self, dialect: units.Dialect) -> None:
        self._setting_layout = True
        try:
            if self.delimiter_combo.findData(dialect.delimiter) < 0:
                self.delimiter_combo.addItem(repr(dialect.delimiter), dialect.delimiter)
            self.set_layout(dialect.delimiter, dialect.decimal, dialect.header_line)
        finally:
            self._setting_layout = False

    def _layout_changed(self) -> None:
        if self._setting_layout:
            return
        self._reads += 1
        read, path, dialect = self._reads, self.path, self.layout_choice()
        self.status.setText(f"Reading the first rows again ({_layout_text(dialect)}) …")
        self.worker.submit(
            lambda: _read(path, dialect),
            on_done=lambda loaded: self._reread(loaded, read),
            on_error=self._failed,
        )

    def _reread(self, loaded: _Loaded, read: int) -> None:
        if read != self._reads:
            return  # the layout changed again meanwhile
        if loaded.preview is None:
            self._show_error(loaded.error)
            self._show_fields(None, ColumnMapping())
            return
        new = loaded.preview
        if self.start_mapping is None:  # the file first read only with this layout
            self.start_mapping = new.mapping
        # the columns still in the file keep what the user chose; the others the suggestion
        mapping, _problems = self.current_mapping()
        kept = {
            f: spec
            for f, spec in (mapping.columns if mapping else {}).items()
            if spec.source in new.headers
        }
        start = ColumnMapping({**new.mapping.columns, **kept})
        self._show_preview(new, start)

    # --- reading the preview ------------------------------------------------------
    def _failed(self, exc: BaseException) -> None:
        self._show_error(exc)
        self.loaded.emit()

    def _show_error(self, exc: BaseException | None) -> None:
        text = str(exc) if isinstance(exc, BatteryOSError) else f"{type(exc).__name__}: {exc}"
        self.status.setText(f"Cannot read the file: {text}")
        self.status.setObjectName("errorText")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    def _first_shown(self, loaded: _Loaded) -> None:
        self._remembered_pattern = loaded.pattern
        if loaded.pattern is not None:
            self.pattern_edit.setText(loaded.pattern)
        preview = loaded.preview
        self.detected = preview.detected if preview is not None else None
        if preview is None:
            self._show_error(loaded.error)
            if loaded.is_text:  # a layout by hand may still read it
                remembered = loaded.remembered
                self._show_layout(_layout_of(remembered) if remembered else units.Dialect())
                self._show_detected()
                self.layout_box.setEnabled(True)
            self.loaded.emit()
            return
        #: the mapping shown first: the one remembered for the file, else the suggestion
        self.start_mapping = loaded.remembered or preview.mapping
        if preview.dialect is not None:  # read with the remembered layout, else the detected one
            self._show_layout(replace(preview.dialect, decimal=self.start_mapping.decimal))
        self._show_preview(preview, self.start_mapping)

    def _show_detected(self) -> None:
        d = self.detected
        self.detected_label.setText(
            f"Detected: {_layout_text(d)}" if d is not None else "Detected: no table layout"
        )

    def _show_preview(self, preview, mapping: ColumnMapping) -> None:
        """Show ``preview``'s rows and the form for ``mapping``."""
        self.preview = preview
        self.status.setObjectName("mutedText")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        rows = preview.rows
        self.table.clear()
        self.table.setColumnCount(len(preview.headers))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(preview.headers)
        for r in range(len(rows)):
            for c in range(len(preview.headers)):
                value = rows.iat[r, c]
                text = "" if value is None or value != value else str(value)
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        if preview.dialect is None:
            self.layout_box.setEnabled(False)
            self.detected_label.setText(f"A workbook: sheet {preview.sheet}")
        else:
            self._show_detected()
            self.layout_box.setEnabled(True)
        pattern = self._remembered_pattern
        self.status.setText(
            f"{os.path.basename(self.path)}: {len(preview.headers)} columns. "
            + (f"Shown: the mapping remembered for files named {pattern}. " if pattern else "")
            + "Correct the layout if the columns look wrong; pick the file's column for each "
            "quantity; canonical = raw × scale + offset."
        )
        self.units_label.setText(_units_text(preview.headers))
        self._show_fields(preview.headers, mapping)
        self.loaded.emit()

    def _new_fields_box(self) -> None:
        box = QWidget()
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(10)
        column = QVBoxLayout(box)
        column.addLayout(self.grid)
        column.addStretch(1)
        self.scroll.setWidget(box)  # the old box (and its rows) is deleted
        self.fields_box = box
        self.rows = {}

    def _show_fields(self, headers: list[str] | None, mapping: ColumnMapping) -> None:
        """One row per field for a file with ``headers`` (None: no rows, the file did not read)."""
        self._new_fields_box()
        if headers is None:
            self.preview = None
            self.table.clear()
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            self.add_cell_button.setEnabled(False)
            self._check()
            return
        cells = sorted(
            (f for f in mapping.columns if schema.CELL_VOLTAGE_RE.match(f)),
            key=lambda f: int(re.findall(r"\d+", f)[0]),
        )
        for col, title in enumerate(("Quantity", "Column in the file", "Written as", "Scale",
                                     "Offset")):  # fmt: skip
            self.grid.addWidget(QLabel(title, objectName="mutedText"), 0, col)
        for field in [*_FIELDS, *cells]:
            self._add_row(field, mapping.columns.get(field))
        self.add_cell_button.setEnabled(True)
        self.grid.setColumnStretch(1, 1)
        self._check()

    def _add_row(self, field: str, spec: ColumnSpec | None) -> None:
        if field in _FIELDS:
            label, unit, _q = _FIELDS[field]
        else:
            label, unit = f"Cell {field.split('_')[1]} voltage", "V"
        required = field in schema.REQUIRED_COLUMNS
        name = QLabel(f"{label}{' *' if required else ''}" + (f"  [{unit}]" if unit else ""))
        name.setToolTip(field + (" (required)" if required else ""))
        row = _FieldRow(field, self.preview.headers)
        row.set_spec(spec)
        self.rows[field] = row
        r = self.grid.rowCount()
        for col, w in enumerate((name, row.source, row.kind, row.scale, row.offset)):
            self.grid.addWidget(w, r, col)
        row.source.currentIndexChanged.connect(lambda _i, f=field: self._on_source(f))
        row.kind.currentIndexChanged.connect(lambda _i, w=row: self._on_kind(w))
        row.scale.textChanged.connect(self._check)
        row.offset.textChanged.connect(self._check)

    def add_cell(self) -> str:
        """A row for the next series cell's voltage (``cell_<k>_v``); its field name."""
        k = 1
        while schema.cell_voltage_column(k) in self.rows:
            k += 1
        field = schema.cell_voltage_column(k)
        self._add_row(field, None)
        self._check()
        return field

    # --- editing ------------------------------------------------------------------
    def choose(self, field: str, header: str | None) -> None:
        """Map ``field`` to the file's column ``header`` (None: not mapped), as the combo does."""
        row = self.rows[field]
        row.source.setCurrentIndex(max(0, row.source.findData(header)) if header else 0)

    def _on_source(self, field: str) -> None:
        """A header with a unit of the field's quantity sets the scale and offset."""
        from app.hardware.logs import units

        row = self.rows[field]
        header = row.source.currentData()
        quantity = _FIELDS.get(field, ("", "", "voltage"))[2]
        unit = units.unit_of(header) if header else None
        if unit is not None and quantity is not None and unit.quantity == quantity:
            row.kind.setCurrentIndex(row.kind.findData(ValueKind.NUMBER.value))
            row.scale.setText(_number_text(unit.scale))
            row.offset.setText(_number_text(unit.offset))
        row.update_enabled()
        self._check()

    def _on_kind(self, row: _FieldRow) -> None:
        row.update_enabled()
        self._check()

    def current_mapping(self) -> tuple[ColumnMapping | None, list[str]]:
        """The mapping the form says and what keeps it from being saved."""
        if self.preview is None:
            return None, ["the file is not read yet"]
        mapping = ColumnMapping(dayfirst=bool(self.start_mapping and self.start_mapping.dayfirst))
        if self.preview.dialect is not None:  # a text file: the layout the controls say
            layout = self.layout_choice()
            mapping.delimiter, mapping.decimal = layout.delimiter, layout.decimal
            mapping.header_line = layout.header_line
        problems: list[str] = []
        used: dict[str, str] = {}
        for field, row in self.rows.items():
            try:
                spec = row.spec()
            except ValueError:
                problems.append(f"the scale or offset of {field} is not a number (scale ≠ 0)")
                continue
            if spec is None:
                continue
            if spec.source in used:
                problems.append(f"{spec.source!r} is mapped to both {used[spec.source]} and "
                                f"{field}")  # fmt: skip
            used[spec.source] = field
            mapping.columns[field] = spec
        missing = mapping.missing()
        if missing:
            problems.insert(0, "still unmapped: " + ", ".join(missing))
        if not self.pattern_edit.text().strip():
            problems.append("give a file-name pattern")
        return mapping, problems

    @property
    def missing_text(self) -> str:
        return self.missing_label.text()

    def _check(self) -> None:
        mapping, problems = self.current_mapping()
        self._show_first_values(mapping)
        ok = not problems
        self.save_button.setEnabled(ok)
        self.check_button.setEnabled(ok and not self.worker.busy)
        self.missing_label.setText(
            "Ready: Save remembers this mapping for the files the pattern matches."
            if ok else "To do: " + "; ".join(problems) + "."
        )  # fmt: skip
        set_style_property(self.missing_label, "problem", "false" if ok else "true")

    def check(self) -> None:
        """Read the file with the form's mapping in the background; the result shows below."""
        from app.hardware.logs import generic

        mapping, problems = self.current_mapping()
        if problems or mapping is None or self.worker.busy:
            return
        path = self.path
        self.check_button.setEnabled(False)
        self._show_check("Reading the file with this mapping …", problem=False)
        self.worker.submit(
            lambda: generic.read(path, mapping=mapping),
            on_done=self._on_checked,
            on_error=self._on_check_failed,
        )

    def _show_first_values(self, mapping: ColumnMapping | None) -> None:
        """What the preview's rows give with ``mapping``: the layout and scales at a glance."""
        if mapping is None or mapping.missing():
            self.values_label.setText("")
            return
        first_line = mapping.header_line + 2 if self.preview.dialect is not None else 2
        try:
            frame, _meta = mapping.apply(self.preview.rows, "the first rows", first_line)
        except (BatteryOSError, ValueError) as exc:
            text, problem = f"The first rows do not read: {exc}", True
        else:
            text, problem = f"The first rows read as: {_summary(frame)}.", False
        self.values_label.setText(text)
        set_style_property(self.values_label, "problem", "true" if problem else "false")

    def _on_checked(self, log) -> None:
        self._show_check(f"Reads: {_summary(log.frame)}.", problem=False)
        self._check()

    def _on_check_failed(self, exc: BaseException) -> None:
        text = str(exc) if isinstance(exc, BatteryOSError) else f"{type(exc).__name__}: {exc}"
        self._show_check(f"Does not read: {text}", problem=True)
        self._check()

    @property
    def check_text(self) -> str:
        return self.check_label.text()

    def _show_check(self, text: str, *, problem: bool) -> None:
        self.check_label.setText(text)
        set_style_property(self.check_label, "problem", "true" if problem else "false")

    def save(self) -> None:
        """Remember the mapping for the pattern and close."""
        from app.hardware.logs import cache
        from app.hardware.logs.column_mapping import save_mapping

        mapping, problems = self.current_mapping()
        if problems or mapping is None:
            return
        pattern = self.pattern_edit.text().strip()
        try:
            cache.forget(self.path)  # the entry read with the old mapping (a new one is a miss)
            save_mapping(pattern, mapping)
        except OSError as exc:
            self.missing_label.setText(f"Cannot save the mapping: {exc}")
            set_style_property(self.missing_label, "problem", "true")
            return
        self.pattern, self.mapping = pattern, mapping
        self.accept()

    def wait(self, timeout: float | None = None) -> bool:
        return self.worker.wait(timeout)


def _shown(sep: str) -> str:
    return {"\t": "tab", " ": "space"}.get(sep, repr(sep))


def _layout_text(d: units.Dialect) -> str:
    return (
        f"delimiter {_shown(d.delimiter)}, decimal {_shown(d.decimal)}, "
        f"header on line {d.header_line + 1}"
    )


def _units_text(headers: list[str]) -> str:
    """The units found in the headers, and what they are read into."""
    found = []
    for h in headers:
        unit_text = units.split_header(h)[1]
        unit = units.UNITS.get(unit_text)
        if unit_text in units.DURATION_UNITS:
            found.append(f"{h}: a duration")
        elif unit is not None and unit.quantity in _SI:
            si = _SI[unit.quantity]
            factor = "" if (unit.scale, unit.offset) == (1.0, 0.0) else f" ×{unit.scale:g}"
            found.append(f"{h}: {unit.quantity} in {si}{factor}"
                         + (f" {unit.offset:+g}" if unit.offset else ""))  # fmt: skip
    return "Units in the headers: " + "; ".join(found) if found else "No units in the headers."


#: The SI unit each quantity is read into.
_SI = {"time": "s", "voltage": "V", "current": "A", "temperature": "°C", "charge": "Ah",
       "energy": "Wh", "power": "W", "resistance": "Ω", "percent": "%"}  # fmt: skip


def _summary(frame) -> str:
    """Samples, span and ranges of a canonical frame, in a line."""
    parts = [f"{len(frame):,} samples over {frame[schema.TIME].iloc[-1]:.6g} s"]
    for column, unit in ((schema.VOLTAGE, "V"), (schema.CURRENT, "A"),
                         (schema.TEMPERATURE, "°C")):  # fmt: skip
        if column in frame:
            x = frame[column]
            parts.append(f"{column} {x.min():.6g} … {x.max():.6g} {unit}")
    return "; ".join(parts)
