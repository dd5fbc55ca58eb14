"""The FastAPI application: the routes of the original Battery OS API."""
# No "from __future__ import annotations": FastAPI reads the annotations of the
# route functions, and the dependency aliases (Reader, Writer, ...) are local names.

import asyncio
import json
import logging
import math
import os
import re
import tempfile
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, HTTPException, Path, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse

from app import __version__
from app.api.auth import ApiUser, KeyVerifier
from app.api.live import LiveFeed, _finite
from app.api.middleware import LimitAndLog, RequestLog
from app.api.schemas import AcknowledgeIn, DiagnoseIn, DiagnosticIn, ThresholdIn, UserIn
from app.core.errors import BatteryOSError, SchemaError, StorageError
from app.core.spec import MAX_RESISTANCE_OHM, MIN_RESISTANCE_OHM
from app.storage.database import Database

log = logging.getLogger(__name__)

#: /battery/diagnose/{name} -> the result key of ``analyze --json``
DIAGNOSES = {
    "soc": "soc",
    "soh": "soh",
    "resistance": "internal_resistance",
    "capacity-fade": "capacity_fade",
    "cell-balance": "cell_balance",
    "safety": "safety",
    "thermal": "thermal",
    "cycle-life": "cycle_life",
    "faults": "faults",
}
MAX_BODY_BYTES = 64 * 1024 * 1024
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
MAX_SAMPLES = 2_000_000
_API_KEY_DOC = "API key (batteryos users new-key NAME)"


def _json(data: Any, status: int = 200) -> Response:
    body = json.dumps(_finite(data), default=str, separators=(",", ":"))
    return Response(body, status_code=status, media_type="application/json")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def user_json(u) -> dict:
    return {"id": u.id, "name": u.name, "role": str(u.role), "created_at": _iso(u.created_at)}


def diagnostic_json(d) -> dict:
    return {
        "id": d.id,
        "diagnostic": d.diagnostic,
        "recording_id": d.recording_id,
        "battery_name": d.battery_name,
        "battery_profile": d.battery_profile,
        "created_at": _iso(d.created_at),
        "created_by": d.created_by,
        "result": d.result,
    }


def threshold_json(t) -> dict:
    """A :class:`~app.diagnostics.alerts.thresholds.Threshold` with its database id."""
    return {"id": t.id, **t.to_dict()}


def alert_json(a) -> dict:
    return {
        "id": a.id,
        "threshold_id": a.threshold_id,
        "recording_id": a.recording_id,
        "metric": a.metric,
        "value": a.value,
        "threshold_value": a.threshold_value,
        "severity": str(a.severity),
        "state": str(a.state),
        "worst_value": getattr(a, "worst_value", None),
        # a fault rule's figures in words, when raised and as last known (None: a
        # rule on a number, or an alert stored before they were kept)
        "detail": getattr(a, "detail", None),
        "worst_detail": getattr(a, "worst_detail", None),
        # why the fault detector withdrew the alarm (state 'withdrawn' once cleared)
        "withdrawn": getattr(a, "withdrawn", None),
        "raised_at": _iso(a.raised_at),
        "cleared_at": _iso(a.cleared_at),
        "shelved_until": _iso(getattr(a, "shelved_until", None)),
        "acknowledged_at": _iso(a.acknowledged_at),
        "acknowledged_by": a.acknowledged_by,
        "comment": a.comment,
    }


def recording_json(r, data_span_s: float | None = None) -> dict:
    """A recording as JSON; ``duration_s`` is its data's first to last sample time
    (:func:`app.storage.repositories.data_spans`), not ``ended_at - started_at``."""
    return {
        "id": r.id,
        "source_url": r.source_url,
        "status": str(r.status),
        "started_at": _iso(r.started_at),
        "ended_at": _iso(r.ended_at),
        "sample_count": r.sample_count,
        "duration_s": data_span_s,
        "columns": r.columns,
        "notes": r.notes,
    }


