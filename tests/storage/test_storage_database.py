"""Database: URLs, connection errors as one-line StorageErrors, SQLite settings."""

from __future__ import annotations

import socket

import pytest

from app.core.errors import StorageError
from app.storage.database import Database, default_url, normalize_url


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_default_url_is_sqlite_in_data_dir(tmp_path, monkeypatch):
    data = tmp_path / "not" / "yet"
    monkeypatch.setenv("BATTERYOS_DATA_DIR", str(data))
    url = default_url()
    assert url == f"sqlite:///{data / 'batteryos.sqlite'}"
    assert data.is_dir()
    db = Database()
    try:
        assert db.backend == "sqlite"
        db.ensure_schema()
        assert (data / "batteryos.sqlite").exists()
    finally:
        db.dispose()


@pytest.mark.parametrize(
    "url, driver",
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///x.sqlite", "sqlite"),
        ("sqlite+pysqlite:///x.sqlite", "sqlite"),
    ],
)
def test_normalize_url_picks_the_driver(url, driver):
    assert normalize_url(url).drivername == driver


@pytest.mark.parametrize(
    "url, words",
    [
        ("mysql://u@h/db", "unsupported database 'mysql'"),
        ("postgresql+psycopg2://u@h/db", "unsupported PostgreSQL driver 'psycopg2'"),
        ("data.sqlite", "did you mean sqlite:///data.sqlite?"),
        ("", "not a database URL"),
        ("postgresql://u@h:notaport/db", "not a database URL"),
    ],
)
def test_bad_urls_are_storage_errors(url, words):
    with pytest.raises(StorageError) as info:
        Database(url)
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_connection_refused_is_one_clear_line():
    port = _closed_port()
    db = Database(f"postgresql://bob:secret@127.0.0.1:{port}/x")
    with pytest.raises(StorageError) as info:
        db.check()
    message = str(info.value)
    assert (
        message == f"cannot connect to postgresql://bob:***@127.0.0.1:{port}/x: connection refused"
    )
    assert "secret" not in message
    # every way in says the same
    with pytest.raises(StorageError, match="cannot connect"):
        db.ensure_schema()
    db.dispose()


def test_missing_sqlite_directory_is_a_storage_error(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'missing' / 'x.sqlite'}")
    with pytest.raises(
        StorageError, match=r"^cannot connect to sqlite:///.*: unable to open database file$"
    ):
        db.check()
    db.dispose()


def test_not_a_database_file_is_a_storage_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not SQLite\n" * 100)
    db = Database(f"sqlite:///{path}")
    with pytest.raises(StorageError, match="file is not a database"):
        db.ensure_schema()
    db.dispose()


@pytest.mark.postgres
def test_unknown_postgres_database_names_the_problem(postgres_url):
    url = normalize_url(postgres_url).set(database="batteryos_no_such_db")
    db = Database(url)
    with pytest.raises(StorageError) as info:
        db.check()
    assert str(info.value).endswith('database "batteryos_no_such_db" does not exist')
    db.dispose()


def test_sqlite_connection_settings(tmp_path):
    with Database(f"sqlite:///{tmp_path / 'x.sqlite'}") as db, db.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_in_memory_sqlite_is_shared_between_threads():
    import threading

    from app.storage.repositories import create_user, list_users

    with Database("sqlite://") as db:
        db.ensure_schema()
        worker = threading.Thread(target=create_user, args=(db, "ada"))
        worker.start()
        worker.join(timeout=30)
        assert [u.name for u in list_users(db)] == ["ada"]


def test_sql_errors_become_storage_errors(db):
    with (
        pytest.raises(StorageError, match=r"^database error on .*no_such_table"),
        db.connect() as conn,
    ):
        conn.exec_driver_sql("SELECT * FROM no_such_table")


def test_session_rolls_back_on_error(db):
    from app.storage.models import User

    with pytest.raises(RuntimeError), db.session(write=True) as session:
        session.add(User(name="ghost"))
        session.flush()
        raise RuntimeError("boom")
    with db.session() as session:
        assert session.query(User).count() == 0


def test_importing_app_storage_is_cheap():
    import subprocess
    import sys

    code = "import sys, app.storage; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_lazy_exports_resolve():
    import app.storage as storage

    for name in storage.__all__:
        assert getattr(storage, name) is not None
    assert set(storage.__all__) == set(storage._EXPORTS)
