"""``sim://``: the source contract, URL parsing, pacing and the acquisition thread."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from app.core.errors import SourceError
from app.core.ringbuffer import RingBuffer
from app.core.samples import SampleBlock
from app.core.spec import Chemistry, preset
from app.hardware.acquisition import AcquisitionState, AcquisitionThread
from app.hardware.registry import create_source
from app.hardware.simulator import simulate
from app.hardware.simulator.source import FAST_BLOCK, SimulatorSource
from app.hardware.source import SourceState


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def threads():
    """Acquisition threads started by a test; the test fails if one is left running."""
    started: list[AcquisitionThread] = []
    yield started
    alive = [t for t in started if t.running]
    for t in alive:
        t.stop(5.0)
    assert not alive, "a test left an acquisition thread running"


def drain(src) -> SampleBlock:
    blocks = []
    while not src.exhausted:
        block = src.read(0.5)
        if block is not None:
            blocks.append(block)
    return SampleBlock.concat(blocks)


def test_default_url_streams_the_demo_pack():
    src = create_source("sim://nmc?cells=4")
    assert isinstance(src, SimulatorSource)
    assert src.state is SourceState.CLOSED and not src.finite
    src.clock = FakeClock()
    src.open()
    try:
        assert src.state is SourceState.STREAMING
        block = src.read(0)
        assert len(block) == 1 and block["time_s"][0] == 0
        expected = {"time_s", "voltage_v", "current_a", "temperature_c", "step_index"}
        assert expected | {f"cell_{k}_v" for k in range(1, 5)} <= set(block.columns)
        assert {f"cell_{k}_temp_c" for k in range(1, 5)} <= set(block.columns)
        # the demo cycle starts at 80 % with a 1C discharge: OCV minus I*R0 per cell
        assert block["current_a"][0] == pytest.approx(-5.0)
        ocv = 4 * preset("nmc").cell_ocv(80)
        assert block["voltage_v"][0] == pytest.approx(ocv - 4 * 5.0 * 0.015, abs=0.02)
    finally:
        src.close()
    assert src.state is SourceState.CLOSED
    with pytest.raises(SourceError, match="closed"):
        src.read(0)


def test_finite_source_is_a_context_manager_and_exhausts():
    url = "sim://lfp?cells=3&capacity_ah=50&rate_hz=10&speed=0&duration=250&profile=drive"
    with create_source(url) as src:
        assert src.finite and src.state is SourceState.STREAMING
        first = src.read(0)
        assert len(first) == FAST_BLOCK
        rest = drain(src)
        assert src.read(0) is None and src.exhausted
    assert src.state is SourceState.CLOSED
    block = SampleBlock.concat([first, rest])
    assert len(block) == 2500
    np.testing.assert_allclose(block["time_s"], np.arange(2500) * 0.1)
    assert src.spec.chemistry is Chemistry.LFP and src.spec.capacity_ah == 50


def test_source_output_is_the_simulate_output():
    url = "sim://nmc?cells=2&rate_hz=2&speed=0&duration=3000&profile=cycle&seed=4&noise=1&soc=60"
    with create_source(url) as src:
        streamed = drain(src)
    spec = preset("nmc", series_cells=2)
    direct = simulate(
        spec, "cycle", duration_s=3000, dt_s=0.5, seed=4, initial_soc_pct=60, noise=src._sim.noise
    )
    for name in direct.columns:
        np.testing.assert_allclose(streamed[name], direct[name], rtol=0, atol=1e-9)


def test_a_slow_sources_stream_holds_the_step_starts_as_simulate_does():
    """sim:// at 0.1 Hz: the same samples as ``simulate``, a step's start between two
    periodic samples included, however the stream is cut in blocks."""
    url = "sim://lfp?cells=4&rate_hz=0.1&speed=0&duration=43200&profile=cycle&seed=7&noise=1"
    with create_source(url) as src:
        streamed = drain(src)
    spec = preset("lfp", series_cells=4)
    direct = simulate(spec, "cycle", duration_s=43200, dt_s=10.0, seed=7, noise=src._sim.noise)
    assert len(direct) > 4320 and (direct["time_s"] % 10 != 0).any()
    assert len(streamed) == len(direct)
    for name in direct.columns:
        np.testing.assert_array_equal(streamed[name], direct[name], err_msg=name)


def test_reopening_starts_a_fresh_run():
    src = create_source("sim://nmc?cells=2&speed=0&duration=10")
    with src:
        a = drain(src)
    with src:
        b = drain(src)
    for name in a.columns:
        np.testing.assert_array_equal(a[name], b[name])


def test_real_time_pacing_follows_the_clock():
    src = create_source("sim://nmc?cells=2&rate_hz=10&speed=1")
    clock = src.clock = FakeClock()
    with src:
        assert len(src.read(0)) == 1  # sample 0 is due at once
        assert src.read(0) is None  # nothing more until 0.1 s later
        clock.now += 2.5
        block = src.read(0)
        assert len(block) == 25
        assert block["time_s"][-1] == pytest.approx(2.5)
        clock.now += 0.01
        assert src.read(0) is None


def test_speed_scales_simulated_time():
    src = create_source("sim://nmc?cells=2&rate_hz=10&speed=10")
    clock = src.clock = FakeClock()
    with src:
        src.read(0)
        clock.now += 2.0
        assert len(src.read(0)) == 200  # 20 simulated seconds at 10 Hz


def test_pacing_in_wall_clock_time_with_a_high_speed():
    # 10 Hz x 500 = 5000 samples per wall second; 2500 samples cannot arrive before 0.5 s
    src = create_source("sim://nmc?cells=4&rate_hz=10&speed=500")
    got = 0
    t0 = time.monotonic()
    with src:
        while got < 2500:
            block = src.read(0.1)
            got += len(block) if block is not None else 0
    elapsed = time.monotonic() - t0
    assert elapsed >= (2500 - 1) / 5000
    assert elapsed < 3.0
    assert got <= 5000 * elapsed + 1


def test_read_waits_at_most_its_timeout():
    src = create_source("sim://nmc?cells=2&rate_hz=0.1&speed=1")  # one sample every 10 s
    with src:
        assert len(src.read(0)) == 1
        t0 = time.monotonic()
        assert src.read(0.05) is None
        assert time.monotonic() - t0 < 1.0


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("sim://unobtainium", "chemistry"),
        ("sim://nmc?profile=zigzag", "profile"),
        ("sim://nmc?fault=melt", "fault"),
        ("sim://nmc?cells=0", "cells"),
        ("sim://nmc?cells=four", "cells"),
        ("sim://nmc?capacity_ah=-5", "capacity_ah"),
        ("sim://nmc?rate_hz=0", "rate_hz"),
        ("sim://nmc?speed=-1", "speed"),
        ("sim://nmc?duration=0", "duration"),
        ("sim://nmc?soc=120", "soc"),
        ("sim://nmc?noise=nan", "noise"),
        ("sim://nmc?seed=1.5", "seed"),
        ("sim://nmc?colour=red", "colour"),
        ("sim://nmc?cells=4&fault=internal_short&fault_cell=5", "fault_cell"),
        ("sim://nmc?fault=sensor_stuck&fault_channel=cell_9_v", "cell_9_v"),
        ("sim://nmc?fault_at=10", "fault_at"),
        ("sim://nmc?fault=internal_short&r_short=0", "r_short"),
    ],
)
def test_bad_urls_raise_a_source_error_naming_the_parameter(query, names):
    with pytest.raises(SourceError, match=names) as info:
        create_source(query)
    assert "\n" not in str(info.value)


def test_faults_and_options_from_the_url():
    url = (
        "sim://nmc?cells=4&profile=rest&speed=0&duration=1200&soc=70&ambient_c=30"
        "&fault=internal_short,sensor_dropout&fault_cell=2&fault_at=600&fault_channel=cell_3_v"
    )
    src = create_source(url)
    d = src.describe()
    sim = d["simulator"]
    assert sim["profile"]["name"] == "rest" and sim["cells"] == 4 and sim["ambient_c"] == 30
    assert [f["kind"] for f in sim["faults"]] == ["internal_short", "sensor_dropout"]
    assert d["url"] == url and d["spec"]["series_cells"] == 4
    with src:
        block = drain(src)
    assert (
        np.all(np.isnan(block["cell_3_v"][6000:])) and not np.isnan(block["cell_3_v"][:6000]).any()
    )
    gap = block["cell_2_v"] - block["cell_1_v"]
    assert gap[-1] < gap[5999] - 0.005
    assert block["temperature_c"][0] == pytest.approx(30.0)


def test_a_given_spec_replaces_the_preset_where_the_url_agrees_or_says_nothing():
    given = preset("lfp", capacity_ah=7.0, series_cells=3)
    src = create_source("sim://?cells=3", spec=given)
    assert src.spec.chemistry is Chemistry.LFP
    assert src.spec.series_cells == 3 and src.spec.capacity_ah == 7.0
    with pytest.raises(SourceError, match="chemistry is nmc in the URL but lfp"):
        create_source("sim://nmc?cells=3", spec=given)  # the old rule: the spec's, silently


def test_feeds_a_ring_buffer_through_the_acquisition_thread(threads):
    src = create_source("sim://nmc?cells=4&rate_hz=10&speed=0&duration=600&profile=drive")
    ring = RingBuffer(10_000)
    thread = AcquisitionThread(src, [ring.append], reconnect=False)
    threads.append(thread)
    thread.start()
    assert thread.wait_finished(30)
    assert thread.state is AcquisitionState.FINISHED and thread.last_error is None
    assert ring.total == thread.samples_total == 6000
    snap = ring.snapshot()
    assert np.all(np.diff(snap["time_s"]) > 0)
    assert src.state is SourceState.CLOSED


def test_real_time_run_in_the_acquisition_thread(threads):
    # 5 simulated seconds at 100x real time: ~50 ms of wall time
    src = create_source("sim://nmc?cells=2&rate_hz=20&speed=100&duration=5")
    ring = RingBuffer(1000)
    thread = AcquisitionThread(src, [ring.append], read_timeout=0.05, reconnect=False)
    threads.append(thread)
    t0 = time.monotonic()
    thread.start()
    assert thread.wait_finished(10)
    assert time.monotonic() - t0 >= 0.045
    assert thread.state is AcquisitionState.FINISHED and ring.total == 100


def test_importing_the_simulator_pulls_in_neither_pandas_nor_qt():
    code = (
        "import sys, app.hardware.simulator.source; "
        "bad = [m for m in ('pandas', 'PySide6', 'pyqtgraph') if m in sys.modules]; "
        "sys.exit(bool(bad) and str(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_bms_soc_parameter_adds_the_reported_soc():
    src = create_source("sim://lfp?cells=2&speed=0&duration=5&rate_hz=1&bms_soc=1")
    with src:
        block = src.read(1.0)
    assert "soc_reported_pct" in block and len(block["soc_reported_pct"]) == 5
    with pytest.raises(SourceError, match="bms_soc='2' must be 0 or 1"):
        create_source("sim://lfp?bms_soc=2")
