"""The samples kept while the database opens after Record: memory held, and the CPU of
keeping them and of storing them once the database answers.

    python benchmarks/bench_record_backlog.py                        # 16 cells, 10 Hz, 10 min
    python benchmarks/bench_record_backlog.py --rate 1000 --cells 96 --open-s 120

A stream of ``--rate`` samples/s of a ``--cells`` pack (pack V, I, T and each cell's V
and temperature) arrives in 10-sample blocks for ``--open-s`` seconds of a database
that has not answered yet. "uncapped" keeps every block in memory (what the sink did
before the cap), "capped" is :class:`~app.views.recording_sink.Backlog` with its default
caps (32 MiB in memory, then a spill file). Then the backlog goes to a real
:class:`~app.storage.Recorder` on a new SQLite file, in chunks, and is closed. Figures:
peak Python-traced memory of the backlog, process-CPU seconds (best of ``--repeat``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.samples import SampleBlock  # noqa: E402
from app.views.recording_sink import Backlog, feed  # noqa: E402

BLOCK = 10


def template(rate: float, cells: int) -> SampleBlock:
    rng = np.random.default_rng(7)
    k = np.arange(BLOCK, dtype=float)
    columns = {
        "time_s": k / rate,
        "voltage_v": 3.7 * cells + rng.normal(0, 0.01, BLOCK),
        "current_a": np.full(BLOCK, -5.0),
        "temperature_c": np.full(BLOCK, 25.0),
    }
    for c in range(1, cells + 1):
        columns[f"cell_{c}_v"] = 3.7 + rng.normal(0, 0.001, BLOCK)
        columns[f"cell_{c}_temp_c"] = np.full(BLOCK, 25.0)
    return SampleBlock(columns)


def run(args, memory_bytes: int | None, spill_dir: Path) -> dict:
    base = template(args.rate, args.cells)
    n_blocks = int(args.rate * args.open_s) // BLOCK
    backlog = Backlog(
        **({} if memory_bytes is None else {"memory_bytes": memory_bytes}),
        spill_dir=lambda: spill_dir,
    )
    tracemalloc.start()
    t0 = time.process_time()
    for i in range(n_blocks):  # each block new, as a stream's are
        columns = {name: values.copy() for name, values in base.items()}
        columns["time_s"] = columns["time_s"] + i * BLOCK / args.rate
        backlog.add(SampleBlock(columns))
    keep = time.process_time() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    from app.storage import Database, Recorder

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'b.sqlite'}")
        db.ensure_schema()
        recorder = Recorder(db, "sim://bench", spool=False)
        samples = backlog.samples
        t0 = time.process_time()
        feed(recorder, backlog)
        recorder.close()
        store = time.process_time() - t0
        assert recorder.samples_written == samples, (recorder.samples_written, samples)
        db.dispose()
    return {"samples": samples, "peak_mb": peak / 2**20, "keep_s": keep, "store_s": store}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0, help="samples/s")
    parser.add_argument("--cells", type=int, default=16)
    parser.add_argument("--open-s", type=float, default=600.0, help="seconds the DB takes")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as spill:
        for name, cap in (("uncapped", 2**62), ("capped", None)):
            runs = [run(args, cap, Path(spill)) for _ in range(args.repeat)]
            best = {key: min(r[key] for r in runs) for key in runs[0]}
            print(
                f"{name:8}: {best['samples']:,} samples kept, peak {best['peak_mb']:.1f} MB, "
                f"keeping {best['keep_s']:.3f} s, storing {best['store_s']:.3f} s "
                f"(process CPU, best of {args.repeat}; {args.rate:g} Hz x {args.cells} cells "
                f"for {args.open_s:g} s)"
            )


if __name__ == "__main__":
    main()
