"""Big numeric read-outs of the newest sample, next to the plots."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import numpy as np
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.core import schema
from app.diagnostics.input_validity import (
    CHEMISTRY_REASON,
    OCV_RANGE_REASON,
    PINNED_REASON,
    SIGN_REASON,
    WINDOW_REASON,
)
from app.diagnostics.plausible_cells import implausible_readings, plausible_spread_mv
from app.views.fitted_label import FittedLabel
from app.views.shown_temperature import ShownTemperature, shown_temperature
from app.views.soc_columns import (
    SOC_BMS,
    SOC_COLUMN,
    bms_difference,
    difference_text,
    soc_band_text,
    soc_undetermined,
)
from app.views.theme import ThemePalette

NO_VALUE = "—"
REST_CURRENT_A = 0.01  # below this the pack counts as resting
#: ... or below this part of the 1C current, where smaller (a 6.3 mAh coin cell's
#: -200 µA, C/30, is a discharge, not a rest)
REST_CURRENT_C = 0.001
#: the plausible cell band before the battery is known: every reading counts
UNBOUNDED = (-math.inf, math.inf)


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
    scaled: bool = False  # shown in m or µ of the unit when small (a coin cell's µA)


READOUTS: tuple[ReadoutSpec, ...] = (
    ReadoutSpec(ReadoutKey.VOLTAGE, "Pack voltage", "V", "{:.2f}", "voltage", scaled=True),
    ReadoutSpec(ReadoutKey.CURRENT, "Current", "A", "{:+.2f}", "current", scaled=True),
    ReadoutSpec(ReadoutKey.TEMPERATURE, "Temperature", "°C", "{:.1f}", "temperature"),
    ReadoutSpec(ReadoutKey.SOC, "State of charge", "%", "{:.1f}", "soc"),
    ReadoutSpec(ReadoutKey.CELL_MIN, "Cell min", "V", "{:.3f}", "text"),
    ReadoutSpec(ReadoutKey.CELL_MAX, "Cell max", "V", "{:.3f}", "text"),
    ReadoutSpec(ReadoutKey.CELL_SPREAD, "Cell spread", "mV", "{:.0f}", "text"),
)


def current_in_milliamps(capacity_ah: float | None) -> bool:
    """Whether a battery's small currents read in mA/µA (:func:`scaled_text`): a coin
    cell's do; one of 1 Ah or more keeps A (a 5 Ah pack's current read '-750.6 mA',
    then '-1.20 A', beside its plot in A). Unknown: they do."""
    return capacity_ah is None or capacity_ah < 1.0


def scaled_text(value: float, unit: str, fmt: str) -> tuple[str, str]:
    """``value`` as text and unit, in m or µ of ``unit`` when under 1: 0.1092 V is
    '109.2' mV and -0.0002 A '-200' µA, not '0.11' V and '-0.00' A. The sign (``fmt``'s
    '+') is kept; 1 and more, and exactly 0, are ``fmt``'s."""
    if value is None or math.isnan(value):
        return NO_VALUE, unit
    sign = "+" if "+" in fmt else ""
    magnitude = abs(value)
    if magnitude == 0 or magnitude >= 0.99995:  # (not '1000.0' mA)
        return fmt.format(value), unit
    if magnitude >= 0.00099995:
        return f"{value * 1e3:{sign}.1f}", "m" + unit
    micro = value * 1e6
    return f"{micro:{sign}.{1 if abs(micro) < 9.995 else 0}f}", "µ" + unit


class Reading(NamedTuple):
    """One read-out's value, its detail line, whether the detail is a warning, and the
    tile's tooltip ('' none)."""

    value: float
    detail: str = ""
    warn: bool = False
    tip: str = ""


#: Under an SOC that cannot be determined: what places it (the tile is narrow; its
#: tooltip, :data:`SOC_UNDETERMINED_TIP`, says why).
SOC_UNDETERMINED_LINE = "settles at a rest or\na change of current"
#: The SOC tile's tooltip while the SOC cannot be determined.
SOC_UNDETERMINED_TIP = (
    "The SOC cannot be determined yet: its band is as wide as a guess. A start under load "
    "is a guess, and under a steady current the voltage does not tell the cells' OCV from "
    "the drop across their resistance; the estimate settles once the battery rests or its "
    "current changes where the OCV curve is steep (not on a flat part, LFP's plateau; the "
    "Diagnostics page's State of charge says more)."
)


