"""The alert GUI: the banner keeps unacknowledged critical alerts in view, the
Alerts page acknowledges and shelves, the thresholds editor stores per profile,
and the desktop notices follow the settings."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from PySide6.QtCore import QSize, Qt

from app.core.settings import Settings
from app.diagnostics.alerts import AlertEvent, EventKind, Threshold, profile_name
from app.diagnostics.alerts.lifecycle import AlertStatus
from app.diagnostics.safety import VOLTAGE_TOLERANCE_V
from app.hardware.acquisition import AcquisitionState
from app.views.alerts_page import CURRENT_COLUMNS, HISTORY_COLUMNS
from app.views.main_window import Page

CRITICAL = Threshold("cell_v_max", "above", level=3.75, clear_level=3.74, severity="critical")
WARNING = Threshold("temperature_max_c", "above", level=40.0)
#: how an alert's time in the recording begins: "t = " with no-break spaces
T = "t\u00a0=\u00a0"


@pytest.fixture
def operator():
    settings = Settings.load()
    settings.operator_name = "ada"
    settings.save()
    return "ada"


def feed(window, *events):
    """Hand events to the window as the live engine does (acquisition side)."""
    for output in window.session.alert_outputs:
        output(list(events))


def raised(th, t=10.0, value=3.8):
    return AlertEvent(EventKind.RAISED, th, t, value, th.level)


def cleared(th, t=50.0, worst=3.9):
    return AlertEvent(EventKind.CLEARED, th, t, worst, th.level)


def _history(db_url=None):
    from app.storage import alert_repository
    from app.views.storage_bridge import _database

    db = _database(db_url)
    return [
        (
            row,
            [
                (e.action.value, e.actor, e.comment)
                for e in alert_repository.list_alert_events(db, row.id)
            ],
        )
        for row in alert_repository.list_alert_history(db)
    ]


def test_live_alert_stays_on_the_banner_until_acknowledged(qtbot, make_window, operator):
    from app.core.spec import preset
    from app.views import alert_storage

    profile = profile_name(preset("nmc", series_cells=4))  # the scripted pack's battery
    alert_storage.save_thresholds(None, profile, [CRITICAL])
    window = make_window()
    with qtbot.waitSignal(window.alert_center.storage.idle, timeout=20_000):
        window.alert_center.preload()  # the window does this after its first paint
    banner = window.alert_banner
    assert not banner.isVisible()
    # a pack whose highest cell passes 3.75 V at ~75 s and falls back at ~450 s,
    # at 400 samples/s: the next episode (~1020 s) comes after the checks below
    window.connect_source("scripted://pack?n=0&interval=0.005&block=2")
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=20_000)
    assert banner.text.shown_text().startswith("Highest cell voltage above 3.75 V: 3.")
    assert banner.title.text() == "CRITICAL"
    (alert,) = window.alert_center.board.alerts.values()
    assert alert.threshold.id is not None  # the stored rule
    # the condition clears; an unacknowledged critical alert stays in view
    qtbot.waitUntil(lambda: alert.cleared, timeout=30_000)
    assert alert.raised_time_s < 100 and 400 < alert.cleared_time_s < 500
    assert banner.isVisible() and "(cleared)" in banner.text.shown_text()
    # it waits for an acknowledgement, but the pack is not in a critical state now
    assert banner.title.text() == "UNACKNOWLEDGED"
    banner.comment.setText("cell 4 high, balancing")
    banner.ack_button.click()
    assert alert.acknowledged_by == "ada" and alert.status is AlertStatus.CLEARED
    window.session.stop()
    assert not banner.isVisible() or banner.key != alert.key
    qtbot.waitUntil(lambda: not window.alert_center.busy, timeout=20_000)

    row, trail = _history()[-1]  # the first episode (the pack goes on rising and falling)
    assert row.state.value == "cleared" and row.comment == "cell 4 high, balancing"
    assert row.threshold_id == alert.threshold.id and row.value > 3.75
    assert trail == [
        ("raised", "system", None),
        ("cleared", "system", None),
        ("acknowledged", "ada", "cell 4 high, balancing"),
    ]


def test_acknowledged_critical_leaves_the_banner_while_still_up(qtbot, make_window, operator):
    window = make_window()
    feed(window, raised(CRITICAL), raised(WARNING, value=45.0))
    qtbot.waitUntil(window.alert_banner.isVisible)
    page = window.alerts_page
    window.alert_banner.show_button.click()
    assert window.current_page is Page.ALERTS
    assert page.current_table.rowCount() == 2
    assert page.current_table.item(0, 0).text() == "CRITICAL"  # most severe first
    page.select(window.alert_banner.key)
    page.comment.setText("seen")
    page.ack_button.click()
    assert not window.alert_banner.isVisible()
    assert page.current_table.item(0, 1).text() == "acknowledged"  # still up, still listed
    assert page.current_table.item(0, 6).text().startswith("ada ")
    assert not page.ack_button.isEnabled()  # once is enough


def test_shelve_hides_and_unshelve_brings_back(qtbot, make_window, operator):
    window = make_window()
    feed(window, raised(CRITICAL))
    qtbot.waitUntil(window.alert_banner.isVisible)
    page = window.alerts_page
    (alert,) = window.alert_center.board.alerts.values()
    page.select(alert.key)
    page.shelf.setCurrentIndex(page.shelf.findData(60))
    page.shelve_button.click()
    assert alert.status is AlertStatus.SHELVED and not window.alert_banner.isVisible()
    assert page.current_table.item(0, 1).text().startswith("shelved until ")
    # a new episode of the shelved threshold arrives silenced
    feed(window, cleared(CRITICAL), raised(CRITICAL, t=90))
    qtbot.waitUntil(lambda: len(window.alert_center.board.alerts) == 2)
    assert not window.alert_banner.isVisible()
    assert window.desktop_notices.sounds == 1  # only the first episode was announced
    newest = max(window.alert_center.board.alerts)
    page.select(newest)
    page.unshelve_button.click()
    assert window.alert_banner.isVisible()
    # the history tab shows the audit trail of the selected alert
    page.history_table.selectRow(1)
    audit = page.audit.toPlainText()
    assert "shelved" in audit and "ada" in audit and "cleared" in audit
    # the rule in words, not its machine form ("cell_v_max above 3.75 (clear 3.74)")
    first = audit.splitlines()[0]
    assert first == "Highest cell voltage above 3.75 V; clears below 3.74 V (critical)"
    assert "shelved by ada" in audit
    assert "cell_v_max" not in audit
    rule_tip = page.history_table.item(1, HISTORY_COLUMNS.index("Rule")).toolTip()
    assert rule_tip == "Highest cell voltage above 3.75 V; clears below 3.74 V"


def test_sound_follows_the_setting(qtbot, make_window):
    window = make_window()
    window.action_alert_sound.setChecked(False)
    assert window.settings.alert_sound is False
    feed(window, raised(CRITICAL))
    qtbot.waitUntil(window.alert_banner.isVisible)
    assert window.desktop_notices.sounds == 0
    window.action_alert_sound.setChecked(True)
    feed(window, raised(WARNING, value=45))
    qtbot.waitUntil(lambda: window.desktop_notices.sounds == 1)


def test_thresholds_editor_adds_saves_and_round_trips_json(qtbot, make_window, tmp_path):
    window = make_window()
    editor = window.alerts_page.thresholds
    editor.profile.setCurrentText("rack-7")
    editor.set_rules([WARNING], "start")
    dialog = editor.edit(None)
    dialog.metric_box.setCurrentIndex(dialog.metric_box.findData("current_a"))
    dialog.comparison.setCurrentIndex(dialog.comparison.findData("outside"))
    dialog.band_low.setText("-50")
    dialog.band_high.setText("abc")
    dialog.accept()
    assert dialog.isVisible() and "band high: 'abc' is not a number" in dialog.error.text()
    dialog.band_high.setText("-60")
    dialog.accept()
    assert "band_low must not be above band_high" in dialog.error.text()
    dialog.band_high.setText("25")
    dialog.clear_level.setText("2")
    dialog.accept()
    assert not dialog.isVisible()
    assert editor.table.rowCount() == 2
    # in words, the metric named in its own column ("current_a outside -50..25 (margin 2)")
    rule = editor.table.item(1, 2)
    assert rule.text() == "outside -50 .. 25 A; clears 2 A inside the band"
    assert rule.toolTip() == "Current (+ charging) " + rule.text()

    with qtbot.waitSignal(window.alert_center.storage.idle, timeout=20_000):
        editor.save()
    from app.views import alert_storage

    stored = alert_storage.stored_thresholds(None, "rack-7")
    assert sorted(t.describe() for t in stored) == [
        "current_a outside -50..25 (margin 2)",
        "temperature_max_c above 40",
    ]

    out = tmp_path / "rack-7.json"
    assert editor.export_file(str(out))
    assert json.loads(out.read_text())["thresholds"][1]["band_high"] == 25
    editor.set_rules([], "emptied")
    assert editor.import_file(str(out)) and editor.table.rowCount() == 2
    bad = tmp_path / "bad.json"
    bad.write_text('{"thresholds": [{"metric": "nope", "comparison": "above", "level": 1}]}')
    assert not editor.import_file(str(bad))
    assert "unknown metric" in editor.message.text() and editor.table.rowCount() == 2


def test_thresholds_of_the_battery_reach_the_live_engine(qtbot, make_window):
    window = make_window()
    window.connect_source("scripted://pack?n=0&interval=0.01&block=10")
    center = window.alert_center
    qtbot.waitUntil(lambda: bool(center.thresholds), timeout=20_000)
    assert center.profile == window.session.spec.name
    engine = window.session._engine.engine
    # the defaults of the chemistry, stored for the profile and in force in the engine
    assert engine.alerts.thresholds == center.thresholds
    # (the warning beyond the cell's limit by the measurement's tolerance, as safety grades)
    v_max = window.session.spec.cell_v_max + VOLTAGE_TOLERANCE_V
    assert any(t.metric == "cell_v_max" and t.level == v_max for t in center.thresholds)
    editor = window.alerts_page.thresholds
    assert editor.profile_name == center.profile and editor.table.rowCount() == len(
        center.thresholds
    )

    # saving the active profile puts the new rules in force at once
    editor.set_rules([CRITICAL], "mine")
    with qtbot.waitSignal(center.storage.idle, timeout=20_000):
        editor.save()
    assert [t.describe() for t in engine.alerts.thresholds] == [CRITICAL.describe()]
    assert engine.alerts.thresholds[0].id is not None


def test_without_a_database_the_defaults_still_guard(qtbot, make_window):
    window = make_window(db_url="postgresql://nobody@127.0.0.1:1/nothing")
    window.connect_source("scripted://pack?n=0&interval=0.01&block=10")
    center = window.alert_center
    qtbot.waitUntil(lambda: bool(center.thresholds), timeout=30_000)
    assert all(t.id is None for t in center.thresholds)
    assert not window.alerts_page.problem.isHidden()
    assert "cannot connect to postgresql" in window.alerts_page.problem.text()


def test_alert_lines_read_in_words_and_units():
    from datetime import UTC, datetime

    from app.diagnostics.alerts.lifecycle import AlertBoard
    from app.views.alert_banner import alert_line, rule_text

    board = AlertBoard(lambda: datetime(2026, 5, 1, tzinfo=UTC))
    temp = Threshold("temperature_max_c", "above", level=60, delay_s=2, severity="critical")
    alert = board.apply(AlertEvent(EventKind.RAISED, temp, 817.5, 61.206, 60.0))
    # the wall-clock time first, as on the Alerts page, then the time in the recording
    clock = datetime(2026, 5, 1, tzinfo=UTC).astimezone().strftime("%H:%M:%S")
    assert alert_line(alert) == (
        f"Highest temperature above 60 °C for 2 s: 61.21 °C at {clock}  ({T}13:37.5)"
    )
    fault = Threshold("fault_thermal_runaway_onset", "above", level=0.5)
    alert = board.apply(AlertEvent(EventKind.RAISED, fault, 629.9, 1.0, 0.5))
    assert alert_line(alert) == f"Fault: thermal runaway onset at {clock}  ({T}10:29.9)"
    # a log file replayed now: its samples' clock is its own start plus t, not the
    # moment of the replay; a file that does not say when it began shows t alone
    from datetime import timedelta

    from app.diagnostics.alerts.lifecycle import TimeBase

    start = datetime(2025, 3, 6, 12, 37, 25, tzinfo=UTC)
    logged = board.apply(
        AlertEvent(EventKind.RAISED, temp, 2000.1, 61.2, 60.0), None, TimeBase(False, start)
    )
    at = (start + timedelta(seconds=2000.1)).astimezone().strftime("%H:%M:%S")
    assert alert_line(logged).endswith(f"61.2 °C at {at}  ({T}33:20.1)")
    undated = board.apply(
        AlertEvent(EventKind.RAISED, fault, 2000.1, 1.0, 0.5), None, TimeBase(live=False)
    )
    assert alert_line(undated) == f"Fault: thermal runaway onset at {T}33:20.1"
    band = Threshold("current_a", "outside", band_low=-50, band_high=25)
    assert rule_text(band) == "Current (+ charging) outside -50 .. 25 A"


def test_a_fault_alert_says_what_the_detector_measured():
    from datetime import UTC, datetime

    from app.diagnostics.alerts.lifecycle import AlertBoard, TimeBase
    from app.views.alert_banner import alert_line, value_text

    board = AlertBoard(lambda: datetime(2026, 5, 1, tzinfo=UTC))
    rule = Threshold("fault_internal_short", "above", level=0.5, severity="critical")
    found = {
        "kind": "internal_short",
        "start_time_s": 3030.0,
        "end_time_s": 3089.9,
        "channel": "cell_2_v",
        "detail": {"detected_time_s": 3089.9, "evidence_z": 9.0, "excess_temperature_k": 0.4},
    }
    alert = board.apply(
        AlertEvent(EventKind.RAISED, rule, 3030.0, 1.0, 0.5, found), None, TimeBase(live=False)
    )
    assert value_text(rule, alert.value, alert.fault) == (
        "cell 2: up to 0.4 K above its neighbours' median (5-min mean)"
    )
    later = {**found, "detail": {**found["detail"], "leak_current_a": 0.3495}}
    assert board.note_fault(rule, later) and not board.note_fault(rule, later)
    assert value_text(rule, alert.worst_value, alert.latest_fault) == (
        "cell 2: self-discharge 0.349 A, up to 0.4 K above its neighbours' median (5-min mean)"
    )
    # the figures as last known, then when it was raised (not 'figures at <raise time>')
    assert alert_line(alert) == (
        "Fault: internal short, cell 2: self-discharge 0.349 A, up to"
        f" 0.4 K above its neighbours' median (5-min mean); raised at {T}50:30.0"
    )
    # a fault the detector gave no numbers for
    assert value_text(rule, 1.0, None) == "detected"


def test_a_log_that_streams_at_once_is_judged_from_its_first_sample(qtbot, make_window):
    from app.core.spec import preset
    from app.views import alert_storage

    profile = profile_name(preset("nmc", series_cells=4))
    alert_storage.save_thresholds(None, profile, [CRITICAL])
    window = make_window()
    center = window.alert_center
    with qtbot.waitSignal(center.storage.idle, timeout=20_000):
        center.preload()  # the window does this after its first paint
    # 600 samples with no pause: over before any background load could finish
    window.connect_source("scripted://pack?n=600&block=600")
    qtbot.waitUntil(lambda: len(center.board.alerts) == 1, timeout=20_000)
    (alert,) = center.board.alerts.values()
    assert alert.threshold.id is not None and alert.raised_time_s < 100
    assert alert.cleared_time_s is not None  # cleared within the log


def test_notification_settings_send_a_webhook_for_a_new_alert(qtbot, make_window):
    from tests.local_servers import webhook_server

    window = make_window()
    with webhook_server() as server:
        dialog = window.edit_notifications()
        dialog.webhook_url.setText("ftp://wrong")
        dialog.accept()
        assert dialog.isVisible() and "must start with http" in dialog.error.text()
        dialog.webhook_url.setText(f"http://127.0.0.1:{server.server_port}/hook")
        dialog.webhook_severities.boxes["warning"].setChecked(True)
        dialog.accept()
        assert window.settings.webhook_severities == ["warning", "critical"]
        feed(
            window,
            raised(CRITICAL),
            raised(Threshold("soc_percent", "below", level=10, severity="info"), value=9),
        )
        qtbot.waitUntil(lambda: window.alert_center.notifier.sent == 1, timeout=10_000)
        feed(window, cleared(CRITICAL))  # a receiver can resolve what it opened
        qtbot.waitUntil(lambda: window.alert_center.notifier.sent == 2, timeout=10_000)
        assert window.alert_center.notifier.wait_idle(10)
        window.alert_center.notifier.close()
    # the info alert is not for this channel
    assert [(p["event"], p["metric"], p["severity"]) for _, p in server.requests] == [
        ("raised", "cell_v_max", "critical"),
        ("cleared", "cell_v_max", "critical"),
    ]
    assert server.requests[1][1]["worst_value"] == 3.9


def test_tray_message_where_a_tray_exists(qtbot, qapp, monkeypatch):
    from PySide6.QtWidgets import QSystemTrayIcon

    from app.diagnostics.alerts.lifecycle import AlertBoard
    from app.views.desktop_notices import DesktopNotices

    alert = AlertBoard().apply(raised(CRITICAL))
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    settings = Settings()
    notices = DesktopNotices(settings)
    shown = []
    monkeypatch.setattr(notices.tray, "showMessage", lambda *args: shown.append(args))
    notices.announce(alert)
    assert shown[0][0] == "Battery OS: critical alert" and "Highest cell voltage" in shown[0][1]
    assert notices.sounds == 1
    settings.alert_tray = settings.alert_sound = False
    notices.announce(alert)
    assert len(shown) == 1 and notices.sounds == 1
    notices.close()

    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: False))
    assert DesktopNotices(Settings()).tray is None  # no tray: sound only


def test_alerts_raised_while_recording_name_the_recording(qtbot, make_window):
    window = make_window()
    window.connect_source("scripted://pack?n=0&interval=0.01&block=10")
    with qtbot.waitSignal(window.session.recording_started, timeout=20_000):
        window.dashboard.record_button.click()
    feed(window, raised(WARNING, value=45.0))
    board = window.alert_center.board

    def mine():  # the scripted pack raises default alerts of its own meanwhile
        return [a for a in board.alerts.values() if a.threshold == WARNING]

    qtbot.waitUntil(lambda: len(mine()) == 1)
    (alert,) = mine()
    assert alert.recording_id == window.session.recording_id is not None
    with qtbot.waitSignal(window.session.recording_stopped, timeout=20_000):
        window.dashboard.record_button.click()
    window.session.stop()
    qtbot.waitUntil(lambda: not window.alert_center.busy, timeout=20_000)
    rows = [row for row, _trail in _history() if row.metric == "temperature_max_c"]
    assert [r.recording_id for r in rows] == [alert.recording_id]


def test_the_operator_picked_at_start_is_who_acknowledges_and_configures(qtbot, make_window):
    from app.core.operator import Operator, set_current_user
    from app.core.spec import preset
    from app.storage import alert_repository
    from app.storage import repositories as repo
    from app.views import alert_storage
    from app.views.storage_bridge import _database

    grace = repo.create_user(_database(None), "grace", "engineer")
    set_current_user(Operator(grace.id, "grace", "engineer"))
    try:
        profile = profile_name(preset("nmc", series_cells=4))
        (stored,) = alert_storage.save_thresholds(None, profile, [CRITICAL])
        with _database(None).session() as session:
            from app.storage.models import AlertThreshold

            assert session.get(AlertThreshold, stored.id).created_by == grace.id
        window = make_window()
        feed(window, raised(CRITICAL))
        qtbot.waitUntil(window.alert_banner.isVisible)
        window.alert_banner.comment.setText("seen")
        window.alert_banner.ack_button.click()
        qtbot.waitUntil(lambda: not window.alert_center.busy, timeout=20_000)
        row = alert_repository.list_alert_history(_database(None))[0]
        assert row.acknowledged_by == grace.id
        trail = alert_repository.list_alert_events(_database(None), row.id)
        assert ("acknowledged", "grace") in [(e.action.value, e.actor) for e in trail]
    finally:
        set_current_user(None)


def test_alerts_of_a_log_file_read_in_the_files_own_time(qtbot, make_window, tmp_path):
    """A log replayed now: its alerts' clock is the file's start plus t (the banner
    showed bare seconds; the moment of the replay would be no time of the samples)."""
    from datetime import UTC, datetime, timedelta

    from app.core.spec import preset
    from app.hardware.logs.canonical_csv import write_canonical_csv
    from app.hardware.simulator import simulate
    from app.views.source_urls import file_url

    path = tmp_path / "pack.csv"
    block = simulate(preset("nmc", series_cells=4), "drive", duration_s=300)
    write_canonical_csv(str(path), block, {"start_utc": "2025-03-06T12:37:25+00:00"})
    window = make_window()
    window.connect_source(file_url(path) + "?speed=1")
    qtbot.waitUntil(lambda: window.session.acquisition is not None, timeout=20_000)
    qtbot.waitUntil(lambda: bool(window.session.acquisition.source.metadata), timeout=20_000)
    feed(window, raised(CRITICAL, t=120.0))
    qtbot.waitUntil(lambda: bool(window.alert_center.board.alerts), timeout=20_000)
    (alert,) = window.alert_center.board.alerts.values()
    start = datetime(2025, 3, 6, 12, 37, 25, tzinfo=UTC)
    assert not alert.time_base.live and alert.time_base.start_utc == start
    at = (start + timedelta(seconds=120)).astimezone().strftime("%H:%M:%S")
    qtbot.waitUntil(lambda: window.alert_banner.isVisible(), timeout=20_000)
    # (followed by "(up when its source ended)" once the replay has ended, as it may)
    assert f"at {at}  ({T}2:00.0)" in window.alert_banner.text.shown_text()
    window.session.stop()
    qtbot.waitUntil(lambda: not window.alert_center.busy, timeout=20_000)


def test_an_earlier_sources_alert_on_the_banner_names_that_source(qtbot, make_window):
    """After a switch to another pack the banner showed the old pack's alert over the new
    one without naming its source: it stays until acknowledged, and says whose it is."""
    window = make_window()
    first = "scripted://pack?n=0&interval=0.01&block=10"
    window.connect_source(first)
    feed(window, raised(CRITICAL))
    banner = window.alert_banner
    qtbot.waitUntil(banner.isVisible)
    assert "earlier source" not in banner.text.shown_text()  # the pack on the dashboard's own

    window.connect_source("failing://another-pack")  # raises nothing
    alert = window.alert_center.board.alerts[banner.key]
    assert alert.cleared and not alert.acknowledged  # the stream ended: still to be seen
    assert "· of an earlier source, scripted://pack?n=0&inte…" in banner.text.shown_text()
    assert first in banner.text.toolTip()
    assert window.alert_center.sources[alert.key] == first
    window.connect_source(first)  # that source on the dashboard again: no longer named
    assert banner.isVisible() and "earlier source" not in banner.text.toolTip()
    window.session.stop()


def test_a_fault_alert_reloaded_from_the_database_shows_what_was_measured(
    qtbot, make_window, tmp_path, monkeypatch
):
    """The figures the Alerts page shows of a detected fault live are stored with the
    alert (as raised, and as the live view updates them) and shown again by the
    History page; a fault alert stored before they were kept says "detected"."""
    from app.storage import alert_repository
    from app.storage.database import Database

    url = f"sqlite:///{tmp_path / 'alerts.sqlite'}"
    rule = Threshold("fault_internal_short", "above", level=0.5, severity="critical")
    found = {
        "kind": "internal_short",
        "start_time_s": 3030.0,
        "end_time_s": 3089.9,
        "channel": "cell_2_v",
        "detail": {"detected_time_s": 3089.9, "excess_temperature_k": 3.1},
    }
    later = {**found, "detail": {**found["detail"], "leak_current_a": 0.3495}}
    window = make_window(db_url=url)
    center = window.alert_center
    feed(window, AlertEvent(EventKind.RAISED, rule, 3030.0, 1.0, 0.5, found))
    qtbot.waitUntil(lambda: len(center.board.alerts) == 1)
    (alert,) = center.board.alerts.values()
    # the live engine's later reading of the fault, taken on the next tick
    monkeypatch.setattr(window.session, "open_alert_faults", lambda: {rule: later})
    qtbot.waitUntil(lambda: alert.latest_fault == later)
    qtbot.waitUntil(lambda: not center.busy, timeout=20_000)
    with Database(url) as db:  # stored while still up
        (row,) = alert_repository.list_alert_history(db)
        assert row.state.value == "active"
        assert row.detail == "cell 2: up to 3.1 K above its neighbours' median (5-min mean)"
        assert row.worst_detail == (
            "cell 2: self-discharge 0.349 A, up to 3.1 K above its neighbours' median (5-min mean)"
        )
        # an alert of the same rule stored before the figures were kept
        alert_repository.record_alert(
            db, "fault_open_circuit", 1.0, "critical", threshold_value=0.5,
            raised_at=alert.raised_at - timedelta(hours=1),
        )  # fmt: skip
    monkeypatch.setattr(window.session, "open_alert_faults", dict)
    feed(window, AlertEvent(EventKind.CLEARED, rule, 3300.0, 1.0, 0.5))
    qtbot.waitUntil(lambda: alert.cleared)
    qtbot.waitUntil(lambda: not center.busy, timeout=20_000)

    page = window.history
    page.period_combo.setCurrentIndex(3)  # all time
    window.show_page(Page.HISTORY)  # its first visit loads the recordings
    page.set_tab("alerts")  # and the alerts once looked at
    table = page.tables["alerts"]
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=20_000)
    qtbot.waitUntil(lambda: not window.history_loader.busy, timeout=20_000)
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]

    def column(name):
        return [table.item(r, headers.index(name)).text() for r in range(table.rowCount())]

    assert column("Metric") == ["Fault: internal short", "Fault: open circuit"]
    assert column("At raise") == [
        "cell 2: up to 3.1 K above its neighbours' median (5-min mean)",
        "detected",
    ]
    assert column("Worst") == [
        "cell 2: self-discharge 0.349 A, up to 3.1 K above its neighbours' median (5-min mean)",
        "detected",
    ]
    assert column("Threshold") == ["", ""]  # 0.5 of a fault rule means "detected"
    assert column("State") == ["cleared, not acknowledged", "active"]  # critical: to be seen


def test_the_worst_of_an_alert_still_up_is_written_at_most_every_few_seconds(
    qtbot, make_window, tmp_path, monkeypatch
):
    """A rising temperature moves an alert's worst on every tick: its row follows
    at most every WORST_WRITE_S, the last reading written on a later tick."""
    from app.storage import alert_repository
    from app.storage.database import Database
    from app.views import alert_center as center_module

    now = [1000.0]
    monkeypatch.setattr(center_module, "_monotonic", lambda: now[0])
    url = f"sqlite:///{tmp_path / 'alerts.sqlite'}"
    window = make_window(db_url=url)
    center = window.alert_center
    worst = {WARNING: 45.0}
    monkeypatch.setattr(window.session, "open_alert_worst", lambda: dict(worst))
    feed(window, raised(WARNING, value=45.0))
    qtbot.waitUntil(lambda: len(center.board.alerts) == 1)

    def stored_worst():
        center._on_tick()  # a tick at the clock set (the timer's do the same)
        qtbot.waitUntil(lambda: not center.busy, timeout=20_000)
        with Database(url) as db:
            (row,) = alert_repository.list_alert_history(db)
            return row.worst_value

    worst[WARNING] = 46.0
    assert stored_worst() == 46.0  # the first change is written at once
    worst[WARNING] = 47.5
    now[0] += 1.0
    assert stored_worst() == 46.0  # 1 s later: not yet
    now[0] += center_module.WORST_WRITE_S
    assert stored_worst() == 47.5  # no new reading, but the last one is written
    worst[WARNING] = 48.0
    feed(window, cleared(WARNING, worst=48.2))  # the clear writes the final worst
    assert stored_worst() == 48.2


def test_the_alerts_and_history_pages_agree_on_state_and_who_acknowledged(
    qtbot, make_window, operator
):
    """The operator ("ada") has no users row: the History page named the
    acknowledger "unknown" and said "cleared" where the Alerts page said who and
    that it was acknowledged."""
    from app.views.history_page import HistoryFilters, row_cells
    from app.views.storage_bridge import history_rows

    window = make_window()
    feed(window, raised(CRITICAL))
    qtbot.waitUntil(window.alert_banner.isVisible)
    (alert,) = window.alert_center.board.alerts.values()
    window.alert_banner.comment.setText("checked cell 2")
    window.alert_banner.ack_button.click()
    feed(window, cleared(CRITICAL))
    qtbot.waitUntil(lambda: alert.cleared)
    qtbot.waitUntil(lambda: not window.alert_center.busy, timeout=20_000)

    page = window.alerts_page
    assert page.history_table.item(0, 1).text() == "acknowledged, cleared"
    page.history_table.selectRow(0)
    assert "acknowledged by ada" in page.audit.toPlainText()
    (row,) = history_rows(None, "alerts", HistoryFilters())
    cells = row_cells("alerts", row)
    # the rule's metric as the Alerts page names it, not 'cell_v_max'
    assert cells[2] == "Highest cell voltage"
    assert cells[7] == "acknowledged, cleared"
    assert cells[8].endswith(" by ada")


def _runaway_raised() -> AlertEvent:
    """A runaway-onset alert raised at 325 s, with the detector's figures (long text)."""
    rule = Threshold("fault_thermal_runaway_onset", "above", level=0.5, severity="critical")
    fault = {
        "kind": "thermal_runaway_onset",
        "start_time_s": 325.0,
        "end_time_s": 395.0,
        "channel": "cell_2_temp_c",
        "detail": {
            "detected_time_s": 325.0,
            "temperature_at_detection_c": 25.7,
            "excess_rate_at_detection_c_per_min": 0.87,
            "temperature_sensors": 4,
            "max_temperature_c": 27.1,
            "max_rise_rate_c_per_min": 1.2,
        },
    }
    return AlertEvent(EventKind.RAISED, rule, 325.0, 1.0, 0.5, fault)


