"""The connection dialog: form and URL kept in step, detection and tests off the GUI thread,
recent connections, and connecting from the main window."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app.hardware import protocols, registry
from app.hardware.protocols import DetectedDevice, Transport
from app.hardware.registry import create_source
from app.views.connection_dialog import ConnectionDialog, ProbeStatus
from app.views.main_window import Page
from tests.hardware.serial.conftest import device  # noqa: F401 - the pty device fixture
from tests.ocv_tables import write_ocv_table

from .view_fakes import FailingSource

SERIAL_PORTS = [
    DetectedDevice(Transport.SERIAL, "/dev/ttyUSB0", "", "FT232R USB UART · USB VID:PID=0403:6001"),
    DetectedDevice(Transport.SERIAL, "/dev/ttyUSB1", "", "CP2102 USB to UART Bridge"),
]
CAN_ADAPTERS = [DetectedDevice(Transport.CAN, "can0", "socketcan")]


@pytest.fixture(autouse=True)
def fake_detection(monkeypatch):
    """No real port scan (python-can's takes seconds and loads every driver)."""
    monkeypatch.setattr(protocols, "detect_serial_ports", lambda: list(SERIAL_PORTS))
    monkeypatch.setattr(protocols, "detect_can_configs", lambda: list(CAN_ADAPTERS))


@pytest.fixture
def make_dialog(qtbot):
    def make(recent=()) -> ConnectionDialog:
        dialog = ConnectionDialog(list(recent))
        qtbot.addWidget(dialog, before_close_func=lambda d: _finish(qtbot, d))
        dialog.show()
        return dialog

    return make


def _finish(qtbot, dialog: ConnectionDialog) -> None:
    dialog.reject()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)


def _type_url(qtbot, dialog: ConnectionDialog, url: str) -> None:
    dialog.url_edit.clear()
    qtbot.keyClicks(dialog.url_edit, url)


def _fill_battery(qtbot, page, chemistry: str, cells: str, capacity_ah: str, bol: str = "") -> None:
    """Choose the chemistry by its shown name and type the rest, as a user does."""
    fields = page.battery.fields
    fields["chemistry"].setCurrentIndex(fields["chemistry"].findText(chemistry))
    for name, text in (("cells", cells), ("capacity_ah", capacity_ah), ("bol_resistance_ohm", bol)):
        fields[name].selectAll()
        qtbot.keyClicks(fields[name], text) if text else qtbot.keyClick(
            fields[name], Qt.Key.Key_Delete
        )


# --- URL and form ---------------------------------------------------------------


def test_typing_a_url_fills_the_form(qtbot, make_dialog):
    dialog = make_dialog()
    _type_url(qtbot, dialog, "serial:///dev/ttyUSB1?protocol=daly&baud=4800&poll_s=2")
    assert dialog.current_transport is Transport.SERIAL
    page = dialog.page(Transport.SERIAL)
    assert page.protocol.name == "daly"
    assert page.device_field.text() == "/dev/ttyUSB1"
    assert page.form.values() == {"baud": "4800", "poll_s": "2", "invert_current": "0"}
    assert dialog.url() == "serial:///dev/ttyUSB1?protocol=daly&baud=4800&poll_s=2"  # left as typed


def test_the_daly_form_sets_the_current_sign(qtbot, make_dialog):
    dialog = make_dialog()
    _type_url(qtbot, dialog, "serial:///dev/ttyUSB1?protocol=daly&invert_current=1")
    field = dialog.page(Transport.SERIAL).form.fields["invert_current"]
    # a switch reads Yes/No, not "1"/"0" (the Log file tab's Invert current too)
    assert [field.itemText(i) for i in range(2)] == ["No", "Yes"]
    assert field.currentText() == "Yes"
    field.setCurrentIndex(field.findText("No"))  # back to the default: left out of the URL
    assert dialog.url() == "serial:///dev/ttyUSB1?protocol=daly&baud=9600&poll_s=1"
    field.setCurrentIndex(field.findText("Yes"))
    assert dialog.url() == (
        "serial:///dev/ttyUSB1?protocol=daly&baud=9600&poll_s=1&invert_current=1"
    )


