"""Alert notifications by webhook (JSON POST) and e-mail (SMTP), off the acquisition path.

:class:`Notifier` owns one worker thread and a queue: :meth:`Notifier.submit`
only appends (it never waits for the network, and drops the oldest entry
when the queue is full rather than block), the worker sends, and a failed
send is retried with exponential back-off. Each channel takes the
severities it is configured for. Stdlib only (urllib, smtplib).
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import smtplib
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage

from app.core.errors import BatteryOSError
from app.core.results import Severity

log = logging.getLogger(__name__)


class NotifyError(BatteryOSError):
    """A notification could not be delivered (the message says where and why)."""


@dataclass(frozen=True)
class Notification:
    """What is sent: a one-line subject, a text body and the JSON payload of the webhook."""

    severity: Severity
    subject: str
    body: str
    payload: dict = field(default_factory=dict)


class WebhookSender:
    """POSTs the notification's payload as JSON to ``url``; any 2xx is success."""

    def __init__(self, url: str, timeout_s: float = 10.0):
        if not url.startswith(("http://", "https://")):
            raise NotifyError(f"webhook URL must start with http:// or https://, got {url!r}")
        self.url = url
        self.timeout_s = timeout_s

    @property
    def name(self) -> str:
        return f"webhook {self.url}"

    def send(self, notification: Notification) -> None:
        body = json.dumps(notification.payload).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "battery-os"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            raise NotifyError(f"{self.name}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise NotifyError(f"{self.name}: {reason}") from None


class EmailSender:
    """Sends a plain-text e-mail through an SMTP server (optionally STARTTLS and login)."""

    def __init__(
        self,
        host: str,
        sender: str,
        recipients: Iterable[str],
        *,
        port: int = 25,
        starttls: bool = False,
        user: str = "",
        password: str = "",
        timeout_s: float = 10.0,
    ):
        self.host, self.port = host, port
        self.sender = sender
        self.recipients = [r for r in recipients if r]
        if not host or not sender or not self.recipients:
            raise NotifyError("e-mail needs an SMTP host, a sender and at least one recipient")
        self.starttls, self.user, self.password = starttls, user, password
        self.timeout_s = timeout_s

    @property
    def name(self) -> str:
        return f"e-mail via {self.host}:{self.port}"

    def send(self, notification: Notification) -> None:
        message = EmailMessage()
        message["Subject"] = notification.subject
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content(notification.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise NotifyError(f"{self.name}: {exc}") from None


@dataclass(frozen=True)
class Channel:
    """A sender and the severities it is for."""

    sender: WebhookSender | EmailSender
    severities: frozenset[Severity]

    def wants(self, severity: Severity) -> bool:
        return severity in self.severities


@dataclass(frozen=True)
class Delivery:
    """The outcome of one notification on one channel (told to the listeners)."""

    channel: str
    subject: str
    ok: bool
    attempts: int
    error: str | None = None


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    channel: Channel = field(compare=False)
    notification: Notification = field(compare=False)
    attempt: int = field(default=0, compare=False)


class Notifier:
    """Sends notifications to ``channels`` in a worker thread, with retries.

    A send that fails is tried again after ``backoff_s``, then twice that,
    ... (at most ``max_backoff_s``), ``retries`` times in all after the first
    try. Close with :meth:`close` (it also works as a context manager).
    """

    def __init__(
        self,
        channels: Iterable[Channel],
        *,
        retries: int = 4,
        backoff_s: float = 2.0,
        max_backoff_s: float = 300.0,
        max_queued: int = 1000,
    ):
        self.channels = list(channels)
        self.retries, self.backoff_s, self.max_backoff_s = retries, backoff_s, max_backoff_s
        self.max_queued = max_queued
        self.listeners: list[Callable[[Delivery], None]] = []
        self.sent = self.failed = self.dropped = 0
        self.last_error: str | None = None
        self._jobs: list[_Job] = []
        self._seq = itertools.count()
        self._busy = 0
        self._cv = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None

    # --- producer side (never blocks on the network) ---------------------------
    def submit(self, notification: Notification) -> int:
        """Queue ``notification`` for every channel that wants its severity; how many."""
        targets = [c for c in self.channels if c.wants(notification.severity)]
        if not targets:
            return 0
        with self._cv:
            if self._closing:
                return 0
            for channel in targets:
                if len(self._jobs) >= self.max_queued:
                    # drop the oldest rather than block or grow without bound
                    self._jobs.remove(min(self._jobs, key=lambda j: j.seq))
                    heapq.heapify(self._jobs)
                    self.dropped += 1
                heapq.heappush(
                    self._jobs, _Job(time.monotonic(), next(self._seq), channel, notification)
                )
            self._start()
            self._cv.notify_all()
        return len(targets)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is queued or being sent (retries included)."""
        with self._cv:
            return self._cv.wait_for(lambda: not self._jobs and not self._busy, timeout)

    def close(self, timeout: float | None = 5.0) -> None:
        """Stop the worker; what is still queued is dropped (and counted)."""
        with self._cv:
            self._closing = True
            self.dropped += len(self._jobs)
            self._jobs.clear()
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> Notifier:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- worker -------------------------------------------------------------------
    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="alert-notifier", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._closing:
                    if self._jobs and self._jobs[0].due <= time.monotonic():
                        break
                    wait = self._jobs[0].due - time.monotonic() if self._jobs else None
                    self._cv.wait(wait)
                if self._closing:
                    return
                job = heapq.heappop(self._jobs)
                self._busy += 1
            try:
                self._attempt(job)
            finally:
                with self._cv:
                    self._busy -= 1
                    self._cv.notify_all()

    def _attempt(self, job: _Job) -> None:
        sender = job.channel.sender
        try:
            sender.send(job.notification)
        except Exception as exc:  # any failure of a sender is retried, never fatal
            error = str(exc) if isinstance(exc, NotifyError) else f"{sender.name}: {exc!r}"
            self.last_error = error
            if job.attempt < self.retries:
                delay = min(self.backoff_s * 2**job.attempt, self.max_backoff_s)
                log.info("%s; retry in %.1f s", error, delay)
                with self._cv:
                    if not self._closing:
                        job.attempt += 1
                        job.due = time.monotonic() + delay
                        heapq.heappush(self._jobs, job)
                return
            log.warning("giving up: %s", error)
            self.failed += 1
            self._tell(
                Delivery(sender.name, job.notification.subject, False, job.attempt + 1, error)
            )
            return
        self.sent += 1
        self._tell(Delivery(sender.name, job.notification.subject, True, job.attempt + 1))

    def _tell(self, delivery: Delivery) -> None:
        for listener in list(self.listeners):
            try:
                listener(delivery)
            except Exception:  # a listener's bug must not kill the worker
                log.exception("notification listener failed")


def notification_for(alert, action: str = "raised") -> Notification:
    """The notification of ``alert`` (a :class:`~.lifecycle.Alert`) being raised,
    cleared, or still up when its source ended (``source_ended``: no longer watched,
    not cleared; a receiver should not resolve its incident on it)."""
    from app.diagnostics.alerts.metrics import metric_label, metric_value_text

    th = alert.threshold
    severity = th.severity
    what = {"raised": "ALERT", "source_ended": "up when its source ended"}.get(action, "cleared")
    # people read the subject and the text (the rule's words, the metric's name and
    # unit); the payload keeps the machine's keys for whoever parses it
    subject = f"[Battery OS] {severity.value.upper()} {what}: {th.words(full=False)}"
    lines = [
        f"{metric_label(th.metric)} = {metric_value_text(th.metric, alert.value)}"
        f" (level {metric_value_text(th.metric, alert.threshold_value)})",
        f"rule: {th.words()} [{severity.value}]",
        f"raised at {alert.raised_at.isoformat()} (t = {alert.raised_time_s:.1f} s)",
    ]
    if alert.cleared_at is not None:
        worst = metric_value_text(th.metric, alert.worst_value)
        gone = "source ended" if action == "source_ended" else "cleared"
        lines.append(f"{gone} at {alert.cleared_at.isoformat()}, worst {worst}")
    if th.profile:
        lines.append(f"battery profile: {th.profile}")
    if alert.recording_id is not None:
        lines.append(f"recording: {alert.recording_id}")
    payload = {
        "event": action,
        "severity": severity.value,
        "metric": th.metric,
        "value": alert.value,
        "worst_value": alert.worst_value,
        "threshold_value": alert.threshold_value,
        "rule": th.describe(),
        "profile": th.profile,
        "raised_at": alert.raised_at.isoformat(),
        "time_s": alert.raised_time_s,
        "cleared_at": alert.cleared_at.isoformat() if alert.cleared_at else None,
        "recording_id": alert.recording_id,
    }
    return Notification(severity, subject, "\n".join(lines) + "\n", payload)


def channels_from_settings(settings, smtp_password: str = "") -> list[Channel]:
    """The channels configured in :class:`app.core.settings.Settings` (none when unset).

    The SMTP password is not kept in the settings file; pass it (e.g. from
    ``BATTERYOS_SMTP_PASSWORD``).
    """

    def severities(names) -> frozenset[Severity]:
        return frozenset(Severity(n) for n in names if n in Severity._value2member_map_)

    out = []
    if settings.webhook_url:
        out.append(
            Channel(WebhookSender(settings.webhook_url), severities(settings.webhook_severities))
        )
    if settings.smtp_host and settings.email_to:
        sender = EmailSender(
            settings.smtp_host,
            settings.email_from or f"battery-os@{settings.smtp_host}",
            settings.email_to,
            port=settings.smtp_port,
            starttls=settings.smtp_starttls,
            user=settings.smtp_user,
            password=smtp_password,
        )
        out.append(Channel(sender, severities(settings.email_severities)))
    return out
