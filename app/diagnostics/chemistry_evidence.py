"""Is the cell of the chemistry the spec names? Evidence from inside its voltage window.

:mod:`~app.diagnostics.spec_fit` warns when the cells live outside the spec's voltage
window, or when its OCV table pins the SOC at empty or full. An LFP cell taken for NMC
does neither: LFP's 3.2-3.4 V plateau and its 3.6 V charge voltage lie inside NMC's
2.5-4.2 V, where the NMC table reads it as 10-30 % SOC and the filter's band looks
confident. Two things an engineer tells the chemistries apart by, inside the window:

- **the flat plateau**: a constant current moves much of the capacity while the
  voltage barely moves. Under constant current the terminal voltage follows the OCV
  (the IR drop is constant once the RC polarisation has settled), so a segment that
  moves ``dSOC`` of the capacity with a voltage change far below the *flattest*
  ``dSOC`` stretch anywhere on the spec's OCV curve is not the spec's chemistry. The
  NMC curve rises at least ~5 mV a % SOC everywhere (~0.1 V over 20 %); LFP's plateau
  ~0.5 mV a % (the Arbin A123 cell: 20 % of 1.1 Ah at 1C within 32 mV). The
  chemistry named is the one whose plateau lies at that voltage (LFP ~3.15-3.5 V
  under load, lead-acid ~1.9-2.35 V a cell), and only when its window holds the log.
- **the CV hold**: a charger holds a cell at its chemistry's charge voltage while the
  current tapers: LFP 3.45-3.7 V, Li-ion (NMC, NCA, LCO) 3.95-4.45 V, lead-acid
  absorption and float 2.2-2.5 V a cell. A hold in another chemistry's band and
  outside the spec's own is another chemistry's charge.

- **the charge cut-off**: a charge stopped the moment the cell reached its highest
  voltage, exactly at a chemistry's charge-voltage set point (LFP 3.60/3.65 V, Li-ion
  4.10-4.40 V, lead-acid 2.40/2.45 V a cell, within 3 mV): the Arbin A123 cell's 6C
  step ends at 3.600 V. A partial charge stopped by time or charge lands there by
  chance seldom (3 mV of the hundreds a charge crosses).

Both are judged against the capacity the spec gives: a capacity several times too
small makes any cell look flat, so the warning names that alternative too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.spec import BatterySpec, Chemistry

if TYPE_CHECKING:
    import pandas as pd

    from app.core.samples import SampleBlock
    from app.diagnostics.spec_fit import CellVoltageCounts, FixWords

#: A constant-current segment: consecutive samples whose current differs by at most
#: this fraction from the one before (a cycler's CC holds it within ~0.1 %).
CC_STEP = 0.02
#: ... and whose largest current is at most this times its smallest (a CV taper or a
#: slowly drifting current is no CC segment).
CC_SPREAD = 1.05
#: The first seconds of a segment are left out: the RC polarisation settles after a
#: current change (the Arbin cell relaxes ~80 mV over the first minute after 6C -> 1C).
SETTLE_S = 120.0
#: A segment judged must move at least this share of the capacity (%) after settling.
MIN_SOC_PCT = 10.0
#: The plateau is the flattest stretch of a segment moving this share of the capacity (%)
#: (all of it when it moves less).
WINDOW_SOC_PCT = 20.0
#: Flatter than this fraction of the spec curve's flattest stretch of the same SOC is
#: not the spec's chemistry (the Arbin LFP cell read as NMC: 0.30; an NMC cell's own
#: curve at constant current: >= 1).
FLAT_RATIO = 0.4
#: The spec's flattest stretch must rise at least this much (V) to judge against it
#: (LFP's and lead-acid's own curves are flat: nothing is flatter to find).
MIN_EXPECTED_RISE_V = 0.03

#: Where a chemistry's flat plateau lies under load (V a cell): its OCV plateau +- the
#: IR drop of up to ~1C. NMC has no plateau.
PLATEAU_V: dict[Chemistry, tuple[float, float]] = {
    Chemistry.LFP: (3.15, 3.50),  # OCV 3.25-3.35 V (A123, Prada2013)
    Chemistry.LEAD_ACID: (1.90, 2.35),  # OCV 1.95-2.12 V (BU-903), charge to 2.3 V
}

#: A CV hold: the top of a charge (within this of its highest voltage, V) ...
CV_TOLERANCE_V = 0.01
#: ... held at least this long (s) ...
CV_MIN_S = 60.0
#: ... while the current falls to at most this fraction of its value at the start.
CV_TAPER = 0.7
#: The charge voltages (V a cell) a charger holds each chemistry at.
CHARGE_V: dict[Chemistry, tuple[float, float]] = {
    Chemistry.LFP: (3.45, 3.70),  # 3.6 V (A123), 3.65 V (prismatic data sheets)
    Chemistry.NMC: (3.95, 4.45),  # 4.1-4.2 V, 4.35-4.4 V high-voltage Li-ion
    Chemistry.LEAD_ACID: (2.20, 2.50),  # float 2.25-2.3 V, absorption 2.4-2.45 V (BU-403)
}


#: The charge-voltage set points (V a cell) a cycler stops a charge at, per chemistry.
SET_POINTS_V: dict[Chemistry, tuple[float, ...]] = {
    Chemistry.LFP: (3.60, 3.65),
    Chemistry.NMC: (4.10, 4.15, 4.20, 4.30, 4.35, 4.40),
    Chemistry.LEAD_ACID: (2.40, 2.45),
}
#: A charge stopped at a set point: its last sample within this of it (V) ...
SET_POINT_TOLERANCE_V = 0.003
#: ... after charging at least this long (s).
CUT_OFF_MIN_S = 30.0


@dataclass(frozen=True)
class Plateau:
    """A constant-current stretch flatter than the spec's OCV curve anywhere."""

    soc_pct: float
    ah: float
    current_a: float
    rise_v: float
    v_lo: float
    v_hi: float
    expected_v: float