def test_a_fault_alerts_figures_wrap_so_every_column_fits_at_1600_px(qtbot, make_window):
    """At 1600x1000 a runaway alert's 'At raise' took half the table's width on
    one line and Worst, Raised and Acknowledged needed horizontal scrolling: the
    figures now wrap in a column of about 34 characters, as on the History page."""
    from app.views.wrapped_columns import WORDED_COLUMN_CHARS

    window = make_window()
    window.resize(1600, 1000)
    window.show_page(Page.ALERTS)
    feed(window, _runaway_raised())
    table = window.alerts_page.current_table
    qtbot.waitUntil(lambda: table.rowCount() == 1)
    qtbot.waitUntil(lambda: table.viewport().width() > 1000)
    cap = table.fontMetrics().horizontalAdvance("n" * WORDED_COLUMN_CHARS)
    line = table.fontMetrics().height()
    for name in ("At raise", "Worst"):
        assert table.columnWidth(CURRENT_COLUMNS.index(name)) <= cap
    at_raise = table.item(0, CURRENT_COLUMNS.index("At raise")).text()
    assert len(at_raise) > 2 * WORDED_COLUMN_CHARS  # it has to wrap
    # the worst so far is the raise's: said so, not the long text again (at 1024 px the
    # two columns repeated it and pushed Raised and Acknowledged off to the right)
    worst = table.item(0, CURRENT_COLUMNS.index("Worst"))
    assert worst.text() == "as at raise"
    assert table.rowHeight(0) > 2 * line  # ... and it does, in a taller row
    assert table.horizontalScrollBar().maximum() == 0  # every column in view


