"""Per-cycle tables: one row per cycle with at least ``cycle_index`` and
``discharge_capacity_ah`` (what capacity-fade data sets and cycler summaries give).

Cycler summaries and data sets name these columns their own way: ``Cycle``,
``Cycle Number``, ``Discharge Capacity (mAh)``, ``Capacity [Ah]``, ``Qd/mAh``.
Such a header is read as the canonical column when its name is one of
:data:`ALIASES`' and its unit one of the quantity's (mAh, As converted to Ah;
Wh, mWh, kWh to Wh; a coulombic efficiency in % to a fraction). A file with
the canonical column itself keeps it, and an alias is never taken over it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.errors import SchemaError, shown
from app.hardware.logs.tables import open_text
from app.hardware.logs.units import DURATION_UNITS, UNITS, header_cells, split_header

if TYPE_CHECKING:
    import pandas as pd

REQUIRED = ("cycle_index", "discharge_capacity_ah")
#: Beyond these a value is a corrupt file (negative capacities are left to the diagnostics,
#: which skip them and say so).
PLAUSIBLE_LIMITS = {
    "cycle_index": schema.PLAUSIBLE_LIMITS[schema.CYCLE_INDEX],
    "discharge_capacity_ah": (-1e9, 1e9),
}


#: Per-cycle capacities this many times --capacity-ah or more (or its reciprocal or less)
#: are in other units or of another battery: no cell holds 5x its nominal, none in a
#: capacity-fade table is down to a tenth.
CAPACITY_SCALE_LIMITS = (0.1, 5.0)


def check_capacity_scale(path: str, cycles: pd.DataFrame, capacity_ah: float | None) -> None:
    """A SchemaError when the table's capacities do not fit ``capacity_ah`` (mAh in
    the Ah column gave a forecast against a nominal a thousand times smaller)."""
    values = cycles["discharge_capacity_ah"].to_numpy(dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    if capacity_ah is None or not values.size:
        return
    ratio = float(np.median(values)) / capacity_ah
    low, high = CAPACITY_SCALE_LIMITS
    if not low <= ratio <= high:
        raise SchemaError(
            f"{path}: the discharge capacities (median {np.median(values):.4g} Ah) are "
            f"{ratio:.3g} times --capacity-ah {capacity_ah:g}: one of them in other units "
            "(mAh?), or another battery's?"
        )


#: Header names (lower case, ``_`` and ``-`` as spaces, the unit split off) read as a
#: canonical per-cycle column, and the quantity its unit must measure (None: a
#: cycle count, no unit). A capacity or energy without a unit is not taken: mAh read
#: as Ah would be a capacity a thousand times too large.
ALIASES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "cycle_index": (
        (
            "cycle",
            "cycles",
            "cycle index",
            "cycle number",
            "cycle no",
            "cycle no.",
            "cycle nr",
            "cycle #",
            "cycle id",
            "cycle count",
            "cycle num",
            "cycle nb",
            "cycle idx",
            "cyc",
            "cyc no",
            "cycle_index",
        ),
        None,
    ),
    "discharge_capacity_ah": (
        (
            "discharge capacity",
            "discharging capacity",
            "discharged capacity",
            "discharge cap",
            "discharge",
            "dischg capacity",
            "dchg capacity",
            "dchg cap",
            "dis capacity",
            "capacity discharge",
            "qd",
            "q discharge",
            "q_discharge",
            "capacity",
        ),
        "charge",
    ),
    "charge_capacity_ah": (
        (
            "charge capacity",
            "charging capacity",
            "charged capacity",
            "charge cap",
            "charge",
            "chg capacity",
            "chg cap",
            "capacity charge",
            "qc",
            "q charge",
        ),
        "charge",
    ),
    "discharge_energy_wh": (
        ("discharge energy", "discharging energy", "dchg energy", "energy discharge", "discharge"),
        "energy",
    ),
    "charge_energy_wh": (
        ("charge energy", "charging energy", "chg energy", "energy charge", "charge"),
        "energy",
    ),
    "coulombic_efficiency": (("coulombic efficiency", "ce"), "percent"),
}


_SI_UNIT = {"coulombic_efficiency": "a fraction", "cycle_index": "a count"} | {
    t: t.rsplit("_", 1)[1].capitalize() for t in ALIASES if t.endswith(("_ah", "_wh"))
}


#: Unit words a header may end in without brackets (``capacity_pct``), as :data:`UNITS`
#: spells them.
_WORD_UNITS = {"pct": "%", "percent": "%"}


def _compact(name: str) -> str:
    """A header name as :data:`ALIASES` are compared: without spaces or dots, so that
    ``CycleNumber``, ``cycle_number`` and ``Cycle No.`` are one name."""
    return name.replace(" ", "").replace(".", "")


#: :data:`ALIASES`' names, compacted (:func:`_compact`).
_COMPACT_NAMES = {t: {_compact(n) for n in names} for t, (names, _) in ALIASES.items()}


def _name_and_unit(header: str) -> tuple[str, str]:
    """A header's name (lower case, ``_`` and ``-`` as spaces, compacted) and unit:
    bracketed or slashed (``Capacity (mAh)``, ``Qd/mAh``), else a unit as the name's
    last word (``discharge_capacity_mah``, ``Capacity Ah``, ``ce_pct``)."""
    name, unit = split_header(header)
    name = " ".join(name.replace("_", " ").replace("-", " ").split())
    if not unit:
        head, _, last = name.rpartition(" ")
        last = _WORD_UNITS.get(last, last)
        if head and last in UNITS:
            name, unit = head, last
    return _compact(name), unit


def _scale(quantity: str | None, unit: str) -> float | None:
    """The factor to the canonical column's unit from ``unit`` (None: not that quantity's)."""
    if quantity is None:
        return 1.0 if not unit else None
    if quantity == "percent":
        return 0.01 if unit == "%" else None
    u = UNITS.get(unit)
    return u.scale if u is not None and u.quantity == quantity else None


def column_map(columns: list[str]) -> dict[str, tuple[str, float]]:
    """``{header: (canonical column, scale to its unit)}`` for the headers of a
    per-cycle table that :data:`ALIASES` names (the canonical ones as themselves).
    A name that is several columns' (``Discharge``: a capacity in Ah, an energy in
    Wh) is the one its unit measures."""
    found: dict[str, tuple[str, float]] = {c: (c, 1.0) for c in columns if c in ALIASES}
    taken = {target for target, _ in found.values()}
    for header in columns:
        if header in found:
            continue
        name, unit = _name_and_unit(header)
        for target, (_, quantity) in ALIASES.items():
            if target in taken or name not in _COMPACT_NAMES[target]:
                continue
            scale = _scale(quantity, unit)
            if scale is not None:
                found[header] = (target, scale)
                taken.add(target)
                break
    return found


def unread_headers(columns: list[str], target: str) -> list[str]:
    """Headers named as ``target`` whose unit is missing or not the quantity's, each with
    why (``Discharge Capacity: no unit (Ah or mAh?)``): what the error of a table missing
    ``target`` names."""
    names, quantity = ALIASES[target]
    out = []
    for header in columns:
        name, unit = _name_and_unit(header)
        if name not in _COMPACT_NAMES[target] or _scale(quantity, unit) is not None:
            continue
        if quantity is None:
            out.append(f"{header}: a cycle count has no unit")
        elif not unit:
            example = "Ah or mAh" if quantity == "charge" else "Wh" if quantity == "energy" else "%"
            out.append(f"{header}: no unit ({example}?)")
        else:
            out.append(f"{header}: {unit} is not a unit of {quantity}")
    return out


def header_columns(path: str) -> list[str]:
    """The column names of a CSV file's header row (after any ``#`` lines)."""
    try:
        with open_text(path) as fh:
            for line in fh:
                if not line.startswith("#"):
                    return header_cells(line.strip())
    except OSError:
        return []
    return []


