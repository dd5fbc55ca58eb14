"""Write a loaded log as canonical CSV, canonical Parquet or Battery Data Format CSV."""

from __future__ import annotations

from enum import StrEnum

from app.core.errors import SchemaError
from app.hardware.logs.canonical_csv import LoadedLog


class ExportFormat(StrEnum):
    CANONICAL_CSV = "csv"
    PARQUET = "parquet"
    BDF_CSV = "bdf.csv"


def format_for(path: str) -> ExportFormat:
    """The export format named by ``path``'s extension (``.bdf.csv``, ``.parquet``, ``.csv``)."""
    name = path.lower()
    if name.endswith(".bdf.csv"):
        return ExportFormat.BDF_CSV
    if name.endswith(".parquet"):
        return ExportFormat.PARQUET
    if name.endswith(".csv"):
        return ExportFormat.CANONICAL_CSV
    raise SchemaError(f"{path}: write to .csv, .parquet or .bdf.csv")


def write_log(path: str, log: LoadedLog, fmt: ExportFormat | None = None) -> ExportFormat:
    """Write ``log`` to ``path`` in ``fmt`` (default: by extension); returns the format used."""
    fmt = fmt or format_for(path)
    metadata = {k: v for k, v in log.metadata.items() if k != "format"}
    if log.metadata.get("format"):
        metadata["converted_from"] = log.metadata["format"]
    if fmt is ExportFormat.PARQUET:
        from app.hardware.logs.parquet import write_parquet

        write_parquet(path, log.frame, metadata)
    elif fmt is ExportFormat.BDF_CSV:
        from app.hardware.logs.bdf import write_bdf_csv

        write_bdf_csv(path, log.frame, metadata)
    else:
        from app.core.samples import SampleBlock
        from app.hardware.logs.canonical_csv import CanonicalCsvWriter

        # 10 significant digits: a week of 10 Hz samples keeps its 0.1 s
        with CanonicalCsvWriter(path, metadata, float_format="%.10g") as writer:
            writer.append(SampleBlock.from_frame(log.frame))
    return fmt
