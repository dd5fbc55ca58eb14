"""Asks which battery a log file holds, when the file does not say."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import BatteryOSError
from app.core.spec import (
    MAX_OCV_TABLE_CURRENT_C,
    MAX_RESISTANCE_OHM,
    MIN_RESISTANCE_OHM,
    PRESETS,
    Chemistry,
)
from app.views.log_files import LogFileProbe, file_url_with_battery, suggested_cells

#: How each chemistry preset is named in the list.
CHEMISTRY_NAMES = {
    Chemistry.NMC: "NMC (Li-ion)",
    Chemistry.LFP: "LFP (LiFePO₄)",
    Chemistry.LEAD_ACID: "Lead-acid",
}

#: What a beginning-of-life resistance field means (the Logs page's and this dialog's).
BOL_RESISTANCE_TIP = (
    "Resistance of one new cell (fitted R0, at 25 °C): what the resistance SOH is judged "
    "against (as --bol-resistance-ohm); without it the chemistry's typical value for the "
    "capacity, a guess"
)


#: What the OCV table's current field means (the Logs page's, File › Open's and the
#: connection dialog's: one field, :class:`OcvTableCurrentEdit`; as --ocv-table-current-c).
OCV_TABLE_CURRENT_TIP = (
    "The current the OCV table was measured at, in C (times the capacity), charging "
    "positive: negative for a discharge (a C/50 discharge: -0.02), positive for a charge "
    "(C/50: 0.02), 0 for points at rest. Its polarisation is then taken out of the table "
    f"(as --ocv-table-current-c; at most C/{1 / MAX_OCV_TABLE_CURRENT_C:g} either way). "
    "Empty: not known"
)


class OcvTableCurrentEdit(QLineEdit):
    """The current (C, charging positive) an OCV table was measured at; empty: not known.

    A line edit, not a spin box: "not known" is not a number, and 0 (points at rest) is
    one. It takes a sign (``-``, ``+`` or ``−``), digits and a decimal point or comma."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setPlaceholderText("not known")
        self.setToolTip(OCV_TABLE_CURRENT_TIP)
        pattern = QRegularExpression("[+\\-\u2212]?(\\d+([.,]\\d*)?|[.,]\\d*)?")
        self.setValidator(QRegularExpressionValidator(pattern, self))

    def url_text(self) -> str:
        """The value as a URL's ``ocv_table_current_c=`` (and ``--ocv-table-current-c``)
        takes it: '−0,02' is '-0.02'; '' not known."""
        return self.text().strip().replace("\u2212", "-").replace(",", ".")

    def current_c(self) -> float | None:
        """The value in C; None: not known (empty). A value no OCV table is measured at
        (a sign alone, beyond C/5) is a BatteryOSError saying so."""
        text = self.url_text()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            raise BatteryOSError(
                f"OCV table measured at: {text!r} is not a current in C (a C/50 "
                "discharge: -0.02); leave it empty when not known"
            ) from None
        if not abs(value) <= MAX_OCV_TABLE_CURRENT_C:
            raise BatteryOSError(
                f"OCV table measured at {value:g} C: an OCV table is measured at rest or at "
                f"a small current, at most C/{1 / MAX_OCV_TABLE_CURRENT_C:g} either way "
                "(a C/50 discharge: -0.02)"
            )
        return value

    def set_current_c(self, value: float | None) -> None:
        self.setText("" if value is None else f"{value:g}")


