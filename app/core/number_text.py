"""A measured number in words for people: the one formatter of the CLI summary and
the reports (PDF, HTML, the CSV/XLSX finding texts).

Float dust prints as 0: a sum that is zero (``4.411e-11`` Ah of a cycle's charge)
or a collapsed cell's ``4.361e-209`` V is no reading -- no Ah, V, ohm, A or % of a
battery is 1e-9 of its unit. And a limit keeps the digits it was set with: a
0.245 A limit printed to two decimals read "limit 0.24 A" (:func:`limit_pair_text`).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

#: Smaller magnitudes print as 0 (float dust, not a reading).
TINY = 1e-9
#: The most decimals a limit is shown with (a limit is set by a person, to a few digits).
MAX_LIMIT_DECIMALS = 4
#: The most significant digits a limit is shown with.
LIMIT_DIGITS = 4
NBSP = "\u00a0"  #: a space a line never breaks at


def undusted(value: float) -> float:
    """``value``, or 0.0 where its magnitude is float dust (below :data:`TINY`)."""
    return 0.0 if abs(value) < TINY else value


def counted(n: int, noun: str) -> str:
    """``n`` things in words: "1 fault", "2 faults", "0 limit events" (not "1 fault(s)")."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def number_text(value, fmt: str = ".3g", unit: str = "", *, missing: str = "n/a") -> str:
    """``value`` formatted with ``fmt`` (a format spec: ``.3g``, ``.1f``), then
    ``unit`` (appended as given: ``' V'``); ``missing`` for None or a non-finite number;
    float dust as 0 (never ``4.361e-209``). Any real number is formatted so, a NumPy
    scalar too (``np.float32(3.7)`` is ``3.7 V``, not ``3.700000047683716 V``), an int
    included (``.3g`` of 12345 is ``1.23e+04``); anything else (a bool, a text) is
    printed as it is."""
    if value is None:
        return missing
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return f"{value}{unit}"
    if isinstance(value, numbers.Integral):
        return f"{int(value):{fmt}}{unit}"
    value = float(value)
    if not math.isfinite(value):
        return missing
    value = undusted(value)
    if value == 0.0:
        value = 0.0  # no "-0"
    return f"{value:{fmt}}{unit}"


#: The significant digits an amount of charge (Ah) is shown with.
CHARGE_DIGITS = 4


def charge_text(ah, unit: str = " Ah", digits: int = CHARGE_DIGITS, *, missing: str = "n/a"):
    """An amount of charge or a capacity in Ah to ``digits`` significant digits, without
    an exponent or trailing zeros: a coin cell's ``0.0063 Ah`` (three decimals read it
    "0.006 Ah", the Logs page "0.0063"), ``1.842 Ah``, ``280 Ah``; float dust as 0;
    ``missing`` for None or a non-finite value. The one way an Ah is written on the
    Diagnostics page's cards."""
    if ah is None or isinstance(ah, bool) or not isinstance(ah, numbers.Real):
        return missing if ah is None else f"{ah}{unit}"
    value = undusted(float(ah))
    if not math.isfinite(value):
        return missing
    if value == 0.0:
        return f"0{unit}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}{unit}"


def decimals_needed(value: float, at_least: int, at_most: int = MAX_LIMIT_DECIMALS) -> int:
    """The decimals that show ``value`` as set (0.245 -> 3), at least ``at_least``, to
    at most :data:`LIMIT_DIGITS` significant digits (a limit of 0.7C x 1.665 Ah is
    1.166 A, not 1.1655 A) and ``at_most`` decimals."""
    if value:
        at_most = min(at_most, max(0, LIMIT_DIGITS - 1 - math.floor(math.log10(abs(value)))))
    at_most = max(at_most, at_least)
    for d in range(at_least, at_most + 1):
        if abs(round(value, d) - value) <= 1e-9 * max(1.0, abs(value)):
            return d
    return at_most


