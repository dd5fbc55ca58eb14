import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app.core.errors import SchemaError
from app.core.results import Severity
from app.core.spec import preset
from app.diagnostics.capacity_fade import (
    CapacityFadeTracker,
    analyze_capacity_fade,
    break_in_end,
    clean_capacity_series,
    detect_knee,
)
from tests.real_data import REAL_DATA

REAL = (REAL_DATA / "capacity") if REAL_DATA else Path("/nonexistent")


def frame(n, q) -> pd.DataFrame:
    return pd.DataFrame({"cycle_index": n, "discharge_capacity_ah": q})


def noisy(f, cycles=600, noise=0.001, seed=0):
    rng = np.random.default_rng(seed)
    n = np.arange(1, cycles + 1, dtype=float)
    return n, f(n) * (1 + noise * rng.standard_normal(n.size))


GENERATORS = {
    "linear": lambda n: 1 - 0.0004 * n,
    "sqrt": lambda n: 1 - 0.01 * np.sqrt(n),
    "power": lambda n: 1 - 0.25 * (n / 600) ** 1.7,
    "exponential": lambda n: np.exp(-0.0005 * n),
    "linear_exp": lambda n: 1 - 0.0001 * n - 0.05 * np.expm1(n / 150) / np.expm1(4),
}


@pytest.mark.parametrize("name", list(GENERATORS))
def test_selects_the_generating_model(name):
    r = analyze_capacity_fade(frame(*noisy(GENERATORS[name])))
    assert r.status == "ok"
    assert r.selected_model == name
    assert r.selection_criterion == "bic"
    chosen = next(m for m in r.models if m.model == name)
    assert chosen.delta_bic == 0.0
    assert chosen.bic_weight > 0.5
    assert len(r.models) == 5
    # every other model is worse by the criterion it was selected with
    assert all(m.delta_bic > 0 for m in r.models if m.model != name)


def test_parameters_fade_rate_and_retention_of_a_linear_fade():
    n, q = noisy(lambda n: 2.0 * (1 - 0.0004 * n), noise=0.0005)
    r = analyze_capacity_fade(frame(n, q))
    lin = next(m for m in r.models if m.model == "linear")
    assert lin.parameters["q0"] == pytest.approx(2.0, rel=2e-3)
    assert lin.parameters["a"] == pytest.approx(0.0008, rel=0.02)
    assert r.fade_rate_ah_per_cycle == pytest.approx(0.0008, rel=0.02)
    # 0.0008 Ah/cycle of ~2 Ah initial = 4 % per 100 cycles
    assert r.fade_rate_pct_per_100_cycles == pytest.approx(4.0, rel=0.03)
    assert r.capacity_retention == pytest.approx(1 - 0.0004 * 598, abs=0.005)
    assert r.fitted_final_capacity_ah == pytest.approx(2.0 * (1 - 0.0004 * 600), rel=2e-3)
    assert lin.predict(100) == pytest.approx(2.0 * 0.96, rel=2e-3)
    assert r.severity is Severity.CRITICAL  # 76 % retention: past the usual 80 % end of life
    assert r.knee.knee_point_cycle is None


def test_square_root_fade_slows_down():
    n, q = noisy(GENERATORS["sqrt"])
    r = analyze_capacity_fade(frame(n, q))
    # d/dn of 0.01*sqrt(n) at n = 600
    assert r.fade_rate_ah_per_cycle == pytest.approx(0.005 / np.sqrt(600), rel=0.05)
    assert r.mean_fade_rate_pct_per_100_cycles > r.fade_rate_pct_per_100_cycles


def knee_curve(n, knee=500.0, before=0.0002, after=0.0012):
    """Piecewise-linear fade whose rate jumps 6x at ``knee``."""
    return 1 - before * n - (after - before) * np.clip(n - knee, 0, None)


