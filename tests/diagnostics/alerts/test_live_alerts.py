"""Alerts in the live engine: evaluated on enriched blocks, events handed to alert outputs."""

from __future__ import annotations

import numpy as np

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.alerts import Threshold
from app.diagnostics.live import LiveEngine


def _blocks(n_blocks=10, n=100, cells=4):
    t0 = 0.0
    for k in range(n_blocks):
        t = t0 + np.arange(n, dtype=float)
        t0 = t[-1] + 1
        cols = {f"cell_{c}_v": np.full(n, 3.7) for c in range(1, cells + 1)}
        if 3 <= k < 6:
            cols["cell_2_v"] = np.full(n, 4.3)  # over voltage in blocks 3..5
        yield SampleBlock(
            {
                "time_s": t,
                "voltage_v": sum(cols.values()),
                "current_a": np.full(n, -2.0),
                "temperature_c": np.full(n, 25.0),
                **cols,
            }
        )


def test_live_engine_raises_and_clears_through_its_alert_outputs():
    got = []
    rules = [
        Threshold("cell_v_max", "above", level=4.2, delay_s=5, severity="critical"),
        Threshold("soc_percent", "below", level=-1.0),  # enriched column, never crossed
    ]
    engine = LiveEngine(preset("nmc", series_cells=4), thresholds=rules, alert_outputs=[got.extend])
    for block in _blocks():
        engine.process(block)
    assert [(e.kind, e.time_s, e.threshold.metric) for e in got] == [
        ("raised", 305.0, "cell_v_max"),
        ("cleared", 600.0, "cell_v_max"),
    ]


def test_replacing_the_thresholds_clears_their_alerts():
    got = []
    rule = Threshold("pack_voltage_v", "above", level=10.0)
    engine = LiveEngine(
        preset("nmc", series_cells=4), thresholds=[rule], alert_outputs=[got.extend]
    )
    engine.process(next(_blocks()))
    engine.set_thresholds([])
    assert [e.kind for e in got] == ["raised", "cleared"]
    assert engine.alerts.thresholds == []
