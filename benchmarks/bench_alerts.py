"""Alert evaluation cost per sample per threshold. Target <= 5 us.

The default thresholds of a 16-cell NMC pack (cell min/max/spread, current
band, temperatures, dT/dt, SOC, SOH, resistance, fault kinds) on a simulated
drive cycle at 10 Hz, fed in blocks of 100 (the live engine's smallest) and
1000 samples; metrics and evaluation both timed (CPU time). A second case
makes the evaluator step through many transitions: a cell voltage that
chatters across its level every few samples.

    python benchmarks/bench_alerts.py
"""

from __future__ import annotations

import time

import numpy as np

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.alerts import AlertEvaluator, Threshold, default_thresholds
from app.diagnostics.alerts.metrics import MetricContext, PackCells
from app.hardware.simulator import NoiseSpec, simulate

TARGET_US = 5.0


def _run(label, data, rules, block_size, context) -> None:
    blocks = [data.slice(i, i + block_size) for i in range(0, len(data), block_size)]
    evaluator = AlertEvaluator(rules, PackCells(series_cells=16))
    events = 0
    start = time.process_time()
    for block in blocks:
        events += len(evaluator.process(block, context))
    cpu = time.process_time() - start
    us = cpu / len(data) / len(rules) * 1e6
    verdict = "ok" if us <= TARGET_US else "OVER"
    print(
        f"{label:<34} block {block_size:5d}: {us:5.2f} us/sample/threshold "
        f"({len(rules)} thresholds, {events} events) {verdict}"
    )


def main() -> None:
    spec = preset("nmc", capacity_ah=50, series_cells=16)
    data = simulate(
        spec, profile="drive", duration_s=20_000, dt_s=0.1, seed=1, noise=NoiseSpec.typical(spec)
    )
    data = SampleBlock({**dict(data.items()), "soc_percent": np.linspace(90, 5, len(data))})
    rules = default_thresholds(spec)
    faults = [
        {"kind": "sensor_dropout", "start_time_s": s, "end_time_s": s + 20, "detail": {}}
        for s in range(100, 20_000, 400)
    ]
    context = MetricContext(soh_percent=93.0, internal_resistance_ohm=0.02, faults=faults)
    print(f"{len(data)} samples, 16 cells; CPU time (machine shared with other jobs)")
    for block_size in (100, 1000):
        _run("default thresholds, drive cycle", data, rules, block_size, context)

    n = len(data)
    chatter = dict(data.items())
    chatter["cell_3_v"] = np.where((np.arange(n) // 3) % 2 == 0, 4.25, 4.15)
    busy = SampleBlock(chatter)
    flappy = [
        Threshold("cell_v_max", "above", level=4.2, severity="critical"),
        Threshold("cell_v_max", "above", level=4.2, clear_level=4.1, delay_s=0.2),
    ]
    for block_size in (100, 1000):
        _run("chattering cell, 1 transition/3 samples", busy, flappy, block_size, context)


if __name__ == "__main__":
    main()
