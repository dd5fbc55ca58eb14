"""Forms of the connection dialog, generated from the catalogue (:mod:`app.hardware.protocols`).

:class:`ParamForm` is the settings of one protocol; :class:`BatteryFields` is
the battery a tab talks to (chemistry, series cells, capacity, a new cell's
resistance), the same block on every tab; :class:`TransportPage` is one tab of
the dialog: what to connect to (a serial port with the detected ones, a CAN
interface and channel, a file), the protocol picker and its form, the battery.
Values are URL text, so a URL typed by the user comes back unchanged.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.hardware.protocols import (
    CAN_INTERFACES,
    CHEMISTRIES,
    CHEMISTRY_HELP,
    LOG_FILE_FILTER,
    OCV_TABLE,
    Connection,
    DetectedDevice,
    Param,
    ParamKind,
    Protocol,
    Transport,
    protocols_for,
)
from app.views.spec_dialog import CHEMISTRY_NAMES, OcvTableCurrentEdit
from app.views.theme import set_style_property

#: Width of the unit (or Browse…) column, so the fields' right edges line up.
UNIT_WIDTH = 84
#: (protocol, parameter) whose row has a "Map signals…" button: a DBC's signal mapping.
SIGNAL_MAPPING = ("dbc", "mapping")
#: Width of the form labels, so the device rows and the protocol's rows line up.
LABEL_WIDTH = 130
#: Width of a unit in the battery fields' left column (Ah).
_NARROW_UNIT_WIDTH = 24
#: How a choice is shown, by its URL value (a chemistry by its name).
CHOICE_NAMES: dict[str, str] = {str(k): v for k, v in CHEMISTRY_NAMES.items()}
#: How a switch's choices ("0", "1": Invert current) are shown: not as "0" and "1".
SWITCH_NAMES = {"0": "No", "1": "Yes"}
#: Under each tab's battery fields: whose battery wins (as
#: :func:`app.hardware.registry.battery_from_url` has it).
BATTERY_NOTES = {
    Transport.SERIAL: "What the diagnostics judge against; a BMS's own cell count or "
    "capacity (Daly, JK) does not replace it",
    Transport.FILE: "Empty: the battery the file names; given here, it replaces the file's",
}
BATTERY_NOTES[Transport.CAN] = BATTERY_NOTES[Transport.SERIAL]


def _form() -> QFormLayout:
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    form.setHorizontalSpacing(12)
    form.setVerticalSpacing(8)
    return form


def _label(text: str, tooltip: str = "") -> QLabel:
    label = QLabel(text)
    label.setFixedWidth(LABEL_WIDTH)
    label.setToolTip(tooltip)
    return label


class _PathField(QWidget):
    """A path line edit with a Browse… button."""

    edited = Signal()

    def __init__(self, file_filter: str, *, writes: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.file_filter = file_filter or "All files (*)"
        self.writes = writes
        self.edit = QLineEdit()
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setFixedWidth(UNIT_WIDTH)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.browse_button)
        self.edit.textEdited.connect(self.edited)
        self.browse_button.clicked.connect(self._on_browse)

    def text(self) -> str:
        return self.edit.text().strip()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)

    def _on_browse(self) -> None:
        pick = QFileDialog.getSaveFileName if self.writes else QFileDialog.getOpenFileName
        path, _ = pick(self, "Choose a file", self.text(), self.file_filter)
        if path:
            self.edit.setText(path)
            self.edited.emit()


def make_field(param: Param, changed: Signal) -> QWidget:
    """The input of one parameter; ``changed`` is emitted on every user edit."""
    if param.kind is ParamKind.PATH:
        field = _PathField(param.file_filter, writes=param.writes)
        field.edited.connect(changed)
    elif param.name == OCV_TABLE[1].name:
        # the OCV table's current: the Logs page's and File › Open's field (a sign, a
        # decimal comma, 'not known' when empty)
        field = OcvTableCurrentEdit()
        field.textEdited.connect(changed)
        return field  # (its own tooltip: what the current means, its limit)
    elif param.choices:
        field = QComboBox(editable=param.kind is not ParamKind.CHOICE)
        if field.isEditable():
            field.addItems(list(param.choices))
        else:  # shown by name, written by value; without a default, empty comes first
            if param.default is None:
                field.addItem(param.blank or "choose…", "")
            names = SWITCH_NAMES if set(param.choices) == set(SWITCH_NAMES) else CHOICE_NAMES
            for choice in param.choices:
                field.addItem(names.get(choice, choice), choice)
        if field.isEditable():
            field.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            field.lineEdit().setPlaceholderText(_placeholder(param))
            field.lineEdit().textEdited.connect(changed)
            field.activated.connect(changed)
        else:
            field.currentIndexChanged.connect(changed)
    else:
        field = QLineEdit()
        field.setPlaceholderText(_placeholder(param))
        field.textEdited.connect(changed)
    field.setToolTip(param.help)
    return field


def _with_unit(field: QWidget, unit: str = "", unit_width: int = UNIT_WIDTH) -> QWidget:
    """``field`` with its unit (or nothing) in a column of ``unit_width`` after it."""
    row = QWidget()
    line = QHBoxLayout(row)
    line.setContentsMargins(0, 0, 0, 0)
    line.addWidget(field, 1)
    label = QLabel(unit, objectName="mutedText")
    label.setFixedWidth(unit_width)
    line.addWidget(label)
    return row


def _param_label(param: Param) -> str:
    """A parameter's label; `` *``: the dialog does not connect without it."""
    return param.label + (" *" if param.required or param.needed else "")


