"""Rate of temperature rise over sliding windows, several sensors at once (part
of :func:`~app.diagnostics.thermal.analyze_thermal`).

**Rate of rise.** dT/dt is the least-squares slope over 120 s windows (from
each sample to the first one 120 s later) of each sensor's finite samples in
the window; a window counts for a sensor when those samples spread in time at
least as much as 60 s of even sampling (a sensor read only at both ends of the
window, or only in half of it, says too little). An end-to-end difference over a short window turns sensor
noise and quantisation into fake rates (0.3 degC noise gave 4 degC/min on a pack
that warmed at 0.45 degC/min); the slope's standard error over 120 s of 1 Hz
samples is ~0.05 degC/min, and a runaway's rise (1 degC/min and doubling) still
stands out within a window.

The window sums are cumulative sums anchored every :data:`ANCHOR_SAMPLES`
samples from the start (times and temperatures taken from the anchor's, so the
sums stay small), so the rates are the same bits however the samples came in blocks.

A whole log (:meth:`RiseRates.update_columns`) takes each evenly sampled anchor whole
(:class:`_Work`): the same sums and products, from the log's columns, with no rows
kept or summed twice, no binary search for the windows' ends, and arrays made once.
"""

from __future__ import annotations

import numpy as np

RATE_WINDOW_S = 120.0
#: a window counts for a sensor when its samples' time spread is at least that
#: of this many seconds sampled evenly (standard deviation span / sqrt(12))
RATE_MIN_SPAN_S = 60.0
#: the window sums restart (are anchored) every this many window starts
ANCHOR_SAMPLES = 4096
#: a log is taken an anchor at a time (:class:`_Work`) from this many anchors
WHOLE_ANCHORS = 2


