"""BioLogic EC-Lab readers: real .mpr files, generated cycling .mpr/.mpt, corrupt input."""

import contextlib
import struct

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import SchemaError
from app.diagnostics.cycles import summarize_cycles
from app.hardware.logs.biologic import read_mpr
from app.hardware.logs.formats import Cancelled, Progress, detect_format, open_log
from tests.hardware.logs.biologic_files import (
    cycling_columns,
    half_cycle_counts,
    mpr_bytes,
    mpt_text,
)
from tests.real_data import REAL_DATA

real = pytest.mark.skipif(REAL_DATA is None, reason="real data files not found")


def _real(name):
    return str(REAL_DATA / "biologic" / name)


@real
def test_real_gcpl_file_is_a_rest_at_3_5_volts():
    log = open_log(_real("GCPL-0.mpr"))
    frame = log.frame
    assert log.metadata["format"] == "BioLogic EC-Lab .mpr"
    assert len(frame) == 4
    assert np.all(np.diff(frame["time_s"]) > 0)
    assert frame["time_s"].iloc[-1] == pytest.approx(2.813, abs=1e-3)
    assert frame["voltage_v"].between(3.514, 3.516).all()
    # a rest step: no charge passed, so no current
    assert (frame["current_a"] == 0).all()
    assert set(frame["cycle_index"]) == {0}
    assert set(frame["step_index"]) == {0}
    assert log.metadata["start_utc"].startswith("2024-09-02T13:49:32")
    # its Q charge/discharge/mA.h: the instrument counted no charge either way
    assert (frame[["charge_capacity_ah", "discharge_capacity_ah"]] == 0).all().all()
    (cycle,) = summarize_cycles(frame).to_dict(orient="records")
    assert cycle["charge_capacity_ah"] == cycle["discharge_capacity_ah"] == 0.0


@real
def test_real_modulobat_ocv_file_without_current_column():
    log = open_log(_real("MB-0.mpr"))
    frame = log.frame
    assert len(frame) == 2
    assert frame["time_s"].tolist() == pytest.approx([0.0, 9.9976], abs=1e-4)
    assert frame["voltage_v"].between(1.48, 1.50).all()
    assert (frame["current_a"] == 0).all()  # every record is mode 3 (rest)
    assert log.metadata["start_utc"].startswith("2026-04-13T10:08")
    assert "charge_capacity_ah" not in frame  # no charge column: no counters


def _cycling_mpr(tmp_path, **kw):
    path = tmp_path / "cell.mpr"
    path.write_bytes(mpr_bytes(cycling_columns(**kw)))
    return str(path)


def test_generated_cycling_mpr_maps_units_sign_and_cycles(tmp_path):
    columns = cycling_columns(points=600, cycles=3, capacity_mah=50.0)
    log = open_log(_cycling_mpr(tmp_path, points=600, cycles=3, capacity_mah=50.0))
    frame = log.frame
    assert list(frame.columns) == [
        "time_s",
        "voltage_v",
        "current_a",
        "temperature_c",
        "cycle_index",
        "step_index",
    ]
    np.testing.assert_allclose(frame["current_a"], columns["I/mA"] / 1000.0)
    charging = frame["current_a"] > 0
    # charging raises the voltage: the sign is ours (positive = charge)
    assert frame.loc[charging, "voltage_v"].diff().dropna().gt(0).mean() > 0.9
    assert sorted(set(frame["cycle_index"])) == [0, 1, 2]
    assert sorted(set(frame["step_index"])) == [1, 2]
    assert frame["temperature_c"].between(25, 27).all()


def test_mpt_with_decimal_comma_reads_as_the_mpr(tmp_path):
    columns = cycling_columns(points=300, cycles=2)
    mpr = tmp_path / "cell.mpr"
    mpr.write_bytes(mpr_bytes(columns))
    for comma in (False, True):
        mpt = tmp_path / f"cell_{comma}.mpt"
        mpt.write_bytes(mpt_text(columns, decimal_comma=comma))
        assert detect_format(str(mpt)).name == "BioLogic EC-Lab .mpt"
        log = open_log(str(mpt))
        binary = open_log(str(mpr))
        np.testing.assert_allclose(log.frame["voltage_v"], binary.frame["voltage_v"], rtol=1e-6)
        np.testing.assert_allclose(log.frame["current_a"], binary.frame["current_a"], rtol=1e-6)
        np.testing.assert_allclose(
            log.frame["temperature_c"], binary.frame["temperature_c"], rtol=1e-6
        )
        assert log.frame["cycle_index"].tolist() == binary.frame["cycle_index"].tolist()
        assert log.metadata["start_utc"] == "2024-09-02T13:49:32"
        assert log.metadata["technique"] == "Galvanostatic Cycling with Potential Limitation"


