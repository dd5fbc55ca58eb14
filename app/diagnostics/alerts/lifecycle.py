"""The lifecycle of raised alerts, with its audit trail (Qt-free model).

::

    raised ──▶ active ──acknowledge──▶ acknowledged ──condition clears──▶ cleared
                 │  ▲                        │
              shelve│ shelf expires          shelve
                 ▼  │                        ▼
                shelved ──condition clears──▶ cleared

Clearing ends an episode whatever its state; acknowledging is allowed before
or after the clear, and an unacknowledged critical alert stays on the banner
until someone acknowledges it, even once its condition has cleared. An episode
still up when its source ends (a log played to its end, a simulated run done, a
source disconnected or given up: :meth:`AlertBoard.close_open`) is closed with no
time in the samples: its condition is no longer watched, not seen to clear, so it
reads "up when its source ended" and stays among the current alerts, whatever
its severity, until someone acknowledges it. Shelving
silences a threshold for a period: its alert, and any new episode of the same
threshold until the shelf expires, is kept (and recorded) but not announced.
Every change appends an :class:`AuditEntry` and is told to the listeners
(the views, the database writer, the notifier).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from app.core.errors import BatteryOSError
from app.core.results import Severity
from app.core.schema import CELL_TEMPERATURE_RE, CELL_VOLTAGE_RE, cell_temperature_column
from app.diagnostics.alerts.evaluator import AlertEvent, EventKind
from app.diagnostics.alerts.metrics import FAULT_PREFIX
from app.diagnostics.alerts.thresholds import Threshold

#: The actor of changes nobody made by hand (raise, clear, shelf expiry).
SYSTEM_ACTOR = "system"


class AlertStatus(StrEnum):
    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    SHELVED = "shelved"
    CLEARED = "cleared"


class AuditAction(StrEnum):
    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    SHELVED = "shelved"
    UNSHELVED = "unshelved"
    CLEARED = "cleared"
    #: the detector withdrew the alarm on later evidence (the comment says why)
    WITHDRAWN = "withdrawn"


class LifecycleError(BatteryOSError):
    """A change the alert's state does not allow (acknowledge twice, shelve a cleared alert)."""


@dataclass(frozen=True)
class AuditEntry:
    alert_key: int
    action: AuditAction
    at: datetime
    actor: str = SYSTEM_ACTOR
    comment: str | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class TimeBase:
    """What wall-clock time a sample's ``time_s`` stands for. A live source's samples
    are judged as they arrive, so an alert's ``raised_at`` is their time
    (``live``); a recorded log replayed now began at its own ``start_utc`` (None:
    the file does not say), and the time of its alerts is ``start_utc + time_s``,
    not the moment of the replay."""

    live: bool = True
    start_utc: datetime | None = None

    def clock(self, time_s: float | None, received_at: datetime | None) -> datetime | None:
        """The wall-clock time of the sample at ``time_s`` (None: unknown)."""
        if self.live:
            return received_at
        if self.start_utc is None or time_s is None:
            return None
        return self.start_utc + timedelta(seconds=time_s)


LIVE = TimeBase()


