"""The live engine: runs the incremental twins of the diagnostics on each block
coming from the acquisition thread, adds derived columns to it, and keeps the
latest results.

Qt-free; called in the acquisition thread as a sink stage. All nine
diagnostics of ``run_suite`` run here as incremental twins; the capacity-fade
and cycle-life results come from the per-cycle table built as cycles end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.core.samples import SampleBlock
from app.core.spec import BatterySpec, preset
from app.diagnostics.alerts.evaluator import AlertEvaluator, AlertEvent
from app.diagnostics.alerts.lifecycle import withdrawn_onsets
from app.diagnostics.alerts.metrics import MetricContext, PackCells
from app.diagnostics.alerts.thresholds import Threshold
from app.diagnostics.cell_balance import CellBalanceTracker, with_fault_verdict
from app.diagnostics.current_sign import CurrentSignCheck, CurrentSignTracker
from app.diagnostics.cycle_tracker import CycleTracker, LifetimeTracker
from app.diagnostics.faults import FaultDetector
from app.diagnostics.internal_resistance import InternalResistanceTracker
from app.diagnostics.safety import SafetyMonitor
from app.diagnostics.soc_ekf import EkfSocEstimator
from app.diagnostics.soh import SohTracker
from app.diagnostics.spec_fit import CLI_WORDS, FixWords, SpecFitTracker
from app.diagnostics.thermal import ThermalTracker

if TYPE_CHECKING:
    import pandas as pd


class LiveEngine:
    """Turns raw blocks into enriched blocks and passes them on to ``outputs``
    (ring buffer, recorder, ...).

    Enriched blocks carry the raw columns plus ``soc_percent``, its ±2 sigma
    band ``soc_band_low_percent``/``soc_band_high_percent`` and, when the
    source reports ``soc_reported_pct``, ``soc_bms_difference_pct``. Internal
    resistance, SOH, cell balance, safety, thermal, the per-cycle table and
    fault detection run on every block; their results are read with
    :meth:`results` (from any thread).

    Alert thresholds (:meth:`set_thresholds`) are evaluated on every enriched
    block; the events of a block go to ``alert_outputs`` (called in the
    acquisition thread: they must only hand the events on, never block).
    """

    #: Blocks smaller than this are joined before processing: the diagnostics
    #: have a fixed cost per block (~8-15 ms for 16 cells in all, the fault
    #: detector half of it; measured on a loaded 2-core machine) besides ~3 us a
    #: sample, so small blocks cost far more per sample than the work itself
    #: (2000 samples: ~10 us a sample, 8000: ~4.6). Only a source faster than
    #: 160 kHz fills the count within :attr:`MAX_HOLD_S`; below that the hold time
    #: decides, so the count adds no latency beyond the hold every slower source
    #: has. (A full block is ~25-40 ms of work on that machine: hold + work stays
    #: under the 100 ms from frame to plot of ``bench_plot_latency.py``; a 160 kHz
    #: source is about as fast as the engine can follow on one core.)
    MIN_BLOCK_SAMPLES = 8000
    #: ...but never hold samples back longer than this (wall clock), so the plots
    #: stay within a frame or two of the source.
    MAX_HOLD_S = 0.05

    def __init__(
        self,
        spec: BatterySpec,
        outputs: list[Callable[[SampleBlock], None]] | None = None,
        *,
        thresholds: list[Threshold] | None = None,
        alert_outputs: list[Callable[[list[AlertEvent]], None]] | None = None,
        reference_capacity_ah: float | None = None,
        keep_soc_history: bool = False,
    ):
        """``reference_capacity_ah``: the capacity the user gave (``--capacity-ah``,
        ``capacity_ah=`` in a source URL), end of life is measured against it;
        None: the first cycles' capacity (see :func:`~app.diagnostics.run_suite`).
        ``keep_soc_history``: keep what ``self.soc.smoothed_columns()`` needs to give
        offline's smoothed SOC series (it grows with the run, 8 bytes a sample: off
        by default, for runs of weeks; the blocks carry the filter's SOC either way)."""
        self.spec = spec
        self._pending: list[SampleBlock] = []
        self._pending_n = 0
        self._pending_since = 0.0
        self.soc = EkfSocEstimator(spec, keep_history=keep_soc_history)
        self.resistance = InternalResistanceTracker(spec)
        self.soh = SohTracker(spec, internal_resistance=self.resistance)
        self.safety = SafetyMonitor(spec)
        # (the limit faults are the safety check's episodes: judged once, here)
        self.faults = FaultDetector(spec, safety=self.safety)
        self.balance = CellBalanceTracker(spec)
        self.thermal = ThermalTracker(spec)
        self.cycles = CycleTracker(spec)
        self.current_sign = CurrentSignTracker(spec)
        self.spec_fit = SpecFitTracker(spec)
        self.lifetime = LifetimeTracker(
            spec, self.cycles, reference_capacity_ah=reference_capacity_ah
        )
        self.samples = 0
        self.span_s = 0.0
        self._t0: float | None = None
        self.outputs = list(outputs or [])
        self.alerts = AlertEvaluator(thresholds or [], PackCells.of(spec))
        self.alert_outputs = list(alert_outputs or [])
        self._withdrawn: list[dict] = []  # runaway alarms withdrawn (withdrawn_onsets)
        # results() may be called from the GUI while a block is processed
        self._lock = threading.Lock()

    def set_thresholds(self, thresholds: list[Threshold]) -> None:
        """Replace the alert rules (from any thread); alerts of removed rules clear."""
        with self._lock:
            events = self.alerts.set_thresholds(thresholds)
        self._emit(events)

    def open_alert_worst(self) -> dict[Threshold, float]:
        """The worst value so far of each alert still up (from any thread)."""
        with self._lock:
            return self.alerts.open_worst()

    def open_alert_faults(self) -> dict[Threshold, dict]:
        """The fault, as last known, of each fault rule's alert still up (any thread)."""
        with self._lock:
            return self.alerts.open_faults()

    def withdrawn_alarms(self) -> list[dict]:
        """The runaway-onset alarms the fault detector has withdrawn so far, as
        :func:`~app.diagnostics.alerts.lifecycle.withdrawn_onsets` (any thread)."""
        with self._lock:
            return list(self._withdrawn)

    def process(self, block: SampleBlock) -> SampleBlock:
        with self._lock:
            columns = dict(block.items())
            columns.update(self.soc.update(block))
            enriched = SampleBlock(columns)
            self.resistance.update(enriched)
            self.soh.update(enriched)
            self.safety.update(block)
            self.faults.update(block)
            self.balance.update(block)
            self.thermal.update(block)
            self.cycles.update(block)
            self.current_sign.update(block)
            self.spec_fit.update(block)
            t = block["time_s"]
            if self._t0 is None:
                self._t0 = float(t[0])
            self.samples += len(t)
            self.span_s = float(t[-1]) - self._t0
            events = self.alerts.process(enriched, self._alert_context())
        self._emit(events)
        return enriched

    def _alert_context(self) -> MetricContext:
        # Results are gathered only for the rules that need them: a fault list
        # or SOH estimate per block is not free.
        used = {th.metric for th in self.alerts.thresholds}
        context = MetricContext()
        if "soh_percent" in used:
            context.soh_percent = self.soh.result().soh_percent
        if "internal_resistance_mohm" in used:
            context.internal_resistance_ohm = self.resistance.result().median_r_10s_ohm
        if any(m.startswith("fault_") for m in used):
            context.faults = self.faults.open_faults()
            self._withdrawn = withdrawn_onsets(context.faults)
        return context

    def _emit(self, events: list[AlertEvent]) -> None:
        if events:
            for output in self.alert_outputs:
                output(events)

    def finish(self) -> None:
        """End of the stream: process held samples, let detectors close their episodes."""
        self.drain()
        with self._lock:
            self.faults.flush()
            self.current_sign.finish()
            if any(th.metric.startswith("fault_") for th in self.alerts.thresholds):
                # the last bins' judgement: the alerts' faults read as the whole log's
                faults = self.faults.open_faults()
                self.alerts.note_faults(faults)
                self._withdrawn = withdrawn_onsets(faults)

    def current_sign_check(self) -> CurrentSignCheck:
        """Whether the current's sign is Battery OS's, as far as the samples so far
        tell (``current_sign`` of ``analyze --json``); any thread."""
        with self._lock:
            return self.current_sign.result()

    def spec_fit_warning(self, words: FixWords = CLI_WORDS) -> str | None:
        """Why the battery does not fit the samples so far -- their cell voltages lie
        outside its window, its OCV table holds the SOC at empty or full, or they show
        another chemistry inside it (:mod:`app.diagnostics.chemistry_evidence`) -- as
        ``analyze`` warns of the log (:mod:`app.diagnostics.spec_fit`), its hint in
        ``words``; any thread."""
        return self.spec_fit_check(words)[0]

    def spec_fit_check(self, words: FixWords = CLI_WORDS) -> tuple[str | None, dict[str, str]]:
        """:meth:`spec_fit_warning`, and the results it makes not valid (result key ->
        why), as ``analyze``'s ``invalid_results``; any thread."""
        with self._lock:
            soc = self._guarded(lambda: self.soc.result().to_dict())
            return self.spec_fit.check(soc, words)

    def results(self) -> dict:
        """The latest results as plain JSON, under the keys of ``analyze --json``
        (those of ``run_suite``, in its order)."""
        LifetimeTracker.prepare()
        with self._lock:
            return self._results()

    def report(self) -> tuple[dict, int, float, int]:
        """(:meth:`results`, samples seen, their time span in s, cycles in the
        per-cycle table), all of one instant."""
        LifetimeTracker.prepare()
        with self._lock:
            results = self._results()
            return results, self.samples, self.span_s, self.lifetime.table_rows

    def _results(self) -> dict:
        """Each diagnostic on its own: one that raises gives ``{"error": ...}``
        under its key, and the others still report."""
        ir = self._guarded(lambda: self.resistance.result())
        faults = self._guarded(lambda: self.faults.result().to_list())
        lifetime = self._guarded(self.lifetime.results)
        fade, life = (lifetime, lifetime) if isinstance(lifetime, dict) else lifetime
        thermal = self._guarded(
            lambda: self.thermal.result(
                faults=faults if isinstance(faults, list) else [],
                internal_resistance=ir if not isinstance(ir, dict) else None,
            ).to_dict()
        )
        return {
            "soc": self._guarded(lambda: self.soc.result().to_dict()),
            "soh": self._guarded(lambda: self.soh.result().to_dict()),
            "internal_resistance": ir if isinstance(ir, dict) else ir.to_dict(),
            "capacity_fade": fade,
            "cell_balance": self._guarded(
                lambda: with_fault_verdict(self.balance.result().to_dict(), faults)
            ),
            "safety": self._guarded(lambda: self.safety.result().to_dict()),
            "thermal": thermal,
            "cycle_life": life,
            "faults": faults,
        }

    @staticmethod
    def _guarded(compute: Callable[[], object]) -> object:
        try:
            return compute()
        except Exception as exc:  # noqa: BLE001 - one diagnostic must not hide the others
            return {"error": f"{type(exc).__name__}: {exc}"}

    def cycle_table(self) -> pd.DataFrame:
        """The per-cycle table so far (the columns of ``summarize_cycles``)."""
        with self._lock:
            return self.cycles.result()

    def __call__(self, block: SampleBlock) -> None:
        """Sink interface for :class:`~app.hardware.acquisition.AcquisitionThread`.

        Small blocks are held (at most :attr:`MAX_HOLD_S`) and processed together.
        """
        # (called per block of a source read row by row: one clock read, no lookups twice)
        n = len(block)
        if not n:
            return
        now = time.monotonic()
        pending = self._pending
        if not pending:
            self._pending_since = now
        pending.append(block)
        self._pending_n += n
        if (
            self._pending_n >= self.MIN_BLOCK_SAMPLES
            or now - self._pending_since >= self.MAX_HOLD_S
        ):
            self.drain()

    def drain(self) -> None:
        """Process and pass on every held sample now (end of stream, tests)."""
        if not self._pending:
            return
        blocks, self._pending, self._pending_n = self._pending, [], 0
        joined = blocks[0] if len(blocks) == 1 else SampleBlock.concat(blocks)
        enriched = self.process(joined)
        for output in self.outputs:
            output(enriched)


