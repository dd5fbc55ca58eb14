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
rows on its windows. :func:`take_cycler_counters` does the same for any rows of
sample ranges with the four figures (the per-step table's).

The SOH's coulomb counting (charge between a full charge and a full discharge,
between two OCV readings) takes the counters' net charge the same way:
:class:`NetCharge` counts it sample by sample, block by block (the same
increments), and :func:`counted_or_integrated` takes it for an interval where
both counters read at every sample and it agrees with the integral.
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
        # (an inf reading: inf - inf is nan, no increment, and no RuntimeWarning on
        # analyze's stderr either)
        with np.errstate(invalid="ignore"):
            reset = cur < 0.5 * prev
            step = np.where(reset, cur, cur - prev)
        inc[1:] = np.where(np.isfinite(step), step, 0.0)
    return inc


def agrees(counted: float, integrated: float) -> bool:
    """True when a counter's figure is within :data:`AGREEMENT` of the integral's
    (same sign, neither zero)."""
    if counted == 0 or integrated == 0 or (counted > 0) != (integrated > 0):
        return False
    return 1 / AGREEMENT <= counted / integrated <= AGREEMENT


def _pair(totals: tuple[float, float], integrated: tuple[float, float]) -> bool:
    """True when the counters' (charge, discharge) of a cycle can stand for the integral's."""
    scale = max(*totals, *integrated)
    if scale <= 0:
        return False
    for c, q in zip(totals, integrated, strict=True):
        if c <= NEGLIGIBLE * scale and q <= NEGLIGIBLE * scale:
            continue  # neither saw this direction
        if c <= 0 or q <= 0 or not agrees(c, q):
            return False
    return True


def take_cycler_counters(
    rows: list[dict],
    counters: dict[str, np.ndarray],
    segments: list[tuple[int, int]],
) -> list[dict]:
    """``rows`` (of ``segments``, (start, stop) sample ranges) with the cycler's
    counters where ``counters`` (the columns of :data:`COUNTER_COLUMNS` the log
    has, over the same samples) hold them, and ``capacity_source`` /
    ``energy_source`` set: the four figures only (per-cycle and per-step rows
    alike). The rows are changed in place."""
    incs = {n: counter_increments(counters[n]) for n in COUNTER_COLUMNS if n in counters}
    have = {n: np.isfinite(np.asarray(counters[n], dtype=float)) for n in incs}

    def totals(names, a, b):
        # every reading the segment's increments come from (the one before its
        # first sample included): a missing one would drop the charge across it
        if not all(n in incs and b > a and have[n][max(a - 1, 0) : b].all() for n in names):
            return None
        return float(incs[names[0]][a:b].sum()), float(incs[names[1]][a:b].sum())

    for row, (a, b) in zip(rows, segments, strict=True):
        row["capacity_source"] = row["energy_source"] = INTEGRATED
        q = totals(CAPACITY_COUNTERS, a, b)
        q_int = (row[CAPACITY_COUNTERS[0]], row[CAPACITY_COUNTERS[1]])
        if q is not None and _pair(q, q_int):
            row[CAPACITY_COUNTERS[0]], row[CAPACITY_COUNTERS[1]] = q
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
            row["energy_source"] = source
    return rows


def use_cycler_counters(
    rows: list[dict],
    counters: dict[str, np.ndarray],
    segments: list[tuple[int, int]],
) -> list[dict]:
    """:func:`take_cycler_counters` on per-cycle rows, with their efficiencies
    recomputed from the counters' figures. The rows are changed in place."""
    from app.diagnostics.cycles import _ratio

    take_cycler_counters(rows, counters, segments)
    for row in rows:
        if row["capacity_source"] != INTEGRATED:
            row["coulombic_efficiency"] = _ratio(
                row[CAPACITY_COUNTERS[1]], row[CAPACITY_COUNTERS[0]]
            )
        if row["energy_source"] != INTEGRATED:
            row["energy_efficiency"] = _ratio(row[ENERGY_COUNTERS[1]], row[ENERGY_COUNTERS[0]])
    return rows


class NetCharge:
    """The counters' net charge (Ah, charging positive), sample by sample and block
    by block: the running sum of the charge counter's increments less the discharge
    counter's (:func:`counter_increments`, the previous block's last values carried),
    and the running count of the increments lost to a counter without a value (at
    the sample or the one before). Blocks in any split give the same increments."""

    def __init__(self):
        self._last: np.ndarray | None = None  # the last sample's (charge, discharge)
        self._total = 0.0
        self._lost = 0

    def update(self, charge: np.ndarray, discharge: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(net charge so far, increments lost so far) at each sample of the block."""
        n = len(charge)
        x = np.vstack((charge, discharge)).astype(float)
        if self._last is not None:
            x = np.hstack((self._last[:, None], x))
        inc = [counter_increments(row)[-n:] for row in x] if n else [np.empty(0)] * 2
        gone = ~np.isfinite(x).all(axis=0)
        if len(gone) > 1:
            # an increment is lost where its sample or the one before has no value
            gone = np.concatenate((gone[:1], gone[1:] | gone[:-1]))
        if self._last is not None:
            gone = gone[1:]
        net = self._total + np.cumsum(inc[0] - inc[1])
        lost = self._lost + np.cumsum(gone)
        if n:
            self._last = x[:, -1].copy()
            self._total, self._lost = float(net[-1]), int(lost[-1])
        return net, lost


def counted_or_integrated(counted: float | None, integrated: float, lost: int) -> tuple[float, str]:
    """(the charge of an interval, its source): the counters' ``counted`` when none
    of its increments was lost (``lost`` 0) and it agrees with the ``integrated``
    charge, else the integral."""
    if counted is not None and lost == 0 and agrees(counted, integrated):
        return counted, CYCLER
    return integrated, INTEGRATED
