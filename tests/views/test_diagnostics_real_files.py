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


def test_soh_by_resistance_against_a_guess_the_cell_contradicts_says_so_not_142_percent():
    """No full cycle in the Arbin excerpt, and the battery is guessed (LFP, 0.603 Ah: the
    excerpt's charge): its A123 cell's 19 mOhm against the preset's 33 mOhm for 0.603 Ah
    read "142.6 % by resistance". Now: no SOH, the two resistances side by side, under
    the names the resistance card uses, and how to give the cell's own."""
    r = results(ARBIN)
    soh = summarize("soh", r["soh"])
    assert r["soh"]["soh_percent"] is None and r["soh"]["soh_resistance_percent"] is None
    assert soh.status is Status.UNAVAILABLE
    ir = summarize("internal_resistance", r["internal_resistance"])
    assert numbers(soh)["R0 fitted (cell)"] == numbers(ir)["R0 fitted (cell)"] == "19.04 mΩ"
    assert numbers(soh)["R new (cell)"] == "33.17 mΩ"
    # (19.04 mOhm at 27.4 degC, the first 10 s of its pulse: 20.30 mOhm at 25 degC,
    # 0.61x the preset's 33.17)
    assert numbers(soh)["R at 25 °C (cell)"] == "20.30 mΩ"
    # (its step, 0.165 s after the sample before, at its instant as a new cell reads it)
    assert numbers(soh)["R at the steps (cell)"] == "20.22 mΩ"
    assert numbers(soh)["Pulse temperature"] == "27.4 °C"
    assert "0.61x the lfp preset's typical value for a 0.603 Ah cell" in soh.reason
    assert "own beginning-of-life resistance (R new: one" in soh.reason  # its field, not the flag
    assert "%" not in soh.headline


def test_the_soc_filters_r0_and_the_pulses_fitted_r0_are_named_apart():
    """The Arbin A123 log's page showed 'R0 in the filter (cell) 34.07 mΩ' and 'R0
    fitted (cell) 19.04 mΩ', nothing saying what each is: the SOC filter's R0 (started at
    the preset's 33.17 mΩ for the guessed 0.603 Ah, barely moved) is named as such."""
    r = results(ARBIN)
    soc = numbers(summarize("soc", r["soc"]))
    ir = numbers(summarize("internal_resistance", r["internal_resistance"]))
    soh = numbers(summarize("soh", r["soh"]))
    assert soc["R0 adapted in the SOC filter (cell)"] == "34.07 mΩ"
    assert ir["R0 fitted (cell)"] == soh["R0 fitted (cell)"] == "19.04 mΩ"
    assert not {label for label in soc if label.startswith("R0")} & (set(ir) | set(soh))


def test_soh_by_resistance_against_the_cells_own_reference():
    """The same log with the cell's rated 1.1 Ah and a new cell's R0 of 19.5 mOhm: its
    19.04 mOhm at 27.4 degC (its pulse's first 10 s) is 20.30 mOhm at 25 degC, 20.23 at
    its step's instant (0.165 s after the sample before, -0.35 % as a new cell reads it),
    1.037x: 96.3 % by resistance (95.9 % before)."""
    from app.views.log_analysis import BatterySettings, with_settings

    analysis = open_analysis(str(REAL_DATA / ARBIN))
    settings = BatterySettings("lfp", 1.1, 1, bol_resistance_ohm=0.0195)
    r = run_log_diagnostics(with_settings(analysis, settings)).results
    soh = summarize("soh", r["soh"])
    res = r["soh"]["soh_resistance_percent"]
    assert res == pytest.approx(96.3, abs=0.05)
    assert soh.headline == "96.3 % by resistance"
    assert numbers(soh)["R new from"] == "spec.bol_resistance_ohm"
    assert any(item.startswith("resistance corrected to 25 °C") for item in soh.items)


def test_a_coin_cells_resistance_reads_in_ohm():
    """The SINTEF coin cell's R0 is tens of ohms: '52.5 Ω', not '52521.01 mΩ'."""
    soc = results(BDF)["soc"]
    assert soc["r0_ohm"] > 1.0
    shown = numbers(summarize("soc", soc))["R0 adapted in the SOC filter (cell)"]
    assert shown == f"{soc['r0_ohm']:.3g} Ω"


