"""``batteryos convert``: any log file to canonical CSV, Parquet or Battery Data Format CSV."""

from __future__ import annotations

import argparse
import json
import sys

from app.cli.can_options import add_can_options, can_decoding, use_log_cache
from app.cli.current_sign_option import add_invert_current_option, inverted_if_asked


def add_parser(sub) -> None:
    p = sub.add_parser(
        "convert",
        help="convert a log file to canonical CSV, Parquet or BDF CSV",
        description="Read FILE (canonical CSV or Parquet, Arbin, Maccor, Neware, Battery Data "
        "Format, or a generic CSV/TSV/XLSX table; recognised by content) and write it in the "
        "canonical schema: OUT.csv (canonical CSV), OUT.parquet, or OUT.bdf.csv (Battery Data "
        "Format).",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="OUT.csv, OUT.parquet or OUT.bdf.csv"
    )
    p.add_argument(
        "--mapping",
        metavar="JSON",
        help="read FILE as a generic table with this column mapping (a ColumnMapping.to_dict() file)",
    )
    p.add_argument("--cycles", metavar="CSV", help="also write the per-cycle summary")
    p.add_argument("--steps", metavar="CSV", help="also write the per-step table")
    p.add_argument("--no-cache", action="store_true", help="read FILE itself, not a cached copy")
    add_invert_current_option(p)
    add_can_options(p)
    p.set_defaults(run=run)


def _load(args: argparse.Namespace):
    from app.core.errors import BatteryOSError
    from app.hardware.logs.formats import open_log

    if args.mapping and (args.dbc or args.can_mapping):
        raise BatteryOSError("--mapping reads a table, --dbc a CAN log: give one of them")
    if not args.mapping:
        with can_decoding(args):
            return open_log(args.file, use_cache=use_log_cache(args))
    from app.hardware.logs import generic
    from app.hardware.logs.column_mapping import ColumnMapping
    from app.hardware.logs.formats import read_head

    try:
        with open(args.mapping, encoding="utf-8") as fh:
            mapping = ColumnMapping.from_dict(json.load(fh))
    except (OSError, ValueError) as exc:
        raise BatteryOSError(f"{args.mapping}: not a readable column mapping ({exc})") from None
    read_head(args.file)
    return generic.read(args.file, mapping=mapping)


def _write_table(table, path: str) -> None:
    from app.core.errors import BatteryOSError

    try:
        table.to_csv(path, index=False, float_format="%.6g")
    except OSError as exc:
        raise BatteryOSError(f"{path}: cannot write ({exc.strerror or exc})") from None


def run(args: argparse.Namespace) -> int:
    from app.cli.output_paths import check_outputs
    from app.hardware.logs.export import format_for, write_log

    fmt = format_for(args.output)  # a bad extension fails before the reading
    check_outputs((args.file,), {"-o": args.output, "--cycles": args.cycles, "--steps": args.steps})
    log = _load(args)
    if args.invert_current:
        import dataclasses

        log = dataclasses.replace(log, frame=inverted_if_asked(args, log.frame))
    write_log(args.output, log, fmt)
    if args.cycles or args.steps:
        from app.diagnostics.cycles import summarize_cycles, summarize_steps

        if args.cycles:
            _write_table(summarize_cycles(log.frame), args.cycles)
        if args.steps:
            _write_table(summarize_steps(log.frame), args.steps)
    print(
        f"{args.file} ({log.metadata.get('format', 'log')}): {len(log.frame)} samples "
        f"-> {args.output} ({fmt.value})",
        file=sys.stderr,
    )
    return 0
