"""The GUI's only door to :mod:`app.storage`, imported lazily.

SQLAlchemy takes a noticeable part of a second to import, so nothing here is
imported until the user records or looks at past recordings; the window
paints first. Failures come back as :class:`~app.core.errors.StorageError`
with a one-line message the GUI can show.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC

from app.core.errors import BatteryOSError, StorageError
from app.core.spec import BatterySpec


@dataclass(frozen=True)
class RecordingSummary:
    """One line of the recent-recordings list."""

    id: object
    title: str
    detail: str


#: Databases opened so far, by URL: the schema check
#: (Alembic) runs once per database and process, not on every click.
_databases: dict[str, object] = {}
_lock = threading.Lock()

#: How long stopping a recording may wait for an unreachable database before
#: giving up (the GUI waits that long; the samples not stored are reported).
CLOSE_TIMEOUT_S = 10.0


def _database(db_url: str | None):
    from app.storage import Database, default_url

    url = db_url or default_url()  # resolved each time: the data directory may move
    with _lock:
        db = _databases.get(url)
        if db is None:
            db = Database(url)
            db.ensure_schema()
            _databases[url] = db
        return db


def database(db_url: str | None):
    """The window's :class:`~app.storage.Database` for ``db_url`` (schema made; blocking)."""
    return _database(db_url)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def open_recorder(db_url: str | None, source_url: str, spec: BatterySpec | None):
    """A new :class:`app.storage.Recorder` for ``source_url`` on the database at ``db_url``.

    ``db_url`` None means the default database (the SQLite file in the user
    data directory). Raises :class:`StorageError` when the database is unusable.
    """
    try:
        from app.storage import Recorder

        db = _database(db_url)
        return Recorder(db, source_url, spec.to_dict() if spec is not None else None)
    except BatteryOSError:
        raise
    except ImportError as exc:
        raise StorageError(f"recording is not available: {_one_line(exc)}") from exc
    except Exception as exc:  # SQLAlchemy and driver errors of all kinds
        raise StorageError(f"database error: {_one_line(exc)}") from exc


def close_recorder(recorder, status: str | None = None) -> None:
    """Store what is queued and close, marking the recording ``status`` (a
    :class:`~app.storage.RecordingStatus` value; None: complete); raises
    :class:`StorageError` if samples were lost."""
    try:
        if status is None:
            recorder.close(timeout=CLOSE_TIMEOUT_S)
        else:
            from app.storage import RecordingStatus

            recorder.close(timeout=CLOSE_TIMEOUT_S, status=RecordingStatus(status))
    except BatteryOSError:
        raise
    except Exception as exc:
        raise StorageError(f"closing the recording failed: {_one_line(exc)}") from exc
    from app.storage import RecorderState

    if getattr(recorder, "state", None) is RecorderState.SPOOLED:
        raise StorageError(
            f"database unreachable: {recorder.spooled_rows:,} samples kept in the local spool, "
            "stored at the next start"
        )


def recorder_problem(recorder) -> str | None:
    """Why a running recorder is not storing right now (None while it is)."""
    from app.storage import RecorderState

    state = getattr(recorder, "state", None)
    if state is RecorderState.SPOOLING:
        return (
            f"database unreachable, spooling locally ({recorder.spooled_rows:,} samples): "
            f"{recorder.last_error}"
        )
    if state in (RecorderState.RETRYING, RecorderState.FAILED):
        return f"database unreachable, retrying: {recorder.last_error}"
    return None


def recent_recordings(db_url: str | None, limit: int = 20) -> list[RecordingSummary]:
    """The newest recordings, newest first. Raises :class:`StorageError` on failure."""
    try:
        from app.storage import repositories

        db = _database(db_url)
        rows = repositories.list_recordings(db, limit)
    except BatteryOSError:
        raise
    except ImportError as exc:
        raise StorageError(f"recordings are not available: {_one_line(exc)}") from exc
    except Exception as exc:
        raise StorageError(f"database error: {_one_line(exc)}") from exc
    return [_summary(row) for row in rows]


def _field(row, *names, default=None):
    for name in names:
        value = row.get(name) if isinstance(row, dict) else getattr(row, name, None)
        if value is not None:
            return value
    return default


def _summary(row) -> RecordingSummary:
    rec_id = _field(row, "id", "recording_id")
    started = _field(row, "started_at", "start_time", "created_at")
    source = _field(row, "source_url", "source", default="")
    samples = _field(row, "sample_count", "samples", "n_samples")
    when = (
        started.strftime("%Y-%m-%d %H:%M") if hasattr(started, "strftime") else str(started or "")
    )
    status = _field(row, "status")
    title = f"#{rec_id}  {when}".strip()
    if status is not None and str(status) != "complete":
        title = f"{title}  ({status})"  # still recording, or interrupted
    detail = source if samples is None else f"{source}  ·  {samples:,} samples"
    return RecordingSummary(rec_id, title, detail)


