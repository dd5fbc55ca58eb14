"""The SOC range that relaxed rests and the charge counted between them allow.

A rest voltage is the OCV plus the table's error once it has relaxed; one such
rest on the flat LFP plateau bounds the SOC only to +-5-8 %, but several at
different SOCs, with the charge counted between them, pin both the SOC and the
table's offset (the plateau is not quite flat, and a rest on a knee is sharp).
:class:`RestAnchors` keeps the last few relaxed rests (anchors: the nominal SOC
counted since the log's start and the rest's voltage) and solves, for each SOC
``s`` at the latest anchor, the table offset in closed form (least squares over
the anchors with the offset's prior)::

    soc_k = s - (c_last - c_k),  OCV(soc_k) + b = v_k

The SOCs whose cost is within 4 (2 sigma of a profile likelihood) of the best
form the range. A rest counts as relaxed from ``min_rest_s`` on (the rest a
log starts with from ``start_min_rest_s``: the filter's start takes its voltage
as the OCV anyway, and a voltage still relaxing from a load before the log
moves by millivolts within a minute), once the
relaxation still to come, extrapolated from the rest's own decay as 1/sqrt(t)
(the later quarter's mean against the mean around 40 % of the rest), is below
``relaxed_v``. A rest voltage beyond the OCV at 0 or 100 % by more than twice
``voltage_sigma_v`` is read as that end (the filter's rule,
:mod:`app.diagnostics.soc_ekf`, "Beyond the table's ends").
Each anchor's voltage sigma adds to ``voltage_sigma_v`` the OCV slope times the
SOC error a charge-scale error of ``charge_scale_sigma`` makes over the charge
counted since it.
"""

from __future__ import annotations

import math
from bisect import bisect_right

import numpy as np

from app.diagnostics.ecm_model import GRID_MIN_PCT, GRID_STEP_PCT, CellModel

#: SOC grid (%) of the latest anchor the cost is evaluated on.
_STEP = 0.25
_GRID = np.arange(0.0, 100.0 + 1e-9, _STEP)


