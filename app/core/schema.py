"""The canonical sample schema (DESIGN.md, "Data") and its validator.

One row per sample, SI units, current positive when charging.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from app.core.errors import SchemaError, shown

if TYPE_CHECKING:  # pandas is imported lazily on start-up paths
    import pandas as pd

TIME = "time_s"
VOLTAGE = "voltage_v"
CURRENT = "current_a"
TEMPERATURE = "temperature_c"
CYCLE_INDEX = "cycle_index"
STEP_INDEX = "step_index"
SOC_REPORTED = "soc_reported_pct"
SOH_REPORTED = "soh_reported_pct"

REQUIRED_COLUMNS: tuple[str, ...] = (TIME, VOLTAGE, CURRENT)
OPTIONAL_COLUMNS: tuple[str, ...] = (
    TEMPERATURE,
    CYCLE_INDEX,
    STEP_INDEX,
    SOC_REPORTED,
    SOH_REPORTED,
)
INTEGER_COLUMNS: tuple[str, ...] = (CYCLE_INDEX, STEP_INDEX)

CELL_VOLTAGE_RE = re.compile(r"^cell_(\d+)_v$")
CELL_TEMPERATURE_RE = re.compile(r"^cell_(\d+)_temp_c$")


def cell_voltage_column(k: int) -> str:
    """Column name of the voltage of series cell ``k`` (1-based)."""
    return f"cell_{k}_v"


def cell_temperature_column(k: int) -> str:
    """Column name of the temperature of series cell ``k`` (1-based)."""
    return f"cell_{k}_temp_c"


def _sorted_cells(columns, pattern: re.Pattern[str]) -> list[str]:
    found = [(int(m.group(1)), c) for c in columns if (m := pattern.match(c))]
    return [c for _, c in sorted(found)]


def cell_voltage_columns(columns) -> list[str]:
    """The ``cell_<k>_v`` columns among ``columns``, ordered by k."""
    return _sorted_cells(columns, CELL_VOLTAGE_RE)


def series_cells_in(df) -> int:
    """Series cells the samples imply (0: no cell voltages to tell).

    Usually the number of ``cell_<k>_v`` columns. A source may report only
    some cells (a CAN log decoding a few multiplexed frames, a BMS listing its
    extremes), so the pack voltage over the mean cell voltage decides when it
    says clearly more cells are in series than there are columns.
    """
    cells = cell_voltage_columns(df.columns)
    if not cells or VOLTAGE not in df.columns:
        return len(cells)
    volts = df[cells].to_numpy(dtype=float)
    seen = np.isfinite(volts).sum(axis=1)
    with np.errstate(all="ignore"):  # rows without a cell reading drop out below
        mean_cell = np.where(seen > 0, np.nansum(volts, axis=1) / np.maximum(seen, 1), np.nan)
        ratios = df[VOLTAGE].to_numpy(dtype=float) / mean_cell
    ratios = ratios[np.isfinite(ratios)]
    if not len(ratios) or np.median(ratios) < len(cells) * 1.5:
        return len(cells)
    ratio = float(np.median(ratios))
    return int(round(ratio))


def with_current_inverted(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with ``current_a`` negated: for a log that counts discharge as
    positive (``--invert-current``, ``invert_current=1``). Only when the user says so:
    :mod:`app.diagnostics.current_sign` warns, it never flips."""
    out = df.copy()
    if CURRENT in out.columns:
        out[CURRENT] = -out[CURRENT]
    return out


def cell_temperature_columns(columns) -> list[str]:
    """The ``cell_<k>_temp_c`` columns among ``columns``, ordered by k."""
    return _sorted_cells(columns, CELL_TEMPERATURE_RE)


def is_canonical_column(name: str) -> bool:
    return (
        name in REQUIRED_COLUMNS
        or name in OPTIONAL_COLUMNS
        or bool(CELL_VOLTAGE_RE.match(name) or CELL_TEMPERATURE_RE.match(name))
    )


