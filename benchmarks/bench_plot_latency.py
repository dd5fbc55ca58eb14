"""From frame arrival to plot, end to end (target <= 100 ms).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_plot_latency.py [--seconds 30] [--hz 5]

A VE.Direct device simulator writes a frame on a real pseudo-terminal every
``1 / hz`` s and notes when each write starts. The whole live path runs as in
the window: the serial source in its acquisition thread, the live engine
(diagnostics and alerts), the ring buffer, the session's redraw timer (25 Hz)
and the dashboard, whose curves get the data (``setData``). A slot connected
after the dashboard's notes when each sample is in the voltage curve's data.

Latency = time the sample is in the plot data - time its frame started to be
written. Samples are matched to the last frame written before they reached
the plot; that is exact while the latency is under the frame period, and the
script checks it (two samples matched to one frame means the latency exceeded
the period: it says so and reports nothing). Painting the pixels happens on
the next paint event and is not included (bench_redraw.py measures it).

2026-12-07, idle, ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_plot_latency.py``
at ``c35bede`` (VE.Direct on a pty, 5 frames/s, 30 s, 152 samples): median 44.6 ms,
p99 48.4 ms, max 53.0 ms (target 100).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

TARGET_MS = 100.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--hz", type=float, default=5.0, help="frames per second (default 5)")
    args = parser.parse_args()

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.core import schema
    from app.hardware.devsim import start_device
    from app.views.dashboard import DashboardPage
    from app.views.live_session import LiveSession
    from app.views.theme import DARK

    app = QApplication.instance() or QApplication([])
    session = LiveSession()  # the window's: 25 redraws a second at most
    dashboard = DashboardPage(DARK)
    dashboard.resize(1400, 900)
    dashboard.show()
    session.data_updated.connect(dashboard.show_frame)  # as MainWindow wires it

    plotted: list[tuple[float, float]] = []  # (sample time_s, monotonic time it was in the plot)
    last_t = [-np.inf]

    def probe(_snapshot) -> None:  # runs after dashboard.show_frame (connected later)
        now = time.monotonic()
        x, _ = dashboard.plots.curves[schema.VOLTAGE].getData()
        if x is None or not len(x):
            return
        new = x[x > last_t[0]]
        plotted.extend((float(t), now) for t in new)
        if len(new):
            last_t[0] = float(new[-1])

    session.data_updated.connect(probe)
    dev = start_device("vedirect", period_s=1.0 / args.hz, speed=1.0)
    dev.sent_times = []
    try:
        session.start(dev.url)
        QTimer.singleShot(round(args.seconds * 1000), app.quit)
        app.exec()
        session.stop()
    finally:
        dev.stop()

    sent = np.array(dev.sent_times)
    got = np.array([when for _, when in plotted[1:]])  # the first may be a flushed frame
    idx = np.searchsorted(sent, got, side="right") - 1
    if not got.size or (idx < 0).any():
        print("no samples reached the plot", file=sys.stderr)
        return 1
    if np.any(np.diff(idx) == 0):
        print(
            f"two samples matched one frame: the latency exceeds the frame period "
            f"({1000 / args.hz:.0f} ms); rerun with a lower --hz",
            file=sys.stderr,
        )
        return 1
    lat = (got - sent[idx]) * 1000
    verdict = "OK" if np.percentile(lat, 99) <= TARGET_MS else "OVER"
    print(
        f"VE.Direct on a pty at {args.hz:g} frames/s, {args.seconds:g} s, "
        f"{len(lat)} samples: serial source -> acquisition thread -> live engine -> ring -> "
        "25 Hz redraw timer -> dashboard curve data"
    )
    print(
        f"frame written -> sample in the plot data: median {np.median(lat):.1f} ms, "
        f"p99 {np.percentile(lat, 99):.1f} ms, max {lat.max():.1f} ms "
        f"(target <= {TARGET_MS:.0f} ms) {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
