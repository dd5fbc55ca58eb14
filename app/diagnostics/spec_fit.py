"""Does the battery described fit the log? A cell that lives outside its spec's voltage window.

Every diagnostic judges a log against its :class:`~app.core.spec.BatterySpec`: SOC
through its OCV table, safety and faults through its voltage limits. A cell whose
voltage stays outside that window for much of the log is not the cell the spec
describes -- another chemistry, a high-voltage cathode (the Neware example log's cell
cycles between 3.9 and 4.7 V, above every preset), a pack taken for one cell -- and
those results are then wrong as a whole, not a few limit events. A real over-voltage
or a deep discharge is usually brief: the safety monitor reports it, and it stays under
:data:`OUTSIDE_SHARE`; a cell overcharged for much of the log looks the same as one the
spec does not describe, and the warning says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.spec import PRESETS, BatterySpec

if TYPE_CHECKING:
    import pandas as pd

#: Samples beyond the window by more than this are outside (a CV phase sits at the
#: limit, a few mV over it with noise).
TOLERANCE_V = 0.02
#: A spec does not fit when more than this share of the samples lies outside its window.
OUTSIDE_SHARE = 0.25


#: At most this many voltages are looked at (rows evenly strided): a share and
#: percentiles, not a measurement, and the Logs page asks for it on the GUI thread.
MAX_VALUES = 1_000_000


def cell_voltages(df: pd.DataFrame, spec: BatterySpec) -> np.ndarray:
    """The finite per-cell voltages of the log (of evenly strided rows, at most
    :data:`MAX_VALUES` values): its cell columns, else the pack's voltage over the
    series cells."""
    columns = schema.cell_voltage_columns(df.columns) or [schema.VOLTAGE]
    if columns[0] not in df:
        return np.empty(0)
    step = max(1, -(-len(df) * len(columns) // MAX_VALUES))
    v = df[columns].to_numpy(dtype=float)[::step].ravel()
    if columns == [schema.VOLTAGE]:
        v = v / spec.series_cells
    return v[np.isfinite(v) & (v > 0)]


def _outside(v: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    """Shares of ``v`` below ``lo`` and above ``hi`` (beyond the tolerance)."""
    return float(np.mean(v < lo - TOLERANCE_V)), float(np.mean(v > hi + TOLERANCE_V))


def voltage_window_warning(df: pd.DataFrame, spec: BatterySpec) -> str | None:
    """A warning when the log's cell voltages lie outside ``spec``'s voltage limits for
    more than :data:`OUTSIDE_SHARE` of the samples (None: the spec fits, or no voltages)."""
    v = cell_voltages(df, spec)
    if not v.size:
        return None
    full = spec.with_preset_defaults()
    below, above = _outside(v, full.cell_v_min, full.cell_v_max)
    if below + above <= OUTSIDE_SHARE:
        return None
    base = PRESETS[spec.chemistry]
    own = (full.cell_v_min, full.cell_v_max) != (base.cell_v_min, base.cell_v_max)
    whose = f"the {spec.chemistry.value} {'battery given' if own else 'preset'}'s"
    where = (
        f"above {whose} {full.cell_v_max:g} V maximum in {100 * above:.0f} %"
        if above >= below
        else f"below {whose} {full.cell_v_min:g} V minimum in {100 * below:.0f} %"
    )
    lo, median, hi = np.percentile(v, [0.5, 50, 99.5])
    fitting = [
        c.value
        for c, p in PRESETS.items()
        if c != spec.chemistry and sum(_outside(v, p.cell_v_min, p.cell_v_max)) <= OUTSIDE_SHARE
    ]
    if fitting:
        hint = f"the {' or '.join(fitting)} preset fits it: give --chemistry {fitting[0]}"
    else:
        hint = (
            f"no chemistry preset fits it{' (a high-voltage cathode?)' if above >= below else ''}"
            ": give its --ocv-table for SOC and its own "
            f"{'--cell-v-max' if above >= below else '--cell-v-min'} (else the "
            f"{'over' if above >= below else 'under'}-voltage events and faults are the "
            "preset's limits')"
        )
    if spec.series_cells > 1 and not schema.cell_voltage_columns(df.columns):
        hint += f"; or it is not {spec.series_cells} cells in series: give --cells"
    really = "overcharged" if above >= below else "over-discharged"
    return (
        f"the cell voltage ({lo:.2f}-{hi:.2f} V, median {median:.2f} V) is {where} of the "
        f"samples: unless the cell really was {really} that long, it is not the cell the spec "
        "describes, and SOC (from its OCV table), the safety limits and the faults judged "
        f"against them do not hold for this log; {hint}"
    )


#: More charge than this (% of the capacity) moved in one stay of the SOC at empty
#: is no empty battery (see ``SocResult.charge_moved_at_empty_percent``): the simulated
#: logs of each chemistry, run to empty and back, move at most 4 %.
EMPTY_CHARGE_PCT = 6.0
#: More than this out of a battery in one stay at full (a lead-acid battery's flat top:
#: 6 % in an hour of pulses from full).
FULL_CHARGE_PCT = 15.0
#: The SOCs whose OCV the warning names as the table's empty and full.
OCV_FIT_SOC_PCT = (5.0, 95.0)


def pinned_soc_warning(df: pd.DataFrame, spec: BatterySpec, soc: dict | None) -> str | None:
    """A warning when the SOC estimate (``soc``, the ``analyze --json`` result) sat at
    empty while more than :data:`EMPTY_CHARGE_PCT` of the capacity moved, or at full
    while more than :data:`FULL_CHARGE_PCT` went out: the spec's OCV table reads the
    cells' voltages as empty (full) whatever the charge says -- cells within the spec's
    voltage window but off its OCV curve (a lead-acid cell read as LFP, an LFP cell as
    NMC, an NMC cell as LFP), which :func:`voltage_window_warning` cannot see."""
    soc = soc or {}
    empty = soc.get("charge_moved_at_empty_percent") or 0.0
    full_out = soc.get("charge_out_at_full_percent") or 0.0
    if empty > EMPTY_CHARGE_PCT:
        moved, end, at = f"{empty:.0f} % of the capacity moves", "empty", OCV_FIT_SOC_PCT[0]
    elif full_out > FULL_CHARGE_PCT:
        moved, end, at = f"{full_out:.0f} % of the capacity goes out", "full", OCV_FIT_SOC_PCT[1]
    else:
        return None
    v = cell_voltages(df, spec)
    if not v.size:
        return None
    full = spec.with_preset_defaults()
    fitting = [
        c.value
        for c, p in PRESETS.items()
        if c != spec.chemistry and sum(_outside(v, p.cell_v_min, p.cell_v_max)) <= OUTSIDE_SHARE
    ]
    base = PRESETS[spec.chemistry]
    own = "given" if full.ocv_v != base.ocv_v else f"{spec.chemistry.value} preset's"
    if fitting:
        hint = f"the {' or '.join(fitting)} preset fits it: give --chemistry {fitting[0]}"
    else:
        hint = "give the cell's --ocv-table"
    if spec.series_cells > 1 and not schema.cell_voltage_columns(df.columns):
        hint += f"; or it is not {spec.series_cells} cells in series: give --cells"
    return (
        f"the SOC stays at {end} while {moved}: the {own} OCV table reads the cells as "
        f"{end} whatever the charge says (its {at:g} % SOC is at {float(full.cell_ocv(at)):.2f} "
        f"V; the cells' voltage {np.min(v):.2f}-{np.max(v):.2f} V), which "
        f"a{'n' if end == 'empty' else ''} {end} cell does not do: it is not the cell the spec "
        f"describes, and the SOC does not hold for this log; {hint}"
    )
