"""The stuck-sensor rule (app/diagnostics/faults/stuck.py) read by its two readers:
the faults diagnostic (5 s bins) and the SOC filter's frozen cells (samples)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.diagnostics.faults.bins import BIN_S
from app.diagnostics.faults.stuck import STUCK_WINDOW_S, past_quantum, stuck_trigger
from app.diagnostics.frozen_cells import FrozenCells
from app.hardware.simulator import Fault, NoiseSpec, simulate


def test_the_rule_reads_the_same_on_arrays_and_on_plain_values():
    """The faults diagnostic asks it with arrays, the SOC's one-sample path with
    plain values: every combination gives the same answer."""
    cases = list(itertools.product([False, True], [False, True], [0, 1, 2, 3], [False, True]))
    cases = [(c, o, m, y, f) for c, o, m, y in cases for f in (False, True)]
    arrays = [np.array(x) for x in zip(*cases, strict=True)]
    got = stuck_trigger(arrays[0], arrays[1], arrays[2], 3, arrays[3], arrays[4])
    for j, (c, o, m, y, f) in enumerate(cases):
        assert bool(stuck_trigger(c, o, m, 3, y, f)) == bool(got[j])
    # its peers: half of them must have changed (2 of 3, not 1), or all and flickering
    assert not stuck_trigger(True, True, 1, 3, False, False)
    assert stuck_trigger(True, True, 2, 3, False, False)
    assert stuck_trigger(True, False, 0, 3, True, True)
    assert not stuck_trigger(False, True, 3, 3, True, True)


def test_a_quantised_reading_is_judged_on_its_peers_once_they_crossed_two_quanta():
    """(moved, own variance, q²): not quantised, or noise spanning the quantum: judged
    as any reading; a whole-degree reading with 0.15 degC of noise only once its peers'
    median moved by 2 degC while it held (arrays and plain values alike)."""
    assert past_quantum(0.0, 0.0, 0.0) and past_quantum(0.0, 1.2, 1.0)
    assert not past_quantum(0.4, 0.0225, 1.0) and not past_quantum(1.99, 0.0225, 1.0)
    assert past_quantum(2.0, 0.0225, 1.0)
    got = past_quantum(np.array([0.4, 2.5, 0.4]), np.array([0.02, 0.02, 0.02]), np.array([1, 1, 0]))
    assert got.tolist() == [False, True, True]


@pytest.mark.parametrize(("chem", "cells", "onset"), [("nmc", 4, 600.0), ("lfp", 16, 20.0)])
def test_the_faults_diagnostic_and_the_soc_leave_out_the_same_cell(chem, cells, onset):
    """A cell sensor stuck in a log (a minute in or from its first seconds): the
    faults diagnostic reports it and the SOC filter leaves it out of the mean cell,
    that one only, from within a bin of each other (samples against 5 s bins)."""
    spec = preset(chem, series_cells=cells)
    fault = Fault("sensor_stuck", onset, channel="cell_2_v")
    df = simulate(
        spec, "drive", duration_s=1500, seed=4, noise=NoiseSpec.typical(spec), faults=[fault]
    ).to_frame()
    found = detect_faults(df, spec).of_kind("sensor_stuck")
    assert [f.channel for f in found] == ["cell_2_v"]
    t = df["time_s"].to_numpy()
    columns = [df[f"cell_{k}_v"].to_numpy() for k in range(1, cells + 1)]
    stuck = FrozenCells(spec, cells, 0.5 * spec.cell_v_min, 1.25 * spec.cell_v_max).update(
        t, columns
    )
    assert stuck is not None
    assert np.flatnonzero(stuck.any(axis=1)).tolist() == [1]
    left_out_from = float(t[np.argmax(stuck[1])])
    assert onset + STUCK_WINDOW_S - 1.0 <= left_out_from
    assert abs(left_out_from - found[0].detail["detected_time_s"]) <= BIN_S


def _as_written(block, tmp_path):
    """The samples as `batteryos simulate -o x.csv` writes them (6 significant digits)
    and `analyze` reads them back."""
    from app.hardware.logs.canonical_csv import CanonicalCsvWriter, read_canonical_csv

    path = str(tmp_path / "log.csv")
    with CanonicalCsvWriter(path) as w:
        w.append(block)
    return read_canonical_csv(path).frame


@pytest.mark.parametrize(
    ("cells", "profile", "seed", "duration"), [(3, "cycle", 0, 11000), (4, "cccv", 2, 6000)]
)
def test_a_clean_cv_charge_read_to_a_resolution_is_not_stuck(
    tmp_path, cells, profile, seed, duration
):
    """A clean CC-CV charge written to 6 significant digits: in CV the charger holds
    the highest cell, and the pack and the other cells hold their readings too (10 uV,
    0.1 mV) while the current tapers. Their flicker before was a ramp, no noise of
    their own: holding is control, not a stuck sensor (the pack and cell_1 of the
    3-cell cycle run were reported stuck in both CV phases, cell_2 of the cccv run).
    The SOC filter keeps every cell in its mean too, in blocks or sample by sample
    (their ramp changed at every sample but never reversed, as noise does: cell_1 of
    the cycle run was left out for 173 s of its second CV phase)."""
    spec = preset("nmc", series_cells=cells)
    block = simulate(spec, profile, duration_s=duration, seed=seed)
    df = _as_written(block, tmp_path)
    i = df["current_a"].to_numpy()
    assert (np.diff(i[i > 0]) < 0).sum() > 100  # (the run reaches its CV taper)
    assert detect_faults(df, spec).of_kind("sensor_stuck") == []
    t = df["time_s"].to_numpy()
    columns = [df[f"cell_{k}_v"].to_numpy() for k in range(1, cells + 1)]
    lo, hi = 0.5 * spec.cell_v_min, 1.25 * spec.cell_v_max
    assert FrozenCells(spec, cells, lo, hi).update(t, columns) is None
    one = FrozenCells(spec, cells, lo, hi)
    rows = np.array(columns).T.tolist()
    assert not any(one.step(float(x), row) for x, row in zip(t, rows, strict=True))


def test_a_noisy_cell_sensor_does_not_make_a_cc_current_stuck():
    """A cycler's exact -5.0 A from a log's start beside a cell sensor gone noisy:
    the mean cell voltage bends by that cell's noise, which a change of the load
    would not (it bends every cell the same way): no stuck current, the noisy cell
    found (the current was reported stuck from the 865th s)."""
    spec = preset("nmc", series_cells=4)
    fault = Fault("sensor_noisy", 600.0, channel="cell_2_v")
    block = simulate(spec, "cycle", duration_s=3600, seed=0, faults=[fault])
    result = detect_faults(block, spec)
    assert result.of_kind("sensor_stuck") == []
    assert [f.channel for f in result.of_kind("sensor_noisy")][:1] == ["cell_2_v"]


@pytest.mark.parametrize(("profile", "seed", "duration"), [("float", 0, 600), ("drive", 3, 5200)])
def test_a_noise_free_temperature_that_drifts_slowly_is_not_stuck(
    tmp_path, profile, seed, duration
):
    """Noise-free lead-acid temperatures written to 6 significant digits (0.1 mdegC):
    a slow drift changes by a quantum now and then, always the same way, and holds for
    30 s once it slows below one per 30 s. Its differences never alternate as white
    noise's do, so its history is no flicker of its own: not stuck (cell temperatures
    were reported stuck 100 s into the float run, from 5065 s on the drive run). The
    same sensor with its noise, stuck, is still found."""
    spec = preset("lead_acid", series_cells=3)
    df = _as_written(simulate(spec, profile, duration_s=duration, seed=seed), tmp_path)
    temps = [df[f"cell_{k}_temp_c"].to_numpy() for k in (1, 2, 3)]
    assert all((np.diff(x) > 0).any() for x in temps)  # (they drift)
    assert detect_faults(df, spec).of_kind("sensor_stuck") == []
    fault = Fault("sensor_stuck", 300.0, channel="cell_2_temp_c")
    noisy = simulate(
        spec, profile, duration_s=600, seed=seed, noise=NoiseSpec.typical(spec), faults=[fault]
    )
    found = detect_faults(_as_written(noisy, tmp_path), spec).of_kind("sensor_stuck")
    assert [f.channel for f in found] == ["cell_2_temp_c"]
    assert found[0].detail["detected_time_s"] <= 300.0 + STUCK_WINDOW_S + 2 * BIN_S


def test_cells_held_together_after_a_noise_free_ramp_are_not_stuck(tmp_path):
    """A noise-free float charge's cells ramp to their float voltage in the log's
    first minute (0.1 mV readings, one step each second), then hold together: a cell
    holding in its first minute is judged on its peers' history, which changed in
    every bin without noise (a drift, no flicker of a sensor's): not stuck (cell_2_v
    was reported from 55 s)."""
    spec = preset("lead_acid", series_cells=4)
    df = _as_written(simulate(spec, "float", duration_s=600, seed=6), tmp_path)
    assert detect_faults(df, spec).of_kind("sensor_stuck") == []
