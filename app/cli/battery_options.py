"""The battery options shared by sub-commands: --chemistry, --capacity-ah, --cells, --ocv-table,
--bol-resistance-ohm, and the limits over the chemistry preset's (--cell-v-max, --cell-v-min,
--max-charge-c, --max-discharge-c, --charge-temp-min-c, ...)."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING

from app.core.errors import BatteryOSError
from app.core.limits import LIMITS, LimitKind, limit_problem
from app.core.spec import (
    MAX_CAPACITY_AH,
    MAX_RESISTANCE_OHM,
    MIN_CAPACITY_AH,
    MIN_RESISTANCE_OHM,
    BatterySpec,
    Chemistry,
    check_ocv_table,
    in_chemistry,
    load_ocv_table,
    preset,
)

if TYPE_CHECKING:
    import pandas as pd

    from app.hardware.logs.canonical_csv import LoadedLog


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


def capacity(text: str) -> float:
    value = positive_float(text)
    if not MIN_CAPACITY_AH <= value <= MAX_CAPACITY_AH:
        raise argparse.ArgumentTypeError(
            f"{text!r} Ah is not a cell's or string's capacity "
            f"({MIN_CAPACITY_AH:g} to {MAX_CAPACITY_AH:g} Ah)"
        )
    return value


def resistance(text: str) -> float:
    """A cell's resistance in ohm: a thin-film cell's ~100 ohm down to a large cell's ~0.1 mOhm."""
    value = positive_float(text)
    if not MIN_RESISTANCE_OHM <= value <= MAX_RESISTANCE_OHM:
        raise argparse.ArgumentTypeError(
            f"{text!r} ohm is not a cell's resistance ({MIN_RESISTANCE_OHM:g} to "
            f"{MAX_RESISTANCE_OHM:g} ohm; 15 mOhm is 0.015)"
        )
    return value


