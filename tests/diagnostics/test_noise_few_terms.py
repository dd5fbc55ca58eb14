"""A noise window of few terms (15 samples at 0.5 Hz) judged with its own scatter: its
floor and group ratio are raised by the ratio of its estimate's upper quantile to a 30
s window's at 1 Hz (see :mod:`app.diagnostics.faults.sensors`, ``NOISE_FLOOR_TERMS``)."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.diagnostics.faults.sensors import (
    NOISE_DOF_PLAIN,
    NOISE_DOF_ROBUST,
    NOISE_FLOOR_TERMS,
    few_terms_factor,
)
from app.hardware.simulator import Fault, NoiseSpec, simulate
from tests.diagnostics.fault_splits import faults_in_blocks

#: Half the cell voltage floor (10 mV): a sensor 2.5x the typical one's noise.
HALF_FLOOR_NOISE = NoiseSpec(voltage_v=0.005, current_a=0.01, temperature_c=0.3)


def _rest(cells: int, seed: int, dt_s: float, faults=()):
    spec = preset("nmc", series_cells=cells, capacity_ah=5.0)
    block = simulate(
        spec,
        "rest",
        duration_s=6 * 3600,
        dt_s=dt_s,
        seed=seed,
        noise=HALF_FLOOR_NOISE,
        faults=list(faults),
    )
    return spec, block


def test_few_terms_factor():
    """1 at the reference count and beyond, and the Monte Carlo quantiles' ratios below
    it (1e7 white-noise windows: step-robust 15 terms 11.1 / 6.85 at 30; plain 5.87 /
    3.86), within 5 %; no factor for an infinite dof (the current)."""
    n2 = np.array([[15.0, NOISE_FLOOR_TERMS, 60.0]])
    robust = few_terms_factor(n2, np.array([[NOISE_DOF_ROBUST]]))[0]
    plain = few_terms_factor(n2, np.array([[NOISE_DOF_PLAIN]]))[0]
    assert robust[1:].tolist() == [1.0, 1.0] and plain[1:].tolist() == [1.0, 1.0]
    assert robust[0] == pytest.approx(11.1 / 6.85, rel=0.05)
    assert plain[0] == pytest.approx(5.87 / 3.86, rel=0.05)
    assert few_terms_factor(n2, np.array([[np.inf]])).tolist() == [[1.0, 1.0, 1.0]]


@pytest.mark.parametrize(("cells", "seed"), [(1, 1), (1, 2), (2, 1), (2, 2)])
def test_half_floor_noise_at_half_a_hertz_is_not_noisy(cells, seed):
    """Voltages with noise at half their floor, read every 2 s: a 30 s window holds 15
    samples, whose step-robust estimate read 4x the truth in ~1e-4 of the windows
    (a 1-2 cell NMC pack at rest, 6 h: 1-6 noisy pack or cell voltages a run, none
    at 1 Hz). Live as offline."""
    spec, block = _rest(cells, seed, 2.0)
    result = detect_faults(block, spec)
    assert not [f for f in result.faults if f.kind == "sensor_noisy"], [
        (f.channel, f.start_time_s) for f in result.faults
    ]
    sizes = np.random.default_rng(seed).integers(1, 40, size=len(block))
    assert faults_in_blocks(block, spec, sizes) == result.to_list()


@pytest.mark.parametrize("channel", ["cell_2_v", "voltage_v"])
def test_noisy_voltage_at_half_a_hertz_is_still_found(channel):
    """The simulator's noisy sensor (50 mV on a cell, 200 mV on the pack) beside the
    same half-floor noise, found within 60 s."""
    onset = 3000.0
    spec, block = _rest(2, 3, 2.0, [Fault("sensor_noisy", onset, channel=channel)])
    result = detect_faults(block, spec)
    hits = [f for f in result.faults if f.kind == "sensor_noisy" and f.channel == channel]
    assert hits
    delay = min(f.detail["detected_time_s"] for f in hits) - onset
    assert 0 <= delay <= 60.0