def _drawn_whole(table, row: int, col: int) -> bool:
    """The cell's text fits its column and row wrapped at word boundaries (Qt draws
    '…' where it does not)."""
    from PySide6.QtCore import QRect

    text = table.item(row, col).text()
    room = table.columnWidth(col) - 2 * (
        table.style().pixelMetric(table.style().PixelMetric.PM_FocusFrameHMargin, None, table) + 1
    )
    box = table.fontMetrics().boundingRect(
        QRect(0, 0, room, 100_000), int(Qt.TextFlag.TextWordWrap), text
    )
    return box.width() <= room and box.height() <= table.rowHeight(row)


def test_a_faults_worst_is_wrapped_whole_not_cut_at_1024_px(qtbot, make_window):
    """At 1024 px a noisy sensor's Worst read 'cell 2: noise σ 0.059 V, …': the words
    it shared with At raise were cut. It is whole, wrapped as At raise is, and every
    column stays in view."""
    rule = Threshold("fault_sensor_noisy", "above", level=0.5, severity="warning")

    def noisy(sigma: float) -> dict:
        return {
            "kind": "sensor_noisy",
            "start_time_s": 30.0,
            "end_time_s": 90.0,
            "channel": "cell_2_v",
            "detail": {"noise_sigma": sigma, "group_sigma": 0.0002},
        }

    window = make_window()
    window.resize(1024, 700)
    window.show_page(Page.ALERTS)
    feed(window, AlertEvent(EventKind.RAISED, rule, 30.0, 1.0, 0.5, noisy(0.030)))
    feed(window, AlertEvent(EventKind.CLEARED, rule, 90.0, 1.0, 0.5, noisy(0.059)))
    table = window.alerts_page.history_table
    window.alerts_page.tabs.setCurrentIndex(1)  # History: the cleared episode
    qtbot.waitUntil(lambda: table.rowCount() == 1)
    at_raise = table.item(0, HISTORY_COLUMNS.index("At raise")).text()
    worst = table.item(0, HISTORY_COLUMNS.index("Worst")).text()
    assert "0.059" in worst and "…" not in worst
    assert worst != at_raise and len(worst.split()) == len(at_raise.split())
    qtbot.waitUntil(lambda: table.viewport().width() > 300)
    qtbot.waitUntil(lambda: _drawn_whole(table, 0, HISTORY_COLUMNS.index("Worst")))
    assert _drawn_whole(table, 0, HISTORY_COLUMNS.index("At raise"))
    assert table.horizontalScrollBar().maximum() == 0  # every column in view


