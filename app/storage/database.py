"""The database connection: SQLite by default, PostgreSQL through a URL.

:class:`Database` wraps one SQLAlchemy engine and a sessionmaker. Every way in
(:meth:`Database.connect`, :meth:`Database.session`, :meth:`Database.check`)
turns driver errors into :class:`~app.core.errors.StorageError` with one clear
line ("cannot connect to postgresql://postgres@127.0.0.1:5433/x: connection
refused"), because a wrong URL or a stopped server is the user's problem to
fix, not a bug to show a traceback for.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, inspect, make_url
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from app.core.errors import StorageError
from app.core.settings import data_dir

log = logging.getLogger(__name__)

#: How long SQLite waits for another writer before "database is locked".
SQLITE_BUSY_TIMEOUT_S = 30.0
#: How long a PostgreSQL connection attempt may take (unless the URL says otherwise).
PG_CONNECT_TIMEOUT_S = 10
#: Name of the SQLite file in the user data directory.
DEFAULT_SQLITE_NAME = "batteryos.sqlite"

# Execution option that marks a connection whose transaction will write: on
# SQLite it begins with BEGIN IMMEDIATE (see _install_sqlite_events).
_WRITE_OPTION = "batteryos_write"

_USAGE = "use sqlite:///PATH or postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME"


def default_url() -> str:
    """``sqlite:///<data dir>/batteryos.sqlite``; the data directory is created."""
    directory = data_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the data directory {directory}: {exc.strerror}") from exc
    return f"sqlite:///{directory / DEFAULT_SQLITE_NAME}"


def _parse(url: str | URL) -> URL:
    if not isinstance(url, str):
        return url
    text = url.strip()
    if "://" not in text:
        hint = f" (did you mean sqlite:///{text}?)" if text else ""
        raise StorageError(f"not a database URL: {text!r}{hint}; {_USAGE}")
    try:
        return make_url(text)
    except (sa_exc.ArgumentError, ValueError) as exc:
        raise StorageError(f"not a database URL: {text!r} ({exc}); {_USAGE}") from exc


def normalize_url(url: str | URL) -> URL:
    """Parse ``url`` and pick the driver Battery OS uses for its backend.

    ``postgresql://`` and ``postgres://`` become ``postgresql+psycopg://``
    (psycopg 3 is the driver installed with Battery OS, and the COPY fast
    path needs it). Anything but SQLite and PostgreSQL is a
    :class:`StorageError`.
    """
    parsed = _parse(url)
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg"):
            raise StorageError(
                f"unsupported PostgreSQL driver {driver!r} in {_display(parsed)}: "
                "use postgresql:// or postgresql+psycopg://"
            )
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise StorageError(f"unsupported SQLite driver {driver!r} in {_display(parsed)}")
        return parsed.set(drivername="sqlite")
    raise StorageError(f"unsupported database {backend!r} in {_display(parsed)}; {_USAGE}")


def _display(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def short_reason(exc: BaseException) -> str:
    """One line saying why a driver call failed, without the driver's decorations.

    psycopg says 'connection failed: connection to server at "127.0.0.1",
    port 5433 failed: Connection refused\\n\\tIs the server running...'; the
    user needs "connection refused".
    """
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).strip().splitlines() if line.strip()]
    line = lines[0] if lines else type(orig).__name__
    # libpq: one "connection to server ... failed: <reason>" per address tried.
    for candidate in lines:
        if "connection to server" in candidate and "failed: " in candidate:
            line = candidate.rsplit("failed: ", 1)[1]
            break
    for prefix in ("FATAL:", "ERROR:"):
        if line.startswith(prefix):
            line = line[len(prefix) :].strip()
    if line[:1].isupper() and line[1:2].islower():
        line = line[0].lower() + line[1:]
    return line or type(orig).__name__


#: The newest migration in ``app/storage/migrations`` (a test checks it is Alembic's
#: head): a database already there needs no Alembic at all when it is opened.
SCHEMA_HEAD = "0005"


def driver_errors() -> tuple[type[BaseException], ...]:
    """The driver exceptions that can escape SQLAlchemy's wrapping (e.g. raised
    inside a connect event) or come from the raw DBAPI connection (COPY).

    psycopg's only once it is imported (by a PostgreSQL engine): a SQLite user
    does not pay its import (a fifth of a second) when recording starts. Called
    in ``except`` clauses, which evaluate it only when something was raised.
    """
    psycopg = sys.modules.get("psycopg")
    if psycopg is None:
        return (sa_exc.DBAPIError, sqlite3.Error)
    return (sa_exc.DBAPIError, sqlite3.Error, psycopg.Error)


