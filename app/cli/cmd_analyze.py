"""``batteryos analyze``: the diagnostic suite on a log file."""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.cli.battery_options import (
    add_battery_options,
    assumed_capacity_warning,
    overridden_capacity_warning,
    spec_from_args,
)
from app.cli.can_options import add_can_options, can_decoding, use_log_cache
from app.cli.current_sign_option import add_invert_current_option, inverted_if_asked
from app.core.errors import BatteryOSError
from app.diagnostics.cycles import net_differs
from app.diagnostics.full_cycles import NOT_APPLICABLE, unavailable_word

if TYPE_CHECKING:
    import pandas as pd

    from app.core.spec import BatterySpec


def add_parser(sub) -> None:
    p = sub.add_parser(
        "analyze",
        help="run the diagnostics on a log file or a recording",
        description="Run the diagnostic suite on a log file, or on recording:ID (a recording "
        "in the database, --db before the sub-command, as `report` takes it), and print a "
        "summary, or one JSON object with --json. The file is a canonical CSV of samples, or "
        "a per-cycle table (cycle_index, discharge_capacity_ah; or a cycler's or hand-made "
        "names with the unit in them: Cycle, Discharge Capacity (mAh), cycle_number, "
        "discharge_capacity_mah) for the lifetime diagnostics.",
    )
    p.add_argument("file", metavar="FILE_OR_RECORDING")
    add_battery_options(p)
    add_invert_current_option(p)
    p.add_argument(
        "--eol-fraction",
        type=_fraction,
        default=0.8,
        help=EOL_FRACTION_HELP,
    )
    p.add_argument("--json", action="store_true", help="print one JSON object (stable keys)")
    add_can_options(p)
    p.add_argument(
        "--timeseries",
        metavar="OUT",
        help="write time_s and derived series to OUT.csv or OUT.parquet: soc_percent and its "
        "2-sigma band, the difference to the BMS's SOC, power_w, charge_ah, "
        "cell_v_min_v/max_v, cell_spread_mv",
    )
    p.set_defaults(run=run)


#: ``--eol-fraction``'s help, one wording for ``analyze`` and ``report`` (the report's
#: read "of capacity", leaving out what stands for it when no capacity is given)
EOL_FRACTION_HELP = (
    "end of life at this fraction of --capacity-ah, or of the first cycles' capacity "
    "when no capacity is given (default 0.8)"
)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 0 and 1")
    return value


@dataclass
class Analysis:
    """The analysis of one file: the ``--json`` object, and the samples behind it."""

    report: dict
    frame: pd.DataFrame | None = None  #: None for a per-cycle table
    timeseries: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)
    plausible_cell_v: tuple[float, float] = (-math.inf, math.inf)  #: the spec's cell band


def analyze_cycle_table(path: str, args: argparse.Namespace) -> Analysis:
    from app.diagnostics.suite import run_cycle_table_suite
    from app.hardware.logs.cycle_table import check_capacity_scale, read_cycle_table

    cycles = read_cycle_table(path)
    check_capacity_scale(path, cycles, args.capacity_ah)
    spec = spec_from_args(args) if args.chemistry else None
    suite = run_cycle_table_suite(
        cycles, spec, eol_fraction=args.eol_fraction, reference_capacity_ah=args.capacity_ah
    )
    from app.diagnostics.cycle_table_health import invalid_rows_warning

    report = {"source": path, "spec": cycle_table_spec(spec, args.capacity_ah), **suite.to_dict()}
    warnings = []
    if read_as := cycles.attrs.get("columns_read_as"):
        # what was assumed of the file's own column names, as a log's reader says it
        warnings.append("columns read as: " + ", ".join(f"{h} -> {t}" for h, t in read_as.items()))
    if left_out := invalid_rows_warning(suite.results["capacity_fade"].get("invalid_rows")):
        warnings.append(left_out)
    # (the keys of a log of samples', always there: --json's keys are stable)
    report["warnings"] = warnings
    report["invalid_results"] = {}
    return Analysis(report)


