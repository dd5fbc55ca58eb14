"""Serial decoding cost and latency over a real pseudo-terminal.

1. Throughput: each streaming device simulator (VE.Direct, JK, line protocol)
   writes back to back as fast as a 921,600-baud line carries (92,160 bytes/s,
   8N1); the source reads and decodes for ``SECONDS``. The figure is the CPU time
   of the reading thread (``time.thread_time``: the simulator's own thread is
   not counted) per second of wall time. Target <= 10 % of one core.
2. Latency: from the moment the device finished writing a frame to the moment
   ``read()`` returns the block with its sample (arrival to block), at 20
   frames/s (exact) and saturated (a lower bound: each sample is matched with
   the last frame sent before it was returned). Target (whole path to the plot) <= 100 ms; the GUI's
   share is measured by benchmarks/bench_redraw.py.

    python benchmarks/bench_serial.py [SECONDS]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from app.hardware.devsim import start_device
from app.hardware.registry import create_source

BAUD = 921_600
LINE_BYTES_PER_S = BAUD / 10  # 8N1: 10 bits a byte
TARGET_CPU = 0.10
TARGET_LATENCY_S = 0.100


def run(name: str, seconds: float, saturated: bool) -> dict:
    options = {"bytes_per_s": LINE_BYTES_PER_S} if saturated else {"period_s": 0.05}
    dev = start_device(name, speed=1.0, **options)
    dev.sent_times = []
    returned: list[float] = []  # when read() returned each sample
    try:
        source = create_source(f"{dev.url}&baud={BAUD}")
        with source:
            t0_cpu, t0 = time.thread_time(), time.monotonic()
            sent0 = len(dev.sent_times)  # frames before the port opened were flushed
            while time.monotonic() - t0 < seconds:
                block = source.read(0.1)
                if block is not None:
                    returned += [time.monotonic()] * len(block)
            cpu, wall = time.thread_time() - t0_cpu, time.monotonic() - t0
    finally:
        dev.stop()
    sent = np.array(dev.sent_times[sent0:])
    h = source.health
    # each sample against the last frame sent before read() returned it: exact when
    # frames are further apart than the latency (20 Hz), a lower bound when saturated
    got = np.array(returned)
    idx = np.searchsorted(sent, got, side="right") - 1
    lag = (got - sent[np.maximum(idx, 0)])[idx >= 0]
    return {
        "name": name,
        "mode": "saturated" if saturated else "20 Hz",
        "kB_s": h.bytes_in / wall / 1000,
        "samples_s": len(returned) / wall,
        "cpu": cpu / wall,
        "lat_med_ms": float(np.median(lag)) * 1000 if lag.size else float("nan"),
        "lat_p99_ms": float(np.percentile(lag, 99)) * 1000 if lag.size else float("nan"),
        "bad": h.frames_bad,
        "dropped": dev.bytes_dropped,
    }


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    print(
        f"serial over a pty, {BAUD} baud ({LINE_BYTES_PER_S / 1000:.1f} kB/s), {seconds:g} s each"
    )
    print(
        f"{'protocol':9} {'mode':10} {'kB/s':>6} {'samples/s':>10} {'CPU':>6} "
        f"{'lat med':>8} {'lat p99':>8} {'bad':>4} {'dropped':>8}"
    )
    worst_cpu = worst_lat = 0.0
    for name in ("vedirect", "jk", "line"):
        for saturated in (True, False):
            r = run(name, seconds, saturated)
            print(
                f"{r['name']:9} {r['mode']:10} {r['kB_s']:6.1f} {r['samples_s']:10.0f} "
                f"{r['cpu'] * 100:5.1f}% {r['lat_med_ms']:6.1f}ms {r['lat_p99_ms']:6.1f}ms "
                f"{r['bad']:4d} {r['dropped']:8d}"
            )
            if saturated:
                worst_cpu = max(worst_cpu, r["cpu"])
            worst_lat = max(worst_lat, r["lat_p99_ms"] / 1000)
    ok_cpu = "OK" if worst_cpu <= TARGET_CPU else "OVER"
    ok_lat = "OK" if worst_lat <= TARGET_LATENCY_S else "OVER"
    print(
        f"worst decode CPU at saturation: {worst_cpu * 100:.1f} % of a core (target 10 %) {ok_cpu}"
    )
    print(f"worst p99 arrival-to-block latency: {worst_lat * 1000:.1f} ms (target 100 ms) {ok_lat}")


if __name__ == "__main__":
    main()
