"""Is the current's sign Battery OS's (positive = charging)? A check from the physics.

Many cyclers, BMSs and loggers count discharge as positive; a log read with that
sign gives negative resistances, an SOC that rises while the pack discharges and
false over-current-charge alarms. The check does not trust the sign: it asks the
voltage, which with positive = charging must

- **jump with the current** at a current step: ``dV/dI > 0`` (the ohmic and
  charge-transfer response, ``V = OCV + I R``; the jump is net of the voltage's
  trend just before the step), the strongest evidence; the steps
  are those of the resistance analysis (:func:`~app.diagnostics.pulse_detection.step_candidates`:
  a change of at least C/10 from a settled current, or a cycler's step change),
  with a threshold lowered to a quarter of the largest current for logs that never
  reach C/10 (a coin cell at C/30), but not below C/100 nor 10 sigma of the current
  noise; a step votes only when its voltage jump is
  above 4 sigma of the voltage noise (of the detrended difference);
- **trend with the charge** over a long one-sign stretch (at least
  :data:`MIN_SEGMENT_S`): up while charging, down while discharging, from 20 %
  into the stretch (past a lead-acid cell's coup de fouet) to its end; a flat one
  (a constant-voltage phase) does not vote.

Each step and stretch is one vote for or against the sign. The sign is
**reversed** when at least :data:`MIN_VOTES` votes (e.g. the two steps of one
pulse from rest and back, plus the discharge stretch of a long pulse), with at
least one step, are against it and at least :data:`AGREEMENT` of all votes are;
**consistent** on the same terms the other way; else **undecided** (too few
steps, or mixed). Only a reversed sign is a finding; the data are never changed
(``--invert-current`` / ``invert_current=1`` flips them, when the user says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from app.core import schema
from app.core.spec import BatterySpec
from app.diagnostics.pulse_detection import PulseSettings, noise_sigma, step_candidates
from app.diagnostics.runs import run_bounds

if TYPE_CHECKING:
    import pandas as pd

#: votes needed for a verdict either way
MIN_VOTES = 3
#: share of the votes that must agree
AGREEMENT = 0.8
#: a one-sign stretch of current at least this long votes with its voltage trend
MIN_SEGMENT_S = 300.0
#: ... and at least this many samples
MIN_SEGMENT_SAMPLES = 20
#: a voltage jump or trend votes only above this many sigma of the voltage noise
NOISE_SIGMAS = 4.0
#: a stretch's trend votes only above this much per series cell (V)
MIN_TREND_V_PER_CELL = 0.002

#: how to flip the sign: the CLI option and the file:// URL parameter
FIX = "--invert-current (file:// URL: invert_current=1)"


class SignVerdict(StrEnum):
    CONSISTENT = "consistent"  #: the voltage follows the current as positive = charging
    REVERSED = "reversed"  #: the voltage says discharge is positive in this log
    UNDECIDED = "undecided"  #: too little or mixed evidence


@dataclass(frozen=True)
class CurrentSignCheck:
    """The evidence on the current's sign and the verdict."""

    verdict: SignVerdict
    steps: int  #: current steps whose voltage jump is above the noise
    steps_against: int  #: ... where the voltage moved against the current
    median_step_ratio_ohm: float | None  #: median dV/dI of those steps (pack, ohm)
    segments: int  #: long one-sign stretches with a voltage trend above the noise
    segments_against: int  #: ... where the voltage trended against the current

    @property
    def reversed(self) -> bool:
        return self.verdict is SignVerdict.REVERSED

    @property
    def evidence(self) -> str:
        """The evidence in a few words."""
        ratio = (
            f", median dV/dI {self.median_step_ratio_ohm * 1e3:+.3g} mOhm"
            if self.median_step_ratio_ohm is not None
            else ""
        )
        return (
            f"the voltage moved against the current at {self.steps_against} of {self.steps} "
            f"current steps{ratio} and in {self.segments_against} of {self.segments} long "
            "charge/discharge stretches"
        )

    @property
    def warning(self) -> str | None:
        """One line for the user when the sign is reversed, else None."""
        if not self.reversed:
            return None
        return (
            "the current's sign looks reversed (Battery OS counts charging as positive): "
            f"{self.evidence}; if the log counts discharge as positive, use {FIX}"
        )

    @property
    def warning_when_inverted(self) -> str | None:
        """:attr:`warning` for samples the user already negated (``--invert-current``):
        the flip is what reversed them, so the advice is to drop it."""
        if not self.reversed:
            return None
        return (
            "the current's sign looks reversed after --invert-current negated it: "
            f"{self.evidence}; the log already counts charging as positive, so drop "
            "--invert-current (or invert_current=1 from a file:// URL)"
        )

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict.value,
            "steps": self.steps,
            "steps_against": self.steps_against,
            "median_step_ratio_ohm": self.median_step_ratio_ohm,
            "segments": self.segments,
            "segments_against": self.segments_against,
            "warning": self.warning,
        }


