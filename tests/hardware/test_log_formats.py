"""Log files are recognised by content (app.hardware.logs.formats)."""

import pytest

from app.core.errors import SchemaError
from app.hardware.logs.formats import Cancelled, Progress, detect_format, open_log


def _write(path, text):
    path.write_text(text)
    return str(path)


def test_canonical_csv_is_recognised_whatever_its_extension(tmp_path):
    path = _write(tmp_path / "cell.dat", "time_s,voltage_v,current_a\n0,3.7,1\n1,3.71,1\n")
    assert detect_format(path).name == "Battery OS canonical CSV"
    log = open_log(path)
    assert list(log.frame["voltage_v"]) == [3.7, 3.71]
    assert log.metadata["format"] == "Battery OS canonical CSV"


def test_a_canonical_csv_missing_a_column_says_which(tmp_path):
    path = _write(tmp_path / "cell.csv", "time_s,current_a\n0,1\n")
    with pytest.raises(SchemaError, match="voltage_v"):
        open_log(path)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"%PDF-1.7\n\x00\x01binary", "PDF"),
        (b"\x00\x01\x02\x03" * 100, "binary"),
        (b"hello world\nthis is prose\n", "hello world"),
        (b"\n\n\n", "blank"),
    ],
)
def test_an_unknown_file_is_named_by_what_it_looks_like(tmp_path, content, words):
    path = tmp_path / "mystery.csv"
    path.write_bytes(content)
    with pytest.raises(SchemaError, match=words):
        open_log(str(path))


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(SchemaError, match="empty"):
        open_log(str(empty))
    with pytest.raises(SchemaError, match="no such file"):
        open_log(str(tmp_path / "nope.csv"))


def test_progress_cancels_a_reader(tmp_path):
    path = _write(tmp_path / "cell.csv", "time_s,voltage_v,current_a\n0,3.7,1\n1,3.71,1\n")
    seen = []
    progress = Progress(seen.append)
    progress.cancel()
    with pytest.raises(Cancelled):
        open_log(path, progress)
    assert seen == [1.0]