def cycle_table_spec(spec: BatterySpec | None, capacity_ah: float | None) -> dict | None:
    """The ``spec`` of a per-cycle table's report: the battery the options describe,
    under a BatterySpec's keys, null where they say nothing -- the capacity unless
    ``--capacity-ah`` gives it (the results rest on it, else on the first cycles: a
    chemistry preset's is no one's), the chemistry and its limits unless ``--chemistry``
    does. None when neither is given."""
    if spec is None and capacity_ah is None:
        return None
    if spec is None:
        from app.core.spec import preset

        out = dict.fromkeys(preset("nmc").to_dict())
    else:
        out = spec.to_dict()
    out["capacity_ah"] = capacity_ah
    return out


def analyze(path: str, args: argparse.Namespace) -> Analysis:
    """Run the suite on a log of samples or a per-cycle table (``analyze`` and ``report``)."""
    from app.core import schema
    from app.diagnostics import run_suite
    from app.diagnostics.input_validity import with_input_warnings
    from app.hardware.logs.cycle_table import is_cycle_table
    from app.hardware.logs.formats import open_log

    if is_cycle_table(path):
        return analyze_cycle_table(path, args)
    log = open_log(path, use_cache=use_log_cache(args))
    frame = inverted_if_asked(args, log.frame)
    fallback = log.spec
    cells = schema.series_cells_in(frame)
    spec = spec_from_args(
        args,
        fallback=fallback,
        cells_in_data=cells,
        spec_problem=log.spec_problem,
        frame=frame,
    )
    suite = run_suite(
        frame, spec, eol_fraction=args.eol_fraction, reference_capacity_ah=args.capacity_ah
    )
    report = {"source": path, "spec": spec.to_dict(), **suite.to_dict()}
    # what the reader left out of the file, and why; what was assumed
    notes = current_sign_notes(report, suite, args)
    if log.metadata.get("warnings"):
        notes += log.metadata["warnings"].splitlines()
    notes.append(assumed_capacity_warning(args, spec, fallback))
    notes.append(overridden_capacity_warning(args, fallback))
    report = with_input_warnings(report, frame, spec, notes)
    return Analysis(report, frame, suite.timeseries, dict(log.metadata), spec.plausible_cell_v)


def current_sign_notes(report: dict, suite, args: argparse.Namespace) -> list[str]:
    """The note that the user flipped the current (``analyze``, ``report``); with the
    flip, a sign check that finds the current reversed advises dropping it (in
    ``report["current_sign"]``: not the "use --invert-current" the user already gave).

    The sign's own warning comes first among the warnings
    (:func:`~app.diagnostics.input_validity.with_input_warnings`)."""
    if not getattr(args, "invert_current", False):
        return []
    if suite.current_sign is not None and suite.current_sign.reversed:
        report["current_sign"] = {
            **report["current_sign"],
            "warning": suite.current_sign.warning_when_inverted,
        }
    return ["the current was negated (--invert-current): discharge counted as negative"]


def analyze_file(path: str, args: argparse.Namespace) -> dict:
    """The suite on the log file ``path``, or on ``recording:ID`` in the database (--db),
    as ``report`` takes them."""
    from app.cli.output_paths import check_outputs
    from app.cli.recording_analysis import analyze_recording, recording_id

    stored = recording_id(path)
    check_outputs(
        () if stored is not None else (path,), {"--timeseries": getattr(args, "timeseries", None)}
    )
    if getattr(args, "timeseries", None):
        timeseries_format(args.timeseries)  # refused before the analysis, not after it
    if getattr(args, "timeseries", None) and stored is None:
        from app.hardware.logs.cycle_table import is_cycle_table

        if is_cycle_table(path):  # said before the analysis, not after printing it
            raise BatteryOSError(
                f"{path}: a per-cycle table has no samples to write a time series of: "
                "leave out --timeseries (--json gives the cycles)"
            )
    analysis = analyze(path, args) if stored is None else analyze_recording(stored, args)[0]
    if getattr(args, "timeseries", None):
        if analysis.frame is None:
            raise BatteryOSError("--timeseries needs samples; a per-cycle table has none")
        import pandas as pd

        from app.core import schema
        from app.diagnostics.derived import derived_series

        out = pd.DataFrame(
            {
                "time_s": analysis.frame[schema.TIME].to_numpy(),
                **analysis.timeseries,
                **derived_series(analysis.frame, analysis.plausible_cell_v),
            }
        )
        try:
            if timeseries_format(args.timeseries) == "parquet":
                out.to_parquet(args.timeseries, index=False)
            else:
                out.to_csv(args.timeseries, index=False, float_format="%.6g")
        except OSError as exc:
            raise BatteryOSError(
                f"{args.timeseries}: cannot write ({exc.strerror or exc})"
            ) from None
    return analysis.report


