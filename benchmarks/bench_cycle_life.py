"""End-of-life forecast accuracy on real and synthetic capacity-fade data, and speed.

    python benchmarks/bench_cycle_life.py                  # everything (~1-2 min)
    python benchmarks/bench_cycle_life.py --no-synthetic   # real cells only
    python benchmarks/bench_cycle_life.py --seeds 0 1 2 3 4 --fractions 0.3 0.4 0.5
    python benchmarks/bench_cycle_life.py --no-synthetic --plot /tmp/cycle_life_plots

Real data (``/work/shared/data/real/capacity``, read only):

* NASA PCoE B0005, B0006 (18650, 2 Ah rated): EOL at 70 % of the rated
  capacity, 1.4 Ah, NASA's own criterion ("30 % fade in rated capacity, from
  2 Ah to 1.4 Ah", README of the data set). In this copy of the data both cells
  cross 1.4 Ah (B0005 at cycle 125, B0006 at 109). Thresholds such as 1.38 Ah
  seen in papers are ad-hoc choices to get a crossing; we keep the definition.
* CALCE CS2_35, CS2_36 (LiCoO2 prismatic, 1.1 Ah): EOL at 80 % of nominal,
  0.88 Ah.
* Their sister cells, tested alongside them (``benchmarks/data/capacity``,
  provenance in its ``SOURCES.md``): NASA B0007, B0018 and CALCE CS2_37,
  CS2_38, same nominal capacities and EOL fractions. B0007 never reaches
  1.4 Ah (its record ends at 1.40-1.43 Ah after 168 cycles): its nominal EOL
  is only known to be later than cycle 168, so a forecast is scored as
  consistent (later than 168, or no crossing) or early, not by its error.

The forecaster is given the nominal capacity and the EOL fraction (as the user's
``--capacity-ah`` would be) and the first 30/40/50/60 % of the rows (by cycle
count). The actual EOL is the estimator's ``reached`` rule on the whole record
(after the outlier filter): the rolling median (5 cycles, or 2 % of the record
when longer) decides that it crossed the threshold, the first cycle measured
below it at that crossing dates it.
Target: within 15 % of the actual EOL cycle from 40 % of the history. Every
case is printed, misses included; a history that already crossed the threshold
is shown as such (nothing to forecast).

Figures (``python benchmarks/bench_cycle_life.py``, seeds 0-2), within 15 % of
the actual EOL from 30 / 40 / 50 / 60 % of the record:

* nominal reference: 4/7, 6/7, 4/7, 5/6 (19/27, median |error| 7.0 %; the
  90 % interval covers the actual EOL in 22/27); from 40 %: B0005 -6 %,
  B0006 -22 % (the miss), CS2_35 +6 %, CS2_36 +11 %, B0018 -3 %, CS2_37 +3 %,
  CS2_38 +0 %.
* default reference: 4/8, 7/7, 5/7, 2/2 (18/24, 7.5 %; covers 23/24); from
  40 %: B0005 -5 %, CS2_35 +2 %, CS2_36 +7 %, B0007 -14 %, B0018 -1 %,
  CS2_37 -6 %, CS2_38 -7 % (B0006 is past it).
* synthetic: 87 % of 252 cases (knee 0 % from 30-40 %, 22 % from 50 %, 100 %
  from 60 %; every other shape 67-100 % from 30 %, 89-100 % from 40 % on);
  covers 94 %.

Before the fits' rolling median became a rolling mean (see
:mod:`app.diagnostics.cycle_life`, step 0): nominal 3/7, 5/7, 4/7, 5/6 (17/27,
11.2 %, covers 22/27; from 40 % B0005 -11 %, B0006 -23 %, CS2_36 +22 %),
default 4/8, 5/7, 5/7, 2/2 (16/24, 9.0 %, covers 21/24; from 40 % CS2_36
+18 %, B0007 -22 %), synthetic 87 % (covers 93 %). Before the median was
taken around the slope and the actual EOL dated by a measurement: nominal
18/27 (8.3 %, covers 20/26), default 15/24 (9.4 %, covers 20/24), synthetic
86 % (covers 92 %), 5/7 from 40 % with both references.

``--plot DIR`` saves one PNG per real cell (the record, the threshold, the
actual EOL, and for each fraction the forecast, its interval and the members'
crossings). The variants measured against these figures, and why none was
adopted, are in the docstring of :mod:`app.diagnostics.cycle_life`.

Synthetic data: curves with a known EOL (0.8 of the initial capacity) of seven
shapes - linear, square-root, exponential, power 1.5, break-in + linear,
a knee (linear, then a quadratic acceleration from 60 % of life), linear with
NASA-like regeneration peaks - with multiplicative Gaussian noise of 0.2, 0.5
and 1 %, the EOL drawn between 300 and 900 cycles, the record running to 1.45x
EOL; forecast from the same fractions.

2026-12-07, held-out seeds (``python benchmarks/bench_cycle_life.py --seeds 9 10 11
12 13``, no change to the forecaster): synthetic 83 % of 420 cases within 15 %
(noise 0.2 % 87 %, 0.5 % 84 %, 1 % 79 %), the interval covering 93 %; from 40 %
of the record linear, square-root, exponential and regeneration 100 %,
break-in+linear 87 % (13/15), power 1.5 67 % (10/15), knee 0 % (its acceleration
not yet in the history); from 30 % square-root 67 %, power 1.5 33 %. Every power
1.5 miss from 40 % is at 1 % noise and late (+15.7 to +23.4 %; seeds 0-2 at 1 %:
+4.6, +17.9, -2.2 %), the two break-in misses +16.6 and +17.6 %, the square-root
misses from 30 % early (-19.8 to -25.8 %): where the noise hides the curvature the
recent windows' members extrapolate a line (step 1 of
:mod:`app.diagnostics.cycle_life`), the trade-off documented there, not a wrong
choice with an obvious cause. The real cells read as above (deterministic): with
the nominal capacity 6/7 from 40 % (the miss B0006 -22 %), 19/27 over 30-60 %,
covering 22/27; default reference 7/7, 18/24, covering 23/24.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.diagnostics.capacity_fade import (  # noqa: E402
    EDGE_CYCLES,
    analyze_capacity_fade,
    clean_capacity_series,
)
from app.diagnostics.cycle_life import (  # noqa: E402
    CycleLifeStatus,
    estimate_cycle_life,
    observed_eol_cycle,
)

DATA = Path("/work/shared/data/real/capacity")
SISTERS = Path(__file__).resolve().parent / "data" / "capacity"
TARGET = 0.15
TARGET_FRACTION = 0.4


@dataclass(frozen=True)
class RealCell:
    name: str
    file: str
    nominal_ah: float
    eol_fraction: float
    folder: Path = DATA


REAL_CELLS = (
    RealCell("NASA B0005", "nasa_B0005_capacity.csv", 2.0, 0.7),
    RealCell("NASA B0006", "nasa_B0006_capacity.csv", 2.0, 0.7),
    RealCell("CALCE CS2_35", "calce_CS2_35_capacity.csv", 1.1, 0.8),
    RealCell("CALCE CS2_36", "calce_CS2_36_capacity.csv", 1.1, 0.8),
    RealCell("NASA B0007", "nasa_B0007_capacity.csv", 2.0, 0.7, SISTERS),
    RealCell("NASA B0018", "nasa_B0018_capacity.csv", 2.0, 0.7, SISTERS),
    RealCell("CALCE CS2_37", "calce_CS2_37_capacity.csv", 1.1, 0.8, SISTERS),
    RealCell("CALCE CS2_38", "calce_CS2_38_capacity.csv", 1.1, 0.8, SISTERS),
)


def actual_eol(df: pd.DataFrame, threshold: float) -> float | None:
    s = clean_capacity_series(df)
    return observed_eol_cycle(s.cycle, s.capacity_ah, threshold)


def _fmt(v, spec="{:.0f}") -> str:
    return "-" if v is None else spec.format(v)


def run_real(fractions: list[float], *, nominal: bool = True) -> list[dict]:
    """Forecast each real cell from the first ``fractions`` of its record.

    ``nominal``: EOL at the literature fraction of the rated capacity (as with
    ``--capacity-ah``); otherwise the tool's default, 0.8 of the mean of the
    first 5 valid cycles (no ``--capacity-ah``).
    """
    if nominal:
        print("Real cells, literature EOL (NASA 70 % of 2 Ah, CALCE 80 % of 1.1 Ah)")
    else:
        print("Real cells, default EOL (no --capacity-ah: 0.8 of the first 5 cycles' capacity)")
    print(
        f"{'cell':<13} {'hist':>5} {'cycles':>6} {'actual':>6} {'pred':>6} "
        f"{'90% interval':>13} {'error':>7} {'<=15%':>5} {'covers':>6} {'median fit':>12} {'CPU ms':>6}"
    )
    rows = []
    for cell in REAL_CELLS:
        df = pd.read_csv(cell.folder / cell.file)
        if nominal:
            fraction, reference = cell.eol_fraction, cell.nominal_ah
            thr = reference * fraction
        else:
            # the estimator's own default reference: the first EDGE_CYCLES valid cycles
            fraction, reference = 0.8, None
            thr = fraction * float(np.mean(clean_capacity_series(df).capacity_ah[:EDGE_CYCLES]))
        act = actual_eol(df, thr)
        # a record that never crosses: the EOL is only known to be after its last cycle
        censored_after = float(clean_capacity_series(df).cycle[-1]) if act is None else None
        for frac in fractions:
            m = int(round(frac * len(df)))
            t0 = time.process_time()
            r = estimate_cycle_life(
                df.iloc[:m], eol_fraction=fraction, reference_capacity_ah=reference
            )
            ms = (time.process_time() - t0) * 1e3
            row = {"cell": cell.name, "frac": frac, "actual": act, "status": r.status}
            if r.status is CycleLifeStatus.REACHED:
                print(
                    f"{cell.name:<13} {frac:>5.0%} {m:>6} {_fmt(act):>6} "
                    f"  (history already past EOL at cycle {r.predicted_eol_cycle})"
                )
                rows.append(row | {"err": None})
                continue
            if censored_after is not None:
                p = r.predicted_eol_cycle
                consistent = p is None or p > censored_after
                print(
                    f"{cell.name:<13} {frac:>5.0%} {m:>6} {'>' + f'{censored_after:.0f}':>6} "
                    f"{_fmt(p):>6}   {'consistent' if consistent else 'EARLY'} (not reached by "
                    f"cycle {censored_after:.0f}; {r.status.value})"
                )
                rows.append(row | {"err": None, "censored_ok": consistent})
                continue
            err = (r.predicted_eol_cycle - act) / act if r.predicted_eol_cycle and act else None
            lo, hi = r.interval_low, r.interval_high
            covers = (
                None
                if act is None or r.predicted_eol_cycle is None
                else (lo <= act and (hi is None or act <= hi))
            )
            ok = err is not None and abs(err) <= TARGET
            interval = f"{_fmt(lo)}-{_fmt(hi) if hi is not None else 'inf'}"
            err_text = f"{err * 100:+.1f}%" if err is not None else "-"
            covers_text = "-" if covers is None else ("yes" if covers else "no")
            print(
                f"{cell.name:<13} {frac:>5.0%} {m:>6} {_fmt(act):>6} "
                f"{_fmt(r.predicted_eol_cycle):>6} {interval:>13} {err_text:>7} "
                f"{'yes' if ok else 'NO':>5} {covers_text:>6} "
                f"{r.model or r.status.value:>12} {ms:>6.0f}"
            )
            rows.append(row | {"err": err, "covers": covers, "pred": r.predicted_eol_cycle})
    return rows


def plot_real(fractions: list[float], folder: Path) -> None:
    """One PNG per real cell: the whole record, the threshold, the actual EOL, and for
    each fraction the forecast point, its 90 % interval and the members' crossings."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("--plot needs matplotlib (pip install matplotlib)")
        return
    folder.mkdir(parents=True, exist_ok=True)
    for cell in REAL_CELLS:
        df = pd.read_csv(cell.folder / cell.file)
        thr = cell.nominal_ah * cell.eol_fraction
        act = actual_eol(df, thr)
        fig, axes = plt.subplots(len(fractions), 1, figsize=(9, 2.6 * len(fractions)), sharex=True)
        for ax, frac in zip(np.atleast_1d(axes), fractions, strict=True):
            m = int(round(frac * len(df)))
            r = estimate_cycle_life(
                df.iloc[:m], eol_fraction=cell.eol_fraction, reference_capacity_ah=cell.nominal_ah
            )
            ax.plot(df.cycle_index, df.discharge_capacity_ah, ".", color="0.7", ms=2)
            ax.plot(df.cycle_index[:m], df.discharge_capacity_ah[:m], ".", color="C0", ms=2)
            ax.axhline(thr, color="r", lw=0.8)
            if act is not None:
                ax.axvline(act, color="r", ls=":", lw=0.8)
            for member in r.members:
                if member.eol_cycle is not None:
                    ax.plot(member.eol_cycle, thr, "|", color="C1", ms=4 + 40 * member.weight)
            if r.predicted_eol_cycle is not None:
                hi = r.interval_high if r.interval_high is not None else 1.5 * len(df)
                ax.axvspan(r.interval_low, hi, color="C2", alpha=0.15)
                ax.axvline(r.predicted_eol_cycle, color="C2")
            ax.set_ylim(thr - 0.15 * cell.nominal_ah, None)
            ax.set_xlim(0, 1.5 * len(df))
            ax.set_title(
                f"{cell.name} from {frac:.0%}: {r.status.value} {_fmt(r.predicted_eol_cycle)} "
                f"(actual {_fmt(act)}); ticks: members' crossings",
                fontsize=8,
            )
        fig.tight_layout()
        out = folder / f"{cell.file.removesuffix('_capacity.csv')}.png"
        fig.savefig(out, dpi=80)
        plt.close(fig)
        print(f"wrote {out}")


