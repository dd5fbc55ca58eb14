"""What ``batteryos analyze`` warns of its input, the GUI says too (GUI reviewer): a CSV
cut off mid-row (the row left out, nothing before it lost), a per-cycle table's invalid
rows ("cycle 39 (-5 Ah)"), and a dead cell that makes the pack's SOC not valid, on the
Logs page and the Diagnostics page, of a file and live."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from app.cli import main
from app.hardware.acquisition import AcquisitionState
from app.hardware.logs.formats import open_log
from app.views.diagnostics_catalog import Status
from tests.real_data import REAL_DATA

NEWARE = "neware/nw_regular_export_ife_example.csv"
DEAD_CELL_URL = (
    "sim://nmc?cells=4&profile=drive&speed=0&duration=1800"
    "&fault=thermal_runaway&fault_at=600&fault_cell=3"
)


def _cut_mid_row(tmp_path):
    """The Neware export with its last line cut half-way (a copy that stopped)."""
    path = tmp_path / "nw_cut.csv"
    shutil.copy(REAL_DATA / NEWARE, path)
    body = path.read_bytes().rstrip(b"\r\n")
    last = body.rfind(b"\n") + 1
    path.write_bytes(body[: last + (len(body) - last) // 2])
    return str(path)


def _settled(page) -> bool:
    return not page.loading and not page.busy


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
def test_a_csv_cut_mid_row_keeps_every_row_before_it_and_says_so(tmp_path, capsys):
    whole = open_log(str(REAL_DATA / NEWARE), use_cache=False)
    path = _cut_mid_row(tmp_path)
    cut = open_log(path, use_cache=False)
    # the cut row is left out (its temperature and counters were lost), the rest kept
    assert len(cut.frame) == len(whole.frame) - 1
    assert cut.frame.equals(whole.frame.iloc[:-1])
    warning = cut.metadata["warnings"]
    assert "the file ends mid-row" in warning and "line 9398" in warning
    assert "10 of the 22 fields" in warning and "left out" in warning
    # the whole file, with its line end: no warning
    assert not open_log(str(REAL_DATA / NEWARE), use_cache=False).metadata.get("warnings")
    # and a second open (from the cache for a file of a MB) says it again
    assert open_log(path).metadata["warnings"] == warning
    assert open_log(path).metadata["warnings"] == warning
    assert main(["analyze", path, "--chemistry", "nmc", "--capacity-ah", "0.33"]) == 0
    out = capsys.readouterr().out
    assert (
        "warning       the file ends mid-row (a truncated file?): its last line, line 9398" in out
    )


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
def test_the_logs_page_says_a_file_was_cut_mid_row(qtbot, logs_page, tmp_path):
    path = _cut_mid_row(tmp_path)
    logs_page.open_file(path)
    qtbot.waitUntil(lambda: _settled(logs_page), timeout=60_000)
    assert not logs_page.status_is_error  # opened, not refused
    assert "9,294 samples, 20 cycles. Warning: the file ends mid-row" in logs_page.status_text
    assert logs_page.status_label.objectName() == "warningText"
    assert not logs_page.file_warning.isHidden()
    shown = logs_page.file_warning.text().replace("\u200b", "")
    assert shown.startswith("Warning: the file ends mid-row") and "line 9398" in shown
    with qtbot.waitSignal(logs_page.diagnostics_finished, timeout=120_000) as signal:
        logs_page.run_diagnostics()
    report = signal.args[0]
    assert any("the file ends mid-row" in w for w in report.warnings)


def _per_cycle_table(tmp_path) -> str:
    """200 cycles of a 1.1 Ah cell; cycle 39 reads -5 Ah (the CLI's fixture)."""
    n = np.arange(1, 201)
    cap = 1.1 * (1 - 0.001 * n)
    lines = ["cycle_index,discharge_capacity_ah"]
    lines += [f"{k},{'-5' if k == 39 else f'{q:.6f}'}" for k, q in zip(n, cap, strict=True)]
    path = tmp_path / "cells_capacity.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_a_per_cycle_tables_invalid_rows_are_warned_as_the_cli_does(qtbot, make_window, tmp_path):
    path = _per_cycle_table(tmp_path)
    window = make_window()
    window.open_in_logs([path])
    qtbot.waitUntil(lambda: _settled(window.logs), timeout=60_000)
    with qtbot.waitSignal(window.logs.diagnostics_finished, timeout=120_000) as signal:
        window.logs.diagnostics_button.click()
    said = "1 row of the per-cycle table left out: cycle 39 (-5 Ah)"
    assert any(said in w for w in signal.args[0].warnings)
    assert said in window.logs.action_label.text()
    page = window.diagnostics
    qtbot.waitUntil(lambda: said in page.battery_note_label.text())
    assert page.battery_note_label.isVisibleTo(page)


def _dead_cell_log(path, read_source) -> str:
    from app.hardware.logs.canonical_csv import LoadedLog
    from app.hardware.logs.export import write_log

    spec, samples = read_source(DEAD_CELL_URL)
    meta = {"spec": json.dumps(spec.to_dict())}
    write_log(str(path), LoadedLog(str(path), samples.to_frame(), meta))
    return str(path)


def _soc_not_valid(page, of: str = "log") -> bool:
    soc = page.summaries["soc"]
    return soc.status is Status.WARNING and f"Not valid for this {of}: a cell reads dead" in (
        soc.reason or ""
    )


def test_a_dead_cell_makes_the_soc_card_not_valid_of_a_file_and_live(
    qtbot, make_window, tmp_path, read_source
):
    path = _dead_cell_log(tmp_path / "runaway.csv", read_source)
    window = make_window()
    window.open_in_logs([path])
    qtbot.waitUntil(lambda: _settled(window.logs), timeout=60_000)
    with qtbot.waitSignal(window.logs.diagnostics_finished, timeout=120_000) as signal:
        window.logs.diagnostics_button.click()
    assert signal.args[0].invalid_results == {
        "soc": "a cell reads dead or open (0 V) at the end of the log"
    }
    page = window.diagnostics
    qtbot.waitUntil(lambda: _soc_not_valid(page))
    assert "cell 3 reads 0.00 V" in page.battery_note_label.text()
    assert page.cards["soc"].reason_label.text().startswith("Not valid for this log")
    # live: the same source streamed, the same card
    assert window.connect_source(DEAD_CELL_URL) is None
    qtbot.waitUntil(
        lambda: window.session.status.state is AcquisitionState.FINISHED, timeout=120_000
    )
    with qtbot.waitSignal(window.diagnostics_runner.finished, timeout=120_000) as live:
        window.diagnostics_runner.run()
    assert live.args[0].live and "soc" in live.args[0].invalid_results
    # (a live source's words: 'this source', its cell dead 'now')
    qtbot.waitUntil(lambda: page.report is live.args[0] and _soc_not_valid(page, "source"))


def test_a_last_line_without_a_line_end_is_kept_with_a_warning_and_a_short_one_left_out(tmp_path):
    """A canonical CSV whose last line has every field but no line end (a lazy writer,
    or a cut inside the last value) keeps the row and says it may be cut; one cut before
    its last field loses only that row."""
    rows = "\n".join(f"{t},{3.7 - 0.001 * t:.4f},-1.0" for t in range(50))
    whole = tmp_path / "whole.csv"
    whole.write_text(f"time_s,voltage_v,current_a\n{rows}\n", encoding="utf-8")
    kept = tmp_path / "kept.csv"
    kept.write_text(f"time_s,voltage_v,current_a\n{rows}", encoding="utf-8")
    short = tmp_path / "short.csv"
    short.write_text(f"time_s,voltage_v,current_a\n{rows[:-5]}", encoding="utf-8")
    full = open_log(str(whole), use_cache=False)
    log = open_log(str(kept), use_cache=False)
    assert log.frame.equals(full.frame)
    assert "line 51 ('49,3.6510,-1.0'), has all 3 fields" in log.metadata["warnings"]
    assert "it is kept" in log.metadata["warnings"]
    log = open_log(str(short), use_cache=False)
    assert log.frame.equals(full.frame.iloc[:-1])
    assert "line 51 ('49,3.6510'), has 2 of the 3 fields" in log.metadata["warnings"]


ARBIN = "arbin/2017-05-09_test-TC-contact_CH33.csv"


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
def test_the_logs_page_tells_a_wrong_chemistry_as_analyze_and_the_live_engine_do(
    qtbot, make_window, capsys
):
    """The Arbin A123 LFP cell read as NMC 1.1 Ah: ``analyze`` says the cell looks LFP and
    marks the SOC, safety and faults not valid; the Logs page's diagnostics said nothing
    (its battery warning checked only the voltage window and the pinned SOC)."""
    from app.core import schema
    from app.core.samples import SampleBlock
    from app.diagnostics.live import LiveEngine
    from app.views.log_files import LOGS_PAGE_WORDS

    path = str(REAL_DATA / ARBIN)
    assert main(["analyze", path, "--chemistry", "nmc", "--capacity-ah", "1.1", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    (cli_warning,) = [w for w in cli["warnings"] if w.startswith("the cell looks lfp, not nmc")]
    window = make_window()
    window.open_in_logs([path])
    logs = window.logs
    qtbot.waitUntil(lambda: _settled(logs), timeout=60_000)
    logs.chemistry_combo.setCurrentIndex(logs.chemistry_combo.findData("nmc"))
    logs.capacity_spin.setValue(1.1)
    with qtbot.waitSignal(logs.diagnostics_finished, timeout=120_000) as signal:
        logs.diagnostics_button.click()
    report = signal.args[0]
    # the CLI's warning, its hint in the page's words
    hint = "give --chemistry lfp (or the capacity is not 1.1 Ah)"
    assert cli_warning.endswith(hint)
    assert report.battery_warning.startswith(cli_warning[: -len(hint)])
    assert report.battery_warning.endswith(
        "choose the chemistry lfp (or the capacity is not 1.1 Ah)"
    )
    assert report.invalid_results == cli["invalid_results"]
    assert set(report.invalid_results) == {"soc", "safety", "faults"}
    page = window.diagnostics
    qtbot.waitUntil(lambda: page.report is report, timeout=10_000)
    assert "Warning: the cell looks lfp, not nmc" in page.battery_note_label.text()
    soc_reason = page.cards["soc"].reason_label.text()
    assert soc_reason.startswith("Not valid for this log: the log looks")
    # (not the voltage window's note: the cells live inside it)
    assert "voltage window the log's cells leave" not in soc_reason
    # the live engine fed the log block by block warns the same
    frame = open_log(path, use_cache=False).frame
    columns = [c for c in frame.columns if schema.is_canonical_column(c)]
    engine = LiveEngine(logs.selected.spec)
    for start in range(0, len(frame), 500):
        part = frame.iloc[start : start + 500]
        engine(SampleBlock({c: part[c].to_numpy(float) for c in columns}))
    engine.finish()
    assert engine.spec_fit_warning(LOGS_PAGE_WORDS) == report.battery_warning
    assert engine.spec_fit_check(LOGS_PAGE_WORDS) == (report.battery_warning, report.input_invalid)
