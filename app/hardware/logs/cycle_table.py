"""Per-cycle tables: one row per cycle with at least ``cycle_index`` and
``discharge_capacity_ah`` (what capacity-fade data sets and cycler summaries give)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.errors import SchemaError
from app.hardware.logs.tables import open_text
from app.hardware.logs.units import header_cells

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


def is_cycle_table(path: str) -> bool:
    """True for a per-cycle table (it has the per-cycle columns and no ``time_s``)."""
    cols = header_columns(path) if os.path.isfile(path) else []
    return "time_s" not in cols and all(c in cols for c in REQUIRED)


def read_cycle_table(path: str) -> pd.DataFrame:
    """Read a per-cycle table; raises :class:`SchemaError` naming the line of a bad value."""
    import pandas as pd

    try:
        df = pd.read_csv(path, comment="#", skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{path}: not a readable CSV ({exc})") from None
    df.columns = [str(c).strip() for c in df.columns]
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
                f"{path}: line {row + 2}, column {col}: {df[col].iloc[row]!r} is not a number"
            )
        df[col] = numeric
    for col, (low, high) in PLAUSIBLE_LIMITS.items():
        values = df[col].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            bad = np.isinf(values) | (values < low) | (values > high)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise SchemaError(
                f"{path}: line {row + 2}, column {col}: {values[row]:g} is not a plausible value"
            )
    return df


def sniff(path: str, head: bytes) -> float:
    """A per-cycle table is recognised so that opening it as samples says what it is;
    a table with one of its columns (and nothing a better reader takes) so that the
    error names the missing one."""
    if b"\x00" in head[:4096]:
        return 0.0
    cols = header_columns(path)
    found = sum(c in cols for c in REQUIRED)
    if "time_s" in cols or not found:
        return 0.0
    return 0.95 if found == len(REQUIRED) else 0.1


def read(path: str, progress=None):
    """Per-cycle tables hold no samples: a SchemaError saying so and what reads them."""
    cols = header_columns(path)
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise SchemaError(
            f"{path}: no column {', '.join(missing)}: a per-cycle table needs "
            f"{' and '.join(REQUIRED)}, a log of samples time_s, voltage_v and current_a"
        )
    raise SchemaError(
        f"{path}: a per-cycle table (cycle_index, discharge_capacity_ah), not samples; "
        "`batteryos analyze` runs the lifetime diagnostics on it"
    )
