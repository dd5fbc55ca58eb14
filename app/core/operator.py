"""Who is at the bench: the operator picked at start, for "who did it" records.

Every acknowledgement and configuration change stores who made it. The GUI
sets the operator when the user picks themselves at start (or leaves it
unset when the database has no users); code that records "who" calls
:func:`current_user` and stores ``current_user().id`` (None when unknown)::

    from app.core.operator import current_user

    user = current_user()
    acknowledge_alert(db, alert_id, user_id=user.id if user else None)

Qt-free and dependency-free, so every layer may import it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from app.core.errors import StorageError

#: The roles a user may have (``app.storage.models.UserRole``), as ``batteryos users add
#: --role`` and the Sharing dialog offer them; a new user is an engineer unless told.
USER_ROLES = ("admin", "engineer", "viewer")
DEFAULT_USER_ROLE = "engineer"


def confirmed_password(password: str, again: str) -> str:
    """A new user's password typed twice (``users add --password`` at a terminal, the
    Sharing dialog): :class:`StorageError` when the two differ or it is empty."""
    if password != again:
        raise StorageError("the passwords differ")
    if not password:
        raise StorageError("empty password")
    return password


@dataclass(frozen=True)
class Operator:
    """The person using this Battery OS process (a row of ``users``)."""

    id: int
    name: str
    role: str  # "admin", "engineer" or "viewer"


_lock = threading.Lock()
_current: Operator | None = None


def current_user() -> Operator | None:
    """The operator picked at start, or None (no users, or skipped). Any thread."""
    with _lock:
        return _current


def set_current_user(user: Operator | None) -> None:
    """Make ``user`` the operator of this process (None: nobody in particular)."""
    global _current
    with _lock:
        _current = user
