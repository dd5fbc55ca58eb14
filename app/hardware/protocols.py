"""The catalogue of what Battery OS can connect to, and the source URLs it builds.

Qt-free, so the GUI's connection dialog and the CLI read the same list:
each :class:`Protocol` names its transport (simulator, serial, CAN, log
file), a human label and its URL parameters (:class:`Param`: type, default,
choices, help). :class:`Connection` is one filled-in choice; its
:meth:`~Connection.url` and :func:`parse_connection` are inverse::

    >>> url = "serial:///dev/ttyUSB0?protocol=daly&chemistry=lfp&cells=16&capacity_ah=100"
    >>> parse_connection(url).url() == url
    True

Parameters the catalogue does not know are kept in :attr:`Connection.extra`
and written back after the known ones, so a URL for a newer source survives
a trip through the dialog. Whether a source for a URL is installed is the
registry's business (:func:`app.hardware.registry.create_source`), not this
module's.

:func:`detect_serial_ports` and :func:`detect_can_configs` list the adapters
on this machine; they can take seconds (python-can asks every driver), so
callers with a GUI run them off the GUI thread.
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import quote, unquote, urlencode

from app.core import schema
from app.core.errors import SourceError
from app.core.limits import LIMITS_BY_FIELD
from app.core.spec import Chemistry
from app.hardware.registry import parse_source_url
from app.hardware.simulator.faults import FaultKind
from app.hardware.simulator.profiles import PROFILES


class Transport(StrEnum):
    """How a source is reached; the value is the URL scheme."""

    SIMULATOR = "sim"
    SERIAL = "serial"
    CAN = "can"
    FILE = "file"

    @property
    def label(self) -> str:
        return _TRANSPORT_LABELS[self]


_TRANSPORT_LABELS = {
    Transport.SIMULATOR: "Simulator",
    Transport.SERIAL: "Serial",
    Transport.CAN: "CAN",
    Transport.FILE: "Log file",
}


class ParamKind(StrEnum):
    INT = "int"
    FLOAT = "float"
    TEXT = "text"
    CHOICE = "choice"  #: one of :attr:`Param.choices`
    PATH = "path"  #: a file on this machine


@dataclass(frozen=True)
class Param:
    """One URL parameter of a protocol. Values are URL text (``"9600"``), never parsed numbers,
    so what the user typed is what the URL says."""

    name: str
    label: str
    kind: ParamKind
    #: What the source uses when the URL leaves the parameter out (None: it
    #: derives one, e.g. from the chemistry preset, or there is none).
    default: str | None = None
    help: str = ""
    #: CHOICE: the allowed values. Other kinds: common values to pick from.
    choices: tuple[str, ...] = ()
    required: bool = False
    #: The dialog asks for it before connecting, but the URL may leave it out (the
    #: source then falls back, e.g. to a chemistry preset): never written empty.
    needed: bool = False
    #: Written to the URL even at its default: a setting worth seeing (a baud rate).
    always: bool = False
    #: What a new form shows (None: the default).
    initial: str | None = None
    unit: str = ""
    #: PATH: the file types a file picker offers, Qt filter syntax.
    file_filter: str = ""
    #: PATH: the source writes this file (a picker asks where to save), not reads it.
    writes: bool = False
    #: What an empty value means, in words ("preset", "none"); forms show it greyed.
    blank: str = ""
    #: INT, FLOAT: the value must be above zero (a resistance, a cell count).
    positive: bool = False
    #: FLOAT: a battery limit (:data:`app.core.limits.LIMITS`, by name): checked as the
    #: CLI's option is (a millivolt or a pack's voltage typed for a cell's volts).
    limit: bool = False

    @property
    def start_value(self) -> str:
        """The text a fresh form shows."""
        value = self.initial if self.initial is not None else self.default
        return value or ""

    def in_url(self, text: str) -> bool:
        """Whether ``text`` is written to the URL.

        Empty values and source defaults are left out; a required parameter is
        written even empty (``dbc=``), so the URL still says what it needs.
        """
        return self.required or (bool(text) and (self.always or text != self.default))

    def problem(self, text: str) -> str | None:
        """What is wrong with ``text`` as this parameter's value, or None."""
        if not text:
            return f"{self.label} is required" if self.required or self.needed else None
        if self.kind is ParamKind.INT:
            if not re.fullmatch(r"[+-]?\d+", text):
                return f"{self.label} must be a whole number, not {text!r}"
            if self.positive and int(text) < 1:
                return f"{self.label} must be 1 or more, not {text!r}"
        if self.kind is ParamKind.FLOAT:
            try:
                value = float(text)
            except ValueError:
                return f"{self.label} must be a number, not {text!r}"
            if self.positive and not 0 < value < math.inf:
                return f"{self.label} must be a positive number, not {text!r}"
            if self.limit and (problem := LIMITS_BY_FIELD[self.name].problem(value)):
                return f"{self.label} {text} {self.unit} {problem}".replace("  ", " ")
        if self.kind is ParamKind.CHOICE and text not in self.choices:
            return f"{self.label} must be one of {', '.join(self.choices)}"
        return None


