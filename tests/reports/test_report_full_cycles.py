"""The report of an HPPC test: no 'discharge capacity per cycle' of its 10 % SOC steps,
fade and cycle life not applicable, a battery named by what it is (not a 2.5 Ah A123
cell at 100 Ah), and a capacity plot's caption that promises only what it draws."""

from __future__ import annotations

import json
import re

import pytest

from app.cli import main
from app.core.spec import preset
from app.reports.figures import capacity_figure
from tests.real_data import REAL_DATA

BATTERY = ["--chemistry", "lfp", "--cells", "4", "--capacity-ah", "100"]


@pytest.fixture(scope="module")
def hppc_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("hppc") / "hppc.csv"
    sim = ["simulate", *BATTERY, "--profile", "hppc", "--duration", "40000", "-o", str(path)]
    assert main(sim) == 0
    return path


def test_the_report_of_an_hppc_test_plots_no_capacity_per_cycle(hppc_csv, tmp_path, capsys):
    assert main(["analyze", str(hppc_csv), *BATTERY, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["cycles"]) >= 9  # the cycler's numbering of its SOC steps
    assert capacity_figure(report, report["cycles"]) is None
    html = tmp_path / "r.html"
    assert main(["report", str(hppc_csv), *BATTERY, "-o", str(html)]) == 0
    text = html.read_text()
    assert "Discharge capacity per cycle" not in text
    assert "no full cycles" in text
    # an A123 26650 holds 2.5 Ah, not 100 (the word, not digits of a plot's coordinates:
    # an SVG path's "-66.266504" held it once the SOC series moved)
    assert re.search(r"(?<![\d.])26650(?![\d.])", text) is None
    assert "LFP 100 Ah cell" in text
    # the per-cycle table says its rows are partial cycles
    assert "<th>partial</th>" in text


def test_a_preset_named_after_a_cell_is_renamed_at_another_capacity():
    assert preset("lfp").name == "LFP (A123 26650-like)"
    assert preset("lfp", capacity_ah=2.5).name == preset("lfp").name
    assert preset("lfp", capacity_ah=100).name == "LFP 100 Ah cell"
    assert preset("nmc", capacity_ah=50).name == "NMC 50 Ah cell"
    # a name the user or a file gave stays; the lead-acid block names no cell
    own = preset("nmc").with_overrides(name="pack A")
    assert own.with_overrides(capacity_ah=9).name == "pack A"
    assert preset("lead_acid", capacity_ah=200).name == preset("lead_acid").name


def _cycle_table_report(tmp_path, capsys, rows: int) -> dict:
    lines = (REAL_DATA / "capacity" / "nasa_B0005_capacity.csv").read_text().splitlines()
    table = tmp_path / f"b{rows}.csv"
    table.write_text("\n".join(lines[: rows + 1]) + "\n")
    assert main(["analyze", str(table), "--capacity-ah", "2", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
def test_the_capacity_caption_names_only_what_the_plot_draws(tmp_path, capsys):
    """Two cycles: no fit, no forecast (it promised both); all of NASA B0005: both."""
    from app.reports.figures import capacity_caption

    two = _cycle_table_report(tmp_path, capsys, 2)
    assert two["results"]["capacity_fade"]["selected_model"] is None
    caption = capacity_caption(capacity_figure(two, two["cycles"]))
    assert "fit" not in caption and "forecast" not in caption
    assert caption.startswith("Discharge capacity per cycle")
    full = _cycle_table_report(tmp_path, capsys, 10_000)
    caption = capacity_caption(capacity_figure(full, full["cycles"]))
    assert "fade fit" in caption
    life = full["results"]["cycle_life"]
    assert ("end of life reached" in caption) == (life["status"] == "reached")
    assert ("end-of-life forecast" in caption) == (life["status"] == "forecast")