def test_filling_the_form_writes_the_url(qtbot, make_dialog):
    dialog = make_dialog()
    dialog.tabs.setCurrentIndex(2)  # CAN
    page = dialog.page(Transport.CAN)
    page.interface_combo.setEditText("")
    qtbot.keyClicks(page.interface_combo.lineEdit(), "pcan")
    qtbot.keyClicks(page.device_field, "PCAN_USBBUS1")
    page.protocol_combo.setCurrentIndex(page.protocol_combo.findData("pylontech"))
    qtbot.keyClicks(page.form.fields["byte_order"].lineEdit(), "big")
    assert (
        dialog.url() == "can://pcan/PCAN_USBBUS1?protocol=pylontech&bitrate=500000&byte_order=big"
    )
    assert "Chemistry is required; Series cells is required; Capacity is required" in (
        dialog.url_note.text()
    )  # a BMS's battery is asked for: the NMC preset's single cell would be far off
    _fill_battery(qtbot, page, "LFP (LiFePO₄)", "16", "100")
    battery = "chemistry=lfp&cells=16&capacity_ah=100"
    assert dialog.url() == (
        f"can://pcan/PCAN_USBBUS1?protocol=pylontech&{battery}&bitrate=500000&byte_order=big"
    )
    assert "ready" in dialog.url_note.text()

    # the battery belongs to the tab, not to the protocol: it stays when the protocol changes
    page.protocol_combo.setCurrentIndex(page.protocol_combo.findData("dbc"))
    assert dialog.url() == f"can://pcan/PCAN_USBBUS1?{battery}&dbc=&bitrate=500000"
    assert dialog.url_note.property("problem") == "true"
    assert "DBC file is required" in dialog.url_note.text()


@pytest.mark.parametrize(
    "url",
    [
        "sim://lfp?cells=8&capacity_ah=100&profile=drive&speed=10&fault=internal_short",
        "file:///data/my%20logs/cell7.csv?speed=1",
        "serial:///dev/ttyUSB0?protocol=vedirect",
        "serial:///dev/ttyUSB0?protocol=line&baud=115200&mapping=NAME&timeout=2",
        "can://slcan/dev/ttyACM0?protocol=pylontech&bitrate=250000",
        "can://socketcan/can0?dbc=/path/pack.dbc&bitrate=500000&log=/path/raw.asc",
    ],
)
def test_url_to_form_to_url_is_the_same_url(make_dialog, url):
    dialog = make_dialog()
    dialog.set_url(url)
    dialog.page(dialog.current_transport).changed.emit()  # as if a field was touched
    assert dialog.url() == url


def test_urls_outside_the_catalogue_are_kept_and_explained(qtbot, make_dialog):
    dialog = make_dialog()
    _type_url(qtbot, dialog, "mqtt://broker/pack")
    assert dialog.url() == "mqtt://broker/pack"
    assert "used as typed" in dialog.url_note.text()
    _type_url(qtbot, dialog, "ttyUSB0")
    assert "not a source URL" in dialog.url_note.text()
    assert dialog.url_note.property("problem") == "true"


def test_copy_puts_the_url_on_the_clipboard(make_dialog):
    dialog = make_dialog()
    dialog.set_url("serial:///dev/ttyUSB0?protocol=jk&baud=115200")
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == "serial:///dev/ttyUSB0?protocol=jk&baud=115200"


# --- detection --------------------------------------------------------------------


def test_ports_are_detected_in_the_background_and_fill_the_port(qtbot, make_dialog, monkeypatch):
    release = threading.Event()

    def slow_scan():
        release.wait(10)  # like python-can asking every driver
        return list(SERIAL_PORTS)

    monkeypatch.setattr(protocols, "detect_serial_ports", slow_scan)
    dialog = make_dialog()
    page = dialog.page(Transport.SERIAL)
    dialog.tabs.setCurrentIndex(1)  # the first look at the tab starts a scan
    assert page.detect_status.text() == "Searching…"  # the GUI thread got here: it did not wait
    assert not page.refresh_button.isEnabled()
    release.set()
    qtbot.waitUntil(lambda: page.detected_list.count() == 2)
    assert page.detect_status.text() == "2 ports"
    assert "FT232R" in page.detected_list.item(0).text()
    page.choose_detected(1)
    assert dialog.url() == "serial:///dev/ttyUSB1?protocol=vedirect"


def test_can_adapters_fill_interface_and_channel(qtbot, make_dialog):
    dialog = make_dialog()
    dialog.tabs.setCurrentIndex(2)
    page = dialog.page(Transport.CAN)
    qtbot.waitUntil(lambda: page.detected_list.count() == 1)
    page.choose_detected(0)
    assert dialog.url() == "can://socketcan/can0?protocol=pylontech&bitrate=500000"


