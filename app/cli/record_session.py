"""Headless recording: a source through the acquisition thread into CSV and/or the database."""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from app.core.errors import BatteryOSError, SourceError
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.hardware.acquisition import AcquisitionState, AcquisitionThread, wait_text
from app.hardware.registry import create_source

_POLL_S = 0.2  # how often the main thread looks at the acquisition state


@dataclass
class RecordSummary:
    samples: int
    span_s: float
    recording_id: int | None
    error: str | None
    interrupted: bool = False
    spooled: int = 0  #: samples left in the local spool (database unreachable at the end)
    alerts_raised: int = 0  #: alerts the live engine raised against the battery's limits
    alerts_up: int = 0  #: ... of which up when the source ended
    #: the source's fault when the user stopped the recording while it was reconnecting
    stopped_reconnecting: str | None = None


class _Sinks:
    """Receives blocks in the acquisition thread; opens its outputs at the first block,
    when the source knows its battery."""

    def __init__(self, source, csv_path, db, duration_s, notes, stage=None):
        self.source = source
        #: the live engine (EngineOnFirstBlock): sees what is recorded, no sample more
        self.stage = stage
        self.csv_path = csv_path
        self.db = db
        self.duration_s = duration_s
        self.notes = notes
        self.writer = None
        self.recorder = None
        self.t0: float | None = None
        #: when the first sample came (monotonic s)
        self.first_at: float | None = None
        self.t_last: float | None = None
        self.samples = 0
        self.done = threading.Event()
        self.started_utc = datetime.now(UTC)

    def __call__(self, block: SampleBlock) -> None:
        if not len(block) or self.done.is_set():
            return
        if self.t0 is None:
            self.t0 = float(block["time_s"][0])
            self.first_at = time.monotonic()
            self._open_outputs()
        if self.duration_s is not None:
            keep = int((block["time_s"] <= self.t0 + self.duration_s).sum())
            if keep < len(block):
                block = block.slice(0, keep)
                self.done.set()
                if not keep:  # a live source's next sample may come after the end
                    return
        if self.writer is not None:
            self.writer.append(block)
        if self.recorder is not None:
            self.recorder.append(block)
        if self.stage is not None:
            self.stage(block)
        self.samples += len(block)
        self.t_last = float(block["time_s"][-1])
        if self.duration_s is not None and self.t_last - self.t0 >= self.duration_s:
            self.done.set()

    def drain(self) -> None:
        """The source is idle: the engine processes what it holds back (acquisition thread)."""
        if self.stage is not None:
            self.stage.drain()

    def finish(self) -> None:
        """End of a finite stream: the engine closes its episodes (acquisition thread)."""
        if self.stage is not None:
            self.stage.finish()

    def _open_outputs(self) -> None:
        spec = self.source.spec
        spec_json = json.dumps(spec.to_dict()) if spec else ""
        if self.csv_path:
            meta = {"start_utc": self.started_utc.isoformat(), "source": self.source.url}
            if spec_json:
                meta["spec"] = spec_json
            if self.notes:
                meta["notes"] = self.notes
            self.writer = LogFileWriter(self.csv_path, meta)
        if self.db is not None:
            from app.storage.recorder import Recorder

            self.recorder = Recorder(
                self.db, self.source.url, spec.to_dict() if spec else None, notes=self.notes
            )

    def close(self, interrupted: bool) -> int | None:
        try:
            if self.writer is not None:
                self.writer.close()
        finally:
            if self.recorder is not None:
                from app.storage.models import RecordingStatus

                status = RecordingStatus.INTERRUPTED if interrupted else RecordingStatus.COMPLETE
                self.recorder.close(status=status)
        return self.recorder.recording_id if self.recorder is not None else None

    def storage_problem(self) -> str | None:
        """A line about the database while it is unreachable (None while fine)."""
        recorder = self.recorder
        if recorder is None or recorder.state.value not in ("spooling", "retrying"):
            return None
        where = (
            f"{recorder.spooled_rows} samples in the local spool"
            if recorder.state.value == "spooling"
            else f"{recorder.pending_rows} samples kept in memory"
        )
        return f"database unreachable ({recorder.last_error}); {where}, retrying"


def log_file_format(path: str):
    """The :class:`~app.hardware.logs.export.ExportFormat` ``path``'s extension names;
    canonical CSV for a name without one (``/dev/null``). An extension without a writer
    (``.xlsx``) is a :class:`SchemaError`, as is a folder that does not exist."""
    import os

    from app.core.errors import SchemaError
    from app.hardware.logs.export import ExportFormat, format_for

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise SchemaError(f"{path}: cannot write: there is no folder {folder}")
    if not os.path.splitext(os.path.basename(path))[1]:
        return ExportFormat.CANONICAL_CSV
    return format_for(path)


