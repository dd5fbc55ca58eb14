"""Samples kept while the database opens after Record: capped in memory, spilled to disk
past the cap, dropped (newest first, and said) only past both, and handed to the
recorder in chunks, each stored before the next."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.core.samples import SampleBlock
from app.views import storage_bridge
from app.views.live_session import LiveSession, RecordingPhase
from app.views.recording_sink import Backlog, RecordingSink, _nbytes, feed

from .test_live_session import ListRecorder
from .view_fakes import scripted_block

#: 16 cells, 20 float columns: 160 bytes a sample, 1.6 kB a 10-sample block
CELLS = 16


def _blocks(n_blocks: int, size: int = 10, start: int = 0) -> list[SampleBlock]:
    return [
        scripted_block(start + i * size, start + (i + 1) * size, CELLS) for i in range(n_blocks)
    ]


def _times(blocks) -> np.ndarray:
    return SampleBlock.concat(blocks)["time_s"]


class FlushingRecorder(ListRecorder):
    """A recorder with ``flush``: notes the most samples appended between two flushes."""

    def __init__(self):
        super().__init__()
        self.since_flush = 0
        self.most_between_flushes = 0
        self.flushes = 0

    def append(self, block):
        super().append(block)
        self.since_flush += len(block)
        self.most_between_flushes = max(self.most_between_flushes, self.since_flush)

    def flush(self, timeout=None):
        self.flushes += 1
        self.since_flush = 0
        return True


def test_past_its_memory_cap_the_backlog_spills_to_disk_and_keeps_the_order(tmp_path):
    """The blocks kept while the database opened had no cap: a slow open of a fast
    source grew without bound. Memory stays under the cap; the rest is on disk, and
    all of it reaches the recorder in order, a chunk at a time."""
    block_bytes = _nbytes(_blocks(1)[0])  # its values and the arrays' overhead
    sink = RecordingSink(
        memory_bytes=5 * block_bytes, disk_bytes=1000 * block_bytes, spill_dir=lambda: tmp_path
    )
    generation = sink.arm()
    blocks = _blocks(60)
    for block in blocks:
        sink(block)
        assert sink._backlog.memory_bytes <= 5 * block_bytes
    assert sink.buffered_samples == 600
    assert sink._backlog.spilled and "on disk" in sink.backlog_text
    assert sink.problem is None
    recorder = FlushingRecorder()
    assert sink.attach(recorder, generation, chunk_bytes=8 * block_bytes)
    # a chunk (8 blocks' worth, 208 samples of 160 bytes on disk) at a time, each stored
    assert recorder.flushes >= 2
    assert recorder.most_between_flushes <= 8 * block_bytes // 160 + 10
    more = _blocks(3, start=600)
    for block in more:
        sink(block)  # straight to the recorder now
    np.testing.assert_array_equal(_times(recorder.blocks), np.arange(630.0))
    assert sink.buffered_samples == 0 and sink.samples_written == 630
    assert list(tmp_path.iterdir()) == []  # the spill file is unlinked


def test_past_both_caps_the_newest_are_dropped_and_said(tmp_path):
    block_bytes = _nbytes(_blocks(1)[0])
    sink = RecordingSink(memory_bytes=4 * block_bytes, disk_bytes=0, spill_dir=lambda: tmp_path)
    generation = sink.arm()
    for block in _blocks(10):
        sink(block)
    assert sink.buffered_samples == 40  # the first four blocks: the recording's start
    problem = sink.problem
    # the times as the plots' time axes write them, not raw seconds ("t = 40.0 to 99.0 s")
    assert problem.startswith("60 samples (t\u00a0=\u00a00:40.0 to 1:39.0) not recorded")
    assert "were full" in problem
    recorder = ListRecorder()
    assert sink.attach(recorder, generation)
    sink(scripted_block(100, 110, CELLS))
    np.testing.assert_array_equal(
        _times(recorder.blocks), np.r_[np.arange(40.0), np.arange(100.0, 110.0)]
    )
    assert sink.problem == problem  # said while the recording runs
    sink.detach()
    assert sink.problem == problem  # and after it
    sink.forget_problem()  # (a new source)
    assert sink.problem is None
    sink.arm()
    for block in _blocks(10):
        sink(block)
    assert sink.problem is not None
    sink.disarm()
    sink.arm()
    assert sink.problem is None  # a new recording


def test_the_spill_file_stays_under_its_cap_while_the_stream_keeps_ahead(tmp_path):
    """The cap was checked against the bytes still waiting, but the file was emptied
    only when the whole backlog was: a stream keeping ahead (a block in, a block out)
    grew the file without bound (1.8 MB against an 8 kB cap). The file never passes
    its cap, reuses the room of the blocks taken, starts over once nothing spilled is
    left, and the order holds."""
    import os

    size = _nbytes(_blocks(1)[0])
    backlog = Backlog(memory_bytes=size, disk_bytes=3 * size, spill_dir=lambda: tmp_path)
    blocks = _blocks(1004)
    for block in blocks[:4]:
        backlog.add(block)
    largest = 0
    taken = []
    for block in blocks[4:]:
        backlog.add(block)
        largest = max(largest, os.fstat(backlog._file.fileno()).st_size)
        taken += backlog.take(1)
    assert largest <= backlog.disk_limit
    assert backlog.dropped == 0  # the space of the blocks taken is written again (a ring)
    taken += backlog.take()
    times = _times(taken)
    assert np.all(np.diff(times) > 0)
    assert len(times) + backlog.dropped == 1004 * 10
    assert os.fstat(backlog._file.fileno()).st_size == 0  # nothing spilled left
    backlog.close()


def test_a_spill_file_written_round_its_cap_gives_back_every_sample_as_it_was(tmp_path):
    """Past its cap the spill file is written again from its start, up to the oldest
    block still waiting (a ring): those blocks read back whole, in order, each value
    the one stored, the file never past its cap, and a block is dropped only when
    the ring is full."""
    import os

    size = _nbytes(_blocks(1)[0])
    payload = sum(v.nbytes for _name, v in _blocks(1)[0].items())
    backlog = Backlog(memory_bytes=size, disk_bytes=6 * payload, spill_dir=lambda: tmp_path)
    starts = iter(range(0, 10**6, 10))
    kept, taken = [], []

    def add(k):
        for _ in range(k):
            start, dropped = next(starts), backlog.dropped
            backlog.add(_blocks(1, start=start)[0])
            if backlog.dropped == dropped:
                kept.append(start)

    add(8)  # one in memory, six in the file (full), one dropped
    assert backlog.dropped == 10
    taken += backlog.take(1) + backlog.take(1) + backlog.take(1)  # memory, then 2 spilled
    add(4)  # one in memory, two at the file's start (the room taken), one dropped
    assert backlog.dropped == 20
    assert os.fstat(backlog._file.fileno()).st_size == 6 * payload
    taken += backlog.take()  # the rest of the first round, memory, the second round
    out = SampleBlock.concat(taken)
    expected = SampleBlock.concat([_blocks(1, start=start)[0] for start in kept])
    assert list(out.columns) == list(expected.columns)
    for name in expected.columns:
        assert np.array_equal(out[name], expected[name]), name
    assert os.fstat(backlog._file.fileno()).st_size == 0  # nothing spilled left
    backlog.close()


def test_a_disk_that_refuses_the_overflow_is_said(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    backlog = Backlog(memory_bytes=1, disk_bytes=10**9, spill_dir=lambda: not_a_dir)
    for block in _blocks(3):
        backlog.add(block)
    assert backlog.samples == 0 and backlog.dropped == 30
    assert "the disk refused the overflow" in backlog.problem()


def test_a_disarmed_backlog_is_fed_whole_then_deleted(tmp_path):
    backlog = Backlog(memory_bytes=2000, disk_bytes=10**9, spill_dir=lambda: tmp_path)
    for block in _blocks(20):
        backlog.add(block)
    recorder = FlushingRecorder()
    feed(recorder, backlog, chunk_bytes=5000)
    np.testing.assert_array_equal(_times(recorder.blocks), np.arange(200.0))
    assert recorder.most_between_flushes <= 5000 // 160 + 10 and backlog.samples == 0
    assert recorder.flushes >= 5


@pytest.fixture
def gate():
    event = threading.Event()
    yield event
    event.set()


def test_a_slow_database_open_keeps_memory_capped_and_loses_nothing(qtbot, monkeypatch, gate):
    """A 16-cell pack streaming while the database takes its time: past the cap the
    samples go to disk, the status says so, and once the database answers every sample
    since Record is in the recording, in order."""
    recorder = FlushingRecorder()

    def slow_open(*args):
        assert gate.wait(10), "the test never let the database answer"
        return recorder

    monkeypatch.setattr(storage_bridge, "open_recorder", slow_open)
    cap = 20 * 10 * 8 * 8  # eight 10-sample blocks of 20 columns
    session = LiveSession(redraw_hz=50, record_backlog_bytes=cap)
    statuses = []
    session.status_changed.connect(statuses.append)
    try:
        session.start("scripted://pack?n=0&interval=0.002&block=10&cells=16")
        qtbot.waitUntil(lambda: session.ring.total >= 30)
        assert session.start_recording()
        after = session.ring.total
        qtbot.waitUntil(lambda: session._recording.buffered_samples >= 400)
        assert session._recording._backlog.memory_bytes <= cap
        qtbot.waitUntil(lambda: "on disk" in (session.status.recording_backlog or ""))
        assert session.recording_phase is RecordingPhase.STARTING
        assert "samples waiting" in session.status.recording_backlog
        with qtbot.waitSignal(session.recording_started, timeout=20_000):
            gate.set()
        assert session.status.recording_backlog is None and session.status.recording_error is None
        with qtbot.waitSignal(session.recording_stopped, timeout=20_000):
            session.stop_recording()
    finally:
        assert session.shutdown(timeout=10)
    recorded = _times(recorder.blocks)
    streamed = session.ring.snapshot()["time_s"]
    start = int(np.searchsorted(streamed, recorded[0]))
    assert start <= after
    np.testing.assert_array_equal(recorded, streamed[start : start + len(recorded)])
    assert len(recorded) >= 400 and recorder.flushes >= 1  # stored before the stream went on


def test_the_status_bar_says_how_many_samples_wait_and_what_was_dropped(qtbot):
    from app.views.live_session import SessionStatus
    from app.views.status_bar import SessionStatusBar

    bar = SessionStatusBar()
    qtbot.addWidget(bar)
    waiting = "12,000 samples waiting (3 MB on disk)"
    bar.show_status(
        SessionStatus(recording_phase=RecordingPhase.STARTING, recording_backlog=waiting)
    )
    assert bar.recording_label.text() == f"Connecting to the database… {waiting}"
    dropped = (
        "60 samples (t\u00a0=\u00a00:40.0 to 1:39.0) not recorded while the database opened: …"
    )
    bar.show_status(
        SessionStatus(
            recording_phase=RecordingPhase.STARTING,
            recording_backlog=waiting,
            recording_error=dropped,
        )
    )
    assert bar.recording_label.text().endswith(dropped)
    assert bar.recording_label.property("failed") == "true"
    bar.show_status(
        SessionStatus(recording=True, recording_phase=RecordingPhase.ON, recording_error=dropped)
    )
    assert dropped in bar.recording_label.text() and "REC" in bar.recording_label.text()


def test_a_spilled_backlog_is_stored_whole_in_a_real_database(qtbot, monkeypatch, gate, tmp_path):
    from app.storage import read_samples

    db_url = f"sqlite:///{tmp_path / 'backlog.sqlite'}"
    real_open = storage_bridge.open_recorder

    def slow_open(*args):
        assert gate.wait(10), "the test never let the database answer"
        return real_open(*args)

    monkeypatch.setattr(storage_bridge, "open_recorder", slow_open)
    session = LiveSession(redraw_hz=50, db_url=db_url, record_backlog_bytes=20 * 10 * 8 * 4)
    try:
        session.start("scripted://pack?n=0&interval=0.002&block=10&cells=16")
        qtbot.waitUntil(lambda: session.ring.total >= 30)
        assert session.start_recording()
        qtbot.waitUntil(lambda: "on disk" in (session.status.recording_backlog or ""))
        with qtbot.waitSignal(session.recording_started, timeout=20_000):
            gate.set()
        recording_id = session.recording_id
        total = session.ring.total
        qtbot.waitUntil(lambda: session.ring.total >= total + 50)
        with qtbot.waitSignal(session.recording_stopped, timeout=20_000):
            session.stop()
    finally:
        assert session.shutdown(timeout=10)
    stored = np.asarray(read_samples(storage_bridge.database(db_url), recording_id)["time_s"])
    np.testing.assert_array_equal(stored, stored[0] + np.arange(len(stored)))
    assert stored[-1] == session.ring.snapshot()["time_s"][-1]  # up to the disconnect
    assert session.status.recording_error is None


def test_samples_dropped_past_both_caps_are_said_while_and_after_recording(
    qtbot, monkeypatch, gate
):
    recorder = ListRecorder()

    def slow_open(*args):
        assert gate.wait(10), "the test never let the database answer"
        return recorder

    monkeypatch.setattr(storage_bridge, "open_recorder", slow_open)
    # a few of the engine's blocks (it joins the source's and adds its columns)
    session = LiveSession(redraw_hz=50, record_backlog_bytes=64 * 1024, record_spill_bytes=0)
    try:
        session.start("scripted://pack?n=0&interval=0.002&block=10&cells=16")
        qtbot.waitUntil(lambda: session.ring.total >= 30)
        assert session.start_recording()
        qtbot.waitUntil(lambda: "not recorded" in (session.status.recording_error or ""))
        assert session.recording_phase is RecordingPhase.STARTING
        waiting = session.status.recording_backlog
        assert waiting.endswith(" samples waiting")  # in memory
        kept = int(waiting.split()[0])
        assert kept >= 10
        with qtbot.waitSignals([session.recording_started, session.recording_failed]):
            gate.set()
        said = session.status.recording_error
        assert said.startswith(f"{said.split()[0]} samples (t\u00a0=\u00a0") and "were full" in said
        assert session.status.recording  # REC, with the drop said beside it
        qtbot.waitUntil(lambda: sum(map(len, recorder.blocks)) > kept + 20)
        with qtbot.waitSignal(session.recording_stopped, timeout=20_000):
            session.stop_recording()
        assert session.status.recording_error == said
        # the start of the recording is kept: its first samples, then the live stream
        times = _times(recorder.blocks)
        np.testing.assert_array_equal(times[:kept], times[0] + np.arange(kept))
        assert times[kept] > times[kept - 1] + 1
        session.start("scripted://pack?n=50")  # another source: not its news
        assert session.status.recording_error is None
    finally:
        assert session.shutdown(timeout=10)