def test_detection_failure_is_shown_on_the_page(qtbot, make_dialog, monkeypatch):
    def broken():
        raise PermissionError("/dev/serial: permission denied")

    monkeypatch.setattr(protocols, "detect_serial_ports", broken)
    dialog = make_dialog()
    dialog.tabs.setCurrentIndex(1)
    page = dialog.page(Transport.SERIAL)
    qtbot.waitUntil(lambda: "permission denied" in page.detect_status.text())
    assert page.detect_status.property("problem") == "true" and page.refresh_button.isEnabled()


# --- test connection -------------------------------------------------------------------


def test_test_connection_reports_samples_and_values(qtbot, make_dialog):
    dialog = make_dialog()
    dialog.set_url("sim://nmc?cells=4&speed=0&duration=50")
    with qtbot.waitSignal(dialog.test_finished, timeout=20_000) as finished:
        dialog.test_button.click()
        assert dialog.test_button.text() == "Testing…" and not dialog.test_button.isEnabled()
    assert finished.args[0].startswith("OK: 500 samples in ")
    assert "V=" in dialog.test_result.text() and "4 cells" in dialog.test_result.text()
    assert dialog.test_result.property("status") == ProbeStatus.OK
    assert dialog.test_button.isEnabled()


def test_a_source_that_is_not_installed_fails_with_a_clear_message(qtbot, make_dialog, monkeypatch):
    # as on a build without the serial sources: the registry knows no serial:// yet
    known = {k: v for k, v in registry._REGISTRY.items() if not k.startswith("serial")}
    monkeypatch.setattr(registry, "_REGISTRY", known)
    dialog = make_dialog()
    dialog.set_url("serial:///dev/ttyUSB0?protocol=vedirect")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.test_result.property("status") == ProbeStatus.FAILED)
    assert dialog.test_result.text().startswith("Failed: serial:///dev/ttyUSB0?protocol=vedirect: ")
    assert "unknown source scheme 'serial'" in dialog.test_result.text()


def test_a_device_that_does_not_open_shows_its_error(qtbot, make_dialog):
    dialog = make_dialog()
    dialog.set_url("failing://port")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.test_result.property("status") == ProbeStatus.FAILED)
    assert FailingSource.MESSAGE in dialog.test_result.text()


def test_closing_during_a_test_stops_it(qtbot, make_dialog):
    dialog = make_dialog()
    dialog.test_seconds = 60.0
    dialog.set_url("scripted://pack?n=0&interval=0.05")  # endless, slow
    dialog.test_button.click()
    assert dialog.busy
    dialog.reject()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=5_000)  # not after 60 s


# --- recent connections and the main window ---------------------------------------


def test_recent_connections_fill_the_form(qtbot, make_dialog):
    recent = ["serial:///dev/ttyUSB0?protocol=jk&baud=115200", "sim://nmc?cells=4&speed=1"]
    dialog = make_dialog(recent)
    assert [dialog.recent_list.item(i).text() for i in range(2)] == recent
    assert dialog.url() == recent[0]  # the last connection is offered first
    assert dialog.current_transport is Transport.SERIAL
    dialog.recent_list.itemClicked.emit(dialog.recent_list.item(1))
    assert dialog.url() == recent[1] and dialog.current_transport is Transport.SIMULATOR


def test_connect_from_the_dialog_starts_the_session_and_is_remembered(qtbot, make_window):
    window = make_window()
    window.action_connect.trigger()
    dialog = window.connection_dialog
    assert dialog.isVisible()
    for url in ("scripted://pack?n=100", "scripted://pack?n=50", "scripted://pack?n=100"):
        window.open_connection_dialog()
        dialog.set_url(url)
        dialog.connect_button.click()
        assert not dialog.isVisible()
        assert window.current_page is Page.DASHBOARD and window.session.source_url == url
        # each ends before the next is connected (one still streaming is asked about:
        # tests/views/test_connect_while_streaming.py)
        qtbot.waitUntil(lambda: not window.session.acquisition.running)
    assert window.session.status.samples_total == 100
    # most recent first, no duplicates, and the dialog shows the same list
    assert window.settings.recent_sources[:2] == ["scripted://pack?n=100", "scripted://pack?n=50"]
    window.open_connection_dialog()
    assert dialog.recent_list.item(0).text() == "scripted://pack?n=100"
    assert dialog.recent_list.item(1).text() == "scripted://pack?n=50"
    dialog.reject()


