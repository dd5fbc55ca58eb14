"""Serial URLs as the connection dialog builds them: defaults, validation, messages."""

from __future__ import annotations

import pytest

from app.core.errors import SourceError
from app.hardware.registry import create_source
from tests.hardware.source_contract import read_samples
from tests.real_data import REAL_DATA

needs_real = pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")


@pytest.mark.parametrize(
    ("url", "cls", "baud"),
    [
        ("serial:///dev/ttyUSB0?protocol=vedirect", "VEDirectSource", 19200),
        ("serial:///dev/ttyUSB0?protocol=daly&baud=9600&poll_s=1", "DalySource", 9600),
        ("serial:///dev/ttyUSB0?protocol=jk&baud=115200", "JKSource", 115200),
        ("serial://COM3?protocol=jk", "JKSource", 115200),
        ("serial:///dev/ttyUSB0?protocol=line&baud=57600&map=1:voltage_v", "LineSource", 57600),
    ],
)
def test_documented_urls_build_closed_sources(url, cls, baud):
    source = create_source(url)
    assert type(source).__name__ == cls and source.baud == baud
    assert source.device in ("/dev/ttyUSB0", "COM3")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("serial:///dev/ttyUSB0", "no protocol given.*protocol=vedirect"),
        ("serial:///dev/ttyUSB0?protocol=modbus", "protocol 'modbus' is unknown"),
        ("serial:///dev/ttyUSB0?protocol=vedirect&poll_s=1", r"unknown parameter\(s\) poll_s"),
        ("serial:///dev/ttyUSB0?protocol=jk&baud=fast", "baud"),
        ("serial:///dev/ttyUSB0?protocol=jk&baud=0", "baud=0"),
        ("serial:///dev/ttyUSB0?protocol=jk&layout=48s", "layout"),
        ("serial:///dev/ttyUSB0?protocol=vedirect&timeout_s=-1", "timeout_s"),
        ("serial://?protocol=vedirect", "no serial device"),
        ("serial:///dev/ttyUSB0?protocol=line&mapping=nope", "no saved line mapping 'nope'"),
    ],
)
def test_bad_urls_name_the_problem(url, message):
    with pytest.raises(SourceError, match=message):
        create_source(url)


@needs_real
def test_the_real_bmv702_capture_replayed_over_a_pty(device):
    dev = device("vedirect", replay=str(REAL_DATA / "vedirect" / "bmv702.dump"))
    with create_source(dev.url) as source:
        blocks = read_samples(source, 10)
        fields = source.describe()["serial"]["device_fields"]
    v = [x for b in blocks for x in b["voltage_v"]]
    assert len(v) >= 10 and all(12.0 < x < 12.2 for x in v)
    assert source.health.frames_bad == 0
    assert fields["BMV"] == "700" and "H17" in fields


@needs_real
def test_the_real_jk_capture_replayed_over_a_pty(device):
    dev = device("jk", replay=str(REAL_DATA / "bms" / "batmon_jk_issue365_status.bin"))
    with create_source(dev.url) as source:
        blocks = read_samples(source, 3)
        bms = source.describe()["serial"]["bms"]
    assert blocks[-1]["current_a"][-1] == pytest.approx(33.292)
    assert bms["model"] == "JK_B2A8S20P" and bms["cycles"] == 427
    assert source.health.frames_bad == 0
