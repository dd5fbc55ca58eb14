"""Held-out scenarios for detect_faults: one line per run that misses a target.

Each scenario simulates a pack, optionally transforms the log (gaps, a start mid-fault,
epoch timestamps, fewer temperature sensors, jitter), runs ``detect_faults`` offline and
the live ``FaultDetector`` fed in random blocks, and checks every injected fault:
found (its kind on its channel) within its target, nothing confirmed before the first
onset, nothing of another kind after it (listed as ``other``: consequences such as a
runaway's voltage collapse are expected, the rest is to judge), offline == live, and no
exception. ``--only`` picks scenarios whose name contains one of the strings.

Run: ``PYTHONPATH=$PWD nice python benchmarks/validate/scenarios.py --seeds 700 701``.
"""

import argparse
import traceback
from dataclasses import dataclass, field

import numpy as np

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.diagnostics.faults.detector import FaultDetector
from app.hardware.simulator import Fault, NoiseSpec, simulate


@dataclass
class Want:
    kind: str
    channel: str  # prefix
    onset: float
    target: float


@dataclass
class Scenario:
    name: str
    chem: str
    cells: int
    profile: str
    duration: float
    faults: list = field(default_factory=list)
    wants: list = field(default_factory=list)
    dt: float = 1.0
    transform: object = None  # f(cols: dict, rng) -> cols
    cap_spread: float = 0.02
    res_spread: float = 0.06
    ambient: float = 25.0
    sim_opts: dict = field(default_factory=dict)
    judge_from: float = 0.0  # faults confirmed before this are not false (log time)


def runaway(onset, cell, chem="nmc"):
    if chem == "lead_acid":
        return Fault("thermal_runaway", onset, cell=cell), Want(
            "thermal_runaway_onset", "current_a", onset, 60
        )
    return Fault("thermal_runaway", onset, cell=cell), Want(
        "thermal_runaway_onset", f"cell_{cell}_temp_c", onset, 60
    )


def short(onset, cell, ohm=None, target=600):
    return Fault("internal_short", onset, cell=cell, resistance_ohm=ohm), Want(
        "internal_short", f"cell_{cell}_v", onset, target
    )


def sensor(kind, onset, ch):
    return Fault(kind, onset, channel=ch), Want(kind, ch, onset, 60)


def one(name, chem, cells, profile, duration, pairs, **kw):
    return Scenario(
        name, chem, cells, profile, duration, [p[0] for p in pairs], [p[1] for p in pairs], **kw
    )


# --- log transforms -------------------------------------------------------------


def drop_rows(t0, t1):
    def f(cols, rng):
        t = cols["time_s"]
        keep = (t < t0) | (t >= t1)
        return {k: v[keep] for k, v in cols.items()}

    return f


def random_drops(frac):
    def f(cols, rng):
        keep = rng.random(len(cols["time_s"])) >= frac
        return {k: v[keep] for k, v in cols.items()}

    return f


def nan_rows(t0, t1):
    def f(cols, rng):
        t = cols["time_s"]
        m = (t >= t0) & (t < t1)
        out = {}
        for k, v in cols.items():
            v = v.copy()
            if k != "time_s":
                v[m] = np.nan
            out[k] = v
        return out

    return f


def start_at(t0):
    def f(cols, rng):
        keep = cols["time_s"] >= t0
        return {k: v[keep] for k, v in cols.items()}

    return f


def epoch(offset=1.7e9):
    def f(cols, rng):
        return {**cols, "time_s": cols["time_s"] + offset}

    return f


def jitter(sd):
    def f(cols, rng):
        t = cols["time_s"] + rng.normal(0, sd, len(cols["time_s"]))
        return {**cols, "time_s": np.maximum.accumulate(t)}

    return f


def drop_cols(pred):
    def f(cols, rng):
        return {k: v for k, v in cols.items() if not pred(k)}

    return f


def chain(*fs):
    def f(cols, rng):
        for g in fs:
            cols = g(cols, rng)
        return cols

    return f


def cv_start(chem, cells, seed, profile="cccv", **kw):
    spec = preset(chem, series_cells=cells)
    b = simulate(spec, profile, duration_s=6 * 3600, seed=seed, **kw)
    i = np.asarray(b["current_a"])
    imax = i.max()
    idx = np.flatnonzero((i > 0) & (i < 0.97 * imax) & (np.arange(len(i)) > np.argmax(i)))
    return float(b["time_s"][idx[0]]) if len(idx) else None


