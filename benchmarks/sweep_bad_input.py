"""`batteryos analyze --json` on damaged copies of the real instrument files: every run must
end with exit 0 and a JSON report without NaN/inf, or exit 2 and one `batteryos: error:`
line (the product standard: bad input is a clear message, never a traceback).

    python benchmarks/sweep_bad_input.py               # every real file, every damage
    python benchmarks/sweep_bad_input.py --only nasa   # the files whose name starts so

Damage, per real text file (copies in a temporary folder; the originals are not touched):
cut at 5/50/93 % of its bytes (mid-line), 1/10/200 random bytes replaced, and for each
column (10 of a wide file): removed, renamed, made constant, 5 % of its cells nan / inf /
-inf / empty, all nan, x1e300, negated, zeroed; then 0/1/2/3/5 rows, reversed, two rows
swapped, every row twice, shuffled, a second header midway, a longer and shorter row,
CRLF, a byte-order mark, Latin-1 bytes. Binary files (.mpr) and CAN logs (the foxBMS DBC
beside them) are cut and flipped only. Samples run with ``--chemistry lfp --capacity-ah 1.1 --timeseries``,
per-cycle tables without and with ``--capacity-ah 2``. Prints the count of each outcome
and every run that broke the rule (a traceback, a Python warning on stderr, NaN in the JSON,
a messy error).

2026-12-07: ``BATTERYOS_DATA_DIR=... nice python benchmarks/sweep_bad_input.py``: 830 runs,
593 ok, 237 error, none broken (before this session's changes); after them the same (593 / 237 / 0). By hand, the
CLI in a subprocess (``python -m app.cli analyze FILE --json --timeseries OUT.csv``) on every
file of the real data folder (the CAN logs with ``--dbc``, the per-cycle tables without
``--timeseries``) and on ~90 damaged copies (cut, random bytes, zeros, UTF-16, empty,
blank, header or comments only, 1-2 rows, a folder, missing; wrong, missing or text
columns, mV/mA names; semicolons and decimal commas; per-cycle tables with NaN, all NaN,
negative, huge, constant, 1-2 rows, repeated cycle numbers, shuffled, mAh unlabelled;
NaN/inf samples, time reversed, jumping back, constant, shuffled, zigzag, in ms, epoch,
dates, a 30-day gap; current inverted or in mA, voltage in mV, temperature in K; bad
option values and output paths): never a traceback; each error one line. Found and fixed:
a canonical table with ';' (or saved as .xlsx) lost its ``cell_<k>_temp_c`` and
``soh_reported_pct`` without a word (thermal max rise 0.554 -> 0.489 degC/min against the
same log's comma CSV); a log whose time is in ms, or with a 30-day gap, gave SOH 100665 %
and 1522 % (now none, with a note). JSON keys checked against DESIGN.md and issue 3 on all
59 reports (pulses' eight fields, cycle life's four, faults' six, cycles'): all present.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import shutil
import sys
import tempfile
import traceback
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.real_data import REAL_DATA  # noqa: E402

FILES = {  # name: (path under the real data folder, column separator or None, kind)
    "arbin": ("arbin/2017-05-09_test-TC-contact_CH33.csv", ",", "samples"),
    "maccor": ("maccor/PredictionDiagnostics_000151_test.052", "\t", "samples"),
    "neware": ("neware/nw_regular_export_ife_example.csv", ",", "samples"),
    "bdf": ("bdf/SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv", ",", "samples"),
    "nasa": ("capacity/nasa_B0005_capacity.csv", ",", "cycles"),
    "calce": ("capacity/calce_CS2_35_capacity.csv", ",", "cycles"),
    "foxbms": ("can/foxbms_test_log.txt", None, "samples"),
    "trc": ("can/foxbms_can-log.trc", None, "samples"),
    "gcpl": ("biologic/GCPL-0.mpr", None, "samples"),
    "mb": ("biologic/MB-0.mpr", None, "samples"),
}
TOKENS = ("nan", "inf", "", "-inf")


def _split(text: str, sep: str) -> tuple[list[str], str, list[str]]:
    lines = text.split("\n")
    comments = [line for line in lines if line.startswith("#")]
    rest = [line for line in lines if not line.startswith("#")]
    at = max(range(min(5, len(rest))), key=lambda k: rest[k].count(sep))
    return comments + rest[:at], rest[at], [line for line in rest[at + 1 :] if line.strip()]


def _number_map(fn):
    """A cell function applying ``fn`` to numbers and leaving text alone."""

    def apply(row: int, cell: str) -> str:
        try:
            return repr(fn(float(cell)))
        except ValueError:
            return cell

    return apply


def damaged_copies(name: str, raw: bytes, sep: str | None, rng: random.Random):
    """(label, bytes) of each damaged copy of one file."""
    for frac in (0.05, 0.5, 0.93):
        yield f"cut{int(frac * 100)}", raw[: int(len(raw) * frac)]
    for n in (1, 10, 200):
        b = bytearray(raw)
        for _ in range(n):
            b[rng.randrange(len(b))] = rng.randrange(256)
        yield f"flip{n}", bytes(b)
    if sep is None:
        return
    head, header, rows = _split(raw.decode("utf-8", errors="replace"), sep)

    def text(h: str, rs: list[str]) -> bytes:
        return ("\n".join([*head, h, *rs]) + "\n").encode()

    def cells(fn, k: int) -> list[str]:
        out = []
        for j, row in enumerate(rows):
            parts = row.split(sep)
            if k < len(parts):
                parts[k] = fn(j, parts[k])
            out.append(sep.join(parts))
        return out

    cols = header.split(sep)
    picks = range(len(cols)) if len(cols) <= 16 else sorted(rng.sample(range(len(cols)), 10))
    for k in picks:
        first = rows[0].split(sep)[k] if k < len(rows[0].split(sep)) else ""
        yield (
            f"drop{k}",
            text(
                sep.join(cols[:k] + cols[k + 1 :]),
                [sep.join(p[:k] + p[k + 1 :]) for p in (r.split(sep) for r in rows)],
            ),
        )
        yield f"rename{k}", text(sep.join(cols[:k] + [cols[k] + "_x"] + cols[k + 1 :]), rows)
        yield f"const{k}", text(header, cells(lambda j, c, f=first: f, k))
        for tok in TOKENS:
            hit = set(rng.sample(range(len(rows)), max(1, len(rows) // 20)))
            yield (
                f"{tok or 'empty'}{k}",
                text(header, cells(lambda j, c, t=tok, h=hit: t if j in h else c, k)),
            )
        yield f"allnan{k}", text(header, cells(lambda j, c: "nan", k))
        for label, fn in (("huge", lambda x: x * 1e300 + 1e300), ("neg", lambda x: -abs(x))):
            yield f"{label}{k}", text(header, cells(_number_map(fn), k))
        yield f"zero{k}", text(header, cells(_number_map(lambda x: 0.0), k))
    for n in (0, 1, 2, 3, 5):
        yield f"rows{n}", text(header, rows[:n])
    yield "reversed", text(header, rows[::-1])
    swapped = rows[:]
    m = len(swapped) // 2
    swapped[m], swapped[m + 1] = swapped[m + 1], swapped[m]
    yield "swapped", text(header, swapped)
    yield "twice", text(header, [r for r in rows for _ in (0, 1)])
    yield "shuffled", text(header, rng.sample(rows, len(rows)))
    yield "second_header", text(header, rows[: len(rows) // 2] + [header] + rows[len(rows) // 2 :])
    yield "long_rows", text(header, [r + sep + "1" for r in rows[:5]] + rows[5:])
    short = [sep.join(r.split(sep)[:2]) for r in rows[5:8]]
    yield "short_rows", text(header, rows[:5] + short + rows[8:])
    yield "crlf", text(header, rows).replace(b"\n", b"\r\n")
    yield "bom", b"\xef\xbb\xbf" + text(header, rows)
    yield "latin1", text(header, rows).replace(b"e", b"\xe9")


def run_cli(argv: list[str]) -> tuple[str, str]:
    """(outcome, detail): ok, error, or a broken rule."""
    from app.cli import main

    out, err = io.StringIO(), io.StringIO()
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")  # each run's own, not once per process
            rc = main(argv)
    except SystemExit as exc:
        return ("argparse error", "") if exc.code == 2 else ("BROKEN exit", str(exc.code))
    except Exception:
        return "BROKEN traceback", traceback.format_exc().strip().splitlines()[-1]
    if caught:  # a Python warning reaches the user's terminal
        w = caught[0]
        where = f"{os.path.relpath(w.filename, ROOT)}:{w.lineno}"
        return (
            "BROKEN warning",
            f"{len(caught)}, first {w.category.__name__} at {where}: {w.message}",
        )
    if rc == 0:
        try:
            json.loads(
                out.getvalue(), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c))
            )
        except ValueError as exc:
            return "BROKEN json", str(exc)
        return "ok", ""
    lines = [line for line in err.getvalue().splitlines() if line.startswith("batteryos: error:")]
    if rc != 2 or len(lines) != 1:
        return "BROKEN error", err.getvalue()[-200:]
    return "error", lines[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="only the files whose name starts so")
    args = parser.parse_args()
    if REAL_DATA is None:
        print("the real data folder is not there (BATTERYOS_REAL_DATA)")
        return 1
    rng = random.Random(1)
    counts: dict[str, int] = {}
    broken = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BATTERYOS_DATA_DIR"] = os.path.join(tmp, "data")  # an empty log cache
        os.environ["BATTERYOS_CONFIG_DIR"] = os.path.join(tmp, "config")
        for dbc in (REAL_DATA / "can").glob("*.dbc"):  # CAN logs decode through a DBC beside
            shutil.copy(dbc, tmp)
        for name, (rel, sep, kind) in FILES.items():
            if not name.startswith(args.only):
                continue
            src = REAL_DATA / rel
            for label, data in damaged_copies(name, src.read_bytes(), sep, rng):
                path = os.path.join(tmp, f"{name}_{label}{src.suffix}")
                Path(path).write_bytes(data)
                if kind == "cycles":
                    options = [[], ["--capacity-ah", "2"]]
                else:
                    ts = os.path.join(tmp, "ts.csv")
                    options = [["--chemistry", "lfp", "--capacity-ah", "1.1", "--timeseries", ts]]
                for extra in options:
                    outcome, detail = run_cli(["analyze", path, "--json", *extra])
                    counts[outcome] = counts.get(outcome, 0) + 1
                    if outcome.startswith("BROKEN"):
                        broken.append(f"{name}_{label} {' '.join(extra)}: {outcome}: {detail}")
    return print_summary(counts, broken)


def print_summary(counts: dict[str, int], broken: list[str]) -> int:
    """Print the count of each outcome and the runs that broke the rule; the exit code."""
    print(f"runs: {sum(counts.values())}")
    for outcome, n in sorted(counts.items()):
        print(f"  {outcome:18} {n}")
    for line in broken:
        print("  " + line)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