@dataclass(frozen=True)
class Protocol:
    """A kind of source: its transport, its label and its URL parameters."""

    name: str
    transport: Transport
    label: str
    params: tuple[Param, ...] = ()
    help: str = ""
    #: The URL says ``protocol=<name>`` (serial, CAN); False where the scheme
    #: alone says it (sim, file) or a parameter does (``dbc=``).
    in_query: bool = True
    #: The battery's parameters (:data:`SIMULATED_BATTERY`, :data:`CONNECTED_BATTERY`,
    #: :data:`LOGGED_BATTERY`): the same for every protocol of a transport, so the
    #: dialog shows them once per tab.
    battery: tuple[Param, ...] = ()

    @property
    def all_params(self) -> tuple[Param, ...]:
        """The battery's parameters, then the protocol's own: the order of the URL."""
        return self.battery + self.params

    def param(self, name: str) -> Param:
        for param in self.all_params:
            if param.name == name:
                return param
        raise KeyError(name)

    @property
    def param_names(self) -> frozenset[str]:
        """The URL parameters this protocol knows (``protocol`` included where the URL says it)."""
        return frozenset(p.name for p in self.all_params) | (
            {"protocol"} if self.in_query else frozenset()
        )


# --- the catalogue ------------------------------------------------------------

BAUD_RATES = ("1200", "2400", "4800", "9600", "19200", "38400", "57600", "115200", "230400")
CAN_BITRATES = ("125000", "250000", "500000", "1000000")
#: python-can interfaces offered by name; any other python-can interface can be typed.
CAN_INTERFACES = ("socketcan", "pcan", "kvaser", "vector", "slcan", "gs_usb", "virtual")
CHEMISTRIES = tuple(c.value for c in Chemistry)
LOG_FILE_FILTER = (
    "Log files (*.csv *.txt *.xlsx *.xls *.res *.mpt *.ndax *.nda *.log);;All files (*)"
)
_RAW_CAN_LOG = Param(
    "log",
    "Raw CAN log",
    ParamKind.PATH,
    help="Also write every received frame to this file (.asc, .blf, .log, .csv); empty: no log",
    blank="none",
    file_filter="CAN logs (*.asc *.blf *.log *.csv);;All files (*)",
    writes=True,
)


def _baud(default: str, *, always: bool) -> Param:
    return Param(
        "baud",
        "Baud rate",
        ParamKind.INT,
        default=default,
        choices=BAUD_RATES,
        always=always,
        unit="baud",
        help=f"Serial line speed (the device's usual rate is {default})",
    )


def _invert_current(help: str) -> Param:
    return Param(
        "invert_current",
        "Invert current",
        ParamKind.CHOICE,
        default="0",
        choices=("0", "1"),
        help=help,
    )


def _bitrate() -> Param:
    return Param(
        "bitrate",
        "Bit rate",
        ParamKind.INT,
        default="500000",
        choices=CAN_BITRATES,
        always=True,
        unit="bit/s",
        help="CAN bus bit rate; every node on the bus uses the same",
    )


def _cells(**options) -> Param:
    return Param(
        "cells", "Series cells", ParamKind.INT, positive=True, help="Cells in series", **options
    )


def _capacity(help_text: str, **options) -> Param:
    return Param(
        "capacity_ah", "Capacity", ParamKind.FLOAT, unit="Ah", positive=True, help=help_text,
        **options,
    )  # fmt: skip


