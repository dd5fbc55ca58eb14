"""The Logs page: any log format opened off the GUI thread with progress and cancel, plots of
V/I/T, capacity and efficiency per cycle and dQ/dV per cycle, overlays, diagnostics, import."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.hardware.logs.formats import open_log
from app.views.theme import LIGHT
from tests.hardware.logs.biologic_files import cycling_columns, mpr_bytes, mpt_text
from tests.ocv_tables import write_ocv_table
from tests.real_data import REAL_DATA

from .plot_data import original

NBSP = "\u00a0"


@pytest.fixture
def page(logs_page):
    return logs_page


def settled(page) -> bool:
    return not page.loading and not page.busy


@pytest.fixture
def two_cells(tmp_path):
    """A 2.0 Ah cell as .mpr and a 1.9 Ah cell as .mpt (decimal comma), 4 cycles at C/5."""
    a = cycling_columns(points=2400, cycles=4, capacity_mah=2000.0, c_rate=0.2)
    b = cycling_columns(points=2400, cycles=4, capacity_mah=1900.0, c_rate=0.2)
    b["Ewe/V"] = (b["Ewe/V"] - 0.03).astype(np.float32)
    path_a, path_b = tmp_path / "cell A.mpr", tmp_path / "cell B.mpt"
    path_a.write_bytes(mpr_bytes(a))
    path_b.write_bytes(mpt_text(b, decimal_comma=True))
    return str(path_a), str(path_b)


def open_files(qtbot, page, *paths):
    for path in paths:
        page.open_file(path)
    qtbot.waitUntil(lambda: settled(page), timeout=30_000)


def test_one_file_plots_v_i_t_cycles_and_dqdv(qtbot, page, two_cells):
    path, _ = two_cells
    open_files(qtbot, page, path)
    assert not page.status_is_error, page.status_text
    assert "BioLogic EC-Lab .mpr, 2,400 samples, 4 cycles" in page.status_text
    frame = open_log(path).frame

    v = original(page.time_plots.curves[(0, path)])
    i = original(page.time_plots.curves[(1, path)])
    t = original(page.time_plots.curves[(2, path)])
    assert page.time_plots.x_unit == "h"  # 40 h of cycling
    np.testing.assert_allclose(v[0], frame["time_s"] / 3600.0)
    np.testing.assert_allclose(v[1], frame["voltage_v"])
    np.testing.assert_allclose(i[1], frame["current_a"])
    assert set(np.round(i[1], 3)) == {0.4, -0.4}  # C/5 of 2 Ah, charge positive
    np.testing.assert_allclose(t[1], frame["temperature_c"])

    x, cap = page.cycle_plots.curves[(0, f"{path}:discharge")].getData()
    assert x.tolist() == [0, 1, 2, 3]
    # (the square wave reverses between two samples 60 s apart: half that interval is
    # counted on each side of the line through zero, 0.4 A x 30 s = 3.3 mAh less)
    assert cap[:3] == pytest.approx([2.0, 2.0, 2.0], rel=2e-3)
    _x, ce = page.cycle_plots.curves[(1, f"{path}:ce")].getData()
    assert ce[:3] == pytest.approx([100.0, 100.0, 100.0], abs=0.1)

    assert [page.cycle_combo.itemData(k) for k in range(page.cycle_combo.count())] == [0, 1, 2, 3]
    page.direction_combo.setCurrentText("charge")
    page.cycle_combo.setCurrentIndex(2)
    volts, dqdv = page.ica_plot.curves[(0, path)].getData()
    trace = page.selected.ica_for(2, "charge")
    np.testing.assert_allclose(dqdv, trace.dqdv_ah_per_v)
    assert 3.0 < volts.min() < volts.max() < 4.3  # cell voltage of an NMC-like cell
    # charge through the curve: dQ/dV integrated over V is the cycle's charge
    assert np.sum(dqdv) * (volts[1] - volts[0]) == pytest.approx(2.0, rel=0.1)


def test_two_files_are_overlaid_one_colour_each(qtbot, page, two_cells):
    path_a, path_b = two_cells
    open_files(qtbot, page, path_a, path_b)  # the second waits for the first
    assert list(page.analyses) == [path_a, path_b]
    curve_a = page.time_plots.curves[(0, path_a)]
    curve_b = page.time_plots.curves[(0, path_b)]
    assert curve_a.opts["pen"].color().name() != curve_b.opts["pen"].color().name()
    assert curve_a.opts["pen"].width() <= 1 and curve_a.opts["pen"].isCosmetic()
    legend = [label.text for _sample, label in page.time_plots.legend.items]
    assert legend == ["cell A.mpr", "cell B.mpt"]
    # each legend sits above its plots, not over the curves
    page.tabs.setCurrentIndex(1)
    QApplication.processEvents()
    for stack in (page.time_plots, page.cycle_plots):
        legend_box = stack.legend.sceneBoundingRect()
        assert legend_box.height() > 0
        for plot in stack.plots:
            assert not legend_box.intersects(plot.getViewBox().sceneBoundingRect())
    _x, cap_b = page.cycle_plots.curves[(0, f"{path_b}:discharge")].getData()
    assert cap_b[0] == pytest.approx(1.9, rel=1e-3)
    assert (0, path_a) in page.ica_plot.curves and (0, path_b) in page.ica_plot.curves

    page.file_list.item(0).setCheckState(page.file_list.item(0).checkState().Unchecked)
    assert (0, path_a) not in page.time_plots.curves
    assert (0, path_b) in page.time_plots.curves


def test_garbage_and_corrupt_files_show_an_error(qtbot, page, tmp_path, two_cells):
    garbage = tmp_path / "noise.bin"
    garbage.write_bytes(bytes(range(256)) * 20)
    open_files(qtbot, page, str(garbage))
    assert page.status_is_error
    assert (
        page.status_text
        == f"{garbage}: not a log format Battery OS reads (it looks like binary data)"
    )
    assert page.status_label.isVisible()
    assert page.analyses == {}

    cut = tmp_path / "cut.mpr"
    cut.write_bytes(Path(two_cells[0]).read_bytes()[:5000])
    open_files(qtbot, page, str(cut))
    assert page.status_is_error and "truncated" in page.status_text
    assert page.analyses == {}


def test_a_large_file_shows_progress_and_can_be_cancelled(qtbot, page, tmp_path):
    big = tmp_path / "big.mpr"
    big.write_bytes(mpr_bytes(cycling_columns(points=1_000_000, cycles=50)))
    seen = []
    page.progress_bar.valueChanged.connect(seen.append)
    page.open_file(str(big))
    assert page.progress_bar.isVisible() and page.cancel_button.isVisible()
    qtbot.waitUntil(lambda: page.progress_bar.value() > 0, timeout=30_000)
    page.cancel_button.click()
    qtbot.waitUntil(lambda: settled(page), timeout=30_000)
    assert page.status_text == "Opening big.mpr was cancelled."
    assert not page.status_is_error
    assert not page.progress_bar.isVisible() and not page.cancel_button.isVisible()
    assert page.analyses == {}
    assert 0 < max(seen) <= 100

    # and opened to the end, the bar went through values between 0 and 100
    seen.clear()
    open_files(qtbot, page, str(big))
    assert len(page.selected.frame) == 1_000_000
    assert any(0 < value < 100 for value in seen)


def test_import_creates_a_recording_with_its_samples(qtbot, page, two_cells):
    path, _ = two_cells
    open_files(qtbot, page, path)
    with qtbot.waitSignal(page.recording_imported, timeout=30_000) as signal:
        page.import_button.click()
    recording_id = signal.args[0]
    assert page.action_label.text() == (
        f"Imported cell A.mpr as recording #{recording_id} (2,400 samples)."
    )

    from app.storage import Database, read_samples, repositories

    db = Database(page.db_url)
    stored = repositories.get_recording(db, recording_id)
    assert stored.sample_count == 2400 and stored.status == "complete"
    assert stored.started_at.replace(tzinfo=None).isoformat() == "2024-09-02T13:49:32"
    assert "cell A.mpr" in stored.notes
    block = read_samples(db, recording_id)
    frame = open_log(path).frame
    np.testing.assert_allclose(block["voltage_v"], frame["voltage_v"], rtol=1e-6)
    np.testing.assert_allclose(block["current_a"], frame["current_a"], rtol=1e-6)
    assert block["cycle_index"].max() == 3


def test_import_into_a_dead_database_shows_the_error(qtbot, page, two_cells, tmp_path):
    page.db_url = f"sqlite:///{tmp_path / 'no such dir' / 'x.sqlite'}"
    open_files(qtbot, page, two_cells[0])
    page.import_button.click()
    qtbot.waitUntil(lambda: settled(page), timeout=30_000)
    assert page.action_label.objectName() == "errorText"
    assert page.action_label.text().startswith("cannot connect to sqlite:")


def test_run_diagnostics_on_the_file(qtbot, page, two_cells):
    open_files(qtbot, page, two_cells[0])
    with qtbot.waitSignal(page.diagnostics_finished, timeout=60_000) as signal:
        page.diagnostics_button.click()
    report = signal.args[0]
    assert report.samples == 2400 and report.cycles == 4
    assert report.results["capacity_fade"] is not None
    assert report.results["soh"]["ica_curves"]
    assert "results on the Diagnostics page" in page.action_label.text()
    # another file opened: "Diagnostics done" is not said of it, not yet run
    open_files(qtbot, page, two_cells[1])
    assert page.action_label.text() == "" and page.action_label.isHidden()


def test_changing_the_battery_recomputes(qtbot, page, two_cells):
    open_files(qtbot, page, two_cells[0])
    analysis = page.selected
    assert not analysis.spec_from_file and analysis.spec.capacity_ah == pytest.approx(2.0)
    assert analysis.cycle_numbers  # C/5 of a 2 Ah cell: dQ/dV for every cycle
    page.capacity_spin.setValue(0.5)  # now the 0.4 A are 0.8C: too fast for dQ/dV
    page.apply_spec_button.click()
    qtbot.waitUntil(lambda: page.selected.spec.capacity_ah == pytest.approx(0.5), timeout=20_000)
    assert page.selected.cycle_numbers == []
    assert page.cycle_combo.count() == 0
    assert "No slow constant-current segment" in page.ica_note.text()


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
def test_real_biologic_rest_files_open(qtbot, page):
    gcpl = str(REAL_DATA / "biologic" / "GCPL-0.mpr")
    mb = str(REAL_DATA / "biologic" / "MB-0.mpr")
    open_files(qtbot, page, gcpl, mb)
    assert list(page.analyses) == [gcpl, mb]
    assert page.time_plots.x_unit == "s"
    _t, v = original(page.time_plots.curves[(0, mb)])
    assert v == pytest.approx([1.48901, 1.48909], abs=1e-4)
    assert (2, gcpl) not in page.time_plots.curves  # no temperature in these files
    assert not page.time_plots.plots[2].isVisible()  # so no empty temperature plot
    assert page.time_plots.plots[1].isVisible()


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
def test_temperature_plot_shows_once_a_file_has_temperature(qtbot, page):
    maccor = str(REAL_DATA / "maccor" / "PredictionDiagnostics_000151_test.052")
    neware = str(REAL_DATA / "neware" / "nw_regular_export_ife_example.csv")
    open_files(qtbot, page, maccor)
    assert not page.time_plots.plots[2].isVisible()
    open_files(qtbot, page, neware)
    assert page.time_plots.plots[2].isVisible() and (2, neware) in page.time_plots.curves
    page._item_of(neware).setCheckState(Qt.CheckState.Unchecked)
    assert not page.time_plots.plots[2].isVisible()


def test_light_theme_recolours_the_plots(qtbot, page, two_cells):
    open_files(qtbot, page, *two_cells)
    page.apply_palette(LIGHT)
    curve = page.time_plots.curves[(0, two_cells[0])]
    assert curve.opts["pen"].color().name() == LIGHT.cell_color(0)
    axis = page.time_plots.plots[0].getAxis("left")
    assert axis.textPen().color().name() == LIGHT.plot_axis


def test_window_sends_log_diagnostics_to_the_diagnostics_page(qtbot, make_window, two_cells):
    from app.views.main_window import Page

    window = make_window()
    window.open_in_logs([two_cells[0]])
    assert window.current_page is Page.LOGS
    logs = window.logs
    qtbot.waitUntil(lambda: settled(logs), timeout=30_000)
    with qtbot.waitSignal(logs.diagnostics_finished, timeout=60_000):
        logs.diagnostics_button.click()
    assert window.current_page is Page.DIAGNOSTICS
    assert window.diagnostics.report.samples == 2400
    assert window.diagnostics.report.source_url == Path(two_cells[0]).as_uri()


def test_closing_the_window_cancels_a_file_being_opened(qtbot, make_window, tmp_path):
    big = tmp_path / "big.mpr"
    big.write_bytes(mpr_bytes(cycling_columns(points=1_000_000, cycles=50)))
    window = make_window()
    window.open_in_logs([str(big)])
    assert window.logs.loading
    window.close()
    qtbot.waitUntil(lambda: window.closed, timeout=30_000)
    assert window.logs.analyses == {}


def test_replay_streams_the_file_with_the_battery_shown(qtbot, make_window, two_cells):
    from app.hardware.acquisition import AcquisitionState
    from app.views.main_window import Page

    window = make_window()
    window.open_in_logs([two_cells[1]])
    qtbot.waitUntil(lambda: settled(window.logs), timeout=30_000)
    window.logs.replay_button.click()
    assert window.current_page is Page.DASHBOARD
    qtbot.waitUntil(
        lambda: window.session.status.state is AcquisitionState.FINISHED, timeout=20_000
    )
    assert window.session.spec.capacity_ah == pytest.approx(1.9)
    assert window.session.ring.total == 2400


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
def test_real_can_capture_of_a_second_opens(qtbot, page):
    # foxBMS 2 CAN log (DBC beside it): 0.8 s of a 96-cell pack, 0.2 mAh moved
    path = str(REAL_DATA / "can" / "foxbms_test_log.txt")
    open_files(qtbot, page, path)
    assert not page.status_is_error, page.status_text
    assert page.selected.spec.series_cells == 96
    assert page.selected.spec.capacity_ah > 0


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
def test_a_log_of_a_second_reads_in_seconds(qtbot, page):
    path = str(REAL_DATA / "can" / "foxbms_test_log.txt")  # 0.69-1.50 s
    open_files(qtbot, page, path)
    assert page.time_plots.x_unit == "s"
    axis = page.time_plots.plots[0].getAxis("bottom")
    axis.setRange(0.0, 0.81)
    assert "x0.001" not in axis.labelString() and "Time (s)" in axis.labelString()
    assert f"9 samples over 0.808{NBSP}s" in page.file_info.text()


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
def test_a_log_without_a_whole_cycle_paints_its_cycle_plots_without_numpy_warnings(qtbot, page):
    """Its one cycle's coulombic efficiency is NaN: a marker plot of nothing made pyqtgraph
    print numpy's 'All-NaN slice encountered' on the terminal at every paint."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        open_files(qtbot, page, str(REAL_DATA / "can" / "foxbms_test_log.txt"))
        page.grab()


