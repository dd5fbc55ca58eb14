"""The alert lifecycle model: transitions, shelving, banner and audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.diagnostics.alerts import AlertEvent, EventKind, Threshold
from app.diagnostics.alerts.lifecycle import (
    AlertBoard,
    AlertStatus,
    AuditAction,
    LifecycleError,
)

CRIT = Threshold("cell_v_max", "above", level=4.2, severity="critical")
WARN = Threshold("temperature_max_c", "above", level=45)


class Clock:
    def __init__(self):
        self.now = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)

    def __call__(self):
        return self.now

    def advance(self, **kw):
        self.now += timedelta(**kw)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def board(clock):
    return AlertBoard(clock)


def raised(th, t=10.0, value=4.25):
    return AlertEvent(EventKind.RAISED, th, t, value, th.level)


def cleared(th, t=20.0, worst=4.3):
    return AlertEvent(EventKind.CLEARED, th, t, worst, th.level)


def test_active_acknowledged_cleared_with_audit(board, clock):
    seen = []
    board.listeners.append(lambda alert, entry: seen.append((alert.key, entry.action)))
    alert = board.apply(raised(CRIT), recording_id=7)
    assert alert.status is AlertStatus.ACTIVE and alert.recording_id == 7
    assert board.banner() == [alert]

    clock.advance(seconds=30)
    board.acknowledge(alert.key, "ada", "balancing the pack")
    assert alert.status is AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by == "ada" and alert.acknowledged_at == clock.now
    assert board.banner() == []
    assert board.current() == [alert]  # still up
    with pytest.raises(LifecycleError, match="acknowledged already by ada"):
        board.acknowledge(alert.key, "bob")

    board.apply(cleared(CRIT))
    assert alert.status is AlertStatus.CLEARED and alert.worst_value == 4.3
    assert alert.cleared_time_s == 20.0
    assert board.current() == []
    assert [(e.action, e.actor) for e in alert.audit] == [
        (AuditAction.RAISED, "system"),
        (AuditAction.ACKNOWLEDGED, "ada"),
        (AuditAction.CLEARED, "system"),
    ]
    assert alert.audit[1].comment == "balancing the pack"
    assert seen == [(1, "raised"), (1, "acknowledged"), (1, "cleared")]


def test_unacknowledged_critical_stays_on_the_banner_after_clearing(board):
    crit = board.apply(raised(CRIT))
    warn = board.apply(raised(WARN, value=50))
    board.apply(cleared(CRIT))
    board.apply(cleared(WARN))
    assert crit.status is AlertStatus.CLEARED
    assert board.banner() == [crit]
    assert board.current() == [crit]  # the cleared warning is history only
    board.acknowledge(crit.key, "ada")
    assert board.banner() == [] and board.current() == []
    assert board.history() == [warn, crit]


def test_one_alert_per_episode(board):
    first = board.apply(raised(CRIT))
    board.apply(cleared(CRIT))
    second = board.apply(raised(CRIT, t=30))
    assert first.key != second.key and second.status is AlertStatus.ACTIVE
    assert board.apply(cleared(WARN)) is None  # an episode this board never saw


def test_shelving_silences_the_threshold_for_a_period(board, clock):
    alert = board.apply(raised(CRIT))
    board.shelve(alert.key, timedelta(minutes=15), "ada", "known, cell swap at noon")
    assert alert.status is AlertStatus.SHELVED and board.banner() == []
    board.apply(cleared(CRIT))
    assert alert.status is AlertStatus.CLEARED

    # a new episode of the shelved threshold is kept but arrives shelved
    clock.advance(minutes=5)
    again = board.apply(raised(CRIT, t=400))
    assert again.status is AlertStatus.SHELVED and board.banner() == []
    clock.advance(minutes=11)
    assert board.expire_shelves() == [again]
    assert again.status is AlertStatus.ACTIVE and board.banner() == [again]
    assert [e.action for e in again.audit] == ["raised", "unshelved"]
    assert again.audit[1].actor == "system"
    # and after the shelf, new episodes are announced again
    board.apply(cleared(CRIT, t=500))
    assert board.apply(raised(CRIT, t=600)).status is AlertStatus.ACTIVE


def test_unshelve_by_hand_returns_to_acknowledged(board):
    alert = board.apply(raised(WARN))
    board.acknowledge(alert.key, "ada")
    board.shelve(alert.key, timedelta(hours=1), "ada")
    board.unshelve(alert.key, "bob")
    assert alert.status is AlertStatus.ACKNOWLEDGED
    assert alert.audit[-1].actor == "bob"


def test_refused_transitions(board):
    alert = board.apply(raised(WARN))
    with pytest.raises(LifecycleError, match="positive duration"):
        board.shelve(alert.key, timedelta(0), "ada")
    with pytest.raises(LifecycleError, match="not shelved"):
        board.unshelve(alert.key)
    board.apply(cleared(WARN))
    with pytest.raises(LifecycleError, match="nothing to shelve"):
        board.shelve(alert.key, timedelta(minutes=1), "ada")
    with pytest.raises(LifecycleError, match="no alert 99"):
        board.acknowledge(99, "ada")


def test_end_of_stream_clears_open_episodes(board):
    up = board.apply(raised(CRIT))
    board.acknowledge(up.key, "ada")
    done = board.apply(raised(WARN, value=50))
    board.apply(cleared(WARN))
    assert board.close_open() == [up]
    assert up.status is AlertStatus.CLEARED and up.cleared_time_s is None
    assert up.audit[-1].comment == "stream ended"
    assert done.audit[-1].comment is None
    # a new stream raises a new alert for the same threshold
    assert board.apply(raised(CRIT)).key != up.key


def test_an_alert_up_when_its_source_ended_needs_attention_until_acknowledged(board):
    """Its condition was not seen to clear: a warning up when the source ended left the
    current alerts at once, as one that cleared does; it now stays until acknowledged."""
    up = board.apply(raised(WARN, value=50))
    done = board.apply(raised(CRIT))
    board.apply(cleared(CRIT))
    board.acknowledge(done.key, "ada")
    board.close_open()
    assert up.source_ended and not done.source_ended
    assert board.current() == [up] and not up.on_banner  # (a warning: no banner)
    board.acknowledge(up.key, "ada")
    assert board.current() == []


def test_worst_value_of_an_open_episode_follows_the_engine(board):
    alert = board.apply(raised(CRIT, value=4.25))
    assert board.note_worst(CRIT, 4.4) and alert.worst_value == 4.4
    assert not board.note_worst(CRIT, 4.4)
    assert not board.note_worst(WARN, 50.0)  # nothing open for it
    assert [e.action for e in alert.audit] == ["raised"]


def test_an_alarm_up_when_its_source_ended_leads_one_that_cleared(board, clock):
    """Not seen to clear, it ranks with the alarms still up (on the banner and among the
    current alerts), before a critical one that cleared within the samples."""
    other = Threshold("cell_v_min", "below", level=2.5, severity="critical")
    up = board.apply(raised(CRIT))
    gone = board.apply(raised(other, value=2.4))
    board.apply(cleared(other))
    board.close_open()
    assert up.source_ended and gone.cleared and not gone.source_ended
    assert board.banner() == [up, gone]
    assert board.current() == [up, gone]
