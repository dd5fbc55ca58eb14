"""The connection catalogue: URLs built and parsed back, problems named, adapters detected."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.errors import SourceError
from app.hardware import protocols
from app.hardware.protocols import (
    PROTOCOLS,
    Connection,
    ParamKind,
    Transport,
    parse_connection,
    protocols_for,
)
from app.hardware.registry import create_source, parse_source_url
from app.hardware.source import Source

#: The URL contract the serial and CAN sources are written against.
CONTRACT_URLS = [
    "sim://nmc?cells=4&capacity_ah=50&profile=cycle&speed=1",
    "file:///path/log.csv",
    "serial:///dev/ttyUSB0?protocol=vedirect",
    "serial:///dev/ttyUSB0?protocol=daly&baud=9600&poll_s=1",
    "serial:///dev/ttyUSB0?protocol=jk&baud=115200",
    "serial:///dev/ttyUSB0?protocol=line&baud=115200&mapping=NAME",
    "can://socketcan/can0?protocol=pylontech&bitrate=500000&byte_order=big",
    "can://pcan/PCAN_USBBUS1?dbc=/path/pack.dbc&bitrate=500000",
    "can://kvaser/0?dbc=/path/pack.dbc&bitrate=250000&log=/path/raw.asc",
    "can://slcan/dev/ttyACM0?protocol=pylontech&bitrate=500000",
]


@pytest.mark.parametrize("url", CONTRACT_URLS)
def test_contract_urls_survive_parse_and_build(url):
    assert parse_connection(url).url() == url


def test_parsed_fields_are_what_the_sources_will_read():
    c = parse_connection("serial:///dev/ttyUSB0?protocol=daly&baud=9600&poll_s=1")
    assert (c.protocol, c.device, c.values) == (
        "daly",
        "/dev/ttyUSB0",
        {"baud": "9600", "poll_s": "1"},
    )
    can = parse_connection("can://slcan/dev/ttyACM0?protocol=pylontech&bitrate=500000")
    assert (can.interface, can.device) == ("slcan", "/dev/ttyACM0")
    socketcan = parse_connection("can://socketcan/can0?dbc=/p/pack.dbc")
    assert (socketcan.protocol, socketcan.interface, socketcan.device) == (
        "dbc",
        "socketcan",
        "can0",
    )
    assert socketcan.values["dbc"] == "/p/pack.dbc"


def test_built_url_names_the_device_the_registry_reads():
    url = Connection("jk", "/dev/ttyUSB1", values={"baud": "115200"}).url()
    assert url == "serial:///dev/ttyUSB1?protocol=jk&baud=115200"
    parsed = parse_source_url(url)
    assert parsed.target == "/dev/ttyUSB1" and parsed.params["protocol"] == "jk"
    path = "/data/my logs/cell 7.csv"
    assert parse_source_url(Connection("file", path).url()).target == path


def test_source_defaults_are_left_out_and_key_settings_kept():
    # VE.Direct at its only baud rate: nothing to say; Daly's baud and poll are shown
    assert Connection("vedirect", "/dev/ttyUSB0", values={"baud": "19200"}).url() == (
        "serial:///dev/ttyUSB0?protocol=vedirect"
    )
    assert (
        Connection("vedirect", "/dev/ttyUSB0", values={"baud": "9600"}).url().endswith("&baud=9600")
    )
    assert Connection("daly", "COM3", values={"baud": "9600", "poll_s": "1"}).url() == (
        "serial://COM3?protocol=daly&baud=9600&poll_s=1"
    )


def test_unknown_parameters_are_kept_after_the_known_ones():
    url = "serial:///dev/ttyUSB0?timeout=2&protocol=jk&baud=115200"
    c = parse_connection(url)
    assert c.extra == {"timeout": "2"}
    assert c.url() == "serial:///dev/ttyUSB0?protocol=jk&baud=115200&timeout=2"


def test_values_with_url_characters_are_quoted():
    c = Connection("line", "/dev/ttyUSB0", values={"baud": "115200", "mapping": "a&b=c d"})
    assert "mapping=a%26b%3Dc%20d" in c.url()
    assert parse_connection(c.url()) == c


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nonsense", "not a source URL"),
        ("mqtt://broker/topic", "no 'mqtt' sources"),
        ("serial:///dev/ttyUSB0", "no protocol for Serial"),
        ("serial:///dev/ttyUSB0?protocol=modbus", "unknown protocol 'modbus'"),
        ("can://socketcan/can0?bitrate=500000", "or dbc=FILE"),
    ],
)
def test_urls_outside_the_catalogue_say_why(url, message):
    with pytest.raises(SourceError, match=message):
        parse_connection(url)


def test_problems_name_what_is_missing_or_malformed():
    assert Connection("line", "", values={"baud": "fast"}).problems() == [
        "choose a serial port",
        "Chemistry is required",
        "Series cells is required",
        "Capacity is required",
        "Baud rate must be a whole number, not 'fast'",
        "Mapping is required",
    ]
    battery = {"chemistry": "lfp", "cells": "16", "capacity_ah": "100"}
    assert Connection("dbc", "can0", values=battery).problems() == [
        "choose a CAN interface",
        "DBC file is required",
    ]
    assert Connection("sim", "nmc", values={"profile": "sprint"}).problems() == [
        "Load profile must be one of cycle, drive, cc, cccv, hppc, rest, float"
    ]
    assert parse_connection(CONTRACT_URLS[0]).problems() == []


def test_catalogue_is_complete_and_consistent():
    assert {p.name for p in protocols_for(Transport.SERIAL)} == {"vedirect", "daly", "jk", "line"}
    assert {p.name for p in protocols_for(Transport.CAN)} == {"pylontech", "dbc"}
    for proto in PROTOCOLS:
        names = [p.name for p in proto.all_params]
        assert len(names) == len(set(names)), proto.name
        for param in proto.all_params:
            assert param.label and param.problem(param.start_value) in (
                None,
                f"{param.label} is required",
            )
            if param.kind is ParamKind.CHOICE:
                assert param.default in (*param.choices, None)
    # every protocol of a transport has the same battery: the dialog shows it once a tab
    for transport in Transport:
        assert len({p.battery for p in protocols_for(transport)}) == 1, transport


def test_a_fresh_simulator_form_opens_a_real_source():
    values = {p.name: p.start_value for p in protocols.SIMULATOR.all_params}
    url = Connection("sim", "lfp", values=values).url()
    assert url == "sim://lfp?cells=4&profile=cycle&speed=1"
    source = create_source(url)
    assert source.spec.series_cells == 4 and source.spec.chemistry.value == "lfp"


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


@st.composite
def connections(draw):
    proto = draw(st.sampled_from(PROTOCOLS))
    values = {}
    for param in proto.all_params:
        value = ""
        if draw(st.booleans()):
            value = draw(st.sampled_from(param.choices) if param.choices else _text)
        if param.in_url(value):
            values[param.name] = value
    device = draw(st.from_regex(r"[A-Za-z0-9_.-]{1,12}|/dev/[a-zA-Z0-9]{1,8}", fullmatch=True))
    if proto.transport is Transport.FILE:
        device = "/" + device.lstrip("/")
    interface = (
        draw(st.sampled_from(protocols.CAN_INTERFACES)) if proto.transport is Transport.CAN else ""
    )
    extra = draw(st.dictionaries(st.from_regex(r"x_[a-z]{1,5}", fullmatch=True), _text, max_size=2))
    return Connection(proto.name, device, interface, values, extra)


@given(connections())
def test_any_connection_survives_its_url(connection):
    assert parse_connection(connection.url()) == connection


# --- detection ----------------------------------------------------------------


def _port(device, description="n/a", hwid="n/a"):
    return SimpleNamespace(device=device, description=description, hwid=hwid)


def test_serial_ports_are_listed_with_what_identifies_them(monkeypatch):
    from serial.tools import list_ports

    monkeypatch.setattr(
        list_ports,
        "comports",
        lambda: [
            _port("/dev/ttyUSB0", "FT232R USB UART", "USB VID:PID=0403:6001 SER=A10K"),
            _port("/dev/ttyS0"),
        ],
    )
    found = protocols.detect_serial_ports()
    assert [d.device for d in found] == ["/dev/ttyS0", "/dev/ttyUSB0"]
    assert found[0].label == "/dev/ttyS0"
    assert found[1].label == "/dev/ttyUSB0 — FT232R USB UART · USB VID:PID=0403:6001 SER=A10K"


def test_can_detection_lists_adapters_then_the_virtual_bus(monkeypatch):
    import can
    from serial.tools import list_ports

    asked = {}

    def detect(interfaces=None):
        asked["interfaces"] = interfaces
        return [
            {"interface": "virtual", "channel": "channel-1"},
            {"interface": "socketcan", "channel": "can0"},
        ]

    monkeypatch.setattr(can, "detect_available_configs", detect)
    monkeypatch.setattr(
        list_ports,
        "comports",
        lambda: [_port("/dev/ttyACM0", "CANable2 b158aa7 github.com/normaldotcom/canable2.git"),
                 _port("/dev/ttyUSB0", "FT232R USB UART")],
    )  # fmt: skip
    found = protocols.detect_can_configs()
    assert [(d.interface, d.device) for d in found] == [
        ("slcan", "/dev/ttyACM0"),
        ("socketcan", "can0"),
        ("virtual", "channel-1"),
    ]
    assert "udp_multicast" not in asked["interfaces"] and "socketcan" in asked["interfaces"]


# --- trying a connection ----------------------------------------------------------


class _GarbageSource(Source):
    """Opens, counts every frame as bad, never yields a sample: a wrong baud rate."""

    @classmethod
    def from_url(cls, parsed, spec=None):
        return cls(parsed.raw, spec)

    def _open_internal(self):
        pass

    def _read_internal(self, timeout):
        self.health.bytes_in += 17
        self.health.count_bad("checksum mismatch in frame 0xA5")
        return None


def test_probe_reads_samples_and_reports_the_newest_values():
    result = protocols.probe_source("sim://nmc?cells=4&speed=0&duration=100", seconds=5)
    assert result.ok and result.samples == 1000  # 100 s at 10 Hz, ended by the source
    assert result.latest["time_s"] == pytest.approx(99.9)
    text = result.summary()
    assert text.startswith("OK: 1,000 samples in ") and "4 cells" in text
    assert f"V={result.latest['voltage_v']:.3f} V" in text


def test_probe_names_a_cell_count_other_than_the_urls():
    """A BMS that sends 15 cells for a battery given as 16: the summary says so."""
    latest = {"voltage_v": 49.5, **{f"cell_{k}_v": 3.3 for k in range(1, 16)}}
    url = "serial:///dev/ttyUSB0?protocol=jk&chemistry=lfp&cells={}&capacity_ah=100"
    result = protocols.ProbeResult(url.format(16), 10, 1.0, latest, {})
    assert result.battery_mismatch == "15 cells, not the 16 given as series cells"
    assert "15 cells, not the 16 given as series cells" in result.summary()
    for same in (url.format(15), "serial:///dev/ttyUSB0?protocol=jk"):
        result = protocols.ProbeResult(same, 10, 1.0, latest, {})
        assert result.battery_mismatch is None and " · 15 cells" in result.summary()
    # a 16th cell slot the BMS leaves empty (NaN) is not a 16th cell
    empty_slot = protocols.ProbeResult(
        url.format(16), 10, 1.0, {**latest, "cell_16_v": float("nan")}, {}
    )
    assert empty_slot.battery_mismatch == "15 cells, not the 16 given as series cells"


def test_probe_of_a_silent_device_says_what_it_saw(monkeypatch):
    from app.hardware import registry

    monkeypatch.setitem(registry._REGISTRY, "garbage", f"{__name__}:_GarbageSource")
    result = protocols.probe_source("garbage://port", seconds=0.3)
    assert not result.ok and result.health["frames_bad"] >= 1
    text = result.summary()
    assert text.startswith("Connected, but no samples within 0.3 s")
    assert "bad" in text and "checksum mismatch in frame 0xA5" in text


def test_probe_of_an_unknown_scheme_raises_the_registry_message():
    with pytest.raises(SourceError, match="unknown source scheme 'nosuch'"):
        protocols.probe_source("nosuch://x")


def test_probe_stops_when_cancelled():
    import threading

    cancel = threading.Event()
    cancel.set()
    result = protocols.probe_source("sim://nmc?speed=1", seconds=30, cancel=cancel)
    assert result.samples == 0 and result.seconds < 5


def test_a_battery_is_a_chemistry_with_its_cells_and_capacity():
    """Serial and CAN ask for the whole battery; a log's is the file's, or all of it given."""
    assert Connection("jk", "/dev/ttyUSB0", values={"cells": "0", "capacity_ah": "-5"}).problems()[
        :3
    ] == [
        "Chemistry is required",
        "Series cells must be 1 or more, not '0'",
        "Capacity must be a positive number, not '-5'",
    ]
    assert Connection("file", "/x.csv").problems() == []
    assert Connection("file", "/x.csv", values={"cells": "16"}).problems() == [
        "choose a chemistry for Series cells"
    ]
    assert Connection("file", "/x.csv", values={"chemistry": "lfp"}).problems() == [
        "Series cells is required with a chemistry",
        "Capacity is required with a chemistry",
    ]
    url = "serial:///dev/ttyUSB0?protocol=vedirect&chemistry=lfp&cells=16&capacity_ah=100"
    assert parse_connection(url).problems() == []
    spec = create_source(url).spec
    assert (spec.chemistry.value, spec.series_cells, spec.capacity_ah) == ("lfp", 16, 100.0)