def test_run_diagnostics_can_be_clicked_again_once_done(qtbot, page, two_cells):
    open_files(qtbot, page, two_cells[0])
    for _ in range(2):
        with qtbot.waitSignal(page.diagnostics_finished, timeout=60_000):
            page.diagnostics_button.click()
        qtbot.waitUntil(page.diagnostics_button.isEnabled, timeout=10_000)
    assert page.import_button.isEnabled()


def test_diagnostics_of_a_log_with_discharge_positive_warn_in_red(qtbot, page, tmp_path):
    import pandas as pd

    from app.core.spec import preset
    from app.hardware.simulator.pack import simulate

    spec = preset("nmc", capacity_ah=5)
    frame = simulate(spec, "hppc", 5400.0, 1.0, 2).to_frame()
    path = tmp_path / "discharge_positive.csv"
    pd.DataFrame(
        {"time": frame["time_s"], "volts": frame["voltage_v"], "amps": -frame["current_a"]}
    ).to_csv(path, index=False)
    open_files(qtbot, page, str(path))
    with qtbot.waitSignal(page.diagnostics_finished, timeout=60_000) as signal:
        page.diagnostics_button.click()
    assert signal.args[0].current_sign_warning.startswith("the current's sign looks reversed")
    label = page.action_label
    assert label.text().startswith("Warning: the current's sign looks reversed")
    assert "--invert-current" in label.text() and label.objectName() == "errorText"


