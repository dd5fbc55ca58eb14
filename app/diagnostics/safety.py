"""Safety: the chemistry's limits (cell voltage, current, temperature windows for
charge and discharge), each with a severity, a tolerance, a release hysteresis
and a debounce time, as a BMS applies them.

An episode *trips* once the value has stayed beyond its limit by more than the
measurement's tolerance (:data:`VOLTAGE_TOLERANCE_V`, :data:`CURRENT_TOLERANCE`,
:data:`TEMPERATURE_TOLERANCE_C`) for ``debounce_s``: a cell a CV phase holds at
its limit reads a few mV over it with sensor noise, and a cycler's current set
at the rating reads a little over it; neither is a violation. The episode
*releases* only once the value has been back inside the limit by the release
hysteresis (:data:`VOLTAGE_HYSTERESIS_V`, :data:`CURRENT_HYSTERESIS`,
:data:`TEMPERATURE_HYSTERESIS_C`) for ``debounce_s``: one excursion is one
episode, however its value hovers about the limit. Its end is the last sample
before the release. Once a sample is beyond the tolerance, the run being debounced
goes on while the value stays beyond the limit by half the tolerance, and trips once a sample
beyond the tolerance is ``debounce_s`` after its start, and whose excess beyond the
limit averaged over the last :data:`NOISE_SAMPLES` readings (a reading within the
limit counting as none) is beyond the tolerance too: sensor noise about a value
held just over the limit does not restart the debounce, and a value held at the
limit (beyond it about half the time; now and then beyond the tolerance for a few
readings in a row) does not trip. A sample beyond the fast
trip level (:data:`VOLTAGE_MARGIN` for a voltage, :data:`CURRENT_FAST_TRIP` times a
current limit) trips at once, without the debounce, as a BMS's short-circuit and
secondary over-voltage protection does: a 10x over-current for 1 s, or an over-current
seen in a single sample of a slow log, is an episode. A cell voltage trips there on
:data:`VOLTAGE_FAST_READINGS` consecutive readings, or on one the pack's own voltage
sensor agrees with (the pack voltage less the other cells beyond the fast level too):
one reading there alone is the sensor's glitch (the fault detector's noisy sensor),
not the cell's. Beyond the limit by less than the warning margin is a
warning; further is critical. The charge temperature window applies once the current
has been a charge for :data:`CHARGING_SUSTAINED_S` (a drive's regen pulses are not a
charge), the discharge window otherwise.

The fault detector's limit faults are these episodes (:mod:`app.diagnostics.faults.limits`),
detected when they trip: one excursion is one safety event and one fault.

:class:`SafetyMonitor` is the incremental diagnostic (live engine);
:func:`monitor_safety` runs it on a whole log. An episode (or a trip or release
still being debounced) at the end of a block carries over to the next, so any
split gives the same events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.results import DiagnosticResult, Severity
from app.core.samples import SampleBlock
from app.core.spec import BatterySpec
from app.diagnostics.incremental import as_block
from app.diagnostics.runs import run_bounds, run_reduce, run_starts

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_DEBOUNCE_S = 2.0
# Margins beyond a limit that are still only a warning: 2 % of a voltage limit
# (sensor tolerance of a typical BMS AFE is +-10..25 mV per cell), 10 % of a
# current limit (datasheet continuous ratings have peak allowances), 3 degC.
VOLTAGE_MARGIN = 0.02
CURRENT_MARGIN = 0.10
TEMPERATURE_MARGIN_C = 3.0
#: Tolerance beyond a limit that is not a violation (the measurement's accuracy):
#: 5 mV per cell, the accuracy class of BMS front ends (TI BQ76952 +-5 mV, ADI
#: LTC6811 1.2 mV) and 2.5 sigma of a single reading at 2 mV sensor noise (a CV
#: phase held at the limit does not trip: :data:`NOISE_SAMPLES`); for a current
#: limit, 2 % of that limit alone (a cycler channel set at the rating reads within
#: 0.05-0.1 % of it), or the noise of a Hall pack sensor (~0.5 % of 1C: 3 sigma is
#: :data:`CURRENT_NOISE_C` of the 1C current) if larger, at most half
#: :data:`CURRENT_MARGIN` of the limit: raising one limit does not loosen the
#: other, and a current between the tolerance and the margin is a warning (a
#: lead-acid charge limit of C/4 gets 5 %, 1.25 A on 100 Ah); 0.5 degC (NTC
#: channels read to +-0.5 degC). The fault detector's limit faults are these episodes.
VOLTAGE_TOLERANCE_V = 0.005
CURRENT_TOLERANCE = 0.02
CURRENT_NOISE_C = 0.015
TEMPERATURE_TOLERANCE_C = 0.5
#: Release hysteresis: an episode ends once the value is back inside its limit by
#: this for the debounce time. 15 mV per cell: more than the tolerance plus the
#: sensor noise (a cell hovering at the limit does not release and trip again),
#: and well inside the voltage a full cell relaxes to at rest (an NMC cell charged
#: to 4.20 V rests at ~4.15-4.18 V): a larger hysteresis (a BMS front end's 50-100 mV
#: recovery, which re-enables charging) would keep a brief overshoot's episode open
#: through the whole CV phase and rest that follow it. 5 % of a current limit, 3 degC
#: (a BMS's thermal recovery). The default alert rules clear at the same levels.
VOLTAGE_HYSTERESIS_V = 0.015
CURRENT_HYSTERESIS = 0.05
TEMPERATURE_HYSTERESIS_C = 3.0
#: Fast trip: a sample beyond a current limit by more than this times the limit
#: (twice the limit) trips at once, without the debounce, as a BMS's short-circuit
#: protection; a voltage beyond its limit by more than :data:`VOLTAGE_MARGIN` (the
#: critical level) trips at once, as a BMS's secondary over-voltage protection.
CURRENT_FAST_TRIP = 1.0
#: Consecutive readings beyond the fast trip level that trip a cell voltage at once.
#: A cell's voltage cannot jump past the critical level and back within one reading
#: (its charge holds it: an overcharge moves it by mV per second), so a single
#: reading there is a sensor's glitch -- an AFE's conversion error, a loose sense
#: wire -- as BMS front ends debounce it: a cell over-voltage fault needs the
#: reading on consecutive conversions (TI BQ76952 ``COV`` delay, an LTC6811's
#: recheck before the fault latch). Two: a real one trips a reading later (1 s at
#: 1 Hz, 10 s for a log at 0.1 Hz), its debounced trip at the tolerance mostly
#: earlier anyway; or at once where the pack's own voltage sensor agrees (the pack
#: voltage less the other cells is beyond the fast level too: a single reading of a
#: slow log; a glitch of one cell's channel leaves the pack reading alone -- unless
#: the log's pack voltage is the sum of the cells, which then trips as before). A
#: current has no such inertia (a short the protection opened within the reading):
#: it trips on one.
VOLTAGE_FAST_READINGS = 2
#: The charge temperature window applies once the current has been above C/100
#: for a minute: a drive's regen pulses (seconds) are not a charge (BMSs derate
#: regen rather than forbid it outside the charge window); the discharge window
#: applies otherwise.
#: The debounced excursion is judged on the excess beyond the limit averaged over
#: the last this many readings (:func:`trailing_excess`), as a BMS filters its
#: readings: a cell a CV phase holds at its limit, read with 2 mV of white noise,
#: averages ~0.8 mV there (sigma ~0.4 mV), 5 mV needs ~10 sigma; judged on the raw
#: readings, a run of three beyond the 5 mV tolerance (2.5 sigma) across the 2 s
#: debounce at 1 Hz came a few times per pack-day. A real excursion trips where it
#: did once its readings in the window average beyond the tolerance: at once for
#: one of ~3x the tolerance at 1 Hz (3 of 8 readings), up to 5 s later for a
#: smaller one; at 10 Hz the 8 readings all lie within the 2 s debounce's run.
NOISE_SAMPLES = 8
CHARGING_C = 0.01
CHARGING_SUSTAINED_S = 60.0


@dataclass(frozen=True)
class SafetyEvent(DiagnosticResult):
    check: str
    channel: str
    severity: Severity
    limit: float
    worst_value: float
    start_time_s: float
    end_time_s: float


@dataclass(frozen=True)
class SafetyResult(DiagnosticResult):
    status: str  # ok | warning | critical
    debounce_s: float
    limits: dict
    events: list[SafetyEvent] = field(default_factory=list)


def current_not_judged_text(spec: BatterySpec) -> str:
    """Why a battery's current limits are not judged (its capacity is only a lower
    bound), and how to have them judged."""
    return (
        f"current limits not judged: the capacity is only known to be at least "
        f"{spec.capacity_ah:g} Ah (a partial charge or discharge), and C-rates of it would "
        "call a larger cell's normal current over its limit; set the battery's capacity "
        "(--capacity-ah) to judge them"
    )


def safety_limits(spec: BatterySpec) -> dict:
    """The limits judged against; the current limits None (and ``current_not_judged``
    says why) while the capacity is only a lower bound."""
    if not spec.current_limits_judged:
        return _safety_limits(spec) | {
            "max_charge_current_a": None,
            "max_discharge_current_a": None,
            "charge_current_tolerance_a": None,
            "discharge_current_tolerance_a": None,
            "current_not_judged": current_not_judged_text(spec),
        }
    return _safety_limits(spec)


def _safety_limits(spec: BatterySpec) -> dict:
    return {
        "cell_v_min": spec.cell_v_min,
        "cell_v_max": spec.cell_v_max,
        "max_charge_current_a": spec.max_charge_current_a,
        "max_discharge_current_a": spec.max_discharge_current_a,
        "charge_temp_min_c": spec.charge_temp_min_c,
        "charge_temp_max_c": spec.charge_temp_max_c,
        "discharge_temp_min_c": spec.discharge_temp_min_c,
        "discharge_temp_max_c": spec.discharge_temp_max_c,
        "cell_v_tolerance_v": VOLTAGE_TOLERANCE_V,
        "charge_current_tolerance_a": current_tolerance_a(spec, spec.max_charge_current_a),
        "discharge_current_tolerance_a": current_tolerance_a(spec, spec.max_discharge_current_a),
        "temperature_tolerance_c": TEMPERATURE_TOLERANCE_C,
    }


def current_tolerance_a(spec: BatterySpec, limit_a: float) -> float:
    """The current beyond the current limit ``limit_a`` of ``spec`` that is not a
    violation (:data:`CURRENT_TOLERANCE` of that limit, or the sensor's noise
    :data:`CURRENT_NOISE_C` if larger, at most half :data:`CURRENT_MARGIN`)."""
    noise = CURRENT_NOISE_C * spec.pack_capacity_ah
    return min(max(CURRENT_TOLERANCE * limit_a, noise), 0.5 * CURRENT_MARGIN * limit_a)


def charging_current_a(spec: BatterySpec) -> float:
    """The current above which ``spec``'s pack is charging (:data:`CHARGING_C`):
    the charge temperature window applies there, the discharge one elsewhere."""
    return CHARGING_C * spec.pack_capacity_ah


def _runs(
    t: np.ndarray,
    mask: np.ndarray,
    carried: float | None,
    debounce_s: float,
    at_once: np.ndarray | None = None,
    timed: np.ndarray | None = None,
):
    """The runs of ``mask``: (starts, stops, start times, debounced). A run from the
    block's first sample starts at ``carried`` when the last block ended in it. A
    run is debounced once its last sample in ``timed`` (every sample if None) is
    ``debounce_s`` after its start, or if it has a sample in ``at_once``."""
    starts, stops = run_bounds(mask)
    t0 = t[starts]
    if carried is not None and len(starts) and starts[0] == 0:
        t0[0] = carried
    if timed is None:
        ok = t[stops - 1] - t0 >= debounce_s
    elif len(starts):
        last = run_reduce(np.maximum, np.where(timed, np.arange(len(t)), -1), starts, stops)
        ok = (last >= 0) & (t[np.maximum(last, 0)] - t0 >= debounce_s)
    else:
        ok = np.zeros(0, dtype=bool)
    if at_once is not None and len(starts):
        ok |= run_reduce(np.maximum, at_once, starts, stops)
    return starts, stops, t0, ok


#: no readings (before a log's first)
_NONE = np.empty(0)


def trailing_excess(
    x: np.ndarray, at: np.ndarray, level: float | np.ndarray, upper: bool, k: int = NOISE_SAMPLES
) -> np.ndarray:
    """At each position ``at`` of the readings ``x``: the excess beyond ``level``
    (that position's, a number or one per position; above it for an ``upper``
    level, below it otherwise) averaged over that reading and the ``k - 1`` before
    it, a reading within the level, NaN or before ``x``'s first counting as none.
    Each adds the same readings in the same order however the log is split into
    blocks: offline == live."""
    total = np.zeros(len(at))
    with np.errstate(invalid="ignore"):
        for lag in range(k):
            src = at - lag
            seg = x[np.maximum(src, 0)]
            gap = seg - level if upper else level - seg
            total += np.where((src >= 0) & (gap > 0), gap, 0.0)
    return total / k


def settled_over(
    over: np.ndarray,
    head: np.ndarray,
    value: np.ndarray,
    level: float | np.ndarray,
    band: float,
    upper: bool,
) -> np.ndarray:
    """Of the samples ``over`` the trip ``level`` (a limit and its tolerance, twice
    the noise ``band``), those where the excess beyond the limit (the level less
    twice the band) averaged over the last :data:`NOISE_SAMPLES` readings
    (:func:`trailing_excess`; ``head``: the readings before ``value``'s first, the
    latest last) is beyond the tolerance too: a noise-proof run's debounce completes
    only at one of these, so white noise about the limit does not."""
    idx = np.flatnonzero(over)
    if not len(idx):
        return over
    k1, first = NOISE_SAMPLES - 1, int(idx[0])
    x = value[max(first - k1, 0) : int(idx[-1]) + 1]
    if first < k1 and len(head):  # (readings before the block's first)
        x = np.concatenate([head[len(head) - min(len(head), k1 - first) :], x])
    b = int(idx[-1]) + 1
    lim = level if np.ndim(level) == 0 else level[idx]
    lim = lim - 2.0 * band if upper else lim + 2.0 * band
    ok = trailing_excess(x, idx - (b - len(x)), lim, upper) > 2.0 * band
    out = np.zeros_like(over)
    out[idx[ok]] = True
    return out


def carry_head(head: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The last :data:`NOISE_SAMPLES` - 1 readings after ``value`` followed ``head``
    (a copy): the ``head`` of the next block's :func:`settled_over`."""
    k1 = NOISE_SAMPLES - 1
    if len(value) < k1 and len(head):
        value = np.concatenate([head, value])
    return value[max(len(value) - k1, 0) :].copy()


