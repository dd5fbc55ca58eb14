"""The LFP preset's 4C charge / 20C discharge are an A123 26650 power cell's: scaled to
a 280 Ah prismatic cell they read 'charge 1120 A (4C) ... discharge 5600 A (20C)', so
the safety check could never trip. A large-format cell takes a data sheet's limits."""

from __future__ import annotations

import pytest

from app.cli import main
from app.core.spec import in_chemistry, preset


@pytest.mark.parametrize("capacity", [50.0, 105.0, 280.0])  # LARGE_FORMAT_AH up
def test_a_large_lfp_cell_gets_a_prismatic_cells_limits(capacity):
    spec = preset("lfp", capacity_ah=capacity, series_cells=16)
    assert (spec.max_charge_current_c, spec.max_discharge_current_c) == (1.0, 2.0)
    assert spec.max_charge_current_a == pytest.approx(capacity)
    # the same whichever way the capacity comes: over the preset, or another chemistry's
    assert preset("lfp").with_overrides(capacity_ah=capacity) == preset("lfp", capacity_ah=capacity)
    assert in_chemistry(preset("nmc", capacity_ah=capacity), "lfp").max_discharge_current_c == 2.0


@pytest.mark.parametrize("capacity", [1.1, 2.5, 20.0])
def test_a_small_lfp_cell_keeps_the_power_cells_limits(capacity):
    spec = preset("lfp", capacity_ah=capacity)
    assert (spec.max_charge_current_c, spec.max_discharge_current_c) == (4.0, 20.0)


def test_nmc_and_lead_acid_presets_are_already_within_a_large_cells_limits():
    from app.core.spec import preset_current_limits

    for chem, limits in (("nmc", (0.7, 1.5)), ("lead_acid", (0.25, 1.0))):
        assert preset_current_limits(preset(chem).chemistry, 280.0) == limits


def test_limits_of_ones_own_stay_over_a_new_capacity():
    own = preset("lfp").with_overrides(max_charge_current_c=3.0)
    assert own.with_overrides(capacity_ah=280.0).max_charge_current_c == 3.0
    given = preset("lfp").with_overrides(capacity_ah=280.0, max_discharge_current_c=5.0)
    assert (given.max_charge_current_c, given.max_discharge_current_c) == (1.0, 5.0)


def _record_battery_line(capsys, tmp_path, *options: str) -> str:
    url = "sim://lfp?capacity_ah=280&cells=16"
    out = tmp_path / "rec.csv"
    assert main(["record", url, "--duration", "1", "-o", str(out), *options]) == 0
    return next(line for line in capsys.readouterr().out.splitlines() if "limits:" in line)


def test_record_shows_the_large_cells_limits_and_the_options_still_stand_over(capsys, tmp_path):
    line = _record_battery_line(capsys, tmp_path)
    assert "charge 280 A (1C) at 0 to 55 degC, discharge 560 A (2C)" in line
    line = _record_battery_line(capsys, tmp_path, "--max-charge-c", "0.5", "--max-discharge-c", "3")
    assert "charge 140 A (0.5C)" in line and "discharge 840 A (3C)" in line
