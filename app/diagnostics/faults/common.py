"""Small helpers shared by the fault detectors."""

from __future__ import annotations

import math

import numpy as np

from app.core.spec import BatterySpec

#: Episodes of one kind on one channel closer than this are one episode.
MERGE_GAP_S = 30.0
#: White noise of variance s² gives second differences x[k+1] - 2 x[k] + x[k-1] of
#: variance (1 + 4 + 1) s² = 6 s².
D2_VARIANCE = 6.0
#: The fraction of white noise's second-difference energy kept by the step-robust
#: sums (the minimum over 3 consecutive squared second differences, see
#: :mod:`.bins`; Monte Carlo, 2e7 Gaussian samples).
C2_MIN = 0.2698


def white_noise_var(s2, n2, kept=1.0, mean_of=None):
    """The white-noise variance per sample that ``n2`` squared second differences
    summing to ``s2`` give (E[d2²] = 6 s²): ``kept``, the fraction of their energy the
    sums kept (``C2_MIN`` for step-robust sums); ``mean_of``, for the variance of a
    mean of that many samples instead. Computed as s2 / (6 kept n2 mean_of), in that
    order: the same bits wherever it is used (a factor of 1 is exact)."""
    den = D2_VARIANCE * kept * n2
    return s2 / (den if mean_of is None else den * mean_of)


def as_slice(rows: np.ndarray) -> slice | np.ndarray:
    """``rows`` (sorted row indices) as a slice where they are consecutive (indexing with
    it gives a view: read-only, the same values as the gathered copy), else as they are."""
    rows = np.asarray(rows)
    if len(rows) and int(rows[-1]) - int(rows[0]) == len(rows) - 1 and (np.diff(rows) == 1).all():
        return slice(int(rows[0]), int(rows[-1]) + 1)
    return rows


def nonzero2(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nonzero`` of a 2-D array (the same indices, in the same order) from its
    flat indices: numpy's 1-D nonzero is ~10x faster than its 2-D one (16 x 6553
    booleans with a few set: ~40 us against ~400)."""
    if not a.shape[1]:
        return np.nonzero(a)
    return np.divmod(np.flatnonzero(a), a.shape[1])


def bins_for(seconds: float, bin_s: float, minimum: int = 1) -> int:
    """How many bins of ``bin_s`` cover ``seconds`` (at least ``minimum``)."""
    return max(minimum, math.ceil(seconds / bin_s - 1e-9))


def one_c_a(spec: BatterySpec) -> float:
    """The pack's 1C current, A."""
    return float(spec.pack_capacity_ah)


#: Rows summed together by :func:`strided_sums` (their strided slices stay in cache)
_STRIDED_ROWS = 4


def sum_rows(a: np.ndarray) -> np.ndarray:
    """``a.sum(axis=0)`` of a (rows, bins) array, with the same bits whatever the number
    of bins: numpy adds the rows one after another, except for a single column, which
    it sums pairwise (a live detector's one-bin batch of a 16-cell pack then differed
    from the offline analysis in the last bits)."""
    if a.shape[1] != 1:
        return a.sum(axis=0)
    out = a[0].copy()
    for row in a[1:]:
        out += row
    return out


