"""`batteryos analyze` on files of the field that hold no samples -- a VE.Direct capture,
JK BMS frames, a DBC, an Arbin metadata file -- says in one line what the file is and
the command to use instead; exit 2, no traceback (it said "not a log format Battery OS
reads (text starting 'PID\\t0x203')" or listed the metadata's columns)."""

from __future__ import annotations

import shutil

import pytest

from app.cli import main
from app.hardware.logs.formats import NotASampleLog, detect_format
from tests.real_data import REAL_DATA

pytestmark = pytest.mark.skipif(REAL_DATA is None, reason="real data folder not present")

CASES = [
    ("vedirect/bmv702.dump", "a VE.Direct text capture", ("protocol=vedirect", "devsim vedirect --replay")),
    ("bms/batmon_jk_issue365_status.bin", "JK BMS frames", ("protocol=jk", "devsim jk --replay")),
    ("bms/batmon_jk_issue365_settings.bin", "JK BMS frames", ("protocol=jk",)),
    ("can/foxbms.dbc", "a CAN database (DBC", ("analyze CAN_LOG --dbc",)),
    ("can/savvycan_bms.dbc", "a CAN database (DBC", ("analyze CAN_LOG --dbc",)),
    (
        "arbin/2017-05-09_test-TC-contact_CH33_Metadata.csv",
        "an Arbin test's metadata file",
        ("batteryos analyze ", "2017-05-09_test-TC-contact_CH33.csv`"),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "what", "commands"), CASES)
def test_analyze_says_what_the_file_is_and_what_to_run(name, what, commands, capsys):
    path = str(REAL_DATA / name)
    assert main(["analyze", path]) == 2
    out, err = capsys.readouterr()
    assert not out and "Traceback" not in err
    (line,) = err.splitlines()
    assert line.startswith(f"batteryos: error: {path}: {what}")
    assert ", not a sample log: " in line
    for command in commands:
        assert command in line


def test_the_window_gets_the_same_without_the_cli_commands():
    with pytest.raises(NotASampleLog) as caught:
        detect_format(str(REAL_DATA / "vedirect/bmv702.dump"))
    assert caught.value.kind == "vedirect"
    assert str(caught.value).endswith("serial://PORT?protocol=vedirect")


def test_an_arbin_metadata_file_alone_names_the_export_to_open(tmp_path):
    alone = tmp_path / "x_Metadata.csv"
    shutil.copy(REAL_DATA / "arbin/2017-05-09_test-TC-contact_CH33_Metadata.csv", alone)
    with pytest.raises(NotASampleLog) as caught:
        detect_format(str(alone))
    assert caught.value.data_file is None
    assert "Test_Time, Current, Voltage" in str(caught.value)


@pytest.mark.parametrize(
    "name",
    [
        "arbin/2017-05-09_test-TC-contact_CH33.csv",
        "can/foxbms_test_log.txt",
        "can/foxbms_can-log.trc",
        "maccor/PredictionDiagnostics_000151_test.052",
        "neware/nw_regular_export_ife_example.csv",
        "bdf/SINTEF__LiGrR2032__2024-04-30__25degC__Landt.bdf.csv",
        "biologic/GCPL-0.mpr",
        "capacity/nasa_B0005_capacity.csv",
    ],
)
def test_the_logs_are_still_logs(name):
    detect_format(str(REAL_DATA / name))  # (no NotASampleLog)