def test_a_failed_connect_keeps_the_dialog_open_with_the_reason(make_window):
    window = make_window()
    window.home.connect_dialog_button.click()
    dialog = window.connection_dialog
    dialog.set_url("nosuch://device")
    dialog.connect_button.click()
    assert dialog.isVisible()
    assert "unknown source scheme 'nosuch'" in dialog.url_note.text()
    assert not window.session.running
    dialog.reject()


def test_the_simulators_cell_resistance_is_a_field_and_a_bad_one_is_named(qtbot, make_dialog):
    dialog = make_dialog()
    assert dialog.url() == "sim://nmc?cells=4&profile=cycle&speed=1"  # as the fields show
    _type_url(qtbot, dialog, "sim://lfp?cells=4&bol_resistance_ohm=-0.01")
    field = dialog.page(Transport.SIMULATOR).battery.fields["bol_resistance_ohm"]
    assert field.text() == "-0.01"
    assert "R new (cell) must be a positive number, not '-0.01'" in dialog.url_note.text()
    assert dialog.url_note.property("problem") == "true"
    field.selectAll()
    qtbot.keyClicks(field, "0.0085")
    assert dialog.url() == "sim://lfp?cells=4&bol_resistance_ohm=0.0085&profile=cycle&speed=1"
    assert "ready to test or connect" in dialog.url_note.text()
    field.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_Delete)  # empty: the chemistry's typical value
    assert dialog.url() == "sim://lfp?cells=4&profile=cycle&speed=1"


# --- the battery of a BMS or a battery monitor ---------------------------------------


def test_the_serial_battery_fields_build_the_url(qtbot, make_dialog):
    dialog = make_dialog()
    dialog.tabs.setCurrentIndex(1)
    page = dialog.page(Transport.SERIAL)
    qtbot.keyClicks(page.device_field, "/dev/ttyUSB0")
    page.protocol_combo.setCurrentIndex(page.protocol_combo.findData("jk"))
    chemistry = page.battery.fields["chemistry"]
    assert chemistry.currentText() == "choose…" and "Chemistry *" in _labels(page.battery)
    assert "Daly, JK" in page.battery.note.text()  # whose cell count wins is said
    _fill_battery(qtbot, page, "LFP (LiFePO₄)", "16", "280", bol="0.0003")
    assert dialog.url() == (
        "serial:///dev/ttyUSB0?protocol=jk&chemistry=lfp&cells=16&capacity_ah=280"
        "&bol_resistance_ohm=0.0003&baud=115200"
    )
    assert "ready to test or connect" in dialog.url_note.text()
    # and a URL with a battery fills the fields
    dialog.set_url(
        "serial:///dev/ttyUSB1?protocol=vedirect&chemistry=lead_acid&cells=6&capacity_ah=200"
    )
    assert chemistry.currentText() == "Lead-acid"
    assert page.battery.fields["cells"].text() == "6"
    assert page.battery.fields["bol_resistance_ohm"].text() == ""


def test_the_ocv_table_and_its_current_are_battery_fields_of_every_tab(
    qtbot, make_dialog, tmp_path
):
    """The OCV table (a whole row: its path reads whole) and the current it was measured
    at, on every tab, go to the URL, whose source's battery then has them (as
    --ocv-table, --ocv-table-current-c); a current without its table is named."""
    from app.core.spec import preset

    soc, ocv = preset("lfp").ocv_table
    table = tmp_path / "cell_ocv.csv"
    write_ocv_table(table, soc, [v + 0.005 for v in ocv])
    dialog = make_dialog()
    for transport in Transport:
        fields = dialog.page(transport).battery.fields
        assert {"ocv_table", "ocv_table_current_c"} <= set(fields), transport
    dialog.set_url(BMS)
    page = dialog.page(Transport.SERIAL)
    fields = page.battery.fields
    qtbot.keyClicks(fields["ocv_table_current_c"], "-0.02")
    assert "Measured at is the OCV table's current" in dialog.url_note.text()
    with qtbot.assertNotEmitted(dialog.connect_requested):
        dialog.connect_button.click()
    qtbot.keyClicks(fields["ocv_table"].edit, str(table))
    assert dialog.url() == f"{BMS}&ocv_table={table}&ocv_table_current_c=-0.02&baud=115200"
    assert "ready to test or connect" in dialog.url_note.text()
    spec = create_source(dialog.url()).spec
    assert spec.ocv_table[1] == pytest.approx(tuple(v + 0.005 for v in ocv), abs=1e-4)
    assert spec.ocv_table_current_c == -0.02
    # the path field spans the battery's two columns (a narrow one read '_ocv_c50.csv')
    assert fields["ocv_table"].width() > 2 * fields["cells"].width()
    dialog.set_url(BMS)  # a URL without them empties the fields
    assert fields["ocv_table"].text() == fields["ocv_table_current_c"].text() == ""


