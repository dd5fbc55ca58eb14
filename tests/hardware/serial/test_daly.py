"""Daly UART frames: layout of each command, polling against the simulated BMS."""

from __future__ import annotations

import pytest

from app.hardware.registry import create_source
from app.hardware.serial import daly
from app.hardware.source import SourceHealth
from tests.hardware.source_contract import read_samples


def answer(cmd: int, data: bytes) -> bytes:
    return daly.frame(daly.BMS_ADDRESS, cmd, data)


def test_request_frame_is_the_documented_one():
    # python-daly-bms: 95 -> a58095080000000000000000c2 for address 8; ours is host 4 (0x40)
    assert daly.request(0x90).hex() == "a54090080000000000000000" + "7d"
    assert sum(daly.request(0x95)[:12]) % 256 == daly.request(0x95)[12]


def test_a_poll_cycle_decodes_to_one_sample():
    health = SourceHealth()
    dec = daly.DalyDecoder(health)
    stream = b"".join(
        [
            answer(daly.STATUS, bytes([5, 2, 1, 0, 0, 0, 12])),
            answer(
                daly.CELL_VOLTAGES,
                bytes([1]) + b"".join(v.to_bytes(2, "big") for v in (3301, 3302, 3303)),
            ),
            answer(
                daly.CELL_VOLTAGES,
                bytes([2]) + b"".join(v.to_bytes(2, "big") for v in (3304, 3305, 0)),
            ),
            answer(daly.TEMPERATURES, bytes([1, 65, 67])),
            answer(daly.MOSFET, bytes([1, 1, 1, 0]) + (50500).to_bytes(4, "big")),
            # 0x90: 16.5 V, x, current 30000 + 125 -> +12.5 A (charging), SOC 66.6 %
            answer(daly.PACK, b"".join(x.to_bytes(2, "big") for x in (165, 0, 30125, 666))),
        ]
    )
    rows = dec.feed(stream)
    assert rows == [
        {
            "voltage_v": 16.5,
            "current_a": 12.5,
            "soc_reported_pct": 66.6,
            "temperature_c": 27.0,
            "cell_1_v": 3.301,
            "cell_2_v": 3.302,
            "cell_3_v": 3.303,
            "cell_4_v": 3.304,
            "cell_5_v": 3.305,
        }
    ]
    assert dec.cells == 5 and dec.expected_frames(daly.CELL_VOLTAGES) == 2
    assert dec.info["mode"] == "charging" and dec.info["remaining_ah"] == 50.5
    assert dec.info["cycles"] == 12
    assert (health.frames_ok, health.frames_bad, health.frames_unknown) == (6, 0, 0)


def test_discharge_current_is_negative():
    rows = daly.DalyDecoder(SourceHealth()).feed(
        answer(daly.PACK, b"".join(x.to_bytes(2, "big") for x in (264, 0, 29800, 500)))
    )
    assert rows[0]["current_a"] == -20.0


def test_echoed_requests_are_ignored_and_garbage_counted():
    health = SourceHealth()
    dec = daly.DalyDecoder(health)
    pack = answer(daly.PACK, b"".join(x.to_bytes(2, "big") for x in (264, 0, 30000, 500)))
    broken = bytearray(pack)
    broken[6] ^= 1
    rows = dec.feed(daly.request(daly.PACK) + b"\xa5\x01\xff" + bytes(broken) + pack)
    assert len(rows) == 1
    assert health.frames_bad >= 1 and health.frames_ok == 1 and health.frames_unknown == 0


def test_a_frame_from_another_address_is_unknown():
    health = SourceHealth()
    daly.DalyDecoder(health).feed(daly.frame(0x02, daly.PACK, b""))
    assert health.frames_unknown == 1 and health.frames_bad == 0


def test_the_source_polls_the_simulated_bms(device):
    dev = device("daly", cells=7)
    with create_source(dev.url) as source:
        blocks = read_samples(source, 3)
        snapshot = source.describe()["serial"]["bms"]
    assert dev.requests >= 3 * 6
    last = blocks[-1]
    cells = [last[f"cell_{k}_v"][-1] for k in range(1, 8)]  # 3 frames of cells
    assert all(2.5 < v < 3.7 for v in cells)
    assert last["voltage_v"][-1] == pytest.approx(sum(cells), abs=0.3)
    assert snapshot["cells"] == 7 and snapshot["mode"] in ("idle", "charging", "discharging")


@pytest.mark.parametrize("charge_below_offset", [False, True], ids=["documented", "inverted"])
def test_a_charging_bms_reads_positive_current_either_way(device, charge_below_offset):
    """The simulated BMS charges (cccv); its firmware counts charge above the offset
    (the default) or below it (its URL then says invert_current=1)."""
    dev = device("daly", profile="cccv", charge_below_offset=charge_below_offset)
    assert ("invert_current=1" in dev.url) == charge_below_offset
    with create_source(dev.url) as source:
        current = read_samples(source, 3)[-1]["current_a"]
    assert (current > 0).all()  # charging is positive in the canonical schema
    if charge_below_offset:  # without the option this firmware reads as discharging
        with create_source(dev.url.replace("&invert_current=1", "")) as source:
            assert (read_samples(source, 3)[-1]["current_a"] < 0).all()


def test_poll_s_must_be_positive():
    from app.core.errors import SourceError

    with pytest.raises(SourceError, match="poll_s"):
        create_source("serial:///dev/ttyUSB0?protocol=daly&poll_s=0")


def test_invert_current_flips_the_sign_for_units_that_count_the_other_way():
    pack = answer(daly.PACK, b"".join(x.to_bytes(2, "big") for x in (264, 0, 29800, 500)))
    assert daly.DalyDecoder(SourceHealth(), invert_current=True).feed(pack)[0]["current_a"] == 20.0
    source = create_source("serial:///dev/ttyUSB0?protocol=daly&invert_current=1")
    assert source.decoder.current_sign == -1.0
    with pytest.raises(Exception, match="invert_current"):
        create_source("serial:///dev/ttyUSB0?protocol=daly&invert_current=yes")
