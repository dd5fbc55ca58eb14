"""``--screenshot PNG``: wait until live data is on the plots, save the window, exit."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from app.hardware.acquisition import AcquisitionState
from app.views.live_session import LiveSession, SessionStatus

#: Samples on the plots before the picture is taken: at the demo's 20x speed
#: a few seconds of streaming, enough for visible curves.
MIN_SAMPLES_PLOTTED = 600
TIMEOUT_S = 30.0


class ScreenshotTaker(QObject):
    """Grabs ``window`` to ``path`` once ``min_samples`` are drawn (or at once, without a session).

    Event driven: it listens to the dashboard's ``frame_drawn`` and the
    session's status, and gives up after ``timeout_s``.
    """

    saved = Signal(str)  #: the PNG path
    failed = Signal(str)  #: why there is no screenshot

    def __init__(
        self,
        window: QWidget,
        path: str | Path,
        *,
        session: LiveSession | None = None,
        frame_drawn: Signal | None = None,
        min_samples: int | None = None,
        timeout_s: float | None = None,
    ):
        super().__init__(window)
        self.window = window
        self.path = Path(path)
        self.session = session
        self.min_samples = MIN_SAMPLES_PLOTTED if min_samples is None else min_samples
        self.timeout_s = TIMEOUT_S if timeout_s is None else timeout_s
        self.samples_drawn = 0
        self._done = False
        self._timeout = QTimer(self, singleShot=True)
        self._timeout.timeout.connect(self._on_timeout)
        if session is None or frame_drawn is None:
            self._capture_soon()
            return
        frame_drawn.connect(self._on_frame_drawn)
        session.status_changed.connect(self._on_status_changed)
        self._timeout.start(round(self.timeout_s * 1000))

    def _on_frame_drawn(self, samples: int) -> None:
        self.samples_drawn = samples
        finished = self.session is not None and self._finished(self.session.status)
        if samples >= self.min_samples or finished:
            self._capture_soon()

    @staticmethod
    def _finished(status: SessionStatus) -> bool:
        return status.state is AcquisitionState.FINISHED

    def _on_status_changed(self, status: SessionStatus) -> None:
        # A short finite source may end below min_samples: take what it drew.
        if self._finished(status) and self.samples_drawn > 0:
            self._capture_soon()

    def _capture_soon(self) -> None:
        if self._done:
            return
        self._done = True
        self._timeout.stop()
        # next turn of the event loop: layouts and ranges of this frame settle first
        QTimer.singleShot(0, self, self._capture)

    def _capture(self) -> None:
        image = self.window.grab()
        if image.isNull() or not image.save(str(self.path), "PNG"):
            self.failed.emit(f"cannot write the screenshot to {self.path}")
            return
        self.saved.emit(str(self.path))

    def _on_timeout(self) -> None:
        if self._done:
            return
        self._done = True
        message = f"no live data was drawn within {self.timeout_s:g} s"
        status = self.session.status if self.session is not None else None
        if status is not None and status.last_error:
            message += f" (source {status.state.value}: {status.last_error})"
        elif status is not None:
            message += f" (source {status.state.value}, {status.samples_total} samples)"
        self.failed.emit(message)
