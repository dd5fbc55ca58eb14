"""A battery that does not fit the log: cell voltages outside its window are warned about."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.samples import SampleBlock
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
    assert "give its --ocv-table for SOC" in warning  # the CLI's option


@pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")
def test_the_battery_dialog_is_not_told_of_options_it_has_not():
    """File › Open on the Neware export: the battery dialog's warning said "give its
    --ocv-table for SOC", an option of the command line, not its field. One warning, its
    hint in the words of where it is read (the dialog's OCV table and Cell V max fields)."""
    from app.views.log_files import BATTERY_DIALOG_WORDS, LOGS_PAGE_WORDS

    frame = open_log(str(REAL_DATA / NEWARE)).frame
    spec = preset("nmc", capacity_ah=0.33)
    cli = voltage_window_warning(frame, spec)
    dialog = voltage_window_warning(frame, spec, BATTERY_DIALOG_WORDS)
    page = voltage_window_warning(frame, spec, LOGS_PAGE_WORDS)
    # both have an OCV table and the cells' voltage limits to give: named as their fields
    for said in (dialog, page):
        assert "--" not in said
        assert said.endswith(
            "no chemistry preset fits it (a high-voltage cathode?): choose its OCV table for "
            "SOC and set Cell V max (else the over-voltage events and faults are the preset's "
            "limits')"
        )
    found = cli.split("; no chemistry")[0]
    assert dialog.startswith(found) and page.startswith(found)  # the same finding


def test_the_windows_hints_name_their_fields():
    from app.views.log_files import BATTERY_DIALOG_WORDS

    nmc = preset("nmc", series_cells=4)
    frame = simulate(nmc, "drive", duration_s=3600, dt_s=5, seed=1).to_frame()
    warning = voltage_window_warning(frame, preset("lfp", series_cells=4), BATTERY_DIALOG_WORDS)
    assert warning.endswith("the nmc preset fits it: choose the chemistry nmc")
    frame = frame[["time_s", "voltage_v", "current_a"]]
    warning = voltage_window_warning(frame, preset("nmc", series_cells=8), BATTERY_DIALOG_WORDS)
    assert warning.endswith("or it is not 8 cells in series: set Series cells")


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
    assert "either the cell was overcharged that long (then the safety events" in warning


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


def test_an_lfp_cell_taken_for_lead_acid_is_told_lfp_first():
    # an LFP log fits the NMC window too (3.2 V is its empty end): the hint names the
    # preset whose nominal voltage is nearest the log's median, LFP, not the first listed
    lfp = preset("lfp", capacity_ah=100.0)
    frame = simulate(lfp, "cycle", duration_s=30000, dt_s=10, seed=1).to_frame()
    warning = voltage_window_warning(frame, preset("lead_acid", capacity_ah=100.0))
    assert warning.endswith("the lfp or nmc preset fits it: give --chemistry lfp")


@pytest.mark.parametrize(
    ("cell", "taken_for", "starts"),
    [
        # an NMC pack taken for LFP: its cells live above the LFP window
        ("nmc", "lfp", "the cell voltage ("),
        # an LFP cell taken for NMC: within the window, but the SOC sits at empty
        ("lfp", "nmc", "the SOC stays at empty while"),
    ],
)
def test_the_live_engine_warns_of_a_misfit_as_analyze_does(cell, taken_for, starts):
    """A replayed log or a live source: the engine's twin counts the cell voltages
    block by block and gives ``analyze``'s warning, word for word."""
    from app.diagnostics import run_suite
    from app.diagnostics.live import LiveEngine
    from app.diagnostics.spec_fit import pinned_soc_warning

    cells = 4 if cell == "nmc" else 1
    block = simulate(preset(cell, series_cells=cells, capacity_ah=5.0), "cycle", 30000, 5, 1)
    frame = block.to_frame()
    spec = preset(taken_for, series_cells=cells, capacity_ah=5.0)
    engine = LiveEngine(spec)
    for start in range(0, len(block), 700):
        engine.process(block.slice(start, min(start + 700, len(block))))
    offline = voltage_window_warning(frame, spec) or pinned_soc_warning(
        frame, spec, run_suite(frame, spec).results["soc"]
    )
    assert offline is not None and offline.startswith(starts)
    assert engine.spec_fit_warning() == offline


def test_the_counted_voltages_give_numpys_percentiles_of_the_rounded_voltages():
    from app.diagnostics.spec_fit import BIN_V, CellVoltageCounts

    rng = np.random.default_rng(4)
    v = rng.normal(3.7, 0.2, 5001)
    counts = CellVoltageCounts()
    for part in np.array_split(v, 7):
        counts.add(part)
    rounded = np.rint(v / BIN_V) * BIN_V
    q = [0, 0.5, 50, 99.5, 100]
    np.testing.assert_allclose(counts.percentiles(q), np.percentile(rounded, q), atol=1e-12)
    assert counts.outside(3.5, 3.9) == (
        np.mean(rounded < 3.48),
        np.mean(rounded > 3.92),
    )


def _high_voltage_cell():
    """A cell living 0.45 V above the NMC table (a high-voltage cathode's range), and
    the NMC battery with its --cell-v-max raised to hold it."""
    nmc = preset("nmc", capacity_ah=5.0)
    frame = simulate(nmc, "cycle", 30000, 5, 1).to_frame()
    for column in [c for c in frame.columns if c == "voltage_v" or c.endswith("_v")]:
        frame[column] = frame[column] + 0.45
    return frame, nmc.with_overrides(cell_v_max=4.75)


def test_a_cell_beyond_the_ocv_table_inside_a_raised_limit_makes_the_soc_not_valid():
    """Neware's 4.7 V cell with --cell-v-max 4.75: the window held it, the warning went
    and the SOC read PASS, though the NMC OCV table stops at 4.2 V."""
    from app.diagnostics import run_suite
    from app.diagnostics.input_validity import input_warnings
    from app.diagnostics.live import LiveEngine
    from app.diagnostics.spec_fit import cell_voltage_counts, ocv_range_warning

    frame, spec = _high_voltage_cell()
    assert voltage_window_warning(frame, spec) is None  # the limits given hold it
    warning = ocv_range_warning(cell_voltage_counts(frame, spec), spec)
    assert warning is not None
    assert "above 4.2 V, the top of what the nmc preset's OCV table reads" in warning
    assert "inside the battery's 2.5-4.75 V limits" in warning
    assert warning.endswith("give its --ocv-table")
    report = {"results": run_suite(frame, spec).to_dict()["results"]}
    found = input_warnings(report, frame, spec)
    assert found.battery == warning
    assert set(found.invalid) == {"soc"}  # the limits given judge safety and faults
    # the live twin says the same, word for word
    engine = LiveEngine(spec)
    block = SampleBlock.from_frame(frame)
    for start in range(0, len(block), 700):
        engine.process(block.slice(start, min(start + 700, len(block))))
    assert engine.spec_fit_check() == (warning, {"soc": found.invalid["soc"]})


@pytest.mark.parametrize("chemistry", ["nmc", "lfp", "lead_acid"])
@pytest.mark.parametrize("profile", ["drive", "cccv"])
def test_a_cell_its_ocv_table_reads_is_not_warned_of(chemistry, profile):
    """A lead-acid cell charges at 2.4 V, above its table's full 2.12 V: the preset's
    window is what the table reads, not the table's ends alone."""
    from app.diagnostics.spec_fit import cell_voltage_counts, ocv_range_warning

    spec = preset(chemistry, series_cells=4)
    block = simulate(spec, profile, duration_s=3600, dt_s=5, seed=1, noise=NoiseSpec.typical(spec))
    for own in (spec, spec.with_overrides(cell_v_max=spec.cell_v_max + 0.3)):
        assert ocv_range_warning(cell_voltage_counts(block.to_frame(), own), own) is None


def test_a_pack_taken_for_one_cell_is_told_to_give_its_cells():
    """A 4-cell NMC pack's voltage alone (15.3 V) analysed without --cells was told 'no
    chemistry preset fits it (a high-voltage cathode?): give its --ocv-table ... and its
    own --cell-v-max', never of its cell count."""
    nmc = preset("nmc", series_cells=4)
    frame = simulate(nmc, "drive", duration_s=3600, dt_s=5, seed=1).to_frame()
    frame = frame[["time_s", "voltage_v", "current_a"]]
    warning = voltage_window_warning(frame, preset("nmc"))
    assert "high-voltage cathode" not in warning and "--cell-v-max" not in warning
    assert warning.endswith("is 4 of 3.63 V): give --cells")
    # the cells' own columns, each within the window: no pack hint, no warning
    assert voltage_window_warning(simulate(nmc, "drive", 600, seed=1).to_frame(), nmc) is None


def test_millivolts_read_as_volts_are_not_said_to_be_1000_v():
    """A cell's voltage in millivolts under a header without its unit ('voltage'): the
    warning read 'the cell voltage (1000.00-1000.00 V, median 1000.00 V)' for 3300-4100
    mV, the top bin's voltage, and hinted at a high-voltage cathode."""
    nmc = preset("nmc")
    frame = simulate(nmc, "drive", duration_s=3600, dt_s=5, seed=1).to_frame()
    frame = frame[["time_s", "voltage_v", "current_a"]].assign(voltage_v=frame["voltage_v"] * 1e3)
    warning = voltage_window_warning(frame, nmc)
    assert "1000.00" not in warning
    assert warning.startswith("the cell voltage (over 1000 V) is above the nmc preset's 4.2 V")
    assert "a voltage in millivolts" in warning and "give --cells" in warning
