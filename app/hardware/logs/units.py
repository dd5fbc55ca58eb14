"""Headers, units and values of text log files, shared by every reader.

- :func:`header_cells` splits a header line into its cells as a CSV reader does
  (``"Voltage, V","Current, A"`` is two cells, not four);
- :func:`split_header` takes ``"Current(mA)"``, ``"Voltage [V]"``, ``"I/mA"``,
  ``"Voltage, V"``, ``"Temperature (°C)"`` apart into a name and a unit;
- :data:`UNITS` maps a unit to its quantity and the scale (and offset) to SI;
- :func:`parse_durations` turns ``h:mm:ss`` / ``d-hh:mm:ss`` / ``1 day, 02:00:00``
  strings into seconds, :func:`parse_datetimes` absolute times into UTC epoch seconds;
- :func:`sniff_dialect` finds the delimiter, the decimal mark and the header row of
  a text table from its first lines.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING

import numpy as np

from app.core.errors import SchemaError, shown

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Unit:
    """A unit: the quantity it measures and ``si = value * scale + offset``."""

    quantity: str
    scale: float
    offset: float = 0.0


#: Units seen in cycler and logger headers (keys lower-case, without spaces).
UNITS: dict[str, Unit] = {
    "v": Unit("voltage", 1.0),
    "mv": Unit("voltage", 1e-3),
    "kv": Unit("voltage", 1e3),
    "volt": Unit("voltage", 1.0),
    "volts": Unit("voltage", 1.0),
    "a": Unit("current", 1.0),
    "ma": Unit("current", 1e-3),
    "ua": Unit("current", 1e-6),
    "µa": Unit("current", 1e-6),
    "ka": Unit("current", 1e3),
    "amp": Unit("current", 1.0),
    "amps": Unit("current", 1.0),
    "ampere": Unit("current", 1.0),
    "ah": Unit("charge", 1.0),
    "mah": Unit("charge", 1e-3),
    "as": Unit("charge", 1 / 3600),
    "c": Unit("temperature", 1.0),  # in a header "(C)" is degC far more often than coulomb
    "°c": Unit("temperature", 1.0),
    "ºc": Unit("temperature", 1.0),
    "degc": Unit("temperature", 1.0),
    "celsius": Unit("temperature", 1.0),
    "k": Unit("temperature", 1.0, -273.15),
    "°f": Unit("temperature", 5 / 9, -32 * 5 / 9),
    "degf": Unit("temperature", 5 / 9, -32 * 5 / 9),
    "wh": Unit("energy", 1.0),
    "mwh": Unit("energy", 1e-3),
    "kwh": Unit("energy", 1e3),
    "w": Unit("power", 1.0),
    "mw": Unit("power", 1e-3),
    "kw": Unit("power", 1e3),
    "s": Unit("time", 1.0),
    "sec": Unit("time", 1.0),
    "second": Unit("time", 1.0),
    "ms": Unit("time", 1e-3),
    "min": Unit("time", 60.0),
    "h": Unit("time", 3600.0),
    "hr": Unit("time", 3600.0),
    "ohm": Unit("resistance", 1.0),
    "ohms": Unit("resistance", 1.0),
    "ω": Unit("resistance", 1.0),
    "mohm": Unit("resistance", 1e-3),
    "mω": Unit("resistance", 1e-3),
    "%": Unit("percent", 1.0),
}

#: Header units that mean "a duration written h:mm:ss".
DURATION_UNITS = {"h:mm:ss", "hh:mm:ss", "h:min:s", "h:min:s.ms", "hh:mm:ss.ms", "d-hh:mm:ss"}

#: A series-cell voltage header name: "cell 3", "cell_3_v", "cell3 voltage".
CELL_VOLTAGE_NAME = re.compile(r"^cell[ _]?(\d+)(?:[ _]?(?:v|voltage))?$")
#: A series-cell temperature header name: "cell_3_temp_c" (the canonical name), "cell 3 temp",
#: "cell3 temperature".
CELL_TEMPERATURE_NAME = re.compile(r"^cell[ _]?(\d+)[ _]?(?:temp|temperature)(?:_c)?$")

_BRACKETED = re.compile(r"^(?P<name>.*?)\s*[\(\[](?P<unit>[^\)\]]*)[\)\]]\s*$")
_SLASHED = re.compile(r"^(?P<name>.*?)\s*/\s*(?P<unit>[^/]+)$")
_COMMA = re.compile(r"^(?P<name>.*?)\s*,\s*(?P<unit>[^,]+)$")


def header_cells(line: str, delimiter: str = ",") -> list[str]:
    """The cells of one line of a delimited table, trimmed and unquoted as a CSV reader reads them.

    ``'"Voltage, V","Current, A"'`` -> ``["Voltage, V", "Current, A"]``: a delimiter
    inside quotes belongs to the cell (what pandas does with the same line).
    """
    row = next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter, skipinitialspace=True), [])
    return [c.strip() for c in row] or [""]


def split_header(header: str) -> tuple[str, str]:
    """``"Current(mA)"`` -> ``("current", "ma")``: the name and unit, lower-case, trimmed.

    A header without a unit gives ``(name, "")``. The degree sign some exports
    mangle into ``?`` (``"T1(?)"``) reads as degC. A unit after a comma
    (``"Voltage, V"``) counts only when it is a known unit: ``"Step, Index"`` is a name.
    """
    text = str(header).strip()
    m = _BRACKETED.match(text) or _SLASHED.match(text)
    if m and m.group("name"):
        return m.group("name").strip().lower(), _unit_text(m.group("unit"))
    m = _COMMA.match(text)
    if m and m.group("name"):
        unit = _unit_text(m.group("unit"))
        if unit in UNITS or unit in DURATION_UNITS:
            return m.group("name").strip().lower(), unit
    return text.lower(), ""


def _unit_text(unit: str) -> str:
    """A unit as :data:`UNITS` spells it: lower case, no spaces, a mangled degree sign mended."""
    unit = unit.strip().lower().replace(" ", "")
    return {"?": "°c", "?c": "°c", "\ufffdc": "°c", "\ufffd": "°c"}.get(unit, unit)


def unit_of(header: str) -> Unit | None:
    """The :class:`Unit` named in ``header``, or None."""
    return UNITS.get(split_header(header)[1])


def parse_durations(values: pd.Series, origin: str, column: str, first_line: int) -> np.ndarray:
    """Seconds from ``h:mm:ss[.f]``, ``d-hh:mm:ss``, ``1d 02:00:00``, ``1 day, 02:00:00`` or numbers.

    Hours may exceed 24 (Neware's ``27:55:43``). A value that is none of these
    is a :class:`SchemaError` naming its line.
    """
    import pandas as pd

    text = values.astype(str).str.strip()
    numeric = pd.to_numeric(text, errors="coerce")
    parts = text.str.extract(
        r"^(?:(?P<d>\d+)(?:-|d\s*|\s*days?,?\s*))?(?P<h>\d+):(?P<m>\d{1,2})(?::(?P<s>\d{1,2}(?:[.,]\d*)?))?$"
    )
    seconds = (
        parts["d"].astype(float).fillna(0) * 86400
        + parts["h"].astype(float) * 3600
        + parts["m"].astype(float) * 60
        + parts["s"].str.replace(",", ".").astype(float).fillna(0)
    )
    out = np.where(numeric.notna(), numeric, seconds).astype(float)
    bad = np.isnan(out) & (text != "") & values.notna().to_numpy() & (text != "nan")
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise SchemaError(
            f"{origin}: line {first_line + row}, column {column}: {shown(text.iloc[row])} "
            "is not a duration (h:mm:ss)"
        )
    return out


def parse_datetimes(
    values: pd.Series, origin: str, column: str, first_line: int, dayfirst: bool = False
) -> np.ndarray:
    """UTC epoch seconds of absolute times (ISO strings, ``10/21/2019 23:59:59``, or epoch numbers).

    Times without a zone are taken as UTC (cyclers write local time without
    saying which; the offset cancels in ``time_s``).
    """
    import pandas as pd

    numeric = pd.to_numeric(values, errors="coerce")
    text = values.astype(str).str.strip()
    if (numeric.notna() | values.isna() | (text == "")).all():  # epoch numbers, some missing
        return numeric.to_numpy(dtype=float)
    try:
        stamps = pd.to_datetime(text, errors="coerce", utc=True, dayfirst=dayfirst, format="mixed")
    except (ValueError, TypeError):
        stamps = pd.Series(pd.NaT, index=values.index)
    bad = stamps.isna().to_numpy() & (text != "").to_numpy() & values.notna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise SchemaError(
            f"{origin}: line {first_line + row}, column {column}: {shown(text.iloc[row])} "
            "is not a date and time"
        )
    ns = stamps.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
    ns[stamps.isna().to_numpy()] = np.nan
    return ns / 1e9


def epoch_to_iso(seconds: float) -> str:
    """ISO 8601 UTC string of epoch ``seconds``."""
    from datetime import datetime

    return datetime.fromtimestamp(float(seconds), tz=UTC).isoformat()


def to_numbers(
    values: pd.Series, origin: str, column: str, first_line: int, decimal: str = "."
) -> np.ndarray:
    """Float values of a column; a non-number is a :class:`SchemaError` naming its line.

    Empty cells and ``N/A`` become NaN; ``decimal=","`` reads ``3,71``.
    """
    import pandas as pd

    if pd.api.types.is_numeric_dtype(values):
        return values.to_numpy(dtype=float)
    text = values.astype(str).str.strip()
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    numeric = pd.to_numeric(text, errors="coerce")
    blank = values.isna() | text.isin(["", "nan", "NaN", "N/A", "NA", "n/a", "-", "--"])
    bad = numeric.isna() & ~blank
    if bad.any():
        keep = ~blank.to_numpy()
        with_units = _numbers_with_units(
            text[keep], np.flatnonzero(keep), origin, column, first_line
        )
        if with_units is not None:
            out = np.full(len(values), np.nan)
            out[keep] = with_units
            return out
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise SchemaError(
            f"{origin}: line {first_line + row}, column {column}: "
            f"{shown(values.iloc[row])} is not a number"
        )
    return numeric.to_numpy(dtype=float)


_VALUE_WITH_UNIT = r"^(?P<x>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(?P<u>[^\d\s]+)$"


def _numbers_with_units(
    text: pd.Series, rows: np.ndarray, origin: str, column: str, first_line: int
):
    """SI values of cells like ``"3.71 V"``, all in one unit; None if the cells are not so.

    ``rows`` are the cells' row positions in the table. A column whose unit
    changes (``3.71 V`` then ``3712 mV``) is a SchemaError naming the first line
    in the other unit: a mix-up, not a measurement.
    """
    parts = text.str.extract(_VALUE_WITH_UNIT)
    if parts["x"].isna().any():
        return None
    unit_names = parts["u"].str.lower()
    if not unit_names.map(lambda u: u in UNITS).all():
        return None
    other = np.flatnonzero((unit_names != unit_names.iloc[0]).to_numpy())
    if other.size:
        k = int(other[0])
        raise SchemaError(
            f"{origin}: line {first_line + int(rows[k])}, column {column}: mixed units "
            f"({parts['u'].iloc[0]!r} above, {parts['u'].iloc[k]!r} here)"
        )
    unit = UNITS[unit_names.iloc[0]]
    return parts["x"].astype(float).to_numpy() * unit.scale + unit.offset


@dataclass(frozen=True)
class Dialect:
    """How a text table is written: delimiter, decimal mark, and the 0-based header line."""

    delimiter: str = ","
    decimal: str = "."
    header_line: int = 0


_DELIMITERS = (",", ";", "\t", "|")
#: a number, perhaps with its unit ("3.71", "3,71", "1e-3", "3712 mV") or a time ("0:00:01")
_NUMBER = re.compile(r"^[+-]?(\d+([.,:]\d*)*|[.,]\d+)([eE][+-]?\d+)?\s*[a-zA-Z°%]{0,4}$")


def _header_of(lines: list[str], delim: str, width: int) -> tuple[int | None, float]:
    """The header row of ``lines`` split on ``delim`` and how numeric the data after it is.

    The header is the last line of ``width`` cells, mostly not numbers, before the
    first line of ``width`` cells that are mostly numbers (None without one). The
    fraction is that of the non-empty cells of the next lines of ``width`` cells
    that read as numbers: 1.0 for a table split where its writer split it.
    """
    header = None
    for k, line in enumerate(lines):
        cells = header_cells(line, delim)
        if len(cells) != width:
            continue
        numeric = sum(bool(_NUMBER.match(c)) for c in cells if c)
        if numeric <= len(cells) // 2:
            header = k
            continue
        if header is None:
            return None, 0.0
        rows = [header_cells(ln, delim) for ln in lines[k : k + 50]]
        data = [c for r in rows if len(r) == width for c in r if c]
        return header, sum(bool(_NUMBER.match(c)) for c in data) / max(len(data), 1)
    return None, 0.0


def sniff_dialect(text: str) -> Dialect | None:
    """The :class:`Dialect` of a table from its first lines, or None if it is not one.

    Each delimiter is tried: the one chosen gives a header row (a line of mostly
    non-numbers followed by lines of mostly numbers, all with the same number >= 2
    of cells), then the same number of cells on the most of the last lines, then
    data cells that are numbers. The header decides between ``;`` and ``,`` in a
    decimal-comma table (``time_s;voltage_v`` / ``0;11,8987``): split on ``,`` its
    data rows may have as many cells as on ``;``, its header has not. A decimal
    comma is detected when ``;`` or tab separates cells holding ``3,71``-like values.
    """
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) > 1 and not text.endswith("\n"):
        lines = lines[:-1]  # the head may cut the last line
    lines = lines[:200]
    if len(lines) < 2:
        return None
    best: tuple[tuple[int, float, int], int, str, int] | None = None
    for delim in _DELIMITERS:
        counts = [len(header_cells(ln, delim)) for ln in lines[-50:]]
        width = max(set(counts), key=counts.count)
        if width < 2:
            continue
        header, numeric = _header_of(lines, delim, width)
        if header is None:
            continue
        key = (counts.count(width), numeric, width)
        if best is None or key > best[0]:
            best = (key, width, delim, header)
    if best is None:
        return None
    _, width, delim, header = best
    # the header's line number in the file (blank lines were skipped above)
    all_lines = text.splitlines()
    target = lines[header]
    header_line = next(k for k, ln in enumerate(all_lines) if ln == target)
    decimal = "."
    if delim != ",":
        data = [c for ln in lines[header + 1 : header + 50] for c in header_cells(ln, delim)]
        if any(re.match(r"^[+-]?\d+,\d+$", c) for c in data) and not any(
            re.match(r"^[+-]?\d+\.\d+$", c) for c in data
        ):
            decimal = ","
    return Dialect(delim, decimal, header_line)
