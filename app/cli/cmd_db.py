"""``batteryos db``: database maintenance."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    dbsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = dbsub.add_parser(
        "upgrade",
        help="create or upgrade the schema to the newest version",
        description="Create the tables or migrate them to the newest version (Alembic).",
    )
    up.set_defaults(run=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    from app.storage.database import Database, default_url

    url = args.db or default_url()
    db = Database(url)
    try:
        revision = db.ensure_schema()
    finally:
        db.close()
    print(f"database {db.display_url} at revision {revision}")
    if db.recovery is not None and str(db.recovery):
        print(str(db.recovery))
    return 0
