"""The live CAN bus and a CAN log file decode the same traffic alike: the real foxBMS text
log, whose DBC does not match every message, replayed on a virtual bus gives the log
reader's values, whenever the listening starts in the looping replay; and a saved mapping
is decoded as asked with a warning."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pytest

from app.hardware.can.dbc import load_dbc
from app.hardware.can.devsim import start_foxbms
from app.hardware.can.learning import SuggestingDbcDecoder
from app.hardware.can.rows import RowAssembler
from app.hardware.logs.can_logs import read_can_log, read_frames
from app.hardware.registry import create_source
from tests.hardware.source_contract import read_samples

_channels = itertools.count()
LEFT_OUT = "f_StringValuesP0 (0x243): its pack voltage 2.53 V is below a single cell's 4.055 V"


@pytest.fixture
def fox(real_can):
    log, dbc = str(real_can / "foxbms_test_log.txt"), str(real_can / "foxbms.dbc")
    return log, dbc, read_can_log(log, dbc=dbc)


def _column(blocks, name):
    return np.concatenate([b[name] for b in blocks if name in b])


def _in(values, reference) -> bool:
    return bool(np.isin(np.round(values, 6), np.round(reference, 6)).all())


def test_the_text_log_replayed_live_gives_the_log_readers_values(fox):
    log, dbc, logged = fox
    channel = f"learning-{os.getpid()}-{next(_channels)}"
    # the source listens before the replay starts: it sees the capture from its first frame
    with (
        create_source(f"can://virtual/{channel}?dbc={dbc}") as source,
        start_foxbms(log=log, dbc=dbc, channel=channel, speed=2),
    ):
        blocks = read_samples(source, 12)
        mapping, health = source.mapping, source.health
    pack, current = _column(blocks, "voltage_v"), _column(blocks, "current_a")
    assert len(pack) >= 12
    # not f_StringValuesP0's 2.53 V / +1230 A: the IVT-S (frames 0x35D/0x35C) as in the log
    assert pack.min() > 389.0 and pack.max() < 389.3
    assert current.min() > -0.84 and current.max() < -0.82
    assert _in(pack, logged.frame["voltage_v"]) and _in(current, logged.frame["current_a"])
    cells = _column(blocks, "cell_1_v")
    assert np.nanmin(cells) == np.nanmax(cells) == pytest.approx(4.055)
    assert not any("temp" in c for b in blocks for c in b.columns)
    assert mapping.trigger_message == "CS_IsabellenhuetteIvtString0Curr"
    # the same messages left out and ids relocated, said in the source's health
    told = "\n".join(health.warnings)
    for line in logged.metadata["warnings"].splitlines():
        if "left out" in line or "decoded as" in line:
            assert line in told
    assert LEFT_OUT in told


def _rows(block, columns) -> set[tuple]:
    return set(zip(*(np.round(block[c], 6) for c in columns), strict=True))


def _rotated_log(log: str, start: int, out) -> None:
    """The text capture as heard from its frame ``start`` on: those frames, then the ones
    before it one loop later (as the looping replay sends them)."""
    import re

    text = Path(log).read_text(encoding="ascii")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    stamp = re.compile(r"(Timestamp:\s*)(\d+\.\d+)")
    times = [float(stamp.search(ln).group(2)) for ln in lines]
    period = times[-1] - times[0] + (times[-1] - times[0]) / (len(times) - 1)

    def shifted(ln: str, by: float) -> str:
        return stamp.sub(lambda m: f"{m.group(1)}{float(m.group(2)) + by:.6f}", ln, count=1)

    rotated = lines[start:] + [shifted(ln, period) for ln in lines[:start]]
    out.write_text("\n".join(rotated) + "\n", encoding="ascii")


@pytest.mark.parametrize("start", range(0, 301, 23))
def test_joined_at_any_moment_the_live_samples_are_the_log_readers(fox, start):
    """Whenever the listening starts in the looping capture (after its only cell-voltage
    frame, 0x250 at 0.31 s, included), the live decoder waits for a full round of every
    message before it decides: never f_StringValuesP0's 2.53 V / +1230 A, never a row
    without the cell voltages, every row one the log reader gives for the same frames."""
    log, dbc, logged = fox
    frames = read_frames(log)
    rows, warnings = RowAssembler(), []
    decoder = SuggestingDbcDecoder(load_dbc(dbc), rows, warn=warnings.append)
    t0, n = frames.timestamps[start], len(frames.ids)
    period = frames.timestamps[-1] - frames.timestamps[0] + 0.01
    for rep in range(3):
        for k in range(start if rep == 0 else 0, n):
            t = frames.timestamps[k] - t0 + rep * period
            decoder.feed(frames.ids[k], frames.data[k], t)
    live = rows.take_block()
    columns = list(logged.frame.columns.drop("time_s"))
    assert sorted(c for c in live.columns if c != "time_s") == sorted(columns)
    assert len(live) >= 18  # the last two rounds at least
    assert _rows(live, columns) <= _rows(logged.frame, columns)
    assert any(w.startswith(LEFT_OUT) and "left out" in w for w in warnings)
    assert next(s.message for s in decoder.mapping.signals if s.column == "voltage_v") == (
        "CS_IsabellenhuetteIvtString0V1"
    )


def test_a_live_bus_joined_after_the_cell_frame_records_the_log_readers_rows(fox, tmp_path):
    """The user's case over a virtual bus at the capture's own pace: the listening starts
    just after the capture's only cell-voltage frame (0x250 at 0.31 s); the samples are the
    log reader's, with their cell voltages, not 2.53 V and +1230 A without cells."""
    log, dbc, logged = fox
    frames = read_frames(log)
    t0 = frames.timestamps[0]
    start = next(k for k, t in enumerate(frames.timestamps) if t - t0 > 0.35)
    rotated = tmp_path / "joined_late.txt"
    _rotated_log(log, start, rotated)
    channel = f"learning-{os.getpid()}-{next(_channels)}"
    with (
        create_source(f"can://virtual/{channel}?dbc={dbc}") as source,
        start_foxbms(log=str(rotated), dbc=dbc, channel=channel, speed=1),
    ):
        blocks = read_samples(source, 9, timeout_s=20)
    columns = list(logged.frame.columns.drop("time_s"))
    live = [b for b in blocks if len(b)]
    assert sum(map(len, live)) >= 9
    for block in live:
        assert sorted(c for c in block.columns if c != "time_s") == sorted(columns)
        assert _rows(block, columns) <= _rows(logged.frame, columns)


def test_a_saved_mapping_is_decoded_live_as_asked_with_the_mismatch_told(fox, saved_string_mapping):
    log, dbc, _ = fox
    channel = f"learning-{os.getpid()}-{next(_channels)}"
    with (
        create_source(
            f"can://virtual/{channel}?dbc={dbc}&mapping={saved_string_mapping}"
        ) as source,
        start_foxbms(log=log, dbc=dbc, channel=channel, speed=4),
    ):
        blocks = read_samples(source, 40)  # over 2 s: the frames were checked
        warnings = list(source.health.warnings)
    assert _column(blocks, "voltage_v") == pytest.approx(2.53)  # as asked
    assert any(w.startswith("f_StringValuesP0 (0x243)") and "may not match" in w for w in warnings)
    assert source.mapping.name == saved_string_mapping