def discharge_positive_log(tmp_path) -> str:
    """A 5 Ah NMC cell's HPPC test written by a logger that counts discharge as positive."""
    import pandas as pd

    from app.core.spec import preset
    from app.hardware.simulator.pack import simulate

    frame = simulate(preset("nmc", capacity_ah=5), "hppc", 5400.0, 1.0, 2).to_frame()
    path = tmp_path / "discharge_positive.csv"
    pd.DataFrame(
        {"time": frame["time_s"], "volts": frame["voltage_v"], "amps": -frame["current_a"]}
    ).to_csv(path, index=False)
    return str(path)


def test_invert_current_reanalyses_the_log_with_its_current_negated(qtbot, page, tmp_path):
    from urllib.parse import parse_qs, urlsplit

    path = discharge_positive_log(tmp_path)
    open_files(qtbot, page, path)
    logged = open_log(path).frame["current_a"].to_numpy()
    assert page.invert_check.isEnabled() and not page.invert_check.isChecked()
    with qtbot.waitSignal(page.diagnostics_finished, timeout=60_000) as signal:
        page.diagnostics_button.click()
    assert signal.args[0].current_sign_warning is not None
    assert "Invert current" in page.action_label.text()  # the warning names the switch

    page.invert_check.click()
    qtbot.waitUntil(lambda: page.selected.settings.invert_current and settled(page))
    np.testing.assert_array_equal(page.selected.frame["current_a"], -logged)
    _t, shown = original(page.time_plots.curves[(1, path)])
    np.testing.assert_array_equal(shown, -logged)  # the plot is of the negated current
    assert "negated" in page.spec_note.text()
    query = parse_qs(urlsplit(page.replay_url()).query)
    assert query["invert_current"] == ["1"]  # a replay streams it negated too
    with qtbot.waitSignal(page.diagnostics_finished, timeout=60_000) as signal:
        page.diagnostics_button.click()
    assert signal.args[0].current_sign_warning is None
    assert page.action_label.objectName() == "mutedText"

    page.invert_check.click()  # and back: the file as logged
    qtbot.waitUntil(lambda: not page.selected.settings.invert_current and settled(page))
    np.testing.assert_array_equal(page.selected.frame["current_a"], logged)
    assert "invert_current" not in urlsplit(page.replay_url()).query


