"""Big numeric read-outs of the newest sample, next to the plots."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.core import schema
from app.views.soc_columns import (
    SOC_BAND_HIGH,
    SOC_BAND_LOW,
    SOC_BMS,
    SOC_COLUMN,
    bms_difference,
    difference_text,
)
from app.views.theme import ThemePalette

NO_VALUE = "—"
REST_CURRENT_A = 0.01  # below this the pack counts as resting


class ReadoutKey(StrEnum):
    VOLTAGE = "voltage"
    CURRENT = "current"
    TEMPERATURE = "temperature"
    SOC = "soc"
    CELL_MIN = "cell_min"
    CELL_MAX = "cell_max"
    CELL_SPREAD = "cell_spread"


@dataclass(frozen=True)
class ReadoutSpec:
    key: ReadoutKey
    name: str
    unit: str
    fmt: str
    color_role: str  # ThemePalette attribute of the value colour


READOUTS: tuple[ReadoutSpec, ...] = (
    ReadoutSpec(ReadoutKey.VOLTAGE, "Pack voltage", "V", "{:.2f}", "voltage"),
    ReadoutSpec(ReadoutKey.CURRENT, "Current", "A", "{:+.2f}", "current"),
    ReadoutSpec(ReadoutKey.TEMPERATURE, "Temperature", "°C", "{:.1f}", "temperature"),
    ReadoutSpec(ReadoutKey.SOC, "State of charge", "%", "{:.1f}", "soc"),
    ReadoutSpec(ReadoutKey.CELL_MIN, "Cell min", "V", "{:.3f}", "text"),
    ReadoutSpec(ReadoutKey.CELL_MAX, "Cell max", "V", "{:.3f}", "text"),
    ReadoutSpec(ReadoutKey.CELL_SPREAD, "Cell spread", "mV", "{:.0f}", "text"),
)


def derive_readouts(latest: dict[str, float]) -> dict[ReadoutKey, tuple[float, str]]:
    """Value and a detail line of each read-out from the newest sample's columns."""

    def value(column: str) -> float:
        return latest.get(column, math.nan)

    current = value(schema.CURRENT)
    if math.isnan(current):
        direction = ""
    elif current > REST_CURRENT_A:
        direction = "charging"
    elif current < -REST_CURRENT_A:
        direction = "discharging"
    else:
        direction = "rest"
    out = {
        ReadoutKey.VOLTAGE: (value(schema.VOLTAGE), ""),
        ReadoutKey.CURRENT: (current, direction),
        ReadoutKey.TEMPERATURE: (value(schema.TEMPERATURE), ""),
        ReadoutKey.SOC: (value(SOC_COLUMN), _soc_detail(latest)),
    }
    cells = [
        (column, latest[column])
        for column in schema.cell_voltage_columns(latest)
        if not math.isnan(latest[column])
    ]
    if cells:
        low = min(cells, key=lambda c: c[1])
        high = max(cells, key=lambda c: c[1])
        out[ReadoutKey.CELL_MIN] = (low[1], _cell_name(low[0]))
        out[ReadoutKey.CELL_MAX] = (high[1], _cell_name(high[0]))
        out[ReadoutKey.CELL_SPREAD] = ((high[1] - low[1]) * 1000.0, f"{len(cells)} cells")
    return out


def _soc_detail(latest: dict[str, float]) -> str:
    """Under the SOC: its uncertainty and the BMS's SOC with the difference, where known."""
    lines = []
    half_band = (latest.get(SOC_BAND_HIGH, math.nan) - latest.get(SOC_BAND_LOW, math.nan)) / 2
    lines.append("estimated" if math.isnan(half_band) else f"estimated ±{half_band:.1f} (2σ)")
    bms = latest.get(SOC_BMS, math.nan)
    if not math.isnan(bms):
        diff = bms_difference(latest)
        lines.append(
            f"BMS {bms:.1f} · Δ {difference_text(diff)}"
            if not math.isnan(diff)
            else f"BMS {bms:.1f}"
        )
    return "\n".join(lines)


def _cell_name(column: str) -> str:
    return f"cell {schema.CELL_VOLTAGE_RE.match(column).group(1)}"


class Readout(QFrame):
    """One value: name above, big number and unit, a muted detail line below."""

    def __init__(self, spec: ReadoutSpec, parent: QWidget | None = None):
        super().__init__(parent)
        self.spec = spec
        self.setObjectName("card")
        self.name_label = QLabel(spec.name, objectName="readoutName")
        self.value_label = QLabel(NO_VALUE, objectName="readoutValue")
        self.unit_label = QLabel(spec.unit, objectName="readoutUnit")
        self.detail_label = QLabel("", objectName="readoutName")
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.value_label)
        row.addWidget(self.unit_label)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        layout.addWidget(self.name_label)
        layout.addLayout(row)
        layout.addWidget(self.detail_label)

    def set_value(self, value: float, detail: str = "") -> None:
        text = NO_VALUE if value is None or math.isnan(value) else self.spec.fmt.format(value)
        self.value_label.setText(text)
        self.detail_label.setText(detail)

    def set_color(self, color: str) -> None:
        # per-widget colour on top of the theme's QSS; the theme sets font and size
        self.value_label.setStyleSheet(f"color: {color};")


class ReadoutPanel(QFrame):
    """The column of read-outs; :meth:`show_latest` takes the newest sample."""

    def __init__(self, colors: ThemePalette, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("readouts")
        self.readouts: dict[ReadoutKey, Readout] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        for spec in READOUTS:
            readout = Readout(spec, self)
            self.readouts[spec.key] = readout
            layout.addWidget(readout)
        layout.addStretch(1)
        self.setFixedWidth(200)
        self.apply_palette(colors)

    def show_latest(self, latest: dict[str, float]) -> None:
        values = derive_readouts(latest)
        for key, readout in self.readouts.items():
            readout.set_value(*values.get(key, (math.nan, "")))

    def clear(self) -> None:
        for readout in self.readouts.values():
            readout.set_value(math.nan)

    def text_of(self, key: ReadoutKey) -> str:
        """The shown value text (for tests and accessibility)."""
        return self.readouts[key].value_label.text()

    def apply_palette(self, colors: ThemePalette) -> None:
        for readout in self.readouts.values():
            readout.set_color(getattr(colors, readout.spec.color_role))
