"""The REST endpoint: auth and roles, the original routes, uploads, live data, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.core.samples import SampleBlock
from app.core.spec import preset
from app.hardware.simulator import simulate


def _samples(seconds: int = 1800) -> dict:
    spec = preset("nmc", capacity_ah=5, series_cells=4)
    frame = simulate(spec, "hppc", duration_s=seconds, seed=3).to_frame()
    keep = [
        "time_s",
        "voltage_v",
        "current_a",
        "temperature_c",
        "cell_1_v",
        "cell_2_v",
        "cell_3_v",
        "cell_4_v",
    ]
    return {c: [round(float(x), 6) for x in frame[c]] for c in keep}


def test_health_needs_no_key_and_names_the_database(api):
    body = api.client.get("/health").json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["live"] is True


@pytest.mark.parametrize(
    "headers", [{}, {"X-API-Key": "bos_00000000_nope"}, {"X-API-Key": "garbage"}]
)
def test_no_or_wrong_key_is_401_with_a_json_error(api, headers):
    r = api.client.get("/api/v1/alert-thresholds", headers=headers)
    assert r.status_code == 401
    assert "error" in r.json() and "Traceback" not in r.text


def test_a_revoked_key_stops_working(api):
    from app.storage.api_keys import key_prefix, revoke_api_key

    h = api.headers("viewer")
    assert api.client.get("/api/users", headers=h).status_code == 200
    revoke_api_key(api.db, key_prefix(api.keys["viewer"]))
    api.app.state.verifier.forget()  # in another process: within the cache time
    assert api.client.get("/api/users", headers=h).status_code == 401


def test_roles_viewer_reads_engineer_writes_admin_manages_users(api):
    threshold = {
        "profile": "nmc-4s",
        "metric": "cell_v_max",
        "comparison": "above",
        "level": 4.2,
        "severity": "critical",
        "delay_s": 2,
    }
    assert (
        api.client.post(
            "/api/v1/alert-thresholds", json=threshold, headers=api.headers("viewer")
        ).status_code
        == 403
    )
    r = api.client.post("/api/v1/alert-thresholds", json=threshold, headers=api.headers("engineer"))
    assert r.status_code == 201
    assert (
        api.client.get("/api/v1/alert-thresholds", headers=api.headers("viewer")).json()[0]["level"]
        == 4.2
    )
    new_user = {"name": "grace", "role": "viewer"}
    assert (
        api.client.post("/api/users", json=new_user, headers=api.headers("engineer")).status_code
        == 403
    )
    assert (
        api.client.post("/api/users", json=new_user, headers=api.headers("admin")).status_code
        == 201
    )
    assert (
        api.client.post("/api/users", json=new_user, headers=api.headers("admin")).status_code
        == 409
    )
    names = {u["name"] for u in api.client.get("/api/users", headers=api.headers("viewer")).json()}
    assert "grace" in names


def test_threshold_crud(api):
    h = api.headers("engineer")
    created = api.client.post(
        "/api/v1/alert-thresholds",
        json={
            "profile": "p",
            "metric": "temperature_max_c",
            "comparison": "outside",
            "band_low": 0,
            "band_high": 45,
        },
        headers=h,
    ).json()
    tid = created["id"]
    assert api.client.get(f"/api/v1/alert-thresholds/{tid}", headers=h).json()["band_high"] == 45
    updated = api.client.put(
        f"/api/v1/alert-thresholds/{tid}",
        json={"profile": "p", "metric": "temperature_max_c", "comparison": "above", "level": 50},
        headers=h,
    )
    assert updated.status_code == 200 and updated.json()["comparison"] == "above"
    bad = api.client.put(
        f"/api/v1/alert-thresholds/{tid}",
        json={"profile": "p", "metric": "temperature_max_c", "comparison": "outside"},
        headers=h,
    )
    assert bad.status_code == 422 and "band_low" in bad.json()["error"]
    assert api.client.delete(f"/api/v1/alert-thresholds/{tid}", headers=h).status_code == 204
    assert api.client.get(f"/api/v1/alert-thresholds/{tid}", headers=h).status_code == 404
    assert api.client.delete(f"/api/v1/alert-thresholds/{tid}", headers=h).status_code == 404


def test_a_limit_rule_round_trips_with_how_it_judges(api):
    """A default limit rule (the charge window's level, safety's noise band and
    debounced clear) read from the endpoint can be written back as it is: the
    fields it judges by were unknown to the endpoint (422)."""
    from app.core.spec import preset
    from app.diagnostics.alerts import default_thresholds

    h = api.headers("engineer")
    rule = next(
        r for r in default_thresholds(preset("lfp"), "p") if r.metric == "temperature_min_c"
    )
    created = api.client.post("/api/v1/alert-thresholds", json=rule.to_dict(), headers=h)
    assert created.status_code == 201, created.text
    got = api.client.get(f"/api/v1/alert-thresholds/{created.json()['id']}", headers=h).json()
    assert (got["charge_level"], got["noise_band"], got["clear_delay_s"]) == (-0.5, 0.25, 2.0)
    body = {k: v for k, v in got.items() if k != "id"}
    again = api.client.put(f"/api/v1/alert-thresholds/{got['id']}", json=body, headers=h)
    assert again.status_code == 200 and again.json() == got


def test_stored_diagnostics_on_both_route_families(api):
    h = api.headers("engineer")
    body = {"diagnostic": "soh", "result": {"soh_percent": 91.5}, "battery_name": "pack 7"}
    created = api.client.post("/api/diagnostics", json=body, headers=h)
    assert created.status_code == 201
    did = created.json()["id"]
    listed = api.client.get(
        "/api/v1/diagnostics?diagnostic=soh", headers=api.headers("viewer")
    ).json()
    assert [d["id"] for d in listed] == [did]
    got = api.client.get(f"/api/v1/diagnostics/{did}", headers=api.headers("viewer")).json()
    assert got["result"] == {"soh_percent": 91.5} and got["battery_name"] == "pack 7"
    missing = api.client.post("/api/v1/diagnostics", json={**body, "recording_id": 4242}, headers=h)
    assert missing.status_code == 404


def test_alert_history_and_acknowledgement_records_who(api):
    from app.storage import alert_repository
    from app.storage import repositories as repo

    alert = alert_repository.record_alert(
        api.db, "cell_v_max", 4.25, "critical", threshold_value=4.2
    )
    listed = api.client.get(
        "/api/v1/alert-history?state=active", headers=api.headers("viewer")
    ).json()
    assert [a["id"] for a in listed] == [alert.id]
    r = api.client.post(
        f"/api/v1/alert-history/{alert.id}/acknowledge",
        json={"comment": "charger fixed"},
        headers=api.headers("engineer"),
    )
    assert r.status_code == 200
    body = r.json()
    engineer = repo.get_user(api.db, "engineer-user")
    assert body["state"] == "acknowledged" and body["acknowledged_by"] == engineer.id
    assert body["comment"] == "charger fixed"
    assert body["detail"] is None  # a rule on a number: its value says it
    # a detected fault's figures, in words, as the window showed them
    fault = alert_repository.record_alert(
        api.db, "fault_internal_short", 1.0, "critical", detail="cell 2: self-discharge 0.349 A"
    )
    alert_repository.note_alert_worst(
        api.db, fault.id, worst_detail="cell 2: self-discharge 0.412 A"
    )
    (listed,) = api.client.get(
        "/api/v1/alert-history?state=active", headers=api.headers("viewer")
    ).json()
    assert listed["id"] == fault.id and listed["value"] == 1.0
    assert listed["detail"] == "cell 2: self-discharge 0.349 A"
    assert listed["worst_detail"] == "cell 2: self-discharge 0.412 A"
    assert (
        api.client.post(
            "/api/v1/alert-history/999/acknowledge", json={}, headers=api.headers("engineer")
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("slug", "key"),
    [
        ("soc", "soc"),
        ("resistance", "internal_resistance"),
        ("cell-balance", "cell_balance"),
        ("faults", "faults"),
    ],
)
def test_diagnose_posted_samples_answers_like_analyze_json(api, slug, key):
    r = api.client.post(
        f"/battery/diagnose/{slug}",
        json={"samples": _samples(), "chemistry": "nmc", "capacity_ah": 5},
        headers=api.headers("viewer"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {
        "source",
        "spec",
        "results",
        "cycles",
        "current_sign",
        "warnings",
        "invalid_results",
    }
    assert list(body["results"]) == [key]
    if key == "internal_resistance":
        assert body["results"][key]["n_pulses"] >= 1
        assert all(p["r_10s_ohm"] > 0 for p in body["results"][key]["pulses"] if p["r_10s_ohm"])


def test_diagnose_soh_takes_the_beginning_of_life_resistance(api):
    """bol_resistance_ohm as --bol-resistance-ohm: the reference of the resistance SOH.
    The simulated cells' R0 is 15 mOhm: twice that as the reference is not this cell's."""
    h = api.headers("viewer")
    body = {"samples": _samples(), "chemistry": "nmc", "capacity_ah": 5}
    r = api.client.post(
        "/battery/diagnose/soh", json={**body, "bol_resistance_ohm": 0.03}, headers=h
    )
    assert r.status_code == 200, r.text
    out = r.json()
    soh = out["results"]["soh"]
    assert out["spec"]["bol_resistance_ohm"] == 0.03
    assert soh["bol_resistance_ohm"] == 0.03
    assert soh["bol_resistance_source"] == "spec.bol_resistance_ohm"
    assert soh["resistance_ohm"] is not None and soh["soh_resistance_percent"] is None
    r = api.client.post("/battery/diagnose/soh", json={**body, "bol_resistance_ohm": -1}, headers=h)
    assert r.status_code == 422 and "bol_resistance_ohm" in r.text


def test_diagnose_rejects_bad_samples_with_a_message(api):
    h = api.headers("viewer")
    ragged = {"samples": {"time_s": [0, 1, 2], "voltage_v": [3.7, 3.7], "current_a": [0, 0, 0]}}
    r = api.client.post("/battery/diagnose/soc", json=ragged, headers=h)
    assert r.status_code == 400 and "same number" in r.json()["error"]
    missing = {"samples": {"time_s": [0, 1, 2], "current_a": [0, 0, 0]}}
    r = api.client.post("/battery/diagnose/soc", json=missing, headers=h)
    assert r.status_code == 400 and "voltage_v" in r.json()["error"]
    r = api.client.post(
        "/battery/diagnose/soc",
        content=b"{not json",
        headers={**h, "content-type": "application/json"},
    )
    assert r.status_code == 422 and "error" in r.json()


def test_upload_diagnose_and_log_round_trip(api, tmp_path):
    from app.cli import main

    log = tmp_path / "pack.csv"
    assert (
        main(
            ["simulate", "--cells", "4", "--duration", "3600", "--profile", "hppc", "-o", str(log)]
        )
        == 0
    )
    h = api.headers("engineer")
    with log.open("rb") as fh:
        r = api.client.post(
            "/battery/diagnose/soh/upload", files={"file": ("pack.csv", fh)}, headers=h
        )
    assert r.status_code == 200, r.text
    assert r.json()["source"] == "pack.csv" and "soh" in r.json()["results"]
    with log.open("rb") as fh:
        created = api.client.post("/battery/logs", files={"file": ("pack.csv", fh)}, headers=h)
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    assert created.json()["sample_count"] == 3600
    # the data's first to last sample (an hour at 1 Hz), not the seconds the upload took
    assert created.json()["duration_s"] == pytest.approx(3599.0)
    listed = api.client.get("/battery/logs", headers=api.headers("viewer")).json()
    assert rid in [x["id"] for x in listed]
    assert [x["duration_s"] for x in listed if x["id"] == rid] == [pytest.approx(3599.0)]
    csv_text = api.client.get(f"/battery/logs/{rid}", headers=api.headers("viewer")).text
    lines = [ln for ln in csv_text.splitlines() if not ln.startswith("#")]
    assert lines[0].startswith("time_s,voltage_v,current_a") and len(lines) == 3601
    with (tmp_path / "junk.bin").open("wb") as fh:
        fh.write(b"\x00\xff" * 100)
    with (tmp_path / "junk.bin").open("rb") as fh:
        bad = api.client.post("/battery/logs", files={"file": ("junk.bin", fh)}, headers=h)
    assert bad.status_code == 400 and "binary" in bad.json()["error"]
    assert api.client.get("/battery/logs/999", headers=h).status_code == 404


def test_live_values_and_event_stream(api):
    h = api.headers("viewer")
    t = np.arange(10, dtype=float)
    api.feed(
        SampleBlock(
            {
                "time_s": t,
                "voltage_v": 14.8 + 0 * t,
                "current_a": -2.0 + 0 * t,
                "soc_percent": 50 + t,
            }
        )
    )
    live = api.client.get("/api/v1/live", headers=h).json()
    assert live["values"]["voltage_v"] == 14.8 and live["values"]["soc_percent"] == 59
    assert live["samples"] == 10 and live["active_alerts"] == []
    with api.client.stream("GET", "/api/v1/live/stream?max_events=1", headers=h) as stream:
        events = [line for line in stream.iter_lines() if line.startswith("data: ")]
    assert json.loads(events[0][6:])["values"]["current_a"] == -2.0


def test_live_without_a_source_is_404(db_url):
    from fastapi.testclient import TestClient

    from app.api.app import create_app
    from app.storage.database import Database

    db = Database(db_url)
    db.ensure_schema()
    with TestClient(create_app(db)) as client:
        assert client.get("/api/v1/live", headers={"X-API-Key": "x"}).status_code == 401
    db.close()


def test_request_size_limit_and_request_log(db_url):
    from tests.api.conftest import make_api

    api = make_api(db_url, max_body_bytes=1000)
    r = api.client.post(
        "/battery/diagnose/soc",
        content=b"x" * 5000,
        headers={**api.headers("viewer"), "content-type": "application/json"},
    )
    assert r.status_code == 413 and "error" in r.json()
    api.client.get("/api/users", headers=api.headers("viewer"))
    entries = api.app.state.request_log.entries()
    assert (
        entries[-1].path == "/api/users"
        and entries[-1].status == 200
        and entries[-1].user == "viewer-user"
    )
    assert entries[-2].status == 413
    api.db.close()


def test_openapi_is_served_with_docs(api):
    spec = api.client.get("/openapi.json").json()
    for path in (
        "/health",
        "/api/users",
        "/api/diagnostics",
        "/api/v1/diagnostics",
        "/api/v1/alert-thresholds",
        "/api/v1/alert-history",
        "/battery/diagnose/soc",
        "/battery/diagnose/cycle-life",
        "/battery/logs",
        "/api/v1/live",
        "/api/v1/live/stream",
    ):
        assert path in spec["paths"], path
    assert api.client.get("/docs").status_code == 200


def test_upload_errors_name_the_uploaded_file_and_the_apis_parameters(api, tmp_path):
    # they named the server's temporary file ("/tmp/tmpoe5jumdj.csv: line 52 ...") and the
    # command line's options ("give --chemistry")
    import tempfile

    h = api.headers("engineer")
    rows = ["time_s,voltage_v,current_a"] + [f"{t},{3.7 + 0.001 * t},-1" for t in range(60)]
    good = "\n".join(rows).encode()
    bad = "\n".join([*rows[:51], "50,abc,def", *rows[52:]]).encode()
    for route in ("/battery/diagnose/soc/upload", "/battery/logs"):
        r = api.client.post(route, files={"file": ("bench 7.csv", bad)}, headers=h)
        error = r.json()["error"]
        assert r.status_code == 400 and error.startswith("bench 7.csv: line 52, column voltage_v")
        assert tempfile.gettempdir() not in error
    r = api.client.post("/battery/diagnose/soc/upload", files={"file": ("a.csv", good)}, headers=h)
    error = r.json()["error"]
    assert (
        r.status_code == 400 and "give 'chemistry' (nmc, lfp, lead_acid) and 'capacity_ah'" in error
    )
    r = api.client.post(
        "/battery/diagnose/soc/upload?chemistry=lfp", files={"file": ("a.csv", good)}, headers=h
    )
    warnings = r.json()["warnings"]
    assert r.status_code == 200 and any("give chemistry=nmc" in w for w in warnings)
    assert not any("--" in w for w in warnings)
    # the posted samples' battery too: 3 cells adding up to the pack are not 8
    t = np.arange(0.0, 600.0)
    samples = {"time_s": t.tolist(), "voltage_v": (3 * 3.7 + 0 * t).tolist(),
               "current_a": (-1 + 0 * t).tolist(),
               **{f"cell_{k}_v": (3.7 + 0 * t).tolist() for k in (1, 2, 3)}}  # fmt: skip
    body = {"samples": samples, "chemistry": "nmc", "cells": 8}
    r = api.client.post("/battery/diagnose/soc", json=body, headers=h)
    assert r.status_code == 400 and r.json()["error"].startswith("cells=8: the log's 3 cell")