def test_a_per_cycle_table_has_no_current_to_invert(qtbot, page, tmp_path):
    path = tmp_path / "cycles.csv"
    path.write_text("cycle_index,discharge_capacity_ah\n1,2.0\n2,1.99\n3,1.98\n")
    open_files(qtbot, page, str(path))
    assert page.selected.per_cycle_table
    assert not page.invert_check.isEnabled()


def test_one_cycle_is_one_cycle(qtbot, page, tmp_path):
    # "4 samples, 1 cycles."
    path = tmp_path / "cycles.csv"
    path.write_text("cycle_index,discharge_capacity_ah\n1,2.0\n")
    open_files(qtbot, page, str(path))
    assert page.status_text.endswith(", 1 cycle.")
    assert page.file_info.text() == "per-cycle table · 1 cycle (1–1)"


def test_the_time_series_of_a_per_cycle_table_say_why_they_are_empty(qtbot, page, two_cells):
    # three empty 0-1 plots said nothing (the tab is one click away from the per-cycle one)
    from app.views.log_plots import NO_SAMPLES_NOTE

    path = Path(two_cells[0]).parent / "cycles.csv"
    path.write_text("cycle_index,discharge_capacity_ah\n1,2.0\n2,1.99\n3,1.98\n")
    open_files(qtbot, page, str(path))
    plots = page.time_plots
    first = plots.plots[0]
    assert first.titleLabel.text == NO_SAMPLES_NOTE and "Per cycle" in NO_SAMPLES_NOTE
    assert not first.getAxis("left").isVisible() and not first.getAxis("bottom").isVisible()
    assert [plot.isVisible() for plot in plots.plots] == [True, False, False]
    page.apply_palette(LIGHT)  # the note in the theme's colours
    assert LIGHT.text_muted in first.titleLabel.item.toHtml()
    open_files(qtbot, page, two_cells[0])  # a log with samples beside it: its plots
    assert plots.note is None and not first.titleLabel.isVisible()
    assert first.getAxis("left").isVisible() and plots.curves


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
def test_cycle_plots_of_a_charge_only_and_a_one_cycle_log(qtbot, page):
    """The Arbin excerpt only charges: its cycle plotted a 0 mAh discharge point, no
    charge (a dashed line of one point) and an empty 0-1 "%" efficiency axis. The
    Maccor file's only cycle, no. 37, sat on the x axis' edge, out of sight. Both are
    partial cycles (a charge alone; 3 s of a discharge): hollow marks off the lines,
    named in the legend and the note, not drawn as whole cycles."""
    arbin = str(REAL_DATA / "arbin" / "2017-05-09_test-TC-contact_CH33.csv")
    open_files(qtbot, page, arbin)
    plots = page.cycle_plots
    assert (0, f"{arbin}:discharge") not in plots.curves, plots.curves[
        (0, f"{arbin}:discharge")
    ].getData()
    assert (0, f"{arbin}:charge") not in plots.curves
    mark = plots.curves[(0, f"{arbin}:charge:partial")]
    x, charge = mark.getData()
    assert np.isfinite(charge).any() and mark.opts["symbol"] == "t1"
    assert mark.opts["symbolBrush"] is None and mark.opts["pen"] is None  # hollow, no line
    assert not plots.plots[1].isVisible()
    maccor = str(REAL_DATA / "maccor" / "PredictionDiagnostics_000151_test.052")
    open_files(qtbot, page, maccor)
    assert (0, f"{maccor}:discharge") not in plots.curves
    x, cap = plots.curves[(0, f"{maccor}:discharge:partial")].getData()
    assert list(x) == [37.0] and cap[0] < 0.01  # 4.5 mAh of a 5 Ah cell
    (lo, hi), _y = plots.plots[0].viewRange()
    assert lo < x.min() and x.max() < hi
    assert plots.partial_cycles["PredictionDiagnostics_000151_test.052"] == [37]
    assert page.cycle_note.text().endswith("PredictionDiagnostics_000151_test.052: cycle 37")


