"""Thermal runaway onset: a cell heating at >= 0.7 degC/min, faster than it did a
minute before, that neither its neighbours nor its Joule heat explain.

Thresholds. Feng et al., "Thermal runaway mechanism of lithium ion battery for
electric vehicles: A review", Energy Storage Materials 10 (2018) 246, describe a
runaway by three temperatures: T1, the onset of self-heating, which an
accelerating-rate calorimeter detects at a self-heating rate of 0.02 degC/min;
T2, the trigger, where the rate takes off (of the order of 1 degC/s); T3, the
maximum. The ARC's 0.02 degC/min is far below what a pack's sensors resolve
(0.3 degC of noise gives a 60 s slope a standard error of ~0.13 degC/min), and
normal operation itself heats a cell at up to ~1 degC/min (an NMC 21700 at its
1.5C limit: I²R over its heat capacity). Pack-level practice therefore alarms
at ~1-2 degC/min. Here the alarm is on *excess* heating -- over the median of
the other cells, which share the load, the ambient and the cooling -- that is
also *accelerating* (the last 60 s faster than the 60 s before by 0.4
degC/min): a steady heat source (an internal short, a hot neighbour) does not
accelerate. The rate threshold is 0.7 degC/min, under the practical 1 degC/min
because the reference removes the Joule heating; what keeps noise out is the
test that the slope stands 5 standard errors above zero, with the standard error
taken from the sensor's own white noise (~0.13 degC/min for 0.3 degC noise over
60 s) or the fit's residuals, whichever is larger. Clean simulated packs (3
chemistries x 4/16 cells x 6 profiles x 4 seeds x 24 h) never trip it. A
runaway whose self-heating starts at 1 degC/min (the simulator's NMC cell) is
caught 30-50 s after its onset; one that starts at 0.4-0.5 degC/min (its LFP
and lead-acid cells, doubling every ~40 s) only once it has grown to ~0.8
degC/min against 0.3 degC of noise, 45-90 s after its onset -- still minutes
before T2: from 1 degC/min an e-folding self-heating needs ~4 e-folds to reach
60 degC/min. With no other cell temperature to compare with,
the expected adiabatic Joule heating (I² R_dc / C from the spec's ECM) is
subtracted instead.
"""

from __future__ import annotations

import numpy as np

from app.core.spec import BatterySpec
from app.diagnostics.faults.bins import BinBatch, Layout
from app.diagnostics.faults.common import MERGE_GAP_S, History, bins_for
from app.diagnostics.faults.episodes import EpisodeTracker
from app.diagnostics.faults.types import FaultKind

RATE_WINDOW_S = 60.0
RATE_MIN_C_PER_MIN = 0.7
ACCEL_MIN_C_PER_MIN = 0.4
#: The cell itself must heat (not only its neighbours cool) at half the rate.
OWN_RATE_FRACTION = 0.5
#: The slope must stand 5 standard errors above zero, and the acceleration 2:
#: the errors come from the sensor's own white noise (its second differences,
#: robust to the heating curve) or from the fit's residuals, whichever is larger.
RATE_Z = 5.0
ACCEL_Z = 2.0
MIN_WINDOW_BINS = 6
#: No debounce beyond the z-tests: a minute of data is in every decision already.
RUNAWAY_DEBOUNCE_S = 0.0


def _slope_weights(w: int, bin_s: float) -> np.ndarray:
    x = np.arange(w) - (w - 1) / 2.0
    return x / (np.sum(x * x) * bin_s)


