"""Short names of sources for tool bars and banners: a file's name, a simulated battery in a few
words, else the URL shortened in the middle (the tooltip has all of it)."""

from __future__ import annotations

import os

#: Characters of a source's name in the tool bar (the tooltip has all of it).
SOURCE_NAME_CHARS = 36


def simulated_battery(url: str | None) -> str | None:
    """A simulator's URL in a few words, what it names of the battery and its load in a
    battery engineer's short form: "sim NMC 4S 50 Ah drive" for ``sim://nmc?cells=4&
    capacity_ah=50.0&profile=drive&seed=2&speed=0`` (4S: four cells in series); None for
    any other source (or a URL that does not parse)."""
    from app.core.errors import BatteryOSError
    from app.hardware.registry import parse_source_url, url_chemistry

    try:
        parsed = parse_source_url(url or "")
    except BatteryOSError:
        return None
    if parsed.scheme != "sim":
        return None
    params = parsed.params
    words = [f"sim {(url_chemistry(parsed) or 'nmc').upper().replace('_', '-')}"]
    if "cells" in params:
        words.append(f"{params['cells']}S")
    if "capacity_ah" in params:
        words.append(f"{params['capacity_ah'].removesuffix('.0')} Ah")
    if "profile" in params:
        words.append(params["profile"])
    return " ".join(words)


def source_name(url: str | None, max_chars: int | None = SOURCE_NAME_CHARS) -> str | None:
    """A file's name for a ``file://`` URL or path (without the battery query), a
    simulator's battery in a few words (:func:`simulated_battery`), else the URL;
    shortened in the middle beyond ``max_chars`` (a URL's query would push the time and
    extent of the results out of the tool bar), whole for None (a label that elides
    to its width itself)."""
    if not url:
        return None
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme.lower() in ("file", ""):
        url = os.path.basename(unquote(parts.path)) or url
    url = simulated_battery(url) or url
    if max_chars is not None and len(url) > max_chars:
        keep = max_chars - 1
        url = url[: keep - keep // 3] + "…" + url[-(keep // 3) :]
    return url
