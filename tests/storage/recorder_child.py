"""A recording process for the crash and spool tests (run as a separate process).

python tests/storage/recorder_child.py crash DB_URL SOURCE_URL
    records SOURCE_URL for ever; prints "recording ID", then "appended N"
    after every block (unbuffered, so the parent knows what was handed
    over even after a SIGKILL)
python tests/storage/recorder_child.py spool-close DB_URL SOURCE_URL ROWS
    records ROWS samples with a database that refuses every write, closes
    (giving up after 0.5 s) and exits: the samples stay in the spool
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.core.errors import StorageError  # noqa: E402
from app.hardware.registry import create_source  # noqa: E402
from app.storage.database import Database  # noqa: E402
from app.storage.recorder import Recorder  # noqa: E402


def say(text: str) -> None:
    os.write(1, f"{text}\n".encode())


def refuse(*_args) -> None:
    raise StorageError("cannot connect: connection refused (test)")


def main() -> int:
    mode, db_url, source_url = sys.argv[1:4]
    db = Database(db_url)
    db.ensure_schema()
    source = create_source(source_url)
    source.open()
    if mode == "crash":
        recorder = Recorder(db, source_url, flush_interval_s=1.0)
        say(f"recording {recorder.recording_id}")
        while True:
            block = source.read(1.0)
            if block is not None and len(block):
                recorder.append(block)
                say(f"appended {recorder.samples_appended}")
    rows = int(sys.argv[4])
    recorder = Recorder(
        db, source_url, flush_interval_s=0.05, retry_initial_s=0.01, retry_max_s=0.05, writer=refuse
    )
    while recorder.samples_appended < rows:
        block = source.read(1.0)
        if block is not None and len(block):
            recorder.append(block.slice(0, rows - recorder.samples_appended))
    recorder.close(timeout=0.5)
    say(f"recording {recorder.recording_id} {recorder.state} {recorder.spooled_rows}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