#: the detector's withdrawal of the runaway alarm below (its heat: cell 2's short)
WITHDRAWAL = {
    "channel": "cell_2_temp_c",
    "start_time_s": 325.0,
    "short_detected_s": 479.0,
    "reason": "cell 2's internal short explains the heat",
}


def _raise_and_clear_runaway(window) -> None:
    """The live engine's runaway-onset alarm on cell 2, raised at 325 s and cleared."""
    rule = Threshold("fault_thermal_runaway_onset", "above", level=0.5, severity="critical")
    fault = {
        "kind": "thermal_runaway_onset",
        "start_time_s": 325.0,
        "end_time_s": 395.0,
        "channel": "cell_2_temp_c",
        "detail": {"detected_time_s": 329.0},
    }
    feed(window, AlertEvent(EventKind.RAISED, rule, 325.0, 1.0, 0.5, fault))
    feed(window, AlertEvent(EventKind.CLEARED, rule, 400.0, 1.0, 0.5, fault))


def test_a_withdrawn_runaway_alarm_reads_withdrawn_on_the_alerts_page(
    qtbot, make_window, monkeypatch
):
    """The live engine's runaway alarm on cell 2 (from 325 s) cleared, and the
    detector then put its heat down to cell 2's short: the Alerts page said only
    'cleared, not acknowledged'; it now says it was withdrawn, and why."""
    window = make_window()
    _raise_and_clear_runaway(window)
    table = window.alerts_page.current_table
    state = CURRENT_COLUMNS.index("State")
    qtbot.waitUntil(lambda: table.rowCount() == 1 and table.item(0, state).text() != "active")
    assert table.item(0, state).text() == "cleared, not acknowledged"
    monkeypatch.setattr(window.session, "withdrawn_alarms", lambda: [WITHDRAWAL])
    qtbot.waitUntil(
        lambda: (
            table.item(0, state).text()
            == "withdrawn, not acknowledged: cell 2's internal short explains the heat"
        )
    )
    from app.views.alert_banner import alert_line

    (alert,) = window.alert_center.board.alerts.values()
    assert alert_line(alert).endswith(
        "(withdrawn: cell 2's internal short explains the heat)"
    )  # the banner's line


