"""The Sharing dialog serves the window's live data over REST; Export writes a report."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest


def _get(url: str, key: str | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, headers={"X-API-Key": key} if key else {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture
def db_with_key(tmp_path):
    from app.storage import repositories as repo
    from app.storage.api_keys import create_api_key
    from app.storage.database import Database

    url = f"sqlite:///{tmp_path / 'gui.sqlite'}"
    db = Database(url)
    db.ensure_schema()
    repo.create_user(db, "ada", "engineer")
    key, _ = create_api_key(db, "ada")
    db.close()
    return url, key


def test_sharing_serves_live_values_and_logs_requests(qtbot, make_window, db_with_key):
    url, key = db_with_key
    window = make_window(db_url=url)
    window.connect_source("scripted://pack?n=0&interval=0.01")
    qtbot.waitUntil(lambda: window.session.ring.total > 0)
    dialog = window.show_sharing()
    qtbot.waitUntil(lambda: dialog.users.count() == 1 and dialog.selected_user() == "ada")
    dialog.port.setValue(0)  # any free port
    dialog.start_stop.click()
    qtbot.waitUntil(lambda: window.sharing.running, timeout=10_000)
    assert dialog.url.text() == window.sharing.url and dialog.start_stop.text() == "Stop"

    status, live = _get(window.sharing.url + "/api/v1/live", key)
    assert status == 200 and live["samples"] > 0 and "voltage_v" in live["values"]
    assert _get(window.sharing.url + "/api/v1/live")[0] == 401
    qtbot.waitUntil(lambda: dialog.log.rowCount() >= 2)
    assert dialog.log.item(0, 3).text() == "/api/v1/live" and dialog.log.item(0, 4).text() == "401"
    assert dialog.log.item(1, 6).text() == "ada"

    dialog.new_key.click()
    qtbot.waitUntil(lambda: dialog.key.text().startswith("bos_"))
    assert _get(window.sharing.url + "/api/users", dialog.key.text())[0] == 200

    dialog.start_stop.click()
    qtbot.waitUntil(lambda: not window.sharing.running and dialog.start_stop.text() == "Start")
    window.session.stop()


def test_sharing_refuses_another_address_unless_allowed(qtbot, make_window, db_with_key):
    window = make_window(db_url=db_with_key[0])
    dialog = window.show_sharing()
    dialog.host.setCurrentText("0.0.0.0")
    dialog.start_stop.click()
    qtbot.waitUntil(
        lambda: "allow-remote" in dialog.status.text() or "other machines" in dialog.status.text()
    )
    assert not window.sharing.running and dialog.start_stop.isEnabled()


def test_export_report_of_the_live_session(qtbot, make_window, tmp_path):
    window = make_window()
    window.connect_source("scripted://pack?n=400&block=100")
    qtbot.waitUntil(lambda: window.session.ring.total >= 400)
    out = tmp_path / "live.html"
    with qtbot.waitSignal(window.report_exporter.finished, timeout=60_000) as signal:
        window.report_exporter.export(str(out), user="ada")
    assert signal.args[0] == str(out)
    html = out.read_text()
    assert "Battery test report" in html and "ada" in html and "<svg" in html


def test_export_without_samples_says_so(qtbot, make_window, tmp_path):
    window = make_window()
    with qtbot.waitSignal(window.report_exporter.failed, timeout=10_000) as signal:
        window.report_exporter.export(str(tmp_path / "none.pdf"))
    assert "no samples" in signal.args[0]
