"""Helpers for tests and benchmarks that need a throw-away PostgreSQL schema.

Each scratch schema has a random name, so parallel and repeated runs against
one server never collide, and is dropped (with everything in it) at the end.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import URL

from app.storage.database import Database, normalize_url

#: Environment variable with the PostgreSQL URL the storage tests use.
POSTGRES_TEST_URL_ENV = "BATTERYOS_TEST_POSTGRES_URL"


def with_search_path(url: str | URL, schema: str) -> URL:
    """``url`` with its connections' ``search_path`` set to ``schema``."""
    return normalize_url(url).update_query_dict({"options": f"-csearch_path={schema}"})


@contextmanager
def scratch_postgres_schema(url: str | URL, prefix: str = "batteryos_test") -> Iterator[str]:
    """Create an empty schema in the PostgreSQL database ``url``; yield a URL
    whose connections use it (unqualified table names land there); drop it after.
    """
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = Database(url)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        try:
            yield with_search_path(url, name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{name}" CASCADE')
    finally:
        admin.dispose()
