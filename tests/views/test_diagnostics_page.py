"""The Diagnostics page: the catalogue of nine in four groups, detail on selection, results of
``run_suite`` on the live data computed off the GUI thread, refreshed while streaming."""

from __future__ import annotations

import threading

import pytest

from app.diagnostics.suite import RESULT_KEYS
from app.hardware.acquisition import AcquisitionState
from app.views import diagnostics_runner
from app.views.diagnostics_catalog import (
    CATALOG,
    NO_RESULT_REASON,
    DiagnosticGroup,
    Status,
    summarize,
)
from app.views.diagnostics_page import DiagnosticsPage
from app.views.diagnostics_runner import DiagnosticsReport, DiagnosticsRunner, ReportKind
from app.views.live_session import LiveSession
from app.views.main_window import Page
from app.views.theme import DARK, Theme, apply_theme

SIM = "sim://nmc?cells=4&speed=0&duration=1800"

GROUPS = {
    DiagnosticGroup.ELECTRICAL: ["soc", "soh", "internal_resistance", "cell_balance"],
    DiagnosticGroup.THERMAL: ["thermal"],
    DiagnosticGroup.SAFETY: ["safety", "faults"],
    DiagnosticGroup.LIFETIME: ["capacity_fade", "cycle_life"],
}


@pytest.fixture
def page(qtbot):
    page = DiagnosticsPage(DARK)
    page.resize(1250, 850)
    qtbot.addWidget(page)
    page.show()
    return page


def report_of(results: dict) -> DiagnosticsReport:
    full = dict.fromkeys(RESULT_KEYS)
    full.update(results)
    return DiagnosticsReport(full, samples=1000, span_s=999.0, cycles=0, elapsed_s=0.01)


# --- the catalogue ----------------------------------------------------------------


def test_nine_diagnostics_in_four_groups(page):
    assert len(CATALOG) == 9
    assert {info.key for info in CATALOG} == set(RESULT_KEYS)  # one entry per suite result
    tree = page.catalogue
    assert tree.topLevelItemCount() == 4
    for index, (group, keys) in enumerate(GROUPS.items()):
        heading = tree.topLevelItem(index)
        assert heading is page.group_items[group]
        assert heading.text(0) == group.value.upper()
        assert not heading.flags() & heading.flags().ItemIsSelectable  # a heading only
        children = [heading.child(i) for i in range(heading.childCount())]
        assert [page.items[key] for key in keys] == children
    assert list(page.cards) == [key for keys in GROUPS.values() for key in keys]


def test_every_entry_says_what_how_and_from_which_columns():
    import app.diagnostics as diagnostics

    for info in CATALOG:
        assert info.title and len(info.summary) > 40 and len(info.method) > 80
        assert info.inputs
        function = info.signature.split("(")[0]
        # the public API names of DESIGN.md (those already exported must match)
        assert function in {
            "calculate_soc", "calculate_soh", "measure_internal_resistance",
            "analyze_capacity_fade", "check_cell_balance", "monitor_safety",
            "analyze_thermal", "estimate_cycle_life", "detect_faults",
        }  # fmt: skip
        if function in diagnostics.__all__:
            assert callable(getattr(diagnostics, function))


def test_selecting_shows_the_detail(qtbot, page):
    assert page.selected_key == "soc"
    page.catalogue.setCurrentItem(page.items["thermal"])
    detail = page.detail
    assert detail.title_label.text() == "Thermal"
    # (it may break after a dot or a bracket: zero-width spaces there)
    assert "analyze_thermal(df, spec)" in detail.signature_label.text().replace("\u200b", "")
    assert "temperature_c" in detail.inputs_label.text()
    assert "120 s windows" in detail.method_label.text()
    assert detail.chip.text() == "not run"
    assert "Not run yet" in detail.reason_label.text()
    # a first-time user with a log (not a source) is told where its run is
    assert "Logs page" in detail.reason_label.text()
    assert "Run diagnostics" in detail.reason_label.text()
    with qtbot.waitSignal(page.cards["faults"].clicked):
        qtbot.mouseClick(page.cards["faults"], qtbot_left())
    assert page.selected_key == "faults"
    assert detail.title_label.text() == "Fault detection"


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


# --- summaries of results ------------------------------------------------------------


def test_none_results_are_not_available_with_the_reason(page):
    page.show_report(report_of({"soh": None}))
    summary = page.summaries["soh"]
    assert summary.status is Status.UNAVAILABLE and summary.reason == NO_RESULT_REASON
    assert page.cards["soh"].chip.text() == "not available"
    assert page.cards["soh"].chip.property("status") == "unavailable"
    page.select("soh")
    assert page.detail.reason_label.text() == f"Not available: {NO_RESULT_REASON}"


def test_results_that_give_a_reason_show_it():
    fade = summarize(
        "capacity_fade", {"status": "insufficient_data", "reason": "too few cycles (1 < 10)"}
    )
    assert fade.status is Status.UNAVAILABLE and fade.reason == "too few cycles (1 < 10)"
    life = summarize("cycle_life", {"status": "insufficient_data", "reason": "1 < 10 cycles"})
    assert life.status is Status.UNAVAILABLE and life.reason == "1 < 10 cycles"
    balance = summarize("cell_balance", {"status": "unknown", "recommendation": "no cells"})
    assert balance.status is Status.UNAVAILABLE and balance.reason == "no cells"
    pulses = summarize("internal_resistance", {"n_pulses": 0, "method": "steps"})
    assert pulses.status is Status.UNAVAILABLE and "pulses" in pulses.reason


def test_status_colours_key_numbers_and_fault_list(page, qapp):
    faults = [
        {"kind": "over_voltage", "start_time_s": 60.0, "end_time_s": 125.0,
         "severity": "critical", "channel": "cell_3_v", "detail": {}},
        {"kind": "sensor_stuck", "start_time_s": 10.0, "end_time_s": 40.0,
         "severity": "warning", "channel": "temperature_c", "detail": {}},
    ]  # fmt: skip
    page.show_report(
        report_of(
            {
                "safety": {
                    "status": "warning",
                    "debounce_s": 2.0,
                    "limits": {},
                    "events": [
                        {
                            "check": "over_current_charge",
                            "channel": "current_a",
                            "severity": "warning",
                            "limit": 3.5,
                            "worst_value": 3.7,
                            "start_time_s": 5.0,
                            "end_time_s": 9.0,
                        }
                    ],
                },
                "faults": {"status": "critical", "faults": faults},
                "cell_balance": {
                    "status": "ok",
                    "spread_mv": 3.3,
                    "spread_at_rest_mv": 2.0,
                    "recommendation": "cells balanced",
                },
                "soc": {
                    "final_soc_percent": 42.04,
                    "final_band_low_percent": 40.0,
                    "final_band_high_percent": 44.0,
                    "method": "extended Kalman filter",
                },
            }
        )
    )
    s = page.summaries
    assert s["faults"].status is Status.CRITICAL
    assert s["faults"].headline == "2 faults"
    assert s["faults"].items == (
        "critical · over voltage · cell 3 · 1:00–2:05",
        "warning · sensor stuck · temperature sensor · 0:10–0:40",
    )
    assert s["safety"].status is Status.WARNING
    assert s["safety"].items == (
        "warning · over current charge · current · 3.70 A (limit 3.50 A) · 0:05–0:09",
    )
    # a few mV over a voltage limit reads as such, with the unit
    over = {"check": "cell_over_voltage", "channel": "cell_2_v", "severity": "warning",
            "limit": 4.2, "worst_value": 4.2049, "start_time_s": 5.0, "end_time_s": 9.0}  # fmt: skip
    hot = {**over, "check": "over_temperature", "channel": "temperature_c", "limit": 45.0,
           "worst_value": 47.26}  # fmt: skip
    assert summarize("safety", {"status": "warning", "events": [over, hot]}).items == (
        "warning · cell over voltage · cell 2 · 4.205 V (limit 4.200 V) · 0:05–0:09",
        "warning · over temperature · temperature sensor · 47.3 °C (limit 45.0 °C) · 0:05–0:09",
    )
    assert s["cell_balance"].status is Status.OK and s["cell_balance"].headline.startswith("2.0")
    assert s["soc"].headline == "42.0 % ±2.0 %" and s["soc"].method == "extended Kalman filter"
    for key, status in (("faults", "critical"), ("safety", "warning"), ("cell_balance", "ok")):
        assert page.cards[key].chip.property("status") == status
    # the chip's colour is the theme's colour of that status (QSS on the property)
    apply_theme(qapp, Theme.DARK)
    for key, color in (("faults", DARK.fault), ("safety", DARK.warning), ("cell_balance", DARK.ok)):
        chip = page.cards[key].chip
        assert chip.palette().color(chip.foregroundRole()).name() == color
    assert "over voltage" in page.cards["faults"].items_label.text()
    page.select("soc")
    assert page.detail.method_run_label.text() == "As run: extended Kalman filter"
    assert page.detail.headline_label.text() == "42.0 % ±2.0 %"


