"""Each cell's resistance relative to the median cell, from the log's first minutes
under a constant load: the build-up of its RC overpotentials.

:mod:`.cell_resistance` measures r on steps of the current, and a log that starts
under a constant current (a 1C discharge from its first sample) has none until the
current changes, an hour on. The short test's anchor (:mod:`.short`, ``ANCHOR_S``)
then allows any cell up to ``ANCHOR_B_UNKNOWN`` of the pack's warming as its own
resistance's share, which covers a 100 ohm short's heat (0.14 W against ~0.7 W of
Joule heat per 5 Ah NMC cell at 1C): 100 ohm from 2 or 5 min into a 1C discharge
was never found within 10 min.

A log that starts at a load step has its cells' RC pairs empty at its first sample:
under the load they charge up (an NMC cell at 1C: ~30 mV within ~30 s, R1 with tau1
= 10 s, and ~40 mV over minutes, R2 with tau2 = 200 s), and a cell whose resistances
are (1 + r) times the median's builds up (1 + r) times the median's overpotential.
So over the first ``FIT_S`` the median cell's voltage and each cell's deviation from
it are fitted on a line (the OCV's fall under the load, a capacity's drift along it:
nearly straight over minutes; the cells' OCV offsets) and the nominal cell's RC
overpotential fed the bins' current from an empty state (the spec's ECM, as
:class:`~.short_heat.ShortHeat` does). Each cell's coefficient, less the median of
them, over the median cell's build-up, is its r. Only the build-up, never the first
sample's level: the cells' voltages under load differ there by their R0 I too, but
a real pack's cells differ in OCV by a few mV, as much as an 8 % spread of R0 shows
at 1C.

The OCV's bend (2026-12-07 session 38). The line holds where the OCV is straight over
the fit, not where a cell crosses a bend of it: NMC's table falls 5.5 mV/% above 80 %
and 9.4 below, and a cycle starts at 80 %. A cell 4 % above the median (a 3 % SOC
spread) falls 3.9 mV/% slower until it passes 80 % (~2 min at 1C), a rise against the
median that flattens as an RC pair's does: a build-up of less resistance
(``bench_clean_hunt.py`` seed 9768, 13 20 Ah cells at 35 degC: the cells at 83.6-84.3 %
read r -0.37..-0.54 against their truths -0.09..+0.11, 17-19 errors off; cell 6's
allowance was -0.5..+0.05 of the pack's warming, its excess grew +0.1 of it: a false
short at 450 s). So each cell's OCV, the spec's table at its own SOC and the charge
moved since the log's start (rated capacity), is taken off its voltage, and the fit is
of the median of what is left and each cell's deviation from that. Each cell's SOC at
the log's start is the one of ``SOC_CANDIDATES`` (between its level's, its voltage over
the fit's first ``LEVEL_S`` less ``GAIN_SPAN`` times the nominal cell's overpotential,
through the table) that fits the cell best on its own: its voltage less its OCV on a
line and the nominal overpotential (the build-up, where the bend's place shows) and its
level (to ``OCV_TOL_V``: a real cell's curve a few mV off the table). The level alone
is a few tenths of a % off (0.1 of r is 6 mV at 1C: 1 % on the bend's upper side), and
iterated with the fitted r it ran away from the truth; refined against the median of
the others (as r is) a 2-cell pack's cells, both at 80 %, pulled each other's SOC
along (seed 9832: r 0.024 against 0.129, a false short). r's change over the SOCs as
likely (``SOC_SPAN_Z``) is an error of r's. The level only places the cell on
the table; r is still the build-up's. The overpotential is each bin's mean (it was the
bin's end: the RC pairs ~5 mV ahead over a first bin of 5 s). Two errors of r's more:
its change over each cell's capacity at either end of ``CAPACITY_SPAN`` (the SOC's pace
along the table), and no r where a cell's path meets a stretch of the table steeper
than ``MAX_OCV_SLOPE`` (LFP's knee above 98 %, where its r read up to 0.3 off with the
OCV taken off at a SOC a few hundredths of a % wrong; there the old fit's residuals
left r unknown too). Measured (``benchmarks/validate/start_r.py --chems nmc lfp
lead_acid --profiles cc cycle cccv --ambients 0 25 40 --seeds 400 401 402``, 4 and 16
cells, 8 % spread; r's z against the truth, before -> after): ``--soc-spread 3`` NMC z
rms 1.3-13.7 -> 0.70-1.33 (cc at 25 degC -50.4..+3.3 -> -3.6..+2.4; cycle -17.0..+6.0 ->
-3.9..+2.0), the truth above the short test's allowance by up to +0.096 -> at most
-0.055 (under it everywhere), r known on 425 -> 534 of 540 cells; without a SOC spread
NMC rms 0.72-1.05 -> 0.70-1.41 (cycle 0.96/1.22/1.01 -> 0.72/1.05/0.93 at 0/25/40 degC,
cc 1.03/1.47/1.18 -> 0.84/1.41/1.33), the truth at most -0.050 under it; lead-acid
cc 0.54-0.88 (was 0.63-0.98); LFP known at 0 degC only, on 45 -> 71 cells (3 % SOC
spread 2 -> 52; rms 0.47-0.96 -> 0.63-1.15), its truth never above the allowance.

Temperature. The pack warms under the load (~4 K over the fit at 1C and 25 degC,
18-22 K at 2C from 0 degC) and its resistances fall with it (the Arrhenius law,
:func:`~app.core.spec.resistance_temperature_factor`: x0.65 from 0 to 20 degC), R0 I
with them, which fitted on the build-up alone undid it: r off by up to 12 of its
errors on cold packs under 2C (8 cells at 0 degC, spread 0.10, seed 400: cell 4 read
-0.07 against +0.17), and the heat of the cells read low was a critical short. So the
overpotential the cells are fitted on is the nominal cell's R0 I and RC pairs with
their resistances (and time constants, as the simulator's) times the factor of each
bin's temperature: the median cell's at the cells' median, each cell's (it differs
from the median's by K (eta_i - eta_m), K the median's resistance against the
nominal, subtracted) at its own, a quadratic in time fitted on its sensor over the fit
and taken as its rise from the median's start (an offset of its sensor is no warmer
cell: a pack at rest before its load step is at one temperature); a cell without a
sensor at the median's; no sensor at all: 25 degC, as before. The activation energy
is a cell's own (15-35 kJ/mol usual, the spec's 20): r is fitted at ``EA_SPAN`` times
it too, and its change there taken as ``EA_SPAN_Z`` of its errors (in quadrature with
the fit's): where the pack warmed much that leaves r unknown (over ``MAX_SE``) unless
the fit holds at either end.

Guards. A log that does not start at a load step (the load already on, the RC pairs
charged) shows no build-up: the median's coefficient (against the nominal cell's)
must be at least ``MIN_BUILD_UP`` and ``BUILD_UP_Z`` standard errors (a 1C log cut 10
min after its start: ~0, r not known). The build-up the r is scaled by is the
nominal cell's or the measured one where that is less (an OCV knee at the log's
start, 100 % SOC, reads the median's build-up ~1.8x high; an aged pack's real one
is more than nominal: its r then reads high, allowing more heat, never less). Only
under a constant current (``STILL_C``): a varying one moves the cells by their R0 as
well, which no RC term follows (r off by up to 20 of its errors on drive and HPPC
logs, where the step measure has r anyway). The error of r: the fit's residuals,
pooled over the cells, at least ``MIN_SE``; r is not used where it is more than
``MAX_SE`` (LFP: its small build-up under its noise, and its knee at 100 % read r
off by up to 5 errors; a C/2 charge on NMC; no better than not knowing r there).

Measured (r against the simulator's truth, in its errors; nmc/lfp/lead-acid, 4 and 16
cells, the six profiles, seeds 1-3, 3/6/8 % spread): where r is known (NMC cycle,
cc and cccv; lead-acid cc) within -3.3 .. +3.4 errors, rms 0.8-1.3; the short test
allows 3 errors and 0.05 more (``ANCHOR_R_Z``, ``ANCHOR_B_TOL``). Over ``FIT_S`` =
300 s r was known to ~0.03, too loose for a 100 ohm short to clear the allowance
in time (12 of 48 shorts from 2 and 5 min into a 1C NMC discharge found within 10
min); 450 s: ~0.023, 26 of 48; 600 s: 24 of 48 (r comes later; the short, begun in
the fit, lifts its own cell's r).

With the temperature (``benchmarks/validate/start_r.py``; before -> after): NMC cc at
0 degC, 4/8/16 cells, seeds 402-403, 8 % spread, 1C z rms 3.14 -> 0.98 (range -7.9..+7.4
-> -2.5..+2.2), 2C 4.11 -> 0.65 (-8.7..+8.6 -> -1.6..+1.4; its truth was up to 0.064
above the short test's allowance, now 0.095 below it); 10 degC 1C 2.22 -> 1.38, 2C 2.20
-> 1.14; 25 degC 1C 1.49 -> 1.56, 2C 1.82 -> 1.55. The cells' activation energy 1.5x the
model's (simulated so): 2C at 0 degC r known on 3 of 56 cells (-1.5..+2.3), every
truth under the allowance. Seeds 1-3 at 25 degC (the six profiles, nmc/lfp/lead-acid,
3/8 %): NMC cc -3.0..+3.2 -> -3.7..+3.6 (rms 1.23 -> 1.40, the truth at most 0.050 ->
0.032 under the allowance), cycle, cccv and lead-acid cc as before.
"""

