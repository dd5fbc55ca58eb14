"""Queries of the History view: recordings, stored diagnostic results and
alert history, filtered by time, battery, severity and acknowledgement.

Each function runs one read transaction and returns plain frozen rows (no
ORM objects), ready to be shown by any thread. ``battery`` is a
case-insensitive piece of text matched against what names a battery in each
table: a recording's source URL and notes, a diagnostic's battery name and
profile, an alert's recording source URL. ``since``/``until`` bound the time
of each row (recording start, diagnostic run, alert raised), ``until`` excluded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased

from app.storage.database import Database
from app.storage.models import (
    AlertAction,
    AlertEvent,
    AlertHistory,
    BatteryDiagnostic,
    Recording,
    Severity,
    User,
)
from app.storage.repositories import data_spans

DEFAULT_LIMIT = 1000


@dataclass(frozen=True)
class RecordingRow:
    id: int
    started_at: datetime
    ended_at: datetime | None
    source_url: str
    status: str
    sample_count: int
    notes: str
    columns: list[str]
    #: first to last sample time, s (None: fewer than two samples)
    data_span_s: float | None = None


@dataclass(frozen=True)
class DiagnosticRow:
    id: int
    created_at: datetime
    battery_name: str
    battery_profile: str
    diagnostic: str
    recording_id: int | None
    result: dict[str, Any]
    created_by: str | None


@dataclass(frozen=True)
class AlertRow:
    id: int
    raised_at: datetime
    metric: str
    value: float | None
    threshold_value: float | None
    severity: str
    state: str
    cleared_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    comment: str | None
    recording_id: int | None
    source_url: str | None
    worst_value: float | None = None
    #: a fault alert's figures in words, when raised and as last known (None: a
    #: rule on a number, or a row stored before they were kept)
    detail: str | None = None
    worst_detail: str | None = None
    #: why the detector withdrew the alarm (None: it did not)
    withdrawn: str | None = None
    #: when it cleared, in the recording's samples (None with ``cleared_at``: it was
    #: still up when its source ended)
    cleared_time_s: float | None = None


def _contains(column, text: str):
    return func.lower(column).contains(text.strip().lower(), autoescape=True)


def _window(query: Select, column, since: datetime | None, until: datetime | None) -> Select:
    if since is not None:
        query = query.where(column >= since)
    if until is not None:
        query = query.where(column < until)
    return query


def find_recordings(
    db: Database,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    battery: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[RecordingRow]:
    """Recordings, newest first."""
    query = _window(select(Recording), Recording.started_at, since, until)
    if battery and battery.strip():
        query = query.where(
            or_(_contains(Recording.source_url, battery), _contains(Recording.notes, battery))
        )
    query = query.order_by(Recording.started_at.desc(), Recording.id.desc()).limit(limit)
    with db.session() as session:
        recordings = list(session.scalars(query))
    spans = data_spans(db, [r.id for r in recordings])
    return [
        RecordingRow(
            r.id,
            r.started_at,
            r.ended_at,
            r.source_url,
            str(r.status),
            int(r.sample_count or 0),
            r.notes,
            list(r.columns or []),
            spans.get(r.id),
        )
        for r in recordings
    ]


def find_diagnostics(
    db: Database,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    battery: str | None = None,
    diagnostic: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[DiagnosticRow]:
    """Stored diagnostic results (``battery_diagnostics``), newest first."""
    query = select(BatteryDiagnostic, User.name).outerjoin(
        User, User.id == BatteryDiagnostic.created_by
    )
    query = _window(query, BatteryDiagnostic.created_at, since, until)
    if battery and battery.strip():
        query = query.where(
            or_(
                _contains(BatteryDiagnostic.battery_name, battery),
                _contains(BatteryDiagnostic.battery_profile, battery),
            )
        )
    if diagnostic:
        query = query.where(BatteryDiagnostic.diagnostic == diagnostic)
    query = query.order_by(BatteryDiagnostic.created_at.desc(), BatteryDiagnostic.id.desc())
    with db.session() as session:
        return [
            DiagnosticRow(
                d.id,
                d.created_at,
                d.battery_name,
                d.battery_profile,
                d.diagnostic,
                d.recording_id,
                dict(d.result or {}),
                name,
            )
            for d, name in session.execute(query.limit(limit))
        ]


def find_alerts(
    db: Database,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    battery: str | None = None,
    severity: Severity | str | None = None,
    acknowledged: bool | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[AlertRow]:
    """Alert history, newest first. ``acknowledged`` True/False keeps only the
    alerts someone has / nobody has acknowledged (None: all)."""
    acker = aliased(User)
    # who acknowledged it: the name the audit recorded (a local operator may have
    # no users row, so acknowledged_by is then empty), else the linked user's name
    actor = (
        select(AlertEvent.actor)
        .where(
            AlertEvent.alert_id == AlertHistory.id,
            AlertEvent.action == AlertAction.ACKNOWLEDGED,
            AlertEvent.actor != "",
        )
        .order_by(AlertEvent.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(AlertHistory, func.coalesce(actor, acker.name), Recording.source_url)
        .outerjoin(acker, acker.id == AlertHistory.acknowledged_by)
        .outerjoin(Recording, Recording.id == AlertHistory.recording_id)
    )
    query = _window(query, AlertHistory.raised_at, since, until)
    if battery and battery.strip():
        query = query.where(_contains(Recording.source_url, battery))
    if severity:
        query = query.where(AlertHistory.severity == Severity(severity))
    if acknowledged is True:
        query = query.where(AlertHistory.acknowledged_at.is_not(None))
    elif acknowledged is False:
        query = query.where(AlertHistory.acknowledged_at.is_(None))
    query = query.order_by(AlertHistory.raised_at.desc(), AlertHistory.id.desc()).limit(limit)
    with db.session() as session:
        return [
            AlertRow(
                a.id,
                a.raised_at,
                a.metric,
                a.value,
                a.threshold_value,
                str(a.severity),
                str(a.state),
                a.cleared_at,
                a.acknowledged_at,
                name,
                a.comment,
                a.recording_id,
                source,
                a.worst_value,
                a.detail,
                a.worst_detail,
                a.withdrawn,
                a.cleared_time_s,
            )
            for a, name, source in session.execute(query)
        ]
