"""An HPPC test, or partial-depth steps between rests, is no series of charge/discharge
cycles: capacity fade and cycle life are not applicable to it (they read each 10 % SOC
step as a cycle with a tenth of the capacity), offline as live; real cycling keeps its
cycles."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from app.cli import main
from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.cycle_tracker import CycleTracker, LifetimeTracker
from app.diagnostics.live import EngineOnFirstBlock
from app.diagnostics.suite import run_suite
from app.hardware.registry import create_source
from app.hardware.simulator import simulate

LFP_100 = preset("lfp", capacity_ah=100.0, series_cells=4)
#: the capacity the user gave (--capacity-ah, a URL's capacity_ah): a full cycle's depth
GIVEN_AH = 100.0


def _hppc() -> SampleBlock:
    return simulate(LFP_100, "hppc", duration_s=40_000, dt_s=1.0, seed=0)


def _shallow_cycling(spec, cycles: int = 12, depth: float = 0.1) -> pd.DataFrame:
    """A cycler's shallow cycles between rests, numbered by its cycle_index: a charge of
    ``depth`` of the capacity at C/2, a rest, the same discharged at 1C, a rest (an ideal
    cell: OCV plus an ohmic drop), 1 Hz."""
    cap = spec.pack_capacity_ah
    charge_s, discharge_s, rest_s = int(depth * 7200), int(depth * 3600), 600
    one = np.concatenate(
        [
            np.full(charge_s, 0.5 * cap),
            np.zeros(rest_s),
            np.full(discharge_s, -cap),
            np.zeros(rest_s),
        ]
    )
    i = np.tile(one, cycles)
    cycle = np.repeat(np.arange(1, cycles + 1), len(one))
    soc = 40.0 + 100.0 * np.concatenate(([0.0], np.cumsum(i[:-1]) / 3600.0 / cap))
    r = 0.02 / cap * spec.series_cells
    v = spec.cell_ocv(soc) * spec.series_cells + r * i
    return pd.DataFrame(
        {
            "time_s": np.arange(len(i), dtype=float),
            "voltage_v": v,
            "current_a": i,
            "temperature_c": np.full(len(i), 25.0),
            "cycle_index": cycle,
        }
    )


def _assert_not_applicable(results: dict) -> None:
    for key in ("capacity_fade", "cycle_life"):
        assert results[key]["status"] == "not_applicable", results[key]
        assert results[key]["reason"].startswith("no full cycles")
    assert results["capacity_fade"]["cycles_used"] == 0
    assert results["cycle_life"]["predicted_eol_cycle"] is None


def test_an_hppc_test_has_no_capacity_fade_or_cycle_life():
    """The simulator numbers its ten 10 % SOC steps as cycles (as many cycler schedules
    do): ~10 Ah each of a 100 Ah battery, no full cycle among them."""
    out = run_suite(_hppc().to_frame(), LFP_100, reference_capacity_ah=GIVEN_AH)
    assert len(out.cycles) >= 9
    assert out.cycles["discharge_capacity_ah"].max() < 0.15 * LFP_100.pack_capacity_ah
    _assert_not_applicable(out.results)
    assert "50 Ah" in out.results["capacity_fade"]["reason"]


def test_shallow_cycles_between_rests_are_no_capacity_measurements():
    """Closed 10 %-deep cycles (their efficiencies stand) fitted no 10 Ah 'capacity'."""
    frame = _shallow_cycling(LFP_100)
    out = run_suite(frame, LFP_100, reference_capacity_ah=GIVEN_AH)
    complete = out.cycles[~out.cycles["partial"].astype(bool)]
    assert len(complete) >= 8  # real cycles, with their efficiencies
    assert complete["coulombic_efficiency"].notna().all()
    _assert_not_applicable(out.results)


def test_full_depth_cycling_keeps_its_cycles():
    """The same cycler at 90 % depth: full cycles, their capacity followed."""
    frame = _shallow_cycling(LFP_100, cycles=8, depth=0.9)
    fade = run_suite(frame, LFP_100, reference_capacity_ah=GIVEN_AH).results["capacity_fade"]
    assert fade["status"] in ("ok", "no_fade")
    assert fade["cycles_used"] >= 5
    assert 85 < fade["initial_capacity_ah"] < 95


def test_simulated_cycling_keeps_its_cycles():
    for spec in (preset("nmc", series_cells=2), preset("lead_acid"), LFP_100):
        block = simulate(spec, "cycle", duration_s=30 * 3600, dt_s=2.0, seed=1)
        ref = spec.pack_capacity_ah
        fade = run_suite(block.to_frame(), spec, reference_capacity_ah=ref).results["capacity_fade"]
        assert fade["status"] != "not_applicable", (spec.chemistry, fade["reason"])
        assert fade["cycles_used"] >= 2


def test_hppc_lifetime_live_equals_offline_on_any_blocks():
    data = _hppc()
    offline = run_suite(data.to_frame(), LFP_100, reference_capacity_ah=GIVEN_AH).results
    rng = np.random.default_rng(3)
    cycles = CycleTracker(LFP_100)
    lifetime = LifetimeTracker(LFP_100, cycles, reference_capacity_ah=GIVEN_AH)
    pos = 0
    while pos < len(data):
        end = min(len(data), pos + int(rng.integers(1, 9000)))
        cycles.update(data.slice(pos, end))
        live_fade, live_life = lifetime.results()  # (looked at as it grows)
        pos = end
    assert json.loads(json.dumps(live_fade)) == json.loads(json.dumps(offline["capacity_fade"]))
    assert json.loads(json.dumps(live_life)) == json.loads(json.dumps(offline["cycle_life"]))
    _assert_not_applicable({"capacity_fade": live_fade, "cycle_life": live_life})


def test_hppc_csv_in_analyze_and_a_live_file_session(tmp_path, capsys):
    """`simulate --profile hppc` then `analyze`: not applicable in the text and the JSON,
    and a live session over the file gives the same results."""
    path = tmp_path / "hppc.csv"
    battery = ["--chemistry", "lfp", "--cells", "4", "--capacity-ah", "100"]
    sim = ["simulate", *battery, "--profile", "hppc", "--duration", "40000", "-o", str(path)]
    assert main(sim) == 0
    capsys.readouterr()
    assert main(["analyze", str(path), *battery]) == 0
    text = capsys.readouterr().out
    assert "fade          not applicable: no full cycles" in text
    assert "cycle life    not applicable: no full cycles" in text
    assert main(["analyze", str(path), *battery, "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)["results"]
    _assert_not_applicable(cli)
    source = create_source(f"file://{path}?chemistry=lfp&capacity_ah=100&cells=4")
    source.open()
    stage = EngineOnFirstBlock(source, [], reference_capacity_ah=100.0)
    while (block := source.read()) is not None:
        stage(block)
    stage.finish()
    live = json.loads(json.dumps(stage.engine.results()))
    assert live["capacity_fade"] == cli["capacity_fade"]
    assert live["cycle_life"] == cli["cycle_life"]


def test_the_windows_report_judges_as_its_live_engine(tmp_path):
    """File › Export report of a sim://...&capacity_ah=100 session: the same capacity
    judges end of life and a full cycle's depth as in the window (it ran without it)."""
    from app.views.report_export import write_session_report

    data = _hppc()
    url = "sim://lfp?cells=4&capacity_ah=100&profile=hppc"
    cycles = CycleTracker(LFP_100)
    cycles.update(data)
    live_fade, _ = LifetimeTracker(LFP_100, cycles, reference_capacity_ah=100.0).results()
    assert "a full one at least 50 Ah" in live_fade["reason"]
    out = tmp_path / "r.html"
    write_session_report(str(out), lambda: dict(data.items()), LFP_100, url, "ada")
    assert "a full one at least 50 Ah" in out.read_text()


