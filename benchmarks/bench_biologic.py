"""Reading speed of the BioLogic readers and of opening a log in the Logs page's worker.

Run: ``python benchmarks/bench_biologic.py`` (``--points N``, default 1e6).
Generates a cycling ``.mpr`` of N points and an ``.mpt`` export of N/5 points
(EC-Lab 11.50+ layout, decimal comma) in a temporary folder, then prints the
CPU time of :func:`open_log` on each and of the Logs page's analysis (per-cycle
table and dQ/dV) on the ``.mpr``. CPU time, not wall time: the machine may be
shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cpu(fn):
    start = time.process_time()
    result = fn()
    return result, time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()

    from app.hardware.logs.formats import open_log
    from app.views.log_analysis import open_analysis
    from tests.hardware.logs.biologic_files import cycling_columns, mpr_bytes, mpt_text

    with tempfile.TemporaryDirectory() as tmp:
        mpr = os.path.join(tmp, "big.mpr")
        with open(mpr, "wb") as fh:
            fh.write(mpr_bytes(cycling_columns(args.points, cycles=50, c_rate=0.2)))
        mpt = os.path.join(tmp, "big.mpt")
        with open(mpt, "wb") as fh:
            fh.write(mpt_text(cycling_columns(args.points // 5, cycles=10), decimal_comma=True))
        open_log(mpr)  # imports (pandas) out of the timing
        for path in (mpr, mpt):
            log, seconds = cpu(lambda p=path: open_log(p))
            mb = os.path.getsize(path) / 1e6
            print(
                f"open_log {os.path.basename(path)}: {len(log.frame):,} points, {mb:.0f} MB, "
                f"{seconds:.2f} s CPU ({len(log.frame) / seconds / 1e6:.2f} M points/s)"
            )
        analysis, seconds = cpu(lambda: open_analysis(mpr))
        print(
            f"Logs page open + analysis of big.mpr: {seconds:.2f} s CPU "
            f"({len(analysis.cycles)} cycles, {len(analysis.ica)} dQ/dV curves)"
        )


if __name__ == "__main__":
    main()