def summarize_real(rows: list[dict]) -> None:
    # a forecast that gives no number (beyond the horizon, no fade) for a cell
    # that does reach EOL is a miss, as is an error above the target
    scored = [
        r for r in rows if r["status"] is not CycleLifeStatus.REACHED and "censored_ok" not in r
    ]
    for r in scored:
        if r["err"] is None:
            r["err"] = np.inf
    censored = [r for r in rows if "censored_ok" in r]
    at_target = [r for r in scored if abs(r["frac"] - TARGET_FRACTION) < 1e-9]
    past = [r["cell"] for r in rows if r["status"] is CycleLifeStatus.REACHED]
    past_at_target = [
        r["cell"]
        for r in rows
        if r["status"] is CycleLifeStatus.REACHED and abs(r["frac"] - TARGET_FRACTION) < 1e-9
    ]
    within = sum(abs(r["err"]) <= TARGET for r in at_target)
    covered = [r["covers"] for r in scored if r.get("covers") is not None]
    print(
        f"from {TARGET_FRACTION:.0%} of the history: {within}/{len(at_target)} forecast cells "
        f"within {TARGET:.0%}"
        + (f" ({', '.join(past_at_target)} already past EOL)" if past_at_target else "")
        + f"; all fractions: {sum(abs(r['err']) <= TARGET for r in scored)}/{len(scored)}"
        + (f", median |error| {np.median([abs(r['err']) for r in scored]) * 100:.1f} %")
        + f"; 90 % interval covers the actual EOL in {sum(covered)}/{len(covered)}"
        + (f"; {len(past)} histories already past EOL" if past else "")
        + (
            f"; never-reached EOL: {sum(r['censored_ok'] for r in censored)}/{len(censored)} "
            "forecasts consistent"
            if censored
            else ""
        )
    )
    cells = list(dict.fromkeys(r["cell"] for r in rows))
    print(
        "per cell, |error| <= 15 % over the fractions forecast: "
        + ", ".join(
            f"{c.split()[-1]} {sum(abs(r['err']) <= TARGET for r in scored if r['cell'] == c)}"
            f"/{sum(r['cell'] == c for r in scored)}"
            for c in cells
            if any(r["cell"] == c for r in scored)
        )
    )