class LogFileWriter:
    """Samples streamed into a log file in the format its extension names
    (:func:`app.hardware.logs.export.format_for`): canonical CSV as they come; Parquet or
    Battery Data Format CSV (``convert``'s writers) at the end, from a canonical CSV
    written beside it as they come (``OUT.partial.csv``, removed once converted; kept,
    and named, when the conversion fails, so no sample is lost)."""

    def __init__(self, path: str, metadata: dict[str, str]):
        from app.hardware.logs.canonical_csv import CanonicalCsvWriter
        from app.hardware.logs.export import ExportFormat

        self.path = path
        self.format = log_file_format(path)
        self._closed = False
        if self.format is ExportFormat.CANONICAL_CSV:
            self.partial = None
            self._csv = CanonicalCsvWriter(path, metadata)
        else:  # 10 significant digits: a week of 10 Hz samples keeps its 0.1 s
            self.partial = path + ".partial.csv"
            self._csv = CanonicalCsvWriter(self.partial, metadata, float_format="%.10g")

    def append(self, block: SampleBlock) -> None:
        self._csv.append(block)

    def close(self) -> None:
        import os

        from app.core.errors import BatteryOSError
        from app.hardware.logs.canonical_csv import read_canonical_csv
        from app.hardware.logs.export import write_log

        if self._closed:
            return
        self._closed = True
        self._csv.close()
        if self.partial is None:
            return
        if not self._csv.rows:
            os.remove(self.partial)
            return
        try:
            write_log(self.path, read_canonical_csv(self.partial), self.format)
        except BatteryOSError as exc:
            raise type(exc)(f"{exc}; the samples are kept in {self.partial}") from None
        os.remove(self.partial)


def _print_warnings(source, told: int) -> int:
    """Print the source's decoder warnings after the first ``told``; how many are told now."""
    new = source.health.warnings[told:]  # appended by the acquisition thread
    for warning in new:
        print(f"batteryos: warning: {warning}", file=sys.stderr)
    return told + len(new)


def battery_text(spec: BatterySpec) -> str:
    """``nmc 2s1p 50 Ah; limits: cell 3-4.2 V, charge 50 A (1C) ...``: the battery a
    recording is checked against, in ``analyze``'s words."""
    from app.cli.cmd_analyze import limits_text
    from app.diagnostics.safety import safety_limits

    d = spec.to_dict()
    bound = "at least " if spec.capacity_lower_bound else ""
    head = (
        f"{spec.chemistry.value} {spec.series_cells}s{spec.parallel_strings}p "
        f"{bound}{spec.capacity_ah:g} Ah"
    )
    return f"{head}; limits: {limits_text(d, safety_limits(spec.with_preset_defaults()))}"


def alert_text(event) -> str:
    """One line for an alert the live engine raised or cleared while recording."""
    from app.diagnostics.alerts.evaluator import EventKind
    from app.diagnostics.alerts.metrics import metric_value_text
    from app.diagnostics.faults.text import fault_summary

    th = event.threshold
    if event.fault is not None:
        value = fault_summary(event.fault) or "detected"
    elif event.kind is EventKind.RAISED:
        value = f"value {metric_value_text(th.metric, event.value, with_unit=False)}"
    else:
        value = f"worst {metric_value_text(th.metric, event.value, with_unit=False)}"
    return (
        f"alert {event.kind.value} at {event.time_s:.1f} s: {th.severity.value} "
        f"{th.describe()}: {value}"
    )


class _AlertPrinter:
    """Prints, in the main thread, the battery once the engine knows it and the alerts
    the engine hands over from the acquisition thread (there: append only); with a
    database, stores them in the recording's alert history, as the window does."""

    def __init__(self, stage, store: _AlertStore | None = None):
        from collections import deque

        self.stage = stage
        self.store = store
        self.inbox: deque = deque()
        self.shown_battery = False
        self.raised = 0

    def flush(self) -> None:
        engine = self.stage.engine
        if engine is None:
            return
        if not self.shown_battery:
            print(f"battery: {battery_text(engine.spec)}", flush=True)
            self.shown_battery = True
        while self.inbox:
            event = self.inbox.popleft()
            self.raised += event.kind.value == "raised"
            print(alert_text(event), flush=True)
            if self.store is not None:
                self.store.apply(event)
        if self.store is not None:  # a runaway alarm the detector put down to a short
            self.store.note_withdrawn(engine.withdrawn_alarms())

    def close(self) -> None:
        """The alerts still up at the end are cleared as the stream ended, with their
        worst so far (a fault's figures as last known), as the window clears them."""
        engine = self.stage.engine
        if self.store is not None and engine is not None:
            self.store.note_withdrawn(engine.withdrawn_alarms())
            self.store.clear_open(engine.open_alert_worst(), engine.open_alert_faults())