def test_a_first_cycle_that_starts_mid_way_is_off_the_lines(qtbot, page):
    """The Neware export's cycle 1 is a 0.02 Ah top-up charge before its first discharge
    (the per-cycle table marks it partial): it was the dashed charge line's first point,
    a plunge from 0.33 Ah; it is a hollow mark, the lines begin at cycle 2."""
    neware = str(REAL_DATA / "neware" / "nw_regular_export_ife_example.csv")
    open_files(qtbot, page, neware)
    plots = page.cycle_plots
    assert list(page.selected.cycles["partial"]) == [True] + [False] * 19
    for key in ("discharge", "charge"):
        x, y = plots.curves[(0, f"{neware}:{key}")].getData()
        assert np.isnan(y[0]) and np.isfinite(y[1:]).all() and y[1:].min() > 0.25
    x, y = plots.curves[(0, f"{neware}:charge:partial")].getData()
    assert list(x) == [1.0] and list(np.round(y, 3)) == [0.023]
    x, y = plots.curves[(0, f"{neware}:discharge:partial")].getData()
    assert list(x) == [1.0] and list(np.round(y, 3)) == [0.331]
    assert not page.cycle_note.isHidden() and "cycle 1" in page.cycle_note.text()


def test_an_empty_dqdv_plot_says_so(qtbot, page, two_cells):
    # it showed placeholder 0-1 axes and nothing else
    open_files(qtbot, page, two_cells[0])
    plot = page.ica_plot.plots[0]
    assert page.ica_plot.curves and plot.getAxis("left").isVisible()
    page.direction_combo.setCurrentText("discharge")
    page.cycle_combo.addItem("99", 99)
    page.cycle_combo.setCurrentIndex(page.cycle_combo.count() - 1)
    assert not page.ica_plot.curves
    assert plot.titleLabel.text == "no dQ/dV" and not plot.getAxis("left").isVisible()
    assert page.ica_note.text() == f"No discharge curve for cycle 99 in: {page.selected.name}"


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
@pytest.mark.parametrize("width", [1300, 1000])
def test_the_legend_fits_beside_the_axis_with_long_file_names(qtbot, page, width):
    """Two long file names side by side ran past the right edge of the cycle plots (the
    second cut off): the legend takes one column then, a name too long for it elided."""
    bdf = str(REAL_DATA / "bdf" / "SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv")
    arbin = str(REAL_DATA / "arbin" / "2017-05-09_test-TC-contact_CH33.csv")
    page.resize(width, 800)
    open_files(qtbot, page, bdf, arbin)
    for tab, plots in ((1, page.cycle_plots), (0, page.time_plots)):
        page.tabs.setCurrentIndex(tab)
        qtbot.waitUntil(lambda plots=plots: plots.isVisible() and plots.width() > 100)
        legend = plots.legend
        assert legend.items
        qtbot.waitUntil(
            lambda plots=plots, legend=legend: legend.sceneBoundingRect().right() <= plots.width()
        )
        for _sample, label in legend.items:  # every entry inside too
            assert label.sceneBoundingRect().right() <= plots.width()
    cycles = page.cycle_plots.legend
    names = [label.text for _sample, label in cycles.items]
    assert any(name.startswith("SINTEF") for name in names)
    if width == 1300:  # room for the names whole, in one column
        assert cycles.columnCount == 1
        # (its two cycles are partial: the first starts beyond the test's window, the log
        # stops in the second)
        assert f"{os.path.basename(bdf)} · discharge, partial cycle" in names


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (27.94, "27.9 h"),
        (999.4, "999 h"),
        (999.5, "1,000 h"),
        (999.9, "1,000 h"),
        (1234.4, "1,234 h"),
    ],
)
def test_a_files_length_is_never_in_exponent_notation(hours, text):
    """999.5 h <= length < 1000 h read "1e+03 h": .3g rounds it to 4 digits."""
    from types import SimpleNamespace

    import pandas as pd

    from app.views.logs_page import _file_info

    frame = pd.DataFrame({"time_s": [0.0, hours * 3600.0]})
    analysis = SimpleNamespace(
        per_cycle_table=False, frame=frame, metadata={}, format_name="Canonical CSV"
    )
    # the length and its unit on one line (a no-break space: "27.9" / "h" were wrapped)
    assert _file_info(analysis) == f"Canonical CSV · 2 samples over {text.replace(' ', NBSP)}"


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_charge_and_discharge_are_told_apart_on_the_per_cycle_plot(qtbot, page, theme):
    """The BDF coin cell's cycle 1 charge and discharge were the same colour and mark,
    under one legend entry, "partial cycle": each half has its own mark (discharge a
    circle, charge a triangle), colour and legend entry, whole or partial, and the two
    colours differ from each other and from the background in both themes."""
    from PySide6.QtGui import QColor

    from app.views.log_plots import charge_color
    from app.views.theme import DARK

    colors = DARK if theme == "dark" else LIGHT
    page.apply_palette(colors)
    bdf = str(REAL_DATA / "bdf" / "SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv")
    neware = str(REAL_DATA / "neware" / "nw_regular_export_ife_example.csv")
    open_files(qtbot, page, bdf, neware)
    plots = page.cycle_plots
    names = plots.legend_names  # (in full: the legend may elide them to fit)
    base = os.path.basename(bdf)
    assert f"{base} · discharge, partial cycle" in names
    assert f"{base} · charge, partial cycle" in names
    assert f"{os.path.basename(neware)} · charge" in names
    for path in (bdf, neware):
        color = page.color_of(path)
        keys = ("discharge:partial", "charge:partial") if path == bdf else ("discharge", "charge")
        dis, chg = (plots.curves[(0, f"{path}:{key}")] for key in keys)
        assert dis.opts["symbol"] == "o" and chg.opts["symbol"] == "t1"
        dis_pen = QColor(pg.mkPen(dis.opts["symbolPen"]).color()).name()
        chg_pen = QColor(pg.mkPen(chg.opts["symbolPen"]).color()).name()
        assert dis_pen == color and chg_pen == charge_color(color) != color
    # a charge and a discharge at cycle 1 of the coin cell, apart
    assert list(plots.curves[(0, f"{bdf}:charge:partial")].getData()[0]) == [1.0]
    assert list(plots.curves[(0, f"{bdf}:discharge:partial")].getData()[0]) == [1.0, 2.0]
    background = QColor(colors.plot_background)
    for path in (bdf, neware):
        shade = QColor(charge_color(page.color_of(path)))
        far = sum(
            abs(a - b) for a, b in zip(shade.getRgb()[:3], background.getRgb()[:3], strict=True)
        )
        assert far > 150, (theme, shade.name())


