"""Per-cell parameters of the simulated pack: the chemistry's 2-RC equivalent
circuit and thermal values, with a seeded manufacturing spread.

Each series position is one lumped cell; ``parallel_strings`` cells in parallel
act as one cell of ``parallel_strings`` times the capacity (resistances divided,
heat capacity and cooling multiplied, which ``EcmParameters.for_capacity``
does when given the paralleled capacity).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core.spec import BatterySpec, Chemistry

#: Default cell-to-cell spread (one standard deviation, relative) of capacity and
#: of resistance: the issue's figures, the order reported for new cells of one
#: production batch (capacity ~0.3-1 %, resistance ~1-4 %: Rumpf, Naumann, Jossen,
#: J. Energy Storage 14 (2017) 224; Baumann et al., J. Energy Storage 18 (2018) 295).
CAPACITY_SPREAD = 0.01
RESISTANCE_SPREAD = 0.03
#: Spread factors are clipped to +-4 sigma so a seed can never draw a zero or
#: negative capacity/resistance (4 sigma is ~1 in 16000 cells, i.e. no real clipping).
_SPREAD_CLIP_SIGMA = 4.0

#: Overcharge: the tables end at 100 % SOC, some below the charge limit
#: (LFP 3.50 V vs 3.60 V, lead-acid 2.12 V vs 2.45 V: the steep LFP end-of-charge
#: knee, the lead-acid gassing overpotential that a 2-RC circuit lacks). The
#: extension first climbs to ``cell_v_max`` within 1 % SOC of overcharge, so a
#: CC-CV charge ends at ~100 % as the capacity rating defines it, then keeps
#: rising ~0.8 V over 50 % of overcharge, as NMC pouch cells overcharged at 1C do
#: before venting (Ren et al., "Overcharge behaviors and failure mechanism of
#: lithium-ion batteries under different test conditions", Applied Energy 250
#: (2019) 323) -- used for every chemistry so the over-voltage fault keeps climbing.
_KNEE_PCT = 1.0
_OVERCHARGE_V_PER_PCT = 0.016
_OVERCHARGE_END_PCT = 150.0
#: Over-discharge below 0 % SOC: the voltage collapses to 0 V. 0.1 V per % is an
#: illustrative steep slope (not a fit) so an over-discharged cell shows plainly
#: (and a cell drained by a short ends at 0 V instead of a plateau).
_OVERDISCHARGE_V_PER_PCT = 0.1


def extended_ocv_table(spec: BatterySpec) -> tuple[np.ndarray, np.ndarray]:
    """The cell OCV table of ``spec`` extended beyond 0-100 % SOC.

    Inside the table's range it is exactly the cell's equilibrium OCV
    (:meth:`~app.core.spec.BatterySpec.equilibrium_ocv_table`, the same points, linear
    interpolation): ``spec.cell_ocv``, less the polarisation of a table measured at a
    stated current (``ocv_table_current_c``), which the SOC filter takes out as well;
    above it, the knee and overcharge slope above; below, the over-discharge slope;
    flat beyond their ends.
    """
    soc, ocv = spec.equilibrium_ocv_table()
    empty_soc = soc[0] - ocv[0] / _OVERDISCHARGE_V_PER_PCT  # where the slope reaches 0 V
    knee_soc = soc[-1] + _KNEE_PCT
    knee_v = max(spec.cell_v_max, ocv[-1] + _OVERCHARGE_V_PER_PCT * _KNEE_PCT)
    end_v = knee_v + _OVERCHARGE_V_PER_PCT * (_OVERCHARGE_END_PCT - knee_soc)
    soc_x = np.concatenate(([empty_soc], soc, [knee_soc, _OVERCHARGE_END_PCT]))
    ocv_x = np.concatenate(([0.0], ocv, [knee_v, end_v]))
    return soc_x, ocv_x


@dataclass(frozen=True)
class CellParameters:
    """The true parameters of the N series cells (arrays of shape (N,)).

    The resistances are the cells' values at 25 degC
    (:data:`~app.core.spec.RESISTANCE_REFERENCE_TEMP_C`); at its own temperature
    a cell's R0, R1 and R2 are these times
    :func:`~app.core.spec.resistance_temperature_factor` of ``chemistry`` (the
    model applies it, :mod:`app.hardware.simulator.model`).

    RC time constants ``tau1_s``, ``tau2_s`` are the same for every cell at 25 degC
    (the spread is in R; C follows so that tau = R*C keeps the chemistry's value).
    With the temperature the capacitances stay and tau follows R: the model takes
    them as ``f(T)`` times these.
    """

    chemistry: Chemistry
    capacity_ah: np.ndarray
    r0_ohm: np.ndarray
    r1_ohm: np.ndarray
    r2_ohm: np.ndarray
    tau1_s: float
    tau2_s: float
    heat_capacity_j_per_k: np.ndarray
    cooling_w_per_k: np.ndarray
    ocv_soc_pct: np.ndarray
    ocv_v: np.ndarray

    @property
    def n_cells(self) -> int:
        """Number of series cells."""
        return len(self.capacity_ah)

    def ocv(self, soc_pct: np.ndarray) -> np.ndarray:
        """Open-circuit voltage at ``soc_pct`` (any shape), extended table."""
        return np.interp(soc_pct, self.ocv_soc_pct, self.ocv_v)

    def to_dict(self) -> dict:
        """Plain-JSON view of the per-cell parameters (ground truth for benchmarks)."""
        return {
            "capacity_ah": self.capacity_ah.tolist(),
            "r0_ohm": self.r0_ohm.tolist(),
            "r1_ohm": self.r1_ohm.tolist(),
            "r2_ohm": self.r2_ohm.tolist(),
            "tau1_s": self.tau1_s,
            "tau2_s": self.tau2_s,
            "heat_capacity_j_per_k": self.heat_capacity_j_per_k.tolist(),
            "cooling_w_per_k": self.cooling_w_per_k.tolist(),
        }


def _spread(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    z = np.clip(rng.standard_normal(n), -_SPREAD_CLIP_SIGMA, _SPREAD_CLIP_SIGMA)
    return 1.0 + sigma * z


def make_cells(
    spec: BatterySpec,
    rng: np.random.Generator,
    *,
    capacity_spread: float = CAPACITY_SPREAD,
    resistance_spread: float = RESISTANCE_SPREAD,
) -> CellParameters:
    """Draw the cells of a pack built to ``spec`` (seeded by ``rng``).

    Each cell's capacity and its three resistances get independent relative
    spreads; one resistance factor per cell scales R0, R1 and R2 together (a
    cell with a thinner electrode is worse in all of them).
    """
    spec = spec.with_preset_defaults()
    n = spec.series_cells
    values = spec.ecm.for_capacity(spec.pack_capacity_ah)
    cap_factor = _spread(rng, n, capacity_spread)
    res_factor = _spread(rng, n, resistance_spread)
    soc_x, ocv_x = extended_ocv_table(spec)
    ones = np.ones(n)
    return CellParameters(
        chemistry=spec.chemistry,
        capacity_ah=spec.pack_capacity_ah * cap_factor,
        r0_ohm=values["r0_ohm"] * res_factor,
        r1_ohm=values["r1_ohm"] * res_factor,
        r2_ohm=values["r2_ohm"] * res_factor,
        tau1_s=float(spec.ecm.tau1_s),
        tau2_s=float(spec.ecm.tau2_s),
        heat_capacity_j_per_k=values["heat_capacity_j_per_k"] * ones,
        cooling_w_per_k=values["cooling_w_per_k"] * ones,
        ocv_soc_pct=soc_x,
        ocv_v=ocv_x,
    )
