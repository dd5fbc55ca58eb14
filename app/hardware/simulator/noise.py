"""Sensor noise: seeded Gaussian noise on the measured channels."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from app.core import schema
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec

#: Typical BMS measurement noise (one sigma):
#: cell voltage 2 mV -- BMS front ends specify +-1.2..5 mV total error
#: (ADI LTC6811: 1.2 mV; TI BQ76952: +-5 mV), read here as ~2 mV sigma;
TYPICAL_CELL_VOLTAGE_SIGMA_V = 0.002
#: current 0.5 % of the 1C current -- a Hall-effect pack sensor is ~0.5-1 % of
#: full scale (e.g. LEM DHAB series);
TYPICAL_CURRENT_SIGMA_C_RATE = 0.005
#: temperature 0.3 degC -- NTC thermistor channels read to +-0.5..1 degC.
TYPICAL_TEMPERATURE_SIGMA_C = 0.3


@dataclass(frozen=True)
class NoiseSpec:
    """Standard deviations of the sensor noise.

    ``voltage_v`` applies to every cell voltage; the pack voltage is measured by
    its own sensor with ``voltage_v * sqrt(N)`` (what a sum of N cell readings
    would give). ``current_a`` to the pack current, ``temperature_c`` to every cell
    temperature sensor (``temperature_c``, the hottest sensor, inherits it).
    """

    voltage_v: float = 0.0
    current_a: float = 0.0
    temperature_c: float = 0.0

    def __post_init__(self):
        for name, value in asdict(self).items():
            if not value >= 0:
                raise ValueError(f"noise {name} must be >= 0, got {value}")

    @staticmethod
    def typical(spec: BatterySpec, scale: float = 1.0) -> NoiseSpec:
        """Typical BMS sensor noise for ``spec``, multiplied by ``scale``."""
        return NoiseSpec(
            voltage_v=scale * TYPICAL_CELL_VOLTAGE_SIGMA_V,
            current_a=scale * TYPICAL_CURRENT_SIGMA_C_RATE * spec.pack_capacity_ah,
            temperature_c=scale * TYPICAL_TEMPERATURE_SIGMA_C,
        )

    @property
    def enabled(self) -> bool:
        """True if any sigma is non-zero."""
        return bool(self.voltage_v or self.current_a or self.temperature_c)

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return asdict(self)


def add_noise(
    rng: np.random.Generator,
    noise: NoiseSpec,
    *,
    pack_v: np.ndarray,
    current_a: np.ndarray,
    cell_v: np.ndarray,
    cell_temp_c: np.ndarray,
) -> None:
    """Add noise in place. Cell arrays are (N, n); one draw per block keeps the
    stream independent of how a run is cut into blocks of rows."""
    n_cells, n = cell_v.shape
    z = rng.standard_normal((n, 2 + 2 * n_cells)).T
    pack_v += z[0] * (noise.voltage_v * math.sqrt(n_cells))
    current_a += z[1] * noise.current_a
    cell_v += z[2 : 2 + n_cells] * noise.voltage_v
    cell_temp_c += z[2 + n_cells :] * noise.temperature_c


#: What :func:`quantize` rounds: cell and pack temperatures (degC), the current (A),
#: the cell voltages and the pack voltage (V).
RESOLUTION_KINDS = ("temp", "current", "cell_v", "pack_v")


def quantize(block: SampleBlock, resolution: dict[str, float] | None) -> SampleBlock:
    """``block`` with its readings rounded as a coarse BMS reports them, after any
    noise (``{"temp": 1.0}``: whole degrees; kinds :data:`RESOLUTION_KINDS`, each its
    quantum); NaN stays NaN, other columns are kept."""
    if not resolution:
        return block
    cols = block.columns
    kinds = {
        "temp": [c for c in cols if c == schema.TEMPERATURE]
        + schema.cell_temperature_columns(cols),
        "current": [schema.CURRENT],
        "cell_v": schema.cell_voltage_columns(cols),
        "pack_v": [schema.VOLTAGE],
    }
    out = {c: block[c] for c in cols}
    for kind, q in resolution.items():
        for c in kinds[kind]:
            if c in out:
                out[c] = np.round(out[c] / q) * q
    return SampleBlock(out)
