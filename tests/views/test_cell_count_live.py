"""The window's live session refuses a series cell count the source's own cell voltages
contradict, as ``batteryos record`` and ``serve --source`` do (one check,
app.hardware.cell_count): the source is stopped on its first block with the reason on
the fault banner, the connection health and the status bar; nothing of it is drawn,
judged or recorded, and it is not retried."""

from __future__ import annotations

import json

from app.core.spec import preset
from app.hardware.acquisition import AcquisitionState
from app.hardware.devsim import start_device
from app.hardware.logs.canonical_csv import write_canonical_csv

from .view_fakes import scripted_block


def test_a_bms_whose_cells_contradict_the_battery_is_stopped_with_the_reason(qtbot, make_window):
    with start_device("daly", period_s=0.02, cells=8) as dev:
        window = make_window()
        session = window.session
        assert window.connect_source(dev.url + "&chemistry=lfp&cells=16&capacity_ah=2.5") is None
        qtbot.waitUntil(lambda: session.status.state is AcquisitionState.FAULT, timeout=20_000)
        qtbot.waitUntil(lambda: window.fault_banner.isVisible())
        assert not session.acquisition.running
    status = session.status
    assert status.state is AcquisitionState.FAULT and not status.retrying
    why = (
        "cells=16 in the URL: the source's 8 cell voltages add up to its pack voltage, so it "
        "is 8 cells in series, not 16: give cells=8"
    )
    assert status.last_error == why
    assert why in window.fault_banner.text() and "not retrying" in window.fault_banner.text()
    assert not window.fault_banner.retry_button.isVisible()
    assert session.ring.total == 0 and status.samples_total == 0  # nothing drawn nor judged
    assert window.alert_center.board.history() == []  # no alarm judged on 16 cells
    window.session.stop()


def test_a_log_whose_battery_names_other_cells_is_stopped_saying_how_to_give_them(
    qtbot, make_window, tmp_path
):
    log = tmp_path / "pack.csv"
    spec = preset("nmc", series_cells=16)  # the file's own battery: 16 cells; it holds 4
    write_canonical_csv(
        str(log), scripted_block(0, 300, cells=4), {"spec": json.dumps(spec.to_dict())}
    )
    window = make_window()
    session = window.session
    window.connect_source(log.as_uri())
    # (the status is published on the session's timer)
    qtbot.waitUntil(lambda: session.status.state is AcquisitionState.FAULT, timeout=20_000)
    assert not session.acquisition.running
    assert session.status.last_error.startswith("the battery's 16 cells: ")
    assert "give cells=4 in the source URL" in session.status.last_error
    assert session.ring.total == 0


def test_a_battery_that_agrees_streams_as_before(qtbot, make_window):
    window = make_window()
    session = window.session
    window.connect_source("scripted://pack?n=300&cells=4")
    qtbot.waitUntil(lambda: session.status.state is AcquisitionState.FINISHED, timeout=20_000)
    assert session.ring.total == 300 and not window.fault_banner.isVisible()
