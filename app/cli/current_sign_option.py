"""``--invert-current``: the option of analyze, report, convert, record and serve for a
log or source that counts discharge as positive (Battery OS: charging is positive).

Nothing flips the sign on its own: :mod:`app.diagnostics.current_sign` only warns when
the voltage says the sign is reversed, and names this option.
"""

from __future__ import annotations

import argparse
from urllib.parse import parse_qsl

#: the file:// URL parameter (the Daly BMS source's of the same name does the same)
URL_PARAM = "invert_current"


def add_invert_current_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--invert-current",
        action="store_true",
        help="negate the current: for a log or source that counts discharge as positive "
        "(Battery OS counts charging as positive; a source URL takes invert_current=1)",
    )


def inverted_if_asked(args: argparse.Namespace, frame):
    """The samples with the current negated when ``--invert-current`` was given."""
    if not getattr(args, "invert_current", False):
        return frame
    from app.core.schema import with_current_inverted

    return with_current_inverted(frame)


def url_with_inversion(args: argparse.Namespace, url: str) -> str:
    """``url`` with ``invert_current=1`` when ``--invert-current`` was given (the
    source refuses it if it cannot flip its current)."""
    if not getattr(args, "invert_current", False):
        return url
    query = url.partition("?")[2]
    if dict(parse_qsl(query)).get(URL_PARAM) == "1":
        return url
    return f"{url}{'&' if query else ('' if url.endswith('?') else '?')}{URL_PARAM}=1"