def scenarios(seed):
    S = []
    ON = 900.0
    # fault in the first / last cell of 8- and 12-cell packs
    for cells in (8, 12):
        for cell in (1, cells):
            for chem in ("nmc", "lfp"):
                S.append(
                    one(
                        f"first-last {chem} {cells}c cell{cell} runaway",
                        chem,
                        cells,
                        "drive",
                        ON + 600,
                        [runaway(ON, cell)],
                    )
                )
                S.append(
                    one(
                        f"first-last {chem} {cells}c cell{cell} short",
                        chem,
                        cells,
                        "drive",
                        ON + 900,
                        [short(ON, cell)],
                    )
                )
                S.append(
                    one(
                        f"first-last {chem} {cells}c cell{cell} stuck temp",
                        chem,
                        cells,
                        "cycle",
                        ON + 600,
                        [sensor("sensor_stuck", ON, f"cell_{cell}_temp_c")],
                    )
                )
    # lead-acid 6/12 cells
    for cells in (6, 12):
        S.append(
            one(
                f"lead {cells}c float runaway",
                "lead_acid",
                cells,
                "float",
                ON + 600,
                [runaway(ON, 2, "lead_acid")],
            )
        )
        for prof in ("cycle", "drive", "rest", "float", "hppc"):
            S.append(
                one(
                    f"lead {cells}c {prof} short",
                    "lead_acid",
                    cells,
                    prof,
                    ON + 900,
                    [short(ON, 3)],
                )
            )
            S.append(
                one(
                    f"lead {cells}c {prof} noisy cell v",
                    "lead_acid",
                    cells,
                    prof,
                    ON + 600,
                    [sensor("sensor_noisy", ON, "cell_2_v")],
                )
            )
    # two faults at once
    for chem in ("nmc", "lfp"):
        S.append(
            one(
                f"two {chem} runaway1+short4",
                chem,
                4,
                "drive",
                ON + 900,
                [runaway(ON, 1), short(ON, 4)],
            )
        )
        # (the simulator runs one runaway at a time)
        S.append(
            one(
                f"two {chem} runaway2+stuck temp4",
                chem,
                4,
                "cycle",
                ON + 600,
                [runaway(ON, 2), sensor("sensor_stuck", ON, "cell_4_temp_c")],
            )
        )
        S.append(
            one(
                f"two {chem} short3+dropout current",
                chem,
                4,
                "drive",
                ON + 900,
                [short(ON, 3), sensor("sensor_dropout", ON, "current_a")],
            )
        )
        S.append(
            one(
                f"two {chem} noisy cell1 v+stuck pack v",
                chem,
                4,
                "drive",
                ON + 600,
                [sensor("sensor_noisy", ON, "cell_1_v"), sensor("sensor_stuck", ON, "voltage_v")],
            )
        )
        S.append(
            one(
                f"two {chem} dropout temp2 + runaway2",
                chem,
                4,
                "drive",
                ON + 600,
                [sensor("sensor_dropout", ON - 300, "cell_2_temp_c"), runaway(ON, 2)],
            )
        )
    # gaps / dropouts
    for chem in ("nmc", "lfp"):
        S.append(
            one(
                f"gap {chem} 200s before onset runaway",
                chem,
                4,
                "drive",
                ON + 600,
                [runaway(ON, 2)],
                transform=drop_rows(ON - 300, ON - 100),
            )
        )
        S.append(
            one(
                f"gap {chem} 60s across onset runaway",
                chem,
                4,
                "drive",
                ON + 600,
                [runaway(ON, 2)],
                transform=drop_rows(ON - 30, ON + 30),
            )
        )
        S.append(
            one(
                f"gap {chem} 5% random rows runaway",
                chem,
                4,
                "drive",
                ON + 600,
                [runaway(ON, 2)],
                transform=random_drops(0.05),
            )
        )
        S.append(
            one(
                f"gap {chem} 5% random rows stuck current",
                chem,
                4,
                "drive",
                ON + 600,
                [sensor("sensor_stuck", ON, "current_a")],
                transform=random_drops(0.05),
            )
        )
        S.append(
            one(
                f"gap {chem} 5% random rows short",
                chem,
                4,
                "drive",
                ON + 900,
                [short(ON, 3)],
                transform=random_drops(0.05),
            )
        )
        S.append(
            one(
                f"gap {chem} NaN rows 120s before onset stuck temp",
                chem,
                4,
                "drive",
                ON + 600,
                [sensor("sensor_stuck", ON, "cell_3_temp_c")],
                transform=nan_rows(ON - 200, ON - 80),
            )
        )
        S.append(
            one(
                f"gap {chem} 1h gap clean",
                chem,
                4,
                "cycle",
                3 * 3600,
                [],
                transform=drop_rows(3600, 7200),
            )
        )
        S.append(
            one(
                f"gap {chem} 5% random rows clean",
                chem,
                4,
                "cycle",
                3 * 3600,
                [],
                transform=random_drops(0.05),
            )
        )
        S.append(
            one(
                f"gap {chem} 30s NaN bursts clean",
                chem,
                4,
                "drive",
                3 * 3600,
                [],
                transform=chain(*[nan_rows(t, t + 30) for t in range(600, 10000, 1500)]),
            )
        )
    # a log that starts mid-fault
    for chem in ("nmc", "lfp"):
        for late in (10, 40):
            S.append(
                one(
                    f"midfault {chem} runaway +{late}s",
                    chem,
                    4,
                    "drive",
                    ON + 600,
                    [runaway(ON, 2)],
                    transform=start_at(ON + late),
                    judge_from=ON,
                )
            )
        S.append(
            one(
                f"midfault {chem} short default +60s",
                chem,
                4,
                "drive",
                ON + 900,
                [short(ON, 3)],
                transform=start_at(ON + 60),
                judge_from=ON,
            )
        )
        S.append(
            one(
                f"midfault {chem} noisy current +30s",
                chem,
                4,
                "drive",
                ON + 600,
                [sensor("sensor_noisy", ON, "current_a")],
                transform=start_at(ON + 30),
                judge_from=ON,
            )
        )
    # epoch timestamps, jitter
    for chem in ("nmc", "lfp"):
        S.append(
            one(
                f"epoch {chem} runaway",
                chem,
                4,
                "drive",
                ON + 600,
                [runaway(ON, 2)],
                transform=epoch(),
            )
        )
        S.append(
            one(
                f"epoch {chem} stuck cell v",
                chem,
                4,
                "drive",
                ON + 600,
                [sensor("sensor_stuck", ON, "cell_2_v")],
                transform=epoch(),
            )
        )
        S.append(one(f"epoch {chem} clean", chem, 4, "cycle", 3 * 3600, [], transform=epoch()))
        S.append(
            one(
                f"jitter {chem} runaway",
                chem,
                4,
                "drive",
                ON + 600,
                [runaway(ON, 2)],
                transform=jitter(0.1),
            )
        )
        S.append(one(f"jitter {chem} clean", chem, 4, "cycle", 3 * 3600, [], transform=jitter(0.1)))
    # fewer temperature sensors
    for chem in ("nmc", "lfp"):
        odd = drop_cols(lambda k: k in ("cell_1_temp_c", "cell_3_temp_c"))
        S.append(
            one(
                f"fewtemp {chem} clean (cells 2,4 only)",
                chem,
                4,
                "cycle",
                3 * 3600,
                [],
                transform=odd,
            )
        )
        S.append(
            one(
                f"fewtemp {chem} runaway2 (cells 2,4 only)",
                chem,
                4,
                "drive",
                ON + 600,
                [runaway(ON, 2)],
                transform=odd,
            )
        )
        S.append(
            one(
                f"fewtemp {chem} short3 (cells 2,4 only)",
                chem,
                4,
                "drive",
                ON + 900,
                [short(ON, 3)],
                transform=odd,
            )
        )
    for chem in ("nmc", "lfp"):
        no3 = drop_cols(lambda k: k == "cell_3_temp_c")
        none = drop_cols(lambda k: k.startswith("cell_") and k.endswith("_temp_c"))
        for prof in ("drive", "cycle"):
            S.append(
                one(
                    f"fewtemp {chem} {prof} short3 (no cell 3 temp)",
                    chem,
                    4,
                    prof,
                    ON + 900,
                    [short(ON, 3)],
                    transform=no3,
                )
            )
            S.append(
                one(
                    f"fewtemp {chem} {prof} short3 (no cell temps)",
                    chem,
                    4,
                    prof,
                    ON + 900,
                    [short(ON, 3)],
                    transform=none,
                )
            )
        S.append(
            one(
                f"fewtemp {chem} clean (no cell temps)",
                chem,
                4,
                "cycle",
                3 * 3600,
                [],
                transform=none,
            )
        )
        S.append(
            one(
                f"fewtemp {chem} runaway2 (no cell temps)",
                chem,
                4,
                "drive",
                ON + 600,
                [(runaway(ON, 2)[0], Want("thermal_runaway_onset", "temperature_c", ON, 60))],
                transform=none,
            )
        )
    # a short time gap (10 samples) just after a runaway's onset, or a minute before it
    for chem in ("nmc", "lfp"):
        for g0 in (ON - 60, ON + 10):
            S.append(
                one(
                    f"gap {chem} 10s at {g0:g} runaway",
                    chem,
                    4,
                    "drive",
                    ON + 600,
                    [runaway(ON, 2)],
                    transform=drop_rows(g0, g0 + 10),
                )
            )
    # slow logs
    for chem in ("nmc", "lfp"):
        for dt in (3.0, 5.0, 10.0):
            S.append(one(f"slow {chem} {dt:g}s clean drive", chem, 4, "drive", 4 * 3600, [], dt=dt))
            S.append(
                one(
                    f"slow {chem} {dt:g}s noisy cell v",
                    chem,
                    4,
                    "drive",
                    ON + 600,
                    [sensor("sensor_noisy", ON, "cell_2_v")],
                    dt=dt,
                )
            )
            S.append(
                one(
                    f"slow {chem} {dt:g}s runaway",
                    chem,
                    4,
                    "drive",
                    ON + 600,
                    [runaway(ON, 2)],
                    dt=dt,
                )
            )
    # CC-CV with a fault in the CV phase
    for chem in ("nmc", "lfp"):
        cv = cv_start(chem, 4, seed, capacity_spread=0.02, resistance_spread=0.06)
        if cv is None:
            continue
        for dt in (60, 300):
            t = cv + dt
            S.append(one(f"cv {chem} runaway cv+{dt}", chem, 4, "cccv", t + 600, [runaway(t, 2)]))
            S.append(
                one(f"cv {chem} short100 cv+{dt}", chem, 4, "cccv", t + 900, [short(t, 3, 100.0)])
            )
            S.append(
                one(
                    f"cv {chem} stuck cell v cv+{dt}",
                    chem,
                    4,
                    "cccv",
                    t + 600,
                    [sensor("sensor_stuck", t, "cell_2_v")],
                )
            )
            S.append(
                one(
                    f"cv {chem} stuck current cv+{dt}",
                    chem,
                    4,
                    "cccv",
                    t + 600,
                    [sensor("sensor_stuck", t, "current_a")],
                )
            )
    # large capacity spread
    for chem in ("nmc", "lfp"):
        S.append(one(f"capspread {chem} clean", chem, 4, "cycle", 6 * 3600, [], cap_spread=0.10))
        S.append(
            one(f"capspread {chem} 16c clean", chem, 16, "drive", 3 * 3600, [], cap_spread=0.10)
        )
        S.append(
            one(
                f"capspread {chem} runaway",
                chem,
                4,
                "cycle",
                ON + 600,
                [runaway(ON, 2)],
                cap_spread=0.10,
            )
        )
        S.append(
            one(
                f"capspread {chem} short",
                chem,
                4,
                "cycle",
                ON + 900,
                [short(ON, 3)],
                cap_spread=0.10,
            )
        )
    # 24 clean hours with fewer temperature sensors (``--only long24``: skipped otherwise)
    for chem in ("nmc", "lfp"):
        for prof in ("drive", "cycle"):
            for label, pred in (
                ("no cell temps", lambda k: k.startswith("cell_") and k.endswith("_temp_c")),
                ("cells 2,4 temps", lambda k: k in ("cell_1_temp_c", "cell_3_temp_c")),
            ):
                S.append(
                    one(
                        f"long24 {chem} {prof} clean ({label})",
                        chem,
                        4,
                        prof,
                        24 * 3600,
                        [],
                        transform=drop_cols(pred),
                    )
                )
    # long rest, fault late
    for chem in ("nmc", "lfp"):
        S.append(
            one(
                f"longrest {chem} runaway at 8h",
                chem,
                4,
                "rest",
                8 * 3600 + 600,
                [runaway(8 * 3600, 2)],
            )
        )
        S.append(
            one(
                f"longrest {chem} short100 at 8h",
                chem,
                4,
                "rest",
                8 * 3600 + 900,
                [short(8 * 3600, 3, 100.0)],
            )
        )
    return S