class CellVoltageEdit(QLineEdit):
    """One cell's voltage limit in volts (as ``--cell-v-min``/``--cell-v-max``, a URL's
    ``cell_v_min=``/``cell_v_max=``); empty: the battery's own (the preset's, the
    file's), shown greyed as the placeholder.

    A line edit, not a spin box: empty is "not given", not a number; what is typed is
    checked when it is used, as the connection dialog's fields are (a letter, millivolts,
    a pack's voltage: a BatteryOSError in the field's words)."""

    def __init__(self, label: str, parent=None):
        super().__init__(parent)
        from app.hardware.protocols import param_named

        self.param = param_named(label)
        self.setToolTip(self.param.help)
        self.setPlaceholderText(self.param.blank)

    def url_text(self) -> str:
        """The value as a URL's parameter takes it: '4,75' is '4.75'; '' not given."""
        return self.text().strip().replace(",", ".")

    def volts(self) -> float | None:
        """The value in V; None: not given (empty). Not a number, or no cell's voltage
        limit: a BatteryOSError saying so, in the field's words."""
        text = self.url_text()
        if not text:
            return None
        if problem := self.param.problem(text):
            raise BatteryOSError(problem)
        return float(text)

    def set_volts(self, value: float | None) -> None:
        self.setText("" if value is None else f"{value:g}")

    def show_value_of(self, whose: str, value: float | None) -> None:
        """Greyed, what an empty field leaves: ``whose`` limit (``the file's 4.2``)."""
        self.setPlaceholderText(f"{whose} {value:g}" if value else self.param.blank)


def cell_voltage_window(low: CellVoltageEdit, high: CellVoltageEdit) -> tuple:
    """(Cell V min, Cell V max) typed, in V (None: not given); a BatteryOSError for a
    value that is none, or a min not below the max."""
    lo, hi = low.volts(), high.volts()
    if lo is not None and hi is not None and not lo < hi:
        raise BatteryOSError(f"Cell V min {lo:g} V must be below Cell V max {hi:g} V")
    return lo, hi


class CapacitySpinBox(QDoubleSpinBox):
    """A capacity in Ah to four significant digits: a 7.14 mAh coin cell reads
    0.00714 Ah, not 0.007 (which Apply would then make it)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(7)
        self.setRange(1e-6, 100_000.0)
        self.setSuffix(" Ah")

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt API
        return f"{value:.4g}" if value < 1e4 else f"{value:.0f}"


class ResistanceSpinBox(QDoubleSpinBox):
    """A cell's beginning-of-life resistance in mOhm to four significant digits; 0 (shown
    as the chemistry's typical value) is none given."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDecimals(5)
        self.setRange(0.0, 1000.0 * MAX_RESISTANCE_OHM)
        self.setSuffix(" mΩ")
        self.setSpecialValueText("chemistry typical")

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt API
        return f"{value:.4g}" if value < 1e4 else f"{value:.0f}"

    def resistance_ohm(self) -> float | None:
        """The value in ohm; None: none given."""
        value = self.value()
        return None if value < 1000.0 * MIN_RESISTANCE_OHM else value / 1000.0

    def set_resistance_ohm(self, value: float | None) -> None:
        self.setValue(0.0 if value is None else 1000.0 * value)


