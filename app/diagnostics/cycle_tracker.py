"""The per-cycle table built live, and capacity fade and cycle life from it.

:class:`CycleTracker` labels each sample's cycle as it arrives (the cycler's
``cycle_index``, else from the current with the offline
:class:`~app.diagnostics.cycles.CycleDetector`, whose boundary is known only once
the half after it moved 5 % of the capacity: the kept samples from it on are
relabelled then) and keeps the samples of the cycles not yet final. A cycle's row is final once
the samples after it reach past its last pulse's read point
(:data:`~app.diagnostics.cycles.DCIR_READ_S`); it is then computed by
:func:`~app.diagnostics.cycles.cycle_rows` -- the code of the offline table --
on a window of samples that holds everything the row reads, with the cycler's
own counters where the stream carries them
(:func:`~app.diagnostics.cycler_counters.use_cycler_counters`: a counter's
increment needs only the sample before, kept in the window), so it has the same
numbers as :func:`~app.diagnostics.cycles.summarize_cycles` on the whole log
(``tests/diagnostics/test_live_counters.py``: real cycler files, BioLogic counts).
The counter columns are those of the first block.
The cycles not final yet are computed on demand as the end of the data, which
is what the offline table of the samples so far says about them.

:class:`LifetimeTracker` runs :func:`analyze_capacity_fade` and
:func:`estimate_cycle_life` on the usable cycles of that table (as ``run_suite``
does), again only when those cycles changed.

Limitation: a stream whose ``cycle_index`` column gets its first value after
cycles detected from the current were already final keeps those cycles (the
offline table would number the whole log by ``cycle_index``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.cycler_counters import COUNTER_COLUMNS, use_cycler_counters
from app.diagnostics.cycles import (
    CYCLE_COLUMNS,
    DCIR_READ_S,
    CycleDetector,
    add_net_discharge,
    current_threshold_a,
    cycle_rows,
    cycle_swing_ah,
)
from app.diagnostics.finite import nan_to_num
from app.diagnostics.partial_cycles import add_end_points, mark_partial_cycles
from app.diagnostics.pulse_detection import STEP_INDEX_RAMP, PulseSettings
from app.diagnostics.time_gaps import GapRule

if TYPE_CHECKING:
    import pandas as pd

#: samples kept before a cycle: its first pulse reads the settled level before it
HISTORY_SAMPLES = PulseSettings().settle_samples + 5
#: samples needed after a cycle besides the read time (a cycler step's ramp)
AFTER_SAMPLES = STEP_INDEX_RAMP + 3
_UNKNOWN = np.iinfo(np.int64).min  # cycle not known yet (before the first cycle_index)


class CycleTracker:
    """Incremental per-cycle table (the live twin of :func:`summarize_cycles`)."""

    columns: tuple[str, ...] = ()

    def __init__(self, spec: BatterySpec):
        self.spec = spec
        self.capacity_ah = spec.pack_capacity_ah
        self._thr = current_threshold_a(np.empty(0), self.capacity_ah)
        self._rows: list[dict] = []  # final rows
        self._chunks: dict[str, list[np.ndarray]] = {}
        self._first = 0  # global index of the first kept sample
        self._n = 0  # samples seen
        self._starts: list[int] = []  # global starts of the cycles not final
        self._from_index = False  # cycles from the cycle_index column
        self._label = _UNKNOWN  # cycle of the last sample
        self._detector = CycleDetector(self._thr, cycle_swing_ah(np.empty(0), self.capacity_ah))
        self._found = 0  # boundaries of the detector in self._starts
        self._has_temp = self._has_step = False
        self._counters: tuple[str, ...] = ()  # the cycler's counters the stream carries
        # time gaps (app.diagnostics.time_gaps): their charge is not counted
        self._gaps = GapRule()
        self._t_last = float("nan")

    # --- feeding -----------------------------------------------------------
    def update(self, block: SampleBlock) -> dict[str, np.ndarray]:
        """Take one block. Adds no derived columns."""
        m = len(block)
        if not m:
            return {}
        if not self._n:
            self._has_temp = schema.TEMPERATURE in block
            self._has_step = schema.STEP_INDEX in block
            self._counters = tuple(c for c in COUNTER_COLUMNS if c in block)
        i = nan_to_num(block[schema.CURRENT])
        labels = self._labels(block, i)
        cols = {
            "t": block[schema.TIME],
            "v": block[schema.VOLTAGE],
            "i": i,
            "cycle": labels,
        }
        if self._has_temp:
            cols["temp"] = _column(block, schema.TEMPERATURE)
        if self._has_step:
            cols["step"] = _column(block, schema.STEP_INDEX)
        for name in self._counters:
            cols[name] = _column(block, name)
        t = block[schema.TIME]
        dt = np.maximum(np.diff(t, prepend=t[0] if not self._n else self._t_last), 0.0)
        gap = np.zeros(m, dtype=bool)
        gap[self._gaps.judge(dt, block.get(schema.STEP_INDEX, None))] = True
        cols["gap"] = gap
        self._t_last = float(t[-1])
        for name, values in cols.items():
            self._chunks.setdefault(name, []).append(values)
        if not self._n:
            self._starts.append(0)
        if self._from_index:
            # cycle starts: a change of label (not from "unknown", which is filled backwards)
            prev = np.concatenate(([self._label if self._n else labels[0]], labels[:-1]))
            change = (labels != prev) & (prev != _UNKNOWN)
            self._starts += (np.flatnonzero(change) + self._n).tolist()
        else:
            self._starts += self._detector.boundaries[self._found :]
            self._found = len(self._detector.boundaries)
        self._label = int(labels[-1])
        self._n += m
        if len(self._starts) > 1:
            self._finish_ready()
        return {}

    def _labels(self, block: SampleBlock, i: np.ndarray) -> np.ndarray:
        index = block.get(schema.CYCLE_INDEX)
        if index is not None and not self._from_index and np.isfinite(index).any():
            self._switch_to_index()
        if self._from_index:
            known = np.isfinite(index) if index is not None else np.zeros(len(i), dtype=bool)
            at = np.maximum.accumulate(np.where(known, np.arange(len(i)), -1))
            labels = np.where(at >= 0, index[np.maximum(at, 0)] if index is not None else 0, np.nan)
            out = np.full(len(i), self._label, dtype=np.int64)
            have = np.isfinite(labels)
            out[have] = labels[have].astype(np.int64)
            if self._label == _UNKNOWN and have.any():
                self._fill_unknown(int(out[have][0]), out)
            return out
        # from the current (cycles.detect_cycles): a boundary found in this block can lie
        # in the samples kept from earlier ones, which then belong to the new cycle
        labels = self._detector.update(block[schema.TIME], i)
        for b in self._detector.boundaries[self._found :]:
            if b < self._n:
                self._window(self._first)["cycle"][b - self._first :] += 1
        return labels

    def _switch_to_index(self) -> None:
        """The first cycle_index value: cycles come from the column from now on,
        and the samples before it (not final) belong to its cycle."""
        self._from_index = True
        self._label = _UNKNOWN
        if self._n and len(self._starts) > 0:
            self._starts = self._starts[:1]
        self._fill_unknown(None, None)

    def _fill_unknown(self, label: int | None, block_labels: np.ndarray | None) -> None:
        kept = self._chunks.get("cycle", [])
        if label is None:  # mark the kept samples unknown until the first value
            self._chunks["cycle"] = [np.full(len(c), _UNKNOWN, dtype=np.int64) for c in kept]
            return
        self._chunks["cycle"] = [np.where(c == _UNKNOWN, label, c) for c in kept]
        if block_labels is not None:
            block_labels[block_labels == _UNKNOWN] = label

    # --- rows ----------------------------------------------------------------
    def _window(self, start: int) -> dict[str, np.ndarray]:
        """The kept samples from global index ``start`` on (joined into one chunk each)."""
        out = {}
        for name, chunks in self._chunks.items():
            joined = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
            self._chunks[name] = [joined]
            out[name] = joined[start - self._first :]
        return out

    def _finish_ready(self) -> None:
        """Make final the cycles whose last pulse has been read."""
        t = self._window(self._first)["t"]
        end = self._n
        ready = 0
        for b in self._starts[1:]:
            if end - b < AFTER_SAMPLES or not t[end - 2 - self._first] > t[b - 1 - self._first] + (
                DCIR_READ_S
            ):
                break
            ready += 1
        if not ready:
            return
        self._rows += self._compute(self._starts[: ready + 1], closed=True)
        self._starts = self._starts[ready:]
        # keep the samples from just before the first cycle not final
        keep = max(self._starts[0] - HISTORY_SAMPLES, self._first)
        for chunks in self._chunks.values():
            chunks[0] = chunks[0][keep - self._first :].copy()
        self._first = keep

    def _compute(self, starts: list[int], *, closed: bool) -> list[dict]:
        """Rows of the cycles from ``starts[0]``: each to the next start (``closed``: the
        last start only ends the one before it), the last to the end of the data."""
        origin = max(starts[0] - HISTORY_SAMPLES, self._first)
        w = self._window(origin)
        bounds = [s - origin for s in starts]
        if not closed:
            bounds.append(self._n - origin)
        segments = list(zip(bounds[:-1], bounds[1:], strict=True))
        rows = cycle_rows(
            w["t"],
            w["v"],
            w["i"],
            w.get("temp"),
            w.get("step"),
            w["cycle"],
            self.capacity_ah,
            segments,
            np.flatnonzero(w["gap"]),
        )
        use_cycler_counters(rows, {c: w[c] for c in self._counters}, segments)
        add_net_discharge(rows)
        return add_end_points(rows, w["v"], w["i"], segments)

    def rows(self) -> list[dict]:
        """Every cycle so far: the final rows and those of the cycles under way."""
        if not self._n:
            return []
        return mark_partial_cycles(self._rows + self._compute(self._starts, closed=False))

    def result(self) -> pd.DataFrame:
        """The table so far (the columns of :data:`CYCLE_COLUMNS`)."""
        import pandas as pd

        return pd.DataFrame(self.rows(), columns=list(CYCLE_COLUMNS))


def _column(block: SampleBlock, name: str) -> np.ndarray:
    values = block.get(name)
    return np.full(len(block), np.nan) if values is None else values


class LifetimeTracker:
    """Capacity fade and cycle life of a :class:`CycleTracker`'s table (the
    ``capacity_fade`` and ``cycle_life`` results of ``run_suite``), recomputed only
    when the usable cycles changed.

    ``reference_capacity_ah``: the capacity end of life is measured against (the
    user's, as ``run_suite``'s); None: the first cycles' capacity.
    """

    def __init__(
        self,
        spec: BatterySpec,
        cycles: CycleTracker,
        *,
        reference_capacity_ah: float | None = None,
    ):
        self.spec = spec
        self.cycles = cycles
        self.reference_capacity_ah = reference_capacity_ah
        self._usable: pd.DataFrame | None = None
        self._results: tuple[dict, dict] | None = None
        self.table_rows = 0  #: cycles in the table at the last :meth:`results`

    @staticmethod
    def prepare() -> None:
        """Import the fade and cycle-life models (scipy, pandas: ~1 s the first time),
        outside the live engine's lock so the acquisition thread never waits for it."""
        import app.diagnostics.suite  # noqa: F401

    def results(self) -> tuple[dict, dict]:
        """(capacity_fade, cycle_life), plain JSON."""
        from app.diagnostics.full_cycles import full_cycle_min_ah
        from app.diagnostics.suite import DEFAULT_EOL_FRACTION, lifetime_cycles, lifetime_results

        table = self.cycles.result()
        self.table_rows = len(table)
        min_ah = full_cycle_min_ah(self.reference_capacity_ah)
        usable = lifetime_cycles(table, measured_charge=True, min_capacity_ah=min_ah)
        # (no full cycle: the reason names the table's cycles, which change as it grows)
        if self._results is None or usable.empty or not usable.equals(self._usable):
            self._usable = usable
            self._results = lifetime_results(
                usable,
                self.spec,
                DEFAULT_EOL_FRACTION,
                self.reference_capacity_ah,
                measured=table,
                min_capacity_ah=min_ah,
            )
        return self._results
