"""``batteryos serve``: the REST endpoint without the window."""

from __future__ import annotations

import argparse
import sys

from app.cli.battery_options import add_battery_options
from app.cli.current_sign_option import add_invert_current_option, url_with_inversion


def add_parser(sub) -> None:
    from app.api.server import DEFAULT_HOST, DEFAULT_PORT

    p = sub.add_parser(
        "serve",
        help="serve the REST endpoint (API keys: batteryos users new-key)",
        description="Serve the REST endpoint over the database (--db): stored diagnostics, "
        "alerts, recordings, diagnostics on uploaded logs, and with --source the live values "
        "of a running source. With --source, the battery options fill in what the URL's battery "
        "(?chemistry=..&cells=..) leaves out; an option that differs from the URL's value is "
        "refused. OpenAPI at /openapi.json, docs at /docs. Listens on 127.0.0.1 unless "
        "--allow-remote is given.",
    )
    p.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})"
    )
    p.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks one)"
    )
    p.add_argument(
        "--allow-remote", action="store_true", help="allow an address other than loopback"
    )
    p.add_argument("--source", metavar="URL", help="also stream this source live (/api/v1/live)")
    p.add_argument(
        "--record", action="store_true", help="with --source: record it into the database"
    )
    add_battery_options(p)
    add_invert_current_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from app.api.app import create_app
    from app.api.server import ApiServer
    from app.core.errors import BatteryOSError
    from app.storage.database import Database, default_url

    if args.record and not args.source:
        print("batteryos: error: --record needs --source", file=sys.stderr)
        return 2
    if args.source and args.bol_resistance_ohm is not None and not args.chemistry:
        print(
            "batteryos: error: --bol-resistance-ohm needs --chemistry (the battery it belongs "
            "to); for a file that names its battery give it in the URL: ?bol_resistance_ohm=",
            file=sys.stderr,
        )
        return 2
    db = Database(args.db or default_url())
    session = None
    try:
        db.ensure_schema()
        if args.source:
            from app.api.session import HeadlessLiveSession
            from app.cli.battery_options import check_source_names_battery, source_battery

            source_url = url_with_inversion(args, args.source)
            check_source_names_battery(args, source_url)
            spec, log = source_battery(args, source_url)
            session = HeadlessLiveSession(
                source_url,
                db,
                spec=spec,
                log=log,
                record=args.record,
                reference_capacity_ah=args.capacity_ah,
                cells_option=args.cells,
            )
        app = create_app(db, live=session.feed if session else None)
        server = ApiServer(app, args.host, args.port, allow_remote=args.allow_remote)
        server.start()
        if session is not None:
            session.start()
        print(f"serving {server.url} (database {db.display_url}); Ctrl-C stops", flush=True)
        try:
            _serve_until_stopped(server, session)
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
    finally:
        if session is not None:
            session.stop()
        db.close()
    if session is not None and session.refused is not None:
        # as record refuses it: the live results would judge another battery
        raise BatteryOSError(session.refused)
    return 0


def _serve_until_stopped(server, session) -> None:
    """Until Ctrl-C or the server stops; or the source is refused (its cell voltages show
    another battery than the one given): then the command stops with the reason."""
    if session is None or not session.started:
        server.wait()
        return
    while server.running:
        if session.acquisition.wait_finished(0.25):
            if session.refused is None:  # a log file replayed to its end: still served
                server.wait()
            return
