"""Alert thresholds on a recorded log: the live engine replayed over its samples.

The log goes through the same :class:`~app.diagnostics.live.LiveEngine` as
live data (SOC, SOH, resistance, faults, then the thresholds), in blocks, so
a log opened offline raises the alerts it would have raised live.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from app.core.results import DiagnosticResult
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.alerts.evaluator import AlertEvent, EventKind
from app.diagnostics.alerts.thresholds import Threshold

if TYPE_CHECKING:
    import pandas as pd

#: Replay block size: large enough that per-block costs vanish, small enough
#: that SOC and fault results evolve as they would live.
REPLAY_BLOCK_SAMPLES = 2000


@dataclass(frozen=True)
class AlertEpisode(DiagnosticResult):
    """One alert of a log: from ``start_time_s`` until ``end_time_s`` (None: still up at the end).

    ``value`` is the metric when raised, ``worst_value`` the furthest beyond the level.
    A rule on a detected fault (whose metric is 1 while it is present) carries the
    fault instead: ``fault`` as known when raised, ``latest_fault`` as last known (the
    episode's worst, as :func:`~app.diagnostics.faults.detect_faults` reports it).
    """

    metric: str
    severity: str
    threshold: str
    threshold_value: float
    start_time_s: float
    end_time_s: float | None
    value: float
    worst_value: float
    fault: dict | None = None
    latest_fault: dict | None = None


def episodes_from_events(
    events: Sequence[AlertEvent],
    open_worst: Mapping[Threshold, float] | None = None,
    open_faults: Mapping[Threshold, dict] | None = None,
) -> list[AlertEpisode]:
    """Pair raised and cleared events into episodes, in order of their start.

    ``open_worst`` gives the worst value of the episodes still up at the end,
    ``open_faults`` their fault as last known (a fault rule's).
    """
    open_worst = open_worst or {}
    open_faults = open_faults or {}
    open_: dict[Threshold, AlertEvent] = {}
    out: list[tuple[AlertEvent, AlertEvent | None]] = []
    for event in events:
        if event.kind is EventKind.RAISED:
            open_[event.threshold] = event
            out.append((event, None))
        elif event.threshold in open_:
            raised = open_.pop(event.threshold)
            out[out.index((raised, None))] = (raised, event)
    return [
        AlertEpisode(
            metric=r.threshold.metric,
            severity=r.threshold.severity.value,
            threshold=r.threshold.describe(),
            threshold_value=r.threshold_value,
            start_time_s=r.time_s,
            end_time_s=None if c is None else c.time_s,
            value=r.value,
            worst_value=open_worst.get(r.threshold, r.value) if c is None else c.value,
            fault=r.fault,
            latest_fault=(
                open_faults.get(r.threshold, r.fault)
                if c is None
                else (c.fault if c.fault is not None else r.fault)
            ),
        )
        for r, c in out
    ]


def evaluate_frame(
    frame: pd.DataFrame, spec: BatterySpec, thresholds: Sequence[Threshold]
) -> list[AlertEpisode]:
    """The alert episodes of ``thresholds`` over a log in the canonical schema."""
    from app.diagnostics.live import LiveEngine

    events: list[AlertEvent] = []
    engine = LiveEngine(spec, thresholds=list(thresholds), alert_outputs=[events.extend])
    columns = {c: frame[c].to_numpy(dtype=float) for c in frame.columns if _numeric(frame[c])}
    whole = SampleBlock(columns)
    for start in range(0, len(whole), REPLAY_BLOCK_SAMPLES):
        engine.process(whole.slice(start, start + REPLAY_BLOCK_SAMPLES))
    engine.finish()
    return episodes_from_events(events, engine.alerts.open_worst(), engine.alerts.open_faults())


def _numeric(series) -> bool:
    return np.issubdtype(series.dtype, np.number)
