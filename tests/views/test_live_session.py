"""LiveSession: source → engine → ring → timer-pulled snapshots, recording, faults."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.errors import SourceError
from app.core.samples import SampleBlock
from app.hardware.acquisition import AcquisitionState
from app.views import storage_bridge
from app.views.live_session import LiveSession

from .view_fakes import FailingSource, scripted_block


class ListRecorder:
    """Stands in for app.storage.Recorder."""

    def __init__(self, fail_after: int | None = None):
        self.blocks: list[SampleBlock] = []
        self.closed = False
        self.fail_after = fail_after

    def append(self, block):
        if self.fail_after is not None and len(self.blocks) >= self.fail_after:
            raise RuntimeError("disk I/O error")
        self.blocks.append(block)

    def close(self, timeout=None):
        self.closed = True


@pytest.fixture
def session(qtbot):
    session = LiveSession(redraw_hz=50)
    yield session
    session.stop()


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
    session.start("scripted://pack?n=0&interval=0.005&block=10")
    assert session.start_recording()
    qtbot.waitUntil(lambda: len(recorder.blocks) >= 5)
    assert session.status.recording
    session.stop()
    assert recorder.closed
    recorded = SampleBlock.concat(recorder.blocks)
    assert "soc_percent" in recorded
    # recording started mid-stream: the recorded samples are the ring's newest
    tail = session.ring.snapshot(last=len(recorded))
    np.testing.assert_array_equal(recorded["time_s"], tail["time_s"])


def test_database_error_on_start_keeps_streaming(qtbot, session):
    session.db_url = "postgresql://nobody@127.0.0.1:1/nothing"
    session.start("scripted://pack?n=0&interval=0.005&block=10")
    assert not session.start_recording()
    assert session.status.recording_error
    total = session.ring.total
    qtbot.waitUntil(lambda: session.ring.total > total + 50)
    assert session.status.state is AcquisitionState.STREAMING


def test_recorder_failing_mid_stream_stops_recording_not_streaming(qtbot, session, monkeypatch):
    recorder = ListRecorder(fail_after=3)
    monkeypatch.setattr(storage_bridge, "open_recorder", lambda *a: recorder)
    stopped = []
    session.recording_stopped.connect(lambda: stopped.append(True))
    session.start("scripted://pack?n=0&interval=0.005&block=10")
    session.start_recording()
    qtbot.waitUntil(lambda: stopped == [True])
    assert "disk I/O error" in session.status.recording_error
    assert not session.status.recording
    assert recorder.closed
    total = session.ring.total
    qtbot.waitUntil(lambda: session.ring.total > total + 50)
    assert session.status.state is AcquisitionState.STREAMING
