import numpy as np
import pytest

from app.core.errors import BatteryOSError
from app.core.spec import PRESETS, BatterySpec, Chemistry, load_ocv_table, preset


@pytest.mark.parametrize("chem", list(Chemistry))
def test_presets_are_consistent(chem):
    spec = PRESETS[chem]
    assert spec.cell_v_min < spec.cell_v_nominal < spec.cell_v_max
    assert spec.charge_temp_min_c < spec.charge_temp_max_c
    assert spec.discharge_temp_min_c < spec.discharge_temp_max_c
    assert spec.ocv_soc_pct[0] == 0 and spec.ocv_soc_pct[-1] == 100
    # the OCV table spans the usable window and stays inside the voltage limits
    assert spec.cell_v_min <= spec.ocv_v[0] and spec.ocv_v[-1] <= spec.cell_v_max
    assert np.all(np.diff(spec.ocv_v) >= 0)
    assert spec.ecm is not None and spec.sources


@pytest.mark.parametrize("chem", list(Chemistry))
def test_ocv_inverse_round_trips(chem):
    spec = PRESETS[chem]
    soc = np.linspace(0, 100, 41)
    back = spec.cell_soc_from_ocv(spec.cell_ocv(soc))
    assert np.allclose(back, soc, atol=1e-6)


def test_a_battery_without_an_ocv_table_uses_its_chemistry_presets():
    # e.g. a BMS that names its chemistry and cell count only
    bare = preset("lfp").with_overrides(ocv_soc_pct=(), ocv_v=())
    lfp = PRESETS[Chemistry.LFP]
    assert bare.cell_ocv(50.0) == lfp.cell_ocv(50.0)
    volts = np.array([3.2, 3.3])
    assert np.array_equal(bare.cell_soc_from_ocv(volts), lfp.cell_soc_from_ocv(volts))


def test_overrides_and_pack_values():
    spec = preset("lfp", capacity_ah=100, series_cells=16, parallel_strings=2)
    assert spec.chemistry is Chemistry.LFP
    assert spec.pack_capacity_ah == 200
    assert spec.pack_v_max == pytest.approx(16 * 3.6)
    # a 100 Ah cell is large-format: 1C, not the A123 26650's 4C (preset_current_limits)
    assert spec.max_charge_current_a == pytest.approx(1.0 * 200)


def test_dict_round_trip():
    spec = preset("nmc", capacity_ah=50, series_cells=4)
    assert BatterySpec.from_dict(spec.to_dict()) == spec


def test_bad_values_give_clear_errors():
    with pytest.raises(BatteryOSError, match="unknown chemistry 'nicd'"):
        Chemistry.parse("nicd")
    with pytest.raises(BatteryOSError, match="capacity must be positive"):
        preset("nmc", capacity_ah=-1)
    with pytest.raises(BatteryOSError, match="strictly increasing"):
        preset("nmc").with_ocv_table([0, 0, 100], [3.0, 3.5, 4.1])


@pytest.mark.parametrize(
    ("soc", "ocv", "message"),
    [
        ([50], [3.7], "at least two rows"),
        ([0, 50, 100], [3.0, float("nan"), 4.2], "non-numeric"),
        ([-10, 100], [3.0, 4.2], "within 0-100 %"),
        ([0, 100], [0.0, 4.2], "positive"),
    ],
)
def test_an_ocv_table_a_model_cannot_use_is_refused(soc, ocv, message):
    with pytest.raises(BatteryOSError, match=message):
        preset("lfp").with_ocv_table(soc, ocv)


def test_an_ocv_table_with_spaces_after_the_commas_reads(tmp_path):
    path = tmp_path / "ocv.csv"
    path.write_text("soc_percent, ocv_v\n0, 3.0\n50, 3.7\n100, 4.2\n")
    soc, ocv = load_ocv_table(str(path))
    assert list(soc) == [0, 50, 100] and list(ocv) == [3.0, 3.7, 4.2]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"capacity_ah": "five"}, "capacity_ah = 'five' is not a number"),
        ({"capacity_ah": 1e300}, "capacity of 1e\\+300 Ah is not a cell's"),
        ({"series_cells": 2.5}, "series_cells = 2.5 is not a whole number"),
        ({"max_charge_current_c": None}, "max_charge_current_c = None is not a number"),
        ({"ocv_v": 5}, "ocv_v is not a list"),
        ({"ecm": {"x": 1}}, "ecm needs the keys r0_ohm_ah"),
        ({"chemistry": None}, "unknown chemistry 'None'"),
        ({"cell_v_min": 5.0, "cell_v_max": 2.0}, "cell voltage limits out of order"),
        # the spec's own checks name the field and its value too
        ({"capacity_ah": -1.0}, "got capacity_ah = -1 Ah"),
        ({"parallel_strings": 0}, "at least 1, got parallel_strings = 0"),
        ({"cell_v_min": 5.0, "cell_v_max": 2.0}, "cell_v_min = 5 V is not below cell_v_max = 2 V"),
        ({"max_charge_current_c": -1.0}, "positive C-rates, got max_charge_current_c = -1"),
        ({"discharge_temp_min_c": 70.0}, "discharge_temp_min_c = 70 degC is not below"),
        ({"ocv_v": [3.0, 3.5, 3.4], "ocv_soc_pct": [0, 50, 100]}, "3.5 V at 50 % and 3.4 V at"),
        ({"ocv_v": [3.0, 3.5], "ocv_soc_pct": [0, 50, 100]}, "ocv_soc_pct has 3 values, ocv_v 2"),
        ({"chemistry": "nmx"}, "chemistry = 'nmx': unknown chemistry"),
    ],
)
def test_a_damaged_spec_dict_names_its_key(change, message):
    # a file's "# spec:" line or a stored recording's spec, edited or cut short
    with pytest.raises(BatteryOSError, match=message):
        BatterySpec.from_dict({**preset("nmc").to_dict(), **change})


@pytest.mark.parametrize("raw", [[1, 2], "nmc", 5, {"capacity_ah": 5.0}])
def test_a_spec_that_is_no_mapping_or_lacks_the_chemistry_is_an_error(raw):
    with pytest.raises(BatteryOSError, match="battery spec"):
        BatterySpec.from_dict(raw)


def test_a_spec_round_trips_and_keys_of_a_newer_version_are_left_out():
    spec = preset("lfp", capacity_ah=2.5, series_cells=4)
    assert BatterySpec.from_dict(spec.to_dict()) == spec
    assert BatterySpec.from_dict({**spec.to_dict(), "added_later": 1}) == spec


def test_the_current_an_ocv_table_was_measured_at_is_kept_and_checked():
    soc, ocv = [0, 50, 100], [3.0, 3.3, 3.5]
    spec = preset("lfp", capacity_ah=2.3).with_ocv_table(soc, ocv, current_c=-0.02)
    assert spec.ocv_table_current_c == -0.02
    assert BatterySpec.from_dict(spec.to_dict()) == spec
    # a new table without its current is one of unknown rate
    assert spec.with_ocv_table(soc, ocv).ocv_table_current_c is None
    with pytest.raises(BatteryOSError, match="ocv_table_current_c = -0.5"):
        preset("lfp").with_ocv_table(soc, ocv, current_c=-0.5)  # a discharge curve
    with pytest.raises(BatteryOSError, match="no OCV table of its own"):
        BatterySpec(chemistry=Chemistry.LFP, capacity_ah=2.3, ocv_table_current_c=0.0)
