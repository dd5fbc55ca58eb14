"""What the connection dialog and the health panel cost, and why they run where they do.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_connection.py

* Adapter detection (``detect_serial_ports``, ``detect_can_configs``): wall
  and CPU time. python-can asks every driver it knows, which takes from a
  fraction of a second to seconds: the dialog runs it on a background worker.
* One health poll (read the source counters, compute the rates, update the
  panel and the banner): CPU time, and its share of one core at the panel's
  2 polls a second.
"""

from __future__ import annotations

import time
from types import SimpleNamespace


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def bench_detection() -> None:
    from app.hardware import protocols

    for name in ("detect_serial_ports", "detect_can_configs"):
        found, wall, cpu = _timed(getattr(protocols, name))
        print(f"{name:22s} {wall * 1000:8.0f} ms wall {cpu * 1000:8.0f} ms CPU  {len(found)} found")


def bench_health_poll(polls: int = 5000) -> None:
    from PySide6.QtWidgets import QApplication

    from app.hardware.acquisition import AcquisitionState, ReconnectStatus
    from app.hardware.source import SourceHealth
    from app.views.connection_health import (
        POLL_MS,
        ConnectionHealthPanel,
        FaultBanner,
        HealthMonitor,
    )
    from app.views.live_session import SessionStatus

    app = QApplication.instance() or QApplication([])
    health = SourceHealth()
    session = SimpleNamespace(
        status=SessionStatus(AcquisitionState.STREAMING, "serial:///dev/ttyUSB0?protocol=jk"),
        acquisition=SimpleNamespace(
            source=SimpleNamespace(health=health), reconnect_status=ReconnectStatus()
        ),
    )
    monitor = HealthMonitor(session)
    panel, banner = ConnectionHealthPanel(), FaultBanner()
    monitor.updated.connect(panel.show_reading)
    monitor.updated.connect(banner.show_reading)

    def run():
        for _ in range(polls):
            health.frames_ok += 10
            health.bytes_in += 300
            monitor.poll()

    _, _, cpu = _timed(run)
    each = cpu / polls
    share = each * (1000 / POLL_MS) * 100
    print(f"health poll + panel    {each * 1e6:8.0f} us CPU each; {share:.4f} % of one core")
    del app


if __name__ == "__main__":
    bench_detection()
    bench_health_poll()
