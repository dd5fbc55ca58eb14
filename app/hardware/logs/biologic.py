"""BioLogic EC-Lab files: binary ``.mpr`` and its text export ``.mpt``.

``.mpr`` ("BIO-LOGIC MODULAR FILE") is a 52-byte file header followed by
modules, each ``MODULE`` + a header (short name, long name, length, version,
date) + ``length`` bytes. Two header layouts exist: the older one (EC-Lab
before 11.50) has ``length, version, date`` after the names; the newer one has
``0xFFFFFFFF, length, version, unknown, date``. Of the modules we read:

- ``VMP data``: a point count (u32), a column count (u8), the column IDs (u8 in
  the oldest files, u16 since), a fixed-size reserved area, then one packed
  record per point whose layout the column IDs determine (:data:`MPR_COLUMNS`).
  The flag IDs share one leading byte. The start of the records is found from
  the end of the module: ``length - points * record size``.
- ``VMP LOG``: holds the acquisition start as an OLE date (days since
  1899-12-30) near the date in its header.

``.mpt`` is tab-separated text: ``EC-Lab ASCII FILE``, ``Nb header lines : N``,
free header lines (``Acquisition started on : MM/DD/YYYY HH:MM:SS``), the
column names as header line N, then one line per point; EC-Lab writes the
decimal separator of the PC's locale (a comma in much of Europe) and the
Windows code page (``°C`` as byte 0xB0).

Canonical mapping: ``time/s`` → ``time_s``; ``Ewe/V`` (else ``<Ewe>/V``,
``Ecell/V``) → ``voltage_v``; ``I/mA`` (else ``<I>/mA``, ``control/mA``) in A
→ ``current_a``, or, when the file has no current column (a GCPL file often
stores only ``control/V/mA``), the charge increments ``dQ/mA.h`` over the time
step, and a record of rest only (``mode`` 3 throughout, e.g. an OCV step) has
zero current; ``cycle number`` (else ``half cycle`` // 2) → ``cycle_index``, kept as
EC-Lab numbers it (from 0); ``Ns`` → ``step_index``; ``Temperature/°C`` →
``temperature_c``. BioLogic current is positive for charge (oxidation of the
working electrode), as ours.

The instrument's own charge and energy counts become the cycler counters
``charge_capacity_ah`` / ``discharge_capacity_ah`` / ``charge_energy_wh`` /
``discharge_energy_wh`` (mAh in A h, so the per-cycle table and the SOH take them
over the integral of the current: see :mod:`app.diagnostics.cycler_counters`),
from the first of: ``Q charge/mA.h`` and ``Q discharge/mA.h`` (an export's
processed columns: each direction's charge, counting up from zero in each half
cycle); ``Q charge/discharge/mA.h`` (the charge of the half cycle, negative on
discharge: its positive part is the charge counter, its negative part the
discharge one); the running net charge ``(Q-Qo)/mA.h`` (else ``(Q-Qo)/C``), its
increments summed by sign from the first point. Energies: ``Energy charge/W.h``
and ``Energy discharge/W.h`` as they are. (``dQ/mA.h`` alone is not taken: a
file without a current column has its current from it, the same figure, and
EC-Lab writes it beside ``(Q-Qo)``.) EC-Lab stores the PC's local time: ``start_utc``
is that wall-clock time, the zone is not in the file (``start_time_zone``
says so).
"""

from __future__ import annotations

import os
import re
import struct
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.core.errors import SchemaError, shown
from app.hardware.logs import tables

if TYPE_CHECKING:
    import pandas as pd

    from app.hardware.logs.canonical_csv import LoadedLog
    from app.hardware.logs.formats import Progress

MPR_MAGIC = b"BIO-LOGIC MODULAR FILE\x1a"
MPR_HEADER_BYTES = 52
MPT_MAGIC = b"EC-Lab ASCII FILE"
LOCAL_TIME_NOTE = "EC-Lab PC local time (zone not recorded in the file)"

#: Column IDs whose values are bits of one shared leading byte of each record.
MPR_FLAG_IDS = frozenset({1, 2, 3, 21, 31, 65})

#: ``mode`` (low two bits of the flag byte): 1 constant current, 2 constant voltage, 3 rest.
MODE_REST = 3