def timeseries_format(path: str) -> str:
    """``csv`` or ``parquet``, as ``path``'s extension names it; any other refused (a
    ts.parquet written as CSV was a file mislabeled)."""
    name = path.lower()
    for suffix in ("csv", "parquet"):
        if name.endswith(f".{suffix}"):
            return suffix
    raise BatteryOSError(f"--timeseries {path}: write to .csv or .parquet")


#: The cycles the text summary lists; a line says how many more there are.
SHOWN_CYCLES = 20


def _seconds(t: float) -> str:
    """A time into the log, to the tenth of a second: "0.7-1.5 s", "43200.6-262658.3 s"
    (``:g`` gave six figures, "0.690086-1.49853 s" and "43200.6-262658 s")."""
    return f"{t:.1f}"


def _fmt(value, unit="", digits=3, *, fixed: bool = False) -> str:
    """``digits`` significant digits, or with ``fixed`` decimals (no '4.01e+03'); float
    dust as 0 (:func:`~app.core.number_text.number_text`, the reports' formatter)."""
    from app.core.number_text import number_text

    return number_text(value, f".{digits}{'f' if fixed else 'g'}", unit)


def _resistance_text(ir: dict, sign_reversed: bool) -> str:
    """The pulses' resistances per cell, the best the log resolves first (the GUI card's
    order: R10, else ohmic, 2 s, fitted, 30 s), and the fitted R0 when it is not that."""
    from app.core.resistance_text import resistance_text
    from app.diagnostics.resistance_readout import headline_resistances, unphysical_note

    shown = headline_resistances(ir)
    # in mOhm to two decimals, as the window and the report write it ("0.032 ohm" here
    # was "32.01 mΩ" there, a digit and a half lost)
    readings = [
        f"{m.label} {resistance_text(m.cell_ohm, ascii=True)} per cell (median of {m.pulses})"
        for m in shown
    ]
    if note := unphysical_note(ir, sign_reversed):
        readings.append(note)
    return f"{_pulses(ir['n_pulses'])}, " + (", ".join(readings) or "none gave a resistance")


#: The verdict words of a result's severity (the GUI card's chip: info is ok).
_VERDICT = {"info": "ok", "warning": "warning", "critical": "critical"}


def _fade_text(fade: dict) -> str:
    """'critical: retention 0.703 (mean of the last 5 cycles over the first 5; 0.690 of
    2 Ah nominal); end of life at cycle 125: below 0.7 x 2 Ah, model linear': the verdict is the result's severity, the one the GUI's card shows (not its
    ``status``, which says whether a model was fitted: "ok" for a cell at 30 % of its
    capacity), judged by the end-of-life line of cycle life (``--eol-fraction``)."""
    from app.diagnostics.capacity_fade import fade_severity_note, retention_basis

    if fade["status"] in ("insufficient_data", NOT_APPLICABLE):
        return f"{unavailable_word(fade)}: {fade.get('reason') or 'too few cycles'}"
    verdict = _VERDICT.get(str(fade.get("severity")), str(fade.get("severity")))
    # (what the retention compares: the end of life is judged against another line)
    detail = f"retention {_fmt(fade.get('capacity_retention'))} ({retention_basis(fade)})"
    if note := fade_severity_note(fade):
        detail += f"; {note}"
    if fade["status"] == "no_fade":
        return f"{verdict}: {detail}, no measurable fade"
    knee = (fade.get("knee") or {}).get("knee_point_cycle")
    # (the knee as the report's fade row gives it, unless the note already named it)
    knee_text = f", knee at cycle {knee:.0f}" if knee is not None and "knee" not in detail else ""
    return f"{verdict}: {detail}, model {fade['selected_model']}{knee_text}"