def fast_confirmed(
    fast: np.ndarray, before: np.ndarray, readings: int, agree: np.ndarray | None = None
) -> np.ndarray:
    """The samples ``fast`` (beyond a fast trip level) that end a run of ``readings``
    consecutive readings beyond it, or where ``agree`` (another sensor's reading of the
    same quantity beyond the fast level too; None: none); ``before``: whether each
    reading before the block was beyond it (the latest last; fewer at the start of a
    log). Any split gives the same samples."""
    if readings <= 1:
        return fast
    k1 = readings - 1
    before = before[len(before) - min(len(before), k1) :]
    x = np.concatenate([np.zeros(k1 - len(before), dtype=bool), before, fast])
    out = fast.copy()
    for lag in range(1, readings):
        out &= x[k1 - lag : k1 - lag + len(fast)]
    return out if agree is None else out | (fast & agree)


def noise_proof_runs(beyond: np.ndarray, over: np.ndarray, carried: bool) -> np.ndarray:
    """The samples ``beyond`` the limit (by half the tolerance) since a sample
    ``over`` it by the tolerance, with none back within it between (``carried``: the block starts in such
    a run). Noise dipping within the tolerance does not break the run; its debounce
    runs from its start to its last sample over the tolerance (see :func:`_runs`):
    a value held at the limit, beyond it half the time, does not trip."""
    idx = np.arange(len(beyond))
    last_over = np.maximum.accumulate(np.where(over, idx, -1 if carried else -3))
    last_inside = np.maximum.accumulate(np.where(beyond, -2, idx))
    return beyond & (last_over > last_inside)


