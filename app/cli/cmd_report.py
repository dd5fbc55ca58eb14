"""``batteryos report``: a PDF, HTML, XLSX or CSV report of a log file or a stored recording."""

from __future__ import annotations

import argparse

from app.cli.battery_options import add_battery_options
from app.cli.can_options import add_can_options, can_decoding
from app.cli.cmd_analyze import EOL_FRACTION_HELP, _fraction, analyze
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
        help=EOL_FRACTION_HELP,
    )
    add_can_options(p)
    p.set_defaults(run=run)


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

    stored = recording_id(args.source)
    if stored is not None:
        analysis, alerts = analyze_recording(stored, args)
    else:
        with can_decoding(args):
            analysis, alerts = analyze(args.source, args), []
    return ReportContent(
        analysis.report,
        frame=analysis.frame,
        timeseries=analysis.timeseries,
        alerts=alerts,
        alerts_recorded=stored is not None,
        user=args.user,
        title=args.title,
        start_utc=analysis.metadata.get("start_utc") or None,
    )


def run(args: argparse.Namespace) -> int:
    from app.cli.output_paths import check_outputs
    from app.reports import write_report

    stored = recording_id(args.source)
    check_outputs(() if stored is not None else (args.source,), {"-o": args.output})
    content = report_content(args)
    fmt = write_report(content, args.output)
    print(f"wrote {fmt.upper()} report to {args.output} (overall: {content.overall.value})")
    return 0
