"""run_suite: every diagnostic on one log, in the JSON shape of DESIGN.md."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.core.results import to_jsonable
from app.core.spec import BatterySpec
from app.diagnostics import capacity_fade
from app.diagnostics.capacity_fade import analyze_capacity_fade
from app.diagnostics.cell_balance import cell_balance_and_extremes, with_fault_verdict
from app.diagnostics.current_sign import CurrentSignCheck, check_current_sign
from app.diagnostics.cycle_life import estimate_cycle_life
from app.diagnostics.cycles import CYCLE_COLUMNS, summarize_cycles
from app.diagnostics.faults import detect_faults
from app.diagnostics.full_cycles import (
    full_cycle_min_ah,
    mark_not_applicable,
    no_full_cycles_reason,
)
from app.diagnostics.incremental import as_block
from app.diagnostics.internal_resistance import measure_internal_resistance
from app.diagnostics.safety import SafetyMonitor
from app.diagnostics.soc import soc_estimates
from app.diagnostics.soh import calculate_soh
from app.diagnostics.thermal import analyze_thermal

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: Result keys of DESIGN.md, in order. A key whose diagnostic does not apply
#: to the data (e.g. SOC on a per-cycle table) is present with the value None;
#: ``faults`` is always a list (empty for a per-cycle table).
RESULT_KEYS = (
    "soc",
    "soh",
    "internal_resistance",
    "capacity_fade",
    "cell_balance",
    "safety",
    "thermal",
    "cycle_life",
    "faults",
)

DEFAULT_EOL_FRACTION = capacity_fade.DEFAULT_EOL_FRACTION
#: the per-cycle column of the capacity a cycle measures (see :func:`lifetime_cycles`)
NET_CAPACITY_COLUMN = "net_discharge_capacity_ah"


@dataclass
class SuiteOutput:
    results: dict
    cycles: pd.DataFrame
    timeseries: dict[str, np.ndarray]
    #: whether the current's sign is Battery OS's (None: no samples, a per-cycle table);
    #: beside ``results``, whose keys are the nine diagnostics of DESIGN.md
    current_sign: CurrentSignCheck | None = None

    def to_dict(self) -> dict:
        return {
            "results": self.results,
            "cycles": to_jsonable(self.cycles.to_dict(orient="records")),
            "current_sign": self.current_sign.to_dict() if self.current_sign else None,
        }


def lifetime_cycles(
    cycles: pd.DataFrame, *, measured_charge: bool = False, min_capacity_ah: float | None = None
) -> pd.DataFrame:
    """The cycles that measure capacity: complete charge/discharge cycles.

    A log's first and last cycles are usually partial; their discharge capacity
    says nothing about fade. When no cycle is complete, a per-cycle table
    without charge data uses every cycle with a discharge capacity; cycles
    summed from samples (``measured_charge``, where the charge was measured)
    are then all partial, and none is used (a two-second CAN capture is not a
    capacity test).

    The capacity of a cycle is its ``net_discharge_capacity_ah`` where the table
    has one (:mod:`~app.diagnostics.cycles`: the charge its discharge took out, net
    of what regenerative braking or charge pulses put back), in the returned
    table's ``discharge_capacity_ah``: a drive log's 5 Ah cell discharged 6.26 Ah
    a cycle with its braking, and the fade and cycle life took 6.26 Ah for its
    capacity (125 % of nominal). A cycler's CC or CC-CV cycle has the same
    figure in both columns.

    ``min_capacity_ah`` (:func:`~app.diagnostics.full_cycles.full_cycle_min_ah`), with
    ``measured_charge``: the least capacity of a full cycle; a complete cycle below it is
    a partial-depth step (an HPPC test's 10 % SOC steps), no capacity measurement.
    """
    complete = (
        cycles[cycles["coulombic_efficiency"].notna()]
        if "coulombic_efficiency" in cycles
        else cycles
    )
    if len(complete) == 0 and not measured_charge:
        complete = cycles
    if NET_CAPACITY_COLUMN in complete.columns:
        import pandas as pd

        net = pd.to_numeric(complete[NET_CAPACITY_COLUMN], errors="coerce")
        if net.notna().any():
            complete = complete.assign(
                discharge_capacity_ah=net.fillna(complete["discharge_capacity_ah"])
            )
    keep = complete["discharge_capacity_ah"] > 0
    if measured_charge and min_capacity_ah:
        keep &= complete["discharge_capacity_ah"] >= min_capacity_ah
    return complete[keep]


def _lifetime_results(
    cycles: pd.DataFrame,
    spec: BatterySpec | None,
    eol_fraction: float,
    reference_capacity_ah: float | None,
    *,
    measured_charge: bool = False,
) -> tuple[dict, dict]:
    if not measured_charge:
        usable = lifetime_cycles(cycles)
        return lifetime_results(usable, spec, eol_fraction, reference_capacity_ah)
    min_ah = full_cycle_min_ah(reference_capacity_ah)
    usable = lifetime_cycles(cycles, measured_charge=True, min_capacity_ah=min_ah)
    return lifetime_results(
        usable, spec, eol_fraction, reference_capacity_ah, measured=cycles, min_capacity_ah=min_ah
    )


def lifetime_results(
    usable: pd.DataFrame,
    spec: BatterySpec | None,
    eol_fraction: float,
    reference_capacity_ah: float | None,
    *,
    measured: pd.DataFrame | None = None,
    min_capacity_ah: float | None = None,
) -> tuple[dict, dict]:
    """(capacity_fade, cycle_life) as plain JSON, of the cycles :func:`lifetime_cycles` kept.

    ``measured``: the whole table summed from samples that ``usable`` was taken from,
    and ``min_capacity_ah`` the least capacity of a full cycle it was taken with (noted
    in the fade's ``full_cycle_min_ah``); when it has cycles but none full, both results
    are ``not_applicable`` (:func:`~app.diagnostics.full_cycles.no_full_cycles_reason`)."""
    # one end of life for both: the fade's severity is judged by cycle life's line
    fade = analyze_capacity_fade(
        usable,
        spec,
        nominal_capacity_ah=reference_capacity_ah,
        eol_fraction=eol_fraction,
        reference_capacity_ah=reference_capacity_ah,
    )
    life = estimate_cycle_life(
        usable, spec, eol_fraction=eol_fraction, reference_capacity_ah=reference_capacity_ah
    )
    fade_json, life_json = fade.to_dict(), life.to_dict()
    fade_json["full_cycle_min_ah"] = min_capacity_ah
    if measured is not None and (why := no_full_cycles_reason(measured, usable, min_capacity_ah)):
        mark_not_applicable(fade_json, life_json, why)
    return fade_json, life_json


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused: a stepping log's suite builds ~1e5 small
    containers (thousands of pulse records and their JSON form, none in a cycle),
    and the collections they trigger cost ~0.2 s of a 1.7 s run. Reference counting
    still frees everything; what the collector would find waits for it to resume."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_suite(
    df: pd.DataFrame,
    spec: BatterySpec,
    *,
    eol_fraction: float = DEFAULT_EOL_FRACTION,
    reference_capacity_ah: float | None = None,
) -> SuiteOutput:
    """Run every diagnostic on samples in the canonical schema.

    ``reference_capacity_ah`` is the capacity end of life is measured against
    (the user's nominal capacity); None means the first cycles' capacity.
    """
    with _cyclic_gc_paused():
        return _run_suite(df, spec, eol_fraction, reference_capacity_ah)


def _run_suite(
    df: pd.DataFrame,
    spec: BatterySpec,
    eol_fraction: float,
    reference_capacity_ah: float | None,
) -> SuiteOutput:
    # (the pulses' SOC is the filter's, as the live engine's blocks give it to
    # the live resistance tracker; the time series the smoothed one)
    soc_result, soc_live, soc_columns = soc_estimates(df, spec)
    ir = measure_internal_resistance(df, spec, soc_percent=soc_live["soc_percent"])
    cycles = summarize_cycles(df, capacity_ah=spec.pack_capacity_ah)
    fade, life = _lifetime_results(
        cycles, spec, eol_fraction, reference_capacity_ah, measured_charge=True
    )
    # one safety check for the safety result and the limit faults (its episodes)
    safety = SafetyMonitor(spec)
    safety.update(as_block(df))
    faults = detect_faults(df, spec, safety).to_list()
    # the cells' lowest and highest voltage of each sample: cell balance's, for the SOH too
    balance, cell_extremes = cell_balance_and_extremes(df, spec)
    results: dict = {
        "soc": soc_result.to_dict(),
        "soh": calculate_soh(
            df, spec, internal_resistance=ir, cell_extremes=cell_extremes
        ).to_dict(),
        "internal_resistance": ir.to_dict(),
        "capacity_fade": fade,
        # (the one verdict of the CLI, the report and the window: a shorted cell's)
        "cell_balance": with_fault_verdict(balance.to_dict(), faults),
        "safety": safety.result().to_dict(),
        "thermal": analyze_thermal(df, spec, faults=faults, internal_resistance=ir).to_dict(),
        "cycle_life": life,
        "faults": faults,
    }
    return SuiteOutput(
        results=results,
        cycles=cycles,
        timeseries=soc_columns,
        current_sign=check_current_sign(df, spec),
    )


def run_cycle_table_suite(
    cycles: pd.DataFrame,
    spec: BatterySpec | None,
    *,
    eol_fraction: float = DEFAULT_EOL_FRACTION,
    reference_capacity_ah: float | None = None,
) -> SuiteOutput:
    """The lifetime diagnostics on a per-cycle table (``cycle_index``,
    ``discharge_capacity_ah``); the sample-based results are None.

    Their capacity is ``reference_capacity_ah`` (the one given), else the first cycles';
    ``spec``'s capacity is not used (a chemistry's preset is no one's capacity)."""
    from app.diagnostics.cycle_table_health import cycle_table_soh, invalid_rows

    # a row with no valid capacity (a -5 Ah, a blank) is counted and named, not data:
    # left out of the results and of the cycles listed (invalid_rows_warning says it)
    bad = invalid_rows(cycles)
    valid = cycles[~bad]
    # a table carries no battery: the spec's capacity is a preset's unless given as the
    # reference, so the fade's "of N Ah nominal" and the SOH are of the reference only
    fade, life = _lifetime_results(valid, None, eol_fraction, reference_capacity_ah)
    fade["rows_invalid"] = int(bad.sum()) + int(fade.get("rows_invalid") or 0)
    fade["invalid_rows"] = to_jsonable(
        cycles.loc[bad, ["cycle_index", "discharge_capacity_ah"]].to_dict(orient="records")
    )
    results: dict = dict.fromkeys(RESULT_KEYS)
    results["capacity_fade"] = fade
    results["cycle_life"] = life
    # the latest cycles' capacity against the rated (as the fade's "of 1.1 Ah nominal"),
    # and the table's own resistance column where it has one
    results["soh"] = cycle_table_soh(valid.sort_values("cycle_index"), fade)
    # a list, as DESIGN.md has it (no samples, so none found), not null
    results["faults"] = []
    # the stable per-cycle keys of DESIGN.md, null where the table does not say
    table = valid.copy()
    for column in CYCLE_COLUMNS:
        if column not in table.columns:
            table[column] = None
    extra = [c for c in table.columns if c not in CYCLE_COLUMNS]
    return SuiteOutput(results=results, cycles=table[[*CYCLE_COLUMNS, *extra]], timeseries={})