def test_deep_cycles_that_are_not_complete_are_not_called_shallow():
    """The BDF graphite half-cell (--capacity-ah 0.0063): its two cycles, a first
    lithiation of 0.0063 Ah and a last one cut off, read "no full cycles: 2 partial cycles
    (the deepest discharge 0.0063 Ah; a full one at least 0.00315 Ah), as an HPPC test's
    SOC steps ...": deep enough by its own figures. They are not full for being partial."""
    from app.diagnostics.full_cycles import no_full_cycles_reason

    cycles = pd.DataFrame(
        {
            "cycle_index": [1, 2],
            "discharge_capacity_ah": [0.0063, 0.0013],
            "net_discharge_capacity_ah": [0.0063, 0.0013],
            "coulombic_efficiency": [None, None],
            "partial": [True, True],
        }
    )
    reason = no_full_cycles_reason(cycles, cycles.iloc[:0], 0.00315)
    assert reason.startswith("no full cycles: 2 cycles, none complete")
    assert "a 0.0063 Ah discharge (a full one at least 0.00315 Ah)" in reason
    assert "HPPC" not in reason and "partial-depth" not in reason
    # shallow steps keep their reason (the HPPC test's)
    shallow = cycles.assign(discharge_capacity_ah=[0.001, 0.001], net_discharge_capacity_ah=0.001)
    assert "as an HPPC test's SOC steps" in no_full_cycles_reason(
        shallow, shallow.iloc[:0], 0.00315
    )


def test_complete_shallow_cycles_are_not_called_partial():
    """Closed 10 %-deep cycles read "no full cycles: 9 partial cycles", their
    efficiencies standing in the table beside it."""
    frame = _shallow_cycling(LFP_100)
    out = run_suite(frame, LFP_100, reference_capacity_ah=GIVEN_AH)
    n = len(out.cycles)
    assert not out.cycles["partial"].astype(bool).any()  # every one back where it started
    reason = out.results["capacity_fade"]["reason"]
    assert reason.startswith(f"no full cycles: {n} complete cycles (the deepest discharge ")
    assert "other units" not in reason  # 10 % deep: steps, not a unit slip


def test_a_capacity_in_milliampere_hours_given_as_ampere_hours_is_suspected():
    """The Neware 0.33 Ah cell at --capacity-ah 350 (mAh typed as Ah): 'no full cycles: 20
    partial cycles (the deepest discharge 0.332 Ah; a full one at least 175 Ah), as an
    HPPC test's SOC steps', and no word of the slip a per-cycle table is told of."""
    from app.diagnostics.full_cycles import no_full_cycles_reason

    cycles = pd.DataFrame(
        {"discharge_capacity_ah": [0.331, 0.332, 0.327], "partial": [True, False, False]}
    )
    reason = no_full_cycles_reason(cycles, cycles.iloc[:0], 175.0)
    assert reason.startswith("no full cycles: 3 cycles, 1 of them partial (the deepest")
    assert reason.endswith(
        "or a capacity given in other units (mAh?): the deepest is 0.00095 of 350 Ah"
    )