def create_app(
    db: Database,
    *,
    live: LiveFeed | None = None,
    request_log: RequestLog | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
):
    """The REST application over ``db`` (schema already created), with ``live`` data if given."""
    from app.storage import alert_repository as alerts_repo
    from app.storage import repositories as repo

    verifier = KeyVerifier(db)
    api = FastAPI(
        title="Battery OS",
        version=__version__,
        description="Battery OS REST endpoint: stored diagnostics, alerts, recordings, "
        "diagnostics on uploaded logs and live values. Send X-API-Key on every /api and "
        "/battery route; viewers read, engineers and admins write, admins manage users.",
    )
    api.state.request_log = request_log or RequestLog()
    api.state.verifier = verifier

    # --- errors: JSON bodies, never a stack trace ----------------------------
    @api.exception_handler(HTTPException)
    async def _http_error(_request: Request, exc: HTTPException):
        return _error(exc.status_code, str(exc.detail))

    @api.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError):
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
            for e in exc.errors()[:10]
        ]
        return _error(422, "; ".join(problems) or "invalid request")

    @api.exception_handler(BatteryOSError)
    async def _user_error(_request: Request, exc: BatteryOSError):
        return _error(400, api_words(str(exc)))

    @api.exception_handler(Exception)
    async def _bug(_request: Request, exc: Exception):
        log.exception("REST request failed")
        return _error(500, "internal error (logged on the server)")

    # --- auth ----------------------------------------------------------------
    async def authenticated(request: Request) -> ApiUser:
        key = request.headers.get("x-api-key")
        if not key:
            raise HTTPException(401, "missing X-API-Key header")
        known, user = verifier.remembered(key)
        if not known:  # the slow salted hash runs off the event loop
            user = await asyncio.to_thread(verifier.user, key)
        if user is None:
            raise HTTPException(401, "invalid or revoked API key")
        request.state.user = user
        return user

    def role(required: str):
        async def check(user: Annotated[ApiUser, Depends(authenticated)]) -> ApiUser:
            if not user.may(required):
                raise HTTPException(403, f"{user.role} may not do this (needs {required})")
            return user

        return check

    Reader = Annotated[ApiUser, Depends(role("viewer"))]
    Writer = Annotated[ApiUser, Depends(role("engineer"))]
    Admin = Annotated[ApiUser, Depends(role("admin"))]
    Limit = Annotated[int, Query(ge=1, le=1000)]

    # --- health and users ------------------------------------------------------
    @api.get("/health", tags=["health"])
    def health():
        try:
            with db.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            database = "ok"
        except StorageError as exc:
            database = f"unreachable: {exc}"
        return {
            "status": "ok",
            "version": __version__,
            "database": database,
            "live": live is not None,
        }

    @api.get("/api/users", tags=["users"])
    def list_users(_user: Reader):
        return [user_json(u) for u in repo.list_users(db)]

    @api.post("/api/users", tags=["users"], status_code=201)
    def create_user(body: UserIn, _user: Admin):
        try:
            return user_json(repo.create_user(db, body.name, body.role, body.password))
        except StorageError as exc:
            raise HTTPException(409 if "exists" in str(exc) else 400, str(exc)) from None

    # --- stored diagnostics -----------------------------------------------------
    def _list_diagnostics(recording_id, diagnostic, limit):
        rows = repo.list_diagnostics(
            db, recording_id=recording_id, diagnostic=diagnostic, limit=limit
        )
        return [diagnostic_json(d) for d in rows]

    def _create_diagnostic(body: DiagnosticIn, user: ApiUser):
        if body.recording_id is not None and repo.get_recording(db, body.recording_id) is None:
            raise HTTPException(404, f"no recording {body.recording_id}")
        row = repo.save_diagnostic(
            db,
            body.diagnostic,
            _finite(body.result),
            battery_name=body.battery_name,
            battery_profile=body.battery_profile,
            recording_id=body.recording_id,
            created_by=user.id,
        )
        return diagnostic_json(row)

    for prefix in ("/api/diagnostics", "/api/v1/diagnostics"):

        @api.get(prefix, tags=["diagnostics"], name=f"list {prefix}")
        def list_diagnostics(
            _user: Reader,
            recording_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
            diagnostic: Annotated[str | None, Query(max_length=64)] = None,
            limit: Limit = 100,
        ):
            return _list_diagnostics(recording_id, diagnostic, limit)

        @api.post(prefix, tags=["diagnostics"], status_code=201, name=f"create {prefix}")
        def create_diagnostic(body: DiagnosticIn, user: Writer):
            return _create_diagnostic(body, user)

        @api.get(prefix + "/{diagnostic_id}", tags=["diagnostics"], name=f"get {prefix}")
        def get_diagnostic(diagnostic_id: IdPath, _user: Reader):
            from app.storage.models import BatteryDiagnostic

            with db.session() as session:
                row = session.get(BatteryDiagnostic, diagnostic_id)
            if row is None:
                raise HTTPException(404, f"no diagnostic result {diagnostic_id}")
            return diagnostic_json(row)

    # --- alert thresholds -------------------------------------------------------
    def _threshold(threshold_id: int):
        found = [t for t in alerts_repo.load_thresholds(db) if t.id == threshold_id]
        if not found:
            raise HTTPException(404, f"no alert threshold {threshold_id}")
        return found[0]

    def _save_threshold(body: ThresholdIn, user: ApiUser, threshold_id: int | None = None):
        from app.diagnostics.alerts.thresholds import Threshold

        try:
            rule = Threshold(**body.model_dump(), id=threshold_id)
            return threshold_json(alerts_repo.save_threshold(db, rule, created_by=user.id))
        except (SchemaError, StorageError) as exc:
            raise HTTPException(422, str(exc)) from None

    @api.get("/api/v1/alert-thresholds", tags=["alerts"])
    def list_thresholds(_user: Reader, profile: Annotated[str | None, Query(max_length=64)] = None):
        return [threshold_json(t) for t in alerts_repo.load_thresholds(db, profile)]

    @api.post("/api/v1/alert-thresholds", tags=["alerts"], status_code=201)
    def create_threshold(body: ThresholdIn, user: Writer):
        return _save_threshold(body, user)

    @api.get("/api/v1/alert-thresholds/{threshold_id}", tags=["alerts"])
    def get_threshold(threshold_id: IdPath, _user: Reader):
        return threshold_json(_threshold(threshold_id))

    @api.put("/api/v1/alert-thresholds/{threshold_id}", tags=["alerts"])
    def update_threshold(threshold_id: IdPath, body: ThresholdIn, user: Writer):
        _threshold(threshold_id)
        return _save_threshold(body, user, threshold_id)

    @api.delete("/api/v1/alert-thresholds/{threshold_id}", tags=["alerts"], status_code=204)
    def delete_threshold(threshold_id: IdPath, _user: Writer):
        if not alerts_repo.delete_threshold(db, threshold_id):
            raise HTTPException(404, f"no alert threshold {threshold_id}")
        return Response(status_code=204)

    # --- alert history ------------------------------------------------------------
    @api.get("/api/v1/alert-history", tags=["alerts"])
    def list_alerts(
        _user: Reader,
        recording_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
        state: Annotated[
            str | None, Query(pattern="^(active|acknowledged|shelved|cleared|withdrawn)$")
        ] = None,
        since: datetime | None = None,
        limit: Limit = 100,
    ):
        rows = alerts_repo.list_alert_history(
            db, limit, recording_id=recording_id, state=state, since=since
        )
        return [alert_json(a) for a in rows]

    @api.post("/api/v1/alert-history/{alert_id}/acknowledge", tags=["alerts"])
    def acknowledge(alert_id: IdPath, body: AcknowledgeIn, user: Writer):
        try:
            row = alerts_repo.acknowledge_alert(
                db, alert_id, actor=user.name, user_id=user.id, comment=body.comment
            )
        except StorageError as exc:
            raise HTTPException(404, str(exc)) from None
        return alert_json(row)

    # --- diagnostics on samples or an uploaded log ------------------------------
    async def _diagnose_upload(name: str, file: UploadFile, params: dict) -> dict:
        return await _with_upload(file, _analyze_path, params)

    for slug, key in DIAGNOSES.items():

        def make(slug: str = slug, key: str = key):
            @api.post(f"/battery/diagnose/{slug}", tags=["battery"], name=f"diagnose {slug}")
            def diagnose(body: DiagnoseIn, _user: Reader):
                return _json(_only(_analyze_samples(body), key))

            @api.post(
                f"/battery/diagnose/{slug}/upload",
                tags=["battery"],
                name=f"diagnose {slug} (upload)",
            )
            async def diagnose_upload(
                _user: Reader,
                file: Annotated[UploadFile, File(description="a log file in any supported format")],
                chemistry: Annotated[str | None, Query(pattern="^(nmc|lfp|lead_acid)$")] = None,
                capacity_ah: Annotated[float | None, Query(gt=0, le=1e5)] = None,
                cells: Annotated[int | None, Query(ge=1, le=1000)] = None,
                bol_resistance_ohm: Annotated[
                    float | None, Query(ge=MIN_RESISTANCE_OHM, le=MAX_RESISTANCE_OHM)
                ] = None,
            ):
                params = {
                    "chemistry": chemistry,
                    "capacity_ah": capacity_ah,
                    "cells": cells,
                    "bol_resistance_ohm": bol_resistance_ohm,
                }
                return _json(_only(await _diagnose_upload(slug, file, params), key))

        make()

    # --- logs (recordings) ------------------------------------------------------------
    @api.get("/battery/logs", tags=["battery"])
    def list_logs(_user: Reader, limit: Limit = 100):
        recordings = repo.list_recordings(db, limit)
        spans = repo.data_spans(db, [r.id for r in recordings])
        return [recording_json(r, spans.get(r.id)) for r in recordings]

    @api.post("/battery/logs", tags=["battery"], status_code=201)
    async def upload_log(
        _user: Writer,
        file: Annotated[UploadFile, File(description="a log file in any supported format")],
        notes: Annotated[str, Query(max_length=2000)] = "",
    ):
        recording = await _with_upload(file, lambda path, name: _import_log(db, path, name, notes))
        return recording_json(recording, repo.data_spans(db, [recording.id]).get(recording.id))

    @api.get("/battery/logs/{recording_id}", tags=["battery"])
    def download_log(recording_id: IdPath, _user: Reader):
        from app.storage.sample_writer import read_samples

        recording = repo.get_recording(db, recording_id)
        if recording is None:
            raise HTTPException(404, f"no recording {recording_id}")
        frame = read_samples(db, recording_id).to_frame()
        header = f"# recording: {recording_id}\n# source: {recording.source_url}\n"
        if recording.spec:
            header += f"# spec: {json.dumps(recording.spec)}\n"
        body = header + frame.to_csv(index=False, float_format="%.6g")
        return Response(
            body,
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="recording-{recording_id}.csv"'},
        )

    # --- live ------------------------------------------------------------------------
    @api.get("/api/v1/live", tags=["live"])
    async def live_now(_user: Reader):
        if live is None:
            raise HTTPException(404, "no live source: the endpoint serves stored data only")
        return Response(live.snapshot_json(), media_type="application/json")

    @api.get("/api/v1/live/stream", tags=["live"])
    async def live_stream(
        _user: Reader,
        max_events: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
        interval_s: Annotated[float, Query(ge=0.05, le=60)] = 0.2,
    ):
        """Server-sent events: one ``data:`` JSON snapshot whenever new samples came."""
        if live is None:
            raise HTTPException(404, "no live source: the endpoint serves stored data only")

        async def events():
            sent, last_seq, idle = 0, -1, 0.0
            while max_events is None or sent < max_events:
                if live.seq != last_seq:
                    last_seq = live.seq
                    yield f"data: {json.dumps(_finite(live.snapshot()), default=str)}\n\n"
                    sent += 1
                    idle = 0.0
                elif idle >= 15:
                    yield ": keep-alive\n\n"
                    idle = 0.0
                await asyncio.sleep(interval_s)
                idle += interval_s

        return StreamingResponse(events(), media_type="text/event-stream")

    api.add_middleware(LimitAndLog, max_body_bytes=max_body_bytes, log=api.state.request_log)
    return api


