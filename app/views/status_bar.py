"""The status bar: source state (red on fault), sample rate, samples, recording."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget

from app.hardware.acquisition import AcquisitionState
from app.views.live_session import RecordingPhase, SessionStatus
from app.views.theme import set_style_property

_STATE_TEXT = {
    AcquisitionState.IDLE: "Not connected",
    AcquisitionState.CONNECTING: "Connecting…",
    AcquisitionState.STREAMING: "Streaming",
    AcquisitionState.FAULT: "Fault",
    AcquisitionState.FINISHED: "Finished",
    AcquisitionState.STOPPED: "Stopped",
}


class ElidedLabel(QLabel):
    """A one-line label that takes the width it is given and elides its text in the
    middle ("Streaming · sim://nmc?cells…=1200"), the whole text in its tooltip: a long
    source URL does not widen the window."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def shown_text(self) -> str:
        """The text as drawn at the label's width."""
        width = self.contentsRect().width()
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideMiddle, width)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        self.style().drawItemText(
            painter,
            self.contentsRect(),
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            self.shown_text(),
            self.foregroundRole(),
        )


class SessionStatusBar(QStatusBar):
    """Shows a :class:`SessionStatus`; faults in the theme's fault colour."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.state_label = ElidedLabel(objectName="sessionState")
        self.rate_label = QLabel()
        self.samples_label = QLabel()
        self.recording_label = QLabel(objectName="recordingIndicator")
        self.addWidget(self.state_label, 1)
        self.addPermanentWidget(self.recording_label)
        self.addPermanentWidget(self.rate_label)
        self.addPermanentWidget(self.samples_label)
        self._rate, self._live = 0.0, False
        self.show_status(SessionStatus())

    def show_status(self, status: SessionStatus) -> None:
        text = _STATE_TEXT[status.state]
        shown_state = status.state
        # a source that never opened was not lost: it could not be opened
        failed = "Fault" if status.opened else "Could not open"
        if status.last_error and status.retrying:
            # a live source between attempts (fault, then connecting again): one
            # steady red text, or the bar flickers between the two states
            again = "reconnecting" if status.opened else "retrying"
            text = f"{failed}: {status.last_error} · {again}…"
            shown_state = AcquisitionState.FAULT
        elif status.state is AcquisitionState.FAULT and status.last_error:
            # a log file that cannot be read, or a stream that gave up: final
            text = f"{failed}: {status.last_error} · not retrying"
        elif status.source_url and status.state is not AcquisitionState.IDLE:
            text = f"{text} · {status.source_url}"
        self.state_label.setText(text)
        self.state_label.setToolTip(status.last_error or text)
        set_style_property(self.state_label, "state", shown_state.value)

        live = status.state is not AcquisitionState.IDLE
        self._live = live
        self._show_rate()
        self.samples_label.setText(f"{status.samples_total:,} samples" if live else "")
        self._show_recording(status)

    def show_refused(self, reason: str) -> None:
        """A source URL was refused (bad URL, unknown scheme or parameter) while no source
        is connected: the bar says so, in the fault colour, in place of the previous
        source's end (its "Fault: … · not retrying" read as the new URL's fault)."""
        text = f"Not connected: {reason}"
        self.state_label.setText(text)
        self.state_label.setToolTip(text)
        set_style_property(self.state_label, "state", AcquisitionState.FAULT.value)
        self._live = False
        self._show_rate()
        self.samples_label.setText("")

    def show_rate(self, samples_per_s: float) -> None:
        """The samples per second the Connection health panel shows (one definition:
        :class:`~app.views.connection_health.HealthMonitor`'s, 0 once the source ended;
        the bar had the acquisition's own 1 s rate, 16,104.3 beside the panel's 12,801.9)."""
        self._rate = samples_per_s
        self._show_rate()

    def _show_rate(self) -> None:
        self.rate_label.setText(f"{self._rate:,.1f} samples/s" if self._live else "")

    def _show_recording(self, status: SessionStatus) -> None:
        phase, error = status.recording_phase, status.recording_error
        if phase is RecordingPhase.STARTING:
            # the samples kept for the recording meanwhile: how many, and where
            text = "Connecting to the database…"
            if status.recording_backlog:
                text = f"{text} {status.recording_backlog}"
            if error:
                text = f"{text} · {error}"
        elif phase is RecordingPhase.STOPPING:
            text = "Saving the recording…"
        elif phase is RecordingPhase.ON:
            text = f"● REC · {error}" if error else "● REC"
        elif error:
            text = f"Recording failed: {error}"
        else:
            text = ""
        self.recording_label.setText(text)
        self.recording_label.setToolTip(error or "")
        set_style_property(
            self.recording_label, "recording", "true" if status.recording else "false"
        )
        pending = phase in (RecordingPhase.STARTING, RecordingPhase.STOPPING)
        set_style_property(self.recording_label, "pending", "true" if pending else "false")
        failed = bool(error) and phase is not RecordingPhase.STOPPING
        set_style_property(self.recording_label, "failed", "true" if failed else "false")
