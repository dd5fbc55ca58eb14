"""A live session measures end of life against the capacity the user gave, as `analyze
--capacity-ah` does: the ``capacity_ah`` of a source URL is that capacity."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.diagnostics.live import EngineOnFirstBlock
from app.hardware.registry import create_source, url_capacity_ah
from tests.real_data import REAL_DATA

pytestmark = pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")


def live_results(url: str, reference_capacity_ah: float | None) -> dict:
    source = create_source(url)
    source.open()
    stage = EngineOnFirstBlock(source, [], reference_capacity_ah=reference_capacity_ah)
    while (block := source.read()) is not None:
        stage(block)
    stage.finish()
    return json.loads(json.dumps(stage.engine.results()))


def cli_results(capsys, *args: str) -> dict:
    capsys.readouterr()
    assert main(["analyze", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["results"]


def test_url_capacity_is_the_end_of_life_reference_live_as_in_analyze(capsys):
    """The Neware cell (0.35 Ah nominal) has faded from its first cycles' capacity: against
    0.8 of the nominal it reached end of life at cycle 16, against its first cycles later."""
    path = str(REAL_DATA / "neware" / "nw_regular_export_ife_example.csv")
    url = f"file://{path}?chemistry=nmc&capacity_ah=0.35&cells=1"
    assert url_capacity_ah(url) == 0.35
    live = live_results(url, url_capacity_ah(url))
    cli = cli_results(capsys, path, "--chemistry", "nmc", "--capacity-ah", "0.35", "--cells", "1")
    assert live["cycle_life"] == cli["cycle_life"]
    assert live["capacity_fade"] == cli["capacity_fade"]
    assert live["cycle_life"]["reference_source"] == "nominal"
    assert live["cycle_life"]["predicted_eol_cycle"] == 16
    unreferenced = live_results(url, None)["cycle_life"]
    assert unreferenced["reference_source"] != "nominal"
    assert unreferenced["predicted_eol_cycle"] != 16


def test_url_without_capacity_gives_no_reference():
    assert url_capacity_ah("sim://nmc?cells=4") is None
    assert url_capacity_ah("sim://nmc?cells=4&capacity_ah=50") == 50.0
