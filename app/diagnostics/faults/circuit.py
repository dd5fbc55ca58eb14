"""Open circuit and cell imbalance.

**Open circuit** -- three signatures, each needing the current to be ~0
(|I| <= C/100) because an open string cannot carry current:

- the pack terminal voltage collapses below half the sum of the cell voltages
  (or, without cell voltages, below half the pack's minimum voltage): the string
  is open between the cells and the terminals (contactor, fuse, bus bar);
- one cell reads ~0 V (below 20 % of its minimum voltage) while the median cell
  is normal: its sense wire or its connection is open (a cell that reads 0 V
  while current flows is not open but shorted: that is an under-voltage);
- during a constant-current step of a cycler (``step_index`` unchanged, at least
  C/10 held steady for 30 s), the current drops to ~0 for 10 s without the step
  changing: the circuit opened while current was commanded. The step must have held
  its current since it began (within ``OC_STEP_HELD`` of the level, its first bin
  aside): a log whose step index stays the same through a varying load (a drive, or
  a simulator's one-step profile) has no commanded current to lose -- a simulated
  4-cell NMC drive (seed 3, 24 h) cruised at 0.9 A for 40 s and stopped at a light,
  and was called an open circuit. Steady for 30 s means over at least ``MIN_SAMPLES``
  samples too (the stuck window's rule: a slow log needs a longer window): a 1-cell NMC
  drive logged every 8 s (seed 503) began a step with a 4.3 A pulse, cruised at 0.9 A
  for four samples in two 16 s bins after the step's first bin (which the range leaves
  out: it holds both steps' currents), and stopped: an open circuit, on four samples.

A cell that reads ~0 V while the string carries current conducts: it is not
open (shorted, or its sense wire is open: the under-voltage fault covers it).
Its open-circuit episode ends there, with ``ended_by_current_a`` (the current
then) in its detail, and the cell is not called open again until it has read a
normal voltage (a dead cell that carried current and rests again is the same
dead cell, not a connection that opened).

**Cell imbalance** -- judged at rest only (|I| <= C/50 for 5 min, so that the
cells' overpotentials have relaxed and their voltages are OCVs); an imbalance
goes on through the load between two rests (the tracker's ``hold``) until a
judged rest shows it gone or the log ends: the spread of
the cells' SOC (through the spec's OCV table) and of their voltages. Both must
exceed the threshold: the voltage spread alone misleads on the steep ends of the
OCV curve (1 % SOC is ~100 mV near empty), the SOC spread alone on the flat
plateau of LFP (a few mV of noise are several % SOC there). A reading outside the
spec's plausible cell band (a dead cell at 0 V, a 65 V glitch) is left out, as cell
balance leaves it out: the under- or over-voltage fault tells that cell.
"""

from __future__ import annotations

import numpy as np

from app.core.spec import BatterySpec
from app.diagnostics.faults.bins import BinBatch, Layout, median_rows
from app.diagnostics.faults.common import (
    MERGE_GAP_S,
    History,
    RollingSum,
    bins_for,
    latch,
    nonzero2,
    one_c_a,
    sum_rows,
)
from app.diagnostics.faults.episodes import EpisodeTracker
from app.diagnostics.faults.stuck import MIN_SAMPLES
from app.diagnostics.faults.types import FaultKind
from app.diagnostics.plausible_cells import implausible_readings

OC_I_ZERO_C = 0.01
OC_PACK_FRACTION = 0.5
OC_CELL_FRACTION = 0.2
OC_DEBOUNCE_S = 5.0
OC_STEP_PRE_S = 30.0
OC_STEP_ZERO_S = 10.0
OC_STEP_MIN_C = 0.1
OC_STEP_TOLERANCE = 0.05
#: ... and since the step began, the current's range at most this fraction of the
#: level (loose: the noise's extremes over hours of a C/10 step stay well inside it;
#: a load that varies, from discharge to regen, is far outside).
OC_STEP_HELD = 0.5

