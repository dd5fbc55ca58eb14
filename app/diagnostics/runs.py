"""Run-length helpers shared by the limit checks (:mod:`app.diagnostics.safety`)
and the fault detectors (:mod:`app.diagnostics.faults`).

A *run* is a maximal stretch of consecutive True values of a boolean mask; a run
is *debounced* when the condition held for at least ``debounce_s`` seconds.
"""

from __future__ import annotations

import numpy as np


def run_bounds(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and stops (exclusive) of the consecutive True runs of ``mask``."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        empty = np.empty(0, dtype=np.intp)
        return empty, empty
    # the samples where the mask changes, plus its ends where it holds: start, stop, ...
    edges = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    if mask[0]:
        edges = np.concatenate(([0], edges))
    if mask[-1]:
        edges = np.append(edges, len(mask))
    return edges[0::2], edges[1::2]


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the consecutive True runs of ``mask`` (stop exclusive)."""
    return list(zip(*run_bounds(mask), strict=True))


def debounced_run_bounds(
    t: np.ndarray, mask: np.ndarray, debounce_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`run_bounds` of the runs whose first and last sample are at least
    ``debounce_s`` apart."""
    starts, stops = run_bounds(mask)
    keep = t[stops - 1] - t[starts] >= debounce_s
    return starts[keep], stops[keep]


def run_reduce(ufunc: np.ufunc, x: np.ndarray, starts: np.ndarray, stops: np.ndarray):
    """``ufunc.reduce(x[a:b])`` of every run (a, b): one ``reduceat`` for all."""
    if not len(starts):
        return np.empty(0, dtype=x.dtype)
    bounds = np.empty(2 * len(starts), dtype=np.intp)
    bounds[0::2] = starts
    bounds[1::2] = stops
    if stops[-1] == len(x):  # (reduceat wants indices inside the array)
        x = np.append(x, x[-1:])
    return ufunc.reduceat(x, bounds)[0::2]


def run_starts(
    t: np.ndarray, mask: np.ndarray, carried: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """(index, time) of the start of the run of ``mask`` each sample belongs to (a
    sample outside a run: the next sample's index, NaN time at the end); a run from
    the block's first sample started at ``carried`` when not None (index 0) -- a run
    carried over from the block before, as live twins feed them."""
    n = len(t)
    first = np.maximum.accumulate(np.where(mask, -1, np.arange(n))) + 1
    start_t = np.where(first < n, t[np.minimum(first, n - 1)], np.nan)
    if carried is not None:
        start_t = np.where(first == 0, carried, start_t)
    return first, start_t
