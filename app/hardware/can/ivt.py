"""Isabellenhuette IVT-S result frames sent on CAN ids the DBC does not list.

An IVT-S current sensor sends each result in a 6-byte frame whose first byte
names the result (0 current, 1-3 voltages U1-U3, 4 temperature, 5 power,
6 charge, 7 energy: the vendor DBC's ``IVT_ID_Result_<X>`` signal), the
second a status nibble and a message counter, then the value as a big-endian
int32. The CAN id of each result is configurable (default 0x521-0x528), so a
log may carry some results at ids its DBC does not know (foxBMS's
``test_log.txt``: current at 0x35C, U1 at 0x35D, the others at the defaults).

:func:`relocated_ivt_ids` finds such frames, strictly: only on a bus where the
sensor is seen at one of its DBC ids, only for an id the DBC does not list,
whose every frame has the result's length and identifier byte and whose
counter advances, and only for a result the log does not also carry at its
DBC id.
"""

from __future__ import annotations

import re

#: Result name in the vendor DBC's ``IVT_ID_Result_<X>`` signal -> its identifier byte.
RESULT_IDS = {"I": 0, "U1": 1, "U2": 2, "U3": 3, "T": 4, "W": 5, "As": 6, "Wh": 7}
_ID_SIGNAL = re.compile(r"^IVT_ID_Result_(I|U1|U2|U3|T|W|As|Wh)$")


def ivt_messages(db) -> dict[int, object]:
    """The IVT-S result messages of a DBC by their identifier byte."""
    found: dict[int, object] = {}
    for message in db.messages:
        for signal in message.signals:
            m = _ID_SIGNAL.match(signal.name)
            if m and signal.start == 7 and signal.length == 8:  # the frame's first byte
                found.setdefault(RESULT_IDS[m.group(1)], message)
    return found


def relocated_ivt_ids(db, frames_by_id: dict[int, list[bytes]]) -> dict[int, object]:
    """``{log frame id: DBC message}`` for IVT-S results sent on ids the DBC does not list."""
    results = ivt_messages(db)
    if not any(m.frame_id in frames_by_id for m in results.values()):
        return {}  # no IVT-S seen on this bus at its DBC ids
    known = {m.frame_id for m in db.messages}
    relocated: dict[int, object] = {}
    for fid, payloads in sorted(frames_by_id.items()):
        if fid in known or len(payloads) < 2:
            continue
        first = payloads[0]
        message = results.get(first[0]) if first else None
        if message is None or message.frame_id in frames_by_id:
            continue
        if message in relocated.values():
            continue
        same_shape = all(len(p) == message.length and p[0] == first[0] for p in payloads)
        counting = len({p[1] & 0x0F for p in payloads}) > 1
        if same_shape and counting:
            relocated[fid] = message
    return relocated
