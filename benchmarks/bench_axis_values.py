"""How often a Logs page plot's y axis writes fewer than three values (issue: the
dashboard's axes write at least three, :mod:`app.views.axis_values`; the Logs page's
auto-ranged plots did not, about 1 in 1,200 random ranges wrote two).

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_axis_values.py [--ranges 6000]
[--seed 1] [--size 1024x700]``

The window at ``--size`` on the Logs page, a log open (its three time-series plots
shown); each trial gives one plot's curve values over a random span (log-uniform, 1e-3 to
1e3) at a random place, fits the plot to them (auto-range, as a log shown is), lets
the event loop run, and counts the values the axis writes. Prints, per plot and in all,
the ranges that wrote fewer than three, with the first few of them.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ranges", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--size", default="1024x700")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = tempfile.mkdtemp(prefix="bench-axis-")
    os.environ["BATTERYOS_CONFIG_DIR"] = os.path.join(home, "config")
    os.environ["BATTERYOS_DATA_DIR"] = os.path.join(home, "data")

    from PySide6.QtWidgets import QApplication

    from app.core.settings import Settings
    from app.core.spec import preset
    from app.hardware.logs.canonical_csv import write_canonical_csv
    from app.hardware.simulator import simulate
    from app.views.live_session import LiveSession
    from app.views.main_window import MainWindow, Page
    from app.views.theme import apply_theme

    try:  # the app's own reader (before axis_values: live_plots')
        from app.views.axis_values import written_values
    except ImportError:
        from app.views.live_plots import written_values

    app = QApplication([])
    settings = Settings.load()
    apply_theme(app, settings.theme)
    window = MainWindow(settings, LiveSession(), persist=False)
    width, height = (int(x) for x in args.size.split("x"))
    window.resize(width, height)
    window.show()
    window.show_page(Page.LOGS)
    path = os.path.join(home, "cell.csv")
    write_canonical_csv(path, simulate(preset("nmc"), "drive", duration_s=600), {})
    page = window.logs
    page.open_file(path)
    while page.busy or page.time_plots is None or not page.time_plots.curves:
        app.processEvents()
    for _ in range(20):
        app.processEvents()
    rng = np.random.default_rng(args.seed)
    stack = page.time_plots
    plots = [p for p in stack.plots if p.isVisible()]
    curves = [stack.curves[(k, path)] for k in range(len(plots))]
    t = curves[0].getData()[0]
    few = {k: [] for k in range(len(plots))}
    for trial in range(args.ranges):
        k = trial % len(plots)
        span = 10 ** rng.uniform(-3, 3)
        low = rng.uniform(-2, 2) * span * rng.choice([1, 10, 100])
        # a log whose values span low..high, fitted as the page fits a log shown
        curves[k].setData(t, np.linspace(low, low + span, len(t)))
        plots[k].enableAutoRange()
        for _ in range(3):
            app.processEvents()
        if len(written_values(plots[k].getAxis("left"))) < 3:
            few[k].append((low, low + span))
    total = sum(len(v) for v in few.values())
    for k, ranges in few.items():
        print(f"plot {k}: {len(ranges)} of {args.ranges // len(plots)} ranges wrote < 3 values")
    print(f"all: {total} of {args.ranges} ranges wrote fewer than 3 values")
    for k, ranges in few.items():
        for low, high in ranges[:3]:
            print(f"  plot {k}: {low:.6g} .. {high:.6g}")
    window.close()


if __name__ == "__main__":
    main()