_BOL_RESISTANCE = Param(
    "bol_resistance_ohm",
    "R new (cell)",
    ParamKind.FLOAT,
    unit="Ω",
    help="Resistance of one new cell in ohm (fitted R0 at 25 °C; 15 mΩ is 0.015): "
    "what the resistance SOH is judged against; empty: the chemistry's typical "
    "value, a guess",
    blank="chemistry typical",
    positive=True,
)


def _cell_voltage_limits(blank: str) -> tuple[Param, Param]:
    """A cell's voltage window, as ``--cell-v-min`` and ``--cell-v-max``: low end first,
    as a range reads. ``blank``: whose limits an empty field leaves."""
    said = (
        "; the safety check, the faults and the OCV table's fit are judged against it; "
        f"empty: {blank}"
    )
    return (
        Param(
            "cell_v_min", "Cell V min", ParamKind.FLOAT, unit="V", blank=blank, limit=True,
            help="Discharge cut-off of one cell, in volts (as --cell-v-min)" + said,
        ),
        Param(
            "cell_v_max", "Cell V max", ParamKind.FLOAT, unit="V", blank=blank, limit=True,
            help="Charge limit of one cell, in volts (as --cell-v-max; a 4.7 V high-voltage "
            "cell's own)" + said,
        ),
    )  # fmt: skip


CHEMISTRY_HELP = "The cell chemistry: its preset gives the OCV curve, voltage limits and model"
#: The cell's OCV table and the current it was measured at (``--ocv-table``,
#: ``--ocv-table-current-c``): the same two on every tab, as on the Logs page.
OCV_TABLE = (
    Param(
        "ocv_table",
        "OCV table",
        ParamKind.PATH,
        help="OCV table of one cell: a CSV with columns soc_percent,ocv_v (as --ocv-table); "
        "empty: the chemistry preset's OCV curve",
        blank="chemistry preset",
        file_filter="OCV tables (*.csv);;All files (*)",
    ),
    Param(
        "ocv_table_current_c",
        "Measured at",
        ParamKind.FLOAT,
        unit="C",
        help="The current the OCV table was measured at, in C, charging positive (a C/50 "
        "discharge: -0.02; points at rest: 0), as --ocv-table-current-c; empty: not known",
        blank="not known",
    ),
)


def param_named(name: str) -> Param:
    """The battery parameter ``name`` of the catalogue (as the log files' battery has
    it): the one label, help and check of it for every form that asks for it."""
    return next(p for p in LOGGED_BATTERY if p.name == name)


#: The simulated pack: its chemistry is the URL's host (sim://lfp), the rest is optional.
SIMULATED_BATTERY = (
    _cells(initial="4"),
    _capacity("Capacity of one cell; empty: the chemistry preset's", blank="preset"),
    _BOL_RESISTANCE,
    *_cell_voltage_limits("preset"),
    *OCV_TABLE,
)
#: A BMS or battery monitor: the diagnostics' battery must be said, a preset's
#: single 2.5 Ah cell would be far off (:func:`app.hardware.registry.battery_from_url`).
CONNECTED_BATTERY = (
    Param(
        "chemistry", "Chemistry", ParamKind.CHOICE, choices=CHEMISTRIES, needed=True,
        help=CHEMISTRY_HELP,
    ),
    _cells(needed=True),
    _capacity("Capacity of one cell (of one parallel string)", needed=True),
    _BOL_RESISTANCE,
    *_cell_voltage_limits("preset"),
    *OCV_TABLE,
)  # fmt: skip
#: A log file: empty is the battery the file names; given, it replaces the file's.
LOGGED_BATTERY = (
    Param(
        "chemistry", "Chemistry", ParamKind.CHOICE, choices=CHEMISTRIES, blank="the file's",
        help=CHEMISTRY_HELP + "; empty: the battery the file names",
    ),
    _cells(blank="the file's"),
    _capacity("Capacity of one cell; empty: the file's", blank="the file's"),
    _BOL_RESISTANCE,
    *_cell_voltage_limits("the file's"),
    *OCV_TABLE,
)  # fmt: skip


