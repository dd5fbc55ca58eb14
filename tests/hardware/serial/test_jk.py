"""JK02 frames: the real JK_B2A8S20P capture, CRC, framing, layouts."""

from __future__ import annotations

import pytest

from app.hardware.devsim.jk import cell_info_frame, read_frames
from app.hardware.serial import jk
from app.hardware.source import SourceHealth
from tests.real_data import REAL_DATA

needs_real = pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")


@pytest.fixture
def status():
    return (REAL_DATA / "bms" / "batmon_jk_issue365_status.bin").read_bytes()


@pytest.fixture
def settings():
    return (REAL_DATA / "bms" / "batmon_jk_issue365_settings.bin").read_bytes()


@needs_real
def test_real_frames_carry_a_valid_crc(status, settings):
    for frame in (status, settings):
        assert len(frame) == jk.FRAME_LEN and frame.startswith(jk.HEADER)
        assert jk.crc(frame[:299]) == frame[299]


@needs_real
def test_the_real_cell_info_frame_decodes_to_plausible_values(status):
    d = jk.decode_cell_info(status)
    assert d["layout"] == "32s"
    assert d["cells"] == {1: 3.357, 2: 3.341, 3: 3.354, 4: 3.352}
    assert d["pack_v"] == pytest.approx(13.405)
    assert d["pack_v"] == pytest.approx(sum(d["cells"].values()), abs=0.01)
    assert d["current_a"] == pytest.approx(33.292)  # charging
    # power field (0x9A, mW) agrees with V * I
    assert int.from_bytes(status[154:158], "little") / 1000 == pytest.approx(13.405 * 33.292, 1e-3)
    assert (d["soc_pct"], d["soh_pct"], d["cycles"]) == (66.0, 79.0, 427)
    assert d["capacity_ah"] == pytest.approx(251.235)
    assert 20 < d["t1_c"] < 40 and 20 < d["mos_c"] < 50


@needs_real
def test_decoder_rows_from_a_stream_of_real_frames(status, settings):
    health = SourceHealth()
    dec = jk.JKDecoder(health)
    data = b"\x00\x17garbage" + settings + status + status[:150]
    rows = dec.feed(data[:100]) + dec.feed(data[100:]) + dec.feed(status[150:])
    assert len(rows) == 2
    row = rows[0]
    assert row["voltage_v"] == pytest.approx(13.405) and row["current_a"] == pytest.approx(33.292)
    assert [row[f"cell_{k}_v"] for k in range(1, 5)] == [3.357, 3.341, 3.354, 3.352]
    assert "cell_5_v" not in row
    assert row["soc_reported_pct"] == 66.0 and row["soh_reported_pct"] == 79.0
    assert (health.frames_ok, health.frames_unknown, health.frames_bad) == (2, 1, 1)


@needs_real
def test_a_bad_crc_is_counted_and_the_frame_skipped(status):
    health = SourceHealth()
    broken = bytearray(status)
    broken[10] ^= 0xFF
    rows = jk.JKDecoder(health).feed(bytes(broken) + status)
    assert len(rows) == 1 and health.frames_bad == 1


@needs_real
def test_replay_reads_the_frames_of_a_capture(status):
    assert read_frames(REAL_DATA / "bms" / "batmon_jk_issue365_status.bin") == [status]


def test_simulated_frames_decode_back_to_their_sample():
    sample = {
        "voltage_v": 26.4,
        "current_a": -12.5,
        "temperature_c": 31.0,
        "soc_pct": 57.0,
        **{f"cell_{k}_v": 3.3 for k in range(1, 9)},
    }
    frame = cell_info_frame(sample, 8, counter=7, capacity_ah=100.0)
    d = jk.decode_cell_info(frame)
    assert d["layout"] == "32s" and len(d["cells"]) == 8
    assert (d["pack_v"], d["current_a"], d["soc_pct"]) == (26.4, -12.5, 57.0)


def test_the_24_cell_layout_is_recognised_by_its_pack_voltage():
    f = bytearray(jk.FRAME_LEN)
    f[0:4], f[4] = jk.HEADER, jk.CELL_INFO
    for k in range(16):
        f[6 + 2 * k : 8 + 2 * k] = (3300).to_bytes(2, "little")
    f[54:58] = (0xFFFF).to_bytes(4, "little")
    f[118:122] = (52800).to_bytes(4, "little")
    f[126:130] = (-2500).to_bytes(4, "little", signed=True)
    f[141] = 40
    d = jk.decode_cell_info(jk.seal(f))
    assert d["layout"] == "24s" and len(d["cells"]) == 16
    assert (d["pack_v"], d["current_a"], d["soc_pct"]) == (52.8, -2.5, 40.0)


def test_command_frames_carry_their_crc():
    cmd = jk.command(jk.CMD_CELL_INFO)
    assert len(cmd) == 20 and cmd[:5] == b"\xaa\x55\x90\xeb\x96"
    assert sum(cmd[:19]) % 256 == cmd[19]
