"""Which of the internal-resistance result's readings to show, the best first.

A pulse gives up to five resistances (the HPPC ones at the first sample, 2 s,
10 s and 30 s into the step, and the fitted ohmic R0), but not every log resolves
every one: a log sampled every 30 s has only R30, a 10 s pulse has no R30. The
10 s DCIR is the one engineers compare, so it leads when the log has it; the
others follow in the order that says most about the cell. The GUI's card, the
CLI's summary, the report's finding and its plot all take this one order, so a
log is never "R10 n/a" on one surface and "R30 220 mΩ" on another.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.diagnostics.pulse_summary import median_of


@dataclass(frozen=True)
class PulseResistance:
    """One of a pulse's resistances: how it is named, its per-cell and pack keys in a
    pulse's dict, and the result's own median of the per-cell one (None: none kept)."""

    label: str
    cell_key: str
    pack_key: str
    median_key: str | None


#: The pulse resistances, the preferred first.
PULSE_RESISTANCES = (
    PulseResistance("R10", "r_10s_cell_ohm", "r_10s_ohm", "median_r_10s_cell_ohm"),
    PulseResistance("R ohmic", "r_ohmic_cell_ohm", "r_ohmic_ohm", "median_r_ohmic_cell_ohm"),
    PulseResistance("R2", "r_2s_cell_ohm", "r_2s_ohm", None),
    PulseResistance("R0 fitted", "r0_cell_ohm", "r0_ohm", "median_r0_cell_ohm"),
    PulseResistance("R30", "r_30s_cell_ohm", "r_30s_ohm", None),
)


@dataclass(frozen=True)
class MeasuredResistance:
    """A resistance the pulses gave: its kind, the median per cell and how many gave it."""

    kind: PulseResistance
    cell_ohm: float
    pulses: int

    @property
    def label(self) -> str:
        return self.kind.label


def measured_resistances(ir: dict | None) -> list[MeasuredResistance]:
    """The resistances the result ``ir`` (``results.internal_resistance``) measured,
    in :data:`PULSE_RESISTANCES` order; empty when no pulse gave one."""
    ir = ir or {}
    pulses = ir.get("pulses") or []
    found = []
    for kind in PULSE_RESISTANCES:
        values = [p.get(kind.cell_key) for p in pulses if p.get(kind.cell_key) is not None]
        value = ir.get(kind.median_key) if kind.median_key else None
        if value is None:
            value = median_of(values)
        if value is not None:
            found.append(MeasuredResistance(kind, value, len(values)))
    return found


def headline_resistances(ir: dict | None) -> list[MeasuredResistance]:
    """What a one-line summary shows: the best reading the log resolves, and the fitted
    R0 when it is not that one (the CLI's summary and the report's finding). A median
    at or below zero is no reading: :func:`unphysical_note` says so instead."""
    measured = [m for m in measured_resistances(ir) if m.cell_ohm > 0]
    return [m for m in measured if m is measured[0] or m.kind.cell_key == "r0_cell_ohm"]


def unphysical_note(ir: dict | None, sign_reversed: bool) -> str | None:
    """What to say of the resistances that came out at or below zero (None: none did):
    no cell has them. A current counted the wrong way round gives them all
    (``sign_reversed``: the analysis warned of it); else the pulses' voltage did not
    follow their current (a charger's constant voltage, a relaxation, a drift)."""
    bad = [m.label for m in measured_resistances(ir) if m.cell_ohm <= 0]
    if not bad:
        return None
    named = bad[0] if len(bad) == 1 else f"{', '.join(bad[:-1])} and {bad[-1]}"
    why = (
        "the current's sign looks reversed (see the current-sign warning)"
        if sign_reversed
        else "the voltage did not follow the current as a cell's does (a charger holding "
        "the voltage, a relaxation or drift under the pulse): not a reading of the cell"
    )
    return f"{named} came out zero or negative, which is not physical: {why}"
