"""Small, typed functions over the metadata tables, for the GUI, the CLI and the API.

Alert thresholds, history and audit trail are in :mod:`app.storage.alert_repository`.

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
    BatteryDiagnostic,
    Recording,
    RecordingStatus,
    Sample,
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


#: Samples per transaction when a whole log is imported (each chunk commits on its own).
IMPORT_CHUNK_ROWS = 50_000


def import_recording(
    db: Database,
    frame,
    source_url: str,
    spec: Mapping[str, Any] | None = None,
    notes: str = "",
    *,
    started_at: datetime | None = None,
    progress=None,
) -> Recording:
    """Store the canonical columns of ``frame`` (a log file's samples) as a new recording.

    The samples go in chunks through the bulk writer; the recording is marked
    complete at the end, and *interrupted* (with the chunks stored so far) when
    a chunk fails. ``progress`` (an :class:`app.hardware.logs.formats.Progress`
    or anything with ``update(fraction)``) follows the chunks.
    """
    from app.core import schema
    from app.core.samples import SampleBlock
    from app.storage.sample_writer import write_samples

    columns = [c for c in frame.columns if schema.is_canonical_column(c)]
    recording = create_recording(db, source_url, spec, notes, started_at=started_at)
    status = RecordingStatus.INTERRUPTED
    try:
        for start in range(0, len(frame), IMPORT_CHUNK_ROWS):
            chunk = frame.iloc[start : start + IMPORT_CHUNK_ROWS]
            block = SampleBlock({c: chunk[c].to_numpy(dtype=float) for c in columns})
            write_samples(db, recording.id, block, start)
            if progress is not None:
                progress.update((start + len(chunk)) / len(frame))
        status = RecordingStatus.COMPLETE
    finally:
        finish_recording(db, recording.id, status)
    return get_recording(db, recording.id)


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


def data_spans(db: Database, recording_ids) -> dict[int, float]:
    """How long each recording's data runs: its last sample's ``time_s`` less its first's,
    in seconds, by recording id (a recording without two timed samples is left out).

    The wall clock says something else: an imported log started when its file says
    and ended when it was imported (a 27.9 h Neware log read 6581 h), and a simulator
    at speed=200 records an hour in 18 s. Each end is one index look-up (the samples'
    key is recording, seq), not a scan of the samples."""
    ids = [int(i) for i in recording_ids]
    if not ids:
        return {}

    def end(column, order):
        return (
            select(column)
            .where(Sample.recording_id == Recording.id)
            .order_by(order)
            .limit(1)
            .scalar_subquery()
        )

    first_seq, last_seq = end(Sample.seq, Sample.seq.asc()), end(Sample.seq, Sample.seq.desc())
    first_time, last_time = (
        end(Sample.time_s, Sample.seq.asc()),
        end(Sample.time_s, Sample.seq.desc()),
    )
    query = select(Recording.id, first_seq, last_seq, first_time, last_time).where(
        Recording.id.in_(ids)
    )
    with db.session() as session:
        return {
            rid: float(last - first)
            for rid, seq0, seq1, first, last in session.execute(query)
            if seq0 != seq1 and first is not None and last is not None
        }


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
