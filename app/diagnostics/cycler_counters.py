"""The cycler's own capacity and energy counters in the per-cycle table.

Cycler logs (Arbin, Maccor, Neware, BDF, ...) carry the instrument's charge and
discharge counters next to the current; the readers keep them as
``charge_capacity_ah`` / ``discharge_capacity_ah`` / ``charge_energy_wh`` /
``discharge_energy_wh`` (counting up within a step, a cycle or the whole test).
A cycler integrates its current internally at its own sampling rate and
resolution, so its counters are better than an integral of the logged current:
a coin cell's 0.000176 A logged rounded to 0.0002 A integrates to +13 % (the BDF
Landt file: 7.14 mAh against the counter's 6.3 mAh in its first discharge).

:func:`use_cycler_counters` replaces the integrated figures of the rows of
:func:`~app.diagnostics.cycles.cycle_rows` by the counters' where the log has
them and they are plausible (within a factor of :data:`AGREEMENT` of the
integral: a counter in other units or of another channel is not taken), and
says in ``capacity_source`` / ``energy_source`` which was used
(:data:`CYCLER` or :data:`INTEGRATED`). Each increment of a counter counts in
the cycle of the sample that logs it; a counter that drops to less than half
(a reset at a new step or cycle) counts its new value from zero. It reads only
the samples of each cycle and the one before: the live tracker gives the same
rows on its windows.
"""

from __future__ import annotations

import numpy as np

#: the counters, paired: (charge, discharge) capacity in Ah, then energy in Wh
CAPACITY_COUNTERS = ("charge_capacity_ah", "discharge_capacity_ah")
ENERGY_COUNTERS = ("charge_energy_wh", "discharge_energy_wh")
COUNTER_COLUMNS = (*CAPACITY_COUNTERS, *ENERGY_COUNTERS)

#: the values of ``capacity_source`` / ``energy_source``
CYCLER = "cycler"
CYCLER_CAPACITY = "cycler_capacity"
INTEGRATED = "integrated"

#: a counter is taken when it is within this factor of the integral of the current
AGREEMENT = 2.0
#: below this fraction of the cycle's larger half both figures count as nothing
NEGLIGIBLE = 0.01


def counter_increments(values: np.ndarray) -> np.ndarray:
    """Per-sample increments of a cycler counter (0 for the first sample and
    around missing values; its magnitude, as some cyclers sign the discharge)."""
    x = np.abs(np.asarray(values, dtype=float))
    inc = np.zeros(len(x))
    if len(x) > 1:
        prev, cur = x[:-1], x[1:]
        with np.errstate(invalid="ignore"):
            reset = cur < 0.5 * prev
        step = np.where(reset, cur, cur - prev)
        inc[1:] = np.where(np.isfinite(step), step, 0.0)
    return inc


def _pair(totals: tuple[float, float], integrated: tuple[float, float]) -> bool:
    """True when the counters' (charge, discharge) of a cycle can stand for the integral's."""
    scale = max(*totals, *integrated)
    if scale <= 0:
        return False
    for c, q in zip(totals, integrated, strict=True):
        if c <= NEGLIGIBLE * scale and q <= NEGLIGIBLE * scale:
            continue  # neither saw this direction
        if c <= 0 or q <= 0 or not 1 / AGREEMENT <= c / q <= AGREEMENT:
            return False
    return True


def use_cycler_counters(
    rows: list[dict],
    counters: dict[str, np.ndarray],
    segments: list[tuple[int, int]],
) -> list[dict]:
    """``rows`` (of ``segments``, (start, stop) sample ranges) with the cycler's
    counters where ``counters`` (the columns of :data:`COUNTER_COLUMNS` the log
    has, over the same samples) hold them, efficiencies recomputed, and
    ``capacity_source`` / ``energy_source`` set. The rows are changed in place."""
    from app.diagnostics.cycles import _ratio

    incs = {n: counter_increments(counters[n]) for n in COUNTER_COLUMNS if n in counters}
    have = {n: np.isfinite(np.asarray(counters[n], dtype=float)) for n in incs}

    def totals(names, a, b):
        if not all(n in incs and have[n][a:b].any() for n in names):
            return None
        return float(incs[names[0]][a:b].sum()), float(incs[names[1]][a:b].sum())

    for row, (a, b) in zip(rows, segments, strict=True):
        row["capacity_source"] = row["energy_source"] = INTEGRATED
        q = totals(CAPACITY_COUNTERS, a, b)
        q_int = (row[CAPACITY_COUNTERS[0]], row[CAPACITY_COUNTERS[1]])
        if q is not None and _pair(q, q_int):
            row[CAPACITY_COUNTERS[0]], row[CAPACITY_COUNTERS[1]] = q
            row["coulombic_efficiency"] = _ratio(q[1], q[0])
            row["capacity_source"] = CYCLER
        e, source = totals(ENERGY_COUNTERS, a, b), CYCLER
        if e is None and row["capacity_source"] == CYCLER:
            e_int = (row[ENERGY_COUNTERS[0]], row[ENERGY_COUNTERS[1]])
            e = tuple(
                ei * qc / qi if qi > 0 else 0.0 for ei, qc, qi in zip(e_int, q, q_int, strict=True)
            )
            source = CYCLER_CAPACITY
        if e is not None and _pair(e, (row[ENERGY_COUNTERS[0]], row[ENERGY_COUNTERS[1]])):
            row[ENERGY_COUNTERS[0]], row[ENERGY_COUNTERS[1]] = e
            row["energy_efficiency"] = _ratio(e[1], e[0])
            row["energy_source"] = source
    return rows
