"""The Dashboard's SOC tile says what the Diagnostics page's State of charge card says of
the battery's fit: a log whose cells the battery does not fit (the coin cell's BDF log
read as NMC, the Arbin LFP cell read as NMC) showed a plain green SOC on the Dashboard
while the card called it "Not valid" (the tile flagged only a dead cell)."""

from __future__ import annotations

import pytest

from app.diagnostics.input_validity import CHEMISTRY_REASON, WINDOW_REASON
from app.hardware.acquisition import AcquisitionState
from app.views.readouts import ReadoutKey, derive_readouts
from app.views.soc_columns import SOC_COLUMN
from tests.real_data import REAL_DATA


def test_a_reason_the_soc_is_not_valid_is_said_on_the_tile_with_the_value():
    latest = {"time_s": 1.0, "voltage_v": 3.7, "current_a": 0.0, SOC_COLUMN: 40.3}
    plain = derive_readouts(latest)[ReadoutKey.SOC]
    assert not plain.warn and "not valid" not in plain.detail
    soc = derive_readouts(latest, soc_invalid=WINDOW_REASON)[ReadoutKey.SOC]
    assert soc.value == 40.3 and soc.warn
    assert soc.detail.startswith("not valid: cells outside\nits voltage window")
    assert soc.tip.startswith(f"Not valid for this source: {WINDOW_REASON}")
    # each line fits the narrow tile (as 'settles at a rest or' does)
    assert max(len(line) for line in soc.detail.splitlines()) <= 24


@pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
def test_the_tile_and_the_diagnostics_card_agree_on_a_battery_that_does_not_fit(qtbot, make_window):
    # the Arbin A123 LFP cell read as NMC: the live engine finds another chemistry
    path = REAL_DATA / "arbin/2017-05-09_test-TC-contact_CH33.csv"
    window = make_window()
    url = f"file://{path}?chemistry=nmc&capacity_ah=1.1&cells=1"
    assert window.connect_source(url) is None
    session = window.session
    qtbot.waitUntil(lambda: session.status.state is AcquisitionState.FINISHED, timeout=60_000)
    tile = window.dashboard.readouts.readouts[ReadoutKey.SOC]
    qtbot.waitUntil(lambda: tile.warns, timeout=10_000)
    assert tile.detail_label.text().startswith("not valid: cells of\nanother chemistry?")
    assert CHEMISTRY_REASON in tile.toolTip()
    with qtbot.waitSignal(window.diagnostics_runner.finished, timeout=120_000) as done:
        window.diagnostics_runner.run()
    report = done.args[0]
    assert report.invalid_results["soc"] == CHEMISTRY_REASON
    page = window.diagnostics
    qtbot.waitUntil(lambda: page.report is report)
    assert (
        page.cards["soc"]
        .reason_label.text()
        .startswith(f"Not valid for this source: {CHEMISTRY_REASON}")
    )
    # a source the battery fits: the next one's tile is plain again
    assert window.connect_source(f"file://{path}?chemistry=lfp&capacity_ah=1.1&cells=1") is None
    qtbot.waitUntil(lambda: session.status.state is AcquisitionState.FINISHED, timeout=60_000)
    qtbot.waitUntil(lambda: "±" in tile.detail_label.text())
    assert not tile.warns and "not valid" not in tile.detail_label.text()
