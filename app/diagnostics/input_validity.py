"""The warnings of an analysis, and which results its inputs make invalid.

One source for ``analyze``, ``report`` (of a file or a recording) and the GUI's
report export: a current whose sign looks reversed (every result counted from the
current is wrong then), the notes of the reader and the options, and a battery
whose voltage window the log's cells live outside (SOC from the OCV table, the
safety limits and the faults judged against them do not hold), or whose OCV table
reads the cells as empty (or full) while charge moves (the SOC does not hold), or whose
chemistry the log contradicts inside its window (a plateau or a CV hold of another
chemistry: :mod:`~app.diagnostics.chemistry_evidence`). The report marks
the results named here as not valid, so none of them reads PASS.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from app.core.spec import BatterySpec

#: results counted from the current: a reversed sign swaps charge and discharge
FROM_CURRENT = ("soc", "soh", "internal_resistance", "capacity_fade", "cycle_life")
#: results judged against the battery's voltage window (what the spec-fit warning names)
FROM_VOLTAGE_WINDOW = ("soc", "safety", "faults")

SIGN_REASON = "the current's sign looks reversed"
WINDOW_REASON = "the cell voltages lie outside the battery's voltage window"
PINNED_REASON = "the battery's OCV table reads the cells as empty or full while charge moves"
DEAD_CELL_REASON = "a cell reads dead or open (0 V) at the end of the log"


def dead_cell_reason(of: str = "log") -> str:
    """:data:`DEAD_CELL_REASON` of ``of`` ('log'; the GUI's 'source', live, or
    'recording')."""
    if of == "source":  # (a live source has no end yet)
        return DEAD_CELL_REASON.replace("at the end of the log", "now")
    return DEAD_CELL_REASON.replace("the log", f"the {of}")


def dead_cell_warning(report: dict, of: str = "log") -> str | None:
    """The warning that a series cell reads dead or open -- below the plausible cell
    band, as cell balance found, to the end of the log (a runaway's cell at 0 V) -- so
    the pack's SOC, estimated as if every cell were sound, is not valid; None if none.
    ``of``: what the data are ('log'; the GUI says 'source' of a live one, 'recording'
    of a stored one)."""
    balance = (report.get("results") or {}).get("cell_balance") or {}
    band = balance.get("plausible_cell_v") or (None, None)
    dead = [
        r
        for r in balance.get("implausible_readings") or ()
        if r.get("reading_now")
        and band[0] is not None
        and r.get("last_value_v") is not None
        and r["last_value_v"] < band[0]
    ]
    if not dead:
        return None
    from app.core.number_text import number_text

    cells = ", ".join(
        f"cell {r['cell']} reads {number_text(r['last_value_v'], '.2f', ' V')} "
        f"(from {number_text(r.get('first_time_s'), 'g', ' s')})"
        for r in dead
    )
    return (
        f"{cells}, below the plausible {band[0]:g} V: a dead cell or an open sense wire; the "
        f"pack's SOC is estimated as if every cell were sound and is not valid for this {of}"
    )


CHEMISTRY_REASON = "the log looks like another chemistry than the battery's"


def with_input_warnings(
    report: dict,
    frame: pd.DataFrame | None,
    spec: BatterySpec | None,
    notes: Iterable[str] = (),
) -> dict:
    """``report`` (the ``analyze --json`` object) with ``warnings`` -- the current
    sign's first, then ``notes`` (the reader's, the options'), then the spec fit --
    and ``invalid_results``: result key -> why its inputs are not valid."""
    from app.diagnostics.chemistry_evidence import chemistry_warning
    from app.diagnostics.spec_fit import pinned_soc_warning, voltage_window_warning

    warnings: list[str] = []
    invalid: dict[str, str] = {}
    sign = (report.get("current_sign") or {}).get("warning")
    if sign:
        warnings.append(sign)
        invalid.update(dict.fromkeys(FROM_CURRENT, SIGN_REASON))
    warnings += [n for n in notes if n]
    misfit = voltage_window_warning(frame, spec) if frame is not None and spec is not None else None
    if misfit:
        warnings.append(misfit)
        for key in FROM_VOLTAGE_WINDOW:
            invalid.setdefault(key, WINDOW_REASON)
    elif frame is not None and spec is not None:
        soc = (report.get("results") or {}).get("soc")
        if pinned := pinned_soc_warning(frame, spec, soc):
            warnings.append(pinned)
            invalid.setdefault("soc", PINNED_REASON)
        elif other := chemistry_warning(frame, spec):
            warnings.append(other)
            for key in FROM_VOLTAGE_WINDOW:
                invalid.setdefault(key, CHEMISTRY_REASON)
    if dead := dead_cell_warning(report):
        warnings.append(dead)
        invalid.setdefault("soc", DEAD_CELL_REASON)
    out = {k: v for k, v in report.items() if k not in ("warnings", "invalid_results")}
    if warnings:
        out["warnings"] = warnings
    if invalid:
        out["invalid_results"] = invalid
    return out