@dataclass(frozen=True)
class CvHold:
    """A charge held at a constant voltage while its current tapered."""

    voltage_v: float
    duration_s: float
    i_start_a: float
    i_end_a: float


def _cell_series(columns, get, spec: BatterySpec):
    """(t, mean cell V, pack current) of the rows with all three finite; ``get(name)``
    gives a column of a frame or a block with ``columns``."""
    cells = schema.cell_voltage_columns(columns)
    if schema.CURRENT not in columns or schema.TIME not in columns:
        return None
    if cells:
        # nanmean's own sum and count: a row with no cell reading (a CAN log's rows of
        # other frames) is NaN without numpy's "Mean of empty slice" warning reaching
        # the user (np.errstate does not silence it)
        m = np.column_stack([np.asarray(get(c), dtype=float) for c in cells])
        present = ~np.isnan(m)
        with np.errstate(invalid="ignore", divide="ignore"):
            v = np.where(present, m, 0.0).sum(axis=1) / present.sum(axis=1)
    elif schema.VOLTAGE in columns:
        v = np.asarray(get(schema.VOLTAGE), dtype=float) / spec.series_cells
    else:
        return None
    t = np.asarray(get(schema.TIME), dtype=float)
    i = np.asarray(get(schema.CURRENT), dtype=float)
    ok = np.isfinite(t) & np.isfinite(v) & np.isfinite(i) & (v > 0)
    return t[ok], v[ok], i[ok]


def _runs(mask: np.ndarray, breaks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, stops) of the runs of ``mask``, split where ``breaks`` (at the sample)."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    cuts = np.flatnonzero(mask & breaks)
    bounds = np.union1d(edges, cuts)
    a, b = bounds[:-1], bounds[1:]
    starts = np.isin(a, np.concatenate((edges[::2], cuts))) & mask[np.minimum(a, len(mask) - 1)]
    return a[starts], b[starts]


