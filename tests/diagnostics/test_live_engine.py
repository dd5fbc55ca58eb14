"""The live engine: the same numbers whatever the block sizes, results readable
while it runs, and faults raised live."""

from __future__ import annotations

import json

import numpy as np

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.live import LiveEngine
from app.diagnostics.suite import RESULT_KEYS
from app.hardware.simulator import Fault, NoiseSpec, simulate

SPEC = preset("nmc", capacity_ah=5.0, series_cells=4)


def run(engine: LiveEngine, data: SampleBlock, sizes) -> SampleBlock:
    out: list[SampleBlock] = []
    engine.outputs.append(out.append)
    i = 0
    for size in sizes:
        if i >= len(data):
            break
        engine(data.slice(i, i + size))
        i += size
    engine.finish()
    return SampleBlock.concat(out)


def test_block_sizes_do_not_change_the_numbers():
    data = simulate(
        SPEC, profile="drive", duration_s=1800, dt_s=1.0, seed=3, noise=NoiseSpec.typical(SPEC)
    )
    rng = np.random.default_rng(0)
    one = run(LiveEngine(SPEC), data, [len(data)])
    small = run(LiveEngine(SPEC), data, rng.integers(1, 40, size=len(data)))
    assert len(small) == len(data)
    for col in ("soc_percent", "soc_band_low_percent", "soc_band_high_percent"):
        np.testing.assert_allclose(small[col], one[col], rtol=0, atol=1e-9)


def test_faults_are_raised_live_and_results_are_plain_json():
    data = simulate(
        SPEC,
        profile="drive",
        duration_s=3600,
        dt_s=1.0,
        seed=1,
        noise=NoiseSpec.typical(SPEC),
        faults=[Fault("thermal_runaway", onset_s=1200, cell=2)],
    )
    engine = LiveEngine(SPEC)
    run(engine, data, [50] * (len(data) // 50 + 1))
    results = engine.results()
    kinds = {(f["kind"], f["channel"]) for f in results["faults"]}
    assert ("thermal_runaway_onset", "cell_2_temp_c") in kinds
    onset = min(
        f["start_time_s"] for f in results["faults"] if f["kind"] == "thermal_runaway_onset"
    )
    assert 1200 <= onset <= 1260
    assert tuple(results) == RESULT_KEYS  # all nine diagnostics, as run_suite
    json.dumps(results)