@dataclass
class Alert:
    """One episode of one threshold and what people did about it.

    ``raised_time_s``/``cleared_time_s`` are times in the recording (the
    samples'), ``raised_at``/``cleared_at`` wall-clock UTC. ``value`` is the
    metric when raised, ``worst_value`` the furthest beyond the level so far.
    For a rule on a detected fault, ``fault`` is the fault when raised and
    ``latest_fault`` as last known (``analyze --json`` shape: channel, detail).
    """

    key: int
    threshold: Threshold
    status: AlertStatus
    raised_at: datetime
    raised_time_s: float
    value: float
    threshold_value: float
    worst_value: float
    recording_id: int | None = None
    cleared_at: datetime | None = None
    cleared_time_s: float | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    comment: str | None = None
    shelved_until: datetime | None = None
    audit: list[AuditEntry] = field(default_factory=list)
    #: how ``raised_time_s``/``cleared_time_s`` read as wall-clock times
    time_base: TimeBase = LIVE
    fault: dict | None = None
    latest_fault: dict | None = None
    #: a fault alarm the detector withdrew on later evidence: why, in words
    #: ("cell 2's internal short explains the heat"); see :func:`withdrawn_onsets`
    withdrawn: str | None = None

    @property
    def severity(self) -> Severity:
        return self.threshold.severity

    @property
    def details(self) -> tuple[str | None, str | None]:
        """A fault rule's figures in words, when raised and as last known (its value,
        1, says only "detected"); (None, None) for a rule on a number. The alert
        history stores them, a report prints them."""
        from app.diagnostics.faults.text import fault_summary

        return (
            fault_summary(self.fault) or None,
            fault_summary(self.latest_fault or self.fault) or None,
        )

    @property
    def metric(self) -> str:
        return self.threshold.metric

    @property
    def cleared(self) -> bool:
        return self.cleared_at is not None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def source_ended(self) -> bool:
        """Still up when its source ended (:meth:`AlertBoard.close_open`): closed with no
        time in the samples, its condition no longer watched rather than seen to clear
        (stored so: ``cleared_at`` set, ``cleared_time_s`` null)."""
        return self.cleared and self.cleared_time_s is None

    @property
    def on_banner(self) -> bool:
        """Critical, not acknowledged and not shelved: stays in view, cleared or
        not (one that was shelved has been seen, and leaves when it clears)."""
        return (
            self.unacknowledged_critical
            and self.status is not AlertStatus.SHELVED
            and not (self.cleared and any(e.action is AuditAction.SHELVED for e in self.audit))
            # a runaway alarm the detector put down to a short is not a critical matter
            # of its own: the short's alert leads; it waits on the Alerts page
            and not (self.cleared and self.withdrawn)
        )

    @property
    def unacknowledged_critical(self) -> bool:
        return self.severity is Severity.CRITICAL and not self.acknowledged

    @property
    def needs_attention(self) -> bool:
        """Shown among the current alerts: still up, a critical one nobody acknowledged,
        or one still up when its source ended that nobody acknowledged (whatever its
        severity: nobody saw its condition clear)."""
        return (
            not self.cleared
            or self.on_banner
            or (self.unacknowledged_critical and self.withdrawn)
            or (self.source_ended and not self.acknowledged)
        )


def state_text(
    status: str,
    *,
    acknowledged: bool,
    critical: bool,
    shelved_until: datetime | None = None,
    withdrawn: str | None = None,
    source_ended: bool = False,
) -> str:
    """The words for an alert's state, the same on every page (the Alerts page's
    lifecycle and the History page's stored row): ``status`` is an
    :class:`AlertStatus` value, or a stored ``alert_history.state`` (the same
    values, and ``withdrawn``: a cleared alert the detector withdrew). A cleared
    alert says whether it was acknowledged ("acknowledged, cleared"); a critical
    one nobody acknowledged says so ("cleared, not acknowledged"). One the
    detector withdrew on later evidence says so, and why ("withdrawn, not
    acknowledged: cell 2's internal short explains the heat"), not only that it
    cleared. One still up when its source ended (``source_ended``: cleared with no
    time in the samples, :meth:`AlertBoard.close_open`) is not said to have cleared:
    its condition was no longer watched ("up when its source ended, not
    acknowledged")."""
    if str(status) == WITHDRAWN_STATE:
        status, withdrawn = AlertStatus.CLEARED, withdrawn or "no reason kept"
    status = AlertStatus(str(status))
    if withdrawn and status is AlertStatus.CLEARED:
        if acknowledged:
            return f"acknowledged, withdrawn: {withdrawn}"
        return (
            f"withdrawn, not acknowledged: {withdrawn}" if critical else f"withdrawn: {withdrawn}"
        )
    if status is AlertStatus.SHELVED:
        if shelved_until is None:
            return "shelved"
        return f"shelved until {shelved_until.astimezone():%H:%M}"
    if status is AlertStatus.CLEARED:
        gone = "up when its source ended" if source_ended else "cleared"
        if acknowledged:
            return f"acknowledged, {gone}"
        return f"{gone}, not acknowledged" if critical else gone
    return "acknowledged" if acknowledged else status.value


