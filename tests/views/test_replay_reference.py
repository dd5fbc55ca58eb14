"""A log replayed from the Logs page measures end of life against what its offline run
does: a file naming its own battery against its first cycles' capacity (``analyze`` on it
without ``--capacity-ah``), not against the capacity the file names, which only the
replay URL's battery carries."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from app.cli import main
from app.core.samples import SampleBlock
from app.core.spec import preset
from app.diagnostics.live import EngineOnFirstBlock
from app.hardware.acquisition import AcquisitionState
from app.hardware.logs.canonical_csv import write_canonical_csv
from app.hardware.registry import create_source, url_capacity_ah

#: 17 charge-discharge cycles of one 2 Ah NMC cell, sampled every 10 s
SIMULATED = "sim://nmc?cells=1&capacity_ah=2&profile=cycle&speed=0&rate_hz=0.1&duration=200000"


def cycling_log(tmp_path) -> str:
    """A canonical CSV of the simulated cycling whose ``# spec:`` line names the cell."""
    source = create_source(SIMULATED)
    source.open()
    blocks = []
    while (block := source.read()) is not None:
        blocks.append(pd.DataFrame({k: block[k] for k in block.columns}))
    frame = pd.concat(blocks, ignore_index=True)
    spec = preset("nmc", series_cells=1, capacity_ah=2.0)
    path = str(tmp_path / "cycling.csv")
    write_canonical_csv(path, SampleBlock.from_frame(frame), {"spec": json.dumps(spec.to_dict())})
    return path


def plain(results: dict) -> dict:
    return json.loads(json.dumps(results, allow_nan=False))


def live_results(url: str, reference_capacity_ah: float | None) -> dict:
    """The live engine's results at the end of a replay of ``url``."""
    source = create_source(url)
    source.open()
    stage = EngineOnFirstBlock(source, [], reference_capacity_ah=reference_capacity_ah)
    while (block := source.read()) is not None:
        stage(block)
    stage.finish()
    return plain(stage.engine.results())


def cli_results(capsys, *args: str) -> dict:
    capsys.readouterr()
    assert main(["analyze", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["results"]


def opened(qtbot, page, path: str):
    page.open_file(path)
    qtbot.waitUntil(lambda: not page.loading and not page.busy, timeout=60_000)
    assert not page.status_is_error, page.status_text
    return page


def page_results(qtbot, page) -> dict:
    with qtbot.waitSignal(page.diagnostics_finished, timeout=120_000) as signal:
        page.diagnostics_button.click()
    return plain(signal.args[0].results)


def replayed(qtbot, page) -> str:
    with qtbot.waitSignal(page.replay_requested, timeout=5_000) as signal:
        page.replay_button.click()
    return signal.args[0]


def live_replay(url: str) -> dict:
    """A live session's results on ``url``: its ``capacity_ah`` is the reference."""
    return live_results(url, url_capacity_ah(url))


@pytest.fixture(scope="module")
def log_path(tmp_path_factory) -> str:
    return cycling_log(tmp_path_factory.mktemp("replay"))


def test_replay_of_a_file_naming_its_battery_is_measured_as_offline(
    qtbot, logs_page, capsys, log_path
):
    page = opened(qtbot, logs_page, log_path)
    assert page.selected.spec_from_file
    offline = page_results(qtbot, page)
    cli = cli_results(capsys, log_path)
    url = replayed(qtbot, page)
    assert url_capacity_ah(url) is None
    live = live_replay(url)
    assert live["cycle_life"] == offline["cycle_life"] == cli["cycle_life"]
    assert live["capacity_fade"] == offline["capacity_fade"] == cli["capacity_fade"]
    life = live["cycle_life"]
    assert life["reference_source"] == "initial_cycles"
    # not the 2.0 named (the log's cycles stop at the cut-off, which the simulator
    # controls on second steps: 2.011 Ah when it overshot by up to a 10 s sample)
    assert life["reference_capacity_ah"] == pytest.approx(2.0056, abs=0.001)
    # the capacity the file names, taken as the user's, would be another reference
    named = live_replay(f"{url}?chemistry=nmc&capacity_ah=2&cells=1")["cycle_life"]
    assert named["reference_source"] == "nominal" and named != life


def test_replay_of_a_typed_capacity_is_measured_against_it(qtbot, logs_page, capsys, log_path):
    """A capacity typed on the page is the reference offline (``--capacity-ah``) and in
    the replay's URL."""
    page = opened(qtbot, logs_page, log_path)
    page.capacity_spin.setValue(2.2)
    offline = page_results(qtbot, page)
    cli = cli_results(capsys, log_path, "--chemistry", "nmc", "--capacity-ah", "2.2")
    url = replayed(qtbot, page)
    assert url_capacity_ah(url) == page.selected.reference_capacity_ah == 2.2
    live = live_replay(url)
    assert live["cycle_life"] == offline["cycle_life"] == cli["cycle_life"]
    assert live["cycle_life"]["reference_source"] == "nominal"


def test_the_window_replays_a_log_with_its_offline_reference(qtbot, make_window, capsys, log_path):
    """Through the window: the Logs page's replay streams the file to the live session,
    whose cycle-life twin ends with ``analyze``'s result on the file."""
    window = make_window()
    page = opened(qtbot, window.logs, log_path)
    page.replay_button.click()
    qtbot.waitUntil(
        lambda: window.session.status.state is AcquisitionState.FINISHED, timeout=60_000
    )
    live = plain(window.session.live_results())
    cli = cli_results(capsys, log_path)
    assert live["cycle_life"] == cli["cycle_life"]
    assert live["cycle_life"]["reference_source"] == "initial_cycles"


def test_a_chemistry_typed_alone_over_the_file_battery_is_measured_as_analyze(
    qtbot, logs_page, capsys, log_path
):
    """Only the chemistry typed over the battery the file names: the page's run, its
    replay and ``analyze --chemistry`` take the file's cell and capacity in that
    chemistry, and measure end of life against the first cycles (no capacity given),
    not against the file's 2 Ah shown in the form."""
    page = opened(qtbot, logs_page, log_path)
    page.chemistry_combo.setCurrentIndex(page.chemistry_combo.findData("lfp"))
    offline = page_results(qtbot, page)
    capsys.readouterr()
    assert main(["analyze", log_path, "--chemistry", "lfp", "--json"]) == 0
    cli_report = json.loads(capsys.readouterr().out)
    url = replayed(qtbot, page)
    assert url_capacity_ah(url) is None
    source = create_source(url)
    source.open()
    assert source.spec.to_dict() == cli_report["spec"]  # LFP's preset, the file's 1 cell, 2 Ah
    assert (source.spec.capacity_ah, source.spec.series_cells) == (2.0, 1)
    source.close()
    live = live_replay(url)
    cli = cli_report["results"]
    assert live["cycle_life"] == offline["cycle_life"] == cli["cycle_life"]
    assert live["capacity_fade"] == offline["capacity_fade"] == cli["capacity_fade"]
    assert live["cycle_life"]["reference_source"] == "initial_cycles"
