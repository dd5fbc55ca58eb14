"""Storage: SQLAlchemy models, migrations, repositories, the bulk sample writer
and the recorder (DESIGN.md, "Storage"). Qt-free.

Importing ``app.storage`` itself is cheap; SQLAlchemy is imported when one of
the names below is first used (start-up paths stay fast)::

    from app.storage import Database, Recorder

    db = Database()             # the default SQLite file, or Database("postgresql://...")
    db.ensure_schema()          # create/upgrade tables (Alembic)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Database": "app.storage.database",
    "default_url": "app.storage.database",
    "upgrade": "app.storage.migrate",
    "current_revision": "app.storage.migrate",
    "head_revision": "app.storage.migrate",
    "Recorder": "app.storage.recorder",
    "RecorderState": "app.storage.recorder",
    "write_samples": "app.storage.sample_writer",
    "read_samples": "app.storage.sample_writer",
    "RecordingStatus": "app.storage.models",
    "UserRole": "app.storage.models",
    "Severity": "app.storage.models",
    "Comparison": "app.storage.models",
    "AlertState": "app.storage.models",
}

__all__ = [
    "AlertState",
    "Comparison",
    "Database",
    "Recorder",
    "RecorderState",
    "RecordingStatus",
    "Severity",
    "UserRole",
    "current_revision",
    "default_url",
    "head_revision",
    "read_samples",
    "upgrade",
    "write_samples",
]

if TYPE_CHECKING:
    from app.storage.database import Database, default_url
    from app.storage.migrate import current_revision, head_revision, upgrade
    from app.storage.models import AlertState, Comparison, RecordingStatus, Severity, UserRole
    from app.storage.recorder import Recorder, RecorderState
    from app.storage.sample_writer import read_samples, write_samples


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'app.storage' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