def test_measured_at_is_the_same_field_as_file_open_and_the_logs_page(qtbot, make_dialog, tmp_path):
    """The OCV table's current is one field everywhere (:class:`OcvTableCurrentEdit`): in
    the dialog it was a plain text field that took letters and wrote '−0,02' (a minus
    sign, a decimal comma, as the Logs page takes it) into the URL, which refused it."""
    from app.core.spec import preset
    from app.views.spec_dialog import OcvTableCurrentEdit

    soc, ocv = preset("lfp").ocv_table  # (the LFP battery's: an NMC table is refused)
    table = tmp_path / "cell_ocv.csv"
    write_ocv_table(table, soc, ocv)
    dialog = make_dialog()
    for transport in Transport:
        field = dialog.page(transport).battery.fields["ocv_table_current_c"]
        assert type(field) is OcvTableCurrentEdit, transport  # (the others' field)
    dialog.set_url(BMS)
    fields = dialog.page(Transport.SERIAL).battery.fields
    qtbot.keyClicks(fields["ocv_table"].edit, str(table))
    field = fields["ocv_table_current_c"]
    qtbot.keyClicks(field, "abc")  # not a current: not taken
    assert field.text() == ""
    qtbot.keyClicks(field, "-0,02")  # a decimal comma, as the Logs page takes it
    assert field.text() == "-0,02" and field.current_c() == -0.02
    assert dialog.url().endswith(f"&ocv_table={table}&ocv_table_current_c=-0.02&baud=115200")
    field.clear()
    field.insert("\u22120.02")  # a minus sign (pasted; QTest types Latin-1 only)
    assert field.text() == "\u22120.02" and field.current_c() == -0.02
    assert dialog.url().endswith(f"&ocv_table={table}&ocv_table_current_c=-0.02&baud=115200")
    assert create_source(dialog.url()).spec.ocv_table_current_c == -0.02
    dialog.set_url(f"{BMS}&ocv_table={table}&ocv_table_current_c=0.01")  # and shown back
    assert field.current_c() == 0.01


def test_a_bad_capacity_is_named_and_not_connected(qtbot, make_dialog):
    dialog = make_dialog()
    dialog.set_url("serial:///dev/ttyUSB0?protocol=vedirect&chemistry=lfp&cells=4&capacity_ah=100")
    page = dialog.page(Transport.SERIAL)
    _fill_battery(qtbot, page, "LFP (LiFePO₄)", "4", "-100")
    assert "Capacity must be a positive number, not '-100'" in dialog.url_note.text()
    assert dialog.url_note.property("problem") == "true" and dialog.url_note.isVisible()
    with qtbot.assertNotEmitted(dialog.connect_requested):
        dialog.connect_button.click()
    assert dialog.url_note.text().startswith("Cannot connect yet: Capacity must be a positive")
    assert dialog.isVisible()
    # a typed URL without its battery is not connected either
    _type_url(qtbot, dialog, "serial:///dev/ttyUSB0?protocol=vedirect")
    with qtbot.assertNotEmitted(dialog.connect_requested):
        dialog.connect_button.click()
    assert "Chemistry is required" in dialog.url_note.text()


def test_the_log_files_battery_is_the_files_unless_given(qtbot, make_dialog):
    dialog = make_dialog()
    dialog.set_url("file:///data/pack.csv")
    page = dialog.page(Transport.FILE)
    assert page.battery.fields["chemistry"].currentText() == "the file's"
    assert "ready" in dialog.url_note.text()
    _fill_battery(qtbot, page, "NMC (Li-ion)", "", "")
    assert "Series cells is required with a chemistry" in dialog.url_note.text()


# --- a parameter given twice: in the form and in More parameters ----------------------
# The dialog writes the URL from its fields, so its battery cannot disagree with a spec
# given beside the URL (it gives none); what can disagree is the form and the free
# "More parameters" field naming the same parameter. Both end up in the URL, and the
# dialog does not connect until one is cleared.
BMS = "serial:///dev/ttyUSB0?protocol=jk&chemistry=lfp&cells=16&capacity_ah=100"


