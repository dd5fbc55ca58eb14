"""Canonical Parquet: the sample schema as a Parquet file, metadata in its key-value store."""

from __future__ import annotations

from app.core.errors import SchemaError
from app.core.schema import validate_samples
from app.hardware.logs.canonical_csv import LoadedLog

_PREFIX = "batteryos:"


def sniff(path: str, head: bytes) -> float:
    return 1.0 if head.startswith(b"PAR1") else 0.0


def read(path: str, progress=None) -> LoadedLog:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        batches = []
        for k in range(pf.num_row_groups):
            batches.append(pf.read_row_group(k))
            if progress is not None:
                progress.update(0.9 * (k + 1) / max(pf.num_row_groups, 1))
        table = pa.concat_tables(batches) if batches else pf.schema_arrow.empty_table()
    except (OSError, pa.ArrowException) as exc:
        raise SchemaError(f"{path}: not a readable Parquet file ({exc})") from None
    metadata = metadata_of(pf.schema_arrow)
    frame = validate_samples(table.to_pandas(), origin=path, header_lines=0)
    if progress is not None:
        progress.update(1.0)
    return LoadedLog(path=path, frame=frame, metadata=metadata)


def metadata_of(schema) -> dict[str, str]:
    """The Battery OS metadata kept in a Parquet schema's key-value store."""
    raw = schema.metadata or {}
    return {
        k.decode(errors="replace")[len(_PREFIX) :]: v.decode(errors="replace")
        for k, v in raw.items()
        if k.decode(errors="replace").startswith(_PREFIX)
    }


def schema_metadata(table, metadata: dict[str, str] | None) -> dict[bytes, bytes]:
    """``table``'s schema metadata plus the Battery OS ``metadata`` (under a prefix)."""
    extra = {f"{_PREFIX}{k}".encode(): str(v).encode() for k, v in (metadata or {}).items()}
    return {**(table.schema.metadata or {}), **extra}


def write_parquet(
    path: str, frame, metadata: dict[str, str] | None = None, compression: str = "zstd"
) -> None:
    """Write a canonical frame (all its columns) with ``metadata`` to ``path``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(schema_metadata(table, metadata))
    try:
        pq.write_table(table, path, compression=compression, row_group_size=1_000_000)
    except (OSError, pa.ArrowException) as exc:
        raise SchemaError(f"{path}: cannot write ({exc})") from None
