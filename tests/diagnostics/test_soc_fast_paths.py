"""The SOC filter's shortcuts on long blocks against the plain computations."""

from __future__ import annotations

import json

import numpy as np

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics import soc_ekf
from app.diagnostics.soc_ekf import EkfSocEstimator, _seq_cumsum, _seq_total
from app.hardware.simulator import NoiseSpec, simulate


def test_the_cell_mean_of_a_slice_in_the_band_is_the_masked_mean():
    spec = preset("nmc", capacity_ah=5.0, series_cells=16)
    block = simulate(
        spec, "drive", duration_s=5000, dt_s=1.0, seed=3, noise=NoiseSpec.typical(spec)
    )
    est = EkfSocEstimator(spec)
    got = est._cell_voltage(block)
    volts = np.array([block[f"cell_{k}_v"] for k in range(1, 17)])
    lo, hi = spec.plausible_cell_v
    ok = (volts >= lo) & (volts <= hi)
    assert ok.all()
    total = np.add.reduce(np.where(ok, volts, 0.0), axis=0, initial=0.0)
    want = total / ok.sum(axis=0, dtype=float)
    assert got.tobytes() == want.tobytes()


def test_two_totals_as_one_complex_running_sum_are_each_ones_bits():
    rng = np.random.default_rng(7)
    for trial in range(20):
        x = rng.normal(0.0, 1.0, 5000) * 10.0 ** rng.integers(-8, 8, 5000)
        x[::97] = 0.0
        x[1::89] = -0.0
        carry = (float(rng.normal()) * 1e3, float(rng.normal()) * 1e-3)
        a, b = np.maximum(x, 0.0), np.minimum(x, 0.0)
        pair = np.empty(len(x), dtype=np.complex128)
        pair.real, pair.imag = a, b
        total = _seq_total(complex(*carry), pair)
        assert np.float64(total.real).tobytes() == _seq_cumsum(carry[0], a)[-1].tobytes()
        assert np.float64(total.imag).tobytes() == _seq_cumsum(carry[1], b)[-1].tobytes()
        running = np.empty(len(x) + 1, dtype=np.complex128)
        running[0] = complex(*carry)
        running.real[1:], running.imag[1:] = a, b
        np.cumsum(running, out=running)
        assert running.real.tobytes() == _seq_cumsum(carry[0], a).tobytes(), trial
        assert running.imag.tobytes() == _seq_cumsum(carry[1], b).tobytes(), trial


def test_a_log_with_gaps_takes_the_masked_paths_as_before():
    """NaN currents and cell voltages: the copies through np.where are still made."""
    spec = preset("lfp", capacity_ah=5.0, series_cells=4)
    df = simulate(
        spec, "drive", duration_s=20000, dt_s=1.0, seed=4, noise=NoiseSpec.typical(spec)
    ).to_frame()
    df.loc[3000:3010, "current_a"] = np.nan
    df.loc[[5000, 7000], ["cell_1_v", "cell_2_v", "cell_3_v", "cell_4_v"]] = np.nan
    df.loc[[5000, 7000], "voltage_v"] = np.nan
    whole = EkfSocEstimator(spec).update(SampleBlock.from_frame(df))["soc_percent"]
    live = EkfSocEstimator(spec)
    parts = [
        live.update(SampleBlock.from_frame(df.iloc[a : a + 3000]))["soc_percent"]
        for a in range(0, len(df), 3000)
    ]
    assert np.isfinite(whole).all()
    assert whole.tobytes() == np.concatenate(parts).tobytes()


def test_the_summary_from_the_smoothed_series_at_hand_is_the_summary():
    """soc_estimates hands result() the smoothed series it made: the same summary as
    result() working it out (a start under load, whose early intervals the smoother
    changes, and a start at rest)."""
    for profile, seed in (("drive", 5), ("cycle", 6), ("hppc", 7)):
        spec = preset("nmc", capacity_ah=5.0, series_cells=4)
        block = simulate(
            spec, profile, duration_s=20000, dt_s=1.0, seed=seed, noise=NoiseSpec.typical(spec)
        )
        est = EkfSocEstimator(spec)
        live = est.update(block)
        smoothed = est.smoothed_columns(filtered=live)
        given = est.result(smoothed_soc=smoothed["soc_percent"]).to_dict()
        assert json.dumps(given) == json.dumps(est.result().to_dict())


