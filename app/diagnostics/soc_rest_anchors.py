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
``relaxed_v``. Each anchor's voltage sigma adds to ``voltage_sigma_v`` the OCV
slope times the SOC error a charge-scale error of ``charge_scale_sigma`` makes
over the charge counted since it.
"""

from __future__ import annotations

import math

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
        self._ocv_slope = np.gradient(self._ocv_grid, GRID_STEP_PCT)
        self._sb2 = offset_sigma_v**2
        self._sa2 = voltage_sigma_v**2
        self._ks = charge_scale_sigma
        self._min_rest_s = min_rest_s
        self._start_min_rest_s = start_min_rest_s
        self._relaxed_v = relaxed_v
        self._check_every_s = check_every_s
        self._max = max_anchors
        self._anchors: list[tuple[float, float]] = []  # (counted SOC, rest voltage)
        self._rest_t: list[float] = []
        self._rest_v: list[float] = []
        self._next_check = start_min_rest_s  # (the log's first rest)
        self._this_rest_anchored = False

    def load(self) -> None:
        """An interval under load: the rest (if any) is over, and a rest after a load
        needs ``min_rest_s`` (only a log's first rest, with no load before it, is judged
        from ``start_min_rest_s``)."""
        self._next_check = self._min_rest_s
        if self._rest_t:
            self._rest_t.clear()
            self._rest_v.clear()
            self._this_rest_anchored = False

    def rest(self, span_s: float, v: float, counted_pct: float) -> bool:
        """An interval at rest (``span_s`` long, mean voltage ``v``, at ``counted_pct``
        of nominal SOC counted since the start). True if it updated the anchors."""
        t = (self._rest_t[-1] if self._rest_t else 0.0) + span_s
        self._rest_t.append(t)
        self._rest_v.append(v)
        if t < self._next_check:
            return False
        self._next_check = t + self._check_every_s
        ts, vs = np.asarray(self._rest_t), np.asarray(self._rest_v)
        late = ts > 0.75 * t
        mid = (ts > 0.3 * t) & (ts <= 0.5 * t)
        if not late.any() or not mid.any():
            return False
        t_late, t_mid = ts[late].mean(), ts[mid].mean()
        # v(t) = OCV - A / sqrt(t): A from the two means, what is left at t_late
        amp = (vs[late].mean() - vs[mid].mean()) / (1 / math.sqrt(t_mid) - 1 / math.sqrt(t_late))
        if abs(amp) / math.sqrt(t_late) > self._relaxed_v:
            return False
        anchor = (counted_pct, float(vs[late].mean()))
        if self._this_rest_anchored:
            self._anchors[-1] = anchor
        else:
            self._anchors.append(anchor)
            del self._anchors[: -self._max]
            self._this_rest_anchored = True
        return True

    @property
    def count(self) -> int:
        return len(self._anchors)

    def _fit(self, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per SOC of the latest anchor in ``grid``: the offset's least-squares
        value and the cost (weighted squared residuals plus the offset's prior)."""
        c = np.array([a[0] for a in self._anchors])
        v = np.array([a[1] for a in self._anchors])
        socs = grid[:, None] - (c[-1] - c)[None, :]  # (grid, anchors)
        x = (socs - GRID_MIN_PCT) / GRID_STEP_PCT
        idx = np.arange(len(self._ocv_grid))
        ocv = np.interp(x, idx, self._ocv_grid)
        slope = np.interp(x, idx, self._ocv_slope)
        w = 1.0 / (self._sa2 + (slope * self._ks * np.abs(c[-1] - c)[None, :]) ** 2)
        d = v[None, :] - ocv
        b = (w * d).sum(axis=1) / (w.sum(axis=1) + 1.0 / self._sb2)
        cost = (w * (d - b[:, None]) ** 2).sum(axis=1) + b * b / self._sb2
        return b, cost

    def resolve(self) -> tuple[float, float]:
        """The range (lo, hi) of the SOC at the latest anchor: where the cost is
        within 4 of its least (from the first to the last such SOC)."""
        _, cost = self._fit(_GRID)
        ok = np.flatnonzero(cost <= cost.min() + 4.0)
        # (widened by the grid's step: an SOC between two grid points is in it)
        return float(_GRID[ok[0]]) - _STEP, float(_GRID[ok[-1]]) + _STEP

    def offset_at(self, soc: float) -> float:
        """The table offset's least-squares value for ``soc`` at the latest anchor."""
        return float(self._fit(np.array([soc]))[0][0])