def test_exported_report_lists_the_sources_alerts_and_who_is_at_the_bench(
    qtbot, make_window, operator, tmp_path
):
    from app.core.spec import preset
    from app.views import alert_storage

    profile = profile_name(preset("nmc", series_cells=4))
    alert_storage.save_thresholds(None, profile, [CRITICAL])
    window = make_window()
    center = window.alert_center
    with qtbot.waitSignal(center.storage.idle, timeout=20_000):
        center.preload()

    def run_and_export(name: str, alerts: int, comment: str | None = None) -> str:
        """Stream the scripted pack to its end (acknowledging its newest alert with
        ``comment``), export the report, and return its HTML."""
        window.connect_source("scripted://pack?n=600&block=600")
        qtbot.waitUntil(lambda: len(center.board.alerts) == alerts, timeout=20_000)
        if comment is not None:
            alert = max(center.board.alerts.values(), key=lambda a: a.key)
            assert center.acknowledge(alert.key, comment) is None
        qtbot.waitUntil(
            lambda: window.session.status.state is AcquisitionState.FINISHED, timeout=20_000
        )
        out = tmp_path / name
        with qtbot.waitSignal(window.report_exporter.finished, timeout=60_000):
            window.export_report(str(out))
        return out.read_text()

    html = run_and_export("first.html", 1, "cell 4 high, balancing")
    assert "No alerts were raised" not in html
    assert "cell 4 high, balancing" in html and "Highest cell voltage" in html
    assert "Prepared by</th><td>ada" in html.replace("\n", "") or ">ada<" in html

    # the same log again: its report holds its own episode, not the first run's
    html = run_and_export("second.html", 2)
    assert "Highest cell voltage" in html and "cell 4 high, balancing" not in html
    window.session.stop()
    qtbot.waitUntil(lambda: not center.busy, timeout=20_000)


