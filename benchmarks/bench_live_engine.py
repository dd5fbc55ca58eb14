"""Live engine cost per sample (SOC EKF, internal resistance, SOH, faults) for a
16-cell pack, fed as the acquisition thread feeds it: blocks of 1, 10, 100 and
1000 samples through the sink interface, which joins small blocks (up to 100
samples or 50 ms) before processing. Target <= 20 us/sample.

    python benchmarks/bench_live_engine.py
"""

from __future__ import annotations

import time

from app.core.spec import preset
from app.diagnostics.live import LiveEngine
from app.hardware.simulator import NoiseSpec, simulate

TARGET_US = 20.0


def main() -> None:
    for cells, profile in ((16, "drive"), (16, "hppc"), (4, "cycle")):
        spec = preset("nmc", capacity_ah=50, series_cells=cells)
        data = simulate(
            spec,
            profile=profile,
            duration_s=20_000,
            dt_s=0.1,
            seed=1,
            noise=NoiseSpec.typical(spec),
        )
        for block_size in (1, 10, 100, 1000):
            engine = LiveEngine(spec)
            # the blocks exist before timing: cutting them is the source's work
            blocks = [data.slice(i, i + block_size) for i in range(0, len(data), block_size)]
            start_cpu, start = time.process_time(), time.perf_counter()
            for block in blocks:
                engine(block)
            engine.finish()
            cpu = time.process_time() - start_cpu
            wall = time.perf_counter() - start
            us = cpu / len(data) * 1e6
            print(
                f"{cells:2d} cells {profile:6s} block {block_size:5d}: {us:6.2f} us/sample cpu "
                f"({wall / len(data) * 1e6:6.2f} wall) {'ok' if us <= TARGET_US else 'OVER'}"
            )


if __name__ == "__main__":
    main()
