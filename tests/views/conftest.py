"""View-test fixtures: offscreen Qt, a private config dir, fake sources, and a
guard that fails any test leaving a thread running (after napari's
``_dangling_qthreads``)."""

from __future__ import annotations

import os

# Before anything imports Qt: no display needed, same pixels everywhere.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading  # noqa: E402

import pytest  # noqa: E402

from app.hardware import registry  # noqa: E402

from .view_fakes import FailingSource, ScriptedSource  # noqa: E402


@pytest.fixture(autouse=True)
def fake_sources(monkeypatch):
    """Registers ``scripted://`` and ``failing://`` for the test."""
    monkeypatch.setitem(
        registry._REGISTRY, "scripted", f"{ScriptedSource.__module__}:ScriptedSource"
    )
    monkeypatch.setitem(registry._REGISTRY, "failing", f"{FailingSource.__module__}:FailingSource")


# --- isolation ----------------------------------------------------------------


@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    """Settings, window layout and the default database live in ``tmp_path``."""
    monkeypatch.setenv("BATTERYOS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("BATTERYOS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("BATTERYOS_DB", raising=False)
    return tmp_path


@pytest.fixture(autouse=True)
def _dangling_threads(monkeypatch):
    """Fail the test if it leaves a threading.Thread or a QThread running.

    Set up before (so torn down after) qtbot, which closes the test's
    widgets: a window that does not join its acquisition thread on close
    fails here.
    """
    from PySide6.QtCore import QThread

    before = set(threading.enumerate())
    started: list[QThread] = []
    original_start = QThread.start

    def recording_start(self, *args, **kwargs):
        started.append(self)
        return original_start(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", recording_start)
    yield
    leftovers = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    for qthread in started:
        try:
            if qthread.isRunning():
                leftovers.append(f"QThread {qthread.objectName() or qthread!r}")
        except RuntimeError:  # C++ object already deleted: not running
            pass
    if leftovers:
        pytest.fail(f"test left threads running: {', '.join(leftovers)}")
