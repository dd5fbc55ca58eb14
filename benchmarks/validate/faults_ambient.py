"""bench_faults.main with every simulate() at ambient --amb degC: python amb_faults.py AMB <bench_faults args>"""

import sys

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
import bench_faults

from app.hardware.simulator import simulate

amb = float(sys.argv[1])
orig = simulate


def sim(*a, **k):
    k.setdefault("ambient_c", amb)
    return orig(*a, **k)


bench_faults.simulate = sim
raise SystemExit(bench_faults.main(sys.argv[2:]))
