"""Notifications: webhook against a local HTTP server, e-mail against a local
SMTP server, retries with back-off, and a submit that never waits on the network."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from app.core.results import Severity
from app.diagnostics.alerts import AlertEvent, EventKind, Threshold
from app.diagnostics.alerts.lifecycle import AlertBoard
from app.diagnostics.alerts.notify import (
    Channel,
    EmailSender,
    Notification,
    Notifier,
    NotifyError,
    WebhookSender,
    notification_for,
)
from tests.local_servers import smtp_server, webhook_server

ALL = frozenset(Severity)


@pytest.fixture(autouse=True)
def no_dangling_threads():
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"


def _note(severity=Severity.CRITICAL, subject="cell_v_max above 4.2"):
    return Notification(severity, subject, "body\n", {"metric": "cell_v_max", "value": 4.31})


def test_webhook_is_retried_until_it_succeeds():
    with webhook_server(fail_first=2) as server:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        deliveries = []
        with Notifier([Channel(WebhookSender(url), ALL)], backoff_s=0.01) as notifier:
            notifier.listeners.append(deliveries.append)
            assert notifier.submit(_note()) == 1
            assert notifier.wait_idle(10)
        assert len(server.requests) == 3
        assert server.requests[0] == ("application/json", {"metric": "cell_v_max", "value": 4.31})
        assert notifier.sent == 1 and notifier.failed == 0
        assert [(d.ok, d.attempts) for d in deliveries] == [(True, 3)]
        assert "HTTP 503" in notifier.last_error


def test_webhook_gives_up_after_its_retries():
    with webhook_server(fail_first=100) as server:
        url = f"http://127.0.0.1:{server.server_port}/"
        deliveries = []
        with Notifier([Channel(WebhookSender(url), ALL)], retries=2, backoff_s=0.01) as notifier:
            notifier.listeners.append(deliveries.append)
            notifier.submit(_note())
            assert notifier.wait_idle(10)
        assert len(server.requests) == 3 and notifier.failed == 1
        assert deliveries[0].ok is False and "HTTP 503" in deliveries[0].error


def test_submit_never_waits_for_a_slow_server():
    gate = threading.Event()
    with webhook_server(gate=gate) as server:
        url = f"http://127.0.0.1:{server.server_port}/"
        with Notifier([Channel(WebhookSender(url), ALL)]) as notifier:
            for k in range(5):
                notifier.submit(_note(subject=f"n{k}"))  # returns with the server stuck
            assert not notifier.wait_idle(0.05)
            gate.set()
            assert notifier.wait_idle(10)
        assert notifier.sent == 5


def test_unreachable_webhook_is_a_clear_error():
    with webhook_server() as server:
        port = server.server_port
    with pytest.raises(NotifyError, match=f"webhook http://127.0.0.1:{port}/: .*refused"):
        WebhookSender(f"http://127.0.0.1:{port}/", timeout_s=2).send(_note())
    with pytest.raises(NotifyError, match="must start with http"):
        WebhookSender("ftp://x")


def test_email_through_smtp_per_severity():
    with smtp_server() as server:
        sender = EmailSender(
            "127.0.0.1",
            "bench@example.org",
            ["ada@example.org", "bob@example.org"],
            port=server.server_address[1],
        )
        with Notifier(
            [Channel(sender, frozenset({Severity.CRITICAL}))], backoff_s=0.01
        ) as notifier:
            assert notifier.submit(_note(Severity.WARNING)) == 0  # not for this channel
            assert notifier.submit(_note(Severity.CRITICAL, "pack over voltage")) == 1
            assert notifier.wait_idle(10)
        ((envelope, message),) = server.messages
        assert message["Subject"] == "pack over voltage"
        assert message["To"] == "ada@example.org, bob@example.org"
        assert len(envelope["rcpt"]) == 2
        assert message.get_payload().strip() == "body"


def test_email_to_a_dead_server_is_retried_then_given_up():
    with smtp_server() as server:
        port = server.server_address[1]
    sender = EmailSender("127.0.0.1", "a@b.c", ["d@e.f"], port=port, timeout_s=2)
    with Notifier([Channel(sender, ALL)], retries=1, backoff_s=0.01) as notifier:
        notifier.submit(_note())
        assert notifier.wait_idle(10)
    assert notifier.failed == 1 and "e-mail via 127.0.0.1" in notifier.last_error


def test_a_full_queue_drops_the_oldest_instead_of_blocking():
    gate = threading.Event()
    with webhook_server(gate=gate) as server:
        url = f"http://127.0.0.1:{server.server_port}/"
        with Notifier([Channel(WebhookSender(url), ALL)], max_queued=3) as notifier:
            for k in range(10):
                notifier.submit(_note(subject=f"n{k}"))
            assert notifier.dropped >= 6
            gate.set()
            assert notifier.wait_idle(10)
        assert notifier.sent + notifier.dropped == 10


def test_notification_of_an_alert():
    rule = Threshold("cell_v_max", "above", level=4.2, severity="critical", profile="rack-1")
    board = AlertBoard(lambda: datetime(2026, 5, 1, tzinfo=UTC))
    alert = board.apply(AlertEvent(EventKind.RAISED, rule, 812.0, 4.31, 4.2), recording_id=3)
    note = notification_for(alert)
    assert note.severity is Severity.CRITICAL
    # in words, not the rule's machine form ("cell_v_max above 4.2")
    assert note.subject == "[Battery OS] CRITICAL ALERT: Highest cell voltage above 4.2 V"
    assert "Highest cell voltage = 4.31 V (level 4.2 V)" in note.body
    assert "rule: Highest cell voltage above 4.2 V [critical]" in note.body
    assert "recording: 3" in note.body and "cell_v_max" not in note.body
    assert note.payload["metric"] == "cell_v_max"  # the machine's keys stay in the payload
    assert note.payload["event"] == "raised" and note.payload["time_s"] == 812.0


def test_notification_of_an_alert_up_when_its_source_ended_is_no_clear():
    """A receiver resolving its incident on "cleared" was told so for a 698 degC alarm whose
    source was merely disconnected: it is told the source ended instead."""
    rule = Threshold("temperature_max_c", "above", level=45, severity="critical")
    board = AlertBoard(lambda: datetime(2026, 5, 1, tzinfo=UTC))
    board.apply(AlertEvent(EventKind.RAISED, rule, 10.0, 46.0, 45.0))
    (alert,) = board.close_open()
    note = notification_for(alert, "source_ended")
    assert note.subject == (
        "[Battery OS] CRITICAL up when its source ended: Highest temperature above 45 °C"
    )
    assert "source ended at 2026-05-01" in note.body and "cleared" not in note.body
    assert note.payload["event"] == "source_ended"


def test_notification_of_a_cleared_alert():
    rule = Threshold("temperature_max_c", "above", level=45)
    board = AlertBoard(lambda: datetime(2026, 5, 1, tzinfo=UTC))
    board.apply(AlertEvent(EventKind.RAISED, rule, 10.0, 46.0, 45.0))
    alert = board.apply(AlertEvent(EventKind.CLEARED, rule, 70.0, 52.5, 45.0))
    note = notification_for(alert, "cleared")
    assert note.subject == "[Battery OS] WARNING cleared: Highest temperature above 45 °C"
    assert "worst 52.5 °C" in note.body
    assert note.payload["event"] == "cleared" and note.payload["cleared_at"].startswith(
        "2026-05-01"
    )
