"""The Logs page's diagnostics are `batteryos analyze`'s for the same file and settings:
the capacity typed is the end-of-life reference (--capacity-ah), the end of life the
--eol-fraction, the OCV table the --ocv-table, over the file's own battery."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from app.cli import main
from app.core.spec import preset
from app.views.logs_page import CYCLES_TAB
from tests.ocv_tables import write_ocv_table
from tests.real_data import REAL_DATA

pytestmark = pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")


def neware() -> str:
    return str(REAL_DATA / "neware" / "nw_regular_export_ife_example.csv")


def cli_results(capsys, *args: str) -> dict:
    capsys.readouterr()
    assert main(["analyze", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["results"]


def gui_results(qtbot, page, path: str) -> dict:
    page.open_file(path)
    qtbot.waitUntil(lambda: not page.loading and not page.busy, timeout=60_000)
    assert not page.status_is_error, page.status_text
    return page


def run(qtbot, page) -> dict:
    with qtbot.waitSignal(page.diagnostics_finished, timeout=120_000) as signal:
        page.diagnostics_button.click()
    # the report's results as the CLI prints them (plain JSON)
    return json.loads(json.dumps(signal.args[0].results, allow_nan=False))


def test_typed_capacity_and_end_of_life_give_the_cli_results(qtbot, logs_page, capsys):
    page = gui_results(qtbot, logs_page, neware())
    page.chemistry_combo.setCurrentIndex(page.chemistry_combo.findData("nmc"))
    page.capacity_spin.setValue(0.35)
    page.cells_spin.setValue(1)
    page.eol_spin.setValue(75.0)
    gui = run(qtbot, page)  # without Apply: the run uses what the form shows
    cli = cli_results(
        capsys, neware(), "--chemistry", "nmc", "--capacity-ah", "0.35", "--cells", "1",
        "--eol-fraction", "0.75",
    )  # fmt: skip
    life = gui["cycle_life"]
    assert life["reference_source"] != "initial_cycles"
    assert life["eol_capacity_ah"] == pytest.approx(0.75 * 0.35)
    assert gui == cli
    assert page.selected.settings.capacity_ah == 0.35  # applied for the run
    assert "batteryos analyze" in page.spec_note.text()
    # its 3.9-4.7 V cell fits no preset: the note warns as analyze does
    assert "Warning: the cell voltage (3.91-4.66 V" in page.spec_note.text()


def test_without_settings_the_guess_is_the_cli_given_the_guessed_battery(qtbot, logs_page, capsys):
    """Nothing typed: the guessed battery the form shows is the user's, as the CLI needs it
    given for a file naming none (--chemistry, --capacity-ah, --cells): end of life is 80 %
    of the capacity shown (0.332 Ah: reached at cycle 20), not of the first cycles' 0.322 Ah
    (which forecast it at cycle 25, 'ok')."""
    page = gui_results(qtbot, logs_page, neware())
    spec = page.selected.spec
    assert spec.capacity_ah == pytest.approx(0.332)
    assert page.capacity_spin.value() == pytest.approx(0.332)  # what the user sees
    gui = run(qtbot, page)
    args = ["--chemistry", spec.chemistry.value, "--cells", str(spec.series_cells)]
    cli = cli_results(capsys, neware(), *args, "--capacity-ah", f"{spec.capacity_ah:g}")
    assert gui == cli
    life = gui["cycle_life"]
    assert life["reference_source"] == "nominal"
    assert life["reference_capacity_ah"] == pytest.approx(0.332)
    assert (life["status"], life["severity"]) == ("reached", "critical")
    assert life["predicted_eol_cycle"] == 20


def test_an_ocv_table_is_used_as_the_cli_uses_it(qtbot, logs_page, capsys, tmp_path):
    nmc = preset("nmc")
    table = tmp_path / "ocv.csv"
    soc = np.linspace(0.0, 100.0, 21)
    ocv = nmc.cell_ocv(soc) + 0.02  # another cell's curve: the SOC moves
    write_ocv_table(table, soc, ocv)
    page = gui_results(qtbot, logs_page, neware())
    preset_soc = run(qtbot, page)["soc"]
    page.set_ocv_table(str(table))
    page.apply_spec_button.click()
    qtbot.waitUntil(lambda: page.selected.settings.ocv_table == str(table), timeout=30_000)
    assert page.selected.spec.ocv_v == pytest.approx(tuple(ocv), abs=1e-4)
    gui = run(qtbot, page)
    spec = page.selected.spec
    cli = cli_results(
        capsys, neware(), "--chemistry", "nmc", "--capacity-ah", f"{spec.capacity_ah!r}",
        "--cells", "1", "--ocv-table", str(table),
    )  # fmt: skip
    assert gui == cli
    assert gui["soc"]["final_soc_percent"] != preset_soc["final_soc_percent"]
    # measured on a C/50 discharge: "Measured at" is --ocv-table-current-c
    page.ocv_current_edit.setText("-0.02")
    rated = run(qtbot, page)  # without Apply: the run uses what the form shows
    assert page.selected.spec.ocv_table_current_c == -0.02
    cli = cli_results(
        capsys, neware(), "--chemistry", "nmc", "--capacity-ah", f"{spec.capacity_ah!r}",
        "--cells", "1", "--ocv-table", str(table), "--ocv-table-current-c", "-0.02",
    )  # fmt: skip
    assert rated == cli
    assert rated["soc"]["final_soc_percent"] != gui["soc"]["final_soc_percent"]


def test_a_per_cycle_table_opens_and_gives_the_cli_lifetime_results(qtbot, logs_page, capsys):
    """NASA B0005 (2 Ah rated): the capacity series `analyze` runs the lifetime diagnostics
    on opens in the Logs page too, and gives the same end of life, guessed or typed."""
    path = str(REAL_DATA / "capacity" / "nasa_B0005_capacity.csv")
    page = gui_results(qtbot, logs_page, path)
    assert "per-cycle table" in page.status_text and "168 cycles" in page.status_text
    x, capacity = page.cycle_plots.curves[(0, f"{page.selected.path}:discharge")].getData()
    assert len(x) == 168 and capacity[0] == pytest.approx(1.856487)
    assert not page.import_button.isEnabled() and not page.replay_button.isEnabled()
    assert page.ica_note.text() == "A per-cycle table has no samples: dQ/dV needs them."
    assert "168 cycles (1–168)" in page.file_info.text()
    assert page.tabs.currentIndex() == CYCLES_TAB  # not the empty sample plots
    gui = run(qtbot, page)
    assert gui == cli_results(capsys, path)  # nothing set: `analyze FILE`
    assert gui["soc"] is None and gui["cycle_life"]["reference_source"] == "initial_cycles"
    # the Capacity field shows the capacity the diagnostics measure end of life against
    # (it showed the largest cycle's, 1.86 Ah, beside "80 % of 1.842 Ah")
    reference = gui["cycle_life"]["reference_capacity_ah"]
    assert reference == pytest.approx(1.8416, abs=1e-4)
    assert (
        page.capacity_spin.text()
        == "1.842 Ah"
        == page.capacity_spin.textFromValue(reference) + " Ah"
    )
    assert "mean of the first 5" in page.spec_note.text()
    page.apply_spec_button.click()  # applying the capacity shown changes no result
    applied = run(qtbot, page)
    assert applied["cycle_life"]["eol_capacity_ah"] == pytest.approx(0.8 * reference, rel=1e-3)
    assert applied["cycle_life"]["predicted_eol_cycle"] == gui["cycle_life"]["predicted_eol_cycle"]
    page.capacity_spin.setValue(2.0)
    gui = run(qtbot, page)
    cli = cli_results(capsys, path, "--chemistry", "nmc", "--capacity-ah", "2", "--cells", "1")
    assert gui == cli and gui["cycle_life"]["eol_capacity_ah"] == pytest.approx(1.6)


def test_the_diagnostics_page_names_the_table_and_why_the_rest_is_missing(qtbot, make_window):
    from app.views.diagnostics_catalog import NO_SAMPLES

    window = make_window()
    path = str(REAL_DATA / "capacity" / "calce_CS2_35_capacity.csv")
    window.open_in_logs([path])
    qtbot.waitUntil(lambda: not window.logs.loading and not window.logs.busy, timeout=60_000)
    with qtbot.waitSignal(window.logs.diagnostics_finished, timeout=120_000):
        window.logs.diagnostics_button.click()
    page = window.diagnostics
    status = page.run_status_label.text()
    assert status.startswith("calce_CS2_35_capacity.csv · results of ")
    assert "882 cycles of a per-cycle table" in status
    assert page.summaries["soc"] == NO_SAMPLES
    # the cell is past its end of life (cycle 523): critical on both cards alike
    assert page.summaries["cycle_life"].status.value == "critical"
    assert page.summaries["capacity_fade"].status == page.summaries["cycle_life"].status


def test_a_file_naming_its_battery_agrees_with_and_without_settings(
    qtbot, logs_page, capsys, tmp_path
):
    """A Battery OS CSV with its battery (an LFP pack with its own OCV table): untouched,
    the file's battery (`analyze FILE`); a capacity typed keeps the file's OCV table and
    limits, as --capacity-ah over the file's spec does."""
    table = tmp_path / "lfp_ocv.csv"
    lfp = preset("lfp")
    soc = np.linspace(0.0, 100.0, 11)
    write_ocv_table(table, soc, lfp.cell_ocv(soc) + 0.01)
    log = tmp_path / "pack.csv"
    args = ["--chemistry", "lfp", "--capacity-ah", "3", "--cells", "4", "--ocv-table", str(table)]
    assert main(["simulate", *args, "--duration", "3600", "--profile", "hppc", "--seed", "3",
                 "-o", str(log)]) == 0  # fmt: skip
    page = gui_results(qtbot, logs_page, str(log))
    assert page.selected.spec_from_file and page.selected.spec.ocv_v
    assert run(qtbot, page) == cli_results(capsys, str(log))
    page.capacity_spin.setValue(2.7)
    gui = run(qtbot, page)
    assert page.selected.spec.ocv_v == page.selected.file_spec.ocv_v  # the file's table kept
    cli = cli_results(capsys, str(log), "--chemistry", "lfp", "--capacity-ah", "2.7",
                      "--cells", "4")  # fmt: skip
    assert gui == cli


