"""A simulated thermal runaway in a 16-cell NMC pack on a drive: cell 3 collapses
from ~4 V to 0 V at 900 s and reads ~0 V to the end of the hour. The cell balance
and the fault detector are both checked on it."""

from __future__ import annotations

from app.core.samples import SampleBlock
from app.core.spec import BatterySpec, preset
from app.hardware.simulator import Fault, NoiseSpec, simulate

RUNAWAY_CELL = 3
RUNAWAY_AT_S = 900


def runaway_drive() -> tuple[BatterySpec, SampleBlock]:
    """The pack and its hour of samples (typical sensor noise, seed 0)."""
    spec = preset("nmc", series_cells=16)
    block = simulate(
        spec,
        "drive",
        duration_s=3600,
        seed=0,
        noise=NoiseSpec.typical(spec),
        faults=[Fault("thermal_runaway", RUNAWAY_AT_S, cell=RUNAWAY_CELL)],
    )
    return spec, block
