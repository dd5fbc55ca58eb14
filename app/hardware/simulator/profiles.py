"""Load profiles: what the cycler (or the car) asks of the pack, step by step.

A profile is a small program of steps, like a cycler schedule: rest, constant
current, constant voltage, drive. Each step ends after its duration or at a
voltage limit reported by the simulator (:class:`~app.hardware.simulator.model.LimitEvent`).
The simulator asks the profile for the next *segment* (up to n steps of
known current, or a constant-voltage hold) so it can integrate many steps at once.

Profiles (``make_profile`` names):

``rest``   zero current.
``cc``     constant current at ``c_rate`` (signed, default -1: 1C discharge) until
           the voltage limit, then rest.
``cccv``   CC charge at ``c_rate`` (default 0.5C, capped at 90 % of the spec's maximum)
           to ``cell_v_max``, CV until the current falls to C/20, then rest.
``hppc``   HPPC pulses (10 s 1C discharge, 40 s rest, 10 s 0.75C charge, 40 s
           rest), then 10 % SOC discharged at 1C and 1 h rest; repeated down to
           the cut-off voltage, then rest.
``drive``  a seeded urban drive (:mod:`~app.hardware.simulator.drive`) until the
           cut-off, rest, CC-CV recharge, rest, drive again.
``cycle``  the demo: 1C discharge to the cut-off, rest, CC-CV charge at C/2, rest,
           repeated (lead-acid: C/5 both ways, :data:`CYCLE_C`).
``float``  lead-acid only: a standby battery on its float charger, which holds the
           *pack* at 2.27 V a cell (current limited to the spec's maximum charge
           current) from 100 % SOC on: the cells take the little charge that lifts
           them to the float voltage, then the current tapers to ~0 (the model's
           cells have no gassing current; a healthy VRLA float current, ~1 mA/Ah,
           is far under the current sensor's noise anyway). Without that gassing a
           string of unequal SOCs does not equalise on float: its full cells climb
           the overcharge knee (above ``cell_v_max``) and the current stops while
           the others stay short of full -- start it with equal cells.

``step_index`` is the 1-based position of the step in the program (the final
rest after a program ends has the next number); ``cycle_index`` counts the
repetitions from 1.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from app.core.errors import BatteryOSError
from app.core.spec import BatterySpec, Chemistry
from app.hardware.simulator.drive import DriveTrace
from app.hardware.simulator.faults import LEAD_ACID_FLOAT_V
from app.hardware.simulator.model import CV_TOLERANCE_V, LimitEvent

#: Standard rates. 1C discharge and C/2 charge are the usual cycler test rates
#: (IEC 62660-1 uses 1C/C3; C/2 charges within the maximum of every preset but
#: lead-acid, which is capped at its own maximum). The CV phase ends at C/20,
#: a common charge termination current (the issue's value).
DISCHARGE_C = 1.0
CHARGE_C = 0.5
CV_END_C = 1.0 / 20.0
#: The demo cycle's (discharge, charge) C-rates where a chemistry's differ from the
#: above: lead-acid is rated and cycled at its 5- to 20-h rates (a 1C discharge
#: gives only ~60 % of a VRLA block's C20 capacity: Peukert; its charge is limited
#: to ~C/4): C/5 both ways.
CYCLE_C = {Chemistry.LEAD_ACID: (0.2, 0.2)}
#: A profile's currents stay at most this fraction of the spec's current limits, as
#: a test schedule keeps a margin to the cell's rating: a current set on the limit
#: reads over it half the time with the sensor's noise, which the safety check
#: would count (the 1C discharge of the lead-acid preset, rated 1C, did).
LIMIT_FRACTION = 0.9
#: Relaxation rest of the demo cycle and after a drive: 10 min, the short end of
#: the 10-60 min rests cyclers use between steps (enough for the fast RC pair).
REST_S = 600.0
#: HPPC after the FreedomCAR Battery Test Manual (DOE/ID-11069, 2003): 10 s
#: discharge pulse, 40 s rest, 10 s regen pulse at 0.75x the discharge current,
#: then 10 % SOC removed at 1C and a 1 h rest before the next pulse set.
HPPC_PULSE_S = 10.0
HPPC_PULSE_REST_S = 40.0
HPPC_REGEN_RATIO = 0.75
HPPC_SOC_STEP_PCT = 10.0
HPPC_REST_S = 3600.0
#: Peak discharge of the drive: up to 2C (EV packs peak at ~2-3C), capped by
#: the spec's maximum continuous discharge.
DRIVE_PEAK_C = 2.0
#: After regen would over-charge a cell, regen is blended into the friction
#: brakes for 5 min (what an EV does near full charge).
DRIVE_NO_REGEN_S = 300.0


class SegmentKind(StrEnum):
    CURRENT = "current"  # known pack current for every step
    CV = "cv"  # hold the highest cell at v_target
    FLOAT = "float"  # hold the pack voltage at v_target


@dataclass(frozen=True)
class Segment:
    """Up to ``n`` steps the simulator may integrate at once."""

    kind: SegmentKind
    n: int
    current_a: np.ndarray | None = None
    v_target: float = 0.0
    i_cap_a: float = 0.0
    i_end_a: float = 0.0
    step_index: int = 1
    cycle_index: int = 1


class Step(abc.ABC):
    """One step of a program. ``n_steps`` None means: until a limit ends it."""

    label: str = "step"
    n_steps: int | None = None

    @abc.abstractmethod
    def segment(self, rel: int, n: int, dt_s: float) -> Segment:
        """The segment starting ``rel`` steps into this step, at most ``n`` long."""

    def handles(self, event: LimitEvent, rel: int) -> bool:
        """Deal with ``event`` inside the step; False ends the step."""
        return False

    def on_exit(self, rel: int, dt_s: float) -> None:  # noqa: B027 - optional hook
        """Called when the step ends after ``rel`` steps."""


def _steps(duration_s: float | None, dt_s: float) -> int | None:
    return None if duration_s is None else max(1, round(duration_s / dt_s))


class RestStep(Step):
    label = "rest"

    def __init__(self, duration_s: float | None, dt_s: float):
        self.n_steps = _steps(duration_s, dt_s)

    def segment(self, rel: int, n: int, dt_s: float) -> Segment:
        return Segment(SegmentKind.CURRENT, n, np.zeros(n))


class CurrentStep(Step):
    """Constant current; ends at its duration or at a voltage limit."""

    def __init__(self, current_a: float, duration_s: float | None, dt_s: float, label: str = "cc"):
        self.current_a = float(current_a)
        self.n_steps = _steps(duration_s, dt_s)
        self.label = label

    def segment(self, rel: int, n: int, dt_s: float) -> Segment:
        return Segment(SegmentKind.CURRENT, n, np.full(n, self.current_a))


class CvStep(Step):
    """Constant voltage on the highest cell; ends when the current falls to ``i_end_a``."""

    label = "cv"

    def __init__(self, v_target: float, i_cap_a: float, i_end_a: float):
        self.v_target, self.i_cap_a, self.i_end_a = v_target, i_cap_a, i_end_a

    def segment(self, rel: int, n: int, dt_s: float) -> Segment:
        return Segment(
            SegmentKind.CV, n, v_target=self.v_target, i_cap_a=self.i_cap_a, i_end_a=self.i_end_a
        )


class FloatStep(Step):
    """Pack voltage held at ``v_pack`` (a string charger), current up to ``i_cap_a``; endless."""

    label = "float"

    def __init__(self, v_pack: float, i_cap_a: float):
        self.v_pack, self.i_cap_a = v_pack, i_cap_a

    def segment(self, rel: int, n: int, dt_s: float) -> Segment:
        return Segment(SegmentKind.FLOAT, n, v_target=self.v_pack, i_cap_a=self.i_cap_a)

    def handles(self, event: LimitEvent, rel: int) -> bool:
        return True  # a float charger floats on


class DriveStep(Step):
    """Drive until the cut-off; the trace continues where the last drive left off."""

    label = "drive"

    def __init__(self, trace: DriveTrace, dt_s: float):
        self.trace = trace
        self._base_s = 0.0
        self._no_regen_until = -1
        self._no_regen_steps = _steps(DRIVE_NO_REGEN_S, dt_s)

    def segment(self, rel: int, n: int, dt_s: float) -> Segment:
        k = rel + np.arange(n)
        i = self.trace.current_a(self._base_s + k * dt_s)
        if rel < self._no_regen_until:
            i = np.where(k < self._no_regen_until, np.minimum(i, 0.0), i)
        return Segment(SegmentKind.CURRENT, n, i)

    def handles(self, event: LimitEvent, rel: int) -> bool:
        if event is LimitEvent.V_MAX:
            self._no_regen_until = rel + self._no_regen_steps
            return True
        return False

    def on_exit(self, rel: int, dt_s: float) -> None:
        self._base_s += rel * dt_s
        self._no_regen_until = -1


class Profile:
    """A program of steps, optionally repeated, ending in an endless rest.

    ``end_on_v_min``: a discharge reaching the cut-off ends the whole program
    (HPPC) instead of only its step.
    """

    def __init__(
        self,
        name: str,
        steps: list[Step],
        dt_s: float,
        *,
        repeat: bool = False,
        end_on_v_min: bool = False,
        default_initial_soc_pct: float = 50.0,
        options: dict | None = None,
    ):
        self.name = name
        self.steps = list(steps)
        self.dt_s = dt_s
        self.repeat = repeat and bool(self.steps)
        self.end_on_v_min = end_on_v_min
        self.default_initial_soc_pct = default_initial_soc_pct
        self.options = dict(options or {})
        self._final = RestStep(None, dt_s)
        self._pos = 0 if self.steps else len(self.steps)
        self._start = 0
        self.cycle_index = 1

    @property
    def step_index(self) -> int:
        """1-based number of the current step (the final rest is len(steps) + 1)."""
        return self._pos + 1

    def _current(self) -> Step:
        return self.steps[self._pos] if self._pos < len(self.steps) else self._final

    def _advance(self, k: int) -> None:
        self._current().on_exit(k - self._start, self.dt_s)
        if self._pos >= len(self.steps):
            return
        self._pos += 1
        if self._pos == len(self.steps) and self.repeat:
            self._pos = 0
            self.cycle_index += 1
        self._start = k

    def segment(self, k: int, n_max: int) -> Segment:
        """The next segment from sample ``k``, at most ``n_max`` steps."""
        while True:
            step = self._current()
            rel = k - self._start
            if step.n_steps is not None and rel >= step.n_steps:
                self._advance(k)
                continue
            n = n_max if step.n_steps is None else min(n_max, step.n_steps - rel)
            seg = step.segment(rel, n, self.dt_s)
            return Segment(
                seg.kind,
                seg.n,
                seg.current_a,
                seg.v_target,
                seg.i_cap_a,
                seg.i_end_a,
                step_index=self.step_index,
                cycle_index=self.cycle_index,
            )

    def on_limit(self, k: int, event: LimitEvent) -> None:
        """The segment stopped at sample ``k`` because of ``event``."""
        step = self._current()
        if step.handles(event, k - self._start):
            return
        if event is LimitEvent.V_MIN and self.end_on_v_min:
            step.on_exit(k - self._start, self.dt_s)
            self._pos = len(self.steps)
            self._start = k
            return
        self._advance(k)

    def describe(self) -> dict:
        """Plain-JSON name and options of the profile."""
        return {"name": self.name, **self.options}


# ---------------------------------------------------------------------------
# The named profiles
# ---------------------------------------------------------------------------
PROFILES = ("cycle", "drive", "cc", "cccv", "hppc", "rest", "float")


def max_charge_a(spec: BatterySpec) -> float:
    """The largest charge current a profile asks (:data:`LIMIT_FRACTION` of the limit)."""
    return LIMIT_FRACTION * spec.max_charge_current_a


def max_discharge_a(spec: BatterySpec) -> float:
    """The largest discharge current a profile asks (:data:`LIMIT_FRACTION` of the limit)."""
    return LIMIT_FRACTION * spec.max_discharge_current_a


def _charge_steps(spec: BatterySpec, dt_s: float, c_rate: float) -> list[Step]:
    one_c = spec.pack_capacity_ah
    i_chg = min(c_rate * one_c, max_charge_a(spec))
    return [
        CurrentStep(i_chg, None, dt_s, label="cc charge"),
        # regulated a round-off tolerance under the limit, so that no cell reads
        # above it (4.2 + 1e-15 V counted as an over-voltage on every charge)
        CvStep(spec.cell_v_max - CV_TOLERANCE_V, i_chg, CV_END_C * one_c),
    ]


def make_profile(
    name: str,
    spec: BatterySpec,
    dt_s: float,
    rng: np.random.Generator,
    *,
    c_rate: float | None = None,
) -> Profile:
    """The profile called ``name`` for a pack built to ``spec``, sampled every ``dt_s``.

    ``c_rate`` sets the current of ``cc`` (signed, positive = charge) and the
    charge rate of ``cccv``; other profiles ignore it. ``rng`` seeds ``drive``.
    Raises :class:`BatteryOSError` for an unknown name.
    """
    key = name.strip().lower()
    one_c = spec.pack_capacity_ah
    i_dis = -min(DISCHARGE_C * one_c, max_discharge_a(spec))
    cycle_dis_c, cycle_chg_c = CYCLE_C.get(spec.chemistry, (DISCHARGE_C, CHARGE_C))
    opts = {} if c_rate is None else {"c_rate": c_rate}
    if key == "rest":
        return Profile("rest", [], dt_s, default_initial_soc_pct=50.0)
    if key == "float":
        if spec.chemistry is not Chemistry.LEAD_ACID:
            raise BatteryOSError(
                f"the float profile is for lead-acid (a {spec.chemistry.value} pack is not floated)"
            )
        # (the charger's own current limit, not a current the profile asks: a healthy
        # float settles to ~0 A, a runaway runs into it)
        steps = [FloatStep(LEAD_ACID_FLOAT_V * spec.series_cells, spec.max_charge_current_a)]
        return Profile("float", steps, dt_s, default_initial_soc_pct=100.0)
    if key == "cc":
        rate = -DISCHARGE_C if c_rate is None else c_rate
        steps: list[Step] = [CurrentStep(rate * one_c, None, dt_s)] if rate else []
        soc0 = 100.0 if rate < 0 else 0.0
        return Profile("cc", steps, dt_s, default_initial_soc_pct=soc0, options={"c_rate": rate})
    if key == "cccv":
        rate = CHARGE_C if c_rate is None else abs(c_rate)
        steps = _charge_steps(spec, dt_s, rate)
        return Profile("cccv", steps, dt_s, default_initial_soc_pct=20.0, options={"c_rate": rate})
    if key == "cycle":
        i_cycle = -min(cycle_dis_c * one_c, max_discharge_a(spec))
        steps = [
            CurrentStep(i_cycle, None, dt_s, label="discharge"),
            RestStep(REST_S, dt_s),
            *_charge_steps(spec, dt_s, cycle_chg_c),
            RestStep(REST_S, dt_s),
        ]
        return Profile(
            "cycle", steps, dt_s, repeat=True, default_initial_soc_pct=80.0, options=opts
        )
    if key == "hppc":
        i_regen = min(HPPC_REGEN_RATIO * -i_dis, max_charge_a(spec))
        steps = [
            CurrentStep(i_dis, HPPC_PULSE_S, dt_s, label="discharge pulse"),
            RestStep(HPPC_PULSE_REST_S, dt_s),
            CurrentStep(i_regen, HPPC_PULSE_S, dt_s, label="charge pulse"),
            RestStep(HPPC_PULSE_REST_S, dt_s),
            CurrentStep(i_dis, HPPC_SOC_STEP_PCT / 100 * one_c * 3600 / -i_dis, dt_s, "soc step"),
            RestStep(HPPC_REST_S, dt_s),
        ]
        return Profile(
            "hppc", steps, dt_s, repeat=True, end_on_v_min=True, default_initial_soc_pct=100.0
        )
    if key == "drive":
        peak = min(DRIVE_PEAK_C * one_c, max_discharge_a(spec))
        trace = DriveTrace(rng, peak_discharge_a=peak, max_regen_a=max_charge_a(spec))
        steps = [
            DriveStep(trace, dt_s),
            RestStep(REST_S, dt_s),
            *_charge_steps(spec, dt_s, cycle_chg_c),
            RestStep(REST_S, dt_s),
        ]
        return Profile("drive", steps, dt_s, repeat=True, default_initial_soc_pct=90.0)
    raise BatteryOSError(f"unknown profile {name!r} (choose from {', '.join(PROFILES)})")
