"""The fault detector's limit faults are the safety check's episodes: one excursion
beyond a limit is one safety event and one fault, with the same start, end, worst
value and severity; the fault is detected when the episode trips. Offline, the
fault detector fed in blocks and the live engine agree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.faults import FaultDetector, detect_faults
from app.diagnostics.live import LiveEngine
from app.diagnostics.safety import SafetyMonitor, monitor_safety
from app.hardware.simulator import NoiseSpec, simulate

NMC4 = preset("nmc", capacity_ah=5.0, series_cells=4)
KIND = {
    "cell_over_voltage": "over_voltage",
    "cell_under_voltage": "under_voltage",
    "over_current_charge": "over_current",
    "over_current_discharge": "over_current",
    "over_temperature": "over_temperature",
    "under_temperature": "under_temperature",
}
LIMIT_KINDS = set(KIND.values())


def _events(safety) -> set[tuple]:
    return {
        (KIND[e.check], e.channel, e.start_time_s, e.end_time_s, e.worst_value, e.severity)
        for e in safety.events
    }


def _faults(faults) -> set[tuple]:
    out = set()
    for f in faults.faults:
        if f.kind.value in LIMIT_KINDS:
            worst = next(
                f.detail[k]
                for k in ("max_v", "min_v", "max_abs_a", "max_c", "min_c")
                if k in f.detail
            )
            out.add((f.kind.value, f.channel, f.start_time_s, f.end_time_s, worst, f.severity))
    return out


def test_a_cv_hold_on_a_lowered_limit_is_one_fault_as_it_is_one_safety_event():
    # the CLI user's case: a CC-CV charge to 4.20 V analysed with --cell-v-max 4.19;
    # the CV phase holds the cell ~10 mV over the limit, read with sensor noise
    # (the fault detector gave 24 over-voltage faults here, safety one event)
    block = simulate(NMC4, "cccv", duration_s=10800, seed=0, noise=NoiseSpec.typical(NMC4))
    spec = NMC4.with_overrides(cell_v_max=4.19)
    events = _events(monitor_safety(block, spec))
    faults = _faults(detect_faults(block, spec))
    assert len(events) == 1
    assert faults == events


def _tight_cycle():
    """A noisy 4-cell cycling log (C/2 charge, 1C discharge) judged against limits
    it crosses: every kind of limit episode, the charge temperature window too."""
    block = simulate(NMC4, "cycle", duration_s=4 * 3600, seed=3, noise=NoiseSpec.typical(NMC4))
    spec = NMC4.with_overrides(
        cell_v_max=4.15,
        cell_v_min=3.3,
        max_charge_current_c=0.45,
        max_discharge_current_c=0.9,
        charge_temp_max_c=30.0,
        charge_temp_min_c=27.5,
    )
    return block, spec


def test_every_limit_fault_is_a_safety_episode_with_its_start_end_and_worst_value():
    block, spec = _tight_cycle()
    events = _events(monitor_safety(block, spec))
    faults = _faults(detect_faults(block, spec))
    assert {e[0] for e in events} == LIMIT_KINDS
    assert faults <= events
    # what safety has and the faults do not: only the pack sensor's episodes that
    # echo a cell sensor's (the fault list names the cell)
    assert {e[1] for e in events - faults} <= {"temperature_c"}
    assert len(faults) >= 15


def test_the_mean_cell_of_a_pack_without_cell_voltages():
    block, spec = _tight_cycle()
    cols = {c: block[c] for c in ("time_s", "voltage_v", "current_a", "temperature_c")}
    pack = SampleBlock(cols)
    events = _events(monitor_safety(pack, spec))
    faults = _faults(detect_faults(pack, spec))
    assert {e[1] for e in events if e[0] == "under_voltage"} == {"voltage_v/cell"}
    renamed = {(k, "voltage_v" if ch == "voltage_v/cell" else ch, *rest) for k, ch, *rest in events}
    assert faults == renamed and len(faults) >= 5


def _one_cell(v: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """A 4-cell log at 1 Hz, cell 1 reading ``v``, every reading with a little noise."""
    rng = np.random.default_rng(seed)
    n = len(v)
    cells = {f"cell_{k}_v": np.full(n, 3.9) for k in (1, 2, 3, 4)}
    cells["cell_1_v"] = np.asarray(v, dtype=float)
    cells = {k: c + rng.normal(0, 0.0005, n) for k, c in cells.items()}
    return pd.DataFrame(
        {
            "time_s": np.arange(n, dtype=float),
            "voltage_v": sum(cells.values()),
            "current_a": 0.5 + rng.normal(0, 0.005, n),
            "temperature_c": 25.0 + rng.normal(0, 0.05, n),
            **cells,
        }
    )


def test_a_limit_fault_is_detected_when_its_safety_episode_trips():
    v = np.full(900, 3.9)
    v[100:160] = 4.23  # 30 mV over for a minute: trips after the 2 s debounce
    v[400:420] = 4.40  # 200 mV over (beyond 2 %): trips at once, critical
    data = _one_cell(v)
    faults = [f for f in detect_faults(data, NMC4).faults if f.kind.value == "over_voltage"]
    assert [(f.start_time_s, f.end_time_s, f.detail["detected_time_s"]) for f in faults] == [
        (100.0, 159.0, 102.0),
        (400.0, 419.0, 400.0),
    ]
    assert [f.severity for f in faults] == ["warning", "critical"]
    assert faults[1].detail["max_v"] == data["cell_1_v"][400:420].max()


def _blocks(block: SampleBlock, rng) -> list[SampleBlock]:
    n, out, a = len(block), [], 0
    while a < n:
        b = min(n, a + int(rng.integers(1, 3000)))
        out.append(block.slice(a, b))
        a = b
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_live_twins_give_the_same_limit_faults_and_safety_events(seed):
    block, spec = _tight_cycle()
    offline = detect_faults(block, spec).to_list()
    safety = monitor_safety(block, spec).to_dict()
    parts = _blocks(block, np.random.default_rng(seed))
    det, mon = FaultDetector(spec), SafetyMonitor(spec)
    for p in parts:
        det.update(p)
        mon.update(p)
    det.flush()
    assert det.result().to_list() == offline
    assert mon.result().to_dict() == safety
    # the live engine's fault detector reads the engine's own safety check
    engine = LiveEngine(spec)
    for p in parts:
        engine.process(p)
    engine.finish()
    assert engine.faults.result().to_list() == offline
    assert engine.safety.result().to_dict() == safety


def test_a_long_block_gives_the_episodes_of_short_ones():
    # (a long block is judged a stretch at a time, skipping stretches within the
    # limits: the same episodes, the temperature windows per sample included)
    block, spec = _tight_cycle()
    long = SampleBlock.concat(
        [block]
        + [
            SampleBlock({**dict(block.items()), "time_s": block["time_s"] + 4 * 3600.0 * k})
            for k in (1, 2)
        ]
    )
    whole = SafetyMonitor(spec)
    whole.update(long)
    parts = SafetyMonitor(spec)
    for a in range(0, len(long), 1000):
        parts.update(long.slice(a, a + 1000))
    assert whole.episodes() == parts.episodes()
    assert len(whole.episodes()) >= 50


def test_the_charge_temperature_window_applies_to_a_charge_not_to_regen_pulses():
    # 47 degC: over the charge limit (45), within the discharge limit (60). A drive
    # at 5 A with 10 s regen pulses every minute, then a charge of 290 s from 1200 s
    rng = np.random.default_rng(5)
    n = 1800
    t = np.arange(n, dtype=float)
    i = np.where(t % 60 < 10, 3.0, -5.0)
    i[1200:1490] = 2.0
    cells = {f"cell_{k}_v": 3.8 + rng.normal(0, 0.001, n) for k in (1, 2, 3, 4)}
    data = pd.DataFrame(
        {
            "time_s": t,
            "voltage_v": sum(cells.values()),
            "current_a": i + rng.normal(0, 0.005, n),
            "temperature_c": 47.0 + rng.normal(0, 0.05, n),
            **cells,
        }
    )
    (event,) = monitor_safety(data, NMC4).events
    # the window applies after a minute of charging; back to the discharge window at its end
    assert (event.check, event.start_time_s, event.end_time_s) == (
        "over_temperature",
        1260.0,
        1489.0,
    )
    (fault,) = [f for f in detect_faults(data, NMC4).faults if f.kind.value == "over_temperature"]
    assert (fault.start_time_s, fault.end_time_s) == (1260.0, 1489.0)
    assert fault.detail["max_c"] == event.worst_value
    # the same in blocks that split the charge
    mon = SafetyMonitor(NMC4)
    for a in range(0, n, 7):
        mon.update(SampleBlock({c: data[c].to_numpy()[a : a + 7] for c in data.columns}))
    assert mon.result().events == [event]