def _life_text(life: dict) -> str:
    """'critical: end of life reached at cycle 106', 'ok: end of life forecast at cycle 85
    (90 % interval 75-123)': the verdict is the result's severity, as on the GUI's card
    (past end of life is critical there and in capacity fade). The interval says its
    level and an open upper end as 'to beyond' the horizon (it said '(84-n/a)')."""
    if life["status"] in ("insufficient_data", NOT_APPLICABLE):
        return f"{unavailable_word(life)}: {life.get('reason') or 'too few cycles'}"
    verdict = _VERDICT.get(str(life.get("severity")), str(life.get("severity")))
    eol = life["predicted_eol_cycle"]
    if life["status"] == "reached" and eol is not None:  # observed: no interval
        return f"{verdict}: end of life reached at cycle {eol:.0f}"
    if eol is not None:
        from app.core.eol_interval_text import eol_interval_text

        interval = eol_interval_text(
            life["interval_low"], life["interval_high"], life.get("horizon_cycle"), ascii=True
        )
        level = life.get("interval_level") or 0.9
        return (
            f"{verdict}: end of life forecast at cycle {eol:.0f} "
            f"({level * 100:.0f} % interval {interval})"
        )
    return f"{verdict}: {life.get('reason') or life['status']}"


def _pulses(n: int) -> str:
    return f"{n} pulse{'' if n == 1 else 's'}"


def _any_soc(balance: dict) -> str:
    """Where the max spread is of (every sample, as the spread alert takes it), when the
    status judged other samples: 'cells balanced (max 287 mV)' read as contradicting an
    alert on that spread."""
    if balance.get("spread_max_mv") is None or not balance.get("judged_on"):
        return ""
    return " at any SOC and load, as the spread alert takes it"


#: Limit events and faults the summary lists (``--json`` has them all).
LISTED = 10


def _more(count: int, what: str, out) -> None:
    """The line that says how many the summary left unlisted (it said "11 limit events"
    and listed 10 without a word)."""
    if count > LISTED:
        print(f"    ... and {count - LISTED} more {what} (--json lists them all)", file=out)


def limits_text(spec: dict, limits: dict) -> str:
    """The limits the safety check judged against (the spec's: the preset's, the file's
    or the options'), as ``analyze`` and ``record`` show them; a current not judged
    (the capacity only a lower bound) as 'charge current not judged'."""

    def current(kind: str) -> str:
        amps = limits[f"max_{kind}_current_a"]
        if amps is None:
            return f"{kind} current not judged"
        return f"{kind} {amps:.4g} A ({spec[f'max_{kind}_current_c']:g}C)"

    return (
        f"cell {limits['cell_v_min']:g}-{limits['cell_v_max']:g} V, "
        f"{current('charge')} "
        f"at {limits['charge_temp_min_c']:g} to {limits['charge_temp_max_c']:g} degC, "
        f"{current('discharge')} "
        f"at {limits['discharge_temp_min_c']:g} to {limits['discharge_temp_max_c']:g} degC"
    )


def resistance_soh_refused(soh: dict) -> str | None:
    """Why the resistance SOH is n/a though pulses gave a resistance (the reference
    given or the preset's contradicts it: the SOH's "no resistance SOH" note)."""
    if soh.get("soh_resistance_percent") is not None:
        return None
    return next((n for n in soh.get("notes") or () if n.startswith("no resistance SOH")), None)


