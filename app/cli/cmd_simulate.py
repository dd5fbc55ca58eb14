"""``batteryos simulate``: a simulated battery to a canonical CSV file."""

from __future__ import annotations

import argparse
import sys
from urllib.parse import urlencode

from app.cli.battery_options import add_battery_options, positive_float, spec_from_args
from app.core.errors import BatteryOSError
from app.hardware.simulator.faults import FaultKind
from app.hardware.simulator.profiles import PROFILES


def add_parser(sub) -> None:
    p = sub.add_parser(
        "simulate",
        help="simulate a battery pack to a CSV file",
        description="Run the equivalent-circuit pack simulator as fast as possible and write "
        "the samples (time_s, voltage_v, current_a, temperature_c, cell_<k>_v, ...) in the "
        "format the extension of OUT names: OUT.csv (canonical CSV), OUT.parquet or "
        "OUT.bdf.csv (Battery Data Format).",
    )
    add_battery_options(p, chemistry_default="nmc")
    p.add_argument(
        "--duration", type=positive_float, default=3600.0, help="simulated seconds (default 3600)"
    )
    p.add_argument(
        "--profile",
        default="drive",
        choices=PROFILES,
        help="load profile (default drive)",
    )
    p.add_argument(
        "--rate-hz", type=positive_float, default=1.0, help="samples per second (default 1)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--soc", type=float, help="initial SOC, %% (default: the profile's)")
    p.add_argument(
        "--bms-soc",
        action="store_true",
        help="add soc_reported_pct, the SOC a simple BMS would report (coulomb counting)",
    )
    p.add_argument(
        "--noise",
        type=float,
        default=0.0,
        metavar="SCALE",
        help="sensor noise: 0 none (default), 1 a typical BMS's, 2 twice that",
    )
    p.add_argument("--fault", choices=[k.value for k in FaultKind], help="inject a fault")
    p.add_argument("--fault-at", type=float, help="fault onset, s")
    p.add_argument("--fault-cell", type=int, help="the cell the fault affects (1-based)")
    p.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="OUT.csv, OUT.parquet or OUT.bdf.csv"
    )
    p.set_defaults(run=run)


def sim_url(args: argparse.Namespace) -> str:
    spec = spec_from_args(args)
    params: dict[str, object] = {
        "cells": spec.series_cells,
        "capacity_ah": spec.capacity_ah,
        "profile": args.profile,
        "duration": args.duration,
        "rate_hz": args.rate_hz,
        "seed": args.seed,
        "speed": 0,
    }
    if args.bms_soc:
        params["bms_soc"] = 1
    if args.noise:
        params["noise"] = args.noise
    for key, value in (
        ("soc", args.soc),
        ("fault", args.fault),
        ("fault_at", args.fault_at),
        ("fault_cell", args.fault_cell),
    ):
        if value is not None:
            params[key] = value
    return f"sim://{spec.chemistry.value}?{urlencode(params)}"


def run(args: argparse.Namespace) -> int:
    from app.cli.record_session import record_to

    if args.fault_at is not None and not 0 <= args.fault_at < args.duration:
        raise BatteryOSError(
            f"--fault-at {args.fault_at:g}: the fault must start within the run (0 to {args.duration:g} s)"
        )
    if (args.fault_at is not None or args.fault_cell is not None) and args.fault is None:
        raise BatteryOSError("--fault-at and --fault-cell need --fault")

    spec = spec_from_args(args)
    _check_fault_fits_profile(args, spec.chemistry.value)
    url = sim_url(args)
    summary = record_to(url, spec=spec, csv_path=args.output, db_url=None, duration_s=None)
    print(f"wrote {summary.samples} samples ({summary.span_s:g} s) of {url} to {args.output}")
    if args.fault == FaultKind.OVER_VOLTAGE and not _exceeds(args.output, spec.cell_v_max):
        print(
            f"batteryos: warning: no over-voltage in {args.output}: the faulty charger acts in "
            f"a constant-voltage charge phase, and this {args.profile} run did not reach one "
            f"after the onset ({_over_voltage_hint(args)})",
            file=sys.stderr,
        )
    if args.fault == FaultKind.SENSOR_STUCK and not args.noise:
        print(
            f"batteryos: warning: {args.output} has no sensor noise: a stuck reading is told "
            "from one a charger or load holds by its own noise stopping, so a noise-free log's "
            "stuck sensor may go unreported (add --noise 1, a typical BMS's noise)",
            file=sys.stderr,
        )
    return 0


#: Profiles that never charge at constant voltage, where an over-voltage cannot happen.
_NO_CV_PROFILES = {"rest", "cc", "hppc", "float"}
#: Profiles whose every charge ends in a constant-voltage phase.
_CV_PROFILES = ("cccv", "cycle")


def _over_voltage_hint(args: argparse.Namespace) -> str:
    """What to try when an over-voltage run did not reach a constant-voltage phase
    after the onset: the other CV profiles (not the one given), an earlier onset
    when one was given, a longer run."""
    others = [p for p in _CV_PROFILES if p != args.profile]
    tries = [f"--profile {' or '.join(others)}"] if others else []
    if args.fault_at:
        tries.append("an earlier --fault-at")
    tries.append("a longer --duration")
    return "try " + (", ".join(tries[:-1]) + ", or " if len(tries) > 1 else "") + tries[-1]


def _check_fault_fits_profile(args: argparse.Namespace, chemistry: str) -> None:
    """Refuse a fault the chosen profile cannot show, rather than write a clean log."""
    if args.fault == FaultKind.OVER_VOLTAGE and args.profile in _NO_CV_PROFILES:
        raise BatteryOSError(
            f"--fault over_voltage: the {args.profile} profile never charges at constant "
            "voltage, where the faulty charger overshoots; use --profile cccv, cycle or drive"
        )
    lead_acid_runaway = args.fault == FaultKind.THERMAL_RUNAWAY and chemistry == "lead_acid"
    if lead_acid_runaway and args.profile != "float":
        raise BatteryOSError(
            "--fault thermal_runaway on lead-acid happens on a float charger: use --profile float"
        )


def _exceeds(csv_path: str, cell_v_max: float) -> bool:
    """Whether any cell voltage in the written log is above ``cell_v_max``."""
    from app.core.schema import cell_voltage_columns
    from app.hardware.logs.formats import open_log

    frame = open_log(csv_path, use_cache=False).frame
    cells = cell_voltage_columns(frame.columns)
    return not cells or bool((frame[cells].to_numpy() > cell_v_max).any())