#: The command line's battery options, as the API names its parameters.
_CLI_OPTION = re.compile(
    r"--(chemistry|capacity-ah|cells|bol-resistance-ohm|eol-fraction)\b"
    r"(?: (\d+(?:\.\d+)?|nmc|lfp|lead_acid)\b)?"
)


def api_words(text: str) -> str:
    """A message of the command line's, with its battery options as the API's parameter
    names: ``--chemistry nmc`` is ``chemistry=nmc``, ``--capacity-ah`` ``'capacity_ah'``."""

    def name(match: re.Match) -> str:
        param = match.group(1).replace("-", "_")
        return f"{param}={match.group(2)}" if match.group(2) else f"'{param}'"

    return _CLI_OPTION.sub(name, text) if "--" in text else text


async def _with_upload(file: UploadFile, work, *args):
    """``work(path, name, *args)`` on the uploaded ``file`` saved to a temporary file, off
    the event loop. Its messages (errors, and the strings of a dict it returns) name the
    file as the client sent it, not the temporary file, and the API's parameters."""
    name = file.filename or "upload"
    suffix = os.path.splitext(name)[1][:16]
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as tmp:
        while chunk := await file.read(1 << 20):
            tmp.write(chunk)

    def named(text: str) -> str:
        text = text.replace(tmp.name, name).replace(os.path.basename(tmp.name), name)
        return api_words(text)

    try:
        result = await asyncio.to_thread(work, tmp.name, name, *args)
    except BatteryOSError as exc:
        raise HTTPException(400, named(str(exc))) from None
    finally:
        os.unlink(tmp.name)
    return _strings(result, named) if isinstance(result, dict) else result


