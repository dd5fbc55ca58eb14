"""Small, typed functions over the metadata tables, for the GUI, the CLI and the API.

Every function takes the :class:`Database` first, runs one transaction and
returns plain ORM objects that stay readable after it (no lazy loading is
needed: the models have no relationships). Database problems become
:class:`StorageError` with a one-line message.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.core.errors import StorageError
from app.storage.database import Database
from app.storage.models import (
    AlertHistory,
    AlertState,
    AlertThreshold,
    BatteryDiagnostic,
    Comparison,
    Recording,
    RecordingStatus,
    Sample,
    Severity,
    User,
    UserRole,
    utcnow,
)

_E = TypeVar("_E", bound=enum.Enum)

# --- recordings -----------------------------------------------------------------


def create_recording(
    db: Database,
    source_url: str,
    spec: Mapping[str, Any] | None = None,
    notes: str = "",
    *,
    started_at: datetime | None = None,
) -> Recording:
    """A new recording row (``status = recording``, no samples yet).

    For live data use :class:`app.storage.recorder.Recorder`, which creates
    the row itself; this is for imports (write the samples with
    :func:`app.storage.sample_writer.write_samples`, then :func:`finish_recording`).
    """
    with db.session(write=True) as session:
        recording = Recording(
            started_at=started_at or utcnow(),
            source_url=source_url,
            spec=dict(spec) if spec is not None else None,
            notes=notes,
            status=RecordingStatus.RECORDING,
            sample_count=0,
            columns=[],
        )
        session.add(recording)
    return recording


def finish_recording(
    db: Database,
    recording_id: int,
    status: RecordingStatus = RecordingStatus.COMPLETE,
    *,
    ended_at: datetime | None = None,
) -> Recording:
    """Mark a recording ``status`` (complete or interrupted) with its end time."""
    with db.session(write=True) as session:
        recording = _get(session, Recording, recording_id, "recording")
        recording.status = status
        recording.ended_at = ended_at or utcnow()
    return recording


def list_recordings(db: Database, limit: int = 50, offset: int = 0) -> list[Recording]:
    """Recordings, newest first (for "recent recordings")."""
    with db.session() as session:
        query = (
            select(Recording)
            .order_by(Recording.started_at.desc(), Recording.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(session.scalars(query))


def get_recording(db: Database, recording_id: int) -> Recording | None:
    """The recording with ``recording_id``, or None."""
    with db.session() as session:
        return session.get(Recording, recording_id)


def update_recording_notes(db: Database, recording_id: int, notes: str) -> Recording:
    with db.session(write=True) as session:
        recording = _get(session, Recording, recording_id, "recording")
        recording.notes = notes
    return recording


def delete_recording(db: Database, recording_id: int) -> bool:
    """Delete a recording and its samples; False if there was none.

    Diagnostics and alerts of the recording are kept, detached from it.
    """
    with db.session(write=True) as session:
        # Recording first: its row lock makes a concurrent write_samples()
        # wait and then find the recording gone (samples have no foreign key).
        gone = session.execute(delete(Recording).where(Recording.id == recording_id)).rowcount
        session.execute(delete(Sample).where(Sample.recording_id == recording_id))
    return bool(gone)


# --- users ----------------------------------------------------------------------

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` (``scrypt$n$r$p$salt$hash``, base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.b64encode
    return "scrypt${n}${r}${p}$".format(**_SCRYPT) + f"{b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether ``password`` matches a hash made by :func:`hash_password`."""
    if not password_hash:
        return False
    try:
        scheme, n, r, p, salt, digest = password_hash.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def create_user(
    db: Database, name: str, role: UserRole | str = UserRole.VIEWER, password: str | None = None
) -> User:
    """A new user; :class:`StorageError` if the name is taken or empty."""
    name = name.strip()
    if not name:
        raise StorageError("a user needs a name")
    role = _member(UserRole, role, "role")
    user = User(name=name, role=role, password_hash=hash_password(password) if password else None)
    try:
        with db.session(write=True) as session:
            session.add(user)
    except StorageError as exc:
        if isinstance(exc.__cause__, IntegrityError):
            raise StorageError(f"user {name!r} already exists") from exc
        raise
    return user


def get_user(db: Database, name: str) -> User | None:
    with db.session() as session:
        return session.scalars(select(User).where(User.name == name)).first()


def authenticate_user(db: Database, name: str, password: str | None = None) -> User:
    """The user ``name`` if ``password`` is theirs (a user without a password needs none).

    :class:`StorageError` for an unknown user or a wrong password.
    """
    user = get_user(db, name)
    if user is None:
        raise StorageError(f"no user {name!r}")
    if user.password_hash and not verify_password(password or "", user.password_hash):
        raise StorageError(f"wrong password for {name!r}")
    return user


def list_users(db: Database) -> list[User]:
    """All users, by name."""
    with db.session() as session:
        return list(session.scalars(select(User).order_by(User.name)))


def set_user_role(db: Database, name: str, role: UserRole | str) -> User:
    with db.session(write=True) as session:
        user = session.scalars(select(User).where(User.name == name)).first()
        if user is None:
            raise StorageError(f"no user {name!r}")
        user.role = _member(UserRole, role, "role")
    return user


def delete_user(db: Database, name: str) -> bool:
    """Delete a user; their diagnostics, thresholds and acknowledgements are kept, unattributed."""
    with db.session(write=True) as session:
        return bool(session.execute(delete(User).where(User.name == name)).rowcount)


# --- diagnostics ----------------------------------------------------------------


