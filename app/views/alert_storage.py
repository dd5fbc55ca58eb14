"""The alert side of the GUI's door to :mod:`app.storage` (imported lazily, run
on a background worker): thresholds per profile, and each lifecycle change of
an alert written with its audit entry.

Shares the per-URL database cache of :mod:`app.views.storage_bridge`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.core.errors import BatteryOSError, StorageError
from app.core.spec import BatterySpec
from app.diagnostics.alerts import Threshold, default_thresholds
from app.views.storage_bridge import _database, _one_line


def _guard(fn):
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BatteryOSError:
            raise
        except ImportError as exc:
            raise StorageError(f"alert storage is not available: {_one_line(exc)}") from exc
        except Exception as exc:  # SQLAlchemy and driver errors of all kinds
            raise StorageError(f"database error: {_one_line(exc)}") from exc

    return wrapped


@_guard
def thresholds_of(db_url: str | None, profile: str, spec: BatterySpec) -> list[Threshold]:
    """The stored thresholds of ``profile``; a profile seen for the first time
    gets the defaults of ``spec`` stored (so its alerts link to rows)."""
    from app.storage import alert_repository as repo

    db = _database(db_url)
    rules = repo.load_thresholds(db, profile)
    if not rules:
        rules = repo.replace_thresholds(db, profile, default_thresholds(spec, profile))
    return rules


@_guard
def save_thresholds(db_url: str | None, profile: str, rules: list[Threshold]) -> list[Threshold]:
    """Make ``rules`` the thresholds of ``profile``; the stored rules (with ids)."""
    from app.storage import alert_repository as repo

    return repo.replace_thresholds(_database(db_url), profile, rules, created_by=_user_id())


def _user_id() -> int | None:
    """The database id of the operator picked at start (None: nobody in particular)."""
    from app.core.operator import current_user

    user = current_user()
    return user.id if user is not None else None


@_guard
def stored_thresholds(db_url: str | None, profile: str | None) -> list[Threshold]:
    """The stored thresholds of ``profile`` (None: of every profile)."""
    from app.storage import alert_repository as repo

    return repo.load_thresholds(_database(db_url), profile)


@_guard
def profiles(db_url: str | None) -> list[str]:
    from app.storage import alert_repository as repo

    return repo.list_profiles(_database(db_url))


#: The action of an :class:`AlertChange` that is no lifecycle change: the worst
#: value (and detail) of an alert still up moved, as the live view shows it.
NOTED = "noted"


@dataclass(frozen=True)
class AlertChange:
    """One lifecycle change (or :data:`NOTED`), copied in the GUI thread for the
    storage worker."""

    key: int
    action: str
    at: datetime
    actor: str
    comment: str | None
    until: datetime | None
    metric: str
    severity: str
    threshold_id: int | None
    recording_id: int | None
    value: float
    threshold_value: float
    worst_value: float
    raised_time_s: float
    cleared_time_s: float | None
    #: a fault alert's measured figures in words, when raised and as last known
    detail: str | None = None
    worst_detail: str | None = None


class AlertWriter:
    """Writes :class:`AlertChange` s in order; used from one worker thread only."""

    def __init__(self, db_url: str | None):
        self.db_url = db_url
        self._ids: dict[int, int] = {}  # alert key -> alert_history.id

    @_guard
    def write(self, change: AlertChange) -> None:
        from app.storage import alert_repository as repo

        db = _database(self.db_url)
        if change.action == "raised":
            row = repo.record_alert(
                db,
                change.metric,
                change.value,
                change.severity,
                threshold_id=change.threshold_id,
                recording_id=change.recording_id,
                threshold_value=change.threshold_value,
                raised_at=change.at,
                raised_time_s=change.raised_time_s,
                shelved_until=change.until,
                detail=change.detail,
            )
            self._ids[change.key] = row.id
            return
        alert_id = self._ids.get(change.key)
        if alert_id is None:
            return  # its raise could not be stored (that error was reported)
        who = {"actor": change.actor, "at": change.at, "user_id": _user_id()}
        if change.action == NOTED:
            repo.note_alert_worst(
                db, alert_id, worst_value=change.worst_value, worst_detail=change.worst_detail
            )
        elif change.action == "acknowledged":
            repo.acknowledge_alert(db, alert_id, comment=change.comment, **who)
        elif change.action == "shelved":
            repo.shelve_alert(db, alert_id, change.until, comment=change.comment, **who)
        elif change.action == "unshelved":
            repo.unshelve_alert(db, alert_id, **who)
        elif change.action == "withdrawn":  # the comment says why
            repo.withdraw_alert(db, alert_id, change.comment or "", at=change.at)
        elif change.action == "cleared":
            repo.clear_alert(
                db,
                alert_id,
                cleared_at=change.at,
                cleared_time_s=change.cleared_time_s,
                worst_value=change.worst_value,
                worst_detail=change.worst_detail,
            )
