"""A resistance in words for people: the way the report, the window and the SOH's
notes write one (differences -- cell balance's offsets over the pack median, the
current-sign check's dV/dI -- are written signed, where they are made).

``resistance_text(0.0203)`` -> ``"20.30 mΩ"``; from 1 Ω up in ohms, to three
significant digits (a coin cell's ``"52.5 Ω"``, not ``"52500.00 mΩ"``).
``ascii=True`` spells the units ``mOhm`` / ``ohm`` for plain-text output (the
notes of ``analyze --json``, which spell ``degC`` too).
"""

from __future__ import annotations


def resistance_text(ohm: float, *, ascii: bool = False) -> str:
    """``ohm`` in mΩ (two decimals) below 1 Ω, else in Ω (three significant digits)."""
    milli, unit = ("mOhm", "ohm") if ascii else ("mΩ", "Ω")
    return f"{ohm * 1000.0:.2f} {milli}" if abs(ohm) < 1.0 else f"{ohm:.3g} {unit}"
