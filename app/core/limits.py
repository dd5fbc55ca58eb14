"""The battery limits a user may give over the chemistry preset's (or a file's).

One table, :data:`LIMITS`, for every place they are given: the CLI's options
(``--cell-v-max``, ...), a source URL's parameters (``cell_v_max=``, the spec's own
field names) and the window's fields. Each says what a sensible value is, so a
millivolt value typed for volts, a pack's voltage for a cell's or 100C are refused
alike everywhere, with the same words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from app.core.spec import MAX_CELL_OCV_V

#: The largest current limit as a C-rate taken (power cells reach ~50C).
MAX_C_RATE = 100.0
#: The temperatures (degC) a cell's limit can be.
TEMPERATURE_RANGE_C = (-100.0, 200.0)


class LimitKind(StrEnum):
    CELL_VOLTAGE = "cell_voltage"  #: V, one cell's
    C_RATE = "c_rate"  #: a current as a multiple of the capacity
    TEMPERATURE = "temperature"  #: degC


@dataclass(frozen=True)
class Limit:
    """One limit: its :class:`~app.core.spec.BatterySpec` field (also its URL
    parameter), its CLI option, its kind and what it sets, in words."""

    field: str
    option: str
    kind: LimitKind
    what: str

    @property
    def unit(self) -> str:
        return {"cell_voltage": "V", "c_rate": "C", "temperature": "degC"}[self.kind]

    def problem(self, value: float) -> str | None:
        """What is wrong with ``value`` as this limit, in words that follow the value
        as typed ("'4200' V is not one cell's voltage ..."); None: nothing."""
        return limit_problem(self.kind, value)


def limit_problem(kind: LimitKind, value: float) -> str | None:
    """What is wrong with ``value`` as a limit of ``kind``; None: nothing. The words
    follow the value and its unit, as the user typed them."""
    if kind is LimitKind.TEMPERATURE:
        lo, hi = TEMPERATURE_RANGE_C
        return None if lo <= value <= hi else "is not a cell temperature limit"
    if not 0 < value < math.inf:
        return "must be a positive number"
    if kind is LimitKind.CELL_VOLTAGE and value > MAX_CELL_OCV_V:
        return (
            f"is not one cell's voltage (at most {MAX_CELL_OCV_V:g} V): give the limit per "
            "cell, in volts (not the pack's, not millivolts)"
        )
    if kind is LimitKind.C_RATE and value > MAX_C_RATE:
        return (
            f"is not a C-rate (at most {MAX_C_RATE:g}C): give the limit as a multiple of the "
            "capacity (a 5 Ah cell's 10 A is 2)"
        )
    return None


#: The limits, in the CLI's order: the cell voltage window first.
LIMITS = (
    Limit("cell_v_max", "--cell-v-max", LimitKind.CELL_VOLTAGE, "highest cell voltage"),
    Limit("cell_v_min", "--cell-v-min", LimitKind.CELL_VOLTAGE, "lowest cell voltage"),
    Limit(
        "max_charge_current_c", "--max-charge-c", LimitKind.C_RATE,
        "largest charge current, C-rate",
    ),
    Limit(
        "max_discharge_current_c", "--max-discharge-c", LimitKind.C_RATE,
        "largest discharge current, C-rate",
    ),
    Limit("charge_temp_min_c", "--charge-temp-min-c", LimitKind.TEMPERATURE, "coldest charge"),
    Limit("charge_temp_max_c", "--charge-temp-max-c", LimitKind.TEMPERATURE, "hottest charge"),
    Limit(
        "discharge_temp_min_c", "--discharge-temp-min-c", LimitKind.TEMPERATURE,
        "coldest discharge",
    ),
    Limit(
        "discharge_temp_max_c", "--discharge-temp-max-c", LimitKind.TEMPERATURE,
        "hottest discharge",
    ),
)  # fmt: skip
#: The limits by field (URL parameter) name.
LIMITS_BY_FIELD = {limit.field: limit for limit in LIMITS}