def check_current_sign(df: pd.DataFrame, spec: BatterySpec) -> CurrentSignCheck:
    """:func:`check_current_sign_arrays` of a frame in the canonical schema."""

    def column(name: str) -> np.ndarray | None:
        return df[name].to_numpy(dtype=float) if name in df.columns else None

    return check_current_sign_arrays(
        column(schema.TIME),
        column(schema.VOLTAGE),
        column(schema.CURRENT),
        spec,
        step_index=column(schema.STEP_INDEX),
    )


def check_current_sign_arrays(
    t: np.ndarray | None,
    v: np.ndarray | None,
    i: np.ndarray | None,
    spec: BatterySpec,
    *,
    step_index: np.ndarray | None = None,
) -> CurrentSignCheck:
    """The check on time, pack voltage and current samples (see the module docstring)."""
    if t is None or v is None or i is None or len(t) < 4:
        return _verdict(np.empty(0), np.empty(0), 0, 0)
    ok = np.isfinite(t) & np.isfinite(v) & np.isfinite(i)
    if not ok.all():
        t, v, i = t[ok], v[ok], i[ok]
        step_index = step_index[ok] if step_index is not None else None
    if len(t) < 4:
        return _verdict(np.empty(0), np.empty(0), 0, 0)
    sigma_v = noise_sigma(v)
    d_i, d_v, noise_gain = _step_jumps(v, i, spec, step_index, sigma_v)
    significant = (np.abs(d_v) > NOISE_SIGMAS * sigma_v * noise_gain) & (d_v != 0)
    d_i, d_v = d_i[significant], d_v[significant]
    segments, segments_against = _segment_trends(t, v, i, spec, sigma_v)
    return _verdict(d_i, d_v, segments, segments_against)


