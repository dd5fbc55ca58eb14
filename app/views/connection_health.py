"""Connection health: state, frame and sample rates, errors and reconnects of the live source.

:class:`HealthMonitor` polls the session on a GUI timer (never a signal per
sample or frame): the source's counters (:class:`~app.hardware.source.SourceHealth`,
written by the acquisition thread as plain ints) and the session status.
Rates come from the counters' differences over the last
:data:`RATE_WINDOW_S` seconds. :class:`ConnectionHealthPanel` shows a
:class:`HealthReading`; :class:`FaultBanner` shows a lost connection in red
where the plots are. While a live source is lost both say when the next reconnect
attempt is (``Reconnecting in 4 s (attempt 3)``, from the acquisition thread's
:attr:`~app.hardware.acquisition.AcquisitionThread.reconnect_status`) and offer
"Retry now" (``retry_requested``).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.hardware.acquisition import AcquisitionState, ReconnectStatus, wait_text
from app.views.theme import set_style_property

#: How often the panel reads the counters.
POLL_MS = 500
#: The states of a source that delivers no more (its rates are 0).
_ENDED = (AcquisitionState.IDLE, AcquisitionState.FINISHED, AcquisitionState.STOPPED)
#: Rates are averaged over this many seconds of readings.
RATE_WINDOW_S = 2.0

#: What the state chip says, and the ``state`` style property that colours it.
_STATE_WORDS = {
    AcquisitionState.IDLE: ("Closed", "closed"),
    AcquisitionState.CONNECTING: ("Connecting", "connecting"),
    AcquisitionState.STREAMING: ("Streaming", "streaming"),
    AcquisitionState.FAULT: ("Fault", "fault"),
    AcquisitionState.FINISHED: ("Finished", "closed"),
    AcquisitionState.STOPPED: ("Closed", "closed"),
}

#: The caption under the state chip: what kind of source (the URL is in the tooltip).
_SOURCE_KIND = {
    "sim": "simulator",
    "serial": "serial",
    "can": "CAN bus",
    "file": "log file",
    "": "no source",
}

_COUNTERS = ("frames_ok", "frames_bad", "frames_unknown", "bytes_in")


@dataclass(frozen=True)
class HealthReading:
    """One look at the connection: what the panel and the banner show."""

    state: AcquisitionState = AcquisitionState.IDLE
    url: str | None = None
    retrying: bool = False  #: a live source between reconnect attempts
    samples_per_s: float = 0.0
    frames_per_s: float = 0.0
    bytes_per_s: float = 0.0
    bad_per_s: float = 0.0
    samples_total: int = 0
    frames_ok: int = 0
    frames_bad: int = 0
    frames_unknown: int = 0
    bytes_in: int = 0
    reconnects: int = 0
    last_error: str | None = None
    last_error_time: float | None = None  #: ``time.time()``
    down_s: float | None = None  #: how long the connection has been lost
    attempt: int = 0  #: the next reconnect attempt's number (0: none planned)
    retry_in_s: float | None = None  #: seconds until it (None: it is running now)

    @property
    def retry_text(self) -> str:
        """``Reconnecting in 4 s (attempt 3)``; empty when the source is not being retried."""
        if not self.retrying:
            return ""
        if not self.attempt:
            return "Reconnecting…"
        when = "now" if self.retry_in_s is None else f"in {wait_text(self.retry_in_s)}"
        return f"Reconnecting {when} (attempt {self.attempt})"

    #: what the decoder left out of the stream or doubts (e.g. a CAN message that does not match its DBC)
    warnings: tuple[str, ...] = ()
    #: the live engine finds the current's sign reversed: the evidence and the fix
    current_sign_warning: str | None = None

    @property
    def state_text(self) -> str:
        text = _STATE_WORDS[self.state][0]
        return "Fault · reconnecting" if self.retrying else text

    @property
    def state_style(self) -> str:
        return "fault" if self.retrying else _STATE_WORDS[self.state][1]

    @property
    def lost(self) -> bool:
        """The connection failed: the banner shows (retrying or not)."""
        return self.retrying or (self.state is AcquisitionState.FAULT and bool(self.last_error))


def _current_sign_warning(session) -> str | None:
    warning = getattr(session, "current_sign_warning", None)
    return warning() if warning is not None else None


class HealthMonitor(QObject):
    """Polls ``session`` every :data:`POLL_MS` ms and emits a :class:`HealthReading`.

    ``session`` needs ``status`` (a :class:`~app.views.live_session.SessionStatus`)
    and ``acquisition`` (with ``source.health``, or None). ``clock`` and
    ``wall_clock`` are replaceable for tests.
    """

    updated = Signal(object)  #: HealthReading

    def __init__(
        self,
        session,
        parent: QObject | None = None,
        *,
        clock=time.monotonic,
        wall_clock=time.time,
    ):
        super().__init__(parent)
        self.session = session
        self.clock = clock
        self.wall_clock = wall_clock
        self._history: deque[tuple[float, int, dict]] = deque()
        self._acquisition = None
        self._down_since: float | None = None
        self.reading = HealthReading()
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.timer.start()
        self.poll()

    def stop(self) -> None:
        self.timer.stop()

    def poll(self) -> HealthReading:
        """Read the counters now; emits ``updated`` and returns the reading."""
        status = self.session.status
        acquisition = self.session.acquisition
        if acquisition is not self._acquisition:  # a new connection: new rates
            self._acquisition = acquisition
            self._history.clear()
            self._down_since = None
        now = self.clock()
        health = acquisition.source.health.snapshot() if acquisition is not None else {}
        reconnect = acquisition.reconnect_status if acquisition is not None else ReconnectStatus()
        counters = {name: int(health.get(name, 0)) for name in _COUNTERS}
        if acquisition is not None:
            self._history.append((now, status.samples_total, counters))
        while self._history and now - self._history[0][0] > RATE_WINDOW_S:
            self._history.popleft()

        def rate(values) -> float:
            if len(self._history) < 2:
                return 0.0
            (t0, *first), (t1, *last) = self._history[0], self._history[-1]
            return (values(last) - values(first)) / (t1 - t0) if t1 > t0 else 0.0

        running = acquisition is not None
        # after Disconnect the status keeps the stream's last state: the panel says closed
        state = status.state if running else AcquisitionState.STOPPED
        # a source that has ended delivers nothing: no rate (the last 2 s average of a
        # finished simulation read 3,744.7 samples/s beside "Finished")
        flowing = running and state not in _ENDED
        lost = running and (
            status.retrying or (state is AcquisitionState.FAULT and bool(status.last_error))
        )
        if lost and self._down_since is None:
            self._down_since = now
        elif not lost:
            self._down_since = None
        retrying = running and status.retrying
        self.reading = HealthReading(
            state=state,
            url=status.source_url,
            retrying=retrying,
            attempt=reconnect.attempt if retrying else 0,
            retry_in_s=reconnect.retry_in_s if retrying else None,
            samples_per_s=rate(lambda v: v[0]) if flowing else 0.0,
            frames_per_s=rate(lambda v: v[1]["frames_ok"]) if flowing else 0.0,
            bytes_per_s=rate(lambda v: v[1]["bytes_in"]) if flowing else 0.0,
            bad_per_s=rate(lambda v: v[1]["frames_bad"] + v[1]["frames_unknown"])
            if flowing
            else 0.0,
            samples_total=status.samples_total,
            reconnects=int(health.get("reconnects", 0)),
            last_error=health.get("last_error") or status.last_error,
            last_error_time=health.get("last_error_time"),
            down_s=(now - self._down_since) if self._down_since is not None else None,
            warnings=tuple(health.get("warnings", ())),
            current_sign_warning=_current_sign_warning(self.session) if running else None,
            **counters,
        )
        self.updated.emit(self.reading)
        return self.reading


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min {seconds % 60:02.0f} s"
    return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:02.0f} min"


def banner_text(reading: HealthReading) -> str:
    """The fault banner's line, e.g. ``Connection lost: … Reconnecting in 4 s (attempt 3) · down 12 s``."""
    error = (reading.last_error or "no reason given").rstrip(".")
    if not reading.retrying:
        return f"Source failed: {error} — not retrying (Disconnect, fix it, connect again)"
    down = f" · down {_ago(reading.down_s)}" if reading.down_s is not None else ""
    return f"Connection lost: {error}. {reading.retry_text}{down}"


