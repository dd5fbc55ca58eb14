"""IVT-S result frames on ids the DBC does not list: recognised strictly, or not at all."""

from __future__ import annotations

import pytest

from app.hardware.can.dbc import load_dbc
from app.hardware.can.ivt import relocated_ivt_ids


@pytest.fixture
def db(real_can):
    return load_dbc(str(real_can / "foxbms.dbc"))


def _results(result_id: int, n: int = 4, counting: bool = True) -> list[bytes]:
    return [
        bytes([result_id, (k * 5 if counting else 3) & 0x0F, 0, 0, 0x03, 0x3D]) for k in range(n)
    ]


TEMPERATURE_AT_ITS_ID = {0x525: [bytes([4, 3, 0, 0, 0, 0xD2])]}


def test_current_and_voltage_on_other_ids_are_found_beside_the_sensors_default_ids(db):
    moved = relocated_ivt_ids(db, {**TEMPERATURE_AT_ITS_ID, 0x35C: _results(0), 0x35D: _results(1)})
    assert {fid: m.name for fid, m in moved.items()} == {
        0x35C: "CS_IsabellenhuetteIvtString0Curr",
        0x35D: "CS_IsabellenhuetteIvtString0V1",
    }


@pytest.mark.parametrize(
    "frames",
    [
        {0x35C: _results(0)},  # no IVT-S seen at any of its DBC ids: no evidence of one
        {**TEMPERATURE_AT_ITS_ID, 0x35C: _results(0, counting=False)},  # counter stands still
        {**TEMPERATURE_AT_ITS_ID, 0x35C: _results(0) + [bytes([1, 2, 0, 0, 0, 0])]},  # mixed
        {**TEMPERATURE_AT_ITS_ID, 0x35C: [p + b"\0\0" for p in _results(0)]},  # 8 bytes
        {**TEMPERATURE_AT_ITS_ID, 0x35C: _results(0), 0x521: _results(0)},  # at its id too
        {**TEMPERATURE_AT_ITS_ID, 0x243: _results(0)},  # an id the DBC lists
    ],
)
def test_anything_less_is_not_taken_for_an_ivt_result(db, frames):
    assert relocated_ivt_ids(db, frames) == {}
