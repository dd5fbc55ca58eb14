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
        with np.errstate(all="ignore"):
            v = np.nanmean(
                np.column_stack([np.asarray(get(c), dtype=float) for c in cells]), axis=1
            )
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
    """Runs of samples (of a mask, split at breaks) over blocks: the runs a block
    closes, and the one still open at its end (carried to the next block)."""

    def __init__(self, min_len: int):
        self.min_len = min_len
        self.open: list[np.ndarray] | None = None  # [t, v, i] of the open run

    def feed(self, t, v, i, mask, breaks) -> list[tuple[np.ndarray, ...]]:
        n = len(t)
        closed = []
        if n == 0:
            return closed
        if self.open is not None and (not mask[0] or breaks[0]):
            closed.append(tuple(self.open))
            self.open = None
        starts, stops = _runs(mask, breaks)
        # (runs too short to judge are left out, but for the first and the last: they
        # may continue the open run or be continued by the next block)
        judged = (stops - starts >= self.min_len) | (starts == 0) | (stops == n)
        for a, b in zip(starts[judged].tolist(), stops[judged].tolist(), strict=True):
            part = [t[a:b], v[a:b], i[a:b]]
            if a == 0 and self.open is not None:
                part = [np.concatenate((o, p)) for o, p in zip(self.open, part, strict=True)]
            self.open = None
            if b == n:
                self.open = part
            else:
                closed.append(tuple(part))
        return [c for c in closed if len(c[0]) >= self.min_len]


def flattest_rise_v(spec: BatterySpec, soc_pct: float) -> float:
    """The least the spec's OCV rises over any ``soc_pct`` of SOC."""
    full = spec.with_preset_defaults()
    start = np.linspace(0.0, max(0.0, 100.0 - soc_pct), 201)
    return float(np.min(full.cell_ocv(start + soc_pct) - full.cell_ocv(start)))


def _plateau(t, v, i, spec: BatterySpec) -> Plateau | None:
    """The flattest stretch of a constant-current segment, when it is flatter than
    ``spec``'s OCV curve anywhere."""
    ia = np.abs(i)
    if len(t) < 5 or ia.max() > CC_SPREAD * ia.min():
        return None
    q = np.concatenate(([0.0], np.cumsum(np.diff(t) * (ia[1:] + ia[:-1]) / 2))) / 3600
    keep = t - t[0] >= SETTLE_S
    if keep.sum() < 3:
        return None
    q, vv = q[keep] - q[keep][0], v[keep]
    soc = 100.0 * float(q[-1]) / spec.pack_capacity_ah
    if soc < MIN_SOC_PCT:
        return None
    # the flattest stretch of WINDOW_SOC_PCT (a full discharge's steep end is no
    # plateau), its starts 1 % of the capacity apart
    window = min(soc, WINDOW_SOC_PCT)
    width = window / 100.0 * spec.pack_capacity_ah
    starts = np.searchsorted(q, np.arange(0.0, float(q[-1]) - width + 1e-12, width / window))
    best = None
    for j in starts:
        k = int(np.searchsorted(q, q[j] + width - 1e-12)) + 1
        lo, hi = float(vv[j:k].min()), float(vv[j:k].max())
        if best is None or hi - lo < best[1] - best[0]:
            best = (lo, hi, float(q[min(k, len(q)) - 1] - q[j]))
    if best is None:
        return None
    lo, hi, ah = best
    expected = flattest_rise_v(spec, window)
    if expected >= MIN_EXPECTED_RISE_V and hi - lo < FLAT_RATIO * expected:
        return Plateau(window, ah, float(np.median(i)), hi - lo, lo, hi, expected)
    return None


def _hold(t, v, i) -> CvHold | None:
    """The charge's hold at its top voltage, when its current tapered there."""
    top = np.flatnonzero(v >= v.max() - CV_TOLERANCE_V)
    k0, k1 = top[0], top[-1]
    duration = float(t[k1] - t[k0])
    # the current at the hold's start: the largest of its first samples (a CC
    # reaching the top keeps its current; the CV then lets it fall)
    i_start = float(i[k0 : k0 + 3].max())
    if duration >= CV_MIN_S and i[k1] <= CV_TAPER * i_start:
        return CvHold(float(np.median(v[top])), duration, i_start, float(i[k1]))
    return None


def _cut_off(t, v, i) -> tuple[float, float, float] | None:
    """(end voltage, Ah) of a charge (closed) stopped at its highest voltage within
    :data:`SET_POINT_TOLERANCE_V` of a set point (:data:`SET_POINTS_V`)."""
    if t[-1] - t[0] < CUT_OFF_MIN_S:
        return None
    end = float(v[-1])
    if end < float(v.max()) - 1e-4:
        return None
    points = [p for ps in SET_POINTS_V.values() for p in ps]
    if min(abs(end - p) for p in points) > SET_POINT_TOLERANCE_V:
        return None
    return end, float(np.sum(np.diff(t) * i[:-1]) / 3600)


class ChemistryEvidenceTracker:
    """Collects the evidence of :func:`chemistry_warning` block by block: the live
    engine's twin of ``analyze`` (a log is one block), so both say the same of the
    same samples. Keeps the samples of the constant-current segment and the charge
    still open, and what the closed ones showed."""

    def __init__(self, spec: BatterySpec):
        self.spec = spec
        self.threshold_a = 0.02 * spec.pack_capacity_ah  # C/50 (cycles.current_threshold_a)
        self._cc = _OpenRuns(min_len=5)
        self._charges = _OpenRuns(min_len=3)
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
            if (p := _plateau(*run, self.spec)) is not None:
                self.plateaus.append(p)
        charging = i > self.threshold_a
        if charging.any():
            self.top_v = max(self.top_v, float(v[charging].max()))
        for run in self._charges.feed(t, v, i, charging, np.zeros(len(i), dtype=bool)):
            if (h := _hold(*run)) is not None:
                self.holds.append(h)
            if (c := _cut_off(*run)) is not None:
                self._cut_offs.append(c)

    def evidence(self) -> tuple[list[Plateau], list[CvHold], list[tuple[float, float]]]:
        """The plateaus (flattest first), CV holds (longest first) and charge cut-offs
        (voltage, Ah; at the highest charging voltage) so far, the open segment and
        charge included (a cut-off only of a charge that has ended)."""
        plateaus, holds = list(self.plateaus), list(self.holds)
        if self._cc.open is not None and (p := _plateau(*self._cc.open, self.spec)):
            plateaus.append(p)
        charge = self._charges.open
        if charge is not None and len(charge[0]) >= 3 and (h := _hold(*charge)) is not None:
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