def running_totals(tot: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per row of (rows, bins) ``x``: ``tot + x[:, 0] + x[:, 1] + ...``, added in that
    order (the last column of ``np.add.accumulate`` of ``[tot | x]`` along the rows, the
    same bits) without the running sums in between: the rows summed down the columns of
    the transposed copy (numpy adds one row after another, across all the columns at
    once: ~10x faster than the row-by-row accumulate of 35 x 13107)."""
    rows, m = x.shape
    if rows == 1:  # (one column would be summed pairwise, see sum_rows)
        return np.add.accumulate(np.concatenate((tot, x[0])))[-1:]
    t = np.empty((m + 1, rows))
    t[0] = tot
    t[1:] = x.T
    return t.sum(axis=0)


def strided_sums(x: np.ndarray, k: int, m: int, *, square: bool = False, dtype=None) -> np.ndarray:
    """Sums of ``m`` consecutive groups of ``k`` columns of ``x`` (rows, >= k * m), each
    added in column order from the first: ``x[:, 0::k] + x[:, 1::k] + ...`` (in
    ``x``'s dtype), a few rows at a time; ``square``: the sums of ``x * x`` (squared
    a few rows at a time, with no array of all the squares). ``dtype``: the sums
    converted to it (a few rows at a time, with no array of the sums in ``x``'s)."""
    rows = x.shape[0]
    out = np.empty((rows, m), dtype=dtype or x.dtype)
    few = min(rows, _STRIDED_ROWS)
    acc = None if out.dtype == x.dtype else np.empty((few, m), dtype=x.dtype)
    squares = np.empty((few, k * m), dtype=x.dtype) if square else None
    for a in range(0, rows, _STRIDED_ROWS):
        src = x[a : a + _STRIDED_ROWS]
        part = out[a : a + _STRIDED_ROWS] if acc is None else acc[: len(src)]
        if square:
            src = np.multiply(src[:, : k * m], src[:, : k * m], out=squares[: len(src)])
        part[...] = src[:, 0 : k * m : k]
        for j in range(1, k):
            part += src[:, j : k * m : k]
        if acc is not None:
            out[a : a + _STRIDED_ROWS] = part
    return out


class RollingSum:
    """Windowed sums over the last W bins of a per-bin array, carried across calls.

    A cumulative sum carried from call to call (``np.cumsum`` adds in order, so
    the values do not depend on how bins were split into calls); a window sum is
    the difference of two cumulative values.
    """

    def __init__(self, rows: int, keep: int):
        self.keep = int(keep)
        self._tail = np.zeros((rows, self.keep + 1))
        #: the last push's :class:`Same` parts summed once, their rows all the same
        #: (first row: end)
        self.once: dict[int, int] = {}

    def push(self, x) -> np.ndarray:
        """Add bins ``x`` (rows, m), or the rows of a sequence of (r, m) and (m,) arrays
        and :class:`Same` rows stacked (as ``np.concatenate`` would, without the copy);
        return the cumulative sums of the kept bins plus ``x``.

        Column ``keep`` is the total before ``x``; column ``keep + 1 + j`` after bin j.
        """
        parts = (x,) if isinstance(x, np.ndarray) else x
        k = self.keep
        tail = self._tail
        m = next(len(p.row) if isinstance(p, Same) else p.shape[-1] for p in parts)
        full = np.empty((tail.shape[0], k + 1 + m))
        full[:, : k + 1] = tail
        self.once = {}
        a = 0
        for p in parts:
            if isinstance(p, Same):
                b = a + p.rows
                full[a, k + 1 :] = p.row
                if (tail[a:b] == tail[a]).all():
                    # identical rows with identical sums so far: one running sum for all
                    np.cumsum(full[a, k:], out=full[a, k:])
                    full[a + 1 : b, k + 1 :] = full[a, k + 1 :]
                    self.once[a] = b
                else:
                    full[a + 1 : b, k + 1 :] = p.row
                    np.cumsum(full[a:b, k:], axis=1, out=full[a:b, k:])
            else:
                b = a + (1 if p.ndim == 1 else len(p))
                full[a:b, k + 1 :] = p
                # in place from the last total on: the adds of one running sum, in order
                np.cumsum(full[a:b, k:], axis=1, out=full[a:b, k:])
            a = b
        if a != len(full):
            raise ValueError(f"{a} rows for {len(full)}")
        self._tail = full[:, -(k + 1) :].copy()
        return full

    def window(self, full: np.ndarray, w: int, lag: int = 0) -> np.ndarray:
        """Sums over the ``w`` bins ending ``lag`` bins before each new bin."""
        m = full.shape[1] - self.keep - 1
        hi = self.keep + 1 - lag
        lo = hi - w
        if lo < 0:
            raise ValueError("window longer than the kept history")
        return full[:, hi : hi + m] - full[:, lo : lo + m]

    def window_at(self, full: np.ndarray, w: int, cols: np.ndarray, lag: int = 0) -> np.ndarray:
        """:meth:`window`'s columns ``cols`` (indices of the new bins) only: the same
        values, element by element."""
        hi = self.keep + 1 - lag
        lo = hi - w
        if lo < 0:
            raise ValueError("window longer than the kept history")
        return full[:, hi + cols] - full[:, lo + cols]


class History:
    """The last ``keep`` bins of a per-bin array, prepended to each new batch."""

    def __init__(self, shape_rows: int | None, keep: int, fill: float = np.nan):
        self.keep = int(keep)
        shape = (self.keep,) if shape_rows is None else (shape_rows, self.keep)
        self._tail = np.full(shape, fill)

    def push(self, x) -> np.ndarray:
        """``keep`` old bins followed by ``x`` along the last axis (``x``: an array, or
        for rows, a sequence of (r, m) and (m,) arrays stacked as by ``np.concatenate``)."""
        parts = (x,) if isinstance(x, np.ndarray) else x
        m = parts[0].shape[-1]
        full = np.empty(
            (*self._tail.shape[:-1], self.keep + m), dtype=np.result_type(self._tail, *parts)
        )
        full[..., : self.keep] = self._tail
        stack_rows(parts, full[..., self.keep :])
        self._tail = full[..., full.shape[-1] - self.keep :].copy()
        return full

    def push_lazy(self, parts) -> Stacked | _Full:
        """:meth:`push` of a sequence of (r, m) and (m,) arrays without building the
        full (rows, keep + m) array: the returned :class:`Stacked` reads its values
        where they are asked for (a detector that looks only at a few windows)."""
        if parts[0].shape[-1] <= _LAZY_MIN_BINS:  # (a live batch: the full array is small)
            return _Full(self.push(parts))
        stacked = Stacked(self._tail, parts, self.keep)
        self._tail = stacked.last(self.keep)
        return stacked


#: Batches of fewer bins than this are stacked by :meth:`History.push_lazy` all the
#: same: a small array costs less than the bookkeeping of reading it in pieces.
_LAZY_MIN_BINS = 256


class _Full:
    """A :class:`Stacked` already stacked: the full array, read the same way."""

    def __init__(self, full: np.ndarray):
        self.full = full

    def columns(self, c: np.ndarray) -> np.ndarray:
        return self.full[:, c]

    def take(self, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        return self.full[r, c]


class Stacked:
    """The array :meth:`History.push` would return, (rows, keep + m), left in pieces:
    the kept bins ``tail`` and the rows of ``parts``, read with :meth:`take`."""

    def __init__(self, tail: np.ndarray, parts, keep: int):
        self.tail = tail
        self.parts = list(parts)
        self.keep = keep
        self.m = self.parts[0].shape[-1]
        self.dtype = np.result_type(tail, *self.parts)
        # each row's part and its row in it (-1: a 1-D part)
        part_of, row_in = [], []
        for j, p in enumerate(self.parts):
            rows = 1 if p.ndim == 1 else len(p)
            part_of += [j] * rows
            row_in += [-1] if p.ndim == 1 else list(range(rows))
        self._part_of = np.array(part_of, dtype=np.int64)
        self._row_in = np.array(row_in, dtype=np.int64)
        # each part's first row (a part's rows are consecutive)
        self._first = np.searchsorted(self._part_of, np.arange(len(self.parts) + 1))

    def last(self, n: int) -> np.ndarray:
        """The last ``n`` (<= keep) columns, as a new array."""
        out = np.empty((len(self._part_of), n), dtype=self.dtype)
        j = min(self.m, n)
        out[:, : n - j] = self.tail[:, self.tail.shape[1] - (n - j) :]
        stack_rows([p[..., self.m - j :] for p in self.parts], out[:, n - j :])
        return out

    def columns(self, c: np.ndarray) -> np.ndarray:
        """``full[:, c]`` for sorted column indices ``c``."""
        c = np.asarray(c, dtype=np.int64)
        out = np.empty((len(self._part_of), len(c)), dtype=self.dtype)
        k = int(np.searchsorted(c, self.keep))
        out[:, :k] = self.tail[:, c[:k]]
        stack_rows([p[..., c[k:] - self.keep] for p in self.parts], out[:, k:])
        return out

    def take(self, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        """``full[r, c]`` (integer arrays that broadcast together)."""
        r, c = np.asarray(r), np.asarray(c)
        if r.size and c.size:
            # the usual call: rows of one part (a cell's rows, or one row) and columns
            # of the batch, none kept from before: read there at once (the same values)
            j = int(self._part_of[r.min()])
            if self._first[j + 1] > r.max() and c.min() >= self.keep:
                p = self.parts[j]
                if p.ndim == 1:
                    got = p[np.broadcast_to(c - self.keep, np.broadcast_shapes(r.shape, c.shape))]
                else:
                    got = p[r - self._first[j], c - self.keep]
                return got.astype(self.dtype, copy=False)
        r, c = np.broadcast_arrays(r, c)
        out = np.empty(r.shape, dtype=self.dtype)
        old = c < self.keep
        if old.any():
            out[old] = self.tail[r[old], c[old]]
        new = ~old
        part = self._part_of[r]
        for j, p in enumerate(self.parts):
            sel = new & (part == j)
            if not sel.any():
                continue
            cols = c[sel] - self.keep
            out[sel] = p[cols] if p.ndim == 1 else p[self._row_in[r[sel]], cols]
        return out


def stack_rows(parts, out: np.ndarray) -> np.ndarray:
    """The rows of ``parts`` ((r, m) and (m,) arrays) one after the other into ``out``
    (rows, m): ``np.concatenate`` into an array of one's own."""
    if out.ndim == 1:
        (only,) = parts
        out[...] = only
        return out
    r = 0
    for p in parts:
        if p.ndim == 1:
            out[r] = p
            r += 1
        else:
            out[r : r + len(p)] = p
            r += len(p)
    if r != len(out):
        raise ValueError(f"{r} rows for {len(out)}")
    return out


def latch(trigger: np.ndarray, hold: np.ndarray, carry: np.ndarray) -> np.ndarray:
    """Per row, True from a trigger on for as long as ``hold`` stays True.

    ``trigger`` and ``hold`` are (rows, bins) booleans (a trigger also holds);
    ``carry`` (rows,) is the latched state after the previous call. Returns the
    latched state of every bin; ``carry`` is updated in place.
    """
    rows, m = trigger.shape
    if m == 0:
        return np.zeros((rows, 0), dtype=bool)
    hold = hold | trigger
    idx = np.arange(m)
    last_trig = np.maximum.accumulate(np.where(trigger, idx, -1), axis=1)
    last_break = np.maximum.accumulate(np.where(~hold, idx, -1), axis=1)
    out = (last_trig > last_break) | (carry[:, None] & (last_break < 0))
    carry[:] = out[:, -1]
    return out


class SuperBins:
    """Sums of per-bin arrays over super-bins of ``span_s`` seconds (aligned on ``anchor_s``).

    For slow detectors that need no 5 s resolution. A super-bin is emitted once a
    bin of a later one arrives (or at :meth:`flush`); its sums are recomputed
    from its bins in order, so the result does not depend on how bins arrived.
    """

    def __init__(self, rows: int, anchor_s: float, span_s: float):
        self.anchor_s = anchor_s
        self.span_s = span_s
        self._t0 = np.empty(0)
        self._t1 = np.empty(0)
        self._x = np.empty((rows, 0))

    def flush(self):
        """Complete the pending super-bin (end of a log)."""
        return self.push(np.empty(0), np.empty(0), self._x[:, :0], final=True)

    def push(self, t0: np.ndarray, t1: np.ndarray, x, final: bool = False):
        """Add bins (``x``: (rows, bins), or a sequence of (r, bins) arrays, (bins,)
        arrays and :class:`Same` rows whose rows stack to it); return (t0, t1, sums,
        bins) of the completed super-bins."""
        t0 = np.concatenate((self._t0, t0))
        t1 = np.concatenate((self._t1, t1))
        parts = (x,) if isinstance(x, np.ndarray) else x
        pend = self._x
        p, n = pend.shape[1], len(t0)
        if not n:
            return t0, t1, pend, np.empty(0)
        g = np.floor((t0 - self.anchor_s) / self.span_s).astype(np.int64)
        k = n if final else int(np.searchsorted(g, g[-1], side="left"))
        self._t0, self._t1 = t0[k:], t1[k:]
        rows = pend.shape[0]
        keep = np.empty((rows, n - k))
        if k == 0:
            _write_parts(pend, parts, keep, p)
            self._x = keep
            return t0[:0], t1[:0], np.empty((rows, 0)), np.empty(0)
        g = g[:k]
        change = np.concatenate(([True], g[1:] != g[:-1]))
        starts = np.flatnonzero(change)
        ends = np.append(starts[1:], k)
        m = len(starts)
        span = k // m if k % m == 0 else 0
        if not (span and np.array_equal(starts, np.arange(m) * span)):
            span, lab = 0, np.cumsum(change) - 1
        sums = np.empty((rows, m))
        # (even super-bins whose first holds the pending bins (p <= span): the first one's
        # sums from the pending bins and its first new ones, the others' straight from
        # the new bins -- the same adds in the same order, without a copy of them all)
        direct = span and p <= span
        a = 0
        for part in parts:
            if isinstance(part, Same) and (
                part.rows == 1 or (pend[a : a + part.rows] == pend[a]).all()
            ):
                # identical rows, pending bins included: one row's sums stand for all
                if direct:
                    _even_sums(pend[a : a + 1], part.row[None, :], span, m, k, sums[a : a + 1])
                    sums[a + 1 : a + part.rows] = sums[a]
                    keep[a : a + part.rows] = part.row[k - p :]
                    a += part.rows
                    continue
                xs = np.empty((1, p + len(part.row)))
                xs[0, :p] = pend[a]
                xs[0, p:] = part.row
                sums[a : a + part.rows] = _group_sums(xs[:, :k], span, m, lab if not span else None)
                keep[a : a + part.rows] = xs[:, k:]
                a += part.rows
                continue
            block = part.row if isinstance(part, Same) else part
            r = part.rows if isinstance(part, Same) else (1 if block.ndim == 1 else len(block))
            if direct:
                # (a Same part whose pending rows differ: its row read for each of its rows)
                new = block if block.ndim == 2 else np.broadcast_to(block, (r, len(block)))
                _even_sums(pend[a : a + r], new, span, m, k, sums[a : a + r])
                keep[a : a + r] = new[:, k - p :]
                a += r
                continue
            xs = np.empty((r, p + block.shape[-1]))
            xs[:, :p] = pend[a : a + r]
            xs[:, p:] = block
            sums[a : a + r] = _group_sums(xs[:, :k], span, m, lab if not span else None)
            keep[a : a + r] = xs[:, k:]
            a += r
        if a != rows:
            raise ValueError(f"{a} rows for {rows}")
        self._x = keep
        return t0[starts], t1[ends - 1], sums, (ends - starts).astype(float)


class Same:
    """``rows`` identical rows of a :class:`SuperBins` part, given as one (bins,) row:
    their sums are taken once (the same adds, the same bits, as for each row)."""

    __slots__ = ("row", "rows")

    def __init__(self, row: np.ndarray, rows: int):
        self.row = row
        self.rows = rows


def _write_parts(pend: np.ndarray, parts, out: np.ndarray, p: int) -> None:
    """The pending columns and the parts' rows, side by side, into ``out``."""
    out[:, :p] = pend
    a = 0
    for part in parts:
        if isinstance(part, Same):
            out[a : a + part.rows, p:] = part.row
            a += part.rows
        else:
            r = 1 if part.ndim == 1 else len(part)
            out[a : a + r, p:] = part
            a += r


def _even_sums(
    pend: np.ndarray, new: np.ndarray, span: int, m: int, k: int, out: np.ndarray
) -> None:
    """:func:`_group_sums` of ``m`` super-bins of ``span`` bins, the pending bins
    ``pend`` (rows, p <= span) then the new ones ``new`` (rows, >= k - p), into ``out``:
    the first super-bin's from the pending bins and its first new ones, the others'
    from the new bins where they are (each added in order from its first bin, as
    there)."""
    p = pend.shape[1]
    if r := span - p:
        first = np.empty((len(new), span))
        first[:, :p] = pend
        first[:, p:] = new[:, :r]
        out[:, :1] = strided_sums(first, span, 1)
    else:
        out[:, :1] = strided_sums(pend, span, 1)
    if m > 1:
        out[:, 1:] = strided_sums(new[:, r : k - p], span, m - 1)


def _group_sums(xs: np.ndarray, span: int, m: int, lab: np.ndarray | None) -> np.ndarray:
    """Per row, the sums of the super-bins of ``xs``: ``span`` bins each (strided
    sums, in order), or labelled by ``lab`` (bincount adds in input order too: the
    same bits as the strided sums)."""
    if lab is None:
        return strided_sums(xs, span, m)
    rows = xs.shape[0]
    flat = (lab[None, :] + (np.arange(rows) * m)[:, None]).ravel()
    return np.bincount(flat, weights=xs.ravel(), minlength=rows * m).reshape(rows, m)


def run_length(flag: np.ndarray, carry: np.ndarray) -> np.ndarray:
    """Per row, how many bins in a row ``flag`` has been True up to each bin.

    ``flag`` is (rows, bins); ``carry`` (rows,) the run length before the first
    bin, updated in place.
    """
    m = flag.shape[1]
    idx = np.arange(1, m + 1)
    last_break = np.maximum.accumulate(np.where(flag, 0, idx[None, :]), axis=1)
    out = np.where(last_break == 0, carry[:, None] + idx[None, :], idx[None, :] - last_break)
    if m:
        carry[:] = out[:, -1]
    return out