class _LimitCheck:
    """One limit on one channel: its closed episodes, the one still open, and a trip
    (or, while open, a release) still being debounced at the end of the last block."""

    __slots__ = (
        "check",
        "channel",
        "upper",
        "margin",
        "tolerance",
        "hysteresis",
        "fast",
        "fast_readings",
        "debounce_s",
        "events",
        "open",
        "pending",
        "back_t0",
        "tripped",
        "at_trip",
        "open_at_trip",
    )

    def __init__(
        self,
        check: str,
        channel: str,
        upper: bool,
        margin: float,
        debounce_s: float,
        tolerance: float = 0.0,
        hysteresis: float = 0.0,
        fast: float = np.inf,
        fast_readings: int = 1,
    ):
        self.check, self.channel, self.upper = check, channel, upper
        self.margin, self.debounce_s = margin, debounce_s
        self.tolerance, self.hysteresis = tolerance, hysteresis
        #: an excess beyond the limit that trips at once (inf: none), on this many
        #: consecutive readings
        self.fast, self.fast_readings = fast, fast_readings
        self.events: list[SafetyEvent] = []
        #: when each of ``events`` tripped (its run was debounced, or a sample passed
        #: the fast trip level): when a BMS would have acted on it
        self.tripped: list[float] = []
        #: each of ``events`` as it stood when it tripped (its samples up to then)
        self.at_trip: list[SafetyEvent] = []
        #: the open episode as it stood when it tripped (None: none open)
        self.open_at_trip: list[float] | None = None
        #: the episode running at the end of the last block:
        #: [start_t, limit, worst, excess, end_t, trip_t] (trip_t NaN: not yet)
        self.open: list[float] | None = None
        #: the run beyond the trip level that reached the end of the last block, still
        #: being debounced (no episode open), as an episode would be kept
        self.pending: list[float] | None = None
        #: start of the run back inside the release level (an episode open) that
        #: reached the end of the last block
        self.back_t0: float | None = None

    @property
    def busy(self) -> bool:
        """An episode is open or a trip is being debounced: the next block must be fed."""
        return self.open is not None or self.pending is not None

    def feed(
        self,
        t: np.ndarray,
        value: np.ndarray,
        limit,
        head: np.ndarray = _NONE,
        pack_reads: np.ndarray | None = None,
    ) -> None:
        """One block against ``limit`` (a number, or one per sample for a temperature
        window that depends on charging); ``head``: the readings before it (at least
        :data:`NOISE_SAMPLES` - 1 of them, fewer at the start of the log);
        ``pack_reads``: the value as the pack's voltage sensor reads it (None: not
        known; see :data:`VOLTAGE_FAST_READINGS`). NaN is neither beyond nor back inside."""
        n = len(t)
        lim = np.broadcast_to(np.asarray(limit, dtype=float), value.shape)
        with np.errstate(invalid="ignore"):
            # (the run goes on beyond half the tolerance: a value held at the limit
            # is beyond it half the time, so a run held beyond the limit itself
            # would trip on noise about a CV phase held at the limit)
            if self.upper:
                beyond = value > lim + 0.5 * self.tolerance
                level = lim + self.tolerance
                over = value > level
                fast = value > lim + self.fast
                back = value <= lim - self.hysteresis
            else:
                beyond = value < lim - 0.5 * self.tolerance
                level = lim - self.tolerance
                over = value < level
                fast = value < lim - self.fast
                back = value >= lim + self.hysteresis
            if self.fast_readings > 1:  # (a voltage: its limit is one number)
                gap = head - lim[0] if self.upper else lim[0] - head
                agree = None
                if pack_reads is not None:
                    agree = pack_reads - lim if self.upper else lim - pack_reads
                    agree = agree > self.fast
                fast = fast_confirmed(fast, gap > self.fast, self.fast_readings, agree)
        # the debounce completes at a reading beyond the tolerance whose excess
        # averaged with the readings before it is too (white noise about the limit's is not)
        settled = settled_over(over, head, value, level, 0.5 * self.tolerance, self.upper)
        d = self.debounce_s
        pending, self.pending = self.pending, None
        trip = noise_proof_runs(beyond, over, pending is not None)
        carried = pending[0] if pending is not None else None
        ts, te, tt0, tok = _runs(t, trip, carried, d, fast, settled)
        bs, be, bt0, bok = _runs(t, back, self.back_t0 if self.open is not None else None, d)
        trips, releases = np.flatnonzero(tok), np.flatnonzero(bok)
        self.back_t0 = None
        pos = 0
        while True:
            if self.open is None:
                # the next debounced trip (runs do not straddle pos: it is 0 or a
                # release's stop, and a sample back inside is not beyond)
                k = int(np.searchsorted(ts[trips], pos)) if len(trips) else 0
                if k == len(trips):
                    if len(ts) and te[-1] == n and ts[-1] >= pos:
                        # still being debounced: kept as an episode, to go on with
                        a = int(ts[-1])
                        self._begin(pending if a == 0 else None, t, value, lim, a)
                        self._extend(t, value, lim, a, n)
                        self.pending, self.open = self.open, None
                    return
                k = trips[k]
                a = int(ts[k])
                self._begin(pending if a == 0 else None, t, value, lim, a)
                # (the run's first sample that completes its debounce, or trips at once)
                when = fast[a : te[k]] | (settled[a : te[k]] & (t[a : te[k]] - tt0[k] >= d))
                i = a + int(np.argmax(when))
                self.open[5] = float(t[i])
                # the episode as known at its trip, whatever block the samples came in
                self.open_at_trip = list(self.open)
                self._extend(t, value, lim, a, i + 1, self.open_at_trip)
                pos = a
            k = int(np.searchsorted(bs[releases], pos)) if len(releases) else 0
            found = k < len(releases)
            if found:
                k = releases[k]
                end = int(bs[k])
            elif len(bs) and be[-1] == n and bs[-1] >= pos:
                end = int(bs[-1])  # back inside, the release still being debounced
                self.back_t0 = float(bt0[-1])
            else:
                end = n
            if end > pos:
                self._extend(t, value, lim, pos, end)
            if not found:
                return
            self._close()
            pos = int(be[k])

    def _begin(self, carried: list[float] | None, t, value, lim, a: int) -> None:
        """Open an episode at sample ``a``, or go on with the ``carried`` trip run
        (from the last block: ``a`` is 0)."""
        if carried is not None:
            self.open = carried
        else:
            self.open = [float(t[a]), float(lim[a]), float(value[a]), -np.inf, float(t[a]), np.nan]

    def _extend(self, t, value, lim, a: int, b: int, ep: list[float] | None = None) -> None:
        """The open episode (or ``ep``) goes on over samples ``a:b``."""
        ep = self.open if ep is None else ep
        seg, seg_lim = value[a:b], lim[a:b]
        with np.errstate(invalid="ignore"):
            if self.upper:
                ep[2] = max(ep[2], float(np.fmax.reduce(seg, initial=-np.inf)))
                gap = seg - seg_lim
            else:
                ep[2] = min(ep[2], float(np.fmin.reduce(seg, initial=np.inf)))
                gap = seg_lim - seg
        ep[3] = max(ep[3], float(np.fmax.reduce(gap, initial=-np.inf)))
        ep[4] = float(t[b - 1])

    def watch(
        self,
        t: np.ndarray,
        value: np.ndarray,
        extreme: float,
        bound: float,
        limit,
        heads: _Heads | None = None,
        row: int = 0,
        negate: bool = False,
        pack: _PackReads | None = None,
    ) -> None:
        """One block, fed only when it can matter: an episode is open or a trip is
        being debounced, or the block's ``extreme`` (its highest value for an upper
        limit, its lowest for a lower one; NaN when a reading is) is beyond ``bound``
        (the limit or, for a limit per sample, the one nearest the readings: every
        sample's is at or beyond it) by the tolerance. ``heads``: the readings before
        the block, ``row`` of them (negated if ``negate``; see :meth:`feed`);
        ``pack``: the cells as the pack's sensor reads them (``row`` of them), asked
        only where a reading is beyond the fast level (see :meth:`feed`)."""
        if not self.busy:
            if self.upper and extreme <= bound + self.tolerance:
                return
            if not self.upper and extreme >= bound - self.tolerance:
                return
        n, k = len(t), _WATCH_CHUNK
        head = _NONE if heads is None else heads.row(row, negate)
        if n <= 2 * k:
            self.feed(t, value, limit, head, self._pack_reads(extreme, bound, pack, row))
            return
        # a long block is fed a stretch at a time, only where it can matter: a
        # stretch with a sample beyond the tolerance, or while an episode is open or
        # a trip debounced (a trip run starts at such a sample: feeding from there
        # gives the same episodes, as any split does)
        m = n // k * k
        with np.errstate(invalid="ignore"):
            if self.upper:
                ext = np.maximum.reduce(value[:m].reshape(-1, k), axis=1)
                need = ~(ext <= bound + self.tolerance)
            else:
                ext = np.minimum.reduce(value[:m].reshape(-1, k), axis=1)
                need = ~(ext >= bound - self.tolerance)
        need = np.append(need, True) if m < n else need  # (the tail: fed)
        per_sample = np.ndim(limit) > 0
        reads = self._pack_reads(extreme, bound, pack, row)
        nc, j = len(need), 0
        while j < nc:
            if not need[j] and not self.busy:
                ahead = np.flatnonzero(need[j:])
                if not len(ahead):
                    return
                j += int(ahead[0])
            e = j + 1
            while e < nc and need[e]:
                e += 1
            a, b = j * k, min(e * k, n)
            pre = value[max(a - NOISE_SAMPLES + 1, 0) : a]
            if a < NOISE_SAMPLES - 1:
                pre = np.concatenate([head, pre])
            part = None if reads is None else reads[a:b]
            self.feed(t[a:b], value[a:b], limit[a:b] if per_sample else limit, pre, part)
            j = e

    def _pack_reads(
        self, extreme: float, bound: float, pack: _PackReads | None, row: int
    ) -> np.ndarray | None:
        """The pack sensor's readings of cell ``row``, where a block's ``extreme`` is
        beyond the fast level (``bound`` the limit; NaN: it may be), the only blocks
        that need them."""
        if pack is None or self.fast_readings <= 1:
            return None
        beyond = extreme - bound if self.upper else bound - extreme
        return None if beyond <= self.fast else pack.row(row)

    def _close(self) -> None:
        ep, self.open = self.open, None
        if ep is not None:
            self.events.append(self._event(ep))
            self.tripped.append(ep[5])
            self.at_trip.append(self._event(self.open_at_trip or ep))
        self.open_at_trip = None

    def _event(self, ep: list[float]) -> SafetyEvent:
        ta, lim, worst, excess, tb, _ = ep
        severity = Severity.WARNING if excess <= self.margin else Severity.CRITICAL
        return SafetyEvent(self.check, self.channel, severity, lim, worst, ta, tb)

    def all_events(self) -> list[SafetyEvent]:
        """The closed episodes and the open one, as if the log ended here."""
        if self.open is None:
            return self.events
        return [*self.events, self._event(self.open)]

    def episodes(self) -> list[tuple[SafetyEvent, float, bool]]:
        """(event, trip time, still open) of :meth:`all_events`."""
        out = [(e, t, False) for e, t in zip(self.events, self.tripped, strict=True)]
        if self.open is not None:
            out.append((self._event(self.open), self.open[5], True))
        return out

    def tripped_events(self) -> list[SafetyEvent]:
        """Each of :meth:`episodes`' events as it stood when it tripped (its worst
        value and end from its samples up to the trip), whatever the blocks."""
        out = list(self.at_trip)
        if self.open is not None:
            out.append(self._event(self.open_at_trip or self.open))
        return out