Listener = Callable[[Alert, AuditEntry], None]

#: The stored state of a cleared alert the detector withdrew (``alert_history.state``).
WITHDRAWN_STATE = "withdrawn"

#: The rule on a thermal-runaway onset (its alert may be withdrawn).
RUNAWAY_METRIC = "fault_thermal_runaway_onset"


def withdrawal_reason(
    fault: dict | None, raised_time_s: float, withdrawals: list[dict]
) -> str | None:
    """Why a runaway-onset alert on ``fault``, raised at ``raised_time_s``, is withdrawn
    (one of :func:`withdrawn_onsets`' withdrawals: the same cell, raised from the
    withdrawn alarm's start on and before the short that explains it was
    confirmed), or None."""
    if not fault:
        return None
    raised = float((fault.get("detail") or {}).get("detected_time_s", raised_time_s))
    for w in withdrawals:
        if (
            fault.get("channel") == w["channel"]
            and float(fault.get("start_time_s", -1.0)) >= w["start_time_s"]
            and raised <= w["short_detected_s"]
        ):
            return w["reason"]
    return None


def withdrawn_onsets(faults) -> list[dict]:
    """The runaway-onset alarms the fault detector withdrew as an internal short's
    heat, from its faults (``analyze --json`` shape): the short on the cell says so
    in its detail (``withdrawn_onset_start_s``, ``withdrawn_onset_detected_s``; see
    :func:`app.diagnostics.faults.detector._short_or_runaway`). Each: the onset's
    ``channel`` (the cell's temperature), its earliest ``start_time_s``, when the
    short was confirmed (``short_detected_s``) and the ``reason`` in words."""
    out = []
    for f in faults or ():
        detail = f.get("detail") or {}
        start = detail.get("withdrawn_onset_start_s")
        # (a short found by its heat alone, in a log without cell voltages, is on the
        # cell's temperature)
        channel = str(f.get("channel"))
        m = CELL_VOLTAGE_RE.match(channel) or CELL_TEMPERATURE_RE.match(channel)
        if f.get("kind") != "internal_short" or start is None or not m:
            continue
        cell = int(m.group(1))
        out.append(
            {
                "channel": cell_temperature_column(cell),
                "start_time_s": float(start),
                "short_detected_s": float(detail.get("detected_time_s", f["start_time_s"])),
                "reason": f"cell {cell}'s internal short explains the heat",
            }
        )
    return out


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AlertBoard:
    """The alerts of a session: fed :class:`AlertEvent` s, changed by people."""

    def __init__(self, clock: Callable[[], datetime] = _utcnow):
        self.clock = clock
        self.alerts: dict[int, Alert] = {}
        self._keys = itertools.count(1)
        self._open: dict[Threshold, int] = {}  # threshold -> key of its uncleared alert
        self._shelves: dict[Threshold, datetime] = {}
        self.listeners: list[Listener] = []

    # --- events from the evaluator ------------------------------------------
    def apply(
        self, event: AlertEvent, recording_id: int | None = None, time_base: TimeBase = LIVE
    ) -> Alert | None:
        """Open or close the episode of ``event``; the alert concerned (None for
        a clear of an episode this board never saw). ``time_base``: the source's
        (see :class:`TimeBase`), kept with a raised alert."""
        self.expire_shelves()
        th = event.threshold
        if event.kind is EventKind.RAISED:
            now = self.clock()
            shelved = self._shelves.get(th)
            alert = Alert(
                key=next(self._keys),
                threshold=th,
                status=AlertStatus.SHELVED if shelved else AlertStatus.ACTIVE,
                raised_at=now,
                raised_time_s=event.time_s,
                value=event.value,
                threshold_value=event.threshold_value,
                worst_value=event.value,
                recording_id=recording_id,
                shelved_until=shelved,
                time_base=time_base,
                fault=event.fault,
                latest_fault=event.fault,
            )
            self.alerts[alert.key] = alert
            self._open[th] = alert.key
            self._log(alert, AuditAction.RAISED, until=shelved)
            return alert
        key = self._open.pop(th, None)
        if key is None:
            return None
        alert = self.alerts[key]
        alert.cleared_at = self.clock()
        alert.cleared_time_s = event.time_s
        alert.worst_value = event.value
        if event.fault is not None:
            alert.latest_fault = event.fault
        alert.status = AlertStatus.CLEARED
        self._log(alert, AuditAction.CLEARED)
        return alert

    def open_alert(self, threshold: Threshold) -> Alert | None:
        """``threshold``'s alert still up (None: none)."""
        key = self._open.get(threshold)
        return None if key is None else self.alerts[key]

    def note_worst(self, threshold: Threshold, worst: float) -> bool:
        """The worst value so far of ``threshold``'s episode still up (no audit
        entry: it is a reading, not a change of state); True if it changed."""
        key = self._open.get(threshold)
        if key is None or self.alerts[key].worst_value == worst:
            return False
        self.alerts[key].worst_value = worst
        return True

    def note_fault(self, threshold: Threshold, fault: dict) -> bool:
        """The fault, as last known, of ``threshold``'s alert still up (no audit
        entry); True if it changed."""
        key = self._open.get(threshold)
        if key is None or self.alerts[key].latest_fault == fault:
            return False
        self.alerts[key].latest_fault = fault
        return True

    def note_withdrawn(self, withdrawals: list[dict]) -> list[Alert]:
        """Mark each runaway-onset alert the detector has since withdrawn
        (:func:`withdrawn_onsets`): one on the same cell, raised from the withdrawn
        alarm's start on and before the short that explains it was confirmed. Its
        state then reads 'withdrawn: <why>' once it clears, not 'cleared'; the
        withdrawal is an audit entry (the reason its comment), told to the
        listeners (the database writer stores it). The alerts marked now."""
        changed = []
        for alert in self.alerts.values():
            if alert.withdrawn or alert.metric != RUNAWAY_METRIC:
                continue
            reason = withdrawal_reason(alert.fault, alert.raised_time_s, withdrawals)
            if reason is not None:
                alert.withdrawn = reason
                self._log(alert, AuditAction.WITHDRAWN, comment=reason)
                changed.append(alert)
        return changed

    def close_open(self) -> list[Alert]:
        """The stream ended: every episode still up is cleared (its condition is
        no longer watched), with no recording time."""
        closed = []
        for key in list(self._open.values()):
            alert = self.alerts[key]
            self._open.pop(alert.threshold, None)
            alert.cleared_at = self.clock()
            alert.status = AlertStatus.CLEARED
            self._log(alert, AuditAction.CLEARED, comment="stream ended")
            closed.append(alert)
        return closed

    # --- what people do -------------------------------------------------------
    def acknowledge(self, key: int, actor: str, comment: str | None = None) -> Alert:
        """``actor`` has seen the alert (before or after it cleared)."""
        alert = self._get(key)
        if alert.acknowledged:
            raise LifecycleError(f"alert {key} was acknowledged already by {alert.acknowledged_by}")
        alert.acknowledged_at = self.clock()
        alert.acknowledged_by = actor
        alert.comment = comment or None
        if alert.status is AlertStatus.ACTIVE:
            alert.status = AlertStatus.ACKNOWLEDGED
        self._log(alert, AuditAction.ACKNOWLEDGED, actor=actor, comment=comment or None)
        return alert

    def shelve(
        self, key: int, duration: timedelta, actor: str, comment: str | None = None
    ) -> Alert:
        """Silence the alert's threshold for ``duration`` (this episode and new ones)."""
        alert = self._get(key)
        if alert.cleared:
            raise LifecycleError(f"alert {key} has cleared: there is nothing to shelve")
        if duration <= timedelta(0):
            raise LifecycleError("a shelf needs a positive duration")
        until = self.clock() + duration
        self._shelves[alert.threshold] = until
        alert.shelved_until = until
        alert.status = AlertStatus.SHELVED
        self._log(alert, AuditAction.SHELVED, actor=actor, comment=comment or None, until=until)
        return alert

    def unshelve(self, key: int, actor: str = SYSTEM_ACTOR) -> Alert:
        """End the shelf now: the alert is back as active (or acknowledged)."""
        alert = self._get(key)
        if alert.status is not AlertStatus.SHELVED:
            raise LifecycleError(f"alert {key} is not shelved")
        self._shelves.pop(alert.threshold, None)
        self._unshelve(alert, actor)
        return alert

    def expire_shelves(self) -> list[Alert]:
        """Bring back the alerts whose shelf has run out (call it on a timer)."""
        now = self.clock()
        for th, until in list(self._shelves.items()):
            if until <= now:
                del self._shelves[th]
        back = [
            a
            for a in self.alerts.values()
            if a.status is AlertStatus.SHELVED
            and a.shelved_until is not None
            and a.shelved_until <= now
        ]
        for alert in back:
            self._unshelve(alert, SYSTEM_ACTOR)
        return back

    # --- views ------------------------------------------------------------------
    def current(self) -> list[Alert]:
        """Alerts needing attention, most severe first, then those still up before
        the cleared ones (a critical alert cleared but not acknowledged must not
        lead over one going on), then newest first."""
        rank = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
        alerts = [a for a in self.alerts.values() if a.needs_attention]
        alerts.sort(key=lambda a: (a.raised_at, a.key), reverse=True)
        # (one up when its source ended was not seen to clear: with those still up)
        return sorted(alerts, key=lambda a: (rank[a.severity], a.cleared and not a.source_ended))

    def banner(self) -> list[Alert]:
        """Unacknowledged critical alerts. Those still up (or up when their source
        ended) lead, first out first (the
        first alarm of a cascade is most often its cause: a runaway's onset before
        the dead cell's low voltage), a detected fault before a limit; then the
        cleared ones, newest first."""
        alerts = [a for a in self.current() if a.on_banner]
        up = sorted(
            (a for a in alerts if not a.cleared or a.source_ended),  # (not seen to clear)
            key=lambda a: (not a.metric.startswith(FAULT_PREFIX), a.raised_at, a.key),
        )
        return up + [a for a in alerts if a.cleared and not a.source_ended]

    def history(self) -> list[Alert]:
        """Every alert of the session, newest first."""
        return sorted(self.alerts.values(), key=lambda a: a.key, reverse=True)

    # --- internals ----------------------------------------------------------------
    def _get(self, key: int) -> Alert:
        try:
            return self.alerts[key]
        except KeyError:
            raise LifecycleError(f"no alert {key}") from None

    def _unshelve(self, alert: Alert, actor: str) -> None:
        alert.shelved_until = None
        alert.status = AlertStatus.ACKNOWLEDGED if alert.acknowledged else AlertStatus.ACTIVE
        self._log(alert, AuditAction.UNSHELVED, actor=actor)

    def _log(self, alert: Alert, action: AuditAction, **details) -> None:
        entry = AuditEntry(alert.key, action, self.clock(), **details)
        alert.audit.append(entry)
        for listener in list(self.listeners):
            listener(alert, entry)
