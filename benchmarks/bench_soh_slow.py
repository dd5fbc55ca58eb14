"""Resistance SOH of new simulated cells logged slowly (5-20 s), through the CLI.

    python benchmarks/bench_soh_slow.py                          # seeds 7 1 2
    python benchmarks/bench_soh_slow.py --seeds 11 12 13         # held out
    python benchmarks/bench_soh_slow.py --tree /path/to/other/checkout

For each chemistry (NMC, LFP, lead-acid) x profile (cycle, HPPC, drive) x sample
period x seed: ``batteryos simulate --cells 4 --capacity-ah 2.5 --duration 43200
--noise 1 --rate-hz 1/period`` then ``batteryos analyze --json``, and prints
``soh_resistance_percent`` (the cells are new: ~100 % is right; "-" where no
pulse was found). ``--tree`` runs another checkout's code (its simulator and its
analysis) for a before/after comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import warnings
from pathlib import Path

CHEMS = ("nmc", "lfp", "lead_acid")
PROFILES = ("cycle", "hppc", "drive")


def _run(cli, argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        cli(argv)
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", default=str(Path(__file__).resolve().parents[1]))
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 1, 2])
    ap.add_argument("--periods", type=float, nargs="+", default=[5.0, 10.0, 20.0])
    ap.add_argument("--duration", type=float, default=43200.0)
    args = ap.parse_args()
    sys.path.insert(0, args.tree)
    warnings.simplefilter("ignore")
    from app.cli import main as cli

    csv = Path(tempfile.mkdtemp()) / "x.csv"
    print(f"tree {args.tree}; seeds {args.seeds}")
    print(f"{'chem':10} {'profile':8} {'dt':>4}  SOH_R % per seed")
    for chem in CHEMS:
        for prof in PROFILES:
            for dt in args.periods:
                row = []
                for seed in args.seeds:
                    sim = ["simulate", "--chemistry", chem, "--cells", "4"]
                    sim += ["--capacity-ah", "2.5", "--profile", prof]
                    sim += ["--rate-hz", repr(1.0 / dt), "--duration", repr(args.duration)]
                    sim += ["--seed", str(seed), "--noise", "1", "-o", str(csv)]
                    _run(cli, sim)
                    res = json.loads(_run(cli, ["analyze", str(csv), "--json"]))
                    soh = res["results"]["soh"].get("soh_resistance_percent")
                    row.append("    -" if soh is None else f"{soh:5.1f}")
                print(f"{chem:10} {prof:8} {dt:4.0f}  {' '.join(row)}", flush=True)


if __name__ == "__main__":
    main()