class BatterySpecDialog(QDialog):
    """Chemistry, capacity, series cells, the cell's beginning-of-life resistance and its
    OCV table with the current it was measured at (both optional) of the battery in
    ``probe``'s file.

    Prefilled with the battery the Logs page guesses from the log (a canonical CSV's
    from its head: the chemistry preset and its cell columns);
    :meth:`url` is the ``file://`` URL that names the battery. Open emits
    :attr:`open_requested` with it once the catalogue finds nothing wrong with it (as the
    connection dialog's Connect: a current without its table is named); whoever opens
    it accepts the dialog, or says why it could not (:meth:`show_open_error`).
    """

    open_requested = Signal(str)  #: the URL to open
    edited = Signal()  #: the user edited the OCV table's path

    def __init__(self, probe: LogFileProbe, parent: QWidget | None = None):
        # the connection dialog's fields (imported here: connection_form imports this
        # module's chemistry names)
        from app.hardware.protocols import OCV_TABLE
        from app.views.connection_form import make_field

        super().__init__(parent)
        self.probe = probe
        self.setWindowTitle("Which battery is this?")
        self.setObjectName("specDialog")
        name = Path(probe.path).name
        intro = QLabel(
            f"<b>{name}</b> does not say which battery it logged. Battery OS needs it "
            "for the state of charge and the safety limits.",
            wordWrap=True,
        )
        self.chemistry_combo = QComboBox()
        for chemistry in PRESETS:
            # by value: Qt stores a StrEnum as its plain string
            self.chemistry_combo.addItem(
                CHEMISTRY_NAMES.get(chemistry, chemistry.value), chemistry.value
            )
        self.capacity_spin = CapacitySpinBox()  # a coin cell's 0.00714 Ah, not 0.01
        self.capacity_spin.setToolTip("Nominal capacity of one cell (one parallel string)")
        self.cells_spin = QSpinBox(minimum=1, maximum=1000)
        self.cells_spin.setToolTip("Cells in series")
        self.bol_spin = ResistanceSpinBox()
        self.bol_spin.setToolTip(BOL_RESISTANCE_TIP)
        for spin in (self.capacity_spin, self.cells_spin, self.bol_spin):
            # the style sheet's padding does not reach a spin box's text (Qt)
            spin.lineEdit().setTextMargins(6, 0, 0, 0)
        self.cells_hint = QLabel("", objectName="mutedText", wordWrap=True)
        # the OCV table (as --ocv-table) and its current (as --ocv-table-current-c)
        self.ocv_table_field = make_field(OCV_TABLE[0], self.edited)
        self.ocv_table_field.edit.setPlaceholderText(OCV_TABLE[0].blank)
        self.ocv_table_field.edit.textChanged.connect(self._show_ocv_table_path_whole)
        self.ocv_current_edit = OcvTableCurrentEdit()
        self.ocv_current_edit.textEdited.connect(lambda: self.show_open_error(None))
        # the cells' own voltage window (as --cell-v-min, --cell-v-max): a cell of none of
        # the presets (a 3.9-4.7 V high-voltage cell), whose OCV table is judged by it
        self.cell_v_min_edit = CellVoltageEdit("cell_v_min")
        self.cell_v_max_edit = CellVoltageEdit("cell_v_max")
        for edit in (self.cell_v_min_edit, self.cell_v_max_edit):
            edit.textEdited.connect(lambda: self.show_open_error(None))
        self.edited.connect(lambda: self.show_open_error(None))
        # the battery the Logs page guesses for the file: offered here, and said so
        guess = probe.guess
        self.guess_label = QLabel(
            f"Guessed from the log, as the Logs page guesses it: {guess.text}. Check it "
            "(the safety limits and the state of charge are judged against it), then Open."
            if guess is not None
            else "",
            objectName="mutedText",
            wordWrap=True,
        )
        self.guess_label.setVisible(guess is not None)
        # as the Logs page warns: the guess (no preset) does not fit the log's voltages
        self.guess_warning_label = QLabel(
            f"Warning: {probe.guess_warning}." if probe.guess_warning else "",
            objectName="errorText",
            wordWrap=True,
        )
        self.guess_warning_label.setVisible(bool(probe.guess_warning))
        form = QFormLayout()
        form.addRow("Chemistry", self.chemistry_combo)
        form.addRow("Capacity", self.capacity_spin)
        form.addRow("Series cells", self.cells_spin)
        form.addRow("", self.cells_hint)
        form.addRow("R new (cell)", self.bol_spin)
        form.addRow(_limit_label(self.cell_v_min_edit), _with_volts(self.cell_v_min_edit))
        form.addRow(_limit_label(self.cell_v_max_edit), _with_volts(self.cell_v_max_edit))
        form.addRow(OCV_TABLE[0].label, self.ocv_table_field)
        current = OCV_TABLE[1]
        form.addRow(f"{current.label} ({current.unit})", self.ocv_current_edit)
        self.open_error_label = QLabel("", objectName="errorText", wordWrap=True)
        self.open_error_label.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_open_clicked)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addWidget(intro)
        layout.addWidget(self.guess_label)
        layout.addWidget(self.guess_warning_label)
        layout.addLayout(form)
        layout.addWidget(self.open_error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)

        # Capacity and cells follow the chemistry (its preset capacity, the
        # cell count a pack voltage implies) until the user types their own.
        self._edited: set[QWidget] = set()
        if guess is not None:
            self.set_chemistry(guess.spec.chemistry)
        self.chemistry_combo.currentIndexChanged.connect(self._on_chemistry_chosen)
        self._on_chemistry_chosen()
        self.capacity_spin.valueChanged.connect(lambda: self._edited.add(self.capacity_spin))
        self.cells_spin.valueChanged.connect(lambda: self._edited.add(self.cells_spin))

    @property
    def chemistry(self) -> Chemistry:
        return Chemistry(self.chemistry_combo.currentData())

    @property
    def preset(self):
        return PRESETS[self.chemistry]

    def set_chemistry(self, chemistry: Chemistry | str) -> None:
        self.chemistry_combo.setCurrentIndex(
            self.chemistry_combo.findData(Chemistry(chemistry).value)
        )

    @property
    def capacity_is_lower_bound(self) -> bool:
        """The capacity shown is the guess's lower bound (a partial charge's), not typed:
        the current limits, C-rates of it, are then not judged, as on the Logs page."""
        guess = self.probe.guess
        return (
            guess is not None
            and guess.capacity_lower_bound
            and self.capacity_spin not in self._edited
        )

    def url(self) -> str:
        """The log's ``file://`` URL with the battery chosen here; a current no OCV
        table is measured at is a BatteryOSError saying so."""
        return file_url_with_battery(
            self.probe.path,
            self.chemistry,
            self.capacity_spin.value(),
            self.cells_spin.value(),
            capacity_lower_bound=self.capacity_is_lower_bound,
            bol_resistance_ohm=self.bol_spin.resistance_ohm(),
            cell_v_min=self.cell_v_min_edit.url_text() or None,
            cell_v_max=self.cell_v_max_edit.url_text() or None,
            ocv_table=self.ocv_table_field.text() or None,
            ocv_table_current_c=self.ocv_current_edit.current_c(),
        )

    def problems(self) -> list[str]:
        """What must be fixed before the log can be opened (empty: nothing): the
        connection dialog's checks of the URL (a current without its table)."""
        from app.hardware.protocols import parse_connection

        try:
            return parse_connection(self.url()).problems()
        except BatteryOSError as exc:
            return [str(exc)]

    def show_open_error(self, message: str | None) -> None:
        """Say why the log was not opened (an unreadable OCV table); None: nothing."""
        self.open_error_label.setText(message or "")
        self.open_error_label.setVisible(bool(message))
        if message and self.isVisible():
            self._fit(self.width())

    def _on_open_clicked(self) -> None:
        problems = self.problems()
        if problems:
            self.show_open_error("Cannot open yet: " + "; ".join(problems) + ".")
            return
        self.open_requested.emit(self.url())

    def _show_ocv_table_path_whole(self) -> None:
        """Widen the dialog (up to the screen's width) until the path reads whole."""
        edit = self.ocv_table_field.edit
        # (its padding, frame and text margins: 24 px left the first character hidden)
        needed = edit.fontMetrics().horizontalAdvance(edit.text()) + 40
        if self.isVisible() and needed > edit.width():
            screen = self.screen().availableGeometry().width()
            self._fit(min(self.width() + needed - edit.width(), screen))

    def _fit(self, width: int) -> None:
        """Be ``width`` wide, and tall enough for the wrapped text at that width."""
        self.layout().activate()
        self.resize(width, max(self.minimumHeight(), self.layout().totalHeightForWidth(width)))

    def _on_chemistry_chosen(self) -> None:
        for edit, value in (
            (self.cell_v_min_edit, self.preset.cell_v_min),
            (self.cell_v_max_edit, self.preset.cell_v_max),
        ):
            edit.show_value_of("preset", value)
        cells, why = suggested_cells(self.probe, self.preset)
        guess = self.probe.guess
        # a capacity the log shows holds whatever the chemistry; else the preset's
        capacity = (
            guess.spec.capacity_ah
            if guess is not None and guess.capacity_from_log
            else self.preset.capacity_ah
        )
        for spin, value in (
            (self.capacity_spin, capacity),
            (self.cells_spin, cells),
        ):
            if spin not in self._edited:
                spin.blockSignals(True)
                spin.setValue(value)
                spin.blockSignals(False)
        if self.cells_spin not in self._edited:
            self.cells_hint.setText(f"Series cells: {why}.")


def _limit_label(edit: CellVoltageEdit) -> QLabel:
    return QLabel(edit.param.label, toolTip=edit.param.help)


def _with_volts(edit: QLineEdit) -> QWidget:
    """``edit`` with its unit after it, as the connection dialog's fields."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(edit, 1)
    row.addWidget(QLabel("V"))
    return box
