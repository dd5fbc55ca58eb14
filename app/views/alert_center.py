"""The GUI side of alerts: events from the live engine into the lifecycle
model, people's actions on it, and what follows (database, notifications).

::

    acquisition thread ── LiveEngine alert events ──▶ inbox (deque.extend, never blocks)
    QTimer (GUI thread) ── inbox ──▶ AlertBoard ──▶ changed / alert_announced
                                        │
                                        ├──▶ AlertWriter on a SerialWorker (alert_history + audit)
                                        └──▶ Notifier thread (webhook, e-mail, retried)

Thresholds come from the database per battery profile (the defaults of the
battery's chemistry the first time a profile is seen); the live engine gets
them as soon as the source knows its battery.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.errors import BatteryOSError
from app.core.settings import Settings, current_operator
from app.core.spec import BatterySpec
from app.diagnostics.alerts import Threshold, default_thresholds, profile_name
from app.diagnostics.alerts.lifecycle import (
    SYSTEM_ACTOR,
    Alert,
    AlertBoard,
    AlertStatus,
    AuditAction,
    AuditEntry,
    TimeBase,
)
from app.views import alert_storage
from app.views.background import SerialWorker
from app.views.live_session import LiveSession

if TYPE_CHECKING:
    from app.diagnostics.alerts.notify import Notifier

log = logging.getLogger(__name__)

#: How often events are taken from the engine and shelves checked.
TICK_MS = 200
#: An alert still up has its worst value (and detail) written at most this often, s.
WORST_WRITE_S = 5.0
#: The clock of WORST_WRITE_S (a test sets its own).
_monotonic = time.monotonic


class AlertCenter(QObject):
    """Owns the session's :class:`AlertBoard`; the alert views read it and call these methods."""

    changed = Signal()  #: the board changed (banner, lists)
    alert_announced = Signal(object)  #: an Alert raised and not shelved: sound, tray
    thresholds_loaded = Signal(str, object)  #: profile, list[Threshold] in force
    problem = Signal(str)  #: storage or notification trouble, one line ("" when solved)

    def __init__(
        self,
        session: LiveSession,
        settings: Settings,
        parent: QObject | None = None,
        *,
        board: AlertBoard | None = None,
    ):
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self.board = board or AlertBoard()
        self.board.listeners.append(self._on_board_changed)
        self.profile: str | None = None
        self.thresholds: list[Threshold] = []
        self.last_problem = ""
        self._spec: BatterySpec | None = None
        self._inbox: deque = deque()
        #: the source URL each alert of the board was raised on (None: none was connected)
        self.sources: dict[int, str | None] = {}
        session.alert_outputs.append(self._inbox.extend)  # acquisition thread: append only
        # rules by profile, read by the acquisition thread when a stream starts
        self._by_profile: dict[str, list[Threshold]] = {}
        session.thresholds_for = self.rules_for
        # an episode still up when the stream ends, by itself or disconnected, is
        # closed as no longer watched (AlertBoard.close_open), not left "active"
        session.stopped.connect(self._on_stream_stopped)
        session.stream_ended.connect(self._on_stream_stopped)
        self.storage = SerialWorker("alert storage", self)
        self._writer = alert_storage.AlertWriter(session.db_url)
        self._dirty = False
        self._unsaved_worst: set[int] = set()  # alert keys whose worst moved, not yet written
        self._worst_saved_at: dict[int, float] = {}  # alert key -> _monotonic()
        self._stopped = False
        self._notifier: Notifier | None = None  # made on first use (see notifier)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_tick)
        self._timer.start()

    # --- actions of the operator ------------------------------------------------
    def operator(self) -> str:
        """Who acknowledges: the one place to swap in the signed-in user."""
        return current_operator(self.settings)

    def acknowledge(self, key: int, comment: str | None = None) -> str | None:
        """Acknowledge alert ``key``; None, or why it was refused."""
        return self._act(lambda: self.board.acknowledge(key, self.operator(), comment))

    def shelve(self, key: int, minutes: float, comment: str | None = None) -> str | None:
        duration = timedelta(minutes=minutes)
        return self._act(lambda: self.board.shelve(key, duration, self.operator(), comment))

    def unshelve(self, key: int) -> str | None:
        return self._act(lambda: self.board.unshelve(key, self.operator()))

    def _act(self, change) -> str | None:
        try:
            change()
        except BatteryOSError as exc:
            return str(exc)
        self.changed.emit()
        return None

    # --- thresholds ---------------------------------------------------------------
    def use_battery(self, spec: BatterySpec) -> None:
        """Load the thresholds of ``spec``'s profile (in the background) for the engine."""
        self._spec = spec
        profile = profile_name(spec)
        self._submit(
            lambda: alert_storage.thresholds_of(self.session.db_url, profile, spec),
            on_done=lambda rules: self._apply_thresholds(profile, rules),
            on_error=lambda exc: self._on_thresholds_failed(profile, spec, exc),
        )

    def save_thresholds(self, profile: str, rules: list[Threshold]) -> None:
        """Store ``rules`` as ``profile``'s thresholds; in force at once if it is the active one."""
        if profile == self.profile:
            self._apply_thresholds(profile, rules)  # now, and again with ids once stored
        self._submit(
            lambda: alert_storage.save_thresholds(self.session.db_url, profile, rules),
            on_done=lambda stored: self._on_thresholds_saved(profile, stored),
            on_error=lambda exc: self._report(f"thresholds not stored: {exc}"),
        )

    def rules_for(self, spec: BatterySpec) -> list[Threshold]:
        """The rules of ``spec``'s profile known now (stored ones once
        :meth:`preload` has run), else its chemistry's defaults. Never waits:
        the acquisition thread asks this when a stream starts, so a log file
        that streams in a moment is judged from its first sample."""
        profile = profile_name(spec)
        rules = self._by_profile.get(profile)
        return list(rules) if rules is not None else default_thresholds(spec, profile)

    def preload(self) -> None:
        """Read every profile's stored thresholds (in the background)."""
        self._submit(
            lambda: alert_storage.stored_thresholds(self.session.db_url, None),
            on_done=self._on_preloaded,
            on_error=lambda exc: self._report(f"alerts are not stored: {exc}"),
        )

    def _on_preloaded(self, rules: list[Threshold]) -> None:
        by_profile: dict[str, list[Threshold]] = {}
        for rule in rules:
            by_profile.setdefault(rule.profile, []).append(rule)
        for profile, group in by_profile.items():
            self._by_profile.setdefault(profile, group)  # a newer load wins

    def load_thresholds(self, profile: str, on_done) -> None:
        """The stored thresholds of any ``profile`` (for the editor), in the background."""
        self._submit(
            lambda: alert_storage.stored_thresholds(self.session.db_url, profile),
            on_done=on_done,
            on_error=lambda exc: self._report(f"thresholds not loaded: {exc}"),
        )

    def load_profiles(self, on_done) -> None:
        """The profiles that have stored thresholds, in the background."""
        self._submit(
            lambda: alert_storage.profiles(self.session.db_url),
            on_done=on_done,
            on_error=lambda exc: self._report(f"alert profiles not loaded: {exc}"),
        )

    def defaults(self) -> list[Threshold]:
        """The defaults of the current battery (or of an NMC cell when none is connected)."""
        from app.core.spec import preset

        spec = self._spec or preset("nmc")
        return default_thresholds(spec, self.profile or profile_name(spec))

    def _apply_thresholds(self, profile: str, rules: list[Threshold]) -> None:
        self.profile, self.thresholds = profile, list(rules)
        self._by_profile[profile] = self.thresholds
        self.session.set_thresholds(self.thresholds)
        self.thresholds_loaded.emit(profile, self.thresholds)

    def _on_thresholds_saved(self, profile: str, stored: list[Threshold]) -> None:
        self._by_profile[profile] = list(stored)
        if profile == self.profile:
            self._apply_thresholds(profile, stored)
        self._report("")

    def _on_thresholds_failed(self, profile: str, spec: BatterySpec, exc: BaseException) -> None:
        # no database: the chemistry's defaults still guard the battery
        self._apply_thresholds(profile, default_thresholds(spec, profile))
        self._report(f"alerts are not stored: {exc}")

    def reconfigure_notifications(self) -> None:
        """The notification settings changed: a new notifier (the old one's queue is dropped)."""
        if self._notifier is not None:
            self._notifier.close(timeout=2.0)
        self._report("")
        self._notifier = None

    # --- life -------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.storage.busy

    def stop(self) -> None:
        """Take the last events, then stop the timer and the notifier (the window
        closes). Changes already made are still stored; no new work starts."""
        if self._stopped:
            return
        self._on_tick()
        self._stopped = True
        self._timer.stop()
        if self._notifier is not None:
            self._notifier.close(timeout=2.0)

    def wait(self, timeout: float | None = None) -> bool:
        return self.storage.wait(timeout)

    # --- internals --------------------------------------------------------------------
    def _submit(self, fn, **callbacks) -> None:
        # Nothing new once stopped: callbacks of finished jobs may still run
        # from the event loop after the window has joined the worker.
        if not self._stopped:
            self.storage.submit(fn, **callbacks)

    @property
    def notifier(self) -> Notifier:
        """Sends webhooks and e-mail as the settings say (built when first needed)."""
        if self._notifier is None:
            self._notifier = self._make_notifier()
        return self._notifier

    def _make_notifier(self) -> Notifier:
        # smtplib, urllib and email cost ~0.1 s to import: not before the window paints
        from app.diagnostics.alerts.notify import Notifier, NotifyError, channels_from_settings

        try:
            channels = channels_from_settings(
                self.settings, os.environ.get("BATTERYOS_SMTP_PASSWORD", "")
            )
        except (NotifyError, ValueError) as exc:
            self._report(f"notifications are off: {exc}")
            channels = []
        return Notifier(channels)

    def _on_tick(self) -> None:
        spec = self.session.spec
        if spec is not None and spec != self._spec and not self._stopped:
            self.use_battery(spec)
        recording_id = self.session.recording_id
        time_base = self._time_base() if self._inbox else None
        while self._inbox:
            alert = self.board.apply(self._inbox.popleft(), recording_id, time_base)
            if alert is not None:  # events of a stream come before it is stopped
                self.sources.setdefault(alert.key, self.session.source_url)
        noted = [
            threshold
            for threshold, worst in self.session.open_alert_worst().items()
            if self.board.note_worst(threshold, worst)
        ] + [
            threshold
            for threshold, fault in self.session.open_alert_faults().items()
            if self.board.note_fault(threshold, fault)
        ]
        self._dirty |= bool(noted)
        # a runaway alarm the detector withdrew says so (and why), not only 'cleared'
        # (each withdrawal is an audit entry: _on_board_changed stores it)
        self._dirty |= bool(self.board.note_withdrawn(self.session.withdrawn_alarms()))
        self._store_worst(noted)
        self.board.expire_shelves()
        if self._dirty:
            self._dirty = False
            self.changed.emit()

    def _store_worst(self, noted: list[Threshold]) -> None:
        """Write the worst value and detail the live view shows of the alerts still
        up to their rows, each at most every :data:`WORST_WRITE_S` (a rising
        temperature moves its worst on every tick): one written now, the rest on a
        later tick (the clear writes the final worst in any case)."""
        for threshold in noted:
            alert = self.board.open_alert(threshold)
            if alert is not None:
                self._unsaved_worst.add(alert.key)
        now = _monotonic()
        for key in list(self._unsaved_worst):
            alert = self.board.alerts[key]
            if now - self._worst_saved_at.get(key, -math.inf) >= WORST_WRITE_S:
                self._unsaved_worst.discard(key)
                self._worst_saved_at[key] = now
                self._write(_change(alert, alert_storage.NOTED, now=self.board.clock()))

    def _write(self, change: alert_storage.AlertChange) -> None:
        self._submit(
            lambda: self._writer.write(change),
            on_error=lambda exc: self._report(f"alert not stored: {exc}"),
        )

    def _time_base(self) -> TimeBase:
        """The time base of the source's samples: a log file (its ``metadata``) began
        at its ``start_utc`` when it says so; any other source is live."""
        acquisition = self.session.acquisition
        metadata = getattr(acquisition.source if acquisition else None, "metadata", None)
        if not isinstance(metadata, dict):
            return TimeBase()
        try:
            start = datetime.fromisoformat(metadata.get("start_utc") or "")
        except ValueError:
            return TimeBase(live=False)
        return TimeBase(live=False, start_utc=start if start.tzinfo else start.replace(tzinfo=UTC))

    def _on_stream_stopped(self) -> None:
        self._on_tick()  # the last events of the stream first
        self.board.close_open()
        self._on_tick()

    def _on_board_changed(self, alert: Alert, entry: AuditEntry) -> None:
        self._dirty = True
        self._write(_change(alert, entry.action.value, entry))
        if entry.action is AuditAction.CLEARED:  # its final worst goes with the clear
            self._unsaved_worst.discard(alert.key)
            self._worst_saved_at.pop(alert.key, None)
        if self._stopped:
            return
        from app.diagnostics.alerts.notify import notification_for

        if entry.action is AuditAction.RAISED and alert.status is AlertStatus.ACTIVE:
            self.notifier.submit(notification_for(alert))
            self.alert_announced.emit(alert)
        elif entry.action is AuditAction.CLEARED and not _was_shelved(alert):
            # receivers that opened an incident for the raise can resolve it; one up
            # when its source ended was not seen to clear: said so, not "cleared"
            action = "source_ended" if alert.source_ended else "cleared"
            self.notifier.submit(notification_for(alert, action))

    def _report(self, message: str) -> None:
        if message != self.last_problem:
            self.last_problem = message
            if message:
                log.warning("%s", message)
            self.problem.emit(message)


def _change(
    alert: Alert, action: str, entry: AuditEntry | None = None, *, now: datetime | None = None
) -> alert_storage.AlertChange:
    """What the storage worker writes of ``alert`` (a copy: the board goes on changing)."""
    # a fault rule's numbers say only "detected": its figures go in words
    detail, worst_detail = alert.details
    return alert_storage.AlertChange(
        key=alert.key,
        action=action,
        at=entry.at if entry is not None else now,
        actor=entry.actor if entry is not None else SYSTEM_ACTOR,
        comment=entry.comment if entry is not None else None,
        until=entry.until if entry is not None else None,
        metric=alert.metric,
        severity=alert.severity.value,
        threshold_id=alert.threshold.id,
        recording_id=alert.recording_id,
        value=alert.value,
        threshold_value=alert.threshold_value,
        worst_value=alert.worst_value,
        raised_time_s=alert.raised_time_s,
        cleared_time_s=alert.cleared_time_s,
        detail=detail,
        worst_detail=worst_detail,
    )


def _was_shelved(alert: Alert) -> bool:
    return any(e.action is AuditAction.SHELVED for e in alert.audit) or (
        alert.audit[0].until is not None  # raised while its threshold was shelved
    )
