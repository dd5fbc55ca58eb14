"""Serial tests talk to device simulators on real pseudo-terminal pairs."""

from __future__ import annotations

import threading

import pytest

from app.hardware.devsim import start_device

#: Device period in the tests: fast, so that no test waits long for samples.
FAST_PERIOD_S = 0.01


@pytest.fixture(autouse=True)
def no_dangling_threads():
    """Fail a test that leaves a thread running (a device simulator not stopped)."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"


@pytest.fixture
def device():
    """Start a device simulator by name (``device("jk", replay=...)``); stopped after the test."""
    started = []

    def start(name: str, **options):
        options.setdefault("period_s", FAST_PERIOD_S)
        options.setdefault("speed", 10.0)
        dev = start_device(name, **options)
        started.append(dev)
        return dev

    yield start
    for dev in started:
        dev.stop()