#: Rest: below C/50 (as :mod:`app.diagnostics.cell_balance`), for 5 min.
REST_C = 0.02
REST_SETTLE_S = 300.0
#: Thresholds. 30 mV / 100 mV are cell_balance's "start balancing" / "act"
#: spreads (TI SLUA524 and common BMS practice). 15 % / 20 % SOC: cells that
#: were balanced at one end of the charge and differ only in capacity are not an
#: imbalance to act on, and a 2 % capacity spread (one sigma; new cells of one
#: batch 1-2 %) spreads a 16-cell pack by ~7 % (range ~3.5 sigma), up to ~10 %,
#: over a full discharge or charge; reading SOC from an OCV still relaxing at the
#: curve's steep ends adds a few %: clean simulated packs reached 9.9 % at the
#: end of 1C discharges and 12.7 % after an LFP CC-CV charge.
IMBALANCE_WARN_MV = 30.0
IMBALANCE_CRIT_MV = 100.0
IMBALANCE_WARN_SOC = 15.0
IMBALANCE_CRIT_SOC = 20.0
IMBALANCE_NO_OCV_WARN_MV = 50.0
IMBALANCE_NO_OCV_CRIT_MV = 150.0
IMBALANCE_DEBOUNCE_S = 60.0


class CircuitDetector:
    """Open circuit (pack, cell, interrupted step) and cell imbalance."""

    def __init__(self, spec: BatterySpec, layout: Layout, bin_s: float, dt_s: float):
        self.spec = spec
        self.layout = layout
        self.i_zero = OC_I_ZERO_C * one_c_a(spec)
        self.i_rest = REST_C * one_c_a(spec)
        self.rest_bins = bins_for(REST_SETTLE_S, bin_s, 2)
        # 30 s, and at least MIN_SAMPLES samples (a slow log needs a longer window)
        self.pre_bins = bins_for(max(OC_STEP_PRE_S, MIN_SAMPLES * dt_s), bin_s, 2)
        self.zero_bins = bins_for(OC_STEP_ZERO_S, bin_s, 1)
        self._rest_sum = RollingSum(1, self.rest_bins)
        k = self.pre_bins + self.zero_bins
        self._i_hist = History(None, k)
        self._step_hist = History(None, k, 1.0)
        # the current's lowest and highest bin mean since the step began, per bin
        self._range_hist = History(2, k)
        self._step_lo = self._step_hi = np.nan
        self._latched = False
        self._refuted = np.zeros(len(layout.cells_v), dtype=bool)  # see _conducted
        self._refuted_before = self._refuted.copy()  # at the last bin fed (_note_refuted)
        self._last_t1 = np.nan
        names = list(layout.names)
        self.open = EpisodeTracker(
            FaultKind.OPEN_CIRCUIT,
            names,
            debounce_s=OC_DEBOUNCE_S,
            merge_gap_s=MERGE_GAP_S,
            worse="min",
            value_name="voltage_v",
        )
        cells = [layout.names[r] for r in layout.cells_v]
        self.imbalance = EpisodeTracker(
            FaultKind.CELL_IMBALANCE,
            cells,
            debounce_s=IMBALANCE_DEBOUNCE_S,
            merge_gap_s=MERGE_GAP_S,
            value_name="spread_mv",
        )
        self.has_ocv = bool(spec.ocv_v)
        self.band = spec.plausible_cell_v

    @property
    def trackers(self) -> list[EpisodeTracker]:
        return [self.open, self.imbalance]

    def process(self, bb: BinBatch) -> None:
        lay, spec = self.layout, self.spec
        c, m = lay.n_rows, bb.m
        i = bb.mean[lay.i_i]
        cond = np.zeros((c, m), dtype=bool)
        with np.errstate(invalid="ignore"):
            idle = np.abs(i) <= self.i_zero
            v = bb.mean[lay.i_v]
            cells = bb.mean[lay.cells_v]
            ref = sum_rows(cells) if len(lay.cells_v) else np.full(m, spec.pack_v_min)
            cond[lay.i_v] = idle & (v < OC_PACK_FRACTION * ref)
            refuted = None
            if len(lay.cells_v) >= 2:
                med = bb.median(lay.cells_v)
                dead = (cells < OC_CELL_FRACTION * spec.cell_v_min) & (med >= spec.cell_v_min)
                alive = cells >= OC_CELL_FRACTION * spec.cell_v_min
                refuted = self._conducted(dead & ~idle & np.isfinite(i), alive)
                cond[lay.cells_v] = idle & dead & ~refuted
        if lay.has_step:
            cond[lay.i_i] = self._interrupted(bb, i)
        if cond.any() or self.open.has_open_runs:  # (else the tracker has nothing to do)
            value = np.full((c, m), np.nan)
            value[lay.i_v] = v
            if len(lay.cells_v) >= 2:
                value[lay.cells_v] = cells
            if lay.has_step:
                value[lay.i_i] = i
            self.open.feed(bb.t0, bb.t1, cond, 2, value)
        if refuted is not None:
            self._note_refuted(bb, i, refuted)
        if len(lay.cells_v) >= 2:
            self._imbalance(bb, i)

    def _note_refuted(self, bb: BinBatch, i: np.ndarray, refuted: np.ndarray) -> None:
        """Say in its detail why a cell's open-circuit episode ended where current
        flowed through the cell (see the module doc)."""
        prev = np.concatenate(([self._refuted_before], refuted[:, :-1].T)).T
        prev_t1 = np.concatenate(([self._last_t1], bb.t1[:-1]))
        for k, j in zip(*nonzero2(refuted & ~prev), strict=True):
            name = self.layout.names[self.layout.cells_v[k]]
            for ep in reversed(self.open.episodes):
                if ep.channel == name and ep.end_time_s == prev_t1[j]:
                    ep.detail["ended_by_current_a"] = float(i[j])
                    break
        self._refuted_before = refuted[:, -1].copy()
        self._last_t1 = float(bb.t1[-1])

    def _conducted(self, conducts: np.ndarray, alive: np.ndarray) -> np.ndarray:
        """(cells, bins): a cell has carried current while reading ~0 V (``conducts``)
        since it last read a normal voltage (``alive``), state carried between calls."""
        m = conducts.shape[1]
        if not self._refuted.any() and not conducts.any():  # (the usual case: none)
            self._refuted = np.zeros(len(conducts), dtype=bool)
            return np.zeros(conducts.shape, dtype=bool)
        idx = np.arange(m)
        last_set = np.maximum.accumulate(np.where(conducts, idx, -1), axis=1)
        last_clear = np.maximum.accumulate(np.where(alive, idx, -1), axis=1)
        out = (last_set > last_clear) | (self._refuted[:, None] & (last_clear < 0))
        self._refuted = out[:, -1].copy()
        return out

    def _interrupted(self, bb: BinBatch, i: np.ndarray) -> np.ndarray:
        """Current lost during a steady constant-current step (see the module doc)."""
        m = bb.m
        k = self.pre_bins + self.zero_bins
        i_full = self._i_hist.push(i)
        changed = self._step_hist.push(bb.step_changed.astype(float))
        since = self._range_hist.push(self._step_range(i, bb.step_changed))
        with np.errstate(invalid="ignore"):
            idle = np.abs(i) <= self.i_zero
        out = np.zeros(m, dtype=bool)
        if not idle.any():
            self._latched = False
            return out
        # candidates: bins with no current; the windows before them are gathered
        cand = np.flatnonzero(idle)
        win = i_full[cand[:, None] + np.arange(k + 1)[None, :]]  # bins j-k .. j
        chg = changed[cand[:, None] + np.arange(k + 1)[None, :]]
        pre = win[:, : self.pre_bins]
        zero = win[:, self.pre_bins :]
        with np.errstate(invalid="ignore"):
            level = pre.mean(axis=1)
            steady = (np.abs(level) >= OC_STEP_MIN_C * one_c_a(self.spec)) & (
                np.abs(pre - level[:, None]).max(axis=1) <= OC_STEP_TOLERANCE * np.abs(level)
            )
            dropped = (np.abs(zero) <= self.i_zero).all(axis=1)
        same_step = chg[:, 1:].sum(axis=1) == 0
        # the step held its current since it began (up to the window's steady part)
        at = cand + self.pre_bins - 1
        with np.errstate(invalid="ignore"):
            held = since[1, at] - since[0, at] <= OC_STEP_HELD * np.abs(level)
        trigger = np.zeros(m, dtype=bool)
        trigger[cand] = steady & dropped & same_step & held
        # latched while the current stays ~0 and the step does not change
        hold = idle & ~bb.step_changed
        state = np.array([self._latched])
        out = latch(trigger[None, :], hold[None, :], state)[0]
        self._latched = bool(state[0])
        return out

    def _step_range(self, i: np.ndarray, changed: np.ndarray) -> np.ndarray:
        """(2, bins): the lowest and highest bin current since the step began (NaN in a
        bin where the step changed: it holds both steps' currents), state carried."""
        m = len(i)
        out = np.full((2, m), np.nan)
        lo, hi = self._step_lo, self._step_hi
        a = 0
        for b in [*np.flatnonzero(changed).tolist(), m]:
            if b > a:
                seg = i[a:b]
                out[0, a:b] = np.fmin.accumulate(np.concatenate(([lo], seg)))[1:]
                out[1, a:b] = np.fmax.accumulate(np.concatenate(([hi], seg)))[1:]
                lo, hi = out[0, b - 1], out[1, b - 1]
            if b < m:
                lo = hi = np.nan
            a = b + 1
        self._step_lo, self._step_hi = lo, hi
        return out

    def _imbalance(self, bb: BinBatch, i: np.ndarray) -> None:
        lay, spec = self.layout, self.spec
        with np.errstate(invalid="ignore"):
            moving = ~(np.abs(i) <= self.i_rest)
        full = self._rest_sum.push(moving[None, :].astype(float))
        settled = self._rest_sum.window(full, self.rest_bins)[0] == 0
        cells_all = bb.mean[lay.cells_v]
        # a reading outside the plausible band is no working cell's (a dead cell at
        # 0 V): left out of the spread, as cell balance leaves it out
        bad = implausible_readings(cells_all, self.band)
        finite = np.isfinite(cells_all)
        if bad.any():
            plausible = np.where(bad, np.nan, cells_all)
            finite_p = np.isfinite(plausible)
        else:  # (every reading plausible, the usual case: the readings themselves)
            plausible, finite_p = cells_all, finite
        ok = settled & finite.all(axis=0) & (finite_p.sum(axis=0) >= 2)
        cols = np.flatnonzero(ok)
        if not len(cols) and not self.imbalance.has_open_runs:
            return
        cells = plausible[:, cols]
        spread_mv = (np.nanmax(cells, axis=0) - np.nanmin(cells, axis=0)) * 1000.0
        if self.has_ocv:
            soc = spec.cell_soc_from_ocv(cells)
            soc_spread = np.nanmax(soc, axis=0) - np.nanmin(soc, axis=0)
            dev = np.abs(soc - median_rows(soc))
            warn = (spread_mv >= IMBALANCE_WARN_MV) & (soc_spread >= IMBALANCE_WARN_SOC)
            crit = (spread_mv >= IMBALANCE_CRIT_MV) & (soc_spread >= IMBALANCE_CRIT_SOC)
        else:
            soc_spread = np.full(len(cols), np.nan)
            dev = np.abs(cells - median_rows(cells))
            warn = spread_mv >= IMBALANCE_NO_OCV_WARN_MV
            crit = spread_mv >= IMBALANCE_NO_OCV_CRIT_MV
        m = bb.m
        cond = np.zeros(cells_all.shape, dtype=bool)
        outlier = np.argmax(np.where(np.isnan(dev), -np.inf, dev), axis=0)
        cond[outlier[warn], cols[warn]] = True
        sev = np.ones(m, dtype=np.int64)
        sev[cols[crit]] = 2
        spread_full = np.full(m, np.nan)
        spread_full[cols] = spread_mv
        soc_full = np.full(m, np.nan)
        soc_full[cols] = soc_spread
        self.imbalance.feed(
            bb.t0,
            bb.t1,
            cond,
            sev[None, :],
            spread_full[None, :],
            aux={"soc_spread_pct": soc_full[None, :], "cell_v": cells_all},
            hold=~ok[None, :],  # (not at rest: the imbalance goes unjudged, not gone)
        )