class EngineOnFirstBlock:
    """The live engine, built when the first block arrives (acquisition thread).

    A log file knows its battery only once it is opened, and opening happens
    in the acquisition thread; building the engine earlier would estimate SOC
    with the wrong battery.
    """

    def __init__(
        self,
        source,
        outputs: list[Callable[[SampleBlock], None]],
        alert_outputs: list[Callable[[list], None]] | None = None,
        thresholds_for: Callable[[BatterySpec], list] | None = None,
        reference_capacity_ah: float | None = None,
    ):
        """``source``: anything with a ``spec`` (a :class:`~app.hardware.source.Source`);
        ``reference_capacity_ah``: as :class:`LiveEngine`'s."""
        self.source = source
        self.reference_capacity_ah = reference_capacity_ah
        self.outputs = outputs
        self.alert_outputs = alert_outputs or []
        #: the alert rules of a battery, asked when the engine is built; it
        #: must answer at once (from memory), it runs in the acquisition thread
        self.thresholds_for = thresholds_for
        self._thresholds: list | None = None  # set by hand before the engine exists
        self._lock = threading.Lock()  # engine creation vs. set_thresholds from the GUI
        self.engine: LiveEngine | None = None

    def set_thresholds(self, thresholds: list) -> None:
        """Alert rules for the engine (now, or when it is built). Any thread."""
        with self._lock:
            self._thresholds = list(thresholds)
            engine = self.engine
        if engine is not None:
            engine.set_thresholds(self._thresholds)

    @property
    def spec(self) -> BatterySpec | None:
        return self.engine.spec if self.engine is not None else self.source.spec

    def __call__(self, block: SampleBlock) -> None:
        if self.engine is None:
            # A source that knows no battery still needs one for the SOC estimate.
            spec = self.source.spec if self.source.spec is not None else preset("nmc")
            with self._lock:
                rules = self._thresholds
                if rules is None:
                    rules = self.thresholds_for(spec) if self.thresholds_for else []
                self.engine = LiveEngine(
                    spec,
                    outputs=self.outputs,
                    thresholds=rules,
                    alert_outputs=self.alert_outputs,
                    reference_capacity_ah=self.reference_capacity_ah,
                )
        self.engine(block)

    def drain(self) -> None:
        """Pass on samples the engine holds back (the acquisition thread calls this when idle)."""
        if self.engine is not None:
            self.engine.drain()

    def finish(self) -> None:
        """End of a finite stream (the acquisition thread calls this once)."""
        if self.engine is not None:
            self.engine.finish()
