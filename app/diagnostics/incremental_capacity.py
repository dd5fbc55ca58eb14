"""Incremental-capacity analysis (ICA): dQ/dV of slow constant-current segments.

The peaks of dQ/dV against the cell voltage mark the phase transitions of the
electrodes; their positions and heights shift as a cell loses lithium inventory
and active material, which makes them ageing indicators (Dubarry & Liaw,
"Identify capacity fading mechanism in a commercial LiFePO4 cell", J. Power
Sources 194 (2009) 541; Weng et al., J. Power Sources 235 (2013) 36).

Method:

- only constant-current segments at most ``max_c_rate`` (default C/2: at higher
  rates the I*R shift and polarisation smear the peaks) and at least C/50, in one
  direction, held within max(5 % of their current, C/33), of at least 10 % of
  the capacity and 0.1 V per cell -- a CV phase (voltage held, current falling)
  never qualifies; a time gap (:mod:`app.diagnostics.time_gaps`) ends a segment:
  the charge across it is unknown, and counted would all go to the one bin of the
  voltage before it (a peak that is no phase transition);
- **binning by voltage**: the charge of every sample interval is added to the
  bin of the (mean cell) voltage at its start, 5 mV bins; dQ/dV = charge in a bin
  / bin width. Binning integrates rather than differentiates, so noise spreads
  charge between neighbouring bins instead of blowing up a derivative;
- then a Savitzky-Golay filter (9 bins = 45 mV, cubic; Savitzky & Golay, Anal.
  Chem. 36 (1964) 1627) smooths the curve, and peaks of at least 5 % of the
  curve's maximum prominence, 20 mV apart, are kept (the definitions of
  ``scipy.signal.savgol_filter``/``find_peaks``, in numpy so the diagnostics do
  not pay scipy.signal's import); a parabola through the top three bins refines
  each position.

Voltages are the pack voltage over the series cells (or the mean cell voltage)
at the terminals: a charge curve sits ``I*R`` above the OCV, a discharge curve
below, so compare peaks at the same rate and direction. Heights are pack
ampere-hours per cell volt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.core.spec import BatterySpec

ICA_BIN_V = 0.005
SMOOTH_BINS = 9
SMOOTH_ORDER = 3
PEAK_MIN_PROMINENCE = 0.05
PEAK_MIN_DISTANCE_V = 0.020
MAX_PEAKS = 5


@dataclass(frozen=True)
class IcaSettings:
    """Which segments count as slow constant current (see the module docstring)."""

    max_c_rate: float = 0.5
    min_c_rate: float = 0.02
    hold_relative: float = 0.05
    hold_floor_c_rate: float = 0.03
    min_segment_capacity: float = 0.10
    min_segment_span_v: float = 0.10
    bin_v: float = ICA_BIN_V


@dataclass
class IcaCurveAccumulator:
    """Charge per voltage bin of one cycle and direction, summed over its segments."""

    hist: np.ndarray
    ah: float = 0.0
    rate_ah_weighted: float = 0.0
    segments: int = 0
    v_min: float = np.inf
    v_max: float = -np.inf

    def add(self, hist: np.ndarray, ah: float, c_rate: float, v_lo: float, v_hi: float) -> None:
        self.hist += hist
        self.ah += ah
        self.rate_ah_weighted += c_rate * ah
        self.segments += 1
        self.v_min = min(self.v_min, v_lo)
        self.v_max = max(self.v_max, v_hi)


@dataclass
class VoltageGrid:
    """The fixed voltage bins of one spec (per cell)."""

    v0: float
    step: float
    n: int

    @staticmethod
    def for_spec(spec: BatterySpec, step: float = ICA_BIN_V) -> VoltageGrid:
        lo = spec.cell_v_min if spec.cell_v_min > 0 else (min(spec.ocv_v) if spec.ocv_v else 0.0)
        hi = spec.cell_v_max if spec.cell_v_max > 0 else (max(spec.ocv_v) if spec.ocv_v else 5.0)
        v0 = np.floor((lo - 0.2) / step) * step
        n = int(np.ceil((hi + 0.2 - v0) / step))
        return VoltageGrid(float(v0), float(step), n)

    def index(self, v: np.ndarray) -> np.ndarray:
        return np.floor((v - self.v0) / self.step).astype(np.int64)


def off_grid_text(grid: VoltageGrid, spans: list[tuple[float, float]]) -> str:
    """Why slow constant-current segments gave no dQ/dV: their charge lies outside the
    grid it is binned on, at cell voltages ``spans`` ('' when there are none)."""
    if not spans:
        return ""
    lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
    return (
        f"its slow constant-current segments run at {lo:.2f}-{hi:.2f} V a cell, too little "
        f"of their charge within the {grid.v0:.2f}-{grid.v0 + grid.n * grid.step:.2f} V a "
        "cell that dQ/dV is binned over (the battery's voltage window, 0.2 V either side)"
    )


def segment_histogram(
    grid: VoltageGrid, t: np.ndarray, i: np.ndarray, v_cell: np.ndarray
) -> tuple[np.ndarray, float]:
    """Charge (Ah, positive) per voltage bin of one segment and its total.

    Interval j (from sample j to j+1) carries ``|I_j| * dt_j`` (zero-order hold,
    as cyclers count their Ah) and goes to the bin of ``v_cell[j]``.
    """
    dq = np.abs(i[:-1]) * np.diff(t) / 3600.0
    idx = grid.index(v_cell[:-1])
    ok = (idx >= 0) & (idx < grid.n) & np.isfinite(v_cell[:-1]) & np.isfinite(dq)
    hist = np.bincount(idx[ok], weights=dq[ok], minlength=grid.n)[: grid.n]
    return hist, float(dq[ok].sum())


def split_constant_current(i: np.ndarray, tol_fn) -> list[tuple[int, int]]:
    """Cut a run of one-direction current into pieces held within ``tol_fn(level)``
    of their first sample's current (a CC phase, then each step of a CV decay)."""
    pieces = []
    s, n = 0, len(i)
    while s < n:
        level = i[s]
        off = np.flatnonzero(np.abs(i[s:] - level) > tol_fn(level))
        e = s + int(off[0]) if off.size else n
        pieces.append((s, e))
        s = e
    return pieces