SIMULATOR = Protocol(
    "sim",
    Transport.SIMULATOR,
    "Simulated pack",
    (
        Param(
            "profile",
            "Load profile",
            ParamKind.CHOICE,
            default="cycle",
            choices=PROFILES,
            always=True,
            help="cycle: 1C discharge / CC-CV charge; drive: urban drive; cc, cccv, hppc, rest",
        ),
        Param(
            "speed",
            "Speed",
            ParamKind.FLOAT,
            default="1",
            choices=("0", "1", "10", "60"),
            always=True,
            unit="× real time",
            help="Simulated seconds per second: 1 real time, 0 as fast as possible",
        ),
        Param("rate_hz", "Sample rate", ParamKind.FLOAT, default="10", unit="Hz"),
        Param(
            "soc",
            "Initial SOC",
            ParamKind.FLOAT,
            unit="%",
            help="Empty: where the profile starts",
            blank="profile's",
        ),
        Param(
            "noise",
            "Sensor noise",
            ParamKind.FLOAT,
            default="0",
            choices=("0", "1", "2"),
            help="0 off, 1 typical BMS noise, 2 twice that",
        ),
        Param(
            "fault",
            "Fault",
            ParamKind.TEXT,
            choices=tuple(k.value for k in FaultKind),
            help="Inject a fault (several separated by commas); empty: none",
            blank="none",
        ),
        Param("fault_at", "Fault onset", ParamKind.FLOAT, default="0", unit="s"),
        Param(
            "duration",
            "Duration",
            ParamKind.FLOAT,
            unit="s",
            help="Empty: endless",
            blank="endless",
        ),
    ),
    help="A simulated battery pack (equivalent-circuit model), for trying things without hardware",
    in_query=False,
    battery=SIMULATED_BATTERY,
)

LOG_FILE = Protocol(
    "file",
    Transport.FILE,
    "Log file",
    (
        Param(
            "speed",
            "Replay speed",
            ParamKind.FLOAT,
            default="0",
            choices=("0", "1", "10"),
            unit="× real time",
            help="0 loads the whole file at once; 1 replays it in real time",
        ),
        _invert_current(
            "Yes for a log that counts discharge as positive (Battery OS counts "
            "charging as positive; the connection panel warns when the voltage says so)"
        ),
    ),
    help="A cycler, BMS or Battery OS log (CSV, Excel, Arbin, BioLogic, Neware …)",
    in_query=False,
    battery=LOGGED_BATTERY,
)

VEDIRECT = Protocol(
    "vedirect",
    Transport.SERIAL,
    "Victron VE.Direct",
    (_baud("19200", always=False),),
    help="Victron battery monitors (BMV, SmartShunt) and chargers, VE.Direct text protocol",
    battery=CONNECTED_BATTERY,
)

DALY = Protocol(
    "daly",
    Transport.SERIAL,
    "Daly BMS",
    (
        _baud("9600", always=True),
        Param(
            "poll_s",
            "Poll interval",
            ParamKind.FLOAT,
            default="1",
            always=True,
            unit="s",
            help="How often the BMS is asked for its readings",
        ),
        _invert_current(
            "Yes for firmwares that count charging below the 30000 offset (the plot "
            "shows charging as negative otherwise)"
        ),
    ),
    help="Daly smart BMS over its UART/USB port (request-response)",
    battery=CONNECTED_BATTERY,
)

JK = Protocol(
    "jk",
    Transport.SERIAL,
    "JK BMS",
    (_baud("115200", always=True),),
    help="JK (Jikong) BMS over its RS485/UART port",
    battery=CONNECTED_BATTERY,
)

LINE = Protocol(
    "line",
    Transport.SERIAL,
    "Generic line protocol",
    (
        _baud("115200", always=True),
        Param(
            "mapping",
            "Mapping",
            ParamKind.TEXT,
            required=True,
            help="Name of the mapping from the device's text fields to the sample columns",
        ),
    ),
    help="One reading per text line (an Arduino, a data logger): fields mapped to columns",
    battery=CONNECTED_BATTERY,
)

