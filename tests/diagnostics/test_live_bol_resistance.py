"""A live source takes the cell's beginning-of-life resistance as a log does
(``bol_resistance_ohm`` in its URL, as ``--bol-resistance-ohm``): the resistance SOH
of the live engine is measured against it, the same numbers as offline."""

from __future__ import annotations

import json

import pytest

from app.core.samples import SampleBlock
from app.diagnostics.live import EngineOnFirstBlock
from app.diagnostics.suite import run_suite
from app.hardware.registry import create_source
from app.views.diagnostics_catalog import summarize

#: new LFP cells under an HPPC test with typical sensor noise (preset R0: 1 mOhm a cell)
URL = "sim://lfp?cells=4&capacity_ah=20&profile=hppc&rate_hz=1&speed=0&duration=12000&noise=1"
RESISTANCE_KEYS = (
    "soh_resistance_percent",
    "resistance_ohm",
    "resistance_measured_ohm",
    "resistance_temperature_c",
    "resistance_temperature_factor",
    "bol_resistance_ohm",
    "bol_resistance_source",
    "resistance_pulses",
    "notes",
)


def live_and_offline(url: str) -> tuple[dict, dict]:
    """The live engine's SOH of the source at ``url``, and run_suite's of the same samples."""
    source = create_source(url)
    source.open()
    blocks: list[SampleBlock] = []
    stage = EngineOnFirstBlock(source, [])
    while (block := source.read()) is not None:
        blocks.append(block)
        stage(block)
    stage.finish()
    live = json.loads(json.dumps(stage.engine.results()))["soh"]
    frame = SampleBlock.concat(blocks).to_frame()
    offline = json.loads(json.dumps(run_suite(frame, source.spec).results))["soh"]
    return live, offline


def _numbers(result: dict) -> dict[str, str]:
    return dict(summarize("soh", result).numbers)


def test_a_live_source_with_the_cells_own_resistance_measures_against_it():
    # 1.25x the preset's 1 mOhm: the cells read new against it (R a little below)
    live, offline = live_and_offline(URL + "&bol_resistance_ohm=0.00125")
    assert {k: live[k] for k in RESISTANCE_KEYS} == {k: offline[k] for k in RESISTANCE_KEYS}
    assert live["bol_resistance_ohm"] == 0.00125
    assert live["bol_resistance_source"] == "spec.bol_resistance_ohm"
    assert live["soh_resistance_percent"] == 100.0
    assert not any("an indication" in n for n in live["notes"])
    # a pack at 25 degC: corrected by a factor near 1, and said so
    assert 25.0 <= live["resistance_temperature_c"] <= 27.0
    assert any(n.startswith("resistance corrected to 25 degC") for n in live["notes"])
    shown = _numbers(live)
    assert shown["R new (cell)"] == "1.25 mΩ" and shown["R new from"] == "spec.bol_resistance_ohm"
    assert "Pulse temperature" in shown


def test_without_it_the_chemistrys_typical_value_is_an_indication():
    live, offline = live_and_offline(URL)
    assert {k: live[k] for k in RESISTANCE_KEYS} == {k: offline[k] for k in RESISTANCE_KEYS}
    assert live["bol_resistance_ohm"] == pytest.approx(0.001)
    assert live["bol_resistance_source"] == "preset ECM R0 for a 20 Ah cell"
    assert any("not this cell's own: an indication" in n for n in live["notes"])


def test_a_resistance_the_source_is_given_reaches_the_recording(tmp_path):
    """A recording of the source names the resistance in its spec: its replay and
    `analyze` of it are measured against the same reference; a replay's URL can give
    one to a file's battery."""
    from app.cli import main
    from app.hardware.logs.formats import open_log

    def recorded(name: str, extra: str) -> str:
        out = tmp_path / name
        url = f"sim://nmc?cells=2&speed=0&rate_hz=1&duration=600{extra}"
        assert main(["record", url, "-o", str(out)]) == 0
        return str(out)

    def replayed(url: str) -> float | None:
        source = create_source(url)
        source.open()
        return source.spec.bol_resistance_ohm

    given = recorded("given.csv", "&bol_resistance_ohm=0.02")
    assert open_log(given).spec.bol_resistance_ohm == 0.02
    assert replayed(f"file://{given}") == 0.02
    assert replayed(f"file://{given}?bol_resistance_ohm=0.03") == 0.03
    plain = recorded("plain.csv", "")
    assert open_log(plain).spec.bol_resistance_ohm is None
    assert replayed(f"file://{plain}?bol_resistance_ohm=0.03") == 0.03
