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
