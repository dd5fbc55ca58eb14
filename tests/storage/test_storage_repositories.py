"""Repositories: users, recordings, diagnostics (alerts: test_storage_alerts.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.core.errors import StorageError
from app.core.spec import preset
from app.storage import repositories as repo
from app.storage.models import RecordingStatus, UserRole


def test_users(db):
    admin = repo.create_user(db, "ada", UserRole.ADMIN, password="correct horse")
    repo.create_user(db, "bob", "engineer")
    viewer = repo.create_user(db, "  cy ")
    assert admin.id is not None and admin.role is UserRole.ADMIN
    assert viewer.name == "cy" and viewer.role is UserRole.VIEWER
    assert viewer.password_hash is None
    assert admin.created_at.tzinfo is not None
    assert [u.name for u in repo.list_users(db)] == ["ada", "bob", "cy"]

    stored = repo.get_user(db, "ada")
    assert stored.password_hash.startswith("scrypt$")
    assert repo.verify_password("correct horse", stored.password_hash)
    assert not repo.verify_password("wrong", stored.password_hash)
    assert not repo.verify_password("x", None)

    assert repo.set_user_role(db, "bob", UserRole.VIEWER).role is UserRole.VIEWER
    assert repo.delete_user(db, "cy") and repo.get_user(db, "cy") is None


def test_user_mistakes_are_clear_errors(db):
    repo.create_user(db, "ada")
    with pytest.raises(StorageError, match="^user 'ada' already exists$"):
        repo.create_user(db, "ada")
    with pytest.raises(StorageError, match="unknown role 'boss'"):
        repo.create_user(db, "eve", "boss")
    with pytest.raises(StorageError, match="needs a name"):
        repo.create_user(db, "  ")
    with pytest.raises(StorageError, match="no user 'zed'"):
        repo.set_user_role(db, "zed", "admin")


def test_recent_recordings(db):
    base = datetime(2026, 1, 1, 12, tzinfo=UTC)
    spec = preset("lfp").to_dict()
    ids = [
        repo.create_recording(db, f"sim://{i}", spec, started_at=base + timedelta(hours=i)).id
        for i in range(5)
    ]
    recent = repo.list_recordings(db, limit=3)
    assert [r.id for r in recent] == ids[::-1][:3]
    assert recent[0].spec == spec
    assert recent[0].status is RecordingStatus.RECORDING
    assert recent[0].started_at == base + timedelta(hours=4)
    assert [r.id for r in repo.list_recordings(db, limit=3, offset=3)] == ids[1::-1]

    done = repo.finish_recording(db, ids[0])
    assert done.status is RecordingStatus.COMPLETE and done.ended_at is not None
    assert repo.update_recording_notes(db, ids[0], "cell 7").notes == "cell 7"
    assert repo.get_recording(db, ids[0]).notes == "cell 7"
    assert repo.get_recording(db, 12345) is None
    with pytest.raises(StorageError, match="no recording with id 12345"):
        repo.finish_recording(db, 12345)


def test_timestamps_come_back_in_utc(db):
    local = datetime(2026, 6, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    rec = repo.create_recording(db, "sim://x", started_at=local)
    stored = repo.get_recording(db, rec.id).started_at
    assert stored == local and stored.utcoffset() == timedelta(0)
    assert stored.hour == 12


def test_diagnostics(db):
    user = repo.create_user(db, "ada")
    rec = repo.create_recording(db, "file:///cell7.csv")
    result = {"soh_percent": 91.5, "method": "capacity", "cycles": [1, 2, 3], "note": None}
    saved = repo.save_diagnostic(
        db,
        "soh",
        result,
        battery_name="cell 7",
        battery_profile="lfp",
        recording_id=rec.id,
        created_by=user.id,
    )
    repo.save_diagnostic(db, "soc", {"soc_percent": 55.0}, recording_id=rec.id)
    repo.save_diagnostic(db, "soc", {"soc_percent": 12.0})
    assert saved.id is not None
    of_recording = repo.list_diagnostics(db, recording_id=rec.id)
    assert [d.diagnostic for d in of_recording] == ["soc", "soh"]
    assert of_recording[1].result == result
    assert len(repo.list_diagnostics(db, diagnostic="soc")) == 2
    # deleting the recording keeps the results, detached
    repo.delete_recording(db, rec.id)
    assert {d.recording_id for d in repo.list_diagnostics(db)} == {None}