class RiseRates:
    """The highest least-squares slope over RATE_WINDOW_S windows of several
    sensors, window by window as their last sample arrives.

    Rows from the current anchor on are kept with the cumulative sums of the
    finite count, x, x², y and xy (x, y: time and temperature less the anchor
    row's), per sensor (the temperatures themselves only from ANCHOR_SAMPLES on:
    the rows the next anchor starts with); a window is [r, j] with j the first row RATE_WINDOW_S
    after r. When every window starting in the first ANCHOR_SAMPLES rows is
    done, the anchor moves on by that many rows.
    """

    def __init__(self, sensors: int):
        self.sensors = sensors
        self.best: float | None = None
        cap = 2 * ANCHOR_SAMPLES
        self._t = np.empty(cap)
        self._y = np.empty((sensors, cap))  # (sensors, rows): sums along the contiguous axis
        self._cs = np.zeros((3, sensors, cap + 1))  # n, x, xx; column k: rows < k
        # y and xy side by side, summed as one complex number (see _sums)
        self._cyx = np.zeros((sensors, cap + 1, 2))
        self._n = 0  # rows kept
        self._next = 0  # first window start not done yet (row)
        self._yref = np.zeros((sensors, 1))
        self._gaps = False  # a sensor missed a reading since the anchor

    @property
    def fresh(self) -> bool:
        """Nothing taken yet."""
        return self._n == 0 and self._next == 0

    def update_columns(self, t: np.ndarray, columns: list[np.ndarray]) -> None:
        """:meth:`update` with each sensor's temperatures as its own 1-D array (a
        whole log's columns, not stacked): the same bits. From a fresh start, each
        anchor whose windows all end in ``t`` is taken whole (:class:`_Work`)."""
        a = self._whole(t, columns) if self.fresh else 0
        step = 16 * ANCHOR_SAMPLES
        for b in range(a, len(t), step):
            self.update(t[b : b + step], np.stack([c[b : b + step] for c in columns]))

    def _whole(self, t: np.ndarray, columns: list[np.ndarray]) -> int:
        """The windows of the log's complete anchors, in :attr:`best`; returns the
        first row of the anchor the incremental sums go on from (0: none taken)."""
        a, n = ANCHOR_SAMPLES, len(t)
        if n < WHOLE_ANCHORS * a or not columns:
            return 0
        t = np.asarray(t, dtype=np.float64)
        if not (t[1:] >= t[:-1]).all():  # (unsorted times or NaN: searched as they are)
            return 0
        # each anchor's last window end; the anchors with it in the log are complete
        ends = np.searchsorted(t, t[a - 1 :: a] + RATE_WINDOW_S)
        k = int(np.searchsorted(ends, n))
        if k < WHOLE_ANCHORS:
            return 0
        tops = _whole_anchors(t, columns, k)
        for i in range(k):
            top = tops[i]
            if top is False:  # (uneven times or a missing reading: the incremental sums)
                rows = slice(i * a, int(ends[i]) + 1)
                top = RiseRates._anchor_best(t[rows], np.stack([c[rows] for c in columns]))
            if top is not None and (self.best is None or top > self.best):
                self.best = top
        return k * a

    @staticmethod
    def _anchor_best(t: np.ndarray, temps: np.ndarray) -> float | None:
        """The highest rate of the windows starting in the first ANCHOR_SAMPLES rows,
        all of which end in ``t``, by the incremental sums."""
        one = RiseRates(len(temps))
        one._append(t, temps, False)
        ends = np.searchsorted(t, t[:ANCHOR_SAMPLES] + RATE_WINDOW_S)
        one._rates(np.arange(ANCHOR_SAMPLES), ends + 1)
        return one.best

    def update(self, t: np.ndarray, temps: np.ndarray, *, finite: bool = False) -> None:
        """``temps``: (sensors, samples); ``finite``: the caller knows them all finite."""
        a = 0
        while a < len(t):  # (so a whole log moves its anchor often)
            m = self._wanted(t[a:])
            self._append(t[a : a + m], temps[:, a : a + m], finite)
            self._windows()
            a += m

    def _wanted(self, t: np.ndarray) -> int:
        """How many of the rows ``t`` to take next: up to the last window start of
        the anchor, then up to the end of its window (so few rows are summed again
        when the anchor moves)."""
        if self._n < ANCHOR_SAMPLES:
            return min(len(t), ANCHOR_SAMPLES - self._n)
        end = self._t[ANCHOR_SAMPLES - 1] + RATE_WINDOW_S
        return min(len(t), int(np.searchsorted(t, end)) + 1)

    def _append(self, t: np.ndarray, temps: np.ndarray, finite: bool) -> None:
        n, m = self._n, len(t)
        if n + m > len(self._t):
            cap = 2 * (n + m)
            grown_t, grown_y = np.empty(cap), np.empty((self.sensors, cap))
            grown_t[:n], grown_y[:, :n] = self._t[:n], self._y[:, :n]
            cs = np.zeros((3, self.sensors, cap + 1))
            cs[:, :, : n + 1] = self._cs[:, :, : n + 1]
            cyx = np.zeros((self.sensors, cap + 1, 2))
            cyx[:, : n + 1] = self._cyx[:, : n + 1]
            self._t, self._y, self._cs, self._cyx = grown_t, grown_y, cs, cyx
        self._t[n : n + m] = t
        # the rows are summed from ``temps``; only those a move of the anchor carries
        # over (from ANCHOR_SAMPLES on, summed again from the new anchor) are kept
        kept = max(n, ANCHOR_SAMPLES)
        if kept < n + m:
            self._y[:, kept : n + m] = temps[:, kept - n :]
        if n == 0:
            self._yref = np.nan_to_num(temps[:, :1])
        self._n = n + m
        self._sums(n, n + m, finite, temps)

    def _sums(self, a: int, b: int, finite: bool = False, y: np.ndarray | None = None) -> None:
        """Extend the cumulative sums over rows a..b (each continues from the last
        value in order: the same bits as one sum over all rows); ``finite``: those
        rows are known to be all finite; ``y``: their temperatures (default: the
        kept ones)."""
        x = self._t[a:b] - self._t[0]
        if y is None:
            y = self._y[:, a:b]
        cs, cyx = self._cs, self._cyx
        if a == 0:
            self._gaps = False
        rows = slice(a + 1, b + 1)
        if (finite or np.isfinite(y).all()) and not self._gaps:
            # count, x and x² are the same for every sensor: summed once, in row 0
            cs[0, 0, rows] = 1.0
            cs[1, 0, rows] = x
            cs[2, 0, rows] = x * x
            shared = cs[:3, 0, a : b + 1]
            np.cumsum(shared, axis=1, out=shared)
            np.subtract(y, self._yref, out=cyx[:, rows, 0])
        else:
            if not self._gaps:  # every sensor's count, x and x² so far: row 0's
                cs[:3, 1:, : a + 1] = cs[:3, :1, : a + 1]
            self._gaps = True
            f = np.isfinite(y)
            cs[0, :, rows] = f
            cs[1, :, rows] = f * x
            cs[2, :, rows] = cs[1, :, rows] * x
            cyx[:, rows, 0] = np.where(f, y - self._yref, 0.0)
            span = cs[:, :, a : b + 1]
            np.cumsum(span, axis=2, out=span)
        np.multiply(cyx[:, rows, 0], x, out=cyx[:, rows, 1])
        # each sum continues from its last value, in order: the same bits as one sum.
        # y and xy as the real and imaginary parts of one complex running sum: a
        # complex add is the two adds, so the bits are those of two sums, but the
        # two chains of dependent adds run side by side (twice as fast)
        span = cyx[:, a : b + 1].view(np.complex128)[..., 0]
        np.cumsum(span, axis=1, out=span)

    def _windows(self) -> None:
        while True:
            n, r0 = self._n, self._next
            stop = min(n, ANCHOR_SAMPLES)
            if r0 < stop:
                t = self._t[:n]
                j = np.searchsorted(t, t[r0:stop] + RATE_WINDOW_S)
                k = int(np.searchsorted(j, n))  # j is sorted: the windows ending in the data
                if k:
                    self._rates(np.arange(r0, r0 + k), j[:k] + 1)
                    self._next = r0 + k
            if self._next < ANCHOR_SAMPLES:
                return
            self._move_anchor()

    def _rates(self, lo: np.ndarray, hi: np.ndarray) -> None:
        cs = self._cs
        lo = slice(lo[0], lo[-1] + 1)  # (consecutive starts: a slice, not a gather)
        if len(hi) >= 64 and (np.diff(hi) == 1).all():  # (even sampling: a slice too)
            hi = slice(hi[0], hi[-1] + 1)
        if self._gaps:
            cnt, sx, sxx = cs[:3, :, hi] - cs[:3, :, lo]
        else:  # (the same for every sensor: one row, broadcast)
            cnt, sx, sxx = cs[:3, :1, hi] - cs[:3, :1, lo]
        den = cnt * sxx - sx * sx  # = cnt² var(x)
        ok = (cnt >= 2) & (den >= cnt * cnt * (RATE_MIN_SPAN_S**2 / 12.0))
        if not ok.any():
            return
        cyx = self._cyx
        # num = cnt * sxy - sx * sy (the differences into contiguous arrays)
        num = cyx[:, hi, 1] - cyx[:, lo, 1]
        sx_sy = cyx[:, hi, 0] - cyx[:, lo, 0]
        np.multiply(num, cnt, out=num)
        np.multiply(sx_sy, sx, out=sx_sy)
        np.subtract(num, sx_sy, out=num)
        if ok.all() and not self._gaps:
            # one denominator per window (> 0): the largest numerator has the largest
            # quotient (rounding keeps the order), so a window divides once
            top = float(np.max(num.max(axis=0) / den[0])) * 60.0
        elif ok.all():
            top = float(np.max(num / den)) * 60.0
        else:
            rates = num / np.where(ok, den, np.inf)
            top = float(np.max(np.where(ok, rates, -np.inf))) * 60.0
        if self.best is None or top > self.best:
            self.best = top

    def _move_anchor(self) -> None:
        keep = self._n - ANCHOR_SAMPLES
        self._t[:keep] = self._t[ANCHOR_SAMPLES : self._n]
        self._y[:, :keep] = self._y[:, ANCHOR_SAMPLES : self._n]
        self._n = keep
        self._next -= ANCHOR_SAMPLES
        if keep:
            self._yref = np.nan_to_num(self._y[:, :1])
            self._sums(0, keep)