class _AlertStore:
    """A recording's alerts into ``alert_history`` (raised, cleared with the episode's
    worst): ``batteryos alerts history`` and ``report recording:N`` list them. A
    database that fails is said once, on stderr; the recording goes on."""

    def __init__(self, db, recording_id):
        self.db = db
        self.recording_id = recording_id  #: () -> the recording's id, None before it exists
        self.open: dict = {}  #: threshold -> stored alert id
        self.onsets: dict = {}  #: runaway-onset alert id -> (its fault, raised at s)
        self.problem: str | None = None

    def apply(self, event) -> None:
        from app.diagnostics.alerts.lifecycle import RUNAWAY_METRIC
        from app.diagnostics.faults.text import fault_summary
        from app.storage import alert_repository as alerts

        detail = fault_summary(event.fault) or None
        th = event.threshold
        try:
            if event.kind.value == "raised":
                row = alerts.record_alert(
                    self.db,
                    th.metric,
                    event.value,
                    th.severity.value,
                    recording_id=self.recording_id(),
                    threshold_value=event.threshold_value,
                    raised_time_s=event.time_s,
                    detail=detail,
                )
                self.open[th] = row.id
                if th.metric == RUNAWAY_METRIC:
                    self.onsets[row.id] = (event.fault, event.time_s)
            elif (alert_id := self.open.pop(th, None)) is not None:
                alerts.clear_alert(
                    self.db,
                    alert_id,
                    cleared_time_s=event.time_s,
                    worst_value=event.value,
                    worst_detail=detail,
                )
        except BatteryOSError as exc:
            self._say(exc)

    def note_withdrawn(self, withdrawals: list[dict]) -> None:
        from app.diagnostics.alerts.lifecycle import withdrawal_reason
        from app.storage import alert_repository as alerts

        try:
            for alert_id, (fault, raised_s) in list(self.onsets.items()):
                if (reason := withdrawal_reason(fault, raised_s, withdrawals)) is not None:
                    alerts.withdraw_alert(self.db, alert_id, reason)
                    del self.onsets[alert_id]
        except BatteryOSError as exc:
            self._say(exc)

    def clear_open(self, worst: dict, faults: dict) -> None:
        from app.diagnostics.faults.text import fault_summary
        from app.storage import alert_repository as alerts

        try:
            for th, alert_id in self.open.items():
                alerts.clear_alert(
                    self.db,
                    alert_id,
                    worst_value=worst.get(th),
                    worst_detail=fault_summary(faults.get(th)) or None,
                )
            self.open.clear()
        except BatteryOSError as exc:
            self._say(exc)

    def _say(self, exc: Exception) -> None:
        if self.problem is None:
            self.problem = str(exc)
            print(f"batteryos: warning: alerts not stored: {exc}", file=sys.stderr)


#: Longest wait for a first sample beyond ``--duration`` (a source that learns its
#: decoding first, e.g. a CAN bus through a DBC, holds its first seconds back).
FIRST_SAMPLE_GRACE_S = 30.0


def _wall_duration_passed(sinks, start: float, duration_s: float) -> bool:
    """``duration_s`` of wall-clock time passed since the first sample (a source that
    holds its first seconds back while it learns keeps them: they come with their own
    time stamps), or since the start plus :data:`FIRST_SAMPLE_GRACE_S` when none came."""
    now = time.monotonic()
    if sinks.first_at is None:
        return now - start >= duration_s + FIRST_SAMPLE_GRACE_S
    return now - sinks.first_at >= duration_s