def test_an_unknown_result_shape_does_not_break_the_page(page):
    page.show_report(report_of({"thermal": {"sensors": "many"}}))
    assert page.summaries["thermal"].status is Status.INFO
    assert "unexpected" in page.summaries["thermal"].headline


# --- running -------------------------------------------------------------------------


@pytest.fixture
def sim_window(qtbot, make_window):
    window = make_window()
    window.connect_source(SIM)
    qtbot.waitUntil(
        lambda: (
            window.session.status.state is AcquisitionState.FINISHED
            and window.session.ring.total == 18_000
        ),
        timeout=20_000,
    )
    return window


def test_run_on_current_data_shows_every_result(qtbot, sim_window, monkeypatch):
    """The page shows the live engine's results, read in the worker thread; the
    suite is not run again on the ring buffer."""
    import app.diagnostics.suite as suite

    ran_in = []
    window = sim_window
    real_live_report = window.session.live_report

    def spy():
        ran_in.append(threading.current_thread().name)
        return real_live_report()

    monkeypatch.setattr(window.session, "live_report", spy)
    monkeypatch.setattr(suite, "run_suite", lambda *a, **k: pytest.fail("the suite reran"))
    page = window.diagnostics
    window.show_page(Page.DIAGNOSTICS)  # shown with new data: it runs by itself
    with qtbot.waitSignal(window.diagnostics_runner.finished, timeout=30_000) as done:
        pass
    report = done.args[0]
    assert ran_in == ["diagnostics"]  # the worker thread, never the GUI thread
    assert report.samples == 18_000 and report.span_s == pytest.approx(1799.9)
    assert page.report is report
    assert "18,000 samples" in page.run_status_label.text()
    for info in CATALOG:
        result = report.results[info.key]
        summary = page.summaries[info.key]
        assert summary is not None and summary.status is not Status.NOT_RUN
        if result is None:
            assert summary.status is Status.UNAVAILABLE and summary.reason
        assert page.cards[info.key].chip.property("status") == summary.status.value
    soc = report.results["soc"]
    assert page.summaries["soc"].headline.startswith(f"{soc['final_soc_percent']:.1f} %")
    assert page.summaries["safety"].status is Status.OK  # a clean simulated pack
    assert page.summaries["cell_balance"].status is Status.OK
    assert set(report.results) == set(suite.RESULT_KEYS)
    assert report.results == window.session.live_results()  # nothing more came in

    # "Run on current data" again: same data, a new report
    with qtbot.waitSignal(window.diagnostics_runner.finished, timeout=30_000) as again:
        page.run_button.click()
        assert not page.run_button.isEnabled() and page.run_button.text() == "Running…"
    assert again.args[0] is not report and page.run_button.isEnabled()
    assert len(ran_in) == 2


def test_run_without_data_says_so(qtbot, page):
    session = LiveSession()
    runner = DiagnosticsRunner(session)
    runner.failed.connect(page.show_error)
    with qtbot.waitSignal(runner.failed) as failed:
        assert runner.run()
    assert "connect a source first" in failed.args[0]
    assert page.run_status_label.objectName() == "errorText"
    qtbot.waitUntil(lambda: not runner.busy)


def test_a_run_still_going_is_skipped_not_queued(qtbot, monkeypatch):
    gate = threading.Event()
    calls = []

    def slow(live_report, url, current_sign_warning, battery_warning):
        calls.append(1)
        assert gate.wait(10)
        raise diagnostics_runner.BatteryOSError("stopped by the test")

    monkeypatch.setattr(diagnostics_runner, "run_diagnostics", slow)
    runner = DiagnosticsRunner(LiveSession())
    try:
        assert runner.run()
        assert runner.busy
        assert not runner.run() and runner.runs_skipped == 1
    finally:
        gate.set()
    qtbot.waitUntil(lambda: not runner.busy)
    assert calls == [1]


def test_results_refresh_while_streaming(qtbot):
    session = LiveSession(redraw_hz=50)
    runner = DiagnosticsRunner(session, auto_refresh_s=0.2)
    reports = []
    runner.finished.connect(reports.append)
    try:
        session.start("scripted://pack?n=0&interval=0.01&block=10")
        qtbot.waitUntil(lambda: runner.auto_refreshing)
        qtbot.waitUntil(lambda: len(reports) >= 3, timeout=10_000)
        assert reports[-1].samples > reports[0].samples  # each run on the newest data
    finally:
        session.stop()
    assert not runner.auto_refreshing  # not streaming: no more runs
    qtbot.waitUntil(lambda: not runner.busy)
    session.shutdown(5)


def test_thermal_summary_shows_the_runaway_risk_and_its_evidence():
    evidence = [
        {"factor": "temperature", "score": 0.0, "detail": "hottest 30.0 degC"},
        {
            "factor": "hot_spot",
            "score": 70.0,
            "normal": 5.0,
            "alarm": 15.0,
            "detail": "largest spread 12.0 K",
        },
        {"factor": "excess_rise_rate", "score": 33.0, "detail": "fastest rise 1.0 degC/min"},
        {"factor": "runaway_onset", "score": 0.0, "checked": False, "detail": "not checked"},
    ]
    thermal = {
        "sensors": 5,
        "max_temperature_c": 37.0,
        "mean_temperature_c": 31.0,
        "max_rise_rate_c_per_min": 1.0,
        "runaway_risk_score": 70.0,
        "runaway_risk_level": "high",
        "runaway_risk_evidence": evidence,
    }
    summary = summarize("thermal", thermal)
    assert summary.status is Status.CRITICAL
    assert summary.headline == "max 37.0 °C · runaway risk high"
    # the risk and the rise are among the few numbers a result card shows
    from app.views.diagnostics_page import CARD_NUMBERS

    card = [label for label, _ in summary.numbers[:CARD_NUMBERS]]
    assert card[:2] == ["Runaway risk", "Fastest rise"]
    assert ("Runaway risk", "70 / 100") in summary.numbers
    # every criterion, strongest first, a 0 too (it explains a low risk), then the unchecked
    assert [i.split(":")[0] for i in summary.items] == [
        "hot spot 70/100",
        "excess rise rate 33/100",
        "temperature 0/100",
        "runaway onset —",
    ]
    assert summary.items[0] == "hot spot 70/100: largest spread 12.0 K (0 at 5 K, 100 at 15 K)"
    assert summary.items[1] == "excess rise rate 33/100: fastest rise 1.0 °C/min"  # the page's unit
    low = summarize("thermal", {**thermal, "runaway_risk_level": "low", "runaway_risk_score": 0})
    assert low.status is Status.INFO