class RestAnchors:
    """Relaxed rests of one log and the SOC range they allow (see the module doc)."""

    def __init__(
        self,
        model: CellModel,
        *,
        offset_sigma_v: float,
        voltage_sigma_v: float,
        charge_scale_sigma: float,
        min_rest_s: float = 600.0,
        start_min_rest_s: float = 60.0,
        relaxed_v: float = 0.001,
        check_every_s: float = 60.0,
        max_anchors: int = 6,
    ):
        self._ocv_grid = np.asarray(model.ocv_grid)
        # (a rest beyond the OCV at 0 or 100 % reads as that end, as in the filter's
        # update: app.diagnostics.soc_ekf, "Beyond the table's ends")
        self._v_ends = (model.ocv(0.0), model.ocv(100.0))
        self._ocv_slope = np.gradient(self._ocv_grid, GRID_STEP_PCT)
        self._ocv_step = np.diff(self._ocv_grid)  # (for _table_at)
        self._slope_step = np.diff(self._ocv_slope)
        # (the same tables as Python floats, for the cost at one SOC: holds_surely)
        self._tables = tuple(
            a.tolist() for a in (self._ocv_grid, self._ocv_slope, self._ocv_step, self._slope_step)
        )
        self._sb2 = offset_sigma_v**2
        self._sa2 = voltage_sigma_v**2
        self._ks = charge_scale_sigma
        self._min_rest_s = min_rest_s
        self._start_min_rest_s = start_min_rest_s
        self._relaxed_v = relaxed_v
        self._check_every_s = check_every_s
        self._max = max_anchors
        self._anchors: list[tuple[float, float]] = []  # (counted SOC, rest voltage)
        self._rest_t: list[float] = []  # seconds into the rest at each interval's end
        self._sums = _PrefixSums()  # of those seconds and the intervals' voltages
        self._next_check = start_min_rest_s  # (the log's first rest)
        self._this_rest_anchored = False

    def load(self) -> None:
        """An interval under load: the rest (if any) is over, and a rest after a load
        needs ``min_rest_s`` (only a log's first rest, with no load before it, is judged
        from ``start_min_rest_s``)."""
        self._next_check = self._min_rest_s
        if self._rest_t:
            self._rest_t.clear()
            self._sums.clear()
            self._this_rest_anchored = False

    def rest(self, span_s: float, v: float, counted_pct: float) -> bool:
        """An interval at rest (``span_s`` long, mean voltage ``v``, at ``counted_pct``
        of nominal SOC counted since the start). True if it updated the anchors."""
        t = (self._rest_t[-1] if self._rest_t else 0.0) + span_s
        self._rest_t.append(t)
        self._sums.append(t, v)
        if t < self._next_check:
            return False
        self._next_check = t + self._check_every_s
        # the intervals ending in (0.3 t, 0.5 t] (mid) and after 0.75 t (late)
        ts, n = self._rest_t, len(self._rest_t)
        mid0, mid1 = bisect_right(ts, 0.3 * t), bisect_right(ts, 0.5 * t)
        late0 = bisect_right(ts, 0.75 * t)
        if late0 == n or mid0 == mid1:
            return False
        t_late, v_late = self._sums.means(late0, n)
        t_mid, v_mid = self._sums.means(mid0, mid1)
        # v(t) = OCV - A / sqrt(t): A from the two means, what is left at t_late
        amp = (v_late - v_mid) / (1 / math.sqrt(t_mid) - 1 / math.sqrt(t_late))
        if abs(amp) / math.sqrt(t_late) > self._relaxed_v:
            return False
        v_lo, v_hi = self._v_ends
        beyond = 2.0 * math.sqrt(self._sa2)
        if v_late < v_lo - beyond:
            v_late = v_lo
        elif v_late > v_hi + beyond:
            v_late = v_hi
        anchor = (counted_pct, v_late)
        if self._this_rest_anchored:
            self._anchors[-1] = anchor
        else:
            self._anchors.append(anchor)
            del self._anchors[: -self._max]
            self._this_rest_anchored = True
        return True

    def gap(self) -> None:
        """A time gap whose charge is unknown: the anchors before it no longer bound
        the SOC after it (the charge between is not known), and the rest after it is
        judged as a log's first (from ``start_min_rest_s``)."""
        self._anchors.clear()
        self._rest_t.clear()
        self._sums.clear()
        self._this_rest_anchored = False
        self._next_check = self._start_min_rest_s

    @property
    def count(self) -> int:
        return len(self._anchors)

    def _fit(self, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per SOC of the latest anchor in ``grid``: the offset's least-squares
        value and the cost (weighted squared residuals plus the offset's prior)."""
        c = np.array([a[0] for a in self._anchors])
        v = np.array([a[1] for a in self._anchors])
        back = c[-1] - c
        # (anchors, grid): each anchor's row contiguous, and the sums over the
        # anchors row after row (a sum along a short last axis, 401 rows of 6,
        # cost four times as much; for up to 7 anchors both add in order)
        socs = grid[None, :] - back[:, None]
        ocv, slope = self._table_at(socs)
        w = 1.0 / (self._sa2 + (slope * self._ks * np.abs(back)[:, None]) ** 2)
        d = v[:, None] - ocv
        add = np.add.reduce
        b = add(w * d, axis=0) / (add(w, axis=0) + 1.0 / self._sb2)
        cost = add(w * (d - b[None, :]) ** 2, axis=0) + b * b / self._sb2
        return b, cost

    def _table_at(self, socs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The OCV table and its slope at ``socs``, linearly interpolated on the table's
        even grid and held at its ends (what ``np.interp`` gives, without its search)."""
        last = len(self._ocv_grid) - 1
        x = (socs - GRID_MIN_PCT) / GRID_STEP_PCT
        # (np.clip's Python wrapper costs more than the two ufuncs on these sizes)
        np.minimum(np.maximum(x, 0.0, out=x), float(last), out=x)
        i = x.astype(np.intp)
        np.minimum(i, last - 1, out=i)
        frac = x - i
        ocv = self._ocv_grid.take(i)
        ocv += frac * self._ocv_step.take(i)
        slope = self._ocv_slope.take(i)
        slope += frac * self._slope_step.take(i)
        return ocv, slope

    def resolve(self) -> tuple[float, float]:
        """The range (lo, hi) of the SOC at the latest anchor: where the cost is
        within 4 of its least (from the first to the last such SOC)."""
        _, cost = self._fit(_GRID)
        ok = np.flatnonzero(cost <= cost.min() + 4.0)
        # (widened by the grid's step: an SOC between two grid points is in it)
        return float(_GRID[ok[0]]) - _STEP, float(_GRID[ok[-1]]) + _STEP

    def holds_surely(self, soc: float) -> bool:
        """True if ``soc`` is surely in :meth:`resolve`'s range, found at the cost
        of a few floats: the grid SOC nearest it (within a grid step) costs less
        than 4, so it is within 4 of the least cost, whatever that is. False
        says nothing (ask :meth:`resolve`). A filter that tracks the rests is
        nearly always there, and the whole grid costs ~50 numpy calls.
        """
        if not (self._anchors and -_STEP <= soc <= 100.0 + _STEP):  # (NaN too)
            return False
        g = min(max(round(soc / _STEP) * _STEP, 0.0), 100.0)
        # (a margin for rounding: _cost_at adds in another order than _fit)
        return self._cost_at(g) <= 4.0 - 1e-9

    def _cost_at(self, soc: float) -> float:
        """:meth:`_fit`'s cost at one SOC, in Python floats."""
        ocv_g, slope_g, ocv_step, slope_step = self._tables
        last = len(ocv_g) - 1
        c_last = self._anchors[-1][0]
        sw = swd = 0.0
        terms = []
        for c, v in self._anchors:
            back = c_last - c
            x = (soc - back - GRID_MIN_PCT) / GRID_STEP_PCT
            x = 0.0 if x < 0.0 else last if x > last else x
            i = min(int(x), last - 1)
            frac = x - i
            slope = (slope_g[i] + frac * slope_step[i]) * self._ks * abs(back)
            w = 1.0 / (self._sa2 + slope * slope)
            d = v - (ocv_g[i] + frac * ocv_step[i])
            sw += w
            swd += w * d
            terms.append((w, d))
        b = swd / (sw + 1.0 / self._sb2)
        cost = b * b / self._sb2
        for w, d in terms:
            cost += w * (d - b) ** 2
        return cost

    def offset_at(self, soc: float) -> float:
        """The table offset's least-squares value for ``soc`` at the latest anchor."""
        return float(self._fit(np.array([soc]))[0][0])


class _PrefixSums:
    """Running sums of (t, v) pairs, so the mean of any run of them costs two lookups."""

    def __init__(self):
        self._t = [0.0]
        self._v = [0.0]

    def clear(self) -> None:
        del self._t[1:], self._v[1:]

    def append(self, t: float, v: float) -> None:
        self._t.append(self._t[-1] + t)
        self._v.append(self._v[-1] + v)

    def means(self, i: int, j: int) -> tuple[float, float]:
        """The mean t and mean v of pairs i..j-1 (j > i)."""
        n = j - i
        return (self._t[j] - self._t[i]) / n, (self._v[j] - self._v[i]) / n