#: Quantities only a log of samples has a column of (a cycler's record of samples has a
#: "Cycle Index" and a "Capacity(Ah)" too, counted within the cycle).
SAMPLE_QUANTITIES = frozenset(("voltage", "current", "time"))
#: Header names of a log of samples that carry no unit (``Time Stamp``, ``Record``).
SAMPLE_NAMES = frozenset(
    ("time", "timestamp", "time stamp", "date time", "datetime", "voltage", "current")
    + ("record", "record id", "record index", "data point")
)
#: Words that make a time, voltage or current column a per-cycle quantity (``Charge
#: Time(s)``, ``Mean Voltage(V)``, ``End Voltage(V)``, ``Max Current(A)``, ``Duration(h)``):
#: a cycle statistics export has them, a log of samples has the plain quantity.
PER_CYCLE_WORDS = frozenset(
    ("charge", "discharge", "chg", "dchg", "dis", "cc", "cv", "rest", "cycle", "duration")
    + ("mean", "average", "avg", "median", "max", "maximum", "min", "minimum", "peak")
    + ("end", "start", "initial", "final", "last", "first", "total", "nominal", "cutoff")
)


def _measures_samples(word: str) -> bool:
    """``word`` (a header's unit, or its name without one) is a unit of voltage, current
    or time, in the singular or plural (``V``, ``Volts``, ``Amps``, ``Seconds``)."""
    for w in (word, word[:-1] if word.endswith("s") else word):
        unit = UNITS.get(w)
        if unit is not None and unit.quantity in SAMPLE_QUANTITIES:
            return True
    return word in DURATION_UNITS


