"""Connection health: rates from the source's counters, errors and faults made visible."""

from __future__ import annotations

import os
import re
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QSize, Qt

from app.hardware.acquisition import AcquisitionState, ReconnectStatus
from app.hardware.devsim import start_device
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
        self.status = SessionStatus(AcquisitionState.STREAMING, URL, opened=True)
        self.acquisition = SimpleNamespace(
            source=SimpleNamespace(health=self.health), reconnect_status=ReconnectStatus()
        )

    def set(self, **changes):
        fields = {**self.status.__dict__, **changes}
        self.status = SessionStatus(**fields)


@pytest.fixture
def rig(qtbot):
    clock = {"mono": 0.0, "wall": T0}
    session = FakeSession()
    monitor = HealthMonitor(session, clock=lambda: clock["mono"], wall_clock=lambda: clock["wall"])
    panel = ConnectionHealthPanel(wall_clock=lambda: clock["wall"])
    banner = FaultBanner()
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


def test_a_slow_source_has_its_rate_not_zero(rig):
    """A VE.Direct monitor gives a sample every 2-3 s: 2 s of polls held one sample or
    none, and the panel read 0.0 samples/s (or 0.5, by the poll). The rate is of the
    last polls that saw samples, steady at the source's; once it stops it is 0."""
    rig.advance(0)
    seen = []
    for k in range(1, 121):  # 60 s of polls, a sample every 3 s
        if k % 6 == 0:
            rig.session.set(samples_total=rig.session.status.samples_total + 1)
        reading = rig.advance(0.5)
        if k > 24:  # after the first 12 s
            seen.append(reading.samples_per_s)
    assert min(seen) == pytest.approx(1 / 3, abs=0.04)
    assert max(seen) == pytest.approx(1 / 3, abs=0.04)
    assert rig.panel.metrics["samples"].value.text() == "0.3"
    for _ in range(20):  # it stops: within 3 of its intervals the rate is 0
        reading = rig.advance(0.5)
    assert reading.samples_per_s == 0.0


def test_a_fast_source_that_stops_reads_zero_within_the_window(rig):
    rig.advance(0)
    for _ in range(20):  # 200 samples/s for 10 s
        rig.session.set(samples_total=rig.session.status.samples_total + 100)
        assert rig.advance(0.5).samples_per_s == pytest.approx(200.0)
    readings = [rig.advance(0.5).samples_per_s for _ in range(5)]
    assert readings[-1] == 0.0 and readings[2] < 100  # as before: the last 2 s


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
    rig.panel.show()
    health = rig.session.health
    rig.advance(0)
    health.note("/dev/ttyUSB0: device disconnected")
    health.last_error_time = rig.clock["wall"]
    rig.session.set(state=AcquisitionState.FAULT, retrying=True, last_error=health.last_error)
    rig.session.acquisition.reconnect_status = ReconnectStatus(attempt=3, retry_in_s=3.2)
    rig.advance(1.0)
    rig.advance(3.0)
    assert rig.banner.isVisible() and rig.banner.retry_button.isVisible()
    assert rig.banner.text() == (
        "Connection lost: /dev/ttyUSB0: device disconnected. "
        "Reconnecting in 4 s (attempt 3) · down 3 s"
    )
    assert rig.panel.state_label.text() == "Fault"  # (the countdown is beside it)
    assert rig.panel.state_label.property("state") == "fault"
    assert rig.panel.retry_label.text() == "Reconnecting in 4 s (attempt 3)"
    assert rig.panel.retry_button.isVisible()

    rig.session.set(state=AcquisitionState.CONNECTING)  # the attempt runs: still lost
    rig.session.acquisition.reconnect_status = ReconnectStatus(attempt=3)
    rig.advance(0.5)
    assert rig.banner.text().endswith("Reconnecting now (attempt 3) · down 4 s")

    health.reconnects = 1
    rig.session.set(state=AcquisitionState.STREAMING, retrying=False)
    rig.session.acquisition.reconnect_status = ReconnectStatus()
    rig.advance(0.5)
    assert not rig.banner.isVisible()
    assert not rig.panel.retry_button.isVisible() and not rig.panel.retry_label.isVisible()
    assert rig.panel.metrics["reconnects"].value.text() == "1"
    assert rig.panel.state_label.text() == "Streaming"