def run_live(block, spec, rng):
    det = FaultDetector(spec)
    n, s = len(block), 0
    while s < n:
        e = min(n, s + int(rng.integers(1, 400)))
        det.update(block.slice(s, e))
        s = e
    det.flush()
    return det.result().to_list()


def judge(sc, seed, live):
    spec = preset(sc.chem, series_cells=sc.cells)
    sim_kw = dict(
        duration_s=sc.duration,
        dt_s=sc.dt,
        seed=seed,
        noise=NoiseSpec.typical(spec),
        faults=sc.faults,
        capacity_spread=sc.cap_spread,
        resistance_spread=sc.res_spread,
        ambient_c=sc.ambient,
        **sc.sim_opts,
    )
    b = simulate(spec, sc.profile, **sim_kw)
    rng = np.random.default_rng(seed)
    cols = {c: np.asarray(b[c], dtype=float) for c in b.columns}
    if sc.transform is not None:
        cols = sc.transform(cols, rng)
    t_off = 1.7e9 if cols["time_s"][0] > 1e6 else 0.0  # epoch(): back to simulation time
    block = SampleBlock(cols)
    fs = detect_faults(block, spec).to_list()
    problems = []
    if live:
        lv = run_live(block, spec, rng)
        if lv != fs:
            problems.append(f"LIVE!=OFFLINE ({len(lv)} vs {len(fs)})")
    first = min((w.onset for w in sc.wants), default=float("inf"))
    used = set()
    for w in sc.wants:
        hits = [f for f in fs if f["kind"] == w.kind and f["channel"].startswith(w.channel)]
        used |= {id(f) for f in hits}
        det = min((f["detail"]["detected_time_s"] - t_off for f in hits), default=None)
        if det is None:
            problems.append(f"MISS {w.kind}:{w.channel}")
        elif det - w.onset > w.target:
            problems.append(f"LATE {w.kind}:{w.channel} {det - w.onset:.0f}s")
    for f in fs:
        if id(f) in used:
            continue
        d = f["detail"]["detected_time_s"] - t_off
        tag = f"{f['kind']}:{f['channel']}@{d:.0f}"
        if f["kind"] == "sensor_dropout" and f["channel"] == "time_s":
            problems.append(f"other (the log's own gap) {tag}")
        elif d < first and d >= sc.judge_from:
            problems.append(f"FALSE {tag}")
        elif d < first:
            pass
        else:
            problems.append(f"other {tag}")
    return problems, len(fs)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, nargs="+", default=[700])
    p.add_argument("--only", nargs="*", default=None)
    p.add_argument("--skip", nargs="*", default=None)
    p.add_argument("--no-live", action="store_true")
    a = p.parse_args()
    bad = n = 0
    for seed in a.seeds:
        for sc in scenarios(seed):
            if a.only and not any(s in sc.name for s in a.only):
                continue
            if sc.name.startswith("long24") and not a.only:
                continue
            if a.skip and any(s in sc.name for s in a.skip):
                continue
            n += 1
            try:
                probs, _ = judge(sc, seed, not a.no_live)
            except Exception:
                probs = ["EXC " + traceback.format_exc().strip().splitlines()[-1]]
                traceback.print_exc()
            serious = [x for x in probs if not x.startswith("other")]
            if serious:
                bad += 1
            if probs:
                print(
                    f"{'BAD ' if serious else 'ok? '}s{seed} {sc.name}: {'; '.join(probs)}",
                    flush=True,
                )
    print(f"{bad} of {n} runs failed a target")


if __name__ == "__main__":
    main()
