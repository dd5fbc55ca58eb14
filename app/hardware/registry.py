"""Source URLs and the registry that maps them to source classes.

``sim://nmc?cells=4&capacity_ah=50``, ``serial:///dev/ttyUSB0?protocol=vedirect``,
``can://socketcan/can0?protocol=pylontech``, ``file:///data/cell7.csv``.

The registry maps a scheme (and for serial/CAN, a protocol) to a
``"module:Class"`` string that is imported only when used. Third parties add
sources through the ``batteryos.sources`` entry-point group, named
``scheme`` or ``scheme+protocol``.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from urllib.parse import parse_qsl, unquote, urlsplit

from app.core.errors import BatteryOSError, SourceError
from app.core.limits import LIMITS
from app.core.spec import (
    MAX_RESISTANCE_OHM,
    MIN_RESISTANCE_OHM,
    PRESETS,
    BatterySpec,
    Chemistry,
    check_ocv_table,
    load_ocv_table,
    preset,
)

_REGISTRY: dict[str, str] = {
    "sim": "app.hardware.simulator.source:SimulatorSource",
    "file": "app.hardware.file_source:FileSource",
    "can": "app.hardware.can.source:CanSource",
    "can+pylontech": "app.hardware.can.source:CanSource",
    "can+dbc": "app.hardware.can.source:CanSource",
    "serial+vedirect": "app.hardware.serial.vedirect:VEDirectSource",
    "serial+daly": "app.hardware.serial.daly:DalySource",
    "serial+jk": "app.hardware.serial.jk:JKSource",
    "serial+line": "app.hardware.serial.line:LineSource",
}


@dataclass(frozen=True)
class SourceURL:
    """A parsed source URL."""

    raw: str
    scheme: str
    host: str
    path: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def target(self) -> str:
        """Host and path joined: the device, chemistry or file the URL names."""
        return unquote(self.host + self.path)

    def pop_float(self, key: str, default: float | None = None) -> float | None:
        return _convert(self, key, float, default)

    def pop_int(self, key: str, default: int | None = None) -> int | None:
        return _convert(self, key, int, default)


def _convert(url: SourceURL, key: str, kind, default):
    if key not in url.params:
        return default
    raw = url.params[key]
    try:
        return kind(raw)
    except ValueError:
        raise SourceError(
            f"{url.raw}: parameter {key}={raw!r} is not a valid {kind.__name__}"
        ) from None


def url_capacity_ah(url: str) -> float | None:
    """The capacity the user wrote in a source URL (``capacity_ah=``), else None.

    Like ``--capacity-ah``, it is what end of life is measured against.
    """
    return parse_source_url(url).pop_float("capacity_ah")


#: The limits a URL gives over its battery's (its chemistry preset's, a file's), named as
#: the spec's fields: ``cell_v_max``, ``cell_v_min`` (V per cell), ``max_charge_current_c``,
#: ``max_discharge_current_c`` (C-rates), ``charge_temp_min_c``, ... (degC), as the CLI's
#: ``--cell-v-max``, ``--max-charge-c``, ... (:data:`app.core.limits.LIMITS`).
LIMIT_PARAMS = tuple(limit.field for limit in LIMITS)

#: ``capacity_lower_bound=1`` with ``capacity_ah=``: the capacity is only known to be at
#: least that (a guess from a partial charge, File ▸ Open's and the Logs page's), so the
#: current limits, C-rates of it, are not judged
#: (:attr:`~app.core.spec.BatterySpec.capacity_lower_bound`, the spec's field name).
CAPACITY_LOWER_BOUND_PARAM = "capacity_lower_bound"

#: The URL parameters of a live source that say which battery it is, as the CLI's
#: ``--chemistry``, ``--capacity-ah``, ``--cells``, ``--bol-resistance-ohm``, ``--ocv-table``,
#: ``--ocv-table-current-c`` and the limits (``--cell-v-max``, ...) do for a log (file://,
#: can://, serial://; sim:// names its chemistry as sim://lfp instead, and takes the rest).
BATTERY_PARAMS = (
    "chemistry",
    "capacity_ah",
    CAPACITY_LOWER_BOUND_PARAM,
    "cells",
    "bol_resistance_ohm",
    "ocv_table",
    "ocv_table_current_c",
    *LIMIT_PARAMS,
)


@dataclass(frozen=True)
class UrlOcvTable:
    """The OCV table a source URL names: ``ocv_table=`` a CSV of one cell's
    ``soc_percent,ocv_v`` (as ``--ocv-table``), read; ``ocv_table_current_c=`` the current
    it was measured at, C, charging positive (as ``--ocv-table-current-c``; None: not
    known)."""

    path: str
    soc_pct: tuple[float, ...]
    ocv_v: tuple[float, ...]
    current_c: float | None
    #: the source URL naming it (what its errors are said of)
    url: str = field(default="", compare=False)

    def over(self, spec: BatterySpec) -> BatterySpec:
        """``spec`` with this table (and its current) in place of its own; a
        :class:`SourceError` naming the URL and the table where the table cannot be one
        of ``spec``'s cells (another chemistry's, a pack's:
        :meth:`~app.core.spec.BatterySpec.with_ocv_table`)."""
        named = f"{self.url}: OCV table {self.path}" if self.url else f"OCV table {self.path}"
        try:
            return spec.with_ocv_table(
                self.soc_pct, self.ocv_v, current_c=self.current_c, named=named
            )
        except SourceError:
            raise
        except BatteryOSError as exc:
            raise SourceError(str(exc)) from None


def url_ocv_table_path(url: str) -> str | None:
    """The OCV table file a source URL names (``ocv_table=``), as written; None: none."""
    try:
        return parse_source_url(url).params.get("ocv_table") or None
    except SourceError:
        return None


def url_ocv_table(parsed: SourceURL) -> UrlOcvTable | None:
    """The OCV table the URL names, read and checked as ``--ocv-table`` is
    (:func:`~app.core.spec.load_ocv_table`); None when it names none. A current without
    a table, or one no OCV table is measured at, is a :class:`SourceError`."""
    path = parsed.params.get("ocv_table")
    current = parsed.pop_float("ocv_table_current_c")
    if not path:
        if current is not None:
            raise SourceError(
                f"{parsed.raw}: ocv_table_current_c needs the ocv_table it was measured for"
            )
        return None
    try:
        soc, ocv = load_ocv_table(path)
    except BatteryOSError as exc:
        # which file it is ("…/cell.csv: no such file" did not say)
        text = str(exc) if "OCV table" in str(exc) else f"OCV table {exc}"
        raise SourceError(f"{parsed.raw}: {text}") from None
    try:
        check_ocv_table(soc, ocv, current)  # the spec's checks of its current
    except BatteryOSError as exc:
        raise SourceError(f"{parsed.raw}: {exc}") from None
    return UrlOcvTable(path, tuple(soc), tuple(ocv), current, parsed.raw)


def url_bol_resistance_ohm(parsed: SourceURL) -> float | None:
    """The cell's beginning-of-life resistance the URL gives (``bol_resistance_ohm=``,
    ohm: what the resistance SOH compares with), else None."""
    value = parsed.pop_float("bol_resistance_ohm")
    if value is not None and not MIN_RESISTANCE_OHM <= value <= MAX_RESISTANCE_OHM:
        raise SourceError(
            f"{parsed.raw}: parameter bol_resistance_ohm={parsed.params['bol_resistance_ohm']} "
            f"is not a cell's resistance ({MIN_RESISTANCE_OHM:g} to {MAX_RESISTANCE_OHM:g} "
            "ohm; 15 mOhm is 0.015)"
        )
    return value


#: The limits that are a window: (its low end, its high end).
_LIMIT_PAIRS = (
    ("cell_v_min", "cell_v_max"),
    ("charge_temp_min_c", "charge_temp_max_c"),
    ("discharge_temp_min_c", "discharge_temp_max_c"),
)


def url_limits(parsed: SourceURL) -> dict[str, float]:
    """The limits the URL gives (:data:`LIMIT_PARAMS`), by field, checked as the CLI's
    options are (a millivolt value, a pack's voltage, 100C: a :class:`SourceError`
    naming the parameter); a ``cell_v_min`` not below the ``cell_v_max`` given with it
    too."""
    values: dict[str, float] = {}
    for limit in LIMITS:
        value = parsed.pop_float(limit.field)
        if value is None:
            continue
        if problem := limit.problem(value):
            unit = {"degC": " degC", "V": " V"}.get(limit.unit, "")
            raise SourceError(
                f"{parsed.raw}: parameter {limit.field}={parsed.params[limit.field]}{unit} "
                f"{problem}"
            )
        values[limit.field] = value
    for low, high in _LIMIT_PAIRS:
        if low in values and high in values and not values[low] < values[high]:
            raise SourceError(
                f"{parsed.raw}: {low}={parsed.params[low]} is not below {high}="
                f"{parsed.params[high]}: the limits are out of order"
            )
    return values


def url_chemistry(parsed: SourceURL) -> str | None:
    """The chemistry a source URL names, as written; None where it names none.

    ``sim://<chemistry>`` names it as its host (``sim://lfp``; the simulator takes
    ``nmc`` for ``sim://``); every other source as ``chemistry=``. The one place
    that knows which.
    """
    if parsed.scheme == "sim":
        return parsed.target.strip("/") or None
    return parsed.params.get("chemistry")


def url_capacity_lower_bound(parsed: SourceURL) -> bool:
    """Whether the URL says its ``capacity_ah`` is only a lower bound
    (``capacity_lower_bound=1``); 0 or none: the capacity is known. Not 0 or 1, or without
    the ``capacity_ah`` it bounds: a :class:`SourceError`."""
    key = CAPACITY_LOWER_BOUND_PARAM
    raw = parsed.params.get(key, "0")
    if raw not in ("0", "1"):
        raise SourceError(f"{parsed.raw}: parameter {key} must be 0 or 1, got {raw!r}")
    if raw == "1" and "capacity_ah" not in parsed.params:
        raise SourceError(f"{parsed.raw}: {key}=1 needs the capacity_ah it bounds")
    return raw == "1"


def url_battery_values(parsed: SourceURL) -> dict[str, object]:
    """The battery parameters (:data:`BATTERY_PARAMS`) the URL gives, by name, as values:
    a :class:`Chemistry`, ``capacity_ah`` and ``bol_resistance_ohm`` floats, ``cells`` an
    int, ``ocv_table`` a :class:`UrlOcvTable` (with its ``ocv_table_current_c``),
    ``capacity_lower_bound`` True where the URL says so. A
    parameter the URL leaves out is not in it (sim:// with no host names none)."""
    values: dict[str, object] = {}
    chemistry = url_chemistry(parsed)
    if chemistry is not None:
        try:
            values["chemistry"] = Chemistry.parse(chemistry)
        except BatteryOSError as exc:
            raise SourceError(f"{parsed.raw}: {exc}") from None
    for key, number in (
        ("capacity_ah", parsed.pop_float("capacity_ah")),
        ("cells", parsed.pop_int("cells")),
        ("bol_resistance_ohm", url_bol_resistance_ohm(parsed)),
    ):
        if number is not None:
            values[key] = number
    if url_capacity_lower_bound(parsed):
        values[CAPACITY_LOWER_BOUND_PARAM] = True
    values.update(url_limits(parsed))
    table = url_ocv_table(parsed)
    if table is not None:
        values["ocv_table"] = table
    return values


def with_url_battery(spec: BatterySpec, values: dict[str, object], url: str = "") -> BatterySpec:
    """``spec`` with the URL's battery ``values`` (:func:`url_battery_values`) of one cell
    over it: its ``bol_resistance_ohm``, its limits and its OCV table. The one place a
    source takes them, whichever battery they go over (the URL's preset, the caller's, a
    file's). The limits go first: the table is judged against the cells' limits given
    (a 3.9-4.7 V cell's table needs its ``cell_v_max``), as ``--ocv-table`` is. ``url``:
    the source URL, what an error is said of."""
    spec = spec.with_overrides(bol_resistance_ohm=values.get("bol_resistance_ohm"))
    limits = {key: values[key] for key in LIMIT_PARAMS if key in values}
    if limits:
        try:
            spec = spec.with_overrides(**limits)
        except BatteryOSError as exc:  # (one given, out of order with the battery's other)
            given = "&".join(f"{key}={value:g}" for key, value in limits.items())
            raise SourceError(f"{url + ': ' if url else ''}{given}: {exc}") from None
    if values.get(CAPACITY_LOWER_BOUND_PARAM):  # (after the capacity: a capacity given is
        # known, :meth:`~app.core.spec.BatterySpec.with_overrides`, unless the URL says)
        spec = spec.with_overrides(capacity_lower_bound=True)
    table = values.get("ocv_table")
    return table.over(spec) if isinstance(table, UrlOcvTable) else spec


def url_battery(parsed: SourceURL) -> BatterySpec | None:
    """The battery a source URL names itself: its chemistry's preset with the URL's
    ``capacity_ah`` and ``cells``, and its cell's values (:func:`with_url_battery`); None
    when it names no chemistry."""
    return _named_battery(parsed, url_battery_values(parsed))


def _named_battery(parsed: SourceURL, values: dict[str, object]) -> BatterySpec | None:
    if "chemistry" not in values:
        return None
    try:
        spec = preset(
            values["chemistry"],
            capacity_ah=values.get("capacity_ah"),
            series_cells=values.get("cells"),
        )
    except BatteryOSError as exc:
        raise SourceError(f"{parsed.raw}: {exc}") from None
    return with_url_battery(spec, values, parsed.raw)


def check_battery_agrees(parsed: SourceURL, spec: BatterySpec | None) -> None:
    """Raise :class:`SourceError` when the battery a caller gives with a source URL
    (``--chemistry``/``--cells``/... of ``serve``, ``create_source(url, spec)``) and the
    URL's own battery parameters disagree: both were given, so which is meant is the
    user's to say, not ours to guess. ``spec`` is the whole battery, so every parameter
    the URL gives must be its value; a resistance the spec leaves to the chemistry's
    typical value (None), an OCV table it leaves to the chemistry preset's, and the
    current of a table it does not state, are the URL's to give."""
    if spec is None:
        return
    given = {
        "chemistry": spec.chemistry,
        "capacity_ah": spec.capacity_ah,
        "cells": spec.series_cells,
        "bol_resistance_ohm": spec.bol_resistance_ohm,
        **_own_limits(spec),
    }
    for key, in_url in url_battery_values(parsed).items():
        if isinstance(in_url, UrlOcvTable):
            _check_table_agrees(parsed, spec, in_url)
            continue
        ours = given.get(key)
        if ours is None or _same(ours, in_url):
            continue
        option = next((lim.option for lim in LIMITS if lim.field == key), None)
        raise SourceError(
            f"{parsed.raw}: {key} is {_shown(in_url)} in the URL but {_shown(ours)} in the "
            f"battery given with it ({option or '--' + key.replace('_', '-')}): which is "
            "meant? Give it once, or the same in both"
        )


def _own_limits(spec: BatterySpec) -> dict[str, float]:
    """The limits of ``spec`` that are not its chemistry preset's for its capacity (the
    caller's own); those that are, a URL's limits may replace."""
    try:
        base = preset(spec.chemistry, capacity_ah=spec.capacity_ah)
    except BatteryOSError:
        base = PRESETS[spec.chemistry]
    full = spec.with_preset_defaults()
    return {
        key: getattr(full, key)
        for key in LIMIT_PARAMS
        if not _same(getattr(full, key), getattr(base, key))
    }


def _check_table_agrees(parsed: SourceURL, spec: BatterySpec, table: UrlOcvTable) -> None:
    ours = spec.ocv_table
    if ours != PRESETS[spec.chemistry].ocv_table and not (
        len(ours[0]) == len(table.soc_pct)
        and all(map(_same, ours[0] + ours[1], table.soc_pct + table.ocv_v))
    ):
        raise SourceError(
            f"{parsed.raw}: the OCV table is {table.path} in the URL but another in the "
            "battery given with it (--ocv-table): which is meant? Give it once, or the "
            "same in both"
        )
    rate = spec.ocv_table_current_c
    if rate is not None and table.current_c is not None and not _same(rate, table.current_c):
        raise SourceError(
            f"{parsed.raw}: ocv_table_current_c is {_shown(table.current_c)} in the URL but "
            f"{_shown(rate)} in the battery given with it (--ocv-table-current-c): which is "
            "meant? Give it once, or the same in both"
        )


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9)
    return a == b


