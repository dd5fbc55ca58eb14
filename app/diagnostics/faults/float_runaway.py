"""Lead-acid thermal runaway onset: the float current rising at a held voltage
while the cells heat, or a charge turning into heat before the voltage is held.

Physics. A lead-acid battery runs away on its charger: held at the float (or
absorption) voltage, a full VRLA cell's charge current is oxygen that recombines at
the negative plate, so all of V*I becomes heat, and that current doubles per ~10
degC: heat and current feed each other (Culpin, J. Power Sources 133 (2004) 79;
Pavlov, "Lead-Acid Batteries", ch. 13). The string carries one current, so its
cells heat alike: the excess-temperature test of :mod:`.thermal` (a cell against
its neighbours) does not see it, and on a lead-acid cell's large heat capacity the
onset's heating (0.43 degC/min in the simulator) is at the noise limit of one
cell's temperature (the mean of the string's cells, against the Joule heat of the
measured current, does better: the charge-heat test below). Float-current monitoring is the practice (IEEE 1188
recommends it; a healthy float current is ~1 mA/Ah).

The test, every 5 s bin, over the last 120 s (24 bins): a *baseline* (the first
12 bins) and a *recent* part (the last 6 bins) (a shorter window below).

* voltage held: the pack voltage's bin means stay within 5 mV a cell over the
  window (a charger's regulation; a charge starting, a load or a pulse moves it
  by tens of mV a cell);
* float current up: the recent mean current is a charge of at least C/100 (ten
  times a healthy float current) and above the baseline's by C/100 and by 5
  standard errors (of the current sensor's white noise, from its second
  differences, as in :mod:`.thermal`);
* heating: the mean cell temperature's recent mean above its baseline mean by 3
  standard errors (of the temperature sensors' white noise, averaged over the
  cells) -- the current's heat showing, the feedback closing.

The window is shorter when the voltage has been held for less than 120 s (from 8
bins on): the bins since it was reached, half of them the baseline and the last
quarter the recent part. The simulator's ``float`` profile starts with a charge at
C/4 that reaches the float voltage at ~55 s; the full window was held only from
~175 s on, so a runaway 90 s into the log was found at 79 s, one 110 s in at 59 s
(seeds 1-4, 4 and 16 cells); now 14-39 s.

The charge-heat test: a runaway that starts in the charge before the float (or
absorption) voltage is reached. The charger is at its current limit: there is no
held voltage to watch the current rise at, and the simulator's runaway reaches the
float voltage only at ~105 s, its current from above (the taper stopping at ~C/8),
so the test above found it only 680-880 s after the onset. What the runaway does
show at once is its heat: the recombination current turns V*I into heat (~25 W a
100 Ah cell, 0.4 degC/min) where the charge's Joule heat, I^2 R_dc, is ~1 W (C/4:
0.01 degC/min). Every 5 s bin, over the bins of charge (each at least C/20; the last
120 s of them, and the last 60 s: a heating that began within the window), from 30 s
of charge on (a charge starting with the log):

* the least-squares heating rate of the mean cell temperature, less the Joule
  heating of the measured current (the spec's R0 + R1 + R2 and heat capacity),
  at 5 standard errors (the temperature sensors' white noise, as above);
* that excess heat, at the cells' voltage, needs a recombination current of at
  least C/20: 50 times a healthy VRLA float current (~1 mA/Ah, ~10 mA/Ah at an
  absorption voltage), the heat a cell gets when a twentieth of its charge current
  no longer charges it (0.19 degC/min on 35 J/K/Ah);
* and at most twice the charge current: the charger is the only source of a
  lead-acid cell's heat (it has no exothermic decomposition), so a pack warming
  faster than its charge power could heat it is warmed from outside (the sun, a
  room, a fire next door), not running away;
* no discharge of C/20 or more within 10 min before the window: a large cell's
  surface sensor goes on warming for minutes after a load while its core's Joule
  heat reaches it, and a cell just discharged takes its charge into its plates, not
  into gas (a UPS string recharged at once after a 1C discharge raised it 59 s into
  the charge without this).

Cooling (unknown ambient) is left out: a pack warmer than its room heats more than
it seems (the test errs late), and a lead-acid cell's thermal time constant (hours:
35 J/K/Ah over ~0.004 W/K/Ah) keeps a room's change under ~0.1 degC/min. Measured
(the simulator's runaway, its current and heat applied from the onset):
``bench_faults.py --parts detection --onsets 5 30 --first-seed 300 --seeds 4 --cells
4 16 --chem lead_acid --brief``: 0/16 within 60 s (794-879 s, one missed) -> 16/16
(24-49 s; the seeds the windows were chosen on); seeds 500-507, onsets 5, 30, 60 and
90 s: 64/64 within 60 s (4 cells 19-59 s, 16 cells 14-39 s), nothing before an onset.
Clean: ``--parts clean --chem lead_acid --first-seed 81 --seeds 2`` (2304 pack-hours,
every profile, float at 25 and 40 degC): no alarm; on seeds 90-91 (6 % spread) the
largest excess-heat z of a charge window is 3.8, and under 3.4 where the
recombination it implies reaches C/20.

A gap in the log. A time gap (rows lost) leaves its bins out (:class:`.bins.BinBatch`,
whose ``index`` says which slot of time each bin is), and a window of charge was
judged only if its bins spanned at most one slot more than their number, so a runaway
in the charge that a 10-30 s gap followed or went across was found only once the gap
had left the last minute's window: 14-149 s after the onset, median 54 s, 164 of 336
runs over 60 s, where 14-54 s without a gap (``benchmarks/validate/
gap_float_runaway.py``, onsets 30, 60 and 90 s, gaps of 10-30 s from 100 s before the
onset to 60 s after it, held-out seeds 700-706, 4 and 16 cells). Such a window is now,
as in :mod:`.thermal`, the bins of charge present over its time (the last 60 or 120 s),
its slope fitted at their times, from ``wh_min`` bins on (the evidence a window at a
charge's start needs), each bin's noise by its own count of samples (a gap's partial
edge bins, as before): the same runs 14-69 s, median 34 s, 27 over 60 s (24 of them a
gap ending 60 s after the onset, found 4-9 s after the log resumed; 3 at 64 s); seeds
740-743, where it was built: 14-69 s, 12 of 192 over 60 s. The held-voltage test is not
held up by a gap (its window is its last bins: a gap widens it). Clean lead-acid logs
losing 10-60 s every ~5 minutes (``benchmarks/validate/gap_clean.py --chems lead_acid``,
4 and 16 cells, drive, cycle, CC, float, 2 h): no alarm on seeds 700-703 and 740-741;
with the heat test's z lowered to 3 or 2.5 (a margin), the same 4 of 64 runs as before
(the float's first charge, before any gap); 300 and 900 s gaps every 30 minutes (4 h,
seeds 704-705): none.

A normal charge's taper (the current falling at the held voltage), a float in a
hot room (a steady current, a steady temperature) and a charge starting (the
voltage moving) all fail it. Lead-acid packs only: a Li-ion runaway is an
exothermic decomposition that needs no current (:mod:`.thermal`).

Measured on the simulator's lead-acid runaway on float (the string's
recombination current stepping to ~C/9 at the onset, then doubling per 10 degC;
0.43 degC/min at the onset): ``python benchmarks/bench_faults.py --chem lead_acid
--seeds 8`` (4-cell packs, seeds 1-8): 8/8 within 60 s, 26-46 s, median 32 s; the
same runaway on seeds 9-40: 4-cell packs 32/32, 14-43 s (median 32 s), 16-cell
packs 32/32, 15-29 s (median 21 s), nothing before the onset. The current's
evidence is overwhelming from the first bins (a C/9 step against 0.5 % of C of
noise); the wait is for the heat: the mean cell temperature 3 standard errors up.
Clean (no false alarm): the benchmark's lead-acid packs on every profile and on
float at 25 and 40 degC ambient. Not simulated: a room warming up (a healthy float
current doubles per 10 degC from ~C/1000: C/100 would need ~33 degC more) and
float current noise of real chargers (ripple), which would widen the current's
standard error from the sensor's second differences, not fool it.
"""