#: The SOC tile's words for why the samples make the SOC not valid (the reasons of
#: :mod:`app.diagnostics.input_validity`, as the Diagnostics page's State of charge card
#: says them in full; the tile is narrow, its tooltip has the whole reason).
SOC_INVALID_LINES = {
    WINDOW_REASON: "not valid: cells outside\nits voltage window",
    OCV_RANGE_REASON: "not valid: cells beyond\nits OCV table",
    PINNED_REASON: "not valid: its OCV table\npins it empty or full",
    CHEMISTRY_REASON: "not valid: cells of\nanother chemistry?",
    SIGN_REASON: "not valid: the current's\nsign looks reversed",
}


def soc_invalid_line(why: str) -> str:
    """The SOC tile's short line for ``why`` (a reason of
    :mod:`app.diagnostics.input_validity`)."""
    return SOC_INVALID_LINES.get(why, "not valid (see the\nDiagnostics page)")


def rest_current_a(capacity_ah: float | None) -> float:
    """The current under which the battery counts as at rest."""
    if capacity_ah is None or not capacity_ah > 0:
        return REST_CURRENT_A
    return min(REST_CURRENT_A, REST_CURRENT_C * capacity_ah)


def derive_readouts(
    latest: dict[str, float],
    plausible_cell_v: tuple[float, float] = UNBOUNDED,
    capacity_ah: float | None = None,
    temperature: ShownTemperature | None = None,
    soc_invalid: str | None = None,
) -> dict[ReadoutKey, Reading]:
    """Value and a detail line of each read-out from the newest sample's columns.

    ``soc_invalid``: why the samples make the SOC not valid (the battery does not fit
    them: the Diagnostics page's not-valid reason of the State of charge, from the
    same check, :meth:`~app.views.live_session.LiveSession.spec_fit_check`); None: no
    such reason.

    ``temperature``: the newest sample's shown temperature, as the source's data decides
    it (:func:`shown_temperature` of the snapshot); None: as ``latest`` alone does.

    The cell spread is that of the readings within ``plausible_cell_v`` (the spec's
    band, the rule of cell balance and the ``cell_spread_mv`` alert), and its detail
    names a cell left out; the lowest and highest cell show every reading (a cell at
    0 V is the lowest: an under-voltage)."""

    def value(column: str) -> float:
        return latest.get(column, math.nan)

    current = value(schema.CURRENT)
    rest = rest_current_a(capacity_ah)
    if math.isnan(current):
        direction = ""
    elif current > rest:
        direction = "charging"
    elif current < -rest:
        direction = "discharging"
    else:
        direction = "rest"
    out = {
        ReadoutKey.VOLTAGE: Reading(value(schema.VOLTAGE)),
        ReadoutKey.CURRENT: Reading(current, direction),
        ReadoutKey.TEMPERATURE: _temperature(latest if temperature is None else temperature),
        # a band too wide to place the SOC: no big number beside 'cannot be determined',
        # and what settles it (a 1C discharge from an unknown start read 'cannot be
        # determined' for 15 min with no word of why)
        ReadoutKey.SOC: (
            Reading(math.nan, _soc_detail(latest), tip=SOC_UNDETERMINED_TIP)
            if soc_undetermined(latest)
            else Reading(value(SOC_COLUMN), _soc_detail(latest))
        ),
    }
    cells = [
        (column, latest[column])
        for column in schema.cell_voltage_columns(latest)
        if not math.isnan(latest[column])
    ]
    if cells:
        low = min(cells, key=lambda c: c[1])
        high = max(cells, key=lambda c: c[1])
        out[ReadoutKey.CELL_MIN] = Reading(low[1], _cell_name(low[0]))
        out[ReadoutKey.CELL_MAX] = Reading(high[1], _cell_name(high[0]))
        out[ReadoutKey.CELL_SPREAD] = _spread(cells, plausible_cell_v)
        if low[1] < plausible_cell_v[0] and soc_invalid is None:
            # a dead or open cell (a runaway's, at 0 V): the pack's SOC is estimated as
            # if every cell were sound, as analyze and the Diagnostics card say; the
            # tile read a green '70.9 % ±8.9' with no word of it
            soc = out[ReadoutKey.SOC]
            dead = f"not valid: {_cell_name(low[0])} dead"  # (the tile is narrow)
            out[ReadoutKey.SOC] = soc._replace(detail=f"{dead}\n{soc.detail}", warn=True)
    if soc_invalid is not None:
        # the battery does not fit the samples: the Diagnostics card's "Not valid", not a
        # plain green 40.3 % (a coin cell's log read against the NMC preset's window)
        soc = out[ReadoutKey.SOC]
        out[ReadoutKey.SOC] = soc._replace(
            detail=f"{soc_invalid_line(soc_invalid)}\n{soc.detail}",
            warn=True,
            tip=f"Not valid for this source: {soc_invalid} (the Diagnostics page's "
            "warning says more)." + (f"\n\n{soc.tip}" if soc.tip else ""),
        )
    return out


