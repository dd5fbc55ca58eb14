"""The SOC cross-check against a BMS judges the difference where our own band was narrow
(at most BMS_SURE_BAND_PCT): a log that starts under load leaves our first minutes a
guess, and a BMS that reports the true SOC throughout was blamed for that guess (2.0-2.7 %
RMS against a final band of +-0.1-1 %; benchmarks/validate/bms_check.py). A BMS off by a
few % where we were sure must still be blamed (a first version, judging the difference
beyond our band at each sample, let any offset under 1.33 times our band through)."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.spec import preset
from app.diagnostics.soc import (
    bms_check_inconclusive,
    bms_check_text,
    bms_judged_rms,
    soc_series,
)
from app.hardware.simulator import NoiseSpec, simulate


def _log(profile: str, seed: int):
    spec = preset("nmc", series_cells=4)
    log = simulate(
        spec, profile, duration_s=7200, dt_s=1.0, seed=seed, noise=NoiseSpec.typical(spec),
        include_truth=True, capacity_spread=0.0, resistance_spread=0.06,
    ).to_frame()  # fmt: skip
    truth = log[[c for c in log if c.startswith("true_cell_") and c.endswith("_soc_pct")]]
    log = log[[c for c in log if not c.startswith("true_")]]
    return spec, log, truth.mean(axis=1).to_numpy()


@pytest.fixture(scope="module")
def cc_log():
    return _log("cc", 790)


def _check(spec, log, reported) -> dict:
    result, _ = soc_series(log.assign(soc_reported_pct=reported), spec)
    return result.to_dict()


def test_a_bms_reporting_the_true_soc_is_not_blamed_for_our_start_under_load(cc_log):
    spec, log, truth = cc_log
    soc = _check(spec, log, truth)
    # over the whole log the difference is our start's (a guess under load) ...
    assert soc["bms_difference_rms_percent"] > 2.0
    # ... where we were sure, the BMS agrees
    assert bms_judged_rms(soc) == soc["bms_difference_sure_rms_percent"] < 0.5
    assert bms_check_inconclusive(soc)  # within our own band
    assert "where our estimate was sure" in bms_check_text(soc)


def test_a_bms_ten_percent_high_is_still_blamed(cc_log):
    spec, log, truth = cc_log
    soc = _check(spec, log, np.clip(truth + 10.0, 0.0, 100.0))
    assert bms_judged_rms(soc) > 9.0
    assert not bms_check_inconclusive(soc)
    assert "inconclusive" not in bms_check_text(soc)


def test_a_bms_three_percent_high_is_blamed_where_our_band_is_two():
    spec, log, truth = _log("drive", 800)
    soc = _check(spec, log, np.clip(truth + 3.0, 0.0, 100.0))
    assert 2 * soc["final_soc_sigma_percent"] < 2.5
    assert bms_judged_rms(soc) > 2.5
    assert not bms_check_inconclusive(soc)