class RunawayDetector:
    """Accelerating excess self-heating of a cell (or of the pack sensor)."""

    def __init__(self, spec: BatterySpec, layout: Layout, bin_s: float):
        self.spec = spec
        self.layout = layout
        self.bin_s = bin_s
        # at least 6 bins: a slow log (bins of 2 samples) gets a longer window
        self.w = bins_for(RATE_WINDOW_S, bin_s, MIN_WINDOW_BINS)
        self.coef = _slope_weights(self.w, bin_s)
        if len(layout.cells_t):
            self.rows = layout.cells_t
        elif layout.i_t >= 0:
            self.rows = np.array([layout.i_t])
        else:
            self.rows = np.array([], dtype=np.int64)
        k = len(self.rows)
        keep = 2 * self.w - 1
        self._delta = History(k, keep)
        self._own = History(k, keep)
        self._t0 = History(None, keep)
        self._t1 = History(None, keep)
        self._noise = History(2 * k, keep, 0.0)  # sums of squared d2 and their counts
        # adiabatic Joule heating per A² (K/s/A²) of one cell, for a lone sensor
        self.joule = 0.0
        if spec.ecm is not None:
            p = spec.ecm.for_capacity(spec.pack_capacity_ah)
            r_dc = p["r0_ohm"] + p["r1_ohm"] + p["r2_ohm"]
            self.joule = r_dc / p["heat_capacity_j_per_k"]
        self.tracker = EpisodeTracker(
            FaultKind.THERMAL_RUNAWAY_ONSET,
            [layout.names[r] for r in self.rows],
            debounce_s=RUNAWAY_DEBOUNCE_S,
            merge_gap_s=MERGE_GAP_S,
            value_name="rate_c_per_min",
        )

    @property
    def trackers(self) -> list[EpisodeTracker]:
        return [self.tracker]

    def process(self, bb: BinBatch) -> None:
        if not len(self.rows):
            return
        m = bb.m
        temp = bb.mean[self.rows]
        if len(self.rows) >= 3:
            ref = bb.median(self.rows)
        elif len(self.rows) == 2:
            ref = temp[::-1]  # the other cell
        else:  # a lone sensor: its Joule heating is subtracted from the rate below
            ref = np.zeros(m)
        delta = temp - ref
        d_full = self._delta.push(delta)
        o_full = self._own.push(temp)
        t0 = self._t0.push(bb.t0)
        t1 = self._t1.push(bb.t1)
        nz = self._noise.push(np.concatenate((bb.s2m[self.rows], bb.n2[self.rows])))
        w = self.w
        h = d_full.shape[1]
        # candidates: the excess temperature rose over the window by at least half of
        # what the threshold rate gives (cheap; the slope fit runs only there)
        rise = d_full[:, h - m :] - d_full[:, h - m - w + 1 : h - w + 1]
        need = 0.5 * RATE_MIN_C_PER_MIN / 60.0 * (w - 1) * self.bin_s
        with np.errstate(invalid="ignore"):
            cand = rise >= need
        if self.tracker.has_open_runs:
            cand[:] = True
        if not cand.any():
            return
        rows, cols = np.nonzero(cand)
        # the windows, gathered as (candidates, w) rows: each reduction below runs
        # along a contiguous row of w values, in the same order whatever the batch
        end = h - m + cols  # index of each window's last bin
        idx = end[:, None] - (w - 1) + np.arange(w)[None, :]
        yd = d_full[rows[:, None], idx]
        rate = (yd * self.coef).sum(axis=1)
        prev = (d_full[rows[:, None], idx - w] * self.coef).sum(axis=1)
        own = (o_full[rows[:, None], idx] * self.coef).sum(axis=1)
        if len(self.rows) == 1:
            i = bb.mean[self.layout.i_i][cols]
            rate = rate - np.nan_to_num(i * i) * self.joule
        # standard error of the slope: from the fit's residuals, or from the sensor's
        # white noise (second differences) if larger
        s = yd.sum(axis=1)
        ss = (yd * yd).sum(axis=1)
        sxx = np.sum((np.arange(w) - (w - 1) / 2.0) ** 2) * self.bin_s**2
        k = len(self.rows)
        s2 = nz[rows[:, None], idx].sum(axis=1)
        n2 = nz[k + rows[:, None], idx].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            nb = n2 / w  # samples per bin
            rss = np.maximum(ss - s * s / w - rate * rate * sxx, 0.0)
            se_fit = np.sqrt(rss / max(w - 2, 1) / sxx)
            # white noise of a bin mean, plus the median's share of it
            var_bin = s2 / (6.0 * n2) / nb * (1.0 + (1.57 / k if k >= 3 else 1.0))
            se_noise = np.sqrt(var_bin / sxx)
            se = np.fmax(se_fit, se_noise)
            span = t1[end] - t0[end - w + 1]
            contiguous = span <= (w + 1) * self.bin_s
            per_min = 60.0
            ok = (
                contiguous
                & (rate * per_min >= RATE_MIN_C_PER_MIN)
                & ((rate - prev) * per_min >= ACCEL_MIN_C_PER_MIN)
                & (rate - prev >= ACCEL_Z * np.sqrt(2.0) * se_noise)
                & (own * per_min >= OWN_RATE_FRACTION * RATE_MIN_C_PER_MIN)
                & (rate >= RATE_Z * se)
            )
        k = len(self.rows)
        cond = np.zeros((k, m), dtype=bool)
        cond[rows, cols] = ok

        def scatter(v):
            out = np.full((k, m), np.nan)
            out[rows, cols] = v
            return out

        self.tracker.feed(
            bb.t0,
            bb.t1,
            cond,
            2,
            scatter(rate * 60.0),
            aux={
                "temperature_c": temp,
                "prev_rate_c_per_min": scatter(prev * 60.0),
                "own_rate_c_per_min": scatter(own * 60.0),
                "rate_z": scatter(rate / se),
            },
        )
