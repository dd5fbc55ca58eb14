"""What a plot curve holds, as opposed to what it draws.

`PlotDataItem.getData()` gives the points drawn: on a plot that clips to its view and
peak-downsamples, that depends on the plot's width in pixels at the moment it is read.
Tests that check the data a curve was given read it here."""

from __future__ import annotations

import numpy as np


def original(curve) -> tuple[np.ndarray, np.ndarray]:
    x, y = curve.getOriginalDataset()
    return np.asarray(x), np.asarray(y)
