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
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from urllib.parse import parse_qsl, unquote, urlsplit

from app.core.errors import SourceError

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
            raise SourceError(f"{url}: parameter {key} given twice")
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

    ``spec`` overrides the battery the URL implies. Bad URLs and bad
    parameters raise :class:`SourceError` before anything is opened.
    """
    parsed = parse_source_url(url)
    cls = source_class(url)
    return cls.from_url(parsed, spec=spec)