def test_a_port_that_never_opened_says_so_not_that_a_connection_was_lost(rig):
    """A serial port that does not exist: the banner said "Connection lost: … · down 8 s"
    of a port that was never open. It is tried again (an adapter plugged in late), and
    says so; the URL before the reason is in the tooltip, not the line."""
    rig.banner.show()
    rig.panel.show()
    rig.advance(0)
    error = f"{URL}: cannot open /dev/ttyUSB0: No such file or directory"
    rig.session.set(state=AcquisitionState.FAULT, retrying=True, last_error=error, opened=False)
    rig.session.acquisition.reconnect_status = ReconnectStatus(attempt=5, retry_in_s=7.2)
    rig.advance(2.0)
    rig.advance(3.0)
    assert rig.banner.text() == (
        "Could not open the source: cannot open /dev/ttyUSB0: No such file or directory. "
        "Retrying in 8 s (attempt 5)"
    )
    assert error in rig.banner.label.toolTip()
    assert rig.banner.retry_button.isVisible() and rig.banner.stop_button.isVisible()
    assert rig.panel.state_label.text() == "Not opened"
    assert rig.panel.state_label.property("state") == "fault"
    assert rig.panel.retry_label.text() == "Retrying in 8 s (attempt 5)"
    # no rates of a source that never sent anything: their room goes to the error
    assert not rig.panel.metrics["samples"].isVisible()
    assert rig.panel.metrics["total"].isVisible()

    rig.session.set(state=AcquisitionState.STREAMING, retrying=False, opened=True)
    rig.session.acquisition.reconnect_status = ReconnectStatus()
    rig.advance(0.5)
    assert not rig.banner.isVisible() and rig.panel.metrics["samples"].isVisible()
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
    assert rig.banner.retry_button.isHidden()  # nothing to retry


def test_sources_without_frames_show_no_frame_rate(rig):
    rig.advance(0)
    rig.session.set(samples_total=100)  # a simulator: samples, never frames
    rig.advance(0.5)
    assert rig.panel.metrics["frames"].value.text() == "n/a"
    assert rig.panel.metrics["samples"].value.text() == "200.0"


def test_a_finished_source_has_no_rate(rig):
    # the last two seconds' average read 3,744.7 samples/s beside "Finished"
    rig.advance(0)
    rig.session.set(samples_total=100)
    assert rig.advance(0.5).samples_per_s == pytest.approx(200.0)
    rig.session.set(state=AcquisitionState.FINISHED)
    reading = rig.advance(0.5)
    assert reading.samples_per_s == 0.0
    assert rig.panel.metrics["samples"].value.text() == "0.0"


def test_the_status_bar_shows_the_panels_samples_per_second(qtbot, make_window):
    """One rate: the status bar's samples/s was the acquisition's own 1 s average
    (16,104.3 beside the panel's 12,801.9; 0.0 beside 3,744.7 once finished)."""
    window = make_window()
    window.connect_source("scripted://pack?n=0&block=10&interval=0.05")  # endless
    panel, bar = window.health_panel.metrics["samples"].value, window.status_bar.rate_label
    qtbot.waitUntil(lambda: float(panel.text().replace(",", "")) > 20, timeout=10_000)
    window.health_monitor.poll()
    assert bar.text() == f"{panel.text()} samples/s"
    window.connect_source("scripted://pack?n=300")  # over in a moment
    qtbot.waitUntil(lambda: window.session.status.state is AcquisitionState.FINISHED)
    window.health_monitor.poll()
    assert bar.text() == "0.0 samples/s" and panel.text() == "0.0"


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
    assert banner.text().startswith(f"Could not open the source: {FailingSource.MESSAGE}. Retry")
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


COUNTDOWN = re.compile(r"Reconnecting in (\d+(?:\.\d)?) s \(attempt (\d+)\)")


@pytest.fixture
def adapter(tmp_path):
    """A VE.Direct device on a real pty behind a stable name (like /dev/serial/by-id/...):
    ``unplug()`` closes the pty, ``plug()`` starts a new one under the same name."""
    link = tmp_path / "ttyUSB0"
    devices = []

    def plug():
        dev = start_device("vedirect", period_s=0.02, speed=1.0)
        devices.append(dev)
        tmp = tmp_path / "new-link"
        tmp.symlink_to(dev.port)
        os.replace(tmp, link)

    plug()
    yield SimpleNamespace(
        url=f"serial://{link}?protocol=vedirect", plug=plug, unplug=lambda: devices[-1].stop()
    )
    for dev in devices:
        dev.stop()


def test_an_unplugged_adapter_shows_the_countdown_then_reconnects(qtbot, make_window, adapter):
    window = make_window()
    window.connect_source(adapter.url)
    panel, banner = window.health_panel, window.fault_banner
    qtbot.waitUntil(lambda: panel.state_label.text() == "Streaming", timeout=10_000)
    before = window.session.status.samples_total
    assert before > 0

    adapter.unplug()
    qtbot.waitUntil(
        lambda: banner.isVisible() and bool(COUNTDOWN.search(banner.text())), timeout=10_000
    )
    assert banner.text().startswith("Connection lost: ")
    assert COUNTDOWN.fullmatch(panel.retry_label.text())
    assert banner.retry_button.isVisible() and panel.retry_button.isVisible()
    # the countdown moves on: attempts fail (the port is gone) and the next one is announced
    first = int(COUNTDOWN.search(banner.text()).group(2))
    qtbot.waitUntil(
        lambda: bool(m := COUNTDOWN.search(banner.text())) and int(m.group(2)) > first,
        timeout=10_000,
    )

    adapter.plug()  # the same name again: the next attempt finds it
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=15_000)
    qtbot.waitUntil(lambda: panel.state_label.text() == "Streaming", timeout=5_000)
    assert panel.metrics["reconnects"].value.text() == "1"
    assert window.session.acquisition.source.gaps  # the time away is a gap, not data
    qtbot.waitUntil(lambda: window.session.status.samples_total > before + 3, timeout=10_000)
    window.session.stop()


