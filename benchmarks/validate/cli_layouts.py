"""`batteryos analyze FILE --json` on CSV exports of awkward logs: time gaps, NaN rows,
epoch time stamps, fewer temperature sensors than cells, a slow log, a log that starts
mid-fault. Checks the exit code (and prints the tail of stderr on a failure) and that
the CLI's faults are detect_faults' on the same samples (kind, channel).

Run: ``PYTHONPATH=$PWD nice python benchmarks/validate/cli_layouts.py --seeds 760``.
"""

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scenarios import drop_cols, drop_rows, epoch, nan_rows, random_drops, start_at  # noqa: E402

from app.cli import main as cli
from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault, NoiseSpec, simulate

LAYOUTS = {
    "plain": None,
    "gap 10 min": drop_rows(1200, 1800),
    "5% rows lost": random_drops(0.05),
    "NaN rows 60 s": nan_rows(1000, 1060),
    "epoch": epoch(),
    "no cell temps": drop_cols(lambda k: k.startswith("cell_") and k.endswith("_temp_c")),
    "cells 2,4 temps": drop_cols(lambda k: k in ("cell_1_temp_c", "cell_3_temp_c")),
    "from 1500 s": start_at(1500),
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, nargs="+", default=[760])
    p.add_argument("--chems", nargs="+", default=["nmc", "lfp", "lead_acid"])
    p.add_argument("--profiles", nargs="+", default=["drive", "hppc"])
    p.add_argument("--rate-hz", type=float, default=1.0)
    a = p.parse_args()
    tmp = tempfile.mkdtemp()
    bad = n = 0
    for chem in a.chems:
        spec = preset(chem, series_cells=4)
        for prof in a.profiles:
            for seed in a.seeds:
                b = simulate(
                    spec,
                    prof,
                    duration_s=3600,
                    dt_s=1 / a.rate_hz,
                    seed=seed,
                    noise=NoiseSpec.typical(spec),
                    faults=[Fault("internal_short", 1400, cell=3)],
                    capacity_spread=0.02,
                    resistance_spread=0.06,
                )
                base = {c: np.asarray(b[c], dtype=float) for c in b.columns}
                for name, f in LAYOUTS.items():
                    n += 1
                    cols = f(dict(base), np.random.default_rng(seed)) if f else base
                    direct = [
                        (x["kind"], x["channel"])
                        for x in detect_faults(SampleBlock(cols), spec).to_list()
                    ]
                    path = os.path.join(tmp, "x.csv")
                    pd.DataFrame(cols).to_csv(path, index=False, float_format="%.10g")
                    extra = ["--chemistry", chem, "--cells", "4"]
                    extra += ["--capacity-ah", f"{spec.capacity_ah:g}"]
                    out, err = io.StringIO(), io.StringIO()
                    try:
                        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                            rc = cli(["analyze", path, "--json", *extra])
                    except BaseException as e:  # noqa: BLE001 - a crash is a finding
                        rc = f"raised {type(e).__name__}: {e}"
                    tag = f"{chem} {prof} s{seed} {name}"
                    if rc != 0:
                        bad += 1
                        print(f"RC {rc} {tag}: {err.getvalue()[-400:]!r}", flush=True)
                        continue
                    d = json.loads(out.getvalue())
                    got = [(x["kind"], x["channel"]) for x in d["results"]["faults"]]
                    if got != direct:
                        bad += 1
                        print(f"DIFF {tag}: cli {got} direct {direct}", flush=True)
    print(f"{bad} of {n} CLI runs failed or differ")


if __name__ == "__main__":
    main()
