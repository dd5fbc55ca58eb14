"""The status bar: source state (red on fault), sample rate, samples, recording."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.hardware.acquisition import AcquisitionState
from app.views.live_session import SessionStatus

_STATE_TEXT = {
    AcquisitionState.IDLE: "Not connected",
    AcquisitionState.CONNECTING: "Connecting…",
    AcquisitionState.STREAMING: "Streaming",
    AcquisitionState.FAULT: "Fault",
    AcquisitionState.FINISHED: "Finished",
    AcquisitionState.STOPPED: "Stopped",
}


def _set_property(label: QLabel, name: str, value: str) -> None:
    # QSS selectors on dynamic properties need a re-polish to take effect
    if label.property(name) != value:
        label.setProperty(name, value)
        label.style().unpolish(label)
        label.style().polish(label)


class SessionStatusBar(QStatusBar):
    """Shows a :class:`SessionStatus`; faults in the theme's fault colour."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.state_label = QLabel(objectName="sessionState")
        self.rate_label = QLabel()
        self.samples_label = QLabel()
        self.recording_label = QLabel(objectName="recordingIndicator")
        self.addWidget(self.state_label, 1)
        self.addPermanentWidget(self.recording_label)
        self.addPermanentWidget(self.rate_label)
        self.addPermanentWidget(self.samples_label)
        self.show_status(SessionStatus())

    def show_status(self, status: SessionStatus) -> None:
        text = _STATE_TEXT[status.state]
        shown_state = status.state
        if status.state is AcquisitionState.FAULT and status.last_error:
            text = f"Fault: {status.last_error}"
        elif status.state is AcquisitionState.CONNECTING and status.last_error:
            # retrying after a fault: stay red, or the bar flickers between states
            text = f"Fault: {status.last_error} · reconnecting…"
            shown_state = AcquisitionState.FAULT
        elif status.source_url and status.state is not AcquisitionState.IDLE:
            text = f"{text} · {status.source_url}"
        self.state_label.setText(text)
        self.state_label.setToolTip(status.last_error or "")
        _set_property(self.state_label, "state", shown_state.value)

        live = status.state is not AcquisitionState.IDLE
        self.rate_label.setText(f"{status.sample_rate_hz:,.1f} samples/s" if live else "")
        self.samples_label.setText(f"{status.samples_total:,} samples" if live else "")

        if status.recording and status.recording_error:
            self.recording_label.setText(f"● REC · {status.recording_error}")
        elif status.recording:
            self.recording_label.setText("● REC")
        elif status.recording_error:
            self.recording_label.setText(f"Recording failed: {status.recording_error}")
        else:
            self.recording_label.setText("")
        self.recording_label.setToolTip(status.recording_error or "")
        _set_property(self.recording_label, "recording", "true" if status.recording else "false")
        _set_property(self.recording_label, "failed", "true" if status.recording_error else "false")