def _lags(t: np.ndarray, k: int) -> tuple[int, np.ndarray, np.ndarray]:
    """The windows of an evenly sampled log: (lag, even, plus). Each window [r, j]
    of an anchor i < len(even) with ``even[i]`` is [r, r + lag], or [r, r + lag + 1]
    where ``plus[i, r - i * ANCHOR_SAMPLES]`` (times such as tenths of a second round
    either way); ``t`` sorted, its first ``k`` anchors complete."""
    a, n = ANCHOR_SAMPLES, len(t)
    starts = np.concatenate((np.arange(0, k * a, a), np.arange(a - 1, k * a, a)))
    lags = np.searchsorted(t, t[starts] + RATE_WINDOW_S) - starts
    common = int(np.bincount(lags).argmax())
    lag = common - 1 if (lags == common - 1).any() else common
    wide = max(0, min(k, (n - lag - 1) // a)) if lag >= 1 else 0
    m = wide * a
    end = t[:m] + RATE_WINDOW_S
    at = t[lag : m + lag] >= end  # j <= r + lag
    even = t[lag - 1 : m + lag - 1] < end  # j >= r + lag
    plus = t[lag + 1 : m + lag + 1] >= end
    plus &= ~at  # j == r + lag + 1
    even &= at | plus
    return lag, even.reshape(wide, a).all(axis=1), plus.reshape(wide, a)


def _whole_anchors(t: np.ndarray, columns: list[np.ndarray], k: int) -> list[float | None | bool]:
    """The highest rate (or None) of the windows of each of the first ``k`` anchors,
    or False for an anchor to be summed by :meth:`RiseRates._sums` (its windows
    not even, :func:`_lags`, or a reading missing)."""
    lag, even, plus = _lags(t, k)
    tops: list[float | None | bool] = [False] * k
    if not even.any():
        return tops
    work = _Work(len(columns), lag)
    with np.errstate(all="ignore"):  # (an anchor with a missing reading is dropped)
        for i in np.flatnonzero(even):
            more = plus[i] if plus[i].any() else None
            tops[i] = work.top(t, columns, int(i) * ANCHOR_SAMPLES, more)
    return tops


class _Work:
    """:meth:`RiseRates._sums` and :meth:`RiseRates._rates` of a whole anchor whose
    windows are all [r, r + lag] (or [r, r + lag + 1]), when every reading is finite
    (or none of a sensor's, which then has no window, as in the incremental sums):
    the same additions and products in the same order, into arrays made once for
    all the anchors of a log. The sums of x and x² are one complex running sum (the
    same bits as two), as are y and xy; a window's count is its number of rows."""

    def __init__(self, sensors: int, lag: int):
        a, size = ANCHOR_SAMPLES, ANCHOR_SAMPLES + lag + 2
        self.lag = lag
        self.xs = np.zeros(size, dtype=np.complex128)  # x, x² of rows < q
        self.yxy = np.zeros((sensors, size), dtype=np.complex128)  # y, xy of rows < q
        # a window's sums of y and xy (contiguous: the products below in SIMD)
        self.dy, self.dxy = np.empty((sensors, a)), np.empty((sensors, a))
        self.dx = np.empty(a, dtype=np.complex128)
        self.sx, self.sxx = np.empty(a), np.empty(a)
        self.num, self.tmp = np.empty((sensors, a)), np.empty((sensors, a))
        self.den, self.den2 = np.empty(a), np.empty(a)

    def top(
        self, t: np.ndarray, columns: list[np.ndarray], first: int, more: np.ndarray | None
    ) -> float | None | bool:
        """The highest rate of the anchor at row ``first`` (None: no window counts;
        False: a reading is not finite); ``more``: its windows one row longer."""
        a, lag = ANCHOR_SAMPLES, self.lag
        rows = a + lag + (more is not None)  # the anchor's rows its windows reach
        stop = first + rows
        xs, yxy = self.xs[: rows + 1], self.yxy[:, : rows + 1]  # (row 0: zeros)
        x = xs.real[1:]
        np.subtract(t[first:stop], t[first], out=x)
        np.multiply(x, x, out=xs.imag[1:])
        y = yxy.real[:, 1:]
        for i, c in enumerate(columns):
            np.subtract(c[first:stop], c[first], out=y[i])
        np.multiply(y, x, out=yxy.imag[:, 1:])
        np.cumsum(xs, out=xs)
        np.cumsum(yxy, axis=1, out=yxy)
        if not np.isfinite(xs[-1]):
            return False
        dy, dxy, dx = self.dy, self.dxy, self.dx
        read = np.isfinite(yxy[:, -1])
        if not read.all():
            # a sensor without a reading in the anchor has no window (its count is 0);
            # one with some readings missing takes the incremental sums
            for i in np.flatnonzero(~read):
                if np.isfinite(columns[i][first:stop]).any():
                    return False
            if not read.any():
                return None
            yxy = yxy[read]
            dy, dxy = dy[: len(yxy)], dxy[: len(yxy)]
        hi, lo = slice(lag + 1, lag + 1 + a), slice(0, a)
        np.subtract(yxy.real[:, hi], yxy.real[:, lo], out=dy)
        np.subtract(yxy.imag[:, hi], yxy.imag[:, lo], out=dxy)
        np.subtract(xs[hi], xs[lo], out=dx)
        cnt: float | np.ndarray = float(lag + 1)
        if more is not None:
            hi = slice(lag + 2, lag + 2 + a)
            np.copyto(dy, yxy.real[:, hi] - yxy.real[:, lo], where=more)
            np.copyto(dxy, yxy.imag[:, hi] - yxy.imag[:, lo], where=more)
            np.copyto(dx, xs[hi] - xs[lo], where=more)
            cnt = cnt + more
        sx, sxx = self.sx, self.sxx
        np.copyto(sx, dx.real)
        np.copyto(sxx, dx.imag)
        den = np.multiply(cnt, sxx, out=self.den)  # (as in RiseRates._rates)
        den -= np.multiply(sx, sx, out=self.den2)
        ok = den >= cnt * cnt * (RATE_MIN_SPAN_S**2 / 12.0)
        if not ok.any():
            return None
        num = np.multiply(dxy, cnt, out=self.num[: len(dy)])
        num -= np.multiply(dy, sx, out=self.tmp[: len(dy)])
        rate = np.maximum.reduce(num, axis=0)
        rate /= den
        top = float(np.max(rate if ok.all() else np.where(ok, rate, -np.inf)))
        return top * 60.0 if np.isfinite(top) else False
