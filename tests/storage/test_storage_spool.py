"""The local spool: a database that goes away mid-recording costs nothing.

Batches go to fsync'd spool files while it is away and are written in order
when it answers again; a spool left by a process that ended is stored at the
next start.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from app.core.errors import StorageError
from app.core.samples import SampleBlock
from app.storage.database import Database
from app.storage.models import RecordingStatus
from app.storage.recorder import Recorder, RecorderState
from app.storage.repositories import get_recording
from app.storage.sample_writer import read_samples, write_samples
from app.storage.spool import read_spool, spool_dir

CHILD = Path(__file__).with_name("recorder_child.py")


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    tick = threading.Event()
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        tick.wait(0.02)


class SwitchableWriter:
    """write_samples that fails while ``down`` is set, like an unreachable server."""

    def __init__(self):
        self.down = threading.Event()

    def __call__(self, db, recording_id, block, start_seq):
        if self.down.is_set():
            raise StorageError("cannot connect: connection refused")
        return write_samples(db, recording_id, block, start_seq)


def _blocks(make_block, count: int, size: int, first: int = 0) -> list[SampleBlock]:
    return [make_block(size, t0=i * size * 0.1, seed=i) for i in range(first, first + count)]


def _assert_all_in_order(db, rid: int, data: list[SampleBlock]) -> None:
    back = read_samples(db, rid)
    want = SampleBlock.concat(data)
    assert len(back) == len(want)
    np.testing.assert_array_equal(back["time_s"], want["time_s"])
    np.testing.assert_array_equal(back["voltage_v"], want["voltage_v"])


def test_batches_go_to_the_spool_while_the_database_is_away(db, make_block):
    writer = SwitchableWriter()
    recorder = Recorder(
        db, "sim://nmc", flush_interval_s=0.05, retry_initial_s=0.02, retry_max_s=0.1, writer=writer
    )
    try:
        before = _blocks(make_block, 2, 100)
        for block in before:
            recorder.append(block)
        assert recorder.flush(timeout=30)

        writer.down.set()
        during = _blocks(make_block, 5, 100, first=2)
        for block in during:
            recorder.append(block)
        wait_for(lambda: recorder.spooled_rows == 500, 30, "500 spooled samples")
        assert recorder.state is RecorderState.SPOOLING
        assert recorder.pending_rows == 0  # on disk, not in memory
        assert "connection refused" in recorder.last_error
        frames = list(read_spool(Path(recorder.spool_path)))
        starts = [start for start, _ in frames]
        assert starts[0] == 200 and starts == sorted(starts)
        assert sum(len(b) for _, b in frames) == 500
        assert not recorder.flush(timeout=0.2)  # not in the database yet

        writer.down.clear()
        after = _blocks(make_block, 1, 100, first=7)
        recorder.append(after[0])
        assert recorder.flush(timeout=30)
        assert recorder.state is RecorderState.RECORDING
        assert recorder.spooled_rows == 0 and not Path(recorder.spool_path).exists()
    finally:
        recorder.close()
    _assert_all_in_order(db, recorder.recording_id, before + during + after)
    assert get_recording(db, recorder.recording_id).sample_count == 800


def test_a_spool_left_by_an_ended_process_is_stored_at_the_next_start(db_url):
    env = {**os.environ, "PYTHONPATH": str(CHILD.parents[2])}
    source = "sim://nmc?cells=3&rate_hz=10&speed=0&seed=2"
    result = subprocess.run(
        [sys.executable, str(CHILD), "spool-close", db_url, source, "2500"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    _, rid, state, spooled = result.stdout.split()
    rid = int(rid)
    assert (state, spooled) == ("spooled", "2500")
    (spool,) = spool_dir().glob(f"*-{rid}-*.spool")

    with Database(db_url) as db:
        assert read_samples(db, rid) is not None and get_recording(db, rid).sample_count == 0
        db.ensure_schema()  # the next start
        assert db.recovery.spooled_samples == 2500 and db.recovery.spool_files == 1
        assert not spool.exists()
        row = get_recording(db, rid)
        assert row.status is RecordingStatus.COMPLETE and row.sample_count == 2500
        back = read_samples(db, rid)
    assert len(back) == 2500 and "cell_3_v" in back
    assert np.all(np.diff(back["time_s"]) > 0)


def test_a_damaged_tail_of_the_spool_is_ignored(tmp_path, make_block):
    from app.storage.spool import Spool

    spool = Spool(tmp_path / "x.spool")
    spool.append(0, make_block(10))
    spool.append(10, make_block(5, seed=1))
    spool.close()
    with open(spool.path, "ab") as f:
        f.write(b"BOSF\x10\x00")  # a write cut short by a crash
    frames = list(read_spool(spool.path))
    assert [(start, len(b)) for start, b in frames] == [(0, 10), (10, 5)]
    np.testing.assert_array_equal(frames[1][1]["voltage_v"], make_block(5, seed=1)["voltage_v"])


@pytest.mark.postgres
def test_postgresql_unreachable_mid_recording_loses_nothing(postgres_url, make_block):
    """A real server behind a proxy that the test cuts and restores."""
    from app.storage.testing import scratch_postgres_schema
    from tests.storage.tcp_proxy import TcpProxy

    with scratch_postgres_schema(postgres_url) as url:
        direct = Database(url)
        direct.ensure_schema()
        proxy = TcpProxy(direct.url.host or "127.0.0.1", direct.url.port or 5432)
        via_proxy = Database(direct.url.set(host="127.0.0.1", port=proxy.port))
        recorder = Recorder(
            via_proxy, "sim://nmc", flush_interval_s=0.05, retry_initial_s=0.05, retry_max_s=0.2
        )
        try:
            data = _blocks(make_block, 30, 100)
            for block in data[:10]:
                recorder.append(block)
            assert recorder.flush(timeout=30)

            proxy.cut()
            for block in data[10:20]:
                recorder.append(block)
            wait_for(lambda: recorder.spooled_rows == 1000, 60, "1000 spooled samples")
            assert recorder.state is RecorderState.SPOOLING
            assert recorder.last_error and "connect" in recorder.last_error

            proxy.restore()
            for block in data[20:]:
                recorder.append(block)
            assert recorder.flush(timeout=60)
            assert recorder.state is RecorderState.RECORDING and recorder.spooled_rows == 0
            recorder.close()
            _assert_all_in_order(direct, recorder.recording_id, data)
        finally:
            recorder.close(timeout=5)
            via_proxy.dispose()
            proxy.close()
            direct.dispose()


def test_a_spool_given_up_on_is_stored_by_the_same_process_later(db, make_block):
    """A recorder closed while the database was away; the database returns while
    the program still runs: the next recovery (e.g. the History list) stores it."""
    from app.storage.recovery import recover

    writer = SwitchableWriter()
    writer.down.set()
    recorder = Recorder(db, "sim://nmc", flush_interval_s=0.02, retry_initial_s=0.02,
                        retry_max_s=0.05, writer=writer)  # fmt: skip
    data = _blocks(make_block, 3, 100)
    for block in data:
        recorder.append(block)
    recorder.close(timeout=0.3)
    assert recorder.state is RecorderState.SPOOLED and recorder.spooled_rows == 300
    assert get_recording(db, recorder.recording_id).status is RecordingStatus.RECORDING

    report = recover(db)
    assert report.spooled_samples == 300 and not Path(recorder.spool_path).exists()
    assert get_recording(db, recorder.recording_id).status is RecordingStatus.COMPLETE
    _assert_all_in_order(db, recorder.recording_id, data)


def test_recovery_leaves_the_spool_of_a_running_recorder_alone(db, make_block):
    from app.storage.recovery import recover

    writer = SwitchableWriter()
    writer.down.set()
    recorder = Recorder(db, "sim://nmc", flush_interval_s=0.02, retry_initial_s=0.02,
                        retry_max_s=0.05, writer=writer)  # fmt: skip
    try:
        recorder.append(make_block(100))
        wait_for(lambda: recorder.spooled_rows == 100, 30, "100 spooled samples")
        assert recover(db).spooled_samples == 0
        assert Path(recorder.spool_path).exists()
        writer.down.clear()
        assert recorder.flush(timeout=30)
    finally:
        recorder.close()
    assert get_recording(db, recorder.recording_id).sample_count == 100
