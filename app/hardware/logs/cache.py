"""A cache of opened log files as uncompressed Arrow IPC (Feather) files, so a second open is fast.

Uncompressed Arrow IPC is memory-mapped and its columns become the frame's
without a copy: a second open of a 1e6-row log costs tens of milliseconds
(compressed Parquet, ten times more).

Keyed by the file's absolute path, size and modification time, and the column
mapping remembered for its name: an edited file, or one whose mapping changed,
is read afresh. It lives in ``BATTERYOS_CACHE_DIR``, else ``cache`` under
``BATTERYOS_DATA_DIR`` when that is set (tests, portable use), else the user
cache directory; it is trimmed to :data:`MAX_BYTES`, oldest first. A cache that
cannot be written or read is skipped, never an error: the file itself decides.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.hardware.logs.canonical_csv import LoadedLog

#: Smaller files open faster than a cache lookup is worth.
MIN_BYTES = 1 << 20
#: The cache is trimmed to this size.
MAX_BYTES = 2 << 30
#: Raised when the readers or the sample checks change what a file gives (2: time spans
#: over 100 years refused, byte-order marks read; 3: a row cut mid-way left out, with a
#: warning; 4: the generic reader reads ``cell_<k>_temp_c`` and ``soh_reported_pct``), so no
#: entry bypasses them.
_VERSION = "4"


def cache_dir() -> Path:
    env = os.environ.get("BATTERYOS_CACHE_DIR")
    if env:
        return Path(env)
    data = os.environ.get("BATTERYOS_DATA_DIR")
    if data:
        return Path(data) / "cache"
    import platformdirs

    from app.core.settings import APP_NAME

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def _entry(path: str) -> Path | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    from app.hardware.logs.column_mapping import remembered_for

    found = remembered_for(path)
    mapping = json.dumps(found[1].to_dict(), sort_keys=True) if found else ""
    key = f"{_VERSION}|{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}|{mapping}"
    return cache_dir() / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".arrow")


def wanted(path: str) -> bool:
    """Worth caching: big enough, and not itself a Parquet file or inside the cache."""
    try:
        if os.path.getsize(path) < MIN_BYTES:
            return False
        with open(path, "rb") as fh:
            if fh.read(4) == b"PAR1":
                return False
    except OSError:
        return False
    return not os.path.abspath(path).startswith(os.path.abspath(cache_dir()))


def load(path: str) -> LoadedLog | None:
    """The cached log of ``path`` (unchanged since cached), or None."""
    entry = _entry(path)
    if entry is None or not entry.is_file():
        return None
    try:
        import pyarrow.feather as feather

        from app.hardware.logs.canonical_csv import LoadedLog
        from app.hardware.logs.parquet import metadata_of

        table = feather.read_table(str(entry), memory_map=True)
        # one block a column, backed by the mapped file without a copy (read-only, as
        # pandas' copy-on-write makes every column anyway); pages load as they are used
        frame = table.to_pandas(split_blocks=True)
        log = LoadedLog(path=path, frame=frame, metadata=metadata_of(table.schema))
        os.utime(entry)  # recently used: trimmed last
        return log
    except Exception:  # noqa: BLE001 - a broken cache entry is a miss, the file decides
        entry.unlink(missing_ok=True)
        return None


def forget(path: str) -> None:
    """Drop the cached log of ``path`` (it is to be read afresh, e.g. with a new column mapping)."""
    entry = _entry(path)
    if entry is not None:
        entry.unlink(missing_ok=True)


def store(path: str, log: LoadedLog) -> None:
    """Cache ``log`` as the content of ``path``; failures are ignored (see the module)."""
    entry = _entry(path)
    if entry is None:
        return
    import pyarrow as pa
    import pyarrow.feather as feather

    from app.hardware.logs.parquet import schema_metadata

    tmp = entry.with_suffix(".tmp")
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(log.frame, preserve_index=False)
        table = table.replace_schema_metadata(schema_metadata(table, log.metadata))
        feather.write_feather(table, str(tmp), compression="uncompressed")
        os.replace(tmp, entry)
        trim()
    except Exception:  # noqa: BLE001 - a cache is an optimisation; the read already succeeded
        tmp.unlink(missing_ok=True)


def trim(max_bytes: int = MAX_BYTES) -> None:
    """Remove the least recently used entries until the cache holds at most ``max_bytes``."""
    try:
        entries = sorted(cache_dir().glob("*.arrow"), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in entries)
        for p in entries:
            if total <= max_bytes:
                break
            total -= p.stat().st_size
            p.unlink(missing_ok=True)
    except OSError:
        return