class _OpenRuns:
    """Runs of samples (of a mask, split at breaks) over blocks, each reduced to a
    running summary (``new()``, fed each part of its run with ``add``): the runs a
    block closes, and the one still open at its end (carried to the next block).
    O(block) a block, whatever the length of the run."""

    def __init__(self, min_len: int, new):
        self.min_len = min_len
        self.new = new
        self.open = None  # the summary of the open run

    def feed(self, t, v, i, mask, breaks) -> list:
        n = len(t)
        closed = []
        if n == 0:
            return closed
        if self.open is not None and (not mask[0] or breaks[0]):
            closed.append(self.open)
            self.open = None
        if mask.all() and not breaks[1:].any():  # (a block inside one run: most are)
            starts, stops = np.zeros(1, dtype=np.int64), np.full(1, n)
        else:
            starts, stops = _runs(mask, breaks)
        # (runs too short to judge are left out, but for the first and the last: they
        # may continue the open run or be continued by the next block)
        judged = (stops - starts >= self.min_len) | (starts == 0) | (stops == n)
        for a, b in zip(starts[judged].tolist(), stops[judged].tolist(), strict=True):
            run = self.open if a == 0 and self.open is not None else self.new()
            self.open = None
            run.add(t[a:b], v[a:b], i[a:b])
            if b == n:
                self.open = run
            else:
                closed.append(run)
        return [c for c in closed if c.n >= self.min_len]