def test_knee_point_found_near_the_true_knee():
    n, q = noisy(knee_curve, cycles=800, noise=0.002)
    k = analyze_capacity_fade(frame(n, q)).knee
    assert k.knee_point_cycle == pytest.approx(500, abs=25)
    assert k.fade_rate_after_ah_per_cycle == pytest.approx(0.0012, rel=0.1)
    assert k.fade_rate_before_ah_per_cycle == pytest.approx(0.0002, rel=0.25)
    assert k.knee_point_capacity_ah == pytest.approx(0.9, abs=0.01)
    assert k.reason is None


def test_knee_onset_precedes_the_knee_on_a_smooth_knee():
    # fade accelerating quadratically from cycle 450: the onset is where it starts
    n, q = noisy(lambda n: 1 - 1e-4 * n - 4e-6 * np.clip(n - 450, 0, None) ** 2, cycles=700)
    k = detect_knee(n, q)
    assert k.knee_point_cycle is not None and k.knee_onset_cycle is not None
    assert 420 <= k.knee_onset_cycle < k.knee_point_cycle < 650


@pytest.mark.parametrize("shape", ["linear", "sqrt", "exponential"])
def test_no_knee_without_acceleration(shape):
    n, q = noisy(GENERATORS[shape], noise=0.003)
    k = analyze_capacity_fade(frame(n, q)).knee
    assert k.knee_point_cycle is None and k.knee_onset_cycle is None
    assert k.reason


def test_no_knee_on_few_cycles():
    n, q = noisy(knee_curve, cycles=15)
    assert detect_knee(n, q).knee_point_cycle is None


def test_break_in_end_found_where_the_fast_initial_fade_stops():
    # 5 % lost over the first 60 cycles, then 0.02 % a cycle
    n, q = noisy(lambda n: 1 - 0.05 * np.minimum(n, 60) / 60 - 2e-4 * np.clip(n - 60, 0, None))
    assert break_in_end(n, q) == pytest.approx(60, abs=5)


@pytest.mark.parametrize("shape", ["linear", "exponential", "linear_exp"])
def test_no_break_in_without_a_slow_down(shape):
    n, q = noisy(GENERATORS[shape], noise=0.003)
    assert break_in_end(n, q) is None
    n, q = noisy(knee_curve, noise=0.003)
    assert break_in_end(n, q) is None
    assert break_in_end(*noisy(lambda n: 1 - 0.01 * np.minimum(n, 5), cycles=15)) is None


def regenerating(n, base):
    """NASA-like: +4 % after every 30th cycle, relaxing over ~4 cycles."""
    bump = np.zeros_like(n)
    for s in range(20, int(n[-1]), 30):
        after = n >= s
        bump[after] += 0.04 * np.exp(-(n[after] - s) / 4.0)
    return base + bump


def test_robust_to_regeneration_and_gross_outliers():
    n, q = noisy(lambda n: regenerating(n, 1 - 0.0005 * n), cycles=300, noise=0.002)
    q[[50, 150, 250]] *= 0.5  # aborted discharges
    r = analyze_capacity_fade(frame(n, q))
    assert {51.0, 151.0, 251.0} <= set(r.outlier_cycles)
    # the first cycles of each regeneration peak are rejected as well
    assert 20.0 in r.outlier_cycles and 50.0 in r.outlier_cycles
    assert r.selected_model in ("linear", "power", "exponential")
    assert r.fade_rate_ah_per_cycle == pytest.approx(0.0005, rel=0.15)


def test_nan_unsorted_and_duplicated_cycles_give_the_clean_result():
    n, q = noisy(GENERATORS["sqrt"], cycles=200, noise=0.002)
    clean = analyze_capacity_fade(frame(n, q)).to_dict()
    messy = frame(n, q).sample(frac=1.0, random_state=3)
    messy = pd.concat(
        [
            messy,
            messy.iloc[:20],  # exact duplicates
            frame([np.nan, 5.0, 7.0], [1.0, np.nan, 0.0]),  # no cycle / no capacity / zero
        ]
    )
    r = analyze_capacity_fade(messy)
    d = r.to_dict()
    assert d.pop("duplicates_merged") == 20
    assert d.pop("rows_invalid") == 3
    clean.pop("duplicates_merged"), clean.pop("rows_invalid")
    assert d == clean


