"""Injected faults: what goes wrong, where, and from when.

Battery faults change the physics (:mod:`app.hardware.simulator.model` reads
them): ``over_voltage`` (the charger ignores the voltage limit and keeps pushing
its constant current), ``internal_short`` (a resistor across one cell: it drains
that cell and heats it by V²/R), ``thermal_runaway`` (Li-ion: a cell's
self-heating grows exponentially after the onset; its voltage collapses once the
separator melts. Lead-acid: a cell's recombination current on float, doubling per
10 degC, see :class:`Recombination`).

Sensor faults change only what is measured, on one named output column:
``sensor_stuck`` (holds the last value before the onset), ``sensor_noisy`` (adds
large Gaussian noise), ``sensor_dropout`` (NaN from the onset on).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from app.core.errors import BatteryOSError
from app.core.schema import CURRENT, TEMPERATURE, VOLTAGE

#: Default internal-short resistance, ohm*Ah: 50 ohm*Ah gives 10 ohm on a 5 Ah
#: cell (a drain of ~C/13 and ~1.5 W of heat): a "soft" short in the 1-100 ohm
#: range used for ISC detection studies on 18650/21700-size cells (Feng et al.,
#: "Online internal short circuit detection for a large format lithium ion
#: battery", Applied Energy 161 (2016) 168). Scaled by capacity so a big cell
#: shows the same relative drain.
SHORT_OHM_AH = 50.0

#: Thermal runaway (Li-ion): self-heating *rate* at the onset, and its e-folding
#: time. Chosen for a fault that shows within minutes: 1 K/min at the onset,
#: doubling every ~40 s (ARC tests see slower onsets, ~0.02 K/min, before the same
#: exponential take-off: Feng et al., "Thermal runaway mechanism of lithium ion
#: battery for electric vehicles: a review", Energy Storage Mater. 10 (2018) 246).
#: An onset is a self-heating rate, as an ARC's (whatever the chemistry): the power
#: at the onset is this rate times the cell's heat capacity. (It was 0.25 W per Ah,
#: 1 K/min on an NMC cell, 15 J/K/Ah, but 0.5 K/min on an LFP cell, 30 J/K/Ah: its
#: "onset" was declared 42 s, ln 2 e-folds, earlier in the same take-off.)
RUNAWAY_ONSET_K_PER_MIN = 1.0
RUNAWAY_EFOLD_S = 60.0
#: Heat at a lead-acid runaway's onset per Ah (see :class:`Recombination`).
RUNAWAY_HEAT_W_PER_AH = 0.25
#: Heat budget of the runaway, as the temperature rise it would cause without
#: cooling: ~700 K, the onset-to-peak rise measured for NMC cells (peak 700-900
#: degC, Feng 2018). The self-heating stops once the budget is spent.
RUNAWAY_RISE_K = 700.0
#: Temperature at which the separator melts and the cell shorts internally
#: (PE 130 degC, PP 165 degC; Feng 2018 "T2"): the cell voltage then collapses
#: to zero with a time constant of a few seconds (illustrative).
SEPARATOR_COLLAPSE_C = 150.0
COLLAPSE_TAU_S = 5.0

#: Noisy-sensor default sigma per kind of channel: about 25x the typical sensor
#: noise of :mod:`app.hardware.simulator.noise` -- "big" enough to see at a glance.
NOISY_SIGMA_V = 0.05
NOISY_SIGMA_C = 5.0
NOISY_SIGMA_C_RATE = 0.1  # current, as a fraction of the 1C current


class FaultKind(StrEnum):
    OVER_VOLTAGE = "over_voltage"
    INTERNAL_SHORT = "internal_short"
    THERMAL_RUNAWAY = "thermal_runaway"
    SENSOR_STUCK = "sensor_stuck"
    SENSOR_NOISY = "sensor_noisy"
    SENSOR_DROPOUT = "sensor_dropout"

    @property
    def is_sensor(self) -> bool:
        """A fault of what is measured, not of the battery."""
        return self in (FaultKind.SENSOR_STUCK, FaultKind.SENSOR_NOISY, FaultKind.SENSOR_DROPOUT)

    @property
    def is_cell(self) -> bool:
        """A fault of one cell (``Fault.cell`` applies)."""
        return self in (FaultKind.INTERNAL_SHORT, FaultKind.THERMAL_RUNAWAY)

    @classmethod
    def parse(cls, text: str) -> FaultKind:
        """The kind named ``text`` (some aliases: ``ov``, ``short``, ``runaway``, ``stuck``...)."""
        key = text.strip().lower().replace("-", "_")
        aliases = {
            "overvoltage": "over_voltage",
            "ov": "over_voltage",
            "overcharge": "over_voltage",
            "short": "internal_short",
            "runaway": "thermal_runaway",
            "stuck": "sensor_stuck",
            "noisy": "sensor_noisy",
            "dropout": "sensor_dropout",
        }
        try:
            return cls(aliases.get(key, key))
        except ValueError:
            raise BatteryOSError(
                f"unknown fault {text!r} (choose from {', '.join(k.value for k in cls)})"
            ) from None


@dataclass(frozen=True)
class Fault:
    """One injected fault.

    ``cell`` (1-based) is the cell of ``internal_short`` and ``thermal_runaway``;
    ``channel`` the output column of a sensor fault; ``resistance_ohm`` the short's
    resistance (default ``SHORT_OHM_AH / capacity``); ``sigma`` the noisy sensor's
    standard deviation (default by channel kind).
    """

    kind: FaultKind
    onset_s: float = 0.0
    cell: int = 1
    channel: str | None = None
    resistance_ohm: float | None = None
    sigma: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "kind", FaultKind(self.kind))
        if not self.onset_s >= 0:
            raise BatteryOSError(f"fault onset must be >= 0 s, got {self.onset_s}")
        if self.cell < 1:
            raise BatteryOSError(f"fault cell must be >= 1, got {self.cell}")
        if self.kind.is_sensor and not self.channel:
            raise BatteryOSError(f"{self.kind.value} needs a channel (an output column name)")
        if self.resistance_ohm is not None and not self.resistance_ohm > 0:
            raise BatteryOSError(f"short resistance must be positive, got {self.resistance_ohm}")

    def to_dict(self) -> dict:
        """Plain-JSON form (the fields that apply to this kind)."""
        d = {"kind": self.kind.value, "onset_s": self.onset_s}
        if self.kind.is_cell:
            d["cell"] = self.cell
        if self.kind.is_sensor:
            d["channel"] = self.channel
        if self.resistance_ohm is not None:
            d["resistance_ohm"] = self.resistance_ohm
        if self.sigma is not None:
            d["sigma"] = self.sigma
        return d


def check_faults(faults: list[Fault], n_cells: int, channels: list[str]) -> None:
    """Raise :class:`BatteryOSError` if a fault names a cell or channel the pack lacks,
    or if more than one internal short or thermal runaway is given (one of each is modelled)."""
    for kind in (FaultKind.INTERNAL_SHORT, FaultKind.THERMAL_RUNAWAY):
        if sum(f.kind is kind for f in faults) > 1:
            raise BatteryOSError(f"only one {kind.value} fault at a time is simulated")
    for f in faults:
        if f.kind.is_cell and f.cell > n_cells:
            raise BatteryOSError(f"{f.kind.value}: cell {f.cell} does not exist ({n_cells} cells)")
        if f.kind.is_sensor and f.channel not in channels:
            raise BatteryOSError(
                f"{f.kind.value}: unknown channel {f.channel!r} (choose from {', '.join(channels)})"
            )


# ---------------------------------------------------------------------------
# Thermal runaway heat
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RunawayHeat:
    """Self-heating power of a cell in runaway: P0*exp((t-onset)/tau) until the budget is spent."""

    onset_s: float
    power0_w: float
    efold_s: float
    end_s: float

    @staticmethod
    def for_cell(onset_s: float, heat_capacity_j_per_k: float) -> RunawayHeat:
        """The runaway of a cell of this heat capacity starting at ``onset_s``."""
        p0 = RUNAWAY_ONSET_K_PER_MIN / 60.0 * heat_capacity_j_per_k
        budget_j = heat_capacity_j_per_k * RUNAWAY_RISE_K
        # integral of p0*exp(t/tau) from 0 to T equals the budget:
        end = onset_s + RUNAWAY_EFOLD_S * math.log1p(budget_j / (p0 * RUNAWAY_EFOLD_S))
        return RunawayHeat(onset_s, p0, RUNAWAY_EFOLD_S, end)

    def power_w(self, t_s: np.ndarray) -> np.ndarray:
        """Self-heating power (W) at times ``t_s``."""
        active = (t_s >= self.onset_s) & (t_s < self.end_s)
        x = np.where(active, (t_s - self.onset_s) / self.efold_s, 0.0)
        return np.where(active, self.power0_w * np.exp(x), 0.0)


# ---------------------------------------------------------------------------
# Lead-acid thermal runaway: recombination current on float
# ---------------------------------------------------------------------------
#: Float voltage of a lead-acid cell: 2.25-2.30 V at 20-25 degC (Yuasa NP data sheet,
#: BU-403), held on the string by the charger of a standby battery.
LEAD_ACID_FLOAT_V = 2.27
#: The float (overcharge) current of a VRLA cell doubles per ~10 degC: the oxygen
#: it evolves recombines at the negative plate, so the charge does no chemistry
#: and all of V*I becomes heat; heat and current then feed each other (Culpin,
#: "Thermal runaway in valve-regulated lead-acid cells and the effect of charging
#: methods", J. Power Sources 133 (2004) 79; Pavlov, "Lead-Acid Batteries", ch. 13).
RECOMBINATION_DOUBLING_K = 10.0


@dataclass(frozen=True)
class Recombination:
    """Lead-acid runaway: the recombination current of a cell held on float.

    From the onset the cell's oxygen cycle carries ``current0_a * 2**((T - T_ref) /
    10 K)`` in parallel with its charge reaction (at most the charger's limit); its
    heat is the cell voltage times that current. ``current0_a`` puts the onset heat
    at 0.25 W/Ah (~C/9, 0.43 degC/min on a 100 Ah cell):
    an accelerated fault, as that one -- a real cell takes hours to climb there from
    its ~1 mA/Ah float current (the onset stands for a dry-out opening the gas paths).
    It flows only while a charger holds the voltage (the ``float`` profile): at rest
    or on discharge there is no charger to supply it and no runaway.
    """

    onset_s: float
    current0_a: float
    t_ref_c: float
    cap_a: float

    @staticmethod
    def for_cell(onset_s: float, capacity_ah: float, t_ref_c: float, cap_a: float) -> Recombination:
        """The runaway of a cell of ``capacity_ah`` from ``onset_s``, current doubling
        per 10 K above ``t_ref_c``, limited to ``cap_a``."""
        i0 = RUNAWAY_HEAT_W_PER_AH * capacity_ah / LEAD_ACID_FLOAT_V
        return Recombination(onset_s, i0, t_ref_c, cap_a)

    def current_a(self, t_s: float, temperature_c: float) -> float:
        """Recombination current (A) at time ``t_s`` and cell temperature."""
        if t_s < self.onset_s:
            return 0.0
        x = (temperature_c - self.t_ref_c) / RECOMBINATION_DOUBLING_K
        return min(self.cap_a, self.current0_a * 2.0 ** min(x, 60.0))


# ---------------------------------------------------------------------------
# Sensor faults (applied to output columns)
# ---------------------------------------------------------------------------
def default_noisy_sigma(channel: str, one_c_a: float) -> float:
    """The noisy-sensor sigma of ``channel`` when the fault does not give one."""
    if channel == CURRENT:
        return NOISY_SIGMA_C_RATE * one_c_a
    if channel == TEMPERATURE or channel.endswith("_temp_c"):
        return NOISY_SIGMA_C
    if channel == VOLTAGE:
        return NOISY_SIGMA_V * 4  # a pack voltage: a few cells' worth
    return NOISY_SIGMA_V


@dataclass
class SensorFaults:
    """Applies sensor faults to blocks of output columns, keeping the stuck values."""

    faults: list[Fault]
    rng: np.random.Generator
    one_c_a: float
    _held: dict[int, float] = field(default_factory=dict)
    _last: dict[str, float] = field(default_factory=dict)

    def apply(self, columns: dict[str, np.ndarray], t_s: np.ndarray, only: set[str]) -> None:
        """Modify ``columns`` in place for the faults whose channel is in ``only``."""
        for i, f in enumerate(self.faults):
            if f.channel not in only or f.channel not in columns or not len(t_s):
                continue
            col = columns[f.channel]
            on = t_s >= f.onset_s
            if f.kind is FaultKind.SENSOR_DROPOUT:
                col[on] = np.nan
            elif f.kind is FaultKind.SENSOR_NOISY:
                sigma = f.sigma
                if sigma is None:
                    sigma = default_noisy_sigma(f.channel, self.one_c_a)
                # drawn for every sample so the noise stream does not depend on the onset
                col += np.where(on, self.rng.normal(0.0, sigma, len(col)), 0.0)
            elif f.kind is FaultKind.SENSOR_STUCK:
                if i not in self._held and on.any():
                    first = int(np.argmax(on))
                    # the last value read before the onset (from the previous block if need be)
                    before = col[first - 1] if first > 0 else self._last.get(f.channel, col[0])
                    self._held[i] = float(before)
                if i in self._held:
                    col[on] = self._held[i]
            self._last[f.channel] = float(col[-1])