#: Column ID → (EC-Lab column name, little-endian numpy dtype).
MPR_COLUMNS: dict[int, tuple[str, str]] = {
    4: ("time/s", "<f8"),
    5: ("control/V/mA", "<f4"),
    6: ("Ewe/V", "<f4"),
    7: ("dQ/mA.h", "<f8"),
    8: ("I/mA", "<f4"),
    9: ("Ece/V", "<f4"),
    11: ("<I>/mA", "<f8"),
    13: ("(Q-Qo)/mA.h", "<f8"),
    16: ("Analog IN 1/V", "<f4"),
    19: ("control/V", "<f4"),
    20: ("control/mA", "<f4"),
    23: ("dQ/mA.h", "<f8"),
    24: ("cycle number", "<f8"),
    26: ("Rapp/Ohm", "<f4"),
    32: ("freq/Hz", "<f4"),
    33: ("|Ewe|/V", "<f4"),
    34: ("|I|/A", "<f4"),
    35: ("Phase(Z)/deg", "<f4"),
    36: ("|Z|/Ohm", "<f4"),
    37: ("Re(Z)/Ohm", "<f4"),
    38: ("-Im(Z)/Ohm", "<f4"),
    39: ("I Range", "<u2"),
    69: ("R/Ohm", "<f4"),
    70: ("P/W", "<f4"),
    74: ("Energy/W.h", "<f8"),
    76: ("<I>/mA", "<f4"),
    77: ("<Ewe>/V", "<f4"),
    123: ("Energy charge/W.h", "<f8"),
    124: ("Energy discharge/W.h", "<f8"),
    125: ("Capacitance charge/µF", "<f8"),
    126: ("Capacitance discharge/µF", "<f8"),
    131: ("Ns", "<u2"),
    169: ("Cs/µF", "<f4"),
    172: ("Cp/µF", "<f4"),
    174: ("<Ewe>/V", "<f4"),
    178: ("(Q-Qo)/C", "<f4"),
    179: ("dQ/C", "<f4"),
    211: ("Q charge/discharge/mA.h", "<f8"),
    212: ("half cycle", "<u4"),
    213: ("z cycle", "<u4"),
    434: ("(Q-Qo)/C", "<f4"),
    435: ("dQ/C", "<f4"),
    438: ("step time/s", "<f8"),
    462: ("Temperature/°C", "<f4"),
    467: ("Q charge/discharge/mA.h", "<f8"),
    468: ("half cycle", "<u4"),
    469: ("z cycle", "<u4"),
}

_VOLTAGE_NAMES = ("Ewe/V", "<Ewe>/V", "Ecell/V")
_CURRENT_MA_NAMES = ("I/mA", "<I>/mA", "control/mA")
_OLE_EPOCH = datetime(1899, 12, 30)
#: Points decoded between two progress updates.
_CHUNK = 100_000


# --------------------------------------------------------------------- shared


def to_canonical(columns: dict[str, np.ndarray], path: str, header_lines: int = 1) -> pd.DataFrame:
    """Map EC-Lab columns (name → values) to the canonical sample schema and validate it."""
    import pandas as pd

    from app.core.schema import validate_samples

    def first(names):
        return next((columns[n] for n in names if n in columns), None)

    time = columns.get("time/s")
    voltage = first(_VOLTAGE_NAMES)
    if time is None or voltage is None:
        missing = "time/s" if time is None else "Ewe/V (or Ecell/V)"
        raise SchemaError(f"{path}: no {missing} column (found: {', '.join(columns) or 'none'})")
    time = np.asarray(time, dtype=float)
    current_ma = first(_CURRENT_MA_NAMES)
    if current_ma is None and "dQ/mA.h" in columns:
        current_ma = _current_from_charge(time, np.asarray(columns["dQ/mA.h"], dtype=float))
    if (
        current_ma is None
        and "mode" in columns
        and np.all(np.asarray(columns["mode"]) == MODE_REST)
    ):
        current_ma = np.zeros(len(time))  # an OCV / rest record: no current flows
    if current_ma is None:
        raise SchemaError(
            f"{path}: no current column (I/mA, <I>/mA, control/mA or dQ/mA.h; "
            f"found: {', '.join(columns)})"
        )
    frame = {
        "time_s": time,
        "voltage_v": np.asarray(voltage, dtype=float),
        "current_a": np.asarray(current_ma, dtype=float) / 1000.0,
    }
    if "Temperature/°C" in columns:
        frame["temperature_c"] = np.asarray(columns["Temperature/°C"], dtype=float)
    if "cycle number" in columns:
        frame["cycle_index"] = np.asarray(columns["cycle number"], dtype=float)
    elif "half cycle" in columns:
        frame["cycle_index"] = np.asarray(columns["half cycle"], dtype=float) // 2
    if "Ns" in columns:
        frame["step_index"] = np.asarray(columns["Ns"], dtype=float)
    frame.update(_counters(columns))
    return validate_samples(pd.DataFrame(frame), origin=path, header_lines=header_lines)


