"""API keys of users: generated once, shown once, stored only as a salted hash.

A key reads ``bos_<prefix>_<secret>``: ``prefix`` is 8 hex characters kept in
clear (unique, indexed) to find the row, ``secret`` 32 random bytes in
URL-safe base64. The row keeps a PBKDF2-SHA256 hash of the whole key with a
per-key salt; a lookup recomputes it and compares in constant time. (The
secret has 256 bits of entropy, so a moderate iteration count is enough and
keeps each REST request cheap.)

::

    key, row = create_api_key(db, "ada")     # print `key` once; it is never stored
    with db.session(write=True) as session:
        user = find_user_by_api_key(session, key)   # None if unknown or revoked
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.errors import StorageError
from app.storage.database import Database
from app.storage.models import ApiKey, User, utcnow

KEY_MARK = "bos"
PREFIX_HEX = 8
_ITERATIONS = 20_000
_SCHEME = "pbkdf2_sha256"


def hash_api_key(key: str, *, iterations: int = _ITERATIONS) -> str:
    """``pbkdf2_sha256$iterations$salt$hash`` (base64) of ``key`` with a new random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", key.encode(), salt, iterations)
    b64 = base64.b64encode
    return f"{_SCHEME}${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def verify_api_key(key: str, key_hash: str) -> bool:
    """Whether ``key`` matches ``key_hash`` (constant-time comparison)."""
    try:
        scheme, iterations, salt, digest = key_hash.split("$")
        if scheme != _SCHEME:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.pbkdf2_hmac(
            "sha256", key.encode(), base64.b64decode(salt), int(iterations)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def key_prefix(key: str) -> str | None:
    """The lookup prefix of a well-formed key, else None."""
    parts = key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_MARK or len(parts[1]) != PREFIX_HEX or not parts[2]:
        return None
    return parts[1]


def create_api_key(db: Database, user_name: str) -> tuple[str, ApiKey]:
    """A new key for ``user_name``: ``(key, row)``. The key is in no row: show it once."""
    for _ in range(5):  # a prefix collision is rare (2^32 prefixes); draw again
        prefix = secrets.token_hex(PREFIX_HEX // 2)
        key = f"{KEY_MARK}_{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with db.session(write=True) as session:
                user = session.scalars(select(User).where(User.name == user_name)).first()
                if user is None:
                    raise StorageError(f"no user {user_name!r}")
                row = ApiKey(user_id=user.id, prefix=prefix, key_hash=hash_api_key(key))
                session.add(row)
            return key, row
        except StorageError as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise
    raise StorageError("could not draw an unused API key prefix")


def list_api_keys(db: Database, user_name: str | None = None) -> list[tuple[ApiKey, str]]:
    """Keys (revoked ones too) with their user's name, by user then creation."""
    query = select(ApiKey, User.name).join(User, User.id == ApiKey.user_id)
    if user_name is not None:
        query = query.where(User.name == user_name)
    with db.session() as session:
        rows = session.execute(query.order_by(User.name, ApiKey.created_at, ApiKey.id))
        return [(key, name) for key, name in rows]


def revoke_api_key(db: Database, prefix: str) -> ApiKey:
    """Revoke the key with ``prefix`` (the full key is accepted too); it stops working at once.

    :class:`StorageError` when no key has that prefix. Revoking twice keeps the first time.
    """
    wanted = key_prefix(prefix) or prefix.strip()
    with db.session(write=True) as session:
        row = session.scalars(select(ApiKey).where(ApiKey.prefix == wanted)).first()
        if row is None:
            raise StorageError(f"no API key with prefix {wanted!r}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
    return row


def find_user_by_api_key(session: Session, key: str) -> User | None:
    """The user owning ``key``, or None (unknown, malformed or revoked key).

    Sets the key's ``last_used_at``; the caller's session commits it (use a
    writing session: ``db.session(write=True)``).
    """
    prefix = key_prefix(key)
    if prefix is None:
        return None
    row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if row is None or row.revoked_at is not None or not verify_api_key(key.strip(), row.key_hash):
        return None
    row.last_used_at = utcnow()
    return session.get(User, row.user_id)
