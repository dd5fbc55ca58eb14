"""Base for diagnostic results: frozen dataclasses whose ``to_dict`` is plain JSON."""

from __future__ import annotations

import dataclasses
import math
from enum import Enum, StrEnum
from typing import Any

import numpy as np

_PLAIN = frozenset({str, int, bool, type(None)})
#: the field names of each dataclass converted so far (dataclasses.fields is slow)
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def to_jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays, enums, dataclasses and NaN into plain JSON values."""
    # plain Python values first: a result with thousands of pulses is mostly these
    # (exact types: a float or str subclass -- numpy float, StrEnum -- goes below)
    kind = type(value)
    if kind is float:
        return None if math.isnan(value) or math.isinf(value) else value
    if kind in _PLAIN:
        return value
    if kind is dict:
        # plain values inline (a pulse record is a dict of dozens of them): the
        # same conversion as the call, without a call per value
        out = {}
        for k, v in value.items():
            kv = type(v)
            if kv in _PLAIN or (kv is float and v - v == 0.0):  # finite floats stay
                out[k if type(k) is str else str(k)] = v
            else:
                out[k if type(k) is str else str(k)] = to_jsonable(v)
        return out
    if kind is list:
        return [
            v if type(v) in _PLAIN or (type(v) is float and v - v == 0.0) else to_jsonable(v)
            for v in value
        ]
    names = _FIELD_NAMES.get(kind)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: to_jsonable(getattr(value, name)) for name in names}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    return value


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclasses.dataclass(frozen=True)
class DiagnosticResult:
    """Base class: subclasses are frozen dataclasses of JSON-able fields."""

    def to_dict(self) -> dict:
        return to_jsonable(self)
