"""Any DBC through cantools: frames decoded into canonical columns by a :class:`CanMapping`.

cantools is imported only when a DBC is loaded (the window must paint fast).
Decoders are precompiled per frame id: a frame the mapping does not use costs
one dict lookup; a used one one ``Message.decode`` (which selects the
multiplexed signals itself) and a few multiply-adds.
"""

from __future__ import annotations

import os

from app.core.errors import SourceError
from app.hardware.can.mapping import CanMapping
from app.hardware.can.rows import RowAssembler


def load_dbc(path: str):
    """A cantools database; a missing or malformed file is a :class:`SourceError`."""
    import cantools

    if not os.path.isfile(path):
        raise SourceError(f"{path}: no such DBC file")
    try:
        return cantools.database.load_file(path, strict=False)
    except Exception as exc:  # cantools raises many kinds for malformed files
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{path}: not a readable DBC ({detail})") from None


class DbcDecoder:
    """Feeds decoded, mapped signals into a :class:`RowAssembler`.

    :meth:`feed` returns True for a frame the mapping uses, False for one it
    does not (unknown), and raises ``ValueError`` for a frame of a mapped
    message that cannot be decoded (too short, bad multiplexer value).
    """

    def __init__(self, db, mapping: CanMapping, rows: RowAssembler):
        self.db = db
        self.mapping = mapping
        self.rows = rows
        by_name = {m.name: m for m in db.messages}
        missing = [
            f"{s.message}.{s.signal}"
            for s in mapping.signals
            if s.message not in by_name
            or s.signal not in {x.name for x in by_name[s.message].signals}
        ]
        if missing:
            raise SourceError(
                f"mapping {mapping.name}: signals not in the DBC: {', '.join(missing[:5])}"
                + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            )
        trigger = mapping.trigger_message
        if trigger is None:
            raise SourceError(
                f"mapping {mapping.name}: maps neither pack current nor pack voltage; "
                "map at least voltage_v and current_a"
            )
        #: frame id -> (message, {signal: (column, scale, offset)}, is_trigger)
        self._plan: dict[int, tuple[object, dict[str, tuple[str, float, float]], bool]] = {}
        for s in mapping.signals:
            m = by_name[s.message]
            entry = self._plan.setdefault(m.frame_id, (m, {}, m.name == trigger))
            entry[1][s.signal] = (s.column, s.scale, s.offset)
        if by_name[trigger].frame_id not in self._plan:
            m = by_name[trigger]
            self._plan[m.frame_id] = (m, {}, True)

    @property
    def frame_ids(self) -> frozenset[int]:
        return frozenset(self._plan)

    def feed(self, frame_id: int, data: bytes, t: float) -> bool:
        plan = self._plan.get(frame_id)
        if plan is None:
            return False
        message, signals, trigger = plan
        try:
            values = message.decode(data, decode_choices=False)
        except Exception as exc:  # cantools DecodeError, struct/bitstruct errors
            raise ValueError(f"frame 0x{frame_id:X} ({message.name}): {exc}") from None
        rows = self.rows
        for name, value in values.items():
            target = signals.get(name)
            if target is not None:
                column, scale, offset = target
                rows.set(column, float(value) * scale + offset)
        if trigger:
            rows.emit(t)
        return True
