"""The Diagnostics page's Capacity fade and Cycle life cards judge the end of life the
Logs page's End of life sets, as `analyze --eol-fraction` does (one code path), and a
per-cycle table's faults card says it has no samples."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from tests.real_data import REAL_DATA

pytestmark = pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")


def test_fade_and_cycle_life_cards_use_the_end_of_life_set(qtbot, make_window, capsys):
    from app.views.diagnostics_catalog import NO_SAMPLES, Status

    window = make_window()
    path = str(REAL_DATA / "capacity" / "nasa_B0005_capacity.csv")
    window.open_in_logs([path])
    qtbot.waitUntil(lambda: not window.logs.loading and not window.logs.busy, timeout=60_000)
    window.logs.eol_spin.setValue(60.0)
    with qtbot.waitSignal(window.logs.diagnostics_finished, timeout=120_000) as signal:
        window.logs.diagnostics_button.click()
    gui = json.loads(json.dumps(signal.args[0].results, allow_nan=False))
    capsys.readouterr()
    assert main(["analyze", path, "--eol-fraction", "0.6", "--json"]) == 0
    assert gui == json.loads(capsys.readouterr().out)["results"]
    cards = window.diagnostics.summaries
    # 70 % of its first capacity is not past an end of life at 60 %: not critical on
    # either card (the fade card was critical below 80 % whatever was set)
    assert cards["cycle_life"].headline.startswith("end of life near cycle")
    assert cards["capacity_fade"].status is Status.WARNING
    numbers = dict(cards["capacity_fade"].numbers)
    assert numbers["End of life"] == "1.105 Ah (60 % of 1.842 Ah)"
    assert cards["faults"] == NO_SAMPLES
