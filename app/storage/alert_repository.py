"""Alert thresholds (per battery profile), alert history and its audit trail.

Thresholds are stored as rows of ``alert_thresholds`` and handed out as the
rule type of the evaluator (:class:`app.diagnostics.alerts.Threshold`, with
its ``id``). Every change to an alert (raised, acknowledged, shelved,
unshelved, cleared) writes an ``alert_events`` row in the same transaction:
the audit trail. Like :mod:`app.storage.repositories`, each function runs
one transaction and raises :class:`StorageError` with a one-line message.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select

from app.core.errors import SchemaError, StorageError
from app.diagnostics.alerts.thresholds import Threshold
from app.storage.database import Database
from app.storage.models import (
    AlertAction,
    AlertEvent,
    AlertHistory,
    AlertState,
    AlertThreshold,
    Comparison,
    Severity,
    User,
    utcnow,
)
from app.storage.repositories import _get, _member

# --- thresholds -------------------------------------------------------------------


def _rule(row: AlertThreshold) -> Threshold:
    return Threshold(
        metric=row.metric,
        comparison=row.comparison.value,
        level=row.level,
        clear_level=row.clear_level,
        band_low=row.band_low,
        band_high=row.band_high,
        severity=row.severity.value,
        delay_s=row.delay_s,
        enabled=row.enabled,
        profile=row.profile,
        noise_band=row.noise_band or 0.0,
        fast_level=row.fast_level,
        charge_level=row.charge_level,
        clear_delay_s=row.clear_delay_s or 0.0,
        id=row.id,
    )


def _values(rule: Threshold, profile: str) -> dict:
    return {
        "profile": profile,
        "metric": rule.metric,
        "comparison": Comparison(rule.comparison.value),
        "level": rule.level,
        "clear_level": rule.clear_level,
        "band_low": rule.band_low,
        "band_high": rule.band_high,
        "severity": Severity(rule.severity.value),
        "delay_s": rule.delay_s,
        "enabled": rule.enabled,
        "noise_band": rule.noise_band,
        "fast_level": rule.fast_level,
        "charge_level": rule.charge_level,
        "clear_delay_s": rule.clear_delay_s,
        "updated_at": utcnow(),
    }


def _profile(rule: Threshold, profile: str | None) -> str:
    profile = (profile if profile is not None else rule.profile).strip()
    if not profile:
        raise StorageError(f"alert threshold {rule.metric!r}: no battery profile")
    return profile


def save_threshold(
    db: Database, rule: Threshold, *, profile: str | None = None, created_by: int | None = None
) -> Threshold:
    """Store ``rule`` (a new row when its ``id`` is None, else replace that row).

    The rule's own ``profile`` is used unless ``profile`` is given. Returns the
    rule as stored, with its id.
    """
    values = _values(rule, _profile(rule, profile))
    with db.session(write=True) as session:
        if rule.id is None:
            row = AlertThreshold(created_by=created_by, **values)
            session.add(row)
        else:
            row = _get(session, AlertThreshold, rule.id, "alert threshold")
            for key, value in values.items():
                setattr(row, key, value)
        session.flush()
        return _rule(row)


def load_thresholds(
    db: Database, profile: str | None = None, *, enabled_only: bool = False
) -> list[Threshold]:
    """The thresholds of ``profile`` (all profiles when None), by profile, metric, id."""
    query = select(AlertThreshold)
    if profile is not None:
        query = query.where(AlertThreshold.profile == profile)
    if enabled_only:
        query = query.where(AlertThreshold.enabled.is_(True))
    query = query.order_by(AlertThreshold.profile, AlertThreshold.metric, AlertThreshold.id)
    with db.session() as session:
        rows = list(session.scalars(query))
    out = []
    for row in rows:
        try:
            out.append(_rule(row))
        except SchemaError as exc:  # a row written by a newer version, or by hand
            raise StorageError(f"stored alert threshold {row.id}: {exc}") from None
    return out


def replace_thresholds(
    db: Database, profile: str, rules: Iterable[Threshold], *, created_by: int | None = None
) -> list[Threshold]:
    """Make ``rules`` the thresholds of ``profile`` in one transaction (an import).

    Alerts raised by the old rows stay in the history, detached from them.
    """
    profile = profile.strip()
    if not profile:
        raise StorageError("thresholds need a battery profile")
    with db.session(write=True) as session:
        session.execute(delete(AlertThreshold).where(AlertThreshold.profile == profile))
        rows = [AlertThreshold(created_by=created_by, **_values(r, profile)) for r in rules]
        session.add_all(rows)
        session.flush()
        return [_rule(r) for r in rows]


def delete_threshold(db: Database, threshold_id: int) -> bool:
    """Delete a threshold; the alerts it raised stay in the history."""
    with db.session(write=True) as session:
        stmt = delete(AlertThreshold).where(AlertThreshold.id == threshold_id)
        return bool(session.execute(stmt).rowcount)


def list_profiles(db: Database) -> list[str]:
    """The battery profiles that have thresholds, by name."""
    with db.session() as session:
        query = select(AlertThreshold.profile).distinct().order_by(AlertThreshold.profile)
        return list(session.scalars(query))


# --- history and audit trail ---------------------------------------------------------


def _audit(
    session,
    alert: AlertHistory,
    action: AlertAction,
    *,
    at: datetime,
    actor: str,
    user_id: int | None = None,
    comment: str | None = None,
    until: datetime | None = None,
) -> int | None:
    """Append an audit entry; the user id it is attributed to."""
    if user_id is None and actor:
        # link the name to a user when there is one (the name is kept either way)
        user_id = session.scalars(select(User.id).where(User.name == actor)).first()
    session.add(
        AlertEvent(
            alert_id=alert.id,
            at=at,
            action=action,
            user_id=user_id,
            actor=actor[:64],
            comment=comment,
            until=until,
        )
    )
    return user_id


def record_alert(
    db: Database,
    metric: str,
    value: float | None,
    severity: Severity | str,
    *,
    threshold_id: int | None = None,
    recording_id: int | None = None,
    threshold_value: float | None = None,
    raised_at: datetime | None = None,
    raised_time_s: float | None = None,
    shelved_until: datetime | None = None,
    detail: str | None = None,
) -> AlertHistory:
    """Store a raised alert (``active``, or ``shelved`` when its threshold is shelved).

    ``detail``: what was measured, in words, when the numbers do not say it (a
    detected fault's channel and figures); the worst detail starts as it.
    """
    raised_at = raised_at or utcnow()
    detail = _text(detail)
    row = AlertHistory(
        metric=metric,
        value=value,
        worst_value=value,
        detail=detail,
        worst_detail=detail,
        severity=_member(Severity, severity, "severity"),
        threshold_id=threshold_id,
        recording_id=recording_id,
        threshold_value=threshold_value,
        raised_at=raised_at,
        raised_time_s=raised_time_s,
        shelved_until=shelved_until,
        state=AlertState.SHELVED if shelved_until else AlertState.ACTIVE,
    )
    with db.session(write=True) as session:
        session.add(row)
        session.flush()
        _audit(session, row, AlertAction.RAISED, at=raised_at, actor="system", until=shelved_until)
    return row


def _text(detail: str | None) -> str | None:
    """Stored detail: None for nothing said (blank)."""
    return (detail.strip() or None) if isinstance(detail, str) else None


def _note_worst(alert: AlertHistory, worst_value: float | None, worst_detail: str | None) -> bool:
    changed = False
    if worst_value is not None and worst_value != alert.worst_value:
        alert.worst_value, changed = worst_value, True
    worst_detail = _text(worst_detail)
    if worst_detail is not None and worst_detail != alert.worst_detail:
        alert.worst_detail, changed = worst_detail, True
    return changed


def note_alert_worst(
    db: Database,
    alert_id: int,
    *,
    worst_value: float | None = None,
    worst_detail: str | None = None,
) -> bool:
    """The worst value (and detail) so far of an alert still up, as the live view
    shows it: a reading, not a change of state, so no audit entry. None keeps
    what is stored; a cleared alert keeps its final worst. True if it changed."""
    with db.session(write=True) as session:
        alert = _get(session, AlertHistory, alert_id, "alert")
        if alert.cleared_at is not None:
            return False
        return _note_worst(alert, worst_value, worst_detail)


def clear_alert(
    db: Database,
    alert_id: int,
    *,
    cleared_at: datetime | None = None,
    cleared_time_s: float | None = None,
    worst_value: float | None = None,
    worst_detail: str | None = None,
) -> AlertHistory:
    """The alert's condition is gone: state ``cleared`` (an acknowledgement is kept),
    ``withdrawn`` when the detector has withdrawn it already (:func:`withdraw_alert`).

    ``worst_value``/``worst_detail``: the episode's final worst (None keeps the stored).
    """
    with db.session(write=True) as session:
        alert = _get(session, AlertHistory, alert_id, "alert")
        if alert.cleared_at is not None:
            return alert
        alert.cleared_at = cleared_at or utcnow()
        alert.cleared_time_s = cleared_time_s
        _note_worst(alert, worst_value, worst_detail)
        alert.state = AlertState.WITHDRAWN if alert.withdrawn else AlertState.CLEARED
        alert.shelved_until = None
        _audit(session, alert, AlertAction.CLEARED, at=alert.cleared_at, actor="system")
    return alert


def withdraw_alert(
    db: Database, alert_id: int, reason: str, *, at: datetime | None = None
) -> AlertHistory:
    """The fault detector has withdrawn the alarm on later evidence (a runaway onset
    put down to an internal short), ``reason`` saying why: kept with the alert, whose
    state reads ``withdrawn`` once (or if already) cleared, not ``cleared``. Once only."""
    reason = _text(reason)
    if reason is None:
        raise StorageError(f"alert {alert_id}: a withdrawal needs its reason")
    with db.session(write=True) as session:
        alert = _get(session, AlertHistory, alert_id, "alert")
        if alert.withdrawn is not None:
            return alert
        alert.withdrawn = reason
        if alert.cleared_at is not None:
            alert.state = AlertState.WITHDRAWN
        _audit(
            session,
            alert,
            AlertAction.WITHDRAWN,
            at=at or utcnow(),
            actor="system",
            comment=reason,
        )
    return alert


def acknowledge_alert(
    db: Database,
    alert_id: int,
    *,
    actor: str = "",
    user_id: int | None = None,
    comment: str | None = None,
    at: datetime | None = None,
) -> AlertHistory:
    """``actor`` (a user name; ``user_id`` when known) has seen the alert.

    Allowed before or after it cleared, once.
    """
    with db.session(write=True) as session:
        alert = _get(session, AlertHistory, alert_id, "alert")
        if alert.acknowledged_at is not None:
            raise StorageError(f"alert {alert_id} was acknowledged already")
        alert.acknowledged_at = at or utcnow()
        alert.acknowledged_by = _audit(
            session,
            alert,
            AlertAction.ACKNOWLEDGED,
            at=alert.acknowledged_at,
            actor=actor,
            user_id=user_id,
            comment=comment or None,
        )
        if comment:
            alert.comment = comment
        if alert.state is AlertState.ACTIVE:
            alert.state = AlertState.ACKNOWLEDGED
    return alert


def shelve_alert(
    db: Database,
    alert_id: int,
    until: datetime,
    *,
    actor: str = "",
    user_id: int | None = None,
    comment: str | None = None,
    at: datetime | None = None,
) -> AlertHistory:
    """Silence the alert until ``until``; a cleared alert cannot be shelved."""
    with db.session(write=True) as session:
        alert = _get(session, AlertHistory, alert_id, "alert")
        if alert.cleared_at is not None:
            raise StorageError(f"alert {alert_id} has cleared: there is nothing to shelve")
        alert.shelved_until = until
        alert.state = AlertState.SHELVED
        _audit(
            session,
            alert,
            AlertAction.SHELVED,
            at=at or utcnow(),
            actor=actor,
            user_id=user_id,
            comment=comment or None,
            until=until,
        )
    return alert


def unshelve_alert(
    db: Database,
    alert_id: int,
    *,
    actor: str = "system",
    user_id: int | None = None,
    at: datetime | None = None,
) -> AlertHistory:
    """End the shelf: back to ``acknowledged`` or ``active``."""
    with db.session(write=True) as session:
        alert = _get(session, AlertHistory, alert_id, "alert")
        if alert.state is not AlertState.SHELVED:
            raise StorageError(f"alert {alert_id} is not shelved")
        alert.shelved_until = None
        acked = alert.acknowledged_at is not None
        alert.state = AlertState.ACKNOWLEDGED if acked else AlertState.ACTIVE
        _audit(
            session, alert, AlertAction.UNSHELVED, at=at or utcnow(), actor=actor, user_id=user_id
        )
    return alert


def list_alert_history(
    db: Database,
    limit: int = 100,
    *,
    recording_id: int | None = None,
    state: AlertState | str | None = None,
    since: datetime | None = None,
) -> list[AlertHistory]:
    """Alerts, newest first, optionally of one recording, in one state, or since a time."""
    query = select(AlertHistory)
    if recording_id is not None:
        query = query.where(AlertHistory.recording_id == recording_id)
    if state is not None:
        query = query.where(AlertHistory.state == _member(AlertState, state, "alert state"))
    if since is not None:
        query = query.where(AlertHistory.raised_at >= since)
    query = query.order_by(AlertHistory.raised_at.desc(), AlertHistory.id.desc()).limit(limit)
    with db.session() as session:
        return list(session.scalars(query))


def list_alert_events(
    db: Database, alert_id: int | None = None, limit: int = 500
) -> list[AlertEvent]:
    """The audit trail, oldest first (of one alert, or the newest ``limit`` of all)."""
    query = select(AlertEvent)
    if alert_id is not None:
        query = query.where(AlertEvent.alert_id == alert_id)
    query = query.order_by(AlertEvent.at.desc(), AlertEvent.id.desc()).limit(limit)
    with db.session() as session:
        return list(reversed(list(session.scalars(query))))