class _CcRun:
    """A constant-current segment reduced as it comes: its current's extremes, the
    charge moved since it settled (``SETTLE_S``), and the voltage's extremes in each
    1 % of the capacity moved (the few still inside a :data:`WINDOW_SOC_PCT` window),
    with the flattest window of them so far. A window ``m`` holds the samples of the
    1 % bins ``m`` .. ``m + 19`` and the first sample after them (it moves at least
    20 %); the charge is the trapezoid sum, accumulated sample by sample, so a log cut
    into any blocks sums to the same bits."""

    def __init__(self, capacity_ah: float):
        self.capacity_ah = capacity_ah
        self.bin_ah = capacity_ah / 100.0
        self.n = 0
        self.sign = 1.0
        self.ia_min, self.ia_max = np.inf, -np.inf
        self.t0 = self.t_last = self.ia_last = self.q_as = np.nan
        # after settling: the count, charge (Ah) at the first sample, voltage extremes
        self.n_kept = 0
        self.q0_ah = self.t0_kept = self.q_last = self.t_last_kept = np.nan
        self.v_lo, self.v_hi = np.inf, -np.inf
        # the non-empty 1 % bins windows still to judge need: [bin, v lo, v hi, q, t]
        # (q, t of its first sample)
        self.bins: list[list[float]] = []
        self.next_window = 0  # the first window not judged yet
        self.best: tuple[float, float, float, float] | None = None  # lo, hi, Ah, s

    def add(self, t, v, i) -> None:
        ia = np.abs(i)
        if self.n == 0:
            self.t0 = float(t[0])
            self.sign = 1.0 if i[0] >= 0 else -1.0
            inc = np.diff(t) * (ia[1:] + ia[:-1]) / 2
            q_as = np.cumsum(np.concatenate(([0.0], inc)))
        else:
            inc = (
                (t - np.concatenate(([self.t_last], t[:-1])))
                * (ia + np.concatenate(([self.ia_last], ia[:-1])))
                / 2
            )
            q_as = np.cumsum(np.concatenate(([self.q_as], inc)))[1:]
        self.n += len(t)
        self.ia_min = min(self.ia_min, float(ia.min()))
        self.ia_max = max(self.ia_max, float(ia.max()))
        self.t_last, self.ia_last, self.q_as = float(t[-1]), float(ia[-1]), float(q_as[-1])
        kept = t - self.t0 >= SETTLE_S
        if not kept[-1]:
            return
        first = int(np.argmax(kept))
        t, v, q = t[first:], v[first:], q_as[first:] / 3600
        if self.n_kept == 0:
            self.q0_ah, self.t0_kept = float(q[0]), float(t[0])
        q = q - self.q0_ah
        self.n_kept += len(t)
        self.q_last, self.t_last_kept = float(q[-1]), float(t[-1])
        self.v_lo = min(self.v_lo, float(v.min()))
        self.v_hi = max(self.v_hi, float(v.max()))
        bins = np.floor(q / self.bin_ah)
        cuts = [0, *(np.flatnonzero(np.diff(bins)) + 1).tolist(), len(q)]
        for a, b in zip(cuts[:-1], cuts[1:], strict=False):
            k = float(bins[a])
            if self.bins and self.bins[-1][0] == k:
                last = self.bins[-1]
                last[1] = min(last[1], float(v[a:b].min()))
                last[2] = max(last[2], float(v[a:b].max()))
                continue
            self._close_windows(k, float(v[a]), float(q[a]), float(t[a]))
            self.bins.append(
                [k, float(v[a:b].min()), float(v[a:b].max()), float(q[a]), float(t[a])]
            )

    def _close_windows(self, k: float, v: float, q: float, t: float) -> None:
        """Judge the windows the first sample of bin ``k`` (``v``, ``q``, ``t``) closes."""
        w = WINDOW_SOC_PCT
        last = self.bins[-1][0] if self.bins else -1.0
        m = self.next_window
        while m <= k - w and m <= last:
            inside = [b for b in self.bins if m <= b[0] < m + w]
            if inside:
                lo = min(v, *(b[1] for b in inside))
                hi = max(v, *(b[2] for b in inside))
                if self.best is None or hi - lo < self.best[1] - self.best[0]:
                    self.best = (lo, hi, q - inside[0][3], t - inside[0][4])
            m += 1
        self.next_window = max(m, int(k - w) + 1)
        self.bins = [b for b in self.bins if b[0] >= self.next_window]

    def plateau(self, spec: BatterySpec, expected_rise) -> Plateau | None:
        """The flattest stretch, when flatter than ``spec``'s OCV curve anywhere
        (``expected_rise(soc_pct)``: :func:`flattest_rise_v`)."""
        if self.n < 5 or self.ia_max > CC_SPREAD * self.ia_min or self.n_kept < 3:
            return None
        soc = 100.0 * self.q_last / self.capacity_ah
        if soc < MIN_SOC_PCT:
            return None
        window = min(soc, WINDOW_SOC_PCT)
        if soc >= WINDOW_SOC_PCT and self.best is not None:
            lo, hi, ah, seconds = self.best
        else:  # (under 20 %: all of it)
            lo, hi, ah, seconds = self.v_lo, self.v_hi, self.q_last, self.t_last_kept - self.t0_kept
        expected = expected_rise(window)
        if expected >= MIN_EXPECTED_RISE_V and hi - lo < FLAT_RATIO * expected:
            current = self.sign * (3600 * ah / seconds if seconds > 0 else self.ia_last)
            return Plateau(window, ah, current, hi - lo, lo, hi, expected)
        return None


#: A charge's top voltage is told in steps of this (V): the hold is the samples within
#: :data:`CV_TOLERANCE_V` (of these steps) of the highest.
TOP_STEP_V = 0.0005
_TOP_STEPS = round(CV_TOLERANCE_V / TOP_STEP_V)