def run_excess(
    value: np.ndarray,
    limit: float | np.ndarray,
    upper: bool,
    worst: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
) -> np.ndarray:
    """The greatest excess of each run beyond its limit: ``value - limit`` above an
    upper limit, ``limit - value`` below a lower one. ``worst``: each run's highest
    (upper) or lowest value. With one limit for every sample, the worst value's
    excess: rounding is monotonic, so no sample of the run has a greater one (the
    same bits as the per-sample differences, without them)."""
    if np.ndim(limit) == 0:
        limit = float(limit)
        return worst - limit if upper else limit - worst
    with np.errstate(invalid="ignore"):
        gap = value - limit if upper else limit - value
    return run_reduce(np.maximum, gap, starts, stops)


class SafetyMonitor:
    """Incremental safety check (the live twin of :func:`monitor_safety`)."""

    columns: tuple[str, ...] = ()

    def __init__(self, spec: BatterySpec, debounce_s: float = DEFAULT_DEBOUNCE_S):
        self.spec = spec
        self.debounce_s = debounce_s
        self._cells: list[str] | None = None  # voltage channels, known from the first block
        self._temps: list[str] = []
        self._checks: list[_LimitCheck] = []
        #: start of the charge (current above CHARGING_C) under way at the end of
        #: the last block (None: none)
        self._charge_since: float | None = None
        #: the last blocks' readings of each channel judged (cell voltages, current,
        #: temperatures; one array of rows per block), back to NOISE_SAMPLES - 1 of
        #: them: the readings before the next block
        self._recent: list[np.ndarray] = []

    def _setup(self, block: SampleBlock) -> None:
        spec, debounce = self.spec, self.debounce_s
        self._cells = schema.cell_voltage_columns(block.columns)
        self._temps = schema.cell_temperature_columns(block.columns)
        if schema.TEMPERATURE in block:
            self._temps = [schema.TEMPERATURE, *self._temps]
        v_names = self._cells or ["voltage_v/cell"]
        checks = []

        def check(name, channel, upper, margin, tolerance, hysteresis, fast=np.inf, readings=1):
            checks.append(
                _LimitCheck(
                    name, channel, upper, margin, debounce, tolerance, hysteresis, fast, readings
                )
            )

        v_tol = VOLTAGE_TOLERANCE_V
        for name in v_names:
            v_max, v_min = spec.cell_v_max, spec.cell_v_min
            check(
                "cell_over_voltage",
                name,
                True,
                VOLTAGE_MARGIN * v_max,
                v_tol,
                VOLTAGE_HYSTERESIS_V,
                VOLTAGE_MARGIN * v_max,
                VOLTAGE_FAST_READINGS,
            )
            check(
                "cell_under_voltage",
                name,
                False,
                VOLTAGE_MARGIN * v_min,
                v_tol,
                VOLTAGE_HYSTERESIS_V,
                VOLTAGE_MARGIN * v_min,
                VOLTAGE_FAST_READINGS,
            )
        for kind, limit in (
            ("charge", spec.max_charge_current_a),
            ("discharge", spec.max_discharge_current_a),
        ):
            check(
                f"over_current_{kind}",
                schema.CURRENT,
                True,
                CURRENT_MARGIN * limit,
                current_tolerance_a(spec, limit),
                CURRENT_HYSTERESIS * limit,
                CURRENT_FAST_TRIP * limit,
            )
        t_tol, t_hyst = TEMPERATURE_TOLERANCE_C, TEMPERATURE_HYSTERESIS_C
        for name in self._temps:
            check("over_temperature", name, True, TEMPERATURE_MARGIN_C, t_tol, t_hyst)
            check("under_temperature", name, False, TEMPERATURE_MARGIN_C, t_tol, t_hyst)
        self._checks = checks

    def update(self, block: SampleBlock) -> dict[str, np.ndarray]:
        """Check one block against the limits. Adds no derived columns."""
        if not len(block):
            return {}
        if self._cells is None:
            self._setup(block)
        spec = self.spec
        t = block[schema.TIME]
        i = block[schema.CURRENT]
        checks = iter(self._checks)
        charge_since = self._charge_since
        self._charge_since = charge_start(t, i, charging_current_a(spec), charge_since)
        if self._cells:
            volts = [_column(block, name) for name in self._cells]
        else:
            volts = [block[schema.VOLTAGE] / spec.series_cells]
        temps = [_column(block, name) for name in self._temps]
        # most blocks violate nothing: only limits with a violation, an open
        # episode or a trip being debounced look for runs, and a side of a channel
        # whose extreme is within its limit needs no per-sample comparison at all
        columns = [*volts, i, *temps]
        lows, highs, stacked = _all_extremes(columns)
        # (the readings before this block, each channel's: the noise-proof mean's)
        heads = _Heads(self._recent) if self._recent else None
        self._recent = _recent(self._recent, columns, stacked)
        extremes = iter(zip(lows.tolist(), highs.tolist(), strict=True))
        pack = _PackReads(block, volts) if self._cells and schema.VOLTAGE in block else None
        row = 0
        for v in volts:
            hi, lo = next(checks), next(checks)
            least, most = next(extremes)
            hi.watch(t, v, most, spec.cell_v_max, spec.cell_v_max, heads, row, pack=pack)
            lo.watch(t, v, least, spec.cell_v_min, spec.cell_v_min, heads, row, pack=pack)
            row += 1
        least, most = next(extremes)
        chg, dis = next(checks), next(checks)
        if spec.current_limits_judged:  # (not C-rates of a capacity only a lower bound)
            chg.watch(t, i, most, spec.max_charge_current_a, spec.max_charge_current_a, heads, row)
            # (discharge: -i against its limit; -least is the highest of -i)
            limit = spec.max_discharge_current_a
            if dis.busy or not -least <= limit + dis.tolerance:
                dis.watch(t, -i, -least, limit, limit, heads, row, True)
        if self._temps:
            # (within the lower of the two upper limits and the higher of the two
            # lower ones: within the limits whether charging or not)
            cool = min(spec.charge_temp_max_c, spec.discharge_temp_max_c)
            warm = max(spec.charge_temp_min_c, spec.discharge_temp_min_c)
            hot = cold = None  # the per-sample limits, once a channel needs them
            for k, temp in enumerate(temps):
                hi, lo = next(checks), next(checks)
                least, most = next(extremes)
                if (
                    not hi.busy
                    and not lo.busy
                    and most <= cool + hi.tolerance
                    and least >= warm - lo.tolerance
                ):
                    continue
                if hot is None:
                    charging = sustained_charging(t, i, charging_current_a(spec), charge_since)
                    hot = np.where(charging, spec.charge_temp_max_c, spec.discharge_temp_max_c)
                    cold = np.where(charging, spec.charge_temp_min_c, spec.discharge_temp_min_c)
                hi.watch(t, temp, most, cool, hot, heads, row + 1 + k)
                lo.watch(t, temp, least, warm, cold, heads, row + 1 + k)
        return {}

    def episodes(self) -> list[tuple[SafetyEvent, float, bool]]:
        """Every limit's episodes so far, as (event, the time it tripped, whether it
        is still open): the fault detector reports them as its limit faults."""
        return [ep for check in self._checks for ep in check.episodes()]

    def tripped_events(self) -> list[SafetyEvent]:
        """:meth:`episodes`' events, in the same order, as they stood when they
        tripped: what the detector knew of each limit fault when it confirmed it."""
        return [e for check in self._checks for e in check.tripped_events()]

    def result(self) -> SafetyResult:
        """The events so far (an episode still under way counts once debounced)."""
        events = [e for check in self._checks for e in check.all_events()]
        events.sort(key=lambda e: e.start_time_s)
        status = "ok"
        if any(e.severity == Severity.CRITICAL for e in events):
            status = "critical"
        elif events:
            status = "warning"
        return SafetyResult(
            status=status,
            debounce_s=self.debounce_s,
            limits=safety_limits(self.spec),
            events=events,
        )


