"""Connection health: rates from the source's counters, errors and faults made visible."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.hardware.acquisition import AcquisitionState
from app.hardware.source import SourceHealth
from app.views.connection_health import (
    ConnectionHealthPanel,
    FaultBanner,
    HealthMonitor,
    HealthReading,
)
from app.views.live_session import SessionStatus

from .view_fakes import FailingSource

URL = "serial:///dev/ttyUSB0?protocol=daly&baud=9600&poll_s=1"
T0 = 1_800_000_000.0  # a wall-clock time


class FakeSession:
    """What the monitor reads of a LiveSession: a status and the acquisition's source."""

    def __init__(self):
        self.health = SourceHealth()
        self.status = SessionStatus(AcquisitionState.STREAMING, URL)
        self.acquisition = SimpleNamespace(source=SimpleNamespace(health=self.health))

    def set(self, **changes):
        fields = {**self.status.__dict__, **changes}
        self.status = SessionStatus(**fields)


@pytest.fixture
def rig(qtbot):
    clock = {"mono": 0.0, "wall": T0}
    session = FakeSession()
    monitor = HealthMonitor(session, clock=lambda: clock["mono"], wall_clock=lambda: clock["wall"])
    panel = ConnectionHealthPanel(wall_clock=lambda: clock["wall"])
    banner = FaultBanner(wall_clock=lambda: clock["wall"])
    monitor.updated.connect(panel.show_reading)
    monitor.updated.connect(banner.show_reading)
    qtbot.addWidget(panel)
    qtbot.addWidget(banner)

    def advance(seconds: float) -> HealthReading:
        clock["mono"] += seconds
        clock["wall"] += seconds
        return monitor.poll()

    return SimpleNamespace(session=session, monitor=monitor, panel=panel, banner=banner,
                           advance=advance, clock=clock)  # fmt: skip


def test_rates_follow_the_source_counters(rig):
    health = rig.session.health
    rig.advance(0)
    health.frames_ok, health.bytes_in = 10, 130
    rig.session.set(samples_total=10)
    rig.advance(0.5)
    health.frames_ok, health.bytes_in = 20, 260
    rig.session.set(samples_total=20)
    reading = rig.advance(0.5)
    assert reading.frames_per_s == pytest.approx(20.0)  # 20 frames over 1 s
    assert reading.bytes_per_s == pytest.approx(260.0)
    assert reading.samples_per_s == pytest.approx(20.0)
    metrics = rig.panel.metrics
    assert metrics["frames"].value.text() == "20.0"
    assert metrics["bytes"].value.text() == "260"
    assert metrics["samples"].value.text() == "20.0"
    assert metrics["total"].value.text() == "20"
    assert rig.panel.state_label.text() == "Streaming"
    assert rig.panel.state_label.property("state") == "streaming"


def test_rates_are_over_the_last_two_seconds(rig):
    health = rig.session.health
    rig.advance(0)
    health.frames_ok = 1000  # a burst long ago
    rig.advance(0.5)
    for _ in range(3):  # then 1 frame a second for 3 s
        health.frames_ok += 1
        rig.advance(1.0)
    assert rig.monitor.reading.frames_per_s == pytest.approx(1.0)  # the burst is out of the window


def test_bad_and_unknown_frames_and_the_last_error_are_shown(rig):
    health = rig.session.health
    rig.advance(0)
    health.frames_ok = 40
    health.count_unknown()
    rig.clock["wall"] = T0 + 100.0
    health.count_bad("bad checksum in frame a5 01 90 08")
    health.count_bad("bad checksum in frame a5 01 90 08")
    health.last_error_time = T0 + 95.5  # 5 s before the next poll
    rig.advance(0.5)
    metrics = rig.panel.metrics
    assert metrics["bad"].value.text() == "2" and metrics["bad"].value.property("problem") == "true"
    assert metrics["unknown"].value.text() == "1"
    error = rig.panel.error_label.text()
    assert error.endswith("bad checksum in frame a5 01 90 08") and "(5 s ago)" in error
    assert rig.banner.isHidden()  # bad frames are counted, not a lost connection


