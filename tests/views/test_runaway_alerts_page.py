"""A thermal runaway through the window, as a first-time user drove it: the Alerts
page and its banner tell the same story as the Fault detection page."""

from __future__ import annotations

from app.diagnostics.faults import detect_faults
from app.hardware.acquisition import AcquisitionState
from app.views.alerts_page import CURRENT_COLUMNS
from app.views.main_window import Page

URL = (
    "sim://nmc?cells=4&profile=cycle&speed=0&duration=3600"
    "&fault=thermal_runaway&fault_at=900&fault_cell=1"
)


def test_a_runaway_reads_alike_on_the_alerts_page_and_in_fault_detection(
    qtbot, make_window, read_source
):
    """The banner led with a cleared 'Fault: open circuit, cell 1 ... (not open)' (the
    runaway's dead cell at the next rest), the runaway alert's Worst said 'peak 157.9
    °C' (Fault detection: 699.9 °C) and the lowest cell voltage's '1.472e-209 V'."""
    spec, data = read_source(URL)
    (onset,) = detect_faults(data, spec).of_kind("thermal_runaway_onset")
    window = make_window()
    center = window.alert_center
    with qtbot.waitSignal(center.storage.idle, timeout=20_000):
        center.preload()  # the window does this after its first paint
    assert window.connect_source(URL) is None
    qtbot.waitUntil(
        lambda: window.session.status.state is AcquisitionState.FINISHED, timeout=120_000
    )

    def runaway():
        alerts = [a for a in center.board.alerts.values() if a.metric.endswith("runaway_onset")]
        return alerts[0] if alerts else None

    qtbot.waitUntil(lambda: runaway() is not None and runaway().latest_fault == onset.to_dict())
    # up to the log's end, not cleared by the samples: up when its source ended (marked
    # once the session's end reaches the alert centre, which may follow the last fault)
    qtbot.waitUntil(lambda: runaway().source_ended)
    assert not [a for a in center.board.alerts.values() if a.metric == "fault_open_circuit"]
    banner = window.alert_banner
    qtbot.waitUntil(banner.isVisible)
    assert center.board.alerts[banner.key].source_ended  # one up to the end leads
    window.show_page(Page.ALERTS)
    table = window.alerts_page.current_table
    qtbot.waitUntil(lambda: table.rowCount() >= 3)
    worst = CURRENT_COLUMNS.index("Worst")
    rule = CURRENT_COLUMNS.index("Rule")
    cells = [table.item(r, worst).text() for r in range(table.rowCount())]
    rules = [table.item(r, rule).text() for r in range(table.rowCount())]
    assert not [c for c in cells if "e-" in c]
    low = [c for c, r in zip(cells, rules, strict=True) if r.startswith("Lowest cell voltage")]
    assert low and set(low) == {"0 V"}
    (fault,) = [c for c, r in zip(cells, rules, strict=True) if "runaway" in r]
    assert f"peak {onset.detail['max_temperature_c']:.1f} °C" in fault
    qtbot.waitUntil(lambda: not center.busy, timeout=20_000)
