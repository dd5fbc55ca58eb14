"""CAN log files: the real foxBMS captures through their DBC, and the BMS protocol
in every format python-can writes."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from app.core.errors import SchemaError
from app.hardware.logs.can_logs import read_can_log, using_dbc
from app.hardware.logs.formats import Cancelled, Progress, detect_format, open_log
from tests.hardware.can.conftest import status_frames


def test_foxbms_trc_decodes_into_cells_temperatures_pack_voltage_and_current(real_can):
    log = open_log(str(real_can / "foxbms_can-log.trc"))
    f = log.frame
    assert log.metadata["format"] == "CAN log, PCAN TRC"
    assert log.metadata["decoded_with"] == "DBC foxbms.dbc"  # found beside the log
    assert log.metadata["start_utc"].startswith("2025-02-25T13:25:46")
    assert f["voltage_v"].tolist() == pytest.approx([63.93, 63.93])
    assert f["current_a"].tolist() == [0.0, 0.0]
    cells = f[[f"cell_{k}_v" for k in range(9, 13)]].iloc[-1]
    assert cells.between(1.99, 2.01).all()  # 1996..2005 mV
    temps = f[[f"cell_{k}_temp_c" for k in range(7, 13)]].iloc[-1]
    assert temps.between(25, 26).all()


def _ivt_power_w(real_can) -> float:
    """The median power the IVT-S itself reports (0x526, at its DBC id) in the text log."""
    from app.hardware.can.dbc import load_dbc
    from app.hardware.logs.can_logs import read_frames

    frames = read_frames(str(real_can / "foxbms_test_log.txt"))
    message = load_dbc(str(real_can / "foxbms.dbc")).get_message_by_frame_id(0x526)
    powers = [
        message.decode(d)["IVT_Result_W"]
        for i, d in zip(frames.ids, frames.data, strict=True)
        if i == 0x526
    ]
    return float(np.median(powers))


def test_foxbms_text_log_gives_li_ion_cells_and_the_current_sensors_pack_values(real_can):
    log = open_log(str(real_can / "foxbms_test_log.txt"))
    f = log.frame
    assert log.metadata["format"] == "CAN log, foxBMS / python-can text"
    assert np.all(np.diff(f["time_s"]) >= 0)
    cells = f[[f"cell_{k}_v" for k in range(1, 5)]].dropna()
    assert len(cells) and cells.stack().between(4.05, 4.06).all()  # a charged Li-ion cell
    pack, current = f["voltage_v"], f["current_a"]
    assert pack.between(389.0, 389.3).all()  # IVT-S U1, frames 0x35D
    # a series string: the pack is a whole number of cells like the reported ones (96)
    series = pack.median() / cells.stack().median()
    assert abs(series - round(series)) < 0.1 and round(series) == 96
    assert current.between(-0.84, -0.82).all()  # IVT-S I, frames 0x35C; discharging
    # the sensor's own power result agrees with the voltage and current taken from it
    assert abs(pack.median() * -current.median() - _ivt_power_w(real_can)) < 5.0
    # no battery temperature in this capture: the IVT-S's 21 degC is the shunt's own
    assert not any("temp" in c for c in f.columns)
    assert "soh_reported_pct" not in f.columns


def test_foxbms_text_log_warns_about_what_does_not_match_its_dbc(real_can):
    warnings = open_log(str(real_can / "foxbms_test_log.txt")).metadata["warnings"]
    # 0x243 (f_StringValuesP0 in this DBC) carries cell voltages in this capture
    assert "f_StringValuesP0 (0x243): its pack voltage 2.53 V is below a single cell's" in warnings
    assert "f_StringStateEstimation (0x245): its MaximumSoc 101.4 %" in warnings
    assert "frames 0x35C decoded as CS_IsabellenhuetteIvtString0Curr (0x521)" in warnings
    assert "0x246" in warnings  # ids the DBC does not list are named, not decoded


def test_a_saved_mapping_is_decoded_as_asked_but_its_mismatch_is_told(
    real_can, saved_string_mapping
):
    log = read_can_log(
        str(real_can / "foxbms_test_log.txt"),
        dbc=str(real_can / "foxbms.dbc"),
        mapping=saved_string_mapping,
    )
    assert log.frame["voltage_v"].to_numpy() == pytest.approx(2.53)
    assert (
        "below a single cell's 4.055 V - the frames may not match this DBC"
        in log.metadata["warnings"]
    )


def test_the_dbc_is_given_explicitly_or_found_beside_the_log(real_can, tmp_path):
    lonely = tmp_path / "capture.trc"
    shutil.copy(real_can / "foxbms_can-log.trc", lonely)
    with pytest.raises(SchemaError, match="--dbc"):
        open_log(str(lonely))
    with using_dbc(str(real_can / "foxbms.dbc")):
        assert open_log(str(lonely)).frame["voltage_v"].iloc[0] == pytest.approx(63.93)
    # beside it: of two DBCs, the one covering the log's ids
    for name in ("savvycan_bms.dbc", "foxbms.dbc"):
        shutil.copy(real_can / name, tmp_path / name)
    assert open_log(str(lonely)).metadata["decoded_with"] == "DBC foxbms.dbc"


def _write_with_python_can(path, frames_per_status):
    import can

    with can.Logger(str(path)) as writer:
        t = 1_700_000_000.0
        for k, frames in enumerate(frames_per_status):
            for j, (fid, data) in enumerate(frames):
                writer.on_message_received(
                    can.Message(
                        timestamp=t + k + j * 0.001,
                        arbitration_id=fid,
                        data=data,
                        is_extended_id=False,
                        channel=0,
                    )
                )


@pytest.mark.parametrize(
    ("suffix", "fmt"),
    [
        (".log", "CAN log, candump -L"),
        (".asc", "CAN log, Vector ASC"),
        (".blf", "CAN log, Vector BLF"),
        (".trc", "CAN log, PCAN TRC"),
    ],
)
def test_bms_protocol_logs_in_every_format(tmp_path, suffix, fmt):
    path = tmp_path / f"bms{suffix}"
    _write_with_python_can(path, [status_frames(voltage_v=52.0 - 0.1 * k) for k in range(5)])
    assert detect_format(str(path)).name == fmt
    log = open_log(str(path))
    assert log.frame["voltage_v"].tolist() == pytest.approx([52.0, 51.9, 51.8, 51.7, 51.6])
    assert log.frame["current_a"].tolist() == pytest.approx([-12.5] * 5)
    assert log.frame["soc_reported_pct"].iloc[-1] == 81
    assert log.frame["time_s"].iloc[-1] == pytest.approx(4.0, abs=0.01)
    assert log.metadata["decoded_with"] == "BMS CAN protocol"


def test_big_endian_bms_log(tmp_path):
    from app.hardware.can.pylontech import ByteOrder

    path = tmp_path / "be.log"
    frames = [status_frames(voltage_v=48.0, byte_order=ByteOrder.BIG) for _ in range(2)]
    _write_with_python_can(path, frames)
    assert read_can_log(str(path), byte_order="big").frame["voltage_v"].tolist() == [48.0, 48.0]


def test_garbage_lines_in_a_text_log_are_counted(real_can, tmp_path):
    path = tmp_path / "fox.txt"
    text = (real_can / "foxbms_test_log.txt").read_text().splitlines()
    text.insert(5, "Timestamp: 132.0  ID: 0250  S Rx  DL:  8  00 07")  # truncated
    text.insert(9, "\x00\x01 line noise")
    path.write_text("\n".join(text) + "\n")
    with using_dbc(str(real_can / "foxbms.dbc")):
        log = open_log(str(path))
    assert log.metadata["frames_bad"] == "2"


def test_frames_without_protocol_or_dbc_say_what_to_do(tmp_path):
    path = tmp_path / "other.log"
    _write_with_python_can(path, [[(0x123, bytes(8))], [(0x124, bytes(8))]])
    with pytest.raises(SchemaError, match="give one"):
        open_log(str(path))


def test_progress_and_cancel(tmp_path):
    path = tmp_path / "bms.log"
    _write_with_python_can(path, [status_frames() for _ in range(3)])
    seen = []
    open_log(str(path), Progress(seen.append))
    assert seen[-1] == 1.0
    progress = Progress()
    progress.cancel()
    with pytest.raises(Cancelled):
        open_log(str(path), progress)


def test_a_can_log_plays_as_a_file_source_with_its_dbc(real_can, tmp_path):
    from app.hardware.registry import create_source
    from tests.hardware.source_contract import read_samples

    lonely = tmp_path / "capture.trc"
    shutil.copy(real_can / "foxbms_can-log.trc", lonely)
    url = f"file://{lonely}?dbc={real_can / 'foxbms.dbc'}&chemistry=nmc&capacity_ah=50&cells=32"
    with create_source(url) as source:
        blocks = read_samples(source, 2)
    assert blocks[0]["voltage_v"][0] == pytest.approx(63.93)


BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize("suffix", [".log", ".asc", ".trc"])
def test_a_byte_order_mark_changes_nothing_in_a_python_can_text_log(tmp_path, suffix):
    # an editor's "UTF-8 with BOM" save: candump was read as '\ufeff(1700000000.0' (not a
    # number), ASC and TRC were not recognised at all
    plain = tmp_path / f"bms{suffix}"
    _write_with_python_can(plain, [status_frames(voltage_v=52.0 - 0.1 * k) for k in range(5)])
    marked = tmp_path / f"bom{suffix}"
    marked.write_bytes(BOM + plain.read_bytes())
    assert detect_format(str(marked)) == detect_format(str(plain))
    log, want = open_log(str(marked), use_cache=False), open_log(str(plain), use_cache=False)
    assert log.metadata == want.metadata
    pd.testing.assert_frame_equal(log.frame, want.frame)


@pytest.mark.parametrize("name", ["foxbms_test_log.txt", "foxbms_can-log.trc"])
def test_a_byte_order_mark_changes_nothing_in_the_real_can_logs(real_can, tmp_path, name):
    for dbc in real_can.glob("*.dbc"):
        shutil.copy(dbc, tmp_path / dbc.name)  # found beside the log, as for the original
    marked = tmp_path / name
    marked.write_bytes(BOM + (real_can / name).read_bytes())
    log = open_log(str(marked), use_cache=False)
    want = open_log(str(real_can / name), use_cache=False)
    assert log.metadata == want.metadata  # the first frame is not one more bad line
    pd.testing.assert_frame_equal(log.frame, want.frame)
