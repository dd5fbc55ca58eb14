"""The live CAN bus and a CAN log file decode the same traffic alike: the real foxBMS text
log, whose DBC does not match every message, replayed on a virtual bus gives the log
reader's values; a message proven wrong only later is dropped from the live mapping, and
a saved mapping is decoded as asked with a warning."""

from __future__ import annotations

import itertools
import os

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


def test_a_message_proven_wrong_after_its_first_frames_is_dropped_from_the_live_mapping(fox):
    log, dbc, logged = fox
    frames = read_frames(log)
    rows, warnings = RowAssembler(), []
    decoder = SuggestingDbcDecoder(load_dbc(dbc), rows, warn=warnings.append)
    t0 = frames.timestamps[0]
    # joined after the capture's only cell-voltage frame (0x250 at 0.31 s): the first
    # second offers no cell to compare f_StringValuesP0's "pack voltage" with
    late = [k for k, t in enumerate(frames.timestamps) if t - t0 > 0.35]
    period = frames.timestamps[-1] - t0 + 0.01
    mappings, samples = [], []
    for rep in range(3):
        for k in late if rep == 0 else range(len(frames.ids)):
            t = frames.timestamps[k] - t0 + rep * period
            decoder.feed(frames.ids[k], frames.data[k], t)
            if decoder.mapping is not None and decoder.mapping is not (mappings or [None])[-1]:
                mappings.append(decoder.mapping)
        samples.append(rows.take_block())
    voltage_sources = [
        next(s.message for s in m.signals if s.column == "voltage_v") for m in mappings
    ]
    assert voltage_sources[0] == "f_StringValuesP0"  # no evidence against it yet
    assert voltage_sources[-1] == "CS_IsabellenhuetteIvtString0V1"
    assert any(w.startswith(LEFT_OUT) and "left out" in w for w in warnings)
    # once revised, the samples are the log reader's
    last = samples[-1]
    assert _in(last["voltage_v"], logged.frame["voltage_v"])
    assert _in(last["current_a"], logged.frame["current_a"])


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
