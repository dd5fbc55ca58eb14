"""The cells' temperature reference -- their median, which the runaway-onset
(:mod:`.thermal`) and the short's heat (:mod:`.short`) tests measure each cell's
excess against -- with a noisy sensor kept out of it.

A cell temperature sensor turning noisy (sigma 5 degC) reads anywhere in a bin: the
median of 4 cells then takes the middle two of the other three cells, or the upper
two, or the lower two, from bin to bin. Every other cell's excess jitters by the
spread of its neighbours and steps by a share of it (the median of all four before
the onset, the mean of those choices after): the short test, fitted over 40 min
before, read the step as 0.2-0.3 K of excess heat in the healthy cells, and the
onset test read the jitter as a rise (``bench_faults.py --parts detection --first-seed
60 --seeds 50 --chem nmc --onsets 2000 3000 --profiles cycle cc --cases "sensor_noisy
cell_3_temp_c"``: 25 of 200 runs with a short or an onset alarm on another cell).

A bin whose own white noise (its second differences) is above the noisy-sensor floor
(:data:`.sensors.NOISE_FLOOR_T_C`, far above a healthy sensor's) is no reading of its
cell: there the reference takes the cell's place as it was, the median of the other
(quiet) cells plus the cell's offset from it, the mean over its last
``OFFSET_BINS`` quiet bins. Dropping it instead would move the reference too (from the
median of four to that of three). A cell's temperature moves against its neighbours
slowly (its share of the load's heat), and a noisy sensor is itself reported.
A bin's noise is read from its few second differences: one of a noisy sensor's
bins in ~20 reads under the floor, and its reading (a bin mean 2 degC off) moved the
reference at the end of the onset test's window (a runaway-onset alarm on another
cell, 1 of 200 of those runs). So a sensor stays out for the noisy-sensor test's
window (``NOISE_WINDOW_S``) after its last loud bin.
"""

from __future__ import annotations

import numpy as np

from app.diagnostics.faults.bins import BinBatch, median_of_others, median_rows
from app.diagnostics.faults.common import as_slice, bins_for, nonzero2, white_noise_var
from app.diagnostics.faults.sensors import MIN_GROUP, NOISE_FLOOR_T_C, NOISE_WINDOW_S

#: A noisy cell's place in the reference: its mean offset from the median of the
#: others over this many of its last quiet bins (2 min of 5 s bins: a bin mean of
#: 0.3 degC noise, 0.13 K, averaged to ~0.03 K).
OFFSET_BINS = 24


def shared_reference(rows: np.ndarray, bin_s: float, pool: dict | None) -> TemperatureReference:
    """The reference of temperature ``rows`` from ``pool`` (a detector's families that
    read the same rows share one: it is fed each batch once), made there if new; a
    reference of its own without a pool."""
    if pool is None:
        return TemperatureReference(rows, bin_s)
    key = (np.asarray(rows, dtype=np.int64).tobytes(), float(bin_s))
    ref = pool.get(key)
    if ref is None:
        ref = pool[key] = TemperatureReference(rows, bin_s)
    return ref


class TemperatureReference:
    """The median of the bin means of temperature ``rows``, a bin read by a noisy sensor
    replaced by its cell's place (see the module doc). The last quiet offsets of each
    row are carried to the next batch (exact, whatever the split)."""

    def __init__(self, rows: np.ndarray, bin_s: float):
        self.rows = np.asarray(rows, dtype=np.int64)
        self._at = as_slice(self.rows)  # (consecutive rows: read as a view)
        # a sensor stays out for this many bins after a loud one
        self._hold = bins_for(NOISE_WINDOW_S, bin_s, 2) - 1
        self._recent = np.zeros((len(self.rows), self._hold), dtype=bool)  # loud, last bins
        # each row's last OFFSET_BINS quiet offsets, oldest first (NaN: none yet), and
        # the last bin means not yet taken into them (quiet batches: their offsets are
        # only needed once a sensor turns loud)
        self._last = np.full((len(self.rows), OFFSET_BINS), np.nan)
        self._pending = np.empty((len(self.rows), 0))

    def median(self, bb: BinBatch) -> np.ndarray:
        """The reference of each bin of ``bb`` (computed once per batch: the families
        sharing this reference read the same array; read-only)."""
        return self._both(bb)[0]

    def filled(self, bb: BinBatch) -> np.ndarray:
        """The rows' bin means the reference is the median of: a noisy sensor's bins in
        its cell's place (read-only)."""
        return self._both(bb)[1]

    def _both(self, bb: BinBatch) -> tuple[np.ndarray, np.ndarray]:
        return bb.memo(("temperature reference", id(self)), lambda: self._median(bb))

    def _median(self, bb: BinBatch) -> tuple[np.ndarray, np.ndarray]:
        rows = self.rows
        if len(rows) < MIN_GROUP:
            return bb.median(rows), bb.mean[self._at]
        with np.errstate(invalid="ignore", divide="ignore"):
            # (counts that are one row for every channel, see BinBatch: that row)
            n2 = bb.n2[:1] if bb.n2.strides[0] == 0 else bb.n2[self._at]
            loud_bin = white_noise_var(bb.s2m[self._at], n2) > NOISE_FLOOR_T_C**2
        h, m = self._hold, bb.m
        flags = np.concatenate((self._recent, loud_bin), axis=1)
        self._recent = flags[:, m:]
        if not flags.any():  # (the usual batch: its last bins kept as they are)
            # (only the last OFFSET_BINS bins can stay pending: no copy of the others)
            tail = bb.mean[rows, max(0, m - OFFSET_BINS) :]
            pending = np.concatenate((self._pending, tail), axis=1)
            self._pending = pending[:, max(0, pending.shape[1] - OFFSET_BINS) :]
            return bb.median(rows), bb.mean[self._at]
        temp = bb.mean[rows]
        if self._pending.shape[1]:
            self._keep(self._pending - median_of_others(self._pending))
            self._pending = self._pending[:, :0]
        # loud: a loud bin among it and the h before (integer counts: exact)
        cs = np.concatenate((np.zeros((len(rows), 1)), np.cumsum(flags, axis=1)), axis=1)
        loud = cs[:, h + 1 :] - cs[:, :m] > 0
        quiet = np.where(loud, np.nan, temp)
        others = median_of_others(quiet)
        offsets = quiet - others
        filled = quiet.copy()
        for r in np.flatnonzero(loud.any(axis=1)):
            seen = np.concatenate((self._last[r], offsets[r]))
            valid = np.flatnonzero(np.isfinite(seen))
            for j in np.flatnonzero(loud[r]):
                last = valid[valid < OFFSET_BINS + j][-OFFSET_BINS:]
                if len(last):
                    filled[r, j] = others[r, j] + seen[last].mean()
        self._keep(offsets)
        return median_rows(filled), filled

    def _keep(self, offsets: np.ndarray) -> None:
        """Carry each row's last ``OFFSET_BINS`` finite offsets (of these and before)."""
        k = OFFSET_BINS
        seen = np.concatenate((self._last, offsets), axis=1)
        fin = np.isfinite(seen)
        # how many finite offsets each one is from the end (1: the last); integer counts
        from_end = np.cumsum(fin[:, ::-1], axis=1)[:, ::-1]
        rr, cc = nonzero2(fin & (from_end <= k))
        self._last = np.full((len(self.rows), k), np.nan)
        self._last[rr, k - from_end[rr, cc]] = seen[rr, cc]