class _ChargeRun:
    """A charge reduced as it comes: its span, charge (Ah), highest and last voltage,
    and its top -- the samples within :data:`CV_TOLERANCE_V` of its highest, in steps of
    :data:`TOP_STEP_V`: a count a step, the first sample reaching each step (with the
    largest current of it and the next two), and the last sample at the top."""

    def __init__(self):
        self.n = 0
        self.t_first = self.t_last = self.v_last = self.i_last = np.nan
        self.v_max = -np.inf
        self.as_ = 0.0  # charge, A s (left sums, sample by sample)
        self.top = -(2**62)  # the highest step
        self.counts: dict[int, int] = {}  # step -> samples, of the top's steps
        self.firsts: list[list] = []  # [step, t, largest i of 3 samples, samples to come]
        self.end: tuple[int, float, float] | None = None  # the last top sample: step, t, i

    def add(self, t, v, i) -> None:
        if self.n == 0:
            self.t_first = float(t[0])
            inc = np.diff(t) * i[:-1]
        else:
            inc = (t - np.concatenate(([self.t_last], t[:-1]))) * np.concatenate(
                ([self.i_last], i[:-1])
            )
        if len(inc):
            self.as_ = float(np.cumsum(np.concatenate(([self.as_], inc)))[-1])
        self.n += len(t)
        self.t_last, self.v_last, self.i_last = float(t[-1]), float(v[-1]), float(i[-1])
        self.v_max = max(self.v_max, float(v.max()))
        for first in self.firsts:  # the next samples of a step's first
            if first[3]:
                first[2] = max(first[2], float(i[: first[3]].max()))
                first[3] = max(0, first[3] - len(i))
        steps = np.floor(v / TOP_STEP_V).astype(np.int64)
        reached = np.maximum.accumulate(np.concatenate(([self.top], steps)))
        self.top = int(reached[-1])
        floor = self.top - _TOP_STEPS
        new = np.flatnonzero((steps > reached[:-1]) & (steps >= floor))
        for r in new.tolist():
            self.firsts.append([int(steps[r]), float(t[r]), float(i[r : r + 3].max()),
                                max(0, r + 3 - len(i))])  # fmt: skip
        self.firsts = [f for f in self.firsts if f[0] >= floor]
        at_top = steps >= floor
        if at_top.any():
            k = int(np.flatnonzero(at_top)[-1])
            self.end = (int(steps[k]), float(t[k]), float(i[k]))
            values, counts = np.unique(steps[at_top], return_counts=True)
            for s, c in zip(values.tolist(), counts.tolist(), strict=True):
                self.counts[s] = self.counts.get(s, 0) + c
        self.counts = {s: c for s, c in self.counts.items() if s >= floor}

    def hold(self) -> CvHold | None:
        """The hold at its top voltage, when its current tapered there."""
        if self.n < 3 or self.end is None or not self.firsts:
            return None
        _, t0, i_start, _ = self.firsts[0]
        _, t1, i_end = self.end
        if t1 - t0 >= CV_MIN_S and i_end <= CV_TAPER * i_start:
            steps = sorted(self.counts)
            half, seen = (sum(self.counts.values()) - 1) // 2, 0
            for s in steps:  # the median step
                seen += self.counts[s]
                if seen > half:
                    break
            return CvHold((s + 0.5) * TOP_STEP_V, t1 - t0, i_start, i_end)
        return None

    def cut_off(self) -> tuple[float, float] | None:
        """(end voltage, Ah) of the charge (closed) stopped at its highest voltage within
        :data:`SET_POINT_TOLERANCE_V` of a set point (:data:`SET_POINTS_V`)."""
        if self.t_last - self.t_first < CUT_OFF_MIN_S or self.v_last < self.v_max - 1e-4:
            return None
        points = [p for ps in SET_POINTS_V.values() for p in ps]
        if min(abs(self.v_last - p) for p in points) > SET_POINT_TOLERANCE_V:
            return None
        return self.v_last, self.as_ / 3600


def flattest_rise_v(spec: BatterySpec, soc_pct: float) -> float:
    """The least the spec's OCV rises over any ``soc_pct`` of SOC."""
    full = spec.with_preset_defaults()
    start = np.linspace(0.0, max(0.0, 100.0 - soc_pct), 201)
    return float(np.min(full.cell_ocv(start + soc_pct) - full.cell_ocv(start)))


