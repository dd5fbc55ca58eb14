"""Dashboard redraw time per frame: 8 curves of 1e6 points each.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_redraw.py``
(``--points``, ``--frames``, ``--cells`` to vary). Target: <= 16 ms per frame
(mean and p95) for the live window.

The plots are the dashboard's own (:class:`app.views.live_plots.LivePlots`:
shared time axis, clipToView, peak downsampling, 1-px pens, opaque grid) at
1280x800, holding pack voltage, current, temperature, SOC and 4 cell voltages
(8 curves), each 1e6 samples at 10 Hz (27.8 h). Three figures:

- ``render, live window``: what a redraw costs while following live with the
  10-min window (6000 samples visible): the time range moves, then ``grab()``
  renders every plot (clip, downsample, autoscale y, axes, curves).
- ``render, whole range``: the same with all 1e6 samples in view, which
  exercises the peak downsampling.
- ``live frame (new data)``: ``set_data`` of a fresh snapshot plus the render,
  a frame where new samples arrived: with 1e6 samples per curve, and with
  the GUI's ring-buffer capacity (``HISTORY_SAMPLES``, 200k), the most a live
  session ever plots; and at 200k zoomed out (all of them in view), from this
  source and from one with six cell temperatures and no pack temperature (the
  Temp. plot draws the hottest cell's of every sample, worked out each frame).

Wall time and CPU time of the process are both printed: on a busy machine
wall time includes waiting for a core, CPU time does not.

2026-12-07, idle, ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_redraw.py`` at
``c35bede`` (CPU mean / p95, ms): live window 7.11 / 8.92, whole range 6.07 / 6.97, new
data at 1e6 points 5.71 / 6.56, at 2e5 6.56 / 8.04, zoomed out with the pack
temperature 9.32 / 10.06, with six cell temperatures 10.14 / 11.05 (target 16).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

TARGET_MS = 16.0
RATE_HZ = 10.0
LIVE_SPAN_S = 600.0


def make_snapshot(points: int, cells: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(points) / RATE_HZ
    current = 5.0 * np.sign(np.sin(t / 1800.0)) + rng.normal(0, 0.05, points)
    snap = {
        "time_s": t,
        "voltage_v": cells * (3.7 + 0.3 * np.sin(t / 1800.0)) + rng.normal(0, 0.01, points),
        "current_a": current,
        "temperature_c": 25 + 5 * np.sin(t / 7200.0) + rng.normal(0, 0.05, points),
        "soc_percent": 50 + 40 * np.sin(t / 3600.0),
    }
    for k in range(1, cells + 1):
        snap[f"cell_{k}_v"] = (
            3.7 + 0.3 * np.sin(t / 1800.0) + 0.002 * k + rng.normal(0, 0.002, points)
        )
    return snap


def summarize(label: str, wall_s: list[float], cpu_s: list[float]) -> None:
    def stats(times: list[float]) -> tuple[float, float]:
        ms = sorted(t * 1e3 for t in times)
        return statistics.fmean(ms), ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]

    mean, p95 = stats(wall_s)
    cpu_mean, cpu_p95 = stats(cpu_s)
    if p95 <= TARGET_MS:
        verdict = "ok"
    elif cpu_p95 <= TARGET_MS:
        verdict = "ok in CPU time; wall time waited for a busy CPU"
    else:
        verdict = "over target"
    print(
        f"{label:<36} wall mean {mean:6.2f} ms  p95 {p95:6.2f} ms | "
        f"cpu mean {cpu_mean:6.2f} ms  p95 {cpu_p95:6.2f} ms  ({len(wall_s)} frames, {verdict})"
    )


class FrameTimer:
    """Collects wall and CPU time of the timed blocks."""

    def __init__(self, warmup: int):
        self.warmup = warmup
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self._n = 0

    def __enter__(self):
        self._t0, self._c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        wall, cpu = time.perf_counter() - self._t0, time.process_time() - self._c0
        self._n += 1
        if self._n > self.warmup:
            self.wall.append(wall)
            self.cpu.append(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000, help="samples per curve")
    parser.add_argument("--cells", type=int, default=4, help="cell curves (plus 4 pack curves)")
    parser.add_argument("--frames", type=int, default=200)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    import pyqtgraph as pg

    from app.views.live_plots import LivePlots
    from app.views.theme import DARK, Theme, apply_theme

    pg.setConfigOptions(antialias=False, useOpenGL=False)  # as run_gui
    apply_theme(app, Theme.DARK)
    plots = LivePlots(DARK)
    plots.resize(1280, 800)
    plots.show()
    app.processEvents()  # one-time: show the widget before measuring (not in the GUI code)

    snap = make_snapshot(args.points, args.cells)
    curves = 4 + args.cells
    t_end = float(snap["time_s"][-1])
    print(
        f"{curves} curves x {args.points:,} points, widget 1280x800, "
        f"Qt platform {app.platformName()}"
    )
    plots.set_data(snap)
    plots.grab()

    def render_frames(span: float | None) -> FrameTimer:
        timer = FrameTimer(warmup=10)
        for i in range(args.frames + 10):
            # Following live: the newest sample moves on between frames (4 s
            # of data per frame here, so the view really changes).
            hi = t_end - (args.frames - i) * 4.0
            lo = hi - span if span is not None else 0.0
            plots.plots[next(iter(plots.plots))].setXRange(lo, hi, padding=0)
            with timer:
                plots.grab()
        return timer

    plots.set_follow(False)  # the benchmark moves the range itself
    timer = render_frames(LIVE_SPAN_S)
    summarize("render, live window (10 min)", timer.wall, timer.cpu)
    timer = render_frames(None)
    summarize("render, whole range", timer.wall, timer.cpu)

    plots.set_follow(True)
    plots.set_span(LIVE_SPAN_S)
    from app.views.live_session import HISTORY_SAMPLES

    for points in (args.points, HISTORY_SAMPLES):
        fresh = [make_snapshot(points, args.cells, seed=s) for s in range(3)]
        timer = new_data_frames(plots, fresh, min(args.frames, 60))
        summarize(f"live frame, new data ({points:,} pts)", timer.wall, timer.cpu)

    # zoomed out (not following), every frame's curves hold all 200k samples; and so
    # from a source with only cell temperatures (a foxBMS trace), whose Temp. plot
    # draws the hottest cell's of every sample, worked out on each frame
    plots.set_follow(False)
    for label, snaps in (
        ("pack temperature", fresh),
        ("6 cell temperatures", [_cell_temperatures_only(s, HISTORY_SAMPLES) for s in fresh]),
    ):
        plots.clear_data()
        timer = new_data_frames(plots, snaps, min(args.frames, 60))
        summarize(f"zoomed out, new data, {label}", timer.wall, timer.cpu)
    return 0


def new_data_frames(plots, snaps: list[dict], frames: int) -> FrameTimer:
    """Time ``frames`` frames (after 5 of warm-up), each with the next of ``snaps`` as
    the new data: what the dashboard does on every redraw of a live source."""
    timer = FrameTimer(warmup=5)
    for i in range(frames + 5):
        with timer:
            plots.set_data(snaps[i % len(snaps)])
            plots.grab()
    return timer


def _cell_temperatures_only(snap: dict, points: int) -> dict[str, np.ndarray]:
    """``snap`` without the pack's temperature and with six cell sensors instead."""
    rng = np.random.default_rng(1)
    out = {k: v for k, v in snap.items() if k != "temperature_c"}
    for k in range(1, 7):
        out[f"cell_{k}_temp_c"] = snap["temperature_c"] + rng.normal(0, 0.3, points)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
