"""Full cycles: the cycles of a log that measure the battery's capacity.

A cycle is a charge and a discharge. Capacity fade and cycle life follow the
capacity a full cycle's discharge measures; a log of partial-depth steps between
rests is no series of cycles: an HPPC test's 10 % SOC steps (numbered "cycles" by
the simulator and by many cycler schedules: ~10 Ah of a 100 Ah battery each, with
its 10-s charge pulses) or shallow cycles between rests measure no capacity, and a
fade fitted to them reads each step as a cycle with a tenth of the capacity.

A complete cycle (:mod:`~app.diagnostics.partial_cycles`: both halves, and back where
it started) is full when its discharge takes out at least :data:`FULL_CYCLE_DEPTH`
of the capacity the user gave (``--capacity-ah``, a source URL's ``capacity_ah``: the
one end of life is measured against). A cell faded to that is far past any end of
life, so real cycling keeps its cycles. Without a capacity given, a preset's (5 Ah for
a 0.35 Ah Neware cell) would judge nothing right: only complete cycles are asked for
(an HPPC test's steps are none: a step's discharge is not undone by its charge pulse).
No equivalent full cycles are counted from partial ones here: where a log of
several cycles has no full one, fade and cycle life are not applicable (status
``not_applicable``).

Only a table summed from samples is judged: a per-cycle table (a cycler's, NASA's,
CALCE's) gives the capacity of each of its cycles, and its rows stand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.number_text import number_text

if TYPE_CHECKING:
    import pandas as pd

#: a full cycle's discharge takes out at least this fraction of the capacity
FULL_CYCLE_DEPTH = 0.5

#: a log whose deepest discharge is under this fraction of the capacity given may have
#: been given its capacity in other units (mAh as Ah): no test cycles that shallow
OTHER_UNITS_DEPTH = 0.01

#: the status of capacity fade and cycle life on a log with no full cycle
NOT_APPLICABLE = "not_applicable"


def full_cycle_min_ah(capacity_ah: float | None) -> float | None:
    """The least discharge (Ah) of a full cycle of a battery of ``capacity_ah``
    (None: no capacity to judge by)."""
    return FULL_CYCLE_DEPTH * capacity_ah if capacity_ah and capacity_ah > 0 else None


def no_full_cycles_reason(
    cycles: pd.DataFrame, usable: pd.DataFrame, min_ah: float | None
) -> str | None:
    """Why fade and cycle life do not apply to a table summed from samples (``cycles``)
    of which ``usable`` are the full cycles; None where they do, or where the log is too
    short to say: one cycle (a 2-s CAN capture, a charge) is too little data, but a log
    of cycles one after another, none full (an HPPC test's steps), has no full cycles."""
    import pandas as pd

    n = len(cycles)
    if n < 2 or len(usable):
        return None
    column = "net_discharge_capacity_ah"
    if column not in cycles or not cycles[column].notna().any():
        column = "discharge_capacity_ah"
    q = pd.to_numeric(cycles[column], errors="coerce")
    deepest = float(q.max()) if q.notna().any() else 0.0
    full = f"; a full one at least {number_text(min_ah, '.3g', ' Ah')}" if min_ah else ""
    if deepest > 0 and (min_ah is None or deepest >= min_ah):
        # deep enough (or no depth asked): the cycles are not full for being partial, no
        # HPPC steps (the BDF half-cell's first lithiation, 0.0063 Ah of 0.0063 Ah, read
        # "(the deepest discharge 0.0063 Ah; a full one at least 0.00315 Ah)")
        least = f" (a full one at least {number_text(min_ah, '.3g', ' Ah')})" if min_ah else ""
        return (
            f"no full cycles: {n} cycles, none complete: the deepest, a "
            f"{number_text(deepest, '.3g', ' Ah')} discharge{least}, lacks a charge or does "
            "not end where it started, as a log's first and last cycles often do"
        )
    # complete ones are not called partial: closed 10 %-deep cycles between rests, each
    # with its efficiency in the table, were all "partial cycles" here
    partial = int(cycles["partial"].fillna(True).astype(bool).sum()) if "partial" in cycles else n
    count = (
        f"{n} partial cycles"
        if partial == n
        else f"{n} cycles, {partial} of them partial"
        if partial
        else f"{n} complete cycles"
    )
    text = (
        f"no full cycles: {count} (the deepest discharge "
        f"{number_text(deepest, '.3g', ' Ah')}{full}), as an HPPC test's SOC steps or "
        "partial-depth steps between rests"
    )
    capacity = min_ah / FULL_CYCLE_DEPTH if min_ah else None
    if capacity and 0 < deepest < OTHER_UNITS_DEPTH * capacity:
        # a complete cycle of a thousandth of the capacity is a capacity in mAh given as
        # Ah, as a per-cycle table's check says of its capacities
        text += (
            f", or a capacity given in other units (mAh?): the deepest is "
            f"{deepest / capacity:.2g} of {number_text(capacity, '.3g', ' Ah')}"
        )
    return text


def mark_not_applicable(fade: dict, life: dict, reason: str) -> None:
    """Capacity fade and cycle life (plain JSON, in place) say why they do not apply."""
    for result in (fade, life):
        result["status"] = NOT_APPLICABLE
        result["reason"] = reason


def unavailable_word(result: dict) -> str:
    """How a fade or cycle-life result without figures is named: "not applicable" (no
    full cycles in the log) or "not available" (too few of them, no capacities)."""
    return "not applicable" if result.get("status") == NOT_APPLICABLE else "not available"
