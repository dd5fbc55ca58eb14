"""What the GUI is told about a recorder whose database went away."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from app.core.errors import StorageError
from app.core.samples import SampleBlock
from app.views import storage_bridge


def test_spooling_is_shown_and_a_spooled_close_is_reported(tmp_path, monkeypatch):
    from app.storage import Database, Recorder

    def refuse(*_args):
        raise StorageError("cannot connect: connection refused")

    db = Database(f"sqlite:///{tmp_path / 'x.sqlite'}")
    db.ensure_schema()
    recorder = Recorder(db, "sim://nmc", flush_interval_s=0.02, retry_initial_s=0.02,
                        retry_max_s=0.05, writer=refuse)  # fmt: skip
    try:
        assert storage_bridge.recorder_problem(recorder) is None
        t = np.arange(250.0)
        recorder.append(SampleBlock({"time_s": t, "voltage_v": 3.7 + 0 * t, "current_a": 0 * t}))
        deadline, tick = time.monotonic() + 30, threading.Event()
        while recorder.spooled_rows < 250:
            assert time.monotonic() < deadline
            tick.wait(0.02)
        problem = storage_bridge.recorder_problem(recorder)
        assert "spooling locally (250 samples)" in problem and "connection refused" in problem
        monkeypatch.setattr(storage_bridge, "CLOSE_TIMEOUT_S", 0.2)
        with pytest.raises(StorageError, match="250 samples kept in the local spool"):
            storage_bridge.close_recorder(recorder)
    finally:
        recorder.close(timeout=0.2)
        db.dispose()


def test_the_recent_list_says_which_recordings_are_not_complete():
    from datetime import datetime

    started = datetime(2026, 12, 5, 15, 19)
    row = {"id": 1, "started_at": started, "source_url": "sim://lfp", "sample_count": 0}
    running = storage_bridge._summary({**row, "status": "recording"})
    assert running.title == "#1  2026-12-05 15:19  (recording)"  # not a finished "0 samples"
    done = storage_bridge._summary({**row, "status": "complete", "sample_count": 9000})
    assert done.title == "#1  2026-12-05 15:19" and done.detail == "sim://lfp  ·  9,000 samples"
    assert storage_bridge.recording_title(7, started, "interrupted") == (
        "Recording #7 · 05 Dec 15:19 (interrupted)"
    )