def _strings(value, change):
    """``value`` (JSON-like) with ``change`` applied to every string in it."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {k: _strings(v, change) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_strings(v, change) for v in value]
    return value


def _only(report: dict, key: str) -> dict:
    return {**report, "results": {key: report["results"].get(key)}}


def _analysis_args(params: dict):
    import argparse

    return argparse.Namespace(
        chemistry=params.get("chemistry"),
        capacity_ah=params.get("capacity_ah"),
        cells=params.get("cells"),
        bol_resistance_ohm=params.get("bol_resistance_ohm"),
        ocv_table=None,
        eol_fraction=params.get("eol_fraction", 0.8),
        timeseries=None,
        no_cache=True,  # an upload is read once: no copy of it in the log cache
    )


def _analyze_path(path: str, name: str, params: dict) -> dict:
    from app.cli.cmd_analyze import analyze

    report = analyze(path, _analysis_args(params)).report
    return {**report, "source": name}


def _analyze_samples(body: DiagnoseIn) -> dict:
    import numpy as np
    import pandas as pd

    from app.core.schema import validate_samples
    from app.diagnostics import run_suite

    lengths = {len(v) for v in body.samples.values()}
    if len(lengths) > 1:
        raise SchemaError("samples: every column needs the same number of values")
    if lengths and next(iter(lengths)) > MAX_SAMPLES:
        raise SchemaError(f"samples: at most {MAX_SAMPLES} per request (upload a log instead)")
    frame = pd.DataFrame(
        {
            k: np.array([math.nan if x is None else x for x in v], dtype=float)
            for k, v in body.samples.items()
        }
    )
    frame = validate_samples(frame, origin="samples", header_lines=0)
    from app.cli.battery_options import assumed_capacity_warning, spec_from_args
    from app.core import schema
    from app.diagnostics.input_validity import with_input_warnings

    args = _analysis_args(body.model_dump())
    spec = spec_from_args(args, cells_in_data=schema.series_cells_in(frame), frame=frame)
    suite = run_suite(
        frame, spec, eol_fraction=body.eol_fraction, reference_capacity_ah=body.capacity_ah
    )
    report = {"source": "samples", "spec": spec.to_dict(), **suite.to_dict()}
    # the warnings and the results they make not valid, as analyze --json and the upload
    # give them (a capacity that is the preset's, a battery that does not fit the samples)
    report = with_input_warnings(report, frame, spec, [assumed_capacity_warning(args, spec, None)])
    return _strings(report, api_words)


def _import_log(db: Database, path: str, name: str, notes: str):
    from app.hardware.logs.formats import open_log
    from app.storage import repositories as repo

    log = open_log(path, use_cache=False)  # read once: no copy of it in the log cache
    spec = log.spec.to_dict() if log.spec else None  # not a damaged one
    return repo.import_recording(db, log.frame, f"upload:{name}", spec, notes)
