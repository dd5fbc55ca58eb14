"""From samples to time bins: the per-sample stage of the fault detectors.

Every detector judges time bins of ``bin_s`` seconds (5 s, or two sample periods
of a slow log), never single samples: per bin and channel the stage keeps the
count and sum of the finite values, the sum of squared first differences
(stuck sensors), a step-robust sum of squared second differences (white
noise, see :mod:`.sensors`), NaN counts and times, and counts of
physically impossible values. Time gaps are listed apart, and so are the samples
in which no channel has a value (a logger outage, not each channel's dropout: a
channel's NaN counts leave them out).

Offline and live give bit-identical bins: a bin is processed only once it is
complete (a sample of a later bin has arrived, or :meth:`SampleStage.flush`),
its sums are taken in sample order starting from zero (strided adds, or
``np.add.at`` for irregular bins: the same order, the same bits), and the only
state carried between calls is the last samples' values and differences.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.core import schema
from app.diagnostics.faults.common import as_slice, strided_sums
from app.diagnostics.faults.phases import phase_sums, to_phases, to_time, with_shifted
from app.diagnostics.faults.resolution import Resolution
from app.diagnostics.time_gaps import GapRule, near_step_starts

#: Bin length: short enough for the 60 s detection targets (a window of 30-60 s
#: is 6-12 bins), long enough that a 16-cell, 1e6-sample log gives few enough
#: bins for the per-bin work to stay cheap.
BIN_S = 5.0
#: Groups (cell voltages, cell temperatures) smaller than this have no robust median
#: (see :mod:`.sensors`).
MIN_GROUP = 3
#: A second difference spans the two samples before its own, and a step-robust one (the
#: minimum over 3 consecutive squares) the two second differences before: the step-robust
#: terms of a step's first sample and this many after it read samples of the step before
#: (``BinBatch.step_reach``).
STEP_REACH_SAMPLES = 3
#: Sample period reference: the median of the first intervals of the log. The
#: stage waits for this many intervals before it starts (or for the flush).
DT_REF_INTERVALS = 64
#: Time gaps: the rule of :mod:`app.diagnostics.time_gaps` (an interval longer than 3
#: sample periods and 2 s, the period the longest interval the log has shown to be
#: normal so far, at least the reference; an interval from a step's first sample is
#: never a gap).
#: The per-sample work runs in float32: it halves the memory traffic of the
#: dominant cost, and its 7 significant digits resolve 0.4 uV at 4 V, 2 uA at
#: 20 A, 2 u-degC at 25 degC -- three orders below sensor noise. Bin sums are
#: converted to float64 before anything is accumulated over bins.
SAMPLE_DTYPE = np.float32
#: Samples per internal chunk: the per-sample arrays of a chunk of a 16-cell
#: pack (35 channels) stay within ~10 MB. Each chunk is a batch of bins for every
#: fault family, whose ~100 numpy calls a batch cost the same however many bins:
#: 65536 samples halve those calls against 32768 (same results: the families give
#: the same whatever the batches), detect_faults of the 1e6-sample logs of
#: benchmarks/bench_suite.py 5-30 % less CPU (the 10 Hz and 1-cell logs most).
CHUNK = 65536
#: The last chunk of a call may be up to this long rather than leave a short tail:
#: a caller feeding CHUNK samples at a time adds the pending samples of the open
#: bin, and a chunk of a few samples costs every detector's fixed per-call work.
CHUNK_MAX = CHUNK + CHUNK // 4


@dataclass(frozen=True)
class Layout:
    """The channels (rows) the detectors watch, fixed by the first block."""

    names: tuple[str, ...]
    i_v: int  # pack voltage
    i_i: int  # current
    i_t: int  # pack temperature, -1 if none
    cells_v: np.ndarray  # row indices of cell voltages
    cells_t: np.ndarray  # row indices of cell temperatures
    temp_rows: np.ndarray  # pack temperature (if any) and the cell temperatures
    has_step: bool

    @staticmethod
    def from_columns(columns) -> Layout:
        cols = list(columns)
        names = [schema.VOLTAGE, schema.CURRENT]
        if schema.TEMPERATURE in cols:
            names.append(schema.TEMPERATURE)
        cv = schema.cell_voltage_columns(cols)
        ct = schema.cell_temperature_columns(cols)
        first_cv = len(names)
        names += cv
        first_ct = len(names)
        names += ct
        cells_v = np.arange(first_cv, first_cv + len(cv))
        cells_t = np.arange(first_ct, first_ct + len(ct))
        i_t = 2 if schema.TEMPERATURE in cols else -1
        temp_rows = np.concatenate(([i_t] if i_t >= 0 else [], cells_t)).astype(np.int64)
        return Layout(
            names=tuple(names),
            i_v=0,
            i_i=1,
            i_t=i_t,
            cells_v=cells_v,
            cells_t=cells_t,
            temp_rows=temp_rows,
            has_step=schema.STEP_INDEX in cols,
        )

    @property
    def n_rows(self) -> int:
        return len(self.names)

    @property
    def robust_rows(self) -> np.ndarray:
        """Rows whose noise sum drops isolated steps (min over 3 squared second
        differences): the voltages and the current, which step with the load (and a
        single cell's voltage steps when it fails), and the extra rows.
        Temperatures do not step."""
        rows = [self.i_v, self.i_i, *self.cells_v]
        rows += list(range(self.n_rows, self.n_rows + self.noise_extra))
        return np.array(sorted(rows), dtype=np.int64)

    @property
    def lone_cells_v(self) -> np.ndarray:
        """Cell voltage rows with no group to be judged against (a pack of fewer than
        ``MIN_GROUP`` cells): their noise is judged against the load (see
        :mod:`.sensors`, Slow logs), which wants their plain sums too (``s2lone``)."""
        return self.cells_v if len(self.cells_v) < MIN_GROUP else self.cells_v[:0]

    @property
    def noise_extra(self) -> int:
        """Extra rows of second differences after the channels (with >= 1 cell voltage):
        the mean of the cells' (the current's load reference) and the pack voltage's
        minus the sum of the cells' (the pack sensor's own noise)."""
        return 2 if len(self.cells_v) else 0

    def matrix(self, block, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        """Rows ``names`` of samples ``start:stop`` of ``block`` as float32 (see
        ``SAMPLE_DTYPE``), into ``out`` if given; a missing column is NaN."""
        if out is None:
            out = np.empty((self.n_rows, stop - start), dtype=SAMPLE_DTYPE)
        for r, name in enumerate(self.names):
            col = block.get(name)
            out[r] = np.nan if col is None else col[start:stop]
        return out


@dataclass
class BinBatch:
    """Complete bins, in time order: arrays of shape (bins,) or (rows, bins).

    Read-only: the (rows, bins) counts and NaN/out-of-range fields are broadcast
    views of one value or one row when every row has it (the usual case).
    """

    t0: np.ndarray  # first sample time
    t1: np.ndarray  # last sample time
    n: np.ndarray  # samples
    cnt: np.ndarray  # finite values per row
    mean: np.ndarray  # mean of the finite values (NaN: none)
    nd: np.ndarray  # valid first differences (both samples finite)
    sdd: np.ndarray  # sum of squared first differences
    n2: np.ndarray  # valid terms of s2m; rows: channels, then Layout.noise_extra
    s2m: np.ndarray  # sum of squared second differences (Layout.robust_rows: min over 3)
    n2ref: np.ndarray  # (bins,) valid terms of s2ref
    s2ref: np.ndarray  # plain sum of squared second differences of the load reference
    #: (the mean cell voltage, or the pack voltage without cells), steps included
    n2cur: np.ndarray  # (bins,) valid terms of s2cur
    s2cur: np.ndarray  # the same for the current (the pack voltage's load reference)
    n2x: np.ndarray  # (bins,) valid terms of s2x
    #: sum of the products of the current's second differences and the load
    #: reference's (plain): a load moves the reference with the current, noise does not
    s2x: np.ndarray
    nnan: np.ndarray  # NaN samples (those of nblank aside)
    nan_t0: np.ndarray  # time of the first NaN of the bin (NaN: none)
    nan_t1: np.ndarray  # time of the last NaN of the bin
    nblank: np.ndarray  # (bins,) samples in which every channel is NaN
    blank_t0: np.ndarray  # (bins,) time of the first of them (NaN: none)
    blank_t1: np.ndarray  # (bins,) time of the last of them
    noor: np.ndarray  # samples out of the physical range
    oor_worst: np.ndarray  # the most extreme of them (NaN: none)
    step_first: np.ndarray  # step_index at the first sample (NaN: no column)
    step_changed: np.ndarray  # step_index changed within the bin or since the last one
    #: ... or a step-robust second difference of the bin reads a sample of the step before
    #: the one it is in (a step's first sample or ``STEP_REACH_SAMPLES`` after it)
    step_reach: np.ndarray
    gaps: list[tuple[float, float]]  # (last sample before, first sample after) of time gaps
    #: each channel's quantum squared as learnt by the end of the bin: its least bound
    #: so far (inf: never changed) and the quantum once known (0: not known to be
    #: quantised), see :mod:`.resolution`
    q2_bound: np.ndarray | None = None
    q2: np.ndarray | None = None
    #: each bin's index since the log's first sample (its time's whole ``bin_s`` since
    #: then): one more than the bin before it, unless a time gap left bins empty
    index: np.ndarray | None = None
    #: the chunk's samples (rows, samples) and each bin's first sample, for
    #: :meth:`sample_max`: valid only while the batch is processed (a work array)
    samples: np.ndarray | None = field(default=None, repr=False)
    starts: np.ndarray | None = field(default=None, repr=False)
    #: samples in each bin when every bin has that many and they lie in order (0: not so)
    k: int = field(default=0, repr=False)
    #: (Layout.lone_cells_v rows, bins) plain sums of those cells' squared second
    #: differences (steps included, as ``s2cur``) and their valid terms
    s2lone: np.ndarray | None = None
    n2lone: np.ndarray | None = None

    _medians: dict = field(default_factory=dict, repr=False)

    def sample_max(self, row: int, cols: np.ndarray) -> np.ndarray:
        """The greatest finite sample of channel row ``row`` in each bin ``cols`` (NaN:
        none), read from the samples on demand: a detector that needs a few bins' peaks
        (a runaway's) costs nothing on the others. Call it only while the batch is
        processed (:class:`SampleStage` reuses its work arrays)."""
        out = np.full(len(cols), np.nan)
        if self.samples is None:
            return out
        y = self.samples[row]
        ends = np.append(self.starts[1:], y.shape[-1])
        with np.errstate(invalid="ignore"):
            for j, c in enumerate(np.asarray(cols, dtype=np.int64)):
                seg = y[self.starts[c] : ends[c]]
                if len(seg):
                    out[j] = float(np.fmax.reduce(seg))
        return out

    def least_change(self, row: int) -> np.ndarray:
        """The least non-zero change between consecutive finite samples of channel row
        ``row`` within each bin (inf: none; NaN: no samples kept): a reading quantised by q
        changes by multiples of it, so q is at most that, however many samples a bin has
        (a sum of their squares bounds q² too, but loosely when a fast log's bin holds
        50 of them). Call it only while the batch is processed (see :meth:`sample_max`)."""
        if self.samples is None:
            return np.full(self.m, np.nan)
        y = self.samples[row]
        with np.errstate(invalid="ignore"):
            d = np.abs(np.diff(y, append=np.nan)).astype(np.float64)
        d[self.starts[1:] - 1] = np.inf  # (a change across bins is neither's)
        d[~(d > 0)] = np.inf  # (no change, or a NaN sample)
        return self._per_bin(np.minimum, d)

    def sample_range(self, row: int) -> np.ndarray:
        """The greatest less the least finite sample of channel row ``row`` in each bin
        (NaN: none). Call it only while the batch is processed (see :meth:`sample_max`)."""
        if self.samples is None:
            return np.full(self.m, np.nan)
        y = self.samples[row]
        with np.errstate(invalid="ignore"):
            hi = self._per_bin(np.fmax, y).astype(np.float64)
            lo = self._per_bin(np.fmin, y).astype(np.float64)
        return hi - lo

    def difference_range(self, row: int, rows: np.ndarray) -> np.ndarray:
        """The greatest less the least finite value of channel row ``row`` less the sum
        of channel rows ``rows``, sample by sample (in float64, the rows added in order),
        in each bin (NaN: none). Call it only while the batch is processed (see
        :meth:`sample_max`)."""
        if self.samples is None:
            return np.full(self.m, np.nan)
        y = self.samples[row].astype(np.float64)
        for r in rows:
            y -= self.samples[r]
        with np.errstate(invalid="ignore"):
            return self._per_bin(np.fmax, y) - self._per_bin(np.fmin, y)

    def _per_bin(self, ufunc, y: np.ndarray) -> np.ndarray:
        """``ufunc.reduceat(y, self.starts)`` (a max or min: exact, whatever the order);
        bins of ``k`` samples each by ``k`` element-wise calls over strided slices
        (reduceat loops over the bins one at a time: ~40x slower for 6553 bins of 5)."""
        k, m = self.k, len(self.starts)
        if not k:
            return ufunc.reduceat(y, self.starts)
        out = y[0 : k * m : k].copy()
        for j in range(1, k):
            ufunc(out, y[j : k * m : k], out=out)
        return out

    @property
    def m(self) -> int:
        return len(self.t0)

    def median(self, rows: np.ndarray) -> np.ndarray:
        """Median of the bin means over ``rows`` (computed once per batch and rows)."""
        rows = np.asarray(rows, dtype=np.int64)
        key = rows.tobytes()
        out = self._medians.get(key)
        if out is None:
            out = self._medians[key] = median_rows(self.mean[as_slice(rows)], self._sorted(rows))
        return out

    def _sorted(self, rows: np.ndarray) -> np.ndarray:
        """:func:`sorted_bins` of the bin means of ``rows`` (one sort per batch and rows:
        their median and the medians of the others read the same)."""
        key = ("sorted", rows.tobytes())
        out = self._medians.get(key)
        if out is None:
            out = self._medians[key] = sorted_bins(self.mean[as_slice(rows)])
        return out

    def median_of_others(self, rows: np.ndarray) -> np.ndarray:
        """:func:`median_of_others` of the bin means of ``rows`` (computed once per
        batch and rows: the short test and the runaway test's short heat both read it;
        read-only)."""
        rows = np.asarray(rows, dtype=np.int64)
        key = ("others", rows.tobytes())
        out = self._medians.get(key)
        if out is None:
            out = self._medians[key] = median_of_others(
                self.mean[as_slice(rows)], self._sorted(rows)
            )
        return out

    def memo(self, key, make):
        """``make()``, computed once per batch for ``key`` (read-only)."""
        out = self._medians.get(key)
        if out is None:
            out = self._medians[key] = make()
        return out


#: Chunks of at least this many samples take the step-robust minimum row by row (no
#: gathered copy; the same minima): below it a few calls for all rows cost less.
_ROWWISE_MIN = 2048
#: Rows whose per-sample work runs together (a few rows of a chunk stay in cache).
_ROW_BLOCK = 4
#: Regular bins of at most this many (rows x bins) are summed with a running sum
#: (``np.cumsum``): k strided adds cost a fixed ~3 us each, which dominates for the
#: few bins of a live block; for many bins the strided adds are faster.
_ACCUMULATE_MAX = 1024


class _BinSummer:
    """Per-row, per-bin sums of (rows, n) arrays, added in sample order from zero.

    Regular chunks (every bin ``k`` samples, the common case) sum strided slices;
    others use ``np.bincount``, which also adds in input order: both give the same
    bits, so it does not matter which path a bin takes in a live or offline run.
    """

    def __init__(self, b: np.ndarray, starts: np.ndarray, n: int):
        self.b = b
        self.m = len(starts)
        self.k = n // self.m if n % self.m == 0 else 0
        if self.k and not np.array_equal(starts, np.arange(self.m) * self.k):
            self.k = 0
        self._lab: dict[int, np.ndarray] = {}

    def __call__(self, x: np.ndarray) -> np.ndarray:
        rows = x.shape[0]
        k, m = self.k, self.m
        if k and rows * m <= _ACCUMULATE_MAX:
            # few bins (a live block): one running sum instead of k strided adds; the
            # running sum adds in the same order, so the bits are the same
            return np.cumsum(x[:, : k * m].reshape(rows, m, k), axis=2)[:, :, -1].astype(np.float64)
        if k:
            return strided_sums(x, k, m, dtype=np.float64)
        lab = self._lab.get(rows)
        if lab is None:
            lab = (self.b[None, :] + (np.arange(rows) * m)[:, None]).ravel()
            self._lab[rows] = lab
        # bincount adds in float64; reproduce the float32 strided sums exactly by
        # summing in float32 in the same order when bins are irregular
        out = np.zeros((rows, m), dtype=x.dtype)
        np.add.at(out.reshape(-1), lab, x.ravel())
        return out.astype(np.float64)

    def squares(self, x: np.ndarray) -> np.ndarray:
        """``self(x * x)``; regular chunks square a few rows at a time (no array of squares)."""
        if self.k and x.shape[0] * self.m > _ACCUMULATE_MAX:
            return strided_sums(x, self.k, self.m, square=True, dtype=np.float64)
        return self(x * x)

    def row(self, x: np.ndarray) -> np.ndarray:
        """Sums of one row (1-D)."""
        return self(x[None, :])[0]


def sorted_bins(x: np.ndarray) -> np.ndarray:
    """(bins, rows): each bin's values of (rows, bins) ``x`` sorted, NaN last, as one
    contiguous row of the transposed copy (the same sort of the same values as
    ``np.sort(x, axis=0)``, which sorts a strided column at a time, ~1.7x slower for
    16 cells)."""
    srt = x.T.copy()  # (bins, rows), C order: a new array even where x.T is one already
    srt.sort(axis=1)  # NaN sort last
    return srt


def median_of_others(x: np.ndarray, srt: np.ndarray | None = None) -> np.ndarray:
    """(rows, bins): for each row, the median of the other rows' finite values in
    each bin (NaN where none is), as :func:`median_rows` of ``x`` without that row.

    Leaving one value out of c sorted ones moves the median to one of three values,
    by where the value left out lies against the middle; so one sort per bin
    (``srt``: :func:`sorted_bins` of ``x`` if already made).
    """
    rows, m = x.shape
    out = np.full((rows, m), np.nan)
    if rows < 2 or m == 0:
        return out
    if np.isfinite(x).all():
        return _finite_median_of_others(x, srt)
    if srt is None:
        srt = sorted_bins(x)
    fin = np.isfinite(x)
    c = fin.sum(axis=0)  # finite values of each bin

    def at(k):
        return srt[np.arange(m), np.clip(k, 0, rows - 1)]

    with np.errstate(invalid="ignore"):
        # a finite row: c - 1 others
        even = c % 2 == 0
        h = c // 2
        lo_e, hi_e = at(h - 1), at(h)  # c even: the row at or below lo_e leaves hi_e
        mid, below, above = at(h), at(h - 1), at(h + 1)  # c odd: the middle, its neighbours
        odd = np.where(
            x < mid,
            (mid + above) / 2.0,
            np.where(x > mid, (below + mid) / 2.0, (below + above) / 2.0),
        )
        own = np.where(even, np.where(x <= lo_e, hi_e, lo_e), odd)
        out = np.where(fin & (c >= 2), own, out)
        # a NaN row: the median of all the finite values
        out = np.where(~fin, median_rows(x, srt)[None, :], out)
    return out


def _finite_median_of_others(x: np.ndarray, srt: np.ndarray | None = None) -> np.ndarray:
    """:func:`median_of_others` of an all-finite (rows >= 2, bins): the same values
    picked, the same halves added (``(a + b) / 2`` is ``0.5 * (a + b)`` to the bit),
    from one sort along the rows (``srt``: :func:`sorted_bins` of ``x``, whose rows
    hold the same sorted values) and a few whole-array selections (no gathers)."""
    n = len(x)
    h = n // 2
    if srt is None:
        s = np.sort(x, axis=0)  # (the same sort of each bin's values as a row of x.T)
    else:  # (the sorted ranks read, as contiguous rows)
        s = {i: np.ascontiguousarray(srt[:, i]) for i in range(max(h - 1, 0), min(h + 2, n))}
    if n % 2 == 0:  # n - 1 others: their middle one
        return np.where(x <= s[h - 1], s[h], s[h - 1])
    lo = 0.5 * (s[h - 1] + s[h])  # the row above the middle
    mid = 0.5 * (s[h - 1] + s[h + 1])  # the row the middle
    hi = 0.5 * (s[h] + s[h + 1])  # the row below it
    return np.where(x > s[h], lo, np.where(x < s[h], hi, mid))


def median_rows(x: np.ndarray, srt: np.ndarray | None = None) -> np.ndarray:
    """Median over the rows of (rows, bins), ignoring NaN (NaN where none is finite).

    Each bin's values sorted as one contiguous row of the transposed copy
    (:func:`sorted_bins`; ``srt``, if already made) is several times faster than
    ``np.median(axis=0)``; for an even count the two middle values are averaged
    as ``np.median`` does.
    """
    rows, m = x.shape
    out = np.full(m, np.nan)
    if rows == 0 or m == 0:
        return out
    if srt is None:
        srt = sorted_bins(x)
    nfin = rows - np.isnan(srt).sum(axis=1) if np.isnan(srt[:, -1]).any() else None
    if nfin is None:
        h = rows // 2
        return srt[:, h].copy() if rows % 2 else (srt[:, h - 1] + srt[:, h]) / 2.0
    ok = nfin > 0
    lo = np.clip((nfin - 1) // 2, 0, rows - 1)
    hi = np.clip(nfin // 2, 0, rows - 1)
    idx = np.arange(m)
    out[ok] = (srt[idx[ok], lo[ok]] + srt[idx[ok], hi[ok]]) / 2.0
    return out


def _rows_of(x: np.ndarray, rows: int) -> np.ndarray:
    """``rows`` copies of ``x`` as a new (rows, len(x)) array (np.broadcast_to(...).copy(),
    without its per-call cost)."""
    out = np.empty((rows, len(x)))
    out[...] = x
    return out


#: A chunk whose values are all within +-this (and what it carries over, see
#: :meth:`SampleStage._within_bounds`) has only finite sums: no row to redo.
_SUMS_FINITE_WITHIN = 1e9
_NONE = np.empty(0, dtype=np.intp)

#: Regular chunks of at least this many samples a bin take the phase layout (see
#: :mod:`.phases`); fewer, and the strided sums read little more than the copy would.
#: And of at least this many bins: its calls are per phase and block of rows (a live
#: block of a few bins keeps the path it had).
_PHASE_MIN_K = 3
_PHASE_MIN_BINS = 256


@dataclass
class _RowSums:
    """The per-sample stage's sums of a chunk, per row (see :meth:`SampleStage._process`)."""

    s1: np.ndarray  # (rows, bins) sums of the values
    sdd: np.ndarray  # sums of the squared first differences
    s2m: np.ndarray  # (rows + extra rows, bins) sums of the squared second differences
    hi: np.ndarray  # (rows,) the greatest value (NaN propagates)
    lo: np.ndarray  # the least value
    last_d: np.ndarray  # the last first difference
    next_q2: np.ndarray  # the robust rows' last two squared second differences
    s2ref: np.ndarray | None = None
    n2ref: np.ndarray | None = None
    s2cur: np.ndarray | None = None
    n2cur: np.ndarray | None = None
    s2x: np.ndarray | None = None
    n2x: np.ndarray | None = None
    s2lone: np.ndarray | None = None  # (Layout.lone_cells_v rows, bins)
    n2lone: np.ndarray | None = None
    #: row j of the extra rows' squares as summed into ``s2m``, in time order
    extra_squares: object = None

    @staticmethod
    def empty(c: int, cx: int, m: int, dtype, prev_q2: np.ndarray) -> _RowSums:
        return _RowSums(
            s1=np.empty((c, m)),
            sdd=np.empty((c, m)),
            s2m=np.empty((cx, m)),
            hi=np.empty(c, dtype=dtype),
            lo=np.empty(c, dtype=dtype),
            last_d=np.empty(c, dtype=dtype),
            next_q2=prev_q2.copy(),
        )

    def extremes(self, y: np.ndarray, a: int, b: int) -> None:
        """The greatest and least values of rows ``a:b`` of ``y``."""
        with np.errstate(invalid="ignore"):
            self.hi[a:b] = y[a:b].max(axis=1)
            self.lo[a:b] = y[a:b].min(axis=1)


def _phase_plain_sum(q: np.ndarray, nsamp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``SampleStage._plain_sum`` of one row in phase layout, (k, m)."""
    m = q.shape[1]
    fin = np.isfinite(q)
    if fin.all():
        return phase_sums(q[None], np.empty((1, m), q.dtype), np.empty((1, m)))[0], nsamp.copy()
    kept = np.where(fin, q, 0.0)[None]
    counts = fin.astype(float)[None]
    return (
        phase_sums(kept, np.empty((1, m), q.dtype), np.empty((1, m)))[0],
        phase_sums(counts, np.empty((1, m)), np.empty((1, m)))[0],
    )


def _occurrences(
    mask: np.ndarray | None, b: np.ndarray, t: np.ndarray, m: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bin (``b``: each sample's bin among ``m``): how many samples ``mask`` marks,
    and the time of the first and the last of them (NaN: none). ``mask`` None: none."""
    if mask is None or not mask.any():
        return (
            np.broadcast_to(0.0, (m,)),
            np.broadcast_to(np.nan, (m,)),
            np.broadcast_to(np.nan, (m,)),
        )
    idx = np.flatnonzero(mask)
    count = np.bincount(b[idx], minlength=m).astype(float)
    t0 = np.full(m, np.nan)
    t1 = np.full(m, np.nan)
    bins_of = b[idx]
    first = np.flatnonzero(np.diff(np.concatenate(([-1], bins_of))) != 0)
    last = np.append(first[1:], len(idx)) - 1
    t0[bins_of[first]] = t[idx[first]]
    t1[bins_of[last]] = t[idx[last]]
    return count, t0, t1


class SampleStage:
    """Turns blocks of samples into complete :class:`BinBatch` es.

    ``oor_lo``/``oor_hi`` (one per row) bound the physically possible values.
    """

    def __init__(self, layout: Layout, oor_lo: np.ndarray, oor_hi: np.ndarray, shift: float = 0.0):
        """``shift``: the bins' edges moved this fraction of a bin later, the samples
        before the first edge left out (0: the first bin starts at the log's first
        sample; 0.5 with bins of two samples: bins that end at the other samples, none
        partial, see :mod:`.detector`, "A decision at every sample")."""
        self.layout = layout
        self.shift = shift
        self.oor_lo = np.asarray(oor_lo, float)
        self.oor_hi = np.asarray(oor_hi, float)
        c = layout.n_rows
        self.bin_s: float | None = None
        self.dt_ref_s: float | None = None
        self.gap_s: float | None = None
        self.anchor: float | None = None
        self._pend_t = np.empty(0)
        self._pend_y = np.empty((c, 0), dtype=SAMPLE_DTYPE)
        self._pend_step = np.empty(0)
        self._prev = np.full(c, np.nan, dtype=SAMPLE_DTYPE)
        self._prev_d = np.full(c, np.nan, dtype=SAMPLE_DTYPE)
        self._robust = layout.robust_rows
        self._resolution = Resolution(c)
        self._prev_q2 = np.full((len(self._robust), 2), np.nan, dtype=SAMPLE_DTYPE)
        self._bufs: dict[str, np.ndarray] = {}
        self._prev_t = np.nan
        self._prev_step = np.nan
        self._prev_step_changed = False
        self._reach_left = 0  # samples of the next chunk within a step change's reach
        self._gaps = GapRule()

    # --- feeding -----------------------------------------------------------
    def bin_index(self, t: float) -> int:
        """The bin of a sample at time ``t`` (once the timing is known)."""
        return int(np.floor((t - self.anchor) / self.bin_s))

    def open_bin(self) -> int | None:
        """The bin of the samples waiting for their bin to complete (None: none wait)."""
        if self.bin_s is None or not len(self._pend_t):
            return None
        return self.bin_index(float(self._pend_t[-1]))

    def push(self, block, start: int, stop: int, step: np.ndarray) -> list[BinBatch]:
        """Add samples ``start:stop`` of ``block`` (``step``: their step index); return
        the bins they complete."""
        p = len(self._pend_t)
        # the layout's rows written once, after the pending samples, into a work
        # array (read only during this call: what is kept is copied)
        y = self._buffer("y", self.layout.n_rows, p + stop - start)
        y[:, :p] = self._pend_y
        self.layout.matrix(block, start, stop, out=y[:, p:])
        t = np.concatenate((self._pend_t, block[schema.TIME][start:stop]))
        step = np.concatenate((self._pend_step, step))
        timed = np.isfinite(t)
        if not timed.all():  # a sample with no time belongs to no bin: left out
            t, y, step = t[timed], y[:, timed], step[timed]
        return self._run(t, y, step, final=False)

    def flush(self) -> list[BinBatch]:
        """Complete the pending bin (end of a log)."""
        return self._run(self._pend_t, self._pend_y, self._pend_step, final=True)

    def _run(self, t, y, step, final: bool) -> list[BinBatch]:
        if self.bin_s is None:
            if len(t) <= DT_REF_INTERVALS and not final:
                self._keep(t, y, step)
                return []
            if not len(t):
                return []
            self._init_timing(t)
            if self.shift:  # (the samples before the first bin's edge: in no bin)
                later = np.floor((t - self.anchor) / self.bin_s) >= 0
                t, y, step = t[later], y[:, later], step[later]
        if not len(t):
            return []
        g = np.floor((t - self.anchor) / self.bin_s).astype(np.int64)
        k = len(t) if final else int(np.searchsorted(g, g[-1], side="left"))
        out = []
        start = 0
        while start < k:
            stop = k if k - start <= CHUNK_MAX else start + CHUNK
            if stop < k:
                # end the chunk on a bin boundary so that no bin is split
                cut = int(np.searchsorted(g[start:k], g[stop], side="left")) + start
                if cut == start:  # one bin longer than a chunk: keep it whole
                    cut = int(np.searchsorted(g[start:k], g[stop], side="right")) + start
                stop = cut
            out.append(
                self._process(t[start:stop], y[:, start:stop], step[start:stop], g[start:stop])
            )
            start = stop
        self._keep(t[k:], y[:, k:], step[k:])
        return out

    def _keep(self, t, y, step) -> None:
        self._pend_t, self._pend_y, self._pend_step = t.copy(), y.copy(), step.copy()

    def _init_timing(self, t: np.ndarray) -> None:
        dt = np.diff(t[: DT_REF_INTERVALS + 1])
        dt = dt[dt > 0]
        self.dt_ref_s = float(np.median(dt)) if len(dt) else 1.0
        self.bin_s = max(BIN_S, 2.0 * self.dt_ref_s)
        self._gaps.start(self.dt_ref_s)
        self.gap_s = self._gaps.gap_s
        self.anchor = float(t[0]) + self.shift * self.bin_s

    # --- one chunk of complete bins ------------------------------------------
    def _buffer(self, name: str, rows: int, n: int) -> np.ndarray:
        """A reusable work array (rows, n): fresh arrays of this size cost page faults."""
        buf = self._bufs.get(name)
        if buf is None or buf.shape[0] < rows or buf.shape[1] < n:
            rows_ = max(rows, buf.shape[0] if buf is not None else 0)
            buf = np.empty((rows_, max(n, CHUNK_MAX + 2)), dtype=SAMPLE_DTYPE)
            self._bufs[name] = buf
        return buf[:rows, :n]

    def _step_reach(self, sc: np.ndarray, b: np.ndarray, m: int) -> np.ndarray:
        """Per bin, whether a sample of it is a step's first (``sc``) or one of the
        ``STEP_REACH_SAMPLES`` after one (the previous chunk's changes too)."""
        n = len(sc)
        reach = sc.copy()
        for k in range(1, STEP_REACH_SAMPLES + 1):
            reach[k:] |= sc[: n - k]
        reach[: self._reach_left] = True
        changes = np.flatnonzero(sc)
        if len(changes):
            self._reach_left = max(0, STEP_REACH_SAMPLES - (n - 1 - int(changes[-1])))
        else:
            self._reach_left = max(0, self._reach_left - n)
        return np.bincount(b, weights=reach, minlength=m) > 0

    def _time_gaps(self, t: np.ndarray, step_changed: np.ndarray) -> list[tuple[float, float]]:
        """The time gaps (last sample before, first sample after) among ``t``
        (:class:`~app.diagnostics.time_gaps.GapRule`: the one rule of every part
        that judges gaps), an interval from a step's first sample never one."""
        dt = np.diff(np.concatenate(([self._prev_t], t)))
        step_edge = None
        if self._prev_step_changed or step_changed[:-1].any():
            step_edge = near_step_starts(step_changed, self._prev_step_changed)
        gaps = self._gaps.find(dt, step_edge)
        if not len(gaps):
            return []
        prev_times = np.concatenate(([self._prev_t], t[:-1]))
        return [(float(prev_times[i]), float(t[i])) for i in gaps.tolist()]

    @staticmethod
    def _plain_sum(bsum: _BinSummer, q: np.ndarray, nsamp: np.ndarray):
        """Per-bin sum of the finite values of ``q`` and their count."""
        fin = np.isfinite(q)
        if fin.all():
            return bsum.row(q), nsamp.copy()
        return bsum.row(np.where(fin, q, 0.0)), bsum.row(fin.astype(float))

    def _differences(self, y: np.ndarray, a: int, b: int):
        """First differences ``d``, second differences ``d2`` and their squares of rows
        ``a:b`` of ``y`` (the previous call's last values in front), in work arrays;
        the squares at ``q2p[:, 2:]`` (two columns in front for :meth:`_robust_min`)."""
        k, n = b - a, y.shape[1]
        d = self._buffer("d", k, n)
        d2 = self._buffer("d2", k, n)
        q2p = self._buffer("q2", k, n + 2)
        np.subtract(y[a:b, 0], self._prev[a:b], out=d[:, 0])
        np.subtract(y[a:b, 1:], y[a:b, :-1], out=d[:, 1:])
        np.subtract(d[:, 0], self._prev_d[a:b], out=d2[:, 0])
        np.subtract(d[:, 1:], d[:, :-1], out=d2[:, 1:])
        np.multiply(d2, d2, out=q2p[:, 2:])
        return d, d2, q2p

    def _changes(
        self, y: np.ndarray, rows: np.ndarray, bsum: _BinSummer, finite: bool = False
    ) -> np.ndarray:
        """Per bin, the number of non-zero first differences of channel rows ``rows`` of
        ``y`` between finite samples (the previous call's last value in front): a
        reading quantised by q changes by a multiple of q each time, so its squared
        first differences per change are q² where every change is one step (see
        :mod:`.resolution`). Exact counts, whatever the split. ``finite``: every value
        of ``y`` and the previous call's last ones is finite and within
        :data:`_SUMS_FINITE_WITHIN` (see :meth:`_within_bounds`), so a difference is 0
        exactly where two values are equal: the values compared, no differences taken."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros((0, bsum.m))
        yr = y[as_slice(rows)] if finite else y[rows]  # (a view of consecutive rows)
        if finite:
            moved = np.empty(yr.shape, dtype=bool)
            np.not_equal(yr[:, 0], self._prev[rows], out=moved[:, 0])
            np.not_equal(yr[:, 1:], yr[:, :-1], out=moved[:, 1:])
        else:
            d = np.empty(yr.shape, dtype=yr.dtype)
            with np.errstate(invalid="ignore"):  # (inf - inf: not finite, not a change)
                np.subtract(yr[:, 0], self._prev[rows], out=d[:, 0])
                np.subtract(yr[:, 1:], yr[:, :-1], out=d[:, 1:])
                moved = (d != 0) & np.isfinite(d)
        k, m = bsum.k, bsum.m
        if 0 < k < 256 and len(rows) * m > _ACCUMULATE_MAX:
            # regular bins: counted in bytes by k strided adds (small integers: the
            # same counts as the float sums)
            u = moved.view(np.uint8)
            count = u[:, 0 : k * m : k].copy()
            for j in range(1, k):
                count += u[:, j : k * m : k]
            return count.astype(np.float64)
        return bsum(moved.astype(np.float32))

    def _robust_squares(self, y: np.ndarray, r: int) -> np.ndarray:
        """The squared second differences of channel row ``r`` as summed into ``s2m``
        (step-robust for :attr:`Layout.robust_rows`), computed again from ``y``."""
        q2p = self._differences(y, r, r + 1)[2]
        self._robust_min(q2p, r, self._prev_q2.copy())
        return q2p[0, 2:]

    def _add_to_extra(self, extra: np.ndarray, d2: np.ndarray, a: int, b: int) -> None:
        """Keep the pack voltage's second differences (``extra[0]``) and add the cells'
        of rows ``a:b`` to their sum (``extra[1]``), cell by cell in row order (sums
        must not depend on the block size)."""
        lay = self.layout
        if a <= lay.i_v < b:
            extra[0] = d2[lay.i_v - a]
        for r in lay.cells_v[(lay.cells_v >= a) & (lay.cells_v < b)]:
            if r == lay.cells_v[0]:
                extra[1] = d2[r - a]
            else:
                extra[1] += d2[r - a]

    def _extra_squares(self, extra: np.ndarray) -> np.ndarray:
        """The extra rows' second differences (the mean of the cells', the pack
        voltage's less the cells' sum) from ``extra``, squared into a work array laid
        out as :meth:`_differences`' (two columns in front)."""
        lay, n = self.layout, extra.shape[1]
        d2 = self._buffer("d2x", 2, n)
        np.multiply(extra[1], 1.0 / len(lay.cells_v), out=d2[0])
        np.subtract(extra[0], extra[1], out=d2[1])
        q2p = self._buffer("q2x", 2, n + 2)  # (kept for the rows with NaN)
        np.multiply(d2, d2, out=q2p[:, 2:])
        return q2p

    def _robust_min(self, q2p: np.ndarray, a: int, next_q2: np.ndarray) -> None:
        """Squares ``q2p[:, 2:]`` of rows ``a, a + 1, ...`` (channels, then extra rows) to
        the minimum over 3 consecutive ones on :attr:`Layout.robust_rows`, the previous
        call's last two in front of each row; their last two raw squares into ``next_q2``.

        An isolated step gives two large d2 of opposite signs in a row: the minimum
        over 3 consecutive d2² drops it, while white noise keeps a known fraction of
        its energy (common.C2_MIN)."""
        rr = self._robust
        lo, hi = np.searchsorted(rr, [a, a + len(q2p)])
        if lo == hi:
            return
        js = np.arange(lo, hi)
        rows = rr[js] - a
        if q2p.shape[1] - 2 < _ROWWISE_MIN:  # (a live block: a few calls for all rows)
            q2p[rows, :2] = self._prev_q2[js]
            q2r = q2p[rows]
            next_q2[js] = q2r[:, -2:]
            m2 = np.minimum(q2r[:, 2:], q2r[:, 1:-1])
            np.minimum(m2, q2r[:, :-2], out=m2)
            q2p[rows, 2:] = m2
            return
        m2 = self._buffer("m2", 1, q2p.shape[1] - 2)[0]
        for j, r in zip(js, rows, strict=True):  # row by row: no gathered copy
            row = q2p[r]
            row[:2] = self._prev_q2[j]
            np.minimum(row[2:], row[1:-1], out=m2)
            np.minimum(m2, row[:-2], out=m2)
            next_q2[j] = row[-2:]
            row[2:] = m2

    def _rows_by_time(self, y: np.ndarray, bsum: _BinSummer, nsamp: np.ndarray) -> _RowSums:
        """The per-sample sums of a chunk, a block of rows at a time (their work arrays stay
        in cache): sums of the values and of the squared first differences, then the
        second differences, squared, step-robust where it applies (see _robust_min), and
        their sums. The extra rows are made of the channels' second differences after
        the last block."""
        lay = self.layout
        c, n = y.shape
        rs = _RowSums.empty(c, c + lay.noise_extra, bsum.m, y.dtype, self._prev_q2)
        lone = self._lone_sums(rs, bsum.m)
        extra = self._buffer("extra", 2, n) if lay.noise_extra else None  # pack V, the cells' sum
        # the current's and the load reference's second differences (for their products)
        d2cur, d2ref = self._buffer("d2cur", 2, n)
        size = c if n < _ROWWISE_MIN else _ROW_BLOCK  # (a live block: one block)
        for a in range(0, c, size):
            b_ = min(c, a + size)
            d, d2, q2p = self._differences(y, a, b_)
            rs.last_d[a:b_] = d[:, -1]
            rs.s1[a:b_] = bsum(y[a:b_])
            rs.sdd[a:b_] = bsum.squares(d)
            rs.extremes(y, a, b_)
            if extra is not None:
                self._add_to_extra(extra, d2, a, b_)
            q2 = q2p[:, 2:]
            if a <= lay.i_i < b_:
                rs.s2cur, rs.n2cur = self._plain_sum(bsum, q2[lay.i_i - a], nsamp)
                d2cur[:] = d2[lay.i_i - a]
            if extra is None and a <= lay.i_v < b_:  # (no cells: the pack voltage)
                rs.s2ref, rs.n2ref = self._plain_sum(bsum, q2[lay.i_v - a], nsamp)
                d2ref[:] = d2[lay.i_v - a]
            for j in np.flatnonzero((lone >= a) & (lone < b_)):  # (before the minimum)
                rs.s2lone[j], rs.n2lone[j] = self._plain_sum(bsum, q2[lone[j] - a], nsamp)
            self._robust_min(q2p, a, rs.next_q2)
            rs.s2m[a:b_] = bsum(q2)
        if extra is not None:
            np.multiply(extra[1], 1.0 / len(lay.cells_v), out=d2ref)  # (as _extra_squares)
            q2p = self._extra_squares(extra)
            rs.s2ref, rs.n2ref = self._plain_sum(bsum, q2p[0, 2:], nsamp)
            self._robust_min(q2p, c, rs.next_q2)
            rs.s2m[c:] = bsum(q2p[:, 2:])
            # (they stay in their buffer for the rows with NaN)
            rs.extra_squares = lambda j: q2p[j, 2:]
        np.multiply(d2cur, d2ref, out=d2cur)
        rs.s2x, rs.n2x = self._plain_sum(bsum, d2cur, nsamp)
        return rs

    def _rows_by_phase(self, y: np.ndarray, bsum: _BinSummer, nsamp: np.ndarray) -> _RowSums:
        """:meth:`_rows_by_time` of a regular chunk (``k`` samples a bin), each block of
        rows laid out by phase (see :mod:`.phases`): the same operations on the same
        values, added in the same order, with no strided sums (the same bits)."""
        lay = self.layout
        c, n = y.shape
        k, m = bsum.k, bsum.m
        rs = _RowSums.empty(c, c + lay.noise_extra, m, y.dtype, self._prev_q2)
        lone = self._lone_sums(rs, m)
        size = _ROW_BLOCK
        yp, pa, pb = (self._phases(name, size, k, m) for name in ("yp", "pa", "pb"))
        acc = self._buffer("acc", max(size, 2), m)
        extra = self._phases("px", 2, k, m) if lay.noise_extra else None  # as in _rows_by_time
        pcur = self._phases("pcur", 2, k, m)  # the current's and the reference's d2
        for a in range(0, c, size):
            b_ = min(c, a + size)
            r = b_ - a
            ya, da, qa = yp[:r], pa[:r], pb[:r]
            to_phases(y[a:b_], k, ya)
            phase_sums(ya, acc[:r], rs.s1[a:b_])
            rs.extremes(y, a, b_)
            with_shifted(np.subtract, ya, ya, self._prev[a:b_, None], 1, da)  # d
            rs.last_d[a:b_] = da[:, -1, -1]
            np.multiply(da, da, out=qa)
            phase_sums(qa, acc[:r], rs.sdd[a:b_])
            with_shifted(np.subtract, da, da, self._prev_d[a:b_, None], 1, qa)  # d2
            if extra is not None:
                self._add_to_extra(extra, qa, a, b_)
            if a <= lay.i_i < b_:
                pcur[0] = qa[lay.i_i - a]
            if extra is None and a <= lay.i_v < b_:
                pcur[1] = qa[lay.i_v - a]
            np.multiply(qa, qa, out=qa)
            if a <= lay.i_i < b_:
                rs.s2cur, rs.n2cur = _phase_plain_sum(qa[lay.i_i - a], nsamp)
            if extra is None and a <= lay.i_v < b_:  # (no cells: the pack voltage)
                rs.s2ref, rs.n2ref = _phase_plain_sum(qa[lay.i_v - a], nsamp)
            for j in np.flatnonzero((lone >= a) & (lone < b_)):  # (before the minimum)
                rs.s2lone[j], rs.n2lone[j] = _phase_plain_sum(qa[lone[j] - a], nsamp)
            phase_sums(self._phase_robust_min(qa, a, da, rs.next_q2), acc[:r], rs.s2m[a:b_])
        if extra is not None:
            xq, xm = self._phases("pxq", 2, k, m), self._phases("pxm", 2, k, m)
            np.multiply(extra[1], 1.0 / len(lay.cells_v), out=xq[0])
            pcur[1] = xq[0]
            np.subtract(extra[0], extra[1], out=xq[1])
            np.multiply(xq, xq, out=xq)
            rs.s2ref, rs.n2ref = _phase_plain_sum(xq[0], nsamp)
            phase_sums(self._phase_robust_min(xq, c, xm, rs.next_q2), acc[:2], rs.s2m[c:])
            rs.extra_squares = lambda j: to_time(xm[j : j + 1])[0]
        np.multiply(pcur[0], pcur[1], out=pcur[0])
        rs.s2x, rs.n2x = _phase_plain_sum(pcur[0], nsamp)
        return rs

    def _lone_sums(self, rs: _RowSums, m: int) -> np.ndarray:
        """The lone cells' rows (see ``Layout.lone_cells_v``), their plain sums' arrays
        made in ``rs``."""
        lone = self.layout.lone_cells_v
        rs.s2lone = np.empty((len(lone), m))
        rs.n2lone = np.empty((len(lone), m))
        return lone

    def _phase_robust_min(self, q: np.ndarray, a: int, work: np.ndarray, next_q2) -> np.ndarray:
        """:meth:`_robust_min` of squares ``q`` (rows ``a, a + 1, ...``, phase layout):
        the rows as summed into ``s2m``, the robust ones' minima in ``work``; ``q`` and
        the rows of ``work`` that are not robust are left as they are."""
        rr = self._robust
        lo, hi = np.searchsorted(rr, [a, a + len(q)])
        if lo == hi:
            return q
        for j in range(lo, hi):
            r = int(rr[j]) - a
            qr, wr = q[r : r + 1], work[r : r + 1]
            before = self._prev_q2[j][None, :]  # the chunk's previous two squares
            next_q2[j] = qr[0, -2:, -1]
            with_shifted(np.minimum, qr, qr, before[:, 1:], 1, wr)
            with_shifted(np.minimum, wr, qr, before, 2, wr)
        if hi - lo == len(q):
            return work[: len(q)]
        for r in rr[lo:hi] - a:  # (a block of robust and other rows: the minima in q)
            q[r] = work[r]
        return q

    def _within_bounds(self, hi: np.ndarray, lo: np.ndarray) -> bool:
        """Whether every sum of the chunk is finite for sure: every value within +-B
        (:data:`_SUMS_FINITE_WITHIN`; ``hi``, ``lo``: each row's greatest and least, NaN
        fails), and so the previous chunk's last value, its last first difference
        within twice that, and its last squared second differences not NaN (a minimum
        with them is at most the new square). Then first differences are within 2 B,
        second ones 4 B, the extra rows' within (1 + cells) 4 B, and a bin's sum of
        squares under (1 + cells)^2 16 B^2 = (1 + cells)^2 1.6e19 per sample, far below
        float32's 3.4e38."""
        b = _SUMS_FINITE_WITHIN
        with np.errstate(invalid="ignore"):
            return bool(
                np.all(hi <= b)
                and np.all(lo >= -b)
                and np.all(np.abs(self._prev) <= b)
                and np.all(np.abs(self._prev_d) <= 2.0 * b)
                and not np.isnan(self._prev_q2).any()
            )

    def _phases(self, name: str, rows: int, k: int, m: int) -> np.ndarray:
        """A reusable contiguous (rows, k, m) work array in phase layout (contents undefined)."""
        key = "phases " + name
        buf = self._bufs.get(key)
        if buf is None or buf.size < rows * k * m:
            buf = self._bufs[key] = np.empty(rows * k * m, dtype=SAMPLE_DTYPE)
        return buf[: rows * k * m].reshape(rows, k, m)

    def _process(self, t, y, step, g) -> BinBatch:
        c, n = y.shape
        change = np.empty(n, dtype=bool)
        change[0] = True
        np.not_equal(g[1:], g[:-1], out=change[1:])
        starts = np.flatnonzero(change)
        b = np.cumsum(change) - 1
        m = len(starts)
        ends = np.append(starts[1:], n)
        nsamp = (ends - starts).astype(float)
        bsum = _BinSummer(b, starts, n)

        if bsum.k >= _PHASE_MIN_K and bsum.m >= _PHASE_MIN_BINS:
            rs = self._rows_by_phase(y, bsum, nsamp)
        else:
            rs = self._rows_by_time(y, bsum, nsamp)
        s1, sdd, s2m, hi, lo = rs.s1, rs.sdd, rs.s2m, rs.hi, rs.lo
        s2ref, n2ref, s2cur, n2cur = rs.s2ref, rs.n2ref, rs.s2cur, rs.n2cur
        s2x, n2x = rs.s2x, rs.n2x
        cx = len(s2m)
        # counts: every sample of every row unless a row has NaN (a shared read-only
        # view then; arrays only for a chunk with bad rows, see below)
        cnt = nd = np.broadcast_to(nsamp, (c, m))
        n2 = np.broadcast_to(nsamp, (cx, m))

        nnan = noor = np.broadcast_to(0.0, (c, m))
        nan_t0 = nan_t1 = oor_worst = np.broadcast_to(np.nan, (c, m))
        # Rows with NaN (or inf) anywhere: redo their sums over the finite values only.
        # (a row sums to a finite value exactly when all its bins are finite: the bin
        # sums of float32 samples are far below float64's overflow)
        # (none when every value, and what the chunk carries over, is within
        # :data:`_SUMS_FINITE_WITHIN`: then no sum can overflow)
        # (a live block's few sums are cheaper to look at than the bounds)
        bounded = n >= _ROWWISE_MIN and self._within_bounds(rs.hi, rs.lo)
        bad_rows = (
            _NONE if bounded else np.flatnonzero(~np.isfinite(s1.sum(axis=1) + sdd.sum(axis=1)))
        )
        if len(bad_rows):
            cnt, nd = _rows_of(nsamp, c), _rows_of(nsamp, c)
            nnan = np.zeros((c, m))
            nan_t0 = np.full((c, m), np.nan)
            nan_t1 = np.full((c, m), np.nan)
        # the samples in which no channel has a value: the logger's, not each channel's
        blank = np.isnan(y).all(axis=0) if len(bad_rows) == c else None
        nblank, blank_t0, blank_t1 = _occurrences(blank, b, t, m)
        if not nblank.any():
            blank = None
        for r in bad_rows:
            fin = np.isfinite(y[r])
            s1[r] = bsum.row(np.where(fin, y[r], 0.0))
            cnt[r] = bsum.row(fin.astype(float))
            d = self._differences(y, r, r + 1)[0][0]
            fd = np.isfinite(d)
            sdd[r] = bsum.row(np.where(fd, d * d, 0.0))
            nd[r] = bsum.row(fd.astype(float))
            isnan = np.isnan(y[r])
            if blank is not None:
                isnan &= ~blank
            if isnan.any():
                nnan[r], nan_t0[r], nan_t1[r] = _occurrences(isnan, b, t, m)

        bad_rows = _NONE if bounded else np.flatnonzero(~np.isfinite(s2m.sum(axis=1)))
        if len(bad_rows):
            n2 = _rows_of(nsamp, cx)
        for r in bad_rows:
            q2 = self._robust_squares(y, r) if r < c else rs.extra_squares(r - c)
            f2 = np.isfinite(q2)
            s2m[r] = bsum.row(np.where(f2, q2, 0.0))
            n2[r] = bsum.row(f2.astype(float))

        with np.errstate(invalid="ignore"):
            nan = np.isnan(hi) | np.isnan(lo)
            if nan.any():  # NaN propagates through max/min: redo those rows without it
                hi[nan] = np.fmax.reduce(y[nan], axis=1)
                lo[nan] = np.fmin.reduce(y[nan], axis=1)
            rows = np.flatnonzero((hi > self.oor_hi) | (lo < self.oor_lo))
            if len(rows):
                noor = np.zeros((c, m))
                oor_worst = np.full((c, m), np.nan)
            for r in rows:
                over = y[r] > self.oor_hi[r]
                under = y[r] < self.oor_lo[r]
                idx = np.flatnonzero(over | under)
                noor[r] = np.bincount(b[idx], minlength=m)
                excess = np.where(over[idx], y[r, idx] - self.oor_hi[r], self.oor_lo[r] - y[r, idx])
                # worst per bin: sort by (bin, excess) and take the last of each bin
                order = np.lexsort((excess, b[idx]))
                bins_sorted = b[idx][order]
                last = np.flatnonzero(np.diff(np.append(bins_sorted, -1)) != 0)
                oor_worst[r, bins_sorted[last]] = y[r, idx[order[last]]]

        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s1 / cnt
        q2_bound, q2 = self._resolution.push(
            sdd, nd, s2m[:c], n2[:c], mean, lambda rows: self._changes(y, rows, bsum, bounded)
        )
        if np.isnan(self._prev_step) and np.isnan(step).all():
            # (no step index, the usual log: NaN after NaN is no change)
            sc = np.zeros(n, dtype=bool)
            step_changed = np.zeros(m, dtype=bool)
            step_reach = step_changed
        else:
            sc = np.empty(n, dtype=bool)
            prev_step = np.concatenate(([self._prev_step], step[:-1]))
            with np.errstate(invalid="ignore"):
                np.not_equal(step, prev_step, out=sc)
            sc &= ~(np.isnan(step) & np.isnan(prev_step))
            step_changed = np.bincount(b, weights=sc, minlength=m) > 0
            step_reach = self._step_reach(sc, b, m)
        gaps = self._time_gaps(t, sc)

        self._prev = y[:, -1].copy()
        self._prev_d[:] = rs.last_d
        self._prev_q2 = rs.next_q2
        self._prev_t = float(t[-1])
        self._prev_step = float(step[-1])
        self._prev_step_changed = bool(sc[-1])
        return BinBatch(
            t0=t[starts],
            t1=t[ends - 1],
            n=nsamp,
            cnt=cnt,
            mean=mean,
            nd=nd,
            sdd=sdd,
            n2=n2,
            s2m=s2m,
            n2ref=n2ref,
            s2ref=s2ref,
            n2cur=n2cur,
            s2cur=s2cur,
            n2x=n2x,
            s2x=s2x,
            s2lone=rs.s2lone,
            n2lone=rs.n2lone,
            nnan=nnan,
            nan_t0=nan_t0,
            nan_t1=nan_t1,
            nblank=nblank,
            blank_t0=blank_t0,
            blank_t1=blank_t1,
            noor=noor,
            oor_worst=oor_worst,
            step_first=step[starts].copy(),
            step_changed=step_changed,
            step_reach=step_reach,
            gaps=gaps,
            q2_bound=q2_bound,
            q2=q2,
            index=g[starts],
            samples=y,
            starts=starts,
            k=bsum.k,
        )
