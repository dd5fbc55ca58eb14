"""The battery the Logs page guesses for a log that does not name one: real cycler files
(single cells, see SOURCES.md) and simulated packs with and without cell-voltage columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.core import schema
from app.core.spec import Chemistry, preset
from app.hardware.simulator import simulate
from app.views.log_analysis import guess_battery, guess_chemistry, guess_spec
from tests.real_data import REAL_DATA

LI_ION = {Chemistry.NMC, Chemistry.LFP}

#: file -> the chemistries plausible for it (all are single cells)
REAL_CELLS = {
    # A123 LFP/graphite 26650, 3.3-3.6 V
    "arbin/2017-05-09_test-TC-contact_CH33.csv": {Chemistry.LFP},
    # 3.86 V under a 4.8 A discharge: above any LFP cell, a Li-ion cell
    "maccor/PredictionDiagnostics_000151_test.052": {Chemistry.NMC},
    # cycled 3.9-4.7 V at 0.5 A with 0.33 Ah a cycle: a high-voltage Li-ion cell charged at
    # 1.5C in 40 minutes, which no lead-acid battery takes
    "neware/nw_regular_export_ife_example.csv": {Chemistry.NMC},
    # resting at 3.515 V: a Li-ion cell (NMC or LFP)
    "biologic/GCPL-0.mpr": LI_ION,
    # resting at 1.49 V: below any lead-acid cell (1.75 V empty); a deeply discharged or
    # half cell of a lithium chemistry, the nearest the presets come
    "biologic/MB-0.mpr": LI_ION,
    # a lithium/graphite coin half cell, 0.01-2.9 V
    "bdf/SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv": LI_ION,
}


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
@pytest.mark.parametrize("name", sorted(REAL_CELLS))
def test_real_cycler_files_are_guessed_as_one_plausible_cell(name):
    from app.hardware.logs.formats import open_log

    frame = open_log(str(REAL_DATA / name), use_cache=False).frame
    spec = guess_spec(frame)
    assert spec.series_cells == 1
    assert spec.chemistry in REAL_CELLS[name], spec.chemistry


def _frame(block, with_cells: bool) -> pd.DataFrame:
    columns = [schema.TIME, schema.VOLTAGE, schema.CURRENT]
    if with_cells:
        columns += schema.cell_voltage_columns(block.columns)
    return pd.DataFrame({c: block[c] for c in columns})


@pytest.mark.parametrize(
    ("chemistry", "cells"),
    [("nmc", 1), ("lfp", 1), ("lead_acid", 1), ("nmc", 4), ("lfp", 16), ("lead_acid", 6)],
)
def test_simulated_packs_are_guessed_from_their_voltages(chemistry, cells):
    block = simulate(preset(chemistry, series_cells=cells), "cc", duration_s=3600, dt_s=10)
    want = (preset(chemistry).chemistry, cells)
    assert guess_chemistry(_frame(block, with_cells=True)) == want
    if cells == 1:  # a single cell needs no cell columns
        assert guess_chemistry(_frame(block, with_cells=False)) == want


def test_a_two_volt_window_is_one_lead_acid_cell_and_a_lower_one_is_not():
    t = [0.0, 1.0, 2.0]
    lead = pd.DataFrame({"time_s": t, "voltage_v": [2.05, 2.1, 2.3], "current_a": 0.5})
    assert guess_chemistry(lead) == (Chemistry.LEAD_ACID, 1)
    low = pd.DataFrame({"time_s": t, "voltage_v": [1.4, 1.45, 1.5], "current_a": 0.0})
    assert guess_chemistry(low) == (Chemistry.NMC, 1)
    empty = pd.DataFrame({"time_s": t, "voltage_v": [float("nan")] * 3, "current_a": 0.0})
    assert guess_chemistry(empty) == (Chemistry.NMC, 1)


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
@pytest.mark.parametrize(
    ("name", "cells", "capacity_ah"),
    [
        # 0.8 s of a 96-cell foxBMS pack at 0.83 A: 0.2 mAh moved, no capacity to tell
        ("can/foxbms_test_log.txt", 96, 5.0),
        # 3.3 s of a 4.84 A discharge: 4.5 mAh moved
        ("maccor/PredictionDiagnostics_000151_test.052", 1, 5.0),
        # whole cycles: the largest charge of one
        ("neware/nw_regular_export_ife_example.csv", 1, 0.332),
        ("arbin/2017-05-09_test-TC-contact_CH33.csv", 1, 0.603),
    ],
)
def test_excerpts_too_short_for_a_capacity_keep_the_presets(name, cells, capacity_ah):
    from app.hardware.logs.formats import open_log

    spec = guess_spec(open_log(str(REAL_DATA / name), use_cache=False).frame)
    assert (spec.series_cells, spec.capacity_ah) == (cells, pytest.approx(capacity_ah))


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
def test_the_logs_page_warns_when_the_guess_does_not_fit_the_voltages():
    # the Neware cell (3.9-4.7 V) is guessed as the nearest preset, NMC, which does not
    # describe it: the page's battery note says so (as analyze's warnings do)
    from app.views.log_analysis import open_analysis

    neware = open_analysis(str(REAL_DATA / "neware/nw_regular_export_ife_example.csv"))
    assert neware.spec.chemistry == Chemistry.NMC
    assert "above the nmc preset's 4.2 V maximum" in neware.spec_warning
    arbin = open_analysis(str(REAL_DATA / "arbin/2017-05-09_test-TC-contact_CH33.csv"))
    assert arbin.spec_warning is None


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
def test_a_partial_charge_is_only_a_lower_bound_and_a_full_discharge_is_the_capacity():
    """The Arbin excerpt is a 6C fast charge that falls back to 1C mid-way (3.30-3.60 V,
    no discharge): its 0.603 Ah is not the A123 cell's capacity, and the guess says so.
    The Neware cell's 0.332 Ah is a discharge from the 4.7 V cut-off to the 3.9 V one."""
    from app.hardware.logs.formats import open_log
    from app.views.log_analysis import guess_battery

    arbin = guess_battery(open_log(str(REAL_DATA / REAL_ARBIN), use_cache=False).frame)
    assert arbin.capacity_lower_bound and arbin.spec.capacity_ah == pytest.approx(0.603)
    assert "at least 0.603 Ah, the charge of a partial charge" in arbin.text
    neware = guess_battery(open_log(str(REAL_DATA / REAL_NEWARE), use_cache=False).frame)
    assert not neware.capacity_lower_bound and neware.spec.capacity_ah == pytest.approx(0.332)
    assert "capacity: the largest full discharge in the log (cycle 2)" in neware.text
    assert "from its voltages, 3.91-4.66 V" in neware.text