class ChemistryEvidenceTracker:
    """Collects the evidence of :func:`chemistry_warning` block by block: the live
    engine's twin of ``analyze`` (a log is one block), so both say the same of the
    same samples, however cut into blocks. Keeps a summary of the constant-current
    segment and the charge still open (O(block) a block, bounded memory however long
    they last), and what the closed ones showed."""

    def __init__(self, spec: BatterySpec):
        self.spec = spec
        self.threshold_a = 0.02 * spec.pack_capacity_ah  # C/50 (cycles.current_threshold_a)
        self._cc = _OpenRuns(5, lambda: _CcRun(spec.pack_capacity_ah))
        self._charges = _OpenRuns(3, _ChargeRun)
        self._expected: dict[float, float] = {}
        self._last_i = np.nan
        self.plateaus: list[Plateau] = []
        self.holds: list[CvHold] = []
        self._cut_offs: list[tuple[float, float]] = []
        #: the highest cell voltage while charging so far (the test's charge cut-off)
        self.top_v = -np.inf

    def update_frame(self, df: pd.DataFrame) -> None:
        self._update(_cell_series(df.columns, df.__getitem__, self.spec))

    def update(self, block: SampleBlock) -> None:
        self._update(_cell_series(block.columns, block.__getitem__, self.spec))

    def _update(self, series) -> None:
        if series is None or not len(series[0]):
            return
        t, v, i = series
        on = np.abs(i) > self.threshold_a
        prev = np.concatenate(([self._last_i], i[:-1]))
        self._last_i = float(i[-1])
        with np.errstate(invalid="ignore"):
            breaks = (np.sign(i) != np.sign(prev)) | (
                np.abs(i - prev) > CC_STEP * np.maximum(np.abs(i), np.abs(prev))
            )
        for run in self._cc.feed(t, v, i, on, breaks):
            if (p := run.plateau(self.spec, self._expected_rise)) is not None:
                self.plateaus.append(p)
        charging = i > self.threshold_a
        if charging.any():
            self.top_v = max(self.top_v, float(v[charging].max()))
        for run in self._charges.feed(t, v, i, charging, np.zeros(len(i), dtype=bool)):
            if (h := run.hold()) is not None:
                self.holds.append(h)
            if (c := run.cut_off()) is not None:
                self._cut_offs.append(c)

    def _expected_rise(self, soc_pct: float) -> float:
        """:func:`flattest_rise_v` of the spec (computed once a SOC span)."""
        if (rise := self._expected.get(soc_pct)) is None:
            rise = self._expected[soc_pct] = flattest_rise_v(self.spec, soc_pct)
        return rise

    def evidence(self) -> tuple[list[Plateau], list[CvHold], list[tuple[float, float]]]:
        """The plateaus (flattest first), CV holds (longest first) and charge cut-offs
        (voltage, Ah; at the highest charging voltage) so far, the open segment and
        charge included (a cut-off only of a charge that has ended)."""
        plateaus, holds = list(self.plateaus), list(self.holds)
        if self._cc.open is not None and (
            p := self._cc.open.plateau(self.spec, self._expected_rise)
        ):
            plateaus.append(p)
        if self._charges.open is not None and (h := self._charges.open.hold()) is not None:
            holds.append(h)
        plateaus.sort(key=lambda p: p.rise_v / p.expected_v)
        holds.sort(key=lambda h: -h.duration_s)
        cut_offs = [(v, ah) for v, ah in self._cut_offs if v >= self.top_v - SET_POINT_TOLERANCE_V]
        return plateaus, holds, cut_offs


def _own_charge_band(spec: BatterySpec) -> tuple[float, float]:
    lo, hi = CHARGE_V[spec.chemistry]
    full = spec.with_preset_defaults()
    return min(lo, full.cell_v_max - 0.15), max(hi, full.cell_v_max + 0.05)


