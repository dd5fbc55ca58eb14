"""The pulse analysis's shortcuts give the very numbers of the plain computation:
noise sigmas of all voltage columns at once, the RC states a fit keeps instead of
computing them again, several time constants in one call, the design rows a fit
keeps at its samples, the read-out's points at once, the cells' ratios in one
division, the step detection's settled test where the current departs only, the
cell temperatures of a pulse from one stacked window, the noise of many pulse
windows at once."""

from __future__ import annotations

import numpy as np
import pytest

from app.diagnostics import pulse_fit
from app.diagnostics.pulse_detection import (
    median,
    noise_sigma,
    noise_sigma_columns,
    noise_sigma_windows,
)


def _same_bits(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_noise_sigma_columns_are_noise_sigma_of_each_column(seed):
    rng = np.random.default_rng(seed)
    for trial in range(300):
        n, c = int(rng.integers(1, 200)), int(rng.integers(1, 18))
        x = rng.normal(3.7, 0.01, (n, c))
        if trial % 3 == 0:
            x = np.round(x, 3)  # quantised readings: ties in the medians
        if trial % 5 == 0:
            x[:, 0] = 3.7  # a flat column
        if trial % 7 == 0 and n > 2:
            x[rng.integers(0, n), rng.integers(0, c)] = np.nan  # a dropped reading
        want = [noise_sigma(x[:, j]) for j in range(c)]
        assert _same_bits(noise_sigma_columns(x), want), (trial, n, c)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_noise_sigma_windows_are_noise_sigma_of_each_window(seed):
    """Windows of one length batched (odd and even lengths, over and under the
    median's one-partition length, noisy and quantised or noise-free readings whose
    differences tie), windows with NaN or inf, short and empty ones: each window's
    noise_sigma, bit for bit."""
    rng = np.random.default_rng(seed)
    for trial in range(24):
        n = int(rng.integers(5, 12000))
        x = np.cumsum(rng.normal(0, 1e-3, n)) + rng.normal(3.7, 0.002, n)
        if trial % 4 == 1:
            x = np.round(x, 2)  # a coarse reading: most differences 0
        if trial % 4 == 2:
            x = 3.7 + 1e-3 * np.repeat(rng.normal(0, 1, n // 50 + 1), 50)[:n]  # noise-free
        if trial % 3 == 0:
            x[rng.integers(0, n, 3)] = np.nan if trial % 2 else np.inf
        m = int(rng.integers(1, 80))
        lengths = rng.choice([0, 3, 7, 8, 9, 100, 101, 4098, 4101, 5000], size=m)
        lo = rng.integers(0, n, m)
        hi = np.minimum(lo + lengths, n)
        got = noise_sigma_windows(x, lo, hi)
        want = [noise_sigma(x[a:b]) for a, b in zip(lo.tolist(), hi.tolist(), strict=True)]
        assert _same_bits(got, want)


def test_several_taus_in_one_call_give_each_tau_its_own_bits():
    rng = np.random.default_rng(4)
    t = np.cumsum(rng.uniform(0.5, 1.5, 300))
    i = np.repeat(rng.uniform(-5, 5, 12), 25)
    seg = pulse_fit.make_segments(
        t, i, fit_from=20, k=100, breaks=[100, 200], max_points=400, flat_tol=0.01
    )
    taus = np.array([3.0, 41.0, 0.7, 250.0])
    both = pulse_fit._tau_columns(seg, taus)
    for j, tau in enumerate(taus):
        assert _same_bits(both[:, j], pulse_fit._tau_columns(seg, np.array([tau]))[:, 0])
    cols, x = pulse_fit._tau_columns_states(seg, taus[:2])
    assert _same_bits(x, pulse_fit.rc_states(seg.dur, seg.cur, taus[:2], seg.start_settled))


@pytest.mark.parametrize("settled", [True, False])
def test_a_current_per_tau_column_gives_each_column_its_own_calls_bits(settled):
    # the fit solves its split test's columns (the shared current, the current
    # without the step, the step alone) and its parameter errors' both sides of the
    # difference in one call: each column must have the bits of a call of its own
    rng = np.random.default_rng(6)
    t = np.cumsum(rng.uniform(0.5, 1.5, 400))
    i = np.repeat(rng.uniform(-5, 5, 16), 25)
    seg = pulse_fit.make_segments(
        t,
        i,
        fit_from=30,
        k=200,
        breaks=[200, 300],
        max_points=120,
        flat_tol=0.01,
        start_settled=settled,
    )
    cb = np.where(seg.start >= 200, seg.cur - seg.cur[5], 0.0)
    currents = [seg.cur, seg.cur - cb, cb]
    taus = np.array([2.5, 60.0, 0.9, 700.0, 13.0, 13.0])
    curs = np.column_stack([currents[j % 3] for j in range(len(taus))])
    cols, x = pulse_fit._tau_columns_states(seg, taus, curs)
    for j, tau in enumerate(taus):
        one_cols, one_x = pulse_fit._tau_columns_states(seg, np.array([tau]), currents[j % 3])
        assert _same_bits(cols[:, j], one_cols[:, 0]), j
        assert _same_bits(x[:, j], one_x[:, 0]), j


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_the_fit_is_that_of_one_call_per_current(seed, monkeypatch):
    # the whole fit, its columns and parameter errors computed with one call per
    # current (the plain computation) and with the currents side by side
    rng = np.random.default_rng(seed)
    t = np.arange(700) * 0.5
    before = np.where((t // 15) % 2 == 0, -1.0, -2.5)
    i = np.where(t < 150, before, 4.0)
    i = np.where(t >= 250, 0.0, i)
    gain = np.where((t >= 150) & (t < 250), 1.6, 1.0)
    v = 3.7 + 0.01 * i * gain + 0.004 * i * (1 - np.exp(-t / 30.0)) + rng.normal(0, 2e-4, len(t))
    breaks = [int(b) for b in np.flatnonzero(np.diff(i) != 0) + 1 if b != 300]
    args = dict(fit_from=60, k=300, breaks=breaks, max_points=150, flat_tol=0.01)
    fast = pulse_fit.fit_pulse_response(t, i, v, **args)
    plain_states = pulse_fit._tau_columns_states

    def one_call_per_current(seg, taus, cur=None):
        if cur is None or cur.ndim == 1:
            return plain_states(seg, taus, cur)
        parts = [plain_states(seg, taus[j : j + 1], cur[:, j]) for j in range(len(taus))]
        return np.hstack([c for c, _ in parts]), np.hstack([x for _, x in parts])

    monkeypatch.setattr(pulse_fit, "_tau_columns_states", one_call_per_current)
    plain = pulse_fit.fit_pulse_response(t, i, v, **args)
    assert fast is not None and plain is not None and fast.split == plain.split
    for name in ("coef", "x1", "x2", "xb1", "xb2", "sample_rows"):
        assert _same_bits(
            getattr(fast, name) if getattr(fast, name) is not None else np.nan,
            getattr(plain, name) if getattr(plain, name) is not None else np.nan,
        ), name
    assert (fast.tau1_s, fast.tau2_s, fast.rmse_v, fast.std) == (
        plain.tau1_s,
        plain.tau2_s,
        plain.rmse_v,
        plain.std,
    )


@pytest.mark.parametrize("step_a", [-5.0, 3.0])
@pytest.mark.parametrize("split", [False, True])
def test_a_fitted_model_keeps_what_it_would_compute_again(step_a, split):
    rng = np.random.default_rng(5)
    t = np.arange(600) * 0.5
    # before the step: a held current, or one switching every 20 s; the step answering
    # twice as strongly as that current (a split model, which needs the switching)
    before = np.where((t // 20) % 2 == 0, -1.0, -2.0) if split else -1.0
    i = np.where(t < 100, before, step_a)
    i = np.where(t >= 200, 0.0, i)
    gain = np.where((t >= 100) & (t < 200), 2.0, 1.0)
    v = 3.7 + 0.01 * i * gain + 0.004 * i * (1 - np.exp(-t / 20.0)) + rng.normal(0, 2e-4, len(t))
    cells = v[:, None] / 4 + rng.normal(0, 2e-4, (len(t), 4))
    breaks = [int(b) for b in np.flatnonzero(np.diff(i) != 0) + 1 if b != 200]
    model = pulse_fit.fit_pulse_response(
        t, i, v, fit_from=40, k=200, breaks=breaks, cells=cells, max_points=400
    )
    assert model is not None and model.split == split
    # the states the fit kept are those of its currents
    x = pulse_fit.rc_states(
        model.seg.dur, model.cur_a, np.array([model.tau1_s, model.tau2_s]), True
    )
    assert _same_bits(model.x1, x[:, 0]) and _same_bits(model.x2, x[:, 1])
    if model.split:
        xb = pulse_fit.rc_states(
            model.seg.dur, model.cur_b, np.array([model.tau1_s, model.tau2_s]), True
        )
        assert _same_bits(model.xb1, xb[:, 0]) and _same_bits(model.xb2, xb[:, 1])
    # the rows kept at the fitted samples, and one-point predictions from many rows
    assert _same_bits(model.sample_rows, model.rows(t[40:]))
    points = np.array([t[199], t[202], t[220], t[260]])
    rows = model.rows(points)
    for j, x_t in enumerate(points):
        one = model.predict(np.array([x_t]), cells=True)
        assert _same_bits((rows[j : j + 1] @ model.coefs(cells=True)), one)


def _rc_states_plain(dur, cur, taus, settled=True):
    """rc_states with an exponential per segment and time constant (no shortcut)."""
    n = len(dur)
    out = np.empty((n, len(taus)))
    x0 = cur[0] if settled else 0.0
    out[0] = x0
    if n == 1:
        return out
    a = np.exp(-dur[:-1, None] / taus[None, :])
    u = (1.0 - a) * (cur[:-1] if cur.ndim == 2 else cur[:-1, None])
    d = 1
    while d < n - 1:
        u[d:] = a[d:] * u[:-d] + u[d:]
        a[d:] = a[d:] * a[:-d]
        d *= 2
    out[1:] = a * x0 + u
    return out


@pytest.mark.parametrize("dt", [1.0, 0.1, 0.25, 1e-3, 7.3])
@pytest.mark.parametrize("settled", [True, False])
def test_evenly_spaced_rc_states_are_those_of_an_exponential_per_segment(dt, settled):
    # (a window of single samples at a steady rate: one row of exponentials for all)
    rng = np.random.default_rng(int(dt * 1000))
    taus = np.exp(np.arange(np.log(0.5 * dt), np.log(5000.0), np.log(1.5)))
    for n in (1, 2, 3, 17, 281, 400):
        dur = np.full(n, dt)
        cur = np.repeat(rng.uniform(-5, 5, n // 20 + 1), 20)[:n] + rng.normal(0, 0.05, n)
        got = pulse_fit.rc_states(dur, cur, taus, settled)
        assert _same_bits(got, _rc_states_plain(dur, cur, taus, settled)), n
        curs = np.column_stack([cur, -cur])
        got = pulse_fit.rc_states(dur, curs, taus[:2], settled)
        assert _same_bits(got, _rc_states_plain(dur, curs, taus[:2], settled)), n
    # uneven steps take the general path: still the plain values
    dur = dt * rng.uniform(0.5, 1.5, 300)
    cur = rng.uniform(-5, 5, 300)
    assert _same_bits(pulse_fit.rc_states(dur, cur, taus), _rc_states_plain(dur, cur, taus))


def test_nan_mean_is_numpys_nanmean():
    rng = np.random.default_rng(9)
    for trial in range(200):
        n = int(rng.integers(1, 500))
        x = rng.normal(0, 1e-3, n) ** 2
        if trial % 4 == 0:
            x[rng.integers(0, n)] = np.nan
        assert _same_bits(pulse_fit.nan_mean(x), np.nanmean(x)), trial
        m = rng.normal(0, 1e-3, (n, 16)) ** 2
        if trial % 4 == 1:
            m[rng.integers(0, n), rng.integers(0, 16)] = np.nan
        assert _same_bits(pulse_fit.nan_mean(m), np.nanmean(m, axis=0)), trial


@pytest.mark.parametrize("dt", [1.0, 0.1])
def test_uncompressed_window_segments_are_the_general_segment_means(dt):
    # a window of at most max_points samples: one sample a segment, the samples taken
    # as the means instead of summed segment by segment
    rng = np.random.default_rng(7)
    for n in (12, 50, 281, 400):
        t = 1000.0 + np.arange(n) * dt + (rng.uniform(0, 1e-3, n) if n == 50 else 0.0)
        i = np.repeat(rng.uniform(-5, 5, n // 10 + 1), 10)[:n] + rng.normal(0, 0.05, n)
        seg = pulse_fit.make_segments(
            t, i, fit_from=2, k=n // 3, breaks=[], max_points=400, flat_tol=0.5
        )
        assert seg.n == n
        cur, tmean, even_dt = pulse_fit._segment_means(t, i, seg.start, seg.count, np.diff(t))
        for got, want in ((seg.cur, cur), (seg.tmean, tmean), (seg.dt, even_dt)):
            assert _same_bits(got, want), n
        x = rng.normal(size=(n, 3))
        assert _same_bits(pulse_fit._segment_sums(x, seg), np.add.reduceat(x, seg.start, axis=0))


def test_mean_decay_of_evenly_spaced_segments_is_that_of_a_mixed_window():
    # all segments evenly spaced: the geometric series alone, the values a window
    # with an unevenly spaced segment too gives the evenly spaced ones
    rng = np.random.default_rng(11)
    n = 3000
    t = np.arange(n) * 0.1
    i = np.repeat(rng.uniform(-50, 25, n // 100 + 1), 100)[:n] + rng.normal(0, 0.05, n)
    kw = dict(fit_from=1200, k=1800, breaks=[], max_points=400, flat_tol=0.5)
    even = pulse_fit.make_segments(t, i, **kw)
    t_mixed = t.copy()
    t_mixed[-40:] += rng.uniform(0, 0.03, 40)  # the last segment unevenly spaced
    mixed = pulse_fit.make_segments(t_mixed, i, **kw)
    assert np.isfinite(even.dt).all() and np.isnan(mixed.dt).any()
    assert _same_bits(even.start, mixed.start)
    taus = np.exp(np.arange(np.log(0.05), np.log(2e4), np.log(1.5)))
    got, ref = pulse_fit._mean_decay(even, taus), pulse_fit._mean_decay(mixed, taus)
    before = mixed.start + mixed.count <= n - 40  # segments the perturbation spares
    assert before.sum() > 100 and (even.count[before] > 1).sum() > 50
    assert _same_bits(got[before], ref[before])


def _plain_read_deltas(model, t, volts, k, kl, last, fit_from, eval_t):
    """The read-out's voltage steps one read point at a time, as first written."""
    from app.diagnostics import internal_resistance as ir
    from app.diagnostics.pulse_detection import median

    with_cells = volts.shape[1] > 1
    resid = volts[fit_from:] - model.sample_rows @ model.coefs(cells=with_cells)
    sigma = noise_sigma_columns(volts[fit_from:])
    rms = np.sqrt(np.nanmean(resid**2, axis=0))
    bar = np.where(rms > ir._MISFIT_RATIO * sigma, ir._RESIDUAL_SIGMAS_MISFIT, ir._RESIDUAL_SIGMAS)
    points = [float(t[k - 1]), *(x for x in eval_t.values() if x is not None)]
    design = model.rows(np.array(points))
    coefs = model.coefs(cells=with_cells)
    bases = {x: (design[j : j + 1] @ coefs)[0] for j, x in enumerate(points)}

    def corrected(x, lo, hi):
        tt = t[lo:hi]
        half = ir._RESIDUAL_HALF_S
        if len(tt) > 1:
            half = max(half, 1.5 * median(np.diff(tt)))
        near = np.flatnonzero(np.abs(tt - x) <= half) + lo
        if near.size < 3:
            near = lo + np.argsort(np.abs(tt - x), kind="stable")[:3]
        r = resid[near - fit_from]
        ok = np.isfinite(r)
        if ok.all():
            mean = r.sum(axis=0) / len(near)
        else:
            mean = np.where(
                ok.any(axis=0), np.nansum(r, axis=0) / np.maximum(ok.sum(axis=0), 1), 0.0
            )
        significant = np.abs(mean) > bar * sigma / np.sqrt(len(near))
        return bases[x] + np.where(significant, mean, 0.0)

    before = corrected(float(t[k - 1]), fit_from, k)
    return {key: corrected(x, kl, last + 1) - before for key, x in eval_t.items() if x is not None}


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_the_read_out_of_all_points_at_once_is_that_of_one_at_a_time(seed):
    # every read point's residual mean from one test of all points (slices of runs of
    # samples), against the plain per-point gathers: the same bits, also with a
    # dropped reading, a curved (misfit) window, uneven and slow sampling
    from app.diagnostics.internal_resistance import InternalResistanceTracker

    rng = np.random.default_rng(seed)
    for trial in range(12):
        dt = [0.1, 1.0, 2.5][trial % 3]
        t = np.arange(int(160 / dt)) * dt
        if trial % 4 == 1:
            t = np.cumsum(rng.uniform(0.3, 1.7, len(t))) * dt
        k = int(np.searchsorted(t, 60.0))
        i = np.where(t >= t[k], rng.uniform(-8, 8), 0.0)
        i = np.where(t >= t[k] + 40.0, 0.0, i)
        last = int(np.searchsorted(t, t[k] + 40.0)) - 1
        cells = (
            3.6 + 0.01 * i[:, None] * rng.uniform(0.8, 1.2, 3) + rng.normal(0, 1e-3, (len(t), 3))
        )
        if trial % 2:
            cells += 0.02 * np.maximum(t - t[k], 0)[:, None] ** 2 / 1600.0  # a curve
        v = cells.sum(axis=1)
        if trial % 3 == 2:
            v[k + 3] = np.nan
        fit_from = int(np.searchsorted(t, 20.0))
        breaks = [int(b) for b in np.flatnonzero(np.diff(i) != 0) + 1 if b != k]
        model = pulse_fit.fit_pulse_response(
            t, i, v, fit_from=fit_from, k=k, breaks=breaks, cells=cells, max_points=400
        )
        assert model is not None
        volts = np.column_stack([v, cells])
        eval_t = {"r_ohmic_ohm": float(t[k]), "r_2s_ohm": float(t[k]) + 2.0}
        eval_t |= {"r_10s_ohm": float(t[k]) + 10.0, "r_30s_ohm": float(t[last])}
        args = (model, t, volts, k, k, last, fit_from, eval_t)
        fast = InternalResistanceTracker._read_deltas(*args)[0]
        plain = _plain_read_deltas(*args)
        assert fast.keys() == plain.keys()
        for key in plain:
            assert _same_bits(fast[key], plain[key]), (trial, key)


def test_the_cells_ratios_at_once_are_those_one_at_a_time():
    from app.diagnostics.internal_resistance import _cell_ratios, _ratio, _scaled

    rng = np.random.default_rng(5)
    dv = rng.normal(0, 0.01, 40)
    dv[[3, 7, 11]] = [np.nan, np.inf, -np.inf]
    for di in (2.5, -0.3, 1e-300, 0.0, np.nan, np.inf):
        for p in (1, 3):
            want = [_scaled(_ratio(d, di), p) for d in dv]
            assert _cell_ratios(dv, di, p) == want, (di, p)


def _plain_step_candidates(i, lo, hi, *, thr, tol, settle, step_index=None):
    """step_candidates as first written: every sample's settled test."""
    from app.diagnostics.pulse_detection import STEP_INDEX_RAMP

    lo = max(lo, settle, 1)
    hi = min(hi, len(i) - 1)
    if hi <= lo:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    pre = i[lo - 1 : hi - 1]
    settled = np.ones(hi - lo, dtype=bool)
    for m in range(2, settle + 1):
        settled &= np.abs(i[lo - m : hi - m] - pre) <= tol
    departs = np.abs(i[lo:hi] - pre) > tol
    cand = settled & departs
    if step_index is not None:
        s_prev, s_now = step_index[lo - 1 : hi - 1], step_index[lo:hi]
        cand |= np.isfinite(s_now) & np.isfinite(s_prev) & (s_now != s_prev) & departs
    at = np.flatnonzero(cand)
    k = at + lo
    pre = pre[at]
    n = len(i)
    moving = np.abs(i[k + 1] - i[k]) > tol
    k_level = np.where(moving, k + 1, k)
    if step_index is not None and k.size:
        marked = step_index[k] != step_index[k - 1]
        offs = np.arange(STEP_INDEX_RAMP)
        j = k[:, None] + offs[None, :]
        have = j + 1 < n
        jj = np.minimum(j, n - 2)
        calm = have & (np.abs(i[jj + 1] - i[jj]) <= tol)
        first = np.where(calm.any(axis=1), k + np.argmax(calm, axis=1), k + STEP_INDEX_RAMP)
        undecided = ~calm.any(axis=1) & ~have.all(axis=1)
        # a step of one row: the next row starts the next step
        for q, kk in enumerate(k.tolist()):
            nxt = step_index[kk + 1] if kk + 1 < n else np.nan
            if np.isfinite(nxt) and nxt != step_index[kk]:
                first[q], undecided[q] = kk, False
        k_level = np.where(marked, np.where(undecided, n, first), k_level)
    big = np.abs(i[np.minimum(k_level, n - 1)] - pre) >= thr
    big |= k_level >= n
    return k[big], k_level[big]


@pytest.mark.parametrize("with_steps", [False, True])
def test_steps_tested_for_settling_where_the_current_departs_only(with_steps):
    from app.diagnostics.pulse_detection import step_candidates

    rng = np.random.default_rng(6)
    found = 0
    for trial in range(60):
        n = int(rng.integers(5, 3000))
        hold = int(rng.integers(1, 8))
        i = np.repeat(rng.choice([0.0, -2.0, 1.0, 5.0], n // hold + 1), hold)[:n]
        i = i + rng.normal(0, [0.0, 0.01, 0.3][trial % 3], n)
        if trial % 4 == 0:
            i[rng.integers(0, n, 3)] = np.nan
        steps = np.cumsum(rng.random(n) < 0.01).astype(float) if with_steps else None
        if with_steps and trial % 2:
            steps[rng.integers(0, n, 5)] = np.nan
        args = (i, int(rng.integers(0, 4)), n - int(rng.integers(0, 4)))
        kw = dict(thr=0.5, tol=0.05, settle=int(rng.integers(1, 6)), step_index=steps)
        k, k_level = step_candidates(*args, **kw)
        plain_k, plain_level = _plain_step_candidates(*args, **kw)
        assert k.tolist() == plain_k.tolist() and k_level.tolist() == plain_level.tolist()
        found += k.size
    assert found > 100  # (steps were there to find)


def test_steps_of_a_long_log_found_a_chunk_at_a_time_are_those_of_the_whole():
    # a log longer than the departures' chunk: steps at and about its boundaries,
    # from any first sample (the chunks start there), NaN readings
    from app.diagnostics.pulse_detection import _DEPARTURE_CHUNK, step_candidates

    rng = np.random.default_rng(7)
    c = _DEPARTURE_CHUNK
    n = 3 * c + 123
    i = np.repeat(rng.choice([0.0, -2.0, 1.0, 5.0], n // 40 + 1), 40)[:n]
    i += rng.normal(0, 0.01, n)
    edges = (c - 1, 2 * c + 1, 3 * c)
    for j in edges:  # settled at 0, a step to 2 A at the sample j
        i[j - 5 : j], i[j : j + 30] = 0.0, 2.0
    i[rng.integers(0, n, 20)] = np.nan
    for lo, hi in ((0, n), (1, n - 1), (c - 3, 2 * c + 7), (17, c + 1), (c, 3 * c)):
        kw = dict(thr=0.5, tol=0.05, settle=3)
        k, k_level = step_candidates(i, lo, hi, **kw)
        plain_k, plain_level = _plain_step_candidates(i, lo, hi, **kw)
        assert k.tolist() == plain_k.tolist() and k_level.tolist() == plain_level.tolist()
        assert k.dtype == plain_k.dtype
    k, _ = step_candidates(i, 0, n, thr=0.5, tol=0.05, settle=3)
    assert set(edges) <= set(k.tolist())


def test_a_pulses_cell_temperatures_at_once_are_each_columns_finite_mean():
    # the window of every cell temperature column stacked and summed by rows: the
    # bits of each column's own masked mean, with dropped readings (NaN, inf) and a
    # cell with none in the window (None)
    from app.core.spec import preset
    from app.diagnostics.internal_resistance import InternalResistanceTracker, _finite_mean

    rng = np.random.default_rng(8)
    cells, n = 16, 5000
    temps = rng.normal(25.0, 3.0, (n, cells)) * rng.uniform(0.5, 2.0, cells)
    temps[rng.random((n, cells)) < 0.002] = np.nan
    temps[rng.integers(0, n, 5), rng.integers(0, cells, 5)] = np.inf
    temps[2000:2300, 3] = np.nan  # a cell without a reading for 300 samples
    names = [f"cell_{c + 1}_temp_c" for c in range(cells)]
    tracker = InternalResistanceTracker(preset("nmc", series_cells=cells))
    # (the tracker's buffer as its input makes it, without the trimming of a
    # log without pulses)
    tracker._cell_temp_cols = names
    tracker._buf.append({"t": np.arange(n, dtype=float)} | dict(zip(names, temps.T, strict=True)))
    buf, fallback, missing = tracker._buf, 0, 0
    starts = rng.integers(0, n - 300, 150).tolist()
    windows = [(lo, lo + int(rng.integers(1, 300))) for lo in starts]
    for lo, hi in [(2010, 2100), (0, 0), *windows]:
        want = [_finite_mean(buf[c][lo:hi]) for c in names]
        got = tracker._cell_temperatures(lo, hi)
        assert len(got) == cells and all(
            (a is None and b is None) or (a is not None and b is not None and a == b)
            for a, b in zip(got, want, strict=True)
        ), (lo, hi)
        fallback += not np.isfinite(temps[lo:hi]).all()
        missing += None in got
    assert fallback > 20 and missing >= 2  # (both paths taken)


@pytest.mark.parametrize("n", [4096, 4097, 50_000, 50_001])
def test_median_of_a_long_array_is_that_of_the_partition_around_several(n, monkeypatch):
    """A long array's median from one partition (the value below the middle the largest
    of those before it) is the median of the partition around the middle value(s) and
    the last (NaN), bit for bit: ties, signed zeros, infinities and NaN included."""
    from app.diagnostics import pulse_detection

    rng = np.random.default_rng(n)
    for trial in range(40):
        x = rng.normal(0.0, 1.0, n)
        if trial % 4 == 1:
            x = np.round(x, 1)  # many ties
        if trial % 4 == 2:
            x[: n // 2 + trial] = rng.choice([0.0, -0.0], n // 2 + trial)  # zeros of both signs
        if trial % 5 == 3:
            x[rng.integers(0, n, 3)] = [np.inf, -np.inf, np.inf]
        if trial % 7 == 4:
            x[rng.integers(0, n)] = np.nan
        if trial == 39:
            x[: n // 2 + 2] = np.nan  # most of it
        rng.shuffle(x)
        got = pulse_detection.median(x)
        monkeypatch.setattr(
            pulse_detection, "_ONE_KTH_MIN", 10**12
        )  # (the partition around several)
        want = pulse_detection.median(x)
        monkeypatch.undo()
        assert _same_bits(got, want), trial


def _plain_std_of(model, times, weights):
    """PulseModel.std_of with a model of its own per moved time constant (its states
    driven anew by rc_states, its voltage from rows @ coef): the plain computation."""
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    if model.cov is None:
        return np.full(len(w), np.nan)
    times = np.atleast_1d(np.asarray(times, dtype=float))
    grad = w @ model.rows(times)
    if model.cov_shape is not None:
        g = grad[:, :6].copy()
        g[:, 2:5] += grad[:, 6:9]
        grad = np.column_stack([g, grad[:, 6:9] @ model.cov_shape])
    eps = pulse_fit._STD_EPS
    taus = np.array([model.tau1_s, model.tau2_s])
    dtau = []
    for j in range(2):
        up, down = taus.copy(), taus.copy()
        up[j] *= np.exp(eps)
        down[j] *= np.exp(-eps)
        diff = model._with_taus(up).voltage(times) - model._with_taus(down).voltage(times)
        dtau.append(w @ diff / (2 * eps))
    g = np.column_stack([grad[:, model.cov_use], *dtau])
    var = np.einsum("ij,jk,ik->i", g, model.cov, g)
    return np.sqrt(np.maximum(var, 0.0))


@pytest.mark.parametrize("step_a", [-5.0, 3.0])
@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("dt", [0.5, None])
def test_std_of_with_all_moved_time_constants_in_one_call_is_the_plain_one(step_a, split, dt):
    """std_of drives the states of the four moved time constants in one rc_states call
    and reuses the times' segments: the bits of a model per moved time constant (a
    split and a plain model, evenly and unevenly spaced samples, one and several
    read points and weights)."""
    rng = np.random.default_rng(7)
    t = np.arange(600) * 0.5 if dt else np.cumsum(rng.uniform(0.2, 0.8, 600))
    k = int(np.searchsorted(t, 100.0))
    before = np.where((t // 20) % 2 == 0, -1.0, -2.0) if split else -1.0
    i = np.where(t < t[k], before, step_a)
    end = int(np.searchsorted(t, 200.0))
    i = np.where(np.arange(len(t)) >= end, 0.0, i)
    gain = np.where((t >= t[k]) & (t < t[end]), 2.0, 1.0)
    v = 3.7 + 0.01 * i * gain + 0.004 * i * (1 - np.exp(-t / 20.0)) + rng.normal(0, 2e-4, len(t))
    breaks = [int(b) for b in np.flatnonzero(np.diff(i) != 0) + 1 if b != end]
    model = pulse_fit.fit_pulse_response(t, i, v, fit_from=40, k=k, breaks=breaks, max_points=400)
    assert model is not None and model.cov is not None and model.split == split
    for points, weights in (
        ([t[k - 1]], [[1.0]]),
        ([t[k - 1], t[k + 5], t[end - 3]], [[-1.0, 1.0, 0.0], [-1.0, 0.0, 1.0]]),
        ([t[k - 1], t[k + 30]], [[0.0, 1.0]]),
    ):
        got = model.std_of(np.array(points), np.array(weights))
        assert _same_bits(got, _plain_std_of(model, np.array(points), np.array(weights)))


@pytest.mark.parametrize("n", [1, 2, 9, 300, 301, 4096, 4097, 50_000, 50_001])
def test_median_of_a_scratch_array_partitioned_in_place_is_the_median(n):
    rng = np.random.default_rng(n + 1)
    for trial in range(12):
        x = rng.normal(0.0, 1.0, n)
        if trial % 3 == 1:
            x = np.round(x, 1)  # many ties
        if trial % 4 == 2:
            x[rng.integers(0, n)] = np.nan
        want = median(x)
        assert _same_bits(median(x.copy(), scratch=True), want), trial


@pytest.mark.parametrize("n", [20, 301, 302, 4098, 4099, 4100, 60_001])
def test_noise_sigma_is_the_plain_formula(n):
    """The differences into two buffers and the medians partitioning them in place,
    against np.diff and np.median, bit for bit."""
    rng = np.random.default_rng(n)
    for trial in range(8):
        x = 3.7 + np.cumsum(rng.normal(0.0, 1e-3, n))
        if trial % 4 == 1:
            x = np.round(x, 3)  # quantised: ties
        if trial % 4 == 2:
            x[rng.integers(0, n, 5)] = np.nan  # dropped, then the finite ones
        if trial % 4 == 3:
            x[rng.integers(0, n, 2)] = np.inf
        y = x[np.isfinite(x)]
        d3 = np.diff(y, 3)
        want = float(np.median(np.abs(d3 - np.median(d3))) / 0.6745 / np.sqrt(20.0))
        before = x.copy()
        assert _same_bits(noise_sigma(x), want), trial
        assert _same_bits(x, before)  # (the caller's array untouched)


def test_third_differences_at_some_samples_are_np_diffs():
    from app.diagnostics.pulse_detection import _third_differences_at

    rng = np.random.default_rng(11)
    for trial in range(10):
        x = np.cumsum(rng.normal(0.0, 1.0, 5000)) * 10.0 ** float(rng.integers(-3, 3))
        if trial % 3 == 1:
            x = np.round(x, 1)
        if trial % 3 == 2:
            x[rng.integers(0, 5000, 20)] = rng.choice([np.nan, np.inf, -np.inf], 20)
        at = rng.integers(0, len(x) - 3, (300, 13))
        assert _same_bits(_third_differences_at(x, at), np.diff(x, 3)[at]), trial


@pytest.mark.parametrize("seed", [1, 2])
def test_window_sums_are_each_slices_sum(seed):
    """Windows of one length gathered as rows and summed along them: each slice's own
    pairwise sum, bit for bit (lengths under and over numpy's 8- and 128-value blocks,
    one window of a length, empty and skipped windows)."""
    from app.diagnostics.pulse_detection import window_sums

    rng = np.random.default_rng(seed)
    x = rng.normal(size=20000) * 10.0 ** rng.uniform(-3, 3, 20000)
    lengths = rng.choice([0, 1, 2, 7, 8, 9, 100, 128, 129, 1000, 2501, 6000], size=400)
    lo = rng.integers(0, len(x) - 6000, 400)
    hi = lo + lengths
    where = rng.random(400) < 0.8
    got = window_sums(x, lo, hi, where=where)
    want = [x[a:b].sum() if w else 0.0 for a, b, w in zip(lo, hi, where, strict=True)]
    assert _same_bits(got, want)
    assert _same_bits(window_sums(x, lo, hi), [x[a:b].sum() for a, b in zip(lo, hi, strict=True)])


def test_finite_means_of_many_windows_are_each_windows_finite_mean():
    from app.diagnostics.internal_resistance import _finite_mean, _finite_means

    rng = np.random.default_rng(3)
    x = rng.normal(25.0, 3.0, 8000)
    x[rng.integers(0, 8000, 12)] = np.nan
    x[rng.integers(0, 8000, 3)] = np.inf
    x[3000:3100] = np.nan  # no finite reading in some windows
    lo = rng.integers(0, 7800, 300)
    hi = lo + rng.choice([0, 1, 5, 40, 100, 101, 200], size=300)
    lo[:3], hi[:3] = [3010, 2990, 0], [3090, 3110, 0]
    got = _finite_means(x, lo, hi)
    want = [_finite_mean(x[a:b]) for a, b in zip(lo.tolist(), hi.tolist(), strict=True)]
    assert [a is None for a in got] == [b is None for b in want]
    assert all(a == b for a, b in zip(got, want, strict=True) if a is not None)
    assert (
        sum(a is None for a in got) >= 2
        and sum(not np.isfinite(x[a:b]).all() for a, b in zip(lo, hi, strict=True)) > 20
    )


@pytest.mark.parametrize("dt", [0.1, 1.0])
def test_rc_states_and_mean_decays_of_distinct_values_are_those_of_every_segment(dt):
    """A compressed window's segments repeat their durations and (step, count) pairs:
    the exponentials of the distinct ones, gathered, give every segment its own bits."""
    rng = np.random.default_rng(12)
    n = 6000
    t = np.arange(n) * dt
    i = np.repeat(rng.uniform(-50, 25, n // 100 + 1), 100)[:n] + rng.normal(0, 0.05, n)
    seg = pulse_fit.make_segments(
        t, i, fit_from=1200, k=4800, breaks=[4800], max_points=300, flat_tol=0.5
    )
    assert seg.distinct_steps is not None and seg.distinct_decays is not None
    taus = np.exp(np.arange(np.log(0.05), np.log(3e4), np.log(1.5)))
    for settled in (True, False):
        got = pulse_fit.rc_states(seg.dur, seg.cur, taus, settled, seg.distinct_steps)
        assert _same_bits(got, _rc_states_plain(seg.dur, seg.cur, taus, settled))
    plain = pulse_fit.Segments(
        **{f.name: getattr(seg, f.name) for f in pulse_fit.dataclasses.fields(seg)}
    )
    plain.__dict__["distinct_decays"] = None  # (the cached shortcut off: every segment)
    assert _same_bits(pulse_fit._mean_decay(seg, taus), pulse_fit._mean_decay(plain, taus))


def test_pulse_records_made_together_are_those_made_one_by_one():
    """The records of the pulses read from the samples, measured in one batch (window
    means of all pulses at once), are those of each pulse measured alone."""
    import pandas as pd

    from app.core.samples import SampleBlock
    from app.core.spec import preset
    from app.diagnostics.internal_resistance import InternalResistanceTracker

    rng = np.random.default_rng(5)
    n, cells = 40000, 3
    spec = preset("nmc", capacity_ah=50.0, series_cells=cells)
    t = np.arange(n) * 0.1
    current = np.repeat(rng.uniform(-1.0, 0.5, n // 100 + 1), 100)[:n] * 50.0
    cols = {"time_s": t, "current_a": current + rng.normal(0, 0.05, n)}
    for c in range(cells):
        v = 3.7 + 0.002 * current + rng.normal(0, 0.002, n)
        cols[f"cell_{c + 1}_v"] = v
        temp = 25.0 + rng.normal(0, 0.1, n)
        temp[rng.integers(0, n, 40)] = np.nan
        cols[f"cell_{c + 1}_temp_c"] = temp
    cols["voltage_v"] = sum(cols[f"cell_{c + 1}_v"] for c in range(cells))
    df = pd.DataFrame(cols)
    tracker = InternalResistanceTracker(spec)
    sizes = []
    original = tracker._measure_unfitted

    def spy(items):
        # (each batch measured together, then pulse by pulse on the same buffer)
        original(items)
        together = [st.record for st, _ in items]
        for (st, w), want in zip(items, together, strict=True):
            original([(st, w)])
            assert st.record == want
        sizes.append(len(items))

    tracker._measure_unfitted = spy
    tracker.update(SampleBlock({c: df[c].to_numpy() for c in df.columns}))
    assert max(sizes) > 50
    assert tracker.result().n_pulses > 50


def test_finite_means_of_a_few_windows_of_many_columns_are_each_columns_own():
    # a fitted pulse's record: the pack's and every cell's temperature over one window,
    # the columns stacked and summed by rows: each column's _finite_means, to the bit,
    # with dropped readings (NaN, inf), a column with none in a window, empty windows
    from app.diagnostics.internal_resistance import _finite_means, _finite_means_cols

    rng = np.random.default_rng(11)
    cols, n = 17, 3000
    xs = [rng.normal(25.0, 3.0, n) * rng.uniform(0.5, 2.0) for _ in range(cols)]
    for x in xs:
        x[rng.random(n) < 0.003] = np.nan
    xs[2][rng.integers(0, n, 4)] = np.inf
    xs[5][1000:1200] = np.nan
    checked = bad = 0
    for _ in range(200):
        w = int(rng.integers(1, 5))
        lo = rng.integers(0, n - 300, w)
        hi = lo + rng.choice([0, 1, 3, 7, 10, 11, 40, 129, 300], size=w)
        if rng.random() < 0.1:
            lo[0], hi[0] = 1050, 1100  # column 5 without a reading
        if rng.random() < 0.05:
            hi[0] = lo[0] - 2  # an empty window the wrong way round
        got = _finite_means_cols(xs, lo, hi)
        want = [_finite_means(x, lo, hi) for x in xs]
        assert [[a is None for a in g] for g in got] == [[b is None for b in c] for c in want]
        assert all(
            a == b for g, c in zip(got, want, strict=True) for a, b in zip(g, c, strict=True)
        )
        checked += 1
        bad += sum(not np.isfinite(x[a:b]).all() for x in xs for a, b in zip(lo, hi, strict=True))
    assert checked == 200 and bad > 50  # (both paths taken)


@pytest.mark.parametrize("seed", [1, 2])
def test_column_stack_is_numpys_column_stack(seed):
    rng = np.random.default_rng(seed)
    for _ in range(200):
        n = int(rng.integers(1, 300))
        parts = []
        for _ in range(int(rng.integers(1, 8))):
            if rng.random() < 0.3:  # a (rows, k) block, some of them strided views
                block = rng.normal(size=(n, int(rng.integers(1, 5)) + 1))
                parts.append(block[:, ::2] if rng.random() < 0.5 else block)
            else:
                column = rng.normal(size=2 * n)
                column[rng.random(2 * n) < 0.05] = np.nan
                parts.append(column[::2] if rng.random() < 0.5 else column[:n])
        got, want = pulse_fit.column_stack(parts), np.column_stack(parts)
        assert got.dtype == want.dtype and got.flags.c_contiguous and want.flags.c_contiguous
        assert _same_bits(got, want)


@pytest.mark.parametrize("seed", [1, 2])
def test_rc_states_scan_in_place_is_the_plain_scan(seed):
    # (the scan's sums written in place and its factors in two arrays in turn: the
    # plain scan's temporaries' values)
    rng = np.random.default_rng(seed)
    for trial in range(300):
        n, g = int(rng.integers(1, 300)), int(rng.integers(1, 20))
        dur = rng.uniform(0.05, 30.0, n)
        taus = np.exp(rng.uniform(-3.0, 8.0, g))
        cur = rng.normal(0.0, 5.0, (n, g)) if trial % 3 == 0 else rng.normal(0.0, 5.0, n)
        settled = bool(trial % 2)
        got = pulse_fit.rc_states(dur, cur, taus, settled)
        assert _same_bits(got, _rc_states_plain(dur, cur, taus, settled))
