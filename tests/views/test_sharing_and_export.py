"""The Sharing dialog serves the window's live data over REST; Export writes a report."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import numpy as np
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


def test_the_command_for_a_recording_without_its_battery_names_the_windows_database(
    tmp_path, monkeypatch, capsys
):
    """The hint "write it with `batteryos report recording:N ...`" left out ``--db`` when
    the window used another database than the CLI's default: the command read the wrong
    one. It names it now (not when it is the CLI's own), and it writes the report."""
    import shlex

    from app.cli import main
    from app.core.errors import BatteryOSError
    from app.core.samples import SampleBlock
    from app.storage import repositories as repo
    from app.storage.database import Database, default_url
    from app.storage.sample_writer import write_samples
    from app.views.report_export import write_recording_report

    url = f"sqlite:///{tmp_path / 'bench.sqlite'}"
    with Database(url) as db:
        db.ensure_schema()
        rec = repo.create_recording(db, "scripted://pack")  # no battery stored
        t = np.arange(0.0, 600.0, 1.0)
        block = SampleBlock({"time_s": t, "voltage_v": 3.7 - 1e-4 * t, "current_a": t * 0 - 1})
        write_samples(db, rec.id, block, 0)
        repo.finish_recording(db, rec.id)
    with pytest.raises(BatteryOSError) as refused:
        write_recording_report(str(tmp_path / "r.csv"), url, rec.id)
    said = str(refused.value)
    command = said[said.index("`") + 1 : said.rindex("`")]
    assert command.startswith(f"batteryos --db {url} report recording:{rec.id} -o FILE")
    args = shlex.split(command)[1:]
    args[args.index("FILE")] = str(tmp_path / "r.csv")
    args[args.index("CHEM")], args[args.index("AH")] = "nmc", "2"
    assert main(args) == 0  # the command it gives works
    assert (tmp_path / "r.csv").exists()

    monkeypatch.setenv("BATTERYOS_DB", url)  # the CLI's own database: no --db needed
    with pytest.raises(BatteryOSError, match=rf"`batteryos report recording:{rec.id} -o"):
        write_recording_report(str(tmp_path / "r2.csv"), url, rec.id)
    monkeypatch.delenv("BATTERYOS_DB")  # the default SQLite file: no --db either
    with Database(default_url()) as db:
        db.ensure_schema()
        bare = repo.create_recording(db, "scripted://pack").id
    with pytest.raises(BatteryOSError, match=rf"`batteryos report recording:{bare} -o"):
        write_recording_report(str(tmp_path / "r2.csv"), default_url(), bare)