def _field_values(fields: dict[str, QWidget]) -> dict[str, str]:
    return {name: _field_text(field) for name, field in fields.items()}


def _show_values(params: tuple[Param, ...], fields: dict[str, QWidget], values: dict) -> None:
    """Show ``values`` in ``fields``; parameters not in it get their start value."""
    for param in params:
        _set_field_text(fields[param.name], values.get(param.name, param.start_value))


def _placeholder(param: Param) -> str:
    return param.blank or param.default or ("required" if param.required else "")


def _field_text(field: QWidget) -> str:
    if isinstance(field, _PathField):
        return field.text()
    if isinstance(field, OcvTableCurrentEdit):
        return field.url_text()  # '−0,02' typed is '-0.02' in the URL
    if isinstance(field, QComboBox):
        if not field.isEditable() and field.currentData() is not None:
            return str(field.currentData())  # shown by name, written by value
        return field.currentText().strip()
    return field.text().strip()


def _set_field_text(field: QWidget, text: str) -> None:
    if isinstance(field, _PathField):
        field.set_text(text)
    elif isinstance(field, QComboBox):
        if field.isEditable():
            field.setEditText(text)
        else:
            index = field.findData(text)
            if index < 0:
                index = field.findText(text)
            if index < 0:
                field.addItem(text)  # shown as it is; the form names the problem
                index = field.count() - 1
            field.setCurrentIndex(index)
    else:
        field.setText(text)


