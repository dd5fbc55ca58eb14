"""Recorder: queued appends, batched writes, retries without loss, clean close."""

from __future__ import annotations

import contextlib
import threading

import pytest

from app.core.errors import StorageError
from app.core.samples import SampleBlock
from app.storage.models import RecordingStatus
from app.storage.recorder import Recorder, RecorderState
from app.storage.repositories import get_recording
from app.storage.sample_writer import read_samples, write_samples

SPEC = {"chemistry": "nmc", "capacity_ah": 5.0, "series_cells": 4}


@pytest.fixture
def recorders(db):
    """Factory of recorders on ``db``; any left open are closed at the end."""
    made: list[Recorder] = []

    def make(**kwargs) -> Recorder:
        recorder = Recorder(db, "sim://nmc?cells=4", SPEC, "bench 3", **kwargs)
        made.append(recorder)
        return recorder

    yield make
    for recorder in made:
        with contextlib.suppress(StorageError):
            recorder.close(timeout=5)


class SpyWriter:
    """write_samples, recording its calls; can fail its first ``fail`` calls."""

    def __init__(
        self, fail: int = 0, error: Exception | None = None, write_then_fail: bool = False
    ):
        self.calls: list[tuple[int, int]] = []
        self.fail = fail
        self.error = error or StorageError("database went away")
        self.write_then_fail = write_then_fail
        self.called = threading.Event()
        self.states: list[RecorderState] = []
        self.recorder: Recorder | None = None

    def __call__(self, db, recording_id, block, start_seq):
        self.calls.append((start_seq, len(block)))
        if self.recorder is not None:
            self.states.append(self.recorder.state)
        self.called.set()
        if self.fail:
            self.fail -= 1
            if self.write_then_fail:  # the COMMIT went through, the answer got lost
                write_samples(db, recording_id, block, start_seq)
            raise self.error
        return write_samples(db, recording_id, block, start_seq)


def blocks(make_block, count: int, size: int) -> list[SampleBlock]:
    return [make_block(size, t0=i * size * 0.1, seed=i) for i in range(count)]


def assert_stored(db, recorder: Recorder, expected: list[SampleBlock]) -> None:
    back = read_samples(db, recorder.recording_id)
    want = SampleBlock.concat(expected)
    assert len(back) == len(want)
    assert (back["time_s"] == want["time_s"]).all()
    assert (back["voltage_v"] == want["voltage_v"]).all()


def test_recorder_creates_the_recording(db, recorders):
    recorder = recorders()
    row = get_recording(db, recorder.recording_id)
    assert row.status is RecordingStatus.RECORDING
    assert row.source_url == "sim://nmc?cells=4"
    assert row.spec == SPEC and row.notes == "bench 3"
    assert row.started_at.tzinfo is not None
    recorder.close()


def test_recorder_writes_in_batches_and_marks_complete(db, recorders, make_block):
    spy = SpyWriter()
    recorder = recorders(batch_rows=250, flush_interval_s=3600, writer=spy)
    data = blocks(make_block, 10, 100)
    for block in data:
        recorder.append(block)
    recorder.close()

    assert recorder.state is RecorderState.CLOSED
    assert not recorder.is_alive
    assert len(spy.calls) >= 4  # 1000 rows in batches of at most 250
    assert all(n <= 250 for _, n in spy.calls)
    starts = [start for start, _ in spy.calls]
    assert starts == sorted(starts) and starts[0] == 0
    assert sum(n for _, n in spy.calls) == 1000
    row = get_recording(db, recorder.recording_id)
    assert row.status is RecordingStatus.COMPLETE
    assert row.sample_count == 1000 == recorder.samples_written
    assert row.ended_at is not None and row.ended_at >= row.started_at
    assert "cell_4_v" in row.columns
    assert_stored(db, recorder, data)


def test_recorder_writes_within_the_flush_interval(db, recorders, make_block):
    spy = SpyWriter()
    recorder = recorders(batch_rows=1_000_000, flush_interval_s=0.2, writer=spy)
    recorder.append(make_block(10))
    assert spy.called.wait(timeout=30), "no write although the flush interval passed"
    assert recorder.flush(timeout=30)
    assert recorder.samples_written == 10 and recorder.pending_rows == 0
    recorder.close()


def test_flush_writes_now(db, recorders, make_block):
    recorder = recorders(batch_rows=1_000_000, flush_interval_s=3600)
    data = blocks(make_block, 3, 50)
    for block in data:
        recorder.append(block)
    assert recorder.flush(timeout=30)
    assert_stored(db, recorder, data)
    recorder.close()