def validate_samples(
    df: pd.DataFrame, *, origin: str = "data", header_lines: int = 1
) -> pd.DataFrame:
    """Check ``df`` against the canonical schema and return it with float columns.

    Raises :class:`SchemaError` naming the problem: a missing column, a
    non-numeric value (with its line in the file, counting ``header_lines``
    lines before the first row), time going backwards or spanning more than
    :data:`MAX_TIME_SPAN_S`. Columns that are not
    part of the schema are kept untouched.
    """
    import pandas as pd

    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{origin}: missing required column(s) {', '.join(missing)}"
            f" (found: {', '.join(map(str, df.columns)) or 'none'})"
        )
    if len(df) == 0:
        raise SchemaError(f"{origin}: no samples (the table has a header but no rows)")
    # shallow: each converted column is replaced, never written into, so the caller's
    # frame is unchanged (a deep copy would also merge the columns into one block: 10x slower)
    out = df.copy(deep=False)
    for col in [c for c in out.columns if is_canonical_column(c)]:
        values = out[col]
        if not pd.api.types.is_numeric_dtype(values):
            numeric = pd.to_numeric(values, errors="coerce")
            bad = numeric.isna() & values.notna() & (values.astype(str).str.strip() != "")
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise SchemaError(
                    f"{origin}: line {row + header_lines + 1}, column {col}: "
                    f"{shown(str(values.iloc[row]))} is not a number"
                )
            values = numeric
        out[col] = values.astype("float64")
    _check_finite_and_plausible(out, origin, header_lines)
    t = out[TIME].to_numpy()
    if np.isnan(t).any():
        row = int(np.flatnonzero(np.isnan(t))[0])
        raise SchemaError(f"{origin}: line {row + header_lines + 1}, column {TIME}: empty time")
    back = np.flatnonzero(np.diff(t) < 0)
    if back.size:
        row = int(back[0]) + 1
        raise SchemaError(
            f"{origin}: line {row + header_lines + 1}, column {TIME}: time goes backwards "
            f"({t[row - 1]:g} s then {t[row]:g} s)"
        )
    if len(out) < 2 or t[-1] <= t[0]:
        raise SchemaError(f"{origin}: too few samples: at least two at different times are needed")
    late = np.flatnonzero(t - t[0] > MAX_TIME_SPAN_S)
    if late.size:
        row = int(late[0])
        raise SchemaError(
            f"{origin}: line {row + header_lines + 1}, column {TIME}: {t[row]:g} s is more than "
            f"100 years after the first sample ({t[0]:g} s): not a plausible time"
        )
    for col in (VOLTAGE, CURRENT):
        if not np.isfinite(out[col].to_numpy()).any():
            raise SchemaError(f"{origin}: column {col} has no values")
    return out


#: Magnitudes no battery on a test bench reaches: beyond them a value is a
#: corrupt file or a unit mix-up, not a measurement (a 10 kV pack, a 100 kA
#: current, a temperature beyond 1000 degC or below absolute zero, a billionth cycle).
PLAUSIBLE_LIMITS = {
    VOLTAGE: (-10_000.0, 10_000.0),
    CURRENT: (-100_000.0, 100_000.0),
    TEMPERATURE: (-273.15, 1000.0),
    # counters from 0 (BioLogic) or 1 up; a negative or astronomic one is a corrupt column
    CYCLE_INDEX: (0.0, 1e9),
    STEP_INDEX: (0.0, 1e9),
}


#: The longest log a test bench records: beyond it the time column is corrupt or in
#: other units, and the diagnostics' arithmetic on it (dt squared) would overflow.
MAX_TIME_SPAN_S = 100 * 365.25 * 86400.0


def _limits_for(col: str) -> tuple[float, float] | None:
    if col in PLAUSIBLE_LIMITS:
        return PLAUSIBLE_LIMITS[col]
    if CELL_VOLTAGE_RE.match(col):
        return PLAUSIBLE_LIMITS[VOLTAGE]
    if CELL_TEMPERATURE_RE.match(col):
        return PLAUSIBLE_LIMITS[TEMPERATURE]
    return None


def _check_finite_and_plausible(df: pd.DataFrame, origin: str, header_lines: int) -> None:
    for col in [c for c in df.columns if is_canonical_column(c)]:
        values = df[col].to_numpy(dtype=float)
        bad = np.isinf(values)
        limits = _limits_for(col)
        if limits is not None:
            with np.errstate(invalid="ignore"):
                bad |= (values < limits[0]) | (values > limits[1])
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise SchemaError(
                f"{origin}: line {row + header_lines + 1}, column {col}: {values[row]:g} is not "
                "a plausible value"
            )
