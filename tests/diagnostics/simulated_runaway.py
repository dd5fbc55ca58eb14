"""Simulated packs with one injected fault, on a drive with typical sensor noise
(seed 0). ``runaway_drive``: a thermal runaway in a 16-cell NMC pack, cell 3
collapsing from ~4 V to 0 V at 900 s and reading ~0 V to the end of the hour (the
cell balance and the fault detector are both checked on it)."""

from __future__ import annotations

from app.core.samples import SampleBlock
from app.core.spec import BatterySpec, preset
from app.hardware.simulator import Fault, NoiseSpec, simulate

RUNAWAY_CELL = 3
RUNAWAY_AT_S = 900


def drive_with_fault(
    kind: str,
    *,
    at_s: float = 600.0,
    cell: int = 2,
    series_cells: int = 4,
    capacity_ah: float = 5.0,
    duration_s: float = 1800,
) -> tuple[BatterySpec, SampleBlock]:
    """An NMC pack on a drive with the fault ``kind`` on ``cell`` from ``at_s``."""
    spec = preset("nmc", capacity_ah=capacity_ah, series_cells=series_cells)
    block = simulate(
        spec,
        "drive",
        duration_s=duration_s,
        seed=0,
        noise=NoiseSpec.typical(spec),
        faults=[Fault(kind, at_s, cell=cell)],
    )
    return spec, block


def runaway_drive() -> tuple[BatterySpec, SampleBlock]:
    """The 16-cell pack and its hour of samples."""
    return drive_with_fault(
        "thermal_runaway",
        at_s=RUNAWAY_AT_S,
        cell=RUNAWAY_CELL,
        series_cells=16,
        capacity_ah=preset("nmc").capacity_ah,
        duration_s=3600,
    )