def import_log_recording(db_url: str | None, analysis, progress=None) -> int:
    """Store an opened log (:class:`~app.views.log_analysis.LogAnalysis`) as a recording.

    The recording keeps the file's start time when it has one, its source URL,
    its battery and a note naming the file; the samples go in chunks through
    the bulk writer, and the recording is marked complete at the end (a failure
    half way leaves it *interrupted* with the chunks stored so far). Returns
    the recording's id; raises :class:`StorageError` when the database fails.
    """
    from datetime import datetime

    try:
        from app.storage import repositories

        started = None
        if analysis.metadata.get("start_utc"):
            try:
                started = datetime.fromisoformat(analysis.metadata["start_utc"])
            except ValueError:
                started = None
        if started is not None and started.tzinfo is None:
            started = started.replace(tzinfo=UTC)
        recording = repositories.import_recording(
            _database(db_url),
            analysis.frame,
            analysis.metadata.get("source") or f"file://{analysis.path}",
            analysis.spec.to_dict(),
            notes=f"Imported from {analysis.name} ({analysis.format_name})",
            started_at=started,
            progress=progress,
        )
        return int(recording.id)
    except BatteryOSError:
        raise
    except ImportError as exc:
        raise StorageError(f"importing is not available: {_one_line(exc)}") from exc
    except Exception as exc:  # SQLAlchemy and driver errors of all kinds
        raise StorageError(f"database error: {_one_line(exc)}") from exc


def _storage_call(what: str, fn):
    """Run ``fn(app.storage)`` and turn anything but a bug-free result into StorageError."""
    try:
        import app.storage as storage

        return fn(storage)
    except BatteryOSError:
        raise
    except ImportError as exc:
        raise StorageError(f"{what} not available: {_one_line(exc)}") from exc
    except Exception as exc:  # SQLAlchemy and driver errors of all kinds
        raise StorageError(f"database error: {_one_line(exc)}") from exc


# --- users (the operator) ------------------------------------------------------------


@dataclass(frozen=True)
class UserChoice:
    """A user the operator can pick at start."""

    name: str
    role: str
    has_password: bool


def list_operators(db_url: str | None) -> list[UserChoice]:
    """The users of the database, by name (empty: nobody to pick)."""

    def run(_storage):
        from app.storage import repositories

        users = repositories.list_users(_database(db_url))
        return [UserChoice(u.name, str(u.role), bool(u.password_hash)) for u in users]

    return _storage_call("users are", run)


def add_user(db_url: str | None, name: str, role: str, password: str | None) -> UserChoice:
    """Add the user ``name`` as ``batteryos users add`` does (the same roles, the password
    hashed by :func:`app.storage.repositories.create_user`); StorageError when the name is
    taken or empty, or the database is not reachable."""

    def run(_storage):
        from app.storage import repositories

        user = repositories.create_user(_database(db_url), name, role, password or None)
        return UserChoice(user.name, str(user.role), bool(user.password_hash))

    return _storage_call("users are", run)


def new_api_key(db_url: str | None, name: str) -> tuple[str, str]:
    """A new API key of the user ``name`` (``batteryos users new-key``): ``(key, prefix)``,
    the key never stored (only its salted hash is), the prefix to revoke it by;
    StorageError when there is no such user or the database is not reachable."""

    def run(_storage):
        from app.storage.api_keys import create_api_key

        key, row = create_api_key(_database(db_url), name)
        return key, row.prefix

    return _storage_call("API keys are", run)


def sign_in(db_url: str | None, name: str, password: str | None):
    """The :class:`app.core.operator.Operator` ``name`` if the password is right;
    StorageError otherwise. Does not make them the current user."""
    from app.core.operator import Operator

    def run(_storage):
        from app.storage import repositories

        user = repositories.authenticate_user(_database(db_url), name, password)
        return Operator(user.id, user.name, str(user.role))

    return _storage_call("users are", run)


# --- history -------------------------------------------------------------------------


def history_rows(db_url: str | None, tab: str, filters) -> list:
    """Rows of the History tab ``tab`` ("recordings", "diagnostics", "alerts") for ``filters``
    (a :class:`app.views.history_page.HistoryFilters`). Recordings whose writer died on this
    machine are marked interrupted and spools left while the database was away are stored
    first, so the list tells the truth."""

    def run(_storage):
        from app.storage import history
        from app.storage.recovery import recover

        db = _database(db_url)
        window = {"since": filters.since, "until": filters.until, "battery": filters.battery}
        if tab == "recordings":
            recover(db)
            return history.find_recordings(db, **window)
        if tab == "diagnostics":
            return history.find_diagnostics(db, **window)
        return history.find_alerts(
            db, **window, severity=filters.severity, acknowledged=filters.acknowledged
        )

    return _storage_call("history is", run)


def recording_title(recording_id: object, started_at, status: str) -> str:
    """The dashboard's title of a stored recording: short enough for its tool bar
    at 1024 px ("Recording #12 · 05 Dec 15:19"); its status only when it is not
    complete. The source URL goes in the tooltip, not here: it would be elided away."""
    when = started_at.strftime("%d %b %H:%M") if hasattr(started_at, "strftime") else ""
    title = f"Recording #{recording_id} · {when}" if when else f"Recording #{recording_id}"
    return title if status == "complete" else f"{title} ({status})"


def recording_snapshot(db_url: str | None, recording_id: int):
    """``(title, snapshot, spec, source_url)`` of a stored recording: its samples as
    column → array, its battery as stored (a ``BatterySpec.to_dict()``, or None), and
    the URL of the source it was recorded from."""

    def run(storage):
        from app.storage import repositories

        db = _database(db_url)
        row = repositories.get_recording(db, recording_id)
        if row is None:
            raise StorageError(f"recording {recording_id} no longer exists")
        block = storage.read_samples(db, recording_id)
        title = recording_title(row.id, row.started_at, str(row.status))
        return title, {name: values for name, values in block.items()}, row.spec, row.source_url

    return _storage_call("recordings are", run)
