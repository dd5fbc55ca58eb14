"""``batteryos report``: a PDF, HTML, XLSX or CSV report of a log file or a stored recording."""

from __future__ import annotations

import argparse
import re

from app.cli.battery_options import add_battery_options, spec_from_args
from app.cli.can_options import add_can_options, can_decoding
from app.cli.cmd_analyze import Analysis, _fraction, analyze, current_sign_notes
from app.cli.current_sign_option import add_invert_current_option, inverted_if_asked
from app.core.errors import BatteryOSError

_RECORDING = re.compile(r"^(?:recording|rec):(\d+)$")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "report",
        help="write a report of a log file or a recording",
        description="Run the diagnostic suite and write a report: a cover (battery, source, "
        "time span, user), pass/warn/fail per diagnostic, plots, the per-cycle table, alerts "
        "and faults. SOURCE is a log file, or recording:ID for a recording in the database "
        "(--db). The format follows the extension of OUT: .pdf, .html, .xlsx or .csv.",
    )
    p.add_argument("source", metavar="FILE_OR_RECORDING")
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="report file")
    p.add_argument("--title", default="Battery test report", help="title on the cover")
    p.add_argument("--user", help="name on the cover (default: the database's current user)")
    add_battery_options(p)
    add_invert_current_option(p)
    p.add_argument(
        "--eol-fraction",
        type=_fraction,
        default=0.8,
        help="end of life at this fraction of capacity (default 0.8)",
    )
    add_can_options(p)
    p.set_defaults(run=run)


def analyze_recording(recording_id: int, args: argparse.Namespace) -> tuple[Analysis, list[dict]]:
    """The suite on a stored recording, and its alerts with their acknowledgements."""
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
    report = with_input_warnings(report, frame, spec, current_sign_notes(report, suite, args))
    start = recording.started_at.strftime("%Y-%m-%d %H:%M UTC") if recording.started_at else None
    return Analysis(report, frame, suite.timeseries, {"start_utc": start or ""}), alerts


def recording_report_args(
    recording_id: int, output: str, db_url: str | None = None, user: str | None = None
) -> argparse.Namespace:
    """The options of ``batteryos [--db URL] report recording:ID -o OUTPUT [--user USER]``,
    all others at their defaults: the window's File › Export report of a stored
    recording is this command's report of it."""
    from app.cli import build_parser

    argv = [f"--db={db_url}"] if db_url else []
    argv += ["report", f"recording:{int(recording_id)}", f"--output={output}"]
    if user:
        argv.append(f"--user={user}")
    return build_parser().parse_args(argv)


def report_content(args: argparse.Namespace):
    """The :class:`~app.reports.ReportContent` ``batteryos report`` writes for ``args``."""
    from app.reports import ReportContent

    match = _RECORDING.match(args.source)
    if match and (args.dbc or args.can_mapping):
        raise BatteryOSError("--dbc and --can-mapping decode CAN log files, not recordings")
    if match:
        analysis, alerts = analyze_recording(int(match.group(1)), args)
    else:
        with can_decoding(args):
            analysis, alerts = analyze(args.source, args), []
    return ReportContent(
        analysis.report,
        frame=analysis.frame,
        timeseries=analysis.timeseries,
        alerts=alerts,
        alerts_recorded=bool(match),
        user=args.user,
        title=args.title,
        start_utc=analysis.metadata.get("start_utc") or None,
    )


def run(args: argparse.Namespace) -> int:
    from app.cli.output_paths import check_outputs
    from app.reports import write_report

    match = _RECORDING.match(args.source)
    check_outputs(() if match else (args.source,), {"-o": args.output})
    content = report_content(args)
    fmt = write_report(content, args.output)
    print(f"wrote {fmt.upper()} report to {args.output} (overall: {content.overall.value})")
    return 0
