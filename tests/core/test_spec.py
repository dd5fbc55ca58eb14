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


# One cell's OCV tables of real cells (PyBaMM's parameter sets: the positive electrode's
# OCP less the negative's over the cell's stoichiometry window, every 10 % SOC), by the
# chemistry a user names for them.
REAL_CELL_TABLES = {
    "nmc": {
        "NCA Kim2011": (
            2.700,
            3.247,
            3.372,
            3.492,
            3.598,
            3.685,
            3.768,
            3.874,
            3.980,
            4.080,
            4.200,
        ),
        "NMC811 ORegan2022": (
            2.5,
            3.261,
            3.428,
            3.541,
            3.617,
            3.686,
            3.812,
            3.923,
            4.023,
            4.097,
            4.236,
        ),
        "NMC532 Mohtat2020": (
            2.8,
            3.511,
            3.585,
            3.639,
            3.671,
            3.716,
            3.797,
            3.880,
            3.971,
            4.077,
            4.200,
        ),
        "LCO Ramadass2004": (
            2.8,
            3.595,
            3.706,
            3.752,
            3.788,
            3.827,
            3.874,
            3.930,
            3.998,
            4.080,
            4.200,
        ),
        "LCO Marquis2019": (
            3.105,
            3.682,
            3.692,
            3.697,
            3.715,
            3.745,
            3.765,
            3.799,
            3.849,
            3.904,
            4.100,
        ),
    },
    "lfp": {
        "LFP Prada2013 C/50": (
            2.000,
            2.978,
            3.168,
            3.206,
            3.252,
            3.264,
            3.269,
            3.274,
            3.310,
            3.314,
            3.598,
        ),
    },
}


@pytest.mark.parametrize(
    ("chemistry", "name"), [(c, n) for c, tables in REAL_CELL_TABLES.items() for n in tables]
)
def test_a_real_cells_table_is_taken_for_its_chemistry(chemistry, name):
    ocv = REAL_CELL_TABLES[chemistry][name]
    spec = preset(chemistry, series_cells=4).with_ocv_table(np.arange(0, 101, 10), ocv)
    assert spec.ocv_v == pytest.approx(ocv)


@pytest.mark.parametrize("chem", list(Chemistry))
def test_every_preset_takes_its_own_table(chem):
    spec = preset(chem)
    assert spec.with_ocv_table(*spec.ocv_table).ocv_table == spec.ocv_table


@pytest.mark.parametrize(
    ("table_of", "given_as", "said"),
    [
        # NMC's table for LFP cells: at rest they sat above 3.6 V, in over-voltage alarm
        (
            "nmc",
            "lfp",
            [
                "3.751 V at 50 % SOC, where an LFP cell rests near 3.27 V",
                "it reaches 4.200 V, above the 3.6 V charge limit",
                "over-voltage alarm",
                "not an LFP cell's table but an NMC cell's",
            ],
        ),
        (
            "lfp",
            "nmc",
            [
                "3.266 V at 50 % SOC, where an NMC cell rests near 3.75 V",
                "not an NMC cell's table but an LFP cell's (is the battery LFP?)",
            ],
        ),
        ("lead_acid", "lfp", ["not an LFP cell's table but a lead-acid cell's"]),
        ("lead_acid", "nmc", ["below the 2.5 V discharge cut-off", "under-voltage alarm"]),
        ("nmc", "lead_acid", ["not a lead-acid cell's table but an NMC cell's"]),
    ],
)
def test_a_table_of_another_chemistry_is_refused_saying_whose_it_is(table_of, given_as, said):
    with pytest.raises(BatteryOSError) as err:
        preset(given_as).with_ocv_table(*preset(table_of).ocv_table, named="--ocv-table x.csv")
    assert str(err.value).startswith("--ocv-table x.csv: ")
    for words in said:
        assert words in str(err.value)


def test_a_table_outside_the_cells_limits_is_refused_unless_the_limits_are_given():
    soc = (0, 50, 100)
    # a 4.35 V high-voltage NMC cell's table stands over the preset's 4.2 V limit ...
    assert preset("nmc").with_ocv_table(soc, (3.0, 3.8, 4.35)).ocv_v[-1] == 4.35
    # ... one reaching 4.45 V does not: a cell resting there is over any NMC limit
    with pytest.raises(BatteryOSError, match=r"it reaches 4\.450 V, above the 4\.2 V charge"):
        preset("nmc").with_ocv_table(soc, (3.0, 3.8, 4.45))
    # unless the cells' own limit is given
    spec = preset("nmc").with_overrides(cell_v_max=4.45).with_ocv_table(soc, (3.0, 3.8, 4.45))
    assert spec.ocv_v[-1] == 4.45


def test_a_packs_table_given_as_a_cells_is_named_as_the_packs():
    soc, ocv = preset("lead_acid").ocv_table
    with pytest.raises(BatteryOSError, match=r"the battery's 2 cells' in series, not one cell's"):
        preset("lead_acid", series_cells=2).with_ocv_table(soc, [2 * v for v in ocv])


def test_cells_given_their_own_limits_are_judged_by_them_not_by_the_chemistrys_ocv():
    """The README's high-voltage cell (``--chemistry nmc --cell-v-max 4.75 --cell-v-min
    3.0 --ocv-table hv_ocv.csv``): a 3.9-4.7 V cell is none of the presets, NMC the
    nearest; its own table was refused as 'not an NMC cell's' whatever limits it had."""
    soc, hv = (0, 50, 100), (3.9, 4.45, 4.7)
    with pytest.raises(BatteryOSError, match="not an NMC cell's table") as err:
        preset("nmc").with_ocv_table(soc, hv)
    assert "give its voltage limits, --cell-v-max, --cell-v-min" in str(err.value)
    own = preset("nmc").with_overrides(cell_v_max=4.75, cell_v_min=3.0)
    assert own.with_ocv_table(soc, hv).ocv_v == hv
    # the limits still judge it: beyond them by more than the margin it is refused
    with pytest.raises(BatteryOSError, match=r"above the 4\.3 V charge limit"):
        preset("nmc").with_overrides(cell_v_max=4.3, cell_v_min=3.0).with_ocv_table(soc, hv)
