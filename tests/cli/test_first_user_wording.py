"""What a first-time CLI user read that contradicted itself or the data: a PASS SOC
on a pack with a dead cell, '4.361e-209 V', 'cell balance ok ... - not judged',
a per-cycle table's SOH N/A beside its fade, a -5 Ah row listed as a cycle, a
0.245 A limit read as 0.24 A, and a knee the PDF gave but the summary did not."""

from __future__ import annotations

import numpy as np
import pytest

from app.cli import main
from app.core.number_text import limit_pair_text, number_text
from app.core.spec import preset
from app.diagnostics.cell_balance import balance_verdict
from app.diagnostics.faults.text import fault_values
from app.diagnostics.input_validity import with_input_warnings
from app.hardware.simulator.faults import Fault, FaultKind
from app.hardware.simulator.pack import simulate
from app.reports.content import ReportContent
from app.reports.verdicts import Verdict, findings
from tests.real_data import REAL_DATA


def _finding(report: dict, key: str):
    return next(f for f in findings(report) if f.diagnostic == key)


def _samples_report(**results) -> dict:
    base = dict.fromkeys(
        ("soh", "internal_resistance", "capacity_fade", "safety", "thermal", "cycle_life")
    )
    soc = {
        "method": "ekf",
        "initial_soc_percent": 89.8,
        "final_soc_percent": 99.3,
        "final_soc_sigma_percent": 0.7,
    }
    return {
        "source": "x.csv",
        "spec": None,
        "results": {**base, "soc": soc, "cell_balance": None, "faults": [], **results},
        "cycles": [],
    }


# --- 1. a dead cell: the pack's SOC is not valid; the bench stops the current -------


def test_a_pack_with_a_dead_cell_has_no_valid_soc():
    """Cell 3 at 0 V to the end of the log (a runaway): the report gave SOC PASS
    '89.8 % to 99.3 %'. The pack's SOC is estimated as if every cell were sound."""
    balance = {
        "status": "critical",
        "spread_max_mv": 3.3,
        "plausible_cell_v": [1.25, 5.25],
        "implausible_readings": [
            {"cell": 3, "samples": 2401, "first_time_s": 1199.0, "last_time_s": 3599.0,
             "last_value_v": 4.36106e-209, "reading_now": True},
        ],
    }  # fmt: skip
    report = with_input_warnings(_samples_report(cell_balance=balance), None, None)
    assert report["invalid_results"]["soc"]
    (warning,) = report["warnings"]
    assert "cell 3 reads 0.00 V" in warning and "SOC" in warning and "e-" not in warning
    soc = _finding(report, "soc")
    assert soc.verdict is Verdict.WARN and soc.summary.startswith("not valid for this log")
    # a glitch that came and went (not reading now) leaves the SOC as it was
    balance["implausible_readings"][0]["reading_now"] = False
    report = with_input_warnings(_samples_report(cell_balance=balance), None, None)
    assert "soc" not in (report.get("invalid_results") or {})
    assert _finding(report, "soc").verdict is Verdict.PASS


def test_the_simulated_bench_opens_the_contactor_on_a_dead_cell():
    """After the runaway's cell collapsed, the drive profile went on to charge the pack
    at 2.5 A for half an hour through the dead cell, which read 4.4e-209 V."""
    spec = preset("nmc", series_cells=4, capacity_ah=5.0)
    for profile in ("drive", "cycle"):
        block = simulate(
            spec,
            profile,
            duration_s=3600,
            faults=[Fault(FaultKind.THERMAL_RUNAWAY, onset_s=900.0, cell=3)],
        )
        t, i, v3 = block["time_s"], block["current_a"], block["cell_3_v"]
        dead = np.flatnonzero(v3 < spec.cell_v_min)
        assert dead.size, profile
        after = dead[0] + 1
        assert np.all(i[after:] == 0.0), (profile, np.abs(i[after:]).max())
        assert v3[-1] == 0.0  # a shorted cell reads 0 V, not float dust
        # the other cells stay as they were: no charge goes in through the dead one
        assert np.ptp(block["cell_1_v"][after + 600 :]) < 0.01
        assert t[-1] == 3599.0


