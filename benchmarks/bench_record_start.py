"""Pressing Record: the database work before the recording runs ("Starting…" on the button).

    python benchmarks/bench_record_start.py                       # a SQLite file
    python benchmarks/bench_record_start.py --db postgresql+psycopg://postgres@127.0.0.1/test

The first Record of a program run opens the database: it imports SQLAlchemy (and, to
check the schema, Alembic), brings the schema to the newest migration and recovers what
crashed recorders left, then creates the recording's row. Each measurement runs in a
fresh process with PySide6 already imported, as in the GUI: ``storage_bridge.open_recorder``
and ``close_recorder`` of an empty recording, split into importing the storage modules,
the schema check (``_database``) and the recorder itself. "new" is a database without
tables (SQLite: a new file), "again" the same database at the next start of the program
(the usual case). PostgreSQL runs in a scratch schema, dropped afterwards. Figures: process-CPU seconds, best of ``--repeat`` runs (on a shared
machine the wall time is inflated by the others' load, and a live stream at speed=100
competes with this work for the interpreter lock, so the wall time in the GUI is a few
times these figures).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
import PySide6.QtWidgets  # the GUI has Qt loaded (its import hook slows later imports)
import numpy, app.core.samples, app.core.errors  # and the sample schema (a stream runs)
clock = time.process_time
t0 = clock()
import app.storage.recorder, app.storage.database  # what the first Record imports
t1 = clock()
from app.views import storage_bridge
storage_bridge._database({url!r})
t2 = clock()
recorder = storage_bridge.open_recorder({url!r}, "sim://nmc", None)
storage_bridge.close_recorder(recorder)
t3 = clock()
print(json.dumps({{"import": t1 - t0, "schema": t2 - t1, "recorder": t3 - t2, "total": t3 - t0}}))
"""


def measure(url: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(root=str(ROOT), url=url)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def best(runs: list[dict]) -> dict:
    return {key: min(run[key] for run in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a database URL (default: a new SQLite file)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from app.storage.testing import scratch_postgres_schema

    with tempfile.TemporaryDirectory() as tmp:
        news, agains = [], []
        for i in range(args.repeat):
            with contextlib.ExitStack() as stack:
                if args.db:  # a scratch schema of the server: others' tables are left alone
                    url = stack.enter_context(scratch_postgres_schema(args.db, "batteryos_bench"))
                else:
                    url = f"sqlite:///{Path(tmp) / f'bench{i}.db'}"
                news.append(measure(url))
                agains.append(measure(url))
        for name, runs in (("new", news), ("again", agains)):
            fig = best(runs)
            print(
                f"record start, {name:5} database: "
                + ", ".join(f"{key} {value:.3f} s" for key, value in fig.items())
                + " (process CPU, best of "
                + f"{args.repeat})"
            )
    print(f"measured {time.strftime('%Y-%m-%d %H:%M')} on {args.db or 'SQLite'}")


if __name__ == "__main__":
    main()
