"""Connection health: state, frame and sample rates, errors and reconnects of the live source.

:class:`HealthMonitor` polls the session on a GUI timer (never a signal per
sample or frame): the source's counters (:class:`~app.hardware.source.SourceHealth`,
written by the acquisition thread as plain ints) and the session status.
Rates come from the counters' differences over the last
:data:`RATE_WINDOW_S` seconds. :class:`ConnectionHealthPanel` shows a
:class:`HealthReading`; :class:`FaultBanner` shows a lost connection in red
where the plots are.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.hardware.acquisition import AcquisitionState
from app.views.theme import set_style_property

#: How often the panel reads the counters.
POLL_MS = 500
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
    #: what the decoder left out of the stream or doubts (e.g. a CAN message that does not match its DBC)
    warnings: tuple[str, ...] = ()

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
        lost = running and (
            status.retrying or (state is AcquisitionState.FAULT and bool(status.last_error))
        )
        if lost and self._down_since is None:
            self._down_since = now
        elif not lost:
            self._down_since = None
        self.reading = HealthReading(
            state=state,
            url=status.source_url,
            retrying=running and status.retrying,
            samples_per_s=rate(lambda v: v[0]) if running else 0.0,
            frames_per_s=rate(lambda v: v[1]["frames_ok"]) if running else 0.0,
            bytes_per_s=rate(lambda v: v[1]["bytes_in"]) if running else 0.0,
            bad_per_s=rate(lambda v: v[1]["frames_bad"] + v[1]["frames_unknown"])
            if running
            else 0.0,
            samples_total=status.samples_total,
            reconnects=int(health.get("reconnects", 0)),
            last_error=health.get("last_error") or status.last_error,
            last_error_time=health.get("last_error_time"),
            down_s=(now - self._down_since) if self._down_since is not None else None,
            warnings=tuple(health.get("warnings", ())),
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


def banner_text(reading: HealthReading, now_wall: float) -> str:
    """The fault banner's line, e.g. ``Connection lost: … — reconnecting (down 12 s, last try 2 s ago)``."""
    error = reading.last_error or "no reason given"
    if not reading.retrying:
        return f"Source failed: {error} — not retrying (Disconnect, fix it, connect again)"
    details = []
    if reading.down_s is not None:
        details.append(f"down {_ago(reading.down_s)}")
    if reading.last_error_time is not None:
        details.append(f"last try {_ago(now_wall - reading.last_error_time)} ago")
    more = f" ({', '.join(details)})" if details else ""
    return f"Connection lost: {error} — reconnecting automatically{more}"


class FaultBanner(QLabel):
    """A red line over the plots while the connection is lost; hidden otherwise."""

    def __init__(self, parent: QWidget | None = None, *, wall_clock=time.time):
        super().__init__(parent, objectName="faultBanner", wordWrap=True)
        self.wall_clock = wall_clock
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_reading(self, reading: HealthReading) -> None:
        if reading.lost:
            self.setText(banner_text(reading, self.wall_clock()))
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
    """State, rates, error counts, reconnects and the last error of the connection."""

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
        self.show_reading(HealthReading())

    def show_reading(self, reading: HealthReading) -> None:
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
        # every warning of the decoder, not only the last: hover the last error
        self.error_label.setToolTip(
            "Warnings:\n" + "\n".join(f"• {w}" for w in reading.warnings)
            if reading.warnings
            else ""
        )
