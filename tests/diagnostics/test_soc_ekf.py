"""The SOC Kalman filter against a small 2-RC cell simulated here (numpy only).

The truth model deliberately differs from the filter's: resistances 30 % above
the preset's, capacity 3 % above nominal, a current sensor with +0.5 % gain and
an offset, 2 mV / 5 mA noise. PyBaMM accuracy and speed live in
``benchmarks/bench_soc.py``, not here.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from app.core.samples import SampleBlock
from app.core.spec import BatterySpec, preset
from app.diagnostics.ecm_model import (
    GRID_MIN_PCT,
    GRID_STEP_PCT,
    SLR_SIGMAS_PCT,
    SLR_STEP_PCT,
    CellModel,
)
from app.diagnostics.soc import calculate_soc, soc_estimates, soc_series
from app.diagnostics.soc_coulomb import CoulombCountingSoc
from app.diagnostics.soc_ekf import (
    _HIST_COLUMNS,
    SOC_BAND_HIGH_COLUMN,
    SOC_BAND_LOW_COLUMN,
    SOC_BMS_DIFFERENCE_COLUMN,
    SOC_COLUMN,
    EkfSocEstimator,
    SocFilterSettings,
)
from app.diagnostics.soc_rest_anchors import RestAnchors, _PrefixSums

# OCV tables "measured" for the cells under test (the user's --ocv-table): the
# truth model and the filter share them. (With the chemistry preset's table
# the filter trusts the voltage less; the benchmark covers that case.)
NMC_TABLE = (
    (0, 2.70),
    (3, 3.30),
    (10, 3.45),
    (20, 3.55),
    (35, 3.64),
    (50, 3.72),
    (65, 3.85),
    (80, 3.98),
    (90, 4.06),
    (100, 4.18),
)
LFP_TABLE = (
    (0, 2.50),
    (3, 3.00),
    (8, 3.18),
    (15, 3.22),
    (30, 3.26),
    (45, 3.283),
    (60, 3.29),
    (68, 3.295),
    (72, 3.325),
    (90, 3.33),
    (97, 3.36),
    (100, 3.55),
)
NMC = preset("nmc", capacity_ah=5.0).with_ocv_table(*zip(*NMC_TABLE, strict=True))
LFP = preset("lfp", capacity_ah=2.5).with_ocv_table(*zip(*LFP_TABLE, strict=True))


def drive_current(
    n: int, capacity_ah: float, seed: int, dt: float = 1.0, discharge: float = 0.6
) -> np.ndarray:
    """Drive-like current (A, + = charge): 20 s steps incl. regen, parked 15 min an
    hour; scaled so the whole profile takes ``discharge`` of the capacity out."""
    rng = np.random.default_rng(seed)
    steps = int(20 / dt)
    levels = rng.choice(
        [0.0, -0.3, -0.7, -1.2, -2.0, 0.4, 0.8],
        size=n // steps + 1,
        p=[0.25, 0.2, 0.2, 0.12, 0.05, 0.1, 0.08],
    )
    i = np.repeat(levels, steps)[:n]
    t = np.arange(n) * dt
    i[(t % 3600) > 2700] = 0.0
    i *= discharge * 3600.0 / (-i.sum() * dt)
    return i * capacity_ah


def ecm_log(
    spec: BatterySpec,
    current: np.ndarray,
    *,
    soc0: float,
    dt: float = 1.0,
    r_scale: float = 1.3,
    capacity_scale: float = 1.03,
    gain: float = 1.005,
    offset_a: float = 0.0,
    v_noise: float = 0.002,
    i_noise: float = 0.005,
    seed: int = 0,
    truth_spec: BatterySpec | None = None,
) -> pd.DataFrame:
    """A measured log of one cell (2-RC ECM, exact step response) with ``soc_true_pct``."""
    m = CellModel.from_spec(truth_spec or spec)
    truth = truth_spec or spec
    q = spec.capacity_ah * 3600.0 * capacity_scale
    n = len(current)
    soc = np.empty(n)
    v = np.empty(n)
    s, v1, v2 = soc0, 0.0, 0.0
    a1, a2 = math.exp(-dt / m.tau1_s), math.exp(-dt / m.tau2_s)
    r0, r1, r2 = (r_scale * r for r in (m.r0_ohm, m.r1_ohm, m.r2_ohm))
    for k, i in enumerate(current.tolist()):
        if k:
            s += 100.0 * i * dt / q
            v1 = a1 * v1 + (1 - a1) * r1 * i
            v2 = a2 * v2 + (1 - a2) * r2 * i
        soc[k] = s
        v[k] = truth.cell_ocv(s) + r0 * i + v1 + v2
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "time_s": np.arange(n) * dt,
            "voltage_v": v + rng.normal(0.0, v_noise, n),
            "current_a": gain * current + offset_a + rng.normal(0.0, i_noise, n),
            "soc_true_pct": soc,
        }
    )


def run(df: pd.DataFrame, spec: BatterySpec, **kw) -> tuple[dict, EkfSocEstimator]:
    est = EkfSocEstimator(spec, **kw)
    cols = [c for c in ("time_s", "voltage_v", "current_a", "soc_reported_pct") if c in df]
    out = est.update(SampleBlock({c: df[c].to_numpy() for c in cols}))
    return out, est


def rmse_after(df: pd.DataFrame, soc: np.ndarray, t_min: float) -> float:
    late = df["time_s"].to_numpy() >= t_min
    return float(np.sqrt(np.mean((soc - df["soc_true_pct"].to_numpy())[late] ** 2)))


def with_rest_start(current: np.ndarray, rest_s: int = 120) -> np.ndarray:
    return np.concatenate((np.zeros(rest_s), current))


# ---------------------------------------------------------------------------
def test_tracks_from_rest_initialisation():
    i = with_rest_start(drive_current(3 * 3600, 5.0, seed=1))
    df = ecm_log(NMC, i, soc0=90.0, seed=1)
    out, est = run(df, NMC)
    res = est.result()
    assert res.initialisation == "rest"
    assert abs(res.initial_soc_percent - 90.0) < 1.5
    assert rmse_after(df, out[SOC_COLUMN], 600) < 1.0
    # it did use the voltage: plain coulomb counting with the wrong capacity drifts more
    cc = CoulombCountingSoc(NMC).update(SampleBlock({c: df[c].to_numpy() for c in df}))
    assert rmse_after(df, cc, 600) > rmse_after(df, out[SOC_COLUMN], 600)


def _start_soc_table_correlation(spec: BatterySpec, soc: float) -> float:
    est = EkfSocEstimator(spec)
    v = est.model.ocv(soc)
    one = {"time_s": np.array([0.0]), "voltage_v": np.array([v]), "current_a": np.array([0.0])}
    est.update(SampleBlock(one))
    p = est._p  # (SOC is state 0, the OCV-table offset state 7)
    return float(p[0, 7] / math.sqrt(p[0, 0] * p[7, 7]))


def test_rest_start_couples_soc_and_table_offset_as_much_as_the_ocv_moves():
    # v0 = OCV(soc) + b: where the OCV is linear over what v0 allows, a higher
    # table offset means exactly a lower SOC (rho = -sigma_b / sigma_total) ...
    est = EkfSocEstimator(NMC)
    st, sb = est.settings, est._table_sigma_v()
    linear = -sb / math.hypot(st.rest_voltage_sigma_v, sb)
    assert _start_soc_table_correlation(NMC, 60.0) == pytest.approx(linear, abs=0.005)
    # ... on the flat LFP plateau the SOC spreads over the plateau while its OCV
    # hardly moves: a weaker coupling, so a later rest that finds the table
    # offset does not drag the SOC along the ridge (PyBaMM LFP from rest on the
    # plateau: the offset went to +7 mV, the truth's +2, and the SOC 3 % low).
    assert _start_soc_table_correlation(LFP, 60.0) > linear + 0.1
    m = CellModel.from_spec(LFP)
    sd_soc, sd_ocv, corr = m.rest_posterior_moments(m.ocv(60.0), 0.006)
    assert sd_soc > 4.0 and sd_ocv < 0.005 and 0.0 < corr < 1.0


@pytest.mark.parametrize("spec", [NMC, LFP])
def test_converges_from_a_wrong_start_under_load(spec):
    i = drive_current(4 * 3600, spec.capacity_ah, seed=2)
    i[0] = -1.0 * spec.capacity_ah  # under load from the first sample
    df = ecm_log(spec, i, soc0=75.0, seed=2)
    out, est = run(df, spec, initial_soc_pct=35.0, initial_soc_sigma_pct=25.0)
    err = out[SOC_COLUMN] - df["soc_true_pct"].to_numpy()
    assert abs(err[0]) > 35  # it really started 40 % off ...
    limit = 1.0 if spec.chemistry == "nmc" else 3.0
    assert rmse_after(df, out[SOC_COLUMN], 3600) < limit  # ... and converged


def test_initial_guess_under_load_is_rough_with_a_wide_band():
    i = drive_current(2 * 3600, 5.0, seed=3)
    i[0] = -5.0
    df = ecm_log(NMC, i, soc0=60.0, seed=3)
    out, est = run(df, NMC)
    assert est.result().initialisation == "load"
    half_band = out[SOC_BAND_HIGH_COLUMN][0] - out[SOC_COLUMN][0]
    assert half_band > 20.0  # "unknown start": large variance
    assert abs(out[SOC_COLUMN][0] - 60.0) < half_band
    assert rmse_after(df, out[SOC_COLUMN], 600) < 1.0


@pytest.mark.parametrize("soc0", [30.0, 80.0])
def test_a_start_under_load_is_back_calculated_from_a_surer_estimate(soc0):
    # The first value under load is a guess (+-50 %); the start the result gives
    # is a later, surer estimate less the charge counted since, within its band.
    cap = NMC.capacity_ah
    i = np.concatenate((np.full(1800, -0.5 * cap), np.zeros(1800), np.full(1800, -0.3 * cap)))
    df = ecm_log(NMC, i, soc0=soc0, seed=5)
    _, est = run(df, NMC)
    r = est.result()
    assert r.initialisation == "load"
    assert 2 * r.initial_soc_sigma_percent >= 40.0  # the guess says it is one
    back, sigma = r.start_soc_back_calculated_percent, r.start_soc_back_calculated_sigma_percent
    assert abs(back - soc0) < 2.5 and 2 * sigma < 10.0
    assert 0.0 < r.start_soc_back_calculated_from_s <= df["time_s"].iloc[-1]


def test_a_sure_start_at_rest_is_not_back_calculated():
    i = drive_current(2 * 3600, NMC.capacity_ah, seed=3)
    i[:60] = 0.0
    df = ecm_log(NMC, i, soc0=60.0, seed=3)
    _, est = run(df, NMC)
    r = est.result()
    assert r.initialisation == "rest" and r.initial_soc_sigma_percent < 2.5
    assert r.start_soc_back_calculated_percent is None
    assert r.start_soc_back_calculated_from_s is None


def _cold_start_under_load(soc0: float, r_scale: float, c_rate: float) -> pd.DataFrame:
    """An LFP cell polarising r_scale times the preset (a cold cell), logged from
    10 min into a c_rate discharge: 20 min of rest, then 2 h of driving."""
    cap = LFP.capacity_ah
    i = np.concatenate(
        (
            np.full(600, -c_rate * cap),
            np.zeros(1200),
            drive_current(2 * 3600, cap, seed=4, discharge=0.3),
        )
    )
    return ecm_log(LFP, i, soc0=soc0, r_scale=r_scale, seed=4)


@pytest.mark.parametrize(("soc0", "r_scale", "c_rate"), [(70.0, 4.0, 1.0), (80.0, 3.0, 2.0)])
def test_start_under_load_is_re_anchored_at_the_first_rest(soc0, r_scale, c_rate):
    # The first guess reads the unexpected polarisation as SOC (on the flat LFP
    # plateau: tens of % low) and the voltage under load cannot tell the two
    # apart; the first rest that contradicts the estimate re-anchors it.
    df = _cold_start_under_load(soc0, r_scale, c_rate)
    out, est = run(df, LFP)
    err = out[SOC_COLUMN] - df["soc_true_pct"].to_numpy()
    assert est.result().initialisation == "load"
    assert err[0] < -20.0  # a bad first guess ...
    assert abs(err[1799]) < 3.0  # ... fixed by the end of the rest
    assert rmse_after(df, out[SOC_COLUMN], 1800) < 3.0


def test_re_anchoring_is_the_same_live():
    df = _cold_start_under_load(70.0, 4.0, 1.0)
    block = SampleBlock.from_frame(df[["time_s", "voltage_v", "current_a"]])
    offline = EkfSocEstimator(LFP)
    ref = offline.update(block)
    live = EkfSocEstimator(LFP)
    rng = np.random.default_rng(1)
    k, parts = 0, []
    while k < len(block):
        size = int(rng.choice([1, 2, 5, 9, 64, 700]))
        parts.append(live.update(block.slice(k, k + size)))
        k += size
    np.testing.assert_array_equal(np.concatenate([p[SOC_COLUMN] for p in parts]), ref[SOC_COLUMN])
    assert live.result().to_dict() == offline.result().to_dict()


def _plateau_rests_log(seed: int) -> pd.DataFrame:
    # LFP from 58 % (the plateau): 20 min rests between three 0.5C discharges of
    # 10 %, the cell 2 mV above the table (a C/50 table sits below the OCV).
    cap = LFP.capacity_ah
    parts = [np.zeros(1200)]
    for _ in range(3):
        parts += [np.full(720, -0.5 * cap), np.zeros(1200)]
    df = ecm_log(LFP, np.concatenate(parts), soc0=58.0, seed=seed)
    df["voltage_v"] += 0.002
    return df


@pytest.mark.parametrize(("given", "seed"), [(30.0, 1), (80.0, 2)])
def test_relaxed_rests_pull_back_a_confidently_wrong_soc(given, seed):
    # A stale SOC from a previous run, given with a 0.5 % sigma: on the plateau
    # the filter barely doubts it (the table offset soaks up the misfit). The
    # relaxed rests and the charge between them bound the SOC and move it into
    # that range. (Without them: 27 % / 22 % off at the end of the first rest,
    # 7.6 / 19.4 % at the end; with them 14 / 11 %, then 1.0 / 5.6 %.)
    df = _plateau_rests_log(seed)
    out, _ = run(df, LFP, initial_soc_pct=given, initial_soc_sigma_pct=0.5)
    err = out[SOC_COLUMN] - df["soc_true_pct"].to_numpy()
    assert abs(err[1199]) < 16.0
    assert abs(err[-1]) < 7.0


def test_rest_anchors_bound_the_soc_and_wait_for_relaxation():
    m = CellModel.from_spec(LFP)
    anchors = RestAnchors(m, offset_sigma_v=0.005, voltage_sigma_v=0.001, charge_scale_sigma=0.05)
    # a rest still relaxing like 1/sqrt(t) (10 mV left at 10 min) is no anchor
    for k in range(1, 241):
        assert not anchors.rest(5.0, m.ocv(50.0) - 0.01 * math.sqrt(600.0 / (5.0 * k)), 0.0)
    anchors.load()
    # relaxed rests 2 mV above the table at 58 / 48 / 38 / 18 % (counted from 58 %)
    for soc in (58.0, 48.0, 38.0, 18.0):
        anchors.load()
        for _ in range(120):
            anchors.rest(5.0, m.ocv(soc) + 0.002, soc - 58.0)
    assert anchors.count == 4
    lo, hi = anchors.resolve()
    assert lo <= 18.0 <= hi and hi - lo < 3.0
    assert abs(anchors.offset_at(18.0) - 0.002) < 0.001


@pytest.mark.parametrize("chem", [LFP, NMC])
def test_rest_anchors_quick_check_never_claims_an_soc_outside_the_range(chem):
    # holds_surely (a few floats) may only say True where resolve (the whole grid)
    # holds the SOC, and it does say so near the truth, which the filter mostly is
    m = CellModel.from_spec(chem)
    rng = np.random.default_rng(3)
    claimed = 0
    for _ in range(12):
        anchors = RestAnchors(
            m, offset_sigma_v=0.005, voltage_sigma_v=0.001, charge_scale_sigma=0.05
        )
        offset = rng.normal(0.0, 0.003)
        socs = np.sort(rng.uniform(5.0, 95.0, int(rng.integers(1, 8))))[::-1]
        for soc in socs:
            anchors.load()
            for _ in range(150):
                anchors.rest(5.0, m.ocv(soc) + offset + rng.normal(0.0, 3e-4), soc - socs[0])
        assert anchors.count == min(len(socs), 6)
        lo, hi = anchors.resolve()
        grid = np.linspace(-10.0, 110.0, 97)
        np.testing.assert_allclose(
            [anchors._cost_at(float(s)) for s in grid], anchors._fit(grid)[1], rtol=1e-12
        )
        for s in np.concatenate([np.linspace(-10.0, 110.0, 241), [socs[-1]]]):
            if anchors.holds_surely(float(s)):
                claimed += 1
                assert lo <= s <= hi
        assert not anchors.holds_surely(math.nan)
    assert claimed > 12


def test_rest_anchor_shortcuts_match_the_plain_computation():
    # the table lookup without np.interp's search, and the rest's means from running
    # sums: the same numbers as the plain computation, on and off the table's grid
    m = CellModel.from_spec(LFP)
    anchors = RestAnchors(m, offset_sigma_v=0.005, voltage_sigma_v=0.001, charge_scale_sigma=0.05)
    socs = np.concatenate([np.linspace(-30.0, 130.0, 2001), [-12.0, 0.0, 50.0, 100.0, 112.0]])
    ocv, slope = anchors._table_at(socs[:, None])
    x = (socs - GRID_MIN_PCT) / GRID_STEP_PCT
    idx = np.arange(len(m.ocv_grid))
    grid = np.asarray(m.ocv_grid)
    np.testing.assert_allclose(ocv[:, 0], np.interp(x, idx, grid), rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        slope[:, 0], np.interp(x, idx, np.gradient(grid, GRID_STEP_PCT)), rtol=0, atol=1e-9
    )
    rng = np.random.default_rng(0)
    spans = rng.uniform(0.5, 9.0, 400)
    volts = 3.3 + 1e-4 * rng.standard_normal(400)
    times = np.cumsum(spans)
    sums = _PrefixSums()
    for t, v in zip(times, volts, strict=True):
        sums.append(float(t), float(v))
    for k in range(1, 401):
        i = int(rng.integers(0, k))
        mean_t, mean_v = sums.means(i, k)
        assert mean_t == pytest.approx(times[i:k].mean(), rel=1e-12)
        assert mean_v == pytest.approx(volts[i:k].mean(), rel=1e-12)


def test_a_rest_after_a_load_is_judged_from_min_rest_s_even_the_logs_first():
    # only a log that starts at rest may anchor its first rest from 1 min on; a log
    # that starts under load waits the 5 min any rest after a load waits
    m = CellModel.from_spec(LFP)

    def anchors_after(first_load: bool, rest_s: float) -> int:
        anchors = RestAnchors(
            m,
            offset_sigma_v=0.005,
            voltage_sigma_v=0.001,
            charge_scale_sigma=0.05,
            min_rest_s=300.0,
            start_min_rest_s=60.0,
        )
        if first_load:
            anchors.load()
        for _ in range(int(rest_s / 5.0)):
            anchors.rest(5.0, m.ocv(50.0), 0.0)  # relaxed from the first second
        return anchors.count

    assert anchors_after(first_load=False, rest_s=120.0) == 1
    assert anchors_after(first_load=True, rest_s=120.0) == 0
    assert anchors_after(first_load=True, rest_s=330.0) == 1


def test_rest_anchoring_is_the_same_live():
    df = _plateau_rests_log(2)
    block = SampleBlock.from_frame(df[["time_s", "voltage_v", "current_a"]])
    kw = {"initial_soc_pct": 80.0, "initial_soc_sigma_pct": 0.5}
    offline = EkfSocEstimator(LFP, **kw)
    ref = offline.update(block)
    live = EkfSocEstimator(LFP, **kw)
    rng = np.random.default_rng(2)
    k, parts = 0, []
    while k < len(block):
        size = int(rng.choice([1, 3, 8, 9, 64, 500]))
        parts.append(live.update(block.slice(k, k + size)))
        k += size
    np.testing.assert_array_equal(np.concatenate([p[SOC_COLUMN] for p in parts]), ref[SOC_COLUMN])


def test_tolerates_current_gain_and_offset():
    # +0.5 % gain and a 1 % of 1C offset (50 mA on 5 Ah) over 6 h with rests:
    # coulomb counting alone drifts ~5 %; the filter does not.
    i = with_rest_start(drive_current(6 * 3600, 5.0, seed=4))
    df = ecm_log(NMC, i, soc0=95.0, gain=1.005, offset_a=0.05, seed=4)
    out, est = run(df, NMC)
    truth = df["soc_true_pct"].to_numpy()
    cc = CoulombCountingSoc(NMC).update(SampleBlock({c: df[c].to_numpy() for c in df}))
    assert abs(cc[-1] - truth[-1]) > 3.0
    assert rmse_after(df, out[SOC_COLUMN], 600) < 1.0
    assert abs(out[SOC_COLUMN][-1] - truth[-1]) < 1.0
    res = est.result()
    assert 0.02 < res.current_offset_a < 0.08  # the offset was found, roughly


def test_band_contains_the_truth_most_of_the_time():
    inside, width = [], []
    for seed, spec in ((5, NMC), (6, LFP)):
        i = with_rest_start(drive_current(3 * 3600, spec.capacity_ah, seed=seed))
        df = ecm_log(spec, i, soc0=85.0, seed=seed)
        out, _ = run(df, spec)
        truth = df["soc_true_pct"].to_numpy()
        late = df["time_s"].to_numpy() >= 600
        lo, hi = out[SOC_BAND_LOW_COLUMN][late], out[SOC_BAND_HIGH_COLUMN][late]
        inside.append(np.mean((truth[late] >= lo) & (truth[late] <= hi)))
        width.append(np.median(hi - lo))
    assert min(inside) > 0.9
    assert max(width) < 8.0  # and it is not uselessly wide


def test_learns_a_polarisation_nonlinear_in_current():
    # An LFP cell with a Butler-Volmer charge-transfer overpotential on top of
    # its 2-RC response, (2RT/F) asinh(I / 2 I0) with I0 = 0.2C: at 0.5C it
    # polarises ~5x the model's R0 drop, at 2C only ~2x. The misfit is the
    # same at every visit of a current, so the filter must learn it (R0, the
    # polarisation scale) and keep reading SOC from the voltage under load,
    # not set it aside as noise: its start on the plateau (90 %, ~8 % off) is
    # corrected from voltage read under load, in the first half hour. (A model
    # error that grew with the misfit itself failed here: 2 -> 7 % RMSE. The
    # surface gap weighed over its relaxation time, 24 % per C, reads the
    # knee under load less: 2.72 -> 3.53 %, the price on a cell without the lag.)
    i = with_rest_start(drive_current(3 * 3600, LFP.capacity_ah, seed=21, discharge=0.75))
    df = ecm_log(LFP, i, soc0=90.0, seed=21)
    df["voltage_v"] += 0.0514 * np.arcsinh(i / (2 * 0.2 * LFP.capacity_ah))
    out, _ = run(df, LFP)
    assert rmse_after(df, out[SOC_COLUMN], 600) < 3.8


def _slow_polarisation_log(seed: int, c_rate: float, load_s: int) -> pd.DataFrame:
    """An LFP cell with a slow polarisation the model lacks (a third RC branch,
    10 mOhm, 300 s: diffusion): two hours of drive (the adapted states settle),
    10 min of rest, ``c_rate`` for ``load_s`` onto the steep low end of the
    table, then 30 min of rest."""
    cap = LFP.capacity_ah
    drive = drive_current(2 * 3600, cap, seed=seed, discharge=0.3)
    i = np.concatenate(
        (np.zeros(120), drive, np.zeros(600), np.full(load_s, -c_rate * cap), np.zeros(1800))
    )
    df = ecm_log(LFP, i, soc0=70.0, seed=seed)
    decay = math.exp(-1.0 / 300.0)
    slow, v3 = np.empty(len(i)), 0.0
    for k, x in enumerate(i.tolist()):
        v3 = decay * v3 + (1.0 - decay) * 0.010 * x
        slow[k] = v3
    df["voltage_v"] += slow
    return df


@pytest.mark.parametrize("seed", [1, 3])
def test_unrelaxed_rest_after_a_load_is_not_read_as_ocv(seed):
    # An LFP cell with a slow polarisation the model lacks (a third RC branch,
    # 10 mOhm, 300 s: diffusion), after two hours of drive (the adapted states
    # have settled) and a 2C discharge onto the steep low end of the table.
    # Under the load the misfit stays within the load's model error, so it is
    # no "excess"; at the rest the branch relaxes for minutes. That residual
    # is model error until it has relaxed, not SOC: the estimate must not dip
    # in the first minutes of the rest. (With only the excess over the load's
    # model error carried into the rest, the dip was 3.0-3.3 %.) (The end: 0.51
    # % with the surface gap weighed over its relaxation time at 24 % per C.)
    df = _slow_polarisation_log(seed, 2.0, 360)
    out, _ = run(df, LFP)
    rest = df["time_s"].to_numpy() >= df["time_s"].iloc[-1] - 1800
    err = out[SOC_COLUMN][rest] - df["soc_true_pct"].to_numpy()[rest]
    assert np.abs(err).max() < 2.5
    assert abs(err[-1]) < 0.6


@pytest.mark.parametrize(
    ("seed", "c_rate", "load_s"), [(1, 2.0, 360), (3, 2.0, 360), (1, 1.0, 720), (3, 1.0, 720)]
)
def test_a_misfit_carried_into_a_rest_is_one_piece_of_evidence_per_decay_time(seed, c_rate, load_s):
    # The load's misfit carried into the rest (the relaxation the model lacks)
    # decays over minutes, so the rest's intervals within it are not
    # independent readings of the SOC: weighed as if its error were
    # uncorrelated after a minute, a minute of relaxation pulled the estimate
    # 1.75-2.46 % low here (PyBaMM LFP steps at 1 Hz: 5 % low from 1 % high
    # in the first minute of a rest). Weighed over its decay time: 0.6-1.0 %.
    df = _slow_polarisation_log(seed, c_rate, load_s)
    out, _ = run(df, LFP)
    rest = df["time_s"].to_numpy() >= df["time_s"].iloc[-1] - 1800
    err = out[SOC_COLUMN][rest] - df["soc_true_pct"].to_numpy()[rest]
    assert np.abs(err).max() < 1.4


def _surface_gap_log(seed: int) -> pd.DataFrame:
    """An LFP cell whose voltage reads the OCV at its particles' surface, which lags
    the mean SOC by 10 % per C (first order, 400 s; a cold PyBaMM Prada2013 cell
    does so by more): an unknown start under a 1.5C load at 50 %, 18 min of rest
    on the plateau, 1.4C for 9 min, 8 min of rest, 0.6C for 16 min onto the low
    knee, 5 min of rest."""
    cap = LFP.capacity_ah
    i = np.concatenate(
        (
            np.full(60, -1.5 * cap),
            np.zeros(1080),
            np.full(540, -1.4 * cap),
            np.zeros(480),
            np.full(960, -0.6 * cap),
            np.zeros(300),
        )
    )
    return _lagging_surface_log(i, soc0=50.0, pct_per_c=10.0, seed=seed)


def _lagging_surface_log(i: np.ndarray, soc0: float, pct_per_c: float, seed: int):
    """An LFP ECM log of the current ``i`` (1 Hz) from ``soc0`` whose voltage reads
    the OCV at the particles' surface, lagging the mean SOC by ``pct_per_c`` % per C
    (first order, 400 s)."""
    cap = LFP.capacity_ah
    df = ecm_log(LFP, i, soc0=soc0, seed=seed)
    decay, g = math.exp(-1.0 / 400.0), 0.0
    gap = np.empty(len(i))
    for k, x in enumerate(i.tolist()):
        g = decay * g - (1.0 - decay) * pct_per_c * x / cap
        gap[k] = g
    s = df["soc_true_pct"].to_numpy()
    df["voltage_v"] += LFP.cell_ocv(s - gap) - LFP.cell_ocv(s)
    return df


@pytest.mark.parametrize("seed", [1, 2])
def test_a_load_on_a_knee_does_not_pin_the_soc_tighter_than_the_surface_gap(seed):
    # Under a load the voltage reads the SOC at the particles' surface, which
    # lags the mean; R2 stands for that lag at the OCV's typical slope, so on a
    # knee (here 10-30x the plateau's slope) the lag is millivolts the model
    # lacks. Read as SOC, a 0.6C discharge onto the knee ended 5 % low with a
    # sigma of ~0.2 %, and the smoothed series worked back from it left the
    # truth outside its band everywhere (0 % of the samples after 10 min: PyBaMM
    # LFP steps at 1 Hz and 0 degC from load, 6.45 % RMSE). Counting the gap on
    # the slope's excess as model error: the band holds the truth in ~30 %.
    df = _surface_gap_log(seed)
    _, est = run(df, LFP)
    out = est.smoothed_columns()
    truth = df["soc_true_pct"].to_numpy()
    late = df["time_s"].to_numpy() >= 600
    inside = (truth >= out[SOC_BAND_LOW_COLUMN]) & (truth <= out[SOC_BAND_HIGH_COLUMN])
    assert inside[late].mean() > 0.2
    assert rmse_after(df, out[SOC_COLUMN], 600) < 4.9


def _cold_knee_log(seed: int) -> pd.DataFrame:
    """An LFP cell from rest at 70 % whose surface lags its mean SOC by 20 % per C
    (first order, 400 s: a cold cell's), 1.2C for 10 min, 18 min of rest, 1.4C
    for 9 min, 8 min of rest, 0.6C for 15 min down the low knee, 5 min of rest."""
    cap = LFP.capacity_ah
    i = np.concatenate(
        (
            np.zeros(120),
            np.full(600, -1.2 * cap),
            np.zeros(1080),
            np.full(540, -1.4 * cap),
            np.zeros(480),
            np.full(900, -0.6 * cap),
            np.zeros(300),
        )
    )
    return _lagging_surface_log(i, soc0=70.0, pct_per_c=20.0, seed=seed)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_long_load_down_a_knee_reads_the_surface_gap_as_one_reading(seed):
    # The surface's lag follows the load over minutes (the slow branch's
    # current): its misfit is one error for that long, not a fresh one every
    # minute. Counted as independent, 15 min of 0.6C down the knee of a cold
    # cell read it as SOC again and again: 4.5-4.8 % low at the end (PyBaMM LFP
    # steps at 1 Hz and 0 degC from rest, s96: 4.4 % low, 1.84 % RMSE). Weighed
    # over its relaxation time: 3.1-3.8 %.
    df = _cold_knee_log(seed)
    _, est = run(df, LFP)
    err = est.smoothed_columns()[SOC_COLUMN] - df["soc_true_pct"].to_numpy()
    t = df["time_s"].to_numpy()
    assert np.abs(err[t >= t[-1] - 1500]).max() < 4.2


def test_bms_cross_check():
    i = with_rest_start(drive_current(3600, 5.0, seed=7))
    df = ecm_log(NMC, i, soc0=80.0, seed=7)
    reported = np.round(df["soc_true_pct"].to_numpy() + 2.0)  # a BMS 2 % high, integer %
    reported[:30] = np.nan  # it reports late
    df["soc_reported_pct"] = reported
    out, est = run(df, NMC)
    diff = out[SOC_BMS_DIFFERENCE_COLUMN]
    np.testing.assert_array_equal(diff, out[SOC_COLUMN] - reported)
    assert np.isnan(diff[:30]).all()
    ok = ~np.isnan(reported)
    res = est.result()
    d = diff[ok]
    assert res.bms_difference_rms_percent == pytest.approx(np.sqrt(np.mean(d**2)), rel=1e-12)
    assert res.bms_difference_max_abs_percent == pytest.approx(np.abs(d).max(), rel=1e-12)
    assert res.bms_difference_final_percent == pytest.approx(d[-1], rel=1e-12)
    assert res.bms_reported_final_percent == reported[-1]
    assert 1.0 < -np.median(d) < 3.0  # the BMS reads ~2 % high
    # no BMS column, no difference column, and None in the summary
    out, est = run(df.drop(columns="soc_reported_pct"), NMC)
    assert SOC_BMS_DIFFERENCE_COLUMN not in out
    assert est.result().bms_difference_rms_percent is None


def _pack_frame(seed: int = 8) -> tuple[pd.DataFrame, BatterySpec]:
    spec = NMC.with_overrides(series_cells=4, parallel_strings=2)
    i = drive_current(2 * 3600, 10.0, seed=seed)
    cell = ecm_log(spec.with_overrides(parallel_strings=1), i / 2, soc0=70.0, seed=seed)
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"time_s": cell["time_s"], "current_a": cell["current_a"] * 2})
    for k in range(1, 5):
        df[f"cell_{k}_v"] = cell["voltage_v"] + rng.normal(0.0, 0.001, len(cell))
    df["voltage_v"] = sum(df[f"cell_{k}_v"] for k in range(1, 5))
    df.loc[100:140, "cell_3_v"] = np.nan  # a dropped cell channel
    df.loc[200:205, "current_a"] = np.nan  # and a current gap
    df["soc_reported_pct"] = cell["soc_true_pct"] + 1.0
    df["soc_true_pct"] = cell["soc_true_pct"]
    return df, spec


def test_offline_equals_live_across_random_block_splits():
    df, spec = _pack_frame()
    block = SampleBlock.from_frame(df.drop(columns="soc_true_pct"))
    offline = EkfSocEstimator(spec)
    ref = offline.update(block)
    rng = np.random.default_rng(0)
    for _ in range(3):
        live = EkfSocEstimator(spec)
        k, parts = 0, []
        while k < len(block):
            size = int(rng.choice([1, 1, 2, 3, 7, 9, 10, 64, 333, 2000]))
            parts.append(live.update(block.slice(k, k + size)))
            k += size
        for name, values in ref.items():
            np.testing.assert_array_equal(np.concatenate([p[name] for p in parts]), values)
        assert live.result().to_dict() == offline.result().to_dict()
        # the smoothed series too: the same backward pass over the same history
        for name, values in offline.smoothed_columns().items():
            np.testing.assert_array_equal(live.smoothed_columns()[name], values)
    # and the pack is read per cell: current / parallel strings, mean cell voltage
    assert rmse_after(df, ref[SOC_COLUMN], 600) < 1.0


def test_update_period_follows_the_sample_period():
    # max(5 s, 60 samples), at most the 60 s model-error correlation time
    for dt, expected in ((0.05, 5.0), (0.5, 30.0), (1.0, 60.0), (10.0, 60.0)):
        n = int(7200 / dt)
        block = SampleBlock(
            {
                "time_s": np.arange(n) * dt,
                "voltage_v": np.full(n, 3.7),
                "current_a": np.full(n, -1.0),
            }
        )
        offline = EkfSocEstimator(NMC)
        ref = offline.update(block)
        assert offline.result().update_period_s == expected
        # decided from the second sample on, so also when it comes alone
        live = EkfSocEstimator(NMC)
        parts = [live.update(block.slice(k, k + 1)) for k in range(3)]
        parts.append(live.update(block.slice(3, n)))
        np.testing.assert_array_equal(
            np.concatenate([p[SOC_COLUMN] for p in parts]), ref[SOC_COLUMN]
        )


def test_live_engine_adds_soc_columns():
    from app.diagnostics.live import LiveEngine

    df, spec = _pack_frame(seed=9)
    block = SampleBlock.from_frame(df.drop(columns="soc_true_pct"))
    seen = []
    engine = LiveEngine(spec, outputs=[seen.append], keep_soc_history=True)
    for k in range(0, 600, 10):
        engine(block.slice(k, k + 10))
    engine.drain()  # it may hold small blocks back to process them together
    enriched = SampleBlock.concat(seen)
    for name in (SOC_COLUMN, SOC_BAND_LOW_COLUMN, SOC_BAND_HIGH_COLUMN, SOC_BMS_DIFFERENCE_COLUMN):
        assert name in enriched.columns
    # the blocks carry the filter's SOC (each sample's from the samples up to it);
    # the live twin gives the smoothed series of soc_series when asked
    _, live, smoothed = soc_estimates(df.iloc[:600], spec)
    np.testing.assert_array_equal(enriched[SOC_COLUMN], live[SOC_COLUMN])
    for name, values in soc_series(df.iloc[:600], spec)[1].items():
        np.testing.assert_array_equal(engine.soc.smoothed_columns()[name], values)
        np.testing.assert_array_equal(smoothed[name], values)
    assert "cell_1_v" in enriched  # raw columns pass through


def test_calculate_soc_and_suite_shapes():
    from app.diagnostics.suite import run_suite

    df, spec = _pack_frame(seed=10)
    res, soc = calculate_soc(df, spec)
    assert soc.shape == (len(df),) and np.isfinite(soc).all()
    d = res.to_dict()
    for key in (
        "method",
        "initial_soc_percent",
        "final_soc_percent",
        "charge_in_ah",
        "charge_out_ah",
        "bms_difference_rms_percent",
        "final_soc_sigma_percent",
    ):
        assert key in d
    assert d["charge_out_ah"] > d["charge_in_ah"] > 0
    suite = run_suite(df, spec)
    assert set(suite.timeseries) == {
        SOC_COLUMN,
        SOC_BAND_LOW_COLUMN,
        SOC_BAND_HIGH_COLUMN,
        SOC_BMS_DIFFERENCE_COLUMN,
    }
    np.testing.assert_array_equal(suite.timeseries[SOC_COLUMN], soc)


def test_counts_charge_exactly_and_follows_a_discharge():
    # rest, then 1 Ah out of a 5 Ah cell at -1 A: 80 % -> 60 %
    i = np.concatenate((np.zeros(60), np.full(3600, -1.0), np.zeros(600)))
    df = ecm_log(
        NMC, i, soc0=80.0, r_scale=1.0, capacity_scale=1.0, gain=1.0, v_noise=0.0, i_noise=0.0
    )
    res, soc = calculate_soc(df, NMC)
    assert res.charge_out_ah == pytest.approx(1.0, abs=1e-3)  # trapezoid at the step edges
    assert res.charge_in_ah == 0.0
    assert res.initial_soc_percent == pytest.approx(80.0, abs=0.5)
    assert res.final_soc_percent == pytest.approx(60.0, abs=0.5)


def test_with_the_project_simulator():
    """A 4-cell pack from app.hardware.simulator (its own ECM, cell spread, noise)."""
    from app.hardware.simulator import NoiseSpec, simulate

    spec = preset("nmc", capacity_ah=5.0, series_cells=4)
    block = simulate(
        spec,
        "drive",
        duration_s=2 * 3600,
        dt_s=1.0,
        seed=3,
        initial_soc_pct=85.0,
        noise=NoiseSpec.typical(spec),
        include_truth=True,
    )
    truth = np.mean([block[f"true_cell_{k}_soc_pct"] for k in range(1, 5)], axis=0)
    out = EkfSocEstimator(spec).update(block)
    late = block["time_s"] >= 600
    assert np.sqrt(np.mean((out[SOC_COLUMN] - truth)[late] ** 2)) < 1.0


@pytest.mark.parametrize("seed", [1, 2])
def test_a_rest_beyond_the_tables_end_reads_as_that_end_not_as_an_offset(seed):
    """A lead-acid pack discharged to 1.75 V a cell ends ~1.5 % below empty, resting
    ~110 mV below the table's 0 %: read as 0 %, not as the table's offset (it took
    -40 mV, and the charge after it drifted up to 5-6 % low)."""
    from app.hardware.simulator import simulate

    spec = preset("lead_acid", series_cells=4)
    block = simulate(
        spec, "cycle", duration_s=24000, dt_s=1.0, seed=seed, initial_soc_pct=10.0,
        include_truth=True,
    )  # fmt: skip
    truth = np.mean([block[f"true_cell_{k}_soc_pct"] for k in range(1, 5)], axis=0)
    out = EkfSocEstimator(spec).update(block)
    charge = np.flatnonzero(block["current_a"] > 0)
    assert truth[charge[0]] < -1.0  # (below the table's empty)
    err = (out[SOC_COLUMN] - truth)[charge[0] :]
    assert np.abs(err).max() < 2.5


@pytest.mark.parametrize("seed", [2, 3])
def test_the_smoothed_series_is_not_worked_back_from_beyond_the_tables_end(seed):
    """A lead-acid HPPC run down to 1.75 V a cell rests at its end 25-37 mV below the
    table's 0 % (the cells at -0.4 to +0.3 %): the filter reads that through the
    table's 5 mV per % extension as -5 % (live, clipped: 0 %). The smoother worked
    every earlier interval back from there (the surest estimates of the log, the
    charge scale slid to 1.016 with them): 3.1-3.3 % RMS below the true SOC, its
    worst ~5 %, where the filter's own was 0.6 %. An SOC beyond the table's ends
    is the extension's guess: no interval is worked back from one."""
    from app.hardware.simulator import simulate

    spec = preset("lead_acid", series_cells=4)
    block = simulate(spec, "hppc", duration_s=45000, dt_s=1.0, seed=seed, include_truth=True)
    true_cols = [c for c in block.columns if c.startswith("true_")]
    truth = np.clip(np.mean([block[c] for c in true_cols], axis=0), 0.0, 100.0)
    block = SampleBlock({c: v for c, v in block.items() if c not in true_cols})
    est = EkfSocEstimator(spec)
    live = est.update(block)
    smoothed = est.smoothed_columns()
    rms_live = np.sqrt(np.mean((live[SOC_COLUMN] - truth) ** 2))
    rms_smoothed = np.sqrt(np.mean((smoothed[SOC_COLUMN] - truth) ** 2))
    assert truth[-1] < 1.0  # (the log ends at the bottom)
    assert rms_smoothed < 0.5 and rms_smoothed < rms_live
    assert np.abs(smoothed[SOC_COLUMN] - truth).max() < 1.0
    # the live twin's (keep_history, blocks of any size) are the same bits
    rng = np.random.default_rng(seed)
    twin, k = EkfSocEstimator(spec), 0
    while k < len(block):
        size = int(rng.choice([1, 7, 500, 3000]))
        twin.update(block.slice(k, k + size))
        k += size
    for name, values in smoothed.items():
        np.testing.assert_array_equal(twin.smoothed_columns()[name], values)


def test_bad_samples_do_not_break_it():
    i = with_rest_start(drive_current(3600, 5.0, seed=11))
    df = ecm_log(NMC, i, soc0=70.0, seed=11)
    df.loc[500:520, "voltage_v"] = np.nan  # dropout
    df.loc[1000, "voltage_v"] = 0.0  # a glitch, gated
    df.loc[1500:1510, "current_a"] = np.nan
    out, est = run(df, NMC)
    assert np.isfinite(out[SOC_COLUMN]).all()
    # (0.999 before the surface gap, 1.048 with it: the log's last 20 min run
    # down the NMC table's steep low end, 12-25 %; 1.148 with the gap weighed
    # over its relaxation time at 24 % per C)
    assert rmse_after(df, out[SOC_COLUMN], 600) < 1.2
    # empty blocks are fine, before and after data
    empty = SampleBlock({"time_s": [], "voltage_v": [], "current_a": []})
    assert len(EkfSocEstimator(NMC).update(empty)[SOC_COLUMN]) == 0
    assert len(est.update(empty)[SOC_COLUMN]) == 0


def test_ocv_model_linearisation():
    # a table with an exactly flat stretch: the smoothed slope is never zero (a made-up
    # one, LFP's plateau in NMC's window: put in place as a spec's own, unchecked, as
    # with_ocv_table refuses a table that is not an NMC cell's)
    flat = dataclasses.replace(
        NMC, ocv_soc_pct=(0.0, 20.0, 40.0, 60.0, 80.0, 100.0), ocv_v=(3.0, 3.3, 3.3, 3.3, 3.8, 4.2)
    )
    m = CellModel.from_spec(flat)
    assert not m.ocv_from_preset and CellModel.from_spec(preset("nmc")).ocv_from_preset
    mean, slope = m.ocv_slr(50.0, 0.5)
    assert mean == pytest.approx(3.3, abs=1e-6) and slope >= 0.0
    _, slope_wide = m.ocv_slr(50.0, 8.0)  # a wider prior reaches the steps either side
    assert slope_wide > 1e-4
    # the OCV's variance about that line: ~0 where it is straight, large where a
    # wide prior reaches a knee (the filter counts it while the start is unsure)
    _, _, var_flat = m.ocv_slr_var(50.0, 2.0)
    _, _, var_knee = m.ocv_slr_var(70.0, 8.0)
    assert var_flat < 1e-8 and var_knee > 1e-3
    lo, hi = m.soc_range(3.3, 3.3)
    assert lo == pytest.approx(20.0, abs=0.1) and hi == pytest.approx(60.0, abs=0.1)
    assert m.soc_from_ocv(3.3) == pytest.approx(40.0, abs=0.1)
    assert m.soc_from_ocv(m.ocv(90.0)) == pytest.approx(90.0, abs=1e-6)


def _plain_slr(m: CellModel, soc_pct: float, sigma_pct: float) -> tuple[float, float, float]:
    """The SLR lookup as it was before it was written out in ecm_model (helper
    calls, builtin min/max): the reference for the bits."""
    sig = SLR_SIGMAS_PCT
    pos = math.log2(min(max(sigma_pct, sig[0]), sig[-1]) / sig[0])
    j = min(int(pos), len(sig) - 2)
    x = (soc_pct - GRID_MIN_PCT) / SLR_STEP_PCT
    k = min(max(int(x), 0), len(m.slr_ocv[0]) - 2)
    f, t = pos - j, x - k

    def bilinear(table):
        a, b = table[j], table[j + 1]
        v0 = a[k] + t * (a[k + 1] - a[k])
        v1 = b[k] + t * (b[k + 1] - b[k])
        return v0 + f * (v1 - v0)

    return bilinear(m.slr_ocv), bilinear(m.slr_slope), bilinear(m.slr_var)


@pytest.mark.parametrize(
    "spec",
    [NMC, preset("lfp", capacity_ah=20.0), preset("lead_acid", capacity_ah=100.0)],
    ids=["nmc-table", "lfp-preset", "lead-acid-preset"],
)
def test_ocv_slr_lookup_has_the_bits_of_the_plain_lookup(spec):
    m = CellModel.from_spec(spec)
    rng = np.random.default_rng(7)
    # past both ends of the SOC grid and of the sigma rows, on grid points, and between
    socs = [*rng.uniform(-30.0, 130.0, 400), GRID_MIN_PCT, 0.0, 50.0, 100.0, 112.0, 1e6, -1e6]
    sigmas = [*np.exp(rng.uniform(np.log(0.01), np.log(100.0), 400)), *SLR_SIGMAS_PCT, 0.0]
    sigmas += [0.49999999, 16.0000001]
    for soc in socs:
        for sigma in rng.choice(sigmas, 12):
            plain = _plain_slr(m, float(soc), float(sigma))
            assert m.ocv_slr_var(float(soc), float(sigma)) == plain
            assert m.ocv_slr(float(soc), float(sigma)) == plain[:2]
    # the filter's values: Python floats, not numpy scalars
    assert all(type(v) is float for v in m.ocv_slr_var(50.0, 2.0))


def test_rough_start_under_load_stays_in_the_physical_range():
    from app.core.spec import preset
    from app.diagnostics.soc import calculate_soc
    from app.hardware.simulator import simulate

    spec = preset("lead_acid")  # 1C from full: the loaded voltage maps above the table's top
    data = simulate(spec, profile="cc", duration_s=600, dt_s=1.0, seed=0).to_frame()
    result, _ = calculate_soc(data, spec)
    assert result.initialisation == "load"
    assert 0.0 <= result.initial_soc_percent <= 100.0


@pytest.mark.parametrize(("profile", "soc0"), [("cycle", 100.0), ("cycle", 5.0), ("cc", 100.0)])
def test_reported_soc_and_band_stay_within_0_to_100(profile, soc0):
    """The filter's state may stray past the table's ends, and an unknown start has a
    wide band; neither is reported outside 0-100 %, nor is the summary."""
    from app.hardware.simulator import simulate

    spec = preset("nmc", capacity_ah=5.0)
    block = simulate(spec, profile, duration_s=1800, dt_s=1.0, seed=0, initial_soc_pct=soc0)
    est = EkfSocEstimator(spec)
    out = est.update(block)
    for col in (SOC_COLUMN, SOC_BAND_LOW_COLUMN, SOC_BAND_HIGH_COLUMN):
        assert np.nanmin(out[col]) >= 0.0 and np.nanmax(out[col]) <= 100.0, col
    assert (out[SOC_BAND_LOW_COLUMN] <= out[SOC_COLUMN]).all()
    assert (out[SOC_COLUMN] <= out[SOC_BAND_HIGH_COLUMN]).all()
    r = est.result()
    assert (
        0.0 <= r.final_band_low_percent <= r.final_soc_percent <= r.final_band_high_percent <= 100
    )
    assert 0.0 <= r.min_soc_percent <= r.max_soc_percent <= 100.0


def test_a_dead_cell_at_0_v_is_left_out_of_the_mean_cell():
    """After a thermal runaway, cell 2's voltage collapses to 0 V (its channel then
    reads "stuck" at 0): the filter follows the three working cells, live as offline.
    With the 0 V reading in the mean the SOC fell to ~5 % while the pack stayed ~85 %."""
    from app.hardware.simulator import Fault, NoiseSpec, simulate

    spec = preset("nmc", capacity_ah=5.0, series_cells=4)
    block = simulate(
        spec,
        "drive",
        duration_s=3600,
        dt_s=1.0,
        seed=6,
        initial_soc_pct=85.0,
        noise=NoiseSpec.typical(spec),
        faults=[Fault("thermal_runaway", 600, cell=2)],
        include_truth=True,
    )
    late = block["time_s"] >= 1200
    assert (block["cell_2_v"][late] < 0.1).all()  # dead from here on
    truth = np.mean([block[f"true_cell_{k}_soc_pct"] for k in (1, 3, 4)], axis=0)
    offline = EkfSocEstimator(spec).update(block)
    assert np.sqrt(np.mean((offline[SOC_COLUMN] - truth)[late] ** 2)) < 2.0
    live, k, parts = EkfSocEstimator(spec), 0, []
    for size in np.random.default_rng(1).choice([1, 3, 8, 9, 64, 500], size=len(block)):
        if k >= len(block):
            break
        parts.append(live.update(block.slice(k, k + int(size))))
        k += int(size)
    np.testing.assert_array_equal(
        np.concatenate([p[SOC_COLUMN] for p in parts]), offline[SOC_COLUMN]
    )


def _split_run(spec: BatterySpec, block: SampleBlock, seed: int) -> np.ndarray:
    """The SOC of ``block`` fed live in random blocks (small ones take the pure-Python path)."""
    live, k, parts = EkfSocEstimator(spec), 0, []
    rng = np.random.default_rng(seed)
    while k < len(block):
        size = int(rng.choice([1, 2, 5, 8, 9, 64, 777]))
        parts.append(live.update(block.slice(k, k + size))[SOC_COLUMN])
        k += size
    return np.concatenate(parts)


@pytest.mark.parametrize(
    ("chem", "cells", "seed", "onset"),
    [("nmc", 4, 3, 1800), ("lfp", 4, 5, 1800), ("nmc", 16, 2, 1800), ("nmc", 4, 7, 0)],
)
def test_a_cell_sensor_stuck_at_a_plausible_value_is_left_out(chem, cells, seed, onset):
    """Cell 2's sensor freezes 30 min into a drive, or is frozen from the log's start
    (the simulator's sensor_stuck: its last reading, ~4.0 V on NMC, held while the
    pack discharges). With the frozen value in the mean cell the SOC drifted 4-6 %
    (NMC, 4 cells) from the same log's healthy twin over the next two hours; left out
    once it stops moving while its peers move, the two stay within a few tenths of a
    %, live as offline."""
    from app.hardware.simulator import Fault, NoiseSpec, simulate

    spec = preset(chem, series_cells=cells)
    kw = {"duration_s": 9000, "dt_s": 1.0, "seed": seed, "noise": NoiseSpec.typical(spec)}
    healthy = simulate(spec, "drive", **kw)
    stuck = simulate(spec, "drive", faults=[Fault("sensor_stuck", onset, channel="cell_2_v")], **kw)
    after = stuck["time_s"] >= onset
    assert np.ptp(stuck["cell_2_v"][after]) == 0.0 and np.ptp(stuck["cell_1_v"][after]) > 0.1
    ref = EkfSocEstimator(spec).update(healthy)[SOC_COLUMN]
    offline = EkfSocEstimator(spec).update(stuck)[SOC_COLUMN]
    assert np.abs(offline - ref).max() < 0.6
    np.testing.assert_array_equal(_split_run(spec, stuck, seed), offline)


def test_live_engine_leaves_a_stuck_cell_out_as_offline():
    """The live engine's SOC (the live twin) of a pack whose cell 3 sensor froze, fed
    in blocks of random sizes, is calculate_soc's to the bit."""
    from app.diagnostics.live import LiveEngine
    from app.hardware.simulator import Fault, NoiseSpec, simulate

    spec = preset("lfp", series_cells=4)
    block = simulate(
        spec,
        "cycle",
        duration_s=5400,
        seed=11,
        noise=NoiseSpec.typical(spec),
        faults=[Fault("sensor_stuck", 1200, channel="cell_3_v")],
    )
    _, offline, _ = soc_estimates(block.to_frame(), spec)
    _, smoothed = calculate_soc(block.to_frame(), spec)
    seen = []
    engine = LiveEngine(spec, outputs=[seen.append], keep_soc_history=True)
    k = 0
    for size in np.random.default_rng(2).choice([1, 3, 10, 40, 300, 1000], size=len(block)):
        if k >= len(block):
            break
        engine(block.slice(k, k + int(size)))
        k += int(size)
    engine.drain()
    np.testing.assert_array_equal(SampleBlock.concat(seen)[SOC_COLUMN], offline[SOC_COLUMN])
    np.testing.assert_array_equal(engine.soc.smoothed_columns()[SOC_COLUMN], smoothed)


def test_frozen_cells_blocks_and_samples_agree_and_leave_healthy_channels_alone():
    """The tracker's numpy path (blocks) and pure-Python path (samples) give the same
    flags however a log is split; a noisy healthy log, a noise-free one (its cells
    rest together) and a cell a charger holds at its limit are never flagged."""
    from app.diagnostics.frozen_cells import FrozenCells
    from app.hardware.simulator import Fault, NoiseSpec, simulate

    spec = preset("nmc", series_cells=4)

    def flags(block, sizes):
        columns = [block[f"cell_{k}_v"] for k in range(1, 5)]
        t = block["time_s"]
        fc, k, out = FrozenCells(spec, 4, 0.5 * spec.cell_v_min, 1.25 * spec.cell_v_max), 0, []
        for size in sizes:
            if k >= len(t):
                break
            if size == 1:
                one = np.zeros((4, 1), dtype=bool)
                one[fc.step(float(t[k]), [float(c[k]) for c in columns])] = True
                out.append(one)
            else:
                got = fc.update(t[k : k + size], [c[k : k + size] for c in columns])
                out.append(np.zeros((4, len(t[k : k + size])), dtype=bool) if got is None else got)
            k += size
        return np.concatenate(out, axis=1)

    rng = np.random.default_rng(4)
    noisy = NoiseSpec.typical(spec)
    for onset in (900, 0):  # (from the start: judged on the peers' history)
        stuck = simulate(
            spec,
            "drive",
            duration_s=3600,
            seed=1,
            noise=noisy,
            faults=[Fault("sensor_stuck", onset, channel="cell_3_v")],
        )
        whole = flags(stuck, [len(stuck)])
        t = stuck["time_s"]
        assert not whole[[0, 1, 3]].any()
        first = t[np.argmax(whole[2])]  # 30 s after the last reading that moved
        assert onset + 28 <= first <= onset + 31 and whole[2, t >= first].all()
        for _ in range(3):
            sizes = rng.choice([1, 1, 2, 7, 50, 400], size=len(t))
            np.testing.assert_array_equal(flags(stuck, sizes), whole)
    for block in (
        simulate(spec, "drive", duration_s=3600, seed=2, noise=noisy),
        simulate(spec, "cycle", duration_s=3 * 3600, seed=2),  # noise-free: rests, CV
        simulate(spec, "cccv", duration_s=3 * 3600, seed=2),
    ):
        assert not flags(block, [len(block)]).any()
        assert not flags(block, rng.choice([1, 3, 100], size=len(block))).any()


def test_quantised_cell_sensors_that_repeat_their_readings_are_not_left_out():
    """A BMS reading cells in whole millivolts with little noise repeats a cell's
    value for up to a minute at rest while its peers move: no such cell flickered a
    minute on end before it held (each holds 5 s and more every so often), so none is
    a stuck sensor and all stay in the mean (left out, the mean would move by the
    cell's imbalance over the others)."""
    from app.diagnostics.frozen_cells import FrozenCells

    spec = preset("nmc", series_cells=4)
    rng = np.random.default_rng(0)
    t = np.arange(3600.0)
    # 10 min of load (every channel moves with it), then a rest
    ocv = 3.7 + 0.0005 * np.clip(600.0 - t, 0.0, None) + 0.0002 * np.arange(4)[:, None]
    volts = np.round(ocv + rng.normal(0.0, 0.0003, (4, len(t))), 3)
    holds = [np.max(np.diff(np.flatnonzero(np.diff(v) != 0))) for v in volts]
    assert max(holds) >= 45  # up to 45 s and more without a change
    assert FrozenCells(spec, 4, 3.0, 4.5).update(t, list(volts)) is None
    fc = FrozenCells(spec, 4, 3.0, 4.5)
    assert not any(fc.step(float(x), volts[:, j].tolist()) for j, x in enumerate(t))


@pytest.mark.parametrize("seed", [0, 1])
def test_a_long_blocks_drift_look_is_the_drift_rule_on_every_sample(seed):
    """The long-block path's cheap look for drifts (the stretches between reversals
    that can hold one, found as runs without a reversal; short ones judged in plain
    floats) gives the last drift break and the state after the block that the rule
    (_reversals) gives on every sample: noisy, quantised, held, dropped (NaN, inf)
    and drifting readings, even and uneven times with gaps, a block's state carried
    into the next."""
    from app.diagnostics.frozen_cells import FrozenCells, _clear_runs, _reversals

    spec = preset("nmc", series_cells=4)
    rng = np.random.default_rng(seed)
    drifts = 0
    for trial in range(150):
        n = int(rng.integers(2000, 6000))
        dt = float(rng.choice([0.1, 1.0, 2.0]))
        t = np.arange(n) * dt if trial % 2 else np.cumsum(rng.uniform(0.2, 1.8, n) * dt)
        if trial % 5 == 0:
            t[int(rng.integers(1, n)) :] += rng.uniform(10.0, 300.0)  # a gap
        col = 3.7 + np.linspace(0.0, rng.uniform(-0.2, 0.2), n) * (trial % 3 == 0)
        col = col + rng.normal(0.0, float(rng.choice([1e-4, 1e-3])), n) * (trial % 7 != 0)
        if trial % 4 == 0:
            col = np.round(col, 4)  # quantised: repeats between the changes
        for _ in range(int(rng.integers(0, 4))):  # noise-free drifts and holds
            a = int(rng.integers(0, n))
            b = min(n, a + int(rng.integers(20, 800)))
            col[a:b] = col[a] + np.arange(b - a) * float(rng.choice([-1e-4, 0.0, 1e-4]))
        if trial % 6 == 0:
            col[rng.integers(0, n, 5)] = np.nan
            col[rng.integers(0, n, 2)] = np.inf
        fc = FrozenCells(spec, 1, 2.5, 4.5)
        fc._start(float(t[0]))
        fc._last[0] = float(col[0])
        pos = 0
        while n - pos > 256:
            m = int(rng.integers(257, 2000))
            tt, cc = t[pos : pos + m], col[pos : pos + m]
            state = np.array([[fc._dir[0], fc._rev_t[0], fc._rev_n[0]]])
            with np.errstate(invalid="ignore"):
                drift, end = _reversals(tt, cc[None, :], np.array([fc._last[0]]), state)
                drift_t, got = fc._drift_look(tt, cc, 0, float(np.diff(tt).max()))
            hits = np.flatnonzero(drift[0])
            assert drift_t == (tt[hits[-1]] if len(hits) else -math.inf), (trial, pos)
            assert got == tuple(end[0].tolist()), (trial, pos)
            drifts += len(hits) > 0
            fc._set_state(0, got)
            fc._last[0] = float(cc[-1])
            pos += m
    assert drifts > 50  # (drifts were there to find)
    # the runs without a reversal: those of a plain scan
    for trial in range(300):
        flags = rng.random(int(rng.integers(0, 300))) < rng.uniform(0.05, 0.9)
        width = int(rng.integers(1, 40))
        runs, k = [], 0
        while k < len(flags):
            if flags[k]:
                k += 1
                continue
            j = k
            while j < len(flags) and not flags[j]:
                j += 1
            if j - k >= width:
                runs.append((k, j - 1))
            k = j
        got = _clear_runs(flags, width)
        assert (list(zip(*[a.tolist() for a in got], strict=True)) if got else []) == runs, trial


def test_a_soc_variance_below_zero_does_not_raise():
    """Round-off on bad input can leave the covariance indefinite, its SOC variance
    below 0: math.sqrt raised 'math domain error' on it. Taken as 0, the filter runs
    on (and on valid data nothing changes: the first half is the whole run's)."""
    i = with_rest_start(drive_current(1800, 5.0, seed=3))
    df = ecm_log(NMC, i, soc0=70.0, seed=3)
    half = len(df) // 2
    cols = ("time_s", "voltage_v", "current_a")
    reference, _ = run(df, NMC)
    est = EkfSocEstimator(NMC)
    before = est.update(SampleBlock({c: df[c].to_numpy()[:half] for c in cols}))
    np.testing.assert_array_equal(before[SOC_COLUMN], reference[SOC_COLUMN][:half])
    est._p[0, 0] = -1e-9
    out = est.update(SampleBlock({c: df[c].to_numpy()[half:] for c in cols}))
    assert np.isfinite(out[SOC_COLUMN]).all()
    assert abs(out[SOC_COLUMN][-1] - reference[SOC_COLUMN][-1]) < 1.0


@pytest.mark.parametrize(("profile", "soc0"), [("cycle", 50.0), ("drive", 90.0)])
def test_a_start_under_load_bounds_no_range_with_its_guess(profile, soc0):
    """An LFP pack at 50 % under a cycle from its first sample: the first value is a
    guess (~70 %, +-50 %) and was the range's top ('Range 0.0-70.4 %' beside a start
    worked back to 51 %; a drive from 90 %: 69.4-90.7 %, 90.7 the first value). The
    range is of the surer estimates and the worked-back start, within a few % of the
    true SOC's; any split of the samples gives it."""
    from app.hardware.simulator import simulate

    spec = preset("lfp", capacity_ah=5.0, series_cells=4)
    block = simulate(spec, profile, 3600, 1.0, 1, initial_soc_pct=soc0, include_truth=True)
    frame = block.to_frame()
    truth = frame[[f"true_cell_{k}_soc_pct" for k in range(1, 5)]].mean(axis=1)
    res, _ = calculate_soc(frame, spec)
    assert res.initialisation == "load"
    assert res.start_soc_back_calculated_percent is not None
    assert res.max_soc_percent == pytest.approx(truth.max(), abs=3.0)
    assert res.min_soc_percent == pytest.approx(truth.min(), abs=3.0)
    assert res.max_soc_percent < res.initial_soc_percent
    cols = [c for c in frame.columns if not c.startswith("true_")]
    sb = SampleBlock({c: frame[c].to_numpy() for c in cols})
    whole, live = EkfSocEstimator(spec), EkfSocEstimator(spec)
    whole.update(sb)
    for a in range(0, len(sb), 5):  # small blocks: the live engine's path
        live.update(sb.slice(a, a + 5))
    ranges = [(e.result().min_soc_percent, e.result().max_soc_percent) for e in (whole, live)]
    assert ranges[0] == ranges[1]
    assert ranges[0][1] < whole.result().initial_soc_percent


@pytest.mark.parametrize(("profile", "soc0"), [("cycle", 50.0), ("drive", 90.0)])
def test_the_offline_range_is_the_smoothed_series_range(profile, soc0):
    """Offline the summary's range is of the series analyze --timeseries writes (the
    smoothed one: its first value the start shown, its last the final value), not of
    the filter's estimates (the Arbin A123 log read 'Range 17.7-78.6 %' beside a start
    of 23.8 % and a series that never went below 23.8 %). The live engine keeps no
    history: its range is the filter's, and says so."""
    from app.diagnostics.live import LiveEngine
    from app.hardware.simulator import simulate

    spec = preset("lfp", capacity_ah=5.0, series_cells=4)
    block = simulate(spec, profile, 3600, 1.0, 1, initial_soc_pct=soc0)
    res, _, smoothed = soc_estimates(block.to_frame(), spec)
    series = smoothed[SOC_COLUMN]
    assert res.soc_range_of == "smoothed"
    assert (res.min_soc_percent, res.max_soc_percent) == (series.min(), series.max())
    assert res.start_soc_back_calculated_percent == pytest.approx(series[0], abs=1e-9)
    assert res.final_soc_percent == series[-1]
    engine = LiveEngine(spec, outputs=[])
    for a in range(0, len(block), 50):
        engine(block.slice(a, a + 50))
    engine.drain()
    live = engine.soc.result()
    assert live.soc_range_of == "filter"
    assert live.to_dict() == {
        **res.to_dict(),
        "min_soc_percent": live.min_soc_percent,
        "max_soc_percent": live.max_soc_percent,
        "soc_range_of": "filter",
    }


def test_a_charge_from_the_first_sample_on_the_lfp_plateau_is_not_driven_off():
    # A 0.5C charge from 20 % logged from its first sample (the preset's OCV):
    # below the prediction, the voltage drove the charge-transfer amplitude past
    # its bound (0) and, by their correlation, the SOC up: 52 % at a true 28 %,
    # 35 % off for an hour with the truth outside the band.
    spec = preset("lfp", capacity_ah=5.0)
    cap = spec.capacity_ah
    df = ecm_log(
        spec, np.full(5400, 0.5 * cap), soc0=20.0, r_scale=1.0, capacity_scale=1.0, gain=1.0
    )
    out, est = run(df, spec)
    assert est.result().initialisation == "load"
    truth = df["soc_true_pct"].to_numpy()
    later = df["time_s"].to_numpy() >= 600
    assert np.max(np.abs(out[SOC_COLUMN] - truth)[later]) < 5.0
    inside = (out[SOC_BAND_LOW_COLUMN] <= truth) & (truth <= out[SOC_BAND_HIGH_COLUMN])
    assert inside[later].mean() > 0.95


def _lfp_plateau_hppc() -> tuple[SampleBlock, np.ndarray, BatterySpec]:
    """An LFP HPPC log from 55 % (the plateau), its first sample under load."""
    from app.hardware.simulator import NoiseSpec, simulate

    spec = preset("lfp", capacity_ah=20.0, series_cells=1)
    blk = simulate(
        spec,
        "hppc",
        duration_s=4 * 3600,
        dt_s=1.0,
        seed=3,
        initial_soc_pct=55.0,
        noise=NoiseSpec.typical(spec),
        include_truth=True,
    )
    truth = np.asarray(blk["true_cell_1_soc_pct"])
    cols = {c: np.asarray(blk[c]) for c in ("time_s", "voltage_v", "current_a")}
    return SampleBlock(cols), truth, spec


def test_the_offline_series_is_worked_back_from_later_surer_estimates():
    """A start the filter can only guess (under load on the LFP plateau) is 6 % off
    for its first half hour live; offline the whole log is known, and the series
    calculate_soc gives is worked back from the later estimates by the charge
    counted: within 1 %, its band still holding the truth."""
    block, truth, spec = _lfp_plateau_hppc()
    df = block.to_frame()
    first = block["time_s"] < 1800.0
    est = EkfSocEstimator(spec)
    live = est.update(block)[SOC_COLUMN]
    assert np.sqrt(np.mean((live - truth)[first] ** 2)) > 3.0
    _, columns = soc_series(df, spec)
    err = columns[SOC_COLUMN] - truth
    assert np.sqrt(np.mean(err[first] ** 2)) < 1.0
    assert np.sqrt(np.mean(err**2)) < np.sqrt(np.mean((live - truth) ** 2)) / 3
    inside = (truth >= columns[SOC_BAND_LOW_COLUMN]) & (truth <= columns[SOC_BAND_HIGH_COLUMN])
    assert inside.mean() > 0.95
    # the end is the filter's (nothing later to work it back from), and the
    # summary is the filter's
    assert columns[SOC_COLUMN][-1] == live[-1]
    assert calculate_soc(df, spec)[0].to_dict() == est.result().to_dict()


def _parked_on_the_plateau_log(seed: int) -> pd.DataFrame:
    """LFP parked from 58 % (the plateau, from rest): five 2-3.5 % discharges
    at 0.5C, each followed by 2-3 h parked, then down to 30 % and four 2 h rests
    4 % apart on the slope below; the cell 2 mV above the table (a C/50 table
    sits below the OCV), at 0.5 Hz."""
    rng = np.random.default_rng(seed)
    cap, dt = LFP.capacity_ah, 2.0
    parts, moved = [np.zeros(300)], 0.0
    for _ in range(5):
        d = rng.uniform(150.0, 250.0)
        moved += d / 72.0
        parts += [np.full(int(d / dt), -0.5 * cap), np.zeros(int(rng.uniform(2, 3) * 1800))]
    parts.append(np.full(int((58.0 - moved - 30.0) * 36.0), -0.5 * cap))
    for _ in range(4):
        parts += [np.zeros(3600), np.full(144, -0.5 * cap)]
    df = ecm_log(LFP, np.concatenate(parts), soc0=58.0, seed=seed, dt=dt)
    df["voltage_v"] += 0.002
    return df


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hours_parked_on_the_plateau_do_not_pull_the_current_offset(seed):
    """While the SOC is unsure (the plateau start), the rests' pull on it is its
    error being corrected, not a drift: the current offset (seen only through
    the SOC's drift) is not moved by it. Moved, it counted charge in through
    hours of parking, and the series worked back from the rests on the slope
    later, by that charge, was 1.0-1.6 % off (RMSE after 10 min; the start
    1.6-2.8 % low); now 0.3-0.5 % (0.6-0.7 %, the start +1.0 against +0.6-0.9
    %, since a table of unstated current has a 3.1 mV offset sigma, not 5; seed 3
    +1.01 -> +1.14 % since a start's sigma is no less than its posterior's spread,
    which on the plateau reaches a little past the range's quarter width)."""
    df = _parked_on_the_plateau_log(seed)
    _, est = run(df, LFP, keep_history=True)
    err = est.smoothed_columns()[SOC_COLUMN] - df["soc_true_pct"].to_numpy()
    assert abs(err[0]) < 1.2
    assert rmse_after(df, err + df["soc_true_pct"].to_numpy(), 600.0) < 0.8
    # the summary's start worked back says the same
    r = est.result()
    if r.start_soc_back_calculated_percent is not None:
        assert abs(r.start_soc_back_calculated_percent - 58.0) < 1.2


def test_the_smoothed_series_is_the_same_live_at_any_point():
    """The live twin's smoothed columns, asked for between blocks of any split,
    are those of the log so far offline, to the bit (and asking does not stop
    it taking more blocks)."""
    block, _, spec = _lfp_plateau_hppc()
    block = SampleBlock({**dict(block.items()), "soc_reported_pct": np.full(len(block), 50.0)})
    rng = np.random.default_rng(5)
    live = EkfSocEstimator(spec)
    k = 0
    while k < len(block):
        size = int(rng.choice([1, 3, 8, 9, 64, 700, 3000]))
        live.update(block.slice(k, k + size))
        k = min(k + size, len(block))
        if rng.random() < 0.05 or k == len(block):
            offline = EkfSocEstimator(spec)
            offline.update(block.slice(0, k))
            expected = offline.smoothed_columns()
            got = live.smoothed_columns()
            assert set(got) == set(expected) == set(EkfSocEstimator.columns)
            for name, values in expected.items():
                np.testing.assert_array_equal(got[name], values)


def test_a_live_engine_keeps_no_soc_history_unless_asked():
    # the smoother's history grows with the run (8 bytes a sample): a live engine that
    # never asks for the smoothed series keeps none, and says so if asked
    from app.diagnostics.live import LiveEngine

    spec = preset("nmc", series_cells=1, capacity_ah=5.0)
    t = np.arange(0.0, 600.0)
    block = SampleBlock(
        {"time_s": t, "voltage_v": 3.7 - 0.0001 * t, "current_a": np.full(len(t), -1.0)}
    )
    engine = LiveEngine(spec)
    engine(block)
    engine.drain()
    assert len(engine.soc._raw.view()) == 0
    assert len(engine.soc._hist) <= _HIST_COLUMNS  # the first prior
    with pytest.raises(ValueError, match="keep_history"):
        engine.soc.smoothed_columns()


@pytest.mark.parametrize(
    ("chemistry", "profile", "soc0", "seed"),
    [
        ("lfp", "cycle", 50.0, 11),
        ("lfp", "drive", 35.0, 12),
        ("nmc", "cycle", 80.0, 13),
        ("nmc", "drive", 25.0, 14),
        ("lead_acid", "cycle", 70.0, 15),
        ("lfp", "cc", 90.0, 16),
    ],
)
def test_the_summarys_start_is_the_smoothed_series_first_value(chemistry, profile, soc0, seed):
    """analyze's summary gave the filter's first value (a guess under load) where the
    smoothed series (``--timeseries``) had worked it back from a surer estimate, or
    worked it back only from one twice as sure: two different starts. The summary's
    start and band are now the series' first value and band, whichever the case."""
    from app.hardware.simulator import simulate

    spec = preset(chemistry, series_cells=4)
    block = simulate(spec, profile, duration_s=3 * 3600, seed=seed, initial_soc_pct=soc0)
    df = block.to_frame()
    r, cols = soc_series(df, spec)
    first, high = cols[SOC_COLUMN][0], cols[SOC_BAND_HIGH_COLUMN][0]
    if r.start_soc_back_calculated_percent is None:
        assert r.initial_soc_percent == pytest.approx(first, abs=1e-9)
        sigma = r.initial_soc_sigma_percent
    else:
        assert r.start_soc_back_calculated_percent == pytest.approx(first, abs=1e-9)
        sigma = r.start_soc_back_calculated_sigma_percent
    assert min(first + 2 * sigma, 100.0) == pytest.approx(high, abs=1e-9)


def _loaded_lfp_log(soc0: float, c_rate: float, v_slow_per_c: float, seed: int) -> pd.DataFrame:
    """The project simulator's LFP cell at constant current from ``soc0`` for 11 min,
    logged from 1 min in (an unknown start under load), with a slow polarisation
    the filter's model lacks (diffusion: ``v_slow_per_c`` V per C, 30 min time
    constant; PyBaMM's LFP cell polarises ~1 V beyond its OCV at 1.2C in 10 min)."""
    from app.hardware.simulator import NoiseSpec, simulate

    spec = preset("lfp", capacity_ah=2.5)
    block = simulate(
        spec,
        "cc",
        duration_s=660,
        dt_s=1.0,
        seed=seed,
        initial_soc_pct=soc0,
        noise=NoiseSpec.typical(spec),
        include_truth=True,
        c_rate=-c_rate,
    )
    i = np.asarray(block["current_a"])
    decay = math.exp(-1.0 / 1800.0)
    slow, v3 = np.empty(len(i)), 0.0
    for k, x in enumerate(i.tolist()):
        v3 = decay * v3 + (1.0 - decay) * v_slow_per_c / spec.capacity_ah * x
        slow[k] = v3
    df = pd.DataFrame(
        {
            "time_s": np.asarray(block["time_s"]),
            "voltage_v": np.asarray(block["voltage_v"]) + slow,
            "current_a": i,
            "soc_true_pct": np.asarray(block["true_cell_1_soc_pct"]),
        }
    ).iloc[60:]
    df["time_s"] -= df["time_s"].iloc[0]
    return df.reset_index(drop=True)


@pytest.mark.parametrize(
    ("soc0", "c_rate", "v_slow", "seed"),
    [(40.0, 1.0, 0.6, 2), (50.0, 1.5, 0.4, 3), (38.0, 0.8, 0.8, 4), (60.0, 1.0, 0.6, 7)],
)
def test_a_start_read_under_load_only_keeps_an_honest_band(soc0, c_rate, v_slow, seed):
    # Ten minutes of one discharge from an unknown SOC on the LFP plateau, no
    # rest: a slow polarisation the model lacks (diffusion) reads as a falling
    # SOC, the estimate runs onto the steep low knee and the filter grew sure of
    # it (sigma 1-3 %, 10-25 % off; PyBaMM LFP steps 1 Hz s14 from load: 0.4 %
    # off by 16 %). Nothing in such a log tells the two apart, so the estimate
    # may be off, but its band must say so: the truth inside it, live and in
    # the smoothed series (the old band held it in 67-89 % of the samples live,
    # in none of them smoothed).
    df = _loaded_lfp_log(soc0, c_rate, v_slow, seed)
    spec = preset("lfp", capacity_ah=2.5)
    out, est = run(df, spec)
    assert est.result().initialisation == "load"
    truth = df["soc_true_pct"].to_numpy()
    assert abs(out[SOC_COLUMN][-1] - truth[-1]) > 8.0  # the estimate is off ...
    for cols in (out, est.smoothed_columns()):
        inside = (truth >= cols[SOC_BAND_LOW_COLUMN]) & (truth <= cols[SOC_BAND_HIGH_COLUMN])
        assert inside.mean() >= 0.95  # ... and its band says so


#: A start at rest less sure than this counts what is read under load in its band.
LFP_UNSURE_SIGMA_PCT = SocFilterSettings().rest_unsure_sigma_pct


def _rest_then_diffusing_discharge(
    soc0: float, c_rate: float, v_slow_per_c: float, seed: int, load_s: int, after_s: int
) -> pd.DataFrame:
    """2 min at rest at ``soc0`` (the LFP plateau), then one constant-current
    discharge of ``load_s`` and ``after_s`` at rest, the 2-RC cell with a slow
    polarisation the filter's model lacks added (diffusion: ``v_slow_per_c`` V per
    C, 30 min time constant)."""
    cap = LFP.capacity_ah
    load = np.concatenate((np.full(load_s, -c_rate * cap), np.zeros(after_s)))
    i = with_rest_start(load)
    df = ecm_log(LFP, i, soc0=soc0, seed=seed)
    decay = math.exp(-1.0 / 1800.0)
    slow, v3 = np.empty(len(i)), 0.0
    for k, x in enumerate(i.tolist()):
        v3 = decay * v3 + (1.0 - decay) * v_slow_per_c / cap * x
        slow[k] = v3
    df["voltage_v"] += slow
    return df


@pytest.mark.parametrize(
    ("soc0", "c_rate", "v_slow", "seed", "load_s", "after_s"),
    [
        (60.0, 0.5, 0.3, 1, 1800, 0),
        (55.0, 0.5, 0.3, 2, 1500, 200),
        (62.0, 0.4, 0.3, 3, 2400, 200),
        (60.0, 0.5, 0.2, 4, 1800, 0),
    ],
)
def test_an_unsure_start_at_rest_read_under_load_keeps_an_honest_band(
    soc0, c_rate, v_slow, seed, load_s, after_s
):
    # A log that starts at rest on the LFP plateau (the first voltage bounds the
    # SOC only to +-6-7 %), then one long discharge whose diffusion the model
    # lacks reads as a falling SOC down the low knee, where the filter grows
    # sure of it (12-26 % off). As for a start under load, the band must count
    # what the voltage under load moved the SOC by: the old band held the truth
    # in 71-93 % of the samples live and in none of them smoothed, the series
    # worked back from the sure, wrong late estimates (RMSE 11-24 %, 7-10 % now).
    df = _rest_then_diffusing_discharge(soc0, c_rate, v_slow, seed, load_s, after_s)
    out, est = run(df, LFP)
    res = est.result()
    assert res.initialisation == "rest"
    assert res.initial_soc_sigma_percent > LFP_UNSURE_SIGMA_PCT  # on the plateau
    truth = df["soc_true_pct"].to_numpy()
    assert abs(out[SOC_COLUMN][-1] - truth[-1]) > 8.0  # the estimate is off ...
    for cols, share in ((out, 0.95), (est.smoothed_columns(), 0.8)):
        inside = (truth >= cols[SOC_BAND_LOW_COLUMN]) & (truth <= cols[SOC_BAND_HIGH_COLUMN])
        assert inside.mean() >= share  # ... and its band says so


@pytest.mark.parametrize("soc0", [60.0, 30.0])
def test_an_unsure_start_at_rests_band_is_the_same_live(soc0):
    # the band term of an unsure start at rest (its rests bounding it), and of a
    # settled SOC (60 %: after its rest; 30 %: a sure start), is carried from
    # block to block: the same bits in any split, band and smoothed series
    load = np.concatenate((np.full(900, -1.25), np.zeros(600), np.full(900, -1.25)))
    i = with_rest_start(np.concatenate((load, np.zeros(400))))
    df = ecm_log(LFP, i, soc0=soc0, seed=5)
    block = SampleBlock.from_frame(df[["time_s", "voltage_v", "current_a"]])
    offline = EkfSocEstimator(LFP)
    ref = offline.update(block)
    sure = offline.result().initial_soc_sigma_percent < LFP_UNSURE_SIGMA_PCT
    assert sure == (soc0 < 50.0)
    live = EkfSocEstimator(LFP)
    rng = np.random.default_rng(5)
    k, parts = 0, []
    while k < len(block):
        size = int(rng.choice([1, 3, 8, 9, 64, 500]))
        parts.append(live.update(block.slice(k, k + size)))
        k += size
    for c in (SOC_COLUMN, SOC_BAND_LOW_COLUMN, SOC_BAND_HIGH_COLUMN):
        np.testing.assert_array_equal(np.concatenate([p[c] for p in parts]), ref[c])
        np.testing.assert_array_equal(live.smoothed_columns()[c], offline.smoothed_columns()[c])


@pytest.mark.parametrize(
    ("soc0", "c_rate", "v_slow", "seed", "load_s", "after_s", "rmse_max"),
    [(35.0, 0.5, 0.3, 2, 1000, 300, 2.5), (30.0, 0.4, 0.3, 3, 1200, 300, 5.5)],
)
def test_a_settled_soc_read_under_load_keeps_an_honest_band(
    soc0, c_rate, v_slow, seed, load_s, after_s, rmse_max
):
    # Below the plateau a rest pins the start (sigma 3.3-3.6 %, under the unsure
    # start's 4 %), then one long discharge whose diffusion the model lacks reads
    # as a falling SOC down the low knee, where the filter grows sure of it (the
    # end 4.4-5.6 % low; PyBaMM LFP steps s81 the same way: -1.3 -> -8.3 % at a
    # 0.65 % sigma). What the voltage under load moved the SOC by counts in the
    # band for a settled SOC too: the old smoothed band held the truth in 100 /
    # 25 % of the samples, the series 3.88 / 5.21 % RMSE (worked back from the
    # sure, wrong late estimates over intervals the filter held surer than the
    # smoother's floor); now 100 / 99 %, 1.72 / 5.21 %.
    df = _rest_then_diffusing_discharge(soc0, c_rate, v_slow, seed, load_s, after_s)
    out, est = run(df, LFP)
    res = est.result()
    assert res.initialisation == "rest"
    assert res.initial_soc_sigma_percent < LFP_UNSURE_SIGMA_PCT  # a sure start
    truth = df["soc_true_pct"].to_numpy()
    # the estimate is off ... (4.1-4.3 % at the end; 0.9-3.1 % since the
    # surface gap counts over its relaxation time and a table of unstated
    # current has a tighter offset prior)
    assert abs(out[SOC_COLUMN][-1] - truth[-1]) > 0.8
    cols = est.smoothed_columns()
    inside = (truth >= cols[SOC_BAND_LOW_COLUMN]) & (truth <= cols[SOC_BAND_HIGH_COLUMN])
    assert inside.mean() >= 0.95  # ... and its band says so
    assert np.sqrt(np.mean((cols[SOC_COLUMN] - truth) ** 2)) < rmse_max


def test_what_a_settled_soc_reads_under_load_moves_only_the_band():
    # the term is the band's: the filter's SOC is the same bits without it
    df = _rest_then_diffusing_discharge(35.0, 0.5, 0.3, 2, 1000, 300)
    out, est = run(df, LFP)
    out0, est0 = run(df, LFP, settings=SocFilterSettings(load_read_settled=False))
    np.testing.assert_array_equal(out[SOC_COLUMN], out0[SOC_COLUMN])
    assert not np.array_equal(out[SOC_BAND_LOW_COLUMN], out0[SOC_BAND_LOW_COLUMN])


def _lfp_drive_from_half_full(spec, *, duration_s: float, seed: int):
    """The project simulator's LFP drive log from an unknown 50 % at 1 Hz with typical
    sensor noise, and the estimator that read it (its start read under load)."""
    from app.hardware.simulator import NoiseSpec, simulate

    block = simulate(
        spec,
        "drive",
        duration_s=duration_s,
        dt_s=1.0,
        seed=seed,
        initial_soc_pct=50.0,
        noise=NoiseSpec.typical(spec),
        include_truth=True,
    )
    est = EkfSocEstimator(spec)
    est.update(block)
    assert est.result().initialisation == "load"
    return block, est


def test_a_start_under_load_the_voltage_confirms_is_not_kept_unsure():
    # The same project simulator's LFP cell driven from an unknown 50 % for two
    # hours without a rest, its model right: the voltage under load corrects
    # the guess and then keeps agreeing with the charge counted down the low
    # knee, so what it moved the SOC by is forgotten (over 30 % of charge) and
    # the series is worked back from the sure late estimates (kept unsure to
    # the end, the smoothed series was 2.4 % off where it is 0.1 %).
    spec = preset("lfp", capacity_ah=20.0)
    block, est = _lfp_drive_from_half_full(spec, duration_s=7200, seed=1)
    truth = np.asarray(block["true_cell_1_soc_pct"])
    late = np.asarray(block["time_s"]) >= 600
    err = est.smoothed_columns()[SOC_COLUMN] - truth
    assert np.sqrt(np.mean(err[late] ** 2)) < 0.5


@pytest.mark.parametrize("seed", [400, 406, 408])
def test_a_start_at_a_near_rest_current_is_read_as_nearly_a_rest(seed):
    # The project simulator's LFP drive logs start at 0.02-0.03C, just over the
    # rest current: a start "under load" whose polarisation (I R at that
    # current, well under a millivolt) is far inside a rest read's own voltage
    # sigma, so what it may mislead by is almost nothing. Counted as a full load
    # read, the band's extra uncertainty covered the whole hour (no rest), the
    # late estimates were no surer than the early ones and the smoother stopped
    # working the early ones back: 2.7-3.8 % off after 10 min, the band +-14 %,
    # where the filter's own evidence gives 0.2-0.5 % and +-9 %.
    spec = preset("lfp", series_cells=1)
    block, est = _lfp_drive_from_half_full(spec, duration_s=3600, seed=seed)
    truth = np.asarray(block["true_cell_1_soc_pct"])
    late = np.asarray(block["time_s"]) >= 600
    cols = est.smoothed_columns()
    err = (cols[SOC_COLUMN] - truth)[late]
    assert np.sqrt(np.mean(err**2)) < 1.0
    half = 0.5 * (cols[SOC_BAND_HIGH_COLUMN] - cols[SOC_BAND_LOW_COLUMN])[late]
    inside = (truth >= cols[SOC_BAND_LOW_COLUMN]) & (truth <= cols[SOC_BAND_HIGH_COLUMN])
    assert inside[late].mean() >= 0.95  # honest ...
    assert np.median(half) < 10.0  # ... and no wider than the evidence leaves it


def test_a_table_measured_at_c50_is_read_as_the_ocv_it_sits_below():
    # a C/50 discharge table sits the C/50 current times the cell's resistance
    # below the OCV: stated, the model raises it by that (R0 + R1 + R2 of the
    # preset: 0.038 ohm Ah for LFP, 0.76 mV at C/50) and trusts its offset more
    soc, ocv = zip(*LFP_TABLE, strict=True)
    rated = LFP.with_ocv_table(soc, ocv, current_c=-0.02)
    plain, m = CellModel.from_spec(LFP), CellModel.from_spec(rated)
    for x in (10.0, 50.0, 90.0):
        assert m.ocv(x) - plain.ocv(x) == pytest.approx(0.02 * 0.038, abs=1e-9)
    charged = CellModel.from_spec(LFP.with_ocv_table(soc, ocv, current_c=0.05))
    assert charged.ocv(50.0) - plain.ocv(50.0) == pytest.approx(-0.05 * 0.038, abs=1e-9)
    at_rest = CellModel.from_spec(LFP.with_ocv_table(soc, ocv, current_c=0.0))
    assert at_rest.ocv_grid == plain.ocv_grid
    s = SocFilterSettings()
    assert EkfSocEstimator(rated)._table_sigma_v() == s.ocv_error_rated_table_v
    # a table of unstated current may be a C/50 charge, discharge or rest table:
    # not shifted, its offset's sigma the rated one widened by C/50 x R0 + R1 + R2
    # (LFP 0.76 mV: 3.1 mV; NMC 2.9 mV: 4.2 mV; 5 mV for either before)
    assert plain.ocv_grid == CellModel.from_spec(LFP).ocv_grid
    lfp_dc, nmc_dc = 0.02 * 0.038, 0.02 * CellModel.from_spec(NMC).capacity_as / 3600.0
    m_nmc = CellModel.from_spec(NMC)
    nmc_dc *= m_nmc.r0_ohm + m_nmc.r1_ohm + m_nmc.r2_ohm
    assert EkfSocEstimator(LFP)._table_sigma_v() == pytest.approx(
        math.hypot(s.ocv_error_rated_table_v, lfp_dc), rel=1e-9
    )
    assert EkfSocEstimator(NMC)._table_sigma_v() == pytest.approx(
        math.hypot(s.ocv_error_rated_table_v, nmc_dc), rel=1e-9
    )
    assert 0.003 < EkfSocEstimator(LFP)._table_sigma_v() < 0.0032
    assert 0.004 < EkfSocEstimator(NMC)._table_sigma_v() < 0.0044
    old = SocFilterSettings(ocv_table_unstated_current_c=None)
    assert EkfSocEstimator(LFP, old)._table_sigma_v() == s.ocv_error_table_v
    # a cell whose OCV is the table raised so, started at rest on the plateau
    # and driven: the rated table tracks it as the plain table tracks its own OCV
    i = with_rest_start(drive_current(3 * 3600, 2.5, seed=3))
    truth_spec = LFP.with_ocv_table(soc, np.asarray(ocv) + 0.02 * 0.038)
    df = ecm_log(truth_spec, i, soc0=60.0, seed=3)
    block = SampleBlock.from_frame(df.drop(columns="soc_true_pct"))
    est = EkfSocEstimator(rated)
    ref = est.update(block)
    assert rmse_after(df, est.smoothed_columns()[SOC_COLUMN], 600) < 1.5
    # live == offline with a rated table too
    live = EkfSocEstimator(rated)
    parts = [live.update(block.slice(k, k + 777)) for k in range(0, len(block), 777)]
    np.testing.assert_array_equal(np.concatenate([p[SOC_COLUMN] for p in parts]), ref[SOC_COLUMN])
    for name, values in est.smoothed_columns().items():
        np.testing.assert_array_equal(live.smoothed_columns()[name], values)


@pytest.mark.parametrize("seed", range(1, 7))
def test_a_start_at_rest_beside_a_plateau_is_not_held_surer_than_its_voltage(seed):
    # A rest start at the top of the LFP table's 68-72 % step, the cell's OCV a
    # C/50 discharge table's 3 mV above the table (one sigma of an unstated
    # table's offset): the SOCs the first voltage allows reach onto the 72-90 %
    # plateau, the range's middle sits above the step, and its quarter width
    # (the sigma where the OCV is linear) held it there through the first rest
    # (PyBaMM LFP steps 1 Hz s104 from 76.7 %: +1.5 % after the rest, 1.21 %
    # RMSE). The posterior's own spread lets the rest read it back.
    soc, ocv = zip(*LFP_TABLE, strict=True)
    truth = LFP.with_ocv_table(soc, np.asarray(ocv) + 0.003)
    i = with_rest_start(np.full(1800, -0.5 * 2.5), 600)
    df = ecm_log(LFP, i, soc0=70.5, seed=seed, truth_spec=truth)
    out, est = run(df, LFP)
    err = out[SOC_COLUMN] - df["soc_true_pct"].to_numpy()
    assert abs(err[599]) < 0.6  # at the first rest's end
    assert rmse_after(df, est.smoothed_columns()[SOC_COLUMN], 600) < 0.6
