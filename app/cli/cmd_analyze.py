"""``batteryos analyze``: the diagnostic suite on a log file."""

from __future__ import annotations

import argparse
import json
import sys

from app.cli.battery_options import add_battery_options, spec_from_args
from app.core.errors import BatteryOSError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "analyze",
        help="run the diagnostics on a log file",
        description="Run the diagnostic suite on FILE (canonical CSV) and print a summary, "
        "or one JSON object with --json.",
    )
    p.add_argument("file", metavar="FILE")
    add_battery_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object (stable keys)")
    p.add_argument(
        "--timeseries", metavar="CSV", help="write time_s and derived series (soc_percent, ...)"
    )
    p.set_defaults(run=run)


def analyze_file(path: str, args: argparse.Namespace) -> dict:
    from app.core import schema
    from app.core.spec import BatterySpec
    from app.diagnostics import run_suite
    from app.hardware.logs.canonical_csv import read_canonical_csv

    log = read_canonical_csv(path)
    fallback = BatterySpec.from_dict(log.spec_dict) if log.spec_dict else None
    cells = len(schema.cell_voltage_columns(log.frame.columns))
    spec = spec_from_args(args, fallback=fallback, cells_in_data=cells)
    suite = run_suite(log.frame, spec)
    if args.timeseries:
        import pandas as pd

        out = pd.DataFrame({"time_s": log.frame[schema.TIME].to_numpy(), **suite.timeseries})
        try:
            out.to_csv(args.timeseries, index=False, float_format="%.6g")
        except OSError as exc:
            raise BatteryOSError(f"{args.timeseries}: cannot write ({exc.strerror})") from None
    return {"source": path, "spec": spec.to_dict(), **suite.to_dict()}


def _fmt(value, unit="", digits=3) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}g}{unit}" if isinstance(value, float) else f"{value}{unit}"


def print_summary(report: dict, out=sys.stdout) -> None:
    r = report["results"]
    spec = report["spec"]
    print(
        f"{report['source']}: {spec['chemistry']} {spec['series_cells']}s{spec['parallel_strings']}p "
        f"{spec['capacity_ah']:g} Ah",
        file=out,
    )
    soc = r["soc"]
    print(
        f"  SOC           {_fmt(soc['initial_soc_percent'], ' %')} -> {_fmt(soc['final_soc_percent'], ' %')}"
        f"  ({soc['method']})",
        file=out,
    )
    if soc["bms_difference_rms_percent"] is not None:
        print(
            f"  BMS SOC check RMS difference {_fmt(soc['bms_difference_rms_percent'], ' %')}",
            file=out,
        )
    cb = r["cell_balance"]
    print(
        f"  cell balance  {cb['status']}: spread {_fmt(cb['spread_mv'], ' mV')} "
        f"(max {_fmt(cb['spread_max_mv'], ' mV')}) - {cb['recommendation']}",
        file=out,
    )
    sf = r["safety"]
    print(f"  safety        {sf['status']} ({len(sf['events'])} limit events)", file=out)
    for e in sf["events"][:10]:
        print(
            f"    {e['severity']:8} {e['check']} on {e['channel']}: {e['worst_value']:.4g} vs limit "
            f"{e['limit']:.4g} at {e['start_time_s']:g}-{e['end_time_s']:g} s",
            file=out,
        )
    th = r["thermal"]
    print(
        f"  thermal       max {_fmt(th['max_temperature_c'], ' degC')}, "
        f"max rise {_fmt(th['max_rise_rate_c_per_min'], ' degC/min')}",
        file=out,
    )
    missing = [k for k, v in r.items() if v is None]
    if missing:
        print(f"  not yet available: {', '.join(missing)}", file=out)
    cycles = report["cycles"]
    print(f"  cycles        {len(cycles)}", file=out)
    for c in cycles[:20]:
        ce = c["coulombic_efficiency"]
        print(
            f"    #{c['cycle_index']:<4} charge {c['charge_capacity_ah']:.4g} Ah  discharge "
            f"{c['discharge_capacity_ah']:.4g} Ah  CE {_fmt(ce)}",
            file=out,
        )


def run(args: argparse.Namespace) -> int:
    report = analyze_file(args.file, args)
    if args.json:
        json.dump(report, sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
    else:
        print_summary(report)
    return 0