def plots_within_their_view(stack) -> bool:
    """The plots' layout no wider than their view, every legend name inside it."""
    width = stack.width()
    if stack.ci.geometry().width() > width + 0.5:
        return False
    for _sample, label in stack.legend.items:
        box = stack.mapFromScene(label.sceneBoundingRect()).boundingRect()
        if box.right() > width + 0.5:
            return False
    return True


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
def test_a_long_per_cycle_legend_never_widens_the_plots_past_their_tab(qtbot, make_window):
    """The BDF file's long name overlaid with NASA B0005: the legend made the per-cycle
    plot wider than its tab (cycles after ~155 and the names' ends hidden), at 1024 px
    (elided names still too wide) and once widened to 1600 (two columns that did not fit)."""
    from app.views.log_plots import CyclePlots

    window = make_window()
    window.resize(1024, 700)
    logs = window.logs
    window.open_in_logs(
        [
            str(REAL_DATA / "bdf" / "SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv"),
            str(REAL_DATA / "capacity" / "nasa_B0005_capacity.csv"),
        ]
    )
    qtbot.waitUntil(lambda: settled(logs), timeout=60_000)
    stack = window.findChild(CyclePlots)
    assert stack.isVisible() and len(stack.legend.items) == 3
    for size in ((1024, 700), (1600, 900), (1024, 700), (1600, 900)):
        window.resize(*size)
        qtbot.waitUntil(lambda w=size[0]: window.width() == w)
        qtbot.waitUntil(lambda: plots_within_their_view(stack))
        # the plots end inside the tab, not under its right edge
        tab = logs.tabs.currentWidget()
        right = stack.mapTo(tab, stack.rect().topRight()).x()
        assert right <= tab.width()