def print_summary(report: dict, out=None) -> None:
    from app.reports.content import cycle_table_capacity

    out = out or sys.stdout  # looked up now: a default bound at import escapes redirection
    r = report["results"]
    spec = report["spec"]
    capacity = cycle_table_capacity(report)
    # (a per-cycle table's spec may give a capacity and no chemistry)
    battery = (
        f"{spec['chemistry']} {spec['series_cells']}s{spec['parallel_strings']}p"
        if spec and spec.get("chemistry")
        else ""
    )
    if capacity is None:
        bound = "at least " if spec.get("capacity_lower_bound") else ""
        print(f"{report['source']}: {battery} {bound}{spec['capacity_ah']:g} Ah", file=out)
    else:
        print(
            f"{report['source']}: {battery + ', ' if battery else ''}per-cycle table, {capacity}",
            file=out,
        )
    for warning in report.get("warnings", []):
        print(f"  warning       {warning}", file=out)
    if (soc := r["soc"]) is not None:
        from app.diagnostics.soc import bms_check_text, soc_undetermined_text, start_soc_text

        start, how = start_soc_text(soc)
        # one decimal, as the start and the report's row ("100.0 % ±4.8 % -> 100 %")
        final = _fmt(soc["final_soc_percent"], " %", 1, fixed=True)
        if (sigma := soc.get("final_soc_sigma_percent")) is not None:
            final += f" ±{2 * sigma:.1f} %"  # the end's band (2 sigma), as the report's
        print(f"  SOC           {start} -> {final}  ({soc['method']})", file=out)
        if why := (report.get("invalid_results") or {}).get("soc"):
            # (as the report's SOC row: not valid, never a plain figure)
            print(f"                not valid for this log: {why} (see the warnings)", file=out)
        if how:
            print(f"                ({how})", file=out)
        if not (report.get("invalid_results") or {}).get("soc") and (
            undetermined := soc_undetermined_text(soc)
        ):
            # as the window's card and tile: a ±26 % band is no SOC (it showed the
            # figures alone where the window said "cannot be determined")
            print(f"                {undetermined}", file=out)
        for note in soc.get("notes") or ():  # (the time gaps not counted)
            print(f"                {note}", file=out)
        if (bms := bms_check_text(soc)) is not None:
            print(f"  BMS check     {bms}", file=out)
    if (soh := r["soh"]) is not None:
        print(
            f"  SOH           capacity {_fmt(soh['soh_capacity_percent'], ' %')}, resistance "
            f"{_fmt(soh['soh_resistance_percent'], ' %')}",
            file=out,
        )
        if soh["soh_capacity_percent"] is None and (
            why := next((n for n in soh.get("notes") or () if n.startswith("no capacity")), None)
        ):
            # why the capacity is n/a, as the window's card and the report's row say it
            # (the summary gave a bare "capacity n/a")
            print(f"                ({why})", file=out)
        if (why := resistance_soh_refused(soh)) is not None:
            print(f"                ({why})", file=out)  # why resistance is n/a
        elif (
            soh["soh_resistance_percent"] is None
            and ((r.get("internal_resistance") or {}).get("n_pulses") or 0) > 0
            and (
                why := next((n for n in soh.get("notes") or () if n.startswith("no resist")), None)
            )
        ):
            # pulses found and still no resistance SOH (neware's 40 give an R30, no
            # fitted R0): the card's note, not a bare n/a under "40 pulses"
            print(f"                ({why})", file=out)
    if (ir := r["internal_resistance"]) is not None:
        reversed_ = bool((report.get("current_sign") or {}).get("warning"))
        print(f"  resistance    {_resistance_text(ir, reversed_)}", file=out)
    else:
        # a per-cycle table's resistance column, shown as logged (as the report's row)
        from app.core.resistance_text import resistance_text
        from app.diagnostics.cycle_table_health import table_resistance_text

        def ohm(v: float) -> str:
            return resistance_text(v, ascii=True)

        if logged := table_resistance_text(r.get("soh"), ohm):
            print(f"  resistance    {logged}", file=out)
    if (cb := r["cell_balance"]) is not None:
        from app.diagnostics.cell_balance import balance_verdict, judged_spread_text

        # (as the window's card and the report: no advice to balance on a suspect
        # reading, nor on a cell with an internal short)
        status, _, advice = balance_verdict(cb, r.get("faults"))
        print(
            f"  cell balance  {status}: {judged_spread_text(cb)} "
            f"(max {_fmt(cb['spread_max_mv'], ' mV', digits=1, fixed=True)}{_any_soc(cb)}) "
            f"- {advice}",
            file=out,
        )
    if (sf := r["safety"]) is not None:
        n = len(sf["events"])
        print(f"  safety        {sf['status']} ({n} limit event{'' if n == 1 else 's'})", file=out)
        if spec and (limits := sf.get("limits")):
            print(f"                limits: {limits_text(spec, limits)}", file=out)
            if why := limits.get("current_not_judged"):
                print(f"                ({why})", file=out)
        from app.core.number_text import limit_event_pair

        for e in sf["events"][:LISTED]:
            # with the unit, as the window's card and the faults' lines ("6.601 vs
            # limit 4.4" left the reader to guess amperes)
            worst, limit = limit_event_pair(e["check"], e["worst_value"], e["limit"], degree="degC")
            print(
                f"    {e['severity']:8} {e['check']} on {e['channel']}: "
                f"{worst} vs limit {limit} "
                f"at {_seconds(e['start_time_s'])}-{_seconds(e['end_time_s'])} s",
                file=out,
            )
        _more(len(sf["events"]), "events", out)
    if (th := r["thermal"]) is not None:
        print(
            # the decimals of the window's card and the report (".3g" gave "27 degC" and
            # "0.899 degC/min" where they read 27.0 °C and 0.90 °C/min)
            f"  thermal       max {_fmt(th['max_temperature_c'], ' degC', 1, fixed=True)}, "
            f"max rise {_fmt(th['max_rise_rate_c_per_min'], ' degC/min', 2, fixed=True)}"
            + (
                f", runaway risk {th['runaway_risk_level']} ({th['runaway_risk_score']:.0f}/100)"
                if th.get("runaway_risk_level")
                else ""
            ),
            file=out,
        )
    if (faults := r["faults"]) is not None and capacity is None:  # (none for a cycle table)
        print(f"  faults        {len(faults)}", file=out)
        from app.diagnostics.faults.text import fault_values

        for f in faults[:LISTED]:
            # what the detector measured, as the window and the report word it (a
            # short's self-discharge with its interval)
            values = fault_values(f)
            print(
                f"    {f['severity']:8} {f['kind']} on {f['channel']} "
                f"at {_seconds(f['start_time_s'])} s" + (f": {values}" if values else ""),
                file=out,
            )
        _more(len(faults), "faults", out)
    if (fade := r["capacity_fade"]) is not None:
        print(f"  fade          {_fade_text(fade)}", file=out)
    if (life := r["cycle_life"]) is not None:
        print(f"  cycle life    {_life_text(life)}", file=out)
    cycles = report["cycles"]
    print(f"  cycles        {len(cycles)}", file=out)
    from app.core.number_text import column_decimals, column_text

    # each column in fixed decimals, as the report's table (".4g" read "0.3278 Ah" over
    # "0.327 Ah", "1.09 Ah" under "1.856 Ah"; the CE "1.01" where the report has 1.0120)
    places = {
        key: column_decimals(c.get(key) for c in cycles)
        for key in ("charge_capacity_ah", "discharge_capacity_ah", "net_discharge_capacity_ah")
    }

    def ah(c: dict, key: str) -> str:
        return column_text(c.get(key), places[key], " Ah")

    for c in cycles[:SHOWN_CYCLES]:
        ce = c.get("coulombic_efficiency")
        # the net discharge where it is not the discharge (a drive's braking): the
        # capacity fade and cycle life follow (app.diagnostics.suite.lifetime_cycles)
        net = f" (net {ah(c, 'net_discharge_capacity_ah')})" if net_differs(c) else ""
        print(
            f"    #{c['cycle_index']:<4} charge {ah(c, 'charge_capacity_ah')}  discharge "
            f"{ah(c, 'discharge_capacity_ah')}{net}  CE {_fmt(ce, digits=4, fixed=True)}",
            file=out,
        )
    if len(cycles) > SHOWN_CYCLES:
        print(f"    … {len(cycles) - SHOWN_CYCLES} more (all of them: --json)", file=out)


def run(args: argparse.Namespace) -> int:
    with can_decoding(args):
        report = analyze_file(args.file, args)
    if args.json:
        json.dump(report, sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
        if (sign := report.get("current_sign")) and sign.get("warning"):
            # the JSON may go to a script: the person running it still hears of it
            print(f"batteryos: warning: {sign['warning']}", file=sys.stderr)
    else:
        print_summary(report)
    return 0