def test_a_damaged_spec_line_is_named_in_the_battery_note(qtbot, logs_page, tmp_path):
    # the note said "Not in the file: guessed ...": the file has one, damaged
    path = tmp_path / "damaged.csv"
    path.write_text(
        '# spec: {"chemistry": "nmc", "capacity_ah": 2, "series_cells": 0}\n'
        "time_s,voltage_v,current_a\n" + "".join(f"{t},3.7,-1\n" for t in range(100))
    )
    page = gui_results(qtbot, logs_page, str(path))
    assert page.selected.spec_problem.endswith("got series_cells = 0")
    assert page.spec_note.text().startswith(
        "The file's battery line is damaged (series cells and parallel strings must be at "
        "least 1, got series_cells = 0) and was ignored: guessed from its voltages"
    )


def test_a_typed_beginning_of_life_resistance_is_the_cli_option(qtbot, logs_page, capsys):
    """'R new (cell)' is --bol-resistance-ohm: typed alone, over the guessed battery, it
    gives the CLI's results and the resistance SOH against it (the Arbin A123 cell)."""
    path = str(REAL_DATA / "arbin" / "2017-05-09_test-TC-contact_CH33.csv")
    page = gui_results(qtbot, logs_page, path)
    spec = page.selected.spec
    assert page.bol_spin.resistance_ohm() is None  # shown as the chemistry's typical
    assert run(qtbot, page)["soh"]["soh_resistance_percent"] is None  # 0.60x the guess
    page.bol_spin.setValue(19.5)  # mOhm
    gui = run(qtbot, page)
    assert page.selected.settings.bol_resistance_ohm == pytest.approx(0.0195)
    cli = cli_results(
        capsys, path, "--chemistry", spec.chemistry.value, "--capacity-ah",
        f"{spec.capacity_ah!r}", "--cells", "1", "--bol-resistance-ohm", "0.0195",
    )  # fmt: skip
    assert gui == cli
    # 19.04 mOhm at 27.4 degC (its pulse's first 10 s), 20.30 at 25 degC, 20.23 at its
    # step's instant (0.165 s after the sample before): 1.037x the 19.5 (95.9 % before)
    assert gui["soh"]["soh_resistance_percent"] == pytest.approx(96.3, abs=0.05)
    page.apply_spec_button.click()  # the form shows it back for the file
    qtbot.waitUntil(lambda: page.apply_spec_button.isEnabled(), timeout=30_000)
    assert page.bol_spin.resistance_ohm() == pytest.approx(0.0195)
    # a replay of the file streams it with the same reference (the live twin's battery)
    assert parse_qs(urlsplit(page.replay_url()).query)["bol_resistance_ohm"] == ["0.0195"]


def test_invert_current_is_the_cli_option(qtbot, logs_page, capsys, tmp_path):
    """The page's "Invert current" and a typed battery give ``analyze --invert-current``'s
    results, a current-sign check that no longer warns among them."""
    from tests.views.test_logs_page import discharge_positive_log

    path = discharge_positive_log(tmp_path)
    page = gui_results(qtbot, logs_page, path)
    page.invert_check.click()
    qtbot.waitUntil(lambda: page.selected.settings.invert_current and not page.busy)
    page.chemistry_combo.setCurrentIndex(page.chemistry_combo.findData("nmc"))
    page.capacity_spin.setValue(5.0)
    page.cells_spin.setValue(1)
    gui = run(qtbot, page)
    battery = ["--chemistry", "nmc", "--capacity-ah", "5", "--cells", "1"]
    assert gui == cli_results(capsys, path, *battery, "--invert-current")
    assert gui != cli_results(capsys, path, *battery)
