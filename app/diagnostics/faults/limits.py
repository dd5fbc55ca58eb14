"""Limit faults: cell over/under voltage, over current, over/under temperature,
and physically impossible sensor values.

The limit faults are the safety check's episodes (:class:`~app.diagnostics.safety.SafetyMonitor`
run on the same samples): the same trip tolerance, debounce and fast trip, the same
release hysteresis, the same severity. One excursion beyond a limit is one safety
event and one fault, with the same start, end and worst value; the fault's
``detected_time_s`` is when the episode tripped. (Judged on the samples, not on
time bins: a CV phase held at a limit is noise about it, which the safety check's
tolerance and debounce leave alone, while a cell pushed on past the limit trips
within seconds of clearing the tolerance.)

Out of range values are judged per time bin (:class:`LimitDetector`).
"""

from __future__ import annotations

import numpy as np

from app.core import schema
from app.core.results import Severity
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.faults.bins import BinBatch, Layout
from app.diagnostics.faults.common import MERGE_GAP_S
from app.diagnostics.faults.episodes import Episode, EpisodeTracker
from app.diagnostics.faults.types import FaultKind
from app.diagnostics.safety import SafetyMonitor

#: Physically impossible readings (a broken sensor or wire, not the battery):
#: a cell below -50 mV (a collapsed cell still reads ~0 V +- noise) or above
#: 5 V (no cell chemistry reaches it; 1.5x the limit for chemistries near it);
#: a temperature below -40 degC or above 150 degC (the range of automotive NTC
#: channels; a cell in thermal runaway legitimately exceeds 150 degC, so that case
#: is left to the runaway detector); a current beyond 10x the spec's largest rating.
OOR_CELL_LO_V = -0.05
OOR_CELL_HI_V = 5.0
OOR_T_LO_C = -40.0
OOR_T_HI_C = 150.0
OOR_CURRENT_X = 10.0


def out_of_range_bounds(spec: BatterySpec, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Per-row (lo, hi) bounds of physically possible values."""
    c = layout.n_rows
    lo = np.full(c, -np.inf)
    hi = np.full(c, np.inf)
    cell_hi = max(OOR_CELL_HI_V, 1.5 * spec.cell_v_max)
    n = spec.series_cells
    lo[layout.i_v], hi[layout.i_v] = OOR_CELL_LO_V * n, cell_hi * n
    i_max = OOR_CURRENT_X * max(spec.max_charge_current_a, spec.max_discharge_current_a)
    lo[layout.i_i], hi[layout.i_i] = -i_max, i_max
    lo[layout.cells_v], hi[layout.cells_v] = OOR_CELL_LO_V, cell_hi
    lo[layout.temp_rows], hi[layout.temp_rows] = OOR_T_LO_C, OOR_T_HI_C
    return lo, hi


#: The fault kind, the detail key of the worst value and of the limit, of each
#: safety check (an over-current's detail also gives the signed current).
_KINDS = {
    "cell_over_voltage": (FaultKind.OVER_VOLTAGE, "max_v", "limit_v"),
    "cell_under_voltage": (FaultKind.UNDER_VOLTAGE, "min_v", "limit_v"),
    "over_current_charge": (FaultKind.OVER_CURRENT, "max_abs_a", "limit_a"),
    "over_current_discharge": (FaultKind.OVER_CURRENT, "max_abs_a", "limit_a"),
    "over_temperature": (FaultKind.OVER_TEMPERATURE, "max_c", "limit_c"),
    "under_temperature": (FaultKind.UNDER_TEMPERATURE, "min_c", "limit_c"),
}


class LimitFaults:
    """Over/under voltage, over current, over/under temperature: the episodes of a
    :class:`~app.diagnostics.safety.SafetyMonitor` fed the same samples, as faults.

    ``monitor``: one its caller feeds the same blocks (the live engine's own safety
    check: the limits are not judged twice); None: one of its own, fed here."""

    def __init__(self, spec: BatterySpec, monitor: SafetyMonitor | None = None):
        self.own = monitor is None
        self.monitor = SafetyMonitor(spec) if monitor is None else monitor

    def update(self, block: SampleBlock) -> None:
        if self.own:
            self.monitor.update(block)

    def episodes(self) -> list[Episode]:
        """The limit episodes so far (one still open included, as safety reports it)."""
        out = []
        # (an episode is over once back inside for the debounce: until then, samples
        # after its end may still extend it)
        gap = self.monitor.debounce_s
        episodes = self.monitor.episodes()
        at_trip = self.monitor.tripped_events()
        for (event, tripped, _), then in zip(episodes, at_trip, strict=True):
            kind, value_name, limit_name = _KINDS[event.check]
            channel = event.channel
            if channel.startswith(f"{schema.VOLTAGE}/"):  # the mean cell of the pack voltage
                channel = schema.VOLTAGE
            ep = Episode(
                kind,
                channel,
                event.start_time_s,
                event.end_time_s,
                tripped,
                _severity(event),
                event.worst_value,
                _detail(event, kind, limit_name),
                value_name,
                merge_gap_s=gap,
            )
            # what the detector knew when it confirmed it: the event at its trip
            ep.at_detection = {
                "end_time_s": then.end_time_s,
                "severity": _severity(then),
                "worst": then.worst_value,
                "total": 0.0,
                "detail": _detail(then, kind, limit_name),
            }
            out.append(ep)
        return out


def _severity(event) -> int:
    return 2 if event.severity == Severity.CRITICAL else 1


def _detail(event, kind: FaultKind, limit_name: str) -> dict:
    detail = {limit_name: event.limit}
    if kind is FaultKind.OVER_CURRENT:
        sign = 1.0 if event.check == "over_current_charge" else -1.0
        detail["current_a"] = sign * event.worst_value
    return detail


class LimitDetector:
    """Physically impossible values (out of range), per time bin."""

    def __init__(self, spec: BatterySpec, layout: Layout, bin_s: float):
        self.oor = EpisodeTracker(
            FaultKind.SENSOR_OUT_OF_RANGE,
            list(layout.names),
            debounce_s=0.0,
            merge_gap_s=MERGE_GAP_S,
            value_name="worst_value",
        )

    @property
    def trackers(self) -> list[EpisodeTracker]:
        return [self.oor]

    def process(self, bb: BinBatch) -> None:
        self.oor.feed(bb.t0, bb.t1, bb.noor > 0, 1, bb.oor_worst, aux={"samples": bb.noor})
