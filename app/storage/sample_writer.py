"""Bulk sample writes and reads: the fast path of each backend, never the ORM.

- PostgreSQL: ``COPY samples FROM STDIN (FORMAT BINARY)`` through psycopg 3,
  with the binary rows built by numpy (a structured array per pattern of
  missing values), so no Python code runs per sample.
- SQLite: one ``executemany`` in one transaction, the rows zipped from
  column lists (C loops; SQLite stores NaN as NULL by itself).

A block is stored as one row per sample (see :class:`app.storage.models.Sample`).
Columns outside the canonical schema are not stored.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, select, update

from app.core.errors import StorageError
from app.core.samples import SampleBlock
from app.core.schema import (
    CURRENT,
    CYCLE_INDEX,
    INTEGER_COLUMNS,
    REQUIRED_COLUMNS,
    SOC_REPORTED,
    SOH_REPORTED,
    STEP_INDEX,
    TEMPERATURE,
    TIME,
    VOLTAGE,
    cell_temperature_columns,
    cell_voltage_columns,
)
from app.storage.cells import CELL_DTYPE, cell_columns, cell_matrix, decode_cells, encode_cells
from app.storage.database import Database
from app.storage.models import Recording, Sample

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

#: The scalar canonical columns, in table order.
SCALAR_COLUMNS: tuple[str, ...] = (
    TIME,
    VOLTAGE,
    CURRENT,
    TEMPERATURE,
    CYCLE_INDEX,
    STEP_INDEX,
    SOC_REPORTED,
    SOH_REPORTED,
)
#: All columns of the samples table, in the order the writers send them.
TABLE_COLUMNS: tuple[str, ...] = ("recording_id", "seq", *SCALAR_COLUMNS, "cell_v", "cell_temp_c")

_COPY_SQL = f"COPY samples ({', '.join(TABLE_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_SELECT_SQL = {
    "sqlite": (
        f"SELECT {', '.join(TABLE_COLUMNS[1:])} FROM samples "
        "WHERE recording_id = ? AND seq >= ? AND seq < ? ORDER BY seq"
    ),
    "postgresql": (
        f"SELECT {', '.join(TABLE_COLUMNS[1:])} FROM samples "
        "WHERE recording_id = %s AND seq >= %s AND seq < %s ORDER BY seq"
    ),
}

# PostgreSQL binary COPY framing (https://www.postgresql.org/docs/current/sql-copy.html).
_PG_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_PG_COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
# Rows per chunk handed to psycopg: bounds the memory of one numpy buffer.
_PG_CHUNK_ROWS = 65_536
# Rows fetched at a time by read_samples.
_READ_CHUNK_ROWS = 65_536
_MAX_SEQ = 2**63 - 1
_INT32_MAX = 2**31 - 1


def canonical_columns(names: Iterable[str]) -> list[str]:
    """The canonical sample columns among ``names``, in canonical order
    (scalars in table order, then ``cell_<k>_v``, then ``cell_<k>_temp_c`` by k)."""
    names = list(dict.fromkeys(names))
    return (
        [c for c in SCALAR_COLUMNS if c in names]
        + cell_voltage_columns(names)
        + cell_temperature_columns(names)
    )


class _Prepared:
    """A block turned into table columns (float64 scalars, float32 cell matrices)."""

    __slots__ = ("n", "scalars", "cells", "present")

    def __init__(self, block: SampleBlock):
        self.n = len(block)
        nan = None
        self.scalars: dict[str, np.ndarray] = {}
        for name in SCALAR_COLUMNS:
            values = block.get(name)
            if values is None:
                if nan is None:
                    nan = np.full(self.n, np.nan)
                values = nan
            elif name in INTEGER_COLUMNS:
                # The nearest integer: SQLite would keep 2.5 as REAL, PostgreSQL round it.
                values = np.rint(values)
                too_big = np.abs(values) > _INT32_MAX
                if too_big.any():
                    # Not storable as INTEGER; refusing the block would stall a
                    # recorder on it forever, so the absurd value becomes NULL.
                    log.warning("%s: %d values beyond 32 bits stored as NULL", name, too_big.sum())
                    values = np.where(too_big, np.nan, values)
            self.scalars[name] = values
        self.cells = {
            "cell_v": cell_matrix(block, "v"),
            "cell_temp_c": cell_matrix(block, "temp_c"),
        }
        self.present = canonical_columns(block.columns)


def write_samples(
    db: Database,
    recording_id: int,
    block: SampleBlock,
    start_seq: int,
    *,
    update_recording: bool = True,
) -> int:
    """Store ``block`` as samples ``start_seq, start_seq + 1, …`` of a recording.

    One transaction. With ``update_recording`` (the default) the recording's
    ``sample_count`` (one past the highest sample number) and ``columns``
    (the canonical columns seen) are updated in the same transaction, so they
    always agree with the stored samples. Returns the number of rows written.

    Raises :class:`StorageError` when the recording does not exist, a sample
    number is already stored, or the database fails; nothing is written then.
    """
    n = len(block)
    if n == 0:
        return 0
    if start_seq < 0 or start_seq + n > _MAX_SEQ:
        raise ValueError(f"start_seq out of range: {start_seq}")
    prepared = _Prepared(block)
    with db.connect(write=True) as conn:
        # FOR UPDATE (PostgreSQL; SQLite already holds the write lock): a
        # concurrent delete_recording() waits for us or we see the row gone,
        # so no samples are left without their recording.
        recording = conn.execute(
            select(Recording.columns, Recording.sample_count)
            .where(Recording.id == recording_id)
            .with_for_update()
        ).first()
        if recording is None:
            raise StorageError(f"no recording with id {recording_id} in {db.display_url}")
        raw = conn.connection.dbapi_connection
        try:
            if db.is_postgresql:
                _copy_postgresql(raw, recording_id, start_seq, prepared)
            else:
                _insert_sqlite(raw, recording_id, start_seq, prepared)
        except _unique_violations() as exc:
            raise StorageError(
                f"samples {start_seq}..{start_seq + n - 1} of recording {recording_id} "
                f"overlap samples already stored in {db.display_url}"
            ) from exc
        if update_recording:
            columns = canonical_columns([*(recording.columns or []), *prepared.present])
            conn.execute(
                update(Recording)
                .where(Recording.id == recording_id)
                .values(
                    sample_count=max(int(recording.sample_count or 0), start_seq + n),
                    columns=columns,
                )
            )
    return n


def _insert_sqlite(raw: Any, recording_id: int, start_seq: int, p: _Prepared) -> None:
    n = p.n
    # Only the columns this block has values in: fewer parameters to bind per
    # row (the others default to NULL, which is what NaN would become anyway).
    names = ["recording_id", "seq"]
    columns: list[Iterable[Any]] = [
        itertools.repeat(recording_id, n),
        range(start_seq, start_seq + n),
    ]
    for name in SCALAR_COLUMNS:
        values = p.scalars[name]
        if not np.isnan(values).all():
            names.append(name)
            # tolist() gives Python floats in one C loop; SQLite stores NaN as
            # NULL, and 3.0 as 3 in INTEGER columns.
            columns.append(values.tolist())
    for key in ("cell_v", "cell_temp_c"):
        if p.cells[key] is not None:
            names.append(key)
            columns.append(encode_cells(p.cells[key]))
    sql = f"INSERT INTO samples ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    cursor = raw.cursor()
    try:
        cursor.executemany(sql, zip(*columns, strict=False))
    finally:
        cursor.close()


def _unique_violations() -> tuple[type[BaseException], ...]:
    """Duplicate-key errors of the drivers in use (psycopg is imported only for PostgreSQL)."""
    psycopg = sys.modules.get("psycopg")
    if psycopg is None:
        return (sqlite3.IntegrityError,)
    return (psycopg.errors.UniqueViolation, sqlite3.IntegrityError)


def _copy_postgresql(
    raw: psycopg.Connection, recording_id: int, start_seq: int, p: _Prepared
) -> None:
    seqs = np.arange(start_seq, start_seq + p.n, dtype=np.int64)
    # Rows differ in layout only by which scalars are NULL (a NULL field has
    # length -1 and no data). Group the rows by that pattern; each group is
    # one fixed-layout numpy structured array. Almost always there is one group.
    codes = np.zeros(p.n, dtype=np.int64)
    for bit, name in enumerate(SCALAR_COLUMNS):
        codes |= np.isnan(p.scalars[name]).astype(np.int64) << bit
    if np.all(codes == codes[0]):
        groups = [(int(codes[0]), None)]
    else:
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        groups = [(int(codes[idx[0]]), idx) for idx in np.split(order, bounds)]
    cursor = raw.cursor()
    try:
        with cursor.copy(_COPY_SQL) as copy:
            copy.write(_PG_COPY_HEADER)
            for code, idx in groups:
                total = p.n if idx is None else len(idx)
                for start in range(0, total, _PG_CHUNK_ROWS):
                    rows = slice(start, min(total, start + _PG_CHUNK_ROWS))
                    sel = rows if idx is None else idx[rows]
                    copy.write(_pg_binary_rows(recording_id, seqs[sel], p, sel, code))
            copy.write(_PG_COPY_TRAILER)
    finally:
        cursor.close()


def _pg_binary_rows(
    recording_id: int, seqs: np.ndarray, p: _Prepared, sel: slice | np.ndarray, null_code: int
) -> memoryview:
    """Binary COPY tuples for rows ``sel`` whose NULL scalars are the bits of ``null_code``."""
    fields: list[tuple[Any, ...]] = [("nfields", ">i2"), ("l_rid", ">i4"), ("rid", ">i4")]
    fields += [("l_seq", ">i4"), ("seq", ">i8")]
    for bit, name in enumerate(SCALAR_COLUMNS):
        fields.append((f"l_{name}", ">i4"))
        if not null_code >> bit & 1:
            fields.append((name, ">i4" if name in INTEGER_COLUMNS else ">f8"))
    cells = {}
    for key in ("cell_v", "cell_temp_c"):
        fields.append((f"l_{key}", ">i4"))
        m = p.cells[key]
        if m is not None and m.shape[1]:
            cells[key] = np.ascontiguousarray(m[sel], dtype=CELL_DTYPE)
            fields.append((key, np.uint8, (m.shape[1] * CELL_DTYPE.itemsize,)))
    out = np.empty(len(seqs), dtype=np.dtype(fields))
    out["nfields"] = len(TABLE_COLUMNS)
    out["l_rid"] = 4
    out["rid"] = recording_id
    out["l_seq"] = 8
    out["seq"] = seqs
    for bit, name in enumerate(SCALAR_COLUMNS):
        if null_code >> bit & 1:
            out[f"l_{name}"] = -1
        else:
            is_int = name in INTEGER_COLUMNS
            out[f"l_{name}"] = 4 if is_int else 8
            values = p.scalars[name][sel]
            out[name] = values.astype(np.int32) if is_int else values
    for key in ("cell_v", "cell_temp_c"):
        if key in cells:
            matrix = cells[key]
            out[f"l_{key}"] = matrix.shape[1] * CELL_DTYPE.itemsize
            out[key] = matrix.view(np.uint8).reshape(len(seqs), -1)
        else:
            out[f"l_{key}"] = -1
    return memoryview(out).cast("B")


def next_seq(db: Database, recording_id: int) -> int:
    """One past the highest sample number stored for the recording (0 if none)."""
    with db.connect() as conn:
        value = conn.execute(
            select(func.max(Sample.seq)).where(Sample.recording_id == recording_id)
        ).scalar()
    return 0 if value is None else int(value) + 1


def read_samples(
    db: Database, recording_id: int, *, start_seq: int = 0, stop_seq: int | None = None
) -> SampleBlock:
    """The samples ``start_seq <= seq < stop_seq`` of a recording, in order, as a block.

    NULL reads back as NaN. Columns are those listed in the recording's
    ``columns`` (plus the required ``time_s``, ``voltage_v``, ``current_a``);
    cell blobs become ``cell_<k>_v`` / ``cell_<k>_temp_c`` columns.
    Raises :class:`StorageError` if there is no such recording.
    """
    stop = _MAX_SEQ if stop_seq is None else stop_seq
    chunks: list[_Chunk] = []
    with db.connect() as conn:
        listed = conn.execute(select(Recording.columns).where(Recording.id == recording_id)).first()
        if listed is None:
            raise StorageError(f"no recording with id {recording_id} in {db.display_url}")
        raw = conn.connection.dbapi_connection
        # Rows arrive in chunks that become numpy arrays at once: as Python
        # tuples a million samples would take ~0.5 GB. On PostgreSQL a named
        # (server-side) cursor streams them instead of buffering the result.
        cursor = raw.cursor(name="batteryos_read_samples") if db.is_postgresql else raw.cursor()
        try:
            cursor.execute(_SELECT_SQL[db.backend], (recording_id, start_seq, stop))
            while rows := cursor.fetchmany(_READ_CHUNK_ROWS):
                chunks.append(_Chunk(rows))
        finally:
            cursor.close()
    return _assemble(chunks, listed.columns or [])


class _Chunk:
    """Rows of the samples table as numpy columns (NULL as NaN)."""

    __slots__ = ("n", "scalars", "cells")

    def __init__(self, rows: Sequence[Sequence[Any]]):
        self.n = len(rows)
        # Transpose in C; None becomes NaN in the float conversion.
        by_name = dict(zip(TABLE_COLUMNS[1:], zip(*rows, strict=True), strict=True))
        self.scalars = {name: np.array(by_name[name], dtype=np.float64) for name in SCALAR_COLUMNS}
        self.cells: dict[str, np.ndarray | None] = {}
        for key in ("cell_v", "cell_temp_c"):
            blobs = by_name[key]
            has_any = any(b is not None for b in blobs)
            self.cells[key] = decode_cells(blobs) if has_any else None


def _assemble(chunks: list[_Chunk], listed: list[str]) -> SampleBlock:
    n = sum(c.n for c in chunks)

    def scalar(name: str) -> np.ndarray:
        return np.concatenate([c.scalars[name] for c in chunks]) if chunks else np.empty(0)

    out: dict[str, np.ndarray] = {}
    for name in SCALAR_COLUMNS:
        if name in REQUIRED_COLUMNS or name in listed:
            out[name] = scalar(name)
        elif not listed:
            # A recording written without columns bookkeeping: keep what has values.
            values = scalar(name)
            if not np.all(np.isnan(values)):
                out[name] = values
    for key, kind in (("cell_v", "v"), ("cell_temp_c", "temp_c")):
        parts = [(c.n, c.cells[key]) for c in chunks]
        width = max((m.shape[1] for _, m in parts if m is not None), default=0)
        if not width:
            continue
        matrix = np.full((n, width), np.nan)
        row = 0
        for rows, m in parts:
            if m is not None:
                matrix[row : row + rows, : m.shape[1]] = m
            row += rows
        decoded = cell_columns(matrix, kind)
        wanted = [c for c in decoded if c in listed] if listed else list(decoded)
        out.update({c: decoded[c] for c in wanted})
    # Listed cells that no stored sample has a value for.
    for name in cell_voltage_columns(listed) + cell_temperature_columns(listed):
        out.setdefault(name, np.full(n, np.nan))
    return SampleBlock(out)
