"""A recording in the database as the diagnostics' input: ``recording:ID`` (or ``rec:ID``)
where ``analyze`` and ``report`` take a log file, read from the database ``--db`` names."""

from __future__ import annotations

import argparse
import re

from app.cli.battery_options import (
    assumed_capacity_warning,
    overridden_capacity_warning,
    spec_from_args,
)
from app.cli.cmd_analyze import Analysis, current_sign_notes
from app.cli.current_sign_option import inverted_if_asked
from app.core.errors import BatteryOSError

_RECORDING = re.compile(r"^(?:recording|rec):(\d+)$", re.IGNORECASE)
_RECORDING_PREFIX = re.compile(r"^(?:recording|rec):", re.IGNORECASE)


def recording_id(source: str) -> int | None:
    """The recording ``recording:ID`` names, None for anything else (a file).

    ``recording:abc`` (no number) is refused as what it is, not looked for as a file
    (it said "no such file"), unless a file of that name exists."""
    import os

    match = _RECORDING.match(source.strip())
    if match:
        return int(match.group(1))
    if _RECORDING_PREFIX.match(source) and not os.path.exists(source):
        raise BatteryOSError(
            f"{source}: not a recording id: give recording:N, N the recording's number "
            "(`batteryos record` prints it)"
        )
    return None


def analyze_recording(recording_id: int, args: argparse.Namespace) -> tuple[Analysis, list[dict]]:
    """The suite on a stored recording, and its alerts with their acknowledgements."""
    if getattr(args, "dbc", None) or getattr(args, "can_mapping", None):
        raise BatteryOSError("--dbc and --can-mapping decode CAN log files, not recordings")
    from app.core import schema
    from app.core.spec import BatterySpec
    from app.diagnostics import run_suite
    from app.diagnostics.input_validity import with_input_warnings
    from app.storage import alert_repository
    from app.storage import repositories as repo
    from app.storage.database import Database, default_url
    from app.storage.migrate import schema_behind
    from app.storage.sample_writer import read_samples

    db = Database(args.db or default_url())
    try:
        behind = schema_behind(db)
        if behind is not None:
            upgrade = (
                f"batteryos --db {db.display_url} db upgrade" if args.db else "batteryos db upgrade"
            )
            raise BatteryOSError(
                f"{db.display_url} has {behind}: run `{upgrade}` to create or upgrade them"
            )
        recording = repo.get_recording(db, recording_id)
        if recording is None:
            raise BatteryOSError(f"no recording {recording_id} in {db.display_url}")
        frame = inverted_if_asked(args, read_samples(db, recording_id).to_frame())
        if len(frame) < 2:
            raise BatteryOSError(
                f"recording {recording_id} holds {len(frame)} samples: nothing to report"
            )
        names = {u.id: u.name for u in repo.list_users(db)}
        alerts = [
            {
                "raised_at": a.raised_at.strftime("%Y-%m-%d %H:%M:%S") if a.raised_at else None,
                "severity": str(a.severity),
                "metric": a.metric,
                # at raise and the episode's worst, as the History page heads them; a
                # fault rule's figures in words (its value, 1, only says detected)
                "value": a.value,
                "detail": a.detail,
                "worst_value": a.worst_value,
                "worst_detail": a.worst_detail or a.detail,
                "cleared_at": a.cleared_at.strftime("%Y-%m-%d %H:%M:%S") if a.cleared_at else None,
                "raised_time_s": a.raised_time_s,
                "cleared_time_s": a.cleared_time_s,
                "withdrawn": a.withdrawn,
                "acknowledged_by": names.get(a.acknowledged_by),
                "acknowledged_at": (
                    a.acknowledged_at.strftime("%Y-%m-%d %H:%M:%S") if a.acknowledged_at else None
                ),
                "comment": a.comment,
            }
            for a in reversed(
                alert_repository.list_alert_history(db, 10_000, recording_id=recording_id)
            )
        ]
    finally:
        db.close()
    fallback = BatterySpec.from_dict(recording.spec) if recording.spec else None
    cells = schema.series_cells_in(frame)
    spec = spec_from_args(args, fallback=fallback, cells_in_data=cells, frame=frame)
    suite = run_suite(
        frame, spec, eol_fraction=args.eol_fraction, reference_capacity_ah=args.capacity_ah
    )
    source = f"recording {recording_id} ({recording.source_url})"
    report = {"source": source, "spec": spec.to_dict(), **suite.to_dict()}
    notes = current_sign_notes(report, suite, args)
    notes.append(assumed_capacity_warning(args, spec, fallback))
    notes.append(overridden_capacity_warning(args, fallback))
    report = with_input_warnings(report, frame, spec, notes)
    start = recording.started_at.strftime("%Y-%m-%d %H:%M UTC") if recording.started_at else None
    metadata = {"start_utc": start or ""}
    analysis = Analysis(report, frame, suite.timeseries, metadata, spec.plausible_cell_v)
    return analysis, alerts
