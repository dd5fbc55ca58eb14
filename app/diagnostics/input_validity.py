"""The warnings of an analysis, and which results its inputs make invalid.

One source for ``analyze``, ``report`` (of a file or a recording) and the GUI's
report export: a current whose sign looks reversed (every result counted from the
current is wrong then), the notes of the reader and the options, and a battery
whose voltage window the log's cells live outside (SOC from the OCV table, the
safety limits and the faults judged against them do not hold), or beyond whose OCV
table they live inside a window the user widened (the SOC does not hold), or whose OCV table
reads the cells as empty (or full) while charge moves (the SOC does not hold), or whose
chemistry the log contradicts inside its window (a plateau or a CV hold of another
chemistry: :mod:`~app.diagnostics.chemistry_evidence`). The report marks
the results named here as not valid, so none of them reads PASS.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from app.core.spec import BatterySpec
    from app.diagnostics.spec_fit import FixWords

#: results counted from the current: a reversed sign swaps charge and discharge
FROM_CURRENT = ("soc", "soh", "internal_resistance", "capacity_fade", "cycle_life")
#: results judged against the battery's voltage window (what the spec-fit warning names)
FROM_VOLTAGE_WINDOW = ("soc", "safety", "faults")

SIGN_REASON = "the current's sign looks reversed"
WINDOW_REASON = "the cell voltages lie outside the battery's voltage window"
OCV_RANGE_REASON = "the cell voltages lie beyond the battery's OCV table"
PINNED_REASON = "the battery's OCV table reads the cells as empty or full while charge moves"
DEAD_CELL_REASON = "a cell reads dead or open (0 V) at the end of the log"


def battery_invalid(kind: str | None) -> dict[str, str]:
    """The results a battery misfit of ``kind`` makes not valid, and why: ``"window"``
    (the cells outside its voltage window), ``"ocv_range"`` (beyond its OCV table, inside
    the window given), ``"pinned"`` (its OCV table pinning the SOC),
    ``"chemistry"`` (another chemistry inside the window); None: none."""
    if kind == "window":
        return dict.fromkeys(FROM_VOLTAGE_WINDOW, WINDOW_REASON)
    if kind == "ocv_range":
        return {"soc": OCV_RANGE_REASON}
    if kind == "pinned":
        return {"soc": PINNED_REASON}
    if kind == "chemistry":
        return dict.fromkeys(FROM_VOLTAGE_WINDOW, CHEMISTRY_REASON)
    return {}


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


@dataclass(frozen=True)
class InputWarnings:
    """The warnings of an analysis, by kind, and the results they make not valid: what
    :func:`input_warnings` finds (``analyze``'s, the GUI's Logs page's)."""

    #: the current's sign looks reversed (the suite's ``current_sign`` warning)
    current_sign: str | None
    #: the notes given (the reader's, the options')
    notes: tuple[str, ...]
    #: the battery does not fit the log: its voltage window, its OCV table pinning the
    #: SOC, or another chemistry inside the window (the first of them found)
    battery: str | None
    #: a cell reads dead or open at the end of the log
    dead_cell: str | None
    #: result key -> why its inputs are not valid
    invalid: dict[str, str]

    @property
    def all(self) -> list[str]:
        """All of them, in ``analyze``'s order."""
        return [w for w in (self.current_sign, *self.notes, self.battery, self.dead_cell) if w]


def input_warnings(
    report: dict,
    frame: pd.DataFrame | None,
    spec: BatterySpec | None,
    notes: Iterable[str] = (),
    words: FixWords | None = None,
) -> InputWarnings:
    """The warnings of ``report`` (the ``analyze --json`` object: its ``results`` and
    ``current_sign``) of ``frame`` read as ``spec``, the battery's hints in ``words``
    (the CLI's options by default; the Logs page's own)."""
    from app.diagnostics.chemistry_evidence import chemistry_warning
    from app.diagnostics.spec_fit import (
        CLI_WORDS,
        cell_voltage_counts,
        ocv_range_warning,
        pinned_soc_warning,
        voltage_window_warning,
    )

    words = words or CLI_WORDS
    invalid: dict[str, str] = {}
    sign = (report.get("current_sign") or {}).get("warning")
    if sign:
        invalid.update(dict.fromkeys(FROM_CURRENT, SIGN_REASON))
    battery = None
    if frame is not None and spec is not None:
        soc = (report.get("results") or {}).get("soc")
        if battery := voltage_window_warning(frame, spec, words):
            kind = "window"
        elif battery := ocv_range_warning(cell_voltage_counts(frame, spec), spec, words):
            kind = "ocv_range"
        elif battery := pinned_soc_warning(frame, spec, soc, words):
            kind = "pinned"
        elif battery := chemistry_warning(frame, spec, words):
            kind = "chemistry"
        else:
            kind = None
        for key, why in battery_invalid(kind).items():
            invalid.setdefault(key, why)
    if dead := dead_cell_warning(report):
        invalid.setdefault("soc", DEAD_CELL_REASON)
    return InputWarnings(sign or None, tuple(n for n in notes if n), battery, dead, invalid)


def with_input_warnings(
    report: dict,
    frame: pd.DataFrame | None,
    spec: BatterySpec | None,
    notes: Iterable[str] = (),
) -> dict:
    """``report`` (the ``analyze --json`` object) with ``warnings`` -- the current
    sign's first, then ``notes`` (the reader's, the options'), then the spec fit --
    and ``invalid_results``: result key -> why its inputs are not valid
    (:func:`input_warnings`). Both keys always, empty when there is nothing to say:
    the JSON's keys are stable (DESIGN.md)."""
    found = input_warnings(report, frame, spec, notes)
    out = {k: v for k, v in report.items() if k not in ("warnings", "invalid_results")}
    out["warnings"] = found.all
    out["invalid_results"] = dict(found.invalid)
    return out
