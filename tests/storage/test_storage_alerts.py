"""Alert thresholds per profile, alert history and its audit trail, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.core.errors import StorageError
from app.core.spec import preset
from app.diagnostics.alerts import Threshold, default_thresholds
from app.storage import alert_repository as alerts
from app.storage import repositories as repo
from app.storage.models import AlertAction, AlertState, AlertThreshold, Comparison, Severity

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_thresholds_per_profile_round_trip(db):
    nmc = default_thresholds(preset("nmc", series_cells=4), profile="pack-a")
    stored = alerts.replace_thresholds(db, "pack-a", nmc)
    assert all(t.id is not None for t in stored)
    alerts.save_threshold(db, Threshold("cell_v_max", "above", level=3.65, profile="lfp-b"))
    assert alerts.list_profiles(db) == ["lfp-b", "pack-a"]

    loaded = alerts.load_thresholds(db, "pack-a")
    # stored and loaded rules are the same rules (ids aside)
    strip = lambda rules: sorted((r.metric, r.describe(), r.severity) for r in rules)  # noqa: E731
    assert strip(loaded) == strip(nmc)
    assert {t.profile for t in loaded} == {"pack-a"}

    first = loaded[0]
    changed = alerts.save_threshold(
        db,
        Threshold(
            first.metric, "above", level=99.0, severity="info", id=first.id, profile="pack-a"
        ),
    )
    assert changed.id == first.id
    assert alerts.load_thresholds(db, "pack-a")[0].level == 99.0
    disabled = Threshold("soc_percent", "below", level=5, enabled=False, profile="pack-a")
    alerts.save_threshold(db, disabled)
    assert len(alerts.load_thresholds(db, "pack-a", enabled_only=True)) == len(nmc)
    assert alerts.delete_threshold(db, first.id)
    assert not alerts.delete_threshold(db, first.id)

    # an import replaces a profile's rules and leaves the other profiles alone
    alerts.replace_thresholds(
        db, "pack-a", [Threshold("current_a", "outside", band_low=-5, band_high=5)]
    )
    assert [t.metric for t in alerts.load_thresholds(db, "pack-a")] == ["current_a"]
    assert len(alerts.load_thresholds(db, "lfp-b")) == 1


def test_threshold_needs_a_profile_and_an_existing_row(db):
    with pytest.raises(StorageError, match="no battery profile"):
        alerts.save_threshold(db, Threshold("cell_v_max", "above", level=4.2))
    with pytest.raises(StorageError, match="no alert threshold with id 42"):
        alerts.save_threshold(db, Threshold("cell_v_max", "above", level=4.2, profile="x", id=42))


def test_the_database_itself_refuses_an_inconsistent_threshold(db):
    with (
        pytest.raises(StorageError, match="ck_alert_thresholds_levels"),
        db.session(write=True) as session,
    ):
        session.add(AlertThreshold(profile="nmc", metric="x", comparison=Comparison.ABOVE))


def _actions(db, alert_id):
    return [(e.action, e.actor) for e in alerts.list_alert_events(db, alert_id)]


def test_alert_lifecycle_and_audit_trail(db):
    user = repo.create_user(db, "ada", "engineer")
    rec = repo.create_recording(db, "sim://nmc")
    rule = alerts.save_threshold(db, Threshold("cell_v_max", "above", level=4.2, profile="nmc"))
    first = alerts.record_alert(
        db,
        "cell_v_max",
        4.23,
        "critical",
        threshold_id=rule.id,
        recording_id=rec.id,
        threshold_value=4.2,
        raised_at=T0,
        raised_time_s=812.5,
    )
    second = alerts.record_alert(
        db, "temperature_max_c", 61.0, Severity.WARNING, raised_at=T0 + timedelta(minutes=5)
    )
    assert first.state is AlertState.ACTIVE and first.raised_time_s == 812.5

    acked = alerts.acknowledge_alert(
        db, first.id, actor="ada", comment="balancing", at=T0 + timedelta(seconds=30)
    )
    # the name is linked to the user row
    assert acked.state is AlertState.ACKNOWLEDGED and acked.acknowledged_by == user.id
    assert acked.comment == "balancing"
    with pytest.raises(StorageError, match="acknowledged already"):
        alerts.acknowledge_alert(db, first.id, actor="bob")
    cleared = alerts.clear_alert(db, first.id, cleared_time_s=900.0, worst_value=4.31)
    assert cleared.state is AlertState.CLEARED
    assert cleared.acknowledged_at == T0 + timedelta(seconds=30)  # kept
    assert cleared.worst_value == 4.31 and cleared.cleared_time_s == 900.0

    until = T0 + timedelta(hours=1)
    shelved = alerts.shelve_alert(db, second.id, until, actor="bob", comment="sensor swap")
    assert shelved.state is AlertState.SHELVED and shelved.shelved_until == until
    assert alerts.list_alert_history(db, state="shelved")[0].id == second.id
    assert alerts.unshelve_alert(db, second.id).state is AlertState.ACTIVE
    with pytest.raises(StorageError, match="not shelved"):
        alerts.unshelve_alert(db, second.id)
    alerts.clear_alert(db, second.id)
    with pytest.raises(StorageError, match="nothing to shelve"):
        alerts.shelve_alert(db, second.id, until)

    assert _actions(db, first.id) == [
        (AlertAction.RAISED, "system"),
        (AlertAction.ACKNOWLEDGED, "ada"),
        (AlertAction.CLEARED, "system"),
    ]
    trail = alerts.list_alert_events(db, second.id)
    assert [e.action for e in trail] == ["raised", "shelved", "unshelved", "cleared"]
    assert trail[1].actor == "bob" and trail[1].user_id is None and trail[1].until == until
    assert trail[1].comment == "sensor swap"

    # deleting the user keeps the trail, unattributed but named
    repo.delete_user(db, "ada")
    ack = alerts.list_alert_events(db, first.id)[1]
    assert ack.actor == "ada" and ack.user_id is None

    history = alerts.list_alert_history(db)
    assert [a.id for a in history] == [second.id, first.id]
    assert [a.id for a in alerts.list_alert_history(db, recording_id=rec.id)] == [first.id]
    assert [a.id for a in alerts.list_alert_history(db, since=T0 + timedelta(minutes=1))] == [
        second.id
    ]
    with pytest.raises(StorageError, match="no alert with id 999"):
        alerts.acknowledge_alert(db, 999)
    with pytest.raises(StorageError, match="unknown alert state"):
        alerts.list_alert_history(db, state="gone")


def test_an_alert_of_a_shelved_threshold_is_stored_shelved(db):
    until = T0 + timedelta(minutes=10)
    row = alerts.record_alert(db, "soc_percent", 9.0, "info", raised_at=T0, shelved_until=until)
    assert row.state is AlertState.SHELVED
    assert alerts.list_alert_events(db, row.id)[0].until == until


def test_the_database_refuses_an_unknown_alert_state(db):
    row = alerts.record_alert(db, "soc_percent", 9.0, "info")
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE alert_history SET state = 'lost' WHERE id = :id"), {"id": row.id}
        )


def test_a_fault_alert_keeps_what_the_detector_measured(db):
    """A rule on a detected fault stores 1 above 0.5: its figures, in words, are kept
    with it (when raised, and as last known) and read back by every reader."""
    from app.storage.history import find_alerts

    raised = "cell 2: 0.4 K warmer than its neighbours"
    later = "cell 2: self-discharge 0.349 A, 0.4 K warmer than its neighbours"
    row = alerts.record_alert(
        db, "fault_internal_short", 1.0, "critical", threshold_value=0.5, detail=raised
    )
    assert (row.detail, row.worst_detail) == (raised, raised)
    # the live view's later reading: stored, no audit entry (no change of state)
    assert alerts.note_alert_worst(db, row.id, worst_value=1.0, worst_detail=later)
    assert not alerts.note_alert_worst(db, row.id, worst_detail=later)  # nothing new
    assert _actions(db, row.id) == [(AlertAction.RAISED, "system")]
    (stored,) = alerts.list_alert_history(db)
    assert (stored.detail, stored.worst_detail) == (raised, later)

    final = later.replace("0.349", "0.412")
    cleared = alerts.clear_alert(db, row.id, worst_value=1.0, worst_detail=final)
    assert (cleared.detail, cleared.worst_detail) == (raised, final)
    # a cleared alert keeps its final worst; an empty detail says nothing
    assert not alerts.note_alert_worst(db, row.id, worst_detail="cell 3: something else")
    (found,) = find_alerts(db)
    assert (found.detail, found.worst_detail, found.worst_value) == (raised, final, 1.0)

    # a rule on a number, or an alert stored without figures: NULL, read as before
    plain = alerts.record_alert(db, "cell_v_max", 4.25, "critical", detail="  ")
    assert (plain.detail, plain.worst_detail) == (None, None)
    alerts.clear_alert(db, plain.id, worst_value=4.31)
    got = {a.id: a for a in alerts.list_alert_history(db)}[plain.id]
    assert (got.worst_value, got.detail, got.worst_detail) == (4.31, None, None)


def test_limit_rules_keep_how_they_judge(db):
    """The default limit rules judge as the safety check (noise band, fast level,
    level while charging, debounced clear): stored and read back whole, or the rules
    a database hands the live engine would judge otherwise than the defaults."""
    rules = default_thresholds(preset("lfp", series_cells=4), profile="pack-c")
    assert any(r.charge_level is not None for r in rules)
    assert any(r.fast_level is not None for r in rules)
    alerts.replace_thresholds(db, "pack-c", rules)
    loaded = alerts.load_thresholds(db, "pack-c")
    key = lambda r: (r.metric, r.comparison.value, r.severity.value)  # noqa: E731
    assert sorted(loaded, key=key) == sorted(rules, key=key)
    # a plain rule stores the defaults: off
    plain = alerts.save_threshold(db, Threshold("soc_percent", "below", level=5, profile="x"))
    back = alerts.load_thresholds(db, "x")[0]
    assert back == plain
    assert (back.noise_band, back.fast_level, back.charge_level, back.clear_delay_s) == (
        0.0,
        None,
        None,
        0.0,
    )


REASON = "cell 2's internal short explains the heat"


@pytest.mark.parametrize("withdrawn_first", [False, True])
def test_a_withdrawn_alarm_is_stored_withdrawn_with_its_reason(db, withdrawn_first):
    """A runaway-onset alarm the fault detector later puts down to an internal short
    was stored as plain 'cleared': it is 'withdrawn', with its reason, whether the
    withdrawal comes before or after the clear, and the audit trail says so."""
    from app.storage.history import find_alerts

    row = alerts.record_alert(
        db, "fault_thermal_runaway_onset", 1.0, "critical", threshold_value=0.5, raised_at=T0
    )
    later = T0 + timedelta(minutes=3)
    if withdrawn_first:
        up = alerts.withdraw_alert(db, row.id, REASON, at=later)
        assert up.state is AlertState.ACTIVE  # still up: it reads withdrawn once it clears
        alerts.clear_alert(db, row.id, cleared_at=later + timedelta(seconds=5))
    else:
        alerts.clear_alert(db, row.id, cleared_at=later)
        alerts.withdraw_alert(db, row.id, REASON, at=later + timedelta(seconds=5))
    (stored,) = alerts.list_alert_history(db, state="withdrawn")
    assert (stored.state, stored.withdrawn) == (AlertState.WITHDRAWN, REASON)
    assert not alerts.list_alert_history(db, state="cleared")
    actions = [a for a, _ in _actions(db, row.id)]
    assert AlertAction.WITHDRAWN in actions and actions[0] is AlertAction.RAISED
    (event,) = [e for e in alerts.list_alert_events(db, row.id) if e.action == "withdrawn"]
    assert event.comment == REASON
    # once only; a cleared or withdrawn alert cannot be shelved; it can be acknowledged
    assert alerts.withdraw_alert(db, row.id, "another reason").withdrawn == REASON
    with pytest.raises(StorageError, match="nothing to shelve"):
        alerts.shelve_alert(db, row.id, later + timedelta(hours=1))
    alerts.acknowledge_alert(db, row.id, actor="ada")
    (found,) = find_alerts(db)
    assert (found.state, found.withdrawn) == ("withdrawn", REASON)
    with pytest.raises(StorageError, match="reason"):
        alerts.withdraw_alert(db, row.id, "  ")
