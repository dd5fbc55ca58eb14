"""Sample ingest rate into SQLite and PostgreSQL (target: 300k rows/s each).

    python benchmarks/bench_ingest.py                      # SQLite, + PostgreSQL if
                                                           # BATTERYOS_TEST_POSTGRES_URL is set
    python benchmarks/bench_ingest.py --pg postgresql://postgres@127.0.0.1/test
    python benchmarks/bench_ingest.py --rows 200000 --cells 16 --check

Measures three paths per backend: ``write_samples`` (one transaction a
batch), the ``Recorder`` (append from this thread, batched writes on its
thread, until ``close()`` returns), and ``read_samples``. SQLite writes into a
temporary file; PostgreSQL into a scratch schema that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.samples import SampleBlock  # noqa: E402
from app.storage.database import Database  # noqa: E402
from app.storage.recorder import Recorder  # noqa: E402
from app.storage.repositories import create_recording  # noqa: E402
from app.storage.sample_writer import read_samples, write_samples  # noqa: E402
from app.storage.testing import POSTGRES_TEST_URL_ENV, scratch_postgres_schema  # noqa: E402

TARGET_ROWS_PER_S = 300_000


def make_block(n: int, cells: int, seed: int = 0) -> SampleBlock:
    """A pack of ``cells`` series cells: pack V/I/T plus per-cell voltages and temperatures."""
    rng = np.random.default_rng(seed)
    cols = {
        "time_s": np.arange(n) * 0.01,
        "voltage_v": 3.7 * cells + rng.normal(0, 0.01, n),
        "current_a": rng.normal(-10, 1, n),
        "temperature_c": 25 + rng.normal(0, 0.1, n),
        "cycle_index": np.ones(n),
        "step_index": np.full(n, 2.0),
    }
    for k in range(1, cells + 1):
        cols[f"cell_{k}_v"] = 3.7 + rng.normal(0, 0.002, n)
        cols[f"cell_{k}_temp_c"] = 25 + rng.normal(0, 0.1, n)
    return SampleBlock(cols)


class Timer:
    """Wall and process-CPU time of a ``with`` block, as rates for ``rows``."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu

    def rates(self, rows: int) -> tuple[float, float]:
        return rows / self.wall, rows / max(self.cpu, 1e-9)


def bench_write(db: Database, block: SampleBlock, rows: int) -> tuple[float, float]:
    rec = create_recording(db, "bench://write_samples")
    batches = max(1, rows // len(block))
    with Timer() as t:
        for i in range(batches):
            write_samples(db, rec.id, block, i * len(block))
    return t.rates(batches * len(block))


def bench_recorder(
    db: Database, block: SampleBlock, rows: int, batch_rows: int
) -> tuple[float, float]:
    # Acquisition-sized blocks (100 samples) appended as fast as possible.
    small = [block.slice(i, i + 100) for i in range(0, len(block), 100)]
    total = 0
    with Timer() as t:
        recorder = Recorder(db, "bench://recorder", batch_rows=batch_rows)
        while total < rows:
            for part in small:
                recorder.append(part)
            total += len(block)
        recorder.close(timeout=None)
    assert recorder.samples_written == total
    return t.rates(total)


def bench_read(db: Database) -> tuple[tuple[float, float], int]:
    rec_id = create_recording(db, "bench://read").id
    db_rows = 0
    block = make_block(100_000, 4, seed=1)
    for i in range(5):
        db_rows += write_samples(db, rec_id, block, i * len(block))
    with Timer() as t:
        out = read_samples(db, rec_id)
    assert len(out) == db_rows
    return t.rates(db_rows), db_rows


Result = tuple[str, str, tuple[float, float]]


def run(name: str, url: str, args: argparse.Namespace) -> list[Result]:
    block = make_block(args.batch, args.cells)
    results: list[Result] = []
    with Database(url) as db:
        db.ensure_schema()
        for _ in range(args.repeat):
            results.append((name, "write_samples", bench_write(db, block, args.rows)))
            results.append((name, "Recorder", bench_recorder(db, block, args.rows, args.batch)))
        rates, n = bench_read(db)
        results.append((name, f"read_samples ({n:,} rows)", rates))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per run (default 1e6)")
    parser.add_argument("--cells", type=int, default=4, help="series cells (default 4)")
    parser.add_argument("--batch", type=int, default=50_000, help="rows per transaction")
    parser.add_argument("--repeat", type=int, default=2, help="runs per path (default 2)")
    parser.add_argument(
        "--pg", default=os.environ.get(POSTGRES_TEST_URL_ENV), help="PostgreSQL URL"
    )
    parser.add_argument("--sqlite", help="SQLite file to write (default: a temporary file)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a write path is below target"
    )
    args = parser.parse_args(argv)

    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{args.rows:,} rows x {args.cells} cells (voltage + temperature per cell), "
        f"{args.batch:,} rows per transaction; {os.cpu_count()} CPUs, load average {load}"
    )
    results: list[Result] = []
    with ExitStack() as stack:
        if not args.no_sqlite:
            path = args.sqlite or str(
                Path(stack.enter_context(tempfile.TemporaryDirectory())) / "bench.sqlite"
            )
            results += run("SQLite", f"sqlite:///{path}", args)
        if args.pg:
            url = stack.enter_context(scratch_postgres_schema(args.pg, prefix="batteryos_bench"))
            results += run("PostgreSQL", url, args)
        else:
            print(f"(PostgreSQL skipped: give --pg URL or set {POSTGRES_TEST_URL_ENV})")

    # rows/s: wall clock, what counts. Per CPU-second of this process: less
    # sensitive to other load on the machine (the whole cost for SQLite; only
    # the client side for PostgreSQL, whose server works in its own process).
    slow = False
    print(f"\n{'backend':<11} {'path':<28} {'rows/s':>10} {'rows/CPU-s':>11}")
    for backend, path, (rate, cpu_rate) in results:
        mark = ""
        if not path.startswith("read"):
            ok = rate >= TARGET_ROWS_PER_S
            slow |= not ok
            mark = "" if ok else f"  < target {TARGET_ROWS_PER_S:,}"
        print(f"{backend:<11} {path:<28} {rate:>10,.0f} {cpu_rate:>11,.0f}{mark}")
    print("load average after:", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    return 1 if (args.check and slow) else 0


if __name__ == "__main__":
    sys.exit(main())