PYLONTECH = Protocol(
    "pylontech",
    Transport.CAN,
    "Pylontech (BMS to inverter)",
    (
        _bitrate(),
        Param(
            "byte_order",
            "Byte order",
            ParamKind.TEXT,
            choices=("little", "big"),
            help="Byte order of the frames' values; empty: the protocol's own",
            blank="protocol's",
        ),
        _RAW_CAN_LOG,
    ),
    help="The BMS-to-inverter CAN protocol most LFP packs speak (0x351, 0x355, 0x356 …)",
    battery=CONNECTED_BATTERY,
)

DBC = Protocol(
    "dbc",
    Transport.CAN,
    "Any BMS with a DBC file",
    (
        Param(
            "dbc",
            "DBC file",
            ParamKind.PATH,
            required=True,
            help="The CAN database describing the pack's frames and signals",
            file_filter="CAN databases (*.dbc);;All files (*)",
        ),
        Param(
            "mapping",
            "Signal mapping",
            ParamKind.TEXT,
            help="Name of a saved mapping of the DBC's signals to the sample columns "
            "(Map signals… makes one); empty: suggested from the traffic",
            blank="suggested",
        ),
        _bitrate(),
        _RAW_CAN_LOG,
    ),
    help="Decode the bus with a DBC file: signals are matched to voltage, current, cells …",
    in_query=False,
    battery=CONNECTED_BATTERY,
)

PROTOCOLS: tuple[Protocol, ...] = (SIMULATOR, VEDIRECT, DALY, JK, LINE, PYLONTECH, DBC, LOG_FILE)


def protocols_for(transport: Transport) -> list[Protocol]:
    """The protocols of ``transport``, in catalogue order."""
    return [p for p in PROTOCOLS if p.transport is transport]


def protocol_named(name: str) -> Protocol:
    for p in PROTOCOLS:
        if p.name == name:
            return p
    raise SourceError(f"unknown protocol {name!r} (known: {', '.join(p.name for p in PROTOCOLS)})")


# --- connections and their URLs -------------------------------------------------


@dataclass(frozen=True)
class Connection:
    """One filled-in choice of the catalogue; :meth:`url` is its source URL.

    ``device`` is what the transport connects to: the chemistry of the
    simulator, a serial port, a CAN channel, a file path. ``interface`` is the
    python-can interface (CAN only).
    """

    protocol: str
    device: str
    interface: str = ""
    values: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def spec(self) -> Protocol:
        return protocol_named(self.protocol)

    def problems(self) -> list[str]:
        """What must be fixed before this connection can be tried (empty: nothing)."""
        proto = self.spec
        found = []
        if not self.device:
            found.append(f"choose {_DEVICE_WORDS[proto.transport]}")
        if proto.transport is Transport.CAN and not self.interface:
            found.append("choose a CAN interface")
        given = self._given()
        for param in proto.all_params:
            problem = param.problem(given.get(param.name, ""))
            if problem:
                found.append(problem)
        # (the simulator's chemistry is its device: sim://lfp)
        chemistry = self.device if proto.transport is Transport.SIMULATOR else ""
        window = _voltage_window_problem(proto, given, given.get("chemistry") or chemistry)
        return (
            found + _battery_problems(proto, given) + ([window] if window else [])
            + self.given_twice()
        )  # fmt: skip

    def _given(self) -> dict[str, str]:
        """The catalogue parameters' values: the form's, and where it gives none, ``extra``'s."""
        given = dict(self.values)
        for param in self.spec.all_params:
            if not given.get(param.name) and self.extra.get(param.name):
                given[param.name] = self.extra[param.name]
        return given

    def _form_text(self, name: str) -> str:
        """What the form gives for URL parameter ``name`` ("": nothing)."""
        return self.spec.name if name == "protocol" else self.values.get(name, "")

    def _twice(self) -> list[tuple[str, str, str]]:
        """(name, the form's value, the extra's) of each parameter the form and ``extra``
        (the dialog's *More parameters*) both give, with different values."""
        proto = self.spec
        found = []
        for name, text in self.extra.items():
            ours = self._form_text(name) if name in proto.param_names else ""
            if ours and text and not _same_text(proto, name, ours, text):
                found.append((name, ours, text))
        return found

    def given_twice(self) -> list[str]:
        """A line for each parameter the form and *More parameters* both give, differently:
        which one is meant is the user's to say (the URL carries both, and is refused)."""
        proto = self.spec
        return [
            f"{'Protocol' if name == 'protocol' else proto.param(name).label} is {ours} in "
            f"the form but {text} in More parameters ({name}=): which is meant? Clear one"
            for name, ours, text in self._twice()
        ]

    def url(self) -> str:
        """The source URL: ``protocol`` first, then the catalogue's parameters in order, then
        extra. A catalogue parameter in extra is written only where the form gives none, or
        another value: then twice, which the registry refuses (:meth:`given_twice`)."""
        proto = self.spec
        query: list[tuple[str, str]] = []
        if proto.in_query:
            query.append(("protocol", proto.name))
        for param in proto.all_params:
            text = self.values.get(param.name, "")
            if param.in_url(text):
                query.append((param.name, text))
        twice = {name: ours for name, ours, _text in self._twice()}
        for name, text in self.extra.items():
            if name in twice:
                if (name, twice[name]) not in query:  # the form's, left out as the default
                    query.append((name, twice[name]))
            elif name in proto.param_names and self._form_text(name):
                continue  # the same as the form's
            query.append((name, text))
        head = _url_head(proto.transport, self.device, self.interface)
        return head + ("?" + urlencode(query, safe="/:,", quote_via=quote) if query else "")