def _look(page) -> dict:
    """What the page shows: its messages, battery form and plot axes."""
    plots = (page.time_plots, page.cycle_plots, page.ica_plot)
    return {
        "status": (page.status_label.text(), page.status_is_error),
        "action": (page.action_label.text(), page.action_label.isVisible()),
        "file": (page.file_info.text(), page.file_warning.text(), page.spec_note.text()),
        "form": (
            page.chemistry_combo.currentText(),
            page.capacity_spin.value(),
            page.cells_spin.value(),
            page.bol_spin.value(),
            page.eol_spin.value(),
            page.invert_check.isChecked(),
            page.ocv_button.text(),
            (page.ocv_current_edit.text(), page.ocv_current_edit.isEnabled()),
            *(
                (e.text(), e.placeholderText())
                for e in (page.cell_v_min_edit, page.cell_v_max_edit)
            ),
        ),
        "notes": (page.ica_note.text(), page.cycle_note.isVisible()),
        "ranges": [np.round(p.viewRange(), 6).tolist() for stack in plots for p in stack.plots],
        "shown": [p.isVisible() for stack in plots for p in stack.plots],
    }


def test_closing_the_last_file_leaves_the_page_as_first_opened(qtbot, page, tmp_path):
    """After 'Close file' the old battery form, the diagnostics' warning and empty
    axes over the closed file's ranges stayed. Closed, the page is as a new one."""
    qtbot.waitUntil(lambda: page.time_plots is not None)
    blank = _look(page)
    log = tmp_path / "short.csv"
    t = np.arange(0.0, 7200.0, 10.0)
    current = np.where(t < 3600.0, -1.0, 1.0)
    voltage = np.where(t < 3600.0, 3.9 - 0.5 * t / 3600.0, 3.4 + 0.5 * (t - 3600.0) / 3600.0)
    rows = "\n".join(f"{a:.0f},{v:.4f},{i:.2f},{27.0 + a / 3600:.2f}"
                     for a, v, i in zip(t, voltage, current, strict=True))  # fmt: skip
    log.write_text("time_s,voltage_v,current_a,temperature_c\n" + rows + "\n17,3.5")
    open_files(qtbot, page, str(log))
    with qtbot.waitSignal(page.diagnostics_finished, timeout=60_000):
        page.diagnostics_button.click()
    qtbot.waitUntil(lambda: settled(page))
    page.capacity_spin.setValue(7.5)
    opened = _look(page)
    assert opened["action"][0] and opened["file"][1]  # something to leave behind
    assert opened["ranges"] != blank["ranges"]
    page.file_list.setCurrentRow(0)
    page.remove_button.click()
    assert _look(page) == blank


def _half_cell_log(path: Path) -> str:
    """A graphite half-cell's C/20 lithiation and delithiation, 0.01-0.6 V, in a
    canonical CSV that names no battery (the BDF SINTEF coin cell's shape)."""
    t = np.arange(0.0, 2 * 72000.0, 30.0)
    down = t < 72000.0
    current = np.where(down, -0.0002, 0.0002)  # 4 mAh cell at C/20
    x = np.where(down, t / 72000.0, (t - 72000.0) / 72000.0)
    voltage = np.where(down, 0.6 - 0.59 * x**0.3, 0.01 + 0.59 * x**3)
    rows = "\n".join(
        f"{a:.0f},{v:.5f},{i:.6f}" for a, v, i in zip(t, voltage, current, strict=True)
    )
    path.write_text("time_s,voltage_v,current_a\n" + rows + "\n")
    return str(path)


def test_dqdv_of_a_half_cell_says_its_voltages_lie_off_the_batterys(qtbot, page, tmp_path):
    """On the BDF graphite half-cell the dQ/dV tab said 'No slow constant-current
    segment' of 36 h at C/31: its segments were found, but its 0-0.6 V lie outside the
    Li-ion voltage window dQ/dV is binned over. The note says so, with the voltages."""
    from app.core.spec import Chemistry, preset
    from app.views.log_analysis import ica_traces

    log = _half_cell_log(tmp_path / "half.csv")
    open_files(qtbot, page, log)
    page.tabs.setCurrentIndex(2)
    note = page.ica_note.text()
    assert "slow constant-current segments run at 0.01-0.60 V" in note
    assert page.ica_note.width() <= page.tabs.currentWidget().width()
    assert "No slow constant-current segment" not in note
    frame = open_log(log).frame
    traces, missing = ica_traces(frame, preset(Chemistry.NMC, capacity_ah=0.004))
    assert traces == [] and "0.01-0.60 V a cell" in missing
    # a log of a Li-ion cell's own voltages has its curves and no such reason
    frame["voltage_v"] = 3.5 + frame["voltage_v"]
    traces, missing = ica_traces(frame, preset(Chemistry.NMC, capacity_ah=0.004))
    assert traces and missing == ""


def test_the_battery_form_reads_unknown_until_a_file_names_its_battery(qtbot, page, two_cells):
    """First opened, the Capacity box read '1e-06 Ah' (its minimum) and Series cells 1,
    as if a battery were known; the form is of the selected file, so it waits for one."""
    assert page.capacity_spin.text() == "—" and page.cells_spin.text() == "—"
    assert not page.capacity_spin.isEnabled() and not page.chemistry_combo.isEnabled()
    path, _ = two_cells
    open_files(qtbot, page, path)
    spec = page.selected.spec
    assert page.capacity_spin.text() == page.capacity_spin.textFromValue(spec.capacity_ah) + " Ah"
    assert page.cells_spin.value() == spec.series_cells and page.cells_spin.text() != "—"
    assert page.capacity_spin.isEnabled() and page.chemistry_combo.isEnabled()
    # the file's battery is no 0 Ah: the unknown's minimum is gone with it
    assert page.capacity_spin.minimum() > 0 and page.cells_spin.minimum() == 1
    page.file_list.setCurrentRow(0)
    page.remove_button.click()
    assert page.capacity_spin.text() == "—" and not page.capacity_spin.isEnabled()


