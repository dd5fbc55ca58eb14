"""The runaway test's noise on clean slow logs: the windows that meet every condition but
the evidence's, with their z, on the main grid of bins and on the shifted one (a slow
log's bins of two samples judged at every sample, see "A decision at every sample" in
:mod:`app.diagnostics.faults.detector`).

    nice python benchmarks/trace_runaway_clean.py                     # the default grid
    nice python benchmarks/trace_runaway_clean.py --seeds 601 602 --cells 2 4 8 16

Each run is ``bench_clean_slow.py``'s (``simulate(preset(chem, series_cells=n), profile,
hours * 3600, dt, seed, noise=NoiseSpec.typical(spec))`` through ``detect_faults``) with the
runaway test's evidence thresholds (``RATE_Z`` and ``TEMPLATE_Z`` of
:mod:`app.diagnostics.faults.thermal`) lowered to ``--z-low`` (4) for the run: every window
whose test then holds is kept with its z (the larger of the quadratic's and the best
template's: an upper bound of what would alarm at a higher threshold, as the template's
z may be the larger where only the quadratic's held). Windows of a channel within 30 s of
each other make one event. Default grid: NMC and LFP, 8 and 16 cells, drive, cycle and
CC-CV, seeds 701-703, a sample every 5 s, 24 h.

Per event: its time, the largest z on the main grid, on the shifted one, and the
largest z two successive looks (5 s apart at 5 s a sample: a main and a shifted window)
both reached (``pair``). Summary: events over each of ``--report`` thresholds, main grid
alone (a decision every two samples), both grids (every sample), and two successive looks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_clean_slow import runs  # noqa: E402

from app.core.spec import preset  # noqa: E402
from app.diagnostics.faults import detect_faults, detector, thermal  # noqa: E402
from app.hardware.simulator import NoiseSpec, simulate  # noqa: E402

EVENT_GAP_S = 30.0


def looks(chem, cells, profile, dt, seed, hours, z_low):
    """{channel: [(t1, z, shifted)]} of the windows whose test held at ``z_low``."""
    spec = preset(chem, series_cells=cells)
    block = simulate(spec, profile, hours * 3600.0, dt, seed, noise=NoiseSpec.typical(spec))
    seen: dict[str, list[tuple[float, float, bool]]] = {}
    state = {"shifted": False}
    inner_test = thermal.RunawayDetector._test
    # (a detector without the shifted grid: the main grid's windows only)
    inner_shifted = getattr(detector.FaultDetector, "_shifted_bins", None)

    def test(self, fit, cols, bb, *args):
        out = inner_test(self, fit, cols, bb, *args)
        if out is not None:
            rows, cols_, ok, z = out[0], out[1], out[2], out[6]
            for r, c in zip(rows[ok], cols_[ok], strict=True):
                ch = self.layout.names[int(self.rows[r])]
                zz = float(z[np.flatnonzero((rows == r) & (cols_ == c))[0]])
                seen.setdefault(ch, []).append((float(bb.t1[c]), zz, state["shifted"]))
        return out

    def shifted(self, bb):
        state["shifted"] = True
        try:
            return inner_shifted(self, bb)
        finally:
            state["shifted"] = False

    saved = thermal.RATE_Z, thermal.TEMPLATE_Z
    thermal.RunawayDetector._test = test
    if inner_shifted is not None:
        detector.FaultDetector._shifted_bins = shifted
    thermal.RATE_Z = thermal.TEMPLATE_Z = z_low
    try:
        detect_faults(block, spec)
    finally:
        thermal.RunawayDetector._test = inner_test
        if inner_shifted is not None:
            detector.FaultDetector._shifted_bins = inner_shifted
        thermal.RATE_Z, thermal.TEMPLATE_Z = saved
    return seen


def events(seen, dt):
    """Per channel, the events: (start, end, main max z, shifted max z, pair z)."""
    out = []
    for ch, v in seen.items():
        v = sorted(v)
        groups, cur = [], [v[0]]
        for x in v[1:]:
            if x[0] - cur[-1][0] <= EVENT_GAP_S:
                cur.append(x)
            else:
                groups.append(cur)
                cur = [x]
        groups.append(cur)
        for g in groups:
            zm = max((z for _, z, s in g if not s), default=np.nan)
            zs = max((z for _, z, s in g if s), default=np.nan)
            pair = max(
                (min(a[1], b[1]) for a, b in zip(g, g[1:], strict=False) if b[0] - a[0] <= dt),
                default=np.nan,
            )
            out.append((ch, g[0][0], g[-1][0], zm, zs, pair))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seeds", nargs="+", type=int, default=[701, 702, 703])
    ap.add_argument("--chems", nargs="+", default=["nmc", "lfp"])
    ap.add_argument("--profiles", nargs="+", default=["drive", "cycle", "cccv"])
    ap.add_argument("--cells", nargs="+", type=int, default=[8, 16])
    ap.add_argument("--periods", nargs="+", type=float, default=[5.0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--z-low", type=float, default=4.0)
    ap.add_argument("--report", nargs="+", type=float, default=[4.5, 5.0, 5.3, 5.5, 6.0])
    a = ap.parse_args()
    allev, n = [], 0
    for chem, cells, profile, dt, seed in runs(a.chems, a.profiles, a.cells, a.periods, a.seeds):
        n += 1
        for ch, t0, t1, zm, zs, pair in events(
            looks(chem, cells, profile, dt, seed, a.hours, a.z_low), dt
        ):
            allev.append((zm, zs, pair))
            print(
                f"{chem:9s} {cells:2d} {profile:5s} dt {dt:g} seed {seed} {ch:16s} "
                f"{t0:8.0f}-{t1:8.0f} s  main z {zm:5.2f}  shifted z {zs:5.2f}  pair {pair:5.2f}",
                flush=True,
            )
    zm = np.array([e[0] for e in allev])
    zb = np.array([np.fmax(e[0], e[1]) for e in allev])
    zp = np.array([e[2] for e in allev])
    print(f"{n} runs of {a.hours:g} h; events with a window at z >= {a.z_low:g}: {len(allev)}")
    for thr in a.report:
        print(
            f"  z >= {thr:g}: main grid {int(np.sum(zm >= thr))}, both grids "
            f"{int(np.sum(zb >= thr))}, two successive looks {int(np.sum(zp >= thr))}"
        )


if __name__ == "__main__":
    main()
