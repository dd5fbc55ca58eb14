"""State of charge by plain coulomb counting, anchored on the open-circuit voltage.

Superseded by :mod:`app.diagnostics.soc_ekf` (``calculate_soc`` and the live
engine use that); kept as the baseline ``benchmarks/bench_soc.py`` compares the
filter with.

The estimator starts from the OCV of the first sample (the pack voltage per
series cell, through the spec's OCV table) and integrates the current as the
per-cycle table does (:func:`~app.diagnostics.cycles.trapezoid_increments`:
trapezoidal, the earlier current held where it starts or stops between two
samples), except across a time gap (:mod:`app.diagnostics.time_gaps`, judged with
the log's ``step_index`` where it has one): the current there is unknown and none
is counted.
"""

from __future__ import annotations

import numpy as np

from app.core import schema
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.cycles import trapezoid_increments
from app.diagnostics.soc_ekf import SOC_COLUMN
from app.diagnostics.time_gaps import GapRule

__all__ = ["SOC_COLUMN", "CoulombCountingSoc"]  # SOC_COLUMN: views still import it from here


class CoulombCountingSoc:
    """Incremental SOC estimator; feed blocks in time order with :meth:`update`."""

    method = "coulomb counting, initialised from the OCV of the first sample"

    def __init__(self, spec: BatterySpec, initial_soc_pct: float | None = None):
        self.spec = spec
        self.soc_pct: float | None = initial_soc_pct
        self._last_t: float | None = None
        self._last_i: float = 0.0
        self.charge_in_ah = 0.0
        self.charge_out_ah = 0.0
        self._gaps = GapRule()

    def _initial_soc(self, block: SampleBlock) -> float:
        cells = schema.cell_voltage_columns(block.columns)
        if cells:
            v_cell = float(np.nanmean([block[c][0] for c in cells]))
        else:
            v_cell = float(block[schema.VOLTAGE][0]) / self.spec.series_cells
        return float(self.spec.cell_soc_from_ocv(v_cell))

    def update(self, block: SampleBlock) -> np.ndarray:
        """SOC (%) at every sample of ``block``."""
        n = len(block)
        if n == 0:
            return np.empty(0)
        t = block[schema.TIME]
        i = np.nan_to_num(block[schema.CURRENT], nan=0.0)
        if self.soc_pct is None:
            self.soc_pct = self._initial_soc(block)
        if self._last_t is None:
            t_prev = np.concatenate(([t[0]], t[:-1]))
            i_prev = np.concatenate(([i[0]], i[:-1]))
        else:
            t_prev = np.concatenate(([self._last_t], t[:-1]))
            i_prev = np.concatenate(([self._last_i], i[:-1]))
        # the charge of each interval into a sample: trapezoidal, the earlier current held
        # where the current starts or stops (a cycler logs a step's start: the current
        # was the step's until then), none across a time gap (judged with the steps:
        # a cycler's slow logging from a step's start is no gap)
        dt = t - t_prev
        dq_ah = trapezoid_increments(dt, np.concatenate((i_prev[:1], i)), 3600.0)[:-1]
        gaps = self._gaps.judge(dt, block.get(schema.STEP_INDEX, None))
        if len(gaps):
            dq_ah[gaps] = 0.0
        self.charge_in_ah += float(dq_ah[dq_ah > 0].sum())
        self.charge_out_ah -= float(dq_ah[dq_ah < 0].sum())
        soc = self.soc_pct + np.cumsum(dq_ah) / self.spec.pack_capacity_ah * 100.0
        self.soc_pct = float(soc[-1])
        self._last_t, self._last_i = float(t[-1]), float(i[-1])
        return soc