class ParamForm(QWidget):
    """The URL parameters of one protocol, one row each, with units and help."""

    changed = Signal()

    def __init__(self, protocol: Protocol, parent: QWidget | None = None):
        super().__init__(parent)
        self.protocol = protocol
        self.fields: dict[str, QWidget] = {}
        #: "Map signals…" (the DBC protocol only): the connection dialog opens the mapping dialog
        self.map_button: QPushButton | None = None
        form = _form()
        self.setLayout(form)
        form.setContentsMargins(0, 0, 0, 0)
        for param in protocol.params:
            field = make_field(param, self.changed)
            self.fields[param.name] = field
            # a path has its Browse… button where the others have their unit
            if (protocol.name, param.name) == SIGNAL_MAPPING:
                row = self._with_map_button(field)
            elif param.kind is ParamKind.PATH:
                row = field
            else:
                row = _with_unit(field, param.unit)
            form.addRow(_label(_param_label(param), param.help), row)
        self.changed.connect(self._update_map_button)
        self.reset()

    def _with_map_button(self, field: QWidget) -> QWidget:
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(field, 1)
        self.map_button = QPushButton("Map signals…")
        self.map_button.setToolTip(
            "Choose which DBC signal is pack voltage, current, each cell …, and save it"
        )
        line.addWidget(self.map_button)
        return row

    def _update_map_button(self) -> None:
        if self.map_button is not None:
            self.map_button.setEnabled(bool(_field_text(self.fields["dbc"])))

    def set_value(self, name: str, text: str) -> None:
        """Show ``text`` in the field of parameter ``name`` (as typing it does)."""
        _set_field_text(self.fields[name], text)
        self.changed.emit()

    def values(self) -> dict[str, str]:
        return _field_values(self.fields)

    def set_values(self, values: dict[str, str]) -> None:
        """Show ``values``; parameters not in it get their start value."""
        _show_values(self.protocol.params, self.fields, values)
        self._update_map_button()

    def reset(self) -> None:
        self.set_values({})