def _shown(value) -> str:
    return value.value if isinstance(value, Chemistry) else f"{value:.12g}"


def battery_from_url(
    parsed: SourceURL, spec: BatterySpec | None, *, named_later: bool = False
) -> BatterySpec | None:
    """The battery of a source: the caller's ``spec``, else the chemistry preset the URL
    names with its ``capacity_ah`` and ``cells`` (None: neither says), with the URL's
    ``bol_resistance_ohm`` and OCV table (:data:`BATTERY_PARAMS`, :func:`with_url_battery`).
    These are the battery: what a BMS reports of its own (a Daly's cell count, a JK's
    capacity) does not replace them.

    Where the caller's ``spec`` and the URL both give a parameter they must agree:
    :func:`create_source` refuses them otherwise, for every source
    (:func:`check_battery_agrees`).

    ``capacity_ah`` or ``cells`` without ``chemistry`` is an error (they would be
    ignored).

    A ``bol_resistance_ohm`` or OCV table without a battery to belong to is an error,
    unless the source learns its battery later (``named_later``: a file names its own
    when it is opened, and takes them then, :func:`with_url_battery`)."""
    size = [key for key in ("capacity_ah", "cells") if key in parsed.params]
    if size and "chemistry" not in parsed.params:
        raise SourceError(
            f"{parsed.raw}: {' and '.join(size)} need the chemistry they belong to: add "
            "chemistry= (nmc, lfp, lead_acid)"
        )
    values = url_battery_values(parsed)
    if spec is None:
        spec = _named_battery(parsed, values)
    if spec is not None:
        return with_url_battery(spec, values, parsed.raw)
    cell = [key for key in ("bol_resistance_ohm", "ocv_table", *LIMIT_PARAMS) if key in values]
    if cell and not named_later:
        need = "need the battery they belong" if len(cell) > 1 else "needs the battery it belongs"
        raise SourceError(
            f"{parsed.raw}: {' and '.join(cell)} {need} to: add chemistry= (nmc, lfp, "
            "lead_acid), capacity_ah= and cells="
        )
    return None