#: the running net charge, and its scale to mAh (a coulomb is 1/3.6 mAh)
_NET_CHARGE = (("(Q-Qo)/mA.h", 1.0), ("(Q-Qo)/C", 1 / 3.6))


def _counters(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The instrument's charge and energy counts as the cycler counters (Ah, Wh; see
    the module docstring), those the file has."""

    def values(name: str) -> np.ndarray:
        return np.asarray(columns[name], dtype=float)

    out: dict[str, np.ndarray] = {}
    if "Q charge/mA.h" in columns and "Q discharge/mA.h" in columns:
        charge, discharge = values("Q charge/mA.h"), values("Q discharge/mA.h")
    elif "Q charge/discharge/mA.h" in columns:
        q = values("Q charge/discharge/mA.h")
        charge, discharge = np.clip(q, 0, None), np.clip(-q, 0, None)  # (NaN stays NaN)
    else:
        net = next(((values(n), k) for n, k in _NET_CHARGE if n in columns), None)
        if net is None:
            charge = discharge = None
        else:
            # a running total: each step from the last reading there was, so a
            # missing reading loses nothing of the charge across it
            read = np.isfinite(net[0])
            last = np.maximum.accumulate(np.where(read, np.arange(len(read)), 0))
            held = net[0][last]
            dq = np.diff(held, prepend=held[:1]) * net[1]
            dq = np.where(np.isfinite(dq), dq, 0.0)
            gap = np.where(np.isfinite(net[0]), 0.0, np.nan)  # no count where none was read
            charge = np.cumsum(np.clip(dq, 0, None)) + gap
            discharge = np.cumsum(np.clip(-dq, 0, None)) + gap
    if charge is not None:
        out["charge_capacity_ah"] = np.abs(charge) / 1000.0
        out["discharge_capacity_ah"] = np.abs(discharge) / 1000.0
    if "Energy charge/W.h" in columns and "Energy discharge/W.h" in columns:
        out["charge_energy_wh"] = np.abs(values("Energy charge/W.h"))
        out["discharge_energy_wh"] = np.abs(values("Energy discharge/W.h"))
    return out


def _current_from_charge(time: np.ndarray, dq_mah: np.ndarray) -> np.ndarray:
    """Mean current (mA) over each step from the charge passed since the previous point."""
    current = np.zeros(len(time))
    if len(time) > 1:
        dt = np.diff(time)
        with np.errstate(divide="ignore", invalid="ignore"):
            current[1:] = np.where(dt > 0, dq_mah[1:] * 3600.0 / dt, 0.0)
        current[0] = current[1]
    return current


def _start_metadata(start: datetime | None) -> dict[str, str]:
    if start is None:
        return {}
    return {"start_utc": start.isoformat(), "start_time_zone": LOCAL_TIME_NOTE}


# ------------------------------------------------------------------------ mpr


def sniff_mpr(path: str, head: bytes) -> float:
    """Confidence that ``head`` starts an EC-Lab ``.mpr`` file."""
    return 1.0 if head.startswith(MPR_MAGIC) else 0.0


def read_mpr(path: str, progress: Progress | None = None) -> LoadedLog:
    """Read an EC-Lab ``.mpr`` file into the canonical schema."""
    from app.hardware.logs.canonical_csv import LoadedLog

    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not raw.startswith(MPR_MAGIC):
        raise SchemaError(f"{path}: not an EC-Lab .mpr file (no BIO-LOGIC MODULAR FILE header)")
    modules = _mpr_modules(raw, path)
    data = next((m for m in modules if m["name"] == "VMP data"), None)
    if data is None:
        raise SchemaError(f"{path}: EC-Lab .mpr without a data module (an empty experiment?)")
    columns = _mpr_data_columns(data["body"], path, progress)
    frame = to_canonical(columns, path)
    metadata = {"source": Path(os.path.abspath(path)).as_uri()}
    log = next((m for m in modules if m["name"] == "VMP LOG"), None)
    if log is not None:
        metadata.update(_start_metadata(_ole_start(log["body"], data["date"])))
    if progress is not None:
        progress.update(1.0)
    return LoadedLog(path=path, frame=frame, metadata=metadata)


def _mpr_modules(raw: bytes, path: str) -> list[dict]:
    """The modules of an ``.mpr`` file: name, header date, body bytes."""
    modules = []
    pos = MPR_HEADER_BYTES
    while pos < len(raw):
        if raw[pos : pos + 6] != b"MODULE":
            raise SchemaError(f"{path}: corrupt .mpr (no module at byte {pos})")
        head = raw[pos + 6 : pos + 6 + 59]
        if len(head) < 51:
            raise SchemaError(f"{path}: truncated .mpr (module header at byte {pos})")
        name = head[:10].rstrip(b" \x00").decode("latin-1")
        (marker,) = struct.unpack_from("<I", head, 35)
        if marker == 0xFFFFFFFF:  # EC-Lab 11.50 and later
            if len(head) < 59:
                raise SchemaError(f"{path}: truncated .mpr (module header at byte {pos})")
            (length,) = struct.unpack_from("<I", head, 39)
            date, body_at = head[51:59], pos + 6 + 59
        else:
            length = marker
            date, body_at = head[43:51], pos + 6 + 51
        body = raw[body_at : body_at + length]
        if len(body) < length:
            raise SchemaError(
                f"{path}: truncated .mpr (module {name!r} needs {length} bytes, {len(body)} left)"
            )
        modules.append({"name": name, "date": _module_date(date), "body": body})
        pos = body_at + length
    return modules


def _module_date(raw: bytes) -> datetime | None:
    try:
        return datetime.strptime(raw.decode("ascii"), "%m/%d/%y")
    except (UnicodeDecodeError, ValueError):
        return None


def _mpr_layouts(body: bytes):
    """Candidate (column IDs, first record byte) readings of a data module, most likely first."""
    if len(body) < 6:
        return
    (points,) = struct.unpack_from("<I", body, 0)
    count = body[4]
    # u16 IDs after a pad byte (EC-Lab 11.50+), u16 IDs (v2/v3), u8 IDs (oldest files)
    for at, fmt in ((6, "H"), (5, "H"), (5, "B")):
        size = struct.calcsize(fmt) * count
        if at + size > len(body):
            continue
        ids = struct.unpack_from(f"<{count}{fmt}", body, at)
        yield points, ids, at + size


def _record_dtype(ids) -> np.dtype | None:
    fields, flags = [], False
    for cid in ids:
        if cid in MPR_FLAG_IDS:
            if not flags:
                fields.append(("flags", "u1"))
                flags = True
            continue
        if cid not in MPR_COLUMNS:
            return None
        fields.append((f"c{cid}_{len(fields)}", MPR_COLUMNS[cid][1]))
    return np.dtype(fields)


def _mpr_data_columns(body: bytes, path: str, progress: Progress | None) -> dict[str, np.ndarray]:
    """Decode the records of the data module into EC-Lab column name → values."""
    unknown: list[int] = []
    for points, ids, ids_end in _mpr_layouts(body):
        dtype = _record_dtype(ids)
        if dtype is None:
            unknown = unknown or [c for c in ids if c not in MPR_COLUMNS and c not in MPR_FLAG_IDS]
            continue
        start = len(body) - points * dtype.itemsize
        if points == 0 or dtype.itemsize == 0 or start < ids_end:
            continue
        return _decode_records(body, start, points, dtype, ids, progress)
    if unknown:
        raise SchemaError(
            f"{path}: EC-Lab column ID {unknown[0]} is not known to Battery OS "
            f"(its size in each record is unknown, so the data cannot be read)"
        )
    raise SchemaError(f"{path}: corrupt .mpr data module (its size does not match its columns)")


def _decode_records(body, start, points, dtype, ids, progress) -> dict[str, np.ndarray]:
    parts: list[np.ndarray] = []
    for first in range(0, points, _CHUNK):
        n = min(_CHUNK, points - first)
        parts.append(
            np.frombuffer(body, dtype=dtype, count=n, offset=start + first * dtype.itemsize)
        )
        if progress is not None:
            progress.update(0.95 * (first + n) / points)
    records = np.concatenate(parts) if len(parts) > 1 else parts[0]
    columns: dict[str, np.ndarray] = {}
    if 1 in ids:
        columns["mode"] = records["flags"] & 0x03
    names = [n for n in dtype.names if n != "flags"]
    for field, cid in zip(names, [c for c in ids if c not in MPR_FLAG_IDS], strict=True):
        columns.setdefault(MPR_COLUMNS[cid][0], records[field])
    return columns


def _ole_start(body: bytes, near: datetime | None) -> datetime | None:
    """The acquisition start: the first OLE date in the log module within a day of ``near``."""
    if near is None or len(body) < 8:
        return None
    lo = (near - _OLE_EPOCH).days - 1.0
    hi = lo + 3.0
    for shift in range(8):  # OLE dates sit at no fixed alignment
        chunk = body[shift:]
        values = np.frombuffer(chunk[: len(chunk) - len(chunk) % 8], dtype="<f8")
        with np.errstate(invalid="ignore"):
            hits = np.flatnonzero((values > lo) & (values < hi))
        if hits.size:
            return _OLE_EPOCH + timedelta(days=float(values[hits[0]]))
    return None


# ------------------------------------------------------------------------ mpt

_NB_HEADER_RE = re.compile(r"Nb header lines\s*:\s*(\d+)")
_START_RE = re.compile(r"Acquisition started on\s*:\s*(.+)")
_START_FORMATS = (
    "%m/%d/%Y %H:%M:%S.%f",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S.%f",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
)


def sniff_mpt(path: str, head: bytes) -> float:
    """Confidence that ``head`` starts an EC-Lab ``.mpt`` text export."""
    if not head.startswith(MPT_MAGIC):
        return 0.0
    return 1.0 if _NB_HEADER_RE.search(head[:200].decode("latin-1")) else 0.6


def read_mpt(path: str, progress: Progress | None = None) -> LoadedLog:
    """Read an EC-Lab ``.mpt`` text export into the canonical schema."""
    from app.hardware.logs.canonical_csv import LoadedLog

    size = max(os.path.getsize(path), 1)
    try:
        fh = tables.open_binary(path)
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with fh:
        header = _mpt_header(fh, path)
        names = header[-1].rstrip("\r\n").rstrip("\t").split("\t")
        names = [n.strip() for n in names]
        rows = _mpt_rows(fh, path, len(header), len(names), size, progress)
    columns = {name: rows[:, k] for k, name in enumerate(names) if name not in {"", None}}
    frame = to_canonical(columns, path, header_lines=len(header))
    metadata = {"source": Path(os.path.abspath(path)).as_uri()}
    metadata.update(_start_metadata(_mpt_start(header)))
    if len(header) > 3 and header[3].strip():
        metadata["technique"] = header[3].strip()
    if progress is not None:
        progress.update(1.0)
    return LoadedLog(path=path, frame=frame, metadata=metadata)


def _mpt_header(fh, path: str) -> list[str]:
    first = fh.readline().decode("latin-1")
    if not first.startswith(MPT_MAGIC.decode()):
        raise SchemaError(f"{path}: not an EC-Lab ASCII file")
    second = fh.readline().decode("latin-1")
    match = _NB_HEADER_RE.search(second)
    if not match:
        raise SchemaError(f"{path}: line 2: no 'Nb header lines : N'")
    count = int(match.group(1))
    if count < 3:
        raise SchemaError(f"{path}: line 2: {count} header lines is too few")
    lines = [first, second]
    for number in range(3, count + 1):
        line = fh.readline()
        if not line:
            raise SchemaError(f"{path}: ends at line {number - 1}, inside its {count} header lines")
        lines.append(line.decode("latin-1"))
    return lines


def _mpt_rows(fh, path, header_count, width, size, progress) -> np.ndarray:
    blocks: list[np.ndarray] = []
    line_no = header_count
    while True:
        lines = fh.readlines(4 << 20)
        if not lines:
            break
        text = b"".join(lines).decode("latin-1").replace(",", ".")
        rows = [r.rstrip("\r\n").rstrip("\t").split("\t") for r in text.splitlines() if r.strip()]
        try:
            block = np.array(rows, dtype=float)
        except ValueError:
            block = _parse_rows_slowly(rows, path, line_no, width)
        if block.ndim != 2 or block.shape[1] != width:
            block = _parse_rows_slowly(rows, path, line_no, width)
        blocks.append(block)
        line_no += len(lines)
        if progress is not None:
            progress.update(0.95 * fh.tell() / size)
    if not blocks:
        raise SchemaError(f"{path}: no data lines after the {header_count} header lines")
    return np.concatenate(blocks)


def _parse_rows_slowly(rows, path, line_no, width) -> np.ndarray:
    """Parse row by row to name the first bad line and value."""
    out = np.empty((len(rows), width))
    for k, row in enumerate(rows):
        if len(row) != width:
            raise SchemaError(
                f"{path}: line {line_no + k + 1}: {len(row)} values, the header names {width}"
            )
        for j, value in enumerate(row):
            try:
                out[k, j] = float(value)
            except ValueError:
                raise SchemaError(
                    f"{path}: line {line_no + k + 1}, column {j + 1}: {shown(value)} is not a number"
                ) from None
    return out


def _mpt_start(header: list[str]) -> datetime | None:
    for line in header:
        match = _START_RE.search(line)
        if not match:
            continue
        text = match.group(1).strip()
        for fmt in _START_FORMATS:
            try:
                return datetime.strptime(text, fmt)
            except ValueError:
                continue
    return None