def test_duplicates_are_merged_into_their_median():
    s = clean_capacity_series(frame([1, 2, 2, 2, 3], [1.0, 0.9, 0.95, 2.0, 0.94]))
    assert list(s.cycle) == [1, 2, 3]
    assert s.capacity_ah[1] == 0.95


def test_too_few_cycles_and_empty_tables():
    empty = analyze_capacity_fade(frame([], []))
    assert empty.status == "insufficient_data" and empty.reason
    few = analyze_capacity_fade(frame([1, 2, 3], [1.0, 0.99, 0.98]))
    assert few.status == "insufficient_data"
    assert few.selected_model is None and few.models == []
    assert few.initial_capacity_ah == pytest.approx(0.99)
    json.dumps(few.to_dict(), allow_nan=False)


@pytest.mark.parametrize("slope", [0.0, 2e-4])
def test_no_measurable_fade_fits_no_model_and_says_why(slope):
    r = analyze_capacity_fade(frame(*noisy(lambda n: 1.0 + slope * n, 300)))
    assert r.status == "no_fade" and "no measurable" in r.reason
    assert r.selected_model is None and r.models == [] and r.fade_rate_ah_per_cycle is None
    assert r.capacity_retention == pytest.approx(1.0 + slope * 300, abs=0.01)
    assert r.severity is Severity.INFO
    # the same record with a fade 3x its noise over the record is fitted
    faded = analyze_capacity_fade(frame(*noisy(lambda n: 1.0 - 1e-5 * n, 300)))
    assert faded.status == "ok" and faded.selected_model is not None


def test_missing_column_is_a_schema_error():
    with pytest.raises(SchemaError, match="discharge_capacity_ah"):
        analyze_capacity_fade(pd.DataFrame({"cycle_index": [1, 2]}))


def test_to_dict_is_plain_json_and_spec_gives_retention_vs_nominal():
    n, q = noisy(knee_curve, cycles=800, noise=0.002)
    r = analyze_capacity_fade(frame(n, 2.5 * q), preset("lfp"))
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert d["severity"] in ("warning", "critical")
    assert d["knee"]["knee_point_cycle"] == pytest.approx(500, abs=25)
    assert {m["model"] for m in d["models"]} == set(GENERATORS)
    assert d["nominal_capacity_ah"] == 2.5
    assert d["retention_vs_nominal"] == pytest.approx(r.final_capacity_ah / 2.5)


def test_tracker_matches_the_offline_analysis():
    n, q = noisy(GENERATORS["linear"], cycles=40, noise=0.002)
    tracker = CapacityFadeTracker()
    for i in range(4):
        live = tracker.add_cycle(n[i], q[i])
    assert live.to_dict() == analyze_capacity_fade(frame(n[:4], q[:4])).to_dict()
    assert live.status == "insufficient_data"
    tracker.extend(n[4:35], q[4:35])
    for i in range(35, 40):
        live = tracker.add_cycle(n[i], q[i])
    assert live.to_dict() == analyze_capacity_fade(frame(n, q)).to_dict()
    assert live.status == "ok" and live.cycles_used == 40


@pytest.mark.skipif(not REAL.is_dir(), reason="real capacity data not available")
def test_real_cells():
    calce = analyze_capacity_fade(pd.read_csv(REAL / "calce_CS2_35_capacity.csv"))
    # CS2_35 fades slowly to ~0.85 Ah by cycle 620, then falls fast: a clear knee
    assert 540 <= calce.knee.knee_point_cycle <= 660
    assert calce.knee.knee_onset_cycle < calce.knee.knee_point_cycle
    assert calce.severity is Severity.CRITICAL
    nasa = analyze_capacity_fade(pd.read_csv(REAL / "nasa_B0006_capacity.csv"))
    # B0006 fades fastest early on: no knee
    assert nasa.knee.knee_point_cycle is None
    assert nasa.capacity_retention == pytest.approx(0.58, abs=0.02)
