"""Samples of the battery simulator, one at a time, for the device simulators."""

from __future__ import annotations

import numpy as np

from app.core.spec import preset
from app.hardware.simulator.pack import PackSimulator

_BATCH = 64  # samples simulated at once: the simulator's per-call cost is paid rarely


class BatteryFeed:
    """A simulated pack advancing ``period_s * speed`` simulated seconds per sample."""

    def __init__(
        self,
        chemistry: str = "lfp",
        cells: int = 4,
        *,
        speed: float = 1.0,
        period_s: float = 1.0,
        profile: str = "cycle",
        capacity_ah: float | None = None,
        seed: int = 0,
    ):
        self.spec = preset(chemistry, series_cells=cells, capacity_ah=capacity_ah)
        self.dt_s = max(period_s * speed, 1e-3)
        # a device is read at its polling period: no extra samples at step starts
        self.sim = PackSimulator(self.spec, profile, dt_s=self.dt_s, seed=seed, step_samples=False)
        self._rows: list[dict[str, float]] = []

    @property
    def cells(self) -> int:
        return self.spec.series_cells

    def next(self) -> dict[str, float]:
        """The next sample: canonical columns plus ``soc_pct`` (the true pack SOC)."""
        if not self._rows:
            soc0 = float(np.mean(self.sim.soc_pct))
            block = self.sim.run_block(_BATCH)
            # SOC within the batch by coulomb counting from its start (the simulator
            # exposes only its latest state)
            amp_h = np.cumsum(block["current_a"]) * self.dt_s / 3600.0
            soc = soc0 + 100.0 * amp_h / (self.spec.capacity_ah * self.spec.parallel_strings)
            cols = {c: block[c] for c in block.columns}
            self._rows = [
                {c: float(v[i]) for c, v in cols.items()} | {"soc_pct": float(soc[i])}
                for i in range(_BATCH)
            ]
        return self._rows.pop(0)