def _same_text(proto: Protocol, name: str, a: str, b: str) -> bool:
    """Whether two values of parameter ``name`` say the same (``100`` and ``100.0`` do)."""
    numeric = name != "protocol" and proto.param(name).kind in (ParamKind.INT, ParamKind.FLOAT)
    if numeric:
        try:
            return float(a) == float(b)
        except ValueError:
            pass
    return a == b


def _battery_problems(proto: Protocol, values: dict[str, str]) -> list[str]:
    """A battery named by URL parameters is a chemistry with its cells and capacity, or
    none of them (:func:`app.hardware.registry.battery_from_url` does not guess the rest)."""
    sizes = [p for p in proto.battery if p.name in _BATTERY_SIZE]
    if values.get("ocv_table_current_c") and not values.get("ocv_table"):
        return ["Measured at is the OCV table's current: choose the OCV table, or clear it"]
    if not any(p.name == "chemistry" for p in proto.battery):
        return []
    if values.get("chemistry"):
        return [
            f"{p.label} is required with a chemistry"
            for p in sizes
            if not p.needed and not values.get(p.name)
        ]
    given = [p.label for p in sizes if values.get(p.name)]
    return [f"choose a chemistry for {' and '.join(given)}"] if given else []


def _voltage_window_problem(proto: Protocol, values: dict[str, str], chemistry: str) -> str | None:
    """A Cell V min not below the Cell V max, given or the chemistry preset's (a file's
    own limits are not known here: its source says)."""
    if "cell_v_min" not in proto.param_names:
        return None
    given = []
    for name in ("cell_v_min", "cell_v_max"):
        try:
            given.append(float(values.get(name) or "nan"))
        except ValueError:
            return None  # (said by the field's own check)
    low, high = given
    if math.isnan(low) != math.isnan(high) and chemistry in CHEMISTRIES:
        from app.core.spec import PRESETS

        base = PRESETS[Chemistry(chemistry)]
        whose = f" (the {chemistry} preset's)"
        whose_low = whose if math.isnan(low) else ""
        whose_high = whose if math.isnan(high) else ""
        low = base.cell_v_min if math.isnan(low) else low
        high = base.cell_v_max if math.isnan(high) else high
    else:
        whose_low = whose_high = ""
    if math.isnan(low) or math.isnan(high) or low < high:
        return None
    return f"Cell V min {low:g} V{whose_low} must be below Cell V max {high:g} V{whose_high}"


#: What a battery's size is besides its chemistry: the preset's would be a single cell.
_BATTERY_SIZE = ("cells", "capacity_ah")

_DEVICE_WORDS = {
    Transport.SIMULATOR: "a chemistry",
    Transport.SERIAL: "a serial port",
    Transport.CAN: "a CAN channel",
    Transport.FILE: "a log file",
}


def _url_head(transport: Transport, device: str, interface: str) -> str:
    path = quote(device, safe="/:~")
    if transport is Transport.CAN:
        # can://socketcan/can0, can://slcan/dev/ttyACM0 (a device path keeps its slash)
        return f"can://{quote(interface, safe='')}{'' if device.startswith('/') else '/'}{path}"
    return f"{transport.value}://{path}"


