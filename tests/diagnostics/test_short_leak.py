"""An internal short's self-discharge estimate against the simulator's injected short
(the leak current V/R of its cell). See ``benchmarks/bench_short_leak.py`` for the
whole matrix; these are cases the old estimate got wrong by far more than 30 %."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.diagnostics.faults.bins import median_of_others
from app.diagnostics.faults.text import fault_values
from app.hardware.simulator import Fault, NoiseSpec, simulate
from tests.diagnostics.fault_splits import faults_in_blocks

WINDOW_S = 1200.0


def _short_run(chem: str, cells: int, profile: str, ohm: float, seed: int, hours: float = 4.0):
    spec = preset(chem, series_cells=cells)
    block = simulate(
        spec,
        profile,
        duration_s=hours * 3600.0,
        seed=seed,
        noise=NoiseSpec.typical(spec),
        faults=[Fault("internal_short", 300.0, cell=3, resistance_ohm=ohm)],
        capacity_spread=0.02,
        resistance_spread=0.06,
    )
    return spec, block


def _true_leak(block, detail: dict, ohm: float) -> float:
    """V/R of the shorted cell over the last window the estimate used."""
    t = np.asarray(block["time_s"])
    end = detail["leak_window_end_s"]
    window = (t > end - WINDOW_S) & (t <= end)
    return float(np.mean(np.asarray(block["cell_3_v"])[window]) / ohm)


@pytest.mark.parametrize(
    ("chem", "cells", "profile", "ohm", "seed"),
    [
        # the old figure (the median cell's OCV slope and reference, the window of
        # the most evidence), against V/R anywhere after the onset: 0.381 A for
        # 0.107-0.109 A (3.5x: the median's 55 % SOC is flatter than the cell's)
        ("lfp", 4, "rest", 30.0, 1),
        # 0.051 A for 0.121-0.139 A: after a charge the shorted cell sits below the
        # steep 95-100 % stretch the others are on
        ("nmc", 4, "cccv", 30.0, 2),
        # 0.066 A for 0.029-0.039 A: the 1C discharge left the cells near empty
        ("nmc", 16, "cc", 100.0, 1),
        # 0.025 A for 0.0125 A: the window of the most evidence is the one whose
        # noise ran with the leak
        ("nmc", 16, "rest", 300.0, 3),
    ],
)
def test_a_shorts_self_discharge_is_its_leak_within_30_percent(chem, cells, profile, ohm, seed):
    spec, block = _short_run(chem, cells, profile, ohm, seed)
    (short,) = detect_faults(block, spec).of_kind("internal_short")
    assert short.channel == "cell_3_v"
    d = short.detail
    true = _true_leak(block, d, ohm)
    assert d["leak_current_a"] == pytest.approx(true, rel=0.30)
    assert d["leak_current_low_a"] <= true <= d["leak_current_high_a"]
    assert d["short_resistance_ohm"] == pytest.approx(ohm, rel=0.30)


def test_a_short_resting_on_lfps_plateau_is_not_resolved_rather_than_wrong():
    """10 ohm on LFP after a charge: the cell rests on the 50-80 % plateau (0.3-0.5
    mV/% with bends), where a few mV misplace it on the curve. The old figure was
    0.009 A for 0.33 A; pooling those windows read 0.08 A, outside its interval."""
    spec, block = _short_run("lfp", 4, "cccv", 10.0, 1)
    (short,) = detect_faults(block, spec).of_kind("internal_short")
    assert "leak_current_a" not in short.detail
    assert short.detail["leak_windows_unresolved"] >= 3
    assert "self-discharge not resolved" in fault_values(short.to_dict())


def test_a_short_on_a_drive_without_a_long_rest_reports_no_self_discharge():
    """Rests of 10 min (a drive's) never settle: no figure rather than a made-up one."""
    spec, block = _short_run("nmc", 4, "drive", 30.0, 1, hours=2.0)
    (short,) = detect_faults(block, spec).of_kind("internal_short")
    assert "leak_current_a" not in short.detail
    assert "self-discharge" not in fault_values(short.to_dict())


def test_the_self_discharge_live_is_the_offline_one():
    """Fed in blocks of any size, the pooled estimate and its interval are the same."""
    spec, block = _short_run("lfp", 4, "cccv", 100.0, 1)
    offline = detect_faults(block, spec).to_list()
    sizes = np.random.default_rng(7).integers(1, 2000, size=len(block))
    assert faults_in_blocks(block, spec, sizes) == offline
    (short,) = [f for f in offline if f["kind"] == "internal_short"]
    assert np.isfinite(short["detail"]["leak_current_a"])


def test_the_self_discharge_reads_with_its_interval():
    fault = {
        "kind": "internal_short",
        "channel": "cell_3_v",
        "detail": {
            "detected_time_s": 479.0,
            "leak_current_a": 0.1209,
            "leak_current_low_a": -0.004,
            "leak_current_high_a": 0.1238,
            "short_resistance_ohm": 30.6,
        },
    }
    assert fault_values(fault) == "self-discharge 0.121 A (0.000-0.124 A)"
    fault["detail"]["leak_current_low_a"] = 0.1179
    assert fault_values(fault) == "self-discharge 0.121 A (0.118-0.124 A), a short of ~31 Ω"


def test_median_of_others_is_the_median_without_the_row():
    rng = np.random.default_rng(0)
    for rows in (2, 3, 4, 5, 16):
        x = rng.normal(size=(rows, 40))
        x[rng.random(x.shape) < 0.2] = np.nan
        got = median_of_others(x)
        for r in range(rows):
            others = pd.DataFrame(np.delete(x, r, axis=0)).median(axis=0).to_numpy()
            np.testing.assert_array_equal(got[r], others)