class BatteryFields(QWidget):
    """The battery a tab talks to: chemistry, series cells, capacity and a new cell's
    resistance (the protocols' :attr:`~Protocol.battery`) in two columns, and a note
    on whose values win.

    ``chemistry``: the simulator's chemistry picker, shown first (its chemistry is
    the URL's host, sim://lfp, not a parameter).
    """

    changed = Signal()

    def __init__(
        self,
        protocol: Protocol,
        chemistry: QComboBox | None = None,
        note: str = "",
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.params = protocol.battery
        self.fields: dict[str, QWidget] = {}
        # label, help, unit, field, whether it takes a whole row
        rows: list[tuple[str, str, str, QWidget, bool]] = []
        if chemistry is not None:
            rows.append(("Chemistry", chemistry.toolTip(), "", chemistry, False))
        for param in self.params:
            field = make_field(param, self.changed)
            self.fields[param.name] = field
            # a file's path (the OCV table) reads whole only across both columns
            whole = param.kind is ParamKind.PATH
            rows.append((_param_label(param), param.help, param.unit, field, whole))
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        row, column = 0, 0
        for text, tip, unit, field, whole in rows:
            if whole and column:
                row, column = row + 1, 0
            label = _label(text, tip) if column == 0 else QLabel(text, toolTip=tip)
            # the right column's fields (and a whole row's) end where the page's other
            # fields do
            unit_width = UNIT_WIDTH if column or whole else _NARROW_UNIT_WIDTH
            grid.addWidget(label, row, 2 * column)
            span = 3 if whole else 1
            grid.addWidget(_with_unit(field, unit, unit_width), row, 2 * column + 1, 1, span)
            row, column = (row + 1, 0) if whole or column else (row, 1)
        # about equal fields: the right column holds the wider unit column
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(3, 4)
        self.note = QLabel(note, objectName="mutedText", wordWrap=True)
        head = QHBoxLayout()  # as the detected adapters' heading: title, then its status
        head.addWidget(QLabel("Battery", objectName="sectionTitle"))
        head.addWidget(self.note, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(head)
        layout.addLayout(grid)
        self.set_values({})

    def values(self) -> dict[str, str]:
        return _field_values(self.fields)

    def set_values(self, values: dict[str, str]) -> None:
        """Show the battery ``values`` name; the rest get their start value."""
        _show_values(self.params, self.fields, values)


class TransportPage(QWidget):
    """One tab of the connection dialog: a device, a protocol and its settings.

    Serial and CAN pages list detected adapters (:meth:`show_detected`); the
    dialog runs the detection and asks for it through ``refresh_requested``.
    """

    changed = Signal()  #: the user changed something: the URL is out of date
    refresh_requested = Signal()

    def __init__(self, transport: Transport, parent: QWidget | None = None):
        super().__init__(parent)
        self.transport = transport
        self.protocols = protocols_for(transport)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(10)
        self.detected_list: QListWidget | None = None
        self.detect_status: QLabel | None = None
        self.refresh_button: QPushButton | None = None
        if transport in (Transport.SERIAL, Transport.CAN):
            layout.addLayout(self._build_detected())

        device_form = _form()
        self.interface_combo: QComboBox | None = None
        if transport is Transport.SIMULATOR:  # its chemistry is its device
            self.device_field: QWidget = QComboBox()
            for chemistry in CHEMISTRIES:
                self.device_field.addItem(CHOICE_NAMES.get(chemistry, chemistry), chemistry)
            self.device_field.setToolTip(CHEMISTRY_HELP)
            self.device_field.currentIndexChanged.connect(self.changed)
        elif transport is Transport.FILE:
            self.device_field = _PathField(LOG_FILE_FILTER, writes=False)
            self.device_field.edited.connect(self.changed)
            device_form.addRow(_label("File"), self.device_field)
        else:
            if transport is Transport.CAN:
                self.interface_combo = QComboBox(editable=True)
                self.interface_combo.addItems(list(CAN_INTERFACES))
                self.interface_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
                self.interface_combo.setToolTip("The python-can interface of the adapter")
                self.interface_combo.lineEdit().textEdited.connect(self.changed)
                self.interface_combo.activated.connect(self.changed)
                device_form.addRow(_label("Interface"), _with_unit(self.interface_combo))
            self.device_field = QLineEdit()
            self.device_field.setPlaceholderText(
                "/dev/ttyUSB0 or COM3" if transport is Transport.SERIAL else "can0, PCAN_USBBUS1, 0"
            )
            self.device_field.textEdited.connect(self.changed)
            device_form.addRow(
                _label("Port" if transport is Transport.SERIAL else "Channel"),
                _with_unit(self.device_field),
            )

        self.protocol_combo = QComboBox()
        for proto in self.protocols:
            self.protocol_combo.addItem(proto.label, proto.name)
        self.protocol_help = QLabel("", objectName="mutedText", wordWrap=True)
        if len(self.protocols) > 1:
            device_form.addRow(_label("Protocol"), _with_unit(self.protocol_combo))
        else:
            self.protocol_combo.hide()
        self.battery = BatteryFields(
            self.protocols[0],
            chemistry=self.device_field if transport is Transport.SIMULATOR else None,
            note=BATTERY_NOTES.get(transport, ""),
        )
        self.battery.changed.connect(self.changed)
        if transport is Transport.SIMULATOR:  # the simulated pack first: it is the device
            layout.addWidget(self.battery)
        else:
            layout.addLayout(device_form)
        layout.addWidget(self.protocol_help)
        self.protocol_help.setContentsMargins(LABEL_WIDTH + 12, 0, 0, 0)

        self.forms = QStackedWidget()
        for proto in self.protocols:
            form = ParamForm(proto)
            form.changed.connect(self.changed)
            self.forms.addWidget(form)
        layout.addWidget(self.forms)
        if transport is not Transport.SIMULATOR:
            layout.addWidget(self.battery)
        self.extra_edit = QLineEdit()
        self.extra_edit.setPlaceholderText("name=value&name=value")
        self.extra_edit.setToolTip("URL parameters the form does not show, passed to the source")
        self.extra_edit.textEdited.connect(self.changed)
        extra_form = _form()
        extra_form.addRow(_label("More parameters"), _with_unit(self.extra_edit))
        layout.addLayout(extra_form)
        layout.addStretch(1)
        self.protocol_combo.currentIndexChanged.connect(self._on_protocol_chosen)
        self._on_protocol_chosen(0, announce=False)

    def _build_detected(self) -> QVBoxLayout:
        what = "Serial ports" if self.transport is Transport.SERIAL else "CAN adapters"
        self.detect_status = QLabel("", objectName="mutedText")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip(f"Look for {what.lower()} again")
        self.detected_list = QListWidget(objectName="detectedDevices")
        self.detected_list.setMaximumHeight(96)
        head = QHBoxLayout()
        head.addWidget(QLabel(f"{what} found", objectName="sectionTitle"))
        head.addWidget(self.detect_status, 1)
        head.addWidget(self.refresh_button)
        column = QVBoxLayout()
        column.addLayout(head)
        column.addWidget(self.detected_list)
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.detected_list.itemClicked.connect(self._on_detected_chosen)
        return column

    # --- what the form says -------------------------------------------------------
    @property
    def protocol(self) -> Protocol:
        return self.protocols[max(0, self.protocol_combo.currentIndex())]

    @property
    def form(self) -> ParamForm:
        return self.forms.currentWidget()

    def connection(self) -> Connection:
        device = _field_text(self.device_field)
        interface = self.interface_combo.currentText().strip() if self.interface_combo else ""
        values = {**self.battery.values(), **self.form.values()}
        return Connection(self.protocol.name, device, interface, values, self._extra())

    def _extra(self) -> dict[str, str]:
        return dict(parse_qsl(self.extra_edit.text().strip(), keep_blank_values=True))

    def set_connection(self, connection: Connection) -> None:
        """Show ``connection`` (it is of this page's transport)."""
        index = self.protocol_combo.findData(connection.protocol)
        self.protocol_combo.blockSignals(True)
        self.protocol_combo.setCurrentIndex(max(0, index))
        self.protocol_combo.blockSignals(False)
        self._show_protocol()
        _set_field_text(self.device_field, connection.device)
        if self.interface_combo is not None:
            self.interface_combo.setEditText(connection.interface)
        self.form.set_values(connection.values)
        self.battery.set_values(connection.values)
        self.extra_edit.setText(urlencode(connection.extra, safe="/:,", quote_via=quote))

    # --- detected adapters --------------------------------------------------------
    def show_detecting(self) -> None:
        if self.detect_status is not None:
            self.detect_status.setText("Searching…")
            self.refresh_button.setEnabled(False)

    def show_detected(self, devices: list[DetectedDevice]) -> None:
        self.detected_list.clear()
        for device in devices:
            item = QListWidgetItem(device.label)
            item.setData(Qt.ItemDataRole.UserRole, device)
            item.setToolTip(device.label)
            self.detected_list.addItem(item)
        self.refresh_button.setEnabled(True)
        what = "port" if self.transport is Transport.SERIAL else "adapter"
        self.detect_status.setText(
            f"{len(devices)} {what}{'s' if len(devices) != 1 else ''}" if devices
            else f"no {what}s found: plug one in and press Refresh, or type it below"
        )  # fmt: skip
        set_style_property(self.detect_status, "problem", "false")

    def show_detect_error(self, message: str) -> None:
        self.refresh_button.setEnabled(True)
        self.detect_status.setText(message)
        set_style_property(self.detect_status, "problem", "true")

    def choose_detected(self, row: int) -> None:
        """Use the detected adapter in ``row`` (as a click does)."""
        self._on_detected_chosen(self.detected_list.item(row))

    def _on_detected_chosen(self, item: QListWidgetItem) -> None:
        device: DetectedDevice = item.data(Qt.ItemDataRole.UserRole)
        self.device_field.setText(device.device)
        if self.interface_combo is not None:
            self.interface_combo.setEditText(device.interface)
        self.changed.emit()

    # --- handlers -------------------------------------------------------------------
    def _show_protocol(self) -> None:
        index = max(0, self.protocol_combo.currentIndex())
        # the stack takes the height of the shown form only, not of its tallest
        for i in range(self.forms.count()):
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            self.forms.widget(i).setSizePolicy(policy, policy)
        self.forms.setCurrentIndex(index)
        self.forms.adjustSize()
        self.protocol_help.setText(self.protocol.help)

    def _on_protocol_chosen(self, _index: int, announce: bool = True) -> None:
        self._show_protocol()
        if announce:
            self.changed.emit()