from __future__ import annotations

import numpy as np

from app.core.spec import BatterySpec, Chemistry
from app.diagnostics.faults.bins import BinBatch, Layout
from app.diagnostics.faults.common import (
    MERGE_GAP_S,
    History,
    bins_for,
    one_c_a,
    sum_rows,
    white_noise_var,
)
from app.diagnostics.faults.episodes import EpisodeTracker
from app.diagnostics.faults.resolution import rounding_bias, step_response
from app.diagnostics.faults.thermal import GAP_FITS_KEPT
from app.diagnostics.faults.types import FaultKind

WINDOW_S = 120.0
BASELINE_S = 60.0
RECENT_S = 30.0
#: Charger regulation: the pack voltage's bin means within this, per cell.
HOLD_V_PER_CELL = 0.005
#: A float current of C/100 is ten times a healthy VRLA cell's (~1 mA/Ah).
CURRENT_MIN_C = 0.01
CURRENT_Z = 5.0
HEAT_Z = 3.0
MIN_BINS = 2

#: The charge-heat test (a runaway in the bulk charge, before the voltage is held):
#: the least-squares heating rate of the mean cell temperature over the last 120 s of
#: charging (from 30 s of charge on: a charge starting with the log, or after a rest)
#: less the Joule heat of the measured current must need a recombination current of
#: at least C/15 at the cells' voltage, at HEAT_RATE_Z standard errors, and no more than
#: RECOMB_MAX_RATIO times the charge current (the charger is its only source).
HEAT_WINDOW_S = 120.0
HEAT_MIN_WINDOW_S = 30.0
#: Charging: every bin of the window carries at least this charge current.
CHARGE_MIN_C = 1.0 / 20.0
RECOMB_MIN_C = 1.0 / 20.0
RECOMB_MAX_RATIO = 2.0
#: ... and not within 10 min of a discharge of at least C/20: a large cell's surface
#: sensor goes on warming for minutes after a load (its core's Joule heat reaching it),
#: and a cell just discharged takes its charge into its plates, not into gas.
LOAD_SETTLE_S = 600.0
HEAT_RATE_Z = 5.0
#: Coarse temperature sensors (whole degrees): the mean cell temperature's rounding
#: bias b (:func:`.resolution.rounding_bias`, of the cells' quantum and their white
#: noise over the window) swings by up to 2b as the readings cross their steps, which their white noise does
#: not show: the heating either test judges is less that swing (the rise, or what one
#: step of it adds to the slope). A noise-free whole-degree log of a healthy string
#: (4 cells, CC-CV, cycle) raised the alarm 17 times a day.
ROUNDING_SWING = 2.0
#: The charge-heat test's temperature noise: the white-noise variance of the squared
#: second differences of the last 10 minutes of bins (the window's own and those before
#: it), not of the window's alone. A sensor's noise does not change from minute to
#: minute; the window's 8-20 terms of a log sampled every 3-10 s (60 at 1 s) gave a
#: variance a third of the truth one time in ten, and clean lead-acid cycling at 3-10 s
#: raised a runaway alarm 1-5 times a day (1 and 4 cells; none at 1-2 s).
NOISE_POOL_S = 600.0
#: ... and at least this many samples (600 s at 5 s a sample): a variance from few terms
#: scatters, and the rate's z with it. On white noise (Monte Carlo, 2e6 windows of 4
#: bins, the heat test's least at 20 s a sample), z >= ``HEAT_RATE_Z`` with a pool of 30
#: terms (600 s at 20 s) 5.6e-5 of the windows, 60 terms 5.5e-6, 120 terms 2e-6, with the
#: noise known 2.9e-7: a clean 1-cell lead-acid cycle logged every 20 s (seed 501) raised
#: the alarm in its CC charge, z 5.6 on 4 samples, with the pool's 30.
NOISE_POOL_SAMPLES = 120


