"""Resistance SOH: the measured resistance brought to 25 degC by the Arrhenius factor."""

from __future__ import annotations

import math

import pytest

from app.core.spec import RESISTANCE_ACTIVATION_J_PER_MOL, preset, resistance_temperature_factor
from app.diagnostics.soh import SohTracker, calculate_soh
from app.hardware.simulator import Fault, NoiseSpec, simulate
from tests.diagnostics.simulated_runaway import drive_with_fault

from .test_internal_resistance import assert_same


def test_the_arrhenius_factor_is_one_at_the_reference_and_grows_in_the_cold():
    assert resistance_temperature_factor("nmc", 25.0) == 1.0
    # 20 kJ/mol: ~x2.1 from 25 to 0 degC (what Li-ion cells' R0 does), lead-acid less
    assert resistance_temperature_factor("nmc", 0.0) == pytest.approx(2.09, abs=0.01)
    assert resistance_temperature_factor("lead_acid", 0.0) == pytest.approx(1.50, abs=0.01)
    ea = RESISTANCE_ACTIVATION_J_PER_MOL[preset("lfp").chemistry]
    by_hand = math.exp(ea / 8.314462618 * (1 / 283.15 - 1 / 298.15))
    assert resistance_temperature_factor("lfp", 10.0) == pytest.approx(by_hand, rel=1e-12)
    assert resistance_temperature_factor("lfp", 40.0) < 1.0
    with pytest.raises(ValueError, match="above absolute zero"):
        resistance_temperature_factor("nmc", -273.15)


def _cold_cells_log(ambient_c: float):
    """New LFP cells in an ambient of ``ambient_c``: the simulator gives them the
    resistances of their temperature (the preset's at 25 degC times the Arrhenius
    factor), so their R0 at 25 degC is the preset's; ``k`` is the factor of the ambient."""
    spec = preset("lfp", capacity_ah=20.0, series_cells=4)
    k = resistance_temperature_factor(spec.chemistry, ambient_c)
    block = simulate(
        spec,
        "hppc",
        duration_s=12000,
        dt_s=1.0,
        seed=11,
        ambient_c=ambient_c,
        noise=NoiseSpec.typical(spec),
    )
    return spec, k, block


def test_a_cold_new_cell_reads_new_after_the_correction_offline_and_live():
    spec, k, block = _cold_cells_log(10.0)
    true_r25 = spec.ecm.for_capacity(20.0)["r0_ohm"]
    res = calculate_soh(block.to_frame(), spec)
    assert 10.0 <= res.resistance_temperature_c <= 12.0  # a little self-heating
    factor = resistance_temperature_factor(spec.chemistry, res.resistance_temperature_c)
    assert res.resistance_temperature_factor == pytest.approx(factor, rel=0.02)
    assert res.resistance_measured_ohm == pytest.approx(k * true_r25, rel=0.1)
    assert res.resistance_ohm == pytest.approx(true_r25, rel=0.1)
    assert res.soh_resistance_percent >= 90.0
    assert res.resistance_reference_temperature_c == 25.0
    assert res.resistance_activation_energy_j_per_mol == 20e3
    assert any(n.startswith("resistance corrected to 25 degC") for n in res.notes)
    # as measured, x1.5 against the 25 degC reference: a half-worn cell by mistake
    uncorrected = calculate_soh(
        block.to_frame(), spec, measured_resistance_ohm=res.resistance_measured_ohm
    )
    assert uncorrected.soh_resistance_percent < 60.0
    tracker = SohTracker(spec)
    for start in range(0, len(block), 997):
        tracker.update(block.slice(start, start + 997))
    assert_same(res.to_dict(), tracker.result().to_dict())


