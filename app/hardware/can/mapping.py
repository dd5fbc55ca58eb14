"""Which DBC signal fills which canonical column: suggested, confirmed, saved.

A :class:`CanMapping` lists :class:`SignalMap` entries (message, signal,
canonical column, and the ``scale``/``offset`` that turn the DBC's physical
value into SI, e.g. 0.001 for mV, -273.15 for K, -1 for a BMS that counts
discharge positive). :func:`suggest_mapping` proposes one from signal names,
units and multiplexing; a dialog shows it for confirmation and saves it with
:meth:`CanMapping.save` in the settings directory
(``<config>/can_mappings/<name>.json``); a URL names it with ``mapping=NAME``.

Qt-free and cantools-free: it works on any object with cantools' ``messages``
/ ``signals`` attributes.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.core import schema
from app.core.errors import SourceError
from app.core.settings import config_dir

_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class SignalMap:
    """``column = physical value of message.signal * scale + offset``."""

    message: str
    signal: str
    column: str
    scale: float = 1.0
    offset: float = 0.0
    #: Why it was suggested (shown in the mapping dialog).
    reason: str = ""


@dataclass
class CanMapping:
    name: str
    signals: list[SignalMap] = field(default_factory=list)
    #: The message whose arrival makes one sample (default: the one carrying current).
    trigger: str | None = None
    #: The DBC it was made for (informative; the URL names the DBC used).
    dbc: str = ""

    def __post_init__(self) -> None:
        for s in self.signals:
            if not schema.is_canonical_column(s.column):
                raise SourceError(f"mapping {self.name}: {s.column!r} is not a canonical column")

    @property
    def trigger_message(self) -> str | None:
        if self.trigger:
            return self.trigger
        for column in (schema.CURRENT, schema.VOLTAGE):
            for s in self.signals:
                if s.column == column:
                    return s.message
        return None

    def column_of(self, message: str, signal: str) -> SignalMap | None:
        return next((s for s in self.signals if (s.message, s.signal) == (message, signal)), None)

    # --- persistence ----------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "dbc": self.dbc,
            "trigger": self.trigger,
            "signals": [asdict(s) for s in self.signals],
        }

    @classmethod
    def from_dict(cls, raw: dict) -> CanMapping:
        try:
            return cls(
                name=str(raw["name"]),
                dbc=str(raw.get("dbc", "")),
                trigger=raw.get("trigger"),
                signals=[SignalMap(**s) for s in raw.get("signals", [])],
            )
        except (KeyError, TypeError) as exc:
            raise SourceError(f"not a CAN signal mapping ({exc})") from None

    @staticmethod
    def directory() -> Path:
        return config_dir() / "can_mappings"

    @classmethod
    def path_of(cls, name: str) -> Path:
        if not _NAME_RE.match(name):
            raise SourceError(
                f"mapping name {name!r}: use letters, digits, '.', '_' or '-' (up to 64)"
            )
        return cls.directory() / f"{name}.json"

    def save(self) -> Path:
        path = self.path_of(self.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, name: str) -> CanMapping:
        path = cls.path_of(name)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            saved = ", ".join(cls.saved()) or "none"
            raise SourceError(f"no saved CAN mapping named {name!r} (saved: {saved})") from None
        except (OSError, ValueError) as exc:
            raise SourceError(f"CAN mapping {name!r} cannot be read: {exc}") from None
        return cls.from_dict(raw)

    @classmethod
    def saved(cls) -> list[str]:
        d = cls.directory()
        return sorted(p.stem for p in d.glob("*.json")) if d.is_dir() else []


def signal_choices(db) -> list[dict]:
    """Every signal of a DBC, for the mapping dialog's choices: message, signal, unit,
    frame id, multiplexer values (None when not multiplexed) and comment."""
    return [
        {
            "message": m.name,
            "signal": s.name,
            "unit": s.unit or "",
            "frame_id": m.frame_id,
            "multiplexer_ids": list(s.multiplexer_ids) if s.multiplexer_ids else None,
            "comment": s.comment or "",
        }
        for m in sorted(db.messages, key=lambda m: m.frame_id)
        for s in m.signals
        if not s.is_multiplexer
    ]


# --- suggestion -----------------------------------------------------------------

#: Unit (lower case) -> (quantity, scale, offset) into SI.
_UNITS = {
    "v": ("voltage", 1.0, 0.0),
    "mv": ("voltage", 0.001, 0.0),
    "a": ("current", 1.0, 0.0),
    "ma": ("current", 0.001, 0.0),
    "degc": ("temperature", 1.0, 0.0),
    "°c": ("temperature", 1.0, 0.0),
    "c": ("temperature", 1.0, 0.0),
    "deg c": ("temperature", 1.0, 0.0),
    "k": ("temperature", 1.0, -273.15),
    "%": ("percent", 1.0, 0.0),
}
#: Words that make a signal a limit, an extreme, a flag or a setpoint, not a measurement.
_NOT_A_MEASUREMENT = re.compile(
    r"limit|max|min|flag|invalid|error|warn|alarm|threshold|index|request|setpoint|target"
    r"|overcurrent|overvoltage|undervoltage|bus|precharge|count|nrof|number|sensors|(^|_)id(_|$)",
    re.IGNORECASE,
)
#: A current sensor's own messages: its temperature is the shunt's, not the battery's.
_CURRENT_SENSOR = re.compile(r"ivt|shunt|current_?sensor|^cs_", re.IGNORECASE)
_CELL_NUMBER = re.compile(r"cell\D{0,12}?(\d+)", re.IGNORECASE)
_QUANTITY_WORDS = {
    "voltage": re.compile(r"volt|^u\d?$|_u\d?$", re.IGNORECASE),
    "current": re.compile(r"curr|amp|^i$|_i$", re.IGNORECASE),
    "temperature": re.compile(r"temp|^t$|_t$", re.IGNORECASE),
}


def unit_to_si(unit: str) -> tuple[str, float, float] | None:
    """(quantity, scale, offset) turning a DBC unit (``"mV"``, ``"K"``) into SI, or None."""
    return _UNITS.get((unit or "").strip().lower())


def _unit_of(signal) -> tuple[str, float, float, bool] | None:
    """(quantity, scale, offset, from the unit) of a signal, or None."""
    unit = (signal.unit or "").strip().lower()
    if unit in _UNITS:
        return (*_UNITS[unit], True)
    if not unit:  # no unit: a name that says it (a guess, ranked below signals with units)
        for quantity, words in _QUANTITY_WORDS.items():
            if words.search(signal.name):
                return quantity, 1.0, 0.0, False
    return None


def _pack_score(text: str) -> int:
    t = text.lower()
    for k, word in enumerate(("pack", "battery", "total", "string", "system")):
        if word in t:
            return 10 - k
    return 1


def _current_sign(db) -> tuple[float, str]:
    names = {m.name for m in db.messages}
    if {"f_PackValuesP0", "f_StringValuesP0"} & names:
        # foxBMS 2 counts discharge current positive (BS_POSITIVE_DISCHARGE_CURRENT).
        return -1.0, "foxBMS counts discharge positive: sign flipped to + = charging"
    return 1.0, "assumed + = charging; flip the sign if the BMS counts discharge positive"


def suggest_mapping(db, name: str = "suggested", present_ids=None, dbc: str = "") -> CanMapping:
    """A mapping proposed from the signal names, units and multiplexing of ``db``.

    Per-cell voltages and temperatures (``Cell..<n>`` with a voltage or
    temperature unit, multiplexed or not) become ``cell_<k>_v`` and
    ``cell_<k>_temp_c`` (numbered from 1 even when the DBC counts from 0);
    the best-named pack voltage, current, temperature, SOC and SOH signals
    (pack > battery > string, never limits, extremes, flags or bus voltages,
    never a current sensor's own temperature) fill the pack columns.
    ``present_ids`` (frame ids seen in a log) limits the candidates to
    messages that actually occur. Where two messages offer
    the same cell, the one with the lower frame id wins.
    """
    sign, sign_reason = _current_sign(db)
    messages = sorted(db.messages, key=lambda m: m.frame_id)
    if present_ids is not None:
        present = set(present_ids)
        messages = [m for m in messages if m.frame_id in present]
    cells: dict[str, dict[int, SignalMap]] = {"voltage": {}, "temperature": {}}
    cell_base: dict[str, int] = {}
    best: dict[str, tuple[int, SignalMap]] = {}

    def offer(column: str, score: int, sm: SignalMap) -> None:
        if column not in best or score > best[column][0]:
            best[column] = (score, sm)

    for m in messages:
        for s in m.signals:
            if s.is_multiplexer or s.length <= 1:
                continue
            unit = _unit_of(s)
            if unit is None:
                continue
            quantity, scale, offset, explicit = unit
            text = f"{m.name} {s.name}"
            cell = _CELL_NUMBER.search(s.name)
            measurement = not _NOT_A_MEASUREMENT.search(s.name)
            if cell and measurement and quantity in cells:
                n = int(cell.group(1))
                cell_base[quantity] = min(cell_base.get(quantity, n), n)
                how = "multiplexed " if s.multiplexer_ids else ""
                cells[quantity].setdefault(
                    n,
                    SignalMap(
                        m.name, s.name, "", scale, offset, f"{how}cell {quantity} in {s.unit}"
                    ),
                )
                continue
            if not measurement or "cell" in s.name.lower():
                continue
            score = _pack_score(text) + (20 if explicit else 0)
            if quantity == "voltage":
                offer(
                    schema.VOLTAGE,
                    score,
                    SignalMap(
                        m.name,
                        s.name,
                        schema.VOLTAGE,
                        scale,
                        offset,
                        f"pack voltage in {s.unit or 'V'}",
                    ),
                )
            elif quantity == "current":
                offer(
                    schema.CURRENT,
                    score,
                    SignalMap(
                        m.name,
                        s.name,
                        schema.CURRENT,
                        scale * sign,
                        offset,
                        f"current in {s.unit or 'A'}; {sign_reason}",
                    ),
                )
            elif quantity == "temperature" and not _CURRENT_SENSOR.search(m.name):
                offer(
                    schema.TEMPERATURE,
                    score,
                    SignalMap(
                        m.name,
                        s.name,
                        schema.TEMPERATURE,
                        scale,
                        offset,
                        f"temperature in {s.unit or 'degC'}",
                    ),
                )
            elif quantity == "percent":
                low = s.name.lower()
                if "soc" in low or "stateofcharge" in low.replace("_", ""):
                    offer(
                        schema.SOC_REPORTED,
                        score,
                        SignalMap(
                            m.name,
                            s.name,
                            schema.SOC_REPORTED,
                            scale,
                            offset,
                            "state of charge in %",
                        ),
                    )
                elif "soh" in low or "stateofhealth" in low.replace("_", ""):
                    offer(
                        schema.SOH_REPORTED,
                        score,
                        SignalMap(
                            m.name,
                            s.name,
                            schema.SOH_REPORTED,
                            scale,
                            offset,
                            "state of health in %",
                        ),
                    )
    signals = [sm for _, sm in best.values()]
    for quantity, found in cells.items():
        base = cell_base.get(quantity, 1)
        column = (
            schema.cell_voltage_column if quantity == "voltage" else schema.cell_temperature_column
        )
        for n, sm in sorted(found.items()):
            k = n - base + 1
            signals.append(
                SignalMap(
                    sm.message,
                    sm.signal,
                    column(k),
                    sm.scale,
                    sm.offset,
                    sm.reason + (f" (numbered from {base})" if base != 1 else ""),
                )
            )
    return CanMapping(name=name, signals=signals, dbc=dbc)