def _slope_weights(at: np.ndarray, bin_s: float) -> np.ndarray:
    """Least-squares slope (per s) of bins at slots ``at``, as weights on their means."""
    x = at * bin_s
    xc = x - x.mean()
    return xc / float(xc @ xc)


class FloatRunawayDetector:
    """Float current rising at a held pack voltage while the cells heat (lead-acid)."""

    def __init__(self, spec: BatterySpec, layout: Layout, bin_s: float, dt_s: float):
        self.layout = layout
        self.enabled = spec.chemistry is Chemistry.LEAD_ACID
        self.w = bins_for(WINDOW_S, bin_s, 4 * MIN_BINS)
        self.nb = max(MIN_BINS, min(self.w // 2, bins_for(BASELINE_S, bin_s, MIN_BINS)))
        self.nr = max(MIN_BINS, min(self.w // 4, bins_for(RECENT_S, bin_s, MIN_BINS)))
        self.i_min = CURRENT_MIN_C * one_c_a(spec)
        n_cells = max(1, len(layout.cells_v) or spec.series_cells)
        self.hold_v = HOLD_V_PER_CELL * n_cells
        if len(layout.cells_t):
            self.t_rows = layout.cells_t
        elif layout.i_t >= 0:
            self.t_rows = np.array([layout.i_t])
        else:
            self.t_rows = np.array([], dtype=np.int64)
        if not len(self.t_rows):
            self.enabled = False
        # the charge-heat test: its window (growing from wh_min bins of charge), the
        # cell's Joule heating per A^2 and heat capacity (the spec's equivalent circuit)
        self.bin_s = bin_s
        self.wh = bins_for(HEAT_WINDOW_S, bin_s, 2 * MIN_BINS + 2)
        self.wh_min = min(self.wh, bins_for(HEAT_MIN_WINDOW_S, bin_s, MIN_BINS + 2))
        self.n_cells = n_cells
        self.i_charge = CHARGE_MIN_C * one_c_a(spec)
        self.i_recomb = RECOMB_MIN_C * one_c_a(spec)
        self.heat = spec.ecm is not None
        if self.heat:  # the series position: paralleled cells act as one
            p = spec.ecm.for_capacity(spec.pack_capacity_ah)
            self.c_th = p["heat_capacity_j_per_k"]
            self.joule = (p["r0_ohm"] + p["r1_ohm"] + p["r2_ohm"]) / self.c_th
        self._caps = sorted({self.wh, max(self.wh_min, self.wh // 2)}, reverse=True)
        self._slopes = {
            n: _slope_weights(np.arange(n), bin_s) for n in range(self.wh_min, self.wh + 1)
        }
        keep = max(self.w, self.wh) - 1
        # per bin: pack V, current, mean cell temperature; noise sums (s2, n2, count)
        self._x = History(3, keep)
        self._noise = History(7, keep, 0.0)
        # the temperature rows' noise sums (s2, n2) of the last NOISE_POOL_S, and at
        # least NOISE_POOL_SAMPLES samples
        pool_s = max(NOISE_POOL_S, NOISE_POOL_SAMPLES * dt_s)
        self.n_pool = max(keep + 1, bins_for(pool_s, bin_s))
        self._pool = History(2, self.n_pool - 1, 0.0)
        self._t0 = History(None, keep)
        self._t1 = History(None, keep)
        self._index = History(None, keep)  # (BinBatch.index)
        self._gap_slopes: dict[tuple[int, ...], np.ndarray] = {}
        self._last_load_t = -np.inf  # end of the last discharge bin (the heat test)
        self.tracker = EpisodeTracker(
            FaultKind.THERMAL_RUNAWAY_ONSET,
            [layout.names[layout.i_i]],
            debounce_s=0.0,
            merge_gap_s=MERGE_GAP_S,
            value_name="current_rise_a",
        )

    @property
    def trackers(self) -> list[EpisodeTracker]:
        return [self.tracker]

    def process(self, bb: BinBatch) -> None:
        if not self.enabled:
            return
        lay, m = self.layout, bb.m
        temps = bb.mean[self.t_rows]
        with np.errstate(invalid="ignore"):
            t_mean = sum_rows(temps) / len(self.t_rows) if len(self.t_rows) > 1 else temps[0]
        x = self._x.push(np.vstack((bb.mean[lay.i_v], bb.mean[lay.i_i], t_mean)))
        t0 = self._t0.push(bb.t0)
        t1 = self._t1.push(bb.t1)
        g = self._index.push(bb.index.astype(float))
        # temperature noise: the cells' summed second differences (their average
        # variance, over the number of cells, is the mean's)
        nz = self._noise.push(
            np.vstack(
                (
                    bb.s2m[lay.i_i],
                    bb.n2[lay.i_i],
                    bb.cnt[lay.i_i].astype(float),
                    sum_rows(bb.s2m[self.t_rows]),
                    sum_rows(bb.n2[self.t_rows]),
                    sum_rows(bb.cnt[self.t_rows]).astype(float),
                    # the cells' quantum squared, their mean (see ROUNDING_SWING)
                    sum_rows(bb.q2[self.t_rows]) / len(self.t_rows),
                )
            )
        )
        pool = self._pool.push(nz[3:5, nz.shape[1] - m :])
        w, nb, nr = self.w, self.nb, self.nr
        h = x.shape[1]
        end = h - m + np.arange(m)
        idx = end[:, None] - (w - 1) + np.arange(w)[None, :]  # (m, w), oldest first
        v = x[0][idx]
        cur = x[1][idx]
        tmp = x[2][idx]
        k = len(self.t_rows)
        # the window: the last w bins, or fewer (from 4 * MIN_BINS on) when the voltage
        # has been held only that long (a log starting in a charge that reaches the
        # float voltage, the float reached after a charge): the bins since, the part
        # where a float current can rise; its first half the baseline, its last
        # quarter the recent part (the full window: 12 and 6 bins of 24)
        with np.errstate(invalid="ignore"):
            r = v[:, ::-1]
            spread = np.maximum.accumulate(r, axis=1) - np.minimum.accumulate(r, axis=1)
            length = (spread <= self.hold_v).sum(axis=1)  # NaN (no data): not held
        s2i, n2i, cnti = nz[0][idx], nz[1][idx], nz[2][idx]
        s2t, n2t, cntt = nz[3][idx], nz[4][idx], nz[5][idx]
        ok = np.zeros(m, dtype=bool)
        rise_i = np.full(m, np.nan)
        rise_t = np.full(m, np.nan)
        i_rec = np.full(m, np.nan)
        z_t = np.full(m, np.nan)
        if (length == w).all():  # (the usual case: one group, no search)
            groups = [(w, slice(None))]
        else:
            lengths = np.unique(length[length >= 4 * MIN_BINS])
            groups = [(int(n), np.flatnonzero(length == n)) for n in lengths]
        for n, sel in groups:
            a = w - n  # the window's first column
            if n == w:
                b, r_ = nb, nr
            else:
                b, r_ = max(MIN_BINS, n // 2), max(MIN_BINS, n // 4)
            base, rec = slice(a, a + b), slice(w - r_, w)
            with np.errstate(invalid="ignore", divide="ignore"):
                c, tp = cur[sel], tmp[sel]
                ib = c[:, base].sum(axis=1) / b
                ir = c[:, rec].sum(axis=1) / r_
                tb = tp[:, base].sum(axis=1) / b
                tr = tp[:, rec].sum(axis=1) / r_
                # white-noise variance per sample, and samples per part
                var_i = white_noise_var(s2i[sel, a:].sum(axis=1), n2i[sel, a:].sum(axis=1))
                var_t = white_noise_var(s2t[sel, a:].sum(axis=1), n2t[sel, a:].sum(axis=1))
                ni_b, ni_r = cnti[sel, base].sum(axis=1), cnti[sel, rec].sum(axis=1)
                nt_b, nt_r = cntt[sel, base].sum(axis=1), cntt[sel, rec].sum(axis=1)
                se_i = np.sqrt(var_i * (1.0 / ni_b + 1.0 / ni_r))
                # a bin's mean temperature averages k sensors: k times the samples
                se_t = np.sqrt(var_t * (1.0 / nt_b + 1.0 / nt_r))
                ri, rt = ir - ib, tr - tb
                q2 = nz[6][idx][sel, a:].sum(axis=1) / (w - a)
                fake = ROUNDING_SWING * rounding_bias(q2, var_t)
                ok[sel] = (
                    (ir >= self.i_min)
                    & (ri >= self.i_min)
                    & (ri >= CURRENT_Z * se_i)
                    & (rt - fake >= HEAT_Z * se_t)
                )
                rise_i[sel], rise_t[sel], i_rec[sel] = ri, rt, ir
                z_t[sel] = rt / se_t
        ok &= np.isfinite(z_t)
        # the end of the last discharge bin up to each new bin
        with np.errstate(invalid="ignore"):
            load = bb.mean[lay.i_i] <= -self.i_charge
        last = np.maximum.accumulate(np.where(load, bb.t1, -np.inf))
        last = np.maximum(last, self._last_load_t)
        self._last_load_t = float(last[-1])
        heat = self._charge_heat(x, nz, pool, t0, t1, g, m, last)
        ok |= heat["ok"]
        self.tracker.feed(
            bb.t0,
            bb.t1,
            ok[None, :],
            2,
            rise_i[None, :],
            aux={
                "current_a": i_rec[None, :],
                "temperature_rise_c": rise_t[None, :],
                "temperature_z": z_t[None, :],
                "cells": np.full((1, m), float(k)),
                "recombination_current_a": heat["i_rec"][None, :],
                "heating_c_per_min": heat["rate"][None, :],
                "heating_z": heat["z"][None, :],
            },
        )

    def _charge_heat(self, x, nz, pool, t0, t1, g, m: int, last_load) -> dict[str, np.ndarray]:
        """The charge-heat test at each of the ``m`` new bins: the mean cell
        temperature's heating over the bins of charge (the last ``wh``, or from
        ``wh_min`` on all since the charge began) beyond the Joule heat of the
        measured current, as the recombination current it needs."""
        out = {k: np.full(m, np.nan) for k in ("i_rec", "rate", "z")}
        out["ok"] = np.zeros(m, dtype=bool)
        if not self.heat:
            return out
        wh = self.wh
        h = x.shape[1]
        # bins of charge (each at least i_charge; NaN, no data: not charging) up to
        # each new bin, at most wh (the history holds wh - 1 bins before the new ones)
        with np.errstate(invalid="ignore"):
            charging = x[1] >= self.i_charge
        pos = np.arange(h)
        last_off = np.maximum.accumulate(np.where(charging, -1, pos))
        end = h - m + np.arange(m)
        run = np.minimum(end - last_off[end], wh)
        new = np.flatnonzero(run >= self.wh_min)
        if not len(new):
            return out
        # the windows of those bins, gathered once (oldest first)
        idx = end[new][:, None] - (wh - 1) + np.arange(wh)[None, :]
        cur, tmp, volt = x[1][idx], x[2][idx], x[0][idx]
        span_end = t1[end[new]]
        # the last two minutes of charge, and the last one (a heating that began
        # within the window: the fit over the minute before it dilutes its rate)
        for cap in self._caps:
            length = np.minimum(run[new], cap)
            with np.errstate(invalid="ignore"):  # (beyond one lost bin, or no time)
                across = ~(span_end - t0[end[new] - length + 1] <= (length + 1) * self.bin_s)
            for n in np.unique(length[~across]):
                n = int(n)
                if n < self.wh_min:
                    continue
                loc = np.flatnonzero((length == n) & ~across)
                args = (cur, tmp, volt, idx, nz, pool, h, t0, end, last_load, out)
                self._heat_window(self._slopes[n], loc, new[loc], *args)
            for pos, loc in self._gap_windows(np.flatnonzero(across), length, end[new], g, cap):
                sw = self._gap_slope(pos)
                args = (cur, tmp, volt, idx, nz, pool, h, t0, end, last_load, out)
                self._heat_window(sw, loc, new[loc], *args)
        return out

    def _gap_windows(self, loc, length, end, g, cap: int):
        """The windows ``loc`` (of ``length`` bins of charge ending at the history's
        bins ``end``) that span a time gap, as the bins of charge present over the
        last ``cap`` bins of time, where they are ``wh_min`` at least (the evidence a
        window at a charge's start needs; see "A gap in the log"): (slots, windows)."""
        out: dict[tuple[int, ...], list[int]] = {}
        for c in loc:
            e = end[c]
            s = g[e - length[c] + 1 : e + 1]
            pos = s[s > s[-1] - cap] - s[-1]  # the slots of its time's bins (the last 0)
            if len(pos) >= self.wh_min:
                out.setdefault(tuple(int(p) for p in pos), []).append(int(c))
        return [(pos, np.array(c)) for pos, c in out.items()]

    def _gap_slope(self, pos: tuple[int, ...]) -> np.ndarray:
        """Least-squares slope weights of bins at slots ``pos`` (kept for the gaps'
        few patterns, as in :mod:`.thermal`)."""
        sw = self._gap_slopes.get(pos)
        if sw is None:
            if len(self._gap_slopes) >= GAP_FITS_KEPT:
                self._gap_slopes.clear()
            sw = self._gap_slopes[pos] = _slope_weights(np.array(pos), self.bin_s)
        return sw

    def _heat_window(self, sw, loc, sel, cur, tmp, volt, idx, nz, pool, h, t0, end, last_load, out):
        """The charge-heat test on the last ``len(sw)`` bins of the gathered windows
        ``loc`` (the new bins ``sel``), their slope weights ``sw``; the larger evidence
        of the windows tried is kept."""
        n = len(sw)
        cols = slice(self.wh - n, self.wh)
        i_w = cur[loc, cols]
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = (tmp[loc, cols] * sw).sum(axis=1)  # degC/s
            joule = (i_w * i_w).sum(axis=1) / n * self.joule
            exc = rate - joule
            v_cell = volt[loc, cols].sum(axis=1) / n / self.n_cells
            i_rec = exc * self.c_th / v_cell
            i_mean = i_w.sum(axis=1) / n
            first = t0[end[sel] - n + 1]
            cand = (
                (i_rec >= self.i_recomb)
                & (i_rec <= RECOMB_MAX_RATIO * i_mean)
                & (first - last_load[sel] >= LOAD_SETTLE_S)
            )
            # the evidence, where the heat is enough (its noise sums gathered there)
            z = np.full(len(loc), np.nan)
            c = np.flatnonzero(cand)
            if len(c):
                ix = idx[loc[c], cols]
                # white-noise variance per sample of one sensor; a bin's mean over
                # the cells averages cnt samples
                # (pooled over NOISE_POOL_S up to the window's last bin: the pool ends
                # with the history's last bin, as x does)
                last = end[sel[c]] + (pool.shape[1] - h)
                span = np.arange(self.n_pool)[None, :] + (last - self.n_pool + 1)[:, None]
                var_t = white_noise_var(pool[0][span].sum(axis=1), pool[1][span].sum(axis=1))
                se = np.sqrt(var_t * ((sw * sw) / nz[5][ix]).sum(axis=1))
                # (less what a coarse sensor's rounding stepping once adds to the rate)
                b = rounding_bias(nz[6][ix].sum(axis=1) / n, var_t)
                fake = ROUNDING_SWING * b * step_response(sw)
                z[c] = (exc[c] - fake) / se
        ok = cand & (z >= HEAT_RATE_Z)
        prev = out["z"][sel]
        better = np.isnan(prev) | (z > prev)
        out["ok"][sel] |= ok
        out["i_rec"][sel] = np.where(better, i_rec, out["i_rec"][sel])
        out["rate"][sel] = np.where(better, rate * 60.0, out["rate"][sel])
        out["z"][sel] = np.where(better, z, prev)