# --- synthetic ---------------------------------------------------------------
def _shapes(eol: float) -> dict:
    e = eol

    def regen(n):
        base = 1 - 0.2 * n / e
        bump = np.zeros_like(n)
        for s in range(25, int(n[-1]) + 1, 30):
            after = n >= s
            bump[after] += 0.03 * np.exp(-(n[after] - s) / 4.0)
        return base + bump

    return {
        "linear": lambda n: 1 - 0.2 * n / e,
        "sqrt": lambda n: 1 - 0.2 * np.sqrt(n / e),
        "exponential": lambda n: np.exp(np.log(0.8) * n / e),
        "power 1.5": lambda n: 1 - 0.2 * (n / e) ** 1.5,
        "break-in+lin": lambda n: 1 - 0.05 * (1 - np.exp(-n / (0.08 * e))) - 0.15 * n / e,
        "knee": lambda n: 1 - 0.08 * n / e - 0.12 * (np.clip(n / e - 0.6, 0, None) / 0.4) ** 2,
        "regen": regen,
    }


def run_synthetic(fractions: list[float], seeds: list[int], noises=(0.002, 0.005, 0.01)) -> None:
    print()
    print("Synthetic curves (EOL = 0.8 of initial, known): share within 15 % | median |error|")
    records = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        for noise in noises:
            eol_guess = rng.uniform(300, 900)
            for shape, f in _shapes(eol_guess).items():
                n = np.arange(1, 4000, dtype=float)
                y = f(n)
                true_eol = float(n[np.flatnonzero(y < 0.8)[0]])
                keep = n <= 1.45 * true_eol
                n, y = n[keep], y[keep]
                q = y * (1 + noise * rng.standard_normal(n.size))
                for frac in fractions:
                    m = int(round(frac * n.size))
                    df = pd.DataFrame({"cycle_index": n[:m], "discharge_capacity_ah": q[:m]})
                    r = estimate_cycle_life(df, reference_capacity_ah=1.0)
                    p = r.predicted_eol_cycle
                    err = abs(p - true_eol) / true_eol if p is not None else np.inf
                    covers = (
                        p is not None
                        and r.interval_low <= true_eol
                        and (r.interval_high is None or true_eol <= r.interval_high)
                    )
                    records.append((shape, frac, noise, err, covers))
    d = pd.DataFrame(records, columns=["shape", "frac", "noise", "err", "covers"])
    d["ok"] = d.err <= TARGET
    header = "".join(f"{f:>15.0%}" for f in fractions)
    print(f"{'shape':<14}{header}   interval covers")
    for shape, g in d.groupby("shape", sort=False):
        cells = ""
        for frac in fractions:
            h = g[g.frac == frac]
            med = np.median(h.err)
            cells += (
                f"{h.ok.mean():>7.0%} |{(f'{med * 100:.1f}%' if np.isfinite(med) else 'none'):>6}"
            )
        print(f"{shape:<14}{cells}   {g.covers.mean():>6.0%}")
    by_noise = d.groupby("noise").ok.mean()
    print(
        "within 15 %: all "
        + f"{d.ok.mean():.0%}; by noise "
        + ", ".join(f"{k * 100:g} %: {v:.0%}" for k, v in by_noise.items())
        + f"; interval covers the true EOL in {d.covers.mean():.0%} of cases"
    )
    print(
        "(the knee shape cannot be forecast before its acceleration shows: from 30-50 % of a "
        "record of 1.45x EOL the history ends at 0.43-0.73 of life, the knee starts at 0.6)"
    )


