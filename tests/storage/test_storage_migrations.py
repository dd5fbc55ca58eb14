"""Alembic migrations: a fresh database gets every table, and the migrations
agree with the models on each backend."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from app.core.errors import StorageError
from app.storage.migrate import current_revision, downgrade, head_revision, upgrade
from app.storage.models import Base

TABLES = {
    "users",
    "recordings",
    "samples",
    "battery_diagnostics",
    "alert_thresholds",
    "alert_history",
    "api_keys",
}


def _tables(db) -> set[str]:
    with db.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def _diff(db, metadata=Base.metadata) -> list:
    with db.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_upgrade_creates_every_table(empty_db):
    assert current_revision(empty_db) is None
    assert not _tables(empty_db) & TABLES
    assert empty_db.ensure_schema() == head_revision()
    assert _tables(empty_db) >= TABLES | {"alembic_version"}
    assert current_revision(empty_db) == head_revision()


def test_the_schema_head_constant_is_the_newest_migration():
    from app.storage.database import SCHEMA_HEAD

    assert head_revision() == SCHEMA_HEAD  # a new migration must move it too


def test_a_database_at_head_is_opened_without_alembic(db, monkeypatch):
    # every start after the first: no migration scripts loaded, no Alembic run
    import app.storage.migrate as migrate

    def no_upgrade(*args, **kwargs):
        raise AssertionError("Alembic ran on a database at head")

    monkeypatch.setattr(migrate, "upgrade", no_upgrade)
    assert db.schema_revision() == head_revision()
    assert db.ensure_schema() == head_revision()


def test_an_older_schema_is_still_upgraded_on_open(db):
    downgrade(db, "0003")
    assert db.schema_revision() == "0003"
    assert db.ensure_schema() == head_revision()
    assert current_revision(db) == head_revision()


def test_upgrade_by_url_and_twice(db_url):
    assert upgrade(db_url) == head_revision()
    assert upgrade(db_url) == head_revision()  # at head already: nothing to do
    assert current_revision(db_url) == head_revision()


def test_models_and_migrations_agree(db):
    assert _diff(db) == []


def test_comparison_would_notice_a_difference(db):
    # Guard against a vacuous test above: a model change must show up.
    metadata = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    metadata.tables["users"].append_column(sa.Column("email", sa.String(200)))
    sa.Table("api_tokens", metadata, sa.Column("id", sa.Integer, primary_key=True))
    kinds = {d[0] if isinstance(d, tuple) else d[0][0] for d in _diff(db, metadata)}
    assert {"add_column", "add_table"} <= kinds


def test_downgrade_to_base_and_back(db):
    downgrade(db, "base")
    assert not _tables(db) & TABLES
    db.ensure_schema()
    assert _tables(db) >= TABLES
    assert _diff(db) == []


def test_database_from_a_newer_version_is_a_clear_error(db):
    with db.connect(write=True) as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff_future'")
    with pytest.raises(StorageError, match="ffff_future.*newer Battery OS"):
        db.ensure_schema()


def test_sqlite_samples_table_is_clustered_on_its_key(tmp_path):
    from app.storage.database import Database

    with Database(f"sqlite:///{tmp_path / 'x.sqlite'}") as db:
        db.ensure_schema()
        with db.connect() as conn:
            sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'samples'"
            ).scalar()
    assert "WITHOUT ROWID" in sql


def test_sqlite_table_rebuilds_in_migrations_keep_references(tmp_path):
    # What a batch migration does to "users" on SQLite: copy, drop, rename.
    # With foreign keys enforced the DROP would set alert_thresholds.created_by
    # to NULL; migrations run without enforcement and check afterwards.
    from app.diagnostics.alerts import Threshold
    from app.storage import alert_repository as alerts
    from app.storage import repositories as repo
    from app.storage.database import Database
    from app.storage.models import AlertThreshold

    with Database(f"sqlite:///{tmp_path / 'x.sqlite'}") as db:
        db.ensure_schema()
        user = repo.create_user(db, "ada")
        rule = Threshold("cell_v_max", "above", level=4.2, profile="nmc")
        alerts.save_threshold(db, rule, created_by=user.id)
        with db.connect(write=True, foreign_keys=False) as conn:
            ddl = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'users'"
            ).scalar()
            conn.exec_driver_sql(ddl.replace("CREATE TABLE users", "CREATE TABLE users_new", 1))
            conn.exec_driver_sql("INSERT INTO users_new SELECT * FROM users")
            conn.exec_driver_sql("DROP TABLE users")
            conn.exec_driver_sql("ALTER TABLE users_new RENAME TO users")
        with db.session() as session:
            assert session.query(AlertThreshold).one().created_by == user.id
        with db.connect() as conn:  # enforcement is back on pooled connections
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_migration_leaving_broken_references_is_refused(tmp_path):
    from app.storage.database import Database

    with Database(f"sqlite:///{tmp_path / 'x.sqlite'}") as db:
        db.ensure_schema()
        with (
            pytest.raises(StorageError, match="violate foreign keys"),
            db.connect(write=True, foreign_keys=False) as conn,
        ):
            conn.exec_driver_sql(
                "INSERT INTO battery_diagnostics (battery_name, battery_profile, diagnostic,"
                " created_at, result, created_by) VALUES ('', '', 'soc', '2026-01-01', '{}', 42)"
            )
        with db.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM battery_diagnostics").scalar() == 0


def test_database_at_the_baseline_upgrades_with_its_data(empty_db):
    """A database made by the first release (revision 0001), with rows, upgrades to head."""
    from datetime import UTC, datetime

    from app.storage import repositories as repo
    from app.storage.api_keys import create_api_key
    from app.storage.sample_writer import read_samples

    db = empty_db
    assert upgrade(db, "0001") == "0001"
    started = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    with db.connect(write=True) as conn:
        # What the baseline's code wrote: plain SQL, no column added since.
        conn.execute(
            sa.text(
                "INSERT INTO users (id, name, role, password_hash, created_at)"
                " VALUES (1, 'ada', 'admin', NULL, :t)"
            ),
            {"t": started},
        )
        conn.execute(
            sa.text(
                "INSERT INTO recordings (id, started_at, source_url, notes, status,"
                " sample_count, columns) VALUES (7, :t, 'sim://nmc', 'old run', 'complete',"
                " 3, :cols)"
            ),
            {"t": started, "cols": '["time_s", "voltage_v"]'},
        )
        for seq in range(3):
            conn.execute(
                sa.text(
                    "INSERT INTO samples (recording_id, seq, time_s, voltage_v)"
                    " VALUES (7, :s, :t, :v)"
                ),
                {"s": seq, "t": seq * 0.1, "v": 3.7 + seq / 100},
            )
        conn.execute(
            sa.text(
                "INSERT INTO battery_diagnostics (recording_id, battery_name, battery_profile,"
                " diagnostic, created_at, result, created_by)"
                " VALUES (7, 'pack A', 'nmc', 'soc', :t, '{\"soc\": 55.0}', 1)"
            ),
            {"t": started},
        )
    assert db.ensure_schema() == head_revision()
    assert _diff(db) == []
    (rec,) = repo.list_recordings(db)
    assert (rec.id, rec.notes, rec.status, rec.sample_count) == (7, "old run", "complete", 3)
    assert rec.started_at == started and rec.writer_pid is None
    block = read_samples(db, 7)
    assert list(block["voltage_v"]) == pytest.approx([3.70, 3.71, 3.72])
    (diag,) = repo.list_diagnostics(db)
    assert diag.result == {"soc": 55.0} and diag.created_by == 1
    assert repo.get_user(db, "ada").role == "admin"
    key, _ = create_api_key(db, "ada")  # the new table works with the old rows
    assert key.startswith("bos_")


def _alert_rows(db) -> list:
    """The alerts as stored, by id, in plain SQL (the ORM is at the newest revision)."""
    with db.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT id, metric, worst_value, raised_time_s, detail, worst_detail"
                " FROM alert_history ORDER BY id"
            )
        ).all()


def test_alert_detail_migration_keeps_the_alerts_stored_before(empty_db):
    """0003 -> 0004 adds the measured detail of an alert: the alerts stored before
    read as before (no detail), a new one keeps its; back to 0003 keeps the rows."""
    from datetime import UTC, datetime

    db = empty_db
    assert upgrade(db, "0003") == "0003"
    raised = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    with db.connect(write=True) as conn:
        # what 0003's code wrote: plain SQL, no column added since
        conn.execute(
            sa.text(
                "INSERT INTO alert_history (id, metric, value, threshold_value, severity,"
                " raised_at, state, worst_value, raised_time_s)"
                " VALUES (5, 'fault_internal_short', 1.0, 0.5, 'critical', :t, 'active',"
                " 1.0, 3030.0)"
            ),
            {"t": raised},
        )
        conn.execute(
            sa.text(
                "INSERT INTO alert_events (alert_id, at, action, actor)"
                " VALUES (5, :t, 'raised', 'system')"
            ),
            {"t": raised},
        )
    assert upgrade(db, "0004") == "0004"
    (old,) = _alert_rows(db)
    assert (old.id, old.metric, old.worst_value, old.raised_time_s) == (
        5,
        "fault_internal_short",
        1.0,
        3030.0,
    )
    assert (old.detail, old.worst_detail) == (None, None)
    with db.connect(write=True) as conn:  # (0004's code: the ORM is at a newer revision)
        conn.execute(
            sa.text(
                "UPDATE alert_history SET state = 'cleared', cleared_at = :t,"
                " worst_detail = 'cell 2: self-discharge 0.349 A' WHERE id = 5"
            ),
            {"t": raised},
        )
        conn.execute(
            sa.text(
                "INSERT INTO alert_events (alert_id, at, action, actor)"
                " VALUES (5, :t, 'cleared', 'system')"
            ),
            {"t": raised},
        )
        conn.execute(
            sa.text(
                "INSERT INTO alert_history (id, metric, value, severity, raised_at, state,"
                " worst_value, detail, worst_detail) VALUES (6, 'fault_open_circuit', 1.0,"
                " 'critical', :t, 'active', 1.0, 'cell 3', 'cell 3')"
            ),
            {"t": raised},
        )
        conn.execute(
            sa.text(
                "INSERT INTO alert_events (alert_id, at, action, actor)"
                " VALUES (6, :t, 'raised', 'system')"
            ),
            {"t": raised},
        )
    assert [a.worst_detail for a in _alert_rows(db)] == [
        "cell 2: self-discharge 0.349 A",
        "cell 3",
    ]

    downgrade(db, "0003")
    assert current_revision(db) == "0003"
    with db.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("alert_history")}
        rows = conn.execute(sa.text("SELECT id, state, worst_value FROM alert_history")).all()
        trail = conn.execute(sa.text("SELECT count(*) FROM alert_events")).scalar()
    assert not columns & {"detail", "worst_detail"} and "worst_value" in columns
    assert {r[0]: tuple(r[1:]) for r in rows} == {5: ("cleared", 1.0), 6: ("active", 1.0)}
    assert trail == 3  # the audit trail is kept: 5 raised and cleared, the new one raised
    assert db.ensure_schema() == head_revision()
    assert _diff(db) == []


def test_withdrawn_alarm_migration_keeps_the_rules_and_alerts_stored_before(empty_db):
    """0004 -> 0005: thresholds stored before judge as before (no noise band, fast
    level, level while charging or debounced clear), alerts read as before, and a
    withdrawn alarm can be stored; back to 0004 a withdrawn alarm reads cleared."""
    from datetime import UTC, datetime

    from app.storage import alert_repository as alerts

    db = empty_db
    assert upgrade(db, "0004") == "0004"
    raised = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    with db.connect(write=True) as conn:  # what 0004's code wrote
        conn.execute(
            sa.text(
                "INSERT INTO alert_thresholds (id, profile, metric, comparison, level,"
                " clear_level, severity, delay_s, enabled, updated_at) VALUES (3, 'pack',"
                " 'temperature_max_c', 'above', 60, 57, 'critical', 2, :yes, :t)"
            ),
            {"t": raised, "yes": True},
        )
        conn.execute(
            sa.text(
                "INSERT INTO alert_history (id, metric, value, threshold_value, severity,"
                " raised_at, cleared_at, state, worst_value) VALUES (5,"
                " 'fault_thermal_runaway_onset', 1.0, 0.5, 'critical', :t, :t, 'cleared', 1.0)"
            ),
            {"t": raised},
        )
    assert upgrade(db, "0005") == "0005"
    assert _diff(db) == []
    (rule,) = alerts.load_thresholds(db, "pack")
    assert (rule.level, rule.clear_level, rule.delay_s) == (60.0, 57.0, 2.0)
    assert (rule.noise_band, rule.fast_level, rule.charge_level, rule.clear_delay_s) == (
        0.0,
        None,
        None,
        0.0,
    )
    (old,) = alerts.list_alert_history(db)
    assert (old.state, old.withdrawn) == ("cleared", None)
    alerts.withdraw_alert(db, 5, "cell 2's internal short explains the heat")
    assert alerts.list_alert_history(db)[0].state == "withdrawn"

    downgrade(db, "0004")
    with db.connect() as conn:
        states = conn.execute(sa.text("SELECT id, state FROM alert_history")).all()
        actions = conn.execute(sa.text("SELECT action FROM alert_events")).scalars().all()
        columns = {c["name"] for c in sa.inspect(conn).get_columns("alert_thresholds")}
    assert states == [(5, "cleared")] and "withdrawn" not in actions
    assert not columns & {"noise_band", "fast_level", "charge_level", "clear_delay_s"}
    assert db.ensure_schema() == head_revision()
    assert _diff(db) == []