def _step_jumps(
    v: np.ndarray,
    i: np.ndarray,
    spec: BatterySpec,
    step_index: np.ndarray | None,
    sigma_v: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Current and voltage change across each current step, from the sample before it
    to the first at the new level, the voltage's change net of its trend over the
    settled samples before the step (a log sampled every 10 s steps to rest at the
    knee of a discharge, where the voltage falls faster per sample than the ohmic
    jump); and the factor by which that difference multiplies the voltage noise."""
    settings = PulseSettings()
    thr, tol, _rest = settings.currents(spec)
    biggest = float(np.max(np.abs(i)))
    if thr > 0.25 * biggest:
        # a log that never reaches C/10 (or a capacity too big): its own steps count,
        # down to C/100 and well above the current's noise (a rest log's wobble is no step)
        floor = max(settings.step_c_rate * 0.1 * spec.pack_capacity_ah, 10.0 * noise_sigma(i))
        thr = max(0.25 * biggest, floor)
        tol = settings.hold_fraction * thr
    if thr <= 0:
        return np.empty(0), np.empty(0), np.empty(0)
    if step_index is not None and not np.isfinite(step_index).any():
        step_index = None
    k, k_level = step_candidates(
        i, 0, len(i), thr=thr, tol=tol, settle=settings.settle_samples, step_index=step_index
    )
    inside = k_level < len(i)
    k, k_level = k[inside], k_level[inside]
    # the trend per sample over the settled samples k-3..k-1 (step_candidates: k >= 3),
    # carried over the m + 1 samples from k-1 to k_level
    ahead = (k_level - k + 1) / 2.0
    trend = ahead * (v[k - 1] - v[k - 3])
    # a trend within the noise is not taken off: it would add its noise to the jump
    real = np.abs(trend) > NOISE_SIGMAS * np.sqrt(2.0) * ahead * sigma_v
    d_v = v[k_level] - v[k - 1] - np.where(real, trend, 0.0)
    noise_gain = np.where(real, np.sqrt(1.0 + (1.0 + ahead) ** 2 + ahead**2), 1.0)
    return i[k_level] - i[k - 1], d_v, noise_gain


def _segment_trends(
    t: np.ndarray, v: np.ndarray, i: np.ndarray, spec: BatterySpec, sigma_v: float
) -> tuple[int, int]:
    """(stretches with a trend above the noise, those trending against the current)."""
    _thr, _tol, rest = PulseSettings().currents(spec)
    rest = min(rest, 0.1 * float(np.max(np.abs(i))))
    floor = max(NOISE_SIGMAS * sigma_v, MIN_TREND_V_PER_CELL * spec.series_cells)
    n_seg = n_against = 0
    for sign in (1.0, -1.0):
        starts, stops = run_bounds(sign * i > rest)
        # (the long ones picked at once: a drive log has ~60000 short stretches)
        long = (stops - starts >= MIN_SEGMENT_SAMPLES) & ~(t[stops - 1] - t[starts] < MIN_SEGMENT_S)
        for a, b in zip(starts[long].tolist(), stops[long].tolist(), strict=True):
            first = a + (b - a) // 5
            w = max(2, (b - a) // 10)
            change = float(np.mean(v[b - w : b]) - np.mean(v[first : first + w]))
            if abs(change) <= floor:
                continue
            n_seg += 1
            n_against += change * sign < 0
    return n_seg, n_against


def _verdict(
    d_i: np.ndarray, d_v: np.ndarray, segments: int, segments_against: int
) -> CurrentSignCheck:
    steps = len(d_i)
    steps_against = int(np.count_nonzero(d_i * d_v < 0))
    ratio = float(np.median(d_v / d_i)) if steps else None
    against = steps_against + segments_against
    votes = steps + segments
    steps_for = steps - steps_against
    if against >= MIN_VOTES and steps_against >= 1 and against >= AGREEMENT * votes:
        verdict = SignVerdict.REVERSED
    elif votes - against >= MIN_VOTES and steps_for >= 1 and votes - against >= AGREEMENT * votes:
        verdict = SignVerdict.CONSISTENT
    else:
        verdict = SignVerdict.UNDECIDED
    return CurrentSignCheck(verdict, steps, steps_against, ratio, segments, int(segments_against))


class CurrentSignTracker:
    """The live twin: :func:`check_current_sign_arrays` on the samples seen so far,
    run again each time they have doubled (linear cost in all), until it reaches a
    verdict; from then on it holds (a sign does not change in the middle of a stream)
    and the samples are let go. :meth:`finish` checks what is left at the end of a
    stream. Until a verdict the last :data:`MAX_SAMPLES` samples (up to twice as
    many between two trims) are kept, and checked again every ``MAX_SAMPLES`` new ones.

    On a finite log a verdict reached early rests on the first steps only: it is the
    offline verdict whenever the whole log agrees as clearly, but its counts are those
    of the first steps."""

    #: samples kept while no verdict is reached (four float64 columns: 16 MB; up to
    #: twice that between two trims)
    MAX_SAMPLES = 500_000
    #: the first check waits for this many samples
    FIRST_CHECK = 256

    def __init__(self, spec: BatterySpec):
        self.spec = spec
        self._chunks: list[tuple[np.ndarray, ...]] = []
        self._n = 0
        self._next_check = self.FIRST_CHECK
        self._result = _verdict(np.empty(0), np.empty(0), 0, 0)

    @property
    def decided(self) -> bool:
        return self._result.verdict is not SignVerdict.UNDECIDED

    def update(self, block) -> None:
        """Take a block (a :class:`~app.core.samples.SampleBlock` or a dict of arrays)."""
        if self.decided or schema.CURRENT not in block or schema.VOLTAGE not in block:
            return
        n = len(block[schema.TIME])
        if not n:
            return
        step = block[schema.STEP_INDEX] if schema.STEP_INDEX in block else np.full(n, np.nan)
        self._chunks.append(
            tuple(
                np.asarray(c, dtype=float)
                for c in (block[schema.TIME], block[schema.VOLTAGE], block[schema.CURRENT], step)
            )
        )
        self._n += n
        if self._n > 2 * self.MAX_SAMPLES:
            # the oldest let go once per MAX_SAMPLES samples, not on every block
            # (copies, so their memory goes); the next check as far ahead as it was
            self._join()
            dropped = self._n - self.MAX_SAMPLES
            self._chunks = [tuple(c[-self.MAX_SAMPLES :].copy() for c in self._chunks[0])]
            self._n = self.MAX_SAMPLES
            self._next_check -= dropped
        if self._n >= self._next_check:
            self._check()
            # doubling, then every MAX_SAMPLES new samples (a stream that stays undecided)
            self._next_check = self._n + min(self._n, self.MAX_SAMPLES)

    def finish(self) -> None:
        """End of the stream: check the samples not checked yet."""
        if not self.decided and self._n:
            self._check()

    def result(self) -> CurrentSignCheck:
        return self._result

    def _join(self) -> None:
        if len(self._chunks) > 1:
            self._chunks = [tuple(np.concatenate(c) for c in zip(*self._chunks, strict=True))]

    def _check(self) -> None:
        self._join()
        t, v, i, step = self._chunks[0]
        self._result = check_current_sign_arrays(
            t, v, i, self.spec, step_index=step if np.isfinite(step).any() else None
        )
        if self.decided:
            self._chunks, self._n = [], 0