REAL_ARBIN = "arbin/2017-05-09_test-TC-contact_CH33.csv"
REAL_NEWARE = "neware/nw_regular_export_ife_example.csv"


def _cycling_log(coulombic_efficiency: float, cycles: int = 3) -> pd.DataFrame:
    """A 1 Ah cell cycled at 1 A between 3.0 and 4.2 V, starting charged at rest: each
    discharge moves 1 Ah, each charge 1 Ah / the coulombic efficiency."""
    t, v, i, now = [], [], [], 0.0

    def run(seconds, current, v0, v1):
        nonlocal now
        n = int(seconds // 10)
        t.extend(now + 10.0 * np.arange(n))
        v.extend(np.linspace(v0, v1, n))
        i.extend([current] * n)
        now += 10.0 * n

    run(600, 0.0, 4.15, 4.15)
    for _ in range(cycles):
        run(3600, -1.0, 4.05, 3.0)
        run(600, 0.0, 3.3, 3.4)
        run(3600 / coulombic_efficiency, 1.0, 3.5, 4.2)
        run(600, 0.0, 4.15, 4.1)
    return pd.DataFrame({"time_s": t, "voltage_v": v, "current_a": i})


def test_the_capacity_is_a_full_discharge_not_the_charge_its_losses_add_to():
    from app.views.log_analysis import guess_battery

    guess = guess_battery(_cycling_log(0.9))
    assert guess.spec.capacity_ah == pytest.approx(1.0, abs=0.005)  # not 1.11 Ah
    assert not guess.capacity_lower_bound
    assert "the largest full discharge" in guess.capacity_basis


def test_a_log_cut_off_mid_charge_gives_a_lower_bound():
    from app.views.log_analysis import guess_battery

    log = _cycling_log(1.0, cycles=1)
    # only the charge's first half: it stops at 3.85 V, below the cut-off, with no discharge
    half = log[(log.current_a > 0)].iloc[:180]
    guess = guess_battery(half.reset_index(drop=True))
    assert guess.capacity_lower_bound
    assert guess.spec.capacity_ah == pytest.approx(0.5, abs=0.01)
    assert guess.capacity_basis.startswith(f"at least {guess.spec.capacity_ah:g} Ah")


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
def test_the_arbin_excerpts_fast_charge_is_no_over_current_of_a_lower_bound_capacity():
    """Guessed as 'at least 0.603 Ah' (a partial 6C charge of an A123 cell), the healthy
    log was a critical over-current: 6.6 A against 2.41 A (4C of the bound). The current
    limits are not judged, and the safety result says why and how to have them judged;
    offline and live alike."""
    from app.core.samples import SampleBlock
    from app.diagnostics import detect_faults, monitor_safety
    from app.diagnostics.safety import SafetyMonitor
    from app.hardware.logs.formats import open_log
    from app.views.log_analysis import guess_battery

    frame = open_log(str(REAL_DATA / REAL_ARBIN), use_cache=False).frame
    guess = guess_battery(frame)
    assert guess.capacity_lower_bound and guess.spec.capacity_lower_bound
    assert "are not judged (set the capacity to judge them)" in guess.text
    safety = monitor_safety(frame, guess.spec).to_dict()
    assert safety["status"] == "ok"
    assert "at least 0.603 Ah" in safety["limits"]["current_not_judged"]
    assert not [
        f for f in detect_faults(frame, guess.spec).to_list() if f["kind"] == "over_current"
    ]
    live = SafetyMonitor(guess.spec)
    for start in range(0, len(frame), 97):
        live.update(SampleBlock.from_frame(frame.iloc[start : start + 97]))
    assert live.result().to_dict() == safety
    # with the capacity set (here the lower bound itself) the 6C charge is judged again
    known = guess.spec.with_overrides(capacity_ah=0.603)
    assert monitor_safety(frame, known).to_dict()["status"] == "critical"


def test_a_drive_logs_capacity_is_its_net_full_discharge_not_its_throughput():
    """A 5 Ah cell driven from full to the cut-off (with regenerative braking) and
    recharged, its CSV without the battery's header: 6.27 Ah was guessed, all the cycle
    discharged, the 1.2 Ah braking put back included."""
    spec = preset("nmc", capacity_ah=5.0)
    frame = simulate(spec, "drive", duration_s=160_000, dt_s=1.0, seed=0).to_frame()
    guess = guess_battery(frame)
    assert guess.spec.capacity_ah == pytest.approx(5.0, rel=0.01)
    assert guess.capacity_basis.startswith("the largest full discharge in the log")