#: samples a long block is judged at a time by :meth:`_LimitCheck.watch`: the
#: stretches with no sample beyond a limit's tolerance are not fed (a CV phase
#: held at the limit reads beyond it in a few stretches of a long log)
_WATCH_CHUNK = 2048
#: samples a channel's extremes are taken at a time (see :func:`_extremes`)
_EXTREMES_CHUNK = 65536


def _extremes(values: np.ndarray) -> tuple[float, float]:
    """(lowest, highest) of a channel's readings, NaN if any is NaN. A chunk at a
    time: its maximum reads it again from cache, not the whole column from memory."""
    lows, highs = [], []
    for a in range(0, len(values), _EXTREMES_CHUNK):
        chunk = values[a : a + _EXTREMES_CHUNK]
        lows.append(np.minimum.reduce(chunk))
        highs.append(np.maximum.reduce(chunk))
    return float(np.minimum.reduce(lows)), float(np.maximum.reduce(highs))


def charge_start(t: np.ndarray, i: np.ndarray, above: float, since: float | None):
    """The start of the charge (current ``above``) the block ends in, None if it does
    not end charging (``since``: the one the block started in, if any)."""
    if not i[-1] > above:
        return None
    off = np.flatnonzero(~(i > above))
    if len(off):
        return float(t[off[-1] + 1])
    return float(t[0]) if since is None else since