def test_recorder_survives_a_failed_write_without_loss(db, recorders, make_block):
    spy = SpyWriter(fail=1)
    recorder = recorders(batch_rows=100, flush_interval_s=0.05, retry_initial_s=0.01, writer=spy)
    spy.recorder = recorder
    data = blocks(make_block, 5, 100)
    for block in data:
        recorder.append(block)
    assert recorder.flush(timeout=30)

    assert recorder.last_error == "database went away"  # kept, visible
    assert recorder.state is RecorderState.RECORDING  # recovered
    assert RecorderState.SPOOLING in spy.states  # the retry ran while the batch was spooled
    assert spy.calls[0] == spy.calls[1]  # same samples tried again
    recorder.close()
    assert get_recording(db, recorder.recording_id).sample_count == 500
    assert_stored(db, recorder, data)


def test_a_lost_commit_acknowledgement_does_not_duplicate(db, recorders, make_block):
    # The write reached the database but the recorder saw an error: the retry
    # must skip what is stored instead of failing on duplicate sample numbers.
    spy = SpyWriter(
        fail=1, error=RuntimeError("connection lost after COMMIT"), write_then_fail=True
    )
    recorder = recorders(batch_rows=150, flush_interval_s=0.05, retry_initial_s=0.01, writer=spy)
    data = blocks(make_block, 4, 100)
    for block in data:
        recorder.append(block)
    recorder.close()
    assert recorder.state is RecorderState.CLOSED
    assert get_recording(db, recorder.recording_id).sample_count == 400
    assert_stored(db, recorder, data)


def test_close_gives_up_when_the_database_stays_away(db, recorders, make_block):
    spy = SpyWriter(fail=10**9)
    recorder = recorders(
        flush_interval_s=0.05, retry_initial_s=0.01, retry_max_s=0.05, writer=spy, spool=False
    )
    recorder.append(make_block(70))
    with pytest.raises(StorageError, match="70 samples could not be stored.*database went away"):
        recorder.close(timeout=0.5)
    assert recorder.state is RecorderState.FAILED
    assert not recorder.is_alive
    assert recorder.pending_rows == 70  # still in memory, not dropped
    assert get_recording(db, recorder.recording_id).status is RecordingStatus.RECORDING


def test_append_after_close_is_refused(recorders, make_block):
    recorder = recorders()
    recorder.close()
    recorder.close()  # twice is harmless
    with pytest.raises(StorageError, match="closed"):
        recorder.append(make_block(5))


def test_an_error_in_the_with_block_marks_the_recording_interrupted(db, make_block):
    with pytest.raises(KeyError), Recorder(db, "sim://lfp") as recorder:
        recorder(make_block(20))  # a Recorder is an acquisition sink
        raise KeyError("source died")
    row = get_recording(db, recorder.recording_id)
    assert row.status is RecordingStatus.INTERRUPTED
    assert row.sample_count == 20


@pytest.mark.postgres
def test_recorder_reconnects_after_the_server_drops_it(pg_db, make_block):
    import psycopg

    db = pg_db
    recorder = Recorder(db, "sim://nmc", flush_interval_s=3600, batch_rows=1_000_000)
    try:
        data = blocks(make_block, 2, 100)
        recorder.append(data[0])
        assert recorder.flush(timeout=30)
        # Leave exactly one pooled connection, and have the server kill it.
        db.dispose()
        with db.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        dsn = db.url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        recorder.append(data[1])
        assert recorder.flush(timeout=30)
    finally:
        recorder.close()
    assert recorder.state is RecorderState.CLOSED
    assert_stored(db, recorder, data)


def test_other_writers_do_not_collide_with_the_recorder(db, recorders, make_block):
    # The GUI stores alerts and results while the recorder writes (SQLite:
    # writers queue on the lock instead of failing with "database is locked").
    from app.storage import alert_repository as repo

    recorder = recorders(batch_rows=200, flush_interval_s=0.01)
    data = blocks(make_block, 40, 50)
    for i, block in enumerate(data):
        recorder.append(block)
        repo.record_alert(
            db, "cell_v_max", 4.2 + i / 1000, "warning", recording_id=recorder.recording_id
        )
    recorder.close()
    assert recorder.last_error is None
    assert len(repo.list_alert_history(db, limit=100, recording_id=recorder.recording_id)) == 40
    assert_stored(db, recorder, data)
