"""A fault's detail in words with units, the same in the window and in the reports:
'4.674 V (limit 4.200 V)', 'ended as 0.52 A flowed through it (not open)',
'self-discharge 0.121 A (0.118-0.124 A), a short of ~31 Ω', 'at 61.3 °C when found, peak
180.0 °C'."""

from __future__ import annotations

import math
from typing import Any

from app.core import schema
from app.core.number_text import limit_pair_text, undusted


def _fmt(value: Any, fmt: str = "{:.1f}", unit: str = "") -> str | None:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    text = fmt.format(undusted(value) if isinstance(value, float) else value)
    return f"{text} {unit}" if unit else text


#: Limit faults: (the detail key of the worst value, of its limit, decimals, unit);
#: more decimals where the limit has them (a 0.245 A limit is not "0.24 A").
_FAULT_LIMITS = (
    ("max_v", "limit_v", 3, "V"),
    ("min_v", "limit_v", 3, "V"),
    ("max_abs_a", "limit_a", 2, "A"),
    ("max_c", "limit_c", 1, "°C"),
    ("min_c", "limit_c", 1, "°C"),
)


def _channel_format(channel: Any) -> tuple[str, str]:
    """The format and unit of a value read on ``channel`` (a schema column)."""
    name = str(channel)
    if name.endswith("_v"):
        return "{:.3f}", "V"
    if name.endswith("_a"):
        return "{:.2f}", "A"
    if name.endswith("_c"):
        return "{:.1f}", "°C"
    return "{:.4g}", ""


def _excess_rate_text(detail: dict) -> str:
    """What a runaway's rate at detection is in excess of: its neighbours' (the
    median of 3+ sensors), the other sensor's, or a lone sensor's Joule heating.

    That rate is the test's fitted curve's slope at the moment of detection, an
    instant's rate; the episode's ``max_rise_rate_c_per_min`` is the steepest
    straight-line rise of the cell's own temperature over 2 minutes, an average.
    At an onset the instant's rate runs ahead of the 2-minute average (0.87 against
    0.2 degC/min on a short's first heat): each is worded as what it is, so that
    the two cannot read as one figure contradicting the other."""
    sensors = detail.get("temperature_sensors")
    if sensors == 1:
        return "rising {} faster than its Joule heating explains (the only sensor) at that instant"
    if sensors == 2:
        return "rising {} faster than the other sensor at that instant"
    return "rising {} faster than its neighbours at that instant"


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _leak_text(d: dict) -> str | None:
    """A short's self-discharge, pooled over the rests since it was found, with its
    interval: 'self-discharge 0.121 A (0.118-0.124 A), a short of ~31 ohm'. The
    interval's low end is shown from 0 (a leak is not negative); the short's
    resistance only where the interval excludes no leak at all."""
    amps = d.get("leak_current_a")
    if not _finite(amps):
        n = d.get("leak_windows_unresolved")
        if _finite(n) and n > 0:
            return "self-discharge not resolved (its rests on a flat stretch of the OCV curve)"
        return None
    text = f"self-discharge {undusted(max(amps, 0.0)):.3f} A"
    low, high = d.get("leak_current_low_a"), d.get("leak_current_high_a")
    if _finite(low) and _finite(high):
        text += f" ({undusted(max(low, 0.0)):.3f}-{undusted(max(high, 0.0)):.3f} A)"
    ohm = d.get("short_resistance_ohm")
    if _finite(ohm) and ohm > 0 and _finite(low) and low > 0:
        text += f", a short of ~{ohm:.2g} Ω" if ohm < 10 else f", a short of ~{ohm:.0f} Ω"
    return text