def test_decoder_warnings_are_the_last_error_and_all_listed(rig):
    health = rig.session.health
    rig.advance(0)
    left_out = "f_StringValuesP0 (0x243): its pack voltage 2.53 V is below a single cell's 4.055 V"
    health.warn("frames 0x35C decoded as CS_IsabellenhuetteIvtString0Curr (0x521)")
    health.warn(left_out)
    health.warn(left_out)  # said once
    reading = rig.advance(0.5)
    assert reading.warnings == (
        "frames 0x35C decoded as CS_IsabellenhuetteIvtString0Curr (0x521)",
        left_out,
    )
    assert rig.panel.error_label.text().endswith(left_out)
    tooltip = rig.panel.error_label.toolTip()
    assert "0x35C decoded as" in tooltip and left_out in tooltip
    assert rig.banner.isHidden()  # a doubt about the decoding, not a lost connection


def test_a_lost_connection_shows_the_banner_until_it_streams_again(qtbot, rig):
    rig.banner.show()
    health = rig.session.health
    rig.advance(0)
    health.note("/dev/ttyUSB0: device disconnected")
    health.last_error_time = rig.clock["wall"]
    rig.session.set(state=AcquisitionState.FAULT, retrying=True, last_error=health.last_error)
    rig.advance(1.0)
    rig.session.set(state=AcquisitionState.CONNECTING)  # between attempts: still lost
    rig.advance(3.0)
    assert rig.banner.isVisible()
    assert rig.banner.text() == (
        "Connection lost: /dev/ttyUSB0: device disconnected — reconnecting automatically "
        "(down 3 s, last try 4 s ago)"
    )
    assert rig.panel.state_label.text() == "Fault · reconnecting"
    assert rig.panel.state_label.property("state") == "fault"

    health.reconnects = 1
    rig.session.set(state=AcquisitionState.STREAMING, retrying=False)
    rig.advance(0.5)
    assert not rig.banner.isVisible()
    assert rig.panel.metrics["reconnects"].value.text() == "1"
    assert rig.panel.state_label.text() == "Streaming"


def test_a_source_that_gave_up_says_it_is_not_retrying(rig):
    rig.banner.show()
    rig.session.set(
        state=AcquisitionState.FAULT, retrying=False, last_error="cell7.csv: line 12: not a number"
    )
    rig.advance(0.5)
    assert rig.banner.text().startswith(
        "Source failed: cell7.csv: line 12: not a number — not retrying"
    )


def test_sources_without_frames_show_no_frame_rate(rig):
    rig.advance(0)
    rig.session.set(samples_total=100)  # a simulator: samples, never frames
    rig.advance(0.5)
    assert rig.panel.metrics["frames"].value.text() == "n/a"
    assert rig.panel.metrics["samples"].value.text() == "200.0"


def test_after_disconnect_the_panel_says_closed(rig):
    rig.advance(0)
    rig.session.acquisition = None
    rig.session.set(state=AcquisitionState.STOPPED)
    reading = rig.advance(0.5)
    assert reading.samples_per_s == 0.0
    assert rig.panel.state_label.text() == "Closed"


# --- in the main window --------------------------------------------------------------


def test_main_window_shows_a_failing_device_in_red(qtbot, make_window):
    window = make_window()
    assert window.health_dock.isVisible()
    window.connect_source("failing://port")
    banner = window.fault_banner
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=5_000)
    assert banner.text().startswith(f"Connection lost: failing://port: {FailingSource.MESSAGE}")
    assert window.health_panel.state_label.property("state") == "fault"
    window.session.stop()
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=5_000)
    assert window.health_panel.state_label.text() == "Closed"


def test_main_window_panel_counts_a_streaming_source(qtbot, make_window):
    window = make_window()
    window.connect_source("scripted://pack?n=0&block=10&interval=0.05")  # endless, ~200 samples/s
    samples = window.health_panel.metrics["samples"].value
    qtbot.waitUntil(lambda: float(samples.text().replace(",", "")) > 20, timeout=10_000)
    assert window.health_panel.state_label.text() == "Streaming"
    window.session.stop()