# --- the catalogue against what the diagnostics do now ---------------------------------


def nasa_b0005():
    from app.hardware.logs.cycle_table import read_cycle_table

    return read_cycle_table(str(REAL_DATA / "capacity" / "nasa_B0005_capacity.csv"))


def test_cycle_life_card_says_what_end_of_life_is_a_fraction_of():
    from app.diagnostics.suite import run_cycle_table_suite

    given = run_cycle_table_suite(nasa_b0005(), None, reference_capacity_ah=2.0).results
    shown = numbers(summarize("cycle_life", given["cycle_life"]))
    assert shown["Reference"] == "80 % of 2 Ah (the battery's capacity)"
    assert shown["EOL capacity"] == "1.6 Ah"
    first = run_cycle_table_suite(nasa_b0005(), None, eol_fraction=0.7).results["cycle_life"]
    reference = first["reference_capacity_ah"]
    assert numbers(summarize("cycle_life", first))["Reference"] == (
        f"70 % of {reference:.3f} Ah (first cycles)"
    )


def test_no_measurable_fade_reads_as_such_on_both_lifetime_cards():
    """NASA B0005's first 30 cycles: regeneration, no measurable fade; no model is fitted
    and no end of life forecast (as the catalogue says)."""
    from app.diagnostics.suite import run_cycle_table_suite

    r = run_cycle_table_suite(nasa_b0005().head(30), None).results
    assert r["capacity_fade"]["status"] == "no_fade" and r["cycle_life"]["status"] == "no_fade"
    fade, life = (
        summarize("capacity_fade", r["capacity_fade"]),
        summarize("cycle_life", r["cycle_life"]),
    )
    assert fade.headline.endswith("· no measurable fade") and "Model" not in numbers(fade)
    assert fade.reason and "no measurable capacity fade" in fade.reason
    assert life.headline == "no measurable fade" and life.status is Status.OK
    from app.views.diagnostics_catalog import CATALOG_BY_KEY

    assert "no measurable fade" in CATALOG_BY_KEY["capacity_fade"].method
    assert "No measurable fade" in CATALOG_BY_KEY["cycle_life"].method


def test_cell_balance_card_shows_the_action_it_judged():
    """The foxBMS CAN log decodes 4 of the cells over seconds: balanced, action none."""
    r = results("can/foxbms_test_log.txt")["cell_balance"]
    summary = summarize("cell_balance", r)
    assert r["action"] == "none" and summary.status is Status.OK
    assert list(numbers(summary))[0] == "Action" and numbers(summary)["Action"] == "none"
    assert "judged on the 4 of" in summary.reason  # a few of the pack's cells decoded
    window = r["judged_window_s"]
    # a capture of 0.2 s reads "last 0.2 s", not "last 0 s"
    assert window < 1 and summary.headline.endswith(f", last {window:.1f} s)")


def test_runaway_risk_lists_every_criterion_the_catalogue_names():
    from app.views.diagnostics_catalog import CATALOG_BY_KEY

    thermal = results(NEWARE)["thermal"]
    factors = {e["factor"] for e in thermal["runaway_risk_evidence"]}
    assert factors == {"temperature", "excess_rise_rate", "hot_spot", "runaway_onset"}
    items = summarize("thermal", thermal).items
    assert len(items) == 4 and any(i.startswith("hot spot —: not checked") for i in items)
    method = CATALOG_BY_KEY["thermal"].method
    for words in ("hottest reading", "I²R does not explain", "hot spot", "runaway onset"):
        assert words in method


