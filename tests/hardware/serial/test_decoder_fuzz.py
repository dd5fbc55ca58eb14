"""Fuzzing every decoder: any bytes give counted errors, never an exception."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.hardware.devsim.jk import cell_info_frame
from app.hardware.serial import daly, jk
from app.hardware.serial.line import LineDecoder
from app.hardware.serial.line_mapping import LineMapping
from app.hardware.serial.vedirect import VEDirectDecoder, frame_block
from app.hardware.source import SourceHealth

VALID = {
    "vedirect": frame_block([("V", "12800"), ("I", "-1500"), ("SOC", "876")]),
    "daly": daly.frame(daly.BMS_ADDRESS, daly.PACK, bytes([0, 132, 0, 0, 0x75, 0x30, 3, 232])),
    "jk": cell_info_frame(
        {
            "voltage_v": 13.2,
            "current_a": 1.0,
            "soc_pct": 50.0,
            **{f"cell_{k}_v": 3.3 for k in range(1, 5)},
        },
        cells=4,
        counter=1,
        capacity_ah=100.0,
    ),
    "line": b"U=3700 I=-120\r\n",
}


def make(name: str, health: SourceHealth):
    if name == "vedirect":
        return VEDirectDecoder(health)
    if name == "daly":
        return daly.DalyDecoder(health)
    if name == "jk":
        return jk.JKDecoder(health)
    return LineDecoder(health, LineMapping.parse_inline("U:voltage_v:0.001,I:current_a", "kv"))


def check_rows(rows):
    for row in rows:
        assert "voltage_v" in row
        assert all(isinstance(v, float) for v in row.values())


@pytest.mark.parametrize("name", sorted(VALID))
@settings(max_examples=150, deadline=None)
@given(chunks=st.lists(st.binary(max_size=400), max_size=8))
def test_random_bytes_only_count_errors(name, chunks):
    health = SourceHealth()
    dec = make(name, health)
    for chunk in chunks:
        check_rows(dec.feed(chunk))
    dec.reset()


@pytest.mark.parametrize("name", sorted(VALID))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mutated_valid_frames_never_raise(name, data):
    frame = bytearray(VALID[name] * 3)
    for _ in range(data.draw(st.integers(0, 6))):
        i = data.draw(st.integers(0, len(frame) - 1))
        frame[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(frame)))
    health = SourceHealth()
    dec = make(name, health)
    check_rows(dec.feed(bytes(frame[:cut])) + dec.feed(bytes(frame[cut:])))


@pytest.mark.parametrize("name", sorted(VALID))
def test_a_valid_frame_after_garbage_still_decodes(name):
    health = SourceHealth()
    dec = make(name, health)
    assert len(dec.feed(VALID[name])) == 1
    rows = dec.feed(b"\xa5\x55\xaa\x00garbage\xff" * 50 + b"\n" + VALID[name])
    if name == "vedirect":  # garbage and block are one bad block: the next one is good
        rows += dec.feed(VALID[name])
    assert rows and not math.isnan(rows[-1]["voltage_v"])
    assert health.frames_bad >= 1