class Database:
    """One database (SQLite file or PostgreSQL) and its connection pool.

    Thread-safe: the GUI, the CLI and recorder threads share one instance.
    Connecting is lazy; call :meth:`check` to fail early with a clear
    :class:`StorageError`.

    SQLite connections use WAL (readers never block the writer), foreign keys
    on, ``synchronous=NORMAL`` (durable at checkpoints, safe in WAL) and a
    busy timeout. Transactions are begun by SQLAlchemy (``BEGIN``), and by
    ``BEGIN IMMEDIATE`` for writers (``write=True``) so that two writers wait
    for each other instead of failing with "database is locked".

    ``sqlite://`` (in memory) is one connection shared by every thread: fine
    for tests and demos, but not for a recorder writing while another thread
    queries.
    """

    def __init__(self, url: str | URL | None = None, *, echo: bool = False):
        given = _parse(url if url is not None else default_url())
        self.url: URL = normalize_url(given)
        #: The URL as the user gave it, password hidden, for messages and logs.
        self.display_url: str = _display(given)
        self.backend: str = self.url.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        connect_args: dict[str, Any] = {}
        if self.backend == "sqlite":
            connect_args["timeout"] = SQLITE_BUSY_TIMEOUT_S
            # The pool hands connections between threads (recorder, GUI) but
            # never shares one between two threads at a time.
            connect_args["check_same_thread"] = False
            if _is_memory(self.url):
                # One shared in-memory database instead of one per thread.
                kwargs["poolclass"] = StaticPool
        else:
            if "connect_timeout" not in self.url.query:
                connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
            if "application_name" not in self.url.query:
                connect_args["application_name"] = "batteryos"
            # A server restart must not leave dead connections in the pool.
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: Engine = create_engine(self.url, connect_args=connect_args, **kwargs)
        except (sa_exc.ArgumentError, ImportError) as exc:
            raise StorageError(f"cannot use {self.display_url}: {exc}") from exc
        if self.backend == "sqlite":
            _install_sqlite_events(self.engine, memory=_is_memory(self.url))
        #: What the last :meth:`ensure_schema` recovered (a RecoveryReport), or None.
        self.recovery = None
        #: ORM sessions bound to the engine; objects stay usable after commit.
        self.sessionmaker: sessionmaker[Session] = sessionmaker(
            bind=self.engine, expire_on_commit=False
        )

    def __repr__(self) -> str:
        return f"Database({self.display_url!r})"

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info) -> None:
        self.dispose()

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.backend == "postgresql"

    # --- connections --------------------------------------------------------
    def _open(self) -> Connection:
        try:
            return self.engine.connect()
        except driver_errors() as exc:
            raise StorageError(
                f"cannot connect to {self.display_url}: {short_reason(exc)}"
            ) from exc

    @contextmanager
    def connect(self, *, write: bool = False, foreign_keys: bool = True) -> Iterator[Connection]:
        """A connection in a transaction, committed at the end of the ``with`` block.

        ``write=True`` says the transaction will write (SQLite then takes the
        write lock up front). Driver errors become :class:`StorageError`; the
        transaction is rolled back.

        ``foreign_keys=False`` (SQLite; for migrations) turns foreign key
        enforcement off for the transaction and checks all foreign keys
        before the commit instead: a batch migration re-creates a table by
        copy, drop and rename, and dropping it with enforcement on would run
        the ON DELETE actions (SET NULL) on every row that refers to it.
        """
        conn = self._open()
        raw = None
        try:
            if write:
                conn.execution_options(**{_WRITE_OPTION: True})
            if not foreign_keys and self.is_sqlite:
                # Only possible outside a transaction, hence on the raw connection.
                raw = conn.connection.dbapi_connection
                raw.execute("PRAGMA foreign_keys = OFF")
            with conn.begin():
                yield conn
                if raw is not None:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StorageError(
                            f"{self.display_url}: {len(broken)} rows violate foreign keys "
                            f"(first: table {broken[0][0]}, row {broken[0][1]})"
                        )
        except driver_errors() as exc:
            raise self.error(exc) from exc
        finally:
            if raw is not None:
                try:
                    raw.execute("PRAGMA foreign_keys = ON")
                except driver_errors():
                    # Never hand a connection without enforcement back to the pool.
                    conn.invalidate()
            conn.close()

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """An ORM session in one transaction, committed at the end of the ``with`` block."""
        with self.connect(write=write) as conn:
            # The session joins the connection's transaction ("rollback_only"
            # by default: it never commits it); connect() commits it.
            session = self.sessionmaker(bind=conn)
            try:
                yield session
                session.flush()
            finally:
                session.close()

    def check(self) -> None:
        """Connect once and run a trivial query; :class:`StorageError` if that fails."""
        with self.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def error(self, exc: BaseException, action: str = "") -> StorageError:
        """A :class:`StorageError` with one line describing driver error ``exc``."""
        if isinstance(exc, StorageError):
            return exc
        what = f" ({action})" if action else ""
        reason = short_reason(exc)
        if getattr(exc, "connection_invalidated", False):
            return StorageError(f"lost the connection to {self.display_url}{what}: {reason}")
        return StorageError(f"database error on {self.display_url}{what}: {reason}")

    # --- schema -------------------------------------------------------------
    def ensure_schema(self) -> str:
        """Create or upgrade the tables to the newest migration (run at start-up),
        then recover what crashed recorders left (:func:`app.storage.recovery.recover`;
        its report in :attr:`recovery`).

        Returns the schema revision the database is at.

        A database already at :data:`SCHEMA_HEAD` (every start but the first) is
        only asked its revision: importing Alembic and loading the migration
        scripts cost more than everything else done when recording starts.
        """
        from app.storage.recovery import recover

        revision = self.schema_revision()
        if revision != SCHEMA_HEAD:
            from app.storage.migrate import upgrade

            revision = upgrade(self)
        self.recovery = recover(self)
        return revision

    def schema_revision(self) -> str | None:
        """The migration the database is at, read without Alembic (None: no Battery OS tables)."""
        with self.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()

    def dispose(self) -> None:
        """Close all pooled connections (the Database stays usable; it reconnects)."""
        self.engine.dispose()

    close = dispose


def _install_sqlite_events(engine: Engine, *, memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions
        # begin: sqlite3's legacy mode does not begin one before DDL or SELECT,
        # so migrations would not be atomic and reads not isolated.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            if not memory:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that reads first and writes later fails at
        # once with SQLITE_BUSY if another writer committed in between (the
        # busy timeout does not apply); writers take the lock up front.
        write = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
