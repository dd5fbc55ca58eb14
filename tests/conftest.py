"""Suite-wide fixtures: offscreen Qt, and config/data directories in a temp folder
so tests never touch the user's settings or database."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("BATTERYOS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("BATTERYOS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("BATTERYOS_DB", raising=False)