def _limit(kind: LimitKind, unit: str):
    """The argparse type of a limit of ``kind`` (:func:`app.core.limits.limit_problem`:
    the URL's and the window's checks); ``unit`` is said after the value typed."""

    def parse(text: str) -> float:
        if kind is LimitKind.TEMPERATURE:
            try:
                value = float(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        else:
            value = positive_float(text)
        if problem := limit_problem(kind, value):
            raise argparse.ArgumentTypeError(f"{text!r}{unit} {problem}")
        return value

    return parse


#: A cell voltage limit, V: one cell's (no chemistry's limit is above ~5 V).
cell_voltage = _limit(LimitKind.CELL_VOLTAGE, " V")
#: A current limit as a C-rate of the pack's capacity (positive; 100C is no cell's).
c_rate = _limit(LimitKind.C_RATE, "")
temperature = _limit(LimitKind.TEMPERATURE, " degC")
_TYPES = {
    LimitKind.CELL_VOLTAGE: cell_voltage,
    LimitKind.C_RATE: c_rate,
    LimitKind.TEMPERATURE: temperature,
}
_METAVARS = {LimitKind.CELL_VOLTAGE: "V", LimitKind.C_RATE: "C", LimitKind.TEMPERATURE: "DEGC"}

#: The limit options: (option, BatterySpec field, type, metavar, what it sets). One way
#: to name them: the spec's own fields, as to_dict, the GUI, the source URLs and the JSON
#: report do (:data:`app.core.limits.LIMITS`).
LIMIT_OPTIONS = tuple(
    (limit.option, limit.field, _TYPES[limit.kind], _METAVARS[limit.kind], limit.what)
    for limit in LIMITS
)


def limit_overrides(args: argparse.Namespace) -> dict[str, float]:
    """The limits the options give, by BatterySpec field (those given only)."""
    return {
        field: value
        for _, field, _, _, _ in LIMIT_OPTIONS
        if (value := getattr(args, field, None)) is not None
    }


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def add_battery_options(
    parser: argparse.ArgumentParser, *, chemistry_default: str | None = None
) -> None:
    group = parser.add_argument_group("battery")
    group.add_argument(
        "--chemistry",
        choices=[c.value for c in Chemistry],
        default=chemistry_default,
        help="cell chemistry preset (limits, OCV table)"
        + (f" (default: {chemistry_default})" if chemistry_default else ""),
    )
    group.add_argument(
        "--capacity-ah", type=capacity, help="nominal capacity of one cell/string, Ah"
    )
    group.add_argument("--cells", type=positive_int, help="series cells")
    group.add_argument(
        "--ocv-table",
        metavar="CSV",
        help="OCV table of one cell: CSV with columns soc_percent,ocv_v",
    )
    group.add_argument(
        "--ocv-table-current-c",
        type=float,
        metavar="C",
        help="the current the --ocv-table was measured at, in C, charging positive "
        "(a C/50 discharge: -0.02; rest points: 0): its polarisation is then corrected; "
        "default: not known",
    )
    group.add_argument(
        "--bol-resistance-ohm",
        type=resistance,
        metavar="OHM",
        help="beginning-of-life resistance of one cell, ohm (the fitted R0 the resistance "
        "SOH compares, at 25 degC: the pulses' are brought to 25 degC too); default: the "
        "chemistry's typical value for the capacity",
    )
    # the limits over the chemistry preset's (or the file's), for the safety check, the
    # faults and the report: a deliberate fast charge, a high-voltage cell's data sheet
    for option, field, kind, metavar, what in LIMIT_OPTIONS:
        group.add_argument(
            option,
            dest=field,
            type=kind,
            metavar=metavar,
            help=f"limit over the chemistry preset's (or the file's): {what}",
        )


def spec_from_args(
    args: argparse.Namespace,
    fallback: BatterySpec | None = None,
    cells_in_data: int = 0,
    spec_problem: str | None = None,
    frame: pd.DataFrame | None = None,
) -> BatterySpec:
    """The battery the user described, over ``fallback`` (e.g. the file's own spec).

    An option changes what it names and nothing else: ``--chemistry`` over a file's own
    battery of another chemistry takes that chemistry's preset (limits, OCV table, ECM)
    but keeps the file's cells, capacity and resistance.

    ``frame``: the samples the battery is for. When their cell-voltage columns add up to
    the pack voltage (:func:`app.hardware.cell_count.cells_the_data_shows`), that is the series cell count: it
    stands over the file's own, and a ``--cells`` that differs is refused, as one its
    pack voltage or cell numbering shows too few (:func:`app.hardware.cell_count.too_few_cells_text`).
    ``cells_in_data``: the count :func:`app.core.schema.series_cells_in` gives, used when
    neither the user nor the file says.

    ``spec_problem``: what is wrong with the file's own spec line (it was ignored), named
    when the user gives no battery either."""
    if args.chemistry:
        # the file's battery, in the chemistry the user names
        spec = (
            preset(args.chemistry) if fallback is None else in_chemistry(fallback, args.chemistry)
        )
    elif fallback is not None:
        spec = fallback
    else:
        why = f"the file's '# spec:' line is damaged ({spec_problem}), so " if spec_problem else ""
        raise BatteryOSError(
            f"{why}the data does not say which battery it is: give --chemistry "
            "(nmc, lfp, lead_acid) and --capacity-ah"
        )
    from app.hardware.cell_count import cells_shown_text, cells_the_data_shows

    shown = cells_the_data_shows(frame) if frame is not None else 0
    if args.cells and shown and args.cells != shown:
        why = cells_shown_text("log", "cell-voltage columns", shown, args.cells)
        raise BatteryOSError(f"--cells {args.cells}: {why} (give --cells {shown}, or leave it out)")
    cells = args.cells or shown or (cells_in_data if fallback is None and cells_in_data else None)
    spec = spec.with_overrides(
        capacity_ah=args.capacity_ah,
        series_cells=cells,
        bol_resistance_ohm=getattr(args, "bol_resistance_ohm", None),
    )
    if limits := limit_overrides(args):
        try:
            spec = spec.with_overrides(**limits)
        except BatteryOSError as exc:  # (the spec's checks name the fields)
            given = ", ".join(
                f"{option} {getattr(args, field):g}"
                for option, field, *_ in LIMIT_OPTIONS
                if field in limits
            )
            raise BatteryOSError(f"{given}: {exc}") from None
    # (after the limits: a table is checked against the cells' voltage limits given)
    if args.ocv_table:
        soc, ocv = load_ocv_table(args.ocv_table)
        rate = getattr(args, "ocv_table_current_c", None)
        try:
            check_ocv_table(soc, ocv, rate)
        except BatteryOSError as exc:
            given = (
                f"--ocv-table {args.ocv_table}"
                if rate is None
                else f"--ocv-table-current-c {rate:g}"
            )
            raise BatteryOSError(f"{given}: {exc}") from None
        spec = spec.with_ocv_table(soc, ocv, current_c=rate, named=f"--ocv-table {args.ocv_table}")
    elif getattr(args, "ocv_table_current_c", None) is not None:
        raise BatteryOSError("--ocv-table-current-c: give the --ocv-table it was measured for")
    if args.cells and frame is not None:
        from app.hardware.cell_count import too_few_cells_text

        if too_few := too_few_cells_text(frame, spec):
            raise BatteryOSError(f"--cells {args.cells}: the log contradicts it: {too_few}")
    return spec


def source_battery(
    args: argparse.Namespace, url: str
) -> tuple[BatterySpec | None, LoadedLog | None]:
    """The battery the options give for the live source at ``url``, and the log file read
    to know it (a ``file://`` source naming no battery: hand it to the source, which then
    does not read the file again; else None).

    The battery is over the one the URL names, so an option left out is the URL's
    (``--chemistry lfp`` with ``?chemistry=lfp&cells=16`` is 16 cells). None when no option
    is given: the URL's (or a file's own) battery is used. An option that differs from the
    URL's value is refused when the source is created
    (:func:`app.hardware.registry.check_battery_agrees`)."""
    from app.hardware.registry import parse_source_url, url_battery, url_battery_values

    # (a --ocv-table-current-c alone is named by spec_from_args, not dropped)
    options = (
        args.chemistry,
        args.capacity_ah,
        args.cells,
        args.ocv_table,
        getattr(args, "ocv_table_current_c", None),  # (as spec_from_args reads it)
    )
    if (
        all(option is None for option in options)
        and args.bol_resistance_ohm is None
        and not limit_overrides(args)
    ):
        return None, None
    parsed = parse_source_url(url)
    fallback, cells_in_data, frame, log = url_battery(parsed), 0, None, None
    if fallback is None and parsed.scheme == "file":
        from app.core import schema
        from app.hardware.file_source import read_file_log

        log = read_file_log(parsed)
        fallback, cells_in_data, frame = log.spec, schema.series_cells_in(log.frame), log.frame
    elif fallback is None:  # a size without a chemistry (sim://?cells=4: the default's)
        given = url_battery_values(parsed)
        args = argparse.Namespace(**vars(args))
        args.cells = args.cells or given.get("cells")
        args.capacity_ah = args.capacity_ah or given.get("capacity_ah")
    spec = spec_from_args(args, fallback=fallback, cells_in_data=cells_in_data, frame=frame)
    return spec, log


def assumed_capacity_warning(
    args: argparse.Namespace, spec: BatterySpec, fallback: BatterySpec | None
) -> str | None:
    """A warning when the capacity is the chemistry preset's, not the user's or the file's."""
    if args.capacity_ah is not None:
        return None
    if fallback is not None:
        return None  # the file says which battery it is (and --chemistry keeps its capacity)
    return (
        f"the capacity is the {spec.chemistry.value} preset's {spec.capacity_ah:g} Ah (neither "
        "the file nor --capacity-ah gives one): SOC, SOH and cycle life depend on it"
    )


#: A --capacity-ah this far from the file's own capacity (ratio) is named, in case
#: it is a slip (a pack's 50 Ah typed as 5).
CAPACITY_MISMATCH_RATIO = 1.2


def overridden_capacity_warning(
    args: argparse.Namespace, fallback: BatterySpec | None
) -> str | None:
    """A warning when ``--capacity-ah`` differs much from the capacity the file names."""
    if args.capacity_ah is None or fallback is None or not fallback.capacity_ah:
        return None
    ratio = args.capacity_ah / fallback.capacity_ah
    if 1 / CAPACITY_MISMATCH_RATIO <= ratio <= CAPACITY_MISMATCH_RATIO:
        return None
    return (
        f"--capacity-ah {args.capacity_ah:g} Ah is used, but the file names its battery's "
        f"capacity {fallback.capacity_ah:g} Ah ({ratio:.2g}x): SOC, SOH, cycle life and the "
        "current limits (C-rates of the capacity) are judged against the option's; leave it "
        "out to use the file's"
    )


def check_source_names_battery(args: argparse.Namespace, url: str) -> None:
    """Refuse a live source whose battery neither its URL nor the options say.

    A BMS or battery monitor (serial://, can://) reports a pack's voltage and current,
    not which battery it is: judged as a preset's single cell, a 12 V pack raised
    critical cell-voltage alarms. The GUI's connection dialog asks for the battery
    parameters the catalogue marks needed (:attr:`~app.hardware.protocols.Param.needed`:
    chemistry, series cells, capacity) before it connects; ``record`` and ``serve``
    ask for the same ones, given as options or in the URL. The simulator and a log
    file name their battery themselves (a file that does not is refused when opened);
    a source outside the catalogue (a third party's) checks its own URL."""
    from app.hardware.protocols import parse_connection
    from app.hardware.registry import parse_source_url

    try:
        proto = parse_connection(url).spec
    except BatteryOSError:
        return
    in_url = parse_source_url(url).params
    missing = [
        p
        for p in proto.battery
        if p.needed and not in_url.get(p.name) and getattr(args, p.name, None) is None
    ]
    if not missing:
        return
    names = [p.label.lower() for p in missing]
    words = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
    options = " ".join(_option_text(p.name) for p in missing)
    query = "&".join(f"{p.name}=.." for p in missing)
    if any(p.name == "chemistry" for p in missing):
        what = (
            f"a {proto.label} source does not say which battery it is (a guess would judge "
            f"the pack as one cell): give its {words}"
        )
    else:
        what = f"give the battery's {words} too"
    raise BatteryOSError(f"{url}: {what}: {options} (or in the URL: &{query})")


def _option_text(name: str) -> str:
    """``--chemistry nmc|lfp|lead_acid``, ``--cells N``, ``--capacity-ah AH``."""
    option = "--" + name.replace("_", "-")
    if name == "chemistry":
        return f"{option} {'|'.join(c.value for c in Chemistry)}"
    return f"{option} {'N' if name == 'cells' else name.rsplit('_', 1)[-1].upper()}"
