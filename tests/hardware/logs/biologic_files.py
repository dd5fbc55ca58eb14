"""Writers of EC-Lab ``.mpr`` and ``.mpt`` files for tests (layout as EC-Lab 11.50+ writes it).

The real sample files are short rest records; these make cycling files with
current, cycle number and temperature, of any length.
"""

from __future__ import annotations

import struct
from datetime import datetime

import numpy as np
import pandas as pd

from app.hardware.logs.biologic import MPR_COLUMNS, MPR_MAGIC

OLE_EPOCH = datetime(1899, 12, 30)
START = datetime(2024, 9, 2, 13, 49, 32)


def cycling_columns(
    points: int = 600, cycles: int = 3, capacity_mah: float = 50.0, c_rate: float = 1.0
):
    """A cell cycled at ``c_rate``: full charge (positive mA), then full discharge, ``cycles``
    times; the voltage has a plateau near mid charge (a dQ/dV peak)."""
    per_cycle = points // cycles
    half = per_cycle // 2
    dt = 3600.0 / c_rate / half  # a half cycle moves the whole capacity
    time = np.arange(points) * dt
    phase = (np.arange(points) % per_cycle) / half  # 0..2
    charging = phase < 1
    current_ma = np.where(charging, capacity_mah, -capacity_mah) * c_rate
    soc = np.where(charging, phase, 2 - phase)
    ocv = 3.2 + 0.8 * soc + 0.15 * np.tanh((soc - 0.5) / 0.08)
    voltage = ocv + np.where(charging, 0.05, -0.05) * c_rate
    return {
        "mode": np.ones(points, dtype=np.uint8),
        "Ns": np.where(charging, 1, 2).astype(np.uint16),
        "time/s": time,
        "Ewe/V": voltage.astype(np.float32),
        "I/mA": current_ma.astype(np.float32),
        "dQ/mA.h": current_ma * dt / 3600.0,
        "cycle number": (np.arange(points) // per_cycle).astype(float),
        "Temperature/°C": (25.0 + 2.0 * soc).astype(np.float32),
    }


def half_cycle_counts(columns: dict) -> dict:
    """The instrument's counts EC-Lab writes of :func:`cycling_columns`: the charge of
    each half cycle (``Q charge/discharge/mA.h``, negative on discharge; ``Q charge/mA.h``
    and ``Q discharge/mA.h``, each direction's), the running net charge ``(Q-Qo)/mA.h``
    and each half cycle's energies (W h), all from ``dQ/mA.h``."""
    dq = np.asarray(columns["dQ/mA.h"], dtype=float)
    de = dq * np.asarray(columns["Ewe/V"], dtype=float) / 1000.0
    # a half cycle starts where the charge changes direction
    half = np.cumsum(np.r_[0, np.diff(np.sign(dq)) != 0])
    per_half = pd.Series(dq).groupby(half).cumsum().to_numpy()
    energy = pd.Series(np.abs(de)).groupby(half).cumsum().to_numpy()
    return {
        "Q charge/discharge/mA.h": per_half,
        "Q charge/mA.h": np.clip(per_half, 0, None),
        "Q discharge/mA.h": np.clip(-per_half, 0, None),
        "(Q-Qo)/mA.h": np.cumsum(dq),
        "Energy charge/W.h": np.where(dq > 0, energy, 0.0),
        "Energy discharge/W.h": np.where(dq < 0, energy, 0.0),
    }


#: Column IDs written for each column of :func:`cycling_columns` (and of
#: :func:`half_cycle_counts`, when given).
IDS = {
    "Ns": 131,
    "time/s": 4,
    "Ewe/V": 6,
    "I/mA": 8,
    "dQ/mA.h": 7,
    "cycle number": 24,
    "Temperature/°C": 462,
    "Q charge/discharge/mA.h": 467,
    "(Q-Qo)/mA.h": 13,
    "Energy charge/W.h": 123,
    "Energy discharge/W.h": 124,
}


def _module(short: bytes, long: bytes, body: bytes, date: str) -> bytes:
    header = short.ljust(10) + long.ljust(25)
    header += struct.pack("<IIII", 0xFFFFFFFF, len(body), 0, 11) + date.encode()
    return b"MODULE" + header + body


def mpr_bytes(columns: dict, extra_ids: tuple[int, ...] = (), start: datetime = START) -> bytes:
    """An ``.mpr`` file of ``columns`` (names as in :data:`IDS`; ``mode`` as the flag byte)."""
    names = [n for n in IDS if n in columns]
    ids = [1, 2, 3] + [IDS[n] for n in names] + list(extra_ids)
    points = len(columns["time/s"])
    fields = [("flags", "u1")] + [(n, MPR_COLUMNS[IDS[n]][1]) for n in names]
    fields += [(f"x{c}", "<f4") for c in extra_ids]
    records = np.zeros(points, dtype=np.dtype(fields))
    records["flags"] = columns["mode"] | 0x04
    for n in names:
        records[n] = columns[n]
    head = struct.pack("<IBB", points, len(ids), 0) + struct.pack(f"<{len(ids)}H", *ids)
    head = head.ljust(1007, b"\x00")
    date = start.strftime("%m/%d/%y")
    log = bytearray(1000)
    log[585:593] = struct.pack("<d", (start - OLE_EPOCH).total_seconds() / 86400.0)
    out = MPR_MAGIC.ljust(48, b" ") + b"\x00" * 4
    out += _module(b"VMP Set", b"VMP settings", b"\x04" + b"\x00" * 200, date)
    out += _module(b"VMP data", b"VMP data", head + records.tobytes(), date)
    out += _module(b"VMP LOG", b"VMP LOG", bytes(log), date)
    return out


MPT_NAMES = [
    "mode",
    "ox/red",
    "error",
    "control changes",
    "Ns changes",
    "counter inc.",
    "Ns",
    "time/s",
    "control/V/mA",
    "Ewe/V",
    "I/mA",
    "dQ/C",
    "(Q-Qo)/C",
    "half cycle",
    "Q charge/discharge/mA.h",
    "cycle number",
    "Temperature/°C",
    "P/W",
    "Energy charge/W.h",
    "Energy discharge/W.h",
    "Q discharge/mA.h",
    "Q charge/mA.h",
]


def mpt_text(columns: dict, decimal_comma: bool = False, start: datetime = START) -> bytes:
    """An ``.mpt`` export of ``columns`` as EC-Lab writes it (Windows code page, tabs)."""
    header = [
        "EC-Lab ASCII FILE",
        "Nb header lines : {n}",
        "",
        "Galvanostatic Cycling with Potential Limitation",
        "",
        "Run on channel : 1 (SN 12345)",
        "User : ",
        "Ewe ctrl range : min = 0,00 V, max = 5,00 V"
        if decimal_comma
        else "Ewe ctrl range : min = 0.00 V, max = 5.00 V",
        f"Acquisition started on : {start.strftime('%m/%d/%Y %H:%M:%S')}.000",
        "Saved on :",
        "\tFile : cell.mpr",
        "Device : VMP3 (SN 0001)",
        "Cycle Definition : Charge/Discharge alternance",
        "",
    ]
    header.append("\t".join(MPT_NAMES) + "\t")
    header[1] = header[1].format(n=len(header))
    n = len(columns["time/s"])
    dq_c = columns["dQ/mA.h"] * 3.6
    counts = half_cycle_counts(columns)
    table = {
        "mode": columns["mode"],
        "ox/red": np.ones(n),
        "error": np.zeros(n),
        "control changes": np.zeros(n),
        "Ns changes": np.zeros(n),
        "counter inc.": np.zeros(n),
        "Ns": columns["Ns"],
        "time/s": columns["time/s"],
        "control/V/mA": columns["I/mA"],
        "Ewe/V": columns["Ewe/V"],
        "I/mA": columns["I/mA"],
        "dQ/C": dq_c,
        "(Q-Qo)/C": np.cumsum(dq_c),
        "half cycle": 2 * columns["cycle number"],
        "Q charge/discharge/mA.h": counts["Q charge/discharge/mA.h"],
        "cycle number": columns["cycle number"],
        "Temperature/°C": columns["Temperature/°C"],
        "P/W": columns["Ewe/V"] * columns["I/mA"] / 1000.0,
        "Energy charge/W.h": counts["Energy charge/W.h"],
        "Energy discharge/W.h": counts["Energy discharge/W.h"],
        "Q discharge/mA.h": counts["Q discharge/mA.h"],
        "Q charge/mA.h": counts["Q charge/mA.h"],
    }
    lines = []
    matrix = np.column_stack([np.asarray(table[c], dtype=float) for c in MPT_NAMES])
    for row in matrix:
        line = "\t".join(f"{v:.9E}" for v in row) + "\t"
        lines.append(line.replace(".", ",") if decimal_comma else line)
    text = "\r\n".join(header + lines) + "\r\n"
    return text.encode("cp1252")
