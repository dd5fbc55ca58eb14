"""The rolling heat test's lag held as fitted before the short (see
:data:`app.diagnostics.faults.short.HEAT_LAG_BEFORE_MIN_K`): a 100 ohm short from 900 s
into a 4-cell cycle is found, and the three guards keep clean uneven packs clean."""

from __future__ import annotations

import dataclasses

import numpy as np

import app.hardware.simulator.pack as pack_mod
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault, NoiseSpec
from tests.diagnostics.simulated_packs import spread_pack
from tests.diagnostics.test_short_heat import _assert_live_equals_offline


def _short_at_900_s(seed: int, spread: float):
    return spread_pack(
        "nmc",
        4,
        "cycle",
        seed,
        2100,
        resistance_spread=spread,
        faults=[Fault("internal_short", 900.0, cell=3, resistance_ohm=100.0)],
    )


def test_a_100_ohm_short_from_900_s_into_a_4_cell_cycle_is_found_within_10_min():
    """``bench_faults.py`` seed 1431 (6 % spread): the short's fitted lag fell from ~0 to
    -0.5 as the short entered the reference (its delay read as a lag) and the fitted
    test read z 4-5; held at 0 alone (what a cell cooling unevenly misreads) it may not
    confirm. Held as fitted 5 min before, with c held at 0 too, it reads 0.3-0.4 K at z
    6-8. Not found in 1,200 s before; found at 329 s now."""
    spec, block = _short_at_900_s(1431, 0.06)
    shorts = detect_faults(block, spec).of_kind("internal_short")
    assert [f.channel for f in shorts] == ["cell_3_v"]
    assert 900 <= shorts[0].detail["detected_time_s"] <= 900 + 600


def test_a_short_found_with_the_lag_held_as_before_live_equals_offline():
    """The fitted c's history and the load's rolling sums are carried across blocks:
    random block splits give the offline result to the last bit."""
    spec, block = _short_at_900_s(1431, 0.06)
    _assert_live_equals_offline(block, spec, seed=11)


def _uneven(monkeypatch, cells, profile, seed, duration_s):
    """A clean NMC pack (6 % resistance spread) whose cells' cooling and heat capacity
    differ by 10 % (relative sigma each), drawn as ``benchmarks/validate/uneven_clean.py``
    draws them."""
    make = pack_mod.make_cells

    def uneven(spec, rng, **kw):
        c = make(spec, rng, **kw)
        g = np.random.default_rng(int(rng.integers(1 << 31)))
        k1 = np.clip(1 + 0.1 * g.standard_normal(c.n_cells), 0.3, None)
        k2 = np.clip(1 + 0.1 * g.standard_normal(c.n_cells), 0.3, None)
        return dataclasses.replace(
            c,
            cooling_w_per_k=c.cooling_w_per_k * k1,
            heat_capacity_j_per_k=c.heat_capacity_j_per_k * k2,
        )

    monkeypatch.setattr(pack_mod, "make_cells", uneven)
    spec = preset("nmc", series_cells=cells)
    sim = pack_mod.PackSimulator(
        spec,
        profile,
        seed=seed,
        noise=NoiseSpec.typical(spec),
        capacity_spread=0.02,
        resistance_spread=0.06,
        **({"c_rate": -1.0} if profile == "cc" else {}),
    )
    return spec, sim.run_block(duration_s)


def test_an_uneven_cell_at_a_cycles_end_of_discharge_is_no_short(monkeypatch):
    """4-cell NMC ``cycle``, seed 614: cell 3 cools 13 % worse than the others. At the
    end of the discharge (the pack's heating stops) its fitted c, -0.22, is what it was
    5 min before within 0.03, but x - F(x) swings 3.5 K below its reference: held as
    before, c read 0.14 K at z 6.4 (3,179 s). The pack's load changed since that
    reference: the lag held as before is not asked."""
    spec, block = _uneven(monkeypatch, 4, "cycle", 614, 3600)
    assert detect_faults(block, spec).of_kind("internal_short") == []


def test_an_uneven_cell_under_a_steady_discharge_is_no_short(monkeypatch):
    """4-cell NMC ``cc`` at 1C, seed 646: cell 1 stores 12 % more heat and cools 8 %
    worse than the others; its fitted c was still converging (-0.13 five minutes before,
    -0.25 now), and held as before it read 0.20-0.21 K at z 6.3-6.6 (1,349 s): under the
    least excess of the lag held as before (0.3 K)."""
    spec, block = _uneven(monkeypatch, 4, "cc", 646, 1800)
    assert detect_faults(block, spec).of_kind("internal_short") == []