def test_retry_now_reconnects_without_waiting_out_the_back_off(qtbot, make_window, adapter):
    window = make_window(reconnect_initial_s=50.0)  # only Retry now can reconnect in time
    window.connect_source(adapter.url)
    banner = window.fault_banner
    qtbot.waitUntil(lambda: window.health_panel.state_label.text() == "Streaming", timeout=10_000)
    adapter.unplug()
    qtbot.waitUntil(
        lambda: banner.isVisible() and bool(COUNTDOWN.search(banner.text())), timeout=10_000
    )
    seconds, attempt = map(int, COUNTDOWN.search(banner.text()).groups())
    assert attempt == 1 and 40 < seconds <= 50

    adapter.plug()
    qtbot.mouseClick(banner.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=10_000)
    assert window.health_panel.metrics["reconnects"].value.text() == "1"
    window.session.stop()


def test_a_reversed_current_is_shown_on_the_panel(rig):
    rig.panel.show()
    rig.advance(0)
    assert rig.panel.sign_label.isHidden()
    rig.session.current_sign_warning = lambda: "the current's sign looks reversed (...)"
    reading = rig.advance(0.5)
    assert reading.current_sign_warning.startswith("the current's sign looks reversed")
    assert rig.panel.sign_label.isVisible()
    assert rig.panel.sign_label.full_text().startswith("Current sign: the current's sign looks")


@pytest.mark.parametrize("invert", [False, True])
def test_main_window_warns_of_a_log_with_discharge_positive(qtbot, make_window, tmp_path, invert):
    import pandas as pd

    from app.core.spec import preset
    from app.hardware.simulator.pack import simulate

    spec = preset("nmc", capacity_ah=5).with_overrides(series_cells=3)
    frame = simulate(spec, "hppc", 5400.0, 1.0, 2).to_frame()
    path = tmp_path / "discharge_positive.csv"
    pd.DataFrame(
        {"time": frame["time_s"], "volts": frame["voltage_v"], "amps": -frame["current_a"]}
    ).to_csv(path, index=False)
    window = make_window()
    url = f"file://{path}?chemistry=nmc&capacity_ah=5&cells=3" + ("&invert_current=1" * invert)
    window.connect_source(url)
    panel = window.health_panel
    qtbot.waitUntil(lambda: window.session.live_report() is not None, timeout=10_000)
    qtbot.waitUntil(
        lambda: window.session.status.state is AcquisitionState.FINISHED, timeout=10_000
    )
    window.health_monitor.poll()
    if invert:
        assert panel.sign_label.isHidden()
    else:
        assert panel.sign_label.isVisible()
        assert "--invert-current" in panel.sign_label.toolTip()  # (cut to two lines)
    window.session.stop()


def test_a_missing_port_does_not_widen_the_window_and_can_be_stopped(qtbot, make_window, tmp_path):
    """A serial port that does not exist, at 1024 x 700: its long error set the window's
    least width to 1240 px (the window grew off a 1024 px screen, and stayed so after the
    next good connection), and the banner said "Connection lost" of a port never open."""
    window = make_window()
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.size() == QSize(1024, 700))
    port = tmp_path / "ttyUSB9"
    url = f"serial://{port}?protocol=vedirect&chemistry=lfp&cells=4&capacity_ah=100"
    assert window.connect_source(url) is None
    banner, panel = window.fault_banner, window.health_panel
    qtbot.waitUntil(lambda: banner.isVisible() and panel.retry_label.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: panel.error_label.shown_text().endswith("…"))  # cut to its room
    assert window.minimumSizeHint().width() <= 1024 and window.width() == 1024
    assert banner.text().startswith(
        f"Could not open the source: cannot open {port}: No such file or directory. Retrying "
    )
    assert url in panel.error_label.toolTip() and url in banner.label.toolTip()
    assert banner.label.height() <= 2 * banner.label.fontMetrics().lineSpacing() + 2

    assert window.connect_source("scripted://pack?n=0&interval=0.01&block=10") is None
    qtbot.waitUntil(lambda: panel.state_label.text() == "Streaming", timeout=10_000)
    assert window.minimumSizeHint().width() <= 1024 and window.width() == 1024

    window.connect_source(url)
    qtbot.waitUntil(lambda: banner.stop_button.isVisible(), timeout=10_000)
    qtbot.mouseClick(banner.stop_button, Qt.MouseButton.LeftButton)  # no more attempts
    assert window.session.acquisition is None and not banner.isVisible()
    assert panel.state_label.text() == "Closed"