def limit_pair_text(value, limit, decimals: int, unit: str = "") -> tuple[str, str]:
    """A reading and its limit with the same decimals: ``decimals``, or more where the
    limit needs them (0.247 A against a 0.245 A limit, not 0.25 against 0.24)."""
    d = decimals if limit is None or not math.isfinite(limit) else decimals_needed(limit, decimals)
    sep = f" {unit}" if unit else ""
    return number_text(value, f".{d}f", sep), number_text(limit, f".{d}f", sep)


#: How a limit check's values read: (decimals, unit) by the quantity its name ends in
#: (3 decimals of a volt: a 5 mV overshoot of 4.2 V must not read "4.2 (limit 4.2)");
#: more where the limit has them (a 0.245 A limit is not "0.24 A").
LIMIT_FORMATS = {"voltage": (3, "V"), "current": (2, "A"), "temperature": (1, "°C")}


def limit_event_pair(check: str, value, limit, *, degree: str = "°C") -> tuple[str, str]:
    """A safety event's worst reading and its limit with the unit of its check
    (``cell_over_voltage`` in V, ``over_current_charge`` in A, ``*_temperature`` in
    ``degree``), as the window's card, the CLI summary and the report show them; a
    check of no known quantity with 4 significant digits and no unit."""
    decimals, unit = next(
        (f for word, f in LIMIT_FORMATS.items() if word in str(check)), (None, "")
    )
    if decimals is None:
        return number_text(value, ".4g"), number_text(limit, ".4g")
    return limit_pair_text(value, limit, decimals, degree if unit == "°C" else unit)


def column_decimals(values, digits: int = 4, most: int = 6) -> int:
    """The decimals a column of readings is printed with: ``digits`` significant digits
    of its largest magnitude (at most ``most``), the same for every row, so the column
    lines up and reads alike ("0.3278, 0.3270, 0.2950 Ah", not "0.3278, 0.327, 0.295";
    "1.856, 1.090 Ah", not "1.856, 1.09"), or fewer where every reading has fewer (a
    column logged to 0.1 mAh). None, non-finite values and float dust are left out."""
    finite = [
        abs(float(v))
        for v in values
        if isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
    ]
    largest = max((v for v in finite if v >= TINY), default=0.0)
    if not largest:
        return digits - 1
    cap = min(most, max(0, digits - 1 - math.floor(math.log10(largest))))
    # no more than the readings have: a coin cell's 0.0032 and 0.0063 Ah, logged to
    # 0.1 mAh, are not "0.003200" and "0.006300"
    for d in range(cap + 1):
        if all(abs(round(v, d) - v) <= 1e-9 * max(1.0, v) for v in finite):
            return d
    return cap


def column_text(value, decimals: int, unit: str = "", *, missing: str = "n/a") -> str:
    """A reading of a column printed with :func:`column_decimals`' ``decimals``; a zero
    (or float dust) as a plain ``0`` (an empty discharge is none, not ``0.0000``)."""
    if isinstance(value, numbers.Real) and math.isfinite(value) and undusted(value) == 0:
        return f"0{unit}"
    return number_text(value, f".{decimals}f", unit, missing=missing)


def format_elapsed(seconds: float, decimals: int = 0) -> str:
    """``75.5`` → ``"1:15"`` (``"1:15.5"`` with one decimal); hours when needed."""
    sign = "-" if seconds < 0 else ""
    total = round(abs(float(seconds)), decimals)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    width = 2 + (decimals + 1 if decimals else 0)
    sec_text = f"{secs:0{width}.{decimals}f}"
    if hours >= 1:
        return f"{sign}{int(hours)}:{int(minutes):02d}:{sec_text}"
    return f"{sign}{int(minutes)}:{sec_text}"


def recording_time_text(time_s: float) -> str:
    """A sample's time in the recording as the plots' time axes and the cursor readout
    write it (:func:`format_elapsed`): ``t = 26:39:58.0``, not
    ``t = 95998.0 s``. No-break spaces: the banner wrapped "(t =" and "95998.0 s)"
    onto two lines."""
    return f"t{NBSP}={NBSP}{format_elapsed(time_s, 1)}"