def test_the_runaway_summary_prints_no_float_dust_and_no_valid_soc(tmp_path, capsys):
    log = tmp_path / "tr.csv"
    fault = ["--fault", "thermal_runaway", "--fault-at", "900", "--fault-cell", "3"]
    assert main(["simulate", "--cells", "4", *fault, "-o", str(log)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(log)]) == 0
    out = capsys.readouterr().out
    assert "e-" not in out.replace("e-commerce", "")  # no 4.361e-209
    assert "cell_under_voltage on cell_3_v: 0.000 V vs limit 2.500 V" in out
    soc = out.splitlines()[[k for k, ln in enumerate(out.splitlines()) if "  SOC " in ln][0] + 1]
    assert "not valid for this log" in soc


# --- the one formatter -------------------------------------------------------------


def test_float_dust_prints_as_zero_and_limits_keep_their_digits():
    assert number_text(4.361e-209, ".4g", " V") == "0 V"
    assert number_text(-4.411e-11, ".4g") == "0"
    assert number_text(None) == "n/a"
    assert number_text(float("nan"), missing="") == ""
    assert number_text(2.5, ".4g") == "2.5"
    assert limit_pair_text(0.2467, 0.245, 2, "A") == ("0.247 A", "0.245 A")
    assert limit_pair_text(4.6743, 4.2, 3, "V") == ("4.674 V", "4.200 V")
    detail = fault_values({"detail": {"max_abs_a": 0.2467, "limit_a": 0.245}})
    assert detail == "0.247 A (limit 0.245 A)"  # was '0.25 A (limit 0.24 A)'
    assert fault_values({"detail": {"min_v": 4.3e-209, "limit_v": 2.5}}) == (
        "0.000 V (limit 2.500 V)"
    )


def test_the_pdf_cycle_table_shows_float_dust_as_zero():
    report = _samples_report()
    report["cycles"] = [
        {"cycle_index": 1, "charge_capacity_ah": 4.411e-11, "discharge_capacity_ah": 0.2328}
    ]
    _, rows = ReportContent(report).cycle_rows()
    assert rows == [["1", "0", "0.2328"]]


# --- 2. a balance not judged is unknown, not ok ------------------------------------


def _unjudged_balance() -> dict:
    not_judged = (
        "not judged: no sample within 20-95 % SOC, where the cells' OCV curves run parallel "
        "(outside it healthy cells read far apart); judge the balance at rest at mid SOC"
    )
    return {
        "status": "unknown",
        "action": "none",
        "recommendation": not_judged,
        "spread_mv": 3.5,
        "spread_max_mv": 3.5,
        "spread_judged_mv": 3.5,
        "judged_on": "rest, outside 20-95 % SOC",
    }


def test_a_lead_acid_float_balance_is_not_judged_ok(tmp_path, capsys):
    """`simulate --chemistry lead_acid --profile float`: 'cell balance ok: ... - not
    judged'. The CLI, the report and the window's card now say unknown / n/a, and why."""
    log = tmp_path / "la.csv"
    args = ["--chemistry", "lead_acid", "--profile", "float", "--duration", "1200"]
    assert main(["simulate", *args, "-o", str(log)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(log), "--json"]) == 0
    import json

    report = json.loads(capsys.readouterr().out)
    cb = report["results"]["cell_balance"]
    assert cb["status"] == "unknown" and cb["recommendation"].startswith("not judged")
    assert main(["analyze", str(log)]) == 0
    (line,) = [ln for ln in capsys.readouterr().out.splitlines() if "cell balance" in ln]
    assert line.startswith("  cell balance  unknown: spread ") and "not judged" in line
    finding = _finding(report, "cell_balance")
    assert finding.verdict is Verdict.NOT_APPLICABLE and "not judged" in finding.summary


def test_the_window_card_of_an_unjudged_balance_is_no_ok():
    from app.views.diagnostics_catalog import Status, _cell_balance

    card = _cell_balance(_unjudged_balance())
    assert card.status is Status.INFO  # "measured": a spread, no verdict
    assert "3.5 mV" in card.headline and card.reason.startswith("not judged")
    status, _, advice = balance_verdict(_unjudged_balance(), [])
    assert status == "unknown" and advice.startswith("not judged")


# --- 3. a per-cycle table: SOH, its resistance column, its invalid rows -------------


