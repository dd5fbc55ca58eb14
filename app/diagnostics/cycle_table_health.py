"""A per-cycle table's own health figures: its invalid rows, its SOH by capacity
(the latest cycles against the capacity the table's results rest on: the rated one
given, the figure capacity fade gives as "0.303 of 1.1 Ah nominal", else the first
cycles', as the end of life) and, where the table has a resistance column (CALCE's
``resistance_ohm``, a cycler's ``dcir_ohm``), the resistance as logged against its
own first cycles (SOH by resistance).

A table has no samples: no pulse is found in it, no SOC estimated. What it gives
is said as what it is -- a resistance "as logged", not a pulse measurement.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

import numpy as np

from app.core.number_text import number_text
from app.diagnostics.capacity_fade import EDGE_CYCLES

if TYPE_CHECKING:
    import pandas as pd

#: The columns of a per-cycle table that hold a resistance, in order of preference.
RESISTANCE_COLUMNS = ("resistance_ohm", "dcir_ohm")
#: The invalid rows a warning lists by cycle (the rest are counted).
LISTED_INVALID = 5


def invalid_rows(table: pd.DataFrame) -> np.ndarray:
    """Where a row of a per-cycle table is no capacity measurement: no cycle number, or
    a discharge capacity that is missing, not finite, or not positive (a -5 Ah row)."""
    import pandas as pd

    idx = pd.to_numeric(table["cycle_index"], errors="coerce").to_numpy(dtype=float)
    cap = pd.to_numeric(table["discharge_capacity_ah"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return ~(np.isfinite(idx) & np.isfinite(cap) & (cap > 0))


def invalid_rows_warning(rows: list[dict]) -> str | None:
    """The warning of a table's invalid rows (``rows``: their cycle and capacity), or None."""
    if not rows:
        return None
    listed = ", ".join(
        f"cycle {number_text(r.get('cycle_index'), 'g', missing='?')} "
        f"({number_text(r.get('discharge_capacity_ah'), '.4g', ' Ah', missing='no capacity')})"
        for r in rows[:LISTED_INVALID]
    )
    more = f" and {len(rows) - LISTED_INVALID} more" if len(rows) > LISTED_INVALID else ""
    n = len(rows)
    return (
        f"{n} row{'s' if n != 1 else ''} of the per-cycle table left out: {listed}{more}: "
        "a discharge capacity is a positive number (fade, cycle life and SOH are of the "
        "other rows)"
    )


def _empty_soh() -> dict:
    from app.diagnostics.soh import SohResult

    out = {f.name: None for f in fields(SohResult)}
    out.update(full_cycles=[], ocv_capacity={}, ica_curves=[], ica_peak_trend=[], notes=[])
    out.update(resistance_pulses=0, ica_method="none", resistance_metric="", soh_method="none")
    out["bol_resistance_source"] = ""
    out["resistance_source"] = None
    out["resistance_column"] = None
    return out


def _resistance_column(table: pd.DataFrame) -> str | None:
    import pandas as pd

    for col in RESISTANCE_COLUMNS:
        if col in table.columns:
            values = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=float)
            if (np.isfinite(values) & (values > 0)).any():
                return col
    return None


def cycle_table_soh(valid: pd.DataFrame, fade: dict) -> dict:
    """The SOH result (the keys of :class:`~app.diagnostics.soh.SohResult`) of a per-cycle
    table's valid rows ``valid`` (sorted by cycle) and its capacity fade ``fade``."""
    import pandas as pd

    from app.diagnostics.soh import EOL_RESISTANCE_FACTOR

    out = _empty_soh()
    notes: list[str] = out["notes"]
    final = fade.get("final_capacity_ah")
    # the capacity the table's results rest on, as its header names it: the one given,
    # else the first cycles' (never a chemistry preset's, which is no one's)
    reference = fade.get("eol_reference_capacity_ah")
    given = fade.get("eol_reference_source") == "nominal"
    head = min(EDGE_CYCLES, int(fade.get("cycles_used") or 0))
    out["nominal_capacity_ah"] = reference if given else None
    out["capacity_ah"] = final
    out["capacity_source"] = "cycle_table" if final is not None else None
    whose = "given" if given else "the first cycles'"
    if final is not None and reference:
        out["soh_capacity_percent"] = 100.0 * final / reference
        out["capacity_method"] = f"mean of the last {head} cycles' discharge capacity"
        if not given:
            notes.append(
                # (in words that read in the window as on the command line: no option names)
                f"capacity SOH against the first cycles' {reference:.4g} Ah: no rated "
                "capacity given (give the battery's capacity to compare with it)"
            )
    col = _resistance_column(valid)
    if col is not None:
        r = pd.to_numeric(valid[col], errors="coerce").to_numpy(dtype=float)
        r = r[np.isfinite(r) & (r > 0)]
        n = min(EDGE_CYCLES, len(r))
        bol, now = float(np.median(r[:n])), float(np.median(r[-n:]))
        ratio = now / bol
        out.update(
            resistance_ohm=now,
            resistance_measured_ohm=now,
            bol_resistance_ohm=bol,
            eol_resistance_ohm=EOL_RESISTANCE_FACTOR * bol,
            resistance_metric=f"the table's {col} as logged (median of the last {n} cycles)",
            bol_resistance_source=f"its first {n} cycles",
            resistance_source="cycle_table",  # (not pulses: no samples in a table)
            resistance_column=col,
        )
        if len(r) >= 2 * n:
            soh_r = 100.0 * (EOL_RESISTANCE_FACTOR - ratio) / (EOL_RESISTANCE_FACTOR - 1.0)
            out["soh_resistance_percent"] = min(100.0, max(0.0, soh_r))
        else:
            notes.append(
                f"no resistance SOH: {len(r)} cycles with a resistance, too few to compare "
                f"the first {n} with the last"
            )
    if out["soh_capacity_percent"] is not None:
        out["soh_percent"] = out["soh_capacity_percent"]
        out["soh_method"] = (
            f"capacity: mean of the last {head} cycles, {final:.4g} Ah of {reference:.4g} Ah "
            f"({whose})"
        )
    elif out["soh_resistance_percent"] is not None:
        out["soh_method"] = "resistance"
    return out


def table_resistance_text(soh: dict | None, ohm=None) -> str | None:
    """A per-cycle table's resistance in words, as logged: '122.26 mOhm as logged in
    the table's resistance_ohm column (median of the last cycles), 1.33x its first 5
    cycles' 91.66 mOhm; ...'; None without one. ``ohm``: how a resistance is written (the report's
    ``resistance_text``; plain ohms by default)."""
    if not soh or soh.get("resistance_source") != "cycle_table":
        return None
    now, bol = soh.get("resistance_ohm"), soh.get("bol_resistance_ohm")
    if now is None or not bol:
        return None
    write = ohm or (lambda v: number_text(v, ".4g", " ohm"))
    return (
        f"{write(now)} as logged in the table's {soh.get('resistance_column')} column (median "
        f"of the last cycles), {now / bol:.2f}x {soh.get('bol_resistance_source')}' "
        f"{write(bol)}; as logged, not a pulse measurement (a table has no samples)"
    )
