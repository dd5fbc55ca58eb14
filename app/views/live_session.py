"""The live flow, Qt side: source → live engine → ring buffer (+ recorder), pulled on a timer.

::

    AcquisitionThread(source, sinks=[LiveEngine(spec, outputs=[ring.append, recording])])
                                                                  ▲
    QTimer (redraw_hz) ── ring.snapshot() when ring.total changed ┘ ──▶ data_updated

The worker thread never touches Qt; the GUI never gets a signal per sample
and never calls ``processEvents()``. It pulls a snapshot at most
``redraw_hz`` times a second, and only when new samples arrived.

Recording talks to the database (connect, schema check, flush on stop) on a
:class:`~app.views.background.SerialWorker`, never on the GUI thread; the
Record button shows the :class:`RecordingPhase` meanwhile. A recording holds
every sample that arrives after Record is pressed (those that arrive while the
database is being opened are kept for it, in memory and past a cap on disk, and
stored in chunks once it is open, see :class:`RecordingSink`), none from before.
The status says how many wait, and what (if anything) could not be kept. When
the source ends, fails for good or is disconnected, the recording is closed:
flushed, marked complete (interrupted after a fault) with its end time and
sample count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from app.core.errors import BatteryOSError
from app.core.ringbuffer import RingBuffer
from app.core.spec import BatterySpec
from app.diagnostics.live import EngineOnFirstBlock
from app.hardware.acquisition import AcquisitionState, AcquisitionThread
from app.hardware.cell_count import CellCountCheck, gui_fix
from app.hardware.registry import create_source, url_capacity_ah
from app.hardware.source import Source
from app.views import storage_bridge
from app.views.background import SerialWorker
from app.views.recording_sink import (
    BACKLOG_DISK_BYTES,
    BACKLOG_MEMORY_BYTES,
    Backlog,
    RecordingSink,
    feed,
)

log = logging.getLogger(__name__)

#: Samples kept for the plots. At 10 Hz that is over 5 h; older samples
#: scroll out (they are in the recording if one runs).
HISTORY_SAMPLES = 200_000


class RecordingPhase(StrEnum):
    """Where recording stands; the database work between the steady phases runs in the background."""

    OFF = "off"
    STARTING = "starting"  # connecting to the database (and checking its schema)
    ON = "on"
    STOPPING = "stopping"  # storing what is queued and closing the recording


@dataclass(frozen=True)
class SessionStatus:
    """What the status bar shows; compared by value so unchanged status is not re-sent."""

    state: AcquisitionState = AcquisitionState.IDLE
    source_url: str | None = None
    last_error: str | None = None
    samples_total: int = 0
    recording: bool = False  # phase is ON
    recording_error: str | None = None
    recording_phase: RecordingPhase = RecordingPhase.OFF
    #: While the database opens (STARTING): the samples kept for the recording and
    #: where ("12,000 samples waiting (3 MB on disk)"); None when none wait.
    recording_backlog: str | None = None
    #: The acquisition thread will try the source again after this fault (a
    #: live device); False for a finite source (a log file) or once it gave up.
    retrying: bool = False
    #: The source opened at least once: a fault after is a lost connection; before, it
    #: could not be opened (a port that is not there) and was never connected.
    opened: bool = False

    @property
    def recordable(self) -> bool:
        """A source is connected and may still give samples (Record makes sense)."""
        return self.state in (AcquisitionState.CONNECTING, AcquisitionState.STREAMING) or (
            self.state is AcquisitionState.FAULT and self.retrying
        )


@dataclass(frozen=True)
class LiveReport:
    """What the live engine has computed, and over how much data."""

    results: dict
    samples: int
    span_s: float
    cycles: int


class LiveSession(QObject):
    """One live connection at a time, with optional recording.

    Signals carry plain data (dicts of numpy arrays, :class:`SessionStatus`),
    never view objects. Database work (connecting, checking the schema,
    flushing a recording) runs on a background worker; its outcome comes back
    as ``recording_started``, ``recording_stopped`` or ``recording_failed``.
    """

    started = Signal(str)  #: source URL
    stopped = Signal()
    #: the stream ended on its own (a log played to its end, a simulated run done, a
    #: source refused or given up), once a stream: its samples and alert events are
    #: all handed on (``stopped`` follows a Disconnect)
    stream_ended = Signal()
    data_updated = Signal(object)  #: dict column -> np.ndarray, oldest first
    status_changed = Signal(object)  #: SessionStatus
    recording_started = Signal()
    recording_stopped = Signal()  #: the recording is closed (and flushed, as far as possible)
    recording_failed = Signal(str)  #: one line: why recording could not start or lost samples
    storage_idle = Signal()  #: no database work pending any more

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        redraw_hz: int = 25,
        db_url: str | None = None,
        history_samples: int = HISTORY_SAMPLES,
        reconnect_initial_s: float = 0.5,
        record_backlog_bytes: int = BACKLOG_MEMORY_BYTES,
        record_spill_bytes: int = BACKLOG_DISK_BYTES,
    ):
        super().__init__(parent)
        self.db_url = db_url
        #: the first wait before reconnecting a lost source (it doubles up to 10 s)
        self.reconnect_initial_s = reconnect_initial_s
        self.ring = RingBuffer(history_samples)
        self._engine: EngineOnFirstBlock | None = None
        #: called in the acquisition thread with each block's alert events
        #: (they must only hand them on, see AlertCenter)
        self.alert_outputs: list[Callable[[list], None]] = []
        #: the alert rules of a battery when a stream starts (see EngineOnFirstBlock)
        self.thresholds_for: Callable[[BatterySpec], list] | None = None
        self.source_url: str | None = None
        #: the samples that arrive while the database opens are kept in memory up to
        #: ``record_backlog_bytes``, then on disk up to ``record_spill_bytes``
        self._recording = RecordingSink(
            memory_bytes=record_backlog_bytes, disk_bytes=record_spill_bytes
        )
        self._recording_error: str | None = None
        self._phase = RecordingPhase.OFF
        self._stop_when_started = False  # Stop pressed while the database was connecting
        #: the blocks kept for a recorder still being opened when Stop was pressed
        self._blocks_for_opening: Backlog | None = None
        #: how a recording closed by the end of its stream is marked (None: complete)
        self._end_status: str | None = None
        self._stream_id = 0  # which stream a recorder being opened belongs to
        self._storage = SerialWorker("recording storage", self)
        self._storage.idle.connect(self.storage_idle)
        self._acquisition: AcquisitionThread | None = None
        self._ended_told = False  # stream_ended was emitted for this stream
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
        return self._phase is RecordingPhase.ON

    @property
    def recording_phase(self) -> RecordingPhase:
        return self._phase

    @property
    def storage_busy(self) -> bool:
        """Database work (connecting, flushing) still under way in the background."""
        return self._storage.busy

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

    def live_results(self) -> dict | None:
        """The live engine's latest results (any thread); None before the first block."""
        stage = self._engine
        return stage.engine.results() if stage is not None and stage.engine is not None else None

    def current_sign_warning(self) -> str | None:
        """The live engine's warning that the current's sign looks reversed (any
        thread); None while the samples do not say so."""
        stage = self._engine
        engine = stage.engine if stage is not None else None
        return engine.current_sign_check().warning if engine is not None else None

    def spec_fit_warning(self) -> str | None:
        """The live engine's warning that the battery does not fit the samples (any
        thread); None while it fits, or before the first block."""
        return self.spec_fit_check()[0]

    def spec_fit_check(self) -> tuple[str | None, dict[str, str]]:
        """:meth:`spec_fit_warning`, and the results it makes not valid (result key ->
        why, as ``analyze``'s ``invalid_results``); any thread."""
        stage = self._engine
        engine = stage.engine if stage is not None else None
        if engine is None:
            return None, {}
        from app.views.log_files import BATTERY_DIALOG_WORDS  # its battery is given there

        return engine.spec_fit_check(BATTERY_DIALOG_WORDS)

    def live_report(self) -> LiveReport | None:
        """The live engine's results with the samples and cycles they cover (any
        thread; the first call imports the fade models); None before the first block."""
        stage = self._engine
        engine = stage.engine if stage is not None else None
        if engine is None:
            return None
        return LiveReport(*engine.report())

    @property
    def recording_id(self) -> int | None:
        """The database id of the recording under way, if any."""
        recorder = self._recording.recorder if self.recording else None
        return getattr(recorder, "recording_id", None)

    def set_thresholds(self, thresholds: list) -> None:
        """The alert rules the live engine of this stream evaluates (the next
        stream asks :attr:`thresholds_for` again)."""
        if self._engine is not None:
            self._engine.set_thresholds(list(thresholds))

    def open_alert_worst(self) -> dict:
        """The worst values of the alerts still up in the live engine (threshold -> value)."""
        engine = self._engine.engine if self._engine is not None else None
        return engine.open_alert_worst() if engine is not None else {}

    def open_alert_faults(self) -> dict:
        """The fault, as last known, of each fault rule's alert still up (threshold -> fault)."""
        engine = self._engine.engine if self._engine is not None else None
        return engine.open_alert_faults() if engine is not None else {}

    def withdrawn_alarms(self) -> list[dict]:
        """The runaway-onset alarms the fault detector has withdrawn (see
        :meth:`~app.diagnostics.live.LiveDiagnostics.withdrawn_alarms`)."""
        engine = self._engine.engine if self._engine is not None else None
        return engine.withdrawn_alarms() if engine is not None else []

    def snapshot(self) -> dict[str, np.ndarray]:
        """Every buffered sample, oldest first (copies). Safe from any thread."""
        return self.ring.snapshot()

    # --- control -----------------------------------------------------------
    def start(self, url: str, source: Source | None = None) -> None:
        """Connect to the source at ``url`` and start streaming.

        ``source``: the (closed) source of ``url``, built beforehand
        (:func:`~app.hardware.registry.create_source`; the window builds one that
        names an OCV table in the background: the table is read as it is built);
        None: built here.

        Raises :class:`~app.core.errors.BatteryOSError` (bad URL, unknown
        scheme, bad parameters) before anything runs; faults after that are
        shown through :attr:`status`.
        """
        if source is None:
            source = create_source(url)  # raises SourceError for bad URLs: nothing started yet
        self.stop()
        self.source_url = url
        self.ring.clear()
        self._seen_total = -1
        self._recording_error = None
        if self._phase is RecordingPhase.OFF:
            self._recording.forget_problem()
        self._engine = EngineOnFirstBlock(
            source,
            outputs=[self.ring.append, self._recording],
            alert_outputs=self.alert_outputs,
            thresholds_for=self.thresholds_for,
            reference_capacity_ah=url_capacity_ah(url),
        )
        # a series cell count the source's cell voltages contradict stops it on the
        # first block that shows it, before anything is judged, drawn or recorded, with
        # the reason as the source's fault (as record and serve --source refuse it)
        cells = CellCountCheck(source, fix=gui_fix)
        self._acquisition = AcquisitionThread(
            source, sinks=[cells, self._engine], reconnect_initial_s=self.reconnect_initial_s
        )
        self._ended_told = False
        self._acquisition.start()
        self._timer.start()
        self._publish_status()
        self.started.emit(url)

    def stop(self) -> None:
        """Stop streaming (joins the acquisition thread) and any recording.

        A recording is flushed and closed in the background afterwards
        (``recording_stopped`` follows); :meth:`shutdown` waits for that.
        """
        acquisition, self._acquisition = self._acquisition, None
        if acquisition is None:
            return
        self._stream_id += 1  # a recorder still being opened belongs to no stream now
        acquisition.stop()
        if acquisition.running:
            log.warning("acquisition thread of %s did not stop in time", acquisition.source.url)
        self._pull()  # the last samples that arrived before the stop
        self._timer.stop()
        self._status = SessionStatus(  # what the status shows from now on
            state=acquisition.state,
            source_url=self.source_url,
            last_error=acquisition.last_error,
            samples_total=acquisition.samples_total,
            opened=acquisition.opened,
        )
        self.stop_recording()
        self._publish_status(force=True)
        self.stopped.emit()

    def clear(self) -> None:
        """Forget the stopped source: its samples, results and status (the dashboard
        shows other data now, a stored recording). Nothing while a source is connected;
        a recording of it still being saved goes on."""
        if self._acquisition is not None:
            return
        self.source_url = None
        self.ring.clear()
        self._seen_total = -1
        self._engine = None
        self._recording_error = None
        self._status = SessionStatus()
        self._publish_status(force=True)

    def retry_now(self) -> bool:
        """Reconnect a lost source now rather than at the end of its back-off (never blocks).

        False when there is nothing to retry (not connected, streaming, or an attempt running).
        """
        return self._acquisition is not None and self._acquisition.retry_now()

    def shutdown(self, timeout: float | None = None) -> bool:
        """Stop, then block until the background database work is done (end of the program).

        True when no worker thread is left. Callbacks of work finished here
        run when (if) the event loop runs again.
        """
        self.stop()
        return self._storage.wait(timeout)

    def start_recording(self) -> bool:
        """Start recording the stream to the database, in the background.

        Returns at once: True when a start was requested. ``recording_started``
        follows once the database is connected and checked, or
        ``recording_failed`` with the reason; streaming goes on either way.
        """
        if (
            self._acquisition is None
            or not self._acquisition.running  # the source has ended: nothing more will come
            or self._phase is not RecordingPhase.OFF
        ):
            return False
        self._phase = RecordingPhase.STARTING
        self._stop_when_started = False
        self._drop_backlog(None)
        self._end_status = None
        self._recording_error = None
        # from now on every block is kept, while the database opens
        generation = self._recording.arm()
        stream_id = self._stream_id
        db_url, source_url, spec = self.db_url, self.source_url or "", self.spec
        sink = self._recording

        def open_and_catch_up():  # on the storage worker
            recorder = storage_bridge.open_recorder(db_url, source_url, spec)
            try:  # the samples kept meanwhile go to it in chunks, then the stream
                return recorder, sink.attach(recorder, generation)
            except BaseException:
                storage_bridge.close_recorder(recorder, "interrupted")
                raise

        self._storage.submit(
            open_and_catch_up,
            on_done=lambda result: self._on_recorder_opened(stream_id, *result),
            on_error=self._on_recorder_open_failed,
        )
        self._publish_status()
        return True

    def stop_recording(self) -> None:
        """Stop recording; the recorder is flushed and closed in the background."""
        if self._phase is RecordingPhase.STARTING:
            if not self._stop_when_started:
                self._stop_when_started = True  # closed as soon as it is open,
                # with what arrived since Record (the next stream's blocks are not its)
                self._drop_backlog(self._recording.disarm())
        elif self._phase is RecordingPhase.ON:
            error = self._recording.take_error()  # it may have failed since the last tick
            if error:
                self._recording_error = error
            self._close_recorder(self._recording.detach(), announce=True)
            if error:
                self.recording_failed.emit(error)

    # --- recording, back from the worker (GUI thread) --------------------------
    def _drop_backlog(self, backlog: Backlog | None) -> None:
        old, self._blocks_for_opening = self._blocks_for_opening, backlog
        if old is not None:
            old.close()

    def _on_recorder_opened(self, stream_id: int, recorder, attached: bool) -> None:
        if stream_id != self._stream_id or self._stop_when_started or not attached:
            # the stream stopped (or ended), or Stop was pressed, while the database
            # connected (or the recorder failed taking what was kept): the recording
            # gets what arrived since Record, and is closed (handed over in the
            # closing job, not through the sink: a next stream may be feeding it)
            if attached:
                self._recording.detach()
            backlog, self._blocks_for_opening = self._blocks_for_opening, None
            if backlog is None:  # the recorder failed: the sink still keeps the rest
                backlog = self._recording.disarm()
            error = self._recording.take_error()
            if error:
                self._recording_error = error
            self._close_recorder(recorder, announce=True, backlog=backlog)
            if error:
                self.recording_failed.emit(error)
            return
        self._phase = RecordingPhase.ON
        self._publish_status()
        self.recording_started.emit()
        problem = self._recording.problem
        if problem:  # kept in the status too, while the recording runs
            self.recording_failed.emit(problem)

    def _on_recorder_open_failed(self, exc: BaseException) -> None:
        self._recording.disarm().close()  # nothing to store them in: the plots have them
        self._drop_backlog(None)
        self._phase = RecordingPhase.OFF
        self._recording_error = _message(exc, "cannot record")
        self._publish_status()
        self.recording_failed.emit(self._recording_error)

    def _close_recorder(self, recorder, *, announce: bool, backlog: Backlog | None = None) -> None:
        self._phase = RecordingPhase.STOPPING
        self._publish_status()
        if recorder is None:
            if backlog is not None:
                backlog.close()
            self._on_recorder_closed(None, announce)
            return
        status, self._end_status = self._end_status, None

        def close():  # on the storage worker: what was kept for it first, in chunks
            lost = None
            if backlog is not None:
                waiting = backlog.samples
                try:
                    feed(recorder, backlog)
                except Exception as exc:  # a dead database: said, never raised into the GUI
                    lost = f"recording stopped: {waiting:,} samples kept for it not stored: {exc}"
            storage_bridge.close_recorder(recorder, status)
            if lost:
                raise BatteryOSError(lost)

        self._storage.submit(
            close,
            on_done=lambda _: self._on_recorder_closed(None, announce),
            on_error=lambda exc: self._on_recorder_closed(exc, announce),
        )

    def _on_recorder_closed(self, exc: BaseException | None, announce: bool) -> None:
        self._phase = RecordingPhase.OFF
        if exc is not None:  # samples lost: shown, not raised into the GUI
            self._recording_error = _message(exc, "closing the recording failed")
        self._publish_status()
        if exc is not None:
            self.recording_failed.emit(self._recording_error)
        if announce:
            self.recording_stopped.emit()

    # --- the timer ---------------------------------------------------------
    def _on_tick(self) -> None:
        if self._acquisition is None:
            return
        if self._phase is RecordingPhase.ON and not self._recording.recording:
            # the sink detached a failing recorder in the acquisition thread: close it
            self.stop_recording()
        self._pull()
        self._end_recording_with_stream()
        self._publish_status()
        acquisition = self._acquisition
        if acquisition is not None and not acquisition.running and not self._ended_told:
            self._ended_told = True
            self.stream_ended.emit()

    def _end_recording_with_stream(self) -> None:
        """The source ended (or failed for good): every sample is delivered, so the
        recording is closed rather than left "recording" with no end."""
        acquisition = self._acquisition
        if acquisition is None or acquisition.running:
            return
        if self._phase is RecordingPhase.ON or (
            self._phase is RecordingPhase.STARTING and not self._stop_when_started
        ):
            if acquisition.state is AcquisitionState.FAULT:
                self._end_status = "interrupted"
            self.stop_recording()

    def _pull(self) -> None:
        if self.ring.total == self._seen_total:
            return  # nothing new: no snapshot copy, no redraw
        # the total the copy includes, not the one read above: an append in
        # between would otherwise be drawn twice (or, read after, never)
        frame, self._seen_total = self.ring.snapshot_with_total()
        self.data_updated.emit(frame)

    def _recorder_problem(self) -> str | None:
        recorder = self._recording.recorder
        return storage_bridge.recorder_problem(recorder) if recorder is not None else None

    def _publish_status(self, *, force: bool = False) -> None:
        acq = self._acquisition
        if acq is not None:
            state = acq.state
            base = SessionStatus(
                state=state,
                source_url=self.source_url,
                last_error=acq.last_error,
                samples_total=acq.samples_total,
                retrying=(
                    acq.reconnect
                    and acq.running
                    and acq.last_error is not None
                    and state in (AcquisitionState.FAULT, AcquisitionState.CONNECTING)
                ),
                opened=acq.opened,
            )
        else:
            base = self._status  # stopped: the stream's last status, recording may still close
        starting = self._phase is RecordingPhase.STARTING
        status = replace(
            base,
            recording=self._phase is RecordingPhase.ON,
            recording_phase=self._phase,
            recording_error=(
                self._recording_error or self._recording.problem or self._recorder_problem()
            ),
            recording_backlog=self._recording.backlog_text if starting else None,
        )
        if force or status != self._status:
            self._status = status
            self.status_changed.emit(status)


def _message(exc: BaseException, what: str) -> str:
    """One line for the status bar: storage errors say it themselves, bugs get their type."""
    if isinstance(exc, BatteryOSError):
        return str(exc)
    return f"{what}: {exc!r}"