def sustained_charging(
    t: np.ndarray, i: np.ndarray, above: float, since: float | None
) -> np.ndarray:
    """Per sample: the current has been ``above`` for CHARGING_SUSTAINED_S (``since``:
    the start of the charge under way at the block's start, if any)."""
    on = i > above
    _, start = run_starts(t, on, since)
    with np.errstate(invalid="ignore"):
        return on & (t - start >= CHARGING_SUSTAINED_S)


def _all_extremes(columns: list[np.ndarray]):
    """(lowest, highest) of each channel, as :func:`_extremes`, and the channels in
    one array (None for a long block). A short block's channels in one array: one
    reduction for all of them, not a few numpy calls each (a live block of a few
    samples of a 16-cell pack)."""
    if len(columns[0]) <= _EXTREMES_CHUNK // len(columns):
        values = np.vstack(columns)
        return np.minimum.reduce(values, axis=1), np.maximum.reduce(values, axis=1), values
    pairs = np.array([_extremes(c) for c in columns]).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1], None


def _recent(recent: list[np.ndarray], columns: list[np.ndarray], stacked) -> list[np.ndarray]:
    """The blocks of readings back to the last :data:`NOISE_SAMPLES` - 1 of each
    channel, after a block of ``columns`` (``stacked``: them in one array, if at
    hand) that followed ``recent``. Kept as they are, joined only when a limit
    needs them (:class:`_Heads`): most blocks need none."""
    k1 = NOISE_SAMPLES - 1
    if stacked is None:  # (a long block: its last readings)
        stacked = np.vstack([c[len(c) - min(len(c), k1) :] for c in columns])
    if stacked.shape[1] >= k1:
        return [stacked]
    out = [*recent, stacked]
    total = sum(r.shape[1] for r in out)
    while total - out[0].shape[1] >= k1:
        total -= out.pop(0).shape[1]
    return out


