"""API-key authentication and roles.

Keys are verified against the salted hashes in ``api_keys``
(:func:`app.storage.api_keys.find_user_by_api_key`, a constant-time compare).
That hash is deliberately slow (PBKDF2), so a verified key is remembered for
:data:`CACHE_S` seconds under its SHA-256 digest: a revoked key stops working
within that time, and ``last_used_at`` is written at most once per window
instead of on every request.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

from app.storage.database import Database

CACHE_S = 10.0
ROLE_RANK = {"viewer": 0, "engineer": 1, "admin": 2}


@dataclass(frozen=True)
class ApiUser:
    id: int
    name: str
    role: str

    def may(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]


class KeyVerifier:
    """Finds the user of an API key, remembering verified keys for a short while."""

    def __init__(self, db: Database, cache_s: float = CACHE_S):
        self.db = db
        self.cache_s = cache_s
        self._cache: dict[bytes, tuple[ApiUser | None, float]] = {}
        self._lock = threading.Lock()

    def remembered(self, key: str) -> tuple[bool, ApiUser | None]:
        """(known, user) from the cache alone: cheap enough for the event loop."""
        digest = hashlib.sha256(key.encode("utf-8", "replace")).digest()
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None and hit[1] > time.monotonic():
            return True, hit[0]
        return False, None

    def user(self, key: str | None) -> ApiUser | None:
        """The key's user (None: unknown, malformed or revoked); may query the database."""
        if not key or len(key) > 200:
            return None
        known, user = self.remembered(key)
        if known:
            return user
        digest = hashlib.sha256(key.encode("utf-8", "replace")).digest()
        now = time.monotonic()
        user = self._lookup(key)
        with self._lock:
            if len(self._cache) > 10_000:  # a flood of wrong keys must not grow memory
                self._cache.clear()
            self._cache[digest] = (user, now + self.cache_s)
        return user

    def _lookup(self, key: str) -> ApiUser | None:
        from app.storage.api_keys import find_user_by_api_key

        with self.db.session(write=True) as session:
            row = find_user_by_api_key(session, key)
            return None if row is None else ApiUser(row.id, row.name, str(row.role))

    def forget(self) -> None:
        """Drop every remembered key (after a revocation in this process)."""
        with self._lock:
            self._cache.clear()
