from app.core.spec import preset
from app.diagnostics.faults import detect_faults
from app.hardware.simulator import Fault, NoiseSpec, simulate

spec = preset("nmc", series_cells=4)
for onset in (0, 120, 300):
    for dur in (1320, 3600):
        for seed in (1, 2):
            b = simulate(
                spec,
                "cycle",
                duration_s=onset + dur,
                seed=seed,
                noise=NoiseSpec.typical(spec),
                faults=[Fault("internal_short", onset, cell=3, resistance_ohm=100.0)],
                capacity_spread=0.02,
                resistance_spread=0.03,
            )
            fs = [
                (f["kind"], f["channel"], f["detail"].get("detected_time_s"))
                for f in detect_faults(b, spec).to_list()
            ]
            print(onset, dur, seed, fs, flush=True)
