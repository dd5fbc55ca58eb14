"""API keys: shown once, stored as a salted hash, found by key, revocable, last use kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.errors import StorageError
from app.storage import repositories as repo
from app.storage.api_keys import (
    create_api_key,
    find_user_by_api_key,
    key_prefix,
    list_api_keys,
    revoke_api_key,
    verify_api_key,
)
from app.storage.models import ApiKey


def _find(db, key):
    with db.session(write=True) as session:
        return find_user_by_api_key(session, key)


def test_key_finds_its_user_and_marks_last_use(db):
    ada = repo.create_user(db, "ada", "engineer")
    repo.create_user(db, "bob", "viewer")
    key, row = create_api_key(db, "ada")
    assert row.last_used_at is None and key_prefix(key) == row.prefix
    user = _find(db, key)
    assert user is not None and user.id == ada.id and user.name == "ada"
    ((stored, name),) = list_api_keys(db, "ada")
    assert name == "ada" and stored.last_used_at is not None
    assert stored.last_used_at >= stored.created_at


def test_only_a_salted_hash_is_stored(db):
    repo.create_user(db, "ada")
    key1, _ = create_api_key(db, "ada")
    key2, _ = create_api_key(db, "ada")
    with db.session() as session:
        hashes = [k.key_hash for k in session.scalars(select(ApiKey))]
    secret = key1.split("_", 2)[2]
    assert all(secret not in h and key1 not in h for h in hashes)
    salts = {h.split("$")[2] for h in hashes}
    assert len(salts) == 2  # a salt per key
    assert verify_api_key(key1, hashes[0]) != verify_api_key(key1, hashes[1])


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),  # wrong secret, right prefix
        lambda k: "bos_00000000_" + k.split("_", 2)[2],  # unknown prefix
        lambda k: k.replace("bos_", "xyz_"),  # not a key
        lambda k: "",
    ],
)
def test_wrong_keys_find_nobody(db, mangle):
    repo.create_user(db, "ada")
    key, _ = create_api_key(db, "ada")
    assert _find(db, mangle(key)) is None
    ((stored, _),) = list_api_keys(db)
    assert stored.last_used_at is None


def test_revoked_key_stops_working(db):
    repo.create_user(db, "ada")
    key, row = create_api_key(db, "ada")
    other, _ = create_api_key(db, "ada")
    revoked = revoke_api_key(db, row.prefix)
    assert revoked.revoked_at is not None
    assert _find(db, key) is None
    assert _find(db, other).name == "ada"
    again = revoke_api_key(db, key)  # the full key works as well; first time kept
    assert again.revoked_at == revoked.revoked_at
    with pytest.raises(StorageError, match="no API key"):
        revoke_api_key(db, "deadbeef")


def test_key_for_unknown_user_is_refused(db):
    with pytest.raises(StorageError, match="no user 'nobody'"):
        create_api_key(db, "nobody")


def test_deleting_a_user_deletes_their_keys(db):
    repo.create_user(db, "ada")
    key, _ = create_api_key(db, "ada")
    assert repo.delete_user(db, "ada")
    assert list_api_keys(db) == []
    assert _find(db, key) is None


def test_authenticate_user_with_optional_password(db):
    repo.create_user(db, "ada", password="s3cret")
    repo.create_user(db, "bob")
    assert repo.authenticate_user(db, "ada", "s3cret").name == "ada"
    assert repo.authenticate_user(db, "bob").name == "bob"
    with pytest.raises(StorageError, match="wrong password"):
        repo.authenticate_user(db, "ada", "guess")
    with pytest.raises(StorageError, match="wrong password"):
        repo.authenticate_user(db, "ada")
    with pytest.raises(StorageError, match="no user"):
        repo.authenticate_user(db, "eve", "x")
