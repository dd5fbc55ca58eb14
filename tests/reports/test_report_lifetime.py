"""The report says what the text summary says: one end of life for the fade and cycle-life
rows and the plot, a resistance-only state of health, no fault verdict for a table
without samples (a first-time user's findings)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.cli import main
from app.diagnostics.capacity_fade import MODELS
from app.reports.verdicts import Verdict, findings
from tests.real_data import REAL_DATA


def _finding(report: dict, key: str):
    return next(f for f in findings(report) if f.diagnostic == key)


def test_a_resistance_only_state_of_health_is_reported():
    """The Arbin A123 cell: the text said "SOH capacity n/a, resistance 88.4 %", the
    report's row only "no full cycle or OCV pair ... N/A"."""
    soh = {
        "soh_percent": None,
        "soh_method": "none",
        "soh_capacity_percent": None,
        "soh_resistance_percent": 88.358,
        "resistance_ohm": 0.0203,
        "bol_resistance_ohm": 0.01818,
        "resistance_metric": "fitted ohmic R0 per cell at 25 °C",
        "bol_resistance_source": "preset ECM R0 for a 1.1 Ah cell",
    }
    results = dict.fromkeys(("soc", "internal_resistance", "faults")) | {"soh": soh}
    finding = _finding({"source": "x", "spec": None, "results": results, "cycles": []}, "soh")
    assert finding.verdict is Verdict.PASS  # 1.12x new: the resistance row's PASS
    assert finding.summary.startswith("88.4 % by resistance")
    assert "1.12× new" in finding.summary
    worn = {**soh, "soh_resistance_percent": 20.0, "resistance_ohm": 0.0327}
    results["soh"] = worn
    report = {"source": "x", "spec": None, "results": results, "cycles": []}
    assert _finding(report, "soh").verdict is Verdict.WARN  # 1.8x new, as that row


