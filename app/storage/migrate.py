"""Schema migrations (Alembic), run from code: ``batteryos db upgrade`` and start-up.

The migration scripts live in the package (``app/storage/migrations``), so an
installed Battery OS can upgrade its database without an ``alembic.ini``.

Developers create a new migration from the model changes with::

    python -m app.storage.migrate revision "add api_keys"

(against a scratch SQLite database upgraded to the current head), then read
and fix the generated file, and run the storage tests, which check that the
migrations and the models agree on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import URL

from app.core.errors import StorageError
from app.storage.database import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(db: Database | None = None) -> Config:
    """An Alembic configuration for the packaged migrations (and ``db``'s URL)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if db is not None:
        # ConfigParser interpolates "%", which URL-encoded passwords contain.
        url = db.url.render_as_string(hide_password=False).replace("%", "%%")
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def _database(target: Database | str | URL | None) -> tuple[Database, bool]:
    if isinstance(target, Database):
        return target, False
    return Database(target), True


def head_revision() -> str:
    """The newest migration this version of Battery OS knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations packaged"
    return head


def current_revision(target: Database | str | URL | None = None) -> str | None:
    """The migration the database is at (None for an empty database)."""
    db, owned = _database(target)
    try:
        with db.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        if owned:
            db.dispose()


def schema_behind(target: Database | str | URL | None = None) -> str | None:
    """What keeps a reader from using ``target`` as it is, or None: "no Battery OS
    tables" (never upgraded: an empty database, or another program's) or "the schema of
    an older Battery OS (revision X)". A schema this version does not know (a newer
    Battery OS made it) is None: reading it is left to try. For commands that only read,
    which should not create or change tables (``report recording:ID``)."""
    revision = current_revision(target)
    if revision is None:
        return "no Battery OS tables"
    if revision == head_revision():
        return None
    try:
        known = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        known = None
    return f"the schema of an older Battery OS (revision {revision})" if known else None


def upgrade(target: Database | str | URL | None = None, revision: str = "head") -> str:
    """Create or upgrade the schema of ``target`` (a :class:`Database` or URL;
    the default SQLite file when None) to ``revision``; returns the revision
    the database is at afterwards.

    Raises :class:`StorageError` when the database cannot be reached or was
    made by a newer Battery OS.
    """
    db, owned = _database(target)
    try:
        cfg = alembic_config(db)
        with db.connect(write=True, foreign_keys=False) as conn:
            cfg.attributes["connection"] = conn
            try:
                command.upgrade(cfg, revision)
            except CommandError as exc:
                # Typically "Can't locate revision identified by '...'": the
                # database was upgraded by a newer Battery OS.
                raise StorageError(
                    f"cannot upgrade the schema of {db.display_url}: {exc} "
                    "(was it created by a newer Battery OS?)"
                ) from exc
            current = MigrationContext.configure(conn).get_current_revision()
        return current or "base"
    finally:
        if owned:
            db.dispose()


def downgrade(target: Database | str | URL, revision: str) -> None:
    """Take the schema of ``target`` back to ``revision`` (``"base"`` drops everything)."""
    db, owned = _database(target)
    try:
        cfg = alembic_config(db)
        with db.connect(write=True, foreign_keys=False) as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
    finally:
        if owned:
            db.dispose()


def new_revision(message: str, url: str | None = None) -> None:
    """Autogenerate a migration file from the difference between the models
    and a database at head (a scratch SQLite file unless ``url`` is given)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(url or f"sqlite:///{Path(tmp) / 'scratch.sqlite'}")
        try:
            upgrade(db)
            cfg = alembic_config(db)
            with db.connect(write=True, foreign_keys=False) as conn:
                cfg.attributes["connection"] = conn
                command.revision(cfg, message=message, autogenerate=True)
        finally:
            db.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.storage.migrate")
    sub = parser.add_subparsers(dest="command", required=True)
    rev = sub.add_parser("revision", help="autogenerate a new migration from the models")
    rev.add_argument("message")
    rev.add_argument("--url", help="database at head to compare with (default: scratch SQLite)")
    up = sub.add_parser("upgrade", help="upgrade a database to head")
    up.add_argument("url", nargs="?")
    args = parser.parse_args(argv)
    if args.command == "revision":
        new_revision(args.message, args.url)
    else:
        upgrade(args.url)


if __name__ == "__main__":
    main()
