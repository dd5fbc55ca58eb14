"""Canonical CSV, Parquet and BDF exports round-trip; big files are cached by path, size, mtime."""

import os

import numpy as np
import pandas as pd
import pytest

from app.core.errors import SchemaError
from app.hardware.logs import cache
from app.hardware.logs.canonical_csv import LoadedLog
from app.hardware.logs.export import ExportFormat, format_for, write_log
from app.hardware.logs.formats import Cancelled, Progress, open_log


def _log(n=1000):
    t = np.arange(n) * 0.1 + 86400.0 * 7  # a week in: 0.1 s must survive the CSV
    frame = pd.DataFrame(
        {
            "time_s": t - t[0],
            "voltage_v": 3.6 + 1e-4 * np.arange(n),
            "current_a": np.where(np.arange(n) < n // 2, 2.5, -2.5),
            "temperature_c": 25.0,
            "cycle_index": 1.0,
            "step_index": np.where(np.arange(n) < n // 2, 1.0, 2.0),
        }
    )
    return LoadedLog("mem", frame, {"start_utc": "2026-01-02T03:04:05+00:00", "format": "x"})


@pytest.mark.parametrize("name", ["out.csv", "out.parquet", "out.bdf.csv"])
def test_exports_read_back_the_same_samples(tmp_path, name):
    log = _log()
    path = str(tmp_path / name)
    write_log(path, log)
    back = open_log(path)
    for col in log.frame.columns:
        np.testing.assert_allclose(back.frame[col], log.frame[col], rtol=1e-9, err_msg=col)
    assert back.metadata["start_utc"].startswith("2026-01-02T03:04:05")
    expected = {
        "out.csv": "Battery OS canonical CSV",
        "out.parquet": "Canonical Parquet",
        "out.bdf.csv": "Battery Data Format CSV",
    }[name]
    assert back.metadata["format"] == expected


@pytest.mark.parametrize("name", ["out.csv", "out.parquet"])
def test_multi_line_metadata_reads_back(tmp_path, name):
    """A value of several lines (a decoder's warnings) keeps every header line a comment."""
    log = _log(20)
    warnings = "first warning: a\nsecond: b, c\n  third"
    log.metadata.update(warnings=warnings, notes="one\ntwo")
    path = tmp_path / name
    write_log(str(path), log)
    if name == "out.csv":
        head = path.read_text().splitlines()
        header_at = head.index(",".join(log.frame.columns))
        assert all(line.startswith("#") for line in head[:header_at])
    back = open_log(str(path))
    assert back.metadata["warnings"] == warnings
    assert back.metadata["notes"] == "one\ntwo"
    assert list(back.frame.columns) == list(log.frame.columns)
    assert len(back.frame) == 20


def test_bdf_export_uses_the_ontology_names(tmp_path):
    path = tmp_path / "o.bdf.csv"
    write_log(str(path), _log())
    header = path.read_text().splitlines()[0].split(",")
    assert header[:4] == ["test_time_second", "unix_time_second", "voltage_volt", "current_ampere"]


def test_export_format_by_extension():
    assert format_for("a.BDF.csv") is ExportFormat.BDF_CSV
    assert format_for("a.parquet") is ExportFormat.PARQUET
    with pytest.raises(SchemaError, match="write to .csv, .parquet or .bdf.csv"):
        format_for("a.xlsx")


def test_second_open_comes_from_the_cache_until_the_file_changes(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "MIN_BYTES", 0)
    path = str(tmp_path / "cell.csv")
    write_log(path, _log())
    first = open_log(path)
    entries = list(cache.cache_dir().glob("*.arrow"))
    assert len(entries) == 1 and str(tmp_path / "data") in str(entries[0])  # isolated by conftest
    from app.hardware.logs import canonical_csv

    reads = []
    real_read = canonical_csv.read
    monkeypatch.setattr(canonical_csv, "read", lambda p, pr=None: reads.append(p) or real_read(p))
    again = open_log(path)
    assert reads == []
    pd.testing.assert_frame_equal(again.frame, first.frame)
    assert again.metadata == first.metadata
    # edit the file: same path, new size and mtime -> read afresh
    with open(path, "a") as fh:
        fh.write("100,3.5,-2.5,25,1,2\n")
    assert len(open_log(path).frame) == 1001
    assert reads == [path]


def test_a_new_column_mapping_for_the_file_is_a_cache_miss(tmp_path, monkeypatch):
    from app.hardware.logs.column_mapping import save_mapping
    from app.hardware.logs.generic import preview

    monkeypatch.setattr(cache, "MIN_BYTES", 0)
    path = str(tmp_path / "rig_01.csv")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("Time (s);Voltage (mV);Current (mA)\n0;3700;1000\n1;3710;1000\n")
    assert open_log(path).frame["current_a"].iloc[0] == pytest.approx(1.0)  # now cached
    mapping = preview(path).mapping
    mapping.columns["current_a"].scale = -1e-3  # this rig counts discharge positive
    save_mapping("rig_*.csv", mapping)
    assert open_log(path).frame["current_a"].iloc[0] == pytest.approx(-1.0)
    assert open_log(path).frame["current_a"].iloc[0] == pytest.approx(-1.0)  # and cached so


def test_a_corrupt_cache_entry_is_a_miss(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "MIN_BYTES", 0)
    path = str(tmp_path / "cell.csv")
    write_log(path, _log())
    open_log(path)
    (entry,) = cache.cache_dir().glob("*.arrow")
    entry.write_bytes(b"PAR1 garbage")
    assert len(open_log(path).frame) == 1000
    assert cache.cache_dir().glob("*.arrow")


def test_trim_keeps_the_newest(tmp_path, monkeypatch):
    monkeypatch.setenv("BATTERYOS_CACHE_DIR", str(tmp_path / "c"))
    d = cache.cache_dir()
    d.mkdir()
    for k in range(3):
        (d / f"{k}.arrow").write_bytes(b"x" * 100)
        os.utime(d / f"{k}.arrow", (k, k))
    cache.trim(max_bytes=150)
    assert [p.name for p in d.glob("*.arrow")] == ["2.arrow"]


def test_progress_follows_a_large_canonical_csv_and_cancels(tmp_path, monkeypatch):
    from app.hardware.logs import tables

    monkeypatch.setattr(tables, "CHUNK_ROWS", 100)
    path = str(tmp_path / "cell.csv")
    write_log(path, _log())
    seen = []
    log = open_log(path, Progress(seen.append), use_cache=False)
    assert len(log.frame) == 1000
    assert len(seen) >= 9 and seen == sorted(seen) and seen[-1] == 1.0

    def cancel_at_half(fraction):
        if fraction > 0.5:
            progress.cancel()

    progress = Progress(cancel_at_half)
    with pytest.raises(Cancelled):
        open_log(path, progress, use_cache=False)
