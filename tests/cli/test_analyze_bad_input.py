"""`batteryos analyze --json` on damaged samples and per-cycle tables: exit 0 with a JSON
report (no NaN, no inf) or exit 2 with one `batteryos: error:` line; never a traceback.
Hypothesis draws the damage (cells replaced by garbage, rows cut, swapped, repeated)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli import main
from tests.real_data import REAL_DATA

CELLS = ["nan", "inf", "-inf", "", "1e300", "-1e300", "0", "-5", "x", "1e-300"]


def _samples() -> pd.DataFrame:
    t = np.arange(0, 1200.0, 2.0)
    i = np.where((t // 120) % 2 == 0, -2.0, 0.0)
    v = 3.7 - 0.0002 * t / 2 + 0.02 * (i / 2)
    return pd.DataFrame(
        {
            "time_s": t,
            "voltage_v": 2 * v,
            "current_a": i,
            "temperature_c": 25.0 + t / 1200,
            "cell_1_v": v,
            "cell_2_v": v + 0.002,
            "cycle_index": 1 + (t // 600),
        }
    )


def _damage(lines: list[str], data) -> list[str]:
    header, rows = lines[0], lines[1:]
    n_cols = len(header.split(","))
    for _ in range(data.draw(st.integers(0, 4), label="cells")):
        r = data.draw(st.integers(0, len(rows) - 1))
        c = data.draw(st.integers(0, n_cols - 1))
        cells = rows[r].split(",")
        cells[c] = data.draw(st.sampled_from(CELLS))
        rows[r] = ",".join(cells)
    keep = data.draw(st.sampled_from([1, 2, 3, len(rows), len(rows)]), label="rows kept")
    rows = rows[:keep]
    if len(rows) > 2 and data.draw(st.integers(0, 3), label="swap") == 0:
        rows[0], rows[1] = rows[1], rows[0]
    if data.draw(st.booleans(), label="repeat"):
        rows = [r for r in rows for _ in (0, 1)]
    return [header, *rows]


def _check(capsys, argv: list[str]) -> None:
    rc = main(argv)
    out, err = capsys.readouterr()
    if rc == 0:
        json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in the JSON"))
    else:
        assert rc == 2
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("batteryos: error: "), err


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_damaged_samples_give_a_report_or_one_error_line(tmp_path, capsys, data):
    lines = _samples().to_csv(index=False).splitlines()
    path = tmp_path / "damaged.csv"
    path.write_text("\n".join(_damage(lines, data)) + "\n")
    _check(capsys, ["analyze", str(path), "--chemistry", "nmc", "--capacity-ah", "2", "--json"])


@pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), capacity=st.sampled_from([[], ["--capacity-ah", "2"]]))
def test_damaged_cycle_tables_give_a_report_or_one_error_line(tmp_path, capsys, data, capacity):
    src = REAL_DATA / "capacity" / "nasa_B0005_capacity.csv"
    lines = src.read_text().splitlines()
    if data.draw(st.booleans(), label="shuffle"):
        lines = [lines[0], *data.draw(st.permutations(lines[1:]))]
    path = tmp_path / "damaged_cycles.csv"
    path.write_text("\n".join(_damage(lines, data)) + "\n")
    _check(capsys, ["analyze", str(path), "--json", *capacity])


def test_a_bad_cell_is_shown_cut_short(tmp_path, capsys):
    # a cell of 200 NUL bytes was printed whole in the one-line error
    path = tmp_path / "nul.csv"
    rows = "\n".join(f"{t},3.7,-1.0" for t in range(600))
    path.write_text("time_s,voltage_v,current_a\n" + rows + "\n600,3.7,-0.07" + "\0" * 200 + "\n")
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err
    assert "line 602, column current_a: '-0.07" in err and "(205 characters)" in err
    assert len(err) < 200 and "Traceback" not in err