def _analyze(capsys, *args: str) -> dict:
    capsys.readouterr()
    assert main(["analyze", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_per_cycle_table_has_no_fault_verdict(tmp_path, capsys):
    table = tmp_path / "cap.csv"
    n = np.arange(1, 61)
    table.write_text(
        "cycle_index,discharge_capacity_ah\n" + "\n".join(f"{i},{2 - 0.004 * i:.5f}" for i in n)
    )
    report = _analyze(capsys, str(table))
    assert report["results"]["faults"] == []  # a list, as DESIGN.md has it
    faults = _finding(report, "faults")
    assert faults.verdict is Verdict.NOT_APPLICABLE and faults.summary == "no samples"


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
def test_fade_and_cycle_life_rows_and_the_plot_agree_on_the_end_of_life(capsys):
    """B0005 at --eol-fraction 0.6: Fade FAIL, Cycle life PASS, and the plotted fit crossed
    the end-of-life line near cycle 200 with the forecast's marker at 233."""
    from app.reports.figures import capacity_figure

    path = str(REAL_DATA / "capacity" / "nasa_B0005_capacity.csv")
    report = _analyze(capsys, path, "--eol-fraction", "0.6")
    fade, life = _finding(report, "capacity_fade"), _finding(report, "cycle_life")
    assert fade.verdict is not Verdict.FAIL and life.verdict is Verdict.PASS
    eol = report["results"]["cycle_life"]["predicted_eol_cycle"]
    threshold = report["results"]["cycle_life"]["eol_capacity_ah"]
    (ax,) = capacity_figure(report, report["cycles"]).axes
    curves = {line.get_label(): line.get_data() for line in ax.lines}
    forecast = [k for k in curves if k.startswith("forecast fit")]
    assert forecast, list(curves)
    for label in forecast:  # each drawn forecast curve crosses the line at the marker
        x, y = (np.asarray(v, dtype=float) for v in curves[label])
        crossing = x[np.argmax(y < threshold)]
        assert crossing == pytest.approx(eol, abs=2)
    # the fade's own fit is drawn over the measured cycles only
    x, _ = curves["fade fit"]
    assert max(x) == max(c["cycle_index"] for c in report["cycles"])
    member = next(m for m in report["results"]["cycle_life"]["members"] if m["at_median"])
    assert set(member["parameters"]) == set(MODELS[member["model"]].params)
    # at 0.7 it is reached: the marker says so, at the first cycle measured below
    report = _analyze(capsys, path, "--eol-fraction", "0.7")
    (ax,) = capacity_figure(report, report["cycles"]).axes
    assert "reached: cycle 165" in [line.get_label() for line in ax.lines]
    assert _finding(report, "capacity_fade").verdict is Verdict.FAIL
    assert _finding(report, "cycle_life").verdict is Verdict.FAIL


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
def test_an_open_interval_says_to_beyond_the_horizon_on_every_surface(tmp_path, capsys):
    """B0005's first 40 %: no upper end by the horizon (cycle 335). The text said
    '(84-n/a)', the report '(84–>horizon)' and its plot shaded no interval at all, so the
    forecast looked surest where it was least sure; the levels were not said."""
    from app.reports.figures import capacity_figure

    rows = (REAL_DATA / "capacity" / "nasa_B0005_capacity.csv").read_text().splitlines()
    table = tmp_path / "b0005_40.csv"
    table.write_text("\n".join(rows[:68]) + "\n")  # the header and 67 cycles
    options = (str(table), "--capacity-ah", "2", "--eol-fraction", "0.7")
    report = _analyze(capsys, *options)
    life = report["results"]["cycle_life"]
    assert life["interval_high"] is None and life["horizon_cycle"] == 335
    low = life["interval_low"]
    assert main(["analyze", *options]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if "cycle life" in ln)
    assert line.endswith(f"(90 % interval {low} to beyond 335)")
    assert f"(90 % interval {low} to beyond 335), " in _finding(report, "cycle_life").summary
    (ax,) = capacity_figure(report, report["cycles"]).axes
    shaded = [p for p in ax.patches if p.get_label().startswith("90 % interval")]
    assert [p.get_label() for p in shaded] == [f"90 % interval {low} to beyond 335"]
    assert shaded[0].get_x() == pytest.approx(low) and shaded[0].get_width() > 0


@pytest.mark.parametrize(
    ("soh", "eol", "expected"),
    [
        (72.8, 0.7, Verdict.WARN),  # was FAIL: "end of life below 80 %"
        (76.0, 0.7, Verdict.PASS),
        (68.0, 0.7, Verdict.FAIL),
        (82.0, 0.8, Verdict.WARN),
        (82.0, None, Verdict.WARN),  # no cycle life: the default 80 %
    ],
)
def test_the_soh_row_ends_life_where_cycle_life_does(soh, eol, expected):
    results = dict.fromkeys(("soc", "internal_resistance", "faults"))
    results["soh"] = {"soh_percent": soh, "soh_method": "capacity"}
    results["cycle_life"] = None if eol is None else {"eol_fraction": eol}
    finding = _finding({"source": "x", "spec": None, "results": results, "cycles": []}, "soh")
    assert finding.verdict is expected
    assert f"end of life below {100 * (eol or 0.8):g} %" in finding.summary


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
def test_the_soh_row_follows_the_eol_fraction_given(tmp_path, capsys):
    """B0005's first 110 cycles at --capacity-ah 2 --eol-fraction 0.7: the report read
    State of health FAIL '72.8 % ...; end of life below 80 %' (overall FAIL) beside Cycle
    life PASS 'end of life (70 % capacity) at cycle 122 ..., 12 cycles left'."""
    rows = (REAL_DATA / "capacity" / "nasa_B0005_capacity.csv").read_text().splitlines()
    table = tmp_path / "b0005_110.csv"
    table.write_text("\n".join(rows[:111]) + "\n")
    report = _analyze(capsys, str(table), "--capacity-ah", "2", "--eol-fraction", "0.7")
    soh, life = _finding(report, "soh"), _finding(report, "cycle_life")
    assert life.verdict is Verdict.PASS
    assert soh.verdict is Verdict.WARN, soh.summary
    assert "end of life below 70 %" in soh.summary
