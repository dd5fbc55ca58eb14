"""Simulated packs the fault tests share."""

from __future__ import annotations

from app.core.spec import preset
from app.hardware.simulator import NoiseSpec, simulate


def spread_pack(chem, cells, profile, seed, duration_s, *, resistance_spread, faults=()):
    """A simulated pack whose cells differ as a real pack's: 2 % in capacity,
    ``resistance_spread`` in resistance, with typical sensor noise; clean unless
    ``faults`` are injected."""
    spec = preset(chem, series_cells=cells)
    block = simulate(
        spec,
        profile,
        duration_s=duration_s,
        seed=seed,
        noise=NoiseSpec.typical(spec),
        capacity_spread=0.02,
        resistance_spread=resistance_spread,
        faults=list(faults),
    )
    return spec, block
