"""Simulated packs the fault tests share."""

from __future__ import annotations

import numpy as np

from app.core.samples import SampleBlock
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


def short_latency_s(seed, spread, *, onset_s, cell=3, ohms=100.0):
    """How long after ``onset_s`` an ``ohms`` short across ``cell`` of a 4-cell NMC 1C
    cycle (``spread_pack``, 20 min past the onset) is found; asserts it is the only
    fault kind raised and that it names that cell."""
    from app.diagnostics.faults import detect_faults
    from app.hardware.simulator import Fault

    fault = Fault("internal_short", onset_s, cell=cell, resistance_ohm=ohms)
    spec, block = spread_pack(
        "nmc", 4, "cycle", seed, onset_s + 1200, resistance_spread=spread, faults=[fault]
    )
    faults = detect_faults(block, spec).to_list()
    assert {f["kind"] for f in faults} == {"internal_short"}, faults
    hits = [f for f in faults if f["channel"] == f"cell_{cell}_v"]
    assert hits, faults
    return min(f["detail"]["detected_time_s"] for f in hits) - onset_s


def without_rows(block: SampleBlock, gaps) -> SampleBlock:
    """``block`` less its rows in each gap (start, length): time gaps, no rows."""
    cols = {c: np.asarray(block[c], dtype=float) for c in block.columns}
    keep = np.ones(len(block), dtype=bool)
    for start, length in gaps:
        keep &= (cols["time_s"] < start) | (cols["time_s"] >= start + length)
    return SampleBlock({c: v[keep] for c, v in cols.items()})
