"""The live engine's spec-fit twin: CPU time to count a block's cell voltages, and
to word the warning from the counts.

A 16-cell NMC pack's drive cycle at 10 Hz in blocks of 2000 samples (what a 40 kHz
source fills in the engine's hold, :attr:`LiveEngine.MAX_HOLD_S`; the engine joins up
to :attr:`LiveEngine.MIN_BLOCK_SAMPLES`); the engine's other diagnostics cost 8-15 ms
a block of this pack on a loaded 2-core machine.

    python benchmarks/bench_spec_fit_tracker.py
"""

from __future__ import annotations

import time

from app.core.spec import preset
from app.diagnostics.spec_fit import SpecFitTracker
from app.hardware.simulator import simulate

REPEATS = 20


def main() -> None:
    spec = preset("nmc", series_cells=16)
    data = simulate(spec, "drive", 2000, 0.1, 1)
    blocks = [data.slice(i, i + 2000) for i in range(0, len(data), 2000)]
    tracker = SpecFitTracker(spec)
    started = time.process_time()
    for _ in range(REPEATS):
        for block in blocks:
            tracker.update(block)
    n = REPEATS * len(blocks)
    per_block = 1e3 * (time.process_time() - started) / n
    print(f"update: {per_block:.3f} ms CPU per 2000-sample 16-cell block ({n} blocks)")
    started = time.process_time()
    for _ in range(REPEATS):
        tracker.warning({})
    per_call = 1e3 * (time.process_time() - started) / REPEATS
    print(f"warning: {per_call:.3f} ms CPU a call")


if __name__ == "__main__":
    main()
