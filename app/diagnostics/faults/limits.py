"""Limit faults: cell over/under voltage, over current, over/under temperature,
and physically impossible sensor values.

Judged on 5 s bin means, so that sensor noise around a limit the battery is
legitimately held at (a CV phase holds the highest cell at ``cell_v_max``)
does not flicker into faults: over the guard for a whole bin, for two bins in a
row. The severity follows :mod:`app.diagnostics.safety`: beyond the limit by
less than its warning margin is a warning, further is critical.
"""

from __future__ import annotations

import numpy as np

from app.core.spec import BatterySpec
from app.diagnostics.faults.bins import BinBatch, Layout
from app.diagnostics.faults.common import (
    C2_MIN,
    MERGE_GAP_S,
    RollingSum,
    Same,
    bins_for,
    one_c_a,
    run_length,
    white_noise_var,
)
from app.diagnostics.faults.episodes import EpisodeTracker
from app.diagnostics.faults.types import FaultKind
from app.diagnostics.safety import (
    CURRENT_MARGIN,
    TEMPERATURE_MARGIN_C,
    TEMPERATURE_TOLERANCE_C,
    VOLTAGE_MARGIN,
    VOLTAGE_TOLERANCE_V,
    current_tolerance_a,
)

#: Guard beyond a cell voltage limit: the safety check's tolerance (5 mV, the
#: accuracy class of BMS front ends), ~5 sigma of a 5-sample mean at 2 mV sensor
#: noise. Small, because an over-voltage on charge climbs only ~0.2 mV/s at C/2 and
#: must be caught within a minute.
V_GUARD_V = VOLTAGE_TOLERANCE_V
#: An over-voltage is also found on the mean of the last 30 s of a cell, beyond
#: the limit by 5 standard errors of that mean (its white noise, from its second
#: differences over the last 5 min: a sensor's noise is steady, and a 30 s
#: estimate of it would scatter the guard by +-20 %), at least 1.5 mV (a 1 mV
#: resolution reading held at the limit): ~1.8 mV at 2 mV sensor noise. A
#: charger pushing on at C/2 past the limit lifts the cell ~0.075 mV/s, which
#: takes ~65 s to clear the 5 mV guard (plus the debounce) but ~40 s to lift a
#: 30 s mean by 1.8 mV; a CV phase holding the cell at the limit does not move
#: the mean, whatever its length. An under-voltage has no such setpoint held at
#: its limit and falls steeply: the bin test serves it.
OV_MEAN_WINDOW_S = 30.0
OV_NOISE_WINDOW_S = 300.0
OV_MEAN_Z = 5.0
OV_MEAN_GUARD_MIN_V = 0.0015
#: ... over at least this many samples (a slow log: the bin test alone).
MIN_MEAN_SAMPLES = 10
#: Guard beyond a current limit: the safety check's tolerance
#: (:func:`app.diagnostics.safety.current_tolerance_a`, 2 % of that limit). Guard beyond a temperature limit: its tolerance, 0.5 degC.
T_GUARD_C = TEMPERATURE_TOLERANCE_C
#: A limit fault must hold for two bins (>= 5 s between the first and last sample).
LIMIT_DEBOUNCE_S = 5.0
#: Current above C/100 for a minute counts as charging for the temperature
#: window: a drive's regen pulses (seconds) are not a charge (BMSs derate regen
#: rather than forbid it outside the charge window).
CHARGING_C = 0.01
CHARGING_SUSTAINED_S = 60.0
#: Temperatures move slowly: episodes of a temperature limit closer than this merge.
T_MERGE_GAP_S = 120.0

#: Physically impossible readings (a broken sensor or wire, not the battery):
#: a cell below -50 mV (a collapsed cell still reads ~0 V +- noise) or above
#: 5 V (no cell chemistry reaches it; 1.5x the limit for chemistries near it);
#: a temperature below -40 degC or above 150 degC (the range of automotive NTC
#: channels; a cell in thermal runaway legitimately exceeds 150 degC, so that case
#: is left to the runaway detector); a current beyond 10x the spec's largest rating.
OOR_CELL_LO_V = -0.05
OOR_CELL_HI_V = 5.0
OOR_T_LO_C = -40.0
OOR_T_HI_C = 150.0
OOR_CURRENT_X = 10.0