def test_a_per_cycle_table_in_mah_against_a_typed_capacity_in_ah_is_refused(tmp_path):
    """As `analyze --capacity-ah 2` refuses it: no forecast against the wrong units."""
    import pandas as pd

    from app.core.errors import SchemaError
    from app.views.log_analysis import BatterySettings, with_settings

    table = pd.read_csv(REAL_DATA / "capacity" / "nasa_B0005_capacity.csv")
    table["discharge_capacity_ah"] *= 1000
    path = tmp_path / "b0005_mah.csv"
    table.to_csv(path, index=False)
    analysis = with_settings(
        open_analysis(str(path)), BatterySettings(chemistry="nmc", capacity_ah=2.0, cells=1)
    )
    with pytest.raises(SchemaError, match="other units"):
        run_log_diagnostics(analysis)


@pytest.mark.parametrize(
    ("name", "guessed", "warned"),
    [
        # LFP at least 0.603 Ah, from a partial fast charge: its current limits not judged
        (ARBIN, "at least 0.603 Ah, the charge of a partial charge", None),
        # a 3.9-4.7 V cell guessed as the nearest preset, NMC, which it does not fit
        (NEWARE, "the largest full discharge in the log", "Warning: the cell voltage (3.91-4.66"),
        # a lithium/graphite half cell (0.01-2.9 V) guessed as NMC
        (BDF, "the largest full discharge in the log", "Warning: the cell voltage"),
    ],
)
def test_the_diagnostics_page_says_the_battery_was_guessed_where_the_results_are(
    qtbot, name, guessed, warned
):
    """A guessed battery's red Safety and Faults are the guess's limits: the page says so
    above the results, what was guessed and from what, and the misfit warning the Logs
    page shows; the cards judged against the battery say they rest on the guess."""
    from app.views.diagnostics_page import DiagnosticsPage
    from app.views.theme import DARK

    analysis = open_analysis(str(REAL_DATA / name))
    report = run_log_diagnostics(analysis)
    page = DiagnosticsPage(DARK)
    qtbot.addWidget(page)
    page.show()
    page.show_report(report)
    note = page.battery_note_label
    assert note.isVisible()
    text = note.text()
    spec = analysis.spec
    assert text.startswith(
        f"Battery guessed (the file names none): {spec.chemistry.value}, 1 cell in series, "
        f"{spec.capacity_ah:g} Ah"
    )
    assert guessed in text and "set the cell's own battery on the Logs page" in text
    if warned:
        assert warned in text and analysis.spec_warning in text
    else:
        assert "Warning" not in text
    safety = page.summaries["safety"]
    if safety.status is Status.CRITICAL:
        assert "Rests on the guessed battery" in safety.reason
        assert "Rests on the guessed battery" in page.cards["safety"].reason_label.text()
    assert "Rests on" in (page.summaries["soc"].reason or "") or page.summaries["soc"].status in (
        Status.UNAVAILABLE,
    )
    # the battery given (as --chemistry/--capacity-ah): no guess to tell of
    from app.views.log_analysis import BatterySettings, with_settings

    given = with_settings(analysis, BatterySettings("lfp", 1.1, 1))
    page.show_report(run_log_diagnostics(given))
    assert ("Battery guessed" in note.text()) is False
    assert "guessed battery" not in (page.summaries["safety"].reason or "")


def test_a_soh_by_resistance_says_how_it_was_made():
    """No capacity measured, the resistance's SOH: the card's method says so (it read
    "As run: none" under "95.9 % by resistance": the overall SOH's method)."""
    from app.views.log_analysis import BatterySettings, with_settings

    analysis = open_analysis(str(REAL_DATA / ARBIN))
    settings = BatterySettings("lfp", 1.1, 1, bol_resistance_ohm=0.0195)
    r = run_log_diagnostics(with_settings(analysis, settings)).results
    assert r["soh"]["soh_method"] == "none"
    method = summarize("soh", r["soh"]).method
    assert method.startswith(f"resistance: {r['soh']['resistance_metric']} against R new")


def test_the_soc_card_gives_the_voltage_correction_period_this_log_got():
    """The method says "every 5 s of data (at least 60 samples, at most 60 s)"; the Neware
    export, logged every 30 s, got 60 s, as analyze --json's update_period_s: the card
    says so (it showed no period)."""
    soc = results(NEWARE)["soc"]
    shown = numbers(summarize("soc", soc))["Voltage correction every"]
    assert shown == f"{soc['update_period_s']:g} s" == "60 s"
