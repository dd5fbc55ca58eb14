"""CAN tests: every bus, simulator and pty is shut down; no thread is left running."""

from __future__ import annotations

import itertools
import os
import threading

import pytest

from tests.real_data import REAL_DATA


@pytest.fixture(autouse=True)
def no_dangling_threads():
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"


@pytest.fixture
def real_can():
    if REAL_DATA is None or not (REAL_DATA / "can" / "foxbms.dbc").is_file():
        pytest.skip("real CAN data not found")
    return REAL_DATA / "can"


@pytest.fixture
def saved_string_mapping(monkeypatch, tmp_path) -> str:
    """A mapping the user saved that reads foxBMS's string values (which the real
    text log's frames do not match): its name."""
    from app.hardware.can.mapping import CanMapping, SignalMap

    monkeypatch.setenv("BATTERYOS_CONFIG_DIR", str(tmp_path))
    CanMapping(
        "strings",
        [
            SignalMap("f_StringValuesP0", "Voltage", "voltage_v"),
            SignalMap("f_StringValuesP0", "Current", "current_a", scale=-1.0),
            SignalMap("f_CellVoltages", "CellVoltage_000", "cell_1_v", scale=0.001),
        ],
    ).save()
    return "strings"


@pytest.fixture
def virtual_bus():
    """A python-can virtual bus on a fresh channel: (bus, channel)."""
    import can

    channel = f"test-{os.getpid()}-{next(_ids)}"
    bus = can.Bus(interface="virtual", channel=channel)
    yield bus, channel
    bus.shutdown()


_ids = itertools.count()


def send(bus, frames):
    """Send (id, data) pairs on ``bus``."""
    import can

    for fid, data in frames:
        bus.send(can.Message(arbitration_id=fid, data=data, is_extended_id=fid > 0x7FF))


def status_frames(voltage_v=52.0, current_a=-12.5, **kw):
    from app.hardware.can.pylontech import encode_frames

    values = dict(
        voltage_v=voltage_v,
        current_a=current_a,
        temperature_c=24.5,
        soc_pct=81,
        soh_pct=97,
        cell_min_v=3.251,
        cell_max_v=3.262,
        cell_min_temp_c=22.0,
        cell_max_temp_c=27.0,
        charge_voltage_limit_v=56.8,
        charge_current_limit_a=50.0,
        discharge_current_limit_a=100.0,
        discharge_voltage_limit_v=44.8,
    )
    values.update(kw)
    return encode_frames(**values)