def out_of_range_bounds(spec: BatterySpec, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Per-row (lo, hi) bounds of physically possible values."""
    c = layout.n_rows
    lo = np.full(c, -np.inf)
    hi = np.full(c, np.inf)
    cell_hi = max(OOR_CELL_HI_V, 1.5 * spec.cell_v_max)
    n = spec.series_cells
    lo[layout.i_v], hi[layout.i_v] = OOR_CELL_LO_V * n, cell_hi * n
    i_max = OOR_CURRENT_X * max(spec.max_charge_current_a, spec.max_discharge_current_a)
    lo[layout.i_i], hi[layout.i_i] = -i_max, i_max
    lo[layout.cells_v], hi[layout.cells_v] = OOR_CELL_LO_V, cell_hi
    lo[layout.temp_rows], hi[layout.temp_rows] = OOR_T_LO_C, OOR_T_HI_C
    return lo, hi


class LimitDetector:
    """Over/under voltage, over current, over/under temperature, out of range."""

    def __init__(self, spec: BatterySpec, layout: Layout, bin_s: float):
        self.spec = spec
        self.layout = layout
        self.charge_bins = bins_for(CHARGING_SUSTAINED_S, bin_s, 1)
        self._charging_run = np.zeros(1)
        if len(layout.cells_v):
            self.v_rows = layout.cells_v
            self.v_scale = 1.0
            v_names = [layout.names[r] for r in layout.cells_v]
        else:  # no cell voltages: judge the mean cell of the pack voltage
            self.v_rows = np.array([layout.i_v])
            self.v_scale = 1.0 / spec.series_cells
            v_names = [layout.names[layout.i_v]]
        # the cells' sums, counts and noise sums over the last OV_MEAN_WINDOW_S
        self.ov_bins = bins_for(OV_MEAN_WINDOW_S, bin_s, 2)
        self.ov_noise_bins = max(self.ov_bins, bins_for(OV_NOISE_WINDOW_S, bin_s, 2))
        self._ov_sums = RollingSum(4 * len(self.v_rows), self.ov_noise_bins)
        # what tells which 30 s means cannot reach the limit (they are not computed):
        # the highest bin mean of each of the last ov_bins - 1 bins, and the bins and
        # the sum of |sum| of every bin so far (they bound the running sums' round-off)
        self._ov_recent = np.full(self.ov_bins - 1, -np.inf)
        self._ov_bins_seen = 0
        self._ov_abs_total = 0.0
        t_names = [layout.names[r] for r in layout.temp_rows]
        kw = {"debounce_s": LIMIT_DEBOUNCE_S, "merge_gap_s": MERGE_GAP_S}
        self.ov = EpisodeTracker(FaultKind.OVER_VOLTAGE, v_names, value_name="max_v", **kw)
        self.uv = EpisodeTracker(
            FaultKind.UNDER_VOLTAGE, v_names, worse="min", value_name="min_v", **kw
        )
        cur = [layout.names[layout.i_i]]
        self.oc = EpisodeTracker(FaultKind.OVER_CURRENT, cur, value_name="max_abs_a", **kw)
        kt = {"debounce_s": LIMIT_DEBOUNCE_S, "merge_gap_s": T_MERGE_GAP_S}
        self.ot = EpisodeTracker(FaultKind.OVER_TEMPERATURE, t_names, value_name="max_c", **kt)
        self.ut = EpisodeTracker(
            FaultKind.UNDER_TEMPERATURE, t_names, worse="min", value_name="min_c", **kt
        )
        self.oor = EpisodeTracker(
            FaultKind.SENSOR_OUT_OF_RANGE,
            list(layout.names),
            debounce_s=0.0,
            merge_gap_s=MERGE_GAP_S,
            value_name="worst_value",
        )

    @property
    def trackers(self) -> list[EpisodeTracker]:
        return [self.ov, self.uv, self.oc, self.ot, self.ut, self.oor]

    def process(self, bb: BinBatch) -> None:
        spec, lay = self.spec, self.layout
        t0, t1 = bb.t0, bb.t1
        with np.errstate(invalid="ignore"):
            v = bb.mean[self.v_rows] * self.v_scale
            hi, lo = spec.cell_v_max, spec.cell_v_min
            v_lo = np.nanmin(v, initial=np.inf)
            over = (v > hi + V_GUARD_V) | self._over_on_mean(bb, v)
            if over.any() or self.ov.has_open_runs:
                self.ov.feed(
                    t0,
                    t1,
                    over,
                    np.where(v - hi > VOLTAGE_MARGIN * hi, 2, 1),
                    v,
                    aux={"limit_v": hi},
                )
            if v_lo < lo - V_GUARD_V or self.uv.has_open_runs:
                self.uv.feed(
                    t0,
                    t1,
                    v < lo - V_GUARD_V,
                    np.where(lo - v > VOLTAGE_MARGIN * lo, 2, 1),
                    v,
                    aux={"limit_v": lo},
                )
            i = bb.mean[lay.i_i]
            i_chg, i_dis = spec.max_charge_current_a, spec.max_discharge_current_a
            over_chg = i > i_chg + current_tolerance_a(spec, i_chg)
            over_dis = -i > i_dis + current_tolerance_a(spec, i_dis)
            if not spec.current_limits_judged:  # C-rates of a capacity's lower bound
                over_chg = over_dis = np.zeros(i.shape, dtype=bool)
            limit = np.where(i > 0, i_chg, i_dis)
            excess = np.abs(i) - limit
            self.oc.feed(
                t0,
                t1,
                (over_chg | over_dis)[None, :],
                np.where(excess > CURRENT_MARGIN * limit, 2, 1)[None, :],
                np.abs(i)[None, :],
                aux={"limit_a": limit[None, :], "current_a": i[None, :]},
            )
            if len(lay.temp_rows):
                temp = bb.mean[lay.temp_rows]
                run = run_length(i[None, :] > CHARGING_C * one_c_a(spec), self._charging_run)
                charging = run[0] >= self.charge_bins
                t_hi = np.where(charging, spec.charge_temp_max_c, spec.discharge_temp_max_c)
                t_lo = np.where(charging, spec.charge_temp_min_c, spec.discharge_temp_min_c)
                hot = temp > t_hi + T_GUARD_C
                if hot.any() or self.ot.has_open_runs:  # (else the tracker has nothing to do)
                    self.ot.feed(
                        t0,
                        t1,
                        hot,
                        np.where(temp - t_hi > TEMPERATURE_MARGIN_C, 2, 1),
                        temp,
                        aux={"limit_c": t_hi[None, :]},
                    )
                cold = temp < t_lo - T_GUARD_C
                if cold.any() or self.ut.has_open_runs:
                    self.ut.feed(
                        t0,
                        t1,
                        cold,
                        np.where(t_lo - temp > TEMPERATURE_MARGIN_C, 2, 1),
                        temp,
                        aux={"limit_c": t_lo[None, :]},
                    )
        self.oor.feed(t0, t1, bb.noor > 0, 1, bb.oor_worst, aux={"samples": bb.noor})

    def _over_on_mean(self, bb: BinBatch, v: np.ndarray) -> np.ndarray:
        """Per voltage row and bin: the mean of the last OV_MEAN_WINDOW_S beyond the
        limit by OV_MEAN_Z standard errors (at least OV_MEAN_GUARD_MIN_V). ``v``: the
        rows' bin means (scaled to a cell)."""
        r = self.v_rows
        # (counts are one row for all channels unless a row has NaN: BinBatch; then
        # every bin has samples, and no bin mean needs its count checked)
        if bb.cnt.strides[0] == 0:
            s1 = bb.mean[r] * bb.n
            counts = Same(bb.n, len(r))
        else:
            cnt = bb.cnt[r]
            s1 = np.where(cnt > 0, bb.mean[r], 0.0) * cnt
            counts = cnt
        counts2 = Same(bb.n, len(r)) if bb.n2.strides[0] == 0 else bb.n2[r]
        s2 = bb.s2m[r]
        if not np.isfinite(s2).all():
            s2 = np.nan_to_num(s2)
        full = self._ov_sums.push((s1, counts, s2, counts2))
        k, m = len(r), bb.m
        out = np.zeros((k, m), dtype=bool)
        cols = self._reachable(s1, v)
        if not len(cols):
            return out
        # the window sums at those bins only (the same differences of the same sums)
        hi = self._ov_sums.keep + 1 + cols
        s1, n = (full[: 2 * k, hi] - full[: 2 * k, hi - self.ov_bins]).reshape(2, k, -1)
        s2, n2 = (full[2 * k :, hi] - full[2 * k :, hi - self.ov_noise_bins]).reshape(2, k, -1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s1 / n * self.v_scale
            se = np.sqrt(white_noise_var(s2, n2, C2_MIN) / n) * self.v_scale
            guard = np.fmax(OV_MEAN_Z * se, OV_MEAN_GUARD_MIN_V)
            out[:, cols] = (n >= MIN_MEAN_SAMPLES) & (mean > self.spec.cell_v_max + guard)
        return out

    def _reachable(self, s1: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The new bins whose window mean may pass the limit plus the least guard.

        A mean of bin means is at most the largest of them, give or take the
        round-off of the running sums (bounded by the bins summed times the sum of
        their magnitudes, in ulps: ~1e-9 V on a 1e6-sample log). Elsewhere the test
        would find nothing, and it is not computed (the running sums go on)."""
        m, back = v.shape[1], self.ov_bins - 1
        self._ov_bins_seen += m
        self._ov_abs_total += float(np.abs(s1).sum())
        with np.errstate(invalid="ignore"):
            top = np.fmax.reduce(v, axis=0, initial=-np.inf)  # (NaN: an empty bin)
        # the largest over each window: the new bins and the back ones before them
        ext = np.concatenate((self._ov_recent, top))
        self._ov_recent = ext[len(ext) - back :].copy()
        wmax = ext[back:].copy()
        for j in range(1, back + 1):
            np.fmax(wmax, ext[back - j : back - j + m], out=wmax)
        eps = np.finfo(float).eps
        err = 4.0 * eps * self._ov_bins_seen * self._ov_abs_total / MIN_MEAN_SAMPLES
        err = err * self.v_scale + 4.0 * eps * np.abs(wmax)
        with np.errstate(invalid="ignore"):
            return np.flatnonzero(~(wmax + err < self.spec.cell_v_max + OV_MEAN_GUARD_MIN_V))