class FaultBanner(QFrame):
    """A red line over the plots while the connection is lost, with "Retry now"; hidden otherwise."""

    retry_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="faultBanner")
        self.label = QLabel("", objectName="faultBannerText", wordWrap=True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Retry now")
        self.retry_button.setToolTip("Try to reconnect now instead of waiting for the next attempt")
        self.retry_button.clicked.connect(self.retry_requested)
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 6, 10, 6)
        row.addWidget(self.label, 1)
        row.addWidget(self.retry_button)
        self.hide()

    def text(self) -> str:
        return self.label.text()

    def show_reading(self, reading: HealthReading) -> None:
        if reading.lost:
            self.label.setText(banner_text(reading))
            self.retry_button.setVisible(reading.retrying)
        self.setVisible(reading.lost)


class _Metric(QWidget):
    """A small caption over a monospaced value."""

    def __init__(self, caption: str, tooltip: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.value = QLabel("–", objectName="healthValue")
        caption_label = QLabel(caption, objectName="healthCaption")
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(caption_label)
        column.addWidget(self.value)
        self.setToolTip(tooltip)

    def set(self, text: str, problem: bool = False) -> None:
        self.value.setText(text)
        set_style_property(self.value, "problem", "true" if problem else "false")


class ConnectionHealthPanel(QFrame):
    """State, rates, error counts, reconnects and the last error of the connection; while
    the source is lost, when the next attempt is and a "Retry now" button."""

    retry_requested = Signal()

    def __init__(self, parent: QWidget | None = None, *, wall_clock=time.time):
        super().__init__(parent, objectName="healthPanel")
        self.wall_clock = wall_clock
        self.state_label = QLabel("Closed", objectName="healthState")
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.url_label = QLabel("", objectName="healthCaption")
        self.metrics = {
            "samples": _Metric("Samples/s", "Samples per second reaching the live engine"),
            "frames": _Metric("Frames/s", "Frames (lines, messages) decoded per second"),
            "bytes": _Metric("Bytes/s", "Raw bytes (serial) or frame payload (CAN) per second"),
            "bad": _Metric("Bad frames", "Garbage bytes, bad checksums, malformed frames: skipped"),
            "unknown": _Metric("Unknown frames", "Well-formed frames the protocol does not use"),
            "reconnects": _Metric("Reconnects", "Times the source was opened again after a fault"),
            "total": _Metric("Samples", "Samples received since connecting"),
        }
        self.error_label = QLabel("none", objectName="healthError", wordWrap=True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        error_block = QWidget()
        error_column = QVBoxLayout(error_block)
        error_column.setContentsMargins(0, 0, 0, 0)
        error_column.setSpacing(0)
        error_column.addWidget(QLabel("Last error", objectName="healthCaption"))
        error_column.addWidget(self.error_label)
        self.retry_label = QLabel("", objectName="healthRetry")
        self.retry_button = QPushButton("Retry now")
        self.retry_button.setToolTip("Try to reconnect now instead of waiting for the next attempt")
        self.retry_button.clicked.connect(self.retry_requested)
        retry_row = QHBoxLayout()
        retry_row.setContentsMargins(0, 4, 0, 0)
        retry_row.setSpacing(10)
        retry_row.addWidget(self.retry_label)
        retry_row.addWidget(self.retry_button)
        retry_row.addStretch(1)
        error_column.addLayout(retry_row)
        #: shown while the live engine finds the current's sign reversed
        self.sign_label = QLabel("", objectName="healthError", wordWrap=True)
        self.sign_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_style_property(self.sign_label, "problem", "true")
        self.sign_label.hide()
        error_column.addWidget(self.sign_label)

        # one row: the panel sits under the plots and should cost them little height
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 12, 8)
        row.setSpacing(22)
        state_column = QVBoxLayout()
        state_column.setSpacing(2)
        state_column.addWidget(self.state_label)
        state_column.addWidget(self.url_label)
        state_column.addStretch(1)
        row.addLayout(state_column)
        top = Qt.AlignmentFlag.AlignTop
        for metric in self.metrics.values():
            row.addWidget(metric, 0, top)
        row.addWidget(error_block, 1, top)
        self._reading = HealthReading()
        #: (name, samples, source URL) of the stored recording shown instead of a source
        self._stored: tuple[str, int, str | None] | None = None
        self.show_reading(self._reading)

    def show_stored(self, name: str, samples: int, url: str | None = None) -> None:
        """The dashboard shows a stored recording (``name``, "recording #12"), not a
        connection: the panel says so and its samples, in place of the stopped session's
        "Closed · 0 samples", until :meth:`clear_stored` (a source starts)."""
        self._stored = (name, samples, url)
        self.state_label.setText("Stored")
        set_style_property(self.state_label, "state", "closed")
        self.url_label.setText(name)
        self.state_label.setToolTip(
            f"A stored {name}, from {url}: no connection" if url else f"A stored {name}"
        )
        for key in ("samples", "frames", "bytes", "bad", "unknown", "reconnects"):
            self.metrics[key].set("n/a")  # (of a connection: there is none)
        self.metrics["total"].set(f"{samples:,}")
        self.error_label.setText("none")
        self.error_label.setToolTip("")
        set_style_property(self.error_label, "problem", "false")
        for widget in (self.sign_label, self.retry_label, self.retry_button):
            widget.hide()

    def clear_stored(self) -> None:
        """Back to the connection's readings."""
        if self._stored is not None:
            self._stored = None
            self.show_reading(self._reading)

    def show_reading(self, reading: HealthReading) -> None:
        self._reading = reading
        if self._stored is not None:
            return  # a stored recording is shown: the stopped session has nothing to say
        self.state_label.setText(reading.state_text)
        set_style_property(self.state_label, "state", reading.state_style)
        self.url_label.setText(_SOURCE_KIND.get((reading.url or "").split(":", 1)[0], "source"))
        self.state_label.setToolTip(reading.url or "no source")
        m = self.metrics
        m["samples"].set(f"{reading.samples_per_s:,.1f}")
        # sources without frames (the simulator, a log file) count none: say so, not "0"
        counts_frames = reading.frames_ok or reading.bytes_in or not reading.samples_total
        m["frames"].set(f"{reading.frames_per_s:,.1f}" if counts_frames else "n/a")
        m["bytes"].set(f"{reading.bytes_per_s:,.0f}" if counts_frames else "n/a")
        m["bad"].set(f"{reading.frames_bad:,}", problem=reading.frames_bad > 0)
        m["unknown"].set(f"{reading.frames_unknown:,}")
        m["reconnects"].set(f"{reading.reconnects:,}", problem=reading.reconnects > 0)
        m["total"].set(f"{reading.samples_total:,}")
        if reading.last_error:
            when = ""
            if reading.last_error_time is not None:
                clock = time.strftime("%H:%M:%S", time.localtime(reading.last_error_time))
                when = f"{clock} ({_ago(self.wall_clock() - reading.last_error_time)} ago) · "
            self.error_label.setText(when + reading.last_error)
        else:
            self.error_label.setText("none")
        set_style_property(self.error_label, "problem", "true" if reading.last_error else "false")
        sign = reading.current_sign_warning
        self.sign_label.setText(f"Current sign: {sign}" if sign else "")
        self.sign_label.setVisible(bool(sign))
        self.retry_label.setText(reading.retry_text)
        self.retry_label.setVisible(reading.retrying)
        self.retry_button.setVisible(reading.retrying)
        # every warning of the decoder, not only the last: hover the last error
        self.error_label.setToolTip(
            "Warnings:\n" + "\n".join(f"• {w}" for w in reading.warnings)
            if reading.warnings
            else ""
        )
