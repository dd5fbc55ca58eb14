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


# --- windows -----------------------------------------------------------------


@pytest.fixture
def logs_page(qtbot, tmp_path):
    """A shown Logs page with its own SQLite database; waits for its work at the end."""
    from app.views.logs_page import LogsPage
    from app.views.theme import DARK

    logs = LogsPage(DARK, f"sqlite:///{tmp_path / 'logs.sqlite'}")
    qtbot.addWidget(logs)
    logs.resize(1300, 800)
    logs.show()
    yield logs
    qtbot.waitUntil(lambda: not logs.busy, timeout=30_000)
    assert logs.wait(5.0)


@pytest.fixture
def read_source():
    """``read_source(url) -> (spec, samples)``: every sample of a finite source, read
    directly (no acquisition thread, no window) as one block, and the source's battery."""

    def read(url: str):
        from app.core.samples import SampleBlock
        from app.hardware.registry import create_source

        blocks = []
        with create_source(url) as source:
            while not source.exhausted:
                block = source.read(1.0)
                if block is not None and len(block):
                    blocks.append(block)
        return source.spec, SampleBlock.concat(blocks)

    return read


@pytest.fixture
def settle(qtbot):
    """Close ``window`` and wait until it really closed (its background work done)."""

    def close(window) -> None:
        window.close()
        qtbot.waitUntil(lambda: window.closed, timeout=20_000)

    return close


@pytest.fixture
def make_window(qtbot, qapp, settle):
    """``make_window(persist=False, db_url=None, **session_options)``: a shown main window with
    its own session (``session_options`` go to :class:`LiveSession`)."""
    from app.core.settings import Settings
    from app.views.live_session import LiveSession
    from app.views.main_window import MainWindow
    from app.views.theme import Theme, apply_theme

    apply_theme(qapp, Theme.DARK)  # as run_gui does: the QSS colours the status bar

    def make(*, persist: bool = False, db_url: str | None = None, **session_options) -> MainWindow:
        session = LiveSession(redraw_hz=50, db_url=db_url, **session_options)
        window = MainWindow(Settings.load(), session, persist=persist)
        # the window closes once its background work (recent recordings, a
        # recording's flush) has reported back; the test waits for that
        qtbot.addWidget(window, before_close_func=settle)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


# --- isolation ----------------------------------------------------------------


@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    """Settings, window layout and the default database live in ``tmp_path``."""
    monkeypatch.setenv("BATTERYOS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("BATTERYOS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("BATTERYOS_DB", raising=False)
    return tmp_path


@pytest.fixture(autouse=True, scope="session")
def _imported_modules_left_out_of_collections():
    """The objects of the modules every window imports (pandas, scipy, Qt, the app), set
    aside once: a full collection of them took 0.2 s, twice a test. Only these: a widget
    set aside would never be freed."""
    import gc

    import app.views.main_window  # noqa: F401 - what a window imports

    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(autouse=True)
def _garbage_collected_in_the_gui_thread():
    """Qt objects must be freed in the GUI thread: the cycle collector, left
    on, may run in a worker thread (REST server, storage) and free a widget of
    this or an earlier test there, which deadlocks Qt. As the app does
    (app.views.launch), collect only here, in the GUI thread."""
    import gc

    gc.collect()
    gc.disable()
    yield
    gc.enable()
    gc.collect()


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


@pytest.fixture
def session(qtbot):
    """A live session (redraw at 50 Hz) whose storage threads have all ended after."""
    from app.views.live_session import LiveSession

    session = LiveSession(redraw_hz=50)
    yield session
    assert session.shutdown(timeout=10), "a storage thread is still running"


@pytest.fixture
def gate():
    """An Event the test sets to let a slow fake database answer (always set at the end)."""
    import threading

    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def dashboard(qtbot):
    """The live dashboard page, shown at 1200 x 800 (no source: tests feed it frames)."""
    from app.views.dashboard import DashboardPage
    from app.views.theme import DARK

    page = DashboardPage(DARK)
    page.resize(1200, 800)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    return page