def parse_connection(url: str) -> Connection:
    """The catalogue choice a URL names.

    Raises :class:`SourceError` if ``url`` is not a source URL, or names a
    scheme or protocol the catalogue does not know (the registry may still
    know it: a third-party source).
    """
    parsed = parse_source_url(url.strip())
    try:
        transport = Transport(parsed.scheme)
    except ValueError:
        known = ", ".join(t.value for t in Transport)
        raise SourceError(
            f"{url}: the connection catalogue has no {parsed.scheme!r} sources (known: {known})"
        ) from None
    params = dict(parsed.params)
    interface = ""
    if transport is Transport.CAN:
        interface = unquote(parsed.host)
        channel = parsed.path[1:] if parsed.path.startswith("/") else parsed.path
        device = unquote(parsed.path if "/" in channel else channel)
    else:
        device = parsed.target
    if transport is Transport.SIMULATOR:
        proto = SIMULATOR
    elif transport is Transport.FILE:
        proto = LOG_FILE
    else:
        name = params.pop("protocol", None)
        named = [p for p in protocols_for(transport) if p.in_query and p.name == name]
        if named:
            proto = named[0]
        elif name is None and transport is Transport.CAN and "dbc" in params:
            proto = DBC
        else:
            known = ", ".join(p.name for p in protocols_for(transport) if p.in_query)
            if transport is Transport.CAN:
                known += ", or dbc=FILE"
            what = f"unknown protocol {name!r}" if name else "no protocol"
            raise SourceError(f"{url}: {what} for {transport.label} (known: {known})")
    values = {p.name: params.pop(p.name) for p in proto.all_params if p.name in params}
    return Connection(proto.name, device, interface, values, params)


# --- detection ----------------------------------------------------------------


@dataclass(frozen=True)
class DetectedDevice:
    """An adapter found on this machine: a serial port, or a CAN interface and channel."""

    transport: Transport
    device: str  #: serial port, or CAN channel
    interface: str = ""  #: python-can interface (CAN only)
    description: str = ""

    @property
    def label(self) -> str:
        name = f"{self.interface} · {self.device}" if self.interface else self.device
        return f"{name} — {self.description}" if self.description else name


#: Interfaces python-can is asked about. Left out: its own "serial" framing
#: (not a BMS adapter) and "udp_multicast" (a network bus, not hardware).
CAN_DETECT_INTERFACES = (
    "socketcan",
    "pcan",
    "kvaser",
    "vector",
    "gs_usb",
    "ixxat",
    "neovi",
    "nixnet",
    "etas",
    "systec",
    "cantact",
    "canalystii",
    "virtual",
)
#: Serial ports whose description says they are a CAN adapter (slcan firmware).
_SLCAN_HINT = re.compile(r"\bCAN|canable|slcan|usbtin|lawicel", re.IGNORECASE)


def detect_serial_ports() -> list[DetectedDevice]:
    """Serial ports on this machine, sorted by device name (may take a moment)."""
    from serial.tools import list_ports

    found = []
    for port in sorted(list_ports.comports(), key=lambda p: p.device):
        details = [d for d in (port.description, port.hwid) if d and d != "n/a"]
        if port.description and port.description == port.device:
            details = details[1:]
        found.append(DetectedDevice(Transport.SERIAL, port.device, "", " · ".join(details)))
    return found


def detect_can_configs() -> list[DetectedDevice]:
    """CAN channels python-can finds, plus serial ports that look like slcan adapters.

    Slow (python-can loads every driver): seconds, not milliseconds.
    """
    import can

    try:
        configs = can.detect_available_configs(interfaces=list(CAN_DETECT_INTERFACES))
    except Exception as exc:  # a broken driver must not hide the others' ports
        raise SourceError(f"detecting CAN interfaces failed: {exc}") from exc
    found = [
        DetectedDevice(
            Transport.CAN,
            str(config.get("channel", "")),
            str(config.get("interface", "")),
            "virtual bus (this computer only)" if config.get("interface") == "virtual" else "",
        )
        for config in configs
    ]
    for port in detect_serial_ports():
        if _SLCAN_HINT.search(port.description):
            found.append(DetectedDevice(Transport.CAN, port.device, "slcan", port.description))
    # real adapters first, the virtual bus last
    return sorted(found, key=lambda d: (d.interface == "virtual", d.interface, d.device))