def test_without_a_temperature_the_resistance_is_not_corrected_and_the_note_says_so():
    spec, _k, block = _cold_cells_log(10.0)
    frame = block.to_frame()
    frame = frame[[c for c in frame.columns if "temp" not in c]]
    res = calculate_soh(frame, spec)
    assert res.resistance_temperature_c is None
    assert res.resistance_temperature_factor == 1.0
    assert res.resistance_ohm == res.resistance_measured_ohm
    assert res.resistance_activation_energy_j_per_mol is None  # nothing was corrected
    assert any(n.startswith("resistance not corrected for temperature") for n in res.notes)
    # against the preset, still an indication only
    assert any("not this cell's own: an indication" in n for n in res.notes)


def test_a_temperature_outside_the_cells_range_is_not_used_to_correct():
    # a log whose temperature column is in degF (25 degC reads 77): corrected as if the
    # cell were at 77 degC its 25 degC resistance came out x1.7, a half-worn cell
    spec, _k, block = _cold_cells_log(25.0)
    frame = block.to_frame()
    for column in [c for c in frame.columns if "temp" in c]:
        frame[column] = frame[column] * 9.0 / 5.0 + 32.0
    res = calculate_soh(frame, spec)
    assert res.resistance_ohm == res.resistance_measured_ohm
    assert res.resistance_activation_energy_j_per_mol is None
    (note,) = [n for n in res.notes if n.startswith("resistance not corrected for temperature")]
    assert "outside -20-60 degC" in note and "degF" in note
    assert res.soh_resistance_percent >= 90.0  # a new cell, read as one


def test_a_cell_running_hot_does_not_age_the_pack():
    # new NMC cells (R0 the preset's at 25 degC, each at its own temperature's) with an
    # internal short heating cell 2 to ~43 degC: the pack's temperature_c is the hottest
    # cell's, and correcting all four cells' R0 by it read 22 mOhm, 53 %
    spec, block = drive_with_fault("internal_short")
    frame = block.to_frame()
    assert frame["cell_2_temp_c"].iloc[-60:].mean() > 40.0  # the shorted cell runs hot
    res = calculate_soh(frame, spec)
    true_r25 = spec.ecm.for_capacity(5.0)["r0_ohm"]
    assert res.resistance_ohm == pytest.approx(true_r25, rel=0.08)
    assert res.soh_resistance_percent >= 90.0
    assert 24.0 <= res.resistance_temperature_c <= 28.0  # the cells', not the hot one's
    assert any("each cell's share corrected at its own" in n for n in res.notes)
    tracker = SohTracker(spec)
    for start in range(0, len(block), 97):
        tracker.update(block.slice(start, start + 97))
    assert_same(res.to_dict(), tracker.result().to_dict())


def test_a_pulse_with_a_cell_past_the_correction_range_is_left_out():
    # HPPC at 40 degC with a short heating cell 2 past 60 degC in the later pulses: those
    # pulses' resistance cannot be brought to 25 degC (uncorrected they read ~9 mOhm
    # and the median gave no SOH at all); the one before the short can
    spec = preset("nmc", capacity_ah=5.0, series_cells=4)
    block = simulate(
        spec,
        "hppc",
        duration_s=7200,
        seed=0,
        ambient_c=40.0,
        noise=NoiseSpec.typical(spec),
        faults=[Fault("internal_short", 2400.0, cell=2)],
    )
    res = calculate_soh(block.to_frame(), spec)
    assert res.resistance_ohm == pytest.approx(spec.ecm.for_capacity(5.0)["r0_ohm"], rel=0.08)
    assert res.soh_resistance_percent >= 90.0
    assert any("left out: a temperature outside -20-60 degC" in n for n in res.notes)


def test_pulses_only_while_a_cell_runs_away_give_no_resistance():
    # the drive's one pulse comes while cell 2 is past 60 degC: the pack's resistance then
    # holds a share no correction can take (uncorrected it read 11.3 mOhm, "lower than a
    # new cell"): no resistance, and the note says why
    spec, block = drive_with_fault("thermal_runaway")
    res = calculate_soh(block.to_frame(), spec)
    assert res.resistance_ohm is None and res.soh_resistance_percent is None
    (note,) = [n for n in res.notes if n.startswith("no resistance")]
    assert "had a cell outside -20-60 degC (a cell running hot, a fault)" in note
