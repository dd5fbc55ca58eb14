"""Does CAN traffic match its DBC? Messages whose frames decode to impossible values.

A log recorded with another firmware than its DBC was made for (ids moved,
layouts changed) decodes without error into numbers that cannot be: a pack
voltage below one of its cells, a minimum above its maximum, a state of
charge above 100 %. :func:`implausible_messages` names the messages a
mapping uses whose frames do so, with the reason, so that their columns are
left out and the user is told why rather than shown garbage.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from app.core import schema

#: Frames decoded per message for the checks (a log's first ones).
_SAMPLE_FRAMES = 200
_MINMAX = re.compile(r"^(minimum|min)_?(.+)$", re.IGNORECASE)
_STATE_OF = re.compile(r"soc|soe|stateofcharge|stateofenergy", re.IGNORECASE)


def _decoded(message, payloads: list[bytes]) -> list[dict]:
    out = []
    for data in payloads[:_SAMPLE_FRAMES]:
        try:
            out.append(message.decode(data, decode_choices=False))
        except Exception:  # a frame the DBC cannot decode is counted elsewhere
            continue
    return out


def _frame_reason(message, values: list[dict]) -> str | None:
    if not values:
        return None
    names = {s.name: s for s in message.signals}
    for name in names:
        m = _MINMAX.match(name)
        if m is None:
            continue
        partner = next(
            (n for n in names if re.fullmatch(rf"(maximum|max)_?{re.escape(m.group(2))}", n, re.I)),
            None,
        )
        if partner is None:
            continue
        pairs = [(v[name], v[partner]) for v in values if name in v and partner in v]
        above = [(lo, hi) for lo, hi in pairs if lo > hi]
        if pairs and len(above) * 2 > len(pairs):
            lo, hi = above[0]
            return f"its {name} {lo:g} is above its {partner} {hi:g}"
    for name, signal in names.items():
        if (signal.unit or "").strip() != "%" or not _STATE_OF.search(name):
            continue
        beyond = [v[name] for v in values if name in v and not 0.0 <= v[name] <= 100.0]
        if beyond:
            return f"its {name} {beyond[0]:g} % is outside 0-100 %"
    return None


def _pack_below_cell(block) -> tuple[float, float] | None:
    if block is None:
        return None
    cells = [c for c in block.columns if schema.CELL_VOLTAGE_RE.match(c)]
    if not cells or schema.VOLTAGE not in block:
        return None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows before any cell: all NaN
        highest = np.nanmax(np.vstack([block[c] for c in cells]), axis=0)
    pack = np.asarray(block[schema.VOLTAGE], dtype=float)
    both = np.isfinite(highest) & np.isfinite(pack)
    if not both.any():
        return None
    p, c = float(np.median(pack[both])), float(np.median(highest[both]))
    return (p, c) if p < 0.95 * c else None


def implausible_messages(
    db, mapping, frames_by_id: dict[int, list[bytes]], block
) -> dict[str, str]:
    """``{message name: why}`` for the messages ``mapping`` uses that do not match the traffic:
    ``frames_by_id`` its payloads by DBC id, ``block`` (a SampleBlock or None) those frames
    decoded through ``mapping``."""
    by_name = {m.name: m for m in db.messages}
    used = dict.fromkeys(s.message for s in mapping.signals)
    found: dict[str, str] = {}
    for name in used:
        message = by_name.get(name)
        if message is None:
            continue
        why = _frame_reason(message, _decoded(message, frames_by_id.get(message.frame_id, [])))
        if why:
            found[name] = f"{name} (0x{message.frame_id:X}): {why}"
    below = _pack_below_cell(block)
    if below is not None:
        source = next((s.message for s in mapping.signals if s.column == schema.VOLTAGE), None)
        if source is not None and source not in found:
            found[source] = (
                f"{source} (0x{by_name[source].frame_id:X}): its pack voltage {below[0]:.4g} V "
                f"is below a single cell's {below[1]:.4g} V"
            )
    return found
