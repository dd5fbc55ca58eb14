"""Live engine cost per sample (all nine diagnostics: SOC EKF, internal resistance, SOH,
faults, cell balance, safety, thermal, the cycle table with fade and cycle life) for a
16-cell pack, fed as the acquisition thread feeds it: blocks of 1, 10, 100 and
1000 samples through the sink interface, which joins small blocks (up to
``LiveEngine.MIN_BLOCK_SAMPLES`` samples or ``MAX_HOLD_S``) before processing.
Target <= 20 us/sample.

    python benchmarks/bench_live_engine.py [--repeat R]

CPU time of the best of ``--repeat`` runs (the machine may be shared: on a
loaded virtual machine even CPU time grows); the load average is printed.

Last measured (2026-12-05, 2-core VM at load 8-12, ``nice -n 5 ... --repeat 2``,
main and this version alternated), 16 cells, block of 1 sample: drive 10.1-11.7,
HPPC 11.8-12.3 us/sample (main: drive 21.2-21.6, HPPC 22.3-22.7); blocks of
1000: drive 5.2, HPPC 6.6 (main 6.5-6.8, 8.2-8.5). Of the gain, joining
one-sample blocks without ``np.concatenate`` per piece is ~5 us, joining up to
2000 samples instead of 500 (the diagnostics' fixed cost per block) ~5-6 us.

Then (2026-12-06, same VM at load 11-22 from the other helpers: wall 3-6x CPU;
``nice ... --repeat 3``, main and this version alternated twice), us/sample, main ->
this: 16 cells drive block 1 16.37, 15.11 -> 9.91, 11.34; block 10 11.10, 10.70 ->
5.89, 8.53; block 1000 10.16, 9.21 -> 4.79, 6.17; HPPC block 1 16.32, 16.07 ->
11.00, 11.38; block 1000 10.63, 10.82 -> 5.74, 6.00; 4 cells cycle block 1 9.59,
12.03 -> 6.06, 5.80; block 1000 6.93, 7.20 -> 5.72, 4.19 (under such load the 50 ms
hold, wall clock, cuts some joins short: the spread between runs). Most
of it: joins of up to 8000 samples, not 2000. The diagnostics cost ~8-15 ms a block
(on this loaded VM) plus ~3 us a sample, so 2000-sample blocks were ~10 us a
sample and 8000-sample blocks are ~4.6 (``MIN_BLOCK_SAMPLES`` 500 / 2000 / 8000 /
20000, blocks of 1000, load ~7: 13.5 / 10.1 / 4.6 / 3.5). Only a source over 160
kHz fills 8000 before the 50 ms hold, which still bounds the latency. One-sample
blocks are joined from their values' bytes (``b"".join``): callgrind 41.0k ->
27.1k instructions a 38-column row, the rest of block 1's extra cost over block
1000 being the sink call per block. What is left is the fixed cost a block, spread
over hundreds of small numpy calls in every tracker (the fault detector about half
of it): a source slower than 160 kHz gets a block each 50 ms (or each sample, below
20 Hz), so that cost, not the per-sample figure above, is what a slow source pays.

2026-12-07, the faster VM of bench_suite's last paragraph, idle (load 0.4),
``python benchmarks/bench_live_engine.py --repeat 2`` at ``c35bede`` (us/sample, CPU):
16 cells drive, blocks 1/10/100/1000: 6.40, 3.98, 3.44, 3.23; 16 cells HPPC 7.27,
5.53, 4.69, 4.80; 4 cells cycle 3.10, 2.02, 1.79, 1.79 (target 20).
"""

from __future__ import annotations

import argparse
import os
import time

from app.core.spec import preset
from app.diagnostics.live import LiveEngine
from app.hardware.simulator import NoiseSpec, simulate

TARGET_US = 20.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (best reported)")
    args = parser.parse_args()
    repeat = max(1, args.repeat)
    print(f"load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs); target {TARGET_US} us")
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
            # the blocks exist before timing: cutting them is the source's work
            blocks = [data.slice(i, i + block_size) for i in range(0, len(data), block_size)]
            cpu, wall = min(_run(spec, blocks) for _ in range(repeat))
            us = cpu / len(data) * 1e6
            print(
                f"{cells:2d} cells {profile:6s} block {block_size:5d}: {us:6.2f} us/sample cpu "
                f"({wall / len(data) * 1e6:6.2f} wall; best of {repeat}) "
                f"target {TARGET_US:g}: {'ok' if us <= TARGET_US else 'OVER'}"
            )
    print(f"load average {os.getloadavg()[0]:.2f}")


def _run(spec, blocks) -> tuple[float, float]:
    """(cpu s, wall s) of one engine fed ``blocks`` through the sink interface."""
    engine = LiveEngine(spec)
    start_cpu, start = time.process_time(), time.perf_counter()
    for block in blocks:
        engine(block)
    engine.finish()
    return time.process_time() - start_cpu, time.perf_counter() - start


if __name__ == "__main__":
    main()
