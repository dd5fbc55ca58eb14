"""Thermal-runaway risk: a screening score with the evidence behind it (part of
:func:`~app.diagnostics.thermal.analyze_thermal`).

**Runaway risk** (0-100, a screening score, not a probability): the highest of
four factor scores, each 0 below its "normal" end and 100 at its "alarm" end,
linear between, and each reported as evidence:

* ``temperature``: the hottest reading, 0 at 10 K below the chemistry's upper
  operating limit (``discharge_temp_max_c``), 100 at 20 K above it -- the lower
  end of the self-heating onsets (T1, ~80-120 degC for Li-ion cells) of Feng et
  al., "Thermal runaway mechanism of lithium ion battery for electric vehicles:
  a review", Energy Storage Mater. 10 (2018) 246.
* ``excess_rise_rate``: the fastest rise less the fastest the battery's own
  Joule heat can explain (adiabatic: the largest I² R_dc of a cell over its heat
  capacity, from the spec's ECM), 0 at 0.5 degC/min, 100 at 2 degC/min (pack
  practice alarms at 1-2 degC/min; see :mod:`app.diagnostics.faults.thermal`).
* ``hot_spot``: the largest spread between cell sensors, 0 at 5 K (the usual
  design target for a pack's cell-to-cell spread), 100 at 15 K.
* ``runaway_onset``: a ``thermal_runaway_onset`` fault of :func:`detect_faults`
  (passed in as ``faults``), 100. None found while a cell is beyond the
  temperature's alarm end (a record that opens after the onset, or a cell that
  reaches its peak within the onset test's two-minute window): 0, and the detail
  says that an onset before the record is not ruled out.

Every criterion is in the evidence, scored 0 or not, so that a low score is
explained; one that cannot be checked (no rise rate on a short record, fewer
than two cell sensors, no fault list) is listed with ``checked`` False and why.

Levels: below 20 ``low``, below 50 ``elevated``, below 80 ``high``, else ``critical``.

The score is the whole log's (its worst so far): the temperature and hot-spot
criteria say, when their peaks are known (``peaks``), when and on which sensor they
were and where they are at the log's last sample, and a hot spot on a cell the fault
detection found an internal short on says so (its heat is the short's).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.core.spec import BatterySpec
from app.diagnostics.faults.text import cell_of, channel_text

#: (normal, alarm) ends of the risk factors (see the module docstring).
TEMPERATURE_BELOW_LIMIT_K = 10.0
TEMPERATURE_ABOVE_LIMIT_K = 20.0
EXCESS_RATE_C_PER_MIN = (0.5, 2.0)
HOT_SPOT_SPREAD_C = (5.0, 15.0)
RUNAWAY_FAULT = "thermal_runaway_onset"


class RiskLevel(StrEnum):
    LOW = "low"
    ELEVATED = "elevated"
    HIGH = "high"
    CRITICAL = "critical"

    @staticmethod
    def of(score: float) -> RiskLevel:
        if score < 20:
            return RiskLevel.LOW
        if score < 50:
            return RiskLevel.ELEVATED
        return RiskLevel.HIGH if score < 80 else RiskLevel.CRITICAL


@dataclass(frozen=True)
class RiskEvidence:
    """One criterion of the score: every criterion is reported, a zero score too
    (so that a low risk is explained), and one that could not be checked with
    ``checked`` False, ``value`` None and the reason in ``detail``."""

    factor: str
    value: float | None  #: in the factor's unit (degC, degC/min, K; the fault's start time, s)
    normal: float | None  #: where the factor's score starts rising from 0
    alarm: float | None  #: where it reaches 100
    score: float  #: 0-100
    detail: str
    checked: bool = True


def _unchecked(factor: str, normal: float | None, alarm: float | None, why: str) -> RiskEvidence:
    return RiskEvidence(factor, None, normal, alarm, 0.0, why, checked=False)


def _ramp(value: float, normal: float, alarm: float) -> float:
    return float(100.0 * min(max((value - normal) / (alarm - normal), 0.0), 1.0))


def _sensor(name: str | None) -> str:
    """``cell 2`` for ``cell_2_temp_c``, ``the pack sensor`` for ``temperature_c``."""
    return channel_text(name) if cell_of(name) is not None else "the pack sensor"


def _when(time_s: float | None, now: float | None, unit: str) -> str:
    """`` at 1795 s, now 17.3 K`` (what is known of it)."""
    text = f" at {time_s:.0f} s" if time_s is not None else ""
    if now is not None:
        text += f", now {now:.1f} {unit}"
    return text


def runaway_risk(
    spec: BatterySpec,
    *,
    max_temperature_c: float,
    max_rise_rate_c_per_min: float | None,
    joule_rise_rate_c_per_min: float | None,
    max_sensor_spread_c: float | None,
    faults: list[dict] | None = None,
    peaks: dict | None = None,
) -> tuple[float, RiskLevel, list[RiskEvidence]]:
    """The risk score, its level and the evidence of every factor (see the module
    docstring). ``peaks``: :class:`~app.diagnostics.thermal.ThermalResult`'s
    ``max_temperature_time_s`` .. ``sensor_spread_now_c``, where known."""
    peaks = peaks or {}
    limit = spec.discharge_temp_max_c
    normal, alarm = limit - TEMPERATURE_BELOW_LIMIT_K, limit + TEMPERATURE_ABOVE_LIMIT_K
    evidence = [
        RiskEvidence(
            "temperature",
            max_temperature_c,
            normal,
            alarm,
            _ramp(max_temperature_c, normal, alarm),
            f"hottest {max_temperature_c:.1f} degC"
            + (
                f" ({_sensor(peaks['max_temperature_sensor'])}"
                f"{_when(peaks.get('max_temperature_time_s'), peaks.get('temperature_now_c'), 'degC')})"
                if peaks.get("max_temperature_sensor")
                else ""
            )
            + f"; operating limit {limit:g} degC",
        )
    ]
    if max_rise_rate_c_per_min is None:
        evidence.append(
            _unchecked(
                "excess_rise_rate",
                *EXCESS_RATE_C_PER_MIN,
                "not checked: too short a temperature record for a rise rate",
            )
        )
    else:
        joule = joule_rise_rate_c_per_min or 0.0
        excess = max_rise_rate_c_per_min - joule
        evidence.append(
            RiskEvidence(
                "excess_rise_rate",
                excess,
                *EXCESS_RATE_C_PER_MIN,
                _ramp(excess, *EXCESS_RATE_C_PER_MIN),
                f"fastest rise {max_rise_rate_c_per_min:.2f} degC/min, of which the "
                f"battery's own I2R heat explains up to {joule:.2f} degC/min",
            )
        )
    if max_sensor_spread_c is None:
        evidence.append(
            _unchecked("hot_spot", *HOT_SPOT_SPREAD_C, "not checked: fewer than two cell sensors")
        )
    else:
        detail = f"largest spread between cell sensors (hottest less coolest) {max_sensor_spread_c:.1f} K"
        pair = peaks.get("max_sensor_spread_sensors")
        if pair:
            hot, cool = pair
            when = _when(
                peaks.get("max_sensor_spread_time_s"), peaks.get("sensor_spread_now_c"), "K"
            )
            detail += f" ({_sensor(hot)} over {_sensor(cool)}{when})"
            shorts = [
                f
                for f in faults or ()
                if f.get("kind") == "internal_short"
                and cell_of(f.get("channel")) is not None
                and cell_of(f.get("channel")) == cell_of(hot)
            ]
            if shorts:
                start = min(float(f["start_time_s"]) for f in shorts)
                detail += (
                    f"; {_sensor(hot)} has an internal short from {start:.0f} s, whose heat this is"
                )
        evidence.append(
            RiskEvidence(
                "hot_spot",
                max_sensor_spread_c,
                *HOT_SPOT_SPREAD_C,
                _ramp(max_sensor_spread_c, *HOT_SPOT_SPREAD_C),
                detail,
            )
        )
    onset = next((f for f in faults or () if f.get("kind") == RUNAWAY_FAULT), None)
    if onset is not None:
        start = float(onset["start_time_s"])
        evidence.append(
            RiskEvidence(
                "runaway_onset",
                start,
                start,
                start,
                100.0,
                f"thermal-runaway onset on {onset.get('channel')} from {start:g} s",
            )
        )
    elif faults is None:
        evidence.append(_unchecked("runaway_onset", None, None, "not checked: no fault detection"))
    else:
        detail = "no thermal-runaway onset detected"
        withdrawn = [
            f
            for f in faults
            if f.get("kind") == "internal_short"
            and (f.get("detail") or {}).get("withdrawn_onset_start_s") is not None
        ]
        if withdrawn:
            # a live run raised (and cleared) an onset alarm the short's heat set off
            f = min(withdrawn, key=lambda f: f["detail"]["withdrawn_onset_start_s"])
            cell = channel_text(f["channel"])
            detail = (
                f"no thermal-runaway onset: the onset alarm on {cell} from "
                f"{f['detail']['withdrawn_onset_start_s']:.0f} s was withdrawn, "
                f"{cell}'s internal short explains the heat"
            )
        if max_temperature_c >= alarm:
            # a record that opens beyond the onset (or rises to its peak within the
            # onset test's two-minute window) holds no onset to find: say so, the
            # temperature criterion carries the score
            detail += (
                f" in the record, though a cell reached {max_temperature_c:.1f} degC: "
                "an onset before the record began is not ruled out"
            )
        evidence.append(RiskEvidence("runaway_onset", None, None, None, 0.0, detail))
    score = max(e.score for e in evidence)
    return score, RiskLevel.of(score), evidence