def is_sample_header(header: str) -> bool:
    """True for a header only a log of samples has: a plain time, voltage or current, by
    its unit (``U(V)``, ``Amps``, ``Test_Time(s)``, ``test_time_s``, ``Seconds``) or by its name (``Time
    Stamp``, ``Voltage``). A per-cycle quantity is not one: ``Charge Time(s)``, ``Mean
    Voltage(V)``, ``End Voltage(V)``, ``Max Current(A)``, ``Duration(h)``, ``Date``
    (a word of :data:`PER_CYCLE_WORDS` in its name)."""
    if header in ("time_s", "voltage_v", "current_a"):
        return True
    name, unit = split_header(header)
    name = " ".join(name.replace("_", " ").replace("-", " ").split())
    words = name.split()
    if any(w in PER_CYCLE_WORDS for w in words):
        return False
    if unit:
        return _measures_samples(unit)
    return (
        name in SAMPLE_NAMES
        or _measures_samples(name.replace(" ", ""))
        or (len(words) > 1 and words[-1] in ("time", "timestamp", "voltage", "current"))
        or (len(words) > 1 and _measures_samples(words[-1]))  # test_time_s, voltage_v
    )


#: Rows read to tell a per-cycle table with sample columns from a log of samples.
ROWS_CHECKED = 1000


