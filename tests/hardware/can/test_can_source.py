"""The CAN source: the source contract on virtual and slcan-over-pty, URL errors,
unknown and garbage frames counted, raw-frame logs, faults and reconnects."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.core.errors import SourceError
from app.hardware.acquisition import AcquisitionState, AcquisitionThread
from app.hardware.can.devsim import start_foxbms, start_pylontech
from app.hardware.can.slcan_device import SlcanPtyDevice
from app.hardware.registry import create_source
from app.hardware.source import SourceState
from tests.hardware.can.conftest import send, status_frames
from tests.hardware.source_contract import SourceContract, read_samples

SIM = "sim://lfp?cells=16&capacity_ah=100&rate_hz=20&speed=1"


class TestPylontechOnVirtual(SourceContract):
    @pytest.fixture
    def source_url(self):
        with start_pylontech(sim_url=SIM) as device:
            yield device.url


class TestPylontechOverSlcanPty(SourceContract):
    @pytest.fixture
    def source_url(self):
        with start_pylontech(interface="slcan", sim_url=SIM) as device:
            assert device.url.startswith("can://slcan/dev/")
            yield device.url


class TestFoxbmsDbcOnVirtual(SourceContract):
    @pytest.fixture
    def source_url(self, real_can):
        with start_foxbms(
            log=str(real_can / "foxbms_can-log.trc"), dbc=str(real_can / "foxbms.dbc"), speed=20
        ) as device:
            yield device.url


def test_pylontech_values_arrive_in_si_with_the_charging_sign(virtual_bus):
    bus, channel = virtual_bus
    with create_source(f"can://virtual/{channel}?protocol=pylontech") as source:
        send(bus, status_frames(voltage_v=52.34, current_a=-12.5))
        send(bus, status_frames(voltage_v=52.30, current_a=8.0))
        blocks = read_samples(source, 2)
        status = source.status
    v = np.concatenate([b["voltage_v"] for b in blocks])
    i = np.concatenate([b["current_a"] for b in blocks])
    assert v.tolist() == pytest.approx([52.34, 52.30])
    assert i.tolist() == pytest.approx([-12.5, 8.0])
    assert status["cell_max_v"] == pytest.approx(3.262)
    assert source.health.frames_ok == 14 and source.health.bytes_in > 0


def test_foxbms_replay_decodes_cells_temperatures_pack_voltage_and_current(real_can):
    with (
        start_foxbms(
            log=str(real_can / "foxbms_can-log.trc"), dbc=str(real_can / "foxbms.dbc"), speed=20
        ) as device,
        create_source(device.url) as source,
    ):
        blocks = read_samples(source, 5)
        mapping = source.mapping
    last = blocks[-1]
    assert last["voltage_v"][-1] == pytest.approx(63.93)
    assert last["current_a"][-1] == 0.0
    assert 1.9 < last["cell_9_v"][-1] < 2.1
    assert last["cell_7_temp_c"][-1] == 25.0
    assert mapping is not None and mapping.trigger_message == "f_StringValuesP0"


def test_saved_mapping_named_in_the_url(real_can, virtual_bus):
    from app.hardware.can.mapping import CanMapping, SignalMap

    bus, channel = virtual_bus
    CanMapping(
        "evtv",
        [
            SignalMap("BMS_STATUS", "PACKVOLTS", "voltage_v"),
            SignalMap("BMS_STATUS", "PACKAMPS", "current_a", -1.0),
        ],
    ).save()
    dbc = real_can / "savvycan_bms.dbc"
    from app.hardware.can.dbc import load_dbc

    msg = load_dbc(str(dbc)).get_message_by_name("BMS_STATUS")
    values = {s.name: 0 for s in msg.signals} | {"PACKVOLTS": 48.5, "PACKAMPS": 3.25}
    with create_source(f"can://virtual/{channel}?dbc={dbc}&mapping=evtv") as source:
        send(bus, [(msg.frame_id, msg.encode(values))])
        (block,) = read_samples(source, 1)
    assert block["voltage_v"][0] == pytest.approx(48.5)
    assert block["current_a"][0] == pytest.approx(-3.25)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("can://virtual/x?protocol=pylontech&bitrat=500000&foo=1", "bitrat, foo"),
        ("can://nosuchbus/x?protocol=pylontech", "unknown CAN interface 'nosuchbus'"),
        ("can://virtual/x", "protocol=pylontech or dbc="),
        ("can://virtual/x?protocol=pylontech&byte_order=middle", "little or big"),
        ("can://virtual/x?protocol=pylontech&log=/tmp/x.txt", "log= must end in"),
        ("can://virtual/x?protocol=pylontech&bitrate=fast", "bitrate='fast'"),
        ("can://virtual/?protocol=pylontech", "no channel"),
    ],
)
def test_bad_urls_name_the_problem(url, words):
    with pytest.raises(SourceError, match=words.replace("(", r"\(").replace("?", r"\?")):
        create_source(url)


def test_a_missing_dbc_fails_at_open_with_the_path(tmp_path):
    source = create_source(f"can://virtual/x?dbc={tmp_path}/none.dbc")
    with pytest.raises(SourceError, match="no such DBC"):
        source.open()
    assert source.state == SourceState.FAULT and "none.dbc" in source.last_error


def test_unknown_and_malformed_frames_are_counted_and_skipped(virtual_bus):
    bus, channel = virtual_bus
    with create_source(f"can://virtual/{channel}?protocol=pylontech") as source:
        send(bus, [(0x305, bytes(8)), (0x18FF50E5, bytes(8)), (0x356, b"\x01")])
        send(bus, status_frames())
        (block,) = read_samples(source, 1)
    assert len(block) == 1
    assert source.health.frames_unknown == 2
    assert source.health.frames_bad == 1
    assert "0x356" in source.health.last_error


def test_slcan_garbage_lines_are_counted_and_skipped():
    import can

    channel = f"slcan-garbage-{id(object())}"
    with SlcanPtyDevice(channel) as device:
        bus = can.Bus(interface="virtual", channel=channel)
        try:
            url = f"can://slcan{device.port}?protocol=pylontech&sleep_after_open=0"
            with create_source(url) as source:
                assert device.wait_open(5)
                assert any(c.startswith("S6") for c in device.commands)  # 500 kbit/s asked
                device.inject(b"t3Z58GARBAGE!\r")  # id not hex: garbled
                device.inject(b"t35620102\r")  # a 0x356 two bytes short
                send(bus, status_frames(voltage_v=50.0))
                (block,) = read_samples(source, 1)
        finally:
            bus.shutdown()
    assert block["voltage_v"][0] == pytest.approx(50.0)
    assert source.health.frames_bad == 2


@pytest.mark.parametrize("suffix", [".asc", ".blf", ".log"])
def test_raw_frames_are_logged_while_streaming_and_the_log_reads_back(
    tmp_path, virtual_bus, suffix
):
    from app.hardware.logs.formats import open_log

    bus, channel = virtual_bus
    path = tmp_path / f"raw{suffix}"
    with create_source(f"can://virtual/{channel}?protocol=pylontech&log={path}") as source:
        for k in range(3):
            send(bus, status_frames(voltage_v=51.0 + k))
        read_samples(source, 3)
    log = open_log(str(path))
    assert log.frame["voltage_v"].tolist() == pytest.approx([51.0, 52.0, 53.0])
    assert log.metadata["decoded_with"] == "BMS CAN protocol"


class Collect:
    def __init__(self, until):
        self.blocks = []
        self.until = until
        self.reached = threading.Event()

    def __call__(self, block):
        self.blocks.append(block)
        if self.until(self):
            self.reached.set()


def test_a_lost_bus_faults_reconnects_and_leaves_a_gap_with_nothing_lost(tmp_path):
    log = tmp_path / "raw.log"
    with start_pylontech(sim_url=SIM) as device:
        source = create_source(device.url + f"&log={log}")
        first = Collect(lambda c: sum(map(len, c.blocks)) >= 3)
        acq = AcquisitionThread(source, [first], reconnect_initial_s=0.05)
        acq.start()
        try:
            assert first.reached.wait(10)
            before = sum(map(len, first.blocks))
            # the adapter disappears under the source (like a USB adapter unplugged)
            source._bus.shutdown()
            more = sum(map(len, first.blocks)) + 3
            first.until = lambda c: (
                source.health.reconnects >= 1 and sum(map(len, c.blocks)) >= more
            )
            first.reached.clear()
            assert first.reached.wait(10), acq.last_error
        finally:
            acq.stop()
    assert acq.state == AcquisitionState.STOPPED
    assert "closed bus" in (source.last_error or "")
    assert len(source.gaps) == 1
    t = np.concatenate([b["time_s"] for b in first.blocks])
    assert len(t) >= before + 3 and np.all(np.diff(t) >= 0)
    # the raw-frame log was kept across the reconnect, closed at the end
    assert log.read_text().count("#") >= 7 * len(t)


def test_an_unplugged_slcan_adapter_is_a_fault_with_its_error_kept():
    with start_pylontech(interface="slcan", sim_url=SIM) as device:
        source = create_source(device.url)
        source.open()
        try:
            assert read_samples(source, 1)
            device.stop()  # the pty disappears
            with pytest.raises(SourceError):
                for _ in range(50):
                    source.read(0.1)
            assert source.state == SourceState.FAULT
            with pytest.raises(SourceError, match="cannot open slcan"):
                source.close()
                source.open()
        finally:
            source.close()
            source.close()


def test_error_frames_are_bad_and_bus_off_is_a_fault(virtual_bus):
    import can

    bus, channel = virtual_bus
    source = create_source(f"can://virtual/{channel}?protocol=pylontech")
    with source:
        bus.send(can.Message(arbitration_id=0x004, is_error_frame=True, data=bytes(8)))
        send(bus, status_frames())
        assert read_samples(source, 1)
        assert source.health.frames_bad == 1
        bus.send(can.Message(arbitration_id=0x040, is_error_frame=True, data=bytes(8)))
        with pytest.raises(SourceError, match="bus-off"):
            source.read(1.0)
        assert source.state == SourceState.FAULT