class _PackReads:
    """Each cell as the pack's own voltage sensor reads it: the pack voltage less the
    other cells (NaN where a reading is); their sum is taken on first use."""

    __slots__ = ("pack", "volts", "total")

    def __init__(self, block: SampleBlock, volts: list[np.ndarray]):
        self.pack, self.volts = block[schema.VOLTAGE], volts
        self.total: np.ndarray | None = None

    def row(self, j: int) -> np.ndarray:
        if self.total is None:
            self.total = np.add.reduce(np.vstack(self.volts), axis=0)
        return self.pack - (self.total - self.volts[j])


class _Heads:
    """The readings before a block (the last blocks', :func:`_recent`), joined on
    first use: a channel's ``row``."""

    __slots__ = ("parts", "rows")

    def __init__(self, parts: list[np.ndarray]):
        self.parts = parts
        self.rows: np.ndarray | None = None

    def row(self, j: int, negate: bool = False) -> np.ndarray:
        if self.rows is None:
            parts = self.parts
            rows = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
            self.rows = rows[:, max(rows.shape[1] - NOISE_SAMPLES + 1, 0) :]
        return -self.rows[j] if negate else self.rows[j]


def _column(block: SampleBlock, name: str) -> np.ndarray:
    values = block.get(name)
    return np.full(len(block), np.nan) if values is None else values


def monitor_safety(
    df: pd.DataFrame | SampleBlock, spec: BatterySpec, debounce_s: float = DEFAULT_DEBOUNCE_S
) -> SafetyResult:
    """Check every sample against the spec's limits (:class:`SafetyMonitor` on the whole log)."""
    monitor = SafetyMonitor(spec, debounce_s)
    monitor.update(as_block(df))
    return monitor.result()
