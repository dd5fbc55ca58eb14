"""A battery that does not fit the log: cell voltages outside its window are warned about."""

from __future__ import annotations

import pytest

from app.core.spec import preset
from app.diagnostics.spec_fit import voltage_window_warning
from app.hardware.logs.formats import open_log
from app.hardware.simulator import Fault, NoiseSpec, simulate
from tests.real_data import REAL_DATA

NEWARE = "neware/nw_regular_export_ife_example.csv"


@pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")
def test_the_neware_cell_cycled_to_4_7_v_fits_no_preset():
    # the Neware example cell cycles between 3.9 and 4.7 V: above NMC's 4.2 V half the
    # time, and every limit event, over-voltage fault and SOC of the preset with it
    frame = open_log(str(REAL_DATA / NEWARE)).frame
    warning = voltage_window_warning(frame, preset("nmc", capacity_ah=0.33))
    assert warning is not None
    assert "(3.91-4.66 V, median 4.31 V) is above the nmc preset's 4.2 V maximum" in warning
    assert "no chemistry preset fits it (a high-voltage cathode?)" in warning
    assert "its own --cell-v-max" in warning  # the option that sets the cell's limit
    assert "give --cells" not in warning  # one cell: its voltage is not a pack's
    own = preset("nmc", capacity_ah=0.33).with_overrides(cell_v_max=4.75)
    assert voltage_window_warning(frame, own) is None
    assert "above the lfp preset's 3.6 V maximum in 100 %" in voltage_window_warning(
        frame, preset("lfp")
    )


@pytest.mark.parametrize("chemistry", ["nmc", "lfp", "lead_acid"])
@pytest.mark.parametrize("profile", ["drive", "cccv"])
def test_a_pack_its_own_preset_describes_fits(chemistry, profile):
    spec = preset(chemistry, series_cells=4)
    block = simulate(spec, profile, duration_s=3600, dt_s=5, seed=1, noise=NoiseSpec.typical(spec))
    assert voltage_window_warning(block.to_frame(), spec) is None
    # the pack voltage alone, over its series cells, fits too
    assert (
        voltage_window_warning(block.to_frame()[["time_s", "voltage_v", "current_a"]], spec) is None
    )


def test_a_brief_over_voltage_is_a_safety_event_not_a_misfit():
    spec = preset("nmc", series_cells=4)
    frame = simulate(spec, "cccv", duration_s=4000, seed=3, initial_soc_pct=85.0).to_frame()
    frame.loc[1000:1300, "cell_1_v"] = spec.cell_v_max + 0.15  # 7 % of the log
    assert voltage_window_warning(frame, spec) is None


def test_a_cell_overcharged_for_most_of_the_log_is_not_called_another_cell_outright():
    spec = preset("nmc", series_cells=4)
    block = simulate(
        spec, "cccv", duration_s=4000, seed=3, initial_soc_pct=85.0,
        faults=[Fault("over_voltage", 0.0)],
    )  # fmt: skip
    warning = voltage_window_warning(block.to_frame(), spec)
    assert "unless the cell really was overcharged that long, it is not the cell" in warning


def test_an_nmc_pack_taken_for_lfp_is_told_which_preset_fits():
    nmc = preset("nmc", series_cells=4)
    frame = simulate(nmc, "drive", duration_s=3600, dt_s=5, seed=1).to_frame()
    warning = voltage_window_warning(frame, preset("lfp", series_cells=4))
    assert "above the lfp preset's 3.6 V maximum" in warning
    assert warning.endswith("the nmc preset fits it: give --chemistry nmc")


def test_a_pack_taken_for_more_cells_than_it_has_is_told_to_check_cells():
    nmc = preset("nmc", series_cells=4)
    frame = simulate(nmc, "drive", duration_s=3600, dt_s=5, seed=1).to_frame()
    frame = frame[["time_s", "voltage_v", "current_a"]]
    warning = voltage_window_warning(frame, preset("nmc", series_cells=8))
    assert "below the nmc preset's 2.5 V minimum" in warning
    assert warning.endswith("or it is not 8 cells in series: give --cells")
