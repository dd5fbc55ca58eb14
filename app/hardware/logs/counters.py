"""The cycler's own charge and discharge counters, per cycle, from a per-step capacity column.

Maccor and Neware count the capacity of each step from zero; Arbin counts per
cycle. Readers turn the former into the latter so every cycler log carries
``charge_capacity_ah`` / ``discharge_capacity_ah`` counting up from zero in each
cycle: the cycler's own figure of a cycle is then its ``max - min``, which is
what the per-cycle summary is checked against.
"""

from __future__ import annotations

import numpy as np


def cycle_counters(
    cycle: np.ndarray, step: np.ndarray, step_value: np.ndarray, direction: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(charge, discharge) counters reset at each cycle, from a counter reset at each step.

    ``step`` identifies steps (a new value, or a new cycle, starts one);
    ``step_value`` is the step's counter (its sign is ignored); ``direction`` is
    +1 on charge steps, -1 on discharge steps, 0 elsewhere. A log starting
    mid-step counts from its first sample.
    """
    n = len(step_value)
    value = np.asarray(step_value, dtype=float)
    # an empty or damaged cell (NaN, inf) counts as zero; inf as 1.8e308 overflowed the sums
    value = np.where(np.isfinite(value), np.abs(value), 0.0)
    cycle = np.asarray(cycle)
    step = np.asarray(step)
    new_step = np.ones(n, dtype=bool)
    if n > 1:
        new_step[1:] = (step[1:] != step[:-1]) | (cycle[1:] != cycle[:-1])
    inc = np.zeros(n)
    if n > 1:
        inc[1:] = np.diff(value)
    inc[new_step] = value[new_step]
    inc[0] = 0.0
    new_cycle = np.ones(n, dtype=bool)
    if n > 1:
        new_cycle[1:] = cycle[1:] != cycle[:-1]
    out = []
    for sign in (1, -1):
        part = np.where(np.asarray(direction) == sign, inc, 0.0)
        total = np.cumsum(part)
        # subtract the running total just before each cycle's first sample
        base = np.where(new_cycle, total - part, np.nan)
        base = _ffill(base)
        out.append(total - base)
    return out[0], out[1]


def _ffill(x: np.ndarray) -> np.ndarray:
    idx = np.where(np.isnan(x), 0, np.arange(len(x)))
    np.maximum.accumulate(idx, out=idx)
    return x[idx]
