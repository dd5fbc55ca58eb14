"""A REST app over a fresh database with one user of each role and their keys."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.storage.database import Database


@dataclass
class Api:
    client: object
    app: object
    db: Database
    keys: dict[str, str]  #: role -> API key
    feed: object

    def headers(self, role: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[role]}


def make_api(db_url: str, **kwargs) -> Api:
    from fastapi.testclient import TestClient

    from app.api.app import create_app
    from app.api.live import LiveFeed
    from app.storage import repositories as repo
    from app.storage.api_keys import create_api_key

    db = Database(db_url)
    db.ensure_schema()
    keys = {}
    for role in ("admin", "engineer", "viewer"):
        repo.create_user(db, f"{role}-user", role)
        keys[role], _ = create_api_key(db, f"{role}-user")
    feed = LiveFeed("sim://nmc?cells=4")
    app = create_app(db, live=feed, **kwargs)
    return Api(TestClient(app, raise_server_exceptions=False), app, db, keys, feed)


@pytest.fixture
def api(db_url):
    made = make_api(db_url)
    yield made
    made.client.close()
    made.db.close()
