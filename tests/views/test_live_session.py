"""LiveSession: source → engine → ring → timer-pulled snapshots, recording, faults."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from app.core.errors import SourceError, StorageError
from app.core.samples import SampleBlock
from app.hardware.acquisition import AcquisitionState
from app.views import storage_bridge
from app.views.live_session import LiveSession, RecordingPhase

from .view_fakes import FailingSource, scripted_block

STREAM = "scripted://pack?n=0&interval=0.005&block=10"


class ListRecorder:
    """Stands in for app.storage.Recorder; ``close`` can be held until ``release`` is set."""

    def __init__(self, fail_after: int | None = None, release: threading.Event | None = None):
        self.blocks: list[SampleBlock] = []
        self.closed = False
        self.close_thread: str | None = None
        self.fail_after = fail_after
        self.release = release

    def append(self, block):
        if self.fail_after is not None and len(self.blocks) >= self.fail_after:
            raise RuntimeError("disk I/O error")
        self.blocks.append(block)

    def close(self, timeout=None):
        self.close_thread = threading.current_thread().name
        if self.release is not None:
            assert self.release.wait(10), "the test never released close()"
        self.closed = True


class Ticks:
    """A 10 ms QTimer counting its ticks: it only ticks while the GUI thread runs its loop."""

    def __init__(self):
        self.count = 0
        self.timer = QTimer(interval=10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self):
        self.count += 1


def finished(session: LiveSession) -> bool:
    return session.status.state is AcquisitionState.FINISHED


def test_streams_all_samples_enriched_with_soc(qtbot, session):
    frames = []
    session.data_updated.connect(frames.append)
    session.start("scripted://pack?cells=4&n=600&block=50")
    qtbot.waitUntil(lambda: finished(session) and session.ring.total == 600)
    qtbot.waitUntil(lambda: bool(frames) and len(frames[-1]["time_s"]) == 600)
    expected = scripted_block(0, 600)
    last = frames[-1]
    for column in expected.columns:
        np.testing.assert_array_equal(last[column], expected[column])
    assert "soc_percent" in last and np.isfinite(last["soc_percent"]).all()


def test_no_snapshot_without_new_samples(qtbot, session):
    frames = []
    session.data_updated.connect(frames.append)
    session.start("scripted://pack?n=100&block=100")
    qtbot.waitUntil(lambda: finished(session) and bool(frames) and len(frames[-1]["time_s"]) == 100)
    count = len(frames)
    ticks = []
    session._timer.timeout.connect(lambda: ticks.append(1))
    qtbot.waitUntil(lambda: len(ticks) >= 5)  # five redraw ticks with nothing new
    assert len(frames) == count


def test_bad_url_raises_before_anything_runs(session):
    with pytest.raises(SourceError):
        session.start("nosuchscheme://x")
    assert not session.running
    assert session.acquisition is None


def test_stop_joins_the_acquisition_thread(qtbot, session):
    stopped = []
    session.stopped.connect(lambda: stopped.append(True))
    session.start("scripted://pack?n=0&interval=0.01")
    acquisition = session.acquisition
    qtbot.waitUntil(lambda: session.ring.total > 0)
    session.stop()
    assert not acquisition.running
    assert stopped == [True]
    assert session.status.state is AcquisitionState.STOPPED


def test_open_failure_is_a_visible_fault_state(qtbot, session):
    session.start("failing://port")
    qtbot.waitUntil(lambda: session.status.last_error is not None)
    assert FailingSource.MESSAGE in session.status.last_error
    assert session.status.state in (AcquisitionState.FAULT, AcquisitionState.CONNECTING)


def test_recording_receives_every_enriched_block(qtbot, session, monkeypatch):
    recorder = ListRecorder()
    monkeypatch.setattr(storage_bridge, "open_recorder", lambda *a: recorder)
    session.start(STREAM)
    with qtbot.waitSignal(session.recording_started):
        assert session.start_recording()
    qtbot.waitUntil(lambda: len(recorder.blocks) >= 5)
    assert session.status.recording
    with qtbot.waitSignal(session.recording_stopped):
        session.stop()
    assert recorder.closed
    assert recorder.close_thread != threading.current_thread().name  # flushed off the GUI thread
    recorded = SampleBlock.concat(recorder.blocks)
    assert "soc_percent" in recorded
    # recording started mid-stream: the recorded samples are the ring's newest
    tail = session.ring.snapshot(last=len(recorded))
    np.testing.assert_array_equal(recorded["time_s"], tail["time_s"])


def test_slow_database_connect_does_not_block_the_gui(qtbot, session, monkeypatch, gate):
    recorder = ListRecorder()
    connecting = threading.Event()

    def slow_open(db_url, source_url, spec):
        connecting.set()
        assert gate.wait(10), "the test never let the database answer"
        return recorder

    monkeypatch.setattr(storage_bridge, "open_recorder", slow_open)
    session.start(STREAM)
    started = []
    session.recording_started.connect(lambda: started.append(True))
    ticks = Ticks()
    assert session.start_recording()  # returns at once, the database still connecting
    assert session.recording_phase is RecordingPhase.STARTING
    assert session.status.recording_phase is RecordingPhase.STARTING
    assert not session.recording
    assert connecting.wait(5)
    count = ticks.count
    qtbot.waitUntil(lambda: ticks.count >= count + 10)  # the GUI keeps processing events
    qtbot.waitUntil(lambda: session.ring.total > 50)  # and the stream keeps being drawn
    assert started == [] and session.recording_phase is RecordingPhase.STARTING
    assert not session.start_recording()  # one start at a time
    with qtbot.waitSignal(session.recording_started):
        gate.set()
    assert session.recording and session.status.recording
    qtbot.waitUntil(lambda: len(recorder.blocks) >= 3)
    ticks.timer.stop()


def test_slow_failing_database_reports_failure_later(qtbot, session, monkeypatch, gate):
    def slow_dead_database(db_url):
        assert gate.wait(10)
        raise StorageError("database error: connection timed out")

    # the real bridge (imports, error wrapping); only the connection is faked
    monkeypatch.setattr(storage_bridge, "_database", slow_dead_database)
    session.start(STREAM)
    ticks = Ticks()
    assert session.start_recording()
    qtbot.waitUntil(lambda: ticks.count >= 10)
    assert session.recording_phase is RecordingPhase.STARTING
    with qtbot.waitSignal(session.recording_failed) as failed:
        gate.set()
    assert failed.args == ["database error: connection timed out"]
    assert session.recording_phase is RecordingPhase.OFF
    assert session.status.recording_error == "database error: connection timed out"
    total = session.ring.total
    qtbot.waitUntil(lambda: session.ring.total > total + 30)  # streaming goes on
    ticks.timer.stop()


def test_slow_flush_on_stop_does_not_block_the_gui(qtbot, session, monkeypatch, gate):
    recorder = ListRecorder(release=gate)
    monkeypatch.setattr(storage_bridge, "open_recorder", lambda *a: recorder)
    session.start(STREAM)
    with qtbot.waitSignal(session.recording_started):
        session.start_recording()
    qtbot.waitUntil(lambda: len(recorder.blocks) >= 3)
    ticks = Ticks()
    session.stop_recording()  # returns at once; the flush waits for the gate
    assert session.recording_phase is RecordingPhase.STOPPING
    assert session.status.recording_phase is RecordingPhase.STOPPING
    assert session.storage_busy
    qtbot.waitUntil(lambda: ticks.count >= 10)
    assert not recorder.closed
    with qtbot.waitSignal(session.recording_stopped):
        gate.set()
    assert recorder.closed and not session.storage_busy
    assert session.recording_phase is RecordingPhase.OFF
    assert session.status.state is AcquisitionState.STREAMING  # recording stopped, not the stream
    ticks.timer.stop()


def test_stop_pressed_while_connecting_closes_the_recorder(qtbot, session, monkeypatch, gate):
    recorder = ListRecorder()

    def slow_open(*args):
        assert gate.wait(10)
        return recorder

    monkeypatch.setattr(storage_bridge, "open_recorder", slow_open)
    started = []
    session.recording_started.connect(lambda: started.append(True))
    session.start(STREAM)
    before = session.ring.total
    session.start_recording()
    session.stop_recording()
    after = session.ring.total
    assert session.recording_phase is RecordingPhase.STARTING  # cannot stop what is not open
    qtbot.waitUntil(lambda: session.ring.total > after + 50)  # the stream goes on
    with qtbot.waitSignal(session.storage_idle):
        gate.set()
    # closed, with what arrived between Record and Stop only (a block of 10 may be
    # in the ring an instant before the recording sees it)
    assert recorder.closed
    assert sum(len(b) for b in recorder.blocks) <= after - before + 10
    assert started == [] and session.recording_phase is RecordingPhase.OFF


def test_stream_stopped_while_connecting_closes_the_recorder(qtbot, session, monkeypatch, gate):
    recorder = ListRecorder()

    def slow_open(*args):
        assert gate.wait(10)
        return recorder

    monkeypatch.setattr(storage_bridge, "open_recorder", slow_open)
    session.start(STREAM)
    session.start_recording()
    session.stop()
    with qtbot.waitSignal(session.storage_idle):
        gate.set()
    assert recorder.closed and not session.recording


def test_database_error_on_start_keeps_streaming(qtbot, session):
    session.db_url = "postgresql://nobody@127.0.0.1:1/nothing"
    session.start(STREAM)
    with qtbot.waitSignal(session.recording_failed, timeout=20_000):
        assert session.start_recording()
    assert session.status.recording_error
    assert not session.recording
    total = session.ring.total
    qtbot.waitUntil(lambda: session.ring.total > total + 50)
    assert session.status.state is AcquisitionState.STREAMING


def test_recorder_failing_mid_stream_stops_recording_not_streaming(qtbot, session, monkeypatch):
    recorder = ListRecorder(fail_after=3)
    monkeypatch.setattr(storage_bridge, "open_recorder", lambda *a: recorder)
    stopped, failed = [], []
    session.recording_stopped.connect(lambda: stopped.append(True))
    session.recording_failed.connect(failed.append)
    session.start(STREAM)
    session.start_recording()
    qtbot.waitUntil(lambda: stopped == [True])
    assert "disk I/O error" in session.status.recording_error
    assert failed and "disk I/O error" in failed[0]
    assert not session.status.recording
    assert recorder.closed
    total = session.ring.total
    qtbot.waitUntil(lambda: session.ring.total > total + 50)
    assert session.status.state is AcquisitionState.STREAMING


def test_live_source_fault_is_retried_finite_is_not(qtbot, session):
    session.start("failing://port")  # a live device: tried again
    qtbot.waitUntil(lambda: session.status.retrying)
    assert session.acquisition.reconnect
    session.start("file:///nonexistent/dir/x.csv")  # a log file: one try
    qtbot.waitUntil(lambda: session.status.state is AcquisitionState.FAULT)
    qtbot.waitUntil(lambda: not session.acquisition.running)
    assert not session.status.retrying