def test_the_empty_time_axis_names_no_empty_unit(qtbot, page, two_cells):
    """First opened, the Time series plots read 'Time ()'."""
    qtbot.waitUntil(lambda: page.time_plots is not None)
    axis = page.time_plots.plots[0].getAxis("bottom")
    assert axis.labelText == "Time"
    path, _ = two_cells
    open_files(qtbot, page, path)
    assert axis.labelText == "Time (h)"  # 40 h of cycling


def _ocv_table_csv(path: Path) -> str:
    from app.core.spec import preset

    soc = np.linspace(0.0, 100.0, 11)
    return write_ocv_table(path, soc, preset("nmc").cell_ocv(soc))


def test_the_current_an_ocv_table_was_measured_at_reaches_the_battery(qtbot, page, two_cells):
    """'Measured at' (under 'OCV table') is --ocv-table-current-c: typed (a C/50
    discharge), it is in the battery Apply makes, and shown again for the file; without a
    table it is disabled and not given."""
    from app.core.spec import MAX_OCV_TABLE_CURRENT_C

    open_files(qtbot, page, two_cells[0])
    edit = page.ocv_current_edit
    assert not edit.isEnabled() and edit.text() == ""  # no table chosen: none to rate
    assert page.settings_from_form().ocv_table_current_c is None
    assert "negative for a discharge" in edit.toolTip()
    assert page.ocv_current_label.text() == "Measured at"  # (under "OCV table")
    table = _ocv_table_csv(Path(two_cells[0]).with_name("ocv.csv"))
    page.set_ocv_table(table)
    assert edit.isEnabled()
    qtbot.keyClicks(edit, "-0.02")
    page.apply_spec_button.click()
    qtbot.waitUntil(lambda: page.selected.settings.ocv_table_current_c is not None, timeout=20_000)
    spec = page.selected.spec
    assert spec.ocv_table_current_c == -0.02 and page.selected.settings.ocv_table == table
    # another file selected and back: the field shows this file's value
    open_files(qtbot, page, two_cells[1])
    assert edit.text() == "" and not edit.isEnabled()
    page.file_list.setCurrentRow(0)
    assert edit.text() == "-0.02" and edit.isEnabled()
    # a minus sign pasted from a data sheet, a decimal comma: the same value
    for text in ("\u22120.02", "-0,02"):
        edit.setText(text)
        assert page.settings_from_form().ocv_table_current_c == -0.02
    # too fast for an OCV table: said on the page, the battery stays as it was
    edit.setText(f"{2 * MAX_OCV_TABLE_CURRENT_C:g}")
    page.apply_spec_button.click()
    assert page.status_is_error and "OCV table measured at 0.4 C" in page.status_text
    assert not page.busy and page.selected.spec is spec
    # the preset's table again: the field empties, disabled, and no current is given
    page.ocv_clear_button.click()
    assert edit.text() == "" and not edit.isEnabled()
    assert page.settings_from_form().ocv_table_current_c is None
    page.apply_spec_button.click()
    qtbot.waitUntil(lambda: page.selected.settings.ocv_table is None, timeout=20_000)
    assert page.selected.spec.ocv_table_current_c is None


def test_the_battery_form_fits_the_side_panel(qtbot, page, two_cells):
    """'Table measured at' as a row label widened the form's label column past the panel's
    300 px: the fields, the OCV table's Preset button and the file's line were cut off at
    its right edge (the panel does not scroll sideways). Every row fits, in the theme's
    fonts and paddings."""
    from app.views.theme import Theme, apply_theme

    apply_theme(QApplication.instance(), Theme.DARK)
    open_files(qtbot, page, two_cells[0])
    page.set_ocv_table(_ocv_table_csv(Path(two_cells[0]).with_name("ocv.csv")))
    QApplication.processEvents()
    viewport = page.details_scroll.viewport().width()
    assert page.details_scroll.widget().minimumSizeHint().width() <= viewport
    right = page.details_scroll.widget().width()
    for widget in (page.ocv_clear_button, page.ocv_current_edit, page.capacity_spin):
        assert widget.mapTo(page.details_scroll.widget(), widget.rect().topRight()).x() < right
    assert right <= viewport


def test_an_ocv_table_of_another_chemistry_is_said_and_the_battery_stays(qtbot, page, two_cells):
    """LFP chosen with an NMC cell's table: said on the page (as --ocv-table of analyze
    says it), the file's battery stays as it was."""
    open_files(qtbot, page, two_cells[0])
    spec = page.selected.spec
    page.chemistry_combo.setCurrentIndex(page.chemistry_combo.findData("lfp"))
    page.set_ocv_table(_ocv_table_csv(Path(two_cells[0]).with_name("ocv.csv")))
    page.apply_spec_button.click()
    qtbot.waitUntil(lambda: settled(page) and page.status_is_error, timeout=20_000)
    assert "where an LFP cell rests near 3.27 V" in page.status_text
    assert "is the battery NMC?" in page.status_text
    assert page.selected.spec is spec
