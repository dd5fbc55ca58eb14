"""Raw tables out of text and XLSX files, with progress and clear errors (shared by the readers)."""

from __future__ import annotations

import csv
import io
import os
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, BinaryIO, TextIO

from app.core.errors import SchemaError

if TYPE_CHECKING:
    import pandas as pd

    from app.hardware.logs.formats import Progress

#: The UTF-8 byte-order mark that Excel's "CSV UTF-8", Notepad and some loggers write
#: first. It means nothing to any log format: :func:`~app.hardware.logs.formats.detect_format`
#: hands every sniffer the head without it, and readers open text through
#: :func:`open_text` / :func:`open_binary` (pandas drops it itself in :func:`read_text_table`).
UTF8_BOM = b"\xef\xbb\xbf"

#: Rows per chunk between two progress updates.
CHUNK_ROWS = 500_000


def without_bom(head: bytes) -> bytes:
    """``head`` without a leading UTF-8 byte-order mark."""
    return head[len(UTF8_BOM) :] if head.startswith(UTF8_BOM) else head


def open_binary(path: str) -> BinaryIO:
    """``path`` opened for reading bytes, positioned past a UTF-8 byte-order mark."""
    fh = open(path, "rb")  # noqa: SIM115 - the caller closes it
    try:
        if fh.read(len(UTF8_BOM)) != UTF8_BOM:
            fh.seek(0)
    except OSError:
        fh.close()
        raise
    return fh


def open_text(
    path: str, encoding: str = "utf-8", errors: str = "replace", newline: str | None = None
) -> TextIO:
    """``path`` opened as text past a UTF-8 byte-order mark (whatever ``encoding`` says:
    an ASCII log re-saved by an editor starts with one too)."""
    return io.TextIOWrapper(open_binary(path), encoding=encoding, errors=errors, newline=newline)


def head_text(head: bytes) -> str | None:
    """The head of a file as text (without a UTF-8 byte-order mark), or None when it is binary."""
    if b"\x00" in head[:4096]:
        return None
    return without_bom(head).decode("utf-8", errors="replace")


def read_text_table(
    path: str,
    *,
    delimiter: str = ",",
    decimal: str = ".",
    header_line: int = 0,
    usecols: list[str] | None = None,
    dtype: dict | None = None,
    progress: Progress | None = None,
    allow_empty: bool = False,
) -> pd.DataFrame:
    """The table of ``path`` whose header is the 0-based line ``header_line``.

    Read in chunks of :data:`CHUNK_ROWS` rows so ``progress`` can follow (and
    cancel). ``allow_empty`` returns a header without rows as an empty table
    (for the caller's own message). Parser errors become a :class:`SchemaError` with file and line.
    """
    import pandas as pd

    size = max(os.path.getsize(path), 1)
    try:
        reader = pd.read_csv(
            path,
            sep=delimiter,
            decimal=decimal,
            skiprows=header_line,
            usecols=usecols,
            dtype=dtype,
            skipinitialspace=True,
            encoding="utf-8",
            encoding_errors="replace",
            chunksize=CHUNK_ROWS,
            skip_blank_lines=True,
            index_col=False,
        )
        chunks = []
        with reader, warnings.catch_warnings():
            # rows longer than the header (trailing delimiters) lose the extra cells
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            for chunk in reader:
                if chunks and progress is not None:
                    # bytes per row of the head: close enough for a bar
                    done = sum(len(c) for c in chunks)
                    progress.update(min(0.95, done * _bytes_per_row(path) / size))
                chunks.append(chunk)
    except pd.errors.EmptyDataError:
        raise SchemaError(f"{path}: no header row and no samples") from None
    except pd.errors.ParserError as exc:
        raise SchemaError(f"{path}: not a readable table ({error_detail(exc)})") from None
    except ValueError as exc:  # usecols naming a column the file lacks, bad dtype
        raise SchemaError(f"{path}: {error_detail(exc)}") from None
    if not chunks or (allow_empty and not any(len(c) for c in chunks)):
        if allow_empty:
            return pd.read_csv(path, sep=delimiter, skiprows=header_line, nrows=0)
        raise SchemaError(f"{path}: no samples (the table has a header but no rows)")
    frame = without_cut_row(_join(chunks), path, delimiter)
    frame.attrs["ends_mid_line"] = ends_mid_line(path)
    return frame


def _join(chunks: list[pd.DataFrame]) -> pd.DataFrame:
    """One table of the chunks, a column at a time.

    Cheaper than ``pd.concat`` and leaves one block per column, which the
    schema check then converts without consolidating the whole table again.
    """
    import numpy as np
    import pandas as pd

    columns = list(chunks[0].columns)
    data = {}
    for k, col in enumerate(columns):
        parts = [c.iloc[:, k].to_numpy() for c in chunks]
        data[str(col).strip()] = parts[0] if len(parts) == 1 else np.concatenate(parts)
    frame = pd.DataFrame(data, copy=False)
    if len(frame.columns) != len(columns):  # two headers the same after trimming
        frame = pd.concat(chunks, ignore_index=True)
        frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def ends_mid_line(path: str) -> bool:
    """True when the file's last byte is not a line end (a truncated file, or a lazy writer)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) not in (b"\n", b"\r")
    except OSError:
        return False


#: bytes of a file's end read to find its last two lines
_TAIL_BYTES = 1 << 16


@dataclass(frozen=True)
class CutLine:
    """A text file's last line when the file stops inside it (no line end after it)."""

    line: int  #: its 1-based line number in the file
    fields: int  #: its fields
    expected: int  #: the fields of the line before it
    text: str  #: the line as read

    @property
    def short(self) -> bool:
        """True when it has fewer fields than the row before it: a row cut mid-way."""
        return self.fields < self.expected

    @property
    def warning(self) -> str:
        shown = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        if self.short:
            return (
                f"the file ends mid-row (a truncated file?): its last line, line {self.line} "
                f"({shown!r}), has {self.fields} of the {self.expected} fields of the rows "
                "before it and was left out; every row before it is read"
            )
        return (
            f"the file ends without a line end (a truncated file?): its last line, line "
            f"{self.line} ({shown!r}), has all {self.expected} fields but its last value may "
            "be cut short; it is kept"
        )


