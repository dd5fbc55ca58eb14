"""Suite-wide fixtures: offscreen Qt, and config/data directories in a temp folder
so tests never touch the user's settings or database."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from app.storage.testing import POSTGRES_TEST_URL_ENV, scratch_postgres_schema

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The fuzz tests draw the same examples on every run, so a merge gate never fails on luck.
# To hunt for new bugs, run them randomised and longer: `pytest --hypothesis-profile=explore`.
settings.register_profile("default", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, max_examples=1000, print_blob=True)
settings.load_profile("default")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("BATTERYOS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("BATTERYOS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("BATTERYOS_DB", raising=False)


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get(POSTGRES_TEST_URL_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_TEST_URL_ENV} is not set")
    return url


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
    else:
        with scratch_postgres_schema(request.getfixturevalue("postgres_url")) as url:
            yield url
