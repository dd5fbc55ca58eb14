"""``batteryos db upgrade`` recovers what a killed ``batteryos record`` left."""

from __future__ import annotations

from app.cli import main


def test_killed_record_is_marked_interrupted_by_db_upgrade(tmp_path, capsys):
    """``batteryos record`` killed with SIGKILL; ``db upgrade`` marks its recording."""
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time

    from app.storage import Database
    from app.storage.repositories import list_recordings

    url = f"sqlite:///{tmp_path / 'rec.sqlite'}"
    main(["--db", url, "db", "upgrade"])
    child = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--db", url, "record", "sim://nmc?rate_hz=50&speed=10"],
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    try:
        with Database(url) as db:
            deadline, tick = time.monotonic() + 60, threading.Event()
            while not (rows := list_recordings(db)) or rows[0].sample_count < 500:
                assert time.monotonic() < deadline and child.poll() is None
                tick.wait(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    capsys.readouterr()
    assert main(["--db", url, "db", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert f"marked recording(s) {rows[0].id} interrupted" in out
    with Database(url) as db:
        (rec,) = list_recordings(db)
    assert rec.status == "interrupted" and rec.sample_count >= 500
