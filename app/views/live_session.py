"""The live flow, Qt side: source → live engine → ring buffer (+ recorder), pulled on a timer.

::

    AcquisitionThread(source, sinks=[LiveEngine(spec, outputs=[ring.append, recording])])
                                                                  ▲
    QTimer (redraw_hz) ── ring.snapshot() when ring.total changed ┘ ──▶ data_updated

The worker thread never touches Qt; the GUI never gets a signal per sample
and never calls ``processEvents()``. It pulls a snapshot at most
``redraw_hz`` times a second, and only when new samples arrived.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from app.core.errors import BatteryOSError
from app.core.ringbuffer import RingBuffer
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec, preset
from app.diagnostics.live import LiveEngine
from app.hardware.acquisition import AcquisitionState, AcquisitionThread
from app.hardware.registry import create_source
from app.hardware.source import Source
from app.views import storage_bridge
from app.views.recording_sink import RecordingSink

log = logging.getLogger(__name__)

#: Samples kept for the plots. At 10 Hz that is over 5 h; older samples
#: scroll out (they are in the recording if one runs).
HISTORY_SAMPLES = 200_000


class EngineOnFirstBlock:
    """The live engine, built when the first block arrives (acquisition thread).

    A log file knows its battery only once it is opened, and opening happens
    in the acquisition thread; building the engine earlier would estimate SOC
    with the wrong battery.
    """

    def __init__(self, source: Source, outputs: list[Callable[[SampleBlock], None]]):
        self.source = source
        self.outputs = outputs
        self.engine: LiveEngine | None = None

    @property
    def spec(self) -> BatterySpec | None:
        return self.engine.spec if self.engine is not None else self.source.spec

    def __call__(self, block: SampleBlock) -> None:
        if self.engine is None:
            # A source that knows no battery still needs one for the SOC estimate.
            spec = self.source.spec if self.source.spec is not None else preset("nmc")
            self.engine = LiveEngine(spec, outputs=self.outputs)
        self.engine(block)


@dataclass(frozen=True)
class SessionStatus:
    """What the status bar shows; compared by value so unchanged status is not re-sent."""

    state: AcquisitionState = AcquisitionState.IDLE
    source_url: str | None = None
    last_error: str | None = None
    sample_rate_hz: float = 0.0
    samples_total: int = 0
    recording: bool = False
    recording_error: str | None = None


class LiveSession(QObject):
    """One live connection at a time, with optional recording.

    Signals carry plain data (dicts of numpy arrays, :class:`SessionStatus`),
    never view objects.
    """

    started = Signal(str)  #: source URL
    stopped = Signal()
    data_updated = Signal(object)  #: dict column -> np.ndarray, oldest first
    status_changed = Signal(object)  #: SessionStatus
    recording_started = Signal()
    recording_stopped = Signal()

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        redraw_hz: int = 25,
        db_url: str | None = None,
        history_samples: int = HISTORY_SAMPLES,
    ):
        super().__init__(parent)
        self.db_url = db_url
        self.ring = RingBuffer(history_samples)
        self._engine: EngineOnFirstBlock | None = None
        self.source_url: str | None = None
        self._recording = RecordingSink()
        self._recording_error: str | None = None
        self._acquisition: AcquisitionThread | None = None
        self._seen_total = -1
        self._status = SessionStatus()
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, round(1000 / max(1, redraw_hz))))
        self._timer.timeout.connect(self._on_tick)

    # --- state -------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop` (also after a finite source ended)."""
        return self._acquisition is not None

    @property
    def recording(self) -> bool:
        return self._recording.recording

    @property
    def spec(self) -> BatterySpec | None:
        """The battery of the current source (known once it is open)."""
        return self._engine.spec if self._engine is not None else None

    @property
    def status(self) -> SessionStatus:
        return self._status

    @property
    def acquisition(self) -> AcquisitionThread | None:
        return self._acquisition

    def snapshot(self) -> dict[str, np.ndarray]:
        """Every buffered sample, oldest first (copies)."""
        return self.ring.snapshot()

    # --- control -----------------------------------------------------------
    def start(self, url: str) -> None:
        """Connect to the source at ``url`` and start streaming.

        Raises :class:`~app.core.errors.BatteryOSError` (bad URL, unknown
        scheme, bad parameters) before anything runs; faults after that are
        shown through :attr:`status`.
        """
        source = create_source(url)  # raises SourceError for bad URLs: nothing started yet
        self.stop()
        self.source_url = url
        self.ring.clear()
        self._seen_total = -1
        self._recording_error = None
        self._engine = EngineOnFirstBlock(source, outputs=[self.ring.append, self._recording])
        self._acquisition = AcquisitionThread(source, sinks=[self._engine])
        self._acquisition.start()
        self._timer.start()
        self._publish_status()
        self.started.emit(url)

    def stop(self) -> None:
        """Stop streaming (joins the acquisition thread) and any recording."""
        acquisition, self._acquisition = self._acquisition, None
        if acquisition is None:
            return
        acquisition.stop()
        if acquisition.running:
            log.warning("acquisition thread of %s did not stop in time", acquisition.source.url)
        self.stop_recording()
        self._pull()  # the last samples that arrived before the stop
        self._timer.stop()
        self._status = SessionStatus(
            state=acquisition.state,
            source_url=self.source_url,
            last_error=acquisition.last_error,
            samples_total=acquisition.samples_total,
            recording_error=self._recording_error,
        )
        self.status_changed.emit(self._status)
        self.stopped.emit()

    def start_recording(self) -> bool:
        """Record the stream to the database from now on.

        Returns False, with the reason in :attr:`status`, when the database
        cannot be used; streaming goes on either way.
        """
        if self._acquisition is None or self.recording:
            return self.recording
        try:
            recorder = storage_bridge.open_recorder(self.db_url, self.source_url or "", self.spec)
        except BatteryOSError as exc:
            self._recording_error = str(exc)
            self._publish_status()
            return False
        self._recording_error = None
        self._recording.attach(recorder)
        self._publish_status()
        self.recording_started.emit()
        return True

    def stop_recording(self) -> None:
        """Stop recording and close (flush) the recorder."""
        was_recording = self.recording
        recorder = self._recording.detach()
        if recorder is not None:
            try:
                storage_bridge.close_recorder(recorder)
            except BatteryOSError as exc:  # lost samples are shown, not raised into the GUI
                self._recording_error = str(exc)
        if was_recording:
            self._publish_status()
            self.recording_stopped.emit()

    # --- the timer ---------------------------------------------------------
    def _on_tick(self) -> None:
        if self._acquisition is None:
            return
        error = self._recording.take_error()
        if error:
            # the sink detached a failing recorder in the worker thread: close it here
            self.stop_recording()
            self._recording_error = error
            self.recording_stopped.emit()
        self._pull()
        self._publish_status()

    def _pull(self) -> None:
        total = self.ring.total
        if total == self._seen_total:
            return  # nothing new: no snapshot copy, no redraw
        self._seen_total = total
        self.data_updated.emit(self.ring.snapshot())

    def _recorder_problem(self) -> str | None:
        recorder = self._recording.recorder
        return storage_bridge.recorder_problem(recorder) if recorder is not None else None

    def _publish_status(self) -> None:
        acq = self._acquisition
        if acq is None:
            return
        status = SessionStatus(
            state=acq.state,
            source_url=self.source_url,
            last_error=acq.last_error,
            sample_rate_hz=round(acq.sample_rate_hz, 1),
            samples_total=acq.samples_total,
            recording=self.recording,
            recording_error=self._recording_error or self._recorder_problem(),
        )
        if status != self._status:
            self._status = status
            self.status_changed.emit(status)
