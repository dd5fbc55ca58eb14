"""The live twin of the chemistry evidence over one long constant-current step: CPU a
sample of :class:`~app.diagnostics.chemistry_evidence.ChemistryEvidenceTracker` alone
and of the whole live engine, fed in blocks of 10 as the acquisition thread feeds it.

An LFP cell (its OCV, a 20 mOhm IR drop, 1 mV noise) discharged at a constant C/40
sampled at 10 Hz, read as NMC, for 1e5, 3e5 and 1e6 samples: the open segment is carried
from block to block, so its cost a sample must not grow with its length (it did: 9 us
a sample at 2e4 samples, 65 us at 3.2e5, the whole segment copied every block).
Target <= 20 us/sample for the live engine (``bench_live_engine.py``).

    python benchmarks/bench_chemistry_live.py [--repeat R] [--sizes 1e5,1e6]

Last measured (2026-12-05, 2-core VM at load 9-12, ``nice -n 10``, CPU): the tracker
alone 8.5, 8.2, 8.1 us/sample at 1e5, 3e5, 1e6 samples (before: 9.3, 26.8, 69.9 at
2e4, 1e5, 2e5, growing with the step); the live engine (which joins blocks to 2000
samples when fed fast) 2.1, 1.9, 2.1 (before: 2.5, 2.1, 3.0, growing).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.chemistry_evidence import ChemistryEvidenceTracker
from app.diagnostics.live import LiveEngine

TARGET_US = 20.0
BLOCK = 10


def long_cc_step(n: int, seed: int = 1) -> list[SampleBlock]:
    """``n`` samples of a 100 Ah LFP cell discharged at C/40 from 95 % SOC (to 26 % at
    1e6), in blocks of 10."""
    lfp = preset("lfp", capacity_ah=100.0)
    dt, current = 0.1, -2.5
    t = np.arange(n) * dt
    soc = 95.0 + 100.0 * current * t / 3600 / lfp.pack_capacity_ah
    rng = np.random.default_rng(seed)
    v = lfp.cell_ocv(np.clip(soc, 0, 100)) + 0.02 * current + rng.normal(0, 0.001, n)
    i = np.full(n, current)
    temp = np.full(n, 25.0)
    cols = {"time_s": t, "voltage_v": v, "current_a": i, "temperature_c": temp}
    return [SampleBlock({k: c[s : s + BLOCK] for k, c in cols.items()}) for s in range(0, n, BLOCK)]


def _tracker(spec, blocks) -> float:
    tracker = ChemistryEvidenceTracker(spec)
    start = time.process_time()
    for block in blocks:
        tracker.update(block)
    tracker.evidence()
    return time.process_time() - start


def _engine(spec, blocks) -> float:
    engine = LiveEngine(spec)
    start = time.process_time()
    for block in blocks:
        engine(block)
    engine.finish()
    engine.spec_fit_warning()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2, help="runs per row (best reported)")
    parser.add_argument("--sizes", default="1e5,3e5,1e6", help="samples of the step")
    parser.add_argument("--tracker-only", action="store_true", help="leave the engine out")
    args = parser.parse_args()
    repeat = max(1, args.repeat)
    nmc = preset("nmc", capacity_ah=100.0)
    print(f"load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs); target {TARGET_US} us")
    for n in (int(float(s)) for s in args.sizes.split(",")):
        blocks = long_cc_step(n)
        rows = [("chemistry tracker", _tracker)]
        if not args.tracker_only:
            rows.append(("live engine", _engine))
        for name, run in rows:
            cpu = min(run(nmc, blocks) for _ in range(repeat))
            us = cpu / n * 1e6
            print(
                f"CC step {n:8d} samples, blocks of {BLOCK}, {name:17s}: {us:6.2f} us/sample "
                f"cpu (best of {repeat}) target {TARGET_US:g}: "
                f"{'ok' if us <= TARGET_US else 'OVER'}"
            )
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
