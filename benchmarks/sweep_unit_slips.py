"""`batteryos analyze --json` on simulated logs with the slips a user makes: units,
clocks, sampling, a wrong spec. Every run must end with exit 0 and a JSON report without
NaN/inf, or exit 2 and one `batteryos: error:` line (never a traceback), as
``sweep_bad_input.py`` asks of damaged real files.

    python benchmarks/sweep_unit_slips.py                    # every log, every slip
    python benchmarks/sweep_unit_slips.py --chemistries lfp --slips time_ms current_ma

Logs: ``batteryos simulate`` of NMC, LFP and lead-acid, 4-cell packs and single cells,
``cycle``, ``drive`` and ``hppc`` (``float`` for lead-acid), 4 h at 1 Hz. Slips (see
``SLIPS``): the time in ms, us or hours in a unitless ``time`` column, an epoch clock, the
clock restarting midway, repeated timestamps, a 1 h gap, sampled every 10 min, the current
in mA or kA or reversed, the voltage in mV, temperatures in kelvin, cell columns dropped,
and the analysis given 10x or 0.1x the capacity or another chemistry.

2026-12-07 (session 33): ``nice python benchmarks/sweep_unit_slips.py --chemistries nmc
--cells 4`` then ``--chemistries nmc --cells 1`` and ``--chemistries lfp lead_acid``: 288
runs, 250 ok, 38 clear errors (time in us: past the reader's time limit; the clock
restarting: "time goes backwards"; the voltage in mV: out of range), none broken. Before
``13c053e`` an NMC cycle log with its time in ms analysed with half its capacity (``--capacity-ah
2.5`` of a 5 Ah log) died on a math domain error in the SOC's worked-back start. Read by
hand (LFP 4-cell cycle, seed 3, 4 h): the time in ms gives a warning that the SOC stays
at empty while 87,749 % of the capacity moves, and no capacity SOH (a note names ms);
the time in hours read as s gives no warning (the SOC 95 % against 12 %: little charge
counted, a flat LFP voltage); every 10 min, a noise-free CC current held 1.5 h reads
``sensor_stuck`` (warning) where at 1 Hz it does not (not fixed). (That run's "2 h gap"
cut the log's second half off, not a gap: the slip is now an hour lost from a third of
the way in.) The final SOC of 4-cell logs (seed 3, 4 h), whole against with the hour
lost, at ``af20638`` -> after this session's time gaps (``app.diagnostics.time_gaps``):
LFP drive 18.3 % whole, with the gap 49.5 ±6.7 -> 18.3 ±8.1 %; NMC drive 41.4 %, 59.3
±3.2 -> 41.4 ±11.4 %; LFP cycle 12.3 %, 12.3 ±1.8 -> 13.2 ±3.4 %; NMC cycle 23.3 %, 23.3
±2.1 -> 24.5 ±3.9 % (the cycles' rests re-anchored either way).

2026-12-07 (session 34): ``nice python benchmarks/sweep_unit_slips.py --chemistries nmc
lfp --cells 4 --slips none gap_1h``: 12 runs, 12 ok. The simulator's logs carry a
``step_index``, and the HPPC's lost hour spans its pulses' step changes: the gap rule's
old exemption of an interval into a step's start let it through (no time gap found) and
the trapezoid across it counted 2.5 Ah of a 5 Ah pack. The final SOC (``analyze
--json``, seed 3, 4 h, 4 cells; the same logs written with ``simulate`` and the hour cut
out), whole log against with the hour lost, at aac2c00 -> 5f91821 (a hole across a step
change is a gap; the SOC's warm-up restarts after a gap): LFP hppc 59.5 % whole, 35.2
±1.5 (no gap found, charge out 4.29 Ah) -> 54.1 ±8.2 % (1 gap, 1.78 Ah); NMC hppc
59.6 %, 60.5 ±0.8 -> 59.7 ±1.2 %; NMC cycle 23.3 %, 24.5 ±1.9 -> 24.4 ±1.9 %; LFP cycle
12.3 %, 13.2 ±1.7 -> 13.1 ±1.7 %; NMC drive 41.4 %, 41.4 ±5.7 -> 41.3 ±5.3 %; LFP drive
18.3 %, 18.3 ±4.1 -> 18.3 ±2.9 %. The whole logs' JSON the same bytes before and after.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.sweep_bad_input import print_summary, run_cli  # noqa: E402

CAPACITY = {"nmc": 5.0, "lfp": 5.0, "lead_acid": 5.0}
OTHER_CHEMISTRY = {"nmc": "lfp", "lfp": "nmc", "lead_acid": "lfp"}


def _generic(df: pd.DataFrame, column: str, factor: float = 1.0, offset: float = 0.0):
    """The column renamed without its unit (the reader takes it as the base unit)."""
    name = column.rsplit("_", 1)[0]
    out = df.rename(columns={column: name})
    out[name] = out[name] * factor + offset
    return out


def _cells(df: pd.DataFrame, fn) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if c.startswith("cell_") and c.endswith("_v"):
            out[c] = fn(out[c])
    return out


def _restart(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    half = len(out) // 2
    out.loc[half:, "time_s"] = out["time_s"].iloc[half:] - out["time_s"].iloc[half]
    return out


def _gap(df: pd.DataFrame) -> pd.DataFrame:
    """An hour's rows lost from a third of the way in."""
    t = df["time_s"]
    start = t.iloc[len(t) // 3]
    return df[(t < start) | (t > start + 3600.0)]


SLIPS = {
    "none": (lambda d: d, []),
    "time_ms": (lambda d: _generic(d, "time_s", 1e3), []),
    "time_us": (lambda d: _generic(d, "time_s", 1e6), []),
    "time_h": (lambda d: _generic(d, "time_s", 1 / 3600), []),
    "epoch": (lambda d: d.assign(time_s=d["time_s"] + 1.7e9), []),
    "restart": (_restart, []),
    "repeated_t": (lambda d: d.assign(time_s=np.floor(d["time_s"] / 5) * 5), []),
    "gap_1h": (_gap, []),
    "every_10min": (lambda d: d.iloc[::600], []),
    "current_ma": (lambda d: _generic(d, "current_a", 1e3), []),
    "current_ka": (lambda d: _generic(d, "current_a", 1e-3), []),
    "current_reversed": (lambda d: d.assign(current_a=-d["current_a"]), []),
    "voltage_mv": (lambda d: _cells(_generic(d, "voltage_v", 1e3), lambda c: c * 1e3), []),
    "temp_kelvin": (lambda d: _generic(d, "temperature_c", 1.0, 273.15), []),
    "pack_only": (lambda d: d[[c for c in d.columns if not c.startswith("cell_")]], []),
    "capacity_x10": (lambda d: d, ["--capacity-ah", "x10"]),
    "capacity_x0.1": (lambda d: d, ["--capacity-ah", "x0.1"]),
    "other_chemistry": (lambda d: d, ["--chemistry", "other"]),
}


def _options(chem: str, extra: list[str]) -> list[str]:
    capacity, chemistry = CAPACITY[chem], chem
    out = []
    for k, v in zip(extra[::2], extra[1::2], strict=True):
        if k == "--capacity-ah":
            capacity *= float(v[1:])
        elif k == "--chemistry":
            chemistry = OTHER_CHEMISTRY[chem]
    out += ["--chemistry", chemistry, "--capacity-ah", f"{capacity:g}"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chemistries", nargs="+", default=["nmc", "lfp", "lead_acid"])
    parser.add_argument("--cells", nargs="+", type=int, default=[4, 1])
    parser.add_argument("--slips", nargs="+", default=list(SLIPS))
    parser.add_argument("--duration", type=float, default=14400.0)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    counts: dict[str, int] = {}
    broken = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BATTERYOS_DATA_DIR"] = os.path.join(tmp, "data")  # an empty log cache
        os.environ["BATTERYOS_CONFIG_DIR"] = os.path.join(tmp, "config")
        for chem in args.chemistries:
            profiles = ["cycle", "float"] if chem == "lead_acid" else ["cycle", "drive", "hppc"]
            for profile in profiles:
                for cells in args.cells:
                    log = os.path.join(tmp, f"{chem}_{profile}_{cells}.csv")
                    outcome, detail = run_cli(
                        [
                            "simulate",
                            "--chemistry",
                            chem,
                            "--cells",
                            str(cells),
                            "--capacity-ah",
                            str(CAPACITY[chem]),
                            "--profile",
                            profile,
                            "--duration",
                            f"{args.duration:g}",
                            "--seed",
                            str(args.seed),
                            "-o",
                            log,
                        ]  # fmt: skip
                    )
                    df = pd.read_csv(log, comment="#")
                    for slip in args.slips:
                        fn, extra = SLIPS[slip]
                        path = os.path.join(tmp, f"{chem}_{profile}_{cells}_{slip}.csv")
                        fn(df).to_csv(path, index=False)
                        ts = os.path.join(tmp, "ts.csv")
                        argv = ["analyze", path, "--json", "--timeseries", ts]
                        outcome, detail = run_cli(argv + _options(chem, extra))
                        counts[outcome] = counts.get(outcome, 0) + 1
                        label = f"{chem} {profile} {cells} cells, {slip}"
                        print(f"{label:44} {outcome} {detail[:100]}", flush=True)
                        if outcome.startswith("BROKEN"):
                            broken.append(f"{label}: {outcome}: {detail}")
    return print_summary(counts, broken)


if __name__ == "__main__":
    sys.exit(main())
