"""``batteryos alerts``: thresholds to and from JSON and the database, history,
acknowledgement, and the alerts of a log."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.diagnostics.alerts import Threshold, thresholds_to_json


@pytest.fixture(scope="module")
def runaway_log(tmp_path_factory):
    """A simulated 4-cell pack whose cell 2 goes into thermal runaway at 1500 s."""
    path = tmp_path_factory.mktemp("logs") / "runaway.csv"
    args = ["simulate", "--cells", "4", "--profile", "cccv", "--duration", "2400"]
    args += ["--fault", "thermal_runaway", "--fault-at", "1500", "--fault-cell", "2"]
    assert main([*args, "-o", str(path)]) == 0
    return path


def test_evaluate_a_log_with_the_default_thresholds(runaway_log, capsys):
    capsys.readouterr()
    assert main(["alerts", "evaluate", str(runaway_log), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["spec"]["series_cells"] == 4
    first = {}
    for e in doc["episodes"]:
        first.setdefault(e["metric"], e)
        assert set(e) >= {"start_time_s", "end_time_s", "value", "worst_value", "severity"}
    # nothing before the fault; the runaway is caught by the fault detector and
    # by the temperature rate before the temperature limit
    assert min(e["start_time_s"] for e in doc["episodes"]) > 1500
    runaway = first["fault_thermal_runaway_onset"]
    assert runaway["severity"] == "critical" and runaway["start_time_s"] < 1600
    assert first["dtdt_c_per_min"]["start_time_s"] < first["temperature_max_c"]["start_time_s"]
    assert first["temperature_max_c"]["worst_value"] > 60


def test_a_fault_alert_of_a_log_reads_as_the_fault_not_as_its_indicator(runaway_log, capsys):
    """A rule on a detected fault watches a 0/1 indicator: 'value 1, worst 1' said
    nothing. The episode carries the fault when raised and as last known, in the
    window's words; the runaway's alarm is up to the log's end (the cell still burns)."""
    rules = [Threshold("fault_thermal_runaway_onset", "above", level=0.5, severity="critical")]
    path = runaway_log.parent / "runaway_rule.json"
    path.write_text(thresholds_to_json(rules))
    capsys.readouterr()
    assert main(["alerts", "evaluate", str(runaway_log), "--thresholds", str(path)]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if "fault_thermal" in x]
    assert "value 1" not in line and "end of log" in line
    # the channel in the words of `alerts history`, the window and the stored detail
    assert "at raise cell 2: at " in line and "; worst cell 2: at " in line
    assert "cell_2_temp_c" not in line
    assert main(["alerts", "evaluate", str(runaway_log), "--thresholds", str(path), "--json"]) == 0
    (episode,) = json.loads(capsys.readouterr().out)["episodes"]
    assert episode["fault"]["kind"] == episode["latest_fault"]["kind"] == "thermal_runaway_onset"
    raised, last = episode["fault"]["detail"], episode["latest_fault"]["detail"]
    assert last["max_temperature_c"] >= raised["max_temperature_c"]


def test_evaluate_with_a_thresholds_file(runaway_log, tmp_path, capsys):
    rules = tmp_path / "rules.json"
    rules.write_text(thresholds_to_json([Threshold("cell_v_min", "below", level=2.5, delay_s=2)]))
    capsys.readouterr()
    assert main(["alerts", "evaluate", str(runaway_log), "--thresholds", str(rules)]) == 0
    out = capsys.readouterr().out
    assert "1 alert episode(s), thresholds: " in out and "cell_v_min below 2.5" in out


def test_export_import_list_round_trip(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    exported = tmp_path / "lfp.json"
    args = ["alerts", "export", "--defaults", "--chemistry", "lfp", "--cells", "8"]
    assert main([*args, "--profile", "rack-1", "-o", str(exported)]) == 0
    assert main(["--db", db, "alerts", "import", str(exported)]) == 0
    assert "profile 'rack-1': 23 thresholds" in capsys.readouterr().out
    assert main(["--db", db, "alerts", "list", "--profile", "rack-1"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 23 and all("rack-1" in line for line in listing)
    # the database's export is the same document as the one imported
    assert main(["--db", db, "alerts", "export", "--profile", "rack-1"]) == 0
    back = json.loads(capsys.readouterr().out)["thresholds"]
    original = json.loads(exported.read_text())["thresholds"]
    key = lambda t: (t["metric"], t["comparison"], t["severity"])  # noqa: E731
    assert sorted(back, key=key) == sorted(original, key=key)


def test_history_and_acknowledge(tmp_path, capsys):
    from app.storage import alert_repository as alerts
    from app.storage.database import Database

    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    db = Database(url)
    db.ensure_schema()
    row = alerts.record_alert(db, "cell_v_max", 4.31, "critical", threshold_value=4.2)
    fault = alerts.record_alert(
        db, "fault_internal_short", 1.0, "critical", threshold_value=0.5,
        detail="cell 2: self-discharge 0.349 A",
    )  # fmt: skip
    db.close()
    assert main(["--db", url, "alerts", "history"]) == 0
    fault_line, plain_line = capsys.readouterr().out.splitlines()
    # a fault's figures in words ("= 1 (limit 0.5)" says only that it was detected)
    assert fault_line.endswith(
        "fault_internal_short: at raise cell 2: self-discharge 0.349 A;"
        " worst cell 2: self-discharge 0.349 A"
    )
    assert plain_line.endswith("cell_v_max = 4.31 (limit 4.2)")
    assert (
        main(["--db", url, "alerts", "ack", str(row.id), "--comment", "checked", "--user", "ada"])
        == 0
    )
    assert main(["--db", url, "alerts", "history", "--json"]) == 0
    capsys.readouterr()
    assert main(["--db", url, "alerts", "history", "--json"]) == 0
    fault_item, item = json.loads(capsys.readouterr().out)
    assert item["state"] == "acknowledged" and item["comment"] == "checked"
    assert item["detail"] is None and fault_item["id"] == fault.id
    assert fault_item["detail"] == fault_item["worst_detail"] == "cell 2: self-discharge 0.349 A"
    assert main(["--db", url, "alerts", "ack", str(row.id)]) == 2
    assert "acknowledged already" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('[{"metric": "cell_v_max", "comparison": "above"}]', "threshold 1: .*needs a level"),
    ],
)
def test_bad_thresholds_file_is_one_line(tmp_path, capsys, content, message):
    import re

    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["--db", f"sqlite:///{tmp_path / 'x.sqlite'}", "alerts", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(message, err)


def test_export_without_stored_thresholds_says_what_to_do(tmp_path, capsys):
    assert main(["--db", f"sqlite:///{tmp_path / 'e.sqlite'}", "alerts", "export"]) == 2
    assert "use --defaults" in capsys.readouterr().err