def test_a_withdrawn_runaway_alarm_is_stored_and_shown_withdrawn_in_history(
    qtbot, make_window, monkeypatch, tmp_path
):
    """The runaway alarm the detector put down to cell 2's short read 'withdrawn' on
    the Alerts page, but was stored as plain 'cleared': the History page said
    'cleared, not acknowledged'. It is stored withdrawn, with its reason, and the
    History page says so."""
    from app.views.main_window import Page

    url = f"sqlite:///{tmp_path / 'withdrawn.sqlite'}"
    window = make_window(db_url=url)
    _raise_and_clear_runaway(window)
    qtbot.waitUntil(lambda: any(a.cleared for a in window.alert_center.board.alerts.values()))
    monkeypatch.setattr(window.session, "withdrawn_alarms", lambda: [WITHDRAWAL])
    (alert,) = window.alert_center.board.alerts.values()
    qtbot.waitUntil(lambda: alert.withdrawn is not None)
    qtbot.waitUntil(lambda: not window.alert_center.busy, timeout=20_000)
    ((row, _),) = _history(url)
    assert (row.state, row.withdrawn) == ("withdrawn", "cell 2's internal short explains the heat")

    window.resize(1600, 900)
    window.show_page(Page.HISTORY)
    page = window.history
    page.period_combo.setCurrentIndex(3)  # all time
    page.set_tab("alerts")
    table = page.tables["alerts"]
    headers = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
    state = headers.index("State")
    qtbot.waitUntil(lambda: table.rowCount() == 1, timeout=20_000)
    assert table.item(0, state).text() == (
        "withdrawn, not acknowledged: cell 2's internal short explains the heat"
    )
    page.grab().save(str(tmp_path / "history_withdrawn.png"))


