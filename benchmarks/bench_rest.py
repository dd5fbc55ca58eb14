"""REST endpoint throughput on /api/v1/live while the app records live
(target: >= 2,000 requests/s with one worker, p99 latency < 50 ms).

    python benchmarks/bench_rest.py [--seconds 15] [--connections 16] [--rate-hz 10]

Starts ``batteryos serve --source sim://... --record`` (one uvicorn worker,
the simulated pack streaming in real time and recorded into a temporary
SQLite database), makes a user and an API key, then loads /api/v1/live with
``wrk`` (Debian package ``wrk``) from another process and prints requests/s
and the latency percentiles wrk measures. Also prints how many samples were
recorded meanwhile, to show the recording kept going.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RPS = 2000
TARGET_P99_MS = 50.0


def _cli(*args: str, db: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "--db", db, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return out.stdout + out.stderr


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate-hz", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=18750)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install wrk", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        _cli("db", "upgrade", db=db)
        _cli("users", "add", "bench", "--role", "viewer", db=db)
        key = re.search(r"bos_\S+", _cli("users", "new-key", "bench", db=db)).group(0)
        source = f"sim://nmc?cells=16&speed=1&rate_hz={args.rate_hz:g}"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.cli",
                "--db",
                db,
                "serve",
                "--port",
                str(args.port),
                "--source",
                source,
                "--record",
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            url = f"http://127.0.0.1:{args.port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(url + "/health", timeout=1).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        print(server.stdout.read() if server.stdout else "", file=sys.stderr)
                        return 1
                    time.sleep(0.2)
            time.sleep(2)  # a few seconds of live data and a first recorded batch
            result = subprocess.run(
                [
                    "wrk",
                    "-t1",
                    f"-c{args.connections}",
                    f"-d{args.seconds}s",
                    "--latency",
                    "-H",
                    f"X-API-Key: {key}",
                    url + "/api/v1/live",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            req = urllib.request.Request(url + "/api/v1/live", headers={"X-API-Key": key})
            import json

            live = json.loads(urllib.request.urlopen(req, timeout=5).read())
        finally:
            server.terminate()
            server.wait(10)
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))
        pct = {p: _ms(v) for p, v in re.findall(r"\s(50|75|90|99)%\s+(\S+)", result.stdout)}
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
        print(
            f"/api/v1/live, 1 worker, {args.connections} connections, {args.seconds} s, "
            f"while recording {source}"
        )
        print(
            f"  requests/s       {rps:8.0f}   (target >= {TARGET_RPS})  {'ok' if rps >= TARGET_RPS else 'MISSED'}"
        )
        for p in ("50", "90", "99"):
            print(f"  latency p{p}      {pct.get(p, float('nan')):8.2f} ms")
        p99 = pct.get("99", float("inf"))
        print(f"  p99 target < {TARGET_P99_MS:g} ms: {'ok' if p99 < TARGET_P99_MS else 'MISSED'}")
        print(f"  non-2xx responses {int(errors.group(1)) if errors else 0}")
        print(f"  samples streamed during the run: {live['samples']} (state {live['state']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
