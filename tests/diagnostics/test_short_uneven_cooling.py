"""A clean pack whose cells cool unevenly is not shorted (the rolling heat test's
thermal time-constant term, see :mod:`app.diagnostics.faults.short`)."""

from __future__ import annotations

import dataclasses

import numpy as np

import app.hardware.simulator.pack as pack_mod
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault, NoiseSpec
from tests.diagnostics.simulated_packs import spread_pack
from tests.diagnostics.test_short_heat import _assert_live_equals_offline


def _uneven_pack(monkeypatch, chem, cells, seed, duration_s, cooling_spread):
    """A clean 1C discharge whose cells' cooling and heat capacity differ by
    ``cooling_spread`` (relative sigma each), drawn as
    ``benchmarks/validate/uneven_clean.py`` draws them."""
    make = pack_mod.make_cells

    def uneven(spec, rng, **kw):
        c = make(spec, rng, **kw)
        g = np.random.default_rng(int(rng.integers(1 << 31)))
        k1 = np.clip(1 + cooling_spread * g.standard_normal(c.n_cells), 0.3, None)
        k2 = np.clip(1 + cooling_spread * g.standard_normal(c.n_cells), 0.3, None)
        return dataclasses.replace(
            c,
            cooling_w_per_k=c.cooling_w_per_k * k1,
            heat_capacity_j_per_k=c.heat_capacity_j_per_k * k2,
        )

    monkeypatch.setattr(pack_mod, "make_cells", uneven)
    spec = preset(chem, series_cells=cells)
    sim = pack_mod.PackSimulator(
        spec,
        "cc",
        seed=seed,
        noise=NoiseSpec.typical(spec),
        capacity_spread=0.02,
        resistance_spread=0.06,
        c_rate=-1.0,
    )
    return spec, sim, sim.run_block(duration_s)


def test_a_cell_cooling_unevenly_under_1c_is_not_a_short(monkeypatch):
    """4-cell NMC, seed 614: cell 3 cools and stores heat unlike the others, its time
    constant off the pack's, and while the pack warms its excess temperature is not
    a straight line in the pack's temperature (it lags): the rolling test's a + b T
    fit read an excess of 0.26 K at z 8.6 at 1949 s, a false short (0.49 K at z 10.9
    in the validator's 1 h log). The excess is modelled on the pack's temperature
    less its own lag (the spec's thermal time constant) as well now."""
    spec, sim, block = _uneven_pack(monkeypatch, "nmc", 4, 614, 2100, 0.1)
    tau = sim.cells.heat_capacity_j_per_k / sim.cells.cooling_w_per_k
    assert abs(tau[2] / np.median(tau) - 1.0) > 0.05  # (the case: an uneven cell 3)
    assert detect_faults(block, spec).of_kind("internal_short") == []


def test_a_cell_cooling_worse_is_not_a_short_after_the_anchors_horizon(monkeypatch):
    """16-cell NMC, seed 620: cell 6 cools 23 % worse than the others (0.77 of their
    cooling; its heat capacity 1.12 of theirs), and under a 1C discharge its excess
    over the median grows with the pack's lagged temperature: the anchor (the growth
    since the log's first minutes, which allows for the cell's resistance but not for
    its cooling) read a false short at 2549 s. The anchor judges for 1.25 thermal time
    constants now (1769 s on NMC), while a cooling difference is still small against
    the pack's warming."""
    spec, sim, block = _uneven_pack(monkeypatch, "nmc", 16, 620, 2640, 0.1)
    cooling = sim.cells.cooling_w_per_k
    assert cooling[5] / np.median(cooling) < 0.8  # (the case: a cell 6 cooling worse)
    assert detect_faults(block, spec).of_kind("internal_short") == []


def test_a_short_found_across_the_anchors_horizon_live_equals_offline():
    """100 ohm from 600 s into a 1C cycle (4-cell NMC, seed 3), found at 1439 s, and
    the log runs past the anchor's horizon (1769 s): random block splits give the
    offline result to the last bit."""
    spec, block = spread_pack(
        "nmc",
        4,
        "cycle",
        3,
        2000,
        resistance_spread=0.06,
        faults=[Fault("internal_short", 600, cell=2, resistance_ohm=100.0)],
    )
    assert detect_faults(block, spec).of_kind("internal_short")
    _assert_live_equals_offline(block, spec, seed=7)


def test_what_the_other_cells_show_in_common_is_not_a_short(monkeypatch):
    """4-cell NMC, seed 657: cell 4's thermal time constant is 1.44 of the median
    cell's, cell 3's 0.82. 40 min into the 1C discharge the rolling test confirmed cell
    4 as a short at 2429 s: its residual held with the lag term at either bound (at
    +0.3: 1.04 K, z 6.6), but held at +0.3 every cell's residual was large (the other
    three 0.15-0.66 K), a misprediction of the pack's, not of cell 4. A residual is
    confirmed only beyond what the other cells show in common now (0.18 K there: z 5.5)."""
    spec, sim, block = _uneven_pack(monkeypatch, "nmc", 4, 657, 2500, 0.1)
    tau = sim.cells.heat_capacity_j_per_k / sim.cells.cooling_w_per_k
    assert tau[3] / np.median(tau) > 1.3  # (the case: a cell 4 slow to cool)
    assert detect_faults(block, spec).of_kind("internal_short") == []


def test_a_cell_storing_less_heat_in_a_16_cell_pack_is_not_a_short(monkeypatch):
    """16-cell NMC, seed 640: cell 16 stores 0.79 of the others' heat (its resistance
    +0.16), cell 7 cools 0.83 as well as they do. Under the 1C discharge their excesses
    grow with the pack's warming from its first sample, as a short's from the log's
    start: the anchor, allowing each cell its r, 3 errors and 0.05 of the warming, read
    cell 16 a short at 479 s and cell 7 at 989 s. The other cells' growths less their r
    times the warming spread by ~0.13 of it (their noise and r's errors: ~0.03), and
    what the pack's own cells show unexplained is allowed too now
    (``ANCHOR_SPREAD_Z``)."""
    spec, sim, block = _uneven_pack(monkeypatch, "nmc", 16, 640, 1200, 0.1)
    capacity = sim.cells.heat_capacity_j_per_k
    assert capacity[15] / np.median(capacity) < 0.82  # (the case: a cell 16 storing less)
    assert detect_faults(block, spec).of_kind("internal_short") == []
