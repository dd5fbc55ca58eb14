"""Debounce and merge: from a per-bin condition to fault episodes.

The detectors judge their condition once per time bin; an
:class:`EpisodeTracker` turns the stream of True/False bins of several channels
into episodes: a run of True bins becomes an episode once it has lasted
``debounce_s`` (and gathered ``min_weight``); a run starting within
``merge_gap_s`` of the end of the channel's previous episode extends that episode
instead of opening a new one (so a condition that flickers around its threshold
gives one episode, not dozens). The state between calls is the open run of each
channel, so feeding bins in any number of calls gives the same episodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from app.diagnostics.runs import runs


@dataclass
class Episode:
    """An episode being built (mutable until the detector's result is taken)."""

    kind: str
    channel: str
    start_time_s: float
    end_time_s: float
    detected_time_s: float
    severity: int  # 1 warning, 2 critical
    worst: float
    detail: dict = field(default_factory=dict)
    value_name: str = "worst"  # the detail key of ``worst``
    total: float = 0.0  # sum of the weights of its bins
    total_name: str | None = None  # the detail key of ``total``, if reported
    #: evidence starting within this long after ``end_time_s`` extends the episode
    #: (its tracker's ``merge_gap_s``): until then it is not over
    merge_gap_s: float = 0.0
    #: the score each of its tracker's ``peak_aux`` figures was taken at
    peak_scores: dict = field(default_factory=dict)
    #: its figures as the detector knew them when it confirmed the episode (from the
    #: bins up to the confirming one, whatever batch they came in): ``end_time_s``,
    #: ``severity``, ``worst``, ``total``, ``detail``; None: not kept (see
    #: :meth:`snapshot`). What a live alert raised on it reads "at raise".
    at_detection: dict | None = None
    #: (what the post-processing added then, :attr:`at_detection` as plain JSON):
    #: kept by the detector, which would otherwise build it again for every block
    at_detection_json: tuple | None = field(default=None, compare=False, repr=False)

    def snapshot(self) -> None:
        """Keep the figures now as :attr:`at_detection` (call it when confirmed)."""
        self.at_detection = {
            "end_time_s": self.end_time_s,
            "severity": self.severity,
            "worst": self.worst,
            "total": self.total,
            "detail": dict(self.detail),
        }


class EpisodeTracker:
    """Episodes of one fault kind on ``channels`` (one row of the condition each).

    ``worse`` is ``"max"`` when larger values of the reported value are worse
    (over-limits, noise), ``"min"`` when smaller are (under-limits).
    ``peak_aux`` maps ``aux`` keys to the ``aux`` key of their own score: such a
    figure is reported at the episode's bin where its score peaks (NaN: not
    measured there), not at the bin of the episode's worst value -- a figure whose
    score is itself (its largest) never reads less severe later in the episode
    than when it was raised; one scored by its own evidence is its surest estimate.
    """

    def __init__(
        self,
        kind: str,
        channels: list[str],
        *,
        debounce_s: float,
        merge_gap_s: float,
        min_weight: float = 0.0,
        worse: str = "max",
        value_name: str = "worst",
        total_name: str | None = None,
        peak_aux: dict[str, str] | None = None,
    ):
        self.kind = kind
        self.channels = list(channels)
        self.debounce_s = float(debounce_s)
        self.merge_gap_s = float(merge_gap_s)
        self.min_weight = float(min_weight)
        self.sign = 1.0 if worse == "max" else -1.0
        self.value_name = value_name
        self.total_name = total_name
        self.peak_aux = dict(peak_aux or {})
        n = len(self.channels)
        self._run_t0 = np.full(n, np.nan)  # start of the open run, NaN: none
        self._run_weight = np.zeros(n)
        self._run_sev = np.zeros(n, dtype=np.int64)
        self._run_score = np.full(n, -np.inf)
        self._run_detail: list[dict] = [{} for _ in range(n)]
        self._run_value = np.full(n, np.nan)
        self._run_peak: list[dict] = [{} for _ in range(n)]  # name -> (score, value)
        self._run_ep: list[Episode | None] = [None] * n  # episode the open run extends
        self._last: list[Episode | None] = [None] * n
        self.episodes: list[Episode] = []

    @property
    def has_open_runs(self) -> bool:
        """True while some channel's condition held at the last bin fed."""
        return bool(np.isfinite(self._run_t0).any())

    def feed(
        self,
        t0: np.ndarray,
        t1: np.ndarray,
        cond: np.ndarray,
        severity: np.ndarray | int = 1,
        value: np.ndarray | None = None,
        weight: np.ndarray | None = None,
        aux: dict[str, np.ndarray] | None = None,
        hold: np.ndarray | None = None,
    ) -> None:
        """Consume bins (first/last sample times ``t0``/``t1``) with ``cond`` of shape
        (channels, bins). ``t0``, ``t1``, ``severity``, ``value``, ``weight`` and
        each ``aux`` array broadcast to that shape; ``aux`` values at the worst bin
        go to the detail. ``hold`` (broadcast alike; None: none): the bins where the
        condition could not be judged (see the module doc)."""
        cond = np.asarray(cond, dtype=bool)
        n, m = cond.shape
        if m == 0:
            return
        held = (
            np.zeros((n, m), dtype=bool)
            if hold is None
            else np.broadcast_to(np.asarray(hold, dtype=bool), (n, m)) & ~cond
        )
        active = cond.any(axis=1) | ~np.isnan(self._run_t0)
        rows = np.flatnonzero(active)
        if not len(rows):
            return
        t0 = np.broadcast_to(np.asarray(t0, float), (n, m))
        t1 = np.broadcast_to(np.asarray(t1, float), (n, m))
        sev = np.broadcast_to(np.asarray(severity), (n, m))
        val = np.broadcast_to(np.nan if value is None else np.asarray(value, float), (n, m))
        wgt = np.broadcast_to(1.0 if weight is None else np.asarray(weight, float), (n, m))
        aux = {k: np.broadcast_to(np.asarray(v, float), (n, m)) for k, v in (aux or {}).items()}
        for r in rows:
            self._feed_row(int(r), t0[r], t1[r], cond[r], sev[r], val[r], wgt[r], aux, m, held[r])

    def _feed_row(self, r, t0, t1, c, sev, val, wgt, aux, m, h) -> None:
        open_t0 = self._run_t0[r]
        spans = [(a, b, False) for a, b in runs(c)]
        if h.any():
            spans = sorted(spans + [(a, b, True) for a, b in runs(h)])
        if not np.isnan(open_t0) and (not spans or spans[0][0] != 0):
            self._close(r)  # the open run ended before this call's first bin
        end = 0  # the end of the last span, while the run is open through it
        for a, b, is_held in spans:
            is_open = not np.isnan(self._run_t0[r]) and a == end
            if is_held:
                ep = self._run_ep[r]
                if is_open and ep is not None and ep.end_time_s <= t1[b - 1]:
                    ep.end_time_s = float(t1[b - 1])  # a confirmed episode goes on
                    end = b
                    if b < m and not c[b]:
                        self._close(r)  # judged healthy next: it ended (whatever the split)
                else:
                    self._close(r)
                continue
            end = b
            continuing = is_open
            if not continuing:
                self._run_t0[r] = t0[a]
                self._run_weight[r] = 0.0
                self._run_sev[r] = 0
                self._run_score[r] = -np.inf
                self._run_value[r] = np.nan
                self._run_detail[r] = {}
                self._run_peak[r] = {}
                last = self._last[r]
                if last is not None and t0[a] - last.end_time_s <= self.merge_gap_s:
                    self._run_ep[r] = last
                else:
                    self._run_ep[r] = None
            self._absorb(r, a, b, t0, t1, sev, val, wgt, aux)
            if b < m and not h[b]:
                self._close(r)

    def _absorb(self, r, a, b, t0, t1, sev, val, wgt, aux) -> None:
        ep = self._run_ep[r]
        if ep is None:
            start = self._run_t0[r]
            w = self._run_weight[r] + np.cumsum(wgt[a:b])
            ok = (t1[a:b] - start >= self.debounce_s) & (w >= self.min_weight)
            self._run_weight[r] = float(w[-1])
            if not ok.any():
                self._take(r, a, b, sev, val, aux)
                return
            # the bins up to the confirming one first: the episode's figures then
            # are what the detector knew at its confirmation (a live alert's "at
            # raise"), however many bins after it this batch holds
            c = a + int(np.argmax(ok)) + 1
            self._take(r, a, c, sev, val, aux)
            peak = self._run_peak[r]
            ep = Episode(
                self.kind,
                self.channels[r],
                float(start),
                float(t1[c - 1]),
                float(t1[c - 1]),
                int(self._run_sev[r]),
                float(self._run_value[r]),
                {**self._run_detail[r], **{k: v for k, (_, v) in peak.items()}},
                self.value_name,
                float(w[c - 1 - a]),
                self.total_name,
                self.merge_gap_s,
                {k: p for k, (p, _) in peak.items()},
            )
            ep.snapshot()
            self.episodes.append(ep)
            self._run_ep[r] = ep
            self._last[r] = ep
            if c == b:
                return
            a = c
        self._take(r, a, b, sev, val, aux)
        self._grow(r, ep, a, b, t1, wgt)

    def _take(self, r, a, b, sev, val, aux) -> None:
        """The open run of row ``r`` takes bins ``a:b``: its worst value (and the
        figures of its bin), its ``peak_aux`` figures, its severity."""
        score = self.sign * val[a:b]
        if not np.isnan(score).all():
            j = int(np.nanargmax(score))
            if score[j] > self._run_score[r]:
                self._run_score[r] = float(score[j])
                self._run_value[r] = float(val[a + j])
                self._run_detail[r] = {
                    name: float(arr[r][a + j])
                    for name, arr in aux.items()
                    if name not in self.peak_aux
                }
        peak = self._run_peak[r]
        for name, score_name in self.peak_aux.items():
            if name not in aux:
                continue
            ps = aux[score_name][r][a:b]
            pv = aux[name][r][a:b]
            ok = np.isfinite(ps) & np.isfinite(pv)
            if ok.any():
                k = int(np.argmax(np.where(ok, ps, -np.inf)))
                if name not in peak or ps[k] > peak[name][0]:
                    peak[name] = (float(ps[k]), float(pv[k]))
        self._run_sev[r] = max(int(self._run_sev[r]), int(np.max(sev[a:b])))

    def _grow(self, r, ep: Episode, a, b, t1, wgt) -> None:
        """The confirmed episode ``ep`` goes on over bins ``a:b`` its run took."""
        ep.end_time_s = float(t1[b - 1])
        ep.total += float(np.sum(wgt[a:b]))
        ep.severity = max(ep.severity, int(self._run_sev[r]))
        if not np.isnan(self._run_value[r]) and (
            np.isnan(ep.worst) or self.sign * self._run_value[r] > self.sign * ep.worst
        ):
            ep.worst = float(self._run_value[r])
            ep.detail.update(self._run_detail[r])
        for name, (score, value) in self._run_peak[r].items():
            if name not in ep.peak_scores or score > ep.peak_scores[name]:
                ep.peak_scores[name] = score
                ep.detail[name] = value

    def last_episode(self, r: int) -> Episode | None:
        """Row ``r``'s latest confirmed episode (None: none yet)."""
        return self._last[r]

    def open_episode(self, r: int) -> Episode | None:
        """The confirmed episode row ``r``'s open run belongs to (None: none)."""
        return None if np.isnan(self._run_t0[r]) else self._run_ep[r]

    def _close(self, r: int) -> None:
        self._run_t0[r] = np.nan
        self._run_ep[r] = None
