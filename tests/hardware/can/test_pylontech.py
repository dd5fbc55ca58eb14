"""The BMS-to-inverter protocol: scalings, byte order, alarms, malformed frames."""

from __future__ import annotations

import struct

import pytest

from app.hardware.can.pylontech import ByteOrder, PylontechDecoder
from app.hardware.can.rows import RowAssembler
from tests.hardware.can.conftest import status_frames


def decode(frames, byte_order=ByteOrder.LITTLE):
    rows = RowAssembler()
    dec = PylontechDecoder(rows, byte_order)
    used = [dec.feed(fid, data, 1.5) for fid, data in frames]
    return dec, rows.take_block(), used


def test_0x356_scalings_from_known_bytes():
    # 53.12 V, -20.3 A (discharging), 23.4 degC: little-endian words as in the Pylontech document
    data = struct.pack("<hhh", 5312, -203, 234)
    _, block, _ = decode([(0x356, data)])
    assert block["voltage_v"][0] == pytest.approx(53.12)
    assert block["current_a"][0] == pytest.approx(-20.3)
    assert block["temperature_c"][0] == pytest.approx(23.4)
    assert block["time_s"][0] == 1.5


def test_limits_soc_soh_cells_and_name_go_to_columns_and_status():
    dec, block, used = decode(status_frames())
    assert all(used)
    assert block["soc_reported_pct"][0] == 81 and block["soh_reported_pct"][0] == 97
    s = dec.status
    assert s["charge_voltage_limit_v"] == pytest.approx(56.8)
    assert s["charge_current_limit_a"] == pytest.approx(50.0)
    assert s["discharge_current_limit_a"] == pytest.approx(100.0)
    assert s["discharge_voltage_limit_v"] == pytest.approx(44.8)
    assert s["cell_min_v"] == pytest.approx(3.251) and s["cell_max_v"] == pytest.approx(3.262)
    # temperatures travel in whole kelvin
    assert s["cell_min_temp_c"] == pytest.approx(22.0, abs=0.5)
    assert s["cell_max_temp_c"] == pytest.approx(27.0, abs=0.5)
    assert s["name"] == "BATTOS"
    assert s["requests"] == ["charge_enable", "discharge_enable"]
    # the protocol has no per-cell values: no invented cell columns
    assert not [c for c in block.columns if c.startswith("cell_")]


def test_big_endian_option_reads_big_endian_words_and_little_reads_them_wrong():
    frames = status_frames(voltage_v=51.2, current_a=7.5, byte_order=ByteOrder.BIG)
    _, block, _ = decode(frames, ByteOrder.BIG)
    assert block["voltage_v"][0] == pytest.approx(51.2)
    assert block["current_a"][0] == pytest.approx(7.5)
    _, wrong, _ = decode(frames, ByteOrder.LITTLE)
    assert wrong["voltage_v"][0] != pytest.approx(51.2)


def test_pylontech_0x359_and_victron_0x35a_alarms():
    dec, _, _ = decode([(0x359, bytes([0b10, 0b1, 0b1000, 0, 2, 0x50, 0x4E, 0]))])
    assert dec.status["protections"] == ["cell_over_voltage", "charge_over_current"]
    assert dec.status["alarms"] == ["high_temperature"]
    assert dec.status["modules"] == 2
    # 0x35A: high voltage alarm active (10b at bits 2-3), general normal (01b); warning:
    # cell imbalance active (byte 7 bits 0-1)
    dec, _, _ = decode([(0x35A, bytes([0b1001, 0, 0, 0, 0b01, 0, 0, 0b10]))])
    assert dec.status["alarms"] == ["high_voltage"]
    assert dec.status["warnings"] == ["cell_imbalance"]


def test_unknown_and_short_frames():
    rows = RowAssembler()
    dec = PylontechDecoder(rows)
    assert dec.feed(0x305, bytes(8), 0.0) is False  # inverter keep-alive: not ours
    with pytest.raises(ValueError, match="0x356"):
        dec.feed(0x356, b"\x01\x02", 0.0)
    assert rows.take_block() is None


def test_no_sample_before_voltage_and_current_are_known():
    rows = RowAssembler()
    dec = PylontechDecoder(rows)
    dec.feed(0x355, struct.pack("<HH", 50, 100), 0.0)
    assert rows.take_block() is None


def test_a_column_first_seen_mid_block_is_nan_before():
    import math

    rows = RowAssembler()
    dec = PylontechDecoder(rows)
    dec.feed(0x356, struct.pack("<hhh", 5000, 10, 250), 0.0)
    dec.feed(0x355, struct.pack("<HH", 50, 100), 0.5)
    dec.feed(0x356, struct.pack("<hhh", 5001, 10, 250), 1.0)
    block = rows.take_block()
    assert math.isnan(block["soc_reported_pct"][0]) and block["soc_reported_pct"][1] == 50
