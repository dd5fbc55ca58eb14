"""VE.Direct text protocol: the real BMV-702 capture, checksums, HEX lines, garbage."""

from __future__ import annotations

import pytest

from app.hardware.devsim.vedirect import read_recording
from app.hardware.serial.vedirect import VEDirectDecoder, checksum_byte, frame_block
from app.hardware.source import SourceHealth
from tests.real_data import REAL_DATA

needs_real = pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")


@pytest.fixture
def bmv_blocks():
    return read_recording(REAL_DATA / "vedirect" / "bmv702.dump")


def decode(data: bytes, chunk: int | None = None):
    health = SourceHealth()
    dec = VEDirectDecoder(health)
    dec._synced = True  # every block counts, also the first
    rows = []
    step = chunk or len(data) or 1
    for i in range(0, len(data), step):
        rows += dec.feed(data[i : i + step])
    return rows, health, dec


def test_frame_block_sums_to_zero_mod_256():
    block = frame_block([("V", "12800"), ("I", "-1500")])
    assert block.startswith(b"\r\nV\t12800\r\nI\t-1500\r\nChecksum\t")
    assert sum(block) % 256 == 0
    assert checksum_byte(block[:-1]) == block[-1]


@needs_real
def test_the_real_bmv702_capture_decodes_to_its_values(bmv_blocks):
    rows, health, dec = decode(b"".join(bmv_blocks))
    assert health.frames_bad == 0 and health.frames_unknown == 0
    assert health.frames_ok == len(bmv_blocks)
    # every live block (V, I, ...) gives a sample; the history blocks (H1..H18) none
    assert len(rows) == sum(b"\r\nV\t" in b for b in bmv_blocks) > 100
    first = rows[0]
    assert first["voltage_v"] == pytest.approx(12.065)
    assert first["current_a"] == pytest.approx(-7.625)  # discharging: TTG counts down
    assert first["soc_reported_pct"] == pytest.approx(83.9)
    assert dec.fields["PID"] == "0x203" and dec.fields["H18"] == "8527"
    assert all(12.0 < r["voltage_v"] < 12.2 for r in rows)


@needs_real
def test_the_raw_capture_with_mangled_checksums_is_counted_not_decoded():
    raw = (REAL_DATA / "vedirect" / "bmv702.dump").read_bytes()
    rows, health, _ = decode(raw)
    blocks = raw.count(b"Checksum\t")
    assert health.frames_bad >= 0.9 * blocks
    assert len(rows) <= 0.1 * blocks


@needs_real
def test_byte_by_byte_arrival_gives_the_same_samples(bmv_blocks):
    data = b"".join(bmv_blocks[:20])
    assert decode(data, chunk=1)[0] == decode(data)[0]


def test_a_bad_checksum_is_counted_and_the_next_block_still_decodes():
    good = frame_block([("V", "12800"), ("I", "1500"), ("SOC", "500")])
    bad = bytearray(good)
    bad[5] ^= 0x01
    rows, health, _ = decode(bytes(bad) + good)
    assert health.frames_bad == 1 and health.frames_ok == 1
    assert rows == [{"voltage_v": 12.8, "current_a": 1.5, "soc_reported_pct": 50.0}]


def test_hex_protocol_lines_are_skipped_even_inside_a_block():
    block = frame_block([("V", "12800"), ("I", "-200")])
    hex_msg = b":A0002000148\n"
    mid = block.index(b"\r\nI")
    rows, health, _ = decode(hex_msg + block[:mid] + hex_msg + block[mid:])
    assert health.frames_bad == 0
    assert rows == [{"voltage_v": 12.8, "current_a": -0.2}]


def test_a_colon_as_checksum_byte_is_no_hex_line():
    for extra in range(256):  # find a block whose checksum byte is ':'
        block = frame_block([("V", "12800"), ("X", "a" * extra)])
        if block[-1:] == b":":
            break
    rows, health, _ = decode(block + frame_block([("V", "12801")]))
    assert health.frames_bad == 0 and [r["voltage_v"] for r in rows] == [12.8, 12.801]


def test_missing_temperature_sensor_is_nan_not_an_error():
    rows, health, _ = decode(frame_block([("V", "12800"), ("I", "0"), ("T", "---")]))
    assert health.frames_bad == 0
    assert rows[0]["temperature_c"] != rows[0]["temperature_c"]  # NaN


def test_the_first_partial_block_after_connecting_is_not_an_error():
    block = frame_block([("V", "12800"), ("I", "0")])
    health = SourceHealth()
    dec = VEDirectDecoder(health)
    rows = dec.feed(block[7:] + block)
    assert len(rows) == 1 and health.frames_bad == 0


def test_a_stream_of_garbage_is_counted_and_bounded():
    rows, health, dec = decode(bytes(range(256)) * 20)
    assert rows == [] and health.frames_bad >= 1
    assert len(dec._buf) <= 1024


def test_a_block_without_voltage_gives_no_sample():
    health = SourceHealth()
    dec = VEDirectDecoder(health)
    rows = dec.feed(frame_block([("I", "-1500"), ("SOC", "876")]) * 2)
    assert rows == [] and health.frames_ok >= 1 and health.frames_bad == 0
    rows = dec.feed(frame_block([("V", "12800"), ("I", "-1500")]) * 2)
    assert rows and rows[0]["voltage_v"] == 12.8
