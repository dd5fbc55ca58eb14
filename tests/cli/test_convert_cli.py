"""`batteryos convert`, and `batteryos analyze` on every cycler format."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from app.cli import main
from app.hardware.logs.formats import open_log
from tests.real_data import REAL_DATA

needs_real = pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")
NEWARE = "neware/nw_regular_export_ife_example.csv"


@needs_real
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".bdf.csv"])
def test_convert_a_neware_export(tmp_path, capsys, suffix):
    out = tmp_path / f"cell{suffix}"
    cycles, steps = tmp_path / "cycles.csv", tmp_path / "steps.csv"
    code = main(
        ["convert", str(REAL_DATA / NEWARE), "-o", str(out), "--cycles", str(cycles),
         "--steps", str(steps)]
    )  # fmt: skip
    assert code == 0
    assert "9295 samples" in capsys.readouterr().err
    back, src = open_log(str(out)), open_log(str(REAL_DATA / NEWARE))
    for col in ("time_s", "voltage_v", "current_a", "temperature_c", "cycle_index"):
        np.testing.assert_allclose(back.frame[col], src.frame[col], rtol=1e-6)
    assert back.metadata["start_utc"] == src.metadata["start_utc"]
    table = pd.read_csv(cycles)
    assert len(table) == 20
    assert table["discharge_capacity_ah"].iloc[1] == pytest.approx(0.33172, rel=0.005)
    assert set(pd.read_csv(steps)["kind"]) == {"charge", "discharge", "rest"}


@needs_real
def test_a_converted_can_log_with_decoder_warnings_reads_back(tmp_path, capsys):
    """foxBMS decoded through its DBC warns on several lines: the CSV written must analyze."""
    out = tmp_path / "fox.csv"
    can = REAL_DATA / "can"
    args = ["convert", str(can / "foxbms_test_log.txt"), "--dbc", str(can / "foxbms.dbc")]
    assert main([*args, "-o", str(out)]) == 0
    lines = out.read_text().splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("time_s,"))
    assert all(line.startswith("#") for line in lines[:header_at])
    back = open_log(str(out))
    assert back.metadata["warnings"].count("\n") >= 2  # several warnings: the case that broke
    assert len(back.frame) == 9
    capsys.readouterr()
    assert main(["analyze", str(out), "--chemistry", "nmc", "--capacity-ah", "100"]) == 0
    shown = capsys.readouterr().out
    assert "0x35D decoded as" in shown  # the second warning line, read back as a warning


def test_convert_with_an_explicit_mapping(tmp_path):
    src = tmp_path / "raw.txt"
    src.write_text("a|b|c\n0|3700|1.5\n1|3710|1.5\n")
    mapping = {
        "columns": {
            "time_s": {"source": "a"},
            "voltage_v": {"source": "b", "scale": 0.001},
            "current_a": {"source": "c"},
        },
        "delimiter": "|",
    }
    (tmp_path / "m.json").write_text(json.dumps(mapping))
    out = tmp_path / "out.csv"
    assert main(["convert", str(src), "-o", str(out), "--mapping", str(tmp_path / "m.json")]) == 0
    assert list(open_log(str(out)).frame["voltage_v"]) == [3.7, 3.71]


def test_convert_errors_are_one_line(tmp_path, capsys):
    garbage = tmp_path / "g.csv"
    garbage.write_bytes(b"\x00\x01\x02" * 50)
    assert main(["convert", str(garbage), "-o", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "binary data" in err
    assert main(["convert", str(garbage), "-o", str(tmp_path / "o.xlsx")]) == 2
    assert "write to .csv, .parquet or .bdf.csv" in capsys.readouterr().err


@needs_real
@pytest.mark.parametrize(
    "name",
    [
        "arbin/2017-05-09_test-TC-contact_CH33.csv",
        "maccor/PredictionDiagnostics_000151_test.052",
        NEWARE,
        "bdf/SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv",
    ],
)
def test_analyze_works_on_every_cycler_format(capsys, name):
    args = ["analyze", str(REAL_DATA / name), "--json", "--chemistry", "nmc", "--capacity-ah", "1"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cycles"] and report["results"]["soc"] is not None
    first = report["cycles"][0]
    for key in ("cycle_index", "charge_capacity_ah", "discharge_capacity_ah", "dcir_ohm"):
        assert key in first