def fault_values(f: dict) -> str:
    """What a fault's detail measured, in words with units: '4.674 V (limit 4.200 V)',
    'spread 45.0 mV, SOC spread 5.1 %', 'stuck at 3.712 V' ('' when it has nothing)."""
    d = f.get("detail")
    if not isinstance(d, dict):
        return ""
    parts = []
    for key, limit_key, decimals, unit in _FAULT_LIMITS:
        if _fmt(d.get(key)) is not None:
            limit = d.get(limit_key)
            limit = limit if isinstance(limit, (int, float)) and math.isfinite(limit) else None
            value, limit_text = limit_pair_text(d[key], limit, decimals, unit)
            parts.append(f"{value} (limit {limit_text})" if limit is not None else value)
    leak = _leak_text(d)
    if leak:
        parts.append(leak)
    ch_fmt, ch_unit = _channel_format(f.get("channel"))
    for key, template, fmt, unit in (
        ("voltage_v", "at {}", "{:.3f}", "V"),
        # an open circuit that ended as current flowed through the cell: it conducts
        ("ended_by_current_a", "ended as {} flowed through it (not open)", "{:.2f}", "A"),
        ("spread_mv", "spread {}", "{:.1f}", "mV"),
        ("soc_spread_pct", "SOC spread {}", "{:.1f}", "%"),
        ("worst_value", "reads {}", ch_fmt, ch_unit),
        ("stuck_value", "stuck at {}", ch_fmt, ch_unit),
        ("noise_sigma", "noise σ {}", ch_fmt, ch_unit),
        ("group_sigma", "its group's σ {}", ch_fmt, ch_unit),
        ("missing_samples", "{} samples missing", "{:.0f}", ""),
        ("gap_s", "no samples for {}", "{:.0f}", "s"),
        ("samples", "{} samples", "{:.0f}", ""),
        # (the cell's excess over its neighbours' median beyond what its usual offset
        # predicts, a 5-minute mean: not the thermal card's hot spot, the hottest
        # sensor less the coolest at one moment -- 16.0 K here, 17.5 K there)
        (
            "excess_temperature_k",
            "up to {} above its neighbours' median (5-min mean)",
            "{:.1f}",
            "K",
        ),
        # a runaway-onset alarm its heat set off, withdrawn once the short was confirmed
        (
            "withdrawn_onset_start_s",
            "its heat set off a runaway-onset alarm from {}, withdrawn as the short's heat",
            "{:.0f}",
            "s",
        ),
        # a runaway: the moment it was found, then the episode's peak
        ("temperature_at_detection_c", "at {} when found", "{:.1f}", "°C"),
        ("excess_rate_at_detection_c_per_min", _excess_rate_text(d), "{:.2f}", "°C/min"),
        ("max_temperature_c", "peak {}", "{:.1f}", "°C"),
        ("max_rise_rate_c_per_min", "steepest 2-min average rise {}", "{:.1f}", "°C/min"),
        ("temperature_c", "at {}", "{:.1f}", "°C"),
        ("current_rise_a", "float current up {}", "{:.3f}", "A"),
        ("temperature_rise_c", "temperature up {}", "{:.1f}", "K"),
        ("recombination_current_a", "charge turned to heat {}", "{:.1f}", "A"),
        ("heating_c_per_min", "pack heating {}", "{:.2f}", "°C/min"),
    ):
        value = _fmt(d.get(key), fmt, unit)
        if value is not None:
            parts.append(template.format(value))
    return ", ".join(parts)


def cell_of(channel: Any) -> str | None:
    """The cell a channel is of: ``"2"`` for ``cell_2_v`` or ``cell_2_temp_c``, else None."""
    if not isinstance(channel, str):
        return None
    m = schema.CELL_VOLTAGE_RE.match(channel) or schema.CELL_TEMPERATURE_RE.match(channel)
    return m.group(1) if m else None


#: The pack's own channels for people (``voltage_v/cell``: the pack voltage over its
#: series cells, what the safety limits judge when no cell is measured; ``time_s``: the
#: log itself, whose dropouts are gaps in its time stamps and samples in which no
#: channel has a value).
_PACK_CHANNELS = {
    schema.VOLTAGE: "pack voltage",
    f"{schema.VOLTAGE}/cell": "pack voltage per cell",
    schema.CURRENT: "current",
    schema.TEMPERATURE: "temperature sensor",
    schema.TIME: "logger (all channels)",
}


def channel_text(channel: Any) -> str:
    """A fault's or limit event's channel for people: ``cell 2`` for ``cell_2_v`` or
    ``cell_2_temp_c``, ``temperature sensor`` for ``temperature_c``."""
    if not isinstance(channel, str):
        return ""
    cell = cell_of(channel)
    return f"cell {cell}" if cell is not None else _PACK_CHANNELS.get(channel, channel)


def kind_text(kind: Any) -> str:
    """A fault's kind or a limit check's name for people: ``thermal runaway onset`` for
    ``thermal_runaway_onset``, ``over temperature`` for ``over_temperature``."""
    return str(kind or "").replace("_", " ")


def fault_summary(f: dict | None) -> str:
    """A detected fault's channel and figures, as the Alerts page words them and the
    alert history stores them: 'cell 2: up to 3.1 K warmer than its neighbours' (''
    when the fault says nothing)."""
    if not f:
        return ""
    return ": ".join(p for p in (channel_text(f.get("channel")), fault_values(f)) if p)