def _temperature(shown: dict[str, float] | ShownTemperature) -> Reading:
    """The pack's temperature; or the hottest cell's, its detail saying so."""
    if not isinstance(shown, ShownTemperature):
        shown = shown_temperature(shown)
    values = shown.values
    last = math.nan if values is None or not len(values) else float(values[-1])
    return Reading(last, shown.note)


def _spread(cells: list[tuple[str, float]], band: tuple[float, float]) -> Reading:
    """The spread of the plausible cells (mV); its detail says how many cells there
    are, or names those left out as implausible (a warning)."""
    volts = np.array([[v] for _, v in cells])
    spread = float(plausible_spread_mv(volts, band)[0])
    bad = implausible_readings(volts, band)[:, 0]
    left_out = [_cell_number(c) for (c, _), out in zip(cells, bad, strict=True) if out]
    if len(cells) == 1:
        # one cell has no spread (the tile read "— mV, 1 cells"), as the cell-balance
        # card says "a single cell"
        return Reading(math.nan, "a single cell")
    if not left_out:
        return Reading(spread, f"{len(cells)} cells")
    which = "cell" if len(left_out) == 1 else "cells"
    return Reading(spread, f"{which} {', '.join(left_out)} implausible", warn=True)


def _soc_detail(latest: dict[str, float]) -> str:
    """Under the SOC: its uncertainty and the BMS's SOC with the difference, where known."""
    lines = []
    # 2 sigma as the Diagnostics card and the CLI give it, not the clipped band's half width
    band = soc_band_text(latest)
    lines.append(f"estimated {band}" if band.startswith("±") else band or "estimated")
    if soc_undetermined(latest):
        lines.append(SOC_UNDETERMINED_LINE)
    bms = latest.get(SOC_BMS, math.nan)
    if not math.isnan(bms):
        diff = bms_difference(latest)
        # with its unit, as the plot's cursor and the Diagnostics card give it; no
        # difference to an SOC that cannot be determined (the tile shows none: 'Δ +6.1'
        # under '—' read as a finding against the BMS, which the Diagnostics card
        # calls inconclusive)
        lines.append(
            f"BMS {bms:.1f} % · Δ {difference_text(diff)}"
            if not math.isnan(diff) and not soc_undetermined(latest)
            else f"BMS {bms:.1f} %"
        )
    return "\n".join(lines)


def _cell_number(column: str) -> str:
    return schema.CELL_VOLTAGE_RE.match(column).group(1)


def _cell_name(column: str) -> str:
    return f"cell {_cell_number(column)}"


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
        # tight enough that a pack's seven cards fit a 1024 x 700 window (8 px over
        # and under each put the cell spread below the fold)
        layout.setContentsMargins(12, 5, 12, 5)
        layout.setSpacing(1)
        layout.addWidget(self.name_label)
        layout.addLayout(row)
        layout.addWidget(self.detail_label)

    def set_value(
        self,
        value: float,
        detail: str = "",
        warning_color: str | None = None,
        scaled: bool | None = None,
    ) -> None:
        """Show ``value`` and ``detail``; the detail in ``warning_color`` when given.
        ``scaled`` overrides the spec's: whether a small value reads in m or µ."""
        unit = self.spec.unit
        if value is None or math.isnan(value):
            text = NO_VALUE
        elif self.spec.scaled if scaled is None else scaled:
            text, unit = scaled_text(value, unit, self.spec.fmt)
        else:
            text = self.spec.fmt.format(value)
        self.value_label.setText(text)
        if self.unit_label.text() != unit:
            self.unit_label.setText(unit)
        self.detail_label.setText(detail)
        self.detail_label.setStyleSheet(f"color: {warning_color};" if warning_color else "")

    @property
    def warns(self) -> bool:
        """Whether the detail line is shown as a warning."""
        return bool(self.detail_label.styleSheet())

    def set_color(self, color: str) -> None:
        # per-widget colour on top of the theme's QSS; the theme sets font and size
        self.value_label.setStyleSheet(f"color: {color};")