from __future__ import annotations

import numpy as np

from app.core.spec import (
    RESISTANCE_CORRECTION_RANGE_C,
    BatterySpec,
    resistance_temperature_factor,
)
from app.diagnostics.faults.common import one_c_a

#: The fit's span from the log's first bin.
FIT_S = 450.0
#: The median cell's build-up, against the nominal cell's, must be at least this and
#: this many standard errors above 0 (a log that starts under a load already on: ~0).
MIN_BUILD_UP = 0.5
BUILD_UP_Z = 10.0
#: Only under a constant current: its bins within this of each other (a fraction of
#: 1C), and at least this much.
STILL_C = 0.05
MIN_LOAD_C = 0.2
#: The least standard error of r (see the module doc) ...
MIN_SE = 0.02
#: ... and the most: a wider one allows the short test no less than not knowing r
#: (its ``ANCHOR_B_UNKNOWN``), and came with r off by up to 5 of its errors (an LFP
#: or lead-acid pack's build-up is small against its noise; LFP's OCV knee at 100 %).
MAX_SE = 0.05
#: The least bins of a cell's temperature its smoothed curve is fitted on.
MIN_TEMP_BINS = 10
#: The cells' SOC is read from their voltage over the fit's first this long (at least its
#: first bin): the table's SOC at each voltage less the cell's overpotential then.
LEVEL_S = 10.0
#: Each cell's SOC at the log's start (see the module doc, the OCV's bend, and
#: ``_refine_soc``): the one that fits it best ...
#: ... among this many SOCs ...
SOC_CANDIDATES = 61
#: ... between its level's at these multiples of the nominal cell's overpotential.
GAIN_SPAN = (0.5, 1.5)
#: ... and r's error of the SOC's: half the range of r over the SOCs whose fit is within
#: this many errors of the best's (its cost: the fit's residuals in their variance and
#: the level's in ``OCV_TOL_V``), as this many errors. A cell at the bend from the log's
#: start (every cell at 80 %, a 2-cell pack of 12 % spread at 45 degC, seed 9832) has its
#: bend's place in the first seconds of the build-up, where the bend mimics R1's:
#: its r read 0.024 against 0.129.
SOC_SPAN_Z = 2.0
#: A cell's OCV off the spec's table by up to a few mV (its level's error)
OCV_TOL_V = 0.003
#: r is not known for a cell whose path along the table over the fit (and this far
#: either side, % SOC) meets a stretch steeper than this (V/%): LFP's knee above 98 %
#: (125 mV/%) moves a cell's OCV by 1.25 mV for 0.01 % of SOC, and its r read up to 0.3
#: off on noise-free cells (0 degC, 1C from 100 %; within its errors at the true SOC).
#: NMC's table is at most 15 mV/% above 10 %.
MAX_OCV_SLOPE = 0.05
SOC_MARGIN = 0.5
#: Each cell's capacity against the rated one (its SOC's pace along the table): r is
#: fitted at either end of this too, its change there taken as ``CAPACITY_SPAN_Z`` of
#: its errors (~2 sigma of a new pack's 1-2 % spread).
CAPACITY_SPAN = (0.96, 1.04)
CAPACITY_SPAN_Z = 2.0
#: The activation energy of the cells' resistances, against the spec's, r is fitted
#: with too: its change is an error of r's (15-35 kJ/mol are usual, 20 the spec's).
EA_SPAN = (0.75, 1.75)
#: ... as this many errors of r (the span: ~95 % of cells').
EA_SPAN_Z = 2.0