def parse_source_url(url: str) -> SourceURL:
    """Split ``url``; raises :class:`SourceError` if it is not a source URL."""
    if not url or "://" not in url:
        raise SourceError(
            f"{url!r} is not a source URL (expected e.g. sim://nmc or file:///path.csv)"
        )
    parts = urlsplit(url)
    params: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in params:
            raise SourceError(
                f"{url}: parameter {key} given twice, {key}={params[key]} and {key}={value}: "
                "which is meant? Give it once"
            )
        params[key] = value
    return SourceURL(url, parts.scheme.lower(), parts.netloc, parts.path, params)


def register_source(key: str, target: str) -> None:
    """Register ``"module:Class"`` for a scheme (``"sim"``) or ``"scheme+protocol"``."""
    _REGISTRY[key] = target


def _lookup(parsed: SourceURL) -> str:
    protocol = parsed.params.get("protocol")
    keys = [f"{parsed.scheme}+{protocol}", parsed.scheme] if protocol else [parsed.scheme]
    for key in keys:
        if key in _REGISTRY:
            return _REGISTRY[key]
    for ep in entry_points(group="batteryos.sources"):
        if ep.name in keys:
            return ep.value
    protocols = sorted(k.split("+", 1)[1] for k in _REGISTRY if k.startswith(parsed.scheme + "+"))
    if protocols:
        given = f"protocol {protocol!r} is unknown" if protocol else "no protocol given"
        raise SourceError(
            f"{parsed.raw}: {given} (known for {parsed.scheme}: "
            f"{', '.join(f'protocol={p}' for p in protocols)})"
        )
    known = sorted({k.split("+")[0] for k in _REGISTRY})
    raise SourceError(
        f"{parsed.raw}: unknown source scheme {parsed.scheme!r} (known: {', '.join(known)})"
    )


def source_class(url: str):
    parsed = parse_source_url(url)
    module_name, _, class_name = _lookup(parsed).partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, class_name)


def create_source(url: str, spec=None):
    """A closed :class:`~app.hardware.source.Source` for ``url``.

    ``spec`` is the battery, where the URL names none or the same; a URL whose battery
    parameters disagree with it is refused (:func:`check_battery_agrees`). Bad URLs and
    bad parameters raise :class:`SourceError` before anything is opened.
    """
    parsed = parse_source_url(url)
    cls = source_class(url)
    check_battery_agrees(parsed, spec)
    return cls.from_url(parsed, spec=spec)
