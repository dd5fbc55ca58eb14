"""Simulate faulty packs, write CSV (plain pandas, no header: --mode plain; canonical with spec: --mode canon),
run `batteryos analyze FILE --json` in-process, compare with detect_faults on the block."""

import argparse
import contextlib
import io
import json
import os
import tempfile

from app.cli import main as cli
from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.logs.canonical_csv import write_canonical_csv
from app.hardware.simulator import Fault, NoiseSpec, simulate

KEYS = {"kind", "start_time_s", "end_time_s", "severity", "channel", "detail"}
p = argparse.ArgumentParser()
p.add_argument("--chems", nargs="+", default=["nmc", "lfp", "lead_acid"])
p.add_argument("--seeds", type=int, nargs="+", default=[90, 91])
p.add_argument("--cells", type=int, default=4)
p.add_argument("--onset", type=float, default=1234)
p.add_argument("--mode", default="plain")
p.add_argument("--profile", default="drive")
p.add_argument("--rate-hz", type=float, default=1.0)
a = p.parse_args()
tmp = tempfile.mkdtemp()


def cases(chem):
    out = [("internal_short", Fault("internal_short", a.onset, cell=3, resistance_ohm=100.0), 600)]
    out.append(("internal_short", Fault("internal_short", a.onset, cell=3), 600))
    if chem != "lead_acid":
        out.append(("thermal_runaway_onset", Fault("thermal_runaway", a.onset, cell=2), 60))
    for k in ("sensor_stuck", "sensor_noisy", "sensor_dropout"):
        for ch in ("cell_1_v", "cell_4_temp_c", "current_a", "voltage_v", "temperature_c"):
            out.append((k, Fault(k, a.onset, channel=ch), 60))
    return out


bad = 0
for chem in a.chems:
    spec = preset(chem, series_cells=a.cells)
    for seed in a.seeds:
        for kind, fault, target in cases(chem):
            b = simulate(
                spec,
                a.profile,
                duration_s=a.onset + 1500,
                dt_s=1 / a.rate_hz,
                seed=seed,
                noise=NoiseSpec.typical(spec),
                faults=[fault],
                capacity_spread=0.02,
                resistance_spread=0.06,
            )
            direct = detect_faults(b, spec).to_list()
            path = os.path.join(tmp, "x.csv")
            extra = []
            if a.mode == "plain":
                df = b.to_frame()
                df = df[[c for c in df.columns if not c.startswith("true_")]]
                df.to_csv(path, index=False, float_format="%.6g")
                extra = [
                    "--chemistry",
                    chem,
                    "--cells",
                    str(a.cells),
                    "--capacity-ah",
                    f"{spec.capacity_ah:g}",
                ]
            elif a.mode == "bare":  # no options at all
                df = b.to_frame()
                df.to_csv(path, index=False, float_format="%.6g")
            else:
                write_canonical_csv(path, b, {"spec": json.dumps(spec.to_dict())})
            buf, ebuf = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(ebuf):
                rc = cli(["analyze", path, "--json", *extra])
            if rc != 0:
                print("RC", rc, chem, seed, kind, ebuf.getvalue()[-300:])
                bad += 1
                continue
            d = json.loads(buf.getvalue())
            faults = d["results"]["faults"]
            for f in faults:
                if set(f) != KEYS:
                    print("KEYS", set(f) ^ KEYS)
            ch = fault.channel or (
                f"cell_{fault.cell}_v" if kind == "internal_short" else f"cell_{fault.cell}_temp_c"
            )

            def lat(fs, kind=kind, ch=ch):
                hits = [
                    f["detail"].get("detected_time_s", f["start_time_s"])
                    for f in fs
                    if f["kind"] == kind and f["channel"] == ch
                ]
                return None if not hits else min(hits) - a.onset

            false = [
                f"{f['kind']}:{f['channel']}@{f['start_time_s']:.0f}"
                for f in faults
                if f["detail"].get("detected_time_s", f["start_time_s"]) < a.onset
            ]
            l1, l2 = lat(direct), lat(faults)
            same = [(f["kind"], f["channel"]) for f in direct] == [
                (f["kind"], f["channel"]) for f in faults
            ]
            ok = l2 is not None and l2 <= target and not false
            if not ok or not same:
                bad += 1
                print(
                    f"{chem} s{seed} {kind} {ch} R={fault.resistance_ohm}: direct {l1} cli {l2} same={same} false={false} cli={[(f['kind'], f['channel']) for f in faults]} direct={[(f['kind'], f['channel']) for f in direct]}",
                    flush=True,
                )
print("bad", bad)
