"""The start-resistance fits a detection made, for tests that judge each cell's r."""

from __future__ import annotations

import numpy as np


def capture_start_fits(monkeypatch) -> list[tuple[np.ndarray, np.ndarray]]:
    """A list that every later :class:`StartResistance` fit appends its ``(r, se)`` to."""
    from app.diagnostics.faults.start_resistance import StartResistance

    got: list[tuple[np.ndarray, np.ndarray]] = []
    orig = StartResistance._solve

    def solve(self):
        orig(self)
        got.append((self.r.copy(), self.se.copy()))

    monkeypatch.setattr(StartResistance, "_solve", solve)
    return got
