"""Connection health: state, frame and sample rates, errors and reconnects of the live source.

:class:`HealthMonitor` polls the session on a GUI timer (never a signal per
sample or frame): the source's counters (:class:`~app.hardware.source.SourceHealth`,
written by the acquisition thread as plain ints) and the session status.
Rates come from the counters' differences over the last
:data:`RATE_WINDOW_S` seconds, or over the last polls that saw a slow counter move
(:func:`_rate`). :class:`ConnectionHealthPanel` shows a
:class:`HealthReading`; :class:`FaultBanner` shows a lost connection in red
where the plots are. While a live source is lost both say when the next reconnect
attempt is (``Reconnecting in 4 s (attempt 3)``, from the acquisition thread's
:attr:`~app.hardware.acquisition.AcquisitionThread.reconnect_status`) and offer
"Retry now" (``retry_requested``); the banner offers "Stop retrying" too
(``stop_requested``). A live source that never opened (a USB adapter not plugged in
yet) is tried again on the same schedule, but was never connected: it says it could
not be opened (``Could not open the source: … Retrying in 8 s (attempt 5)``), not that a
connection was lost.

Both fit their text to the width they have (:class:`FittedLabel`): a long error
never widens the window.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.hardware.acquisition import AcquisitionState, ReconnectStatus, wait_text
from app.views.fitted_label import FittedLabel
from app.views.theme import set_style_property

#: How often the panel reads the counters.
POLL_MS = 500
#: The states of a source that delivers no more (its rates are 0).
_ENDED = (AcquisitionState.IDLE, AcquisitionState.FINISHED, AcquisitionState.STOPPED)
#: Rates are averaged over this many seconds of readings ...
RATE_WINDOW_S = 2.0
#: ... where that holds at least this many counts (samples, frames, bytes); fewer (a
#: slow source: a VE.Direct monitor gives a sample every ~2 s, which read 0.0 or 0.5
#: samples/s by the poll) and the rate is of the last ``RATE_MIN_COUNTS`` polls that
#: saw the counter move, over up to ``RATE_HISTORY_S``.
RATE_MIN_COUNTS = 10
RATE_HISTORY_S = 60.0
#: A counter that has not moved for this many of its usual intervals has stopped:
#: its rate is the last ``RATE_WINDOW_S``' (0), not the slow average.
RATE_STOPPED_INTERVALS = 3.0

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
#: The panel's rates (of a source that streams).
_RATES = ("samples", "frames", "bytes")


@dataclass(frozen=True)
class HealthReading:
    """One look at the connection: what the panel and the banner show."""

    state: AcquisitionState = AcquisitionState.IDLE
    url: str | None = None
    retrying: bool = False  #: a live source between reconnect attempts
    #: the source opened at least once (False: it could not be opened, never connected)
    opened: bool = False
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
        """``Reconnecting in 4 s (attempt 3)`` (``Retrying …`` for a source that never
        opened); empty when the source is not being retried."""
        if not self.retrying:
            return ""
        verb = "Reconnecting" if self.opened else "Retrying"
        if not self.attempt:
            return f"{verb}…"
        when = "now" if self.retry_in_s is None else f"in {wait_text(self.retry_in_s)}"
        return f"{verb} {when} (attempt {self.attempt})"

    @property
    def reason(self) -> str | None:
        """The last error without the source's URL in front (the dashboard's tool bar and
        the tooltips name it): ``cannot open /dev/ttyUSB9: No such file or directory``."""
        if not self.last_error or not self.url:
            return self.last_error
        return self.last_error.removeprefix(f"{self.url}: ")

    #: what the decoder left out of the stream or doubts (e.g. a CAN message that does not match its DBC)
    warnings: tuple[str, ...] = ()
    #: the live engine finds the current's sign reversed: the evidence and the fix
    current_sign_warning: str | None = None

    @property
    def state_text(self) -> str:
        """``Streaming``; ``Fault`` while a lost source is reconnected (the countdown is
        beside it), ``Not opened`` for a source that could not be opened."""
        if self.lost and not self.opened:
            return "Not opened"
        return "Fault" if self.retrying else _STATE_WORDS[self.state][0]

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
        while self._history and now - self._history[0][0] > RATE_HISTORY_S:
            self._history.popleft()

        def rate(values) -> float:
            return _rate(self._history, values, now)

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
            opened=status.opened,
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


def _rate(history, values, now: float) -> float:
    """The rate of ``values(reading)`` (a counter) over ``history`` ((time, samples,
    counters) readings, oldest first): over the last :data:`RATE_WINDOW_S` seconds
    when that holds :data:`RATE_MIN_COUNTS` counts or more (a fast source's figure
    follows it within the window); else over the last ``RATE_MIN_COUNTS`` polls that
    saw the counter move, from the first of them (its count, not what came before it:
    a burst before a slow trickle is not averaged in) to the last, 0 (the window's
    rate) once the counter has stood for ``RATE_STOPPED_INTERVALS`` of its longest
    intervals."""
    if len(history) < 2:
        return 0.0
    window = [r for r in history if now - r[0] <= RATE_WINDOW_S]
    (t0, *first), (t1, *last) = window[0] if len(window) > 1 else history[-2], history[-1]
    moved = values(last) - values(first)
    fast = moved / (t1 - t0) if t1 > t0 else 0.0
    if moved >= RATE_MIN_COUNTS:
        return fast
    # the polls at which the counter moved, newest first
    changes = []
    for (ta, *a), (_, *b) in zip(reversed(history), list(reversed(history))[1:], strict=False):
        if values(a) != values(b):
            changes.append((ta, values(a)))
            if len(changes) >= RATE_MIN_COUNTS:
                break
    if len(changes) < 2:
        return fast
    (t_last, c_last), (t_first, c_first) = changes[0], changes[-1]
    # its longest interval (a source that delivers unevenly is not taken as stopped)
    interval = max(a[0] - b[0] for a, b in zip(changes, changes[1:], strict=False))
    if now - t_last <= max(RATE_STOPPED_INTERVALS * interval, RATE_WINDOW_S):
        return (c_last - c_first) / (t_last - t_first)
    # two moves tell too little of its pace to call it stopped: averaged up to now
    return (c_last - c_first) / (now - t_first) if len(changes) < 3 else fast


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min {seconds % 60:02.0f} s"
    return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:02.0f} min"


def banner_text(reading: HealthReading) -> str:
    """The fault banner's line, e.g. ``Connection lost: … Reconnecting in 4 s (attempt 3) ·
    down 12 s``; for a source that never opened ``Could not open the source: … Retrying in
    8 s (attempt 5)`` (it was not connected, so nothing was lost)."""
    error = (reading.reason or "no reason given").rstrip(".")
    if not reading.opened:
        if not reading.retrying:
            return f"Could not open the source: {error} — not retrying (fix it, connect again)"
        return f"Could not open the source: {error}. {reading.retry_text}"
    if not reading.retrying:
        return f"Source failed: {error} — not retrying (Disconnect, fix it, connect again)"
    down = f" · down {_ago(reading.down_s)}" if reading.down_s is not None else ""
    return f"Connection lost: {error}. {reading.retry_text}{down}"


#: The most lines of the fault banner's text (its whole text is in the tooltip).
FAULT_BANNER_LINES = 2


class FaultBanner(QFrame):
    """A red line over the plots while the connection is lost or could not be opened, with
    "Retry now" and "Stop retrying" while it is tried again; hidden otherwise."""

    retry_requested = Signal()
    stop_requested = Signal()  #: give up the source (as Disconnect)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, objectName="faultBanner")
        self.label = FittedLabel(objectName="faultBannerText", max_lines=FAULT_BANNER_LINES)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Retry now")
        self.retry_button.setToolTip("Try to reconnect now instead of waiting for the next attempt")
        self.retry_button.clicked.connect(self.retry_requested)
        self.stop_button = QPushButton("Stop retrying")
        self.stop_button.setToolTip("Stop trying this source (as Disconnect does)")
        self.stop_button.clicked.connect(self.stop_requested)
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 3, 10, 3)
        row.addWidget(self.label, 1)
        row.addWidget(self.retry_button)
        row.addWidget(self.stop_button)
        self.hide()

    def text(self) -> str:
        """The banner's whole text (it is shown cut to two lines when longer)."""
        return self.label.full_text()

    def show_reading(self, reading: HealthReading) -> None:
        if reading.lost:
            text = banner_text(reading)
            tip = text if reading.reason == reading.last_error else f"{text}\n{reading.last_error}"
            self.label.set_full_text(text, tip)
            self.retry_button.setVisible(reading.retrying)
            self.stop_button.setVisible(reading.retrying)
        self.setVisible(reading.lost)


