"""Partial cycles of the per-cycle table: marked, and their efficiencies left out.

A coulombic (or energy) efficiency means something only for a cycle that
returns to the state it started from after a complete charge and discharge.
A log's first cycle often starts mid-way (a simulated run starting at 86 % SOC
gave "CE 0.804") and its last one often stops mid-way; a cycle can also have a
charge or discharge cut short. Such a cycle gets ``partial`` True and no
``coulombic_efficiency`` / ``energy_efficiency`` (so the summaries, the plots
and :func:`~app.diagnostics.suite.lifetime_cycles`, which takes the cycles with
an efficiency as the complete ones, leave them out). Its capacities stay.

A cycle is partial when

- it lacks a charge or a discharge (one under 1 % of the other);
- it does not return to its start: its last active sample (the end of its last
  half) is compared with the previous cycle's, else its first active sample
  with the next cycle's (the next cycle starts where this one ended). The two
  samples must carry a like current (same sign, within 10 %: a cut-off reached
  under the same load); their voltages must agree within 3 % of the table's
  voltage window (median end-of-charge minus median end-of-discharge voltage).
  A cycle with no like sample to compare with is partial: the first cycle of a
  log starting with a rest and then a charge, the last one of a log cut off mid-step.

Active samples here carry at least :data:`ACTIVE_FRACTION` of the cycle's
largest current: a rest's noise (a simulated pack's 0.1 A spikes) is no end
of a half, and the end of a CV charge is read at the same point every cycle.
:func:`add_end_points` notes each row's first and last active samples (private
``_``-keys the table's columns leave out) where the rows are made, from the
cycle's own samples; :func:`mark_partial_cycles` then reads only the rows, so
the live tracker gives the offline table's marks.

Not judged: a charge or discharge cut short in a cycle that still returns to
its start (a shallow cycle between full ones); its capacity is low and its
efficiency stays.
"""

from __future__ import annotations

import numpy as np

#: voltages agree within this fraction of the table's voltage window
VOLTAGE_TOLERANCE = 0.03
#: currents are alike within this fraction of the larger one
CURRENT_TOLERANCE = 0.10
#: a half under this fraction of the other is missing
MISSING_HALF = 0.01
#: a sample is active from this fraction of the cycle's largest current on
ACTIVE_FRACTION = 0.1

_POINTS = ("_start_v", "_start_i", "_end_v", "_end_i")


def add_end_points(
    rows: list[dict], v: np.ndarray, i: np.ndarray, segments: list[tuple[int, int]]
) -> list[dict]:
    """Note in each row (of ``segments``) the voltage and current of its first and
    last active samples (None without any). Changes the rows in place."""
    for row, (a, b) in zip(rows, segments, strict=True):
        size = np.abs(i[a:b])
        peak = float(size.max()) if b > a else 0.0
        active = np.flatnonzero(size >= ACTIVE_FRACTION * peak) if peak > 0 else size[:0]
        if active.size:
            first, last = a + int(active[0]), a + int(active[-1])
            points = (float(v[first]), float(i[first]), float(v[last]), float(i[last]))
        else:
            points = (None,) * 4
        row.update(zip(_POINTS, points, strict=True))
    return rows


def _median(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None and np.isfinite(r[key])]
    return float(np.median(values)) if values else None


def _alike(i1: float | None, i2: float | None) -> bool:
    if i1 is None or i2 is None or np.sign(i1) != np.sign(i2):
        return False
    return abs(i1 - i2) <= CURRENT_TOLERANCE * max(abs(i1), abs(i2))


def _closed(rows: list[dict], k: int, tol: float) -> bool:
    """True when cycle ``k`` ends where it started (see the module docstring)."""
    row = rows[k]
    pairs = []
    if k > 0:
        pairs.append((row, rows[k - 1], "_end_v", "_end_i"))
    if k + 1 < len(rows):
        pairs.append((row, rows[k + 1], "_start_v", "_start_i"))
    for mine, other, v_key, i_key in pairs:
        if _alike(mine.get(i_key), other.get(i_key)):
            return abs(mine[v_key] - other[v_key]) <= tol
    return False


def mark_partial_cycles(rows: list[dict]) -> list[dict]:
    """Copies of ``rows`` with ``partial`` set, and no efficiencies on partial cycles."""
    out = [dict(r) for r in rows]
    eoc = _median(out, "end_of_charge_voltage_v")
    eod = _median(out, "end_of_discharge_voltage_v")
    window = eoc - eod if eoc is not None and eod is not None and eoc > eod else None
    for k, row in enumerate(out):
        qc, qd = row["charge_capacity_ah"], row["discharge_capacity_ah"]
        missing = min(qc, qd) <= MISSING_HALF * max(qc, qd)
        partial = missing or window is None or not _closed(out, k, VOLTAGE_TOLERANCE * window)
        row["partial"] = partial
        if partial:
            row["coulombic_efficiency"] = row["energy_efficiency"] = None
    return out
