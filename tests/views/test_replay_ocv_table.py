"""A log replayed from the Logs page with the OCV table chosen there (and the current it
was measured at) reads its SOC from that table, as ``batteryos analyze --ocv-table
--ocv-table-current-c`` does, and the dashboard names the table. The replay's URL
carried neither: its live SOC read the chemistry preset's curve."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app.cli import main
from app.core.samples import SampleBlock
from app.core.spec import preset
from app.hardware.acquisition import AcquisitionState
from app.hardware.logs.canonical_csv import write_canonical_csv
from app.hardware.registry import create_source
from tests.ocv_tables import write_ocv_table

#: a 2 Ah NMC cell cycled (1C discharge, CC-CV charge), sampled every 10 s
SIMULATED = "sim://nmc?cells=1&capacity_ah=2&profile=cycle&speed=0&rate_hz=0.1&duration=30000"
#: the current the table was measured at (a C/50 discharge)
TABLE_CURRENT_C = -0.02


@pytest.fixture(scope="module")
def log_and_table(tmp_path_factory) -> tuple[str, str]:
    """A canonical CSV of the cycling naming its cell, and an OCV table of the cell 25 mV
    under the preset's in the middle (as a C/50 discharge reads it)."""
    folder = tmp_path_factory.mktemp("ocv_replay")
    with create_source(SIMULATED) as source:
        blocks = []
        while (block := source.read()) is not None:
            blocks.append(pd.DataFrame({k: block[k] for k in block.columns}))
    frame = pd.concat(blocks, ignore_index=True)
    spec = preset("nmc", series_cells=1, capacity_ah=2.0)
    log = str(folder / "cycling.csv")
    write_canonical_csv(log, SampleBlock.from_frame(frame), {"spec": json.dumps(spec.to_dict())})
    soc = np.linspace(0.0, 100.0, 21)
    ocv = spec.cell_ocv(soc) - 0.025 * np.sin(np.pi * soc / 100.0)
    return log, write_ocv_table(folder / "cell_ocv_c50.csv", soc, ocv)


def analyze_soc(capsys, *args: str) -> dict:
    capsys.readouterr()
    assert main(["analyze", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["results"]["soc"]


def test_a_replay_reads_the_ocv_table_chosen_on_the_logs_page_as_analyze(
    qtbot, make_window, capsys, log_and_table
):
    log, table = log_and_table
    window = make_window()
    page = window.logs
    page.open_file(log)
    qtbot.waitUntil(lambda: not page.loading and not page.busy, timeout=60_000)
    page.set_ocv_table(table)
    page.ocv_current_edit.set_current_c(TABLE_CURRENT_C)
    page.apply_spec_button.click()
    qtbot.waitUntil(lambda: page.selected.settings.ocv_table == table, timeout=30_000)
    page.replay_button.click()
    session = window.session
    qtbot.waitUntil(lambda: session.status.state is AcquisitionState.FINISHED, timeout=60_000)
    qtbot.waitUntil(lambda: session.live_results() is not None, timeout=10_000)

    live = json.loads(json.dumps(session.live_results()["soc"]))
    current = f"{TABLE_CURRENT_C:g}"
    offline = analyze_soc(capsys, log, "--ocv-table", table, "--ocv-table-current-c", current)
    # the live engine keeps no history: its range is the filter's (and says so), all
    # else is the offline result (as test_soc_ekf's live twin)
    filter_range = ("min_soc_percent", "max_soc_percent", "soc_range_of")
    assert live == {**offline, **{key: live[key] for key in filter_range}}
    assert live["soc_range_of"] == "filter"
    assert session.spec.ocv_table_current_c == TABLE_CURRENT_C
    # the table moves the SOC: the preset's curve reads another
    preset_soc = analyze_soc(capsys, log)
    assert preset_soc["initial_soc_percent"] != pytest.approx(live["initial_soc_percent"], abs=0.5)
    # the dashboard says which table the SOC reads, and at which current
    card = window.dashboard.readouts.ocv_table_card
    qtbot.waitUntil(card.isVisible, timeout=5_000)
    assert card.text_label.full_text() == f"{Path(table).name}\nmeasured at \u22120.02 C"
    assert table in card.toolTip()
