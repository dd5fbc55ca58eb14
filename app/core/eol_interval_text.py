"""The cycle-life forecast's interval in words for people, one way on every surface
(the command line, the Diagnostics card, the report's finding and its figure).

``eol_interval_text(75, 123, 268.0)`` -> ``"75–123"``. An interval without an upper
end (more than 5 % of the bootstrap curves had not crossed the end-of-life line by the
forecast horizon) is ``"84 to beyond 335"``: open, up to a cycle the forecast does not
look past. Not ``"n/a"`` (the upper end is not missing: it is later than the horizon)
nor ``"∞"`` (the curves say nothing past the horizon, not that the cell never reaches
end of life). ``ascii=True`` writes the dash as ``-`` for plain-text output.
"""

from __future__ import annotations


def eol_interval_text(
    low: float, high: float | None, horizon: float | None, *, ascii: bool = False
) -> str:
    """``low``-``high``, or ``low`` to beyond the horizon when there is no upper end."""
    if high is not None:
        return f"{low:.0f}{'-' if ascii else '–'}{high:.0f}"
    if horizon is None:
        return f"{low:.0f} or later"
    return f"{low:.0f} to beyond {horizon:.0f}"
