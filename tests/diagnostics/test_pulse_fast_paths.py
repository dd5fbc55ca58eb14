"""The pulse analysis's shortcuts give the very numbers of the plain computation:
noise sigmas of all voltage columns at once, the RC states a fit keeps instead of
computing them again, several time constants in one call, the design rows a fit
keeps at its samples."""

from __future__ import annotations

import numpy as np
import pytest

from app.diagnostics import pulse_fit
from app.diagnostics.pulse_detection import noise_sigma, noise_sigma_columns


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
