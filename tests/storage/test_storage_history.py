"""History queries: filters by time, battery, severity and acknowledgement, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.storage import alert_repository as alerts_repo
from app.storage import repositories as repo
from app.storage.history import find_alerts, find_diagnostics, find_recordings

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _fill(db):
    ada = repo.create_user(db, "ada", "engineer")
    a = repo.create_recording(db, "sim://nmc?cells=4", notes="pack A_1", started_at=T0)
    b = repo.create_recording(db, "serial:///dev/ttyUSB0", started_at=T0 + timedelta(days=2))
    repo.save_diagnostic(db, "soc", {"final_soc_percent": 40.0}, battery_name="Pack A_1",
                         recording_id=a.id, created_by=ada.id)  # fmt: skip
    repo.save_diagnostic(db, "soh", {"soh_percent": 91.0}, battery_name="Pack B")
    alerts = [
        alerts_repo.record_alert(
            db, "cell_v_max", 4.25, "critical", recording_id=a.id, raised_at=T0 + timedelta(hours=1)
        ),  # fmt: skip
        alerts_repo.record_alert(
            db,
            "temp_max",
            48.0,
            "warning",
            recording_id=b.id,
            raised_at=T0 + timedelta(days=2, hours=1),
        ),  # fmt: skip
        alerts_repo.record_alert(db, "soc_low", 9.0, "info", raised_at=T0 + timedelta(days=3)),
    ]
    alerts_repo.acknowledge_alert(
        db, alerts[0].id, actor="ada", user_id=ada.id, comment="balancing"
    )
    return a, b, alerts


def test_recordings_by_time_and_battery(db):
    a, b, _ = _fill(db)
    assert [r.id for r in find_recordings(db)] == [b.id, a.id]
    assert [r.id for r in find_recordings(db, since=T0 + timedelta(days=1))] == [b.id]
    assert [r.id for r in find_recordings(db, until=T0 + timedelta(days=1))] == [a.id]
    assert [r.id for r in find_recordings(db, battery="TTYUSB")] == [b.id]
    assert [r.id for r in find_recordings(db, battery="a_1")] == [a.id]  # notes; "_" literal
    assert find_recordings(db, battery="a%1") == []
    row = find_recordings(db, battery="sim")[0]
    assert row.status == "recording" and row.started_at == T0


def test_diagnostics_by_battery_with_author(db):
    a, _, _ = _fill(db)
    rows = find_diagnostics(db, battery="pack a")
    assert [(r.diagnostic, r.recording_id, r.created_by) for r in rows] == [("soc", a.id, "ada")]
    assert rows[0].result == {"final_soc_percent": 40.0}
    assert {r.diagnostic for r in find_diagnostics(db)} == {"soc", "soh"}
    assert [r.diagnostic for r in find_diagnostics(db, diagnostic="soh")] == ["soh"]


def test_alerts_by_severity_acknowledgement_battery_and_time(db):
    a, b, alerts = _fill(db)
    assert [r.id for r in find_alerts(db)] == [x.id for x in reversed(alerts)]
    (crit,) = find_alerts(db, severity="critical")
    assert crit.acknowledged_by == "ada" and crit.comment == "balancing"
    assert crit.source_url.startswith("sim://") and crit.state == "acknowledged"
    assert [r.id for r in find_alerts(db, acknowledged=True)] == [alerts[0].id]
    assert [r.id for r in find_alerts(db, acknowledged=False)] == [alerts[2].id, alerts[1].id]
    assert [r.id for r in find_alerts(db, battery="ttyUSB0")] == [alerts[1].id]
    window = find_alerts(db, since=T0 + timedelta(days=2), until=T0 + timedelta(days=3))
    assert [r.id for r in window] == [alerts[1].id]


def test_who_acknowledged_is_the_name_in_the_audit_even_without_a_users_row(db):
    """A local operator (the OS login, say "root") may have no users row: the
    row's acknowledged_by user id is then empty, but the audit keeps the name."""
    alert = alerts_repo.record_alert(db, "fault_internal_short", 1.0, "critical", raised_at=T0)
    alerts_repo.acknowledge_alert(db, alert.id, actor="root", comment="checked cell 2")
    alerts_repo.clear_alert(db, alert.id, cleared_at=T0 + timedelta(minutes=1))
    (row,) = find_alerts(db)
    assert row.acknowledged_by == "root"
    assert row.state == "cleared" and row.acknowledged_at is not None


def test_a_one_sample_recording_has_no_data_span(db, make_block):
    """data_spans said 0.0 for a one-sample recording (History showed 0:00:00) though
    its docstring says a recording without two timed samples is left out, as one
    without samples is (the Duration cell left blank)."""
    from app.storage.sample_writer import write_samples

    one = repo.create_recording(db, "sim://nmc", started_at=T0)
    write_samples(db, one.id, make_block(1, t0=5.0), 0)
    two = repo.create_recording(db, "sim://nmc", started_at=T0)
    write_samples(db, two.id, make_block(2, t0=5.0), 0)
    empty = repo.create_recording(db, "sim://nmc", started_at=T0)
    spans = repo.data_spans(db, [one.id, two.id, empty.id])
    assert spans == {two.id: pytest.approx(0.1)}
    rows = {r.id: r for r in find_recordings(db)}
    assert [r.id for r in find_recordings(db) if r.data_span_s is not None] == [two.id]
    assert rows[one.id].sample_count == 1
