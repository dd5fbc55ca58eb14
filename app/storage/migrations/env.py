"""Alembic environment of Battery OS, configured in code (no alembic.ini).

:func:`app.storage.migrate.upgrade` passes an open connection (already in a
transaction) through ``config.attributes["connection"]``; without one (offline
SQL generation, or a developer's ``alembic`` run) the URL comes from the
``sqlalchemy.url`` option.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from app.storage.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata

# Any constant: serialises concurrent upgrades of one PostgreSQL database
# (two Battery OS instances starting at once).
_PG_MIGRATION_LOCK = 0x42A77E12


def _render_item(type_: str, obj, autogen_context):
    # Migrations use plain SQLAlchemy types so they never depend on model code
    # that may change later; UTCDateTime is stored as DateTime(timezone=True).
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_item=_render_item,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    from app.storage.database import Database

    db = Database(config.get_main_option("sqlalchemy.url"))
    try:
        with db.connect(write=True, foreign_keys=False) as conn:
            _configure(conn)
    finally:
        db.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
