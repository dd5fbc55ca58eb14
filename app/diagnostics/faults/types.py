"""Fault kinds and the records :func:`~app.diagnostics.faults.detect_faults` returns.

The JSON shape of one fault is the ``analyze --json`` contract of DESIGN.md:
``{kind, start_time_s, end_time_s, severity, channel, detail}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from app.core.results import DiagnosticResult, Severity


class FaultKind(StrEnum):
    """What went wrong. Sensor kinds concern a measurement; the others the battery."""

    OVER_VOLTAGE = "over_voltage"
    UNDER_VOLTAGE = "under_voltage"
    OVER_CURRENT = "over_current"
    OVER_TEMPERATURE = "over_temperature"
    UNDER_TEMPERATURE = "under_temperature"
    CELL_IMBALANCE = "cell_imbalance"
    INTERNAL_SHORT = "internal_short"
    SENSOR_STUCK = "sensor_stuck"
    SENSOR_NOISY = "sensor_noisy"
    SENSOR_OUT_OF_RANGE = "sensor_out_of_range"
    SENSOR_DROPOUT = "sensor_dropout"
    OPEN_CIRCUIT = "open_circuit"
    THERMAL_RUNAWAY_ONSET = "thermal_runaway_onset"

    @property
    def is_sensor(self) -> bool:
        """True for faults of a measurement channel rather than of the battery."""
        return self.value.startswith("sensor_")


@dataclass(frozen=True)
class DetectedFault(DiagnosticResult):
    """One debounced, merged episode of one fault kind on one channel.

    ``channel`` is a column of the canonical schema (``cell_3_v``, ``current_a``,
    ``time_s`` for gaps in the time stamps). ``start_time_s`` is when the
    condition began (for windowed detectors: the start of the window that showed
    it), ``end_time_s`` the last time it was seen. ``detail`` always holds
    ``detected_time_s``, the time at which the detector confirmed the fault from
    the samples up to then (what a live run would have raised), plus
    kind-specific numbers.
    """

    kind: FaultKind
    start_time_s: float
    end_time_s: float
    severity: Severity
    channel: str
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class FaultsResult(DiagnosticResult):
    """All fault episodes found, ordered by start time."""

    faults: list[DetectedFault] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``ok``, ``warning`` or ``critical``: the worst severity among the faults."""
        if any(f.severity is Severity.CRITICAL for f in self.faults):
            return "critical"
        return "warning" if self.faults else "ok"

    def of_kind(self, kind: FaultKind | str) -> list[DetectedFault]:
        """The faults of one kind."""
        kind = FaultKind(kind)
        return [f for f in self.faults if f.kind is kind]

    def to_list(self) -> list[dict]:
        """The faults as the plain-JSON list of the ``analyze --json`` contract."""
        return [f.to_dict() for f in self.faults]

    def to_dict(self) -> dict:
        return {"status": self.status, "faults": self.to_list()}
