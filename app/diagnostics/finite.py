"""Readings without NaN or infinities, copied only when there are any."""

from __future__ import annotations

import numpy as np


def nan_to_num(x: np.ndarray, nan: float = 0.0) -> np.ndarray:
    """``np.nan_to_num(x, nan=nan)`` of a float array (NaN to ``nan``, infinities to
    the largest finite values): ``x`` itself when every value is finite, the usual case
    (one test instead of a copy and several passes; the result is not to be written
    to)."""
    return x if np.isfinite(x).all() else np.nan_to_num(x, nan=nan)
