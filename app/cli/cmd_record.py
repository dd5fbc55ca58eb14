"""``batteryos record``: record any source headless, to CSV and/or the database."""

from __future__ import annotations

import argparse
import sys

from app.cli.battery_options import add_battery_options, positive_float
from app.cli.current_sign_option import add_invert_current_option, url_with_inversion


def add_parser(sub) -> None:
    p = sub.add_parser(
        "record",
        help="record a source to a CSV file or the database",
        description="Record SOURCE_URL headless: sim://nmc?cells=4&speed=1 (the simulator), "
        "file:///data/log.csv (replay a canonical CSV) or a serial device, "
        "serial:///dev/ttyUSB0?protocol=vedirect|daly|jk|line (try it on "
        "`batteryos devsim vedirect`). The battery is part of the URL: "
        "?chemistry=lfp&capacity_ah=100&cells=16&bol_resistance_ohm=0.0003 (file, serial, CAN; "
        "sim://lfp?capacity_ah=..&bol_resistance_ohm=..), its limits too (cell_v_max=4.75&"
        "cell_v_min=3, max_charge_current_c=.., as the options); the battery options fill in what the "
        "URL leaves out, and the limit options (--cell-v-max, --max-charge-c, ...) stand over "
        "the chemistry's (an option that differs from the URL's value is refused). The live "
        "engine checks the samples against the battery's limits while recording and prints "
        "each alert as it is raised and cleared. Without -o the samples go to the database "
        "(--db, before the sub-command).",
    )
    p.add_argument("source_url", metavar="SOURCE_URL")
    p.add_argument(
        "--duration",
        type=positive_float,
        help="stop after this many seconds of data or of wall-clock time from the first sample "
        "(default: until the source ends or Ctrl-C; Ctrl-C keeps what was recorded and exits 0, "
        "also while the source reconnects)",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="write the samples here: OUT.csv (canonical CSV), OUT.parquet or OUT.bdf.csv",
    )
    p.add_argument("--notes", default="", help="free notes stored with the recording")
    add_battery_options(p)
    add_invert_current_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from app.cli.battery_options import check_source_names_battery, source_battery
    from app.cli.record_session import record_to
    from app.storage.database import default_url

    if args.bol_resistance_ohm is not None and not args.chemistry:
        print(
            "batteryos: error: --bol-resistance-ohm needs --chemistry (the battery it belongs "
            "to); for a file that names its battery give it in the URL: ?bol_resistance_ohm=",
            file=sys.stderr,
        )
        return 2
    url = url_with_inversion(args, args.source_url)
    check_source_names_battery(args, url)
    _check_output(url, args.output)
    spec, log = source_battery(args, url)
    db_url = None if args.output else (args.db or default_url())
    summary = record_to(
        url,
        spec=spec,
        log=log,
        csv_path=args.output,
        db_url=db_url,
        duration_s=args.duration,
        notes=args.notes,
        reference_capacity_ah=args.capacity_ah,
        cells_option=args.cells,
    )
    where = args.output or f"recording {summary.recording_id} in the database"
    if summary.stopped_reconnecting:
        print(
            "batteryos: stopped while reconnecting (the source had failed: "
            f"{summary.stopped_reconnecting}); what came before is kept",
            file=sys.stderr,
        )
    print(f"recorded {summary.samples} samples ({summary.span_s:g} s) to {where}")
    if summary.alerts_raised:
        # (the words `alerts history` and the window give them: stored as cleared when
        # the source ended, with no time in the samples)
        up = f", {summary.alerts_up} up when the source ended" if summary.alerts_up else ""
        print(f"alerts: {summary.alerts_raised} raised{up}")
    if summary.spooled:
        print(
            f"batteryos: warning: the database was unreachable at the end: {summary.spooled} "
            "samples wait in the local spool and are stored at the next start",
            file=sys.stderr,
        )
    if summary.error:
        print(f"batteryos: error: source ended in a fault: {summary.error}", file=sys.stderr)
        return 1
    return 0


def _check_output(url: str, output: str | None) -> None:
    """-o must not be the file a ``file://`` source replays (as analyze's outputs)."""
    from urllib.parse import unquote, urlsplit

    from app.cli.output_paths import check_outputs

    parts = urlsplit(url)
    replayed = unquote(parts.path) if parts.scheme.lower() == "file" else ""
    check_outputs((replayed,) if replayed else (), {"-o": output})
