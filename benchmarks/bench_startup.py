"""Start-up time: from process start to the first paint of the main window.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_startup.py``
(``--runs N``, default 6). Target: <= 1.5 s warm.

Each run starts a fresh Python process (``python bench_startup.py --child``)
that goes through :func:`app.views.launch.run_gui` exactly as ``batteryos gui``
does; an application-wide event filter prints the wall-clock time of the
main window's first paint event and quits. The parent takes the time just
before starting the process, so interpreter start-up and every import count.
The first run is reported as cold (disk caches, .pyc files) and left out of
the warm figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_S = 1.5
MARK = "FIRST_PAINT_AT"


def child() -> int:
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication([sys.argv[0]])  # run_gui uses this instance

    class FirstPaint(QObject):
        """Catches the first paint event of the main window."""

        seen = False

        def eventFilter(self, obj, event):  # noqa: N802 - Qt API
            if not self.seen and event.type() == QEvent.Type.Paint and isinstance(obj, QMainWindow):
                self.seen = True
                print(f"{MARK} {time.time():.6f}", flush=True)
                QTimer.singleShot(0, app.quit)
            return False

    watcher = FirstPaint()
    app.installEventFilter(watcher)
    from app.views.launch import run_gui

    return run_gui()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child()

    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    times = []
    with tempfile.TemporaryDirectory() as config:
        # a fresh config dir: no saved layout, default theme, like a first start
        env["BATTERYOS_CONFIG_DIR"] = config
        env["BATTERYOS_DATA_DIR"] = config
        for run in range(args.runs):
            t0 = time.time()
            out = subprocess.run(
                [sys.executable, os.path.abspath(__file__), "--child"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            marks = [line for line in out.stdout.splitlines() if line.startswith(MARK)]
            if not marks:
                print(f"run {run + 1}: no paint seen (exit {out.returncode})\n{out.stderr}")
                return 1
            elapsed = float(marks[0].split()[1]) - t0
            times.append(elapsed)
            label = "cold" if run == 0 else "warm"
            print(f"run {run + 1} ({label}): {elapsed * 1000:7.1f} ms to first paint")
    warm = times[1:] or times
    mean, best = statistics.fmean(warm), min(warm)
    median = statistics.median(warm)
    verdict = "ok" if median <= TARGET_S else "over target"
    print(
        f"warm: mean {mean * 1000:.0f} ms, median {median * 1000:.0f} ms, best "
        f"{best * 1000:.0f} ms over {len(warm)} runs (target {TARGET_S * 1000:.0f} ms: {verdict})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
