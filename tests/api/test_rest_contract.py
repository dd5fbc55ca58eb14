"""The REST battery routes keep the CLI's contracts: a per-cycle table's SOH of the
capacity given (else the first cycles'), no battery assumed for posted samples."""

from __future__ import annotations

import pytest

from tests.cli.test_cli_contract import _table


def test_the_rest_soh_of_a_cycle_table_is_the_clis(api, tmp_path):
    path, cap = _table(tmp_path)
    h = api.headers("viewer")
    for query in ("?chemistry=nmc", "?chemistry=lfp&capacity_ah=2"):
        r = api.client.post(
            f"/battery/diagnose/soh/upload{query}",
            files={"file": ("t.csv", path.read_bytes())},
            headers=h,
        )
        assert r.status_code == 200, r.text
        soh = r.json()["results"]["soh"]
        reference = 2.0 if "capacity_ah" in query else cap[:5].mean()
        assert soh["soh_capacity_percent"] == pytest.approx(100 * cap[-5:].mean() / reference)


def test_posted_samples_without_a_chemistry_are_refused_as_an_upload_is(api):
    """They were read as an NMC 5 Ah battery, said nowhere, where the upload routes and
    ``analyze`` refuse."""
    import numpy as np

    t = np.arange(0.0, 600.0)
    samples = {"time_s": t.tolist(), "voltage_v": [3.7] * 600, "current_a": [-1.0] * 600}
    h = api.headers("viewer")
    r = api.client.post("/battery/diagnose/soc", json={"samples": samples}, headers=h)
    assert r.status_code == 400
    error = r.json()["error"]
    assert "give 'chemistry' (nmc, lfp, lead_acid) and 'capacity_ah'" in error
    csv = "time_s,voltage_v,current_a\n" + "".join(f"{x:g},3.7,-1\n" for x in t)
    upload = api.client.post(
        "/battery/diagnose/soc/upload", files={"file": ("a.csv", csv.encode())}, headers=h
    )
    assert upload.status_code == 400 and upload.json()["error"] == error
    body = {"samples": samples, "chemistry": "lfp", "capacity_ah": 2}
    r = api.client.post("/battery/diagnose/soc", json=body, headers=h)
    assert r.status_code == 200 and r.json()["spec"]["chemistry"] == "lfp"


def test_posted_samples_answer_with_analyzes_warnings(api):
    """The samples route gave no warnings: a capacity that is the preset's went unsaid."""
    import numpy as np

    t = np.arange(0.0, 600.0)
    samples = {"time_s": t.tolist(), "voltage_v": [3.7] * 600, "current_a": [-1.0] * 600}
    r = api.client.post(
        "/battery/diagnose/soc",
        json={"samples": samples, "chemistry": "nmc"},
        headers=api.headers("viewer"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["invalid_results"] == {}
    (warning,) = body["warnings"]
    assert "the capacity is the nmc preset's 5 Ah" in warning and "--" not in warning