# --- trying a connection ----------------------------------------------------------


@dataclass(frozen=True)
class ProbeResult:
    """What :func:`probe_source` saw: samples, the newest values, the frame counters."""

    url: str
    samples: int
    seconds: float
    latest: dict[str, float]  #: newest value of each column
    health: dict  #: :meth:`SourceHealth.snapshot` at the end

    @property
    def ok(self) -> bool:
        return self.samples > 0

    @property
    def cells_seen(self) -> int:
        """How many cell voltages the source sent (a BMS's own cell count): a cell
        column with no reading (a DBC's unused cell slot) is not a cell."""
        return sum(
            1
            for c, v in self.latest.items()
            if schema.CELL_VOLTAGE_RE.match(c) and v is not None and v == v  # not NaN
        )

    @property
    def battery_mismatch(self) -> str | None:
        """The source sends another number of cells than the URL's ``cells=`` (which the
        diagnostics use, :func:`~app.hardware.registry.battery_from_url`), in words."""
        said = parse_source_url(self.url).params.get("cells", "")
        seen = self.cells_seen
        if seen and said.isdigit() and int(said) != seen:
            return f"{seen} cells, not the {said} given as series cells"
        return None

    def summary(self) -> str:
        """One line for a person: ``OK: 30 samples in 3.0 s · V=14.83 V · I=-5.00 A …``."""
        if not self.ok:
            text = f"Connected, but no samples within {self.seconds:.1f} s"
            return text + self._frames(", check the protocol and its settings")
        parts = [f"OK: {self.samples:,} samples in {self.seconds:.1f} s"]
        for column, fmt in _PROBE_FIELDS:
            if column in self.latest and self.latest[column] == self.latest[column]:  # not NaN
                parts.append(fmt.format(self.latest[column]))
        if self.cells_seen:
            parts.append(self.battery_mismatch or f"{self.cells_seen} cells")
        return " · ".join(parts) + self._frames("")

    def _frames(self, hint: str) -> str:
        bad, unknown = self.health.get("frames_bad", 0), self.health.get("frames_unknown", 0)
        if not (bad or unknown or self.health.get("frames_ok", 0) or self.health.get("bytes_in")):
            return hint
        text = (
            f" · frames: {self.health.get('frames_ok', 0):,} ok, {bad:,} bad, "
            f"{unknown:,} unknown, {self.health.get('bytes_in', 0):,} bytes"
        )
        if (bad or unknown) and self.health.get("last_error"):
            text += f" (last: {self.health['last_error']})"
        return text + hint


_PROBE_FIELDS = (
    (schema.VOLTAGE, "V={:.3f} V"),
    (schema.CURRENT, "I={:+.2f} A"),
    (schema.TEMPERATURE, "T={:.1f} °C"),
    (schema.SOC_REPORTED, "SOC={:.0f} %"),
)


def probe_source(
    url: str,
    *,
    seconds: float = 3.0,
    max_samples: int = 1000,
    cancel: threading.Event | None = None,
) -> ProbeResult:
    """Open the source at ``url``, read for up to ``seconds`` (or ``max_samples``), close it.

    Blocks: run it off the GUI thread. Raises :class:`SourceError` when the
    URL is bad, no source handles it or the device does not open or fails;
    returns a result with ``samples == 0`` when it opened but stayed silent.
    ``cancel`` ends the reading early (the source is still closed).
    """
    from app.hardware.registry import create_source

    cancel = cancel or threading.Event()
    source = create_source(url)
    start = time.monotonic()
    samples, latest = 0, {}
    source.open()
    try:
        while not cancel.is_set() and samples < max_samples:
            left = seconds - (time.monotonic() - start)
            if left <= 0:
                break
            block = source.read(min(0.1, left))
            if block is None:
                if source.exhausted:
                    break
                continue
            if len(block):
                samples += len(block)
                latest = {name: float(values[-1]) for name, values in block.items()}
    finally:
        source.close()
    return ProbeResult(url, samples, time.monotonic() - start, latest, source.health.snapshot())