def test_the_threshold_dialog_keeps_how_a_limit_rule_judges(qtbot, tmp_path):
    """Editing a default limit rule (the charge window's level, the fast trip, the
    noise band, the debounced clear) and pressing OK gave back a rule without them:
    the temperature rule went back to the discharge window while charging."""
    from app.core.spec import preset
    from app.diagnostics.alerts import default_thresholds
    from app.views.threshold_dialog import ThresholdDialog

    rules = default_thresholds(preset("lfp", series_cells=4), profile="pack")
    for rule in [r for r in rules if r.charge_level is not None or r.fast_level is not None]:
        dialog = ThresholdDialog(rule, "pack")
        qtbot.addWidget(dialog)
        assert dialog.build() == rule
    cold = next(r for r in rules if r.metric == "temperature_min_c")
    dialog = ThresholdDialog(cold, "pack")
    qtbot.addWidget(dialog)
    dialog.charge_level.setText("2")
    assert dialog.build().charge_level == 2.0
    dialog.fast_level.setText("-10")
    dialog.show()
    qtbot.waitUntil(dialog.isVisible)
    dialog.grab().save(str(tmp_path / "threshold_dialog.png"))
    dialog.accept()
    # (a fast level on the near side of the level would raise before it)
    assert "fast level of 'below' must not be above" in dialog.error.text()


def test_a_fault_alert_fits_the_alerts_table_at_1024_px(qtbot, make_window):
    """At 1024 x 700 the Alerts table scrolled sideways: Raised and Acknowledged were
    off-screen. The worded columns narrow (their texts wrap) so every column is in view."""
    window = make_window()
    window.resize(1024, 700)
    window.show_page(Page.ALERTS)
    feed(window, _runaway_raised())
    table = window.alerts_page.current_table
    qtbot.waitUntil(lambda: table.rowCount() == 1)
    qtbot.waitUntil(lambda: window.size() == QSize(1024, 700))
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0)
    widths = sum(table.columnWidth(c) for c in range(table.columnCount()))
    assert widths <= table.viewport().width()


def test_the_banner_writes_the_time_as_the_plots_do_and_never_wraps_inside_it(qtbot, make_window):
    """With the Neware export open the banner wrapped "(t =" and "95998.0 s)" onto two
    lines, in raw seconds while the time axes read h:mm:ss: the time in the recording
    reads as the axes and the cursor readout write it, and no width breaks it apart."""
    from app.views.fitted_label import fitted_lines

    window = make_window()
    feed(window, raised(CRITICAL, t=95998.0))
    banner = window.alert_banner
    qtbot.waitUntil(lambda: banner.isVisible() and banner.full_text != "")
    when = f"({T}26:39:58.0)" if "  (" in banner.full_text else f"{T}26:39:58.0"
    assert banner.full_text.endswith(when)
    assert when in banner.text.shown_text()
    # at every width with room for it on a line, it is on one line
    font, full = banner.text.font(), banner.full_text
    metrics = banner.text.fontMetrics()
    start = full.index(when)
    for width in range(metrics.horizontalAdvance(when) + 8, metrics.horizontalAdvance(full), 5):
        lines = fitted_lines(full, font, width, max_lines=20)
        ends = [sum(map(len, lines[: i + 1])) for i in range(len(lines) - 1)]
        assert not [e for e in ends if start < e < start + len(when)], (width, lines)


def test_the_banner_cuts_an_alert_without_figures_before_its_time_never_inside_it(qtbot):
    """At 1100 px the Neware export's over-voltage alert (no figures to cut) was cut
    inside its time: '... raised at 15:17:23  (t = 9…'. The time is whole or not there."""
    from datetime import UTC, datetime

    from app.diagnostics.alerts.lifecycle import AlertBoard
    from app.views.alert_banner import banner_lines
    from app.views.fitted_label import FittedLabel

    board = AlertBoard(lambda: datetime(2026, 5, 1, tzinfo=UTC))
    alert = board.apply(raised(CRITICAL, t=95998.0))
    full, *shorter = banner_lines(alert)
    when = f"({T}26:39:58.0)"
    assert full.endswith(when)
    label = FittedLabel(max_lines=1)
    qtbot.addWidget(label)
    label.set_full_text(full, shorter=shorter)
    label.show()
    qtbot.waitExposed(label)
    metrics = label.fontMetrics()
    for width in range(
        metrics.horizontalAdvance("Highest cell"), metrics.horizontalAdvance(full), 4
    ):
        label.resize(width, 40)
        shown = label.shown_text()
        assert when in shown or "(t" not in shown, (width, shown)


def test_the_banner_keeps_a_long_fault_to_two_lines_at_1024_px(qtbot, make_window):
    """A short's figures wrapped the banner to five lines at 1024 x 700 and pushed the
    cell plot below the fold: the line is cut to two with '…', whole in the tooltip."""
    from app.views.alert_banner import BANNER_LINES

    window = make_window()
    window.resize(1024, 700)
    feed(window, _runaway_raised())
    banner = window.alert_banner
    qtbot.waitUntil(lambda: banner.isVisible() and banner.full_text != "")
    qtbot.waitUntil(lambda: banner.text.shown_text() != banner.full_text)
    assert banner.full_text in banner.text.toolTip()
    line = banner.text.fontMetrics().lineSpacing()
    assert banner.text.height() <= BANNER_LINES * line + 2
    # and wide enough, it is whole
    window.resize(2400, 900)
    qtbot.waitUntil(lambda: banner.text.shown_text() == banner.full_text)