def test_mpt_bad_value_names_its_line(tmp_path):
    text = mpt_text(cycling_columns(points=30, cycles=1)).decode("cp1252").split("\r\n")
    text[20] = text[20].replace("E+00", "E+0x", 1)
    path = tmp_path / "bad.mpt"
    path.write_bytes("\r\n".join(text).encode("cp1252"))
    with pytest.raises(SchemaError, match=r"bad\.mpt: line 21"):
        open_log(str(path))


def test_mpt_cut_inside_its_header(tmp_path):
    text = mpt_text(cycling_columns(points=30, cycles=1)).split(b"\r\n")
    path = tmp_path / "cut.mpt"
    path.write_bytes(b"\r\n".join(text[:6]))
    with pytest.raises(SchemaError, match="inside its 15 header lines"):
        open_log(str(path))


def test_unknown_column_id_is_named(tmp_path):
    path = tmp_path / "new.mpr"
    path.write_bytes(mpr_bytes(cycling_columns(points=20, cycles=1), extra_ids=(9999,)))
    with pytest.raises(SchemaError, match=r"new\.mpr: EC-Lab column ID 9999 is not known"):
        open_log(str(path))


def test_truncated_mpr_says_so(tmp_path):
    data = mpr_bytes(cycling_columns(points=100, cycles=1))
    path = tmp_path / "cut.mpr"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SchemaError, match="truncated"):
        open_log(str(path))


def test_mpr_progress_and_cancel(tmp_path):
    path = _cycling_mpr(tmp_path, points=300_000, cycles=10)
    seen = []
    log = open_log(path, Progress(seen.append))
    assert len(log.frame) == 300_000
    assert seen[-1] == 1.0 and len(seen) >= 4 and seen == sorted(seen)

    progress = Progress()
    progress.cancel()
    with pytest.raises(Cancelled):
        read_mpr(path, progress)


_SAMPLE = mpr_bytes(cycling_columns(points=40, cycles=2))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.integers(min_value=0, max_value=len(_SAMPLE)),
    edits=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(_SAMPLE) - 1), st.binary(min_size=1, max_size=8)
        ),
        max_size=6,
    ),
)
def test_fuzzed_mpr_raises_only_schema_error(tmp_path, cut, edits):
    data = bytearray(_SAMPLE)
    for at, patch in edits:
        data[at : at + len(patch)] = patch
    path = tmp_path / "fuzz.mpr"
    path.write_bytes(bytes(data[:cut]) if cut < len(_SAMPLE) else bytes(data))
    try:
        log = read_mpr(str(path))
    except SchemaError:
        return
    assert np.all(np.diff(log.frame["time_s"]) >= 0)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header_word=st.sampled_from([0, 1, 7, 0xFFFF, 0xFFFFFFFF]),
    count=st.integers(min_value=0, max_value=255),
    points=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_fuzzed_mpr_data_header_raises_only_schema_error(tmp_path, header_word, count, points):
    data = bytearray(_SAMPLE)
    at = data.index(b"MODULEVMP data") + 6 + 59
    struct.pack_into("<IB", data, at, points, count)
    struct.pack_into("<I", data, at - 20, header_word)  # the module length
    path = tmp_path / "fuzz.mpr"
    path.write_bytes(bytes(data))
    with contextlib.suppress(SchemaError):
        read_mpr(str(path))


@real
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_fuzzed_real_mpr_raises_only_schema_error(tmp_path, data):
    original = (REAL_DATA / "biologic" / "GCPL-0.mpr").read_bytes()
    garbled = bytearray(original[: data.draw(st.integers(0, len(original)), label="cut")])
    for _ in range(data.draw(st.integers(0, 8), label="edits")):
        if not garbled:
            break
        at = data.draw(st.integers(0, len(garbled) - 1), label="at")
        garbled[at] = data.draw(st.integers(0, 255), label="byte")
    path = tmp_path / "fuzz.mpr"
    path.write_bytes(bytes(garbled))
    with contextlib.suppress(SchemaError):
        read_mpr(str(path))


def test_mpt_with_a_byte_order_mark_reads_as_without(tmp_path):
    columns = cycling_columns(points=30, cycles=1)
    plain, marked = tmp_path / "cell.mpt", tmp_path / "bom.mpt"
    plain.write_bytes(mpt_text(columns))
    marked.write_bytes(b"\xef\xbb\xbf" + mpt_text(columns))
    assert detect_format(str(marked)).name == "BioLogic EC-Lab .mpt"
    log, want = open_log(str(marked), use_cache=False), open_log(str(plain), use_cache=False)
    assert log.metadata.pop("source").endswith("bom.mpt")
    want.metadata.pop("source")
    assert log.metadata == want.metadata  # start time, technique
    pd.testing.assert_frame_equal(log.frame, want.frame)


