"""The CAN log options shared by the sub-commands that read a log file (``analyze``,
``report``, ``convert``): --dbc and --can-mapping, and the decoding they choose."""

from __future__ import annotations

import argparse
import contextlib

from app.core.errors import BatteryOSError


def add_can_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("CAN logs")
    group.add_argument(
        "--dbc",
        metavar="DBC",
        help="CAN logs (.log .asc .blf .trc, foxBMS .txt): decode through this DBC "
        "(default: the built-in BMS protocol, else a DBC beside the log)",
    )
    group.add_argument(
        "--can-mapping",
        metavar="NAME",
        help="with --dbc: the saved signal mapping NAME (default: suggested from the log)",
    )


@contextlib.contextmanager
def can_decoding(args: argparse.Namespace):
    """CAN logs opened inside the block decode as the options say."""
    dbc, mapping = getattr(args, "dbc", None), getattr(args, "can_mapping", None)
    if mapping and not dbc:
        raise BatteryOSError("--can-mapping needs --dbc")
    if not dbc:
        yield
        return
    from app.hardware.logs.can_logs import using_dbc

    with using_dbc(dbc, mapping):
        yield


def use_log_cache(args: argparse.Namespace) -> bool:
    """Whether a cached copy of the log may stand for it: not with --dbc (the cache
    keeps the log as it was decoded before, whatever DBC that was)."""
    return not getattr(args, "dbc", None) and not getattr(args, "no_cache", False)