def test_the_banner_at_1024_px_cuts_a_faults_figures_not_what_where_or_state(qtbot, make_window):
    """At 1024 px the banner cut a runaway alarm's line inside its figures ('... rising
    0.80 °C/min faster than it…'): its state ('(up when its source ended)'), when it
    was raised and how many more alerts there were were lost. What, where and the state
    now lead the line, the time follows whole or not at all, the figures go first, and
    the count stands under the severity."""
    from app.views.alert_banner import BANNER_LINES

    window = make_window()
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.size() == QSize(1024, 700))
    window.connect_source("sim://nmc?cells=4&speed=0&duration=60")
    feed(window, _runaway_raised(), raised(CRITICAL, t=330.0))
    qtbot.waitUntil(
        lambda: window.session.status.state is AcquisitionState.FINISHED, timeout=20_000
    )
    board = window.alert_center.board
    qtbot.waitUntil(
        lambda: len(board.alerts) == 2 and all(a.source_ended for a in board.alerts.values())
    )
    banner = window.alert_banner
    qtbot.waitUntil(lambda: banner.isVisible() and "source ended" in banner.full_text)
    assert board.alerts[banner.key].metric == "fault_thermal_runaway_onset"  # the lead
    shown = banner.text.shown_text()
    assert shown.startswith("Fault: thermal runaway onset, cell 2 (up when its source ended)")
    assert banner.title.text() == "CRITICAL"
    assert banner.more.isVisible() and banner.more.text() == "+1 more"
    assert " · raised at " in shown
    assert f"({T}" not in shown or f"({T}5:25.0)" in shown  # whole or not at all
    assert shown != banner.full_text and banner.full_text in banner.text.toolTip()
    line = banner.text.fontMetrics().lineSpacing()
    assert banner.text.height() <= BANNER_LINES * line + 2
    # over another pack it says whose it is, before when
    window.connect_source("failing://another-pack")
    qtbot.waitUntil(lambda: "of an earlier source" in banner.full_text)
    qtbot.waitUntil(
        lambda: banner.text.shown_text().startswith(
            "Fault: thermal runaway onset, cell 2 (up when its source ended) · of an earlier"
        )
    )
    window.resize(2400, 900)  # room: all of it, the figures too
    qtbot.waitUntil(lambda: banner.text.shown_text() == banner.full_text)
    assert banner.full_text.endswith(
        "at 25.7 °C when found, rising 0.87 °C/min faster than its neighbours at that instant, peak 27.1 °C, steepest 2-min average rise 1.2 °C/min"
    )


def test_the_rule_column_stays_readable_beside_a_faults_figures_at_1024_px(qtbot, make_window):
    """At 1024 px the History table squeezed Rule (Qt's stretched column) to 45 px
    beside a runaway alarm's figures: 'Low… cell volt… below 2.45 V for 2 s', a word a
    line, cut. It wraps whole in a share of the width, takes what the others leave, and
    says its whole text (and the rule's levels) in its tooltip."""
    from app.views.wrapped_columns import LEAST_WORDED_COLUMN_CHARS

    low = Threshold("cell_v_min", "below", level=2.45, clear_level=2.515, delay_s=2.0,
                    severity="critical")  # fmt: skip
    window = make_window()
    window.resize(1024, 700)
    window.show_page(Page.ALERTS)
    feed(window, _runaway_raised(), AlertEvent(EventKind.RAISED, low, 413.0, 2.414, 2.45))
    window.alerts_page.tabs.setCurrentIndex(1)
    table = window.alerts_page.history_table
    rule = HISTORY_COLUMNS.index("Rule")
    qtbot.waitUntil(lambda: table.rowCount() == 2)
    qtbot.waitUntil(lambda: window.size() == QSize(1024, 700))
    least = table.fontMetrics().horizontalAdvance("n" * LEAST_WORDED_COLUMN_CHARS)
    qtbot.waitUntil(lambda: table.columnWidth(rule) >= least)
    low_row = next(r for r in range(2) if "Lowest cell voltage" in table.item(r, rule).text())
    assert _drawn_whole(table, low_row, rule)
    assert table.item(low_row, rule).toolTip().startswith(table.item(low_row, rule).text())
    assert table.horizontalScrollBar().maximum() == 0  # every column in view
    # wider, the rule takes the room the others leave
    window.resize(1600, 900)
    qtbot.waitUntil(
        lambda: (
            sum(table.columnWidth(c) for c in range(table.columnCount()))
            >= table.viewport().width() - 1
        )
    )
    assert table.columnWidth(rule) > table.fontMetrics().horizontalAdvance(
        table.item(low_row, rule).text()
    )


def test_an_alert_up_when_its_log_ends_reads_no_longer_watched(qtbot, make_window):
    """A simulated run (or a log) played to its end left its alerts reading "active", as
    if their condition were still watched; a warning up then left the Current list once
    closed. Both now read "up when its source ended" and stay among the current alerts
    until acknowledged; the critical one keeps the banner, as "CRITICAL" (it was last
    seen so), and the history stores both as closed with no time in the samples."""
    from types import SimpleNamespace

    from app.views.history_page import HistoryFilters, row_cells
    from app.views.storage_bridge import history_rows

    window = make_window()
    center = window.alert_center
    sent = []  # what webhooks and e-mail would be told
    center._notifier = SimpleNamespace(submit=sent.append, close=lambda timeout: None)
    window.connect_source("sim://nmc?cells=4&speed=0&duration=60")
    feed(window, raised(CRITICAL), raised(WARNING, value=41.0))  # before the run's end
    qtbot.waitUntil(
        lambda: window.session.status.state is AcquisitionState.FINISHED, timeout=20_000
    )
    qtbot.waitUntil(lambda: len(center.board.alerts) == 2, timeout=20_000)
    qtbot.waitUntil(lambda: all(a.cleared for a in center.board.alerts.values()))
    qtbot.waitUntil(lambda: not center.busy, timeout=20_000)
    assert window.session.running  # the source ended by itself: nobody disconnected
    page = window.alerts_page
    states = {page.current_table.item(r, 1).text() for r in range(page.current_table.rowCount())}
    assert states == {"up when its source ended, not acknowledged", "up when its source ended"}
    assert page.history_table.item(0, 6).text().startswith("source ended ")
    assert window.alert_banner.title.text() == "CRITICAL"
    assert "(up when its source ended)" in window.alert_banner.full_text
    rows = history_rows(None, "alerts", HistoryFilters())
    assert len(rows) == 2 and all(r.cleared_at and r.cleared_time_s is None for r in rows)
    assert {row_cells("alerts", r)[7] for r in rows} == states
    # a receiver resolving its incident on "cleared" is not told the alarm cleared
    assert sorted(n.payload["event"] for n in sent) == ["raised"] * 2 + ["source_ended"] * 2
    warning = next(a for a in center.board.alerts.values() if a.threshold == WARNING)
    assert center.acknowledge(warning.key, "seen") is None
    assert warning not in center.board.current()  # acknowledged: it leaves the list
    window.session.stop()