def _fields(line: str, delimiter: str) -> int:
    """The fields of one line of a table split on ``delimiter``, quotes respected (a
    delimiter inside ``"..."`` splits nothing)."""
    return len(next(csv.reader([line], delimiter=delimiter, strict=False), []))


def cut_last_line(path: str, delimiter: str) -> CutLine | None:
    """The last line of the text file ``path`` when the file stops inside it; None when
    the file ends with a line end, is binary or has no line of two or more fields
    before its last to compare with. Its fields and the previous line's are counted
    with the table's ``delimiter`` (the reader's), quoted fields read as one."""
    if not ends_mid_line(path):
        return None
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - _TAIL_BYTES))
            tail = fh.read()
            fh.seek(0)
            newlines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 22), b""))
    except OSError:
        return None
    if b"\x00" in tail:
        return None
    lines = tail.decode("utf-8", errors="replace").split("\n")
    last = lines[-1].rstrip("\r")
    before = [line.rstrip("\r") for line in lines[1 if size > _TAIL_BYTES else 0 : -1]]
    prev = next((line for line in reversed(before) if line.strip()), None)
    if prev is None or not last.strip():
        return None
    expected = _fields(prev, delimiter)
    if expected < 2:
        return None
    return CutLine(newlines + 1, _fields(last, delimiter), expected, last.strip())


def without_cut_row(frame: pd.DataFrame, path: str, delimiter: str) -> pd.DataFrame:
    """``frame`` (the rows of ``path``'s table split on ``delimiter``, in file order, its
    last row the file's last line) without its last row when the file stops mid-row
    (:func:`cut_last_line`): a row cut mid-way has lost fields and may hold a number
    cut short."""
    cut = cut_last_line(path, delimiter)
    if cut is None or not cut.short or len(frame) < 2:
        return frame
    return frame.iloc[:-1]


@lru_cache(maxsize=16)
def _bytes_per_row_cached(path: str, mtime: float) -> float:
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    lines = max(head.count(b"\n"), 1)
    return len(head) / lines


def _bytes_per_row(path: str) -> float:
    return _bytes_per_row_cached(path, os.path.getmtime(path))


def error_detail(exc: Exception) -> str:
    """The last line of a parser's message (pandas and openpyxl put the point there)."""
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


# --- XLSX ----------------------------------------------------------------------


def is_xlsx(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04") and b"xl/" in head


def _open_workbook(path: str):
    """An openpyxl read-only workbook; any failure of the parser is a SchemaError.

    Opened from a file object so a workbook with another extension is read too.
    """
    from openpyxl import load_workbook

    try:
        return load_workbook(open(path, "rb"), read_only=True, data_only=True)  # noqa: SIM115
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on a damaged file
        raise SchemaError(f"{path}: not a readable XLSX workbook ({error_detail(exc)})") from None


@lru_cache(maxsize=16)
def _xlsx_headers_cached(path: str, mtime: float, size: int) -> tuple[tuple[str, tuple], ...]:
    wb = _open_workbook(path)
    try:
        out = []
        for ws in wb.worksheets:
            first = next(ws.iter_rows(max_row=1, values_only=True), ())
            out.append((ws.title, tuple("" if c is None else str(c).strip() for c in first)))
        return tuple(out)
    finally:
        wb.close()


def xlsx_headers(path: str) -> dict[str, tuple[str, ...]]:
    """Sheet name -> its first row, for sniffing; {} when the file is no readable workbook."""
    try:
        st = os.stat(path)
        return dict(_xlsx_headers_cached(path, st.st_mtime, st.st_size))
    except (SchemaError, OSError):
        return {}


def read_xlsx_sheets(
    path: str, sheets: list[str], progress: Progress | None = None
) -> pd.DataFrame:
    """The given sheets (header in the first row) one after another as one table of strings/numbers."""
    import pandas as pd

    from app.hardware.logs.formats import Cancelled

    wb = _open_workbook(path)
    frames = []
    try:
        for k, name in enumerate(sheets):
            rows = wb[name].iter_rows(values_only=True)
            header = next(rows, None)
            if header is None:
                continue
            columns = ["" if c is None else str(c).strip() for c in header]
            data = [r[: len(columns)] for r in rows]
            frames.append(pd.DataFrame.from_records(data, columns=columns))
            if progress is not None:
                progress.update(0.9 * (k + 1) / len(sheets))
    except (SchemaError, Cancelled):
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged sheet: openpyxl raises many types
        raise SchemaError(f"{path}: not a readable XLSX workbook ({error_detail(exc)})") from None
    finally:
        wb.close()
    if not frames or not sum(len(f) for f in frames):
        raise SchemaError(f"{path}: no samples in sheet(s) {', '.join(sheets)}")
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