def _counted_cell(gain: float = 1.03) -> dict:
    """:func:`cycling_columns` with the instrument's counts of 50 mAh a half cycle, its
    current column reading ``gain`` times the current the instrument counted."""
    columns = cycling_columns(points=600, cycles=3, capacity_mah=50.0)
    columns["dQ/mA.h"][0] = 0.0  # nothing passed before the first point
    columns.update(half_cycle_counts(columns))
    columns["I/mA"] = (columns["I/mA"] * gain).astype(np.float32)
    return columns


def test_the_instruments_counts_make_the_cycle_table_not_the_current_column(tmp_path):
    columns = _counted_cell()
    path = tmp_path / "counted.mpr"
    path.write_bytes(mpr_bytes(columns))
    cycles = summarize_cycles(open_log(str(path)).frame)
    # 50 mAh each way (the first point's charge: 0.5 mAh), the file's Q charge/discharge/mA.h,
    # not the 3 % more of I/mA
    np.testing.assert_allclose(cycles["discharge_capacity_ah"], 0.050, rtol=1e-12)
    np.testing.assert_allclose(cycles["charge_capacity_ah"], [0.0495, 0.05, 0.05], rtol=1e-12)
    assert set(cycles["capacity_source"]) == {"cycler"}
    # Energy charge/discharge/W.h: each half cycle's own last value
    by_cycle = pd.Series(columns["Energy discharge/W.h"]).groupby(columns["cycle number"])
    own = by_cycle.max().to_numpy()
    np.testing.assert_allclose(cycles["discharge_energy_wh"], own, rtol=1e-12)
    assert set(cycles["energy_source"]) == {"cycler"}
    # integrated, the current column would have said up to 3 % more
    frame = open_log(str(path)).frame.drop(
        columns=["charge_capacity_ah", "discharge_capacity_ah"]
        + ["charge_energy_wh", "discharge_energy_wh"]
    )
    plain = summarize_cycles(frame)
    assert (plain["discharge_capacity_ah"] > 0.0505).all()


def test_mpt_q_charge_and_q_discharge_columns_give_the_mprs_cycle_table(tmp_path):
    columns = _counted_cell()
    mpr, mpt = tmp_path / "cell.mpr", tmp_path / "cell.mpt"
    mpr.write_bytes(mpr_bytes(columns))
    mpt.write_bytes(mpt_text(columns, decimal_comma=True))
    binary = summarize_cycles(open_log(str(mpr)).frame)
    text = summarize_cycles(open_log(str(mpt)).frame)
    assert set(text["capacity_source"]) == set(text["energy_source"]) == {"cycler"}
    for column in ("charge_capacity_ah", "discharge_capacity_ah", "discharge_energy_wh"):
        np.testing.assert_allclose(text[column], binary[column], rtol=1e-7)


def test_a_running_net_charge_alone_is_summed_by_direction():
    from app.hardware.logs.biologic import to_canonical

    columns = _counted_cell()
    net_only = {k: v for k, v in columns.items() if k in ("time/s", "Ewe/V", "I/mA")}
    net_only["(Q-Qo)/mA.h"] = columns["(Q-Qo)/mA.h"]
    frame = to_canonical(net_only, "cell.mpt")
    dq = columns["dQ/mA.h"] / 1000.0
    np.testing.assert_allclose(
        frame["discharge_capacity_ah"], np.cumsum(np.clip(-dq, 0, None)), atol=1e-12
    )
    cycles = summarize_cycles(frame.assign(cycle_index=columns["cycle number"]))
    np.testing.assert_allclose(cycles["discharge_capacity_ah"], 0.050, rtol=1e-9)
    assert set(cycles["capacity_source"]) == {"cycler"}
    # coulombs too
    coulombs = {**net_only, "(Q-Qo)/C": net_only.pop("(Q-Qo)/mA.h") * 3.6}
    again = to_canonical(coulombs, "cell.mpt")
    np.testing.assert_allclose(again["discharge_capacity_ah"], frame["discharge_capacity_ah"])


def test_a_missing_net_charge_reading_loses_none_of_the_charge_across_it():
    # (Q-Qo) is a running total: the step after a missing reading is taken from the
    # last reading there was, so the count goes on where it left off
    from app.hardware.logs.biologic import _counters

    out = _counters({"(Q-Qo)/mA.h": np.array([0.0, 1.0, 2.0, np.nan, 4.0, 5.0])})
    charge = out["charge_capacity_ah"] * 1000.0
    np.testing.assert_allclose(charge[[0, 1, 2, 4, 5]], [0.0, 1.0, 2.0, 4.0, 5.0])
    assert np.isnan(charge[3])
