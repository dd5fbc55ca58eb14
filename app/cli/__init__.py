"""The ``batteryos`` command (DESIGN.md, "The command line").

Start-up stays light: each sub-command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from app import __version__
from app.cli import (
    cmd_alerts,
    cmd_analyze,
    cmd_convert,
    cmd_db,
    cmd_devsim,
    cmd_gui,
    cmd_record,
    cmd_report,
    cmd_serve,
    cmd_simulate,
    cmd_users,
)
from app.core.errors import BatteryOSError

COMMANDS = (
    cmd_gui,
    cmd_simulate,
    cmd_record,
    cmd_analyze,
    cmd_convert,
    cmd_report,
    cmd_alerts,
    cmd_serve,
    cmd_devsim,
    cmd_db,
    cmd_users,
)


class _Parser(argparse.ArgumentParser):
    """argparse that names the program in errors and exits 2 (its default).

    A usage error is one line, as every other error (DESIGN.md): argparse's own printed
    the sub-command's whole usage first, 12 lines for ``analyze --capacity-ah -1``
    above the line that says what is wrong."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (`{self.prog} --help` lists the options)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="batteryos",
        description="Battery OS: live battery diagnostics for the test bench. "
        "With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"batteryos {__version__}")
    parser.add_argument(
        "--db",
        metavar="URL",
        default=os.environ.get("BATTERYOS_DB"),
        help="database URL, e.g. postgresql+psycopg://user@host/db or sqlite:///file.sqlite "
        "(default: $BATTERYOS_DB, else a SQLite file in the user data directory)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


#: The battery a BMS's URL must give (``record`` refuses one without it).
_BATTERY = "chemistry=..&cells=..&capacity_ah=.."


def _error_text(exc: BatteryOSError) -> str:
    """The error's line; a file of a known kind that holds no samples (a VE.Direct
    capture, JK BMS frames, a DBC, an Arbin metadata file) with the command to use."""
    generic = sys.modules.get("app.hardware.logs.generic")
    if generic is not None and isinstance(exc, generic.UnmappedColumns):
        # "map the columns by hand" named no way to on the command line
        quoted = f"'{exc.path}'" if any(c in exc.path for c in " '\"$") else exc.path
        return (
            f"{exc}: in the window (Logs page, Map columns…: saved for files of that name, "
            f"analyze and report use it too), or `batteryos convert {quoted} --mapping "
            "MAPPING.json -o OUT.csv`, or name the columns time_s, voltage_v, current_a "
            "(s, V, A; charging positive)"
        )
    formats = sys.modules.get("app.hardware.logs.formats")  # (raised only once imported)
    if formats is None or not isinstance(exc, formats.NotASampleLog):
        return str(exc)
    path = exc.path
    quoted = f"'{path}'" if any(c in path for c in " '\"$") else path
    advice = {
        "vedirect": "record the device with `batteryos record "
        f"'serial:///dev/ttyUSB0?protocol=vedirect&{_BATTERY}' -o log.csv`, or replay this "
        f"capture with `batteryos devsim vedirect --replay {quoted}` and record the URL it "
        "prints, with the battery",
        "jk": "record the BMS with `batteryos record "
        f"'serial:///dev/ttyUSB0?protocol=jk&{_BATTERY}' -o log.csv`, or replay these frames "
        f"with `batteryos devsim jk --replay {quoted}` and record the URL it prints, with the "
        "battery",
        "dbc": f"decode a CAN log with it: `batteryos analyze CAN_LOG --dbc {quoted}`",
        "arbin_metadata": f"analyze the data file beside it: `batteryos analyze {exc.data_file}`"
        if exc.data_file
        else exc.advice,
    }.get(exc.kind, exc.advice)
    return f"{path}: {exc.what}, not a sample log: {advice}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        # without -v, problems reach the user as the one-line errors of the commands
        level=logging.INFO if args.verbose else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
    )
    # a library's warning (numpy's "Mean of empty slice") is a log line, shown with -v
    # only: the user reads the commands' own warnings, not a Python source line
    logging.captureWarnings(True)
    if args.command is None:
        args = parser.parse_args([*(argv or sys.argv[1:]), "gui"])
    try:
        return int(args.run(args) or 0)
    except BatteryOSError as exc:
        print(f"batteryos: error: {_error_text(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("batteryos: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of the output left (``batteryos analyze log.csv | head``): no
        # traceback; stdout goes to devnull so the flush at exit cannot fail again
        # (the Python docs' "Note on SIGPIPE")
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