def test_a_diagnostic_that_raises_shows_a_message_and_the_others_still_show(
    qtbot, sim_window, monkeypatch
):
    window = sim_window
    engine = window.session._engine.engine

    def broken(**_kwargs):
        raise ZeroDivisionError("no sensors left")

    monkeypatch.setattr(engine.thermal, "result", broken)
    page = window.diagnostics
    with qtbot.waitSignal(window.diagnostics_runner.finished, timeout=30_000):
        window.show_page(Page.DIAGNOSTICS)
    thermal = page.summaries["thermal"]
    assert thermal.status is Status.UNAVAILABLE and thermal.headline == "failed"
    assert "ZeroDivisionError: no sensors left" in thermal.reason
    assert "no sensors left" in page.cards["thermal"].reason_label.text()
    page.select("thermal")
    assert "the diagnostic failed" in page.detail.reason_label.text()
    # the other eight are there all the same
    assert page.summaries["soc"].headline[0].isdigit()  # a figure, not "failed"
    assert page.summaries["safety"].status is Status.OK
    assert page.run_status_label.objectName() == "mutedText"  # no run-level error


def test_cell_balance_headline_is_the_spread_its_status_judged():
    """A healthy pack resting empty fans out by 100+ mV; the status judges the
    mid-SOC rest, and the headline must show that spread, not the empty one."""
    import pandas as pd

    from app.core.spec import preset
    from app.diagnostics.cell_balance import check_cell_balance

    spec = preset("nmc", capacity_ah=5.0, series_cells=4)
    n = 600
    empty = {f"cell_{k + 1}_v": [3.0 + 0.09 * k] * n for k in range(4)}  # 270 mV apart
    mid = {f"cell_{k + 1}_v": [3.7 + 0.002 * k] * (n // 3) for k in range(4)}  # 6 mV apart
    cells = {c: empty[c] + mid[c] for c in empty}
    m = len(cells["cell_1_v"])
    df = pd.DataFrame({"time_s": range(m), "current_a": [0.0] * m, **cells}).astype(float)
    df["voltage_v"] = df[list(cells)].sum(axis=1)
    result = check_cell_balance(df, spec).to_dict()
    assert result["status"] == "ok" and result["spread_at_rest_mv"] > 100  # mostly empty
    summary = summarize("cell_balance", result)
    assert summary.headline == "6.0 mV spread (rest, 20-95 % SOC, last 3 min)"
    assert ("At rest, any SOC (median)", f"{result['spread_at_rest_mv']:.1f} mV") in (
        summary.numbers
    )


def _dead_cell_2():
    """A 4-cell NMC pack at rest whose cell 2 reads 0 V from 200 s: (spec, frame)."""
    import pandas as pd

    from app.core.spec import preset

    spec = preset("nmc", capacity_ah=5.0, series_cells=4)
    n = 600
    cells = {f"cell_{k + 1}_v": [3.7 + 0.002 * k] * n for k in range(4)}
    cells["cell_2_v"] = [3.702] * 200 + [0.0] * 400
    df = pd.DataFrame({"time_s": range(n), "current_a": [0.0] * n, **cells}).astype(float)
    df["voltage_v"] = df[list(cells)].sum(axis=1)
    return spec, df


def test_cell_balance_card_names_a_dead_cell_before_the_spread():
    """Cell 2 at 0 V: the card leads with it, the spread is the other cells', and the
    advice is to check the cell and its sense wire, not to balance."""

    from app.diagnostics.cell_balance import check_cell_balance

    spec, df = _dead_cell_2()
    summary = summarize("cell_balance", check_cell_balance(df, spec).to_dict())
    assert summary.status is Status.CRITICAL
    assert summary.headline == (
        "cell 2 reads 0.00 V (implausible); 6.0 mV spread of the others (rest, 20-95 % SOC, last 2 min)"
    )
    numbers = dict(summary.numbers)
    assert numbers["Implausible cells"] == "cell 2 (0.00 V now)"  # (not two cells)
    assert numbers["Plausible cell band"] == "1.25–5.25 V"
    assert numbers["Action"] == "check the cell and its sense wire"
    assert summary.reason.startswith("cell 2 reads 0.00 V, outside the plausible 1.25-5.25 V")
    assert summary.items[0].startswith("cell 2 reads 0.00 V")


def test_fault_items_say_what_was_measured_with_units():
    """A fault line names the value against its limit, or what the detector measured."""
    faults = [
        {"kind": "over_voltage", "start_time_s": 0.0, "end_time_s": 611.0, "severity": "critical",
         "channel": "voltage_v", "detail": {"detected_time_s": 8.0, "max_v": 4.6736,
                                            "limit_v": 4.2}},
        {"kind": "over_current", "start_time_s": 20.0, "end_time_s": 179.0,
         "severity": "critical", "channel": "current_a",
         "detail": {"max_abs_a": 0.4742, "limit_a": 0.2324, "current_a": 0.4742}},
        {"kind": "cell_imbalance", "start_time_s": 60.0, "end_time_s": 120.0,
         "severity": "warning", "channel": "cell_2_v",
         "detail": {"spread_mv": 61.25, "soc_spread_pct": 7.04, "cell_v": 3.61}},
        {"kind": "sensor_stuck", "start_time_s": 10.0, "end_time_s": 40.0, "severity": "warning",
         "channel": "temperature_c", "detail": {"stuck_value": 24.96}},
    ]  # fmt: skip
    assert summarize("faults", {"status": "critical", "faults": faults}).items == (
        "critical · over voltage · pack voltage · 4.674 V (limit 4.200 V) · 0:00–10:11",
        # (the limit with its own digits: a 0.2324 A limit is not "0.23 A")
        "critical · over current · current · 0.4742 A (limit 0.2324 A) · 0:20–2:59",
        "warning · cell imbalance · cell 2 · spread 61.2 mV, SOC spread 7.0 % · 1:00–2:00",
        "warning · sensor stuck · temperature sensor · stuck at 25.0 °C · 0:10–0:40",
    )


def test_an_internal_short_is_of_cell_2_not_of_its_voltage_column():
    """The Fault detection card named a short "cell_2_v" (a voltage column) while giving
    a temperature figure: the channel reads as the Alerts page words it, "cell 2"."""
    from app.diagnostics.faults.text import channel_text

    short = {"kind": "internal_short", "start_time_s": 600.0, "end_time_s": 900.0,
             "severity": "critical", "channel": "cell_2_v",
             "detail": {"excess_temperature_k": 3.14}}  # fmt: skip
    (item,) = summarize("faults", {"status": "critical", "faults": [short]}).items
    assert (
        item == "critical · internal short · cell 2 · up to 3.1 K above its neighbours' median"
        " (5-min mean) · 10:00–15:00"
    )
    assert channel_text(short["channel"]) == "cell 2"  # the Alerts page's words
    assert "cell_2_v" not in item


def test_lead_acid_runaway_item_says_how_much_charge_turned_to_heat():
    """A lead-acid runaway found in the charge by its heat names the recombination
    current that heat needs and the pack's heating rate."""
    fault = {"kind": "thermal_runaway_onset", "start_time_s": 30.0, "end_time_s": 900.0,
             "severity": "critical", "channel": "current_a",
             "detail": {"detected_time_s": 54.0, "current_a": 25.0,
                        "recombination_current_a": 16.12, "heating_c_per_min": 0.634}}  # fmt: skip
    assert summarize("faults", {"status": "critical", "faults": [fault]}).items == (
        "critical · thermal runaway onset · current · charge turned to heat 16.1 A, "
        "pack heating 0.63 °C/min · 0:30–15:00",
    )


def test_safety_counts_limit_events_in_the_cli_s_and_the_report_s_word():
    from app.reports.verdicts import findings

    event = {"check": "over_current_charge", "channel": "current_a", "severity": "critical",
             "limit": 4.4, "worst_value": 6.601, "start_time_s": 0.0, "end_time_s": 190.2}  # fmt: skip
    safety = {"status": "critical", "debounce_s": 2.0, "events": [event]}
    summary = summarize("safety", safety)
    assert summary.headline == "1 limit event"  # was "1 limit violation"
    assert (
        summary.items[0]
        == "critical · over current charge · current · 6.60 A (limit 4.40 A) · 0:00–3:10"
    )
    report = {"source": "x", "spec": None, "cycles": [],
              "results": {**dict.fromkeys(RESULT_KEYS), "safety": safety}}  # fmt: skip
    row = next(f for f in findings(report) if f.diagnostic == "safety")
    assert row.summary.startswith("1 limit event, ")


def test_safety_shows_the_limits_it_checked_against():
    limits = {"cell_v_min": 2.5, "cell_v_max": 4.2, "max_charge_current_a": 0.2324,
              "max_discharge_current_a": 0.498, "charge_temp_min_c": 0.0,
              "charge_temp_max_c": 45.0, "discharge_temp_min_c": -20.0,
              "discharge_temp_max_c": 60.0}  # fmt: skip
    summary = summarize("safety", {"status": "ok", "debounce_s": 2.0, "limits": limits})
    assert summary.headline == "within every limit"
    assert summary.numbers == (
        ("Cell voltage", "2.500 – 4.200 V"),
        ("Charge current", "≤ 0.2324 A"),
        ("Discharge current", "≤ 0.498 A"),
        ("Charging at", "0 – 45 °C"),
        ("Discharging at", "-20 – 60 °C"),
        ("Debounce", "2 s"),
    )
    # a 6.3 mAh coin cell's limits read '≤ 0.00 A'
    coin = {**limits, "max_charge_current_a": 0.0063, "max_discharge_current_a": 0.0000315}
    numbers = dict(summarize("safety", {"status": "ok", "limits": coin}).numbers)
    assert numbers["Charge current"] == "≤ 6.3 mA"
    assert numbers["Discharge current"] == "≤ 32 µA"


def test_soc_headline_and_card_show_the_bms_and_the_difference_first():
    r = {"final_soc_percent": 84.2, "final_band_low_percent": 80.5,
         "final_band_high_percent": 87.9, "initial_soc_percent": 88.6,
         "bms_reported_final_percent": 84.0, "bms_difference_rms_percent": 0.32,
         "bms_difference_max_abs_percent": 0.72}  # fmt: skip
    summary = summarize("soc", r)
    assert summary.headline == "84.2 % ±3.7 % · BMS 84.0 %"
    # the card shows the first numbers: where there is a BMS, how far we are from it
    assert summary.numbers[:2] == (("Ours − BMS (RMS)", "0.32 %"), ("Ours − BMS (max)", "0.72 %"))
    no_bms = summarize("soc", {**r, "bms_reported_final_percent": None,
                               "bms_difference_rms_percent": None,
                               "bms_difference_max_abs_percent": None})  # fmt: skip
    assert no_bms.headline == "84.2 % ±3.7 %" and no_bms.numbers[0] == ("Start", "88.6 %")


def test_the_soc_range_says_when_it_is_the_live_filters():
    # offline the range is of the smoothed series (whose first value is the start
    # shown); live of the filter's estimates, which can hold its first guess under load
    r = {"final_soc_percent": 78.6, "initial_soc_percent": 17.7,
         "initial_soc_sigma_percent": 25.0, "initialisation": "load",
         "start_soc_back_calculated_percent": 23.8,
         "start_soc_back_calculated_sigma_percent": 13.4,
         "min_soc_percent": 23.8, "max_soc_percent": 78.6}  # fmt: skip
    offline = dict(summarize("soc", {**r, "soc_range_of": "smoothed"}).numbers)
    assert offline["Start (worked back)"].startswith("23.8 %")
    assert offline["Range"] == "23.8–78.6 %"
    live = {**r, "min_soc_percent": 17.7, "soc_range_of": "filter"}
    numbers = dict(summarize("soc", live).numbers)
    assert numbers["Range (live filter)"] == "17.7–78.6 %" and "Range" not in numbers


def test_an_observed_end_of_life_has_no_interval():
    reached = {"status": "reached", "predicted_eol_cycle": 106, "interval_low": 106,
               "interval_high": 106, "remaining_cycles": 0, "cycles_observed": 166}  # fmt: skip
    summary = summarize("cycle_life", reached)
    assert summary.headline == "end of life reached at cycle 106"
    assert summary.status is Status.CRITICAL  # as capacity fade past 80 % retention
    assert "Interval (90 %)" not in dict(summary.numbers)
    forecast = {**reached, "status": "forecast", "interval_low": 98, "interval_high": 120}
    assert dict(summarize("cycle_life", forecast).numbers)["Interval (90 %)"] == "98–120"
    # no upper end by the horizon: open up to it, not "98–∞" (never reaching end of life)
    open_ended = {**forecast, "interval_high": None, "horizon_cycle": 335.0}
    interval = dict(summarize("cycle_life", open_ended).numbers)["Interval (90 %)"]
    assert interval == "98 to beyond 335"


def test_the_cycle_life_card_names_the_median_fit_not_a_chosen_model():
    # the forecast is the weighted median of several fits' crossings: the card says
    # which fit sits at the median and of how many, not "Model: power"
    members = [{"model": m, "weight": 0.25} for m in ("linear", "sqrt", "power", "linear")]
    r = {"status": "forecast", "predicted_eol_cycle": 110, "interval_low": 98,
         "interval_high": 130, "model": "power", "members": members}  # fmt: skip
    numbers = dict(summarize("cycle_life", r).numbers)
    assert numbers["Median fit"] == "power (median of 4 fits)"
    assert "Model" not in numbers


def test_the_latest_result_comes_before_the_description(page):
    page.show_report(report_of({"thermal": None}))
    page.select("thermal")
    detail = page.detail
    assert detail.reason_label.isVisible()
    assert detail.reason_label.y() < detail.summary_label.y() < detail.method_label.y()


def test_a_log_files_results_do_not_claim_to_refresh(page):
    page.set_auto_refresh(True)  # a source streams
    page.show_report(report_of({}))
    assert not page.auto_label.isHidden()  # the live session's are refreshed
    full = dict.fromkeys(RESULT_KEYS)
    url = "sim://nmc?cells=4&profile=drive&speed=20&soc_spread=2&bms_soc=1&seed=12345"
    page.show_report(DiagnosticsReport(full, 100, 99.0, 0, 0.01, source_url=url))
    text = page.run_status_label.text()
    # a simulator's long URL reads as its battery in a few words, so the time and extent
    # of the results stay in view; the tooltip has the URL
    assert text.startswith("sim NMC 4S drive · results of ") and "samples" in text
    assert url in page.run_status_label.toolTip()
    page.show_report(
        DiagnosticsReport(full, 100, 99.0, 0, 0.01, source_url="/x/a.csv", kind=ReportKind.FILE)
    )
    assert page.auto_label.isHidden()
    assert page.run_status_label.text().startswith("a.csv · results of ")


def test_a_judged_window_under_a_second_reads_in_tenths():
    """The foxBMS CAN capture spans 0.9 s: 'last 0.9 s', not 'last 0 s'."""
    r = {"status": "ok", "spread_judged_mv": 1.2, "judged_on": "mid SOC", "judged_window_s": 0.9}
    assert summarize("cell_balance", r).headline == "1.2 mV spread (mid SOC, last 0.9 s)"
    r["judged_window_s"] = 8.0
    assert summarize("cell_balance", r).headline == "1.2 mV spread (mid SOC, last 8 s)"


def test_runaway_evidence_writes_i2r_as_the_numbers_do():
    evidence = {"factor": "excess_rise_rate", "score": 0.0, "checked": True,
                "detail": "fastest rise 0.09 degC/min, of which the battery's own I2R heat "
                          "explains up to 1.30 degC/min"}  # fmt: skip
    item = summarize("thermal", {"sensors": 1, "runaway_risk_evidence": [evidence]}).items[0]
    assert "own I²R heat" in item and "°C/min" in item


def test_a_live_run_status_fits_the_tool_bar_at_1280_px(page, qapp):
    """The simulator's URL, the time and the extent of the results beside the refresh note
    and the Run button, in the width a 1280-px window leaves the page."""
    apply_theme(qapp, Theme.DARK)  # its fonts, as run_gui sets them
    page.resize(1090, 700)
    url = "sim://nmc?cells=4&profile=drive&speed=20&soc_spread=2&bms_soc=1"
    report = DiagnosticsReport(dict.fromkeys(RESULT_KEYS), 12_135, 1213.0, 0, 0.01, source_url=url)
    page.show_report(report)
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    label = page.run_status_label
    # a length with its unit ("over 20:13" beside a clock time read as one)
    assert label.text().endswith("12,135 samples over 20.2\u00a0min")  # computing time: tip
    assert "computed in 0.0 s" in label.toolTip()
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width()


def test_notes_read_as_text_not_code():
    """A note written for logs ('>= 1800 s', 'degC') reads '≥ 1800 s', '°C' on the page."""
    soh = summarize("soh", {"notes": ["no capacity: no two rests of >= 1800 s", "at 25 degC"]})
    assert soh.reason == "no capacity: no two rests of ≥ 1800 s\nat 25 °C"
    fade = summarize("capacity_fade", {"status": "ok", "reason": "rests >= 30 min"})
    assert fade.reason == "rests ≥ 30 min"


def test_an_unavailable_soh_gives_both_reasons_in_order():
    """No capacity and no resistance: both say why, the capacity's first, as the reason
    (a finding above it read as if it came first)."""
    notes = ["no capacity: no full cycle and no two rests of >= 1800 s far enough apart in SOC",
             "no resistance: no current pulses found"]  # fmt: skip
    soh = summarize("soh", {"notes": notes})
    assert soh.status is Status.UNAVAILABLE and soh.items == ()
    assert soh.reason.splitlines() == [notes[0].replace(">=", "≥"), notes[1]]
    for info in CATALOG:  # nor does the catalogue speak Python
        assert "None" not in info.method + info.summary + "".join(info.inputs), info.key


def test_soc_band_is_two_sigma_also_where_it_is_clipped_at_full():
    # the band is clipped at 100 %: its half-width (3.5) understated the +-2 sigma (5.0)
    # that the report gives for the same result
    soc = {
        "final_soc_percent": 98.0,
        "final_soc_sigma_percent": 2.5,
        "final_band_low_percent": 93.0,
        "final_band_high_percent": 100.0,
    }
    assert summarize("soc", soc).headline == "98.0 % ±5.0 %"


def test_a_reversed_current_is_warned_of_above_the_results(page):
    warning = "the current's sign looks reversed (...); use --invert-current"
    page.show_report(DiagnosticsReport({}, 10, 9.0, 0, 0.01, current_sign_warning=warning))
    assert page.sign_warning_label.isVisible()
    assert page.sign_warning_label.text() == f"Warning: {warning}"
    assert page.sign_warning_label.objectName() == "errorText"
    page.show_report(report_of({}))  # the next run's sign is fine: the warning goes
    assert page.sign_warning_label.isHidden()


@pytest.mark.parametrize("invert", [False, True])
def test_live_data_with_a_reversed_current_warns_on_the_page(qtbot, make_window, tmp_path, invert):
    """The live engine's current-sign check reaches the Diagnostics page, as it reaches the
    connection panel; with ``invert_current=1`` in the URL there is nothing to warn of."""
    from tests.views.test_logs_page import discharge_positive_log

    path = discharge_positive_log(tmp_path)
    window = make_window()
    window.connect_source(
        f"file://{path}?chemistry=nmc&capacity_ah=5&cells=1" + "&invert_current=1" * invert
    )
    qtbot.waitUntil(
        lambda: window.session.status.state is AcquisitionState.FINISHED, timeout=20_000
    )
    page = window.diagnostics
    with qtbot.waitSignal(window.diagnostics_runner.finished, timeout=30_000) as done:
        window.show_page(Page.DIAGNOSTICS)  # shown with new data: it runs by itself
    assert done.args[0].live
    if invert:
        assert done.args[0].current_sign_warning is None
        assert page.sign_warning_label.isHidden()
    else:
        assert done.args[0].current_sign_warning.startswith("the current's sign looks reversed")
        assert page.sign_warning_label.isVisible()
        assert "invert_current=1" in page.sign_warning_label.text()
    window.session.stop()


def test_cell_balance_does_not_advise_balancing_on_a_faulty_sensor(page):
    # a stuck cell_1_v sense wire reads 400 mV low: faults name the sensor, so the
    # balance card says the reading is suspect instead of "top-balance the pack"
    stuck = {"kind": "sensor_stuck", "start_time_s": 300.0, "end_time_s": 1200.0,
             "severity": "warning", "channel": "cell_1_v", "detail": {}}  # fmt: skip
    balance = {
        "status": "critical",
        "action": "balance",
        "spread_mv": 402.0,
        "spread_at_rest_mv": 402.0,
        "recommendation": "top-balance the pack, cell 1 sits 402 mV below the median",
    }
    page.show_report(report_of({"faults": {"faults": [stuck]}, "cell_balance": balance}))
    s = page.summaries["cell_balance"]
    assert s.status is Status.WARNING
    assert "balance the pack" not in (s.reason or "")
    assert "cell 1 (sensor stuck)" in s.headline and "suspect" in s.reason.lower()
    assert dict(s.numbers)["Action"] == "check the cell and its sense wire"
    assert page.cards["cell_balance"].chip.property("status") == "warning"
    # a sensor fault on another channel (temperature) leaves the card alone
    page.show_report(
        report_of(
            {"faults": {"faults": [{**stuck, "channel": "temperature_c"}]}, "cell_balance": balance}
        )  # fmt: skip
    )
    assert page.summaries["cell_balance"].status is Status.CRITICAL


def test_an_soc_band_of_half_the_scale_is_not_a_measurement():
    # a 3.3 s Maccor log: "measured 72.8 % ±50.0" was the filter's prior
    wide = {"final_soc_percent": 72.8, "final_soc_sigma_percent": 25.0, "method": "EKF"}
    s = summarize("soc", wide)
    assert s.status is Status.UNAVAILABLE and s.headline == "cannot be determined"
    assert "±50 %" in s.reason and "72.8 %" in s.reason
    narrow = summarize("soc", {**wide, "final_soc_sigma_percent": 2.0})
    assert narrow.status is Status.INFO and narrow.headline == "72.8 % ±4.0 %"


def test_an_soc_started_under_load_says_what_places_it():
    """The Simulated battery's 1C discharge from an unknown start: 'too little data to
    place the SOC, e.g. no rest, too short a log' after 10 min of data said neither why
    nor what would place it. A start under load says both (the CLI and report alike)."""
    from app.diagnostics.soc import soc_undetermined_text

    under_load = {"final_soc_percent": 66.0, "final_soc_sigma_percent": 15.5}
    under_load["initialisation"] = "load"
    s = summarize("soc", under_load)
    assert s.headline == "cannot be determined" and "±31 %" in s.reason
    why = "a rest or a change of the current places it"
    assert "started under load" in s.reason and why in s.reason
    assert "too short a log" not in s.reason
    assert why in soc_undetermined_text(under_load)
    # a start at rest that is still unplaced: as it was
    at_rest = summarize("soc", {**under_load, "initialisation": "rest"})
    assert "too little data to place the SOC" in at_rest.reason and why not in at_rest.reason


def test_the_page_names_its_own_fields_not_the_cli_flags():
    note = (
        "no capacity: no full cycle (a full discharge ends within 5 % of the spec's 2.5 V "
        "cut-off, <= 2.585 V a cell); give the cell's own beginning-of-life resistance "
        "(--bol-resistance-ohm: one cell), its --ocv-table, --eol-fraction"
    )
    reason = summarize("capacity_fade", {"status": "insufficient_data", "reason": note}).reason
    assert "--" not in reason
    assert "R new: one cell" in reason and "its OCV table" in reason
    assert "within 5 % of the voltage window of the spec's 2.5 V cut-off, ≤ 2.585 V" in reason
    # no faults: said, not an empty "Latest result"
    none = summarize("faults", {"status": "ok", "faults": []})
    assert none.headline == "no faults" and none.reason == "no faults found"


def _analyzed_soc(tmp_path, capsys, *sim) -> tuple[dict, list[str]]:
    """A simulated log's SOC result and the lines of ``analyze``'s summary."""
    import json

    from app.cli import main

    out = tmp_path / "pack.csv"
    assert main(["simulate", *sim, "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(out), "--json"]) == 0
    soc = json.loads(capsys.readouterr().out)["results"]["soc"]
    assert main(["analyze", str(out)]) == 0
    return soc, capsys.readouterr().out.splitlines()


def test_a_log_started_under_load_shows_the_start_worked_back_as_analyze_does(tmp_path, capsys):
    """An LFP pack at 50 % under a cycle from its first sample: the filter's first value
    is a guess (+-50 %). The card showed that guess as "Start"; it shows the start worked
    back from a later, surer estimate, labelled so with its band, as analyze does, and
    names the first value as a guess."""
    sim = ["--chemistry", "lfp", "--profile", "cycle", "--soc", "50", "--duration", "3600"]
    soc, lines = _analyzed_soc(tmp_path, capsys, *sim)
    assert soc["initialisation"] == "load" and abs(soc["initial_soc_percent"] - 50.0) > 10.0
    summary = summarize("soc", soc)
    numbers = dict(summary.numbers)
    assert "Start" not in numbers
    start = numbers["Start (worked back)"]
    band = 2 * soc["start_soc_back_calculated_sigma_percent"]
    assert start == f"{soc['start_soc_back_calculated_percent']:.1f} % ±{band:.1f} %"
    assert abs(float(start.split()[0]) - 50.0) < 2.0
    # the same start as analyze's summary line, and the same words for how it was found
    at = next(k for k, x in enumerate(lines) if x.startswith("  SOC  "))
    assert lines[at].split("->")[0].split(maxsplit=1)[1].strip() == start
    (note,) = summary.items
    assert note.lower() == lines[at + 1].strip()[1:-1].lower()
    assert note.startswith("Start back-calculated")
    assert f"first value was {soc['initial_soc_percent']:.1f} % ±50 %, a guess" in note


def test_a_log_started_at_rest_shows_the_first_value_as_the_start(tmp_path, capsys):
    """At rest the first value is read off the OCV, sure: the card is as it was."""
    sim = ["--chemistry", "nmc", "--profile", "rest", "--soc", "50", "--duration", "1800"]
    soc, _ = _analyzed_soc(tmp_path, capsys, *sim)
    assert soc["initialisation"] == "rest" and soc["start_soc_back_calculated_percent"] is None
    summary = summarize("soc", soc)
    assert dict(summary.numbers)["Start"] == f"{soc['initial_soc_percent']:.1f} %"
    assert "Start (worked back)" not in dict(summary.numbers) and summary.items == ()


def test_an_unsure_first_value_with_nothing_to_work_back_from_shows_its_band():
    """No surer estimate later: the start is the first value, shown with its band and
    named as the guess it is (analyze's words), not as a plain number."""
    soc = {"final_soc_percent": 40.0, "final_soc_sigma_percent": 2.0,
           "initial_soc_percent": 70.0, "initial_soc_sigma_percent": 25.0,
           "initialisation": "load", "start_soc_back_calculated_percent": None}  # fmt: skip
    summary = summarize("soc", soc)
    assert dict(summary.numbers)["Start"] == "70.0 % ±50 %"
    assert summary.items == (
        "The start is the filter's first value, a guess: the log starts under load",
    )


# --- a log file's results and the live ones -----------------------------------------


def test_a_log_files_results_stay_while_a_source_streams_until_asked_back(qtbot, make_window):
    """The results of a log file run from the Logs page were replaced by the streaming
    simulator's within a second: they stay until “Back to live results” is pressed."""
    window = make_window()
    window.connect_source("scripted://pack?n=0&interval=0.01&block=10")
    page, runner = window.diagnostics, window.diagnostics_runner
    qtbot.waitUntil(lambda: runner.auto_refreshing and window.session.ring.total > 20)
    window.show_page(Page.DIAGNOSTICS)
    qtbot.waitUntil(lambda: page.report is not None and not runner.busy, timeout=10_000)
    assert page.report.live and not page.auto_label.isHidden()
    assert page.run_button.text() == "Run on current data"
    runner._timer.setInterval(50)  # the 10 s refresh, quicker
    ticks = []
    runner._timer.timeout.connect(lambda: ticks.append(1))

    full = dict.fromkeys(RESULT_KEYS)
    of_file = DiagnosticsReport(
        full, 9295, 1e5, 20, 0.5, source_url="/x/cell7.csv", kind=ReportKind.FILE
    )
    assert runner.run()  # a live read under way when the file's results come
    window.logs.diagnostics_finished.emit(of_file)
    assert window.current_page is Page.DIAGNOSTICS
    qtbot.waitUntil(lambda: len(ticks) >= 6 and not runner.busy, timeout=10_000)
    window.show_page(Page.DASHBOARD)
    window.show_page(Page.DIAGNOSTICS)  # shown again with new samples: still the file's
    qtbot.waitUntil(lambda: not runner.busy)
    assert page.report is of_file
    assert page.run_status_label.text().startswith("cell7.csv · results of ")
    assert page.auto_label.isHidden()  # the file's results are not refreshed
    assert page.run_button.text() == "Back to live results" and page.run_button.isVisible()

    runner._timer.setInterval(10_000)  # no refresh under way as the button is looked at
    with qtbot.waitSignal(runner.finished, timeout=10_000):
        page.run_button.click()
    assert page.report.live and page.report.source_url.startswith("scripted://")
    assert page.run_button.text() == "Run on current data" and not page.auto_label.isHidden()
    window.session.stop()


def test_back_to_live_is_offered_only_when_a_live_source_has_samples(page):
    """After a per-cycle table's run with nothing connected, "Back to live results" was
    offered: clicking it gave a red "no samples to analyse yet" and kept the file's
    results. With no live samples it is the Run button, disabled, saying why."""
    full = dict.fromkeys(RESULT_KEYS)
    of_file = DiagnosticsReport(
        full, 0, 0.0, 168, 0.01, source_url="/x/b.csv", kind=ReportKind.FILE
    )
    page.show_report(of_file)
    button = page.run_button
    assert button.text() == "Run on current data" and not button.isEnabled()
    assert "connect" in button.toolTip() and "Logs page" in button.toolTip()
    page.set_live_samples(True)  # a source connected and sent samples
    assert button.text() == "Back to live results" and button.isEnabled()
    assert button.toolTip().startswith("These results are of a file:")
    page.show_running()
    page.set_live_samples(True)  # a status update while running does not undo "Running…"
    assert button.text() == "Running…" and not button.isEnabled()
    page.show_report(report_of({}))  # the live results
    assert button.text() == "Run on current data" and button.isEnabled()
    page.set_live_samples(False)  # the source forgotten: nothing to run
    assert not button.isEnabled() and "connect" in button.toolTip()


def test_a_stored_recordings_results_are_not_called_a_files(page):
    """A recording's results were "of a file" in the button's tooltip, and its battery
    note said "the file names none … set the cell's own battery on the Logs page", which
    cannot be done for a recording."""
    from app.views.history_loader import NO_BATTERY_STORED

    full = dict.fromkeys(RESULT_KEYS)
    recording = DiagnosticsReport(
        full, 600, 299.5, 0, 0.01, source_url="sim://nmc?cells=4", source_name="Recording #3",
        kind=ReportKind.RECORDING, battery_guess=NO_BATTERY_STORED,
    )  # fmt: skip
    page.set_live_samples(True)
    page.show_report(recording)
    assert page.run_button.toolTip().startswith("These results are of a stored recording:")
    note = page.battery_note_label.text()
    assert note.startswith(f"Battery assumed (the recording stored none): {NO_BATTERY_STORED}.")
    assert "file" not in note and "Logs page" not in note
    assert note.count("stored no battery") + note.count("stored none") == 1  # said once


def test_refreshed_every_is_not_claimed_after_the_source_finished(qtbot, make_window):
    window = make_window()
    window.connect_source("scripted://pack?n=300&block=50")
    qtbot.waitUntil(lambda: window.session.status.state is AcquisitionState.FINISHED)
    page = window.diagnostics
    window.show_page(Page.DIAGNOSTICS)
    qtbot.waitUntil(lambda: page.report is not None, timeout=10_000)
    assert page.report.live and page.report.samples == 300
    assert page.auto_label.isHidden()  # it said "Refreshed every 10 s" over final results


@pytest.mark.parametrize("chemistry", ["lfp", "nmc"])
def test_a_replayed_log_the_battery_does_not_fit_is_warned_of_as_the_logs_page_does(
    qtbot, make_window, tmp_path, chemistry
):
    """An NMC cell's log replayed as LFP: the live engine's results carry the same
    warning as the log file's run (and ``analyze``); replayed as NMC, none."""
    from app.views.log_analysis import (
        BatterySettings,
        open_analysis,
        run_log_diagnostics,
        with_settings,
    )
    from tests.views.test_logs_page import discharge_positive_log

    path = discharge_positive_log(tmp_path)
    settings = BatterySettings(chemistry=chemistry, capacity_ah=5.0, cells=1, invert_current=True)
    offline = run_log_diagnostics(with_settings(open_analysis(path), settings))
    window = make_window()
    window.connect_source(
        f"file://{path}?chemistry={chemistry}&capacity_ah=5&cells=1&invert_current=1"
    )
    qtbot.waitUntil(
        lambda: window.session.status.state is AcquisitionState.FINISHED, timeout=20_000
    )
    page = window.diagnostics
    with qtbot.waitSignal(window.diagnostics_runner.finished, timeout=30_000) as done:
        window.show_page(Page.DIAGNOSTICS)
    live = done.args[0]
    assert live.live and live.battery_warning == offline.battery_warning
    if chemistry == "lfp":
        assert live.battery_warning.startswith("the cell voltage (")
        assert page.battery_note_label.isVisible()
        assert live.battery_warning in page.battery_note_label.text()
        # in the window's words, not the command line's ('give --chemistry nmc')
        assert live.battery_warning.endswith("the nmc preset fits it: choose the chemistry nmc")
    else:
        assert live.battery_warning is None and page.battery_note_label.isHidden()
    window.session.stop()


def test_the_fade_card_says_what_its_retention_compares():
    # "84.1 % retained" beside "reached at cycle 16": the mean of the last 5 cycles
    # over the first 5, not the last cycle over the first (0.794)
    fade = {
        "status": "ok",
        "capacity_retention": 0.841,
        "cycles_used": 20,
        "retention_vs_nominal": 0.773,
        "nominal_capacity_ah": 0.35,
    }
    numbers = dict(summarize("capacity_fade", fade).numbers)
    assert numbers["Retained"] == (
        "84.1 %: mean of the last 5 cycles over the first 5; 0.773 of 0.35 Ah nominal"
    )
    # critical for its end of life, which the headline names beside the retention
    past = {**fade, "severity": "critical", "eol_reached_cycle": 16}
    card = summarize("capacity_fade", past)
    assert card.status is Status.CRITICAL
    assert card.headline == "84.1 % retained · end of life reached at cycle 16"
    assert summarize("capacity_fade", fade).headline == "84.1 % retained"


def test_cell_balance_card_with_a_shorted_cell_is_consistent_and_not_ok():
    """The user's sim (4-cell NMC drive, internal short in cell 2 from 600 s): the card
    read "ok", its headline 18.6 mV appeared nowhere in its table, and "Outlier cells: 2"
    could mean two cells. Now the headline figure is in the table under the headline's
    words, the outlier reads "cell 2", and the short in cell 2 makes it critical."""
    from app.views.diagnostics_catalog import with_suspect_cell_readings

    r = {
        "status": "ok", "action": "watch", "spread_mv": 14.7, "spread_max_mv": 32.2,
        "spread_judged_mv": 18.6, "judged_on": "rest, 20-95 % SOC", "judged_window_s": 420.0,
        "spread_trend_mv_per_h": 53.4, "spread_trend_stderr_mv_per_h": 34.6,
        "outlier_cells": [2], "weak_cells": [], "recent_deviation_mv": [5.0, -18.0, 2.0, 1.0],
        "recommendation": "balanced overall, but cell 2 sits apart: watch it",
    }  # fmt: skip
    card = summarize("cell_balance", r)
    assert card.headline == "18.6 mV spread (rest, 20-95 % SOC, last 7 min)"
    numbers = dict(card.numbers)
    assert numbers["Spread (rest, 20-95 % SOC, last 7 min)"] == "18.6 mV"
    assert numbers["Outlier cells"] == "cell 2"
    assert (
        dict(summarize("cell_balance", {**r, "outlier_cells": [2, 3]}).numbers)["Outlier cells"]
        == "cells 2, 3"
    )
    short = {"kind": "internal_short", "start_time_s": 630.0, "end_time_s": 1799.0,
             "severity": "critical", "channel": "cell_2_v", "detail": {}}  # fmt: skip
    card = with_suspect_cell_readings(card, [short], r)
    assert card.status is Status.CRITICAL
    # the spread as the dashboard shows it now, and its largest: a short drifts apart,
    # and the judged median at mid SOC read 6.1 mV beside 353 mV on the dashboard
    assert card.headline == "internal short in cell 2; spread now 14.7 mV (largest 32.2 mV)"
    assert card.reason.startswith("Check or replace cell 2: fault detection found an internal")
    assert "sits 18 mV below the median" in card.reason
    assert dict(card.numbers)["Action"] == "replace a cell"
    # no short: the card as it was
    assert with_suspect_cell_readings(summarize("cell_balance", r), [], r).status is Status.OK


def test_the_soc_card_says_a_bms_difference_within_our_band_is_inconclusive():
    # LFP on its flat plateau from an unknown start: ours ±21.7 %, the BMS 11.3 % away
    r = {"final_soc_percent": 79.4, "final_soc_sigma_percent": 10.85,
         "initial_soc_percent": 46.6, "bms_reported_final_percent": 99.0,
         "bms_difference_rms_percent": 11.3, "bms_difference_max_abs_percent": 20.1}  # fmt: skip
    items = summarize("soc", r).items
    assert (
        "No case against the BMS: the difference is within our own ±21.7 % band (the check "
        "is inconclusive within it)"
    ) in items
    sure = summarize("soc", {**r, "final_soc_sigma_percent": 0.5}).items
    assert not any("inconclusive" in i for i in sure)


def test_a_misfit_note_does_not_rule_out_an_overcharge():
    # an over-voltage fault on the simulator's own NMC pack: every card said it
    # "rests on a battery that does not fit", as if the battery were the mistake
    from app.views.diagnostics_catalog import ResultSummary, with_battery_note

    faults = ResultSummary(Status.CRITICAL, "4 faults", ())
    note = with_battery_note("faults", faults, guessed=False, misfit=True).reason
    assert "overcharged or over-discharged, or not this battery" in note
    assert "does not fit" not in note


def test_a_misfit_note_names_both_ends_of_the_voltage_window():
    """MB-0.mpr's cell at 1.49 V, under an NMC's 2.5 V minimum, read "... pass much of
    the time: overcharged, or not this battery": the note names no one end."""
    from app.views.diagnostics_catalog import ResultSummary, with_battery_note

    soc = ResultSummary(Status.WARNING, "0.0 % ±1.0", ())
    note = with_battery_note("soc", soc, guessed=False, misfit=True, of="source").reason
    assert "voltage window the source's cells leave much of the time" in note
    assert "over-discharged" in note


@pytest.mark.parametrize(
    ("kind", "word", "reason"),
    [
        (ReportKind.LIVE, "source", "a cell reads dead or open (0 V) now"),
        (ReportKind.RECORDING, "recording", "at the end of the recording"),
        (ReportKind.FILE, "log", "at the end of the log"),
    ],
)
def test_a_not_valid_result_names_what_its_data_are(page, kind, word, reason):
    """A live source's SOC under a dead cell read 'Not valid for this log': it says
    'this source' of a live one, 'this recording' of a stored one, 'this log' of a file."""
    from dataclasses import replace

    from app.diagnostics.cell_balance import check_cell_balance

    spec, df = _dead_cell_2()
    full = dict.fromkeys(RESULT_KEYS)
    full["cell_balance"] = check_cell_balance(df, spec).to_dict()
    full["soc"] = {
        "final_soc_percent": 42.04,
        "final_band_low_percent": 40.0,
        "final_band_high_percent": 44.0,
        "method": "extended Kalman filter",
    }
    report = DiagnosticsReport(
        full, len(df), len(df) - 1.0, 0, 0.01, source_url="sim://nmc", kind=kind
    )
    page.show_report(report)
    note = page.summaries["soc"].reason.splitlines()[0]
    assert note.startswith(f"Not valid for this {word}: ") and reason in note
    assert report.warnings[-1].endswith(f"is not valid for this {word}")
    assert "cell 2 (0.00 V now)" in dict(page.summaries["cell_balance"].numbers).values()
    # a battery that does not fit the voltages: its note names the data so too
    page.show_report(replace(report, battery_warning="the cells sit outside its window"))
    assert f"whose voltage window the {word}'s cells leave" in page.summaries["soc"].reason


def test_a_wide_window_widens_the_results_and_keeps_the_detail_readable(page, qtbot):
    """At 1920 px the Results column stayed 240 px wide (a reason a few words a line)
    while the detail ran 200-character lines across the rest. The results take a share
    of the width, and the detail's text keeps to a line length that reads."""
    from PySide6.QtWidgets import QScrollArea

    detail = page.findChild(QScrollArea, "detailScroll")
    results = page.findChild(QScrollArea, "resultsScroll")
    em = page.fontMetrics().horizontalAdvance("n")
    narrow = results.width()
    page.resize(1700, 1000)
    qtbot.waitUntil(lambda: detail.width() + results.width() > 1400)
    assert results.width() >= 0.3 * (detail.width() + results.width())
    assert results.width() > narrow
    from app.views.diagnostics_page import DETAIL_MAX_CHARS

    assert page.detail.width() <= DETAIL_MAX_CHARS * em < detail.viewport().width()
    # narrow again: the columns share it as before, nothing cut on the right
    page.resize(840, 700)
    qtbot.waitUntil(lambda: results.width() <= narrow)
    assert results.widget().width() <= results.viewport().width()
    assert detail.widget().width() <= detail.viewport().width()


def test_the_soh_card_judges_at_the_end_of_life_cycle_life_was_given(page):
    """At End of life 70 % (--eol-fraction 0.7) a 72.8 % cell's SOH card warned, against a
    fixed 80 %, beside cycle life's 12 cycles left; the report's row judges at 70 %."""
    soh = {"soh_percent": 72.8, "soh_method": "capacity", "soh_capacity_percent": 72.8}
    page.show_report(report_of({"soh": soh, "cycle_life": {"eol_fraction": 0.7}}))
    assert page.summaries["soh"].status is Status.WARNING  # (within 5 % of it: the report's WARN)
    page.show_report(
        report_of({"soh": {**soh, "soh_percent": 76.0}, "cycle_life": {"eol_fraction": 0.7}})
    )
    assert page.summaries["soh"].status is Status.OK
    page.show_report(
        report_of({"soh": {**soh, "soh_percent": 68.0}, "cycle_life": {"eol_fraction": 0.7}})
    )
    assert page.summaries["soh"].status is Status.CRITICAL
    page.show_report(report_of({"soh": soh}))  # no cycle life: the usual 80 %
    assert page.summaries["soh"].status is Status.CRITICAL


@pytest.mark.parametrize("eol", [None, 0.7])
@pytest.mark.parametrize("percent", [60.0, 69.9, 72.0, 78.0, 82.0, 84.9, 85.0, 95.0])
def test_the_soh_card_says_what_the_reports_soh_row_says(page, percent, eol):
    """The card read a 70.3 % cell past its 80 % end of life (NASA B0005) as a mere
    warning beside the report's FAIL and cycle life's critical 'end of life reached'."""
    from app.reports.verdicts import Verdict, findings

    soh = {"soh_percent": percent, "soh_method": "capacity", "soh_capacity_percent": percent}
    results = {"soh": soh} | ({"cycle_life": {"eol_fraction": eol}} if eol else {})
    page.show_report(report_of(results))
    report = {"results": {"soh": soh, "cycle_life": results.get("cycle_life")}, "cycles": []}
    (row,) = [f for f in findings(report) if f.diagnostic == "soh"]
    expected = {
        Verdict.FAIL: Status.CRITICAL,
        Verdict.WARN: Status.WARNING,
        Verdict.PASS: Status.OK,
    }
    assert page.summaries["soh"].status is expected[row.verdict]


def test_the_soc_card_names_the_time_gaps_not_counted():
    """A log with an hour lost: the SOC's notes (the gap, the current across it not
    counted) are on the card, as ``analyze`` prints them; the card showed none."""
    from app.core.spec import preset
    from app.diagnostics.soc import calculate_soc
    from app.hardware.simulator import NoiseSpec, simulate

    spec = preset("nmc", capacity_ah=5.0, series_cells=2)
    df = simulate(spec, "drive", duration_s=7200.0, dt_s=1.0, seed=4,
                  noise=NoiseSpec.typical(spec)).to_frame()  # fmt: skip
    df = df[(df["time_s"] < 2000.0) | (df["time_s"] > 5600.0)]
    result, _ = calculate_soc(df, spec)
    assert result.notes and "gap" in result.notes[0]
    items = summarize("soc", result.to_dict()).items
    assert any("gap" in item and "60 min" in item for item in items)


def test_a_result_not_valid_for_the_voltage_window_says_so_once(page):
    """On a log whose cells leave the battery's voltage window (the Neware log read as
    NMC) the SOC card said it twice: 'Not valid for this log: the cell voltages lie
    outside the battery's voltage window (see the warning above).' and 'Judged against
    the battery given, whose voltage window the log's cells leave ... (see the warning
    above).' The not-valid note stays; the others judged against the battery keep theirs."""
    from app.diagnostics.input_validity import WINDOW_REASON, battery_invalid

    full = dict.fromkeys(RESULT_KEYS)
    full["soc"] = {
        "final_soc_percent": 43.0,
        "final_band_low_percent": 39.4,
        "final_band_high_percent": 46.6,
        "method": "extended Kalman filter",
    }
    full["internal_resistance"] = {
        "n_pulses": 3, "median_r_10s_cell_ohm": 0.22, "median_r_10s_ohm": 0.22
    }  # fmt: skip
    report = DiagnosticsReport(
        full, 9295, 100543.0, 0, 0.01, log_path="/data/nw.csv", kind=ReportKind.FILE,
        battery_warning="the cell voltage (3.91-4.66 V) is above the preset's 4.2 V maximum",
        input_invalid=battery_invalid("window"),
    )  # fmt: skip
    page.show_report(report)
    soc = page.summaries["soc"].reason
    assert soc.count("see the warning above") == 1, soc
    assert soc.startswith(f"Not valid for this log: {WINDOW_REASON}")
    resistance = page.summaries["internal_resistance"]
    assert resistance.status is Status.INFO  # "measured"
    assert "whose voltage window the log's cells leave" in resistance.reason
