"""``batteryos gui``: the window."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser(
        "gui", help="open the window (the default)", description="Open the Battery OS window."
    )
    p.add_argument("--demo", action="store_true", help="connect to the simulated battery pack")
    p.add_argument("--source", metavar="URL", help="connect to this source URL at start")
    p.add_argument(
        "--screenshot", metavar="PNG", help="save the window once live data is drawn, then exit"
    )
    p.add_argument("--theme", choices=["dark", "light"], help="colour theme")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from app.views.launch import run_gui

    return run_gui(
        demo=args.demo,
        source_url=args.source,
        screenshot=args.screenshot,
        db_url=args.db,
        theme=args.theme,
    )
