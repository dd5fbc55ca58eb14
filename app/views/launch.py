"""The GUI's single entry point, :func:`run_gui`, called by the ``batteryos`` CLI.

Qt and pyqtgraph are imported when the function runs, not when this module
is imported, so ``batteryos --help`` stays fast.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from app.views.source_urls import DEMO_SOURCE_URL

__all__ = ["DEMO_SOURCE_URL", "run_gui"]

#: Window size of ``--screenshot`` pictures, so they look the same on every machine.
SCREENSHOT_SIZE = (1440, 900)

#: How long the end of the program waits for each background job (a recording's
#: flush gives up after storage_bridge.CLOSE_TIMEOUT_S itself).
SHUTDOWN_WAIT_S = 15.0

EXIT_OK = 0
EXIT_NO_SCREENSHOT = 1
EXIT_BAD_INPUT = 2


def _error(message: str) -> None:
    print(f"batteryos: error: {message}", file=sys.stderr)


def run_gui(
    *,
    demo: bool = False,
    source_url: str | None = None,
    screenshot: str | None = None,
    db_url: str | None = None,
    theme: str | None = None,
) -> int:
    """Open the Battery OS window and run until it closes; returns the exit code.

    - ``demo``: connect at once to the simulated pack :data:`DEMO_SOURCE_URL`.
    - ``source_url``: connect at once to this source (wins over ``demo``).
    - ``screenshot``: save the window to this PNG once live data is drawn
      (at once without a source) and exit: 0 when saved, 1 when no data came
      within 30 s, 2 for a bad source URL or path. Settings and the window
      layout are left untouched.
    - ``db_url``: database for recordings (default: ``BATTERYOS_DB``, the
      settings, then the SQLite file in the user data directory).
    - ``theme``: ``"dark"`` or ``"light"`` for this run (default: the saved choice).
    """
    if screenshot is not None and not Path(screenshot).expanduser().parent.is_dir():
        _error(f"cannot write the screenshot to {screenshot}: no such directory")
        return EXIT_BAD_INPUT

    if not _choose_platform(headless=screenshot is not None):
        _error(
            "no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); "
            "use --screenshot PNG, or set QT_QPA_PLATFORM=offscreen"
        )
        return EXIT_BAD_INPUT

    from PySide6.QtCore import qInstallMessageHandler

    previous_qt_handler = qInstallMessageHandler(_qt_message)
    try:
        return _run(
            url=source_url or (DEMO_SOURCE_URL if demo else None),
            screenshot=Path(screenshot).expanduser() if screenshot is not None else None,
            db_url=db_url,
            theme=theme,
        )
    finally:
        qInstallMessageHandler(previous_qt_handler)


def _run(*, url: str | None, screenshot: Path | None, db_url: str | None, theme: str | None) -> int:
    import pyqtgraph as pg
    from PySide6.QtCore import QTimer

    from app.core.settings import Settings
    from app.views.live_session import LiveSession
    from app.views.main_window import MainWindow
    from app.views.screenshot import ScreenshotTaker
    from app.views.theme import Theme, apply_theme

    # Speed over smoothness: no antialiasing, no OpenGL context to set up.
    pg.setConfigOptions(antialias=False, useOpenGL=False)
    app = _application()
    settings = Settings.load()
    chosen_theme = Theme.parse(theme or settings.theme)
    apply_theme(app, chosen_theme)
    session = LiveSession(
        redraw_hz=settings.redraw_hz,
        db_url=db_url or os.environ.get("BATTERYOS_DB") or settings.database_url,
    )
    window = MainWindow(settings, session, theme=chosen_theme, persist=screenshot is None)
    if screenshot is not None:
        window.resize(*SCREENSHOT_SIZE)
    window.show()

    if url is not None:

        def _on_connect_result(error: str | None) -> None:
            # now, or once the URL's OCV table has been read: the loop ends as it starts
            if error is not None and screenshot is not None:
                _error(error)
                QTimer.singleShot(0, lambda: app.exit(EXIT_BAD_INPUT))

        window.connect_source(url, on_result=_on_connect_result)

    if screenshot is not None:
        streaming = url is not None
        taker = ScreenshotTaker(
            window,
            screenshot,
            session=session if streaming else None,
            frame_drawn=window.dashboard.frame_drawn if streaming else None,
        )

        def _on_saved(path: str) -> None:
            print(f"screenshot saved to {path}")
            app.exit(EXIT_OK)

        def _on_failed(message: str) -> None:
            _error(message)
            app.exit(EXIT_NO_SCREENSHOT)

        taker.saved.connect(_on_saved)
        taker.failed.connect(_on_failed)

    # Ctrl+C in the terminal closes the window properly (joins the
    # acquisition thread, flushes a recording). Python only runs signal
    # handlers between bytecodes, so a timer wakes the interpreter now and then.
    previous_handler = _install_sigint(window.close)
    wake = QTimer(interval=250)
    wake.timeout.connect(lambda: None)
    wake.start()
    try:
        code = app.exec()
    finally:
        wake.stop()
        _restore_sigint(previous_handler)
        # Idempotent after a normal close. If the loop ended otherwise (a
        # screenshot, app.exit), background work is joined here: no event
        # loop is left to report it.
        window.shutdown(timeout=SHUTDOWN_WAIT_S)
        window.deleteLater()
    return int(code)


#: Qt messages that say nothing to a user (the offscreen platform of
#: ``--screenshot`` runs cannot resize windows to their hints, and says so).
_QUIET_QT_MESSAGES = ("This plugin does not support propagateSizeHints()",)


def _qt_message(mode, context, message: str) -> None:
    if message not in _QUIET_QT_MESSAGES:
        print(message, file=sys.stderr)


def _choose_platform(*, headless: bool) -> bool:
    """Make sure Qt has a platform to start on; False when there is none.

    Without a display Qt aborts the process (no exception to catch), so it
    is checked first. A screenshot needs no screen: it renders offscreen.
    """
    if os.environ.get("QT_QPA_PLATFORM") or not sys.platform.startswith("linux"):
        return True
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return True
    if headless:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return True
    return False


def _application():
    from PySide6.QtWidgets import QApplication

    from app.core.settings import APP_NAME
    from app.views.theme import app_icon

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "batteryos"])
    app.setOrganizationName("Battery OS")
    app.setApplicationName(APP_NAME)
    app.setDesktopFileName(APP_NAME)
    app.setWindowIcon(app_icon())
    if not hasattr(app, "batteryos_gc"):
        # Python's cycle collector runs in whichever thread allocates when it
        # triggers; a Qt object freed from a worker thread (REST server, storage,
        # acquisition) deadlocks or crashes Qt. Collect on a timer in the GUI
        # thread only (pyqtgraph's collector disables the automatic one).
        from pyqtgraph.util.garbage_collector import GarbageCollector

        app.batteryos_gc = GarbageCollector(interval=1.0)
    return app


def _install_sigint(handler):
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, lambda *_: handler())


def _restore_sigint(previous) -> None:
    if previous is not None:
        signal.signal(signal.SIGINT, previous)