def _show_only(shown: dict[QWidget, bool]) -> None:
    """Show and hide widgets of one layout, the hidden first: a widget shown lays its
    window out at once, and with the rates not yet hidden the countdown and Retry now
    widened a 1024 px window to 1047 px."""
    for widget, visible in sorted(shown.items(), key=lambda item: item[1]):
        widget.setVisible(visible)


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
    the source is lost (or not opened yet), when the next attempt is and a "Retry now"
    button. One row of two lines, so it costs the plots above it little height: its name
    is its first caption (the dock has no title bar) and its ✕ hides it
    (``hide_requested``; View ▸ Connection health shows it again)."""

    retry_requested = Signal()
    hide_requested = Signal()

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
        # one line each, cut with '…' (whole in the tooltip): a serial port's error with
        # its URL wrapped to four lines and set the window's minimum width to 1240 px
        self.error_label = FittedLabel("none", objectName="healthError", max_lines=1)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # while the source is retried, the countdown heads the error in the caption's place
        self.retry_label = QLabel("", objectName="healthRetry")
        self.error_caption = QLabel("Last error", objectName="healthCaption")
        error_caption = QHBoxLayout()
        error_caption.addWidget(self.error_caption)
        error_caption.addWidget(self.retry_label)
        error_caption.addStretch(1)
        #: shown while the live engine finds the current's sign reversed
        self.sign_label = FittedLabel(objectName="healthError", max_lines=2)
        self.sign_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_style_property(self.sign_label, "problem", "true")
        self.sign_label.hide()
        error_column = QVBoxLayout()
        error_column.setSpacing(0)
        error_column.addLayout(error_caption)
        error_column.addWidget(self.error_label)
        error_column.addWidget(self.sign_label)
        error_column.addStretch(1)
        self.retry_button = QPushButton("Retry now")
        self.retry_button.setToolTip("Try to reconnect now instead of waiting for the next attempt")
        self.retry_button.clicked.connect(self.retry_requested)
        self.hide_button = QToolButton(objectName="healthHide", text="✕", autoRaise=True)
        self.hide_button.setToolTip("Hide the connection health (View ▸ Connection health)")
        self.hide_button.clicked.connect(self.hide_requested)

        row = QHBoxLayout(self)
        row.setContentsMargins(12, 4, 4, 4)
        row.setSpacing(16)
        state_column = QVBoxLayout()
        state_column.setSpacing(1)
        caption = QHBoxLayout()
        caption.setSpacing(4)
        caption.addWidget(QLabel("Connection ·", objectName="healthCaption"))
        caption.addWidget(self.url_label)
        caption.addStretch(1)
        state_column.addLayout(caption)
        state_column.addWidget(self.state_label)
        state_column.addStretch(1)
        row.addLayout(state_column)
        top = Qt.AlignmentFlag.AlignTop
        for metric in self.metrics.values():
            row.addWidget(metric, 0, top)
        row.addLayout(error_column, 1)
        row.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.hide_button, 0, top)
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
        self.error_label.set_full_text("none", "")
        set_style_property(self.error_label, "problem", "false")
        shown = dict.fromkeys((self.sign_label, self.retry_label, self.retry_button), False)
        _show_only(shown | {self.error_caption: True} | {self.metrics[k]: True for k in _RATES})

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
        error, whole = "none", ""
        if reading.last_error:
            when = ""
            if reading.last_error_time is not None:
                clock = time.strftime("%H:%M:%S", time.localtime(reading.last_error_time))
                when = f"{clock} ({_ago(self.wall_clock() - reading.last_error_time)} ago) · "
            error, whole = when + reading.reason, when + reading.last_error
        # the whole error (its source's URL too) and every warning of the decoder, not
        # only the last: hover the last error
        warnings = "\n".join(f"• {w}" for w in reading.warnings)
        tooltip = "\n\n".join(t for t in (whole, warnings and f"Warnings:\n{warnings}") if t)
        self.error_label.set_full_text(error, tooltip)
        set_style_property(self.error_label, "problem", "true" if reading.last_error else "false")
        sign = reading.current_sign_warning
        self.sign_label.set_full_text(f"Current sign: {sign}" if sign else "")
        self.retry_label.setText(reading.retry_text)
        # nothing flows while the source is lost or not opened: no rates (all 0), and
        # their room goes to the countdown, the error and Retry now within 1024 px
        shown = {self.sign_label: bool(sign), self.error_caption: not reading.retrying}
        shown |= dict.fromkeys((self.retry_label, self.retry_button), reading.retrying)
        shown |= {self.metrics[key]: not reading.lost for key in _RATES}
        _show_only(shown)
