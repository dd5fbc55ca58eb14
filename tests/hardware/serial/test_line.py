"""Generic line protocol: mappings (model, saving), CSV and key=value decoding."""

from __future__ import annotations

import pytest

from app.core.errors import SourceError
from app.hardware.registry import create_source
from app.hardware.serial.line import LineDecoder
from app.hardware.serial.line_mapping import (
    FieldMap,
    LineMapping,
    delete_mapping,
    list_mappings,
    load_mapping,
    save_mapping,
)
from app.hardware.source import SourceHealth
from tests.hardware.source_contract import read_samples

RIG = LineMapping(
    name="rig7",
    format="kv",
    fields=(FieldMap("U", "voltage_v", 0.001), FieldMap("I", "current_a", 0.01, -0.5)),
)


def decode(mapping: LineMapping, text: bytes, clock=None):
    health = SourceHealth()
    rows = LineDecoder(health, mapping, clock=clock).feed(text)
    return rows, health


def test_mapping_round_trips_through_dict_and_settings_dir():
    assert LineMapping.from_dict(RIG.to_dict()) == RIG
    path = save_mapping(RIG)
    assert path.parent.name == "line_mappings" and list_mappings() == ["rig7"]
    assert load_mapping("rig7") == RIG
    delete_mapping("rig7")
    with pytest.raises(SourceError, match="no saved line mapping 'rig7'"):
        load_mapping("rig7")


@pytest.mark.parametrize(
    ("inline", "message"),
    [
        ("U:voltage", "not a canonical column"),
        ("U", "field:column"),
        ("U:voltage_v:x", "numbers"),
        ("I:current_a", "voltage_v"),
        ("U:voltage_v,V:voltage_v", "mapped twice"),
        ("U:voltage_v:0", "non-zero scale"),
    ],
)
def test_bad_inline_mappings_are_named(inline, message):
    with pytest.raises(SourceError, match=message):
        LineMapping.parse_inline(inline)


def test_bad_mapping_names_are_refused():
    with pytest.raises(SourceError, match="name"):
        save_mapping(LineMapping("../evil", "csv", (FieldMap("1", "voltage_v"),)))


def test_key_value_lines_with_scale_and_offset():
    rows, health = decode(RIG, b"boot ok\r\nU=3701 I=150\r\nU: 3702, I: -50; T=20\nI=abc U=1\n")
    assert rows == [
        {"voltage_v": 3.701, "current_a": 1.0},
        {"voltage_v": 3.702, "current_a": -1.0},
    ]
    assert (health.frames_ok, health.frames_unknown, health.frames_bad) == (2, 1, 1)


def test_csv_by_position_and_by_header_name():
    by_pos = LineMapping.parse_inline("2:voltage_v:0.001,3:current_a")
    rows, _ = decode(by_pos, b"t,mV,A\n1,3700,0.5\n")
    assert rows == [{"voltage_v": 3.7, "current_a": 0.5}]
    by_name = LineMapping.parse_inline("mV:voltage_v:0.001,A:current_a")
    rows, health = decode(by_name, b"1,3700,0.5\nt,mV,A\n2,3690,-0.5\n")
    assert rows == [{"voltage_v": 3.69, "current_a": -0.5}]
    assert health.frames_unknown == 1  # the line before the header maps nothing


def test_device_time_keeps_its_spacing_from_the_first_arrival():
    clock = iter([100.0, 100.5, 101.0, 500.0]).__next__
    mapping = LineMapping.parse_inline("1:time_s:0.001,2:voltage_v")
    rows, _ = decode(mapping, b"1000,3.7\n1100,3.7\n1300,3.7\n0,3.7\n", clock=clock)
    assert [r["time_s"] for r in rows] == pytest.approx([100.0, 100.1, 100.3, 500.0])


def test_source_url_with_saved_mapping_and_format_override(device):
    save_mapping(
        LineMapping(
            "sim-rig",
            "kv",
            LineMapping.parse_inline("1:time_s:0.001,2:voltage_v:0.001,3:current_a:0.001").fields,
        )
    )
    with pytest.raises(SourceError, match="format"):
        create_source("serial:///dev/x?protocol=line&mapping=sim-rig&format=xml")
    with pytest.raises(SourceError, match="mapping=NAME"):
        create_source("serial:///dev/x?protocol=line")
    dev = device("line")
    url = dev.url.split("&")[0] + "&mapping=sim-rig&format=csv"
    with create_source(url) as source:
        blocks = read_samples(source, 3)
    assert sum(map(len, blocks)) >= 3
    assert 10 < blocks[-1]["voltage_v"][-1] < 15
