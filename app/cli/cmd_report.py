"""``batteryos report``: a PDF, HTML, XLSX or CSV report of a log file or a stored recording."""

from __future__ import annotations

import argparse

from app.cli.battery_options import add_battery_options
from app.cli.can_options import add_can_options, can_decoding
from app.cli.cmd_analyze import _fraction, analyze
from app.cli.current_sign_option import add_invert_current_option
from app.cli.recording_analysis import analyze_recording, recording_id


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


def run(args: argparse.Namespace) -> int:
    from app.cli.output_paths import check_outputs
    from app.reports import ReportContent, write_report

    stored = recording_id(args.source)
    check_outputs(() if stored is not None else (args.source,), {"-o": args.output})
    if stored is not None:
        analysis, alerts = analyze_recording(stored, args)
    else:
        with can_decoding(args):
            analysis, alerts = analyze(args.source, args), []
    content = ReportContent(
        analysis.report,
        frame=analysis.frame,
        timeseries=analysis.timeseries,
        alerts=alerts,
        alerts_recorded=stored is not None,
        user=args.user,
        title=args.title,
        start_utc=analysis.metadata.get("start_utc") or None,
    )
    fmt = write_report(content, args.output)
    print(f"wrote {fmt.upper()} report to {args.output} (overall: {content.overall.value})")
    return 0