class StartResistance:
    """r of each voltage-measured cell from the log's first ``FIT_S`` under load
    (NaN, and an infinite error, where the log did not start at a load step)."""

    def __init__(self, spec: BatterySpec, nv: int, bin_s: float):
        self.nv = nv
        self.active = spec.ecm is not None and nv >= 2
        self._t0: float | None = None
        self.still_a = STILL_C * one_c_a(spec)
        self.min_a = MIN_LOAD_C * one_c_a(spec)
        self.bin_s = bin_s
        self.chemistry = spec.chemistry
        self.done = False
        # the fit's bins, kept until it is over (a few hundred at most): time, current,
        # the median cell voltage, each cell's deviation from it and temperature
        self._bins: list[np.ndarray] = []
        self.r = np.full(nv, np.nan)
        self.se = np.full(nv, np.inf)
        if self.active:
            p = spec.ecm.for_capacity(spec.pack_capacity_ah)
            self._r0 = p["r0_ohm"]
            self._rc = [(spec.ecm.tau1_s, p["r1_ohm"]), (spec.ecm.tau2_s, p["r2_ohm"])]
        self.one_c = one_c_a(spec)
        self.ocv = spec.cell_ocv
        self.soc_from_ocv = spec.cell_soc_from_ocv
        self.ocv_table = spec.ocv_table

    def push(self, t0: np.ndarray, t1: np.ndarray, current, vmed, dev, temp=None) -> None:
        """Add the bins (times, current, median cell voltage, deviations (nv, m), and
        each cell's temperature (nv, m), NaN where it has no sensor)."""
        if not self.active or self.done or not len(t0):
            return
        if self._t0 is None:
            self._t0 = float(t0[0])
        t = (t0 + t1) / 2.0 - self._t0
        if temp is None:
            temp = np.full((self.nv, len(t0)), np.nan)
        inside = t < FIT_S
        k = np.flatnonzero(inside)
        if len(k):
            self._bins.append(np.vstack((t[k], current[k], vmed[k], dev[:, k], temp[:, k])))
        if not inside[-1]:
            self.done = True
            self._solve()
            self._bins = []

    def _overpotential(self, current: np.ndarray, factor: np.ndarray) -> np.ndarray:
        """The nominal cell's overpotential (R0 I and its RC pairs' from empty), its
        resistances and time constants times ``factor`` (cells, bins) of each bin."""
        eta = self._r0 * factor * current
        for tau, r in self._rc:
            decay = np.exp(-self.bin_s / (factor * tau))
            full = r * factor * current
            drive = (1.0 - decay) * full
            # the pair's state at each bin's start ...
            start = np.zeros_like(full)
            v = start[:, 0]
            for k in range(factor.shape[1] - 1):  # (a few hundred bins, once per log)
                v = decay[:, k] * v + drive[:, k]
                start[:, k + 1] = v
            # ... and its mean over the bin, relaxing from there to full
            eta += full + (start - full) * ((1.0 - decay) * factor * tau / self.bin_s)
        return eta

    def _temperatures(self, t: np.ndarray, temp: np.ndarray) -> np.ndarray | None:
        """Each cell's temperature over the fit, smoothed (a quadratic in time: the
        pack warms over a ~25 min thermal time constant), the cells' median where a
        cell has none; None where no cell has one."""
        lo, hi = RESISTANCE_CORRECTION_RANGE_C
        x = np.vstack((np.ones_like(t), t / FIT_S, (t / FIT_S) ** 2))
        out = np.full(temp.shape, np.nan)
        for j in range(temp.shape[0]):
            ok = np.isfinite(temp[j])
            if ok.sum() >= MIN_TEMP_BINS:
                coef, *_ = np.linalg.lstsq(x[:, ok].T, temp[j, ok], rcond=None)
                out[j] = coef @ x
        if not np.isfinite(out).any():
            return None
        med = np.nanmedian(out, axis=0)
        # each cell's own rise from the median's start (a sensor's offset is no warmer
        # cell: a pack at rest before its load step has one temperature)
        out = np.where(np.isfinite(out), out - out[:, :1] + med[0], med[None, :])
        return np.clip(np.vstack((med[None, :], out)), lo, hi)

    def _solve(self) -> None:
        if not self._bins:
            return
        data = np.concatenate(self._bins, axis=1)
        nv = self.nv
        t, current, vmed = data[0], data[1], data[2]
        dev, temp = data[3 : 3 + nv], data[3 + nv :]
        ok = np.isfinite(current) & np.isfinite(vmed) & np.isfinite(dev).all(axis=0)
        n = int(ok.sum())
        if n < 10:
            return
        i_lo, i_hi = float(current[ok].min()), float(current[ok].max())
        if i_hi - i_lo > self.still_a or abs(i_hi) < self.min_a:
            return
        # the cells' temperatures over the fit (none known: the nominal cell's at 25 degC)
        temps = self._temperatures(t, temp)
        if temps is None:
            factor = np.ones((nv + 1, len(t)))
        else:
            factor = resistance_temperature_factor(self.chemistry, temps)
        eta = self._overpotential(np.nan_to_num(current), factor)
        # each cell's OCV, at its own SOC, taken off its voltage (see the module doc)
        volts = vmed[None, :] + dev
        moved = self._charge_moved(t, current)
        soc, spread = self._refine_soc(ok, t, volts, eta, moved)
        less = self._less_ocv(volts, soc, moved)
        fit = self._fit(ok, t, *less, eta)
        if fit is None:
            return
        r, se, scale = fit[0], fit[1], fit[5]
        # each cell's capacity (see CAPACITY_SPAN): its SOC's pace along the table at
        # either end of it, the median's not moved, r's change an error of r's too
        cap = np.zeros(nv)
        for k in CAPACITY_SPAN:
            rest = volts - self.ocv(soc[:, None] + moved[None, :] / k)
            other = self._fit(ok, t, less[0], rest - less[0][None, :], eta)
            cap = np.fmax(cap, np.abs(other[0] - r) if other is not None else np.inf)
        # the activation energy's uncertainty (see EA_SPAN): r's change over it is an
        # error of r's too, where the cells' temperatures moved
        off = np.zeros(nv)
        if temps is not None:
            for k in EA_SPAN:
                eta_k = self._overpotential(np.nan_to_num(current), factor**k)
                other = self._fit(ok, t, *less, eta_k)
                off = np.fmax(off, np.abs(other[0] - r) if other is not None else np.inf)
        # (the SOC's: its gain's range over the SOCs as likely, see _refine_soc)
        place = spread / scale / SOC_SPAN_Z
        se = np.sqrt(se**2 + (off / EA_SPAN_Z) ** 2 + (cap / CAPACITY_SPAN_Z) ** 2 + place**2)
        known = (se <= MAX_SE) & ~self._steep(soc, moved[ok])
        self.r = np.where(known, r, np.nan)
        self.se = np.where(known, se, np.inf)

    def _charge_moved(self, t: np.ndarray, current: np.ndarray) -> np.ndarray:
        """The charge into the cells since the log's start at each bin (% of 1C for an
        hour): the bins' current over their mid times, the first from the log's start."""
        i = np.nan_to_num(current)
        steps = (i[1:] + i[:-1]) / 2.0 * np.diff(t)
        q = i[0] * t[0] + np.concatenate(([0.0], np.cumsum(steps)))
        return q * 100.0 / (3600.0 * self.one_c)

    def _soc(self, ok, t, volts, eta, gain, moved) -> np.ndarray:
        """Each cell's SOC at the log's start, from its voltage over the fit's first
        ``LEVEL_S`` less its overpotential (``gain`` times the nominal cell's at its
        temperature) through the spec's OCV table."""
        first = ok & (t <= max(LEVEL_S, float(t[ok][0])))
        ocv = volts[:, first] - gain[:, None] * eta[1:, first]
        return np.mean(self.soc_from_ocv(ocv) - moved[first], axis=1)

    def _refine_soc(self, ok, t, volts, eta, moved) -> tuple[np.ndarray, np.ndarray]:
        """Each cell's SOC at the log's start that fits its voltage best, on its own (no
        other cell's SOC in its reference): its voltage less its OCV from that SOC on a
        line and the nominal cell's overpotential at its temperature (its build-up, in the
        residuals' least variance over the SOCs) and its level over the fit's first
        ``LEVEL_S`` (known to ``OCV_TOL_V``), among ``SOC_CANDIDATES`` between its level's
        SOC at an overpotential of ``GAIN_SPAN`` times the nominal cell's; and half the
        range of its overpotential's gain over the SOCs whose fit is within
        ``SOC_SPAN_Z`` errors of the best's."""
        first = ok & (t <= max(LEVEL_S, float(t[ok][0])))
        n = int(ok.sum())
        lo = self._soc(ok, t, volts, eta, np.full(self.nv, GAIN_SPAN[0]), moved)
        hi = self._soc(ok, t, volts, eta, np.full(self.nv, GAIN_SPAN[1]), moved)
        frac = np.linspace(0.0, 1.0, SOC_CANDIDATES)
        out, spread = np.empty(self.nv), np.empty(self.nv)
        for j in range(self.nv):
            x = np.vstack((np.ones(n), t[ok], eta[1 + j, ok])).T
            try:
                cov = np.linalg.inv(x.T @ x)
            except np.linalg.LinAlgError:
                out[j], spread[j] = (lo[j] + hi[j]) / 2.0, np.inf
                continue
            cand = lo[j] + (hi[j] - lo[j]) * frac
            ocv = self.ocv(cand[:, None] + moved[None, :])  # (candidates, bins)
            y = volts[j, ok][None, :] - ocv[:, ok]
            coef = y @ x @ cov  # (candidates, 3)
            ss = ((y - coef @ x.T) ** 2).sum(axis=1)
            gain = coef[:, 2]
            level = (volts[j, first][None, :] - ocv[:, first]).mean(axis=1)
            level -= gain * eta[1 + j, first].mean()
            s2 = max(float(ss.min()) / max(n - 3.0, 1.0), 1e-12)
            cost = ss / s2 + level**2 / OCV_TOL_V**2
            best = int(np.argmin(cost))
            out[j] = cand[best]
            # the SOCs as likely within SOC_SPAN_Z errors: the range of their gains
            near = cost <= cost[best] + SOC_SPAN_Z**2
            spread[j] = (gain[near].max() - gain[near].min()) / 2.0
        return out, spread

    def _steep(self, soc: np.ndarray, moved: np.ndarray) -> np.ndarray:
        """Whether each cell's path along the table over the fit (from ``soc`` at the
        log's start, ``moved`` since) meets a stretch steeper than ``MAX_OCV_SLOPE``."""
        tab_soc, tab_v = (np.asarray(a, dtype=float) for a in self.ocv_table)
        slope = np.abs(np.diff(tab_v) / np.diff(tab_soc))
        lo = soc + min(float(moved.min()), 0.0) - SOC_MARGIN
        hi = soc + max(float(moved.max()), 0.0) + SOC_MARGIN
        meets = (lo[:, None] < tab_soc[None, 1:]) & (hi[:, None] > tab_soc[None, :-1])
        return (meets & (slope[None, :] > MAX_OCV_SLOPE)).any(axis=1)

    def _less_ocv(self, volts, soc, moved) -> tuple[np.ndarray, np.ndarray]:
        """The median of the cells' voltages less their OCVs at ``soc`` (at the log's
        start) and the charge ``moved`` since, and each cell's deviation from it."""
        rest = volts - self.ocv(soc[:, None] + moved[None, :])
        med = np.median(rest, axis=0)
        return med, rest - med

    def _fit(self, ok, t, vmed, dev, eta) -> tuple | None:
        """Each cell's r and its error (the fit's), with the nominal cell's overpotential
        ``eta`` (the median cell's, then each cell's; by bin), and the median's build-up,
        K and each cell's residual variance; None where the log shows no build-up."""
        nv, n = self.nv, int(ok.sum())
        x = np.vstack((np.ones(n), t[ok], eta[0, ok])).T
        try:
            cov = np.linalg.inv(x.T @ x)
        except np.linalg.LinAlgError:
            return None
        # a cell warmer than the median has less resistance: its overpotential differs
        # by K (eta_i - eta_m), K the median cell's against the nominal one's
        d = eta[1:, ok] - eta[0, ok]
        y = np.vstack((vmed[None, ok], dev[:, ok], d))
        coef = cov @ (x.T @ y.T)  # (3, series)
        k_med = coef[2, 0] + float(np.median(coef[2, 1 : 1 + nv]))
        y = np.vstack((vmed[None, ok], dev[:, ok] - k_med * d))
        coef = cov @ (x.T @ y.T)
        s2 = ((y - (x @ coef).T) ** 2).sum(axis=1) / max(n - 3.0, 1.0)
        beta = coef[2, 1:]
        mid = float(np.median(beta))
        built = coef[2, 0] + mid  # the median resistance's build-up, against the nominal
        se_med = np.sqrt(s2[0] * cov[2, 2])
        known = built >= MIN_BUILD_UP and built >= BUILD_UP_Z * se_med and np.isfinite(s2).all()
        if not known:
            return None
        # r over the nominal build-up, or the median's where it is less (see Guards)
        scale = min(built, 1.0)
        s2_dev = float(np.median(s2[1:]))  # pooled over the cells (one front end)
        se = max(np.sqrt(s2_dev * cov[2, 2]) / scale, MIN_SE)
        return (beta - mid) / scale, se, coef[2, 0], k_med, s2[1:], scale
