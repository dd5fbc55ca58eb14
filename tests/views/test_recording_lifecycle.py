"""A recording from Record to its end: nothing received after Record is lost (also
while the database opens), and it is closed when its source ends, fails or is
disconnected, with the true count in the database, History and Home."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QPushButton

from app.core.samples import SampleBlock
from app.hardware.acquisition import AcquisitionState
from app.views import storage_bridge
from app.views.live_session import LiveSession, RecordingPhase
from app.views.main_window import Page

from .test_history_page import filled_db  # noqa: F401 - a fixture
from .test_live_session import ListRecorder

STREAM = "scripted://pack?n=0&interval=0.005&block=10"


@pytest.fixture
def slow_recorder(monkeypatch, gate):
    """A fake recorder whose database opens only when the test sets ``gate``."""
    recorder = ListRecorder()

    def slow_open(*args):
        assert gate.wait(10), "the test never let the database answer"
        return recorder

    monkeypatch.setattr(storage_bridge, "open_recorder", slow_open)
    return recorder


def _recorded_span(session: LiveSession, recorder: ListRecorder) -> tuple[int, np.ndarray]:
    """Where the recorded samples start in the stream, and their times; they must be
    one run of the stream without a gap."""
    recorded = SampleBlock.concat(recorder.blocks)["time_s"]
    streamed = session.ring.snapshot()["time_s"]
    start = int(np.searchsorted(streamed, recorded[0]))
    np.testing.assert_array_equal(recorded, streamed[start : start + len(recorded)])
    return start, recorded


def test_samples_arriving_while_the_database_opens_are_recorded(
    qtbot, session, slow_recorder, gate
):
    session.start(STREAM)
    qtbot.waitUntil(lambda: session.ring.total >= 30)
    before = session.ring.total
    assert session.start_recording()
    after = session.ring.total
    qtbot.waitUntil(lambda: session.ring.total >= after + 100)  # the database is still opening
    assert session.recording_phase is RecordingPhase.STARTING
    with qtbot.waitSignal(session.recording_started):
        gate.set()
    with qtbot.waitSignal(session.recording_stopped):
        session.stop_recording()
    start, recorded = _recorded_span(session, slow_recorder)
    # from Record on: not one sample of the 100+ that came while the database opened is
    # lost, and none from before Record is in the recording
    assert before <= start <= after
    assert len(recorded) >= after + 100 - start
    assert slow_recorder.closed


def test_a_recording_is_closed_when_its_source_ends(qtbot, session, monkeypatch):
    recorder = ListRecorder()
    monkeypatch.setattr(storage_bridge, "open_recorder", lambda *a: recorder)
    stopped = []
    session.recording_stopped.connect(lambda: stopped.append(True))
    session.start("scripted://pack?n=400&block=20&interval=0.005")
    qtbot.waitUntil(lambda: session.ring.total >= 40)
    with qtbot.waitSignal(session.recording_started):
        session.start_recording()
    qtbot.waitUntil(lambda: stopped == [True], timeout=20_000)
    assert session.status.state is AcquisitionState.FINISHED
    assert recorder.closed
    assert session.recording_phase is RecordingPhase.OFF and not session.status.recording
    start, recorded = _recorded_span(session, recorder)
    assert start + len(recorded) == 400  # up to the last sample of the source


def test_a_source_ending_while_the_database_opens_keeps_its_samples(
    qtbot, session, slow_recorder, gate
):
    stopped = []
    session.recording_stopped.connect(lambda: stopped.append(True))
    session.start("scripted://pack?n=300&block=10&interval=0.002")
    qtbot.waitUntil(lambda: session.ring.total >= 20)
    before = session.ring.total
    assert session.start_recording()
    after = session.ring.total
    qtbot.waitUntil(lambda: session.acquisition is not None and not session.acquisition.running)
    gate.set()
    qtbot.waitUntil(lambda: stopped == [True])
    assert slow_recorder.closed
    start, recorded = _recorded_span(session, slow_recorder)
    assert before <= start <= after and start + len(recorded) == 300
    assert session.recording_phase is RecordingPhase.OFF


def test_disconnecting_while_the_database_opens_keeps_what_came_since_record(
    qtbot, session, slow_recorder, gate
):
    session.start(STREAM)
    qtbot.waitUntil(lambda: session.ring.total >= 30)
    assert session.start_recording()
    after = session.ring.total
    qtbot.waitUntil(lambda: session.ring.total >= after + 50)
    session.stop()
    total = session.ring.total
    with qtbot.waitSignal(session.recording_stopped):
        gate.set()
    start, recorded = _recorded_span(session, slow_recorder)
    assert start <= after and start + len(recorded) == total
    assert slow_recorder.closed


def test_a_source_that_fails_for_good_closes_its_recording_as_interrupted(
    qtbot, session, monkeypatch
):
    recorder = ListRecorder()
    statuses = []

    def close(timeout=None, status=None):
        statuses.append(None if status is None else str(status))
        recorder.closed = True

    recorder.close = close
    monkeypatch.setattr(storage_bridge, "open_recorder", lambda *a: recorder)
    session.start("scripted://pack?n=5000&block=10&interval=0.005&fail_at=300")
    with qtbot.waitSignal(session.recording_started):
        session.start_recording()
    with qtbot.waitSignal(session.recording_stopped, timeout=20_000):
        pass
    assert session.status.state is AcquisitionState.FAULT
    assert statuses == ["interrupted"]
    start, recorded = _recorded_span(session, recorder)
    assert start + len(recorded) == 300


def test_record_is_disabled_once_the_source_has_ended(qtbot, make_window, monkeypatch):
    monkeypatch.setattr(storage_bridge, "open_recorder", lambda *a: ListRecorder())
    window = make_window()
    window.connect_source("scripted://pack?n=200&block=50")
    qtbot.waitUntil(lambda: window.session.status.state is AcquisitionState.FINISHED)
    qtbot.waitUntil(lambda: not window.dashboard.record_button.isEnabled())
    assert "nothing more to record" in window.dashboard.record_button.toolTip()
    assert not window.session.start_recording()  # no empty recording that never ends


def test_the_record_button_never_clips_its_text(qtbot, make_window):
    window = make_window()
    window.resize(1024, 700)
    window.connect_source(STREAM)
    button = window.dashboard.record_button
    for phase in RecordingPhase:
        window.dashboard.set_recording_phase(phase)
        # what the text needs in the bold the style sheet gives a checked Record button
        needed = QPushButton(button.text())
        needed.setFont(QFont(button.font()))
        font = needed.font()
        font.setWeight(QFont.Weight.DemiBold)
        needed.setFont(font)
        needed.ensurePolished()
        qtbot.waitUntil(lambda: button.width() >= button.sizeHint().width())
        assert button.width() >= needed.sizeHint().width(), phase
    window.session.stop()


def _count_in(db_url: str, recording_id: int) -> int:
    from app.storage import read_samples

    return len(read_samples(storage_bridge.database(db_url), recording_id))


def test_a_recording_of_a_source_that_ends_is_stored_complete(qtbot, make_window, db_url, tmp_path):
    window = make_window(db_url=db_url)
    session = window.session
    qtbot.waitUntil(lambda: not window.recordings_loader.running, timeout=20_000)
    window.connect_source("scripted://pack?n=3000&block=20&interval=0.002")
    qtbot.waitUntil(lambda: session.ring.total >= 40)
    window.dashboard.record_button.click()
    after = session.ring.total
    with qtbot.waitSignal(session.recording_stopped, timeout=30_000):
        pass
    assert not session.status.recording  # REC is off
    assert session.status.state is AcquisitionState.FINISHED
    rows = storage_bridge.history_rows(db_url, "recordings", window.history.filters())
    assert len(rows) == 1
    row = rows[0]
    assert row.status == "complete" and row.ended_at is not None
    assert row.sample_count == _count_in(db_url, row.id)
    assert 3000 - after <= row.sample_count  # nothing after Record lost
    # Home lists it with that count (it was shown while the recording ended)
    window.show_page(Page.HOME)
    qtbot.waitUntil(lambda: f"{row.sample_count:,} samples" in _home_text(window))
    window.show_page(Page.HISTORY)
    window.grab().save(str(tmp_path / "recording_lifecycle_history.png"))


def _home_text(window) -> str:
    listing = window.home.recordings_list
    return "\n".join(listing.item(i).text() for i in range(listing.count()))


def test_an_opened_recording_s_title_is_not_elided(qtbot, make_window, filled_db, tmp_path):  # noqa: F811
    url, _old_id, new_id = filled_db
    window = make_window(db_url=url)
    window.resize(1024, 700)
    window.show_page(Page.HISTORY)
    table = window.history.tables["recordings"]
    qtbot.waitUntil(lambda: table.rowCount() == 2)
    table.selectRow(0)
    with qtbot.waitSignal(window.history_loader.recording_loaded, timeout=20_000):
        window.history.open_button.click()
    label = window.dashboard.source_label
    qtbot.waitUntil(lambda: label.text() == label.full_text())  # shown whole at 1024 px
    assert label.full_text().startswith(f"Recording #{new_id} · ")
    assert "sim://nmc?cells=4" in label.toolTip()  # the source is in the tooltip
    window.grab().save(str(tmp_path / "recording_title_1024.png"))