class NoteCard(QFrame):
    """A card of words under the read-outs: a name, and up to three lines of text."""

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("card")
        self.name_label = QLabel(name, objectName="readoutName")
        self.text_label = FittedLabel("", max_lines=3, objectName="readoutName")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 5, 12, 5)  # (as a read-out's)
        layout.setSpacing(1)
        layout.addWidget(self.name_label)
        layout.addWidget(self.text_label)
        self.setVisible(False)

    def set_text(self, text: str, tooltip: str = "") -> None:
        """Show ``text`` (hidden when ''), ``tooltip`` over the whole card."""
        if (text, tooltip) == (self.text_label.full_text(), self.toolTip()):
            return  # (asked again with every snapshot)
        self.text_label.set_full_text(text, tooltip or text)
        self.setToolTip(tooltip)
        self.setVisible(bool(text))


class ReadoutPanel(QFrame):
    """The column of read-outs; :meth:`show_latest` takes the newest sample."""

    def __init__(self, colors: ThemePalette, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("readouts")
        self.readouts: dict[ReadoutKey, Readout] = {}
        layout = QVBoxLayout(self)
        # 4 px, not 8, above and below, and 3 between: with an alert's banner at 1024 x
        # 700 the Cell spread tile of a pack with a dead cell was 8 px under the fold
        layout.setContentsMargins(12, 4, 12, 4)
        layout.setSpacing(3)
        for spec in READOUTS:
            readout = Readout(spec, self)
            self.readouts[spec.key] = readout
            layout.addWidget(readout)
        # which OCV table the SOC reads: after the read-outs, so on a short screen it is
        # the one to scroll out of view (a cell's tiles stay in it)
        self.ocv_table_card = NoteCard("SOC's OCV table", self)
        layout.addWidget(self.ocv_table_card)
        layout.addStretch(1)
        self.setMinimumWidth(self.minimumSizeHint().width())
        self.plausible_cell_v = UNBOUNDED
        self.capacity_ah: float | None = None
        #: why the samples make the SOC not valid (:func:`derive_readouts`); None: none
        self.soc_invalid: str | None = None
        self._shown: tuple | None = None  # the last show_latest's arguments
        self.apply_palette(colors)

    def set_plausible_cell_v(self, band: tuple[float, float] | None) -> None:
        """The battery's plausible cell band (:attr:`BatterySpec.plausible_cell_v`), None
        while it is not known; the spread leaves readings outside it out."""
        self.plausible_cell_v = UNBOUNDED if band is None else band

    def set_capacity_ah(self, capacity_ah: float | None) -> None:
        """The battery's capacity (None: not known): a small cell rests at a small current."""
        self.capacity_ah = capacity_ah

    def set_soc_invalid(self, why: str | None) -> None:
        """Why the samples make the SOC not valid, as the Diagnostics page says it (None:
        no reason); the SOC tile says so at once."""
        if why == self.soc_invalid:
            return
        self.soc_invalid = why
        if self._shown is not None:
            self.show_latest(*self._shown)

    def show_latest(
        self, latest: dict[str, float], temperature: ShownTemperature | None = None
    ) -> None:
        """Show the newest sample; ``temperature``: its shown temperature, as the whole
        snapshot decides it (:func:`derive_readouts`)."""
        self._shown = (latest, temperature)
        values = derive_readouts(
            latest, self.plausible_cell_v, self.capacity_ah, temperature, self.soc_invalid
        )
        small = current_in_milliamps(self.capacity_ah)
        for key, readout in self.readouts.items():
            reading = values.get(key, Reading(math.nan))
            warning = self._colors.warning if reading.warn else None
            scaled = None if key is not ReadoutKey.CURRENT or small else False
            readout.set_value(reading.value, reading.detail, warning, scaled)
            if readout.toolTip() != reading.tip:
                readout.setToolTip(reading.tip)

    def clear(self) -> None:
        self.soc_invalid = None
        self._shown = None
        for readout in self.readouts.values():
            readout.set_value(math.nan)
            readout.setToolTip("")
        self.ocv_table_card.set_text("")  # (the next source's battery says its own)

    def text_of(self, key: ReadoutKey) -> str:
        """The shown value text (for tests and accessibility)."""
        return self.readouts[key].value_label.text()

    def apply_palette(self, colors: ThemePalette) -> None:
        self._colors = colors
        for readout in self.readouts.values():
            readout.set_color(getattr(colors, readout.spec.color_role))
