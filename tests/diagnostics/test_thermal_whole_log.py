"""The thermal rise rates of a whole log, each evenly sampled anchor taken whole from
the log's columns (``RiseRates.update_columns``), are the same bits as the incremental
sums fed the same samples in blocks: evenly sampled, in tenths of a second (windows
one row longer here and there), jittered, with a time gap, missing readings and a
sensor that never reads."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics import thermal_rates
from app.diagnostics.thermal import ThermalTracker, analyze_thermal
from app.diagnostics.thermal_rates import ANCHOR_SAMPLES, RiseRates

N = 9 * ANCHOR_SAMPLES + 777


def _times(kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "even":
        return np.arange(N) * 1.0
    if kind == "tenths":
        return np.arange(N) * 0.1
    if kind == "jitter":
        return np.sort(np.arange(N) + rng.uniform(0.0, 0.6, N))
    gap = np.arange(N) * 2.0  # a 500 s gap in the fourth anchor
    gap[3 * ANCHOR_SAMPLES + 1000 :] += 500.0
    return gap


def _temps(rng: np.random.Generator, sensors: int, missing: bool) -> list[np.ndarray]:
    drift = 25.0 + np.cumsum(rng.normal(0.0, 0.01, N))
    cols = [drift + rng.normal(0.0, 0.1, N) + k for k in range(sensors)]
    cols[0][5 * ANCHOR_SAMPLES : 5 * ANCHOR_SAMPLES + 300] += np.linspace(0.0, 6.0, 300)
    if missing:
        cols[1][rng.choice(N, 2, replace=False)] = np.nan
        cols[1][2 * ANCHOR_SAMPLES] = np.nan  # (an anchor's first row)
        cols.append(np.full(N, np.nan))
    return cols


def _blocks_best(t, cols, rng) -> float | None:
    rates = RiseRates(len(cols))
    cuts = [0, *np.sort(rng.choice(np.arange(1, N), 30, replace=False)).tolist(), N]
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        rates.update(t[a:b], np.stack([c[a:b] for c in cols]))
    return rates.best


@pytest.mark.parametrize("kind", ["even", "tenths", "jitter", "gap"])
@pytest.mark.parametrize("missing", [False, True])
def test_whole_log_rates_are_the_blocks_bits(kind, missing, monkeypatch):
    rng = np.random.default_rng(len(kind) + 10 * missing)
    t, cols = _times(kind, rng), _temps(rng, 4, missing)
    taken = []
    whole = thermal_rates._whole_anchors

    def spy(*args):
        tops = whole(*args)
        taken.append(sum(top is not False for top in tops))
        return tops

    monkeypatch.setattr(thermal_rates, "_whole_anchors", spy)
    rates = RiseRates(len(cols))
    rates.update_columns(t, cols)
    # not vacuous: most anchors are taken whole (not those with a missing reading or
    # the gap), and the rate is the runaway-like ramp's
    assert taken and taken[0] >= (4 if missing else 7)
    assert rates.best is not None and rates.best > 0.5
    assert rates.best == _blocks_best(t, cols, rng)


def test_whole_log_thermal_summary_is_the_live_trackers():
    spec = preset("nmc", capacity_ah=5.0, series_cells=4)
    rng = np.random.default_rng(3)
    t = np.arange(N) * 0.1
    cols = _temps(rng, 5, missing=True)
    data = {"time_s": t, "current_a": rng.normal(0.0, 5.0, N), "voltage_v": np.full(N, 15.0)}
    data["temperature_c"] = cols[0]
    data.update({f"cell_{k}_temp_c": cols[k] for k in range(1, 5)})
    block = SampleBlock(data)
    offline = analyze_thermal(block, spec).to_dict()
    live = ThermalTracker(spec)
    for a in range(0, N, 5000):
        live.update(block.slice(a, a + 5000))
    online = live.result().to_dict()
    for key, value in offline.items():
        if key in ("mean_temperature_c", "mean_heat_w", "total_heat_j"):
            assert value == pytest.approx(online[key], rel=1e-12), key
        else:
            assert value == online[key], key
