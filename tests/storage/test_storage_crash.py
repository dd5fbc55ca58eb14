"""kill -9 of a recording process: at most the last second is lost, the
recording is marked interrupted at the next start and stays readable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from app.core.samples import SampleBlock
from app.hardware.registry import create_source
from app.storage.database import Database
from app.storage.models import RecordingStatus
from app.storage.repositories import get_recording, list_recordings
from app.storage.sample_writer import next_seq, read_samples

CHILD = Path(__file__).with_name("recorder_child.py")
RATE_HZ, SPEED = 100, 20  # 2000 samples per wall-clock second
SOURCE = f"sim://nmc?cells=2&rate_hz={RATE_HZ}&speed={SPEED}&seed=4"


def reference(n: int) -> SampleBlock:
    """The first ``n`` samples the seeded simulator makes (as fast as it can)."""
    source = create_source(SOURCE.replace(f"speed={SPEED}", "speed=0"))
    source.open()
    blocks, total = [], 0
    try:
        while total < n:
            block = source.read(1.0)
            if block is not None and len(block):
                blocks.append(block)
                total += len(block)
    finally:
        source.close()
    return SampleBlock.concat(blocks).slice(0, n)


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        tick.wait(0.05)


def test_kill_9_loses_at_most_the_last_second(db_url):
    env = {**os.environ, "PYTHONPATH": str(CHILD.parents[2])}
    with Database(db_url) as db:
        db.ensure_schema()
        child = subprocess.Popen(
            [sys.executable, str(CHILD), "crash", db_url, SOURCE],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        try:
            first = child.stdout.readline().decode()
            assert first.startswith("recording "), first + child.stderr.read().decode()
            rid = int(first.split()[1])
            # Several batches stored: the recorder writes every second.
            wait_for(lambda: next_seq(db, rid) >= 3 * RATE_HZ * SPEED, 60, "three batches")
        finally:
            child.send_signal(signal.SIGKILL)
            out, _ = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL
        appended = int(out.decode().split()[-1])  # the pipe keeps what was written before the kill
        stored = next_seq(db, rid)
        lost = appended - stored
        assert 0 <= lost <= 1.5 * RATE_HZ * SPEED, f"lost {lost} of {appended} samples"

        # Still "recording" until someone starts: the writer's pid is gone now.
        assert get_recording(db, rid).status is RecordingStatus.RECORDING
        db.ensure_schema()
        assert db.recovery.interrupted == [rid]
        row = get_recording(db, rid)
        assert row.status is RecordingStatus.INTERRUPTED and row.sample_count == stored
        assert row.ended_at > row.started_at
        assert [r.status for r in list_recordings(db)] == [RecordingStatus.INTERRUPTED]

        back = read_samples(db, rid)
    want = reference(stored)
    assert len(back) == stored
    np.testing.assert_array_equal(back["time_s"], want["time_s"])
    np.testing.assert_allclose(back["voltage_v"], want["voltage_v"], rtol=1e-12)
    np.testing.assert_allclose(back["cell_2_v"], want["cell_2_v"], rtol=1e-6)  # float32


def test_live_recorder_is_not_marked_interrupted(db):
    from app.storage.recorder import Recorder

    recorder = Recorder(db, "sim://nmc")
    try:
        db.ensure_schema()
        assert db.recovery.interrupted == []
        assert get_recording(db, recorder.recording_id).status is RecordingStatus.RECORDING
    finally:
        recorder.close()


def test_recordings_of_other_machines_are_left_alone(db):
    from app.storage.repositories import create_recording

    rec = create_recording(db, "sim://nmc")
    with db.connect(write=True) as conn:
        conn.exec_driver_sql(
            f"UPDATE recordings SET writer_host = 'other-bench', writer_pid = 1 WHERE id = {rec.id}"
        )
    db.ensure_schema()
    assert get_recording(db, rec.id).status is RecordingStatus.RECORDING