def _type_more(qtbot, page, text: str) -> None:
    page.extra_edit.clear()
    qtbot.keyClicks(page.extra_edit, text)


@pytest.mark.parametrize(
    ("more", "message"),
    [
        ("cells=4", "Series cells is 16 in the form but 4 in More parameters (cells=)"),
        ("chemistry=nmc", "Chemistry is lfp in the form but nmc in More parameters"),
        ("capacity_ah=50", "Capacity is 100 in the form but 50 in More parameters"),
    ],
)
def test_a_battery_parameter_given_twice_differently_is_named_and_not_connected(
    qtbot, make_window, more, message
):
    window = make_window()
    window.action_connect.trigger()
    dialog = window.connection_dialog
    dialog.set_url(BMS)
    page = dialog.page(Transport.SERIAL)
    _type_more(qtbot, page, more)
    assert message in dialog.url_note.text() and "which is meant?" in dialog.url_note.text()
    assert dialog.url_note.property("problem") == "true" and dialog.url_note.isVisible()
    name, value = more.split("=")
    assert f"&{more}" in dialog.url() and dialog.url().count(f"{name}=") == 2  # both, as given
    with qtbot.assertNotEmitted(dialog.connect_requested):
        dialog.connect_button.click()
    assert f"parameter {name} given twice" in dialog.url_note.text()
    assert f"{name}={value}" in dialog.url_note.text()
    assert dialog.isVisible() and not window.session.running
    dialog.reject()


def test_a_battery_parameter_given_alike_or_once_is_connected(qtbot, make_dialog):
    dialog = make_dialog()
    dialog.set_url(BMS)
    page = dialog.page(Transport.SERIAL)
    _type_more(qtbot, page, "cells=16&capacity_ah=100.0")  # the same as the form's
    assert dialog.url() == f"{BMS}&baud=115200"
    assert "ready to test or connect" in dialog.url_note.text()
    with qtbot.waitSignal(dialog.connect_requested) as connected:
        dialog.connect_button.click()
    assert connected.args == [f"{BMS}&baud=115200"]
    # a log file's battery given in More parameters only: it is the URL's
    dialog.set_url("file:///data/pack.csv")
    page = dialog.page(Transport.FILE)
    _type_more(qtbot, page, "chemistry=lfp&cells=16&capacity_ah=100")
    assert dialog.url() == "file:///data/pack.csv?chemistry=lfp&cells=16&capacity_ah=100"
    assert "ready to test or connect" in dialog.url_note.text()


def _labels(widget) -> str:
    from PySide6.QtWidgets import QLabel

    return " | ".join(label.text() for label in widget.findChildren(QLabel))


def test_a_bms_connected_with_its_battery_is_what_the_engine_and_dashboard_use(
    qtbot,
    make_window,
    device,  # noqa: F811 - the serial tests' fixture
):
    """End to end: a JK BMS on a pseudo-terminal, its battery from the dialog's fields."""
    bms = device("jk", chemistry="lfp", cells=16)
    window = make_window()
    window.action_connect.trigger()
    dialog = window.connection_dialog
    dialog.set_url(bms.url)  # the port and protocol, as a recent connection gives them
    page = dialog.page(Transport.SERIAL)
    _fill_battery(qtbot, page, "LFP (LiFePO₄)", "16", "100")
    assert "chemistry=lfp&cells=16&capacity_ah=100" in dialog.url()
    dialog.connect_button.click()
    assert not dialog.isVisible() and window.session.running
    qtbot.waitUntil(lambda: window.session.spec is not None, timeout=10_000)
    spec = window.session.spec  # the live engine's battery (not the NMC preset)
    assert (spec.chemistry.value, spec.series_cells, spec.capacity_ah) == ("lfp", 16, 100.0)
    qtbot.waitUntil(lambda: window.dashboard.readouts.plausible_cell_v == spec.plausible_cell_v)
    window.session.stop()


def test_testing_a_bms_that_sends_other_cells_than_given_warns(qtbot, make_dialog, device):  # noqa: F811
    bms = device("jk", chemistry="lfp", cells=15)
    dialog = make_dialog()
    dialog.set_url(bms.url)
    _fill_battery(qtbot, dialog.page(Transport.SERIAL), "LFP (LiFePO₄)", "16", "100")
    with qtbot.waitSignal(dialog.test_finished, timeout=20_000):
        dialog.test_button.click()
    assert "15 cells, not the 16 given as series cells" in dialog.test_result.text()
    assert dialog.test_result.property("status") == ProbeStatus.WARNING