def save_diagnostic(
    db: Database,
    diagnostic: str,
    result: Mapping[str, Any],
    *,
    battery_name: str = "",
    battery_profile: str = "",
    recording_id: int | None = None,
    created_by: int | None = None,
) -> BatteryDiagnostic:
    """Store the JSON result (``to_dict()``) of one diagnostic run."""
    row = BatteryDiagnostic(
        diagnostic=diagnostic,
        result=dict(result),
        battery_name=battery_name,
        battery_profile=battery_profile,
        recording_id=recording_id,
        created_by=created_by,
        created_at=utcnow(),
    )
    with db.session(write=True) as session:
        session.add(row)
    return row


def list_diagnostics(
    db: Database,
    *,
    recording_id: int | None = None,
    diagnostic: str | None = None,
    limit: int = 100,
) -> list[BatteryDiagnostic]:
    """Diagnostic results, newest first, optionally of one recording or one diagnostic."""
    query = select(BatteryDiagnostic)
    if recording_id is not None:
        query = query.where(BatteryDiagnostic.recording_id == recording_id)
    if diagnostic is not None:
        query = query.where(BatteryDiagnostic.diagnostic == diagnostic)
    query = query.order_by(BatteryDiagnostic.created_at.desc(), BatteryDiagnostic.id.desc())
    with db.session() as session:
        return list(session.scalars(query.limit(limit)))


# --- alerts ---------------------------------------------------------------------


def save_alert_threshold(
    db: Database,
    profile: str,
    metric: str,
    comparison: Comparison | str,
    *,
    level: float | None = None,
    clear_level: float | None = None,
    band_low: float | None = None,
    band_high: float | None = None,
    severity: Severity | str = Severity.WARNING,
    delay_s: float = 0.0,
    enabled: bool = True,
    created_by: int | None = None,
    threshold_id: int | None = None,
) -> AlertThreshold:
    """Create a threshold, or replace the settings of ``threshold_id``.

    ``above``/``below`` need ``level``; ``outside`` needs ``band_low <= band_high``.
    """
    comparison = _member(Comparison, comparison, "comparison")
    severity = _member(Severity, severity, "severity")
    if comparison is Comparison.OUTSIDE:
        if band_low is None or band_high is None or band_low > band_high:
            raise StorageError(f"{metric}: 'outside' needs band_low <= band_high")
    elif level is None:
        raise StorageError(f"{metric}: '{comparison}' needs a level")
    if delay_s < 0:
        raise StorageError(f"{metric}: delay must not be negative")
    values = {
        "profile": profile,
        "metric": metric,
        "comparison": comparison,
        "level": level,
        "clear_level": clear_level,
        "band_low": band_low,
        "band_high": band_high,
        "severity": severity,
        "delay_s": float(delay_s),
        "enabled": enabled,
        "updated_at": utcnow(),
    }
    with db.session(write=True) as session:
        if threshold_id is None:
            threshold = AlertThreshold(created_by=created_by, **values)
            session.add(threshold)
        else:
            threshold = _get(session, AlertThreshold, threshold_id, "alert threshold")
            for key, value in values.items():
                setattr(threshold, key, value)
    return threshold


def list_alert_thresholds(
    db: Database, profile: str | None = None, *, enabled_only: bool = False
) -> list[AlertThreshold]:
    query = select(AlertThreshold)
    if profile is not None:
        query = query.where(AlertThreshold.profile == profile)
    if enabled_only:
        query = query.where(AlertThreshold.enabled.is_(True))
    with db.session() as session:
        return list(session.scalars(query.order_by(AlertThreshold.profile, AlertThreshold.metric)))


def delete_alert_threshold(db: Database, threshold_id: int) -> bool:
    """Delete a threshold; the alerts it raised stay in the history."""
    with db.session(write=True) as session:
        stmt = delete(AlertThreshold).where(AlertThreshold.id == threshold_id)
        return bool(session.execute(stmt).rowcount)


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
) -> AlertHistory:
    """Store a raised alert (state ``active``)."""
    row = AlertHistory(
        metric=metric,
        value=value,
        severity=_member(Severity, severity, "severity"),
        threshold_id=threshold_id,
        recording_id=recording_id,
        threshold_value=threshold_value,
        raised_at=raised_at or utcnow(),
        state=AlertState.ACTIVE,
    )
    with db.session(write=True) as session:
        session.add(row)
    return row


def clear_alert(db: Database, alert_id: int, *, cleared_at: datetime | None = None) -> AlertHistory:
    """The alert's condition is gone. An unacknowledged alert becomes ``cleared``;
    an acknowledged one stays ``acknowledged`` (both times are kept)."""
    with db.session(write=True) as session:
        alert = _get(session, AlertHistory, alert_id, "alert")
        if alert.cleared_at is None:
            alert.cleared_at = cleared_at or utcnow()
        if alert.state is AlertState.ACTIVE:
            alert.state = AlertState.CLEARED
    return alert


def acknowledge_alert(
    db: Database, alert_id: int, *, user_id: int | None = None, comment: str | None = None
) -> AlertHistory:
    """An engineer has seen the alert (optionally with a comment)."""
    with db.session(write=True) as session:
        alert = _get(session, AlertHistory, alert_id, "alert")
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by = user_id
        if comment is not None:
            alert.comment = comment
        alert.state = AlertState.ACKNOWLEDGED
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


# --- helpers --------------------------------------------------------------------


def _member(cls: type[_E], value: _E | str, what: str) -> _E:
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(str(m.value) for m in cls)
        raise StorageError(f"unknown {what} {value!r} (choose from {choices})") from None


def _get(session, model, key: int, what: str):
    row = session.get(model, key)
    if row is None:
        raise StorageError(f"no {what} with id {key}")
    return row
