"""The Diagnostics page's cards on the real instrument files, as the Logs page runs them:
every result that exists shows, in its unit, and cards that show the same quantity agree."""

from __future__ import annotations

import json
import statistics

import pytest

from app.views.diagnostics_catalog import Status, summarize
from app.views.log_analysis import open_analysis, run_log_diagnostics
from tests.real_data import REAL_DATA

pytestmark = pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")

NEWARE = "neware/nw_regular_export_ife_example.csv"
ARBIN = "arbin/2017-05-09_test-TC-contact_CH33.csv"
BDF = "bdf/SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv"

_RESULTS: dict[str, dict] = {}


def results(name: str) -> dict:
    """The Logs page's results of a real file (the guessed battery), as plain JSON."""
    if name not in _RESULTS:
        report = run_log_diagnostics(open_analysis(str(REAL_DATA / name)))
        _RESULTS[name] = json.loads(json.dumps(report.results))
    return _RESULTS[name]


def numbers(summary) -> dict[str, str]:
    return dict(summary.numbers)


def test_slow_logging_shows_the_resistance_it_measured_not_a_dash():
    """The Neware export logs every 30 s: no R10, no R ohmic, but an R30 per pulse."""
    ir = results(NEWARE)["internal_resistance"]
    assert ir["n_pulses"] > 10 and ir["median_r_10s_cell_ohm"] is None
    r30 = [p["r_30s_cell_ohm"] for p in ir["pulses"] if p["r_30s_cell_ohm"] is not None]
    summary = summarize("internal_resistance", ir)
    assert summary.status is Status.INFO
    text = f"{statistics.median(r30) * 1000:.2f} mΩ"
    assert summary.headline == f"R30 {text} per cell (median of {len(r30)} pulses)"
    assert numbers(summary)["R30 (cell)"] == text
    assert "—" not in summary.headline


def test_the_ohmic_and_10s_resistances_lead_when_measured():
    ir = results(ARBIN)["internal_resistance"]
    summary = summarize("internal_resistance", ir)
    shown = numbers(summary)
    assert summary.headline == f"R10 {ir['median_r_10s_cell_ohm'] * 1000:.2f} mΩ per cell"
    assert list(shown)[:3] == ["Pulses", "R10 (cell)", "R ohmic (cell)"]  # the card's three
    assert shown["R0 fitted (cell)"] == f"{ir['median_r0_cell_ohm'] * 1000:.2f} mΩ"
    assert "R10 (pack)" not in shown  # one cell: the pack's is the cell's


def test_soh_by_resistance_shows_and_names_the_resistance_it_used():
    """No full cycle in the Arbin excerpt: SOH by resistance only, from the fitted R0 the
    resistance card shows under the same name and value."""
    r = results(ARBIN)
    soh = summarize("soh", r["soh"])
    res = r["soh"]["soh_resistance_percent"]
    assert r["soh"]["soh_percent"] is None and res is not None
    assert soh.headline == f"{res:.1f} % by resistance"
    ir = summarize("internal_resistance", r["internal_resistance"])
    assert numbers(soh)["R0 fitted (cell)"] == numbers(ir)["R0 fitted (cell)"]
    if res > 100:  # below the new-cell value of the preset: said, not left to puzzle
        assert any("below the new-cell value" in item for item in soh.items)


def test_a_coin_cells_resistance_reads_in_ohm():
    """The SINTEF coin cell's R0 is tens of ohms: '52.5 Ω', not '52521.01 mΩ'."""
    soc = results(BDF)["soc"]
    assert soc["r0_ohm"] > 1.0
    shown = numbers(summarize("soc", soc))["R0 (cell)"]
    assert shown == f"{soc['r0_ohm']:.3g} Ω"