def chemistry_warning(
    df: pd.DataFrame, spec: BatterySpec, words: FixWords | None = None
) -> str | None:
    """A warning when the log shows another chemistry than ``spec``'s inside its voltage
    window (a plateau flatter than its OCV curve at another chemistry's plateau voltage,
    a CV hold or a charge stopped at another chemistry's charge voltage), naming the
    likelier chemistry; None: no such evidence (or it names no preset whose window
    holds the log)."""
    from app.diagnostics.spec_fit import cell_voltage_counts

    tracker = ChemistryEvidenceTracker(spec)
    tracker.update_frame(df)
    return evidence_warning(tracker, cell_voltage_counts(df, spec), words)


def evidence_warning(
    tracker: ChemistryEvidenceTracker, counts: CellVoltageCounts, words: FixWords | None = None
) -> str | None:
    """:func:`chemistry_warning` of the evidence collected and the voltages counted."""
    from app.diagnostics.spec_fit import CLI_WORDS, fitting_presets

    spec = tracker.spec
    words = words or CLI_WORDS
    if not counts.n:
        return None
    fitting = fitting_presets(counts, spec)
    plateaus, holds, cut_offs = tracker.evidence()
    findings: list[str] = []
    named: list[str] = []
    capacity_matters = False
    for p in plateaus:
        chem = next((c for c, (lo, hi) in PLATEAU_V.items() if lo <= p.v_lo and p.v_hi <= hi), None)
        if chem is None or chem == spec.chemistry or chem.value not in fitting:
            continue
        findings.append(
            f"a constant {abs(p.current_a):.3g} A moved {p.ah:.3g} Ah ({p.soc_pct:.0f} % of "
            f"{spec.pack_capacity_ah:g} Ah) with the cell voltage within "
            f"{1000 * p.rise_v:.0f} mV ({p.v_lo:.2f}-{p.v_hi:.2f} V), where the "
            f"{spec.chemistry.value} OCV curve rises at least {1000 * p.expected_v:.0f} mV "
            f"anywhere: {chem.value}'s flat plateau"
        )
        named.append(chem.value)
        capacity_matters = True
        break
    own_lo, own_hi = _own_charge_band(spec)
    for h in holds:
        if own_lo <= h.voltage_v <= own_hi:
            continue
        chem = next((c for c, (lo, hi) in CHARGE_V.items() if lo <= h.voltage_v <= hi), None)
        if chem is None or chem == spec.chemistry or chem.value not in fitting:
            continue
        findings.append(
            f"a charge held at {h.voltage_v:.2f} V a cell for {h.duration_s:.0f} s while its "
            f"current fell from {h.i_start_a:.3g} to {h.i_end_a:.3g} A: {chem.value}'s "
            f"charge voltage ({CHARGE_V[chem][0]:g}-{CHARGE_V[chem][1]:g} V), not "
            f"{spec.chemistry.value}'s"
        )
        named.append(chem.value)
        break
    for volts, ah in cut_offs:
        if own_lo <= volts <= own_hi:
            continue
        chem = next(
            c
            for c, ps in SET_POINTS_V.items()
            if any(abs(volts - p) <= SET_POINT_TOLERANCE_V for p in ps)
        )
        if chem == spec.chemistry or chem.value not in fitting:
            continue
        findings.append(
            f"a charge of {ah:.3g} Ah stopped at {volts:.3f} V a cell, its highest: "
            f"{chem.value}'s charge voltage, not {spec.chemistry.value}'s"
        )
        named.append(chem.value)
        break
    if not findings:
        return None
    likelier = max(set(named), key=named.count)
    hint = f"the {likelier} preset fits it: {words.chemistry.format(likelier)}"
    if capacity_matters:
        hint += f" (or the capacity is not {spec.pack_capacity_ah:g} Ah)"
    return (
        f"the cell looks {likelier}, not {spec.chemistry.value}: "
        + "; and ".join(findings)
        + f". SOC from the {spec.chemistry.value} OCV table, and the limits, do not hold "
        f"for it; {hint}"
    )