@dataclass(frozen=True)
class IcaCurve:
    """dQ/dV of one cycle and direction, compact: ``dqdv[j]`` at ``v_start + j*v_step``."""

    cycle_index: int
    direction: str
    c_rate: float
    capacity_ah: float
    v_start_v: float
    v_step_v: float
    dqdv_ah_per_v: list[float]
    peaks: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "cycle_index": self.cycle_index,
            "direction": self.direction,
            "c_rate": self.c_rate,
            "capacity_ah": self.capacity_ah,
            "v_start_v": self.v_start_v,
            "v_step_v": self.v_step_v,
            "dqdv_ah_per_v": self.dqdv_ah_per_v,
            "peaks": self.peaks,
        }


def savgol_smooth(
    y: np.ndarray, window: int = SMOOTH_BINS, order: int = SMOOTH_ORDER
) -> np.ndarray:
    """Savitzky-Golay smoothing (least-squares polynomial of ``order`` over ``window``
    points, evaluated at the centre); the ends use the polynomial fitted to the
    first/last window (scipy's ``mode="interp"``). numpy only."""
    n = len(y)
    if n < window:
        return y.astype(float).copy()
    half = window // 2
    x = np.arange(-half, half + 1, dtype=float)
    vander = np.vander(x, order + 1, increasing=True)
    proj = np.linalg.pinv(vander)  # rows: polynomial coefficients from the window
    out = np.convolve(y, proj[0][::-1], mode="same")
    for lo, rel in ((0, np.arange(half)), (n - window, np.arange(window - half, window))):
        coef = proj @ y[lo : lo + window]
        out[lo + rel] = np.vander(rel - half, order + 1, increasing=True) @ coef
    return out


