"""A DBC mapping learnt from the traffic and kept honest: one set of rules for logs and the bus.

:class:`MappingLearner` holds what the frames seen so far say about their DBC:

* IVT-S results sent on ids the DBC does not list, decoded as the DBC's
  message for that result (:func:`~app.hardware.can.ivt.relocated_ivt_ids`);
* ids the DBC does not list (skipped, and named once);
* messages whose frames decode to impossible values
  (:func:`~app.hardware.can.plausibility.implausible_messages`): left out of a
  suggested mapping, which is then suggested again without them; a mapping the
  user saved is decoded as asked, with a warning only.

:meth:`MappingLearner.revise` applies them to a window of frames.
:class:`SuggestingDbcDecoder`, the one decoder of the live bus and of CAN log files,
calls it with its first full round of every message, then with each further second,
so a message proven wrong later is dropped from the mapping as the frames arrive. Every
warning is said once, in :attr:`MappingLearner.warnings` and to ``warn``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from app.core.errors import SourceError
from app.hardware.can.dbc import DbcDecoder
from app.hardware.can.ivt import relocated_ivt_ids
from app.hardware.can.mapping import CanMapping, suggest_mapping
from app.hardware.can.plausibility import implausible_messages
from app.hardware.can.rows import RowAssembler

#: Payloads kept per CAN id for recognising relocated IVT-S results (the first ones).
KEPT_PER_ID = 200


def hex_list(ids, limit: int = 8) -> str:
    ids = sorted(ids)
    text = ", ".join(f"0x{i:X}" for i in ids[:limit])
    return text + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


class MappingLearner:
    """The mapping of a DBC to canonical columns, revised against the traffic.

    ``saved`` is the user's confirmed mapping (decoded as asked), else one is
    suggested from the DBC messages present.
    """

    def __init__(
        self,
        db,
        *,
        name: str = "suggested",
        dbc: str = "",
        saved: CanMapping | None = None,
        warn: Callable[[str], None] | None = None,
    ):
        self.db = db
        self.saved = saved
        self.mapping: CanMapping | None = saved
        #: log frame id -> the DBC message (an IVT-S result) it is decoded as
        self.relocated: dict[int, object] = {}
        #: message name -> why it is left out of the suggested mapping
        self.excluded: dict[str, str] = {}
        self.warnings: list[str] = []
        self._warn = warn
        self._name, self._dbc = name, dbc
        self._by_name = {m.name: m for m in db.messages}
        self._known = {m.frame_id for m in db.messages}
        self._seen: dict[int, list[bytes]] = {}
        self._told_unlisted: set[int] = set()
        self._suggested_for: frozenset[int] | None = None

    def dbc_id(self, frame_id: int) -> int:
        """The DBC id to decode a frame of ``frame_id`` as."""
        message = self.relocated.get(frame_id)
        return frame_id if message is None else message.frame_id

    def knows(self, frame_id: int) -> bool:
        """Whether a frame of ``frame_id`` is one the DBC describes (relocations included)."""
        return frame_id in self._known or frame_id in self.relocated

    def say(self, message: str) -> None:
        if message in self.warnings:
            return
        self.warnings.append(message)
        if self._warn is not None:
            self._warn(message)

    def revise(
        self,
        window: dict[int, list[bytes]],
        decode: Callable[[CanMapping], object],
    ) -> bool:
        """Revise the mapping with a window of frames; True when it changed.

        ``window`` holds the window's payloads by their CAN id, ``decode``
        decodes the window's frames in order through a mapping (ids through
        :meth:`dbc_id`) into a SampleBlock (or None). Raises
        :class:`SourceError` when no mapping can be made (saying what was left out).
        """
        self._remember(window)
        for fid, message in relocated_ivt_ids(self.db, self._seen).items():
            if fid not in self.relocated and message not in self.relocated.values():
                self.relocated[fid] = message
                self.say(
                    f"frames 0x{fid:X} decoded as {message.name} (0x{message.frame_id:X}): "
                    f"an IVT-S result (identifier byte {self._seen[fid][0][0]}) sent on an id "
                    "the DBC does not list"
                )
        unlisted = {fid for fid in window if not self.knows(fid) and fid not in self._told_unlisted}
        if unlisted:
            self._told_unlisted |= unlisted
            self.say(f"frames at ids the DBC does not list were skipped: {hex_list(unlisted)}")
        by_id: dict[int, list[bytes]] = {}
        for fid, payloads in window.items():
            by_id.setdefault(self.dbc_id(fid), []).extend(payloads)
        before = self.mapping
        while True:
            chosen = self.saved or self._suggest()
            bad = implausible_messages(self.db, chosen, by_id, decode(chosen))
            if self.saved is not None:  # the user's confirmed mapping: decoded as asked, but told
                for why in bad.values():
                    self.say(f"{why} - the frames may not match this DBC")
                break
            self.mapping = chosen
            if not bad:
                break
            self.excluded.update(bad)
            for why in bad.values():
                self.say(f"{why}: the frames do not match the DBC there, its signals are left out")
        return self.mapping != before

    def _remember(self, window: dict[int, list[bytes]]) -> None:
        seen = self._seen
        for fid, payloads in window.items():
            kept = seen.setdefault(fid, [])
            if len(kept) < KEPT_PER_ID:
                kept.extend(payloads[: KEPT_PER_ID - len(kept)])

    def _suggest(self) -> CanMapping:
        left_out = {self._by_name[n].frame_id for n in self.excluded}
        present = frozenset(
            i for i in map(self.dbc_id, self._seen) if i in self._known and i not in left_out
        )
        if self.mapping is not None and present == self._suggested_for:
            return self.mapping
        try:
            mapping = suggest_mapping(self.db, self._name, present_ids=present, dbc=self._dbc)
            DbcDecoder(self.db, mapping, RowAssembler())  # a usable mapping, or SourceError
        except SourceError as exc:
            reasons = "; ".join(self.excluded.values())
            raise SourceError(f"{exc}" + (f" (left out: {reasons})" if reasons else "")) from None
        self._suggested_for = present
        return mapping


class SuggestingDbcDecoder:
    """A :class:`~app.hardware.can.dbc.DbcDecoder` whose mapping is learnt from the traffic.

    The one decoding path of DBC traffic: the live bus feeds it frame by frame,
    a log reader feeds it the log's frames and then calls :meth:`finish`; the
    same frames give the same samples.

    Without a saved mapping, the best signals of the whole DBC may sit in
    messages this BMS never sends (foxBMS: pack values vs string values), or
    in messages whose frames this firmware lays out otherwise. So frames are
    held back until the traffic has shown a full round of every message it
    carries (each id seen twice, no new id for as long again as it took to see the
    last one, at least :data:`LEARN_S` seconds; at most
    :data:`LEARN_MAX_S` seconds or :data:`LEARN_FRAMES` frames): a message that
    proves another wrong (the cell voltages against a "pack voltage") has come
    by then, whatever the moment the listening started. The mapping is learnt
    from them (:class:`MappingLearner`), and they are then decoded in order:
    nothing is lost, the first samples come that much later. A row is made
    only once every column the learning frames carried more than once has
    arrived (a multiplexed cell voltage that comes round later is waited for,
    not left NaN; a one-off frame is not). Each further :data:`LEARN_S` seconds of frames revise the mapping (a
    message found implausible is dropped, an IVT-S result on a moved id
    recognised); columns whose source changed are forgotten rather than held
    at a wrong value. :attr:`mapping` is the one to show in the mapping dialog
    and save; :attr:`warnings` (also sent to ``warn``) say what was left out.

    With ``saved`` (the user's mapping) frames are decoded at once, as asked;
    the same checks only warn.
    """

    LEARN_S = 1.0
    LEARN_MAX_S = 5.0
    LEARN_FRAMES = 20_000

    def __init__(
        self,
        db,
        rows: RowAssembler,
        name: str = "suggested",
        dbc: str = "",
        *,
        saved: CanMapping | None = None,
        warn: Callable[[str], None] | None = None,
    ):
        self.db = db
        self.rows = rows
        self.learner = MappingLearner(db, name=name, dbc=dbc, saved=saved, warn=warn)
        self._decoder = DbcDecoder(db, saved, rows) if saved is not None else None
        self._window: list[tuple[int, bytes, float]] = []
        self._window_start: float | None = None
        #: frames of each id in the window
        self._seen: dict[int, int] = {}
        #: seconds of window after which learning is (next) tried, and at which a new id last came
        self._learn_after, self._newest_id_at = self.LEARN_S, 0.0
        self._failed: str | None = None
        #: the mapping of the last check and the values it held at the window's end
        self._held: tuple[CanMapping | None, dict[str, float]] = (None, {})
        self._last = self._held
        #: columns the last checked window's frames set more than once
        self._periodic: set[str] = set()

    @property
    def mapping(self) -> CanMapping | None:
        return self.learner.mapping

    @property
    def warnings(self) -> list[str]:
        return self.learner.warnings

    def feed(self, frame_id: int, data: bytes, t: float) -> bool:
        if self._window_start is None:
            self._window_start = t
        window = self._window
        if len(window) < self.LEARN_FRAMES:
            window.append((frame_id, bytes(data), t))
            seen = self._seen.get(frame_id, 0)
            if not seen:
                self._newest_id_at = t - self._window_start
            self._seen[frame_id] = seen + 1
        decoder = self._decoder
        if decoder is None:
            used = self.learner.knows(frame_id)  # held back, decoded once learnt
        else:
            used = decoder.feed(self.learner.dbc_id(frame_id), data, t)
        if self._window_full(t):
            self._revise()
        return used

    def finish(self) -> None:
        """The traffic ended (a log's last frame): learn from and decode what is held back."""
        if self._window:
            self._revise(final=True)

    def _window_full(self, t: float) -> bool:
        span = t - self._window_start
        if len(self._window) >= self.LEARN_FRAMES:
            return True
        if self._decoder is not None:  # revising: every LEARN_S seconds
            return span >= self.LEARN_S
        # learning: a full round of every message (or LEARN_MAX_S): each id seen twice, and no
        # new id for as long again as it took to see the last one (a slow message comes round)
        if span >= self.LEARN_MAX_S:
            return True
        return (
            span >= max(self._learn_after, 2 * self._newest_id_at) and min(self._seen.values()) >= 2
        )

    def _revise(self, final: bool = False) -> None:
        learner = self.learner
        frames = self._window
        by_id: dict[int, list[bytes]] = {}
        for fid, data, _ in frames:
            by_id.setdefault(fid, []).append(data)
        old, start = learner.mapping, self._held
        try:
            changed = learner.revise(by_id, lambda mapping: self._decode(mapping, frames, start))
        except SourceError as exc:  # nothing to decode yet; learning goes on with the next frames
            if str(exc) != self._failed:
                self._failed = str(exc)
                learner.say(f"no samples yet: {exc}")
            if self._decoder is None and len(frames) < self.LEARN_FRAMES and not final:
                # still learning: the frames stay held back, tried again a LEARN_S later
                self._last = start
                self._learn_after = frames[-1][2] - self._window_start + self.LEARN_S
                return
            self._held = self._last
            self._next_window()
            return
        self._held = self._last
        self._next_window()
        self._failed = None
        if self._decoder is not None and not changed:
            return
        self._forget_changed(old, learner.mapping)
        self._decoder = DbcDecoder(self.db, learner.mapping, self.rows)
        # rows once every column the window's frames carried again and again has come (a
        # multiplexed cell voltage that comes round later included; a one-off frame is not waited for)
        self.rows.require(c for c in _sources(learner.mapping) if c in self._periodic)
        if old is None:  # the frames held back while learning
            for fid, data, t in frames:
                # frames of a message the mapping does not use were already counted as decoded
                with contextlib.suppress(ValueError):
                    self._decoder.feed(learner.dbc_id(fid), data, t)

    def _next_window(self) -> None:
        self._window, self._window_start, self._seen = [], None, {}
        self._learn_after, self._newest_id_at = self.LEARN_S, 0.0

    def _decode(self, mapping: CanMapping, frames, start) -> object:
        """The window's frames through ``mapping``, starting from the values held before the
        window (``start``: a slow message, e.g. the cell voltages, may have come in an earlier one)."""
        rows = _CountingRows()
        held_mapping, held = start
        if held_mapping is not None:
            before = _sources(held_mapping)
            for column, source in _sources(mapping).items():
                if column in held and before.get(column) == source:
                    rows.set(column, held[column])
        decoder = DbcDecoder(self.db, mapping, rows)
        for fid, data, t in frames:
            with contextlib.suppress(ValueError):
                decoder.feed(self.learner.dbc_id(fid), data, t)
        self._last = (mapping, dict(rows.latest))
        self._periodic = {c for c, n in rows.times_set.items() if n >= 2}
        return rows.take_block()

    def _forget_changed(self, old: CanMapping | None, new: CanMapping) -> None:
        if old is None:
            return
        now = _sources(new)
        for column, source in _sources(old).items():
            if now.get(column) != source:
                self.rows.forget(column)


class _CountingRows(RowAssembler):
    """A RowAssembler that also counts how often each column is set."""

    def __init__(self) -> None:
        super().__init__()
        self.times_set: dict[str, int] = {}

    def set(self, column: str, value: float) -> None:
        super().set(column, value)
        self.times_set[column] = self.times_set.get(column, 0) + 1


def _sources(mapping: CanMapping) -> dict[str, tuple]:
    """Where each column of ``mapping`` comes from."""
    return {s.column: (s.message, s.signal, s.scale, s.offset) for s in mapping.signals}
