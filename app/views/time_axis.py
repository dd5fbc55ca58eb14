"""A time axis that reads as elapsed time (``m:ss`` / ``h:mm:ss``), not raw seconds."""

from __future__ import annotations

import pyqtgraph as pg

from app.core.number_text import format_elapsed


def time_scale(span_s: float) -> tuple[float, str]:
    """Divisor and unit for a time axis spanning ``span_s`` seconds."""
    if span_s >= 3 * 3600:
        return 3600.0, "h"
    if span_s >= 3 * 60:
        return 60.0, "min"
    return 1.0, "s"


def span_text(span_s: float) -> str:
    """A length of time in the unit of a time axis over it (:func:`time_scale`), to 3
    figures: ``0.808 s``, ``20.2 min``, ``27.9 h`` (the Logs page's files, the Diagnostics
    page's runs). Not ``20:13``: beside a clock time that reads as one. A no-break space
    before the unit: a narrow label wrapped "27.9" and "h" onto two lines."""
    scale, unit = time_scale(span_s)
    length = span_s / scale
    # 3 figures while they are 3 digits: 999.5 and up round to 1000, which .3g writes "1e+03"
    text = f"{length:.3g}" if length < 999.5 else f"{length:,.0f}"
    return f"{text}\u00a0{unit}"


#: Major tick steps a reader counts in on a clock (seconds), each with its minor step.
_CLOCK_STEPS: dict[float, float] = {
    0.1: 0.02, 0.2: 0.05, 0.5: 0.1, 1: 0.2, 2: 0.5, 5: 1, 10: 2, 15: 5, 30: 10,
    60: 10, 120: 30, 300: 60, 600: 120, 900: 300, 1800: 300,
    3600: 600, 7200: 1800, 3 * 3600: 3600, 6 * 3600: 3600, 12 * 3600: 7200, 24 * 3600: 21600,
}  # fmt: skip
#: Pixels wanted between major ticks (labels like "1:23:45" need room).
_MIN_TICK_PX = 90


def clock_tick_step(span_s: float, size_px: float) -> float:
    """The smallest clock step that keeps major ticks at least ~90 px apart."""
    wanted = span_s * _MIN_TICK_PX / max(size_px, 1.0)
    for step in _CLOCK_STEPS:
        if step >= wanted:
            return step
    day = 24 * 3600
    return day * max(1, round(wanted / day))


class ElapsedTimeAxis(pg.AxisItem):
    """Bottom axis of ``time_s`` plots, labelled in elapsed time."""

    def __init__(self, **kwargs):
        super().__init__(orientation="bottom", **kwargs)
        self.enableAutoSIPrefix(False)  # "ks" would be unreadable on a time axis

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802, N803 - pyqtgraph API
        span = maxVal - minVal
        if not span > 0 or span > 1e9:  # empty or not a time range: pyqtgraph's default
            return super().tickSpacing(minVal, maxVal, size)
        major = clock_tick_step(span, size)
        minor = _CLOCK_STEPS.get(major, major / 4)
        return [(major, 0), (minor, 0)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph API
        if spacing >= 1:
            decimals = 0
        elif spacing >= 0.1:
            decimals = 1
        else:
            decimals = 2
        return [format_elapsed(v * scale, decimals) for v in values]