def find_peaks(y: np.ndarray, min_prominence: float, min_distance: int) -> np.ndarray:
    """Indices of local maxima with at least ``min_prominence`` (height above the
    higher of the lowest points between it and the next higher peak on either
    side, as in ``scipy.signal.find_peaks``), at least ``min_distance`` apart
    (the higher peak wins). numpy only."""
    n = len(y)
    if n < 3:
        return np.empty(0, dtype=np.int64)
    interior = np.flatnonzero((y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:])) + 1
    keep = []
    for j in interior.tolist():
        left = y[:j][::-1]
        higher = np.flatnonzero(left > y[j])
        base_l = left[: higher[0]].min() if higher.size else left.min()
        right = y[j + 1 :]
        higher = np.flatnonzero(right > y[j])
        base_r = right[: higher[0]].min() if higher.size else right.min()
        if y[j] - max(base_l, base_r) >= min_prominence:
            keep.append(j)
    chosen: list[int] = []
    for j in sorted(keep, key=lambda q: -y[q]):
        if all(abs(j - c) >= min_distance for c in chosen):
            chosen.append(j)
    return np.array(sorted(chosen), dtype=np.int64)


def ica_curve(grid: VoltageGrid, acc: IcaCurveAccumulator, cycle: int, direction: str) -> IcaCurve:
    """Smooth the binned charge of ``acc`` into dQ/dV and find its peaks."""
    lo = max(0, int(np.floor((acc.v_min - grid.v0) / grid.step)))
    hi = min(grid.n, int(np.ceil((acc.v_max - grid.v0) / grid.step)) + 1)
    raw = acc.hist[lo:hi] / grid.step
    smooth = np.clip(savgol_smooth(raw), 0, None)
    peaks: list[dict] = []
    if len(smooth) >= 3 and smooth.max() > 0:
        idx = find_peaks(
            smooth,
            PEAK_MIN_PROMINENCE * float(smooth.max()),
            max(1, int(round(PEAK_MIN_DISTANCE_V / grid.step))),
        )
        order = np.argsort(smooth[idx])[::-1][:MAX_PEAKS]
        for j in sorted(idx[order].tolist()):
            offset = 0.0
            if 0 < j < len(smooth) - 1:
                y0, y1, y2 = smooth[j - 1], smooth[j], smooth[j + 1]
                den = y0 - 2 * y1 + y2
                offset = 0.5 * (y0 - y2) / den if den < 0 else 0.0
            peaks.append(
                {
                    "voltage_v": float(grid.v0 + (lo + j + 0.5 + offset) * grid.step),
                    "height_ah_per_v": float(smooth[j]),
                }
            )
    return IcaCurve(
        cycle_index=int(cycle),
        direction=direction,
        c_rate=acc.rate_ah_weighted / acc.ah if acc.ah else 0.0,
        capacity_ah=acc.ah,
        v_start_v=grid.v0 + (lo + 0.5) * grid.step,
        v_step_v=grid.step,
        dqdv_ah_per_v=[round(float(x), 6) for x in smooth],
        peaks=peaks,
    )


def peak_trend(curves: list[IcaCurve]) -> list[dict]:
    """Per direction: the main (highest) peak of the first and last cycle and their change."""
    out = []
    for direction in ("charge", "discharge"):
        cs = [c for c in curves if c.direction == direction and c.peaks]
        if len(cs) < 2:
            continue
        first, last = cs[0], cs[-1]
        p0 = max(first.peaks, key=lambda p: p["height_ah_per_v"])
        p1 = min(last.peaks, key=lambda p: abs(p["voltage_v"] - p0["voltage_v"]))
        out.append(
            {
                "direction": direction,
                "first_cycle": first.cycle_index,
                "last_cycle": last.cycle_index,
                "peak_voltage_first_v": p0["voltage_v"],
                "peak_voltage_last_v": p1["voltage_v"],
                "peak_shift_mv": (p1["voltage_v"] - p0["voltage_v"]) * 1000.0,
                "peak_height_ratio": p1["height_ah_per_v"] / p0["height_ah_per_v"],
            }
        )
    return out
