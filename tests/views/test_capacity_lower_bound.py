"""A capacity only known as a lower bound (the Arbin excerpt's partial 6C charge: "at least
0.603 Ah") keeps its current limits unjudged on every path: the Logs page's diagnostics,
and File ▸ Open's battery dialog, whose ``file://`` URL carried the capacity but not that it
is a lower bound (``capacity_lower_bound=1``), so the live alarms and the Safety card judged
6.6 A against C-rates of 0.603 Ah (a critical over-current the Logs page called "not
judged")."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from app.core.errors import SourceError
from app.hardware.acquisition import AcquisitionState
from app.hardware.registry import create_source
from app.views.log_analysis import open_analysis
from tests.real_data import REAL_DATA

ARBIN = None if REAL_DATA is None else str(REAL_DATA / "arbin/2017-05-09_test-TC-contact_CH33.csv")
needs_real_data = pytest.mark.skipif(REAL_DATA is None, reason="no real data folder")


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@needs_real_data
def test_the_url_says_the_capacity_is_a_lower_bound_and_the_source_keeps_it():
    url = f"file://{ARBIN}?chemistry=lfp&capacity_ah=0.603&capacity_lower_bound=1&cells=1"
    source = create_source(url)
    source.open()
    try:
        assert source.spec.capacity_ah == 0.603
        assert source.spec.capacity_lower_bound and not source.spec.current_limits_judged
    finally:
        source.close()
    for bad, said in (
        (url.replace("capacity_lower_bound=1", "capacity_lower_bound=yes"), "must be 0 or 1"),
        (url.replace("capacity_ah=0.603&", ""), "needs the capacity_ah it bounds"),
    ):
        with pytest.raises(SourceError, match=said):
            create_source(bad)


def _open_arbin(qtbot, make_window):
    window = make_window()
    window.open_log_file(ARBIN)
    qtbot.waitUntil(lambda: window.spec_dialog is not None and window.spec_dialog.isVisible())
    return window, window.spec_dialog


def _play(qtbot, window, dialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Open).click()
    session = window.session
    qtbot.waitUntil(lambda: session.status.state is AcquisitionState.FINISHED, timeout=60_000)
    qtbot.waitUntil(lambda: bool(window.alert_center.thresholds), timeout=20_000)


@needs_real_data
def test_file_open_of_a_partial_charge_does_not_judge_its_current(qtbot, make_window):
    guess = open_analysis(ARBIN).guess  # the Logs page's: "Charge current not judged"
    assert guess.capacity_lower_bound and not guess.spec.current_limits_judged
    window, dialog = _open_arbin(qtbot, make_window)
    assert query_of(dialog.url())["capacity_lower_bound"] == "1"
    _play(qtbot, window, dialog)
    spec = window.session.spec
    assert spec.capacity_ah == pytest.approx(0.603) and not spec.current_limits_judged
    center = window.alert_center
    # 6.6 A on a cell of at least 0.603 Ah: no current rule, no over-current alarm
    assert not [t for t in center.thresholds if t.metric == "current_a"]
    assert not [a for a in center.board.alerts.values() if a.metric == "current_a"]


@needs_real_data
def test_a_capacity_typed_in_the_dialog_is_known_and_its_current_judged(qtbot, make_window):
    window, dialog = _open_arbin(qtbot, make_window)
    dialog.capacity_spin.setValue(1.1)  # the user's: "set the capacity to judge them"
    assert "capacity_lower_bound" not in query_of(dialog.url())
    _play(qtbot, window, dialog)
    assert window.session.spec.current_limits_judged
    assert [t for t in window.alert_center.thresholds if t.metric == "current_a"]


@needs_real_data
def test_the_logs_pages_replay_of_the_guess_keeps_the_lower_bound(qtbot, make_window):
    window = make_window()
    window.open_in_logs([ARBIN])
    qtbot.waitUntil(
        lambda: window.logs.selected is not None and not window.logs.busy, timeout=60_000
    )
    assert query_of(window.logs.replay_url())["capacity_lower_bound"] == "1"
