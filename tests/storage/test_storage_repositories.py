"""Repositories: users, recordings, diagnostics, alert thresholds and history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.core.errors import StorageError
from app.core.spec import preset
from app.storage import repositories as repo
from app.storage.models import AlertState, Comparison, RecordingStatus, Severity, UserRole


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


def test_alert_thresholds(db):
    above = repo.save_alert_threshold(
        db, "nmc", "cell_v_max", "above", level=4.2, clear_level=4.15, severity="critical"
    )
    band = repo.save_alert_threshold(
        db, "nmc", "temperature_c", Comparison.OUTSIDE, band_low=0, band_high=45, delay_s=5
    )
    repo.save_alert_threshold(db, "lfp", "cell_v_max", "above", level=3.65, enabled=False)
    assert above.comparison is Comparison.ABOVE and above.severity is Severity.CRITICAL
    assert [t.metric for t in repo.list_alert_thresholds(db, "nmc")] == [
        "cell_v_max",
        "temperature_c",
    ]
    assert len(repo.list_alert_thresholds(db, enabled_only=True)) == 2

    changed = repo.save_alert_threshold(
        db, "nmc", "temperature_c", "outside", band_low=-10, band_high=50, threshold_id=band.id
    )
    assert changed.id == band.id and changed.band_low == -10
    assert repo.delete_alert_threshold(db, band.id)
    with pytest.raises(StorageError, match="needs a level"):
        repo.save_alert_threshold(db, "nmc", "soc", "below")
    with pytest.raises(StorageError, match="unknown comparison 'over'"):
        repo.save_alert_threshold(db, "nmc", "v", "over", level=1.0)
    with pytest.raises(StorageError, match="unknown severity 'fatal'"):
        repo.save_alert_threshold(db, "nmc", "v", "above", level=1.0, severity="fatal")
    with pytest.raises(StorageError, match="band_low <= band_high"):
        repo.save_alert_threshold(db, "nmc", "t", "outside", band_low=5, band_high=1)


def test_the_database_itself_refuses_an_inconsistent_threshold(db):
    from app.storage.models import AlertThreshold

    with (
        pytest.raises(StorageError, match="ck_alert_thresholds_levels"),
        db.session(write=True) as session,
    ):
        session.add(AlertThreshold(profile="nmc", metric="x", comparison=Comparison.ABOVE))


def test_alert_history(db):
    user = repo.create_user(db, "ada", "engineer")
    rec = repo.create_recording(db, "sim://nmc")
    threshold = repo.save_alert_threshold(db, "nmc", "cell_v_max", "above", level=4.2)
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    first = repo.record_alert(
        db,
        "cell_v_max",
        4.23,
        "warning",
        threshold_id=threshold.id,
        recording_id=rec.id,
        threshold_value=4.2,
        raised_at=t0,
    )
    second = repo.record_alert(
        db, "temperature_c", 61.0, Severity.CRITICAL, raised_at=t0 + timedelta(minutes=5)
    )
    assert first.state is AlertState.ACTIVE

    acked = repo.acknowledge_alert(db, first.id, user_id=user.id, comment="balancing")
    assert acked.state is AlertState.ACKNOWLEDGED and acked.acknowledged_by == user.id
    cleared = repo.clear_alert(db, first.id)
    assert cleared.state is AlertState.ACKNOWLEDGED and cleared.cleared_at is not None
    assert repo.clear_alert(db, second.id).state is AlertState.CLEARED

    history = repo.list_alert_history(db)
    assert [a.id for a in history] == [second.id, first.id]
    assert [a.id for a in repo.list_alert_history(db, recording_id=rec.id)] == [first.id]
    assert [a.id for a in repo.list_alert_history(db, state="cleared")] == [second.id]
    assert [a.id for a in repo.list_alert_history(db, since=t0 + timedelta(minutes=1))] == [
        second.id
    ]
    assert repo.list_alert_history(db, limit=1)[0].comment is None
    with pytest.raises(StorageError, match="no alert with id 999"):
        repo.acknowledge_alert(db, 999)