def test_the_smoother_weighs_its_candidates_in_blocks_as_all_at_once(monkeypatch):
    """A block of candidates weighed against the unsure intervals before its last one
    only (the later ones cannot gain from it): the same shifts and sigmas one
    candidate a block as all of them in one block."""
    rng = np.random.default_rng(3)
    n = 60000  # 10 Hz, a new current every 10 s: most intervals unsure, most worked back
    spec = preset("nmc", capacity_ah=50.0, series_cells=1)
    current = np.repeat(rng.uniform(-1.0, 0.5, n // 100 + 1), 100)[:n] * 50.0
    soc = np.clip(90.0 + np.cumsum(current) * 0.1 / (50.0 * 36.0), 5.0, 100.0)
    volts = spec.cell_ocv(soc) + 0.002 * current + rng.normal(0, 0.002, n)
    block = SampleBlock(
        {
            "time_s": np.arange(n) * 0.1,
            "current_a": current + rng.normal(0, 0.05, n),
            "cell_1_v": volts,
            "voltage_v": volts,
            "temperature_c": np.full(n, 25.0),
        }
    )
    est = EkfSocEstimator(spec)
    est.update(block)
    monkeypatch.setattr(soc_ekf, "_SMOOTHER_BLOCK", 1)
    one = est._smoothed()
    monkeypatch.setattr(soc_ekf, "_SMOOTHER_BLOCK", 1 << 40)
    whole = est._smoothed()
    assert np.count_nonzero(whole[0]) > 500
    assert one[2:] == whole[2:]
    assert one[0].tobytes() == whole[0].tobytes()
    assert one[1].tobytes() == whole[1].tobytes()


def test_the_times_functions_from_a_table_of_few_values_are_the_plain_bits(monkeypatch):
    # exp/expm1 of the times within an interval and of the time steps, evaluated once
    # per value where they take few (whole seconds; a steady 10 Hz), are every
    # element's own to the bit
    rng = np.random.default_rng(11)
    whole = np.repeat(np.arange(60.0), 3)
    steps = np.diff(8192.0 + np.arange(5000) * 0.1)  # (within one binade: 2-3 values)
    for x in (whole, steps, whole[::-1]):
        values, at = soc_ekf._few_values(x)
        assert values[at].tobytes() == x.tobytes()
        for tau in (10.0, 200.0, 3.7):
            assert np.exp(-values / tau)[at].tobytes() == np.exp(-x / tau).tobytes()
            assert np.expm1(-values / tau)[at].tobytes() == np.expm1(-x / tau).tobytes()
    assert soc_ekf._few_values(steps, whole_only=True) is None
    assert soc_ekf._few_values(steps + rng.uniform(0.0, 1e-3, len(steps))) is None
    assert soc_ekf._few_values(np.append(whole, np.nan)) is None

    # and the SOC of a 10 Hz log with its steps' table (the times within an interval
    # are no whole numbers there) is that without it, bit for bit
    spec = preset("nmc", capacity_ah=5.0, series_cells=4)
    block = simulate(
        spec, "hppc", duration_s=400.0, dt_s=0.1, seed=5, noise=NoiseSpec.typical(spec)
    )
    columns = {c: np.array(block[c]) for c in block.columns}
    columns["time_s"] = columns["time_s"] + 8192.0
    block = SampleBlock(columns)

    def soc_columns():
        est = EkfSocEstimator(spec)
        out = est.update(block)
        return {k: v.tobytes() for k, v in {**out, **est.smoothed_columns()}.items()}

    fast = soc_columns()
    plain = soc_ekf._few_values
    used = []

    def without_table(x, whole_only=False):
        used.append(plain(x, whole_only) is not None)
        return plain(x, whole_only) if whole_only else None

    monkeypatch.setattr(soc_ekf, "_few_values", without_table)
    assert soc_columns() == fast
    assert any(used)


def test_the_filter_loops_struct_layouts_are_the_state_indices():
    # F's entries set with one pack_into, P's read with one unpack_from (soc_ekf._PACK_F,
    # _UNPACK_P): at the places the state indices name, the entries between left 0
    ix = soc_ekf
    n = ix._N_STATES
    f = np.zeros((n, n))
    ix._PACK_F(f, ix._PACK_F_AT, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
    want = np.zeros((n, n))
    for k, (r, c) in enumerate(
        ((ix._SOC, ix._OFF), (ix._SOC, ix._K), (ix._V1, ix._V1), (ix._V1, ix._G))
        + ((ix._V2, ix._V2), (ix._V2, ix._G))
    ):
        want[r, c] = k + 1.0
    assert f.tobytes() == want.tobytes()
    p = np.arange(n * n, dtype=float).reshape(n, n) * 0.5
    got = ix._UNPACK_P(p)
    at = ((ix._SOC, ix._SOC), (ix._SOC, ix._OFF), (ix._SOC, ix._K))
    at += ((ix._OFF, ix._OFF), (ix._K, ix._OFF), (ix._K, ix._K))
    assert got == tuple(p[r, c] for r, c in at)
