"""A --bol-resistance-ohm typed in the wrong unit (uOhm or ohm for mOhm, ~1000x) is
refused either way, and the summary and the report say why (it read 'resistance 0 %'
and 'SOH fail ... 1068.34x new' for 0.000019, and a bare 'n/a' for 19)."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from tests.real_data import REAL_DATA

ARBIN = "arbin/2017-05-09_test-TC-contact_CH33.csv"  # A123 LFP, R0 ~20 mOhm at 25 degC
pytestmark = pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")


def _analyze(capsys, bol: str, *extra: str) -> str:
    argv = ["analyze", str(REAL_DATA / ARBIN), "--chemistry", "lfp", "--capacity-ah", "1.1"]
    assert main([*argv, "--bol-resistance-ohm", bol, *extra]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(("bol", "times"), [("0.000019", "1068x"), ("19", "1/936 of")])
def test_a_unit_slip_either_way_is_refused_with_its_reason(capsys, tmp_path, bol, times):
    soh = json.loads(_analyze(capsys, bol, "--json"))["results"]["soh"]
    assert soh["soh_resistance_percent"] is None
    (why,) = [n for n in soh["notes"] if n.startswith("no resistance SOH")]
    assert f"is {times} the beginning-of-life resistance given" in why
    assert "in another unit" in why and "20.30 mOhm is 0.0203" in why
    summary = _analyze(capsys, bol)
    assert "resistance n/a" in summary and "(no resistance SOH: " in summary
    assert times in summary
    out = tmp_path / "r.html"
    argv = ["report", str(REAL_DATA / ARBIN), "--chemistry", "lfp", "--capacity-ah", "1.1"]
    assert main([*argv, "--bol-resistance-ohm", bol, "-o", str(out)]) == 0
    html = out.read_text()
    assert "× new" not in html  # no ratio judged against a slip
    assert html.count(f"is {times} the beginning-of-life resistance given") == 2  # SOH, resistance


def test_the_cells_own_resistance_still_gives_an_soh(capsys):
    # (93.2 % before the reference took the log's sampling: its one pulse steps from 6C
    # to 1C charge between samples 0.165 s apart, no Step_Index marking it, +0.34 %)
    assert "resistance 93.5 %" in _analyze(capsys, "0.019")


def test_a_worn_cell_against_its_own_reference_still_reads_past_end_of_life():
    from app.core.spec import preset
    from app.diagnostics.soh import _resistance_soh

    spec = preset("lfp", capacity_ah=1.1).with_overrides(bol_resistance_ohm=0.019)
    notes: list[str] = []
    assert _resistance_soh(0.019 * 5, 0.019, "spec", "r0", spec, notes) == 0.0
    assert "past the 2x end of life" in notes[0]