def record_to(
    url: str,
    *,
    spec: BatterySpec | None,
    csv_path: str | None,
    db_url: str | None,
    duration_s: float | None,
    notes: str = "",
    log=None,
    reference_capacity_ah: float | None = None,
    cells_option: int | None = None,
) -> RecordSummary:
    """Record ``url`` until it ends, ``duration_s`` passes (data time, or wall-clock time
    from the first sample: :func:`_wall_duration_passed`) or Ctrl-C.

    ``csv_path``: a log file, in the format its extension names (:class:`LogFileWriter`).
    The live engine runs on what is recorded, with the default alert rules of the battery
    (``spec``, else the source's): the battery and each alert are printed as they come.
    ``log``: the file a ``file://`` source names, when the caller read it already;
    ``reference_capacity_ah``: as :class:`~app.diagnostics.live.LiveEngine`'s;
    ``cells_option``: the ``--cells`` given, named if the source's cell voltages show
    another count (the recording is then refused, :class:`BatteryOSError`)."""
    from app.diagnostics.alerts import default_thresholds
    from app.diagnostics.live import EngineOnFirstBlock
    from app.hardware.cell_count import CellCountCheck
    from app.hardware.registry import url_capacity_ah

    if csv_path:
        log_file_format(csv_path)  # a format without a writer fails before any work
    source = create_source(url, spec=spec)  # bad URLs fail here, before any output exists
    if log is not None:
        source.log = log
    if reference_capacity_ah is None:
        reference_capacity_ah = url_capacity_ah(url)
    stage = EngineOnFirstBlock(
        source,
        [],
        thresholds_for=default_thresholds,
        reference_capacity_ah=reference_capacity_ah,
    )
    db = None
    if db_url:
        from app.storage.database import Database

        db = Database(db_url)
        db.ensure_schema()
    sinks = _Sinks(source, csv_path, db, duration_s, notes, stage)
    # the series cells against the cell voltages the source reports, before anything of
    # it is recorded or judged: a contradicted count stops the acquisition (no retry)
    cells = CellCountCheck(source, cells_option=cells_option)
    store = None
    if db is not None:
        store = _AlertStore(db, lambda: getattr(sinks.recorder, "recording_id", None))
    printer = _AlertPrinter(stage, store)
    stage.alert_outputs.append(printer.inbox.extend)
    acq = AcquisitionThread(source, [cells, sinks])
    start = time.monotonic()
    interrupted = False
    fault_at_stop = None
    reported_error = None
    reported_attempt = 0
    reported_storage = None
    told = 0  # decoder warnings printed so far (a CAN message left out, ...)
    acq.start()
    try:
        while not sinks.done.wait(_POLL_S):
            if cells.refused is not None or acq.wait_finished(0):
                break  # (a refusal is said once, below, not as a dropout)
            if acq.state == AcquisitionState.FAULT and acq.last_error != reported_error:
                reported_error = acq.last_error
                if acq.samples_total == 0 and sinks.samples == 0:
                    break  # never connected: a wrong URL or device, not a dropout
                print(f"batteryos: warning: {reported_error} (reconnecting)", file=sys.stderr)
            elif acq.state == AcquisitionState.STREAMING and reported_error is not None:
                reported_error, reported_attempt = None, 0
                print("batteryos: reconnected (the time in between stays a gap)", file=sys.stderr)
            retry = acq.reconnect_status
            waiting = reported_error is not None and retry.retry_in_s is not None
            if waiting and retry.attempt != reported_attempt:  # one line per attempt
                reported_attempt = retry.attempt
                print(
                    f"batteryos: reconnecting in {wait_text(retry.retry_in_s)} "
                    f"(attempt {retry.attempt})",
                    file=sys.stderr,
                )
            told = _print_warnings(source, told)
            printer.flush()
            storage = sinks.storage_problem()
            if (storage is None) != (reported_storage is None):
                back = "database reachable again; the spool is being stored"
                print(f"batteryos: warning: {storage or back}", file=sys.stderr)
                reported_storage = storage
            if duration_s is not None and _wall_duration_passed(sinks, start, duration_s):
                break
    except KeyboardInterrupt:
        interrupted = True
        # (read before acq.stop(): stopping may turn the fault state into STOPPED)
        fault_at_stop = acq.last_error if acq.state == AcquisitionState.FAULT else None
    finally:
        acq.stop()
        _print_warnings(source, told)
        printer.flush()
        printer.close()
        recording_id = sinks.close(interrupted)
        if db is not None:
            db.close()
    if cells.refused is not None:
        raise BatteryOSError(cells.refused)
    error = acq.last_error if acq.state == AcquisitionState.FAULT else None
    # stopped by the user while reconnecting: a stop, not the source's failure
    stopped_reconnecting = None
    if interrupted and acq.reconnect and (error or fault_at_stop):
        stopped_reconnecting, error = error or fault_at_stop, None
    if sinks.samples == 0 and acq.last_error and not stopped_reconnecting:
        raise SourceError(acq.last_error)
    span = (sinks.t_last - sinks.t0) if sinks.t0 is not None else 0.0
    spooled = sinks.recorder.spooled_rows if sinks.recorder is not None else 0
    up = len(stage.engine.open_alert_worst()) if stage.engine is not None else 0
    return RecordSummary(
        sinks.samples,
        span,
        recording_id,
        error,
        interrupted,
        spooled,
        printer.raised,
        up,
        stopped_reconnecting,
    )
