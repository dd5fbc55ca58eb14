"""Fixtures of the storage tests: every ``db`` test runs on SQLite and PostgreSQL.

PostgreSQL comes from ``BATTERYOS_TEST_POSTGRES_URL`` (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); each test gets its own
scratch schema, dropped afterwards. Without the variable the PostgreSQL
variants are skipped.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.core.samples import SampleBlock
from app.storage.database import Database
from app.storage.testing import scratch_postgres_schema


@pytest.fixture(autouse=True)
def no_dangling_threads():
    """Fail a test that leaves a thread running (a recorder not closed)."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"


@pytest.fixture
def pg_db(postgres_url):
    """A PostgreSQL database (fresh schema) at the newest schema, for PostgreSQL-only tests."""
    with scratch_postgres_schema(postgres_url) as url:
        db = Database(url)
        db.ensure_schema()
        yield db
        db.dispose()


@pytest.fixture
def empty_db(db_url):
    db = Database(db_url)
    yield db
    db.dispose()


@pytest.fixture
def db(empty_db):
    """A database upgraded to the newest schema."""
    empty_db.ensure_schema()
    return empty_db


def _make_block(
    n: int,
    *,
    cells: int = 4,
    t0: float = 0.0,
    seed: int = 0,
    temperatures: bool = True,
    extra: dict[str, np.ndarray] | None = None,
) -> SampleBlock:
    """A block in the canonical schema with ``cells`` cell voltages (and temperatures)."""
    rng = np.random.default_rng(seed)
    cols = {
        "time_s": t0 + np.arange(n) * 0.1,
        "voltage_v": 3.7 * max(cells, 1) + rng.normal(0, 0.01, n),
        "current_a": rng.normal(0, 5, n),
        "temperature_c": 25 + rng.normal(0, 0.2, n),
        "cycle_index": np.repeat(np.arange(n // 10 + 1), 10)[:n].astype(float),
    }
    for k in range(1, cells + 1):
        cols[f"cell_{k}_v"] = 3.7 + rng.normal(0, 0.002, n)
        if temperatures:
            cols[f"cell_{k}_temp_c"] = 25 + rng.normal(0, 0.2, n)
    cols.update(extra or {})
    return SampleBlock(cols)


@pytest.fixture
def make_block():
    """Factory of test blocks: ``make_block(n, cells=4, t0=0.0, seed=0, temperatures=True)``."""
    return _make_block
