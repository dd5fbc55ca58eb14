"""Unplugged adapters, garbage-spewing ports, reconnects: a state and a message,
a gap in the recording, nothing before it lost."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from app.core.errors import SourceError
from app.core.samples import SampleBlock
from app.hardware.acquisition import AcquisitionState, AcquisitionThread
from app.hardware.devsim.pty_device import StreamingDevice
from app.hardware.registry import create_source
from app.hardware.source import SourceState
from tests.hardware.source_contract import read_samples


def wait_until(predicate, timeout_s: float = 10.0) -> bool:
    """Poll ``predicate`` (like qtbot.waitUntil); False if it never became true."""
    pause = threading.Event()
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        pause.wait(0.01)
    return True


class GarbageDevice(StreamingDevice):
    """A port full of noise (a wrong baud rate looks like this)."""

    protocol = "vedirect"

    def transmission(self) -> bytes:
        return os.urandom(64)


def test_a_vanished_port_is_a_fault_with_a_message(device):
    dev = device("vedirect")
    source = create_source(dev.url)
    with source:
        assert read_samples(source, 2)
        dev.stop()
        with pytest.raises(SourceError, match="stopped working"):
            for _ in range(50):
                source.read(0.1)
        assert source.state == SourceState.FAULT
        assert dev.port in source.last_error


def test_a_garbage_port_is_a_fault_naming_what_arrived():
    with GarbageDevice(period_s=0.005) as dev:
        source = create_source(dev.url + "&timeout_s=0.3")
        with source:
            with pytest.raises(SourceError, match="no valid VE.Direct block in 0.3 s"):
                for _ in range(100):
                    assert source.read(0.1) is None
            assert source.state == SourceState.FAULT
        assert source.health.frames_bad > 0 and source.health.bytes_in > 0
        assert "wrong port, protocol or baud rate" in source.last_error


def test_a_silent_daly_bms_is_a_fault():
    with GarbageDevice(period_s=3600) as dev:  # sends once, then nothing, answers nothing
        source = create_source(dev.url.replace("vedirect", "daly") + "&timeout_s=0.3")
        with source, pytest.raises(SourceError, match="no valid Daly frame"):
            for _ in range(100):
                source.read(0.1)


def test_replugged_adapter_reconnects_with_a_gap_and_keeps_what_came_before(device, tmp_path):
    link = tmp_path / "ttyUSB0"
    first = device("vedirect")
    link.symlink_to(first.port)
    source = create_source(f"serial://{link}?protocol=vedirect")
    blocks: list[SampleBlock] = []
    acq = AcquisitionThread(source, [blocks.append], reconnect_initial_s=0.02)
    acq.start()
    try:
        assert wait_until(lambda: sum(map(len, blocks)) >= 3)
        first.stop()  # unplugged
        assert wait_until(lambda: acq.state != AcquisitionState.STREAMING)
        before = SampleBlock.concat(list(blocks))
        second = device("vedirect")  # plugged in again (maybe another pts number)
        tmp = tmp_path / "new"
        tmp.symlink_to(second.port)
        os.replace(tmp, link)
        assert wait_until(lambda: sum(map(len, blocks)) >= len(before) + 3)
    finally:
        acq.stop()
    after = SampleBlock.concat(blocks)
    # nothing before the gap changed or got lost
    np.testing.assert_array_equal(after["voltage_v"][: len(before)], before["voltage_v"])
    t = after["time_s"]
    assert np.all(np.diff(t) >= 0)
    (gap_from, gap_to), *_ = source.gaps
    assert gap_from == pytest.approx(before["time_s"][-1])
    assert t[len(before)] >= gap_to > gap_from
    assert source.health.reconnects >= 1
    assert source.describe()["serial"]["gaps_s"][0] == [gap_from, gap_to]


def test_a_port_in_use_is_refused_with_a_message(device):
    dev = device("jk")
    with create_source(dev.url):
        second = create_source(dev.url)
        with pytest.raises(SourceError, match="cannot open .*(busy|lock)"):
            second.open()
        assert second.state == SourceState.FAULT


def test_a_missing_port_is_refused_with_the_reason_said_once(tmp_path):
    """pyserial's words came whole after ours: "cannot open /dev/ttyUSB9: could not open
    port /dev/ttyUSB9: [Errno 2] No such file or directory: '/dev/ttyUSB9'"."""
    port = tmp_path / "ttyUSB9"
    source = create_source(f"serial://{port}?protocol=vedirect")
    with pytest.raises(SourceError) as refused:
        source.open()
    assert str(refused.value).endswith(f": cannot open {port}: No such file or directory")
