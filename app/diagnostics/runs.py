"""Run-length helpers shared by the limit checks (:mod:`app.diagnostics.safety`)
and the fault detectors (:mod:`app.diagnostics.faults`).

A *run* is a maximal stretch of consecutive True values of a boolean mask; a run
is *debounced* when the condition held for at least ``debounce_s`` seconds.
"""

from __future__ import annotations

import numpy as np


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the consecutive True runs of ``mask`` (stop exclusive)."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return []
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def debounced_runs(t: np.ndarray, mask: np.ndarray, debounce_s: float) -> list[tuple[int, int]]:
    """The runs of ``mask`` whose first and last sample are at least ``debounce_s`` apart."""
    return [(a, b) for a, b in runs(mask) if t[b - 1] - t[a] >= debounce_s]
