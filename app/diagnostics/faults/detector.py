"""The fault detector: one incremental class for live and offline.

:class:`FaultDetector` takes blocks of samples in time order (the live engine
feeds it block by block; :func:`detect_faults` feeds it a whole log), turns them
into time bins (:mod:`.bins`) and runs the detector families on each batch of
complete bins. Its :meth:`~FaultDetector.result` post-processes the episodes of
all families (a fault that is only the echo of a sensor fault or of another
fault on the same channel is dropped) into a :class:`FaultsResult`.

Because every step either works on complete bins (whose sums do not depend on
how samples were split into blocks) or carries its state explicitly, the
detector gives identical faults whatever the block boundaries.

A decision at every sample. A slow log's bins hold two samples (a sample every 2.5 s or
more: bins of two sample periods), so a test decides once every two samples. The
runaway-onset test (:mod:`.thermal`) must find a 1 degC/min runaway within a minute, and
at a sample every 5 s its evidence needs 50-65 s of it to reach z 5: an onset at a bin's
start was decided at +55 s (z 3.9-4.8 on the late runs) and next at +65 s. So a slow log
is also cut into bins shifted by one sample (a second :class:`SampleStage`, its first
edge a sample after the log's first, so that no bin is partial: a first bin of one
sample, judged as a bin of two, raised an onset 45 s into a clean 16-cell NMC cycle),
and a second runaway test judges them, full windows only (the log's first two minutes,
the growing window's, are the main grid's alone): a decision at every sample. Of a
channel's overlapping onsets on the two grids the one confirmed first is kept, and a
live block that completes a shifted bin is judged then. Every other family, and a log of
bins of three samples or more (its shifted stage dropped before it bins a sample), is
unchanged. The threshold stays z 5. A decision per sample doubles the looks (two windows
5 s apart share 23 of their 24 samples, but the other conditions mostly hold in one of
them only: most clean windows over z 4 are single looks), and the clean slow logs'
windows (``benchmarks/trace_runaway_clean.py``: NMC and LFP, 8 and 16 cells, drive,
cycle and CC-CV, seeds 701-703, 24 h at 5 s) over z 4.5 went from 2 to 7, the largest
4.80 (held out, seeds 601-602 and 2-16 cells: 4.81) but for one noise excursion of seed
703's cell 2 at ~66,700 s that the old grid already took for an onset (z 5.31 on the
cycle); the new grid reads it at 5.29 on the drive too: one more false onset of the same
excursion, the price (figures in ``bench_clean_slow.py``). Only a z bound tuned to that
one excursion (5.30 on the new grid) would drop it; a bound adjusted for twice the looks
of independent normal noise is ~5.13. Latencies: ``benchmarks/trace_runaway.py`` (the
session 40 paragraph). Cost: a slow log's runaway test twice, and a second stage's
per-sample sums (callgrind, ``detect_faults`` of a 6 h 8-cell NMC cycle at 5 s a sample:
369M -> 583M instructions, +58 %: by a profile, two thirds the second test, half of that its
short-heat judge, a third the second stage). Logs of bins of three samples or more: a
2 h 16-cell NMC cycle at 1 Hz +3.0M (< 1 %, ``PYTHONHASHSEED=0``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.results import Severity
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.faults.bins import CHUNK, BinBatch, Layout, SampleStage
from app.diagnostics.faults.circuit import CircuitDetector
from app.diagnostics.faults.common import MERGE_GAP_S
from app.diagnostics.faults.episodes import Episode
from app.diagnostics.faults.float_runaway import FloatRunawayDetector
from app.diagnostics.faults.limits import LimitDetector, LimitFaults, out_of_range_bounds
from app.diagnostics.faults.sensors import SensorDetector
from app.diagnostics.faults.short import ShortDetector
from app.diagnostics.faults.thermal import RUNAWAY_CONFIRM_C_PER_MIN, RunawayDetector
from app.diagnostics.faults.types import DetectedFault, FaultKind, FaultsResult
from app.diagnostics.safety import SafetyMonitor

if TYPE_CHECKING:
    import pandas as pd

#: A battery fault on a channel is taken for an echo of a sensor fault of that
#: channel when it starts within the sensor fault's episode widened by this.
ECHO_MARGIN_S = 30.0
#: A runaway alarm whose heating never exceeded RUNAWAY_CONFIRM_C_PER_MIN (see
#: :mod:`.thermal`), on a cell with an internal short, was the short's heat. The heat
#: of a short that begins shows as a step of the heating rate, which the runaway test
#: (two minutes of data) may take for an acceleration; the short test needs minutes
#: more to confirm it.
#: So a runaway alarm under that rate is the short's heat when the short's
#: episode on the same cell begins before the alarm or within this time after it
#: (the short detector's own latency target): a real runaway would have passed
#: the confirming rate long before.
SHORT_EXPLAINS_S = 600.0
#: An internal-short alarm confirmed later than this before a confirmed runaway
#: started on the same cell was the runaway's heat, not a short that caused it.
SHORT_BEFORE_RUNAWAY_S = 120.0

_SENSOR_KINDS = {
    FaultKind.SENSOR_STUCK,
    FaultKind.SENSOR_NOISY,
    FaultKind.SENSOR_DROPOUT,
    FaultKind.SENSOR_OUT_OF_RANGE,
}

#: The safety check's limits (see :mod:`.limits`).
_LIMIT_KINDS = {
    FaultKind.OVER_VOLTAGE,
    FaultKind.UNDER_VOLTAGE,
    FaultKind.OVER_CURRENT,
    FaultKind.OVER_TEMPERATURE,
    FaultKind.UNDER_TEMPERATURE,
}


class FaultDetector:
    """Incremental fault detection (the live twin of :func:`detect_faults`).

    Feed blocks in time order with :meth:`update`; call :meth:`flush` at the end
    of a recording to judge its last, incomplete time bin; :meth:`result` gives
    the faults found so far.
    """

    columns: tuple[str, ...] = ()

    def __init__(self, spec: BatterySpec, safety: SafetyMonitor | None = None):
        """``safety``: a safety check its caller feeds the same blocks (the live
        engine's), whose episodes are the limit faults; None: one of its own."""
        self.spec = spec
        self.layout: Layout | None = None
        self._stage: SampleStage | None = None
        self._families: list = []
        # over/under voltage, over current, over/under temperature: the safety
        # check's episodes, judged on the samples (see :mod:`.limits`)
        self._limits = LimitFaults(spec, safety)
        # small live blocks that do not complete a bin wait here (cheap), so the
        # per-sample work runs once per bin, not once per block
        self._queue: list[SampleBlock] = []
        self._queue_bin: tuple | None = None
        # a slow log's runaway test on bins shifted by a sample (see "A decision at
        # every sample"): its stage (None once the log is known not to be slow) and test
        self._shifted: SampleStage | None = None
        self._shifted_test: RunawayDetector | None = None

    # --- feeding -----------------------------------------------------------
    def update(self, block: SampleBlock) -> dict[str, np.ndarray]:
        """Consume one block of samples (in time order). Adds no derived columns."""
        n = len(block)
        if n == 0:
            return {}
        if self.layout is None:
            self.layout = Layout.from_columns(block.columns)
            lo, hi = out_of_range_bounds(self.spec, self.layout)
            self._stage = SampleStage(self.layout, lo, hi)
            self._shifted = SampleStage(self.layout, lo, hi, shift=0.5)
        stage = self._stage
        times = block[schema.TIME]
        timed = times[np.isfinite(times)]  # (a sample with no time is in no bin)
        if stage.bin_s is not None and len(timed):
            # (a block completes a bin of the shifted stage too: it is judged then)
            stages = [stage] if self._shifted is None else [stage, self._shifted]
            last = tuple(s.bin_index(float(timed[-1])) for s in stages)
            open_bin = self._queue_bin if self._queue else tuple(s.open_bin() for s in stages)
            if open_bin is not None and None not in open_bin and last == open_bin:
                self._queue.append(block)
                self._queue_bin = open_bin
                return {}
        if self._queue:
            block = SampleBlock.concat([*self._queue, block])
            self._queue = []
            n = len(block)
        self._feed(block)
        return {}

    def _feed(self, block: SampleBlock) -> None:
        self._limits.update(block)
        n = len(block)
        step = block.get(schema.STEP_INDEX)
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            st = np.full(stop - start, np.nan) if step is None else step[start:stop]
            for bb in self._stage.push(block, start, stop, st):
                self._bins(bb)
            self._drop_shifted()
            if self._shifted is not None:
                for bb in self._shifted.push(block, start, stop, st):
                    self._shifted_bins(bb)

    def flush(self) -> None:
        """Judge the pending samples of the last, incomplete bin (end of a log)."""
        if self._queue:
            block = SampleBlock.concat(self._queue)
            self._queue = []
            self._feed(block)
        if self._stage is not None:
            for bb in self._stage.flush():
                self._bins(bb)
            self._drop_shifted()
            if self._shifted is not None:
                for bb in self._shifted.flush():
                    self._shifted_bins(bb)
            for family in self._families:
                finish = getattr(family, "finish", None)
                if finish is not None:
                    finish()

    def _bins(self, bb: BinBatch) -> None:
        if not self._families:
            spec, lay, bin_s = self.spec, self.layout, self._stage.bin_s
            # (the cells' temperature reference, read by the runaway and short tests:
            # one, fed each batch once)
            refs: dict = {}
            self._families = [
                LimitDetector(spec, lay, bin_s),
                SensorDetector(spec, lay, bin_s, self._stage.dt_ref_s),
                CircuitDetector(spec, lay, bin_s, self._stage.dt_ref_s),
                RunawayDetector(spec, lay, bin_s, refs),
                FloatRunawayDetector(spec, lay, bin_s, self._stage.dt_ref_s),
                ShortDetector(spec, lay, bin_s, self._stage.anchor, refs),
            ]
        for family in self._families:
            family.process(bb)

    def _drop_shifted(self) -> None:
        """Drop the shifted stage once the log's timing says it is no slow log (bins of
        more than two samples), before it turns a sample into bins."""
        stage = self._stage
        if (
            self._shifted is not None
            and stage.bin_s is not None
            and stage.bin_s != 2.0 * stage.dt_ref_s
        ):
            self._shifted = None

    def _shifted_bins(self, bb: BinBatch) -> None:
        """The shifted stage's bins (a slow log's: bins of two samples): the runaway
        test alone (see "A decision at every sample")."""
        stage = self._shifted
        if self._shifted_test is None:
            self._shifted_test = RunawayDetector(
                self.spec, self.layout, stage.bin_s, {}, full_only=True
            )
        self._shifted_test.process(bb)

    # --- result ------------------------------------------------------------
    def _episodes(self) -> list[Episode]:
        out: list[Episode] = self._limits.episodes()
        for family in self._families:
            if isinstance(family, RunawayDetector) and self._shifted_test is not None:
                out += _first_found(family.tracker.episodes, self._shifted_test.tracker.episodes)
                continue
            for tracker in family.trackers:
                out += tracker.episodes
            if isinstance(family, SensorDetector):
                for a, b, det in family.gaps.episodes:
                    gap = Episode(
                        FaultKind.SENSOR_DROPOUT,
                        schema.TIME,
                        a,
                        b,
                        det,
                        1,
                        b - a,
                        {},
                        "gap_s",
                        merge_gap_s=MERGE_GAP_S,
                    )
                    # found at the end of its first gap: that gap alone
                    gap.at_detection = {
                        "end_time_s": det,
                        "severity": 1,
                        "worst": det - a,
                        "total": 0.0,
                        "detail": {},
                    }
                    out.append(gap)
        return out

    def result(self) -> FaultsResult:
        """The faults found so far, post-processed (echoes dropped), by start time."""
        return FaultsResult(faults=[f for f, _ in self._faults()])

    def open_faults(self) -> list[dict]:
        """The faults of :meth:`result` as plain JSON (``to_list``), each with
        ``merge_gap_s``: how long after its ``end_time_s`` new evidence still
        extends that episode (``inf`` for a short, which does not heal). Until
        then the episode is not over: what a live alert on it needs to know.
        And ``at_detection``: the fault (same shape) as the detector knew it when
        it confirmed it (``detail.detected_time_s``), whatever blocks the samples
        came in -- what a live alert raised on it reads "at raise" (None: not kept).

        Also the runaway-onset alarms withdrawn as an internal short's heat that were
        confirmed before that short (a live run raised them, and saw them withdrawn
        when the short was confirmed), each with ``withdrawn_at_s``: the short's
        confirmation, from which it is no longer present. Where a block holds both
        confirmations, the alert on the onset is raised and cleared all the same:
        what the user sees does not depend on the block split."""
        episodes, notes, withdrawn = _postprocess(self._episodes(), self.layout)
        out = []
        for e, at in [*((e, None) for e in episodes), *withdrawn]:
            note = notes.get(id(e))
            fault = {
                **_to_fault(e, note).to_dict(),
                "merge_gap_s": e.merge_gap_s,
                "at_detection": _at_detection_json(e, note),
            }
            if at is not None:
                fault["withdrawn_at_s"] = at
            out.append(fault)
        out.sort(key=lambda f: (f["start_time_s"], f["kind"], f["channel"]))
        return out

    def _faults(self) -> list[tuple[DetectedFault, float]]:
        episodes, notes, _ = _postprocess(self._episodes(), self.layout)
        pairs = [(_to_fault(e, notes.get(id(e))), e.merge_gap_s) for e in episodes]
        pairs.sort(key=lambda p: (p[0].start_time_s, p[0].kind.value, p[0].channel))
        return pairs


def _first_found(main: list[Episode], shifted: list[Episode]) -> list[Episode]:
    """The runaway onsets of a slow log's two grids of bins (see "A decision at every
    sample"): of the episodes of a channel that overlap (within their merge gap), the one
    confirmed first (the main grid's at a tie), as found."""
    out: list[Episode] = []
    eps = sorted(
        [(e.detected_time_s, 0, i, e) for i, e in enumerate(main)]
        + [(e.detected_time_s, 1, i, e) for i, e in enumerate(shifted)],
        key=lambda x: x[:3],
    )
    taken: dict[str, list[Episode]] = {}
    for _, _, _, e in eps:
        mine = taken.setdefault(e.channel, [])
        if not _overlaps(e, mine, e.merge_gap_s):
            mine.append(e)
            out.append(e)
    return out


def _overlaps(e: Episode, others: list[Episode], margin: float) -> bool:
    return any(
        e.start_time_s <= o.end_time_s + margin and o.start_time_s - margin <= e.end_time_s
        for o in others
    )


def _starts_within(e: Episode, others: list[Episode], margin: float) -> bool:
    """``e`` began while one of ``others`` was going on (widened by ``margin``)."""
    return any(o.start_time_s - margin <= e.start_time_s <= o.end_time_s + margin for o in others)


def _postprocess(
    episodes: list[Episode], layout: Layout | None
) -> tuple[list[Episode], dict[int, dict], list[tuple[Episode, float]]]:
    """Drop echoes: faults explained by another fault on the same channel. Also
    gives, by ``id`` of a kept episode, what its detail must add, and the runaway
    onsets withdrawn after they were confirmed, with when (see
    :func:`_short_or_runaway`)."""

    def by_channel(eps: list[Episode]) -> dict[str, list[Episode]]:
        out: dict[str, list[Episode]] = {}
        for e in eps:
            out.setdefault(e.channel, []).append(e)
        return out

    # 1. a cell in thermal runaway legitimately reads beyond the sensor range, and its
    # voltage collapses faster than any sensor noise: these are not sensor faults;
    # nor is the dead cell's ~0 V at rest an open circuit.
    # A reading frozen exactly is no consequence of a runaway (whose temperature
    # climbs): a sensor stuck at a high noise sample looks like a step up, which
    # the runaway test may flag; that alarm is then the stuck sensor's echo (2.)
    # A temperature beyond the sensor's range that is still read when the runaway is
    # confirmed on that cell is the runaway's heat too, even if it began first: a
    # record that opens mid-runaway passes 150 degC before the onset test has its
    # two minutes of data (the onset was then dropped as the "sensor's" echo, and
    # the thermal card read 'runaway onset 0/100' at 700 degC).
    runaway_start: dict[str, float] = {}
    runaways: dict[str, list[Episode]] = {}
    for e in episodes:
        if e.kind == FaultKind.THERMAL_RUNAWAY_ONSET:
            for ch in [*_same_cell(e.channel), schema.TEMPERATURE]:
                runaways.setdefault(ch, []).append(e)
            for ch in _same_cell(e.channel):
                runaway_start[ch] = min(runaway_start.get(ch, np.inf), e.start_time_s)
    if runaway_start:
        runaway_start[schema.TEMPERATURE] = min(runaway_start.values())
    kept = []
    for e in episodes:
        kind = FaultKind(e.kind)
        if (
            kind in _SENSOR_KINDS
            and kind is not FaultKind.SENSOR_STUCK
            and e.start_time_s >= runaway_start.get(e.channel, np.inf)
        ):
            continue
        if kind is FaultKind.OPEN_CIRCUIT and e.start_time_s >= runaway_start.get(
            e.channel, np.inf
        ):
            # a cell reading ~0 V once its runaway began is the runaway's dead cell, not
            # an open connection (the under-voltage fault tells it; at the next load
            # current flows through it)
            continue
        if (
            kind is FaultKind.SENSOR_OUT_OF_RANGE
            and _is_temperature(e.channel)
            and _overlaps(e, runaways.get(e.channel, []), ECHO_MARGIN_S)
        ):
            continue
        kept.append(e)
    # 2. a limit or battery fault seen only through a faulty sensor is the sensor's fault
    # (for the cell-level judgements, a faulty sensor anywhere on that cell): a noisy cell
    # sensor at the foot of a discharge or the top of a charge trips the limits, an
    # out-of-range reading passes them. But a limit read beyond by a sensor no longer
    # judged faulty is no sensor's fault, and a "noisy" episode that ends in it was the
    # move there (see :func:`_read_beyond_when_quiet`)
    beyond, moves = _read_beyond_when_quiet(kept, by_channel(kept))
    kept = [e for e in kept if id(e) not in moves]
    chan = by_channel(kept)
    # (a short is judged on the cell's voltage and heat; a runaway onset on its
    # temperature alone: a stuck or noisy voltage sensor of the cell cannot explain it)
    cell_wide = {FaultKind.INTERNAL_SHORT}
    kept2 = []
    for e in kept:
        kind = FaultKind(e.kind)
        if kind not in _SENSOR_KINDS:
            channels = _same_cell(e.channel) if kind in cell_wide else [e.channel]
            if kind == FaultKind.THERMAL_RUNAWAY_ONSET and e.channel == schema.CURRENT:
                # the float runaway's test holds the pack voltage steady: a stuck
                # voltage sensor "holds" it under any load
                channels = [schema.CURRENT, schema.VOLTAGE]
            sensor = [
                o for c in channels for o in chan.get(c, []) if FaultKind(o.kind) in _SENSOR_KINDS
            ]
            if id(e) not in beyond and _starts_within(e, sensor, ECHO_MARGIN_S):
                continue
        kept2.append(e)
    kept2, notes, withdrawn = _short_or_runaway(kept2)
    # 3. the pack temperature is the hottest cell sensor: its faults echo the cells'
    cell_t = set(schema.cell_temperature_columns(layout.names)) if layout else set()
    chan = by_channel(kept2)
    out = []
    for e in kept2:
        if e.channel == schema.TEMPERATURE and cell_t:
            echoes = [o for c in cell_t for o in chan.get(c, []) if o.kind == e.kind]
            if _overlaps(e, echoes, ECHO_MARGIN_S):
                continue
        out.append(e)
    _runaway_peaks([*out, *(e for e, _ in withdrawn)], episodes, notes)
    return out, notes, withdrawn


def _read_beyond_when_quiet(
    episodes: list[Episode], chan: dict[str, list[Episode]]
) -> tuple[set[int], set[int]]:
    """The limit episodes (by ``id``) that go on for more than ``ECHO_MARGIN_S`` after
    every sensor fault of their channel they overlap has ended, and the noisy-sensor
    episodes (by ``id``) that ended inside one of them.

    The safety check's episode goes on while its channel reads beyond the limit (its
    release hysteresis aside): one that outlasts the sensor's faults was read beyond
    by a sensor judged sound, steadily, so it is the battery's. A noisy sensor does
    not fall quiet on a steady value far outside the window; a cell that collapses
    to 0 V (a runaway its absent, dropped-out or stuck temperature sensor does not
    show) falls through volts in seconds, which reads as noise, and then stays at
    0 V: the under-voltage is the truth, the "noise" its collapse. (A noisy sensor
    keeps its episode open as long as it trips the limit: that limit fault is still
    its echo.)"""
    beyond: set[int] = set()
    moves: set[int] = set()
    for e in episodes:
        if e.kind not in _LIMIT_KINDS:
            continue
        sensor = [
            o
            for o in chan.get(e.channel, [])
            if o.kind in _SENSOR_KINDS and _overlaps(e, [o], ECHO_MARGIN_S)
        ]
        if not sensor or e.end_time_s <= max(o.end_time_s for o in sensor) + ECHO_MARGIN_S:
            continue
        beyond.add(id(e))
        moves.update(id(o) for o in sensor if o.kind == FaultKind.SENSOR_NOISY)
    return beyond, moves


def _runaway_peaks(kept: list[Episode], episodes: list[Episode], notes: dict[int, dict]) -> None:
    """A runaway's peak and the safety event's are one figure where their cell's
    over-temperature episode overlaps the runaway: one event, one peak.

    The runaway's own ``max_temperature_c`` is the highest sample of its episode from
    its confirmation on, in float32 (the bin stage's precision); the over-temperature
    episode's (``max_c``, the safety check's event peak) the highest sample over its
    own span, from the limit's crossing to the release, in float64. The peak reported
    is the higher of the two (the cell's highest reading over either), compared in
    float32 (one sample rounds alike): where the safety's is the higher or the same,
    its own float64 figure, to the last digit. (A simulated NMC runaway: 699.9 degC,
    the hottest 5 s bin mean, against the safety event's 702.4 degC.)"""
    hot: dict[str, list[Episode]] = {}
    for e in episodes:
        if e.kind == FaultKind.OVER_TEMPERATURE:
            hot.setdefault(e.channel, []).append(e)
    for e in kept:
        if e.kind != FaultKind.THERMAL_RUNAWAY_ONSET or e.channel not in hot:
            continue
        own = e.detail.get("max_temperature_c")
        for o in hot[e.channel]:
            if not (o.start_time_s <= e.end_time_s and e.start_time_s <= o.end_time_s):
                continue
            if own is None or np.float32(o.worst) >= np.float32(own):
                own = float(o.worst)
        if own is not None and own != e.detail.get("max_temperature_c"):
            notes.setdefault(id(e), {})["max_temperature_c"] = own


def _short_or_runaway(
    episodes: list[Episode],
) -> tuple[list[Episode], dict[int, dict], list[tuple[Episode, float]]]:
    """Tell an internal short's steady heat from a thermal runaway on the same cell.

    A runaway alarm put down to a short's heat is withdrawn, but not forgotten: a
    live run raised it (a critical alarm, minutes before the short test could
    confirm the short) and the operator saw it. The short that explains it says so
    in its detail (by ``id`` of the short's episode in the dict returned):
    ``withdrawn_onset_start_s`` and ``withdrawn_onset_detected_s``, the earliest
    withdrawn alarm's start and confirmation, so that the fault list, the thermal
    card and the live alert (which then reads 'withdrawn', not 'cleared') tell the
    same story as the alert did. (A simulated 4-cell NMC pack on a drive with a
    short on cell 2 from 300 s: an onset alarm from 325 s, withdrawn once the
    short is confirmed at 479 s.) Also gives each withdrawn alarm confirmed before
    the first short that explains it, with that short's confirmation: the alarm a
    live run raised, and when it was withdrawn."""
    shorts: dict[int, list[Episode]] = {}
    runaways: dict[int, list[Episode]] = {}
    for e in episodes:
        k = _cell_of(e.channel)
        if e.kind == FaultKind.INTERNAL_SHORT:
            shorts.setdefault(k, []).append(e)
        elif e.kind == FaultKind.THERMAL_RUNAWAY_ONSET:
            runaways.setdefault(k, []).append(e)
    drop = set()
    notes: dict[int, dict] = {}
    raised: list[tuple[Episode, float]] = []
    # a short confirmed once a runaway that outgrew any short's heat was under way on
    # its cell is that runaway's own end (its separator melting: the voltage collapses),
    # dropped below; it explains no earlier onset alarm of the same runaway (a 4-cell
    # NMC pack on HPPC, runaway from 60 s: its onset alarm at 84 s, never past 3
    # degC/min before a load step held the test back, was withdrawn as the heat of the
    # 'short' its collapse read at 479 s, and the runaway reported at 234 s)
    echoes = {
        id(s)
        for k, ss in shorts.items()
        for s in ss
        if any(
            r.worst >= RUNAWAY_CONFIRM_C_PER_MIN
            and s.detected_time_s >= r.start_time_s - SHORT_BEFORE_RUNAWAY_S
            for r in runaways.get(k, [])
        )
    }
    for k, rs in runaways.items():
        for r in rs:
            if r.worst >= RUNAWAY_CONFIRM_C_PER_MIN:
                continue
            why = [
                s
                for s in shorts.get(k, [])
                if s.end_time_s >= r.start_time_s - ECHO_MARGIN_S
                and s.start_time_s <= r.end_time_s + SHORT_EXPLAINS_S
                and id(s) not in echoes
            ]
            if why:
                drop.add(id(r))
                at = min(s.detected_time_s for s in why)
                if r.detected_time_s < at:
                    raised.append((r, float(at)))
                note = notes.setdefault(id(why[0]), {})
                for key, t in (
                    ("withdrawn_onset_start_s", r.start_time_s),
                    ("withdrawn_onset_detected_s", r.detected_time_s),
                ):
                    note[key] = float(min(note.get(key, np.inf), t))
    for k, ss in shorts.items():
        confirmed = [r for r in runaways.get(k, []) if id(r) not in drop]
        for s in ss:
            if any(s.detected_time_s >= r.start_time_s - SHORT_BEFORE_RUNAWAY_S for r in confirmed):
                drop.add(id(s))
    return [e for e in episodes if id(e) not in drop], notes, raised


def _cell_of(channel: str) -> int | None:
    m = schema.CELL_VOLTAGE_RE.match(channel) or schema.CELL_TEMPERATURE_RE.match(channel)
    return int(m.group(1)) if m else None


def _is_temperature(channel: str) -> bool:
    return channel == schema.TEMPERATURE or bool(schema.CELL_TEMPERATURE_RE.match(channel))


def _same_cell(channel: str) -> list[str]:
    """The voltage and temperature channels of the cell of ``channel`` (or itself)."""
    k = _cell_of(channel)
    if k is None:
        return [channel]
    return [schema.cell_voltage_column(k), schema.cell_temperature_column(k)]


def _to_fault(e: Episode, note: dict | None = None) -> DetectedFault:
    kind = FaultKind(e.kind)
    detail = {"detected_time_s": e.detected_time_s}
    if e.worst == e.worst:  # not NaN
        detail[e.value_name] = e.worst
    if e.total_name:
        detail[e.total_name] = e.total
    detail.update({k: v for k, v in e.detail.items() if v == v})
    detail.update(note or {})
    sev = Severity.CRITICAL if e.severity >= 2 else Severity.WARNING
    return DetectedFault(
        kind=kind,
        start_time_s=float(e.start_time_s),
        end_time_s=float(e.end_time_s),
        severity=sev,
        channel=e.channel,
        detail=detail,
    )


def _at_detection_json(e: Episode, note: dict | None) -> dict | None:
    """``e`` as the detector reported it when it confirmed it (its
    :attr:`~.episodes.Episode.at_detection` figures), as plain JSON, or None where
    they were not kept. Of what the post-processing adds (``note``), only a withdrawn
    runaway-onset alarm confirmed by then: the other notes weigh evidence that came
    later."""
    then = e.at_detection
    if then is None:
        return None
    note = note or {}
    known = {}
    if note.get("withdrawn_onset_detected_s", np.inf) <= e.detected_time_s:
        known = {k: v for k, v in note.items() if k.startswith("withdrawn_onset_")}
    key = tuple(sorted(known.items()))
    if e.at_detection_json is not None and e.at_detection_json[0] == key:
        fault = e.at_detection_json[1]
        return {**fault, "detail": dict(fault["detail"])}
    fault = _to_fault(
        replace(
            e,
            end_time_s=then["end_time_s"],
            severity=then["severity"],
            worst=then["worst"],
            total=then["total"],
            detail=then["detail"],
        ),
        known,
    ).to_dict()
    e.at_detection_json = (key, fault)
    return {**fault, "detail": dict(fault["detail"])}


def detect_faults(
    df: pd.DataFrame | SampleBlock, spec: BatterySpec, safety: SafetyMonitor | None = None
) -> FaultsResult:
    """Find faults in a log in the canonical schema (DataFrame or SampleBlock).

    Runs the same :class:`FaultDetector` the live engine uses, on the whole log,
    then judges the last incomplete time bin. ``safety``: a safety check already
    fed this whole log (``run_suite``'s), whose episodes are the limit faults, so
    the limits are not judged twice; None: one of its own.
    """
    if isinstance(df, SampleBlock):
        block = df
    else:  # only the schema's columns: a log may carry text columns of its own
        cols = [c for c in df.columns if schema.is_canonical_column(c)]
        block = SampleBlock({c: df[c].to_numpy(dtype=np.float64) for c in cols})
    det = FaultDetector(spec, safety)
    det.update(block)
    det.flush()
    return det.result()
