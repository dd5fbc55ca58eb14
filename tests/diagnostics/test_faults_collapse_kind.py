"""A cell's collapse to 0 V is an under-voltage whatever its temperature sensor does,
while a noisy cell voltage sensor that trips a limit is still the sensor's fault."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault, NoiseSpec, simulate
from tests.diagnostics.fault_splits import faults_in_blocks

NMC4 = preset("nmc", series_cells=4)


def _runaway_unseen(sensor: str) -> SampleBlock:
    """A 4-cell NMC pack on a drive, cell 3 in thermal runaway from 900 s (collapsing
    to 0 V at ~1200 s), its temperature sensor absent, dropped out or stuck from 600 s:
    no runaway onset can be found, only the collapse."""
    extra = [Fault(f"sensor_{sensor}", 600, channel="cell_3_temp_c")] if sensor != "absent" else []
    b = simulate(
        NMC4,
        "drive",
        duration_s=1500,
        seed=796,
        noise=NoiseSpec.typical(NMC4),
        faults=[Fault("thermal_runaway", 900, cell=3), *extra],
        capacity_spread=0.02,
        resistance_spread=0.06,
    )
    cols = {c: np.asarray(b[c], float) for c in b.columns}
    if sensor == "absent":
        cols.pop("cell_3_temp_c")
    return SampleBlock(cols)


@pytest.mark.parametrize("sensor", ["absent", "dropout", "stuck"])
def test_a_collapse_to_0_v_unseen_by_its_temperature_sensor_is_an_under_voltage(sensor):
    """The cell falls through 4 V in seconds, which the noise test reads as a noisy
    sensor (7 s), then reads a steady 0 V to the end: that is no noisy sensor, and the
    under-voltage (critical) is the fault, not an echo of the "noise". It was reported
    as a noisy-voltage warning only. Live as offline."""
    block = _runaway_unseen(sensor)
    res = detect_faults(block, NMC4)
    cell3 = [f for f in res.faults if f.channel == "cell_3_v"]
    (uv,) = [f for f in cell3 if f.kind == "under_voltage"]
    assert uv.severity == "critical" and uv.end_time_s == float(block["time_s"][-1])
    assert not [f for f in cell3 if f.kind == "sensor_noisy"]
    sizes = np.random.default_rng(796).integers(1, 300, size=len(block))
    assert faults_in_blocks(block, NMC4, sizes) == res.to_list()


def _noisy_cell_near(cell_v: float) -> pd.DataFrame:
    """A 4-cell pack at rest, its cells at ``cell_v``, cell 2's read by a sensor turned noisy (sigma
    50 mV) from 600 s: its samples cross a limit again and again."""
    rng = np.random.default_rng(5)
    n = 1800
    t = np.arange(n, dtype=float)
    cols = {f"cell_{k}_v": cell_v + 0.002 * rng.standard_normal(n) for k in range(1, 5)}
    cols["cell_2_v"][600:] += 0.05 * rng.standard_normal(n - 600)
    for k in range(1, 5):
        cols[f"cell_{k}_temp_c"] = 25.0 + 0.3 * rng.standard_normal(n)
    v = sum(cols[f"cell_{k}_v"] for k in range(1, 5))
    return pd.DataFrame(
        {
            "time_s": t,
            "voltage_v": v + 0.004 * rng.standard_normal(n),
            "current_a": 0.025 * rng.standard_normal(n),
            **cols,
        }
    )


@pytest.mark.parametrize(
    ("cell_v", "limit"),
    [(NMC4.cell_v_min + 0.06, "under_voltage"), (NMC4.cell_v_max - 0.06, "over_voltage")],
)
def test_a_noisy_cell_sensor_tripping_a_limit_is_the_sensors_fault(cell_v, limit):
    """Its noise carries the reading past the limit for seconds at a time to the end
    of the log; the noisy episode goes on as long as the limit episodes do: those are
    its echoes, not the cell's."""
    df = _noisy_cell_near(cell_v)
    res = detect_faults(df, NMC4)
    assert [(f.kind.value, f.channel) for f in res.faults] == [("sensor_noisy", "cell_2_v")]
