"""calculate_soc (public API) vs the simulator's true SOC (mean of cells), RMSE after 10 min,
and the +-2 sigma band's coverage after 10 min (soc_estimates: smoothed and live)."""

import argparse
import itertools

import numpy as np

from app.core.spec import preset
from app.diagnostics import calculate_soc
from app.diagnostics.soc import soc_estimates
from app.hardware.simulator import NoiseSpec, simulate

ap = argparse.ArgumentParser()
ap.add_argument("--chems", nargs="+", default=["nmc", "lfp"])
ap.add_argument("--profiles", nargs="+", default=["drive", "hppc", "cycle", "cc", "rest"])
ap.add_argument("--seeds", nargs="+", type=int, default=[90, 91, 92])
ap.add_argument("--socs", nargs="+", type=float, default=[20, 50, 80])
ap.add_argument("--cells", type=int, default=1)
ap.add_argument("--ambient", type=float, default=25.0)
ap.add_argument("--rate-hz", type=float, default=1.0)
ap.add_argument("--duration", type=float, default=3600)
ap.add_argument("--cap", type=float, default=None)
ap.add_argument("--show", type=float, default=1.0, help="print cases with RMSE above this")
a = ap.parse_args()
for chem in a.chems:
    worst = []
    bands = []
    for prof, seed, soc0 in itertools.product(a.profiles, a.seeds, a.socs):
        kw = {} if a.cap is None else {"capacity_ah": a.cap}
        spec = preset(chem, series_cells=a.cells, **kw)
        b = simulate(
            spec,
            prof,
            duration_s=a.duration,
            dt_s=1 / a.rate_hz,
            seed=seed,
            initial_soc_pct=soc0,
            noise=NoiseSpec.typical(spec),
            ambient_c=a.ambient,
            include_truth=True,
        )
        df = b.to_frame()
        truth = (
            df[[c for c in df.columns if c.startswith("true_cell_") and c.endswith("_soc_pct")]]
            .to_numpy()
            .mean(axis=1)
        )
        df = df[[c for c in df.columns if not c.startswith("true_")]]
        res, soc = calculate_soc(df, spec)
        t = df["time_s"].to_numpy()
        late = (np.asarray(soc) - truth)[t >= 600]
        r = float(np.sqrt(np.nanmean(late**2)))
        _, live, smooth = soc_estimates(df, spec)
        cover = []
        for cols in (smooth, live):
            lo, hi = cols["soc_band_low_percent"], cols["soc_band_high_percent"]
            inside = (truth >= np.asarray(lo) - 1e-9) & (truth <= np.asarray(hi) + 1e-9)
            cover.append(100.0 * float(np.mean(inside[t >= 600])))
        bands.append(cover)
        i0 = float(df["current_a"].iloc[0]) / spec.pack_capacity_ah
        worst.append(r)
        if r > a.show:
            print(
                f"  {chem} {prof} s{seed} soc0 {soc0:g} I0 {i0:+.2f}C: rmse10 {r:.2f} "
                f"band smoothed {cover[0]:.0f} % live {cover[1]:.0f} %",
                flush=True,
            )
    w = np.array(worst)
    bd = np.array(bands)
    print(
        f"{chem} cells {a.cells} amb {a.ambient:g} {a.rate_hz:g}Hz: n {len(w)} mean {w.mean():.2f} worst {w.max():.2f} >1%: {(w > 1).sum()} >5%: {(w > 5).sum()}; band after 10 min smoothed mean {bd[:, 0].mean():.1f} least {bd[:, 0].min():.1f} %, live {bd[:, 1].mean():.1f} / {bd[:, 1].min():.1f} %",
        flush=True,
    )
