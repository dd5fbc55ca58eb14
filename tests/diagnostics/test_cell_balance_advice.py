"""Cell balance advice that first-time users found wrong: a clean pack discharged
below the judged SOC range warned "cells drifting apart: let the BMS balance", and a
cell with an internal short was advised to be balanced. Offline and live alike."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics import detect_faults
from app.diagnostics.cell_balance import (
    JUDGED_LOAD_OUTSIDE,
    JUDGED_REST_OUTSIDE,
    CellBalanceTracker,
    balance_verdict,
    check_cell_balance,
    shorted_cells,
)
from app.diagnostics.live import LiveEngine
from app.hardware.simulator import Fault, NoiseSpec, simulate

#: clean simulated packs that warned before: every sample below 20 % SOC, the cells
#: fanned out 36-82 mV at rest by their 1 % capacity spread alone
CLEAN_LOW = [
    ("lfp", 4, "drive", 15.0, 0),  # (the user's `simulate --chemistry lfp --soc 15`)
    ("lfp", 4, "cc", 15.0, 3),
    ("nmc", 12, "cc", 15.0, 0),
    ("nmc", 8, "drive", 15.0, 1),
    ("lead_acid", 6, "cc", 100.0, 0),  # (a 1C discharge from full to empty)
    ("lead_acid", 6, "cycle", 15.0, 0),
]


@cache
def _sim(chem, cells, profile, soc, seed, faults=()) -> tuple:
    spec = preset(chem, series_cells=cells)
    noise = NoiseSpec.typical(spec.with_preset_defaults())
    data = simulate(spec, profile, 3600.0, 1.0, seed, soc, faults=list(faults), noise=noise)
    return spec, data


@pytest.mark.parametrize("case", CLEAN_LOW)
def test_a_clean_pack_judged_outside_the_soc_range_does_not_warn(case):
    spec, data = _sim(*case)
    r = check_cell_balance(data, spec)
    assert r.judged_on in (JUDGED_REST_OUTSIDE, JUDGED_LOAD_OUTSIDE)
    assert r.spread_judged_mv >= 30  # (what warned)
    # not judged is 'unknown', not 'ok' beside 'not judged' (first CLI user)
    assert r.status == "unknown" and r.action in ("none", "watch")
    assert r.recommendation.startswith("not judged: no sample within 20-95 % SOC")
    # the SOC it means: the cells' voltage read on the OCV table, not the SOC estimate
    # (a JK recording said "no sample within 20-95 % SOC" beside an SOC of 85.6 %)
    assert "20-95 % SOC by the cells' voltage on the OCV table" in r.recommendation
    assert "balance at the top" not in r.recommendation


SHORT = ("nmc", 6, "drive", None, 0, (Fault("internal_short", 600.0, cell=3),))


def test_a_shorted_cell_is_to_check_or_replace_not_to_balance():
    """The user's `simulate --cells 6 --fault internal_short --fault-at 600 --fault-cell 3`:
    fault detection finds the short on cell 3; the balance verdict names it."""
    spec, data = _sim(*SHORT)
    r = check_cell_balance(data, spec).to_dict()
    assert r["status"] == "warning"  # the drift is still seen without the faults
    faults = detect_faults(data, spec).to_dict()
    assert list(shorted_cells(faults)) == [3]
    status, action, advice = balance_verdict(r, faults)
    assert status in ("warning", "critical") and action == "replace_cell"
    assert advice.startswith("check or replace cell 3: fault detection found an internal short")
    assert "cell 3 sits" in advice.lower() and "below the median" in advice
    assert "balance at the top" not in advice and "let the BMS balance" not in advice


def test_without_a_short_the_verdict_is_the_result_s_own():
    r = {"status": "warning", "action": "balance", "recommendation": "cells drifting apart"}
    other = [{"kind": "internal_short", "channel": "temperature_c", "severity": "critical"}]
    assert balance_verdict(r, []) == ("warning", "balance", "cells drifting apart")
    assert balance_verdict(r, other) == ("warning", "balance", "cells drifting apart")
    # a short found by its heat (on the cell's temperature channel) counts as well
    heat = [{"kind": "internal_short", "channel": "cell_2_temp_c", "severity": "warning",
             "start_time_s": 90.0}]  # fmt: skip
    assert shorted_cells(heat) == {2: {"start_time_s": 90.0, "severity": "warning"}}
    status, action, advice = balance_verdict({**r, "status": "ok"}, heat)
    assert (status, action) == ("warning", "replace_cell") and "from 90 s" in advice


@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.integers(1, 3599), max_size=30))
def test_live_gives_the_same_balance_verdict_on_random_splits(cuts):
    for case in (SHORT, CLEAN_LOW[0]):
        spec, data = _sim(*case)
        offline = check_cell_balance(data, spec)
        live = CellBalanceTracker(spec)
        bounds = [0, *sorted(c for c in set(cuts) if 0 < c < len(data)), len(data)]
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            live.update(data.slice(a, b))
        assert live.result() == offline


def test_the_live_engine_s_faults_and_balance_give_the_offline_verdict():
    spec, data = _sim(*SHORT)
    engine = LiveEngine(spec)
    for a in range(0, len(data), 377):
        engine(SampleBlock.slice(data, a, a + 377))
    engine.finish()
    live = engine.results()
    offline = (
        check_cell_balance(data, spec).to_dict(),
        detect_faults(data, spec).to_dict(),
    )
    assert balance_verdict(live["cell_balance"], live["faults"]) == balance_verdict(*offline)
    assert balance_verdict(*offline)[1] == "replace_cell"


def test_a_suspect_reading_on_one_cell_does_not_hide_a_short_in_another():
    # a stuck sensor on cell 1 turned a critical short in cell 3 into a warning to
    # check the reading
    r = {"status": "warning", "action": "balance", "recommendation": "cells drifting apart"}
    faults = [
        {"kind": "sensor_stuck", "channel": "cell_1_v", "severity": "warning", "start_time_s": 5.0},
        {
            "kind": "internal_short",
            "channel": "cell_3_v",
            "severity": "critical",
            "start_time_s": 630.0,
        },
    ]
    status, action, advice = balance_verdict(r, faults)
    assert (status, action) == ("critical", "replace_cell")
    assert advice.startswith("check or replace cell 3")
    assert "also a suspect reading: cell 1 (sensor stuck)" in advice
    # the suspect reading alone still says to check it
    assert balance_verdict(r, faults[:1])[:2] == ("warning", "check_reading")


def test_the_json_of_run_suite_and_of_the_live_engine_carries_the_fault_verdict():
    """`analyze --json` gave cell_balance "ok"/"watch" for a shorted cell while the text,
    the report and the window said to check or replace it: a script reading the JSON
    missed it. The JSON now holds the one verdict; the spread's own stays beside it."""
    from app.diagnostics.cell_balance import with_fault_verdict
    from app.diagnostics.suite import run_suite

    spec, data = _sim(*SHORT)
    offline = run_suite(data.to_frame(), spec).results["cell_balance"]
    assert (offline["status"], offline["action"]) in (
        ("warning", "replace_cell"),
        ("critical", "replace_cell"),
    )
    assert offline["recommendation"].startswith("check or replace cell 3")
    own = check_cell_balance(data, spec).to_dict()
    assert (offline["spread_status"], offline["spread_action"]) == (own["status"], own["action"])
    engine = LiveEngine(spec)
    for a in range(0, len(data), 377):
        engine(SampleBlock.slice(data, a, a + 377))
    engine.finish()
    live = engine.results()["cell_balance"]
    assert {k: live[k] for k in ("status", "action", "recommendation", "spread_status")} == {
        k: offline[k] for k in ("status", "action", "recommendation", "spread_status")
    }
    # applied again (the window and the CLI apply the verdict to these results): the same
    faults = run_suite(data.to_frame(), spec).results["faults"]
    assert with_fault_verdict(offline, faults) == offline
    # no short, no suspect reading: the spread's own verdict
    clean_spec, clean = _sim(*CLEAN_LOW[0])
    r = run_suite(clean.to_frame(), clean_spec).results["cell_balance"]
    assert (r["status"], r["action"]) == (r["spread_status"], r["spread_action"])