def _one_row_per_cycle(path: str | None, cols: list[str], cycle_header: str) -> bool:
    """The first :data:`ROWS_CHECKED` rows of ``path`` (at least 2) each have a cycle of
    their own: a cycler's statistics export (Arbin's ``Cycle_Index, Test_Time(s),
    Current(A), Voltage(V), Discharge_Capacity(Ah)``: the end of each cycle) and not its
    log of samples, whose cycle repeats from one sample to the next."""
    import pandas as pd

    if path is None or not os.path.isfile(path):
        return False
    try:
        cycle = pd.read_csv(
            path,
            comment="#",
            skipinitialspace=True,
            usecols=[cols.index(cycle_header)],
            nrows=ROWS_CHECKED,
        ).iloc[:, 0]
    except (ValueError, OSError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return False
    cycle = pd.to_numeric(cycle, errors="coerce").dropna()
    return len(cycle) >= 2 and not cycle.duplicated().any()


def _canonical_columns(cols: list[str], path: str | None = None) -> set[str]:
    """The canonical per-cycle columns the headers give (none for a log of samples that
    only has per-cycle columns by alias: a plain time, voltage or current column and a
    cycle that repeats in its rows)."""
    mapping = column_map(cols)
    found = {target for target, _ in mapping.values()}
    if all(c in cols for c in REQUIRED) or not any(is_sample_header(h) for h in cols):
        return found
    cycle = next((h for h, (t, _) in mapping.items() if t == "cycle_index"), None)
    if cycle is not None and _one_row_per_cycle(path, cols, cycle):
        return found
    return set()


def is_cycle_table(path: str) -> bool:
    """True for a per-cycle table (it has the per-cycle columns, by their names or
    :data:`ALIASES`, and no ``time_s``)."""
    cols = header_columns(path) if os.path.isfile(path) else []
    return "time_s" not in cols and all(c in _canonical_columns(cols, path) for c in REQUIRED)


def read_cycle_table(path: str) -> pd.DataFrame:
    """Read a per-cycle table; raises :class:`SchemaError` naming the line of a bad value."""
    import pandas as pd

    try:
        df = pd.read_csv(path, comment="#", skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{path}: not a readable CSV ({exc})") from None
    df.columns = [str(c).strip() for c in df.columns]
    mapping = column_map(list(df.columns))
    renamed = {h: target for h, (target, _) in mapping.items() if h != target}
    scales = {target: scale for target, scale in mapping.values() if scale != 1.0}
    df = df.rename(columns=renamed)
    # an error names the file's own column ("discharge_capacity_mah", not ours)
    own = {target: h for h, target in renamed.items()}

    def named(col: str) -> str:
        return own.get(col, col)

    for col in REQUIRED:
        if col not in df.columns:
            raise SchemaError(f"{path}: missing required column {col}")
    if not len(df):
        raise SchemaError(f"{path}: no cycles")
    for col in df.columns:
        if pd.api.types.is_numeric_dtype(df[col]):
            continue
        numeric = pd.to_numeric(df[col], errors="coerce")
        bad = numeric.isna() & df[col].notna()
        if bad.any() and col in REQUIRED:
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise SchemaError(
                f"{path}: line {row + 2}, column {named(col)}: {shown(df[col].iloc[row])} "
                "is not a number"
            )
        df[col] = numeric
    for col, scale in scales.items():
        df[col] = df[col] * scale
    df.attrs["columns_read_as"] = {
        h: f"{t} (converted to {_SI_UNIT.get(t, t)})" if t in scales else t
        for h, t in renamed.items()
    }
    for col, (low, high) in PLAUSIBLE_LIMITS.items():
        values = df[col].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            bad = np.isinf(values) | (values < low) | (values > high)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise SchemaError(
                f"{path}: line {row + 2}, column {named(col)}: {values[row]:g} is not a "
                "plausible value"
            )
    cycle = df["cycle_index"].to_numpy(dtype=float)
    known = np.isfinite(cycle)
    repeated = pd.Series(cycle).duplicated().to_numpy() & known
    if repeated.any():
        row = int(np.flatnonzero(repeated)[0])
        first = int(np.flatnonzero(cycle == cycle[row])[0])
        raise SchemaError(
            f"{path}: line {row + 2}: cycle {cycle[row]:g} again (first on line {first + 2}): "
            "a per-cycle table has one row per cycle; a log of samples needs its time, "
            "voltage and current columns (time_s, voltage_v, current_a)"
        )
    return df


#: The score of a per-cycle table found only through :data:`ALIASES`: below the generic
#: table reader's 0.3 for a complete mapping of samples.
ALIAS_SCORE = 0.25


def sniff(path: str, head: bytes) -> float:
    """A per-cycle table is recognised so that opening it as samples says what it is;
    a table with one of its columns (and nothing a better reader takes) so that the
    error names the missing one."""
    if b"\x00" in head[:4096]:
        return 0.0
    cols = header_columns(path)
    canonical = _canonical_columns(cols, path)
    found = sum(c in canonical for c in REQUIRED)
    if "time_s" in cols or not found:
        return 0.0
    if found < len(REQUIRED):
        return 0.1
    # Found only through ALIASES: a guess, below the generic table reader's complete
    # mapping (ALIAS_SCORE < 0.3), so that a table it can read as samples goes to it.
    # A table with sample columns (Arbin's statistics export) is one only by its rows, a
    # cycle each (_one_row_per_cycle): as sure as the canonical names, and above the
    # Arbin and generic readers that would take each cycle for a sample.
    if all(c in cols for c in REQUIRED) or any(is_sample_header(h) for h in cols):
        return 0.95
    return ALIAS_SCORE


def _unread_text(path: str, missing: list[str]) -> str:
    """`` (read none of: Discharge Capacity: no unit (Ah or mAh?))`` for the error of a
    table missing ``missing``; empty when no header comes near."""
    cols = header_columns(path)
    near = [text for target in missing for text in unread_headers(cols, target)]
    return f" ({'; '.join(near)})" if near else ""


def read(path: str, progress=None):
    """Per-cycle tables hold no samples: a SchemaError saying so and what reads them."""
    canonical = _canonical_columns(header_columns(path), path)
    missing = [c for c in REQUIRED if c not in canonical]
    if missing:
        raise SchemaError(
            f"{path}: no column {', '.join(missing)}{_unread_text(path, missing)}: a "
            f"per-cycle table needs {' and '.join(REQUIRED)} (or e.g. Cycle, Discharge "
            "Capacity (mAh), discharge_capacity_mah), a log of samples time_s, voltage_v "
            "and current_a"
        )
    raise SchemaError(
        f"{path}: a per-cycle table (cycle_index, discharge_capacity_ah), not samples; "
        "`batteryos analyze` runs the lifetime diagnostics on it"
    )