def _table(tmp_path):
    n = np.arange(1, 201)
    cap = 1.1 * (1 - 0.001 * n)
    res = 0.090 + 0.0001 * n
    lines = ["cycle_index,discharge_capacity_ah,resistance_ohm"]
    lines += [
        f"{k},{'-5' if k == 39 else f'{q:.6f}'},{r:.6f}"
        for k, q, r in zip(n, cap, res, strict=True)
    ]
    path = tmp_path / "cells_capacity.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_per_cycle_table_gives_soh_its_resistance_and_its_invalid_rows(tmp_path, capsys):
    path = _table(tmp_path)
    assert main(["analyze", str(path), "--capacity-ah", "1.1", "--json"]) == 0
    import json

    report = json.loads(capsys.readouterr().out)
    r = report["results"]
    fade, soh = r["capacity_fade"], r["soh"]
    # the -5 Ah row: counted, named, not a cycle
    assert fade["rows_invalid"] == 1
    assert fade["invalid_rows"] == [{"cycle_index": 39, "discharge_capacity_ah": -5.0}]
    assert 39 not in [c["cycle_index"] for c in report["cycles"]]
    assert len(report["cycles"]) == 199
    # SOH by capacity: the fade's last cycles against the rated capacity
    assert soh["soh_capacity_percent"] == pytest.approx(100 * fade["retention_vs_nominal"])
    assert soh["soh_percent"] == soh["soh_capacity_percent"]
    # the table's resistance column, its last cycles against its first
    assert soh["resistance_ohm"] == pytest.approx(0.090 + 0.0001 * 198, abs=1e-6)
    assert soh["bol_resistance_ohm"] == pytest.approx(0.090 + 0.0001 * 3, abs=1e-6)
    assert 0 < soh["soh_resistance_percent"] < 100
    soh_finding = _finding(report, "soh")
    assert soh_finding.verdict is not Verdict.NOT_APPLICABLE
    assert f"{soh['soh_percent']:.1f} %" in soh_finding.summary
    ir = _finding(report, "internal_resistance")
    assert "as logged" in ir.summary and "no step away" not in ir.summary

    assert main(["analyze", str(path), "--capacity-ah", "1.1"]) == 0
    out = capsys.readouterr().out
    (warning,) = [ln for ln in out.splitlines() if "warning" in ln]
    assert "1 row of the per-cycle table left out: cycle 39 (-5 Ah)" in warning
    assert "discharge -5" not in out and "#39 " not in out
    assert f"capacity {soh['soh_capacity_percent']:.3g} %" in out
    assert "resistance    " in out and "as logged in the table's resistance_ohm column" in out


def test_a_table_without_a_resistance_column_says_so(tmp_path, capsys):
    path = tmp_path / "c.csv"
    rows = "\n".join(f"{k},{1.0 - 0.001 * k:.4f}" for k in range(1, 60))
    path.write_text("cycle_index,discharge_capacity_ah\n" + rows + "\n", encoding="utf-8")
    assert main(["analyze", str(path), "--json"]) == 0
    import json

    report = json.loads(capsys.readouterr().out)
    ir = _finding(report, "internal_resistance")
    assert ir.verdict is Verdict.NOT_APPLICABLE
    assert "per-cycle table" in ir.summary and "no step away" not in ir.summary
    # no rated capacity given: the SOH is of the first cycles' capacity, the header's,
    # and says so, in words the window can show too (it said '--chemistry' on the card)
    soh = report["results"]["soh"]
    first, last = np.mean([1.0 - 0.001 * k for k in range(1, 6)]), 1.0 - 0.001 * 57
    assert soh["soh_percent"] == pytest.approx(100 * last / first, abs=0.1)
    assert any("give the battery's capacity" in n for n in soh["notes"])
    assert not any("--" in n for n in soh["notes"])


# --- 4. the knee in the CLI's fade line, as in the PDF -----------------------------


@pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")
def test_the_fade_line_gives_the_knee_as_the_report_does(capsys):
    path = str(REAL_DATA / "capacity" / "calce_CS2_35_capacity.csv")
    assert main(["analyze", path, "--capacity-ah", "1.1", "--json"]) == 0
    import json

    report = json.loads(capsys.readouterr().out)
    knee = report["results"]["capacity_fade"]["knee"]["knee_point_cycle"]
    assert f"knee at cycle {knee:g}" in _finding(report, "capacity_fade").summary
    assert main(["analyze", path, "--capacity-ah", "1.1"]) == 0
    (line,) = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("  fade ")]
    assert f"knee at cycle {knee:.0f}" in line