def run_speed() -> None:
    rng = np.random.default_rng(1)
    n = np.arange(1, 1001, dtype=float)
    q = (1 - 0.0001 * n - 0.02 * np.expm1(n / 300) / np.expm1(10 / 3)) * (
        1 + 0.003 * rng.standard_normal(n.size)
    )
    df = pd.DataFrame({"cycle_index": n, "discharge_capacity_ah": q})
    for name, fn in (
        ("analyze_capacity_fade", lambda: analyze_capacity_fade(df)),
        ("estimate_cycle_life", lambda: estimate_cycle_life(df, reference_capacity_ah=1.0)),
    ):
        fn()
        t = []
        for _ in range(3):
            t0 = time.process_time()
            fn()
            t.append(time.process_time() - t0)
        print(f"{name} on 1000 cycles: {min(t) * 1e3:.0f} ms CPU (best of 3)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.3, 0.4, 0.5, 0.6])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--no-synthetic", action="store_true")
    ap.add_argument("--plot", type=Path, help="also save one PNG per real cell in this folder")
    args = ap.parse_args(argv)

    for nominal in (True, False):
        rows = run_real(args.fractions, nominal=nominal)
        summarize_real(rows)
        print()
    if args.plot is not None:
        plot_real(args.fractions, args.plot)
    if not args.no_synthetic:
        run_synthetic(args.fractions, args.seeds)
    print()
    run_speed()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
